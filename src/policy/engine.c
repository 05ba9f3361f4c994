/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine.c: compiling policy documents and deciding requests.
 *
 * Compilation resolves every name to a number once: agencies to indexes (at
 * most 64, so a recipient set is one uint64_t), agency kinds to the agencies
 * of that kind, role names to indexes. Agreements are indexed by (provider,
 * recipient) pair: a 64 x 64 table of slices into one array, with
 * "any provider" agreements copied into every provider's row. A decision is
 * then a scan of the constraints (a few dozen at most) and of one short
 * slice, with integer compares and mask operations only: no allocation, no
 * string comparison, no lock. Every rule keeps its own [effective, expires)
 * interval, so a request "at" any date sees exactly what was in force then.
 */
#include "safekeep/sk_policy.h"

#include "safekeep/sk_time.h"

#include "sk_int.h"

#define ROLE_NAMES_MAX 64

typedef struct crule {
    int64_t effective, expires;
    int provider;        /* agency index, -1 for any */
    int any_recipient;   /* constraints without recipients */
    uint64_t recipients; /* agency bits, kinds resolved */
    uint32_t actions, purposes, entities;
    uint64_t fields; /* constraints: 0 means the whole request */
    uint32_t when_set, when_clear, unless_set;
    uint32_t obligations;
    unsigned retention_days;
    sk_pol_rule *src; /* in the policy's own rule table */
} crule;

typedef struct crole {
    int agency; /* -1 for every agency */
    int role;
    uint32_t actions, purposes, entities;
    uint64_t fields;
} crole;

typedef struct slice {
    uint32_t offset, count;
} slice;

struct sk_policy {
    sk_pol_agency agencies[SK_POLICY_AGENCIES_MAX];
    size_t agency_count;
    char role_names[ROLE_NAMES_MAX][SK_POLICY_ID_MAX];
    size_t role_name_count;
    sk_pol_rule *rules; /* owned copies of agreements and constraints */
    size_t rule_count;
    crule *constraints;
    size_t constraint_count;
    crule *agreements;
    size_t agreement_count;
    uint32_t *pair_index; /* agreement numbers, grouped by (provider, recipient) */
    slice pairs[SK_POLICY_AGENCIES_MAX][SK_POLICY_AGENCIES_MAX];
    crole *roles;
    size_t role_count;
    uint64_t all_fields; /* the bits that name a field: "every field" */
};

int sk_policy_agency(const sk_policy *policy, sk_str id)
{
    size_t i;

    SK_ASSERT(policy != NULL);
    for (i = 0; i < policy->agency_count; i++) {
        if (sk_str_eqc(id, policy->agencies[i].id))
            return (int)i;
    }
    return -1;
}

int sk_policy_role(const sk_policy *policy, sk_str name)
{
    size_t i;

    SK_ASSERT(policy != NULL);
    for (i = 0; i < policy->role_name_count; i++) {
        if (sk_str_eqc(name, policy->role_names[i]))
            return (int)i;
    }
    return -1;
}

size_t sk_policy_agency_count(const sk_policy *policy)
{
    return policy->agency_count;
}

const sk_pol_agency *sk_policy_agency_at(const sk_policy *policy, size_t index)
{
    SK_ASSERT(index < policy->agency_count);
    return &policy->agencies[index];
}

size_t sk_policy_rule_count(const sk_policy *policy)
{
    return policy->rule_count;
}

const sk_pol_rule *sk_policy_rule(const sk_policy *policy, size_t index)
{
    SK_ASSERT(index < policy->rule_count);
    return &policy->rules[index];
}

void sk_policy_free(sk_policy *policy)
{
    if (policy == NULL)
        return;
    free(policy->rules);
    free(policy->constraints);
    free(policy->agreements);
    free(policy->pair_index);
    free(policy->roles);
    free(policy);
}

static sk_err add_agencies(sk_policy *p, const sk_policy_doc *doc, sk_diag *diag)
{
    size_t i;

    for (i = 0; i < doc->agency_count; i++) {
        const sk_pol_agency *a = &doc->agencies[i];
        if (sk_policy_agency(p, sk_str_c(a->id)) >= 0)
            return sk_diag_set(diag, SK_ERR_INVALID, a->id, "agency defined twice");
        if (p->agency_count == SK_POLICY_AGENCIES_MAX)
            return sk_diag_set(diag, SK_ERR_TOO_LARGE, a->id, "more than %d agencies",
                               SK_POLICY_AGENCIES_MAX);
        p->agencies[p->agency_count++] = *a;
    }
    return SK_OK;
}

static int role_index(sk_policy *p, const char *name)
{
    int r = sk_policy_role(p, sk_str_c(name));

    if (r >= 0 || p->role_name_count == ROLE_NAMES_MAX)
        return r;
    snprintf(p->role_names[p->role_name_count], SK_POLICY_ID_MAX, "%s", name);
    return (int)p->role_name_count++;
}

static sk_err add_role(sk_policy *p, const sk_pol_role *src, sk_diag *diag)
{
    crole *r = &p->roles[p->role_count];

    r->agency = -1;
    if (strcmp(src->agency, "*") != 0) {
        r->agency = sk_policy_agency(p, sk_str_c(src->agency));
        if (r->agency < 0)
            return sk_diag_set(diag, SK_ERR_INVALID, src->role, "role names unknown agency %s",
                               src->agency);
    }
    r->role = role_index(p, src->role);
    if (r->role < 0)
        return sk_diag_set(diag, SK_ERR_TOO_LARGE, src->role, "more than %d role names",
                           ROLE_NAMES_MAX);
    r->actions = src->actions;
    r->purposes = src->purposes;
    r->entities = src->entities;
    r->fields = src->fields;
    p->role_count++;
    return SK_OK;
}

static uint64_t agencies_of_kinds(const sk_policy *p, uint32_t kinds)
{
    uint64_t bits = 0;
    size_t i;

    for (i = 0; i < p->agency_count; i++) {
        if (kinds & (1u << p->agencies[i].kind))
            bits |= (uint64_t)1 << i;
    }
    return bits;
}

static sk_err compile_rule(const sk_policy *p, sk_pol_rule *r, crule *c, sk_diag *diag)
{
    unsigned i;
    int a;

    memset(c, 0, sizeof(*c));
    c->src = r;
    c->effective = r->effective;
    c->expires = r->expires;
    c->provider = -1;
    if (r->provider[0] != '\0' && strcmp(r->provider, "*") != 0) {
        c->provider = sk_policy_agency(p, sk_str_c(r->provider));
        if (c->provider < 0)
            return sk_diag_set(diag, SK_ERR_INVALID, r->id, "provider %s is not a defined agency",
                               r->provider);
    }
    c->recipients = agencies_of_kinds(p, r->recipient_kinds);
    for (i = 0; i < r->recipient_count; i++) {
        a = sk_policy_agency(p, sk_str_c(r->recipient_ids[i]));
        if (a < 0)
            return sk_diag_set(diag, SK_ERR_INVALID, r->id, "recipient %s is not a defined agency",
                               r->recipient_ids[i]);
        c->recipients |= (uint64_t)1 << a;
    }
    c->any_recipient = r->is_constraint && r->recipient_count == 0 && r->recipient_kinds == 0;
    c->actions = r->actions;
    c->purposes = r->purposes;
    c->entities = r->entities;
    c->fields = r->fields;
    c->when_set = r->when_set;
    c->when_clear = r->when_clear;
    c->unless_set = r->unless_set;
    c->obligations = r->obligations;
    c->retention_days = r->retention_days;
    return SK_OK;
}

static sk_err check_unique(const sk_policy *p, const sk_pol_rule *r, sk_diag *diag)
{
    size_t i;

    for (i = 0; i < p->rule_count; i++) {
        const sk_pol_rule *o = &p->rules[i];
        if (strcmp(o->id, r->id) == 0 && o->version == r->version)
            return sk_diag_set(diag, SK_ERR_CONFLICT, r->id, "version %u defined twice",
                               r->version);
        if (strcmp(o->id, r->id) == 0 && o->is_constraint != r->is_constraint)
            return sk_diag_set(diag, SK_ERR_CONFLICT, r->id,
                               "used both for an agreement and a constraint");
    }
    return SK_OK;
}

/* Counts everything first so that each table is one allocation. */
static sk_err allocate(sk_policy *p, const sk_policy_doc *docs, size_t doc_count)
{
    size_t i, rules = 0, roles = 0;

    for (i = 0; i < doc_count; i++) {
        rules += docs[i].rule_count;
        roles += docs[i].role_count;
    }
    if (rules > SK_POLICY_RULES_MAX || roles > SK_POLICY_RULES_MAX)
        return SK_ERR_TOO_LARGE;
    p->rules = calloc(rules + 1, sizeof(*p->rules));
    p->constraints = calloc(rules + 1, sizeof(*p->constraints));
    p->agreements = calloc(rules + 1, sizeof(*p->agreements));
    p->roles = calloc(roles + 1, sizeof(*p->roles));
    if (p->rules == NULL || p->constraints == NULL || p->agreements == NULL || p->roles == NULL)
        return SK_ERR_NOMEM;
    return SK_OK;
}

static sk_err add_rules(sk_policy *p, const sk_policy_doc *doc, sk_diag *diag)
{
    size_t i;
    sk_err rc = SK_OK;

    for (i = 0; rc == SK_OK && i < doc->rule_count; i++) {
        rc = check_unique(p, &doc->rules[i], diag);
        if (rc == SK_OK)
            p->rules[p->rule_count++] = doc->rules[i];
    }
    for (i = 0; rc == SK_OK && i < doc->role_count; i++)
        rc = add_role(p, &doc->roles[i], diag);
    return rc;
}

/* Builds the (provider, recipient) index in two passes: count, then fill. */
static sk_err index_pairs(sk_policy *p)
{
    uint32_t fill[SK_POLICY_AGENCIES_MAX][SK_POLICY_AGENCIES_MAX];
    size_t i, total = 0, prov, rec;
    uint32_t offset = 0;

    memset(fill, 0, sizeof(fill));
    for (i = 0; i < p->agreement_count; i++) {
        const crule *c = &p->agreements[i];
        for (prov = 0; prov < p->agency_count; prov++) {
            if (c->provider >= 0 && (size_t)c->provider != prov)
                continue;
            for (rec = 0; rec < p->agency_count; rec++)
                fill[prov][rec] += (uint32_t)((c->recipients >> rec) & 1u);
        }
    }
    for (prov = 0; prov < p->agency_count; prov++) {
        for (rec = 0; rec < p->agency_count; rec++) {
            p->pairs[prov][rec].offset = offset;
            p->pairs[prov][rec].count = 0;
            offset += fill[prov][rec];
        }
    }
    total = offset;
    p->pair_index = calloc(total + 1, sizeof(uint32_t));
    if (p->pair_index == NULL)
        return SK_ERR_NOMEM;
    for (i = 0; i < p->agreement_count; i++) {
        const crule *c = &p->agreements[i];
        for (prov = 0; prov < p->agency_count; prov++) {
            if (c->provider >= 0 && (size_t)c->provider != prov)
                continue;
            for (rec = 0; rec < p->agency_count; rec++) {
                slice *s = &p->pairs[prov][rec];
                if ((c->recipients >> rec) & 1u)
                    p->pair_index[s->offset + s->count++] = (uint32_t)i;
            }
        }
    }
    return SK_OK;
}

static sk_err compile_all(sk_policy *p, sk_diag *diag)
{
    size_t i;
    sk_err rc = SK_OK;

    for (i = 0; rc == SK_OK && i < p->rule_count; i++) {
        sk_pol_rule *r = &p->rules[i];
        crule *c = r->is_constraint ? &p->constraints[p->constraint_count++]
                                    : &p->agreements[p->agreement_count++];
        rc = compile_rule(p, r, c, diag);
    }
    if (rc == SK_OK)
        rc = index_pairs(p);
    return rc;
}

sk_err sk_policy_compile(const sk_policy_doc *docs, size_t doc_count, sk_policy **out,
                         sk_diag *diag)
{
    sk_policy *p;
    size_t i;
    sk_err rc;

    SK_ASSERT(out != NULL);
    SK_ASSERT(docs != NULL || doc_count == 0);
    *out = NULL;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return SK_ERR_NOMEM;
    p->all_fields =
        sk_policy_field_count() == 64 ? ~(uint64_t)0 : ((uint64_t)1 << sk_policy_field_count()) - 1;
    rc = allocate(p, docs, doc_count);
    if (rc == SK_ERR_TOO_LARGE)
        rc = sk_diag_set(diag, rc, "policy", "more than %d rules or %d role blocks in all",
                         SK_POLICY_RULES_MAX, SK_POLICY_RULES_MAX);
    /* Agencies first: rules in any document may name agencies of another. */
    for (i = 0; rc == SK_OK && i < doc_count; i++)
        rc = add_agencies(p, &docs[i], diag);
    for (i = 0; rc == SK_OK && i < doc_count; i++)
        rc = add_rules(p, &docs[i], diag);
    if (rc == SK_OK)
        rc = compile_all(p, diag);
    if (rc != SK_OK) {
        sk_policy_free(p);
        return rc;
    }
    *out = p;
    return SK_OK;
}

sk_err sk_policy_rescind(sk_policy *policy, sk_str id, int64_t on)
{
    sk_err rc = SK_ERR_NOT_FOUND;
    size_t i;

    SK_ASSERT(policy != NULL);
    for (i = 0; i < policy->agreement_count + policy->constraint_count; i++) {
        crule *c = i < policy->agreement_count ? &policy->agreements[i]
                                               : &policy->constraints[i - policy->agreement_count];
        if (!sk_str_eqc(id, c->src->id) || c->effective >= on)
            continue;
        if (c->expires > on)
            c->expires = on;
        c->src->expires = c->expires;
        rc = SK_OK;
    }
    return rc;
}

static int in_force(const crule *c, int64_t at)
{
    return at >= c->effective && at < c->expires;
}

/* Whether a rule's scope covers the request (not its provider/recipient). */
static int covers(const crule *c, const sk_request *req)
{
    return in_force(c, req->at) && (c->actions >> req->action & 1u) &&
           (c->purposes >> req->purpose & 1u) && (c->entities >> req->entity & 1u) &&
           (req->attrs & c->when_set) == c->when_set && (req->attrs & c->when_clear) == 0;
}

static int constraint_applies(const crule *c, const sk_request *req)
{
    if (c->provider >= 0 && c->provider != req->record_agency)
        return 0;
    if (!c->any_recipient && (req->agency < 0 || !((c->recipients >> req->agency) & 1u)))
        return 0;
    return covers(c, req) && (req->attrs & c->unless_set) == 0;
}

static void decide_denied(sk_decision *out, sk_rule_kind kind, const sk_pol_rule *rule)
{
    out->permit = 0;
    out->kind = kind;
    out->rule = rule;
    out->fields = 0;
    out->obligations = 0;
}

/* Applies constraints: returns 1 when one denies the whole request. */
static int apply_constraints(const sk_policy *p, const sk_request *req, uint64_t *wanted,
                             sk_decision *out)
{
    size_t i;

    for (i = 0; i < p->constraint_count; i++) {
        const crule *c = &p->constraints[i];
        if (!constraint_applies(c, req))
            continue;
        if (c->fields == 0 || (*wanted & ~c->fields) == 0) {
            decide_denied(out, SK_RULE_CONSTRAINT, c->src);
            out->withheld |= *wanted;
            return 1;
        }
        if (*wanted & c->fields) {
            out->withheld |= *wanted & c->fields;
            out->withheld_by = c->src;
            *wanted &= ~c->fields;
        }
    }
    return 0;
}

/* Every role block of the requester's role that covers the request adds its
 * fields, as agreements do: a role may be defined in several blocks. */
static int decide_by_role(const sk_policy *p, const sk_request *req, uint64_t wanted,
                          sk_decision *out)
{
    uint64_t granted = 0;
    size_t i;

    for (i = 0; i < p->role_count; i++) {
        const crole *r = &p->roles[i];
        if (r->role != req->role || (r->agency >= 0 && r->agency != req->agency))
            continue;
        if (!(r->actions >> req->action & 1u) || !(r->purposes >> req->purpose & 1u) ||
            !(r->entities >> req->entity & 1u))
            continue;
        granted |= r->fields;
    }
    if ((wanted & granted) == 0)
        return 0;
    out->permit = 1;
    out->kind = SK_RULE_ROLE;
    out->fields = wanted & granted;
    out->obligations = SK_OBL_LOG;
    return 1;
}

static int decide_by_agreement(const sk_policy *p, const sk_request *req, uint64_t wanted,
                               sk_decision *out)
{
    const slice *s = &p->pairs[req->record_agency][req->agency];
    uint64_t granted = 0;
    uint32_t i;

    for (i = 0; i < s->count; i++) {
        const crule *c = &p->agreements[p->pair_index[s->offset + i]];
        if (!covers(c, req) || (wanted & c->fields) == 0)
            continue;
        if (out->rule == NULL) {
            out->rule = c->src;
            out->retention_days = c->retention_days;
        } else if (c->retention_days != 0 &&
                   (out->retention_days == 0 || c->retention_days < out->retention_days)) {
            out->retention_days = c->retention_days;
        }
        granted |= c->fields;
        out->obligations |= c->obligations;
    }
    if (out->rule == NULL)
        return 0;
    out->permit = 1;
    out->kind = SK_RULE_AGREEMENT;
    out->fields = wanted & granted;
    return 1;
}

void sk_policy_decide(const sk_policy *policy, const sk_request *req, sk_decision *out)
{
    uint64_t wanted;

    SK_ASSERT(policy != NULL && req != NULL && out != NULL);
    SK_ASSERT((unsigned)req->purpose < SK_PURPOSE__COUNT);
    SK_ASSERT((unsigned)req->action < SK_ACTION__COUNT);
    SK_ASSERT((unsigned)req->entity < SK_ENTITY__COUNT);
    memset(out, 0, sizeof(*out));
    wanted = req->fields ? req->fields & policy->all_fields : policy->all_fields;
    if (apply_constraints(policy, req, &wanted, out))
        return;
    if (req->agency < 0)
        return; /* unknown requester: default deny */
    if (req->purpose == SK_PURPOSE_EMERGENCY) {
        out->permit = 1;
        out->kind = SK_RULE_BREAK_GLASS;
        out->fields = wanted;
        out->obligations = SK_OBL_LOG | SK_OBL_REVIEW;
        return;
    }
    if (req->record_agency == req->agency && decide_by_role(policy, req, wanted, out))
        return;
    if (req->record_agency >= 0 && req->record_agency != req->agency)
        decide_by_agreement(policy, req, wanted, out);
    SK_DEBUG_ASSERT((out->fields & ~wanted) == 0);
}

static const char *agency_name(const sk_policy *p, int index)
{
    return index >= 0 && (size_t)index < p->agency_count ? p->agencies[index].id : "(unknown)";
}

void sk_decision_reason(const sk_policy *policy, const sk_request *req, const sk_decision *d,
                        char *buf, size_t buf_len)
{
    char date[SK_DATE_LEN + 1];
    int n = 0;

    SK_ASSERT(buf != NULL && buf_len > 0);
    sk_time_format_date(req->at, date);
    switch (d->kind) {
    case SK_RULE_CONSTRAINT:
        n = snprintf(buf, buf_len, "denied: %s (%s, constraint %s v%u)", d->rule->reason,
                     d->rule->citation, d->rule->id, d->rule->version);
        break;
    case SK_RULE_BREAK_GLASS:
        n = snprintf(buf, buf_len,
                     "permitted by break-glass (emergency): flagged and queued for review");
        break;
    case SK_RULE_ROLE:
        n = snprintf(buf, buf_len, "permitted: the %s role may %s %s's own records for %s",
                     policy->role_names[req->role], sk_action_names[req->action],
                     agency_name(policy, req->agency), sk_purpose_names[req->purpose]);
        break;
    case SK_RULE_AGREEMENT:
        n = snprintf(buf, buf_len, "permitted under %s v%u (%s)", d->rule->id, d->rule->version,
                     d->rule->citation);
        break;
    case SK_RULE_DEFAULT:
        n = snprintf(buf, buf_len,
                     "denied: nothing in force on %s lets %s %s %s's %s records for %s", date,
                     agency_name(policy, req->agency), sk_action_names[req->action],
                     agency_name(policy, req->record_agency), sk_entity_names[req->entity],
                     sk_purpose_names[req->purpose]);
        break;
    }
    if (d->permit && d->withheld_by != NULL && n > 0 && (size_t)n < buf_len)
        snprintf(buf + n, buf_len - (size_t)n, "; some fields withheld: %s (%s)",
                 d->withheld_by->reason, d->withheld_by->citation);
}
