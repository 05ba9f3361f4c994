/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite_ledger.c: append and scan the ledger. The subjects are kept as
 * written, comma-separated; the child (always the first) is also a column
 * indexed by (child_id, occurred_at, seq), which is how a case is replayed,
 * and the other subjects (sponsors, household members) go to event_subjects
 * so that any person's events can be found.
 */
#include "sqlite_int.h"

#include "sk_int.h"

#define SUBJECTS_TEXT_MAX (SK_SUBJECTS_MAX * (SK_ID_LEN_MAX + 1))

static size_t join_subjects(const sk_ledger_row *row, char *buf)
{
    size_t i, n = 0;

    for (i = 0; i < row->subject_count; i++) {
        SK_ASSERT(row->subjects[i].len <= SK_ID_LEN_MAX);
        if (i > 0)
            buf[n++] = ',';
        memcpy(buf + n, row->subjects[i].ptr, row->subjects[i].len);
        n += row->subjects[i].len;
    }
    return n;
}

static sk_err index_subjects(sk_store *s, const sk_ledger_row *row, uint64_t seq, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    size_t i;
    sk_err rc;

    if (row->subject_count < 2)
        return SK_OK;
    rc = sk_sq_prep(s, ST_SUBJECT_INSERT, &st, diag);
    for (i = 1; rc == SK_OK && i < row->subject_count; i++) {
        sk_sq_bind_str(st, 1, row->subjects[i]);
        sqlite3_bind_int64(st, 2, row->occurred_at);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
        rc = sk_sq_run(s, st, diag, "index subject");
    }
    return rc;
}

sk_err sk_store_ledger_append(sk_store *store, const sk_ledger_row *row, uint64_t *seq,
                              sk_diag *diag)
{
    char subjects[SUBJECTS_TEXT_MAX];
    char rel[2] = {row->prov_reliability, 0};
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL && row != NULL && seq != NULL);
    SK_ASSERT(store->in_tx);
    SK_ASSERT(row->subject_count > 0 && row->subject_count <= SK_SUBJECTS_MAX);
    rc = sk_sq_prep(store, ST_LEDGER_INSERT, &st, diag);
    if (rc != SK_OK)
        return rc;
    sk_sq_bind_str(st, 1, row->id);
    sk_sq_bind_str(st, 2, row->type);
    sqlite3_bind_int64(st, 3, row->occurred_at);
    sqlite3_bind_int64(st, 4, row->recorded_at);
    sk_sq_bind_str(st, 5, row->agency);
    sk_sq_bind_str(st, 6, row->user);
    sqlite3_bind_text(st, 7, subjects, (int)join_subjects(row, subjects), SQLITE_STATIC);
    sk_sq_bind_str(st, 8, row->payload_json);
    if (row->identity_sealed != NULL)
        sqlite3_bind_blob(st, 9, row->identity_sealed, (int)row->identity_sealed_len,
                          SQLITE_STATIC);
    sk_sq_bind_str(st, 10, row->prov_source);
    sk_sq_bind_str(st, 11, row->prov_ref);
    sk_sq_bind_cstr(st, 12, rel);
    sqlite3_bind_int64(st, 13, row->dq_flags);
    sk_sq_bind_str(st, 14, row->subjects[0]);
    sqlite3_bind_blob(st, 15, row->chain, sizeof(row->chain), SQLITE_STATIC);
    rc = sk_sq_run(store, st, diag, "append event");
    if (rc == SK_ERR_CONFLICT)
        return sk_diag_set(diag, SK_ERR_CONFLICT, "id",
                           "an event with this id is already in the "
                           "ledger (imported before?)");
    if (rc != SK_OK)
        return rc;
    *seq = (uint64_t)sqlite3_last_insert_rowid(store->db);
    return index_subjects(store, row, *seq, diag);
}

sk_err sk_store_ledger_has(sk_store *store, sk_str id, int *found, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;
    int step;

    rc = sk_sq_prep(store, ST_LEDGER_HAS, &st, diag);
    if (rc != SK_OK)
        return rc;
    sk_sq_bind_str(st, 1, id);
    step = sqlite3_step(st);
    *found = step == SQLITE_ROW;
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sk_sq_fail(store, diag, "ledger lookup");
    sk_sq_done(st);
    return rc;
}

static void split_subjects(sk_str text, sk_ledger_row *row)
{
    size_t i, start = 0;

    row->subject_count = 0;
    for (i = 0; i <= text.len && row->subject_count < SK_SUBJECTS_MAX; i++) {
        if (i < text.len && text.ptr[i] != ',')
            continue;
        row->subjects[row->subject_count].ptr = text.ptr + start;
        row->subjects[row->subject_count].len = i - start;
        row->subject_count++;
        start = i + 1;
    }
}

static void read_row(sqlite3_stmt *st, sk_ledger_row *row)
{
    sk_str rel;

    memset(row, 0, sizeof(*row));
    row->seq = (uint64_t)sqlite3_column_int64(st, 0);
    row->id = sk_sq_col_str(st, 1);
    row->type = sk_sq_col_str(st, 2);
    row->occurred_at = sqlite3_column_int64(st, 3);
    row->recorded_at = sqlite3_column_int64(st, 4);
    row->agency = sk_sq_col_str(st, 5);
    row->user = sk_sq_col_str(st, 6);
    split_subjects(sk_sq_col_str(st, 7), row);
    row->payload_json = sk_sq_col_str(st, 8);
    row->identity_sealed = sqlite3_column_blob(st, 9);
    row->identity_sealed_len = (size_t)sqlite3_column_bytes(st, 9);
    row->prov_source = sk_sq_col_str(st, 10);
    row->prov_ref = sk_sq_col_str(st, 11);
    rel = sk_sq_col_str(st, 12);
    row->prov_reliability = rel.len == 1 ? rel.ptr[0] : 0;
    row->dq_flags = (uint32_t)sqlite3_column_int64(st, 13);
    if (sqlite3_column_bytes(st, 14) == (int)sizeof(row->chain))
        memcpy(row->chain, sqlite3_column_blob(st, 14), sizeof(row->chain));
}

sk_err sk_store_ledger_scan(sk_store *store, sk_scan scan, sk_str child, sk_ledger_cb cb, void *ctx,
                            sk_diag *diag)
{
    static const enum stmt_id ids[] = {ST_LEDGER_ALL, ST_LEDGER_BY_SUBJECT, ST_LEDGER_BY_CHILD,
                                       ST_LEDGER_IDENTITY};
    sqlite3_stmt *st = NULL;
    sk_ledger_row row;
    sk_err rc;
    int step;

    SK_ASSERT(store != NULL && cb != NULL);
    SK_ASSERT((size_t)scan < SK_ARRAY_LEN(ids));
    rc = sk_sq_prep(store, ids[scan], &st, diag);
    if (rc != SK_OK)
        return rc;
    if (scan == SK_SCAN_CHILD)
        sqlite3_bind_text(st, 1, child.ptr, (int)child.len, SQLITE_STATIC);
    for (;;) {
        step = sqlite3_step(st);
        if (step != SQLITE_ROW)
            break;
        read_row(st, &row);
        if (cb(&row, ctx) != 0) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sk_sq_fail(store, diag, "scan ledger");
    sk_sq_done(st);
    return rc;
}

sk_err sk_store_ledger_count(sk_store *store, uint64_t *count, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    rc = sk_sq_prep(store, ST_LEDGER_COUNT, &st, diag);
    if (rc != SK_OK)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        *count = (uint64_t)sqlite3_column_int64(st, 0);
    else
        rc = sk_sq_fail(store, diag, "count ledger");
    sk_sq_done(st);
    return rc;
}

sk_err sk_store_ledger_head_put(sk_store *store, const sk_store_head *head, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_err rc;

    SK_ASSERT(store->in_tx);
    rc = sk_sq_prep(store, ST_HEAD_PUT, &st, diag);
    if (rc != SK_OK)
        return rc;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)head->size);
    sqlite3_bind_int64(st, 2, head->timestamp_ms);
    sqlite3_bind_blob(st, 3, head->root, sizeof(head->root), SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, head->chain, sizeof(head->chain), SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, head->signature, sizeof(head->signature), SQLITE_STATIC);
    return sk_sq_run(store, st, diag, "record ledger head");
}

static void read_blob(sqlite3_stmt *st, int col, unsigned char *out, size_t len)
{
    memset(out, 0, len);
    if ((size_t)sqlite3_column_bytes(st, col) == len)
        memcpy(out, sqlite3_column_blob(st, col), len);
}

sk_err sk_store_ledger_heads(sk_store *store, sk_head_cb cb, void *ctx, sk_diag *diag)
{
    sqlite3_stmt *st = NULL;
    sk_store_head h;
    sk_err rc;
    int step;

    rc = sk_sq_prep(store, ST_HEADS, &st, diag);
    if (rc != SK_OK)
        return rc;
    for (;;) {
        step = sqlite3_step(st);
        if (step != SQLITE_ROW)
            break;
        h.size = (uint64_t)sqlite3_column_int64(st, 0);
        h.timestamp_ms = sqlite3_column_int64(st, 1);
        read_blob(st, 2, h.root, sizeof(h.root));
        read_blob(st, 3, h.chain, sizeof(h.chain));
        read_blob(st, 4, h.signature, sizeof(h.signature));
        if (cb(&h, ctx) != 0) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = sk_sq_fail(store, diag, "read ledger heads");
    sk_sq_done(st);
    return rc;
}
