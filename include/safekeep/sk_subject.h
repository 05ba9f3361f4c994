/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_subject.h: what the policy engine needs to know about the child a
 * request is about. A decision turns on the record's attributes (released,
 * in care, an asylum application, the requester being counsel of record, a
 * sponsor's qualifying offence) and on which agency recorded the data; both
 * come from the child's ledger history, folded here once per request. The
 * CLI's `policy check` and every read of the HTTP API use this one fold, so
 * the two can never judge the same request differently.
 */
#ifndef SK_SUBJECT_H
#define SK_SUBJECT_H

#include "safekeep/sk_arena.h"
#include "safekeep/sk_core.h"
#include "safekeep/sk_model.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_store.h"

/* A child's case and, per entity, the agency that recorded it last. */
typedef struct sk_subject {
    sk_case c;
    char holder[SK_ENTITY__COUNT][SK_ID_LEN_MAX + 1]; /* "" when nobody recorded it */
} sk_subject;

/*
 * Folds child_id's events into *out. arena is scratch for decoding events
 * (reset as it goes; borrowed). SK_ERR_NOT_FOUND when the child has no
 * events; SK_ERR_STORE on a store failure (detail in diag). Thread-safe
 * given one store handle per thread.
 */
SK_NODISCARD sk_err sk_subject_load(sk_store *store, sk_str child_id, sk_arena *arena,
                                    sk_subject *out, sk_diag *diag);

/*
 * The entity an event of this type records: the one a request to write such
 * an event is judged on (an admission records a placement, a sponsor
 * approval a sponsor, a counsel notice a hearing...). SK_ENTITY__COUNT for
 * the policy events, which belong to no child's case. The same table decides
 * which agency holds each of a child's records in sk_subject_load, so reads
 * and writes can never disagree about what an event is. type must be below
 * SK_EV__COUNT. Thread-safe.
 */
sk_entity sk_subject_event_entity(sk_event_type type);

/* Starts an empty subject for child_id; sk_subject_apply folds one event
 * (finished, in the order events happened) into it. For a caller that
 * reads the events itself (the record view) and so needs no second scan. */
void sk_subject_init(sk_subject *s, sk_str child_id);
void sk_subject_apply(sk_subject *s, sk_event *ev);

/* The attribute bits (1 << sk_attr) of a request for entity by the agency
 * requester (an agency id). */
uint32_t sk_subject_attrs(const sk_subject *s, sk_entity entity, sk_str requester);

/*
 * Fills a request's subject-dependent part: attrs, and record_agency (the
 * agency that recorded the entity, as an index of policy; -1 if unknown).
 * s NULL means the child does not exist: the record is then judged as if
 * the requester's own agency held it, so that a request is told "not found"
 * only when it would have been permitted to see the record, and is denied
 * otherwise; whether a child exists is never disclosed to someone who may
 * not see it.
 */
void sk_subject_fill(const sk_subject *s, const sk_policy *policy, sk_str requester,
                     sk_request *req);

#endif /* SK_SUBJECT_H */
