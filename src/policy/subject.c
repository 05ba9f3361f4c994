/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subject.c: the child a request is about, as the policy engine sees it.
 *
 * The fold replays the child's ledger events in the order they happened
 * (the same sk_case_apply that builds the projections), and remembers, for
 * each kind of record, the agency that recorded it last: that agency's
 * agreements govern the disclosure. Attributes are derived from the folded
 * case rather than stored, so a late event or a rebuild can never leave a
 * stale attribute behind.
 */
#include "safekeep/sk_subject.h"

#include <stdio.h>
#include <string.h>

#include "safekeep/sk_ingest.h"

#include "sk_int.h"

/*
 * The entity each event type records, and whether recording it makes the
 * recording agency the record's holder. Follow-up events (an approval, a
 * discharge, a call, a correction) are judged on the entity they touch when
 * written, but leave the holder where the record was made: the agency whose
 * agreements govern a placement is the one that placed the child, not the
 * one that discharged it. Policy events belong to no child's case.
 */
static const struct {
    uint8_t entity; /* sk_entity; SK_ENTITY__COUNT: not a case record */
    uint8_t holds;
} event_entities[SK_EV__COUNT] = {
    [SK_EV_APPREHENSION] = {SK_ENTITY_CHILD, 1},
    [SK_EV_REFERRAL] = {SK_ENTITY_CHILD, 1},
    [SK_EV_ADMISSION] = {SK_ENTITY_PLACEMENT, 1},
    [SK_EV_TRANSFER] = {SK_ENTITY_PLACEMENT, 1},
    [SK_EV_SPONSOR_APPLICATION] = {SK_ENTITY_SPONSOR, 1},
    [SK_EV_HOUSEHOLD_MEMBER] = {SK_ENTITY_HOUSEHOLD_MEMBER, 1},
    [SK_EV_VETTING_CHECK] = {SK_ENTITY_SPONSOR, 1},
    [SK_EV_SPONSOR_APPROVED] = {SK_ENTITY_SPONSOR, 0},
    [SK_EV_SPONSOR_DENIED] = {SK_ENTITY_SPONSOR, 0},
    [SK_EV_DISCHARGE] = {SK_ENTITY_PLACEMENT, 0},
    [SK_EV_WELLNESS_CALL] = {SK_ENTITY_CHILD, 0},
    [SK_EV_POST_RELEASE_SERVICE] = {SK_ENTITY_CHILD, 0},
    [SK_EV_INCIDENT] = {SK_ENTITY_INCIDENT, 1},
    [SK_EV_NTA_FILED] = {SK_ENTITY_HEARING, 1},
    [SK_EV_HEARING_SCHEDULED] = {SK_ENTITY_HEARING, 1},
    [SK_EV_HEARING_OUTCOME] = {SK_ENTITY_HEARING, 1},
    [SK_EV_CHANGE_OF_ADDRESS] = {SK_ENTITY_CHILD, 0},
    [SK_EV_COUNSEL] = {SK_ENTITY_HEARING, 0},
    [SK_EV_RELIEF_FILED] = {SK_ENTITY_RELIEF, 1},
    [SK_EV_RELIEF_DECIDED] = {SK_ENTITY_RELIEF, 1},
    [SK_EV_FACT_ASSERTED] = {SK_ENTITY_FACT, 1},
    [SK_EV_FACT_CONTESTED] = {SK_ENTITY_FACT, 0},
    [SK_EV_FACT_CORRECTED] = {SK_ENTITY_FACT, 0},
    [SK_EV_FACT_RETRACTED] = {SK_ENTITY_FACT, 0},
    [SK_EV_DECISION] = {SK_ENTITY_FACT, 0},
    [SK_EV_CASE_CLOSED] = {SK_ENTITY_CHILD, 0},
    [SK_EV_ALERT_ACKNOWLEDGED] = {SK_ENTITY_CHILD, 0},
    [SK_EV_ALERT_RESOLVED] = {SK_ENTITY_CHILD, 0},
    [SK_EV_POLICY_ADOPTED] = {SK_ENTITY__COUNT, 0},
    [SK_EV_POLICY_RESCINDED] = {SK_ENTITY__COUNT, 0},
};

sk_entity sk_subject_event_entity(sk_event_type type)
{
    SK_ASSERT((unsigned)type < SK_EV__COUNT);
    return (sk_entity)event_entities[type].entity;
}

/* Whether an event of type t makes its agency the holder of entity e. An
 * admission opens the child's case at the admitting agency as well as its
 * placement, and stands for the records no event type makes (the Ombuds'). */
static int records_entity(sk_event_type t, sk_entity e)
{
    if (t == SK_EV_ADMISSION && (e == SK_ENTITY_CHILD || e == SK_ENTITY_OMBUDS_RECORD))
        return 1;
    return event_entities[t].holds && event_entities[t].entity == e;
}

typedef struct fold_ctx {
    sk_subject *s;
    sk_arena *arena;
    sk_err rc;
    sk_diag *diag;
} fold_ctx;

void sk_subject_init(sk_subject *s, sk_str child_id)
{
    SK_ASSERT(s != NULL);
    memset(s, 0, sizeof(*s));
    sk_case_init(&s->c, child_id);
}

void sk_subject_apply(sk_subject *s, sk_event *ev)
{
    int e;

    SK_ASSERT(s != NULL && ev != NULL);
    sk_case_apply(&s->c, ev);
    for (e = 0; e < SK_ENTITY__COUNT; e++) {
        if (records_entity(ev->type, (sk_entity)e))
            snprintf(s->holder[e], sizeof(s->holder[e]), "%.*s", (int)ev->agency.len,
                     ev->agency.ptr);
    }
}

static int fold_row(const sk_ledger_row *row, void *vctx)
{
    fold_ctx *ctx = vctx;
    sk_event ev;

    sk_arena_reset(ctx->arena);
    ctx->rc = sk_event_from_row(row, ctx->arena, &ev, ctx->diag);
    if (ctx->rc != SK_OK)
        return 1;
    sk_subject_apply(ctx->s, &ev);
    return 0;
}

sk_err sk_subject_load(sk_store *store, sk_str child_id, sk_arena *arena, sk_subject *out,
                       sk_diag *diag)
{
    fold_ctx ctx = {out, arena, SK_OK, diag};
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(arena != NULL);
    SK_ASSERT(out != NULL);
    sk_subject_init(out, child_id);
    rc = sk_store_ledger_scan(store, SK_SCAN_CHILD, child_id, fold_row, &ctx, diag);
    if (rc == SK_OK)
        rc = ctx.rc;
    if (rc == SK_OK && out->c.event_count == 0)
        rc = SK_ERR_NOT_FOUND;
    return rc;
}

uint32_t sk_subject_attrs(const sk_subject *s, sk_entity entity, sk_str requester)
{
    const sk_case *c = &s->c;
    uint32_t attrs = 0;
    size_t i;

    if (c->custody == SK_CUSTODY_RELEASED || c->custody == SK_CUSTODY_DISCHARGED ||
        (c->custody == SK_CUSTODY_CLOSED && c->released_at != 0))
        attrs |= 1u << SK_ATTR_RELEASED;
    if (c->custody == SK_CUSTODY_IN_CARE)
        attrs |= 1u << SK_ATTR_IN_CARE;
    for (i = 0; i < c->relief_count; i++) {
        if (c->relief[i].type == 0) /* asylum */
            attrs |= 1u << SK_ATTR_ASYLUM;
    }
    for (i = 0; i < c->counsel_count; i++) {
        if (sk_str_eqc(requester, c->counsel[i]))
            attrs |= 1u << SK_ATTR_COUNSEL_OF_RECORD;
    }
    /* A finding in the criminal-history checks (public records, sex-offender
     * registry, fingerprints) is what the rider's exception turns on. */
    for (i = 0; i < c->sponsor_count; i++) {
        if (c->sponsors[i].checks_flagged & 0x7u)
            attrs |= 1u << SK_ATTR_QUALIFYING_OFFENCE;
    }
    if (entity == SK_ENTITY_HOUSEHOLD_MEMBER)
        attrs |= 1u << SK_ATTR_ADULT_HOUSEHOLD;
    return attrs;
}

void sk_subject_fill(const sk_subject *s, const sk_policy *policy, sk_str requester,
                     sk_request *req)
{
    SK_ASSERT(policy != NULL);
    SK_ASSERT(req != NULL);
    SK_ASSERT(req->entity < SK_ENTITY__COUNT);
    if (s == NULL) {
        req->attrs = req->entity == SK_ENTITY_HOUSEHOLD_MEMBER ? 1u << SK_ATTR_ADULT_HOUSEHOLD : 0;
        req->record_agency = sk_policy_agency(policy, requester);
        return;
    }
    req->attrs = sk_subject_attrs(s, req->entity, requester);
    /* No record of that kind yet (a child without a sponsor): the agency
     * that holds the case answers for it, so its own users see an empty
     * list rather than a refusal naming nobody. */
    req->record_agency =
        sk_policy_agency(policy, sk_str_c(s->holder[req->entity][0] ? s->holder[req->entity]
                                                                    : s->holder[SK_ENTITY_CHILD]));
}
