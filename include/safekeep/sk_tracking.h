/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_tracking.h: the tracking report. How many children have fallen out of
 * sight of the agencies that should follow them: a missed hearing, an order
 * of removal in absentia, a release with no notice to appear after N days, a
 * release to a blank or undeliverable address, a release after which no
 * wellness call ever reached anyone. Each category is its own count of
 * children, never merged with another: one child may count in several.
 *
 * The report reads the ledger only (payloads, never identity fields) and
 * yields counts, no personal data. Definitions, exactly as computed, are in
 * docs/reports.md.
 */
#ifndef SK_TRACKING_H
#define SK_TRACKING_H

#include <stdint.h>

#include "safekeep/sk_buf.h"
#include "safekeep/sk_core.h"
#include "safekeep/sk_model.h"
#include "safekeep/sk_store.h"

#define SK_TRACKING_NTA_DAYS_DEFAULT 90u   /* days after release without a notice to appear */
#define SK_TRACKING_NTA_DAYS_MAX     3650u /* ten years: anything longer is a typing slip */

/* The categories, in report order. */
typedef enum sk_tracking_category {
    SK_TRACK_MISSED_HEARING = 0,    /* a hearing outcome failed_to_appear or in_absentia_order */
    SK_TRACK_IN_ABSENTIA,           /* a hearing outcome in_absentia_order */
    SK_TRACK_WITHOUT_NTA,           /* released >= nta_days before at, no nta_filed by at */
    SK_TRACK_ADDRESS_BLANK,         /* released with no address */
    SK_TRACK_ADDRESS_UNDELIVERABLE, /* released to an address marked undeliverable */
    SK_TRACK_UNREACHED,             /* released, called at least once, never reached */
    SK_TRACK__COUNT
} sk_tracking_category;

/* Options of a report. Initialise with sk_tracking_opts_init. */
typedef struct sk_tracking_opts {
    int64_t at;        /* the report's date, Unix seconds; 0: the clock (sk_time_now) */
    uint32_t nta_days; /* 0..SK_TRACKING_NTA_DAYS_MAX */
    /* The agency whose knowledge is counted as "notified"; default "ORR". */
    char child_welfare_agency[SK_ID_LEN_MAX + 1];
} sk_tracking_opts;

/*
 * Of the children of one category, how many the child-welfare agency knew
 * of by the report's date, and how fast (docs/reports.md). It knows of a
 * child when it recorded the event that put the child in the category
 * itself (at once), or when a notification caused by that event (the
 * event's own, or an alert anchored on it; for without_nta_after_days, the
 * nta_not_filed alert) was delivered to one of its subscriptions. Latency
 * runs from the event's recording (for without_nta_after_days, from the
 * release plus nta_days) to the first such delivery.
 */
typedef struct sk_tracking_told {
    uint64_t notified;   /* children the agency knew of */
    uint64_t by_webhook; /* of which through a delivered notification */
    /* Seconds, over the by_webhook children; -1 when there are none. */
    int64_t latency_p50, latency_p90, latency_max;
} sk_tracking_told;

/* The counts of a report. Every count is of child records (ledger subjects). */
typedef struct sk_tracking_counts {
    int64_t at;        /* the date the report was computed for */
    uint32_t nta_days; /* as used */
    uint64_t children; /* child records with at least one event by at */
    uint64_t released; /* of which released to a sponsor (their last discharge by at) */
    uint64_t count[SK_TRACK__COUNT];
    char child_welfare_agency[SK_ID_LEN_MAX + 1]; /* as used */
    sk_tracking_told told[SK_TRACK__COUNT];
} sk_tracking_counts;

/* Sets the defaults: at 0 (the clock), nta_days SK_TRACKING_NTA_DAYS_DEFAULT,
 * child_welfare_agency "ORR". */
void sk_tracking_opts_init(sk_tracking_opts *opts);

/* The category's key in JSON output ("missed_hearing", ...); c < SK_TRACK__COUNT. */
const char *sk_tracking_name(sk_tracking_category c);

/* 1 when the category counts among released children (its "out of" is
 * released), 0 when among all children; c < SK_TRACK__COUNT. */
int sk_tracking_of_released(sk_tracking_category c);

/*
 * Computes the report in one pass over the ledger, child by child
 * (SK_SCAN_BY_CHILD). Only events that occurred at or before opts->at are
 * considered, and deliveries made after it. store and opts are borrowed; *out is overwritten only
 * on success. Errors: SK_ERR_INVALID (nta_days above the maximum, at negative, or a ledger row
 * whose payload does not parse), SK_ERR_NOMEM, SK_ERR_STORE (read failure; detail in diag). Uses
 * the store handle, so not at the same time as another user of it.
 */
SK_NODISCARD sk_err sk_tracking_compute(sk_store *store, const sk_tracking_opts *opts,
                                        sk_tracking_counts *out, sk_diag *diag);

/*
 * Appends the report as one JSON object, the shape shared by `safekeep
 * report tracking --json` and GET /v1/reports/tracking (docs/reports.md):
 * {"report":"tracking","at" (RFC 3339),"nta_days","children","released",
 *  "child_welfare_agency","categories":{"<name>":{"children":N,
 *  "out_of":"children"|"released","notified":N,"notified_by_webhook":N,
 *  "latency_s":{"p50","p90","max"}|null},...}}
 * with the categories in report order, no trailing newline. counts and out
 * are borrowed; out is appended to. Errors: SK_ERR_TOO_LARGE when out would
 * pass its maximum (out then holds a partial object), SK_ERR_NOMEM.
 * Thread-safe.
 */
SK_NODISCARD sk_err sk_tracking_json(const sk_tracking_counts *counts, sk_buf *out);

#endif /* SK_TRACKING_H */
