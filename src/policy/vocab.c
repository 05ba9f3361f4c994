/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vocab.c: the controlled vocabularies of policy: purposes, actions, agency
 * kinds, entities, conditions, obligations and disclosable fields. Their
 * order is their bit number in the compiled masks, so entries are only ever
 * appended. docs/agreements.md defines each purpose and gives the HL7
 * purpose-of-use code it maps to.
 */
#include "safekeep/sk_policy.h"

#include "sk_int.h"

const char *const sk_purpose_names[] = {
    "child_welfare",   "sponsor_vetting",    "court_proceedings", "legal_representation",
    "oversight",       "statistics",         "research",          "immigration_enforcement",
    "law_enforcement", "foreign_government", "emergency",         NULL};
const char *const sk_action_names[] = {"read", "write", "export", NULL};
const char *const sk_agency_kind_names[] = {
    "child_welfare", "enforcement",        "border",   "court", "legal_service",
    "oversight",     "foreign_government", "benefits", "other", NULL};
const char *const sk_entity_names[] = {
    "child",  "sponsor", "household_member", "placement",     "hearing",
    "relief", "fact",    "incident",         "ombuds_record", NULL};
const char *const sk_attr_names[] = {"record.released",
                                     "record.in_care",
                                     "record.asylum",
                                     "requester.counsel_of_record",
                                     "sponsor.qualifying_offence",
                                     "record.adult_household_member",
                                     NULL};
const char *const sk_obligation_names[] = {
    "no_onward_sharing", "retention_limit", "notify_person", "log", "review", NULL};

const char *const sk_policy_field_names[] = {"given_name",
                                             "family_name",
                                             "dob",
                                             "a_number",
                                             "address",
                                             "phone",
                                             "sex",
                                             "country_of_birth",
                                             "language",
                                             "age",
                                             "custody_status",
                                             "court_status",
                                             "facility",
                                             "placement_type",
                                             "placement_history",
                                             "apprehension_date",
                                             "release_date",
                                             "discharge_type",
                                             "sponsor_id",
                                             "sponsor_category",
                                             "relationship",
                                             "fingerprints",
                                             "immigration_status",
                                             "vetting_results",
                                             "criminal_history",
                                             "household_members",
                                             "nta",
                                             "hearing_dates",
                                             "hearing_outcomes",
                                             "court_id",
                                             "relief_type",
                                             "asylum_application",
                                             "relief_outcome",
                                             "incidents",
                                             "wellness_calls",
                                             "services",
                                             "facts",
                                             "decisions",
                                             "ombuds_complaint",
                                             "counsel",
                                             "data_quality",
                                             NULL};

static_assert(SK_PURPOSE__COUNT <= 32, "purposes fit a uint32_t mask");
static_assert(SK_ENTITY__COUNT <= 32, "entities fit a uint32_t mask");
static_assert(SK_ATTR__COUNT <= 32, "attributes fit a uint32_t mask");
static_assert(SK_KIND__COUNT <= 32, "agency kinds fit a uint32_t mask");

size_t sk_policy_field_count(void)
{
    size_t n = 0;

    while (sk_policy_field_names[n] != NULL)
        n++;
    SK_ASSERT(n <= SK_POLICY_FIELDS_MAX);
    return n;
}

int sk_policy_lookup(const char *const *table, sk_str name)
{
    int i;

    SK_ASSERT(table != NULL);
    for (i = 0; table[i] != NULL; i++) {
        if (sk_str_eqc(name, table[i]))
            return i;
    }
    return -1;
}
