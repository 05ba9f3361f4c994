/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto.c: key management, sealing and blind indexes over libsodium.
 *
 * Nonces: XChaCha20's 192-bit nonce leaves room for a 128-bit random prefix
 * drawn once per keyring and a 64-bit atomic counter, which is both unique
 * under one key and far cheaper than a getrandom() call per record (an
 * import seals millions). The blind index is BLAKE2b keyed with its own
 * subkey, over "domain\0value", truncated to 128 bits: enough to make
 * collisions between distinct people negligible while revealing only
 * equality.
 */
#include "safekeep/sk_crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
/* OpenSSL only for SHA-256: its assembly uses the CPU's SHA extensions,
 * eight times libsodium's portable code here, and the transparency logs hash
 * every record. The low-level calls need no allocation. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "sk_int.h"

#define KDF_CONTEXT "safekeep"
enum { SUBKEY_SEAL = 1, SUBKEY_BLIND = 2, SUBKEY_SIGN = 3, SUBKEY_TOKEN = 4 };

struct sk_keyring {
    unsigned char seal_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    unsigned char blind_key[crypto_generichash_KEYBYTES];
    unsigned char token_key[crypto_generichash_KEYBYTES];
    unsigned char sign_sk[crypto_sign_SECRETKEYBYTES];
    unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char nonce_prefix[16];
    _Atomic uint64_t nonce_counter;
};

static_assert(SK_SEAL_OVERHEAD == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
                                      crypto_aead_xchacha20poly1305_ietf_ABYTES,
              "seal overhead matches libsodium");

sk_err sk_crypto_init(void)
{
    return sodium_init() < 0 ? SK_ERR_CRYPTO : SK_OK;
}

void sk_random_bytes(void *buf, size_t len)
{
    randombytes_buf(buf, len);
}

void sk_hash(sk_str data, unsigned char *out, size_t out_len)
{
    SK_ASSERT(out_len >= crypto_generichash_BYTES_MIN && out_len <= crypto_generichash_BYTES_MAX);
    crypto_generichash(out, out_len, (const unsigned char *)data.ptr, data.len, NULL, 0);
}

void sk_sha256(const void *a, size_t a_len, const void *b, size_t b_len, const void *c,
               size_t c_len, unsigned char out[SK_SHA256_BYTES])
{
    SHA256_CTX st;

    SHA256_Init(&st);
    if (a_len > 0)
        SHA256_Update(&st, a, a_len);
    if (b_len > 0)
        SHA256_Update(&st, b, b_len);
    if (c_len > 0)
        SHA256_Update(&st, c, c_len);
    SHA256_Final(out, &st);
    sodium_memzero(&st, sizeof(st));
}

void sk_sign(const sk_keyring *keyring, const void *msg, size_t len,
             unsigned char sig[SK_SIGN_BYTES])
{
    SK_ASSERT(keyring != NULL);
    crypto_sign_detached(sig, NULL, msg, len, keyring->sign_sk);
}

void sk_sign_public_key(const sk_keyring *keyring, unsigned char out[SK_SIGN_PUBLIC_BYTES])
{
    SK_ASSERT(keyring != NULL);
    memcpy(out, keyring->sign_pk, SK_SIGN_PUBLIC_BYTES);
}

int sk_sign_verify(const unsigned char public_key[SK_SIGN_PUBLIC_BYTES], const void *msg,
                   size_t len, const unsigned char sig[SK_SIGN_BYTES])
{
    return crypto_sign_verify_detached(sig, msg, len, public_key) == 0;
}

void sk_wipe(void *buf, size_t len)
{
    sodium_memzero(buf, len);
}

void sk_hex_encode(const unsigned char *in, size_t len, char *out)
{
    sodium_bin2hex(out, len * 2 + 1, in, len);
}

static_assert(SK_HMAC_SHA256_BYTES == crypto_auth_hmacsha256_BYTES, "HMAC-SHA256 size");

/* libsodium's streaming HMAC takes keys of any length (crypto_auth_hmacsha256
 * itself only 32-byte ones), which webhook secrets of 24..64 bytes need. */
void sk_hmac_sha256(const void *key, size_t key_len, const sk_str *parts, size_t parts_count,
                    unsigned char out[SK_HMAC_SHA256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    size_t i;

    SK_ASSERT(key != NULL || key_len == 0);
    SK_ASSERT(parts != NULL || parts_count == 0);
    SK_ASSERT(out != NULL);
    crypto_auth_hmacsha256_init(&st, key, key_len);
    for (i = 0; i < parts_count; i++) {
        if (parts[i].len > 0)
            crypto_auth_hmacsha256_update(&st, (const unsigned char *)parts[i].ptr, parts[i].len);
    }
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof(st));
}

size_t sk_base64_encoded_len(size_t len)
{
    return sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
}

void sk_base64_encode(const unsigned char *in, size_t len, char *out, size_t out_cap)
{
    SK_ASSERT(in != NULL || len == 0);
    SK_ASSERT(out != NULL);
    SK_ASSERT(out_cap >= sk_base64_encoded_len(len));
    sodium_bin2base64(out, out_cap, in, len, sodium_base64_VARIANT_ORIGINAL);
}

sk_err sk_base64_decode(sk_str text, unsigned char *out, size_t out_cap, size_t *out_len)
{
    const char *end = NULL;
    size_t n = 0;

    SK_ASSERT(out != NULL);
    SK_ASSERT(out_len != NULL);
    *out_len = 0;
    if (text.len == 0)
        return SK_OK;
    /* sodium_base642bin stops at the first character outside the alphabet;
     * requiring end to be the end of text makes trailing junk an error. */
    if (sodium_base642bin(out, out_cap, text.ptr, text.len, NULL, &n, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != text.ptr + text.len)
        return SK_ERR_INVALID;
    *out_len = n;
    return SK_OK;
}

sk_err sk_keyring_create_file(const char *path, sk_diag *diag)
{
    unsigned char key[SK_KEY_BYTES];
    char hex[SK_KEY_BYTES * 2 + 2];
    sk_err rc = SK_OK;
    int fd;

    SK_ASSERT(path != NULL);
    if (sk_crypto_init() != SK_OK)
        return SK_ERR_CRYPTO;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return sk_diag_set(diag, errno == EEXIST ? SK_ERR_CONFLICT : SK_ERR_IO, "key file",
                           "cannot create %s: %s", path, strerror(errno));
    }
    crypto_kdf_keygen(key);
    sodium_bin2hex(hex, sizeof(hex) - 1, key, sizeof(key));
    hex[SK_KEY_BYTES * 2] = '\n';
    if (write(fd, hex, SK_KEY_BYTES * 2 + 1) != SK_KEY_BYTES * 2 + 1 || fsync(fd) != 0)
        rc = sk_diag_set(diag, SK_ERR_IO, "key file", "cannot write %s", path);
    if (close(fd) != 0 && rc == SK_OK)
        rc = sk_diag_set(diag, SK_ERR_IO, "key file", "cannot close %s", path);
    if (rc != SK_OK)
        unlink(path);
    sodium_memzero(key, sizeof(key));
    sodium_memzero(hex, sizeof(hex));
    return rc;
}

static sk_err read_key_file(const char *path, char *hex, size_t hex_len, sk_diag *diag)
{
    struct stat st;
    sk_err rc = SK_OK;
    ssize_t n;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sk_diag_set(diag, SK_ERR_NOT_FOUND, "key file",
                           "cannot open %s (run 'safekeep init' or set " SK_ENV_KEY ")", path);
    if (fstat(fd, &st) != 0) {
        rc = sk_diag_set(diag, SK_ERR_IO, "key file", "cannot stat %s", path);
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        rc = sk_diag_set(diag, SK_ERR_DENIED, "key file", "%s is readable by others; chmod 600 it",
                         path);
        goto out;
    }
    n = read(fd, hex, hex_len);
    if (n < SK_KEY_BYTES * 2) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, "key file", "%s is not a safekeep key", path);
        goto out;
    }
    hex[n] = '\0';
out:
    close(fd);
    return rc;
}

static_assert(SK_SIGN_BYTES == crypto_sign_BYTES, "Ed25519 signature size");
static_assert(SK_SIGN_PUBLIC_BYTES == crypto_sign_PUBLICKEYBYTES, "Ed25519 key size");

static sk_err derive_signing(sk_keyring *k, const unsigned char master[SK_KEY_BYTES])
{
    unsigned char seed[crypto_sign_SEEDBYTES];
    sk_err rc = SK_OK;

    if (crypto_kdf_derive_from_key(seed, sizeof(seed), SUBKEY_SIGN, KDF_CONTEXT, master) != 0 ||
        crypto_sign_seed_keypair(k->sign_pk, k->sign_sk, seed) != 0)
        rc = SK_ERR_CRYPTO;
    sodium_memzero(seed, sizeof(seed));
    return rc;
}

static sk_err derive(sk_keyring *k, const unsigned char master[SK_KEY_BYTES])
{
    if (derive_signing(k, master) != SK_OK)
        return SK_ERR_CRYPTO;
    if (crypto_kdf_derive_from_key(k->seal_key, sizeof(k->seal_key), SUBKEY_SEAL, KDF_CONTEXT,
                                   master) != 0 ||
        crypto_kdf_derive_from_key(k->blind_key, sizeof(k->blind_key), SUBKEY_BLIND, KDF_CONTEXT,
                                   master) != 0 ||
        crypto_kdf_derive_from_key(k->token_key, sizeof(k->token_key), SUBKEY_TOKEN, KDF_CONTEXT,
                                   master) != 0)
        return SK_ERR_CRYPTO;
    randombytes_buf(k->nonce_prefix, sizeof(k->nonce_prefix));
    atomic_init(&k->nonce_counter, 0);
    return SK_OK;
}

sk_err sk_keyring_open(const char *path, sk_keyring **out, sk_diag *diag)
{
    unsigned char master[SK_KEY_BYTES];
    char hex[SK_KEY_BYTES * 2 + 8];
    const char *env = getenv(SK_ENV_KEY);
    sk_keyring *k = NULL;
    size_t bin_len = 0;
    sk_err rc;

    SK_ASSERT(out != NULL);
    *out = NULL;
    rc = sk_crypto_init();
    if (rc != SK_OK)
        return rc;
    if (env != NULL && env[0] != '\0') {
        snprintf(hex, sizeof(hex), "%.*s", SK_KEY_BYTES * 2 + 1, env);
    } else {
        SK_ASSERT(path != NULL);
        rc = read_key_file(path, hex, sizeof(hex) - 1, diag);
        if (rc != SK_OK)
            goto out;
    }
    if (sodium_hex2bin(master, sizeof(master), hex, strlen(hex), "\n", &bin_len, NULL) != 0 ||
        bin_len != SK_KEY_BYTES) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, "key", "a key is 64 hexadecimal digits");
        goto out;
    }
    k = sodium_malloc(sizeof(*k));
    if (k == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    rc = derive(k, master);
    if (rc != SK_OK)
        goto out;
    *out = k;
    k = NULL;
out:
    sodium_memzero(master, sizeof(master));
    sodium_memzero(hex, sizeof(hex));
    if (k != NULL)
        sodium_free(k);
    return rc;
}

void sk_keyring_free(sk_keyring *keyring)
{
    if (keyring != NULL)
        sodium_free(keyring); /* sodium_free wipes */
}

size_t sk_seal_len(size_t plain_len)
{
    return plain_len + SK_SEAL_OVERHEAD;
}

sk_err sk_seal(sk_keyring *keyring, sk_str plain, sk_str ad, unsigned char *out)
{
    unsigned char *nonce = out;
    uint64_t ctr;

    SK_ASSERT(keyring != NULL);
    SK_ASSERT(out != NULL);
    ctr = atomic_fetch_add(&keyring->nonce_counter, 1);
    memcpy(nonce, keyring->nonce_prefix, sizeof(keyring->nonce_prefix));
    memcpy(nonce + sizeof(keyring->nonce_prefix), &ctr, sizeof(ctr));
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(
            out + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL,
            (const unsigned char *)plain.ptr, plain.len, (const unsigned char *)ad.ptr, ad.len,
            NULL, nonce, keyring->seal_key) != 0)
        return SK_ERR_CRYPTO;
    return SK_OK;
}

sk_err sk_unseal(const sk_keyring *keyring, const unsigned char *sealed, size_t sealed_len,
                 sk_str ad, unsigned char *out)
{
    SK_ASSERT(keyring != NULL);
    SK_ASSERT(out != NULL || sealed_len == SK_SEAL_OVERHEAD);
    if (sealed == NULL || sealed_len < SK_SEAL_OVERHEAD)
        return SK_ERR_CRYPTO;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            out, NULL, NULL, sealed + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
            sealed_len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
            (const unsigned char *)ad.ptr, ad.len, sealed, keyring->seal_key) != 0)
        return SK_ERR_CRYPTO;
    return SK_OK;
}

void sk_blind_index(const sk_keyring *keyring, const char *domain, sk_str normalised,
                    unsigned char out[SK_BLIND_BYTES])
{
    crypto_generichash_state st;

    SK_ASSERT(keyring != NULL);
    SK_ASSERT(domain != NULL);
    crypto_generichash_init(&st, keyring->blind_key, sizeof(keyring->blind_key), SK_BLIND_BYTES);
    crypto_generichash_update(&st, (const unsigned char *)domain, strlen(domain) + 1);
    crypto_generichash_update(&st, (const unsigned char *)normalised.ptr, normalised.len);
    crypto_generichash_final(&st, out, SK_BLIND_BYTES);
    sodium_memzero(&st, sizeof(st));
}

static_assert(SK_TOKEN_HASH_BYTES >= crypto_generichash_BYTES_MIN &&
                  SK_TOKEN_HASH_BYTES <= crypto_generichash_BYTES_MAX,
              "token hash size");

/* Bearer tokens get their own subkey, so that a stored token hash says
 * nothing about blind indexes or sealed data, and vice versa. */
void sk_crypto_token_hash(const sk_keyring *keyring, sk_str token,
                          unsigned char out[SK_TOKEN_HASH_BYTES])
{
    SK_ASSERT(keyring != NULL);
    SK_ASSERT(out != NULL);
    crypto_generichash(out, SK_TOKEN_HASH_BYTES, (const unsigned char *)token.ptr, token.len,
                       keyring->token_key, sizeof(keyring->token_key));
}

int sk_crypto_eq(const void *a, const void *b, size_t len)
{
    SK_ASSERT(a != NULL);
    SK_ASSERT(b != NULL);
    return sodium_memcmp(a, b, len) == 0;
}
