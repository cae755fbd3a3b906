/*
 * The Mesh guest ABI for C (docs/abi.md). Needs no libc, so it works two ways:
 *
 * - Freestanding: a function exports `int32_t run(int32_t input_len)` and works in buffers of
 *   its own.
 *     clang --target=wasm32 -O2 -nostdlib -ffreestanding -Wl,--no-entry -o f.wasm f.c
 * - With wasi-libc (Debian's wasi-libc): a plain `int main(void)` reads its input from stdin and
 *   writes its output to stdout, and calls these imports for what WASI has not (key-value,
 *   publish, request, HTTP).
 *     clang --target=wasm32-wasi -O2 -o f.wasm f.c
 *
 * Every host call returns a status (MESH_OK or a negative MESH_*) or a length. A capability the
 * function's token does not grant returns MESH_DENIED; the guest decides what to do about it.
 */
#ifndef MESH_H
#define MESH_H

#include <stddef.h>
#include <stdint.h>

#define MESH_IMPORT(name) __attribute__((import_module("mesh"), import_name(#name)))
#define MESH_EXPORT(name) __attribute__((export_name(#name)))

/* Statuses (src/Mesh.Contracts/HostCalls/HostStatus.cs). */
enum {
  MESH_OK = 0,
  MESH_DENIED = -1,         /* the token does not grant it */
  MESH_OUT_OF_BOUNDS = -2,  /* a pointer and length outside the guest's memory */
  MESH_LIMIT = -3,          /* a limit of the invocation was reached */
  MESH_NOT_FOUND = -4,
  MESH_TIMEOUT = -5,
  MESH_UNAVAILABLE = -6,
  MESH_INVALID = -7,
  MESH_CONFLICT = -8,       /* kv_update: the key changed since it was read */
};

enum { MESH_DEBUG = 0, MESH_INFO = 1, MESH_WARN = 2, MESH_ERROR = 3 };

MESH_IMPORT(read_input) int32_t mesh_read_input(void *ptr, int32_t len);
MESH_IMPORT(write_output) int32_t mesh_write_output(const void *ptr, int32_t len);
MESH_IMPORT(set_error) int32_t mesh_set_error(const char *ptr, int32_t len);
MESH_IMPORT(log) int32_t mesh_log(int32_t level, const char *ptr, int32_t len);
MESH_IMPORT(publish) int32_t mesh_publish(const char *subject, int32_t subject_len, const void *data, int32_t data_len);
MESH_IMPORT(request) int32_t mesh_request(const char *subject, int32_t subject_len, const void *data, int32_t data_len, int32_t timeout_ms);
MESH_IMPORT(result_read) int32_t mesh_result_read(void *ptr, int32_t len);
MESH_IMPORT(kv_get) int32_t mesh_kv_get(const char *bucket, int32_t bucket_len, const char *key, int32_t key_len);
MESH_IMPORT(kv_put) int32_t mesh_kv_put(const char *bucket, int32_t bucket_len, const char *key, int32_t key_len, const void *value, int32_t value_len);
MESH_IMPORT(kv_update) int32_t mesh_kv_update(const char *bucket, int32_t bucket_len, const char *key, int32_t key_len, const void *value, int32_t value_len, int64_t revision);
MESH_IMPORT(kv_revision) int64_t mesh_kv_revision(void);
MESH_IMPORT(kv_delete) int32_t mesh_kv_delete(const char *bucket, int32_t bucket_len, const char *key, int32_t key_len);
MESH_IMPORT(kv_keys) int32_t mesh_kv_keys(const char *bucket, int32_t bucket_len, const char *prefix, int32_t prefix_len);
MESH_IMPORT(http_request) int32_t mesh_http_request(const void *request, int32_t request_len);
MESH_IMPORT(http_info) int32_t mesh_http_info(void);
MESH_IMPORT(http_respond) int32_t mesh_http_respond(const void *response, int32_t response_len);

/* Length of a NUL-terminated string, for the helpers below (no libc). */
static inline int32_t mesh_strlen(const char *text) {
  int32_t n = 0;
  while (text[n] != 0) n++;
  return n;
}

/* Log a NUL-terminated line; needs the log capability. */
static inline int32_t mesh_log_text(int32_t level, const char *text) {
  return mesh_log(level, text, mesh_strlen(text));
}

/* Fail the invocation with a message: `return mesh_fail("...");` from run. */
static inline int32_t mesh_fail(const char *message) {
  mesh_set_error(message, mesh_strlen(message));
  return 1;
}

/* Publish a NUL-terminated subject; needs a publish rule matching it. */
static inline int32_t mesh_publish_text(const char *subject, const void *data, int32_t data_len) {
  return mesh_publish(subject, mesh_strlen(subject), data, data_len);
}

#endif
