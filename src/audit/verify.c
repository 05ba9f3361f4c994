/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify.c: reading and verifying the audit log.
 *
 * One sequential pass recomputes every leaf hash, the hash chain and the
 * Merkle frontier, and checks each signed tree head against them. The first
 * entry that does not match is named by its record number: a record whose
 * content or stored chain hash was changed, deleted or moved fails its own
 * chain check; a head fails when the records it covers were rewritten
 * consistently (root or chain differ) or its signature does not verify.
 * Bytes after the last valid head are a crash tail (never acknowledged) or
 * tampering: the scan says which record they start at and lets the caller
 * decide (the writer cuts them off; the verifier reports them).
 */
#include "log_format.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sk_int.h"

typedef struct cursor {
    sk_merkle_frontier frontier;
    unsigned char chain[32];
    uint64_t size;
} cursor;

static sk_err fail_at(uint64_t seq, uint64_t *bad_seq, sk_diag *diag, const char *msg)
{
    *bad_seq = seq;
    return sk_diag_set(diag, SK_ERR_CRYPTO, "audit log", "record %llu: %s", (unsigned long long)seq,
                       msg);
}

static sk_err scan_record(const unsigned char *p, size_t avail, uint32_t n, cursor *cur,
                          sk_audit_record_cb cb, void *ctx, uint64_t *bad_seq, sk_diag *diag)
{
    unsigned char leaf[32], chain[32];

    if (n == 0 || n > SK_AUDIT_RECORD_MAX)
        return fail_at(cur->size, bad_seq, diag, "bad record length");
    if (avail < (size_t)n + 32)
        return fail_at(cur->size, bad_seq, diag, "truncated");
    sk_merkle_leaf_hash(p, n, leaf);
    sk_sha256(cur->chain, 32, leaf, 32, NULL, 0, chain);
    if (memcmp(chain, p + n, 32) != 0)
        return fail_at(cur->size, bad_seq, diag,
                       "does not match its chain hash (altered, removed or moved)");
    if (cb != NULL)
        (void)cb(cur->size, (sk_str){(const char *)p, n}, ctx);
    sk_merkle_frontier_append(&cur->frontier, leaf);
    memcpy(cur->chain, chain, 32);
    cur->size++;
    return SK_OK;
}

static sk_err scan_head(const unsigned char *p, size_t avail, uint32_t n, const cursor *cur,
                        const unsigned char pubkey[32], const log_state *st, sk_audit_sth *h,
                        uint64_t *bad_seq, sk_diag *diag)
{
    unsigned char root[32], msg[LOG_SIGNED_BYTES];

    if (n != LOG_HEAD_BYTES || avail < LOG_HEAD_BYTES)
        return fail_at(cur->size, bad_seq, diag, "truncated or malformed tree head");
    h->size = get_u64(p);
    h->timestamp_ms = (int64_t)get_u64(p + 8);
    memcpy(h->root, p + 16, 32);
    memcpy(h->chain, p + 48, 32);
    memcpy(h->signature, p + 80, 64);
    sth_signed_bytes(h, msg);
    if (!sk_sign_verify(pubkey, msg, sizeof(msg), h->signature))
        return fail_at(cur->size, bad_seq, diag, "the tree head here has an invalid signature");
    if (h->size != cur->size)
        return fail_at(h->size < cur->size ? h->size : cur->size, bad_seq, diag,
                       h->size > cur->size ? "missing (removed before a signed tree head)"
                                           : "not covered by the signed tree head after it "
                                             "(inserted)");
    sk_merkle_frontier_root(&cur->frontier, root);
    if (memcmp(root, h->root, 32) != 0 || memcmp(cur->chain, h->chain, 32) != 0)
        return fail_at(st->signed_size, bad_seq, diag,
                       "the records from here to the next tree head were rewritten "
                       "(they do not match its signed root)");
    return SK_OK;
}

static void snapshot(const cursor *cur, const sk_audit_sth *h, uint64_t end, log_state *st)
{
    st->frontier = cur->frontier;
    memcpy(st->chain, cur->chain, 32);
    st->size = cur->size;
    st->signed_end = end;
    st->signed_size = cur->size;
    st->head = *h;
}

/* Bytes an entry needs, from its frame; 0 when the frame itself is bad. */
static size_t entry_bytes(unsigned char tag, uint32_t n)
{
    if (tag == LOG_TAG_RECORD && n > 0 && n <= SK_AUDIT_RECORD_MAX)
        return LOG_FRAME_BYTES + (size_t)n + 32;
    if (tag == LOG_TAG_HEAD && n == LOG_HEAD_BYTES)
        return LOG_FRAME_BYTES + LOG_HEAD_BYTES;
    return 0;
}

/* 1 when a correctly signed tree head starts anywhere at or after from.
 * Only damaged logs get here, so a byte-by-byte search is affordable. */
static int signed_head_after(const unsigned char *data, size_t len, size_t from,
                             const unsigned char pubkey[32])
{
    const size_t entry = LOG_FRAME_BYTES + LOG_HEAD_BYTES;
    unsigned char msg[LOG_SIGNED_BYTES];
    sk_audit_sth h;
    size_t i;

    for (i = from; i + entry <= len; i++) {
        if (data[i] != LOG_TAG_HEAD || get_u32(data + i + 1) != LOG_HEAD_BYTES)
            continue;
        h.size = get_u64(data + i + 5);
        h.timestamp_ms = (int64_t)get_u64(data + i + 13);
        memcpy(h.root, data + i + 21, 32);
        memcpy(h.chain, data + i + 53, 32);
        memcpy(h.signature, data + i + 85, 64);
        sth_signed_bytes(&h, msg);
        if (sk_sign_verify(pubkey, msg, sizeof(msg), h.signature))
            return 1;
    }
    return 0;
}

/*
 * What comes after the last good head and before any later signed head was
 * never acknowledged: a commit a crash interrupted (or junk added later). It
 * is a "tail" a writer may cut off. Damage followed by a signed head, and a
 * complete head that fails, are tampering wherever they are.
 */
sk_err sk_audit_scan(const unsigned char *data, size_t len, const unsigned char pubkey[32],
                     sk_audit_record_cb cb, void *ctx, log_state *st, uint64_t *bad_seq,
                     int *tail_only, sk_diag *diag)
{
    cursor cur;
    sk_audit_sth h;
    size_t pos = 0, fail_pos = 0, need;
    int head_failed = 0;
    sk_err rc = SK_OK;

    memset(&cur, 0, sizeof(cur));
    sk_merkle_frontier_init(&cur.frontier);
    memset(st, 0, sizeof(*st));
    st->frontier = cur.frontier;
    *tail_only = 0;
    while (rc == SK_OK && pos < len) {
        size_t avail = len - pos;
        uint32_t n = avail >= LOG_FRAME_BYTES ? get_u32(data + pos + 1) : 0;
        need = avail >= LOG_FRAME_BYTES ? entry_bytes(data[pos], n) : LOG_FRAME_BYTES;
        fail_pos = pos;
        if (need == 0) {
            rc = fail_at(cur.size, bad_seq, diag, "not a log entry (damaged framing)");
        } else if (avail < need) {
            rc = fail_at(cur.size, bad_seq, diag, "truncated");
        } else if (data[pos] == LOG_TAG_RECORD) {
            rc = scan_record(data + pos + LOG_FRAME_BYTES, avail - LOG_FRAME_BYTES, n, &cur, cb,
                             ctx, bad_seq, diag);
        } else {
            rc = scan_head(data + pos + LOG_FRAME_BYTES, avail - LOG_FRAME_BYTES, n, &cur, pubkey,
                           st, &h, bad_seq, diag);
            if (rc == SK_OK)
                snapshot(&cur, &h, pos + need, st);
            head_failed = rc != SK_OK;
        }
        pos += need ? need : 1;
    }
    if (rc == SK_OK && st->signed_end != len) {
        fail_pos = (size_t)st->signed_end;
        rc = fail_at(st->signed_size, bad_seq, diag,
                     "this record and those after it are not covered by a signed tree head");
    }
    *tail_only = rc != SK_OK && !head_failed && fail_pos >= st->signed_end &&
                 !signed_head_after(data, len, fail_pos, pubkey);
    return rc;
}

void sk_audit_public_key(const sk_keyring *keyring, unsigned char out[SK_AUDIT_PUBKEY_BYTES])
{
    sk_sign_public_key(keyring, out);
}

int sk_audit_sth_verify(const sk_audit_sth *sth, const unsigned char pubkey[SK_AUDIT_PUBKEY_BYTES])
{
    unsigned char msg[LOG_SIGNED_BYTES];

    sth_signed_bytes(sth, msg);
    return sk_sign_verify(pubkey, msg, sizeof(msg), sth->signature);
}

sk_err sk_audit_verify(const char *path, const sk_keyring *keyring, sk_audit_record_cb cb,
                       void *ctx, uint64_t *records, sk_audit_sth *head, uint64_t *bad_seq,
                       sk_diag *diag)
{
    unsigned char pubkey[32];
    unsigned char *map = NULL;
    struct stat sb;
    log_state *st;
    int fd, tail_only = 0;
    sk_err rc = SK_OK;

    *bad_seq = 0;
    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return SK_ERR_NOMEM;
    sk_audit_public_key(keyring, pubkey);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        rc = sk_diag_set(diag, SK_ERR_IO, "audit log", "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (sb.st_size > 0) {
        map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            map = NULL;
            rc = sk_diag_set(diag, SK_ERR_IO, "audit log", "cannot map %s", path);
            goto out;
        }
    }
    rc = sk_audit_scan(map, (size_t)sb.st_size, pubkey, cb, ctx, st, bad_seq, &tail_only, diag);
    *records = st->size;
    *head = st->head;
out:
    if (map != NULL)
        munmap(map, (size_t)sb.st_size);
    if (fd >= 0)
        close(fd);
    free(st);
    return rc;
}
