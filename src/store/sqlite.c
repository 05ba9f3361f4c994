/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite.c: the embedded SQLite backend of sk_store.
 *
 * One file in WAL mode. The ledger is a plain table that triggers keep
 * append-only even against a careless UPDATE or DELETE from the sqlite3
 * shell; its rowid is the sequence number. The index on (child_id,
 * occurred_at, seq) makes replaying a child's history in occurred order one
 * range scan; other subjects (sponsors, household members) are indexed in
 * event_subjects so that a person's events can be found. Every statement is
 * prepared once per handle and reset after use: an import executes tens of
 * millions of them. SQLite's own messages go to the diagnostic only.
 */
#include "sqlite_int.h"

#include "sk_int.h"

#define SCHEMA_VERSION "1"

#define LEDGER_COLS                                                                                \
    "seq, id, type, occurred_at, recorded_at, agency, user, subjects, payload, identity, "         \
    "prov_source, prov_ref, prov_reliability, dq_flags, chain"
#define CHILD_COLS                                                                                 \
    "child_id, custody, court, country, language, facility, age_years, apprehended_at, "           \
    "released_at, next_hearing_at, event_count, dq_flags"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_PUT] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
    [ST_LEDGER_INSERT] =
        "INSERT INTO ledger(id, type, occurred_at, recorded_at, agency, user, "
        "subjects, payload, identity, prov_source, prov_ref, prov_reliability, "
        "dq_flags, child_id, chain) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,"
        "?13,?14,?15)",
    [ST_SUBJECT_INSERT] = "INSERT OR IGNORE INTO event_subjects(subject, occurred_at, seq) "
                          "VALUES (?1, ?2, ?3)",
    [ST_LEDGER_HAS] = "SELECT 1 FROM ledger WHERE id = ?1",
    [ST_LEDGER_BY_SUBJECT] = "SELECT " LEDGER_COLS " FROM ledger WHERE child_id = ?1 "
                             "ORDER BY occurred_at, seq",
    [ST_LEDGER_ALL] = "SELECT " LEDGER_COLS " FROM ledger ORDER BY seq",
    [ST_LEDGER_BY_CHILD] = "SELECT " LEDGER_COLS " FROM ledger ORDER BY child_id, occurred_at, seq",
    [ST_LEDGER_IDENTITY] = "SELECT " LEDGER_COLS " FROM ledger WHERE identity IS NOT NULL "
                           "ORDER BY seq",
    [ST_LEDGER_COUNT] = "SELECT count(*) FROM ledger",
    [ST_CHILD_PUT] = "INSERT OR REPLACE INTO children(child_id, custody, court, country, "
                     "language, sex, age_years, apprehended_at, referred_at, admitted_at, "
                     "released_at, closed_at, discharge_type, sponsor_id, nta_filed_at, "
                     "facility, placement_type, next_hearing_at, calls_made, calls_reached, "
                     "incident_count, event_count, dq_flags, last_occurred_at) VALUES "
                     "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,"
                     "?21,?22,?23,?24)",
    [ST_PLACEMENT_DEL] = "DELETE FROM placements WHERE child_id = ?1",
    [ST_PLACEMENT_PUT] = "INSERT INTO placements(child_id, idx, facility, placement_type, "
                         "start_at, end_at) VALUES (?1,?2,?3,?4,?5,?6)",
    [ST_HEARING_DEL] = "DELETE FROM hearings WHERE child_id = ?1",
    [ST_HEARING_PUT] = "INSERT INTO hearings(child_id, hearing_id, court_id, scheduled_for, "
                       "outcome) VALUES (?1,?2,?3,?4,?5)",
    [ST_CALL_DEL] = "DELETE FROM calls WHERE child_id = ?1",
    [ST_CALL_PUT] = "INSERT INTO calls(child_id, idx, at, reached) VALUES (?1,?2,?3,?4)",
    [ST_SPONSOR_DEL] = "DELETE FROM sponsors WHERE child_id = ?1",
    [ST_SPONSOR_PUT] = "INSERT INTO sponsors(child_id, sponsor_id, category, relationship, "
                       "status, checks_done, checks_flagged) VALUES (?1,?2,?3,?4,?5,?6,?7)",
    [ST_PERSON_PUT] = "INSERT OR REPLACE INTO persons(person_id, kind, identity) "
                      "VALUES (?1,?2,?3)",
    [ST_PERSON_GET] = "SELECT identity FROM persons WHERE person_id = ?1",
    [ST_BLIND_PUT] = "INSERT OR IGNORE INTO blind_index(kind, hash, person_id) VALUES (?1,?2,?3)",
    [ST_BLIND_FIND] = "SELECT person_id FROM blind_index WHERE kind = ?1 AND hash = ?2 "
                      "ORDER BY person_id",
    [ST_CHILD_GET] = "SELECT " CHILD_COLS " FROM children WHERE child_id = ?1",
    [ST_COUNT_CUSTODY] = "SELECT custody, count(*) FROM children GROUP BY custody",
    [ST_HEAD_PUT] = "INSERT INTO ledger_heads(size, timestamp_ms, root, chain, signature) "
                    "VALUES (?1,?2,?3,?4,?5)",
    [ST_HEADS] = "SELECT size, timestamp_ms, root, chain, signature FROM ledger_heads "
                 "ORDER BY size",
    [ST_POLICY_DOC_PUT] = "INSERT INTO policy_documents(document_id, name, text) VALUES (?1,?2,?3)",
    [ST_POLICY_DOC_GET] = "SELECT text FROM policy_documents WHERE document_id = ?1",
    /* Checked on every API request: prepared once per handle. */
    [ST_OUTBOX_PUT] = "INSERT INTO outbox(id, subscription_id, event_id, type, subject, "
                      "occurred_at, created_at, state, attempts, next_attempt_at, last_status, "
                      "last_error, alert_id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
    [ST_OUTBOX_HAS] = "SELECT 1 FROM outbox WHERE id = ?1",
    /* The deliverer's pass and each API write's subscription set. */
    [ST_OUTBOX_DUE] = "SELECT " OUTBOX_COLS " FROM outbox WHERE state = 'pending' AND "
                      "next_attempt_at <= ?1 ORDER BY next_attempt_at, created_at, id LIMIT ?2",
    /* first_attempt_at keeps the first non-zero attempt time it is given. */
    [ST_OUTBOX_ATTEMPT] =
        "UPDATE outbox SET attempts = attempts + 1, state = ?2, last_status = ?3, "
        "last_error = ?4, next_attempt_at = ?5, latency_ms = ?6, "
        "first_attempt_at = CASE WHEN first_attempt_at = 0 THEN ?7 ELSE "
        "first_attempt_at END WHERE id = ?1 AND state = 'pending'",
    [ST_SUB_GET] = "SELECT " SUB_COLS " FROM subscriptions WHERE id = ?1",
    [ST_SUB_LIST] = "SELECT " SUB_COLS " FROM subscriptions WHERE ?1 IS NULL OR agency = ?1 "
                    "ORDER BY created_at, id",
    [ST_OUTBOX_DELIVERED] = "SELECT " OUTBOX_COLS " FROM outbox WHERE subject = ?1 AND state = "
                            "'delivered' AND subscription_id IN (SELECT id FROM subscriptions "
                            "WHERE agency = ?2) ORDER BY next_attempt_at, id",
    [ST_OUTBOX_OFFER] = "INSERT OR IGNORE INTO outbox(id, subscription_id, event_id, type, "
                        "subject, occurred_at, created_at, state, attempts, next_attempt_at, "
                        "last_status, last_error, alert_id) "
                        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
    [ST_TOKEN_GET] = "SELECT id, agency, user, role, hash, created_at, expires_at, revoked_at"
                     " FROM tokens WHERE id = ?1",
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ledger(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " type TEXT NOT NULL, occurred_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL,"
    " agency TEXT NOT NULL, user TEXT NOT NULL, subjects TEXT NOT NULL, payload TEXT NOT NULL,"
    " identity BLOB, prov_source TEXT NOT NULL, prov_ref TEXT, prov_reliability TEXT,"
    " dq_flags INTEGER NOT NULL DEFAULT 0, child_id TEXT NOT NULL, chain BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ledger_heads(size INTEGER PRIMARY KEY, timestamp_ms INTEGER NOT"
    " NULL, root BLOB NOT NULL, chain BLOB NOT NULL, signature BLOB NOT NULL);"
    "CREATE TRIGGER IF NOT EXISTS ledger_heads_append_only_u BEFORE UPDATE ON ledger_heads"
    " BEGIN SELECT RAISE(ABORT, 'ledger heads are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS ledger_heads_append_only_d BEFORE DELETE ON ledger_heads"
    " BEGIN SELECT RAISE(ABORT, 'ledger heads are append-only'); END;"
    "CREATE INDEX IF NOT EXISTS ledger_child ON ledger(child_id, occurred_at, seq);"
    "CREATE TRIGGER IF NOT EXISTS ledger_append_only_u BEFORE UPDATE ON ledger"
    " BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS ledger_append_only_d BEFORE DELETE ON ledger"
    " BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TABLE IF NOT EXISTS event_subjects(subject TEXT NOT NULL, occurred_at INTEGER NOT"
    " NULL, seq INTEGER NOT NULL, PRIMARY KEY(subject, occurred_at, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS children(child_id TEXT PRIMARY KEY, custody TEXT NOT NULL,"
    " court TEXT NOT NULL, country TEXT, language TEXT, sex INTEGER, age_years INTEGER,"
    " apprehended_at INTEGER, referred_at INTEGER, admitted_at INTEGER, released_at INTEGER,"
    " closed_at INTEGER, discharge_type TEXT, sponsor_id TEXT, nta_filed_at INTEGER,"
    " facility TEXT, placement_type TEXT, next_hearing_at INTEGER, calls_made INTEGER,"
    " calls_reached INTEGER, incident_count INTEGER, event_count INTEGER, dq_flags INTEGER,"
    " last_occurred_at INTEGER) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS children_custody ON children(custody);"
    "CREATE INDEX IF NOT EXISTS children_country ON children(country);"
    "CREATE TABLE IF NOT EXISTS placements(child_id TEXT NOT NULL, idx INTEGER NOT NULL,"
    " facility TEXT, placement_type TEXT, start_at INTEGER, end_at INTEGER,"
    " PRIMARY KEY(child_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS hearings(child_id TEXT NOT NULL, hearing_id TEXT NOT NULL,"
    " court_id TEXT, scheduled_for INTEGER, outcome TEXT,"
    " PRIMARY KEY(child_id, hearing_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS calls(child_id TEXT NOT NULL, idx INTEGER NOT NULL,"
    " at INTEGER, reached INTEGER, PRIMARY KEY(child_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS sponsors(child_id TEXT NOT NULL, sponsor_id TEXT NOT NULL,"
    " category TEXT, relationship TEXT, status TEXT, checks_done INTEGER,"
    " checks_flagged INTEGER, PRIMARY KEY(child_id, sponsor_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS persons(person_id TEXT PRIMARY KEY, kind TEXT NOT NULL,"
    " identity BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS policy_documents(document_id TEXT PRIMARY KEY, name TEXT NOT"
    " NULL, text TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TRIGGER IF NOT EXISTS policy_documents_append_only_u BEFORE UPDATE ON"
    " policy_documents BEGIN SELECT RAISE(ABORT, 'policy documents are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS policy_documents_append_only_d BEFORE DELETE ON"
    " policy_documents BEGIN SELECT RAISE(ABORT, 'policy documents are append-only'); END;"
    "CREATE TABLE IF NOT EXISTS blind_index(kind TEXT NOT NULL, hash BLOB NOT NULL,"
    " person_id TEXT NOT NULL, PRIMARY KEY(kind, hash, person_id)) WITHOUT ROWID;";

sk_err sk_sq_fail(sk_store *s, sk_diag *diag, const char *what)
{
    int code = sqlite3_extended_errcode(s->db);

    if ((code & 0xFF) == SQLITE_CONSTRAINT)
        return sk_diag_set(diag, SK_ERR_CONFLICT, "", "%s: %s", what, sqlite3_errmsg(s->db));
    return sk_diag_set(diag, SK_ERR_STORE, "", "%s: %s", what, sqlite3_errmsg(s->db));
}

sk_err sk_sq_prep(sk_store *s, enum stmt_id id, sqlite3_stmt **out, sk_diag *diag)
{
    if (s->stmt[id] == NULL &&
        sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id],
                           NULL) != SQLITE_OK)
        return sk_sq_fail(s, diag, "prepare");
    *out = s->stmt[id];
    return SK_OK;
}

/* Fault injection: lets tests fail the Nth write and check nothing half-done
 * survives. */
static int inject(sk_store *s)
{
    if (s->fail_countdown == 0)
        return 0;
    if (--s->fail_countdown == 0) {
        s->fail_countdown = 1;
        return 1;
    }
    return 0;
}

/* Runs a write statement to completion and resets it. */
sk_err sk_sq_run(sk_store *s, sqlite3_stmt *st, sk_diag *diag, const char *what)
{
    int rc;

    if (inject(s)) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return sk_diag_set(diag, SK_ERR_STORE, "", "%s: injected failure", what);
    }
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return sk_sq_fail(s, diag, what);
    return SK_OK;
}

void sk_sq_bind_str(sqlite3_stmt *st, int col, sk_str v)
{
    if (v.len == 0)
        sqlite3_bind_null(st, col);
    else
        sqlite3_bind_text(st, col, v.ptr, (int)v.len, SQLITE_STATIC);
}

void sk_sq_bind_cstr(sqlite3_stmt *st, int col, const char *v)
{
    sk_sq_bind_str(st, col, sk_str_c(v));
}

void sk_sq_bind_time(sqlite3_stmt *st, int col, int64_t t)
{
    if (t == 0)
        sqlite3_bind_null(st, col);
    else
        sqlite3_bind_int64(st, col, t);
}

sk_str sk_sq_col_str(sqlite3_stmt *st, int col)
{
    sk_str s = {(const char *)sqlite3_column_text(st, col), (size_t)sqlite3_column_bytes(st, col)};
    if (s.ptr == NULL)
        s.ptr = "";
    return s;
}

void sk_sq_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* ---- Bearer tokens ----
 *
 * Tokens live outside the ledger: they are credentials, not case history,
 * and a revocation must take effect at once, not on a replay. Only a keyed
 * hash of each token is kept. The table is created on every open (IF NOT
 * EXISTS, a no-op once it is there), so that databases made before tokens
 * existed gain it without a new schema version. Its statements are prepared
 * per call rather than held in the handle's table: a few microseconds per
 * request, against a network round trip.
 */

static const char tokens_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS tokens(id TEXT PRIMARY KEY, hash BLOB NOT NULL,"
    " agency TEXT NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS tokens_created ON tokens(created_at, id);";

#define TOKEN_COLS "id, agency, user, role, hash, created_at, expires_at, revoked_at"

/* Creates the tokens table. Failing to add it to an existing database is
 * not fatal, so that a read-only copy of an older database still opens; the
 * token calls then report the store error themselves. */
static sk_err tokens_schema(sk_store *s, int create, sk_diag *diag)
{
    char *err = NULL;
    sk_err rc = SK_OK;

    if (sqlite3_exec(s->db, tokens_schema_sql, NULL, NULL, &err) != SQLITE_OK && create)
        rc = sk_diag_set(diag, SK_ERR_STORE, "", "schema: %s", err ? err : "?");
    sqlite3_free(err);
    return rc;
}

sk_err sk_sq_prep_once(sk_store *s, const char *sql, sqlite3_stmt **out, sk_diag *diag)
{
    *out = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK) {
        sqlite3_finalize(*out);
        *out = NULL;
        return sk_sq_fail(s, diag, "prepare");
    }
    return SK_OK;
}

int sk_sq_copy_col(sqlite3_stmt *st, int col, char *buf, size_t cap)
{
    sk_str v = sk_sq_col_str(st, col);

    if (v.len >= cap)
        return 0;
    memcpy(buf, v.ptr, v.len);
    buf[v.len] = '\0';
    return 1;
}

/* Reads the current row (TOKEN_COLS) into t. */
static sk_err token_row(sqlite3_stmt *st, sk_store_token *t, sk_diag *diag)
{
    const void *hash;

    memset(t, 0, sizeof(*t));
    hash = sqlite3_column_blob(st, 4);
    if (hash == NULL || sqlite3_column_bytes(st, 4) != SK_STORE_TOKEN_HASH_BYTES ||
        !sk_sq_copy_col(st, 0, t->id, sizeof(t->id)) ||
        !sk_sq_copy_col(st, 1, t->agency, sizeof(t->agency)) ||
        !sk_sq_copy_col(st, 2, t->user, sizeof(t->user)) ||
        !sk_sq_copy_col(st, 3, t->role, sizeof(t->role)))
        return sk_diag_set(diag, SK_ERR_STORE, "tokens", "a stored token is malformed");
    memcpy(t->hash, hash, SK_STORE_TOKEN_HASH_BYTES);
    t->created_at = sqlite3_column_int64(st, 5);
    t->expires_at = sqlite3_column_int64(st, 6);
    t->revoked_at = sqlite3_column_int64(st, 7);
    return SK_OK;
}

sk_err sk_store_token_put(sk_store *store, const sk_store_token *token, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(token != NULL);
    SK_ASSERT(token->id[0] != '\0');
    rc = sk_sq_prep_once(
        store, "INSERT INTO tokens(" TOKEN_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8)", &st, diag);
    if (rc != SK_OK)
        goto out;
    sk_sq_bind_cstr(st, 1, token->id);
    sk_sq_bind_cstr(st, 2, token->agency);
    sk_sq_bind_cstr(st, 3, token->user);
    sk_sq_bind_cstr(st, 4, token->role);
    sqlite3_bind_blob(st, 5, token->hash, SK_STORE_TOKEN_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, token->created_at);
    sk_sq_bind_time(st, 7, token->expires_at);
    sk_sq_bind_time(st, 8, token->revoked_at);
    rc = sk_sq_run(store, st, diag, "token put");
out:
    sqlite3_finalize(st);
    return rc;
}

sk_err sk_store_token_get(sk_store *store, sk_str id, sk_store_token *out, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;
    int step;

    SK_ASSERT(store != NULL);
    SK_ASSERT(out != NULL);
    rc = sk_sq_prep(store, ST_TOKEN_GET, &st, diag);
    if (rc != SK_OK)
        return rc;
    sk_sq_bind_str(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = token_row(st, out, diag);
    else if (step == SQLITE_DONE)
        rc = SK_ERR_NOT_FOUND;
    else
        rc = sk_sq_fail(store, diag, "token get");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

sk_err sk_store_token_revoke(sk_store *store, sk_str id, int64_t at, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    /* coalesce keeps the first revocation: the time it stopped working is
     * what an investigation needs. */
    rc = sk_sq_prep_once(
        store, "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1", &st, diag);
    if (rc != SK_OK)
        goto out;
    sk_sq_bind_str(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    rc = sk_sq_run(store, st, diag, "token revoke");
    if (rc == SK_OK && sqlite3_changes(store->db) == 0)
        rc = SK_ERR_NOT_FOUND;
out:
    sqlite3_finalize(st);
    return rc;
}

sk_err sk_store_token_list(sk_store *store, sk_str agency, sk_store_token_cb cb, void *ctx,
                           sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_store_token row;
    sk_err rc;
    int step;

    SK_ASSERT(store != NULL);
    SK_ASSERT(cb != NULL);
    rc = sk_sq_prep_once(store,
                         "SELECT " TOKEN_COLS " FROM tokens WHERE ?1 IS NULL OR agency = ?1 "
                         "ORDER BY created_at, id",
                         &st, diag);
    if (rc != SK_OK)
        goto out;
    sk_sq_bind_str(st, 1, agency);
    for (;;) {
        step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sk_sq_fail(store, diag, "token list");
            break;
        }
        rc = token_row(st, &row, diag);
        if (rc != SK_OK || cb(&row, ctx) != 0)
            break;
    }
out:
    sqlite3_finalize(st);
    return rc;
}

/* ---- end of bearer tokens ---- */

static sk_err configure(sk_store *s, int create, sk_diag *diag)
{
    char *err = NULL;
    sk_err rc = SK_OK;

    if (sqlite3_exec(s->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "PRAGMA busy_timeout=5000; PRAGMA cache_size=-65536;"
                     "PRAGMA temp_store=MEMORY;",
                     NULL, NULL, &err) != SQLITE_OK)
        rc = sk_diag_set(diag, SK_ERR_STORE, "", "configure: %s", err ? err : "?");
    sqlite3_free(err);
    err = NULL;
    if (rc == SK_OK && create && sqlite3_exec(s->db, schema_sql, NULL, NULL, &err) != SQLITE_OK)
        rc = sk_diag_set(diag, SK_ERR_STORE, "", "schema: %s", err ? err : "?");
    sqlite3_free(err);
    if (rc == SK_OK && create)
        rc = sk_store_meta_put(s, "schema_version", SCHEMA_VERSION, 1, diag);
    if (rc == SK_OK)
        rc = tokens_schema(s, create, diag);
    if (rc == SK_OK)
        rc = sk_sq_notify_schema(s, create, diag);
    return rc;
}

sk_err sk_store_open(const char *path, int create, sk_store **out, sk_diag *diag)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    sk_store *s;
    sk_err rc;

    SK_ASSERT(path != NULL);
    SK_ASSERT(out != NULL);
    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return SK_ERR_NOMEM;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        rc = create ? sk_diag_set(diag, SK_ERR_STORE, "", "cannot open %s: %s", path,
                                  s->db ? sqlite3_errmsg(s->db) : "out of memory")
                    : sk_diag_set(diag, SK_ERR_NOT_FOUND, "",
                                  "no database at %s (run 'safekeep init')", path);
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    rc = configure(s, create, diag);
out:
    if (rc != SK_OK)
        sk_store_close(s);
    else
        *out = s;
    return rc;
}

void sk_store_close(sk_store *store)
{
    size_t i;

    if (store == NULL)
        return;
    if (store->in_tx)
        sk_store_rollback(store);
    for (i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(store->stmt[i]);
    sqlite3_close(store->db);
    free(store);
}

sk_err sk_store_set_cache(sk_store *store, unsigned cache_mb, sk_diag *diag)
{
    char sql[64];
    char *err = NULL;
    sk_err rc = SK_OK;

    SK_ASSERT(store != NULL);
    snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%u", cache_mb * 1024u);
    if (sqlite3_exec(store->db, sql, NULL, NULL, &err) != SQLITE_OK)
        rc = sk_diag_set(diag, SK_ERR_STORE, "", "cache size: %s", err ? err : "?");
    sqlite3_free(err);
    return rc;
}

sk_err sk_store_begin(sk_store *store, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(!store->in_tx);
    rc = sk_sq_prep(store, ST_BEGIN, &st, diag);
    if (rc == SK_OK)
        rc = sk_sq_run(store, st, diag, "begin");
    if (rc == SK_OK)
        store->in_tx = 1;
    return rc;
}

sk_err sk_store_commit(sk_store *store, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(store->in_tx);
    rc = sk_sq_prep(store, ST_COMMIT, &st, diag);
    if (rc == SK_OK)
        rc = sk_sq_run(store, st, diag, "commit");
    if (rc == SK_OK)
        store->in_tx = 0;
    return rc;
}

void sk_store_rollback(sk_store *store)
{
    SK_ASSERT(store != NULL);
    if (!store->in_tx)
        return;
    /* A failed ROLLBACK leaves nothing to do: SQLite rolls back on close. */
    (void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    store->in_tx = 0;
}

void sk_store_fail_after(sk_store *store, unsigned long n)
{
    SK_ASSERT(store != NULL);
    store->fail_countdown = n;
}

sk_err sk_store_meta_get(sk_store *store, const char *key, unsigned char *buf, size_t buf_len,
                         size_t *len, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;
    int step;

    rc = sk_sq_prep(store, ST_META_GET, &st, diag);
    if (rc != SK_OK)
        return rc;
    sk_sq_bind_cstr(st, 1, key);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        if (n + 1 > buf_len) {
            rc = SK_ERR_TOO_LARGE;
        } else {
            if (n > 0)
                memcpy(buf, sqlite3_column_blob(st, 0), n);
            buf[n] = 0;
            *len = n;
        }
    } else {
        rc = step == SQLITE_DONE ? SK_ERR_NOT_FOUND : sk_sq_fail(store, diag, "meta get");
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

sk_err sk_store_meta_put(sk_store *store, const char *key, const void *value, size_t len,
                         sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    rc = sk_sq_prep(store, ST_META_PUT, &st, diag);
    if (rc != SK_OK)
        return rc;
    sk_sq_bind_cstr(st, 1, key);
    sqlite3_bind_blob(st, 2, value, (int)len, SQLITE_STATIC);
    return sk_sq_run(store, st, diag, "meta put");
}
