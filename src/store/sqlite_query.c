/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite_query.c: reading the projections: lists of children with filters,
 * one child, counts, blind-index lookups, and the maintenance operations a
 * rebuild needs (clear, digest). Filters are always bound parameters; the
 * only SQL assembled at run time is the choice of fixed WHERE clauses.
 */
#include "sqlite_int.h"

#include "sk_int.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX     100000

static void read_child(sqlite3_stmt *st, sk_child_row *row)
{
    memset(row, 0, sizeof(*row));
    row->child_id = sk_sq_col_str(st, 0);
    row->custody = sk_sq_col_str(st, 1);
    row->court = sk_sq_col_str(st, 2);
    row->country = sk_sq_col_str(st, 3);
    row->language = sk_sq_col_str(st, 4);
    row->facility = sk_sq_col_str(st, 5);
    row->age_years = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 6);
    row->apprehended_at = sqlite3_column_int64(st, 7);
    row->released_at = sqlite3_column_int64(st, 8);
    row->next_hearing_at = sqlite3_column_int64(st, 9);
    row->event_count = (uint32_t)sqlite3_column_int64(st, 10);
    row->dq_flags = (uint32_t)sqlite3_column_int64(st, 11);
}

static sk_err each_child(sk_store *s, sqlite3_stmt *st, sk_child_cb cb, void *ctx, int *seen,
                         sk_diag *diag)
{
    sk_child_row row;
    int step;

    *seen = 0;
    for (;;) {
        step = sqlite3_step(st);
        if (step != SQLITE_ROW)
            break;
        read_child(st, &row);
        (*seen)++;
        if (cb(&row, ctx) != 0)
            return SK_OK;
    }
    return step == SQLITE_DONE ? SK_OK : sk_sq_fail(s, diag, "list children");
}

sk_err sk_store_children_list(sk_store *store, const sk_child_filter *f, sk_child_cb cb, void *ctx,
                              sk_diag *diag)
{
    char sql[1024];
    sqlite3_stmt *st = NULL;
    uint32_t limit;
    int seen = 0;
    sk_err rc;

    SK_ASSERT(store != NULL && f != NULL && cb != NULL);
    limit = f->limit == 0 ? LIST_LIMIT_DEFAULT : f->limit;
    if (limit > LIST_LIMIT_MAX)
        limit = LIST_LIMIT_MAX;
    snprintf(sql, sizeof(sql),
             "SELECT child_id, custody, court, country, language, facility, age_years, "
             "apprehended_at, released_at, next_hearing_at, event_count, dq_flags "
             "FROM children WHERE 1=1%s%s%s%s%s%s ORDER BY child_id LIMIT ?7 OFFSET ?8",
             f->custody ? " AND custody = ?1" : "", f->court ? " AND court = ?2" : "",
             f->country[0] ? " AND country = ?3" : "", f->facility[0] ? " AND facility = ?4" : "",
             f->apprehended_from ? " AND apprehended_at >= ?5" : "",
             f->apprehended_to ? " AND apprehended_at < ?6" : "");
    if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sk_sq_fail(store, diag, "prepare list");
    if (f->custody)
        sk_sq_bind_cstr(st, 1, sk_custody_name((sk_custody)(f->custody - 1)));
    if (f->court)
        sk_sq_bind_cstr(st, 2, sk_court_name((sk_court)(f->court - 1)));
    sk_sq_bind_cstr(st, 3, f->country);
    sk_sq_bind_cstr(st, 4, f->facility);
    sk_sq_bind_time(st, 5, f->apprehended_from);
    sk_sq_bind_time(st, 6, f->apprehended_to);
    sqlite3_bind_int64(st, 7, limit);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)f->offset);
    rc = each_child(store, st, cb, ctx, &seen, diag);
    sqlite3_finalize(st);
    return rc;
}

sk_err sk_store_child_get(sk_store *store, sk_str child_id, sk_child_cb cb, void *ctx,
                          sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    int seen = 0;
    sk_err rc;

    rc = sk_sq_prep(store, ST_CHILD_GET, &st, diag);
    if (rc != SK_OK)
        return rc;
    sk_sq_bind_str(st, 1, child_id);
    rc = each_child(store, st, cb, ctx, &seen, diag);
    sk_sq_done(st);
    if (rc == SK_OK && seen == 0)
        rc = SK_ERR_NOT_FOUND;
    return rc;
}

sk_err sk_store_count_by_custody(sk_store *store, uint64_t counts[SK_CUSTODY__COUNT], sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_custody c;
    sk_err rc;
    int step;

    memset(counts, 0, sizeof(uint64_t) * SK_CUSTODY__COUNT);
    rc = sk_sq_prep(store, ST_COUNT_CUSTODY, &st, diag);
    if (rc != SK_OK)
        return rc;
    for (;;) {
        step = sqlite3_step(st);
        if (step != SQLITE_ROW)
            break;
        if (sk_custody_parse(sk_sq_col_str(st, 0), &c) == SK_OK)
            counts[c] = (uint64_t)sqlite3_column_int64(st, 1);
    }
    if (step != SQLITE_DONE)
        rc = sk_sq_fail(store, diag, "count children");
    sk_sq_done(st);
    return rc;
}

sk_err sk_store_blind_find(sk_store *store, const char *kind, const unsigned char *hash,
                           size_t hash_len, sk_child_cb cb, void *ctx, sk_diag *diag)
{
    sk_child_row row;
    sqlite3_stmt *st = NULL;
    sk_err rc;
    int step;

    rc = sk_sq_prep(store, ST_BLIND_FIND, &st, diag);
    if (rc != SK_OK)
        return rc;
    sk_sq_bind_cstr(st, 1, kind);
    sqlite3_bind_blob(st, 2, hash, (int)hash_len, SQLITE_STATIC);
    for (;;) {
        step = sqlite3_step(st);
        if (step != SQLITE_ROW)
            break;
        memset(&row, 0, sizeof(row));
        row.child_id = sk_sq_col_str(st, 0);
        row.age_years = -1;
        if (cb(&row, ctx) != 0) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = sk_sq_fail(store, diag, "blind index lookup");
    sk_sq_done(st);
    return rc;
}

sk_err sk_store_projections_clear(sk_store *store, sk_diag *diag)
{
    char *err = NULL;
    sk_err rc = SK_OK;

    SK_ASSERT(store->in_tx);
    if (sqlite3_exec(store->db,
                     "DELETE FROM children; DELETE FROM placements; DELETE FROM hearings;"
                     "DELETE FROM calls; DELETE FROM sponsors; DELETE FROM persons;"
                     "DELETE FROM blind_index;",
                     NULL, NULL, &err) != SQLITE_OK)
        rc = sk_diag_set(diag, SK_ERR_STORE, "", "clear projections: %s", err ? err : "?");
    sqlite3_free(err);
    return rc;
}

static const char *const digest_sql[] = {
    "SELECT * FROM children ORDER BY child_id",
    "SELECT * FROM placements ORDER BY child_id, idx",
    "SELECT * FROM hearings ORDER BY child_id, hearing_id",
    "SELECT * FROM calls ORDER BY child_id, idx",
    "SELECT * FROM sponsors ORDER BY child_id, sponsor_id",
    "SELECT person_id, kind FROM persons ORDER BY person_id",
    "SELECT * FROM blind_index ORDER BY kind, hash, person_id",
};

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static sk_err digest_query(sk_store *s, const char *sql, uint64_t *h, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    int step, i, n;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sk_sq_fail(s, diag, "prepare digest");
    n = sqlite3_column_count(st);
    for (;;) {
        step = sqlite3_step(st);
        if (step != SQLITE_ROW)
            break;
        for (i = 0; i < n; i++) {
            int type = sqlite3_column_type(st, i);
            const void *blob = sqlite3_column_blob(st, i);
            *h = fnv(*h, &type, sizeof(type));
            *h = fnv(*h, blob, (size_t)sqlite3_column_bytes(st, i));
        }
    }
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? SK_OK : sk_sq_fail(s, diag, "digest");
}

sk_err sk_store_projection_digest(sk_store *store, uint64_t *out, sk_diag *diag)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;
    sk_err rc = SK_OK;

    for (i = 0; rc == SK_OK && i < SK_ARRAY_LEN(digest_sql); i++)
        rc = digest_query(store, digest_sql[i], &h, diag);
    *out = h;
    return rc;
}
