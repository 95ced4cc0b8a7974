/* Redaction of personal data in text the responder stores or prints (query
 * samples, URIs, notice excerpts): e-mail addresses become "<email>" and every
 * digit becomes '#', so identifiers, phone numbers and card numbers keep their
 * shape but not their value. */
#ifndef BW_REDACT_H
#define BW_REDACT_H

#include <stddef.h>

/* Writes the redacted form of s[0..n) into out (always NUL-terminated, cut at
 * outlen - 1). Returns the length written. */
size_t redact_text(const char *s, size_t n, char *out, size_t outlen);

/* Redacts, in a parsed JSON tree (jansson json_t *, passed as void * so
 * this header needs no jansson), the string values of members named like
 * free text (detail, query, uri, url, sample, request, statement, text, note,
 * path_sample) at any depth. Counts and identifiers are kept. Returns the
 * number of strings changed. */
int redact_json_tree(void *json_root);

#endif
