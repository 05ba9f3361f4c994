/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_token.c: safekeep token create | revoke | list. Bearer tokens let the
 * HTTP API know which agency, user and role a request comes from
 * (sk_token.h). create prints the token once, on standard output, and
 * nowhere else: the database keeps only a keyed hash of it, so a lost token
 * is revoked and replaced, never recovered. A token is only issued for an
 * agency and a role that the adopted policy defines, since the server would
 * deny everything to any other. list and revoke name tokens by their public
 * id and never print a secret.
 */
#include <errno.h>
#include <getopt.h>

#include "cli.h"
#include "safekeep/sk_id.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_time.h"
#include "safekeep/sk_token.h"

#include "sk_int.h"

#define EXPIRES_IN_DAYS_MAX 36500

static void help(FILE *out)
{
    fprintf(out, "usage: safekeep token create [--db PATH] --agency A --user U --role R\n"
                 "                             [--expires DATE | --expires-in DAYS] [--json]\n"
                 "       safekeep token revoke [--db PATH] ID\n"
                 "       safekeep token list [--db PATH] [--agency A] [--json]\n\n"
                 "Bearer tokens for the HTTP API. create issues a token to user U of agency A\n"
                 "in role R (the agency and the role must be defined by the adopted policy)\n"
                 "and prints it once: only a keyed hash of it is kept, so store it now. It\n"
                 "expires at the start of DATE (UTC; or an RFC 3339 time), or DAYS days from\n"
                 "now, or never. revoke stops the token with that id at once. list shows\n"
                 "every token (or agency A's): id, agency, user, role and when it was\n"
                 "created, expires and was revoked; never the token itself.\n");
}

typedef struct opts {
    const char *db, *agency, *user, *role, *expires_text, *expires_in_text;
    int json;
} opts;

static int parse(int argc, char **argv, opts *o)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"agency", required_argument, NULL, 'a'},
                                             {"user", required_argument, NULL, 'u'},
                                             {"role", required_argument, NULL, 'r'},
                                             {"expires", required_argument, NULL, 'e'},
                                             {"expires-in", required_argument, NULL, 'i'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;

    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:a:u:r:e:i:jh", longopts, NULL);
        if (c == -1)
            break;
        if (c == 'd')
            o->db = optarg;
        else if (c == 'a')
            o->agency = optarg;
        else if (c == 'u')
            o->user = optarg;
        else if (c == 'r')
            o->role = optarg;
        else if (c == 'e')
            o->expires_text = optarg;
        else if (c == 'i')
            o->expires_in_text = optarg;
        else if (c == 'j')
            o->json = 1;
        else if (c == 'h')
            return (help(stdout), SK_EXIT_OK);
        else
            return (help(stderr), SK_EXIT_USAGE);
    }
    if (o->agency != NULL && !sk_id_valid(sk_str_c(o->agency), SK_TOKEN_FIELD_MAX - 1))
        return sk_cli_usage_error("token", "--agency takes 1 to 63 of A-Z a-z 0-9 . _ : -");
    return -1;
}

/* The expiry asked for: 0 (never), or a time after now. Returns -1 to go
 * on, else the exit code of a usage error. */
static int parse_expiry(const opts *o, int64_t now, int64_t *expires_at)
{
    char *end = NULL;
    long days;

    *expires_at = 0;
    if (o->expires_text != NULL && o->expires_in_text != NULL)
        return sk_cli_usage_error("token", "--expires and --expires-in exclude each other");
    if (o->expires_text != NULL) {
        if (sk_time_parse_rfc3339(sk_str_c(o->expires_text), expires_at) != SK_OK &&
            sk_time_parse_human_date(sk_str_c(o->expires_text), expires_at) != SK_OK)
            return sk_cli_usage_error("token", "--expires takes a date YYYY-MM-DD or an RFC "
                                               "3339 time");
        if (*expires_at <= now)
            return sk_cli_usage_error("token", "--expires must be in the future");
    }
    if (o->expires_in_text != NULL) {
        errno = 0;
        days = strtol(o->expires_in_text, &end, 10);
        if (errno != 0 || end == o->expires_in_text || *end != '\0' || days < 1 ||
            days > EXPIRES_IN_DAYS_MAX)
            return sk_cli_usage_error("token", "--expires-in takes a number of days, 1 to 36500");
        *expires_at = now + (int64_t)days * 86400;
    }
    return -1;
}

static int check_create_opts(const opts *o)
{
    if (o->agency == NULL || o->user == NULL || o->role == NULL)
        return sk_cli_usage_error("token", "create needs --agency, --user and --role");
    if (!sk_id_valid(sk_str_c(o->user), SK_TOKEN_FIELD_MAX - 1))
        return sk_cli_usage_error("token", "--user takes 1 to 63 of A-Z a-z 0-9 . _ : -");
    if (!sk_id_valid(sk_str_c(o->role), SK_TOKEN_FIELD_MAX - 1))
        return sk_cli_usage_error("token", "--role takes 1 to 63 of A-Z a-z 0-9 . _ : -");
    return -1;
}

/* An RFC 3339 time as a JSON string, or null for 0. */
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

/* id, agency, user and role as JSON members (the opening brace included). */
static void print_json_names(const sk_token_info *info)
{
    printf("{\"id\":\"%s\",\"agency\":", info->id);
    sk_cli_print_json_string(stdout, info->agency);
    printf(",\"user\":");
    sk_cli_print_json_string(stdout, info->user);
    printf(",\"role\":");
    sk_cli_print_json_string(stdout, info->role);
}

static void print_created(const char *token, const sk_token_info *info, int json)
{
    if (!json) {
        printf("%s\n", token);
        return;
    }
    print_json_names(info);
    printf(",\"token\":\"%s\"", token);
    print_json_time("expires_at", info->expires_at);
    printf("}\n");
}

/* Issues the token once the policy confirms the agency and the role. */
static int issue(const opts *o, sk_store *store, sk_keyring *keyring, const sk_policy *policy,
                 int64_t now, int64_t expires_at)
{
    char token[SK_TOKEN_LEN + 1];
    sk_token_info info;
    sk_diag diag;
    sk_err rc;

    if (sk_policy_agency(policy, sk_str_c(o->agency)) < 0)
        return sk_cli_usage_error("token", "--agency is not an agency of the adopted policy "
                                           "(see 'safekeep agreement add')");
    if (sk_policy_role(policy, sk_str_c(o->role)) < 0)
        return sk_cli_usage_error("token", "--role is not a role of the adopted policy");
    sk_diag_clear(&diag);
    rc = sk_token_create(store, keyring, sk_str_c(o->agency), sk_str_c(o->user), sk_str_c(o->role),
                         expires_at, now, token, &info, &diag);
    if (rc != SK_OK) {
        sk_cli_error("token create", rc, &diag);
        return SK_EXIT_FAIL;
    }
    print_created(token, &info, o->json);
    sk_wipe(token, sizeof(token));
    return fflush(stdout) == 0 ? SK_EXIT_OK : SK_EXIT_FAIL;
}

static int token_create(const opts *o)
{
    sk_keyring *keyring = NULL;
    sk_policy *policy = NULL;
    sk_store *store = NULL;
    int64_t now = sk_time_now(), expires_at = 0;
    int code;

    code = check_create_opts(o);
    if (code < 0)
        code = parse_expiry(o, now, &expires_at);
    if (code >= 0)
        return code;
    code = sk_cli_load_policy(sk_cli_db_path(o->db), &store, &keyring, &policy);
    if (code == SK_EXIT_OK)
        code = issue(o, store, keyring, policy, now, expires_at);
    sk_policy_free(policy);
    sk_cli_close(store, keyring);
    return code;
}

static int token_revoke(const opts *o, const char *id)
{
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    char when[SK_RFC3339_LEN + 1];
    sk_token_info info;
    sk_diag diag;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    code = sk_cli_open(sk_cli_db_path(o->db), &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_token_revoke(store, sk_str_c(id), sk_time_now(), &diag);
    if (rc == SK_OK)
        rc = sk_token_get(store, sk_str_c(id), &info, &diag);
    if (rc != SK_OK) {
        sk_cli_error("token revoke", rc, &diag);
        code = SK_EXIT_FAIL;
    } else {
        /* A second revocation keeps the first time, which is the one shown. */
        sk_time_format_rfc3339(info.revoked_at, when);
        printf("revoked %s at %s\n", info.id, when);
    }
    sk_cli_close(store, keyring);
    return code;
}

typedef struct list_ctx {
    int json;
    uint64_t n;
} list_ctx;

static void time_or(int64_t t, const char *none, char buf[SK_RFC3339_LEN + 1])
{
    if (t == 0)
        snprintf(buf, SK_RFC3339_LEN + 1, "%s", none);
    else
        sk_time_format_rfc3339(t, buf);
}

static int print_token(const sk_token_info *info, void *vctx)
{
    list_ctx *ctx = vctx;
    char created[SK_RFC3339_LEN + 1], expires[SK_RFC3339_LEN + 1], revoked[SK_RFC3339_LEN + 1];

    if (ctx->json) {
        printf("%s", ctx->n ? "," : "");
        print_json_names(info);
        print_json_time("created_at", info->created_at);
        print_json_time("expires_at", info->expires_at);
        print_json_time("revoked_at", info->revoked_at);
        printf("}\n");
    } else {
        time_or(info->created_at, "-", created);
        time_or(info->expires_at, "never", expires);
        time_or(info->revoked_at, "-", revoked);
        printf("%-16s %-12s %-16s %-16s %-20s %-20s %s\n", info->id, info->agency, info->user,
               info->role, created, expires, revoked);
    }
    ctx->n++;
    return 0;
}

static int token_list(const opts *o)
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
        printf("%-16s %-12s %-16s %-16s %-20s %-20s %s\n", "ID", "AGENCY", "USER", "ROLE",
               "CREATED", "EXPIRES", "REVOKED");
    rc = sk_token_list(store, sk_str_c(o->agency), print_token, &ctx, &diag);
    if (o->json)
        printf("]\n");
    if (rc != SK_OK) {
        sk_cli_error("token list", rc, &diag);
        code = SK_EXIT_FAIL;
    }
    sk_cli_close(store, keyring);
    return code;
}

int sk_cli_token(int argc, char **argv)
{
    opts o = {NULL, NULL, NULL, NULL, NULL, NULL, 0};
    const char *sub;
    int code;

    if (argc < 2 || argv[1][0] == '-') {
        if (sk_cli_wants_help(argc, argv))
            return (help(stdout), SK_EXIT_OK);
        return sk_cli_usage_error("token", "expected create, revoke or list");
    }
    sub = argv[1];
    code = parse(argc - 1, argv + 1, &o);
    if (code >= 0)
        return code;
    argc -= optind + 1;
    argv += optind + 1;
    if (strcmp(sub, "create") == 0 && argc == 0)
        return token_create(&o);
    if (strcmp(sub, "revoke") == 0 && argc == 1)
        return token_revoke(&o, argv[0]);
    if (strcmp(sub, "list") == 0 && argc == 0)
        return token_list(&o);
    return sk_cli_usage_error("token", "expected create --agency A --user U --role R, "
                                       "revoke ID or list");
}
