/*
 * `run -d`: the container must outlive minictr, and someone must still wait for it, keep its
 * output and record how it ended. That someone is minictr-monitor (native/monitor/monitor.c).
 *
 * Node forks P; P forks M and exits at once (so M is not node's child and node never collects
 * a zombie for it); M clones the container exactly as `run` does (ctr_spawn), hands the sync
 * socket up to node, and execs minictr-monitor, which stays the container's parent. After the
 * exec M is a small static program, not a copy of node.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int send_pid_and_fd(int sock, pid_t pid, int fd) {
  struct ctr_msg m;
  memset(&m, 0, sizeof m);
  m.type = CTR_MSG_PID;
  m.err = (int)pid;
  return ctr_sendmsg_fd(sock, &m, sizeof m, fd);
}

static void clear_cloexec(int fd) {
  if (fd >= 0) fcntl(fd, F_SETFD, 0);
}

/* In M: clone the container, report to node, become the monitor. Never returns. */
static void monitor_main(struct ctr_config *c, struct ctr_detach *d, int sock, int out_r, int err_r, int in_w) {
  setsid();
  struct ctr_spawn_result r;
  if (ctr_spawn(c, &r) < 0) {
    struct ctr_msg m;
    memset(&m, 0, sizeof m);
    m.type = CTR_MSG_ERROR;
    m.err = r.err;
    memcpy(m.step, r.step, sizeof m.step);
    send(sock, &m, sizeof m, MSG_NOSIGNAL);
    _exit(125);
  }
  /* the container has its ends of the pipes; ours are the read ends (and stdin's write end) */
  for (int i = 0; i < 3; i++)
    if (c->stdio[i] > 2) close(c->stdio[i]);
  if (send_pid_and_fd(sock, r.pid, r.sync_fd) < 0) _exit(125);
  close(r.sync_fd);

  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) { dup2(devnull, 0); dup2(devnull, 1); dup2(devnull, 2); if (devnull > 2) close(devnull); }
  int keep[] = { out_r, err_r, in_w, sock };
  ctr_close_fds_except(keep, 4, 3);
  for (int i = 0; i < 4; i++) clear_cloexec(keep[i]);

  char pid_s[16], out_s[16], err_s[16], in_s[16], ctl_s[16], hi_s[24];
  snprintf(pid_s, sizeof pid_s, "%d", (int)r.pid);
  snprintf(out_s, sizeof out_s, "%d", out_r);
  snprintf(err_s, sizeof err_s, "%d", err_r);
  snprintf(in_s, sizeof in_s, "%d", in_w);
  snprintf(ctl_s, sizeof ctl_s, "%d", sock);
  char *argv[64 + 64];
  int n = 0;
  argv[n++] = "minictr-monitor";
  argv[n++] = "--pid"; argv[n++] = pid_s;
  argv[n++] = "--log"; argv[n++] = d->log_path;
  argv[n++] = "--exit-file"; argv[n++] = d->exit_path;
  argv[n++] = "--out-fd"; argv[n++] = out_s;
  argv[n++] = "--err-fd"; argv[n++] = err_s;
  argv[n++] = "--stdin-fd"; argv[n++] = in_s;
  argv[n++] = "--ctl-fd"; argv[n++] = ctl_s;
  if (d->health_probe && d->health_probe[0]) {
    snprintf(hi_s, sizeof hi_s, "%lld", (long long)d->health_interval_ms);
    argv[n++] = "--health-interval-ms"; argv[n++] = hi_s;
    for (int i = 0; d->health_probe[i] && n < 64 - 2; i++) { argv[n++] = "--health-arg"; argv[n++] = d->health_probe[i]; }
  }
  if (d->on_exit && d->on_exit[0]) {
    argv[n++] = "--";
    for (int i = 0; d->on_exit[i] && n < 64 + 63; i++) argv[n++] = d->on_exit[i];
  }
  argv[n] = NULL;
  char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
  execve(d->monitor_path, argv, envp);
  _exit(127);
}

int ctr_spawn_detached(struct ctr_config *c, struct ctr_detach *d, struct ctr_spawn_result *r, pid_t *monitor_pid, int *ctl_fd) {
  memset(r, 0, sizeof *r);
  int sv[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, in[2] = { -1, -1 };
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
      (!c->tty && (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)) ||
      (d->keep_stdin && pipe2(in, O_CLOEXEC) < 0)) {
    r->err = errno;
    strcpy(r->step, "pipe/socketpair for the monitor");
    return -1;
  }
  if (!c->tty) { c->stdio[1] = out[1]; c->stdio[2] = err[1]; }
  if (d->keep_stdin) c->stdio[0] = in[0];
  c->die_with_parent = 0;

  long p = ctr_clone3(0, -1);
  if (p == 0) {
    close(sv[0]);
    long m = ctr_clone3(0, -1);
    if (m == 0) monitor_main(c, d, sv[1], out[0], err[0], in[1]);
    _exit(m < 0 ? 125 : 0);
  }
  int e = errno;
  close(sv[1]);
  int ends[] = { out[0], out[1], err[0], err[1], in[0], in[1] };
  for (int i = 0; i < 6; i++) if (ends[i] >= 0) close(ends[i]);
  if (p < 0) { close(sv[0]); r->err = e; strcpy(r->step, "fork(monitor)"); return -1; }
  int st;
  while (waitpid((pid_t)p, &st, 0) < 0 && errno == EINTR) {}

  struct ctr_msg msg;
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  struct iovec iov = { .iov_base = &msg, .iov_len = sizeof msg };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t n;
  while ((n = recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {}
  if (n < (ssize_t)sizeof msg) {
    close(sv[0]); r->err = n < 0 ? errno : EPIPE; strcpy(r->step, "start the monitor"); return -1;
  }
  if (msg.type == CTR_MSG_ERROR) {
    close(sv[0]); r->err = msg.err; memcpy(r->step, msg.step, sizeof r->step); return -1;
  }
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) { close(sv[0]); r->err = EPROTO; strcpy(r->step, "monitor handshake"); return -1; }
  memcpy(&r->sync_fd, CMSG_DATA(cm), sizeof(int));
  r->pid = (pid_t)msg.err;
  *monitor_pid = 0; /* reparented to init: node does not own it */
  *ctl_fd = sv[0];
  return 0;
}

int ctr_send_fd(int sock, int fd) {
  char byte = 'f';
  return ctr_sendmsg_fd(sock, &byte, 1, fd);
}
