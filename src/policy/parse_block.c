/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parse_block.c: converts one complete block of a policy file (agency, role,
 * agreement or constraint) into the sk_policy_doc that parse.c is building.
 * The second pass calls sk_pp_finish_block at each header and at the end of
 * the text, once every property of the open block has been collected, since
 * defaults, required keys and checks across keys (expires after effective,
 * retention_limit with retention_days, duplicate ids) need the whole block.
 * Keys are converted in the order of their lines, so the first error
 * reported is the first one a reader meets; a block is counted in the
 * document only when it converted without error.
 */
#include "parse_int.h"

#include "safekeep/sk_time.h"

#include "sk_int.h"

static sk_err add_recipient(parser *p, int k, sk_pol_rule *u, sk_str item)
{
    sk_err rc = SK_OK;
    unsigned i;
    int seen = 0;

    for (i = 0; i < u->recipient_count && !seen; i++)
        seen = sk_str_eqc(item, u->recipient_ids[i]);
    if (seen) {
        /* Naming an agency twice says nothing new. */
    } else if (!sk_pp_valid_id(item)) {
        rc = sk_pp_fail_value(
            p, k, "bad recipient \"%.*s%s\" (expected an agency id or kind:<agency kind>)",
            QUOTE(item));
    } else if (u->recipient_count == SK_POLICY_AGENCIES_MAX) {
        rc = sk_pp_fail_key(p, SK_ERR_TOO_LARGE, p->values[k].line, sk_pp_key_name(k),
                            "too many recipients (at most %d agency ids)", SK_POLICY_AGENCIES_MAX);
    } else {
        sk_pp_copy_str(u->recipient_ids[u->recipient_count], SK_POLICY_ID_MAX, item);
        u->recipient_count++;
    }
    return rc;
}

/* Agency ids go to recipient_ids (the compiler resolves them into the
 * recipients mask); kind:<kind> items set recipient_kinds. "*" (anyone) is
 * only for constraints, where it is the default anyway. */
static sk_err parse_recipients(parser *p, int k, sk_pol_rule *u)
{
    sk_err rc = SK_OK;
    list_iter it = {sk_pp_value_str(p, k), 0};
    sk_str item, kind;
    int index;

    if (sk_str_eqc(it.rest, "*")) {
        if (!u->is_constraint)
            rc = sk_pp_fail_value(p, k,
                                  "an agreement names its recipients (expected agency ids or "
                                  "kind:<agency kind>, not *)");
        it.done = 1;
    }
    while (rc == SK_OK && sk_pp_list_next(&it, &item)) {
        rc = sk_pp_check_item(p, k, item, 1);
        if (rc != SK_OK)
            break;
        if (item.len >= 5 && memcmp(item.ptr, "kind:", 5) == 0) {
            kind = sk_pp_trim((sk_str){item.ptr + 5, item.len - 5});
            index = sk_policy_lookup(sk_agency_kind_names, kind);
            if (index < 0)
                rc = sk_pp_unknown_item(p, k, &sk_pp_vocab_kind, kind);
            else
                u->recipient_kinds |= 1u << index;
        } else {
            rc = add_recipient(p, k, u, item);
        }
    }
    return rc;
}

static sk_err finish_agency(parser *p)
{
    sk_err rc = SK_OK;
    sk_pol_agency *a;
    size_t i;
    int k, index;

    SK_ASSERT(p->doc.agency_count < p->agency_cap);
    a = &p->doc.agencies[p->doc.agency_count];
    memset(a, 0, sizeof(*a));
    sk_pp_copy_str(a->id, sizeof(a->id), p->id);
    a->line = p->header_line;
    for (k = sk_pp_next_key(p, 0); rc == SK_OK && k >= 0;
         k = sk_pp_next_key(p, p->values[k].line)) {
        if (k == KEY_KIND) {
            index = sk_policy_lookup(sk_agency_kind_names, sk_pp_value_str(p, k));
            if (index < 0)
                rc = sk_pp_unknown_item(p, k, &sk_pp_vocab_kind, sk_pp_value_str(p, k));
            else
                a->kind = (sk_agency_kind)index;
        } else {
            SK_ASSERT(k == KEY_NAME);
            sk_pp_copy_str(a->name, sizeof(a->name), sk_pp_value_str(p, k));
        }
    }
    for (i = 0; rc == SK_OK && i < p->doc.agency_count; i++) {
        if (strcmp(p->doc.agencies[i].id, a->id) == 0)
            rc = sk_pp_fail_key(p, SK_ERR_INVALID, p->header_line, SK_STR_NULL,
                                "duplicate agency id (already defined on line %u)",
                                p->doc.agencies[i].line);
    }
    if (rc == SK_OK)
        p->doc.agency_count++;
    return rc;
}

static sk_err role_key(parser *p, int k, sk_pol_role *r)
{
    sk_err rc = SK_OK;

    switch (k) {
    case KEY_AGENCY:
        rc = sk_pp_parse_agency_ref(p, k, r->agency);
        break;
    case KEY_KINDS:
        rc = sk_pp_fail_value(
            p, k,
            "key \"kinds\" is not supported yet (name one agency, or use agency: * for "
            "every agency)");
        break;
    case KEY_ACTIONS:
        rc = sk_pp_parse_mask32(p, k, &sk_pp_vocab_action, SK_ACTION__COUNT, &r->actions);
        break;
    case KEY_PURPOSES:
        rc = sk_pp_parse_mask32(p, k, &sk_pp_vocab_purpose, SK_PURPOSE__COUNT, &r->purposes);
        break;
    case KEY_ENTITIES:
        rc = sk_pp_parse_mask32(p, k, &sk_pp_vocab_entity, SK_ENTITY__COUNT, &r->entities);
        break;
    default:
        SK_ASSERT(k == KEY_FIELDS);
        rc = sk_pp_parse_mask(p, k, &sk_pp_vocab_field, sk_pp_all_bits(sk_policy_field_count()),
                              &r->fields);
        break;
    }
    return rc;
}

static sk_err finish_role(parser *p)
{
    sk_err rc = SK_OK;
    sk_pol_role *r;
    size_t i;
    int k;

    SK_ASSERT(p->doc.role_count < p->role_cap);
    r = &p->doc.roles[p->doc.role_count];
    memset(r, 0, sizeof(*r));
    sk_pp_copy_str(r->role, sizeof(r->role), p->id);
    r->line = p->header_line;
    for (k = sk_pp_next_key(p, 0); rc == SK_OK && k >= 0; k = sk_pp_next_key(p, p->values[k].line))
        rc = role_key(p, k, r);
    for (i = 0; rc == SK_OK && i < p->doc.role_count; i++) {
        if (strcmp(p->doc.roles[i].role, r->role) == 0 &&
            strcmp(p->doc.roles[i].agency, r->agency) == 0)
            rc = sk_pp_fail_key(p, SK_ERR_INVALID, p->header_line, SK_STR_NULL,
                                "duplicate role for agency %s (already defined on line %u)",
                                r->agency, p->doc.roles[i].line);
    }
    if (rc == SK_OK)
        p->doc.role_count++;
    return rc;
}

/* Keys of agreements and constraints with one value each. */
static sk_err rule_scalar_key(parser *p, int k, sk_pol_rule *u)
{
    sk_err rc = SK_OK;

    switch (k) {
    case KEY_VERSION:
        rc = sk_pp_parse_number_key(p, k, &u->version);
        break;
    case KEY_TITLE:
        sk_pp_copy_str(u->title, sizeof(u->title), sk_pp_value_str(p, k));
        break;
    case KEY_CITATION:
        sk_pp_copy_str(u->citation, sizeof(u->citation), sk_pp_value_str(p, k));
        break;
    case KEY_REASON:
        sk_pp_copy_str(u->reason, sizeof(u->reason), sk_pp_value_str(p, k));
        break;
    case KEY_PROVIDER:
        rc = sk_pp_parse_agency_ref(p, k, u->provider);
        break;
    case KEY_EFFECTIVE:
        rc = sk_pp_parse_date_key(p, k, &u->effective);
        break;
    case KEY_EXPIRES:
        rc = sk_pp_parse_date_key(p, k, &u->expires);
        break;
    default:
        SK_ASSERT(k == KEY_RETENTION_DAYS);
        rc = sk_pp_parse_number_key(p, k, &u->retention_days);
        if (rc == SK_OK)
            u->obligations |= SK_OBL_RETENTION_LIMIT;
        break;
    }
    return rc;
}

/* Keys of agreements and constraints that hold lists. */
static sk_err rule_list_key(parser *p, int k, sk_pol_rule *u)
{
    sk_err rc = SK_OK;
    uint64_t obligations = 0;

    switch (k) {
    case KEY_RECIPIENTS:
        rc = parse_recipients(p, k, u);
        break;
    case KEY_ACTIONS:
        rc = sk_pp_parse_mask32(p, k, &sk_pp_vocab_action, SK_ACTION__COUNT, &u->actions);
        break;
    case KEY_PURPOSES:
        rc = sk_pp_parse_mask32(p, k, &sk_pp_vocab_purpose, SK_PURPOSE__COUNT, &u->purposes);
        break;
    case KEY_ENTITIES:
        rc = sk_pp_parse_mask32(p, k, &sk_pp_vocab_entity, SK_ENTITY__COUNT, &u->entities);
        break;
    case KEY_FIELDS:
        /* In a constraint, 0 means every field: the whole request is denied. */
        rc = sk_pp_parse_mask(p, k, &sk_pp_vocab_field,
                              u->is_constraint ? 0 : sk_pp_all_bits(sk_policy_field_count()),
                              &u->fields);
        break;
    case KEY_WHEN:
        rc = sk_pp_parse_conditions(p, k, &u->when_set, &u->when_clear);
        break;
    case KEY_UNLESS:
        rc = sk_pp_parse_conditions(p, k, &u->unless_set, NULL);
        break;
    default:
        SK_ASSERT(k == KEY_OBLIGATIONS);
        rc = sk_pp_parse_mask(p, k, &sk_pp_vocab_obligation,
                              sk_pp_all_bits(SK_OBL_NAMES_MAX) & ~(uint64_t)SK_OBL_REVIEW,
                              &obligations);
        u->obligations |= (uint32_t)obligations;
        break;
    }
    return rc;
}

static int is_list_key(int k)
{
    return k == KEY_RECIPIENTS || k == KEY_ACTIONS || k == KEY_PURPOSES || k == KEY_ENTITIES ||
           k == KEY_FIELDS || k == KEY_WHEN || k == KEY_UNLESS || k == KEY_OBLIGATIONS;
}

static void rule_defaults(parser *p, sk_pol_rule *u)
{
    memset(u, 0, sizeof(*u));
    u->is_constraint = p->kind == BLOCK_CONSTRAINT;
    sk_pp_copy_str(u->id, sizeof(u->id), p->id);
    u->line = p->header_line;
    u->version = 1;
    u->expires = INT64_MAX;
    sk_pp_copy_str(u->provider, sizeof(u->provider), SK_STR("*"));
    if (u->is_constraint) {
        u->actions = (uint32_t)sk_pp_all_bits(SK_ACTION__COUNT);
        u->purposes = (uint32_t)sk_pp_all_bits(SK_PURPOSE__COUNT);
        u->entities = (uint32_t)sk_pp_all_bits(SK_ENTITY__COUNT);
    } else {
        u->actions = 1u << SK_ACTION_READ;
    }
}

/* Checks across keys, once the whole rule is known. */
static sk_err check_rule(parser *p, const sk_pol_rule *u)
{
    sk_err rc = SK_OK;
    char effective[SK_DATE_LEN + 1], expires[SK_DATE_LEN + 1];
    size_t i;

    if (u->expires <= u->effective) {
        sk_time_format_date(u->effective, effective);
        sk_time_format_date(u->expires, expires);
        rc = sk_pp_fail_value(p, KEY_EXPIRES,
                              "expires %s is not after effective %s (expected a later date)",
                              expires, effective);
    } else if ((u->obligations & SK_OBL_RETENTION_LIMIT) && u->retention_days == 0) {
        rc = sk_pp_fail_value(
            p, KEY_OBLIGATIONS,
            "obligation \"retention_limit\" needs retention_days (expected a whole "
            "number of days)");
    }
    for (i = 0; rc == SK_OK && i < p->doc.rule_count; i++) {
        if (strcmp(p->doc.rules[i].id, u->id) == 0 && p->doc.rules[i].version == u->version)
            rc = sk_pp_fail_key(p, SK_ERR_INVALID, p->header_line, SK_STR_NULL,
                                "duplicate id and version %u (already defined on line %u; an "
                                "amendment needs a higher version)",
                                u->version, p->doc.rules[i].line);
    }
    return rc;
}

static sk_err finish_rule(parser *p)
{
    sk_err rc = SK_OK;
    sk_pol_rule *u;
    int k;

    SK_ASSERT(p->doc.rule_count < p->rule_cap);
    u = &p->doc.rules[p->doc.rule_count];
    rule_defaults(p, u);
    for (k = sk_pp_next_key(p, 0); rc == SK_OK && k >= 0;
         k = sk_pp_next_key(p, p->values[k].line)) {
        if (is_list_key(k))
            rc = rule_list_key(p, k, u);
        else
            rc = rule_scalar_key(p, k, u);
    }
    if (rc == SK_OK)
        rc = check_rule(p, u);
    if (rc == SK_OK)
        p->doc.rule_count++;
    return rc;
}

/* Converts the open block, if any, into the document. */
sk_err sk_pp_finish_block(parser *p)
{
    sk_err rc = SK_OK;

    if (p->kind != BLOCK_NONE)
        rc = sk_pp_check_values(p);
    if (rc == SK_OK && p->kind == BLOCK_AGENCY)
        rc = finish_agency(p);
    else if (rc == SK_OK && p->kind == BLOCK_ROLE)
        rc = finish_role(p);
    else if (rc == SK_OK && p->kind != BLOCK_NONE)
        rc = finish_rule(p);
    p->kind = BLOCK_NONE;
    return rc;
}
