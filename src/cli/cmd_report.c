/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_report.c: safekeep report: aggregate reports over the ledger. The
 * first is "tracking" (sk_tracking.h): how many children are out of sight,
 * category by category. A report prints counts only, never an id or a name,
 * so it discloses no child's record and writes no audit record; a report
 * that listed children would have to, as "children" does.
 */
#include <errno.h>
#include <getopt.h>

#include "cli.h"
#include "safekeep/sk_id.h"
#include "safekeep/sk_time.h"
#include "safekeep/sk_tracking.h"

#include "sk_int.h"

#define DAY_SECONDS 86400LL

typedef struct report_opts {
    const char *db;
    sk_tracking_opts tracking;
    int json;
} report_opts;

static void report_help(FILE *out)
{
    fprintf(out,
            "usage: safekeep report tracking [--db PATH] [--at DATE] [--nta-days N]\n"
            "                                [--child-welfare-agency A] [--json]\n\n"
            "Counts of children out of sight, each category its own count (a child may\n"
            "count in several): missed_hearing (a hearing outcome failed_to_appear or\n"
            "in_absentia_order), in_absentia_order, and among children released to a\n"
            "sponsor: without_nta_after_days (released at least N days before the date,\n"
            "no nta_filed by then), address_blank, address_undeliverable,\n"
            "unreached_after_release (called at least once, never reached).\n"
            "For each, how many the child-welfare agency knew of (it recorded the event\n"
            "itself, or a notification of it was delivered to one of its subscriptions)\n"
            "and how fast: median, 90th percentile and maximum seconds to delivery.\n\n"
            "  --at DATE       the report's date: YYYY-MM-DD (its last second) or RFC 3339;\n"
            "                  default now. Events that occurred later are left out.\n"
            "  --nta-days N    days after release without a notice to appear, 0..%u\n"
            "                  (default %u)\n"
            "  --child-welfare-agency A\n"
            "                  whose knowledge counts as notified (default ORR)\n"
            "  --json          one JSON object instead of the table\n\n"
            "The report reads the ledger and the outbox and prints counts, no personal\n"
            "data and no child id, so it writes no audit record. See docs/reports.md.\n",
            SK_TRACKING_NTA_DAYS_MAX, SK_TRACKING_NTA_DAYS_DEFAULT);
}

/* A date is its last second: "as of 2025-12-31" includes that whole day. */
static int parse_at(const char *text, int64_t *out)
{
    int64_t t = 0;

    if (sk_time_parse_rfc3339(sk_str_c(text), &t) == SK_OK) {
        *out = t;
        return 1;
    }
    if (sk_time_parse_date(sk_str_c(text), &t) == SK_OK) {
        *out = t + DAY_SECONDS - 1;
        return 1;
    }
    return 0;
}

static int parse_days(const char *text, uint32_t *out)
{
    unsigned long long v;
    char *end = NULL;

    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v > SK_TRACKING_NTA_DAYS_MAX)
        return 0;
    *out = (uint32_t)v;
    return 1;
}

/* Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, report_opts *o)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"at", required_argument, NULL, 'a'},
                                         {"nta-days", required_argument, NULL, 'n'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"child-welfare-agency", required_argument, NULL, 'c'},
                                         {NULL, 0, NULL, 0}};
    int c;

    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:a:n:c:jh", opts, NULL);
        if (c == -1)
            break;
        if (c == 'd') {
            o->db = optarg;
        } else if (c == 'a') {
            if (!parse_at(optarg, &o->tracking.at) || o->tracking.at <= 0)
                return sk_cli_usage_error("report", "--at takes a date YYYY-MM-DD or RFC 3339");
        } else if (c == 'n') {
            if (!parse_days(optarg, &o->tracking.nta_days))
                return sk_cli_usage_error("report", "--nta-days takes a number of days 0..3650");
        } else if (c == 'c') {
            if (strlen(optarg) > SK_ID_LEN_MAX || !sk_id_valid(sk_str_c(optarg), SK_ID_LEN_MAX))
                return sk_cli_usage_error("report", "--child-welfare-agency takes an agency id");
            memcpy(o->tracking.child_welfare_agency, optarg, strlen(optarg) + 1);
        } else if (c == 'j') {
            o->json = 1;
        } else if (c == 'h') {
            report_help(stdout);
            return SK_EXIT_OK;
        } else {
            return sk_cli_usage_error("report", "unknown option");
        }
    }
    return -1;
}

/* The same renderer as GET /v1/reports/tracking, so both answer alike. */
static sk_err print_json(const sk_tracking_counts *r)
{
    sk_buf buf;
    sk_err rc;

    sk_buf_init(&buf, 64 * 1024);
    rc = sk_tracking_json(r, &buf);
    if (rc == SK_OK)
        printf("%s\n", buf.ptr);
    sk_buf_fini(&buf);
    return rc;
}

static void print_table(const sk_tracking_counts *r)
{
    char at[SK_RFC3339_LEN + 1];
    size_t i;

    sk_time_format_rfc3339(r->at, at);
    printf("tracking report as of %s (notice to appear within %u days of release)\n\n", at,
           r->nta_days);
    printf("%-24s %9s %9s %-8s %9s %9s %21s\n", "CATEGORY", "CHILDREN", "OUT OF", "", "NOTIFIED",
           "BY HOOK", "SECONDS P50/P90/MAX");
    for (i = 0; i < SK_TRACK__COUNT; i++) {
        const sk_tracking_told *t = &r->told[i];
        int rel = sk_tracking_of_released((sk_tracking_category)i);
        char lat[64] = "-";
        if (t->by_webhook > 0)
            snprintf(lat, sizeof(lat), "%lld/%lld/%lld", (long long)t->latency_p50,
                     (long long)t->latency_p90, (long long)t->latency_max);
        printf("%-24s %9llu %9llu %-8s %9llu %9llu %21s\n",
               sk_tracking_name((sk_tracking_category)i), (unsigned long long)r->count[i],
               (unsigned long long)(rel ? r->released : r->children), rel ? "released" : "children",
               (unsigned long long)t->notified, (unsigned long long)t->by_webhook, lat);
    }
    printf("\nnotified: known to %s (recorded by it, or told by a delivered notification)\n",
           r->child_welfare_agency);
}

static int run_tracking(const report_opts *o)
{
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    sk_tracking_counts counts;
    sk_diag diag;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    code = sk_cli_open(sk_cli_db_path(o->db), &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_tracking_compute(store, &o->tracking, &counts, &diag);
    if (rc != SK_OK) {
        sk_cli_error("report tracking", rc, &diag);
        code = SK_EXIT_FAIL;
    } else if (o->json) {
        rc = print_json(&counts);
        if (rc != SK_OK) {
            sk_cli_error("report tracking", rc, NULL);
            code = SK_EXIT_FAIL;
        }
    } else {
        print_table(&counts);
    }
    sk_cli_close(store, keyring);
    return code;
}

int sk_cli_report(int argc, char **argv)
{
    report_opts o;
    int code;

    memset(&o, 0, sizeof(o));
    sk_tracking_opts_init(&o.tracking);
    if (argc < 2 || argv[1][0] == '-') {
        if (sk_cli_wants_help(argc, argv)) {
            report_help(stdout);
            return SK_EXIT_OK;
        }
        return sk_cli_usage_error("report", "expected a report name: tracking");
    }
    if (strcmp(argv[1], "tracking") != 0)
        return sk_cli_usage_error("report", "unknown report (expected tracking)");
    code = parse(argc - 1, argv + 1, &o);
    if (code >= 0)
        return code;
    if (optind != argc - 1)
        return sk_cli_usage_error("report", "unexpected argument");
    return run_tracking(&o);
}
