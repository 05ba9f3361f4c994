/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalogue.c: the event types, their fields and the enumerations.
 *
 * This table is the single source of truth for what an event may carry: the
 * validator, the JSON renderer, the CSV mapping, the generator and
 * docs/events.md all follow it. Payloads are flat so that a case manager's
 * spreadsheet row maps onto events column by column. Fields flagged
 * SK_FF_IDENTITY are personal identifiers; they are split off and encrypted.
 */
#include "safekeep/sk_model.h"

#include "sk_int.h"

#include "iso_codes.inc"

const char *const sk_sponsor_categories[] = {"1", "2A", "2B", "3", "4", NULL};
const char *const sk_placement_types[] = {"shelter",
                                          "group_home",
                                          "therapeutic_group_home",
                                          "transitional_foster_care",
                                          "long_term_foster_care",
                                          "heightened_supervision",
                                          "secure",
                                          "residential_treatment",
                                          "emergency_influx",
                                          "out_of_network",
                                          NULL};
const char *const sk_discharge_types[] = {"released_to_sponsor",
                                          "aged_out",
                                          "voluntary_departure",
                                          "removal",
                                          "runaway",
                                          "obtained_status",
                                          "urm_transfer",
                                          NULL};
const char *const sk_check_types[] = {
    "public_records", "sex_offender_registry", "fingerprint", "can_registry", "home_study", NULL};
const char *const sk_hearing_outcomes[] = {"attended", "failed_to_appear", "in_absentia_order",
                                           "continued", NULL};
const char *const sk_relief_types[] = {"asylum", "sijs", "t_visa", "u_visa", NULL};
const char *const sk_relationships[] = {
    "parent", "legal_guardian", "sibling",       "grandparent", "aunt_uncle",
    "cousin", "other_relative", "family_friend", "unrelated",   NULL};
const char *const sk_source_kinds[] = {"agency_record",      "interview", "document",
                                       "foreign_government", "interpol",  "third_party",
                                       "self_report",        NULL};

static const char *const sexes[] = {"female", "male", "other", "unknown", NULL};
static const char *const check_results[] = {"clear", "finding", "inconclusive", "waived", NULL};
static const char *const transfer_reasons[] = {
    "step_up", "step_down", "capacity", "medical", "family_proximity", "other", NULL};
static const char *const deny_reasons[] = {"failed_check", "home_study", "withdrawn", "other",
                                           NULL};
static const char *const address_states[] = {"verified", "unverified", "undeliverable", NULL};
static const char *const services[] = {"home_study_follow_up", "case_management",
                                       "legal_orientation",    "mental_health",
                                       "education_referral",   NULL};
static const char *const service_states[] = {"referred", "started", "completed", "declined", NULL};
static const char *const incident_kinds[] = {"trafficking_indicator",
                                             "labor_exploitation",
                                             "abuse",
                                             "runaway_attempt",
                                             "medical",
                                             "behavioral",
                                             "other",
                                             NULL};
static const char *const severities[] = {"low", "moderate", "high", NULL};
static const char *const counsel_actions[] = {"entered", "withdrawn", NULL};
static const char *const relief_outcomes[] = {"granted", "denied", "withdrawn", NULL};
static const char *const fact_topics[] = {
    "identity",         "age",    "criminal_record", "family_relationship",
    "gang_affiliation", "travel", "other",           NULL};
static const char *const decision_kinds[] = {
    "detention", "separation", "release_denied", "release_approved", "placement_step_up", NULL};
static const char *const close_reasons[] = {"aged_out",  "relief_granted", "removed", "departed",
                                            "reunified", "other",          NULL};

#define REQ SK_FF_REQUIRED
#define IDN SK_FF_IDENTITY
#define F(name, type, flags, values, doc)                                                          \
    {                                                                                              \
        name, type, flags, values, doc                                                             \
    }

static const sk_field_def f_apprehension[] = {
    F("given_name", SK_FT_STRING, REQ | IDN, NULL, "given name(s) as recorded"),
    F("family_name", SK_FT_STRING, REQ | IDN, NULL, "family name(s), both surnames where used"),
    F("dob", SK_FT_DATE, IDN, NULL, "date of birth"),
    F("a_number", SK_FT_ANUMBER, IDN, NULL, "alien registration number"),
    F("sex", SK_FT_ENUM, 0, sexes, "sex as recorded"),
    F("country_of_birth", SK_FT_COUNTRY, REQ, NULL, "ISO 3166-1 alpha-2"),
    F("language", SK_FT_LANGUAGE, 0, NULL, "primary language, ISO 639-3 (mam, quc, kjb...)"),
    F("location", SK_FT_STRING, 0, NULL, "border sector or port of entry"),
    F("age_years", SK_FT_INT, SK_FF_DERIVED, NULL, "age at apprehension; derived from dob"),
};
static const sk_field_def f_referral[] = {
    F("referring_office", SK_FT_ID, 0, NULL, "office that referred the child"),
};
static const sk_field_def f_admission[] = {
    F("facility_id", SK_FT_ID, REQ, NULL, "care provider facility"),
    F("placement_type", SK_FT_ENUM, REQ, sk_placement_types, "kind of placement"),
    F("facility_state", SK_FT_STRING, 0, NULL, "US state of the facility"),
};
static const sk_field_def f_transfer[] = {
    F("from_facility_id", SK_FT_ID, 0, NULL, "facility the child leaves"),
    F("to_facility_id", SK_FT_ID, REQ, NULL, "facility the child enters"),
    F("placement_type", SK_FT_ENUM, REQ, sk_placement_types, "kind of the new placement"),
    F("reason", SK_FT_ENUM, 0, transfer_reasons, "why"),
};
static const sk_field_def f_sponsor_application[] = {
    F("sponsor_id", SK_FT_ID, REQ, NULL, "the sponsor (also a subject)"),
    F("category", SK_FT_ENUM, REQ, sk_sponsor_categories, "sponsor category 1, 2A, 2B, 3, 4"),
    F("relationship", SK_FT_ENUM, REQ, sk_relationships, "relationship to the child"),
    F("given_name", SK_FT_STRING, REQ | IDN, NULL, "sponsor's given name(s)"),
    F("family_name", SK_FT_STRING, REQ | IDN, NULL, "sponsor's family name(s)"),
    F("dob", SK_FT_DATE, IDN, NULL, "sponsor's date of birth"),
    F("a_number", SK_FT_ANUMBER, IDN, NULL, "sponsor's A-number, if any"),
    F("address", SK_FT_STRING, IDN, NULL, "sponsor's address"),
    F("phone", SK_FT_PHONE, IDN, NULL, "sponsor's phone"),
};
static const sk_field_def f_household_member[] = {
    F("sponsor_id", SK_FT_ID, REQ, NULL, "the sponsor's household"),
    F("member_id", SK_FT_ID, REQ, NULL, "the adult household member"),
    F("given_name", SK_FT_STRING, REQ | IDN, NULL, "member's given name(s)"),
    F("family_name", SK_FT_STRING, REQ | IDN, NULL, "member's family name(s)"),
    F("dob", SK_FT_DATE, IDN, NULL, "member's date of birth"),
    F("relationship", SK_FT_ENUM, 0, sk_relationships, "relationship to the child"),
};
static const sk_field_def f_vetting_check[] = {
    F("sponsor_id", SK_FT_ID, REQ, NULL, "sponsor being vetted"),
    F("person_id", SK_FT_ID, 0, NULL, "household member checked, when not the sponsor"),
    F("check_type", SK_FT_ENUM, REQ, sk_check_types, "kind of check"),
    F("result", SK_FT_ENUM, REQ, check_results, "outcome"),
};
static const sk_field_def f_sponsor_approved[] = {
    F("sponsor_id", SK_FT_ID, REQ, NULL, "approved sponsor"),
};
static const sk_field_def f_sponsor_denied[] = {
    F("sponsor_id", SK_FT_ID, REQ, NULL, "denied sponsor"),
    F("reason", SK_FT_ENUM, 0, deny_reasons, "why"),
};
static const sk_field_def f_discharge[] = {
    F("discharge_type", SK_FT_ENUM, REQ, sk_discharge_types, "how custody ended"),
    F("sponsor_id", SK_FT_ID, 0, NULL, "required when released_to_sponsor"),
    F("address", SK_FT_STRING, IDN, NULL, "release address"),
    F("phone", SK_FT_PHONE, IDN, NULL, "contact phone after release"),
    F("address_status", SK_FT_ENUM, 0, address_states, "verified / unverified / undeliverable"),
    F("address_on_file", SK_FT_BOOL, SK_FF_DERIVED, NULL, "whether an address was given"),
};
static const sk_field_def f_wellness_call[] = {
    F("reached", SK_FT_BOOL, REQ, NULL, "child or sponsor reached"),
    F("attempt", SK_FT_INT, 0, NULL, "attempt number"),
    F("concerns", SK_FT_BOOL, 0, NULL, "safety concerns raised"),
};
static const sk_field_def f_post_release_service[] = {
    F("service", SK_FT_ENUM, REQ, services, "service"),
    F("status", SK_FT_ENUM, REQ, service_states, "status"),
};
static const sk_field_def f_incident[] = {
    F("category", SK_FT_ENUM, REQ, incident_kinds, "kind of significant incident"),
    F("severity", SK_FT_ENUM, 0, severities, "severity"),
};
static const sk_field_def f_nta_filed[] = {
    F("court_id", SK_FT_ID, REQ, NULL, "immigration court"),
};
static const sk_field_def f_hearing_scheduled[] = {
    F("hearing_id", SK_FT_ID, REQ, NULL, "hearing"),
    F("court_id", SK_FT_ID, REQ, NULL, "immigration court"),
    F("scheduled_for", SK_FT_TIME, REQ, NULL, "date and time of the hearing"),
};
static const sk_field_def f_hearing_outcome[] = {
    F("hearing_id", SK_FT_ID, REQ, NULL, "hearing"),
    F("outcome", SK_FT_ENUM, REQ, sk_hearing_outcomes, "what happened"),
};
static const sk_field_def f_change_of_address[] = {
    F("person_id", SK_FT_ID, 0, NULL, "whose address; the child when absent"),
    F("address", SK_FT_STRING, REQ | IDN, NULL, "new address"),
    F("phone", SK_FT_PHONE, IDN, NULL, "new phone"),
};
static const sk_field_def f_counsel[] = {
    F("org_id", SK_FT_ID, REQ, NULL, "legal-service provider"),
    F("action", SK_FT_ENUM, REQ, counsel_actions, "entered or withdrawn as counsel of record"),
};
static const sk_field_def f_relief_filed[] = {
    F("relief_type", SK_FT_ENUM, REQ, sk_relief_types, "asylum, SIJS, T or U visa"),
    F("application_id", SK_FT_ID, 0, NULL, "receipt or application number"),
};
static const sk_field_def f_relief_decided[] = {
    F("relief_type", SK_FT_ENUM, REQ, sk_relief_types, "asylum, SIJS, T or U visa"),
    F("outcome", SK_FT_ENUM, REQ, relief_outcomes, "granted, denied, withdrawn"),
};
static const sk_field_def f_fact_asserted[] = {
    F("fact_id", SK_FT_ID, REQ, NULL, "the fact"),
    F("topic", SK_FT_ENUM, REQ, fact_topics, "what it is about"),
    F("summary", SK_FT_STRING, 0, NULL, "short statement, no identifiers"),
};
static const sk_field_def f_fact_contested[] = {
    F("fact_id", SK_FT_ID, REQ, NULL, "the fact"),
    F("grounds", SK_FT_STRING, 0, NULL, "why it is contested"),
};
static const sk_field_def f_fact_corrected[] = {
    F("fact_id", SK_FT_ID, REQ, NULL, "the fact"),
    F("summary", SK_FT_STRING, 0, NULL, "corrected statement"),
};
static const sk_field_def f_fact_retracted[] = {
    F("fact_id", SK_FT_ID, REQ, NULL, "the fact"),
};
static const sk_field_def f_decision[] = {
    F("decision_id", SK_FT_ID, REQ, NULL, "the decision"),
    F("kind", SK_FT_ENUM, REQ, decision_kinds, "what was decided"),
    F("cites", SK_FT_ID_LIST, REQ, NULL, "fact ids the decision rests on"),
};
static const sk_field_def f_policy_adopted[] = {
    F("document_id", SK_FT_ID, REQ, NULL, "BLAKE2b-160 of the policy file, hex"),
    F("name", SK_FT_STRING, REQ, NULL, "file name it was adopted from"),
};
static const sk_field_def f_policy_rescinded[] = {
    F("rule_id", SK_FT_ID, REQ, NULL, "agreement or constraint id"),
    F("on", SK_FT_DATE, REQ, NULL, "the day it stops being in force"),
};
static const sk_field_def f_case_closed[] = {
    F("reason", SK_FT_ENUM, REQ, close_reasons, "why the case is closed"),
};
/* Alert ids run past SK_ID_LEN_MAX ("<rule>:<child>:<event>[:<owner>]"), so
 * they are strings; sk_deadline_scan matches them exactly. */
static const sk_field_def f_alert_acknowledged[] = {
    F("alert_id", SK_FT_STRING, REQ, NULL, "the alert, by its stable id"),
    F("note", SK_FT_STRING, 0, NULL, "what is being done about it"),
};
static const sk_field_def f_alert_resolved[] = {
    F("alert_id", SK_FT_STRING, REQ, NULL, "the alert, by its stable id"),
    F("note", SK_FT_STRING, 0, NULL, "why it is closed without the satisfying event"),
};

#define E(name, doc, fields)                                                                       \
    {                                                                                              \
        name, doc, fields, SK_ARRAY_LEN(fields)                                                    \
    }

static const sk_event_def catalogue[SK_EV__COUNT] = {
    [SK_EV_APPREHENSION] = E("apprehension", "encountered and taken into custody", f_apprehension),
    [SK_EV_REFERRAL] =
        E("referral", "referred to the child-welfare agency (72-hour clock)", f_referral),
    [SK_EV_ADMISSION] = E("admission", "admitted to a care provider facility", f_admission),
    [SK_EV_TRANSFER] = E("transfer", "moved to another facility", f_transfer),
    [SK_EV_SPONSOR_APPLICATION] =
        E("sponsor_application", "a potential sponsor applies", f_sponsor_application),
    [SK_EV_HOUSEHOLD_MEMBER] =
        E("household_member", "an adult household member of a sponsor", f_household_member),
    [SK_EV_VETTING_CHECK] =
        E("vetting_check", "a sponsor vetting step and its result", f_vetting_check),
    [SK_EV_SPONSOR_APPROVED] = E("sponsor_approved", "sponsor approved", f_sponsor_approved),
    [SK_EV_SPONSOR_DENIED] = E("sponsor_denied", "sponsor denied", f_sponsor_denied),
    [SK_EV_DISCHARGE] =
        E("discharge", "custody ends: release to sponsor or other discharge", f_discharge),
    [SK_EV_WELLNESS_CALL] =
        E("wellness_call", "safety and well-being call after release", f_wellness_call),
    [SK_EV_POST_RELEASE_SERVICE] =
        E("post_release_service", "post-release services", f_post_release_service),
    [SK_EV_INCIDENT] = E("incident", "significant incident", f_incident),
    [SK_EV_NTA_FILED] = E("nta_filed", "notice to appear filed with the court", f_nta_filed),
    [SK_EV_HEARING_SCHEDULED] =
        E("hearing_scheduled", "immigration court hearing scheduled", f_hearing_scheduled),
    [SK_EV_HEARING_OUTCOME] =
        E("hearing_outcome", "attended, failed to appear, ...", f_hearing_outcome),
    [SK_EV_CHANGE_OF_ADDRESS] = E("change_of_address", "new address", f_change_of_address),
    [SK_EV_COUNSEL] = E("counsel", "counsel of record entered or withdrawn", f_counsel),
    [SK_EV_RELIEF_FILED] = E("relief_filed", "application for relief filed", f_relief_filed),
    [SK_EV_RELIEF_DECIDED] =
        E("relief_decided", "application for relief decided", f_relief_decided),
    [SK_EV_FACT_ASSERTED] = E("fact_asserted", "a fact from a source", f_fact_asserted),
    [SK_EV_FACT_CONTESTED] = E("fact_contested", "a fact contested", f_fact_contested),
    [SK_EV_FACT_CORRECTED] = E("fact_corrected", "a fact corrected", f_fact_corrected),
    [SK_EV_FACT_RETRACTED] = E("fact_retracted", "a fact retracted", f_fact_retracted),
    [SK_EV_DECISION] = E("decision", "a decision citing facts", f_decision),
    [SK_EV_CASE_CLOSED] = E("case_closed", "case closed", f_case_closed),
    [SK_EV_ALERT_ACKNOWLEDGED] =
        E("alert_acknowledged", "a deadline alert acknowledged by its owner", f_alert_acknowledged),
    [SK_EV_ALERT_RESOLVED] =
        E("alert_resolved", "a deadline alert resolved by hand", f_alert_resolved),
    [SK_EV_POLICY_ADOPTED] =
        E("policy_adopted", "a policy file (agreements, constraints, roles) adopted",
          f_policy_adopted),
    [SK_EV_POLICY_RESCINDED] =
        E("policy_rescinded", "an agreement or constraint rescinded", f_policy_rescinded),
};

int sk_event_type_is_case(sk_event_type type)
{
    SK_ASSERT((unsigned)type < SK_EV__COUNT);
    return type != SK_EV_POLICY_ADOPTED && type != SK_EV_POLICY_RESCINDED;
}

static_assert(SK_ARRAY_LEN(f_apprehension) <= SK_FIELDS_MAX, "field table too large");
static_assert(SK_ARRAY_LEN(f_sponsor_application) <= SK_FIELDS_MAX, "field table too large");

const sk_event_def *sk_event_def_get(sk_event_type type)
{
    SK_ASSERT((unsigned)type < SK_EV__COUNT);
    SK_DEBUG_ASSERT(catalogue[type].field_count <= SK_FIELDS_MAX);
    return &catalogue[type];
}

sk_err sk_event_type_parse(sk_str name, sk_event_type *out)
{
    size_t i;

    SK_ASSERT(out != NULL);
    for (i = 0; i < SK_EV__COUNT; i++) {
        if (sk_str_eqc(name, catalogue[i].name)) {
            *out = (sk_event_type)i;
            return SK_OK;
        }
    }
    return SK_ERR_NOT_FOUND;
}

int sk_event_field_index(sk_event_type type, sk_str name)
{
    const sk_event_def *def = sk_event_def_get(type);
    size_t i;

    for (i = 0; i < def->field_count; i++) {
        if (sk_str_eqc(name, def->fields[i].name))
            return (int)i;
    }
    return -1;
}

/* Binary search in a sorted table of NUL-terminated codes, stride bytes apart. */
static int code_in(const char *table, size_t count, size_t stride, sk_str code)
{
    size_t lo = 0, hi = count, width = stride - 1;

    if (code.len != width)
        return 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(table + mid * stride, code.ptr, width);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int sk_country_valid(sk_str code)
{
    return code_in(iso3166_alpha2[0], ISO3166_ALPHA2_COUNT, sizeof(iso3166_alpha2[0]), code);
}

int sk_language_valid(sk_str code)
{
    return code_in(iso639_3[0], ISO639_3_COUNT, sizeof(iso639_3[0]), code);
}

static const char *const dq_names[] = {"late",   "no_prior",        "after_close",
                                       "repeat", "unknown_subject", "age",
                                       "limit",  "undeliverable"};
static_assert(SK_ARRAY_LEN(dq_names) == SK_DQ_NAMES_MAX, "one name per data-quality flag");

void sk_dq_format(uint32_t flags, char *buf, size_t buf_len)
{
    size_t used = 0, i;

    SK_ASSERT(buf != NULL && buf_len > 0);
    buf[0] = '\0';
    for (i = 0; i < SK_DQ_NAMES_MAX; i++) {
        if (!(flags & (1u << i)))
            continue;
        int n = snprintf(buf + used, buf_len - used, "%s%s", used ? "," : "", dq_names[i]);
        if (n < 0 || (size_t)n >= buf_len - used)
            return;
        used += (size_t)n;
    }
}
