/*
 * --userns=remap: the container's root filesystem, made outside its user namespace.
 *
 * The image layers are owned by the host's ids as the image has them (busybox by uid 0), but
 * the container's root is an unprivileged host uid (100000). An idmapped mount of a layer,
 * with the container's own user namespace as its mapping, shows a file of uid N on disk as
 * the container's uid N (host uid 100000+N): the container sees its image as it was built,
 * and nothing is chowned. Only root of the host's user namespace may make such a mount, and
 * overlayfs takes its layers from the mount namespace it is mounted in, so a helper, cloned
 * from node into a mount namespace of its own (node itself never changes namespaces; no
 * JavaScript runs in the helper), does it all:
 *   1. mount --make-rprivate /      nothing it attaches can propagate to the host
 *   2. for each layer: open_tree(OPEN_TREE_CLONE), mount_setattr(MOUNT_ATTR_IDMAP, the
 *      container's /proc/PID/ns/user), move_mount onto the layer's own path
 *                                   = mount --bind -o X-mount.idmap=/proc/PID/ns/user L L
 *   3. mount -t overlay on the container's root dir (in this namespace only), by real root, so
 *      the layers' trusted.overlay.* xattrs (opaque directories) still count; then
 *      open_tree(OPEN_TREE_CLONE) of it: the overlay as a detached mount, sent to the parent
 *      (SCM_RIGHTS).
 * The helper then exits: its namespace goes, and the idmapped clones with it, but for the
 * private references the overlay keeps. The parent hands the overlay to the container's child
 * with "go"; the child attaches it at its root (mounts.c). The last reference to it all goes
 * with the container's mount namespace: nothing outlives the container.
 *
 * Needs kernel >= 5.12 (mount_setattr), a filesystem that allows idmapped mounts (ext4, xfs,
 * btrfs; tmpfs since 6.3) and overlayfs that takes idmapped layers (>= 5.19). Where one is
 * missing the step that fails is named.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void helper_main(const struct ctr_idmap *m, int sock) __attribute__((noreturn));
static void helper_main(const struct ctr_idmap *m, int sock) {
  ctr_explain_init(m->explain_fd, sock);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  ctr_explain("a helper makes the root outside the container's user namespace, in a mount namespace of its own",
              "unshare --mount --propagation private");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) ctr_fail("mount(/, rprivate)");
  char userns[64];
  snprintf(userns, sizeof userns, "/proc/%d/ns/user", (int)m->pid);
  int ns = open(userns, O_RDONLY | O_CLOEXEC);
  if (ns < 0) ctr_fail("open(%s)", userns);

  static char lower[16384], data[20480];
  size_t used = 0;
  for (size_t i = 0; i < m->n_layers; i++) {
    const char *l = m->layers[i];
    ctr_explain("show an image layer with the container's ids (idmapped: uid N on disk is the container's uid N)",
                "mount --bind -o X-mount.idmap=%s %s %s", userns, l, l);
    int t = ctr_open_tree(AT_FDCWD, l, CTR_OPEN_TREE_CLONE);
    if (t < 0) ctr_fail("open_tree(%s, OPEN_TREE_CLONE)", l);
    if (ctr_mount_setattr_idmap(t, ns) < 0) ctr_fail("mount_setattr(%s, MOUNT_ATTR_IDMAP)", l);
    if (ctr_move_mount(t, l) < 0) ctr_fail("move_mount(idmapped %s, %s)", l, l);
    close(t);
    int k = snprintf(lower + used, sizeof lower - used, "%s%s", used ? ":" : "", l);
    if (k < 0 || (size_t)k >= sizeof lower - used) { errno = ENAMETOOLONG; ctr_fail("lowerdir of %zu layers", m->n_layers); }
    used += (size_t)k;
  }
  close(ns);

  int k = snprintf(data, sizeof data, "lowerdir=%s,upperdir=%s,workdir=%s", lower, m->upperdir, m->workdir);
  if (k < 0 || (size_t)k >= sizeof data) { errno = ENAMETOOLONG; ctr_fail("overlay options of %zu layers", m->n_layers); }
  /* mount(2), in this namespace only: fsconfig(2) takes no string over 256 bytes before
   * Linux 6.8's lowerdir+, and a lowerdir of a few layers is longer */
  ctr_explain("mount the root: idmapped image layers (read-only) + this container's upper dir, as real root (so the layers' whiteouts and opaque dirs count)",
              "mount -t overlay overlay -o %s %s", data, m->rootfs);
  if (mount("overlay", m->rootfs, "overlay", 0, data) < 0) ctr_fail("mount(overlay of idmapped layers, %s)", m->rootfs);
  ctr_explain("take the overlay along as a mount of its own, not attached anywhere, for the container's process",
              "open_tree(%s, OPEN_TREE_CLONE)", m->rootfs);
  int mnt = ctr_open_tree(AT_FDCWD, m->rootfs, CTR_OPEN_TREE_CLONE);
  if (mnt < 0) ctr_fail("open_tree(%s, OPEN_TREE_CLONE)", m->rootfs);
  struct ctr_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.type = CTR_MSG_MOUNT;
  ctr_send_msg(&msg, mnt);
  _exit(0);
}

int ctr_idmapped_overlay(const struct ctr_idmap *m, int *mount_fd, struct ctr_spawn_result *r) {
  memset(r, 0, sizeof *r);
  *mount_fd = -1;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    r->err = errno;
    strcpy(r->step, "socketpair(AF_UNIX, SOCK_SEQPACKET)");
    return -1;
  }
  long pid = ctr_clone3(CLONE_NEWNS, -1);
  if (pid == 0) {
    close(sv[0]);
    helper_main(m, sv[1]);
  }
  int e = errno;
  close(sv[1]);
  if (pid < 0) {
    close(sv[0]);
    r->err = e;
    strcpy(r->step, "clone(CLONE_NEWNS): the helper for the idmapped layers");
    return -1;
  }
  struct ctr_msg msg;
  memset(&msg, 0, sizeof msg);
  int fd = -1;
  ssize_t n = ctr_recvmsg_fd(sv[0], &msg, sizeof msg, &fd);
  e = errno;
  close(sv[0]);
  int status;
  while (waitpid((pid_t)pid, &status, 0) < 0 && errno == EINTR) {}
  if (n == (ssize_t)sizeof msg && msg.type == CTR_MSG_MOUNT && fd >= 0) {
    *mount_fd = fd;
    return 0;
  }
  if (fd >= 0) close(fd);
  if (n == (ssize_t)sizeof msg && msg.type == CTR_MSG_ERROR) {
    r->err = msg.err;
    memcpy(r->step, msg.step, sizeof r->step);
    r->step[sizeof r->step - 1] = '\0';
  } else {
    r->err = n < 0 ? e : EPROTO;
    strcpy(r->step, "the helper for the idmapped layers ended without an answer");
  }
  return -1;
}
