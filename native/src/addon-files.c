/*
 * The host reading a file of a container or of an image (`run -u alice` needs the image's
 * /etc/passwd, `exec -u alice` the running container's) without ever following a path the
 * container could steer. A plain open("/proc/PID/root/etc/passwd") resolves an absolute
 * symlink ("/etc/passwd -> /etc/shadow") or "../.." against the HOST's root, and blocks
 * forever on a FIFO. Here:
 *
 *   - root is opened first (for /proc/PID/root, open() follows that magic link once, to the
 *     container's root directory) and the path is resolved relative to it with
 *     openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) (syscalls.c): absolute links and ".."
 *     stay inside root, as they would in the container, and /proc/self/... links are refused;
 *   - the file is opened O_PATH first and fstat'ed: anything but a regular file is refused
 *     before it is ever really opened (a FIFO would block, a device node could act on open:
 *     a watchdog, a tape). Only then is it reopened for reading through /proc/self/fd/N (the
 *     same inode, checked again), O_NONBLOCK as well so no open can block;
 *   - at most maxBytes are read.
 *
 *   readFileInRoot(root, path, maxBytes) -> { kind: 'file', data: Buffer }
 *                                         | { kind: 'missing' }              (ENOENT, ENOTDIR)
 *                                         | { kind: 'not-regular', type }
 *                                         | { kind: 'too-large', size }
 *   lstatInRoot(root, path)               -> { type, major, minor, opaque, target? } | undefined
 *
 * lstatInRoot does not follow the last component: src/image/layer-lookup.ts uses it to walk
 * an image's layer dirs one component at a time, as overlayfs would merge them (a char
 * device 0:0 is a whiteout, opaque: the dir's trusted.overlay.opaque is "y", target: where a
 * symlink points). Other failures throw an Error with step and errno.
 */
#include "addon.h"
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* argument i as a malloc'd string, or NULL */
static char *str_arg(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return NULL;
  size_t len = 0;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  char *s = malloc(len + 1);
  if (s) napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static const char *type_name(mode_t m) {
  if (S_ISREG(m)) return "file";
  if (S_ISDIR(m)) return "directory";
  if (S_ISLNK(m)) return "symlink";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISSOCK(m)) return "socket";
  if (S_ISCHR(m)) return "char-device";
  if (S_ISBLK(m)) return "block-device";
  return "unknown";
}

static napi_value result(napi_env env, const char *kind) {
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "kind", v);
  return out;
}

static void set_str(napi_env env, napi_value obj, const char *key, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, key, v);
}

static void set_num(napi_env env, napi_value obj, const char *key, double n) {
  napi_value v;
  napi_create_double(env, n, &v);
  napi_set_named_property(env, obj, key, v);
}

static int open_root(const char *root) {
  return open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* read fd to its end into a malloc'd buffer, at most max + 1 bytes (so "more than max" shows) */
static char *read_bounded(int fd, size_t hint, size_t max, size_t *len) {
  size_t cap = (hint < max ? hint : max) + 1, used = 0;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  for (;;) {
    if (used == cap) {
      if (cap > max) break; /* max + 1 bytes read: too large */
      size_t next = cap * 2 > max + 1 ? max + 1 : cap * 2;
      char *b = realloc(buf, next);
      if (!b) { free(buf); errno = ENOMEM; return NULL; }
      buf = b;
      cap = next;
    }
    ssize_t n = read(fd, buf + used, cap - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { int e = errno; free(buf); errno = e; return NULL; }
    if (n == 0) break;
    used += (size_t)n;
  }
  *len = used;
  return buf;
}

napi_value ctr_js_read_file_in_root(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  int64_t max = -1;
  char *root = argc >= 1 ? str_arg(env, a[0]) : NULL;
  char *path = argc >= 2 ? str_arg(env, a[1]) : NULL;
  if (argc >= 3) napi_get_value_int64(env, a[2], &max);
  napi_value out = NULL;
  char step[CTR_MAX_STEP];
  int rootfd = -1, pfd = -1, fd = -1;
  if (!root || !path || max < 0) {
    napi_throw_type_error(env, NULL, "readFileInRoot(root, path, maxBytes)");
    goto done;
  }
  snprintf(step, sizeof step, "open %s", root);
  if ((rootfd = open_root(root)) < 0) { ctr_js_throw_step(env, step, errno); goto done; }
  snprintf(step, sizeof step, "open %s in %s", path, root);
  /* O_PATH: nothing is really opened yet, whatever the path names */
  if ((pfd = ctr_openat2_in_root(rootfd, path, O_PATH)) < 0) {
    if (errno == ENOENT || errno == ENOTDIR) out = result(env, "missing");
    else ctr_js_throw_step(env, step, errno);
    goto done;
  }
  struct stat st, st2;
  if (fstat(pfd, &st) < 0) { ctr_js_throw_step(env, step, errno); goto done; }
  if (!S_ISREG(st.st_mode)) {
    out = result(env, "not-regular");
    set_str(env, out, "type", type_name(st.st_mode));
    goto done;
  }
  if ((uint64_t)st.st_size > (uint64_t)max) {
    out = result(env, "too-large");
    set_num(env, out, "size", (double)st.st_size);
    goto done;
  }
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
  if ((fd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0) { ctr_js_throw_step(env, step, errno); goto done; }
  if (fstat(fd, &st2) < 0) { ctr_js_throw_step(env, step, errno); goto done; }
  if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino || !S_ISREG(st2.st_mode)) {
    ctr_js_throw_step(env, step, ESTALE);
    goto done;
  }
  size_t len = 0;
  char *data = read_bounded(fd, (size_t)st.st_size, (size_t)max, &len);
  if (!data) {
    snprintf(step, sizeof step, "read %s in %s", path, root);
    ctr_js_throw_step(env, step, errno);
    goto done;
  }
  if (len > (size_t)max) {
    out = result(env, "too-large");
    set_num(env, out, "size", (double)len);
  } else {
    out = result(env, "file");
    napi_value buf;
    void *dst;
    napi_create_buffer_copy(env, len, data, &dst, &buf);
    napi_set_named_property(env, out, "data", buf);
  }
  free(data);
done:
  if (fd >= 0) close(fd);
  if (pfd >= 0) close(pfd);
  if (rootfd >= 0) close(rootfd);
  free(root);
  free(path);
  return out;
}

napi_value ctr_js_lstat_in_root(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  char *root = argc >= 1 ? str_arg(env, a[0]) : NULL;
  char *path = argc >= 2 ? str_arg(env, a[1]) : NULL;
  napi_value out = NULL;
  char step[CTR_MAX_STEP];
  int rootfd = -1, pfd = -1;
  if (!root || !path) {
    napi_throw_type_error(env, NULL, "lstatInRoot(root, path)");
    goto done;
  }
  snprintf(step, sizeof step, "open %s", root);
  if ((rootfd = open_root(root)) < 0) { ctr_js_throw_step(env, step, errno); goto done; }
  snprintf(step, sizeof step, "lstat %s in %s", path, root);
  if ((pfd = ctr_openat2_in_root(rootfd, path, O_PATH | O_NOFOLLOW)) < 0) {
    if (errno == ENOENT || errno == ENOTDIR) napi_get_undefined(env, &out);
    else ctr_js_throw_step(env, step, errno);
    goto done;
  }
  struct stat st;
  if (fstat(pfd, &st) < 0) { ctr_js_throw_step(env, step, errno); goto done; }
  napi_create_object(env, &out);
  set_str(env, out, "type", type_name(st.st_mode));
  set_num(env, out, "major", S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? major(st.st_rdev) : 0);
  set_num(env, out, "minor", S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? minor(st.st_rdev) : 0);
  int opaque = 0;
  if (S_ISDIR(st.st_mode)) {
    /* an O_PATH fd has no fgetxattr; its /proc/self/fd link names the very directory */
    char proc[64], v[2];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
    ssize_t n = getxattr(proc, "trusted.overlay.opaque", v, sizeof v);
    opaque = n == 1 && v[0] == 'y';
  }
  napi_value b;
  napi_get_boolean(env, opaque, &b);
  napi_set_named_property(env, out, "opaque", b);
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlinkat(pfd, "", target, sizeof target - 1);
    if (n < 0) { ctr_js_throw_step(env, step, errno); out = NULL; goto done; }
    target[n] = '\0';
    set_str(env, out, "target", target);
  }
done:
  if (pfd >= 0) close(pfd);
  if (rootfd >= 0) close(rootfd);
  free(root);
  free(path);
  return out;
}
