/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h_notify.c: the notification routes: the tracking report and the
 * deadline alerts, both computed from the ledger on each request (neither
 * is stored: sk_tracking.h, sk_deadline.h).
 *
 * The tracking report is counts only, the same object as `safekeep report
 * tracking --json`: it names no child and discloses no field, so it needs
 * no declared purpose and writes no audit record; any authenticated token
 * may read it.
 *
 * An alert names a child by id ("this child has an overdue hearing
 * notice"), so a listing is about people: it needs a declared purpose and
 * each listed child gets an audit record, like any other read. Which
 * alerts a token sees is not a policy decision over fields (an alert shows
 * no field of the child's record, only the rule, dates, owner and state):
 * it is decided by ownership. A token sees the alerts its own agency must
 * act on; a token of an oversight agency (kind oversight) sees every
 * agency's alerts and may pick one owner. The records say which of the two
 * let the alert through (rule kind "owner" or "oversight").
 */
#include "api.h"

#include <string.h>

#include "safekeep/sk_deadline.h"
#include "safekeep/sk_time.h"
#include "safekeep/sk_tracking.h"

#include "sk_int.h"

#define DAY_SECONDS 86400LL
#define REASON_MAX  128

/* The clock of a query: RFC 3339, or a date YYYY-MM-DD standing for its
 * first second (alerts, as `safekeep alerts --at`) or its last second (the
 * report, as `safekeep report tracking --at`: "as of" includes that day). */
static int time_param(sk_req *r, const char *name, int date_last_second, int64_t *out)
{
    const char *q = sk_api_query(r, name);
    char msg[96];
    int64_t t = 0;

    if (q == NULL)
        return 1;
    if (sk_time_parse_rfc3339(sk_str_c(q), &t) == SK_OK && t > 0) {
        *out = t;
        return 1;
    }
    if (sk_time_parse_date(sk_str_c(q), &t) == SK_OK && t > 0) {
        *out = date_last_second ? t + DAY_SECONDS - 1 : t;
        return 1;
    }
    snprintf(msg, sizeof(msg), "%s: expected a date YYYY-MM-DD or an RFC 3339 time", name);
    sk_api_problem(r, 400, "bad-request", msg);
    return 0;
}

/* ---- GET /v1/reports/tracking ---- */

void sk_api_report_tracking(sk_req *r)
{
    const char *days = sk_api_query(r, "nta_days");
    sk_tracking_counts counts;
    sk_tracking_opts opts;
    sk_store *store;
    uint64_t v = 0;
    sk_diag diag;
    sk_err rc;

    sk_tracking_opts_init(&opts);
    if (!time_param(r, "at", 1, &opts.at))
        return;
    if (days != NULL && !sk_api_parse_u64(days, SK_TRACKING_NTA_DAYS_MAX, &v)) {
        sk_api_problem(r, 400, "bad-request", "nta_days: expected an integer from 0 to 3650");
        return;
    }
    if (days != NULL)
        opts.nta_days = (uint32_t)v;
    store = sk_api_store(r);
    if (store == NULL)
        return; /* the 503 is prepared */
    /* Counts only, no child named and no field shown: nothing to audit. */
    sk_diag_clear(&diag);
    rc = sk_tracking_compute(store, &opts, &counts, &diag);
    if (rc == SK_OK)
        rc = sk_tracking_json(&counts, &r->out);
    if (rc == SK_OK)
        sk_api_json(r, 200);
    else
        sk_api_problem_err(r, rc, &diag);
}

/* ---- GET /v1/alerts ---- */

/* The listing's filters, paging and progress through the scan. */
typedef struct alert_page {
    sk_req *r;
    int oversight;     /* the requester's agency is of kind oversight */
    const char *owner; /* only alerts of this owner, or NULL */
    int state;         /* sk_alert_state, or -1 for any */
    int rule;          /* sk_deadline_rule, or -1 for any */
    uint32_t limit;
    uint64_t offset;
    uint64_t matched; /* alerts visible and matching so far */
    size_t shown;     /* of which rendered on this page */
    int more;         /* a match beyond the page exists */
    sk_str *children; /* the distinct children shown, in order */
    size_t child_count;
    sk_err rc;
} alert_page;

static int oversight_agency(sk_req *r)
{
    const sk_pol_agency *a =
        r->agency >= 0 ? sk_policy_agency_at(r->api->policy, (size_t)r->agency) : NULL;

    return a != NULL && a->kind == SK_KIND_OVERSIGHT;
}

static int visible(const alert_page *pg, const sk_alert *a)
{
    if (!pg->oversight && strcmp(a->owner, pg->r->token.agency) != 0)
        return 0;
    if (pg->owner != NULL && strcmp(a->owner, pg->owner) != 0)
        return 0;
    if (pg->state >= 0 && (int)a->state != pg->state)
        return 0;
    return pg->rule < 0 || (int)a->rule == pg->rule;
}

/* Alerts come in child order, so a child's alerts are adjacent: comparing
 * with the last child kept is enough to keep each child once. */
static sk_err remember_child(alert_page *pg, const char *child)
{
    sk_str id = sk_str_c(child);

    if (pg->child_count > 0 && sk_str_eq(pg->children[pg->child_count - 1], id))
        return SK_OK;
    SK_ASSERT(pg->child_count < pg->limit);
    return sk_arena_strdup(pg->r->arena, id, &pg->children[pg->child_count++]);
}

static int on_alert(const sk_alert *a, void *vctx)
{
    alert_page *pg = vctx;
    sk_err rc;

    if (!visible(pg, a))
        return 0;
    pg->matched++;
    if (pg->matched <= pg->offset)
        return 0;
    if (pg->shown == pg->limit) {
        pg->more = 1;
        return 1; /* one past the page: enough to know there is a next one */
    }
    rc = sk_buf_append(&pg->r->out, ",", pg->shown ? 1 : 0);
    if (rc == SK_OK)
        rc = sk_alert_json(a, &pg->r->out);
    if (rc == SK_OK)
        rc = remember_child(pg, a->child);
    pg->shown++;
    pg->rc = rc;
    return rc != SK_OK;
}

/* An agency id as the policy writes them; the value is never echoed. */
static int agency_id(const char *text)
{
    size_t i, n = strlen(text);

    if (n == 0 || n > SK_ID_LEN_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return 0;
    }
    return 1;
}

/* state, rule and owner; 0 with the problem prepared when one is bad. */
static int alert_filters(sk_req *r, alert_page *pg)
{
    const char *state = sk_api_query(r, "state"), *rule = sk_api_query(r, "rule");
    sk_deadline_rule dr;

    pg->owner = sk_api_query(r, "owner");
    pg->state = -1;
    pg->rule = -1;
    if (state != NULL && strcmp(state, "open") == 0)
        pg->state = SK_ALERT_OPEN;
    else if (state != NULL && strcmp(state, "acknowledged") == 0)
        pg->state = SK_ALERT_ACKNOWLEDGED;
    else if (state != NULL && strcmp(state, "resolved") == 0)
        pg->state = SK_ALERT_RESOLVED;
    else if (state != NULL) {
        sk_api_problem(r, 400, "bad-request", "state: expected open, acknowledged or resolved");
        return 0;
    }
    if (rule != NULL && sk_deadline_rule_parse(sk_str_c(rule), &dr) != SK_OK) {
        sk_api_problem(r, 400, "bad-request", "rule: expected a deadline rule (docs/deadlines.md)");
        return 0;
    }
    pg->rule = rule != NULL ? (int)dr : -1;
    if (pg->owner != NULL && !agency_id(pg->owner)) {
        sk_api_problem(r, 400, "bad-request", "owner: expected an agency id");
        return 0;
    }
    /* Another agency's alerts are for oversight agencies only; refused
     * before anything is read, so nothing is disclosed or recorded. */
    if (pg->owner != NULL && !pg->oversight && strcmp(pg->owner, r->token.agency) != 0) {
        sk_api_problem(r, 403, "forbidden",
                       "alerts owned by another agency are for oversight agencies only");
        return 0;
    }
    return 1;
}

/* One record per listed child: the listing told the requester that this
 * child has alerts of these rules and dates. */
static sk_err record_children(sk_req *r, const alert_page *pg)
{
    const char *kind = pg->oversight ? "oversight" : "owner";
    char reason[REASON_MAX];
    sk_err rc = SK_OK;
    size_t i;

    if (pg->oversight && pg->owner == NULL)
        snprintf(reason, sizeof(reason), "alerts of every agency, shown to an oversight agency");
    else if (pg->oversight)
        snprintf(reason, sizeof(reason), "alerts owned by %s, shown to an oversight agency",
                 pg->owner);
    else
        snprintf(reason, sizeof(reason), "alerts owned by %s", r->token.agency);
    for (i = 0; rc == SK_OK && i < pg->child_count; i++)
        rc = sk_api_audit_permit(r, SK_ENTITY_CHILD, pg->children[i], kind, reason);
    return rc;
}

void sk_api_alerts_list(sk_req *r)
{
    sk_deadline_config cfg;
    int64_t now = 0;
    alert_page pg;
    sk_store *store;
    sk_diag diag;
    void *p = NULL;
    sk_err rc;

    memset(&pg, 0, sizeof(pg));
    pg.r = r;
    pg.oversight = oversight_agency(r);
    if (!alert_filters(r, &pg) || !sk_api_paging(r, &pg.limit, &pg.offset) ||
        !time_param(r, "at", 0, &now))
        return;
    store = sk_api_store(r);
    if (store == NULL)
        return;                       /* the 503 is prepared */
    sk_deadline_config_default(&cfg); /* pending alerts are not listed */
    sk_diag_clear(&diag);
    rc = sk_arena_alloc(r->arena, pg.limit * sizeof(*pg.children), &p);
    pg.children = p;
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, "{\"alerts\":[");
    if (rc == SK_OK)
        rc = sk_deadline_scan(store, &cfg, now ? now : sk_time_now(), on_alert, &pg, &diag);
    if (rc == SK_OK)
        rc = pg.rc;
    if (rc == SK_OK)
        rc = sk_buf_printf(&r->out, "],\"limit\":%u,\"offset\":%llu,\"next_offset\":", pg.limit,
                           (unsigned long long)pg.offset);
    if (rc == SK_OK && pg.more)
        rc = sk_buf_printf(&r->out, "%llu}", (unsigned long long)(pg.offset + pg.limit));
    else if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, "null}");
    if (rc == SK_OK)
        rc = record_children(r, &pg);
    if (rc == SK_OK)
        sk_api_json(r, 200);
    else
        sk_api_problem_err(r, rc, &diag);
}
