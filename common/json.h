/* JSON writer for EVE lines and every other JSON output: one mechanism that
 * escapes arbitrary bytes (control characters and bytes that are not valid
 * UTF-8 are escaped, never written raw) and places commas itself. */
#ifndef BW_JSON_H
#define BW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define BW_JSON_MAX_DEPTH 32

struct bw_json {
    struct bw_buf *out; /* borrowed */
    int depth;
    uint8_t need_comma[BW_JSON_MAX_DEPTH];
    int error; /* sticky: nesting overflow or out of memory */
};

/* Starts writing into `out` (appending). */
void bw_json_init(struct bw_json *j, struct bw_buf *out);

/* In every call `key` is the member name inside an object, NULL inside an array
 * or at top level. */
void bw_json_obj_begin(struct bw_json *j, const char *key);
void bw_json_obj_end(struct bw_json *j);
void bw_json_arr_begin(struct bw_json *j, const char *key);
void bw_json_arr_end(struct bw_json *j);
void bw_json_str(struct bw_json *j, const char *key, const char *s);
/* Bytes of any value: invalid UTF-8 is written as \u00XX per byte. */
void bw_json_strn(struct bw_json *j, const char *key, const void *s, size_t n);
void bw_json_int(struct bw_json *j, const char *key, int64_t v);
void bw_json_uint(struct bw_json *j, const char *key, uint64_t v);
/* Non-finite doubles are written as null. */
void bw_json_double(struct bw_json *j, const char *key, double v);
void bw_json_bool(struct bw_json *j, const char *key, bool v);
void bw_json_null(struct bw_json *j, const char *key);
/* Inserts already-valid JSON text as a value (for re-emitting stored objects). */
void bw_json_raw(struct bw_json *j, const char *key, const char *json, size_t n);

/* The same members with a key that is a clean ASCII literal, its length
 * known: pass BW_JK("records") for the two arguments. Output is identical
 * to the plain calls; the key is neither measured nor scanned (hot paths). */
#define BW_JK(lit) ("" lit ""), (sizeof(lit) - 1)
void bw_json_kstrn(struct bw_json *j, const char *key, size_t klen, const void *s, size_t n);
void bw_json_kstr(struct bw_json *j, const char *key, size_t klen, const char *s);
void bw_json_kuint(struct bw_json *j, const char *key, size_t klen, uint64_t v);
void bw_json_kint(struct bw_json *j, const char *key, size_t klen, int64_t v);
void bw_json_kobj_begin(struct bw_json *j, const char *key, size_t klen);

/* Appends `s` escaped as the inside of a JSON string (no quotes). Clean runs
 * are found 16 bytes at a time and copied whole. */
void bw_json_escape(struct bw_buf *out, const void *s, size_t n);
/* The same output, byte by byte: the reference the tests hold the fast
 * escaper to. Not for production paths. */
void bw_json_escape_ref(struct bw_buf *out, const void *s, size_t n);

/* 0 when everything written is complete and well-formed, -1 otherwise. */
int bw_json_finish(const struct bw_json *j);

#endif
