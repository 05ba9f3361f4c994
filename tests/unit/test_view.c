/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_view.c: field-masked views (sk_view.h) on a SQLite store in a
 * temporary directory, holding one child with every kind of event (C1, with
 * two sponsors and a household member) and one with little (C2).
 *
 * The central check compares key paths: the output is parsed with jansson,
 * every key is turned into a path ("timeline[admission].payload.facility_id")
 * and the set must equal what sk_view_paths derives from the table for the
 * mask, for every single field, for all fields and for none. C1's events
 * carry every optional payload key, so "equal" means the view shows exactly
 * the keys the table grants, no fewer and no more. Identity values, gated
 * values (asylum relief, a gang-affiliation fact) and sponsor names are then
 * searched for as plain text in the output of masks that withhold them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safekeep/sk_ingest.h"
#include "safekeep/sk_view.h"

#define TEST_KEY  "8f6c2b1a0e9d7c5b3a29181706f5e4d3c2b1a09f8e7d6c5b4a39281716051423"
#define OUT_MAX   (1024 * 1024)
#define PATHS_MAX 1024

typedef struct fixture {
    char dir[64];
    sk_store *store;
    sk_keyring *keys;
    sk_arena *arena;
    sk_buf out;
    uint64_t all;
    size_t field_count;
} fixture;

/* ------------------------------------------------------------------ events */

#define EVP(child, id, type, when, payload, prov)                                                  \
    "{\"id\":\"" id "\",\"type\":\"" type "\",\"occurred_at\":\"" when "\",\"agency\":\"ORR\","    \
    "\"user\":\"cm.1\",\"subjects\":[\"" child "\"],\"payload\":{" payload "}" prov "}"
#define EV(child, id, type, when, payload) EVP(child, id, type, when, payload, "")
#define PROV_REF                           "\"ref\":\"exam-7\",\"reliability\":\"B\""
#define PROV                               ",\"provenance\":{\"source\":\"document\"," PROV_REF "}"

/* Identity values, searched for in the output. */
#define C1_GIVEN  "Zacar\303\255as El\303\255" /* octal: hex would eat the "a" */
#define C1_FAMILY "Quispe Tumbaco"
#define C1_DOB    "2009-06-15"
#define C1_ANUM   "098765432"
#define C1_ADDR   "9 Nueva Calle, Austin TX"
#define C1_PHONE  "512-555-0123"
#define S1_GIVEN  "Marisol"
#define S1_FAMILY "Yupanqui Ccori"
#define S1_ADDR   "12 Otra Calle, Dallas TX"
#define M1_GIVEN  "Teodoro"

/* Ingested in this order: C1-hs2 before C1-hs (same time: seq decides) and
 * C1-fc2 last although it happened before its fact's assertion. */
static const char *const events[] = {
    EV("C1", "C1-appr", "apprehension", "2024-03-01T10:00:00Z",
       "\"given_name\":\"" C1_GIVEN "\",\"family_name\":\"" C1_FAMILY "\",\"dob\":\"" C1_DOB
       "\",\"a_number\":\"A-098-765-432\",\"sex\":\"female\",\"country_of_birth\":\"GT\","
       "\"language\":\"mam\",\"location\":\"RGV\""),
    EV("C1", "C1-ref", "referral", "2024-03-02T10:00:00Z", "\"referring_office\":\"CBP-RGV\""),
    EV("C1", "C1-adm", "admission", "2024-03-03T10:00:00Z",
       "\"facility_id\":\"F1\",\"placement_type\":\"shelter\",\"facility_state\":\"TX\""),
    EV("C1", "C1-tr", "transfer", "2024-03-10T10:00:00Z",
       "\"from_facility_id\":\"F1\",\"to_facility_id\":\"F2\",\"placement_type\":\"group_home\","
       "\"reason\":\"step_down\""),
    EV("C1", "C1-sp2", "sponsor_application", "2024-03-11T10:00:00Z",
       "\"sponsor_id\":\"S2\",\"category\":\"4\",\"relationship\":\"family_friend\","
       "\"given_name\":\"Rigoberto\",\"family_name\":\"Sacalxot\""),
    EV("C1", "C1-sp", "sponsor_application", "2024-03-12T10:00:00Z",
       "\"sponsor_id\":\"S1\",\"category\":\"2A\",\"relationship\":\"aunt_uncle\","
       "\"given_name\":\"" S1_GIVEN "\",\"family_name\":\"" S1_FAMILY "\",\"dob\":\"1985-01-02\","
       "\"a_number\":\"A-111-222-333\",\"address\":\"77 Sponsorweg, Austin TX\","
       "\"phone\":\"512-555-0199\""),
    EV("C1", "C1-hh", "household_member", "2024-03-13T10:00:00Z",
       "\"sponsor_id\":\"S1\",\"member_id\":\"M1\",\"given_name\":\"" M1_GIVEN "\","
       "\"family_name\":\"Huaman\xC3\xAD Ruiz\",\"dob\":\"1980-07-07\","
       "\"relationship\":\"other_relative\""),
    EV("C1", "C1-vc1", "vetting_check", "2024-03-14T10:00:00Z",
       "\"sponsor_id\":\"S1\",\"check_type\":\"public_records\",\"result\":\"clear\""),
    EV("C1", "C1-vc2", "vetting_check", "2024-03-14T11:00:00Z",
       "\"sponsor_id\":\"S1\",\"check_type\":\"fingerprint\",\"result\":\"clear\""),
    EV("C1", "C1-vc3", "vetting_check", "2024-03-14T12:00:00Z",
       "\"sponsor_id\":\"S1\",\"check_type\":\"home_study\",\"result\":\"finding\""),
    EV("C1", "C1-vc4", "vetting_check", "2024-03-15T10:00:00Z",
       "\"sponsor_id\":\"S1\",\"person_id\":\"M1\",\"check_type\":\"sex_offender_registry\","
       "\"result\":\"clear\""),
    EV("C1", "C1-vc5", "vetting_check", "2024-03-15T11:00:00Z",
       "\"sponsor_id\":\"S1\",\"person_id\":\"M1\",\"check_type\":\"can_registry\","
       "\"result\":\"inconclusive\""),
    EV("C1", "C1-vc6", "vetting_check", "2024-03-15T12:00:00Z",
       "\"sponsor_id\":\"S1\",\"person_id\":\"M1\",\"check_type\":\"fingerprint\","
       "\"result\":\"clear\""),
    EV("C1", "C1-sd2", "sponsor_denied", "2024-03-19T10:00:00Z",
       "\"sponsor_id\":\"S2\",\"reason\":\"failed_check\""),
    EV("C1", "C1-sa", "sponsor_approved", "2024-03-20T10:00:00Z", "\"sponsor_id\":\"S1\""),
    EV("C1", "C1-dis", "discharge", "2024-04-01T10:00:00Z",
       "\"discharge_type\":\"released_to_sponsor\",\"sponsor_id\":\"S1\","
       "\"address\":\"77 Sponsorweg, Austin TX\",\"phone\":\"512-555-0199\","
       "\"address_status\":\"verified\""),
    EV("C1", "C1-wc", "wellness_call", "2024-05-01T10:00:00Z",
       "\"reached\":true,\"attempt\":1,\"concerns\":false"),
    EV("C1", "C1-prs", "post_release_service", "2024-05-02T10:00:00Z",
       "\"service\":\"legal_orientation\",\"status\":\"started\""),
    EV("C1", "C1-inc", "incident", "2024-05-03T10:00:00Z",
       "\"category\":\"medical\",\"severity\":\"low\""),
    EV("C1", "C1-nta", "nta_filed", "2024-05-04T10:00:00Z", "\"court_id\":\"EOIR-HOU\""),
    EV("C1", "C1-hs2", "hearing_scheduled", "2024-05-05T10:00:00Z",
       "\"hearing_id\":\"H2\",\"court_id\":\"EOIR-HOU\",\"scheduled_for\":\"2024-12-01T14:00:"
       "00Z\""),
    EV("C1", "C1-hs", "hearing_scheduled", "2024-05-05T10:00:00Z",
       "\"hearing_id\":\"H1\",\"court_id\":\"EOIR-HOU\",\"scheduled_for\":\"2024-09-01T14:00:"
       "00Z\""),
    EV("C1", "C1-coa", "change_of_address", "2024-06-01T10:00:00Z",
       "\"address\":\"" C1_ADDR "\",\"phone\":\"" C1_PHONE "\""),
    EV("C1", "C1-coa2", "change_of_address", "2024-06-02T10:00:00Z",
       "\"person_id\":\"S1\",\"address\":\"" S1_ADDR "\""),
    EV("C1", "C1-cns", "counsel", "2024-06-05T10:00:00Z",
       "\"org_id\":\"LSP-KIND\",\"action\":\"entered\""),
    EVP("C1", "C1-fa1", "fact_asserted", "2024-06-10T10:00:00Z",
        "\"fact_id\":\"FA1\",\"topic\":\"age\",\"summary\":\"dental exam suggests 15 to 17\"",
        PROV),
    EVP("C1", "C1-fc1", "fact_contested", "2024-06-11T10:00:00Z",
        "\"fact_id\":\"FA1\",\"grounds\":\"birth certificate says 14\"", PROV),
    EVP("C1", "C1-fco", "fact_corrected", "2024-06-12T10:00:00Z",
        "\"fact_id\":\"FA1\",\"summary\":\"age 14 per birth certificate\"", PROV),
    EVP("C1", "C1-fr", "fact_retracted", "2024-06-13T10:00:00Z", "\"fact_id\":\"FA1\"", PROV),
    EVP("C1", "C1-fa2", "fact_asserted", "2024-06-14T10:00:00Z",
        "\"fact_id\":\"FA2\",\"topic\":\"gang_affiliation\",\"summary\":\"tattoo noted\"", PROV),
    EV("C1", "C1-dec", "decision", "2024-06-20T10:00:00Z",
       "\"decision_id\":\"D1\",\"kind\":\"release_approved\",\"cites\":\"FA1\""),
    EV("C1", "C1-rf", "relief_filed", "2024-07-01T10:00:00Z",
       "\"relief_type\":\"sijs\",\"application_id\":\"SIJS-1\""),
    EV("C1", "C1-rfa", "relief_filed", "2024-07-02T10:00:00Z",
       "\"relief_type\":\"asylum\",\"application_id\":\"ASY-1\""),
    EV("C1", "C1-ho", "hearing_outcome", "2024-09-01T15:00:00Z",
       "\"hearing_id\":\"H1\",\"outcome\":\"attended\""),
    EV("C1", "C1-rd", "relief_decided", "2024-10-01T10:00:00Z",
       "\"relief_type\":\"sijs\",\"outcome\":\"granted\""),
    EV("C1", "C1-rda", "relief_decided", "2024-11-01T10:00:00Z",
       "\"relief_type\":\"asylum\",\"outcome\":\"withdrawn\""),
    EV("C1", "C1-close", "case_closed", "2024-12-15T10:00:00Z", "\"reason\":\"relief_granted\""),
    EV("C1", "C1-wc2", "wellness_call", "2024-12-20T10:00:00Z",
       "\"reached\":false,\"attempt\":2,\"concerns\":false"),
    EV("C2", "C2-appr", "apprehension", "2024-02-01T10:00:00Z",
       "\"given_name\":\"Ana\",\"family_name\":\"P\xC3\xA9rez\",\"country_of_birth\":\"HN\""),
    EV("C1", "C1-fc2", "fact_contested", "2024-06-09T10:00:00Z",
       "\"fact_id\":\"FA2\",\"grounds\":\"a religious symbol\""),
};

/* Values that only the gates let through. */
static const char *const asylum_values[] = {"\"asylum\"", "ASY-1", "C1-rfa", "C1-rda"};
static const char *const criminal_values[] = {"FA2", "tattoo", "religious", "gang"};

/* ----------------------------------------------------------------- fixture */

static sk_err ingest_all(fixture *f, sk_diag *diag)
{
    sk_ingest *ing = NULL;
    sk_event ev;
    size_t i;
    sk_err rc;

    rc = sk_ingest_new(f->store, f->keys, &ing);
    if (rc == SK_OK)
        rc = sk_ingest_begin(ing, diag);
    for (i = 0; rc == SK_OK && i < SK_ARRAY_LEN(events); i++) {
        sk_arena_reset(f->arena);
        rc = sk_event_parse_json(sk_str_c(events[i]), f->arena, sk_ingest_now(ing), &ev, diag);
        if (rc == SK_OK)
            rc = sk_ingest_event(ing, &ev, diag);
    }
    if (rc == SK_OK)
        rc = sk_ingest_commit(ing, diag);
    sk_ingest_free(ing);
    sk_arena_reset(f->arena);
    return rc;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    char path[128];
    sk_diag diag;

    if (f == NULL || setenv("SAFEKEEP_KEY", TEST_KEY, 1) != 0 ||
        setenv("SAFEKEEP_NOW", "2025-01-01T00:00:00Z", 1) != 0)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/sk_test_view_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/v.db", f->dir);
    if (sk_keyring_open("/nonexistent", &f->keys, NULL) != SK_OK ||
        sk_store_open(path, 1, &f->store, NULL) != SK_OK ||
        sk_arena_new(64 * 1024, 8 * 1024 * 1024, &f->arena) != SK_OK)
        return -1;
    if (ingest_all(f, &diag) != SK_OK) {
        fprintf(stderr, "ingest: %s: %s\n", diag.field, diag.msg);
        return -1;
    }
    sk_buf_init(&f->out, OUT_MAX);
    f->field_count = sk_policy_field_count();
    f->all = ((uint64_t)1 << f->field_count) - 1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char path[400];
    struct dirent *de;
    DIR *d;

    sk_buf_fini(&f->out);
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

/* ------------------------------------------------------------------- paths */

typedef struct pathset {
    char *paths[PATHS_MAX];
    size_t count;
} pathset;

static void pathset_add(pathset *ps, const char *path)
{
    size_t i;

    for (i = 0; i < ps->count; i++) {
        if (strcmp(ps->paths[i], path) == 0)
            return;
    }
    assert_true(ps->count < PATHS_MAX);
    ps->paths[ps->count] = strdup(path);
    assert_non_null(ps->paths[ps->count]);
    ps->count++;
}

static void pathset_free(pathset *ps)
{
    size_t i;

    for (i = 0; i < ps->count; i++)
        free(ps->paths[i]);
    ps->count = 0;
}

static int has_path(const pathset *ps, const char *path)
{
    size_t i;

    for (i = 0; i < ps->count; i++) {
        if (strcmp(ps->paths[i], path) == 0)
            return 1;
    }
    return 0;
}

/* Fails listing the differences when a and b are not the same set. */
static void assert_same_paths(const pathset *got, const pathset *want, const char *what)
{
    int bad = 0;
    size_t i;

    for (i = 0; i < got->count; i++) {
        if (!has_path(want, got->paths[i])) {
            fprintf(stderr, "%s: unexpected key %s\n", what, got->paths[i]);
            bad = 1;
        }
    }
    for (i = 0; i < want->count; i++) {
        if (!has_path(got, want->paths[i])) {
            fprintf(stderr, "%s: missing key %s\n", what, want->paths[i]);
            bad = 1;
        }
    }
    if (bad)
        fail_msg("%s: keys differ from the table", what);
}

static void walk(json_t *obj, const char *prefix, pathset *ps);

static void walk_value(json_t *val, const char *path, pathset *ps)
{
    char item[256];
    json_t *v;
    size_t i;
    int n;

    if (json_is_object(val)) {
        walk(val, path, ps);
        return;
    }
    if (!json_is_array(val))
        return;
    json_array_foreach(val, i, v)
    {
        if (!json_is_object(v))
            continue;
        if (strcmp(path, "timeline") == 0) {
            n = snprintf(item, sizeof(item), "timeline[%s]",
                         json_string_value(json_object_get(v, "type")));
            assert_true(n > 0 && (size_t)n < sizeof(item));
            pathset_add(ps, item);
        } else {
            n = snprintf(item, sizeof(item), "%s[]", path);
            assert_true(n > 0 && (size_t)n < sizeof(item));
        }
        walk(v, item, ps);
    }
}

static void walk(json_t *obj, const char *prefix, pathset *ps)
{
    const char *key;
    json_t *val;
    char path[256];
    int n;

    json_object_foreach(obj, key, val)
    {
        if (prefix[0] != '\0')
            n = snprintf(path, sizeof(path), "%s.%s", prefix, key);
        else
            n = snprintf(path, sizeof(path), "%s", key);
        assert_true(n > 0 && (size_t)n < sizeof(path));
        pathset_add(ps, path);
        walk_value(val, path, ps);
    }
}

static void add_cb(const char *path, void *ctx)
{
    pathset_add(ctx, path);
}

typedef struct prefixed {
    pathset *ps;
    const char *prefix;
} prefixed;

static void add_prefixed_cb(const char *path, void *ctx)
{
    prefixed *p = ctx;
    char full[256];
    int n = snprintf(full, sizeof(full), "%s%s", p->prefix, path);

    assert_true(n > 0 && (size_t)n < sizeof(full));
    pathset_add(p->ps, full);
}

/* Parses the output (which must be one valid UTF-8 JSON object). */
static json_t *parse(const sk_buf *out)
{
    json_error_t jerr;
    json_t *root;

    assert_true(out->len > 0);
    assert_true(sk_utf8_valid(sk_buf_str(out)));
    root = json_loadb(out->ptr, out->len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        fail_msg("not JSON at %d: %s", jerr.position, jerr.text);
    assert_true(json_is_object(root));
    return root;
}

static void output_paths(const sk_buf *out, pathset *ps)
{
    json_t *root = parse(out);

    walk(root, "", ps);
    json_decref(root);
}

/* ---------------------------------------------------------------- renderers */

static void view_child(fixture *f, const char *id, uint64_t fields)
{
    sk_diag diag;
    sk_err rc;

    sk_buf_reset(&f->out);
    sk_arena_reset(f->arena);
    rc = sk_view_child(f->store, f->keys, sk_str_c(id), fields, f->arena, &f->out, &diag);
    if (rc != SK_OK)
        fail_msg("sk_view_child: %s: %s", sk_err_str(rc), diag.msg);
}

static void view_sponsors(fixture *f, int sp, uint64_t sp_fields, int hh, uint64_t hh_fields)
{
    sk_diag diag;
    sk_err rc;

    sk_buf_reset(&f->out);
    sk_arena_reset(f->arena);
    rc = sk_view_sponsors(f->store, f->keys, SK_STR("C1"), sp, sp_fields, hh, hh_fields, f->arena,
                          &f->out, &diag);
    if (rc != SK_OK)
        fail_msg("sk_view_sponsors: %s: %s", sk_err_str(rc), diag.msg);
}

typedef struct row_ctx {
    uint64_t fields;
    sk_buf *out;
    sk_err rc;
} row_ctx;

static int render_row(const sk_child_row *row, void *vctx)
{
    row_ctx *ctx = vctx;

    ctx->rc = sk_view_child_row(row, ctx->fields, ctx->out);
    return 0;
}

static void view_row(fixture *f, const char *id, uint64_t fields)
{
    row_ctx ctx = {fields, &f->out, SK_OK};

    sk_buf_reset(&f->out);
    assert_int_equal(sk_store_child_get(f->store, sk_str_c(id), render_row, &ctx, NULL), SK_OK);
    assert_int_equal(ctx.rc, SK_OK);
}

static void check_child_paths(fixture *f, uint64_t fields, const char *what)
{
    pathset got = {0}, want = {0};

    view_child(f, "C1", fields);
    output_paths(&f->out, &got);
    sk_view_paths(SK_VIEW_CHILD, fields, add_cb, &want);
    assert_same_paths(&got, &want, what);
    pathset_free(&got);
    pathset_free(&want);
}

static void check_row_paths(fixture *f, uint64_t fields, const char *what)
{
    pathset got = {0}, want = {0};

    view_row(f, "C1", fields);
    output_paths(&f->out, &got);
    sk_view_paths(SK_VIEW_CHILD_ROW, fields, add_cb, &want);
    assert_same_paths(&got, &want, what);
    pathset_free(&got);
    pathset_free(&want);
}

static void check_sponsor_paths(fixture *f, uint64_t sp_fields, uint64_t hh_fields,
                                const char *what)
{
    pathset got = {0}, want = {0};
    prefixed sp = {&want, "sponsors[]."}, hh = {&want, "household_members[]."};

    view_sponsors(f, 1, sp_fields, 1, hh_fields);
    output_paths(&f->out, &got);
    pathset_add(&want, "child_id");
    pathset_add(&want, "sponsors");
    pathset_add(&want, "household_members");
    sk_view_paths(SK_VIEW_SPONSOR, sp_fields, add_prefixed_cb, &sp);
    sk_view_paths(SK_VIEW_HOUSEHOLD_MEMBER, hh_fields, add_prefixed_cb, &hh);
    assert_same_paths(&got, &want, what);
    pathset_free(&got);
    pathset_free(&want);
}

static uint64_t bit(const char *field)
{
    int i = sk_policy_lookup(sk_policy_field_names, sk_str_c(field));

    assert_true(i >= 0);
    return (uint64_t)1 << i;
}

static void assert_absent(const sk_buf *out, const char *text, const char *what)
{
    if (out->ptr != NULL && strstr(out->ptr, text) != NULL)
        fail_msg("%s: \"%s\" appears in %s", what, text, out->ptr);
}

static void assert_present(const sk_buf *out, const char *text)
{
    if (out->ptr == NULL || strstr(out->ptr, text) == NULL)
        fail_msg("\"%s\" is missing from %s", text, out->ptr ? out->ptr : "(empty)");
}

/* ------------------------------------------------------------------- tests */

static void test_mask_zero(void **state)
{
    fixture *f = *state;

    view_child(f, "C1", 0);
    assert_string_equal(f->out.ptr, "{\"id\":\"C1\"}");
    view_row(f, "C1", 0);
    assert_string_equal(f->out.ptr, "{\"id\":\"C1\"}");
    view_sponsors(f, 1, 0, 1, 0);
    assert_string_equal(f->out.ptr,
                        "{\"child_id\":\"C1\",\"sponsors\":[{},{}],\"household_members\":[{}]}");
    view_sponsors(f, 0, f->all, 0, f->all);
    assert_string_equal(f->out.ptr, "{\"child_id\":\"C1\"}");
    /* Bits past the vocabulary are ignored. */
    view_child(f, "C1", ~f->all);
    assert_string_equal(f->out.ptr, "{\"id\":\"C1\"}");
}

static void test_every_single_field(void **state)
{
    fixture *f = *state;
    char what[96];
    size_t i;

    for (i = 0; i < f->field_count; i++) {
        uint64_t one = (uint64_t)1 << i;
        snprintf(what, sizeof(what), "child view, %s only", sk_policy_field_names[i]);
        check_child_paths(f, one, what);
        snprintf(what, sizeof(what), "child row, %s only", sk_policy_field_names[i]);
        check_row_paths(f, one, what);
        snprintf(what, sizeof(what), "sponsors view, %s only", sk_policy_field_names[i]);
        check_sponsor_paths(f, one, one, what);
    }
}

static void test_all_fields(void **state)
{
    fixture *f = *state;
    static const char *const values[] = {C1_GIVEN,
                                         C1_FAMILY,
                                         C1_DOB,
                                         C1_ANUM,
                                         C1_ADDR,
                                         C1_PHONE,
                                         "\"female\"",
                                         "\"GT\"",
                                         "\"mam\"",
                                         "\"age_years\":14",
                                         "RGV",
                                         "CBP-RGV",
                                         "\"F1\"",
                                         "\"F2\"",
                                         "step_down",
                                         "group_home",
                                         "\"shelter\"",
                                         "TX",
                                         "released_to_sponsor",
                                         "\"S1\"",
                                         "verified",
                                         "EOIR-HOU",
                                         "H1",
                                         "H2",
                                         "attended",
                                         "sijs",
                                         "SIJS-1",
                                         "granted",
                                         "withdrawn",
                                         "medical",
                                         "legal_orientation",
                                         "LSP-KIND",
                                         "FA1",
                                         "D1",
                                         "relief_granted",
                                         "after_close",
                                         "exam-7",
                                         "ASY-1",
                                         "tattoo"};
    size_t i;

    check_child_paths(f, f->all, "child view, every field");
    check_row_paths(f, f->all, "child row, every field");
    check_sponsor_paths(f, f->all, f->all, "sponsors view, every field");
    view_child(f, "C1", f->all);
    for (i = 0; i < SK_ARRAY_LEN(values); i++)
        assert_present(&f->out, values[i]);
    assert_present(&f->out, "\"next_hearing_at\":\"2024-12-01T14:00:00Z\"");
    assert_present(&f->out, "\"asylum_application\":true");
    assert_present(&f->out, "\"sponsor_id\":\"S1\"");
}

static void test_identity_values_only_with_identity_fields(void **state)
{
    fixture *f = *state;
    static const char *const names[] = {C1_GIVEN, C1_FAMILY, C1_DOB, C1_ANUM, "A-098-765-432"};
    static const char *const contact[] = {C1_ADDR, C1_PHONE, "Sponsorweg", "512-555-0199", S1_ADDR};
    uint64_t no_names =
        f->all & ~(bit("given_name") | bit("family_name") | bit("dob") | bit("a_number"));
    uint64_t no_identity = no_names & ~(bit("address") | bit("phone"));
    size_t i;

    view_child(f, "C1", no_names);
    for (i = 0; i < SK_ARRAY_LEN(names); i++)
        assert_absent(&f->out, names[i], "child view without name fields");
    assert_present(&f->out, C1_ADDR); /* the address is still disclosed */
    view_child(f, "C1", no_identity);
    for (i = 0; i < SK_ARRAY_LEN(names); i++)
        assert_absent(&f->out, names[i], "child view without identity fields");
    for (i = 0; i < SK_ARRAY_LEN(contact); i++)
        assert_absent(&f->out, contact[i], "child view without identity fields");
    assert_absent(&f->out, "\"identity\"", "child view without identity fields");
    /* One name field discloses that one value only. */
    view_child(f, "C1", bit("given_name"));
    assert_string_equal(f->out.ptr,
                        "{\"id\":\"C1\",\"identity\":{\"given_name\":\"" C1_GIVEN "\"}}");
    /* C2 has no dob: disclosed but unknown is null. */
    view_child(f, "C2", bit("dob") | bit("family_name"));
    assert_string_equal(
        f->out.ptr, "{\"id\":\"C2\",\"identity\":{\"family_name\":\"P\xC3\xA9rez\",\"dob\":null}}");
}

static void test_gates(void **state)
{
    fixture *f = *state;
    size_t i;

    view_child(f, "C1", f->all & ~bit("asylum_application"));
    for (i = 0; i < SK_ARRAY_LEN(asylum_values); i++)
        assert_absent(&f->out, asylum_values[i], "without asylum_application");
    assert_present(&f->out, "SIJS-1");
    view_child(f, "C1", f->all & ~bit("criminal_history"));
    for (i = 0; i < SK_ARRAY_LEN(criminal_values); i++)
        assert_absent(&f->out, criminal_values[i], "without criminal_history");
    assert_present(&f->out, "dental exam");
    /* The contest of FA2 happened before FA2 was asserted: still gated. */
    view_child(f, "C1", bit("facts") | bit("criminal_history"));
    assert_present(&f->out, "a religious symbol");
    view_child(f, "C1", bit("asylum_application"));
    assert_string_equal(f->out.ptr, "{\"id\":\"C1\",\"asylum_application\":true}");
    view_child(f, "C2", bit("asylum_application"));
    assert_string_equal(f->out.ptr, "{\"id\":\"C2\",\"asylum_application\":false}");
}

static void test_timeline_order(void **state)
{
    fixture *f = *state;
    const char *prev_time = "";
    json_t *root, *ev;
    int hs2 = -1, hs = -1, fc2 = -1, fa2 = -1;
    size_t i;

    view_child(f, "C1", f->all);
    root = parse(&f->out);
    json_array_foreach(json_object_get(root, "timeline"), i, ev)
    {
        const char *at = json_string_value(json_object_get(ev, "occurred_at"));
        const char *id = json_string_value(json_object_get(ev, "id"));
        assert_true(strcmp(prev_time, at) <= 0);
        prev_time = at;
        hs2 = strcmp(id, "C1-hs2") == 0 ? (int)i : hs2;
        hs = strcmp(id, "C1-hs") == 0 ? (int)i : hs;
        fc2 = strcmp(id, "C1-fc2") == 0 ? (int)i : fc2;
        fa2 = strcmp(id, "C1-fa2") == 0 ? (int)i : fa2;
        /* sponsor, household and vetting events are not the child's timeline */
        assert_null(strstr(json_string_value(json_object_get(ev, "type")), "sponsor"));
        assert_null(strstr(json_string_value(json_object_get(ev, "type")), "vetting"));
        assert_null(strstr(json_string_value(json_object_get(ev, "type")), "household"));
    }
    assert_true(hs2 >= 0 && hs == hs2 + 1); /* same time: recorded first comes first */
    assert_true(fc2 >= 0 && fc2 < fa2);     /* ingested last, happened earlier */
    assert_int_equal(json_array_size(json_object_get(root, "timeline")), 28);
    json_decref(root);
}

static void test_deterministic(void **state)
{
    fixture *f = *state;
    char *first;

    view_child(f, "C1", f->all);
    first = strdup(f->out.ptr);
    assert_non_null(first);
    view_child(f, "C1", f->all);
    assert_string_equal(first, f->out.ptr);
    free(first);
}

static void test_unknown_child(void **state)
{
    fixture *f = *state;
    sk_diag diag;

    sk_buf_reset(&f->out);
    assert_int_equal(
        sk_view_child(f->store, f->keys, SK_STR("C404"), f->all, f->arena, &f->out, &diag),
        SK_ERR_NOT_FOUND);
    assert_int_equal(f->out.len, 0);
    assert_int_equal(sk_view_sponsors(f->store, f->keys, SK_STR("C404"), 1, f->all, 1, f->all,
                                      f->arena, &f->out, &diag),
                     SK_ERR_NOT_FOUND);
    assert_int_equal(sk_view_child(f->store, f->keys, SK_STR(""), f->all, f->arena, &f->out, &diag),
                     SK_ERR_NOT_FOUND);
    assert_int_equal(f->out.len, 0);
    /* "policy" is the subject of policy events, never a child. */
    assert_int_equal(
        sk_view_child(f->store, f->keys, SK_STR("policy"), f->all, f->arena, &f->out, &diag),
        SK_ERR_NOT_FOUND);
}

static void test_sponsors(void **state)
{
    fixture *f = *state;
    uint64_t names = bit("given_name") | bit("family_name");
    json_t *root, *s;

    view_sponsors(f, 1, f->all, 0, f->all);
    assert_present(&f->out, S1_GIVEN);
    assert_present(&f->out, S1_ADDR); /* the latest address of S1 */
    assert_absent(&f->out, "household_members\":[{", "household not permitted");
    assert_absent(&f->out, M1_GIVEN, "household not permitted");
    root = parse(&f->out);
    assert_int_equal(json_array_size(json_object_get(root, "sponsors")), 2);
    s = json_array_get(json_object_get(root, "sponsors"), 0); /* S2 applied first */
    assert_string_equal(json_string_value(json_object_get(s, "sponsor_id")), "S2");
    assert_string_equal(json_string_value(json_object_get(s, "status")), "denied");
    assert_string_equal(json_string_value(json_object_get(s, "denial_reason")), "failed_check");
    s = json_array_get(json_object_get(root, "sponsors"), 1);
    assert_string_equal(json_string_value(json_object_get(s, "status")), "approved");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(s, "household_members"), 0)), "M1");
    assert_int_equal(json_array_size(json_object_get(s, "criminal_history")), 1);
    json_decref(root);

    /* Identity only with the name fields, and each name only with its own. */
    view_sponsors(
        f, 1, f->all & ~names & ~bit("dob") & ~bit("a_number") & ~bit("address") & ~bit("phone"), 1,
        f->all & ~names);
    assert_absent(&f->out, S1_GIVEN, "sponsor without names");
    assert_absent(&f->out, S1_FAMILY, "sponsor without names");
    assert_absent(&f->out, "Rigoberto", "sponsor without names");
    assert_absent(&f->out, M1_GIVEN, "member without names");
    assert_absent(&f->out, "1985-01-02", "sponsor without dob");
    assert_present(&f->out, "1980-07-07"); /* the member's dob is disclosed */
    view_sponsors(f, 1, bit("given_name"), 1, 0);
    assert_string_equal(f->out.ptr, "{\"child_id\":\"C1\",\"sponsors\":[{\"identity\":{"
                                    "\"given_name\":\"Rigoberto\"}},{\"identity\":{"
                                    "\"given_name\":\"" S1_GIVEN "\"}}],"
                                    "\"household_members\":[{}]}");
    view_sponsors(f, 0, 0, 1, bit("criminal_history"));
    assert_string_equal(f->out.ptr,
                        "{\"child_id\":\"C1\",\"household_members\":[{\"criminal_history\":[{"
                        "\"check_type\":\"sex_offender_registry\",\"result\":\"clear\","
                        "\"checked_at\":\"2024-03-15T10:00:00Z\"}]}]}");
}

static void test_child_row(void **state)
{
    fixture *f = *state;

    view_row(f, "C1", bit("custody_status") | bit("facility") | bit("age"));
    assert_string_equal(
        f->out.ptr, "{\"id\":\"C1\",\"custody\":\"closed\",\"age_years\":14,\"facility\":null}");
    view_row(f, "C2", bit("country_of_birth") | bit("language") | bit("data_quality"));
    assert_string_equal(f->out.ptr, "{\"id\":\"C2\",\"country_of_birth\":\"HN\",\"language\":null,"
                                    "\"data_quality\":[]}");
}

static void test_entity_fields(void **state)
{
    fixture *f = *state;
    uint64_t child = sk_view_fields(SK_ENTITY_CHILD);
    size_t i;

    assert_int_equal(child & ~f->all, 0);
    assert_true(child & bit("given_name"));
    assert_true(child & bit("criminal_history")); /* gates facts */
    assert_false(child & bit("sponsor_category"));
    assert_true(sk_view_fields(SK_ENTITY_SPONSOR) & bit("sponsor_category"));
    assert_true(sk_view_fields(SK_ENTITY_HOUSEHOLD_MEMBER) & bit("household_members"));
    assert_int_equal(sk_view_fields(SK_ENTITY_OMBUDS_RECORD), bit("ombuds_complaint"));
    /* A field outside the child's set shows nothing in the child view. */
    for (i = 0; i < f->field_count; i++) {
        uint64_t one = (uint64_t)1 << i;
        pathset want = {0};
        sk_view_paths(SK_VIEW_CHILD, one, add_cb, &want);
        if (!(child & one))
            assert_int_equal(want.count, 1); /* "id" */
        pathset_free(&want);
    }
}

static void test_errors_leave_output_unchanged(void **state)
{
    fixture *f = *state;
    sk_buf small;
    unsigned long n;
    sk_err rc = SK_ERR_NOMEM;

    /* Output too small: nothing half-written. */
    sk_buf_init(&small, 200);
    assert_int_equal(sk_buf_appendc(&small, "prefix"), SK_OK);
    assert_int_equal(sk_view_child(f->store, f->keys, SK_STR("C1"), f->all, f->arena, &small, NULL),
                     SK_ERR_TOO_LARGE);
    assert_string_equal(small.ptr, "prefix");
    assert_int_equal(sk_view_sponsors(f->store, f->keys, SK_STR("C1"), 1, f->all, 1, f->all,
                                      f->arena, &small, NULL),
                     SK_ERR_TOO_LARGE);
    assert_string_equal(small.ptr, "prefix");
    sk_buf_fini(&small);
    /* Every arena allocation made to fail in turn. */
    for (n = 1; rc != SK_OK; n++) {
        sk_buf_reset(&f->out);
        sk_arena_reset(f->arena);
        sk_arena_fail_after(f->arena, n);
        rc = sk_view_child(f->store, f->keys, SK_STR("C1"), f->all, f->arena, &f->out, NULL);
        if (rc != SK_OK) {
            assert_int_equal(rc, SK_ERR_NOMEM);
            assert_int_equal(f->out.len, 0);
        }
        assert_true(n < 100000);
    }
    sk_arena_fail_after(f->arena, 0);
    assert_true(n > 10);
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_(test_mask_zero),     T_(test_every_single_field),
        T_(test_all_fields),    T_(test_identity_values_only_with_identity_fields),
        T_(test_gates),         T_(test_timeline_order),
        T_(test_deterministic), T_(test_unknown_child),
        T_(test_sponsors),      T_(test_child_row),
        T_(test_entity_fields), T_(test_errors_leave_output_unchanged),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
