/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_deadline.h: deadline rules and the alerts they raise, computed from the
 * ledger (docs/deadlines.md).
 *
 * A rule is anchored by an event (an apprehension, a release, a missed
 * hearing...), falls due a fixed time later, and is satisfied by a later
 * event (a referral, a call, a new hearing...). A rule that is not satisfied
 * by its due time raises an alert owned by one agency; the alert stays on
 * record as raised at its due time, and is resolved by the satisfying event
 * when that comes late. Alerts are never stored: they are recomputed from
 * the ledger at a clock value the caller chooses, so the same ledger and the
 * same clock always give the same alerts, and a rebuild loses nothing.
 *
 * Alert ids are stable across evaluations ("<rule>:<child>:<anchor event
 * id>", plus ":<owner>" for rules that tell several parties), so that later
 * events refer to them: a person of the owning agency acknowledges an alert
 * (alert_acknowledged) or resolves it by hand (alert_resolved), and those
 * events, in the child's ledger like any other, are read by the same scan.
 */
#ifndef SK_DEADLINE_H
#define SK_DEADLINE_H

#include <stdint.h>

#include "safekeep/sk_buf.h"
#include "safekeep/sk_core.h"
#include "safekeep/sk_model.h"
#include "safekeep/sk_store.h"

/* The rules. The order is the tie-break of alerts due at the same time. */
typedef enum sk_deadline_rule {
    SK_DL_HHS_NOTICE = 0,     /* HHS notified (referral) within 48 h of apprehension */
    SK_DL_TRANSFER,           /* admitted to child-welfare care within 72 h */
    SK_DL_WELLNESS_CALL,      /* safety and well-being call within 30 days of release */
    SK_DL_MISSED_HEARING,     /* a failure to appear, told at once */
    SK_DL_NTA_NOT_FILED,      /* no notice to appear N days after release */
    SK_DL_ADDRESS_NOT_FILED,  /* address change not filed with the court in 5 working days */
    SK_DL_UNREACHABLE,        /* K consecutive unreached calls */
    SK_DL_SPONSOR_PENDING,    /* sponsor application undecided after 90 days */
    SK_DL_CONTEST_UNANSWERED, /* a contested fact not answered in 30 days */
    SK_DL__COUNT
} sk_deadline_rule;

/* What the code knows about a rule, fixed at build time. */
typedef struct sk_deadline_rule_def {
    const char *name;   /* stable id, used in alert ids and --rule */
    const char *title;  /* one line for people */
    const char *source; /* legal or policy source, paraphrased */
    int approximate;    /* 1 when the source or its dates are an approximation */
} sk_deadline_rule_def;

/* The definition of rule (rule < SK_DL__COUNT). */
const sk_deadline_rule_def *sk_deadline_rule_get(sk_deadline_rule rule);

/* Looks a rule up by its name. SK_ERR_NOT_FOUND when unknown. */
SK_NODISCARD sk_err sk_deadline_rule_parse(sk_str name, sk_deadline_rule *out);

/* The parameters of one rule that a deployment may change. */
typedef struct sk_deadline_rule_config {
    int enabled;            /* 0 switches the rule off */
    int64_t effective_from; /* the rule applies to anchors at or after this (Unix s) */
    int64_t effective_to;   /* ...and before this; 0 = still in force */
    int64_t delay_s;        /* due this long after the anchor (not used by working days) */
    uint32_t count;         /* working days (address rule) or attempts (unreachable) */
} sk_deadline_rule_config;

/*
 * Everything a deadline evaluation depends on besides the ledger and the
 * clock. Initialise with sk_deadline_config_default, then change fields.
 * Agency ids are NUL-terminated, at most SK_ID_LEN_MAX characters.
 */
typedef struct sk_deadline_config {
    char child_welfare_agency[SK_ID_LEN_MAX + 1]; /* default "ORR" */
    char enforcement_agency[SK_ID_LEN_MAX + 1];   /* default "ICE" */
    char court_agency[SK_ID_LEN_MAX + 1];         /* default "EOIR" */
    int report_pending; /* 1: also report alerts not yet due (SK_ALERT_PENDING) */
    sk_deadline_rule_config rules[SK_DL__COUNT];
} sk_deadline_config;

/* Fills cfg with the defaults of docs/deadlines.md. Thread-safe. */
void sk_deadline_config_default(sk_deadline_config *cfg);

/*
 * The state of an alert. A person acknowledges an open alert (event
 * alert_acknowledged) and may resolve it by hand (alert_resolved); a late
 * satisfying event resolves it too, whichever comes first. The values are
 * stable: ACKNOWLEDGED was added after the others.
 */
typedef enum sk_alert_state {
    SK_ALERT_PENDING = 0, /* not yet due and not yet satisfied */
    SK_ALERT_OPEN,        /* due, not satisfied and not acknowledged up to now */
    SK_ALERT_RESOLVED,    /* raised, then satisfied by a late event or resolved by hand */
    SK_ALERT_ACKNOWLEDGED /* raised, acknowledged by its owner, not yet resolved */
} sk_alert_state;

/* "pending", "open", "resolved", "acknowledged". */
const char *sk_alert_state_name(sk_alert_state state);

#define SK_ALERT_ID_MAX   160
#define SK_ALERT_NOTE_MAX 200 /* bytes of a note, as SK_TEXT_LEN_MAX */

/* One alert. Text is NUL-terminated; the struct is borrowed by callbacks. */
typedef struct sk_alert {
    char id[SK_ALERT_ID_MAX + 1];
    sk_deadline_rule rule;
    char child[SK_ID_LEN_MAX + 1];
    char owner[SK_ID_LEN_MAX + 1]; /* the agency that must act */
    char anchor_id[SK_ID_LEN_MAX + 1];
    int64_t anchored_at; /* occurred_at of the anchor event */
    int64_t due_at;      /* when it was (or will be) raised */
    sk_alert_state state;
    /* Set when acknowledged (also once resolved afterwards): the first
     * alert_acknowledged event of the owner between the due time and the
     * resolution. */
    int acknowledged;
    int64_t acknowledged_at;
    char acknowledged_by[SK_ID_LEN_MAX + 1]; /* the event id */
    char acknowledged_agency[SK_ID_LEN_MAX + 1];
    char acknowledged_user[SK_ID_LEN_MAX + 1];
    char acknowledged_note[SK_ALERT_NOTE_MAX + 1]; /* "" when none */
    /* Set when resolved: the event that resolved it (the satisfying event,
     * or the alert_resolved event when resolved_by_hand) and who recorded
     * it; resolved_note is the note of a resolution by hand. */
    int64_t resolved_at;
    char resolved_by[SK_ID_LEN_MAX + 1];
    char resolved_agency[SK_ID_LEN_MAX + 1];
    char resolved_user[SK_ID_LEN_MAX + 1];
    int resolved_by_hand;
    char resolved_note[SK_ALERT_NOTE_MAX + 1];
} sk_alert;

/*
 * Appends alert a to out as one JSON object, no newline:
 *   {"id","rule","child","owner","anchor","anchored_at","due_at","state",
 *    "resolved_at","resolved_by","resolved_agency","resolved_user",
 *    "acknowledged":{"at","agency","user"}|null,
 *    "resolved":{"at","by_event"|null,"agency","user","by_hand"}|null}
 * Times are RFC 3339 UTC. The flat resolved_* keys are null until resolved;
 * resolved_by names the event that resolved the alert, by_event the
 * satisfying event only (null when resolved by hand). Notes are left out on
 * purpose: they are free text that may hold personal data, and an alert
 * listing discloses no record field. (The CLI's listing is not audited;
 * the HTTP listing records one audit entry per child it names.)
 *
 * a and out are borrowed. Returns SK_OK, or SK_ERR_NOMEM / SK_ERR_TOO_LARGE
 * from the buffer (out then holds a partial object). Thread-safe.
 */
SK_NODISCARD sk_err sk_alert_json(const sk_alert *a, sk_buf *out);

/* Return non-zero to stop the scan early (not an error). */
typedef int (*sk_alert_cb)(const sk_alert *alert, void *ctx);

/* Most events one child may have for an evaluation, and most alerts. */
#define SK_DEADLINE_EVENTS_MAX 4096
#define SK_DEADLINE_ALERTS_MAX 1024

/*
 * Scans the whole ledger by child and calls cb for each alert at clock now
 * (Unix seconds): open and resolved alerts, and pending ones when
 * cfg->report_pending is set. Events occurring after now are ignored, as if
 * not yet recorded. Acknowledgements and resolutions by hand count when made
 * by the alert's owner at or after its due time; the first of each counts,
 * acknowledgements only before the resolution, and a resolution by hand only
 * before the satisfying event. Those naming no alert of the child are
 * ignored and reported nowhere. Alerts come in (child, due_at, rule, anchor, owner)
 * order. Reads only; records nothing in the audit log; alerts carry ids and
 * times, never payload fields.
 *
 * store and cfg are borrowed. Returns SK_OK; SK_ERR_NOMEM; SK_ERR_TOO_LARGE
 * when a child has more than SK_DEADLINE_EVENTS_MAX events or alerts than
 * SK_DEADLINE_ALERTS_MAX (diag names the limit); SK_ERR_STORE from the
 * store. One store handle per thread, as for the store.
 */
SK_NODISCARD sk_err sk_deadline_scan(sk_store *store, const sk_deadline_config *cfg, int64_t now,
                                     sk_alert_cb cb, void *ctx, sk_diag *diag);

/* As sk_deadline_scan, for one child's events only (an index lookup, not a
 * scan of the ledger): what a new event of that child may have raised. */
SK_NODISCARD sk_err sk_deadline_scan_child(sk_store *store, const sk_deadline_config *cfg,
                                           sk_str child, int64_t now, sk_alert_cb cb, void *ctx,
                                           sk_diag *diag);

#endif /* SK_DEADLINE_H */
