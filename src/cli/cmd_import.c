/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_import.c: safekeep import FILE...: every file in one transaction, so a
 * bad row anywhere leaves the database as it was. Progress goes to stderr
 * only when stderr is a terminal, so scripts and logs stay clean.
 */
#include <getopt.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "safekeep/sk_ingest.h"
#include "safekeep/sk_policy_store.h"

#include "sk_int.h"

#define IMPORT_CACHE_MB 512 /* measured: see docs/PERFORMANCE.md */

static void help(FILE *out)
{
    fprintf(out, "usage: safekeep import [--db PATH] [--agency A] [--user U] [--quiet] FILE...\n\n"
                 "Imports .jsonl event files and .csv case spreadsheets (docs/import.md), all\n"
                 "or nothing: the first bad line or row stops the import with its file, line,\n"
                 "column and what was expected, and nothing is written.\n\n"
                 "  --agency A   recording agency for spreadsheet rows without one (ORR)\n"
                 "  --user U     recording user for spreadsheet rows (import)\n"
                 "  --quiet      no progress or summary\n");
}

static void progress(uint64_t done, uint64_t total, void *ctx)
{
    static time_t last;
    time_t now = time(NULL);

    (void)ctx;
    if (now == last && done != total)
        return;
    last = now;
    if (total > 0)
        fprintf(stderr, "\rimporting: %3.0f%%", 100.0 * (double)done / (double)total);
    if (done == total)
        fputc('\n', stderr);
}

static int run(const char *db, const char *const *files, size_t count, sk_import_opts *opts,
               int quiet)
{
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    sk_ingest *ing = NULL;
    sk_policy *policy = NULL;
    sk_ingest_stats st;
    sk_diag diag;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    code = sk_cli_open(db, &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_store_set_cache(store, IMPORT_CACHE_MB, &diag);
    if (rc == SK_OK)
        rc = sk_ingest_new(store, keyring, &ing);
    /* The adopted policy decides which subscriptions hear of each event. */
    if (rc == SK_OK)
        rc = sk_policy_load(store, &policy, &diag);
    if (rc == SK_OK)
        sk_ingest_set_policy(ing, policy);
    if (rc == SK_OK)
        rc = sk_ingest_begin(ing, &diag);
    if (rc == SK_OK)
        rc = sk_import_files(ing, files, count, opts, &diag);
    if (rc == SK_OK)
        rc = sk_ingest_commit(ing, &diag);
    if (rc != SK_OK) {
        if (opts->progress != NULL)
            fputc('\n', stderr);
        sk_cli_error("import", rc, &diag);
        fprintf(stderr, "safekeep import: nothing was imported\n");
        code = SK_EXIT_FAIL;
    } else if (!quiet) {
        st = sk_ingest_get_stats(ing);
        printf("imported %llu events, %llu new children (%llu flagged for data quality, "
               "%llu late)\n",
               (unsigned long long)st.events, (unsigned long long)st.children_new,
               (unsigned long long)st.flagged, (unsigned long long)st.late);
    }
    sk_ingest_free(ing);
    sk_policy_free(policy);
    sk_cli_close(store, keyring);
    return code;
}

int sk_cli_import(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},   {"agency", required_argument, NULL, 'a'},
        {"user", required_argument, NULL, 'u'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    sk_import_opts io = {"ORR", "import", NULL, NULL};
    const char *db = NULL;
    int c, quiet = 0;

    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:a:u:qh", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'a':
            io.agency = optarg;
            break;
        case 'u':
            io.user = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            help(stdout);
            return SK_EXIT_OK;
        default:
            help(stderr);
            return SK_EXIT_USAGE;
        }
    }
    if (optind == argc)
        return sk_cli_usage_error("import", "no files given");
    if (!quiet && isatty(STDERR_FILENO))
        io.progress = progress;
    return run(sk_cli_db_path(db), (const char *const *)(argv + optind), (size_t)(argc - optind),
               &io, quiet);
}
