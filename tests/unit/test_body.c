/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_body.c: unit tests for the events of an API request body
 * (sk_body.h): one event or a batch, the token's agency and user filled in or
 * checked, and, for every kind of bad body, the exact error code, the JSON
 * pointer of the bad value, and whether the body counts as "not JSON".
 *
 * Bodies are written inline as JSON text; "now" is fixed (2030), so the
 * outcomes do not depend on the day the suite runs.
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
#include "safekeep/sk_body.h"
#include "safekeep/sk_model.h"

#define NOW 1893456000 /* 2030-01-01T00:00:00Z */
#define MAX 3

/* The envelope of a valid apprehension of C0001, without agency and user. */
#define ENV                                                                                        \
    "\"id\":\"e1\",\"type\":\"apprehension\",\"occurred_at\":\"2023-03-01T10:00:00Z\","            \
    "\"subjects\":[\"C0001\"]"
#define PAYLOAD "\"given_name\":\"Ana\",\"family_name\":\"Ruiz\",\"country_of_birth\":\"GT\""
#define GOOD    "{" ENV ",\"payload\":{" PAYLOAD "}}"
#define GOOD2                                                                                      \
    "{\"id\":\"e2\",\"type\":\"admission\",\"occurred_at\":\"2023-03-03T10:00:00Z\","              \
    "\"subjects\":[\"C0001\"],\"payload\":{\"facility_id\":\"F1\",\"placement_type\":\"shelter\"}" \
    "}"

typedef struct result {
    sk_err rc;
    sk_event *events;
    size_t count;
    sk_diag diag;
} result;

static int setup_arena(void **state)
{
    sk_arena *arena = NULL;

    if (sk_arena_new(64 * 1024, 8 * 1024 * 1024, &arena) != SK_OK)
        return -1;
    *state = arena;
    return 0;
}

static int teardown_arena(void **state)
{
    sk_arena_free(*state);
    return 0;
}

static result parse_len(void **state, const char *body, size_t len, int batch)
{
    result r;

    sk_arena_reset(*state);
    memset(&r, 0, sizeof(r));
    r.rc = sk_body_events((sk_str){body, len}, batch, MAX, SK_STR("ORR"), SK_STR("cm.0042"), NOW,
                          *state, &r.events, &r.count, &r.diag);
    return r;
}

static result parse(void **state, const char *body, int batch)
{
    return parse_len(state, body, strlen(body), batch);
}

/* Expects an SK_ERR_INVALID (or rc) at pointer, not a JSON syntax error. */
static void expect_at(void **state, const char *body, int batch, sk_err rc, const char *pointer)
{
    result r = parse(state, body, batch);

    if (r.rc != rc || strcmp(r.diag.field, pointer) != 0)
        fail_msg("%s: got %s at \"%s\" (%s), want %s at \"%s\"", body, sk_err_str(r.rc),
                 r.diag.field, r.diag.msg, sk_err_str(rc), pointer);
    assert_string_equal(r.diag.where, "");
    assert_true(r.diag.msg[0] != '\0');
    assert_null(r.events);
    assert_int_equal(r.count, 0);
}

/* Expects "not JSON": 400 material, no pointer. */
static void expect_not_json(void **state, const char *body, size_t len, int batch)
{
    result r = parse_len(state, body, len, batch);

    assert_int_equal(r.rc, SK_ERR_INVALID);
    assert_string_equal(r.diag.where, SK_BODY_WHERE_JSON);
    assert_string_equal(r.diag.field, "");
    assert_true(r.diag.msg[0] != '\0');
    assert_null(r.events);
}

static void test_single_valid(void **state)
{
    result r = parse(state, GOOD, 0);

    assert_int_equal(r.rc, SK_OK);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.events[0].id, "e1");
    assert_int_equal(r.events[0].type, SK_EV_APPREHENSION);
    assert_true(sk_str_eqc(r.events[0].agency, "ORR"));
    assert_true(sk_str_eqc(r.events[0].user, "cm.0042"));
    assert_true(sk_str_eqc(r.events[0].subjects[0], "C0001"));
    assert_int_equal(r.events[0].recorded_at, NOW); /* defaults to now */
    /* Given and equal to the token's: accepted too. */
    r = parse(state, "{" ENV ",\"agency\":\"ORR\",\"user\":\"cm.0042\",\"payload\":{" PAYLOAD "}}",
              0);
    assert_int_equal(r.rc, SK_OK);
    assert_int_equal(r.count, 1);
}

static void test_batch_valid(void **state)
{
    result r = parse(state, "{\"events\":[" GOOD "," GOOD2 "]}", 1);

    assert_int_equal(r.rc, SK_OK);
    assert_int_equal(r.count, 2);
    assert_string_equal(r.events[0].id, "e1");
    assert_string_equal(r.events[1].id, "e2");
    assert_int_equal(r.events[1].type, SK_EV_ADMISSION);
    assert_true(sk_str_eqc(r.events[1].agency, "ORR"));
    r = parse(state, "{\"events\":[" GOOD "," GOOD2 "," GOOD "]}", 1); /* exactly MAX */
    assert_int_equal(r.rc, SK_OK);
    assert_int_equal(r.count, MAX);
}

static void test_not_json(void **state)
{
    static const char invalid_utf8[] = "{\"events\":[{\"id\":\"\xC3\x28\"}]}";
    static const char nul[] = "{\"id\":\"a\0b\"}";
    char *deep;
    size_t i;

    expect_not_json(state, "", 0, 0);
    expect_not_json(state, "{", 1, 0);
    expect_not_json(state, "{\"events\":[]", 12, 1);
    expect_not_json(state, "[" GOOD "]", strlen("[" GOOD "]"), 0);
    expect_not_json(state, "[]", 2, 1);
    expect_not_json(state, "\"text\"", 6, 0);
    expect_not_json(state, "42", 2, 1);
    expect_not_json(state, "null", 4, 0);
    expect_not_json(state, invalid_utf8, sizeof(invalid_utf8) - 1, 1);
    expect_not_json(state, nul, sizeof(nul) - 1, 0);
    /* Duplicate keys, at the top and deep inside. */
    expect_not_json(state, "{\"id\":\"a\",\"id\":\"b\"}", 19, 0);
    expect_not_json(state, "{\"events\":[{\"payload\":{\"dob\":\"x\",\"dob\":\"y\"}}]}", 46, 1);
    /* Numbers beyond what JSON integers and doubles hold here. */
    expect_not_json(state, "{\"id\":99999999999999999999}", 27, 0);
    expect_not_json(state, "{\"id\":1e999}", 12, 0);
    /* Nesting deeper than the parser takes. */
    deep = malloc(20001);
    assert_non_null(deep);
    memcpy(deep, "{\"payload\":", 11);
    for (i = 11; i < 20000; i++)
        deep[i] = '[';
    deep[20000] = '\0';
    expect_not_json(state, deep, 20000, 0);
    free(deep);
}

static void test_single_pointers(void **state)
{
    /* The token's agency and user. */
    expect_at(state, "{" ENV ",\"agency\":\"CBP\",\"payload\":{" PAYLOAD "}}", 0, SK_ERR_INVALID,
              "/agency");
    expect_at(state, "{" ENV ",\"user\":7,\"payload\":{" PAYLOAD "}}", 0, SK_ERR_INVALID, "/user");
    expect_at(state, "{" ENV ",\"user\":\"cm.0042 \",\"payload\":{" PAYLOAD "}}", 0, SK_ERR_INVALID,
              "/user");
    /* Unknown keys, including those an export adds, and pointer escapes. */
    expect_at(state, "{" ENV ",\"ocurred_at\":\"x\",\"payload\":{" PAYLOAD "}}", 0, SK_ERR_INVALID,
              "/ocurred_at");
    expect_at(state, "{" ENV ",\"seq\":3,\"payload\":{" PAYLOAD "}}", 0, SK_ERR_INVALID, "/seq");
    expect_at(state, "{" ENV ",\"quality\":\"late\",\"payload\":{" PAYLOAD "}}", 0, SK_ERR_INVALID,
              "/quality");
    expect_at(state, "{\"a/b~c\":1}", 0, SK_ERR_INVALID, "/a~1b~0c");
    expect_at(state, "{\"events\":[" GOOD "]}", 0, SK_ERR_INVALID, "/events");
    /* A key too long for a pointer: the enclosing object. */
    expect_at(state,
              "{\"k1234567890123456789012345678901234567890123456789012345678901234567890\":1}", 0,
              SK_ERR_INVALID, "");
    /* The envelope. */
    expect_at(state, "{\"type\":\"apprehension\",\"occurred_at\":\"2023-03-01T10:00:00Z\"}", 0,
              SK_ERR_INVALID, "/id");
    expect_at(state, "{\"id\":\"e1\"}", 0, SK_ERR_INVALID, "/type");
    expect_at(state, "{\"id\":\"e1\",\"type\":[\"apprehension\"]}", 0, SK_ERR_INVALID, "/type");
    expect_at(state, "{\"id\":\"e1\",\"type\":\"arrest\"}", 0, SK_ERR_INVALID, "/type");
    expect_at(state, "{\"id\":\"no spaces\",\"type\":\"referral\"}", 0, SK_ERR_INVALID, "/id");
    expect_at(state,
              "{\"id\":\"e1\",\"type\":\"referral\",\"occurred_at\":\"yesterday\","
              "\"subjects\":[\"C1\"],\"payload\":{}}",
              0, SK_ERR_INVALID, "/occurred_at");
    expect_at(state,
              "{\"id\":\"e1\",\"type\":\"referral\",\"occurred_at\":\"2031-01-01T00:00:00Z\","
              "\"subjects\":[\"C1\"],\"payload\":{}}",
              0, SK_ERR_INVALID, "/occurred_at");
    expect_at(state,
              "{\"id\":\"e1\",\"type\":\"referral\",\"occurred_at\":\"2023-01-01T00:00:00Z\","
              "\"subjects\":\"C1\",\"payload\":{}}",
              0, SK_ERR_INVALID, "/subjects");
    expect_at(state,
              "{\"id\":\"e1\",\"type\":\"referral\",\"occurred_at\":\"2023-01-01T00:00:00Z\","
              "\"subjects\":[[\"C1\"]],\"payload\":{}}",
              0, SK_ERR_INVALID, "/subjects");
    expect_at(state, "{" ENV ",\"payload\":[]}", 0, SK_ERR_INVALID, "/payload");
    expect_at(state, "{" ENV ",\"payload\":{" PAYLOAD "},\"provenance\":{\"source\":\"rumour\"}}",
              0, SK_ERR_INVALID, "/provenance/source");
    expect_at(state,
              "{" ENV ",\"payload\":{" PAYLOAD "},\"provenance\":{\"source\":\"interview\","
              "\"reliability\":\"Z\"}}",
              0, SK_ERR_INVALID, "/provenance/reliability");
    expect_at(state, "{" ENV ",\"payload\":{" PAYLOAD "},\"provenance\":7}", 0, SK_ERR_INVALID,
              "/provenance");
}

static void test_payload_pointers(void **state)
{
    expect_at(state, "{" ENV ",\"payload\":{" PAYLOAD ",\"dob\":\"2007-13-45\"}}", 0,
              SK_ERR_INVALID, "/payload/dob");
    /* A birth date after the apprehension: a whole-event check. */
    expect_at(state, "{" ENV ",\"payload\":{" PAYLOAD ",\"dob\":\"2024-01-01\"}}", 0,
              SK_ERR_INVALID, "/payload/dob");
    /* A required field left out points where it belongs. */
    expect_at(state, "{" ENV ",\"payload\":{\"family_name\":\"Ruiz\",\"country_of_birth\":\"GT\"}}",
              0, SK_ERR_INVALID, "/payload/given_name");
    expect_at(state, "{" ENV ",\"payload\":{" PAYLOAD ",\"bogus\":\"x\"}}", 0, SK_ERR_INVALID,
              "/payload/bogus");
    expect_at(state, "{" ENV ",\"payload\":{" PAYLOAD ",\"x/y\":{\"z\":1}}}", 0, SK_ERR_INVALID,
              "/payload/x~1y");
    expect_at(state, "{" ENV ",\"payload\":{" PAYLOAD ",\"location\":{\"sector\":\"RGV\"}}}", 0,
              SK_ERR_INVALID, "/payload/location");
    expect_at(state, "{" ENV ",\"payload\":{" PAYLOAD ",\"location\":[\"RGV\"]}}", 0,
              SK_ERR_INVALID, "/payload/location");
    expect_at(state, "{" ENV ",\"payload\":{" PAYLOAD ",\"age_years\":1.5}}", 0, SK_ERR_INVALID,
              "/payload/age_years");
    expect_at(state, "{" ENV ",\"payload\":{" PAYLOAD ",\"age_years\":9223372036854775807}}", 0,
              SK_ERR_INVALID, "/payload/age_years");
    expect_at(state, "{" ENV ",\"payload\":{" PAYLOAD ",\"age_years\":-1}}", 0, SK_ERR_INVALID,
              "/payload/age_years");
    expect_at(state, "{" ENV ",\"payload\":{" PAYLOAD ",\"sex\":true}}", 0, SK_ERR_INVALID,
              "/payload/sex");
    expect_at(state, "{" ENV ",\"payload\":{\"given_name\":\"\",\"family_name\":\"R\"}}", 0,
              SK_ERR_INVALID, "/payload/given_name");
}

static void test_batch_pointers(void **state)
{
    expect_at(state, "{}", 1, SK_ERR_INVALID, "/events");
    expect_at(state, "{\"events\":[]}", 1, SK_ERR_INVALID, "/events");
    expect_at(state, "{\"events\":{}}", 1, SK_ERR_INVALID, "/events");
    expect_at(state, "{\"events\":null}", 1, SK_ERR_INVALID, "/events");
    expect_at(state, "{\"events\":[" GOOD "],\"dry_run\":true}", 1, SK_ERR_INVALID, "/dry_run");
    expect_at(state, GOOD, 1, SK_ERR_INVALID, "/id");
    expect_at(state, "{\"events\":[" GOOD ",7]}", 1, SK_ERR_INVALID, "/events/1");
    expect_at(state, "{\"events\":[" GOOD ",[]]}", 1, SK_ERR_INVALID, "/events/1");
    expect_at(state,
              "{\"events\":[" GOOD "," GOOD2 ",{" ENV ",\"payload\":{" PAYLOAD ",\"dob\":\"x\"}}]}",
              1, SK_ERR_INVALID, "/events/2/payload/dob");
    expect_at(state, "{\"events\":[{" ENV ",\"agency\":\"ICE\",\"payload\":{}}]}", 1,
              SK_ERR_INVALID, "/events/0/agency");
    expect_at(state, "{\"events\":[" GOOD2 ",{" ENV ",\"payload\":{" PAYLOAD "},\"extra\":1}]}", 1,
              SK_ERR_INVALID, "/events/1/extra");
    expect_at(state,
              "{\"events\":[" GOOD2 ",{" ENV ",\"payload\":{" PAYLOAD
              "},\"provenance\":{\"source\":\"document\",\"ref\":\"\\u0001\"}}]}",
              1, SK_ERR_INVALID, "/events/1/provenance/ref");
    /* More than max: too large, whatever the events are. */
    expect_at(state, "{\"events\":[1,2,3,4]}", 1, SK_ERR_TOO_LARGE, "/events");
}

static void test_event_too_long(void **state)
{
    size_t pad = SK_EVENT_LINE_MAX, len;
    char *body = malloc(pad + 256);
    result r;

    assert_non_null(body);
    len = (size_t)snprintf(body, 64, "{\"events\":[{\"id\":\"e1\",\"payload\":{\"location\":\"");
    memset(body + len, 'a', pad);
    len += pad;
    memcpy(body + len, "\"}}]}", 6);
    r = parse(state, body, 1);
    assert_int_equal(r.rc, SK_ERR_INVALID);
    assert_string_equal(r.diag.field, "/events/0");
    assert_string_equal(r.diag.where, "");
    free(body);
}

/* The diagnostic names the field, never the value sent. */
static void test_no_value_in_messages(void **state)
{
    result r;

    r = parse(state, "{" ENV ",\"payload\":{" PAYLOAD ",\"dob\":\"SECRET-1999\"}}", 0);
    assert_int_equal(r.rc, SK_ERR_INVALID);
    assert_null(strstr(r.diag.msg, "SECRET"));
    r = parse(state, "{" ENV ",\"agency\":\"SECRET\",\"payload\":{" PAYLOAD "}}", 0);
    assert_null(strstr(r.diag.msg, "SECRET"));
    r = parse(state, "{\"id\":\"SECRET\" \"x\"}", 0);
    assert_null(strstr(r.diag.msg, "SECRET"));
}

/* Exhausting the arena is reported, not a crash, at every point. */
static void test_arena_exhaustion(void **state)
{
    unsigned long n;
    result r;
    int ok = 0;

    for (n = 1; n < 200 && !ok; n++) {
        sk_arena_reset(*state);
        sk_arena_fail_after(*state, n);
        memset(&r, 0, sizeof(r));
        r.rc = sk_body_events(SK_STR("{\"events\":[" GOOD "," GOOD2 "]}"), 1, MAX, SK_STR("ORR"),
                              SK_STR("u1"), NOW, *state, &r.events, &r.count, &r.diag);
        if (r.rc == SK_OK) {
            ok = 1;
            assert_int_equal(r.count, 2);
        } else {
            assert_true(r.rc == SK_ERR_TOO_LARGE || r.rc == SK_ERR_NOMEM);
            assert_null(r.events);
            assert_true(r.diag.msg[0] != '\0');
        }
    }
    sk_arena_fail_after(*state, 0);
    assert_true(ok);
}

#define T_(f) cmocka_unit_test_setup_teardown(f, setup_arena, teardown_arena)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_(test_single_valid),    T_(test_batch_valid),          T_(test_not_json),
        T_(test_single_pointers), T_(test_payload_pointers),     T_(test_batch_pointers),
        T_(test_event_too_long),  T_(test_no_value_in_messages), T_(test_arena_exhaustion),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
