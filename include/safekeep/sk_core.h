/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_core.h: the error enum, text slices, assertions and diagnostics that every
 * safekeep module shares. Nothing here allocates.
 */
#ifndef SK_CORE_H
#define SK_CORE_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define SK_NODISCARD __attribute__((warn_unused_result))

/* The one error enum. Every fallible function returns one of these. */
typedef enum sk_err {
    SK_OK = 0,
    SK_ERR_NOMEM,
    SK_ERR_INVALID,
    SK_ERR_TOO_LARGE,
    SK_ERR_NOT_FOUND,
    SK_ERR_CONFLICT,
    SK_ERR_DENIED,
    SK_ERR_STORE,
    SK_ERR_CRYPTO,
    SK_ERR_IO
} sk_err;

/* A short, stable, lower-case name for an error code ("invalid", "store"...).
 * Never NULL; unknown codes give "unknown". Thread-safe. */
const char *sk_err_str(sk_err err);

/* Text crossing module boundaries: a borrowed pointer and a length. The bytes
 * need not be NUL-terminated. */
typedef struct sk_str {
    const char *ptr;
    size_t len;
} sk_str;

#define SK_STR(lit) ((sk_str){(lit), sizeof(lit) - 1})
#define SK_STR_NULL ((sk_str){NULL, 0})

/* Wraps a NUL-terminated string (NULL gives the empty slice). */
sk_str sk_str_c(const char *cstr);

/* 1 when both slices hold the same bytes. */
int sk_str_eq(sk_str a, sk_str b);

/* 1 when a equals the NUL-terminated string b. */
int sk_str_eqc(sk_str a, const char *b);

/*
 * Diagnostic detail for a failure: where in the input it happened and what was
 * expected. Messages must never quote identity values (names, birth dates,
 * A-numbers, addresses, phone numbers); they name the field instead.
 */
#define SK_DIAG_MSG_MAX   256
#define SK_DIAG_WHERE_MAX 192
typedef struct sk_diag {
    char where[SK_DIAG_WHERE_MAX]; /* file name or source, may be empty */
    uint64_t line;                 /* 1-based; 0 when unknown */
    char field[64];                /* field or column name, may be empty */
    char msg[SK_DIAG_MSG_MAX];     /* what was expected, a sentence fragment */
} sk_diag;

/* Clears a diagnostic. diag may be NULL. */
void sk_diag_clear(sk_diag *diag);

/* Records a message and field in diag (NULL-safe) and returns err, so that a
 * caller can write `return sk_diag_set(d, SK_ERR_INVALID, "dob", "...")`. */
sk_err sk_diag_set(sk_diag *diag, sk_err err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Formats "where:line: field: msg" into buf (always NUL-terminated). */
void sk_diag_format(const sk_diag *diag, char *buf, size_t buf_len);

/* Programmer errors abort, in every build. Never assert on external input. */
void sk_assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));
#define SK_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            sk_assert_fail(#cond, __FILE__, __LINE__);                                             \
    } while (0)
#ifdef SK_DEBUG
#define SK_DEBUG_ASSERT(cond) SK_ASSERT(cond)
#else
#define SK_DEBUG_ASSERT(cond) ((void)0)
#endif

#define SK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif /* SK_CORE_H */
