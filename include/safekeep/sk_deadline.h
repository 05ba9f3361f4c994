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
 * events (an acknowledgement) can refer to them.
 */
#ifndef SK_DEADLINE_H
#define SK_DEADLINE_H

#include <stdint.h>

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

typedef enum sk_alert_state {
    SK_ALERT_PENDING = 0, /* not yet due and not yet satisfied */
    SK_ALERT_OPEN,        /* due, and not satisfied by an event up to now */
    SK_ALERT_RESOLVED     /* raised, then satisfied by a late event */
} sk_alert_state;

/* "pending", "open", "resolved". */
const char *sk_alert_state_name(sk_alert_state state);

#define SK_ALERT_ID_MAX 160

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
    /* Set when resolved: the satisfying event and who recorded it. */
    int64_t resolved_at;
    char resolved_by[SK_ID_LEN_MAX + 1];
    char resolved_agency[SK_ID_LEN_MAX + 1];
    char resolved_user[SK_ID_LEN_MAX + 1];
} sk_alert;

/* Return non-zero to stop the scan early (not an error). */
typedef int (*sk_alert_cb)(const sk_alert *alert, void *ctx);

/* Most events one child may have for an evaluation, and most alerts. */
#define SK_DEADLINE_EVENTS_MAX 4096
#define SK_DEADLINE_ALERTS_MAX 1024

/*
 * Scans the whole ledger by child and calls cb for each alert at clock now
 * (Unix seconds): open and resolved alerts, and pending ones when
 * cfg->report_pending is set. Events occurring after now are ignored, as if
 * not yet recorded. Alerts come in (child, due_at, rule, anchor, owner)
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

#endif /* SK_DEADLINE_H */
