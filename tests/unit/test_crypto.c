/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_crypto.c: unit tests for keys, sealing and blind indexes (sk_crypto.h)
 * and for the normalisation of names and A-numbers that feeds the blind
 * indexes (sk_link.h).
 *
 * Keys come from SAFEKEEP_KEY set to fixed test keys, or from key files in a
 * temporary directory that each test creates and removes. The blind index
 * and the unkeyed hash are checked against known answers computed
 * independently (Python's hashlib BLAKE2b with libsodium's KDF parameters),
 * so a change of derivation cannot pass unnoticed.
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
#include <sys/stat.h>
#include <unistd.h>

#include "safekeep/sk_crypto.h"
#include "safekeep/sk_link.h"

#define KEY_A       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_A_UPPER "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
#define KEY_B       "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff"

#define BYTES(lit) ((sk_str){(lit), sizeof(lit) - 1})

/* Opens a keyring from SAFEKEEP_KEY set to hex. */
static sk_keyring *keyring_env(const char *hex)
{
    sk_keyring *k = NULL;
    sk_diag diag;

    sk_diag_clear(&diag);
    assert_int_equal(setenv(SK_ENV_KEY, hex, 1), 0);
    assert_int_equal(sk_keyring_open("/nonexistent/key", &k, &diag), SK_OK);
    assert_non_null(k);
    return k;
}

/* A temporary directory for key files; removed by rm_dir. */
static void make_dir(char dir[64])
{
    snprintf(dir, 64, "%s", "/tmp/sk_test_crypto_XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void rm_dir(const char *dir, const char *file)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    (void)unlink(path);
    assert_int_equal(rmdir(dir), 0);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    size_t len = strlen(text);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    assert_int_equal(chmod(path, mode), 0);
}

/* ----------------------------------------------------------------- sealing */

static void test_seal_round_trip(void **state)
{
    sk_keyring *k = keyring_env(KEY_A);
    const sk_str plain = SK_STR("{\"given_name\":\"Jos\xC3\xA9\"}");
    unsigned char sealed[128], out[128];
    (void)state;

    assert_int_equal(sk_seal_len(0), SK_SEAL_OVERHEAD);
    assert_int_equal(sk_seal_len(plain.len), plain.len + 40);
    assert_int_equal(sk_seal(k, plain, SK_STR("C0001"), sealed), SK_OK);
    memset(out, 0, sizeof(out));
    assert_int_equal(sk_unseal(k, sealed, sk_seal_len(plain.len), SK_STR("C0001"), out), SK_OK);
    assert_memory_equal(out, plain.ptr, plain.len);
    /* The ciphertext does not contain the plaintext. */
    assert_null(memmem(sealed, sk_seal_len(plain.len), "given_name", 10));
    /* An empty plaintext seals to nonce and tag only. */
    assert_int_equal(sk_seal(k, SK_STR(""), SK_STR("C0001"), sealed), SK_OK);
    assert_int_equal(sk_unseal(k, sealed, SK_SEAL_OVERHEAD, SK_STR("C0001"), out), SK_OK);
    sk_keyring_free(k);
    sk_keyring_free(NULL);
}

static void test_seal_tampering_detected(void **state)
{
    sk_keyring *k = keyring_env(KEY_A);
    const sk_str plain = SK_STR("A-number 012345678");
    const size_t len = sk_seal_len(plain.len);
    static const size_t positions[] = {0, 23, 24, 30, 24 + 17, 24 + 18, 24 + 18 + 15};
    unsigned char sealed[128], copy[128], out[128];
    size_t i;
    (void)state;

    assert_int_equal(sk_seal(k, plain, SK_STR("C0001"), sealed), SK_OK);
    for (i = 0; i < SK_ARRAY_LEN(positions); i++) {
        assert_true(positions[i] < len);
        memcpy(copy, sealed, len);
        copy[positions[i]] ^= 0x01;
        assert_int_equal(sk_unseal(k, copy, len, SK_STR("C0001"), out), SK_ERR_CRYPTO);
    }
    assert_int_equal(sk_unseal(k, sealed, len, SK_STR("C0002"), out), SK_ERR_CRYPTO);
    assert_int_equal(sk_unseal(k, sealed, len, SK_STR(""), out), SK_ERR_CRYPTO);
    assert_int_equal(sk_unseal(k, sealed, len - 1, SK_STR("C0001"), out), SK_ERR_CRYPTO);
    assert_int_equal(sk_unseal(k, sealed, SK_SEAL_OVERHEAD - 1, SK_STR("C0001"), out),
                     SK_ERR_CRYPTO);
    assert_int_equal(sk_unseal(k, NULL, len, SK_STR("C0001"), out), SK_ERR_CRYPTO);
    /* The untouched original still opens. */
    assert_int_equal(sk_unseal(k, sealed, len, SK_STR("C0001"), out), SK_OK);
    sk_keyring_free(k);
}

static void test_seal_wrong_key(void **state)
{
    sk_keyring *a = keyring_env(KEY_A);
    sk_keyring *b = keyring_env(KEY_B);
    sk_keyring *a_again = keyring_env(KEY_A_UPPER);
    const sk_str plain = SK_STR("Calle 5, Houston");
    unsigned char sealed[128], out[128];
    (void)state;

    assert_int_equal(sk_seal(a, plain, SK_STR("C0001"), sealed), SK_OK);
    assert_int_equal(sk_unseal(b, sealed, sk_seal_len(plain.len), SK_STR("C0001"), out),
                     SK_ERR_CRYPTO);
    /* The same master key (in either case of hex) derives the same seal key. */
    assert_int_equal(sk_unseal(a_again, sealed, sk_seal_len(plain.len), SK_STR("C0001"), out),
                     SK_OK);
    assert_memory_equal(out, plain.ptr, plain.len);
    sk_keyring_free(a);
    sk_keyring_free(b);
    sk_keyring_free(a_again);
}

static void test_nonces_differ(void **state)
{
    sk_keyring *k = keyring_env(KEY_A);
    const sk_str plain = SK_STR("same plaintext");
    const size_t len = sk_seal_len(plain.len);
    unsigned char one[64], two[64], out[64];
    (void)state;

    assert_int_equal(sk_seal(k, plain, SK_STR("id"), one), SK_OK);
    assert_int_equal(sk_seal(k, plain, SK_STR("id"), two), SK_OK);
    assert_memory_not_equal(one, two, 24);
    assert_memory_not_equal(one + 24, two + 24, len - 24);
    assert_int_equal(sk_unseal(k, one, len, SK_STR("id"), out), SK_OK);
    assert_memory_equal(out, plain.ptr, plain.len);
    assert_int_equal(sk_unseal(k, two, len, SK_STR("id"), out), SK_OK);
    assert_memory_equal(out, plain.ptr, plain.len);
    sk_keyring_free(k);
}

/* ----------------------------------------------------------------- keyrings */

static void test_keyring_env_malformed(void **state)
{
    static const char *const bad[] = {
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1",    /* 63 */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00", /* 66 */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g",   /* not hex */
        "short",
    };
    sk_keyring *k = NULL;
    sk_diag diag;
    size_t i;
    (void)state;

    for (i = 0; i < SK_ARRAY_LEN(bad); i++) {
        sk_diag_clear(&diag);
        assert_int_equal(setenv(SK_ENV_KEY, bad[i], 1), 0);
        assert_int_equal(sk_keyring_open("/nonexistent/key", &k, &diag), SK_ERR_INVALID);
        assert_null(k);
        assert_string_equal(diag.field, "key");
        assert_string_equal(diag.msg, "a key is 64 hexadecimal digits");
    }
    assert_int_equal(unsetenv(SK_ENV_KEY), 0);
}

static void test_key_file_created_0600_and_not_overwritten(void **state)
{
    char dir[64], path[128], before[80], after[80];
    sk_keyring *k = NULL;
    struct stat st;
    sk_diag diag;
    FILE *f;
    (void)state;

    assert_int_equal(unsetenv(SK_ENV_KEY), 0);
    make_dir(dir);
    snprintf(path, sizeof(path), "%s/key", dir);
    sk_diag_clear(&diag);
    assert_int_equal(sk_keyring_create_file(path, &diag), SK_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(before, sizeof(before), f));
    fclose(f);
    assert_int_equal(strlen(before), 65);
    assert_int_equal(strspn(before, "0123456789abcdef"), 64);
    assert_int_equal(sk_keyring_open(path, &k, &diag), SK_OK);
    sk_keyring_free(k);
    /* A second create refuses the existing file and leaves it alone. */
    assert_int_equal(sk_keyring_create_file(path, &diag), SK_ERR_CONFLICT);
    assert_string_equal(diag.field, "key file");
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(after, sizeof(after), f));
    fclose(f);
    assert_string_equal(before, after);
    rm_dir(dir, "key");
}

static void test_key_file_permissions(void **state)
{
    char dir[64], path[128], expect[256];
    sk_keyring *k = NULL;
    sk_diag diag;
    (void)state;

    assert_int_equal(unsetenv(SK_ENV_KEY), 0);
    make_dir(dir);
    snprintf(path, sizeof(path), "%s/key", dir);
    assert_int_equal(sk_keyring_create_file(path, NULL), SK_OK);
    assert_int_equal(chmod(path, 0640), 0);
    sk_diag_clear(&diag);
    assert_int_equal(sk_keyring_open(path, &k, &diag), SK_ERR_DENIED);
    assert_null(k);
    assert_string_equal(diag.field, "key file");
    snprintf(expect, sizeof(expect), "%s is readable by others; chmod 600 it", path);
    assert_string_equal(diag.msg, expect);
    assert_int_equal(chmod(path, 0604), 0);
    assert_int_equal(sk_keyring_open(path, &k, &diag), SK_ERR_DENIED);
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(sk_keyring_open(path, &k, &diag), SK_OK);
    sk_keyring_free(k);
    rm_dir(dir, "key");
}

static void test_key_file_malformed_or_missing(void **state)
{
    static const char *const bad[] = {
        "not a key\n",
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e\n",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        "000102030405060708090a0b0c0d0e0f\n",
        "",
    };
    char dir[64], path[128];
    sk_keyring *k = NULL;
    sk_diag diag;
    size_t i;
    (void)state;

    assert_int_equal(unsetenv(SK_ENV_KEY), 0);
    make_dir(dir);
    snprintf(path, sizeof(path), "%s/key", dir);
    for (i = 0; i < SK_ARRAY_LEN(bad); i++) {
        write_file(path, bad[i], 0600);
        sk_diag_clear(&diag);
        if (sk_keyring_open(path, &k, &diag) != SK_ERR_INVALID)
            fail_msg("key file %zu accepted", i);
        assert_null(k);
    }
    assert_int_equal(unlink(path), 0);
    assert_int_equal(sk_keyring_open(path, &k, &diag), SK_ERR_NOT_FOUND);
    assert_string_equal(diag.field, "key file");
    rm_dir(dir, "key");
}

static void test_key_file_matches_env_key(void **state)
{
    char dir[64], path[128];
    sk_keyring *from_file = NULL, *from_env;
    unsigned char a[SK_BLIND_BYTES], b[SK_BLIND_BYTES];
    (void)state;

    assert_int_equal(unsetenv(SK_ENV_KEY), 0);
    make_dir(dir);
    snprintf(path, sizeof(path), "%s/key", dir);
    write_file(path, KEY_A "\n", 0600);
    assert_int_equal(sk_keyring_open(path, &from_file, NULL), SK_OK);
    from_env = keyring_env(KEY_A);
    sk_blind_index(from_file, "anum", SK_STR("012345678"), a);
    sk_blind_index(from_env, "anum", SK_STR("012345678"), b);
    assert_memory_equal(a, b, sizeof(a));
    sk_keyring_free(from_file);
    sk_keyring_free(from_env);
    rm_dir(dir, "key");
}

/* ----------------------------------------------------------- blind indexes */

static void hex_of(const unsigned char *bytes, size_t len, char *out)
{
    sk_hex_encode(bytes, len, out);
}

static void test_blind_index_known_answers(void **state)
{
    sk_keyring *k = keyring_env(KEY_A);
    unsigned char h[SK_BLIND_BYTES];
    char hex[SK_BLIND_BYTES * 2 + 1];
    (void)state;

    sk_blind_index(k, "anum", SK_STR("012345678"), h);
    hex_of(h, sizeof(h), hex);
    assert_string_equal(hex, "ffdff3538f1b096847fe61385c045b7b");
    sk_blind_index(k, "name_dob", SK_STR("jose luis garcia lopez|2010-05-01"), h);
    hex_of(h, sizeof(h), hex);
    assert_string_equal(hex, "25833ea44370dcf3788f1d9c1e4b2a8f");
    sk_keyring_free(k);
}

static void test_blind_index_equality(void **state)
{
    sk_keyring *a = keyring_env(KEY_A);
    sk_keyring *a2 = keyring_env(KEY_A);
    sk_keyring *b = keyring_env(KEY_B);
    unsigned char x[SK_BLIND_BYTES], y[SK_BLIND_BYTES];
    (void)state;

    sk_blind_index(a, "anum", SK_STR("012345678"), x);
    sk_blind_index(a2, "anum", SK_STR("012345678"), y);
    assert_memory_equal(x, y, sizeof(x));
    sk_blind_index(a, "anum", SK_STR("012345679"), y);
    assert_memory_not_equal(x, y, sizeof(x));
    sk_blind_index(a, "name_dob", SK_STR("012345678"), y);
    assert_memory_not_equal(x, y, sizeof(x));
    sk_blind_index(b, "anum", SK_STR("012345678"), y);
    assert_memory_not_equal(x, y, sizeof(x));
    /* The domain is separated from the value: "ab"+"c" is not "a"+"bc". */
    sk_blind_index(a, "ab", SK_STR("c"), x);
    sk_blind_index(a, "a", SK_STR("bc"), y);
    assert_memory_not_equal(x, y, sizeof(x));
    sk_keyring_free(a);
    sk_keyring_free(a2);
    sk_keyring_free(b);
}

static void test_hash_and_hex(void **state)
{
    unsigned char h[32], r1[32], r2[32];
    char hex[65];
    (void)state;

    assert_int_equal(sk_crypto_init(), SK_OK);
    sk_hash(SK_STR("abc"), h, 16);
    hex_of(h, 16, hex);
    assert_string_equal(hex, "cf4ab791c62b8d2b2109c90275287816");
    sk_hash(SK_STR(""), h, 32);
    hex_of(h, 32, hex);
    assert_string_equal(hex, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    sk_random_bytes(r1, sizeof(r1));
    sk_random_bytes(r2, sizeof(r2));
    assert_memory_not_equal(r1, r2, sizeof(r1));
    sk_wipe(r1, sizeof(r1));
    memset(r2, 0, sizeof(r2));
    assert_memory_equal(r1, r2, sizeof(r1));
}

/* ------------------------------------------------------------ normalisation */

/* Normalises in and returns the code; out gets the text. */
static sk_err norm(sk_str in, char *out, size_t cap)
{
    size_t len = 12345;
    sk_err rc = sk_normalize_name(in, out, cap, &len);

    assert_int_equal(len, strlen(out));
    return rc;
}

static void test_normalize_name_folds(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"Jos\xC3\xA9 Luis GARC\xC3\x8D"
         "A-L\xC3\xB3pez",
         "jose luis garcia lopez"},
        {"JOSE LUIS GARCIA LOPEZ", "jose luis garcia lopez"},
        {"Q'anjob'al", "qanjobal"},
        {"Q\xE2\x80\x99"
         "anjob\xE2\x80\x98"
         "al",
         "qanjobal"},
        {"Q\xCA\xBC"
         "anjob\xC2\xB4"
         "al",
         "qanjobal"},
        {"  Maria   del\tCarmen \r\n ", "maria del carmen"},
        {"Mu\xC3\xB1oz N\xC3\x9A\xC3\x91"
         "EZ",
         "munoz nunez"},
        {"O'Brien, Jr.", "obrien jr"},
        {"\xC5\x81ukasz \xC5\xBB\xC3\xB3\xC5\x82\xC4\x87", "lukasz zolc"},
        {"Fran\xC3\xA7ois M\xC3\xBCller", "francois muller"},
        {"\xE6\x9D\x8E Wei", "\xE6\x9D\x8E wei"},
        {"Ana_Maria--Perez,,Cruz", "ana maria perez cruz"},
    };
    char out[SK_NAME_NORM_MAX];
    size_t i;
    (void)state;

    for (i = 0; i < SK_ARRAY_LEN(cases); i++) {
        if (norm(sk_str_c(cases[i].in), out, sizeof(out)) != SK_OK)
            fail_msg("case %zu rejected", i);
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("case %zu gave \"%s\", expected \"%s\"", i, out, cases[i].out);
    }
}

static void test_normalize_name_limits(void **state)
{
    char out[SK_NAME_NORM_MAX];
    char tiny[4];
    (void)state;

    assert_int_equal(norm(SK_STR("'.-, '"), out, sizeof(out)), SK_ERR_INVALID);
    assert_string_equal(out, "");
    assert_int_equal(norm(SK_STR(""), out, sizeof(out)), SK_ERR_INVALID);
    assert_int_equal(norm(SK_STR("   "), out, sizeof(out)), SK_ERR_INVALID);
    /* cap 4 holds three bytes and the NUL. */
    assert_int_equal(norm(SK_STR("Abc"), tiny, sizeof(tiny)), SK_OK);
    assert_string_equal(tiny, "abc");
    assert_int_equal(norm(SK_STR(" A b "), tiny, sizeof(tiny)), SK_OK);
    assert_string_equal(tiny, "a b");
    assert_int_equal(norm(SK_STR("Abcd"), tiny, sizeof(tiny)), SK_ERR_TOO_LARGE);
    assert_int_equal(norm(SK_STR("ab cd"), tiny, sizeof(tiny)), SK_ERR_TOO_LARGE);
    assert_int_equal(norm(BYTES("ab\xC3\xA9z"), tiny, sizeof(tiny)), SK_ERR_TOO_LARGE);
    assert_int_equal(norm(SK_STR("x"), tiny, 1), SK_ERR_TOO_LARGE);
    assert_string_equal(tiny, "");
}

static void test_normalize_anumber(void **state)
{
    static const char *const good[][2] = {
        {"A-012-345-678", "012345678"}, {"12345678", "012345678"},  {"A12345678", "012345678"},
        {"a 123 456 789", "123456789"}, {"012345678", "012345678"}, {"A-1234-5678", "012345678"},
    };
    static const char *const bad[] = {"1234567", "1234567890", "12345678X",  "A1234B5678",
                                      "",        "A-",         "12.345.678", "B12345678"};
    char out[SK_ANUM_LEN + 1];
    size_t i;
    (void)state;

    for (i = 0; i < SK_ARRAY_LEN(good); i++) {
        memset(out, 'x', sizeof(out));
        if (sk_normalize_anumber(sk_str_c(good[i][0]), out) != SK_OK)
            fail_msg("rejected %s", good[i][0]);
        assert_string_equal(out, good[i][1]);
    }
    for (i = 0; i < SK_ARRAY_LEN(bad); i++) {
        if (sk_normalize_anumber(sk_str_c(bad[i]), out) != SK_ERR_INVALID)
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void test_name_dob_key(void **state)
{
    char out[SK_NAME_NORM_MAX * 2 + 16];
    char small[16];
    (void)state;

    assert_int_equal(sk_name_dob_key(BYTES("Jos\xC3\xA9 Luis"),
                                     BYTES("Garc\xC3\xAD"
                                           "a-L\xC3\xB3pez"),
                                     SK_STR("2010-05-01"), out, sizeof(out)),
                     SK_OK);
    assert_string_equal(out, "jose luis garcia lopez|2010-05-01");
    assert_int_equal(sk_name_dob_key(SK_STR("JOSE LUIS"), SK_STR("GARCIA LOPEZ"),
                                     SK_STR("2010-05-01"), out, sizeof(out)),
                     SK_OK);
    assert_string_equal(out, "jose luis garcia lopez|2010-05-01");
    assert_int_equal(
        sk_name_dob_key(SK_STR("Ana"), SK_STR("Ruiz"), SK_STR("05/01/2010"), out, sizeof(out)),
        SK_ERR_INVALID);
    assert_int_equal(
        sk_name_dob_key(SK_STR("Ana"), SK_STR("Ruiz"), SK_STR("2010-5-1"), out, sizeof(out)),
        SK_ERR_INVALID);
    assert_int_equal(
        sk_name_dob_key(SK_STR("''"), SK_STR("Ruiz"), SK_STR("2010-05-01"), out, sizeof(out)),
        SK_ERR_INVALID);
    assert_int_equal(
        sk_name_dob_key(SK_STR("Ana"), SK_STR("--"), SK_STR("2010-05-01"), out, sizeof(out)),
        SK_ERR_INVALID);
    /* "a b|2010-05-01" is 14 bytes: it fits in 15, not in 14. */
    assert_int_equal(sk_name_dob_key(SK_STR("A"), SK_STR("B"), SK_STR("2010-05-01"), small, 15),
                     SK_OK);
    assert_string_equal(small, "a b|2010-05-01");
    assert_int_equal(sk_name_dob_key(SK_STR("A"), SK_STR("B"), SK_STR("2010-05-01"), small, 14),
                     SK_ERR_TOO_LARGE);
}

/* The header promises SK_ERR_INVALID when dob is not YYYY-MM-DD; only the
 * positions of the dashes are checked, so letters pass as digits. */
static void test_name_dob_key_rejects_non_digit_dob(void **state)
{
    char out[SK_NAME_NORM_MAX * 2 + 16];
    (void)state;

    assert_int_equal(
        sk_name_dob_key(SK_STR("Ana"), SK_STR("Ruiz"), SK_STR("20x0-05-01"), out, sizeof(out)),
        SK_ERR_INVALID);
    assert_int_equal(
        sk_name_dob_key(SK_STR("Ana"), SK_STR("Ruiz"), SK_STR("abcd-ef-gh"), out, sizeof(out)),
        SK_ERR_INVALID);
}

static int teardown_env(void **state)
{
    (void)state;
    return unsetenv(SK_ENV_KEY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_round_trip),
        cmocka_unit_test(test_seal_tampering_detected),
        cmocka_unit_test(test_seal_wrong_key),
        cmocka_unit_test(test_nonces_differ),
        cmocka_unit_test(test_keyring_env_malformed),
        cmocka_unit_test(test_key_file_created_0600_and_not_overwritten),
        cmocka_unit_test(test_key_file_permissions),
        cmocka_unit_test(test_key_file_malformed_or_missing),
        cmocka_unit_test(test_key_file_matches_env_key),
        cmocka_unit_test(test_blind_index_known_answers),
        cmocka_unit_test(test_blind_index_equality),
        cmocka_unit_test(test_hash_and_hex),
        cmocka_unit_test(test_normalize_name_folds),
        cmocka_unit_test(test_normalize_name_limits),
        cmocka_unit_test(test_normalize_anumber),
        cmocka_unit_test(test_name_dob_key),
        cmocka_unit_test(test_name_dob_key_rejects_non_digit_dob),
    };

    return cmocka_run_group_tests(tests, NULL, teardown_env);
}
