/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_gen.c: unit tests for the synthetic population generator (sk_gen).
 *
 * The generator's promises are checked exactly, not by eye: the same seed
 * gives byte-identical files and another seed different ones; every line of
 * events.jsonl passes the model's own parser and validator, in recorded_at
 * order, with unique ids; folding each child's events through the case
 * model in occurred order reproduces truth.json's custody counts without a
 * single data-quality flag; the late-recorded count matches its definition;
 * every count in truth.json matches the lines written; and cases.csv (read
 * with the project's CSV reader and human-date parser) describes the same
 * children with the same dates, facilities and sponsors as the events.
 * The populations are generated once, into temporary directories, by the
 * group setup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_csv.h"
#include "safekeep/sk_gen.h"
#include "safekeep/sk_model.h"
#include "safekeep/sk_time.h"

/* The generator's internals, for the formatter and name-variant tests. */
#include "../../src/gen/gen_int.h"

#define N_CHILDREN   1500u
#define RECORDS_MAX  (N_CHILDREN * 2u)
#define COLUMNS      34u
#define SK_UUID_TEXT 36

/* What the events say about one child record; the CSV must agree. */
typedef struct rec_info {
    int64_t apprehended, referral, admission, transfer, release, nta, hearing;
    char facility[SK_ID_LEN_MAX + 1], transfer_facility[SK_ID_LEN_MAX + 1];
    char sponsor[SK_ID_LEN_MAX + 1], court[SK_ID_LEN_MAX + 1];
    int64_t max_occ; /* for the late-arrival count, in file order */
    int seen;
} rec_info;

/* One line of events.jsonl, for replay in occurred order. */
typedef struct line_ref {
    uint32_t record;
    int64_t occurred_at;
    size_t index;
    const char *ptr;
    size_t len;
} line_ref;

typedef struct fixture {
    char dir_a[64], dir_b[64], dir_c[64];
    char *events; /* dir_a's events.jsonl */
    size_t events_len;
    line_ref *lines;
    size_t line_count;
    rec_info *recs; /* indexed by record number */
    json_t *truth;
    uint64_t late;
} fixture;

/* ---------------------------------------------------------------- helpers */

static char *read_file(const char *dir, const char *name, size_t *len)
{
    char path[256];
    FILE *f;
    long n;
    char *buf;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int same_file(const char *dir1, const char *dir2, const char *name)
{
    size_t l1, l2;
    char *a = read_file(dir1, name, &l1);
    char *b = read_file(dir2, name, &l2);
    int same = l1 == l2 && memcmp(a, b, l1) == 0;

    free(a);
    free(b);
    return same;
}

static void generate(const char *dir, uint64_t seed)
{
    sk_gen_opts opts;
    sk_gen_stats stats;
    sk_diag diag;

    sk_gen_opts_init(&opts);
    opts.children = N_CHILDREN;
    opts.seed = seed;
    opts.out_dir = dir;
    assert_int_equal(sk_gen_run(&opts, &stats, &diag), SK_OK);
    assert_int_equal(stats.children, N_CHILDREN);
    assert_true(stats.records >= N_CHILDREN);
    assert_int_equal(stats.records - stats.children, stats.duplicates);
}

static uint32_t record_number(sk_str id)
{
    uint32_t n = 0;
    size_t i;

    assert_true(id.len == 8 && id.ptr[0] == 'C');
    for (i = 1; i < id.len; i++) {
        assert_true(id.ptr[i] >= '0' && id.ptr[i] <= '9');
        n = n * 10 + (uint32_t)(id.ptr[i] - '0');
    }
    assert_true(n >= 1 && n < RECORDS_MAX);
    return n;
}

static uint64_t truth_u64(const fixture *fx, const char *path1, const char *path2)
{
    json_t *v = json_object_get(fx->truth, path1);

    if (path2 != NULL)
        v = json_object_get(v, path2);
    assert_true(json_is_integer(v));
    return (uint64_t)json_integer_value(v);
}

static void copy_text(char *dst, size_t dst_len, const sk_value *v)
{
    size_t n;

    assert_non_null(v);
    n = v->text.len < dst_len - 1 ? v->text.len : dst_len - 1;
    memcpy(dst, v->text.ptr, n);
    dst[n] = '\0';
}

/* ------------------------------------------------- pass over events.jsonl */

static void note_event(rec_info *r, const sk_event *ev)
{
    const sk_value *v;

    switch (ev->type) {
    case SK_EV_APPREHENSION:
        r->apprehended = ev->occurred_at;
        break;
    case SK_EV_REFERRAL:
        r->referral = ev->occurred_at;
        break;
    case SK_EV_ADMISSION:
        r->admission = ev->occurred_at;
        copy_text(r->facility, sizeof(r->facility), sk_event_get(ev, "facility_id"));
        break;
    case SK_EV_TRANSFER:
        r->transfer = ev->occurred_at;
        copy_text(r->transfer_facility, sizeof(r->transfer_facility),
                  sk_event_get(ev, "to_facility_id"));
        break;
    case SK_EV_DISCHARGE:
        r->release = ev->occurred_at;
        v = sk_event_get(ev, "sponsor_id");
        if (v != NULL)
            copy_text(r->sponsor, sizeof(r->sponsor), v);
        break;
    case SK_EV_NTA_FILED:
        r->nta = ev->occurred_at;
        copy_text(r->court, sizeof(r->court), sk_event_get(ev, "court_id"));
        break;
    case SK_EV_HEARING_SCHEDULED:
        v = sk_event_get(ev, "hearing_id");
        assert_non_null(v);
        if (v->text.len > 3 && memcmp(v->text.ptr + v->text.len - 3, "-H1", 3) == 0)
            r->hearing = sk_event_get(ev, "scheduled_for")->num;
        break;
    default:
        break;
    }
}

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, SK_UUID_TEXT);
}

/* Parses every line with the model, checks order and ids, and fills the
 * per-record facts and the line index. */
static void scan_events(fixture *fx)
{
    sk_arena *arena = NULL;
    char(*ids)[SK_UUID_TEXT] = NULL;
    size_t off = 0, cap = 1 << 16, i;
    int64_t last_rec = INT64_MIN;

    assert_int_equal(sk_arena_new(1 << 16, 1 << 20, &arena), SK_OK);
    fx->lines = malloc(cap * sizeof(*fx->lines));
    ids = malloc(cap * sizeof(*ids));
    assert_non_null(fx->lines);
    assert_non_null(ids);
    while (off < fx->events_len) {
        const char *nl = memchr(fx->events + off, '\n', fx->events_len - off);
        sk_str line = {fx->events + off, (size_t)(nl - (fx->events + off))};
        sk_event ev;
        sk_diag diag;
        line_ref *l;
        rec_info *r;
        assert_non_null(nl);
        sk_arena_reset(arena);
        if (sk_event_parse_json(line, arena, SK_GEN_END_DEFAULT, &ev, &diag) != SK_OK)
            fail_msg("line %zu rejected: %s: %s", fx->line_count + 1, diag.field, diag.msg);
        assert_true(ev.recorded_at >= last_rec);
        assert_true(ev.occurred_at <= ev.recorded_at);
        assert_true(ev.recorded_at <= SK_GEN_END_DEFAULT);
        last_rec = ev.recorded_at;
        if (fx->line_count == cap) {
            cap *= 2;
            fx->lines = realloc(fx->lines, cap * sizeof(*fx->lines));
            ids = realloc(ids, cap * sizeof(*ids));
            assert_non_null(fx->lines);
            assert_non_null(ids);
        }
        assert_int_equal(strlen(ev.id), 36);
        memcpy(ids[fx->line_count], ev.id, SK_UUID_TEXT);
        l = &fx->lines[fx->line_count];
        l->record = record_number(ev.subjects[0]);
        l->occurred_at = ev.occurred_at;
        l->index = fx->line_count;
        l->ptr = line.ptr;
        l->len = line.len;
        r = &fx->recs[l->record];
        if (r->seen && ev.occurred_at < r->max_occ)
            fx->late++;
        if (!r->seen || ev.occurred_at > r->max_occ)
            r->max_occ = ev.occurred_at;
        r->seen = 1;
        note_event(r, &ev);
        fx->line_count++;
        off += line.len + 1;
    }
    qsort(ids, fx->line_count, sizeof(*ids), cmp_id);
    for (i = 1; i < fx->line_count; i++)
        assert_true(memcmp(ids[i - 1], ids[i], SK_UUID_TEXT) != 0);
    free(ids);
    sk_arena_free(arena);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof(*fx));
    json_error_t err;
    char path[256];

    assert_non_null(fx);
    snprintf(fx->dir_a, sizeof(fx->dir_a), "/tmp/sk_gen_a_XXXXXX");
    snprintf(fx->dir_b, sizeof(fx->dir_b), "/tmp/sk_gen_b_XXXXXX");
    snprintf(fx->dir_c, sizeof(fx->dir_c), "/tmp/sk_gen_c_XXXXXX");
    assert_non_null(mkdtemp(fx->dir_a));
    assert_non_null(mkdtemp(fx->dir_b));
    assert_non_null(mkdtemp(fx->dir_c));
    generate(fx->dir_a, 7);
    generate(fx->dir_b, 7);
    generate(fx->dir_c, 8);
    fx->events = read_file(fx->dir_a, "events.jsonl", &fx->events_len);
    fx->recs = calloc(RECORDS_MAX, sizeof(*fx->recs));
    assert_non_null(fx->recs);
    snprintf(path, sizeof(path), "%s/truth.json", fx->dir_a);
    fx->truth = json_load_file(path, 0, &err);
    assert_non_null(fx->truth);
    scan_events(fx);
    *state = fx;
    return 0;
}

static void remove_dir(const char *dir)
{
    static const char *const names[] = {"events.jsonl", "cases.csv", "truth.json"};
    char path[256];
    size_t i;

    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static int teardown(void **state)
{
    fixture *fx = *state;

    remove_dir(fx->dir_a);
    remove_dir(fx->dir_b);
    remove_dir(fx->dir_c);
    json_decref(fx->truth);
    free(fx->events);
    free(fx->lines);
    free(fx->recs);
    free(fx);
    return 0;
}

/* ------------------------------------------------------------------ tests */

static void test_same_seed_identical(void **state)
{
    fixture *fx = *state;

    assert_true(same_file(fx->dir_a, fx->dir_b, "events.jsonl"));
    assert_true(same_file(fx->dir_a, fx->dir_b, "cases.csv"));
    assert_true(same_file(fx->dir_a, fx->dir_b, "truth.json"));
}

static void test_other_seed_differs(void **state)
{
    fixture *fx = *state;

    assert_false(same_file(fx->dir_a, fx->dir_c, "events.jsonl"));
    assert_false(same_file(fx->dir_a, fx->dir_c, "cases.csv"));
    assert_false(same_file(fx->dir_a, fx->dir_c, "truth.json"));
}

/* Every line parsed and validated in setup; here the counts. */
static void test_truth_counts_match_lines(void **state)
{
    fixture *fx = *state;
    uint64_t by_type[SK_EV__COUNT] = {0}, sum = 0;
    json_t *types = json_object_get(fx->truth, "events_by_type");
    size_t i, records = 0;

    for (i = 0; i < fx->line_count; i++) {
        /* Lines are not NUL-terminated: they point into the whole file. */
        const char *t = memmem(fx->lines[i].ptr, fx->lines[i].len, "\"type\":\"", 8);
        sk_event_type type;
        const char *q;
        assert_non_null(t);
        t += 8;
        q = memchr(t, '"', fx->lines[i].len - (size_t)(t - fx->lines[i].ptr));
        assert_non_null(q);
        assert_int_equal(sk_event_type_parse((sk_str){t, (size_t)(q - t)}, &type), SK_OK);
        by_type[type]++;
    }
    for (i = 0; i < SK_EV__COUNT; i++) {
        json_t *v = json_object_get(types, sk_event_def_get((sk_event_type)i)->name);
        assert_true(json_is_integer(v));
        assert_int_equal((uint64_t)json_integer_value(v), by_type[i]);
        sum += by_type[i];
    }
    assert_int_equal(sum, fx->line_count);
    assert_int_equal(truth_u64(fx, "events", NULL), fx->line_count);
    assert_int_equal(truth_u64(fx, "children", NULL), N_CHILDREN);
    for (i = 1; i < RECORDS_MAX; i++)
        records += (size_t)fx->recs[i].seen;
    assert_int_equal(truth_u64(fx, "records", NULL), records);
    assert_int_equal(truth_u64(fx, "late_recorded_events", NULL), fx->late);
    assert_true(fx->late > 0);
}

static void test_duplicate_pairs(void **state)
{
    fixture *fx = *state;
    json_t *dups = json_object_get(fx->truth, "duplicates");
    json_t *pairs = json_object_get(dups, "pairs");
    size_t i;

    assert_true(json_is_array(pairs));
    assert_int_equal(json_array_size(pairs), truth_u64(fx, "duplicates", "count"));
    assert_int_equal(json_array_size(pairs),
                     truth_u64(fx, "records", NULL) - truth_u64(fx, "children", NULL));
    assert_true(json_array_size(pairs) > 0);
    for (i = 0; i < json_array_size(pairs); i++) {
        json_t *p = json_array_get(pairs, i);
        uint32_t a = record_number(sk_str_c(json_string_value(json_array_get(p, 0))));
        uint32_t b = record_number(sk_str_c(json_string_value(json_array_get(p, 1))));
        assert_true(a <= N_CHILDREN);
        assert_true(b > N_CHILDREN);
        assert_true(fx->recs[a].seen && fx->recs[b].seen);
        /* The same child, apprehended the same day. */
        assert_int_equal(fx->recs[a].apprehended / 86400, fx->recs[b].apprehended / 86400);
    }
}

static int cmp_occurred(const void *a, const void *b)
{
    const line_ref *x = a, *y = b;

    if (x->record != y->record)
        return x->record < y->record ? -1 : 1;
    if (x->occurred_at != y->occurred_at)
        return x->occurred_at < y->occurred_at ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* Folds one record's events (lines[from..to), in occurred order) into c;
 * returns the number of discharges flagged undeliverable. */
static uint64_t fold_record(const line_ref *lines, size_t from, size_t to, sk_arena *arena,
                            sk_case *c)
{
    uint64_t undeliverable = 0;
    size_t i;

    for (i = from; i < to; i++) {
        sk_event ev;
        sk_diag diag;
        sk_arena_reset(arena);
        assert_int_equal(sk_event_parse_json((sk_str){lines[i].ptr, lines[i].len}, arena,
                                             SK_GEN_END_DEFAULT, &ev, &diag),
                         SK_OK);
        if (i == from)
            sk_case_init(c, ev.subjects[0]);
        sk_case_apply(c, &ev);
        /* In occurred order a generated history is clean: the only flag
         * is the one for releases without a usable address. */
        if ((ev.dq_flags & ~(uint32_t)SK_DQ_UNDELIVERABLE) != 0)
            fail_msg("C%07u: %s flagged 0x%x", lines[i].record, sk_event_def_get(ev.type)->name,
                     (unsigned)ev.dq_flags);
        undeliverable += (ev.dq_flags & SK_DQ_UNDELIVERABLE) != 0;
    }
    return undeliverable;
}

static void test_case_fold_matches_truth(void **state)
{
    fixture *fx = *state;
    uint64_t custody[SK_CUSTODY__COUNT] = {0}, undeliverable = 0;
    json_t *tc = json_object_get(fx->truth, "custody");
    sk_arena *arena = NULL;
    sk_case *c = malloc(sizeof(*c));
    size_t i, from = 0;

    assert_non_null(c);
    assert_int_equal(sk_arena_new(1 << 16, 1 << 20, &arena), SK_OK);
    qsort(fx->lines, fx->line_count, sizeof(*fx->lines), cmp_occurred);
    for (i = 1; i <= fx->line_count; i++) {
        if (i < fx->line_count && fx->lines[i].record == fx->lines[from].record)
            continue;
        undeliverable += fold_record(fx->lines, from, i, arena, c);
        if (fx->lines[from].record <= N_CHILDREN)
            custody[c->custody]++;
        else
            assert_int_equal(c->custody, SK_CUSTODY_APPREHENDED);
        from = i;
    }
    for (i = SK_CUSTODY_APPREHENDED; i < SK_CUSTODY__COUNT; i++) {
        json_t *v = json_object_get(tc, sk_custody_name((sk_custody)i));
        assert_true(json_is_integer(v));
        assert_int_equal((uint64_t)json_integer_value(v), custody[i]);
    }
    assert_int_equal(custody[SK_CUSTODY_UNKNOWN], 0);
    assert_int_equal(undeliverable, truth_u64(fx, "release_address", "blank") +
                                        truth_u64(fx, "release_address", "undeliverable"));
    sk_arena_free(arena);
    free(c);
}

static const char *const csv_columns[COLUMNS] = {"case_id",
                                                 "a_number",
                                                 "family_name",
                                                 "given_name",
                                                 "dob",
                                                 "sex",
                                                 "country_of_birth",
                                                 "language",
                                                 "apprehension_date",
                                                 "apprehension_location",
                                                 "referral_date",
                                                 "admission_date",
                                                 "facility_id",
                                                 "placement_type",
                                                 "transfer_date",
                                                 "transfer_facility_id",
                                                 "transfer_placement_type",
                                                 "sponsor_id",
                                                 "sponsor_family_name",
                                                 "sponsor_given_name",
                                                 "sponsor_category",
                                                 "sponsor_relationship",
                                                 "sponsor_phone",
                                                 "release_date",
                                                 "discharge_type",
                                                 "release_address",
                                                 "address_status",
                                                 "nta_filed_date",
                                                 "court_id",
                                                 "hearing_date",
                                                 "hearing_outcome",
                                                 "wellness_call_date",
                                                 "wellness_call_reached",
                                                 "recording_agency"};

/* A date cell must be empty exactly when the event is absent, and name the
 * event's day otherwise, in whichever form it was typed. Returns 1 when
 * the cell is not ISO. */
static int check_date(sk_str cell, int64_t expected, uint32_t record, const char *column)
{
    int64_t t;

    if (expected == 0) {
        if (cell.len != 0)
            fail_msg("C%07u: %s should be empty", record, column);
        return 0;
    }
    if (sk_time_parse_human_date(cell, &t) != SK_OK || t / 86400 != expected / 86400)
        fail_msg("C%07u: %s does not match the events", record, column);
    return !(cell.len == 10 && cell.ptr[4] == '-');
}

static void check_id(sk_str cell, const char *expected, uint32_t record, const char *column)
{
    if (!sk_str_eqc(cell, expected))
        fail_msg("C%07u: %s does not match the events", record, column);
}

static unsigned check_row(const fixture *fx, const sk_str *f)
{
    uint32_t n = record_number(f[0]);
    const rec_info *r = &fx->recs[n];
    unsigned human = 0;

    assert_true(r->seen);
    human += (unsigned)check_date(f[8], r->apprehended, n, "apprehension_date");
    human += (unsigned)check_date(f[10], r->referral, n, "referral_date");
    human += (unsigned)check_date(f[11], r->admission, n, "admission_date");
    human += (unsigned)check_date(f[14], r->transfer, n, "transfer_date");
    human += (unsigned)check_date(f[23], r->release, n, "release_date");
    human += (unsigned)check_date(f[27], r->nta, n, "nta_filed_date");
    human += (unsigned)check_date(f[29], r->hearing, n, "hearing_date");
    if (r->admission != 0)
        check_id(f[12], r->facility, n, "facility_id");
    if (r->transfer != 0)
        check_id(f[15], r->transfer_facility, n, "transfer_facility_id");
    if (r->sponsor[0] != '\0')
        check_id(f[17], r->sponsor, n, "sponsor_id");
    if (r->nta != 0)
        check_id(f[28], r->court, n, "court_id");
    assert_int_equal(f[33].len > 0, 1);
    return human;
}

static void test_csv_matches_events(void **state)
{
    fixture *fx = *state;
    char path[256];
    sk_csv *csv = NULL;
    const sk_str *f;
    size_t count, rows = 0, i, human = 0;
    sk_err rc;
    int fd;

    snprintf(path, sizeof(path), "%s/cases.csv", fx->dir_a);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(sk_csv_open_fd(fd, 1 << 16, &csv), SK_OK);
    assert_int_equal(sk_csv_next(csv, &f, &count, NULL), SK_OK);
    assert_int_equal(count, COLUMNS);
    for (i = 0; i < COLUMNS; i++)
        assert_true(sk_str_eqc(f[i], csv_columns[i]));
    for (;;) {
        rc = sk_csv_next(csv, &f, &count, NULL);
        if (rc != SK_OK)
            break;
        assert_int_equal(count, COLUMNS);
        human += check_row(fx, f);
        rows++;
    }
    assert_int_equal(rc, SK_ERR_NOT_FOUND);
    assert_int_equal(rows, truth_u64(fx, "records", NULL));
    /* People type some dates by hand, but most come out of a system. */
    assert_true(human > rows / 100);
    assert_true(human < rows);
    sk_csv_close(csv);
    close(fd);
}

static void test_csv_line_ends(void **state)
{
    fixture *fx = *state;
    size_t len, i, crlf = 0;
    char *text = read_file(fx->dir_a, "cases.csv", &len);

    assert_true(len > 2);
    assert_memory_equal(text + len - 2, "\r\n", 2);
    for (i = 0; i < len; i++) {
        if (text[i] != '\n')
            continue;
        assert_true(i > 0 && text[i - 1] == '\r');
        crlf++;
    }
    assert_int_equal(crlf, truth_u64(fx, "records", NULL) + 1);
    free(text);
}

/* The shape of the caseload, within what sampling N children allows. */
static void test_realistic_shares(void **state)
{
    fixture *fx = *state;
    double n = (double)N_CHILDREN;
    double released = (double)truth_u64(fx, "released", NULL);
    double calls = (double)(truth_u64(fx, "wellness_calls", "reached") +
                            truth_u64(fx, "wellness_calls", "unreached"));
    double share;

    share = (double)truth_u64(fx, "by_country", "GT") / n;
    assert_true(share > 0.40 && share < 0.50);
    share = (double)truth_u64(fx, "by_country", "HN") / n;
    assert_true(share > 0.20 && share < 0.30);
    share = (double)truth_u64(fx, "nta", "without") / n;
    assert_true(share > 0.58 && share < 0.72);
    share = (double)truth_u64(fx, "hearings_missed", "children") / n;
    assert_true(share > 0.04 && share < 0.10);
    share = (double)truth_u64(fx, "duplicates", "count") / n;
    assert_true(share > 0.012 && share < 0.04);
    share = (double)fx->late / (double)fx->line_count;
    assert_true(share > 0.004 && share < 0.02);
    share = (double)truth_u64(fx, "wellness_calls", "unreached") / calls;
    assert_true(share > 0.25 && share < 0.45);
    share = (double)(truth_u64(fx, "release_address", "blank") +
                     truth_u64(fx, "release_address", "undeliverable")) /
            released;
    assert_true(share > 0.04 && share < 0.11);
    share = (double)truth_u64(fx, "transfers", "children") / n;
    assert_true(share > 0.07 && share < 0.18);
    share = (double)truth_u64(fx, "incidents", "children") / n;
    assert_true(share > 0.012 && share < 0.05);
    share = (double)truth_u64(fx, "sponsor_category", "1") / released;
    assert_true(share > 0.33 && share < 0.47);
}

static void test_bad_options(void **state)
{
    fixture *fx = *state;
    sk_gen_opts opts;
    sk_diag diag;
    char path[256];

    sk_gen_opts_init(&opts);
    opts.out_dir = fx->dir_c;
    assert_int_equal(sk_gen_run(&opts, NULL, &diag), SK_ERR_INVALID); /* no children */
    assert_string_equal(diag.field, "children");
    opts.children = 10;
    opts.years = 21;
    assert_int_equal(sk_gen_run(&opts, NULL, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "years");
    opts.years = 5;
    opts.end = 1000000000; /* 2001-09-09: the window would start in 1996 */
    assert_int_equal(sk_gen_run(&opts, NULL, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "end");
    opts.end = SK_GEN_END_DEFAULT;
    opts.out_dir = NULL;
    assert_int_equal(sk_gen_run(&opts, NULL, &diag), SK_ERR_INVALID);
    /* A directory cannot be made under a regular file. */
    snprintf(path, sizeof(path), "%s/truth.json/sub", fx->dir_c);
    opts.out_dir = path;
    assert_int_equal(sk_gen_run(&opts, NULL, &diag), SK_ERR_IO);
    assert_string_equal(diag.field, "out");
}

/* A short window ending elsewhere: nothing is recorded after its end, and
 * some children are still in care or just apprehended when it closes. */
static void test_custom_window(void **state)
{
    fixture *fx = *state;
    sk_gen_opts opts;
    char dir[64];
    char *events;
    size_t len, i;
    int64_t end = sk_days_from_civil(2023, 6, 30) * 86400 + 86399;

    (void)fx;
    snprintf(dir, sizeof(dir), "/tmp/sk_gen_w_XXXXXX");
    assert_non_null(mkdtemp(dir));
    sk_gen_opts_init(&opts);
    opts.children = 300;
    opts.years = 1;
    opts.end = end;
    opts.out_dir = dir;
    assert_int_equal(sk_gen_run(&opts, NULL, NULL), SK_OK);
    events = read_file(dir, "events.jsonl", &len);
    for (i = 0; i + 40 < len; i++) {
        int64_t t;
        if (memcmp(events + i, "\"recorded_at\":\"", 15) != 0)
            continue;
        assert_int_equal(sk_time_parse_rfc3339((sk_str){events + i + 15, 20}, &t), SK_OK);
        assert_true(t <= end);
        assert_true(t >= end - 3 * 366 * 86400LL);
    }
    free(events);
    remove_dir(dir);
}

/* The generator formats timestamps itself, for speed; they must be exactly
 * what the shared formatter writes. */
static void test_time_format_matches_shared(void **state)
{
    char mine[64], shared[SK_RFC3339_LEN + 1];
    gen_text t = {mine, 0, sizeof(mine), 0};
    gen_rng rng;
    int i;

    (void)state;
    gen_rng_seed(&rng, 42, 1);
    for (i = 0; i < 20000; i++) {
        int64_t when = i < 3 ? (int64_t[]){SK_TIME_MIN, SK_GEN_END_DEFAULT, 951782400}[i]
                             : gen_rng_range(&rng, SK_DATE_MIN, SK_TIME_MAX);
        t.len = 0;
        gen_text_time(&t, when);
        sk_time_format_rfc3339(when, shared);
        assert_int_equal(t.len, SK_RFC3339_LEN);
        assert_memory_equal(mine, shared, SK_RFC3339_LEN);
        t.len = 0;
        gen_text_date(&t, when);
        assert_int_equal(t.len, SK_DATE_LEN);
        assert_memory_equal(mine, shared, SK_DATE_LEN);
    }
}

/* A duplicate record always differs in spelling from the original, and the
 * variants cover the forms the issue lists. */
static void test_name_variants(void **state)
{
    gen_rng rng;
    gen_name in, out;
    int i, folded = 0, upper = 0, dropped = 0, swapped = 0;

    (void)state;
    gen_rng_seed(&rng, 9, 1);
    for (i = 0; i < 5000; i++) {
        gen_person_name(&rng, GEN_NAMES_HISPANIC, i % 3 == 0, (unsigned)(i & 1), &in);
        gen_variant_name(&rng, &in, &out);
        assert_true(strcmp(in.given, out.given) != 0 || strcmp(in.family, out.family) != 0);
        assert_true(out.given[0] != '\0' && out.family[0] != '\0');
        folded += strchr(in.family, '\xC3') != NULL && strchr(out.family, '\xC3') == NULL;
        upper += out.family[0] >= 'A' && out.family[0] <= 'Z' && out.family[1] >= 'A' &&
                 out.family[1] <= 'Z';
        dropped += strchr(in.family, ' ') != NULL && strchr(out.family, ' ') == NULL &&
                   strchr(out.family, '-') == NULL;
        swapped += strchr(in.family, ' ') != NULL && strcmp(strchr(in.family, ' ') + 1, "") != 0 &&
                   strncmp(out.family, strchr(in.family, ' ') + 1,
                           strlen(strchr(in.family, ' ') + 1)) == 0;
    }
    assert_true(folded > 100);
    assert_true(upper > 100);
    assert_true(dropped > 100);
    assert_true(swapped > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_identical),
        cmocka_unit_test(test_other_seed_differs),
        cmocka_unit_test(test_truth_counts_match_lines),
        cmocka_unit_test(test_duplicate_pairs),
        cmocka_unit_test(test_case_fold_matches_truth),
        cmocka_unit_test(test_csv_matches_events),
        cmocka_unit_test(test_csv_line_ends),
        cmocka_unit_test(test_realistic_shares),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_custom_window),
        cmocka_unit_test(test_time_format_matches_shared),
        cmocka_unit_test(test_name_variants),
    };

    return cmocka_run_group_tests_name("gen", tests, setup, teardown);
}
