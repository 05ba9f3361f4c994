/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_audit.c: safekeep audit verify | tree-head | who-accessed | report |
 * proof | consistency. Every answer comes from the library's audit queries
 * (src/audit/query.c), the same the server sends: each is computed from the
 * verified log itself, so a report can never show what the log cannot
 * prove. --json prints the library's JSON (who-accessed: its records, one
 * per line in an array, as this command has always printed them); the text
 * forms are rendered from it, and proofs are checked again here with the
 * sk_merkle verifiers.
 */
#include <getopt.h>
#include <jansson.h>

#include "cli.h"
#include "safekeep/sk_audit.h"
#include "safekeep/sk_ledger_seal.h"
#include "safekeep/sk_merkle.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

static void help(FILE *out)
{
    fprintf(out, "usage: safekeep audit verify [--db PATH]\n"
                 "       safekeep audit tree-head [--db PATH] [--json]\n"
                 "       safekeep audit who-accessed [--db PATH] [--json] SUBJECT_ID\n"
                 "       safekeep audit report [--db PATH] [--from DATE] [--to DATE] [--json]\n"
                 "       safekeep audit proof [--db PATH] SEQ [--tree-size N]\n"
                 "       safekeep audit consistency [--db PATH] OLD_SIZE NEW_SIZE\n\n"
                 "The audit log (PATH.audit) holds a record of every policy decision,\n"
                 "permit and deny, hash-chained and under Ed25519-signed Merkle tree heads\n"
                 "(RFC 9162). verify recomputes everything and names the first record that\n"
                 "does not match; tree-head prints the latest signed head and the public\n"
                 "key; who-accessed lists every decision about a person; report counts\n"
                 "decisions by agency, purpose and outcome, lists denials and break-glass\n"
                 "uses awaiting review; proof and consistency print RFC 9162 proofs.\n");
}

typedef struct audit_opts {
    const char *db;
    int json;
    int64_t from, to;
    uint64_t tree_size;
    int has_tree_size;
} audit_opts;

/* The largest answer the CLI takes from the library in one call. */
#define AUDIT_ANSWER_MAX ((size_t)64 * 1024 * 1024)

/* What every audit command holds: the keyring (the store only for it and
 * for the acknowledged size), the log's path and the library's answer. */
typedef struct audit_ctx {
    sk_store *store;
    sk_keyring *keyring;
    char path[4096];
    sk_buf answer;
    sk_diag diag;
} audit_ctx;

static int audit_begin(const audit_opts *o, audit_ctx *a)
{
    int code;

    memset(a, 0, sizeof(*a));
    sk_diag_clear(&a->diag);
    code = sk_cli_open(sk_cli_db_path(o->db), &a->store, &a->keyring);
    if (code != SK_EXIT_OK)
        return code;
    sk_cli_audit_path(sk_cli_db_path(o->db), a->path, sizeof(a->path));
    sk_buf_init(&a->answer, AUDIT_ANSWER_MAX);
    return SK_EXIT_OK;
}

static void audit_end(audit_ctx *a)
{
    sk_buf_fini(&a->answer);
    sk_cli_close(a->store, a->keyring);
}

/* The library's answer as a JSON object (NULL when it is not one). */
static json_t *answer_json(const audit_ctx *a)
{
    json_error_t jerr;
    json_t *v = json_loadb(a->answer.ptr ? a->answer.ptr : "", a->answer.len, 0, &jerr);

    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

/* The answer parsed, when the call succeeded and text output needs it. */
static sk_err answer_parse(const audit_ctx *a, sk_err rc, json_t **v)
{
    *v = NULL;
    if (rc != SK_OK)
        return rc;
    *v = answer_json(a);
    return *v != NULL ? SK_OK : SK_ERR_NOMEM;
}

static const char *str_of(const json_t *v, const char *key)
{
    const char *s = json_string_value(json_object_get(v, key));
    return s ? s : "";
}

static unsigned long long num_of(const json_t *v, const char *key)
{
    return (unsigned long long)json_integer_value(json_object_get(v, key));
}

/* The ledger of events, under the same mechanism as the audit log. */
static int verify_ledger(sk_store *store, sk_keyring *keyring)
{
    uint64_t rows = 0, heads = 0, bad = 0;
    sk_diag diag;
    sk_err rc;

    sk_diag_clear(&diag);
    rc = sk_ledger_verify(store, keyring, &rows, &heads, &bad, &diag);
    if (rc != SK_OK) {
        printf("ledger FAILED at seq %llu\n", (unsigned long long)bad);
        sk_cli_error("audit verify", rc, &diag);
        return SK_EXIT_FAIL;
    }
    printf("ledger ok: %llu rows verified under %llu signed tree heads\n", (unsigned long long)rows,
           (unsigned long long)heads);
    return SK_EXIT_OK;
}

/* Offline, no writer runs: an unsigned tail is damage too (strict), and a
 * log shorter than the database acknowledged was truncated. */
static int cmd_verify(const audit_opts *o)
{
    audit_ctx a;
    json_t *v = NULL, *head;
    sk_err rc;
    int code;

    code = audit_begin(o, &a);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_audit_verify_json(a.path, a.keyring, sk_cli_audit_expected_size(a.store),
                              SK_AUDIT_VERIFY_STRICT, &a.answer, &a.diag);
    if (rc == SK_OK)
        v = answer_json(&a);
    if (json_is_true(json_object_get(v, "ok"))) {
        head = json_object_get(v, "tree_head");
        printf("audit log ok: %llu records verified; tree head size %llu root %s\n",
               num_of(v, "records"), num_of(head, "tree_size"), str_of(head, "root"));
    } else {
        printf("FAILED at record %llu\n", num_of(v, "first_bad_seq"));
        sk_cli_error("audit verify", rc != SK_OK ? rc : SK_ERR_CRYPTO, &a.diag);
        code = SK_EXIT_FAIL;
    }
    json_decref(v);
    if (verify_ledger(a.store, a.keyring) != SK_EXIT_OK)
        code = SK_EXIT_FAIL;
    audit_end(&a);
    return code;
}

static int cmd_tree_head(const audit_opts *o)
{
    audit_ctx a;
    json_t *v = NULL;
    sk_err rc;
    int code;

    code = audit_begin(o, &a);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_audit_tree_head_json(a.path, a.keyring, &a.answer, &a.diag);
    if (!o->json)
        rc = answer_parse(&a, rc, &v);
    if (rc == SK_OK && o->json) {
        printf("%s\n", a.answer.ptr);
    } else if (rc == SK_OK) {
        printf("tree size:  %llu\ntimestamp:  %lld ms\nroot:       %s\nsignature:  %s\n"
               "public key: %s\n",
               num_of(v, "tree_size"),
               (long long)json_integer_value(json_object_get(v, "timestamp_ms")), str_of(v, "root"),
               str_of(v, "signature"), str_of(v, "public_key"));
    } else {
        sk_cli_error("audit tree-head", rc, &a.diag);
        code = SK_EXIT_FAIL;
    }
    json_decref(v);
    audit_end(&a);
    return code;
}

/* One record of who-accessed: a compact JSON line, or a table row. */
static void who_row(const json_t *rec, int json, uint64_t index)
{
    const json_t *f;
    char *text;
    size_t k;

    if (json) {
        text = json_dumps(rec, JSON_COMPACT);
        printf("%s%s\n", index ? "," : "", text ? text : "{}");
        free(text);
        return;
    }
    printf("%-20s %-8s %-12s %-14s %-24s %-6s %-6s ", str_of(rec, "time"), str_of(rec, "agency"),
           str_of(rec, "user"), str_of(rec, "role"), str_of(rec, "purpose"), str_of(rec, "action"),
           str_of(rec, "decision"));
    if (str_of(rec, "rule_id")[0] != '\0')
        printf("%s v%lld:", str_of(rec, "rule_id"),
               (long long)json_integer_value(json_object_get(rec, "rule_version")));
    else
        printf("%s:", str_of(rec, "rule_kind"));
    json_array_foreach(json_object_get(rec, "fields"), k, f)
    {
        printf(" %s", json_string_value(f));
    }
    printf("\n");
}

/* Pages through the library's answer: it returns at most
 * SK_AUDIT_QUERY_LIMIT_MAX records a call. */
static sk_err who_pages(audit_ctx *a, const char *subject, int json, uint64_t *shown,
                        uint64_t *records)
{
    uint64_t offset = 0, total = 0;
    size_t got, i;
    json_t *page, *rec;
    sk_err rc;

    do {
        sk_buf_reset(&a->answer);
        rc = sk_audit_who_accessed(a->path, a->keyring, sk_str_c(subject), offset,
                                   SK_AUDIT_QUERY_LIMIT_MAX, &a->answer, &a->diag);
        rc = answer_parse(a, rc, &page);
        if (rc != SK_OK)
            return rc;
        json_array_foreach(json_object_get(page, "records"), i, rec)
        {
            who_row(rec, json, (*shown)++);
        }
        got = json_array_size(json_object_get(page, "records"));
        total = num_of(page, "total");
        *records = num_of(page, "tree_size");
        offset += got;
        json_decref(page);
    } while (got == SK_AUDIT_QUERY_LIMIT_MAX && offset < total);
    return SK_OK;
}

static int cmd_who(const audit_opts *o, const char *subject)
{
    uint64_t shown = 0, records = 0;
    audit_ctx a;
    sk_err rc;
    int code;

    if (o->json)
        printf("[\n");
    else
        printf("%-20s %-8s %-12s %-14s %-24s %-6s %-6s %s\n", "WHEN", "AGENCY", "USER", "ROLE",
               "PURPOSE", "ACTION", "OUTCOME", "RULE: FIELDS");
    code = audit_begin(o, &a);
    if (code == SK_EXIT_OK) {
        rc = who_pages(&a, subject, o->json, &shown, &records);
        if (rc != SK_OK) {
            sk_cli_error("audit", rc, &a.diag);
            code = SK_EXIT_FAIL;
        }
        audit_end(&a);
    }
    if (o->json)
        printf("]\n");
    else if (code == SK_EXIT_OK)
        printf("%llu decisions about %s in %llu audit records\n", (unsigned long long)shown,
               subject, (unsigned long long)records);
    return code;
}

static void print_report(const json_t *report)
{
    const json_t *denials = json_object_get(report, "denials");
    const json_t *break_glass = json_object_get(report, "break_glass");
    const char *key;
    json_t *v;
    size_t i;

    printf("%-40s %8s\n", "AGENCY|PURPOSE|DECISION", "COUNT");
    json_object_foreach(json_object_get(report, "counts"), key, v)
    {
        printf("%-40s %8lld\n", key, (long long)json_integer_value(v));
    }
    printf("\ndenials (%zu):\n", json_array_size(denials));
    json_array_foreach(denials, i, v)
    {
        printf("  #%llu %s %s %s: %s\n", num_of(v, "seq"), str_of(v, "time"), str_of(v, "agency"),
               str_of(v, "purpose"), str_of(v, "reason"));
    }
    printf("\nbreak-glass uses awaiting review (%zu):\n", json_array_size(break_glass));
    json_array_foreach(break_glass, i, v)
    {
        printf("  #%llu %s %s %s\n", num_of(v, "seq"), str_of(v, "time"), str_of(v, "agency"),
               str_of(v, "user"));
    }
}

static int cmd_report(const audit_opts *o)
{
    audit_ctx a;
    json_t *v = NULL;
    sk_err rc;
    int code;

    code = audit_begin(o, &a);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_audit_report(a.path, a.keyring, o->from * 1000, o->to * 1000, &a.answer, &a.diag);
    if (!o->json)
        rc = answer_parse(&a, rc, &v);
    if (rc == SK_OK && o->json) {
        printf("%s\n", a.answer.ptr);
    } else if (rc == SK_OK) {
        print_report(v);
    } else {
        sk_cli_error("audit", rc, &a.diag);
        code = SK_EXIT_FAIL;
    }
    json_decref(v);
    audit_end(&a);
    return code;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes a hash the library printed (64 lower-case hex digits); 0 if not. */
static int hash_of(const json_t *v, unsigned char out[SK_HASH_BYTES])
{
    const char *s = json_string_value(v);
    size_t i;

    if (s == NULL || strlen(s) != 2 * SK_HASH_BYTES)
        return 0;
    for (i = 0; i < SK_HASH_BYTES; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 1;
}

/* Prints a proof of the answer and decodes it for checking; 0 when it is
 * malformed (then nothing verifies). */
static int print_proof(const char *what, const json_t *v, const char *root_key,
                       const char *size_key, unsigned char proof[][SK_HASH_BYTES], size_t *count)
{
    const json_t *hashes = json_object_get(v, "proof"), *h;
    size_t i;
    int ok = json_array_size(hashes) <= SK_MERKLE_PROOF_MAX;

    printf("%s\ntree size: %llu\nroot:      %s\n", what, num_of(v, size_key), str_of(v, root_key));
    *count = 0;
    json_array_foreach(hashes, i, h)
    {
        printf("  %s\n", json_string_value(h) ? json_string_value(h) : "");
        ok = ok && hash_of(h, proof[(*count)++]);
    }
    return ok;
}

static int cmd_proof(const audit_opts *o, uint64_t seq)
{
    unsigned char proof[SK_MERKLE_PROOF_MAX][SK_HASH_BYTES], root[SK_HASH_BYTES],
        leaf[SK_HASH_BYTES];
    audit_ctx a;
    json_t *v = NULL;
    size_t count = 0;
    int code, ok;
    sk_err rc;

    code = audit_begin(o, &a);
    if (code != SK_EXIT_OK)
        return code;
    /* The library reads tree size 0 as "the latest"; here it is a tree of
     * nothing, which holds no record. */
    rc = o->has_tree_size && o->tree_size == 0
             ? sk_diag_set(&a.diag, SK_ERR_INVALID, "seq", "no record %llu in a tree of 0",
                           (unsigned long long)seq)
             : sk_audit_inclusion_json(a.path, a.keyring, seq, o->has_tree_size ? o->tree_size : 0,
                                       &a.answer, &a.diag);
    rc = answer_parse(&a, rc, &v);
    if (rc == SK_OK) {
        ok = print_proof("inclusion proof", v, "root", "tree_size", proof, &count);
        ok = ok && hash_of(json_object_get(v, "root"), root) &&
             hash_of(json_object_get(v, "leaf_hash"), leaf) &&
             sk_merkle_verify_inclusion(seq, num_of(v, "tree_size"), leaf,
                                        (const unsigned char(*)[SK_HASH_BYTES])proof, count, root);
        printf("verifies: %s\n", ok ? "yes" : "NO");
    } else {
        sk_cli_error("audit proof", rc, &a.diag);
        code = SK_EXIT_FAIL;
    }
    json_decref(v);
    audit_end(&a);
    return code;
}

static int cmd_consistency(const audit_opts *o, uint64_t old_size, uint64_t new_size)
{
    unsigned char proof[SK_MERKLE_PROOF_MAX][SK_HASH_BYTES], old_root[SK_HASH_BYTES],
        new_root[SK_HASH_BYTES];
    audit_ctx a;
    json_t *v = NULL;
    size_t count = 0;
    int code, ok;
    sk_err rc;

    code = audit_begin(o, &a);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_audit_consistency_json(a.path, a.keyring, old_size, new_size, &a.answer, &a.diag);
    rc = answer_parse(&a, rc, &v);
    if (rc == SK_OK) {
        printf("old size:  %llu\nold root:  %s\n", num_of(v, "old_size"), str_of(v, "old_root"));
        ok = print_proof("consistency proof", v, "new_root", "new_size", proof, &count);
        ok = ok && hash_of(json_object_get(v, "old_root"), old_root) &&
             hash_of(json_object_get(v, "new_root"), new_root) &&
             sk_merkle_verify_consistency(old_size, new_size, old_root, new_root,
                                          (const unsigned char(*)[SK_HASH_BYTES])proof, count);
        printf("verifies: %s\n", ok ? "yes" : "NO");
    } else {
        sk_cli_error("audit consistency", rc, &a.diag);
        code = SK_EXIT_FAIL;
    }
    json_decref(v);
    audit_end(&a);
    return code;
}

static int parse(int argc, char **argv, audit_opts *o)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"from", required_argument, NULL, 'f'},
                                             {"to", required_argument, NULL, 't'},
                                             {"tree-size", required_argument, NULL, 'n'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    char *end;
    int c;

    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:jf:t:n:h", longopts, NULL);
        if (c == -1)
            break;
        if (c == 'd') {
            o->db = optarg;
        } else if (c == 'j') {
            o->json = 1;
        } else if (c == 'f' || c == 't') {
            int64_t *slot = c == 'f' ? &o->from : &o->to;
            if (sk_time_parse_human_date(sk_str_c(optarg), slot) != SK_OK)
                return sk_cli_usage_error("audit", "--from/--to take a date YYYY-MM-DD");
            if (c == 't')
                *slot += 86400;
        } else if (c == 'n') {
            o->tree_size = strtoull(optarg, &end, 10);
            o->has_tree_size = 1;
            if (*optarg == '\0' || *end != '\0')
                return sk_cli_usage_error("audit", "--tree-size takes a number");
        } else if (c == 'h') {
            help(stdout);
            return SK_EXIT_OK;
        } else {
            help(stderr);
            return SK_EXIT_USAGE;
        }
    }
    return -1;
}

static int number(const char *s, uint64_t *out)
{
    char *end;

    *out = strtoull(s, &end, 10);
    return *s != '\0' && *end == '\0';
}

int sk_cli_audit(int argc, char **argv)
{
    audit_opts o;
    uint64_t a = 0, b = 0;
    const char *sub;
    int code, n;

    memset(&o, 0, sizeof(o));
    if (argc < 2 || argv[1][0] == '-') {
        if (sk_cli_wants_help(argc, argv)) {
            help(stdout);
            return SK_EXIT_OK;
        }
        return sk_cli_usage_error("audit", "expected verify, tree-head, who-accessed, report, "
                                           "proof or consistency");
    }
    sub = argv[1];
    code = parse(argc - 1, argv + 1, &o);
    if (code >= 0)
        return code;
    n = argc - 1 - optind;
    argv += 1 + optind;
    if (strcmp(sub, "verify") == 0 && n == 0)
        return cmd_verify(&o);
    if (strcmp(sub, "tree-head") == 0 && n == 0)
        return cmd_tree_head(&o);
    if (strcmp(sub, "who-accessed") == 0 && n == 1)
        return cmd_who(&o, argv[0]);
    if (strcmp(sub, "report") == 0 && n == 0)
        return cmd_report(&o);
    if (strcmp(sub, "proof") == 0 && n == 1 && number(argv[0], &a))
        return cmd_proof(&o, a);
    if (strcmp(sub, "consistency") == 0 && n == 2 && number(argv[0], &a) && number(argv[1], &b))
        return cmd_consistency(&o, a, b);
    return sk_cli_usage_error("audit", "unknown audit command or arguments");
}
