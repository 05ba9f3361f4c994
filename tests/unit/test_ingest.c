/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ingest.c: end-to-end tests of sk_ingest.h on SQLite databases in a
 * temporary directory: events, late events, rebuilds, identities and their
 * blind indexes, JSON-lines and CSV imports with their diagnostics, and a
 * fault-injection loop over a whole import.
 *
 * SAFEKEEP_KEY and SAFEKEEP_NOW are pinned, so sealing keys and recorded_at
 * are the same on every run. Equality of projections is checked with
 * sk_store_projection_digest, across two databases fed the same events in
 * different orders and across a rebuild. Every failing import is followed by
 * an abort and a check that the ledger holds exactly what it held before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safekeep/sk_ingest.h"

#define TEST_KEY "8f6c2b1a0e9d7c5b3a29181706f5e4d3c2b1a09f8e7d6c5b4a39281716051423"
#define OUT_MAX  1024

typedef struct fixture {
    char dir[64];
    char db[128];
    sk_store *store;
    sk_keyring *keys;
    sk_ingest *ing;
    sk_arena *arena;
} fixture;

/* ------------------------------------------------------------------ events */

/* One JSON event line of a child. */
#define EV(child, id, type, when, payload)                                                         \
    "{\"id\":\"" id "\",\"type\":\"" type "\",\"occurred_at\":\"" when "\",\"agency\":\"ORR\","    \
    "\"user\":\"cm.1\",\"subjects\":[\"" child "\"],\"payload\":{" payload "}}"

#define C1_APPR                                                                                    \
    EV("C1", "C1-appr", "apprehension", "2024-03-01T10:00:00Z",                                    \
       "\"given_name\":\"Jos\xC3\xA9 Luis\",\"family_name\":\"Garc\xC3\xAD"                        \
       "a L\xC3\xB3pez\",\"dob\":\"2010-05-01\",\"a_number\":\"A-012-345-678\","                   \
       "\"sex\":\"male\",\"country_of_birth\":\"GT\",\"language\":\"mam\"")
#define C1_REF EV("C1", "C1-ref", "referral", "2024-03-02T10:00:00Z", "")
#define C1_ADM                                                                                     \
    EV("C1", "C1-adm", "admission", "2024-03-03T10:00:00Z",                                        \
       "\"facility_id\":\"F1\",\"placement_type\":\"shelter\"")
#define C1_TR                                                                                      \
    EV("C1", "C1-tr", "transfer", "2024-03-10T10:00:00Z",                                          \
       "\"from_facility_id\":\"F1\",\"to_facility_id\":\"F2\",\"placement_type\":\"group_home\"")
#define C1_DIS                                                                                     \
    EV("C1", "C1-dis", "discharge", "2024-04-01T10:00:00Z",                                        \
       "\"discharge_type\":\"aged_out\",\"address\":\"12 Main St, Houston TX\","                   \
       "\"phone\":\"713-555-0100\",\"address_status\":\"verified\"")
#define C2_APPR                                                                                    \
    EV("C2", "C2-appr", "apprehension", "2024-02-01T10:00:00Z",                                    \
       "\"given_name\":\"Ana\",\"family_name\":\"P\xC3\xA9rez\",\"dob\":\"2011-02-03\","           \
       "\"country_of_birth\":\"HN\"")
#define C2_REF EV("C2", "C2-ref", "referral", "2024-02-02T10:00:00Z", "")

#define C1_IDENTITY                                                                                \
    "{\"a_number\":\"012345678\",\"address\":\"12 Main St, Houston TX\",\"dob\":\"2010-05-01\","   \
    "\"family_name\":\"Garc\xC3\xAD"                                                               \
    "a L\xC3\xB3pez\",\"given_name\":\"Jos\xC3\xA9 Luis\",\"phone\":\"713-555-0100\"}"

#define MSG_PLACEMENTS                                                                             \
    "expected one of: shelter, group_home, therapeutic_group_home, transitional_foster_care, "     \
    "long_term_foster_care, heightened_supervision, secure, residential_treatment, "               \
    "emergency_influx, out_of_network"
#define MSG_DUP "an event with this id is already in the ledger (imported before?)"

/* ----------------------------------------------------------------- fixture */

static sk_err open_db(fixture *f, const char *name, sk_store **store, sk_ingest **ing)
{
    char path[160];
    sk_err rc;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    rc = sk_store_open(path, 1, store, NULL);
    if (rc == SK_OK)
        rc = sk_ingest_new(*store, f->keys, ing);
    return rc;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || setenv("SAFEKEEP_KEY", TEST_KEY, 1) != 0 ||
        setenv("SAFEKEEP_NOW", "2025-01-01T00:00:00Z", 1) != 0)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/sk_test_ingest_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->db, sizeof(f->db), "%s/a.db", f->dir);
    if (sk_keyring_open("/nonexistent", &f->keys, NULL) != SK_OK ||
        open_db(f, "a.db", &f->store, &f->ing) != SK_OK ||
        sk_arena_new(64 * 1024, 4 * 1024 * 1024, &f->arena) != SK_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char path[400];
    struct dirent *de;
    DIR *d;

    sk_ingest_free(f->ing);
    sk_store_close(f->store);
    sk_keyring_free(f->keys);
    sk_arena_free(f->arena);
    d = opendir(f->dir);
    if (d == NULL)
        return -1;
    while ((de = readdir(d)) != NULL) { /* NOLINT: test cleanup */
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name);
        (void)unlink(path);
    }
    closedir(d);
    if (rmdir(f->dir) != 0)
        return -1;
    free(f);
    return 0;
}

/* ----------------------------------------------------------------- helpers */

/* Parses and ingests each line in one transaction; aborts on error. */
static sk_err ingest_lines(fixture *f, sk_ingest *ing, const char *const *lines, size_t n,
                           sk_diag *diag)
{
    sk_event ev;
    size_t i;
    sk_err rc;

    sk_diag_clear(diag);
    rc = sk_ingest_begin(ing, diag);
    for (i = 0; rc == SK_OK && i < n; i++) {
        sk_arena_reset(f->arena);
        rc = sk_event_parse_json(sk_str_c(lines[i]), f->arena, sk_ingest_now(ing), &ev, diag);
        if (rc == SK_OK)
            rc = sk_ingest_event(ing, &ev, diag);
    }
    if (rc == SK_OK)
        rc = sk_ingest_commit(ing, diag);
    if (rc != SK_OK)
        sk_ingest_abort(ing);
    return rc;
}

#define INGEST(f, ing, ...)                                                                        \
    do {                                                                                           \
        static const char *const lines_[] = {__VA_ARGS__};                                         \
        sk_diag d_;                                                                                \
        if (ingest_lines((f), (ing), lines_, SK_ARRAY_LEN(lines_), &d_) != SK_OK)                  \
            fail_msg("ingest: %s: %s", d_.field, d_.msg);                                          \
    } while (0)

static uint64_t ledger_count(sk_store *store)
{
    uint64_t n = 99;

    assert_int_equal(sk_store_ledger_count(store, &n, NULL), SK_OK);
    return n;
}

static uint64_t digest(sk_store *store)
{
    uint64_t d = 0;

    assert_int_equal(sk_store_projection_digest(store, &d, NULL), SK_OK);
    return d;
}

/* Appends "child_id " for each child row to ctx. */
static int render_id(const sk_child_row *row, void *ctx)
{
    char *out = ctx;
    size_t len = strlen(out);

    snprintf(out + len, OUT_MAX - len, "%.*s ", (int)row->child_id.len, row->child_id.ptr);
    return 0;
}

static const char *children(sk_store *store, char *out)
{
    sk_child_filter flt;

    memset(&flt, 0, sizeof(flt));
    out[0] = '\0';
    assert_int_equal(sk_store_children_list(store, &flt, render_id, out, NULL), SK_OK);
    return out;
}

/* Renders a child row as "custody court facility events dq". */
static int render_child(const sk_child_row *row, void *ctx)
{
    snprintf(ctx, OUT_MAX, "%.*s %.*s %.*s %u %u", (int)row->custody.len, row->custody.ptr,
             (int)row->court.len, row->court.ptr, (int)row->facility.len, row->facility.ptr,
             row->event_count, row->dq_flags);
    return 0;
}

static const char *child(sk_store *store, const char *id, char *out)
{
    out[0] = '\0';
    assert_int_equal(sk_store_child_get(store, sk_str_c(id), render_child, out, NULL), SK_OK);
    return out;
}

/* Appends "id=flags " for each ledger row to ctx. */
static int render_flags(const sk_ledger_row *row, void *ctx)
{
    char *out = ctx;
    size_t len = strlen(out);

    snprintf(out + len, OUT_MAX - len, "%.*s=%u ", (int)row->id.len, row->id.ptr, row->dq_flags);
    return 0;
}

static void write_file(const fixture *f, const char *name, const char *text, char *path)
{
    FILE *fp;

    snprintf(path, 160, "%s/%s", f->dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* ------------------------------------------------------------------ events */

static void test_ingest_custody_track(void **state)
{
    fixture *f = *state;
    sk_ingest_stats st;
    char out[OUT_MAX];
    uint64_t counts[SK_CUSTODY__COUNT];

    INGEST(f, f->ing, C1_APPR, C1_REF, C1_ADM, C1_TR, C1_DIS, C2_APPR, C2_REF);
    assert_int_equal(ledger_count(f->store), 7);
    assert_string_equal(child(f->store, "C1", out), "discharged none  5 0");
    assert_string_equal(child(f->store, "C2", out), "referred none  2 0");
    assert_string_equal(children(f->store, out), "C1 C2 ");
    assert_int_equal(sk_store_count_by_custody(f->store, counts, NULL), SK_OK);
    assert_int_equal(counts[SK_CUSTODY_DISCHARGED], 1);
    assert_int_equal(counts[SK_CUSTODY_REFERRED], 1);
    st = sk_ingest_get_stats(f->ing);
    assert_int_equal(st.events, 7);
    assert_int_equal(st.children_new, 2);
    assert_int_equal(st.flagged, 0);
    assert_int_equal(st.late, 0);
    /* A later transaction continues the stored case. */
    INGEST(f, f->ing,
           EV("C2", "C2-adm", "admission", "2024-02-03T10:00:00Z",
              "\"facility_id\":\"F9\",\"placement_type\":\"secure\""));
    assert_string_equal(child(f->store, "C2", out), "in_care none F9 3 0");
}

static void test_late_event_same_projection(void **state)
{
    fixture *f = *state;
    sk_store *b = NULL;
    sk_ingest *ing_b = NULL;
    sk_ingest_stats st;
    char out[OUT_MAX], out_b[OUT_MAX];

    /* A: the referral and the transfer arrive after the discharge. */
    INGEST(f, f->ing, C1_APPR, C1_ADM, C1_DIS);
    INGEST(f, f->ing, C1_REF, C1_TR);
    /* B: the same events in the order they occurred. */
    assert_int_equal(open_db(f, "b.db", &b, &ing_b), SK_OK);
    INGEST(f, ing_b, C1_APPR, C1_REF, C1_ADM, C1_TR, C1_DIS);
    assert_int_equal(digest(f->store), digest(b));
    assert_string_equal(child(f->store, "C1", out), child(b, "C1", out_b));
    assert_string_equal(out, "discharged none  5 0");
    st = sk_ingest_get_stats(f->ing);
    assert_int_equal(st.late, 2);
    assert_int_equal(st.replays, 2);
    out[0] = '\0';
    assert_int_equal(
        sk_store_ledger_scan(f->store, SK_SCAN_SEQ, SK_STR_NULL, render_flags, out, NULL), SK_OK);
    assert_string_equal(out, "C1-appr=0 C1-adm=2 C1-dis=0 C1-ref=1 C1-tr=1 ");
    /* Late events within one transaction come out the same. */
    INGEST(f, ing_b, C2_REF, C2_APPR);
    INGEST(f, f->ing, C2_APPR, C2_REF);
    assert_int_equal(digest(f->store), digest(b));
    sk_ingest_free(ing_b);
    sk_store_close(b);
}

static void test_rebuild_same_digest(void **state)
{
    fixture *f = *state;
    char buf[512];
    uint64_t before;

    INGEST(f, f->ing, C1_APPR, C1_ADM, C1_DIS, C2_APPR);
    INGEST(f, f->ing, C1_REF, C1_TR, C2_REF);
    before = digest(f->store);
    assert_int_equal(sk_rebuild(f->store, f->keys, NULL), SK_OK);
    assert_int_equal(digest(f->store), before);
    assert_int_equal(ledger_count(f->store), 7);
    assert_int_equal(sk_identity_get(f->store, f->keys, SK_STR("C1"), buf, sizeof(buf), NULL),
                     SK_OK);
    assert_string_equal(buf, C1_IDENTITY);
    /* From cleared projections too. */
    assert_int_equal(sk_store_begin(f->store, NULL), SK_OK);
    assert_int_equal(sk_store_projections_clear(f->store, NULL), SK_OK);
    assert_int_equal(sk_store_commit(f->store, NULL), SK_OK);
    assert_int_not_equal(digest(f->store), before);
    assert_int_equal(sk_rebuild(f->store, f->keys, NULL), SK_OK);
    assert_int_equal(digest(f->store), before);
}

static void test_abort_and_duplicates(void **state)
{
    fixture *f = *state;
    sk_event ev;
    sk_diag diag;
    char out[OUT_MAX];

    INGEST(f, f->ing, C2_APPR);
    assert_int_equal(sk_ingest_begin(f->ing, NULL), SK_OK);
    assert_int_equal(
        sk_event_parse_json(SK_STR(C1_APPR), f->arena, sk_ingest_now(f->ing), &ev, NULL), SK_OK);
    assert_int_equal(sk_ingest_event(f->ing, &ev, NULL), SK_OK);
    assert_int_equal(ledger_count(f->store), 2);
    sk_ingest_abort(f->ing);
    assert_int_equal(ledger_count(f->store), 1);
    assert_string_equal(children(f->store, out), "C2 ");
    assert_int_equal(sk_identity_get(f->store, f->keys, SK_STR("C1"), out, sizeof(out), NULL),
                     SK_ERR_NOT_FOUND);

    /* The same id again, in a later transaction or in the same one. */
    static const char *const again[] = {C2_APPR};
    assert_int_equal(ingest_lines(f, f->ing, again, 1, &diag), SK_ERR_CONFLICT);
    assert_string_equal(diag.field, "id");
    assert_string_equal(diag.msg, MSG_DUP);
    static const char *const twice[] = {C1_APPR, C1_REF, C1_APPR};
    assert_int_equal(ingest_lines(f, f->ing, twice, 3, &diag), SK_ERR_CONFLICT);
    assert_int_equal(ledger_count(f->store), 1);
    assert_string_equal(children(f->store, out), "C2 ");
}

/* ---------------------------------------------------------------- identity */

static int collect(const sk_child_row *row, void *ctx)
{
    return render_id(row, ctx);
}

static const char *find_anum(fixture *f, const char *anum, char *out)
{
    out[0] = '\0';
    assert_int_equal(
        sk_identity_find_anumber(f->store, f->keys, sk_str_c(anum), collect, out, NULL), SK_OK);
    return out;
}

static const char *find_name(fixture *f, const char *given, const char *family, const char *dob,
                             char *out)
{
    out[0] = '\0';
    assert_int_equal(sk_identity_find_name(f->store, f->keys, sk_str_c(given), sk_str_c(family),
                                           sk_str_c(dob), collect, out, NULL),
                     SK_OK);
    return out;
}

/* 1 when the file path+suffix (if it exists) contains needle. */
static int file_contains(const char *path, const char *suffix, const char *needle)
{
    static char image[4 << 20];
    char name[200];
    size_t n;
    FILE *fp;

    snprintf(name, sizeof(name), "%s%s", path, suffix);
    fp = fopen(name, "rb");
    if (fp == NULL)
        return 0;
    n = fread(image, 1, sizeof(image), fp);
    fclose(fp);
    return memmem(image, n, needle, strlen(needle)) != NULL;
}

static void test_identity_merge_and_get(void **state)
{
    fixture *f = *state;
    char buf[512];

    INGEST(f, f->ing, C1_APPR, C1_REF, C1_ADM);
    assert_int_equal(sk_identity_get(f->store, f->keys, SK_STR("C1"), buf, sizeof(buf), NULL),
                     SK_OK);
    assert_string_equal(buf, "{\"a_number\":\"012345678\",\"dob\":\"2010-05-01\",\"family_name\":"
                             "\"Garc\xC3\xAD"
                             "a L\xC3\xB3pez\",\"given_name\":\"Jos\xC3\xA9 Luis\"}");
    INGEST(f, f->ing, C1_DIS,
           EV("C1", "C1-sp", "sponsor_application", "2024-03-20T10:00:00Z",
              "\"sponsor_id\":\"S1\",\"category\":\"2A\",\"relationship\":\"aunt_uncle\","
              "\"given_name\":\"Rosa\",\"family_name\":\"L\xC3\xB3pez\",\"phone\":\"7135550101\""));
    assert_int_equal(sk_identity_get(f->store, f->keys, SK_STR("C1"), buf, sizeof(buf), NULL),
                     SK_OK);
    assert_string_equal(buf, C1_IDENTITY);
    assert_int_equal(sk_identity_get(f->store, f->keys, SK_STR("S1"), buf, sizeof(buf), NULL),
                     SK_OK);
    assert_string_equal(buf, "{\"family_name\":\"L\xC3\xB3pez\",\"given_name\":\"Rosa\","
                             "\"phone\":\"7135550101\"}");
    assert_int_equal(sk_identity_get(f->store, f->keys, SK_STR("C1"), buf, 20, NULL),
                     SK_ERR_TOO_LARGE);
    assert_int_equal(sk_identity_get(f->store, f->keys, SK_STR("C9"), buf, sizeof(buf), NULL),
                     SK_ERR_NOT_FOUND);
    /* Nothing identifying is stored in the clear, in the file or its log. */
    assert_false(file_contains(f->db, "", "Main St"));
    assert_false(file_contains(f->db, "-wal", "Main St"));
    assert_false(file_contains(f->db, "-wal", "012345678"));
    assert_false(file_contains(f->db, "-wal", "Rosa"));
    assert_true(file_contains(f->db, "-wal", "C1-dis")); /* the check can see text */
}

static void test_identity_find(void **state)
{
    fixture *f = *state;
    char out[OUT_MAX];
    sk_diag diag;

    INGEST(f, f->ing, C1_APPR, C2_APPR);
    assert_string_equal(find_anum(f, "12345678", out), "C1 ");
    assert_string_equal(find_anum(f, "A-012-345-678", out), "C1 ");
    assert_string_equal(find_anum(f, "012345679", out), "");
    sk_diag_clear(&diag);
    assert_int_equal(
        sk_identity_find_anumber(f->store, f->keys, SK_STR("A12"), collect, out, &diag),
        SK_ERR_INVALID);
    assert_string_equal(diag.field, "a_number");
    assert_string_equal(find_name(f, "JOSE LUIS", "GARCIA LOPEZ", "2010-05-01", out), "C1 ");
    assert_string_equal(find_name(f, "Jos\xC3\xA9 Luis",
                                  "Garc\xC3\xAD"
                                  "a-L\xC3\xB3pez",
                                  "2010-05-01", out),
                        "C1 ");
    assert_string_equal(find_name(f, "  jose  luis ", "garcia lopez", "2010-05-01", out), "C1 ");
    assert_string_equal(find_name(f, "ANA", "PEREZ", "2011-02-03", out), "C2 ");
    assert_string_equal(find_name(f, "Jose Luis", "Garcia Lopez", "2010-05-02", out), "");
    assert_string_equal(find_name(f, "Jose", "Garcia Lopez", "2010-05-01", out), "");
    assert_int_equal(sk_identity_find_name(f->store, f->keys, SK_STR("Ana"), SK_STR("Perez"),
                                           SK_STR("2/3/2011"), collect, out, &diag),
                     SK_ERR_INVALID);
}

/* ------------------------------------------------------------- JSON import */

/* Imports text as name.jsonl and expects rc with the formatted diagnostic
 * "<path>:<rest>"; the ledger count must be what it was. */
static void expect_jsonl(fixture *f, const char *text, sk_err want, const char *rest)
{
    const sk_import_opts opts = {NULL, NULL, NULL, NULL};
    char path[160], got[600], expect[600];
    uint64_t before = ledger_count(f->store);
    sk_diag diag;
    sk_err rc;

    write_file(f, "in.jsonl", text, path);
    sk_diag_clear(&diag);
    assert_int_equal(sk_ingest_begin(f->ing, NULL), SK_OK);
    rc = sk_import_jsonl(f->ing, path, &opts, &diag);
    if (rc == SK_OK)
        rc = sk_ingest_commit(f->ing, &diag);
    if (rc != SK_OK)
        sk_ingest_abort(f->ing);
    assert_int_equal(rc, want);
    if (want == SK_OK)
        return;
    sk_diag_format(&diag, got, sizeof(got));
    snprintf(expect, sizeof(expect), "%s:%s", path, rest);
    assert_string_equal(got, expect);
    assert_int_equal(ledger_count(f->store), before);
}

static void test_import_jsonl(void **state)
{
    fixture *f = *state;
    char out[OUT_MAX];
    char *big;

    expect_jsonl(f, C2_APPR "\n\r\n" C2_REF "\r\n", SK_OK, NULL);
    assert_int_equal(ledger_count(f->store), 2);
    assert_string_equal(child(f->store, "C2", out), "referred none  2 0");
    expect_jsonl(f,
                 C1_APPR "\n"
                         "{\"id\":\"x\",\"type\":\"referral\",\"occurred_at\":5,\"agency\":\"ORR\","
                         "\"user\":\"u\",\"subjects\":[\"C1\"],\"payload\":{}}\n",
                 SK_ERR_INVALID, "2: occurred_at: expected a string");
    expect_jsonl(f,
                 EV("C1", "a1", "admission", "2024-03-03T10:00:00Z",
                    "\"facility_id\":\"F1\",\"placement_type\":\"hotel\"") "\n",
                 SK_ERR_INVALID, "1: placement_type: " MSG_PLACEMENTS);
    expect_jsonl(f, C1_APPR "\n" C1_REF "\n{\"id\":\"E9\",\"type\":\n", SK_ERR_INVALID,
                 "3: not valid JSON (at character 18)");
    expect_jsonl(f,
                 C1_APPR "\n\n" EV("C1", "r1", "referral", "2024-03-02T10:00:00Z",
                                   "\"referring_office\":\"\xC3(\"") "\n",
                 SK_ERR_INVALID, "3: invalid UTF-8 (or a NUL byte)");
    expect_jsonl(f, C1_APPR "\n" C1_APPR "\n", SK_ERR_CONFLICT, "2: id: " MSG_DUP);
    expect_jsonl(f, C2_APPR "\n", SK_ERR_CONFLICT, "1: id: " MSG_DUP);
    expect_jsonl(f,
                 C1_APPR "\n" EV("C1", "x", "wellness_call", "2024-03-02T10:00:00Z",
                                 "\"reached\":\"yes\"") "\n",
                 SK_ERR_INVALID, "2: reached: expected true or false");
    big = calloc(1, sizeof(C1_REF) + SK_EVENT_LINE_MAX + 2);
    assert_non_null(big);
    memcpy(big, C1_REF "\n", sizeof(C1_REF));
    memset(big + sizeof(C1_REF), 'x', SK_EVENT_LINE_MAX + 1);
    expect_jsonl(f, big, SK_ERR_TOO_LARGE, "2: line longer than 16384 bytes");
    free(big);
    assert_int_equal(ledger_count(f->store), 2);
    assert_string_equal(children(f->store, out), "C2 ");
}

/* docs/import.md: "blank lines are skipped"; a line of spaces and tabs is
 * blank too (editors and exports leave them). */
static void test_import_jsonl_whitespace_line_is_blank(void **state)
{
    fixture *f = *state;

    expect_jsonl(f, C2_APPR "\n  \t \r\n" C2_REF "\n", SK_OK, NULL);
    assert_int_equal(ledger_count(f->store), 2);
}

/* -------------------------------------------------------------- CSV import */

#define CSV_HEADER                                                                                 \
    "case_id,family_name,given_name,dob,a_number,sex,country_of_birth,language,"                   \
    "apprehension_date,admission_date,facility_id,placement_type,release_date,discharge_type,"     \
    "release_address,wellness_call_date,wellness_call_reached\r\n"
#define CSV_ROW1                                                                                   \
    "C100,Garc\xC3\xAD"                                                                            \
    "a L\xC3\xB3pez,Jos\xC3\xA9 Luis,5/1/2010,A-012-345-678,M,gt,mam,3/1/2024,3/3/2024,F1,"        \
    "Shelter,,,,,\r\n"
#define CSV_ROW2                                                                                   \
    "C200,P\xC3\xA9rez,Ana,2011-02-03,,F,HN,spa,03/05/24,3/6/2024,F2,group home,4/1/2024,"         \
    "aged out,\"12 Main St,\nHouston\",4/15/2024,yes\r\n"

/* Imports text as in.csv; expects rc and, on failure, the formatted
 * diagnostic "<path>:<rest>" and an unchanged ledger. */
static void expect_csv(fixture *f, const char *text, sk_err want, const char *rest)
{
    const sk_import_opts opts = {"ORR", "importer", NULL, NULL};
    char path[160], got[600], expect[600];
    uint64_t before = ledger_count(f->store);
    sk_diag diag;
    sk_err rc;

    write_file(f, "in.csv", text, path);
    sk_diag_clear(&diag);
    rc = sk_ingest_begin(f->ing, &diag);
    if (rc == SK_OK)
        rc = sk_import_csv(f->ing, path, &opts, &diag);
    if (rc == SK_OK)
        rc = sk_ingest_commit(f->ing, &diag);
    if (rc != SK_OK)
        sk_ingest_abort(f->ing);
    sk_diag_format(&diag, got, sizeof(got));
    if (rc != want)
        fail_msg("got %s: %s", sk_err_str(rc), got);
    if (want == SK_OK)
        return;
    snprintf(expect, sizeof(expect), "%s:%s", path, rest);
    assert_string_equal(got, expect);
    assert_int_equal(ledger_count(f->store), before);
}

static void test_import_csv(void **state)
{
    fixture *f = *state;
    char out[OUT_MAX], buf[256];

    expect_csv(f, "\xEF\xBB\xBF" CSV_HEADER CSV_ROW1 CSV_ROW2, SK_OK, NULL);
    assert_int_equal(ledger_count(f->store), 6);
    assert_string_equal(children(f->store, out), "C100 C200 ");
    assert_string_equal(child(f->store, "C100", out), "in_care none F1 2 2");
    assert_string_equal(child(f->store, "C200", out), "discharged none  4 2");
    assert_int_equal(sk_identity_get(f->store, f->keys, SK_STR("C200"), buf, sizeof(buf), NULL),
                     SK_OK);
    assert_string_equal(buf, "{\"address\":\"12 Main St, Houston\",\"dob\":\"2011-02-03\","
                             "\"family_name\":\"P\xC3\xA9rez\",\"given_name\":\"Ana\"}");
    assert_string_equal(find_anum(f, "12345678", out), "C100 ");
    assert_string_equal(find_name(f, "JOSE LUIS", "GARCIA LOPEZ", "2010-05-01", out), "C100 ");
    /* The same sheet again is refused as a duplicate. */
    expect_csv(f, CSV_HEADER CSV_ROW1, SK_ERR_CONFLICT, "2: id: " MSG_DUP);
}

static void test_import_csv_errors(void **state)
{
    fixture *f = *state;
    char out[OUT_MAX];

    expect_csv(f, CSV_HEADER CSV_ROW2, SK_OK, NULL);
    expect_csv(f, "case_id,family_name,given_name,country_of_birth,apprehension_date,colour\n",
               SK_ERR_INVALID, "1: header: column 6 is not a known column (docs/import.md)");
    expect_csv(f, "case_id,family_name,given_name,apprehension_date\nC1,A,B,3/1/2024\n",
               SK_ERR_INVALID,
               "1: header: case_id, family_name, given_name, country_of_birth and "
               "apprehension_date columns are required");
    expect_csv(f, CSV_HEADER CSV_ROW1 "C300,Ruiz,Eva,,,,GT,,3/1/2024,31/31/2024,F1,shelter,,,,,\n",
               SK_ERR_INVALID,
               "3: admission_date (column 10): expected a date such as 2023-03-14 or 3/14/2023");
    expect_csv(f, CSV_HEADER "C300,Ruiz,Eva,1999-99-99,,,GT,,3/1/2024,,,,,,,,\n", SK_ERR_INVALID,
               "2: dob (column 4): expected a date such as 2023-03-14 or 3/14/2023");
    expect_csv(f, CSV_HEADER CSV_ROW1 "C300,Ruiz,Eva,,,,GT,,3/1/2024,3/2/2024,F1,hotel,,,,,\n",
               SK_ERR_INVALID, "3: placement_type (column 12): " MSG_PLACEMENTS);
    expect_csv(f, CSV_HEADER "C300,Ruiz,Eva,,,,GT,,3/1/2024,,,,,,,3/9/2024,maybe\n", SK_ERR_INVALID,
               "2: wellness_call_reached (column 17): expected yes or no");
    expect_csv(f, CSV_HEADER "C300,Ruiz,Eva,,,,GT,,3/1/2024,3/2/2024,,shelter,,,,,\n",
               SK_ERR_INVALID,
               "2: facility_id (column 11): required when admission_date is filled in");
    expect_csv(f, CSV_HEADER CSV_ROW1 "C301,R\xC3(uiz,Eva,,,,GT,,3/1/2024,,,,,,,,\n",
               SK_ERR_INVALID, "3: column 2: invalid UTF-8 (the file must be saved as UTF-8)");
    expect_csv(f, CSV_HEADER CSV_ROW1 CSV_ROW1, SK_ERR_CONFLICT, "3: id: " MSG_DUP);
    expect_csv(f, CSV_HEADER "C300,Ruiz,Eva,,,,GT,,3/1/2031,,,,,,,,\n", SK_ERR_INVALID,
               "2: apprehension_date (column 9): in the future");
    assert_int_equal(ledger_count(f->store), 4);
    assert_string_equal(children(f->store, out), "C200 ");
}

/* With several files in one import, an empty one must be named like every
 * other failing file. */
static void test_import_csv_empty_file_named(void **state)
{
    fixture *f = *state;

    expect_csv(f, "", SK_ERR_INVALID, " header: the file is empty");
    expect_csv(f, "\n\n", SK_ERR_INVALID, " header: the file is empty");
}

/* A bad case id is the case_id column's fault, and the diagnostic should say
 * so in the spreadsheet's terms, as it does for every other cell. */
static void test_import_csv_bad_case_id_names_column(void **state)
{
    fixture *f = *state;

    expect_csv(f, CSV_HEADER "C 300,Ruiz,Eva,,,,GT,,3/1/2024,,,,,,,,\n", SK_ERR_INVALID,
               "2: case_id (column 1): expected ids of 1 to 40 characters");
}

static void on_progress(uint64_t done, uint64_t total, void *ctx)
{
    uint64_t *last = ctx;

    last[0] = done;
    last[1] = total;
}

static void test_import_files(void **state)
{
    fixture *f = *state;
    uint64_t progress[2] = {0, 0};
    const sk_import_opts opts = {"ORR", "importer", on_progress, progress};
    char jsonl[160], csv[160], txt[160], got[600], expect[600];
    const char *paths[3];
    sk_diag diag;

    write_file(f, "a.JSONL", C2_APPR "\n" C2_REF "\n", jsonl);
    write_file(f, "b.csv", CSV_HEADER CSV_ROW1, csv);
    write_file(f, "c.txt", "", txt);
    paths[0] = jsonl;
    paths[1] = csv;
    paths[2] = txt;
    sk_diag_clear(&diag);
    assert_int_equal(sk_ingest_begin(f->ing, NULL), SK_OK);
    assert_int_equal(sk_import_files(f->ing, paths, 3, &opts, &diag), SK_ERR_INVALID);
    sk_ingest_abort(f->ing);
    sk_diag_format(&diag, got, sizeof(got));
    snprintf(expect, sizeof(expect), "%s: expected a .jsonl or .csv file", txt);
    assert_string_equal(got, expect);
    assert_int_equal(ledger_count(f->store), 0);
    assert_int_equal(progress[0], 1); /* the CSV import reported its end */
    assert_int_equal(progress[1], 1);
    assert_int_equal(sk_ingest_begin(f->ing, NULL), SK_OK);
    assert_int_equal(sk_import_files(f->ing, paths, 1, &opts, &diag), SK_OK);
    assert_int_equal(progress[1], strlen(C2_APPR "\n" C2_REF "\n"));
    assert_int_equal(progress[0], progress[1]);
    assert_int_equal(sk_import_files(f->ing, paths + 1, 1, &opts, &diag), SK_OK);
    assert_int_equal(sk_ingest_commit(f->ing, NULL), SK_OK);
    assert_int_equal(ledger_count(f->store), 4);
    /* A missing file is an I/O error naming it. */
    paths[0] = "/nonexistent/x.csv";
    assert_int_equal(sk_ingest_begin(f->ing, NULL), SK_OK);
    sk_diag_clear(&diag);
    assert_int_equal(sk_import_files(f->ing, paths, 1, &opts, &diag), SK_ERR_IO);
    sk_ingest_abort(f->ing);
    sk_diag_format(&diag, got, sizeof(got));
    assert_string_equal(got, "/nonexistent/x.csv: cannot open: No such file or directory");
}

/* ---------------------------------------------------------- fault injection */

static void test_fault_injection_csv_import(void **state)
{
    fixture *f = *state;
    const sk_import_opts opts = {"ORR", "importer", NULL, NULL};
    char path[160], out[OUT_MAX];
    unsigned long n;
    sk_diag diag;
    sk_err rc = SK_ERR_STORE;

    write_file(f, "in.csv", CSV_HEADER CSV_ROW1 CSV_ROW2, path);
    for (n = 1; n < 1000 && rc != SK_OK; n++) {
        sk_store_fail_after(f->store, n);
        sk_diag_clear(&diag);
        rc = sk_ingest_begin(f->ing, &diag);
        if (rc == SK_OK)
            rc = sk_import_csv(f->ing, path, &opts, &diag);
        if (rc == SK_OK)
            rc = sk_ingest_commit(f->ing, &diag);
        if (rc != SK_OK)
            sk_ingest_abort(f->ing);
        sk_store_fail_after(f->store, 0);
        if (rc == SK_OK)
            break;
        if (rc != SK_ERR_STORE)
            fail_msg("N=%lu: %s: %s", n, sk_err_str(rc), diag.msg);
        assert_int_equal(ledger_count(f->store), 0);
        assert_string_equal(children(f->store, out), "");
        assert_int_equal(sk_identity_get(f->store, f->keys, SK_STR("C100"), out, sizeof(out), NULL),
                         SK_ERR_NOT_FOUND);
    }
    assert_int_equal(rc, SK_OK);
    assert_true(n > 10);
    assert_int_equal(ledger_count(f->store), 6);
    assert_string_equal(children(f->store, out), "C100 C200 ");
    assert_string_equal(child(f->store, "C200", out), "discharged none  4 2");
}

/* 1 when another connection can take the write lock: no transaction of the
 * store handle is left open. */
static int write_lock_free(const char *path)
{
    sqlite3 *db = NULL;
    int rc;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    rc = sqlite3_exec(db, "BEGIN IMMEDIATE; ROLLBACK;", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc == SQLITE_OK;
}

/* A rebuild is one transaction too: a failure at any write, the commit
 * included, leaves the projections as they were and no transaction open. */
static void test_fault_injection_rebuild(void **state)
{
    fixture *f = *state;
    uint64_t before;
    unsigned long n;
    sk_err rc = SK_ERR_STORE;

    INGEST(f, f->ing, C1_APPR, C1_ADM, C1_DIS, C2_APPR);
    INGEST(f, f->ing, C1_REF, C1_TR, C2_REF);
    before = digest(f->store);
    for (n = 1; n < 1000; n++) {
        sk_store_fail_after(f->store, n);
        rc = sk_rebuild(f->store, f->keys, NULL);
        sk_store_fail_after(f->store, 0);
        if (rc == SK_OK)
            break;
        assert_int_equal(rc, SK_ERR_STORE);
        if (!write_lock_free(f->db)) {
            sk_store_rollback(f->store); /* keep the next begin from aborting */
            fail_msg("N=%lu: sk_rebuild failed and left its transaction open", n);
        }
        assert_int_equal(digest(f->store), before);
        assert_int_equal(ledger_count(f->store), 7);
    }
    assert_int_equal(rc, SK_OK);
    assert_true(n > 5);
    assert_int_equal(digest(f->store), before);
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_(test_ingest_custody_track),
        T_(test_late_event_same_projection),
        T_(test_rebuild_same_digest),
        T_(test_abort_and_duplicates),
        T_(test_identity_merge_and_get),
        T_(test_identity_find),
        T_(test_import_jsonl),
        T_(test_import_jsonl_whitespace_line_is_blank),
        T_(test_import_csv),
        T_(test_import_csv_errors),
        T_(test_import_csv_empty_file_named),
        T_(test_import_csv_bad_case_id_names_column),
        T_(test_import_files),
        T_(test_fault_injection_csv_import),
        T_(test_fault_injection_rebuild),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
