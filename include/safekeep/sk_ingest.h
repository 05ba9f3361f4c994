/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_ingest.h: recording events. Each event is validated (sk_model), its
 * identity fields sealed (sk_crypto), appended to the ledger and folded into
 * its child's case, whose projection is written in the same transaction
 * (sk_store). Imports of JSON-lines and CSV files, and the rebuild of every
 * projection from the ledger, are built on it.
 *
 * One sk_ingest is one transaction: sk_ingest_begin ... sk_ingest_commit,
 * or sk_ingest_abort, which leaves the store exactly as before begin. Not
 * thread-safe; one per store handle.
 */
#ifndef SK_INGEST_H
#define SK_INGEST_H

#include <stdint.h>
#include <stdio.h>

#include "safekeep/sk_crypto.h"
#include "safekeep/sk_model.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_store.h"

typedef struct sk_ingest sk_ingest;

/* Counts of what an ingest did, for reports. */
typedef struct sk_ingest_stats {
    uint64_t events;
    uint64_t children_new; /* children with no events before this ingest */
    uint64_t flagged;      /* events with a data-quality flag */
    uint64_t late;
    uint64_t replays; /* case histories replayed for a late event */
} sk_ingest_stats;

/* Creates an ingest over a borrowed store and keyring. */
SK_NODISCARD sk_err sk_ingest_new(sk_store *store, sk_keyring *keyring, sk_ingest **out);

/* Aborts any open transaction and frees. NULL accepted. */
void sk_ingest_free(sk_ingest *ing);

SK_NODISCARD sk_err sk_ingest_begin(sk_ingest *ing, sk_diag *diag);

/*
 * Gives the ingest the compiled policy with which each recorded event is
 * matched against the active webhook subscriptions (sk_subscription.h):
 * every match becomes an outbox row in the same transaction as the event.
 * NULL (the default) writes no outbox rows. policy is borrowed and must
 * outlive the ingest's transactions. The subscriptions are read once per
 * transaction; with none, an event costs one bit test.
 */
void sk_ingest_set_policy(sk_ingest *ing, const sk_policy *policy);

/*
 * Records one finished event (sk_event_finish succeeded). Refuses a
 * duplicate id (SK_ERR_CONFLICT). On any error the caller must abort: the
 * transaction may hold part of the event.
 */
SK_NODISCARD sk_err sk_ingest_event(sk_ingest *ing, sk_event *ev, sk_diag *diag);

/* Writes every pending projection and commits. */
SK_NODISCARD sk_err sk_ingest_commit(sk_ingest *ing, sk_diag *diag);

/* Rolls back everything since begin. */
void sk_ingest_abort(sk_ingest *ing);

/* The ledger sequence number of the event the last successful
 * sk_ingest_event call appended (0 before any). Valid once committed: an
 * abort gives the numbers back. */
uint64_t sk_ingest_last_seq(const sk_ingest *ing);

/* What the ingest has done since it was created. */
sk_ingest_stats sk_ingest_get_stats(const sk_ingest *ing);

/* The value every event of this ingest gets as recorded_at when the input
 * does not say, and the clock for the future-event check. */
int64_t sk_ingest_now(const sk_ingest *ing);

/* Progress reporting for long imports: called at most a few times a second
 * with bytes done and total (0 when unknown). */
typedef void (*sk_progress_cb)(uint64_t done, uint64_t total, void *ctx);

/* Options of a file import. */
typedef struct sk_import_opts {
    const char *agency; /* recording agency for CSV rows without one */
    const char *user;   /* recording user for CSV rows */
    sk_progress_cb progress;
    void *progress_ctx;
} sk_import_opts;

/* Imports a .jsonl file into an open ingest. The first bad line stops it with
 * a diagnostic naming the file, line and field; the caller then aborts. */
SK_NODISCARD sk_err sk_import_jsonl(sk_ingest *ing, const char *path, const sk_import_opts *opts,
                                    sk_diag *diag);

/* Imports a .csv case spreadsheet (docs/import.md) the same way. */
SK_NODISCARD sk_err sk_import_csv(sk_ingest *ing, const char *path, const sk_import_opts *opts,
                                  sk_diag *diag);

/* Imports each file by its extension, all in one transaction. */
SK_NODISCARD sk_err sk_import_files(sk_ingest *ing, const char *const *paths, size_t count,
                                    const sk_import_opts *opts, sk_diag *diag);

/* Recomputes every projection from the ledger in one transaction. */
SK_NODISCARD sk_err sk_rebuild(sk_store *store, sk_keyring *keyring, sk_diag *diag);

/* Reads and unseals a person's current identity record (a JSON object of
 * identity fields) into buf, NUL-terminated. For display to an entitled
 * user only; never log it. */
SK_NODISCARD sk_err sk_identity_get(sk_store *store, sk_keyring *keyring, sk_str person_id,
                                    char *buf, size_t buf_len, sk_diag *diag);

/* Finds persons by A-number or by name and birth date, through the blind
 * index; cb gets each person id. */
SK_NODISCARD sk_err sk_identity_find_anumber(sk_store *store, sk_keyring *keyring, sk_str a_number,
                                             sk_child_cb cb, void *ctx, sk_diag *diag);
SK_NODISCARD sk_err sk_identity_find_name(sk_store *store, sk_keyring *keyring, sk_str given,
                                          sk_str family, sk_str dob, sk_child_cb cb, void *ctx,
                                          sk_diag *diag);

/* Rebuilds an sk_event from a ledger row (payload only, no identity) using
 * arena for its text: for timelines and replays. */
SK_NODISCARD sk_err sk_event_from_row(const sk_ledger_row *row, sk_arena *arena, sk_event *ev,
                                      sk_diag *diag);

#endif /* SK_INGEST_H */
