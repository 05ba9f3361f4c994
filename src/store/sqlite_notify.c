/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite_notify.c: webhook subscriptions and the outbox in the SQLite
 * backend.
 *
 * Both tables live outside the ledger. A subscription is configuration, not
 * case history; an outbox row is a promise to notify, written in the very
 * transaction that appends the event it announces, so that a rollback takes
 * it away with the event and a crash after the commit leaves it for the
 * deliverer to find. Subscriptions are never deleted, only marked so, and
 * their ids are never reused. The tables are created on every open (IF NOT
 * EXISTS), as the tokens table is, so older databases gain them without a
 * new schema version. Only the outbox insert, which an import may run many
 * times, is prepared once per handle; the rest are prepared per call.
 */
#include "sqlite_int.h"

#include "sk_int.h"

static const char notify_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS subscriptions(id TEXT PRIMARY KEY, agency TEXT NOT NULL,"
    " purpose TEXT NOT NULL, types TEXT NOT NULL, url TEXT NOT NULL, state TEXT NOT NULL,"
    " created_by TEXT NOT NULL, rules TEXT NOT NULL, secret BLOB NOT NULL,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS subscriptions_created ON subscriptions(created_at, id);"
    "CREATE TABLE IF NOT EXISTS outbox(id TEXT PRIMARY KEY, subscription_id TEXT NOT NULL,"
    " event_id TEXT NOT NULL, type TEXT NOT NULL, subject TEXT NOT NULL,"
    " occurred_at INTEGER NOT NULL, created_at INTEGER NOT NULL, state TEXT NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,"
    " last_status INTEGER NOT NULL DEFAULT 0, last_error TEXT) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at, created_at, id);"
    "CREATE INDEX IF NOT EXISTS outbox_subscription ON outbox(subscription_id, created_at, id);"
    "CREATE INDEX IF NOT EXISTS outbox_subject ON outbox(subject, state);";

/* Columns added to the outbox after its first release, each with the
 * default an older row reads as. */
static const char *const outbox_added[][2] = {
    {"latency_ms", "ALTER TABLE outbox ADD COLUMN latency_ms INTEGER NOT NULL DEFAULT 0"},
    {"first_attempt_at",
     "ALTER TABLE outbox ADD COLUMN first_attempt_at INTEGER NOT NULL DEFAULT 0"},
    {"alert_id", "ALTER TABLE outbox ADD COLUMN alert_id TEXT NOT NULL DEFAULT ''"},
};

/* Adds the missing columns to an older outbox table. SQLite has no ADD
 * COLUMN IF NOT EXISTS, so the table's columns are looked up first; a
 * failure (a read-only copy) is left for the calls to report. */
static void outbox_migrate(sk_store *s)
{
    size_t i;

    for (i = 0; i < SK_ARRAY_LEN(outbox_added); i++) {
        sqlite3_stmt *st = NULL;
        int present = 0;

        if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info('outbox') WHERE name = ?1",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, outbox_added[i][0], -1, SQLITE_STATIC);
            present = sqlite3_step(st) == SQLITE_ROW;
        }
        sqlite3_finalize(st);
        if (!present)
            (void)sqlite3_exec(s->db, outbox_added[i][1], NULL, NULL, NULL);
    }
}

/* As for tokens: failing to add the tables to an existing database (a
 * read-only copy) is not fatal; the calls report the error themselves. */
sk_err sk_sq_notify_schema(sk_store *s, int create, sk_diag *diag)
{
    char *err = NULL;
    sk_err rc = SK_OK;

    if (sqlite3_exec(s->db, notify_schema_sql, NULL, NULL, &err) != SQLITE_OK && create)
        rc = sk_diag_set(diag, SK_ERR_STORE, "", "schema: %s", err ? err : "?");
    sqlite3_free(err);
    if (rc == SK_OK)
        outbox_migrate(s);
    return rc;
}

/* Reads the current row (SUB_COLS) into sub. */
static sk_err sub_row(sqlite3_stmt *st, sk_store_subscription *sub, sk_diag *diag)
{
    const void *sealed = sqlite3_column_blob(st, 8);
    size_t sealed_len = (size_t)sqlite3_column_bytes(st, 8);

    memset(sub, 0, sizeof(*sub));
    if (sealed == NULL || sealed_len > sizeof(sub->secret_sealed) ||
        !sk_sq_copy_col(st, 0, sub->id, sizeof(sub->id)) ||
        !sk_sq_copy_col(st, 1, sub->agency, sizeof(sub->agency)) ||
        !sk_sq_copy_col(st, 2, sub->purpose, sizeof(sub->purpose)) ||
        !sk_sq_copy_col(st, 3, sub->types, sizeof(sub->types)) ||
        !sk_sq_copy_col(st, 4, sub->url, sizeof(sub->url)) ||
        !sk_sq_copy_col(st, 5, sub->state, sizeof(sub->state)) ||
        !sk_sq_copy_col(st, 6, sub->created_by, sizeof(sub->created_by)) ||
        !sk_sq_copy_col(st, 7, sub->rules, sizeof(sub->rules)))
        return sk_diag_set(diag, SK_ERR_STORE, "subscriptions",
                           "a stored subscription is "
                           "malformed");
    memcpy(sub->secret_sealed, sealed, sealed_len);
    sub->secret_sealed_len = sealed_len;
    sub->created_at = sqlite3_column_int64(st, 9);
    sub->updated_at = sqlite3_column_int64(st, 10);
    return SK_OK;
}

sk_err sk_store_subscription_put(sk_store *store, const sk_store_subscription *sub, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(sub != NULL);
    SK_ASSERT(sub->id[0] != '\0');
    SK_ASSERT(sub->secret_sealed_len > 0 && sub->secret_sealed_len <= SK_STORE_SUB_SEALED_MAX);
    rc = sk_sq_prep_once(store,
                         "INSERT INTO subscriptions(" SUB_COLS
                         ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
                         &st, diag);
    if (rc != SK_OK)
        goto out;
    sk_sq_bind_cstr(st, 1, sub->id);
    sk_sq_bind_cstr(st, 2, sub->agency);
    sk_sq_bind_cstr(st, 3, sub->purpose);
    sk_sq_bind_cstr(st, 4, sub->types);
    sk_sq_bind_cstr(st, 5, sub->url);
    sk_sq_bind_cstr(st, 6, sub->state);
    sk_sq_bind_cstr(st, 7, sub->created_by);
    sqlite3_bind_text(st, 8, sub->rules, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, sub->secret_sealed, (int)sub->secret_sealed_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, sub->created_at);
    sqlite3_bind_int64(st, 11, sub->updated_at);
    rc = sk_sq_run(store, st, diag, "subscription put");
out:
    sqlite3_finalize(st);
    return rc;
}

sk_err sk_store_subscription_get(sk_store *store, sk_str id, sk_store_subscription *out,
                                 sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;
    int step;

    SK_ASSERT(store != NULL);
    SK_ASSERT(out != NULL);
    rc = sk_sq_prep(store, ST_SUB_GET, &st, diag);
    if (rc != SK_OK)
        goto out;
    sk_sq_bind_str(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = sub_row(st, out, diag);
    else if (step == SQLITE_DONE)
        rc = SK_ERR_NOT_FOUND;
    else
        rc = sk_sq_fail(store, diag, "subscription get");
out:
    sk_sq_done(st);
    return rc;
}

sk_err sk_store_subscription_set_state(sk_store *store, sk_str id, const char *from,
                                       const char *state, int64_t at, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(from != NULL && state != NULL);
    /* The state is checked in the statement itself, so that two writers
     * cannot both move the same subscription out of one state. */
    rc = sk_sq_prep_once(store,
                         "UPDATE subscriptions SET state = ?2, updated_at = ?3 WHERE id = ?1 AND "
                         "instr(',' || ?4 || ',', ',' || state || ',') > 0",
                         &st, diag);
    if (rc != SK_OK)
        goto out;
    sk_sq_bind_str(st, 1, id);
    sk_sq_bind_cstr(st, 2, state);
    sqlite3_bind_int64(st, 3, at);
    sk_sq_bind_cstr(st, 4, from);
    rc = sk_sq_run(store, st, diag, "subscription state");
    if (rc == SK_OK && sqlite3_changes(store->db) == 0) {
        sk_store_subscription probe;
        rc = sk_store_subscription_get(store, id, &probe, diag);
        if (rc == SK_OK)
            rc = sk_diag_set(diag, SK_ERR_CONFLICT, "state", "the subscription is %s", probe.state);
    }
out:
    sqlite3_finalize(st);
    return rc;
}

sk_err sk_store_subscription_list(sk_store *store, sk_str agency, sk_store_subscription_cb cb,
                                  void *ctx, sk_diag *diag)
{
    sk_store_subscription *row = NULL;
    sqlite3_stmt *st = NULL;
    sk_err rc;
    int step;

    SK_ASSERT(store != NULL);
    SK_ASSERT(cb != NULL);
    row = malloc(sizeof(*row)); /* a few KiB: kept off the stack */
    if (row == NULL)
        return SK_ERR_NOMEM;
    rc = sk_sq_prep(store, ST_SUB_LIST, &st, diag);
    if (rc != SK_OK)
        goto out;
    sk_sq_bind_str(st, 1, agency);
    for (;;) {
        step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sk_sq_fail(store, diag, "subscription list");
            break;
        }
        rc = sub_row(st, row, diag);
        if (rc != SK_OK || cb(row, ctx) != 0)
            break;
    }
out:
    sk_sq_done(st);
    free(row);
    return rc;
}

/* Binds row to an insertion statement (ST_OUTBOX_PUT or ST_OUTBOX_OFFER). */
static void outbox_bind(sqlite3_stmt *st, const sk_store_outbox *row)
{
    sk_sq_bind_cstr(st, 1, row->id);
    sk_sq_bind_cstr(st, 2, row->subscription_id);
    sk_sq_bind_cstr(st, 3, row->event_id);
    sk_sq_bind_cstr(st, 4, row->type);
    sqlite3_bind_text(st, 5, row->subject, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, row->occurred_at);
    sqlite3_bind_int64(st, 7, row->created_at);
    sk_sq_bind_cstr(st, 8, row->state);
    sqlite3_bind_int64(st, 9, row->attempts);
    sqlite3_bind_int64(st, 10, row->next_attempt_at);
    sqlite3_bind_int64(st, 11, row->last_status);
    sk_sq_bind_cstr(st, 12, row->last_error);
    sqlite3_bind_text(st, 13, row->alert_id, -1, SQLITE_STATIC); /* '' for an event's */
}

/* Runs one insertion statement; *inserted (may be NULL) is 1 when a row
 * was added (an offer of an existing id adds none). */
static sk_err outbox_insert(sk_store *store, enum stmt_id which, const sk_store_outbox *row,
                            int *inserted, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(row != NULL);
    SK_ASSERT(row->id[0] != '\0');
    rc = sk_sq_prep(store, which, &st, diag);
    if (rc != SK_OK)
        return rc;
    outbox_bind(st, row);
    rc = sk_sq_run(store, st, diag, which == ST_OUTBOX_PUT ? "outbox put" : "outbox offer");
    if (rc == SK_OK && inserted != NULL)
        *inserted = sqlite3_changes(store->db) > 0;
    return rc;
}

sk_err sk_store_outbox_put(sk_store *store, const sk_store_outbox *row, sk_diag *diag)
{
    return outbox_insert(store, ST_OUTBOX_PUT, row, NULL, diag);
}

sk_err sk_store_outbox_offer(sk_store *store, const sk_store_outbox *row, int *inserted,
                             sk_diag *diag)
{
    SK_ASSERT(inserted != NULL);
    *inserted = 0;
    return outbox_insert(store, ST_OUTBOX_OFFER, row, inserted, diag);
}

/* Reads the current row (OUTBOX_COLS) into row. */
static sk_err outbox_row(sqlite3_stmt *st, sk_store_outbox *row, sk_diag *diag)
{
    memset(row, 0, sizeof(*row));
    if (!sk_sq_copy_col(st, 0, row->id, sizeof(row->id)) ||
        !sk_sq_copy_col(st, 1, row->subscription_id, sizeof(row->subscription_id)) ||
        !sk_sq_copy_col(st, 2, row->event_id, sizeof(row->event_id)) ||
        !sk_sq_copy_col(st, 3, row->type, sizeof(row->type)) ||
        !sk_sq_copy_col(st, 4, row->subject, sizeof(row->subject)) ||
        !sk_sq_copy_col(st, 7, row->state, sizeof(row->state)) ||
        !sk_sq_copy_col(st, 11, row->last_error, sizeof(row->last_error)) ||
        !sk_sq_copy_col(st, 14, row->alert_id, sizeof(row->alert_id)))
        return sk_diag_set(diag, SK_ERR_STORE, "outbox", "a stored outbox row is malformed");
    row->occurred_at = sqlite3_column_int64(st, 5);
    row->created_at = sqlite3_column_int64(st, 6);
    row->attempts = (uint32_t)sqlite3_column_int64(st, 8);
    row->next_attempt_at = sqlite3_column_int64(st, 9);
    row->last_status = sqlite3_column_int(st, 10);
    row->latency_ms = (uint32_t)sqlite3_column_int64(st, 12);
    row->first_attempt_at = sqlite3_column_int64(st, 13);
    return SK_OK;
}

/* Steps st to the end, calling cb with each row. */
static sk_err outbox_scan(sk_store *store, sqlite3_stmt *st, sk_store_outbox_cb cb, void *ctx,
                          sk_diag *diag)
{
    sk_store_outbox row;
    sk_err rc = SK_OK;
    int step;

    for (;;) {
        step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sk_sq_fail(store, diag, "outbox scan");
            break;
        }
        rc = outbox_row(st, &row, diag);
        if (rc != SK_OK || cb(&row, ctx) != 0)
            break;
    }
    return rc;
}

sk_err sk_store_outbox_due(sk_store *store, int64_t at, uint32_t limit, sk_store_outbox_cb cb,
                           void *ctx, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(cb != NULL);
    rc = sk_sq_prep(store, ST_OUTBOX_DUE, &st, diag);
    if (rc != SK_OK)
        goto out;
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_int64(st, 2, limit == 0 ? -1 : (sqlite3_int64)limit);
    rc = outbox_scan(store, st, cb, ctx, diag);
out:
    sk_sq_done(st);
    return rc;
}

sk_err sk_store_outbox_list(sk_store *store, sk_str state, sk_store_outbox_cb cb, void *ctx,
                            sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(cb != NULL);
    rc = sk_sq_prep_once(store,
                         "SELECT " OUTBOX_COLS " FROM outbox WHERE ?1 IS NULL OR state = ?1 "
                         "ORDER BY created_at, id",
                         &st, diag);
    if (rc != SK_OK)
        goto out;
    sk_sq_bind_str(st, 1, state);
    rc = outbox_scan(store, st, cb, ctx, diag);
out:
    sqlite3_finalize(st);
    return rc;
}

sk_err sk_store_outbox_list_subscription(sk_store *store, sk_str subscription_id, uint64_t offset,
                                         uint32_t limit, sk_store_outbox_cb cb, void *ctx,
                                         sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(cb != NULL);
    SK_ASSERT(offset <= INT64_MAX);
    rc = sk_sq_prep_once(store,
                         "SELECT " OUTBOX_COLS " FROM outbox WHERE subscription_id = ?1 "
                         "ORDER BY created_at, id LIMIT ?2 OFFSET ?3",
                         &st, diag);
    if (rc != SK_OK)
        goto out;
    sk_sq_bind_str(st, 1, subscription_id);
    sqlite3_bind_int64(st, 2, limit == 0 ? -1 : (sqlite3_int64)limit);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)offset);
    rc = outbox_scan(store, st, cb, ctx, diag);
out:
    sqlite3_finalize(st);
    return rc;
}

sk_err sk_store_outbox_attempt(sk_store *store, sk_str id, const char *state, int status,
                               sk_str error, int64_t next_attempt_at, sk_diag *diag)
{
    return sk_store_outbox_attempt_timed(store, id, state, status, error, 0, 0, next_attempt_at,
                                         diag);
}

sk_err sk_store_outbox_attempt_timed(sk_store *store, sk_str id, const char *state, int status,
                                     sk_str error, uint32_t latency_ms, int64_t attempted_at,
                                     int64_t next_attempt_at, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(state != NULL);
    if (error.len >= SK_STORE_OUTBOX_TEXT_MAX)
        error.len = SK_STORE_OUTBOX_TEXT_MAX - 1; /* a summary, not a transcript */
    /* first_attempt_at keeps the first non-zero attempt time it is given. */
    rc = sk_sq_prep(store, ST_OUTBOX_ATTEMPT, &st, diag);
    if (rc != SK_OK)
        goto out;
    sqlite3_bind_int64(st, 6, latency_ms);
    sqlite3_bind_int64(st, 7, attempted_at);
    sk_sq_bind_str(st, 1, id);
    sk_sq_bind_cstr(st, 2, state);
    sqlite3_bind_int(st, 3, status);
    sk_sq_bind_str(st, 4, error);
    sqlite3_bind_int64(st, 5, next_attempt_at);
    rc = sk_sq_run(store, st, diag, "outbox attempt");
    if (rc == SK_OK && sqlite3_changes(store->db) == 0) {
        int found = 0;
        rc = sk_store_outbox_has(store, id, &found, diag);
        if (rc == SK_OK)
            rc = found ? sk_diag_set(diag, SK_ERR_CONFLICT, "state", "the message is not pending")
                       : SK_ERR_NOT_FOUND;
    }
out:
    return rc;
}

sk_err sk_store_outbox_defer(sk_store *store, sk_str id, int64_t next_attempt_at, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    rc = sk_sq_prep_once(
        store, "UPDATE outbox SET next_attempt_at = ?2 WHERE id = ?1 AND state = 'pending'", &st,
        diag);
    if (rc != SK_OK)
        goto out;
    sk_sq_bind_str(st, 1, id);
    sqlite3_bind_int64(st, 2, next_attempt_at);
    rc = sk_sq_run(store, st, diag, "outbox defer");
out:
    sqlite3_finalize(st);
    return rc;
}

sk_err sk_store_outbox_delivered(sk_store *store, sk_str subject, sk_str agency,
                                 sk_store_outbox_cb cb, void *ctx, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(cb != NULL);
    /* Once per child of a tracking report: prepared once per handle. */
    rc = sk_sq_prep(store, ST_OUTBOX_DELIVERED, &st, diag);
    if (rc != SK_OK)
        goto out;
    sqlite3_bind_text(st, 1, subject.ptr, (int)subject.len, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, agency.ptr, (int)agency.len, SQLITE_STATIC);
    rc = outbox_scan(store, st, cb, ctx, diag);
out:
    sk_sq_done(st);
    return rc;
}

sk_err sk_store_outbox_has(sk_store *store, sk_str id, int *found, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;
    int step;

    SK_ASSERT(store != NULL && found != NULL);
    *found = 0;
    /* Once per open alert of a sweep: prepared once per handle. */
    rc = sk_sq_prep(store, ST_OUTBOX_HAS, &st, diag);
    if (rc != SK_OK)
        goto out;
    sqlite3_bind_text(st, 1, id.ptr, (int)id.len, SQLITE_STATIC);
    step = sqlite3_step(st);
    *found = step == SQLITE_ROW;
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sk_sq_fail(store, diag, "outbox lookup");
out:
    sk_sq_done(st);
    return rc;
}
