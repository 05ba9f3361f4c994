/* SPDX-License-Identifier: Apache-2.0 */
/*
 * finalize.c: recorded times, the end of the window, and the facts the
 * sheet and the truth file report.
 *
 * Events are simulated with the time they happened; here each gets the time
 * it was recorded. An agency's entry lag is lognormal (CBP within the hour,
 * ORR within hours, ICE and USCIS slower), but an event is always recorded
 * before the child's next event happens, so a child's events arrive in the
 * order they occurred. The exception is deliberate: about 1% of events are
 * entered days late, after later events of the same child, which is the
 * out-of-order arrival the importer must cope with. Whatever would be
 * recorded after the end of the window is dropped; because recording is
 * monotonic, what remains of a child's story is a prefix of it (plus late
 * entries already in), never a story with holes.
 */
#include "gen_int.h"

#include "sk_int.h"

/* Stable, so that simultaneous events keep their causal (creation) order. */
static void sort_by_occ(gen_child *c)
{
    size_t i, j;

    for (i = 1; i < c->ev_count; i++) {
        gen_ev tmp = c->ev[i];
        for (j = i; j > 0 && c->ev[j - 1].occ > tmp.occ; j--)
            c->ev[j] = c->ev[j - 1];
        c->ev[j] = tmp;
    }
    for (i = 0; i < c->ev_count; i++)
        c->ev[i].seq = (uint16_t)i;
}

static int64_t entry_lag(gen_rng *rng, unsigned agency)
{
    static const double median_min[] = {45.0, 180.0, 480.0, 60.0, 360.0};
    double m = agency < SK_ARRAY_LEN(median_min) ? median_min[agency] : 720.0;
    double lag = gen_rng_lognormal(rng, m, 1.0);

    if (lag < 1.0)
        lag = 1.0;
    if (lag > 5.0 * 24 * 60)
        lag = 5.0 * 24 * 60;
    return (int64_t)(lag * 60.0);
}

/* Steps that other records point at (or that open the case) are never the
 * late ones: a late apprehension would make every other event an orphan. */
static int may_be_late(unsigned type)
{
    switch (type) {
    case SK_EV_REFERRAL:
    case SK_EV_TRANSFER:
    case SK_EV_HOUSEHOLD_MEMBER:
    case SK_EV_VETTING_CHECK:
    case SK_EV_WELLNESS_CALL:
    case SK_EV_POST_RELEASE_SERVICE:
    case SK_EV_INCIDENT:
    case SK_EV_NTA_FILED:
    case SK_EV_HEARING_OUTCOME:
    case SK_EV_CHANGE_OF_ADDRESS:
    case SK_EV_COUNSEL:
    case SK_EV_RELIEF_FILED:
        return 1;
    default:
        return 0;
    }
}

static void assign_recorded(gen_child *c, int64_t end)
{
    size_t i, j;

    for (i = 0; i < c->ev_count; i++) {
        gen_ev *e = &c->ev[i];
        if (e->on_dup || !may_be_late(e->type) || !gen_rng_chance(&c->rng, 0.02))
            continue;
        e->rec = e->occ + gen_rng_range(&c->rng, 2 * GEN_DAY, 30 * GEN_DAY);
        e->late = e->rec <= end;
    }
    for (i = 0; i < c->ev_count; i++) {
        gen_ev *e = &c->ev[i];
        if (e->on_dup || e->late)
            continue;
        e->rec = e->occ + entry_lag(&c->rng, e->agency);
        for (j = i + 1; j < c->ev_count; j++) {
            if (!c->ev[j].on_dup && !c->ev[j].late)
                break;
        }
        if (j < c->ev_count && c->ev[j].occ < e->rec)
            e->rec = c->ev[j].occ;
    }
    for (i = 0; i < c->ev_count; i++) {
        gen_ev *e = &c->ev[i];
        /* A child apprehended in the last minutes is still on the books. */
        if (e->type == SK_EV_APPREHENSION && !e->on_dup && e->rec > end)
            e->rec = end;
        SK_ASSERT(e->rec >= e->occ);
        e->keep = e->rec <= end;
    }
}

static int before(const gen_ev *a, const gen_ev *b)
{
    return a->rec < b->rec || (a->rec == b->rec && a->seq < b->seq);
}

/* Output order of the kept events, and how many of them arrive late:
 * after an event of the same child that occurred later. */
static void order_kept(gen_child *c)
{
    int64_t max_occ = INT64_MIN;
    size_t i, j, n = 0;

    for (i = 0; i < c->ev_count; i++) {
        uint8_t idx = (uint8_t)i;
        if (!c->ev[i].keep)
            continue;
        for (j = n; j > 0 && before(&c->ev[idx], &c->ev[c->order[j - 1]]); j--)
            c->order[j] = c->order[j - 1];
        c->order[j] = idx;
        n++;
    }
    c->order_count = n;
    for (i = 0; i < n; i++) {
        const gen_ev *e = &c->ev[c->order[i]];
        if (e->on_dup)
            continue;
        /* The apprehension opens every story and is always recorded first. */
        SK_ASSERT(max_occ != INT64_MIN || e->type == SK_EV_APPREHENSION);
        if (e->occ < max_occ)
            c->facts.late++;
        if (e->occ > max_occ)
            max_occ = e->occ;
    }
}

static void court_fact(gen_child *c, const gen_ev *e)
{
    gen_facts *f = &c->facts;

    switch (e->type) {
    case SK_EV_NTA_FILED:
        f->nta = e->occ;
        f->court_id = c->court_id;
        break;
    case SK_EV_HEARING_SCHEDULED:
        if (e->p1 == 1) {
            f->hearing = e->when;
            f->court_id = c->court_id;
        }
        break;
    case SK_EV_HEARING_OUTCOME:
        if (e->p1 == 1)
            f->hearing_outcome = (int8_t)e->p2;
        f->fta += e->p2 == GEN_HO_FTA;
        f->in_absentia += e->p2 == GEN_HO_IN_ABSENTIA;
        f->missed += e->p2 == GEN_HO_FTA || e->p2 == GEN_HO_IN_ABSENTIA;
        break;
    default:
        break;
    }
}

static void custody_fact(gen_child *c, const gen_ev *e, uint8_t *denied, int *applied)
{
    gen_facts *f = &c->facts;

    switch (e->type) {
    case SK_EV_REFERRAL:
        f->referral = e->occ;
        break;
    case SK_EV_ADMISSION:
        f->admission = e->occ;
        f->fac_admit = e->fac1;
        break;
    case SK_EV_TRANSFER:
        f->transfer = e->occ;
        f->fac_transfer = e->fac2;
        f->transfers++;
        break;
    case SK_EV_SPONSOR_APPLICATION:
        *applied = e->sponsor;
        break;
    case SK_EV_SPONSOR_DENIED:
        denied[e->sponsor] = 1;
        break;
    case SK_EV_DISCHARGE:
        f->release = e->occ;
        f->discharge_type = (int8_t)e->p1;
        f->addr_status = e->p1 == GEN_DT_SPONSOR ? (int8_t)e->p2 : -1;
        f->sponsor = e->sponsor;
        break;
    case SK_EV_WELLNESS_CALL:
        if (f->call == 0) {
            f->call = e->occ;
            f->call_reached = (int8_t)e->p1;
        }
        f->calls_reached += e->p1;
        f->calls_unreached += !e->p1;
        break;
    case SK_EV_INCIDENT:
        f->incidents++;
        f->incident_kind[e->p1]++;
        break;
    default:
        court_fact(c, e);
        break;
    }
}

static sk_custody custody_at_end(const gen_child *c)
{
    const gen_facts *f = &c->facts;

    if (f->by_type[SK_EV_CASE_CLOSED] > 0)
        return SK_CUSTODY_CLOSED;
    if (f->release != 0)
        return f->discharge_type == GEN_DT_SPONSOR ? SK_CUSTODY_RELEASED : SK_CUSTODY_DISCHARGED;
    if (f->admission != 0)
        return SK_CUSTODY_IN_CARE;
    if (f->referral != 0)
        return SK_CUSTODY_REFERRED;
    return SK_CUSTODY_APPREHENDED;
}

static void derive_facts(gen_child *c)
{
    gen_facts *f = &c->facts;
    uint8_t denied[GEN_SPONSORS_MAX] = {0};
    int applied = -1;
    size_t i;

    f->sponsor = -1;
    f->discharge_type = -1;
    f->addr_status = -1;
    f->hearing_outcome = -1;
    f->call_reached = -1;
    for (i = 0; i < c->ev_count; i++) {
        const gen_ev *e = &c->ev[i];
        if (!e->keep)
            continue;
        f->by_type[e->type]++;
        if (!e->on_dup)
            custody_fact(c, e, denied, &applied);
    }
    /* The sheet names the sponsor released to, else the one still pending. */
    if (f->sponsor < 0 && applied >= 0 && !denied[applied])
        f->sponsor = (int8_t)applied;
    f->custody = custody_at_end(c);
}

void gen_child_finalize(gen_child *c, int64_t end)
{
    SK_ASSERT(c != NULL);
    SK_ASSERT(c->ev_count > 0);
    sort_by_occ(c);
    assign_recorded(c, end);
    memset(&c->facts, 0, sizeof(c->facts));
    order_kept(c);
    derive_facts(c);
    SK_ASSERT(c->facts.by_type[SK_EV_APPREHENSION] >= 1);
}
