/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_core.c: unit tests for the core module: error names, diagnostics, the
 * arena, growable buffers and JSON escaping, UTF-8 validation, ids and UUIDs,
 * and the calendar and timestamp functions.
 *
 * Every test compares exact outputs (strings, byte values, day numbers)
 * rather than checking that nothing crashed, so that a change of behaviour
 * shows up as a readable difference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_buf.h"
#include "safekeep/sk_core.h"
#include "safekeep/sk_id.h"
#include "safekeep/sk_time.h"

/* A slice over a byte literal that may hold any bytes (but no NUL). */
#define BYTES(lit) ((sk_str){(lit), sizeof(lit) - 1})

/* ------------------------------------------------------------------ errors */

static void test_err_str_names(void **state)
{
    (void)state;
    assert_string_equal(sk_err_str(SK_OK), "ok");
    assert_string_equal(sk_err_str(SK_ERR_NOMEM), "out of memory");
    assert_string_equal(sk_err_str(SK_ERR_INVALID), "invalid input");
    assert_string_equal(sk_err_str(SK_ERR_TOO_LARGE), "too large");
    assert_string_equal(sk_err_str(SK_ERR_NOT_FOUND), "not found");
    assert_string_equal(sk_err_str(SK_ERR_CONFLICT), "conflict");
    assert_string_equal(sk_err_str(SK_ERR_DENIED), "denied");
    assert_string_equal(sk_err_str(SK_ERR_STORE), "storage error");
    assert_string_equal(sk_err_str(SK_ERR_CRYPTO), "cryptographic failure");
    assert_string_equal(sk_err_str(SK_ERR_IO), "i/o error");
    assert_string_equal(sk_err_str((sk_err)99), "unknown");
    assert_string_equal(sk_err_str((sk_err)-1), "unknown");
}

static void test_str_helpers(void **state)
{
    sk_str null_str = sk_str_c(NULL);
    sk_str abc = sk_str_c("abc");
    (void)state;

    assert_null(null_str.ptr);
    assert_int_equal(null_str.len, 0);
    assert_int_equal(abc.len, 3);
    assert_true(sk_str_eq(abc, SK_STR("abc")));
    assert_false(sk_str_eq(abc, SK_STR("abd")));
    assert_false(sk_str_eq(abc, SK_STR("ab")));
    assert_true(sk_str_eq(null_str, SK_STR("")));
    assert_true(sk_str_eqc(abc, "abc"));
    assert_false(sk_str_eqc(abc, "abcd"));
    assert_true(sk_str_eqc(SK_STR_NULL, ""));
}

/* ------------------------------------------------------------- diagnostics */

static void test_diag_set_records_field_and_message(void **state)
{
    sk_diag diag;
    (void)state;

    memset(&diag, 0x55, sizeof(diag));
    sk_diag_clear(&diag);
    assert_string_equal(diag.where, "");
    assert_int_equal(diag.line, 0);
    assert_string_equal(diag.field, "");
    assert_string_equal(diag.msg, "");
    assert_int_equal(sk_diag_set(&diag, SK_ERR_INVALID, "dob", "expected %s %d", "a date", 7),
                     SK_ERR_INVALID);
    assert_string_equal(diag.field, "dob");
    assert_string_equal(diag.msg, "expected a date 7");
    assert_int_equal(sk_diag_set(&diag, SK_ERR_IO, NULL, "read error"), SK_ERR_IO);
    assert_string_equal(diag.field, "");
    assert_string_equal(diag.msg, "read error");
    /* A NULL diag is allowed and the code still comes back. */
    assert_int_equal(sk_diag_set(NULL, SK_ERR_STORE, "x", "y"), SK_ERR_STORE);
    sk_diag_clear(NULL);
}

static void test_diag_format_exact(void **state)
{
    sk_diag diag;
    char buf[512];
    (void)state;

    sk_diag_clear(&diag);
    (void)sk_diag_set(&diag, SK_ERR_INVALID, "dob", "expected a date YYYY-MM-DD");
    sk_diag_format(&diag, buf, sizeof(buf));
    assert_string_equal(buf, "dob: expected a date YYYY-MM-DD");
    diag.line = 12;
    sk_diag_format(&diag, buf, sizeof(buf));
    assert_string_equal(buf, "line 12: dob: expected a date YYYY-MM-DD");
    snprintf(diag.where, sizeof(diag.where), "%s", "cases.csv");
    sk_diag_format(&diag, buf, sizeof(buf));
    assert_string_equal(buf, "cases.csv:12: dob: expected a date YYYY-MM-DD");
    diag.line = 0;
    sk_diag_format(&diag, buf, sizeof(buf));
    assert_string_equal(buf, "cases.csv: dob: expected a date YYYY-MM-DD");
    (void)sk_diag_set(&diag, SK_ERR_INVALID, "", "the file is empty");
    sk_diag_format(&diag, buf, sizeof(buf));
    assert_string_equal(buf, "cases.csv: the file is empty");
}

static void test_diag_format_truncates(void **state)
{
    sk_diag diag;
    char small[8];
    char tiny[1];
    (void)state;

    sk_diag_clear(&diag);
    snprintf(diag.where, sizeof(diag.where), "%s", "a-long-file-name.jsonl");
    diag.line = 3;
    (void)sk_diag_set(&diag, SK_ERR_INVALID, "id", "required");
    memset(small, 'x', sizeof(small));
    sk_diag_format(&diag, small, sizeof(small));
    assert_string_equal(small, "a-long-");
    tiny[0] = 'x';
    sk_diag_format(&diag, tiny, sizeof(tiny));
    assert_int_equal(tiny[0], '\0');
    /* Room for the location but not the whole message. */
    snprintf(diag.where, sizeof(diag.where), "%s", "f");
    sk_diag_format(&diag, small, sizeof(small));
    assert_string_equal(small, "f:3: id");
}

/* ------------------------------------------------------------------- arena */

static void test_arena_alignment(void **state)
{
    const size_t align = alignof(max_align_t);
    static const size_t sizes[] = {1, 3, 7, 8, 15, 16, 17, 31, 33, 100};
    sk_arena *arena = NULL;
    size_t i, expect_used = 0;
    void *p = NULL;
    (void)state;

    assert_int_equal(sk_arena_new(4096, 65536, &arena), SK_OK);
    assert_int_equal(sk_arena_used(arena), 0);
    for (i = 0; i < SK_ARRAY_LEN(sizes); i++) {
        assert_int_equal(sk_arena_alloc(arena, sizes[i], &p), SK_OK);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % align, 0);
        memset(p, 0xCD, sizes[i]);
        expect_used += (sizes[i] + align - 1) / align * align;
        assert_int_equal(sk_arena_used(arena), expect_used);
    }
    /* A zero-byte request still gets a distinct, aligned slot. */
    assert_int_equal(sk_arena_alloc(arena, 0, &p), SK_OK);
    assert_int_equal((uintptr_t)p % align, 0);
    assert_int_equal(sk_arena_used(arena), expect_used + align);
    sk_arena_free(arena);
    sk_arena_free(NULL);
}

static void test_arena_limits(void **state)
{
    sk_arena *arena = NULL;
    void *p = NULL;
    int i;
    (void)state;

    assert_int_equal(sk_arena_new(0, 1024, &arena), SK_ERR_INVALID);
    assert_null(arena);
    assert_int_equal(sk_arena_new(1024, 512, &arena), SK_ERR_INVALID);
    assert_null(arena);
    assert_int_equal(sk_arena_new(256, 1024, &arena), SK_OK);
    /* Larger than the whole arena may ever hold. */
    assert_int_equal(sk_arena_alloc(arena, 1025, &p), SK_ERR_TOO_LARGE);
    assert_null(p);
    /* Four chunks of 256 fill the limit exactly; the fifth does not fit. */
    for (i = 0; i < 4; i++)
        assert_int_equal(sk_arena_alloc(arena, 256, &p), SK_OK);
    assert_int_equal(sk_arena_used(arena), 1024);
    assert_int_equal(sk_arena_alloc(arena, 1, &p), SK_ERR_TOO_LARGE);
    assert_null(p);
    assert_int_equal(sk_arena_used(arena), 1024);
    sk_arena_free(arena);

    /* A request larger than a chunk gets a chunk of its own. */
    assert_int_equal(sk_arena_new(256, 4096, &arena), SK_OK);
    assert_int_equal(sk_arena_alloc(arena, 1000, &p), SK_OK);
    memset(p, 1, 1000);
    assert_int_equal(sk_arena_alloc(arena, 4096 - 256 - 1008 + 1, &p), SK_ERR_TOO_LARGE);
    sk_arena_free(arena);
}

/* Checks that every byte of p is zero. */
static void assert_zeroed(const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        assert_int_equal(p[i], 0);
}

static void test_arena_reset_wipes_and_reuses(void **state)
{
    sk_arena *arena = NULL;
    unsigned char *first = NULL, *again = NULL, *big = NULL;
    int i;
    (void)state;

    assert_int_equal(sk_arena_new(256, 2048, &arena), SK_OK);
    assert_int_equal(sk_arena_alloc(arena, 256, (void **)&first), SK_OK);
    memset(first, 0xAB, 256);
    assert_int_equal(sk_arena_alloc(arena, 1500, (void **)&big), SK_OK);
    memset(big, 0xEF, 1500);
    sk_arena_reset(arena);
    assert_int_equal(sk_arena_used(arena), 0);
    /* The first chunk is kept and handed out again from its start, wiped. */
    assert_int_equal(sk_arena_alloc(arena, 256, (void **)&again), SK_OK);
    assert_ptr_equal(again, first);
    assert_zeroed(again, 256);
    /* The capacity freed by the reset is available again, repeatedly. */
    for (i = 0; i < 3; i++) {
        assert_int_equal(sk_arena_alloc(arena, 1500, (void **)&big), SK_OK);
        memset(big, 0x11, 1500);
        sk_arena_reset(arena);
    }
    assert_int_equal(sk_arena_alloc(arena, 256, (void **)&again), SK_OK);
    assert_ptr_equal(again, first);
    assert_zeroed(again, 256);
    sk_arena_free(arena);
}

static void test_arena_fail_after(void **state)
{
    sk_arena *arena = NULL;
    sk_str copy = SK_STR_NULL;
    void *p = NULL;
    (void)state;

    assert_int_equal(sk_arena_new(1024, 8192, &arena), SK_OK);
    sk_arena_fail_after(arena, 3);
    assert_int_equal(sk_arena_alloc(arena, 8, &p), SK_OK);
    assert_int_equal(sk_arena_alloc(arena, 8, &p), SK_OK);
    assert_int_equal(sk_arena_alloc(arena, 8, &p), SK_ERR_NOMEM);
    assert_null(p);
    assert_int_equal(sk_arena_alloc(arena, 8, &p), SK_ERR_NOMEM);
    assert_int_equal(sk_arena_strdup(arena, SK_STR("x"), &copy), SK_ERR_NOMEM);
    sk_arena_fail_after(arena, 0);
    assert_int_equal(sk_arena_alloc(arena, 8, &p), SK_OK);
    sk_arena_fail_after(arena, 1);
    assert_int_equal(sk_arena_alloc(arena, 8, &p), SK_ERR_NOMEM);
    sk_arena_fail_after(arena, 0);
    assert_int_equal(sk_arena_strdup(arena, SK_STR("hola"), &copy), SK_OK);
    assert_int_equal(copy.len, 4);
    assert_string_equal(copy.ptr, "hola");
    assert_int_equal(sk_arena_strdup(arena, SK_STR_NULL, &copy), SK_OK);
    assert_int_equal(copy.len, 0);
    assert_string_equal(copy.ptr, "");
    sk_arena_free(arena);
}

/* ----------------------------------------------------------------- buffers */

static void test_buf_growth(void **state)
{
    sk_buf buf;
    char chunk[100];
    char *taken;
    size_t i;
    (void)state;

    sk_buf_init(&buf, 1 << 20);
    assert_null(buf.ptr);
    assert_int_equal(sk_buf_str(&buf).len, 0);
    assert_string_equal(sk_buf_str(&buf).ptr, "");
    for (i = 0; i < 30; i++) {
        memset(chunk, (int)('a' + i % 26), sizeof(chunk));
        assert_int_equal(sk_buf_append(&buf, chunk, sizeof(chunk)), SK_OK);
        assert_true(buf.cap >= buf.len + 1);
        assert_int_equal(buf.ptr[buf.len], '\0');
    }
    assert_int_equal(buf.len, 3000);
    for (i = 0; i < 3000; i++)
        assert_int_equal(buf.ptr[i], (char)('a' + (i / 100) % 26));
    assert_int_equal(sk_buf_printf(&buf, "|%d-%s|", 42, "x"), SK_OK);
    assert_int_equal(buf.len, 3006);
    assert_string_equal(buf.ptr + 3000, "|42-x|");
    sk_buf_reset(&buf);
    assert_int_equal(buf.len, 0);
    assert_string_equal(sk_buf_str(&buf).ptr, "");
    assert_int_equal(sk_buf_appendc(&buf, "abc"), SK_OK);
    assert_int_equal(sk_buf_append_str(&buf, SK_STR("def")), SK_OK);
    taken = sk_buf_take(&buf);
    assert_string_equal(taken, "abcdef");
    assert_null(buf.ptr);
    assert_int_equal(buf.len, 0);
    free(taken);
    sk_buf_fini(&buf);
}

static void test_buf_len_max(void **state)
{
    sk_buf buf;
    (void)state;

    sk_buf_init(&buf, 10);
    assert_int_equal(sk_buf_appendc(&buf, "0123456789"), SK_OK);
    assert_int_equal(buf.len, 10);
    assert_int_equal(sk_buf_append(&buf, "x", 1), SK_ERR_TOO_LARGE);
    assert_int_equal(sk_buf_printf(&buf, "%d", 1), SK_ERR_TOO_LARGE);
    assert_int_equal(sk_buf_json_str(&buf, SK_STR("")), SK_ERR_TOO_LARGE);
    assert_int_equal(buf.len, 10);
    assert_string_equal(buf.ptr, "0123456789");
    /* Appending nothing to a full buffer is fine. */
    assert_int_equal(sk_buf_append(&buf, "", 0), SK_OK);
    sk_buf_fini(&buf);

    sk_buf_init(&buf, 5);
    assert_int_equal(sk_buf_printf(&buf, "%s", "123456"), SK_ERR_TOO_LARGE);
    assert_int_equal(buf.len, 0);
    assert_int_equal(sk_buf_printf(&buf, "%s", "12345"), SK_OK);
    assert_string_equal(buf.ptr, "12345");
    assert_true(buf.cap <= 6);
    sk_buf_fini(&buf);
    assert_null(buf.ptr);
}

static void test_buf_json_escaping(void **state)
{
    sk_buf buf;
    (void)state;

    sk_buf_init(&buf, 4096);
    assert_int_equal(sk_buf_json_str(&buf, BYTES("a\"b\\c")), SK_OK);
    assert_string_equal(buf.ptr, "\"a\\\"b\\\\c\"");
    sk_buf_reset(&buf);
    assert_int_equal(sk_buf_json_str(&buf, BYTES("\n\t\r\x01\x1f x\x7f")), SK_OK);
    assert_string_equal(buf.ptr, "\"\\u000a\\u0009\\u000d\\u0001\\u001f x\x7f\"");
    sk_buf_reset(&buf);
    /* UTF-8 passes through untouched. */
    assert_int_equal(sk_buf_json_str(&buf, BYTES("Jos\xC3\xA9 \xE2\x82\xAC")), SK_OK);
    assert_string_equal(buf.ptr, "\"Jos\xC3\xA9 \xE2\x82\xAC\"");
    sk_buf_reset(&buf);
    assert_int_equal(sk_buf_json_str(&buf, SK_STR("")), SK_OK);
    assert_string_equal(buf.ptr, "\"\"");
    sk_buf_reset(&buf);
    assert_int_equal(sk_buf_json_str(&buf, BYTES("\"\"")), SK_OK);
    assert_string_equal(buf.ptr, "\"\\\"\\\"\"");
    sk_buf_fini(&buf);
}

static void test_utf8_valid_sequences(void **state)
{
    (void)state;
    assert_true(sk_utf8_valid(SK_STR("")));
    assert_true(sk_utf8_valid(SK_STR("plain ascii ~\x7f")));
    assert_true(sk_utf8_valid(BYTES("\xC3\xA9")));         /* U+00E9 */
    assert_true(sk_utf8_valid(BYTES("\xC2\x80")));         /* U+0080 */
    assert_true(sk_utf8_valid(BYTES("\xDF\xBF")));         /* U+07FF */
    assert_true(sk_utf8_valid(BYTES("\xE0\xA0\x80")));     /* U+0800 */
    assert_true(sk_utf8_valid(BYTES("\xE2\x82\xAC")));     /* U+20AC */
    assert_true(sk_utf8_valid(BYTES("\xED\x9F\xBF")));     /* U+D7FF */
    assert_true(sk_utf8_valid(BYTES("\xEE\x80\x80")));     /* U+E000 */
    assert_true(sk_utf8_valid(BYTES("\xEF\xBF\xBF")));     /* U+FFFF */
    assert_true(sk_utf8_valid(BYTES("\xF0\x90\x80\x80"))); /* U+10000 */
    assert_true(sk_utf8_valid(BYTES("\xF0\x9D\x84\x9E"))); /* U+1D11E */
    assert_true(sk_utf8_valid(BYTES("\xF4\x8F\xBF\xBF"))); /* U+10FFFF */
    assert_true(sk_utf8_valid(BYTES("Q'anjob'al \xC3\xB1u\xC3\xB1oa")));
}

static void test_utf8_invalid_sequences(void **state)
{
    (void)state;
    /* Overlong forms. */
    assert_false(sk_utf8_valid(BYTES("\xC0\x80")));
    assert_false(sk_utf8_valid(BYTES("\xC1\xBF")));
    assert_false(sk_utf8_valid(BYTES("\xE0\x80\x80")));
    assert_false(sk_utf8_valid(BYTES("\xE0\x9F\xBF")));
    assert_false(sk_utf8_valid(BYTES("\xF0\x80\x80\x80")));
    assert_false(sk_utf8_valid(BYTES("\xF0\x8F\xBF\xBF")));
    /* Surrogates. */
    assert_false(sk_utf8_valid(BYTES("\xED\xA0\x80")));
    assert_false(sk_utf8_valid(BYTES("\xED\xBF\xBF")));
    /* Above U+10FFFF, and bytes that never start a sequence. */
    assert_false(sk_utf8_valid(BYTES("\xF4\x90\x80\x80")));
    assert_false(sk_utf8_valid(BYTES("\xF5\x80\x80\x80")));
    assert_false(sk_utf8_valid(BYTES("\xF8\x88\x80\x80\x80")));
    assert_false(sk_utf8_valid(BYTES("\xFE")));
    assert_false(sk_utf8_valid(BYTES("\xFF")));
    assert_false(sk_utf8_valid(BYTES("\x80")));
    assert_false(sk_utf8_valid(BYTES("a\xBF")));
    /* Truncated sequences, at the end and followed by ASCII. */
    assert_false(sk_utf8_valid(BYTES("\xC3")));
    assert_false(sk_utf8_valid(BYTES("abc\xC3")));
    assert_false(sk_utf8_valid(BYTES("\xE2\x82")));
    assert_false(sk_utf8_valid(BYTES("\xF0\x9D\x84")));
    assert_false(sk_utf8_valid(BYTES("\xC3\x41")));
    assert_false(sk_utf8_valid(BYTES("\xE2\x82\x41")));
    assert_false(sk_utf8_valid(BYTES("\xF0\x9D\x41\x9E")));
}

/* --------------------------------------------------------------- ids, UUIDs */

static void test_id_valid(void **state)
{
    (void)state;
    assert_true(sk_id_valid(SK_STR("C0001234"), 40));
    assert_true(sk_id_valid(SK_STR("a.b_c:d-E9"), 40));
    assert_true(sk_id_valid(SK_STR("0186f1c2-7a40-7c11-9a3e-1b2c3d4e5f60"), 40));
    assert_true(sk_id_valid(SK_STR("abcd"), 4));
    assert_false(sk_id_valid(SK_STR("abcde"), 4));
    assert_false(sk_id_valid(SK_STR(""), 40));
    assert_false(sk_id_valid(SK_STR_NULL, 40));
    assert_false(sk_id_valid(SK_STR("a b"), 40));
    assert_false(sk_id_valid(SK_STR("a/b"), 40));
    assert_false(sk_id_valid(SK_STR("a,b"), 40));
    assert_false(sk_id_valid(SK_STR("a\"b"), 40));
    assert_false(sk_id_valid(BYTES("Jos\xC3\xA9"), 40));
    assert_false(sk_id_valid(BYTES("a\nb"), 40));
}

static void test_uuid_format_version_and_variant(void **state)
{
    unsigned char ones[16], zeros[16];
    char out[SK_UUID_LEN + 1];
    (void)state;

    memset(ones, 0xFF, sizeof(ones));
    memset(zeros, 0, sizeof(zeros));
    sk_uuid_format(ones, 7, out);
    assert_string_equal(out, "ffffffff-ffff-7fff-bfff-ffffffffffff");
    sk_uuid_format(zeros, 8, out);
    assert_string_equal(out, "00000000-0000-8000-8000-000000000000");
    sk_uuid_format(ones, 8, out);
    assert_string_equal(out, "ffffffff-ffff-8fff-bfff-ffffffffffff");
    assert_int_equal(strlen(out), SK_UUID_LEN);
}

static void test_uuid7_layout(void **state)
{
    static const unsigned char rand_bytes[10] = {0x0c, 0x11, 0x1a, 0x3e, 0x1b,
                                                 0x2c, 0x3d, 0x4e, 0x5f, 0x60};
    static const unsigned char rand_ff[10] = {0xff, 0xff, 0xff, 0xff, 0xff,
                                              0xff, 0xff, 0xff, 0xff, 0xff};
    char out[SK_UUID_LEN + 1];
    (void)state;

    /* The example id of docs/import.md. */
    sk_uuid7(0x0186f1c27a40LL, rand_bytes, out);
    assert_string_equal(out, "0186f1c2-7a40-7c11-9a3e-1b2c3d4e5f60");
    sk_uuid7(0, rand_ff, out);
    assert_string_equal(out, "00000000-0000-7fff-bfff-ffffffffffff");
    /* 2023-03-14T16:05:00Z in milliseconds. */
    sk_uuid7(1678809900000LL, rand_bytes, out);
    assert_string_equal(out, "0186e0de-23e0-7c11-9a3e-1b2c3d4e5f60");
}

/* -------------------------------------------------------------- calendar */

static void test_days_civil_known_values(void **state)
{
    int64_t y;
    unsigned m, d;
    (void)state;

    assert_int_equal(sk_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(sk_days_from_civil(2000, 1, 1) * 86400, SK_TIME_MIN);
    assert_int_equal(sk_days_from_civil(1900, 1, 1) * 86400, SK_DATE_MIN);
    assert_int_equal(sk_days_from_civil(2100, 1, 1) * 86400, SK_TIME_MAX);
    assert_int_equal(sk_days_from_civil(1969, 12, 31), -1);
    /* 1900 and 2100 are not leap years, 2000 is. */
    sk_civil_from_days(sk_days_from_civil(1900, 2, 28) + 1, &y, &m, &d);
    assert_true(y == 1900 && m == 3 && d == 1);
    sk_civil_from_days(sk_days_from_civil(2000, 2, 28) + 1, &y, &m, &d);
    assert_true(y == 2000 && m == 2 && d == 29);
    sk_civil_from_days(sk_days_from_civil(2100, 2, 28) + 1, &y, &m, &d);
    assert_true(y == 2100 && m == 3 && d == 1);
}

static void test_days_civil_round_trip(void **state)
{
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t day = sk_days_from_civil(1900, 1, 1), y;
    int64_t year;
    unsigned month, dom, m, d, len;
    (void)state;

    for (year = 1900; year <= 2100; year++) {
        int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        for (month = 1; month <= 12; month++) {
            len = mdays[month - 1] + (month == 2 && leap ? 1u : 0u);
            for (dom = 1; dom <= len; dom++, day++) {
                if (sk_days_from_civil(year, month, dom) != day)
                    fail_msg("days_from_civil(%lld-%u-%u)", (long long)year, month, dom);
                sk_civil_from_days(day, &y, &m, &d);
                if (y != year || m != month || d != dom)
                    fail_msg("civil_from_days(%lld)", (long long)day);
            }
        }
    }
    assert_int_equal(day, sk_days_from_civil(2101, 1, 1));
}

/* ------------------------------------------------------------ timestamps */

/* Parses text as RFC 3339 and returns the time; fails the test on error. */
static int64_t rfc(const char *text)
{
    int64_t t = 0;

    if (sk_time_parse_rfc3339(sk_str_c(text), &t) != SK_OK)
        fail_msg("rejected %s", text);
    return t;
}

static void test_rfc3339_valid(void **state)
{
    const int64_t base = 1678809900; /* 2023-03-14T16:05:00Z */
    (void)state;

    assert_int_equal(rfc("2023-03-14T16:05:00Z"), base);
    assert_int_equal(rfc("2023-03-14T18:05:00+02:00"), base);
    assert_int_equal(rfc("2023-03-14T11:05:00-05:00"), base);
    assert_int_equal(rfc("2023-03-14T21:35:00+05:30"), base);
    assert_int_equal(rfc("2023-03-14T16:05:00.123Z"), base);
    assert_int_equal(rfc("2023-03-14T18:05:00.999999+02:00"), base);
    assert_int_equal(rfc("2023-03-14t16:05:00z"), base);
    assert_int_equal(rfc("2023-03-14 16:05:00Z"), base);
    assert_int_equal(rfc("2023-03-15T01:00:00+02:00"), base - 16 * 3600 - 300 + 23 * 3600);
    assert_int_equal(rfc("2023-03-14T16:05:00-00:00"), base);
    assert_int_equal(rfc("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(rfc("1900-01-01T00:00:00Z"), SK_DATE_MIN);
    /* A leap second folds into the next second. */
    assert_int_equal(rfc("2016-12-31T23:59:60Z"), rfc("2017-01-01T00:00:00Z"));
}

static void test_rfc3339_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "2023-03-14",
        "2023-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2023-13-01T00:00:00Z",
        "2023-03-14T24:00:00Z",
        "2023-03-14T16:60:00Z",
        "2023-03-14T16:05:61Z",
        "2023-03-14T16:05:00",
        "2023-03-14T16:05Z",
        "2023-03-14X16:05:00Z",
        "2023-03-14T16:05:00.Z",
        "2023-03-14T16:05:00+2:00",
        "2023-03-14T16:05:00+0200",
        "2023-03-14T16:05:00+24:00",
        "2023-03-14T16:05:00+02:60",
        "2023-03-14T16:05:00Zx",
        "2023-03-14T16:05:00 Z",
        "1899-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "23-03-14T16:05:00Z",
        "2023/03/14T16:05:00Z",
    };
    size_t i;
    int64_t t;
    (void)state;

    for (i = 0; i < SK_ARRAY_LEN(bad); i++) {
        t = 12345;
        if (sk_time_parse_rfc3339(sk_str_c(bad[i]), &t) != SK_ERR_INVALID)
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void test_time_format_exact(void **state)
{
    char ts[SK_RFC3339_LEN + 1], date[SK_DATE_LEN + 1];
    (void)state;

    sk_time_format_rfc3339(1678809900, ts);
    assert_string_equal(ts, "2023-03-14T16:05:00Z");
    sk_time_format_rfc3339(0, ts);
    assert_string_equal(ts, "1970-01-01T00:00:00Z");
    sk_time_format_rfc3339(-1, ts);
    assert_string_equal(ts, "1969-12-31T23:59:59Z");
    sk_time_format_rfc3339(SK_DATE_MIN, ts);
    assert_string_equal(ts, "1900-01-01T00:00:00Z");
    sk_time_format_rfc3339(SK_TIME_MAX - 1, ts);
    assert_string_equal(ts, "2099-12-31T23:59:59Z");
    sk_time_format_date(1678809900, date);
    assert_string_equal(date, "2023-03-14");
    sk_time_format_date(-86400 * 365 - 1, date);
    assert_string_equal(date, "1968-12-31");
    sk_time_format_date(SK_DATE_MIN, date);
    assert_string_equal(date, "1900-01-01");
}

static void test_parse_date_strict(void **state)
{
    int64_t t = 0;
    (void)state;

    assert_int_equal(sk_time_parse_date(SK_STR("2023-03-14"), &t), SK_OK);
    assert_int_equal(t, 1678752000);
    assert_int_equal(sk_time_parse_date(SK_STR("2024-02-29"), &t), SK_OK);
    assert_int_equal(sk_time_parse_date(SK_STR("2000-02-29"), &t), SK_OK);
    assert_int_equal(sk_time_parse_date(SK_STR("1900-01-01"), &t), SK_OK);
    assert_int_equal(t, SK_DATE_MIN);
    assert_int_equal(sk_time_parse_date(SK_STR("2023-02-29"), &t), SK_ERR_INVALID);
    assert_int_equal(sk_time_parse_date(SK_STR("1900-02-29"), &t), SK_ERR_INVALID);
    assert_int_equal(sk_time_parse_date(SK_STR("2023-3-14"), &t), SK_ERR_INVALID);
    assert_int_equal(sk_time_parse_date(SK_STR("2023-03-14 "), &t), SK_ERR_INVALID);
    assert_int_equal(sk_time_parse_date(SK_STR("3/14/2023"), &t), SK_ERR_INVALID);
    assert_int_equal(sk_time_parse_date(SK_STR("2023-04-31"), &t), SK_ERR_INVALID);
    assert_int_equal(sk_time_parse_date(SK_STR("2023-00-10"), &t), SK_ERR_INVALID);
    assert_int_equal(sk_time_parse_date(SK_STR("2023-01-00"), &t), SK_ERR_INVALID);
    assert_int_equal(sk_time_parse_date(SK_STR("1899-12-31"), &t), SK_ERR_INVALID);
    assert_int_equal(sk_time_parse_date(SK_STR("2023-0a-14"), &t), SK_ERR_INVALID);
}

/* Parses a human date and formats it as YYYY-MM-DD into out. */
static sk_err human(const char *text, char out[SK_DATE_LEN + 1])
{
    int64_t t = 0;
    sk_err rc = sk_time_parse_human_date(sk_str_c(text), &t);

    out[0] = '\0';
    if (rc == SK_OK) {
        assert_int_equal(t % 86400, 0);
        sk_time_format_date(t, out);
    }
    return rc;
}

static void test_human_dates_accepted(void **state)
{
    static const char *const cases[][2] = {
        {"3/14/2023", "2023-03-14"},
        {"03/14/23", "2023-03-14"},
        {"14/03/2023", "2023-03-14"},
        {"14-Mar-2023", "2023-03-14"},
        {"March 14, 2023", "2023-03-14"},
        {"Mar 14 2023", "2023-03-14"},
        {"2023-03-14T10:00:00Z", "2023-03-14"},
        {"2023-03-14", "2023-03-14"},
        {"  3/14/2023\t", "2023-03-14"},
        {"1/2/2023", "2023-01-02"},
        {"3/14/69", "2069-03-14"},
        {"3/14/70", "1970-03-14"},
        {"14-mar-23", "2023-03-14"},
        {"SEPT 1 2023", "2023-09-01"},
        {"september 30, 2023", "2023-09-30"},
        {"2023/03/14", "2023-03-14"},
        {"2/29/2024", "2024-02-29"},
        {"3.14.2023", "2023-03-14"},
        {"2023-03-14T23:30:00-05:00", "2023-03-14"},
    };
    char out[SK_DATE_LEN + 1];
    size_t i;
    (void)state;

    for (i = 0; i < SK_ARRAY_LEN(cases); i++) {
        if (human(cases[i][0], out) != SK_OK)
            fail_msg("rejected \"%s\"", cases[i][0]);
        if (strcmp(out, cases[i][1]) != 0)
            fail_msg("\"%s\" gave %s, expected %s", cases[i][0], out, cases[i][1]);
    }
}

static void test_human_dates_rejected(void **state)
{
    static const char *const bad[] = {
        "13/13/2023",
        "2/30/2023",
        "",
        "abc",
        "   ",
        "2/29/2023",
        "3/14",
        "3/14/2023/1",
        "Foo 14 2023",
        "14-Mar-123",
        "March 14, 23",
        "0/14/2023",
        "3/0/2023",
        "3/14/12345",
        "3/14/2023x",
        "2023-03-14T25:00:00Z",
    };
    char out[SK_DATE_LEN + 1];
    size_t i;
    (void)state;

    for (i = 0; i < SK_ARRAY_LEN(bad); i++) {
        if (human(bad[i], out) != SK_ERR_INVALID)
            fail_msg("accepted \"%s\" as %s", bad[i], out);
    }
}

static void test_time_now_pinned(void **state)
{
    (void)state;
    assert_int_equal(setenv("SAFEKEEP_NOW", "2024-01-02T03:04:05Z", 1), 0);
    assert_int_equal(sk_time_now(), rfc("2024-01-02T03:04:05Z"));
    /* An unparsable pin falls back to the real clock. */
    assert_int_equal(setenv("SAFEKEEP_NOW", "yesterday", 1), 0);
    assert_true(sk_time_now() > rfc("2024-01-01T00:00:00Z"));
    assert_int_equal(unsetenv("SAFEKEEP_NOW"), 0);
    assert_true(sk_time_now() > rfc("2024-01-01T00:00:00Z"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_str_names),
        cmocka_unit_test(test_str_helpers),
        cmocka_unit_test(test_diag_set_records_field_and_message),
        cmocka_unit_test(test_diag_format_exact),
        cmocka_unit_test(test_diag_format_truncates),
        cmocka_unit_test(test_arena_alignment),
        cmocka_unit_test(test_arena_limits),
        cmocka_unit_test(test_arena_reset_wipes_and_reuses),
        cmocka_unit_test(test_arena_fail_after),
        cmocka_unit_test(test_buf_growth),
        cmocka_unit_test(test_buf_len_max),
        cmocka_unit_test(test_buf_json_escaping),
        cmocka_unit_test(test_utf8_valid_sequences),
        cmocka_unit_test(test_utf8_invalid_sequences),
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_uuid_format_version_and_variant),
        cmocka_unit_test(test_uuid7_layout),
        cmocka_unit_test(test_days_civil_known_values),
        cmocka_unit_test(test_days_civil_round_trip),
        cmocka_unit_test(test_rfc3339_valid),
        cmocka_unit_test(test_rfc3339_invalid),
        cmocka_unit_test(test_time_format_exact),
        cmocka_unit_test(test_parse_date_strict),
        cmocka_unit_test(test_human_dates_accepted),
        cmocka_unit_test(test_human_dates_rejected),
        cmocka_unit_test(test_time_now_pinned),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
