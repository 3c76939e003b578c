/*
 * The container's first process, from clone() to execve(), all in C (cf. runc's nsexec.c).
 * Order matters and is the lesson: wait for the parent to finish host-side work (cgroups,
 * network), then build the filesystem, pivot_root, set the hostname, bring lo up, give up
 * privileges, and exec minictr-init from a sealed memfd as PID 1.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void describe_argv(char **argv, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (char **a = argv; *a && used + 1 < len; a++) {
    int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", *a);
    if (n < 0) break;
    used += (size_t)n;
  }
}

static void loopback_up(void) {
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
static void configure_interface(const struct ctr_config *c) {
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
  if (c->net_tx_csum_off) {
    struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = 0 };
    ifr.ifr_data = (char *)&ev;
    ctr_explain("Open vSwitch userspace datapath: checksums must be complete when they leave", "ethtool -K %s tx off", c->net_ifname);
    if (ioctl(s, SIOCETHTOOL, &ifr) < 0) ctr_fail("ioctl(%s, SIOCETHTOOL, ETHTOOL_STXCSUM off)", c->net_ifname);
    memset(&ifr.ifr_ifru, 0, sizeof ifr.ifr_ifru);
  }
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

/* Node ignores SIGPIPE and libuv blocks some signals; ignored dispositions and the mask
 * survive execve, so reset them or `yes | head` would spin forever in the container. */
void ctr_reset_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Make fds 0, 1, 2 what the parent asked for. */
void ctr_setup_stdio(const int stdio[3]) {
  for (int i = 0; i < 3; i++) {
    if (stdio[i] == i) {
      fcntl(i, F_SETFD, 0);
    } else if (stdio[i] >= 0) {
      if (dup2(stdio[i], i) < 0) ctr_fail("dup2(%d, %d)", stdio[i], i);
    }
  }
  for (int i = 0; i < 3; i++)
    if (stdio[i] > 2) close(stdio[i]);
}

/* mkdir -p inside the (already pivoted) root, for -w like runc. */
static void mkdir_p(const char *path) {
  char buf[4096];
  size_t len = strlen(path);
  if (len >= sizeof buf) return;
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char saved = buf[i];
    buf[i] = '\0';
    mkdir(buf, 0755);
    buf[i] = saved;
  }
}

void ctr_enter_cwd(const char *cwd) {
  ctr_explain("enter the working directory", "cd %s", cwd);
  if (chdir(cwd) < 0) {
    if (errno != ENOENT) ctr_fail("chdir(%s)", cwd);
    mkdir_p(cwd);
    if (chdir(cwd) < 0) ctr_fail("chdir(%s)", cwd);
  }
  /* CVE-2024-21626: a cwd reached through a leaked fd (-w /proc/self/fd/N) lies outside our
   * root; the kernel then reports it as "(unreachable)/..." */
  char here[4096];
  if (!getcwd(here, sizeof here) || here[0] != '/') {
    errno = EPERM;
    ctr_fail("chdir(%s): working directory is outside the container", cwd);
  }
}

int ctr_child_main(struct ctr_config *c) {
  ctr_explain_init(c->explain_fd, c->sync_fd);
  /* Until execve this process is a copy of the host's node; non-dumpable means no process in
   * the container can open our /proc/PID/exe (CVE-2019-5736) or ptrace us. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (c->die_with_parent) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

  int keep[] = { c->sync_fd, c->explain_fd, c->init_fd, c->stdio[0], c->stdio[1], c->stdio[2], c->netns_fd };
  ctr_close_fds_except(keep, sizeof keep / sizeof keep[0]);

  /* wait until the parent has placed us in our cgroup and set up the network */
  char go;
  ssize_t n;
  while ((n = read(c->sync_fd, &go, 1)) < 0 && errno == EINTR) {}
  if (n != 1) _exit(125); /* parent gone: nothing to report to */

  if (setsid() < 0) ctr_fail("setsid()");
  if (c->unshare_cgroupns) {
    ctr_explain("new cgroup namespace: our cgroup becomes the root of /sys/fs/cgroup", "unshare --cgroup");
    if (unshare(CLONE_NEWCGROUP) < 0) ctr_fail("unshare(CLONE_NEWCGROUP)");
  }
  if (c->netns_fd >= 0) {
    ctr_explain("join an existing network namespace", "nsenter --net=%s", c->netns_path ? c->netns_path : "?");
    if (setns(c->netns_fd, CLONE_NEWNET) < 0) ctr_fail("setns(%s, CLONE_NEWNET)", c->netns_path ? c->netns_path : "netns");
    close(c->netns_fd);
  }
  if (!c->tty) ctr_setup_stdio(c->stdio);

  ctr_setup_rootfs(c);
  ctr_pivot_root_to(c);
  ctr_mask_paths(c);

  if (c->hostname) {
    ctr_explain("set the hostname in the new UTS namespace", "hostname %s", c->hostname);
    if (sethostname(c->hostname, strlen(c->hostname)) < 0) ctr_fail("sethostname(%s)", c->hostname);
  }
  if (c->loopback_up) loopback_up();
  if (c->net_ifname) configure_interface(c);

  if (c->tty) ctr_pty_for_parent(c->tty_rows, c->tty_cols);

  ctr_enter_cwd(c->cwd);
  ctr_drop_privileges(c);
  ctr_reset_signals();

  char shown[1024];
  describe_argv(c->argv, shown, sizeof shown);
  ctr_explain("become PID 1: exec minictr's init from a sealed memfd; it runs the command", "exec %s", shown);
  ctr_execveat(c->init_fd, "", c->argv, c->envp, AT_EMPTY_PATH);
  ctr_fail("execve(minictr-init)");
}
