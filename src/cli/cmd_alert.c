/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_alert.c: safekeep alert ack|resolve: a person acknowledges a deadline
 * alert, or resolves it by hand, on record.
 *
 * Alerts are never stored (sk_deadline.h): what a person does about one is
 * an event in the child's ledger (alert_acknowledged, alert_resolved) that
 * the next evaluation reads. So the command first evaluates the alerts at
 * the time of the act, checks that the alert exists, that the acting agency
 * owns it and that its state allows the act, and only then records the
 * event through the ingest API, like any other event (it is audited and
 * survives a rebuild). There is no default agency or user: whoever acts
 * must say who they are.
 */
#include <getopt.h>

#include "cli.h"
#include "safekeep/sk_crypto.h"
#include "safekeep/sk_deadline.h"
#include "safekeep/sk_id.h"
#include "safekeep/sk_ingest.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

typedef struct alert_opts {
    const char *db;
    const char *id;
    const char *note;
    const char *agency;
    const char *user;
    int resolve; /* 0 ack, 1 resolve */
    int64_t at;
} alert_opts;

/* What the scan found of the alert named on the command line. */
typedef struct find_ctx {
    const char *id;
    int found;
    sk_alert alert;
} find_ctx;

static void alert_help(FILE *out)
{
    fprintf(
        out,
        "usage: safekeep alert ack ID --agency A --user U [--note TEXT] [--at TIME] [--db PATH]\n"
        "       safekeep alert resolve ID --note TEXT --agency A --user U [--at TIME]\n"
        "                                 [--db PATH]\n\n"
        "Records that a person acknowledged a deadline alert (ack) or resolved it\n"
        "by hand (resolve), as an event in the child's ledger (docs/deadlines.md).\n"
        "ID is the alert id as `safekeep alerts` shows it.\n\n"
        "  --agency A   the acting agency: required, and it must own the alert\n"
        "  --user U     the acting user: required (there is no default)\n"
        "  --note TEXT  what is being done (ack, optional) or why the alert is closed\n"
        "               without the event that would satisfy it (resolve, required);\n"
        "               free text, at most 200 bytes, no personal data\n"
        "  --at TIME    when: RFC 3339, or YYYY-MM-DD (00:00:00Z); default now\n"
        "               ($SAFEKEEP_NOW when set)\n\n"
        "An alert is acknowledged once, while open; it is resolved once, while open\n"
        "or acknowledged. Exit status: 0 recorded, 1 no such alert at that time or\n"
        "its state does not allow it (or any other failure), 2 usage error or an\n"
        "agency that does not own the alert.\n");
}

static int find_alert(const sk_alert *a, void *vctx)
{
    find_ctx *ctx = vctx;

    if (strcmp(a->id, ctx->id) != 0)
        return 0;
    ctx->alert = *a;
    ctx->found = 1;
    return 1;
}

/* Exit code for an alert in the wrong state for the act, or SK_EXIT_OK. */
static int check_state(const alert_opts *o, const sk_alert *a)
{
    const char *why = NULL;

    if (a->state == SK_ALERT_PENDING)
        why = "is not due yet at that time";
    else if (a->state == SK_ALERT_RESOLVED)
        why = "is already resolved at that time";
    else if (!o->resolve && a->state == SK_ALERT_ACKNOWLEDGED)
        why = "is already acknowledged at that time";
    if (why == NULL)
        return SK_EXIT_OK;
    fprintf(stderr, "safekeep alert: the alert %s\n", why);
    return SK_EXIT_FAIL;
}

/* Builds and ingests the event. Its id is derived from what it says, so
 * the same act recorded twice is one event. */
static sk_err record(sk_ingest *ing, const alert_opts *o, const sk_alert *a, sk_diag *diag)
{
    char key[SK_ALERT_ID_MAX + 3 * SK_ID_LEN_MAX + SK_RFC3339_LEN + 16];
    char id[SK_UUID_LEN + 1], when[SK_RFC3339_LEN + 1];
    unsigned char hash[16];
    sk_arena *arena = NULL;
    sk_event ev;
    sk_err rc;

    rc = sk_arena_new(16 * 1024, 256 * 1024, &arena);
    if (rc != SK_OK)
        return rc;
    sk_time_format_rfc3339(o->at, when);
    snprintf(key, sizeof(key), "%s|%s|%s|%s|%s", o->resolve ? "resolve" : "ack", a->id, o->agency,
             o->user, when);
    sk_hash(sk_str_c(key), hash, sizeof(hash));
    sk_uuid_format(hash, 8, id);
    sk_event_init(&ev, o->resolve ? SK_EV_ALERT_RESOLVED : SK_EV_ALERT_ACKNOWLEDGED, arena);
    rc = sk_event_set(&ev, SK_STR("alert_id"), sk_str_c(a->id), 0, diag);
    if (rc == SK_OK && o->note != NULL)
        rc = sk_event_set(&ev, SK_STR("note"), sk_str_c(o->note), 0, diag);
    if (rc == SK_OK)
        rc = sk_event_set_id(&ev, sk_str_c(id), diag);
    if (rc == SK_OK)
        rc = sk_event_set_time(&ev, 0, sk_str_c(when), diag);
    if (rc == SK_OK)
        rc = sk_event_set_actor(&ev, sk_str_c(o->agency), sk_str_c(o->user), diag);
    if (rc == SK_OK)
        rc = sk_event_add_subject(&ev, sk_str_c(a->child), diag);
    if (rc == SK_OK)
        rc = sk_event_finish(&ev, sk_ingest_now(ing), diag);
    if (rc == SK_OK)
        rc = sk_ingest_event(ing, &ev, diag);
    sk_arena_free(arena);
    return rc;
}

/* Finds the alert as of o->at (pending ones included, to say why). */
static int lookup(sk_store *store, const alert_opts *o, find_ctx *found, sk_diag *diag)
{
    sk_deadline_config cfg;
    sk_err rc;

    sk_deadline_config_default(&cfg);
    cfg.report_pending = 1;
    found->id = o->id;
    found->found = 0;
    rc = sk_deadline_scan(store, &cfg, o->at, find_alert, found, diag);
    if (rc != SK_OK) {
        sk_cli_error("alert", rc, diag);
        return SK_EXIT_FAIL;
    }
    if (!found->found) {
        fprintf(stderr, "safekeep alert: no alert of that id at that time\n");
        return SK_EXIT_FAIL;
    }
    if (strcmp(found->alert.owner, o->agency) != 0) {
        fprintf(stderr, "safekeep alert: only the owner of the alert (%s) may %s it\n",
                found->alert.owner, o->resolve ? "resolve" : "acknowledge");
        return SK_EXIT_USAGE;
    }
    return check_state(o, &found->alert);
}

static int run(const alert_opts *o)
{
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    sk_ingest *ing = NULL;
    find_ctx found;
    sk_diag diag;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    code = sk_cli_open(o->db, &store, &keyring);
    if (code == SK_EXIT_OK)
        code = lookup(store, o, &found, &diag);
    if (code != SK_EXIT_OK)
        goto out;
    rc = sk_ingest_new(store, keyring, &ing);
    if (rc == SK_OK)
        rc = sk_ingest_begin(ing, &diag);
    if (rc == SK_OK)
        rc = record(ing, o, &found.alert, &diag);
    if (rc == SK_OK)
        rc = sk_ingest_commit(ing, &diag);
    if (rc != SK_OK) {
        sk_cli_error("alert", rc, &diag);
        code = SK_EXIT_FAIL;
    } else {
        printf("%s %s\n", o->resolve ? "resolved" : "acknowledged", o->id);
    }
out:
    sk_ingest_free(ing);
    sk_cli_close(store, keyring);
    return code;
}

static int parse_at(const char *arg, int64_t *out)
{
    if (sk_time_parse_rfc3339(sk_str_c(arg), out) == SK_OK)
        return 0;
    if (sk_time_parse_date(sk_str_c(arg), out) == SK_OK)
        return 0;
    return sk_cli_usage_error("alert", "--at takes an RFC 3339 time or YYYY-MM-DD");
}

/* Parses the options after the verb; returns -1 to go on, else an exit code. */
static int parse(int argc, char **argv, alert_opts *o, int *at_set)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"note", required_argument, NULL, 'n'},
                                         {"agency", required_argument, NULL, 'a'},
                                         {"user", required_argument, NULL, 'u'},
                                         {"at", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;

    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:n:a:u:t:h", opts, NULL);
        if (c == -1)
            break;
        if (c == 'd')
            o->db = optarg;
        else if (c == 'n')
            o->note = optarg;
        else if (c == 'a')
            o->agency = optarg;
        else if (c == 'u')
            o->user = optarg;
        else if (c == 't' && parse_at(optarg, &o->at) != 0)
            return SK_EXIT_USAGE;
        else if (c == 't')
            *at_set = 1;
        else if (c == 'h')
            return (alert_help(stdout), SK_EXIT_OK);
        else
            return (alert_help(stderr), SK_EXIT_USAGE);
    }
    return -1;
}

int sk_cli_alert(int argc, char **argv)
{
    alert_opts o = {NULL, NULL, NULL, NULL, NULL, 0, 0};
    int code, at_set = 0;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return (alert_help(stdout), SK_EXIT_OK);
    if (argc < 2 || (strcmp(argv[1], "ack") != 0 && strcmp(argv[1], "resolve") != 0)) {
        alert_help(stderr);
        return SK_EXIT_USAGE;
    }
    o.resolve = strcmp(argv[1], "resolve") == 0;
    code = parse(argc - 1, argv + 1, &o, &at_set);
    if (code >= 0)
        return code;
    if (optind + 1 != argc - 1)
        return sk_cli_usage_error("alert", "give exactly one alert ID");
    o.id = argv[optind + 1];
    if (o.agency == NULL || o.user == NULL)
        return sk_cli_usage_error("alert", "--agency and --user are required");
    if (o.resolve && o.note == NULL)
        return sk_cli_usage_error("alert", "resolve takes --note: why it is closed by hand");
    if (strlen(o.id) > SK_ALERT_ID_MAX)
        return sk_cli_usage_error("alert", "alert ids are at most 160 characters");
    if (!at_set)
        o.at = sk_time_now();
    o.db = sk_cli_db_path(o.db);
    return run(&o);
}
