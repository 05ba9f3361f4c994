/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_generate.c: `safekeep generate`, a synthetic population for demos,
 * tests and benchmarks.
 *
 * The command only parses options and reports; the work is sk_gen_run
 * (include/safekeep/sk_gen.h). Numbers are parsed strictly (no sign, no
 * trailing junk, no overflow) because a typo in --children must not
 * silently generate a different population. Progress goes to stderr only
 * when stderr is a terminal, so scripts and CI logs stay clean; the summary
 * goes to stdout. Exit codes: 0 done, 1 failure, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <unistd.h>

#include "cli.h"
#include "safekeep/sk_gen.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

static const char usage_text[] =
    "usage: safekeep generate --children N [--years Y] [--seed S] [--end DATE] --out DIR\n"
    "\n"
    "Writes a synthetic population of unaccompanied children into DIR:\n"
    "  events.jsonl  one event per line, sorted by recorded_at (safekeep import)\n"
    "  cases.csv     one row per child record, as a spreadsheet export\n"
    "  truth.json    the generator's own counts, to check reports against\n"
    "Everything is fictional; the same options give byte-identical files.\n"
    "\n"
    "Options:\n"
    "  -n, --children N  number of children, 1 to 5000000 (required)\n"
    "  -y, --years Y     apprehensions spread over Y years, 1 to 20 (default 5)\n"
    "  -s, --seed S      random seed, 0 to 18446744073709551615 (default 1)\n"
    "  -e, --end DATE    last day of the window, YYYY-MM-DD (default 2025-12-31)\n"
    "  -o, --out DIR     output directory, created if missing (required)\n"
    "  -h, --help        show this help\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("safekeep generate: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'safekeep generate --help'.\n", stderr);
    return SK_EXIT_USAGE;
}

/* Strict unsigned parse: digits only, within [lo, hi]. */
static int parse_u64(const char *text, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;
    int ok = 0;

    /* strtoull would accept a sign and leading spaces: digits only here. */
    if (text == NULL || text[0] < '0' || text[0] > '9')
        goto out;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi)
        goto out;
    *out = (uint64_t)v;
    ok = 1;
out:
    return ok;
}

static int parse_end(const char *text, int64_t *out)
{
    int64_t day;
    int ok = sk_time_parse_date(sk_str_c(text), &day) == SK_OK;

    if (ok)
        *out = day + 86399; /* the whole day belongs to the window */
    return ok;
}

static const struct option long_opts[] = {
    {"children", required_argument, NULL, 'n'},
    {"years", required_argument, NULL, 'y'},
    {"seed", required_argument, NULL, 's'},
    {"end", required_argument, NULL, 'e'},
    {"out", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Applies one parsed option. Returns -1 to go on, or an exit code. */
static int apply_opt(int ch, char **argv, sk_gen_opts *opts)
{
    uint64_t v;
    int code = -1;

    switch (ch) {
    case 'n':
        if (!parse_u64(optarg, 1, SK_GEN_CHILDREN_MAX, &opts->children))
            code = usage_error("--children: expected a number from 1 to 5000000, got '%s'", optarg);
        break;
    case 'y':
        if (!parse_u64(optarg, 1, SK_GEN_YEARS_MAX, &v))
            code = usage_error("--years: expected a number from 1 to 20, got '%s'", optarg);
        else
            opts->years = (unsigned)v;
        break;
    case 's':
        if (!parse_u64(optarg, 0, UINT64_MAX, &opts->seed))
            code = usage_error("--seed: expected an unsigned 64-bit number, got '%s'", optarg);
        break;
    case 'e':
        if (!parse_end(optarg, &opts->end))
            code = usage_error("--end: expected a date YYYY-MM-DD, got '%s'", optarg);
        break;
    case 'o':
        opts->out_dir = optarg;
        break;
    case 'h':
        fputs(usage_text, stdout);
        code = SK_EXIT_OK;
        break;
    case ':':
        code = usage_error("option '%s' needs a value", argv[optind - 1]);
        break;
    default:
        code = usage_error("unknown option '%s'", argv[optind - 1]);
        break;
    }
    return code;
}

/* Fills opts from argv. Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, sk_gen_opts *opts)
{
    int code = -1, ch;

    optind = 1;
    opterr = 0;
    while (code < 0) {
        ch = getopt_long(argc, argv, ":n:y:s:e:o:h", long_opts, NULL);
        if (ch == -1)
            break;
        code = apply_opt(ch, argv, opts);
    }
    if (code >= 0)
        goto out;
    if (optind < argc)
        code = usage_error("unexpected argument '%s'", argv[optind]);
    else if (opts->children == 0)
        code = usage_error("%s", "--children is required");
    else if (opts->out_dir == NULL || opts->out_dir[0] == '\0')
        code = usage_error("%s", "--out is required");
out:
    return code;
}

int sk_cli_generate(int argc, char **argv)
{
    sk_gen_opts opts;
    sk_gen_stats stats;
    sk_diag diag;
    char msg[SK_DIAG_MSG_MAX + SK_DIAG_WHERE_MAX + 96];
    int code;
    sk_err rc;

    sk_gen_opts_init(&opts);
    code = parse_args(argc, argv, &opts);
    if (code >= 0)
        goto out;
    if (isatty(STDERR_FILENO))
        opts.progress = stderr;
    rc = sk_gen_run(&opts, &stats, &diag);
    if (rc != SK_OK) {
        sk_diag_format(&diag, msg, sizeof(msg));
        fprintf(stderr, "safekeep generate: %s: %s\n", sk_err_str(rc), msg);
        code = SK_EXIT_FAIL;
        goto out;
    }
    printf("generated %llu children (%llu records, %llu duplicates), %llu events "
           "(%llu recorded late) into %s\n",
           (unsigned long long)stats.children, (unsigned long long)stats.records,
           (unsigned long long)stats.duplicates, (unsigned long long)stats.events,
           (unsigned long long)stats.late, opts.out_dir);
    code = fflush(stdout) == 0 ? SK_EXIT_OK : SK_EXIT_FAIL;
out:
    return code;
}
