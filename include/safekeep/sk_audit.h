/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_audit.h: the tamper-evident audit log. Every policy decision on read,
 * write and export appends a record; nothing is disclosed before its record
 * is durable.
 *
 * The log is one append-only file of framed entries: audit records, each
 * followed by a chain hash, and signed tree heads (Ed25519 over the RFC 9162
 * Merkle root of every record so far). Appends from any number of threads
 * are committed in groups by one writer thread: one write and one fdatasync
 * per group, then one signed tree head, then every caller of the group is
 * released. sk_audit_append returns only after its record is on disk; if
 * the write or the sync fails, it returns an error and the caller must not
 * disclose.
 */
#ifndef SK_AUDIT_H
#define SK_AUDIT_H

#include <stdint.h>

#include "safekeep/sk_buf.h"
#include "safekeep/sk_core.h"
#include "safekeep/sk_crypto.h"

#define SK_AUDIT_RECORD_MAX   4096 /* bytes of one record's JSON */
#define SK_AUDIT_BATCH_MAX    4096 /* records in one group commit */
#define SK_AUDIT_SIG_BYTES    64
#define SK_AUDIT_PUBKEY_BYTES 32

typedef struct sk_audit sk_audit;

/* One decision as recorded. Subjects by internal id only: no identity value
 * may ever be put in a record. Text is borrowed for the call. */
typedef struct sk_audit_record {
    int64_t at_ms; /* when decided; 0 = now */
    sk_str request_id;
    sk_str agency, user, role;
    sk_str purpose, action, entity;
    sk_str subjects[4];
    size_t subject_count;
    uint64_t fields;  /* field mask disclosed (names from sk_policy_field_names) */
    sk_str decision;  /* "permit" or "deny" */
    sk_str rule_kind; /* default, constraint, role, agreement, break_glass */
    sk_str rule_id;
    unsigned rule_version;
    sk_str reason;
    int break_glass; /* flagged for review */
} sk_audit_record;

/* A signed tree head. */
typedef struct sk_audit_sth {
    uint64_t size;
    int64_t timestamp_ms;
    unsigned char root[32];
    unsigned char chain[32];
    unsigned char signature[SK_AUDIT_SIG_BYTES];
} sk_audit_sth;

/*
 * Opens (creating if missing) the log at path and starts its writer thread.
 * A tail written after the last signed tree head (a crash mid-commit: never
 * acknowledged) is cut off; anything else that does not verify is an error
 * (SK_ERR_CRYPTO) and the log is not opened for writing. There is one writer
 * per log: the file is locked (flock, exclusive) until sk_audit_close, and
 * an open while another handle, in this process or another, holds it fails
 * with SK_ERR_CONFLICT ("audit log is in use by another process") without
 * touching the file. Readers (sk_audit_verify, the queries) take no lock.
 */
SK_NODISCARD sk_err sk_audit_open(const char *path, sk_keyring *keyring, sk_audit **out,
                                  sk_diag *diag);

/* Commits what is pending, stops the writer and closes. NULL accepted. */
void sk_audit_close(sk_audit *log);

/* Appends one record and returns once it is durable, with its sequence
 * number (0-based leaf index). Thread-safe. SK_ERR_IO when the write or sync
 * failed (the log is then closed for appends: SK_ERR_IO for every later
 * call), SK_ERR_TOO_LARGE for an oversized record. */
SK_NODISCARD sk_err sk_audit_append(sk_audit *log, const sk_audit_record *rec, uint64_t *seq);

/* Appends n records as one group (a listing that shows many people) and
 * returns once all are durable; seqs (may be NULL) receives their numbers.
 * All or nothing as far as the caller is told: any failure fails the call. */
SK_NODISCARD sk_err sk_audit_append_many(sk_audit *log, const sk_audit_record *recs, size_t n,
                                         uint64_t *seqs);

/* Called once all records of an sk_audit_append_async call are durable
 * (rc SK_OK, first_seq = the first record's sequence number) or their group
 * failed (rc SK_ERR_IO: disclose nothing). Runs on the log's writer thread:
 * it must not block for long and must not append to the log itself. */
typedef void (*sk_audit_done_cb)(void *ctx, sk_err rc, uint64_t first_seq);

/*
 * Appends n records (1..SK_AUDIT_BATCH_MAX) as sk_audit_append_many does,
 * but returns at once; cb(ctx, ...) is called exactly once when they are
 * durable or have failed, unless this returns an error (SK_ERR_IO when the
 * log has failed or is closing, SK_ERR_NOMEM, SK_ERR_TOO_LARGE), in which
 * case cb is never called. The records are copied; recs is borrowed only
 * for the call. Lets an event-driven server keep many requests waiting on
 * one group commit without a thread each. Thread-safe.
 */
SK_NODISCARD sk_err sk_audit_append_async(sk_audit *log, const sk_audit_record *recs, size_t n,
                                          sk_audit_done_cb cb, void *ctx);

/* Lets a group wait up to gather_us microseconds for records arriving
 * behind it when the previous group had more than one record (concurrent
 * load), so that one fsync covers more of them; a lone caller never waits.
 * 0 (the default) never waits. Thread-safe. */
void sk_audit_set_gather(sk_audit *log, unsigned gather_us);

/* Group commits by size: bucket b counts groups of at most 2^b records
 * (the last bucket also counts larger ones). */
#define SK_AUDIT_HIST_BUCKETS 13
void sk_audit_batch_histogram(sk_audit *log, uint64_t out[SK_AUDIT_HIST_BUCKETS]);

/* 1 once a write or sync has failed: every later append is refused. */
int sk_audit_failed(sk_audit *log);

/* The latest signed tree head. */
void sk_audit_head(sk_audit *log, sk_audit_sth *out);

/* Test hook: the Nth write-or-sync from now on fails (0: never). */
void sk_audit_fail_after(sk_audit *log, unsigned long n);

/* Statistics: groups committed and records in them. */
void sk_audit_stats(sk_audit *log, uint64_t *groups, uint64_t *records);

/* ---- Reading a log (no writer needed) ---- */

/* Called for each record in order with its sequence number and JSON. */
typedef int (*sk_audit_record_cb)(uint64_t seq, sk_str json, void *ctx);

/* Reads the log at path and verifies everything: framing, every record's
 * chain hash, every tree head's root, chain and signature. On the first
 * problem returns SK_ERR_CRYPTO (or SK_ERR_IO), sets *bad_seq to the first
 * record that does not match (or the tree head that failed), and describes
 * it in diag. cb (may be NULL) sees every record before the problem. On
 * success *records and *head describe the log. */
SK_NODISCARD sk_err sk_audit_verify(const char *path, const sk_keyring *keyring,
                                    sk_audit_record_cb cb, void *ctx, uint64_t *records,
                                    sk_audit_sth *head, uint64_t *bad_seq, sk_diag *diag);

/* The log's public key (hex in docs and CLI), for checking published heads. */
void sk_audit_public_key(const sk_keyring *keyring, unsigned char out[SK_AUDIT_PUBKEY_BYTES]);

/* Checks an STH's signature with a public key. 1 = valid. */
int sk_audit_sth_verify(const sk_audit_sth *sth, const unsigned char pubkey[SK_AUDIT_PUBKEY_BYTES]);

/* ---- Queries: the answers the CLI prints and the server sends ----
 *
 * Each query verifies the log at path as sk_audit_verify does (every chain
 * hash, root and signature) and answers only from the records covered by
 * the last verified signed tree head, its snapshot. Bytes after that head
 * are left out without error: while a writer (in this process or another)
 * is committing a group, a reader may see part of it, and a crash leaves
 * the same kind of tail, which the next sk_audit_open cuts. Damage anywhere
 * else (a record or head that does not verify, an unsigned tail followed by
 * a signed head) fails the query with SK_ERR_CRYPTO and a diag naming the
 * first bad record: a query never answers from a log it cannot prove.
 *
 * Readers take no lock and may run on any number of threads beside the
 * log's writer; they keep no state between calls. Each call reads the
 * whole log once (memory-mapped), so its cost grows with the log.
 *
 * The answer is JSON appended to out (caller-owned, initialised; its
 * len_max bounds the answer). Hashes, roots, signatures and keys are
 * lower-case hex. Records appear as the log stores them (time, ms,
 * request_id, agency, user, role, purpose, action, entity, subjects,
 * fields, decision, rule_kind, rule_id, rule_version, break_glass, reason)
 * with their sequence number added as a last key "seq".
 *
 * Errors, common to all: SK_ERR_INVALID for bad arguments (diag names the
 * argument); SK_ERR_IO when the file cannot be opened or mapped (a missing
 * file included); SK_ERR_CRYPTO for a damaged log; SK_ERR_NOMEM;
 * SK_ERR_TOO_LARGE when the answer would pass out's len_max. On any error
 * out is left as it was on entry.
 */

/* Records at most one who-accessed call returns; larger limits are cut to
 * it. */
#define SK_AUDIT_QUERY_LIMIT_MAX 1000

/* Records at most each list of sk_audit_report holds (the counts stay
 * exact beyond it). */
#define SK_AUDIT_REPORT_ROWS_MAX 4096

/* sk_audit_verify_json flag: an unsigned tail after the last signed head is
 * damage too (what an offline check wants: no writer is running, so such a
 * tail is a crash or a cut, worth naming). */
#define SK_AUDIT_VERIFY_STRICT 1u

/*
 * Verifies the whole log and appends a summary:
 *   {"ok":true,"records":N,"tree_head":{...as sk_audit_tree_head_json...}}
 *   {"ok":false,"first_bad_seq":N,"error":"record N: ..."}
 * records is the size of the snapshot (see above). acknowledged is how many
 * records the caller knows were acknowledged (0 when unknown): a log with
 * fewer, although valid, was truncated at a head boundary and is reported
 * as ok:false with that first missing record. When acknowledged is 0 a
 * missing file is the empty log (nothing was ever recorded). flags: 0 or
 * SK_AUDIT_VERIFY_STRICT. A damaged log is an answer, not an error: SK_OK
 * with ok:false, diag also describing the damage; errors only for I/O,
 * memory and out's limit. Thread-safe.
 */
SK_NODISCARD sk_err sk_audit_verify_json(const char *path, const sk_keyring *keyring,
                                         uint64_t acknowledged, unsigned flags, sk_buf *out,
                                         sk_diag *diag);

/*
 * The last verified signed tree head:
 *   {"tree_size":N,"timestamp_ms":N,"root":hex,"signature":hex,"public_key":hex}
 * public_key is the log's (sk_audit_public_key), for checking the signature
 * over the bytes log_format.h documents. An empty log gives size 0 and
 * zeros. Errors as above. Thread-safe.
 */
SK_NODISCARD sk_err sk_audit_tree_head_json(const char *path, const sk_keyring *keyring,
                                            sk_buf *out, sk_diag *diag);

/*
 * Who accessed one subject: every record whose subjects name subject_id
 * (byte for byte), oldest first, skipping the first offset of them and
 * returning at most limit (cut to SK_AUDIT_QUERY_LIMIT_MAX; 0 returns only
 * the count):
 *   {"subject":S,"offset":N,"limit":N,"records":[{...,"seq":N},...],
 *    "total":N,"tree_size":N}
 * total counts every matching record in the snapshot, tree_size is the
 * snapshot's size. subject_id (borrowed) must be 1 to SK_AUDIT_RECORD_MAX
 * bytes of valid UTF-8, else SK_ERR_INVALID. Errors as above. Thread-safe.
 */
SK_NODISCARD sk_err sk_audit_who_accessed(const char *path, const sk_keyring *keyring,
                                          sk_str subject_id, uint64_t offset, uint32_t limit,
                                          sk_buf *out, sk_diag *diag);

/*
 * The oversight report over the records decided in from_ms <= ms < to_ms
 * (0 leaves that end open), keys sorted:
 *   {"break_glass":[records],"counts":{"AGENCY|PURPOSE|DECISION":N,...},
 *    "denials":[records],"records":N}
 * counts: decisions by agency, purpose and outcome; denials and
 * break_glass: the denials and break-glass uses awaiting review, oldest
 * first, each list cut at SK_AUDIT_REPORT_ROWS_MAX (record keys sorted
 * too); records: the snapshot's size (the whole log, not the period).
 * SK_ERR_INVALID when both ends are given and to_ms <= from_ms. Errors as
 * above. Thread-safe.
 */
SK_NODISCARD sk_err sk_audit_report(const char *path, const sk_keyring *keyring, int64_t from_ms,
                                    int64_t to_ms, sk_buf *out, sk_diag *diag);

/*
 * The RFC 9162 inclusion proof of record seq in the tree of the first
 * tree_size records (0: the snapshot's size):
 *   {"seq":N,"tree_size":N,"leaf_hash":hex,"root":hex,"proof":[hex,...]}
 * leaf_hash is SHA-256(0x00 || record), proof the path nearest the leaf
 * first, root the tree's root (the signed one when tree_size is the
 * snapshot's size); sk_merkle_verify_inclusion checks it. SK_ERR_INVALID
 * when seq >= tree_size or tree_size exceeds the snapshot. Errors as
 * above. Thread-safe.
 */
SK_NODISCARD sk_err sk_audit_inclusion_json(const char *path, const sk_keyring *keyring,
                                            uint64_t seq, uint64_t tree_size, sk_buf *out,
                                            sk_diag *diag);

/*
 * The RFC 9162 consistency proof between the trees of the first old_size
 * and new_size records:
 *   {"old_size":N,"old_root":hex,"new_size":N,"new_root":hex,"proof":[hex,...]}
 * sk_merkle_verify_consistency checks it. SK_ERR_INVALID unless
 * 0 < old_size <= new_size <= the snapshot's size. Errors as above.
 * Thread-safe.
 */
SK_NODISCARD sk_err sk_audit_consistency_json(const char *path, const sk_keyring *keyring,
                                              uint64_t old_size, uint64_t new_size, sk_buf *out,
                                              sk_diag *diag);

#endif /* SK_AUDIT_H */
