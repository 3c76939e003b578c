/*
 * The container's side of its network, from inside its network namespace: `lo` up, and for
 * a bridge network the eth0 the parent created for it (ip link add eth0 netns PID type veth
 * ...) gets its address, comes up and gets a default route. Plain ioctls: no netlink
 * library, no `ip` binary in the image needed.
 */
#include "minictr.h"

#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

void ctr_loopback_up(void) {
  ctr_explain("bring up the loopback interface in the new network namespace", "ip link set lo up");
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) ctr_fail("socket(AF_INET)");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) ctr_fail("ioctl(lo, SIOCGIFFLAGS)");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) ctr_fail("ioctl(lo, SIOCSIFFLAGS)");
  close(s);
}

/* The container's side of a bridge network: the parent created eth0 in our namespace
 * (ip link add eth0 netns PID type veth ...); here it gets its address, comes up, and gets a
 * default route. Plain ioctls: no netlink library, no `ip` binary in the image needed. */
void ctr_configure_interface(const struct ctr_config *c) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) ctr_fail("socket(AF_INET)");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", c->net_ifname);
  struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
  sin->sin_family = AF_INET;
  ctr_explain("give the container its address", "ip addr add %s/%d dev %s", c->net_address, c->net_prefix, c->net_ifname);
  if (inet_pton(AF_INET, c->net_address, &sin->sin_addr) != 1) { errno = EINVAL; ctr_fail("inet_pton(%s)", c->net_address); }
  if (ioctl(s, SIOCSIFADDR, &ifr) < 0) ctr_fail("ioctl(%s, SIOCSIFADDR, %s)", c->net_ifname, c->net_address);
  sin->sin_addr.s_addr = c->net_prefix ? htonl(0xffffffffu << (32 - c->net_prefix)) : 0;
  if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0) ctr_fail("ioctl(%s, SIOCSIFNETMASK, /%d)", c->net_ifname, c->net_prefix);
  ctr_explain("bring the interface up", "ip link set %s up", c->net_ifname);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) ctr_fail("ioctl(%s, SIOCGIFFLAGS)", c->net_ifname);
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) ctr_fail("ioctl(%s, SIOCSIFFLAGS)", c->net_ifname);
  if (c->net_gateway) {
    struct rtentry rt;
    memset(&rt, 0, sizeof rt);
    struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst, *gw = (struct sockaddr_in *)&rt.rt_gateway,
                       *mask = (struct sockaddr_in *)&rt.rt_genmask;
    dst->sin_family = gw->sin_family = mask->sin_family = AF_INET;
    if (inet_pton(AF_INET, c->net_gateway, &gw->sin_addr) != 1) { errno = EINVAL; ctr_fail("inet_pton(%s)", c->net_gateway); }
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    ctr_explain("route everything else through the gateway on the host's bridge", "ip route add default via %s", c->net_gateway);
    if (ioctl(s, SIOCADDRT, &rt) < 0) ctr_fail("ioctl(SIOCADDRT, default via %s)", c->net_gateway);
  }
  close(s);
}
