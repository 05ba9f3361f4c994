/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_token.c: unit tests for bearer tokens (sk_token.h) on a SQLite
 * database in a temporary directory that each test creates and removes.
 *
 * The verifier must answer SK_ERR_DENIED, and nothing else, to every token
 * that should not work: a wrong secret, each single changed character,
 * every truncation, garbage, an unknown id, a revoked or expired token, a
 * token checked under another key. The database file itself is read back
 * byte by byte to show that neither the token nor its unkeyed hash is
 * stored. Databases made before tokens existed are imitated by dropping the
 * table through a plain sqlite3 connection and reopening.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safekeep/sk_crypto.h"
#include "safekeep/sk_store.h"
#include "safekeep/sk_token.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff"
#define NOW   1700000000LL

typedef struct fixture {
    char dir[64];
    char path[128];
    sk_store *store;
    sk_keyring *keyring;
} fixture;

/* ----------------------------------------------------------------- fixture */

static void remove_db_files(const char *path)
{
    char name[160];

    (void)unlink(path);
    snprintf(name, sizeof(name), "%s-wal", path);
    (void)unlink(name);
    snprintf(name, sizeof(name), "%s-shm", path);
    (void)unlink(name);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sk_diag diag;

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/sk_test_token_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/safekeep.db", f->dir);
    sk_diag_clear(&diag);
    if (sk_store_open(f->path, 1, &f->store, &diag) != SK_OK)
        return -1;
    if (setenv(SK_ENV_KEY, KEY_A, 1) != 0)
        return -1;
    if (sk_keyring_open("/nonexistent/key", &f->keyring, &diag) != SK_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    sk_store_close(f->store);
    sk_keyring_free(f->keyring);
    remove_db_files(f->path);
    if (rmdir(f->dir) != 0)
        return -1;
    free(f);
    return unsetenv(SK_ENV_KEY);
}

/* ----------------------------------------------------------------- helpers */

/* Creates a token that expires at expires_at (0: never), asserting success. */
static void make(fixture *f, const char *agency, const char *user, const char *role,
                 int64_t expires_at, int64_t now, char token[SK_TOKEN_LEN + 1], sk_token_info *info)
{
    sk_diag diag;

    sk_diag_clear(&diag);
    assert_int_equal(sk_token_create(f->store, f->keyring, sk_str_c(agency), sk_str_c(user),
                                     sk_str_c(role), expires_at, now, token, info, &diag),
                     SK_OK);
}

static sk_err verify(fixture *f, const char *text, size_t len, int64_t now)
{
    sk_token_info info;
    sk_err rc = sk_token_verify(f->store, f->keyring, (sk_str){text, len}, now, &info);

    if (rc != SK_OK) {
        /* Nothing leaks out of a refusal. */
        assert_string_equal(info.id, "");
        assert_string_equal(info.agency, "");
    }
    return rc;
}

static sk_err verify_c(fixture *f, const char *text, int64_t now)
{
    return verify(f, text, strlen(text), now);
}

static int is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Another character of the same alphabet as c, so the token keeps its shape. */
static char other_char(char c)
{
    if (c >= '0' && c <= '8')
        return (char)(c + 1);
    if (c == '9')
        return 'a';
    if (c >= 'a' && c <= 'e')
        return (char)(c + 1);
    if (c == 'f')
        return '0';
    return c == 'A' ? 'B' : 'A';
}

typedef struct collect {
    char ids[16][SK_TOKEN_ID_LEN + 1];
    char agencies[16][SK_TOKEN_FIELD_MAX];
    int64_t created[16];
    size_t n;
    size_t stop_after; /* 0: never */
} collect;

static int collect_cb(const sk_token_info *info, void *vctx)
{
    collect *c = vctx;

    assert_true(c->n < 16);
    memcpy(c->ids[c->n], info->id, sizeof(c->ids[0]));
    memcpy(c->agencies[c->n], info->agency, sizeof(c->agencies[0]));
    c->created[c->n] = info->created_at;
    c->n++;
    return c->stop_after != 0 && c->n >= c->stop_after;
}

static size_t count_tokens(fixture *f)
{
    collect c;

    memset(&c, 0, sizeof(c));
    assert_int_equal(sk_token_list(f->store, SK_STR_NULL, collect_cb, &c, NULL), SK_OK);
    return c.n;
}

/* Reads a whole file (an absent one is empty); caller frees. */
static unsigned char *slurp(const char *path, size_t *len)
{
    unsigned char *buf = NULL;
    FILE *fp = fopen(path, "rb");
    long n;

    *len = 0;
    if (fp == NULL)
        return calloc(1, 1);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static int contains(const unsigned char *hay, size_t hay_len, const void *needle, size_t len)
{
    return memmem(hay, hay_len, needle, len) != NULL;
}

/* Runs one SQL statement on the database file outside the library. */
static void raw_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_busy_timeout(db, 5000), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* ------------------------------------------------------------------- tests */

static void test_create_and_verify(void **state)
{
    fixture *f = *state;
    char token[SK_TOKEN_LEN + 1];
    sk_token_info made, got;
    size_t i;

    make(f, "ORR", "jdoe", "case_manager", NOW + 3600, NOW, token, &made);
    assert_int_equal(strlen(token), SK_TOKEN_LEN);
    assert_int_equal(SK_TOKEN_LEN, 4 + 16 + 1 + 43);
    assert_memory_equal(token, "skt_", 4);
    assert_int_equal(token[4 + SK_TOKEN_ID_LEN], '_');
    for (i = 4; i < 4 + SK_TOKEN_ID_LEN; i++)
        assert_non_null(strchr("0123456789abcdef", token[i]));
    for (i = 4 + SK_TOKEN_ID_LEN + 1; i < SK_TOKEN_LEN; i++)
        assert_true(is_b64url(token[i]));
    assert_memory_equal(made.id, token + 4, SK_TOKEN_ID_LEN);
    assert_string_equal(made.agency, "ORR");
    assert_string_equal(made.user, "jdoe");
    assert_string_equal(made.role, "case_manager");
    assert_int_equal(made.created_at, NOW);
    assert_int_equal(made.expires_at, NOW + 3600);
    assert_int_equal(made.revoked_at, 0);

    assert_int_equal(sk_token_verify(f->store, f->keyring, sk_str_c(token), NOW + 1, &got), SK_OK);
    assert_memory_equal(&got, &made, sizeof(got));
    assert_int_equal(sk_token_get(f->store, sk_str_c(made.id), &got, NULL), SK_OK);
    assert_memory_equal(&got, &made, sizeof(got));
}

static void test_wrong_tokens_denied(void **state)
{
    fixture *f = *state;
    char token[SK_TOKEN_LEN + 1], other[SK_TOKEN_LEN + 1], bad[SK_TOKEN_LEN + 2];
    const size_t secret_at = 4 + SK_TOKEN_ID_LEN + 1;
    sk_token_info info;
    size_t i;

    make(f, "ORR", "jdoe", "case_manager", 0, NOW, token, &info);
    make(f, "ICE", "asmith", "officer", 0, NOW, other, &info);
    assert_int_equal(verify_c(f, token, NOW), SK_OK);

    /* The right id with the other token's secret, and the reverse. */
    memcpy(bad, token, SK_TOKEN_LEN + 1);
    memcpy(bad + secret_at, other + secret_at, SK_TOKEN_LEN - secret_at);
    assert_int_equal(verify_c(f, bad, NOW), SK_ERR_DENIED);
    memcpy(bad, other, SK_TOKEN_LEN + 1);
    memcpy(bad + secret_at, token + secret_at, SK_TOKEN_LEN - secret_at);
    assert_int_equal(verify_c(f, bad, NOW), SK_ERR_DENIED);

    /* Every single changed character, in the prefix, the id, the separator
     * and the secret. */
    for (i = 0; i < SK_TOKEN_LEN; i++) {
        memcpy(bad, token, SK_TOKEN_LEN + 1);
        bad[i] = other_char(bad[i]);
        assert_int_equal(verify_c(f, bad, NOW), SK_ERR_DENIED);
        bad[i] = (char)(token[i] ^ 0x20); /* case flip, or another symbol */
        assert_int_equal(verify_c(f, bad, NOW), SK_ERR_DENIED);
    }
    /* Every truncation, and one character too many. */
    for (i = 0; i < SK_TOKEN_LEN; i++)
        assert_int_equal(verify(f, token, i, NOW), SK_ERR_DENIED);
    memcpy(bad, token, SK_TOKEN_LEN);
    bad[SK_TOKEN_LEN] = 'A';
    bad[SK_TOKEN_LEN + 1] = '\0';
    assert_int_equal(verify_c(f, bad, NOW), SK_ERR_DENIED);
    /* Empty and garbage. */
    assert_int_equal(verify(f, NULL, 0, NOW), SK_ERR_DENIED);
    assert_int_equal(verify_c(f, "", NOW), SK_ERR_DENIED);
    assert_int_equal(verify_c(f, "Bearer", NOW), SK_ERR_DENIED);
    assert_int_equal(verify_c(f, "skt_", NOW), SK_ERR_DENIED);
    assert_int_equal(verify_c(f, "' OR 1=1 --", NOW), SK_ERR_DENIED);
    memset(bad, 'A', SK_TOKEN_LEN);
    bad[SK_TOKEN_LEN] = '\0';
    assert_int_equal(verify_c(f, bad, NOW), SK_ERR_DENIED);
    memcpy(bad, token, SK_TOKEN_LEN + 1);
    bad[40] = '\0'; /* an embedded NUL, full length */
    assert_int_equal(verify(f, bad, SK_TOKEN_LEN, NOW), SK_ERR_DENIED);
    memcpy(bad, token, SK_TOKEN_LEN + 1);
    bad[40] = '=';
    assert_int_equal(verify_c(f, bad, NOW), SK_ERR_DENIED);
    /* A well-formed token whose id is unknown. */
    memcpy(bad, token, SK_TOKEN_LEN + 1);
    memcpy(bad + 4, "0123456789abcdef", SK_TOKEN_ID_LEN);
    assert_int_equal(verify_c(f, bad, NOW), SK_ERR_DENIED);
    /* The id in upper case is another id. */
    memcpy(bad, token, SK_TOKEN_LEN + 1);
    for (i = 4; i < 4 + SK_TOKEN_ID_LEN; i++)
        bad[i] = (char)(bad[i] >= 'a' ? bad[i] - 32 : bad[i]);
    if (memcmp(bad, token, SK_TOKEN_LEN) != 0)
        assert_int_equal(verify_c(f, bad, NOW), SK_ERR_DENIED);
    /* The originals still work. */
    assert_int_equal(verify_c(f, token, NOW), SK_OK);
    assert_int_equal(verify_c(f, other, NOW), SK_OK);
}

static void test_other_key_denied(void **state)
{
    fixture *f = *state;
    char token[SK_TOKEN_LEN + 1];
    sk_keyring *other = NULL;
    sk_token_info info;

    make(f, "ORR", "jdoe", "case_manager", 0, NOW, token, &info);
    assert_int_equal(setenv(SK_ENV_KEY, KEY_B, 1), 0);
    assert_int_equal(sk_keyring_open("/nonexistent/key", &other, NULL), SK_OK);
    assert_int_equal(sk_token_verify(f->store, other, sk_str_c(token), NOW, &info), SK_ERR_DENIED);
    sk_keyring_free(other);
}

static void test_expiry(void **state)
{
    fixture *f = *state;
    char token[SK_TOKEN_LEN + 1], never[SK_TOKEN_LEN + 1];
    sk_token_info info;

    make(f, "ORR", "jdoe", "case_manager", NOW + 100, NOW, token, &info);
    make(f, "ORR", "jdoe", "case_manager", 0, NOW, never, &info);
    assert_int_equal(verify_c(f, token, NOW), SK_OK);
    assert_int_equal(verify_c(f, token, NOW + 99), SK_OK);
    assert_int_equal(verify_c(f, token, NOW + 100), SK_ERR_DENIED);
    assert_int_equal(verify_c(f, token, NOW + 101), SK_ERR_DENIED);
    assert_int_equal(verify_c(f, never, NOW + 100LL * 365 * 86400), SK_OK);
}

static void test_revoke(void **state)
{
    fixture *f = *state;
    char token[SK_TOKEN_LEN + 1], kept[SK_TOKEN_LEN + 1];
    sk_token_info info, other;
    sk_diag diag;

    make(f, "ORR", "jdoe", "case_manager", 0, NOW, token, &info);
    make(f, "ORR", "jdoe", "case_manager", 0, NOW, kept, &other);
    assert_int_equal(verify_c(f, token, NOW + 5), SK_OK);
    assert_int_equal(sk_token_revoke(f->store, sk_str_c(info.id), NOW + 10, NULL), SK_OK);
    assert_int_equal(verify_c(f, token, NOW + 11), SK_ERR_DENIED);
    assert_int_equal(verify_c(f, kept, NOW + 11), SK_OK);
    /* A second revocation is fine and keeps the first time. */
    assert_int_equal(sk_token_revoke(f->store, sk_str_c(info.id), NOW + 20, NULL), SK_OK);
    assert_int_equal(sk_token_get(f->store, sk_str_c(info.id), &info, NULL), SK_OK);
    assert_int_equal(info.revoked_at, NOW + 10);
    assert_int_equal(verify_c(f, token, NOW + 21), SK_ERR_DENIED);
    /* Unknown and malformed ids. */
    sk_diag_clear(&diag);
    assert_int_equal(sk_token_revoke(f->store, SK_STR("0123456789abcdef"), NOW, &diag),
                     SK_ERR_NOT_FOUND);
    assert_string_equal(diag.field, "id");
    assert_int_equal(sk_token_revoke(f->store, SK_STR("nope"), NOW, NULL), SK_ERR_NOT_FOUND);
    assert_int_equal(sk_token_revoke(f->store, sk_str_c(token), NOW, NULL), SK_ERR_NOT_FOUND);
    assert_int_equal(sk_token_get(f->store, SK_STR("0123456789abcdef"), &info, NULL),
                     SK_ERR_NOT_FOUND);
    assert_int_equal(sk_token_get(f->store, SK_STR_NULL, &info, NULL), SK_ERR_NOT_FOUND);
}

static void test_secret_not_stored(void **state)
{
    fixture *f = *state;
    char tokens[3][SK_TOKEN_LEN + 1];
    unsigned char plain_hash[32];
    const size_t secret_at = 4 + SK_TOKEN_ID_LEN + 1;
    unsigned char *db, *wal;
    size_t db_len, wal_len, i;
    sk_token_info info;
    char wal_path[160];

    for (i = 0; i < 3; i++)
        make(f, "ORR", "jdoe", "case_manager", 0, NOW, tokens[i], &info);
    /* Closing the last connection folds the WAL into the file; read both in
     * case it is still there. */
    sk_store_close(f->store);
    f->store = NULL;
    snprintf(wal_path, sizeof(wal_path), "%s-wal", f->path);
    db = slurp(f->path, &db_len);
    wal = slurp(wal_path, &wal_len);
    assert_true(db_len > 0);
    /* The ids are there (they are how tokens are found)... */
    assert_true(contains(db, db_len, info.id, SK_TOKEN_ID_LEN) ||
                contains(wal, wal_len, info.id, SK_TOKEN_ID_LEN));
    for (i = 0; i < 3; i++) {
        /* ...but neither a secret, nor a token, nor any part of a secret
         * that is long enough to mean something, nor an unkeyed hash. */
        const char *secret = tokens[i] + secret_at;
        size_t off;
        for (off = 0; off + 8 <= SK_TOKEN_SECRET_LEN; off += 4) {
            assert_false(contains(db, db_len, secret + off, 8));
            assert_false(contains(wal, wal_len, secret + off, 8));
        }
        assert_false(contains(db, db_len, tokens[i], SK_TOKEN_LEN));
        sk_hash((sk_str){tokens[i], SK_TOKEN_LEN}, plain_hash, sizeof(plain_hash));
        assert_false(contains(db, db_len, plain_hash, sizeof(plain_hash)));
        assert_false(contains(wal, wal_len, plain_hash, sizeof(plain_hash)));
    }
    free(db);
    free(wal);
    /* Reopened, the tokens still verify. */
    assert_int_equal(sk_store_open(f->path, 0, &f->store, NULL), SK_OK);
    for (i = 0; i < 3; i++)
        assert_int_equal(verify_c(f, tokens[i], NOW), SK_OK);
}

static void test_tokens_differ(void **state)
{
    fixture *f = *state;
    char tokens[16][SK_TOKEN_LEN + 1];
    const size_t secret_at = 4 + SK_TOKEN_ID_LEN + 1;
    sk_token_info info;
    size_t i, j;

    for (i = 0; i < 16; i++)
        make(f, "ORR", "jdoe", "case_manager", 0, NOW, tokens[i], &info);
    for (i = 0; i < 16; i++) {
        for (j = i + 1; j < 16; j++) {
            assert_memory_not_equal(tokens[i] + 4, tokens[j] + 4, SK_TOKEN_ID_LEN);
            assert_memory_not_equal(tokens[i] + secret_at, tokens[j] + secret_at,
                                    SK_TOKEN_SECRET_LEN);
        }
    }
    assert_int_equal(count_tokens(f), 16);
}

static void test_list_order_and_filter(void **state)
{
    fixture *f = *state;
    char token[SK_TOKEN_LEN + 1];
    sk_token_info a, b, c, d;
    collect col;

    /* Created out of order; b and c at the same second, so the id decides. */
    make(f, "ORR", "u1", "case_manager", 0, NOW + 30, token, &a);
    make(f, "ICE", "u2", "officer", 0, NOW + 10, token, &b);
    make(f, "ORR", "u3", "supervisor", 0, NOW + 10, token, &c);
    make(f, "EOIR", "u4", "clerk", 0, NOW + 20, token, &d);
    assert_int_equal(sk_token_revoke(f->store, sk_str_c(d.id), NOW + 40, NULL), SK_OK);

    memset(&col, 0, sizeof(col));
    assert_int_equal(sk_token_list(f->store, SK_STR_NULL, collect_cb, &col, NULL), SK_OK);
    assert_int_equal(col.n, 4);
    assert_string_equal(col.ids[0], strcmp(b.id, c.id) < 0 ? b.id : c.id);
    assert_string_equal(col.ids[1], strcmp(b.id, c.id) < 0 ? c.id : b.id);
    assert_string_equal(col.ids[2], d.id); /* revoked tokens stay listed */
    assert_string_equal(col.ids[3], a.id);
    assert_int_equal(col.created[0], NOW + 10);
    assert_int_equal(col.created[3], NOW + 30);

    memset(&col, 0, sizeof(col));
    assert_int_equal(sk_token_list(f->store, SK_STR("ORR"), collect_cb, &col, NULL), SK_OK);
    assert_int_equal(col.n, 2);
    assert_string_equal(col.ids[0], c.id);
    assert_string_equal(col.ids[1], a.id);
    assert_string_equal(col.agencies[0], "ORR");
    assert_string_equal(col.agencies[1], "ORR");

    memset(&col, 0, sizeof(col));
    assert_int_equal(sk_token_list(f->store, SK_STR("USCIS"), collect_cb, &col, NULL), SK_OK);
    assert_int_equal(col.n, 0);

    /* A non-zero return stops the listing without an error. */
    memset(&col, 0, sizeof(col));
    col.stop_after = 1;
    assert_int_equal(sk_token_list(f->store, SK_STR_NULL, collect_cb, &col, NULL), SK_OK);
    assert_int_equal(col.n, 1);

    memset(&col, 0, sizeof(col));
    assert_int_equal(sk_token_list(f->store, SK_STR("bad agency"), collect_cb, &col, NULL),
                     SK_ERR_INVALID);
    assert_int_equal(col.n, 0);
}

/* Creates with the given fields and expects SK_ERR_INVALID naming field. */
static void expect_invalid(fixture *f, sk_str agency, sk_str user, sk_str role, int64_t expires_at,
                           const char *field)
{
    char token[SK_TOKEN_LEN + 1];
    sk_token_info info;
    sk_diag diag;

    memset(token, 'x', sizeof(token));
    sk_diag_clear(&diag);
    assert_int_equal(sk_token_create(f->store, f->keyring, agency, user, role, expires_at, NOW,
                                     token, &info, &diag),
                     SK_ERR_INVALID);
    assert_string_equal(diag.field, field);
    assert_string_equal(token, "");
    assert_string_equal(info.id, "");
}

static void test_invalid_fields(void **state)
{
    fixture *f = *state;
    char long_id[SK_TOKEN_FIELD_MAX + 1];
    const sk_str ok_a = SK_STR("ORR"), ok_u = SK_STR("jdoe"), ok_r = SK_STR("case_manager");

    memset(long_id, 'a', SK_TOKEN_FIELD_MAX);
    long_id[SK_TOKEN_FIELD_MAX] = '\0';
    expect_invalid(f, SK_STR_NULL, ok_u, ok_r, 0, "agency");
    expect_invalid(f, SK_STR(""), ok_u, ok_r, 0, "agency");
    expect_invalid(f, SK_STR("bad agency"), ok_u, ok_r, 0, "agency");
    expect_invalid(f, SK_STR("ORR/ICE"), ok_u, ok_r, 0, "agency");
    expect_invalid(f, (sk_str){long_id, SK_TOKEN_FIELD_MAX}, ok_u, ok_r, 0, "agency");
    expect_invalid(f, ok_a, SK_STR(""), ok_r, 0, "user");
    expect_invalid(f, ok_a, SK_STR("j\"doe"), ok_r, 0, "user");
    expect_invalid(f, ok_a, ok_u, SK_STR("case manager"), 0, "role");
    expect_invalid(f, ok_a, ok_u, ok_r, NOW, "expires_at");
    expect_invalid(f, ok_a, ok_u, ok_r, NOW - 1, "expires_at");
    assert_int_equal(count_tokens(f), 0);
    /* 63 characters is the most an id may have. */
    {
        char token[SK_TOKEN_LEN + 1];
        sk_token_info info;
        assert_int_equal(sk_token_create(f->store, f->keyring,
                                         (sk_str){long_id, SK_TOKEN_FIELD_MAX - 1}, ok_u, ok_r, 0,
                                         NOW, token, &info, NULL),
                         SK_OK);
        assert_int_equal(strlen(info.agency), SK_TOKEN_FIELD_MAX - 1);
        assert_int_equal(verify_c(f, token, NOW), SK_OK);
    }
}

static void test_store_failure(void **state)
{
    fixture *f = *state;
    char token[SK_TOKEN_LEN + 1];
    sk_token_info info;
    sk_diag diag;

    sk_diag_clear(&diag);
    sk_store_fail_after(f->store, 1);
    assert_int_equal(sk_token_create(f->store, f->keyring, SK_STR("ORR"), SK_STR("jdoe"),
                                     SK_STR("case_manager"), 0, NOW, token, &info, &diag),
                     SK_ERR_STORE);
    assert_string_equal(token, "");
    sk_store_fail_after(f->store, 0);
    assert_int_equal(count_tokens(f), 0);

    /* A read that fails is SK_ERR_STORE, not DENIED: the server must not
     * mistake an outage for a bad token. */
    make(f, "ORR", "jdoe", "case_manager", 0, NOW, token, &info);
    raw_sql(f->path, "DROP TABLE tokens");
    assert_int_equal(verify_c(f, token, NOW), SK_ERR_STORE);
    assert_int_equal(verify_c(f, "garbage", NOW), SK_ERR_DENIED);
}

static void test_older_database_gains_table(void **state)
{
    fixture *f = *state;
    char token[SK_TOKEN_LEN + 1];
    sk_token_info info;

    sk_store_close(f->store);
    f->store = NULL;
    raw_sql(f->path, "DROP TABLE tokens");
    assert_int_equal(sk_store_open(f->path, 0, &f->store, NULL), SK_OK);
    assert_int_equal(count_tokens(f), 0);
    make(f, "ORR", "jdoe", "case_manager", 0, NOW, token, &info);
    assert_int_equal(verify_c(f, token, NOW), SK_OK);
    /* Opening again leaves the table and its tokens alone. */
    sk_store_close(f->store);
    assert_int_equal(sk_store_open(f->path, 0, &f->store, NULL), SK_OK);
    assert_int_equal(verify_c(f, token, NOW), SK_OK);
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_(test_create_and_verify),
        T_(test_wrong_tokens_denied),
        T_(test_other_key_denied),
        T_(test_expiry),
        T_(test_revoke),
        T_(test_secret_not_stored),
        T_(test_tokens_differ),
        T_(test_list_order_and_filter),
        T_(test_invalid_fields),
        T_(test_store_failure),
        T_(test_older_database_gains_table),
    };

    if (getenv("SK_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("SK_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
