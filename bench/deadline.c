/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/deadline.c: the time to compute every deadline alert of a generated
 * population (sk_deadline_scan over the whole ledger).
 *
 *   build/release/bench/deadline [--children N] [--years Y] [--db PATH]
 *                                [--at TIME] [--runs R]
 *
 * Without --db, N children (default 448,000, the five-year population of
 * the issue) are generated with sk_gen into a temporary directory and
 * imported into a fresh database there; generating takes seconds but the
 * import takes minutes at that size, so pass a smaller N, or --db PATH to
 * reuse a database imported before (it is then only read). The clock is
 * --at (default the end of the generated window, 2025-12-31T23:59:59Z).
 * Each run scans the ledger once; the best and median of R runs (default 3)
 * are printed with the counts of alerts by rule and state.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "safekeep/sk_deadline.h"
#include "safekeep/sk_gen.h"
#include "safekeep/sk_ingest.h"
#include "safekeep/sk_time.h"

#define RUNS_MAX  32
#define BENCH_KEY "8f6c2b1a0e9d7c5b3a29181706f5e4d3c2b1a09f8e7d6c5b4a39281716051423"

typedef struct counts {
    uint64_t by[SK_DL__COUNT][3];
    uint64_t total;
} counts;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const sk_diag *diag)
{
    char buf[512];

    sk_diag_format(diag, buf, sizeof(buf));
    fprintf(stderr, "bench/deadline: %s: %s\n", what, buf);
    exit(1);
}

static int count(const sk_alert *a, void *vctx)
{
    counts *c = vctx;

    c->by[a->rule][a->state]++;
    c->total++;
    return 0;
}

/* Generates and imports a population into dir/bench.db. */
static void build(const char *dir, uint64_t children, unsigned years, char *db, size_t db_len)
{
    char path[4096];
    sk_keyring *keys = NULL;
    sk_store *store = NULL;
    sk_ingest *ing = NULL;
    sk_import_opts opts;
    sk_gen_stats st;
    sk_gen_opts g;
    sk_diag diag;
    double t0;

    sk_diag_clear(&diag);
    sk_gen_opts_init(&g);
    g.children = children;
    g.years = years;
    g.out_dir = dir;
    t0 = now_s();
    if (sk_gen_run(&g, &st, &diag) != SK_OK)
        die("generate", &diag);
    printf("generated %llu children, %llu events in %.1f s\n", (unsigned long long)st.children,
           (unsigned long long)st.events, now_s() - t0);
    snprintf(db, db_len, "%s/bench.db", dir);
    snprintf(path, sizeof(path), "%s/events.jsonl", dir);
    memset(&opts, 0, sizeof(opts));
    t0 = now_s();
    if (sk_keyring_open("/nonexistent", &keys, &diag) != SK_OK ||
        sk_store_open(db, 1, &store, &diag) != SK_OK || sk_ingest_new(store, keys, &ing) != SK_OK ||
        sk_ingest_begin(ing, &diag) != SK_OK || sk_import_jsonl(ing, path, &opts, &diag) != SK_OK ||
        sk_ingest_commit(ing, &diag) != SK_OK)
        die("import", &diag);
    printf("imported in %.1f s\n", now_s() - t0);
    sk_ingest_free(ing);
    sk_store_close(store);
    sk_keyring_free(keys);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void run(const char *db, int64_t at, int runs)
{
    sk_deadline_config cfg;
    double times[RUNS_MAX];
    sk_store *store = NULL;
    uint64_t events = 0;
    counts c;
    sk_diag diag;
    int i, r;

    sk_diag_clear(&diag);
    sk_deadline_config_default(&cfg);
    if (sk_store_open(db, 0, &store, &diag) != SK_OK ||
        sk_store_ledger_count(store, &events, &diag) != SK_OK)
        die("open", &diag);
    for (i = 0; i < runs; i++) {
        double t0 = now_s();
        memset(&c, 0, sizeof(c));
        if (sk_deadline_scan(store, &cfg, at, count, &c, &diag) != SK_OK)
            die("scan", &diag);
        times[i] = now_s() - t0;
    }
    qsort(times, (size_t)runs, sizeof(times[0]), cmp_double);
    printf("ledger: %llu events; alerts: %llu\n", (unsigned long long)events,
           (unsigned long long)c.total);
    for (r = 0; r < SK_DL__COUNT; r++)
        printf("  %-20s open %8llu  resolved %8llu\n",
               sk_deadline_rule_get((sk_deadline_rule)r)->name,
               (unsigned long long)c.by[r][SK_ALERT_OPEN],
               (unsigned long long)c.by[r][SK_ALERT_RESOLVED]);
    printf("all alerts computed in %.3f s best, %.3f s median of %d (%.0f events/s)\n", times[0],
           times[runs / 2], runs, (double)events / times[0]);
    sk_store_close(store);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"children", required_argument, NULL, 'n'}, {"years", required_argument, NULL, 'y'},
        {"db", required_argument, NULL, 'd'},       {"at", required_argument, NULL, 't'},
        {"runs", required_argument, NULL, 'r'},     {NULL, 0, NULL, 0}};
    uint64_t children = 448000;
    unsigned years = 5;
    const char *db_opt = NULL;
    char dir[] = "/tmp/sk_bench_deadline_XXXXXX", db[4200];
    int64_t at = SK_GEN_END_DEFAULT;
    int c, runs = 3;

    while ((c = getopt_long(argc, argv, "n:y:d:t:r:", opts, NULL)) != -1) {
        if (c == 'n')
            children = strtoull(optarg, NULL, 10);
        else if (c == 'y')
            years = (unsigned)strtoul(optarg, NULL, 10);
        else if (c == 'd')
            db_opt = optarg;
        else if (c == 'r')
            runs = (int)strtol(optarg, NULL, 10);
        else if (c == 't' && sk_time_parse_rfc3339(sk_str_c(optarg), &at) == SK_OK)
            continue;
        else {
            fprintf(stderr, "usage: deadline [--children N] [--years Y] [--db PATH] [--at TIME] "
                            "[--runs R]\n");
            return 2;
        }
    }
    if (runs < 1 || runs > RUNS_MAX)
        runs = 3;
    setenv("SAFEKEEP_KEY", BENCH_KEY, 0);
    setenv("SAFEKEEP_NOW", "2026-01-01T00:00:00Z", 0);
    if (db_opt != NULL) {
        snprintf(db, sizeof(db), "%s", db_opt);
    } else {
        if (mkdtemp(dir) == NULL) {
            perror("bench/deadline: mkdtemp");
            return 1;
        }
        build(dir, children, years, db, sizeof(db));
    }
    run(db, at, runs);
    if (db_opt == NULL)
        printf("database kept in %s (pass --db to reuse it; remove when done)\n", db);
    return 0;
}
