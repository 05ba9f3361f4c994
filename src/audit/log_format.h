/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_format.h: the on-disk format of the audit log, shared by the writer
 * (log.c) and the reader and verifier (verify.c).
 *
 * The file is a sequence of entries, all integers little-endian:
 *   'R' u32 len  json[len]  chain[32]      an audit record
 *   'H' u32 144  size u64  time_ms i64  root[32]  chain[32]  sig[64]
 * chain_i = SHA-256(chain_{i-1} || leaf_i), chain_{-1} = 32 zero bytes, and
 * leaf_i = SHA-256(0x00 || json_i) as in RFC 9162. A head's signature is
 * Ed25519 over "safekeep-sth-v1" NUL, size, time, root and chain. The chain
 * lets a verifier name the first altered record even when the tree heads
 * are intact; the signed heads stop anyone without the key from rewriting
 * the chain to match.
 */
#ifndef SK_AUDIT_LOG_FORMAT_H
#define SK_AUDIT_LOG_FORMAT_H

#include <stdint.h>
#include <string.h>

#include "safekeep/sk_audit.h"
#include "safekeep/sk_merkle.h"

#define LOG_TAG_RECORD   'R'
#define LOG_TAG_HEAD     'H'
#define LOG_FRAME_BYTES  5 /* tag + u32 length */
#define LOG_HEAD_BYTES   (8 + 8 + 32 + 32 + 64)
#define LOG_STH_CONTEXT  "safekeep-sth-v1"
#define LOG_SIGNED_BYTES (sizeof(LOG_STH_CONTEXT) + 8 + 8 + 32 + 32)

static inline void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* The bytes a tree head's signature covers. */
static inline void sth_signed_bytes(const sk_audit_sth *h, unsigned char out[LOG_SIGNED_BYTES])
{
    memcpy(out, LOG_STH_CONTEXT, sizeof(LOG_STH_CONTEXT));
    put_u64(out + sizeof(LOG_STH_CONTEXT), h->size);
    put_u64(out + sizeof(LOG_STH_CONTEXT) + 8, (uint64_t)h->timestamp_ms);
    memcpy(out + sizeof(LOG_STH_CONTEXT) + 16, h->root, 32);
    memcpy(out + sizeof(LOG_STH_CONTEXT) + 48, h->chain, 32);
}

/* Serialises a head entry (frame included) into out (LOG_FRAME_BYTES +
 * LOG_HEAD_BYTES bytes). */
static inline void head_entry(const sk_audit_sth *h, unsigned char *out)
{
    out[0] = LOG_TAG_HEAD;
    put_u32(out + 1, LOG_HEAD_BYTES);
    put_u64(out + 5, h->size);
    put_u64(out + 13, (uint64_t)h->timestamp_ms);
    memcpy(out + 21, h->root, 32);
    memcpy(out + 53, h->chain, 32);
    memcpy(out + 85, h->signature, 64);
}

/* The state a scan of the log reaches; the writer continues from it. */
typedef struct log_state {
    sk_merkle_frontier frontier;
    unsigned char chain[32];
    uint64_t size;        /* records */
    uint64_t signed_end;  /* file offset just past the last valid head */
    uint64_t signed_size; /* records covered by that head */
    sk_audit_sth head;    /* that head; size 0 and zero root when none */
} log_state;

/* Scans the bytes of a log. Returns SK_OK when everything up to the end is
 * valid and signed; otherwise an error with *bad_seq, a diagnostic, and
 * *tail_only = 1 when the first problem lies after the last valid head (a
 * crash tail that was never acknowledged). st holds the state up to the
 * last valid head in every case. */
sk_err sk_audit_scan(const unsigned char *data, size_t len, const unsigned char pubkey[32],
                     sk_audit_record_cb cb, void *ctx, log_state *st, uint64_t *bad_seq,
                     int *tail_only, sk_diag *diag);

#endif /* SK_AUDIT_LOG_FORMAT_H */
