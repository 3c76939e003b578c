/*
 * minictr-monitor: the keeper of detached containers (cf. containerd-shim, conmon): of one
 * (`run -d`) or of all the containers of one `run -d --replicas N` (as containerd's shim v2
 * keeps every container of a pod).
 *
 *   minictr-monitor [--ctl-fd N] CONTAINER...
 *   CONTAINER: --pid PID --log FILE --exit-file FILE [--out-fd N] [--err-fd N] [--stdin-fd N]
 *              [--health-interval-ms MS --health-arg A...] [--exit-arg A...]
 *
 * Each --pid starts the options of the next container. It is the parent of every container's
 * init: the addon forks it from node, clones the containers from it, then execs this small
 * static binary in its place, so it keeps the parent's right to waitpid() while using a few
 * hundred KiB instead of a copy of node (fewer still: it never touches its vDSO, see
 * read_clock, and has one log buffer, of which only pages used are touched). For each
 * container it:
 *   - copies its stdout/stderr (pipes, or a pty master sent on --ctl-fd: 4 bytes, the
 *     container's index in the argv, little-endian, with the fd) into --log as framed
 *     records: 1 byte stream (1 out, 2 err), 8 bytes time in ns, 4 bytes length
 *     (little-endian), then the bytes;
 *   - holds --stdin-fd open (run -di: the shell waits for input instead of seeing EOF);
 *   - with --health-arg, runs that command (`minictr health-probe ID`: it runs the check in
 *     the container and records it) MS after the start and then MS after each probe ended,
 *     one at a time; a probe still running when the container exits is killed;
 *   - when it exits, writes {"exitCode":N,"signal":S,"finishedAt":"..."} to --exit-file
 *     (atomically) and runs the --exit-arg command if given (run -d --rm: `minictr rm`;
 *     --restart: `minictr restart-policy`): as a child while other containers remain, exec'ed
 *     in its place for the last one, its stdout and stderr appended to on-exit.log beside
 *     the exit file (whatever fails there is not lost on /dev/null). It exits when the last
 *     container is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

/* clock_gettime(2) as the raw syscall, never libc's vDSO call: the kernel maps the vDSO in a
 * part of the address space of its own, far from the text and the stack, and the first call
 * into it faults in page tables for it alone (8-12 KiB, a third of this process's, kept as long
 * as the container runs; BENCHMARKS.md "Where a detached container's memory goes"). A syscall
 * per log record or health tick costs far less than that on every detached container. */
static void read_clock(clockid_t clock, struct timespec *ts) {
  if (syscall(SYS_clock_gettime, clock, ts) < 0) { ts->tv_sec = 0; ts->tv_nsec = 0; }
}

static long long now_ms(void) {
  struct timespec ts;
  read_clock(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define MAX_CMD_ARGS 64

/* One kept container. Its commands' arguments stay in argv: the index of the first
 * --health-arg / --exit-arg and how many (collected again only in the child that execs them). */
struct kept {
  pid_t pid;
  const char *exit_path;
  int log_fd, out_fd, err_fd, stdin_fd;
  int health_at, n_health, exit_at, n_exit;
  long long health_interval, next_probe;
  pid_t probe;
  int exited, status, gone;
};

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    len -= (size_t)n;
  }
}

/* One record's frame: the header, then the bytes read straight behind it (no second copy).
 * It lives on pump's stack: a 64 KiB .bss would add a mapping and a page for libc's own
 * variables behind it, and in main's frame every call would go below it, touching a deep page
 * for good; this way only a container that writes something touches those pages. */
#define FRAME_SIZE (13 + 65536)

/* Frames the len bytes already read into frame + 13 and appends them to the log. */
static void log_record(int log_fd, unsigned char *frame, int stream, size_t len) {
  struct timespec ts;
  read_clock(CLOCK_REALTIME, &ts);
  uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  uint32_t l = (uint32_t)len;
  frame[0] = (unsigned char)stream;
  for (int i = 0; i < 8; i++) frame[1 + i] = (unsigned char)(ns >> (8 * i));
  for (int i = 0; i < 4; i++) frame[9 + i] = (unsigned char)(l >> (8 * i));
  write_all(log_fd, frame, 13 + len); /* one write per record: readers never see half a header */
}

/* Returns 0 at EOF/EIO (the writer side is gone). */
static int pump(int fd, int log_fd, int stream) {
  unsigned char frame[FRAME_SIZE];
  ssize_t n = read(fd, frame + 13, FRAME_SIZE - 13);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
  if (n <= 0) return 0;
  log_record(log_fd, frame, stream, (size_t)n);
  return 1;
}

/* A pty master from node: returns the fd and sets *index (the container's), or -1 at EOF. */
static int recv_fd(int sock, uint32_t *index) {
  unsigned char b[4] = { 0 };
  struct iovec iov = { .iov_base = b, .iov_len = sizeof b };
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0) return -1;
  *index = n == 4 ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24 : 0;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -2;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static void write_exit_file(const char *path, int status) {
  char tmp[4096], body[256], when[64];
  struct timespec ts;
  read_clock(CLOCK_REALTIME, &ts);
  time_t now = ts.tv_sec;
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  int n = snprintf(body, sizeof body, "{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\"}\n", code, sig, when);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_all(fd, body, (size_t)n);
  fsync(fd);
  close(fd);
  rename(tmp, path);
}

/* The values of the n options named opt from argv[at] on (a --health-arg or --exit-arg list). */
static void collect(char **argv, int at, int n, const char *opt, char **out) {
  int k = 0;
  for (int i = at; argv[i] && argv[i + 1] && k < n; i += 2)
    if (!strcmp(argv[i], opt)) out[k++] = argv[i + 1];
  out[k] = NULL;
}

static sigset_t child_mask;

/* What a command run by the monitor starts with: no blocked or ignored signals of ours. */
static void exec_command(char **args) {
  signal(SIGPIPE, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  sigprocmask(SIG_UNBLOCK, &child_mask, NULL);
  execv(args[0], args);
}

/* An exit command's stdout and stderr: on-exit.log beside its --exit-file (the container's
 * dir), appended to, so that what fails there (`minictr restart-policy` that cannot even
 * report to the container's log: node failing to start) can be read; else they stay on our
 * /dev/null. */
static void output_to_exit_log(const char *exit_path) {
  char path[4096];
  const char *slash = strrchr(exit_path, '/');
  if (!slash || (size_t)(slash - exit_path) + sizeof "/on-exit.log" > sizeof path) return;
  memcpy(path, exit_path, (size_t)(slash - exit_path));
  strcpy(path + (slash - exit_path), "/on-exit.log");
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return;
  dup2(fd, 1);
  dup2(fd, 2);
  close(fd);
}

/* Fork and exec a kept container's command (its probe, or its exit command: exit_path set);
 * 0-2 are /dev/null (an exit command's 1-2 its on-exit.log) and every other fd of ours is
 * close-on-exec. */
static pid_t run_command(char **argv, int at, int n, const char *opt, const char *exit_path) {
  pid_t p = fork();
  if (p == 0) {
    char *args[MAX_CMD_ARGS + 1];
    collect(argv, at, n, opt, args);
    if (exit_path) output_to_exit_log(exit_path);
    exec_command(args);
    _exit(127);
  }
  return p < 0 ? 0 : p;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void set_cloexec(int fd) {
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* After the exit, only what is already buffered is copied (whatever still holds a write end,
 * the container is gone). */
static void drain(struct kept *k) {
  for (;;) {
    struct pollfd p[2];
    int n = 0;
    if (k->out_fd >= 0) { p[n].fd = k->out_fd; p[n].events = POLLIN; n++; }
    if (k->err_fd >= 0) { p[n].fd = k->err_fd; p[n].events = POLLIN; n++; }
    if (n == 0 || poll(p, (nfds_t)n, 0) <= 0) return;
    for (int i = 0; i < n; i++) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) continue;
      int *fd = p[i].fd == k->out_fd ? &k->out_fd : &k->err_fd;
      if (!pump(*fd, k->log_fd, fd == &k->out_fd ? 1 : 2)) close_fd(fd);
    }
  }
}

static int parse(int argc, char **argv, struct kept *k, int *ctl_fd) {
  int n = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *o = argv[i], *v = argv[i + 1];
    if (!strcmp(o, "--ctl-fd")) { *ctl_fd = atoi(v); continue; }
    if (!strcmp(o, "--pid")) {
      n++;
      memset(&k[n], 0, sizeof k[n]);
      k[n].pid = (pid_t)atoi(v);
      k[n].log_fd = k[n].out_fd = k[n].err_fd = k[n].stdin_fd = -1;
      continue;
    }
    if (n < 0) return -1;
    struct kept *c = &k[n];
    if (!strcmp(o, "--log")) c->log_fd = open(v, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    else if (!strcmp(o, "--exit-file")) c->exit_path = v;
    else if (!strcmp(o, "--out-fd")) c->out_fd = atoi(v);
    else if (!strcmp(o, "--err-fd")) c->err_fd = atoi(v);
    else if (!strcmp(o, "--stdin-fd")) c->stdin_fd = atoi(v);
    else if (!strcmp(o, "--health-interval-ms")) c->health_interval = atoll(v);
    else if (!strcmp(o, "--health-arg")) { if (!c->n_health++) c->health_at = i; }
    else if (!strcmp(o, "--exit-arg")) { if (!c->n_exit++) c->exit_at = i; }
    else return -1;
  }
  for (int i = 0; i <= n; i++) {
    if (k[i].pid <= 0 || !k[i].exit_path || k[i].log_fd < 0 || k[i].n_health > MAX_CMD_ARGS || k[i].n_exit > MAX_CMD_ARGS) return -1;
    if (k[i].health_interval <= 0) k[i].n_health = 0;
  }
  return n + 1;
}

int main(int argc, char **argv) {
  int n = 0, ctl_fd = -1;
  for (int i = 1; i < argc; i++) if (!strcmp(argv[i], "--pid")) n++;
  struct kept k[n > 0 ? n : 1];
  if (n == 0 || parse(argc, argv, k, &ctl_fd) != n) {
    fprintf(stderr, "usage: minictr-monitor [--ctl-fd N] --pid PID --log FILE --exit-file FILE [...] [--pid ...]\n");
    return 2;
  }
  /* the fds handed over by the addon stay ours: no probe or exit command inherits them */
  set_cloexec(ctl_fd);
  for (int i = 0; i < n; i++) { set_cloexec(k[i].out_fd); set_cloexec(k[i].err_fd); set_cloexec(k[i].stdin_fd); }

  sigemptyset(&child_mask);
  sigaddset(&child_mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child_mask, NULL);
  int sfd = signalfd(-1, &child_mask, SFD_CLOEXEC);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);

  long long start = now_ms();
  for (int i = 0; i < n; i++) k[i].next_probe = start + k[i].health_interval;

  int left = n, last_exit = -1;
  struct pollfd p[2 + 2 * n];
  int owner[2 + 2 * n];
  while (left > 0) {
    long long now = now_ms();
    int wait_ms = -1;
    for (int i = 0; i < n; i++) {
      struct kept *c = &k[i];
      if (c->gone || c->exited || !c->n_health || c->probe) continue;
      if (now >= c->next_probe) {
        c->probe = run_command(argv, c->health_at, c->n_health, "--health-arg", NULL);
        if (!c->probe) c->next_probe = now + c->health_interval;
        continue;
      }
      long long d = c->next_probe - now;
      if (wait_ms < 0 || d < wait_ms) wait_ms = (int)d;
    }
    int m = 0;
    p[m].fd = sfd; p[m].events = POLLIN; owner[m++] = -1;
    if (ctl_fd >= 0) { p[m].fd = ctl_fd; p[m].events = POLLIN; owner[m++] = -1; }
    for (int i = 0; i < n; i++) {
      if (k[i].out_fd >= 0) { p[m].fd = k[i].out_fd; p[m].events = POLLIN; owner[m++] = i; }
      if (k[i].err_fd >= 0) { p[m].fd = k[i].err_fd; p[m].events = POLLIN; owner[m++] = i; }
    }
    int rc = poll(p, (nfds_t)m, wait_ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) continue; /* a health probe is due */
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) < 0) { /* spurious */ }
      pid_t w;
      int st;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        for (int i = 0; i < n; i++) {
          if (w == k[i].pid && !k[i].gone) { k[i].exited = 1; k[i].status = st; }
          else if (w == k[i].probe) { k[i].probe = 0; k[i].next_probe = now_ms() + k[i].health_interval; }
        }
        /* else an exit command run for a container gone earlier */
      }
    }
    for (int j = 1; j < m; j++) {
      if (!(p[j].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) continue;
      if (owner[j] < 0) {
        uint32_t i = 0;
        int fd = recv_fd(ctl_fd, &i);
        if (fd == -1) close_fd(&ctl_fd); /* node is done with every container */
        else if (fd >= 0 && (i >= (uint32_t)n || k[i].out_fd >= 0 || k[i].gone)) close(fd);
        else if (fd >= 0) k[i].out_fd = fd; /* the pty master: output of a -t container */
        continue;
      }
      struct kept *c = &k[owner[j]];
      int *fd = p[j].fd == c->out_fd ? &c->out_fd : &c->err_fd;
      if (*fd == p[j].fd && !pump(*fd, c->log_fd, fd == &c->out_fd ? 1 : 2)) close_fd(fd);
    }
    for (int i = 0; i < n; i++) {
      struct kept *c = &k[i];
      if (!c->exited || c->gone) continue;
      drain(c);
      if (c->probe > 0) { kill(c->probe, SIGKILL); while (waitpid(c->probe, NULL, 0) < 0 && errno == EINTR) {} c->probe = 0; }
      write_exit_file(c->exit_path, c->status);
      close_fd(&c->log_fd); close_fd(&c->out_fd); close_fd(&c->err_fd); close_fd(&c->stdin_fd);
      c->gone = 1;
      left--;
      if (c->n_exit && left == 0) last_exit = i;
      else if (c->n_exit) run_command(argv, c->exit_at, c->n_exit, "--exit-arg", c->exit_path);
    }
  }
  if (last_exit >= 0) {
    /* the last one's command in this process's place, as a lone container's always was */
    char *args[MAX_CMD_ARGS + 1];
    collect(argv, k[last_exit].exit_at, k[last_exit].n_exit, "--exit-arg", args);
    output_to_exit_log(k[last_exit].exit_path);
    exec_command(args);
  }
  return 0;
}
