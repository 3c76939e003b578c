/*
 * SHA-256 for the seccomp cache's key and its filter's checksum (src/security/seccomp-cache.ts):
 * node:crypto, for these two hashes, loaded ~20 built-ins (and the stream modules with them) on
 * every `run`, ~2 ms; the addon is loaded by then. The digest itself is OpenSSL's, the copy
 * inside node: node exports its OpenSSL symbols to addons and node-gyp gives its headers
 * (include/node/openssl), so this links no library and carries no hash code of our own.
 *
 *   sha256Hex(data: Buffer | string) -> string   (64 lowercase hex digits; a string as UTF-8)
 */
#include "addon.h"

#include <node_api.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdlib.h>

static void sha256_hex(const unsigned char *data, size_t len, char out[65]) {
  static const char hex[] = "0123456789abcdef";
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(data, len, md);
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  out[64] = 0;
}

napi_value ctr_js_sha256_hex(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, a[0], &t);
  bool isbuf = false;
  if (t == napi_object) napi_is_buffer(env, a[0], &isbuf);
  char out[65];
  if (isbuf) {
    void *data;
    size_t len;
    napi_get_buffer_info(env, a[0], &data, &len);
    sha256_hex(data, len, out);
  } else if (t == napi_string) {
    size_t len = 0;
    napi_get_value_string_utf8(env, a[0], NULL, 0, &len);
    char *s = malloc(len + 1);
    if (!s) return ctr_js_throw_step(env, "malloc()", 12 /* ENOMEM */);
    napi_get_value_string_utf8(env, a[0], s, len + 1, &len);
    sha256_hex((const unsigned char *)s, len, out);
    free(s);
  } else {
    napi_throw_type_error(env, NULL, "sha256Hex(data: Buffer | string)");
    return NULL;
  }
  napi_value r;
  napi_create_string_utf8(env, out, 64, &r);
  return r;
}
