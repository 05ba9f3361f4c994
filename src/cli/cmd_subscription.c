/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_subscription.c: safekeep subscription create | list | pause | resume |
 * delete, and safekeep outbox. A subscription tells an agency's endpoint of
 * new events of some types (sk_subscription.h); it is accepted only where
 * the adopted policy lets the agency read such records for the declared
 * purpose, and create prints the refusal's reason and exits 1 otherwise,
 * as any other failure (policy check alone uses exit 3: it answers a
 * question, while create is an action that did not happen). create prints
 * the signing secret once, on standard output. outbox lists notifications
 * by ids and types only: it never prints personal data.
 */
#include <getopt.h>

#include "cli.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_subscription.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

static void help(FILE *out)
{
    fprintf(out, "usage: safekeep subscription create [--db PATH] --agency A --purpose P\n"
                 "                                    --types T1,T2 --url URL [--user U] [--json]\n"
                 "       safekeep subscription list [--db PATH] [--agency A] [--json]\n"
                 "       safekeep subscription pause|resume|delete [--db PATH] ID\n\n"
                 "Webhook subscriptions. create subscribes agency A's endpoint URL (http:// or\n"
                 "https://) to the event types T1,T2 for purpose P. It is refused (exit 1, with\n"
                 "the reason) unless an agreement in force lets A read each type's records for\n"
                 "P; each event is checked again when it is recorded, so notifications stop\n"
                 "when the agreement ends. The type \"alert\" subscribes A to the deadline\n"
                 "alerts it owns (docs/deadlines.md), told as they fall due; it needs no\n"
                 "agreement. create prints the id and the signing secret\n"
                 "(whsec_...) once: only a sealed copy is kept. pause and resume stop and\n"
                 "restart notifications; delete ends the subscription for good (it stays\n"
                 "listed, and its id is never reused). See also 'safekeep outbox'.\n");
}

static void outbox_help(FILE *out)
{
    fprintf(out,
            "usage: safekeep outbox [--db PATH] [--state pending|delivered|failed] [--json]\n\n"
            "Lists notifications, oldest first: message id, subscription, event id,\n"
            "event type, state, attempts and when the next attempt is due. A deadline\n"
            "alert's row has the type alert.<rule> and names its anchor event (--json\n"
            "adds the alert's id). Rows name ids and types only, never personal data.\n");
}

typedef struct opts {
    const char *db, *agency, *purpose, *types, *url, *user, *state;
    int json;
} opts;

static int parse(int argc, char **argv, opts *o, void (*usage)(FILE *out))
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},      {"agency", required_argument, NULL, 'a'},
        {"purpose", required_argument, NULL, 'p'}, {"types", required_argument, NULL, 't'},
        {"url", required_argument, NULL, 'u'},     {"user", required_argument, NULL, 'U'},
        {"state", required_argument, NULL, 's'},   {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c;

    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:a:p:t:u:U:s:jh", longopts, NULL);
        if (c == -1)
            break;
        if (c == 'd')
            o->db = optarg;
        else if (c == 'a')
            o->agency = optarg;
        else if (c == 'p')
            o->purpose = optarg;
        else if (c == 't')
            o->types = optarg;
        else if (c == 'u')
            o->url = optarg;
        else if (c == 'U')
            o->user = optarg;
        else if (c == 's')
            o->state = optarg;
        else if (c == 'j')
            o->json = 1;
        else if (c == 'h')
            return (usage(stdout), SK_EXIT_OK);
        else
            return (usage(stderr), SK_EXIT_USAGE);
    }
    return -1;
}

static void print_json_time(const char *key, int64_t t)
{
    char buf[SK_RFC3339_LEN + 1];

    if (t == 0) {
        printf(",\"%s\":null", key);
        return;
    }
    sk_time_format_rfc3339(t, buf);
    printf(",\"%s\":\"%s\"", key, buf);
}

/* One subscription as a JSON object, without the closing brace. */
static void print_sub_json(const sk_subscription *sub)
{
    char types[SK_STORE_SUB_TYPES_MAX];

    sk_subscription_types_format(sub->types, types, sizeof(types));
    printf("{\"id\":\"%s\",\"agency\":", sub->id);
    sk_cli_print_json_string(stdout, sub->agency);
    printf(",\"purpose\":\"%s\",\"types\":", sk_purpose_names[sub->purpose]);
    sk_cli_print_json_string(stdout, types);
    printf(",\"url\":");
    sk_cli_print_json_string(stdout, sub->url);
    printf(",\"state\":\"%s\",\"rules\":", sk_subscription_state_name(sub->state));
    sk_cli_print_json_string(stdout, sub->rules);
    printf(",\"created_by\":");
    sk_cli_print_json_string(stdout, sub->created_by);
    print_json_time("created_at", sub->created_at);
    print_json_time("updated_at", sub->updated_at);
}

static int create_checked(const opts *o, sk_store *store, sk_keyring *keyring,
                          const sk_policy *policy, int purpose)
{
    char secret[SK_SUBSCRIPTION_SECRET_LEN + 1];
    sk_subscription sub;
    uint64_t types = 0;
    sk_diag diag;
    sk_err rc;

    sk_diag_clear(&diag);
    rc = sk_subscription_types_parse(sk_str_c(o->types), &types, &diag);
    if (rc == SK_OK)
        rc = sk_subscription_create(store, keyring, policy, sk_str_c(o->agency),
                                    (sk_purpose)purpose, types, sk_str_c(o->url),
                                    sk_str_c(o->user ? o->user : "operator"), sk_time_now(), secret,
                                    &sub, &diag);
    if (rc != SK_OK) {
        sk_cli_error(rc == SK_ERR_DENIED ? "subscription create: refused" : "subscription create",
                     rc, &diag);
        return SK_EXIT_FAIL;
    }
    if (o->json) {
        print_sub_json(&sub);
        printf(",\"secret\":\"%s\"}\n", secret);
    } else {
        printf("%s\n%s\n", sub.id, secret);
    }
    sk_wipe(secret, sizeof(secret));
    return fflush(stdout) == 0 ? SK_EXIT_OK : SK_EXIT_FAIL;
}

static int sub_create(const opts *o)
{
    sk_keyring *keyring = NULL;
    sk_policy *policy = NULL;
    sk_store *store = NULL;
    int code, purpose;

    if (o->agency == NULL || o->purpose == NULL || o->types == NULL || o->url == NULL)
        return sk_cli_usage_error("subscription",
                                  "create needs --agency, --purpose, --types and --url");
    purpose = sk_policy_lookup(sk_purpose_names, sk_str_c(o->purpose));
    if (purpose < 0)
        return sk_cli_usage_error("subscription", "--purpose is not a purpose of the policy "
                                                  "vocabulary (docs/agreements.md)");
    code = sk_cli_load_policy(sk_cli_db_path(o->db), &store, &keyring, &policy);
    if (code == SK_EXIT_OK)
        code = create_checked(o, store, keyring, policy, purpose);
    sk_policy_free(policy);
    sk_cli_close(store, keyring);
    return code;
}

typedef struct list_ctx {
    int json;
    uint64_t n;
} list_ctx;

static int print_sub(const sk_subscription *sub, void *vctx)
{
    list_ctx *ctx = vctx;
    char types[SK_STORE_SUB_TYPES_MAX], created[SK_RFC3339_LEN + 1];

    if (ctx->json) {
        printf("%s", ctx->n ? "," : "");
        print_sub_json(sub);
        printf("}\n");
    } else {
        sk_subscription_types_format(sub->types, types, sizeof(types));
        sk_time_format_rfc3339(sub->created_at, created);
        printf("%-20s %-8s %-12s %-22s %-8s %s %s\n", sub->id, sub->agency,
               sk_purpose_names[sub->purpose], types, sk_subscription_state_name(sub->state),
               created, sub->url);
    }
    ctx->n++;
    return 0;
}

static int sub_list(const opts *o)
{
    list_ctx ctx = {o->json, 0};
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    sk_diag diag;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    code = sk_cli_open(sk_cli_db_path(o->db), &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    if (o->json)
        printf("[\n");
    else
        printf("%-20s %-8s %-12s %-22s %-8s %-20s %s\n", "ID", "AGENCY", "PURPOSE", "TYPES",
               "STATE", "CREATED", "URL");
    rc = sk_subscription_list(store, sk_str_c(o->agency), print_sub, &ctx, &diag);
    if (o->json)
        printf("]\n");
    if (rc != SK_OK) {
        sk_cli_error("subscription list", rc, &diag);
        code = SK_EXIT_FAIL;
    }
    sk_cli_close(store, keyring);
    return code;
}

/* pause, resume or delete. */
static int sub_change(const opts *o, const char *verb, const char *id)
{
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    int64_t now = sk_time_now();
    sk_diag diag;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    code = sk_cli_open(sk_cli_db_path(o->db), &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    if (strcmp(verb, "pause") == 0)
        rc = sk_subscription_pause(store, sk_str_c(id), now, &diag);
    else if (strcmp(verb, "resume") == 0)
        rc = sk_subscription_resume(store, sk_str_c(id), now, &diag);
    else
        rc = sk_subscription_delete(store, sk_str_c(id), now, &diag);
    if (rc != SK_OK) {
        sk_cli_error("subscription", rc, &diag);
        code = SK_EXIT_FAIL;
    } else {
        printf("%s: %s\n", id,
               strcmp(verb, "pause") == 0    ? "paused"
               : strcmp(verb, "resume") == 0 ? "active"
                                             : "deleted");
    }
    sk_cli_close(store, keyring);
    return code;
}

int sk_cli_subscription(int argc, char **argv)
{
    opts o;
    const char *sub;
    int code;

    memset(&o, 0, sizeof(o));
    if (argc < 2 || argv[1][0] == '-') {
        if (sk_cli_wants_help(argc, argv))
            return (help(stdout), SK_EXIT_OK);
        return sk_cli_usage_error("subscription", "expected create, list, pause, resume or "
                                                  "delete");
    }
    sub = argv[1];
    code = parse(argc - 1, argv + 1, &o, help);
    if (code >= 0)
        return code;
    argc -= optind + 1;
    argv += optind + 1;
    if (strcmp(sub, "create") == 0 && argc == 0)
        return sub_create(&o);
    if (strcmp(sub, "list") == 0 && argc == 0)
        return sub_list(&o);
    if ((strcmp(sub, "pause") == 0 || strcmp(sub, "resume") == 0 || strcmp(sub, "delete") == 0) &&
        argc == 1)
        return sub_change(&o, sub, argv[0]);
    return sk_cli_usage_error("subscription", "expected create --agency A --purpose P --types "
                                              "T --url URL, list, pause ID, resume ID or "
                                              "delete ID");
}

static int print_outbox(const sk_store_outbox *row, void *vctx)
{
    list_ctx *ctx = vctx;
    char due[SK_RFC3339_LEN + 1];

    sk_time_format_rfc3339(row->next_attempt_at, due);
    if (ctx->json) {
        printf("%s{\"id\":\"%s\",\"subscription_id\":\"%s\",\"event_id\":", ctx->n ? "," : "",
               row->id, row->subscription_id);
        sk_cli_print_json_string(stdout, row->event_id);
        printf(",\"type\":\"%s\",\"alert_id\":", row->type);
        if (row->alert_id[0] == '\0')
            printf("null");
        else
            sk_cli_print_json_string(stdout, row->alert_id);
        printf(",\"state\":\"%s\",\"attempts\":%u", row->state, row->attempts);
        print_json_time("created_at", row->created_at);
        print_json_time("next_attempt_at", row->next_attempt_at);
        printf(",\"last_status\":%d,\"latency_ms\":%u,\"last_error\":", row->last_status,
               row->latency_ms);
        sk_cli_print_json_string(stdout, row->last_error);
        printf("}\n");
    } else {
        printf("%-36s %-20s %-36s %-26s %-9s %3u %4d %7u %s\n", row->id, row->subscription_id,
               row->event_id, row->type, row->state, row->attempts, row->last_status,
               row->latency_ms, due);
    }
    ctx->n++;
    return 0;
}

int sk_cli_outbox(int argc, char **argv)
{
    list_ctx ctx = {0, 0};
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    sk_diag diag;
    opts o;
    int code;
    sk_err rc;

    memset(&o, 0, sizeof(o));
    code = parse(argc, argv, &o, outbox_help);
    if (code >= 0)
        return code;
    if (optind != argc)
        return sk_cli_usage_error("outbox", "takes no arguments");
    if (o.state != NULL && strcmp(o.state, "pending") != 0 && strcmp(o.state, "delivered") != 0 &&
        strcmp(o.state, "failed") != 0)
        return sk_cli_usage_error("outbox", "--state takes pending, delivered or failed");
    ctx.json = o.json;
    sk_diag_clear(&diag);
    code = sk_cli_open(sk_cli_db_path(o.db), &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    if (o.json)
        printf("[\n");
    else
        printf("%-36s %-20s %-36s %-26s %-9s %3s %4s %7s %s\n", "ID", "SUBSCRIPTION", "EVENT",
               "TYPE", "STATE", "TRY", "LAST", "MS", "DUE");
    rc = sk_store_outbox_list(store, sk_str_c(o.state), print_outbox, &ctx, &diag);
    if (o.json)
        printf("]\n");
    if (rc != SK_OK) {
        sk_cli_error("outbox", rc, &diag);
        code = SK_EXIT_FAIL;
    }
    sk_cli_close(store, keyring);
    return code;
}
