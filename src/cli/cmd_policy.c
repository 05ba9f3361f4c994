/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_policy.c: safekeep policy check: what would this agency's user, in
 * this role, be told if they asked for these fields of this child's record
 * for this purpose on this date? The record's attributes (released, asylum
 * application, counsel of record, a sponsor's qualifying offence) and the
 * agency that recorded the data come from the child's ledger history. Exit
 * status 0 on permit, 3 on deny, so scripts can branch on it.
 */
#include <getopt.h>

#include "cli.h"
#include "safekeep/sk_audit.h"
#include "safekeep/sk_id.h"
#include "safekeep/sk_ingest.h"
#include "safekeep/sk_policy_store.h"
#include "safekeep/sk_subject.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define FIELDS_ARG_MAX 2048

static void help(FILE *out)
{
    fprintf(out, "usage: safekeep policy check [--db PATH] --agency A --role R --purpose P\n"
                 "                             --action ACTION --subject ID [--entity E]\n"
                 "                             [--fields F,...] [--record-agency A] [--at DATE]\n"
                 "                             [--json]\n\n"
                 "Decides, against the policy adopted with 'safekeep agreement add', whether\n"
                 "agency A's user in role R may ACTION (read, write, export) fields F of\n"
                 "entity E (default child) of child ID for purpose P on DATE (default today),\n"
                 "and prints the decision, the rule that decided, the fields disclosed, the\n"
                 "obligations and the reason. The recording agency comes from the child's\n"
                 "history unless --record-agency is given.\n"
                 "Exit status: 0 permit, 3 deny, 1 failure, 2 usage error.\n");
}

typedef struct check_opts {
    const char *db, *agency, *role, *purpose, *action, *subject, *entity, *fields, *record_agency;
    int64_t at;
    int json;
} check_opts;

static int build_request(const check_opts *o, const sk_policy *policy, sk_request *req)
{
    int v;

    memset(req, 0, sizeof(*req));
    req->agency = sk_policy_agency(policy, sk_str_c(o->agency));
    if (req->agency < 0)
        return sk_cli_usage_error("policy check", "--agency is not an agency of the policy");
    req->role = sk_policy_role(policy, sk_str_c(o->role));
    v = sk_policy_lookup(sk_purpose_names, sk_str_c(o->purpose));
    if (v < 0)
        return sk_cli_usage_error("policy check", "unknown --purpose (docs/agreements.md)");
    req->purpose = (sk_purpose)v;
    v = sk_policy_lookup(sk_action_names, sk_str_c(o->action));
    if (v < 0)
        return sk_cli_usage_error("policy check", "--action is read, write or export");
    req->action = (sk_action)v;
    v = sk_policy_lookup(sk_entity_names, sk_str_c(o->entity ? o->entity : "child"));
    if (v < 0)
        return sk_cli_usage_error("policy check", "unknown --entity (docs/agreements.md)");
    req->entity = (sk_entity)v;
    if (o->fields != NULL && sk_policy_fields_parse(o->fields, &req->fields) != 0)
        return sk_cli_usage_error("policy check", "unknown field in --fields");
    req->at = o->at;
    req->record_agency = -1;
    return -1;
}

static int load_subject(sk_store *store, const check_opts *o, const sk_policy *policy,
                        sk_request *req)
{
    sk_subject *subject = calloc(1, sizeof(*subject));
    sk_arena *arena = NULL;
    sk_diag diag;
    sk_err rc;
    int code = SK_EXIT_OK;

    if (subject == NULL)
        return SK_EXIT_FAIL;
    sk_diag_clear(&diag);
    rc = sk_arena_new(64 * 1024, 4 * 1024 * 1024, &arena);
    if (rc == SK_OK)
        rc = sk_subject_load(store, sk_str_c(o->subject), arena, subject, &diag);
    if (rc == SK_ERR_NOT_FOUND)
        rc = sk_diag_set(&diag, SK_ERR_NOT_FOUND, "subject", "no child with that id");
    if (rc != SK_OK) {
        sk_cli_error("policy check", rc, &diag);
        code = SK_EXIT_FAIL;
    } else {
        sk_subject_fill(subject, policy, sk_str_c(o->agency), req);
        if (o->record_agency != NULL)
            req->record_agency = sk_policy_agency(policy, sk_str_c(o->record_agency));
    }
    sk_arena_free(arena);
    free(subject);
    return code;
}

/* The same JSON as POST /v1/policy/check answers (sk_decision_json). */
static int print_json(const sk_policy *policy, const sk_request *req, const sk_decision *d)
{
    sk_buf buf;
    sk_err rc;

    sk_buf_init(&buf, 64 * 1024);
    rc = sk_decision_json(policy, req, d, &buf);
    if (rc == SK_OK)
        rc = sk_buf_append(&buf, "\n", 1);
    if (rc == SK_OK)
        fputs(buf.ptr, stdout);
    else
        sk_cli_error("policy check", rc, NULL);
    sk_buf_fini(&buf);
    return rc == SK_OK ? SK_EXIT_OK : SK_EXIT_FAIL;
}

static void print_text(const sk_decision *d, const char *reason)
{
    printf("%s\n", d->permit ? "PERMIT" : "DENY");
    if (d->permit) {
        printf("fields:     ");
        sk_cli_print_mask(stdout, " ", sk_policy_field_names, d->fields);
        printf("\n");
    }
    if (d->permit && d->withheld) {
        printf("withheld:   ");
        sk_cli_print_mask(stdout, " ", sk_policy_field_names, d->withheld);
        printf("\n");
    }
    if (d->obligations) {
        printf("obligations:");
        sk_cli_print_mask(stdout, " ", sk_obligation_names, d->obligations);
        if (d->retention_days)
            printf(" (retention %u days)", d->retention_days);
        printf("\n");
    }
    printf("reason:     %s\n", reason);
}

/* The decision's audit record: who asked, for what, what was decided. */
static int audit(const check_opts *o, sk_store *store, sk_keyring *keyring, const sk_request *req,
                 const sk_decision *d, const char *reason)
{
    unsigned char rnd[16];
    char request_id[SK_UUID_LEN + 1];
    sk_audit_record rec;

    sk_random_bytes(rnd, sizeof(rnd));
    sk_uuid_format(rnd, 4, request_id);
    memset(&rec, 0, sizeof(rec));
    rec.request_id = sk_str_c(request_id);
    rec.agency = sk_str_c(o->agency);
    rec.user = SK_STR("cli");
    rec.role = sk_str_c(o->role);
    rec.purpose = sk_str_c(sk_purpose_names[req->purpose]);
    rec.action = sk_str_c(sk_action_names[req->action]);
    rec.entity = sk_str_c(sk_entity_names[req->entity]);
    rec.subjects[0] = sk_str_c(o->subject);
    rec.subject_count = 1;
    rec.fields = d->fields;
    rec.decision = d->permit ? SK_STR("permit") : SK_STR("deny");
    rec.rule_kind = sk_str_c(sk_rule_kind_name(d->kind));
    rec.rule_id = d->rule ? sk_str_c(d->rule->id) : SK_STR("");
    rec.rule_version = d->rule ? d->rule->version : 0;
    rec.reason = sk_str_c(reason);
    rec.break_glass = d->kind == SK_RULE_BREAK_GLASS;
    return sk_cli_audit_append(sk_cli_db_path(o->db), store, keyring, &rec, 1);
}

static int check(const check_opts *o)
{
    char reason[1024];
    sk_keyring *keyring = NULL;
    sk_policy *policy = NULL;
    sk_store *store = NULL;
    sk_decision d;
    sk_request req;
    int code;

    code = sk_cli_load_policy(sk_cli_db_path(o->db), &store, &keyring, &policy);
    if (code == SK_EXIT_OK) {
        code = build_request(o, policy, &req);
        if (code < 0)
            code = load_subject(store, o, policy, &req);
    }
    if (code == SK_EXIT_OK) {
        sk_policy_decide(policy, &req, &d);
        sk_decision_reason(policy, &req, &d, reason, sizeof(reason));
        code = audit(o, store, keyring, &req, &d, reason);
    }
    if (code == SK_EXIT_OK) {
        if (o->json)
            code = print_json(policy, &req, &d);
        else
            print_text(&d, reason);
        if (code == SK_EXIT_OK)
            code = d.permit ? SK_EXIT_OK : SK_EXIT_DENY;
    }
    sk_policy_free(policy);
    sk_cli_close(store, keyring);
    return code;
}

static int parse(int argc, char **argv, check_opts *o)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"agency", required_argument, NULL, 'a'},
                                             {"role", required_argument, NULL, 'r'},
                                             {"purpose", required_argument, NULL, 'p'},
                                             {"action", required_argument, NULL, 'x'},
                                             {"subject", required_argument, NULL, 's'},
                                             {"entity", required_argument, NULL, 'e'},
                                             {"fields", required_argument, NULL, 'f'},
                                             {"at", required_argument, NULL, 't'},
                                             {"record-agency", required_argument, NULL, 'R'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char **slot[128] = {0};
    int c;

    slot['d'] = &o->db, slot['a'] = &o->agency, slot['r'] = &o->role, slot['p'] = &o->purpose;
    slot['x'] = &o->action, slot['s'] = &o->subject, slot['e'] = &o->entity;
    slot['f'] = &o->fields, slot['R'] = &o->record_agency;
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:a:r:p:x:s:e:f:t:R:jh", longopts, NULL);
        if (c == -1)
            break;
        if (c > 0 && c < 128 && slot[c] != NULL) {
            *slot[c] = optarg;
        } else if (c == 't') {
            if (sk_time_parse_human_date(sk_str_c(optarg), &o->at) != SK_OK)
                return sk_cli_usage_error("policy check", "--at takes a date YYYY-MM-DD");
            o->at += 12 * 3600; /* a day is judged at its middle, like imported events */
        } else if (c == 'j') {
            o->json = 1;
        } else if (c == 'h') {
            help(stdout);
            return SK_EXIT_OK;
        } else {
            help(stderr);
            return SK_EXIT_USAGE;
        }
    }
    if (!o->agency || !o->role || !o->purpose || !o->action || !o->subject || optind != argc)
        return sk_cli_usage_error("policy check",
                                  "--agency, --role, --purpose, --action and --subject are needed");
    return -1;
}

int sk_cli_policy(int argc, char **argv)
{
    check_opts o;
    int code;

    memset(&o, 0, sizeof(o));
    o.at = sk_time_now();
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        if (sk_cli_wants_help(argc, argv)) {
            help(stdout);
            return SK_EXIT_OK;
        }
        return sk_cli_usage_error("policy", "expected 'policy check'");
    }
    code = parse(argc - 1, argv + 1, &o);
    return code >= 0 ? code : check(&o);
}
