/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_agreement.c: safekeep agreement add | list | show | rescind. Policy
 * files are adopted into the ledger (all files of one command in one
 * transaction); listing and showing read the policy back from the ledger,
 * at any date, so an administrator sees exactly what was in force then.
 */
#include <getopt.h>

#include "cli.h"
#include "safekeep/sk_policy_store.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: safekeep agreement add [--db PATH] [--agency A] [--user U] FILE...\n"
            "       safekeep agreement list [--db PATH] [--at DATE]\n"
            "       safekeep agreement show [--db PATH] [--at DATE] ID\n"
            "       safekeep agreement rescind [--db PATH] [--agency A] [--user U] ID --on DATE\n\n"
            "Policy files (docs/agreements.md) declare agencies, roles, agreements and\n"
            "constraints. add checks every file, and that all of them fit with what is\n"
            "already adopted, before recording anything. list shows every version (with\n"
            "--at, only those in force on DATE); show prints one agreement or constraint\n"
            "as in force on DATE (default: today; the latest version when none is).\n"
            "rescind ends it on DATE. --agency and --user record who did it\n"
            "(default SAFEKEEP / admin).\n");
}

typedef struct opts {
    const char *db, *agency, *user, *at_text, *on_text;
    int64_t at, on;
} opts;

static int parse(int argc, char **argv, opts *o)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"agency", required_argument, NULL, 'a'},
                                             {"user", required_argument, NULL, 'u'},
                                             {"at", required_argument, NULL, 't'},
                                             {"on", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;

    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:a:u:t:o:h", longopts, NULL);
        if (c == -1)
            break;
        if (c == 'd')
            o->db = optarg;
        else if (c == 'a')
            o->agency = optarg;
        else if (c == 'u')
            o->user = optarg;
        else if (c == 't')
            o->at_text = optarg;
        else if (c == 'o')
            o->on_text = optarg;
        else if (c == 'h')
            return (help(stdout), SK_EXIT_OK);
        else
            return (help(stderr), SK_EXIT_USAGE);
    }
    if (o->at_text && sk_time_parse_human_date(sk_str_c(o->at_text), &o->at) != SK_OK)
        return sk_cli_usage_error("agreement", "--at takes a date YYYY-MM-DD");
    if (o->on_text && sk_time_parse_human_date(sk_str_c(o->on_text), &o->on) != SK_OK)
        return sk_cli_usage_error("agreement", "--on takes a date YYYY-MM-DD");
    if (!o->at_text)
        o->at = sk_time_now();
    return -1;
}

/* Runs fn inside one ingest transaction. */
static int in_transaction(const opts *o, const char *what, int argc, char **argv,
                          sk_err (*fn)(sk_ingest *, sk_store *, const opts *, int, char **,
                                       sk_diag *))
{
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    sk_ingest *ing = NULL;
    sk_diag diag;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    code = sk_cli_open(sk_cli_db_path(o->db), &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_ingest_new(store, keyring, &ing);
    if (rc == SK_OK)
        rc = sk_ingest_begin(ing, &diag);
    if (rc == SK_OK)
        rc = fn(ing, store, o, argc, argv, &diag);
    if (rc == SK_OK)
        rc = sk_ingest_commit(ing, &diag);
    if (rc != SK_OK) {
        sk_cli_error(what, rc, &diag);
        code = SK_EXIT_FAIL;
    }
    sk_ingest_free(ing);
    sk_cli_close(store, keyring);
    return code;
}

static sk_err do_add(sk_ingest *ing, sk_store *store, const opts *o, int argc, char **argv,
                     sk_diag *diag)
{
    sk_err rc = sk_policy_adopt_files(ing, store, (const char *const *)argv, (size_t)argc,
                                      sk_str_c(o->agency), sk_str_c(o->user), diag);
    if (rc == SK_OK)
        printf("adopted %d policy file%s\n", argc, argc == 1 ? "" : "s");
    return rc;
}

static sk_err do_rescind(sk_ingest *ing, sk_store *store, const opts *o, int argc, char **argv,
                         sk_diag *diag)
{
    sk_err rc;

    (void)argc;
    rc = sk_policy_record_rescind(ing, store, sk_str_c(argv[0]), o->on, sk_str_c(o->agency),
                                  sk_str_c(o->user), diag);
    if (rc == SK_OK)
        printf("rescinded %s on %s\n", argv[0], o->on_text);
    return rc;
}

static void print_list(const char *label, const char *const *names, uint64_t mask)
{
    printf("\n  %-12s", label);
    sk_cli_print_mask(stdout, " ", names, mask);
}

static void print_rule(const sk_pol_rule *r, int64_t at)
{
    char eff[SK_DATE_LEN + 1], exp[SK_DATE_LEN + 1] = "open";
    unsigned i;

    sk_time_format_date(r->effective, eff);
    if (r->expires != INT64_MAX)
        sk_time_format_date(r->expires, exp);
    printf("%s %s, version %u%s\n  title:       %s\n  citation:    %s\n",
           r->is_constraint ? "constraint" : "agreement", r->id, r->version,
           sk_pol_rule_in_force(r, at) ? " (in force)" : " (not in force)", r->title, r->citation);
    printf("  in force:    %s to %s\n  provider:    %s\n  recipients: ", eff, exp,
           r->provider[0] ? r->provider : "*");
    for (i = 0; i < r->recipient_count; i++)
        printf(" %s", r->recipient_ids[i]);
    sk_cli_print_mask(stdout, " kind:", sk_agency_kind_names, r->recipient_kinds);
    if (r->recipient_count == 0 && r->recipient_kinds == 0)
        printf(" anyone");
    print_list("actions:", sk_action_names, r->actions);
    print_list("purposes:", sk_purpose_names, r->purposes);
    print_list("entities:", sk_entity_names, r->entities);
    if (r->fields == 0 || r->fields == ~(uint64_t)0)
        printf("\n  %-12s *", "fields:");
    else
        print_list("fields:", sk_policy_field_names, r->fields);
    print_list("when:", sk_attr_names, r->when_set);
    sk_cli_print_mask(stdout, " not ", sk_attr_names, r->when_clear);
    if (r->is_constraint)
        print_list("unless:", sk_attr_names, r->unless_set);
    print_list("obligations:", sk_obligation_names, r->obligations);
    if (r->retention_days)
        printf(" (retention %u days)", r->retention_days);
    printf("\n  reason:      %s\n", r->reason[0] ? r->reason : "-");
}

static int agreement_list(const opts *o)
{
    sk_keyring *keyring = NULL;
    sk_policy *policy = NULL;
    sk_store *store = NULL;
    char eff[SK_DATE_LEN + 1], exp[SK_DATE_LEN + 1];
    size_t i;
    int code;

    code = sk_cli_load_policy(sk_cli_db_path(o->db), &store, &keyring, &policy);
    for (i = 0; code == SK_EXIT_OK && i < sk_policy_rule_count(policy); i++) {
        const sk_pol_rule *r = sk_policy_rule(policy, i);
        int in_force = sk_pol_rule_in_force(r, o->at);
        if (o->at_text != NULL && !in_force)
            continue;
        sk_time_format_date(r->effective, eff);
        snprintf(exp, sizeof(exp), "open");
        if (r->expires != INT64_MAX)
            sk_time_format_date(r->expires, exp);
        printf("%-34s v%-3u %-10s %-10s %s..%s%s\n", r->id, r->version,
               r->is_constraint ? "constraint" : "agreement", r->provider[0] ? r->provider : "*",
               eff, exp, in_force ? "  in force" : "");
    }
    sk_policy_free(policy);
    sk_cli_close(store, keyring);
    return code;
}

/* The version in force at o->at, else the latest version. */
static int agreement_show(const opts *o, const char *id)
{
    const sk_pol_rule *best = NULL;
    sk_keyring *keyring = NULL;
    sk_policy *policy = NULL;
    sk_store *store = NULL;
    size_t i;
    int code;

    code = sk_cli_load_policy(sk_cli_db_path(o->db), &store, &keyring, &policy);
    for (i = 0; code == SK_EXIT_OK && i < sk_policy_rule_count(policy); i++) {
        const sk_pol_rule *r = sk_policy_rule(policy, i);
        int in_force = sk_pol_rule_in_force(r, o->at);
        if (strcmp(r->id, id) != 0)
            continue;
        if (best == NULL || in_force ||
            (!sk_pol_rule_in_force(best, o->at) && r->version > best->version))
            best = r;
    }
    if (code == SK_EXIT_OK && best == NULL) {
        fprintf(stderr, "safekeep agreement show: no agreement or constraint %s\n", id);
        code = SK_EXIT_FAIL;
    } else if (code == SK_EXIT_OK) {
        print_rule(best, o->at);
    }
    sk_policy_free(policy);
    sk_cli_close(store, keyring);
    return code;
}

int sk_cli_agreement(int argc, char **argv)
{
    opts o = {NULL, "SAFEKEEP", "admin", NULL, NULL, 0, 0};
    const char *sub;
    int code;

    if (argc < 2 || argv[1][0] == '-') {
        if (sk_cli_wants_help(argc, argv))
            return (help(stdout), SK_EXIT_OK);
        return sk_cli_usage_error("agreement", "expected add, list, show or rescind");
    }
    sub = argv[1];
    code = parse(argc - 1, argv + 1, &o);
    if (code >= 0)
        return code;
    argc -= optind + 1;
    argv += optind + 1;
    if (strcmp(sub, "add") == 0 && argc > 0)
        return in_transaction(&o, "agreement add", argc, argv, do_add);
    if (strcmp(sub, "rescind") == 0 && argc == 1 && o.on_text != NULL)
        return in_transaction(&o, "agreement rescind", argc, argv, do_rescind);
    if (strcmp(sub, "list") == 0 && argc == 0)
        return agreement_list(&o);
    if (strcmp(sub, "show") == 0 && argc == 1)
        return agreement_show(&o, argv[0]);
    return sk_cli_usage_error("agreement", "expected add FILE..., list, show ID or rescind ID "
                                           "--on DATE");
}
