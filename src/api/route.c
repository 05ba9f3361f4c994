/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route.c: the route table and the matcher.
 *
 * One table lists every route, its handler and what it needs (a token, a
 * declared purpose, a JSON body); the server enforces the needs before the
 * handler runs, so no handler can forget them, and `safekeep serve --routes`
 * prints the table so a test can compare it with the OpenAPI document. Path
 * parameters must look like ids ([A-Za-z0-9._:-], 1..40 bytes): anything
 * else (a slash, a dot-dot path, a NUL, percent-decoded junk) matches no
 * route and is a plain 404, never a file name.
 */
#include "api.h"

#include <string.h>

#include "safekeep/sk_model.h"

#include "sk_int.h"

#define A SK_ROUTE_AUTH
#define P SK_ROUTE_PURPOSE
#define B SK_ROUTE_BODY

const sk_route sk_api_routes[] = {
    {"GET", "/healthz", sk_api_healthz, 0, "healthz"},
    {"GET", "/metrics", sk_api_metrics, 0, "metrics"},
    {"GET", "/openapi.json", sk_api_openapi, 0, "openapi"},
    {"GET", "/v1/me", sk_api_me, A, "me"},
    {"POST", "/v1/events", sk_api_events_post, A | P | B, "events_post"},
    {"POST", "/v1/events/batch", sk_api_events_batch, A | P | B, "events_batch"},
    {"GET", "/v1/children", sk_api_children_list, A | P, "children_list"},
    {"POST", "/v1/children/search", sk_api_children_search, A | P | B, "children_search"},
    {"GET", "/v1/children/{id}", sk_api_child_get, A | P, "child_get"},
    {"GET", "/v1/children/{id}/sponsors", sk_api_child_sponsors, A | P, "child_sponsors"},
    {"GET", "/v1/agreements", sk_api_agreements_list, A, "agreements_list"},
    {"GET", "/v1/agreements/{id}", sk_api_agreement_get, A, "agreement_get"},
    {"POST", "/v1/policy/check", sk_api_policy_check, A | P | B, "policy_check"},
    {"GET", "/v1/audit/subjects/{id}", sk_api_audit_subject, A | P, "audit_subject"},
    {"GET", "/v1/audit/report", sk_api_audit_report, A, "audit_report"},
    {"GET", "/v1/audit/tree-head", sk_api_audit_tree_head, A, "audit_tree_head"},
    {"GET", "/v1/audit/proofs/inclusion", sk_api_audit_inclusion, A, "audit_inclusion"},
    {"GET", "/v1/audit/proofs/consistency", sk_api_audit_consistency, A, "audit_consistency"},
    {"GET", "/v1/audit/verify", sk_api_audit_verify, A, "audit_verify"},
    {"GET", "/v1/tokens", sk_api_tokens_list, A, "tokens_list"},
    {"POST", "/v1/tokens", sk_api_tokens_create, A | B, "tokens_create"},
    {"DELETE", "/v1/tokens/{id}", sk_api_tokens_revoke, A, "tokens_revoke"},
    {"GET", "/v1/reports/tracking", sk_api_report_tracking, A, "report_tracking"},
    {"GET", "/v1/alerts", sk_api_alerts_list, A | P, "alerts_list"},
    {"GET", "/v1/subscriptions", sk_api_subscriptions_list, A, "subscriptions_list"},
    {"POST", "/v1/subscriptions", sk_api_subscriptions_create, A | B, "subscriptions_create"},
    {"POST", "/v1/subscriptions/{id}/pause", sk_api_subscriptions_pause, A, "subscriptions_pause"},
    {"POST", "/v1/subscriptions/{id}/resume", sk_api_subscriptions_resume, A,
     "subscriptions_resume"},
    {"DELETE", "/v1/subscriptions/{id}", sk_api_subscriptions_delete, A, "subscriptions_delete"},
    {"GET", "/v1/subscriptions/{id}/deliveries", sk_api_subscriptions_deliveries, A,
     "subscriptions_deliveries"},
};

size_t sk_api_route_count(void)
{
    return SK_ARRAY_LEN(sk_api_routes);
}

static int id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

static int valid_id(const char *p, size_t n)
{
    size_t i;

    if (n == 0 || n > SK_ID_LEN_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        if (!id_char(p[i]))
            return 0;
    }
    return 1;
}

/* Matches a path against a template; returns the number of literal
 * segments matched (more is more specific) or -1. */
static int match(const char *tmpl, const char *path, sk_str params[SK_API_PARAMS_MAX])
{
    size_t np = 0;
    int literal = 0;

    while (*tmpl == '/' && *path == '/') {
        size_t tn, pn;
        tmpl++;
        path++;
        tn = strcspn(tmpl, "/");
        pn = strcspn(path, "/");
        if (tmpl[0] == '{') {
            if (!valid_id(path, pn) || np == SK_API_PARAMS_MAX)
                return -1;
            params[np++] = (sk_str){path, pn};
        } else if (tn != pn || memcmp(tmpl, path, tn) != 0) {
            return -1;
        } else {
            literal++;
        }
        tmpl += tn;
        path += pn;
    }
    return *tmpl == '\0' && *path == '\0' ? literal : -1;
}

void sk_api_route_match(const char *method, const char *path, const sk_route **route,
                        int *method_ok, sk_str params[SK_API_PARAMS_MAX])
{
    sk_str tmp[SK_API_PARAMS_MAX];
    int best = -1, best_any = -1;
    size_t i;

    *route = NULL;
    *method_ok = 0;
    for (i = 0; i < SK_ARRAY_LEN(sk_api_routes); i++) {
        const sk_route *rt = &sk_api_routes[i];
        int m, same;
        memset(tmp, 0, sizeof(tmp));
        m = match(rt->path, path, tmp);
        if (m < 0)
            continue;
        same = strcmp(rt->method, method) == 0 ||
               (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0);
        if (same && m > best) {
            best = m;
            *route = rt;
            *method_ok = 1;
            memcpy(params, tmp, sizeof(tmp));
        } else if (!same && m > best_any && best < 0) {
            best_any = m;
            *route = rt;
        }
    }
}

void sk_api_route_allow(const char *path, char *buf, size_t buf_len)
{
    sk_str tmp[SK_API_PARAMS_MAX];
    size_t i, used = 0;

    SK_ASSERT(buf_len > 0);
    buf[0] = '\0';
    for (i = 0; i < SK_ARRAY_LEN(sk_api_routes); i++) {
        if (match(sk_api_routes[i].path, path, tmp) < 0 || strstr(buf, sk_api_routes[i].method))
            continue;
        used += (size_t)snprintf(buf + used, buf_len - used, "%s%s", used ? ", " : "",
                                 sk_api_routes[i].method);
        if (used >= buf_len)
            break;
    }
}
