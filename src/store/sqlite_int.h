/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite_int.h: what the SQLite backend's files share: the handle, the
 * statement table and the small helpers that bind, run and read statements.
 */
#ifndef SK_SQLITE_INT_H
#define SK_SQLITE_INT_H

#include <sqlite3.h>

#include "safekeep/sk_store.h"

/* The columns of a subscription and of an outbox row, in the order the
 * readers of sqlite_notify.c expect. */
#define SUB_COLS                                                                                   \
    "id, agency, purpose, types, url, state, created_by, rules, secret, created_at, updated_at"
#define OUTBOX_COLS                                                                                \
    "id, subscription_id, event_id, type, subject, occurred_at, created_at, state, attempts, "     \
    "next_attempt_at, last_status, last_error, latency_ms, first_attempt_at, alert_id"

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_META_GET,
    ST_META_PUT,
    ST_LEDGER_INSERT,
    ST_SUBJECT_INSERT,
    ST_LEDGER_HAS,
    ST_LEDGER_BY_SUBJECT,
    ST_LEDGER_ALL,
    ST_LEDGER_BY_CHILD,
    ST_LEDGER_IDENTITY,
    ST_LEDGER_COUNT,
    ST_CHILD_PUT,
    ST_PLACEMENT_DEL,
    ST_PLACEMENT_PUT,
    ST_HEARING_DEL,
    ST_HEARING_PUT,
    ST_CALL_DEL,
    ST_CALL_PUT,
    ST_SPONSOR_DEL,
    ST_SPONSOR_PUT,
    ST_PERSON_PUT,
    ST_PERSON_GET,
    ST_BLIND_PUT,
    ST_BLIND_FIND,
    ST_CHILD_GET,
    ST_COUNT_CUSTODY,
    ST_POLICY_DOC_PUT,
    ST_HEAD_PUT,
    ST_HEADS,
    ST_TOKEN_GET,
    ST_POLICY_DOC_GET,
    ST_OUTBOX_PUT,
    ST_OUTBOX_OFFER,
    ST_OUTBOX_HAS,
    ST_OUTBOX_DELIVERED,
    ST_OUTBOX_DUE,
    ST_OUTBOX_ATTEMPT,
    ST_SUB_GET,
    ST_SUB_LIST,
    ST__COUNT
};

struct sk_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST__COUNT];
    int in_tx;
    unsigned long fail_countdown;
};

sk_err sk_sq_prep(sk_store *s, enum stmt_id id, sqlite3_stmt **out, sk_diag *diag);
sk_err sk_sq_run(sk_store *s, sqlite3_stmt *st, sk_diag *diag, const char *what);
sk_err sk_sq_fail(sk_store *s, sk_diag *diag, const char *what);
void sk_sq_bind_str(sqlite3_stmt *st, int col, sk_str v);
void sk_sq_bind_cstr(sqlite3_stmt *st, int col, const char *v);
void sk_sq_bind_time(sqlite3_stmt *st, int col, int64_t t);
sk_str sk_sq_col_str(sqlite3_stmt *st, int col);
/* Prepares a statement that is not cached (finalize it after use). */
sk_err sk_sq_prep_once(sk_store *s, const char *sql, sqlite3_stmt **out, sk_diag *diag);
/* Copies a text column into a fixed buffer; 0 when it does not fit. */
int sk_sq_copy_col(sqlite3_stmt *st, int col, char *buf, size_t cap);
void sk_sq_done(sqlite3_stmt *st);

/* Creates the subscriptions and outbox tables (sqlite_notify.c). */
sk_err sk_sq_notify_schema(sk_store *s, int create, sk_diag *diag);

#endif /* SK_SQLITE_INT_H */
