/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/notify/report.c: the figures, printed once every thread is gone
 * and the daemon has stopped: the load, the deliveries (each webhook's
 * arrival against its commit's 2xx, its send and its due time, as
 * nearest-rank percentiles), the daemon's resources and outbox, and the
 * verdict on the goal. One line per figure, name then value, so that runs
 * compare with diff.
 */
#include "notify.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* Nearest rank of a sorted array. */
static int64_t pct(const int64_t *v, size_t n, double p)
{
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);

    return n == 0 ? 0 : v[rank == 0 ? 0 : rank - 1];
}

/* Percentiles print as "name p50" ... "name max", one per line. */
static void print_percentiles(const char *name, int64_t *v, size_t n)
{
    static const char *const label[] = {"p50", "p90", "p99", "max"};
    static const double ps[] = {50, 90, 99, 100};
    char key[64];
    size_t i;

    qsort(v, n, sizeof(*v), cmp_i64);
    for (i = 0; i < 4; i++) {
        snprintf(key, sizeof(key), "%s %s", name, label[i]);
        printf("%-34s %10.1f ms\n", key, (double)pct(v, n, ps[i]) / 1000.0);
    }
}

static void print_timeline(const bench *b)
{
    size_t secs = b->o.seconds + b->o.drain_s + 3600, i, last = 0;
    size_t *sent = calloc(secs, sizeof(size_t)), *got = calloc(secs, sizeof(size_t));
    size_t backlog = 0;

    if (sent == NULL || got == NULL)
        goto out;
    for (i = 0; i < b->event_count; i++) {
        const slot *s = &b->slots[i];
        int64_t r = atomic_load(&s->recv_us);
        size_t ks = s->committed ? (size_t)((s->acked_us - b->t0_us) / 1000000) : secs;
        size_t kr = r > 0 ? (size_t)((r - b->t0_us) / 1000000) : secs;

        if (s->committed && s->acked_us >= b->t0_us && ks < secs)
            sent[ks]++;
        if (r >= b->t0_us && kr < secs) {
            got[kr]++;
            last = kr > last ? kr : last;
        }
    }
    printf("timeline: second, events committed, webhooks received, backlog\n");
    for (i = 0; i <= last || i < b->o.seconds; i++) {
        backlog += sent[i];
        backlog -= got[i] < backlog ? got[i] : backlog;
        printf("  %4zu %8zu %8zu %8zu\n", i, sent[i], got[i], backlog);
    }
out:
    free(sent);
    free(got);
}

/* Webhook arrival against the 2xx and against the send, for the events
 * delivered; the first and last arrival. */
typedef struct arrivals {
    int64_t *ack, *sent, *due;
    size_t n, early, lost, delivered_uncommitted;
    int64_t first_us, last_us, last_ack_us;
} arrivals;

static int collect_arrivals(const bench *b, arrivals *a)
{
    size_t i;

    memset(a, 0, sizeof(*a));
    a->ack = malloc((b->event_count + 1) * sizeof(int64_t));
    a->sent = malloc((b->event_count + 1) * sizeof(int64_t));
    a->due = malloc((b->event_count + 1) * sizeof(int64_t));
    if (a->ack == NULL || a->sent == NULL || a->due == NULL)
        return -1;
    a->first_us = INT64_MAX;
    for (i = 0; i < b->event_count; i++) {
        const slot *s = &b->slots[i];
        int64_t r = atomic_load(&s->recv_us);

        if (s->committed && s->acked_us > a->last_ack_us)
            a->last_ack_us = s->acked_us;
        if (r > 0 && r < a->first_us)
            a->first_us = r;
        if (r > a->last_us)
            a->last_us = r;
        if (!s->committed) {
            a->delivered_uncommitted += r > 0;
            continue;
        }
        if (r == 0) {
            a->lost++;
            continue;
        }
        a->ack[a->n] = r - s->acked_us;
        a->sent[a->n] = r - s->sent_us;
        a->due[a->n] = r - s->due_us;
        a->early += r < s->acked_us;
        a->n++;
    }
    return 0;
}

static void report_load(bench *b, const arrivals *a)
{
    size_t committed = atomic_load(&b->committed), sent = atomic_load(&b->next_request);
    double load_s = (double)(a->last_ack_us - b->t0_us) / 1e6;
    size_t i, ok = 0;

    sent = sent < b->request_count ? sent : b->request_count;
    printf("%-34s %10u events/s\n", "target rate", b->o.rate);
    printf("%-34s %10u s\n", "load duration", b->o.seconds);
    printf("%-34s %10u\n", "events per request", b->o.batch);
    printf("%-34s %10u\n", "connections", b->o.connections);
    printf("%-34s %10zu\n", "released children written to", b->child_count);
    printf("%-34s %10zu\n", "requests sent", sent);
    printf("%-34s %10zu\n", "requests failed", atomic_load(&b->failed_requests));
    printf("%-34s %10zu\n", "events committed", committed);
    printf("%-34s %10.1f events/s\n", "achieved rate",
           load_s > 0 ? (double)committed / load_s : 0.0);
    print_percentiles("send lag behind schedule", b->lag_us, sent);
    for (i = 0; i < sent; i++) {
        if (b->commit_us[i] >= 0)
            b->commit_us[ok++] = b->commit_us[i];
    }
    print_percentiles("commit (sent -> 2xx)", b->commit_us, ok);
}

static void report_delivery(bench *b, arrivals *a, size_t backlog)
{
    double span_s = (double)(a->last_us - a->first_us) / 1e6;

    printf("%-34s %10zu\n", "webhooks received", a->n + a->delivered_uncommitted);
    printf("%-34s %10zu\n", "lost (committed, not received)", a->lost);
    printf("%-34s %10zu\n", "duplicates", atomic_load(&b->duplicates));
    printf("%-34s %10zu\n", "bad signatures", atomic_load(&b->bad_signatures));
    printf("%-34s %10zu\n", "unknown event ids", atomic_load(&b->strays));
    printf("%-34s %10zu\n", "backlog when the load ended", backlog);
    printf("%-34s %10.1f webhooks/s\n", "delivery rate (first to last)",
           span_s > 0 ? (double)a->n / span_s : 0.0);
    printf("%-34s %10.1f s\n", "drain (load end -> last webhook)",
           a->last_us > b->load_end_us ? (double)(a->last_us - b->load_end_us) / 1e6 : 0.0);
    print_percentiles("ack -> received", a->ack, a->n);
    printf("%-34s %10zu\n", "webhooks before their 2xx", a->early);
    print_percentiles("sent -> received", a->sent, a->n);
    print_percentiles("due -> received", a->due, a->n);
}

static void report_daemon(const bench *b, const daemon_figures *f, int daemon_exit)
{
    size_t committed = atomic_load(&b->committed);

    printf("%-34s %10.1f MB\n", "daemon peak RSS (VmHWM)", (double)f->hwm_kb / 1024.0);
    printf("%-34s %10.2f s\n", "daemon CPU during load and drain", f->cpu_s);
    printf("%-34s %10.1f us\n", "daemon CPU per event",
           committed ? f->cpu_s * 1e6 / (double)committed : 0.0);
    printf("%-34s %10.2f s\n", "bench CPU (load and receiver)", f->bench_cpu_s);
    printf("%-34s %10llu\n", "audit records", f->audit_records);
    printf("%-34s %10llu\n", "audit fsyncs", f->audit_syncs);
    printf("%-34s %10.2f\n", "audit records per fsync",
           f->audit_syncs ? (double)f->audit_records / (double)f->audit_syncs : 0.0);
    printf("%-34s %10zu\n", "outbox delivered", f->out_delivered);
    printf("%-34s %10zu\n", "outbox pending", f->out_pending);
    printf("%-34s %10zu\n", "outbox failed", f->out_failed);
    printf("%-34s %10zu\n", "outbox attempts", f->out_attempts);
    printf("%-34s %10.2f ms\n", "outbox POST latency mean (1 ms res)", f->out_latency_mean_ms);
    printf("%-34s %10ld ms\n", "outbox POST latency max", f->out_latency_max_ms);
    printf("%-34s %10d\n", "daemon exit status", daemon_exit);
}

/* The goal holds at the rate asked for: a daemon that commits fewer events
 * than scheduled has not been measured at that rate, however fast the
 * webhooks of the events it did commit arrived. */
static void print_goal(const bench *b, arrivals *a)
{
    double load_s = (double)(a->last_ack_us - b->t0_us) / 1e6;
    double rate = load_s > 0 ? (double)atomic_load(&b->committed) / load_s : 0;
    const char *verdict = "met";

    qsort(a->ack, a->n, sizeof(int64_t), cmp_i64);
    if (a->lost != 0 || a->n == 0 || atomic_load(&b->failed_requests) != 0 || bn_interrupted)
        verdict = "missed (events lost or not committed)";
    else if (rate < 0.99 * (double)b->o.rate)
        verdict = "missed (the rate was not sustained)";
    else if (pct(a->ack, a->n, 99) >= 1000000)
        verdict = "missed";
    printf("%-34s %s\n", "goal p99 ack -> received < 1 s", verdict);
}

/* Prints everything; 0 when the run is clean. */
int bn_report(bench *b, const daemon_figures *f, int daemon_exit, size_t backlog)
{
    arrivals a;
    int rc = -1;

    if (collect_arrivals(b, &a) != 0)
        goto out;
    report_load(b, &a);
    report_delivery(b, &a, backlog);
    report_daemon(b, f, daemon_exit);
    if (b->o.timeline)
        print_timeline(b);
    print_goal(b, &a);
    rc = a.lost == 0 && a.n > 0 && atomic_load(&b->bad_signatures) == 0 &&
                 atomic_load(&b->failed_requests) == 0 && daemon_exit == 0 && !bn_interrupted
             ? 0
             : -1;
out:
    free(a.ack);
    free(a.sent);
    free(a.due);
    return rc;
}
