/*
 * OCI mount option "tmpcopyup" (crun's, which podman sets for --read-only and --tmpfs): a
 * tmpfs mounted over a directory of the image starts with a copy of what that directory held,
 * so /tmp or /run keep their files and modes. The copy is done in the child, before
 * pivot_root, from an fd of the covered directory to the new tmpfs; with raw getdents64 and
 * a static buffer (no malloc after clone), links copied as links, never followed.
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
  if (in < 0) ctr_fail("tmpcopyup: open %s", name);
  int out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
  if (out < 0) ctr_fail("tmpcopyup: create %s", name);
  for (;;) {
    ssize_t n = read(in, data, sizeof data);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ctr_fail("tmpcopyup: read %s", name);
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, data + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) ctr_fail("tmpcopyup: write %s", name);
      off += w;
    }
  }
  close(in);
  close(out);
}

/* Copy the entries of src into dst (a directory each), depth-first. */
static void copy_dir(int src, int dst, int depth) {
  if (depth > 32) { errno = ELOOP; ctr_fail("tmpcopyup: directories nested too deep"); }
  char buf[8192];
  for (;;) {
    long n = syscall(SYS_getdents64, src, buf, sizeof buf);
    if (n < 0) ctr_fail("tmpcopyup: getdents64");
    if (n == 0) break;
    for (long off = 0; off < n;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
      off += d->d_reclen;
      const char *name = d->d_name;
      if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
      struct stat st;
      if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) ctr_fail("tmpcopyup: stat %s", name);
      if (S_ISDIR(st.st_mode)) {
        if (mkdirat(dst, name, st.st_mode & 07777) < 0 && errno != EEXIST) ctr_fail("tmpcopyup: mkdir %s", name);
        int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int t = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0 || t < 0) ctr_fail("tmpcopyup: open %s", name);
        copy_dir(s, t, depth + 1);
        close(s);
        close(t);
      } else if (S_ISLNK(st.st_mode)) {
        char link[4096];
        ssize_t l = readlinkat(src, name, link, sizeof link - 1);
        if (l < 0) ctr_fail("tmpcopyup: readlink %s", name);
        link[l] = '\0';
        if (symlinkat(link, dst, name) < 0) ctr_fail("tmpcopyup: symlink %s", name);
      } else if (S_ISREG(st.st_mode)) {
        copy_file(src, dst, name, &st);
      } else if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0) {
        ctr_fail("tmpcopyup: mknod %s", name);
      }
      if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) ctr_fail("tmpcopyup: chown %s", name);
      if (!S_ISLNK(st.st_mode) && fchmodat(dst, name, st.st_mode & 07777, 0) < 0) ctr_fail("tmpcopyup: chmod %s", name);
    }
  }
}

void ctr_copy_up(int covered, int mounted, const char *shown) {
  ctr_explain("fill the new tmpfs with what the directory under it held (tmpcopyup)", "cp -a %s/. <the tmpfs>", shown);
  copy_dir(covered, mounted, 0);
}
