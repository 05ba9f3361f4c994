/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_policy_parse.c: unit tests for sk_policy_parse.
 *
 * One complete file with every block kind is parsed and every field of the
 * result compared with exact values (masks, Unix seconds, joined continuation
 * lines, stripped comments, CRLF). Then each kind of error is provoked with a
 * minimal file, and the whole diagnostic (file, line, field, message) is
 * compared, together with the promise that the output is zeroed: a policy
 * file is loaded entirely or not at all. Allocation failures are injected at
 * every allocation in turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_policy.h"

#include "sk_int.h"

#define FILE_NAME "test.policy"

/* A valid agreement, a line per macro, so that tests can leave one out. */
#define A_HEAD       "agreement A\n"
#define A_TITLE      "  title: T\n"
#define A_CITATION   "  citation: C\n"
#define A_PROVIDER   "  provider: ORR\n"
#define A_RECIPIENTS "  recipients: ICE\n"
#define A_PURPOSES   "  purposes: child_welfare\n"
#define A_ENTITIES   "  entities: child\n"
#define A_FIELDS     "  fields: dob\n"
#define A_EFFECTIVE  "  effective: 2024-01-01\n"
#define A_BODY       A_TITLE A_CITATION A_PROVIDER A_RECIPIENTS A_PURPOSES A_ENTITIES A_FIELDS
/* Lines 1 to 9; a line appended is line 10. */
#define AGREEMENT A_HEAD A_BODY A_EFFECTIVE

#define ROLE_BODY "  agency: ORR\n  actions: read\n  purposes: *\n  entities: *\n  fields: *\n"

static sk_arena *arena_new_test(void)
{
    sk_arena *arena = NULL;

    assert_int_equal(sk_arena_new((size_t)64 * 1024, (size_t)64 << 20, &arena), SK_OK);
    return arena;
}

static sk_err parse(const char *text, size_t len, sk_arena *arena, sk_policy_doc *doc,
                    sk_diag *diag)
{
    return sk_policy_parse((sk_str){text, len}, FILE_NAME, arena, doc, diag);
}

/* Parses text that must fail and checks the whole diagnostic and that the
 * document was zeroed. */
static void expect_error(const char *text, size_t len, sk_err rc, unsigned line, const char *field,
                         const char *msg)
{
    sk_arena *arena = arena_new_test();
    sk_policy_doc doc;
    sk_policy_doc zero;
    sk_diag diag;

    memset(&doc, 0xA5, sizeof(doc));
    memset(&zero, 0, sizeof(zero));
    memset(&diag, 0xA5, sizeof(diag));
    assert_int_equal(parse(text, len, arena, &doc, &diag), rc);
    assert_string_equal(diag.where, FILE_NAME);
    assert_int_equal(diag.line, line);
    assert_string_equal(diag.field, field);
    assert_string_equal(diag.msg, msg);
    assert_memory_equal(&doc, &zero, sizeof(doc));
    sk_arena_free(arena);
}

#define EXPECT_ERROR(lit, rc, line, field, msg)                                                    \
    expect_error((lit), sizeof(lit) - 1, (rc), (line), (field), (msg))

/* Parses text that must succeed into doc; the arena stays alive. */
static void expect_ok(const char *text, size_t len, sk_arena *arena, sk_policy_doc *doc)
{
    sk_diag diag;

    memset(&diag, 0xA5, sizeof(diag));
    assert_int_equal(parse(text, len, arena, doc, &diag), SK_OK);
    assert_string_equal(diag.msg, "");
    assert_int_equal(diag.line, 0);
}

#define EXPECT_OK(lit, arena, doc) expect_ok((lit), sizeof(lit) - 1, (arena), (doc))

static const char full_policy[] = "# Policy of the test region.\n"
                                  "\n"
                                  "agency ORR   # Office of Refugee Resettlement\n"
                                  "  kind: child_welfare\n"
                                  "  name: Office of Refugee\n"
                                  "    Resettlement\n"
                                  "agency ICE\r\n"
                                  "\tkind: enforcement\r\n"
                                  "\tname: Immigration and Customs Enforcement\r\n"
                                  "agency EOIR\n"
                                  "  kind: court\n"
                                  "  name: Executive Office for Immigration Review#1\n"
                                  "\n"
                                  "role case_manager\n"
                                  "  agency: ORR\n"
                                  "  actions: read, write\n"
                                  "  purposes: child_welfare\n"
                                  "  entities: child,sponsor , placement\n"
                                  "  fields: given_name, family_name, dob\n"
                                  "    # a comment inside a block\n"
                                  "role auditor\n"
                                  "  agency: *\n"
                                  "  actions: read\n"
                                  "  purposes: *\n"
                                  "  entities: *\n"
                                  "  fields: *\n"
                                  "\n"
                                  "agreement orr-eoir.hearings_2\n"
                                  "  version: 2\n"
                                  "  title: ORR to EOIR: hearing\n"
                                  "    information   # continued on the next line\n"
                                  "  citation: MOA ORR-EOIR 2019, section 4\n"
                                  "  provider: ORR\n"
                                  "  recipients: EOIR, kind:legal_service, EOIR\n"
                                  "  actions: read, export\n"
                                  "  purposes: court_proceedings, legal_representation\n"
                                  "  entities: child, hearing\n"
                                  "  fields: given_name, family_name, a_number,\n"
                                  "    hearing_dates\n"
                                  "  when: record.in_care, not record.released\n"
                                  "  obligations: no_onward_sharing, log\n"
                                  "  retention_days: 365\n"
                                  "  effective: 2024-01-01\r\n"
                                  "  expires: 2026-01-01\n"
                                  "  reason: shared under the MOA\n"
                                  "\n"
                                  "constraint asylum-confidentiality\n"
                                  "  title: Asylum confidentiality\n"
                                  "  citation: 8 CFR 208.6\n"
                                  "  reason: 8 CFR 208.6 forbids disclosing asylum records to a\n"
                                  "\n"
                                  "    foreign government\n"
                                  "  recipients: kind:foreign_government\n"
                                  "  entities: child, relief\n"
                                  "  when: record.asylum\n"
                                  "  unless: requester.counsel_of_record\n"
                                  "  effective: 2000-01-01";

static void test_full_file(void **state)
{
    sk_arena *arena = arena_new_test();
    sk_policy_doc doc;
    const sk_pol_role *r;
    const sk_pol_rule *u;
    (void)state;

    EXPECT_OK(full_policy, arena, &doc);
    assert_int_equal(doc.agency_count, 3);
    assert_string_equal(doc.agencies[0].id, "ORR");
    assert_int_equal(doc.agencies[0].kind, SK_KIND_CHILD_WELFARE);
    assert_string_equal(doc.agencies[0].name, "Office of Refugee Resettlement");
    assert_int_equal(doc.agencies[0].line, 3);
    assert_string_equal(doc.agencies[1].id, "ICE");
    assert_int_equal(doc.agencies[1].kind, SK_KIND_ENFORCEMENT);
    assert_string_equal(doc.agencies[1].name, "Immigration and Customs Enforcement");
    assert_int_equal(doc.agencies[1].line, 7);
    assert_string_equal(doc.agencies[2].id, "EOIR");
    assert_int_equal(doc.agencies[2].kind, SK_KIND_COURT);
    /* '#' not after a blank is text. */
    assert_string_equal(doc.agencies[2].name, "Executive Office for Immigration Review#1");
    assert_int_equal(doc.agencies[2].line, 10);

    assert_int_equal(doc.role_count, 2);
    r = &doc.roles[0];
    assert_string_equal(r->role, "case_manager");
    assert_string_equal(r->agency, "ORR");
    assert_int_equal(r->actions, 0x3);
    assert_int_equal(r->purposes, 0x1);
    assert_int_equal(r->entities, 0xB);
    assert_int_equal(r->fields, 0x7);
    assert_int_equal(r->line, 14);
    r = &doc.roles[1];
    assert_string_equal(r->role, "auditor");
    assert_string_equal(r->agency, "*");
    assert_int_equal(r->actions, 0x1);
    assert_int_equal(r->purposes, 0x7FF);
    assert_int_equal(r->entities, 0x1FF);
    assert_int_equal(r->fields, 0x1FFFFFFFFFFull);
    assert_int_equal(r->line, 21);

    assert_int_equal(doc.rule_count, 2);
    u = &doc.rules[0];
    assert_int_equal(u->is_constraint, 0);
    assert_string_equal(u->id, "orr-eoir.hearings_2");
    assert_int_equal(u->version, 2);
    assert_string_equal(u->title, "ORR to EOIR: hearing information");
    assert_string_equal(u->citation, "MOA ORR-EOIR 2019, section 4");
    assert_string_equal(u->reason, "shared under the MOA");
    assert_int_equal(u->effective, 1704067200);
    assert_int_equal(u->expires, 1767225600);
    assert_string_equal(u->provider, "ORR");
    assert_int_equal(u->recipients, 0);
    assert_int_equal(u->recipient_count, 1);
    assert_string_equal(u->recipient_ids[0], "EOIR");
    assert_int_equal(u->recipient_kinds, 1u << SK_KIND_LEGAL_SERVICE);
    assert_int_equal(u->actions, 0x5);
    assert_int_equal(u->purposes, 0xC);
    assert_int_equal(u->entities, 0x11);
    assert_int_equal(u->fields, 0x800000Bull);
    assert_int_equal(u->when_set, 1u << SK_ATTR_IN_CARE);
    assert_int_equal(u->when_clear, 1u << SK_ATTR_RELEASED);
    assert_int_equal(u->unless_set, 0);
    assert_int_equal(u->obligations,
                     SK_OBL_NO_ONWARD_SHARING | SK_OBL_RETENTION_LIMIT | SK_OBL_LOG);
    assert_int_equal(u->retention_days, 365);
    assert_int_equal(u->line, 28);

    u = &doc.rules[1];
    assert_int_equal(u->is_constraint, 1);
    assert_string_equal(u->id, "asylum-confidentiality");
    assert_int_equal(u->version, 1);
    assert_string_equal(u->title, "Asylum confidentiality");
    assert_string_equal(u->citation, "8 CFR 208.6");
    assert_string_equal(u->reason,
                        "8 CFR 208.6 forbids disclosing asylum records to a foreign government");
    assert_int_equal(u->effective, 946684800);
    assert_true(u->expires == INT64_MAX);
    assert_string_equal(u->provider, "*");
    assert_int_equal(u->recipient_count, 0);
    assert_int_equal(u->recipient_kinds, 1u << SK_KIND_FOREIGN_GOVERNMENT);
    assert_int_equal(u->actions, 0x7);
    assert_int_equal(u->purposes, 0x7FF);
    assert_int_equal(u->entities, 0x21);
    assert_int_equal(u->fields, 0);
    assert_int_equal(u->when_set, 1u << SK_ATTR_ASYLUM);
    assert_int_equal(u->when_clear, 0);
    assert_int_equal(u->unless_set, 1u << SK_ATTR_COUNSEL_OF_RECORD);
    assert_int_equal(u->obligations, 0);
    assert_int_equal(u->retention_days, 0);
    assert_int_equal(u->line, 47);
    sk_arena_free(arena);
}

static void test_defaults(void **state)
{
    sk_arena *arena = arena_new_test();
    sk_policy_doc doc;
    const sk_pol_rule *u;
    (void)state;

    EXPECT_OK(AGREEMENT "constraint C\n  title: T\n  citation: C\n  reason: R\n"
                        "  effective: 2024-01-01\n  fields: *\n  recipients: *\n",
              arena, &doc);
    assert_int_equal(doc.agency_count, 0);
    assert_null(doc.agencies);
    assert_int_equal(doc.role_count, 0);
    assert_null(doc.roles);
    assert_int_equal(doc.rule_count, 2);
    u = &doc.rules[0];
    assert_int_equal(u->version, 1);
    assert_int_equal(u->actions, 1u << SK_ACTION_READ);
    assert_true(u->expires == INT64_MAX);
    assert_string_equal(u->reason, "");
    assert_int_equal(u->when_set | u->when_clear | u->unless_set | u->obligations, 0);
    assert_int_equal(u->recipient_count, 1);
    assert_string_equal(u->recipient_ids[0], "ICE");
    u = &doc.rules[1];
    assert_string_equal(u->provider, "*");
    assert_int_equal(u->actions, 0x7);
    assert_int_equal(u->purposes, 0x7FF);
    assert_int_equal(u->entities, 0x1FF);
    assert_int_equal(u->fields, 0); /* "*" in a constraint: every field */
    assert_int_equal(u->recipient_count, 0);
    assert_int_equal(u->recipient_kinds, 0);
    sk_arena_free(arena);
}

static void test_empty_and_comment_only(void **state)
{
    sk_arena *arena = arena_new_test();
    sk_policy_doc doc;
    sk_diag diag;
    (void)state;

    assert_int_equal(sk_policy_parse(SK_STR_NULL, FILE_NAME, arena, &doc, &diag), SK_OK);
    assert_int_equal(doc.agency_count + doc.role_count + doc.rule_count, 0);
    EXPECT_OK("# only a comment\n\n   \t\r\n  # indented comment\n", arena, &doc);
    assert_int_equal(doc.agency_count + doc.role_count + doc.rule_count, 0);
    /* A byte order mark is skipped; diag may be NULL. */
    assert_int_equal(sk_policy_parse(SK_STR("\xEF\xBB\xBF"
                                            "agency X\n  kind: other\n  name: N\n"),
                                     NULL, arena, &doc, NULL),
                     SK_OK);
    assert_int_equal(doc.agency_count, 1);
    assert_int_equal(doc.agencies[0].kind, SK_KIND_OTHER);
    sk_arena_free(arena);
}

static void test_header_errors(void **state)
{
    (void)state;
    EXPECT_ERROR("agency X\n  kind: other\n  name: N\nagencyy ORR\n", SK_ERR_INVALID, 4, "header",
                 "unknown block kind \"agencyy\" (expected one of: agency, role, agreement, "
                 "constraint)");
    EXPECT_ERROR("Agency ORR\n", SK_ERR_INVALID, 1, "header",
                 "unknown block kind \"Agency\" (expected one of: agency, role, agreement, "
                 "constraint)");
    EXPECT_ERROR("agency OR R\n", SK_ERR_INVALID, 1, "header",
                 "bad id \"OR R\" (expected 1 to 63 characters from A-Z a-z 0-9 . _ -)");
    EXPECT_ERROR("agency ORR/1\n", SK_ERR_INVALID, 1, "header",
                 "bad id \"ORR/1\" (expected 1 to 63 characters from A-Z a-z 0-9 . _ -)");
    EXPECT_ERROR("agency 0123456789012345678901234567890123456789012345678901234567890123\n",
                 SK_ERR_INVALID, 1, "header",
                 "bad id \"01234567890123456789012345678901...\" (expected 1 to 63 characters "
                 "from A-Z a-z 0-9 . _ -)");
    EXPECT_ERROR("\n\nrole   # no id\n", SK_ERR_INVALID, 3, "header",
                 "missing id (expected \"role <id>\")");
    EXPECT_ERROR("  kind: court\n", SK_ERR_INVALID, 1, "header",
                 "indented line outside a block (expected a header such as \"agency ORR\" at "
                 "column 0)");
    EXPECT_ERROR("agency ORR\n  Office of Refugee Resettlement\n", SK_ERR_INVALID, 2, "agency ORR",
                 "continuation line before any key (expected \"key: value\")");
}

static void test_key_errors(void **state)
{
    (void)state;
    EXPECT_ERROR("agency ORR\n  kind: court\n  colour: red\n", SK_ERR_INVALID, 3,
                 "agency ORR: colour", "unknown key (expected one of: kind, name)");
    EXPECT_ERROR(AGREEMENT "  unless: record.released\n", SK_ERR_INVALID, 10, "agreement A: unless",
                 "key not allowed in an agreement block (expected one of: version, title, "
                 "citation, provider, recipients, actions, purposes, entities, fields, when, "
                 "obligations, retention_days, effective, expires, reason)");
    EXPECT_ERROR("agency ORR\n  kind: court\n  name: N\n  kind: court\n", SK_ERR_INVALID, 4,
                 "agency ORR: kind",
                 "repeated key (first given on line 2; a key may appear once per block)");
    EXPECT_ERROR(A_HEAD A_TITLE A_PROVIDER A_RECIPIENTS A_PURPOSES A_ENTITIES A_FIELDS A_EFFECTIVE,
                 SK_ERR_INVALID, 1, "agreement A: citation",
                 "missing required key \"citation\" (expected the instrument: MOA, date, statute)");
    EXPECT_ERROR("constraint C\n  title: T\n  citation: C\n  effective: 2024-01-01\n",
                 SK_ERR_INVALID, 1, "constraint C: reason",
                 "missing required key \"reason\" (expected a readable reason)");
    EXPECT_ERROR("role clerk\n  agency: ORR\n  actions: read\n  purposes: *\n  entities: *\n",
                 SK_ERR_INVALID, 1, "role clerk: fields",
                 "missing required key \"fields\" (expected fields or *)");
    EXPECT_ERROR("agency ORR\n  kind: court\n  name:\n", SK_ERR_INVALID, 3, "agency ORR: name",
                 "empty value (expected the agency's name)");
    EXPECT_ERROR("role clerk\n" ROLE_BODY "  kinds: court\n", SK_ERR_INVALID, 7,
                 "role clerk: kinds",
                 "key \"kinds\" is not supported yet (name one agency, or use agency: * for every "
                 "agency)");
    /* A long id is shortened so that the key stays in the field. */
    EXPECT_ERROR("agency A23456789012345678901234567890123456789012345678901234567890123\n"
                 "  kind: court\n  colour: red\n",
                 SK_ERR_INVALID, 3,
                 "agency A23456789012345678901234567890123456789012345...: colour",
                 "unknown key (expected one of: kind, name)");
}

static void test_vocabulary_errors(void **state)
{
    (void)state;
    EXPECT_ERROR(A_HEAD A_TITLE A_CITATION A_PROVIDER A_RECIPIENTS
                 "  purposes: child_welfare, enforcment\n" A_ENTITIES A_FIELDS A_EFFECTIVE,
                 SK_ERR_INVALID, 6, "agreement A: purposes",
                 "unknown purpose \"enforcment\" (expected one of: child_welfare, sponsor_vetting, "
                 "court_proceedings, legal_representation, oversight, statistics, research, "
                 "immigration_enforcement, law_enforcement, foreign_government, emergency)");
    EXPECT_ERROR(A_HEAD A_TITLE A_CITATION A_PROVIDER A_RECIPIENTS A_PURPOSES
                 "  entities: child, children\n" A_FIELDS A_EFFECTIVE,
                 SK_ERR_INVALID, 7, "agreement A: entities",
                 "unknown entity \"children\" (expected one of: child, sponsor, household_member, "
                 "placement, hearing, relief, fact, incident, ombuds_record)");
    EXPECT_ERROR(A_HEAD A_TITLE A_CITATION A_PROVIDER A_RECIPIENTS A_PURPOSES A_ENTITIES
                 "  fields: dob,\n    familyname\n" A_EFFECTIVE,
                 SK_ERR_INVALID, 8, "agreement A: fields",
                 "unknown field \"familyname\" (expected one of the field names listed in the "
                 "policy format, e.g. given_name, dob, a_number)");
    EXPECT_ERROR(A_HEAD A_TITLE A_CITATION A_PROVIDER A_RECIPIENTS A_PURPOSES A_ENTITIES
                 "  fields: shoe_size\n" A_EFFECTIVE,
                 SK_ERR_INVALID, 8, "agreement A: fields",
                 "unknown field \"shoe_size\" (expected one of the field names listed in the "
                 "policy format, e.g. given_name, dob, a_number)");
    EXPECT_ERROR(AGREEMENT "  actions: read, delete\n", SK_ERR_INVALID, 10, "agreement A: actions",
                 "unknown action \"delete\" (expected one of: read, write, export)");
    EXPECT_ERROR("agency ORR\n  kind: welfare\n  name: N\n", SK_ERR_INVALID, 2, "agency ORR: kind",
                 "unknown agency kind \"welfare\" (expected one of: child_welfare, enforcement, "
                 "border, court, legal_service, oversight, foreign_government, benefits, other)");
    EXPECT_ERROR(A_HEAD A_TITLE A_CITATION A_PROVIDER
                 "  recipients: ICE, kind:embassy\n" A_PURPOSES A_ENTITIES A_FIELDS A_EFFECTIVE,
                 SK_ERR_INVALID, 5, "agreement A: recipients",
                 "unknown agency kind \"embassy\" (expected one of: child_welfare, enforcement, "
                 "border, court, legal_service, oversight, foreign_government, benefits, other)");
    EXPECT_ERROR(AGREEMENT "  when: record.released, not record.asylumm\n", SK_ERR_INVALID, 10,
                 "agreement A: when",
                 "unknown condition \"record.asylumm\" (expected one of: record.released, "
                 "record.in_care, record.asylum, requester.counsel_of_record, "
                 "sponsor.qualifying_offence, record.adult_household_member)");
    EXPECT_ERROR(AGREEMENT "  obligations: log, review\n", SK_ERR_INVALID, 10,
                 "agreement A: obligations",
                 "unknown obligation \"review\" (expected one of: no_onward_sharing, "
                 "retention_limit, notify_person, log)");
}

static void test_list_errors(void **state)
{
    (void)state;
    EXPECT_ERROR(AGREEMENT "  actions: read,, write\n", SK_ERR_INVALID, 10, "agreement A: actions",
                 "empty item in the list (expected actions separated by commas)");
    EXPECT_ERROR(AGREEMENT "  actions: read, *\n", SK_ERR_INVALID, 10, "agreement A: actions",
                 "\"*\" must be the only item of the list");
    EXPECT_ERROR(A_HEAD A_TITLE A_CITATION A_PROVIDER
                 "  recipients: *\n" A_PURPOSES A_ENTITIES A_FIELDS A_EFFECTIVE,
                 SK_ERR_INVALID, 5, "agreement A: recipients",
                 "an agreement names its recipients (expected agency ids or kind:<agency kind>, "
                 "not *)");
    EXPECT_ERROR(A_HEAD A_TITLE A_CITATION A_PROVIDER
                 "  recipients: ICE, D H S\n" A_PURPOSES A_ENTITIES A_FIELDS A_EFFECTIVE,
                 SK_ERR_INVALID, 5, "agreement A: recipients",
                 "bad recipient \"D H S\" (expected an agency id or kind:<agency kind>)");
    EXPECT_ERROR(A_HEAD A_TITLE A_CITATION
                 "  provider: O R R\n" A_RECIPIENTS A_PURPOSES A_ENTITIES A_FIELDS A_EFFECTIVE,
                 SK_ERR_INVALID, 4, "agreement A: provider",
                 "bad agency id \"O R R\" (expected * or 1 to 63 characters from A-Z a-z 0-9 . _ "
                 "-)");
    EXPECT_ERROR(AGREEMENT "  when: record.released, not record.released\n", SK_ERR_INVALID, 10,
                 "agreement A: when",
                 "condition \"record.released\" is both required and excluded");
    EXPECT_ERROR("constraint C\n  title: T\n  citation: C\n  reason: R\n  effective: 2024-01-01\n"
                 "  unless: not record.asylum\n",
                 SK_ERR_INVALID, 6, "constraint C: unless",
                 "\"not\" is not allowed in unless (expected condition names)");
    EXPECT_ERROR(AGREEMENT "  obligations: retention_limit\n", SK_ERR_INVALID, 10,
                 "agreement A: obligations",
                 "obligation \"retention_limit\" needs retention_days (expected a whole number of "
                 "days)");
}

static void test_number_and_date_errors(void **state)
{
    (void)state;
    EXPECT_ERROR(AGREEMENT "  version: 0\n", SK_ERR_INVALID, 10, "agreement A: version",
                 "bad version \"0\" (expected a whole number from 1 to 1000000)");
    EXPECT_ERROR(AGREEMENT "  version: 1000001\n", SK_ERR_INVALID, 10, "agreement A: version",
                 "bad version \"1000001\" (expected a whole number from 1 to 1000000)");
    EXPECT_ERROR(AGREEMENT "  version: 02\n", SK_ERR_INVALID, 10, "agreement A: version",
                 "bad version \"02\" (expected a whole number from 1 to 1000000)");
    EXPECT_ERROR(AGREEMENT "  version: -1\n", SK_ERR_INVALID, 10, "agreement A: version",
                 "bad version \"-1\" (expected a whole number from 1 to 1000000)");
    EXPECT_ERROR(AGREEMENT "  retention_days: 30 days\n", SK_ERR_INVALID, 10,
                 "agreement A: retention_days",
                 "bad retention_days \"30 days\" (expected a whole number from 1 to 1000000)");
    EXPECT_ERROR(A_HEAD A_BODY "  effective: 2024-02-30\n", SK_ERR_INVALID, 9,
                 "agreement A: effective",
                 "bad date \"2024-02-30\" (expected YYYY-MM-DD, a real date from 1900 to 2099)");
    EXPECT_ERROR(A_HEAD A_BODY "  effective: 1/1/2024\n", SK_ERR_INVALID, 9,
                 "agreement A: effective",
                 "bad date \"1/1/2024\" (expected YYYY-MM-DD, a real date from 1900 to 2099)");
    EXPECT_ERROR(AGREEMENT "  expires: 2023-12-31\n", SK_ERR_INVALID, 10, "agreement A: expires",
                 "expires 2023-12-31 is not after effective 2024-01-01 (expected a later date)");
    EXPECT_ERROR(AGREEMENT "  expires: 2024-01-01\n", SK_ERR_INVALID, 10, "agreement A: expires",
                 "expires 2024-01-01 is not after effective 2024-01-01 (expected a later date)");
}

static void test_duplicates(void **state)
{
    sk_arena *arena = arena_new_test();
    sk_policy_doc doc;
    (void)state;

    EXPECT_ERROR("agency ORR\n  kind: court\n  name: N\n\nagency ORR\n  kind: court\n  name: M\n",
                 SK_ERR_INVALID, 5, "agency ORR",
                 "duplicate agency id (already defined on line 1)");
    EXPECT_ERROR(AGREEMENT AGREEMENT, SK_ERR_INVALID, 10, "agreement A",
                 "duplicate id and version 1 (already defined on line 1; an amendment needs a "
                 "higher version)");
    EXPECT_ERROR(AGREEMENT A_HEAD "  version: 3\n" A_BODY A_EFFECTIVE A_HEAD A_BODY A_EFFECTIVE
                                  "  version: 3\n",
                 SK_ERR_INVALID, 20, "agreement A",
                 "duplicate id and version 3 (already defined on line 10; an amendment needs a "
                 "higher version)");
    EXPECT_ERROR("role clerk\n" ROLE_BODY "role clerk\n" ROLE_BODY, SK_ERR_INVALID, 7, "role clerk",
                 "duplicate role for agency ORR (already defined on line 1)");
    /* Amendments and the same role in another agency are fine. */
    EXPECT_OK(AGREEMENT A_HEAD "  version: 2\n" A_BODY A_EFFECTIVE "role clerk\n" ROLE_BODY
                               "role clerk\n  agency: ICE\n  actions: read\n"
                               "  purposes: *\n  entities: *\n  fields: *\n",
              arena, &doc);
    assert_int_equal(doc.rule_count, 2);
    assert_int_equal(doc.rules[1].version, 2);
    assert_int_equal(doc.role_count, 2);
    assert_string_equal(doc.roles[1].agency, "ICE");
    sk_arena_free(arena);
}

static void test_encoding_errors(void **state)
{
    (void)state;
    EXPECT_ERROR("agency ORR\n  name: Caf\xC3\n", SK_ERR_INVALID, 2, "text",
                 "invalid UTF-8 at column 12 (byte 0xC3)");
    EXPECT_ERROR("agency ORR\n  name: \xC0\xAF\n", SK_ERR_INVALID, 2, "text",
                 "invalid UTF-8 at column 9 (byte 0xC0)");
    EXPECT_ERROR("agency ORR\n  name: \xED\xA0\x80\n", SK_ERR_INVALID, 2, "text",
                 "invalid UTF-8 at column 9 (byte 0xED)");
    /* Invalid bytes inside a comment are still invalid. */
    EXPECT_ERROR("# \xFF\n", SK_ERR_INVALID, 1, "text", "invalid UTF-8 at column 3 (byte 0xFF)");
    EXPECT_ERROR("agency ORR\n\n  name: A\0B\n", SK_ERR_INVALID, 3, "text",
                 "NUL byte at column 10");
    EXPECT_ERROR("agency ORR\n  name: A\x1B[31m\n", SK_ERR_INVALID, 2, "text",
                 "control character 0x1B at column 10 (only tab is allowed)");
    EXPECT_ERROR("agency ORR\r\r\n", SK_ERR_INVALID, 1, "text",
                 "control character 0x0D at column 11 (only tab is allowed)");
}

static void test_utf8_text_accepted(void **state)
{
    sk_arena *arena = arena_new_test();
    sk_policy_doc doc;
    (void)state;

    EXPECT_OK("agency DIF\n  kind: child_welfare\n  name: Sistema Nacional DIF \xE2\x80\x94 "
              "Protecci\xC3\xB3n \xF0\x9F\x91\xB6\n",
              arena, &doc);
    assert_string_equal(doc.agencies[0].name, "Sistema Nacional DIF \xE2\x80\x94 "
                                              "Protecci\xC3\xB3n \xF0\x9F\x91\xB6");
    sk_arena_free(arena);
}

static void test_too_large_input(void **state)
{
    size_t len = ((size_t)1 << 20) + 1;
    char *text = malloc(len);
    (void)state;

    assert_non_null(text);
    memset(text, '#', len);
    expect_error(text, len, SK_ERR_TOO_LARGE, 0, "file",
                 "policy file of 1048577 bytes (at most 1048576)");
    free(text);
}

static void test_value_too_long(void **state)
{
    char text[2048];
    char a[201], b[200];
    sk_arena *arena = arena_new_test();
    sk_policy_doc doc;
    int n;
    (void)state;

    memset(a, 'a', sizeof(a) - 1);
    a[sizeof(a) - 1] = '\0';
    memset(b, 'b', sizeof(b) - 1);
    b[sizeof(b) - 1] = '\0';
    /* 200 + 1 + 199 = 400 bytes: one too many. */
    n = snprintf(text, sizeof(text),
                 A_HEAD "  title: %s\n    %s\n" A_CITATION A_PROVIDER A_RECIPIENTS A_PURPOSES
                     A_ENTITIES A_FIELDS A_EFFECTIVE,
                 a, b);
    expect_error(text, (size_t)n, SK_ERR_TOO_LARGE, 2, "agreement A: title",
                 "value too long: 400 bytes after joining continuation lines (at most 399)");
    /* 399 bytes fit. */
    b[sizeof(b) - 2] = '\0';
    n = snprintf(text, sizeof(text),
                 A_HEAD "  title: %s\n    %s\n" A_CITATION A_PROVIDER A_RECIPIENTS A_PURPOSES
                     A_ENTITIES A_FIELDS A_EFFECTIVE,
                 a, b);
    expect_ok(text, (size_t)n, arena, &doc);
    assert_int_equal(strlen(doc.rules[0].title), 399);
    sk_arena_free(arena);
}

static void test_list_value_too_long(void **state)
{
    size_t cap = 8192;
    char *text = malloc(cap);
    size_t len = 0;
    int i;
    (void)state;

    assert_non_null(text);
    len += (size_t)snprintf(
        text + len, cap - len, "%s",
        A_HEAD A_TITLE A_CITATION A_PROVIDER A_RECIPIENTS A_PURPOSES A_ENTITIES A_EFFECTIVE
        "  fields: dob");
    for (i = 0; i < 700; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s", "\n    , dob");
    len += (size_t)snprintf(text + len, cap - len, "%s", "\n");
    expect_error(text, len, SK_ERR_TOO_LARGE, 9, "agreement A: fields",
                 "value too long: 4203 bytes after joining continuation lines (at most 4095)");
    free(text);
}

static void test_too_many_blocks(void **state)
{
    size_t cap = 1 << 16;
    char *text = malloc(cap);
    size_t len = 0;
    sk_arena *arena = arena_new_test();
    sk_policy_doc doc;
    int i;
    (void)state;

    assert_non_null(text);
    for (i = 0; i < SK_POLICY_AGENCIES_MAX; i++)
        len += (size_t)snprintf(text + len, cap - len, "agency A%d\n  kind: other\n  name: N\n", i);
    expect_ok(text, len, arena, &doc);
    assert_int_equal(doc.agency_count, SK_POLICY_AGENCIES_MAX);
    assert_string_equal(doc.agencies[63].id, "A63");
    assert_int_equal(doc.agencies[63].line, 190);
    len += (size_t)snprintf(text + len, cap - len, "agency A64\n  kind: other\n  name: N\n");
    expect_error(text, len, SK_ERR_TOO_LARGE, 193, "agency A64",
                 "too many agencies (at most 64 per file)");
    sk_arena_free(arena);
    free(text);
}

static void test_too_many_recipients(void **state)
{
    size_t cap = 4096;
    char *text = malloc(cap);
    size_t len = 0;
    int i;
    (void)state;

    assert_non_null(text);
    len += (size_t)snprintf(
        text + len, cap - len, "%s",
        A_HEAD A_TITLE A_CITATION A_PROVIDER A_PURPOSES A_ENTITIES A_FIELDS A_EFFECTIVE
        "  recipients: R0");
    for (i = 1; i <= SK_POLICY_AGENCIES_MAX; i++)
        len += (size_t)snprintf(text + len, cap - len, ", R%d", i);
    len += (size_t)snprintf(text + len, cap - len, "\n");
    expect_error(text, len, SK_ERR_TOO_LARGE, 9, "agreement A: recipients",
                 "too many recipients (at most 64 agency ids)");
    free(text);
}

/* Every allocation fails in turn; each failure is reported and leaves the
 * output zeroed, and the parse succeeds once allocations stop failing. */
static void test_allocation_failures(void **state)
{
    sk_policy_doc doc, zero;
    sk_diag diag;
    unsigned long n;
    sk_err rc = SK_ERR_NOMEM;
    (void)state;

    memset(&zero, 0, sizeof(zero));
    for (n = 1; rc != SK_OK; n++) {
        sk_arena *arena = arena_new_test();
        assert_true(n < 10);
        sk_arena_fail_after(arena, n);
        rc = parse(full_policy, sizeof(full_policy) - 1, arena, &doc, &diag);
        if (rc != SK_OK) {
            assert_int_equal(rc, SK_ERR_NOMEM);
            assert_memory_equal(&doc, &zero, sizeof(doc));
            assert_string_equal(diag.field, "file");
            assert_string_equal(diag.msg, "out of memory while allocating the document");
        } else {
            assert_int_equal(doc.rule_count, 2);
        }
        sk_arena_free(arena);
    }
    assert_int_equal(n, 5); /* agencies, roles, rules, then success */
}

static void test_arena_limit(void **state)
{
    sk_arena *arena = NULL;
    sk_policy_doc doc;
    sk_diag diag;
    (void)state;

    assert_int_equal(sk_arena_new(4096, 8192, &arena), SK_OK);
    assert_int_equal(parse(full_policy, sizeof(full_policy) - 1, arena, &doc, &diag),
                     SK_ERR_TOO_LARGE);
    assert_string_equal(diag.msg, "memory limit reached while allocating the document");
    assert_null(doc.rules);
    sk_arena_free(arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_and_comment_only),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_key_errors),
        cmocka_unit_test(test_vocabulary_errors),
        cmocka_unit_test(test_list_errors),
        cmocka_unit_test(test_number_and_date_errors),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_encoding_errors),
        cmocka_unit_test(test_utf8_text_accepted),
        cmocka_unit_test(test_too_large_input),
        cmocka_unit_test(test_value_too_long),
        cmocka_unit_test(test_list_value_too_long),
        cmocka_unit_test(test_too_many_blocks),
        cmocka_unit_test(test_too_many_recipients),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_arena_limit),
    };
    return cmocka_run_group_tests_name("policy_parse", tests, NULL, NULL);
}
