/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custody.c: one child's identity and custody track.
 *
 * The track follows the process the seeds describe: apprehension at the
 * border, referral to the child-welfare agency (due within 72 hours, late
 * for a minority), admission to a facility, perhaps transfers, a sponsor
 * application with household members and vetting checks (a minority
 * denied, then a second sponsor), approval, release, and the 30-day safety
 * and well-being call, which a third of the time reaches nobody. Length of
 * care is lognormal around a month with a long tail; children who turn 18
 * in care age out instead. Times are drawn without regard to the end of the
 * window: finalize.c cuts the story where the window ends, so the custody
 * states at the end (in care, released...) come out of the same process.
 */
#include "gen_int.h"

#include "sk_int.h"

gen_ev *gen_ev_add(gen_child *c, unsigned type, unsigned agency, int64_t occ)
{
    gen_ev *e;

    SK_ASSERT(c->ev_count < GEN_EV_MAX);
    SK_ASSERT(type < SK_EV__COUNT);
    SK_ASSERT(agency < GEN_AG__COUNT);
    e = &c->ev[c->ev_count++];
    memset(e, 0, sizeof(*e));
    e->occ = occ;
    e->type = (uint8_t)type;
    e->agency = (uint8_t)agency;
    e->sponsor = -1;
    e->member = -1;
    e->bits = gen_rng_next(&c->rng);
    return e;
}

int64_t gen_last_occ(const gen_child *c)
{
    int64_t last = 0;
    size_t i;

    for (i = 0; i < c->ev_count; i++) {
        if (!c->ev[i].on_dup && c->ev[i].occ > last)
            last = c->ev[i].occ;
    }
    return last;
}

/* A time in [lo, hi]; lo when the interval is empty. */
static int64_t between(gen_rng *rng, int64_t lo, int64_t hi)
{
    return hi <= lo ? lo : gen_rng_range(rng, lo, hi);
}

/* Ages 0..17, most children 15 to 17, as in the caseload. */
static const uint16_t age_weight[18] = {5,  5,  7,  8,  10, 12,  15,  17,  20,
                                        22, 25, 30, 40, 70, 110, 170, 210, 220};

static int64_t draw_dob(gen_rng *rng, int64_t apprehended)
{
    int64_t y, lo, hi, today = apprehended / GEN_DAY;
    unsigned m, d;
    size_t age = gen_rng_pick(rng, age_weight, 18);

    /* Age A at date (y,m,d) means born in (y-A-1/m/d, y-A/m/d]. */
    sk_civil_from_days(today, &y, &m, &d);
    lo = sk_days_from_civil(y - (int64_t)age - 1, m, d) + 1;
    hi = sk_days_from_civil(y - (int64_t)age, m, d);
    if (hi >= today)
        hi = today - 1;
    return between(rng, lo, hi) * GEN_DAY;
}

static void identity(gen_child *c, const gen_seq *seq)
{
    const gen_country *co;
    size_t lang;
    uint64_t r;

    c->country = (uint8_t)gen_country_pick(&c->rng);
    co = &gen_countries[c->country];
    lang = gen_rng_pick(&c->rng, co->lang_weight, co->lang_count);
    c->language = co->langs[lang];
    c->indigenous = co->name_set == GEN_NAMES_HISPANIC && strcmp(c->language, "spa") != 0 &&
                    strcmp(c->language, "eng") != 0;
    r = gen_rng_below(&c->rng, 1000);
    c->sex = r < 660 ? GEN_SEX_MALE : (r < 995 ? GEN_SEX_FEMALE : GEN_SEX_UNKNOWN);
    c->dob = draw_dob(&c->rng, c->apprehended);
    gen_person_name(&c->rng, co->name_set, c->indigenous, c->sex, &c->name);
    if (gen_rng_chance(&c->rng, 0.97))
        gen_a_number(seq->seed, c->number, 2, c->a_number);
    c->location = (uint8_t)gen_location_pick(&c->rng);
    c->case_manager = (uint16_t)gen_rng_range(&c->rng, 1, 2400);
    c->lsp = (uint8_t)(GEN_AG_LSP0 + gen_rng_below(&c->rng, GEN_AG__COUNT - GEN_AG_LSP0));
    c->discharge_type = -1;
    c->released_sponsor = -1;
    c->city = -1;
}

void gen_child_simulate(gen_child *c, gen_seq *seq, uint32_t number, int64_t apprehended)
{
    SK_ASSERT(c != NULL && seq != NULL);
    SK_ASSERT(number > 0);
    memset(c, 0, sizeof(*c));
    c->number = number;
    c->net = seq->net;
    c->apprehended = apprehended;
    gen_rng_seed(&c->rng, seq->seed, number);
    identity(c, seq);
    gen_custody_track(c, seq);
    gen_court_track(c, seq);
    gen_incidents(c);
    gen_closure(c);
    gen_duplicate(c, seq);
}

/* ---- sponsors ---- */

static const uint16_t category_weight[] = {40, 25, 25, 10};

static unsigned relationship_for(gen_rng *rng, unsigned category)
{
    static const uint16_t w1[] = {90, 10, 0, 0, 0, 0, 0, 0, 0};
    static const uint16_t w2a[] = {0, 0, 60, 30, 0, 0, 10, 0, 0};
    static const uint16_t w2b[] = {0, 0, 0, 0, 65, 30, 5, 0, 0};
    static const uint16_t w3[] = {0, 0, 0, 0, 0, 0, 0, 60, 40};
    const uint16_t *w = category == GEN_CAT_1    ? w1
                        : category == GEN_CAT_2A ? w2a
                        : category == GEN_CAT_2B ? w2b
                                                 : w3;
    return (unsigned)gen_rng_pick(rng, w, 9);
}

/* Years older than the child, by relationship. */
static int64_t sponsor_dob(gen_rng *rng, const gen_child *c, unsigned rel)
{
    int64_t lo = 20, hi = 55;

    if (rel == GEN_REL_PARENT) {
        lo = 18;
        hi = 40;
    } else if (rel == GEN_REL_SIBLING || rel == GEN_REL_COUSIN) {
        lo = 4;
        hi = 20;
    } else if (rel == GEN_REL_GRANDPARENT) {
        lo = 38;
        hi = 60;
    }
    {
        int64_t dob = c->dob - gen_rng_range(rng, lo * 365, hi * 365) * GEN_DAY;
        int64_t adult = c->apprehended - 19 * 365 * GEN_DAY; /* sponsors are adults */
        if (dob > adult)
            dob = adult - gen_rng_range(rng, 0, 2000) * GEN_DAY;
        return dob / GEN_DAY * GEN_DAY;
    }
}

static size_t new_sponsor(gen_child *c, gen_seq *seq)
{
    gen_sponsor *s;
    unsigned sex;

    SK_ASSERT(c->sponsor_count < GEN_SPONSORS_MAX);
    s = &c->sponsors[c->sponsor_count];
    s->number = ++seq->next_sponsor;
    s->category = (uint8_t)gen_rng_pick(&c->rng, category_weight, 4);
    s->relationship = (uint8_t)relationship_for(&c->rng, s->category);
    sex = gen_rng_chance(&c->rng, 0.55) ? GEN_SEX_FEMALE : GEN_SEX_MALE;
    gen_relative_name(&c->rng, c, s->relationship, sex, &s->name);
    s->dob = sponsor_dob(&c->rng, c, s->relationship);
    if (gen_rng_chance(&c->rng, 0.45))
        gen_a_number(seq->seed, s->number, 1, s->a_number);
    s->city = (uint8_t)gen_city_pick(&c->rng);
    gen_address(&c->rng, s->city, s->address);
    gen_phone(&c->rng, s->city, s->phone);
    return c->sponsor_count++;
}

static void add_check(gen_child *c, size_t slot, int member, unsigned check, int64_t lo, int64_t hi,
                      int finding)
{
    gen_ev *e = gen_ev_add(c, SK_EV_VETTING_CHECK, GEN_AG_ORR, between(&c->rng, lo, hi));
    uint64_t r = gen_rng_below(&c->rng, 100);

    e->sponsor = (int8_t)slot;
    e->member = (int8_t)member;
    e->p1 = (uint8_t)check;
    if (finding)
        e->p2 = GEN_RES_FINDING;
    else if (r < 91)
        e->p2 = GEN_RES_CLEAR;
    else if (r < 95)
        e->p2 = GEN_RES_INCONCLUSIVE;
    else
        e->p2 = (check == GEN_CHK_FINGERPRINT || check == GEN_CHK_HOME_STUDY) ? GEN_RES_WAIVED
                                                                              : GEN_RES_CLEAR;
    if (check == GEN_CHK_HOME_STUDY)
        c->home_study = 1;
}

static void household(gen_child *c, gen_seq *seq, size_t slot, int64_t t, int64_t lo, int64_t hi)
{
    static const uint16_t count_weight[] = {45, 30, 17, 8};
    size_t n = gen_rng_pick(&c->rng, count_weight, 4), i;

    for (i = 0; i < n && c->member_count < GEN_MEMBERS_MAX; i++) {
        gen_member *m = &c->members[c->member_count];
        gen_ev *e;
        uint64_t r = gen_rng_below(&c->rng, 100);
        unsigned rel = r < 50 ? GEN_REL_OTHER : (r < 80 ? GEN_REL_FRIEND : GEN_REL_UNRELATED);
        m->number = ++seq->next_member;
        m->sponsor = (uint8_t)slot;
        m->relationship = (uint8_t)rel;
        gen_relative_name(&c->rng, c, rel, (unsigned)gen_rng_below(&c->rng, 2), &m->name);
        m->dob = sponsor_dob(&c->rng, c, rel);
        e = gen_ev_add(c, SK_EV_HOUSEHOLD_MEMBER, GEN_AG_ORR, between(&c->rng, t, lo));
        e->sponsor = (int8_t)slot;
        e->member = (int8_t)c->member_count;
        add_check(c, slot, (int)c->member_count, GEN_CHK_PUBLIC, lo, hi, 0);
        if (gen_rng_chance(&c->rng, 0.2))
            add_check(c, slot, (int)c->member_count, GEN_CHK_FINGERPRINT, lo, hi, 0);
        c->member_count++;
    }
}

/* Application, household and checks for one sponsor, ending at t_end with
 * approval (deny == 0) or denial. Returns the sponsor's slot. */
static size_t vet_sponsor(gen_child *c, gen_seq *seq, int64_t t_app, int64_t t_end, int deny)
{
    size_t slot = new_sponsor(c, seq);
    const gen_sponsor *s = &c->sponsors[slot];
    int64_t third = (t_end - t_app) / 3;
    /* Checks fall between the application and the decision, and household
     * members are named before they are checked. */
    int64_t lo = t_app + (third < 6 * GEN_HOUR ? third : 6 * GEN_HOUR);
    int64_t hi = t_end - (third < 2 * GEN_HOUR ? third : 2 * GEN_HOUR);
    int finding_on_sor = deny && gen_rng_chance(&c->rng, 0.3);
    gen_ev *e = gen_ev_add(c, SK_EV_SPONSOR_APPLICATION, GEN_AG_ORR, t_app);

    e->sponsor = (int8_t)slot;
    household(c, seq, slot, t_app, lo, hi);
    add_check(c, slot, -1, GEN_CHK_PUBLIC, lo, hi, deny && !finding_on_sor);
    add_check(c, slot, -1, GEN_CHK_SOR, lo, hi, finding_on_sor);
    if (s->category >= GEN_CAT_2B || gen_rng_chance(&c->rng, 0.3))
        add_check(c, slot, -1, GEN_CHK_FINGERPRINT, lo, hi, 0);
    if (s->category == GEN_CAT_3 || gen_rng_chance(&c->rng, 0.1))
        add_check(c, slot, -1, GEN_CHK_CAN, lo, hi, 0);
    if (s->category == GEN_CAT_3 || gen_rng_chance(&c->rng, 0.08))
        add_check(c, slot, -1, GEN_CHK_HOME_STUDY, lo, hi, 0);
    e = gen_ev_add(c, deny ? SK_EV_SPONSOR_DENIED : SK_EV_SPONSOR_APPROVED, GEN_AG_ORR, t_end);
    e->sponsor = (int8_t)slot;
    if (deny) {
        static const uint16_t reason_weight[] = {70, 12, 12, 6};
        e->p1 = (uint8_t)gen_rng_pick(&c->rng, reason_weight, 4);
    }
    return slot;
}

/* The sponsor process between admission and release. When approve is 0 the
 * child leaves another way, and a pending application may be all there is. */
static void sponsor_process(gen_child *c, gen_seq *seq, int64_t t_adm, int64_t t_dis, int approve)
{
    int64_t span = t_dis - t_adm;
    int64_t t_app = t_adm + between(&c->rng, 12 * GEN_HOUR, span / 4);
    int64_t t_ok =
        t_dis - between(&c->rng, 2 * GEN_HOUR, span / 6 < 3 * GEN_DAY ? span / 6 : 3 * GEN_DAY);

    if (t_ok <= t_app + GEN_HOUR)
        t_ok = t_app + GEN_HOUR;
    if (approve && span > 20 * GEN_DAY && gen_rng_chance(&c->rng, 0.06)) {
        /* A first sponsor falls through; another comes forward. */
        int64_t t_deny = t_app + (t_ok - t_app) * (int64_t)gen_rng_range(&c->rng, 30, 55) / 100;
        int64_t t_app2 = t_deny + gen_rng_range(&c->rng, 6 * GEN_HOUR, 4 * GEN_DAY);
        vet_sponsor(c, seq, t_app, t_deny, 1);
        if (t_app2 >= t_ok - GEN_HOUR)
            t_app2 = t_deny + (t_ok - t_deny) / 2;
        t_app = t_app2;
    }
    if (approve) {
        c->released_sponsor = (int8_t)vet_sponsor(c, seq, t_app, t_ok, 0);
        return;
    }
    if (t_app < t_dis - GEN_HOUR && gen_rng_chance(&c->rng, 0.3)) {
        /* Only the application: vetting was still under way. */
        size_t slot = new_sponsor(c, seq);
        gen_ev *e = gen_ev_add(c, SK_EV_SPONSOR_APPLICATION, GEN_AG_ORR, t_app);
        e->sponsor = (int8_t)slot;
    }
}

static unsigned transfer_type(gen_rng *rng, unsigned reason)
{
    static const unsigned up[] = {GEN_PT_HEIGHTENED, GEN_PT_SECURE, GEN_PT_THERAPEUTIC};
    static const unsigned down[] = {GEN_PT_SHELTER, GEN_PT_GROUP_HOME, GEN_PT_TFC, GEN_PT_LTFC};

    switch (reason) {
    case GEN_TR_STEP_UP:
        return up[gen_rng_below(rng, SK_ARRAY_LEN(up))];
    case GEN_TR_STEP_DOWN:
        return down[gen_rng_below(rng, SK_ARRAY_LEN(down))];
    case GEN_TR_MEDICAL:
        return gen_rng_chance(rng, 0.6) ? GEN_PT_RTC : GEN_PT_OON;
    default:
        return GEN_PT_SHELTER;
    }
}

static void transfers(gen_child *c, const gen_seq *seq, int64_t t_adm, int64_t t_dis)
{
    static const uint16_t reason_weight[] = {15, 25, 30, 8, 15, 7};
    size_t n = gen_rng_chance(&c->rng, 0.15) ? 2 : 1, i;
    int64_t span = t_dis - t_adm;
    int64_t t = t_adm;

    for (i = 0; i < n; i++) {
        unsigned reason = (unsigned)gen_rng_pick(&c->rng, reason_weight, 6);
        unsigned type = transfer_type(&c->rng, reason);
        gen_ev *e;
        t = between(&c->rng, t + span / 10, t_adm + span * 85 / 100);
        if (t >= t_dis - GEN_HOUR)
            break;
        e = gen_ev_add(c, SK_EV_TRANSFER, GEN_AG_ORR, t);
        e->fac1 = c->facility;
        e->fac2 = (uint16_t)gen_facility_pick(seq->net, &c->rng, type, c->facility);
        e->p1 = (uint8_t)reason;
        c->facility = e->fac2;
    }
}

/* How custody ends, and when: release, or turning 18, or another way. */
static int64_t plan_discharge(gen_child *c, int64_t t_adm)
{
    static const uint16_t type_weight[] = {935, 0, 25, 10, 15, 5, 10};
    int64_t by, t_dis, bday18;
    unsigned bm, bd;
    double days = gen_rng_lognormal(&c->rng, 30.0, 0.85);

    if (days < 1.0)
        days = 1.0 + gen_rng_unit(&c->rng);
    if (days > 900.0)
        days = 900.0;
    t_dis = t_adm + (int64_t)(days * (double)GEN_DAY);
    sk_civil_from_days(c->dob / GEN_DAY, &by, &bm, &bd);
    bday18 = sk_days_from_civil(by + 18, bm, bd) * GEN_DAY;
    if (bday18 < t_dis) {
        c->discharge_type = gen_rng_chance(&c->rng, 0.85) ? GEN_DT_AGED_OUT : GEN_DT_URM;
        t_dis = bday18 + gen_rng_range(&c->rng, 8 * GEN_HOUR, 20 * GEN_HOUR);
        if (t_dis <= t_adm)
            t_dis = t_adm + GEN_HOUR;
    } else {
        c->discharge_type = (int8_t)gen_rng_pick(&c->rng, type_weight, 7);
    }
    return t_dis;
}

static void discharge(gen_child *c, int64_t t_dis)
{
    gen_ev *e = gen_ev_add(c, SK_EV_DISCHARGE, GEN_AG_ORR, t_dis);
    uint64_t r = gen_rng_below(&c->rng, 1000);

    e->p1 = (uint8_t)c->discharge_type;
    e->p2 = GEN_ADDR_NONE;
    c->discharged = t_dis;
    if (c->discharge_type != GEN_DT_SPONSOR)
        return;
    SK_ASSERT(c->released_sponsor >= 0);
    e->sponsor = c->released_sponsor;
    /* About 7% of releases have no usable address. */
    e->p2 = r < 680   ? GEN_ADDR_VERIFIED
            : r < 930 ? GEN_ADDR_UNVERIFIED
            : r < 970 ? GEN_ADDR_UNDELIVERABLE
                      : GEN_ADDR_NONE;
    e->p3 = gen_rng_flag(&c->rng, 0.8); /* phone given */
    c->city = (int8_t)c->sponsors[c->released_sponsor].city;
}

static void wellness_calls(gen_child *c, int64_t t_dis)
{
    int64_t day = (t_dis / GEN_DAY + 30 + gen_rng_range(&c->rng, -2, 4)) * GEN_DAY;
    gen_ev *e = gen_ev_add(c, SK_EV_WELLNESS_CALL, GEN_AG_ORR,
                           day + gen_rng_range(&c->rng, 14 * GEN_HOUR, 23 * GEN_HOUR));

    e->p1 = gen_rng_flag(&c->rng, 0.67);
    e->p2 = 1;
    e->p3 = e->p1 && gen_rng_chance(&c->rng, 0.03);
    if (e->p1 || !gen_rng_chance(&c->rng, 0.55))
        return;
    day += gen_rng_range(&c->rng, 2, 7) * GEN_DAY;
    e = gen_ev_add(c, SK_EV_WELLNESS_CALL, GEN_AG_ORR,
                   day + gen_rng_range(&c->rng, 14 * GEN_HOUR, 23 * GEN_HOUR));
    e->p1 = gen_rng_flag(&c->rng, 0.5);
    e->p2 = 2;
    e->p3 = e->p1 && gen_rng_chance(&c->rng, 0.05);
}

static void services(gen_child *c, int64_t t_dis)
{
    static const uint16_t service_weight[] = {10, 35, 25, 15, 15};
    unsigned service = (unsigned)gen_rng_pick(&c->rng, service_weight, 5);
    int64_t t = t_dis + gen_rng_range(&c->rng, GEN_DAY, 20 * GEN_DAY);
    gen_ev *e;

    if (service == GEN_SVC_HOME_STUDY && !c->home_study)
        service = GEN_SVC_CASE_MGMT;
    e = gen_ev_add(c, SK_EV_POST_RELEASE_SERVICE, GEN_AG_ORR, t);
    e->p1 = (uint8_t)service;
    e->p2 = GEN_SST_REFERRED;
    if (gen_rng_chance(&c->rng, 0.1)) {
        e = gen_ev_add(c, SK_EV_POST_RELEASE_SERVICE, GEN_AG_ORR,
                       t + gen_rng_range(&c->rng, GEN_DAY, 14 * GEN_DAY));
        e->p1 = (uint8_t)service;
        e->p2 = GEN_SST_DECLINED;
        return;
    }
    if (!gen_rng_chance(&c->rng, 0.6))
        return;
    t += gen_rng_range(&c->rng, 7 * GEN_DAY, 30 * GEN_DAY);
    e = gen_ev_add(c, SK_EV_POST_RELEASE_SERVICE, GEN_AG_ORR, t);
    e->p1 = (uint8_t)service;
    e->p2 = GEN_SST_STARTED;
    if (gen_rng_chance(&c->rng, 0.4)) {
        e = gen_ev_add(c, SK_EV_POST_RELEASE_SERVICE, GEN_AG_ORR,
                       t + gen_rng_range(&c->rng, 30 * GEN_DAY, 180 * GEN_DAY));
        e->p1 = (uint8_t)service;
        e->p2 = GEN_SST_COMPLETED;
    }
}

/* Referral delay: most within the 72-hour clock, some well past it. */
static int64_t referral_delay(gen_rng *rng)
{
    double h;

    if (gen_rng_chance(rng, 0.08))
        return gen_rng_range(rng, 73 * GEN_HOUR, 240 * GEN_HOUR);
    h = gen_rng_lognormal(rng, 30.0, 0.5);
    if (h < 4.0)
        h = 4.0;
    if (h > 71.0)
        h = 71.0;
    return (int64_t)(h * (double)GEN_HOUR);
}

void gen_custody_track(gen_child *c, gen_seq *seq)
{
    int64_t t = c->apprehended, t_ref, t_adm, t_dis;
    unsigned type;
    gen_ev *e;

    gen_ev_add(c, SK_EV_APPREHENSION, GEN_AG_CBP, t);
    if (strcmp(gen_countries[c->country].code, "MX") == 0 && gen_rng_chance(&c->rng, 0.45)) {
        /* Mexican children are mostly screened and returned at the border. */
        c->repatriated = 1;
        e = gen_ev_add(c, SK_EV_CASE_CLOSED, GEN_AG_CBP,
                       t + gen_rng_range(&c->rng, 2 * GEN_HOUR, 30 * GEN_HOUR));
        e->p1 = GEN_CL_DEPARTED;
        return;
    }
    t_ref = t + referral_delay(&c->rng);
    gen_ev_add(c, SK_EV_REFERRAL, GEN_AG_CBP, t_ref);
    t_adm = t_ref + gen_rng_range(&c->rng, 2 * GEN_HOUR, 40 * GEN_HOUR);
    type = gen_placement_pick(&c->rng);
    c->facility = (uint16_t)gen_facility_pick(seq->net, &c->rng, type, SIZE_MAX);
    c->first_facility = c->facility;
    c->admitted = t_adm;
    e = gen_ev_add(c, SK_EV_ADMISSION, GEN_AG_ORR, t_adm);
    e->fac1 = c->facility;
    t_dis = plan_discharge(c, t_adm);
    if (gen_rng_chance(&c->rng, 0.12) && t_dis - t_adm > 4 * GEN_DAY)
        transfers(c, seq, t_adm, t_dis);
    sponsor_process(c, seq, t_adm, t_dis, c->discharge_type == GEN_DT_SPONSOR);
    discharge(c, t_dis);
    if (c->discharge_type != GEN_DT_SPONSOR)
        return;
    wellness_calls(c, t_dis);
    if (gen_rng_chance(&c->rng, 0.3))
        services(c, t_dis);
}
