/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decide.c: the read path's middle: who (the token) asks what (action,
 * entity, fields) about whom (the child), for which declared purpose, and
 * what the policy says. Every decision, permit or deny, becomes an audit
 * record queued on the request; the server makes the records durable
 * before any answer leaves. A denial is answered with the policy's own
 * readable reason and the rule that decided, so a refused agency can see
 * why, and contest it.
 */
#include "api.h"

#include <string.h>

#include "safekeep/sk_subject.h"
#include "safekeep/sk_time.h"
#include "safekeep/sk_view.h"

#include "sk_int.h"

void sk_api_decide(sk_req *r, sk_action action, sk_entity entity, uint64_t fields,
                   const sk_subject *subject, int64_t at, sk_request *req, sk_decision *d)
{
    memset(req, 0, sizeof(*req));
    req->agency = r->agency;
    req->role = r->role;
    req->action = action;
    SK_ASSERT(r->purpose >= 0);
    req->purpose = (sk_purpose)r->purpose;
    req->entity = entity;
    req->fields = fields;
    req->at = at ? at : sk_time_now();
    sk_subject_fill(subject, r->api->policy, sk_str_c(r->token.agency), req);
    sk_policy_decide(r->api->policy, req, d);
}

static sk_err arena_text(sk_req *r, const char *text, sk_str *out)
{
    return sk_arena_strdup(r->arena, sk_str_c(text), out);
}

/* A zeroed record at the end of the request's queue (not yet counted:
 * the caller bumps audit_n once it is complete). */
static sk_err audit_slot(sk_req *r, sk_audit_record **out)
{
    sk_err rc;
    void *p;

    if (r->audit_n == SK_API_AUDIT_MAX)
        return SK_ERR_TOO_LARGE;
    /* Most requests make one decision: room grows by doubling, since the
     * arena is wiped byte for byte at the end of every request. */
    if (r->audit_n == r->audit_cap) {
        size_t cap = r->audit_cap ? r->audit_cap * 2 : 4;
        if (cap > SK_API_AUDIT_MAX)
            cap = SK_API_AUDIT_MAX;
        rc = sk_arena_alloc(r->arena, cap * sizeof(*r->audit), &p);
        if (rc != SK_OK)
            return rc;
        if (r->audit_n > 0)
            memcpy(p, r->audit, r->audit_n * sizeof(*r->audit));
        r->audit = p;
        r->audit_cap = cap;
    }
    *out = &r->audit[r->audit_n];
    memset(*out, 0, sizeof(**out));
    return SK_OK;
}

sk_err sk_api_audit_decision(sk_req *r, const sk_request *req, const sk_decision *d, sk_str subject)
{
    char reason[1024];
    sk_audit_record *rec = NULL;
    sk_err rc = audit_slot(r, &rec);

    if (rc != SK_OK)
        return rc;
    sk_decision_reason(r->api->policy, req, d, reason, sizeof(reason));
    rec->request_id = sk_str_c(r->request_id);
    rec->agency = sk_str_c(r->token.agency);
    rec->user = sk_str_c(r->token.user);
    rec->role = sk_str_c(r->token.role);
    rec->purpose = sk_str_c(sk_purpose_names[req->purpose]);
    rec->action = sk_str_c(sk_action_names[req->action]);
    rec->entity = sk_str_c(sk_entity_names[req->entity]);
    if (subject.len > 0)
        rc = sk_arena_strdup(r->arena, subject, &rec->subjects[0]);
    rec->subject_count = subject.len > 0;
    rec->fields = d->permit ? d->fields : 0;
    rec->decision = d->permit ? SK_STR("permit") : SK_STR("deny");
    rec->rule_kind = sk_str_c(sk_rule_kind_name(d->kind));
    if (rc == SK_OK && d->rule != NULL)
        rc = arena_text(r, d->rule->id, &rec->rule_id);
    rec->rule_version = d->rule ? d->rule->version : 0;
    if (rc == SK_OK)
        rc = arena_text(r, reason, &rec->reason);
    rec->break_glass = d->kind == SK_RULE_BREAK_GLASS;
    if (rc == SK_OK) {
        r->audit_n++;
        if (d->permit)
            r->decision_permit++;
        else
            r->decision_deny++;
    }
    return rc;
}

sk_err sk_api_audit_permit(sk_req *r, sk_entity entity, sk_str subject, const char *rule_kind,
                           const char *reason)
{
    sk_audit_record *rec = NULL;
    sk_err rc = audit_slot(r, &rec);

    SK_ASSERT(r->purpose >= 0);
    SK_ASSERT(subject.len > 0);
    if (rc != SK_OK)
        return rc;
    rec->request_id = sk_str_c(r->request_id);
    rec->agency = sk_str_c(r->token.agency);
    rec->user = sk_str_c(r->token.user);
    rec->role = sk_str_c(r->token.role);
    rec->purpose = sk_str_c(sk_purpose_names[r->purpose]);
    rec->action = sk_str_c(sk_action_names[SK_ACTION_READ]);
    rec->entity = sk_str_c(sk_entity_names[entity]);
    rc = sk_arena_strdup(r->arena, subject, &rec->subjects[0]);
    rec->subject_count = 1;
    rec->fields = 0; /* no field of the record is disclosed */
    rec->decision = SK_STR("permit");
    rec->rule_kind = sk_str_c(rule_kind);
    if (rc == SK_OK)
        rc = arena_text(r, reason, &rec->reason);
    if (rc == SK_OK) {
        r->audit_n++;
        r->decision_permit++;
    }
    return rc;
}

static sk_err rule_json(const sk_decision *d, sk_buf *out)
{
    sk_err rc = sk_buf_printf(out, "{\"kind\":\"%s\"", sk_rule_kind_name(d->kind));

    if (rc == SK_OK && d->rule != NULL) {
        rc = sk_buf_appendc(out, ",\"id\":");
        if (rc == SK_OK)
            rc = sk_buf_json_str(out, sk_str_c(d->rule->id));
        if (rc == SK_OK)
            rc = sk_buf_printf(out, ",\"version\":%u", d->rule->version);
    }
    return rc == SK_OK ? sk_buf_append(out, "}", 1) : rc;
}

void sk_api_forbidden(sk_req *r, const sk_request *req, const sk_decision *d, sk_str subject)
{
    sk_err rc = sk_api_audit_decision(r, req, d, subject);

    if (rc != SK_OK)
        sk_api_problem_err(r, rc, NULL);
    else
        sk_api_deny_response(r, req, d);
}

void sk_api_deny_response(sk_req *r, const sk_request *req, const sk_decision *d)
{
    char reason[1024];
    sk_err rc;

    sk_decision_reason(r->api->policy, req, d, reason, sizeof(reason));
    sk_buf_reset(&r->out);
    r->status = 403;
    r->content_type = "application/problem+json";
    rc = sk_buf_appendc(&r->out, "{\"type\":\"urn:safekeep:problem:forbidden\","
                                 "\"title\":\"Forbidden\",\"status\":403,\"detail\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(&r->out, sk_str_c(reason));
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, ",\"reason\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(&r->out, sk_str_c(reason));
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, ",\"rule\":");
    if (rc == SK_OK)
        rc = rule_json(d, &r->out);
    if (rc == SK_OK)
        rc = sk_buf_printf(&r->out, ",\"instance\":\"urn:uuid:%s\"}", r->request_id);
    if (rc != SK_OK)
        sk_api_problem(r, 500, "internal", "internal error");
}

sk_err sk_api_disclosure_json(const sk_decision *d, sk_buf *out)
{
    sk_err rc = sk_buf_appendc(out, "{\"rule\":");

    if (rc == SK_OK)
        rc = rule_json(d, out);
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, ",\"fields\":");
    if (rc == SK_OK)
        rc = sk_policy_names_json(out, sk_policy_field_names, d->fields);
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, ",\"withheld\":");
    if (rc == SK_OK)
        rc = sk_policy_names_json(out, sk_policy_field_names, d->withheld);
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, ",\"obligations\":");
    if (rc == SK_OK)
        rc = sk_policy_names_json(out, sk_obligation_names, d->obligations);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"retention_days\":%u}", d->retention_days);
    return rc;
}

sk_err sk_api_load_subject(sk_req *r, sk_str child, sk_subject **out)
{
    sk_arena *scratch = NULL;
    sk_diag diag;
    void *p;
    sk_err rc;

    *out = NULL;
    sk_diag_clear(&diag);
    rc = sk_arena_alloc(r->arena, sizeof(sk_subject), &p);
    /* Decoding events churns memory: a scratch arena, freed here. */
    if (rc == SK_OK)
        rc = sk_arena_new(16 * 1024, 4 * 1024 * 1024, &scratch);
    if (rc == SK_OK)
        rc = sk_subject_load(sk_api_store(r), child, scratch, p, &diag);
    sk_arena_free(scratch);
    if (rc == SK_OK)
        *out = p;
    else if (rc != SK_ERR_NOT_FOUND)
        sk_api_problem_err(r, rc, &diag);
    return rc;
}

int sk_api_read_child(sk_req *r, sk_str child, uint64_t fields, sk_request *req, sk_decision *d,
                      sk_view_child_data **data)
{
    sk_diag diag;
    sk_err rc;

    sk_diag_clear(&diag);
    *data = NULL;
    rc = sk_view_child_load(sk_api_store(r), child, r->arena, data, &diag);
    if (rc != SK_OK && rc != SK_ERR_NOT_FOUND) {
        sk_api_problem_err(r, rc, &diag);
        return 0;
    }
    sk_api_decide(r, SK_ACTION_READ, SK_ENTITY_CHILD, fields,
                  *data ? sk_view_child_subject(*data) : NULL, 0, req, d);
    if (!d->permit) {
        sk_api_forbidden(r, req, d, *data ? child : SK_STR_NULL);
        return 0;
    }
    if (*data == NULL) {
        sk_api_problem(r, 404, "not-found", "no child with that id");
        return 0;
    }
    return 1;
}
