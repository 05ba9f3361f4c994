/* SPDX-License-Identifier: Apache-2.0 */
/*
 * render.c: policy rules and decisions as JSON, in one place, so that the
 * HTTP API and the command line describe an agreement or a decision with
 * the same keys and the same words.
 *
 * Masks are rendered as arrays of their vocabulary names (the words of the
 * policy file format, docs/agreements.md); a field mask that means "every
 * field" is rendered as ["*"], as a lawyer wrote it. Dates are civil dates
 * (YYYY-MM-DD, UTC) and an open-ended rule expires null. Everything is
 * appended to a caller's sk_buf, whose maximum bounds the output; nothing
 * here allocates otherwise or fails except by that bound.
 */
#include "safekeep/sk_policy.h"

#include "safekeep/sk_time.h"

#include "sk_int.h"

static const char *const rule_kinds[] = {"default", "constraint", "role", "agreement",
                                         "break_glass"};

int sk_pol_rule_in_force(const sk_pol_rule *rule, int64_t at)
{
    SK_ASSERT(rule != NULL);
    return at >= rule->effective && at < rule->expires;
}

sk_err sk_policy_names_json(sk_buf *out, const char *const *names, uint64_t mask)
{
    sk_err rc = sk_buf_append(out, "[", 1);
    int first = 1;
    size_t i;

    for (i = 0; rc == SK_OK && names[i] != NULL && i < 64; i++) {
        if (!((mask >> i) & 1u))
            continue;
        if (!first)
            rc = sk_buf_append(out, ",", 1);
        if (rc == SK_OK)
            rc = sk_buf_json_str(out, sk_str_c(names[i]));
        first = 0;
    }
    return rc == SK_OK ? sk_buf_append(out, "]", 1) : rc;
}

/* Appends ,"key": and the string value. */
static sk_err member_str(sk_buf *out, const char *key, const char *value)
{
    sk_err rc = sk_buf_printf(out, ",\"%s\":", key);

    return rc == SK_OK ? sk_buf_json_str(out, sk_str_c(value)) : rc;
}

/* Appends ,"key": and the names of mask. */
static sk_err member_names(sk_buf *out, const char *key, const char *const *names, uint64_t mask)
{
    sk_err rc = sk_buf_printf(out, ",\"%s\":", key);

    return rc == SK_OK ? sk_policy_names_json(out, names, mask) : rc;
}

/* Who a rule is about: provider, recipients (agency ids) and recipient kinds. */
static sk_err parties_json(const sk_pol_rule *rule, sk_buf *out)
{
    sk_err rc = member_str(out, "provider", rule->provider[0] ? rule->provider : "*");
    unsigned i;

    SK_ASSERT(rule->recipient_count <= SK_POLICY_AGENCIES_MAX);
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, ",\"recipients\":[");
    for (i = 0; rc == SK_OK && i < rule->recipient_count; i++) {
        if (i > 0)
            rc = sk_buf_append(out, ",", 1);
        if (rc == SK_OK)
            rc = sk_buf_json_str(out, sk_str_c(rule->recipient_ids[i]));
    }
    if (rc == SK_OK)
        rc = sk_buf_append(out, "]", 1);
    if (rc == SK_OK)
        rc = member_names(out, "recipient_kinds", sk_agency_kind_names, rule->recipient_kinds);
    return rc;
}

/* What a rule covers, its obligations and its interval of validity. */
static sk_err scope_json(const sk_pol_rule *rule, sk_buf *out)
{
    char date[SK_DATE_LEN + 1];
    sk_err rc = member_names(out, "actions", sk_action_names, rule->actions);

    if (rc == SK_OK)
        rc = member_names(out, "purposes", sk_purpose_names, rule->purposes);
    if (rc == SK_OK)
        rc = member_names(out, "entities", sk_entity_names, rule->entities);
    /* 0 in a constraint, like "*" in the file: every field of the entities. */
    if (rc == SK_OK && (rule->fields == 0 || rule->fields == ~(uint64_t)0))
        rc = sk_buf_appendc(out, ",\"fields\":[\"*\"]");
    else if (rc == SK_OK)
        rc = member_names(out, "fields", sk_policy_field_names, rule->fields);
    if (rc == SK_OK)
        rc = member_names(out, "obligations", sk_obligation_names, rule->obligations);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"retention_days\":%u", rule->retention_days);
    sk_time_format_date(rule->effective, date);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"effective\":\"%s\",\"expires\":", date);
    if (rc == SK_OK && rule->expires == INT64_MAX) {
        rc = sk_buf_appendc(out, "null");
    } else if (rc == SK_OK) {
        sk_time_format_date(rule->expires, date);
        rc = sk_buf_printf(out, "\"%s\"", date);
    }
    return rc;
}

sk_err sk_policy_rule_json(const sk_pol_rule *rule, sk_buf *out)
{
    sk_err rc;

    SK_ASSERT(rule != NULL);
    SK_ASSERT(out != NULL);
    rc = sk_buf_appendc(out, "{\"id\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(out, sk_str_c(rule->id));
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"version\":%u,\"kind\":\"%s\"", rule->version,
                           rule->is_constraint ? "constraint" : "agreement");
    if (rc == SK_OK)
        rc = member_str(out, "title", rule->title);
    if (rc == SK_OK)
        rc = member_str(out, "citation", rule->citation);
    if (rc == SK_OK)
        rc = parties_json(rule, out);
    if (rc == SK_OK)
        rc = scope_json(rule, out);
    if (rc == SK_OK)
        rc = member_str(out, "reason", rule->reason);
    return rc == SK_OK ? sk_buf_append(out, "}", 1) : rc;
}

const char *sk_rule_kind_name(sk_rule_kind kind)
{
    SK_ASSERT((size_t)kind < SK_ARRAY_LEN(rule_kinds));
    return rule_kinds[kind];
}

sk_err sk_decision_json(const sk_policy *policy, const sk_request *req, const sk_decision *d,
                        sk_buf *out)
{
    char reason[1024];
    const char *holder = "";
    sk_err rc;

    SK_ASSERT(policy != NULL);
    SK_ASSERT(req != NULL);
    SK_ASSERT(d != NULL);
    if (req->record_agency >= 0 && (size_t)req->record_agency < sk_policy_agency_count(policy))
        holder = sk_policy_agency_at(policy, (size_t)req->record_agency)->id;
    sk_decision_reason(policy, req, d, reason, sizeof(reason));
    rc = sk_buf_printf(out, "{\"decision\":\"%s\",\"rule\":{\"kind\":\"%s\"",
                       d->permit ? "permit" : "deny", sk_rule_kind_name(d->kind));
    if (rc == SK_OK && d->rule != NULL)
        rc = member_str(out, "id", d->rule->id);
    if (rc == SK_OK && d->rule != NULL)
        rc = sk_buf_printf(out, ",\"version\":%u", d->rule->version);
    if (rc == SK_OK)
        rc = sk_buf_append(out, "}", 1);
    if (rc == SK_OK)
        rc = member_str(out, "record_agency", holder);
    if (rc == SK_OK)
        rc = member_names(out, "fields", sk_policy_field_names, d->fields);
    if (rc == SK_OK)
        rc = member_names(out, "withheld", sk_policy_field_names, d->withheld);
    if (rc == SK_OK)
        rc = member_names(out, "obligations", sk_obligation_names, d->obligations);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"retention_days\":%u", d->retention_days);
    if (rc == SK_OK)
        rc = member_str(out, "reason", reason);
    return rc == SK_OK ? sk_buf_append(out, "}", 1) : rc;
}

int sk_policy_fields_parse(const char *text, uint64_t *mask)
{
    const char *p = text;
    int bit;

    SK_ASSERT(text != NULL && mask != NULL);
    *mask = 0;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        bit = sk_policy_lookup(sk_policy_field_names, (sk_str){p, n});
        if (bit < 0)
            return -1;
        *mask |= (uint64_t)1 << bit;
        p += n + (p[n] == ',');
    }
    return 0;
}
