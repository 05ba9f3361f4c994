/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.c: which field of a policy mask governs which key of which view.
 *
 * Everything the views may show is decided by the one table below, one row
 * per field, in the order of sk_policy_field_names (its bit number). A row
 * lists the keys that field governs in each place a record appears:
 *
 *   identity   keys of a person's sealed identity record (child, sponsor,
 *              household member alike)
 *   child      keys of the child's record; "list[].key" is a key of the
 *              items of a list, which also needs the list's own fields
 *   events     timeline event types the field covers: such an event is
 *              shown only when the field is disclosed (envelope included)
 *   payload    "type.key" payload keys the field governs inside covered
 *              events; a payload key no row names follows its event type
 *   event_keys keys the field adds to every shown event ("provenance",
 *              "data_quality")
 *   sponsor,   keys of a sponsor item and of a household-member item in
 *   household  sk_view_sponsors
 *   checks     vetting check types whose results make up the field's list
 *              in those items
 *   gate       "key=value": an entry (event or list item) carrying that
 *              value is shown only when this field is disclosed as well.
 *              Fact events inherit the gates of the fact they are about
 *              (same fact_id), so a contest of a criminal-record fact is
 *              hidden with the fact.
 *   entities   the kinds of record (sk_entity) the field describes: what
 *              "every field" means for a request about such a record
 *
 * A key named in several rows needs all of them (next_hearing_at depends on
 * both dates and outcomes). Event types no row covers (sponsor, household
 * and vetting events, policy events) never enter the timeline; identity
 * payload fields never do either, whatever the table says. The table is
 * compiled once into lookup arrays and checked against the catalogue and the
 * field vocabulary: a typo aborts at the first use, not silently hides or
 * shows a key. docs/fields.md renders the same table for people.
 */
#include "view_int.h"

#include <pthread.h>

#include "sk_int.h"

#define E_CHILD     (1u << SK_ENTITY_CHILD)
#define E_SPONSOR   (1u << SK_ENTITY_SPONSOR)
#define E_HOUSEHOLD (1u << SK_ENTITY_HOUSEHOLD_MEMBER)
#define E_PLACEMENT (1u << SK_ENTITY_PLACEMENT)
#define E_HEARING   (1u << SK_ENTITY_HEARING)
#define E_RELIEF    (1u << SK_ENTITY_RELIEF)
#define E_FACT      (1u << SK_ENTITY_FACT)
#define E_INCIDENT  (1u << SK_ENTITY_INCIDENT)
#define E_OMBUDS    (1u << SK_ENTITY_OMBUDS_RECORD)
#define E_PERSONS   (E_CHILD | E_SPONSOR | E_HOUSEHOLD)

typedef struct view_rule {
    const char *field;
    uint32_t entities;
    const char *identity;
    const char *child;
    const char *events;
    const char *payload;
    const char *event_keys;
    const char *sponsor;
    const char *household;
    const char *checks;
    const char *gate;
} view_rule;

/* clang-format off */
static const view_rule table[] = {
    {"given_name", E_PERSONS, .identity = "given_name"},
    {"family_name", E_PERSONS, .identity = "family_name"},
    {"dob", E_PERSONS, .identity = "dob"},
    {"a_number", E_PERSONS, .identity = "a_number"},
    {"address", E_PERSONS, .identity = "address",
     .events = "change_of_address",
     .payload = "discharge.address_status discharge.address_on_file"},
    {"phone", E_PERSONS, .identity = "phone"},
    {"sex", E_CHILD, .child = "sex", .payload = "apprehension.sex"},
    {"country_of_birth", E_CHILD, .child = "country_of_birth",
     .payload = "apprehension.country_of_birth"},
    {"language", E_CHILD, .child = "language", .payload = "apprehension.language"},
    {"age", E_CHILD, .child = "age_years", .payload = "apprehension.age_years"},
    {"custody_status", E_CHILD, .child = "custody referred_at closed_at",
     .events = "referral case_closed"},
    {"court_status", E_CHILD, .child = "court"},
    {"facility", E_CHILD | E_PLACEMENT, .child = "facility placements[].facility",
     .payload = "admission.facility_id admission.facility_state transfer.from_facility_id "
                "transfer.to_facility_id"},
    {"placement_type", E_CHILD | E_PLACEMENT,
     .child = "placement_type placements[].placement_type",
     .payload = "admission.placement_type transfer.placement_type"},
    {"placement_history", E_CHILD | E_PLACEMENT, .child = "placements admitted_at",
     .events = "admission transfer"},
    {"apprehension_date", E_CHILD, .child = "apprehended_at", .events = "apprehension"},
    {"release_date", E_CHILD, .child = "released_at", .events = "discharge"},
    {"discharge_type", E_CHILD, .child = "discharge_type", .payload = "discharge.discharge_type"},
    {"sponsor_id", E_CHILD | E_SPONSOR | E_HOUSEHOLD, .child = "sponsor_id",
     .payload = "discharge.sponsor_id change_of_address.person_id",
     .sponsor = "sponsor_id", .household = "sponsor_id"},
    {"sponsor_category", E_SPONSOR, .sponsor = "category"},
    {"relationship", E_SPONSOR | E_HOUSEHOLD, .sponsor = "relationship",
     .household = "relationship"},
    {"fingerprints", E_SPONSOR | E_HOUSEHOLD, .sponsor = "fingerprints",
     .household = "fingerprints", .checks = "fingerprint"},
    {"immigration_status", 0, .identity = NULL}, /* no event records it yet: nothing to show */
    {"vetting_results", E_SPONSOR | E_HOUSEHOLD,
     .sponsor = "status denial_reason vetting_results", .household = "vetting_results",
     .checks = "can_registry home_study"},
    {"criminal_history", E_CHILD | E_SPONSOR | E_HOUSEHOLD, .sponsor = "criminal_history",
     .household = "criminal_history", .checks = "public_records sex_offender_registry",
     .gate = "topic=criminal_record topic=gang_affiliation"},
    {"household_members", E_SPONSOR | E_HOUSEHOLD, .sponsor = "household_members",
     .household = "member_id"},
    {"nta", E_CHILD | E_HEARING, .child = "nta_filed_at", .events = "nta_filed"},
    {"hearing_dates", E_CHILD | E_HEARING, .child = "hearings next_hearing_at",
     .events = "hearing_scheduled"},
    {"hearing_outcomes", E_CHILD | E_HEARING, .child = "hearings[].outcome next_hearing_at",
     .events = "hearing_outcome"},
    {"court_id", E_CHILD | E_HEARING, .child = "hearings[].court_id",
     .payload = "nta_filed.court_id hearing_scheduled.court_id"},
    {"relief_type", E_CHILD | E_RELIEF, .child = "relief", .events = "relief_filed",
     .payload = "relief_decided.relief_type"},
    {"asylum_application", E_CHILD | E_RELIEF, .child = "asylum_application",
     .gate = "relief_type=asylum"},
    {"relief_outcome", E_CHILD | E_RELIEF, .child = "relief[].outcome",
     .events = "relief_decided"},
    {"incidents", E_CHILD | E_INCIDENT, .child = "incident_count", .events = "incident"},
    {"wellness_calls", E_CHILD, .child = "calls", .events = "wellness_call"},
    {"services", E_CHILD, .events = "post_release_service"},
    {"facts", E_CHILD | E_FACT,
     .events = "fact_asserted fact_contested fact_corrected fact_retracted",
     .event_keys = "provenance"},
    {"decisions", E_CHILD | E_FACT, .events = "decision"},
    {"ombuds_complaint", E_OMBUDS, .identity = NULL}, /* no event records it yet: nothing to show */
    {"counsel", E_CHILD, .child = "counsel", .events = "counsel"},
    {"data_quality", E_CHILD, .child = "data_quality", .event_keys = "data_quality"},
};
/* clang-format on */

const char *const sk_view_case_key_names[CK__COUNT] = {"custody",
                                                       "court",
                                                       "sex",
                                                       "country_of_birth",
                                                       "language",
                                                       "age_years",
                                                       "apprehended_at",
                                                       "referred_at",
                                                       "admitted_at",
                                                       "facility",
                                                       "placement_type",
                                                       "placements",
                                                       "placements[].facility",
                                                       "placements[].placement_type",
                                                       "placements[].start",
                                                       "placements[].end",
                                                       "released_at",
                                                       "discharge_type",
                                                       "sponsor_id",
                                                       "closed_at",
                                                       "nta_filed_at",
                                                       "next_hearing_at",
                                                       "hearings",
                                                       "hearings[].hearing_id",
                                                       "hearings[].court_id",
                                                       "hearings[].scheduled_for",
                                                       "hearings[].outcome",
                                                       "relief",
                                                       "relief[].relief_type",
                                                       "relief[].filed_at",
                                                       "relief[].outcome",
                                                       "asylum_application",
                                                       "counsel",
                                                       "incident_count",
                                                       "calls",
                                                       "calls[].at",
                                                       "calls[].reached",
                                                       "data_quality"};

const char *const sk_view_person_key_names[PK__COUNT] = {
    "member_id",     "sponsor_id",        "category",         "relationship", "status",
    "denial_reason", "household_members", "criminal_history", "fingerprints", "vetting_results"};

const char *const sk_view_event_key_names[EK__COUNT] = {"provenance", "data_quality"};

const char *const sk_view_identity_keys[VIEW_IDENTITY_KEYS] = {
    "given_name", "family_name", "dob", "a_number", "address", "phone"};

/* The keys of the child row (sk_view_child_row), a subset of the case keys. */
const view_case_key sk_view_row_keys[SK_VIEW_ROW_KEYS] = {
    CK_CUSTODY,        CK_COURT,    CK_COUNTRY,     CK_LANGUAGE,        CK_AGE,
    CK_APPREHENDED_AT, CK_FACILITY, CK_RELEASED_AT, CK_NEXT_HEARING_AT, CK_DATA_QUALITY};

static view_rules compiled;
static pthread_once_t compiled_once = PTHREAD_ONCE_INIT;

/* The next space-separated token of *cursor; 0 at the end. */
static int next_token(const char **cursor, sk_str *tok)
{
    const char *p = *cursor;

    if (p == NULL)
        return 0;
    while (*p == ' ')
        p++;
    if (*p == '\0')
        return 0;
    tok->ptr = p;
    while (*p != '\0' && *p != ' ')
        p++;
    tok->len = (size_t)(p - tok->ptr);
    *cursor = p;
    return 1;
}

static int name_index(const char *const *names, size_t count, sk_str name)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (sk_str_eqc(name, names[i]))
            return (int)i;
    }
    return -1;
}

/* req[k] gains bit for each key of list (names of a key set). */
static void add_keys(uint64_t *req, const char *const *names, size_t count, const char *list,
                     uint64_t bit)
{
    sk_str tok;
    int k;

    while (next_token(&list, &tok)) {
        k = name_index(names, count, tok);
        SK_ASSERT(k >= 0);
        req[k] |= bit;
    }
}

static void add_events(view_rules *r, const char *list, uint64_t bit)
{
    sk_event_type type;
    sk_str tok;

    sk_err rc;

    while (next_token(&list, &tok)) {
        rc = sk_event_type_parse(tok, &type);
        SK_ASSERT(rc == SK_OK);
        SK_ASSERT(sk_event_type_is_case(type));
        r->event_req[type] |= bit;
    }
}

/* own[type][field] gains bit for each "type.key" of list. */
static void add_payload(uint64_t own[SK_EV__COUNT][SK_FIELDS_MAX], const char *list, uint64_t bit)
{
    sk_event_type type;
    sk_str tok;
    const char *dot;
    sk_err rc;
    int k;

    while (next_token(&list, &tok)) {
        dot = memchr(tok.ptr, '.', tok.len);
        SK_ASSERT(dot != NULL);
        rc = sk_event_type_parse((sk_str){tok.ptr, (size_t)(dot - tok.ptr)}, &type);
        SK_ASSERT(rc == SK_OK);
        k = sk_event_field_index(type, (sk_str){dot + 1, tok.len - (size_t)(dot - tok.ptr) - 1});
        SK_ASSERT(k >= 0);
        SK_ASSERT(!(sk_event_def_get(type)->fields[k].flags & SK_FF_IDENTITY));
        own[type][k] |= bit;
    }
}

static void add_checks(view_rules *r, const view_rule *row)
{
    const char *list = row->checks;
    int list_key = name_index(sk_view_person_key_names, PK__COUNT, sk_str_c(row->field));
    sk_str tok;
    int k;

    while (next_token(&list, &tok)) {
        k = sk_policy_lookup(sk_check_types, tok);
        SK_ASSERT(k >= 0 && k < VIEW_CHECKS_MAX);
        SK_ASSERT(list_key >= 0);
        SK_ASSERT(r->check_list[k] < 0);
        r->check_list[k] = list_key;
    }
}

static void add_gates(view_rules *r, const char *list, uint64_t bit)
{
    const char *eq;
    sk_str tok;

    while (next_token(&list, &tok)) {
        eq = memchr(tok.ptr, '=', tok.len);
        SK_ASSERT(eq != NULL);
        SK_ASSERT(r->gate_count < VIEW_GATES_MAX);
        r->gates[r->gate_count].field = bit;
        r->gates[r->gate_count].key = (sk_str){tok.ptr, (size_t)(eq - tok.ptr)};
        r->gates[r->gate_count].value = (sk_str){eq + 1, tok.len - (size_t)(eq - tok.ptr) - 1};
        r->gate_count++;
    }
}

static int has(const char *column)
{
    return column != NULL && column[0] != '\0';
}

/* The entities column must agree with the keys the row actually has in the
 * three views, or "every field" would miss (or invent) something. */
static void check_entities(const view_rule *row)
{
    int child = has(row->identity) || has(row->child) || has(row->events) || has(row->payload) ||
                has(row->event_keys) || has(row->gate);
    int sponsor = has(row->identity) || has(row->sponsor);
    int household = has(row->identity) || has(row->household);

    SK_ASSERT(child == ((row->entities & E_CHILD) != 0));
    SK_ASSERT(sponsor == ((row->entities & E_SPONSOR) != 0));
    SK_ASSERT(household == ((row->entities & E_HOUSEHOLD) != 0));
}

/* Payload requirements: own rows, else the event's; always with the event's. */
static void finish_payload(view_rules *r, uint64_t own[SK_EV__COUNT][SK_FIELDS_MAX])
{
    size_t t, k;

    for (t = 0; t < SK_EV__COUNT; t++) {
        const sk_event_def *def = sk_event_def_get((sk_event_type)t);
        if (r->event_req[t] == 0)
            r->event_req[t] = VIEW_NEVER;
        for (k = 0; k < SK_FIELDS_MAX; k++) {
            r->payload_req[t][k] = VIEW_NEVER;
            if (k >= def->field_count || r->event_req[t] == VIEW_NEVER ||
                (def->fields[k].flags & SK_FF_IDENTITY))
                continue;
            r->payload_req[t][k] = r->event_req[t] | (own[t][k] ? own[t][k] : r->event_req[t]);
        }
        for (k = 0; k < SK_FIELDS_MAX; k++)
            SK_ASSERT(r->event_req[t] != VIEW_NEVER || own[t][k] == 0);
    }
}

/* List items need their list; top-level keys must each be governed. */
static void finish_case(view_rules *r)
{
    size_t k;
    int parent;

    for (k = 0; k < CK__COUNT; k++) {
        const char *name = sk_view_case_key_names[k];
        const char *brackets = strstr(name, "[].");
        if (brackets == NULL) {
            SK_ASSERT(r->case_req[k] != 0);
            continue;
        }
        parent = name_index(sk_view_case_key_names, CK__COUNT,
                            (sk_str){name, (size_t)(brackets - name)});
        SK_ASSERT(parent >= 0 && (size_t)parent < k);
        r->case_req[k] |= r->case_req[parent];
    }
    for (k = 0; k < VIEW_IDENTITY_KEYS; k++)
        SK_ASSERT(r->identity_req[k] != 0);
}

static void finish_persons(view_rules *r)
{
    size_t v, k;

    for (v = 0; v < 2; v++) {
        for (k = 0; k < PK__COUNT; k++) {
            if (r->person_req[v][k] == 0)
                r->person_req[v][k] = VIEW_NEVER;
        }
    }
    for (k = 0; k < r->check_count; k++)
        SK_ASSERT(r->check_list[k] >= 0);
}

static void compile_row(view_rules *r, const view_rule *row, uint64_t bit,
                        uint64_t own[SK_EV__COUNT][SK_FIELDS_MAX])
{
    size_t e;

    check_entities(row);
    add_keys(r->identity_req, sk_view_identity_keys, VIEW_IDENTITY_KEYS, row->identity, bit);
    add_keys(r->case_req, sk_view_case_key_names, CK__COUNT, row->child, bit);
    add_events(r, row->events, bit);
    add_payload(own, row->payload, bit);
    add_keys(r->event_key_req, sk_view_event_key_names, EK__COUNT, row->event_keys, bit);
    add_keys(r->person_req[VIEW_SPONSOR], sk_view_person_key_names, PK__COUNT, row->sponsor, bit);
    add_keys(r->person_req[VIEW_HOUSEHOLD], sk_view_person_key_names, PK__COUNT, row->household,
             bit);
    add_checks(r, row);
    add_gates(r, row->gate, bit);
    for (e = 0; e < SK_ENTITY__COUNT; e++) {
        if (row->entities & (1u << e))
            r->entity_fields[e] |= bit;
    }
}

static void compile(void)
{
    static uint64_t own[SK_EV__COUNT][SK_FIELDS_MAX];
    view_rules *r = &compiled;
    size_t i;

    SK_ASSERT(SK_ARRAY_LEN(table) == sk_policy_field_count());
    for (i = 0; i < CK__COUNT; i++)
        SK_ASSERT(sk_view_case_key_names[i] != NULL);
    for (i = 0; i < PK__COUNT; i++)
        SK_ASSERT(sk_view_person_key_names[i] != NULL);
    memset(r, 0, sizeof(*r));
    memset(own, 0, sizeof(own));
    for (i = 0; i < VIEW_CHECKS_MAX; i++)
        r->check_list[i] = -1;
    while (sk_check_types[r->check_count] != NULL)
        r->check_count++;
    SK_ASSERT(r->check_count <= VIEW_CHECKS_MAX);
    for (i = 0; i < SK_ARRAY_LEN(table); i++) {
        SK_ASSERT(strcmp(table[i].field, sk_policy_field_names[i]) == 0);
        r->all |= (uint64_t)1 << i;
        compile_row(r, &table[i], (uint64_t)1 << i, own);
    }
    for (i = 0; i < EK__COUNT; i++)
        SK_ASSERT(r->event_key_req[i] != 0);
    finish_payload(r, own);
    finish_case(r);
    finish_persons(r);
}

const view_rules *sk_view_rules(void)
{
    int rc = pthread_once(&compiled_once, compile);

    SK_ASSERT(rc == 0);
    return &compiled;
}

uint64_t sk_view_gate(const view_rules *rules, sk_str key, sk_str value)
{
    uint64_t need = 0;
    size_t i;

    for (i = 0; i < rules->gate_count; i++) {
        if (sk_str_eq(rules->gates[i].key, key) && sk_str_eq(rules->gates[i].value, value))
            need |= rules->gates[i].field;
    }
    return need;
}

uint64_t sk_view_fields(sk_entity entity)
{
    SK_ASSERT((unsigned)entity < SK_ENTITY__COUNT);
    return sk_view_rules()->entity_fields[entity];
}

/* ---- paths, for tests and docs ---- */

typedef struct path_out {
    sk_view_path_cb cb;
    void *ctx;
} path_out;

/* Calls back with the path a b c (concatenated). */
static void emit(const path_out *o, const char *a, const char *b, const char *c)
{
    char path[160];
    int n = snprintf(path, sizeof(path), "%s%s%s", a, b, c);

    SK_ASSERT(n > 0 && (size_t)n < sizeof(path));
    o->cb(path, o->ctx);
}

static void identity_paths(const view_rules *r, uint64_t fields, const char *prefix,
                           const path_out *o)
{
    size_t k, shown = 0;

    for (k = 0; k < VIEW_IDENTITY_KEYS; k++)
        shown += (size_t)view_allowed(r->identity_req[k], fields);
    if (shown == 0)
        return;
    emit(o, prefix, "identity", "");
    for (k = 0; k < VIEW_IDENTITY_KEYS; k++) {
        if (view_allowed(r->identity_req[k], fields))
            emit(o, prefix, "identity.", sk_view_identity_keys[k]);
    }
}

static void event_paths(const view_rules *r, uint64_t fields, sk_event_type t, const path_out *o)
{
    static const char *const envelope[] = {"id",          "type",   "occurred_at",
                                           "recorded_at", "agency", "payload"};
    const sk_event_def *def = sk_event_def_get(t);
    char prefix[64];
    size_t k;
    int n = snprintf(prefix, sizeof(prefix), "timeline[%s]", def->name);

    SK_ASSERT(n > 0 && (size_t)n < sizeof(prefix));
    emit(o, prefix, "", "");
    for (k = 0; k < SK_ARRAY_LEN(envelope); k++)
        emit(o, prefix, ".", envelope[k]);
    for (k = 0; k < def->field_count; k++) {
        if (view_allowed(r->payload_req[t][k], fields))
            emit(o, prefix, ".payload.", def->fields[k].name);
    }
    if (view_allowed(r->event_key_req[EK_PROVENANCE] | r->event_req[t], fields)) {
        emit(o, prefix, ".", "provenance");
        emit(o, prefix, ".", "provenance.source");
        emit(o, prefix, ".", "provenance.ref");
        emit(o, prefix, ".", "provenance.reliability");
    }
    if (view_allowed(r->event_key_req[EK_DATA_QUALITY] | r->event_req[t], fields))
        emit(o, prefix, ".", "data_quality");
}

static void child_paths(const view_rules *r, uint64_t fields, const path_out *o)
{
    size_t k, shown = 0;

    o->cb("id", o->ctx);
    for (k = 0; k < CK__COUNT; k++) {
        if (view_allowed(r->case_req[k], fields))
            o->cb(sk_view_case_key_names[k], o->ctx);
    }
    identity_paths(r, fields, "", o);
    for (k = 0; k < SK_EV__COUNT; k++)
        shown += (size_t)view_allowed(r->event_req[k], fields);
    if (shown == 0)
        return;
    o->cb("timeline", o->ctx);
    for (k = 0; k < SK_EV__COUNT; k++) {
        if (view_allowed(r->event_req[k], fields))
            event_paths(r, fields, (sk_event_type)k, o);
    }
}

static void person_paths(const view_rules *r, int which, uint64_t fields, const path_out *o)
{
    static const char *const check_keys[] = {"check_type", "result", "checked_at"};
    size_t k, c;

    identity_paths(r, fields, "", o);
    for (k = 0; k < PK__COUNT; k++) {
        if (!view_allowed(r->person_req[which][k], fields))
            continue;
        o->cb(sk_view_person_key_names[k], o->ctx);
        if (k == PK_CRIMINAL_HISTORY || k == PK_FINGERPRINTS || k == PK_VETTING_RESULTS) {
            for (c = 0; c < SK_ARRAY_LEN(check_keys); c++)
                emit(o, sk_view_person_key_names[k], "[].", check_keys[c]);
        }
    }
}

void sk_view_paths(sk_view_kind kind, uint64_t fields, sk_view_path_cb cb, void *ctx)
{
    const view_rules *r = sk_view_rules();
    path_out o = {cb, ctx};
    size_t k;

    SK_ASSERT(cb != NULL);
    fields &= r->all;
    switch (kind) {
    case SK_VIEW_CHILD_ROW:
        cb("id", ctx);
        for (k = 0; k < SK_VIEW_ROW_KEYS; k++) {
            if (view_allowed(r->case_req[sk_view_row_keys[k]], fields))
                cb(sk_view_case_key_names[sk_view_row_keys[k]], ctx);
        }
        break;
    case SK_VIEW_CHILD:
        child_paths(r, fields, &o);
        break;
    case SK_VIEW_SPONSOR:
        person_paths(r, VIEW_SPONSOR, fields, &o);
        break;
    case SK_VIEW_HOUSEHOLD_MEMBER:
        person_paths(r, VIEW_HOUSEHOLD, fields, &o);
        break;
    default:
        SK_ASSERT(0 && "unknown view kind");
    }
}
