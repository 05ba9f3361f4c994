/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core.c: error names, text slices, diagnostics and the assertion handler.
 * The assertion handler writes only the expression and its location: a
 * crash report must never carry case data.
 */
#include "safekeep/sk_core.h"

#include <stdarg.h>
#include <unistd.h>

#include "sk_int.h"

const char *sk_err_str(sk_err err)
{
    switch (err) {
    case SK_OK:
        return "ok";
    case SK_ERR_NOMEM:
        return "out of memory";
    case SK_ERR_INVALID:
        return "invalid input";
    case SK_ERR_TOO_LARGE:
        return "too large";
    case SK_ERR_NOT_FOUND:
        return "not found";
    case SK_ERR_CONFLICT:
        return "conflict";
    case SK_ERR_DENIED:
        return "denied";
    case SK_ERR_STORE:
        return "storage error";
    case SK_ERR_CRYPTO:
        return "cryptographic failure";
    case SK_ERR_IO:
        return "i/o error";
    }
    return "unknown";
}

sk_str sk_str_c(const char *cstr)
{
    sk_str s = {cstr, cstr ? strlen(cstr) : 0};
    return s;
}

int sk_str_eq(sk_str a, sk_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int sk_str_eqc(sk_str a, const char *b)
{
    return sk_str_eq(a, sk_str_c(b));
}

void sk_diag_clear(sk_diag *diag)
{
    if (diag == NULL)
        return;
    memset(diag, 0, sizeof(*diag));
}

sk_err sk_diag_set(sk_diag *diag, sk_err err, const char *field, const char *fmt, ...)
{
    va_list ap;

    if (diag == NULL)
        return err;
    snprintf(diag->field, sizeof(diag->field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
    va_end(ap);
    return err;
}

void sk_diag_format(const sk_diag *diag, char *buf, size_t buf_len)
{
    size_t used = 0;
    int n;

    SK_ASSERT(diag != NULL);
    SK_ASSERT(buf != NULL && buf_len > 0);
    buf[0] = '\0';
    if (diag->where[0] != '\0') {
        n = diag->line > 0
                ? snprintf(buf, buf_len, "%s:%llu: ", diag->where, (unsigned long long)diag->line)
                : snprintf(buf, buf_len, "%s: ", diag->where);
        used = n > 0 ? (size_t)n : 0;
    } else if (diag->line > 0) {
        n = snprintf(buf, buf_len, "line %llu: ", (unsigned long long)diag->line);
        used = n > 0 ? (size_t)n : 0;
    }
    if (used >= buf_len)
        return;
    if (diag->field[0] != '\0')
        n = snprintf(buf + used, buf_len - used, "%s: %s", diag->field, diag->msg);
    else
        n = snprintf(buf + used, buf_len - used, "%s", diag->msg);
    (void)n;
}

void sk_assert_fail(const char *expr, const char *file, int line)
{
    char msg[512];
    int n =
        snprintf(msg, sizeof(msg), "safekeep: assertion failed: %s (%s:%d)\n", expr, file, line);
    if (n > 0) {
        ssize_t w =
            write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
        (void)w;
    }
    abort();
}
