/*
 * minictr-monitor: the keeper of one detached container (cf. containerd-shim, conmon).
 *
 *   minictr-monitor --pid PID --log FILE --exit-file FILE [--out-fd N] [--err-fd N]
 *                   [--stdin-fd N] [--ctl-fd N] [--health-interval-ms MS --health-arg A...]
 *                   [-- CMD...]
 *
 * It is the container init's parent: the addon forks it from node, clones the container from
 * it, then execs this small static binary in its place, so it keeps the parent's right to
 * waitpid() while using a few hundred KiB instead of a copy of node (fewer still: it never touches
 * its vDSO, see read_clock, and has one log buffer, of which only pages used are touched). It:
 *   - copies the container's stdout/stderr (pipes, or a pty master sent on --ctl-fd) into
 *     --log as framed records: 1 byte stream (1 out, 2 err), 8 bytes time in ns, 4 bytes
 *     length (little-endian), then the bytes;
 *   - holds --stdin-fd open (run -di: the shell waits for input instead of seeing EOF);
 *   - with --health-arg, runs that command (`minictr health-probe ID`: it runs the check in
 *     the container and records the result) MS after the start and then MS after each probe
 *     ended, one at a time; a probe still running when the container exits is killed;
 *   - when the container exits, writes {"exitCode":N,"signal":S,"finishedAt":"..."} to
 *     --exit-file (atomically) and, if CMD is given, execs it (run -d --rm: `minictr rm`).
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

static int log_fd = -1;

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

#define MAX_HEALTH_ARGS 24

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
static void log_record(unsigned char *frame, int stream, size_t len) {
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
static int pump(int fd, int stream) {
  unsigned char frame[FRAME_SIZE];
  ssize_t n = read(fd, frame + 13, FRAME_SIZE - 13);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
  if (n <= 0) return 0;
  log_record(frame, stream, (size_t)n);
  return 1;
}

static int recv_fd(int sock) {
  char byte;
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
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

int main(int argc, char **argv) {
  pid_t pid = 0;
  const char *log_path = NULL, *exit_path = NULL;
  int out_fd = -1, err_fd = -1, stdin_fd = -1, ctl_fd = -1, cmd = -1;
  char *health[MAX_HEALTH_ARGS + 1];
  int n_health = 0;
  long long health_interval = 0;
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(argv[i], "--")) { cmd = i + 1; break; }
    if (!v) break;
    if (!strcmp(argv[i], "--pid")) pid = (pid_t)atoi(v);
    else if (!strcmp(argv[i], "--log")) log_path = v;
    else if (!strcmp(argv[i], "--exit-file")) exit_path = v;
    else if (!strcmp(argv[i], "--out-fd")) out_fd = atoi(v);
    else if (!strcmp(argv[i], "--err-fd")) err_fd = atoi(v);
    else if (!strcmp(argv[i], "--stdin-fd")) stdin_fd = atoi(v);
    else if (!strcmp(argv[i], "--ctl-fd")) ctl_fd = atoi(v);
    else if (!strcmp(argv[i], "--health-interval-ms")) health_interval = atoll(v);
    else if (!strcmp(argv[i], "--health-arg")) { if (n_health < MAX_HEALTH_ARGS) health[n_health++] = argv[i + 1]; }
    else continue;
    i++;
  }
  if (pid <= 0 || !log_path || !exit_path) {
    fprintf(stderr, "usage: minictr-monitor --pid PID --log FILE --exit-file FILE [...]\n");
    return 2;
  }
  (void)stdin_fd; /* held open on purpose, never read */
  log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (log_fd < 0) return 1;

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);

  health[n_health] = NULL;
  if (health_interval <= 0) n_health = 0;
  pid_t probe = 0;
  long long next_probe = now_ms() + health_interval;

  int exited = 0, status = 0;
  for (;;) {
    if (n_health && !exited && !probe && now_ms() >= next_probe) {
      probe = fork();
      if (probe == 0) {
        /* 0-2 are /dev/null; the container's pipes and the control socket stay ours */
        int fds[] = { out_fd, err_fd, stdin_fd, ctl_fd };
        for (int i = 0; i < 4; i++) if (fds[i] > 2) close(fds[i]);
        sigprocmask(SIG_UNBLOCK, &mask, NULL);
        execv(health[0], health);
        _exit(127);
      }
      if (probe < 0) { probe = 0; next_probe = now_ms() + health_interval; }
    }
    int wait_ms = -1;
    if (n_health && !probe) { long long d = next_probe - now_ms(); wait_ms = d < 0 ? 0 : (int)d; }
    struct pollfd p[4];
    int n = 0, i_out = -1, i_err = -1, i_ctl = -1;
    p[n].fd = sfd; p[n].events = POLLIN; n++;
    if (out_fd >= 0) { i_out = n; p[n].fd = out_fd; p[n].events = POLLIN; n++; }
    if (err_fd >= 0) { i_err = n; p[n].fd = err_fd; p[n].events = POLLIN; n++; }
    if (ctl_fd >= 0) { i_ctl = n; p[n].fd = ctl_fd; p[n].events = POLLIN; n++; }
    /* after the exit, only drain what is already buffered */
    int rc = poll(p, (nfds_t)n, exited ? 0 : wait_ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0 && !exited) continue; /* the next health probe is due */
    if (rc <= 0 && exited) break;
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) < 0) { /* spurious */ }
      pid_t w;
      int st;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w == pid) { exited = 1; status = st; }
        else if (w == probe) { probe = 0; next_probe = now_ms() + health_interval; }
      }
    }
    if (i_out >= 0 && (p[i_out].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(out_fd, 1)) { close(out_fd); out_fd = -1; }
    if (i_err >= 0 && (p[i_err].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(err_fd, 2)) { close(err_fd); err_fd = -1; }
    if (i_ctl >= 0 && (p[i_ctl].revents & (POLLIN | POLLHUP | POLLERR))) {
      int fd = recv_fd(ctl_fd);
      if (fd >= 0 && out_fd < 0) out_fd = fd; /* the pty master: output of a -t container */
      close(ctl_fd);
      ctl_fd = -1;
    }
    if (exited && out_fd < 0 && err_fd < 0) break;
  }
  if (probe > 0) { kill(probe, SIGKILL); while (waitpid(probe, NULL, 0) < 0 && errno == EINTR) {} }
  write_exit_file(exit_path, status);
  close(log_fd);
  if (cmd > 0 && cmd < argc) {
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) { dup2(devnull, 0); dup2(devnull, 1); dup2(devnull, 2); }
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
    execv(argv[cmd], argv + cmd);
  }
  return 0;
}
