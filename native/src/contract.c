/*
 * The TypeScript <-> C contract, C half: reading the spawn, enter and idmap records that
 * src/native/contract.ts describes into plain C structs. Every object is checked against its
 * field list below: a key that is unknown, missing (when required) or of the wrong type is an
 * error that names it, never a silent default. test/unit/native-contract.test.ts checks that
 * these lists and the TypeScript types are the same.
 */
#include "contract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct field { const char *name; int required; };
#define F(n) { #n, 1 }
#define O(n) { #n, 0 }

/* ---- the field lists: keep in step with src/native/contract.ts ---- */
static const struct field spawn_fields[] = {
  F(cloneFlags), F(unshareCgroupns), F(joinNamespaces), F(rootfs), O(overlay), F(rootReadonly),
  F(rootPropagation), F(noPivot), F(mounts), F(devices), F(symlinks), F(masked), F(readonly),
  F(sysctls), O(hostname), O(domainname), F(cwd), F(command), F(initMode), F(env), F(creds),
  F(tty), O(ttyRows), O(ttyCols), F(stdio), F(preserveFds), F(loopbackUp), O(netConfig),
  F(dieWithParent), F(cgroupFd), O(cgroupTasks), F(initPath), O(execFifo), O(hooks), F(explainFd), O(detach),
  F(rootFromParent), O(explainNames), O(pauseSteps),
};
static const struct field creds_fields[] = {
  F(bounding), F(effective), F(permitted), F(inheritable), F(ambient), F(uid), F(gid), F(groups),
  F(umask), F(noNewPrivs), F(rlimits), O(keyring), F(personality), O(seccomp),
};
static const struct field enter_fields[] = {
  F(pid), F(nsFlags), F(command), F(env), O(cwd), O(creds), F(tty), F(stdio), F(detach),
  F(preserveFds), F(cgroupFd), F(cgroupProcs), F(explainFd), F(initPath),
};
static const struct field mount_fields[] = { F(source), F(target), F(fstype), F(flags), F(propagation), O(data), F(file), F(copyUp) };
static const struct field device_fields[] = { F(path), F(mode), F(major), F(minor), F(uid), F(gid) };
static const struct field symlink_fields[] = { F(target), F(path) };
static const struct field join_fields[] = { F(type), F(path) };
static const struct field sysctl_fields[] = { F(key), F(value) };
static const struct field rlimit_fields[] = { F(resource), F(soft), F(hard) };
static const struct field seccomp_fields[] = { F(filter), F(flags) };
static const struct field net_fields[] = { F(ifname), F(address), F(prefix), O(gateway) };
static const struct field hooks_fields[] = { F(createContainer), F(startContainer) };
static const struct field hook_fields[] = { F(path), F(args), F(env), F(timeout) };
static const struct field detach_fields[] = { F(monitorPath), F(logPath), F(exitPath), O(onExit), F(keepStdin), O(healthProbe), O(healthIntervalMs) };
static const struct field explain_name_fields[] = { F(name), F(value) };
static const struct field idmap_fields[] = { F(pid), F(layers), F(upperdir), F(workdir), F(rootfs), F(explainFd) };

#define LIST(x) x, sizeof x / sizeof x[0]

/* ---- a reader that remembers its first error ---- */
struct rd { napi_env env; int failed; char err[512]; };

static void fail(struct rd *r, const char *fmt, ...) {
  if (r->failed) return;
  r->failed = 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->err, sizeof r->err, fmt, ap);
  va_end(ap);
}

static napi_valuetype type_of(struct rd *r, napi_value v) {
  napi_valuetype t = napi_undefined;
  napi_typeof(r->env, v, &t);
  return t;
}

/* Check obj's own keys against the list; then get(key) may be called for listed keys. */
static void check(struct rd *r, napi_value obj, const char *what, const struct field *f, size_t n) {
  if (r->failed) return;
  if (type_of(r, obj) != napi_object) { fail(r, "%s: not an object", what); return; }
  napi_value keys;
  uint32_t len = 0;
  napi_get_property_names(r->env, obj, &keys);
  napi_get_array_length(r->env, keys, &len);
  for (uint32_t i = 0; i < len; i++) {
    napi_value k;
    char name[64];
    size_t l = 0;
    napi_get_element(r->env, keys, i, &k);
    napi_get_value_string_utf8(r->env, k, name, sizeof name, &l);
    size_t j = 0;
    while (j < n && strcmp(f[j].name, name) != 0) j++;
    if (j == n) { fail(r, "%s: unknown key \"%s\"", what, name); return; }
  }
  for (size_t j = 0; j < n; j++) {
    if (!f[j].required) continue;
    napi_value v;
    napi_get_named_property(r->env, obj, f[j].name, &v);
    if (type_of(r, v) == napi_undefined) { fail(r, "%s: missing key \"%s\"", what, f[j].name); return; }
  }
}

static int present(struct rd *r, napi_value obj, const char *key, napi_value *v) {
  if (r->failed) return 0;
  napi_get_named_property(r->env, obj, key, v);
  napi_valuetype t = type_of(r, *v);
  return t != napi_undefined && t != napi_null;
}

static char *str_of(struct rd *r, napi_value v, const char *what) {
  if (type_of(r, v) != napi_string) { fail(r, "%s: not a string", what); return NULL; }
  size_t len = 0;
  napi_get_value_string_utf8(r->env, v, NULL, 0, &len);
  char *s = malloc(len + 1);
  napi_get_value_string_utf8(r->env, v, s, len + 1, &len);
  if (strlen(s) != len) { free(s); fail(r, "%s: holds a NUL byte", what); return NULL; }
  return s;
}

static char *get_str(struct rd *r, napi_value obj, const char *key) {
  napi_value v;
  return present(r, obj, key, &v) ? str_of(r, v, key) : NULL;
}

static double get_num(struct rd *r, napi_value obj, const char *key, double dflt) {
  napi_value v;
  if (!present(r, obj, key, &v)) return dflt;
  if (type_of(r, v) != napi_number) { fail(r, "%s: not a number", key); return dflt; }
  double d = dflt;
  napi_get_value_double(r->env, v, &d);
  return d;
}

static int64_t get_int(struct rd *r, napi_value obj, const char *key, int64_t dflt) {
  double d = get_num(r, obj, key, (double)dflt);
  if (d != (double)(int64_t)d) { fail(r, "%s: not an integer", key); return dflt; }
  return (int64_t)d;
}

static int get_bool(struct rd *r, napi_value obj, const char *key) {
  napi_value v;
  if (!present(r, obj, key, &v)) return 0;
  if (type_of(r, v) != napi_boolean) { fail(r, "%s: not a boolean", key); return 0; }
  bool b = false;
  napi_get_value_bool(r->env, v, &b);
  return b;
}

static uint32_t get_array(struct rd *r, napi_value obj, const char *key, napi_value *arr) {
  if (!present(r, obj, key, arr)) return 0;
  bool is = false;
  napi_is_array(r->env, *arr, &is);
  if (!is) { fail(r, "%s: not an array", key); return 0; }
  uint32_t n = 0;
  napi_get_array_length(r->env, *arr, &n);
  return n;
}

static napi_value elem(struct rd *r, napi_value arr, uint32_t i) {
  napi_value e;
  napi_get_element(r->env, arr, i, &e);
  return e;
}

/* NULL-terminated char** with `reserve` empty slots in front */
static char **get_strv(struct rd *r, napi_value obj, const char *key, size_t reserve, size_t *count) {
  napi_value arr;
  uint32_t n = get_array(r, obj, key, &arr);
  char **v = calloc(reserve + n + 1, sizeof *v);
  for (uint32_t i = 0; i < n; i++) v[reserve + i] = str_of(r, elem(r, arr, i), key);
  if (count) *count = n;
  return v;
}

static uint64_t get_capset(struct rd *r, napi_value obj, const char *key) {
  napi_value arr;
  uint32_t n = get_array(r, obj, key, &arr);
  uint64_t caps = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e = elem(r, arr, i);
    int32_t c = -1;
    if (type_of(r, e) != napi_number) { fail(r, "%s[%u]: not a number", key, i); return 0; }
    napi_get_value_int32(r->env, e, &c);
    if (c < 0 || c > 63) { fail(r, "%s[%u]: no capability %d", key, i, c); return 0; }
    caps |= 1ULL << c;
  }
  return caps;
}

static void get_stdio(struct rd *r, napi_value obj, int stdio[3]) {
  napi_value arr;
  uint32_t n = get_array(r, obj, "stdio", &arr);
  if (!r->failed && n != 3) { fail(r, "stdio: expected 3 fds"); return; }
  for (uint32_t i = 0; i < n && i < 3; i++) {
    napi_value e = elem(r, arr, i);
    if (type_of(r, e) != napi_number) { fail(r, "stdio[%u]: not a number", i); return; }
    napi_get_value_int32(r->env, e, &stdio[i]);
  }
}

/* RLIM_INFINITY arrives as 2^64-1 written in JSON, i.e. a double >= 2^64 */
static uint64_t limit_value(double d) {
  if (d >= 18446744073709551615.0) return ~0ULL;
  if (d < 0) return 0;
  return (uint64_t)d;
}

static int read_last_cap(void) {
  int last = 40;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f) { if (fscanf(f, "%d", &last) != 1) last = 40; fclose(f); }
  return last;
}

static void read_creds(struct rd *r, napi_value obj, struct ctr_creds *c) {
  check(r, obj, "creds", LIST(creds_fields));
  c->bounding = get_capset(r, obj, "bounding");
  c->effective = get_capset(r, obj, "effective");
  c->permitted = get_capset(r, obj, "permitted");
  c->inheritable = get_capset(r, obj, "inheritable");
  c->ambient = get_capset(r, obj, "ambient");
  c->last_cap = read_last_cap();
  c->uid = (int)get_int(r, obj, "uid", -1);
  c->gid = (int)get_int(r, obj, "gid", -1);
  napi_value arr;
  uint32_t n = get_array(r, obj, "groups", &arr);
  c->groups = calloc(n + 1, sizeof *c->groups);
  c->n_groups = n;
  for (uint32_t i = 0; i < n; i++) {
    int64_t g = -1;
    napi_value e = elem(r, arr, i);
    if (type_of(r, e) == napi_number) napi_get_value_int64(r->env, e, &g);
    if (g < 0) { fail(r, "groups[%u]: not a group id", i); return; }
    c->groups[i] = (gid_t)g;
  }
  c->umask = (int)get_int(r, obj, "umask", -1);
  c->no_new_privs = get_bool(r, obj, "noNewPrivs");
  n = get_array(r, obj, "rlimits", &arr);
  c->rlimits = calloc(n + 1, sizeof *c->rlimits);
  c->n_rlimits = n;
  for (uint32_t i = 0; i < n; i++) {
    napi_value l = elem(r, arr, i);
    check(r, l, "rlimits[]", LIST(rlimit_fields));
    c->rlimits[i].resource = (int)get_int(r, l, "resource", -1);
    c->rlimits[i].soft = limit_value(get_num(r, l, "soft", 0));
    c->rlimits[i].hard = limit_value(get_num(r, l, "hard", 0));
  }
  c->keyring = get_str(r, obj, "keyring");
  c->personality = (long)get_int(r, obj, "personality", -1);
  napi_value sc;
  if (present(r, obj, "seccomp", &sc)) {
    check(r, sc, "creds.seccomp", LIST(seccomp_fields));
    napi_value buf;
    bool is = false;
    napi_get_named_property(r->env, sc, "filter", &buf);
    napi_is_buffer(r->env, buf, &is);
    if (!is) { fail(r, "seccomp.filter: not a Buffer"); return; }
    void *data = NULL;
    size_t len = 0;
    napi_get_buffer_info(r->env, buf, &data, &len);
    if (len == 0 || len % 8) { fail(r, "seccomp.filter: %zu bytes is not a BPF program", len); return; }
    c->seccomp = malloc(len);
    memcpy(c->seccomp, data, len);
    c->seccomp_len = len;
    c->seccomp_flags = (unsigned)get_int(r, sc, "flags", 0);
  }
}

static void free_creds(struct ctr_creds *c) {
  free(c->groups); free(c->rlimits); free(c->keyring); free(c->seccomp);
}

static void read_hooks(struct rd *r, napi_value arr_owner, const char *key, struct ctr_hook **out, size_t *count) {
  napi_value arr;
  uint32_t n = get_array(r, arr_owner, key, &arr);
  *out = calloc(n + 1, sizeof **out);
  *count = n;
  for (uint32_t i = 0; i < n; i++) {
    napi_value h = elem(r, arr, i);
    check(r, h, "hooks[]", LIST(hook_fields));
    (*out)[i].path = get_str(r, h, "path");
    (*out)[i].argv = get_strv(r, h, "args", 0, NULL);
    (*out)[i].envp = get_strv(r, h, "env", 0, NULL);
    (*out)[i].timeout = (int)get_int(r, h, "timeout", 0);
  }
}

static void free_strv(char **v, size_t reserve) {
  if (!v) return;
  for (char **p = v + reserve; *p; p++) free(*p);
  free(v);
}

static void free_hooks(struct ctr_hook *h, size_t n) {
  for (size_t i = 0; i < n; i++) { free(h[i].path); free_strv(h[i].argv, 0); free_strv(h[i].envp, 0); }
  free(h);
}

/* argv of minictr-init around the command: [init, --tty?, --, cmd...] or [init, --exec, <found>, --, cmd...] */
static char **init_argv(struct rd *r, napi_value obj, const char *mode, int *path_slot, int *cmd_index) {
  int exec = strcmp(mode, "exec") == 0, tty = strcmp(mode, "pid1-tty") == 0;
  if (!exec && !tty && strcmp(mode, "pid1") != 0) { fail(r, "initMode: \"%s\" is not pid1, pid1-tty or exec", mode); return NULL; }
  size_t n = 0;
  char **v = get_strv(r, obj, "command", 4, &n);
  if (!r->failed && n == 0) fail(r, "command: empty");
  size_t k = 0;
  v[k++] = "minictr-init";
  if (exec) { v[k++] = "--exec"; *path_slot = (int)k; v[k++] = NULL; }
  if (tty) v[k++] = "--tty";
  v[k++] = "--";
  /* close the gap the 4 reserved slots left */
  memmove(v + k, v + 4, (n + 1) * sizeof *v);
  *cmd_index = (int)k;
  return v;
}

static void free_init_argv(char **v, int cmd_index) {
  if (!v) return;
  for (char **p = v + cmd_index; *p; p++) free(*p);
  free(v);
}

static int open_init(struct rd *r, napi_value obj) {
  char *path = get_str(r, obj, "initPath");
  int fd = -1;
  if (path && ctr_load_init(path, &fd) < 0) fail(r, "load %s: %s", path, strerror(errno));
  free(path);
  return fd;
}

static int dup_explain(struct rd *r, napi_value obj) {
  int fd = (int)get_int(r, obj, "explainFd", -1);
  return fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
}

int ctr_read_spawn(napi_env env, napi_value spec, struct ctr_config *c, struct ctr_detach *d, int *detached, char *err, size_t errlen) {
  struct rd r = { env, 0, "" };
  memset(c, 0, sizeof *c);
  memset(d, 0, sizeof *d);
  c->exec_fifo_fd = c->init_fd = c->explain_fd = c->cgroup_fd = c->root_fd = -1;
  check(&r, spec, "spawn", LIST(spawn_fields));
  c->clone_flags = (int)get_int(&r, spec, "cloneFlags", 0);
  c->unshare_cgroupns = get_bool(&r, spec, "unshareCgroupns");
  c->rootfs = get_str(&r, spec, "rootfs");
  c->overlay_data = get_str(&r, spec, "overlay");
  c->root_from_parent = get_bool(&r, spec, "rootFromParent");
  if (c->root_from_parent && c->overlay_data) fail(&r, "overlay: not with rootFromParent (the parent mounts the root)");
  c->root_readonly = get_bool(&r, spec, "rootReadonly");
  c->root_propagation = (unsigned long)get_int(&r, spec, "rootPropagation", 0);
  c->no_pivot = get_bool(&r, spec, "noPivot");
  c->hostname = get_str(&r, spec, "hostname");
  c->domainname = get_str(&r, spec, "domainname");
  c->cwd = get_str(&r, spec, "cwd");
  c->envp = get_strv(&r, spec, "env", 0, NULL);
  c->masked = get_strv(&r, spec, "masked", 0, &c->n_masked);
  c->readonly = get_strv(&r, spec, "readonly", 0, &c->n_readonly);
  c->tty = get_bool(&r, spec, "tty");
  c->tty_rows = (unsigned short)get_int(&r, spec, "ttyRows", 0);
  c->tty_cols = (unsigned short)get_int(&r, spec, "ttyCols", 0);
  get_stdio(&r, spec, c->stdio);
  c->preserve_fds = (int)get_int(&r, spec, "preserveFds", 0);
  c->loopback_up = get_bool(&r, spec, "loopbackUp");
  c->die_with_parent = get_bool(&r, spec, "dieWithParent");
  c->cgroup_fd = (int)get_int(&r, spec, "cgroupFd", -1);
  c->cgroup_tasks = get_strv(&r, spec, "cgroupTasks", 0, &c->n_cgroup_tasks);

  napi_value v, arr;
  if (present(&r, spec, "creds", &v)) read_creds(&r, v, &c->creds);
  char *mode = get_str(&r, spec, "initMode");
  if (mode) c->argv = init_argv(&r, spec, mode, &c->exec_path_slot, &c->command_index);
  free(mode);

  uint32_t n = get_array(&r, spec, "joinNamespaces", &arr);
  c->joins = calloc(n + 1, sizeof *c->joins);
  for (uint32_t i = 0; i < n && !r.failed; i++) {
    napi_value j = elem(&r, arr, i);
    check(&r, j, "joinNamespaces[]", LIST(join_fields));
    struct ctr_nsjoin *nj = &c->joins[c->n_joins];
    nj->type = (int)get_int(&r, j, "type", 0);
    nj->path = get_str(&r, j, "path");
    if (r.failed) break;
    nj->fd = open(nj->path, O_RDONLY | O_CLOEXEC);
    if (nj->fd < 0) { fail(&r, "open(%s): %s", nj->path, strerror(errno)); free(nj->path); break; }
    c->n_joins++;
  }
  n = get_array(&r, spec, "mounts", &arr);
  c->mounts = calloc(n + 1, sizeof *c->mounts);
  for (uint32_t i = 0; i < n && !r.failed; i++, c->n_mounts++) {
    napi_value m = elem(&r, arr, i);
    check(&r, m, "mounts[]", LIST(mount_fields));
    struct ctr_mount *cm = &c->mounts[i];
    cm->source = get_str(&r, m, "source");
    cm->target = get_str(&r, m, "target");
    cm->fstype = get_str(&r, m, "fstype");
    cm->flags = (unsigned long)get_int(&r, m, "flags", 0);
    cm->propagation = (unsigned long)get_int(&r, m, "propagation", 0);
    cm->data = get_str(&r, m, "data");
    cm->target_is_file = get_bool(&r, m, "file");
    cm->copy_up = get_bool(&r, m, "copyUp");
  }
  n = get_array(&r, spec, "devices", &arr);
  c->devices = calloc(n + 1, sizeof *c->devices);
  for (uint32_t i = 0; i < n && !r.failed; i++, c->n_devices++) {
    napi_value dv = elem(&r, arr, i);
    check(&r, dv, "devices[]", LIST(device_fields));
    c->devices[i].path = get_str(&r, dv, "path");
    c->devices[i].mode = (mode_t)get_int(&r, dv, "mode", 0);
    c->devices[i].major = (unsigned)get_int(&r, dv, "major", 0);
    c->devices[i].minor = (unsigned)get_int(&r, dv, "minor", 0);
    c->devices[i].uid = (int)get_int(&r, dv, "uid", -1);
    c->devices[i].gid = (int)get_int(&r, dv, "gid", -1);
  }
  n = get_array(&r, spec, "symlinks", &arr);
  c->symlinks = calloc(n + 1, sizeof *c->symlinks);
  for (uint32_t i = 0; i < n && !r.failed; i++, c->n_symlinks++) {
    napi_value s = elem(&r, arr, i);
    check(&r, s, "symlinks[]", LIST(symlink_fields));
    c->symlinks[i].target = get_str(&r, s, "target");
    c->symlinks[i].path = get_str(&r, s, "path");
  }
  n = get_array(&r, spec, "sysctls", &arr);
  c->sysctls = calloc(n + 1, sizeof *c->sysctls);
  for (uint32_t i = 0; i < n && !r.failed; i++, c->n_sysctls++) {
    napi_value s = elem(&r, arr, i);
    check(&r, s, "sysctls[]", LIST(sysctl_fields));
    c->sysctls[i].key = get_str(&r, s, "key");
    c->sysctls[i].value = get_str(&r, s, "value");
  }
  if (present(&r, spec, "netConfig", &v)) {
    check(&r, v, "netConfig", LIST(net_fields));
    c->net_ifname = get_str(&r, v, "ifname");
    c->net_address = get_str(&r, v, "address");
    c->net_prefix = (int)get_int(&r, v, "prefix", 24);
    c->net_gateway = get_str(&r, v, "gateway");
  }
  if (present(&r, spec, "hooks", &v)) {
    check(&r, v, "hooks", LIST(hooks_fields));
    read_hooks(&r, v, "createContainer", &c->create_hooks, &c->n_create_hooks);
    read_hooks(&r, v, "startContainer", &c->start_hooks, &c->n_start_hooks);
  }
  *detached = present(&r, spec, "detach", &v);
  if (*detached) {
    check(&r, v, "detach", LIST(detach_fields));
    d->monitor_path = get_str(&r, v, "monitorPath");
    d->log_path = get_str(&r, v, "logPath");
    d->exit_path = get_str(&r, v, "exitPath");
    d->on_exit = present(&r, v, "onExit", &arr) ? get_strv(&r, v, "onExit", 0, NULL) : NULL;
    d->keep_stdin = get_bool(&r, v, "keepStdin");
    d->health_probe = present(&r, v, "healthProbe", &arr) ? get_strv(&r, v, "healthProbe", 0, NULL) : NULL;
    d->health_interval_ms = get_int(&r, v, "healthIntervalMs", 0);
    if (d->health_probe && d->health_interval_ms <= 0) fail(&r, "detach: healthProbe needs a positive healthIntervalMs");
  }
  n = get_array(&r, spec, "explainNames", &arr);
  c->explain_names = calloc(n + 1, sizeof *c->explain_names);
  for (uint32_t i = 0; i < n && !r.failed; i++, c->n_explain_names++) {
    napi_value e = elem(&r, arr, i);
    check(&r, e, "explainNames[]", LIST(explain_name_fields));
    c->explain_names[i].name = get_str(&r, e, "name");
    c->explain_names[i].value = get_str(&r, e, "value");
    if (!r.failed && (!*c->explain_names[i].name || !*c->explain_names[i].value)) fail(&r, "explainNames[%u]: empty", i);
  }
  c->pause_steps = get_bool(&r, spec, "pauseSteps");
  char *fifo = get_str(&r, spec, "execFifo");
  if (fifo && !r.failed) {
    c->exec_fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
    if (c->exec_fifo_fd < 0) fail(&r, "open(%s): %s", fifo, strerror(errno));
  }
  free(fifo);
  if (!r.failed) c->init_fd = open_init(&r, spec);
  if (!r.failed) c->explain_fd = dup_explain(&r, spec);
  if (r.failed) {
    snprintf(err, errlen, "spawn record: %s (see src/native/contract.ts)", r.err);
    ctr_free_spawn(c, d);
    return -1;
  }
  return 0;
}

void ctr_free_spawn(struct ctr_config *c, struct ctr_detach *d) {
  for (size_t i = 0; i < c->n_joins; i++) { if (c->joins[i].fd >= 0) close(c->joins[i].fd); free(c->joins[i].path); }
  free(c->joins);
  free(c->net_ifname); free(c->net_address); free(c->net_gateway);
  free(c->rootfs); free(c->overlay_data); free(c->hostname); free(c->domainname); free(c->cwd);
  for (size_t i = 0; i < c->n_mounts; i++) {
    free(c->mounts[i].source); free(c->mounts[i].target); free(c->mounts[i].fstype); free(c->mounts[i].data);
  }
  free(c->mounts);
  for (size_t i = 0; i < c->n_devices; i++) free(c->devices[i].path);
  free(c->devices);
  for (size_t i = 0; i < c->n_symlinks; i++) { free(c->symlinks[i].target); free(c->symlinks[i].path); }
  free(c->symlinks);
  for (size_t i = 0; i < c->n_explain_names; i++) { free(c->explain_names[i].name); free(c->explain_names[i].value); }
  free(c->explain_names);
  for (size_t i = 0; i < c->n_sysctls; i++) { free(c->sysctls[i].key); free(c->sysctls[i].value); }
  free(c->sysctls);
  free_strv(c->masked, 0); free_strv(c->readonly, 0); free_strv(c->envp, 0); free_strv(c->cgroup_tasks, 0);
  free_init_argv(c->argv, c->command_index);
  free_creds(&c->creds);
  free_hooks(c->create_hooks, c->n_create_hooks); free_hooks(c->start_hooks, c->n_start_hooks);
  if (c->exec_fifo_fd >= 0) close(c->exec_fifo_fd);
  if (c->explain_fd >= 0) close(c->explain_fd);
  /* init_fd is a cached memfd: kept */
  free(d->monitor_path); free(d->log_path); free(d->exit_path); free_strv(d->on_exit, 0); free_strv(d->health_probe, 0);
  memset(c, 0, sizeof *c);
  memset(d, 0, sizeof *d);
}

int ctr_read_enter(napi_env env, napi_value spec, struct ctr_enter_config *c, char *err, size_t errlen) {
  struct rd r = { env, 0, "" };
  memset(c, 0, sizeof *c);
  c->init_fd = c->explain_fd = c->cgroup_fd = -1;
  check(&r, spec, "enter", LIST(enter_fields));
  c->target = (pid_t)get_int(&r, spec, "pid", 0);
  c->ns_flags = (int)get_int(&r, spec, "nsFlags", 0);
  c->argv = init_argv(&r, spec, "exec", &c->exec_path_slot, &c->command_index);
  c->envp = get_strv(&r, spec, "env", 0, NULL);
  c->cwd = get_str(&r, spec, "cwd");
  napi_value v;
  c->apply_creds = present(&r, spec, "creds", &v);
  if (c->apply_creds) read_creds(&r, v, &c->creds);
  c->tty = get_bool(&r, spec, "tty");
  get_stdio(&r, spec, c->stdio);
  c->detach = get_bool(&r, spec, "detach");
  c->preserve_fds = (int)get_int(&r, spec, "preserveFds", 0);
  c->cgroup_fd = (int)get_int(&r, spec, "cgroupFd", -1);
  c->cgroup_procs = get_strv(&r, spec, "cgroupProcs", 0, &c->n_cgroup_procs);
  if (!r.failed && c->target <= 0) fail(&r, "pid: %d is not a process", (int)c->target);
  if (!r.failed) c->init_fd = open_init(&r, spec);
  if (!r.failed) c->explain_fd = dup_explain(&r, spec);
  if (r.failed) {
    snprintf(err, errlen, "enter record: %s (see src/native/contract.ts)", r.err);
    ctr_free_enter(c);
    return -1;
  }
  return 0;
}

void ctr_free_enter(struct ctr_enter_config *c) {
  free_init_argv(c->argv, c->command_index);
  free_strv(c->envp, 0); free_strv(c->cgroup_procs, 0); free(c->cwd);
  free_creds(&c->creds);
  if (c->explain_fd >= 0) close(c->explain_fd);
  memset(c, 0, sizeof *c);
}

int ctr_read_idmap(napi_env env, napi_value spec, struct ctr_idmap *m, char *err, size_t errlen) {
  struct rd r = { env, 0, "" };
  memset(m, 0, sizeof *m);
  m->explain_fd = -1;
  check(&r, spec, "idmap", LIST(idmap_fields));
  m->pid = (pid_t)get_int(&r, spec, "pid", 0);
  m->layers = get_strv(&r, spec, "layers", 0, &m->n_layers);
  m->upperdir = get_str(&r, spec, "upperdir");
  m->workdir = get_str(&r, spec, "workdir");
  m->rootfs = get_str(&r, spec, "rootfs");
  if (!r.failed && m->pid <= 0) fail(&r, "pid: %d is not a process", (int)m->pid);
  if (!r.failed && m->n_layers == 0) fail(&r, "layers: empty");
  if (!r.failed) m->explain_fd = dup_explain(&r, spec);
  if (r.failed) {
    snprintf(err, errlen, "idmap record: %s (see src/native/contract.ts)", r.err);
    ctr_free_idmap(m);
    return -1;
  }
  return 0;
}

void ctr_free_idmap(struct ctr_idmap *m) {
  free_strv(m->layers, 0);
  free(m->upperdir); free(m->workdir); free(m->rootfs);
  if (m->explain_fd >= 0) close(m->explain_fd);
  memset(m, 0, sizeof *m);
}

/* The field lists, for the test that holds them against the TypeScript types. */
napi_value ctr_contract_fields(napi_env env) {
  static const struct { const char *name; const struct field *f; size_t n; } lists[] = {
    { "spawn", LIST(spawn_fields) }, { "creds", LIST(creds_fields) }, { "enter", LIST(enter_fields) },
    { "mount", LIST(mount_fields) }, { "device", LIST(device_fields) }, { "symlink", LIST(symlink_fields) },
    { "join", LIST(join_fields) }, { "sysctl", LIST(sysctl_fields) }, { "rlimit", LIST(rlimit_fields) },
    { "seccomp", LIST(seccomp_fields) }, { "netConfig", LIST(net_fields) }, { "hooks", LIST(hooks_fields) },
    { "hook", LIST(hook_fields) }, { "detach", LIST(detach_fields) }, { "idmap", LIST(idmap_fields) },
    { "explainName", LIST(explain_name_fields) },
  };
  napi_value out;
  napi_create_object(env, &out);
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
    napi_value arr;
    napi_create_array_with_length(env, lists[i].n, &arr);
    for (size_t j = 0; j < lists[i].n; j++) {
      char buf[80];
      snprintf(buf, sizeof buf, "%s%s", lists[i].f[j].name, lists[i].f[j].required ? "" : "?");
      napi_value s;
      napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &s);
      napi_set_element(env, arr, (uint32_t)j, s);
    }
    napi_set_named_property(env, out, lists[i].name, arr);
  }
  /* not a record: the names of run --step's pauses in the child, in their order (minictr.h) */
  napi_value steps;
  napi_create_array_with_length(env, CTR_PAUSE_COUNT, &steps);
  for (uint32_t i = 0; i < CTR_PAUSE_COUNT; i++) {
    napi_value s;
    napi_create_string_utf8(env, ctr_pause_steps[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, steps, i, s);
  }
  napi_set_named_property(env, out, "pausePoints", steps);
  return out;
}
