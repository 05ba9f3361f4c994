/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger_seal.c: chain hashes and signed tree heads for the ledger.
 *
 * A row's leaf is SHA-256(0x00 || its canonical bytes): every stored column
 * of the row, in a fixed order, strings as a 32-bit length and the bytes,
 * integers as 8 little-endian bytes; so any change to any column changes the
 * leaf. The state (Merkle frontier and last chain hash) is saved in the
 * store's metadata with each commit, in the same transaction as the rows,
 * so it can never run ahead of or behind the ledger.
 */
#include "safekeep/sk_ledger_seal.h"

#include <time.h>

#include "sk_int.h"

#define META_KEY      "ledger_seal"
#define STATE_BYTES   (8 + 8 + 32 + 64 * 32)
#define CONTEXT       "safekeep-ledger-sth-v1"
#define ROW_BYTES_MAX (1024 * 1024)

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

sk_err sk_ledger_seal_load(sk_store *store, sk_ledger_seal *seal, sk_diag *diag)
{
    unsigned char state[STATE_BYTES + 1];
    size_t len = 0;
    sk_err rc;

    memset(seal, 0, sizeof(*seal));
    sk_merkle_frontier_init(&seal->frontier);
    sk_buf_init(&seal->scratch, ROW_BYTES_MAX);
    rc = sk_store_meta_get(store, META_KEY, state, sizeof(state), &len, diag);
    if (rc == SK_ERR_NOT_FOUND)
        return SK_OK;
    if (rc != SK_OK)
        return rc;
    if (len != STATE_BYTES)
        return sk_diag_set(diag, SK_ERR_CRYPTO, "ledger", "the ledger's seal state is damaged");
    seal->frontier.size = get64(state);
    seal->sealed_size = get64(state + 8);
    memcpy(seal->chain, state + 16, 32);
    memcpy(seal->frontier.nodes, state + 48, 64 * 32);
    return SK_OK;
}

void sk_ledger_seal_fini(sk_ledger_seal *seal)
{
    sk_buf_fini(&seal->scratch);
}

static sk_err put_str(sk_buf *b, sk_str s)
{
    unsigned char n[4] = {(unsigned char)s.len, (unsigned char)(s.len >> 8),
                          (unsigned char)(s.len >> 16), (unsigned char)(s.len >> 24)};
    sk_err rc = sk_buf_append(b, n, sizeof(n));
    return rc == SK_OK ? sk_buf_append(b, s.ptr, s.len) : rc;
}

static sk_err put_int(sk_buf *b, uint64_t v)
{
    unsigned char n[8];
    put64(n, v);
    return sk_buf_append(b, n, sizeof(n));
}

/* The canonical bytes of a row: every column, fixed order. */
static sk_err encode(const sk_ledger_row *r, sk_buf *b)
{
    size_t i;
    sk_err rc;

    sk_buf_reset(b);
    rc = put_str(b, r->id);
    if (rc == SK_OK)
        rc = put_str(b, r->type);
    if (rc == SK_OK)
        rc = put_int(b, (uint64_t)r->occurred_at);
    if (rc == SK_OK)
        rc = put_int(b, (uint64_t)r->recorded_at);
    if (rc == SK_OK)
        rc = put_str(b, r->agency);
    if (rc == SK_OK)
        rc = put_str(b, r->user);
    if (rc == SK_OK)
        rc = put_int(b, r->subject_count);
    for (i = 0; rc == SK_OK && i < r->subject_count; i++)
        rc = put_str(b, r->subjects[i]);
    if (rc == SK_OK)
        rc = put_str(b, r->payload_json);
    if (rc == SK_OK)
        rc = put_str(b, (sk_str){(const char *)r->identity_sealed,
                                 r->identity_sealed ? r->identity_sealed_len : 0});
    if (rc == SK_OK)
        rc = put_str(b, r->prov_source);
    if (rc == SK_OK)
        rc = put_str(b, r->prov_ref);
    if (rc == SK_OK)
        rc = put_int(b, (uint64_t)(unsigned char)r->prov_reliability);
    if (rc == SK_OK)
        rc = put_int(b, r->dq_flags);
    return rc;
}

/* The next chain value and leaf of a row, without changing the state. */
static sk_err link_of(sk_ledger_seal *seal, const sk_ledger_row *row, unsigned char leaf[32],
                      unsigned char chain[32])
{
    sk_err rc = encode(row, &seal->scratch);

    if (rc != SK_OK)
        return rc;
    sk_merkle_leaf_hash(seal->scratch.ptr, seal->scratch.len, leaf);
    sk_sha256(seal->chain, 32, leaf, 32, NULL, 0, chain);
    return SK_OK;
}

sk_err sk_ledger_seal_row(sk_ledger_seal *seal, sk_ledger_row *row)
{
    unsigned char leaf[32];
    sk_err rc = link_of(seal, row, leaf, row->chain);

    if (rc != SK_OK)
        return rc;
    sk_merkle_frontier_append(&seal->frontier, leaf);
    memcpy(seal->chain, row->chain, 32);
    return SK_OK;
}

static void signed_bytes(const sk_store_head *h, unsigned char *out)
{
    memcpy(out, CONTEXT, sizeof(CONTEXT));
    put64(out + sizeof(CONTEXT), h->size);
    put64(out + sizeof(CONTEXT) + 8, (uint64_t)h->timestamp_ms);
    memcpy(out + sizeof(CONTEXT) + 16, h->root, 32);
    memcpy(out + sizeof(CONTEXT) + 48, h->chain, 32);
}

#define SIGNED_BYTES (sizeof(CONTEXT) + 80)

sk_err sk_ledger_seal_commit(sk_ledger_seal *seal, sk_store *store, const sk_keyring *keyring,
                             sk_diag *diag)
{
    unsigned char state[STATE_BYTES], msg[SIGNED_BYTES];
    struct timespec ts;
    sk_store_head h;
    sk_err rc;

    if (seal->frontier.size == seal->sealed_size)
        return SK_OK;
    clock_gettime(CLOCK_REALTIME, &ts);
    h.size = seal->frontier.size;
    h.timestamp_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    sk_merkle_frontier_root(&seal->frontier, h.root);
    memcpy(h.chain, seal->chain, 32);
    signed_bytes(&h, msg);
    sk_sign(keyring, msg, sizeof(msg), h.signature);
    rc = sk_store_ledger_head_put(store, &h, diag);
    put64(state, seal->frontier.size);
    put64(state + 8, seal->frontier.size);
    memcpy(state + 16, seal->chain, 32);
    memcpy(state + 48, seal->frontier.nodes, 64 * 32);
    if (rc == SK_OK)
        rc = sk_store_meta_put(store, META_KEY, state, sizeof(state), diag);
    if (rc == SK_OK)
        seal->sealed_size = seal->frontier.size;
    return rc;
}

/* ---- verification ---- */

#define HEADS_MAX 1000000

typedef struct verify_ctx {
    sk_ledger_seal seal;
    sk_store_head *heads;
    size_t head_count, head_next;
    unsigned char pub[32];
    uint64_t bad_seq;
    sk_err rc;
    sk_diag *diag;
} verify_ctx;

static int collect_head(const sk_store_head *h, void *vctx)
{
    verify_ctx *v = vctx;

    if (v->head_count == HEADS_MAX)
        return 1;
    if (v->head_count % 1024 == 0) {
        sk_store_head *n = realloc(v->heads, (v->head_count + 1024) * sizeof(*n));
        if (n == NULL) {
            v->rc = SK_ERR_NOMEM;
            return 1;
        }
        v->heads = n;
    }
    v->heads[v->head_count++] = *h;
    return 0;
}

static int check_head(verify_ctx *v, uint64_t seq)
{
    const sk_store_head *h = &v->heads[v->head_next];
    unsigned char root[32], msg[SIGNED_BYTES];

    signed_bytes(h, msg);
    sk_merkle_frontier_root(&v->seal.frontier, root);
    if (!sk_sign_verify(v->pub, msg, sizeof(msg), h->signature) || memcmp(root, h->root, 32) != 0 ||
        memcmp(v->seal.chain, h->chain, 32) != 0) {
        v->bad_seq = seq;
        v->rc = sk_diag_set(v->diag, SK_ERR_CRYPTO, "ledger",
                            "the signed tree head over %llu rows does not match (rows up to "
                            "seq %llu were rewritten, or the head was)",
                            (unsigned long long)h->size, (unsigned long long)seq);
        return 1;
    }
    v->head_next++;
    return 0;
}

static int verify_row(const sk_ledger_row *row, void *vctx)
{
    verify_ctx *v = vctx;
    unsigned char leaf[32], chain[32];

    v->rc = link_of(&v->seal, row, leaf, chain);
    if (v->rc != SK_OK)
        return 1;
    if (memcmp(chain, row->chain, 32) != 0) {
        v->bad_seq = row->seq;
        v->rc = sk_diag_set(v->diag, SK_ERR_CRYPTO, "ledger",
                            "row seq %llu does not match its chain hash (altered, removed, "
                            "inserted or moved)",
                            (unsigned long long)row->seq);
        return 1;
    }
    sk_merkle_frontier_append(&v->seal.frontier, leaf);
    memcpy(v->seal.chain, chain, 32);
    while (v->head_next < v->head_count && v->heads[v->head_next].size == v->seal.frontier.size) {
        if (check_head(v, row->seq))
            return 1;
    }
    return 0;
}

sk_err sk_ledger_verify(sk_store *store, const sk_keyring *keyring, uint64_t *rows, uint64_t *heads,
                        uint64_t *bad_seq, sk_diag *diag)
{
    verify_ctx v;
    sk_err rc;

    memset(&v, 0, sizeof(v));
    v.diag = diag;
    sk_merkle_frontier_init(&v.seal.frontier);
    sk_buf_init(&v.seal.scratch, ROW_BYTES_MAX);
    sk_sign_public_key(keyring, v.pub);
    rc = sk_store_ledger_heads(store, collect_head, &v, diag);
    if (rc == SK_OK)
        rc = v.rc;
    if (rc == SK_OK)
        rc = sk_store_ledger_scan(store, SK_SCAN_SEQ, SK_STR_NULL, verify_row, &v, diag);
    if (rc == SK_OK)
        rc = v.rc;
    if (rc == SK_OK && v.head_count > 0 && v.heads[v.head_count - 1].size < v.seal.frontier.size) {
        v.bad_seq = v.heads[v.head_count - 1].size + 1;
        rc = sk_diag_set(diag, SK_ERR_CRYPTO, "ledger",
                         "rows from seq %llu on are not covered by a signed tree head (added "
                         "behind the ledger's back)",
                         (unsigned long long)v.bad_seq);
    }
    if (rc == SK_OK && v.head_count == 0 && v.seal.frontier.size > 0) {
        v.bad_seq = 1;
        rc = sk_diag_set(diag, SK_ERR_CRYPTO, "ledger", "no signed tree head covers the ledger");
    }
    if (rc == SK_OK && v.head_next != v.head_count) {
        v.bad_seq = v.seal.frontier.size + 1;
        rc = sk_diag_set(diag, SK_ERR_CRYPTO, "ledger",
                         "rows are missing: a signed head covers %llu rows, the ledger has %llu",
                         (unsigned long long)v.heads[v.head_next].size,
                         (unsigned long long)v.seal.frontier.size);
    }
    *rows = v.seal.frontier.size;
    *heads = v.head_count;
    *bad_seq = v.bad_seq;
    free(v.heads);
    sk_ledger_seal_fini(&v.seal);
    return rc;
}
