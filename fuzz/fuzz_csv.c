/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_csv.c: libFuzzer target for the CSV reader.
 *
 * Each input is read to the end several ways, and the runs must agree:
 * with a buffer that holds the whole input and with the smallest buffer the
 * reader allows (so records cross refills at every possible offset), each at
 * a tight and a loose record limit. Every record is also checked on its own
 * (field slices inside the reader's buffer, in order, without NUL, valid
 * UTF-8, lines and byte counts increasing) and written back as fully quoted
 * CSV, which must read back to the same fields. An error must be sticky and
 * the end of input must account for every byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "safekeep/sk_csv.h"

#include "sk_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Independent of the reader's own check: decode, then judge the value. */
static int valid_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        uint32_t cp;
        size_t n;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            n = 2;
            cp = c & 0x1Fu;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3;
            cp = c & 0x0Fu;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4;
            cp = c & 0x07u;
        } else {
            return 0;
        }
        if (len - i < n)
            return 0;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000))
            return 0;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n;
    }
    return 1;
}

static void check_record(const sk_str *fields, size_t count, size_t record_bytes_max)
{
    SK_ASSERT(fields != NULL);
    SK_ASSERT(count >= 1);
    SK_ASSERT(count <= SK_CSV_FIELDS_MAX);
    for (size_t i = 0; i < count; i++) {
        SK_ASSERT(fields[i].ptr != NULL);
        SK_ASSERT(fields[i].len <= record_bytes_max);
        SK_ASSERT(memchr(fields[i].ptr, 0, fields[i].len) == NULL);
        SK_ASSERT(valid_utf8((const unsigned char *)fields[i].ptr, fields[i].len));
        if (i > 0)
            SK_ASSERT(fields[i - 1].ptr + fields[i - 1].len <= fields[i].ptr);
    }
}

/* Writes the record as quoted CSV and reads it back with a fresh reader. */
static void check_round_trip(const sk_str *fields, size_t count)
{
    size_t cap = 2;
    size_t len = 0;
    char *buf;
    sk_csv *csv = NULL;
    const sk_str *back = NULL;
    size_t back_count = 0;

    for (size_t i = 0; i < count; i++)
        cap += 2 * fields[i].len + 3;
    buf = malloc(cap);
    SK_ASSERT(buf != NULL);
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            buf[len++] = ',';
        buf[len++] = '"';
        for (size_t k = 0; k < fields[i].len; k++) {
            if (fields[i].ptr[k] == '"')
                buf[len++] = '"';
            buf[len++] = fields[i].ptr[k];
        }
        buf[len++] = '"';
    }
    buf[len++] = '\n';
    SK_ASSERT(len <= cap);
    SK_ASSERT(sk_csv_open_mem((sk_str){buf, len}, len, &csv) == SK_OK);
    SK_ASSERT(sk_csv_next(csv, &back, &back_count, NULL) == SK_OK);
    SK_ASSERT(back_count == count);
    for (size_t i = 0; i < count; i++)
        SK_ASSERT(sk_str_eq(back[i], fields[i]));
    SK_ASSERT(sk_csv_next(csv, &back, &back_count, NULL) == SK_ERR_NOT_FOUND);
    sk_csv_close(csv);
    free(buf);
}

static void same_diag(const sk_diag *a, const sk_diag *b)
{
    SK_ASSERT(a->line == b->line);
    SK_ASSERT(strcmp(a->field, b->field) == 0);
    SK_ASSERT(strcmp(a->msg, b->msg) == 0);
}

/* Reads the input with a whole-input buffer and a minimal one in lockstep. */
static void run(sk_str input, size_t record_bytes_max, int round_trip)
{
    sk_csv *big = NULL;
    sk_csv *small = NULL;
    uint64_t last_line = 0;
    uint64_t last_bytes = 0;
    sk_err rc;

    SK_ASSERT(sk_csv_open_mem(input, record_bytes_max, &big) == SK_OK);
    SK_ASSERT(sk_csv_open_mem_sized(input, 1, record_bytes_max, &small) == SK_OK);
    for (;;) {
        const sk_str *f1 = NULL;
        const sk_str *f2 = NULL;
        size_t n1 = 0;
        size_t n2 = 0;
        sk_diag d1;
        sk_diag d2;
        sk_diag_clear(&d1);
        sk_diag_clear(&d2);
        rc = sk_csv_next(big, &f1, &n1, &d1);
        SK_ASSERT(sk_csv_next(small, &f2, &n2, &d2) == rc);
        if (rc != SK_OK) {
            SK_ASSERT(f1 == NULL && n1 == 0);
            if (rc != SK_ERR_NOT_FOUND)
                same_diag(&d1, &d2);
            break;
        }
        check_record(f1, n1, record_bytes_max);
        SK_ASSERT(n1 == n2);
        for (size_t i = 0; i < n1; i++)
            SK_ASSERT(sk_str_eq(f1[i], f2[i]));
        SK_ASSERT(sk_csv_line(big) == sk_csv_line(small));
        SK_ASSERT(sk_csv_bytes_read(big) == sk_csv_bytes_read(small));
        SK_ASSERT(sk_csv_line(big) > last_line);
        SK_ASSERT(sk_csv_bytes_read(big) > last_bytes);
        SK_ASSERT(sk_csv_bytes_read(big) <= input.len);
        last_line = sk_csv_line(big);
        last_bytes = sk_csv_bytes_read(big);
        if (round_trip)
            check_round_trip(f1, n1);
    }
    if (rc == SK_ERR_NOT_FOUND)
        SK_ASSERT(sk_csv_bytes_read(big) == input.len);
    else
        SK_ASSERT(rc == SK_ERR_INVALID || rc == SK_ERR_TOO_LARGE);
    /* End of input and errors are both final. */
    {
        const sk_str *f = NULL;
        size_t n = 0;
        SK_ASSERT(sk_csv_next(big, &f, &n, NULL) == rc);
    }
    sk_csv_close(big);
    sk_csv_close(small);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_str input = {(const char *)data, size};

    if (size == 0)
        input.ptr = NULL;
    run(input, 16, 0);
    run(input, 4096, 1);
    return 0;
}
