/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_children.c: safekeep children: the list a case manager filters, read
 * from the projections (cmd_child.c shows one child).
 */
#include <ctype.h>
#include <getopt.h>

#include "cli.h"
#include "safekeep/sk_buf.h"
#include "safekeep/sk_ingest.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define OUT_MAX (16 * 1024 * 1024)

static void date_or_dash(int64_t t, char buf[SK_DATE_LEN + 1])
{
    if (t == 0)
        snprintf(buf, SK_DATE_LEN + 1, "-");
    else
        sk_time_format_date(t, buf);
}

sk_err sk_cli_child_json(const sk_child_row *r, sk_buf *b)
{
    char appr[16], rel[16], hear[16], dq[128];
    sk_err rc;

    date_or_dash(r->apprehended_at, appr);
    date_or_dash(r->released_at, rel);
    date_or_dash(r->next_hearing_at, hear);
    sk_dq_format(r->dq_flags, dq, sizeof(dq));
    rc = sk_buf_appendc(b, "{\"child_id\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(b, r->child_id);
    if (rc == SK_OK)
        rc = sk_buf_printf(b,
                           ",\"custody\":\"%.*s\",\"court\":\"%.*s\",\"country\":\"%.*s\","
                           "\"language\":\"%.*s\",\"facility\":",
                           (int)r->custody.len, r->custody.ptr, (int)r->court.len, r->court.ptr,
                           (int)r->country.len, r->country.ptr, (int)r->language.len,
                           r->language.ptr);
    if (rc == SK_OK)
        rc = r->facility.len ? sk_buf_json_str(b, r->facility) : sk_buf_appendc(b, "null");
    if (rc == SK_OK)
        rc = sk_buf_printf(b,
                           ",\"age_years\":%lld,\"apprehended\":\"%s\",\"released\":\"%s\","
                           "\"next_hearing\":\"%s\",\"events\":%u,\"quality\":\"%s\"}",
                           (long long)r->age_years, appr, rel, hear, r->event_count, dq);
    return rc;
}

typedef struct list_ctx {
    int json;
    uint64_t n;
    sk_buf out;
    sk_err rc;
} list_ctx;

static int print_child(const sk_child_row *r, void *vctx)
{
    list_ctx *ctx = vctx;
    char appr[16], rel[16], hear[16];

    if (ctx->json) {
        sk_buf_reset(&ctx->out);
        ctx->rc = sk_cli_child_json(r, &ctx->out);
        if (ctx->rc != SK_OK)
            return 1;
        printf("%s%s\n", ctx->n ? "," : "", ctx->out.ptr);
    } else {
        date_or_dash(r->apprehended_at, appr);
        date_or_dash(r->released_at, rel);
        date_or_dash(r->next_hearing_at, hear);
        printf("%-14.*s %-12.*s %-18.*s %-3.*s %-12.*s %-10s %-10s %-10s\n", (int)r->child_id.len,
               r->child_id.ptr, (int)r->custody.len, r->custody.ptr, (int)r->court.len,
               r->court.ptr, (int)r->country.len, r->country.ptr, (int)r->facility.len,
               r->facility.ptr, appr, rel, hear);
    }
    ctx->n++;
    return 0;
}

static void children_help(FILE *out)
{
    fprintf(out,
            "usage: safekeep children [--db PATH] [--status S] [--court-status S]\n"
            "                         [--country CC] [--facility F] [--from DATE] [--to DATE]\n"
            "                         [--limit N] [--offset N] [--purpose P] [--json]\n\n"
            "Lists children by id. --status is the custody status: apprehended, referred,\n"
            "in_care, released, discharged, closed. --court-status: none, nta_filed,\n"
            "hearing_scheduled, failed_to_appear, ordered_removed, relief_pending,\n"
            "relief_granted, relief_denied. --from/--to filter the apprehension date.\n"
            "Default limit 50. Every child listed is recorded in the audit log as read\n"
            "for purpose P (default child_welfare) before the list is shown.\n");
}

static int parse_filter_opt(int c, const char *arg, sk_child_filter *f)
{
    sk_custody cu;
    sk_court co;
    int64_t t;
    char *end;

    switch (c) {
    case 's':
        if (sk_custody_parse(sk_str_c(arg), &cu) != SK_OK)
            return sk_cli_usage_error("children", "unknown --status");
        f->custody = (int)cu + 1;
        return 0;
    case 'c':
        if (sk_court_parse(sk_str_c(arg), &co) != SK_OK)
            return sk_cli_usage_error("children", "unknown --court-status");
        f->court = (int)co + 1;
        return 0;
    case 'C':
        if (strlen(arg) != 2)
            return sk_cli_usage_error("children", "--country takes a 2-letter code");
        f->country[0] = (char)toupper((unsigned char)arg[0]);
        f->country[1] = (char)toupper((unsigned char)arg[1]);
        f->country[2] = '\0';
        return 0;
    case 'F':
        snprintf(f->facility, sizeof(f->facility), "%s", arg);
        return 0;
    case 'f':
    case 't':
        if (sk_time_parse_human_date(sk_str_c(arg), &t) != SK_OK)
            return sk_cli_usage_error("children", "--from/--to take a date YYYY-MM-DD");
        if (c == 'f')
            f->apprehended_from = t;
        else
            f->apprehended_to = t + 86400;
        return 0;
    case 'l':
    case 'o':
        t = (int64_t)strtoll(arg, &end, 10);
        if (*arg == '\0' || *end != '\0' || t < 0 || t > 100000000)
            return sk_cli_usage_error("children", "--limit/--offset take a number");
        if (c == 'l')
            f->limit = (uint32_t)t;
        else
            f->offset = (uint64_t)t;
        return 0;
    default:
        children_help(stderr);
        return SK_EXIT_USAGE;
    }
}

typedef struct ids_ctx {
    char (*ids)[SK_ID_LEN_MAX + 1];
    sk_str *strs;
    size_t count, cap;
} ids_ctx;

static int collect_id(const sk_child_row *r, void *vctx)
{
    ids_ctx *c = vctx;

    if (c->count == c->cap)
        return 1;
    snprintf(c->ids[c->count], sizeof(c->ids[0]), "%.*s", (int)r->child_id.len, r->child_id.ptr);
    c->strs[c->count] = sk_str_c(c->ids[c->count]);
    c->count++;
    return 0;
}

/* The listing's fields, as the audit log names them. */
static uint64_t listed_fields(void)
{
    static const char *const names[] = {
        "custody_status",    "court_status", "country_of_birth", "language",    "facility", "age",
        "apprehension_date", "release_date", "hearing_dates",    "data_quality"};
    uint64_t mask = 0;
    size_t i;

    for (i = 0; i < SK_ARRAY_LEN(names); i++)
        mask |= (uint64_t)1 << sk_policy_lookup(sk_policy_field_names, sk_str_c(names[i]));
    return mask;
}

/* Records the read of every child the listing will show, before showing it. */
static int audit_listing(const char *db, sk_store *store, sk_keyring *keyring,
                         const sk_child_filter *f, const char *purpose)
{
    ids_ctx c = {NULL, NULL, 0, f->limit ? f->limit : 50};
    sk_diag diag;
    int code = SK_EXIT_OK;

    sk_diag_clear(&diag);
    c.ids = calloc(c.cap, sizeof(*c.ids));
    c.strs = calloc(c.cap, sizeof(*c.strs));
    if (c.ids == NULL || c.strs == NULL ||
        sk_store_children_list(store, f, collect_id, &c, &diag) != SK_OK) {
        sk_cli_error("children", SK_ERR_STORE, &diag);
        code = SK_EXIT_FAIL;
    }
    if (code == SK_EXIT_OK)
        code = sk_cli_audit_operator_read(db, store, keyring, purpose, c.strs, c.count,
                                          listed_fields());
    free(c.ids);
    free(c.strs);
    return code;
}

static int list(const char *db, const sk_child_filter *f, int json, const char *purpose)
{
    list_ctx ctx = {json, 0, {0}, SK_OK};
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    sk_diag diag;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    sk_buf_init(&ctx.out, OUT_MAX);
    code = sk_cli_open(db, &store, &keyring);
    if (code == SK_EXIT_OK)
        code = audit_listing(db, store, keyring, f, purpose);
    if (code != SK_EXIT_OK) {
        sk_buf_fini(&ctx.out);
        sk_cli_close(store, keyring);
        return code;
    }
    if (json)
        printf("[\n");
    else
        printf("%-14s %-12s %-18s %-3s %-12s %-10s %-10s %-10s\n", "CHILD", "CUSTODY", "COURT",
               "CC", "FACILITY", "APPREHEND", "RELEASED", "HEARING");
    rc = sk_store_children_list(store, f, print_child, &ctx, &diag);
    if (rc == SK_OK)
        rc = ctx.rc;
    if (json)
        printf("]\n");
    if (rc != SK_OK) {
        sk_cli_error("children", rc, &diag);
        code = SK_EXIT_FAIL;
    }
    sk_buf_fini(&ctx.out);
    sk_cli_close(store, keyring);
    return code;
}

int sk_cli_children(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"status", required_argument, NULL, 's'},
                                         {"court-status", required_argument, NULL, 'c'},
                                         {"country", required_argument, NULL, 'C'},
                                         {"facility", required_argument, NULL, 'F'},
                                         {"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"offset", required_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"purpose", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    sk_child_filter f;
    const char *db = NULL, *purpose = "child_welfare";
    int c, json = 0, code;

    memset(&f, 0, sizeof(f));
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:s:c:C:F:f:t:l:o:jp:h", opts, NULL);
        if (c == -1)
            break;
        if (c == 'd') {
            db = optarg;
        } else if (c == 'j') {
            json = 1;
        } else if (c == 'p') {
            purpose = optarg;
            if (sk_policy_lookup(sk_purpose_names, sk_str_c(purpose)) < 0)
                return sk_cli_usage_error("children", "unknown --purpose");
        } else if (c == 'h') {
            children_help(stdout);
            return SK_EXIT_OK;
        } else {
            code = parse_filter_opt(c, optarg, &f);
            if (code != 0)
                return code;
        }
    }
    if (optind != argc)
        return sk_cli_usage_error("children", "unexpected argument");
    return list(sk_cli_db_path(db), &f, json, purpose);
}
