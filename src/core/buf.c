/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.c: growable buffers. Growth doubles, up to the buffer's own maximum:
 * an unbounded buffer is how a hostile input turns into an out-of-memory
 * crash, so every buffer states its limit when it is made.
 */
#include "safekeep/sk_buf.h"

#include <stdarg.h>

#include "sk_int.h"

void sk_buf_init(sk_buf *buf, size_t len_max)
{
    SK_ASSERT(buf != NULL);
    SK_ASSERT(len_max > 0);
    buf->ptr = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->len_max = len_max;
}

void sk_buf_fini(sk_buf *buf)
{
    SK_ASSERT(buf != NULL);
    if (buf->ptr != NULL) {
        explicit_bzero(buf->ptr, buf->cap);
        free(buf->ptr);
    }
    buf->ptr = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void sk_buf_reset(sk_buf *buf)
{
    SK_ASSERT(buf != NULL);
    if (buf->ptr != NULL) {
        explicit_bzero(buf->ptr, buf->len);
        buf->ptr[0] = '\0';
    }
    buf->len = 0;
}

static sk_err reserve(sk_buf *buf, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > buf->len_max - buf->len)
        return SK_ERR_TOO_LARGE;
    need = buf->len + extra + 1;
    if (need <= buf->cap)
        return SK_OK;
    cap = buf->cap ? buf->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > buf->len_max + 1)
        cap = buf->len_max + 1;
    p = malloc(cap);
    if (p == NULL)
        return SK_ERR_NOMEM;
    if (buf->ptr != NULL) {
        memcpy(p, buf->ptr, buf->len);
        explicit_bzero(buf->ptr, buf->cap);
        free(buf->ptr);
    }
    buf->ptr = p;
    buf->cap = cap;
    return SK_OK;
}

sk_err sk_buf_append(sk_buf *buf, const void *data, size_t len)
{
    sk_err rc;

    SK_ASSERT(buf != NULL);
    rc = reserve(buf, len);
    if (rc != SK_OK)
        return rc;
    if (len > 0)
        memcpy(buf->ptr + buf->len, data, len);
    buf->len += len;
    buf->ptr[buf->len] = '\0';
    return SK_OK;
}

sk_err sk_buf_append_str(sk_buf *buf, sk_str s)
{
    return sk_buf_append(buf, s.ptr, s.len);
}

sk_err sk_buf_appendc(sk_buf *buf, const char *cstr)
{
    return sk_buf_append(buf, cstr, strlen(cstr));
}

sk_err sk_buf_printf(sk_buf *buf, const char *fmt, ...)
{
    va_list ap;
    int n;
    sk_err rc;

    SK_ASSERT(buf != NULL);
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SK_ERR_INVALID;
    rc = reserve(buf, (size_t)n);
    if (rc != SK_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(buf->ptr + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return SK_OK;
}

sk_err sk_buf_json_str(sk_buf *buf, sk_str s)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;
    sk_err rc;

    rc = sk_buf_append(buf, "\"", 1);
    for (i = 0; rc == SK_OK && i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        char esc[6];
        size_t esc_len = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            esc_len = 2;
        } else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            esc_len = 6;
        } else {
            continue;
        }
        rc = sk_buf_append(buf, s.ptr + run, i - run);
        if (rc == SK_OK)
            rc = sk_buf_append(buf, esc, esc_len);
        run = i + 1;
    }
    if (rc == SK_OK)
        rc = sk_buf_append(buf, s.ptr + run, s.len - run);
    if (rc == SK_OK)
        rc = sk_buf_append(buf, "\"", 1);
    return rc;
}

sk_str sk_buf_str(const sk_buf *buf)
{
    sk_str s = {buf->ptr ? buf->ptr : "", buf->len};
    return s;
}

char *sk_buf_take(sk_buf *buf)
{
    char *p = buf->ptr;
    buf->ptr = NULL;
    buf->len = 0;
    buf->cap = 0;
    return p;
}

int sk_utf8_valid(sk_str s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = 0, n = s.len;

    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned cp, min;
        if ((c & 0xE0) == 0xC0) {
            need = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i <= need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}
