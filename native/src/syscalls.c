/*
 * Raw system calls that glibc 2.36 either lacks or wraps in ways unsafe after clone():
 * clone3 (CLONE_INTO_CGROUP), pivot_root, openat2, close_range, execveat, the new mount
 * API (open_tree, move_mount, mount_setattr), and setresuid/setresgid/setgroups.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_SYMLINKS
#define MOVE_MOUNT_T_SYMLINKS 0x00000010
#endif

/* Like fork(), with namespaces; returns 0 in the child. With stack == 0 the child runs on a
 * copy of our stack, exactly as after fork(). Falls back to clone(2) where clone3 is missing
 * (kernels before 5.3) or refuses CLONE_INTO_CGROUP (before 5.7, or a v1-only cgroup fd). */
long ctr_clone3(int flags, int cgroup_fd) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = (uint64_t)(unsigned)flags;
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (uint64_t)cgroup_fd;
  }
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid >= 0 || (errno != ENOSYS && errno != E2BIG)) return pid;
  if (cgroup_fd >= 0) { errno = ENOSYS; return -1; } /* caller decides how to place the child */
  return syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0, 0, 0, 0);
}

int ctr_pivot_root(const char *new_root, const char *put_old) {
  return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/* Resolve path as if rootfd were "/": absolute symlinks and ".." stay inside it. */
int ctr_openat2_in_root(int rootfd, const char *path, int flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  while (*path == '/') path++;
  if (*path == '\0') path = ".";
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Bind-mount the very file fd names at target, whatever its path names by now: a detached
 * copy of its mount (open_tree OPEN_TREE_CLONE, as mount --bind makes), then attached
 * (move_mount). target is resolved as mount(2) resolves it (its symlinks followed: the
 * caller is in the container's root by then). Linux 5.2. */
int ctr_bind_fd(int fd, const char *target) {
  int tree = (int)syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0) return -1;
  int rc = (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS);
  int e = errno;
  close(tree);
  errno = e;
  return rc;
}

/* glibc's setresuid, setresgid and setgroups are POSIX's process-wide ones: they go through
 * __nptl_setxid, which signals every other thread glibc thinks the process has and waits for
 * each to change its own ids. After clone3 of a multithreaded node the child is one thread,
 * but glibc's thread list is node's: it signals threads that are not there and, rarely, waits
 * for ever. The kernel calls change the calling thread, which here is the whole process. */
#if defined(SYS_setresuid32)
#define CTR_SYS_SETRESUID SYS_setresuid32
#define CTR_SYS_SETRESGID SYS_setresgid32
#define CTR_SYS_SETGROUPS SYS_setgroups32
#else
#define CTR_SYS_SETRESUID SYS_setresuid
#define CTR_SYS_SETRESGID SYS_setresgid
#define CTR_SYS_SETGROUPS SYS_setgroups
#endif

int ctr_setresuid(uid_t uid) {
  return (int)syscall(CTR_SYS_SETRESUID, uid, uid, uid);
}

int ctr_setresgid(gid_t gid) {
  return (int)syscall(CTR_SYS_SETRESGID, gid, gid, gid);
}

int ctr_setgroups(size_t n, const gid_t *groups) {
  return (int)syscall(CTR_SYS_SETGROUPS, n, groups);
}

int ctr_close_range(unsigned first, unsigned last, unsigned flags) {
  return (int)syscall(SYS_close_range, first, last, flags);
}

int ctr_execveat(int fd, const char *path, char *const argv[], char *const envp[], int flags) {
  return (int)syscall(SYS_execveat, fd, path, argv, envp, flags);
}

/* Close every fd >= first_closed except those in keep (unsorted, small). Node has dozens of
 * fds open (epoll, eventfds, sockets, files) and none of them may reach the container;
 * fds 3 .. first_closed-1 are the ones an engine asked to preserve (OCI --preserve-fds). */
void ctr_close_fds_except(const int *keep, size_t n, int first_closed) {
  int sorted[n > 0 ? n : 1]; /* a monitor keeps 3 fds for each of up to 128 containers */
  size_t m = 0;
  if (first_closed < 3) first_closed = 3;
  for (size_t i = 0; i < n; i++)
    if (keep[i] >= first_closed) sorted[m++] = keep[i];
  for (size_t i = 1; i < m; i++)
    for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
      int t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t;
    }
  unsigned from = (unsigned)first_closed;
  for (size_t i = 0; i < m; i++) {
    if ((unsigned)sorted[i] > from) ctr_close_range(from, (unsigned)sorted[i] - 1, 0);
    if ((unsigned)sorted[i] + 1 > from) from = (unsigned)sorted[i] + 1;
  }
  ctr_close_range(from, ~0U, 0);
  /* preserved fds must survive execve */
  for (int fd = 3; fd < first_closed; fd++) fcntl(fd, F_SETFD, 0);
}

/* One datagram on a SOCK_SEQPACKET socket, with fd (if >= 0) passed along (SCM_RIGHTS). */
int ctr_sendmsg_fd(int sock, const void *buf, size_t len, int fd) {
  struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (fd >= 0) {
    memset(&u, 0, sizeof u);
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t n;
  while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
  return n < 0 ? -1 : 0;
}

ssize_t ctr_recvmsg_fd(int sock, void *buf, size_t len, int *fd) {
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  struct iovec iov = { .iov_base = buf, .iov_len = len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  *fd = -1;
  ssize_t n;
  while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {}
  struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL;
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof(int));
  return n;
}

/* struct mount_attr of <linux/mount.h> (MOUNT_ATTR_SIZE_VER0) */
struct ctr_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

int ctr_open_tree(int dfd, const char *path, unsigned flags) {
  return (int)syscall(SYS_open_tree, dfd, path, flags | O_CLOEXEC);
}

/* Give a detached mount (open_tree(OPEN_TREE_CLONE)) the id mapping of a user namespace. */
int ctr_mount_setattr_idmap(int fd, int userns_fd) {
  struct ctr_mount_attr a;
  memset(&a, 0, sizeof a);
  a.attr_set = CTR_MOUNT_ATTR_IDMAP;
  a.userns_fd = (uint64_t)userns_fd;
  return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &a, sizeof a);
}

/* Attach a detached mount (an fd) at to_path. */
int ctr_move_mount(int from_fd, const char *to_path) {
  return (int)syscall(SYS_move_mount, from_fd, "", AT_FDCWD, to_path, CTR_MOVE_MOUNT_F_EMPTY_PATH);
}
