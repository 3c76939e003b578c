/*
 * OCI mount option "tmpcopyup" (crun's, which podman sets for --read-only and --tmpfs): a
 * tmpfs mounted over a directory of the image starts with a copy of what that directory held,
 * so /tmp or /run keep their files and modes. The copy is done in the child, before
 * pivot_root, from an fd of the covered directory to the new tmpfs; with raw getdents64 and
 * a static buffer (no malloc after clone), links copied as links, never followed.
 *
 * Docker's copy-up of a volume is the same copy: an EMPTY volume bound over a directory of
 * the image is first filled with what the image holds there (`minictr run -v NAME:/path`).
 * It is safe for the same reasons: the image's directory was opened with
 * openat2(RESOLVE_IN_ROOT) in the container's root (a symlink in the image, absolute or
 * "../..", resolves inside the image, never to the host's files), every entry below it is
 * reached with *at() calls relative to that fd and O_NOFOLLOW, and symlinks are copied as
 * links, never followed; files are created in the volume with O_EXCL|O_NOFOLLOW.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static char data[65536];

static void copy_file(int src, int dst, const char *name, const struct stat *st) {
  int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0) ctr_fail("copy-up: open %s", name);
  int out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
  if (out < 0) ctr_fail("copy-up: create %s", name);
  for (;;) {
    ssize_t n = read(in, data, sizeof data);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ctr_fail("copy-up: read %s", name);
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, data + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) ctr_fail("copy-up: write %s", name);
      off += w;
    }
  }
  close(in);
  close(out);
}

/* Copy the entries of src into dst (a directory each), depth-first. */
static void copy_dir(int src, int dst, int depth) {
  if (depth > 32) { errno = ELOOP; ctr_fail("copy-up: directories nested too deep"); }
  char buf[8192];
  for (;;) {
    long n = syscall(SYS_getdents64, src, buf, sizeof buf);
    if (n < 0) ctr_fail("copy-up: getdents64");
    if (n == 0) break;
    for (long off = 0; off < n;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
      off += d->d_reclen;
      const char *name = d->d_name;
      if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
      struct stat st;
      if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) ctr_fail("copy-up: stat %s", name);
      if (S_ISDIR(st.st_mode)) {
        if (mkdirat(dst, name, st.st_mode & 07777) < 0 && errno != EEXIST) ctr_fail("copy-up: mkdir %s", name);
        int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int t = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0 || t < 0) ctr_fail("copy-up: open %s", name);
        copy_dir(s, t, depth + 1);
        close(s);
        close(t);
      } else if (S_ISLNK(st.st_mode)) {
        char link[4096];
        ssize_t l = readlinkat(src, name, link, sizeof link - 1);
        if (l < 0) ctr_fail("copy-up: readlink %s", name);
        link[l] = '\0';
        if (symlinkat(link, dst, name) < 0) ctr_fail("copy-up: symlink %s", name);
      } else if (S_ISREG(st.st_mode)) {
        copy_file(src, dst, name, &st);
      } else if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0) {
        ctr_fail("copy-up: mknod %s", name);
      }
      if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) ctr_fail("copy-up: chown %s", name);
      if (!S_ISLNK(st.st_mode) && fchmodat(dst, name, st.st_mode & 07777, 0) < 0) ctr_fail("copy-up: chmod %s", name);
    }
  }
}

/* Does the directory hold anything? (getdents64 reads from the fd's offset: a dup would share it) */
static int dir_is_empty(int dir) {
  char buf[1024];
  for (;;) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n < 0) ctr_fail("copy-up: getdents64");
    if (n == 0) break;
    for (long off = 0; off < n;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
      off += d->d_reclen;
      if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) return 0;
    }
  }
  return 1;
}

void ctr_copy_up_volume(int covered, int mounted, const char *shown, const char *volume) {
  /* emptiness was seen by the parent; seen again here, where it counts */
  if (!dir_is_empty(mounted)) return;
  if (lseek(mounted, 0, SEEK_SET) < 0) ctr_fail("copy-up: lseek");
  ctr_explain("fill the empty volume with the image's files at its path (Docker's copy-up)", "cp -a %s/. %s", shown, volume);
  struct stat st;
  if (fstat(covered, &st) < 0) ctr_fail("copy-up: stat %s", shown);
  /* the volume's top directory takes the owner and mode of the image's, as in Docker */
  if (fchown(mounted, st.st_uid, st.st_gid) < 0) ctr_fail("copy-up: chown %s", volume);
  if (fchmod(mounted, st.st_mode & 07777) < 0) ctr_fail("copy-up: chmod %s", volume);
  copy_dir(covered, mounted, 0);
}

void ctr_copy_up(int covered, int mounted, const char *shown) {
  ctr_explain("fill the new tmpfs with what the directory under it held (tmpcopyup)", "cp -a %s/. <the tmpfs>", shown);
  copy_dir(covered, mounted, 0);
}
