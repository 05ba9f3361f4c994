/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store.c: unit tests for the SQLite backend of sk_store.h, on a
 * database file in a temporary directory that each test creates and removes.
 *
 * Ledger scans are rendered as "seq:id" lists and compared whole, so the
 * documented orders are checked exactly. The append-only guarantee is tested
 * from outside the library, through a plain sqlite3 connection, because the
 * point of the triggers is to stop writers that do not go through sk_store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safekeep/sk_store.h"

#define OUT_MAX 1024

typedef struct fixture {
    char dir[64];
    char path[128];
    sk_store *store;
} fixture;

/* ----------------------------------------------------------------- fixture */

static void remove_db_files(const char *path)
{
    char name[160];

    (void)unlink(path);
    snprintf(name, sizeof(name), "%s-wal", path);
    (void)unlink(name);
    snprintf(name, sizeof(name), "%s-shm", path);
    (void)unlink(name);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sk_diag diag;

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/sk_test_store_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/safekeep.db", f->dir);
    if (sk_store_open(f->path, 1, &f->store, &diag) != SK_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    sk_store_close(f->store);
    remove_db_files(f->path);
    if (rmdir(f->dir) != 0)
        return -1;
    free(f);
    return 0;
}

/* ----------------------------------------------------------------- helpers */

/* A ledger row of child with the given id and time; identity is optional. */
static sk_ledger_row make_row(const char *id, const char *child, int64_t occurred,
                              const char *identity)
{
    sk_ledger_row row;

    memset(&row, 0, sizeof(row));
    row.id = sk_str_c(id);
    row.type = SK_STR("referral");
    row.occurred_at = occurred;
    row.recorded_at = occurred + 60;
    row.agency = SK_STR("ORR");
    row.user = SK_STR("cm.0042");
    row.subjects[0] = sk_str_c(child);
    row.subject_count = 1;
    row.payload_json = SK_STR("{}");
    if (identity != NULL) {
        row.identity_sealed = (const unsigned char *)identity;
        row.identity_sealed_len = strlen(identity);
    }
    row.prov_source = SK_STR("agency_record");
    return row;
}

static uint64_t append(sk_store *store, const sk_ledger_row *row)
{
    uint64_t seq = 0;
    sk_diag diag;

    sk_diag_clear(&diag);
    if (sk_store_ledger_append(store, row, &seq, &diag) != SK_OK)
        fail_msg("append %.*s: %s", (int)row->id.len, row->id.ptr, diag.msg);
    return seq;
}

static uint64_t ledger_count(sk_store *store)
{
    uint64_t n = 99;

    assert_int_equal(sk_store_ledger_count(store, &n, NULL), SK_OK);
    return n;
}

/* Appends "seq:id " to the string in ctx. */
static int render_row(const sk_ledger_row *row, void *ctx)
{
    char *out = ctx;
    size_t len = strlen(out);

    snprintf(out + len, OUT_MAX - len, "%llu:%.*s ", (unsigned long long)row->seq, (int)row->id.len,
             row->id.ptr);
    return 0;
}

static const char *scan(sk_store *store, sk_scan order, const char *child, char *out)
{
    out[0] = '\0';
    assert_int_equal(sk_store_ledger_scan(store, order, sk_str_c(child), render_row, out, NULL),
                     SK_OK);
    return out;
}

/* Appends "child_id " of each listed child to the string in ctx. */
static int render_child(const sk_child_row *row, void *ctx)
{
    char *out = ctx;
    size_t len = strlen(out);

    snprintf(out + len, OUT_MAX - len, "%.*s ", (int)row->child_id.len, row->child_id.ptr);
    return 0;
}

static const char *list(sk_store *store, const sk_child_filter *filter, char *out)
{
    out[0] = '\0';
    assert_int_equal(sk_store_children_list(store, filter, render_child, out, NULL), SK_OK);
    return out;
}

static void begin(sk_store *store)
{
    assert_int_equal(sk_store_begin(store, NULL), SK_OK);
}

static void commit(sk_store *store)
{
    assert_int_equal(sk_store_commit(store, NULL), SK_OK);
}

/* ------------------------------------------------------------ open and meta */

static void test_open_create_reopen(void **state)
{
    fixture *f = *state;
    char missing[160], expect[256];
    unsigned char buf[16];
    sk_store *other = NULL;
    sk_diag diag;
    size_t len = 0;

    snprintf(missing, sizeof(missing), "%s/missing.db", f->dir);
    sk_diag_clear(&diag);
    assert_int_equal(sk_store_open(missing, 0, &other, &diag), SK_ERR_NOT_FOUND);
    assert_null(other);
    snprintf(expect, sizeof(expect), "no database at %s (run 'safekeep init')", missing);
    assert_string_equal(diag.msg, expect);
    assert_int_equal(access(missing, F_OK), -1);
    assert_int_equal(sk_store_open("/nonexistent/dir/x.db", 1, &other, &diag), SK_ERR_STORE);
    assert_null(other);

    assert_int_equal(sk_store_meta_get(f->store, "schema_version", buf, sizeof(buf), &len, NULL),
                     SK_OK);
    assert_int_equal(len, 1);
    assert_string_equal((const char *)buf, "1");
    assert_int_equal(sk_store_meta_put(f->store, "key_check", "abc", 3, NULL), SK_OK);
    sk_store_close(f->store);
    f->store = NULL;
    assert_int_equal(sk_store_open(f->path, 0, &f->store, &diag), SK_OK);
    assert_int_equal(sk_store_meta_get(f->store, "key_check", buf, sizeof(buf), &len, NULL), SK_OK);
    assert_string_equal((const char *)buf, "abc");
    /* Creating over an existing store keeps its contents. */
    assert_int_equal(sk_store_open(f->path, 1, &other, &diag), SK_OK);
    assert_int_equal(sk_store_meta_get(other, "key_check", buf, sizeof(buf), &len, NULL), SK_OK);
    sk_store_close(other);
    sk_store_close(NULL);
}

static void test_meta_put_get(void **state)
{
    fixture *f = *state;
    static const unsigned char value[5] = {'a', 0, 'b', 0xFF, 'c'};
    unsigned char buf[8];
    size_t len = 0;

    assert_int_equal(sk_store_meta_get(f->store, "absent", buf, sizeof(buf), &len, NULL),
                     SK_ERR_NOT_FOUND);
    assert_int_equal(sk_store_meta_put(f->store, "blob", value, sizeof(value), NULL), SK_OK);
    memset(buf, 0x77, sizeof(buf));
    assert_int_equal(sk_store_meta_get(f->store, "blob", buf, sizeof(buf), &len, NULL), SK_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(buf, value, 5);
    assert_int_equal(buf[5], 0);
    /* The value and its NUL must fit. */
    assert_int_equal(sk_store_meta_get(f->store, "blob", buf, 5, &len, NULL), SK_ERR_TOO_LARGE);
    assert_int_equal(sk_store_meta_get(f->store, "blob", buf, 6, &len, NULL), SK_OK);
    assert_int_equal(sk_store_meta_put(f->store, "blob", "xy", 2, NULL), SK_OK);
    assert_int_equal(sk_store_meta_get(f->store, "blob", buf, sizeof(buf), &len, NULL), SK_OK);
    assert_int_equal(len, 2);
    assert_string_equal((const char *)buf, "xy");
}

/* ------------------------------------------------------------------- ledger */

static void test_ledger_append_and_duplicate(void **state)
{
    fixture *f = *state;
    sk_ledger_row row = make_row("E1", "C1", 1700000000, NULL);
    uint64_t seq = 0;
    sk_diag diag;
    int found = -1;

    begin(f->store);
    assert_int_equal(append(f->store, &row), 1);
    row = make_row("E2", "C1", 1700000100, NULL);
    assert_int_equal(append(f->store, &row), 2);
    row = make_row("E1", "C2", 1700000200, NULL);
    sk_diag_clear(&diag);
    assert_int_equal(sk_store_ledger_append(f->store, &row, &seq, &diag), SK_ERR_CONFLICT);
    assert_string_equal(diag.field, "id");
    assert_string_equal(diag.msg, "an event with this id is already in the ledger (imported "
                                  "before?)");
    assert_int_equal(sk_store_ledger_has(f->store, SK_STR("E1"), &found, NULL), SK_OK);
    assert_int_equal(found, 1);
    assert_int_equal(sk_store_ledger_has(f->store, SK_STR("E9"), &found, NULL), SK_OK);
    assert_int_equal(found, 0);
    commit(f->store);
    assert_int_equal(ledger_count(f->store), 2);
    /* Duplicates across transactions are refused as well. */
    begin(f->store);
    row = make_row("E2", "C3", 1700000300, NULL);
    assert_int_equal(sk_store_ledger_append(f->store, &row, &seq, NULL), SK_ERR_CONFLICT);
    row = make_row("E3", "C3", 1700000300, NULL);
    assert_int_equal(append(f->store, &row), 3);
    commit(f->store);
    assert_int_equal(ledger_count(f->store), 3);
}

/* A case in care at facility, apprehended at t. */
static void make_case(sk_case *c, const char *child, sk_custody custody, const char *country,
                      const char *facility, int64_t t)
{
    sk_case_init(c, sk_str_c(child));
    c->custody = custody;
    snprintf(c->country, sizeof(c->country), "%s", country);
    snprintf(c->language, sizeof(c->language), "%s", "spa");
    c->apprehended_at = t;
    c->event_count = 3;
    if (facility != NULL) {
        c->placement_count = 1;
        snprintf(c->placements[0].facility, sizeof(c->placements[0].facility), "%s", facility);
        c->placements[0].start = t + 86400;
    }
}

static void test_rollback_leaves_nothing(void **state)
{
    fixture *f = *state;
    sk_ledger_row row;
    unsigned char buf[64], hash[16] = {1};
    size_t len = 0;
    sk_case c;
    char out[OUT_MAX];

    begin(f->store);
    row = make_row("E1", "C1", 1700000000, "sealed");
    append(f->store, &row);
    row = make_row("E2", "C1", 1700000100, NULL);
    append(f->store, &row);
    make_case(&c, "C1", SK_CUSTODY_IN_CARE, "GT", "F1", 1700000000);
    assert_int_equal(sk_store_case_put(f->store, &c, 1, NULL), SK_OK);
    assert_int_equal(sk_store_person_put(f->store, SK_STR("C1"), "child", hash, 16, NULL), SK_OK);
    assert_int_equal(sk_store_blind_put(f->store, "anum", hash, 16, SK_STR("C1"), NULL), SK_OK);
    assert_int_equal(ledger_count(f->store), 2);
    sk_store_rollback(f->store);
    sk_store_rollback(f->store); /* no transaction: nothing to do */
    assert_int_equal(ledger_count(f->store), 0);
    assert_int_equal(sk_store_child_get(f->store, SK_STR("C1"), render_child, out, NULL),
                     SK_ERR_NOT_FOUND);
    assert_int_equal(sk_store_person_get(f->store, SK_STR("C1"), buf, sizeof(buf), &len, NULL),
                     SK_ERR_NOT_FOUND);
    out[0] = '\0';
    assert_int_equal(sk_store_blind_find(f->store, "anum", hash, 16, render_child, out, NULL),
                     SK_OK);
    assert_string_equal(out, "");

    /* Closing with a transaction open rolls it back too. */
    begin(f->store);
    row = make_row("E3", "C1", 1700000000, NULL);
    append(f->store, &row);
    sk_store_close(f->store);
    f->store = NULL;
    assert_int_equal(sk_store_open(f->path, 0, &f->store, NULL), SK_OK);
    assert_int_equal(ledger_count(f->store), 0);
}

/* Runs sql on a separate sqlite3 connection; returns the result code and
 * copies the error message into msg. */
static int raw_exec(const char *path, const char *sql, char *msg, size_t msg_len)
{
    sqlite3 *db = NULL;
    int rc;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_extended_result_codes(db, 1);
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    snprintf(msg, msg_len, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc;
}

static void test_ledger_is_append_only(void **state)
{
    fixture *f = *state;
    sk_ledger_row row = make_row("E1", "C1", 1700000000, NULL);
    char msg[256], out[OUT_MAX];

    begin(f->store);
    append(f->store, &row);
    commit(f->store);
    assert_int_equal(raw_exec(f->path, "UPDATE ledger SET type = 'admission'", msg, sizeof(msg)),
                     SQLITE_CONSTRAINT_TRIGGER);
    assert_string_equal(msg, "the ledger is append-only");
    assert_int_equal(raw_exec(f->path, "DELETE FROM ledger WHERE id = 'E1'", msg, sizeof(msg)),
                     SQLITE_CONSTRAINT_TRIGGER);
    assert_string_equal(msg, "the ledger is append-only");
    assert_int_equal(raw_exec(f->path, "DELETE FROM ledger", msg, sizeof(msg)),
                     SQLITE_CONSTRAINT_TRIGGER);
    /* Appending from outside is possible; rewriting history is not. */
    assert_int_equal(ledger_count(f->store), 1);
    assert_string_equal(scan(f->store, SK_SCAN_SEQ, "", out), "1:E1 ");
}

/* Five events of two children, recorded out of occurred order. */
static void append_scan_fixture(sk_store *store)
{
    sk_ledger_row row;

    begin(store);
    row = make_row("E1", "C2", 300, NULL);
    append(store, &row);
    row = make_row("E2", "C1", 200, NULL);
    append(store, &row);
    row = make_row("E3", "C1", 100, "sealed-3");
    append(store, &row);
    row = make_row("E4", "C2", 100, "sealed-4");
    append(store, &row);
    row = make_row("E5", "C1", 200, NULL);
    append(store, &row);
    commit(store);
}

static int stop_after_two(const sk_ledger_row *row, void *ctx)
{
    render_row(row, ctx);
    return row->seq == 2;
}

static void test_scan_orders(void **state)
{
    fixture *f = *state;
    char out[OUT_MAX];

    append_scan_fixture(f->store);
    assert_string_equal(scan(f->store, SK_SCAN_SEQ, "", out), "1:E1 2:E2 3:E3 4:E4 5:E5 ");
    assert_string_equal(scan(f->store, SK_SCAN_CHILD, "C1", out), "3:E3 2:E2 5:E5 ");
    assert_string_equal(scan(f->store, SK_SCAN_CHILD, "C2", out), "4:E4 1:E1 ");
    assert_string_equal(scan(f->store, SK_SCAN_CHILD, "C9", out), "");
    assert_string_equal(scan(f->store, SK_SCAN_BY_CHILD, "", out), "3:E3 2:E2 5:E5 4:E4 1:E1 ");
    assert_string_equal(scan(f->store, SK_SCAN_IDENTITY, "", out), "3:E3 4:E4 ");
    out[0] = '\0';
    assert_int_equal(
        sk_store_ledger_scan(f->store, SK_SCAN_SEQ, SK_STR_NULL, stop_after_two, out, NULL), SK_OK);
    assert_string_equal(out, "1:E1 2:E2 ");
}

/* Checks every column of the row read back from the scan. */
static int check_full_row(const sk_ledger_row *row, void *ctx)
{
    int *calls = ctx;

    (*calls)++;
    assert_int_equal(row->seq, 1);
    assert_true(sk_str_eqc(row->id, "0186f1c2-7a40-7c11-9a3e-1b2c3d4e5f60"));
    assert_true(sk_str_eqc(row->type, "sponsor_application"));
    assert_int_equal(row->occurred_at, 1678809900);
    assert_int_equal(row->recorded_at, 1678817100);
    assert_true(sk_str_eqc(row->agency, "ORR") && sk_str_eqc(row->user, "cm.0042"));
    assert_int_equal(row->subject_count, 3);
    assert_true(sk_str_eqc(row->subjects[0], "C0001234"));
    assert_true(sk_str_eqc(row->subjects[1], "S-77"));
    assert_true(sk_str_eqc(row->subjects[2], "H.1"));
    assert_true(sk_str_eqc(row->payload_json, "{\"sponsor_id\":\"S-77\"}"));
    assert_int_equal(row->identity_sealed_len, 4);
    assert_memory_equal(row->identity_sealed, "\x00\x01\xFE\xFF", 4);
    assert_true(sk_str_eqc(row->prov_source, "interview"));
    assert_true(sk_str_eqc(row->prov_ref, "form 7"));
    assert_int_equal(row->prov_reliability, 'B');
    assert_int_equal(row->dq_flags, SK_DQ_LATE | SK_DQ_NO_PRIOR);
    return 0;
}

static void test_ledger_row_round_trip(void **state)
{
    fixture *f = *state;
    sk_ledger_row row =
        make_row("0186f1c2-7a40-7c11-9a3e-1b2c3d4e5f60", "C0001234", 1678809900, NULL);
    int calls = 0;

    row.type = SK_STR("sponsor_application");
    row.recorded_at = 1678817100;
    row.subjects[1] = SK_STR("S-77");
    row.subjects[2] = SK_STR("H.1");
    row.subject_count = 3;
    row.payload_json = SK_STR("{\"sponsor_id\":\"S-77\"}");
    row.identity_sealed = (const unsigned char *)"\x00\x01\xFE\xFF";
    row.identity_sealed_len = 4;
    row.prov_source = SK_STR("interview");
    row.prov_ref = SK_STR("form 7");
    row.prov_reliability = 'B';
    row.dq_flags = SK_DQ_LATE | SK_DQ_NO_PRIOR;
    begin(f->store);
    assert_int_equal(append(f->store, &row), 1);
    commit(f->store);
    assert_int_equal(sk_store_ledger_scan(f->store, SK_SCAN_CHILD, SK_STR("C0001234"),
                                          check_full_row, &calls, NULL),
                     SK_OK);
    assert_int_equal(calls, 1);
    calls = 0;
    assert_int_equal(
        sk_store_ledger_scan(f->store, SK_SCAN_IDENTITY, SK_STR_NULL, check_full_row, &calls, NULL),
        SK_OK);
    assert_int_equal(calls, 1);
}

/* -------------------------------------------------------------- projections */

/* Writes four children, each fresh: C1 and C3 in care (GT), C2 released
 * (HN), C4 apprehended (GT); or C3 closed, with no placement. */
static void put_four_cases_in_tx(sk_store *store, int c3_closed)
{
    sk_case c;

    if (c3_closed)
        make_case(&c, "C3", SK_CUSTODY_CLOSED, "GT", NULL, 1700300000);
    else
        make_case(&c, "C3", SK_CUSTODY_IN_CARE, "GT", "F2", 1700300000);
    assert_int_equal(sk_store_case_put(store, &c, 1, NULL), SK_OK);
    make_case(&c, "C1", SK_CUSTODY_IN_CARE, "GT", "F1", 1700100000);
    c.age_years = 15;
    c.court = SK_COURT_HEARING_SCHEDULED;
    c.hearing_count = 2;
    snprintf(c.hearings[0].id, sizeof(c.hearings[0].id), "%s", "H1");
    c.hearings[0].scheduled_for = 1710000000;
    c.hearings[0].outcome = -1;
    snprintf(c.hearings[1].id, sizeof(c.hearings[1].id), "%s", "H2");
    c.hearings[1].scheduled_for = 1705000000;
    c.hearings[1].outcome = -1;
    c.dq_flags = SK_DQ_NO_PRIOR;
    assert_int_equal(sk_store_case_put(store, &c, 1, NULL), SK_OK);
    make_case(&c, "C2", SK_CUSTODY_RELEASED, "HN", "F1", 1700200000);
    c.placements[0].end = 1700250000;
    c.released_at = 1700250000;
    assert_int_equal(sk_store_case_put(store, &c, 1, NULL), SK_OK);
    make_case(&c, "C4", SK_CUSTODY_APPREHENDED, "GT", NULL, 1700400000);
    assert_int_equal(sk_store_case_put(store, &c, 1, NULL), SK_OK);
}

static void put_four_cases(sk_store *store)
{
    begin(store);
    put_four_cases_in_tx(store, 0);
    commit(store);
}

static uint64_t digest(sk_store *store)
{
    uint64_t d = 0;

    assert_int_equal(sk_store_projection_digest(store, &d, NULL), SK_OK);
    return d;
}

static int check_c1(const sk_child_row *row, void *ctx)
{
    (*(int *)ctx)++;
    assert_true(sk_str_eqc(row->child_id, "C1"));
    assert_true(sk_str_eqc(row->custody, "in_care"));
    assert_true(sk_str_eqc(row->court, "hearing_scheduled"));
    assert_true(sk_str_eqc(row->country, "GT"));
    assert_true(sk_str_eqc(row->language, "spa"));
    assert_true(sk_str_eqc(row->facility, "F1"));
    assert_int_equal(row->age_years, 15);
    assert_int_equal(row->apprehended_at, 1700100000);
    assert_int_equal(row->released_at, 0);
    assert_int_equal(row->next_hearing_at, 1705000000);
    assert_int_equal(row->event_count, 3);
    assert_int_equal(row->dq_flags, SK_DQ_NO_PRIOR);
    return 0;
}

static void test_child_get(void **state)
{
    fixture *f = *state;
    char out[OUT_MAX];
    int calls = 0;

    put_four_cases(f->store);
    assert_int_equal(sk_store_child_get(f->store, SK_STR("C1"), check_c1, &calls, NULL), SK_OK);
    assert_int_equal(calls, 1);
    assert_int_equal(sk_store_child_get(f->store, SK_STR("C9"), render_child, out, NULL),
                     SK_ERR_NOT_FOUND);
}

static void test_children_list_filters(void **state)
{
    fixture *f = *state;
    sk_child_filter flt;
    char out[OUT_MAX];

    put_four_cases(f->store);
    memset(&flt, 0, sizeof(flt));
    assert_string_equal(list(f->store, &flt, out), "C1 C2 C3 C4 ");
    flt.custody = SK_CUSTODY_IN_CARE + 1;
    assert_string_equal(list(f->store, &flt, out), "C1 C3 ");
    flt.custody = SK_CUSTODY_UNKNOWN + 1;
    assert_string_equal(list(f->store, &flt, out), "");
    flt.custody = 0;
    snprintf(flt.country, sizeof(flt.country), "%s", "GT");
    assert_string_equal(list(f->store, &flt, out), "C1 C3 C4 ");
    flt.custody = SK_CUSTODY_APPREHENDED + 1;
    assert_string_equal(list(f->store, &flt, out), "C4 ");
    memset(&flt, 0, sizeof(flt));
    snprintf(flt.facility, sizeof(flt.facility), "%s", "F1");
    assert_string_equal(list(f->store, &flt, out), "C1 "); /* C2 left F1 */
    memset(&flt, 0, sizeof(flt));
    flt.court = SK_COURT_HEARING_SCHEDULED + 1;
    assert_string_equal(list(f->store, &flt, out), "C1 ");
    memset(&flt, 0, sizeof(flt));
    flt.apprehended_from = 1700200000;
    flt.apprehended_to = 1700400000;
    assert_string_equal(list(f->store, &flt, out), "C2 C3 ");
    memset(&flt, 0, sizeof(flt));
    flt.limit = 2;
    flt.offset = 1;
    assert_string_equal(list(f->store, &flt, out), "C2 C3 ");
    flt.offset = 3;
    assert_string_equal(list(f->store, &flt, out), "C4 ");
    flt.offset = 4;
    assert_string_equal(list(f->store, &flt, out), "");
}

static void test_count_by_custody_and_replace(void **state)
{
    fixture *f = *state;
    uint64_t counts[SK_CUSTODY__COUNT];
    sk_child_filter flt;
    char out[OUT_MAX];
    uint64_t replaced;
    sk_case c;
    int i;

    put_four_cases(f->store);
    memset(counts, 0xFF, sizeof(counts));
    assert_int_equal(sk_store_count_by_custody(f->store, counts, NULL), SK_OK);
    for (i = 0; i < SK_CUSTODY__COUNT; i++) {
        uint64_t want = i == SK_CUSTODY_IN_CARE       ? 2
                        : i == SK_CUSTODY_RELEASED    ? 1
                        : i == SK_CUSTODY_APPREHENDED ? 1
                                                      : 0;
        assert_int_equal(counts[i], want);
    }
    /* A case written again (not fresh) replaces its row and its lists. */
    begin(f->store);
    make_case(&c, "C3", SK_CUSTODY_CLOSED, "GT", NULL, 1700300000);
    assert_int_equal(sk_store_case_put(f->store, &c, 0, NULL), SK_OK);
    commit(f->store);
    assert_int_equal(sk_store_count_by_custody(f->store, counts, NULL), SK_OK);
    assert_int_equal(counts[SK_CUSTODY_IN_CARE], 1);
    assert_int_equal(counts[SK_CUSTODY_CLOSED], 1);
    memset(&flt, 0, sizeof(flt));
    snprintf(flt.facility, sizeof(flt.facility), "%s", "F2");
    assert_string_equal(list(f->store, &flt, out), "");
    replaced = digest(f->store);
    begin(f->store);
    assert_int_equal(sk_store_projections_clear(f->store, NULL), SK_OK);
    put_four_cases_in_tx(f->store, 1);
    commit(f->store);
    assert_int_equal(digest(f->store), replaced);
}

static void test_person_and_blind_index(void **state)
{
    fixture *f = *state;
    static const unsigned char h1[16] = {1, 2, 3}, h2[16] = {9};
    unsigned char buf[32];
    char out[OUT_MAX];
    size_t len = 0;

    begin(f->store);
    assert_int_equal(sk_store_person_put(f->store, SK_STR("P1"), "child",
                                         (const unsigned char *)"sealed-one", 10, NULL),
                     SK_OK);
    assert_int_equal(sk_store_blind_put(f->store, "anum", h1, 16, SK_STR("P2"), NULL), SK_OK);
    assert_int_equal(sk_store_blind_put(f->store, "anum", h1, 16, SK_STR("P1"), NULL), SK_OK);
    assert_int_equal(sk_store_blind_put(f->store, "anum", h1, 16, SK_STR("P1"), NULL), SK_OK);
    assert_int_equal(sk_store_blind_put(f->store, "name_dob", h2, 16, SK_STR("P1"), NULL), SK_OK);
    commit(f->store);
    assert_int_equal(sk_store_person_get(f->store, SK_STR("P1"), buf, sizeof(buf), &len, NULL),
                     SK_OK);
    assert_int_equal(len, 10);
    assert_memory_equal(buf, "sealed-one", 10);
    assert_int_equal(sk_store_person_get(f->store, SK_STR("P1"), buf, 9, &len, NULL),
                     SK_ERR_TOO_LARGE);
    assert_int_equal(sk_store_person_get(f->store, SK_STR("P1"), buf, 10, &len, NULL), SK_OK);
    assert_int_equal(sk_store_person_get(f->store, SK_STR("P3"), buf, sizeof(buf), &len, NULL),
                     SK_ERR_NOT_FOUND);
    begin(f->store);
    assert_int_equal(
        sk_store_person_put(f->store, SK_STR("P1"), "child", (const unsigned char *)"v2", 2, NULL),
        SK_OK);
    commit(f->store);
    assert_int_equal(sk_store_person_get(f->store, SK_STR("P1"), buf, sizeof(buf), &len, NULL),
                     SK_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(buf, "v2", 2);

    out[0] = '\0';
    assert_int_equal(sk_store_blind_find(f->store, "anum", h1, 16, render_child, out, NULL), SK_OK);
    assert_string_equal(out, "P1 P2 ");
    out[0] = '\0';
    assert_int_equal(sk_store_blind_find(f->store, "name_dob", h1, 16, render_child, out, NULL),
                     SK_OK);
    assert_string_equal(out, "");
    assert_int_equal(sk_store_blind_find(f->store, "anum", h2, 16, render_child, out, NULL), SK_OK);
    assert_string_equal(out, "");
    assert_int_equal(sk_store_blind_find(f->store, "name_dob", h2, 16, render_child, out, NULL),
                     SK_OK);
    assert_string_equal(out, "P1 ");
}

static void test_projections_clear_and_digest(void **state)
{
    fixture *f = *state;
    const uint64_t empty = digest(f->store);
    static const unsigned char h[16] = {7};
    unsigned char buf[8];
    sk_ledger_row row = make_row("E1", "C1", 1700000000, NULL);
    uint64_t full, again;
    size_t len;

    assert_int_equal(empty, 0xcbf29ce484222325ULL);
    begin(f->store);
    append(f->store, &row);
    commit(f->store);
    assert_int_equal(digest(f->store), empty); /* the ledger is not a projection */
    put_four_cases(f->store);
    full = digest(f->store);
    assert_int_not_equal(full, empty);
    assert_int_equal(digest(f->store), full);
    begin(f->store);
    assert_int_equal(sk_store_person_put(f->store, SK_STR("C1"), "child", h, 16, NULL), SK_OK);
    commit(f->store);
    again = digest(f->store);
    assert_int_not_equal(again, full);
    /* The sealed bytes are not digested; which persons exist is. */
    begin(f->store);
    assert_int_equal(sk_store_person_put(f->store, SK_STR("C1"), "child", h, 8, NULL), SK_OK);
    commit(f->store);
    assert_int_equal(digest(f->store), again);
    begin(f->store);
    assert_int_equal(sk_store_blind_put(f->store, "anum", h, 16, SK_STR("C1"), NULL), SK_OK);
    assert_int_not_equal(digest(f->store), again);
    assert_int_equal(sk_store_projections_clear(f->store, NULL), SK_OK);
    commit(f->store);
    assert_int_equal(digest(f->store), empty);
    assert_int_equal(ledger_count(f->store), 1);
    assert_int_equal(sk_store_meta_get(f->store, "schema_version", buf, sizeof(buf), &len, NULL),
                     SK_OK);
    /* The same projections written in another order digest the same. */
    put_four_cases(f->store);
    assert_int_equal(digest(f->store), full);
}

static void test_fail_after(void **state)
{
    fixture *f = *state;
    sk_ledger_row row = make_row("E1", "C1", 1700000000, NULL);
    uint64_t seq = 0;
    sk_diag diag;

    sk_store_fail_after(f->store, 1);
    sk_diag_clear(&diag);
    assert_int_equal(sk_store_begin(f->store, &diag), SK_ERR_STORE);
    assert_string_equal(diag.msg, "begin: injected failure");
    sk_store_fail_after(f->store, 3);
    begin(f->store);
    assert_int_equal(append(f->store, &row), 1);
    row = make_row("E2", "C1", 1700000000, NULL);
    sk_diag_clear(&diag);
    assert_int_equal(sk_store_ledger_append(f->store, &row, &seq, &diag), SK_ERR_STORE);
    assert_string_equal(diag.msg, "append event: injected failure");
    /* Every later write fails too, commit included. */
    row = make_row("E3", "C1", 1700000000, NULL);
    assert_int_equal(sk_store_ledger_append(f->store, &row, &seq, NULL), SK_ERR_STORE);
    assert_int_equal(sk_store_meta_put(f->store, "k", "v", 1, NULL), SK_ERR_STORE);
    assert_int_equal(sk_store_commit(f->store, NULL), SK_ERR_STORE);
    sk_store_rollback(f->store);
    sk_store_fail_after(f->store, 0);
    assert_int_equal(ledger_count(f->store), 0);
    /* A subject index write counts as a write of its own. */
    sk_store_fail_after(f->store, 3);
    begin(f->store);
    row.subjects[1] = SK_STR("S1");
    row.subject_count = 2;
    assert_int_equal(sk_store_ledger_append(f->store, &row, &seq, NULL), SK_ERR_STORE);
    sk_store_rollback(f->store);
    sk_store_fail_after(f->store, 0);
    assert_int_equal(ledger_count(f->store), 0);
    begin(f->store);
    assert_int_equal(append(f->store, &row), 1);
    commit(f->store);
    assert_int_equal(ledger_count(f->store), 1);
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_(test_open_create_reopen),
        T_(test_meta_put_get),
        T_(test_ledger_append_and_duplicate),
        T_(test_rollback_leaves_nothing),
        T_(test_ledger_is_append_only),
        T_(test_scan_orders),
        T_(test_ledger_row_round_trip),
        T_(test_child_get),
        T_(test_children_list_filters),
        T_(test_count_by_custody_and_replace),
        T_(test_person_and_blind_index),
        T_(test_projections_clear_and_digest),
        T_(test_fail_after),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
