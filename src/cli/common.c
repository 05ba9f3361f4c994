/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.c: what every subcommand shares: where the database and its key
 * are, opening them, and printing errors. Errors go to stderr as
 * "safekeep CMD: file:line: field: what was expected"; diagnostics never
 * hold identity values, so they are safe to print and to log.
 */
#include "cli.h"

#include <getopt.h>

#include "safekeep/sk_audit.h"
#include "safekeep/sk_buf.h"
#include "safekeep/sk_policy_store.h"

#include "sk_int.h"

int sk_cli_wants_help(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

const char *sk_cli_db_path(const char *opt)
{
    const char *env = getenv("SAFEKEEP_DB");

    if (opt != NULL)
        return opt;
    if (env != NULL && env[0] != '\0')
        return env;
    return "safekeep.db";
}

const char *sk_cli_key_path(const char *db, char *buf, size_t buf_len)
{
    const char *env = getenv(SK_ENV_KEY_FILE);

    if (env != NULL && env[0] != '\0')
        return env;
    snprintf(buf, buf_len, "%s.key", db);
    return buf;
}

void sk_cli_error(const char *cmd, sk_err rc, const sk_diag *diag)
{
    char msg[SK_DIAG_MSG_MAX + SK_DIAG_WHERE_MAX + 128];

    if (diag != NULL && diag->msg[0] != '\0') {
        sk_diag_format(diag, msg, sizeof(msg));
        fprintf(stderr, "safekeep %s: %s\n", cmd, msg);
    } else {
        fprintf(stderr, "safekeep %s: %s\n", cmd, sk_err_str(rc));
    }
}

int sk_cli_usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "safekeep %s: %s\nTry 'safekeep %s --help'.\n", cmd, msg, cmd);
    return SK_EXIT_USAGE;
}

int sk_cli_open(const char *db, sk_store **store, sk_keyring **keyring)
{
    char key_buf[4096];
    sk_diag diag;
    sk_err rc;

    sk_diag_clear(&diag);
    *store = NULL;
    *keyring = NULL;
    rc = sk_store_open(db, 0, store, &diag);
    if (rc == SK_OK)
        rc = sk_keyring_open(sk_cli_key_path(db, key_buf, sizeof(key_buf)), keyring, &diag);
    if (rc == SK_OK)
        rc = sk_cli_key_verify(*store, *keyring, &diag);
    if (rc != SK_OK) {
        sk_keyring_free(*keyring);
        *keyring = NULL;
        sk_cli_error("open", rc, &diag);
        sk_store_close(*store);
        *store = NULL;
        return SK_EXIT_FAIL;
    }
    return SK_EXIT_OK;
}

int sk_cli_parse_db_only(int argc, char **argv, const char *cmd, void (*help)(FILE *out),
                         const char **db)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;

    *db = NULL;
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:h", opts, NULL);
        if (c == -1)
            break;
        if (c == 'd') {
            *db = optarg;
        } else if (c == 'h') {
            help(stdout);
            return SK_EXIT_OK;
        } else {
            help(stderr);
            return SK_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return sk_cli_usage_error(cmd, "unexpected argument");
    *db = sk_cli_db_path(*db);
    return -1;
}

void sk_cli_close(sk_store *store, sk_keyring *keyring)
{
    sk_store_close(store);
    sk_keyring_free(keyring);
}

void sk_cli_print_mask(FILE *out, const char *sep, const char *const *names, uint64_t mask)
{
    size_t i;

    for (i = 0; names[i] != NULL && i < 64; i++) {
        if ((mask >> i) & 1u)
            fprintf(out, "%s%s", sep, names[i]);
    }
}

int sk_cli_load_policy(const char *db, sk_store **store, sk_keyring **keyring,
                       struct sk_policy **policy)
{
    sk_diag diag;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    *policy = NULL;
    code = sk_cli_open(db, store, keyring);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_policy_load(*store, policy, &diag);
    if (rc != SK_OK) {
        sk_cli_error("policy", rc, &diag);
        sk_cli_close(*store, *keyring);
        *store = NULL;
        *keyring = NULL;
        return SK_EXIT_FAIL;
    }
    return SK_EXIT_OK;
}

void sk_cli_print_json_names(FILE *out, const char *const *names, uint64_t mask)
{
    size_t i;
    int first = 1;

    for (i = 0; names[i] != NULL && i < 64; i++) {
        if ((mask >> i) & 1u) {
            fprintf(out, "%s\"%s\"", first ? "" : ",", names[i]);
            first = 0;
        }
    }
}

void sk_cli_print_json_string(FILE *out, const char *s)
{
    sk_buf buf;

    sk_buf_init(&buf, 64 * 1024);
    if (sk_buf_json_str(&buf, sk_str_c(s)) == SK_OK)
        fputs(buf.ptr, out);
    else
        fputs("\"\"", out);
    sk_buf_fini(&buf);
}

const char *sk_cli_audit_path(const char *db, char *buf, size_t buf_len)
{
    const char *env = getenv("SAFEKEEP_AUDIT_LOG");

    if (env != NULL && env[0] != '\0')
        return env;
    snprintf(buf, buf_len, "%s.audit", db);
    return buf;
}

uint64_t sk_cli_audit_expected_size(sk_store *store)
{
    unsigned char buf[32];
    size_t len = 0;
    char *end;
    uint64_t n;

    if (sk_store_meta_get(store, "audit_size", buf, sizeof(buf), &len, NULL) != SK_OK)
        return 0;
    n = strtoull((const char *)buf, &end, 10);
    return end == (const char *)buf ? 0 : n;
}

sk_err sk_cli_audit_note_size(sk_store *store, uint64_t records, sk_diag *diag)
{
    char size[32];
    sk_err rc;

    snprintf(size, sizeof(size), "%llu", (unsigned long long)records);
    rc = sk_store_begin(store, diag);
    if (rc == SK_OK)
        rc = sk_store_meta_put(store, "audit_size", size, strlen(size), diag);
    if (rc == SK_OK)
        rc = sk_store_commit(store, diag);
    if (rc != SK_OK)
        sk_store_rollback(store);
    return rc;
}

int sk_cli_audit_append(const char *db, sk_store *store, sk_keyring *keyring,
                        const struct sk_audit_record *recs, size_t n)
{
    uint64_t acknowledged = sk_cli_audit_expected_size(store);
    char path[4096];
    sk_audit *log = NULL;
    sk_audit_sth head;
    sk_diag diag;
    sk_err rc;

    sk_diag_clear(&diag);
    memset(&head, 0, sizeof(head));
    rc = sk_audit_open(sk_cli_audit_path(db, path, sizeof(path)), keyring, &log, &diag);
    if (rc == SK_OK) {
        /* A log shorter than what was acknowledged has lost records: adding
         * to it would hide that. */
        sk_audit_head(log, &head);
        if (head.size < acknowledged)
            rc = sk_diag_set(&diag, SK_ERR_CRYPTO, "audit log",
                             "%llu records, but %llu were acknowledged: the log was truncated",
                             (unsigned long long)head.size, (unsigned long long)acknowledged);
    }
    if (rc == SK_OK)
        rc = sk_audit_append_many(log, recs, n, NULL);
    if (rc == SK_OK)
        sk_audit_head(log, &head);
    sk_audit_close(log);
    if (rc == SK_OK)
        rc = sk_cli_audit_note_size(store, head.size, &diag);
    if (rc != SK_OK) {
        sk_cli_error("audit", rc, &diag);
        fprintf(stderr, "safekeep: the decision could not be recorded; nothing is disclosed\n");
        return SK_EXIT_FAIL;
    }
    return SK_EXIT_OK;
}

int sk_cli_audit_operator_read(const char *db, sk_store *store, sk_keyring *keyring,
                               const char *purpose, const sk_str *children, size_t n,
                               uint64_t fields)
{
    const char *user = getenv("USER");
    sk_audit_record *recs;
    size_t i;
    int code;

    if (n == 0)
        return SK_EXIT_OK;
    recs = calloc(n, sizeof(*recs));
    if (recs == NULL)
        return SK_EXIT_FAIL;
    for (i = 0; i < n; i++) {
        recs[i].agency = SK_STR("SAFEKEEP");
        recs[i].user = sk_str_c(user && user[0] ? user : "operator");
        recs[i].role = SK_STR("operator");
        recs[i].purpose = sk_str_c(purpose);
        recs[i].action = SK_STR("read");
        recs[i].entity = SK_STR("child");
        recs[i].subjects[0] = children[i];
        recs[i].subject_count = 1;
        recs[i].fields = fields;
        recs[i].decision = SK_STR("permit");
        recs[i].rule_kind = SK_STR("operator");
        recs[i].reason = SK_STR("read by the holder of the database key");
    }
    code = SK_EXIT_OK;
    for (i = 0; code == SK_EXIT_OK && i < n; i += SK_AUDIT_BATCH_MAX) {
        size_t k = n - i < SK_AUDIT_BATCH_MAX ? n - i : SK_AUDIT_BATCH_MAX;
        code = sk_cli_audit_append(db, store, keyring, recs + i, k);
    }
    free(recs);
    return code;
}
