/* Which message bodies the PII scanner reads: text bodies in full, binary ones
 * (compressed encodings, random or media bytes) skipped, decided from the
 * Content-Type / Content-Encoding headers and a sniff of each block's first bytes. */
#ifndef BW_BODY_SNIFF_H
#define BW_BODY_SNIFF_H

#include <stddef.h>
#include <stdint.h>

enum body_kind {
    BODY_SNIFF = 0, /* unknown or declared binary: each block decided by its first bytes */
    BODY_TEXT,      /* a text media type: scanned in full, never sniffed */
    BODY_BINARY,    /* a compressed Content-Encoding: not readable as text, skipped whole */
};

/* A body is sniffed per BODY_BLOCK bytes of body offset; each block is decided
 * by its first BODY_SNIFF_HEAD bytes (a block shorter than that, the body's
 * last, is scanned). Offsets, not segments, so the decision does not depend on
 * how the bytes were cut. */
#define BODY_BLOCK      512
#define BODY_SNIFF_HEAD 64

/* Kind from a Content-Type value (media type and parameters; NULL/0 = absent):
 * BODY_TEXT for text and multipart types, JSON, XML, form data, JavaScript, CSV,
 * YAML, SQL, GraphQL; BODY_SNIFF otherwise. */
enum body_kind body_kind_of_type(const uint8_t *v, size_t n);
/* 1 when a Content-Encoding value names a compression (gzip, x-gzip, deflate,
 * br, compress, x-compress, zstd) anywhere in its list, else 0. */
int body_encoding_compressed(const uint8_t *v, size_t n);
/* 1 when p[0..n) looks binary: holds a C0 control byte other than TAB, LF,
 * VT, FF, CR, ESC, or DEL (text in any ASCII-compatible encoding has none;
 * random, compressed or media bytes have one every ~10 bytes). */
int body_looks_binary(const uint8_t *p, size_t n);

#endif
