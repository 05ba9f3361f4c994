/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sweep.c: safekeepd's alert sweeper, the thread that finds the deadline
 * alerts falling due with no event to bring them (docs/notifications.md).
 *
 * An event that raises an alert at once (a missed hearing) has its
 * notification written by the ingest, in the event's transaction. An alert
 * that falls due later (a wellness call 30 days after a release) is raised
 * by the clock, not by an event, so this thread evaluates every rule over
 * the whole ledger every alert_sweep_s seconds, and at start, and offers one
 * outbox row per open alert to each alert subscription of its owner. Rows
 * are keyed by alert and subscription, so an alert already told is skipped.
 *
 * The evaluation only reads; the rows it finds are written afterwards, in
 * short transactions, so a sweep of a large ledger never holds the write
 * lock that requests need. At most SWEEP_BATCH new alerts are kept per
 * pass; a full batch starts another pass at once. The thread has its own
 * store handle and never touches the policy: an alert's owner is named by
 * the deadline rule, not by an agreement.
 */
#include "api.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "safekeep/sk_deadline.h"
#include "safekeep/sk_subscription.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define SWEEP_BATCH 4096 /* new alerts kept per pass (about 1.5 MiB) */
#define WRITE_BATCH 256  /* outbox rows per write transaction */

/* What an outbox row needs of an alert. */
typedef struct found_alert {
    char id[SK_ALERT_ID_MAX + 1];
    char child[SK_ID_LEN_MAX + 1];
    char owner[SK_ID_LEN_MAX + 1];
    char anchor_id[SK_ID_LEN_MAX + 1];
    sk_deadline_rule rule;
    int64_t due_at;
} found_alert;

struct sk_sweeper {
    sk_api *api;
    sk_store *store;
    pthread_t thread;
    sk_waker waker; /* stopped at shutdown; never woken */
    int started;
    sk_deadline_config cfg;
    sk_subscription_set *subs; /* of the current pass */
    found_alert *found;
    size_t found_count;
    sk_err rc; /* of the current pass's lookups */
    sk_diag diag;
};

static int stopping(sk_sweeper *w)
{
    return sk_waker_stopping(&w->waker);
}

/* 1 when some subscription of the set would be told of alert and has not
 * been yet. */
static int untold(sk_sweeper *w, const sk_alert *alert)
{
    char id[SK_OUTBOX_ID_LEN + 1];
    size_t i, n = sk_subscription_set_count(w->subs);
    int found = 0;

    for (i = 0; i < n && w->rc == SK_OK; i++) {
        const sk_subscription *sub = sk_subscription_set_at(w->subs, i);
        if (!(sub->types & SK_SUBSCRIPTION_ALERTS) || strcmp(sub->agency, alert->owner) != 0)
            continue;
        sk_outbox_id(sk_str_c(alert->id), sk_str_c(sub->id), id);
        w->rc = sk_store_outbox_has(w->store, sk_str_c(id), &found, &w->diag);
        if (w->rc == SK_OK && !found)
            return 1;
    }
    return 0;
}

static int collect(const sk_alert *alert, void *ctx)
{
    sk_sweeper *w = ctx;
    found_alert *f;

    if (alert->state != SK_ALERT_OPEN || !untold(w, alert))
        return w->rc != SK_OK;
    f = &w->found[w->found_count++];
    memcpy(f->id, alert->id, sizeof(f->id));
    memcpy(f->child, alert->child, sizeof(f->child));
    memcpy(f->owner, alert->owner, sizeof(f->owner));
    memcpy(f->anchor_id, alert->anchor_id, sizeof(f->anchor_id));
    f->rule = alert->rule;
    f->due_at = alert->due_at;
    return w->found_count == SWEEP_BATCH || stopping(w);
}

/* Writes the rows of found[from, to) in one transaction; *added counts. */
static sk_err write_rows(sk_sweeper *w, size_t from, size_t to, int64_t now, size_t *added)
{
    sk_alert alert;
    size_t i, n = 0;
    sk_err rc = sk_store_begin(w->store, &w->diag);

    memset(&alert, 0, sizeof(alert));
    alert.state = SK_ALERT_OPEN;
    for (i = from; rc == SK_OK && i < to; i++) {
        const found_alert *f = &w->found[i];
        memcpy(alert.id, f->id, sizeof(alert.id));
        memcpy(alert.child, f->child, sizeof(alert.child));
        memcpy(alert.owner, f->owner, sizeof(alert.owner));
        memcpy(alert.anchor_id, f->anchor_id, sizeof(alert.anchor_id));
        alert.rule = f->rule;
        alert.due_at = f->due_at;
        rc = sk_subscription_enqueue_alert(w->store, w->subs, &alert, now, &n, &w->diag);
        *added += n;
    }
    if (rc == SK_OK)
        return sk_store_commit(w->store, &w->diag);
    sk_store_rollback(w->store);
    return rc;
}

/* One pass: 1 when it filled its batch (more alerts may wait). */
static int pass(sk_sweeper *w)
{
    int64_t now = sk_time_now();
    size_t i, added = 0;
    sk_err rc;

    sk_diag_clear(&w->diag);
    w->found_count = 0;
    w->rc = SK_OK;
    rc = sk_subscription_set_load(w->store, &w->subs, &w->diag);
    if (rc == SK_OK && (sk_subscription_set_types(w->subs) & SK_SUBSCRIPTION_ALERTS))
        rc = sk_deadline_scan(w->store, &w->cfg, now, collect, w, &w->diag);
    if (rc == SK_OK)
        rc = w->rc;
    for (i = 0; rc == SK_OK && i < w->found_count; i += WRITE_BATCH)
        rc = write_rows(w, i, i + WRITE_BATCH < w->found_count ? i + WRITE_BATCH : w->found_count,
                        now, &added);
    sk_subscription_set_free(w->subs);
    w->subs = NULL;
    if (rc != SK_OK) {
        fprintf(stderr, "safekeepd: alert sweep: %s\n", w->diag.msg);
        return 0;
    }
    if (added > 0)
        sk_deliver_wake(w->api->deliverer);
    return w->found_count == SWEEP_BATCH;
}

static void *run(void *arg)
{
    sk_sweeper *w = arg;

    while (!stopping(w)) {
        if (pass(w))
            continue;
        sk_waker_nap(&w->waker, (int64_t)w->api->cfg.alert_sweep_s * 1000);
    }
    return NULL;
}

static void sweeper_free(sk_sweeper *w)
{
    if (w == NULL)
        return;
    sk_store_close(w->store);
    sk_waker_fini(&w->waker);
    free(w->found);
    free(w);
}

sk_err sk_sweep_start(sk_api *api, sk_sweeper **out, sk_diag *diag)
{
    sk_sweeper *w;
    sk_err rc;

    SK_ASSERT(api != NULL && out != NULL);
    *out = NULL;
    if (api->cfg.alert_sweep_s == 0)
        return SK_OK;
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return SK_ERR_NOMEM;
    w->api = api;
    sk_deadline_config_default(&w->cfg);
    sk_waker_init(&w->waker);
    w->found = malloc(SWEEP_BATCH * sizeof(*w->found));
    rc = w->found != NULL ? sk_store_open(api->cfg.db, 0, &w->store, diag) : SK_ERR_NOMEM;
    if (rc == SK_OK && pthread_create(&w->thread, NULL, run, w) != 0)
        rc = sk_diag_set(diag, SK_ERR_NOMEM, "sweep", "cannot start the alert sweeper thread");
    if (rc != SK_OK) {
        sweeper_free(w);
        return rc;
    }
    w->started = 1;
    *out = w;
    return SK_OK;
}

void sk_sweep_stop(sk_sweeper *w)
{
    if (w == NULL)
        return;
    sk_waker_stop(&w->waker);
    if (w->started)
        pthread_join(w->thread, NULL);
    sweeper_free(w);
}
