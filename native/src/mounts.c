/*
 * The container's filesystem, built in the child's private mount namespace:
 *   1. make every mount private, so nothing we do propagates back to the host;
 *   2. mount the overlay (image layers + the container's upper dir) at the root (or, with
 *      --userns=remap, attach the one the parent made of idmapped layers: idmap.c);
 *   3. mount proc, sys, dev, volumes ... under it, each target resolved inside the new root;
 *   4. pivot_root into it and detach the old root;
 *   5. mask and write-protect the sensitive bits of /proc and /sys.
 * Because the overlay lives only in this mount namespace, it disappears with the container:
 * no host mount is ever left behind.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

void ctr_describe_mount_flags(unsigned long flags, char *buf, size_t len) {
  static const struct { unsigned long flag; const char *name; } names[] = {
    { MS_RDONLY, "ro" }, { MS_NOSUID, "nosuid" }, { MS_NODEV, "nodev" }, { MS_NOEXEC, "noexec" },
    { MS_RELATIME, "relatime" }, { MS_STRICTATIME, "strictatime" }, { MS_NOATIME, "noatime" },
  };
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (!(flags & names[i].flag)) continue;
    int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", names[i].name);
    if (n < 0 || (size_t)n >= len - used) break;
    used += (size_t)n;
  }
}

/* Open (creating it if missing) a mount point inside the root. Every component is resolved
 * with RESOLVE_IN_ROOT, so "/etc/hosts -> /etc/shadow" or "../../" in an image points into
 * the image, never at the host. A component that is a dangling symlink (an image's
 * "/data -> /srv/data" whose target is missing) is followed the same way: its target, read
 * as a path inside the root, is created instead, as runc does (securejoin's MkdirAllInRoot).
 * Returns an O_PATH fd. */
static int open_mountpoint(int rootfd, const char *path, int is_file) {
  static char cur[4096], next[4096];
  char prefix[4096];
  size_t len = strlen(path);
  if (len >= sizeof cur) { errno = ENAMETOOLONG; return -1; }
  memcpy(cur, path, len + 1);
  int links = 0;
restart:
  len = strlen(cur);
  for (size_t i = 1; i <= len; i++) {
    if (i < len && cur[i] != '/') continue;
    memcpy(prefix, cur, i);
    prefix[i] = '\0';
    int last = (i == len);
    int fd = ctr_openat2_in_root(rootfd, prefix, O_PATH | ((last && is_file) ? 0 : O_DIRECTORY));
    if (fd >= 0) {
      if (last) return fd;
      close(fd);
      continue;
    }
    if (errno != ENOENT) return -1;
    /* create the missing component in its (already resolved) parent */
    char *slash = strrchr(prefix, '/');
    const char *name = slash ? slash + 1 : prefix;
    if (*name == '\0') continue;
    if (slash) *slash = '\0';
    int parent = ctr_openat2_in_root(rootfd, slash ? (prefix[0] ? prefix : "/") : "/", O_PATH | O_DIRECTORY);
    if (parent < 0) return -1;
    char link[4096];
    ssize_t l = readlinkat(parent, name, link, sizeof link - 1);
    if (l >= 0) {
      /* a dangling symlink: go on from its target, resolved inside the root */
      close(parent);
      if (++links > 40) { errno = ELOOP; return -1; }
      link[l] = '\0';
      int n = link[0] == '/' ? snprintf(next, sizeof next, "%s%s", link, cur + i)
                             : snprintf(next, sizeof next, "%s/%s%s", prefix, link, cur + i);
      if (n < 0 || (size_t)n >= sizeof next) { errno = ENAMETOOLONG; return -1; }
      memcpy(cur, next, (size_t)n + 1);
      goto restart;
    }
    if (slash) *slash = '/';
    int rc;
    if (last && is_file) {
      rc = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (rc >= 0) close(rc);
    } else {
      rc = mkdirat(parent, name, 0755);
    }
    close(parent);
    if (rc < 0 && errno != EEXIST) return -1;
    if (last) return ctr_openat2_in_root(rootfd, prefix, O_PATH | (is_file ? 0 : O_DIRECTORY));
  }
  return ctr_openat2_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
}

static const char *propagation_name(unsigned long p) {
  if (p & MS_SHARED) return "shared";
  if (p & MS_SLAVE) return "slave";
  if (p & MS_UNBINDABLE) return "unbindable";
  return "private";
}

static void fd_path(int fd, char *buf, size_t len) {
  snprintf(buf, len, "/proc/self/fd/%d", fd);
}

static void mount_one(int rootfd, const char *rootfs, const struct ctr_mount *m) {
  char opts[256], shown[512], target[64];
  ctr_describe_mount_flags(m->flags, opts, sizeof opts);
  if (m->data && *m->data) {
    size_t n = strlen(opts);
    snprintf(opts + n, sizeof opts - n, "%s%s", n ? "," : "", m->data);
  }
  int fd = open_mountpoint(rootfd, m->target, m->target_is_file);
  if (fd < 0) ctr_fail("mkdir %s%s", rootfs, m->target);
  fd_path(fd, target, sizeof target);

  if (m->flags & MS_BIND) {
    snprintf(shown, sizeof shown, "bind-mount %s at %s", m->source, m->target);
    struct stat sst;
    if (stat(m->source, &sst) < 0) ctr_fail("bind mount source %s", m->source);
    ctr_explain(shown, "mount --%s%s%s %s %s%s", (m->flags & MS_REC) ? "rbind" : "bind",
                *opts ? " -o " : "", opts, m->source, rootfs, m->target);
    /* a volume's copy-up: a handle on the image's directory the bind is about to cover */
    int covered = m->copy_up ? ctr_openat2_in_root(rootfd, m->target, O_RDONLY | O_DIRECTORY) : -1;
    if (m->copy_up && covered < 0) ctr_fail("open %s%s", rootfs, m->target);
    if (mount(m->source, target, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
      ctr_fail("mount(%s, %s%s, bind)", m->source, rootfs, m->target);
    if (covered >= 0) {
      /* before a read-only remount: the volume is filled through the new, still writable bind */
      int mounted = ctr_openat2_in_root(rootfd, m->target, O_RDONLY | O_DIRECTORY);
      if (mounted < 0) ctr_fail("open %s%s", rootfs, m->target);
      char where[4096];
      snprintf(where, sizeof where, "%s%s", rootfs, m->target);
      ctr_copy_up_volume(covered, mounted, where, m->source);
      close(mounted);
      close(covered);
    }
    unsigned long extra = m->flags & ~(MS_BIND | MS_REC);
    if (extra) {
      /* bind mounts ignore flags on creation: they take effect on a remount of the new mount,
       * which we reach by reopening the path (the old fd still names the covered dentry) */
      int nfd = open_mountpoint(rootfd, m->target, m->target_is_file);
      if (nfd < 0) ctr_fail("open %s%s", rootfs, m->target);
      char ntarget[64];
      fd_path(nfd, ntarget, sizeof ntarget);
      if (mount(NULL, ntarget, NULL, MS_REMOUNT | MS_BIND | extra, NULL) < 0)
        ctr_fail("mount(%s%s, remount,bind,%s)", rootfs, m->target, opts);
      close(nfd);
    }
  } else {
    /* tmpcopyup: keep a handle on the directory the mount is about to cover */
    int covered = m->copy_up ? ctr_openat2_in_root(rootfd, m->target, O_RDONLY | O_DIRECTORY) : -1;
    if (m->copy_up && covered < 0) ctr_fail("open %s%s", rootfs, m->target);
    snprintf(shown, sizeof shown, "mount %s on %s", m->fstype, m->target);
    ctr_explain(shown, "mount -t %s%s%s %s %s%s", m->fstype, *opts ? " -o " : "", opts, m->source,
                rootfs, m->target);
    if (mount(m->source, target, m->fstype, m->flags, m->data) < 0)
      ctr_fail("mount(%s, %s%s, %s)", m->source, rootfs, m->target, m->fstype);
    if (covered >= 0) {
      int mounted = ctr_openat2_in_root(rootfd, m->target, O_RDONLY | O_DIRECTORY);
      if (mounted < 0) ctr_fail("open %s%s", rootfs, m->target);
      char where[4096];
      snprintf(where, sizeof where, "%s%s", rootfs, m->target);
      ctr_copy_up(covered, mounted, where);
      close(mounted);
      close(covered);
    }
  }
  if (m->propagation) {
    int pfd = open_mountpoint(rootfd, m->target, m->target_is_file);
    if (pfd < 0) ctr_fail("open %s%s", rootfs, m->target);
    char ptarget[64];
    fd_path(pfd, ptarget, sizeof ptarget);
    ctr_explain("set the mount's propagation", "mount --make-%s%s %s%s", (m->propagation & MS_REC) ? "r" : "",
                propagation_name(m->propagation), rootfs, m->target);
    if (mount(NULL, ptarget, NULL, m->propagation, NULL) < 0)
      ctr_fail("mount(%s%s, make-%s)", rootfs, m->target, propagation_name(m->propagation));
    close(pfd);
  }
  close(fd);
}

static int open_parent(int rootfd, const char *path, const char **name) {
  char parent[4096];
  const char *slash = strrchr(path, '/');
  if (!slash || strlen(path) >= sizeof parent) { errno = EINVAL; return -1; }
  memcpy(parent, path, (size_t)(slash - path));
  parent[slash - path] = '\0';
  *name = slash + 1;
  return open_mountpoint(rootfd, parent[0] ? parent : "/", 0);
}

static int is_device(const struct stat *st, const struct ctr_device *d) {
  if ((st->st_mode & S_IFMT) != (d->mode & S_IFMT)) return 0;
  return S_ISFIFO(d->mode) || st->st_rdev == makedev(d->major, d->minor);
}

static const char *kind_name(mode_t m) {
  return S_ISLNK(m) ? "a symlink" : S_ISDIR(m) ? "a directory" : S_ISREG(m) ? "a regular file" : S_ISCHR(m) ? "a character device"
       : S_ISBLK(m) ? "a block device" : S_ISFIFO(m) ? "a FIFO" : "a socket";
}

/* Remove what is at name (never following it) so a node can be made there; a directory is
 * refused, not emptied. */
static void replace_entry(int parent, const char *name, const char *rootfs, const struct ctr_device *d, const struct stat *st) {
  if (S_ISDIR(st->st_mode)) { errno = EISDIR; ctr_fail("make the device node %s%s", rootfs, d->path); }
  ctr_explain("what is there is not the device (a /dev volume from an earlier run?): remove it, never following it",
              "rm %s%s  # %s", rootfs, d->path, kind_name(st->st_mode));
  if (unlinkat(parent, name, 0) < 0) ctr_fail("unlink(%s%s)", rootfs, d->path);
}

/* A device node at its path in the container. In a user namespace mknod is refused (EPERM):
 * then the host's node of the same path is bind-mounted there, as runc does.
 * The name may exist already: /dev can be a volume of the host (-v DIR:/dev) where a
 * container planted "null -> /etc/shadow" in an earlier run, and chmod by name would follow
 * that link and chmod the HOST's file (we are before pivot_root; CVE-2025-31133's class). So
 * nothing is ever done by name but mknod and unlink: an entry that is not this very device is
 * removed and made anew, and the node is then opened O_PATH|O_NOFOLLOW, checked with fstat,
 * and chmod'ed and chown'ed through that fd. */
static void make_device(int rootfd, const char *rootfs, const struct ctr_device *d) {
  const char *name;
  int parent = open_parent(rootfd, d->path, &name);
  if (parent < 0) ctr_fail("mkdir %s%s", rootfs, d->path);
  char kind = S_ISBLK(d->mode) ? 'b' : S_ISFIFO(d->mode) ? 'p' : 'c';
  dev_t dev = makedev(d->major, d->minor);
  struct stat st;
  ctr_explain("create a device node", kind == 'p' ? "mknod -m %o %s%s %c" : "mknod -m %o %s%s %c %u %u",
              d->mode & 07777, rootfs, d->path, kind, d->major, d->minor);
  int rc = mknodat(parent, name, d->mode, dev);
  if (rc < 0 && errno == EEXIST) {
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) ctr_fail("stat(%s%s)", rootfs, d->path);
    if (!is_device(&st, d)) {
      replace_entry(parent, name, rootfs, d, &st);
      ctr_explain("create the device node anew", kind == 'p' ? "mknod -m %o %s%s %c" : "mknod -m %o %s%s %c %u %u",
                  d->mode & 07777, rootfs, d->path, kind, d->major, d->minor);
      rc = mknodat(parent, name, d->mode, dev);
    } else {
      rc = 0; /* the very device: its mode and owner are set below */
    }
  }
  if (rc < 0 && errno == EPERM) {
    int fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
      /* a placeholder from an earlier run, or the host's node bound there: anything else goes */
      if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) ctr_fail("stat(%s%s)", rootfs, d->path);
      if (!S_ISREG(st.st_mode) && !is_device(&st, d)) {
        replace_entry(parent, name, rootfs, d, &st);
        fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
      }
    }
    if (fd < 0 && errno != EEXIST) ctr_fail("create %s%s", rootfs, d->path);
    if (fd >= 0) close(fd);
    int target = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (target < 0) ctr_fail("open %s%s", rootfs, d->path);
    if (fstat(target, &st) < 0) ctr_fail("stat(%s%s)", rootfs, d->path);
    if (!S_ISREG(st.st_mode) && !is_device(&st, d)) {
      errno = EEXIST;
      ctr_fail("bind the host's %s: %s%s is %s, changed while it was made", d->path, rootfs, d->path, kind_name(st.st_mode));
    }
    char t[64];
    fd_path(target, t, sizeof t);
    ctr_explain("mknod is not allowed in a user namespace: bind the host's node instead", "mount --bind %s %s%s",
                d->path, rootfs, d->path);
    if (mount(d->path, t, NULL, MS_BIND, NULL) < 0) ctr_fail("mount(%s, %s%s, bind)", d->path, rootfs, d->path);
    close(target);
    close(parent);
    return;
  }
  if (rc < 0) ctr_fail("mknod(%s%s)", rootfs, d->path);
  int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) ctr_fail("open %s%s", rootfs, d->path);
  if (fstat(fd, &st) < 0) ctr_fail("stat(%s%s)", rootfs, d->path);
  if (!is_device(&st, d)) {
    errno = EEXIST;
    ctr_fail("mknod(%s%s): it is %s, changed while it was made", rootfs, d->path, kind_name(st.st_mode));
  }
  /* mknod honours the umask: chmod to the exact mode, through the fd (/proc/self/fd/N names
   * the node itself: nothing is followed) */
  char p[64];
  fd_path(fd, p, sizeof p);
  if (chmod(p, d->mode & 07777) < 0) ctr_fail("chmod(%s%s)", rootfs, d->path);
  if ((d->uid >= 0 || d->gid >= 0) && fchownat(fd, "", (uid_t)d->uid, (gid_t)d->gid, AT_EMPTY_PATH) < 0)
    ctr_fail("chown(%s%s, %d:%d)", rootfs, d->path, d->uid, d->gid);
  close(fd);
  close(parent);
}

void ctr_setup_rootfs(const struct ctr_config *c) {
  ctr_explain("make all mounts private (nothing propagates back to the host)", "mount --make-rprivate /");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) ctr_fail("mount(/, rprivate)");

  if (c->root_from_parent) {
    /* made outside our user namespace (idmap.c): an overlay of idmapped layers */
    if (c->root_fd < 0) { errno = EBADF; ctr_fail("the root mount from the parent"); }
    ctr_explain("attach the root the helper made (the overlay of idmapped layers) in our mount namespace",
                "move_mount(overlay, \"\", AT_FDCWD, %s, MOVE_MOUNT_F_EMPTY_PATH)", c->rootfs);
    if (ctr_move_mount(c->root_fd, c->rootfs) < 0) ctr_fail("move_mount(overlay, %s)", c->rootfs);
    close(c->root_fd);
  } else if (c->overlay_data) {
    ctr_explain("mount the root: image layers (read-only) + this container's upper dir",
                "mount -t overlay overlay -o %s %s", c->overlay_data, c->rootfs);
    if (mount("overlay", c->rootfs, "overlay", 0, c->overlay_data) < 0)
      ctr_fail("mount(overlay, %s)", c->rootfs);
  } else {
    ctr_explain("make the root directory a mount point (pivot_root needs one)", "mount --rbind %s %s",
                c->rootfs, c->rootfs);
    if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
      ctr_fail("mount(%s, %s, rbind)", c->rootfs, c->rootfs);
  }

  int rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) ctr_fail("open(%s)", c->rootfs);

  for (size_t i = 0; i < c->n_mounts; i++) mount_one(rootfd, c->rootfs, &c->mounts[i]);

  for (size_t i = 0; i < c->n_devices; i++) make_device(rootfd, c->rootfs, &c->devices[i]);

  for (size_t i = 0; i < c->n_symlinks; i++) {
    const struct ctr_symlink *s = &c->symlinks[i];
    const char *name;
    int parent = open_parent(rootfd, s->path, &name);
    if (parent < 0) ctr_fail("mkdir %s%s", c->rootfs, s->path);
    ctr_explain("create a symlink", "ln -s %s %s%s", s->target, c->rootfs, s->path);
    if (symlinkat(s->target, parent, name) < 0 && errno != EEXIST)
      ctr_fail("symlink(%s, %s%s)", s->target, c->rootfs, s->path);
    close(parent);
  }
  close(rootfd);
}

void ctr_pivot_root_to(const struct ctr_config *c) {
  if (chdir(c->rootfs) < 0) ctr_fail("chdir(%s)", c->rootfs);
  if (c->no_pivot) {
    /* --no-pivot (a root on ramfs cannot be pivoted): weaker, the old root stays mounted
     * underneath and only chroot hides it */
    ctr_explain("move the root mount onto / and chroot into it (--no-pivot: weaker than pivot_root)",
                "mount --move %s / && chroot .", c->rootfs);
    if (mount(c->rootfs, "/", NULL, MS_MOVE, NULL) < 0) ctr_fail("mount(%s, /, MS_MOVE)", c->rootfs);
    if (chroot(".") < 0) ctr_fail("chroot(.)");
    if (chdir("/") < 0) ctr_fail("chdir(/)");
    return;
  }
  /* pivot_root(".", ".") stacks the old root on top of the new one; unmounting "." then
   * removes the old root, so no directory for it is needed inside the image (as runc does) */
  ctr_explain("switch the root filesystem (not chroot: the old root is really gone)", "pivot_root %s %s",
              c->rootfs, c->rootfs);
  if (ctr_pivot_root(".", ".") < 0) ctr_fail("pivot_root(%s)", c->rootfs);
  ctr_explain("detach the old root: the host's files are no longer reachable", "umount -l /");
  if (umount2(".", MNT_DETACH) < 0) ctr_fail("umount2(old root, MNT_DETACH)");
  if (chdir("/") < 0) ctr_fail("chdir(/)");
}

/* The container's /dev/null, opened O_PATH|O_NOFOLLOW and checked to be the null device
 * (character device 1:3), before anything is bound from it: were it a symlink (say to
 * /proc/sys/kernel/core_pattern) or another file, binding "/dev/null" over /proc/kcore would
 * bind that file there instead (CVE-2025-31133). */
static int open_dev_null(const char *masking) {
  int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) ctr_fail("mask %s: open /dev/null", masking);
  struct stat st;
  if (fstat(fd, &st) < 0) ctr_fail("mask %s: stat /dev/null", masking);
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    errno = ENODEV;
    if (S_ISCHR(st.st_mode))
      ctr_fail("mask %s: /dev/null is the character device %u:%u, not the null device 1:3", masking, major(st.st_rdev), minor(st.st_rdev));
    ctr_fail("mask %s: /dev/null is %s, not the null device 1:3", masking, kind_name(st.st_mode));
  }
  return fd;
}

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000 /* Linux 5.8 */
#endif

/* Is p the root of a mount? (statx's STATX_ATTR_MOUNT_ROOT; an older kernel that does not
 * report it answers no, and the path is bound onto itself as before) */
static int is_mount_root(const char *p) {
  struct statx sx;
  if (statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, 0, &sx) < 0) return 0;
  return (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

void ctr_mask_paths(const struct ctr_config *c) {
  struct stat st;
  int null_fd = -1;
  for (size_t i = 0; i < c->n_masked; i++) {
    const char *p = c->masked[i];
    if (stat(p, &st) < 0) continue; /* not on this kernel: nothing to hide */
    if (S_ISDIR(st.st_mode)) {
      ctr_explain("mask a directory with an empty read-only tmpfs", "mount -t tmpfs -o ro tmpfs %s", p);
      if (mount("tmpfs", p, "tmpfs", MS_RDONLY, NULL) < 0) ctr_fail("mount(tmpfs, %s, ro)", p);
    } else {
      if (null_fd < 0) null_fd = open_dev_null(p);
      ctr_explain("mask a file with /dev/null (the null device itself, checked)", "mount --bind /dev/null %s", p);
      /* bound from the checked fd, not by name: open_tree + move_mount (syscalls.c) */
      if (ctr_bind_fd(null_fd, p) < 0) ctr_fail("mount(/dev/null, %s, bind)", p);
    }
  }
  if (null_fd >= 0) close(null_fd);
  for (size_t i = 0; i < c->n_readonly; i++) {
    const char *p = c->readonly[i];
    if (stat(p, &st) < 0) continue;
    if (is_mount_root(p)) {
      /* already a mount of its own (the v1 layout's tmpfs on /sys/fs/cgroup): made read-only
       * where it is. A bind of it onto itself would copy every mount below it as well (nine
       * on a hybrid host), kernel memory each container pays for nothing. */
      ctr_explain("make a mount read-only", "mount -o remount,bind,ro %s", p);
    } else {
      ctr_explain("make a path read-only", "mount --bind -o ro %s %s", p, p);
      if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) ctr_fail("mount(%s, %s, rbind)", p, p);
    }
    if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
      ctr_fail("mount(%s, remount,bind,ro)", p);
  }
}

/* The root's own attributes, once everything under it is in place: its propagation
 * (OCI rootfsPropagation) and read-only (root.readonly), keeping its other flags. */
void ctr_finish_root(const struct ctr_config *c) {
  if (c->root_propagation) {
    ctr_explain("set the propagation of the container's mounts", "mount --make-%s%s /",
                (c->root_propagation & MS_REC) ? "r" : "", propagation_name(c->root_propagation));
    if (mount(NULL, "/", NULL, c->root_propagation, NULL) < 0) ctr_fail("mount(/, make-%s)", propagation_name(c->root_propagation));
  }
  if (c->root_readonly) {
    struct statvfs sv;
    if (statvfs("/", &sv) < 0) ctr_fail("statvfs(/)");
    unsigned long keep = 0;
    if (sv.f_flag & ST_NOSUID) keep |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) keep |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
    /* atime flags are locked in a user namespace: a remount must repeat them */
    if (sv.f_flag & ST_NOATIME) keep |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) keep |= MS_RELATIME;
    ctr_explain("make the root filesystem read-only", "mount -o remount,bind,ro /");
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0) ctr_fail("mount(/, remount,bind,ro)");
  }
}
