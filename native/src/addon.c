/*
 * Node-API glue: turns JavaScript specs into plain C structs and back. No container logic
 * lives here; see spawn.c (parent side), child.c (the child's path), enter.c, mounts.c, caps.c.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "minictr native: " #call " failed"); return NULL; } } while (0)

/* ---------- reading JS values (errors become JS exceptions; callers return NULL) ---------- */

static int has(napi_env env, napi_value obj, const char *key) {
  bool r = false;
  napi_has_named_property(env, obj, key, &r);
  if (!r) return 0;
  napi_value v; napi_valuetype t;
  napi_get_named_property(env, obj, key, &v);
  napi_typeof(env, v, &t);
  return t != napi_undefined && t != napi_null;
}

static char *str_of(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static char *get_str(napi_env env, napi_value obj, const char *key) {
  if (!has(env, obj, key)) return NULL;
  napi_value v;
  napi_get_named_property(env, obj, key, &v);
  return str_of(env, v);
}

static int64_t get_int(napi_env env, napi_value obj, const char *key, int64_t dflt) {
  if (!has(env, obj, key)) return dflt;
  napi_value v; int64_t r = dflt;
  napi_get_named_property(env, obj, key, &v);
  napi_get_value_int64(env, v, &r);
  return r;
}

static int get_bool(napi_env env, napi_value obj, const char *key) {
  if (!has(env, obj, key)) return 0;
  napi_value v; bool r = false;
  napi_get_named_property(env, obj, key, &v);
  napi_get_value_bool(env, v, &r);
  return r;
}

static uint32_t get_array(napi_env env, napi_value obj, const char *key, napi_value *arr) {
  uint32_t n = 0;
  if (!has(env, obj, key)) return 0;
  napi_get_named_property(env, obj, key, arr);
  bool is = false;
  napi_is_array(env, *arr, &is);
  if (is) napi_get_array_length(env, *arr, &n);
  return n;
}

/* NULL-terminated char** from a string array */
static char **get_strv(napi_env env, napi_value obj, const char *key, size_t *count) {
  napi_value arr;
  uint32_t n = get_array(env, obj, key, &arr);
  char **v = calloc(n + 1, sizeof *v);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, arr, i, &e);
    v[i] = str_of(env, e);
  }
  if (count) *count = n;
  return v;
}

static uint64_t get_caps(napi_env env, napi_value obj, const char *key) {
  napi_value arr;
  uint32_t n = get_array(env, obj, key, &arr);
  uint64_t caps = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e; int32_t c = -1;
    napi_get_element(env, arr, i, &e);
    napi_get_value_int32(env, e, &c);
    if (c >= 0 && c < 64) caps |= 1ULL << c;
  }
  return caps;
}

static void get_stdio(napi_env env, napi_value obj, int stdio[3]) {
  napi_value arr;
  uint32_t n = get_array(env, obj, "stdio", &arr);
  for (int i = 0; i < 3; i++) {
    stdio[i] = i;
    if ((uint32_t)i < n) {
      napi_value e;
      napi_get_element(env, arr, (uint32_t)i, &e);
      napi_get_value_int32(env, e, &stdio[i]);
    }
  }
}

static int read_last_cap(void) {
  int last = 40;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f) { if (fscanf(f, "%d", &last) != 1) last = 40; fclose(f); }
  return last;
}

static void free_strv(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

static napi_value throw_step(napi_env env, const char *step, int err) {
  char msg[CTR_MAX_STEP + 128];
  snprintf(msg, sizeof msg, "%s: %s", step, strerror(err));
  napi_value m, e, s, code;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  napi_create_string_utf8(env, step, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, e, "step", s);
  napi_create_int32(env, err, &code);
  napi_set_named_property(env, e, "errno", code);
  napi_throw(env, e);
  return NULL;
}

static napi_value make_int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

static void set_int(napi_env env, napi_value obj, const char *key, int64_t v) {
  napi_set_named_property(env, obj, key, make_int(env, v));
}

static napi_value arg0(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  return argc >= want ? argv[0] : NULL;
}

/* ---------- spawn / start ---------- */

static void free_config(struct ctr_config *c) {
  if (c->netns_fd >= 0) close(c->netns_fd);
  c->netns_fd = -1;
  free(c->netns_path);
  free(c->net_ifname); free(c->net_address); free(c->net_gateway);
  free(c->rootfs); free(c->overlay_data); free(c->hostname); free(c->cwd);
  for (size_t i = 0; i < c->n_mounts; i++) {
    free(c->mounts[i].source); free(c->mounts[i].target); free(c->mounts[i].fstype); free(c->mounts[i].data);
  }
  free(c->mounts);
  for (size_t i = 0; i < c->n_devices; i++) free(c->devices[i].path);
  free(c->devices);
  for (size_t i = 0; i < c->n_symlinks; i++) { free(c->symlinks[i].target); free(c->symlinks[i].path); }
  free(c->symlinks);
  free_strv(c->masked); free_strv(c->readonly); free_strv(c->argv); free_strv(c->envp);
}

static napi_value js_spawn(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value spec = arg0(env, info, 1, argv);
  if (!spec) { napi_throw_type_error(env, NULL, "spawn(spec)"); return NULL; }

  struct ctr_config c;
  memset(&c, 0, sizeof c);
  c.netns_fd = -1;
  c.clone_flags = (int)get_int(env, spec, "cloneFlags", 0);
  c.unshare_cgroupns = get_bool(env, spec, "unshareCgroupns");
  c.rootfs = get_str(env, spec, "rootfs");
  c.overlay_data = get_str(env, spec, "overlay");
  c.hostname = get_str(env, spec, "hostname");
  c.cwd = get_str(env, spec, "cwd");
  if (!c.cwd) c.cwd = strdup("/");
  c.argv = get_strv(env, spec, "argv", NULL);
  c.envp = get_strv(env, spec, "env", NULL);
  c.masked = get_strv(env, spec, "masked", &c.n_masked);
  c.readonly = get_strv(env, spec, "readonly", &c.n_readonly);
  c.caps = get_caps(env, spec, "caps");
  c.uid = (int)get_int(env, spec, "uid", -1);
  c.gid = (int)get_int(env, spec, "gid", -1);
  c.last_cap = read_last_cap();
  c.no_new_privs = get_bool(env, spec, "noNewPrivs");
  c.tty = get_bool(env, spec, "tty");
  c.tty_rows = (unsigned short)get_int(env, spec, "ttyRows", 0);
  c.tty_cols = (unsigned short)get_int(env, spec, "ttyCols", 0);
  c.loopback_up = get_bool(env, spec, "loopbackUp");
  c.die_with_parent = get_bool(env, spec, "dieWithParent");
  c.cgroup_fd = (int)get_int(env, spec, "cgroupFd", -1);
  get_stdio(env, spec, c.stdio);
  if (has(env, spec, "netConfig")) {
    napi_value nc;
    napi_get_named_property(env, spec, "netConfig", &nc);
    c.net_ifname = get_str(env, nc, "ifname");
    c.net_address = get_str(env, nc, "address");
    c.net_prefix = (int)get_int(env, nc, "prefix", 24);
    c.net_gateway = get_str(env, nc, "gateway");
    c.net_tx_csum_off = get_bool(env, nc, "txChecksumOff");
    if (!c.net_ifname || !c.net_address) { free_config(&c); napi_throw_type_error(env, NULL, "netConfig needs ifname and address"); return NULL; }
  }
  c.netns_fd = -1;
  c.netns_path = get_str(env, spec, "joinNetns");
  if (c.netns_path) {
    c.netns_fd = open(c.netns_path, O_RDONLY | O_CLOEXEC);
    if (c.netns_fd < 0) {
      int e = errno;
      char step[CTR_MAX_STEP];
      snprintf(step, sizeof step, "open(%s)", c.netns_path);
      free_config(&c);
      return throw_step(env, step, e);
    }
  }

  napi_value arr;
  uint32_t n = get_array(env, spec, "mounts", &arr);
  c.mounts = calloc(n + 1, sizeof *c.mounts);
  c.n_mounts = n;
  for (uint32_t i = 0; i < n; i++) {
    napi_value m;
    napi_get_element(env, arr, i, &m);
    c.mounts[i].source = get_str(env, m, "source");
    c.mounts[i].target = get_str(env, m, "target");
    c.mounts[i].fstype = get_str(env, m, "fstype");
    c.mounts[i].flags = (unsigned long)get_int(env, m, "flags", 0);
    c.mounts[i].data = get_str(env, m, "data");
    c.mounts[i].target_is_file = get_bool(env, m, "file");
    if (!c.mounts[i].source) c.mounts[i].source = strdup("none");
    if (!c.mounts[i].fstype) c.mounts[i].fstype = strdup("none");
    if (!c.mounts[i].target) { free_config(&c); napi_throw_type_error(env, NULL, "mount without target"); return NULL; }
  }
  n = get_array(env, spec, "devices", &arr);
  c.devices = calloc(n + 1, sizeof *c.devices);
  c.n_devices = n;
  for (uint32_t i = 0; i < n; i++) {
    napi_value d;
    napi_get_element(env, arr, i, &d);
    c.devices[i].path = get_str(env, d, "path");
    c.devices[i].mode = (mode_t)get_int(env, d, "mode", 0);
    c.devices[i].major = (unsigned)get_int(env, d, "major", 0);
    c.devices[i].minor = (unsigned)get_int(env, d, "minor", 0);
  }
  n = get_array(env, spec, "symlinks", &arr);
  c.symlinks = calloc(n + 1, sizeof *c.symlinks);
  c.n_symlinks = n;
  for (uint32_t i = 0; i < n; i++) {
    napi_value s;
    napi_get_element(env, arr, i, &s);
    c.symlinks[i].target = get_str(env, s, "target");
    c.symlinks[i].path = get_str(env, s, "path");
  }
  if (!c.rootfs || !c.argv[0]) { free_config(&c); napi_throw_type_error(env, NULL, "spawn: rootfs and argv are required"); return NULL; }

  char *init_path = get_str(env, spec, "initPath");
  if (!init_path || ctr_load_init(init_path, &c.init_fd) < 0) {
    int e = errno;
    char step[CTR_MAX_STEP];
    snprintf(step, sizeof step, "load %s", init_path ? init_path : "minictr-init");
    free(init_path); free_config(&c);
    return throw_step(env, step, e);
  }
  free(init_path);

  int explain = (int)get_int(env, spec, "explainFd", -1);
  c.explain_fd = explain >= 0 ? fcntl(explain, F_DUPFD_CLOEXEC, 3) : -1;

  int wanted_cgroup = c.cgroup_fd;
  struct ctr_spawn_result r;
  int rc, ctl_fd = -1;
  if (has(env, spec, "detach")) {
    napi_value dv;
    napi_get_named_property(env, spec, "detach", &dv);
    struct ctr_detach d;
    memset(&d, 0, sizeof d);
    d.monitor_path = get_str(env, dv, "monitorPath");
    d.log_path = get_str(env, dv, "logPath");
    d.exit_path = get_str(env, dv, "exitPath");
    d.on_exit = get_strv(env, dv, "onExit", NULL);
    d.keep_stdin = get_bool(env, dv, "keepStdin");
    pid_t monitor = 0;
    rc = (d.monitor_path && d.log_path && d.exit_path)
             ? ctr_spawn_detached(&c, &d, &r, &monitor, &ctl_fd)
             : (r.err = EINVAL, strcpy(r.step, "detach: monitorPath, logPath and exitPath are required"), -1);
    free(d.monitor_path); free(d.log_path); free(d.exit_path); free_strv(d.on_exit);
  } else {
    rc = ctr_spawn(&c, &r);
  }
  if (c.explain_fd >= 0) close(c.explain_fd);
  int into_cgroup = wanted_cgroup >= 0 && c.cgroup_fd >= 0;
  free_config(&c);
  if (rc < 0) return throw_step(env, r.step, r.err);

  napi_value out;
  napi_create_object(env, &out);
  set_int(env, out, "pid", r.pid);
  set_int(env, out, "syncFd", r.sync_fd);
  set_int(env, out, "ctlFd", ctl_fd);
  napi_value b;
  napi_get_boolean(env, into_cgroup, &b);
  napi_set_named_property(env, out, "intoCgroup", b);
  return out;
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!arg0(env, info, 1, argv)) { napi_throw_type_error(env, NULL, "start(syncFd)"); return NULL; }
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  int pty = -1;
  struct ctr_spawn_result r;
  memset(&r, 0, sizeof r);
  int rc = ctr_start(fd, &pty, &r);
  close(fd);
  if (rc < 0) return throw_step(env, r.step, r.err);
  napi_value out;
  napi_create_object(env, &out);
  set_int(env, out, "ptyMaster", pty);
  return out;
}

/* ---------- enter ---------- */

static napi_value js_enter(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value spec = arg0(env, info, 1, argv);
  if (!spec) { napi_throw_type_error(env, NULL, "enter(spec)"); return NULL; }
  struct ctr_enter_config c;
  memset(&c, 0, sizeof c);
  c.target = (pid_t)get_int(env, spec, "pid", 0);
  c.ns_flags = (int)get_int(env, spec, "nsFlags", 0);
  c.argv = get_strv(env, spec, "argv", NULL);
  c.envp = get_strv(env, spec, "env", NULL);
  c.cwd = get_str(env, spec, "cwd");
  c.apply_caps = has(env, spec, "caps");
  c.uid = (int)get_int(env, spec, "uid", -1);
  c.gid = (int)get_int(env, spec, "gid", -1);
  c.caps = get_caps(env, spec, "caps");
  c.last_cap = read_last_cap();
  c.no_new_privs = get_bool(env, spec, "noNewPrivs");
  c.tty = get_bool(env, spec, "tty");
  c.cgroup_fd = (int)get_int(env, spec, "cgroupFd", -1);
  c.cgroup_procs = get_strv(env, spec, "cgroupProcs", &c.n_cgroup_procs);
  get_stdio(env, spec, c.stdio);
  int explain = (int)get_int(env, spec, "explainFd", -1);
  c.explain_fd = explain >= 0 ? fcntl(explain, F_DUPFD_CLOEXEC, 3) : -1;

  struct ctr_spawn_result r;
  int rc = c.argv[0] ? ctr_enter(&c, &r) : (errno = EINVAL, r.err = EINVAL, strcpy(r.step, "enter: empty command"), -1);
  if (c.explain_fd >= 0) close(c.explain_fd);
  free_strv(c.argv); free_strv(c.envp); free_strv(c.cgroup_procs); free(c.cwd);
  if (rc < 0) return throw_step(env, r.step, r.err);

  int pty = -1;
  pid_t inner = 0;
  struct ctr_spawn_result rr;
  memset(&rr, 0, sizeof rr);
  rc = ctr_read_reports(r.sync_fd, &pty, &inner, &rr);
  close(r.sync_fd);
  napi_value out;
  napi_create_object(env, &out);
  set_int(env, out, "pid", r.pid);
  set_int(env, out, "innerPid", inner);
  set_int(env, out, "ptyMaster", pty);
  if (rc < 0) {
    /* the outer child exits 125 after a failed step; report the step, the caller reaps */
    napi_value m;
    char msg[CTR_MAX_STEP + 128];
    snprintf(msg, sizeof msg, "%s: %s", rr.step, strerror(rr.err));
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_set_named_property(env, out, "error", m);
  }
  return out;
}

/* ---------- wait (async, off the main thread) ---------- */

struct wait_job { napi_async_work work; napi_deferred deferred; pid_t pid; int status; int err; };

static void wait_execute(napi_env env, void *data) {
  struct wait_job *j = data;
  pid_t p;
  while ((p = waitpid(j->pid, &j->status, __WALL)) < 0 && errno == EINTR) {}
  j->err = p < 0 ? errno : 0;
}

static void wait_complete(napi_env env, napi_status status, void *data) {
  struct wait_job *j = data;
  napi_value out;
  if (j->err) {
    napi_value m, e;
    char msg[128];
    snprintf(msg, sizeof msg, "waitpid(%d): %s", (int)j->pid, strerror(j->err));
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_create_error(env, NULL, m, &e);
    napi_reject_deferred(env, j->deferred, e);
  } else {
    napi_create_object(env, &out);
    if (WIFSIGNALED(j->status)) {
      set_int(env, out, "signal", WTERMSIG(j->status));
      set_int(env, out, "exitCode", 128 + WTERMSIG(j->status));
    } else {
      set_int(env, out, "exitCode", WEXITSTATUS(j->status));
    }
    napi_resolve_deferred(env, j->deferred, out);
  }
  napi_delete_async_work(env, j->work);
  free(j);
}

static napi_value js_wait(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!arg0(env, info, 1, argv)) { napi_throw_type_error(env, NULL, "wait(pid)"); return NULL; }
  struct wait_job *j = calloc(1, sizeof *j);
  int32_t pid;
  CHECK(napi_get_value_int32(env, argv[0], &pid));
  j->pid = pid;
  napi_value promise, name;
  CHECK(napi_create_promise(env, &j->deferred, &promise));
  napi_create_string_utf8(env, "minictr-wait", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_create_async_work(env, NULL, name, wait_execute, wait_complete, j, &j->work));
  CHECK(napi_queue_async_work(env, j->work));
  return promise;
}

/* ---------- small wrappers: for teaching code and tests. They act on the CALLING process:
 * never call unshare/setns/chroot/pivot_root from the minictr CLI itself (Node is
 * multithreaded); use them in a throwaway `node` child. ---------- */

static napi_value js_set_winsize(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value a[3];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  int32_t fd = -1, rows = 24, cols = 80;
  napi_get_value_int32(env, a[0], &fd);
  napi_get_value_int32(env, a[1], &rows);
  napi_get_value_int32(env, a[2], &cols);
  struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0) return throw_step(env, "ioctl(TIOCSWINSZ)", errno);
  return NULL;
}

static napi_value js_send_fd(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value a[2];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  int32_t sock = -1, fd = -1;
  if (argc == 2) { napi_get_value_int32(env, a[0], &sock); napi_get_value_int32(env, a[1], &fd); }
  if (ctr_send_fd(sock, fd) < 0) return throw_step(env, "sendmsg(SCM_RIGHTS)", errno);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd = -1;
  if (arg0(env, info, 1, argv)) napi_get_value_int32(env, argv[0], &fd);
  if (fd >= 0) close(fd);
  return NULL;
}

#define WRAP_BEGIN(name, n) \
  static napi_value name(napi_env env, napi_callback_info info) { \
    size_t argc = n; napi_value a[n > 0 ? n : 1]; \
    napi_get_cb_info(env, info, &argc, a, NULL, NULL); \
    char step[CTR_MAX_STEP]; int rc;

static char *arg_str(napi_env env, napi_value *a, size_t argc, size_t i) {
  if (i >= argc) return NULL;
  napi_valuetype t;
  napi_typeof(env, a[i], &t);
  return t == napi_string ? str_of(env, a[i]) : NULL;
}
static int64_t arg_int(napi_env env, napi_value *a, size_t argc, size_t i) {
  int64_t v = 0;
  if (i < argc) napi_get_value_int64(env, a[i], &v);
  return v;
}

WRAP_BEGIN(js_unshare, 1)
  int64_t flags = arg_int(env, a, argc, 0);
  rc = unshare((int)flags);
  snprintf(step, sizeof step, "unshare(0x%llx)", (long long)flags);
  return rc < 0 ? throw_step(env, step, errno) : NULL;
}
WRAP_BEGIN(js_setns, 2)
  int64_t fd = arg_int(env, a, argc, 0), type = arg_int(env, a, argc, 1);
  rc = setns((int)fd, (int)type);
  snprintf(step, sizeof step, "setns(%lld, 0x%llx)", (long long)fd, (long long)type);
  return rc < 0 ? throw_step(env, step, errno) : NULL;
}
WRAP_BEGIN(js_chroot, 1)
  char *p = arg_str(env, a, argc, 0);
  rc = p ? chroot(p) : (errno = EINVAL, -1);
  snprintf(step, sizeof step, "chroot(%s)", p ? p : "");
  free(p);
  return rc < 0 ? throw_step(env, step, errno) : NULL;
}
WRAP_BEGIN(js_pivot_root, 2)
  char *n = arg_str(env, a, argc, 0), *o = arg_str(env, a, argc, 1);
  rc = (n && o) ? ctr_pivot_root(n, o) : (errno = EINVAL, -1);
  snprintf(step, sizeof step, "pivot_root(%s, %s)", n ? n : "", o ? o : "");
  free(n); free(o);
  return rc < 0 ? throw_step(env, step, errno) : NULL;
}
WRAP_BEGIN(js_mount, 5)
  char *src = arg_str(env, a, argc, 0), *tgt = arg_str(env, a, argc, 1), *fs = arg_str(env, a, argc, 2);
  int64_t flags = arg_int(env, a, argc, 3);
  char *data = arg_str(env, a, argc, 4);
  rc = tgt ? mount(src, tgt, fs, (unsigned long)flags, data) : (errno = EINVAL, -1);
  snprintf(step, sizeof step, "mount(%s, %s, %s)", src ? src : "none", tgt ? tgt : "", fs ? fs : "none");
  free(src); free(tgt); free(fs); free(data);
  return rc < 0 ? throw_step(env, step, errno) : NULL;
}
WRAP_BEGIN(js_umount2, 2)
  char *tgt = arg_str(env, a, argc, 0);
  int64_t flags = arg_int(env, a, argc, 1);
  rc = tgt ? umount2(tgt, (int)flags) : (errno = EINVAL, -1);
  snprintf(step, sizeof step, "umount2(%s)", tgt ? tgt : "");
  free(tgt);
  return rc < 0 ? throw_step(env, step, errno) : NULL;
}
WRAP_BEGIN(js_sethostname, 1)
  char *h = arg_str(env, a, argc, 0);
  rc = h ? sethostname(h, strlen(h)) : (errno = EINVAL, -1);
  snprintf(step, sizeof step, "sethostname(%s)", h ? h : "");
  free(h);
  return rc < 0 ? throw_step(env, step, errno) : NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "spawn", NULL, js_spawn, NULL, NULL, NULL, napi_default, NULL },
    { "start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL },
    { "enter", NULL, js_enter, NULL, NULL, NULL, napi_default, NULL },
    { "wait", NULL, js_wait, NULL, NULL, NULL, napi_default, NULL },
    { "setWinsize", NULL, js_set_winsize, NULL, NULL, NULL, napi_default, NULL },
    { "sendFd", NULL, js_send_fd, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
    { "unshare", NULL, js_unshare, NULL, NULL, NULL, napi_default, NULL },
    { "setns", NULL, js_setns, NULL, NULL, NULL, napi_default, NULL },
    { "chroot", NULL, js_chroot, NULL, NULL, NULL, napi_default, NULL },
    { "pivotRoot", NULL, js_pivot_root, NULL, NULL, NULL, napi_default, NULL },
    { "mount", NULL, js_mount, NULL, NULL, NULL, napi_default, NULL },
    { "umount2", NULL, js_umount2, NULL, NULL, NULL, napi_default, NULL },
    { "sethostname", NULL, js_sethostname, NULL, NULL, NULL, napi_default, NULL },
    { "attachDeviceFilter", NULL, ctr_js_attach_device_filter, NULL, NULL, NULL, napi_default, NULL },
    { "detachDeviceFilter", NULL, ctr_js_detach_device_filter, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
