/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deadline.c: deadline rules evaluated over the ledger (sk_deadline.h).
 *
 * The ledger is scanned once, grouped by child and ordered by (occurred_at,
 * seq). Each row is reduced to a small fixed-size record (type, time, id,
 * agency, user, one key field and one flag) in a table allocated once per
 * scan; the only text kept beyond that, a decision's list of cited facts,
 * goes into an arena reset per child. The payload is read by a small scanner
 * over the stored canonical JSON (a flat object), not by a JSON library, so
 * nothing is allocated per event. When the child changes, every event is
 * tried as the anchor of every rule, each anchor looks forward for the first
 * event that satisfies it, and the child's alerts are sorted and handed out.
 * Rows occurring after the clock are dropped, which is what makes the clock
 * injectable: the same ledger read "as of" any moment.
 */
#include "safekeep/sk_deadline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define HOUR          3600
#define DAY           86400
#define TVPRA_FROM    1237766400LL /* 2009-03-23: TVPRA 2008 section 235 in force */
#define CALLS_FROM    1388534400LL /* 2014-01-01: follow-up calls (approximate) */
#define ARENA_CHUNK   (64 * 1024)
#define ARENA_MAX     (4 * 1024 * 1024)
#define RULE_OWNERS   (SK_COUNSEL_MAX + 1)
#define CITES_LEN_MAX 400

static const sk_deadline_rule_def rule_defs[SK_DL__COUNT] = {
    [SK_DL_HHS_NOTICE] = {"hhs_notice_48h", "HHS notified within 48 hours of apprehension",
                          "8 U.S.C. 1232(b)(2) (TVPRA 2008 s. 235); anchored on the apprehension "
                          "as the determination",
                          1},
    [SK_DL_TRANSFER] = {"transfer_72h", "transferred to child-welfare care within 72 hours",
                        "8 U.S.C. 1232(b)(3) (TVPRA 2008 s. 235); anchored on the apprehension "
                        "as the determination",
                        1},
    [SK_DL_WELLNESS_CALL] = {"wellness_call_30d",
                             "safety and well-being call within 30 days of release",
                             "ORR Unaccompanied Children Program Policy Guide s. 2.8.4; 45 CFR "
                             "part 410 (2024 Foundational Rule); start date approximate",
                             1},
    [SK_DL_MISSED_HEARING] = {"missed_hearing",
                              "missed hearing: child-welfare agency and counsel told at once",
                              "local policy; in absentia orders under 8 U.S.C. 1229a(b)(5)", 1},
    [SK_DL_NTA_NOT_FILED] = {"nta_not_filed", "no notice to appear filed after release",
                             "local policy; notices to appear under 8 U.S.C. 1229(a), 8 CFR 239.1",
                             1},
    [SK_DL_ADDRESS_NOT_FILED] = {"address_not_filed",
                                 "change of address not filed with the court in 5 working days",
                                 "8 CFR 1003.15(d)(2) (form EOIR-33, five days); 8 U.S.C. "
                                 "1229(a)(1)(F)(ii); working days approximate",
                                 1},
    [SK_DL_UNREACHABLE] = {"unreachable", "child unreachable after repeated call attempts",
                           "ORR Policy Guide s. 2.8.4 (approximate); attempts set locally", 1},
    [SK_DL_SPONSOR_PENDING] = {"sponsor_pending_90d", "sponsor application undecided after 90 days",
                               "local policy; release to sponsors under 45 CFR 410 subpart C", 1},
    [SK_DL_CONTEST_UNANSWERED] = {"contest_unanswered", "contested fact unanswered after 30 days",
                                  "local policy, after the Privacy Act amendment procedure, 5 "
                                  "U.S.C. 552a(d)(2) (approximate)",
                                  1},
};

static const char *const state_names[] = {"pending", "open", "resolved", "acknowledged"};

const sk_deadline_rule_def *sk_deadline_rule_get(sk_deadline_rule rule)
{
    SK_ASSERT((unsigned)rule < SK_DL__COUNT);
    return &rule_defs[rule];
}

sk_err sk_deadline_rule_parse(sk_str name, sk_deadline_rule *out)
{
    unsigned i;

    SK_ASSERT(out != NULL);
    for (i = 0; i < SK_DL__COUNT; i++) {
        if (sk_str_eqc(name, rule_defs[i].name)) {
            *out = (sk_deadline_rule)i;
            return SK_OK;
        }
    }
    return SK_ERR_NOT_FOUND;
}

const char *sk_alert_state_name(sk_alert_state state)
{
    SK_ASSERT((size_t)state < SK_ARRAY_LEN(state_names));
    return state_names[state];
}

/* Appends ,"key":"<time>". */
static sk_err json_time(sk_buf *out, const char *key, int64_t t)
{
    char buf[SK_RFC3339_LEN + 1];

    sk_time_format_rfc3339(t, buf);
    return sk_buf_printf(out, ",\"%s\":\"%s\"", key, buf);
}

/* Appends ,"key":"<text>" with the text escaped. */
static sk_err json_text(sk_buf *out, const char *key, const char *text)
{
    sk_err rc = sk_buf_printf(out, ",\"%s\":", key);

    return rc != SK_OK ? rc : sk_buf_json_str(out, sk_str_c(text));
}

/* The flat resolved_* keys kept from the first version of the listing. */
static sk_err alert_json_flat(const sk_alert *a, sk_buf *out)
{
    sk_err rc;

    if (a->state != SK_ALERT_RESOLVED)
        return sk_buf_appendc(out, ",\"resolved_at\":null,\"resolved_by\":null,"
                                   "\"resolved_agency\":null,\"resolved_user\":null");
    rc = json_time(out, "resolved_at", a->resolved_at);
    if (rc == SK_OK)
        rc = json_text(out, "resolved_by", a->resolved_by);
    if (rc == SK_OK)
        rc = json_text(out, "resolved_agency", a->resolved_agency);
    if (rc == SK_OK)
        rc = json_text(out, "resolved_user", a->resolved_user);
    return rc;
}

/* The acknowledged and resolved objects, each null when not (yet) so. */
static sk_err alert_json_people(const sk_alert *a, sk_buf *out)
{
    char at[SK_RFC3339_LEN + 1];
    sk_err rc = SK_OK;

    if (a->acknowledged) {
        sk_time_format_rfc3339(a->acknowledged_at, at);
        rc = sk_buf_printf(out, ",\"acknowledged\":{\"at\":\"%s\"", at);
        if (rc == SK_OK)
            rc = json_text(out, "agency", a->acknowledged_agency);
        if (rc == SK_OK)
            rc = json_text(out, "user", a->acknowledged_user);
        if (rc == SK_OK)
            rc = sk_buf_appendc(out, "}");
    } else {
        rc = sk_buf_appendc(out, ",\"acknowledged\":null");
    }
    if (rc != SK_OK || a->state != SK_ALERT_RESOLVED)
        return rc != SK_OK ? rc : sk_buf_appendc(out, ",\"resolved\":null");
    sk_time_format_rfc3339(a->resolved_at, at);
    rc = sk_buf_printf(out, ",\"resolved\":{\"at\":\"%s\"", at);
    if (rc == SK_OK)
        rc = a->resolved_by_hand ? sk_buf_appendc(out, ",\"by_event\":null")
                                 : json_text(out, "by_event", a->resolved_by);
    if (rc == SK_OK)
        rc = json_text(out, "agency", a->resolved_agency);
    if (rc == SK_OK)
        rc = json_text(out, "user", a->resolved_user);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"by_hand\":%s}", a->resolved_by_hand ? "true" : "false");
    return rc;
}

sk_err sk_alert_json(const sk_alert *a, sk_buf *out)
{
    sk_err rc;

    SK_ASSERT(a != NULL);
    SK_ASSERT(out != NULL);
    SK_ASSERT((unsigned)a->rule < SK_DL__COUNT);
    rc = sk_buf_appendc(out, "{\"id\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(out, sk_str_c(a->id));
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"rule\":\"%s\"", rule_defs[a->rule].name);
    if (rc == SK_OK)
        rc = json_text(out, "child", a->child);
    if (rc == SK_OK)
        rc = json_text(out, "owner", a->owner);
    if (rc == SK_OK)
        rc = json_text(out, "anchor", a->anchor_id);
    if (rc == SK_OK)
        rc = json_time(out, "anchored_at", a->anchored_at);
    if (rc == SK_OK)
        rc = json_time(out, "due_at", a->due_at);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"state\":\"%s\"", sk_alert_state_name(a->state));
    if (rc == SK_OK)
        rc = alert_json_flat(a, out);
    if (rc == SK_OK)
        rc = alert_json_people(a, out);
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, "}");
    return rc;
}

static void rule_set(sk_deadline_config *cfg, sk_deadline_rule r, int64_t from, int64_t delay_s,
                     uint32_t count)
{
    cfg->rules[r].enabled = 1;
    cfg->rules[r].effective_from = from;
    cfg->rules[r].effective_to = 0;
    cfg->rules[r].delay_s = delay_s;
    cfg->rules[r].count = count;
}

void sk_deadline_config_default(sk_deadline_config *cfg)
{
    SK_ASSERT(cfg != NULL);
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->child_welfare_agency, sizeof(cfg->child_welfare_agency), "ORR");
    snprintf(cfg->enforcement_agency, sizeof(cfg->enforcement_agency), "ICE");
    snprintf(cfg->court_agency, sizeof(cfg->court_agency), "EOIR");
    rule_set(cfg, SK_DL_HHS_NOTICE, TVPRA_FROM, 48 * HOUR, 0);
    rule_set(cfg, SK_DL_TRANSFER, TVPRA_FROM, 72 * HOUR, 0);
    rule_set(cfg, SK_DL_WELLNESS_CALL, CALLS_FROM, 30 * DAY, 0);
    rule_set(cfg, SK_DL_MISSED_HEARING, SK_TIME_MIN, 0, 0);
    rule_set(cfg, SK_DL_NTA_NOT_FILED, SK_TIME_MIN, 90 * DAY, 0);
    rule_set(cfg, SK_DL_ADDRESS_NOT_FILED, SK_TIME_MIN, 0, 5);
    rule_set(cfg, SK_DL_UNREACHABLE, CALLS_FROM, 0, 3);
    rule_set(cfg, SK_DL_SPONSOR_PENDING, SK_TIME_MIN, 90 * DAY, 0);
    rule_set(cfg, SK_DL_CONTEST_UNANSWERED, SK_TIME_MIN, 30 * DAY, 0);
}

/* ------------------------------------------------------------ one event */

/* What the rules need of one event. flag: a release to a sponsor
 * (discharge), reached (wellness_call), a failure to appear or in absentia
 * order (hearing_outcome), entered (counsel). key: sponsor_id (sponsor
 * events, discharge), fact_id, org_id or hearing_id. */
typedef struct cev {
    int64_t at;
    sk_event_type type;
    uint8_t flag;
    char id[SK_ID_LEN_MAX + 1];
    char agency[SK_ID_LEN_MAX + 1];
    char user[SK_ID_LEN_MAX + 1];
    char key[SK_ID_LEN_MAX + 1];
    sk_str cites; /* decision only; arena text, "" otherwise */
    sk_str alert; /* alert events only: alert_id, as stored (ids need no escape) */
    sk_str note;  /* alert events only: note, as stored (JSON-escaped) */
} cev;

typedef struct scan_ctx {
    const sk_deadline_config *cfg;
    int64_t now;
    sk_alert_cb cb;
    void *cb_ctx;
    sk_diag *diag;
    sk_err rc;
    int stopped;
    char child[SK_ID_LEN_MAX + 1];
    cev *ev;
    size_t n;
    sk_alert *alerts;
    size_t alert_count;
    sk_arena *arena;
} scan_ctx;

static void copy_id(char dst[SK_ID_LEN_MAX + 1], sk_str src)
{
    size_t len = src.len < SK_ID_LEN_MAX ? src.len : SK_ID_LEN_MAX;

    if (len > 0)
        memcpy(dst, src.ptr, len);
    dst[len] = '\0';
}

/* Skips a JSON string starting at p (on the opening quote); returns the
 * position after the closing quote, or end when it is unterminated. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return end;
}

/*
 * The raw value of key name in a flat JSON object (the stored canonical
 * payload): the bytes between the quotes of a string, or the literal. Keys
 * are compared one by one, so a value that happens to contain the text of
 * a key is never mistaken for it.
 */
static int payload_field(sk_str json, const char *name, sk_str *out)
{
    const char *p = json.ptr, *end = json.ptr + json.len, *k, *v;
    size_t name_len = strlen(name);
    int match;

    while (p < end && *p != '"')
        p++;
    while (p < end && *p == '"') {
        k = p + 1;
        p = skip_string(p, end);
        match = (size_t)(p - 1 - k) == name_len && memcmp(k, name, name_len) == 0;
        while (p < end && (*p == ':' || *p == ' '))
            p++;
        v = p;
        if (p < end && *p == '"') {
            p = skip_string(p, end);
            if (match) {
                *out = (sk_str){v + 1, (size_t)(p - v - 2)};
                return 1;
            }
        } else {
            while (p < end && *p != ',' && *p != '}')
                p++;
            if (match) {
                *out = (sk_str){v, (size_t)(p - v)};
                return 1;
            }
        }
        while (p < end && *p != '"')
            p++;
    }
    return 0;
}

static uint8_t field_is(sk_str json, const char *name, const char *value)
{
    sk_str v;

    return (uint8_t)(payload_field(json, name, &v) && sk_str_eqc(v, value));
}

static void field_key(sk_str json, const char *name, cev *e)
{
    sk_str v = SK_STR_NULL;

    if (payload_field(json, name, &v))
        copy_id(e->key, v);
}

/* Reads the fields the rules use from the row's payload. */
static sk_err load_payload(scan_ctx *ctx, const sk_ledger_row *row, cev *e)
{
    sk_str json = row->payload_json, v;

    switch (e->type) {
    case SK_EV_DISCHARGE:
        e->flag = field_is(json, "discharge_type", "released_to_sponsor");
        field_key(json, "sponsor_id", e);
        return SK_OK;
    case SK_EV_WELLNESS_CALL:
        e->flag = field_is(json, "reached", "true");
        return SK_OK;
    case SK_EV_HEARING_OUTCOME:
        e->flag = (uint8_t)(field_is(json, "outcome", "failed_to_appear") ||
                            field_is(json, "outcome", "in_absentia_order"));
        field_key(json, "hearing_id", e);
        return SK_OK;
    case SK_EV_COUNSEL:
        e->flag = field_is(json, "action", "entered");
        field_key(json, "org_id", e);
        return SK_OK;
    case SK_EV_SPONSOR_APPLICATION:
    case SK_EV_SPONSOR_APPROVED:
    case SK_EV_SPONSOR_DENIED:
        field_key(json, "sponsor_id", e);
        return SK_OK;
    case SK_EV_FACT_ASSERTED:
    case SK_EV_FACT_CONTESTED:
    case SK_EV_FACT_CORRECTED:
    case SK_EV_FACT_RETRACTED:
        field_key(json, "fact_id", e);
        return SK_OK;
    case SK_EV_DECISION:
        if (!payload_field(json, "cites", &v) || v.len > CITES_LEN_MAX)
            return SK_OK;
        return sk_arena_strdup(ctx->arena, v, &e->cites);
    case SK_EV_ALERT_ACKNOWLEDGED:
    case SK_EV_ALERT_RESOLVED:
        if (payload_field(json, "alert_id", &v) && v.len <= SK_ALERT_ID_MAX) {
            sk_err rc = sk_arena_strdup(ctx->arena, v, &e->alert);
            if (rc != SK_OK || !payload_field(json, "note", &v))
                return rc;
            return sk_arena_strdup(ctx->arena, v, &e->note);
        }
        return SK_OK;
    default:
        return SK_OK;
    }
}

/* ------------------------------------------------------------ the rules */

static int in_force(const sk_deadline_rule_config *rc, int64_t at)
{
    return rc->enabled && at >= rc->effective_from &&
           (rc->effective_to == 0 || at < rc->effective_to);
}

/* 1 when the weekday of day number d (days since 1970-01-01, a Thursday)
 * is Saturday or Sunday, in UTC. */
static int weekend(int64_t d)
{
    int64_t wd = ((d % 7) + 7 + 4) % 7; /* 0 Sunday .. 6 Saturday */

    return wd == 0 || wd == 6;
}

/* at advanced by count working days (Monday to Friday, UTC; no holidays),
 * keeping the time of day. */
static int64_t add_working_days(int64_t at, uint32_t count)
{
    int64_t d0 = at >= 0 ? at / DAY : (at - DAY + 1) / DAY, d = d0;
    uint32_t i;

    for (i = 0; i < count; i++) {
        d++;
        while (weekend(d))
            d++;
    }
    return at + (d - d0) * DAY;
}

/* 1 when the comma-separated id list has id. */
static int list_has(sk_str list, const char *id)
{
    size_t id_len = strlen(id), i = 0, start;

    while (i <= list.len) {
        start = i;
        while (i < list.len && list.ptr[i] != ',')
            i++;
        if (i - start == id_len && memcmp(list.ptr + start, id, id_len) == 0)
            return 1;
        i++;
    }
    return 0;
}

/* Whether event e satisfies rule r anchored by a. */
static int satisfies(const scan_ctx *ctx, sk_deadline_rule r, const cev *a, const cev *e)
{
    switch (r) {
    case SK_DL_HHS_NOTICE:
        return e->type == SK_EV_REFERRAL;
    case SK_DL_TRANSFER:
        return e->type == SK_EV_ADMISSION;
    case SK_DL_WELLNESS_CALL:
        return e->type == SK_EV_WELLNESS_CALL;
    case SK_DL_MISSED_HEARING:
        return e->type == SK_EV_HEARING_SCHEDULED || (e->type == SK_EV_HEARING_OUTCOME && !e->flag);
    case SK_DL_NTA_NOT_FILED:
        return e->type == SK_EV_NTA_FILED;
    case SK_DL_ADDRESS_NOT_FILED:
        return e->type == SK_EV_CHANGE_OF_ADDRESS && strcmp(e->agency, ctx->cfg->court_agency) == 0;
    case SK_DL_UNREACHABLE:
        return e->type == SK_EV_WELLNESS_CALL && e->flag;
    case SK_DL_SPONSOR_PENDING:
        /* A release to the sponsor settles the application as well. */
        return (e->type == SK_EV_SPONSOR_APPROVED || e->type == SK_EV_SPONSOR_DENIED ||
                (e->type == SK_EV_DISCHARGE && e->flag)) &&
               strcmp(e->key, a->key) == 0;
    case SK_DL_CONTEST_UNANSWERED:
        if (e->type == SK_EV_DECISION)
            return a->key[0] != '\0' && list_has(e->cites, a->key);
        return (e->type == SK_EV_FACT_CORRECTED || e->type == SK_EV_FACT_RETRACTED) &&
               strcmp(e->key, a->key) == 0;
    default:
        SK_ASSERT(0);
        return 0;
    }
}

/* 1 when an event of type t (and, unless key is NULL, with that key and
 * flag) comes before index i. */
static int seen_before(const scan_ctx *ctx, size_t i, sk_event_type t, const char *key, int flag)
{
    size_t j;

    for (j = 0; j < i; j++) {
        if (ctx->ev[j].type == t &&
            (key == NULL || (strcmp(ctx->ev[j].key, key) == 0 && ctx->ev[j].flag == flag)))
            return 1;
    }
    return 0;
}

/* Number of unreached calls in a row ending at index i. */
static uint32_t unreached_run(const scan_ctx *ctx, size_t i)
{
    uint32_t run = 0;
    size_t j = i + 1;

    while (j-- > 0) {
        if (ctx->ev[j].type != SK_EV_WELLNESS_CALL)
            continue;
        if (ctx->ev[j].flag)
            break;
        run++;
    }
    return run;
}

/* Whether event i anchors rule r (before any effective-date check). */
static int anchors(const scan_ctx *ctx, sk_deadline_rule r, size_t i)
{
    const cev *e = &ctx->ev[i];

    switch (r) {
    case SK_DL_HHS_NOTICE:
    case SK_DL_TRANSFER:
        return e->type == SK_EV_APPREHENSION;
    case SK_DL_WELLNESS_CALL:
        return e->type == SK_EV_DISCHARGE && e->flag;
    case SK_DL_NTA_NOT_FILED:
        return e->type == SK_EV_DISCHARGE && e->flag &&
               !seen_before(ctx, i, SK_EV_NTA_FILED, NULL, 0);
    case SK_DL_MISSED_HEARING:
        /* One alert per missed hearing, though it may be recorded twice
         * (a failure to appear, then the in absentia order). */
        return e->type == SK_EV_HEARING_OUTCOME && e->flag &&
               !seen_before(ctx, i, SK_EV_HEARING_OUTCOME, e->key, 1);
    case SK_DL_ADDRESS_NOT_FILED:
        return e->type == SK_EV_CHANGE_OF_ADDRESS &&
               strcmp(e->agency, ctx->cfg->court_agency) != 0 &&
               seen_before(ctx, i, SK_EV_NTA_FILED, NULL, 0);
    case SK_DL_UNREACHABLE:
        return e->type == SK_EV_WELLNESS_CALL && !e->flag &&
               unreached_run(ctx, i) == ctx->cfg->rules[r].count;
    case SK_DL_SPONSOR_PENDING:
        return e->type == SK_EV_SPONSOR_APPLICATION;
    case SK_DL_CONTEST_UNANSWERED:
        return e->type == SK_EV_FACT_CONTESTED;
    default:
        SK_ASSERT(0);
        return 0;
    }
}

/* ------------------------------------------------------------ owners */

typedef struct owners {
    const char *id[RULE_OWNERS];
    size_t count;
} owners;

static void owners_add(owners *o, const char *id)
{
    size_t i;

    for (i = 0; i < o->count; i++) {
        if (strcmp(o->id[i], id) == 0)
            return;
    }
    if (o->count < RULE_OWNERS)
        o->id[o->count++] = id;
}

/* Adds the counsel of record at index i: entered and not since withdrawn. */
static void owners_counsel(const scan_ctx *ctx, size_t i, owners *o)
{
    const char *held[SK_COUNSEL_MAX];
    size_t count = 0, j, k;

    for (j = 0; j < i; j++) {
        const cev *e = &ctx->ev[j];
        if (e->type != SK_EV_COUNSEL || e->key[0] == '\0')
            continue;
        for (k = 0; k < count && strcmp(held[k], e->key) != 0; k++)
            ;
        if (e->flag && k == count && count < SK_COUNSEL_MAX)
            held[count++] = e->key;
        else if (!e->flag && k < count)
            held[k] = held[--count];
    }
    for (k = 0; k < count; k++)
        owners_add(o, held[k]);
}

/* The agencies that must act on rule r anchored at index i. */
static void rule_owners(const scan_ctx *ctx, sk_deadline_rule r, size_t i, owners *o)
{
    const cev *a = &ctx->ev[i];
    const char *cw = ctx->cfg->child_welfare_agency;
    size_t j;

    o->count = 0;
    switch (r) {
    case SK_DL_HHS_NOTICE:
    case SK_DL_TRANSFER:
        owners_add(o, a->agency);
        break;
    case SK_DL_NTA_NOT_FILED:
        owners_add(o, ctx->cfg->enforcement_agency);
        break;
    case SK_DL_MISSED_HEARING:
        owners_add(o, cw);
        owners_counsel(ctx, i, o);
        break;
    case SK_DL_ADDRESS_NOT_FILED:
        owners_counsel(ctx, i, o);
        if (o->count == 0)
            owners_add(o, cw);
        break;
    case SK_DL_CONTEST_UNANSWERED:
        for (j = i; j-- > 0;) {
            if (ctx->ev[j].type == SK_EV_FACT_ASSERTED && strcmp(ctx->ev[j].key, a->key) == 0) {
                owners_add(o, ctx->ev[j].agency);
                break;
            }
        }
        if (o->count == 0)
            owners_add(o, cw);
        break;
    default:
        owners_add(o, cw);
        break;
    }
}

/* ------------------------------------------------------------ evaluation */

static int64_t due_time(const scan_ctx *ctx, sk_deadline_rule r, const cev *a)
{
    const sk_deadline_rule_config *rc = &ctx->cfg->rules[r];

    if (r == SK_DL_ADDRESS_NOT_FILED)
        return add_working_days(a->at, rc->count);
    return a->at + rc->delay_s;
}

/* Copies a stored (JSON-escaped) string into dst, undoing the escapes the
 * canonical payload uses: a backslash before a quote or backslash, and
 * \u00XX. Truncates at SK_ALERT_NOTE_MAX bytes. */
static void copy_note(char dst[SK_ALERT_NOTE_MAX + 1], sk_str src)
{
    size_t i = 0, len = 0;
    unsigned v;

    while (i < src.len && len < SK_ALERT_NOTE_MAX) {
        if (src.ptr[i] == '\\' && i + 5 < src.len && src.ptr[i + 1] == 'u' &&
            sscanf(src.ptr + i + 2, "%4x", &v) == 1 && v < 0x80) {
            dst[len++] = (char)v;
            i += 6;
            continue;
        }
        if (src.ptr[i] == '\\' && i + 1 < src.len)
            i++;
        dst[len++] = src.ptr[i++];
    }
    dst[len] = '\0';
}

/* 1 when e is an alert event of type t about al by al's owner, at or after
 * al's due time: before that the alert did not exist, and only the owner
 * acknowledges or resolves by hand (whatever path recorded the event). */
static int about(const sk_alert *al, const cev *e, sk_event_type t)
{
    return e->type == t && e->at >= al->due_at && strcmp(e->agency, al->owner) == 0 &&
           sk_str_eqc(e->alert, al->id);
}

/*
 * Applies the people's events to al, a filled alert whose satisfying event
 * (if any) is at index sat (ctx->n when none). The first resolution by hand
 * before the satisfying event resolves it; the first acknowledgement before
 * the resolution acknowledges it. Events about ids that match no alert are
 * never looked at, so they change nothing.
 */
static void apply_people(const scan_ctx *ctx, sk_alert *al, size_t anchor, size_t sat)
{
    size_t j, end = sat;
    const cev *e;

    for (j = anchor + 1; j < sat; j++) {
        if (about(al, &ctx->ev[j], SK_EV_ALERT_RESOLVED)) {
            e = &ctx->ev[j];
            al->state = SK_ALERT_RESOLVED;
            al->resolved_by_hand = 1;
            al->resolved_at = e->at;
            snprintf(al->resolved_by, sizeof(al->resolved_by), "%s", e->id);
            snprintf(al->resolved_agency, sizeof(al->resolved_agency), "%s", e->agency);
            snprintf(al->resolved_user, sizeof(al->resolved_user), "%s", e->user);
            copy_note(al->resolved_note, e->note);
            end = j;
            break;
        }
    }
    for (j = anchor + 1; j < end; j++) {
        if (about(al, &ctx->ev[j], SK_EV_ALERT_ACKNOWLEDGED)) {
            e = &ctx->ev[j];
            al->acknowledged = 1;
            al->acknowledged_at = e->at;
            snprintf(al->acknowledged_by, sizeof(al->acknowledged_by), "%s", e->id);
            snprintf(al->acknowledged_agency, sizeof(al->acknowledged_agency), "%s", e->agency);
            snprintf(al->acknowledged_user, sizeof(al->acknowledged_user), "%s", e->user);
            copy_note(al->acknowledged_note, e->note);
            if (al->state == SK_ALERT_OPEN)
                al->state = SK_ALERT_ACKNOWLEDGED;
            break;
        }
    }
}

/* Appends one alert per owner of rule r anchored at i, as of ctx->now. */
static sk_err raise(scan_ctx *ctx, sk_deadline_rule r, size_t i)
{
    const cev *a = &ctx->ev[i], *s = NULL;
    int64_t due = due_time(ctx, r, a);
    sk_alert_state state;
    size_t j, sat = ctx->n;
    owners o;

    for (j = i + 1; j < ctx->n && s == NULL; j++) {
        if (satisfies(ctx, r, a, &ctx->ev[j])) {
            s = &ctx->ev[j];
            sat = j;
        }
    }
    if (s != NULL && s->at <= due)
        return SK_OK; /* met in time: nothing to report */
    if (s != NULL)
        state = SK_ALERT_RESOLVED;
    else if (due <= ctx->now)
        state = SK_ALERT_OPEN;
    else if (ctx->cfg->report_pending)
        state = SK_ALERT_PENDING;
    else
        return SK_OK;
    rule_owners(ctx, r, i, &o);
    for (j = 0; j < o.count; j++) {
        sk_alert *al;
        if (ctx->alert_count == SK_DEADLINE_ALERTS_MAX)
            return sk_diag_set(ctx->diag, SK_ERR_TOO_LARGE, "alerts",
                               "a child has more than %d alerts", SK_DEADLINE_ALERTS_MAX);
        al = &ctx->alerts[ctx->alert_count++];
        memset(al, 0, sizeof(*al));
        al->rule = r;
        al->state = state;
        snprintf(al->child, sizeof(al->child), "%s", ctx->child);
        snprintf(al->owner, sizeof(al->owner), "%s", o.id[j]);
        snprintf(al->anchor_id, sizeof(al->anchor_id), "%s", a->id);
        if (r == SK_DL_MISSED_HEARING || r == SK_DL_ADDRESS_NOT_FILED)
            snprintf(al->id, sizeof(al->id), "%s:%s:%s:%s", rule_defs[r].name, ctx->child, a->id,
                     o.id[j]);
        else
            snprintf(al->id, sizeof(al->id), "%s:%s:%s", rule_defs[r].name, ctx->child, a->id);
        al->anchored_at = a->at;
        al->due_at = due;
        if (s != NULL) {
            al->resolved_at = s->at;
            snprintf(al->resolved_by, sizeof(al->resolved_by), "%s", s->id);
            snprintf(al->resolved_agency, sizeof(al->resolved_agency), "%s", s->agency);
            snprintf(al->resolved_user, sizeof(al->resolved_user), "%s", s->user);
        }
        apply_people(ctx, al, i, sat);
    }
    return SK_OK;
}

/* Order within a child: due time, rule, then the anchor (its id) and owner
 * so that the order never depends on qsort. */
static int alert_cmp(const void *pa, const void *pb)
{
    const sk_alert *a = pa, *b = pb;
    int c;

    if (a->due_at != b->due_at)
        return a->due_at < b->due_at ? -1 : 1;
    if (a->rule != b->rule)
        return a->rule < b->rule ? -1 : 1;
    c = strcmp(a->anchor_id, b->anchor_id);
    return c != 0 ? c : strcmp(a->owner, b->owner);
}

/* Evaluates every rule over the collected child and hands out its alerts. */
static sk_err flush_child(scan_ctx *ctx)
{
    sk_err rc = SK_OK;
    size_t i;
    unsigned r;

    ctx->alert_count = 0;
    for (i = 0; i < ctx->n && rc == SK_OK; i++) {
        for (r = 0; r < SK_DL__COUNT && rc == SK_OK; r++) {
            if (in_force(&ctx->cfg->rules[r], ctx->ev[i].at) &&
                anchors(ctx, (sk_deadline_rule)r, i))
                rc = raise(ctx, (sk_deadline_rule)r, i);
        }
    }
    if (rc == SK_OK && ctx->alert_count > 1)
        qsort(ctx->alerts, ctx->alert_count, sizeof(ctx->alerts[0]), alert_cmp);
    for (i = 0; rc == SK_OK && i < ctx->alert_count && !ctx->stopped; i++) {
        if (ctx->cb(&ctx->alerts[i], ctx->cb_ctx) != 0)
            ctx->stopped = 1;
    }
    ctx->n = 0;
    sk_arena_reset(ctx->arena);
    return rc;
}

static int scan_row(const sk_ledger_row *row, void *vctx)
{
    scan_ctx *ctx = vctx;
    sk_event_type type;
    cev *e;

    if (row->subject_count == 0 || sk_event_type_parse(row->type, &type) != SK_OK ||
        !sk_event_type_is_case(type))
        return 0;
    if (ctx->n > 0 && !sk_str_eqc(row->subjects[0], ctx->child)) {
        ctx->rc = flush_child(ctx);
        if (ctx->rc != SK_OK || ctx->stopped)
            return 1;
    }
    if (row->occurred_at > ctx->now)
        return 0; /* not yet happened, as of the clock */
    if (ctx->n == 0)
        copy_id(ctx->child, row->subjects[0]);
    if (ctx->n == SK_DEADLINE_EVENTS_MAX) {
        ctx->rc = sk_diag_set(ctx->diag, SK_ERR_TOO_LARGE, "events",
                              "a child has more than %d events", SK_DEADLINE_EVENTS_MAX);
        return 1;
    }
    e = &ctx->ev[ctx->n++];
    e->at = row->occurred_at;
    e->type = type;
    e->flag = 0;
    e->key[0] = '\0';
    e->cites = SK_STR("");
    e->alert = SK_STR("");
    e->note = SK_STR("");
    copy_id(e->id, row->id);
    copy_id(e->agency, row->agency);
    copy_id(e->user, row->user);
    ctx->rc = load_payload(ctx, row, e);
    return ctx->rc != SK_OK;
}

/* The scan behind both entry points: every child, or one (SK_SCAN_CHILD). */
static sk_err scan(sk_store *store, const sk_deadline_config *cfg, sk_scan kind, sk_str child,
                   int64_t now, sk_alert_cb cb, void *cb_ctx, sk_diag *diag)
{
    scan_ctx ctx;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(cfg != NULL);
    SK_ASSERT(cb != NULL);
    memset(&ctx, 0, sizeof(ctx));
    ctx.cfg = cfg;
    ctx.now = now;
    ctx.cb = cb;
    ctx.cb_ctx = cb_ctx;
    ctx.diag = diag;
    ctx.ev = malloc(SK_DEADLINE_EVENTS_MAX * sizeof(cev));
    ctx.alerts = malloc(SK_DEADLINE_ALERTS_MAX * sizeof(sk_alert));
    rc = ctx.ev == NULL || ctx.alerts == NULL ? SK_ERR_NOMEM : SK_OK;
    if (rc == SK_OK)
        rc = sk_arena_new(ARENA_CHUNK, ARENA_MAX, &ctx.arena);
    if (rc != SK_OK)
        goto out;
    rc = sk_store_ledger_scan(store, kind, child, scan_row, &ctx, diag);
    if (rc == SK_OK)
        rc = ctx.rc;
    if (rc == SK_OK && ctx.n > 0 && !ctx.stopped)
        rc = flush_child(&ctx);
out:
    sk_arena_free(ctx.arena);
    free(ctx.ev);
    free(ctx.alerts);
    return rc;
}

sk_err sk_deadline_scan(sk_store *store, const sk_deadline_config *cfg, int64_t now, sk_alert_cb cb,
                        void *cb_ctx, sk_diag *diag)
{
    return scan(store, cfg, SK_SCAN_BY_CHILD, SK_STR_NULL, now, cb, cb_ctx, diag);
}

sk_err sk_deadline_scan_child(sk_store *store, const sk_deadline_config *cfg, sk_str child,
                              int64_t now, sk_alert_cb cb, void *cb_ctx, sk_diag *diag)
{
    SK_ASSERT(child.len > 0);
    return scan(store, cfg, SK_SCAN_CHILD, child, now, cb, cb_ctx, diag);
}
