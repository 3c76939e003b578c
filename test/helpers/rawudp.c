/*
 * A UDP probe for the network-security tests, built by the test with `cc -static` and given
 * to containers through a volume. It sends what an attacker with CAP_NET_RAW can send: a
 * whole Ethernet frame, every header written by hand, on an AF_PACKET socket, so the source
 * MAC and IP and the destination are whatever it is told.
 *
 *   rawudp send IFACE SRC_MAC|self DST_MAC SRC_IP DST_IP DST_PORT PAYLOAD
 *   rawudp recv PORT SECONDS LAST
 *
 * recv binds an ordinary UDP socket on 0.0.0.0:PORT (so only what the kernel accepts is
 * seen), prints "ready", then "SRC_IP PAYLOAD" for each datagram, and exits after the one whose
 * payload is LAST, or after SECONDS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "rawudp: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int mac(const char *s, uint8_t out[6]) {
  return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &out[0], &out[1], &out[2], &out[3], &out[4], &out[5]) == 6;
}

static uint16_t checksum(const void *data, size_t len, uint32_t sum) {
  const uint8_t *p = data;
  for (; len > 1; p += 2, len -= 2) sum += (uint32_t)p[0] << 8 | p[1];
  if (len) sum += (uint32_t)p[0] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((uint16_t)~sum);
}

static int send_frame(char **a) {
  const char *ifname = a[0], *payload = a[6];
  int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
  if (s < 0) die("socket(AF_PACKET)");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
  if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) die("SIOCGIFINDEX");
  int ifindex = ifr.ifr_ifindex;

  uint8_t frame[1514];
  size_t plen = strlen(payload);
  if (plen > 1400) plen = 1400;
  struct ether_header *eth = (void *)frame;
  struct iphdr *ip = (void *)(frame + sizeof *eth);
  struct udphdr *udp = (void *)((uint8_t *)ip + sizeof *ip);
  memset(frame, 0, sizeof *eth + sizeof *ip + sizeof *udp);
  if (strcmp(a[1], "self") == 0) {
    if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) die("SIOCGIFHWADDR");
    memcpy(eth->ether_shost, ifr.ifr_hwaddr.sa_data, 6);
  } else if (!mac(a[1], eth->ether_shost)) {
    fprintf(stderr, "rawudp: bad MAC %s\n", a[1]);
    return 2;
  }
  if (!mac(a[2], eth->ether_dhost)) {
    fprintf(stderr, "rawudp: bad MAC %s\n", a[2]);
    return 2;
  }
  eth->ether_type = htons(ETH_P_IP);
  ip->version = 4;
  ip->ihl = 5;
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->tot_len = htons((uint16_t)(sizeof *ip + sizeof *udp + plen));
  ip->id = htons((uint16_t)getpid());
  if (inet_pton(AF_INET, a[3], &ip->saddr) != 1 || inet_pton(AF_INET, a[4], &ip->daddr) != 1) {
    fprintf(stderr, "rawudp: bad address\n");
    return 2;
  }
  ip->check = checksum(ip, sizeof *ip, 0);
  udp->source = htons(40000);
  udp->dest = htons((uint16_t)atoi(a[5]));
  udp->len = htons((uint16_t)(sizeof *udp + plen));
  memcpy((uint8_t *)udp + sizeof *udp, payload, plen);
  // the pseudo-header: addresses, protocol, UDP length
  uint32_t sum = 0;
  const uint8_t *addrs = (const uint8_t *)&ip->saddr;
  for (int i = 0; i < 8; i += 2) sum += (uint32_t)addrs[i] << 8 | addrs[i + 1];
  sum += IPPROTO_UDP + sizeof *udp + plen;
  udp->check = checksum(udp, sizeof *udp + plen, sum);
  if (udp->check == 0) udp->check = 0xffff;

  struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex, .sll_halen = 6 };
  memcpy(to.sll_addr, eth->ether_dhost, 6);
  size_t len = sizeof *eth + sizeof *ip + sizeof *udp + plen;
  if (sendto(s, frame, len, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)len) die("sendto");
  close(s);
  return 0;
}

static int receive(char **a) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) die("socket");
  struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(a[0])) };
  if (bind(s, (struct sockaddr *)&me, sizeof me) < 0) die("bind");
  printf("ready\n");
  fflush(stdout);
  struct timespec end;
  clock_gettime(CLOCK_MONOTONIC, &end);
  end.tv_sec += atoi(a[1]);
  for (;;) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
    if (ms <= 0) return 0;
    struct pollfd p = { .fd = s, .events = POLLIN };
    if (poll(&p, 1, (int)ms) <= 0) continue;
    char buf[1500];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(s, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fl);
    if (n < 0) die("recvfrom");
    buf[n] = 0;
    printf("%s %s\n", inet_ntoa(from.sin_addr), buf);
    fflush(stdout);
    if (strcmp(buf, a[2]) == 0) return 0;
  }
}

int main(int argc, char **argv) {
  if (argc == 9 && strcmp(argv[1], "send") == 0) return send_frame(argv + 2);
  if (argc == 5 && strcmp(argv[1], "recv") == 0) return receive(argv + 2);
  fprintf(stderr, "usage: rawudp send IFACE SRC_MAC|self DST_MAC SRC_IP DST_IP DST_PORT PAYLOAD\n       rawudp recv PORT SECONDS LAST\n");
  return 2;
}
