/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_policy.c: libFuzzer target for the policy file parser.
 *
 * Each input is parsed into a fresh arena. A success must respect every
 * promise sk_policy.h makes about a document: counts within the limits,
 * NUL-terminated ids and texts, masks inside their vocabularies, versions in
 * range, validity intervals that are not empty, retention days exactly when
 * the retention obligation is set, items in the order of their lines. A
 * failure must leave the document zeroed and say where and why. A first
 * parse without a diagnostic (into an arena freed at once, so that ASan
 * catches any pointer into it that outlives it) must reach the same verdict.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_policy.h"

#include "sk_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz.policy"

static uint64_t bits(size_t count)
{
    return count >= 64 ? UINT64_MAX : ((uint64_t)1 << count) - 1;
}

static void check_cstr(const char *s, size_t cap, int non_empty)
{
    const char *nul = memchr(s, '\0', cap);

    SK_ASSERT(nul != NULL);
    if (non_empty)
        SK_ASSERT(nul != s);
}

static void check_agencies(const sk_policy_doc *doc, size_t lines)
{
    unsigned last = 0;

    SK_ASSERT(doc->agency_count <= SK_POLICY_AGENCIES_MAX);
    SK_ASSERT(doc->agency_count == 0 || doc->agencies != NULL);
    for (size_t i = 0; i < doc->agency_count; i++) {
        const sk_pol_agency *a = &doc->agencies[i];
        check_cstr(a->id, sizeof(a->id), 1);
        check_cstr(a->name, sizeof(a->name), 1);
        SK_ASSERT((unsigned)a->kind < SK_KIND__COUNT);
        SK_ASSERT(a->line > last && a->line <= lines);
        last = a->line;
        for (size_t j = 0; j < i; j++)
            SK_ASSERT(strcmp(doc->agencies[j].id, a->id) != 0);
    }
}

static void check_roles(const sk_policy_doc *doc, size_t lines)
{
    unsigned last = 0;

    SK_ASSERT(doc->role_count <= SK_POLICY_RULES_MAX);
    SK_ASSERT(doc->role_count == 0 || doc->roles != NULL);
    for (size_t i = 0; i < doc->role_count; i++) {
        const sk_pol_role *r = &doc->roles[i];
        check_cstr(r->agency, sizeof(r->agency), 1);
        check_cstr(r->role, sizeof(r->role), 1);
        SK_ASSERT(r->actions != 0 && r->actions <= bits(SK_ACTION__COUNT));
        SK_ASSERT(r->purposes != 0 && r->purposes <= bits(SK_PURPOSE__COUNT));
        SK_ASSERT(r->entities != 0 && r->entities <= bits(SK_ENTITY__COUNT));
        SK_ASSERT(r->fields != 0 && r->fields <= bits(sk_policy_field_count()));
        SK_ASSERT(r->line > last && r->line <= lines);
        last = r->line;
    }
}

static void check_rule(const sk_pol_rule *u, size_t lines)
{
    check_cstr(u->id, sizeof(u->id), 1);
    check_cstr(u->title, sizeof(u->title), 1);
    check_cstr(u->citation, sizeof(u->citation), 1);
    check_cstr(u->reason, sizeof(u->reason), u->is_constraint);
    check_cstr(u->provider, sizeof(u->provider), 1);
    SK_ASSERT(u->is_constraint == 0 || u->is_constraint == 1);
    SK_ASSERT(u->version >= 1 && u->version <= 1000000);
    SK_ASSERT(u->effective < u->expires);
    SK_ASSERT(u->recipients == 0);
    SK_ASSERT(u->recipient_count <= SK_POLICY_AGENCIES_MAX);
    for (unsigned i = 0; i < u->recipient_count; i++)
        check_cstr(u->recipient_ids[i], SK_POLICY_ID_MAX, 1);
    SK_ASSERT(u->is_constraint || u->recipient_count > 0 || u->recipient_kinds != 0);
    SK_ASSERT(u->recipient_kinds <= bits(SK_KIND__COUNT));
    SK_ASSERT(u->actions != 0 && u->actions <= bits(SK_ACTION__COUNT));
    SK_ASSERT(u->purposes != 0 && u->purposes <= bits(SK_PURPOSE__COUNT));
    SK_ASSERT(u->entities != 0 && u->entities <= bits(SK_ENTITY__COUNT));
    SK_ASSERT(u->fields <= bits(sk_policy_field_count()));
    SK_ASSERT(u->is_constraint || u->fields != 0);
    SK_ASSERT((u->when_set | u->when_clear | u->unless_set) <= bits(SK_ATTR__COUNT));
    SK_ASSERT((u->when_set & u->when_clear) == 0);
    SK_ASSERT(!u->is_constraint || u->obligations == 0);
    SK_ASSERT(u->is_constraint || u->unless_set == 0);
    SK_ASSERT((u->obligations & SK_OBL_REVIEW) == 0);
    SK_ASSERT(u->obligations <= bits(SK_OBL_NAMES_MAX));
    SK_ASSERT(((u->obligations & SK_OBL_RETENTION_LIMIT) != 0) == (u->retention_days > 0));
    SK_ASSERT(u->line >= 1 && u->line <= lines);
}

static void check_rules(const sk_policy_doc *doc, size_t lines)
{
    SK_ASSERT(doc->rule_count <= SK_POLICY_RULES_MAX);
    SK_ASSERT(doc->rule_count == 0 || doc->rules != NULL);
    for (size_t i = 0; i < doc->rule_count; i++) {
        const sk_pol_rule *u = &doc->rules[i];
        check_rule(u, lines);
        if (i > 0)
            SK_ASSERT(doc->rules[i - 1].line < u->line);
        for (size_t j = 0; j < i; j++)
            SK_ASSERT(strcmp(doc->rules[j].id, u->id) != 0 || doc->rules[j].version != u->version);
    }
}

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;

    for (i = 0; i < n && b[i] == 0; i++)
        continue;
    return i == n;
}

static sk_err parse_once(sk_str text, sk_policy_doc *doc)
{
    sk_arena *arena = NULL;
    sk_err rc = sk_arena_new((size_t)64 * 1024, (size_t)64 << 20, &arena);

    SK_ASSERT(rc == SK_OK);
    memset(doc, 0xA5, sizeof(*doc));
    rc = sk_policy_parse(text, FUZZ_NAME, arena, doc, NULL);
    sk_arena_free(arena); /* only the counts of doc are read afterwards */
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_str text = {(const char *)data, size};
    sk_policy_doc doc;
    sk_policy_doc again;
    sk_diag diag;
    sk_arena *arena = NULL;
    size_t lines = 1;
    sk_err rc, rc_again;

    if (size == 0)
        text.ptr = NULL;
    for (size_t i = 0; i < size; i++)
        lines += (size_t)(data[i] == '\n');
    rc_again = parse_once(text, &again);
    rc = sk_arena_new((size_t)64 * 1024, (size_t)64 << 20, &arena);
    SK_ASSERT(rc == SK_OK);
    memset(&doc, 0xA5, sizeof(doc));
    rc = sk_policy_parse(text, FUZZ_NAME, arena, &doc, &diag);
    SK_ASSERT(rc == rc_again);
    SK_ASSERT(rc != SK_OK ||
              (again.agency_count == doc.agency_count && again.role_count == doc.role_count &&
               again.rule_count == doc.rule_count));
    if (rc == SK_OK) {
        SK_ASSERT(diag.msg[0] == '\0');
        check_agencies(&doc, lines);
        check_roles(&doc, lines);
        check_rules(&doc, lines);
    } else {
        SK_ASSERT(rc == SK_ERR_INVALID || rc == SK_ERR_TOO_LARGE);
        SK_ASSERT(all_zero(&doc, sizeof(doc)));
        SK_ASSERT(diag.msg[0] != '\0');
        SK_ASSERT(diag.field[0] != '\0');
        SK_ASSERT(strcmp(diag.where, FUZZ_NAME) == 0);
        SK_ASSERT(diag.line <= lines);
        SK_ASSERT(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
    }
    sk_arena_free(arena);
    return 0;
}
