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
#include "safekeep/sk_ingest.h"
#include "safekeep/sk_model.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define ARENA_CHUNK (16 * 1024)
#define ARENA_MAX   (1024 * 1024)
#define DAY_SECONDS 86400LL

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

/* What one child's events say, as of the report's date. */
typedef struct child_facts {
    char id[SK_ID_LEN_MAX + 1];
    uint8_t seen; /* at least one event by the report's date */
    uint8_t missed, in_absentia, nta;
    uint8_t released; /* the last discharge was a release to a sponsor */
    uint8_t address_blank, address_undeliverable;
    uint8_t called, reached;
    int64_t released_at;
} child_facts;

typedef struct scan_ctx {
    int64_t at;
    int64_t released_by; /* released at or before this: nta_days have passed by at */
    sk_arena *arena;
    child_facts child;
    sk_tracking_counts counts;
    sk_err rc;
    sk_diag *diag;
} scan_ctx;

void sk_tracking_opts_init(sk_tracking_opts *opts)
{
    SK_ASSERT(opts != NULL);
    memset(opts, 0, sizeof(*opts));
    opts->nta_days = SK_TRACKING_NTA_DAYS_DEFAULT;
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

/* Adds the finished child to the counts. */
static void count_child(scan_ctx *ctx)
{
    const child_facts *f = &ctx->child;
    uint64_t *n = ctx->counts.count;

    if (!f->seen)
        return;
    ctx->counts.children++;
    n[SK_TRACK_MISSED_HEARING] += f->missed;
    n[SK_TRACK_IN_ABSENTIA] += f->in_absentia;
    if (!f->released)
        return;
    ctx->counts.released++;
    n[SK_TRACK_WITHOUT_NTA] += !f->nta && f->released_at <= ctx->released_by;
    n[SK_TRACK_ADDRESS_BLANK] += f->address_blank;
    n[SK_TRACK_ADDRESS_UNDELIVERABLE] += f->address_undeliverable;
    n[SK_TRACK_UNREACHED] += f->called && !f->reached;
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
        break;
    case SK_EV_WELLNESS_CALL:
        f->called = 1;
        f->reached |= num_of(&ev, "reached", 0) != 0;
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
        count_child(ctx);
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

sk_err sk_tracking_compute(sk_store *store, const sk_tracking_opts *opts, sk_tracking_counts *out,
                           sk_diag *diag)
{
    scan_ctx ctx;
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
    ctx.at = opts->at != 0 ? opts->at : sk_time_now();
    ctx.released_by = ctx.at - (int64_t)opts->nta_days * DAY_SECONDS;
    ctx.diag = diag;
    ctx.counts.at = ctx.at;
    ctx.counts.nta_days = opts->nta_days;
    rc = sk_arena_new(ARENA_CHUNK, ARENA_MAX, &ctx.arena);
    if (rc != SK_OK)
        goto out;
    rc = sk_store_ledger_scan(store, SK_SCAN_BY_CHILD, SK_STR_NULL, scan_row, &ctx, diag);
    if (rc == SK_OK)
        rc = ctx.rc;
    if (rc != SK_OK)
        goto out;
    count_child(&ctx); /* the last child has no successor to count it */
    SK_ASSERT(ctx.counts.released <= ctx.counts.children);
    *out = ctx.counts;
out:
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
                       "\"released\":%llu,\"categories\":{",
                       at, counts->nta_days, (unsigned long long)counts->children,
                       (unsigned long long)counts->released);
    for (i = 0; rc == SK_OK && i < SK_TRACK__COUNT; i++) {
        sk_tracking_category c = (sk_tracking_category)i;
        rc = sk_buf_printf(out, "%s\"%s\":{\"children\":%llu,\"out_of\":\"%s\"}", i ? "," : "",
                           sk_tracking_name(c), (unsigned long long)counts->count[i],
                           sk_tracking_of_released(c) ? "released" : "children");
    }
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, "}}");
    return rc;
}
