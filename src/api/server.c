/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server.c: safekeepd's HTTP layer on libmicrohttpd.
 *
 * libmicrohttpd runs a pool of worker threads, each with its own epoll set
 * (MHD_USE_EPOLL_INTERNAL_THREAD + MHD_OPTION_THREAD_POOL_SIZE), so both
 * cores serve requests. A request collects its body into its arena (every
 * limit checked on entry), then the route's needs are enforced here, in one
 * place: a matching route and method, a JSON body, a valid bearer token, the
 * token's rate, a declared purpose. The handler prepares the response and
 * the audit records; this file then suspends the connection and hands the
 * records to the audit log's group commit without blocking the worker, so
 * one fsync covers every request that arrived meanwhile. The audit writer's
 * callback resumes the connection; the worker sends the response, or a 503
 * and nothing else if the log failed.
 *
 * Store handles come from a small pool (an SQLite handle serves one thread
 * at a time); arenas come from a pool too, and are wiped on return: they
 * held personal data. Shutdown on SIGTERM or SIGINT stops accepting, lets
 * the requests in flight finish (their audit records included), closes the
 * log and records its size in the database, so a later truncation shows.
 */
#include "api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "safekeep/sk_id.h"
#include "safekeep/sk_policy_store.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define ARENA_CHUNK_BYTES (64 * 1024)
#define DRAIN_WAIT_MS     30000

/* ---- store pool ---- */

typedef struct store_slot {
    sk_store *store;
    int busy;
} store_slot;

struct sk_store_pool {
    pthread_mutex_t mu;
    pthread_cond_t freed;
    store_slot *slots;
    size_t n;
};

static void store_pool_free(sk_store_pool *p)
{
    size_t i;

    if (p == NULL)
        return;
    for (i = 0; i < p->n; i++)
        sk_store_close(p->slots[i].store);
    free(p->slots);
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static sk_err store_pool_new(const char *db, size_t n, sk_store_pool **out, sk_diag *diag)
{
    sk_store_pool *p = calloc(1, sizeof(*p));
    sk_err rc = SK_OK;
    size_t i;

    if (p == NULL)
        return SK_ERR_NOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->freed, NULL);
    p->slots = calloc(n, sizeof(*p->slots));
    if (p->slots == NULL)
        rc = SK_ERR_NOMEM;
    for (i = 0; rc == SK_OK && i < n; i++) {
        rc = sk_store_open(db, 0, &p->slots[i].store, diag);
        if (rc == SK_OK)
            p->n++;
    }
    if (rc != SK_OK) {
        store_pool_free(p);
        return rc;
    }
    *out = p;
    return SK_OK;
}

static store_slot *store_lease(sk_store_pool *p)
{
    store_slot *s = NULL;
    size_t i;

    pthread_mutex_lock(&p->mu);
    while (s == NULL) {
        for (i = 0; i < p->n && s == NULL; i++) {
            if (!p->slots[i].busy)
                s = &p->slots[i];
        }
        if (s == NULL)
            pthread_cond_wait(&p->freed, &p->mu);
    }
    s->busy = 1;
    pthread_mutex_unlock(&p->mu);
    return s;
}

static void store_return(sk_store_pool *p, store_slot *s)
{
    pthread_mutex_lock(&p->mu);
    s->busy = 0;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->mu);
}

sk_store *sk_api_store(sk_req *r)
{
    if (r->store == NULL) {
        store_slot *s = store_lease(r->api->stores);
        r->lease = s;
        r->store = s->store;
    }
    return r->store;
}

/* ---- arena pool ---- */

static pthread_mutex_t arena_mu = PTHREAD_MUTEX_INITIALIZER;
static sk_arena *arena_free_list[256];
static size_t arena_free_count;

static sk_err arena_get(size_t bytes_max, sk_arena **out)
{
    pthread_mutex_lock(&arena_mu);
    *out = arena_free_count > 0 ? arena_free_list[--arena_free_count] : NULL;
    pthread_mutex_unlock(&arena_mu);
    if (*out != NULL)
        return SK_OK;
    return sk_arena_new(ARENA_CHUNK_BYTES, bytes_max, out);
}

static void arena_put(sk_arena *a)
{
    if (a == NULL)
        return;
    sk_arena_reset(a); /* wipes: it held personal data */
    pthread_mutex_lock(&arena_mu);
    if (arena_free_count < SK_ARRAY_LEN(arena_free_list)) {
        arena_free_list[arena_free_count++] = a;
        a = NULL;
    }
    pthread_mutex_unlock(&arena_mu);
    sk_arena_free(a);
}

static void arena_pool_drain(void)
{
    pthread_mutex_lock(&arena_mu);
    while (arena_free_count > 0)
        sk_arena_free(arena_free_list[--arena_free_count]);
    pthread_mutex_unlock(&arena_mu);
}

/* ---- requests ---- */

static int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static sk_req *req_new(sk_api *api, struct MHD_Connection *conn, const char *url,
                       const char *method)
{
    unsigned char rnd[16];
    sk_req *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    if (arena_get(api->cfg.arena_bytes_max, &r->arena) != SK_OK) {
        free(r);
        return NULL;
    }
    r->api = api;
    r->conn = conn;
    r->start_ns = mono_ns();
    r->agency = r->role = r->purpose = -1;
    sk_buf_init(&r->out, SK_API_RESPONSE_MAX);
    sk_random_bytes(rnd, sizeof(rnd));
    sk_uuid_format(rnd, 4, r->request_id);
    sk_api_route_match(method, url, &r->route, &r->method_ok, r->params);
    atomic_store(&r->state, SK_REQ_BODY);
    atomic_fetch_add(&api->inflight, 1);
    return r;
}

static void req_free(sk_req *r)
{
    atomic_fetch_sub(&r->api->inflight, 1);
    sk_buf_fini(&r->out);
    arena_put(r->arena);
    free(r);
}

/* Collects body bytes into the arena; past the limit, keeps reading (so the
 * client gets its 413) but stores nothing more. */
static void body_append(sk_req *r, const char *data, size_t len)
{
    size_t max = r->api->cfg.body_bytes_max;
    void *p;

    if (r->body_too_large || len > max - r->body_len) {
        r->body_too_large = 1;
        return;
    }
    if (r->body_len + len + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap * 2 : 4096;
        while (cap < r->body_len + len + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        if (sk_arena_alloc(r->arena, cap, &p) != SK_OK) {
            r->body_too_large = 1;
            return;
        }
        if (r->body_len > 0)
            memcpy(p, r->body, r->body_len);
        r->body = p;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
}

/* ---- sending ---- */

typedef struct owned_body {
    char *ptr;
    size_t len;
} owned_body;

static void owned_free(void *cls)
{
    owned_body *b = cls;

    sk_wipe(b->ptr, b->len);
    free(b->ptr);
    free(b);
}

static enum MHD_Result send_prepared(sk_req *r)
{
    struct MHD_Response *resp;
    owned_body *b = calloc(1, sizeof(*b));
    enum MHD_Result ret;

    if (b == NULL)
        return MHD_NO;
    b->len = r->out.len;
    b->ptr = sk_buf_take(&r->out);
    if (b->ptr == NULL)
        b->len = 0;
    resp = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->ptr, owned_free, b);
    if (resp == NULL) {
        owned_free(b);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->content_type ? r->content_type : "application/json");
    MHD_add_response_header(resp, SK_API_REQUEST_ID_HEADER, r->request_id);
    /* Answers hold personal data: no cache may keep them. */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->allow[0] != '\0')
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (r->retry_after_s > 0) {
        char s[16];
        snprintf(s, sizeof(s), "%u", r->retry_after_s);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, s);
    }
    if (r->status == 0)
        r->status = 500;
    ret = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    atomic_store(&r->state, SK_REQ_SENT);
    return ret;
}

/* ---- the gatekeeping every route gets ---- */

static int json_content_type(sk_req *r)
{
    const char *ct = sk_api_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = strlen("application/json");

    return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static int authenticate(sk_req *r)
{
    const char *h = sk_api_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    sk_api *api = r->api;
    unsigned retry = 0;
    sk_err rc = SK_ERR_DENIED;
    sk_store *store;

    if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
        store = sk_api_store(r);
        rc = sk_token_verify(store, api->keyring, sk_str_c(h + 7), sk_time_now(), &r->token);
    }
    if (rc == SK_ERR_STORE) {
        sk_api_problem(r, 503, "unavailable", "the store is unavailable; try again");
        return 0;
    }
    if (rc != SK_OK) {
        /* One answer for every failure: no oracle for ids or expiry. */
        sk_api_problem(r, 401, "unauthorized", "a valid bearer token is required");
        return 0;
    }
    if (!sk_ratelimit_take(api->limiter, sk_str_c(r->token.id), mono_ns(), &retry)) {
        r->retry_after_s = retry;
        sk_api_problem(r, 429, "rate-limited", "too many requests for this token; slow down");
        return 0;
    }
    r->agency = sk_policy_agency(api->policy, sk_str_c(r->token.agency));
    r->role = sk_policy_role(api->policy, sk_str_c(r->token.role));
    return 1;
}

static int declared_purpose(sk_req *r)
{
    const char *h = sk_api_header(r, SK_API_PURPOSE_HEADER);

    if (h == NULL || h[0] == '\0') {
        sk_api_problem(r, 400, "purpose-required",
                       "this route reads or writes personal records: declare the purpose in "
                       "the " SK_API_PURPOSE_HEADER " header");
        return 0;
    }
    r->purpose = sk_policy_lookup(sk_purpose_names, sk_str_c(h));
    if (r->purpose < 0) {
        sk_api_problem(r, 400, "bad-request",
                       "unknown purpose in the " SK_API_PURPOSE_HEADER
                       " header (see /openapi.json)");
        return 0;
    }
    return 1;
}

static void dispatch(sk_req *r, const char *url)
{
    const sk_route *rt = r->route;

    if (rt == NULL) {
        sk_api_problem(r, 404, "not-found", "no such resource");
        return;
    }
    if (!r->method_ok) {
        sk_api_route_allow(url, r->allow, sizeof(r->allow));
        sk_api_problem(r, 405, "method-not-allowed", "this resource does not take that method");
        return;
    }
    if (r->body_too_large) {
        sk_api_problem(r, 413, "payload-too-large", "the request body is larger than allowed");
        return;
    }
    if ((rt->flags & SK_ROUTE_BODY) && !json_content_type(r)) {
        sk_api_problem(r, 415, "unsupported-media-type", "send the body as application/json");
        return;
    }
    if ((rt->flags & SK_ROUTE_AUTH) && !authenticate(r))
        return;
    if ((rt->flags & SK_ROUTE_PURPOSE) && !declared_purpose(r))
        return;
    rt->fn(r);
}

static void audit_done(void *ctx, sk_err rc, uint64_t first_seq)
{
    sk_req *r = ctx;

    (void)first_seq;
    r->audit_rc = rc;
    atomic_store(&r->state, SK_REQ_AUDIT_DONE);
    MHD_resume_connection(r->conn);
}

/* Releases what the handler prepared once its audit records are durable. */
static void release_store(sk_req *r)
{
    if (r->lease != NULL) {
        store_return(r->api->stores, r->lease);
        r->lease = NULL;
        r->store = NULL;
    }
}

static enum MHD_Result finish(sk_req *r)
{
    sk_err rc;

    release_store(r);
    if (r->audit_n == 0 && r->after_audit != NULL) {
        r->after_audit(r);
        release_store(r);
    }
    if (r->audit_n == 0)
        return send_prepared(r);
    atomic_store(&r->state, SK_REQ_AUDIT_WAIT);
    MHD_suspend_connection(r->conn);
    rc = sk_audit_append_async(r->api->audit, r->audit, r->audit_n, audit_done, r);
    if (rc != SK_OK) {
        r->audit_rc = rc;
        atomic_store(&r->state, SK_REQ_AUDIT_DONE);
        MHD_resume_connection(r->conn);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    sk_api *api = cls;
    sk_req *r = *con_cls;
    enum MHD_Result ret;

    (void)version;
    if (r == NULL) {
        r = req_new(api, conn, url, method);
        if (r == NULL)
            return MHD_NO;
        *con_cls = r;
        return MHD_YES;
    }
    switch (atomic_load(&r->state)) {
    case SK_REQ_BODY:
        if (*upload_size > 0) {
            body_append(r, upload, *upload_size);
            *upload_size = 0;
            return MHD_YES;
        }
        pthread_rwlock_rdlock(&api->policy_lock);
        dispatch(r, url);
        ret = finish(r);
        pthread_rwlock_unlock(&api->policy_lock);
        return ret;
    case SK_REQ_AUDIT_DONE:
        if (r->audit_rc != SK_OK) {
            /* No audit, no data: the prepared answer is wiped unsent. */
            atomic_store(&api->audit_failed, 1);
            sk_buf_reset(&r->out);
            r->allow[0] = '\0';
            sk_api_problem(r, 503, "audit-unavailable",
                           "the disclosure could not be recorded, so nothing is disclosed");
        } else if (r->after_audit != NULL) {
            /* The write matches subscriptions against the policy: a reload
             * must not swap it meanwhile. */
            sk_buf_reset(&r->out);
            pthread_rwlock_rdlock(&api->policy_lock);
            r->after_audit(r);
            pthread_rwlock_unlock(&api->policy_lock);
            release_store(r);
        }
        return send_prepared(r);
    default:
        return MHD_YES;
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    sk_api *api = cls;
    sk_req *r = *con_cls;
    int64_t ns;

    (void)conn;
    (void)toe;
    if (r == NULL)
        return;
    ns = mono_ns() - r->start_ns;
    sk_metrics_observe(api->metrics, r->route, r->status, ns, r->decision_permit, r->decision_deny);
    if (r->lease != NULL)
        store_return(api->stores, r->lease);
    *con_cls = NULL;
    req_free(r);
}

/* ---- start, run, stop ---- */

static sk_err resolve(const sk_config *cfg, struct sockaddr_storage *ss, socklen_t *len,
                      sk_diag *diag)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    int err;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    snprintf(port, sizeof(port), "%u", (unsigned)cfg->listen_port);
    err = getaddrinfo(cfg->listen_host[0] ? cfg->listen_host : NULL, port, &hints, &res);
    if (err != 0 || res == NULL || res->ai_addrlen > sizeof(*ss))
        return sk_diag_set(diag, SK_ERR_INVALID, "listen", "cannot resolve the listen address");
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return SK_OK;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decoding of paths and query values, except that %00 and %2F stay
 * encoded: a NUL would cut an id short and a decoded slash would move a
 * request onto another route. Left encoded, they fail the id syntax and the
 * request is a plain 404. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    char *out = s;
    const char *in = s;

    (void)cls;
    (void)conn;
    while (*in != '\0') {
        int hi = in[0] == '%' ? hex_value(in[1]) : -1;
        int lo = hi >= 0 ? hex_value(in[2]) : -1;
        int v = hi * 16 + lo;
        if (hi >= 0 && lo >= 0 && v != 0 && v != '/') {
            *out++ = (char)v;
            in += 3;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("safekeepd: http: ", stderr);
    vfprintf(stderr, fmt, ap);
}

static sk_err start_http(sk_api *api, sk_diag *diag)
{
    const sk_config *cfg = &api->cfg;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    sk_err rc = resolve(cfg, &ss, &len, diag);

    if (rc != SK_OK)
        return rc;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    api->mhd = MHD_start_daemon(
        flags, cfg->listen_port, NULL, NULL, on_request, api, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)cfg->timeout_s, MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->connections_max,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->header_bytes_max,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, api, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
        MHD_OPTION_END);
    if (api->mhd == NULL)
        return sk_diag_set(diag, SK_ERR_IO, "listen", "cannot listen on %s:%u", cfg->listen_host,
                           (unsigned)cfg->listen_port);
    return SK_OK;
}

static uint16_t bound_port(sk_api *api)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_BIND_PORT);

    return info != NULL ? info->port : 0;
}

static sk_err announce(sk_api *api, sk_diag *diag)
{
    uint16_t port = bound_port(api);
    FILE *f;

    printf("safekeepd: listening on http://%s:%u/ (%u threads)\n", api->cfg.listen_host,
           (unsigned)port, api->cfg.threads);
    fflush(stdout);
    if (api->cfg.port_file[0] == '\0')
        return SK_OK;
    f = fopen(api->cfg.port_file, "w");
    if (f == NULL)
        return sk_diag_set(diag, SK_ERR_IO, "port_file", "cannot write the port file");
    fprintf(f, "%u\n", (unsigned)port);
    return fclose(f) == 0 ? SK_OK
                          : sk_diag_set(diag, SK_ERR_IO, "port_file", "cannot write the port file");
}

/* The log must reach at least as far as the database says was acknowledged. */
static sk_err open_audit(sk_api *api, sk_store *store, sk_diag *diag)
{
    uint64_t acknowledged = sk_cli_audit_expected_size(store);
    const char *fail = getenv("SAFEKEEP_TEST_AUDIT_FAIL_AFTER");
    sk_audit_sth head;
    sk_err rc;

    rc = sk_audit_open(api->cfg.audit_log, api->keyring, &api->audit, diag);
    if (rc != SK_OK)
        return rc;
    sk_audit_head(api->audit, &head);
    if (head.size < acknowledged)
        return sk_diag_set(diag, SK_ERR_CRYPTO, "audit log",
                           "%llu records, but %llu were acknowledged: the log was truncated",
                           (unsigned long long)head.size, (unsigned long long)acknowledged);
    sk_audit_set_gather(api->audit, api->cfg.audit_gather_us);
    /* Fault injection for the tests: the Nth write or sync fails. */
    if (fail != NULL && fail[0] != '\0')
        sk_audit_fail_after(api->audit, strtoul(fail, NULL, 10));
    return SK_OK;
}

static sk_err open_all(sk_api *api, sk_diag *diag)
{
    sk_store *store = NULL;
    sk_err rc;

    rc = sk_keyring_open(api->cfg.key_file, &api->keyring, diag);
    if (rc == SK_OK)
        rc = sk_store_open(api->cfg.db, 0, &store, diag);
    if (rc == SK_OK)
        rc = sk_cli_key_verify(store, api->keyring, diag);
    if (rc == SK_OK)
        rc = sk_policy_load(store, &api->policy, diag);
    if (rc == SK_OK)
        rc = open_audit(api, store, diag);
    sk_store_close(store);
    if (rc == SK_OK)
        rc = store_pool_new(api->cfg.db, api->cfg.threads + 2u, &api->stores, diag);
    if (rc == SK_OK)
        rc = sk_ratelimit_new(api->cfg.rate_per_s, api->cfg.rate_burst, &api->limiter);
    if (rc == SK_OK)
        rc = sk_metrics_new(&api->metrics);
    return rc;
}

/* Remembers how far the log reached, as the CLI does after its appends. */
static void note_audit_size(sk_api *api)
{
    sk_audit_sth head;
    sk_store *store = NULL;
    sk_diag diag;

    sk_diag_clear(&diag);
    sk_audit_head(api->audit, &head);
    if (sk_store_open(api->cfg.db, 0, &store, &diag) != SK_OK ||
        sk_cli_audit_note_size(store, head.size, &diag) != SK_OK)
        fprintf(stderr, "safekeepd: cannot record the audit log size: %s\n", diag.msg);
    sk_store_close(store);
}

static void close_all(sk_api *api)
{
    sk_audit_close(api->audit); /* commits what is pending */
    api->audit = NULL;
    store_pool_free(api->stores);
    sk_ratelimit_free(api->limiter);
    sk_metrics_free(api->metrics);
    sk_policy_free(api->policy);
    sk_keyring_free(api->keyring);
    arena_pool_drain();
}

static void reload_policy(sk_api *api)
{
    sk_policy *fresh = NULL, *old;
    sk_store *store = NULL;
    sk_diag diag;
    sk_err rc;

    sk_diag_clear(&diag);
    rc = sk_store_open(api->cfg.db, 0, &store, &diag);
    if (rc == SK_OK)
        rc = sk_policy_load(store, &fresh, &diag);
    sk_store_close(store);
    if (rc != SK_OK) {
        fprintf(stderr, "safekeepd: policy reload failed, keeping the old one: %s\n", diag.msg);
        return;
    }
    pthread_rwlock_wrlock(&api->policy_lock);
    old = api->policy;
    api->policy = fresh;
    pthread_rwlock_unlock(&api->policy_lock);
    sk_policy_free(old);
    fprintf(stderr, "safekeepd: policy reloaded\n");
}

/* Stops accepting, then waits for the requests in flight (and their audit
 * records) before the daemon is torn down. */
static void drain(sk_api *api)
{
    struct timespec ts = {0, 10 * 1000 * 1000};
    int waited_ms = 0;
    MHD_socket fd = MHD_quiesce_daemon(api->mhd);

    /* New connections are refused at once, but the descriptor is closed
     * only after the workers are gone: they may still be taking it out of
     * their epoll sets, and a closed descriptor number can be reused. */
    if (fd != MHD_INVALID_SOCKET)
        shutdown(fd, SHUT_RDWR);
    while (atomic_load(&api->inflight) > 0 && waited_ms < DRAIN_WAIT_MS) {
        nanosleep(&ts, NULL);
        waited_ms += 10;
    }
    MHD_stop_daemon(api->mhd);
    api->mhd = NULL;
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

static int wait_for_signal(sk_api *api, const sigset_t *set)
{
    int sig = 0;

    for (;;) {
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            reload_policy(api);
            continue;
        }
        return sig;
    }
}

int sk_api_serve(const sk_config *cfg, int print_routes)
{
    sk_api *api;
    sigset_t set;
    sk_diag diag;
    sk_err rc;
    int sig;

    if (print_routes) {
        size_t i;
        for (i = 0; i < sk_api_route_count(); i++)
            printf("%s %s\n", sk_api_routes[i].method, sk_api_routes[i].path);
        return SK_EXIT_OK;
    }
    api = calloc(1, sizeof(*api));
    if (api == NULL)
        return SK_EXIT_FAIL;
    sk_diag_clear(&diag);
    api->cfg = *cfg;
    pthread_rwlock_init(&api->policy_lock, NULL);
    /* Signals are taken by this thread alone, with sigwait: every thread
     * started from here on inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = open_all(api, &diag);
    /* The deliverer exists before any worker thread that may wake it. */
    if (rc == SK_OK)
        rc = sk_deliver_start(api, &api->deliverer, &diag);
    if (rc == SK_OK)
        rc = sk_sweep_start(api, &api->sweeper, &diag);
    if (rc == SK_OK)
        rc = start_http(api, &diag);
    if (rc == SK_OK)
        rc = announce(api, &diag);
    if (rc == SK_OK) {
        sig = wait_for_signal(api, &set);
        fprintf(stderr, "safekeepd: %s: finishing requests in flight\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    if (api->mhd != NULL)
        drain(api);
    /* After the requests (no more wake-ups) and before the audit log closes
     * (a delivery appends to it). */
    sk_sweep_stop(api->sweeper); /* it wakes the deliverer */
    api->sweeper = NULL;
    sk_deliver_stop(api->deliverer);
    api->deliverer = NULL;
    if (rc == SK_OK)
        note_audit_size(api);
    if (rc != SK_OK)
        sk_cli_error("serve", rc, &diag);
    close_all(api);
    pthread_rwlock_destroy(&api->policy_lock);
    free(api);
    if (rc == SK_OK)
        fprintf(stderr, "safekeepd: stopped\n");
    return rc == SK_OK ? SK_EXIT_OK : SK_EXIT_FAIL;
}
