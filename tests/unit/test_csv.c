/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_csv.c: unit tests for the streaming CSV reader.
 *
 * Most tests render everything a reader returns into one string, one record
 * a line as "LINE:[field][field]" followed by the final code, and compare it
 * with the exact expected text, so a test shows fields, line numbers and the
 * end state at a glance. Inputs are read through memory, through a pipe and
 * through a temporary file, with buffers small enough that records cross
 * refills, because the refill path is where streaming parsers break.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safekeep/sk_csv.h"

#include "sk_int.h"

#define RENDER_MAX 4096

/* Appends to a bounded string; the tests keep well inside RENDER_MAX. */
static void append(char *out, size_t *len, const char *bytes, size_t n)
{
    assert_true(*len + n < RENDER_MAX);
    memcpy(out + *len, bytes, n);
    *len += n;
    out[*len] = '\0';
}

/* Reads csv to its end and renders every record and the final code. */
static sk_err render(sk_csv *csv, char *out, sk_diag *diag)
{
    size_t len = 0;
    sk_err rc;
    const sk_str *fields = NULL;
    size_t count = 0;

    out[0] = '\0';
    for (rc = sk_csv_next(csv, &fields, &count, diag); rc == SK_OK;
         rc = sk_csv_next(csv, &fields, &count, diag)) {
        char head[32];
        int n = snprintf(head, sizeof(head), "%llu:", (unsigned long long)sk_csv_line(csv));
        append(out, &len, head, (size_t)n);
        for (size_t i = 0; i < count; i++) {
            append(out, &len, "[", 1);
            append(out, &len, fields[i].ptr, fields[i].len);
            append(out, &len, "]", 1);
        }
        append(out, &len, "\n", 1);
    }
    append(out, &len, sk_err_str(rc), strlen(sk_err_str(rc)));
    return rc;
}

/* Renders input read from memory with the default buffer, and again with the
 * smallest buffer the record limit allows; both must agree. */
static sk_err render_mem(const char *input, size_t input_len, size_t record_bytes_max, char *out,
                         sk_diag *diag)
{
    sk_csv *csv = NULL;
    char again[RENDER_MAX];
    sk_diag diag_again;
    sk_err rc;

    sk_diag_clear(diag);
    assert_int_equal(sk_csv_open_mem((sk_str){input, input_len}, record_bytes_max, &csv), SK_OK);
    rc = render(csv, out, diag);
    sk_csv_close(csv);
    sk_diag_clear(&diag_again);
    assert_int_equal(sk_csv_open_mem_sized((sk_str){input, input_len}, 1, record_bytes_max, &csv),
                     SK_OK);
    assert_int_equal(render(csv, again, &diag_again), rc);
    sk_csv_close(csv);
    assert_string_equal(again, out);
    assert_int_equal(diag_again.line, diag->line);
    assert_string_equal(diag_again.msg, diag->msg);
    return rc;
}

#define RENDER(lit, out, diag) render_mem((lit), sizeof(lit) - 1, 1024, (out), (diag))

static void test_simple_rows(void **state)
{
    char out[RENDER_MAX];
    sk_diag diag;
    (void)state;

    assert_int_equal(RENDER("case_id,family_name\nC1,Lopez\nC2,Perez\n", out, &diag),
                     SK_ERR_NOT_FOUND);
    assert_string_equal(out, "1:[case_id][family_name]\n2:[C1][Lopez]\n3:[C2][Perez]\nnot found");
}

static void test_bom_skipped_only_at_start(void **state)
{
    char out[RENDER_MAX];
    sk_diag diag;
    (void)state;

    RENDER("\xEF\xBB\xBF"
           "a,b\n\xEF\xBB\xBF"
           "c\n",
           out, &diag);
    assert_string_equal(out, "1:[a][b]\n2:[\xEF\xBB\xBF"
                             "c]\nnot found");
    RENDER("\xEF\xBB\xBF", out, &diag);
    assert_string_equal(out, "not found");
    /* A partial mark is text, and an invalid UTF-8 one at that. */
    assert_int_equal(RENDER("\xEF\xBB", out, &diag), SK_ERR_INVALID);
}

static void test_line_ends(void **state)
{
    char out[RENDER_MAX];
    sk_diag diag;
    (void)state;

    RENDER("a\r\nb\nc\rd\r\re", out, &diag);
    assert_string_equal(out, "1:[a]\n2:[b]\n3:[c]\n4:[d]\n6:[e]\nnot found");
    RENDER("x,y\r\r\n\n\r\nz", out, &diag);
    assert_string_equal(out, "1:[x][y]\n5:[z]\nnot found");
}

static void test_quoted_commas_and_doubled_quotes(void **state)
{
    char out[RENDER_MAX];
    sk_diag diag;
    (void)state;

    RENDER("\"Lopez, Maria\",\"12 Main St, Apt 4\"\n", out, &diag);
    assert_string_equal(out, "1:[Lopez, Maria][12 Main St, Apt 4]\nnot found");
    RENDER("\"said \"\"hola\"\" twice\",\"\"\"\"\"\",\"\",\"a\"\"\"\n", out, &diag);
    assert_string_equal(out, "1:[said \"hola\" twice][\"\"][][a\"]\nnot found");
}

static void test_embedded_newlines_keep_line_numbers(void **state)
{
    char out[RENDER_MAX];
    sk_diag diag;
    (void)state;

    RENDER("id,note\n1,\"one\r\ntwo\nthree\rfour\"\n2,after\n\n3,\"x\r\n\"\r\n4,end", out, &diag);
    assert_string_equal(out, "1:[id][note]\n"
                             "2:[1][one\r\ntwo\nthree\rfour]\n"
                             "6:[2][after]\n"
                             "8:[3][x\r\n]\n"
                             "10:[4][end]\n"
                             "not found");
}

static void test_last_record_without_line_end(void **state)
{
    char out[RENDER_MAX];
    sk_diag diag;
    (void)state;

    RENDER("a,b\nc,d", out, &diag);
    assert_string_equal(out, "1:[a][b]\n2:[c][d]\nnot found");
    RENDER("a,\"b\"", out, &diag);
    assert_string_equal(out, "1:[a][b]\nnot found");
    RENDER("a,", out, &diag);
    assert_string_equal(out, "1:[a][]\nnot found");
}

static void test_empty_lines_and_input(void **state)
{
    char out[RENDER_MAX];
    sk_diag diag;
    (void)state;

    RENDER("", out, &diag);
    assert_string_equal(out, "not found");
    RENDER("\n\r\n\r\n", out, &diag);
    assert_string_equal(out, "not found");
    RENDER("\n\na\n\n\nb\n\n", out, &diag);
    assert_string_equal(out, "3:[a]\n6:[b]\nnot found");
    /* Only zero-length lines are blank: blanks make one empty field. */
    RENDER("a\n  \t\n,\n", out, &diag);
    assert_string_equal(out, "1:[a]\n2:[]\n3:[][]\nnot found");
}

static void test_trimming(void **state)
{
    char out[RENDER_MAX];
    sk_diag diag;
    (void)state;

    RENDER("  a  ,\tb c\t, \" q \" ,\t\"r\"\t, ,x\n", out, &diag);
    assert_string_equal(out, "1:[a][b c][ q ][r][][x]\nnot found");
}

static void test_quote_inside_unquoted_is_literal(void **state)
{
    char out[RENDER_MAX];
    sk_diag diag;
    (void)state;

    RENDER("5' 3\",size 12\",a\"b\"c\n", out, &diag);
    assert_string_equal(out, "1:[5' 3\"][size 12\"][a\"b\"c]\nnot found");
}

static void test_utf8_accepted(void **state)
{
    char out[RENDER_MAX];
    sk_diag diag;
    (void)state;

    RENDER("Jos\xC3\xA9,\xE5\x8C\x97,\"\xF0\x9F\x98\x80\",\xEF\xBF\xBF,\xF4\x8F\xBF\xBF\n", out,
           &diag);
    assert_string_equal(out, "1:[Jos\xC3\xA9][\xE5\x8C\x97][\xF0\x9F\x98\x80][\xEF\xBF\xBF]"
                             "[\xF4\x8F\xBF\xBF]\nnot found");
}

/* Reads input that must fail and checks the code and where it points. */
static void expect_error(const char *input, size_t len, sk_err err, uint64_t line,
                         const char *field, const char *msg_start)
{
    char out[RENDER_MAX];
    sk_diag diag;

    assert_int_equal(render_mem(input, len, 1024, out, &diag), err);
    assert_int_equal(diag.line, line);
    assert_string_equal(diag.field, field);
    assert_memory_equal(diag.msg, msg_start, strlen(msg_start));
}

#define EXPECT_ERROR(lit, err, line, field, msg)                                                   \
    expect_error((lit), sizeof(lit) - 1, (err), (line), (field), (msg))

static void test_invalid_utf8(void **state)
{
    (void)state;
    EXPECT_ERROR("name\nJos\xE9\n", SK_ERR_INVALID, 2, "column 1", "invalid UTF-8");
    EXPECT_ERROR("a,b,c\nx,y,\xC3\n", SK_ERR_INVALID, 2, "column 3", "invalid UTF-8");
    EXPECT_ERROR("a,\"one\ntwo\n\xC0\xAF\"", SK_ERR_INVALID, 3, "column 2", "invalid UTF-8");
    EXPECT_ERROR("\xED\xA0\x80", SK_ERR_INVALID, 1, "column 1", "invalid UTF-8"); /* surrogate */
    EXPECT_ERROR("\xF4\x90\x80\x80", SK_ERR_INVALID, 1, "column 1", "invalid UTF-8"); /* > max */
    EXPECT_ERROR("\xE0\x80\xAF", SK_ERR_INVALID, 1, "column 1", "invalid UTF-8");     /* overlong */
    EXPECT_ERROR("\x80", SK_ERR_INVALID, 1, "column 1", "invalid UTF-8");
    EXPECT_ERROR("\xF8\x88\x80\x80\x80", SK_ERR_INVALID, 1, "column 1", "invalid UTF-8");
    EXPECT_ERROR("\xE5\x8C", SK_ERR_INVALID, 1, "column 1", "invalid UTF-8"); /* cut at end */
    EXPECT_ERROR("\xE5,\x8C", SK_ERR_INVALID, 1, "column 1", "invalid UTF-8");
}

static void test_nul_byte(void **state)
{
    (void)state;
    EXPECT_ERROR("a,b\nc,d\0e\n", SK_ERR_INVALID, 2, "column 2", "NUL byte");
    EXPECT_ERROR("\"x\n\0\"", SK_ERR_INVALID, 2, "column 1", "NUL byte");
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    EXPECT_ERROR("h\n1\n\n\n\n\n,\"open\nb,c\n", SK_ERR_INVALID, 7, "column 2",
                 "unterminated quoted field starting on line 7");
}

static void test_character_after_closing_quote(void **state)
{
    (void)state;
    EXPECT_ERROR("a\n\"b\"c\n", SK_ERR_INVALID, 2, "column 1", "character after closing quote");
    EXPECT_ERROR("x,\"b\" \"c\"\n", SK_ERR_INVALID, 1, "column 2", "character after closing quote");
}

static void test_errors_are_final(void **state)
{
    sk_csv *csv = NULL;
    const sk_str *fields = NULL;
    size_t count = 7;
    sk_diag diag;
    (void)state;

    sk_diag_clear(&diag);
    assert_int_equal(sk_csv_open_mem(SK_STR("ok\n\"bad\"x\nok\n"), 64, &csv), SK_OK);
    assert_int_equal(sk_csv_next(csv, &fields, &count, &diag), SK_OK);
    assert_int_equal(sk_csv_next(csv, &fields, &count, &diag), SK_ERR_INVALID);
    assert_null(fields);
    assert_int_equal(count, 0);
    assert_int_equal(sk_csv_next(csv, &fields, &count, NULL), SK_ERR_INVALID);
    sk_csv_close(csv);

    assert_int_equal(sk_csv_open_mem(SK_STR("x"), 64, &csv), SK_OK);
    assert_int_equal(sk_csv_next(csv, &fields, &count, NULL), SK_OK);
    assert_int_equal(sk_csv_next(csv, &fields, &count, NULL), SK_ERR_NOT_FOUND);
    assert_int_equal(sk_csv_next(csv, &fields, &count, NULL), SK_ERR_NOT_FOUND);
    sk_csv_close(csv);
}

static void test_record_too_large(void **state)
{
    char out[RENDER_MAX];
    sk_diag diag;
    (void)state;

    /* Exactly the limit passes; the line end does not count. */
    assert_int_equal(render_mem("abcdefgh\r\n\"abcdef\"\n", 19, 8, out, &diag), SK_ERR_NOT_FOUND);
    assert_string_equal(out, "1:[abcdefgh]\n2:[abcdef]\nnot found");
    /* One byte more does not, streamed or not, terminated or not. */
    assert_int_equal(render_mem("ok\nabcdefghi\nok\n", 16, 8, out, &diag), SK_ERR_TOO_LARGE);
    assert_string_equal(out, "1:[ok]\ntoo large");
    assert_int_equal(diag.line, 2);
    assert_string_equal(diag.field, "");
    assert_string_equal(diag.msg, "record too large (at most 8 bytes)");
    assert_int_equal(render_mem("ok\nabcdefghi", 12, 8, out, &diag), SK_ERR_TOO_LARGE);
    /* Doubled quotes count as written, not as unescaped. */
    assert_int_equal(render_mem("\"\"\"\"\"\"\"\"", 8, 7, out, &diag), SK_ERR_TOO_LARGE);
    assert_int_equal(render_mem("\"\"\"\"\"\"\"\"", 8, 8, out, &diag), SK_ERR_NOT_FOUND);
    assert_string_equal(out, "1:[\"\"\"]\nnot found");
}

static void test_fields_limit(void **state)
{
    char input[1024];
    char out[RENDER_MAX];
    sk_diag diag;
    size_t len = 0;
    sk_csv *csv = NULL;
    const sk_str *fields = NULL;
    size_t count = 0;
    (void)state;

    /* SK_CSV_FIELDS_MAX empty fields, then one more. */
    for (size_t i = 1; i < SK_CSV_FIELDS_MAX; i++)
        input[len++] = ',';
    input[len++] = '\n';
    assert_int_equal(sk_csv_open_mem((sk_str){input, len}, 1024, &csv), SK_OK);
    assert_int_equal(sk_csv_next(csv, &fields, &count, NULL), SK_OK);
    assert_int_equal(count, SK_CSV_FIELDS_MAX);
    sk_csv_close(csv);
    input[len - 1] = ',';
    input[len++] = '\n';
    assert_int_equal(render_mem(input, len, 1024, out, &diag), SK_ERR_TOO_LARGE);
    assert_int_equal(diag.line, 1);
    assert_string_equal(diag.field, "column 129");
    assert_string_equal(diag.msg, "too many columns (at most 128)");
}

static void test_bytes_read(void **state)
{
    sk_csv *csv = NULL;
    const sk_str *fields = NULL;
    size_t count = 0;
    (void)state;

    assert_int_equal(sk_csv_open_mem(SK_STR("\xEF\xBB\xBF"
                                            "ab\r\n\n\"c\nd\"\r\n\n"),
                                     64, &csv),
                     SK_OK);
    assert_int_equal(sk_csv_bytes_read(csv), 0);
    assert_int_equal(sk_csv_line(csv), 0);
    assert_int_equal(sk_csv_next(csv, &fields, &count, NULL), SK_OK);
    assert_int_equal(sk_csv_bytes_read(csv), 7);
    assert_int_equal(sk_csv_next(csv, &fields, &count, NULL), SK_OK);
    assert_int_equal(sk_csv_line(csv), 3);
    assert_int_equal(sk_csv_bytes_read(csv), 15);
    assert_int_equal(sk_csv_next(csv, &fields, &count, NULL), SK_ERR_NOT_FOUND);
    assert_int_equal(sk_csv_bytes_read(csv), 16);
    sk_csv_close(csv);
}

static void test_open_arguments(void **state)
{
    sk_csv *csv = (sk_csv *)&csv;
    (void)state;

    assert_int_equal(sk_csv_open_mem(SK_STR("a"), 0, &csv), SK_ERR_INVALID);
    assert_null(csv);
    assert_int_equal(sk_csv_open_mem(SK_STR("a"), SK_CSV_RECORD_BYTES_LIMIT + 1, &csv),
                     SK_ERR_INVALID);
    assert_int_equal(sk_csv_open_fd(-1, 64, &csv), SK_ERR_INVALID);
    assert_null(csv);
    assert_int_equal(sk_csv_open_mem(SK_STR_NULL, 64, &csv), SK_OK);
    sk_csv_close(csv);
    sk_csv_close(NULL);
}

/* Writes input to a temporary file and returns a descriptor at its start. */
static int temp_fd(const char *input, size_t len)
{
    char path[] = "/tmp/test_csv_XXXXXX";
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(unlink(path), 0);
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, input + done, len - done);
        assert_true(n > 0);
        done += (size_t)n;
    }
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* A quirky input read from a file with buffers from the smallest up, so every
 * construct (CRLF, "" pairs, UTF-8 sequences, the mark) meets a refill. */
static void test_records_across_refills(void **state)
{
    static const char input[] = "\xEF\xBB\xBF"
                                "ab\ncdefgh\r\nxy,\"q\"\"r\",\"s\r\nt\"\r\n\n"
                                " Jos\xC3\xA9 ,\xF0\x9F\x98\x80,\"\xE5\x8C\x97\"\r"
                                "\"\"\"\"\"\",last";
    static const char want[] = "1:[ab]\n2:[cdefgh]\n3:[xy][q\"r][s\r\nt]\n"
                               "6:[Jos\xC3\xA9][\xF0\x9F\x98\x80][\xE5\x8C\x97]\n"
                               "7:[\"\"][last]\nnot found";
    char out[RENDER_MAX];
    (void)state;

    for (size_t buf_bytes = 1; buf_bytes <= sizeof(input); buf_bytes++) {
        int fd = temp_fd(input, sizeof(input) - 1);
        sk_csv *csv = NULL;
        /* The buffer is at least record_bytes_max + 2: vary both. */
        assert_int_equal(sk_csv_open_fd_sized(fd, buf_bytes, 20 + buf_bytes % 8, &csv), SK_OK);
        assert_int_equal(render(csv, out, NULL), SK_ERR_NOT_FOUND);
        assert_string_equal(out, want);
        assert_int_equal(sk_csv_bytes_read(csv), sizeof(input) - 1);
        sk_csv_close(csv);
        close(fd);
    }
}

static void test_pipe_with_small_buffer(void **state)
{
    int p[2];
    sk_csv *csv = NULL;
    char out[RENDER_MAX];
    static const char input[] = "id,name\n1,\"Lopez, Maria\"\n2,\"line\nbreak\"\n3,x";
    (void)state;

    assert_int_equal(pipe(p), 0);
    /* Far below the pipe's capacity, so one write cannot block. */
    assert_int_equal(write(p[1], input, sizeof(input) - 1), (ssize_t)(sizeof(input) - 1));
    close(p[1]);
    assert_int_equal(sk_csv_open_fd_sized(p[0], 4, 20, &csv), SK_OK);
    assert_int_equal(render(csv, out, NULL), SK_ERR_NOT_FOUND);
    assert_string_equal(out, "1:[id][name]\n2:[1][Lopez, Maria]\n3:[2][line\nbreak]\n5:[3][x]\n"
                             "not found");
    sk_csv_close(csv);
    close(p[0]);
}

/* A file bigger than the default buffer, with a record across its end. */
static void test_default_buffer_boundary(void **state)
{
    size_t rows = SK_CSV_BUF_BYTES / 16 + 1000;
    size_t len = 0;
    char *input = malloc(rows * 32);
    sk_csv *csv = NULL;
    const sk_str *fields = NULL;
    size_t count = 0;
    size_t seen = 0;
    int fd;
    (void)state;

    assert_non_null(input);
    for (size_t i = 0; i < rows; i++) {
        int n = snprintf(input + len, 32, "%zu,\"v\"\"%zu\"\r\n", i, i % 97);
        len += (size_t)n;
    }
    fd = temp_fd(input, len);
    assert_int_equal(sk_csv_open_fd(fd, 256, &csv), SK_OK);
    while (sk_csv_next(csv, &fields, &count, NULL) == SK_OK) {
        char want[32];
        int n = snprintf(want, sizeof(want), "v\"%zu", seen % 97);
        assert_int_equal(count, 2);
        assert_int_equal(strtoull(fields[0].ptr, NULL, 10), seen);
        assert_int_equal(fields[1].len, (size_t)n);
        assert_memory_equal(fields[1].ptr, want, (size_t)n);
        assert_int_equal(sk_csv_line(csv), seen + 1);
        seen++;
    }
    assert_int_equal(seen, rows);
    assert_int_equal(sk_csv_bytes_read(csv), len);
    sk_csv_close(csv);
    close(fd);
    free(input);
}

static void test_read_error(void **state)
{
    int fd = open("/", O_RDONLY);
    sk_csv *csv = NULL;
    const sk_str *fields = NULL;
    size_t count = 0;
    sk_diag diag;
    (void)state;

    /* read(2) on a directory fails with EISDIR. */
    assert_true(fd >= 0);
    sk_diag_clear(&diag);
    assert_int_equal(sk_csv_open_fd(fd, 64, &csv), SK_OK);
    assert_int_equal(sk_csv_next(csv, &fields, &count, &diag), SK_ERR_IO);
    assert_memory_equal(diag.msg, "read failed", 11);
    assert_int_equal(sk_csv_next(csv, &fields, &count, &diag), SK_ERR_IO);
    sk_csv_close(csv);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_rows),
        cmocka_unit_test(test_bom_skipped_only_at_start),
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_quoted_commas_and_doubled_quotes),
        cmocka_unit_test(test_embedded_newlines_keep_line_numbers),
        cmocka_unit_test(test_last_record_without_line_end),
        cmocka_unit_test(test_empty_lines_and_input),
        cmocka_unit_test(test_trimming),
        cmocka_unit_test(test_quote_inside_unquoted_is_literal),
        cmocka_unit_test(test_utf8_accepted),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_character_after_closing_quote),
        cmocka_unit_test(test_errors_are_final),
        cmocka_unit_test(test_record_too_large),
        cmocka_unit_test(test_fields_limit),
        cmocka_unit_test(test_bytes_read),
        cmocka_unit_test(test_open_arguments),
        cmocka_unit_test(test_records_across_refills),
        cmocka_unit_test(test_pipe_with_small_buffer),
        cmocka_unit_test(test_default_buffer_boundary),
        cmocka_unit_test(test_read_error),
    };
    return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
