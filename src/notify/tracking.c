/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tracking.c: the tracking report, one pass over the ledger.
 *
 * The ledger is read child by child (SK_SCAN_BY_CHILD, each child's events
 * in (occurred_at, seq) order) and folded into a small per-child record of
 * the few facts the categories need: an outcome of failed_to_appear or
 * in_absentia_order, a notice to appear, the last discharge and its address
 * flags, wellness calls and whether any reached someone. When the scan moves
 * on to the next child, the record is counted and reset, so memory does not
 * grow with the population.
 *
 * The case projection is not used on purpose: it keeps only the latest
 * calls and a bounded list of hearings, and it reflects every event on
 * record, while the report must be computable as of any date. Events that
 * occurred after that date are skipped. Only the payloads of the three
 * types whose fields matter are parsed; identity fields are never read.
 */
#include "safekeep/sk_tracking.h"

#include "safekeep/sk_arena.h"
#include "safekeep/sk_id.h"
#include "safekeep/sk_ingest.h"
#include "safekeep/sk_model.h"
#include "safekeep/sk_subscription.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define ARENA_CHUNK (16 * 1024)
#define ARENA_MAX   (1024 * 1024)
#define DAY_SECONDS 86400LL
#define ONSET_IDS   4 /* a category's events per child whose notifications count */

/* Indices into sk_hearing_outcomes and sk_discharge_types, and of the
 * address_status values of a discharge (docs/events.md). */
#define OUTCOME_FTA           1
#define OUTCOME_IN_ABSENTIA   2
#define DISCHARGE_SPONSOR     0
#define ADDRESS_UNDELIVERABLE 2

static const char *const category_names[SK_TRACK__COUNT] = {
    [SK_TRACK_MISSED_HEARING] = "missed_hearing",
    [SK_TRACK_IN_ABSENTIA] = "in_absentia_order",
    [SK_TRACK_WITHOUT_NTA] = "without_nta_after_days",
    [SK_TRACK_ADDRESS_BLANK] = "address_blank",
    [SK_TRACK_ADDRESS_UNDELIVERABLE] = "address_undeliverable",
    [SK_TRACK_UNREACHED] = "unreached_after_release",
};

/* The events that put a child in one category: the first's recording time
 * and whether the child-welfare agency recorded it, and the ids of the
 * first ONSET_IDS (a notification caused by any of them counts). */
typedef struct onset {
    int64_t at;
    uint8_t own;
    uint8_t n;
    char ids[ONSET_IDS][SK_ID_LEN_MAX + 1];
} onset;

/* Latencies in seconds of one category's children notified by webhook. */
typedef struct latencies {
    int64_t *v;
    size_t n, cap;
} latencies;

/* What one child's events say, as of the report's date. */
typedef struct child_facts {
    char id[SK_ID_LEN_MAX + 1];
    uint8_t seen; /* at least one event by the report's date */
    uint8_t missed, in_absentia, nta;
    uint8_t released; /* the last discharge was a release to a sponsor */
    uint8_t address_blank, address_undeliverable;
    uint8_t called, reached;
    int64_t released_at;
    onset on[SK_TRACK__COUNT];
    /* Per category, the first delivery that told the agency (0: none). */
    int64_t told_at[SK_TRACK__COUNT];
    uint8_t in[SK_TRACK__COUNT]; /* the child counts in the category */
} child_facts;

typedef struct scan_ctx {
    int64_t at;
    int64_t released_by; /* released at or before this: nta_days have passed by at */
    sk_arena *arena;
    child_facts child;
    sk_tracking_counts counts;
    latencies lat[SK_TRACK__COUNT];
    sk_store *store;
    int64_t nta_s;
    sk_err rc;
    sk_diag *diag;
} scan_ctx;

void sk_tracking_opts_init(sk_tracking_opts *opts)
{
    SK_ASSERT(opts != NULL);
    memset(opts, 0, sizeof(*opts));
    opts->nta_days = SK_TRACKING_NTA_DAYS_DEFAULT;
    memcpy(opts->child_welfare_agency, "ORR", 4);
}

const char *sk_tracking_name(sk_tracking_category c)
{
    SK_ASSERT((unsigned)c < SK_TRACK__COUNT);
    return category_names[c];
}

int sk_tracking_of_released(sk_tracking_category c)
{
    SK_ASSERT((unsigned)c < SK_TRACK__COUNT);
    return c >= SK_TRACK_WITHOUT_NTA;
}

/* Whether a delivered row tells of category c of child f: caused by one of
 * the category's events (an address, only by the release event's own
 * notification: the alerts anchored on a release are about other things),
 * or, for a missing notice to appear or an unreachable child, by the alert
 * of that rule. */
static int tells(const child_facts *f, sk_tracking_category c, const sk_store_outbox *row)
{
    const onset *o = &f->on[c];
    int alert = row->alert_id[0] != '\0';
    uint8_t i;

    if (c == SK_TRACK_WITHOUT_NTA)
        return alert && strcmp(row->type, SK_OUTBOX_ALERT_PREFIX "nta_not_filed") == 0 &&
               strcmp(row->event_id, o->ids[0]) == 0;
    if (c == SK_TRACK_UNREACHED && alert &&
        strcmp(row->type, SK_OUTBOX_ALERT_PREFIX "unreachable") == 0)
        return 1;
    if ((c == SK_TRACK_ADDRESS_BLANK || c == SK_TRACK_ADDRESS_UNDELIVERABLE) && alert)
        return 0;
    for (i = 0; i < o->n; i++) {
        if (strcmp(row->event_id, o->ids[i]) == 0)
            return 1;
    }
    return 0;
}

static int told_row(const sk_store_outbox *row, void *vctx)
{
    scan_ctx *ctx = vctx;
    child_facts *f = &ctx->child;
    size_t c;

    if (row->next_attempt_at > ctx->at)
        return 1; /* by delivery time: the rest came later still */
    for (c = 0; c < SK_TRACK__COUNT; c++) {
        if (f->in[c] && !f->on[c].own && f->told_at[c] == 0 &&
            tells(f, (sk_tracking_category)c, row))
            f->told_at[c] = row->next_attempt_at;
    }
    return 0;
}

static sk_err latency_add(latencies *l, int64_t v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        int64_t *grown = realloc(l->v, cap * sizeof(*grown));
        if (grown == NULL)
            return SK_ERR_NOMEM;
        l->v = grown;
        l->cap = cap;
    }
    l->v[l->n++] = v < 0 ? 0 : v;
    return SK_OK;
}

/* Counts, for the categories the child is in, whether and how fast the
 * child-welfare agency knew. One query of the child's delivered rows, and
 * only for a child in some category that it did not record itself. */
static sk_err count_told(scan_ctx *ctx)
{
    child_facts *f = &ctx->child;
    int ask = 0;
    size_t c;
    sk_err rc = SK_OK;

    for (c = 0; c < SK_TRACK__COUNT; c++)
        ask |= f->in[c] && !f->on[c].own;
    if (ask)
        rc = sk_store_outbox_delivered(ctx->store, sk_str_c(f->id),
                                       sk_str_c(ctx->counts.child_welfare_agency), told_row, ctx,
                                       ctx->diag);
    for (c = 0; rc == SK_OK && c < SK_TRACK__COUNT; c++) {
        sk_tracking_told *t = &ctx->counts.told[c];
        if (!f->in[c] || (!f->on[c].own && f->told_at[c] == 0))
            continue;
        t->notified++;
        if (f->on[c].own)
            continue;
        t->by_webhook++;
        rc = latency_add(&ctx->lat[c], f->told_at[c] - f->on[c].at);
    }
    return rc;
}

/* Adds the finished child to the counts. */
static sk_err count_child(scan_ctx *ctx)
{
    child_facts *f = &ctx->child;
    uint64_t *n = ctx->counts.count;
    size_t c;

    if (!f->seen)
        return SK_OK;
    ctx->counts.children++;
    f->in[SK_TRACK_MISSED_HEARING] = f->missed;
    f->in[SK_TRACK_IN_ABSENTIA] = f->in_absentia;
    if (f->released) {
        ctx->counts.released++;
        f->in[SK_TRACK_WITHOUT_NTA] = !f->nta && f->released_at <= ctx->released_by;
        f->in[SK_TRACK_ADDRESS_BLANK] = f->address_blank;
        f->in[SK_TRACK_ADDRESS_UNDELIVERABLE] = f->address_undeliverable;
        f->in[SK_TRACK_UNREACHED] = f->called && !f->reached;
        /* Overdue from the moment nta_days have passed, not from the release. */
        f->on[SK_TRACK_WITHOUT_NTA].at = f->released_at + ctx->nta_s;
    }
    for (c = 0; c < SK_TRACK__COUNT; c++)
        n[c] += f->in[c];
    return count_told(ctx);
}

/* Notes row as one of the events that put the child in category o. */
static void onset_add(scan_ctx *ctx, onset *o, const sk_ledger_row *row)
{
    if (o->n == 0) {
        o->at = row->recorded_at;
        o->own = sk_str_eqc(row->agency, ctx->counts.child_welfare_agency) ? 1 : 0;
    }
    if (o->n < ONSET_IDS) {
        SK_ASSERT(row->id.len <= SK_ID_LEN_MAX);
        memcpy(o->ids[o->n], row->id.ptr, row->id.len);
        o->ids[o->n][row->id.len] = '\0';
        o->n++;
    }
}

/* The release starts the release categories afresh: the last one stands.
 * Unreached calls are kept, as the category's count keeps them (a call
 * before an earlier release still makes the child called). */
static void release(scan_ctx *ctx, const sk_ledger_row *row)
{
    child_facts *f = &ctx->child;
    size_t c;

    for (c = SK_TRACK_WITHOUT_NTA; c < SK_TRACK__COUNT; c++) {
        if (c == SK_TRACK_UNREACHED)
            continue;
        memset(&f->on[c], 0, sizeof(f->on[c]));
        onset_add(ctx, &f->on[c], row);
    }
    f->on[SK_TRACK_WITHOUT_NTA].own = 0; /* an alert tells of it, not the release */
}

static int64_t num_of(const sk_event *ev, const char *field, int64_t dflt)
{
    const sk_value *v = sk_event_get(ev, field);
    return v != NULL ? v->num : dflt;
}

/* Folds the payload of an event whose fields matter into the child. */
static sk_err apply_payload(scan_ctx *ctx, const sk_ledger_row *row, sk_event_type type)
{
    child_facts *f = &ctx->child;
    int64_t outcome;
    sk_event ev;
    sk_err rc;

    sk_arena_reset(ctx->arena);
    rc = sk_event_from_row(row, ctx->arena, &ev, ctx->diag);
    if (rc != SK_OK)
        return rc;
    switch (type) {
    case SK_EV_HEARING_OUTCOME:
        outcome = num_of(&ev, "outcome", -1);
        if (outcome == OUTCOME_FTA || outcome == OUTCOME_IN_ABSENTIA)
            onset_add(ctx, &f->on[SK_TRACK_MISSED_HEARING], row);
        if (outcome == OUTCOME_IN_ABSENTIA)
            onset_add(ctx, &f->on[SK_TRACK_IN_ABSENTIA], row);
        f->missed |= outcome == OUTCOME_FTA || outcome == OUTCOME_IN_ABSENTIA;
        f->in_absentia |= outcome == OUTCOME_IN_ABSENTIA;
        break;
    case SK_EV_DISCHARGE:
        /* The last discharge stands, as in the case fold: a release that a
         * later discharge of another kind replaced is no release. */
        f->released = num_of(&ev, "discharge_type", -1) == DISCHARGE_SPONSOR;
        f->released_at = row->occurred_at;
        f->address_blank = f->released && num_of(&ev, "address_on_file", 0) == 0;
        f->address_undeliverable = f->released && !f->address_blank &&
                                   num_of(&ev, "address_status", -1) == ADDRESS_UNDELIVERABLE;
        release(ctx, row);
        break;
    case SK_EV_WELLNESS_CALL:
        f->called = 1;
        if (num_of(&ev, "reached", 0) != 0)
            f->reached = 1;
        else
            onset_add(ctx, &f->on[SK_TRACK_UNREACHED], row);
        break;
    default:
        SK_ASSERT(0 && "no payload of interest");
    }
    return SK_OK;
}

static int scan_row(const sk_ledger_row *row, void *vctx)
{
    scan_ctx *ctx = vctx;
    sk_event_type type;

    SK_ASSERT(row->subject_count > 0);
    if (sk_event_type_parse(row->type, &type) != SK_OK) {
        ctx->rc = sk_diag_set(ctx->diag, SK_ERR_INVALID, "type", "unknown type in ledger row %llu",
                              (unsigned long long)row->seq);
        return 1;
    }
    if (!sk_event_type_is_case(type))
        return 0; /* policy events are about no child */
    SK_ASSERT(row->subjects[0].len <= SK_ID_LEN_MAX);
    if (!sk_str_eqc(row->subjects[0], ctx->child.id)) {
        ctx->rc = count_child(ctx);
        if (ctx->rc != SK_OK)
            return 1;
        memset(&ctx->child, 0, sizeof(ctx->child));
        memcpy(ctx->child.id, row->subjects[0].ptr, row->subjects[0].len);
    }
    if (row->occurred_at > ctx->at)
        return 0;
    ctx->child.seen = 1;
    switch (type) {
    case SK_EV_NTA_FILED:
        ctx->child.nta = 1;
        break;
    case SK_EV_HEARING_OUTCOME:
    case SK_EV_DISCHARGE:
    case SK_EV_WELLNESS_CALL:
        ctx->rc = apply_payload(ctx, row, type);
        break;
    default:
        break;
    }
    return ctx->rc != SK_OK;
}

static int int64_cmp(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

    return (a > b) - (a < b);
}

/* Nearest-rank percentiles of one category's latencies. */
static void summarise(latencies *l, sk_tracking_told *t)
{
    SK_ASSERT(l->n == t->by_webhook);
    t->latency_p50 = t->latency_p90 = t->latency_max = -1;
    if (l->n == 0)
        return;
    qsort(l->v, l->n, sizeof(l->v[0]), int64_cmp);
    t->latency_p50 = l->v[(l->n * 50 + 99) / 100 - 1];
    t->latency_p90 = l->v[(l->n * 90 + 99) / 100 - 1];
    t->latency_max = l->v[l->n - 1];
}

sk_err sk_tracking_compute(sk_store *store, const sk_tracking_opts *opts, sk_tracking_counts *out,
                           sk_diag *diag)
{
    scan_ctx ctx;
    size_t i;
    sk_err rc = SK_OK;

    SK_ASSERT(store != NULL);
    SK_ASSERT(opts != NULL);
    SK_ASSERT(out != NULL);
    memset(&ctx, 0, sizeof(ctx));
    if (opts->nta_days > SK_TRACKING_NTA_DAYS_MAX || opts->at < 0) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, opts->at < 0 ? "at" : "nta_days",
                         "out of range (nta_days 0..%u, at not before 1970)",
                         SK_TRACKING_NTA_DAYS_MAX);
        goto out;
    }
    if (!sk_id_valid(sk_str_c(opts->child_welfare_agency), SK_ID_LEN_MAX)) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, "child_welfare_agency",
                         "expected an agency id: 1 to %d of A-Z a-z 0-9 . _ : -", SK_ID_LEN_MAX);
        goto out;
    }
    ctx.at = opts->at != 0 ? opts->at : sk_time_now();
    ctx.nta_s = (int64_t)opts->nta_days * DAY_SECONDS;
    ctx.released_by = ctx.at - ctx.nta_s;
    ctx.store = store;
    ctx.diag = diag;
    ctx.counts.at = ctx.at;
    ctx.counts.nta_days = opts->nta_days;
    memcpy(ctx.counts.child_welfare_agency, opts->child_welfare_agency,
           sizeof(ctx.counts.child_welfare_agency));
    rc = sk_arena_new(ARENA_CHUNK, ARENA_MAX, &ctx.arena);
    if (rc != SK_OK)
        goto out;
    rc = sk_store_ledger_scan(store, SK_SCAN_BY_CHILD, SK_STR_NULL, scan_row, &ctx, diag);
    if (rc == SK_OK)
        rc = ctx.rc;
    if (rc == SK_OK)
        rc = count_child(&ctx); /* the last child has no successor to count it */
    if (rc != SK_OK)
        goto out;
    SK_ASSERT(ctx.counts.released <= ctx.counts.children);
    for (i = 0; i < SK_TRACK__COUNT; i++)
        summarise(&ctx.lat[i], &ctx.counts.told[i]);
    *out = ctx.counts;
out:
    for (i = 0; i < SK_TRACK__COUNT; i++)
        free(ctx.lat[i].v);
    sk_arena_free(ctx.arena);
    return rc;
}

sk_err sk_tracking_json(const sk_tracking_counts *counts, sk_buf *out)
{
    char at[SK_RFC3339_LEN + 1];
    size_t i;
    sk_err rc;

    SK_ASSERT(counts != NULL);
    SK_ASSERT(out != NULL);
    sk_time_format_rfc3339(counts->at, at);
    rc = sk_buf_printf(out,
                       "{\"report\":\"tracking\",\"at\":\"%s\",\"nta_days\":%u,\"children\":%llu,"
                       "\"released\":%llu,\"child_welfare_agency\":",
                       at, counts->nta_days, (unsigned long long)counts->children,
                       (unsigned long long)counts->released);
    if (rc == SK_OK)
        rc = sk_buf_json_str(out, sk_str_c(counts->child_welfare_agency));
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, ",\"categories\":{");
    for (i = 0; rc == SK_OK && i < SK_TRACK__COUNT; i++) {
        sk_tracking_category c = (sk_tracking_category)i;
        const sk_tracking_told *t = &counts->told[i];
        rc = sk_buf_printf(out,
                           "%s\"%s\":{\"children\":%llu,\"out_of\":\"%s\",\"notified\":%llu,"
                           "\"notified_by_webhook\":%llu,\"latency_s\":",
                           i ? "," : "", sk_tracking_name(c), (unsigned long long)counts->count[i],
                           sk_tracking_of_released(c) ? "released" : "children",
                           (unsigned long long)t->notified, (unsigned long long)t->by_webhook);
        if (rc == SK_OK && t->by_webhook == 0)
            rc = sk_buf_appendc(out, "null}");
        else if (rc == SK_OK)
            rc = sk_buf_printf(out, "{\"p50\":%lld,\"p90\":%lld,\"max\":%lld}}",
                               (long long)t->latency_p50, (long long)t->latency_p90,
                               (long long)t->latency_max);
    }
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, "}}");
    return rc;
}
