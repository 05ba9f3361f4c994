/* SPDX-License-Identifier: Apache-2.0 */
/*
 * token.c: bearer tokens for the HTTP API (sk_token.h).
 *
 * A token is "skt_" + a 16-digit hexadecimal id + "_" + 32 random bytes in
 * base64url. The id is public: it finds the stored row and names the token
 * in lists and revocations, so no secret ever has to be typed on a command
 * line to revoke one. What is stored is a BLAKE2b-256 of the whole text
 * keyed with a subkey of the database key (sk_crypto_token_hash): someone
 * who reads the database, or a backup of it, learns neither the token nor
 * anything to test guesses against without the key. The 256-bit secret
 * makes guessing hopeless, so no slow password hash is needed, and checking
 * a token costs one keyed hash and one indexed lookup per request.
 *
 * Verification gives one answer, SK_ERR_DENIED, for every kind of failure
 * (malformed, unknown id, wrong secret, revoked, expired), and hashes the
 * presented text before the lookup so that an unknown id costs about what a
 * wrong secret does; the hashes are compared in constant time. Only a
 * store failure is reported differently, because the server must answer it
 * with an error of its own rather than with "unauthorised".
 */
#include "safekeep/sk_token.h"

#include "safekeep/sk_id.h"

#include "sk_int.h"

#define ID_BYTES  (SK_TOKEN_ID_LEN / 2)
#define ID_AT     SK_TOKEN_PREFIX_LEN       /* offset of the id in the text */
#define SEP_AT    (ID_AT + SK_TOKEN_ID_LEN) /* offset of the '_' after it */
#define SECRET_AT (SEP_AT + 1)              /* offset of the base64url secret */

static_assert(SK_TOKEN_LEN == 64, "token text length");
static_assert(sizeof(SK_TOKEN_PREFIX) - 1 == SK_TOKEN_PREFIX_LEN, "token prefix length");
static_assert(SK_TOKEN_SECRET_LEN == (SK_TOKEN_SECRET_BYTES * 4 + 2) / 3, "unpadded base64url");
static_assert(SK_TOKEN_FIELD_MAX == SK_STORE_TOKEN_FIELD_MAX, "field sizes agree with the store");
static_assert(SK_TOKEN_ID_LEN < SK_STORE_TOKEN_FIELD_MAX, "an id fits the store's field");
static_assert(SK_TOKEN_HASH_BYTES == SK_STORE_TOKEN_HASH_BYTES, "hash sizes agree");

/* One base64url digit (RFC 4648 section 5) of a 6-bit value, computed
 * rather than looked up so that no memory access depends on the secret. */
static char b64url_digit(unsigned v)
{
    unsigned c = v + 'A';

    c += ((25u - v) >> 8) & 6u;  /* 26..51: 'a'.. */
    c -= ((51u - v) >> 8) & 75u; /* 52..61: '0'.. */
    c -= ((61u - v) >> 8) & 13u; /* 62: '-' */
    c += ((62u - v) >> 8) & 49u; /* 63: '_' */
    return (char)c;
}

/* Encodes len bytes as unpadded base64url into out, NUL-terminated. */
static void b64url_encode(const unsigned char *in, size_t len, char *out)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t i, o = 0;

    for (i = 0; i < len; i++) {
        acc = ((acc << 8) | in[i]) & 0xFFFFu;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = b64url_digit((acc >> bits) & 63u);
        }
    }
    if (bits > 0)
        out[o++] = b64url_digit((acc << (6 - bits)) & 63u);
    out[o] = '\0';
}

static int is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* 1 when id is a token id: SK_TOKEN_ID_LEN lower-case hexadecimal digits. */
static int id_well_formed(sk_str id)
{
    size_t i;

    if (id.ptr == NULL || id.len != SK_TOKEN_ID_LEN)
        return 0;
    for (i = 0; i < id.len; i++) {
        if (!is_lower_hex(id.ptr[i]))
            return 0;
    }
    return 1;
}

/* 1 when t has the shape of a token. The checks may stop early: they only
 * look at what the presenter sent, not at anything secret of ours. */
static int well_formed(sk_str t)
{
    size_t i;

    if (t.ptr == NULL || t.len != SK_TOKEN_LEN ||
        memcmp(t.ptr, SK_TOKEN_PREFIX, SK_TOKEN_PREFIX_LEN) != 0 || t.ptr[SEP_AT] != '_' ||
        !id_well_formed((sk_str){t.ptr + ID_AT, SK_TOKEN_ID_LEN}))
        return 0;
    for (i = SECRET_AT; i < SK_TOKEN_LEN; i++) {
        if (!is_b64url(t.ptr[i]))
            return 0;
    }
    return 1;
}

/* Copies a NUL-terminated field into a buffer of cap bytes, truncating. */
static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void copy_str(char *dst, size_t cap, sk_str src)
{
    size_t n = src.len < cap - 1 ? src.len : cap - 1;

    if (n > 0)
        memcpy(dst, src.ptr, n);
    dst[n] = '\0';
}

static void info_from_row(const sk_store_token *row, sk_token_info *info)
{
    memset(info, 0, sizeof(*info));
    copy_field(info->id, sizeof(info->id), row->id);
    copy_field(info->agency, sizeof(info->agency), row->agency);
    copy_field(info->user, sizeof(info->user), row->user);
    copy_field(info->role, sizeof(info->role), row->role);
    info->created_at = row->created_at;
    info->expires_at = row->expires_at;
    info->revoked_at = row->revoked_at;
}

/* The diagnostic names the field but never quotes the value: a user id may
 * be a person's name. */
static sk_err check_field(sk_str value, const char *field, sk_diag *diag)
{
    if (!sk_id_valid(value, SK_TOKEN_FIELD_MAX - 1))
        return sk_diag_set(diag, SK_ERR_INVALID, field,
                           "expected 1 to %d characters of A-Z a-z 0-9 . _ : -",
                           SK_TOKEN_FIELD_MAX - 1);
    return SK_OK;
}

static sk_err check_create(sk_str agency, sk_str user, sk_str role, int64_t expires_at, int64_t now,
                           sk_diag *diag)
{
    sk_err rc = check_field(agency, "agency", diag);

    if (rc == SK_OK)
        rc = check_field(user, "user", diag);
    if (rc == SK_OK)
        rc = check_field(role, "role", diag);
    if (rc == SK_OK && expires_at != 0 && expires_at <= now)
        rc = sk_diag_set(diag, SK_ERR_INVALID, "expires_at",
                         "the expiry must be later than the time of creation");
    return rc;
}

/* Draws a new token's text and fills the stored row's id and hash. */
static void token_draw(const sk_keyring *keyring, char text[SK_TOKEN_LEN + 1], sk_store_token *row)
{
    unsigned char id_bytes[ID_BYTES], secret[SK_TOKEN_SECRET_BYTES];

    sk_random_bytes(id_bytes, sizeof(id_bytes));
    sk_random_bytes(secret, sizeof(secret));
    memcpy(text, SK_TOKEN_PREFIX, SK_TOKEN_PREFIX_LEN);
    sk_hex_encode(id_bytes, sizeof(id_bytes), text + ID_AT); /* NUL lands on SEP_AT */
    text[SEP_AT] = '_';
    b64url_encode(secret, sizeof(secret), text + SECRET_AT);
    SK_ASSERT(strlen(text) == SK_TOKEN_LEN);
    memcpy(row->id, text + ID_AT, SK_TOKEN_ID_LEN);
    row->id[SK_TOKEN_ID_LEN] = '\0';
    sk_crypto_token_hash(keyring, (sk_str){text, SK_TOKEN_LEN}, row->hash);
    sk_wipe(secret, sizeof(secret));
}

sk_err sk_token_create(sk_store *store, const sk_keyring *keyring, sk_str agency, sk_str user,
                       sk_str role, int64_t expires_at, int64_t now,
                       char token_out[SK_TOKEN_LEN + 1], sk_token_info *info, sk_diag *diag)
{
    char text[SK_TOKEN_LEN + 1];
    sk_store_token row;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(keyring != NULL);
    SK_ASSERT(token_out != NULL);
    SK_ASSERT(info != NULL);
    token_out[0] = '\0';
    memset(&row, 0, sizeof(row));
    memset(text, 0, sizeof(text));
    rc = check_create(agency, user, role, expires_at, now, diag);
    if (rc != SK_OK)
        goto out;
    token_draw(keyring, text, &row);
    copy_str(row.agency, sizeof(row.agency), agency);
    copy_str(row.user, sizeof(row.user), user);
    copy_str(row.role, sizeof(row.role), role);
    row.created_at = now;
    row.expires_at = expires_at;
    /* A clash of two random 64-bit ids is SK_ERR_CONFLICT from the store's
     * primary key, never a silent overwrite. */
    rc = sk_store_token_put(store, &row, diag);
    if (rc != SK_OK)
        goto out;
    memcpy(token_out, text, SK_TOKEN_LEN + 1);
    info_from_row(&row, info);
out:
    /* info is written last: the caller may pass fields of it as input. */
    if (rc != SK_OK)
        memset(info, 0, sizeof(*info));
    sk_wipe(text, sizeof(text));
    sk_wipe(&row, sizeof(row));
    return rc;
}

sk_err sk_token_verify(sk_store *store, const sk_keyring *keyring, sk_str presented, int64_t now,
                       sk_token_info *info)
{
    unsigned char hash[SK_TOKEN_HASH_BYTES];
    sk_store_token row;
    sk_err rc = SK_ERR_DENIED;
    int ok;

    SK_ASSERT(store != NULL);
    SK_ASSERT(keyring != NULL);
    SK_ASSERT(info != NULL);
    memset(info, 0, sizeof(*info));
    memset(&row, 0, sizeof(row));
    memset(hash, 0, sizeof(hash));
    if (!well_formed(presented))
        goto out;
    sk_crypto_token_hash(keyring, presented, hash);
    rc = sk_store_token_get(store, (sk_str){presented.ptr + ID_AT, SK_TOKEN_ID_LEN}, &row, NULL);
    if (rc == SK_ERR_NOT_FOUND)
        rc = SK_ERR_DENIED;
    else if (rc != SK_OK)
        rc = SK_ERR_STORE;
    if (rc != SK_OK)
        goto out;
    /* Every condition is evaluated, without branching on the hash. */
    ok = sk_crypto_eq(row.hash, hash, sizeof(hash));
    ok &= row.revoked_at == 0;
    ok &= row.expires_at == 0 || now < row.expires_at;
    if (!ok) {
        rc = SK_ERR_DENIED;
        goto out;
    }
    info_from_row(&row, info);
out:
    sk_wipe(hash, sizeof(hash));
    sk_wipe(&row, sizeof(row));
    return rc;
}

sk_err sk_token_revoke(sk_store *store, sk_str id, int64_t now, sk_diag *diag)
{
    sk_err rc = SK_ERR_NOT_FOUND;

    SK_ASSERT(store != NULL);
    /* revoked_at == 0 means "not revoked": a revocation needs a real time. */
    SK_ASSERT(now > 0);
    if (id_well_formed(id))
        rc = sk_store_token_revoke(store, id, now, diag);
    if (rc == SK_ERR_NOT_FOUND)
        rc = sk_diag_set(diag, SK_ERR_NOT_FOUND, "id", "no token with this id");
    return rc;
}

sk_err sk_token_get(sk_store *store, sk_str id, sk_token_info *info, sk_diag *diag)
{
    sk_store_token row;
    sk_err rc = SK_ERR_NOT_FOUND;

    SK_ASSERT(store != NULL);
    SK_ASSERT(info != NULL);
    memset(&row, 0, sizeof(row));
    /* info is written only after the lookup: id may point into it. */
    if (id_well_formed(id))
        rc = sk_store_token_get(store, id, &row, diag);
    if (rc == SK_ERR_NOT_FOUND)
        rc = sk_diag_set(diag, SK_ERR_NOT_FOUND, "id", "no token with this id");
    if (rc == SK_OK)
        info_from_row(&row, info);
    else
        memset(info, 0, sizeof(*info));
    sk_wipe(&row, sizeof(row));
    return rc;
}

typedef struct list_ctx {
    sk_token_cb cb;
    void *ctx;
} list_ctx;

static int list_row(const sk_store_token *row, void *vctx)
{
    const list_ctx *l = vctx;
    sk_token_info info;

    info_from_row(row, &info);
    return l->cb(&info, l->ctx);
}

sk_err sk_token_list(sk_store *store, sk_str agency, sk_token_cb cb, void *ctx, sk_diag *diag)
{
    list_ctx l = {cb, ctx};

    SK_ASSERT(store != NULL);
    SK_ASSERT(cb != NULL);
    if (agency.len > 0 && check_field(agency, "agency", diag) != SK_OK)
        return SK_ERR_INVALID;
    return sk_store_token_list(store, agency, list_row, &l, diag);
}
