/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crash_writer.c: the two halves of the audit log's crash test
 * (tests/crash/run.sh).
 *
 *   crash_writer LOG THREADS
 *       Opens LOG (recovering it), then THREADS threads append records
 *       forever (after writing "ready" to stderr once the log is open).
 *       After each sk_audit_append returns SK_OK the thread writes
 *       the acknowledged sequence number as one line with one write(2) to
 *       stdout, so every line on stdout is a promise: that record is durable.
 *       The harness kills the process with SIGKILL at a random moment.
 *
 *   crash_writer --verify LOG ACKS PREV
 *       What a restart does: opens LOG with sk_audit_open (which verifies it
 *       and cuts a tail a kill left after the last signed head), closes it,
 *       then verifies it with sk_audit_verify. Every sequence number in ACKS
 *       (the writer's stdout) must be below the recovered record count, at
 *       or above PREV (the count before the writer started) and appear once.
 *       Prints "records N acks K cut BYTES" on success; exit status 0 when
 *       every check holds, 1 otherwise (the reason on stderr).
 *
 * SIGKILL loses nothing the kernel has accepted, so the test is about the
 * writer's own ordering: no acknowledgement before the group's write and
 * fdatasync returned, and a kill at any point of a commit (before, inside or
 * after the write, before the head) leaves a log that recovery accepts.
 * The key comes from SAFEKEEP_KEY.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safekeep/sk_audit.h"
#include "safekeep/sk_crypto.h"

#define THREADS_MAX 256
#define ACKS_MAX    (64u * 1024 * 1024)

typedef struct writer {
    sk_audit *log;
    unsigned index;
} writer;

static void write_line(const char *line, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, line, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(4);
        line += n;
        len -= (size_t)n;
    }
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    char request_id[32], subject[16], line[32];
    sk_audit_record rec;
    uint64_t k = 0, seq = 0;
    sk_err rc;
    int len;

    memset(&rec, 0, sizeof(rec));
    rec.agency = SK_STR("ICE");
    rec.user = SK_STR("crash");
    rec.role = SK_STR("officer");
    rec.purpose = SK_STR("child_welfare");
    rec.action = SK_STR("read");
    rec.entity = SK_STR("child");
    rec.subject_count = 1;
    rec.fields = 3;
    rec.decision = SK_STR("permit");
    rec.rule_kind = SK_STR("agreement");
    rec.rule_id = SK_STR("crash-test");
    rec.rule_version = 1;
    rec.reason = SK_STR("written by the crash test");
    for (;;) {
        snprintf(request_id, sizeof(request_id), "w%u-%llu", w->index, (unsigned long long)k);
        snprintf(subject, sizeof(subject), "C%04llu", (unsigned long long)(k % 10000));
        rec.request_id = sk_str_c(request_id);
        rec.subjects[0] = sk_str_c(subject);
        rc = sk_audit_append(w->log, &rec, &seq);
        if (rc != SK_OK) {
            fprintf(stderr, "crash_writer: append: %s\n", sk_err_str(rc));
            _exit(3);
        }
        len = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)seq);
        write_line(line, (size_t)len);
        k++;
    }
    return NULL;
}

static sk_keyring *keyring(void)
{
    sk_keyring *kr = NULL;
    sk_diag diag;

    sk_diag_clear(&diag);
    if (sk_keyring_open(NULL, &kr, &diag) != SK_OK) {
        fprintf(stderr, "crash_writer: no key (set SAFEKEEP_KEY): %s\n", diag.msg);
        exit(2);
    }
    return kr;
}

static int run_writer(const char *path, unsigned threads)
{
    static writer w[THREADS_MAX];
    pthread_t tid[THREADS_MAX];
    sk_keyring *kr = keyring();
    sk_audit *log = NULL;
    sk_diag diag;
    sk_err rc;

    sk_diag_clear(&diag);
    rc = sk_audit_open(path, kr, &log, &diag);
    if (rc != SK_OK) {
        fprintf(stderr, "crash_writer: open: %s: %s\n", sk_err_str(rc), diag.msg);
        return 2;
    }
    /* The harness starts its timer here, so that the kill lands while
     * records are being appended and not while the log is being read. */
    if (write(STDERR_FILENO, "ready\n", 6) != 6)
        return 2;
    for (unsigned t = 0; t < threads; t++) {
        w[t].log = log;
        w[t].index = t;
        if (pthread_create(&tid[t], NULL, writer_main, &w[t]) != 0) {
            fprintf(stderr, "crash_writer: cannot start thread %u\n", t);
            return 2;
        }
    }
    for (unsigned t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    return 0; /* not reached: the writers never stop */
}

static long long file_size(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Reads ACKS and checks every line against [prev, records). */
static int check_acks(const char *path, uint64_t prev, uint64_t records, uint64_t *acks)
{
    unsigned char *seen;
    char line[64];
    FILE *f = fopen(path, "r");
    uint64_t span = records > prev ? records - prev : 0;
    int bad = 0;

    *acks = 0;
    if (f == NULL) {
        fprintf(stderr, "crash_writer: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    seen = calloc(span > 0 ? span : 1, 1);
    if (seen == NULL || span > ACKS_MAX) {
        fprintf(stderr, "crash_writer: too many records\n");
        fclose(f);
        free(seen);
        return 1;
    }
    while (!bad && fgets(line, sizeof(line), f) != NULL) {
        char *end;
        unsigned long long seq = strtoull(line, &end, 10);
        if (end == line || *end != '\n') {
            fprintf(stderr, "crash_writer: malformed acknowledgement line %llu: \"%s\"\n",
                    (unsigned long long)*acks + 1, line);
            bad = 1;
        } else if (seq < prev || seq >= records) {
            fprintf(stderr,
                    "crash_writer: acknowledged record %llu is not in the recovered log "
                    "(records %llu to %llu)\n",
                    seq, (unsigned long long)prev, (unsigned long long)records);
            bad = 1;
        } else if (seen[seq - prev]) {
            fprintf(stderr, "crash_writer: record %llu acknowledged twice\n", seq);
            bad = 1;
        } else {
            seen[seq - prev] = 1;
            (*acks)++;
        }
    }
    fclose(f);
    free(seen);
    return bad;
}

static int run_verify(const char *path, const char *acks_path, uint64_t prev)
{
    sk_keyring *kr = keyring();
    sk_audit *log = NULL;
    sk_audit_sth open_head, head;
    uint64_t records = 0, bad_seq = 0, acks = 0;
    long long before = file_size(path), after;
    sk_diag diag;
    sk_err rc;
    int code = 1;

    sk_diag_clear(&diag);
    rc = sk_audit_open(path, kr, &log, &diag);
    if (rc != SK_OK) {
        fprintf(stderr, "crash_writer: recovery refused the log: %s: %s\n", sk_err_str(rc),
                diag.msg);
        goto out;
    }
    sk_audit_head(log, &open_head);
    sk_audit_close(log);
    after = file_size(path);
    rc = sk_audit_verify(path, kr, NULL, NULL, &records, &head, &bad_seq, &diag);
    if (rc != SK_OK) {
        fprintf(stderr, "crash_writer: the recovered log does not verify: record %llu: %s\n",
                (unsigned long long)bad_seq, diag.msg);
        goto out;
    }
    if (records != open_head.size || head.size != records) {
        fprintf(stderr, "crash_writer: recovery saw %llu records, verify %llu\n",
                (unsigned long long)open_head.size, (unsigned long long)records);
        goto out;
    }
    if (records < prev) {
        fprintf(stderr, "crash_writer: the log lost records: %llu before, %llu now\n",
                (unsigned long long)prev, (unsigned long long)records);
        goto out;
    }
    if (check_acks(acks_path, prev, records, &acks) != 0)
        goto out;
    printf("records %llu acks %llu cut %lld\n", (unsigned long long)records,
           (unsigned long long)acks, before - after);
    code = 0;
out:
    sk_keyring_free(kr);
    return code;
}

static void usage(void)
{
    fprintf(stderr, "usage: crash_writer LOG THREADS\n"
                    "       crash_writer --verify LOG ACKS PREV\n");
    exit(2);
}

int main(int argc, char **argv)
{
    char *end;

    if (argc == 5 && strcmp(argv[1], "--verify") == 0) {
        unsigned long long prev = strtoull(argv[4], &end, 10);
        if (*argv[4] == '\0' || *end != '\0')
            usage();
        return run_verify(argv[2], argv[3], prev);
    }
    if (argc == 3) {
        unsigned long threads = strtoul(argv[2], &end, 10);
        if (*argv[2] == '\0' || *end != '\0' || threads == 0 || threads > THREADS_MAX)
            usage();
        return run_writer(argv[1], (unsigned)threads);
    }
    usage();
    return 2;
}
