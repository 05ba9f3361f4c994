/* SPDX-License-Identifier: Apache-2.0 */
/*
 * court.c: the immigration-court track, relief, incidents, case closure and
 * the duplicate records other agencies create.
 *
 * The court track runs beside custody, as it does in life: most children
 * never get a Notice to Appear on file (about 65% in the seeds), and without
 * one there is no hearing. With one, EOIR schedules hearings months ahead;
 * children without counsel miss them far more often, which is how about 7%
 * of all children come to have a missed hearing. Closure comes last, after
 * every other event of the child, so that nothing is recorded on a closed
 * case. A duplicate record is what happens when ICE or EOIR opens its own
 * file on a child it cannot match: a new id, a name spelled differently, a
 * birth date that may be off or missing.
 */
#include "gen_int.h"

#include "sk_int.h"

/* A weekday hearing slot between 13:00 and 20:45 UTC (morning to
 * afternoon in the courts' time zones). */
static int64_t hearing_slot(gen_rng *rng, int64_t t)
{
    int64_t day = t / GEN_DAY;
    int64_t weekday = (day + 4) % 7; /* 1970-01-01 was a Thursday; 0 is Sunday */

    if (weekday == 6)
        day += 2;
    else if (weekday == 0)
        day += 1;
    return day * GEN_DAY + 13 * GEN_HOUR + gen_rng_range(rng, 0, 31) * 15 * GEN_MIN;
}

static void hearings(gen_child *c, int64_t t_nta)
{
    /* attended, failed to appear, in absentia order, continued: counsel
     * makes the difference; calibrated so that about 7% of all children
     * (32,000 of 448,000 in the seeds) miss a hearing. */
    static const uint16_t rep_weight[] = {72, 4, 3, 21};
    static const uint16_t unrep_weight[] = {58, 13, 10, 19};
    int64_t t = t_nta + gen_rng_range(&c->rng, 3 * GEN_DAY, 45 * GEN_DAY);
    unsigned h;

    for (h = 1; h <= 3; h++) {
        gen_ev *s = gen_ev_add(c, SK_EV_HEARING_SCHEDULED, GEN_AG_EOIR, t);
        gen_ev *o;
        int represented;
        s->p1 = (uint8_t)h;
        s->when = hearing_slot(&c->rng, t + gen_rng_range(&c->rng, 60 * GEN_DAY, 420 * GEN_DAY));
        represented = c->counsel_at != 0 && c->counsel_at < s->when;
        o = gen_ev_add(c, SK_EV_HEARING_OUTCOME, GEN_AG_EOIR,
                       s->when + gen_rng_range(&c->rng, 30 * GEN_MIN, 4 * GEN_HOUR));
        o->p1 = (uint8_t)h;
        o->p2 = (uint8_t)gen_rng_pick(&c->rng, represented ? rep_weight : unrep_weight, 4);
        if (o->p2 == GEN_HO_IN_ABSENTIA)
            break;
        if (o->p2 == GEN_HO_ATTENDED && !gen_rng_chance(&c->rng, 0.4))
            break;
        if (o->p2 == GEN_HO_FTA && !gen_rng_chance(&c->rng, 0.5))
            break;
        t = o->occ + gen_rng_range(&c->rng, 5 * GEN_MIN, 2 * GEN_HOUR);
    }
}

static void relief(gen_child *c)
{
    static const uint16_t type_weight[] = {42, 50, 4, 4};
    static const uint16_t outcome_weight[] = {62, 23, 15};
    int64_t t_filed = c->counsel_at + gen_rng_range(&c->rng, 30 * GEN_DAY, 300 * GEN_DAY);
    double days = gen_rng_lognormal(&c->rng, 400.0, 0.5);
    gen_ev *e = gen_ev_add(c, SK_EV_RELIEF_FILED, c->lsp, t_filed);
    unsigned type = (unsigned)gen_rng_pick(&c->rng, type_weight, 4);

    e->p1 = (uint8_t)type;
    if (days < 60.0)
        days = 60.0;
    if (days > 1500.0)
        days = 1500.0;
    e = gen_ev_add(c, SK_EV_RELIEF_DECIDED, GEN_AG_USCIS,
                   t_filed + (int64_t)(days * (double)GEN_DAY));
    e->p1 = (uint8_t)type;
    e->p2 = (uint8_t)gen_rng_pick(&c->rng, outcome_weight, 3);
    if (e->p2 == GEN_OUT_GRANTED)
        c->relief_granted_at = e->occ;
}

static void counsel(gen_child *c, int64_t t_from)
{
    gen_ev *e;

    c->counsel_at = t_from + gen_rng_range(&c->rng, 5 * GEN_DAY, 200 * GEN_DAY);
    e = gen_ev_add(c, SK_EV_COUNSEL, c->lsp, c->counsel_at);
    e->p1 = 0;
    if (gen_rng_chance(&c->rng, 0.08)) {
        e = gen_ev_add(c, SK_EV_COUNSEL, c->lsp,
                       c->counsel_at + gen_rng_range(&c->rng, 60 * GEN_DAY, 400 * GEN_DAY));
        e->p1 = 1;
    }
}

static void change_of_address(gen_child *c)
{
    size_t city = (size_t)c->city;
    gen_ev *e;

    if (!gen_rng_chance(&c->rng, 0.7))
        city = gen_city_pick(&c->rng);
    gen_address(&c->rng, city, c->coa_address);
    gen_phone(&c->rng, city, c->coa_phone);
    e = gen_ev_add(c, SK_EV_CHANGE_OF_ADDRESS, GEN_AG_EOIR,
                   c->discharged + gen_rng_range(&c->rng, 30 * GEN_DAY, 300 * GEN_DAY));
    e->p1 = gen_rng_flag(&c->rng, 0.5); /* phone given */
}

void gen_court_track(gen_child *c, const gen_seq *seq)
{
    double days;
    int64_t t_nta;
    gen_ev *e;

    if (c->repatriated)
        return;
    if (!gen_rng_chance(&c->rng, 0.37)) {
        /* Some released children find counsel without removal proceedings,
         * for SIJS in a state court. */
        if (c->discharge_type == GEN_DT_SPONSOR && gen_rng_chance(&c->rng, 0.04)) {
            counsel(c, c->discharged);
            relief(c);
        }
        return;
    }
    days = gen_rng_lognormal(&c->rng, 40.0, 1.0);
    if (days < 2.0)
        days = 2.0;
    if (days > 700.0)
        days = 700.0;
    t_nta = c->apprehended + (int64_t)(days * (double)GEN_DAY);
    if (c->city >= 0 && c->discharged < t_nta)
        c->court_id = gen_cities[c->city].court;
    else
        c->court_id = seq->net->fac[c->facility].court;
    e = gen_ev_add(c, SK_EV_NTA_FILED, GEN_AG_ICE, t_nta);
    (void)e;
    if (gen_rng_chance(&c->rng, c->discharge_type == GEN_DT_SPONSOR ? 0.5 : 0.35))
        counsel(c, t_nta);
    hearings(c, t_nta);
    if (c->city >= 0 && gen_rng_chance(&c->rng, 0.1))
        change_of_address(c);
    if (c->counsel_at != 0 && gen_rng_chance(&c->rng, 0.45))
        relief(c);
}

void gen_incidents(gen_child *c)
{
    static const uint16_t in_care[GEN_INC__COUNT] = {5, 5, 10, 15, 25, 35, 5};
    static const uint16_t released[GEN_INC__COUNT] = {30, 35, 15, 0, 10, 0, 10};
    static const uint16_t sev_grave[] = {20, 30, 50};
    static const uint16_t sev_other[] = {45, 40, 15};
    size_t n, i;

    if (c->repatriated || !gen_rng_chance(&c->rng, 0.03))
        return;
    n = gen_rng_chance(&c->rng, 0.15) ? 2 : 1;
    for (i = 0; i < n; i++) {
        int care = c->discharged - c->admitted > 3 * GEN_DAY &&
                   (c->discharge_type != GEN_DT_SPONSOR || gen_rng_chance(&c->rng, 0.5));
        int64_t t = care ? gen_rng_range(&c->rng, c->admitted + GEN_HOUR, c->discharged - GEN_HOUR)
                         : c->discharged + gen_rng_range(&c->rng, 10 * GEN_DAY, 400 * GEN_DAY);
        unsigned kind = (unsigned)gen_rng_pick(&c->rng, care ? in_care : released, GEN_INC__COUNT);
        gen_ev *e = gen_ev_add(c, SK_EV_INCIDENT, GEN_AG_ORR, t);
        e->p1 = (uint8_t)kind;
        e->p2 = (uint8_t)gen_rng_pick(
            &c->rng, kind <= GEN_INC_LABOR || kind == GEN_INC_ABUSE ? sev_grave : sev_other, 3);
    }
}

/* Why and from when the case may close, or -1 when it stays open. */
static int closure_plan(gen_child *c, int64_t *planned)
{
    int64_t d = c->discharged;

    switch (c->discharge_type) {
    case GEN_DT_AGED_OUT:
        *planned = d + gen_rng_range(&c->rng, GEN_DAY, 5 * GEN_DAY);
        return gen_rng_chance(&c->rng, 0.8) ? GEN_CL_AGED_OUT : -1;
    case GEN_DT_REMOVAL:
        *planned = d + gen_rng_range(&c->rng, GEN_DAY, 5 * GEN_DAY);
        return gen_rng_chance(&c->rng, 0.9) ? GEN_CL_REMOVED : -1;
    case GEN_DT_VOLUNTARY:
        *planned = d + gen_rng_range(&c->rng, GEN_DAY, 5 * GEN_DAY);
        return gen_rng_chance(&c->rng, 0.9) ? GEN_CL_DEPARTED : -1;
    case GEN_DT_RUNAWAY:
        *planned = d + gen_rng_range(&c->rng, 20 * GEN_DAY, 40 * GEN_DAY);
        return gen_rng_chance(&c->rng, 0.4) ? GEN_CL_OTHER : -1;
    case GEN_DT_STATUS:
    case GEN_DT_URM:
        *planned = d + gen_rng_range(&c->rng, GEN_DAY, 10 * GEN_DAY);
        return gen_rng_chance(&c->rng, 0.7) ? GEN_CL_OTHER : -1;
    default:
        break;
    }
    if (c->relief_granted_at != 0 && gen_rng_chance(&c->rng, 0.7)) {
        *planned = c->relief_granted_at + gen_rng_range(&c->rng, GEN_DAY, 30 * GEN_DAY);
        return GEN_CL_RELIEF;
    }
    *planned = d + gen_rng_range(&c->rng, 90 * GEN_DAY, 400 * GEN_DAY);
    return gen_rng_chance(&c->rng, 0.1) ? GEN_CL_REUNIFIED : -1;
}

void gen_closure(gen_child *c)
{
    int64_t planned = 0, last;
    int reason;
    gen_ev *e;

    if (c->repatriated || c->discharge_type < 0)
        return;
    reason = closure_plan(c, &planned);
    if (reason < 0)
        return;
    last = gen_last_occ(c) + gen_rng_range(&c->rng, GEN_HOUR, 3 * GEN_DAY);
    e = gen_ev_add(c, SK_EV_CASE_CLOSED, GEN_AG_ORR, planned > last ? planned : last);
    e->p1 = (uint8_t)reason;
}

static const gen_ev *find_ev(const gen_child *c, unsigned type)
{
    size_t i;

    for (i = 0; i < c->ev_count; i++) {
        if (c->ev[i].type == type)
            return &c->ev[i];
    }
    return NULL;
}

/* Midnight of the day 18 years before t: born on or before it, one is an
 * adult at t. */
static int64_t eighteen_before(int64_t t)
{
    int64_t y;
    unsigned m, d;

    sk_civil_from_days(t / GEN_DAY, &y, &m, &d);
    return sk_days_from_civil(y - 18, m, d) * GEN_DAY;
}

void gen_duplicate(gen_child *c, gen_seq *seq)
{
    const gen_ev *nta = find_ev(c, SK_EV_NTA_FILED);
    const gen_ev *hs = find_ev(c, SK_EV_HEARING_SCHEDULED);
    int eoir = hs != NULL && gen_rng_chance(&c->rng, 0.45);
    int64_t rec, occ, dob;
    gen_ev *e;

    if (!gen_rng_chance(&c->rng, 0.025))
        return;
    if (eoir)
        rec = hs->occ + gen_rng_range(&c->rng, 10 * GEN_MIN, 2 * GEN_DAY);
    else if (nta != NULL)
        rec = nta->occ + gen_rng_range(&c->rng, 10 * GEN_MIN, 3 * GEN_DAY);
    else
        rec = c->apprehended + gen_rng_range(&c->rng, GEN_DAY, 60 * GEN_DAY);
    if (rec > seq->end)
        return; /* not created yet when the window ends */
    /* EOIR keeps the date of entry only; ICE shares CBP's time. */
    occ = eoir ? c->apprehended / GEN_DAY * GEN_DAY : c->apprehended;
    c->has_dup = 1;
    c->dup_number = ++seq->next_dup;
    gen_variant_name(&c->rng, &c->name, &c->dup_name);
    dob = gen_variant_dob(&c->rng, c->dob);
    /* A slip of a day or a month, never one that makes a child an adult or
     * born after the apprehension: those are age disputes, another story. */
    c->dup_dob = dob > occ || (dob != 0 && dob <= eighteen_before(occ)) ? c->dob : dob;
    if (c->a_number[0] != '\0' && gen_rng_chance(&c->rng, 0.5))
        memcpy(c->dup_a_number, c->a_number, sizeof(c->dup_a_number));
    e = gen_ev_add(c, SK_EV_APPREHENSION, eoir ? GEN_AG_EOIR : GEN_AG_ICE, occ);
    e->on_dup = 1;
    e->rec = rec;
    e->p1 = gen_rng_flag(&c->rng, 0.7);  /* language recorded */
    e->p2 = gen_rng_flag(&c->rng, 0.5);  /* location recorded */
    e->p3 = gen_rng_flag(&c->rng, 0.95); /* sex recorded */
}
