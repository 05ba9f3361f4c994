/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_child.c: safekeep child show (ID | --a-number A) and safekeep stats.
 * The timeline is read from the ledger in the order events happened, with
 * each event's data-quality flags, so a case manager sees what is known and
 * how sure it is. Identity is unsealed only for display.
 */
#include <getopt.h>

#include "cli.h"
#include "safekeep/sk_buf.h"
#include "safekeep/sk_ingest.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define OUT_MAX      (16 * 1024 * 1024)
#define IDENTITY_MAX 8192

typedef struct show_ctx {
    int json;
    uint64_t n;
    sk_arena *arena;
    sk_buf out;
    sk_err rc;
    sk_diag *diag;
} show_ctx;

static void print_fields(const sk_event *ev)
{
    const sk_event_def *def = sk_event_def_get(ev->type);
    size_t i;

    for (i = 0; i < def->field_count; i++) {
        if (ev->values[i].present && !(def->fields[i].flags & SK_FF_IDENTITY))
            printf(" %s=%.*s", def->fields[i].name, (int)ev->values[i].text.len,
                   ev->values[i].text.ptr);
    }
}

static int timeline_row(const sk_ledger_row *row, void *vctx)
{
    show_ctx *ctx = vctx;
    char when[SK_DATE_LEN + 1], dq[128];
    sk_event ev;

    sk_arena_reset(ctx->arena);
    ctx->rc = sk_event_from_row(row, ctx->arena, &ev, ctx->diag);
    if (ctx->rc != SK_OK)
        return 1;
    if (ctx->json) {
        sk_buf_reset(&ctx->out);
        ctx->rc = sk_event_to_json(&ev, row->seq, NULL, &ctx->out);
        if (ctx->rc != SK_OK)
            return 1;
        printf("%s%s\n", ctx->n ? "," : "", ctx->out.ptr);
    } else {
        sk_time_format_date(ev.occurred_at, when);
        printf("  %s  %-20s %-8.*s", when, sk_event_def_get(ev.type)->name, (int)ev.agency.len,
               ev.agency.ptr);
        print_fields(&ev);
        if (ev.dq_flags) {
            sk_dq_format(ev.dq_flags, dq, sizeof(dq));
            printf("  [%s]", dq);
        }
        printf("\n");
    }
    ctx->n++;
    return 0;
}

static int header_row(const sk_child_row *r, void *vctx)
{
    show_ctx *ctx = vctx;
    char appr[16] = "-", rel[16] = "-", hear[16] = "-", dq[128];

    if (ctx->json) {
        sk_buf_reset(&ctx->out);
        ctx->rc = sk_cli_child_json(r, &ctx->out);
        printf("\"child\":%s,\n", ctx->rc == SK_OK ? ctx->out.ptr : "null");
        return 0;
    }
    if (r->apprehended_at)
        sk_time_format_date(r->apprehended_at, appr);
    if (r->released_at)
        sk_time_format_date(r->released_at, rel);
    if (r->next_hearing_at)
        sk_time_format_date(r->next_hearing_at, hear);
    sk_dq_format(r->dq_flags, dq, sizeof(dq));
    printf("child %.*s\n  custody: %.*s   court: %.*s\n  country: %.*s   language: %.*s   "
           "age at apprehension: %lld\n  apprehended: %s   released: %s   next hearing: %s\n"
           "  facility: %.*s\n  data quality: %s\n",
           (int)r->child_id.len, r->child_id.ptr, (int)r->custody.len, r->custody.ptr,
           (int)r->court.len, r->court.ptr, (int)r->country.len, r->country.ptr,
           (int)r->language.len, r->language.ptr, (long long)r->age_years, appr, rel, hear,
           r->facility.len ? (int)r->facility.len : 1, r->facility.len ? r->facility.ptr : "-",
           dq[0] ? dq : "ok");
    return 0;
}

static sk_err show(sk_store *store, sk_keyring *keyring, sk_str id, show_ctx *ctx)
{
    char identity[IDENTITY_MAX];
    sk_err rc;

    if (ctx->json)
        printf("{");
    rc = sk_store_child_get(store, id, header_row, ctx, ctx->diag);
    if (rc == SK_ERR_NOT_FOUND)
        return sk_diag_set(ctx->diag, rc, "", "no child with that id");
    if (rc != SK_OK)
        return rc;
    rc = sk_identity_get(store, keyring, id, identity, sizeof(identity), ctx->diag);
    if (rc == SK_ERR_NOT_FOUND)
        snprintf(identity, sizeof(identity), "{}");
    else if (rc != SK_OK)
        return rc;
    printf(ctx->json ? "\"identity\":%s,\n\"timeline\":[\n" : "  identity: %s\ntimeline:\n",
           identity);
    sk_wipe(identity, sizeof(identity));
    rc = sk_store_ledger_scan(store, SK_SCAN_CHILD, id, timeline_row, ctx, ctx->diag);
    if (rc == SK_OK)
        rc = ctx->rc;
    if (ctx->json)
        printf("]}\n");
    return rc;
}

/* An A-number may belong to a sponsor or household member as well as a
 * child: the blind index is shared, so candidates are checked for a case. */
#define FOUND_MAX 8
typedef struct found {
    char ids[FOUND_MAX][SK_ID_LEN_MAX + 1];
    int count;
} found;

static int on_found(const sk_child_row *r, void *vctx)
{
    found *f = vctx;
    snprintf(f->ids[f->count], sizeof(f->ids[0]), "%.*s", (int)r->child_id.len, r->child_id.ptr);
    f->count++;
    return f->count == FOUND_MAX;
}

static int ignore_row(const sk_child_row *r, void *ctx)
{
    (void)r;
    (void)ctx;
    return 0;
}

static sk_err find_child_by_anumber(sk_store *store, sk_keyring *keyring, const char *anum,
                                    found *f, const char **id, sk_diag *diag)
{
    sk_err rc;
    int i;

    rc = sk_identity_find_anumber(store, keyring, sk_str_c(anum), on_found, f, diag);
    for (i = 0; rc == SK_OK && i < f->count; i++) {
        rc = sk_store_child_get(store, sk_str_c(f->ids[i]), ignore_row, NULL, diag);
        if (rc == SK_OK) {
            *id = f->ids[i];
            return SK_OK;
        }
        if (rc == SK_ERR_NOT_FOUND)
            rc = SK_OK;
    }
    if (rc == SK_OK)
        rc = sk_diag_set(diag, SK_ERR_NOT_FOUND, "a_number", "no child with that A-number");
    return rc;
}

static int run_show(const char *db, const char *id, const char *anum, int json, const char *purpose)
{
    show_ctx ctx = {json, 0, NULL, {0}, SK_OK, NULL};
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    found f;
    sk_diag diag;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    memset(&f, 0, sizeof(f));
    ctx.diag = &diag;
    sk_buf_init(&ctx.out, OUT_MAX);
    code = sk_cli_open(db, &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_arena_new(64 * 1024, 4 * 1024 * 1024, &ctx.arena);
    if (rc == SK_OK && anum != NULL)
        rc = find_child_by_anumber(store, keyring, anum, &f, &id, &diag);
    if (rc == SK_OK)
        rc = sk_store_child_get(store, sk_str_c(id), ignore_row, NULL, &diag);
    if (rc == SK_ERR_NOT_FOUND)
        rc = sk_diag_set(&diag, rc, "", "no child with that id");
    if (rc != SK_OK) {
        sk_cli_error("child show", rc, &diag);
        code = SK_EXIT_FAIL;
    }
    /* Nothing is shown unless the read is on record. */
    if (code == SK_EXIT_OK) {
        sk_str child = sk_str_c(id);
        code = sk_cli_audit_operator_read(db, store, keyring, purpose, &child, 1,
                                          ~(uint64_t)0 >> (64 - sk_policy_field_count()));
    }
    if (code == SK_EXIT_OK) {
        rc = show(store, keyring, sk_str_c(id), &ctx);
        if (rc != SK_OK) {
            sk_cli_error("child show", rc, &diag);
            code = SK_EXIT_FAIL;
        }
    }
    sk_arena_free(ctx.arena);
    sk_buf_fini(&ctx.out);
    sk_cli_close(store, keyring);
    return code;
}

static void child_help(FILE *out)
{
    fprintf(out, "usage: safekeep child show [--db PATH] [--json] [--purpose P]\n"
                 "                          (ID | --a-number A)\n\n"
                 "Shows a child's case (custody and court status, placement, dates, data\n"
                 "quality), identity, and timeline of events in the order they happened.\n"
                 "--a-number finds the child through the keyed blind index. The read is\n"
                 "recorded in the audit log, for purpose P (default child_welfare), before\n"
                 "anything is shown.\n");
}

int sk_cli_child(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"a-number", required_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},     {"purpose", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0}};
    const char *db = NULL, *anum = NULL, *purpose = "child_welfare";
    int c, json = 0;

    if (argc < 2 || strcmp(argv[1], "show") != 0) {
        if (sk_cli_wants_help(argc, argv)) {
            child_help(stdout);
            return SK_EXIT_OK;
        }
        return sk_cli_usage_error("child", "expected 'child show'");
    }
    optind = 1;
    argc--;
    argv++;
    for (;;) {
        c = getopt_long(argc, argv, "d:a:jp:h", opts, NULL);
        if (c == -1)
            break;
        if (c == 'd') {
            db = optarg;
        } else if (c == 'a') {
            anum = optarg;
        } else if (c == 'j') {
            json = 1;
        } else if (c == 'p') {
            purpose = optarg;
            if (sk_policy_lookup(sk_purpose_names, sk_str_c(purpose)) < 0)
                return sk_cli_usage_error("child show", "unknown --purpose");
        } else if (c == 'h') {
            child_help(stdout);
            return SK_EXIT_OK;
        } else {
            child_help(stderr);
            return SK_EXIT_USAGE;
        }
    }
    if ((anum == NULL) == (optind == argc) || argc - optind > 1)
        return sk_cli_usage_error("child show", "give a child id or --a-number, not both");
    return run_show(sk_cli_db_path(db), anum ? NULL : argv[optind], anum, json, purpose);
}

static int run_stats(const char *db, int json)
{
    uint64_t counts[SK_CUSTODY__COUNT], total = 0;
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    sk_diag diag;
    size_t i;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    code = sk_cli_open(db, &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_store_count_by_custody(store, counts, &diag);
    if (rc != SK_OK) {
        sk_cli_error("stats", rc, &diag);
        code = SK_EXIT_FAIL;
    }
    for (i = 0; rc == SK_OK && i < SK_CUSTODY__COUNT; i++) {
        total += counts[i];
        if (json)
            printf("%s\"%s\":%llu", i ? "," : "{", sk_custody_name((sk_custody)i),
                   (unsigned long long)counts[i]);
        else
            printf("%-12s %10llu\n", sk_custody_name((sk_custody)i), (unsigned long long)counts[i]);
    }
    if (rc == SK_OK && json)
        printf(",\"total\":%llu}\n", (unsigned long long)total);
    else if (rc == SK_OK)
        printf("%-12s %10llu\n", "total", (unsigned long long)total);
    sk_cli_close(store, keyring);
    return code;
}

int sk_cli_stats(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL;
    int c, json = 0;

    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:jh", opts, NULL);
        if (c == -1)
            break;
        if (c == 'd') {
            db = optarg;
        } else if (c == 'j') {
            json = 1;
        } else if (c == 'h') {
            printf("usage: safekeep stats [--db PATH] [--json]\n\n"
                   "Counts children by custody status.\n");
            return SK_EXIT_OK;
        } else {
            return sk_cli_usage_error("stats", "unknown option");
        }
    }
    return run_stats(sk_cli_db_path(db), json);
}
