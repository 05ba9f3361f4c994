/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_model.c: unit tests for the event catalogue, field validation, the
 * whole-event checks of sk_event_finish, the JSON form of events, and the
 * case fold (sk_model.h).
 *
 * Events are built through the same setters the importers use. The clock is
 * a parameter of sk_event_finish, so every test passes a fixed "now" and the
 * outcomes do not depend on the day the suite runs. Expected texts (payload
 * JSON, diagnostics) are compared whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_buf.h"
#include "safekeep/sk_model.h"
#include "safekeep/sk_time.h"

#define BYTES(lit) ((sk_str){(lit), sizeof(lit) - 1})
#define NOW_TEXT   "2030-01-01T00:00:00Z"
/* The required fields of an apprehension and of an admission. */
#define APPR   "given_name", "Ana", "family_name", "Ruiz", "country_of_birth", "GT"
#define ADMIT1 "facility_id", "F1", "placement_type", "shelter"

/* ----------------------------------------------------------------- helpers */

static int64_t T(const char *rfc3339)
{
    int64_t t = 0;

    if (sk_time_parse_rfc3339(sk_str_c(rfc3339), &t) != SK_OK)
        fail_msg("bad time in test: %s", rfc3339);
    return t;
}

static int setup_arena(void **state)
{
    sk_arena *arena = NULL;

    if (sk_arena_new(64 * 1024, 4 * 1024 * 1024, &arena) != SK_OK)
        return -1;
    *state = arena;
    return 0;
}

static int teardown_arena(void **state)
{
    sk_arena_free(*state);
    return 0;
}

/* Starts an event with a complete envelope for child C0001. */
static void start(sk_event *ev, sk_arena *arena, sk_event_type type, const char *id,
                  const char *occurred)
{
    sk_diag diag;

    sk_event_init(ev, type, arena);
    assert_int_equal(sk_event_set_id(ev, sk_str_c(id), &diag), SK_OK);
    assert_int_equal(sk_event_set_time(ev, 0, sk_str_c(occurred), &diag), SK_OK);
    assert_int_equal(sk_event_set_actor(ev, SK_STR("ORR"), SK_STR("cm.0042"), &diag), SK_OK);
    assert_int_equal(sk_event_add_subject(ev, SK_STR("C0001"), &diag), SK_OK);
}

/* Sets name/value pairs (strict), ending at a NULL name. */
static void set_pairs(sk_event *ev, va_list ap)
{
    const char *name, *value;
    sk_diag diag;

    for (name = va_arg(ap, const char *); name != NULL; name = va_arg(ap, const char *)) {
        value = va_arg(ap, const char *);
        sk_diag_clear(&diag);
        if (sk_event_set(ev, sk_str_c(name), sk_str_c(value), 0, &diag) != SK_OK)
            fail_msg("set %s: %s", name, diag.msg);
    }
}

/* Starts an event of child C0001 with a fresh id and sets the name/value
 * pairs (ending with NULL) without finishing it. */
static void prepare(sk_event *ev, sk_arena *arena, sk_event_type type, const char *occurred, ...)
{
    static unsigned serial;
    char id[32];
    va_list ap;

    snprintf(id, sizeof(id), "E%u", ++serial);
    start(ev, arena, type, id, occurred);
    va_start(ap, occurred);
    set_pairs(ev, ap);
    va_end(ap);
}

/* As prepare, and finishes the event (which must succeed). */
#define build(ev, arena, ...)                                                                      \
    do {                                                                                           \
        sk_diag d_;                                                                                \
        prepare((ev), (arena), __VA_ARGS__);                                                       \
        if (sk_event_finish((ev), T(NOW_TEXT), &d_) != SK_OK)                                      \
            fail_msg("finish: %s: %s", d_.field, d_.msg);                                          \
    } while (0)

/* Sets one field and returns the code, with the diagnostic in diag. */
static sk_err set1(sk_event *ev, const char *field, sk_str text, int lenient, sk_diag *diag)
{
    sk_diag_clear(diag);
    return sk_event_set(ev, sk_str_c(field), text, lenient, diag);
}

/* Expects the diagnostic to name field with exactly msg. */
static void expect_diag(const sk_diag *diag, const char *field, const char *msg)
{
    assert_string_equal(diag->field, field);
    assert_string_equal(diag->msg, msg);
}

/* ---------------------------------------------------------------- catalogue */

static void test_catalogue_and_names(void **state)
{
    const sk_event_def *def = sk_event_def_get(SK_EV_APPREHENSION);
    char buf[128];
    sk_event_type t;
    sk_custody c;
    sk_court k;
    int i;
    (void)state;

    for (i = 0; i < SK_EV__COUNT; i++) {
        assert_int_equal(sk_event_type_parse(sk_str_c(sk_event_def_get(i)->name), &t), SK_OK);
        assert_int_equal(t, i);
    }
    for (i = 0; i < SK_CUSTODY__COUNT; i++) {
        assert_int_equal(sk_custody_parse(sk_str_c(sk_custody_name((sk_custody)i)), &c), SK_OK);
        assert_int_equal(c, i);
    }
    for (i = 0; i < SK_COURT__COUNT; i++) {
        assert_int_equal(sk_court_parse(sk_str_c(sk_court_name((sk_court)i)), &k), SK_OK);
        assert_int_equal(k, i);
    }
    assert_int_equal(sk_event_type_parse(SK_STR("arrest"), &t), SK_ERR_NOT_FOUND);
    assert_int_equal(sk_event_type_parse(SK_STR("Apprehension"), &t), SK_ERR_NOT_FOUND);
    assert_int_equal(sk_event_field_index(SK_EV_APPREHENSION, SK_STR("dob")), 2);
    assert_int_equal(sk_event_field_index(SK_EV_APPREHENSION, SK_STR("age_years")), 8);
    assert_int_equal(sk_event_field_index(SK_EV_APPREHENSION, SK_STR("facility_id")), -1);
    assert_int_equal(def->fields[0].flags, SK_FF_REQUIRED | SK_FF_IDENTITY);
    assert_int_equal(def->fields[3].type, SK_FT_ANUMBER);
    assert_int_equal(def->fields[8].flags, SK_FF_DERIVED);
    assert_string_equal(sk_placement_types[0], "shelter");
    assert_string_equal(sk_custody_name(SK_CUSTODY_IN_CARE), "in_care");
    assert_string_equal(sk_court_name(SK_COURT_ORDERED_REMOVED), "ordered_removed");
    sk_dq_format(0xFF, buf, sizeof(buf));
    assert_string_equal(buf, "late,no_prior,after_close,repeat,unknown_subject,age,limit,"
                             "undeliverable");
    sk_dq_format(0, buf, sizeof(buf));
    assert_string_equal(buf, "");
    sk_dq_format(SK_DQ_LATE | SK_DQ_UNDELIVERABLE, buf, sizeof(buf));
    assert_string_equal(buf, "late,undeliverable");
}

/* ------------------------------------------------------------ field setters */

#define MSG_PLACEMENTS                                                                             \
    "expected one of: shelter, group_home, therapeutic_group_home, transitional_foster_care, "     \
    "long_term_foster_care, heightened_supervision, secure, residential_treatment, "               \
    "emergency_influx, out_of_network"
#define MSG_LANG    "expected an ISO 639-3 language code such as spa or mam"
#define MSG_COUNTRY "expected an ISO 3166-1 alpha-2 country code such as GT"
#define MSG_ANUM    "expected an A-number of 8 or 9 digits"
#define MSG_PHONE   "expected a phone number of 7 to 15 digits"
#define MSG_TEXT    "expected 1 to 200 bytes of UTF-8 text without control characters"
#define MSG_INT     "expected an integer"

/* One field set from text on a fresh event: the code, then the normalised
 * text on success or the diagnostic message on failure. */
typedef struct set_case {
    sk_event_type type;
    const char *field, *text;
    int lenient;
    sk_err rc;
    const char *want;
} set_case;

#define OK_ SK_OK
#define BAD SK_ERR_INVALID
#define ROW(t, f, in, len, rc, want)                                                               \
    {                                                                                              \
        SK_EV_##t, f, in, len, rc, want                                                            \
    }

static const set_case set_cases[] = {
    ROW(ADMISSION, "placement_type", "Shelter", 0, BAD, MSG_PLACEMENTS),
    ROW(ADMISSION, "placement_type", "group home", 0, BAD, MSG_PLACEMENTS),
    ROW(ADMISSION, "placement_type", "Group Home", 1, OK_, "group_home"),
    ROW(TRANSFER, "placement_type", "LONG-TERM foster care", 1, OK_, "long_term_foster_care"),
    ROW(TRANSFER, "reason", "hotel", 1, BAD,
        "expected one of: step_up, step_down, capacity, medical, family_proximity, other"),
    ROW(APPREHENSION, "sex", "F", 0, BAD, "expected one of: female, male, other, unknown"),
    ROW(APPREHENSION, "sex", "F", 1, OK_, "female"),
    ROW(APPREHENSION, "sex", "m", 1, OK_, "male"),
    ROW(SPONSOR_APPLICATION, "category", "2a", 0, BAD, "expected one of: 1, 2A, 2B, 3, 4"),
    ROW(SPONSOR_APPLICATION, "category", "2a", 1, OK_, "2A"),
    ROW(APPREHENSION, "language", "mam", 0, OK_, "mam"),
    ROW(APPREHENSION, "language", "quc", 0, OK_, "quc"),
    ROW(APPREHENSION, "language", "kjb", 0, OK_, "kjb"),
    ROW(APPREHENSION, "language", "spa", 0, OK_, "spa"),
    ROW(APPREHENSION, "language", "MAM", 0, BAD, MSG_LANG),
    ROW(APPREHENSION, "language", "Quc", 1, OK_, "quc"),
    ROW(APPREHENSION, "language", "zzz", 1, BAD, MSG_LANG),
    ROW(APPREHENSION, "language", "es", 1, BAD, MSG_LANG),
    ROW(APPREHENSION, "language", "span", 1, BAD, MSG_LANG),
    ROW(APPREHENSION, "country_of_birth", "GT", 0, OK_, "GT"),
    ROW(APPREHENSION, "country_of_birth", "gt", 0, BAD, MSG_COUNTRY),
    ROW(APPREHENSION, "country_of_birth", "hn", 1, OK_, "HN"),
    ROW(APPREHENSION, "country_of_birth", "XX", 1, BAD, MSG_COUNTRY),
    ROW(APPREHENSION, "country_of_birth", "UK", 1, BAD, MSG_COUNTRY),
    ROW(APPREHENSION, "country_of_birth", "GTM", 1, BAD, MSG_COUNTRY),
    ROW(APPREHENSION, "country_of_birth", "", 1, BAD, MSG_COUNTRY),
    ROW(APPREHENSION, "a_number", "A-012-345-678", 0, OK_, "012345678"),
    ROW(APPREHENSION, "a_number", "12345678", 0, OK_, "012345678"),
    ROW(APPREHENSION, "a_number", "1234567", 0, BAD, MSG_ANUM),
    ROW(APPREHENSION, "a_number", "A12B45678", 0, BAD, MSG_ANUM),
    ROW(DISCHARGE, "phone", "+1 (713) 555-0100", 0, OK_, "+1 (713) 555-0100"),
    ROW(DISCHARGE, "phone", "555-0100", 0, OK_, "555-0100"),
    ROW(DISCHARGE, "phone", "55-0100", 0, BAD, MSG_PHONE),
    ROW(DISCHARGE, "phone", "1234567890123456", 0, BAD, MSG_PHONE),
    ROW(DISCHARGE, "phone", "555-0100 ext 4", 0, BAD, MSG_PHONE),
    ROW(DISCHARGE, "phone", "1 2 3 4 5 6 7 8 9 0 1 2 3", 0, BAD, MSG_PHONE),
    ROW(WELLNESS_CALL, "reached", "yes", 0, BAD, "expected true or false"),
    ROW(WELLNESS_CALL, "reached", "TRUE", 0, BAD, "expected true or false"),
    ROW(WELLNESS_CALL, "reached", "false", 0, OK_, "false"),
    ROW(WELLNESS_CALL, "reached", "Yes", 1, OK_, "true"),
    ROW(WELLNESS_CALL, "reached", "n", 1, OK_, "false"),
    ROW(WELLNESS_CALL, "reached", "maybe", 1, BAD, "expected yes or no"),
    ROW(WELLNESS_CALL, "attempt", "-1", 0, BAD, MSG_INT),
    ROW(WELLNESS_CALL, "attempt", "12a", 0, BAD, MSG_INT),
    ROW(WELLNESS_CALL, "attempt", "", 0, BAD, MSG_INT),
    ROW(WELLNESS_CALL, "attempt", "1000001", 0, BAD, "expected an integer from 0 to 1000000"),
    ROW(WELLNESS_CALL, "attempt", "1000000", 0, OK_, "1000000"),
    ROW(WELLNESS_CALL, "attempt", "007", 0, OK_, "7"),
    ROW(DISCHARGE, "address", "12 Main St\nApt 4", 0, BAD, MSG_TEXT),
    ROW(DISCHARGE, "address", "Calle \xC3", 0, BAD, MSG_TEXT),
    ROW(DISCHARGE, "address", "", 0, BAD, MSG_TEXT),
    ROW(DISCHARGE, "address", "12 Main St\r\nApt 4\n", 1, OK_, "12 Main St Apt 4"),
    ROW(APPREHENSION, "dob", "5/1/2010", 0, BAD, "expected a date YYYY-MM-DD"),
    ROW(APPREHENSION, "dob", "5/32/2010", 1, BAD,
        "expected a date such as 2023-03-14 or 3/14/2023"),
    ROW(APPREHENSION, "dob", "5/1/2010", 1, OK_, "2010-05-01"),
    ROW(HEARING_SCHEDULED, "scheduled_for", "2024-07-01T09:00:00-05:00", 0, OK_,
        "2024-07-01T14:00:00Z"),
    ROW(HEARING_SCHEDULED, "scheduled_for", "7/1/2024", 1, OK_, "2024-07-01T00:00:00Z"),
    ROW(HEARING_SCHEDULED, "scheduled_for", "7/1/2024", 0, BAD,
        "expected an RFC 3339 time such as 2023-03-14T09:30:00Z"),
    ROW(HEARING_SCHEDULED, "hearing_id", "H 1", 0, BAD,
        "expected an id of 1 to 40 letters, digits or . _ : -"),
    ROW(HEARING_SCHEDULED, "judge", "x", 0, BAD, "not a field of hearing_scheduled events"),
    ROW(DECISION, "cites", "F1,,F2", 0, BAD, "expected 1 to 8 comma-separated ids"),
    ROW(DECISION, "cites", "a,b,c,d,e,f,g,h,i", 0, BAD, "expected 1 to 8 comma-separated ids"),
    ROW(DECISION, "cites", "a,b,c,d,e,f,g,h", 0, OK_, "a,b,c,d,e,f,g,h"),
};

static void test_set_field_table(void **state)
{
    sk_arena *arena = *state;
    const set_case *sc;
    sk_event ev;
    sk_diag diag;
    size_t i;
    sk_err rc;

    for (i = 0; i < SK_ARRAY_LEN(set_cases); i++) {
        sc = &set_cases[i];
        sk_event_init(&ev, sc->type, arena);
        rc = set1(&ev, sc->field, sk_str_c(sc->text), sc->lenient, &diag);
        if (rc != sc->rc)
            fail_msg("row %zu (%s): %s", i, sc->field, sk_err_str(rc));
        if (rc == SK_OK && strcmp(sk_event_get(&ev, sc->field)->text.ptr, sc->want) != 0)
            fail_msg("row %zu: gave %s", i, sk_event_get(&ev, sc->field)->text.ptr);
        if (rc != SK_OK && (strcmp(diag.field, sc->field) != 0 || strcmp(diag.msg, sc->want)))
            fail_msg("row %zu: [%s] [%s]", i, diag.field, diag.msg);
        if (rc != SK_OK)
            assert_null(sk_event_get(&ev, sc->field));
    }
}

static void test_set_twice_and_numbers(void **state)
{
    sk_arena *arena = *state;
    char long_text[202];
    sk_event ev;
    sk_diag diag;

    sk_event_init(&ev, SK_EV_ADMISSION, arena);
    assert_int_equal(set1(&ev, "placement_type", SK_STR("group_home"), 0, &diag), SK_OK);
    assert_int_equal(sk_event_get(&ev, "placement_type")->num, 1);
    assert_int_equal(set1(&ev, "placement_type", SK_STR("shelter"), 0, &diag), SK_ERR_CONFLICT);
    expect_diag(&diag, "placement_type", "given twice");
    assert_string_equal(sk_event_get(&ev, "placement_type")->text.ptr, "group_home");
    memset(long_text, 'a', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    assert_int_equal(set1(&ev, "facility_state", sk_str_c(long_text), 0, &diag), SK_ERR_INVALID);
    long_text[200] = '\0';
    assert_int_equal(set1(&ev, "facility_state", sk_str_c(long_text), 0, &diag), SK_OK);

    sk_event_init(&ev, SK_EV_WELLNESS_CALL, arena);
    assert_int_equal(sk_event_set_num(&ev, SK_STR("reached"), 2, &diag), SK_ERR_INVALID);
    expect_diag(&diag, "reached", "expected a string");
    assert_int_equal(sk_event_set_num(&ev, SK_STR("reached"), 0, &diag), SK_OK);
    assert_string_equal(sk_event_get(&ev, "reached")->text.ptr, "false");
    assert_int_equal(sk_event_set_num(&ev, SK_STR("attempt"), 3, &diag), SK_OK);
    assert_string_equal(sk_event_get(&ev, "attempt")->text.ptr, "3");
    assert_int_equal(sk_event_get(&ev, "attempt")->num, 3);
    assert_int_equal(sk_event_set_num(&ev, SK_STR("concerns"), -1, &diag), SK_ERR_INVALID);
    assert_int_equal(sk_event_set_num(&ev, SK_STR("attempt"), 4, &diag), SK_ERR_CONFLICT);
    sk_event_init(&ev, SK_EV_ADMISSION, arena);
    assert_int_equal(sk_event_set_num(&ev, SK_STR("facility_id"), 17, &diag), SK_ERR_INVALID);
    expect_diag(&diag, "facility_id", "expected a string");
    assert_true(sk_country_valid(SK_STR("SV")) && !sk_country_valid(SK_STR("sv")));
    assert_true(sk_language_valid(SK_STR("kjb")) && !sk_language_valid(SK_STR("qqq")));
}

/* A spreadsheet cell's line breaks and tabs collapse to single spaces before
 * the length is checked, so a cell whose collapsed text fits must keep all of
 * it: nothing may be dropped silently. */
static void test_lenient_text_keeps_whole_cell(void **state)
{
    sk_arena *arena = *state;
    char cell[451], expect[152];
    sk_event ev;
    sk_diag diag;

    memset(cell, 'a', 100);
    memset(cell + 100, '\t', 300);
    memset(cell + 400, 'b', 50);
    cell[450] = '\0';
    memset(expect, 'a', 100);
    expect[100] = ' ';
    memset(expect + 101, 'b', 50);
    expect[151] = '\0';
    sk_event_init(&ev, SK_EV_DISCHARGE, arena);
    sk_diag_clear(&diag);
    assert_int_equal(set1(&ev, "address", sk_str_c(cell), 1, &diag), SK_OK);
    assert_string_equal(sk_event_get(&ev, "address")->text.ptr, expect);
}

/* ------------------------------------------------------------ event checks */

/* Finishes ev and expects a rejection naming field with msg. */
static void expect_reject(sk_event *ev, int64_t now, const char *field, const char *msg)
{
    sk_diag diag;

    sk_diag_clear(&diag);
    assert_int_equal(sk_event_finish(ev, now, &diag), SK_ERR_INVALID);
    expect_diag(&diag, field, msg);
}

static void test_required_fields_named(void **state)
{
    sk_arena *arena = *state;
    const int64_t now = T(NOW_TEXT);
    sk_event ev;
    sk_diag diag;

    prepare(&ev, arena, SK_EV_APPREHENSION, "2024-03-14T16:05:00Z", "given_name", "Ana",
            "country_of_birth", "GT", NULL);
    expect_reject(&ev, now, "family_name", "required for apprehension");
    prepare(&ev, arena, SK_EV_ADMISSION, "2024-03-14T16:05:00Z", "facility_id", "F1", NULL);
    expect_reject(&ev, now, "placement_type", "required for admission");

    sk_event_init(&ev, SK_EV_REFERRAL, arena);
    expect_reject(&ev, now, "id", "required");
    assert_int_equal(sk_event_set_id(&ev, SK_STR("E1"), &diag), SK_OK);
    expect_reject(&ev, now, "occurred_at", "required");
    assert_int_equal(sk_event_set_time(&ev, 0, SK_STR("2024-03-14T16:05:00Z"), &diag), SK_OK);
    expect_reject(&ev, now, "agency", "required");
    assert_int_equal(sk_event_set_actor(&ev, SK_STR("ORR"), SK_STR("u1"), &diag), SK_OK);
    expect_reject(&ev, now, "subjects", "required: the child's id first");
    assert_int_equal(sk_event_add_subject(&ev, SK_STR("C0001"), &diag), SK_OK);
    assert_int_equal(sk_event_finish(&ev, now, &diag), SK_OK);
    assert_string_equal(ev.prov.source.ptr, "agency_record");
    assert_int_equal(ev.recorded_at, now);
}

static void test_envelope_setters_reject(void **state)
{
    sk_arena *arena = *state;
    sk_event ev;
    sk_diag diag;

    sk_event_init(&ev, SK_EV_REFERRAL, arena);
    assert_int_equal(sk_event_set_id(&ev, SK_STR("bad id"), &diag), SK_ERR_INVALID);
    expect_diag(&diag, "id", "expected a UUID or an id of 1 to 40 letters, digits or . _ : -");
    assert_int_equal(sk_event_set_time(&ev, 1, SK_STR("2024-03-14"), &diag), SK_ERR_INVALID);
    expect_diag(&diag, "recorded_at", "expected an RFC 3339 time such as 2023-03-14T09:30:00Z");
    assert_int_equal(sk_event_set_actor(&ev, SK_STR(""), SK_STR("u"), &diag), SK_ERR_INVALID);
    expect_diag(&diag, "agency", "expected an agency id");
    assert_int_equal(sk_event_set_actor(&ev, SK_STR("ORR"), SK_STR("a b"), &diag), SK_ERR_INVALID);
    expect_diag(&diag, "user", "expected a user id");
    assert_int_equal(sk_event_add_subject(&ev, SK_STR("C1"), &diag), SK_OK);
    assert_int_equal(sk_event_add_subject(&ev, SK_STR("C1"), &diag), SK_OK);
    assert_int_equal(ev.subject_count, 1);
    assert_int_equal(sk_event_add_subject(&ev, SK_STR("S1"), &diag), SK_OK);
    assert_int_equal(sk_event_add_subject(&ev, SK_STR("S2"), &diag), SK_OK);
    assert_int_equal(sk_event_add_subject(&ev, SK_STR("S3"), &diag), SK_OK);
    assert_int_equal(sk_event_add_subject(&ev, SK_STR("S4"), &diag), SK_ERR_INVALID);
    expect_diag(&diag, "subjects", "at most 4 subjects");
    assert_int_equal(
        sk_event_set_provenance(&ev, SK_STR("rumour"), SK_STR_NULL, SK_STR_NULL, &diag),
        SK_ERR_INVALID);
    assert_string_equal(diag.field, "provenance.source");
    assert_int_equal(
        sk_event_set_provenance(&ev, SK_STR("interview"), SK_STR_NULL, SK_STR("G"), &diag),
        SK_ERR_INVALID);
    expect_diag(&diag, "provenance.reliability", "expected a grade from A to F");
    assert_int_equal(
        sk_event_set_provenance(&ev, SK_STR("interview"), SK_STR("form 7"), SK_STR("C"), &diag),
        SK_OK);
    assert_string_equal(ev.prov.ref.ptr, "form 7");
    assert_int_equal(ev.prov.reliability, 'C');
}

/* A reference is free text like any string field: control characters (line
 * breaks, terminal escapes) would corrupt timelines and logs that print it. */
static void test_provenance_ref_rejects_control_chars(void **state)
{
    sk_arena *arena = *state;
    sk_event ev;
    sk_diag diag;

    sk_event_init(&ev, SK_EV_REFERRAL, arena);
    sk_diag_clear(&diag);
    assert_int_equal(sk_event_set_provenance(&ev, SK_STR("interview"), SK_STR("form 7\nline 2"),
                                             SK_STR_NULL, &diag),
                     SK_ERR_INVALID);
    assert_string_equal(diag.field, "provenance.ref");
    assert_int_equal(
        sk_event_set_provenance(&ev, SK_STR("interview"), SK_STR("x\x1b[31m"), SK_STR_NULL, &diag),
        SK_ERR_INVALID);
    assert_string_equal(diag.field, "provenance.ref");
}

static void test_envelope_time_rejections(void **state)
{
    sk_arena *arena = *state;
    const int64_t now = T("2024-06-01T00:00:00Z");
    sk_event ev;
    sk_diag diag;

    start(&ev, arena, SK_EV_REFERRAL, "E1", "2024-06-02T00:00:00Z");
    assert_int_equal(sk_event_finish(&ev, now, &diag), SK_OK); /* one day of clock skew */
    start(&ev, arena, SK_EV_REFERRAL, "E1", "2024-06-02T00:00:01Z");
    expect_reject(&ev, now, "occurred_at", "in the future");
    start(&ev, arena, SK_EV_REFERRAL, "E1", "1999-12-31T23:59:59Z");
    expect_reject(&ev, now, "occurred_at", "before 2000-01-01");
    start(&ev, arena, SK_EV_REFERRAL, "E1", "2000-01-01T00:00:00Z");
    assert_int_equal(sk_event_finish(&ev, now, &diag), SK_OK);

    start(&ev, arena, SK_EV_REFERRAL, "E1", "2024-03-14T16:05:00Z");
    assert_int_equal(sk_event_set_time(&ev, 1, SK_STR("2024-03-13T16:04:59Z"), &diag), SK_OK);
    expect_reject(&ev, now, "recorded_at", "earlier than occurred_at: recorded before it happened");
    start(&ev, arena, SK_EV_REFERRAL, "E1", "2024-03-14T16:05:00Z");
    assert_int_equal(sk_event_set_time(&ev, 1, SK_STR("2024-03-13T16:05:00Z"), &diag), SK_OK);
    assert_int_equal(sk_event_finish(&ev, now, &diag), SK_OK);
    assert_int_equal(ev.recorded_at, T("2024-03-13T16:05:00Z"));
}

static void test_type_rule_rejections(void **state)
{
    sk_arena *arena = *state;
    const int64_t now = T(NOW_TEXT);
    sk_event ev;
    sk_diag diag;

    prepare(&ev, arena, SK_EV_TRANSFER, "2024-03-14T16:05:00Z", "from_facility_id", "F1",
            "to_facility_id", "F1", "placement_type", "shelter", NULL);
    expect_reject(&ev, now, "to_facility_id", "the same facility as from_facility_id");

    prepare(&ev, arena, SK_EV_DISCHARGE, "2024-03-14T16:05:00Z", "discharge_type",
            "released_to_sponsor", NULL);
    expect_reject(&ev, now, "sponsor_id", "required when discharge_type is released_to_sponsor");
    assert_int_equal(set1(&ev, "sponsor_id", SK_STR("S1"), 0, &diag), SK_OK);
    assert_int_equal(sk_event_finish(&ev, now, &diag), SK_OK);
    assert_int_equal(ev.subject_count, 2);
    assert_string_equal(ev.subjects[1].ptr, "S1");

    prepare(&ev, arena, SK_EV_HEARING_SCHEDULED, "2024-05-01T00:00:00Z", "hearing_id", "H1",
            "court_id", "EOIR-HOU", "scheduled_for", "2024-04-29T23:59:59Z", NULL);
    expect_reject(&ev, now, "scheduled_for", "before the time the hearing was scheduled");
    prepare(&ev, arena, SK_EV_HEARING_SCHEDULED, "2024-05-01T00:00:00Z", "hearing_id", "H1",
            "court_id", "EOIR-HOU", "scheduled_for", "2024-04-30T00:00:00Z", NULL);
    assert_int_equal(sk_event_finish(&ev, now, &diag), SK_OK);

    prepare(&ev, arena, SK_EV_APPREHENSION, "2024-03-14T16:05:00Z", APPR, "dob", "2024-03-15",
            NULL);
    expect_reject(&ev, now, "dob", "after the apprehension date");
}

/* Builds an apprehension with the given dob at occurred and returns it. */
static void apprehension_with_dob(sk_event *ev, sk_arena *arena, const char *dob,
                                  const char *occurred)
{
    build(ev, arena, SK_EV_APPREHENSION, occurred, APPR, "dob", dob, NULL);
}

static void test_age_derivation(void **state)
{
    sk_arena *arena = *state;
    sk_event ev;

    apprehension_with_dob(&ev, arena, "2010-05-01", "2024-04-30T23:00:00Z");
    assert_int_equal(sk_event_get(&ev, "age_years")->num, 13);
    assert_int_equal(ev.dq_flags, 0);
    apprehension_with_dob(&ev, arena, "2010-05-01", "2024-05-01T00:00:00Z");
    assert_int_equal(sk_event_get(&ev, "age_years")->num, 14);
    assert_string_equal(ev.payload_json.ptr, "{\"country_of_birth\":\"GT\",\"age_years\":14}");
    apprehension_with_dob(&ev, arena, "2006-05-02", "2024-05-01T12:00:00Z");
    assert_int_equal(sk_event_get(&ev, "age_years")->num, 17);
    assert_int_equal(ev.dq_flags, 0);
    apprehension_with_dob(&ev, arena, "2006-05-01", "2024-05-01T12:00:00Z");
    assert_int_equal(sk_event_get(&ev, "age_years")->num, 18);
    assert_int_equal(ev.dq_flags, SK_DQ_AGE);
    /* A leap-day birthday is reached on 1 March. */
    apprehension_with_dob(&ev, arena, "2008-02-29", "2026-02-28T12:00:00Z");
    assert_int_equal(sk_event_get(&ev, "age_years")->num, 17);
    apprehension_with_dob(&ev, arena, "2008-02-29", "2026-03-01T12:00:00Z");
    assert_int_equal(sk_event_get(&ev, "age_years")->num, 18);
    assert_int_equal(ev.dq_flags, SK_DQ_AGE);
    /* Born before 1970. */
    apprehension_with_dob(&ev, arena, "1960-06-15", "2024-06-14T00:00:00Z");
    assert_int_equal(sk_event_get(&ev, "age_years")->num, 63);
    /* A stated age is kept; no dob, no age. */
    build(&ev, arena, SK_EV_APPREHENSION, "2024-05-01T00:00:00Z", APPR, "dob", "2010-05-01",
          "age_years", "15", NULL);
    assert_int_equal(sk_event_get(&ev, "age_years")->num, 15);
    build(&ev, arena, SK_EV_APPREHENSION, "2024-05-01T00:00:00Z", APPR, NULL);
    assert_null(sk_event_get(&ev, "age_years"));
    assert_int_equal(ev.dq_flags, 0);
}

/* SK_DQ_AGE means "18 or older at apprehension": a stated age of 19 with no
 * birth date is as much an adult as a derived one. */
static void test_age_flag_for_stated_age(void **state)
{
    sk_arena *arena = *state;
    sk_event ev;

    build(&ev, arena, SK_EV_APPREHENSION, "2024-05-01T00:00:00Z", APPR, "age_years", "17", NULL);
    assert_int_equal(ev.dq_flags, 0);
    build(&ev, arena, SK_EV_APPREHENSION, "2024-05-01T00:00:00Z", APPR, "age_years", "19", NULL);
    assert_int_equal(sk_event_get(&ev, "age_years")->num, 19);
    assert_int_equal(ev.dq_flags, SK_DQ_AGE);
}

static void test_payload_and_identity_json(void **state)
{
    sk_arena *arena = *state;
    sk_event ev;

    build(&ev, arena, SK_EV_APPREHENSION, "2024-03-14T16:05:00Z", "location", "El Paso", "a_number",
          "A-012-345-678", "language", "mam", "country_of_birth", "GT", "sex", "male", "dob",
          "2010-05-01", "family_name",
          "Garc\xC3\xAD"
          "a L\xC3\xB3pez",
          "given_name", "Jos\xC3\xA9 \"Pepe\"", NULL);
    assert_string_equal(ev.payload_json.ptr,
                        "{\"sex\":\"male\",\"country_of_birth\":\"GT\",\"language\":\"mam\","
                        "\"location\":\"El Paso\",\"age_years\":13}");
    assert_string_equal(ev.identity_json.ptr,
                        "{\"given_name\":\"Jos\xC3\xA9 \\\"Pepe\\\"\","
                        "\"family_name\":\"Garc\xC3\xAD"
                        "a L\xC3\xB3pez\",\"dob\":\"2010-05-01\",\"a_number\":\"012345678\"}");
    assert_null(strstr(ev.payload_json.ptr, "Jos"));
    assert_null(strstr(ev.payload_json.ptr, "2010"));

    build(&ev, arena, SK_EV_DISCHARGE, "2024-04-01T00:00:00Z", "discharge_type", "aged_out",
          "phone", "713 555 0100", NULL);
    assert_string_equal(ev.payload_json.ptr,
                        "{\"discharge_type\":\"aged_out\",\"address_on_file\":false}");
    assert_string_equal(ev.identity_json.ptr, "{\"phone\":\"713 555 0100\"}");
    build(&ev, arena, SK_EV_REFERRAL, "2024-04-01T00:00:00Z", NULL);
    assert_string_equal(ev.payload_json.ptr, "{}");
    assert_string_equal(ev.identity_json.ptr, "{}");
}

/* Sets field to a bad value and checks that no diagnostic text quotes it. */
static void expect_private(sk_event *ev, const char *field, const char *value, int lenient,
                           const char *secret)
{
    sk_diag diag;
    char text[512];

    assert_int_equal(set1(ev, field, sk_str_c(value), lenient, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, field);
    sk_diag_format(&diag, text, sizeof(text));
    if (strstr(text, secret) != NULL)
        fail_msg("diagnostic quotes the value of %s: %s", field, text);
}

static void test_diagnostics_never_quote_identity(void **state)
{
    sk_arena *arena = *state;
    sk_event ev;

    sk_event_init(&ev, SK_EV_APPREHENSION, arena);
    expect_private(&ev, "dob", "1999-99-99", 0, "99");
    expect_private(&ev, "dob", "31/31/1999", 1, "1999");
    expect_private(&ev, "a_number", "A12B45678", 0, "12B4");
    expect_private(&ev, "a_number", "0123456789", 0, "1234");
    expect_private(&ev, "given_name",
                   "Mar\x01\xC3\xAD"
                   "a",
                   0, "Mar");
    sk_event_init(&ev, SK_EV_SPONSOR_APPLICATION, arena);
    expect_private(&ev, "phone", "call Rosa at home", 0, "Rosa");
    expect_private(&ev, "address", "Calle\x7f Ocho", 1, "Ocho");
    expect_private(&ev, "dob", "Rosa 14 1980", 1, "Rosa");
}

/* -------------------------------------------------------------------- JSON */

#define ENV_HEAD                                                                                   \
    "{\"id\":\"E1\",\"type\":\"wellness_call\",\"occurred_at\":\"2024-03-14T16:05:00Z\","          \
    "\"agency\":\"ORR\",\"user\":\"u1\",\"subjects\":[\"C1\"]"
#define PAY(p)   ENV_HEAD ",\"payload\":{" p "}}"
#define REF(id)  "{\"id\":" id ",\"type\":\"referral\","
#define OCC      "\"occurred_at\":\"2024-03-14T16:05:00Z\","
#define ACT      "\"agency\":\"ORR\",\"user\":\"u1\","
#define SUBJ(s)  "\"subjects\":" s ","
#define NOPAY    "\"payload\":{}}"
#define MSG_SUBJ "expected a non-empty array of ids, the child first"
#define MSG_ANY  "expected a string, integer or boolean"
#define MSG_PROV "expected {\"source\": ..., \"ref\": ..., \"reliability\": ...} strings"
#define MSG_KEY                                                                                    \
    "unknown key (expected id, type, occurred_at, recorded_at, agency, user, subjects, payload, "  \
    "provenance; seq and quality are ignored)"

#define DOC_LINE                                                                                   \
    "{\"id\":\"0186f1c2-7a40-7c11-9a3e-1b2c3d4e5f60\",\"type\":\"admission\","                     \
    "\"occurred_at\":\"2023-03-14T16:05:00Z\",\"recorded_at\":\"2023-03-14T18:00:00Z\","           \
    "\"agency\":\"ORR\",\"user\":\"cm.0042\",\"subjects\":[\"C0001234\"],"                         \
    "\"payload\":{\"facility_id\":\"F-TX-017\",\"placement_type\":\"shelter\"},"                   \
    "\"provenance\":{\"source\":\"agency_record\",\"ref\":\"UCPortal\",\"reliability\":\"B\"}}"

static void test_parse_json_valid(void **state)
{
    sk_arena *arena = *state;
    sk_event ev;
    sk_diag diag;

    sk_diag_clear(&diag);
    assert_int_equal(sk_event_parse_json(SK_STR(DOC_LINE), arena, T(NOW_TEXT), &ev, &diag), SK_OK);
    assert_int_equal(ev.type, SK_EV_ADMISSION);
    assert_string_equal(ev.id, "0186f1c2-7a40-7c11-9a3e-1b2c3d4e5f60");
    assert_int_equal(ev.occurred_at, T("2023-03-14T16:05:00Z"));
    assert_int_equal(ev.recorded_at, T("2023-03-14T18:00:00Z"));
    assert_string_equal(ev.agency.ptr, "ORR");
    assert_string_equal(ev.user.ptr, "cm.0042");
    assert_int_equal(ev.subject_count, 1);
    assert_string_equal(ev.subjects[0].ptr, "C0001234");
    assert_string_equal(ev.payload_json.ptr,
                        "{\"facility_id\":\"F-TX-017\",\"placement_type\":\"shelter\"}");
    assert_string_equal(ev.identity_json.ptr, "{}");
    assert_string_equal(ev.prov.source.ptr, "agency_record");
    assert_string_equal(ev.prov.ref.ptr, "UCPortal");
    assert_int_equal(ev.prov.reliability, 'B');
    /* An explicit null is an absent field. */
    assert_int_equal(sk_event_parse_json(SK_STR(PAY("\"reached\":true,\"attempt\":null")), arena,
                                         T(NOW_TEXT), &ev, &diag),
                     SK_OK);
    assert_string_equal(ev.payload_json.ptr, "{\"reached\":true}");
}

/* Parses line and expects SK_ERR_INVALID naming field with msg. */
static void expect_json_reject(sk_arena *arena, const char *line, const char *field,
                               const char *msg)
{
    sk_event ev;
    sk_diag diag;

    sk_diag_clear(&diag);
    sk_arena_reset(arena);
    if (sk_event_parse_json(sk_str_c(line), arena, T(NOW_TEXT), &ev, &diag) != SK_ERR_INVALID)
        fail_msg("accepted %s", line);
    if (strcmp(diag.field, field) != 0 || strcmp(diag.msg, msg) != 0)
        fail_msg("%s: got [%s] [%s], expected [%s] [%s]", line, diag.field, diag.msg, field, msg);
}

static const char *const json_rejects[][3] = {
    {"{\"id\":\"E1\",\"id\":\"E2\"}", "", "not valid JSON (at character 15)"},
    {PAY("\"reached\":true,\"reached\":false"), "", "not valid JSON (at character 151)"},
    {"{\"id\":\"E1\",\"type\":", "", "not valid JSON (at character 18)"},
    {"[1,2]", "", "expected a JSON object"},
    {PAY("\"reached\":true},\"sequence\":{"), "event", MSG_KEY},
    {"{\"id\":\"E1\",\"type\":\"arrest\"}", "type", "not an event type (docs/events.md)"},
    {"{\"id\":\"E1\"}", "type", "required"},
    {"{\"id\":\"E1\",\"type\":7}", "type", "expected a string"},
    {ENV_HEAD "}", "payload", "expected an object"},
    {ENV_HEAD ",\"payload\":[]}", "payload", "expected an object"},
    {REF("7") OCC ACT SUBJ("[\"C1\"]") NOPAY, "id", "expected a string"},
    {REF("\"E1\"") "\"occurred_at\":1678809900," ACT SUBJ("[\"C1\"]") NOPAY, "occurred_at",
     "expected a string"},
    {REF("\"E1\"") OCC "\"recorded_at\":false," ACT SUBJ("[\"C1\"]") NOPAY, "recorded_at",
     "expected a string"},
    {REF("\"E1\"") OCC ACT SUBJ("\"C1\"") NOPAY, "subjects", MSG_SUBJ},
    {REF("\"E1\"") OCC ACT SUBJ("[]") NOPAY, "subjects", MSG_SUBJ},
    {REF("\"E1\"") OCC ACT SUBJ("[1]") NOPAY, "subjects", "expected ids (strings)"},
    {PAY("\"reached\":true},\"provenance\":\"x\",\"x\":{"), "event", MSG_KEY},
    {ENV_HEAD ",\"payload\":{\"reached\":true},\"provenance\":\"x\"}", "provenance",
     "expected an object"},
    {ENV_HEAD ",\"payload\":{\"reached\":true},\"provenance\":{\"source\":1}}", "provenance",
     MSG_PROV},
    {PAY("\"reached\":\"yes\""), "reached", "expected true or false"},
    {PAY("\"reached\":true,\"attempt\":2.5"), "attempt", MSG_ANY},
    {PAY("\"reached\":true,\"attempt\":\"x\""), "attempt", "expected an integer"},
    {PAY("\"reached\":[true]"), "reached", MSG_ANY},
    {PAY("\"color\":[1]"), "color", "not a field of wellness_call events"},
    {PAY("\"attempt\":2"), "reached", "required for wellness_call"},
};

static void test_parse_json_rejections(void **state)
{
    sk_arena *arena = *state;

    char *line = malloc(SK_EVENT_LINE_MAX + 1);
    sk_event ev;
    sk_diag diag;
    size_t i;

    for (i = 0; i < SK_ARRAY_LEN(json_rejects); i++)
        expect_json_reject(arena, json_rejects[i][0], json_rejects[i][1], json_rejects[i][2]);
    assert_non_null(line);
    memset(line, ' ', SK_EVENT_LINE_MAX + 1);
    line[0] = '{';
    line[SK_EVENT_LINE_MAX] = '}';
    assert_int_equal(
        sk_event_parse_json((sk_str){line, SK_EVENT_LINE_MAX + 1}, arena, T(NOW_TEXT), &ev, &diag),
        SK_ERR_TOO_LARGE);
    expect_diag(&diag, "", "line longer than 16384 bytes");
    free(line);
}

static void test_to_json_round_trip(void **state)
{
    sk_arena *arena = *state;
    sk_event ev, again;
    sk_buf out, out2;
    sk_diag diag;

    sk_buf_init(&out, 1 << 16);
    sk_buf_init(&out2, 1 << 16);
    assert_int_equal(sk_event_parse_json(SK_STR(DOC_LINE), arena, T(NOW_TEXT), &ev, &diag), SK_OK);
    assert_int_equal(sk_event_to_json(&ev, 0, NULL, &out), SK_OK);
    assert_string_equal(out.ptr, DOC_LINE);
    sk_buf_reset(&out);
    assert_int_equal(sk_event_to_json(&ev, 7, NULL, &out), SK_OK);
    ev.dq_flags = SK_DQ_LATE | SK_DQ_NO_PRIOR;
    assert_int_equal(sk_event_to_json(&ev, 7, NULL, &out2), SK_OK);
    assert_non_null(strstr(out.ptr, "\"id\":\"0186f1c2-7a40-7c11-9a3e-1b2c3d4e5f60\",\"seq\":7,"));
    assert_non_null(strstr(out2.ptr, "\"reliability\":\"B\"},\"quality\":\"late,no_prior\"}"));
    /* An export (with seq and quality) re-imports; both are ignored. */
    assert_int_equal(sk_event_parse_json(sk_buf_str(&out2), arena, T(NOW_TEXT), &again, &diag),
                     SK_OK);
    assert_int_equal(again.dq_flags, 0);
    sk_buf_reset(&out2);
    assert_int_equal(sk_event_to_json(&again, 0, NULL, &out2), SK_OK);
    assert_string_equal(out2.ptr, DOC_LINE);
    /* With identities merged in, the output parses back to the same event. */
    sk_buf_reset(&out);
    build(&ev, arena, SK_EV_APPREHENSION, "2024-03-14T16:05:00Z", "given_name", "Jos\xC3\xA9",
          "family_name", "Ruiz", "dob", "2010-05-01", "country_of_birth", "GT", "a_number",
          "12345678", NULL);
    assert_int_equal(sk_event_to_json(&ev, 0, &ev.identity_json, &out), SK_OK);
    assert_non_null(strstr(out.ptr, "\"payload\":{\"country_of_birth\":\"GT\",\"age_years\":13,"
                                    "\"given_name\":\"Jos\xC3\xA9\",\"family_name\":\"Ruiz\","
                                    "\"dob\":\"2010-05-01\",\"a_number\":\"012345678\"}"));
    assert_int_equal(sk_event_parse_json(sk_buf_str(&out), arena, T(NOW_TEXT), &again, &diag),
                     SK_OK);
    assert_string_equal(again.payload_json.ptr, ev.payload_json.ptr);
    assert_string_equal(again.identity_json.ptr, ev.identity_json.ptr);
    sk_buf_reset(&out2);
    assert_int_equal(sk_event_to_json(&again, 0, &again.identity_json, &out2), SK_OK);
    assert_string_equal(out2.ptr, out.ptr);
    /* Without identities, none of them is written. */
    sk_buf_reset(&out);
    assert_int_equal(sk_event_to_json(&ev, 0, NULL, &out), SK_OK);
    assert_null(strstr(out.ptr, "Jos"));
    assert_null(strstr(out.ptr, "012345678"));
    sk_buf_fini(&out);
    sk_buf_fini(&out2);
}

/* --------------------------------------------------------------- case fold */

/* Applies ev to c and returns the event's flags. */
static uint32_t apply(sk_case *c, sk_event *ev)
{
    sk_case_apply(c, ev);
    return ev->dq_flags;
}

static void test_case_custody_track(void **state)
{
    sk_arena *arena = *state;
    sk_case c;
    sk_event ev;

    sk_case_init(&c, SK_STR("C0001"));
    build(&ev, arena, SK_EV_APPREHENSION, "2024-03-01T10:00:00Z", APPR, "dob", "2010-05-01", "sex",
          "female", "language", "mam", NULL);
    assert_int_equal(apply(&c, &ev), 0);
    assert_int_equal(c.custody, SK_CUSTODY_APPREHENDED);
    assert_string_equal(c.country, "GT");
    assert_string_equal(c.language, "mam");
    assert_int_equal(c.sex, 0);
    assert_int_equal(c.age_years, 13);
    assert_int_equal(c.apprehended_at, T("2024-03-01T10:00:00Z"));
    build(&ev, arena, SK_EV_REFERRAL, "2024-03-02T10:00:00Z", NULL);
    assert_int_equal(apply(&c, &ev), 0);
    assert_int_equal(c.custody, SK_CUSTODY_REFERRED);
    build(&ev, arena, SK_EV_ADMISSION, "2024-03-03T10:00:00Z", ADMIT1, NULL);
    assert_int_equal(apply(&c, &ev), 0);
    assert_int_equal(c.custody, SK_CUSTODY_IN_CARE);
    assert_int_equal(c.placement_count, 1);
    assert_string_equal(c.placements[0].facility, "F1");
    build(&ev, arena, SK_EV_TRANSFER, "2024-03-10T10:00:00Z", "from_facility_id", "F1",
          "to_facility_id", "F2", "placement_type", "long_term_foster_care", NULL);
    assert_int_equal(apply(&c, &ev), 0);
    assert_int_equal(c.placement_count, 2);
    assert_int_equal(c.placements[0].end, T("2024-03-10T10:00:00Z"));
    assert_string_equal(c.placements[1].facility, "F2");
    assert_int_equal(c.placements[1].type, 4);
    build(&ev, arena, SK_EV_DISCHARGE, "2024-04-01T10:00:00Z", "discharge_type",
          "released_to_sponsor", "sponsor_id", "S1", "address", "1 Main St", NULL);
    assert_int_equal(apply(&c, &ev), 0);
    assert_int_equal(c.custody, SK_CUSTODY_RELEASED);
    assert_string_equal(c.sponsor_id, "S1");
    assert_int_equal(c.released_at, T("2024-04-01T10:00:00Z"));
    assert_int_equal(c.placements[1].end, T("2024-04-01T10:00:00Z"));
    build(&ev, arena, SK_EV_CASE_CLOSED, "2024-09-01T10:00:00Z", "reason", "reunified", NULL);
    assert_int_equal(apply(&c, &ev), 0);
    assert_int_equal(c.custody, SK_CUSTODY_CLOSED);
    assert_int_equal(c.event_count, 6);
    assert_int_equal(c.dq_flags, 0);
    assert_int_equal(c.last_occurred_at, T("2024-09-01T10:00:00Z"));
}

static void test_case_court_track(void **state)
{
    sk_arena *arena = *state;
    sk_case c;
    sk_event ev;

    sk_case_init(&c, SK_STR("C0001"));
    build(&ev, arena, SK_EV_NTA_FILED, "2024-03-05T10:00:00Z", "court_id", "EOIR-HOU", NULL);
    apply(&c, &ev);
    assert_int_equal(c.court, SK_COURT_NTA_FILED);
    build(&ev, arena, SK_EV_HEARING_SCHEDULED, "2024-03-06T10:00:00Z", "hearing_id", "H1",
          "court_id", "EOIR-HOU", "scheduled_for", "2024-05-01T14:00:00Z", NULL);
    assert_int_equal(apply(&c, &ev), 0);
    assert_int_equal(c.court, SK_COURT_HEARING_SCHEDULED);
    assert_int_equal(c.hearing_count, 1);
    assert_int_equal(c.hearings[0].outcome, -1);
    assert_int_equal(c.hearings[0].scheduled_for, T("2024-05-01T14:00:00Z"));
    build(&ev, arena, SK_EV_HEARING_OUTCOME, "2024-05-01T15:00:00Z", "hearing_id", "H1", "outcome",
          "failed_to_appear", NULL);
    assert_int_equal(apply(&c, &ev), 0);
    assert_int_equal(c.court, SK_COURT_FAILED_TO_APPEAR);
    assert_int_equal(c.hearings[0].outcome, 1);
    build(&ev, arena, SK_EV_HEARING_SCHEDULED, "2024-05-02T10:00:00Z", "hearing_id", "H2",
          "court_id", "EOIR-HOU", "scheduled_for", "2024-06-01T14:00:00Z", NULL);
    apply(&c, &ev);
    assert_int_equal(c.court, SK_COURT_HEARING_SCHEDULED);
    build(&ev, arena, SK_EV_HEARING_OUTCOME, "2024-06-01T15:00:00Z", "hearing_id", "H2", "outcome",
          "in_absentia_order", NULL);
    apply(&c, &ev);
    assert_int_equal(c.court, SK_COURT_ORDERED_REMOVED);
    assert_int_equal(c.hearings[1].outcome, 2);
    build(&ev, arena, SK_EV_RELIEF_FILED, "2024-06-10T10:00:00Z", "relief_type", "asylum", NULL);
    assert_int_equal(apply(&c, &ev), 0);
    assert_int_equal(c.court, SK_COURT_RELIEF_PENDING);
    assert_int_equal(c.relief_count, 1);
    assert_int_equal(c.relief[0].outcome, -1);
    build(&ev, arena, SK_EV_RELIEF_DECIDED, "2024-08-10T10:00:00Z", "relief_type", "asylum",
          "outcome", "granted", NULL);
    assert_int_equal(apply(&c, &ev), 0);
    assert_int_equal(c.court, SK_COURT_RELIEF_GRANTED);
    assert_int_equal(c.relief[0].outcome, 0);
    build(&ev, arena, SK_EV_RELIEF_DECIDED, "2024-08-11T10:00:00Z", "relief_type", "sijs",
          "outcome", "denied", NULL);
    assert_int_equal(apply(&c, &ev), SK_DQ_NO_PRIOR);
    assert_int_equal(c.court, SK_COURT_RELIEF_DENIED);
    assert_int_equal(c.relief_count, 2);
    assert_int_equal(c.custody, SK_CUSTODY_UNKNOWN);
    assert_int_equal(c.dq_flags, SK_DQ_UNKNOWN_SUBJECT | SK_DQ_NO_PRIOR);
}

static void test_case_dq_flags(void **state)
{
    sk_arena *arena = *state;
    sk_case c;
    sk_event ev;

    sk_case_init(&c, SK_STR("C0002"));
    build(&ev, arena, SK_EV_ADMISSION, "2024-03-03T10:00:00Z", ADMIT1, NULL);
    assert_int_equal(apply(&c, &ev), SK_DQ_UNKNOWN_SUBJECT | SK_DQ_NO_PRIOR);
    sk_case_init(&c, SK_STR("C0002"));
    build(&ev, arena, SK_EV_APPREHENSION, "2024-03-01T10:00:00Z", APPR, NULL);
    assert_int_equal(apply(&c, &ev), 0);
    build(&ev, arena, SK_EV_ADMISSION, "2024-03-03T10:00:00Z", ADMIT1, NULL);
    assert_int_equal(apply(&c, &ev), SK_DQ_NO_PRIOR);
    build(&ev, arena, SK_EV_DISCHARGE, "2024-04-01T10:00:00Z", "discharge_type", "aged_out", NULL);
    assert_int_equal(apply(&c, &ev), 0);
    assert_int_equal(c.custody, SK_CUSTODY_DISCHARGED);
    build(&ev, arena, SK_EV_DISCHARGE, "2024-04-02T10:00:00Z", "discharge_type", "runaway", NULL);
    assert_int_equal(apply(&c, &ev), SK_DQ_REPEAT);
    build(&ev, arena, SK_EV_WELLNESS_CALL, "2024-04-03T10:00:00Z", "reached", "true", NULL);
    assert_int_equal(apply(&c, &ev), SK_DQ_NO_PRIOR);
    build(&ev, arena, SK_EV_CASE_CLOSED, "2024-05-01T10:00:00Z", "reason", "other", NULL);
    assert_int_equal(apply(&c, &ev), 0);
    build(&ev, arena, SK_EV_INCIDENT, "2024-05-02T10:00:00Z", "category", "medical", NULL);
    assert_int_equal(apply(&c, &ev), SK_DQ_AFTER_CLOSE);
    assert_int_equal(c.incident_count, 1);
    build(&ev, arena, SK_EV_CASE_CLOSED, "2024-05-03T10:00:00Z", "reason", "other", NULL);
    assert_int_equal(apply(&c, &ev), SK_DQ_REPEAT);
    assert_int_equal(c.dq_flags, SK_DQ_NO_PRIOR | SK_DQ_REPEAT | SK_DQ_AFTER_CLOSE);
    /* The late flag stays on the event but is not the fold's to add. */
    build(&ev, arena, SK_EV_INCIDENT, "2024-05-04T10:00:00Z", "category", "other", NULL);
    ev.dq_flags = SK_DQ_LATE;
    assert_int_equal(apply(&c, &ev), SK_DQ_LATE | SK_DQ_AFTER_CLOSE);
    assert_int_equal(c.dq_flags & SK_DQ_LATE, 0);
}

/* A later apprehension that does not state sex leaves what is known, as it
 * does for country and language: an absent field is not "unknown". */
static void test_case_repeat_apprehension_keeps_known(void **state)
{
    sk_arena *arena = *state;
    sk_case c;
    sk_event ev;

    sk_case_init(&c, SK_STR("C0007"));
    build(&ev, arena, SK_EV_APPREHENSION, "2024-03-01T10:00:00Z", APPR, "sex", "female", "language",
          "quc", NULL);
    apply(&c, &ev);
    build(&ev, arena, SK_EV_APPREHENSION, "2024-06-01T10:00:00Z", APPR, NULL);
    assert_int_equal(apply(&c, &ev), SK_DQ_REPEAT);
    assert_string_equal(c.language, "quc");
    assert_string_equal(c.country, "GT");
    assert_int_equal(c.sex, 0);
}

/* Applies a discharge to a case in care and returns the event's flags. */
static uint32_t release_flags(sk_arena *arena, const char *type, const char *address,
                              const char *status)
{
    sk_case c;
    sk_event ev;

    sk_case_init(&c, SK_STR("C0003"));
    build(&ev, arena, SK_EV_REFERRAL, "2024-03-01T10:00:00Z", NULL);
    apply(&c, &ev);
    build(&ev, arena, SK_EV_ADMISSION, "2024-03-02T10:00:00Z", ADMIT1, NULL);
    apply(&c, &ev);
    build(&ev, arena, SK_EV_DISCHARGE, "2024-04-01T10:00:00Z", "discharge_type", type, "sponsor_id",
          "S1", address ? "address" : NULL, address, status ? "address_status" : NULL, status,
          NULL);
    return apply(&c, &ev);
}

static void test_case_undeliverable(void **state)
{
    sk_arena *arena = *state;

    assert_int_equal(release_flags(arena, "released_to_sponsor", NULL, NULL), SK_DQ_UNDELIVERABLE);
    assert_int_equal(release_flags(arena, "released_to_sponsor", "1 Main St", "undeliverable"),
                     SK_DQ_UNDELIVERABLE);
    assert_int_equal(release_flags(arena, "released_to_sponsor", "1 Main St", "verified"), 0);
    assert_int_equal(release_flags(arena, "released_to_sponsor", "1 Main St", NULL), 0);
    assert_int_equal(release_flags(arena, "aged_out", NULL, NULL), 0);
}

static void test_case_lists_and_limits(void **state)
{
    sk_arena *arena = *state;
    char when[32], to[16], from[16];
    sk_case c;
    sk_event ev;
    int i;

    sk_case_init(&c, SK_STR("C0004"));
    build(&ev, arena, SK_EV_ADMISSION, "2024-01-01T00:00:00Z", "facility_id", "F0",
          "placement_type", "shelter", NULL);
    apply(&c, &ev);
    for (i = 1; i <= SK_PLACEMENTS_MAX; i++) {
        snprintf(when, sizeof(when), "2024-01-%02dT00:00:00Z", i + 1);
        snprintf(from, sizeof(from), "F%d", i - 1);
        snprintf(to, sizeof(to), "F%d", i);
        build(&ev, arena, SK_EV_TRANSFER, when, "from_facility_id", from, "to_facility_id", to,
              "placement_type", "group_home", NULL);
        assert_int_equal(apply(&c, &ev), i < SK_PLACEMENTS_MAX ? 0u : SK_DQ_LIMIT);
    }
    assert_int_equal(c.placement_count, SK_PLACEMENTS_MAX);
    assert_string_equal(c.placements[SK_PLACEMENTS_MAX - 1].facility, "F15");
    assert_int_equal(c.placements[SK_PLACEMENTS_MAX - 2].end, c.placements[15].start);
    assert_true((c.dq_flags & SK_DQ_LIMIT) != 0);
    assert_int_equal(c.custody, SK_CUSTODY_IN_CARE);

    /* Wellness calls keep the latest SK_CALLS_MAX. */
    sk_case_init(&c, SK_STR("C0005"));
    for (i = 0; i < SK_CALLS_MAX + 1; i++) {
        snprintf(when, sizeof(when), "2024-02-%02dT00:00:00Z", i + 1);
        build(&ev, arena, SK_EV_WELLNESS_CALL, when, "reached", i % 2 ? "true" : "false", NULL);
        apply(&c, &ev);
    }
    assert_int_equal(c.call_count, SK_CALLS_MAX);
    assert_int_equal(c.calls[0].at, T("2024-02-02T00:00:00Z"));
    assert_int_equal(c.calls[0].reached, 1);
    assert_int_equal(c.calls[SK_CALLS_MAX - 1].at, T("2024-02-09T00:00:00Z"));
}

#define T_(f) cmocka_unit_test_setup_teardown(f, setup_arena, teardown_arena)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_(test_catalogue_and_names),
        T_(test_set_field_table),
        T_(test_set_twice_and_numbers),
        T_(test_lenient_text_keeps_whole_cell),
        T_(test_required_fields_named),
        T_(test_envelope_setters_reject),
        T_(test_provenance_ref_rejects_control_chars),
        T_(test_envelope_time_rejections),
        T_(test_type_rule_rejections),
        T_(test_age_derivation),
        T_(test_age_flag_for_stated_age),
        T_(test_payload_and_identity_json),
        T_(test_diagnostics_never_quote_identity),
        T_(test_parse_json_valid),
        T_(test_parse_json_rejections),
        T_(test_to_json_round_trip),
        T_(test_case_custody_track),
        T_(test_case_court_track),
        T_(test_case_dq_flags),
        T_(test_case_repeat_apprehension_keeps_known),
        T_(test_case_undeliverable),
        T_(test_case_lists_and_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
