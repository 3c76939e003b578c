/*
 * Configure many named network namespaces from one C child: the lab's per-namespace steps
 * (`ip -n NS link set DEV up`, `... alias TEXT`, `ip -n NS addr add A/P dev DEV`,
 * `ip -n NS route add TO [via GW] [dev DEV]`, `ip netns exec NS sysctl -w K=V`) without an
 * `ip` process per namespace. Each of those processes pays a spawn plus iproute2's
 * netns_switch (setns, a private mount namespace, a fresh sysfs mount) for a handful of
 * netlink requests: for a 200-host lab that was ~400 processes and most of `net up`.
 *
 * Node never calls setns: netnsApply forks a C child from a worker thread; the child setns's
 * into each namespace in turn, opens an rtnetlink socket there (a socket belongs to the
 * namespace it was made in) and sends the same requests `ip` would. /proc/sys/net is looked up
 * in the opener's namespace, so sysctls need no remount.
 *
 *   netnsApply(program: Buffer, how?: 'inplace') -> Promise<undefined>
 *     rejects with an Error { step, errno, op, reason }: op is the index of the failed
 *     operation (records other than "netns" count, from 0), reason what `ip` would print.
 *     inplace: a program of the host's namespace only, run in the worker thread (no fork,
 *     no setns). A program run after a --rm run's exit, not waited for, is the cleaner's
 *     (cleaner.c: ctr_netns_run_program).
 *
 *   netnsInspect(paths: string[]) -> Promise<({ links, loUp, loAlias, loAddresses } | { errno })[]>
 *     what `net down` asks of each namespace before removing it (is it the lab's? down.ts):
 *     `ip -n NS -d -j addr show` reduced to the loopback's facts, one child for all of them.
 *
 * The program is a list of NUL-terminated fields, records of a fixed arity each:
 *   netns PATH | up DEV | alias DEV TEXT | addr DEV CIDR | route TO VIA DEV | sysctl KEY VALUE
 *   | veth DEV MASTER UP PEER PEER_MAC PEER_PID (UP: non-empty for up; a container's cable,
 *     made from the host's namespace: /proc/self/ns/net)
 *   | nftelem add|delete FAMILY TABLE SET KEY_HEX COMMENT (FAMILY: NFPROTO_* as a number)
 *   | dellink DEV (gone already: no failure) | release PATH ID (an address lease removed if it
 *     still holds ID: ipam.ts)
 * (an empty field is "not given"; KEY is the dotted name). src/network/host/netns-ops.ts
 * writes it from the plan's actions, which is also what explain output prints.
 */
#include "addon.h"
#include "minictr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <node_api.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG 1
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif

/* What the child reports when an operation fails (nothing when all succeed). */
struct nsm_report {
  int op;
  int err;
  char step[CTR_MAX_STEP];
  char reason[256];
};

struct nsm_ctx {
  int inplace; /* in a worker thread of minictr's, in the host's namespace: never setns */
  int nl;   /* rtnetlink socket in the current namespace */
  int dgram; /* for SIOCGIFINDEX in the current namespace */
  unsigned seq;
  struct nsm_report *rep;
};

static int nsm_fail(struct nsm_ctx *c, int err, const char *reason, const char *fmt, const char *arg) {
  c->rep->err = err;
  snprintf(c->rep->step, sizeof c->rep->step, fmt, arg);
  snprintf(c->rep->reason, sizeof c->rep->reason, "%.200s", reason ? reason : strerror(err));
  return -1;
}

/* the host's network namespace as a program names it (src/network/host/netns-ops.ts) */
#define NSM_HOST "/proc/self/ns/net"

/* ---------- building requests ---------- */

struct nsm_req {
  struct nlmsghdr h;
  char body[1024];
};

static void *nsm_tail(struct nsm_req *r) { return (char *)r + NLMSG_ALIGN(r->h.nlmsg_len); }

static int nsm_attr(struct nsm_req *r, unsigned short type, const void *data, size_t len) {
  size_t need = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len);
  if (need > sizeof *r) { errno = E2BIG; return -1; }
  struct rtattr *a = nsm_tail(r);
  a->rta_type = type;
  a->rta_len = (unsigned short)RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  r->h.nlmsg_len = (unsigned)need;
  return 0;
}

static void nsm_begin(struct nsm_req *r, unsigned short type, unsigned short flags, const void *head, size_t hlen) {
  memset(r, 0, sizeof *r);
  r->h.nlmsg_len = (unsigned)NLMSG_LENGTH(hlen);
  r->h.nlmsg_type = type;
  r->h.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
  memcpy(NLMSG_DATA(&r->h), head, hlen);
}

/* Send one request and read its ack: 0, or -1 with the kernel's errno and, as `ip` prints
 * it, "Error: <extack message>." or "RTNETLINK answers: <strerror>" in reason. */
static int nsm_talk(struct nsm_ctx *c, struct nsm_req *r, char *reason, size_t rlen) {
  r->h.nlmsg_seq = ++c->seq;
  struct sockaddr_nl to = { .nl_family = AF_NETLINK };
  if (sendto(c->nl, r, r->h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0) {
    snprintf(reason, rlen, "sendto(netlink): %s", strerror(errno));
    return -1;
  }
  char buf[8192];
  for (;;) {
    ssize_t n = recv(c->nl, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { snprintf(reason, rlen, "recv(netlink): %s", strerror(errno)); return -1; }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != c->seq || h->nlmsg_type != NLMSG_ERROR) continue;
      struct nlmsgerr *e = NLMSG_DATA(h);
      if (e->error == 0) return 0;
      int err = -e->error;
      const char *msg = NULL;
      if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
        size_t off = sizeof *e + ((h->nlmsg_flags & NLM_F_CAPPED) ? 0 : e->msg.nlmsg_len - NLMSG_HDRLEN);
        struct rtattr *a = (struct rtattr *)((char *)e + NLMSG_ALIGN(off));
        int left = (int)h->nlmsg_len - (int)NLMSG_HDRLEN - (int)NLMSG_ALIGN(off);
        for (; RTA_OK(a, left); a = RTA_NEXT(a, left))
          if (a->rta_type == NLMSGERR_ATTR_MSG) msg = RTA_DATA(a);
      }
      if (msg) snprintf(reason, rlen, "Error: %s.", msg);
      else snprintf(reason, rlen, "RTNETLINK answers: %s", strerror(err));
      errno = err;
      return -1;
    }
  }
}

static int nsm_ifindex(struct nsm_ctx *c, const char *dev) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (strlen(dev) >= sizeof ifr.ifr_name) { errno = ENAMETOOLONG; return -1; }
  strcpy(ifr.ifr_name, dev);
  if (ioctl(c->dgram, SIOCGIFINDEX, &ifr) < 0) return -1;
  return ifr.ifr_ifindex;
}

/* "10.0.0.1/24", "fd00::1/64", "10.0.0.1" (a host), or "default" (when allow_default) */
static int nsm_prefix(const char *text, int allow_default, int *family, unsigned char *addr, int *plen) {
  if (allow_default && strcmp(text, "default") == 0) { *family = 0; *plen = 0; return 0; }
  char tmp[64];
  if (strlen(text) >= sizeof tmp) return -1;
  strcpy(tmp, text);
  char *slash = strchr(tmp, '/');
  if (slash) *slash = 0;
  *family = strchr(tmp, ':') ? AF_INET6 : AF_INET;
  if (inet_pton(*family, tmp, addr) != 1) return -1;
  int max = *family == AF_INET6 ? 128 : 32;
  if (!slash) { *plen = max; return 0; }
  char *end;
  long p = strtol(slash + 1, &end, 10);
  if (!slash[1] || *end || p < 0 || p > max) return -1;
  *plen = (int)p;
  return 0;
}

/* ---------- the operations ---------- */

/* ip link set DEV up | ip link set DEV alias TEXT: RTM_NEWLINK on the device by name */
static int nsm_link(struct nsm_ctx *c, const char *dev, const char *alias) {
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
  if (!alias) { ifi.ifi_flags = IFF_UP; ifi.ifi_change = IFF_UP; }
  struct nsm_req r;
  nsm_begin(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  nsm_attr(&r, IFLA_IFNAME, dev, strlen(dev) + 1);
  if (alias && nsm_attr(&r, IFLA_IFALIAS, alias, strlen(alias)) < 0) return nsm_fail(c, errno, NULL, "alias %s", dev);
  char reason[256];
  if (nsm_talk(c, &r, reason, sizeof reason) < 0) return nsm_fail(c, errno, reason, alias ? "RTM_NEWLINK(%s, alias)" : "RTM_NEWLINK(%s, up)", dev);
  return 0;
}

/* ip addr add CIDR dev DEV: IFA_LOCAL and IFA_ADDRESS, as iproute2 sends them */
static int nsm_addr(struct nsm_ctx *c, const char *dev, const char *cidr) {
  int family, plen;
  unsigned char a[16];
  if (nsm_prefix(cidr, 0, &family, a, &plen) < 0) return nsm_fail(c, EINVAL, NULL, "addr %s", cidr);
  int idx = nsm_ifindex(c, dev);
  if (idx < 0) return nsm_fail(c, errno, "Cannot find device", "SIOCGIFINDEX(%s)", dev);
  struct ifaddrmsg ifa = { .ifa_family = (unsigned char)family, .ifa_prefixlen = (unsigned char)plen, .ifa_index = (unsigned)idx };
  struct nsm_req r;
  nsm_begin(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
  size_t alen = family == AF_INET6 ? 16 : 4;
  nsm_attr(&r, IFA_LOCAL, a, alen);
  nsm_attr(&r, IFA_ADDRESS, a, alen);
  char reason[256];
  if (nsm_talk(c, &r, reason, sizeof reason) < 0) return nsm_fail(c, errno, reason, "RTM_NEWADDR(%s)", cidr);
  return 0;
}

/* ip route add TO [via GW] [dev DEV]: table main, proto boot, scope link without a gateway
 * (IPv4), as iproute2 chooses them */
static int nsm_route(struct nsm_ctx *c, const char *to, const char *via, const char *dev) {
  int family, plen, gfamily = 0, gplen;
  unsigned char dst[16], gw[16];
  if (nsm_prefix(to, 1, &family, dst, &plen) < 0) return nsm_fail(c, EINVAL, NULL, "route %s", to);
  if (*via && (nsm_prefix(via, 0, &gfamily, gw, &gplen) < 0 || gplen != (gfamily == AF_INET6 ? 128 : 32)))
    return nsm_fail(c, EINVAL, NULL, "route via %s", via);
  if (!family) family = gfamily ? gfamily : AF_INET;
  if (gfamily && gfamily != family) return nsm_fail(c, EINVAL, NULL, "route via %s", via);
  int idx = 0;
  if (*dev && (idx = nsm_ifindex(c, dev)) < 0) return nsm_fail(c, errno, "Cannot find device", "SIOCGIFINDEX(%s)", dev);
  struct rtmsg rtm = {
    .rtm_family = (unsigned char)family, .rtm_dst_len = (unsigned char)plen, .rtm_table = RT_TABLE_MAIN,
    .rtm_protocol = RTPROT_BOOT, .rtm_type = RTN_UNICAST,
    .rtm_scope = (family == AF_INET && !gfamily) ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE,
  };
  struct nsm_req r;
  nsm_begin(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rtm, sizeof rtm);
  size_t alen = family == AF_INET6 ? 16 : 4;
  if (plen) nsm_attr(&r, RTA_DST, dst, alen);
  if (gfamily) nsm_attr(&r, RTA_GATEWAY, gw, alen);
  if (idx) nsm_attr(&r, RTA_OIF, &idx, sizeof idx);
  char reason[256];
  if (nsm_talk(c, &r, reason, sizeof reason) < 0) return nsm_fail(c, errno, reason, "RTM_NEWROUTE(%s)", to);
  return 0;
}

/* sysctl -w KEY=VALUE: /proc/sys/KEY with dots as slashes, in this namespace's view */
static int nsm_sysctl(struct nsm_ctx *c, const char *key, const char *value) {
  char path[200];
  int n = snprintf(path, sizeof path, "/proc/sys/%s", key);
  if (n < 0 || (size_t)n >= sizeof path) return nsm_fail(c, ENAMETOOLONG, NULL, "sysctl %s", key);
  for (char *p = path + 10; *p; p++) if (*p == '.') *p = '/';
  int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    char reason[300];
    snprintf(reason, sizeof reason, "sysctl: cannot stat %.160s: %.60s", path, strerror(e));
    return nsm_fail(c, e, reason, "open(%s)", path);
  }
  size_t len = strlen(value);
  ssize_t w = write(fd, value, len);
  int e = errno;
  close(fd);
  if (w != (ssize_t)len) {
    char reason[300];
    snprintf(reason, sizeof reason, "sysctl: setting key \"%.160s\": %.60s", key, strerror(w < 0 ? e : EIO));
    return nsm_fail(c, w < 0 ? e : EIO, reason, "write(%s)", path);
  }
  return 0;
}

/* ip link add DEV [master BR] [up] type veth peer name PEER [address MAC] [netns PID]: one
 * RTM_NEWLINK makes the pair, plugs DEV into BR and brings it up, and makes PEER directly in
 * the namespace of process PID (by an fd on /proc/PID/ns/net: IFLA_NET_NS_FD), down. */
static int nsm_veth(struct nsm_ctx *c, const char *dev, const char *master, const char *up, const char *peer, const char *mac, const char *pid) {
  struct nsm_req r;
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
  if (*up) { ifi.ifi_flags = IFF_UP; ifi.ifi_change = IFF_UP; }
  nsm_begin(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  nsm_attr(&r, IFLA_IFNAME, dev, strlen(dev) + 1);
  if (*master) {
    int m = nsm_ifindex(c, master);
    if (m < 0) return nsm_fail(c, errno, NULL, "master %s", master);
    nsm_attr(&r, IFLA_MASTER, &m, sizeof m);
  }
  struct rtattr *info = nsm_tail(&r);
  nsm_attr(&r, IFLA_LINKINFO, NULL, 0);
  nsm_attr(&r, IFLA_INFO_KIND, "veth", 4);
  struct rtattr *data = nsm_tail(&r);
  nsm_attr(&r, IFLA_INFO_DATA, NULL, 0);
  struct rtattr *pinfo = nsm_tail(&r);
  nsm_attr(&r, VETH_INFO_PEER, NULL, 0);
  struct ifinfomsg pifi = { .ifi_family = AF_UNSPEC };
  memcpy(nsm_tail(&r), &pifi, sizeof pifi); /* the peer's own ifinfomsg, then its attributes */
  r.h.nlmsg_len += NLMSG_ALIGN(sizeof pifi);
  int nsfd = -1, rc = 0;
  if (nsm_attr(&r, IFLA_IFNAME, peer, strlen(peer) + 1) < 0) return nsm_fail(c, errno, NULL, "veth peer %s", peer);
  if (*mac) {
    unsigned char a[6];
    if (sscanf(mac, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]) != 6)
      return nsm_fail(c, EINVAL, "invalid MAC address", "address %s", mac);
    nsm_attr(&r, IFLA_ADDRESS, a, sizeof a);
  }
  if (*pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%.20s/ns/net", pid);
    nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) return nsm_fail(c, errno, NULL, "open(%s)", path);
    nsm_attr(&r, IFLA_NET_NS_FD, &nsfd, sizeof nsfd);
  }
  char *end = nsm_tail(&r);
  pinfo->rta_len = (unsigned short)(end - (char *)pinfo);
  data->rta_len = (unsigned short)(end - (char *)data);
  info->rta_len = (unsigned short)(end - (char *)info);
  char reason[256];
  if (nsm_talk(c, &r, reason, sizeof reason) < 0) rc = nsm_fail(c, errno, reason, "RTM_NEWLINK(%s, veth)", dev);
  if (nsfd >= 0) close(nsfd);
  return rc;
}

/* nft add|delete element FAMILY TABLE SET { KEY [comment TEXT] }: the element's NEWSETELEM or
 * DELSETELEM message, what `nft -f -` sends for that line. KEY is the element's bytes in hex,
 * as the set stores them (antispoof.ts nftPortOps: each field of a concatenation padded to 4
 * bytes); the comment is nftnl's userdata TLV (type 0, length, text and its NUL). */
static int nsm_nftmsg(struct nsm_req *r, unsigned seq, const char *verb, const char *family, const char *table, const char *set, const char *keyhex, const char *comment) {
  int del = strcmp(verb, "delete") == 0;
  unsigned char key[64];
  size_t klen = strlen(keyhex) / 2;
  if ((!del && strcmp(verb, "add") != 0) || strlen(keyhex) % 2 || klen == 0 || klen > sizeof key || strlen(comment) > 200) { errno = EINVAL; return -1; }
  for (size_t i = 0; i < klen; i++)
    if (sscanf(keyhex + 2 * i, "%2hhx", &key[i]) != 1) { errno = EINVAL; return -1; }
  struct nfgenmsg m = { .nfgen_family = (unsigned char)atoi(family), .version = NFNETLINK_V0 };
  nsm_begin(r, (NFNL_SUBSYS_NFTABLES << 8) | (del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM), del ? 0 : NLM_F_CREATE, &m, sizeof m);
  r->h.nlmsg_seq = seq;
  nsm_attr(r, NFTA_SET_ELEM_LIST_TABLE, table, strlen(table) + 1);
  nsm_attr(r, NFTA_SET_ELEM_LIST_SET, set, strlen(set) + 1);
  struct rtattr *list = nsm_tail(r);
  nsm_attr(r, NLA_F_NESTED | NFTA_SET_ELEM_LIST_ELEMENTS, NULL, 0);
  struct rtattr *el = nsm_tail(r);
  nsm_attr(r, NLA_F_NESTED | NFTA_LIST_ELEM, NULL, 0);
  struct rtattr *k = nsm_tail(r);
  nsm_attr(r, NLA_F_NESTED | NFTA_SET_ELEM_KEY, NULL, 0);
  nsm_attr(r, NFTA_DATA_VALUE, key, klen);
  k->rta_len = (unsigned short)((char *)nsm_tail(r) - (char *)k);
  if (*comment && !del) {
    unsigned char ud[204] = { 0, (unsigned char)(strlen(comment) + 1) };
    memcpy(ud + 2, comment, strlen(comment) + 1);
    nsm_attr(r, NFTA_SET_ELEM_USERDATA, ud, strlen(comment) + 3);
  }
  char *end = nsm_tail(r);
  el->rta_len = (unsigned short)(end - (char *)el);
  list->rta_len = (unsigned short)(end - (char *)list);
  return 0;
}

#define NSM_MAX_ELEMS 8

/* Elements f[i][0..5] (verb family table set key comment) in ONE nf_tables batch
 * (NFNL_MSG_BATCH_BEGIN, the messages, BATCH_END) on a NETLINK_NETFILTER socket: one
 * transaction, so one commit (a delete's commit waits for the kernel's RCU; three of them were
 * ~20 ms on a loaded machine). 0, or -1 with errno: the first message's error (the kernel
 * then undoes the whole batch). */
static int nsm_nftbatch(const char *f[][6], int n) {
  /* thread-local: a host-only program runs in a worker thread, maybe beside another */
  static _Thread_local struct nsm_req msgs[NSM_MAX_ELEMS + 2];
  struct nfgenmsg batch = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0, .res_id = htons(NFNL_SUBSYS_NFTABLES) };
  nsm_begin(&msgs[0], NFNL_MSG_BATCH_BEGIN, 0, &batch, sizeof batch);
  nsm_begin(&msgs[n + 1], NFNL_MSG_BATCH_END, 0, &batch, sizeof batch);
  msgs[0].h.nlmsg_flags = msgs[n + 1].h.nlmsg_flags = NLM_F_REQUEST; /* no acks for the markers */
  msgs[0].h.nlmsg_seq = 1;
  msgs[n + 1].h.nlmsg_seq = (unsigned)n + 2;
  for (int i = 0; i < n; i++)
    if (nsm_nftmsg(&msgs[i + 1], (unsigned)i + 2, f[i][0], f[i][1], f[i][2], f[i][3], f[i][4], f[i][5]) < 0) return -1;
  static _Thread_local char out[sizeof msgs];
  size_t len = 0;
  for (int i = 0; i < n + 2; i++) {
    memcpy(out + len, &msgs[i], msgs[i].h.nlmsg_len);
    len += NLMSG_ALIGN(msgs[i].h.nlmsg_len);
  }
  int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (nl < 0) return -1;
  struct sockaddr_nl to = { .nl_family = AF_NETLINK };
  int err = 0, acked = 0;
  if (sendto(nl, out, len, 0, (struct sockaddr *)&to, sizeof to) < 0) err = errno;
  /* the kernel runs the batch inside sendto: every ack (or error) is queued by now */
  char buf[8192];
  while (!err && acked < n) {
    ssize_t got = recv(nl, buf, sizeof buf, acked ? MSG_DONTWAIT : 0);
    if (got < 0) { if (errno != EAGAIN && errno != EINTR) err = errno; if (errno == EAGAIN) break; continue; }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)got); h = NLMSG_NEXT(h, got)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      acked++;
      int e = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
      if (e && !err) err = e;
    }
  }
  close(nl);
  if (err) { errno = err; return -1; }
  return 0;
}

/* Consecutive nftelem records as one batch; deletes that fail because one of them is not
 * there (ENOENT: rm may find some gone) are sent again one by one, a missing one no failure. */
static int nsm_nftelems(const char *f[][6], int n) {
  if (nsm_nftbatch(f, n) == 0) return 0;
  if (errno != ENOENT || strcmp(f[0][0], "delete") != 0) return -1;
  for (int i = 0; i < n; i++)
    if (nsm_nftbatch(&f[i], 1) < 0 && errno != ENOENT) return -1;
  return 0;
}

/* ip link del DEV: RTM_DELLINK by name; a device that is gone already is no failure (a
 * container's host end goes with its namespace, maybe just before) */
static int nsm_dellink(struct nsm_ctx *c, const char *dev) {
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
  struct nsm_req r;
  nsm_begin(&r, RTM_DELLINK, 0, &ifi, sizeof ifi);
  nsm_attr(&r, IFLA_IFNAME, dev, strlen(dev) + 1);
  char reason[256];
  if (nsm_talk(c, &r, reason, sizeof reason) < 0 && errno != ENODEV) return nsm_fail(c, errno, reason, "RTM_DELLINK(%s)", dev);
  return 0;
}

/* An address lease given back (ipam.ts releaseAddress): PATH is removed if it still holds ID,
 * the container's; one gone already, or another's, is left as it is. */
static int nsm_release(struct nsm_ctx *c, const char *path, const char *id) {
  char buf[129];
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : nsm_fail(c, errno, NULL, "open(%s)", path);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) return nsm_fail(c, errno, NULL, "read(%s)", path);
  buf[n] = 0;
  if (strcmp(buf, id) != 0) return 0;
  if (unlink(path) < 0 && errno != ENOENT) return nsm_fail(c, errno, NULL, "unlink(%s)", path);
  return 0;
}

static int nsm_enter(struct nsm_ctx *c, const char *path) {
  if (c->inplace && strcmp(path, NSM_HOST) != 0) return nsm_fail(c, EINVAL, "only the host's namespace in place", "netns %s", path);
  int fd = c->inplace ? -1 : open(path, O_RDONLY | O_CLOEXEC);
  if (c->inplace) goto sockets;
  if (fd < 0) return nsm_fail(c, errno, NULL, "open(%s)", path);
  if (setns(fd, CLONE_NEWNET) < 0) { int e = errno; close(fd); return nsm_fail(c, e, NULL, "setns(%s, CLONE_NEWNET)", path); }
  close(fd);
sockets:
  if (c->nl >= 0) close(c->nl);
  if (c->dgram >= 0) close(c->dgram);
  c->dgram = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  c->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (c->nl < 0 || c->dgram < 0) return nsm_fail(c, errno, NULL, "socket() in %s", path);
  int one = 1;
  setsockopt(c->nl, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one); /* messages; optional */
  struct sockaddr_nl me = { .nl_family = AF_NETLINK };
  if (bind(c->nl, (struct sockaddr *)&me, sizeof me) < 0) return nsm_fail(c, errno, NULL, "bind(netlink) in %s", path);
  return 0;
}

static int nsm_steps(struct nsm_ctx *c, const char *prog, size_t len);

/* Runs the whole program; 0, or -1 with rep filled in. inplace: in this thread (the host's
 * namespace only), so the sockets are closed after. */
static int nsm_run(const char *prog, size_t len, struct nsm_report *rep, int inplace) {
  struct nsm_ctx c = { .inplace = inplace, .nl = -1, .dgram = -1, .rep = rep };
  int rc = nsm_steps(&c, prog, len);
  if (c.nl >= 0) close(c.nl);
  if (c.dgram >= 0) close(c.dgram);
  return rc;
}

/* A program of the host's namespace run in this process, for the cleaner (cleaner.c): 0 or
 * -1 (what failed is not reported: the cleaner has no one to tell). */
int ctr_netns_run_program(const char *prog, size_t len) {
  struct nsm_report rep;
  memset(&rep, 0, sizeof rep);
  return nsm_run(prog, len, &rep, 1);
}

static int nsm_steps(struct nsm_ctx *c, const char *prog, size_t len) {
  struct nsm_report *rep = c->rep;
  const char *f[7];
  size_t pos = 0;
  int op = -1, entered = 0;
  rep->op = -1;
#define FIELDS(n) \
  for (int i_ = 0; i_ < (n); i_++) { \
    if (pos >= len) return nsm_fail(c, EINVAL, "truncated program", "record %s", f[0]); \
    f[1 + i_] = prog + pos; pos += strnlen(prog + pos, len - pos) + 1; \
  }
  while (pos < len) {
    f[0] = prog + pos;
    pos += strnlen(prog + pos, len - pos) + 1;
    if (strcmp(f[0], "netns") == 0) {
      FIELDS(1);
      if (nsm_enter(c, f[1]) < 0) { rep->op = op + 1; return -1; }
      entered = 1;
      continue;
    }
    rep->op = ++op;
    if (!entered) return nsm_fail(c, EINVAL, "an operation before any netns record", "%s", f[0]);
    int rc;
    if (strcmp(f[0], "up") == 0) { FIELDS(1); rc = nsm_link(c, f[1], NULL); }
    else if (strcmp(f[0], "alias") == 0) { FIELDS(2); rc = nsm_link(c, f[1], f[2]); }
    else if (strcmp(f[0], "addr") == 0) { FIELDS(2); rc = nsm_addr(c, f[1], f[2]); }
    else if (strcmp(f[0], "route") == 0) { FIELDS(3); rc = nsm_route(c, f[1], f[2], f[3]); }
    else if (strcmp(f[0], "sysctl") == 0) { FIELDS(2); rc = nsm_sysctl(c, f[1], f[2]); }
    else if (strcmp(f[0], "veth") == 0) { FIELDS(6); rc = nsm_veth(c, f[1], f[2], f[3], f[4], f[5], f[6]); }
    else if (strcmp(f[0], "dellink") == 0) { FIELDS(1); rc = nsm_dellink(c, f[1]); }
    else if (strcmp(f[0], "release") == 0) { FIELDS(2); rc = nsm_release(c, f[1], f[2]); }
    else if (strcmp(f[0], "nftelem") == 0) {
      /* this and the nftelem records right after it (of the same verb): one batch */
      static _Thread_local const char *el[NSM_MAX_ELEMS][6];
      int n = 0;
      for (;;) {
        FIELDS(6);
        memcpy(el[n++], &f[1], sizeof el[0]);
        size_t next = pos;
        if (n == NSM_MAX_ELEMS || next >= len || strcmp(prog + next, "nftelem") != 0) break;
        const char *verb = prog + next + sizeof "nftelem";
        if (next + sizeof "nftelem" >= len || strcmp(verb, el[0][0]) != 0) break;
        pos = next + sizeof "nftelem";
        op++;
      }
      rc = nsm_nftelems(el, n) < 0 ? nsm_fail(c, errno, NULL, "nft %s element", el[0][0]) : 0;
    }
    else rc = nsm_fail(c, EINVAL, "unknown operation", "%s", f[0]);
    if (rc < 0) return -1;
  }
#undef FIELDS
  return 0;
}

/* ---------- Node-API: fork the child off the main thread, report its first failure ---------- */

struct nsm_job {
  napi_async_work work;
  napi_deferred deferred;
  char *prog;
  size_t len;
  struct nsm_report rep;
  int failed;
  int mode; /* NSM_CHILD or NSM_INPLACE */
};

/* How a program is run: a child that setns's (the default); or in the worker thread, for a
 * program of the host's namespace only (no fork of node: ~2 ms of page-table copy and exit). */
enum { NSM_CHILD, NSM_INPLACE };

static void nsm_execute(napi_env env, void *data) {
  struct nsm_job *j = data;
  if (j->mode == NSM_INPLACE) {
    memset(&j->rep, 0, sizeof j->rep);
    j->failed = nsm_run(j->prog, j->len, &j->rep, 1) < 0;
    return;
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    j->failed = 1; j->rep.op = -1; j->rep.err = errno;
    snprintf(j->rep.step, sizeof j->rep.step, "pipe2()");
    snprintf(j->rep.reason, sizeof j->rep.reason, "%s", strerror(errno));
    return;
  }
  long pid = ctr_clone3(0, -1);
  if (pid == 0) {
    close(p[0]);
    struct nsm_report rep;
    memset(&rep, 0, sizeof rep);
    if (nsm_run(j->prog, j->len, &rep, 0) == 0) _exit(0);
    ssize_t w = write(p[1], &rep, sizeof rep);
    _exit(w == (ssize_t)sizeof rep ? 1 : 2);
  }
  int e = errno;
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    j->failed = 1; j->rep.op = -1; j->rep.err = e;
    snprintf(j->rep.step, sizeof j->rep.step, "fork()");
    snprintf(j->rep.reason, sizeof j->rep.reason, "%s", strerror(e));
    return;
  }
  ssize_t n;
  while ((n = read(p[0], &j->rep, sizeof j->rep)) < 0 && errno == EINTR) {}
  close(p[0]);
  int status = 0;
  while (waitpid((pid_t)pid, &status, 0) < 0 && errno == EINTR) {}
  if (n == (ssize_t)sizeof j->rep) { j->failed = 1; return; }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    j->failed = 1; j->rep.op = -1; j->rep.err = EIO;
    snprintf(j->rep.step, sizeof j->rep.step, "the netns child (pid %d)", (int)pid);
    snprintf(j->rep.reason, sizeof j->rep.reason, "ended with status 0x%x and no report", status);
  }
}

static void nsm_complete(napi_env env, napi_status status, void *data) {
  struct nsm_job *j = data;
  if (!j->failed) {
    napi_value u;
    napi_get_undefined(env, &u);
    napi_resolve_deferred(env, j->deferred, u);
  } else {
    napi_value e = ctr_js_step_error(env, j->rep.step, j->rep.err, j->rep.reason), v;
    napi_create_int32(env, j->rep.op, &v);
    napi_set_named_property(env, e, "op", v);
    napi_create_string_utf8(env, j->rep.reason, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, e, "reason", v);
    napi_reject_deferred(env, j->deferred, e);
  }
  napi_delete_async_work(env, j->work);
  free(j->prog);
  free(j);
}

napi_value ctr_js_netns_apply(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  bool isbuf = false;
  char how[16] = "";
  size_t hl = 0;
  napi_valuetype t = napi_undefined;
  if (argc >= 2) napi_typeof(env, a[1], &t);
  int bad = argc < 1 || napi_is_buffer(env, a[0], &isbuf) != napi_ok || !isbuf;
  if (!bad && t == napi_string) bad = napi_get_value_string_utf8(env, a[1], how, sizeof how, &hl) != napi_ok || strcmp(how, "inplace") != 0;
  else if (!bad && t != napi_undefined) bad = 1;
  if (bad) {
    napi_throw_type_error(env, NULL, "netnsApply(program: Buffer, how?: 'inplace')");
    return NULL;
  }
  void *data;
  size_t len;
  napi_get_buffer_info(env, a[0], &data, &len);
  struct nsm_job *j = calloc(1, sizeof *j);
  if (!j || !(j->prog = malloc(len ? len : 1))) { free(j); return ctr_js_throw_step(env, "malloc()", ENOMEM); }
  memcpy(j->prog, data, len);
  j->len = len;
  j->mode = strcmp(how, "inplace") == 0 ? NSM_INPLACE : NSM_CHILD;
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "minictr-netns-apply", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, nsm_execute, nsm_complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

/* ---------- netnsInspect: the loopback's facts in each namespace ---------- */

struct nsi_result {
  int err;     /* 0, or why the namespace could not be read */
  int links;   /* links in the namespace */
  int lo_up;
  int lo_addrs;
  char lo_alias[256];
};

/* Dump type (RTM_GETLINK / RTM_GETADDR) and hand each message to fn; 0 or -1 with errno. */
static int nsi_dump(int nl, unsigned short type, unsigned seq, void (*fn)(struct nlmsghdr *, struct nsi_result *, int *), struct nsi_result *r, int *lo) {
  struct { struct nlmsghdr h; struct ifinfomsg i; } req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof req.i);
  req.h.nlmsg_type = type;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = seq;
  req.i.ifi_family = AF_UNSPEC;
  struct sockaddr_nl to = { .nl_family = AF_NETLINK };
  if (sendto(nl, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0) return -1;
  static char buf[32768];
  for (;;) {
    ssize_t n = recv(nl, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) { errno = -((struct nlmsgerr *)NLMSG_DATA(h))->error; return -1; }
      fn(h, r, lo);
    }
  }
}

static void nsi_link(struct nlmsghdr *h, struct nsi_result *r, int *lo) {
  if (h->nlmsg_type != RTM_NEWLINK) return;
  struct ifinfomsg *i = NLMSG_DATA(h);
  r->links++;
  const char *name = NULL, *alias = NULL;
  int alen = 0;
  int left = (int)IFLA_PAYLOAD(h);
  for (struct rtattr *a = IFLA_RTA(i); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
    if (a->rta_type == IFLA_IFNAME) name = RTA_DATA(a);
    else if (a->rta_type == IFLA_IFALIAS) { alias = RTA_DATA(a); alen = (int)RTA_PAYLOAD(a); }
  }
  if (!name || strcmp(name, "lo") != 0) return;
  *lo = i->ifi_index;
  r->lo_up = (i->ifi_flags & IFF_UP) != 0;
  if (alias) snprintf(r->lo_alias, sizeof r->lo_alias, "%.*s", alen, alias);
}

static void nsi_addr(struct nlmsghdr *h, struct nsi_result *r, int *lo) {
  if (h->nlmsg_type != RTM_NEWADDR) return;
  struct ifaddrmsg *a = NLMSG_DATA(h);
  if ((int)a->ifa_index == *lo) r->lo_addrs++;
}

static void nsi_one(const char *path, struct nsi_result *r) {
  memset(r, 0, sizeof *r);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { r->err = errno; return; }
  if (setns(fd, CLONE_NEWNET) < 0) { r->err = errno; close(fd); return; }
  close(fd);
  int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (nl < 0) { r->err = errno; return; }
  int lo = -1;
  if (nsi_dump(nl, RTM_GETLINK, 1, nsi_link, r, &lo) < 0 || nsi_dump(nl, RTM_GETADDR, 2, nsi_addr, r, &lo) < 0) r->err = errno ? errno : EIO;
  close(nl);
}

struct nsi_job {
  napi_async_work work;
  napi_deferred deferred;
  char **paths;
  size_t n;
  struct nsi_result *res;
  int err;
  char step[64];
};

static void nsi_execute(napi_env env, void *data) {
  struct nsi_job *j = data;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) { j->err = errno; strcpy(j->step, "pipe2()"); return; }
  long pid = ctr_clone3(0, -1);
  if (pid == 0) {
    close(p[0]);
    struct nsi_result r;
    for (size_t i = 0; i < j->n; i++) {
      nsi_one(j->paths[i], &r);
      const char *b = (const char *)&r;
      for (size_t off = 0; off < sizeof r;) {
        ssize_t w = write(p[1], b + off, sizeof r - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) _exit(2);
        off += (size_t)w;
      }
    }
    _exit(0);
  }
  int e = errno;
  close(p[1]);
  if (pid < 0) { close(p[0]); j->err = e; strcpy(j->step, "fork()"); return; }
  size_t want = j->n * sizeof *j->res, got = 0;
  while (got < want) {
    ssize_t n = read(p[0], (char *)j->res + got, want - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(p[0]);
  int status;
  while (waitpid((pid_t)pid, &status, 0) < 0 && errno == EINTR) {}
  if (got < want) { j->err = EIO; strcpy(j->step, "the netns child's answer"); }
}

static void nsi_complete(napi_env env, napi_status status, void *data) {
  struct nsi_job *j = data;
  if (j->err) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s: %s", j->step, strerror(j->err));
    napi_value m, e, v;
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_create_error(env, NULL, m, &e);
    napi_create_string_utf8(env, j->step, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, e, "step", v);
    napi_create_int32(env, j->err, &v);
    napi_set_named_property(env, e, "errno", v);
    napi_reject_deferred(env, j->deferred, e);
  } else {
    napi_value arr, o, v;
    napi_create_array_with_length(env, j->n, &arr);
    for (size_t i = 0; i < j->n; i++) {
      struct nsi_result *r = &j->res[i];
      napi_create_object(env, &o);
      if (r->err) {
        napi_create_int32(env, r->err, &v);
        napi_set_named_property(env, o, "errno", v);
      } else {
        napi_create_int32(env, r->links, &v);
        napi_set_named_property(env, o, "links", v);
        napi_get_boolean(env, r->lo_up, &v);
        napi_set_named_property(env, o, "loUp", v);
        napi_create_string_utf8(env, r->lo_alias, NAPI_AUTO_LENGTH, &v);
        napi_set_named_property(env, o, "loAlias", v);
        napi_create_int32(env, r->lo_addrs, &v);
        napi_set_named_property(env, o, "loAddresses", v);
      }
      napi_set_element(env, arr, (uint32_t)i, o);
    }
    napi_resolve_deferred(env, j->deferred, arr);
  }
  napi_delete_async_work(env, j->work);
  for (size_t i = 0; i < j->n; i++) free(j->paths[i]);
  free(j->paths);
  free(j->res);
  free(j);
}

napi_value ctr_js_netns_inspect(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  bool isarr = false;
  if (argc < 1 || napi_is_array(env, a[0], &isarr) != napi_ok || !isarr) {
    napi_throw_type_error(env, NULL, "netnsInspect(paths: string[])");
    return NULL;
  }
  uint32_t n;
  napi_get_array_length(env, a[0], &n);
  struct nsi_job *j = calloc(1, sizeof *j);
  if (!j) return ctr_js_throw_step(env, "malloc()", ENOMEM);
  j->paths = calloc(n ? n : 1, sizeof *j->paths);
  j->res = calloc(n ? n : 1, sizeof *j->res);
  if (!j->paths || !j->res) { free(j->paths); free(j->res); free(j); return ctr_js_throw_step(env, "malloc()", ENOMEM); }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    napi_valuetype t;
    napi_get_element(env, a[0], i, &el);
    size_t len = 0;
    if (napi_typeof(env, el, &t) != napi_ok || t != napi_string) {
      for (uint32_t k = 0; k < i; k++) free(j->paths[k]);
      free(j->paths); free(j->res); free(j);
      napi_throw_type_error(env, NULL, "netnsInspect(paths: string[])");
      return NULL;
    }
    napi_get_value_string_utf8(env, el, NULL, 0, &len);
    j->paths[i] = malloc(len + 1);
    napi_get_value_string_utf8(env, el, j->paths[i], len + 1, &len);
  }
  j->n = n;
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "minictr-netns-inspect", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, nsi_execute, nsi_complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}
