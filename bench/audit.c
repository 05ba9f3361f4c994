/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/audit.c: how many durable audit appends per second the group-commit
 * writer sustains, and how fast a log verifies.
 *
 *   build/release/bench/audit [--dir DIR] [--seconds S] [--threads 1,4,16,...]
 *                             [--many 16x4,...] [--records N] [--group G] [--keep]
 *
 * Method. The disk is measured first: one thread appends 149 bytes (a tree
 * head's size) to a file and calls fdatasync, for S/3 seconds, which is the
 * ceiling on groups per second. Then, for each thread count T, a fresh log
 * in DIR (default /tmp) gets T threads that each call sk_audit_append in a
 * loop for S seconds (default 3) with CLI-sized records (about 500 bytes of
 * JSON); every call is timed with CLOCK_MONOTONIC and the latencies give
 * p50 and p99. Appends per second count records acknowledged (durable) over
 * the wall time; the mean group is records / groups from sk_audit_stats.
 * Each resulting log is then verified with sk_audit_verify (records/s).
 * The same is done for callers that batch: T threads each appending B
 * records per sk_audit_append_many call (--many BxT,...; latency per call).
 *
 * Finally a log of N records (default 1,000,000) is generated directly in
 * the on-disk format (src/audit/log_format.h), with the JSON of real records
 * taken from the last log and a signed head every G records (default 256,
 * a busy server's group), and verified three times; the per-record hashing
 * cost and the per-head signature check are also timed alone, which is
 * what verification speed is made of. The generated file is about 620 MB;
 * it is removed unless --keep.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/audit/log_format.h"
#include "safekeep/sk_audit.h"
#include "safekeep/sk_crypto.h"
#include "safekeep/sk_merkle.h"

#define THREADS_MAX 1024
#define COUNTS_MAX  16
#define SAMPLES_MAX 4096 /* record JSON kept for the generated log */
#define VERIFY_RUNS 3
#define BENCH_KEY   "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define REASON_TEXT                                                                                \
    "permitted under orr-ice-cbp-moa-2018-sponsor v1 (ORR-ICE-CBP Memorandum of Agreement "        \
    "Regarding Consultation and Information Sharing in Unaccompanied Alien Children Matters)"

typedef struct options {
    const char *dir;
    double seconds;
    unsigned threads[COUNTS_MAX];
    size_t thread_counts;
    unsigned many[COUNTS_MAX][2]; /* batch, threads */
    size_t many_counts;
    uint64_t records;
    uint64_t group;
    int keep;
} options;

/* ------------------------------------------------------------------ util */

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what, sk_err rc, const sk_diag *diag)
{
    char buf[512] = "";

    if (diag != NULL)
        sk_diag_format(diag, buf, sizeof(buf));
    fprintf(stderr, "bench/audit: %s: %s %s\n", what, sk_err_str(rc), buf);
    exit(1);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static double seconds_since(int64_t t0)
{
    return (double)(now_ns() - t0) / 1e9;
}

/* ------------------------------------------------------------- raw disk */

/* Appends 149 bytes and fdatasyncs, in a loop: the disk's ceiling. */
static double fsync_rate(const options *o)
{
    char path[4096];
    unsigned char block[LOG_FRAME_BYTES + LOG_HEAD_BYTES];
    double elapsed;
    uint64_t n = 0;
    int64_t t0;
    int fd;

    snprintf(path, sizeof(path), "%s/bench_audit_fsync.tmp", o->dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    if (fd < 0) {
        fprintf(stderr, "bench/audit: cannot create %s: %s\n", path, strerror(errno));
        exit(1);
    }
    memset(block, 'H', sizeof(block));
    t0 = now_ns();
    do {
        if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) || fdatasync(fd) != 0) {
            fprintf(stderr, "bench/audit: write/fdatasync failed\n");
            exit(1);
        }
        n++;
    } while (seconds_since(t0) < o->seconds / 3);
    elapsed = seconds_since(t0);
    close(fd);
    unlink(path);
    return (double)n / elapsed;
}

/* -------------------------------------------------------------- appends */

typedef struct appender {
    sk_audit *log;
    unsigned index;
    unsigned batch; /* records per call: 1 = sk_audit_append, else _append_many */
    volatile int *stop;
    pthread_barrier_t *start;
    uint32_t *lat_us; /* one per call */
    size_t count, cap;
    sk_err rc;
} appender;

static void fill_record(sk_audit_record *r, char *request_id, size_t id_len, char *subject,
                        size_t subject_len, unsigned thread, uint64_t k)
{
    snprintf(request_id, id_len, "%08x-%04x-4%03x-8%03x-%012llx", thread,
             (unsigned)(k >> 32) & 0xFFFF, (unsigned)(k >> 20) & 0xFFF, (unsigned)(k >> 8) & 0xFFF,
             (unsigned long long)k);
    snprintf(subject, subject_len, "C%04llu", (unsigned long long)(k % 10000));
    memset(r, 0, sizeof(*r));
    r->request_id = sk_str_c(request_id);
    r->agency = SK_STR("ICE");
    r->user = SK_STR("cli");
    r->role = SK_STR("officer");
    r->purpose = SK_STR("immigration_enforcement");
    r->action = SK_STR("read");
    r->entity = SK_STR("sponsor");
    r->subjects[0] = sk_str_c(subject);
    r->subject_count = 1;
    r->fields = (1u << 0) | (1u << 4);
    r->decision = SK_STR("permit");
    r->rule_kind = SK_STR("agreement");
    r->rule_id = SK_STR("orr-ice-cbp-moa-2018-sponsor");
    r->rule_version = 1;
    r->reason = SK_STR(REASON_TEXT);
}

typedef struct record_text {
    char request_id[64];
    char subject[16];
} record_text;

static int note_latency(appender *a, int64_t t0)
{
    if (a->count == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4096;
        uint32_t *p = realloc(a->lat_us, cap * sizeof(*p));
        if (p == NULL)
            return -1;
        a->lat_us = p;
        a->cap = cap;
    }
    a->lat_us[a->count++] = (uint32_t)((now_ns() - t0) / 1000);
    return 0;
}

static void *appender_main(void *arg)
{
    appender *a = arg;
    record_text *text = calloc(a->batch, sizeof(*text));
    sk_audit_record *recs = calloc(a->batch, sizeof(*recs));
    uint64_t k = 0, seq;

    (void)pthread_barrier_wait(a->start);
    a->rc = text != NULL && recs != NULL ? SK_OK : SK_ERR_NOMEM;
    while (a->rc == SK_OK && !*a->stop) {
        int64_t t0;
        for (unsigned b = 0; b < a->batch; b++)
            fill_record(&recs[b], text[b].request_id, sizeof(text[b].request_id), text[b].subject,
                        sizeof(text[b].subject), a->index, k++);
        t0 = now_ns();
        a->rc = a->batch == 1 ? sk_audit_append(a->log, &recs[0], &seq)
                              : sk_audit_append_many(a->log, recs, a->batch, NULL);
        if (a->rc == SK_OK && note_latency(a, t0) != 0)
            a->rc = SK_ERR_NOMEM;
    }
    free(text);
    free(recs);
    return NULL;
}

typedef struct append_result {
    double per_second, mean_group, p50_us, p99_us, seconds;
    uint64_t records, groups;
} append_result;

/* Collects every thread's latencies and takes percentiles. */
static void percentiles(appender *a, unsigned threads, append_result *res)
{
    size_t total = 0, at = 0;
    uint32_t *all;

    for (unsigned t = 0; t < threads; t++)
        total += a[t].count;
    all = malloc((total ? total : 1) * sizeof(*all));
    if (all == NULL)
        die("latencies", SK_ERR_NOMEM, NULL);
    for (unsigned t = 0; t < threads; t++) {
        memcpy(all + at, a[t].lat_us, a[t].count * sizeof(*all));
        at += a[t].count;
        free(a[t].lat_us);
    }
    qsort(all, total, sizeof(*all), cmp_u32);
    res->p50_us = total ? all[total / 2] : 0;
    res->p99_us = total ? all[total * 99 / 100] : 0;
    free(all);
}

static void run_appends(const options *o, sk_keyring *kr, const char *path, unsigned threads,
                        unsigned batch, append_result *res)
{
    static appender a[THREADS_MAX];
    static pthread_t tid[THREADS_MAX];
    pthread_barrier_t start;
    volatile int stop = 0;
    sk_audit *log = NULL;
    sk_diag diag;
    sk_err rc;
    int64_t t0;

    sk_diag_clear(&diag);
    unlink(path);
    rc = sk_audit_open(path, kr, &log, &diag);
    if (rc != SK_OK)
        die("open", rc, &diag);
    pthread_barrier_init(&start, NULL, threads + 1);
    for (unsigned t = 0; t < threads; t++) {
        memset(&a[t], 0, sizeof(a[t]));
        a[t].log = log, a[t].index = t, a[t].batch = batch, a[t].stop = &stop;
        a[t].start = &start;
        if (pthread_create(&tid[t], NULL, appender_main, &a[t]) != 0)
            die("thread", SK_ERR_NOMEM, NULL);
    }
    (void)pthread_barrier_wait(&start);
    t0 = now_ns();
    while (seconds_since(t0) < o->seconds)
        usleep(10000);
    stop = 1;
    for (unsigned t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        if (a[t].rc != SK_OK)
            die("append", a[t].rc, NULL);
    }
    res->seconds = seconds_since(t0);
    pthread_barrier_destroy(&start);
    sk_audit_stats(log, &res->groups, &res->records);
    sk_audit_close(log);
    res->per_second = (double)res->records / res->seconds;
    res->mean_group = res->groups ? (double)res->records / (double)res->groups : 0;
    percentiles(a, threads, res);
}

/* ---------------------------------------------------------- verification */

typedef struct samples {
    char *json[SAMPLES_MAX];
    size_t len[SAMPLES_MAX];
    size_t count;
} samples;

static int keep_sample(uint64_t seq, sk_str json, void *ctx)
{
    samples *s = ctx;

    (void)seq;
    if (s != NULL && s->count < SAMPLES_MAX) {
        s->json[s->count] = malloc(json.len);
        if (s->json[s->count] == NULL)
            return 0;
        memcpy(s->json[s->count], json.ptr, json.len);
        s->len[s->count++] = json.len;
    }
    return 0;
}

/* Verifies path runs times; returns the best rate (records/s). */
static double verify_rate(sk_keyring *kr, const char *path, unsigned runs, samples *keep,
                          uint64_t *records_out, double *mb_per_s)
{
    double best = 0, size_mb;
    struct stat sb;

    if (stat(path, &sb) != 0)
        die("stat", SK_ERR_IO, NULL);
    size_mb = (double)sb.st_size / 1e6;
    for (unsigned r = 0; r < runs; r++) {
        uint64_t records = 0, bad = 0;
        sk_audit_sth head;
        sk_diag diag;
        int64_t t0 = now_ns();
        double s;
        sk_err rc;
        sk_diag_clear(&diag);
        rc = sk_audit_verify(path, kr, r == 0 && keep ? keep_sample : NULL, keep, &records, &head,
                             &bad, &diag);
        s = seconds_since(t0);
        if (rc != SK_OK)
            die("verify", rc, &diag);
        if ((double)records / s > best) {
            best = (double)records / s;
            *mb_per_s = size_mb / s;
        }
        *records_out = records;
    }
    return best;
}

/* Writes n records in groups of g, each followed by a signed head, the
 * way log.c does, reusing the JSON of real records. */
static void generate(sk_keyring *kr, const char *path, const samples *s, uint64_t n, uint64_t g)
{
    static sk_merkle_frontier frontier;
    unsigned char chain[32] = {0}, leaf[32], frame[LOG_FRAME_BYTES];
    unsigned char msg[LOG_SIGNED_BYTES], head_buf[LOG_FRAME_BYTES + LOG_HEAD_BYTES];
    sk_audit_sth h;
    FILE *fp = fopen(path, "wb");

    if (fp == NULL || s->count == 0)
        die("generate", SK_ERR_IO, NULL);
    sk_merkle_frontier_init(&frontier);
    for (uint64_t i = 0; i < n; i++) {
        size_t k = (size_t)(i % s->count);
        sk_merkle_leaf_hash(s->json[k], s->len[k], leaf);
        sk_sha256(chain, 32, leaf, 32, NULL, 0, chain);
        sk_merkle_frontier_append(&frontier, leaf);
        frame[0] = LOG_TAG_RECORD;
        put_u32(frame + 1, (uint32_t)s->len[k]);
        fwrite(frame, 1, sizeof(frame), fp);
        fwrite(s->json[k], 1, s->len[k], fp);
        fwrite(chain, 1, 32, fp);
        if ((i + 1) % g == 0 || i + 1 == n) {
            memset(&h, 0, sizeof(h));
            h.size = i + 1;
            h.timestamp_ms = 1700000000000LL + (int64_t)i;
            sk_merkle_frontier_root(&frontier, h.root);
            memcpy(h.chain, chain, 32);
            sth_signed_bytes(&h, msg);
            sk_sign(kr, msg, sizeof(msg), h.signature);
            head_entry(&h, head_buf);
            fwrite(head_buf, 1, sizeof(head_buf), fp);
        }
    }
    if (fclose(fp) != 0)
        die("generate: write", SK_ERR_IO, NULL);
}

/* What verification is made of: hashing per record, Ed25519 per head. */
static void component_costs(sk_keyring *kr, const samples *s, double *record_us, double *head_us)
{
    static sk_merkle_frontier frontier;
    unsigned char chain[32] = {0}, leaf[32], pub[32], msg[LOG_SIGNED_BYTES];
    sk_audit_sth h;
    const unsigned reps = 200000, sigs = 2000;
    unsigned ok = 0;
    int64_t t0;

    sk_merkle_frontier_init(&frontier);
    t0 = now_ns();
    for (unsigned i = 0; i < reps; i++) {
        size_t k = i % s->count;
        sk_merkle_leaf_hash(s->json[k], s->len[k], leaf);
        sk_sha256(chain, 32, leaf, 32, NULL, 0, chain);
        sk_merkle_frontier_append(&frontier, leaf);
    }
    *record_us = (double)(now_ns() - t0) / 1e3 / reps;
    memset(&h, 0, sizeof(h));
    h.size = 1;
    sth_signed_bytes(&h, msg);
    sk_sign(kr, msg, sizeof(msg), h.signature);
    sk_audit_public_key(kr, pub);
    t0 = now_ns();
    for (unsigned i = 0; i < sigs; i++)
        ok += (unsigned)sk_audit_sth_verify(&h, pub);
    *head_us = (double)(now_ns() - t0) / 1e3 / sigs;
    if (ok != sigs)
        die("signature", SK_ERR_CRYPTO, NULL);
}

/* --------------------------------------------------------------- main */

static void parse_threads(const char *text, options *o)
{
    char *end;

    o->thread_counts = 0;
    while (*text != '\0' && o->thread_counts < COUNTS_MAX) {
        unsigned long t = strtoul(text, &end, 10);
        if (end == text || t == 0 || t > THREADS_MAX) {
            fprintf(stderr, "bench/audit: --threads takes counts 1..%d, comma-separated\n",
                    THREADS_MAX);
            exit(2);
        }
        o->threads[o->thread_counts++] = (unsigned)t;
        text = *end == ',' ? end + 1 : end;
    }
}

/* "256x1,64x4": batches of 256 from one thread, of 64 from four. */
static void parse_many(const char *text, options *o)
{
    char *end;

    o->many_counts = 0;
    while (*text != '\0' && o->many_counts < COUNTS_MAX) {
        unsigned long b = strtoul(text, &end, 10), t = 0;
        if (end != text && *end == 'x')
            t = strtoul(end + 1, &end, 10);
        if (b < 2 || b > SK_AUDIT_BATCH_MAX || t == 0 || t > THREADS_MAX) {
            fprintf(stderr, "bench/audit: --many takes BATCHxTHREADS, comma-separated\n");
            exit(2);
        }
        o->many[o->many_counts][0] = (unsigned)b;
        o->many[o->many_counts++][1] = (unsigned)t;
        text = *end == ',' ? end + 1 : end;
    }
}

static void parse(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof(*o));
    o->dir = "/tmp";
    o->seconds = 3.0;
    o->records = 1000000;
    o->group = 256;
    parse_threads("1,4,16,64,256", o);
    parse_many("16x4,64x4,256x1,256x4", o);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            o->dir = argv[++i];
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            o->seconds = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            parse_threads(argv[++i], o);
        } else if (strcmp(argv[i], "--many") == 0 && i + 1 < argc) {
            parse_many(argv[++i], o);
        } else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc) {
            o->records = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--group") == 0 && i + 1 < argc) {
            o->group = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--keep") == 0) {
            o->keep = 1;
        } else {
            fprintf(stderr,
                    "usage: %s [--dir DIR] [--seconds S] [--threads 1,4,16,...] [--many 64x4,...] "
                    "[--records N] [--group G] [--keep]\n",
                    argv[0]);
            exit(2);
        }
    }
    if (o->seconds <= 0 || o->group == 0 || o->group > SK_AUDIT_BATCH_MAX || o->records == 0) {
        fprintf(stderr, "bench/audit: bad --seconds, --group (1..%d) or --records\n",
                SK_AUDIT_BATCH_MAX);
        exit(2);
    }
}

/* One row: a fresh log, threads x batch appending for o->seconds. */
static void bench_row(const options *o, sk_keyring *kr, unsigned threads, unsigned batch,
                      samples *keep)
{
    char path[4096];
    append_result res;
    uint64_t records = 0;
    double mb = 0, vrate;

    snprintf(path, sizeof(path), "%s/bench_audit_%ux%u.audit", o->dir, batch, threads);
    memset(&res, 0, sizeof(res));
    run_appends(o, kr, path, threads, batch, &res);
    vrate = verify_rate(kr, path, 1, keep, &records, &mb);
    if (records != res.records)
        die("verify: record count", SK_ERR_CRYPTO, NULL);
    if (batch == 1)
        printf("| %u |", threads);
    else
        printf("| %u x %u |", batch, threads);
    printf(" %.0f | %.0f | %.1f | %.2f ms | %.2f ms | %.0f |\n", res.per_second,
           (double)res.groups / res.seconds, res.mean_group, res.p50_us / 1000, res.p99_us / 1000,
           vrate);
    fflush(stdout);
    if (!o->keep)
        unlink(path);
}

static void bench_appends(const options *o, sk_keyring *kr, double syncs, samples *keep)
{
    printf("\n| writer threads | durable appends/s | groups/s | mean group | p50 latency | "
           "p99 latency | verify (records/s) |\n|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < o->thread_counts; i++)
        bench_row(o, kr, o->threads[i], 1, i + 1 == o->thread_counts ? keep : NULL);
    if (o->many_counts > 0)
        printf("\n| sk_audit_append_many: batch x threads | durable appends/s | groups/s | "
               "mean group | p50 per call | p99 per call | verify (records/s) |\n"
               "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < o->many_counts; i++)
        bench_row(o, kr, o->many[i][1], o->many[i][0], NULL);
    printf("\n(raw disk: %.0f fdatasyncs/s of a 149-byte append, one thread)\n", syncs);
}

int main(int argc, char **argv)
{
    char path[4096];
    options o;
    samples keep;
    sk_keyring *kr = NULL;
    sk_diag diag;
    double syncs, vrate, mb = 0, record_us, head_us;
    uint64_t records = 0;
    size_t json_bytes = 0;
    int64_t t0;
    sk_err rc;

    parse(argc, argv, &o);
    memset(&keep, 0, sizeof(keep));
    sk_diag_clear(&diag);
    setenv(SK_ENV_KEY, BENCH_KEY, 1);
    rc = sk_keyring_open(NULL, &kr, &diag);
    if (rc != SK_OK)
        die("keyring", rc, &diag);
    printf("audit log benchmark in %s, %.1f s per run\n", o.dir, o.seconds);
    syncs = fsync_rate(&o);
    bench_appends(&o, kr, syncs, &keep);

    component_costs(kr, &keep, &record_us, &head_us);
    snprintf(path, sizeof(path), "%s/bench_audit_generated.audit", o.dir);
    t0 = now_ns();
    generate(kr, path, &keep, o.records, o.group);
    for (size_t i = 0; i < keep.count; i++)
        json_bytes += keep.len[i];
    printf("\ngenerated %llu records (JSON of %zu real records, mean %zu bytes), a head every "
           "%llu, in %.1f s\n",
           (unsigned long long)o.records, keep.count, keep.count ? json_bytes / keep.count : 0,
           (unsigned long long)o.group, seconds_since(t0));
    vrate = verify_rate(kr, path, VERIFY_RUNS, NULL, &records, &mb);
    if (records != o.records)
        die("verify: record count", SK_ERR_CRYPTO, NULL);
    printf("verify: %.0f records/s (%.0f MB/s), best of %d\n", vrate, mb, VERIFY_RUNS);
    printf("components: %.2f us hashing per record (leaf, chain, frontier), %.1f us per head "
           "(Ed25519 verify); model: %.0f records/s\n",
           record_us, head_us, 1e6 / (record_us + head_us / (double)o.group));
    if (!o.keep)
        unlink(path);
    for (size_t i = 0; i < keep.count; i++)
        free(keep.json[i]);
    sk_keyring_free(kr);
    return 0;
}
