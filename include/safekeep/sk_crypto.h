/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_crypto.h: the keys that protect identity data, encryption at rest and
 * keyed blind indexes. The only module that includes sodium.h.
 *
 * One 32-byte master key (a key file of mode 0600, or SAFEKEEP_KEY in hex)
 * derives independent subkeys: one for XChaCha20-Poly1305 encryption, one
 * for the blind index. Keys live in sodium_malloc'd, mlock'd memory and never
 * in an arena. Every failure to authenticate collapses to SK_ERR_CRYPTO.
 */
#ifndef SK_CRYPTO_H
#define SK_CRYPTO_H

#include <stdint.h>

#include "safekeep/sk_core.h"

#define SK_KEY_BYTES     32
#define SK_BLIND_BYTES   16        /* blind index values */
#define SK_SEAL_OVERHEAD (24 + 16) /* nonce + tag */
#define SK_ENV_KEY       "SAFEKEEP_KEY"
#define SK_ENV_KEY_FILE  "SAFEKEEP_KEY_FILE"

typedef struct sk_keyring sk_keyring;

/* Initialises libsodium; idempotent and thread-safe. SK_ERR_CRYPTO on failure. */
SK_NODISCARD sk_err sk_crypto_init(void);

/* Creates a new random master key and writes it, hex-encoded, to path with
 * mode 0600 (O_EXCL: an existing file is SK_ERR_CONFLICT, never overwritten). */
SK_NODISCARD sk_err sk_keyring_create_file(const char *path, sk_diag *diag);

/*
 * Loads the master key: from $SAFEKEEP_KEY (64 hex digits) if set, else from
 * the file path. A file readable by group or others is refused
 * (SK_ERR_DENIED), as is a malformed one (SK_ERR_INVALID). Caller frees with
 * sk_keyring_free.
 */
SK_NODISCARD sk_err sk_keyring_open(const char *path, sk_keyring **out, sk_diag *diag);

/* Wipes and frees. NULL accepted. */
void sk_keyring_free(sk_keyring *keyring);

/* Bytes of ciphertext for plain_len bytes of plaintext. */
size_t sk_seal_len(size_t plain_len);

/*
 * Encrypts plain into out (sk_seal_len(plain.len) bytes, caller-provided):
 * nonce || ciphertext || tag. ad is authenticated but not encrypted (binds
 * the ciphertext to its record id). Nonces are 192-bit: a random prefix drawn
 * when the keyring is opened and a counter (the only state keyring changes), so they never
 * repeat under one key. Thread-safe.
 */
SK_NODISCARD sk_err sk_seal(sk_keyring *keyring, sk_str plain, sk_str ad, unsigned char *out);

/* Decrypts sealed into out (sealed_len - SK_SEAL_OVERHEAD bytes). Any
 * tampering, wrong key or wrong ad gives SK_ERR_CRYPTO. */
SK_NODISCARD sk_err sk_unseal(const sk_keyring *keyring, const unsigned char *sealed,
                              size_t sealed_len, sk_str ad, unsigned char *out);

/* Keyed blind index of a normalised value within a domain ("anum",
 * "name_dob"); equal inputs give equal outputs, nothing else is learnt. */
void sk_blind_index(const sk_keyring *keyring, const char *domain, sk_str normalised,
                    unsigned char out[SK_BLIND_BYTES]);

/* Unkeyed BLAKE2b of data into out (16..64 bytes): for deriving stable ids. */
void sk_hash(sk_str data, unsigned char *out, size_t out_len);

#define SK_SHA256_BYTES      32
#define SK_SIGN_BYTES        64
#define SK_SIGN_PUBLIC_BYTES 32

/* Ed25519 signature with the keyring's signing key (derived from the master
 * key, so init creates it with the database key). Thread-safe. */
void sk_sign(const sk_keyring *keyring, const void *msg, size_t len,
             unsigned char sig[SK_SIGN_BYTES]);

/* The signing key's public half. */
void sk_sign_public_key(const sk_keyring *keyring, unsigned char out[SK_SIGN_PUBLIC_BYTES]);

/* 1 when sig is a valid Ed25519 signature of msg under public_key. */
int sk_sign_verify(const unsigned char public_key[SK_SIGN_PUBLIC_BYTES], const void *msg,
                   size_t len, const unsigned char sig[SK_SIGN_BYTES]);

/* SHA-256 of the concatenation of up to three parts (NULL/0 parts are
 * skipped): enough for RFC 9162 leaf and node hashes without copying. */
void sk_sha256(const void *a, size_t a_len, const void *b, size_t b_len, const void *c,
               size_t c_len, unsigned char out[SK_SHA256_BYTES]);

#define SK_TOKEN_HASH_BYTES 32

/* Keyed BLAKE2b-256 of a bearer token's whole text, under a subkey used for
 * nothing else: what is stored instead of the token, so that a copy of the
 * database does not let anyone present it. Thread-safe. */
void sk_crypto_token_hash(const sk_keyring *keyring, sk_str token,
                          unsigned char out[SK_TOKEN_HASH_BYTES]);

/* 1 when the len bytes at a and b are equal, 0 otherwise, in time that
 * depends only on len (for comparing secrets and their hashes). */
int sk_crypto_eq(const void *a, const void *b, size_t len);

/* Fills buf with random bytes. */
void sk_random_bytes(void *buf, size_t len);

/* Overwrites memory in a way the compiler may not elide. */
void sk_wipe(void *buf, size_t len);

/* Hex encoding helpers; out holds 2*len+1 bytes. */
void sk_hex_encode(const unsigned char *in, size_t len, char *out);

#define SK_HMAC_SHA256_BYTES 32

/*
 * HMAC-SHA256 (RFC 2104) under key (key_len bytes, any length: longer keys
 * are hashed first, as the RFC says) of the concatenation of parts_count
 * slices, so that a caller can authenticate "id.timestamp.body" without
 * copying the body. Slices of length 0 are skipped. Writes 32 bytes to out.
 * Thread-safe; cannot fail.
 */
void sk_hmac_sha256(const void *key, size_t key_len, const sk_str *parts, size_t parts_count,
                    unsigned char out[SK_HMAC_SHA256_BYTES]);

/* Bytes that sk_base64_encode writes for len bytes of input, NUL included
 * (standard alphabet with '=' padding, RFC 4648 section 4). */
size_t sk_base64_encoded_len(size_t len);

/* Standard base64 with padding of the len bytes at in, NUL-terminated, into
 * out (out_cap >= sk_base64_encoded_len(len), asserted). Thread-safe. */
void sk_base64_encode(const unsigned char *in, size_t len, char *out, size_t out_cap);

/*
 * Decodes standard base64 with padding (RFC 4648 section 4; no whitespace,
 * no URL-safe alphabet) into out, at most out_cap bytes, and stores the
 * decoded length in *out_len. SK_ERR_INVALID when text is not exactly
 * well-formed base64 or decodes to more than out_cap bytes. Thread-safe.
 */
SK_NODISCARD sk_err sk_base64_decode(sk_str text, unsigned char *out, size_t out_cap,
                                     size_t *out_len);

#endif /* SK_CRYPTO_H */
