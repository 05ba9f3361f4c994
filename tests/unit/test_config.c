/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_config.c: unit tests for the daemon's configuration: defaults, the
 * file format (comments, blanks, CRLF, a byte order mark), every kind of
 * value and its range, the environment layer, derived defaults, and that
 * writing a configuration and reading it back gives the same struct.
 *
 * Error tests check the whole diagnostic (file, line, key, expectation) and
 * that a refused file or variable changed nothing, since all-or-nothing is
 * the promise that makes a half-edited file safe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safekeep/sk_config.h"
#include "safekeep/sk_core.h"

#include "test_util.h"

#define KIB ((size_t)1024)
#define MIB (KIB * 1024)

/* Every variable the configuration reads, cleared before each test so that
 * the caller's environment cannot leak in. */
static const char *const env_vars[] = {
    "SAFEKEEP_LISTEN",           "SAFEKEEP_LISTEN_HOST",
    "SAFEKEEP_LISTEN_PORT",      "SAFEKEEP_DB",
    "SAFEKEEP_KEY_FILE",         "SAFEKEEP_AUDIT_LOG",
    "SAFEKEEP_PORT_FILE",        "SAFEKEEP_THREADS",
    "SAFEKEEP_BODY_BYTES_MAX",   "SAFEKEEP_HEADER_BYTES_MAX",
    "SAFEKEEP_TIMEOUT_S",        "SAFEKEEP_CONNECTIONS_MAX",
    "SAFEKEEP_RATE_PER_S",       "SAFEKEEP_RATE_BURST",
    "SAFEKEEP_BATCH_EVENTS_MAX", "SAFEKEEP_PAGE_LIMIT_MAX",
    "SAFEKEEP_ARENA_BYTES_MAX",
};

static char tmp_dir[256];

static int setup(void **state)
{
    size_t i;
    (void)state;

    for (i = 0; i < SK_ARRAY_LEN(env_vars); i++)
        unsetenv(env_vars[i]);
    snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/sk_test_config.XXXXXX");
    return mkdtemp(tmp_dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[512];
    (void)state;

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to a fresh file in the scratch directory; returns its path. */
static const char *write_file(const char *name, const char *text, size_t len)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

#define WRITE(name, lit) write_file((name), (lit), sizeof(lit) - 1)

static void assert_config_equal(const sk_config *a, const sk_config *b)
{
    assert_string_equal(a->listen_host, b->listen_host);
    assert_int_equal(a->listen_port, b->listen_port);
    assert_string_equal(a->db, b->db);
    assert_string_equal(a->key_file, b->key_file);
    assert_string_equal(a->audit_log, b->audit_log);
    assert_string_equal(a->port_file, b->port_file);
    assert_int_equal(a->threads, b->threads);
    assert_int_equal(a->body_bytes_max, b->body_bytes_max);
    assert_int_equal(a->header_bytes_max, b->header_bytes_max);
    assert_int_equal(a->timeout_s, b->timeout_s);
    assert_int_equal(a->connections_max, b->connections_max);
    assert_int_equal(a->rate_per_s, b->rate_per_s);
    assert_int_equal(a->rate_burst, b->rate_burst);
    assert_int_equal(a->batch_events_max, b->batch_events_max);
    assert_int_equal(a->page_limit_max, b->page_limit_max);
    assert_int_equal(a->audit_gather_us, b->audit_gather_us);
    assert_int_equal(a->webhook_timeout_ms, b->webhook_timeout_ms);
    assert_int_equal(a->webhook_base_s, b->webhook_base_s);
    assert_int_equal(a->webhook_cap_s, b->webhook_cap_s);
    assert_int_equal(a->webhook_horizon_s, b->webhook_horizon_s);
    assert_int_equal(a->arena_bytes_max, b->arena_bytes_max);
    /* Setters clear whole buffers, so equal settings are equal bytes. */
    assert_memory_equal(a, b, sizeof(*a));
}

static sk_err set(sk_config *cfg, const char *key, const char *value, sk_diag *diag)
{
    return sk_config_set(cfg, sk_str_c(key), sk_str_c(value), diag);
}

/* The formatted diagnostic, "where:line: field: msg". */
static const char *diag_text(const sk_diag *diag)
{
    static char buf[SK_DIAG_MSG_MAX + SK_DIAG_WHERE_MAX + 128];
    sk_diag_format(diag, buf, sizeof(buf));
    return buf;
}

/* ---------------------------------------------------------------- defaults */

static void test_defaults(void **state)
{
    sk_config cfg;
    sk_diag diag;
    (void)state;

    memset(&cfg, 0x5a, sizeof(cfg));
    sk_config_defaults(&cfg);
    assert_string_equal(cfg.listen_host, "127.0.0.1");
    assert_int_equal(cfg.listen_port, 8420);
    assert_string_equal(cfg.db, "safekeep.db");
    assert_string_equal(cfg.key_file, "");
    assert_string_equal(cfg.audit_log, "");
    assert_string_equal(cfg.port_file, "");
    assert_int_equal(cfg.threads, 2);
    assert_int_equal(cfg.body_bytes_max, MIB);
    assert_int_equal(cfg.header_bytes_max, 16 * KIB);
    assert_int_equal(cfg.timeout_s, 30);
    assert_int_equal(cfg.connections_max, 1024);
    assert_int_equal(cfg.rate_per_s, 1000);
    assert_int_equal(cfg.rate_burst, 2000);
    assert_int_equal(cfg.batch_events_max, 1000);
    assert_int_equal(cfg.page_limit_max, 500);
    assert_int_equal(cfg.audit_gather_us, 0);
    assert_int_equal(cfg.webhook_timeout_ms, 5000);
    assert_int_equal(cfg.webhook_base_s, 2);
    assert_int_equal(cfg.webhook_cap_s, 3600);
    assert_int_equal(cfg.webhook_horizon_s, 259200);
    assert_int_equal(cfg.arena_bytes_max, 8 * MIB);

    sk_diag_clear(&diag);
    assert_int_equal(sk_config_finish(&cfg, &diag), SK_OK);
    assert_string_equal(cfg.key_file, "safekeep.db.key");
    assert_string_equal(cfg.audit_log, "safekeep.db.audit");
}

/* ------------------------------------------------------------------- files */

static void test_file_parsing(void **state)
{
    static const char text[] = "\xEF\xBB\xBF# safekeep test configuration\r\n"
                               "\r\n"
                               "   # an indented comment\n"
                               "listen=10.0.0.5:9000\r\n"
                               "\tdb   =   /var/lib/safekeep/cases.db   \n"
                               "key_file = /etc/safekeep/key # not a comment\n"
                               "audit_log=\n"
                               "port_file = /run/safekeep.port\n"
                               "threads = 8\n"
                               "body_bytes_max = 2 MiB\n"
                               "header_bytes_max = 32K\n"
                               "timeout_s = 5\n"
                               "connections_max = 64\n"
                               "rate_per_s = 0\n"
                               "rate_burst = 1\n"
                               "batch_events_max = 100000\n"
                               "page_limit_max = 10000\n"
                               "arena_bytes_max = 65536\n"
                               "\n"
                               "# the last line has no newline\n"
                               "listen_port = 9001";
    sk_config cfg;
    sk_diag diag;
    (void)state;

    sk_config_defaults(&cfg);
    sk_diag_clear(&diag);
    assert_int_equal(sk_config_load_file(&cfg, write_file("a.conf", text, sizeof(text) - 1), &diag),
                     SK_OK);
    assert_string_equal(diag.msg, "");
    assert_string_equal(cfg.listen_host, "10.0.0.5");
    assert_int_equal(cfg.listen_port, 9001);
    assert_string_equal(cfg.db, "/var/lib/safekeep/cases.db");
    assert_string_equal(cfg.key_file, "/etc/safekeep/key # not a comment");
    assert_string_equal(cfg.audit_log, "");
    assert_string_equal(cfg.port_file, "/run/safekeep.port");
    assert_int_equal(cfg.threads, 8);
    assert_int_equal(cfg.body_bytes_max, 2 * MIB);
    assert_int_equal(cfg.header_bytes_max, 32 * KIB);
    assert_int_equal(cfg.timeout_s, 5);
    assert_int_equal(cfg.connections_max, 64);
    assert_int_equal(cfg.rate_per_s, 0);
    assert_int_equal(cfg.rate_burst, 1);
    assert_int_equal(cfg.batch_events_max, 100000);
    assert_int_equal(cfg.page_limit_max, 10000);
    assert_int_equal(cfg.arena_bytes_max, 64 * KIB);

    assert_int_equal(sk_config_finish(&cfg, &diag), SK_OK);
    assert_string_equal(cfg.key_file, "/etc/safekeep/key # not a comment");
    assert_string_equal(cfg.audit_log, "/var/lib/safekeep/cases.db.audit");
}

static void test_empty_file_changes_nothing(void **state)
{
    sk_config cfg, want;
    sk_diag diag;
    (void)state;

    sk_config_defaults(&cfg);
    sk_config_defaults(&want);
    sk_diag_clear(&diag);
    assert_int_equal(sk_config_load_file(&cfg, WRITE("empty.conf", ""), &diag), SK_OK);
    assert_int_equal(sk_config_load_file(&cfg, WRITE("c.conf", "# only\n\n  \r\n"), &diag), SK_OK);
    assert_config_equal(&cfg, &want);
}

struct bad_file {
    const char *text;
    uint64_t line;
    const char *field;
    const char *msg;
};

static void test_file_errors_name_file_line_and_key(void **state)
{
    static const struct bad_file cases[] = {
        {"db = x\nthreads = abc\n", 2, "threads", "expected a whole number from 1 to 64"},
        {"# x\n\nbogus_key = 1\n", 3, "bogus_key", "unknown key"},
        {"db = a\r\nthreads = 65\r\n", 2, "threads", "expected a whole number from 1 to 64"},
        {"timeout_s = 0\n", 1, "timeout_s", "expected a whole number from 1 to 3600"},
        {"\n\n\nbody_bytes_max = 1023\n", 4, "body_bytes_max",
         "expected a size from 1 KiB to 64 MiB (bytes, or a number with K, KiB, M or MiB)"},
        {"listen = localhost:80\n", 1, "listen",
         "expected HOST:PORT, [IPV6]:PORT or :PORT, with an IP address and a port from 0 to "
         "65535"},
        {"listen_host = example.org\n", 1, "listen_host",
         "expected an IPv4 or IPv6 address such as 127.0.0.1 or ::1"},
        {"db =\n", 1, "db", "expected a path"},
        {"threads 4\n", 1, "", "expected key = value"},
        {" = 4\n", 1, "", "expected a key before '='"},
        {"threads = 4\nlisten = :1\nthreads = 5\n", 3, "threads", "set twice (first on line 1)"},
        {"THREADS = 4\n", 1, "THREADS", "unknown key"},
        {"threads = 4 # four\n", 1, "threads", "expected a whole number from 1 to 64"},
    };
    sk_config cfg, before;
    sk_diag diag;
    char want[512];
    const char *path;
    size_t i;
    (void)state;

    for (i = 0; i < SK_ARRAY_LEN(cases); i++) {
        sk_config_defaults(&cfg);
        cfg.port_file[0] = 'p'; /* something a default would not hold */
        before = cfg;
        sk_diag_clear(&diag);
        path = write_file("bad.conf", cases[i].text, strlen(cases[i].text));
        assert_int_equal(sk_config_load_file(&cfg, path, &diag), SK_ERR_INVALID);
        assert_string_equal(diag.where, path);
        assert_int_equal(diag.line, cases[i].line);
        assert_string_equal(diag.field, cases[i].field);
        assert_string_equal(diag.msg, cases[i].msg);
        if (cases[i].field[0] != '\0')
            snprintf(want, sizeof(want), "%s:%llu: %s: %s", path, (unsigned long long)cases[i].line,
                     cases[i].field, cases[i].msg);
        else
            snprintf(want, sizeof(want), "%s:%llu: %s", path, (unsigned long long)cases[i].line,
                     cases[i].msg);
        assert_string_equal(diag_text(&diag), want);
        assert_memory_equal(&cfg, &before, sizeof(cfg)); /* all-or-nothing */
    }
}

static void test_file_damage(void **state)
{
    static const char nul_text[] = "threads = 4\nthr\0eads = 5\n";
    char long_line[SK_CONFIG_LINE_MAX + 16];
    sk_config cfg, before;
    sk_diag diag;
    const char *path;
    (void)state;

    sk_config_defaults(&cfg);
    before = cfg;

    sk_diag_clear(&diag);
    path = write_file("nul.conf", nul_text, sizeof(nul_text) - 1);
    assert_int_equal(sk_config_load_file(&cfg, path, &diag), SK_ERR_INVALID);
    assert_int_equal(diag.line, 2);
    assert_string_equal(diag.msg, "expected text, found a NUL byte");

    memset(long_line, 'x', sizeof(long_line));
    memcpy(long_line, "db = ", 5);
    sk_diag_clear(&diag);
    path = write_file("long.conf", long_line, sizeof(long_line));
    assert_int_equal(sk_config_load_file(&cfg, path, &diag), SK_ERR_INVALID);
    assert_int_equal(diag.line, 1);
    assert_non_null(strstr(diag.msg, "expected a line shorter than"));

    sk_diag_clear(&diag);
    snprintf(long_line, sizeof(long_line), "%s/does-not-exist.conf", tmp_dir);
    assert_int_equal(sk_config_load_file(&cfg, long_line, &diag), SK_ERR_IO);
    assert_string_equal(diag.where, long_line);
    assert_int_equal(diag.line, 0);
    assert_non_null(strstr(diag.msg, "cannot open"));

    sk_diag_clear(&diag);
    assert_int_equal(sk_config_load_file(&cfg, tmp_dir, &diag), SK_ERR_IO); /* a directory */
    assert_memory_equal(&cfg, &before, sizeof(cfg));
}

/* ------------------------------------------------------------------ values */

static void test_numbers_reject_junk(void **state)
{
    static const char *const junk[] = {"abc", "12x",  "-1",  "+1",  "99999999999999999999",
                                       "",    "0x10", "1.5", "1 2", "18446744073709551616"};
    sk_config cfg, before;
    sk_diag diag;
    size_t i;
    (void)state;

    sk_config_defaults(&cfg);
    before = cfg;
    for (i = 0; i < SK_ARRAY_LEN(junk); i++) {
        sk_diag_clear(&diag);
        assert_int_equal(set(&cfg, "threads", junk[i], &diag), SK_ERR_INVALID);
        assert_string_equal(diag.field, "threads");
        assert_int_equal(set(&cfg, "body_bytes_max", junk[i], &diag), SK_ERR_INVALID);
        assert_string_equal(diag.field, "body_bytes_max");
        assert_int_equal(set(&cfg, "listen_port", junk[i], &diag), SK_ERR_INVALID);
        /* The rejected value is never quoted back. */
        if (junk[i][0] != '\0')
            assert_null(strstr(diag.msg, junk[i]));
    }
    assert_memory_equal(&cfg, &before, sizeof(cfg));
    assert_int_equal(set(&cfg, "threads", " 007\t", &diag), SK_OK); /* blanks around are fine */
    assert_int_equal(cfg.threads, 7);
}

struct range {
    const char *key;
    const char *low_bad, *low_ok, *high_ok, *high_bad;
};

static void test_ranges(void **state)
{
    static const struct range ranges[] = {
        {"threads", "0", "1", "64", "65"},
        {"body_bytes_max", "1023", "1K", "64MiB", "67108865"},
        {"header_bytes_max", "1023", "1024", "1M", "1025KiB"},
        {"timeout_s", "0", "1", "3600", "3601"},
        {"connections_max", "0", "1", "65536", "65537"},
        {"page_limit_max", "0", "1", "10000", "10001"},
        {"audit_gather_us", NULL, "0", "100000", "100001"},
        {"batch_events_max", "0", "1", "100000", "100001"},
        {"arena_bytes_max", "65535", "64 KiB", "256M", "257M"},
        {"rate_burst", "0", "1", "1000000", "1000001"},
        {"listen_port", NULL, "0", "65535", "65536"},
        {"rate_per_s", NULL, "0", "1000000", "1000001"},
        {"webhook_timeout_ms", "99", "100", "60000", "60001"},
        {"webhook_base_s", "0", "1", "86400", "86401"},
        {"webhook_cap_s", "0", "1", "604800", "604801"},
        {"webhook_horizon_s", NULL, "0", "2592000", "2592001"},
    };
    sk_config cfg;
    sk_diag diag;
    size_t i;
    (void)state;

    sk_config_defaults(&cfg);
    for (i = 0; i < SK_ARRAY_LEN(ranges); i++) {
        const struct range *r = &ranges[i];
        sk_diag_clear(&diag);
        if (r->low_bad != NULL) {
            assert_int_equal(set(&cfg, r->key, r->low_bad, &diag), SK_ERR_INVALID);
            assert_string_equal(diag.field, r->key);
            assert_non_null(strstr(diag.msg, "expected a"));
        }
        assert_int_equal(set(&cfg, r->key, r->low_ok, &diag), SK_OK);
        assert_int_equal(set(&cfg, r->key, r->high_ok, &diag), SK_OK);
        assert_int_equal(set(&cfg, r->key, r->high_bad, &diag), SK_ERR_INVALID);
        assert_string_equal(diag.field, r->key);
    }
    assert_int_equal(cfg.body_bytes_max, 64 * MIB);
    assert_int_equal(cfg.header_bytes_max, MIB);
    assert_int_equal(cfg.arena_bytes_max, 256 * MIB);
}

static void test_sizes(void **state)
{
    static const struct {
        const char *text;
        size_t bytes;
    } sizes[] = {
        {"1024", 1024},        {"1K", KIB},       {"1KiB", KIB},        {"3 KiB", 3 * KIB},
        {"2M", 2 * MIB},       {"2MiB", 2 * MIB}, {"5 M", 5 * MIB},     {"1048576", MIB},
        {"0064MiB", 64 * MIB}, {"1536", 1536},    {" 10 K ", 10 * KIB},
    };
    static const char *const bad[] = {"1k", "1m", "1 KB", "1G", "1Ki", "MiB", "1MiBx", "1 K iB"};
    sk_config cfg;
    sk_diag diag;
    size_t i;
    (void)state;

    sk_config_defaults(&cfg);
    for (i = 0; i < SK_ARRAY_LEN(sizes); i++) {
        assert_int_equal(set(&cfg, "body_bytes_max", sizes[i].text, &diag), SK_OK);
        assert_int_equal(cfg.body_bytes_max, sizes[i].bytes);
    }
    for (i = 0; i < SK_ARRAY_LEN(bad); i++)
        assert_int_equal(set(&cfg, "body_bytes_max", bad[i], &diag), SK_ERR_INVALID);
    /* Overflow in the multiplication is junk, not a wrapped small number. */
    assert_int_equal(set(&cfg, "arena_bytes_max", "17592186044416M", &diag), SK_ERR_INVALID);
    assert_int_equal(set(&cfg, "arena_bytes_max", "18014398509481984K", &diag), SK_ERR_INVALID);
}

static void test_listen(void **state)
{
    sk_config cfg, before;
    sk_diag diag;
    static const char *const bad[] = {
        "8420",      "127.0.0.1",    "127.0.0.1:",    "127.0.0.1:65536", "::1:8420",
        "[::1]8420", "[::1]",        "[127.0.0.1]:1", "localhost:80",    "1.2.3:80",
        ":",         "[::1]:-1",     "[::1:80",       "10.0.0.1:80x",    "",
        "[]:80",     "256.0.0.1:80", " :80 x",
    };
    size_t i;
    (void)state;

    sk_config_defaults(&cfg);
    assert_int_equal(set(&cfg, "listen", "0.0.0.0:80", &diag), SK_OK);
    assert_string_equal(cfg.listen_host, "0.0.0.0");
    assert_int_equal(cfg.listen_port, 80);
    assert_int_equal(set(&cfg, "listen", "[::1]:8421", &diag), SK_OK);
    assert_string_equal(cfg.listen_host, "::1");
    assert_int_equal(cfg.listen_port, 8421);
    /* ":PORT" changes the port only; the host stays. */
    assert_int_equal(set(&cfg, "listen", ":0", &diag), SK_OK);
    assert_string_equal(cfg.listen_host, "::1");
    assert_int_equal(cfg.listen_port, 0);
    assert_int_equal(set(&cfg, "listen", "[::]:65535", &diag), SK_OK);
    assert_string_equal(cfg.listen_host, "::");
    assert_int_equal(cfg.listen_port, 65535);
    assert_int_equal(set(&cfg, "listen_host", "[fe80::1]", &diag), SK_OK);
    assert_string_equal(cfg.listen_host, "fe80::1");
    assert_int_equal(set(&cfg, "listen_host", "192.168.1.10", &diag), SK_OK);
    assert_string_equal(cfg.listen_host, "192.168.1.10");

    before = cfg;
    for (i = 0; i < SK_ARRAY_LEN(bad); i++) {
        sk_diag_clear(&diag);
        assert_int_equal(set(&cfg, "listen", bad[i], &diag), SK_ERR_INVALID);
        assert_string_equal(diag.field, "listen");
    }
    assert_int_equal(set(&cfg, "listen_host", "", &diag), SK_ERR_INVALID);
    assert_int_equal(set(&cfg, "listen_host", "example.org", &diag), SK_ERR_INVALID);
    assert_memory_equal(&cfg, &before, sizeof(cfg));
}

static void test_paths(void **state)
{
    char long_path[SK_CONFIG_PATH_MAX + 1];
    sk_config cfg;
    sk_diag diag;
    (void)state;

    sk_config_defaults(&cfg);
    assert_int_equal(set(&cfg, "db", "a longer name.db", &diag), SK_OK);
    assert_int_equal(set(&cfg, "db", "x.db", &diag), SK_OK);
    assert_string_equal(cfg.db, "x.db");
    /* The rest of the buffer is cleared, not left from the longer name. */
    assert_int_equal(cfg.db[5], '\0');
    assert_int_equal(set(&cfg, "db", "bad\nname", &diag), SK_ERR_INVALID);
    assert_string_equal(diag.msg, "expected a path without control characters");
    assert_int_equal(sk_config_set(&cfg, SK_STR("db"), (sk_str){"a\0b", 3}, &diag), SK_ERR_INVALID);
    memset(long_path, 'p', sizeof(long_path));
    assert_int_equal(
        sk_config_set(&cfg, SK_STR("port_file"), (sk_str){long_path, SK_CONFIG_PATH_MAX}, &diag),
        SK_ERR_INVALID);
    assert_string_equal(diag.field, "port_file");
    assert_int_equal(sk_config_set(&cfg, SK_STR("port_file"),
                                   (sk_str){long_path, SK_CONFIG_PATH_MAX - 1}, &diag),
                     SK_OK);
    assert_int_equal(strlen(cfg.port_file), SK_CONFIG_PATH_MAX - 1);
    assert_int_equal(set(&cfg, "port_file", "", &diag), SK_OK);
    assert_string_equal(cfg.port_file, "");
    assert_int_equal(set(&cfg, "nope", "1", &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "nope");
    assert_string_equal(diag.msg, "unknown key");
}

/* ------------------------------------------------------------- environment */

static void test_env_overrides_file(void **state)
{
    sk_config cfg, before;
    sk_diag diag;
    (void)state;

    sk_config_defaults(&cfg);
    sk_diag_clear(&diag);
    assert_int_equal(
        sk_config_load_file(&cfg, WRITE("e.conf", "threads = 4\ndb = file.db\ntimeout_s = 9\n"),
                            &diag),
        SK_OK);
    setenv("SAFEKEEP_THREADS", "8", 1);
    setenv("SAFEKEEP_DB", "env.db", 1);
    setenv("SAFEKEEP_TIMEOUT_S", "", 1); /* empty: ignored, as in the CLI */
    setenv("SAFEKEEP_LISTEN", "10.1.2.3:1000", 1);
    setenv("SAFEKEEP_LISTEN_PORT", "2000", 1); /* the specific key wins */
    setenv("SAFEKEEP_HEADER_BYTES_MAX", "64KiB", 1);
    assert_int_equal(sk_config_apply_env(&cfg, &diag), SK_OK);
    assert_int_equal(cfg.threads, 8);
    assert_string_equal(cfg.db, "env.db");
    assert_int_equal(cfg.timeout_s, 9);
    assert_string_equal(cfg.listen_host, "10.1.2.3");
    assert_int_equal(cfg.listen_port, 2000);
    assert_int_equal(cfg.header_bytes_max, 64 * KIB);

    /* Flags come after the environment and win over it. */
    assert_int_equal(set(&cfg, "db", "flag.db", &diag), SK_OK);
    setenv("SAFEKEEP_KEY_FILE", "/keys/k", 1);
    assert_int_equal(sk_config_apply_env(&cfg, &diag), SK_OK);
    assert_int_equal(set(&cfg, "db", "flag.db", &diag), SK_OK);
    assert_int_equal(sk_config_finish(&cfg, &diag), SK_OK);
    assert_string_equal(cfg.db, "flag.db");
    assert_string_equal(cfg.key_file, "/keys/k");
    assert_string_equal(cfg.audit_log, "flag.db.audit");

    /* A bad variable names itself and changes nothing, not even the good
     * variables before it. */
    before = cfg;
    setenv("SAFEKEEP_DB", "other.db", 1);
    setenv("SAFEKEEP_THREADS", "12x", 1);
    sk_diag_clear(&diag);
    assert_int_equal(sk_config_apply_env(&cfg, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "SAFEKEEP_THREADS");
    assert_string_equal(diag_text(&diag), "SAFEKEEP_THREADS: expected a whole number from 1 to 64");
    assert_memory_equal(&cfg, &before, sizeof(cfg));
}

/* ------------------------------------------------------------------ finish */

static void test_finish(void **state)
{
    sk_config cfg, before;
    sk_diag diag;
    (void)state;

    sk_config_defaults(&cfg);
    assert_int_equal(set(&cfg, "db", "/srv/cases.db", &diag), SK_OK);
    assert_int_equal(set(&cfg, "audit_log", "/log/audit", &diag), SK_OK);
    assert_int_equal(sk_config_finish(&cfg, &diag), SK_OK);
    assert_string_equal(cfg.key_file, "/srv/cases.db.key");
    assert_string_equal(cfg.audit_log, "/log/audit");

    /* Fields written directly are checked again. */
    sk_config_defaults(&cfg);
    cfg.threads = 65;
    before = cfg;
    sk_diag_clear(&diag);
    assert_int_equal(sk_config_finish(&cfg, &diag), SK_ERR_INVALID);
    assert_string_equal(diag_text(&diag), "threads: expected a whole number from 1 to 64");
    assert_memory_equal(&cfg, &before, sizeof(cfg));

    sk_config_defaults(&cfg);
    cfg.arena_bytes_max = 1;
    assert_int_equal(sk_config_finish(&cfg, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "arena_bytes_max");

    sk_config_defaults(&cfg);
    cfg.db[0] = '\0';
    assert_int_equal(sk_config_finish(&cfg, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "db");

    sk_config_defaults(&cfg);
    snprintf(cfg.listen_host, sizeof(cfg.listen_host), "%s", "not-an-address");
    assert_int_equal(sk_config_finish(&cfg, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "listen_host");

    /* A database path with no room for ".key" after it. */
    sk_config_defaults(&cfg);
    memset(cfg.db, 'd', SK_CONFIG_PATH_MAX - 2);
    cfg.db[SK_CONFIG_PATH_MAX - 2] = '\0';
    before = cfg;
    assert_int_equal(sk_config_finish(&cfg, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "key_file");
    assert_memory_equal(&cfg, &before, sizeof(cfg));
}

/* ------------------------------------------------------------ round trip */

static void round_trip(const sk_config *cfg)
{
    char path[512];
    sk_config back;
    sk_diag diag;
    FILE *f;

    snprintf(path, sizeof(path), "%s/written.conf", tmp_dir);
    f = fopen(path, "w");
    assert_non_null(f);
    sk_config_write(cfg, f);
    assert_int_equal(ferror(f), 0);
    assert_int_equal(fclose(f), 0);
    /* Start from values unlike either, so that every key must be read. */
    sk_config_defaults(&back);
    sk_diag_clear(&diag);
    assert_int_equal(sk_config_load_file(&back, path, &diag), SK_OK);
    assert_config_equal(&back, cfg);
}

static void test_write_load_round_trip(void **state)
{
    sk_config cfg;
    sk_diag diag;
    (void)state;

    sk_config_defaults(&cfg);
    round_trip(&cfg); /* before finish: key_file and audit_log empty */
    assert_int_equal(sk_config_finish(&cfg, &diag), SK_OK);
    round_trip(&cfg);

    assert_int_equal(set(&cfg, "listen", "[2001:db8::7]:0", &diag), SK_OK);
    assert_int_equal(set(&cfg, "db", "/var/lib/safe keep/c.db", &diag), SK_OK);
    assert_int_equal(set(&cfg, "key_file", "/etc/k#ey", &diag), SK_OK);
    assert_int_equal(set(&cfg, "audit_log", "rel/audit.log", &diag), SK_OK);
    assert_int_equal(set(&cfg, "port_file", "/run/p", &diag), SK_OK);
    assert_int_equal(set(&cfg, "threads", "64", &diag), SK_OK);
    assert_int_equal(set(&cfg, "body_bytes_max", "1025", &diag), SK_OK);
    assert_int_equal(set(&cfg, "header_bytes_max", "1023K", &diag), SK_OK);
    assert_int_equal(set(&cfg, "timeout_s", "3600", &diag), SK_OK);
    assert_int_equal(set(&cfg, "connections_max", "1", &diag), SK_OK);
    assert_int_equal(set(&cfg, "rate_per_s", "0", &diag), SK_OK);
    assert_int_equal(set(&cfg, "rate_burst", "7", &diag), SK_OK);
    assert_int_equal(set(&cfg, "batch_events_max", "3", &diag), SK_OK);
    assert_int_equal(set(&cfg, "page_limit_max", "9999", &diag), SK_OK);
    assert_int_equal(set(&cfg, "arena_bytes_max", "100000", &diag), SK_OK);
    round_trip(&cfg);

    assert_int_equal(set(&cfg, "listen", "192.0.2.1:65535", &diag), SK_OK);
    round_trip(&cfg);
}

static void test_write_output(void **state)
{
    char path[512], text[8192];
    sk_config cfg;
    size_t n;
    FILE *f;
    (void)state;

    sk_config_defaults(&cfg);
    snprintf(path, sizeof(path), "%s/defaults.conf", tmp_dir);
    f = fopen(path, "w+");
    assert_non_null(f);
    sk_config_write(&cfg, f);
    rewind(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "\nlisten = 127.0.0.1:8420\n"));
    assert_non_null(strstr(text, "\ndb = safekeep.db\n"));
    assert_non_null(strstr(text, "\nkey_file =\n"));
    assert_non_null(strstr(text, "\nbody_bytes_max = 1 MiB\n"));
    assert_non_null(strstr(text, "\nheader_bytes_max = 16 KiB\n"));
    assert_non_null(strstr(text, "\narena_bytes_max = 8 MiB\n"));
    assert_non_null(strstr(text, "\nrate_per_s = 1000\n"));
    assert_null(strstr(text, "listen_host"));
    assert_null(strstr(text, "listen_port ="));
}

/* The shipped example must say what the code does. */
static void test_example_file_holds_the_defaults(void **state)
{
    char root[PATH_MAX], path[PATH_MAX + 64];
    sk_config cfg, want;
    sk_diag diag;
    (void)state;

    sk_test_source_root(root, sizeof(root));
    snprintf(path, sizeof(path), "%s/examples/safekeep.conf", root);
    sk_config_defaults(&cfg);
    assert_int_equal(set(&cfg, "threads", "33", &diag), SK_OK);
    sk_diag_clear(&diag);
    if (sk_config_load_file(&cfg, path, &diag) != SK_OK)
        fail_msg("%s", diag_text(&diag));
    sk_config_defaults(&want);
    assert_config_equal(&cfg, &want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_parsing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_file_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_errors_name_file_line_and_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers_reject_junk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_overrides_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_load_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_example_file_holds_the_defaults, setup, teardown),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
