/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_policy_render.c: unit tests for render.c, the JSON form of policy
 * rules and decisions that the HTTP API and the command line share. A small
 * policy is parsed from text, compiled, and its rules and a permit and a
 * deny are rendered; the output is parsed back with jansson and compared key
 * by key, so that a malformed document or a renamed key fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "safekeep/sk_policy.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

static const char policy_text[] = "agency ORR\n"
                                  "    kind: child_welfare\n"
                                  "    name: Office of Refugee Resettlement\n"
                                  "agency EOIR\n"
                                  "    kind: court\n"
                                  "    name: Executive Office for Immigration Review\n"
                                  "role case_manager\n"
                                  "    agency: ORR\n"
                                  "    actions: read\n"
                                  "    purposes: child_welfare\n"
                                  "    entities: child\n"
                                  "    fields: *\n"
                                  "agreement release-notice\n"
                                  "    version: 2\n"
                                  "    title: Release \"notice\" to the court\n"
                                  "    citation: Illustrative \\ arrangement\n"
                                  "    provider: ORR\n"
                                  "    recipients: EOIR\n"
                                  "    actions: read\n"
                                  "    purposes: court_proceedings\n"
                                  "    entities: child\n"
                                  "    fields: a_number, address\n"
                                  "    obligations: log, retention_limit\n"
                                  "    retention_days: 90\n"
                                  "    effective: 2020-01-01\n"
                                  "    expires: 2030-01-01\n"
                                  "    reason: so that hearing notices reach the child\n"
                                  "agreement release-notice\n"
                                  "    version: 1\n"
                                  "    title: Release notice to the court\n"
                                  "    citation: Illustrative arrangement\n"
                                  "    provider: ORR\n"
                                  "    recipients: EOIR\n"
                                  "    actions: read\n"
                                  "    purposes: court_proceedings\n"
                                  "    entities: child\n"
                                  "    fields: a_number\n"
                                  "    effective: 2019-01-01\n"
                                  "    expires: 2020-01-01\n"
                                  "    reason: so that hearing notices reach the child\n"
                                  "constraint no-foreign\n"
                                  "    version: 1\n"
                                  "    title: Nothing to a foreign government\n"
                                  "    citation: 8 CFR 208.6\n"
                                  "    reason: asylum records stay confidential\n"
                                  "    recipients: kind:foreign_government\n"
                                  "    fields: *\n"
                                  "    effective: 2003-03-01\n";

typedef struct fixture {
    sk_arena *arena;
    sk_policy *policy;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sk_policy_doc doc;
    sk_diag diag;

    assert_non_null(f);
    sk_diag_clear(&diag);
    assert_int_equal(sk_arena_new(64 * 1024, 4 * 1024 * 1024, &f->arena), SK_OK);
    if (sk_policy_parse((sk_str){policy_text, sizeof(policy_text) - 1}, "render.policy", f->arena,
                        &doc, &diag) != SK_OK)
        fail_msg("policy does not parse: %s: %s", diag.field, diag.msg);
    if (sk_policy_compile(&doc, 1, &f->policy, &diag) != SK_OK)
        fail_msg("policy does not compile: %s: %s", diag.field, diag.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    sk_policy_free(f->policy);
    sk_arena_free(f->arena);
    free(f);
    return 0;
}

static const sk_pol_rule *find_rule(const sk_policy *p, const char *id, unsigned version)
{
    size_t i;

    for (i = 0; i < sk_policy_rule_count(p); i++) {
        const sk_pol_rule *r = sk_policy_rule(p, i);
        if (strcmp(r->id, id) == 0 && r->version == version)
            return r;
    }
    fail_msg("no rule %s v%u", id, version);
    return NULL;
}

/* Renders a rule into a fresh buffer and parses the result as JSON. */
static json_t *render_rule(const sk_pol_rule *r)
{
    json_error_t err;
    json_t *j;
    sk_buf buf;

    sk_buf_init(&buf, 64 * 1024);
    assert_int_equal(sk_policy_rule_json(r, &buf), SK_OK);
    j = json_loadb(buf.ptr, buf.len, JSON_REJECT_DUPLICATES, &err);
    if (j == NULL)
        fail_msg("not JSON: %s: %s", err.text, buf.ptr);
    sk_buf_fini(&buf);
    return j;
}

static void assert_names(json_t *array, const char *joined)
{
    char got[512] = "";
    size_t i, n = 0;
    json_t *v;

    assert_true(json_is_array(array));
    json_array_foreach(array, i, v)
    {
        assert_true(json_is_string(v));
        n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s", i ? "," : "", json_string_value(v));
    }
    assert_string_equal(got, joined);
}

static void test_agreement_json(void **state)
{
    fixture *f = *state;
    json_t *j = render_rule(find_rule(f->policy, "release-notice", 2));

    assert_int_equal(json_object_size(j), 17);
    assert_string_equal(json_string_value(json_object_get(j, "id")), "release-notice");
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "agreement");
    assert_string_equal(json_string_value(json_object_get(j, "title")),
                        "Release \"notice\" to the court");
    assert_string_equal(json_string_value(json_object_get(j, "citation")),
                        "Illustrative \\ arrangement");
    assert_string_equal(json_string_value(json_object_get(j, "provider")), "ORR");
    assert_names(json_object_get(j, "recipients"), "EOIR");
    assert_names(json_object_get(j, "recipient_kinds"), "");
    assert_names(json_object_get(j, "actions"), "read");
    assert_names(json_object_get(j, "purposes"), "court_proceedings");
    assert_names(json_object_get(j, "entities"), "child");
    assert_names(json_object_get(j, "fields"), "a_number,address");
    assert_names(json_object_get(j, "obligations"), "retention_limit,log");
    assert_int_equal(json_integer_value(json_object_get(j, "retention_days")), 90);
    assert_string_equal(json_string_value(json_object_get(j, "effective")), "2020-01-01");
    assert_string_equal(json_string_value(json_object_get(j, "expires")), "2030-01-01");
    assert_string_equal(json_string_value(json_object_get(j, "reason")),
                        "so that hearing notices reach the child");
    json_decref(j);
}

static void test_constraint_json(void **state)
{
    fixture *f = *state;
    json_t *j = render_rule(find_rule(f->policy, "no-foreign", 1));

    assert_string_equal(json_string_value(json_object_get(j, "kind")), "constraint");
    assert_string_equal(json_string_value(json_object_get(j, "provider")), "*");
    assert_names(json_object_get(j, "recipients"), "");
    assert_names(json_object_get(j, "recipient_kinds"), "foreign_government");
    assert_names(json_object_get(j, "fields"), "*");
    assert_true(json_is_null(json_object_get(j, "expires")));
    json_decref(j);
}

static void test_in_force(void **state)
{
    fixture *f = *state;
    const sk_pol_rule *v1 = find_rule(f->policy, "release-notice", 1);
    int64_t d;

    assert_int_equal(sk_time_parse_date(SK_STR("2019-01-01"), &d), SK_OK);
    assert_true(sk_pol_rule_in_force(v1, d));
    assert_false(sk_pol_rule_in_force(v1, d - 1));
    assert_int_equal(sk_time_parse_date(SK_STR("2020-01-01"), &d), SK_OK);
    assert_false(sk_pol_rule_in_force(v1, d));
    assert_true(sk_pol_rule_in_force(v1, d - 1));
    assert_true(sk_pol_rule_in_force(find_rule(f->policy, "no-foreign", 1), INT64_MAX - 1));
}

static json_t *decide_json(const fixture *f, const char *agency, const char *role,
                           sk_purpose purpose)
{
    json_error_t err;
    sk_request req;
    sk_decision d;
    json_t *j;
    sk_buf buf;

    memset(&req, 0, sizeof(req));
    req.agency = sk_policy_agency(f->policy, sk_str_c(agency));
    req.role = sk_policy_role(f->policy, sk_str_c(role));
    req.action = SK_ACTION_READ;
    req.purpose = purpose;
    req.entity = SK_ENTITY_CHILD;
    req.fields = (uint64_t)1 << sk_policy_lookup(sk_policy_field_names, SK_STR("a_number"));
    req.record_agency = sk_policy_agency(f->policy, SK_STR("ORR"));
    assert_int_equal(sk_time_parse_date(SK_STR("2021-06-01"), &req.at), SK_OK);
    sk_policy_decide(f->policy, &req, &d);
    sk_buf_init(&buf, 64 * 1024);
    assert_int_equal(sk_decision_json(f->policy, &req, &d, &buf), SK_OK);
    j = json_loadb(buf.ptr, buf.len, JSON_REJECT_DUPLICATES, &err);
    if (j == NULL)
        fail_msg("not JSON: %s: %s", err.text, buf.ptr);
    sk_buf_fini(&buf);
    return j;
}

static void test_decision_json(void **state)
{
    fixture *f = *state;
    json_t *j = decide_json(f, "EOIR", "clerk", SK_PURPOSE_COURT_PROCEEDINGS);
    json_t *rule = json_object_get(j, "rule");

    assert_int_equal(json_object_size(j), 8);
    assert_string_equal(json_string_value(json_object_get(j, "decision")), "permit");
    assert_string_equal(json_string_value(json_object_get(rule, "kind")), "agreement");
    assert_string_equal(json_string_value(json_object_get(rule, "id")), "release-notice");
    assert_int_equal(json_integer_value(json_object_get(rule, "version")), 2);
    assert_string_equal(json_string_value(json_object_get(j, "record_agency")), "ORR");
    assert_names(json_object_get(j, "fields"), "a_number");
    assert_names(json_object_get(j, "withheld"), "");
    assert_names(json_object_get(j, "obligations"), "retention_limit,log");
    assert_int_equal(json_integer_value(json_object_get(j, "retention_days")), 90);
    assert_non_null(strstr(json_string_value(json_object_get(j, "reason")), "release-notice"));
    json_decref(j);

    j = decide_json(f, "EOIR", "clerk", SK_PURPOSE_RESEARCH);
    rule = json_object_get(j, "rule");
    assert_string_equal(json_string_value(json_object_get(j, "decision")), "deny");
    assert_string_equal(json_string_value(json_object_get(rule, "kind")), "default");
    assert_int_equal(json_object_size(rule), 1);
    assert_names(json_object_get(j, "fields"), "");
    assert_non_null(strstr(json_string_value(json_object_get(j, "reason")), "denied"));
    json_decref(j);
}

/* Output past the buffer's maximum is an operating error, never a crash. */
static void test_too_large(void **state)
{
    fixture *f = *state;
    const sk_pol_rule *r = find_rule(f->policy, "release-notice", 2);
    size_t max, len;
    sk_buf buf;

    sk_buf_init(&buf, 64 * 1024);
    assert_int_equal(sk_policy_rule_json(r, &buf), SK_OK);
    len = buf.len;
    sk_buf_fini(&buf);
    for (max = 1; max < len; max++) {
        sk_buf_init(&buf, max);
        assert_int_equal(sk_policy_rule_json(r, &buf), SK_ERR_TOO_LARGE);
        sk_buf_fini(&buf);
    }
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(sk_rule_kind_name(SK_RULE_DEFAULT), "default");
    assert_string_equal(sk_rule_kind_name(SK_RULE_CONSTRAINT), "constraint");
    assert_string_equal(sk_rule_kind_name(SK_RULE_ROLE), "role");
    assert_string_equal(sk_rule_kind_name(SK_RULE_AGREEMENT), "agreement");
    assert_string_equal(sk_rule_kind_name(SK_RULE_BREAK_GLASS), "break_glass");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agreement_json), cmocka_unit_test(test_constraint_json),
        cmocka_unit_test(test_in_force),       cmocka_unit_test(test_decision_json),
        cmocka_unit_test(test_too_large),      cmocka_unit_test(test_kind_names),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
