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
 * (SK_ERR_CRYPTO) and the log is not opened for writing.
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

#endif /* SK_AUDIT_H */
