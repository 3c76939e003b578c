/*
 * Node-API functions that live beside the kernel concern they wrap (addon-seccomp.c,
 * addon-devices.c, addon-files.c) and that addon.c registers. Records read strictly are contract.c's.
 */
#ifndef MINICTR_ADDON_H
#define MINICTR_ADDON_H

#include <node_api.h>

/* throws an Error with .step and .errno; returns NULL for the caller to return */
/* The Error every addon failure is: "STEP: REASON" (strerror(err) when reason is NULL), with
 * .step and .errno; ctr_js_throw_step throws it, async work rejects with it. */
napi_value ctr_js_step_error(napi_env env, const char *step, int err, const char *reason);
napi_value ctr_js_throw_step(napi_env env, const char *step, int err);

napi_value ctr_js_compile_seccomp(napi_env env, napi_callback_info info);
napi_value ctr_js_seccomp_load(napi_env env, napi_callback_info info);
napi_value ctr_js_attach_device_filter(napi_env env, napi_callback_info info);
napi_value ctr_js_detach_device_filter(napi_env env, napi_callback_info info);
napi_value ctr_js_read_file_in_root(napi_env env, napi_callback_info info);
napi_value ctr_js_lstat_in_root(napi_env env, napi_callback_info info);
napi_value ctr_js_netns_apply(napi_env env, napi_callback_info info);
napi_value ctr_js_netns_inspect(napi_env env, napi_callback_info info);
napi_value ctr_js_clean_after_exit(napi_env env, napi_callback_info info);
napi_value ctr_js_sha256_hex(napi_env env, napi_callback_info info);

/* netns-many.c: a program of the host's namespace run in this process (the cleaner's) */
int ctr_netns_run_program(const char *prog, size_t len);
/* cleaner.c: a dir removed without following a symlink or crossing a mount; 0 or -1 */
int ctr_remove_tree(const char *path);

#endif
