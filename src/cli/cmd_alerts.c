/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_alerts.c: safekeep alerts: the deadline alerts of every child,
 * computed from the ledger at a clock value (sk_deadline.h).
 *
 * The listing names children by their internal ids and events by their
 * ids, and shows rules, agencies and times only: no field of any record.
 * That is why, unlike `safekeep children`, it writes nothing to the audit
 * log; it only reads the ledger. Notes written when alerts are acknowledged
 * or resolved are free text, so they are not listed either.
 */
#include <getopt.h>

#include "cli.h"
#include "safekeep/sk_buf.h"
#include "safekeep/sk_deadline.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

typedef struct alerts_opts {
    const char *db;
    const char *agency;
    int rule; /* sk_deadline_rule, or -1 for any */
    int overdue, all, json;
    int64_t at;
} alerts_opts;

typedef struct print_ctx {
    const alerts_opts *o;
    uint64_t n;
    sk_buf buf; /* one JSON line */
    sk_err rc;
} print_ctx;

#define LINE_BYTES_MAX 4096

static void alerts_help(FILE *out)
{
    fprintf(out, "usage: safekeep alerts [--db PATH] [--overdue] [--agency A] [--rule R]\n"
                 "                       [--at TIME] [--all] [--json]\n\n"
                 "Lists the deadline alerts computed from the ledger (docs/deadlines.md):\n"
                 "every alert raised by the clock time, open, acknowledged by its owner,\n"
                 "or resolved (by a late event or by hand, see safekeep alert), in (child,\n"
                 "due time, rule) order. The last column says who acknowledged or\n"
                 "resolved it, and when.\n\n"
                 "  --overdue    open and acknowledged alerts only (not yet resolved)\n"
                 "  --agency A   alerts owned by agency A (the agency that must act)\n"
                 "  --rule R     one rule: hhs_notice_48h, transfer_72h, wellness_call_30d,\n"
                 "               missed_hearing, nta_not_filed, address_not_filed, unreachable,\n"
                 "               sponsor_pending_90d, contest_unanswered\n"
                 "  --at TIME    the clock: RFC 3339, or YYYY-MM-DD (00:00:00Z); default now\n"
                 "               ($SAFEKEEP_NOW when set)\n"
                 "  --all        also alerts not yet due (state pending)\n"
                 "  --json       one JSON object per line\n\n"
                 "Alerts name children by internal id and events by id, and disclose no\n"
                 "record field, so listing them is not recorded in the audit log.\n"
                 "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

/* Who acknowledged or resolved the alert, and when, for the text listing:
 * "-", "AGENCY/USER TIME", "EVENT AGENCY/USER TIME" or "by hand ...". */
static void print_who(const sk_alert *a)
{
    char at[SK_RFC3339_LEN + 1];

    if (a->state == SK_ALERT_RESOLVED) {
        sk_time_format_rfc3339(a->resolved_at, at);
        printf("%s %s/%s %s\n", a->resolved_by_hand ? "by hand" : a->resolved_by,
               a->resolved_agency, a->resolved_user, at);
    } else if (a->acknowledged) {
        sk_time_format_rfc3339(a->acknowledged_at, at);
        printf("%s/%s %s\n", a->acknowledged_agency, a->acknowledged_user, at);
    } else {
        printf("-\n");
    }
}

static int print_alert(const sk_alert *a, void *vctx)
{
    print_ctx *ctx = vctx;
    const alerts_opts *o = ctx->o;
    char due[SK_RFC3339_LEN + 1];

    if (o->overdue && a->state != SK_ALERT_OPEN && a->state != SK_ALERT_ACKNOWLEDGED)
        return 0;
    if (o->agency != NULL && strcmp(o->agency, a->owner) != 0)
        return 0;
    if (o->rule >= 0 && (int)a->rule != o->rule)
        return 0;
    if (o->json) {
        sk_buf_reset(&ctx->buf);
        ctx->rc = sk_alert_json(a, &ctx->buf);
        if (ctx->rc != SK_OK)
            return 1;
        printf("%s\n", ctx->buf.ptr);
    } else {
        sk_time_format_rfc3339(a->due_at, due);
        printf("%-20s %-19s %-14s %-10s %-12s ", due, sk_deadline_rule_get(a->rule)->name, a->child,
               a->owner, sk_alert_state_name(a->state));
        print_who(a);
    }
    ctx->n++;
    return 0;
}

static int run(const alerts_opts *o)
{
    print_ctx ctx = {o, 0, {NULL, 0, 0, 0}, SK_OK};
    sk_deadline_config cfg;
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    sk_diag diag;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    sk_buf_init(&ctx.buf, LINE_BYTES_MAX);
    sk_deadline_config_default(&cfg);
    cfg.report_pending = o->all;
    code = sk_cli_open(o->db, &store, &keyring);
    if (code != SK_EXIT_OK)
        goto out;
    if (!o->json)
        printf("%-20s %-19s %-14s %-10s %-12s %s\n", "DUE", "RULE", "CHILD", "OWNER", "STATE",
               "BY");
    rc = sk_deadline_scan(store, &cfg, o->at, print_alert, &ctx, &diag);
    if (rc == SK_OK)
        rc = ctx.rc;
    if (rc != SK_OK) {
        sk_cli_error("alerts", rc, &diag);
        code = SK_EXIT_FAIL;
    }
    sk_cli_close(store, keyring);
out:
    sk_buf_fini(&ctx.buf);
    return code;
}

static int parse_at(const char *arg, int64_t *out)
{
    if (sk_time_parse_rfc3339(sk_str_c(arg), out) == SK_OK)
        return 0;
    if (sk_time_parse_date(sk_str_c(arg), out) == SK_OK)
        return 0;
    return sk_cli_usage_error("alerts", "--at takes an RFC 3339 time or YYYY-MM-DD");
}

int sk_cli_alerts(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"overdue", no_argument, NULL, 'o'},
                                         {"agency", required_argument, NULL, 'a'},
                                         {"rule", required_argument, NULL, 'r'},
                                         {"at", required_argument, NULL, 't'},
                                         {"all", no_argument, NULL, 'A'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    alerts_opts o = {NULL, NULL, -1, 0, 0, 0, 0};
    sk_deadline_rule rule;
    int c, at_set = 0;

    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:oa:r:t:Ajh", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'd':
            o.db = optarg;
            break;
        case 'o':
            o.overdue = 1;
            break;
        case 'a':
            o.agency = optarg;
            break;
        case 'r':
            if (sk_deadline_rule_parse(sk_str_c(optarg), &rule) != SK_OK)
                return sk_cli_usage_error("alerts", "unknown --rule");
            o.rule = (int)rule;
            break;
        case 't':
            if (parse_at(optarg, &o.at) != 0)
                return SK_EXIT_USAGE;
            at_set = 1;
            break;
        case 'A':
            o.all = 1;
            break;
        case 'j':
            o.json = 1;
            break;
        case 'h':
            alerts_help(stdout);
            return SK_EXIT_OK;
        default:
            alerts_help(stderr);
            return SK_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return sk_cli_usage_error("alerts", "unexpected argument");
    if (!at_set)
        o.at = sk_time_now();
    o.db = sk_cli_db_path(o.db);
    return run(&o);
}
