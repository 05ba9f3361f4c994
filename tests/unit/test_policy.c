/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_policy.c: unit tests for the policy engine (sk_policy_compile,
 * sk_policy_decide, sk_decision_reason, sk_policy_rescind) and, through the
 * shipped examples, the parser.
 *
 * Four layers, each catching what the one before cannot:
 *  1. Semantics on small documents built by hand in C (they are plain
 *     structs): every precedence rule of sk_policy.h, with exact decisions
 *     and exact reason texts.
 *  2. Properties over random policies and requests (a fixed-seed PRNG, so a
 *     failure replays): constraints win, nothing is permitted without a
 *     grant, fields never exceed what was asked and granted, and a decision
 *     at t depends only on the rules in force at t.
 *  3. Differential testing against naive_policy.h, an evaluator written to
 *     be obviously right rather than fast, on a million random requests.
 *  4. Known answers for every shipped example file
 *     (tests/vectors/policy_kat.txt), each agreement and constraint before,
 *     during and after it was in force; a failure names the vector's line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_util.h"
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_core.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_time.h"

#include "naive_policy.h"

/* Fewer random requests under AddressSanitizer, which is about 10x slower. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#define PROPERTY_REQUESTS     50000u
#define DIFFERENTIAL_REQUESTS 100000u
#else
#define PROPERTY_REQUESTS     200000u
#define DIFFERENTIAL_REQUESTS 1000000u
#endif

#define DAY          86400
#define NOON         43200
#define BUILD_CAP    128
#define REASON_BYTES 1024

/* ------------------------------------------------------------- helpers */

static int64_t day(const char *date)
{
    int64_t t = 0;

    assert_int_equal(sk_time_parse_date(sk_str_c(date), &t), SK_OK);
    return t;
}

static int64_t noon(const char *date)
{
    return day(date) + NOON;
}

static uint64_t all_bits(size_t count)
{
    return count >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << count) - 1;
}

static size_t table_len(const char *const *table)
{
    size_t n = 0;

    while (table[n] != NULL)
        n++;
    return n;
}

/* "a,b,c" of names in table to a mask; "*" is every name; "" or "-" none. */
static uint64_t mask(const char *const *table, const char *list)
{
    uint64_t m = 0;
    const char *p = list;
    int bit;

    if (strcmp(list, "*") == 0)
        return all_bits(table_len(table));
    if (strcmp(list, "-") == 0)
        return 0;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        bit = sk_policy_lookup(table, (sk_str){p, n});
        if (bit < 0)
            fail_msg("unknown name \"%.*s\" in \"%s\"", (int)n, p, list);
        m |= (uint64_t)1 << bit;
        p += n + (p[n] == ',');
    }
    return m;
}

static uint64_t F(const char *list)
{
    return mask(sk_policy_field_names, list);
}

static uint32_t M32(const char *const *table, const char *list)
{
    return (uint32_t)mask(table, list);
}

/* Names of a mask, comma-separated, for messages ("-" when empty). */
static const char *names_of(const char *const *table, uint64_t m, char *buf, size_t cap)
{
    size_t i, len = 0;

    buf[0] = '\0';
    for (i = 0; table[i] != NULL && i < 64; i++) {
        if ((m >> i) & 1u)
            len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", len ? "," : "",
                                    table[i]);
    }
    if ((m & ~all_bits(i)) != 0 && len < cap)
        snprintf(buf + len, cap - len, "%s(bits beyond the table)", len ? "," : "");
    if (buf[0] == '\0')
        snprintf(buf, cap, "-");
    return buf;
}

/* Names of a short mask, or the mask in hex when it names many fields. */
static const char *short_names(uint64_t m, char *buf, size_t cap)
{
    if (__builtin_popcountll(m) > 6) {
        snprintf(buf, cap, "0x%llx", (unsigned long long)m);
        return buf;
    }
    return names_of(sk_policy_field_names, m, buf, cap);
}

/* ------------------------------------------------- hand-built documents */

typedef struct builder {
    sk_policy_doc doc;
} builder;

static builder *builder_new(void)
{
    builder *b = calloc(1, sizeof(*b));

    assert_non_null(b);
    b->doc.agencies = calloc(SK_POLICY_AGENCIES_MAX, sizeof(sk_pol_agency));
    b->doc.roles = calloc(BUILD_CAP, sizeof(sk_pol_role));
    b->doc.rules = calloc(BUILD_CAP, sizeof(sk_pol_rule));
    assert_non_null(b->doc.agencies);
    assert_non_null(b->doc.roles);
    assert_non_null(b->doc.rules);
    return b;
}

static void builder_free(builder *b)
{
    if (b == NULL)
        return;
    free(b->doc.agencies);
    free(b->doc.roles);
    free(b->doc.rules);
    free(b);
}

static void b_agency(builder *b, const char *id, sk_agency_kind kind)
{
    sk_pol_agency *a;

    assert_true(b->doc.agency_count < SK_POLICY_AGENCIES_MAX);
    a = &b->doc.agencies[b->doc.agency_count++];
    memset(a, 0, sizeof(*a));
    snprintf(a->id, sizeof(a->id), "%s", id);
    snprintf(a->name, sizeof(a->name), "Agency %s", id);
    a->kind = kind;
}

static sk_pol_role *b_role(builder *b, const char *role, const char *agency, const char *actions,
                           const char *purposes, const char *entities, const char *fields)
{
    sk_pol_role *r;

    assert_true(b->doc.role_count < BUILD_CAP);
    r = &b->doc.roles[b->doc.role_count++];
    memset(r, 0, sizeof(*r));
    snprintf(r->role, sizeof(r->role), "%s", role);
    snprintf(r->agency, sizeof(r->agency), "%s", agency);
    r->actions = M32(sk_action_names, actions);
    r->purposes = M32(sk_purpose_names, purposes);
    r->entities = M32(sk_entity_names, entities);
    r->fields = F(fields);
    return r;
}

/* recipients: "ICE,CBP,kind:foreign_government" or "" for none. */
static void b_recipients(sk_pol_rule *r, const char *list)
{
    const char *p = list;

    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        if (n > 5 && strncmp(p, "kind:", 5) == 0) {
            int k = sk_policy_lookup(sk_agency_kind_names, (sk_str){p + 5, n - 5});
            assert_true(k >= 0);
            r->recipient_kinds |= 1u << k;
        } else {
            assert_true(r->recipient_count < SK_POLICY_AGENCIES_MAX);
            snprintf(r->recipient_ids[r->recipient_count++], SK_POLICY_ID_MAX, "%.*s", (int)n, p);
        }
        p += n + (p[n] == ',');
    }
}

static sk_pol_rule *b_rule(builder *b, int is_constraint, const char *id, unsigned version,
                           const char *provider, const char *recipients, const char *purposes,
                           const char *entities, const char *fields, const char *effective,
                           const char *expires)
{
    sk_pol_rule *r;

    assert_true(b->doc.rule_count < BUILD_CAP);
    r = &b->doc.rules[b->doc.rule_count++];
    memset(r, 0, sizeof(*r));
    r->is_constraint = is_constraint;
    snprintf(r->id, sizeof(r->id), "%s", id);
    r->version = version;
    snprintf(r->title, sizeof(r->title), "Title of %s", id);
    snprintf(r->citation, sizeof(r->citation), "Citation of %s v%u", id, version);
    snprintf(r->reason, sizeof(r->reason), "reason of %s", id);
    snprintf(r->provider, sizeof(r->provider), "%s", provider);
    b_recipients(r, recipients);
    r->actions = is_constraint ? M32(sk_action_names, "*") : M32(sk_action_names, "read");
    r->purposes = M32(sk_purpose_names, purposes);
    r->entities = M32(sk_entity_names, entities);
    /* In a constraint, fields 0 means every field (the parser's encoding). */
    r->fields = is_constraint && strcmp(fields, "*") == 0 ? 0 : F(fields);
    r->effective = day(effective);
    r->expires = expires != NULL ? day(expires) : INT64_MAX;
    return r;
}

static sk_pol_rule *b_agreement(builder *b, const char *id, unsigned version, const char *provider,
                                const char *recipients, const char *purposes, const char *entities,
                                const char *fields, const char *effective, const char *expires)
{
    return b_rule(b, 0, id, version, provider, recipients, purposes, entities, fields, effective,
                  expires);
}

static sk_pol_rule *b_constraint(builder *b, const char *id, const char *provider,
                                 const char *recipients, const char *purposes, const char *entities,
                                 const char *fields, const char *effective, const char *expires)
{
    return b_rule(b, 1, id, 1, provider, recipients, purposes, entities, fields, effective,
                  expires);
}

/* "record.released,not record.asylum" into when_set / when_clear. */
static void b_when(sk_pol_rule *r, const char *list)
{
    const char *p = list;

    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        int neg = n > 4 && strncmp(p, "not ", 4) == 0;
        int a = sk_policy_lookup(sk_attr_names, (sk_str){p + (neg ? 4 : 0), n - (neg ? 4 : 0)});
        assert_true(a >= 0);
        if (neg)
            r->when_clear |= 1u << a;
        else
            r->when_set |= 1u << a;
        p += n + (p[n] == ',');
    }
}

/*
 * The fixture: a small world in two documents (agencies in one, everything
 * else in the other, so that names resolve across documents).
 */
typedef struct fixture {
    builder *agencies;
    builder *rules;
    sk_policy_doc docs[2];
    sk_policy *policy;
} fixture;

static void fixture_agencies(builder *a)
{
    b_agency(a, "ORR", SK_KIND_CHILD_WELFARE);
    b_agency(a, "ICE", SK_KIND_ENFORCEMENT);
    b_agency(a, "CBP", SK_KIND_BORDER);
    b_agency(a, "EOIR", SK_KIND_COURT);
    b_agency(a, "GT", SK_KIND_FOREIGN_GOVERNMENT);
    b_agency(a, "OIG", SK_KIND_OVERSIGHT);
    b_agency(a, "KIND", SK_KIND_LEGAL_SERVICE);
    b_agency(a, "RAICES", SK_KIND_LEGAL_SERVICE);
}

static void fixture_roles(builder *b)
{
    b_role(b, "case_manager", "ORR", "read,write", "child_welfare,sponsor_vetting",
           "child,sponsor,placement", "*");
    b_role(b, "auditor", "*", "read", "oversight", "*", "*");
    b_role(b, "officer", "ICE", "read", "immigration_enforcement", "child", "given_name,a_number");
}

static void fixture_agreements(builder *b)
{
    sk_pol_rule *r;

    b_agreement(b, "moa", 1, "ORR", "ICE,CBP", "sponsor_vetting,immigration_enforcement", "sponsor",
                "given_name,family_name,a_number,address,immigration_status", "2018-05-13",
                "2021-03-11");
    b_agreement(b, "vet", 1, "ORR", "ICE", "sponsor_vetting", "sponsor",
                "given_name,family_name,immigration_status", "2021-03-11", NULL);
    r = b_agreement(b, "court", 1, "ORR", "EOIR", "court_proceedings", "child",
                    "given_name,address", "2019-01-01", NULL);
    b_when(r, "record.released");
    r->obligations = SK_OBL_LOG | SK_OBL_NO_ONWARD_SHARING;
    r = b_agreement(b, "counsel", 1, "ORR", "kind:legal_service", "legal_representation", "child",
                    "given_name,address,asylum_application", "2019-01-01", NULL);
    b_when(r, "requester.counsel_of_record");
    r->obligations = SK_OBL_RETENTION_LIMIT | SK_OBL_NOTIFY_PERSON;
    r->retention_days = 365;
    r = b_agreement(b, "counsel2", 1, "ORR", "KIND", "legal_representation", "child", "phone",
                    "2019-01-01", NULL);
    r->obligations = SK_OBL_RETENTION_LIMIT | SK_OBL_LOG;
    r->retention_days = 90;
    r = b_agreement(b, "oversight", 1, "*", "OIG", "oversight", "*", "*", "2003-03-01", NULL);
    r->actions = M32(sk_action_names, "read,export");
    r->obligations = SK_OBL_LOG;
    r = b_agreement(b, "nonasylum", 1, "ORR", "GT", "child_welfare", "child", "given_name",
                    "2010-01-01", NULL);
    b_when(r, "not record.asylum");
    b_agreement(b, "ver", 1, "ORR", "CBP", "child_welfare", "child", "given_name", "2019-01-01",
                "2020-01-01");
    b_agreement(b, "ver", 2, "ORR", "CBP", "child_welfare", "child", "family_name", "2020-01-01",
                NULL);
}

static void fixture_constraints(builder *b)
{
    sk_pol_rule *r;

    r = b_constraint(b, "rider", "ORR", "", "immigration_enforcement", "sponsor,household_member",
                     "*", "2019-02-15", NULL);
    r->unless_set = M32(sk_attr_names, "sponsor.qualifying_offence");
    r = b_constraint(b, "asylum-fg", "*", "kind:foreign_government", "*", "*", "*", "2003-03-01",
                     NULL);
    b_when(r, "record.asylum");
    b_constraint(b, "status", "ORR", "kind:enforcement,kind:border", "*", "sponsor",
                 "immigration_status", "2024-07-01", "2025-03-25");
}

static int fixture_setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sk_diag diag;

    assert_non_null(f);
    f->agencies = builder_new();
    f->rules = builder_new();
    fixture_agencies(f->agencies);
    fixture_roles(f->rules);
    fixture_agreements(f->rules);
    fixture_constraints(f->rules);
    f->docs[0] = f->agencies->doc;
    f->docs[1] = f->rules->doc;
    sk_diag_clear(&diag);
    if (sk_policy_compile(f->docs, 2, &f->policy, &diag) != SK_OK)
        fail_msg("fixture does not compile: %s: %s", diag.field, diag.msg);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    fixture *f = *state;

    sk_policy_free(f->policy);
    builder_free(f->agencies);
    builder_free(f->rules);
    free(f);
    return 0;
}

/* A request by names; role, record agency, attrs may be NULL / "-". */
static sk_request rq(const sk_policy *p, const char *agency, const char *role, const char *purpose,
                     const char *action, const char *entity, const char *record_agency,
                     const char *attrs, const char *fields, int64_t at)
{
    sk_request r;

    memset(&r, 0, sizeof(r));
    r.agency = agency != NULL ? sk_policy_agency(p, sk_str_c(agency)) : -1;
    r.role = role != NULL ? sk_policy_role(p, sk_str_c(role)) : -1;
    r.purpose = (sk_purpose)sk_policy_lookup(sk_purpose_names, sk_str_c(purpose));
    r.action = (sk_action)sk_policy_lookup(sk_action_names, sk_str_c(action));
    r.entity = (sk_entity)sk_policy_lookup(sk_entity_names, sk_str_c(entity));
    assert_true((int)r.purpose >= 0);
    assert_true((int)r.action >= 0);
    assert_true((int)r.entity >= 0);
    r.record_agency = record_agency != NULL ? sk_policy_agency(p, sk_str_c(record_agency)) : -1;
    r.attrs = attrs != NULL ? M32(sk_attr_names, attrs) : 0;
    r.fields = fields != NULL && strcmp(fields, "*") != 0 ? F(fields) : 0;
    r.at = at;
    return r;
}

static sk_decision decide(const sk_policy *p, const sk_request *r)
{
    sk_decision d;

    memset(&d, 0xA5, sizeof(d)); /* decide must set every member */
    sk_policy_decide(p, r, &d);
    return d;
}

static const char *reason(const sk_policy *p, const sk_request *r, const sk_decision *d)
{
    static char buf[REASON_BYTES];

    sk_decision_reason(p, r, d, buf, sizeof(buf));
    return buf;
}

/* Checks the decision's outcome: permit, kind, rule id ("-" for none),
 * version and disclosed fields ("-" for none). */
#define assert_decision(d, permit_, kind_, rule_, version_, fields_)                               \
    assert_decision_at(__FILE__, __LINE__, (d), (permit_), (kind_), (rule_), (version_), (fields_))

static void assert_decision_at(const char *file, int line, const sk_decision *d, int permit,
                               sk_rule_kind kind, const char *rule, unsigned version,
                               const char *fields)
{
    char got[1024], want[1024];

    if (d->permit != permit || d->kind != kind || (strcmp(rule, "-") == 0) != (d->rule == NULL) ||
        (d->rule != NULL && (strcmp(d->rule->id, rule) != 0 || d->rule->version != version)) ||
        d->fields != F(fields)) {
        print_error("# got %s kind %d rule %s v%u fields %s; wanted %s kind %d rule %s v%u "
                    "fields %s\n",
                    d->permit ? "permit" : "deny", (int)d->kind, d->rule ? d->rule->id : "-",
                    d->rule ? d->rule->version : 0, short_names(d->fields, got, sizeof(got)),
                    permit ? "permit" : "deny", (int)kind, rule, version,
                    short_names(F(fields), want, sizeof(want)));
        _fail(file, line);
    }
}

/* ------------------------------------------------------------ semantics */

static void test_default_deny_with_reason(void **state)
{
    fixture *f = *state;
    sk_request r = rq(f->policy, "ICE", NULL, "child_welfare", "read", "child", "ORR", NULL,
                      "given_name", noon("2019-06-01"));
    sk_decision d = decide(f->policy, &r);

    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    assert_int_equal(d.withheld, 0);
    assert_null(d.withheld_by);
    assert_int_equal(d.obligations, 0);
    assert_int_equal(d.retention_days, 0);
    assert_string_equal(reason(f->policy, &r, &d),
                        "denied: nothing in force on 2019-06-01 lets ICE read ORR's child "
                        "records for child_welfare");

    /* An unknown requester and an unknown recording agency. */
    r = rq(f->policy, NULL, NULL, "oversight", "read", "child", "ORR", NULL, "*",
           noon("2019-06-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    assert_string_equal(reason(f->policy, &r, &d),
                        "denied: nothing in force on 2019-06-01 lets (unknown) read ORR's child "
                        "records for oversight");
    r = rq(f->policy, "OIG", NULL, "oversight", "read", "child", NULL, NULL, "*",
           noon("2019-06-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");

    /* An empty policy denies everything. */
    {
        sk_policy *empty = NULL;
        assert_int_equal(sk_policy_compile(NULL, 0, &empty, NULL), SK_OK);
        assert_int_equal(sk_policy_agency_count(empty), 0);
        assert_int_equal(sk_policy_rule_count(empty), 0);
        r.agency = -1;
        r.record_agency = -1;
        d = decide(empty, &r);
        assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
        sk_policy_free(empty);
    }
}

static void test_role_own_agency(void **state)
{
    fixture *f = *state;
    sk_request r = rq(f->policy, "ORR", "case_manager", "child_welfare", "read", "child", "ORR",
                      NULL, "given_name,a_number", noon("2019-06-01"));
    sk_decision d = decide(f->policy, &r);

    assert_decision(&d, 1, SK_RULE_ROLE, "-", 0, "given_name,a_number");
    assert_int_equal(d.obligations, SK_OBL_LOG);
    assert_int_equal(d.withheld, 0);
    assert_string_equal(reason(f->policy, &r, &d), "permitted: the case_manager role may read "
                                                   "ORR's own records for child_welfare");
    /* Every field asked: the role's fields (all of them). */
    r.fields = 0;
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_ROLE, "-", 0, "*");
    /* Write is granted, export is not. */
    r.action = SK_ACTION_WRITE;
    d = decide(f->policy, &r);
    assert_true(d.permit);
    r.action = SK_ACTION_EXPORT;
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    /* A role never reaches another agency's records. */
    r = rq(f->policy, "ORR", "case_manager", "child_welfare", "read", "child", "ICE", NULL,
           "given_name", noon("2019-06-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    /* A role defined for ORR gives nothing to the same role name at ICE. */
    r = rq(f->policy, "ICE", "case_manager", "child_welfare", "read", "child", "ICE", NULL,
           "given_name", noon("2019-06-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    /* The role's field list masks the request; no overlap is a denial. */
    r = rq(f->policy, "ICE", "officer", "immigration_enforcement", "read", "child", "ICE", NULL,
           "given_name,dob", noon("2019-06-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_ROLE, "-", 0, "given_name");
    r.fields = F("dob");
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    r.fields = F("given_name");
    r.entity = SK_ENTITY_SPONSOR;
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    /* agency: * gives the role to every agency, for its own records. */
    r = rq(f->policy, "EOIR", "auditor", "oversight", "read", "hearing", "EOIR", NULL, "*",
           noon("2019-06-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_ROLE, "-", 0, "*");
    assert_string_equal(reason(f->policy, &r, &d),
                        "permitted: the auditor role may read EOIR's own records for oversight");
    /* No role (-1) at one's own agency: nothing. */
    r.role = -1;
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
}

static void test_agreement_field_mask(void **state)
{
    fixture *f = *state;
    sk_request r = rq(f->policy, "ICE", NULL, "sponsor_vetting", "read", "sponsor", "ORR", NULL,
                      "given_name,a_number,criminal_history", noon("2018-09-01"));
    sk_decision d = decide(f->policy, &r);

    /* requested ∩ agreement fields */
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "moa", 1, "given_name,a_number");
    assert_int_equal(d.withheld, 0);
    assert_null(d.withheld_by);
    assert_int_equal(d.obligations, 0);
    assert_string_equal(reason(f->policy, &r, &d), "permitted under moa v1 (Citation of moa v1)");
    /* Every field asked: exactly the agreement's fields. */
    r.fields = 0;
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "moa", 1,
                    "given_name,family_name,a_number,address,immigration_status");
    /* Only fields the agreement does not list: denied by default. */
    r.fields = F("criminal_history");
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    /* Other recipients, actions, entities, purposes. */
    r.fields = F("given_name");
    r.agency = sk_policy_agency(f->policy, SK_STR("CBP"));
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "moa", 1, "given_name");
    r.agency = sk_policy_agency(f->policy, SK_STR("EOIR"));
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    r.agency = sk_policy_agency(f->policy, SK_STR("ICE"));
    r.action = SK_ACTION_WRITE;
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    r.action = SK_ACTION_READ;
    r.entity = SK_ENTITY_CHILD;
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    r.entity = SK_ENTITY_SPONSOR;
    r.purpose = SK_PURPOSE_RESEARCH;
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    /* The direction matters: ICE's records to ORR are not covered. */
    r = rq(f->policy, "ORR", NULL, "sponsor_vetting", "read", "sponsor", "ICE", NULL, "given_name",
           noon("2018-09-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
}

static void test_agreements_add_up(void **state)
{
    fixture *f = *state;
    sk_request r = rq(f->policy, "KIND", NULL, "legal_representation", "read", "child", "ORR",
                      "requester.counsel_of_record", "*", noon("2020-01-01"));
    sk_decision d = decide(f->policy, &r);

    /* Two agreements cover: the first decides, fields and obligations add
     * up, the shortest retention wins. */
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "counsel", 1,
                    "given_name,address,asylum_application,phone");
    assert_int_equal(d.obligations, SK_OBL_RETENTION_LIMIT | SK_OBL_NOTIFY_PERSON | SK_OBL_LOG);
    assert_int_equal(d.retention_days, 90);
    /* Only the second covers when the requester is not counsel of record. */
    r.attrs = 0;
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "counsel2", 1, "phone");
    assert_int_equal(d.obligations, SK_OBL_RETENTION_LIMIT | SK_OBL_LOG);
    assert_int_equal(d.retention_days, 90);
    /* An agreement that covers but grants none of the wanted fields does not
     * decide: counsel alone, with its retention. */
    r.attrs = M32(sk_attr_names, "requester.counsel_of_record");
    r.fields = F("address");
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "counsel", 1, "address");
    assert_int_equal(d.obligations, SK_OBL_RETENTION_LIMIT | SK_OBL_NOTIFY_PERSON);
    assert_int_equal(d.retention_days, 365);
    /* kind:legal_service reaches RAICES, counsel2 (KIND only) does not. */
    r = rq(f->policy, "RAICES", NULL, "legal_representation", "read", "child", "ORR",
           "requester.counsel_of_record", "*", noon("2020-01-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "counsel", 1,
                    "given_name,address,asylum_application");
    assert_int_equal(d.retention_days, 365);
    /* provider: * covers every agency's records. */
    r = rq(f->policy, "OIG", NULL, "oversight", "export", "incident", "CBP", NULL,
           "given_name,incidents", noon("2020-01-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "oversight", 1, "given_name,incidents");
    assert_int_equal(d.obligations, SK_OBL_LOG);
}

static void test_constraint_field_mask(void **state)
{
    fixture *f = *state;
    sk_request r = rq(f->policy, "ICE", NULL, "sponsor_vetting", "read", "sponsor", "ORR", NULL,
                      "given_name,immigration_status", noon("2024-08-01"));
    sk_decision d = decide(f->policy, &r);

    assert_decision(&d, 1, SK_RULE_AGREEMENT, "vet", 1, "given_name");
    assert_int_equal(d.withheld, F("immigration_status"));
    assert_non_null(d.withheld_by);
    assert_string_equal(d.withheld_by->id, "status");
    assert_string_equal(reason(f->policy, &r, &d),
                        "permitted under vet v1 (Citation of vet v1); some fields withheld: "
                        "reason of status (Citation of status v1)");
    /* Every field asked: the agreement's fields less the withheld one. */
    r.fields = 0;
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "vet", 1, "given_name,family_name");
    assert_true((d.withheld & F("immigration_status")) != 0);
    /* Only the withheld field: the whole request is denied by the constraint. */
    r.fields = F("immigration_status");
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_CONSTRAINT, "status", 1, "-");
    assert_int_equal(d.withheld, F("immigration_status"));
    assert_string_equal(reason(f->policy, &r, &d),
                        "denied: reason of status (Citation of status v1, constraint status v1)");
    /* The constraint's interval: [2024-07-01, 2025-03-25). */
    r.fields = F("given_name,immigration_status");
    r.at = day("2024-07-01") - 1;
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "vet", 1, "given_name,immigration_status");
    assert_int_equal(d.withheld, 0);
    assert_null(d.withheld_by);
    r.at = day("2024-07-01");
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "vet", 1, "given_name");
    r.at = day("2025-03-25") - 1;
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "vet", 1, "given_name");
    r.at = day("2025-03-25");
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "vet", 1, "given_name,immigration_status");
    assert_string_equal(reason(f->policy, &r, &d), "permitted under vet v1 (Citation of vet v1)");
}

static void test_constraint_whole_denies(void **state)
{
    fixture *f = *state;
    sk_request r = rq(f->policy, "ICE", NULL, "immigration_enforcement", "read", "sponsor", "ORR",
                      NULL, "given_name,a_number", noon("2019-06-01"));
    sk_decision d = decide(f->policy, &r);

    /* The agreement permits, the constraint denies. */
    assert_decision(&d, 0, SK_RULE_CONSTRAINT, "rider", 1, "-");
    assert_int_equal(d.obligations, 0);
    assert_int_equal(d.withheld, F("given_name,a_number"));
    assert_string_equal(reason(f->policy, &r, &d),
                        "denied: reason of rider (Citation of rider v1, constraint rider v1)");
    r.at = noon("2018-09-01");
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "moa", 1, "given_name,a_number");
    r.at = day("2019-02-15") - 1;
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "moa", 1, "given_name,a_number");
    r.at = day("2019-02-15");
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_CONSTRAINT, "rider", 1, "-");
    /* The constraint names one purpose: vetting goes ahead. */
    r.purpose = SK_PURPOSE_SPONSOR_VETTING;
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "moa", 1, "given_name,a_number");
    /* Constraints come before roles: the rider answers ORR's own staff too. */
    r = rq(f->policy, "ORR", "case_manager", "immigration_enforcement", "read", "sponsor", "ORR",
           NULL, "given_name", noon("2019-06-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_CONSTRAINT, "rider", 1, "-");
    /* After the MOA expired, nothing permits: default deny is still the
     * rider (constraints come first). */
    r = rq(f->policy, "ICE", NULL, "immigration_enforcement", "read", "sponsor", "ORR", NULL,
           "given_name", noon("2022-01-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_CONSTRAINT, "rider", 1, "-");
}

static void test_constraint_unless(void **state)
{
    fixture *f = *state;
    sk_request r = rq(f->policy, "ICE", NULL, "immigration_enforcement", "read", "sponsor", "ORR",
                      "sponsor.qualifying_offence", "given_name,a_number", noon("2019-06-01"));
    sk_decision d = decide(f->policy, &r);

    assert_decision(&d, 1, SK_RULE_AGREEMENT, "moa", 1, "given_name,a_number");
    /* Other attributes do not lift it. */
    r.attrs = M32(sk_attr_names, "record.released,record.asylum");
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_CONSTRAINT, "rider", 1, "-");
    /* The exception lifts the constraint, not the absence of an agreement. */
    r.attrs = M32(sk_attr_names, "sponsor.qualifying_offence");
    r.at = noon("2022-01-01");
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
}

static void test_when_conditions(void **state)
{
    fixture *f = *state;
    sk_request r = rq(f->policy, "EOIR", NULL, "court_proceedings", "read", "child", "ORR",
                      "record.released", "given_name,address,dob", noon("2020-01-01"));
    sk_decision d = decide(f->policy, &r);

    assert_decision(&d, 1, SK_RULE_AGREEMENT, "court", 1, "given_name,address");
    assert_int_equal(d.obligations, SK_OBL_LOG | SK_OBL_NO_ONWARD_SHARING);
    assert_int_equal(d.retention_days, 0);
    r.attrs = M32(sk_attr_names, "record.in_care");
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    /* "not record.asylum" */
    r = rq(f->policy, "GT", NULL, "child_welfare", "read", "child", "ORR", "record.in_care",
           "given_name", noon("2020-01-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "nonasylum", 1, "given_name");
    r.attrs = M32(sk_attr_names, "record.in_care,record.asylum");
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_CONSTRAINT, "asylum-fg", 1, "-");
    assert_string_equal(
        reason(f->policy, &r, &d),
        "denied: reason of asylum-fg (Citation of asylum-fg v1, constraint asylum-fg v1)");
}

static void test_break_glass(void **state)
{
    fixture *f = *state;
    sk_request r = rq(f->policy, "ICE", NULL, "emergency", "read", "child", "ORR", NULL,
                      "given_name,dob", noon("2019-06-01"));
    sk_decision d = decide(f->policy, &r);

    assert_decision(&d, 1, SK_RULE_BREAK_GLASS, "-", 0, "given_name,dob");
    assert_int_equal(d.obligations, SK_OBL_LOG | SK_OBL_REVIEW);
    assert_string_equal(reason(f->policy, &r, &d),
                        "permitted by break-glass (emergency): flagged and queued for review");
    /* Even with no role and no agreement, and for one's own records. */
    r = rq(f->policy, "EOIR", NULL, "emergency", "export", "ombuds_record", "EOIR", NULL,
           "ombuds_complaint", noon("2019-06-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_BREAK_GLASS, "-", 0, "ombuds_complaint");
    /* A constraint still denies. */
    r = rq(f->policy, "GT", NULL, "emergency", "read", "child", "ORR", "record.asylum",
           "given_name", noon("2019-06-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_CONSTRAINT, "asylum-fg", 1, "-");
    assert_int_equal(d.obligations, 0);
    /* A field constraint still withholds its fields. */
    r = rq(f->policy, "ICE", NULL, "emergency", "read", "sponsor", "ORR", NULL,
           "given_name,immigration_status", noon("2024-08-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_BREAK_GLASS, "-", 0, "given_name");
    assert_int_equal(d.withheld, F("immigration_status"));
    assert_string_equal(reason(f->policy, &r, &d),
                        "permitted by break-glass (emergency): flagged and queued for review; "
                        "some fields withheld: reason of status (Citation of status v1)");
    /* An unknown requester gets nothing, even in an emergency. */
    r.agency = -1;
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
}

static void test_interval_bounds(void **state)
{
    fixture *f = *state;
    sk_request r = rq(f->policy, "CBP", NULL, "child_welfare", "read", "child", "ORR", NULL,
                      "given_name,family_name", day("2019-01-01") - 1);
    sk_decision d = decide(f->policy, &r);

    /* effective is inclusive, expires exclusive, to the second. */
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    r.at = day("2019-01-01");
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "ver", 1, "given_name");
    r.at = day("2020-01-01") - 1;
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "ver", 1, "given_name");
    /* The amendment takes over at the instant the first version expires. */
    r.at = day("2020-01-01");
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "ver", 2, "family_name");
    assert_string_equal(reason(f->policy, &r, &d), "permitted under ver v2 (Citation of ver v2)");
    r.at = noon("2030-01-01");
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "ver", 2, "family_name");
    /* The 2018 MOA: last second, first second after. */
    r = rq(f->policy, "ICE", NULL, "sponsor_vetting", "read", "sponsor", "ORR", NULL, "a_number",
           day("2021-03-11") - 1);
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "moa", 1, "a_number");
    r.at = day("2021-03-11");
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    r.at = day("2018-05-13") - 1;
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
}

static const sk_pol_rule *find_rule(const sk_policy *p, const char *id, unsigned version)
{
    size_t i;

    for (i = 0; i < sk_policy_rule_count(p); i++) {
        const sk_pol_rule *r = sk_policy_rule(p, i);
        if (strcmp(r->id, id) == 0 && r->version == version)
            return r;
    }
    return NULL;
}

static void test_rule_listing(void **state)
{
    fixture *f = *state;
    const sk_pol_rule *r;

    assert_int_equal(sk_policy_rule_count(f->policy), 12);
    assert_int_equal(sk_policy_agency_count(f->policy), 8);
    assert_string_equal(sk_policy_agency_at(f->policy, 0)->id, "ORR");
    assert_int_equal(sk_policy_agency_at(f->policy, 4)->kind, SK_KIND_FOREIGN_GOVERNMENT);
    assert_int_equal(sk_policy_agency(f->policy, SK_STR("EOIR")), 3);
    assert_int_equal(sk_policy_agency(f->policy, SK_STR("eoir")), -1);
    assert_true(sk_policy_role(f->policy, SK_STR("auditor")) >= 0);
    assert_int_equal(sk_policy_role(f->policy, SK_STR("nobody")), -1);
    r = find_rule(f->policy, "ver", 2);
    assert_non_null(r);
    assert_false(r->is_constraint);
    assert_int_equal(r->effective, day("2020-01-01"));
    assert_int_equal(r->expires, INT64_MAX);
    r = find_rule(f->policy, "status", 1);
    assert_non_null(r);
    assert_true(r->is_constraint);
    assert_int_equal(r->expires, day("2025-03-25"));
}

static void test_rescind(void **state)
{
    fixture *f = *state;
    sk_request r;
    sk_decision d;

    assert_int_equal(sk_policy_rescind(f->policy, SK_STR("moa"), day("2019-01-01")), SK_OK);
    assert_int_equal(find_rule(f->policy, "moa", 1)->expires, day("2019-01-01"));
    r = rq(f->policy, "ICE", NULL, "sponsor_vetting", "read", "sponsor", "ORR", NULL, "a_number",
           day("2019-01-01") - 1);
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "moa", 1, "a_number");
    r.at = day("2019-01-01");
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    /* A rescission never extends: a later date leaves the earlier end. */
    assert_int_equal(sk_policy_rescind(f->policy, SK_STR("moa"), day("2020-06-01")), SK_OK);
    assert_int_equal(find_rule(f->policy, "moa", 1)->expires, day("2019-01-01"));

    /* Versions that take effect on or after the day are untouched. */
    assert_int_equal(sk_policy_rescind(f->policy, SK_STR("ver"), day("2019-06-01")), SK_OK);
    assert_int_equal(find_rule(f->policy, "ver", 1)->expires, day("2019-06-01"));
    assert_int_equal(find_rule(f->policy, "ver", 2)->expires, INT64_MAX);
    r = rq(f->policy, "CBP", NULL, "child_welfare", "read", "child", "ORR", NULL,
           "given_name,family_name", noon("2019-07-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");
    r.at = noon("2020-02-01");
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "ver", 2, "family_name");
    /* Rescinding later ends v2 too; v1 keeps its earlier end. */
    assert_int_equal(sk_policy_rescind(f->policy, SK_STR("ver"), day("2021-01-01")), SK_OK);
    assert_int_equal(find_rule(f->policy, "ver", 1)->expires, day("2019-06-01"));
    assert_int_equal(find_rule(f->policy, "ver", 2)->expires, day("2021-01-01"));
    r.at = day("2021-01-01");
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-");

    /* Not found: unknown id, or no version taking effect before the day. */
    assert_int_equal(sk_policy_rescind(f->policy, SK_STR("nothing"), day("2021-01-01")),
                     SK_ERR_NOT_FOUND);
    assert_int_equal(sk_policy_rescind(f->policy, SK_STR("vet"), day("2021-03-11")),
                     SK_ERR_NOT_FOUND);
    assert_int_equal(find_rule(f->policy, "vet", 1)->expires, INT64_MAX);

    /* Constraints can be rescinded too. */
    assert_int_equal(sk_policy_rescind(f->policy, SK_STR("asylum-fg"), day("2020-01-01")), SK_OK);
    r = rq(f->policy, "GT", NULL, "child_welfare", "read", "child", "ORR", "record.asylum",
           "given_name", noon("2019-12-31"));
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_CONSTRAINT, "asylum-fg", 1, "-");
    r.at = noon("2020-01-01");
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_DEFAULT, "-", 0, "-"); /* nonasylum needs not asylum */
    r.attrs = 0;
    d = decide(f->policy, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "nonasylum", 1, "given_name");
}

/* Compiles two documents and returns the error, with diag. */
static sk_err compile2(builder *a, builder *b, sk_diag *diag)
{
    sk_policy_doc docs[2];
    sk_policy *p = (sk_policy *)&docs; /* any non-NULL value: must be reset */
    sk_err rc;

    docs[0] = a->doc;
    docs[1] = b->doc;
    sk_diag_clear(diag);
    rc = sk_policy_compile(docs, 2, &p, diag);
    if (rc != SK_OK) {
        assert_null(p);
    }
    sk_policy_free(p);
    return rc;
}

static void test_compile_errors(void **state)
{
    builder *a = builder_new(), *b = builder_new();
    sk_diag diag;
    sk_pol_rule *r;

    (void)state;
    fixture_agencies(a);
    /* Sanity: the fixture compiles. */
    fixture_roles(b);
    fixture_agreements(b);
    fixture_constraints(b);
    assert_int_equal(compile2(a, b, &diag), SK_OK);

    /* Unknown provider. */
    b->doc.rule_count = 0;
    b->doc.role_count = 0;
    b_agreement(b, "bad-provider", 1, "HHS", "ICE", "child_welfare", "child", "given_name",
                "2020-01-01", NULL);
    assert_int_equal(compile2(a, b, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "bad-provider");
    assert_string_equal(diag.msg, "provider HHS is not a defined agency");
    /* Unknown recipient, in an agreement and in a constraint. */
    b->doc.rule_count = 0;
    b_agreement(b, "bad-recipient", 1, "ORR", "ICE,DEA", "child_welfare", "child", "given_name",
                "2020-01-01", NULL);
    assert_int_equal(compile2(a, b, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "bad-recipient");
    assert_string_equal(diag.msg, "recipient DEA is not a defined agency");
    b->doc.rule_count = 0;
    b_constraint(b, "bad-c", "ORR", "FBI", "*", "*", "*", "2020-01-01", NULL);
    assert_int_equal(compile2(a, b, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.msg, "recipient FBI is not a defined agency");
    b->doc.rule_count = 0;
    b_constraint(b, "bad-c", "FBI", "", "*", "*", "*", "2020-01-01", NULL);
    assert_int_equal(compile2(a, b, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.msg, "provider FBI is not a defined agency");

    /* Duplicate id and version, within a document and across two. */
    b->doc.rule_count = 0;
    b_agreement(b, "dup", 1, "ORR", "ICE", "child_welfare", "child", "given_name", "2020-01-01",
                NULL);
    b_agreement(b, "dup", 2, "ORR", "ICE", "child_welfare", "child", "dob", "2021-01-01", NULL);
    assert_int_equal(compile2(a, b, &diag), SK_OK);
    b_agreement(b, "dup", 1, "ORR", "CBP", "child_welfare", "child", "dob", "2022-01-01", NULL);
    assert_int_equal(compile2(a, b, &diag), SK_ERR_CONFLICT);
    assert_string_equal(diag.field, "dup");
    assert_string_equal(diag.msg, "version 1 defined twice");
    b->doc.rule_count = 2;
    b_agreement(a, "dup", 2, "ORR", "CBP", "child_welfare", "child", "dob", "2022-01-01", NULL);
    assert_int_equal(compile2(a, b, &diag), SK_ERR_CONFLICT);
    assert_string_equal(diag.msg, "version 2 defined twice");
    a->doc.rule_count = 0;

    /* The same id as an agreement and as a constraint. */
    r = b_constraint(b, "dup", "ORR", "", "*", "*", "*", "2023-01-01", NULL);
    r->version = 3;
    assert_int_equal(compile2(a, b, &diag), SK_ERR_CONFLICT);
    assert_string_equal(diag.field, "dup");
    assert_string_equal(diag.msg, "used both for an agreement and a constraint");
    b->doc.rule_count = 0;

    /* A role for an unknown agency. */
    b_role(b, "clerk", "DOJ", "read", "*", "*", "*");
    assert_int_equal(compile2(a, b, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "clerk");
    assert_string_equal(diag.msg, "role names unknown agency DOJ");
    b->doc.role_count = 0;

    /* An agency defined in two documents. */
    b_agency(b, "ICE", SK_KIND_ENFORCEMENT);
    assert_int_equal(compile2(a, b, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "ICE");
    assert_string_equal(diag.msg, "agency defined twice");

    builder_free(a);
    builder_free(b);
}

/* The compiled tables have fixed maxima: more is refused, not truncated. */
static void test_compile_limits(void **state)
{
    builder *a = builder_new(), *b = builder_new();
    sk_policy_doc docs[2];
    sk_policy *p = NULL;
    sk_diag diag;
    char id[16];
    size_t i;

    (void)state;
    for (i = 0; i < SK_POLICY_AGENCIES_MAX; i++) {
        snprintf(id, sizeof(id), "A%zu", i);
        b_agency(a, id, SK_KIND_OTHER);
    }
    assert_int_equal(compile2(a, b, &diag), SK_OK);
    b_agency(b, "ONE-TOO-MANY", SK_KIND_OTHER);
    assert_int_equal(compile2(a, b, &diag), SK_ERR_TOO_LARGE);
    assert_string_equal(diag.msg, "more than 64 agencies");
    b->doc.agency_count = 0;

    /* SK_POLICY_RULES_MAX rules in all documents together. */
    free(b->doc.rules);
    b->doc.rules = calloc(SK_POLICY_RULES_MAX + 1, sizeof(sk_pol_rule));
    assert_non_null(b->doc.rules);
    for (i = 0; i < SK_POLICY_RULES_MAX; i++) {
        sk_pol_rule *r = &b->doc.rules[i];
        memset(r, 0, sizeof(*r));
        snprintf(r->id, sizeof(r->id), "r%zu", i);
        r->version = 1;
        snprintf(r->provider, sizeof(r->provider), "A%zu", i % SK_POLICY_AGENCIES_MAX);
        b_recipients(r, "A0");
        r->actions = r->purposes = r->entities = 1;
        r->fields = 1;
        r->expires = INT64_MAX;
    }
    b->doc.rule_count = SK_POLICY_RULES_MAX;
    docs[0] = a->doc;
    docs[1] = b->doc;
    assert_int_equal(sk_policy_compile(docs, 2, &p, NULL), SK_OK);
    assert_int_equal(sk_policy_rule_count(p), SK_POLICY_RULES_MAX);
    sk_policy_free(p);
    p = NULL;
    b->doc.rules[SK_POLICY_RULES_MAX] = b->doc.rules[0];
    snprintf(b->doc.rules[SK_POLICY_RULES_MAX].id, SK_POLICY_ID_MAX, "extra");
    b->doc.rule_count = SK_POLICY_RULES_MAX + 1;
    docs[1] = b->doc;
    assert_int_equal(sk_policy_compile(docs, 2, &p, NULL), SK_ERR_TOO_LARGE);
    assert_null(p);
    builder_free(a);
    builder_free(b);
}

/* The order of documents, and of agencies within them, changes no decision:
 * rules may name agencies defined in a later document. */
static void test_document_order(void **state)
{
    fixture *f = *state;
    sk_policy_doc swapped[2] = {f->docs[1], f->docs[0]};
    sk_policy *p = NULL;
    const char *dates[] = {"2018-09-01", "2019-06-01", "2020-01-01", "2024-08-01", "2026-01-01"};
    size_t i, ag, rec, pu, en;

    assert_int_equal(sk_policy_compile(swapped, 2, &p, NULL), SK_OK);
    for (i = 0; i < 5; i++) {
        for (ag = 0; ag < 8; ag++) {
            for (rec = 0; rec < 8; rec++) {
                for (pu = 0; pu < SK_PURPOSE__COUNT; pu++) {
                    for (en = 0; en < SK_ENTITY__COUNT; en++) {
                        const char *an = sk_policy_agency_at(f->policy, ag)->id;
                        const char *rn = sk_policy_agency_at(f->policy, rec)->id;
                        sk_request r1 =
                            rq(f->policy, an, "auditor", sk_purpose_names[pu], "read",
                               sk_entity_names[en], rn, "record.released", "*", noon(dates[i]));
                        sk_request r2 =
                            rq(p, an, "auditor", sk_purpose_names[pu], "read", sk_entity_names[en],
                               rn, "record.released", "*", noon(dates[i]));
                        sk_decision d1 = decide(f->policy, &r1), d2 = decide(p, &r2);
                        assert_int_equal(d1.permit, d2.permit);
                        assert_int_equal(d1.kind, d2.kind);
                        assert_true(d1.rule == d2.rule ||
                                    (d1.rule && d2.rule && strcmp(d1.rule->id, d2.rule->id) == 0 &&
                                     d1.rule->version == d2.rule->version));
                        assert_int_equal(d1.fields, d2.fields);
                    }
                }
            }
        }
    }
    sk_policy_free(p);
}

/*
 * Two role blocks with the same role name that both cover a request (one
 * for every agency, one for ORR) grant the union of their fields, whatever
 * order they were adopted in. Asking for more must never yield less: with
 * first-match semantics, asking for given_name alone is permitted while
 * asking for given_name and data_quality discloses data_quality only.
 */
static void test_role_blocks_add_up(void **state)
{
    builder *a = builder_new(), *b = builder_new();
    sk_policy_doc docs[2];
    sk_policy *p = NULL;
    sk_request r;
    sk_decision d;
    int order;

    (void)state;
    fixture_agencies(a);
    b_role(b, "administrator", "*", "read", "oversight", "*", "data_quality");
    b_role(b, "administrator", "ORR", "read", "oversight", "child", "given_name");
    for (order = 0; order < 2; order++) {
        if (order == 1) {
            sk_pol_role tmp = b->doc.roles[0];
            b->doc.roles[0] = b->doc.roles[1];
            b->doc.roles[1] = tmp;
        }
        docs[0] = a->doc;
        docs[1] = b->doc;
        assert_int_equal(sk_policy_compile(docs, 2, &p, NULL), SK_OK);
        r = rq(p, "ORR", "administrator", "oversight", "read", "child", "ORR", NULL, "given_name",
               noon("2020-01-01"));
        d = decide(p, &r);
        assert_decision(&d, 1, SK_RULE_ROLE, "-", 0, "given_name");
        r.fields = F("data_quality");
        d = decide(p, &r);
        assert_decision(&d, 1, SK_RULE_ROLE, "-", 0, "data_quality");
        r.fields = F("given_name,data_quality");
        d = decide(p, &r);
        assert_decision(&d, 1, SK_RULE_ROLE, "-", 0, "given_name,data_quality");
        /* Elsewhere only the "*" block applies. */
        r = rq(p, "ICE", "administrator", "oversight", "read", "child", "ICE", NULL,
               "given_name,data_quality", noon("2020-01-01"));
        d = decide(p, &r);
        assert_decision(&d, 1, SK_RULE_ROLE, "-", 0, "data_quality");
        sk_policy_free(p);
        p = NULL;
    }
    builder_free(a);
    builder_free(b);
}

/*
 * When one constraint withholds some fields and a later one the rest, the
 * request is denied and every requested field is reported withheld (not
 * only those the last constraint named).
 */
static void test_constraint_deny_reports_all_withheld(void **state)
{
    builder *a = builder_new(), *b = builder_new();
    sk_policy_doc docs[2];
    sk_policy *p = NULL;
    sk_request r;
    sk_decision d;

    (void)state;
    fixture_agencies(a);
    b_agreement(b, "share", 1, "ORR", "ICE", "*", "*", "*", "2020-01-01", NULL);
    b_constraint(b, "no-address", "ORR", "", "*", "*", "address", "2020-01-01", NULL);
    b_constraint(b, "no-phone", "ORR", "", "*", "*", "phone", "2020-01-01", NULL);
    docs[0] = a->doc;
    docs[1] = b->doc;
    assert_int_equal(sk_policy_compile(docs, 2, &p, NULL), SK_OK);
    r = rq(p, "ICE", NULL, "child_welfare", "read", "child", "ORR", NULL, "address,phone,dob",
           noon("2021-01-01"));
    d = decide(p, &r);
    assert_decision(&d, 1, SK_RULE_AGREEMENT, "share", 1, "dob");
    assert_int_equal(d.withheld, F("address,phone"));
    assert_string_equal(d.withheld_by->id, "no-phone");
    r.fields = F("address,phone");
    d = decide(p, &r);
    assert_decision(&d, 0, SK_RULE_CONSTRAINT, "no-phone", 1, "-");
    assert_int_equal(d.withheld, F("address,phone"));
    sk_policy_free(p);
    builder_free(a);
    builder_free(b);
}

/*
 * A request for "every field" (fields 0) is a request for every field the
 * vocabulary defines: what a decision discloses or withholds is a mask over
 * sk_policy_field_names, never bits that name no field (a caller counting or
 * listing the disclosed fields must get the defined ones).
 */
static void test_every_field_means_the_defined_fields(void **state)
{
    fixture *f = *state;
    uint64_t defined = all_bits(sk_policy_field_count());
    sk_request r = rq(f->policy, "ICE", NULL, "emergency", "read", "child", "ORR", NULL, "*",
                      noon("2020-01-01"));
    sk_decision d = decide(f->policy, &r);

    assert_decision(&d, 1, SK_RULE_BREAK_GLASS, "-", 0, "*");
    assert_int_equal(d.fields, defined);
    /* With a field constraint: every defined field but the withheld one. */
    r = rq(f->policy, "ICE", NULL, "emergency", "read", "sponsor", "ORR", NULL, "*",
           noon("2024-08-01"));
    d = decide(f->policy, &r);
    assert_true(d.permit);
    assert_int_equal(d.withheld, F("immigration_status"));
    assert_int_equal(d.fields, defined & ~F("immigration_status"));
    /* A whole-request denial withholds every defined field. */
    r = rq(f->policy, "GT", NULL, "child_welfare", "read", "child", "ORR", "record.asylum", "*",
           noon("2020-01-01"));
    d = decide(f->policy, &r);
    assert_decision(&d, 0, SK_RULE_CONSTRAINT, "asylum-fg", 1, "-");
    assert_int_equal(d.withheld, defined);
    /* Agreements and roles already answer with defined fields only. */
    r = rq(f->policy, "OIG", NULL, "oversight", "read", "child", "ICE", NULL, "*",
           noon("2020-01-01"));
    d = decide(f->policy, &r);
    assert_int_equal(d.fields, defined);
}

/* ------------------------------------------------------ random policies */

/* splitmix64: small, fast, and the same sequence on every machine. */
typedef struct rng {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *g)
{
    uint64_t z = (g->state += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned rng_below(rng *g, unsigned n)
{
    return (unsigned)(rng_next(g) % n);
}

static int rng_chance(rng *g, unsigned percent)
{
    return rng_below(g, 100) < percent;
}

/* Each of the first count bits set with the given chance. */
static uint64_t rng_bits(rng *g, unsigned count, unsigned percent)
{
    uint64_t m = 0;
    unsigned i;

    for (i = 0; i < count; i++) {
        if (rng_chance(g, percent))
            m |= (uint64_t)1 << i;
    }
    return m;
}

static uint64_t rng_nonempty(rng *g, unsigned count, unsigned percent)
{
    uint64_t m = rng_bits(g, count, percent);

    return m != 0 ? m : (uint64_t)1 << rng_below(g, count);
}

/* Random policies use few fields (overlaps are then common), dates on a
 * grid of day boundaries (so that requests hit the boundaries exactly), and
 * a handful of role names. */
#define GEN_FIELDS     10
#define GEN_GRID       11
#define GEN_ROLE_NAMES 5
#define GEN_DOCS_MAX   3
#define GEN_RULES_MAX  50
#define GEN_ROLES_MAX  10

typedef struct gen_policy {
    sk_policy_doc docs[GEN_DOCS_MAX];
    size_t doc_count;
    sk_pol_agency agencies[SK_POLICY_AGENCIES_MAX];
    size_t agency_count;
    sk_pol_role roles[GEN_ROLES_MAX];
    size_t role_count;
    sk_pol_rule rules[GEN_RULES_MAX];
    size_t rule_count;
} gen_policy;

static const char *const gen_role_names[GEN_ROLE_NAMES] = {"r0", "r1", "r2", "r3", "r4"};

static int64_t grid(unsigned k)
{
    /* 2018-01-01 and every 100 days after it. */
    return ((int64_t)17532 + (int64_t)k * 100) * DAY;
}

/* Copies an id (memcpy: source and destination are both inside one
 * gen_policy, which snprintf's restrict checks cannot tell apart). */
static void copy_id(char *dst, const char *src)
{
    size_t n = strlen(src);

    assert_true(n < SK_POLICY_ID_MAX);
    memcpy(dst, src, n + 1);
}

static const char *gen_agency_id(const gen_policy *g, rng *r)
{
    return g->agencies[rng_below(r, (unsigned)g->agency_count)].id;
}

static void gen_recipients(gen_policy *g, rng *r, sk_pol_rule *u)
{
    unsigned n = 1 + rng_below(r, 4), i;

    for (i = 0; i < n; i++)
        copy_id(u->recipient_ids[u->recipient_count++], gen_agency_id(g, r));
    if (rng_chance(r, 30))
        u->recipient_kinds = 1u << rng_below(r, SK_KIND__COUNT);
    if (rng_chance(r, 15))
        u->recipient_count = 0; /* kinds only (maybe none: nobody) */
}

/* A new id, or the next version of an earlier rule of the same kind. */
static void gen_identity(gen_policy *g, rng *r, sk_pol_rule *u)
{
    size_t i;

    if (g->rule_count > 0 && rng_chance(r, 20)) {
        const sk_pol_rule *o = &g->rules[rng_below(r, (unsigned)g->rule_count)];
        u->is_constraint = o->is_constraint;
        memcpy(u->id, o->id, sizeof(u->id));
        u->version = 1;
        for (i = 0; i < g->rule_count; i++) {
            if (strcmp(g->rules[i].id, o->id) == 0 && g->rules[i].version >= u->version)
                u->version = g->rules[i].version + 1;
        }
        return;
    }
    u->is_constraint = rng_chance(r, 35);
    snprintf(u->id, sizeof(u->id), "%c%zu", u->is_constraint ? 'c' : 'a', g->rule_count);
    u->version = 1;
}

static void gen_rule(gen_policy *g, rng *r, sk_pol_rule *u)
{
    unsigned k = rng_below(r, GEN_GRID - 2);

    char id[SK_POLICY_ID_MAX];

    memset(u, 0, sizeof(*u));
    gen_identity(g, r, u);
    copy_id(id, u->id);
    snprintf(u->title, sizeof(u->title), "title %s", id);
    snprintf(u->citation, sizeof(u->citation), "citation %s v%u", id, u->version);
    snprintf(u->reason, sizeof(u->reason), "reason %s", id);
    u->effective = grid(k);
    u->expires = rng_chance(r, 40) ? INT64_MAX : grid(k + 1 + rng_below(r, GEN_GRID - 1 - k));
    copy_id(u->provider, rng_chance(r, u->is_constraint ? 50 : 15) ? "*" : gen_agency_id(g, r));
    if (!u->is_constraint || rng_chance(r, 60))
        gen_recipients(g, r, u);
    if (u->is_constraint && rng_chance(r, 40)) {
        u->actions = (uint32_t)all_bits(SK_ACTION__COUNT);
        u->purposes = (uint32_t)all_bits(SK_PURPOSE__COUNT);
        u->entities = (uint32_t)all_bits(SK_ENTITY__COUNT);
    } else {
        u->actions = (uint32_t)rng_nonempty(r, SK_ACTION__COUNT, 60);
        u->purposes = (uint32_t)rng_nonempty(r, SK_PURPOSE__COUNT, 40);
        u->entities = (uint32_t)rng_nonempty(r, SK_ENTITY__COUNT, 40);
    }
    if (u->is_constraint)
        u->fields = rng_chance(r, 40) ? 0 : rng_nonempty(r, GEN_FIELDS, 25);
    else
        u->fields = rng_nonempty(r, GEN_FIELDS, 50);
    u->when_set = (uint32_t)rng_bits(r, SK_ATTR__COUNT, 8);
    u->when_clear = (uint32_t)rng_bits(r, SK_ATTR__COUNT, 5) & ~u->when_set;
    if (u->is_constraint) {
        u->unless_set = (uint32_t)rng_bits(r, SK_ATTR__COUNT, 10);
    } else {
        u->obligations = (uint32_t)rng_bits(r, 4, 30);
        if (rng_chance(r, 30)) {
            u->retention_days = 30 + rng_below(r, 400);
            u->obligations |= SK_OBL_RETENTION_LIMIT;
        } else {
            u->obligations &= ~(uint32_t)SK_OBL_RETENTION_LIMIT;
        }
    }
}

static void gen_role(gen_policy *g, rng *r, sk_pol_role *o)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->role, sizeof(o->role), "%s", gen_role_names[rng_below(r, GEN_ROLE_NAMES)]);
    copy_id(o->agency, rng_chance(r, 25) ? "*" : gen_agency_id(g, r));
    o->actions = (uint32_t)rng_nonempty(r, SK_ACTION__COUNT, 60);
    o->purposes = (uint32_t)rng_nonempty(r, SK_PURPOSE__COUNT, 40);
    o->entities = (uint32_t)rng_nonempty(r, SK_ENTITY__COUNT, 50);
    o->fields = rng_nonempty(r, GEN_FIELDS, 50);
}

/* Splits count items into doc_count contiguous runs; cuts[d] is where d begins. */
static void gen_cuts(rng *r, size_t count, size_t doc_count, size_t *cuts)
{
    size_t d;

    cuts[0] = 0;
    for (d = 1; d < doc_count; d++)
        cuts[d] = cuts[d - 1] +
                  (count > cuts[d - 1] ? rng_below(r, (unsigned)(count - cuts[d - 1] + 1)) : 0);
    cuts[doc_count] = count;
}

static void gen_policy_make(gen_policy *g, rng *r)
{
    size_t i, d, ac[GEN_DOCS_MAX + 1], oc[GEN_DOCS_MAX + 1], uc[GEN_DOCS_MAX + 1];

    memset(g->docs, 0, sizeof(g->docs));
    g->agency_count = 5 + rng_below(r, 16);
    for (i = 0; i < g->agency_count; i++) {
        sk_pol_agency *a = &g->agencies[i];
        memset(a, 0, sizeof(*a));
        snprintf(a->id, sizeof(a->id), "A%zu", i);
        snprintf(a->name, sizeof(a->name), "Agency %zu", i);
        a->kind = (sk_agency_kind)rng_below(r, SK_KIND__COUNT);
    }
    g->role_count = rng_below(r, GEN_ROLES_MAX + 1);
    for (i = 0; i < g->role_count; i++)
        gen_role(g, r, &g->roles[i]);
    g->rule_count = 0;
    {
        size_t n = 5 + rng_below(r, GEN_RULES_MAX - 4);
        while (g->rule_count < n) {
            gen_rule(g, r, &g->rules[g->rule_count]);
            g->rule_count++;
        }
    }
    g->doc_count = 1 + rng_below(r, GEN_DOCS_MAX);
    gen_cuts(r, g->agency_count, g->doc_count, ac);
    gen_cuts(r, g->role_count, g->doc_count, oc);
    gen_cuts(r, g->rule_count, g->doc_count, uc);
    for (d = 0; d < g->doc_count; d++) {
        g->docs[d].agencies = g->agencies + ac[d];
        g->docs[d].agency_count = ac[d + 1] - ac[d];
        g->docs[d].roles = g->roles + oc[d];
        g->docs[d].role_count = oc[d + 1] - oc[d];
        g->docs[d].rules = g->rules + uc[d];
        g->docs[d].rule_count = uc[d + 1] - uc[d];
    }
}

static sk_policy *gen_compile(const gen_policy *g)
{
    sk_policy *p = NULL;
    sk_diag diag;

    sk_diag_clear(&diag);
    if (sk_policy_compile(g->docs, g->doc_count, &p, &diag) != SK_OK)
        fail_msg("random policy does not compile: %s: %s", diag.field, diag.msg);
    return p;
}

/* A random set bit of mask (which must not be 0). */
static unsigned rng_bit_of(rng *r, uint64_t mask)
{
    unsigned bit;

    do {
        bit = rng_below(r, 64);
    } while (((mask >> bit) & 1u) == 0);
    return bit;
}

static int agency_index(const gen_policy *g, const char *id)
{
    size_t i;

    for (i = 0; i < g->agency_count; i++) {
        if (strcmp(g->agencies[i].id, id) == 0)
            return (int)i;
    }
    return -1;
}

/* Aims the request at an agreement or constraint: its recipient, provider,
 * scope and interval (uniform requests would almost never be permitted). */
static void aim_at_rule(const gen_policy *g, rng *r, const sk_pol_rule *u, sk_request *req)
{
    static const int64_t offsets[] = {0, 1, NOON, 7 * DAY};

    if (u->recipient_count > 0 && rng_chance(r, 80))
        req->agency = agency_index(g, u->recipient_ids[rng_below(r, u->recipient_count)]);
    if (strcmp(u->provider, "*") != 0)
        req->record_agency = agency_index(g, u->provider);
    req->action = (sk_action)rng_bit_of(r, u->actions);
    req->purpose = (sk_purpose)rng_bit_of(r, u->purposes);
    req->entity = (sk_entity)rng_bit_of(r, u->entities);
    req->attrs = (req->attrs | u->when_set) & ~u->when_clear;
    if (rng_chance(r, 50))
        req->attrs &= ~u->unless_set;
    req->at = u->effective + offsets[rng_below(r, 4)];
    if (u->expires != INT64_MAX && rng_chance(r, 25))
        req->at = u->expires - 1 + (int64_t)rng_below(r, 2);
}

static void aim_at_role(const gen_policy *g, rng *r, const sk_pol_role *o, sk_request *req,
                        naive_request *q)
{
    if (strcmp(o->agency, "*") != 0)
        req->agency = agency_index(g, o->agency);
    req->record_agency = req->agency;
    q->role = o->role;
    req->action = (sk_action)rng_bit_of(r, o->actions);
    req->purpose = (sk_purpose)rng_bit_of(r, o->purposes);
    req->entity = (sk_entity)rng_bit_of(r, o->entities);
}

/* A random request, both for the engine (indexes) and for the naive
 * evaluator (names): uniform, or aimed at one rule or role. */
static void gen_request(const gen_policy *g, const sk_policy *p, rng *r, sk_request *req,
                        naive_request *q)
{
    unsigned role = rng_below(r, GEN_ROLE_NAMES + 1);
    unsigned k = rng_below(r, GEN_GRID);
    unsigned aim = rng_below(r, 100);
    static const int64_t offsets[] = {-1, 0, 1, NOON};

    memset(req, 0, sizeof(*req));
    memset(q, 0, sizeof(*q));
    req->agency = rng_chance(r, 97) ? (int)rng_below(r, (unsigned)g->agency_count) : -1;
    if (rng_chance(r, 25))
        req->record_agency = req->agency;
    else if (rng_chance(r, 5))
        req->record_agency = -1;
    else
        req->record_agency = (int)rng_below(r, (unsigned)g->agency_count);
    q->role = role < GEN_ROLE_NAMES ? gen_role_names[role] : NULL;
    req->action = (sk_action)rng_below(r, SK_ACTION__COUNT);
    req->purpose = (sk_purpose)rng_below(r, SK_PURPOSE__COUNT);
    req->entity = (sk_entity)rng_below(r, SK_ENTITY__COUNT);
    req->fields = rng_chance(r, 15) ? 0 : rng_nonempty(r, GEN_FIELDS, 35);
    if (rng_chance(r, 3))
        req->fields |= (uint64_t)1 << 40; /* a field no rule names */
    req->attrs = (uint32_t)rng_bits(r, SK_ATTR__COUNT, 30);
    req->at = grid(k) + offsets[rng_below(r, 4)];
    if (rng_chance(r, 2))
        req->at = grid(0) - 1000 * DAY;
    if (aim < 45)
        aim_at_rule(g, r, &g->rules[rng_below(r, (unsigned)g->rule_count)], req);
    else if (aim < 65 && g->role_count > 0)
        aim_at_role(g, r, &g->roles[rng_below(r, (unsigned)g->role_count)], req, q);
    q->agency = req->agency >= 0 ? g->agencies[req->agency].id : NULL;
    q->record_agency = req->record_agency >= 0 ? g->agencies[req->record_agency].id : NULL;
    /* The compiled policy numbers agencies in document order, as generated. */
    assert_true(req->agency < 0 || sk_policy_agency(p, sk_str_c(q->agency)) == req->agency);
    req->role = q->role != NULL ? sk_policy_role(p, sk_str_c(q->role)) : -1;
    q->action = req->action;
    q->purpose = req->purpose;
    q->entity = req->entity;
    q->fields = req->fields;
    q->attrs = req->attrs;
    q->at = req->at;
}

static int same_rule(const sk_pol_rule *a, const sk_pol_rule *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a->id, b->id) == 0 && a->version == b->version;
}

static void describe(char *buf, size_t cap, const sk_decision *d)
{
    char f[512], w[512];

    snprintf(buf, cap, "%s kind %d rule %s v%u fields %s withheld %s by %s obl 0x%x ret %u",
             d->permit ? "permit" : "deny", (int)d->kind, d->rule ? d->rule->id : "-",
             d->rule ? d->rule->version : 0, short_names(d->fields, f, 512),
             short_names(d->withheld, w, 512), d->withheld_by ? d->withheld_by->id : "-",
             d->obligations, d->retention_days);
}

static void describe_request(char *buf, size_t cap, const naive_request *q)
{
    char f[512], a[256];

    snprintf(buf, cap, "%s role %s %s %s %s of %s attrs %s fields %s at %lld",
             q->agency ? q->agency : "(none)", q->role ? q->role : "-", sk_action_names[q->action],
             sk_purpose_names[q->purpose], sk_entity_names[q->entity],
             q->record_agency ? q->record_agency : "(none)",
             names_of(sk_attr_names, q->attrs, a, sizeof(a)),
             q->fields ? short_names(q->fields, f, sizeof(f)) : "*", (long long)q->at);
}

/* ----------------------------------------------------------- properties */

typedef struct grants {
    int any;           /* some role, agreement or break-glass grants */
    uint64_t fields;   /* what they grant, together */
    int whole_denial;  /* a constraint with fields * applies */
    uint64_t withheld; /* fields named by applicable field constraints */
} grants;

static grants grants_of(const gen_policy *g, const naive_request *q)
{
    grants out;
    size_t d, i;

    memset(&out, 0, sizeof(out));
    for (d = 0; d < g->doc_count; d++) {
        for (i = 0; i < g->docs[d].rule_count; i++) {
            const sk_pol_rule *u = &g->docs[d].rules[i];
            if (naive_constraint_applies(g->docs, g->doc_count, u, q)) {
                if (u->fields == 0)
                    out.whole_denial = 1;
                else
                    out.withheld |= u->fields;
            } else if (naive_agreement_covers(g->docs, g->doc_count, u, q)) {
                out.any = 1;
                out.fields |= u->fields;
            }
        }
        for (i = 0; i < g->docs[d].role_count; i++) {
            if (q->record_agency != NULL && q->agency != NULL &&
                strcmp(q->record_agency, q->agency) == 0 &&
                naive_role_covers(&g->docs[d].roles[i], q)) {
                out.any = 1;
                out.fields |= g->docs[d].roles[i].fields;
            }
        }
    }
    if (q->purpose == SK_PURPOSE_EMERGENCY && q->agency != NULL) {
        out.any = 1;
        out.fields = ~(uint64_t)0;
    }
    return out;
}

static void property_fail(const naive_request *q, const sk_decision *d, const char *what)
{
    char a[1024], b[1024];

    describe_request(a, sizeof(a), q);
    describe(b, sizeof(b), d);
    fail_msg("property %s violated: request %s; decision %s", what, a, b);
}

/* (a), (b), (c) for one decision. */
static void check_properties(const gen_policy *g, const naive_request *q, const sk_decision *d)
{
    grants gr = grants_of(g, q);
    uint64_t wanted = q->fields != 0 ? q->fields : ~(uint64_t)0;

    if (gr.whole_denial && (d->permit || d->kind != SK_RULE_CONSTRAINT))
        property_fail(q, d, "(a) a constraint with fields * denies");
    if (!d->permit) {
        if (d->fields != 0 || d->obligations != 0)
            property_fail(q, d, "a denial discloses nothing");
        if (d->kind == SK_RULE_CONSTRAINT &&
            (d->rule == NULL || !d->rule->is_constraint || !naive_in_force(d->rule, q->at)))
            property_fail(q, d, "a denying constraint is in force");
        return;
    }
    if (!gr.any)
        property_fail(q, d, "(b) no permit without a role, an agreement or break-glass");
    if (d->kind == SK_RULE_BREAK_GLASS && q->purpose != SK_PURPOSE_EMERGENCY)
        property_fail(q, d, "(b) break-glass only for emergencies");
    if (d->kind == SK_RULE_ROLE && strcmp(q->agency, q->record_agency) != 0)
        property_fail(q, d, "(b) roles only on the agency's own records");
    if (d->kind == SK_RULE_AGREEMENT &&
        (d->rule == NULL || !naive_agreement_covers(g->docs, g->doc_count, d->rule, q)))
        property_fail(q, d, "(b) the permitting agreement is in force and covers the request");
    if (d->fields == 0)
        property_fail(q, d, "a permit discloses some field");
    if ((d->fields & ~wanted) != 0)
        property_fail(q, d, "(c) fields within those requested");
    if ((d->fields & ~gr.fields) != 0)
        property_fail(q, d, "(c) fields within those granted");
    if ((d->fields & gr.withheld) != 0)
        property_fail(q, d, "(c) no field withheld by an applicable constraint");
}

/* The same documents keeping only the rules in force at t. */
static void keep_in_force(const gen_policy *g, int64_t t, gen_policy *out)
{
    size_t d, i;

    memset(out->docs, 0, sizeof(out->docs));
    out->doc_count = g->doc_count;
    out->rule_count = 0;
    for (d = 0; d < g->doc_count; d++) {
        out->docs[d] = g->docs[d];
        out->docs[d].rules = out->rules + out->rule_count;
        out->docs[d].rule_count = 0;
        for (i = 0; i < g->docs[d].rule_count; i++) {
            if (naive_in_force(&g->docs[d].rules[i], t)) {
                out->rules[out->rule_count++] = g->docs[d].rules[i];
                out->docs[d].rule_count++;
            }
        }
    }
}

static int same_decision(const sk_decision *a, const sk_decision *b)
{
    return a->permit == b->permit && a->kind == b->kind && same_rule(a->rule, b->rule) &&
           a->fields == b->fields && a->obligations == b->obligations &&
           a->retention_days == b->retention_days &&
           (!a->permit ||
            (a->withheld == b->withheld && same_rule(a->withheld_by, b->withheld_by)));
}

static void test_properties(void **state)
{
    gen_policy *g = calloc(1, sizeof(*g)), *h = calloc(1, sizeof(*h));
    rng r = {0x5AFE4EE9ull};
    unsigned done = 0, per_policy = 250, kinds[5] = {0}, i, j;

    (void)state;
    assert_non_null(g);
    assert_non_null(h);
    while (done < PROPERTY_REQUESTS) {
        sk_policy *p, *pt;
        int64_t t;
        gen_policy_make(g, &r);
        p = gen_compile(g);
        /* (a)-(c) at random dates. */
        for (i = 0; i < per_policy; i++, done++) {
            sk_request req;
            naive_request q;
            sk_decision d;
            gen_request(g, p, &r, &req, &q);
            sk_policy_decide(p, &req, &d);
            kinds[d.kind]++;
            check_properties(g, &q, &d);
        }
        /* (d) at one date: without the rules not in force then, the same. */
        t = grid(rng_below(&r, GEN_GRID)) + (int64_t)rng_below(&r, 3) - 1;
        keep_in_force(g, t, h);
        pt = gen_compile(h);
        for (j = 0; j < per_policy; j++, done++) {
            sk_request req;
            naive_request q;
            sk_decision d1, d2;
            gen_request(g, p, &r, &req, &q);
            req.at = t;
            q.at = t;
            sk_policy_decide(p, &req, &d1);
            sk_policy_decide(pt, &req, &d2);
            if (!same_decision(&d1, &d2)) {
                char a[1024], b[1024], c[1024];
                describe_request(a, sizeof(a), &q);
                describe(b, sizeof(b), &d1);
                describe(c, sizeof(c), &d2);
                fail_msg("property (d) violated: %s: with every rule %s, without those not in "
                         "force %s",
                         a, b, c);
            }
        }
        sk_policy_free(pt);
        sk_policy_free(p);
    }
    print_message("# properties: %u requests; default %u, constraint %u, role %u, agreement %u, "
                  "break-glass %u\n",
                  done / 2, kinds[0], kinds[1], kinds[2], kinds[3], kinds[4]);
    /* The generator must exercise every path, or the properties say little. */
    for (i = 0; i < 5; i++)
        assert_true(kinds[i] > done / 2 / 50);
    free(g);
    free(h);
}

/* --------------------------------------------------------- differential */

#define MISMATCHES_SHOWN 5

/* Whether two decisions differ only in field bits that name no field. */
static int undefined_bits_only(const sk_decision *a, const sk_decision *b)
{
    sk_decision x = *a, y = *b;
    uint64_t defined = all_bits(sk_policy_field_count());

    x.fields &= defined;
    y.fields &= defined;
    x.withheld &= defined;
    y.withheld &= defined;
    return same_decision(&x, &y);
}

static void test_differential(void **state)
{
    gen_policy *g = calloc(1, sizeof(*g));
    rng r = {0xD1FFull};
    unsigned done = 0, mismatches = 0, role_fields = 0, undefined_bits = 0, per_policy = 500;
    unsigned kinds[5] = {0}, i;
    char shown[MISMATCHES_SHOWN][2048];

    (void)state;
    assert_non_null(g);
    while (done < DIFFERENTIAL_REQUESTS) {
        sk_policy *p;
        gen_policy_make(g, &r);
        p = gen_compile(g);
        for (i = 0; i < per_policy; i++, done++) {
            sk_request req;
            naive_request q;
            sk_decision d, n;
            gen_request(g, p, &r, &req, &q);
            sk_policy_decide(p, &req, &d);
            naive_decide(g->docs, g->doc_count, &q, &n);
            kinds[d.kind]++;
            if (same_decision(&d, &n))
                continue;
            if (d.permit && n.permit && d.kind == SK_RULE_ROLE && n.kind == SK_RULE_ROLE)
                role_fields++;
            if (undefined_bits_only(&d, &n))
                undefined_bits++;
            if (mismatches < MISMATCHES_SHOWN) {
                char a[600], b[600], c[600];
                describe_request(a, sizeof(a), &q);
                describe(b, sizeof(b), &d);
                describe(c, sizeof(c), &n);
                snprintf(shown[mismatches], sizeof(shown[0]),
                         "request %s (policy %u)\n#   engine: %s\n#   naive:  %s", a,
                         done / per_policy, b, c);
            }
            mismatches++;
        }
        sk_policy_free(p);
    }
    print_message("# differential: %u requests; default %u, constraint %u, role %u, agreement %u, "
                  "break-glass %u\n",
                  done, kinds[0], kinds[1], kinds[2], kinds[3], kinds[4]);
    print_message("# %u disagreements: %u role permits whose fields differ (several role blocks "
                  "cover the request), %u that differ only in bits beyond the defined fields, "
                  "%u others\n",
                  mismatches, role_fields, undefined_bits,
                  mismatches - role_fields - undefined_bits);
    for (i = 0; i < mismatches && i < MISMATCHES_SHOWN; i++)
        print_message("# %s\n", shown[i]);
    for (i = 0; i < 5; i++)
        assert_true(kinds[i] > done / 50);
    free(g);
    assert_int_equal(mismatches, 0);
}

/* ------------------------------------------------------- known answers */

#define EXAMPLES_MAX   64
#define FILE_BYTES_MAX (1024 * 1024)
#define KAT_TOKENS_MAX 24
#define KAT_SHOWN_MAX  40

static void source_root(char *buf, size_t cap)
{
    sk_test_source_root(buf, cap);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf;

    if (fp == NULL)
        fail_msg("cannot open %s", path);
    buf = malloc(FILE_BYTES_MAX + 1);
    assert_non_null(buf);
    *len = fread(buf, 1, FILE_BYTES_MAX, fp);
    assert_false(ferror(fp));
    fclose(fp);
    buf[*len] = '\0';
    return buf;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct examples {
    sk_arena *arena;
    sk_policy_doc docs[EXAMPLES_MAX];
    char *names[EXAMPLES_MAX];
    size_t count;
    sk_policy *policy;
} examples;

/* Parses every examples/NAME.policy (sorted by name) and compiles them together. */
static void examples_load(examples *ex)
{
    char root[PATH_MAX], dir[PATH_MAX + 16], path[2 * PATH_MAX];
    struct dirent *e;
    DIR *dp;
    size_t i;
    sk_diag diag;

    memset(ex, 0, sizeof(*ex));
    source_root(root, sizeof(root));
    snprintf(dir, sizeof(dir), "%s/examples", root);
    dp = opendir(dir);
    if (dp == NULL)
        fail_msg("cannot open %s", dir);
    for (e = readdir(dp); e != NULL; e = readdir(dp)) {
        size_t n = strlen(e->d_name);
        if (n > 7 && strcmp(e->d_name + n - 7, ".policy") == 0) {
            assert_true(ex->count < EXAMPLES_MAX);
            ex->names[ex->count] = strdup(e->d_name);
            assert_non_null(ex->names[ex->count]);
            ex->count++;
        }
    }
    closedir(dp);
    assert_true(ex->count > 0);
    qsort(ex->names, ex->count, sizeof(ex->names[0]), by_name);
    assert_int_equal(sk_arena_new(256 * 1024, 64 * 1024 * 1024, &ex->arena), SK_OK);
    for (i = 0; i < ex->count; i++) {
        size_t len;
        char *text;
        snprintf(path, sizeof(path), "%s/%s", dir, ex->names[i]);
        text = read_file(path, &len);
        sk_diag_clear(&diag);
        if (sk_policy_parse((sk_str){text, len}, ex->names[i], ex->arena, &ex->docs[i], &diag) !=
            SK_OK)
            fail_msg("%s:%llu: %s: %s", diag.where, (unsigned long long)diag.line, diag.field,
                     diag.msg);
        free(text);
    }
    sk_diag_clear(&diag);
    if (sk_policy_compile(ex->docs, ex->count, &ex->policy, &diag) != SK_OK)
        fail_msg("examples do not compile together: %s: %s", diag.field, diag.msg);
}

static void examples_free(examples *ex)
{
    size_t i;

    sk_policy_free(ex->policy);
    sk_arena_free(ex->arena);
    for (i = 0; i < ex->count; i++)
        free(ex->names[i]);
}

static size_t split(char *line, char **tok, size_t max)
{
    size_t n = 0;
    char *p = line;

    while (*p != '\0' && n < max) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        tok[n++] = p;
        while (*p != '\0' && *p != ' ' && *p != '\t')
            p++;
        if (*p != '\0')
            *p++ = '\0';
    }
    return n;
}

static const char *const kind_names[] = {"default",   "constraint",  "role",
                                         "agreement", "break_glass", NULL};

/* A KAT time: a date is judged at noon UTC (as `safekeep policy check --at`
 * does), an RFC 3339 timestamp exactly. */
static int kat_time(const char *text, int64_t *at)
{
    if (strlen(text) == SK_DATE_LEN) {
        if (sk_time_parse_date(sk_str_c(text), at) != SK_OK)
            return -1;
        *at += NOON;
        return 0;
    }
    return sk_time_parse_rfc3339(sk_str_c(text), at) == SK_OK ? 0 : -1;
}

/* A comma list of names in table to a mask; "-" is none, "*" is 0 (every
 * field, for requests). Returns -1 on an unknown name. */
static int kat_mask(const char *const *table, const char *list, uint64_t *out)
{
    const char *p = list;
    int bit;

    *out = 0;
    if (strcmp(list, "-") == 0 || strcmp(list, "*") == 0)
        return 0;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        bit = sk_policy_lookup(table, (sk_str){p, n});
        if (bit < 0)
            return -1;
        *out |= (uint64_t)1 << bit;
        p += n + (p[n] == ',');
    }
    return 0;
}

typedef struct kat_case {
    sk_request req;
    int permit;
    int kind;
    const char *rule;
    unsigned version;
    uint64_t fields;
    int has_withheld, has_withheld_by, has_obligations, has_retention;
    uint64_t withheld;
    const char *withheld_by;
    uint64_t obligations;
    unsigned retention_days;
} kat_case;

/* Parses one vector line; returns an error text or NULL. */
static const char *kat_parse(const sk_policy *p, char **tok, size_t n, kat_case *c)
{
    int v;
    size_t i;

    memset(c, 0, sizeof(*c));
    if (n < 15 || strcmp(tok[9], "=>") != 0)
        return "expected 9 request tokens, =>, and 5 expected tokens";
    c->req.agency = sk_policy_agency(p, sk_str_c(tok[0]));
    if (c->req.agency < 0)
        return "unknown requesting agency";
    c->req.role = strcmp(tok[1], "-") == 0 ? -1 : sk_policy_role(p, sk_str_c(tok[1]));
    if (strcmp(tok[1], "-") != 0 && c->req.role < 0)
        return "unknown role";
    v = sk_policy_lookup(sk_purpose_names, sk_str_c(tok[2]));
    if (v < 0)
        return "unknown purpose";
    c->req.purpose = (sk_purpose)v;
    v = sk_policy_lookup(sk_action_names, sk_str_c(tok[3]));
    if (v < 0)
        return "unknown action";
    c->req.action = (sk_action)v;
    v = sk_policy_lookup(sk_entity_names, sk_str_c(tok[4]));
    if (v < 0)
        return "unknown entity";
    c->req.entity = (sk_entity)v;
    c->req.record_agency = strcmp(tok[5], "-") == 0 ? -1 : sk_policy_agency(p, sk_str_c(tok[5]));
    if (strcmp(tok[5], "-") != 0 && c->req.record_agency < 0)
        return "unknown record agency";
    {
        uint64_t attrs;
        if (kat_mask(sk_attr_names, tok[6], &attrs) != 0)
            return "unknown attribute";
        c->req.attrs = (uint32_t)attrs;
    }
    if (kat_mask(sk_policy_field_names, tok[7], &c->req.fields) != 0)
        return "unknown requested field";
    if (kat_time(tok[8], &c->req.at) != 0)
        return "bad date";
    if (strcmp(tok[10], "permit") != 0 && strcmp(tok[10], "deny") != 0)
        return "expected permit or deny";
    c->permit = strcmp(tok[10], "permit") == 0;
    c->kind = sk_policy_lookup(kind_names, sk_str_c(tok[11]));
    if (c->kind < 0)
        return "unknown decision kind";
    c->rule = tok[12];
    c->version = (unsigned)strtoul(tok[13], NULL, 10);
    if (kat_mask(sk_policy_field_names, tok[14], &c->fields) != 0)
        return "unknown expected field";
    for (i = 15; i < n; i++) {
        uint64_t m;
        if (strncmp(tok[i], "withheld=", 9) == 0) {
            c->has_withheld = 1;
            if (kat_mask(sk_policy_field_names, tok[i] + 9, &c->withheld) != 0)
                return "unknown withheld field";
        } else if (strncmp(tok[i], "withheld_by=", 12) == 0) {
            c->has_withheld_by = 1;
            c->withheld_by = tok[i] + 12;
        } else if (strncmp(tok[i], "obligations=", 12) == 0) {
            c->has_obligations = 1;
            if (kat_mask(sk_obligation_names, tok[i] + 12, &m) != 0)
                return "unknown obligation";
            c->obligations = m;
        } else if (strncmp(tok[i], "retention=", 10) == 0) {
            c->has_retention = 1;
            c->retention_days = (unsigned)strtoul(tok[i] + 10, NULL, 10);
        } else {
            return "unknown trailing key (withheld=, withheld_by=, obligations=, retention=)";
        }
    }
    return NULL;
}

/* Compares; writes what differs into buf and returns 0 when it does. */
static int kat_check(const kat_case *c, const sk_decision *d, char *buf, size_t cap)
{
    char got[1024], want[1024];
    const char *rule = d->rule ? d->rule->id : "-";
    unsigned version = d->rule ? d->rule->version : 0;
    const char *by = d->withheld_by ? d->withheld_by->id : "-";

    if (d->permit != c->permit || (int)d->kind != c->kind || strcmp(rule, c->rule) != 0 ||
        version != c->version || d->fields != c->fields) {
        snprintf(buf, cap, "got %s %s %s %u %s; wanted %s %s %s %u %s",
                 d->permit ? "permit" : "deny", kind_names[d->kind], rule, version,
                 short_names(d->fields, got, sizeof(got)), c->permit ? "permit" : "deny",
                 kind_names[c->kind], c->rule, c->version,
                 short_names(c->fields, want, sizeof(want)));
        return 0;
    }
    if (c->has_withheld && d->withheld != c->withheld) {
        snprintf(buf, cap, "withheld %s, wanted %s", short_names(d->withheld, got, sizeof(got)),
                 short_names(c->withheld, want, sizeof(want)));
        return 0;
    }
    if (c->has_withheld_by && strcmp(by, c->withheld_by) != 0) {
        snprintf(buf, cap, "withheld_by %s, wanted %s", by, c->withheld_by);
        return 0;
    }
    if (c->has_obligations && d->obligations != c->obligations) {
        snprintf(buf, cap, "obligations %s, wanted %s",
                 names_of(sk_obligation_names, d->obligations, got, sizeof(got)),
                 names_of(sk_obligation_names, c->obligations, want, sizeof(want)));
        return 0;
    }
    if (c->has_retention && d->retention_days != c->retention_days) {
        snprintf(buf, cap, "retention %u, wanted %u", d->retention_days, c->retention_days);
        return 0;
    }
    return 1;
}

/* Whether a rule id appears in the vectors as the expected rule or as
 * withheld_by (each example rule must be covered). */
static int kat_names(const char *text, const char *id)
{
    char needle[SK_POLICY_ID_MAX + 16];
    size_t n = strlen(id);
    const char *p;

    snprintf(needle, sizeof(needle), "withheld_by=%s", id);
    if (strstr(text, needle) != NULL)
        return 1;
    for (p = strstr(text, id); p != NULL; p = strstr(p + 1, id)) {
        if (p > text && (p[-1] == ' ' || p[-1] == '\t') && (p[n] == ' ' || p[n] == '\t'))
            return 1;
    }
    return 0;
}

static void test_known_answers(void **state)
{
    char root[PATH_MAX], path[PATH_MAX + 64], *text, *copy, *line, *next;
    unsigned lineno = 0, cases = 0, failures = 0;
    examples ex;
    size_t len, i;

    (void)state;
    examples_load(&ex);
    source_root(root, sizeof(root));
    snprintf(path, sizeof(path), "%s/tests/vectors/policy_kat.txt", root);
    text = read_file(path, &len);
    copy = strdup(text);
    assert_non_null(copy);
    for (line = copy; line != NULL; line = next) {
        char *tok[KAT_TOKENS_MAX], *hash, msg[2048];
        const char *err;
        kat_case c;
        sk_decision d;
        size_t n;
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        n = split(line, tok, KAT_TOKENS_MAX);
        if (n == 0)
            continue;
        cases++;
        err = kat_parse(ex.policy, tok, n, &c);
        if (err == NULL) {
            sk_policy_decide(ex.policy, &c.req, &d);
            if (kat_check(&c, &d, msg, sizeof(msg)))
                continue;
            err = msg;
        }
        if (failures < KAT_SHOWN_MAX)
            print_error("# policy_kat.txt:%u: %s\n", lineno, err);
        failures++;
    }
    /* Every agreement and constraint of the examples has vectors. */
    for (i = 0; i < sk_policy_rule_count(ex.policy); i++) {
        const sk_pol_rule *r = sk_policy_rule(ex.policy, i);
        if (!kat_names(text, r->id)) {
            print_error("# policy_kat.txt: no vector for %s %s (%s)\n",
                        r->is_constraint ? "constraint" : "agreement", r->id, "add one");
            failures++;
        }
    }
    print_message("# known answers: %u vectors over %zu example files, %u failures\n", cases,
                  ex.count, failures);
    free(copy);
    free(text);
    examples_free(&ex);
    assert_true(cases > 0);
    assert_int_equal(failures, 0);
}

/* The examples compile, and each file alone names only agencies it or
 * agencies.policy defines (so adopting them one by one works). */
static void test_examples_parse(void **state)
{
    examples ex;
    size_t i, agencies = SIZE_MAX;
    sk_diag diag;

    (void)state;
    examples_load(&ex);
    for (i = 0; i < ex.count; i++) {
        if (strcmp(ex.names[i], "agencies.policy") == 0)
            agencies = i;
    }
    assert_true(agencies != SIZE_MAX);
    for (i = 0; i < ex.count; i++) {
        sk_policy_doc two[2] = {ex.docs[agencies], ex.docs[i]};
        sk_policy *p = NULL;
        sk_diag_clear(&diag);
        if (sk_policy_compile(two, i == agencies ? 1 : 2, &p, &diag) != SK_OK)
            fail_msg("%s with agencies.policy: %s: %s", ex.names[i], diag.field, diag.msg);
        sk_policy_free(p);
    }
    examples_free(&ex);
}

/* ------------------------------------------------------------------ main */

#define FIXTURE_TEST(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_default_deny_with_reason),
        FIXTURE_TEST(test_role_own_agency),
        FIXTURE_TEST(test_agreement_field_mask),
        FIXTURE_TEST(test_agreements_add_up),
        FIXTURE_TEST(test_constraint_field_mask),
        FIXTURE_TEST(test_constraint_whole_denies),
        FIXTURE_TEST(test_constraint_unless),
        FIXTURE_TEST(test_when_conditions),
        FIXTURE_TEST(test_break_glass),
        FIXTURE_TEST(test_interval_bounds),
        FIXTURE_TEST(test_rule_listing),
        FIXTURE_TEST(test_rescind),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_compile_limits),
        FIXTURE_TEST(test_document_order),
        cmocka_unit_test(test_role_blocks_add_up),
        cmocka_unit_test(test_constraint_deny_reports_all_withheld),
        FIXTURE_TEST(test_every_field_means_the_defined_fields),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_examples_parse),
        cmocka_unit_test(test_known_answers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
