/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_audit_query.c: unit tests for the audit log's queries (sk_audit.h:
 * sk_audit_verify_json, sk_audit_tree_head_json, sk_audit_who_accessed,
 * sk_audit_report, sk_audit_inclusion_json, sk_audit_consistency_json) and
 * for the one-writer lock of sk_audit_open.
 *
 * Each test writes a log of RECORDS known records with the real writer (in
 * single appends and one group of five, so that groups of several records
 * are covered) and checks every answer against what the test itself knows
 * about the records: which name a subject, who was denied, which used
 * break-glass. Proofs are checked with the sk_merkle verifiers against
 * leaf hashes the test computes from the records sk_audit_verify reads back,
 * for every (seq, size) and every (old, new) pair of the log.
 *
 * A writer may be committing a group while a query reads. The kernel
 * rarely lets a reader see a write half done, so the half-written group is
 * made by hand, byte by byte: prefixes of a real group (taken from a copy of
 * the log that its own writer extended) after the log, with the log's
 * writer open. Threads appending through the writer while the main thread
 * queries then check the real thing for what it shows: no failed query and
 * no log that shrinks (and, under the sanitizers, no race).
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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "safekeep/sk_audit.h"
#include "safekeep/sk_buf.h"
#include "safekeep/sk_crypto.h"
#include "safekeep/sk_merkle.h"

#define KEY_A   "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define T0_MS   1700000000000LL /* 2023-11-14T22:13:20Z */
#define RECORDS 24              /* records 10..14 are one group, the rest one each */
#define OUT_MAX (1u << 24)

#define WRITER_THREADS 4
#define WRITER_EACH    300

typedef struct fixture {
    char dir[64];
    char path[128];  /* the log */
    char other[128]; /* a copy, extended by its own writer */
    sk_keyring *keyring;
    char *json[RECORDS]; /* each record as stored, read back by sk_audit_verify */
    sk_buf out;
} fixture;

/* ----------------------------------------------------------------- fixture */

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sk_diag diag;

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/sk_test_audit_query_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/log.audit", f->dir);
    snprintf(f->other, sizeof(f->other), "%s/other.audit", f->dir);
    sk_diag_clear(&diag);
    if (setenv(SK_ENV_KEY, KEY_A, 1) != 0)
        return -1;
    if (sk_keyring_open("/nonexistent/key", &f->keyring, &diag) != SK_OK)
        return -1;
    sk_buf_init(&f->out, OUT_MAX);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    struct dirent *de;
    char name[400];
    DIR *d;
    size_t i;

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
    for (i = 0; i < RECORDS; i++)
        free(f->json[i]);
    sk_buf_fini(&f->out);
    sk_keyring_free(f->keyring);
    free(f);
    return unsetenv(SK_ENV_KEY);
}

/* ----------------------------------------------------------------- records */

typedef struct rec_text {
    char request_id[32], user[32], subject[16], reason[48];
    sk_audit_record rec;
} rec_text;

static const char *agency_of(uint64_t i)
{
    return i % 2 ? "EOIR" : "ICE";
}

static const char *purpose_of(uint64_t i)
{
    return i % 3 == 0 ? "oversight" : "child_welfare";
}

static int is_deny(uint64_t i)
{
    return i % 4 == 3;
}

static int is_break_glass(uint64_t i)
{
    return i % 7 == 0;
}

/* Subjects: C000(i % 3), and S0001 for odd i. Record 5 (about C0002) has
 * the request id "C0001": a byte search alone would take it for C0001's. */
static void make_record(uint64_t i, rec_text *t)
{
    sk_audit_record *r = &t->rec;

    snprintf(t->request_id, sizeof(t->request_id), i == 5 ? "C0001" : "req-%llu",
             (unsigned long long)i);
    snprintf(t->user, sizeof(t->user), "user-%llu", (unsigned long long)i);
    snprintf(t->subject, sizeof(t->subject), "C%04llu", (unsigned long long)(i % 3));
    snprintf(t->reason, sizeof(t->reason), "decision %llu", (unsigned long long)i);
    memset(r, 0, sizeof(*r));
    r->at_ms = T0_MS + (int64_t)i * 1000;
    r->request_id = sk_str_c(t->request_id);
    r->agency = sk_str_c(agency_of(i));
    r->user = sk_str_c(t->user);
    r->role = SK_STR("officer");
    r->purpose = sk_str_c(purpose_of(i));
    r->action = SK_STR("read");
    r->entity = SK_STR("child");
    r->subjects[0] = sk_str_c(t->subject);
    r->subjects[1] = SK_STR("S0001");
    r->subject_count = i % 2 ? 2 : 1;
    r->fields = i % 3 == 0 ? 0 : 1ull << (i % 5);
    r->decision = is_deny(i) ? SK_STR("deny") : SK_STR("permit");
    r->rule_kind = is_deny(i) ? SK_STR("default") : SK_STR("agreement");
    r->rule_id = is_deny(i) ? SK_STR("") : SK_STR("orr-ice-cbp-moa-2018-child");
    r->rule_version = is_deny(i) ? 0 : 1;
    r->reason = sk_str_c(t->reason);
    r->break_glass = is_break_glass(i);
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

static int keep_json(uint64_t seq, sk_str json, void *ctx)
{
    fixture *f = ctx;

    if (seq < RECORDS) {
        f->json[seq] = strndup(json.ptr, json.len);
        assert_non_null(f->json[seq]);
    }
    return 0;
}

/* Writes the RECORDS records to f->path and reads them back. */
static void build_log(fixture *f)
{
    rec_text t[5];
    sk_audit *log = open_log(f, f->path);
    sk_audit_record group[5];
    uint64_t i, seq, records = 0, bad = 0;
    sk_audit_sth head;
    sk_diag diag;

    for (i = 0; i < RECORDS; i++) {
        if (i >= 10 && i < 15) {
            make_record(i, &t[i - 10]);
            group[i - 10] = t[i - 10].rec;
            if (i == 14)
                assert_int_equal(sk_audit_append_many(log, group, 5, NULL), SK_OK);
            continue;
        }
        make_record(i, &t[0]);
        assert_int_equal(sk_audit_append(log, &t[0].rec, &seq), SK_OK);
        assert_int_equal(seq, i);
    }
    sk_audit_close(log);
    sk_diag_clear(&diag);
    assert_int_equal(
        sk_audit_verify(f->path, f->keyring, keep_json, f, &records, &head, &bad, &diag), SK_OK);
    assert_int_equal(records, RECORDS);
}

/* ----------------------------------------------------------------- helpers */

static json_t *parse_out(const fixture *f)
{
    json_error_t jerr;
    json_t *v = json_loadb(f->out.ptr, f->out.len, 0, &jerr);

    if (v == NULL)
        fail_msg("not JSON (%s): %.*s", jerr.text, (int)f->out.len, f->out.ptr);
    assert_true(json_is_object(v));
    return v;
}

static uint64_t num(const json_t *v, const char *key)
{
    const json_t *n = json_object_get(v, key);

    assert_true(json_is_integer(n));
    return (uint64_t)json_integer_value(n);
}

static void hex_to(const json_t *v, unsigned char *out, size_t n)
{
    const char *s = json_string_value(v);
    size_t i;

    assert_non_null(s);
    assert_int_equal(strlen(s), 2 * n);
    for (i = 0; i < n; i++) {
        unsigned x;
        assert_int_equal(sscanf(s + 2 * i, "%2x", &x), 1);
        out[i] = (unsigned char)x;
    }
}

/* The keys of an object, space-separated, in order. */
static void keys_of(json_t *v, char *buf, size_t cap)
{
    const char *key;
    json_t *value;
    size_t used = 0;

    buf[0] = '\0';
    json_object_foreach(v, key, value)
    {
        (void)value;
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? " " : "", key);
        assert_true(used < cap);
    }
}

static json_t *who(fixture *f, const char *subject, uint64_t offset, uint32_t limit)
{
    sk_diag diag;

    sk_buf_reset(&f->out);
    sk_diag_clear(&diag);
    assert_int_equal(sk_audit_who_accessed(f->path, f->keyring, sk_str_c(subject), offset, limit,
                                           &f->out, &diag),
                     SK_OK);
    return parse_out(f);
}

/* Checks that the records of a who-accessed answer are exactly the stored
 * ones with the given sequence numbers, in order. */
static void expect_records(const fixture *f, const json_t *answer, const uint64_t *seqs, size_t n)
{
    const json_t *recs = json_object_get(answer, "records");
    json_error_t jerr;
    json_t *stored;
    size_t i;

    assert_int_equal(json_array_size(recs), n);
    for (i = 0; i < n; i++) {
        json_t *rec = json_array_get(recs, i);
        assert_int_equal(num(rec, "seq"), seqs[i]);
        stored = json_loads(f->json[seqs[i]], 0, &jerr);
        assert_non_null(stored);
        json_object_set_new(stored, "seq", json_integer((json_int_t)seqs[i]));
        assert_true(json_equal(stored, rec));
        json_decref(stored);
    }
}

/* ------------------------------------------------------------ who accessed */

static void test_who_accessed(void **state)
{
    fixture *f = *state;
    uint64_t c1[RECORDS], s1[RECORDS], i;
    size_t n1 = 0, ns = 0;
    char keys[512];
    json_t *v;

    build_log(f);
    for (i = 0; i < RECORDS; i++) {
        if (i % 3 == 1)
            c1[n1++] = i;
        if (i % 2 == 1)
            s1[ns++] = i;
    }
    v = who(f, "C0001", 0, 100);
    keys_of(v, keys, sizeof(keys));
    assert_string_equal(keys, "subject offset limit records total tree_size");
    assert_string_equal(json_string_value(json_object_get(v, "subject")), "C0001");
    assert_int_equal(num(v, "total"), n1);
    assert_int_equal(num(v, "tree_size"), RECORDS);
    assert_int_equal(num(v, "limit"), 100);
    expect_records(f, v, c1, n1); /* record 5, the decoy, is not among them */
    keys_of(json_array_get(json_object_get(v, "records"), 0), keys, sizeof(keys));
    assert_string_equal(keys, "time ms request_id agency user role purpose action entity subjects "
                              "fields decision rule_kind rule_id rule_version break_glass reason "
                              "seq");
    json_decref(v);

    v = who(f, "S0001", 0, 100);
    assert_int_equal(num(v, "total"), ns);
    expect_records(f, v, s1, ns);
    json_decref(v);

    /* Paging: offset counts matching records, not log records. */
    v = who(f, "C0001", 2, 3);
    assert_int_equal(num(v, "total"), n1);
    assert_int_equal(num(v, "offset"), 2);
    expect_records(f, v, c1 + 2, 3);
    json_decref(v);
    v = who(f, "C0001", n1 - 1, 3);
    expect_records(f, v, c1 + n1 - 1, 1);
    json_decref(v);
    v = who(f, "C0001", n1 + 5, 3);
    expect_records(f, v, NULL, 0);
    assert_int_equal(num(v, "total"), n1);
    json_decref(v);
    v = who(f, "C0001", 0, 0); /* the count only */
    expect_records(f, v, NULL, 0);
    assert_int_equal(num(v, "total"), n1);
    json_decref(v);
    v = who(f, "C0001", 0, 5000000); /* cut to the maximum */
    assert_int_equal(num(v, "limit"), SK_AUDIT_QUERY_LIMIT_MAX);
    expect_records(f, v, c1, n1);
    json_decref(v);

    /* Exact matches only: a prefix, or an id nobody asked about. */
    v = who(f, "C000", 0, 100);
    assert_int_equal(num(v, "total"), 0);
    json_decref(v);
    v = who(f, "C9999", 0, 100);
    assert_int_equal(num(v, "total"), 0);
    assert_string_equal(f->out.ptr, "{\"subject\":\"C9999\",\"offset\":0,\"limit\":100,"
                                    "\"records\":[],\"total\":0,\"tree_size\":24}");
    json_decref(v);
}

static void test_who_accessed_bad_arguments(void **state)
{
    fixture *f = *state;
    char long_id[SK_AUDIT_RECORD_MAX + 2];
    sk_diag diag;

    build_log(f);
    memset(long_id, 'C', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    sk_diag_clear(&diag);
    assert_int_equal(sk_audit_who_accessed(f->path, f->keyring, SK_STR(""), 0, 10, &f->out, &diag),
                     SK_ERR_INVALID);
    assert_string_equal(diag.field, "subject");
    assert_int_equal(
        sk_audit_who_accessed(f->path, f->keyring, SK_STR("C\xff"), 0, 10, &f->out, &diag),
        SK_ERR_INVALID);
    assert_int_equal(
        sk_audit_who_accessed(f->path, f->keyring, sk_str_c(long_id), 0, 10, &f->out, &diag),
        SK_ERR_INVALID);
    assert_int_equal(f->out.len, 0);
}

/* ------------------------------------------------------------------ report */

static void test_report(void **state)
{
    fixture *f = *state;
    json_t *v, *want = json_object();
    char key[64];
    sk_diag diag;
    uint64_t i;

    build_log(f);
    for (i = 5; i < 15; i++) {
        snprintf(key, sizeof(key), "%s|%s|%s", agency_of(i), purpose_of(i),
                 is_deny(i) ? "deny" : "permit");
        json_object_set_new(want, key,
                            json_integer(json_integer_value(json_object_get(want, key)) + 1));
    }
    sk_diag_clear(&diag);
    assert_int_equal(
        sk_audit_report(f->path, f->keyring, T0_MS + 5000, T0_MS + 15000, &f->out, &diag), SK_OK);
    /* Keys sorted, as the CLI has always printed it. */
    assert_true(strncmp(f->out.ptr, "{\"break_glass\":[", 16) == 0);
    v = parse_out(f);
    assert_true(json_equal(json_object_get(v, "counts"), want));
    assert_int_equal(num(v, "records"), RECORDS);
    assert_int_equal(json_array_size(json_object_get(v, "denials")), 2); /* 7, 11 */
    assert_int_equal(num(json_array_get(json_object_get(v, "denials"), 0), "seq"), 7);
    assert_int_equal(num(json_array_get(json_object_get(v, "denials"), 1), "seq"), 11);
    assert_int_equal(json_array_size(json_object_get(v, "break_glass")), 2); /* 7, 14 */
    assert_int_equal(num(json_array_get(json_object_get(v, "break_glass"), 0), "seq"), 7);
    assert_int_equal(num(json_array_get(json_object_get(v, "break_glass"), 1), "seq"), 14);
    assert_int_equal(json_object_size(v), 4);
    json_decref(v);
    json_decref(want);

    /* Open ends: everything. */
    sk_buf_reset(&f->out);
    assert_int_equal(sk_audit_report(f->path, f->keyring, 0, 0, &f->out, &diag), SK_OK);
    v = parse_out(f);
    assert_int_equal(json_array_size(json_object_get(v, "denials")), RECORDS / 4);
    assert_int_equal(json_array_size(json_object_get(v, "break_glass")), (RECORDS + 6) / 7);
    json_decref(v);

    /* A period that ends before it starts. */
    sk_buf_reset(&f->out);
    assert_int_equal(sk_audit_report(f->path, f->keyring, T0_MS, T0_MS, &f->out, &diag),
                     SK_ERR_INVALID);
    assert_int_equal(f->out.len, 0);
}

/* ------------------------------------------------- verification, tree head */

static void expect_head(const fixture *f, json_t *head, const sk_audit_sth *want)
{
    unsigned char pub[SK_AUDIT_PUBKEY_BYTES], mine[SK_AUDIT_PUBKEY_BYTES];
    sk_audit_sth h;
    char keys[256];

    keys_of(head, keys, sizeof(keys));
    assert_string_equal(keys, "tree_size timestamp_ms root signature public_key");
    memset(&h, 0, sizeof(h));
    h.size = num(head, "tree_size");
    h.timestamp_ms = (int64_t)num(head, "timestamp_ms");
    hex_to(json_object_get(head, "root"), h.root, 32);
    hex_to(json_object_get(head, "signature"), h.signature, SK_AUDIT_SIG_BYTES);
    hex_to(json_object_get(head, "public_key"), pub, sizeof(pub));
    sk_audit_public_key(f->keyring, mine);
    assert_memory_equal(pub, mine, sizeof(pub));
    assert_int_equal(h.size, want->size);
    assert_int_equal(h.timestamp_ms, want->timestamp_ms);
    assert_memory_equal(h.root, want->root, 32);
    assert_memory_equal(h.signature, want->signature, SK_AUDIT_SIG_BYTES);
    memcpy(h.chain, want->chain, 32); /* signed, though not published */
    assert_true(sk_audit_sth_verify(&h, pub));
}

static void test_tree_head_and_verify(void **state)
{
    fixture *f = *state;
    uint64_t records = 0, bad = 0;
    sk_audit_sth head;
    sk_diag diag;
    json_t *v;

    build_log(f);
    sk_diag_clear(&diag);
    assert_int_equal(sk_audit_verify(f->path, f->keyring, NULL, NULL, &records, &head, &bad, &diag),
                     SK_OK);
    assert_int_equal(sk_audit_tree_head_json(f->path, f->keyring, &f->out, &diag), SK_OK);
    v = parse_out(f);
    expect_head(f, v, &head);
    json_decref(v);

    sk_buf_reset(&f->out);
    assert_int_equal(
        sk_audit_verify_json(f->path, f->keyring, RECORDS, SK_AUDIT_VERIFY_STRICT, &f->out, &diag),
        SK_OK);
    v = parse_out(f);
    assert_true(json_is_true(json_object_get(v, "ok")));
    assert_int_equal(num(v, "records"), RECORDS);
    expect_head(f, json_object_get(v, "tree_head"), &head);
    json_decref(v);

    /* More acknowledged than the log holds: cut at a head boundary. */
    sk_buf_reset(&f->out);
    assert_int_equal(sk_audit_verify_json(f->path, f->keyring, RECORDS + 3, 0, &f->out, &diag),
                     SK_OK);
    assert_string_equal(
        f->out.ptr, "{\"ok\":false,\"first_bad_seq\":24,\"error\":\"record 24: missing (the log "
                    "was truncated; 27 records were acknowledged)\"}");
    assert_string_equal(diag.msg, "record 24: missing (the log was truncated; 27 records were "
                                  "acknowledged)");

    /* No file: the empty log when nothing was acknowledged, else an error. */
    sk_buf_reset(&f->out);
    assert_int_equal(sk_audit_verify_json(f->other, f->keyring, 0, 0, &f->out, &diag), SK_OK);
    v = parse_out(f);
    assert_true(json_is_true(json_object_get(v, "ok")));
    assert_int_equal(num(v, "records"), 0);
    json_decref(v);
    sk_buf_reset(&f->out);
    assert_int_equal(sk_audit_verify_json(f->other, f->keyring, 1, 0, &f->out, &diag), SK_ERR_IO);
    assert_int_equal(sk_audit_tree_head_json(f->other, f->keyring, &f->out, &diag), SK_ERR_IO);
    assert_int_equal(f->out.len, 0);
}

/* XORs one byte of the file. */
static void flip(const char *path, size_t pos)
{
    int fd = open(path, O_RDWR);
    unsigned char c;

    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, (off_t)pos), 1);
    c ^= 0x20;
    assert_int_equal(pwrite(fd, &c, 1, (off_t)pos), 1);
    assert_int_equal(close(fd), 0);
}

static size_t file_size(const char *path)
{
    struct stat sb;

    assert_int_equal(stat(path, &sb), 0);
    return (size_t)sb.st_size;
}

/* Where record seq's JSON starts in the file (each record so far is
 * followed by a head, except inside the group 10..14). */
static size_t record_offset(const fixture *f, uint64_t seq)
{
    size_t pos = 0;
    uint64_t i;

    for (i = 0; i < seq; i++) {
        pos += 5 + strlen(f->json[i]) + 32;
        if (i < 10 || i >= 14)
            pos += 5 + 144;
    }
    return pos + 5;
}

static void test_damaged_log_refused(void **state)
{
    fixture *f = *state;
    unsigned char c;
    sk_diag diag;
    json_t *v;
    int fd;

    build_log(f);
    fd = open(f->path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, (off_t)record_offset(f, 2)), 1);
    assert_int_equal(c, '{'); /* the layout is what the test thinks */
    assert_int_equal(close(fd), 0);
    flip(f->path, record_offset(f, 2) + 20);

    sk_diag_clear(&diag);
    assert_int_equal(
        sk_audit_who_accessed(f->path, f->keyring, SK_STR("C0001"), 0, 10, &f->out, &diag),
        SK_ERR_CRYPTO);
    assert_non_null(strstr(diag.msg, "record 2:"));
    assert_int_equal(sk_audit_report(f->path, f->keyring, 0, 0, &f->out, &diag), SK_ERR_CRYPTO);
    assert_int_equal(sk_audit_tree_head_json(f->path, f->keyring, &f->out, &diag), SK_ERR_CRYPTO);
    assert_int_equal(sk_audit_inclusion_json(f->path, f->keyring, 0, 0, &f->out, &diag),
                     SK_ERR_CRYPTO);
    assert_int_equal(sk_audit_consistency_json(f->path, f->keyring, 1, 2, &f->out, &diag),
                     SK_ERR_CRYPTO);
    assert_int_equal(f->out.len, 0);

    /* verify_json answers: damage is a verdict, not an error. */
    assert_int_equal(sk_audit_verify_json(f->path, f->keyring, 0, 0, &f->out, &diag), SK_OK);
    v = parse_out(f);
    assert_true(json_is_false(json_object_get(v, "ok")));
    assert_int_equal(num(v, "first_bad_seq"), 2);
    assert_string_equal(json_string_value(json_object_get(v, "error")),
                        "record 2: does not match its chain hash (altered, removed or moved)");
    json_decref(v);
}

/* ------------------------------------------------------------------ proofs */

static void leaf_of(const fixture *f, uint64_t seq, unsigned char out[SK_HASH_BYTES])
{
    sk_merkle_leaf_hash(f->json[seq], strlen(f->json[seq]), out);
}

static size_t proof_of(const json_t *v, unsigned char proof[][SK_HASH_BYTES])
{
    const json_t *hashes = json_object_get(v, "proof");
    size_t i;

    assert_true(json_is_array(hashes));
    assert_true(json_array_size(hashes) <= SK_MERKLE_PROOF_MAX);
    for (i = 0; i < json_array_size(hashes); i++)
        hex_to(json_array_get(hashes, i), proof[i], SK_HASH_BYTES);
    return json_array_size(hashes);
}

static void test_inclusion_proofs(void **state)
{
    fixture *f = *state;
    unsigned char proof[SK_MERKLE_PROOF_MAX][SK_HASH_BYTES], root[32], leaf[32], mine[32];
    unsigned char roots[RECORDS + 1][32];
    uint64_t seq, size;
    size_t count;
    sk_diag diag;
    json_t *v;

    build_log(f);
    sk_diag_clear(&diag);
    for (size = 1; size <= RECORDS; size++) {
        for (seq = 0; seq < size; seq++) {
            sk_buf_reset(&f->out);
            assert_int_equal(
                sk_audit_inclusion_json(f->path, f->keyring, seq, size, &f->out, &diag), SK_OK);
            v = parse_out(f);
            assert_int_equal(num(v, "seq"), seq);
            assert_int_equal(num(v, "tree_size"), size);
            hex_to(json_object_get(v, "leaf_hash"), leaf, 32);
            hex_to(json_object_get(v, "root"), root, 32);
            leaf_of(f, seq, mine);
            assert_memory_equal(leaf, mine, 32);
            count = proof_of(v, proof);
            assert_true(sk_merkle_verify_inclusion(
                seq, size, leaf, (const unsigned char(*)[SK_HASH_BYTES])proof, count, root));
            if (seq == 0)
                memcpy(roots[size], root, 32);
            assert_memory_equal(root, roots[size], 32); /* one root per size */
            json_decref(v);
        }
    }
    /* Size 0: the latest head's. */
    sk_buf_reset(&f->out);
    assert_int_equal(sk_audit_inclusion_json(f->path, f->keyring, 3, 0, &f->out, &diag), SK_OK);
    v = parse_out(f);
    assert_int_equal(num(v, "tree_size"), RECORDS);
    hex_to(json_object_get(v, "root"), root, 32);
    assert_memory_equal(root, roots[RECORDS], 32);
    json_decref(v);

    sk_buf_reset(&f->out);
    assert_int_equal(sk_audit_inclusion_json(f->path, f->keyring, 4, 4, &f->out, &diag),
                     SK_ERR_INVALID);
    assert_string_equal(diag.field, "seq");
    assert_int_equal(sk_audit_inclusion_json(f->path, f->keyring, RECORDS, 0, &f->out, &diag),
                     SK_ERR_INVALID);
    assert_int_equal(sk_audit_inclusion_json(f->path, f->keyring, 0, RECORDS + 1, &f->out, &diag),
                     SK_ERR_INVALID);
    assert_string_equal(diag.field, "tree_size");
    assert_int_equal(f->out.len, 0);
}

static void test_consistency_proofs(void **state)
{
    fixture *f = *state;
    unsigned char proof[SK_MERKLE_PROOF_MAX][SK_HASH_BYTES], old_root[32], new_root[32];
    unsigned char roots[RECORDS + 1][32];
    uint64_t m, n;
    size_t count;
    sk_diag diag;
    json_t *v;

    build_log(f);
    sk_diag_clear(&diag);
    for (n = 1; n <= RECORDS; n++) {
        for (m = 1; m <= n; m++) {
            sk_buf_reset(&f->out);
            assert_int_equal(sk_audit_consistency_json(f->path, f->keyring, m, n, &f->out, &diag),
                             SK_OK);
            v = parse_out(f);
            assert_int_equal(num(v, "old_size"), m);
            assert_int_equal(num(v, "new_size"), n);
            hex_to(json_object_get(v, "old_root"), old_root, 32);
            hex_to(json_object_get(v, "new_root"), new_root, 32);
            count = proof_of(v, proof);
            assert_true(sk_merkle_verify_consistency(
                m, n, old_root, new_root, (const unsigned char(*)[SK_HASH_BYTES])proof, count));
            if (m == n)
                memcpy(roots[n], new_root, 32);
            assert_memory_equal(old_root, roots[m], 32); /* as its own tree had it */
            json_decref(v);
        }
    }
    sk_buf_reset(&f->out);
    assert_int_equal(sk_audit_consistency_json(f->path, f->keyring, 0, 4, &f->out, &diag),
                     SK_ERR_INVALID);
    assert_int_equal(sk_audit_consistency_json(f->path, f->keyring, 5, 4, &f->out, &diag),
                     SK_ERR_INVALID);
    assert_int_equal(sk_audit_consistency_json(f->path, f->keyring, 3, RECORDS + 1, &f->out, &diag),
                     SK_ERR_INVALID);
    assert_string_equal(diag.field, "new_size");
    assert_int_equal(f->out.len, 0);
}

/* ----------------------------------------------------------------- limits */

static void test_output_limit(void **state)
{
    fixture *f = *state;
    sk_buf small;
    sk_diag diag;

    build_log(f);
    sk_diag_clear(&diag);
    sk_buf_init(&small, 300);
    assert_int_equal(sk_buf_appendc(&small, "kept"), SK_OK);
    assert_int_equal(
        sk_audit_who_accessed(f->path, f->keyring, SK_STR("C0001"), 0, 100, &small, &diag),
        SK_ERR_TOO_LARGE);
    assert_string_equal(small.ptr, "kept");
    assert_int_equal(sk_audit_report(f->path, f->keyring, 0, 0, &small, &diag), SK_ERR_TOO_LARGE);
    assert_string_equal(small.ptr, "kept");
    assert_int_equal(sk_audit_inclusion_json(f->path, f->keyring, 0, 0, &small, &diag),
                     SK_ERR_TOO_LARGE);
    assert_int_equal(sk_audit_consistency_json(f->path, f->keyring, 1, RECORDS, &small, &diag),
                     SK_ERR_TOO_LARGE);
    assert_int_equal(sk_audit_tree_head_json(f->path, f->keyring, &small, &diag), SK_ERR_TOO_LARGE);
    assert_int_equal(sk_audit_verify_json(f->path, f->keyring, 0, 0, &small, &diag),
                     SK_ERR_TOO_LARGE);
    assert_string_equal(small.ptr, "kept");
    assert_int_equal(small.len, 4);
    /* Large enough for one record, not for every one. */
    sk_buf_fini(&small);
    sk_buf_init(&small, 1200);
    assert_int_equal(
        sk_audit_who_accessed(f->path, f->keyring, SK_STR("C0001"), 0, 1, &small, &diag), SK_OK);
    sk_buf_reset(&small);
    assert_int_equal(
        sk_audit_who_accessed(f->path, f->keyring, SK_STR("C0001"), 0, 100, &small, &diag),
        SK_ERR_TOO_LARGE);
    assert_int_equal(small.len, 0);
    sk_buf_fini(&small);
}

/* ------------------------------------------- reading beside a live writer */

static unsigned char *slurp(const char *path, size_t *len)
{
    unsigned char *buf;
    int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    *len = file_size(path);
    buf = malloc(*len + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, *len, 0), (ssize_t)*len);
    assert_int_equal(close(fd), 0);
    return buf;
}

static void set_file(const char *path, const unsigned char *a, size_t a_len, const unsigned char *b,
                     size_t b_len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, a, a_len), (ssize_t)a_len);
    if (b_len > 0)
        assert_int_equal(write(fd, b, b_len), (ssize_t)b_len);
    assert_int_equal(close(fd), 0);
}

/* Every answer reads as of the last head: RECORDS records, 8 about C0001. */
static void expect_snapshot(fixture *f, uint64_t records, uint64_t about_c1)
{
    sk_diag diag;
    json_t *v;

    v = who(f, "C0001", 0, 100);
    assert_int_equal(num(v, "tree_size"), records);
    assert_int_equal(num(v, "total"), about_c1);
    json_decref(v);
    sk_diag_clear(&diag);
    sk_buf_reset(&f->out);
    assert_int_equal(sk_audit_verify_json(f->path, f->keyring, 0, 0, &f->out, &diag), SK_OK);
    v = parse_out(f);
    assert_true(json_is_true(json_object_get(v, "ok")));
    assert_int_equal(num(v, "records"), records);
    json_decref(v);
    sk_buf_reset(&f->out);
    assert_int_equal(sk_audit_report(f->path, f->keyring, 0, 0, &f->out, &diag), SK_OK);
    v = parse_out(f);
    assert_int_equal(num(v, "records"), records);
    json_decref(v);
    sk_buf_reset(&f->out);
    assert_int_equal(sk_audit_inclusion_json(f->path, f->keyring, 0, 0, &f->out, &diag), SK_OK);
    v = parse_out(f);
    assert_int_equal(num(v, "tree_size"), records);
    json_decref(v);
}

/*
 * The group a writer is committing, seen part-way: every prefix of a real
 * group (three records about C0001, then their head) after the log, with
 * the log's own writer open. Queries answer from the last head; the strict
 * verification still calls the tail damage; the whole group counts.
 */
static void test_partial_group_ignored(void **state)
{
    fixture *f = *state;
    unsigned char *base, *grown;
    size_t base_len, grown_len, extra, cut, k;
    sk_audit_record group[3];
    rec_text t[3];
    sk_audit *log, *other;
    sk_diag diag;
    json_t *v;

    build_log(f);
    base = slurp(f->path, &base_len);
    set_file(f->other, base, base_len, NULL, 0);
    other = open_log(f, f->other);
    for (k = 0; k < 3; k++) {
        make_record(RECORDS + 3 * k + 1, &t[k]); /* (24 + 3k + 1) % 3 == 1: C0001 */
        group[k] = t[k].rec;
    }
    assert_int_equal(sk_audit_append_many(other, group, 3, NULL), SK_OK);
    sk_audit_close(other);
    grown = slurp(f->other, &grown_len);
    assert_memory_equal(grown, base, base_len);
    extra = grown_len - base_len;

    log = open_log(f, f->path); /* holds the lock; readers need none */
    for (cut = 0; cut < extra; cut += cut < 12 ? 1 : 37) {
        set_file(f->path, base, base_len, grown + base_len, cut);
        expect_snapshot(f, RECORDS, 8);
    }
    set_file(f->path, base, base_len, grown + base_len, extra - 1);
    expect_snapshot(f, RECORDS, 8);
    /* Strict, the tail is named as sk_audit_verify names it: a cut head by
     * its position, a cut record by its number. */
    for (k = 0; k < 2; k++) {
        set_file(f->path, base, base_len, grown + base_len, k == 0 ? extra - 1 : 40);
        sk_diag_clear(&diag);
        sk_buf_reset(&f->out);
        assert_int_equal(
            sk_audit_verify_json(f->path, f->keyring, 0, SK_AUDIT_VERIFY_STRICT, &f->out, &diag),
            SK_OK);
        v = parse_out(f);
        assert_true(json_is_false(json_object_get(v, "ok")));
        assert_int_equal(num(v, "first_bad_seq"), k == 0 ? RECORDS + 3 : RECORDS);
        json_decref(v);
    }

    set_file(f->path, grown, grown_len, NULL, 0);
    expect_snapshot(f, RECORDS + 3, 8 + 3);
    set_file(f->path, base, base_len, NULL, 0);
    sk_audit_close(log);
    free(base);
    free(grown);
}

typedef struct appender {
    sk_audit *log;
    unsigned index;
    atomic_uint *finished;
} appender;

static void *append_main(void *arg)
{
    appender *a = arg;
    rec_text t;
    unsigned i;

    for (i = 0; i < WRITER_EACH; i++) {
        make_record(RECORDS + a->index * WRITER_EACH + i, &t);
        if (sk_audit_append(a->log, &t.rec, NULL) != SK_OK)
            break;
    }
    atomic_fetch_add(a->finished, 1);
    return i == WRITER_EACH ? NULL : (void *)1;
}

/* Threads append through the log's writer while this thread queries: no
 * query may fail or see the log shrink. */
static void test_queries_beside_live_writer(void **state)
{
    fixture *f = *state;
    pthread_t threads[WRITER_THREADS];
    appender a[WRITER_THREADS];
    uint64_t last = 0, now, queries = 0;
    atomic_uint finished = 0;
    unsigned all_done = 0;
    sk_audit *log;
    sk_diag diag;
    void *ret;
    json_t *v;
    unsigned i;

    build_log(f);
    log = open_log(f, f->path);
    for (i = 0; i < WRITER_THREADS; i++) {
        a[i].log = log;
        a[i].index = i;
        a[i].finished = &finished;
        assert_int_equal(pthread_create(&threads[i], NULL, append_main, &a[i]), 0);
    }
    sk_diag_clear(&diag);
    /* One more round once every writer is done: it must see everything. */
    while (all_done < 2) {
        all_done += atomic_load(&finished) == WRITER_THREADS;
        v = who(f, "C0002", 0, 10);
        now = num(v, "tree_size");
        json_decref(v);
        assert_true(now >= last);
        last = now;
        sk_buf_reset(&f->out);
        assert_int_equal(sk_audit_verify_json(f->path, f->keyring, 0, 0, &f->out, &diag), SK_OK);
        v = parse_out(f);
        assert_true(json_is_true(json_object_get(v, "ok")));
        json_decref(v);
        sk_buf_reset(&f->out);
        assert_int_equal(sk_audit_inclusion_json(f->path, f->keyring, 0, 0, &f->out, &diag), SK_OK);
        queries++;
    }
    for (i = 0; i < WRITER_THREADS; i++) {
        assert_int_equal(pthread_join(threads[i], &ret), 0);
        assert_null(ret);
    }
    assert_int_equal(last, RECORDS + WRITER_THREADS * WRITER_EACH);
    sk_audit_close(log);
    print_message("# %llu rounds of queries beside the writer\n", (unsigned long long)queries);
    assert_true(queries > 0);
}

/* ------------------------------------------------------------- one writer */

static void test_one_writer(void **state)
{
    fixture *f = *state;
    sk_audit *first, *second = NULL;
    unsigned char *before, *after;
    size_t before_len, after_len;
    int status;
    sk_diag diag;
    pid_t pid;

    build_log(f);
    first = open_log(f, f->path);
    before = slurp(f->path, &before_len);

    /* The same process: flock locks belong to open file descriptions. */
    sk_diag_clear(&diag);
    assert_int_equal(sk_audit_open(f->path, f->keyring, &second, &diag), SK_ERR_CONFLICT);
    assert_null(second);
    assert_string_equal(diag.msg, "audit log is in use by another process");

    /* Another process. */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sk_audit *child = NULL;
        sk_err rc = sk_audit_open(f->path, f->keyring, &child, NULL);
        _exit(rc == SK_ERR_CONFLICT && child == NULL ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* The refused opens left the file alone; readers still read. */
    after = slurp(f->path, &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    assert_int_equal(sk_audit_tree_head_json(f->path, f->keyring, &f->out, &diag), SK_OK);

    /* Released on close. */
    sk_audit_close(first);
    second = open_log(f, f->path);
    sk_audit_close(second);
    free(before);
    free(after);
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_(test_who_accessed),
        T_(test_who_accessed_bad_arguments),
        T_(test_report),
        T_(test_tree_head_and_verify),
        T_(test_damaged_log_refused),
        T_(test_inclusion_proofs),
        T_(test_consistency_proofs),
        T_(test_output_limit),
        T_(test_partial_group_ignored),
        T_(test_queries_beside_live_writer),
        T_(test_one_writer),
    };

    /* SK_TEST_FILTER=test_report (a cmocka pattern) runs a subset. */
    if (getenv("SK_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("SK_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
