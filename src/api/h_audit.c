/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h_audit.c: the audit routes. Tree heads and proofs are hashes only, for
 * any authenticated caller: anyone holding a published tree head may check
 * that the log is consistent with it. Who accessed a child is itself about
 * the child, so it is decided by the policy like any read of the child,
 * for the declared purpose (an inspector general under its access
 * agreement, an agency auditor for its own records, counsel of record for
 * the person concerned), and the decision is recorded. The oversight report
 * and full verification are for oversight agencies and for auditors and
 * administrators. The queries read the log file up to its last signed tree
 * head, so they never see a group the writer is still committing.
 */
#include "api.h"

#include "../cli/cli.h"
#include "safekeep/sk_time.h"
#include "safekeep/sk_view.h"

#include "sk_int.h"

#define AUDIT_OUT_MAX (16u * 1024 * 1024)

static int oversight_agency(sk_req *r)
{
    const sk_pol_agency *a =
        r->agency >= 0 ? sk_policy_agency_at(r->api->policy, (size_t)r->agency) : NULL;

    return a != NULL && a->kind == SK_KIND_OVERSIGHT;
}

/* Verification says only whether the log is intact: auditors and
 * administrators of any agency may ask. */
static int verifier(sk_req *r)
{
    return oversight_agency(r) || strcmp(r->token.role, "auditor") == 0 ||
           strcmp(r->token.role, "administrator") == 0;
}

/* A non-negative integer parameter; *out keeps its default when absent. */
static int number(sk_req *r, const char *name, int required, uint64_t *out)
{
    const char *q = sk_api_query(r, name);
    char msg[96];

    if (q == NULL && !required)
        return 1;
    if (q != NULL && sk_api_parse_u64(q, UINT64_MAX, out))
        return 1;
    snprintf(msg, sizeof(msg), "%s: expected a non-negative integer", name);
    sk_api_problem(r, 400, "bad-request", msg);
    return 0;
}

/* Runs a query that renders into a buffer, then answers with it. */
static void answer(sk_req *r, sk_err rc, sk_buf *body, const sk_diag *diag)
{
    if (rc == SK_OK)
        rc = sk_buf_append_str(&r->out, sk_buf_str(body));
    if (rc == SK_OK)
        sk_api_json(r, 200);
    else
        sk_api_problem_err(r, rc, diag);
    sk_buf_fini(body);
}

void sk_api_audit_tree_head(sk_req *r)
{
    sk_buf body;
    sk_diag diag;

    sk_diag_clear(&diag);
    sk_buf_init(&body, AUDIT_OUT_MAX);
    answer(r, sk_audit_tree_head_json(r->api->cfg.audit_log, r->api->keyring, &body, &diag), &body,
           &diag);
}

void sk_api_audit_inclusion(sk_req *r)
{
    uint64_t seq = 0, size = 0;
    sk_buf body;
    sk_diag diag;

    if (!number(r, "seq", 1, &seq) || !number(r, "size", 0, &size))
        return;
    sk_diag_clear(&diag);
    sk_buf_init(&body, AUDIT_OUT_MAX);
    answer(r,
           sk_audit_inclusion_json(r->api->cfg.audit_log, r->api->keyring, seq, size, &body, &diag),
           &body, &diag);
}

void sk_api_audit_consistency(sk_req *r)
{
    uint64_t from = 0, to = 0;
    sk_buf body;
    sk_diag diag;

    if (!number(r, "from", 1, &from) || !number(r, "to", 1, &to))
        return;
    sk_diag_clear(&diag);
    sk_buf_init(&body, AUDIT_OUT_MAX);
    answer(
        r,
        sk_audit_consistency_json(r->api->cfg.audit_log, r->api->keyring, from, to, &body, &diag),
        &body, &diag);
}

void sk_api_audit_verify(sk_req *r)
{
    sk_buf body;
    sk_diag diag;

    if (!verifier(r)) {
        sk_api_problem(r, 403, "forbidden",
                       "verifying the whole log is for oversight agencies, auditors and "
                       "administrators");
        return;
    }
    sk_diag_clear(&diag);
    sk_buf_init(&body, AUDIT_OUT_MAX);
    answer(r,
           sk_audit_verify_json(r->api->cfg.audit_log, r->api->keyring,
                                sk_cli_audit_expected_size(sk_api_store(r)), 0, &body, &diag),
           &body, &diag);
}

void sk_api_audit_report(sk_req *r)
{
    int64_t from, to;
    sk_buf body;
    sk_diag diag;

    /* The report names every agency's denials and their subjects: for
     * oversight agencies only. */
    if (!oversight_agency(r)) {
        sk_api_problem(r, 403, "forbidden", "the oversight report is for oversight agencies");
        return;
    }
    if (!sk_api_date_param(r, "from", &from) || !sk_api_date_param(r, "to", &to))
        return;
    from *= 1000; /* the log's times are in milliseconds */
    to *= 1000;
    sk_diag_clear(&diag);
    sk_buf_init(&body, AUDIT_OUT_MAX);
    answer(r, sk_audit_report(r->api->cfg.audit_log, r->api->keyring, from, to, &body, &diag),
           &body, &diag);
}

/* Who saw this child's records: decided like a read of the child. */
void sk_api_audit_subject(sk_req *r)
{
    sk_str id = r->params[0];
    sk_view_child_data *data = NULL;
    uint64_t offset = 0, limit = 100;
    sk_request req;
    sk_decision d;
    sk_buf body;
    sk_diag diag;
    sk_err rc;

    if (!number(r, "offset", 0, &offset) || !number(r, "limit", 0, &limit))
        return;
    if (limit == 0 || limit > SK_AUDIT_QUERY_LIMIT_MAX) {
        sk_api_problem(r, 400, "bad-request", "limit: expected an integer from 1 to 1000");
        return;
    }
    if (!sk_api_read_child(r, id, sk_view_fields(SK_ENTITY_CHILD), &req, &d, &data))
        return;
    rc = sk_api_audit_decision(r, &req, &d, id);
    if (rc != SK_OK) {
        sk_api_problem_err(r, rc, NULL);
        return;
    }
    sk_diag_clear(&diag);
    sk_buf_init(&body, AUDIT_OUT_MAX);
    answer(r,
           sk_audit_who_accessed(r->api->cfg.audit_log, r->api->keyring, id, offset,
                                 (uint32_t)limit, &body, &diag),
           &body, &diag);
}
