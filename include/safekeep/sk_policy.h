/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_policy.h: purpose-bound sharing. Who may see which fields of which
 * records, for what purpose, under which agreement in force at that moment.
 *
 * Policy comes from text files a lawyer can read (docs/agreements.md):
 * agencies, roles, agreements and constraints. sk_policy_parse turns one
 * file into an sk_policy_doc (all or nothing, errors name file and line);
 * sk_policy_compile turns a set of documents into an immutable sk_policy
 * whose sk_policy_decide answers without allocating: purposes, fields,
 * entities and actions are bitmasks, agreements are indexed by
 * (provider agency, recipient agency), every rule carries its validity
 * interval so that any past date can be replayed.
 *
 * Precedence: a constraint in force denies, whatever else says yes; then the
 * requester's own agency roles; then agreements; default deny. The purpose
 * "emergency" is break-glass: permitted unless a constraint denies, flagged,
 * and queued for review by the caller.
 */
#ifndef SK_POLICY_H
#define SK_POLICY_H

#include <stdint.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_buf.h"
#include "safekeep/sk_core.h"

/* ---- Vocabularies (fixed; their names are the file format's words) ---- */

typedef enum sk_purpose {
    SK_PURPOSE_CHILD_WELFARE = 0,
    SK_PURPOSE_SPONSOR_VETTING,
    SK_PURPOSE_COURT_PROCEEDINGS,
    SK_PURPOSE_LEGAL_REPRESENTATION,
    SK_PURPOSE_OVERSIGHT,
    SK_PURPOSE_STATISTICS,
    SK_PURPOSE_RESEARCH,
    SK_PURPOSE_IMMIGRATION_ENFORCEMENT,
    SK_PURPOSE_LAW_ENFORCEMENT,
    SK_PURPOSE_FOREIGN_GOVERNMENT,
    SK_PURPOSE_EMERGENCY,
    SK_PURPOSE__COUNT
} sk_purpose;

typedef enum sk_action {
    SK_ACTION_READ = 0,
    SK_ACTION_WRITE,
    SK_ACTION_EXPORT,
    SK_ACTION__COUNT
} sk_action;

/* Kinds of agency: constraints name kinds ("never to a foreign government"). */
typedef enum sk_agency_kind {
    SK_KIND_CHILD_WELFARE = 0,
    SK_KIND_ENFORCEMENT,
    SK_KIND_BORDER,
    SK_KIND_COURT,
    SK_KIND_LEGAL_SERVICE,
    SK_KIND_OVERSIGHT,
    SK_KIND_FOREIGN_GOVERNMENT,
    SK_KIND_BENEFITS,
    SK_KIND_OTHER,
    SK_KIND__COUNT
} sk_agency_kind;

/* Entity types whose records can be disclosed. */
typedef enum sk_entity {
    SK_ENTITY_CHILD = 0,
    SK_ENTITY_SPONSOR,
    SK_ENTITY_HOUSEHOLD_MEMBER,
    SK_ENTITY_PLACEMENT,
    SK_ENTITY_HEARING,
    SK_ENTITY_RELIEF,
    SK_ENTITY_FACT,
    SK_ENTITY_INCIDENT,
    SK_ENTITY_OMBUDS_RECORD,
    SK_ENTITY__COUNT
} sk_entity;

/* Conditions on the record and the requester, as attribute bits of a
 * request. An agreement's "when" lists them (optionally negated with "not"). */
typedef enum sk_attr {
    SK_ATTR_RELEASED = 0,       /* record.released: the child was released */
    SK_ATTR_IN_CARE,            /* record.in_care */
    SK_ATTR_ASYLUM,             /* record.asylum: an asylum application exists */
    SK_ATTR_COUNSEL_OF_RECORD,  /* requester.counsel_of_record for this child */
    SK_ATTR_QUALIFYING_OFFENCE, /* sponsor.qualifying_offence found by vetting */
    SK_ATTR_ADULT_HOUSEHOLD,    /* record.adult_household_member */
    SK_ATTR__COUNT
} sk_attr;

/* Obligations an agreement attaches to a disclosure. */
enum {
    SK_OBL_NO_ONWARD_SHARING = 1u << 0,
    SK_OBL_RETENTION_LIMIT = 1u << 1, /* retention_days says how long */
    SK_OBL_NOTIFY_PERSON = 1u << 2,
    SK_OBL_LOG = 1u << 3,
    SK_OBL_REVIEW = 1u << 4 /* break-glass: queued for review */
};
#define SK_OBL_NAMES_MAX 5

#define SK_POLICY_FIELDS_MAX   64 /* fields are one uint64_t mask */
#define SK_POLICY_AGENCIES_MAX 64
#define SK_POLICY_RULES_MAX    1024
#define SK_POLICY_ID_MAX       64
#define SK_POLICY_TEXT_MAX     400

/* Name tables, indexed by the enums; NULL-terminated. */
extern const char *const sk_purpose_names[];
extern const char *const sk_action_names[];
extern const char *const sk_agency_kind_names[];
extern const char *const sk_entity_names[];
extern const char *const sk_attr_names[];
extern const char *const sk_obligation_names[];

/* The disclosable fields: index = bit in a field mask. */
extern const char *const sk_policy_field_names[];
size_t sk_policy_field_count(void);

/* Looks a name up in a NULL-terminated table; -1 when absent. */
int sk_policy_lookup(const char *const *table, sk_str name);

/* ---- Parsed documents ---- */

typedef struct sk_pol_agency {
    char id[SK_POLICY_ID_MAX];
    sk_agency_kind kind;
    char name[SK_POLICY_TEXT_MAX];
    unsigned line;
} sk_pol_agency;

typedef struct sk_pol_role {
    char agency[SK_POLICY_ID_MAX]; /* "*" for every agency */
    char role[SK_POLICY_ID_MAX];
    uint32_t actions;  /* 1 << sk_action */
    uint32_t purposes; /* 1 << sk_purpose */
    uint32_t entities; /* 1 << sk_entity */
    uint64_t fields;
    unsigned line;
} sk_pol_role;

typedef struct sk_pol_rule {
    int is_constraint;
    char id[SK_POLICY_ID_MAX];
    unsigned version;
    char title[SK_POLICY_TEXT_MAX];
    char citation[SK_POLICY_TEXT_MAX];
    char reason[SK_POLICY_TEXT_MAX]; /* readable reason; constraints require one */
    int64_t effective;               /* Unix seconds, inclusive */
    int64_t expires;                 /* exclusive; INT64_MAX when open-ended */
    /* Agreements: provider -> recipients. Constraints: to whom (agencies or
     * kinds); empty means anyone. "*" as provider means any agency. */
    char provider[SK_POLICY_ID_MAX];
    uint64_t recipients; /* bits over the document's agency table */
    char recipient_ids[SK_POLICY_AGENCIES_MAX][SK_POLICY_ID_MAX];
    unsigned recipient_count;
    uint32_t recipient_kinds; /* 1 << sk_agency_kind */
    uint32_t actions;
    uint32_t purposes;
    uint32_t entities;
    uint64_t fields;     /* 0 in a constraint: every field of the entities */
    uint32_t when_set;   /* attributes that must be set */
    uint32_t when_clear; /* attributes that must be clear */
    uint32_t unless_set; /* constraint exceptions: the rule does not apply */
    uint32_t obligations;
    unsigned retention_days;
    unsigned line;
} sk_pol_rule;

typedef struct sk_policy_doc {
    sk_pol_agency *agencies;
    size_t agency_count;
    sk_pol_role *roles;
    size_t role_count;
    sk_pol_rule *rules;
    size_t rule_count;
} sk_policy_doc;

/*
 * Parses one policy file's text. All or nothing: on error nothing is
 * returned, and diag names the file (name, for messages), line, key and
 * what was expected. The document is allocated in arena.
 */
SK_NODISCARD sk_err sk_policy_parse(sk_str text, const char *name, sk_arena *arena,
                                    sk_policy_doc *out, sk_diag *diag);

/* ---- Compiled policy and decisions ---- */

typedef struct sk_policy sk_policy;

/* Compiles documents into a policy (heap; free with sk_policy_free). Checks
 * that every agency named is defined and that no id and version repeats. */
SK_NODISCARD sk_err sk_policy_compile(const sk_policy_doc *docs, size_t doc_count, sk_policy **out,
                                      sk_diag *diag);
void sk_policy_free(sk_policy *policy);

/* Index of an agency id, or -1. */
int sk_policy_agency(const sk_policy *policy, sk_str id);

/* Index of a role name (any agency), or -1. */
int sk_policy_role(const sk_policy *policy, sk_str name);

/* The agency table of a compiled policy. */
size_t sk_policy_agency_count(const sk_policy *policy);
const sk_pol_agency *sk_policy_agency_at(const sk_policy *policy, size_t index);

typedef struct sk_request {
    int agency; /* requester, index from sk_policy_agency */
    int role;   /* requester's role, index from sk_policy_role, or -1 */
    sk_action action;
    sk_purpose purpose;
    sk_entity entity;
    uint64_t fields;   /* requested; 0 means "every field" */
    int record_agency; /* the agency that recorded the data, or -1 */
    uint32_t attrs;    /* 1 << sk_attr */
    int64_t at;        /* the time the decision is for */
} sk_request;

typedef enum sk_rule_kind {
    SK_RULE_DEFAULT = 0,
    SK_RULE_CONSTRAINT,
    SK_RULE_ROLE,
    SK_RULE_AGREEMENT,
    SK_RULE_BREAK_GLASS
} sk_rule_kind;

typedef struct sk_decision {
    int permit;
    sk_rule_kind kind;
    const sk_pol_rule *rule;        /* constraint or agreement that decided; NULL otherwise */
    uint64_t fields;                /* disclosed fields: a subset of the requested ones */
    uint64_t withheld;              /* requested fields a constraint withheld */
    const sk_pol_rule *withheld_by; /* the (last) constraint that withheld them */
    uint32_t obligations;
    unsigned retention_days;
} sk_decision;

/* Decides. Never allocates, never fails; thread-safe on a shared policy. */
void sk_policy_decide(const sk_policy *policy, const sk_request *req, sk_decision *out);

/* Writes the reason a person can read ("denied: 8 CFR 208.6 forbids ...")
 * into buf. */
void sk_decision_reason(const sk_policy *policy, const sk_request *req, const sk_decision *d,
                        char *buf, size_t buf_len);

/* Iteration over the compiled rules (agreements and constraints, every
 * version), for listing. */
size_t sk_policy_rule_count(const sk_policy *policy);
const sk_pol_rule *sk_policy_rule(const sk_policy *policy, size_t index);

/* Ends every version of rule id that took effect before on at on (a
 * rescission recorded in the ledger). Call before the policy is shared.
 * SK_ERR_NOT_FOUND when no version of id takes effect before on. */
SK_NODISCARD sk_err sk_policy_rescind(sk_policy *policy, sk_str id, int64_t on);

/* ---- Rendering (render.c) ---- */

/* 1 when rule is in force at at (Unix seconds): effective <= at < expires;
 * else 0. rule is borrowed. Thread-safe. */
int sk_pol_rule_in_force(const sk_pol_rule *rule, int64_t at);

/*
 * Appends rule to out as one JSON object: {"id","version","kind"
 * ("agreement"|"constraint"),"title","citation","provider" ("*" for any
 * agency),"recipients":[agency ids],"recipient_kinds","actions","purposes",
 * "entities","fields" (["*"] for every field),"obligations",
 * "retention_days","effective" (YYYY-MM-DD),"expires" (YYYY-MM-DD, or null
 * when open-ended),"reason"}, names from the vocabulary tables above.
 * SK_ERR_TOO_LARGE when out would pass its maximum (out then holds a
 * partial object: the caller discards it). rule is borrowed. Thread-safe.
 */
SK_NODISCARD sk_err sk_policy_rule_json(const sk_pol_rule *rule, sk_buf *out);

/* The name of a rule kind: "default", "constraint", "role", "agreement" or
 * "break_glass". */
const char *sk_rule_kind_name(sk_rule_kind kind);

/* Appends the names of the bits of mask (names: a NULL-terminated table
 * such as sk_policy_field_names) as a JSON array of strings. */
SK_NODISCARD sk_err sk_policy_names_json(sk_buf *out, const char *const *names, uint64_t mask);

/* Parses "a,b,c" field names into a mask. Returns -1 on an unknown name. */
int sk_policy_fields_parse(const char *text, uint64_t *mask);

/*
 * Appends decision d, made by policy on req, to out as one JSON object:
 * {"decision" ("permit"|"deny"),"rule":{"kind","id","version"} (id and
 * version only when a rule decided),"record_agency" (agency id, "" when
 * unknown),"fields","withheld","obligations","retention_days","reason"
 * (sk_decision_reason)}. SK_ERR_TOO_LARGE as for sk_policy_rule_json. All
 * parameters are borrowed. Thread-safe on a shared policy.
 */
SK_NODISCARD sk_err sk_decision_json(const sk_policy *policy, const sk_request *req,
                                     const sk_decision *d, sk_buf *out);

#endif /* SK_POLICY_H */
