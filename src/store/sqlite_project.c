/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite_project.c: the projection tables (children and their placements,
 * hearings, calls and sponsors; persons and blind indexes) and the queries
 * over them. A case is written whole: its dependent rows are deleted and
 * re-inserted, which keeps a late event's replay as simple as a first write.
 */
#include "sqlite_int.h"

#include "sk_int.h"

static int64_t next_hearing(const sk_case *c)
{
    int64_t best = 0;
    size_t i;

    for (i = 0; i < c->hearing_count; i++) {
        const sk_hearing *h = &c->hearings[i];
        if (h->outcome < 0 && (best == 0 || h->scheduled_for < best))
            best = h->scheduled_for;
    }
    return best;
}

static sk_err put_child_row(sk_store *s, const sk_case *c, sk_diag *diag)
{
    const sk_placement *p = c->placement_count ? &c->placements[c->placement_count - 1] : NULL;
    uint32_t reached = 0;
    sqlite3_stmt *st = NULL;
    size_t i;
    sk_err rc;

    rc = sk_sq_prep(s, ST_CHILD_PUT, &st, diag);
    if (rc != SK_OK)
        return rc;
    for (i = 0; i < c->call_count; i++)
        reached += c->calls[i].reached;
    sk_sq_bind_cstr(st, 1, c->child_id);
    sk_sq_bind_cstr(st, 2, sk_custody_name(c->custody));
    sk_sq_bind_cstr(st, 3, sk_court_name(c->court));
    sk_sq_bind_cstr(st, 4, c->country);
    sk_sq_bind_cstr(st, 5, c->language);
    if (c->sex >= 0)
        sqlite3_bind_int(st, 6, c->sex);
    if (c->age_years >= 0)
        sqlite3_bind_int(st, 7, c->age_years);
    sk_sq_bind_time(st, 8, c->apprehended_at);
    sk_sq_bind_time(st, 9, c->referred_at);
    sk_sq_bind_time(st, 10, c->admitted_at);
    sk_sq_bind_time(st, 11, c->released_at);
    sk_sq_bind_time(st, 12, c->closed_at);
    if (c->discharge_type >= 0)
        sk_sq_bind_cstr(st, 13, sk_discharge_types[c->discharge_type]);
    sk_sq_bind_cstr(st, 14, c->sponsor_id);
    sk_sq_bind_time(st, 15, c->nta_filed_at);
    if (p != NULL && p->end == 0) {
        sk_sq_bind_cstr(st, 16, p->facility);
        sk_sq_bind_cstr(st, 17, sk_placement_types[p->type]);
    }
    sk_sq_bind_time(st, 18, next_hearing(c));
    sqlite3_bind_int(st, 19, c->call_count);
    sqlite3_bind_int64(st, 20, reached);
    sqlite3_bind_int64(st, 21, c->incident_count);
    sqlite3_bind_int64(st, 22, c->event_count);
    sqlite3_bind_int64(st, 23, c->dq_flags);
    sk_sq_bind_time(st, 24, c->last_occurred_at);
    return sk_sq_run(s, st, diag, "write child");
}

static sk_err clear_child(sk_store *s, const sk_case *c, sk_diag *diag)
{
    static const enum stmt_id dels[] = {ST_PLACEMENT_DEL, ST_HEARING_DEL, ST_CALL_DEL,
                                        ST_SPONSOR_DEL};
    sqlite3_stmt *st = NULL;
    size_t i;
    sk_err rc = SK_OK;

    for (i = 0; rc == SK_OK && i < SK_ARRAY_LEN(dels); i++) {
        rc = sk_sq_prep(s, dels[i], &st, diag);
        if (rc == SK_OK) {
            sk_sq_bind_cstr(st, 1, c->child_id);
            rc = sk_sq_run(s, st, diag, "clear child");
        }
    }
    return rc;
}

static sk_err put_placements(sk_store *s, const sk_case *c, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    size_t i;
    sk_err rc;

    rc = sk_sq_prep(s, ST_PLACEMENT_PUT, &st, diag);
    for (i = 0; rc == SK_OK && i < c->placement_count; i++) {
        const sk_placement *p = &c->placements[i];
        sk_sq_bind_cstr(st, 1, c->child_id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sk_sq_bind_cstr(st, 3, p->facility);
        sk_sq_bind_cstr(st, 4, sk_placement_types[p->type]);
        sk_sq_bind_time(st, 5, p->start);
        sk_sq_bind_time(st, 6, p->end);
        rc = sk_sq_run(s, st, diag, "write placement");
    }
    return rc;
}

static sk_err put_hearings(sk_store *s, const sk_case *c, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    size_t i;
    sk_err rc;

    rc = sk_sq_prep(s, ST_HEARING_PUT, &st, diag);
    for (i = 0; rc == SK_OK && i < c->hearing_count; i++) {
        const sk_hearing *h = &c->hearings[i];
        sk_sq_bind_cstr(st, 1, c->child_id);
        sk_sq_bind_cstr(st, 2, h->id);
        sk_sq_bind_cstr(st, 3, h->court);
        sk_sq_bind_time(st, 4, h->scheduled_for);
        if (h->outcome >= 0)
            sk_sq_bind_cstr(st, 5, sk_hearing_outcomes[h->outcome]);
        rc = sk_sq_run(s, st, diag, "write hearing");
    }
    return rc;
}

static sk_err put_calls_and_sponsors(sk_store *s, const sk_case *c, sk_diag *diag)
{
    static const char *const status[] = {"applied", "approved", "denied"};
    sqlite3_stmt *st = NULL;
    size_t i;
    sk_err rc;

    rc = sk_sq_prep(s, ST_CALL_PUT, &st, diag);
    for (i = 0; rc == SK_OK && i < c->call_count; i++) {
        sk_sq_bind_cstr(st, 1, c->child_id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sk_sq_bind_time(st, 3, c->calls[i].at);
        sqlite3_bind_int(st, 4, c->calls[i].reached);
        rc = sk_sq_run(s, st, diag, "write call");
    }
    if (rc == SK_OK)
        rc = sk_sq_prep(s, ST_SPONSOR_PUT, &st, diag);
    for (i = 0; rc == SK_OK && i < c->sponsor_count; i++) {
        const sk_sponsor_state *sp = &c->sponsors[i];
        sk_sq_bind_cstr(st, 1, c->child_id);
        sk_sq_bind_cstr(st, 2, sp->id);
        if (sp->category >= 0)
            sk_sq_bind_cstr(st, 3, sk_sponsor_categories[sp->category]);
        if (sp->relationship >= 0)
            sk_sq_bind_cstr(st, 4, sk_relationships[sp->relationship]);
        sk_sq_bind_cstr(st, 5, status[sp->status < 3 ? sp->status : 0]);
        sqlite3_bind_int(st, 6, sp->checks_done);
        sqlite3_bind_int(st, 7, sp->checks_flagged);
        rc = sk_sq_run(s, st, diag, "write sponsor");
    }
    return rc;
}

sk_err sk_store_case_put(sk_store *store, const sk_case *c, int fresh, sk_diag *diag)
{
    sk_err rc;

    SK_ASSERT(store != NULL && c != NULL);
    SK_ASSERT(store->in_tx);
    rc = put_child_row(store, c, diag);
    if (rc == SK_OK && !fresh)
        rc = clear_child(store, c, diag);
    if (rc == SK_OK)
        rc = put_placements(store, c, diag);
    if (rc == SK_OK)
        rc = put_hearings(store, c, diag);
    if (rc == SK_OK)
        rc = put_calls_and_sponsors(store, c, diag);
    return rc;
}

sk_err sk_store_person_put(sk_store *store, sk_str person_id, const char *kind,
                           const unsigned char *sealed, size_t sealed_len, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store->in_tx);
    rc = sk_sq_prep(store, ST_PERSON_PUT, &st, diag);
    if (rc != SK_OK)
        return rc;
    sk_sq_bind_str(st, 1, person_id);
    sk_sq_bind_cstr(st, 2, kind);
    sqlite3_bind_blob(st, 3, sealed, (int)sealed_len, SQLITE_STATIC);
    return sk_sq_run(store, st, diag, "write person");
}

sk_err sk_store_person_get(sk_store *store, sk_str person_id, unsigned char *buf, size_t buf_len,
                           size_t *len, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;
    int step;

    rc = sk_sq_prep(store, ST_PERSON_GET, &st, diag);
    if (rc != SK_OK)
        return rc;
    sk_sq_bind_str(st, 1, person_id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        if (n > buf_len) {
            rc = SK_ERR_TOO_LARGE;
        } else {
            memcpy(buf, sqlite3_column_blob(st, 0), n);
            *len = n;
        }
    } else {
        rc = step == SQLITE_DONE ? SK_ERR_NOT_FOUND : sk_sq_fail(store, diag, "read person");
    }
    sk_sq_done(st);
    return rc;
}

sk_err sk_store_blind_put(sk_store *store, const char *kind, const unsigned char *hash,
                          size_t hash_len, sk_str person_id, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store->in_tx);
    rc = sk_sq_prep(store, ST_BLIND_PUT, &st, diag);
    if (rc != SK_OK)
        return rc;
    sk_sq_bind_cstr(st, 1, kind);
    sqlite3_bind_blob(st, 2, hash, (int)hash_len, SQLITE_STATIC);
    sk_sq_bind_str(st, 3, person_id);
    return sk_sq_run(store, st, diag, "write blind index");
}

sk_err sk_store_policy_doc_put(sk_store *store, sk_str document_id, sk_str name, sk_str text,
                               sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store->in_tx);
    rc = sk_sq_prep(store, ST_POLICY_DOC_PUT, &st, diag);
    if (rc != SK_OK)
        return rc;
    sk_sq_bind_str(st, 1, document_id);
    sk_sq_bind_str(st, 2, name);
    sk_sq_bind_str(st, 3, text);
    rc = sk_sq_run(store, st, diag, "store policy document");
    if (rc == SK_ERR_CONFLICT)
        return sk_diag_set(diag, rc, "document", "this policy file was adopted before");
    return rc;
}

sk_err sk_store_policy_doc_get(sk_store *store, sk_str document_id, char **text, size_t *len,
                               sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;
    int step;

    *text = NULL;
    rc = sk_sq_prep(store, ST_POLICY_DOC_GET, &st, diag);
    if (rc != SK_OK)
        return rc;
    sk_sq_bind_str(st, 1, document_id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        sk_str t = sk_sq_col_str(st, 0);
        *text = malloc(t.len + 1);
        if (*text == NULL) {
            rc = SK_ERR_NOMEM;
        } else {
            memcpy(*text, t.ptr, t.len);
            (*text)[t.len] = '\0';
            *len = t.len;
        }
    } else {
        rc = step == SQLITE_DONE ? SK_ERR_NOT_FOUND : sk_sq_fail(store, diag, "read policy");
    }
    sk_sq_done(st);
    return rc;
}
