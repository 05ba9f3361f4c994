/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_audit.c: unit tests for the tamper-evident audit log (sk_audit.h):
 * the append/verify round trip, tamper detection, group commit, failure
 * injection and recovery on open.
 *
 * Every log is written by the real writer (log.c) in a temporary directory
 * that each test creates and removes. The tests read the file with their own
 * parser of the documented format (log_format.h: 'R' u32 json chain[32],
 * 'H' u32 144 body), not with the library's, so the expected verdicts are
 * derived independently of the code under test. Damage is then applied to a
 * copy, byte by byte where the log is small, and every verdict must name
 * exactly the record verify.c's rules name:
 *
 *   - any byte of a record entry (tag, length, JSON, chain hash): that record,
 *     whose chain check fails ("changed, deleted or moved fails its own chain
 *     check");
 *   - any byte of a tree head: the head's own position (the number of records
 *     before it), because every byte is covered by its signature, the framing
 *     or the tag, all checked before the root;
 *   - records rewritten with consistent chain hashes (what someone without
 *     the key can do at best): the first record of the group whose signed
 *     root no longer matches;
 *   - a deleted record: its number, which the entry now in its place has
 *     (also when it was the last of its group and a head follows);
 *   - a file cut inside a record: that record; cut just after a record: the
 *     first record of its group (now unsigned); cut inside a head: the
 *     head's position; cut exactly at a head boundary: a valid, shorter log.
 *     That last case is only detectable against the size the database
 *     acknowledged, which the CLI compares ("missing (the log was
 *     truncated"), tested in tests/integration/audit.sh.
 *
 * Recovery: sk_audit_open must cut what a crash leaves (an unsigned tail:
 * tested at every cut of the small log and with hand-made tails) and refuse
 * with SK_ERR_CRYPTO, leaving the file alone, anything else that does not
 * verify (a damaged record or head anywhere in a signed log). A group whose
 * write or sync failed was never acknowledged and must not come back as
 * signed records on reopening.
 *
 * Each exhaustive loop counts its wrong verdicts, prints the first few as TAP
 * comments, and asserts the count is zero, so a failure says exactly which
 * damage was named wrongly. Costs: a verification is a pass over the log up
 * to the damage (libsodium SHA-256 per record, Ed25519 per head), so the
 * loops run on two threads and the whole file takes about 30 s.
 * SK_TEST_AUDIT_SAMPLES sets the large log's sample (default 400; 2,000 takes
 * about 50 s more); SK_TEST_FILTER=test_name runs one test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "safekeep/sk_audit.h"
#include "safekeep/sk_crypto.h"
#include "safekeep/sk_merkle.h"
#include "safekeep/sk_policy.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff"
#define T0_MS 1700000000000LL /* 2023-11-14T22:13:20Z */

#define FRAME_BYTES      5
#define HEAD_BODY_BYTES  144
#define HEAD_ENTRY_BYTES (FRAME_BYTES + HEAD_BODY_BYTES)
#define CHAIN_BYTES      32

#define SMALL_ROUNDS   4 /* the small log: 4 rounds of 10 concurrent appends */
#define SMALL_THREADS  10
#define LARGE_THREADS  200 /* the large log: 200 threads x 100 appends */
#define LARGE_PER      100
#define LARGE_SAMPLES  400 /* SK_TEST_AUDIT_SAMPLES=2000 for the full run */
#define GROUP_THREADS  8
#define GROUP_PER      2000
#define NOTES_MAX      8
#define SAMPLE_WORKERS 2

typedef struct fixture {
    char dir[64];
    char path[128]; /* the log */
    char work[128]; /* a damaged copy */
    sk_keyring *keyring;
} fixture;

/* ----------------------------------------------------------------- fixture */

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sk_diag diag;

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/sk_test_audit_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/log.audit", f->dir);
    snprintf(f->work, sizeof(f->work), "%s/work.audit", f->dir);
    sk_diag_clear(&diag);
    if (setenv(SK_ENV_KEY, KEY_A, 1) != 0)
        return -1;
    if (sk_keyring_open("/nonexistent/key", &f->keyring, &diag) != SK_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    struct dirent *de;
    char name[400];
    DIR *d;

    d = opendir(f->dir);
    while (d != NULL && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(name, sizeof(name), "%s/%s", f->dir, de->d_name);
        (void)unlink(name);
    }
    if (d != NULL)
        closedir(d);
    (void)rmdir(f->dir);
    sk_keyring_free(f->keyring);
    free(f);
    return unsetenv(SK_ENV_KEY);
}

/* ------------------------------------------------------------------- files */

static unsigned char *slurp(const char *path, size_t *len)
{
    struct stat sb;
    unsigned char *buf;
    int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &sb), 0);
    *len = (size_t)sb.st_size;
    buf = malloc(*len + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, *len, 0), (ssize_t)*len);
    assert_int_equal(close(fd), 0);
    return buf;
}

static void spit(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    if (len > 0)
        assert_int_equal(write(fd, buf, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static void append_bytes(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* XORs one byte of a file with mask (no cmocka asserts: used by workers). */
static int poke(int fd, size_t pos, unsigned char mask)
{
    unsigned char c;

    if (pread(fd, &c, 1, (off_t)pos) != 1)
        return -1;
    c ^= mask;
    return pwrite(fd, &c, 1, (off_t)pos) == 1 ? 0 : -1;
}

static size_t file_size(const char *path)
{
    struct stat sb;

    assert_int_equal(stat(path, &sb), 0);
    return (size_t)sb.st_size;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* ----------------------------------------------------------------- layout */

/* One entry of a log as the test's own parser sees it. */
typedef struct log_entry {
    char tag;       /* 'R' or 'H' */
    size_t start;   /* file offset of the tag */
    size_t end;     /* one past the last byte */
    uint64_t seq;   /* a record's number; for a head, the records before it */
    uint64_t group; /* the first record of the group the entry belongs to */
} log_entry;

typedef struct layout {
    log_entry *e;
    size_t count;
    uint64_t records, heads;
} layout;

/* Parses a whole, valid log written by the writer: records, then a head
 * per group whose size field equals the records so far. */
static void parse_layout(const unsigned char *buf, size_t len, layout *l)
{
    size_t pos = 0, cap = 64;
    uint64_t group = 0;

    memset(l, 0, sizeof(*l));
    l->e = malloc(cap * sizeof(*l->e));
    assert_non_null(l->e);
    while (pos < len) {
        log_entry *e;
        uint32_t n;
        assert_true(len - pos >= FRAME_BYTES);
        if (l->count == cap) {
            cap *= 2;
            l->e = realloc(l->e, cap * sizeof(*l->e));
            assert_non_null(l->e);
        }
        e = &l->e[l->count++];
        e->tag = (char)buf[pos];
        e->start = pos;
        e->group = group;
        n = le32(buf + pos + 1);
        if (e->tag == 'R') {
            assert_true(n > 0 && n <= SK_AUDIT_RECORD_MAX);
            e->end = pos + FRAME_BYTES + n + CHAIN_BYTES;
            e->seq = l->records++;
        } else {
            assert_int_equal(e->tag, 'H');
            assert_int_equal(n, HEAD_BODY_BYTES);
            e->end = pos + HEAD_ENTRY_BYTES;
            e->seq = l->records;
            assert_true(e->end <= len);
            assert_int_equal(le64(buf + pos + FRAME_BYTES), l->records);
            group = l->records;
            l->heads++;
        }
        assert_true(e->end <= len);
        pos = e->end;
    }
    assert_int_equal(pos, len);
    assert_true(l->count == 0 || l->e[l->count - 1].tag == 'H');
}

/* The entry holding byte pos. */
static const log_entry *entry_at(const layout *l, size_t pos)
{
    size_t lo = 0, hi = l->count;

    while (lo + 1 < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->e[mid].start <= pos)
            lo = mid;
        else
            hi = mid;
    }
    assert_true(pos >= l->e[lo].start && pos < l->e[lo].end);
    return &l->e[lo];
}

/* The record entry with number seq. */
static const log_entry *record_entry(const layout *l, uint64_t seq)
{
    for (size_t i = 0; i < l->count; i++) {
        if (l->e[i].tag == 'R' && l->e[i].seq == seq)
            return &l->e[i];
    }
    fail_msg("no record %llu", (unsigned long long)seq);
    return NULL;
}

/* ----------------------------------------------------------------- records */

/* A record and the text it borrows. */
typedef struct rec_text {
    char request_id[32], user[32], subject[16], reason[48];
    sk_audit_record rec;
} rec_text;

static uint64_t fields_of(uint64_t i)
{
    return i % 3 == 0 ? 0 : (1ull << (i % 5)) | (1ull << 12);
}

/* Record number i of the tests: every field set, deterministic. */
static void make_record(uint64_t i, rec_text *t)
{
    sk_audit_record *r = &t->rec;
    int deny = i % 4 == 3;

    snprintf(t->request_id, sizeof(t->request_id), "req-%llu", (unsigned long long)i);
    snprintf(t->user, sizeof(t->user), "user-%llu", (unsigned long long)i);
    snprintf(t->subject, sizeof(t->subject), "C%04llu", (unsigned long long)(i % 10000));
    snprintf(t->reason, sizeof(t->reason), "decision %llu: \"ok\"", (unsigned long long)i);
    memset(r, 0, sizeof(*r));
    r->at_ms = T0_MS + (int64_t)(i % 1000);
    r->request_id = sk_str_c(t->request_id);
    r->agency = SK_STR("ICE");
    r->user = sk_str_c(t->user);
    r->role = SK_STR("officer");
    r->purpose = SK_STR("child_welfare");
    r->action = SK_STR("read");
    r->entity = SK_STR("child");
    r->subjects[0] = sk_str_c(t->subject);
    r->subjects[1] = SK_STR("S0001");
    r->subject_count = i % 2 == 1 ? 2 : 1;
    r->fields = fields_of(i);
    r->decision = deny ? SK_STR("deny") : SK_STR("permit");
    r->rule_kind = deny ? SK_STR("default") : SK_STR("agreement");
    r->rule_id = deny ? SK_STR("") : SK_STR("orr-ice-cbp-moa-2018-child");
    r->rule_version = deny ? 0 : 1;
    r->reason = sk_str_c(t->reason);
    r->break_glass = i % 7 == 0;
}

static sk_err append_record(sk_audit *log, uint64_t i, uint64_t *seq)
{
    rec_text t;

    make_record(i, &t);
    return sk_audit_append(log, &t.rec, seq);
}

static sk_audit *open_log(const fixture *f, const char *path)
{
    sk_audit *log = NULL;
    sk_diag diag;

    sk_diag_clear(&diag);
    assert_int_equal(sk_audit_open(path, f->keyring, &log, &diag), SK_OK);
    assert_non_null(log);
    return log;
}

static sk_err verify(const fixture *f, const char *path, uint64_t *records, uint64_t *bad)
{
    sk_audit_sth head;
    sk_diag diag;

    sk_diag_clear(&diag);
    *records = UINT64_MAX;
    *bad = UINT64_MAX;
    return sk_audit_verify(path, f->keyring, NULL, NULL, records, &head, bad, &diag);
}

/* Concurrent appenders: each waits at the barrier, then appends count
 * records numbered index, index + 1, ... and keeps their sequence numbers. */
typedef struct appender {
    sk_audit *log;
    pthread_barrier_t *barrier;
    uint64_t index;
    unsigned count;
    uint64_t *seqs;
    sk_err rc;
} appender;

static void *appender_main(void *arg)
{
    appender *a = arg;

    (void)pthread_barrier_wait(a->barrier);
    a->rc = SK_OK;
    for (unsigned k = 0; k < a->count && a->rc == SK_OK; k++)
        a->rc = append_record(a->log, a->index + k, &a->seqs[k]);
    return NULL;
}

/* Runs threads appenders of per records each; seqs gets threads * per
 * sequence numbers (thread-major). */
static void append_concurrently(sk_audit *log, unsigned threads, unsigned per, uint64_t index,
                                uint64_t *seqs)
{
    pthread_barrier_t barrier;
    pthread_t *tid = calloc(threads, sizeof(*tid));
    appender *a = calloc(threads, sizeof(*a));

    assert_non_null(tid);
    assert_non_null(a);
    assert_int_equal(pthread_barrier_init(&barrier, NULL, threads), 0);
    for (unsigned t = 0; t < threads; t++) {
        a[t].log = log;
        a[t].barrier = &barrier;
        a[t].index = index + (uint64_t)t * per;
        a[t].count = per;
        a[t].seqs = seqs + (size_t)t * per;
        assert_int_equal(pthread_create(&tid[t], NULL, appender_main, &a[t]), 0);
    }
    for (unsigned t = 0; t < threads; t++) {
        assert_int_equal(pthread_join(tid[t], NULL), 0);
        assert_int_equal(a[t].rc, SK_OK);
    }
    assert_int_equal(pthread_barrier_destroy(&barrier), 0);
    free(tid);
    free(a);
}

/* The small log of the exhaustive tamper tests: 40 records written by 4
 * rounds of 10 concurrent appenders, so groups of several records occur
 * (typically 8 to 15 groups). */
static unsigned char *small_log(const fixture *f, size_t *len, layout *l)
{
    uint64_t seqs[SMALL_THREADS];
    unsigned char *buf;
    sk_audit *log = open_log(f, f->path);

    for (unsigned r = 0; r < SMALL_ROUNDS; r++)
        append_concurrently(log, SMALL_THREADS, 1, (uint64_t)r * SMALL_THREADS, seqs);
    sk_audit_close(log);
    buf = slurp(f->path, len);
    parse_layout(buf, *len, l);
    assert_int_equal(l->records, SMALL_ROUNDS * SMALL_THREADS);
    assert_true(l->heads >= SMALL_ROUNDS);
    assert_true(l->heads <= SMALL_ROUNDS * SMALL_THREADS);
    print_message("# small log: %llu records in %llu groups, %zu bytes\n",
                  (unsigned long long)l->records, (unsigned long long)l->heads, *len);
    return buf;
}

/* ------------------------------------------------------------------ tally */

typedef struct tally {
    const char *what;
    unsigned long cases, wrong;
} tally;

static void expect(tally *t, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void expect(tally *t, int ok, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    t->cases++;
    if (ok)
        return;
    if (t->wrong < NOTES_MAX) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        print_message("# %s: %s\n", t->what, msg);
    }
    t->wrong++;
}

static void tally_end(const tally *t)
{
    print_message("# %s: %lu cases, %lu named wrongly\n", t->what, t->cases, t->wrong);
    assert_int_equal(t->wrong, 0);
}

/* ---------------------------------------------------------- round trip */

static const char *const record_keys[] = {
    "time",      "ms",      "request_id",   "agency",      "user",   "role",
    "purpose",   "action",  "entity",       "subjects",    "fields", "decision",
    "rule_kind", "rule_id", "rule_version", "break_glass", "reason", NULL};

static int str_is(json_t *obj, const char *key, sk_str want)
{
    json_t *v = json_object_get(obj, key);

    return json_is_string(v) && json_string_length(v) == want.len &&
           memcmp(json_string_value(v), want.ptr, want.len) == 0;
}

/* The record JSON holds exactly the struct's content: these keys, these
 * values, nothing else (so no identity value can ride along). */
static void check_record_json(uint64_t i, sk_str json)
{
    json_error_t jerr;
    json_t *obj = json_loadb(json.ptr, json.len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *v;
    rec_text t;
    size_t k, n = 0;

    make_record(i, &t);
    assert_non_null(obj);
    for (k = 0; record_keys[k] != NULL; k++)
        assert_non_null(json_object_get(obj, record_keys[k]));
    assert_int_equal(json_object_size(obj), k);
    assert_true(str_is(obj, "time", SK_STR("2023-11-14T22:13:20Z")));
    assert_int_equal(json_integer_value(json_object_get(obj, "ms")), t.rec.at_ms);
    assert_true(str_is(obj, "request_id", t.rec.request_id));
    assert_true(str_is(obj, "agency", t.rec.agency));
    assert_true(str_is(obj, "user", t.rec.user));
    assert_true(str_is(obj, "role", t.rec.role));
    assert_true(str_is(obj, "purpose", t.rec.purpose));
    assert_true(str_is(obj, "action", t.rec.action));
    assert_true(str_is(obj, "entity", t.rec.entity));
    v = json_object_get(obj, "subjects");
    assert_int_equal(json_array_size(v), t.rec.subject_count);
    for (k = 0; k < t.rec.subject_count; k++) {
        json_t *s = json_array_get(v, k);
        assert_true(json_is_string(s));
        assert_string_equal(json_string_value(s), k == 0 ? t.subject : "S0001");
    }
    v = json_object_get(obj, "fields");
    for (k = 0; sk_policy_field_names[k] != NULL; k++) {
        if ((t.rec.fields >> k) & 1u) {
            assert_string_equal(json_string_value(json_array_get(v, n)), sk_policy_field_names[k]);
            n++;
        }
    }
    assert_int_equal(json_array_size(v), n);
    assert_true(str_is(obj, "decision", t.rec.decision));
    assert_true(str_is(obj, "rule_kind", t.rec.rule_kind));
    assert_true(str_is(obj, "rule_id", t.rec.rule_id));
    assert_int_equal(json_integer_value(json_object_get(obj, "rule_version")), t.rec.rule_version);
    assert_true(json_is_boolean(json_object_get(obj, "break_glass")));
    assert_int_equal(json_is_true(json_object_get(obj, "break_glass")), t.rec.break_glass);
    assert_true(str_is(obj, "reason", t.rec.reason));
    json_decref(obj);
}

typedef struct walk_state {
    uint64_t next;
    int order_ok;
    char first[1024];
} walk_state;

static int collect(uint64_t seq, sk_str json, void *ctx)
{
    walk_state *s = ctx;

    if (seq != s->next)
        s->order_ok = 0;
    check_record_json(seq, json);
    if (seq == 1)
        snprintf(s->first, sizeof(s->first), "%.*s", (int)json.len, json.ptr);
    s->next++;
    return 0;
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    unsigned char pub[SK_AUDIT_PUBKEY_BYTES];
    sk_audit_sth live, head, empty;
    uint64_t seq, records = 0, bad = 0, groups = 0, stats_records = 0;
    walk_state s = {0, 1, ""};
    sk_audit *log;
    sk_diag diag;
    rec_text big;
    char reason[SK_AUDIT_RECORD_MAX + 1];

    sk_diag_clear(&diag);
    log = open_log(f, f->path);
    sk_audit_head(log, &empty);
    assert_int_equal(empty.size, 0);
    for (uint64_t i = 0; i < 30; i++) {
        assert_int_equal(append_record(log, i, &seq), SK_OK);
        assert_int_equal(seq, i);
    }
    /* An oversized record is refused and takes no sequence number. */
    make_record(99, &big);
    memset(reason, 'x', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
    big.rec.reason = sk_str_c(reason);
    assert_int_equal(sk_audit_append(log, &big.rec, &seq), SK_ERR_TOO_LARGE);
    assert_int_equal(append_record(log, 30, &seq), SK_OK);
    assert_int_equal(seq, 30);
    sk_audit_head(log, &live);
    sk_audit_stats(log, &groups, &stats_records);
    assert_int_equal(stats_records, 31);
    assert_int_equal(groups, 31); /* one caller at a time: one record per group */
    sk_audit_close(log);

    assert_int_equal(
        sk_audit_verify(f->path, f->keyring, collect, &s, &records, &head, &bad, &diag), SK_OK);
    assert_int_equal(records, 31);
    assert_int_equal(s.next, 31);
    assert_true(s.order_ok);
    assert_int_equal(live.size, 31);
    assert_int_equal(head.size, 31);
    assert_int_equal(head.timestamp_ms, live.timestamp_ms);
    assert_memory_equal(head.root, live.root, 32);
    assert_memory_equal(head.chain, live.chain, 32);
    assert_memory_equal(head.signature, live.signature, SK_AUDIT_SIG_BYTES);
    /* Known answer: record 1 exactly as stored (JSON escaping included). */
    assert_string_equal(
        s.first,
        "{\"time\":\"2023-11-14T22:13:20Z\",\"ms\":1700000000001,\"request_id\":\"req-1\","
        "\"agency\":\"ICE\",\"user\":\"user-1\",\"role\":\"officer\",\"purpose\":\"child_welfare\","
        "\"action\":\"read\",\"entity\":\"child\",\"subjects\":[\"C0001\",\"S0001\"],"
        "\"fields\":[\"family_name\",\"facility\"],\"decision\":\"permit\","
        "\"rule_kind\":\"agreement\",\"rule_id\":\"orr-ice-cbp-moa-2018-child\","
        "\"rule_version\":1,\"break_glass\":false,\"reason\":\"decision 1: \\\"ok\\\"\"}");

    /* The head is checkable with the public key alone. */
    sk_audit_public_key(f->keyring, pub);
    assert_int_equal(sk_audit_sth_verify(&head, pub), 1);
    head.root[0] ^= 1;
    assert_int_equal(sk_audit_sth_verify(&head, pub), 0);
    head.root[0] ^= 1;
    head.size++;
    assert_int_equal(sk_audit_sth_verify(&head, pub), 0);

    /* Reopening continues the numbering. */
    log = open_log(f, f->path);
    sk_audit_head(log, &live);
    assert_int_equal(live.size, 31);
    assert_int_equal(append_record(log, 31, &seq), SK_OK);
    assert_int_equal(seq, 31);
    sk_audit_close(log);
    assert_int_equal(verify(f, f->path, &records, &bad), SK_OK);
    assert_int_equal(records, 32);
}

static void test_empty_log_and_wrong_key(void **state)
{
    fixture *f = *state;
    sk_keyring *other = NULL;
    sk_audit_sth head;
    uint64_t records = 0, bad = 0, seq;
    sk_diag diag;
    sk_audit *log;

    sk_diag_clear(&diag);
    /* A log just created is empty and valid. */
    log = open_log(f, f->path);
    sk_audit_close(log);
    assert_int_equal(file_size(f->path), 0);
    assert_int_equal(verify(f, f->path, &records, &bad), SK_OK);
    assert_int_equal(records, 0);

    log = open_log(f, f->path);
    for (uint64_t i = 0; i < 3; i++)
        assert_int_equal(append_record(log, i, &seq), SK_OK);
    sk_audit_close(log);
    /* Another key: the first head (after record 0) does not verify. */
    assert_int_equal(setenv(SK_ENV_KEY, KEY_B, 1), 0);
    assert_int_equal(sk_keyring_open("/nonexistent/key", &other, &diag), SK_OK);
    assert_int_equal(setenv(SK_ENV_KEY, KEY_A, 1), 0);
    assert_int_equal(sk_audit_verify(f->path, other, NULL, NULL, &records, &head, &bad, &diag),
                     SK_ERR_CRYPTO);
    assert_int_equal(bad, 1);
    assert_non_null(strstr(diag.msg, "invalid signature"));
    /* And a writer with the wrong key refuses the log. */
    log = NULL;
    assert_int_equal(sk_audit_open(f->path, other, &log, &diag), SK_ERR_CRYPTO);
    assert_null(log);
    sk_keyring_free(other);
    /* A missing file is an I/O error, not an empty log. */
    assert_int_equal(verify(f, f->work, &records, &bad), SK_ERR_IO);
}

/* ------------------------------------------------------------ damage runs */

/* Verifies many damaged copies of one log on SAMPLE_WORKERS threads, each
 * with its own copy, since a verification costs a pass over the log up to
 * the damage (Ed25519 per head dominates). cmocka asserts stay on the main
 * thread; workers only record verdicts. */
typedef struct damage_run {
    const fixture *f;
    const unsigned char *buf; /* the intact log */
    size_t len;
    int cut; /* 1: truncate at pos[i]; 0: flip byte pos[i] */
    const size_t *pos;
    const unsigned char *mask; /* XOR masks for flips */
    size_t count;
    sk_err *rc; /* out: verdict per damage */
    uint64_t *bad, *records;
} damage_run;

typedef struct damage_worker {
    const damage_run *run;
    char path[160];
    size_t first; /* takes damages first, first + SAMPLE_WORKERS, ... */
    int io_failed;
} damage_worker;

static int write_prefix(const char *path, const unsigned char *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int ok = fd >= 0 && (len == 0 || write(fd, buf, len) == (ssize_t)len);

    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

static void *damage_main(void *arg)
{
    damage_worker *w = arg;
    const damage_run *r = w->run;
    int fd = -1;

    if (!r->cut) {
        if (write_prefix(w->path, r->buf, r->len) != 0)
            w->io_failed = 1;
        fd = open(w->path, O_RDWR);
        if (fd < 0)
            w->io_failed = 1;
    }
    for (size_t i = w->first; i < r->count && !w->io_failed; i += SAMPLE_WORKERS) {
        sk_audit_sth head;
        if (r->cut && write_prefix(w->path, r->buf, r->pos[i]) != 0)
            w->io_failed = 1;
        if (!r->cut && poke(fd, r->pos[i], r->mask[i]) != 0)
            w->io_failed = 1;
        r->rc[i] = sk_audit_verify(w->path, r->f->keyring, NULL, NULL, &r->records[i], &head,
                                   &r->bad[i], NULL);
        if (!r->cut && poke(fd, r->pos[i], r->mask[i]) != 0)
            w->io_failed = 1;
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void damage_run_all(damage_run *r)
{
    damage_worker w[SAMPLE_WORKERS];
    pthread_t tid[SAMPLE_WORKERS];

    r->rc = calloc(r->count, sizeof(*r->rc));
    r->bad = calloc(r->count, sizeof(*r->bad));
    r->records = calloc(r->count, sizeof(*r->records));
    assert_non_null(r->rc);
    assert_non_null(r->bad);
    assert_non_null(r->records);
    for (int k = 0; k < SAMPLE_WORKERS; k++) {
        memset(&w[k], 0, sizeof(w[k]));
        w[k].run = r;
        snprintf(w[k].path, sizeof(w[k].path), "%s/damage%d.audit", r->f->dir, k);
        /* Interleaved shares: the cost grows with the position. */
        w[k].first = (size_t)k;
        assert_int_equal(pthread_create(&tid[k], NULL, damage_main, &w[k]), 0);
    }
    for (int k = 0; k < SAMPLE_WORKERS; k++) {
        assert_int_equal(pthread_join(tid[k], NULL), 0);
        assert_int_equal(w[k].io_failed, 0);
    }
}

static void damage_run_free(damage_run *r)
{
    free(r->rc);
    free(r->bad);
    free(r->records);
}

/* --------------------------------------------------------------- tampering */

/* Every byte of the small log, one bit flipped (bit pos % 8, so every bit
 * position of every field occurs), and every byte XORed with 0xFF. */
static void test_flip_every_byte(void **state)
{
    fixture *f = *state;
    tally t = {"flip every byte", 0, 0};
    uint64_t records, bad;
    damage_run r;
    unsigned char *buf, *mask;
    size_t len, *pos;
    layout l;

    buf = small_log(f, &len, &l);
    pos = calloc(2 * len, sizeof(*pos));
    mask = calloc(2 * len, 1);
    assert_non_null(pos);
    assert_non_null(mask);
    for (size_t i = 0; i < 2 * len; i++) {
        pos[i] = i / 2;
        mask[i] = (unsigned char)(i % 2 ? 0xFFu : 1u << (pos[i] % 8));
    }
    memset(&r, 0, sizeof(r));
    r.f = f, r.buf = buf, r.len = len, r.pos = pos, r.mask = mask, r.count = 2 * len;
    damage_run_all(&r);
    for (size_t i = 0; i < r.count; i++) {
        const log_entry *e = entry_at(&l, pos[i]);
        expect(&t, r.rc[i] == SK_ERR_CRYPTO && r.bad[i] == e->seq,
               "byte %zu (%s %llu, offset %zu) ^ 0x%02x: rc %d, named %llu, want %llu", pos[i],
               e->tag == 'R' ? "record" : "head at", (unsigned long long)e->seq, pos[i] - e->start,
               mask[i], (int)r.rc[i], (unsigned long long)r.bad[i], (unsigned long long)e->seq);
    }
    /* The copies are intact again. */
    assert_int_equal(verify(f, f->path, &records, &bad), SK_OK);
    assert_int_equal(records, l.records);
    damage_run_free(&r);
    free(pos);
    free(mask);
    free(l.e);
    free(buf);
    tally_end(&t);
}

static void test_delete_each_record(void **state)
{
    fixture *f = *state;
    tally t = {"delete each record", 0, 0};
    uint64_t records, bad;
    unsigned char *buf, *copy;
    size_t len;
    layout l;

    buf = small_log(f, &len, &l);
    copy = malloc(len);
    assert_non_null(copy);
    for (size_t i = 0; i < l.count; i++) {
        const log_entry *e = &l.e[i];
        size_t n = e->end - e->start;
        sk_err rc;
        if (e->tag != 'R')
            continue;
        memcpy(copy, buf, e->start);
        memcpy(copy + e->start, buf + e->end, len - e->end);
        spit(f->work, copy, len - n);
        rc = verify(f, f->work, &records, &bad);
        /* verify.c: a deleted record "fails its own chain check": the
         * entry now in its place is named, which has its number. */
        expect(&t, rc == SK_ERR_CRYPTO && bad == e->seq,
               "record %llu deleted (group from %llu, %s of its group): rc %d, named %llu",
               (unsigned long long)e->seq, (unsigned long long)e->group,
               l.e[i + 1].tag == 'H' ? "last" : "not last", (int)rc, (unsigned long long)bad);
    }
    free(copy);
    free(l.e);
    free(buf);
    tally_end(&t);
}

static void test_swap_adjacent_records(void **state)
{
    fixture *f = *state;
    tally t = {"swap adjacent records", 0, 0};
    uint64_t records, bad;
    unsigned char *buf, *copy;
    size_t len;
    layout l;

    buf = small_log(f, &len, &l);
    copy = malloc(len);
    assert_non_null(copy);
    for (uint64_t i = 0; i + 1 < l.records; i++) {
        const log_entry *a = record_entry(&l, i), *b = record_entry(&l, i + 1);
        size_t na = a->end - a->start, nb = b->end - b->start, mid = b->start - a->end;
        sk_err rc;
        /* [a][head?][b] becomes [b][head?][a]. */
        memcpy(copy, buf, len);
        memcpy(copy + a->start, buf + b->start, nb);
        memcpy(copy + a->start + nb, buf + a->end, mid);
        memcpy(copy + a->start + nb + mid, buf + a->start, na);
        spit(f->work, copy, len);
        rc = verify(f, f->work, &records, &bad);
        expect(&t, rc == SK_ERR_CRYPTO && bad == i,
               "records %llu and %llu swapped%s: rc %d, named %llu", (unsigned long long)i,
               (unsigned long long)i + 1, mid ? " across a head" : "", (int)rc,
               (unsigned long long)bad);
    }
    free(copy);
    free(l.e);
    free(buf);
    tally_end(&t);
}

/* Recomputes every record's chain hash from the first on, as someone who
 * altered a record but has no signing key would. */
static void rechain(unsigned char *buf, const layout *l)
{
    unsigned char chain[32] = {0}, leaf[32];

    for (size_t i = 0; i < l->count; i++) {
        const log_entry *e = &l->e[i];
        size_t n;
        if (e->tag != 'R')
            continue;
        n = le32(buf + e->start + 1);
        sk_merkle_leaf_hash(buf + e->start + FRAME_BYTES, n, leaf);
        sk_sha256(chain, 32, leaf, 32, NULL, 0, chain);
        memcpy(buf + e->start + FRAME_BYTES + n, chain, 32);
    }
}

static void test_consistent_rewrite(void **state)
{
    fixture *f = *state;
    tally t = {"rewrite a record and its chain", 0, 0};
    uint64_t records, bad;
    unsigned char *buf, *copy;
    size_t len;
    layout l;

    buf = small_log(f, &len, &l);
    copy = malloc(len);
    assert_non_null(copy);
    /* Sanity: rechaining the untouched log changes nothing. */
    memcpy(copy, buf, len);
    rechain(copy, &l);
    assert_memory_equal(copy, buf, len);
    for (uint64_t i = 0; i < l.records; i++) {
        const log_entry *e = record_entry(&l, i);
        size_t n = le32(buf + e->start + 1);
        sk_err rc;
        memcpy(copy, buf, len);
        copy[e->start + FRAME_BYTES + n / 2] ^= 0x01;
        rechain(copy, &l);
        spit(f->work, copy, len);
        rc = verify(f, f->work, &records, &bad);
        /* Every chain check passes; the group's signed root does not. */
        expect(&t, rc == SK_ERR_CRYPTO && bad == e->group,
               "record %llu rewritten: rc %d, named %llu, want the group's first %llu",
               (unsigned long long)i, (int)rc, (unsigned long long)bad,
               (unsigned long long)e->group);
    }
    free(copy);
    free(l.e);
    free(buf);
    tally_end(&t);
}

/* The largest head boundary at or below size, and the records it covers. */
static void last_head_below(const layout *l, size_t size, size_t *end, uint64_t *records)
{
    *end = 0;
    *records = 0;
    for (size_t i = 0; i < l->count && l->e[i].end <= size; i++) {
        if (l->e[i].tag == 'H') {
            *end = l->e[i].end;
            *records = l->e[i].seq;
        }
    }
}

static void test_truncate_every_offset(void **state)
{
    fixture *f = *state;
    tally t = {"truncate at every offset", 0, 0};
    tally o = {"open after truncation (recovery)", 0, 0};
    uint64_t records, bad, covered;
    unsigned char *buf;
    unsigned boundary_ok = 0;
    size_t len, head_end, *pos;
    damage_run r;
    layout l;

    buf = small_log(f, &len, &l);
    pos = calloc(len + 1, sizeof(*pos));
    assert_non_null(pos);
    for (size_t cut = 0; cut <= len; cut++)
        pos[cut] = cut;
    memset(&r, 0, sizeof(r));
    r.f = f, r.buf = buf, r.len = len, r.cut = 1, r.pos = pos, r.count = len + 1;
    damage_run_all(&r);
    for (size_t cut = 0; cut <= len; cut++) {
        uint64_t want_bad = 0;
        int want_ok = 0;
        if (cut == 0) {
            want_ok = 1;
        } else {
            const log_entry *e = entry_at(&l, cut - 1);
            if (cut == e->end && e->tag == 'H')
                want_ok = 1; /* a head boundary: a valid, shorter log */
            else if (cut == e->end)
                want_bad = e->group; /* whole records, unsigned: the first */
            else
                want_bad = e->seq; /* inside a record: it; inside a head: its position */
        }
        last_head_below(&l, cut, &head_end, &covered);
        if (want_ok) {
            expect(&t, r.rc[cut] == SK_OK && r.records[cut] == covered,
                   "cut at %zu: rc %d, %llu records", cut, (int)r.rc[cut],
                   (unsigned long long)r.records[cut]);
            boundary_ok++;
        } else {
            expect(&t, r.rc[cut] == SK_ERR_CRYPTO && r.bad[cut] == want_bad,
                   "cut at %zu: rc %d, named %llu, want %llu", cut, (int)r.rc[cut],
                   (unsigned long long)r.bad[cut], (unsigned long long)want_bad);
        }
        /* A cut is what a crash mid-commit leaves: open keeps the signed
         * prefix and continues. Checked on a stride and around entries. */
        if (cut % 37 == 0 || cut == len || (cut > 0 && entry_at(&l, cut - 1)->end - cut <= 1) ||
            (cut < len && cut - entry_at(&l, cut)->start <= 1)) {
            sk_audit *log = NULL;
            sk_diag diag;
            uint64_t seq = UINT64_MAX;
            sk_err rc;
            sk_diag_clear(&diag);
            spit(f->work, buf, cut);
            rc = sk_audit_open(f->work, f->keyring, &log, &diag);
            if (rc == SK_OK)
                rc = file_size(f->work) == head_end ? append_record(log, 1000, &seq) : SK_ERR_IO;
            sk_audit_close(log);
            expect(&o, rc == SK_OK && seq == covered,
                   "cut at %zu: open cut to %zu (want %zu), append rc %d, seq %llu", cut,
                   file_size(f->work), head_end, (int)rc, (unsigned long long)seq);
            rc = verify(f, f->work, &records, &bad);
            expect(&o, rc == SK_OK && records == covered + 1,
                   "cut at %zu, reopened and appended: rc %d, %llu records", cut, (int)rc,
                   (unsigned long long)records);
        }
    }
    assert_int_equal(boundary_ok, l.heads + 1);
    damage_run_free(&r);
    free(pos);
    free(l.e);
    free(buf);
    tally_end(&t);
    tally_end(&o);
}

/* sk_audit.h: on open "anything else that does not verify is an error
 * (SK_ERR_CRYPTO) and the log is not opened for writing". Damage to any
 * entry of a complete, signed log is tampering, never a crash tail: open
 * must refuse, and must leave the file as it found it (the evidence). */
static void test_open_refuses_tampering(void **state)
{
    fixture *f = *state;
    tally tr = {"open with a damaged record", 0, 0};
    tally th = {"open with a damaged head", 0, 0};
    unsigned char *buf, *after;
    size_t len, after_len;
    layout l;

    buf = small_log(f, &len, &l);
    for (size_t i = 0; i < l.count; i++) {
        const log_entry *e = &l.e[i];
        size_t pos = e->start + (e->end - e->start) / 2;
        sk_audit *log = NULL;
        sk_diag diag;
        sk_err rc;
        sk_diag_clear(&diag);
        spit(f->work, buf, len);
        {
            int fd = open(f->work, O_RDWR);
            assert_true(fd >= 0);
            assert_int_equal(poke(fd, pos, 0xFF), 0);
            assert_int_equal(close(fd), 0);
        }
        rc = sk_audit_open(f->work, f->keyring, &log, &diag);
        sk_audit_close(log);
        after = slurp(f->work, &after_len);
        expect(e->tag == 'R' ? &tr : &th,
               rc == SK_ERR_CRYPTO && log == NULL && after_len == len &&
                   memcmp(after, buf, pos) == 0 && after[pos] == (buf[pos] ^ 0xFF),
               "%s %llu (of %llu, group from %llu) damaged: open rc %d, file %zu of %zu bytes",
               e->tag == 'R' ? "record" : "head at", (unsigned long long)e->seq,
               (unsigned long long)l.records, (unsigned long long)e->group, (int)rc, after_len,
               len);
        free(after);
    }
    free(l.e);
    free(buf);
    tally_end(&th);
    tally_end(&tr);
}

/* A large log: 20,000 records, random bytes XORed with 0xFF one at a time.
 * Each verification costs a pass up to the damage (about 60 ms of CPU on the
 * reference machine for the whole 8 MB log: libsodium's SHA-256 and
 * Ed25519), so the default is LARGE_SAMPLES (about 10 s on two cores);
 * SK_TEST_AUDIT_SAMPLES=2000 runs the full sample (about 50 s). */
static void test_flip_sampled_large_log(void **state)
{
    fixture *f = *state;
    tally t = {"flip sampled bytes of a large log", 0, 0};
    size_t total = (size_t)LARGE_THREADS * LARGE_PER, len, *pos, samples = LARGE_SAMPLES;
    uint64_t *seqs = calloc(total, sizeof(*seqs)), records, bad, rng = 42;
    const char *env = getenv("SK_TEST_AUDIT_SAMPLES");
    unsigned char *buf, *mask;
    damage_run r;
    sk_audit *log;
    layout l;

    if (env != NULL && strtoul(env, NULL, 10) > 0)
        samples = strtoul(env, NULL, 10);
    assert_non_null(seqs);
    log = open_log(f, f->path);
    append_concurrently(log, LARGE_THREADS, LARGE_PER, 0, seqs);
    sk_audit_close(log);
    buf = slurp(f->path, &len);
    parse_layout(buf, len, &l);
    assert_int_equal(l.records, total);
    assert_int_equal(verify(f, f->path, &records, &bad), SK_OK);
    assert_int_equal(records, total);
    print_message("# large log: %llu records in %llu groups, %zu bytes, %zu samples\n",
                  (unsigned long long)l.records, (unsigned long long)l.heads, len, samples);
    pos = calloc(samples, sizeof(*pos));
    mask = malloc(samples);
    assert_non_null(pos);
    assert_non_null(mask);
    memset(mask, 0xFF, samples);
    for (size_t i = 0; i < samples; i++) {
        uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        pos[i] = (size_t)((z ^ (z >> 31)) % len);
    }
    memset(&r, 0, sizeof(r));
    r.f = f, r.buf = buf, r.len = len, r.pos = pos, r.mask = mask, r.count = samples;
    damage_run_all(&r);
    for (size_t i = 0; i < samples; i++) {
        const log_entry *e = entry_at(&l, pos[i]);
        expect(&t, r.rc[i] == SK_ERR_CRYPTO && r.bad[i] == e->seq,
               "byte %zu (%s %llu) ^ 0xff: rc %d, named %llu", pos[i],
               e->tag == 'R' ? "record" : "head at", (unsigned long long)e->seq, (int)r.rc[i],
               (unsigned long long)r.bad[i]);
    }
    damage_run_free(&r);
    free(pos);
    free(mask);
    free(seqs);
    free(l.e);
    free(buf);
    tally_end(&t);
}

/* sk_audit_append_many: n records as one group, consecutive numbers. */
static void test_append_many(void **state)
{
    fixture *f = *state;
    rec_text t[5];
    sk_audit_record recs[5];
    uint64_t seqs[5], seq, groups = 0, records = 0, bad = 0;
    sk_audit *log = open_log(f, f->path);
    walk_state s = {0, 1, ""};
    sk_audit_sth head;
    sk_diag diag;

    sk_diag_clear(&diag);
    assert_int_equal(append_record(log, 0, &seq), SK_OK);
    for (uint64_t i = 0; i < 5; i++) {
        make_record(1 + i, &t[i]);
        recs[i] = t[i].rec;
    }
    assert_int_equal(sk_audit_append_many(log, recs, 5, seqs), SK_OK);
    for (uint64_t i = 0; i < 5; i++)
        assert_int_equal(seqs[i], 1 + i);
    assert_int_equal(sk_audit_append_many(log, recs, 0, seqs), SK_OK);
    assert_int_equal(sk_audit_append_many(log, NULL, 0, NULL), SK_OK);
    sk_audit_stats(log, &groups, &records);
    assert_int_equal(records, 6);
    assert_int_equal(groups, 2); /* the five went in one group */
    /* A failing group fails the whole call and closes the log. */
    sk_audit_fail_after(log, 1);
    assert_int_equal(sk_audit_append_many(log, recs, 5, seqs), SK_ERR_IO);
    assert_int_equal(append_record(log, 9, &seq), SK_ERR_IO);
    sk_audit_head(log, &head);
    assert_int_equal(head.size, 6);
    sk_audit_close(log);
    assert_int_equal(
        sk_audit_verify(f->path, f->keyring, collect, &s, &records, &head, &bad, &diag), SK_OK);
    assert_int_equal(records, 6);
    assert_true(s.order_ok);
}

/* ------------------------------------------------------------ async append */

typedef struct async_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned calls;
    sk_err rc;
    uint64_t first_seq;
} async_wait;

static void async_done(void *ctx, sk_err rc, uint64_t first_seq)
{
    async_wait *w = ctx;

    pthread_mutex_lock(&w->mu);
    w->calls++;
    w->rc = rc;
    w->first_seq = first_seq;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void async_wait_for(async_wait *w, unsigned calls)
{
    pthread_mutex_lock(&w->mu);
    while (w->calls < calls)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

/* The callback comes once per call, after the records are durable (they
 * verify from the file at that moment), with the first sequence number; a
 * failing group reports SK_ERR_IO and later calls are refused at once. */
static void test_append_async(void **state)
{
    fixture *f = *state;
    async_wait w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, SK_OK, 0};
    sk_audit_record recs[3];
    uint64_t seq, records = 0, bad = 0, hist[SK_AUDIT_HIST_BUCKETS], total = 0;
    rec_text t[3];
    sk_audit *log = open_log(f, f->path);

    assert_int_equal(append_record(log, 0, &seq), SK_OK);
    for (uint64_t i = 0; i < 3; i++) {
        make_record(1 + i, &t[i]);
        recs[i] = t[i].rec;
    }
    assert_int_equal(sk_audit_append_async(log, recs, 3, async_done, &w), SK_OK);
    async_wait_for(&w, 1);
    assert_int_equal(w.rc, SK_OK);
    assert_int_equal(w.first_seq, 1);
    assert_int_equal(verify(f, f->path, &records, &bad), SK_OK);
    assert_int_equal(records, 4);
    assert_int_equal(sk_audit_append_async(log, recs, 0, async_done, &w), SK_ERR_INVALID);
    sk_audit_batch_histogram(log, hist);
    for (size_t b = 0; b < SK_AUDIT_HIST_BUCKETS; b++)
        total += hist[b];
    assert_int_equal(total, 2);
    assert_int_equal(hist[0], 1); /* the single record */
    assert_int_equal(hist[2], 1); /* the three, one group of at most 4 */
    assert_int_equal(sk_audit_failed(log), 0);
    sk_audit_fail_after(log, 1);
    assert_int_equal(sk_audit_append_async(log, recs, 2, async_done, &w), SK_OK);
    async_wait_for(&w, 2);
    assert_int_equal(w.rc, SK_ERR_IO);
    assert_int_equal(sk_audit_failed(log), 1);
    assert_int_equal(sk_audit_append_async(log, recs, 1, async_done, &w), SK_ERR_IO);
    sk_audit_close(log);
    assert_int_equal(w.calls, 2);
}

/* A lone caller never waits for company: with a gather time of 100 ms, 20
 * appends one after another take nowhere near 2 s. Under concurrency the
 * groups still form and every record is committed once. */
static void test_gather(void **state)
{
    fixture *f = *state;
    size_t total = (size_t)GROUP_THREADS * GROUP_PER;
    uint64_t *seqs = calloc(total, sizeof(*seqs)), seq, groups = 0, records = 0, bad;
    struct timespec t0, t1;
    sk_audit *log = open_log(f, f->path);
    double secs;

    assert_non_null(seqs);
    sk_audit_set_gather(log, 100000);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (uint64_t i = 0; i < 20; i++)
        assert_int_equal(append_record(log, i, &seq), SK_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(secs < 1.0);
    sk_audit_set_gather(log, 2000);
    append_concurrently(log, GROUP_THREADS, GROUP_PER, 20, seqs);
    sk_audit_stats(log, &groups, &records);
    sk_audit_close(log);
    assert_int_equal(records, 20 + total);
    assert_true(groups < records);
    assert_int_equal(verify(f, f->path, &records, &bad), SK_OK);
    assert_int_equal(records, 20 + total);
    free(seqs);
}

/* ------------------------------------------------------------ group commit */

static void test_group_commit(void **state)
{
    fixture *f = *state;
    size_t total = (size_t)GROUP_THREADS * GROUP_PER, len;
    uint64_t *seqs = calloc(total, sizeof(*seqs)), groups = 0, records = 0, bad;
    unsigned char *seen = calloc(total, 1), *buf;
    sk_audit_sth head;
    sk_audit *log;
    layout l;

    assert_non_null(seqs);
    assert_non_null(seen);
    log = open_log(f, f->path);
    append_concurrently(log, GROUP_THREADS, GROUP_PER, 0, seqs);
    sk_audit_stats(log, &groups, &records);
    sk_audit_head(log, &head);
    sk_audit_close(log);
    /* Every sequence number once: unique and dense. */
    for (size_t i = 0; i < total; i++) {
        assert_true(seqs[i] < total);
        assert_int_equal(seen[seqs[i]], 0);
        seen[seqs[i]] = 1;
    }
    /* Each thread's own records are in its order. */
    for (size_t t = 0; t < GROUP_THREADS; t++) {
        for (size_t k = 1; k < GROUP_PER; k++)
            assert_true(seqs[t * GROUP_PER + k] > seqs[t * GROUP_PER + k - 1]);
    }
    assert_int_equal(records, total);
    assert_int_equal(head.size, total);
    /* Grouping happened, and no group is larger than the callers waiting. */
    assert_true(groups < records);
    assert_true(groups * GROUP_THREADS >= records);
    print_message("# group commit: %llu records in %llu groups (mean %.2f)\n",
                  (unsigned long long)records, (unsigned long long)groups,
                  (double)records / (double)groups);
    assert_int_equal(verify(f, f->path, &records, &bad), SK_OK);
    assert_int_equal(records, total);
    buf = slurp(f->path, &len);
    parse_layout(buf, len, &l);
    assert_int_equal(l.heads, groups);
    free(l.e);
    free(buf);
    free(seen);
    free(seqs);
}

/* --------------------------------------------------------- fault injection */

/* The Nth write-or-sync fails. Each group is one write and one sync, so
 * N = 1 fails the first group's write, N = 2 its sync, N = 3 and 4 the next
 * group's. The failing append and every later one return SK_ERR_IO; what
 * stays in the file verifies, and after reopening it holds exactly the
 * acknowledged records: a group whose write or sync failed was never
 * acknowledged, so it must be gone (absent, or an unsigned tail that the
 * reopening cuts off), never a signed part of the log. */
static void test_fail_after(void **state)
{
    fixture *f = *state;
    tally t = {"failure injection", 0, 0};

    for (unsigned long n = 1; n <= 4; n++) {
        char path[160];
        sk_audit_sth head;
        uint64_t seq = 0, acked = 3, records = 0, bad = 0, groups = 0, stats_records = 0;
        unsigned ok_before_failure = 0;
        sk_audit *log;
        sk_err rc = SK_OK;

        snprintf(path, sizeof(path), "%s/fail%lu.audit", f->dir, n);
        log = open_log(f, path);
        for (uint64_t i = 0; i < 3; i++)
            assert_int_equal(append_record(log, i, &seq), SK_OK);
        sk_audit_fail_after(log, n);
        for (unsigned k = 0; k < 10; k++) {
            rc = append_record(log, 100 + k, &seq);
            if (rc != SK_OK)
                break;
            assert_int_equal(seq, acked);
            acked++;
            ok_before_failure++;
        }
        assert_int_equal(rc, SK_ERR_IO);
        assert_int_equal(ok_before_failure, (n - 1) / 2);
        /* Closed for appends: every later call fails too. */
        for (unsigned k = 0; k < 3; k++)
            assert_int_equal(append_record(log, 200 + k, &seq), SK_ERR_IO);
        sk_audit_head(log, &head);
        sk_audit_stats(log, &groups, &stats_records);
        assert_int_equal(head.size, acked);
        assert_int_equal(stats_records, acked);
        assert_int_equal(groups, acked);
        sk_audit_close(log);

        /* Before reopening: valid up to the acknowledged records, plus at
         * most an unsigned tail. */
        rc = verify(f, path, &records, &bad);
        expect(&t, (rc == SK_OK && records == acked) || (rc == SK_ERR_CRYPTO && bad == acked),
               "N=%lu, file as left: rc %d, %llu records verify, named %llu; %llu acknowledged", n,
               (int)rc, (unsigned long long)records, (unsigned long long)bad,
               (unsigned long long)acked);
        /* Reopened: exactly the acknowledged records, and appends go on. */
        log = open_log(f, path);
        sk_audit_head(log, &head);
        rc = append_record(log, 300, &seq);
        sk_audit_close(log);
        expect(&t, head.size == acked && rc == SK_OK && seq == acked,
               "N=%lu, reopened: head size %llu, next seq %llu; %llu acknowledged", n,
               (unsigned long long)head.size, (unsigned long long)seq, (unsigned long long)acked);
        rc = verify(f, path, &records, &bad);
        expect(&t, rc == SK_OK && records == acked + 1,
               "N=%lu, after one more append: rc %d, %llu records, want %llu", n, (int)rc,
               (unsigned long long)records, (unsigned long long)acked + 1);
    }
    tally_end(&t);
}

/* ---------------------------------------------------------------- recovery */

/* A good log of ten records (ten groups); returns its size. */
static size_t ten_records(const fixture *f)
{
    uint64_t seq;
    sk_audit *log = open_log(f, f->path);

    for (uint64_t i = 0; i < 10; i++)
        assert_int_equal(append_record(log, i, &seq), SK_OK);
    sk_audit_close(log);
    return file_size(f->path);
}

/* Opens, checks the file is back at good_size, appends one and verifies. */
static void reopen_cuts_tail(const fixture *f, size_t good_size, uint64_t records_before)
{
    uint64_t seq = 0, records = 0, bad = 0;
    sk_audit *log = open_log(f, f->path);

    assert_int_equal(file_size(f->path), good_size);
    assert_int_equal(append_record(log, 50, &seq), SK_OK);
    assert_int_equal(seq, records_before);
    sk_audit_close(log);
    assert_int_equal(verify(f, f->path, &records, &bad), SK_OK);
    assert_int_equal(records, records_before + 1);
}

static void test_recovery_cuts_unsigned_tail(void **state)
{
    fixture *f = *state;
    unsigned char raw[FRAME_BYTES + 300 + 32], leaf[32], chain[32], *buf;
    uint64_t records = 0, bad = 0;
    size_t good, len;

    good = ten_records(f);
    /* A partial record: frame and part of the JSON. */
    raw[0] = 'R';
    raw[1] = 44, raw[2] = 1, raw[3] = 0, raw[4] = 0; /* 300 */
    memset(raw + FRAME_BYTES, '{', 100);
    append_bytes(f->path, raw, FRAME_BYTES + 100);
    assert_int_equal(verify(f, f->path, &records, &bad), SK_ERR_CRYPTO);
    assert_int_equal(bad, 10);
    reopen_cuts_tail(f, good, 10);

    /* Garbage that is no entry at all. */
    good = file_size(f->path);
    append_bytes(f->path, "\0\1garbage", 9);
    reopen_cuts_tail(f, good, 11);

    /* Two bytes: not even a frame. */
    good = file_size(f->path);
    append_bytes(f->path, "R\1", 2);
    reopen_cuts_tail(f, good, 12);

    /* A complete record with a correct chain hash but no head after it: a
     * crash between the records and the head of a group. */
    good = file_size(f->path);
    buf = slurp(f->path, &len);
    memcpy(chain, buf + len - HEAD_ENTRY_BYTES + FRAME_BYTES + 48, 32);
    free(buf);
    memcpy(raw + FRAME_BYTES, "{\"x\":1}", 7);
    raw[0] = 'R';
    raw[1] = 7, raw[2] = 0, raw[3] = 0, raw[4] = 0;
    sk_merkle_leaf_hash(raw + FRAME_BYTES, 7, leaf);
    sk_sha256(chain, 32, leaf, 32, NULL, 0, chain);
    memcpy(raw + FRAME_BYTES + 7, chain, 32);
    append_bytes(f->path, raw, FRAME_BYTES + 7 + 32);
    assert_int_equal(verify(f, f->path, &records, &bad), SK_ERR_CRYPTO);
    assert_int_equal(bad, 13);
    reopen_cuts_tail(f, good, 13);
}

static void test_recovery_refuses_forged_head(void **state)
{
    fixture *f = *state;
    unsigned char head[HEAD_ENTRY_BYTES], *buf;
    uint64_t records = 0, bad = 0;
    sk_audit *log = NULL;
    sk_diag diag;
    size_t good, len;
    sk_err rc;

    sk_diag_clear(&diag);
    good = ten_records(f);
    /* A complete head after the last one, with a wrong signature: not a
     * crash tail (the writer writes a head only whole, with its records). */
    buf = slurp(f->path, &len);
    memcpy(head, buf + len - HEAD_ENTRY_BYTES, HEAD_ENTRY_BYTES);
    free(buf);
    head[FRAME_BYTES + 80] ^= 1;
    append_bytes(f->path, head, sizeof(head));
    assert_int_equal(verify(f, f->path, &records, &bad), SK_ERR_CRYPTO);
    assert_int_equal(bad, 10);
    rc = sk_audit_open(f->path, f->keyring, &log, &diag);
    sk_audit_close(log);
    assert_int_equal(rc, SK_ERR_CRYPTO);
    assert_null(log);
    assert_int_equal(file_size(f->path), good + HEAD_ENTRY_BYTES);
}

/* A damaged record in the middle of the log (record 4 of 10, each its own
 * group): open refuses with SK_ERR_CRYPTO and leaves the file alone. */
static void test_recovery_refuses_damaged_middle(void **state)
{
    fixture *f = *state;
    unsigned char *buf;
    uint64_t records = 0, bad = 0;
    sk_audit *log = NULL;
    sk_diag diag;
    size_t good, len, pos, after;
    layout l;
    sk_err rc;
    int fd;

    sk_diag_clear(&diag);
    good = ten_records(f);
    buf = slurp(f->path, &len);
    parse_layout(buf, len, &l);
    pos = record_entry(&l, 4)->start + 20;
    free(l.e);
    free(buf);
    fd = open(f->path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(poke(fd, pos, 0x20), 0);
    assert_int_equal(close(fd), 0);
    assert_int_equal(verify(f, f->path, &records, &bad), SK_ERR_CRYPTO);
    assert_int_equal(bad, 4);
    rc = sk_audit_open(f->path, f->keyring, &log, &diag);
    sk_audit_close(log);
    after = file_size(f->path);
    print_message("# damaged record 4 of 10: open rc %d, file %zu of %zu bytes\n", (int)rc, after,
                  good);
    assert_int_equal(rc, SK_ERR_CRYPTO);
    assert_null(log);
    assert_int_equal(after, good);
    assert_int_equal(verify(f, f->path, &records, &bad), SK_ERR_CRYPTO);
    assert_int_equal(bad, 4);
}

/* A damaged head in the middle: refused as well. */
static void test_recovery_refuses_damaged_head(void **state)
{
    fixture *f = *state;
    unsigned char *buf;
    uint64_t records = 0, bad = 0;
    sk_audit *log = NULL;
    sk_diag diag;
    size_t good, len, pos = 0;
    layout l;
    sk_err rc;
    int fd;

    sk_diag_clear(&diag);
    good = ten_records(f);
    buf = slurp(f->path, &len);
    parse_layout(buf, len, &l);
    for (size_t i = 0; i < l.count; i++) {
        if (l.e[i].tag == 'H' && l.e[i].seq == 6)
            pos = l.e[i].start + FRAME_BYTES + 30; /* in the root */
    }
    assert_true(pos > 0);
    fd = open(f->path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(poke(fd, pos, 0x01), 0);
    assert_int_equal(close(fd), 0);
    assert_int_equal(verify(f, f->path, &records, &bad), SK_ERR_CRYPTO);
    assert_int_equal(bad, 6);
    free(l.e);
    free(buf);
    rc = sk_audit_open(f->path, f->keyring, &log, &diag);
    sk_audit_close(log);
    assert_int_equal(rc, SK_ERR_CRYPTO);
    assert_null(log);
    assert_int_equal(file_size(f->path), good);
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_(test_round_trip),
        T_(test_empty_log_and_wrong_key),
        T_(test_flip_every_byte),
        T_(test_delete_each_record),
        T_(test_swap_adjacent_records),
        T_(test_consistent_rewrite),
        T_(test_truncate_every_offset),
        T_(test_open_refuses_tampering),
        T_(test_flip_sampled_large_log),
        T_(test_append_many),
        T_(test_append_async),
        T_(test_group_commit),
        T_(test_gather),
        T_(test_fail_after),
        T_(test_recovery_cuts_unsigned_tail),
        T_(test_recovery_refuses_forged_head),
        T_(test_recovery_refuses_damaged_middle),
        T_(test_recovery_refuses_damaged_head),
    };

    /* SK_TEST_FILTER=test_round_trip (a cmocka pattern) runs a subset. */
    if (getenv("SK_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("SK_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
