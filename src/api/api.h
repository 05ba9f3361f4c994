/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.h: the HTTP server's internals, shared by its files (not a public
 * header: the library never sees libmicrohttpd).
 *
 * A request runs in one of the server's worker threads: parse, route,
 * authenticate, then its handler decides (policy), reads (store), masks
 * (view) and prepares both the response and the audit records that must be
 * durable before it is released. The server then suspends the connection,
 * hands the records to the audit log's group commit, and sends the response
 * only when the log says they are on disk; if the log fails, the prepared
 * response is thrown away (wiped) and the client gets 503. So no handler can
 * release data before its audit record is durable: handlers never send.
 */
#ifndef SK_API_H
#define SK_API_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_audit.h"
#include "safekeep/sk_buf.h"
#include "safekeep/sk_config.h"
#include "safekeep/sk_core.h"
#include "safekeep/sk_crypto.h"
#include "safekeep/sk_ingest.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_store.h"
#include "safekeep/sk_token.h"

struct MHD_Connection;
struct MHD_Daemon;

#define SK_API_PURPOSE_HEADER    "Safekeep-Purpose"
#define SK_API_REQUEST_ID_HEADER "Safekeep-Request-Id"
#define SK_API_RESPONSE_MAX      (32u * 1024 * 1024)
#define SK_API_PARAMS_MAX        2
#define SK_API_AUDIT_MAX         512 /* audit records one request may produce */

typedef struct sk_api sk_api;
typedef struct sk_req sk_req;
typedef struct sk_deliverer sk_deliverer;

/* ---- waker.c: a background thread's sleep, wake-up and stop ---- */
typedef struct sk_waker {
    pthread_mutex_t mu;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
    int woken;
    int stopping;
} sk_waker;
void sk_waker_init(sk_waker *w);
void sk_waker_fini(sk_waker *w);
/* 1 once sk_waker_stop was called. */
int sk_waker_stopping(sk_waker *w);
/* Forgets earlier wake-ups: one from here on ends the next nap. */
void sk_waker_arm(sk_waker *w);
/* Sleeps ms milliseconds, or less when woken (since the last arm) or stopped. */
void sk_waker_nap(sk_waker *w, int64_t ms);
void sk_waker_wake(sk_waker *w);
void sk_waker_stop(sk_waker *w);
typedef struct sk_sweeper sk_sweeper;

/* What a route needs before its handler runs. */
enum {
    SK_ROUTE_AUTH = 1u << 0,    /* a valid bearer token */
    SK_ROUTE_PURPOSE = 1u << 1, /* a declared purpose (person records) */
    SK_ROUTE_BODY = 1u << 2     /* a JSON request body */
};

typedef void (*sk_handler)(sk_req *r);

typedef struct sk_route {
    const char *method;
    const char *path; /* template: "/v1/children/{id}" */
    sk_handler fn;
    unsigned flags;
    const char *name; /* for metrics and logs: "children_get" */
} sk_route;

/* The route table (route.c). */
extern const sk_route sk_api_routes[];
size_t sk_api_route_count(void);
/* Matches method and path; *route NULL when no path matches; *method_ok 0
 * when the path matches under another method (405). Params are slices of
 * path. */
void sk_api_route_match(const char *method, const char *path, const sk_route **route,
                        int *method_ok, sk_str params[SK_API_PARAMS_MAX]);
/* The methods a path accepts, "GET, POST", for the Allow header. */
void sk_api_route_allow(const char *path, char *buf, size_t buf_len);

/* Pool of store handles: SQLite handles are used by one thread at a time. */
typedef struct sk_store_pool sk_store_pool;

/* Request state across the calls libmicrohttpd makes for one request. */
typedef enum sk_req_state {
    SK_REQ_BODY = 0,   /* receiving the body */
    SK_REQ_AUDIT_WAIT, /* suspended until the audit records are durable */
    SK_REQ_AUDIT_DONE, /* resumed: send what was prepared, or 503 */
    SK_REQ_SENT
} sk_req_state;

struct sk_req {
    sk_api *api;
    struct MHD_Connection *conn;
    const sk_route *route;
    int method_ok;
    sk_str params[SK_API_PARAMS_MAX];
    char request_id[40];
    int64_t start_ns;
    sk_arena *arena;
    /* Body, in the arena; body_too_large once it passed the limit. */
    char *body;
    size_t body_len, body_cap;
    int body_too_large;
    /* Who is asking (after authentication). */
    sk_token_info token;
    int agency;  /* index in the policy, -1 unknown */
    int role;    /* index in the policy, -1 unknown */
    int purpose; /* sk_purpose, -1 when the route needs none */
    sk_store *store;
    void *lease; /* the pool slot of store */
    /* Prepared response. */
    unsigned status;
    const char *content_type;
    sk_buf out;
    char allow[64];
    unsigned retry_after_s;
    /* Audit records to make durable before release. */
    sk_audit_record *audit;
    size_t audit_n, audit_cap;
    _Atomic int state;
    sk_err audit_rc;
    /* Work that may happen only once the audit records are durable (a
     * write), run on a worker thread after the commit; it prepares the
     * final response. */
    void (*after_audit)(sk_req *r);
    void *after_ctx;
    int decision_permit, decision_deny; /* for metrics */
};

/* ---- server.c ---- */
struct sk_api {
    sk_config cfg;
    sk_keyring *keyring;
    sk_policy *policy;
    pthread_rwlock_t policy_lock; /* read by requests, written by a reload */
    sk_audit *audit;
    char db_path[SK_CONFIG_PATH_MAX];
    struct MHD_Daemon *mhd;
    sk_store_pool *stores;
    struct sk_ratelimit *limiter;
    struct sk_metrics *metrics;
    sk_deliverer *deliverer; /* NULL until started */
    sk_sweeper *sweeper;     /* NULL until started, or when alert_sweep_s is 0 */
    atomic_int inflight;
    atomic_int audit_failed;
};

/* The store handle of this request (leased from the pool on first use, given
 * back when the handler returns). NULL with a 503 prepared when none. */
sk_store *sk_api_store(sk_req *r);

/* ---- respond.c ---- */
/* Prepares a JSON response: r->out holds the body. */
void sk_api_json(sk_req *r, unsigned status);
/* Prepares an RFC 9457 problem: name is the stable type suffix
 * ("not-found"), detail a sentence without personal data. */
void sk_api_problem(sk_req *r, unsigned status, const char *name, const char *detail);
/* A 422 naming the JSON pointer of the bad value and what was expected. */
void sk_api_problem_invalid(sk_req *r, const char *pointer, const char *detail);
/* A problem for an sk_err from below (store, crypto...), never echoing
 * store detail to the client. */
void sk_api_problem_err(sk_req *r, sk_err rc, const sk_diag *diag);
/* A non-negative decimal integer up to max (no sign, no blanks): 1, or 0
 * when text is anything else. */
int sk_api_parse_u64(const char *text, uint64_t max, uint64_t *out);
/* The limit and offset of a listing, bounded (1..page_limit_max, default
 * SK_API_PAGE_DEFAULT; 0..SK_API_OFFSET_MAX): huge values are refused, not
 * clamped. 1, or 0 with a 400 prepared. */
#define SK_API_PAGE_DEFAULT 50u
#define SK_API_OFFSET_MAX   1000000000000ULL /* 10^12 */
int sk_api_paging(sk_req *r, uint32_t *limit, uint64_t *offset);
/* An optional date parameter YYYY-MM-DD as Unix seconds at 00:00 UTC (0
 * when absent): 1, or 0 with a 400 prepared. */
int sk_api_date_param(sk_req *r, const char *name, int64_t *out);
/* Appends ,"key": and an RFC 3339 time, or null for 0. */
sk_err sk_api_time_member(sk_buf *out, const char *key, int64_t t);
/* 1 when the token holds the administrator role at an agency of the
 * policy (administration of its own agency's tokens and subscriptions);
 * else 0 with a 403 carrying detail. */
int sk_api_administrator(sk_req *r, const char *detail);
/* Text of query parameter name, or NULL. */
const char *sk_api_query(sk_req *r, const char *name);
/* Request header, or NULL. */
const char *sk_api_header(sk_req *r, const char *name);

/* ---- decide.c: the read path ---- */
/* Judges a request of this caller about child (or NULL for none) and fills
 * *req and *d. subject NULL: the child does not exist. */
struct sk_subject;
void sk_api_decide(sk_req *r, sk_action action, sk_entity entity, uint64_t fields,
                   const struct sk_subject *subject, int64_t at, sk_request *req, sk_decision *d);
/* Queues the audit record of a decision (subject may be empty). */
sk_err sk_api_audit_decision(sk_req *r, const sk_request *req, const sk_decision *d,
                             sk_str subject);
/* Queues the audit record of a disclosure that no policy rule decides but
 * a fixed rule of the route, named by rule_kind ("owner": the requester's
 * agency owns what is shown; "oversight": an oversight agency sees all):
 * a permit to read entity about subject (not empty) disclosing no field,
 * for the declared purpose, with reason (a sentence without personal
 * data). rule_kind must be a static string; reason is copied. */
sk_err sk_api_audit_permit(sk_req *r, sk_entity entity, sk_str subject, const char *rule_kind,
                           const char *reason);
/* Records the denial (about subject, which may be empty) and prepares its
 * 403 with the policy's reason and rule. */
void sk_api_forbidden(sk_req *r, const sk_request *req, const sk_decision *d, sk_str subject);
/* The 403 alone, for a denial already recorded. */
void sk_api_deny_response(sk_req *r, const sk_request *req, const sk_decision *d);
/* Appends a "disclosure" object for a permit. */
sk_err sk_api_disclosure_json(const sk_decision *d, sk_buf *out);
/* Decides a read of one child's record, reading the child's events once
 * (*data, in the request's arena, serves the rendering too): 1 when
 * permitted and the child exists (the caller renders, then records the
 * decision); else 0 with the answer prepared: the denial (recorded) or,
 * only for a caller who would have been permitted, a 404. */
struct sk_view_child_data;
int sk_api_read_child(sk_req *r, sk_str child, uint64_t fields, sk_request *req, sk_decision *d,
                      struct sk_view_child_data **data);
/* Loads the child a request names; 0 when found, else prepares nothing and
 * returns SK_ERR_NOT_FOUND / other codes. */
sk_err sk_api_load_subject(sk_req *r, sk_str child, struct sk_subject **out);

/* ---- metrics.c ---- */
typedef struct sk_metrics sk_metrics;
sk_err sk_metrics_new(sk_metrics **out);
void sk_metrics_free(sk_metrics *m);
void sk_metrics_observe(sk_metrics *m, const sk_route *route, unsigned status, int64_t ns,
                        int permits, int denies);
void sk_api_metrics(sk_req *r);
void sk_api_healthz(sk_req *r);

/* ---- ratelimit.c ---- */
typedef struct sk_ratelimit sk_ratelimit;
sk_err sk_ratelimit_new(unsigned rate_per_s, unsigned burst, sk_ratelimit **out);
void sk_ratelimit_free(sk_ratelimit *l);
/* 1 when a request of key may go now; else 0 and *retry_s. */
int sk_ratelimit_take(sk_ratelimit *l, sk_str key, int64_t now_ns, unsigned *retry_s);

/* ---- deliver.c: the webhook deliverer ---- */
/* Starts the thread that delivers the outbox (docs/notifications.md) with
 * a store handle of its own. api is borrowed and must outlive the
 * deliverer; its keyring, audit log and configuration are read. Call once
 * the HTTP daemon is up. SK_ERR_STORE when the handle cannot be opened,
 * SK_ERR_IO when the HTTP client cannot initialise, SK_ERR_NOMEM. */
sk_err sk_deliver_start(sk_api *api, sk_deliverer **out, sk_diag *diag);
/* Wakes the deliverer at once (an event was committed and may have filled
 * the outbox). NULL accepted. Thread-safe; never blocks for long. */
void sk_deliver_wake(sk_deliverer *d);
/* Stops the deliverer after the attempt in hand, joins it and frees it.
 * Call before the audit log is closed. NULL accepted. */
void sk_deliver_stop(sk_deliverer *d);

/* ---- sweep.c: the alert sweeper ---- */
/* Starts the thread that evaluates the deadline rules every alert_sweep_s
 * seconds and writes the notifications of newly open alerts (no thread, and
 * *out NULL, when alert_sweep_s is 0). Start after the deliverer, which it
 * wakes. SK_ERR_NOMEM, or the store's error. */
sk_err sk_sweep_start(sk_api *api, sk_sweeper **out, sk_diag *diag);
/* Stops the sweeper after its pass in hand, joins it and frees it. */
void sk_sweep_stop(sk_sweeper *w);

/* ---- handlers ---- */
void sk_api_openapi(sk_req *r);
void sk_api_me(sk_req *r);
void sk_api_events_post(sk_req *r);
void sk_api_events_batch(sk_req *r);
void sk_api_children_list(sk_req *r);
void sk_api_children_search(sk_req *r);
void sk_api_child_get(sk_req *r);
void sk_api_child_sponsors(sk_req *r);
void sk_api_agreements_list(sk_req *r);
void sk_api_agreement_get(sk_req *r);
void sk_api_policy_check(sk_req *r);
void sk_api_audit_subject(sk_req *r);
void sk_api_audit_report(sk_req *r);
void sk_api_audit_tree_head(sk_req *r);
void sk_api_audit_inclusion(sk_req *r);
void sk_api_audit_consistency(sk_req *r);
void sk_api_audit_verify(sk_req *r);
void sk_api_tokens_list(sk_req *r);
void sk_api_tokens_create(sk_req *r);
void sk_api_tokens_revoke(sk_req *r);
void sk_api_report_tracking(sk_req *r);
void sk_api_alerts_list(sk_req *r);
void sk_api_subscriptions_list(sk_req *r);
void sk_api_subscriptions_create(sk_req *r);
void sk_api_subscriptions_pause(sk_req *r);
void sk_api_subscriptions_resume(sk_req *r);
void sk_api_subscriptions_delete(sk_req *r);
void sk_api_subscriptions_deliveries(sk_req *r);

/* Runs the server until SIGTERM/SIGINT; returns an exit code. */
int sk_api_serve(const sk_config *cfg, int print_routes);

/* The embedded OpenAPI document (generated from docs/openapi.json). */
extern const unsigned char sk_openapi_json[];
extern const size_t sk_openapi_json_len;

#endif /* SK_API_H */
