/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_token.h: bearer tokens for the HTTP API. A token names an agency, a
 * user and a role; the server checks it on every request and takes the
 * requester's identity from it, never from the request itself.
 *
 * A token's text is "skt_" + 16 lower-case hexadecimal digits (its public
 * id, used to list and revoke it) + "_" + 43 characters of base64url (32
 * random bytes, no padding). It is shown once, when it is created; the
 * store keeps only a keyed BLAKE2b-256 hash of the whole text, under a
 * subkey of the database key, so a copy of the database cannot be used to
 * present a token. Tokens can expire and be revoked; a revoked or expired
 * token stays listed, for the record.
 */
#ifndef SK_TOKEN_H
#define SK_TOKEN_H

#include <stdint.h>

#include "safekeep/sk_core.h"
#include "safekeep/sk_crypto.h"
#include "safekeep/sk_store.h"

#define SK_TOKEN_PREFIX       "skt_"
#define SK_TOKEN_PREFIX_LEN   4
#define SK_TOKEN_ID_LEN       16 /* hexadecimal digits: 8 random bytes */
#define SK_TOKEN_SECRET_LEN   43 /* base64url of 32 random bytes, unpadded */
#define SK_TOKEN_SECRET_BYTES 32
#define SK_TOKEN_LEN          (SK_TOKEN_PREFIX_LEN + SK_TOKEN_ID_LEN + 1 + SK_TOKEN_SECRET_LEN)
#define SK_TOKEN_FIELD_MAX    64 /* agency, user and role: 1..63 characters, NUL included */

/* What a token grants, as stored. Times are Unix seconds. */
typedef struct sk_token_info {
    char id[SK_TOKEN_ID_LEN + 1];
    char agency[SK_TOKEN_FIELD_MAX];
    char user[SK_TOKEN_FIELD_MAX];
    char role[SK_TOKEN_FIELD_MAX];
    int64_t created_at; /* Unix seconds */
    int64_t expires_at; /* 0 = never */
    int64_t revoked_at; /* 0 = not revoked */
} sk_token_info;

/*
 * Creates a token for user of agency in role, valid from now until
 * expires_at (0: no expiry), and stores its hash. Writes the token text,
 * NUL-terminated, into token_out and fills *info; the caller shows the text
 * to its holder once and must not log or store it (wipe it with sk_wipe).
 * agency, user and role are ids: 1..63 characters of [A-Za-z0-9._:-].
 * Returns SK_ERR_INVALID (diag names the field, never its value) for a bad
 * id or an expiry that is not after now, SK_ERR_STORE (detail in diag) when
 * the store fails, SK_ERR_CONFLICT should a random id ever repeat (try
 * again); on any error token_out is the empty string and *info zeroed.
 * keyring and all text are borrowed. Thread-safe given one store handle per
 * thread.
 */
SK_NODISCARD sk_err sk_token_create(sk_store *store, const sk_keyring *keyring, sk_str agency,
                                    sk_str user, sk_str role, int64_t expires_at, int64_t now,
                                    char token_out[SK_TOKEN_LEN + 1], sk_token_info *info,
                                    sk_diag *diag);

/*
 * Checks a presented token (the text after "Bearer "). SK_OK and *info when
 * it is valid at now; SK_ERR_DENIED for every failure (malformed, unknown
 * id, wrong secret, revoked, expired: now >= expires_at), so a caller cannot
 * tell them apart; SK_ERR_STORE only when the store fails. The stored hash
 * is compared in constant time. *info is zeroed unless SK_OK. presented is
 * borrowed and never copied or logged. Thread-safe given one store handle
 * per thread.
 */
SK_NODISCARD sk_err sk_token_verify(sk_store *store, const sk_keyring *keyring, sk_str presented,
                                    int64_t now, sk_token_info *info);

/* Revokes the token with this id at now. SK_ERR_NOT_FOUND when there is no
 * such token (diag says so); revoking a revoked token is SK_OK and keeps the
 * first time. SK_ERR_STORE on a store failure. */
SK_NODISCARD sk_err sk_token_revoke(sk_store *store, sk_str id, int64_t now, sk_diag *diag);

/* Fetches one token's info by id into *info. SK_ERR_NOT_FOUND when there is
 * no such token, SK_ERR_STORE on a store failure. */
SK_NODISCARD sk_err sk_token_get(sk_store *store, sk_str id, sk_token_info *info, sk_diag *diag);

/*
 * Calls cb with each token of agency (every agency when agency.len == 0),
 * ordered by created_at then id, revoked and expired ones included. info is
 * borrowed for the call; a non-zero return stops the listing (still SK_OK).
 * SK_ERR_INVALID for a malformed agency, SK_ERR_STORE on a store failure.
 */
typedef int (*sk_token_cb)(const sk_token_info *info, void *ctx);
SK_NODISCARD sk_err sk_token_list(sk_store *store, sk_str agency, sk_token_cb cb, void *ctx,
                                  sk_diag *diag);

#endif /* SK_TOKEN_H */
