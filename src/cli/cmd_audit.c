/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_audit.c: safekeep audit verify | tree-head | who-accessed | report |
 * proof | consistency. Every report is computed from the verified log
 * itself, so a report can never show what the log cannot prove.
 */
#include <getopt.h>
#include <jansson.h>
#include <unistd.h>

#include "cli.h"
#include "safekeep/sk_audit.h"
#include "safekeep/sk_ledger_seal.h"
#include "safekeep/sk_merkle.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define REPORT_ROWS_MAX 4096

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

static void hex(const unsigned char *p, size_t n, char *out)
{
    sk_hex_encode(p, n, out);
}

/* Opens the keyring only: the log is read from its file. */
static int open_keys(const audit_opts *o, sk_store **store, sk_keyring **keyring)
{
    return sk_cli_open(sk_cli_db_path(o->db), store, keyring);
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

static int cmd_verify(const audit_opts *o)
{
    char path[4096], root[65];
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    uint64_t records = 0, bad = 0, expected = 0;
    sk_audit_sth head;
    sk_diag diag;
    sk_err rc;
    int code;

    sk_diag_clear(&diag);
    code = open_keys(o, &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    expected = sk_cli_audit_expected_size(store);
    sk_cli_audit_path(sk_cli_db_path(o->db), path, sizeof(path));
    if (expected == 0 && access(path, F_OK) != 0) {
        /* Nothing was ever recorded: no log is the empty log. */
        memset(&head, 0, sizeof(head));
        rc = SK_OK;
    } else {
        rc = sk_audit_verify(path, keyring, NULL, NULL, &records, &head, &bad, &diag);
    }
    if (rc == SK_OK && records < expected) {
        bad = records;
        rc = sk_diag_set(&diag, SK_ERR_CRYPTO, "audit log",
                         "record %llu: missing (the log was truncated; %llu records were "
                         "acknowledged)",
                         (unsigned long long)records, (unsigned long long)expected);
    }
    if (rc != SK_OK) {
        printf("FAILED at record %llu\n", (unsigned long long)bad);
        sk_cli_error("audit verify", rc, &diag);
        code = SK_EXIT_FAIL;
    } else {
        hex(head.root, 32, root);
        printf("audit log ok: %llu records verified; tree head size %llu root %s\n",
               (unsigned long long)records, (unsigned long long)head.size, root);
    }
    if (verify_ledger(store, keyring) != SK_EXIT_OK)
        code = SK_EXIT_FAIL;
    sk_cli_close(store, keyring);
    return code;
}

static int cmd_tree_head(const audit_opts *o)
{
    char path[4096], root[65], sig[129], key[65];
    unsigned char pub[32];
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    uint64_t records = 0, bad = 0;
    sk_audit_sth head;
    sk_diag diag;
    sk_err rc;
    int code;

    sk_diag_clear(&diag);
    code = open_keys(o, &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_audit_verify(sk_cli_audit_path(sk_cli_db_path(o->db), path, sizeof(path)), keyring,
                         NULL, NULL, &records, &head, &bad, &diag);
    if (rc == SK_OK) {
        sk_audit_public_key(keyring, pub);
        hex(head.root, 32, root);
        hex(head.signature, 64, sig);
        hex(pub, 32, key);
        printf(o->json ? "{\"tree_size\":%llu,\"timestamp_ms\":%lld,\"root\":\"%s\","
                         "\"signature\":\"%s\",\"public_key\":\"%s\"}\n"
                       : "tree size:  %llu\ntimestamp:  %lld ms\nroot:       %s\n"
                         "signature:  %s\npublic key: %s\n",
               (unsigned long long)head.size, (long long)head.timestamp_ms, root, sig, key);
    } else {
        sk_cli_error("audit tree-head", rc, &diag);
        code = SK_EXIT_FAIL;
    }
    sk_cli_close(store, keyring);
    return code;
}

/* Reads the verified log, calling cb on each record's parsed JSON. */
typedef void (*record_fn)(uint64_t seq, json_t *rec, void *ctx);

typedef struct walk_ctx {
    record_fn fn;
    void *ctx;
    unsigned char (*leaves)[32]; /* when collecting leaf hashes */
    uint64_t leaf_count, leaf_cap;
} walk_ctx;

static int walk_record(uint64_t seq, sk_str json, void *vctx)
{
    walk_ctx *w = vctx;
    json_error_t jerr;
    json_t *rec;

    if (w->leaves != NULL && w->leaf_count < w->leaf_cap)
        sk_merkle_leaf_hash(json.ptr, json.len, w->leaves[w->leaf_count++]);
    if (w->fn == NULL)
        return 0;
    rec = json_loadb(json.ptr, json.len, 0, &jerr);
    if (rec != NULL) {
        w->fn(seq, rec, w->ctx);
        json_decref(rec);
    }
    return 0;
}

static int walk(const audit_opts *o, walk_ctx *w, uint64_t *records)
{
    char path[4096];
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    uint64_t bad = 0;
    sk_audit_sth head;
    sk_diag diag;
    sk_err rc;
    int code;

    sk_diag_clear(&diag);
    code = open_keys(o, &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_audit_verify(sk_cli_audit_path(sk_cli_db_path(o->db), path, sizeof(path)), keyring,
                         walk_record, w, records, &head, &bad, &diag);
    if (rc != SK_OK) {
        sk_cli_error("audit", rc, &diag);
        code = SK_EXIT_FAIL;
    }
    sk_cli_close(store, keyring);
    return code;
}

static const char *str_of(json_t *rec, const char *key)
{
    const char *s = json_string_value(json_object_get(rec, key));
    return s ? s : "";
}

typedef struct who_ctx {
    const char *subject;
    int json;
    uint64_t n;
} who_ctx;

static void who_row(uint64_t seq, json_t *rec, void *vctx)
{
    who_ctx *w = vctx;
    json_t *subjects = json_object_get(rec, "subjects"), *v, *f;
    size_t i, k;
    int hit = 0;
    char *text;

    json_array_foreach(subjects, i, v)
    {
        hit |= strcmp(json_string_value(v) ? json_string_value(v) : "", w->subject) == 0;
    }
    if (!hit)
        return;
    if (w->json) {
        json_object_set_new(rec, "seq", json_integer((json_int_t)seq));
        text = json_dumps(rec, JSON_COMPACT);
        printf("%s%s\n", w->n ? "," : "", text ? text : "{}");
        free(text);
    } else {
        printf("%-20s %-8s %-12s %-14s %-24s %-6s %-6s ", str_of(rec, "time"),
               str_of(rec, "agency"), str_of(rec, "user"), str_of(rec, "role"),
               str_of(rec, "purpose"), str_of(rec, "action"), str_of(rec, "decision"));
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
    w->n++;
}

static int cmd_who(const audit_opts *o, const char *subject)
{
    who_ctx w = {subject, o->json, 0};
    walk_ctx ctx = {who_row, &w, NULL, 0, 0};
    uint64_t records = 0;
    int code;

    if (o->json)
        printf("[\n");
    else
        printf("%-20s %-8s %-12s %-14s %-24s %-6s %-6s %s\n", "WHEN", "AGENCY", "USER", "ROLE",
               "PURPOSE", "ACTION", "OUTCOME", "RULE: FIELDS");
    code = walk(o, &ctx, &records);
    if (o->json)
        printf("]\n");
    else if (code == SK_EXIT_OK)
        printf("%llu decisions about %s in %llu audit records\n", (unsigned long long)w.n, subject,
               (unsigned long long)records);
    return code;
}

typedef struct report_ctx {
    const audit_opts *o;
    json_t *counts; /* "agency|purpose|decision" -> n */
    json_t *denials;
    json_t *break_glass;
} report_ctx;

static void report_row(uint64_t seq, json_t *rec, void *vctx)
{
    report_ctx *r = vctx;
    json_int_t ms = json_integer_value(json_object_get(rec, "ms"));
    char key[256];
    json_t *n;

    if ((r->o->from && ms < r->o->from * 1000) || (r->o->to && ms >= r->o->to * 1000))
        return;
    snprintf(key, sizeof(key), "%s|%s|%s", str_of(rec, "agency"), str_of(rec, "purpose"),
             str_of(rec, "decision"));
    n = json_object_get(r->counts, key);
    json_object_set_new(r->counts, key, json_integer(n ? json_integer_value(n) + 1 : 1));
    json_object_set_new(rec, "seq", json_integer((json_int_t)seq));
    if (strcmp(str_of(rec, "decision"), "deny") == 0 &&
        json_array_size(r->denials) < REPORT_ROWS_MAX)
        json_array_append(r->denials, rec);
    if (json_is_true(json_object_get(rec, "break_glass")) &&
        json_array_size(r->break_glass) < REPORT_ROWS_MAX)
        json_array_append(r->break_glass, rec);
}

static void print_report(const report_ctx *r)
{
    const char *key;
    json_t *v;
    size_t i;

    printf("%-40s %8s\n", "AGENCY|PURPOSE|DECISION", "COUNT");
    json_object_foreach(r->counts, key, v)
    {
        printf("%-40s %8lld\n", key, (long long)json_integer_value(v));
    }
    printf("\ndenials (%zu):\n", json_array_size(r->denials));
    json_array_foreach(r->denials, i, v)
    {
        printf("  #%lld %s %s %s: %s\n", (long long)json_integer_value(json_object_get(v, "seq")),
               str_of(v, "time"), str_of(v, "agency"), str_of(v, "purpose"), str_of(v, "reason"));
    }
    printf("\nbreak-glass uses awaiting review (%zu):\n", json_array_size(r->break_glass));
    json_array_foreach(r->break_glass, i, v)
    {
        printf("  #%lld %s %s %s\n", (long long)json_integer_value(json_object_get(v, "seq")),
               str_of(v, "time"), str_of(v, "agency"), str_of(v, "user"));
    }
}

static int cmd_report(const audit_opts *o)
{
    report_ctx r = {o, json_object(), json_array(), json_array()};
    walk_ctx ctx = {report_row, &r, NULL, 0, 0};
    uint64_t records = 0;
    json_t *all;
    char *text;
    int code;

    code = walk(o, &ctx, &records);
    if (code == SK_EXIT_OK && o->json) {
        all = json_pack("{s:O,s:O,s:O,s:I}", "counts", r.counts, "denials", r.denials,
                        "break_glass", r.break_glass, "records", (json_int_t)records);
        text = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
        printf("%s\n", text ? text : "{}");
        free(text);
        json_decref(all);
    } else if (code == SK_EXIT_OK) {
        print_report(&r);
    }
    json_decref(r.counts);
    json_decref(r.denials);
    json_decref(r.break_glass);
    return code;
}

static sk_err leaf_at(uint64_t index, unsigned char out[32], void *vctx)
{
    walk_ctx *w = vctx;

    if (index >= w->leaf_count)
        return SK_ERR_NOT_FOUND;
    memcpy(out, w->leaves[index], 32);
    return SK_OK;
}

/* Collects every leaf hash of the verified log. */
static int collect_leaves(const audit_opts *o, walk_ctx *w, uint64_t *records)
{
    w->leaf_cap = 1u << 24;
    w->leaves = calloc(w->leaf_cap, 32);
    if (w->leaves == NULL)
        return SK_EXIT_FAIL;
    return walk(o, w, records);
}

static void print_proof(const char *what, unsigned char proof[][32], size_t count,
                        const unsigned char root[32], uint64_t size)
{
    char h[65];
    size_t i;

    sk_hex_encode(root, 32, h);
    printf("%s\ntree size: %llu\nroot:      %s\n", what, (unsigned long long)size, h);
    for (i = 0; i < count; i++) {
        sk_hex_encode(proof[i], 32, h);
        printf("  %s\n", h);
    }
}

static int cmd_proof(const audit_opts *o, uint64_t seq)
{
    walk_ctx w = {NULL, NULL, NULL, 0, 0};
    unsigned char proof[SK_MERKLE_PROOF_MAX][32], root[32], leaf[32];
    uint64_t records = 0, size;
    size_t count = 0;
    int code;

    code = collect_leaves(o, &w, &records);
    size = o->has_tree_size ? o->tree_size : records;
    if (code == SK_EXIT_OK &&
        (seq >= size || size > records ||
         sk_merkle_inclusion_proof(seq, size, leaf_at, &w, proof, &count) != SK_OK ||
         sk_merkle_root(size, leaf_at, &w, root) != SK_OK)) {
        fprintf(stderr, "safekeep audit proof: no record %llu in a tree of %llu\n",
                (unsigned long long)seq, (unsigned long long)size);
        code = SK_EXIT_FAIL;
    }
    if (code == SK_EXIT_OK) {
        memcpy(leaf, w.leaves[seq], 32);
        print_proof("inclusion proof", proof, count, root, size);
        printf("verifies: %s\n",
               sk_merkle_verify_inclusion(seq, size, leaf, (const unsigned char(*)[32])proof, count,
                                          root)
                   ? "yes"
                   : "NO");
    }
    free(w.leaves);
    return code;
}

static int cmd_consistency(const audit_opts *o, uint64_t old_size, uint64_t new_size)
{
    walk_ctx w = {NULL, NULL, NULL, 0, 0};
    unsigned char proof[SK_MERKLE_PROOF_MAX][32], old_root[32], new_root[32];
    uint64_t records = 0;
    size_t count = 0;
    char h[65];
    int code;

    code = collect_leaves(o, &w, &records);
    if (code == SK_EXIT_OK &&
        (old_size == 0 || old_size > new_size || new_size > records ||
         sk_merkle_consistency_proof(old_size, new_size, leaf_at, &w, proof, &count) != SK_OK ||
         sk_merkle_root(old_size, leaf_at, &w, old_root) != SK_OK ||
         sk_merkle_root(new_size, leaf_at, &w, new_root) != SK_OK)) {
        fprintf(stderr, "safekeep audit consistency: sizes must satisfy 0 < OLD <= NEW <= %llu\n",
                (unsigned long long)records);
        code = SK_EXIT_FAIL;
    }
    if (code == SK_EXIT_OK) {
        sk_hex_encode(old_root, 32, h);
        printf("old size:  %llu\nold root:  %s\n", (unsigned long long)old_size, h);
        print_proof("consistency proof", proof, count, new_root, new_size);
        printf("verifies: %s\n",
               sk_merkle_verify_consistency(old_size, new_size, old_root, new_root,
                                            (const unsigned char(*)[32])proof, count)
                   ? "yes"
                   : "NO");
    }
    free(w.leaves);
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
