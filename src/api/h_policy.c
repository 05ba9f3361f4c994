/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h_policy.c: the policy routes: which agreements and constraints are in
 * force on a date, every version of one of them, and "would I be allowed?"
 * for a child's record.
 *
 * Rules are rendered by the library (sk_policy_rule_json) so the API and
 * the command line describe a rule with the same words. A policy check is a
 * decision like any read's: it is judged for the caller's own token and
 * declared purpose and recorded in the audit log, permit or deny. Unlike a
 * read it answers 200 for a denial too, since explaining the decision is
 * its purpose; only a permitted check on an unknown child is a 404, exactly
 * as a read would be, so that a child's existence is never told to someone
 * who may not see it (sk_subject.h).
 */
#include "api.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "safekeep/sk_id.h"
#include "safekeep/sk_subject.h"
#include "safekeep/sk_time.h"
#include "safekeep/sk_view.h"

#include "sk_int.h"

#define POINTER_MAX 96 /* "/" + a JSON key, for a 422's pointer */

/* The date a route asks about: ?at=YYYY-MM-DD or, without it, now. *given
 * says which. 0 with a 400 prepared when at is not a date. */
static int at_param(sk_req *r, int64_t *at, int *given)
{
    const char *q = sk_api_query(r, "at");

    *given = q != NULL;
    *at = sk_time_now();
    if (q == NULL)
        return 1;
    if (sk_time_parse_date(sk_str_c(q), at) == SK_OK)
        return 1;
    sk_api_problem(r, 400, "bad-request", "at: expected a date YYYY-MM-DD");
    return 0;
}

static int by_id_then_version(const void *a, const void *b)
{
    const sk_pol_rule *x = *(const sk_pol_rule *const *)a;
    const sk_pol_rule *y = *(const sk_pol_rule *const *)b;
    int c = strcmp(x->id, y->id);

    if (c != 0)
        return c;
    return (x->version > y->version) - (x->version < y->version);
}

/* The rules that match (id: every id when empty; in force at at when
 * in_force), ordered by id then version, rendered as a JSON array into
 * r->out; *count says how many. */
static sk_err rules_json(sk_req *r, sk_str id, int in_force, int64_t at, size_t *count)
{
    const sk_policy *policy = r->api->policy;
    size_t i, n = 0, total = sk_policy_rule_count(policy);
    const sk_pol_rule **rules = NULL;
    sk_err rc = SK_OK;
    void *p = NULL;

    *count = 0;
    if (total > 0)
        rc = sk_arena_alloc(r->arena, total * sizeof(*rules), &p);
    rules = p;
    for (i = 0; rc == SK_OK && i < total; i++) {
        const sk_pol_rule *rule = sk_policy_rule(policy, i);
        if (id.len > 0 && !sk_str_eqc(id, rule->id))
            continue;
        if (in_force && !sk_pol_rule_in_force(rule, at))
            continue;
        rules[n++] = rule;
    }
    if (rc == SK_OK && n > 1)
        qsort(rules, n, sizeof(*rules), by_id_then_version);
    if (rc == SK_OK)
        rc = sk_buf_append(&r->out, "[", 1);
    for (i = 0; rc == SK_OK && i < n; i++) {
        if (i > 0)
            rc = sk_buf_append(&r->out, ",", 1);
        if (rc == SK_OK)
            rc = sk_policy_rule_json(rules[i], &r->out);
    }
    if (rc == SK_OK)
        rc = sk_buf_append(&r->out, "]", 1);
    *count = n;
    return rc;
}

void sk_api_agreements_list(sk_req *r)
{
    char date[SK_DATE_LEN + 1];
    int64_t at;
    size_t n;
    int given;
    sk_err rc;

    if (!at_param(r, &at, &given))
        return;
    sk_time_format_date(at, date);
    rc = sk_buf_printf(&r->out, "{\"at\":\"%s\",\"agreements\":", date);
    if (rc == SK_OK)
        rc = rules_json(r, SK_STR_NULL, 1, at, &n);
    if (rc == SK_OK)
        rc = sk_buf_append(&r->out, "}", 1);
    if (rc == SK_OK)
        sk_api_json(r, 200);
    else
        sk_api_problem_err(r, rc, NULL);
}

void sk_api_agreement_get(sk_req *r)
{
    sk_str id = r->params[0];
    int64_t at;
    size_t n = 0;
    int given;
    sk_err rc;

    if (!at_param(r, &at, &given))
        return;
    rc = sk_buf_appendc(&r->out, "{\"id\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(&r->out, id);
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, ",\"versions\":");
    if (rc == SK_OK)
        rc = rules_json(r, id, given, at, &n);
    if (rc == SK_OK)
        rc = sk_buf_append(&r->out, "}", 1);
    if (rc == SK_OK && n == 0) {
        sk_buf_reset(&r->out);
        sk_api_problem(r, 404, "not-found",
                       given ? "no agreement or constraint with that id in force on that date"
                             : "no agreement or constraint with that id");
    } else if (rc == SK_OK) {
        sk_api_json(r, 200);
    } else {
        sk_api_problem_err(r, rc, NULL);
    }
}

/* ---- POST /v1/policy/check ---- */

typedef struct check_body {
    sk_action action;
    sk_entity entity;
    uint64_t fields; /* 0 until given or defaulted */
    sk_str subject;
    int64_t at; /* 0: now */
} check_body;

/* A 422 for a key nobody asked for, naming it as a JSON pointer (RFC 6901:
 * "~" and "/" escaped); a key too long to quote is not quoted. */
static void unknown_key(sk_req *r, const char *key)
{
    char pointer[POINTER_MAX];
    size_t i, n = 0;

    pointer[n++] = '/';
    for (i = 0; key[i] != '\0' && n + 3 < sizeof(pointer); i++) {
        if (key[i] == '~' || key[i] == '/') {
            pointer[n++] = '~';
            pointer[n++] = key[i] == '~' ? '0' : '1';
        } else {
            pointer[n++] = key[i];
        }
    }
    pointer[key[i] == '\0' ? n : 0] = '\0';
    sk_api_problem_invalid(r, pointer, "unknown key");
}

/* A string member looked up in a vocabulary; -1 with a 422 prepared. */
static int vocab_member(sk_req *r, json_t *v, const char *pointer, const char *const *names,
                        const char *expected)
{
    int index = -1;

    if (json_is_string(v))
        index = sk_policy_lookup(names, (sk_str){json_string_value(v), json_string_length(v)});
    if (index < 0)
        sk_api_problem_invalid(r, pointer, expected);
    return index;
}

/* fields: a non-empty array of field names. */
static int fields_member(sk_req *r, json_t *v, uint64_t *mask)
{
    char pointer[32];
    json_t *item;
    size_t i;
    int bit;

    if (!json_is_array(v) || json_array_size(v) == 0) {
        sk_api_problem_invalid(r, "/fields", "expected a non-empty array of field names");
        return 0;
    }
    json_array_foreach(v, i, item)
    {
        bit = -1;
        if (json_is_string(item))
            bit = sk_policy_lookup(sk_policy_field_names,
                                   (sk_str){json_string_value(item), json_string_length(item)});
        if (bit < 0) {
            snprintf(pointer, sizeof(pointer), "/fields/%zu", i);
            sk_api_problem_invalid(r, pointer, "expected a field name (docs/agreements.md)");
            return 0;
        }
        *mask |= (uint64_t)1 << bit;
    }
    return 1;
}

/* subject (a child id) and at (a date, judged at its middle as the command
 * line does, like imported events). */
static int subject_at_member(sk_req *r, const char *key, json_t *v, check_body *c)
{
    sk_str s = SK_STR_NULL;

    if (json_is_string(v))
        s = (sk_str){json_string_value(v), json_string_length(v)};
    if (strcmp(key, "subject") == 0) {
        c->subject = s;
        if (sk_id_valid(s, SK_ID_LEN_MAX))
            return 1;
        sk_api_problem_invalid(r, "/subject", "expected a child id");
        return 0;
    }
    if (s.ptr != NULL && sk_time_parse_date(s, &c->at) == SK_OK) {
        c->at += 12 * 3600;
        return 1;
    }
    sk_api_problem_invalid(r, "/at", "expected a date YYYY-MM-DD");
    return 0;
}

static int parse_check(sk_req *r, json_t *root, check_body *c)
{
    const char *key;
    json_t *v;
    int index;

    memset(c, 0, sizeof(*c));
    c->action = SK_ACTION_READ;
    c->entity = SK_ENTITY_CHILD;
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "action") == 0) {
            index =
                vocab_member(r, v, "/action", sk_action_names, "expected read, write or export");
            if (index < 0)
                return 0;
            c->action = (sk_action)index;
        } else if (strcmp(key, "entity") == 0) {
            index = vocab_member(r, v, "/entity", sk_entity_names,
                                 "expected an entity (docs/agreements.md)");
            if (index < 0)
                return 0;
            c->entity = (sk_entity)index;
        } else if (strcmp(key, "fields") == 0) {
            if (!fields_member(r, v, &c->fields))
                return 0;
        } else if (strcmp(key, "subject") == 0 || strcmp(key, "at") == 0) {
            if (!subject_at_member(r, key, v, c))
                return 0;
        } else {
            unknown_key(r, key);
            return 0;
        }
    }
    if (c->subject.len == 0) {
        sk_api_problem_invalid(r, "/subject", "required: the child id the check is about");
        return 0;
    }
    if (c->fields == 0)
        c->fields = sk_view_fields(c->entity);
    return 1;
}

void sk_api_policy_check(sk_req *r)
{
    json_t *root = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, NULL);
    sk_subject *subject = NULL;
    check_body c;
    sk_request req;
    sk_decision d;
    sk_err rc;

    if (root == NULL || !json_is_object(root)) {
        sk_api_problem(r, 400, "invalid-json", "the body must be a JSON object");
        goto out;
    }
    if (!parse_check(r, root, &c))
        goto out;
    rc = sk_api_load_subject(r, c.subject, &subject);
    if (rc != SK_OK && rc != SK_ERR_NOT_FOUND)
        goto out; /* the problem is prepared */
    sk_api_decide(r, c.action, c.entity, c.fields, subject, c.at, &req, &d);
    if (d.permit && subject == NULL) {
        sk_api_problem(r, 404, "not-found", "no child with that id");
        goto out;
    }
    rc = sk_api_audit_decision(r, &req, &d, subject ? c.subject : SK_STR_NULL);
    if (rc == SK_OK)
        rc = sk_decision_json(r->api->policy, &req, &d, &r->out);
    if (rc == SK_OK)
        sk_api_json(r, 200);
    else
        sk_api_problem_err(r, rc, NULL);
out:
    json_decref(root);
}
