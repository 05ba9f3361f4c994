/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen.c: sk_gen_run, the driver of the population generator.
 *
 * It draws every apprehension time first (a few bytes per child, with the
 * caseload's seasonal swell in spring), sorts them, and then simulates the
 * children one at a time in that order, numbering them C0000001 onwards.
 * Each child goes straight to the three outputs: its sheet row to cases.csv,
 * its counts to the truth totals, its event lines to the merge, which
 * releases to events.jsonl every line that no later child can precede. The
 * rows of duplicate records are held back and appended after the real
 * children, as a second agency's export glued below the first would be.
 *
 * Nothing reads the clock or the environment: the window ends at opts->end,
 * and the same options give the same bytes. Files are written under
 * temporary names and renamed into place only when all three are complete.
 */
#include "safekeep/sk_gen.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen_int.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define OUT_BUF_BYTES  ((size_t)4 << 20)
#define SCRATCH_BYTES  ((size_t)GEN_EV_MAX * SK_EVENT_LINE_MAX)
#define DUP_ROWS_MAX   ((size_t)1 << 30)
#define PATH_BYTES     4096
#define PROGRESS_EVERY 16384u

enum { F_EVENTS = 0, F_CASES, F_TRUTH, F__COUNT };
static const char *const file_names[F__COUNT] = {"events.jsonl", "cases.csv", "truth.json"};

/* Everything one run owns; freed in one place. */
typedef struct run {
    const sk_gen_opts *opts;
    sk_diag *diag;
    gen_seq seq;
    gen_facnet *net;
    int64_t *times;
    gen_child *child;
    gen_text scratch, row;
    char *dups;
    size_t dups_len, dups_cap;
    gen_writer *writer;
    gen_merge *merge;
    gen_truth truth;
    FILE *files[F__COUNT];
    char *bufs[F__COUNT];
    char tmp_path[F__COUNT][PATH_BYTES];
    char final_path[F__COUNT][PATH_BYTES];
} run;

void sk_gen_opts_init(sk_gen_opts *opts)
{
    SK_ASSERT(opts != NULL);
    memset(opts, 0, sizeof(*opts));
    opts->years = SK_GEN_YEARS_DEFAULT;
    opts->seed = SK_GEN_SEED_DEFAULT;
    opts->end = SK_GEN_END_DEFAULT;
}

/* The first second of the window: the day after the same date `years`
 * earlier, so that five years ending 2025-12-31 start on 2021-01-01. */
static int64_t window_start(int64_t end, unsigned years)
{
    int64_t y;
    unsigned m, d;

    sk_civil_from_days(end / GEN_DAY, &y, &m, &d);
    return (sk_days_from_civil(y - (int64_t)years, m, d) + 1) * GEN_DAY;
}

static sk_err check_opts(const sk_gen_opts *opts, sk_diag *diag)
{
    sk_err rc = SK_OK;

    if (opts->children < 1 || opts->children > SK_GEN_CHILDREN_MAX)
        rc = sk_diag_set(diag, SK_ERR_INVALID, "children", "expected 1 to %u children",
                         SK_GEN_CHILDREN_MAX);
    else if (opts->years < 1 || opts->years > SK_GEN_YEARS_MAX)
        rc = sk_diag_set(diag, SK_ERR_INVALID, "years", "expected 1 to %u years", SK_GEN_YEARS_MAX);
    else if (opts->end > SK_TIME_MAX - 5 * 366 * GEN_DAY || opts->end < SK_TIME_MIN ||
             window_start(opts->end, opts->years) < SK_TIME_MIN)
        rc = sk_diag_set(diag, SK_ERR_INVALID, "end", "the window must lie between 2000 and 2094");
    else if (opts->out_dir == NULL || opts->out_dir[0] == '\0')
        rc = sk_diag_set(diag, SK_ERR_INVALID, "out", "an output directory is required");
    return rc;
}

/* mkdir -p: creates each missing component, leaves existing ones alone. */
static sk_err make_dirs(const char *dir, sk_diag *diag)
{
    char path[PATH_BYTES];
    struct stat st;
    size_t i, n = strlen(dir);
    sk_err rc = SK_OK;

    if (n >= sizeof(path)) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, "out", "directory path too long");
        goto out;
    }
    memcpy(path, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            rc = sk_diag_set(diag, SK_ERR_IO, "out", "cannot create the output directory");
            goto out;
        }
        path[i] = i < n ? '/' : '\0';
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = sk_diag_set(diag, SK_ERR_IO, "out", "the output path is not a directory");
out:
    return rc;
}

static sk_err open_files(run *r)
{
    size_t i;
    sk_err rc = SK_OK;

    for (i = 0; i < F__COUNT && rc == SK_OK; i++) {
        int a = snprintf(r->final_path[i], PATH_BYTES, "%s/%s", r->opts->out_dir, file_names[i]);
        int b = snprintf(r->tmp_path[i], PATH_BYTES, "%s/.%s.tmp", r->opts->out_dir, file_names[i]);
        if (a < 0 || b < 0 || (size_t)a >= PATH_BYTES || (size_t)b >= PATH_BYTES) {
            rc = sk_diag_set(r->diag, SK_ERR_INVALID, "out", "directory path too long");
            break;
        }
        r->files[i] = fopen(r->tmp_path[i], "wb");
        r->bufs[i] = malloc(OUT_BUF_BYTES);
        if (r->files[i] == NULL)
            rc = sk_diag_set(r->diag, SK_ERR_IO, file_names[i], "cannot create the file");
        else if (r->bufs[i] == NULL)
            rc = SK_ERR_NOMEM;
        else
            setvbuf(r->files[i], r->bufs[i], _IOFBF, OUT_BUF_BYTES);
    }
    return rc;
}

static int cmp_time(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* Relative intake by month, January first: the spring swell. */
static const uint16_t month_weight[12] = {80, 85, 110, 115, 120, 110, 100, 105, 100, 95, 90, 85};

static sk_err apprehension_times(run *r)
{
    int64_t first = r->seq.start / GEN_DAY, last = r->seq.end / GEN_DAY, day;
    size_t days = (size_t)(last - first + 1), i;
    uint64_t *cum = NULL, total = 0;
    gen_rng rng;
    sk_err rc = SK_OK;

    SK_ASSERT(last >= first);
    cum = malloc(days * sizeof(*cum));
    r->times = malloc((size_t)r->opts->children * sizeof(*r->times));
    if (cum == NULL || r->times == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    for (day = first; day <= last; day++) {
        int64_t y;
        unsigned m, d;
        sk_civil_from_days(day, &y, &m, &d);
        total += month_weight[m - 1];
        cum[day - first] = total;
    }
    gen_rng_seed(&rng, r->seq.seed, 0); /* children use streams 1..N */
    for (i = 0; i < r->opts->children; i++) {
        uint64_t x = gen_rng_below(&rng, total);
        size_t lo = 0, hi = days - 1;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cum[mid] > x)
                hi = mid;
            else
                lo = mid + 1;
        }
        r->times[i] = (first + (int64_t)lo) * GEN_DAY + (int64_t)gen_rng_below(&rng, 86400);
        if (r->times[i] > r->seq.end)
            r->times[i] = r->seq.end;
        if (r->times[i] < r->seq.start)
            r->times[i] = r->seq.start;
    }
    qsort(r->times, (size_t)r->opts->children, sizeof(*r->times), cmp_time);
out:
    free(cum);
    return rc;
}

static sk_err keep_dup_row(run *r, const gen_text *row)
{
    sk_err rc = SK_OK;

    if (r->dups_len + row->len > r->dups_cap) {
        size_t cap = r->dups_cap ? r->dups_cap * 2 : (size_t)1 << 16;
        char *p;
        while (cap < r->dups_len + row->len)
            cap *= 2;
        if (cap > DUP_ROWS_MAX) {
            rc = SK_ERR_TOO_LARGE;
            goto out;
        }
        p = realloc(r->dups, cap);
        if (p == NULL) {
            rc = SK_ERR_NOMEM;
            goto out;
        }
        r->dups = p;
        r->dups_cap = cap;
    }
    memcpy(r->dups + r->dups_len, row->ptr, row->len);
    r->dups_len += row->len;
out:
    return rc;
}

static sk_err write_text(run *r, size_t file, const char *text, size_t len)
{
    sk_err rc = SK_OK;

    if (len > 0 && fwrite(text, 1, len, r->files[file]) != len)
        rc = sk_diag_set(r->diag, SK_ERR_IO, file_names[file], "write failed");
    return rc;
}

/* Simulates child number (1-based) and hands it to the three outputs. */
static sk_err one_child(run *r, uint32_t number)
{
    gen_child *c = r->child;
    int64_t t = r->times[number - 1];
    sk_err rc;

    rc = gen_merge_flush_before(r->merge, t, number);
    if (rc != SK_OK)
        goto out;
    gen_child_simulate(c, &r->seq, number, t);
    gen_child_finalize(c, r->seq.end);
    rc = gen_truth_add(&r->truth, c);
    if (rc != SK_OK)
        goto out;
    r->row.len = 0;
    rc = gen_csv_row(c, 0, &r->row);
    if (rc == SK_OK)
        rc = write_text(r, F_CASES, r->row.ptr, r->row.len);
    if (rc == SK_OK && c->has_dup) {
        r->row.len = 0;
        rc = gen_csv_row(c, 1, &r->row);
        if (rc == SK_OK)
            rc = keep_dup_row(r, &r->row);
    }
    if (rc == SK_OK)
        rc = gen_merge_add(r->merge, c, &r->scratch);
out:
    return rc;
}

static void progress(const run *r, uint64_t done, int last)
{
    FILE *p = r->opts->progress;

    if (p == NULL || (!last && done % PROGRESS_EVERY != 0))
        return;
    fprintf(p, "\rgenerate: %llu/%llu children, %llu events written%s", (unsigned long long)done,
            (unsigned long long)r->opts->children, (unsigned long long)gen_merge_written(r->merge),
            last ? "\n" : "");
    fflush(p);
}

static sk_err setup(run *r)
{
    sk_err rc = SK_OK;

    r->net = malloc(sizeof(*r->net));
    r->child = malloc(sizeof(*r->child));
    r->scratch.ptr = malloc(SCRATCH_BYTES);
    r->row.ptr = malloc(SK_EVENT_LINE_MAX);
    if (r->net == NULL || r->child == NULL || r->scratch.ptr == NULL || r->row.ptr == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    r->scratch.cap = SCRATCH_BYTES;
    r->row.cap = SK_EVENT_LINE_MAX;
    gen_facnet_build(r->net);
    r->seq.net = r->net;
    r->seq.seed = r->opts->seed;
    r->seq.end = r->opts->end;
    r->seq.start = window_start(r->opts->end, r->opts->years);
    /* Duplicate records are numbered after the real children. */
    r->seq.next_dup = (uint32_t)r->opts->children;
    rc = make_dirs(r->opts->out_dir, r->diag);
    if (rc == SK_OK)
        rc = open_files(r);
    if (rc == SK_OK)
        rc = apprehension_times(r);
    /* events.jsonl goes through the writer thread, never through stdio. */
    if (rc == SK_OK)
        rc = gen_writer_open(fileno(r->files[F_EVENTS]), &r->writer);
    if (rc == SK_OK)
        rc = gen_merge_new(r->writer, &r->merge);
out:
    return rc;
}

static sk_err generate(run *r)
{
    uint64_t i;
    sk_err rc;

    r->row.len = 0;
    gen_csv_header(&r->row);
    rc = write_text(r, F_CASES, r->row.ptr, r->row.len);
    for (i = 1; rc == SK_OK && i <= r->opts->children; i++) {
        rc = one_child(r, (uint32_t)i);
        progress(r, i, 0);
    }
    if (rc == SK_OK)
        rc = gen_merge_drain(r->merge);
    if (rc == SK_OK) {
        rc = gen_writer_close(r->writer);
        r->writer = NULL;
        if (rc != SK_OK)
            rc = sk_diag_set(r->diag, rc, file_names[F_EVENTS], "write failed");
    }
    if (rc == SK_OK)
        rc = write_text(r, F_CASES, r->dups, r->dups_len);
    if (rc == SK_OK)
        rc = gen_truth_write(&r->truth, r->opts, r->seq.start, r->files[F_TRUTH]);
    if (rc == SK_OK) {
        SK_ASSERT(gen_merge_written(r->merge) == r->truth.events);
        progress(r, r->opts->children, 1);
    }
    return rc;
}

/* Closes every file; on success renames them into place, else removes them. */
static sk_err finish(run *r, sk_err rc)
{
    size_t i;

    if (r->writer != NULL) {
        /* Already failing: the writer's own error adds nothing. */
        sk_err ignored = gen_writer_close(r->writer);
        (void)ignored;
        r->writer = NULL;
    }
    for (i = 0; i < F__COUNT; i++) {
        if (r->files[i] == NULL)
            continue;
        if (fclose(r->files[i]) != 0 && rc == SK_OK)
            rc = sk_diag_set(r->diag, SK_ERR_IO, file_names[i], "write failed");
        r->files[i] = NULL;
    }
    for (i = 0; i < F__COUNT && rc == SK_OK; i++) {
        if (rename(r->tmp_path[i], r->final_path[i]) != 0)
            rc = sk_diag_set(r->diag, SK_ERR_IO, file_names[i], "cannot move into place");
    }
    if (rc != SK_OK) {
        for (i = 0; i < F__COUNT; i++) {
            if (r->tmp_path[i][0] != '\0')
                unlink(r->tmp_path[i]);
        }
    }
    return rc;
}

static void cleanup(run *r)
{
    size_t i;

    gen_merge_free(r->merge);
    gen_truth_fini(&r->truth);
    for (i = 0; i < F__COUNT; i++)
        free(r->bufs[i]);
    free(r->dups);
    free(r->row.ptr);
    free(r->scratch.ptr);
    free(r->child);
    free(r->times);
    free(r->net);
    free(r);
}

sk_err sk_gen_run(const sk_gen_opts *opts, sk_gen_stats *stats, sk_diag *diag)
{
    run *r = NULL;
    sk_err rc;

    SK_ASSERT(opts != NULL);
    sk_diag_clear(diag);
    rc = check_opts(opts, diag);
    if (rc != SK_OK)
        goto out;
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    r->opts = opts;
    r->diag = diag;
    gen_truth_init(&r->truth);
    rc = setup(r);
    if (rc == SK_OK)
        rc = generate(r);
    rc = finish(r, rc);
    if (rc == SK_OK && stats != NULL) {
        stats->children = r->truth.children;
        stats->records = r->truth.records;
        stats->events = r->truth.events;
        stats->duplicates = r->truth.pair_count;
        stats->late = r->truth.late;
    }
out:
    if (r != NULL)
        cleanup(r);
    return rc;
}
