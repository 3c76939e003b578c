/*
 * The cleaner: what a `run --rm` leaves to be done once its exit status is known, by ONE
 * detached process that the command does not wait for (the user no longer does): the release
 * of its network port (a netns-many.c program: the port's nft elements, whose delete waits
 * for an RCU grace period, its host end, its address lease, in that order), then the removal
 * of its directory, which retireContainerFiles (store.ts) has renamed out of the store.
 *
 *   cleanAfterExit(program: Buffer | null, dir: string | null) -> undefined
 *     returns once the cleaner is started, not when it is done; what it fails is not
 *     reported. A crash or kill -9 at any point is still cleaned by the next command: the dir
 *     is a temp dir of a dead process (sweepStaleTemp: system prune, pull, import), a lease
 *     whose container is gone is freed by system prune.
 *
 * The cleaner is a grandchild of node, not JavaScript: node's main thread makes a vfork-style
 * child (CLONE_VM | CLONE_VFORK: no copy of node's page tables, node waits the few
 * microseconds until it exits), which forks the cleaner (one copy) and exits, so node has no
 * child left to reap (no zombie) and the cleaner is reparented to init. The cleaner is in a
 * session of its own, holds none of node's fds (a pipe a caller reads to EOF would wait for
 * it), has every signal at its default, and calls nothing that may take a lock another of
 * node's threads held at the fork (no malloc, no stdio, no opendir: getdents64 on a stack
 * buffer).
 *
 * The removal never follows a symlink and never crosses a mount: the upper dir is the
 * container's own data and may hold symlinks to host files (or, as a dir's name, to host
 * dirs) and mount points. Each dir is opened O_NOFOLLOW | O_DIRECTORY from its parent's fd,
 * and entered only when it is on the tree's own mount (statx's mount id: a bind mount of the
 * same file system has the same st_dev); entries are removed with unlinkat from that fd. A
 * dir it cannot enter, or deeper than CL_MAX_DEPTH levels, is left, and so are its parents:
 * the sweep finds them.
 */
#include "addon.h"
#include "minictr.h"

#include <dirent.h> /* DT_* */
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

/* One open dir per level: a tree deeper than this is left to the sweep (it needs fds too). */
#define CL_MAX_DEPTH 512
/* The stack the vfork-style child runs on, and the cleaner after it (a copy): the removal's
 * frames, a getdents buffer of CL_DENTS each. Reserved, not touched: only the used pages cost. */
#define CL_DENTS 2048
#define CL_STACK (CL_MAX_DEPTH * (CL_DENTS + 512) + (256 << 10))

struct cl_job {
  const char *prog; /* a netns-many.c program, or NULL */
  size_t len;
  const char *dir;  /* the retired container dir, or NULL */
};

struct cl_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* The mount a file is on: statx's mount id, or its st_dev where the kernel gives no mount
 * id (before 5.8: a bind mount of the same file system is then not told apart). */
static int cl_mount_of(int fd, uint64_t *mnt, uint64_t *dev) {
  struct statx stx;
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MNT_ID, &stx) < 0) return -1;
  if (!S_ISDIR(stx.stx_mode)) { errno = ENOTDIR; return -1; }
  *mnt = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
  *dev = ((uint64_t)stx.stx_dev_major << 32) | stx.stx_dev_minor;
  return 0;
}

/* Removes everything in the dir open as dfd (on mount mnt, device dev), then closes dfd:
 * 0, or -1 when something is left. */
static int cl_empty(int dfd, uint64_t mnt, uint64_t dev, int depth) {
  char buf[CL_DENTS] __attribute__((aligned(8)));
  int left = 0;
  for (;;) {
    long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) { if (n < 0) left = 1; break; }
    for (long off = 0; off < n;) {
      struct cl_dirent64 *e = (struct cl_dirent64 *)(buf + off);
      off += e->d_reclen;
      const char *name = e->d_name;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      /* a file, a symlink, a device or a whiteout: the name goes, what it points at stays
       * (DT_UNKNOWN: tried as a name first, EISDIR when it is a dir) */
      if (e->d_type != DT_DIR) {
        if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT) continue;
        if (errno != EISDIR) { left = 1; continue; }
      }
      if (depth >= CL_MAX_DEPTH) { left = 1; continue; }
      /* O_NOFOLLOW: a symlink put where a dir was is not followed (ELOOP: left) */
      int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        if (errno != ENOENT) left = 1;
        continue;
      }
      uint64_t smnt, sdev;
      if (cl_mount_of(sub, &smnt, &sdev) < 0 || smnt != mnt || sdev != dev) {
        close(sub); /* a mount point: not entered, and it stays (rmdir would fail: EBUSY) */
        left = 1;
        continue;
      }
      if (cl_empty(sub, mnt, dev, depth + 1) < 0) { left = 1; continue; }
      if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) left = 1;
    }
  }
  close(dfd);
  return left ? -1 : 0;
}

int ctr_remove_tree(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  uint64_t mnt, dev;
  if (cl_mount_of(fd, &mnt, &dev) < 0) { close(fd); return -1; }
  if (cl_empty(fd, mnt, dev, 0) < 0) return -1;
  if (rmdir(path) < 0 && errno != ENOENT) return -1;
  return 0;
}

/* The cleaner itself: never returns. */
static void cl_run(const struct cl_job *j) {
  setsid();
  ctr_reset_signals(); /* node's ignored and blocked signals are not the cleaner's */
  prctl(PR_SET_NAME, "minictr-clean", 0, 0, 0);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); }
  ctr_close_range(3, ~0U, 0);
  /* node's soft limit (1024) would cap the removal's depth before CL_MAX_DEPTH */
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max && nofile.rlim_cur < CL_MAX_DEPTH + 64) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  int failed = 0;
  if (j->prog && ctr_netns_run_program(j->prog, j->len) < 0) failed = 1;
  if (j->dir && ctr_remove_tree(j->dir) < 0) failed = 1;
  _exit(failed);
}

/* The vfork-style child (node's memory, node's thread waiting): fork the cleaner, exit. */
static int cl_intermediate(void *arg) {
  long pid = ctr_clone3(0, -1);
  if (pid == 0) cl_run(arg);
  _exit(pid < 0 ? 1 : 0);
}

/* Starts the cleaner; 0, or -1 with errno (nothing started). */
static int cl_start(const struct cl_job *j) {
  void *stack = mmap(NULL, CL_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  /* no signal handler of node's may run on this stack in the child, which shares its memory */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pid = clone(cl_intermediate, (char *)stack + CL_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)j);
  int e = errno, status = 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid > 0) while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  munmap(stack, CL_STACK);
  if (pid < 0) { errno = e; return -1; }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { errno = EAGAIN; return -1; }
  return 0;
}

napi_value ctr_js_clean_after_exit(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  napi_valuetype t0 = napi_undefined, t1 = napi_undefined;
  if (argc >= 1) napi_typeof(env, a[0], &t0);
  if (argc >= 2) napi_typeof(env, a[1], &t1);
  bool isbuf = false;
  if (t0 == napi_object) napi_is_buffer(env, a[0], &isbuf);
  if (!((t0 == napi_null || isbuf) && (t1 == napi_null || t1 == napi_string))) {
    napi_throw_type_error(env, NULL, "cleanAfterExit(program: Buffer | null, dir: string | null)");
    return NULL;
  }
  struct cl_job j = { 0 };
  char dir[4096];
  if (isbuf) {
    void *data;
    napi_get_buffer_info(env, a[0], &data, &j.len);
    j.prog = data; /* read by the vfork-style child and copied with it: node waits meanwhile */
  }
  if (t1 == napi_string) {
    size_t n = 0;
    if (napi_get_value_string_utf8(env, a[1], dir, sizeof dir, &n) != napi_ok || n >= sizeof dir - 1) {
      napi_throw_type_error(env, NULL, "cleanAfterExit: dir too long");
      return NULL;
    }
    j.dir = dir;
  }
  if (cl_start(&j) < 0) return ctr_js_throw_step(env, "starting the cleaner (clone)", errno);
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}
