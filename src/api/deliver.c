/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deliver.c: safekeepd's webhook deliverer, the one thread that empties the
 * outbox (docs/notifications.md).
 *
 * The thread owns a store handle of its own, opened as the request pool's
 * are, so a slow receiver never holds a handle a request needs. It works in
 * passes: take up to DELIVER_BATCH due rows; load each one's subscription
 * and secret (once per subscription in the pass); build and sign the thin
 * payloads; make the disclosures of the whole pass durable in the audit log
 * as one group (one fsync); then make one attempt per row, on connections
 * kept open between attempts, and record the outcomes in one transaction.
 * The audit records come first: a notification discloses that a child's
 * case changed, so, as for every response the server sends, no record
 * means nothing is sent (the rows stay pending). Batching is what lets one
 * thread keep up with a thousand events a second: per row, what is left is
 * the HTTP exchange itself.
 *
 * Between passes the thread sleeps until the earliest pending row falls
 * due, at most POLL_MS (events imported by the CLI into the same database
 * are found that way), and is woken at once by sk_deliver_wake when a
 * request commits an event, so a notification leaves within milliseconds.
 *
 * Delivery is at least once: a row is marked delivered only after a 2xx,
 * and a crash between the send and the mark sends it again, under the same
 * webhook-id, which receivers use to drop the repeat. A row of a paused
 * subscription stays pending and is looked at again every PAUSED_RECHECK_S;
 * a row of a deleted one fails. On stop the thread finishes the attempt in
 * hand and exits.
 */
#include "api.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "safekeep/sk_subscription.h"
#include "safekeep/sk_time.h"
#include "safekeep/sk_webhook.h"

#include "sk_int.h"

#define DELIVER_BATCH    256  /* rows taken per pass */
#define SUB_CACHE        16   /* subscriptions loaded per pass; more wait a pass */
#define POLL_MS          1000 /* longest sleep: rows written by another process */
#define NAP_MIN_MS       100  /* a row still due after a pass could not progress */
#define PAUSED_RECHECK_S 10   /* a paused subscription's rows are looked at again */
#define PAYLOAD_MAX      1024 /* the thin payload is a few hundred bytes */
#define REASON_MAX       256

/* A subscription as loaded for one pass. */
typedef struct sub_slot {
    sk_subscription sub;
    unsigned char key[SK_SUBSCRIPTION_SECRET_BYTES];
    int usable; /* active, and its secret unsealed */
} sub_slot;

/* What happens to one row of a pass. */
typedef enum row_plan {
    PLAN_SKIP = 0, /* left as it is: looked at in a later pass */
    PLAN_SEND,     /* audited and sent; outcome recorded */
    PLAN_DONE      /* outcome already decided (failed, or deferred) */
} row_plan;

/* One row of a pass and everything its attempt needs. */
typedef struct pass_item {
    row_plan plan;
    int slot;
    int64_t ts;
    char signature[SK_WEBHOOK_SIGNATURE_LEN + 1];
    char reason[REASON_MAX];
    char body[PAYLOAD_MAX];
    size_t body_len;
    sk_webhook_result res;
    sk_err send_rc;
} pass_item;

struct sk_deliverer {
    sk_api *api;
    sk_store *store;
    sk_webhook_client *client;
    pthread_t thread;
    sk_waker waker; /* woken by commits, stopped at shutdown */
    int started;
    /* The rows of the current pass, copied out of the store's scan, and
     * what the pass does with each. */
    sk_store_outbox rows[DELIVER_BATCH];
    pass_item items[DELIVER_BATCH];
    sk_audit_record recs[DELIVER_BATCH];
    size_t row_count;
    sub_slot subs[SUB_CACHE];
    size_t sub_count;
};

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int stopping(sk_deliverer *d)
{
    return sk_waker_stopping(&d->waker);
}

/* Records the attempt; a failure to record is logged only, since the row
 * then stays pending and is simply tried again. */
static void record(sk_deliverer *d, const sk_store_outbox *row, const char *state, int status,
                   const char *error, uint32_t latency_ms, int64_t attempted_at, int64_t next)
{
    sk_diag diag;

    sk_diag_clear(&diag);
    if (sk_store_outbox_attempt_timed(d->store, sk_str_c(row->id), state, status, sk_str_c(error),
                                      latency_ms, attempted_at, next, &diag) != SK_OK)
        fprintf(stderr, "safekeepd: deliver: cannot record the attempt of %s: %s\n", row->id,
                diag.msg);
}

/* Moves a row's next look without counting an attempt. */
static void defer(sk_deliverer *d, const sk_store_outbox *row, int64_t next)
{
    sk_diag diag;

    sk_diag_clear(&diag);
    if (sk_store_outbox_defer(d->store, sk_str_c(row->id), next, &diag) != SK_OK)
        fprintf(stderr, "safekeepd: deliver: cannot defer %s: %s\n", row->id, diag.msg);
}

/* An event's notification:
 *   {"type","timestamp","data":{event_id,event_type,subject,occurred_at}}
 * and an alert's:
 *   {"type":"alert.<rule>","timestamp","data":{alert_id,rule,subject,
 *    anchor_event_id,due_at}}
 * ids, a type and times only, never a field of the record. */
static sk_err payload(const sk_store_outbox *row, int64_t now, sk_buf *out)
{
    char ts[SK_RFC3339_LEN + 1], occurred[SK_RFC3339_LEN + 1];
    int alert = row->alert_id[0] != '\0';
    sk_err rc;

    sk_time_format_rfc3339(now, ts);
    sk_time_format_rfc3339(row->occurred_at, occurred);
    rc = sk_buf_appendc(out, "{\"type\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(out, sk_str_c(row->type));
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"timestamp\":\"%s\",\"data\":{\"%s\":", ts,
                           alert ? "alert_id" : "event_id");
    if (rc == SK_OK)
        rc = sk_buf_json_str(out, sk_str_c(alert ? row->alert_id : row->event_id));
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, alert ? ",\"rule\":" : ",\"event_type\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(out,
                             sk_str_c(alert ? row->type + SK_OUTBOX_ALERT_PREFIX_LEN : row->type));
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, ",\"subject\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(out, sk_str_c(row->subject));
    if (rc == SK_OK && alert) {
        rc = sk_buf_appendc(out, ",\"anchor_event_id\":");
        if (rc == SK_OK)
            rc = sk_buf_json_str(out, sk_str_c(row->event_id));
    }
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"%s\":\"%s\"}}", alert ? "due_at" : "occurred_at", occurred);
    return rc;
}

/* The disclosure of item's row to sub, into rec (borrowing item's text). */
static void audit_fill(const sk_store_outbox *row, const sk_subscription *sub, pass_item *item,
                       sk_audit_record *rec)
{
    int alert = row->alert_id[0] != '\0';

    /* An alert is told to its owner by the deadline rule's authority; an
     * event, under the agreement the subscription was matched against. */
    snprintf(item->reason, sizeof(item->reason), "%s %s to %s under subscription %s",
             alert ? "deadline alert" : "notification of", row->type, sub->agency, sub->id);
    memset(rec, 0, sizeof(*rec));
    rec->request_id = sk_str_c(row->id);
    rec->agency = sk_str_c(sub->agency);
    rec->user = SK_STR("webhook");
    rec->role = SK_STR("subscription");
    rec->purpose = sk_str_c(sk_purpose_names[sub->purpose]);
    rec->action = sk_str_c(sk_action_names[SK_ACTION_READ]);
    rec->entity = sk_str_c(sk_entity_names[SK_ENTITY_CHILD]);
    rec->subjects[0] = sk_str_c(row->subject);
    rec->subject_count = 1;
    rec->fields = 0; /* no field of the record is disclosed */
    rec->decision = SK_STR("permit");
    rec->rule_kind = alert ? SK_STR("deadline") : SK_STR("subscription");
    rec->rule_id = alert ? sk_str_c(row->type + SK_OUTBOX_ALERT_PREFIX_LEN) : sk_str_c(sub->id);
    rec->reason = sk_str_c(item->reason);
}

/* After an attempt that may heal: retry on the back-off schedule, unless
 * the row has run out of time. */
static void retry_or_fail(sk_deliverer *d, const sk_store_outbox *row, int64_t now, int status,
                          const char *error, uint32_t latency_ms)
{
    const sk_config *cfg = &d->api->cfg;
    int64_t first = row->first_attempt_at != 0 ? row->first_attempt_at : now;
    uint32_t base = cfg->webhook_base_s;
    uint32_t cap = cfg->webhook_cap_s < base ? base : cfg->webhook_cap_s;
    uint32_t rnd = 0;
    int64_t next;

    if (sk_webhook_expired(first, now, (int64_t)cfg->webhook_horizon_s)) {
        record(d, row, "failed", status, error, latency_ms, now, now);
        return;
    }
    sk_random_bytes(&rnd, sizeof(rnd));
    next = sk_webhook_next_attempt(row->attempts, now, rnd, base, cap);
    record(d, row, "pending", status, error, latency_ms, now, next);
}

/* Loads subscription id into a free slot of the pass. */
static void slot_load(sk_deliverer *d, sub_slot *slot, const char *id)
{
    sk_diag diag;
    sk_err rc;

    sk_diag_clear(&diag);
    memset(slot, 0, sizeof(*slot));
    rc = sk_subscription_get(d->store, sk_str_c(id), &slot->sub, &diag);
    if (rc == SK_ERR_NOT_FOUND) {
        snprintf(slot->sub.id, sizeof(slot->sub.id), "%s", id);
        slot->sub.state = SK_SUBSCRIPTION_DELETED;
        return;
    }
    if (rc == SK_OK && slot->sub.state == SK_SUBSCRIPTION_ACTIVE) {
        rc = sk_subscription_secret(d->store, d->api->keyring, sk_str_c(id), slot->key, &diag);
        slot->usable = rc == SK_OK;
    }
    if (rc != SK_OK && rc != SK_ERR_CRYPTO) {
        fprintf(stderr, "safekeepd: deliver: %s\n", diag.msg);
        slot->sub.id[0] = '\0'; /* a store failure: the row waits a pass */
    }
}

/* The pass's slot of row's subscription, loaded on first use; NULL when
 * the pass has no room left for another subscription. */
static sub_slot *slot_of(sk_deliverer *d, const sk_store_outbox *row)
{
    size_t i;

    for (i = 0; i < d->sub_count; i++) {
        if (strcmp(d->subs[i].sub.id, row->subscription_id) == 0)
            return &d->subs[i];
    }
    if (d->sub_count == SUB_CACHE)
        return NULL;
    slot_load(d, &d->subs[d->sub_count], row->subscription_id);
    return &d->subs[d->sub_count++];
}

/* Decides what the pass does with row i: fails or defers it at once, or
 * builds and signs its notification for sending. */
static void plan(sk_deliverer *d, size_t i, int64_t now)
{
    const sk_store_outbox *row = &d->rows[i];
    pass_item *item = &d->items[i];
    sub_slot *slot = slot_of(d, row);
    sk_buf body;

    memset(item, 0, sizeof(*item));
    item->plan = PLAN_DONE;
    if (slot == NULL || (slot->sub.id[0] == '\0')) {
        item->plan = PLAN_SKIP;
    } else if (slot->sub.state == SK_SUBSCRIPTION_DELETED) {
        record(d, row, "failed", 0, "the subscription was deleted", 0, 0, now);
    } else if (slot->sub.state == SK_SUBSCRIPTION_PAUSED) {
        defer(d, row, now + PAUSED_RECHECK_S);
    } else if (!slot->usable) {
        record(d, row, "failed", 0, "the subscription's secret cannot be read", 0, 0, now);
    } else {
        sk_buf_init(&body, PAYLOAD_MAX - 1);
        if (payload(row, now, &body) != SK_OK) {
            record(d, row, "failed", 0, "the notification could not be built", 0, now, now);
        } else {
            item->plan = PLAN_SEND;
            item->slot = (int)(slot - d->subs);
            item->ts = now;
            item->body_len = body.len;
            memcpy(item->body, body.ptr, body.len + 1);
            sk_webhook_sign(slot->key, SK_SUBSCRIPTION_SECRET_BYTES, sk_str_c(row->id), now,
                            sk_buf_str(&body), item->signature);
        }
        sk_buf_fini(&body);
    }
}

/* Records the outcome of row i's attempt. */
static void outcome(sk_deliverer *d, size_t i, int64_t now)
{
    const sk_store_outbox *row = &d->rows[i];
    const pass_item *item = &d->items[i];
    const sk_webhook_result *res = &item->res;

    if (item->send_rc == SK_ERR_INVALID || item->send_rc == SK_ERR_TOO_LARGE)
        record(d, row, "failed", 0, "the notification could not be sent", 0, now, now);
    else if (item->send_rc != SK_OK)
        retry_or_fail(d, row, now, 0, "the attempt could not be set up", 0);
    else if (res->outcome == SK_WEBHOOK_DELIVERED)
        record(d, row, "delivered", res->status, "", res->latency_ms, now, now);
    else if (res->outcome == SK_WEBHOOK_FAILED)
        record(d, row, "failed", res->status, res->error, res->latency_ms, now, now);
    else
        retry_or_fail(d, row, now, res->status, res->error, res->latency_ms);
}

/* Makes the disclosures of the rows to send durable, as one group. No
 * record, no send: on failure every such row waits for a log that works. */
static int audit_pass(sk_deliverer *d, int64_t now)
{
    size_t i, n = 0;

    for (i = 0; i < d->row_count; i++) {
        if (d->items[i].plan == PLAN_SEND)
            audit_fill(&d->rows[i], &d->subs[d->items[i].slot].sub, &d->items[i], &d->recs[n++]);
    }
    if (n == 0 || sk_audit_append_many(d->api->audit, d->recs, n, NULL) == SK_OK)
        return 1;
    fprintf(stderr, "safekeepd: deliver: audit log unavailable, %zu notifications stay pending\n",
            n);
    for (i = 0; i < d->row_count; i++) {
        if (d->items[i].plan == PLAN_SEND)
            defer(d, &d->rows[i], now + (int64_t)d->api->cfg.webhook_base_s);
    }
    return 0;
}

/* Sends the audited rows, then records every outcome in one transaction. */
static void send_pass(sk_deliverer *d)
{
    sk_diag diag;
    size_t i;
    int tx;

    for (i = 0; i < d->row_count; i++) {
        pass_item *item = &d->items[i];
        if (item->plan != PLAN_SEND)
            continue;
        if (stopping(d)) {
            item->plan = PLAN_SKIP; /* audited, not sent: sent after a restart */
            continue;
        }
        item->send_rc =
            sk_webhook_client_post(d->client, d->subs[item->slot].sub.url, sk_str_c(d->rows[i].id),
                                   item->ts, (sk_str){item->body, item->body_len}, item->signature,
                                   d->api->cfg.webhook_timeout_ms, &item->res);
    }
    sk_diag_clear(&diag);
    tx = sk_store_begin(d->store, &diag) == SK_OK;
    for (i = 0; i < d->row_count; i++) {
        if (d->items[i].plan == PLAN_SEND)
            outcome(d, i, sk_time_now());
    }
    if (tx && sk_store_commit(d->store, &diag) != SK_OK) {
        /* The rows stay pending and are sent again: at least once. */
        fprintf(stderr, "safekeepd: deliver: cannot record a pass: %s\n", diag.msg);
        sk_store_rollback(d->store);
    }
}

static int collect(const sk_store_outbox *row, void *ctx)
{
    sk_deliverer *d = ctx;

    SK_ASSERT(d->row_count < DELIVER_BATCH);
    d->rows[d->row_count++] = *row;
    return 0;
}

/* Forgets the pass's subscriptions and the keys they hold. */
static void pass_end(sk_deliverer *d)
{
    sk_wipe(d->subs, d->sub_count * sizeof(d->subs[0]));
    d->sub_count = 0;
}

/* One pass over the due rows; 1 when the batch was full (more may wait). */
static int pass(sk_deliverer *d)
{
    int64_t now = sk_time_now();
    sk_diag diag;
    size_t i;

    sk_diag_clear(&diag);
    d->row_count = 0;
    if (sk_store_outbox_due(d->store, now, DELIVER_BATCH, collect, d, &diag) != SK_OK) {
        fprintf(stderr, "safekeepd: deliver: %s\n", diag.msg);
        return 0;
    }
    for (i = 0; i < d->row_count; i++)
        plan(d, i, now);
    if (audit_pass(d, now))
        send_pass(d);
    pass_end(d);
    return d->row_count == DELIVER_BATCH;
}

static int first_due(const sk_store_outbox *row, void *ctx)
{
    *(int64_t *)ctx = row->next_attempt_at;
    return 1;
}

/* Milliseconds until the earliest pending row falls due, within POLL_MS.
 * A row that is already due after a full pass is one whose attempt could
 * not be made or recorded (a busy or failing store): NAP_MIN_MS keeps the
 * thread from spinning on it. */
static int64_t sleep_ms(sk_deliverer *d)
{
    int64_t due = INT64_MAX, ms = POLL_MS;
    sk_diag diag;

    sk_diag_clear(&diag);
    if (sk_store_outbox_due(d->store, INT64_MAX, 1, first_due, &due, &diag) == SK_OK &&
        due != INT64_MAX && due <= INT64_MAX / 1000 - 1)
        ms = due * 1000 - wall_ms();
    if (ms > POLL_MS)
        ms = POLL_MS;
    return ms < NAP_MIN_MS ? NAP_MIN_MS : ms;
}

static void *run(void *arg)
{
    sk_deliverer *d = arg;

    while (!stopping(d)) {
        sk_waker_arm(&d->waker); /* an event committed from here on wakes the next nap */
        if (pass(d))
            continue;
        sk_waker_nap(&d->waker, sleep_ms(d));
    }
    return NULL;
}

static void deliverer_free(sk_deliverer *d)
{
    if (d == NULL)
        return;
    sk_store_close(d->store);
    sk_webhook_client_free(d->client);
    sk_waker_fini(&d->waker);
    sk_wipe(d->rows, sizeof(d->rows));
    free(d);
}

sk_err sk_deliver_start(sk_api *api, sk_deliverer **out, sk_diag *diag)
{
    sk_deliverer *d;
    sk_err rc;

    SK_ASSERT(api != NULL);
    SK_ASSERT(out != NULL);
    *out = NULL;
    rc = sk_webhook_global_init();
    if (rc != SK_OK)
        return sk_diag_set(diag, rc, "deliver", "cannot initialise the HTTP client");
    d = calloc(1, sizeof(*d));
    if (d == NULL)
        return SK_ERR_NOMEM;
    d->api = api;
    sk_waker_init(&d->waker);
    rc = sk_store_open(api->cfg.db, 0, &d->store, diag);
    if (rc == SK_OK)
        rc = sk_webhook_client_new(&d->client);
    if (rc == SK_OK && pthread_create(&d->thread, NULL, run, d) != 0)
        rc = sk_diag_set(diag, SK_ERR_NOMEM, "deliver", "cannot start the deliverer thread");
    if (rc != SK_OK) {
        deliverer_free(d);
        return rc;
    }
    d->started = 1;
    *out = d;
    return SK_OK;
}

void sk_deliver_wake(sk_deliverer *d)
{
    if (d != NULL)
        sk_waker_wake(&d->waker);
}

void sk_deliver_stop(sk_deliverer *d)
{
    if (d == NULL)
        return;
    sk_waker_stop(&d->waker);
    if (d->started)
        pthread_join(d->thread, NULL);
    deliverer_free(d);
}
