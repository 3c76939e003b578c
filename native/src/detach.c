/*
 * `run -d`: the containers must outlive minictr, and someone must still wait for them, keep
 * their output and record how they ended. That someone is minictr-monitor
 * (native/monitor/monitor.c): one for a `run -d`, one for all N of a `run -d --replicas N`
 * (each container costs a monitor's ~70 KiB less than with one monitor each).
 *
 * Node forks P; P forks M and exits at once (so M is not node's child and node never collects
 * a zombie for it); M clones the containers exactly as `run` does (ctr_spawn), each with its
 * own config, cgroup, stdio pipes and sync socket, hands each sync socket up to node, and
 * execs minictr-monitor, which stays the parent of them all. After the exec M is a small
 * static program, not a copy of node.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The most arguments one container adds to the monitor's argv (the 7 fixed options, and its
 * health probe's and exit command's, CTR_DETACH_MAX_ARGS each, as pairs). */
#define MONITOR_ARGS_PER_CONTAINER (2 * (8 + 2 * CTR_DETACH_MAX_ARGS))

/* The monitor's ends of one container's pipes: stdout/stderr read ends, stdin's write end. */
struct monitor_ends { int out_r, err_r, in_w; };

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

/* In M: a container could not be cloned; the ones already cloned (waiting for "go") go too. */
static void fail_group(int sock, struct ctr_spawn_result *r, const pid_t *pids, int n) {
  for (int i = 0; i < n; i++) kill(pids[i], SIGKILL);
  for (int i = 0; i < n; i++) while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR) {}
  struct ctr_msg m;
  memset(&m, 0, sizeof m);
  m.type = CTR_MSG_ERROR;
  m.err = r->err;
  memcpy(m.step, r->step, sizeof m.step);
  send(sock, &m, sizeof m, MSG_NOSIGNAL);
  _exit(125);
}

/* In M: clone the n containers, report each to node, become their monitor. Never returns.
 * No malloc between node's fork and the exec: everything here is on the stack. */
static void monitor_main(struct ctr_config *cs, struct ctr_detach *ds, int n, int sock, const struct monitor_ends *ends) {
  setsid();
  pid_t pids[n];
  for (int i = 0; i < n; i++) {
    struct ctr_spawn_result r;
    if (ctr_spawn(&cs[i], &r) < 0) fail_group(sock, &r, pids, i);
    pids[i] = r.pid;
    /* the container has its ends of the pipes; ours are the read ends (and stdin's write end) */
    for (int s = 0; s < 3; s++)
      if (cs[i].stdio[s] > 2) close(cs[i].stdio[s]);
    if (send_pid_and_fd(sock, r.pid, r.sync_fd) < 0) _exit(125);
    close(r.sync_fd);
  }

  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) { dup2(devnull, 0); dup2(devnull, 1); dup2(devnull, 2); if (devnull > 2) close(devnull); }
  int keep[3 * n + 1], nk = 0;
  keep[nk++] = sock;
  for (int i = 0; i < n; i++) {
    const int e[3] = { ends[i].out_r, ends[i].err_r, ends[i].in_w };
    for (int j = 0; j < 3; j++) if (e[j] >= 0) keep[nk++] = e[j];
  }
  ctr_close_fds_except(keep, (size_t)nk, 3);
  for (int i = 0; i < nk; i++) clear_cloexec(keep[i]);

  char nums[n + 1][5][24];
  char *argv[3 + n * MONITOR_ARGS_PER_CONTAINER + 1];
  int a = 0;
  argv[a++] = "minictr-monitor";
  snprintf(nums[n][0], sizeof nums[n][0], "%d", sock);
  argv[a++] = "--ctl-fd"; argv[a++] = nums[n][0];
  for (int i = 0; i < n; i++) {
    struct ctr_detach *d = &ds[i];
    char (*s)[24] = nums[i];
    snprintf(s[0], sizeof s[0], "%d", (int)pids[i]);
    argv[a++] = "--pid"; argv[a++] = s[0];
    argv[a++] = "--log"; argv[a++] = d->log_path;
    argv[a++] = "--exit-file"; argv[a++] = d->exit_path;
    const int fds[3] = { ends[i].out_r, ends[i].err_r, ends[i].in_w };
    const char *opts[3] = { "--out-fd", "--err-fd", "--stdin-fd" };
    for (int j = 0; j < 3; j++) {
      if (fds[j] < 0) continue;
      snprintf(s[1 + j], sizeof s[1 + j], "%d", fds[j]);
      argv[a++] = (char *)opts[j]; argv[a++] = s[1 + j];
    }
    if (d->health_probe && d->health_probe[0]) {
      snprintf(s[4], sizeof s[4], "%lld", (long long)d->health_interval_ms);
      argv[a++] = "--health-interval-ms"; argv[a++] = s[4];
      for (int j = 0; d->health_probe[j] && j < CTR_DETACH_MAX_ARGS; j++) { argv[a++] = "--health-arg"; argv[a++] = d->health_probe[j]; }
    }
    for (int j = 0; d->on_exit && d->on_exit[j] && j < CTR_DETACH_MAX_ARGS; j++) { argv[a++] = "--exit-arg"; argv[a++] = d->on_exit[j]; }
  }
  argv[a] = NULL;
  char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
  execve(ds[0].monitor_path, argv, envp);
  _exit(127);
}

static void close_all(int *fds, int n) {
  for (int i = 0; i < n; i++) if (fds[i] >= 0) { close(fds[i]); fds[i] = -1; }
}

int ctr_spawn_detached(struct ctr_config *cs, struct ctr_detach *ds, int n, struct ctr_spawn_result *rs, int *ctl_fd) {
  memset(rs, 0, sizeof *rs * (size_t)n);
  *ctl_fd = -1;
  int sv[2] = { -1, -1 };
  /* per container: stdout's, stderr's and stdin's pipe, [0] read end, [1] write end */
  int *pipes = malloc(sizeof(int) * 6 * (size_t)n);
  struct monitor_ends *ends = malloc(sizeof *ends * (size_t)n);
  if (!pipes || !ends) { free(pipes); free(ends); rs[0].err = ENOMEM; strcpy(rs[0].step, "allocate the monitor's pipes"); return -1; }
  for (int i = 0; i < 6 * n; i++) pipes[i] = -1;
  int failed = socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0;
  for (int i = 0; i < n && !failed; i++) {
    int *p = pipes + 6 * i;
    struct ctr_config *c = &cs[i];
    failed = (!c->tty && (pipe2(p, O_CLOEXEC) < 0 || pipe2(p + 2, O_CLOEXEC) < 0)) || (ds[i].keep_stdin && pipe2(p + 4, O_CLOEXEC) < 0);
    if (failed) break;
    if (!c->tty) { c->stdio[1] = p[1]; c->stdio[2] = p[3]; }
    if (ds[i].keep_stdin) c->stdio[0] = p[4];
    c->die_with_parent = 0;
    ends[i] = (struct monitor_ends){ p[0], p[2], p[5] };
  }
  if (failed) {
    rs[0].err = errno;
    close_all(sv, 2); close_all(pipes, 6 * n); free(pipes); free(ends);
    strcpy(rs[0].step, "pipe/socketpair for the monitor");
    return -1;
  }

  long p = ctr_clone3(0, -1);
  if (p == 0) {
    close(sv[0]);
    long m = ctr_clone3(0, -1);
    if (m == 0) monitor_main(cs, ds, n, sv[1], ends);
    _exit(m < 0 ? 125 : 0);
  }
  int e = errno;
  close(sv[1]);
  close_all(pipes, 6 * n);
  free(pipes); free(ends);
  if (p < 0) { close(sv[0]); rs[0].err = e; strcpy(rs[0].step, "fork(monitor)"); return -1; }
  int st;
  while (waitpid((pid_t)p, &st, 0) < 0 && errno == EINTR) {}

  for (int i = 0; i < n; i++) {
    struct ctr_msg msg;
    int fd = -1;
    ssize_t got;
    while ((got = ctr_recvmsg_fd(sv[0], &msg, sizeof msg, &fd)) < 0 && errno == EINTR) {}
    if (got >= (ssize_t)sizeof msg && msg.type == CTR_MSG_PID && fd >= 0) { rs[i].sync_fd = fd; rs[i].pid = (pid_t)msg.err; continue; }
    struct ctr_spawn_result *r = &rs[0];
    if (got >= (ssize_t)sizeof msg && msg.type == CTR_MSG_ERROR) { r->err = msg.err; memcpy(r->step, msg.step, sizeof r->step); }
    else { r->err = got < 0 ? errno : got < (ssize_t)sizeof msg ? EPIPE : EPROTO; strcpy(r->step, got < (ssize_t)sizeof msg ? "start the monitor" : "monitor handshake"); }
    /* M has killed the containers it cloned: their sync sockets are of no use */
    if (fd >= 0) close(fd);
    for (int j = 0; j < i; j++) close(rs[j].sync_fd);
    close(sv[0]);
    return -1;
  }
  *ctl_fd = sv[0];
  return 0;
}

int ctr_send_fd(int sock, int fd, uint32_t index) {
  const unsigned char b[4] = { (unsigned char)index, (unsigned char)(index >> 8), (unsigned char)(index >> 16), (unsigned char)(index >> 24) };
  return ctr_sendmsg_fd(sock, b, sizeof b, fd);
}
