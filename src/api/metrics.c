/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c: /metrics in the Prometheus text format, and /healthz.
 *
 * Counters are plain atomics in fixed arrays (route x status, latency
 * buckets, decisions), so observing a request costs a few relaxed
 * increments and no lock. Audit group-commit sizes come from the log's own
 * histogram. Nothing here names a person: routes are templates, never paths.
 */
#include "api.h"

#include <stdatomic.h>

#include "sk_int.h"

static const unsigned statuses[] = {200, 201, 400, 401, 403, 404, 405, 409,
                                    413, 415, 422, 429, 500, 503, 0};
#define STATUS_N (sizeof(statuses) / sizeof(statuses[0]))
#define ROUTES_N 64

/* Upper bounds in seconds of the latency buckets. */
static const double latency_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                    0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
#define LAT_N (sizeof(latency_le) / sizeof(latency_le[0]))

struct sk_metrics {
    atomic_ullong requests[ROUTES_N + 1][STATUS_N]; /* last row: no route */
    atomic_ullong latency[LAT_N + 1];               /* not cumulative; last: +Inf */
    atomic_ullong latency_sum_ns;
    atomic_ullong permits, denies;
};

sk_err sk_metrics_new(sk_metrics **out)
{
    SK_ASSERT(sk_api_route_count() <= ROUTES_N);
    *out = calloc(1, sizeof(**out));
    return *out ? SK_OK : SK_ERR_NOMEM;
}

void sk_metrics_free(sk_metrics *m)
{
    free(m);
}

static size_t status_index(unsigned status)
{
    size_t i;

    for (i = 0; i + 1 < STATUS_N; i++) {
        if (statuses[i] == status)
            return i;
    }
    return STATUS_N - 1;
}

void sk_metrics_observe(sk_metrics *m, const sk_route *route, unsigned status, int64_t ns,
                        int permits, int denies)
{
    size_t ri = route ? (size_t)(route - sk_api_routes) : ROUTES_N;
    double s = (double)ns / 1e9;
    size_t b = 0;

    SK_ASSERT(ri <= ROUTES_N);
    atomic_fetch_add_explicit(&m->requests[ri][status_index(status)], 1, memory_order_relaxed);
    while (b < LAT_N && s > latency_le[b])
        b++;
    atomic_fetch_add_explicit(&m->latency[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_sum_ns, (unsigned long long)(ns > 0 ? ns : 0),
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&m->permits, (unsigned long long)permits, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->denies, (unsigned long long)denies, memory_order_relaxed);
}

static sk_err render_requests(sk_metrics *m, sk_buf *b)
{
    sk_err rc = sk_buf_appendc(b, "# HELP safekeep_http_requests_total HTTP requests by route "
                                  "and status.\n# TYPE safekeep_http_requests_total counter\n");
    size_t r, s;

    for (r = 0; rc == SK_OK && r <= sk_api_route_count(); r++) {
        size_t ri = r < sk_api_route_count() ? r : ROUTES_N;
        const char *name = r < sk_api_route_count() ? sk_api_routes[r].name : "none";
        for (s = 0; rc == SK_OK && s < STATUS_N; s++) {
            unsigned long long v = atomic_load(&m->requests[ri][s]);
            if (v == 0)
                continue;
            if (statuses[s] == 0)
                rc = sk_buf_printf(b,
                                   "safekeep_http_requests_total{route=\"%s\",status=\"other\"} "
                                   "%llu\n",
                                   name, v);
            else
                rc = sk_buf_printf(b,
                                   "safekeep_http_requests_total{route=\"%s\",status=\"%u\"} "
                                   "%llu\n",
                                   name, statuses[s], v);
        }
    }
    return rc;
}

static sk_err render_latency(sk_metrics *m, sk_buf *b)
{
    unsigned long long cum = 0;
    sk_err rc = sk_buf_appendc(b, "# HELP safekeep_http_request_duration_seconds Time from "
                                  "request to response, audit commit included.\n"
                                  "# TYPE safekeep_http_request_duration_seconds histogram\n");
    size_t i;

    for (i = 0; rc == SK_OK && i <= LAT_N; i++) {
        cum += atomic_load(&m->latency[i]);
        if (i < LAT_N)
            rc = sk_buf_printf(b, "safekeep_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                               latency_le[i], cum);
        else
            rc = sk_buf_printf(b,
                               "safekeep_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                               "safekeep_http_request_duration_seconds_sum %.6f\n"
                               "safekeep_http_request_duration_seconds_count %llu\n",
                               cum, (double)atomic_load(&m->latency_sum_ns) / 1e9, cum);
    }
    return rc;
}

static sk_err render_audit(sk_api *api, sk_buf *b)
{
    uint64_t hist[SK_AUDIT_HIST_BUCKETS], groups = 0, records = 0, cum = 0;
    sk_err rc;
    size_t i;

    sk_audit_batch_histogram(api->audit, hist);
    sk_audit_stats(api->audit, &groups, &records);
    rc = sk_buf_appendc(b, "# HELP safekeep_audit_fsync_batch_size Audit records made durable "
                           "by one fsync (group commit).\n"
                           "# TYPE safekeep_audit_fsync_batch_size histogram\n");
    for (i = 0; rc == SK_OK && i + 1 < SK_AUDIT_HIST_BUCKETS; i++) {
        cum += hist[i];
        rc = sk_buf_printf(b, "safekeep_audit_fsync_batch_size_bucket{le=\"%llu\"} %llu\n",
                           1ULL << i, (unsigned long long)cum);
    }
    cum += hist[SK_AUDIT_HIST_BUCKETS - 1];
    if (rc == SK_OK)
        rc = sk_buf_printf(b,
                           "safekeep_audit_fsync_batch_size_bucket{le=\"+Inf\"} %llu\n"
                           "safekeep_audit_fsync_batch_size_sum %llu\n"
                           "safekeep_audit_fsync_batch_size_count %llu\n"
                           "# HELP safekeep_audit_failed 1 once the audit log refused a write.\n"
                           "# TYPE safekeep_audit_failed gauge\nsafekeep_audit_failed %d\n",
                           (unsigned long long)cum, (unsigned long long)records,
                           (unsigned long long)groups, sk_audit_failed(api->audit));
    return rc;
}

void sk_api_metrics(sk_req *r)
{
    sk_metrics *m = r->api->metrics;
    sk_err rc;

    rc = render_requests(m, &r->out);
    if (rc == SK_OK)
        rc = render_latency(m, &r->out);
    if (rc == SK_OK)
        rc = sk_buf_printf(&r->out,
                           "# HELP safekeep_policy_decisions_total Policy decisions by outcome.\n"
                           "# TYPE safekeep_policy_decisions_total counter\n"
                           "safekeep_policy_decisions_total{decision=\"permit\"} %llu\n"
                           "safekeep_policy_decisions_total{decision=\"deny\"} %llu\n"
                           "# HELP safekeep_http_requests_in_flight Requests being served.\n"
                           "# TYPE safekeep_http_requests_in_flight gauge\n"
                           "safekeep_http_requests_in_flight %d\n",
                           atomic_load(&m->permits), atomic_load(&m->denies),
                           atomic_load(&r->api->inflight));
    if (rc == SK_OK)
        rc = render_audit(r->api, &r->out);
    if (rc != SK_OK) {
        sk_api_problem(r, 500, "internal", "metrics could not be rendered");
        return;
    }
    r->status = 200;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

void sk_api_healthz(sk_req *r)
{
    sk_err rc;

    if (sk_audit_failed(r->api->audit)) {
        rc = sk_buf_appendc(&r->out, "{\"status\":\"unavailable\",\"detail\":\"the audit log "
                                     "refused a write: no record can be disclosed\"}");
        r->status = 503;
    } else {
        rc = sk_buf_appendc(&r->out, "{\"status\":\"ok\"}");
        r->status = 200;
    }
    r->content_type = "application/json";
    if (rc != SK_OK)
        sk_api_problem(r, 500, "internal", "health could not be rendered");
}
