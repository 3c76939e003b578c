/*
 * Node-API glue for seccomp.c, registered by addon.c:
 *  - compileSeccomp(profile): reads the OCI linux.seccomp object into a struct
 *    ctr_seccomp_profile, checking every type on the way so that a bad profile is one line
 *    naming its field, and returns the BPF program as a Buffer (with .flags and .allowed);
 *  - seccompLoad(filter, flags): a thin wrapper for tests that filters the CALLING process
 *    (no_new_privs, then seccomp()). Only ever call it in a throwaway child process.
 */
#include "minictr.h"
#include "addon.h"
#include "seccomp.h"

#include <errno.h>
#include <math.h>
#include <node_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define ERR_LEN CTR_MAX_STEP

static int bad(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(char *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, ERR_LEN, fmt, ap);
  va_end(ap);
  return -1;
}

static napi_value throw_with(napi_env env, const char *msg, const char *code, const char *step, int err) {
  napi_value m, e, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  if (code) { napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &v); napi_set_named_property(env, e, "code", v); }
  if (step) {
    napi_create_string_utf8(env, step, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, e, "step", v);
    napi_create_int32(env, err, &v);
    napi_set_named_property(env, e, "errno", v);
  }
  napi_throw(env, e);
  return NULL;
}

static const char *type_name(napi_env env, napi_value v) {
  napi_valuetype t = napi_undefined;
  bool arr = false;
  napi_typeof(env, v, &t);
  if (t == napi_object && napi_is_array(env, v, &arr) == napi_ok && arr) return "an array";
  switch (t) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_bigint: return "a bigint";
    case napi_object: return "an object";
    default: return "a function or symbol";
  }
}

static int is_type(napi_env env, napi_value v, napi_valuetype want) {
  napi_valuetype t = napi_undefined;
  bool arr = false;
  napi_typeof(env, v, &t);
  if (want == napi_object && napi_is_array(env, v, &arr) == napi_ok && arr) return 0;
  return t == want;
}

static int is_array(napi_env env, napi_value v) {
  bool arr = false;
  return napi_is_array(env, v, &arr) == napi_ok && arr;
}

/* 1 and *v when obj.key is there (undefined and null count as absent, as in Go's JSON) */
static int get(napi_env env, napi_value obj, const char *key, napi_value *v) {
  bool has = false;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, obj, key, v) != napi_ok) return 0;
  napi_valuetype t;
  napi_typeof(env, *v, &t);
  return t != napi_undefined && t != napi_null;
}

static int read_string(napi_env env, napi_value v, const char *where, char **out, char *err) {
  size_t len = 0;
  if (!is_type(env, v, napi_string)) return bad(err, "%s: must be a string, not %s", where, type_name(env, v));
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  *out = malloc(len + 1);
  if (!*out) return bad(err, "%s: out of memory", where);
  napi_get_value_string_utf8(env, v, *out, len + 1, &len);
  return 0;
}

/* obj.key as a string array; absent: an empty one */
static int read_strings(napi_env env, napi_value obj, const char *key, const char *where, char ***out, size_t *n,
                        char *err) {
  napi_value arr;
  uint32_t len = 0;
  *n = 0;
  if (get(env, obj, key, &arr)) {
    if (!is_array(env, arr)) return bad(err, "%s.%s: must be an array of strings, not %s", where, key, type_name(env, arr));
    napi_get_array_length(env, arr, &len);
  }
  *out = calloc(len + 1, sizeof **out);
  if (!*out) return bad(err, "%s.%s: out of memory", where, key);
  for (uint32_t i = 0; i < len; i++) {
    napi_value e;
    char at[128];
    napi_get_element(env, arr, i, &e);
    snprintf(at, sizeof at, "%s.%s[%u]", where, key, i);
    if (read_string(env, e, at, &(*out)[i], err) < 0) return -1;
    *n = i + 1;
  }
  return 0;
}

/* a whole number, as a JS number (exact up to 2^53) or a bigint */
static int read_uint64(napi_env env, napi_value v, const char *where, uint64_t *out, char *err) {
  if (is_type(env, v, napi_bigint)) {
    bool lossless = false;
    napi_get_value_bigint_uint64(env, v, out, &lossless);
    if (!lossless) return bad(err, "%s: must be 0 to 2^64-1", where);
    return 0;
  }
  double d = 0;
  if (!is_type(env, v, napi_number)) return bad(err, "%s: must be a number, not %s", where, type_name(env, v));
  napi_get_value_double(env, v, &d);
  if (!(d >= 0) || d != floor(d) || d >= 18446744073709551616.0) return bad(err, "%s: must be a whole number from 0 to 2^64-1, not %g", where, d);
  *out = (uint64_t)d;
  return 0;
}

static int read_int(napi_env env, napi_value v, const char *where, int64_t *out, char *err) {
  double d = 0;
  if (!is_type(env, v, napi_number)) return bad(err, "%s: must be a number, not %s", where, type_name(env, v));
  napi_get_value_double(env, v, &d);
  if (d != floor(d) || fabs(d) > 9007199254740991.0) return bad(err, "%s: must be a whole number, not %g", where, d);
  *out = (int64_t)d;
  return 0;
}

static void free_strv(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

static void free_profile(struct ctr_seccomp_profile *p) {
  free(p->default_action);
  free_strv(p->architectures, p->n_architectures);
  free_strv(p->flags, p->n_flags);
  for (size_t i = 0; p->syscalls && i < p->n_syscalls; i++) {
    struct ctr_seccomp_syscall *s = &p->syscalls[i];
    free_strv(s->names, s->n_names);
    free(s->action);
    for (size_t j = 0; s->args && j < s->n_args; j++) free(s->args[j].op);
    free(s->args);
  }
  free(p->syscalls);
}

static int read_arg(napi_env env, napi_value o, const char *where, struct ctr_seccomp_arg *a, char *err) {
  napi_value v;
  char at[128];
  if (!is_type(env, o, napi_object)) return bad(err, "%s: must be an object, not %s", where, type_name(env, o));
  snprintf(at, sizeof at, "%s.index", where);
  if (!get(env, o, "index", &v)) return bad(err, "%s: missing", at);
  if (read_int(env, v, at, &a->index, err) < 0) return -1;
  snprintf(at, sizeof at, "%s.value", where);
  if (!get(env, o, "value", &v)) return bad(err, "%s: missing", at);
  if (read_uint64(env, v, at, &a->value, err) < 0) return -1;
  snprintf(at, sizeof at, "%s.valueTwo", where);
  if (get(env, o, "valueTwo", &v) && read_uint64(env, v, at, &a->value_two, err) < 0) return -1;
  snprintf(at, sizeof at, "%s.op", where);
  if (!get(env, o, "op", &v)) return bad(err, "%s: missing", at);
  return read_string(env, v, at, &a->op, err);
}

static int read_syscall(napi_env env, napi_value o, const char *where, struct ctr_seccomp_syscall *s, char *err) {
  napi_value v;
  char at[128];
  if (!is_type(env, o, napi_object)) return bad(err, "%s: must be an object, not %s", where, type_name(env, o));
  if (!get(env, o, "names", &v)) return bad(err, "%s.names: missing", where);
  if (read_strings(env, o, "names", where, &s->names, &s->n_names, err) < 0) return -1;
  snprintf(at, sizeof at, "%s.action", where);
  if (!get(env, o, "action", &v)) return bad(err, "%s: missing", at);
  if (read_string(env, v, at, &s->action, err) < 0) return -1;
  snprintf(at, sizeof at, "%s.errnoRet", where);
  if (get(env, o, "errnoRet", &v)) {
    s->has_errno_ret = 1;
    if (read_int(env, v, at, &s->errno_ret, err) < 0) return -1;
  }
  if (!get(env, o, "args", &v)) return 0;
  if (!is_array(env, v)) return bad(err, "%s.args: must be an array, not %s", where, type_name(env, v));
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  s->args = calloc(n + 1, sizeof *s->args);
  if (!s->args) return bad(err, "%s.args: out of memory", where);
  for (uint32_t j = 0; j < n; j++) {
    napi_value e;
    char argat[96];
    napi_get_element(env, v, j, &e);
    snprintf(argat, sizeof argat, "%s.args[%u]", where, j);
    s->n_args = j + 1;
    if (read_arg(env, e, argat, &s->args[j], err) < 0) return -1;
  }
  return 0;
}

static int read_profile(napi_env env, napi_value o, struct ctr_seccomp_profile *p, char *err) {
  napi_value v;
  if (!is_type(env, o, napi_object)) return bad(err, "linux.seccomp: must be an object, not %s", type_name(env, o));
  if (!get(env, o, "defaultAction", &v)) return bad(err, "linux.seccomp.defaultAction: missing");
  if (read_string(env, v, "linux.seccomp.defaultAction", &p->default_action, err) < 0) return -1;
  if (get(env, o, "defaultErrnoRet", &v)) {
    p->has_default_errno_ret = 1;
    if (read_int(env, v, "linux.seccomp.defaultErrnoRet", &p->default_errno_ret, err) < 0) return -1;
  }
  if (read_strings(env, o, "architectures", "linux.seccomp", &p->architectures, &p->n_architectures, err) < 0) return -1;
  if (read_strings(env, o, "flags", "linux.seccomp", &p->flags, &p->n_flags, err) < 0) return -1;
  if (get(env, o, "listenerPath", &v)) {
    size_t len = 0;
    if (!is_type(env, v, napi_string)) return bad(err, "linux.seccomp.listenerPath: must be a string, not %s", type_name(env, v));
    napi_get_value_string_utf8(env, v, NULL, 0, &len);
    if (len) return bad(err, "linux.seccomp.listenerPath: seccomp notify listeners are not supported");
  } /* listenerMetadata only means something to a listener: ignored */
  if (!get(env, o, "syscalls", &v)) { p->syscalls = calloc(1, sizeof *p->syscalls); return p->syscalls ? 0 : bad(err, "linux.seccomp: out of memory"); }
  if (!is_array(env, v)) return bad(err, "linux.seccomp.syscalls: must be an array, not %s", type_name(env, v));
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  p->syscalls = calloc(n + 1, sizeof *p->syscalls);
  if (!p->syscalls) return bad(err, "linux.seccomp.syscalls: out of memory");
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    char at[64];
    napi_get_element(env, v, i, &e);
    snprintf(at, sizeof at, "linux.seccomp.syscalls[%u]", i);
    p->n_syscalls = i + 1;
    if (read_syscall(env, e, at, &p->syscalls[i], err) < 0) return -1;
  }
  return 0;
}

/* compileSeccomp(profile: object, short = true): Buffer (+ .flags: SECCOMP_FILTER_FLAG_* word, .allowed) */
napi_value ctr_js_compile_seccomp(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  bool shorten = true;
  char err[ERR_LEN];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 1) return throw_with(env, "compileSeccomp(profile)", NULL, NULL, 0);
  if (argc >= 2 && napi_get_value_bool(env, a[1], &shorten) != napi_ok) return throw_with(env, "compileSeccomp(profile, short: boolean)", NULL, NULL, 0);

  struct ctr_seccomp_profile p;
  struct ctr_seccomp_filter f;
  int invalid = 1;
  memset(&p, 0, sizeof p);
  err[0] = '\0';
  int rc = read_profile(env, a[0], &p, err);
  if (rc == 0) rc = ctr_seccomp_compile(&p, shorten, &f, err, sizeof err, &invalid);
  free_profile(&p);
  if (rc < 0) return throw_with(env, err, invalid ? "ERR_SECCOMP_PROFILE" : "ERR_SECCOMP", NULL, 0);

  napi_value buf, v;
  void *data;
  napi_status st = napi_create_buffer_copy(env, f.len, f.bpf, &data, &buf);
  ctr_seccomp_free(&f);
  if (st != napi_ok) return throw_with(env, "seccomp: cannot allocate the filter's Buffer", "ERR_SECCOMP", NULL, 0);
  napi_create_uint32(env, f.flags, &v);
  napi_set_named_property(env, buf, "flags", v);
  napi_create_uint32(env, (uint32_t)f.allowed, &v);
  napi_set_named_property(env, buf, "allowed", v);
  return buf;
}

/* seccompLoad(filter: Buffer, flags: number): filters the calling thread (all threads with TSYNC) */
napi_value ctr_js_seccomp_load(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  bool is_buf = false;
  void *bpf = NULL;
  size_t len = 0;
  uint32_t flags = 0;
  char step[CTR_MAX_STEP];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc >= 1) napi_is_buffer(env, a[0], &is_buf);
  if (!is_buf || (argc >= 2 && napi_get_value_uint32(env, a[1], &flags) != napi_ok)) {
    napi_throw_type_error(env, NULL, "seccompLoad(filter: Buffer, flags: number)");
    return NULL;
  }
  napi_get_buffer_info(env, a[0], &bpf, &len);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return throw_with(env, "prctl(PR_SET_NO_NEW_PRIVS)", NULL, "prctl(PR_SET_NO_NEW_PRIVS)", errno);
  snprintf(step, sizeof step, "seccomp(SECCOMP_SET_MODE_FILTER, 0x%x)", flags);
  if (ctr_seccomp_load(bpf, len, flags) < 0) {
    int e = errno;
    char msg[CTR_MAX_STEP + 64];
    snprintf(msg, sizeof msg, "%s: %s", step, strerror(e));
    return throw_with(env, msg, NULL, step, e);
  }
  return NULL;
}
