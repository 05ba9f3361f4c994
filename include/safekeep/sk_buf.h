/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_buf.h: a growable byte buffer with a mandatory maximum, and the JSON
 * string escaping that every writer of JSON in safekeep shares.
 */
#ifndef SK_BUF_H
#define SK_BUF_H

#include "safekeep/sk_core.h"

typedef struct sk_buf {
    char *ptr; /* NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
    size_t len_max; /* appends past this fail with SK_ERR_TOO_LARGE */
} sk_buf;

/* Initialises an empty buffer (caller-owned storage) that may grow to len_max. */
void sk_buf_init(sk_buf *buf, size_t len_max);

/* Releases the memory, wiping it first; the buffer is empty afterwards. */
void sk_buf_fini(sk_buf *buf);

/* Empties the buffer, keeping its memory (wiped). */
void sk_buf_reset(sk_buf *buf);

SK_NODISCARD sk_err sk_buf_append(sk_buf *buf, const void *data, size_t len);
SK_NODISCARD sk_err sk_buf_append_str(sk_buf *buf, sk_str s);
SK_NODISCARD sk_err sk_buf_appendc(sk_buf *buf, const char *cstr);
SK_NODISCARD sk_err sk_buf_printf(sk_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends s as a JSON string literal, quotes included. s must be valid UTF-8
 * (callers validate input first); control characters are escaped. */
SK_NODISCARD sk_err sk_buf_json_str(sk_buf *buf, sk_str s);

/* The contents as a slice (borrowed). */
sk_str sk_buf_str(const sk_buf *buf);

/* Hands the memory to the caller (free with free()); the buffer is empty. */
char *sk_buf_take(sk_buf *buf);

/* 1 when s is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int sk_utf8_valid(sk_str s);

#endif /* SK_BUF_H */
