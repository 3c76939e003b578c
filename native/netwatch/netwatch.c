/*
 * minictr-netwatch: rtnetlink events of network namespaces the host does not number, for
 * `minictr view` (src/view/watch.ts).
 *
 * `ip monitor all-nsid` hears the host namespace and only the namespaces that have an nsid in
 * it: a namespace made with `ip netns add X` (and used with `ip -n X ...`) or a `--network
 * none` container's has none, and the kernel does not send their events to the host at all.
 * Assigning nsids would change the host, and the view is read-only. Instead this helper opens
 * one rtnetlink socket inside each namespace it is told of: setns() into it, socket(), bind
 * the LINK/IFADDR/ROUTE groups, setns() back. A netlink socket belongs to the namespace it was
 * made in, so it keeps hearing that namespace's events from here; poll() waits on all of them.
 * It is a static C program (not node) because setns() would move a whole node process and
 * its threads; this process is single-threaded and owns nothing else.
 *
 *   stdin:  "add PATH" / "del PATH", one a line (PATH: /run/netns/NAME or /proc/PID/ns/net)
 *   stdout: "ready"           after each batch of stdin lines is done (sockets bound: from then
 *                             on no event of those namespaces is missed)
 *           "host"            an event in the namespace this helper runs in
 *           "nsid N"          an event of a namespace the host numbers N (NETLINK_LISTEN_ALL_NSID)
 *           "ns PATH"         an event in the namespace opened from PATH
 *           "error PATH ERRNO" PATH could not be watched (e.g. its namespace is gone)
 * The same namespace (same inode) given by two paths is watched once, under its first path.
 * It ends when stdin closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* From <linux/netlink.h> and <linux/rtnetlink.h>, which musl-gcc does not see. */
struct nl_address {
  sa_family_t nl_family;
  unsigned short nl_pad;
  unsigned int nl_pid;
  unsigned int nl_groups;
};
#define NETLINK_ROUTE 0
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#define NETLINK_LISTEN_ALL_NSID 8
#define RTMGRP_LINK 0x1
#define RTMGRP_IPV4_IFADDR 0x10
#define RTMGRP_IPV4_ROUTE 0x40
#define RTMGRP_IPV6_IFADDR 0x100
#define RTMGRP_IPV6_ROUTE 0x400

#define MAX_WATCHED 4096
#define PATH_MAX_LEN 256

struct watched {
  int fd;
  dev_t dev;
  ino_t ino;
  char path[PATH_MAX_LEN];
};

static struct watched spaces[MAX_WATCHED];
static int nspaces;
static int home_ns = -1;

static const unsigned GROUPS = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;

static int rtnl_socket(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) return -1;
  struct nl_address sa = {.nl_family = AF_NETLINK, .nl_groups = GROUPS};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* A socket bound inside the namespace at path; back in our own namespace on return. */
static int socket_in(const char *path) {
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) return -1;
  if (setns(ns, CLONE_NEWNET) < 0) {
    int e = errno;
    close(ns);
    errno = e;
    return -1;
  }
  close(ns);
  int fd = rtnl_socket();
  int e = errno;
  if (setns(home_ns, CLONE_NEWNET) < 0) {
    /* cannot get home: every later socket would be made in the wrong place */
    perror("minictr-netwatch: setns back");
    exit(1);
  }
  errno = e;
  return fd;
}

static void add(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) {
    printf("error %s %d\n", path, errno);
    return;
  }
  for (int i = 0; i < nspaces; i++)
    if (spaces[i].dev == st.st_dev && spaces[i].ino == st.st_ino) return;
  if (nspaces == MAX_WATCHED || strlen(path) >= PATH_MAX_LEN) {
    printf("error %s %d\n", path, ENOSPC);
    return;
  }
  int fd = socket_in(path);
  if (fd < 0) {
    printf("error %s %d\n", path, errno);
    return;
  }
  struct watched *w = &spaces[nspaces++];
  w->fd = fd;
  w->dev = st.st_dev;
  w->ino = st.st_ino;
  strcpy(w->path, path);
}

static void del(const char *path) {
  for (int i = 0; i < nspaces; i++) {
    if (strcmp(spaces[i].path, path) != 0) continue;
    close(spaces[i].fd);
    spaces[i] = spaces[--nspaces];
    return;
  }
}

static void command(char *line) {
  size_t n = strlen(line);
  if (n && line[n - 1] == '\n') line[--n] = 0;
  if (!strncmp(line, "add ", 4)) add(line + 4);
  else if (!strncmp(line, "del ", 4)) del(line + 4);
}

/* Drain a socket; say "ns PATH" once if anything came (a burst is one line). */
static void drain(int fd, const char *path) {
  char buf[16384];
  int got = 0;
  for (;;) {
    ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r > 0) got = 1;
    else if (r < 0 && errno == EINTR) continue;
    else if (r < 0 && errno == ENOBUFS) got = 1; /* overrun: something changed all the same */
    else break;
  }
  if (got) printf("ns %s\n", path);
}

/* The host socket hears other namespaces too; each message's nsid is in its control data. */
static void drain_host(int fd) {
  char buf[16384], ctl[CMSG_SPACE(sizeof(int))];
  int said_host = 0;
  int said[64], nsaid = 0;
  for (;;) {
    struct iovec iov = {buf, sizeof buf};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    ssize_t r = recvmsg(fd, &mh, MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == ENOBUFS) {
      if (!said_host) printf("host\n");
      said_host = 1;
      continue;
    }
    if (r <= 0) break;
    int nsid = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
      if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID) memcpy(&nsid, CMSG_DATA(c), sizeof nsid);
    if (nsid < 0) {
      if (!said_host) printf("host\n");
      said_host = 1;
      continue;
    }
    int seen = 0;
    for (int i = 0; i < nsaid; i++) seen |= said[i] == nsid;
    if (seen) continue;
    if (nsaid < 64) said[nsaid++] = nsid;
    printf("nsid %d\n", nsid);
  }
}

int main(void) {
  home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home_ns < 0) {
    perror("minictr-netwatch: /proc/self/ns/net");
    return 1;
  }
  int host = rtnl_socket();
  int on = 1;
  if (host < 0 || setsockopt(host, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &on, sizeof on) < 0) {
    perror("minictr-netwatch: rtnetlink socket");
    return 1;
  }
  int bufsize = 1 << 20;
  setsockopt(host, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
  setvbuf(stdout, NULL, _IOLBF, 0);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);

  static struct pollfd pfd[MAX_WATCHED + 2];
  static char inbuf[65536];
  size_t inlen = 0;
  printf("ready\n");
  for (;;) {
    pfd[0] = (struct pollfd){.fd = 0, .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = host, .events = POLLIN};
    for (int i = 0; i < nspaces; i++) pfd[i + 2] = (struct pollfd){.fd = spaces[i].fd, .events = POLLIN};
    int n = nspaces;
    if (poll(pfd, (nfds_t)n + 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (pfd[1].revents) drain_host(host);
    for (int i = 0; i < n && i < nspaces; i++)
      if (pfd[i + 2].revents && pfd[i + 2].fd == spaces[i].fd) drain(spaces[i].fd, spaces[i].path);
    if (pfd[0].revents) {
      ssize_t r = read(0, inbuf + inlen, sizeof inbuf - 1 - inlen);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return 0;
      if (r > 0) {
        inlen += (size_t)r;
        inbuf[inlen] = 0;
        char *start = inbuf, *nl;
        while ((nl = strchr(start, '\n'))) {
          *nl = 0;
          command(start);
          start = nl + 1;
        }
        inlen = strlen(start);
        memmove(inbuf, start, inlen);
        if (inlen == sizeof inbuf - 1) inlen = 0; /* a line longer than the buffer: dropped */
        printf("ready\n");
      }
    }
  }
}
