/* SPDX-License-Identifier: Apache-2.0 */
/*
 * case.c: the state of a child's case as a fold over its events.
 *
 * Two tracks run side by side. Custody: apprehended -> referred -> in care
 * (transfers stay in care) -> released to a sponsor or otherwise discharged
 * -> closed. Immigration: notice to appear filed -> hearing scheduled ->
 * failed to appear / ordered removed in absentia, and relief pending ->
 * granted or denied. The fold never refuses an event: the ledger is the
 * record, and agencies report late and out of order. What the fold finds
 * surprising (a release with no admission on record, a second discharge, an
 * event after closure) it flags for data quality and still applies, because
 * the newest information from the field usually is the truth.
 */
#include "safekeep/sk_model.h"

#include "sk_int.h"

static const char *const custody_names[SK_CUSTODY__COUNT] = {
    "unknown", "apprehended", "referred", "in_care", "released", "discharged", "closed"};
static const char *const court_names[SK_COURT__COUNT] = {
    "none",           "nta_filed",      "hearing_scheduled", "failed_to_appear", "ordered_removed",
    "relief_pending", "relief_granted", "relief_denied"};

const char *sk_custody_name(sk_custody c)
{
    SK_ASSERT((unsigned)c < SK_CUSTODY__COUNT);
    return custody_names[c];
}

const char *sk_court_name(sk_court c)
{
    SK_ASSERT((unsigned)c < SK_COURT__COUNT);
    return court_names[c];
}

static sk_err parse_name(sk_str name, const char *const *names, size_t count, int *out)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (sk_str_eqc(name, names[i])) {
            *out = (int)i;
            return SK_OK;
        }
    }
    return SK_ERR_NOT_FOUND;
}

sk_err sk_custody_parse(sk_str name, sk_custody *out)
{
    int v = 0;
    sk_err rc = parse_name(name, custody_names, SK_CUSTODY__COUNT, &v);
    *out = (sk_custody)v;
    return rc;
}

sk_err sk_court_parse(sk_str name, sk_court *out)
{
    int v = 0;
    sk_err rc = parse_name(name, court_names, SK_COURT__COUNT, &v);
    *out = (sk_court)v;
    return rc;
}

void sk_case_init(sk_case *c, sk_str child_id)
{
    SK_ASSERT(c != NULL);
    SK_ASSERT(child_id.len <= SK_ID_LEN_MAX);
    memset(c, 0, sizeof(*c));
    memcpy(c->child_id, child_id.ptr, child_id.len);
    c->sex = -1;
    c->age_years = -1;
    c->discharge_type = -1;
}

static void copy_id(char dst[SK_ID_LEN_MAX + 1], const sk_value *v)
{
    size_t n = 0;

    if (v != NULL) {
        n = v->text.len;
        SK_ASSERT(n <= SK_ID_LEN_MAX);
        memcpy(dst, v->text.ptr, n);
    }
    dst[n] = '\0';
}

static int64_t num_of(const sk_event *ev, const char *field, int64_t dflt)
{
    const sk_value *v = sk_event_get(ev, field);
    return v ? v->num : dflt;
}

static void apply_apprehension(sk_case *c, const sk_event *ev, uint32_t *dq)
{
    const sk_value *v;

    if (c->custody >= SK_CUSTODY_APPREHENDED && c->custody != SK_CUSTODY_CLOSED)
        *dq |= SK_DQ_REPEAT;
    c->custody = SK_CUSTODY_APPREHENDED;
    c->apprehended_at = ev->occurred_at;
    v = sk_event_get(ev, "country_of_birth");
    if (v != NULL)
        memcpy(c->country, v->text.ptr, 2);
    v = sk_event_get(ev, "language");
    if (v != NULL)
        memcpy(c->language, v->text.ptr, 3);
    /* A second apprehension may say less than the first: keep what is known. */
    c->sex = (int8_t)num_of(ev, "sex", c->sex);
    c->age_years = (int16_t)num_of(ev, "age_years", c->age_years);
}

static void close_placement(sk_case *c, int64_t at)
{
    if (c->placement_count > 0 && c->placements[c->placement_count - 1].end == 0)
        c->placements[c->placement_count - 1].end = at;
}

static void open_placement(sk_case *c, const sk_event *ev, const char *facility_field, uint32_t *dq)
{
    sk_placement *p;

    close_placement(c, ev->occurred_at);
    if (c->placement_count == SK_PLACEMENTS_MAX) {
        *dq |= SK_DQ_LIMIT;
        return;
    }
    p = &c->placements[c->placement_count++];
    copy_id(p->facility, sk_event_get(ev, facility_field));
    p->type = (uint8_t)num_of(ev, "placement_type", 0);
    p->start = ev->occurred_at;
    p->end = 0;
}

static void apply_custody(sk_case *c, const sk_event *ev, uint32_t *dq)
{
    switch (ev->type) {
    case SK_EV_REFERRAL:
        if (c->custody == SK_CUSTODY_UNKNOWN)
            *dq |= SK_DQ_NO_PRIOR;
        if (c->custody > SK_CUSTODY_REFERRED)
            *dq |= SK_DQ_REPEAT;
        c->custody = SK_CUSTODY_REFERRED;
        c->referred_at = ev->occurred_at;
        break;
    case SK_EV_ADMISSION:
        if (c->custody < SK_CUSTODY_REFERRED)
            *dq |= SK_DQ_NO_PRIOR;
        c->custody = SK_CUSTODY_IN_CARE;
        if (c->admitted_at == 0)
            c->admitted_at = ev->occurred_at;
        open_placement(c, ev, "facility_id", dq);
        break;
    case SK_EV_TRANSFER:
        if (c->custody != SK_CUSTODY_IN_CARE)
            *dq |= SK_DQ_NO_PRIOR;
        c->custody = SK_CUSTODY_IN_CARE;
        open_placement(c, ev, "to_facility_id", dq);
        break;
    case SK_EV_DISCHARGE:
        if (c->custody == SK_CUSTODY_RELEASED || c->custody == SK_CUSTODY_DISCHARGED)
            *dq |= SK_DQ_REPEAT;
        else if (c->custody != SK_CUSTODY_IN_CARE)
            *dq |= SK_DQ_NO_PRIOR;
        c->discharge_type = (int8_t)num_of(ev, "discharge_type", 0);
        c->custody = c->discharge_type == 0 ? SK_CUSTODY_RELEASED : SK_CUSTODY_DISCHARGED;
        c->released_at = ev->occurred_at;
        close_placement(c, ev->occurred_at);
        copy_id(c->sponsor_id, sk_event_get(ev, "sponsor_id"));
        if (c->discharge_type == 0 &&
            (num_of(ev, "address_on_file", 0) == 0 || num_of(ev, "address_status", 0) == 2))
            *dq |= SK_DQ_UNDELIVERABLE;
        break;
    case SK_EV_CASE_CLOSED:
        if (c->custody == SK_CUSTODY_CLOSED)
            *dq |= SK_DQ_REPEAT;
        close_placement(c, ev->occurred_at);
        c->custody = SK_CUSTODY_CLOSED;
        c->closed_at = ev->occurred_at;
        break;
    default:
        SK_ASSERT(0 && "not a custody event");
    }
}

static sk_sponsor_state *sponsor_slot(sk_case *c, const sk_event *ev, int create, uint32_t *dq)
{
    const sk_value *id = sk_event_get(ev, "sponsor_id");
    size_t i;

    SK_ASSERT(id != NULL);
    for (i = 0; i < c->sponsor_count; i++) {
        if (sk_str_eqc(id->text, c->sponsors[i].id))
            return &c->sponsors[i];
    }
    if (!create)
        *dq |= SK_DQ_NO_PRIOR;
    if (c->sponsor_count == SK_SPONSORS_MAX) {
        *dq |= SK_DQ_LIMIT;
        return NULL;
    }
    sk_sponsor_state *s = &c->sponsors[c->sponsor_count++];
    memset(s, 0, sizeof(*s));
    copy_id(s->id, id);
    s->category = -1;
    s->relationship = -1;
    return s;
}

static void apply_sponsor(sk_case *c, const sk_event *ev, uint32_t *dq)
{
    sk_sponsor_state *s = sponsor_slot(c, ev, ev->type == SK_EV_SPONSOR_APPLICATION, dq);
    int64_t check;

    if (s == NULL)
        return;
    switch (ev->type) {
    case SK_EV_SPONSOR_APPLICATION:
        s->category = (int8_t)num_of(ev, "category", -1);
        s->relationship = (int8_t)num_of(ev, "relationship", -1);
        s->status = 0;
        break;
    case SK_EV_VETTING_CHECK:
        check = num_of(ev, "check_type", 0);
        s->checks_done = (uint8_t)(s->checks_done | (1u << check));
        if (num_of(ev, "result", 0) == 1)
            s->checks_flagged = (uint8_t)(s->checks_flagged | (1u << check));
        break;
    case SK_EV_SPONSOR_APPROVED:
        s->status = 1;
        break;
    case SK_EV_SPONSOR_DENIED:
        s->status = 2;
        break;
    default: /* household members are kept in the ledger and the person index */
        break;
    }
}

static sk_hearing *hearing_slot(sk_case *c, const sk_event *ev, int create, uint32_t *dq)
{
    const sk_value *id = sk_event_get(ev, "hearing_id");
    size_t i;

    SK_ASSERT(id != NULL);
    for (i = 0; i < c->hearing_count; i++) {
        if (sk_str_eqc(id->text, c->hearings[i].id))
            return &c->hearings[i];
    }
    if (!create)
        *dq |= SK_DQ_NO_PRIOR;
    if (c->hearing_count == SK_HEARINGS_MAX) {
        *dq |= SK_DQ_LIMIT;
        return NULL;
    }
    sk_hearing *h = &c->hearings[c->hearing_count++];
    memset(h, 0, sizeof(*h));
    copy_id(h->id, id);
    h->outcome = -1;
    return h;
}

static void apply_court(sk_case *c, const sk_event *ev, uint32_t *dq)
{
    sk_hearing *h;
    int64_t outcome;

    switch (ev->type) {
    case SK_EV_NTA_FILED:
        if (c->nta_filed_at != 0)
            *dq |= SK_DQ_REPEAT;
        c->nta_filed_at = ev->occurred_at;
        if (c->court == SK_COURT_NONE)
            c->court = SK_COURT_NTA_FILED;
        break;
    case SK_EV_HEARING_SCHEDULED:
        if (c->nta_filed_at == 0)
            *dq |= SK_DQ_NO_PRIOR;
        h = hearing_slot(c, ev, 1, dq);
        if (h != NULL) {
            copy_id(h->court, sk_event_get(ev, "court_id"));
            h->scheduled_for = num_of(ev, "scheduled_for", 0);
        }
        if (c->court <= SK_COURT_FAILED_TO_APPEAR)
            c->court = SK_COURT_HEARING_SCHEDULED;
        break;
    case SK_EV_HEARING_OUTCOME:
        h = hearing_slot(c, ev, 0, dq);
        outcome = num_of(ev, "outcome", 0);
        if (h != NULL)
            h->outcome = (int8_t)outcome;
        if (outcome == 1)
            c->court = SK_COURT_FAILED_TO_APPEAR;
        else if (outcome == 2)
            c->court = SK_COURT_ORDERED_REMOVED;
        break;
    default:
        SK_ASSERT(0 && "not a court event");
    }
}

static void apply_relief(sk_case *c, const sk_event *ev, uint32_t *dq)
{
    int64_t type = num_of(ev, "relief_type", 0);
    size_t i;

    for (i = 0; i < c->relief_count && c->relief[i].type != type; i++)
        ;
    if (i == c->relief_count) {
        if (ev->type == SK_EV_RELIEF_DECIDED)
            *dq |= SK_DQ_NO_PRIOR;
        if (c->relief_count == SK_RELIEF_MAX) {
            *dq |= SK_DQ_LIMIT;
            return;
        }
        c->relief[c->relief_count].type = (uint8_t)type;
        c->relief[c->relief_count].outcome = -1;
        c->relief[c->relief_count].filed_at = ev->occurred_at;
        c->relief_count++;
    }
    if (ev->type == SK_EV_RELIEF_FILED) {
        c->court = SK_COURT_RELIEF_PENDING;
        return;
    }
    c->relief[i].outcome = (int8_t)num_of(ev, "outcome", 0);
    if (c->relief[i].outcome == 0)
        c->court = SK_COURT_RELIEF_GRANTED;
    else if (c->relief[i].outcome == 1)
        c->court = SK_COURT_RELIEF_DENIED;
}

static void apply_counsel(sk_case *c, const sk_event *ev)
{
    const sk_value *org = sk_event_get(ev, "org_id");
    size_t i;

    SK_ASSERT(org != NULL);
    for (i = 0; i < c->counsel_count && !sk_str_eqc(org->text, c->counsel[i]); i++)
        ;
    if (num_of(ev, "action", 0) == 1) { /* withdrawn */
        if (i < c->counsel_count) {
            memmove(&c->counsel[i], &c->counsel[i + 1],
                    sizeof(c->counsel[0]) * (c->counsel_count - i - 1));
            c->counsel_count--;
        }
        return;
    }
    if (i == c->counsel_count && c->counsel_count < SK_COUNSEL_MAX)
        copy_id(c->counsel[c->counsel_count++], org);
}

static void apply_follow_up(sk_case *c, const sk_event *ev, uint32_t *dq)
{
    if (c->custody != SK_CUSTODY_RELEASED && c->custody != SK_CUSTODY_CLOSED)
        *dq |= SK_DQ_NO_PRIOR;
    if (c->call_count == SK_CALLS_MAX) {
        /* Keep the latest calls: shift out the oldest. */
        memmove(&c->calls[0], &c->calls[1], sizeof(c->calls[0]) * (SK_CALLS_MAX - 1));
        c->call_count--;
    }
    c->calls[c->call_count].at = ev->occurred_at;
    c->calls[c->call_count].reached = (uint8_t)num_of(ev, "reached", 0);
    c->call_count++;
}

void sk_case_apply(sk_case *c, sk_event *ev)
{
    uint32_t dq = ev->dq_flags & SK_DQ_AGE; /* set by validation; keep it */

    SK_ASSERT(c != NULL);
    SK_ASSERT(ev != NULL);
    SK_ASSERT(ev->subject_count > 0);
    SK_ASSERT(sk_event_type_is_case(ev->type));
    if (ev->type == SK_EV_ALERT_ACKNOWLEDGED || ev->type == SK_EV_ALERT_RESOLVED) {
        /* Work on an alert, not a change in the child's situation: it is in
         * the child's ledger for sk_deadline_scan, and the fold ignores it. */
        ev->dq_flags &= SK_DQ_LATE;
        return;
    }
    if (c->event_count == 0 && ev->type != SK_EV_APPREHENSION && ev->type != SK_EV_REFERRAL)
        dq |= SK_DQ_UNKNOWN_SUBJECT;
    if (c->custody == SK_CUSTODY_CLOSED && ev->type != SK_EV_CASE_CLOSED)
        dq |= SK_DQ_AFTER_CLOSE;
    switch (ev->type) {
    case SK_EV_APPREHENSION:
        apply_apprehension(c, ev, &dq);
        break;
    case SK_EV_REFERRAL:
    case SK_EV_ADMISSION:
    case SK_EV_TRANSFER:
    case SK_EV_DISCHARGE:
    case SK_EV_CASE_CLOSED:
        apply_custody(c, ev, &dq);
        break;
    case SK_EV_SPONSOR_APPLICATION:
    case SK_EV_HOUSEHOLD_MEMBER:
    case SK_EV_VETTING_CHECK:
    case SK_EV_SPONSOR_APPROVED:
    case SK_EV_SPONSOR_DENIED:
        apply_sponsor(c, ev, &dq);
        break;
    case SK_EV_WELLNESS_CALL:
        apply_follow_up(c, ev, &dq);
        break;
    case SK_EV_INCIDENT:
        c->incident_count++;
        break;
    case SK_EV_NTA_FILED:
    case SK_EV_HEARING_SCHEDULED:
    case SK_EV_HEARING_OUTCOME:
        apply_court(c, ev, &dq);
        break;
    case SK_EV_RELIEF_FILED:
    case SK_EV_RELIEF_DECIDED:
        apply_relief(c, ev, &dq);
        break;
    case SK_EV_COUNSEL:
        apply_counsel(c, ev);
        break;
    default: /* facts, decisions, services, counsel, addresses: ledger and timeline only */
        break;
    }
    if (ev->occurred_at > c->last_occurred_at)
        c->last_occurred_at = ev->occurred_at;
    c->event_count++;
    /* "late" describes an arrival, not the case: the projection of the same
     * events is the same whatever order they came in. */
    c->dq_flags |= dq;
    ev->dq_flags = (ev->dq_flags & SK_DQ_LATE) | dq;
}
