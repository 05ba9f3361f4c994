/* SPDX-License-Identifier: Apache-2.0 */
/*
 * naive_policy.h: a deliberately naive policy evaluator, used only by the
 * tests (test_policy.c) as an oracle for sk_policy_decide.
 *
 * It reads the parsed documents directly, rule by rule, comparing names as
 * strings: no compilation, no index, no bitmask of agencies. It follows the
 * precedence written in sk_policy.h and docs/agreements.md, in the plainest
 * way that can be written down:
 *
 *   1. Constraints in force, in document and rule order: one whose fields
 *      are * (or that would withhold every field still wanted) denies the
 *      whole request; one with a field list withholds those fields and the
 *      rest of the request goes on.
 *      A request for fields 0 asks for every field the vocabulary defines.
 *   2. An unknown requester is denied by default.
 *   3. The purpose "emergency" is break-glass: permitted (what constraints
 *      left), flagged with log and review.
 *   4. A requester reading its own agency's records: the role blocks with the
 *      requester's role name, for its agency or for "*", that cover the
 *      action, purpose and entity. Their grants add up (a role's permissions
 *      are the union of its blocks, whatever order the files came in).
 *   5. Another agency's records: every agreement in force from that provider
 *      (or "*") to the requester (by id or by kind) that covers the request
 *      and grants a wanted field. The first decides the rule reported; the
 *      fields and obligations add up; the shortest retention wins.
 *   6. Otherwise default deny.
 *
 * Being slow and obvious is the point: where it disagrees with the compiled
 * engine, one of the two is wrong, and this one is easy to read.
 */
#ifndef NAIVE_POLICY_H
#define NAIVE_POLICY_H

#include <stdint.h>
#include <string.h>

#include "safekeep/sk_policy.h"

typedef struct naive_request {
    const char *agency; /* requester's agency id; NULL when unknown */
    const char *role;   /* requester's role name; NULL for none */
    sk_action action;
    sk_purpose purpose;
    sk_entity entity;
    uint64_t fields;           /* 0 means every field */
    const char *record_agency; /* NULL when unknown */
    uint32_t attrs;
    int64_t at;
} naive_request;

static inline const sk_pol_agency *naive_agency(const sk_policy_doc *docs, size_t doc_count,
                                                const char *id)
{
    size_t d, i;

    if (id == NULL)
        return NULL;
    for (d = 0; d < doc_count; d++) {
        for (i = 0; i < docs[d].agency_count; i++) {
            if (strcmp(docs[d].agencies[i].id, id) == 0)
                return &docs[d].agencies[i];
        }
    }
    return NULL;
}

static inline int naive_in_force(const sk_pol_rule *r, int64_t at)
{
    return r->effective <= at && at < r->expires;
}

static inline int naive_has_bit(uint32_t mask, unsigned bit)
{
    return (mask & (1u << bit)) != 0;
}

/* Whether the requester is among the rule's recipients, by id or by kind. */
static inline int naive_is_recipient(const sk_policy_doc *docs, size_t doc_count,
                                     const sk_pol_rule *r, const char *requester)
{
    const sk_pol_agency *a = naive_agency(docs, doc_count, requester);
    unsigned i;

    if (a == NULL)
        return 0;
    for (i = 0; i < r->recipient_count; i++) {
        if (strcmp(r->recipient_ids[i], requester) == 0)
            return 1;
    }
    return naive_has_bit(r->recipient_kinds, (unsigned)a->kind);
}

static inline int naive_provider_matches(const sk_pol_rule *r, const char *record_agency)
{
    if (r->provider[0] == '\0' || strcmp(r->provider, "*") == 0)
        return 1;
    return record_agency != NULL && strcmp(r->provider, record_agency) == 0;
}

/* In force, and the action, purpose, entity and "when" conditions match. */
static inline int naive_scope(const sk_pol_rule *r, const naive_request *q)
{
    uint32_t a;

    if (!naive_in_force(r, q->at))
        return 0;
    if (!naive_has_bit(r->actions, (unsigned)q->action))
        return 0;
    if (!naive_has_bit(r->purposes, (unsigned)q->purpose))
        return 0;
    if (!naive_has_bit(r->entities, (unsigned)q->entity))
        return 0;
    for (a = 0; a < SK_ATTR__COUNT; a++) {
        if (naive_has_bit(r->when_set, a) && !naive_has_bit(q->attrs, a))
            return 0;
        if (naive_has_bit(r->when_clear, a) && naive_has_bit(q->attrs, a))
            return 0;
    }
    return 1;
}

/* Whether a constraint applies to the request (before looking at fields). */
static inline int naive_constraint_applies(const sk_policy_doc *docs, size_t doc_count,
                                           const sk_pol_rule *r, const naive_request *q)
{
    uint32_t a;

    if (!r->is_constraint || !naive_provider_matches(r, q->record_agency))
        return 0;
    if ((r->recipient_count > 0 || r->recipient_kinds != 0) &&
        !naive_is_recipient(docs, doc_count, r, q->agency))
        return 0;
    if (!naive_scope(r, q))
        return 0;
    for (a = 0; a < SK_ATTR__COUNT; a++) {
        if (naive_has_bit(r->unless_set, a) && naive_has_bit(q->attrs, a))
            return 0;
    }
    return 1;
}

/* Whether an agreement covers the request (fields aside). */
static inline int naive_agreement_covers(const sk_policy_doc *docs, size_t doc_count,
                                         const sk_pol_rule *r, const naive_request *q)
{
    if (r->is_constraint || q->record_agency == NULL || q->agency == NULL)
        return 0;
    if (strcmp(q->record_agency, q->agency) == 0)
        return 0;
    if (!naive_provider_matches(r, q->record_agency))
        return 0;
    if (!naive_is_recipient(docs, doc_count, r, q->agency))
        return 0;
    return naive_scope(r, q);
}

/* Whether a role block grants the request's action, purpose and entity. */
static inline int naive_role_covers(const sk_pol_role *r, const naive_request *q)
{
    if (q->role == NULL || q->agency == NULL || strcmp(r->role, q->role) != 0)
        return 0;
    if (strcmp(r->agency, "*") != 0 && strcmp(r->agency, q->agency) != 0)
        return 0;
    return naive_has_bit(r->actions, (unsigned)q->action) &&
           naive_has_bit(r->purposes, (unsigned)q->purpose) &&
           naive_has_bit(r->entities, (unsigned)q->entity);
}

/* Step 1. Returns 1 when a constraint denies the whole request. */
static inline int naive_constraints(const sk_policy_doc *docs, size_t doc_count,
                                    const naive_request *q, uint64_t *wanted, sk_decision *out)
{
    size_t d, i;

    for (d = 0; d < doc_count; d++) {
        for (i = 0; i < docs[d].rule_count; i++) {
            const sk_pol_rule *r = &docs[d].rules[i];
            if (!naive_constraint_applies(docs, doc_count, r, q))
                continue;
            if (r->fields == 0 || (*wanted & ~r->fields) == 0) {
                out->permit = 0;
                out->kind = SK_RULE_CONSTRAINT;
                out->rule = r;
                out->fields = 0;
                /* Every requested field is withheld, including those an
                 * earlier constraint withheld already. */
                out->withheld |= *wanted;
                return 1;
            }
            if ((*wanted & r->fields) != 0) {
                out->withheld |= *wanted & r->fields;
                out->withheld_by = r;
                *wanted &= ~r->fields;
            }
        }
    }
    return 0;
}

static inline int naive_roles(const sk_policy_doc *docs, size_t doc_count, const naive_request *q,
                              uint64_t wanted, sk_decision *out)
{
    uint64_t granted = 0;
    size_t d, i;

    for (d = 0; d < doc_count; d++) {
        for (i = 0; i < docs[d].role_count; i++) {
            if (naive_role_covers(&docs[d].roles[i], q))
                granted |= docs[d].roles[i].fields;
        }
    }
    if ((wanted & granted) == 0)
        return 0;
    out->permit = 1;
    out->kind = SK_RULE_ROLE;
    out->fields = wanted & granted;
    out->obligations = SK_OBL_LOG;
    return 1;
}

static inline int naive_agreements(const sk_policy_doc *docs, size_t doc_count,
                                   const naive_request *q, uint64_t wanted, sk_decision *out)
{
    uint64_t granted = 0;
    size_t d, i;

    for (d = 0; d < doc_count; d++) {
        for (i = 0; i < docs[d].rule_count; i++) {
            const sk_pol_rule *r = &docs[d].rules[i];
            if (!naive_agreement_covers(docs, doc_count, r, q) || (wanted & r->fields) == 0)
                continue;
            if (out->rule == NULL)
                out->rule = r;
            granted |= r->fields;
            out->obligations |= r->obligations;
            if (r->retention_days != 0 &&
                (out->retention_days == 0 || r->retention_days < out->retention_days))
                out->retention_days = r->retention_days;
        }
    }
    if (out->rule == NULL)
        return 0;
    out->permit = 1;
    out->kind = SK_RULE_AGREEMENT;
    out->fields = wanted & granted;
    return 1;
}

static inline void naive_decide(const sk_policy_doc *docs, size_t doc_count, const naive_request *q,
                                sk_decision *out)
{
    size_t defined = sk_policy_field_count();
    /* "Every field" is every field the vocabulary defines. */
    uint64_t wanted =
        q->fields != 0 ? q->fields : (defined >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << defined) - 1);

    memset(out, 0, sizeof(*out));
    out->kind = SK_RULE_DEFAULT;
    if (naive_constraints(docs, doc_count, q, &wanted, out))
        return;
    if (naive_agency(docs, doc_count, q->agency) == NULL)
        return;
    if (q->purpose == SK_PURPOSE_EMERGENCY) {
        out->permit = 1;
        out->kind = SK_RULE_BREAK_GLASS;
        out->fields = wanted;
        out->obligations = SK_OBL_LOG | SK_OBL_REVIEW;
        return;
    }
    if (q->record_agency != NULL && strcmp(q->record_agency, q->agency) == 0) {
        naive_roles(docs, doc_count, q, wanted, out);
        return;
    }
    naive_agreements(docs, doc_count, q, wanted, out);
}

#endif /* NAIVE_POLICY_H */
