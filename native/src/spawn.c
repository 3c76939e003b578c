/*
 * The parent's side of `run`: load minictr-init into a sealed memfd, clone the child into its
 * namespaces (and cgroup), then later release it and collect what it reports.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

/* minictr-init, copied into an anonymous, sealed file. PID 1 then runs from memory that
 * nothing can write: /proc/1/exe is "memfd:minictr-init", not a host binary the container
 * could overwrite (CVE-2019-5736). One copy per process is enough. */
int ctr_load_init(const char *path, int *out_fd) {
  static int cached = -1;
  if (cached >= 0) { *out_fd = cached; return 0; }
  int src = open(path, O_RDONLY | O_CLOEXEC);
  if (src < 0) return -1;
  struct stat st;
  if (fstat(src, &st) < 0) { close(src); return -1; }
  int mfd = memfd_create("minictr-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) { close(src); return -1; }
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
    if (n <= 0) { int e = errno; close(src); close(mfd); errno = n == 0 ? EIO : e; return -1; }
  }
  close(src);
  if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    int e = errno; close(mfd); errno = e; return -1;
  }
  cached = mfd;
  *out_fd = mfd;
  return 0;
}

/* "--pid --mount ..." for unshare(1) and "CLONE_NEWPID|CLONE_NEWNS|..." for clone3(2) */
static void describe_clone_flags(int flags, int into_cgroup, char *opts, char *names_out, size_t len) {
  static const struct { int flag; const char *opt, *name; } names[] = {
    { CLONE_NEWPID, "pid", "CLONE_NEWPID" }, { CLONE_NEWNS, "mount", "CLONE_NEWNS" },
    { CLONE_NEWUTS, "uts", "CLONE_NEWUTS" }, { CLONE_NEWIPC, "ipc", "CLONE_NEWIPC" },
    { CLONE_NEWNET, "net", "CLONE_NEWNET" }, { CLONE_NEWCGROUP, "cgroup", "CLONE_NEWCGROUP" },
    { CLONE_NEWUSER, "user", "CLONE_NEWUSER" },
  };
  size_t a = 0, b = 0;
  opts[0] = names_out[0] = '\0';
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (!(flags & names[i].flag)) continue;
    a += (size_t)snprintf(opts + a, len - a, " --%s", names[i].opt);
    b += (size_t)snprintf(names_out + b, len - b, "%s%s", b ? "|" : "", names[i].name);
    if (a >= len || b >= len) return;
  }
  if (into_cgroup) snprintf(names_out + b, len - b, "%sCLONE_INTO_CGROUP", b ? "|" : "");
}

int ctr_spawn(struct ctr_config *c, struct ctr_spawn_result *r) {
  int sv[2];
  memset(r, 0, sizeof *r);
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    r->err = errno;
    strcpy(r->step, "socketpair(AF_UNIX, SOCK_SEQPACKET)");
    return -1;
  }
  c->sync_fd = sv[1];
  ctr_explain_init(c->explain_fd, -1);
  ctr_explain_names(c->explain_names, c->n_explain_names);
  long pid = ctr_clone3(c->clone_flags, c->cgroup_fd);
  if (pid < 0 && c->cgroup_fd >= 0) {
    /* no clone3/CLONE_INTO_CGROUP here: clone plainly; the caller writes cgroup.procs */
    c->cgroup_fd = -1;
    pid = ctr_clone3(c->clone_flags, -1);
  }
  if (pid == 0) ctr_child_main(c);
  int e = errno;
  close(sv[1]);
  /* said after the fact, from the flags that worked: the child waits for "go" meanwhile */
  char opts[256], names[256];
  describe_clone_flags(c->clone_flags, c->cgroup_fd >= 0, opts, names, sizeof opts);
  if (pid > 0)
    ctr_explain("clone the container's first process into new namespaces", "unshare --fork%s  # clone3(%s)", opts, names);
  ctr_explain_names(NULL, 0); /* c's memory is freed once we return */
  if (pid < 0) {
    close(sv[0]);
    r->err = e;
    strcpy(r->step, "clone3(namespaces)");
    return -1;
  }
  r->pid = (pid_t)pid;
  r->sync_fd = sv[0];
  return 0;
}

/* Read the child's reports until the socket closes. It closes on a successful execve
 * (the child's end is close-on-exec), says READY (it waits on its exec fifo), or carries an
 * error: the step and its errno. */
int ctr_read_reports(int sync_fd, int *pty_master, pid_t *inner_pid, struct ctr_spawn_result *r) {
  for (;;) {
    struct ctr_msg m;
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    struct iovec iov = { .iov_base = &m, .iov_len = sizeof m };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    ssize_t n = recvmsg(sync_fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { r->err = errno; strcpy(r->step, "recvmsg(sync socket)"); return -1; }
    if (n == 0) return 0;
    if ((size_t)n < sizeof m) continue;
    if (m.type == CTR_MSG_ERROR) {
      r->err = m.err;
      memcpy(r->step, m.step, sizeof r->step);
      r->step[sizeof r->step - 1] = '\0';
      return -1;
    }
    if (m.type == CTR_MSG_READY) return 0; /* OCI create: set up, waiting for `start` */
    if (m.type == CTR_MSG_PAUSE) { /* run --step: waits for ctr_resume */
      memcpy(r->step, m.step, sizeof r->step);
      r->step[sizeof r->step - 1] = '\0';
      return 1;
    }
    if (m.type == CTR_MSG_PID && inner_pid) *inner_pid = (pid_t)m.err;
    if (m.type == CTR_MSG_PTY) {
      struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
      if (c && c->cmsg_type == SCM_RIGHTS && pty_master) memcpy(pty_master, CMSG_DATA(c), sizeof(int));
    }
  }
}

int ctr_start(int sync_fd, const char *state, int root_fd, int *pty_master, struct ctr_spawn_result *r) {
  char go[65536];
  size_t len = state ? strlen(state) : 0;
  if (len > sizeof go - 2) len = sizeof go - 2;
  go[0] = 'g';
  memcpy(go + 1, state ? state : "", len);
  /* one datagram: "go", the state, and the root mount when the parent made it (idmap.c) */
  if (ctr_sendmsg_fd(sync_fd, go, len + 1, root_fd) < 0) {
    r->err = errno;
    strcpy(r->step, "sendmsg(sync socket)");
    return -1;
  }
  return ctr_read_reports(sync_fd, pty_master, NULL, r);
}

int ctr_resume(int sync_fd, int *pty_master, struct ctr_spawn_result *r) {
  char b = CTR_RESUME;
  if (send(sync_fd, &b, 1, MSG_NOSIGNAL) != 1) {
    r->err = errno;
    strcpy(r->step, "send(sync socket)");
    return -1;
  }
  return ctr_read_reports(sync_fd, pty_master, NULL, r);
}
