/*
 * Node-API glue: the addon's functions. The records they take are read by contract.c; no
 * container logic lives here: see spawn.c (parent side), child.c (the child's path), enter.c.
 */
#include "addon.h"
#include "contract.h"

#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "minictr native: " #call " failed"); return NULL; } } while (0)

/* The one way every Node-API function reports a failed step: an Error with .step and .errno
 * (src/native/index.ts isStepError), as the child reports a step name plus errno. */
napi_value ctr_js_step_error(napi_env env, const char *step, int err, const char *reason) {
  char msg[CTR_MAX_STEP + 300];
  snprintf(msg, sizeof msg, "%s: %s", step, reason ? reason : strerror(err));
  napi_value m, e, s, code;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  napi_create_string_utf8(env, step, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, e, "step", s);
  napi_create_int32(env, err, &code);
  napi_set_named_property(env, e, "errno", code);
  return e;
}

napi_value ctr_js_throw_step(napi_env env, const char *step, int err) {
  napi_throw(env, ctr_js_step_error(env, step, err, NULL));
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

static char *arg_str(napi_env env, napi_value *a, size_t argc, size_t i);

/* ---------- spawn / start ---------- */

static napi_value js_spawn(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value spec = arg0(env, info, 1, argv);
  if (!spec) { napi_throw_type_error(env, NULL, "spawn(spec)"); return NULL; }
  struct ctr_config c;
  struct ctr_detach d;
  int detached = 0;
  char err[CTR_MAX_STEP + 128];
  if (ctr_read_spawn(env, spec, &c, &d, &detached, err, sizeof err) < 0) { napi_throw_type_error(env, NULL, err); return NULL; }

  if (detached) {
    ctr_free_spawn(&c, &d);
    napi_throw_type_error(env, NULL, "spawn: a record with detach goes to spawnDetached([record...])");
    return NULL;
  }
  int wanted_cgroup = c.cgroup_fd;
  struct ctr_spawn_result r;
  int rc = ctr_spawn(&c, &r);
  int into_cgroup = wanted_cgroup >= 0 && c.cgroup_fd >= 0;
  ctr_free_spawn(&c, &d);
  if (rc < 0) return ctr_js_throw_step(env, r.step, r.err);

  napi_value out;
  napi_create_object(env, &out);
  set_int(env, out, "pid", r.pid);
  set_int(env, out, "syncFd", r.sync_fd);
  set_int(env, out, "ctlFd", -1);
  napi_value b;
  napi_get_boolean(env, into_cgroup, &b);
  napi_set_named_property(env, out, "intoCgroup", b);
  return out;
}

/* spawnDetached([record...]): the containers (each record with its detach part) cloned under
 * one minictr-monitor (detach.c); { ctlFd, children: [{ pid, syncFd, intoCgroup }] } in the
 * records' order. A failure leaves none of them. */
static napi_value js_spawn_detached(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value list = arg0(env, info, 1, argv);
  bool is_array = false;
  if (list) napi_is_array(env, list, &is_array);
  uint32_t n = 0;
  if (is_array) napi_get_array_length(env, list, &n);
  if (!is_array || n == 0 || n > CTR_MONITOR_MAX_CONTAINERS) {
    napi_throw_type_error(env, NULL, "spawnDetached([record...]): 1 to " CTR_STR(CTR_MONITOR_MAX_CONTAINERS) " records");
    return NULL;
  }
  struct ctr_config *cs = calloc(n, sizeof *cs);
  struct ctr_detach *ds = calloc(n, sizeof *ds);
  struct ctr_spawn_result *rs = calloc(n, sizeof *rs);
  if (!cs || !ds || !rs) { free(cs); free(ds); free(rs); napi_throw_error(env, NULL, "spawnDetached: out of memory"); return NULL; }
  char err[CTR_MAX_STEP + 160];
  uint32_t read = 0;
  for (; read < n; read++) {
    napi_value rec;
    int detached = 0;
    char e[CTR_MAX_STEP + 128];
    napi_get_element(env, list, read, &rec);
    if (ctr_read_spawn(env, rec, &cs[read], &ds[read], &detached, e, sizeof e) < 0) { snprintf(err, sizeof err, "records[%u]: %s", read, e); break; }
    if (!detached) { ctr_free_spawn(&cs[read], &ds[read]); snprintf(err, sizeof err, "records[%u]: detach: missing", read); break; }
  }
  int rc = -1, ctl_fd = -1;
  if (read == n) rc = ctr_spawn_detached(cs, ds, (int)n, rs, &ctl_fd);
  int into_cgroup[n];
  for (uint32_t i = 0; i < read; i++) {
    into_cgroup[i] = cs[i].cgroup_fd >= 0;
    ctr_free_spawn(&cs[i], &ds[i]);
  }
  free(cs); free(ds);
  if (read < n) { free(rs); napi_throw_type_error(env, NULL, err); return NULL; }
  if (rc < 0) { napi_value t = ctr_js_throw_step(env, rs[0].step, rs[0].err); free(rs); return t; }

  napi_value out, children;
  napi_create_object(env, &out);
  set_int(env, out, "ctlFd", ctl_fd);
  napi_create_array_with_length(env, n, &children);
  for (uint32_t i = 0; i < n; i++) {
    napi_value ch, b;
    napi_create_object(env, &ch);
    set_int(env, ch, "pid", rs[i].pid);
    set_int(env, ch, "syncFd", rs[i].sync_fd);
    napi_get_boolean(env, into_cgroup[i], &b);
    napi_set_named_property(env, ch, "intoCgroup", b);
    napi_set_element(env, children, i, ch);
  }
  napi_set_named_property(env, out, "children", children);
  free(rs);
  return out;
}

/* start() and resume() answer alike: { ptyMaster } once the child exec'd (the sync socket is
 * then closed), or { ptyMaster, paused: step } when it stopped before a step (run --step:
 * the socket stays open for resume()) */
static napi_value start_result(napi_env env, int fd, int rc, int pty, struct ctr_spawn_result *r) {
  if (rc != 1) close(fd);
  if (rc < 0) return ctr_js_throw_step(env, r->step, r->err);
  napi_value out;
  napi_create_object(env, &out);
  set_int(env, out, "ptyMaster", pty);
  if (rc == 1) {
    napi_value s;
    napi_create_string_utf8(env, r->step, NAPI_AUTO_LENGTH, &s);
    napi_set_named_property(env, out, "paused", s);
  }
  return out;
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = 3;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) { napi_throw_type_error(env, NULL, "start(syncFd, state?, rootFd?)"); return NULL; }
  int32_t fd, root_fd = -1;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  char *state = argc > 1 ? arg_str(env, argv, argc, 1) : NULL;
  if (argc > 2) CHECK(napi_get_value_int32(env, argv[2], &root_fd));
  int pty = -1;
  struct ctr_spawn_result r;
  memset(&r, 0, sizeof r);
  int rc = ctr_start(fd, state, root_fd, &pty, &r);
  free(state);
  return start_result(env, fd, rc, pty, &r);
}

static napi_value js_resume(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value a = arg0(env, info, 1, argv);
  if (!a) { napi_throw_type_error(env, NULL, "resume(syncFd)"); return NULL; }
  int32_t fd;
  CHECK(napi_get_value_int32(env, a, &fd));
  int pty = -1;
  struct ctr_spawn_result r;
  memset(&r, 0, sizeof r);
  int rc = ctr_resume(fd, &pty, &r);
  return start_result(env, fd, rc, pty, &r);
}

/* idmappedOverlay(record): --userns=remap's root, made by a helper (idmap.c) once the
 * child's id maps are written; returns the detached overlay mount's fd for start() */
static napi_value js_idmapped_overlay(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value spec = arg0(env, info, 1, argv);
  if (!spec) { napi_throw_type_error(env, NULL, "idmappedOverlay(record)"); return NULL; }
  struct ctr_idmap m;
  char err[CTR_MAX_STEP + 128];
  if (ctr_read_idmap(env, spec, &m, err, sizeof err) < 0) { napi_throw_type_error(env, NULL, err); return NULL; }
  struct ctr_spawn_result r;
  int fd = -1;
  int rc = ctr_idmapped_overlay(&m, &fd, &r);
  ctr_free_idmap(&m);
  if (rc < 0) return ctr_js_throw_step(env, r.step, r.err);
  napi_value out;
  napi_create_object(env, &out);
  set_int(env, out, "mountFd", fd);
  return out;
}

/* ---------- enter ---------- */

static napi_value js_enter(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value spec = arg0(env, info, 1, argv);
  if (!spec) { napi_throw_type_error(env, NULL, "enter(spec)"); return NULL; }
  struct ctr_enter_config c;
  char err[CTR_MAX_STEP + 128];
  if (ctr_read_enter(env, spec, &c, err, sizeof err) < 0) { napi_throw_type_error(env, NULL, err); return NULL; }

  struct ctr_spawn_result r;
  int rc = ctr_enter(&c, &r);
  ctr_free_enter(&c);
  if (rc < 0) return ctr_js_throw_step(env, r.step, r.err);

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
    napi_create_string_utf8(env, rr.step, NAPI_AUTO_LENGTH, &m);
    napi_set_named_property(env, out, "errorStep", m);
    set_int(env, out, "errno", rr.err);
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

/* ---------- small wrappers. unshare and sethostname act on the CALLING process: they are
 * probes for the seccomp tests (a syscall the filter must stop), run in a throwaway `node`
 * child, never in the minictr CLI itself (Node is multithreaded). ---------- */

static napi_value js_set_winsize(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value a[3];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  int32_t fd = -1, rows = 24, cols = 80;
  napi_get_value_int32(env, a[0], &fd);
  napi_get_value_int32(env, a[1], &rows);
  napi_get_value_int32(env, a[2], &cols);
  struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0) return ctr_js_throw_step(env, "ioctl(TIOCSWINSZ)", errno);
  return NULL;
}

static napi_value js_send_fd(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value a[3];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  int32_t sock = -1, fd = -1;
  uint32_t index = 0;
  if (argc >= 2) { napi_get_value_int32(env, a[0], &sock); napi_get_value_int32(env, a[1], &fd); }
  if (argc >= 3) napi_get_value_uint32(env, a[2], &index);
  if (ctr_send_fd(sock, fd, index) < 0) return ctr_js_throw_step(env, "sendmsg(SCM_RIGHTS)", errno);
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
  if (t != napi_string) return NULL;
  size_t len = 0;
  napi_get_value_string_utf8(env, a[i], NULL, 0, &len);
  char *s = malloc(len + 1);
  napi_get_value_string_utf8(env, a[i], s, len + 1, &len);
  return s;
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
  return rc < 0 ? ctr_js_throw_step(env, step, errno) : NULL;
}
WRAP_BEGIN(js_sethostname, 1)
  char *h = arg_str(env, a, argc, 0);
  rc = h ? sethostname(h, strlen(h)) : (errno = EINVAL, -1);
  snprintf(step, sizeof step, "sethostname(%s)", h ? h : "");
  free(h);
  return rc < 0 ? ctr_js_throw_step(env, step, errno) : NULL;
}

/* mkfifo(path, mode): OCI create's exec fifo (Node has no mkfifo) */
WRAP_BEGIN(js_mkfifo, 2)
  char *p = arg_str(env, a, argc, 0);
  int64_t mode = arg_int(env, a, argc, 1);
  rc = p ? mkfifo(p, (mode_t)mode) : (errno = EINVAL, -1);
  snprintf(step, sizeof step, "mkfifo(%s)", p ? p : "");
  free(p);
  return rc < 0 ? ctr_js_throw_step(env, step, errno) : NULL;
}

/* sendFdToSocket(path, fd): connect to an engine's --console-socket and hand it the pty
 * master in one SCM_RIGHTS message, named as runc names it (the pty's /dev/pts path); no
 * reply is awaited. */
WRAP_BEGIN(js_send_fd_to_socket, 2)
  char *path = arg_str(env, a, argc, 0);
  int fd = (int)arg_int(env, a, argc, 1);
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  rc = -1;
  int s = -1;
  if (!path || strlen(path) >= sizeof sa.sun_path) errno = ENAMETOOLONG;
  else if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
    strcpy(sa.sun_path, path);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0) {
      unsigned int n = 0;
      char name[64] = "/dev/ptmx";
      if (ioctl(fd, TIOCGPTN, &n) == 0) snprintf(name, sizeof name, "/dev/pts/%u", n);
      rc = ctr_sendmsg_fd(s, name, strlen(name), fd);
    }
  }
  int e = errno;
  if (s >= 0) close(s);
  snprintf(step, sizeof step, "send the terminal to the console socket %s", path ? path : "");
  free(path);
  return rc < 0 ? ctr_js_throw_step(env, step, e) : NULL;
}

/* exitNow(code, note, nonblockingAtStart): end the process at once with _exit(code), for
 * bin/run-bundle.js once every 'exit' listener has run: node's own exit then joins its platform
 * and libuv threads and runs its static destructors, ~1.5-2 ms of a `run` after its last line
 * (BENCHMARKS.md). As node's exit does (its ResetStdio), fds 0-2 get back the O_NONBLOCK they
 * had when the process started (nonblockingAtStart[fd]: 1 or 0; 2: untouched, kept as it is;
 * anything else: not known),
 * since a pipe's end is shared with the shell's other processes (node makes a pipe it writes
 * to non-blocking). note (MINICTR_PROFILE's mark) is written to stderr last. It does nothing
 * and returns false for a terminal (node restores its mode, which only node knows) or a
 * non-blocking fd whose start is not known. */
static napi_value js_exit_now(napi_env env, napi_callback_info info) {
  napi_value a[3];
  size_t argc = 3;
  int32_t code = 0;
  int at_start[3] = { -1, -1, -1 };
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, a[0], &code) != napi_ok) code = 1;
  bool is_array = false;
  if (argc >= 3 && napi_is_array(env, a[2], &is_array) == napi_ok && is_array) {
    for (uint32_t i = 0; i < 3; i++) {
      napi_value v;
      if (napi_get_element(env, a[2], i, &v) == napi_ok && napi_get_value_int32(env, v, &at_start[i]) != napi_ok) at_start[i] = -1;
    }
  }
  int flags[3];
  for (int fd = 0; fd <= 2; fd++) {
    flags[fd] = fcntl(fd, F_GETFL);
    bool unknown = at_start[fd] < 0 || at_start[fd] > 2;
    if (isatty(fd) || (flags[fd] != -1 && (flags[fd] & O_NONBLOCK) && unknown)) {
      napi_value no;
      napi_get_boolean(env, false, &no);
      return no;
    }
  }
  for (int fd = 0; fd <= 2; fd++) {
    if (flags[fd] == -1 || at_start[fd] < 0 || at_start[fd] > 1) continue;
    int want = at_start[fd] ? (flags[fd] | O_NONBLOCK) : (flags[fd] & ~O_NONBLOCK);
    if (want != flags[fd]) fcntl(fd, F_SETFL, want);
  }
  char note[128];
  size_t len = 0;
  if (argc >= 2 && napi_get_value_string_utf8(env, a[1], note, sizeof note, &len) == napi_ok && len > 0) {
    ssize_t w = write(2, note, len);
    (void)w;
  }
  fflush(NULL);
  _exit(code & 0xff);
}

static napi_value js_contract(napi_env env, napi_callback_info info) {
  return ctr_contract_fields(env);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "spawn", NULL, js_spawn, NULL, NULL, NULL, napi_default, NULL },
    { "spawnDetached", NULL, js_spawn_detached, NULL, NULL, NULL, napi_default, NULL },
    { "start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL },
    { "resume", NULL, js_resume, NULL, NULL, NULL, napi_default, NULL },
    { "idmappedOverlay", NULL, js_idmapped_overlay, NULL, NULL, NULL, napi_default, NULL },
    { "enter", NULL, js_enter, NULL, NULL, NULL, napi_default, NULL },
    { "wait", NULL, js_wait, NULL, NULL, NULL, napi_default, NULL },
    { "setWinsize", NULL, js_set_winsize, NULL, NULL, NULL, napi_default, NULL },
    { "sendFd", NULL, js_send_fd, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
    { "unshare", NULL, js_unshare, NULL, NULL, NULL, napi_default, NULL },
    { "sethostname", NULL, js_sethostname, NULL, NULL, NULL, napi_default, NULL },
    { "contract", NULL, js_contract, NULL, NULL, NULL, napi_default, NULL },
    { "exitNow", NULL, js_exit_now, NULL, NULL, NULL, napi_default, NULL },
    { "mkfifo", NULL, js_mkfifo, NULL, NULL, NULL, napi_default, NULL },
    { "sendFdToSocket", NULL, js_send_fd_to_socket, NULL, NULL, NULL, napi_default, NULL },
    { "compileSeccomp", NULL, ctr_js_compile_seccomp, NULL, NULL, NULL, napi_default, NULL },
    { "seccompLoad", NULL, ctr_js_seccomp_load, NULL, NULL, NULL, napi_default, NULL },
    { "attachDeviceFilter", NULL, ctr_js_attach_device_filter, NULL, NULL, NULL, napi_default, NULL },
    { "detachDeviceFilter", NULL, ctr_js_detach_device_filter, NULL, NULL, NULL, napi_default, NULL },
    { "readFileInRoot", NULL, ctr_js_read_file_in_root, NULL, NULL, NULL, napi_default, NULL },
    { "lstatInRoot", NULL, ctr_js_lstat_in_root, NULL, NULL, NULL, napi_default, NULL },
    { "netnsApply", NULL, ctr_js_netns_apply, NULL, NULL, NULL, napi_default, NULL },
    { "netnsInspect", NULL, ctr_js_netns_inspect, NULL, NULL, NULL, napi_default, NULL },
    { "cleanAfterExit", NULL, ctr_js_clean_after_exit, NULL, NULL, NULL, napi_default, NULL },
    { "sha256Hex", NULL, ctr_js_sha256_hex, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
