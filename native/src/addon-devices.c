/*
 * Node-API glue for devices.c (the cgroup v2 device filter): JavaScript rule objects
 * { allow, type?, major?, minor?, access? } become struct ctr_dev_rule, the cgroup path an
 * open directory fd. The rules are checked again here (src/cgroup/devices.ts gives the
 * user's messages): nothing malformed reaches the program builder.
 *
 *   attachDeviceFilter(cgroupDir, rules) -> { instructions, id, replaced }
 *   detachDeviceFilter(cgroupDir)        -> { detached }
 */
#include "addon.h"
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_RULES 10000

static napi_value type_error(napi_env env, uint32_t i, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "attachDeviceFilter: rule %u: %s", i + 1, what);
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* obj[key] if present and not undefined/null */
static int field(napi_env env, napi_value obj, const char *key, napi_value *v, napi_valuetype *t) {
  bool has = false;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return 0;
  napi_get_named_property(env, obj, key, v);
  napi_typeof(env, *v, t);
  return *t != napi_undefined && *t != napi_null;
}

/* a device number field: absent or -1 = any (-1 kept), else 0..max */
static int dev_number(napi_env env, napi_value obj, const char *key, int64_t max, int64_t *out) {
  napi_value v; napi_valuetype t;
  *out = -1;
  if (!field(env, obj, key, &v, &t)) return 0;
  double d;
  if (t != napi_number || napi_get_value_double(env, v, &d) != napi_ok) return -1;
  if (d != (double)(int64_t)d || d < -1 || d > (double)max) return -1;
  *out = (int64_t)d;
  return 0;
}

/* Returns 0, or throws (and returns -1). */
static int read_rule(napi_env env, napi_value obj, uint32_t i, struct ctr_dev_rule *r) {
  napi_value v; napi_valuetype t;
  napi_typeof(env, obj, &t);
  if (t != napi_object) { type_error(env, i, "not an object"); return -1; }
  bool b = false;
  if (!field(env, obj, "allow", &v, &t) || t != napi_boolean) { type_error(env, i, "allow must be true or false"); return -1; }
  napi_get_value_bool(env, v, &b);
  r->allow = b;
  r->type = 'a';
  char buf[8];
  size_t len = 0;
  if (field(env, obj, "type", &v, &t)) {
    if (t != napi_string || napi_get_value_string_utf8(env, v, buf, sizeof buf, &len) != napi_ok || len != 1 ||
        (buf[0] != 'a' && buf[0] != 'b' && buf[0] != 'c')) { type_error(env, i, "type must be a, b or c"); return -1; }
    r->type = buf[0];
  }
  if (dev_number(env, obj, "major", 4095, &r->major) < 0) { type_error(env, i, "major must be -1 (any) or 0..4095"); return -1; }
  if (dev_number(env, obj, "minor", 1048575, &r->minor) < 0) { type_error(env, i, "minor must be -1 (any) or 0..1048575"); return -1; }
  r->access = CTR_DEV_ACC_ALL;
  if (field(env, obj, "access", &v, &t)) {
    if (t != napi_string || napi_get_value_string_utf8(env, v, buf, sizeof buf, &len) != napi_ok || len == 0 || len > 3) {
      type_error(env, i, "access must be some of r, w, m"); return -1;
    }
    r->access = 0;
    for (size_t k = 0; k < len; k++) {
      unsigned bit = buf[k] == 'r' ? CTR_DEV_ACC_READ : buf[k] == 'w' ? CTR_DEV_ACC_WRITE : buf[k] == 'm' ? CTR_DEV_ACC_MKNOD : 0;
      if (!bit || (r->access & bit)) { type_error(env, i, "access must be some of r, w, m"); return -1; }
      r->access |= bit;
    }
  }
  return 0;
}

/* the cgroup directory argument, opened; -1 after throwing */
static int open_dir(napi_env env, napi_value arg, char *path, size_t len, const char *fn) {
  size_t n = 0;
  napi_valuetype t;
  napi_typeof(env, arg, &t);
  if (t != napi_string || napi_get_value_string_utf8(env, arg, path, len, &n) != napi_ok || n == 0 || n >= len - 1) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s: the first argument is the cgroup2 directory", fn);
    napi_throw_type_error(env, NULL, msg);
    return -1;
  }
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    char step[CTR_MAX_STEP];
    snprintf(step, sizeof step, "open(%s)", path);
    ctr_js_throw_step(env, step, errno);
  }
  return fd;
}

static void set_int(napi_env env, napi_value obj, const char *key, int64_t v) {
  napi_value n;
  napi_create_int64(env, v, &n);
  napi_set_named_property(env, obj, key, n);
}

napi_value ctr_js_attach_device_filter(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  bool is_array = false;
  if (argc < 2 || napi_is_array(env, a[1], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "attachDeviceFilter(cgroupDir, rules[])");
    return NULL;
  }
  uint32_t n = 0;
  napi_get_array_length(env, a[1], &n);
  if (n > MAX_RULES) { napi_throw_range_error(env, NULL, "attachDeviceFilter: at most 10000 rules"); return NULL; }
  struct ctr_dev_rule *rules = calloc(n + 1, sizeof *rules);
  if (!rules) return ctr_js_throw_step(env, "attachDeviceFilter", ENOMEM);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, a[1], i, &e);
    if (read_rule(env, e, i, &rules[i]) < 0) { free(rules); return NULL; }
  }
  char path[4096];
  int fd = open_dir(env, a[0], path, sizeof path, "attachDeviceFilter");
  if (fd < 0) { free(rules); return NULL; }
  struct ctr_dev_result r;
  int rc = ctr_devices_attach(fd, path, rules, n, &r);
  close(fd);
  free(rules);
  if (rc < 0) return ctr_js_throw_step(env, r.step, r.err);
  napi_value out, replaced;
  napi_create_object(env, &out);
  set_int(env, out, "instructions", r.instructions);
  set_int(env, out, "id", r.prog_id);
  napi_get_boolean(env, r.replaced > 0, &replaced);
  napi_set_named_property(env, out, "replaced", replaced);
  return out;
}

napi_value ctr_js_detach_device_filter(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 1) { napi_throw_type_error(env, NULL, "detachDeviceFilter(cgroupDir)"); return NULL; }
  char path[4096];
  int fd = open_dir(env, a[0], path, sizeof path, "detachDeviceFilter");
  if (fd < 0) return NULL;
  struct ctr_dev_result r;
  int n = ctr_devices_detach(fd, path, &r);
  close(fd);
  if (n < 0) return ctr_js_throw_step(env, r.step, r.err);
  napi_value out;
  napi_create_object(env, &out);
  set_int(env, out, "detached", n);
  return out;
}
