/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query.c: the audit log's answers (verification, tree head, who accessed a
 * person, the oversight report, inclusion and consistency proofs) as JSON,
 * one implementation for the CLI and the server.
 *
 * Every query is one verifying pass over the memory-mapped file
 * (sk_audit_scan, the verifier of verify.c), and only records the pass has
 * proven reach the query's own code. A record's chain hash is checked when
 * it is read, but it is only signed once the tree head after it verifies,
 * and a writer may be half-way through a group when the reader looks. So
 * records are held back (as slices of the mapping) until the scan is seen
 * to have passed a head: the scan only moves past an entry that verified,
 * and the only entries between two records are heads, so a record that
 * does not start where the previous one ended proves that a head verified in
 * between. At the end, what is still held back is released up to the last
 * verified head, and an unsigned tail is dropped exactly when sk_audit_open
 * would cut it (a tail with a signed head after it is tampering). Held-back
 * records cost one slice each, at most one group when the log is sound.
 *
 * Readers take no lock: the writer only appends, so the bytes under a
 * verified head never change while they are read. The one exception is
 * the writer's own undo: when a group's write or sync fails, log.c cuts the
 * group off again (and refuses every later append). A reader that mapped
 * part of that group and touches it after the cut gets SIGBUS, as
 * sk_audit_verify would; copying the last group's worth of bytes instead of
 * mapping them would close that window, at a cost on every query.
 */
#include "log_format.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safekeep/sk_buf.h"
#include "safekeep/sk_merkle.h"

#include "sk_int.h"

/* A record read but not yet known to be under a verified head. */
typedef struct held {
    uint64_t seq;
    sk_str json;
} held;

typedef struct reader {
    sk_audit_record_cb cb; /* the query's consumer, sees signed records only */
    void *ctx;
    const unsigned char *base; /* the mapping, to find where each record lies */
    size_t prev_end;           /* offset just past the last record read */
    held *held;
    size_t held_count, held_cap;
    sk_err rc; /* SK_ERR_NOMEM once holding back failed */
} reader;

/* What a query answers from: the last verified head and its size. */
typedef struct snapshot {
    uint64_t records;
    sk_audit_sth head;
    uint64_t bad_seq; /* on SK_ERR_CRYPTO: the first record that fails */
} snapshot;

/* Hands the consumer the held records below seq_end, then forgets them all. */
static void release(reader *r, uint64_t seq_end)
{
    size_t i;

    for (i = 0; i < r->held_count && r->held[i].seq < seq_end; i++)
        (void)r->cb(r->held[i].seq, r->held[i].json, r->ctx);
    r->held_count = 0;
}

static int hold(uint64_t seq, sk_str json, void *vctx)
{
    reader *r = vctx;
    size_t start;
    held *grown;

    SK_ASSERT((const unsigned char *)json.ptr >= r->base + LOG_FRAME_BYTES);
    start = (size_t)((const unsigned char *)json.ptr - r->base) - LOG_FRAME_BYTES;
    if (start != r->prev_end) /* a head verified in between: what is held is signed */
        release(r, UINT64_MAX);
    r->prev_end = start + LOG_FRAME_BYTES + json.len + 32;
    if (r->rc != SK_OK)
        return 0;
    if (r->held_count == r->held_cap) {
        size_t cap = r->held_cap ? r->held_cap * 2 : 64;
        grown = realloc(r->held, cap * sizeof(*grown));
        if (grown == NULL) {
            r->rc = SK_ERR_NOMEM;
            return 0;
        }
        r->held = grown;
        r->held_cap = cap;
    }
    r->held[r->held_count++] = (held){seq, json};
    return 0;
}

/* Maps the whole file read-only; *map stays NULL for an empty file. */
static sk_err map_log(const char *path, unsigned char **map, size_t *len, sk_diag *diag)
{
    struct stat sb;
    void *p;
    int fd;
    sk_err rc = SK_OK;

    *map = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        rc = sk_diag_set(diag, SK_ERR_IO, "audit log", "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (sb.st_size > 0) {
        p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            rc = sk_diag_set(diag, SK_ERR_IO, "audit log", "cannot map %s", path);
            goto out;
        }
        *map = p;
        *len = (size_t)sb.st_size;
    }
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

/*
 * Verifies the log at path and calls cb (may be NULL) on every record under
 * the last verified head, in order. An unsigned tail is dropped, unless
 * strict (then it is damage, as sk_audit_verify reports it).
 */
static sk_err read_log(const char *path, const sk_keyring *keyring, int strict,
                       sk_audit_record_cb cb, void *ctx, snapshot *snap, sk_diag *diag)
{
    unsigned char pubkey[SK_AUDIT_PUBKEY_BYTES];
    unsigned char *map = NULL;
    log_state *st;
    size_t len = 0;
    reader r;
    int tail_only = 0;
    sk_err rc;

    memset(snap, 0, sizeof(*snap));
    memset(&r, 0, sizeof(r));
    r.cb = cb;
    r.ctx = ctx;
    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return SK_ERR_NOMEM;
    rc = map_log(path, &map, &len, diag);
    if (rc != SK_OK)
        goto out;
    r.base = map;
    sk_audit_public_key(keyring, pubkey);
    rc = sk_audit_scan(map, len, pubkey, cb != NULL ? hold : NULL, &r, st, &snap->bad_seq,
                       &tail_only, diag);
    if (rc != SK_OK && tail_only && !strict) {
        /* A group still being written, or a crash's: never acknowledged. */
        sk_diag_clear(diag);
        rc = SK_OK;
    }
    if (rc == SK_OK)
        rc = r.rc;
    if (rc == SK_OK && cb != NULL)
        release(&r, st->signed_size);
    snap->records = st->signed_size;
    snap->head = st->head;
out:
    if (map != NULL)
        munmap(map, len);
    free(r.held);
    free(st);
    return rc;
}

/* Puts out back to its length on entry (after a failed answer). */
static void rewind_to(sk_buf *out, size_t len)
{
    if (out->ptr != NULL && out->len > len) {
        out->len = len;
        out->ptr[len] = '\0';
    }
}

static sk_err put_hash(sk_buf *out, const char *prefix, const unsigned char hash[SK_HASH_BYTES])
{
    char hex[2 * SK_HASH_BYTES + 1];

    sk_hex_encode(hash, SK_HASH_BYTES, hex);
    return sk_buf_printf(out, "%s\"%s\"", prefix, hex);
}

static sk_err put_head(sk_buf *out, const sk_keyring *keyring, const sk_audit_sth *h)
{
    unsigned char pub[SK_AUDIT_PUBKEY_BYTES];
    char sig[2 * SK_AUDIT_SIG_BYTES + 1];
    sk_err rc;

    sk_audit_public_key(keyring, pub);
    sk_hex_encode(h->signature, SK_AUDIT_SIG_BYTES, sig);
    rc = sk_buf_printf(out, "{\"tree_size\":%llu,\"timestamp_ms\":%lld",
                       (unsigned long long)h->size, (long long)h->timestamp_ms);
    if (rc == SK_OK)
        rc = put_hash(out, ",\"root\":", h->root);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"signature\":\"%s\"", sig);
    if (rc == SK_OK)
        rc = put_hash(out, ",\"public_key\":", pub);
    if (rc == SK_OK)
        rc = sk_buf_append(out, "}", 1);
    return rc;
}

/* ------------------------------------------------------------ verification */

static sk_err put_verdict(sk_buf *out, const sk_keyring *keyring, const snapshot *snap, int ok,
                          const sk_diag *found)
{
    sk_err rc;

    if (!ok) {
        rc = sk_buf_printf(out, "{\"ok\":false,\"first_bad_seq\":%llu,\"error\":",
                           (unsigned long long)snap->bad_seq);
        if (rc == SK_OK)
            rc = sk_buf_json_str(out, sk_str_c(found->msg));
        return rc == SK_OK ? sk_buf_append(out, "}", 1) : rc;
    }
    rc = sk_buf_printf(
        out, "{\"ok\":true,\"records\":%llu,\"tree_head\":", (unsigned long long)snap->records);
    if (rc == SK_OK)
        rc = put_head(out, keyring, &snap->head);
    return rc == SK_OK ? sk_buf_append(out, "}", 1) : rc;
}

sk_err sk_audit_verify_json(const char *path, const sk_keyring *keyring, uint64_t acknowledged,
                            unsigned flags, sk_buf *out, sk_diag *diag)
{
    size_t start;
    snapshot snap;
    struct stat sb;
    sk_diag found;
    sk_err rc;

    SK_ASSERT(path != NULL && keyring != NULL && out != NULL);
    start = out->len;
    sk_diag_clear(&found);
    memset(&snap, 0, sizeof(snap));
    if (acknowledged == 0 && stat(path, &sb) != 0 && errno == ENOENT)
        rc = SK_OK; /* nothing was ever recorded: no log is the empty log */
    else
        rc = read_log(path, keyring, (flags & SK_AUDIT_VERIFY_STRICT) != 0, NULL, NULL, &snap,
                      &found);
    if (rc == SK_OK && snap.records < acknowledged) {
        snap.bad_seq = snap.records;
        rc = sk_diag_set(&found, SK_ERR_CRYPTO, "audit log",
                         "record %llu: missing (the log was truncated; %llu records were "
                         "acknowledged)",
                         (unsigned long long)snap.records, (unsigned long long)acknowledged);
    }
    if (diag != NULL)
        *diag = found;
    if (rc == SK_OK || rc == SK_ERR_CRYPTO)
        rc = put_verdict(out, keyring, &snap, rc == SK_OK, &found);
    if (rc != SK_OK)
        rewind_to(out, start);
    return rc;
}

sk_err sk_audit_tree_head_json(const char *path, const sk_keyring *keyring, sk_buf *out,
                               sk_diag *diag)
{
    size_t start;
    snapshot snap;
    sk_err rc;

    SK_ASSERT(path != NULL && keyring != NULL && out != NULL);
    start = out->len;
    rc = read_log(path, keyring, 0, NULL, NULL, &snap, diag);
    if (rc == SK_OK)
        rc = put_head(out, keyring, &snap.head);
    if (rc != SK_OK)
        rewind_to(out, start);
    return rc;
}

/* ------------------------------------------------------------ who accessed */

typedef struct who_ctx {
    sk_str subject;
    sk_str needle; /* the subject as the log writes it: a quoted JSON string */
    uint64_t offset, total;
    uint32_t limit, shown;
    sk_buf *out;
    sk_err rc;
} who_ctx;

/* 1 when the record's subjects array holds subject exactly. */
static int names_subject(sk_str json, sk_str subject)
{
    json_error_t jerr;
    json_t *rec = json_loadb(json.ptr, json.len, 0, &jerr), *v;
    size_t i;
    int hit = 0;

    json_array_foreach(json_object_get(rec, "subjects"), i, v)
    {
        hit |= json_is_string(v) && json_string_length(v) == subject.len &&
               memcmp(json_string_value(v), subject.ptr, subject.len) == 0;
    }
    json_decref(rec);
    return hit;
}

/* The stored object with ,"seq":N added before its closing brace. */
static sk_err put_record(sk_buf *out, uint64_t seq, sk_str json)
{
    sk_err rc;

    while (json.len > 0 && json.ptr[json.len - 1] != '}')
        json.len--;           /* trailing blanks, never written by log.c */
    SK_ASSERT(json.len >= 2); /* parsed as an object naming subjects */
    rc = sk_buf_append(out, json.ptr, json.len - 1);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"seq\":%llu}", (unsigned long long)seq);
    return rc;
}

static int who_record(uint64_t seq, sk_str json, void *vctx)
{
    who_ctx *w = vctx;

    /* Most records do not name the subject: a byte search rules them out
     * before any parsing. */
    if (w->rc != SK_OK || memmem(json.ptr, json.len, w->needle.ptr, w->needle.len) == NULL ||
        !names_subject(json, w->subject))
        return 0;
    if (w->total++ < w->offset || w->shown >= w->limit)
        return 0;
    w->rc = sk_buf_append(w->out, ",", w->shown ? 1 : 0);
    if (w->rc == SK_OK)
        w->rc = put_record(w->out, seq, json);
    w->shown++;
    return 0;
}

static sk_err check_subject(sk_str subject, sk_diag *diag)
{
    if (subject.len == 0 || subject.len > SK_AUDIT_RECORD_MAX)
        return sk_diag_set(diag, SK_ERR_INVALID, "subject", "must be 1 to %d bytes",
                           SK_AUDIT_RECORD_MAX);
    if (!sk_utf8_valid(subject))
        return sk_diag_set(diag, SK_ERR_INVALID, "subject", "must be valid UTF-8");
    return SK_OK;
}

sk_err sk_audit_who_accessed(const char *path, const sk_keyring *keyring, sk_str subject_id,
                             uint64_t offset, uint32_t limit, sk_buf *out, sk_diag *diag)
{
    who_ctx w;
    sk_buf needle;
    snapshot snap;
    size_t start;
    sk_err rc;

    SK_ASSERT(path != NULL && keyring != NULL && out != NULL);
    start = out->len;
    memset(&w, 0, sizeof(w));
    sk_buf_init(&needle, 6 * (size_t)SK_AUDIT_RECORD_MAX + 2);
    rc = check_subject(subject_id, diag);
    if (rc == SK_OK)
        rc = sk_buf_json_str(&needle, subject_id);
    if (rc != SK_OK)
        goto out;
    w.subject = subject_id;
    w.needle = sk_buf_str(&needle);
    w.offset = offset;
    w.limit = limit < SK_AUDIT_QUERY_LIMIT_MAX ? limit : SK_AUDIT_QUERY_LIMIT_MAX;
    w.out = out;
    rc = sk_buf_appendc(out, "{\"subject\":");
    if (rc == SK_OK)
        rc = sk_buf_append_str(out, w.needle);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"offset\":%llu,\"limit\":%u,\"records\":[",
                           (unsigned long long)offset, (unsigned)w.limit);
    if (rc == SK_OK)
        rc = read_log(path, keyring, 0, who_record, &w, &snap, diag);
    if (rc == SK_OK)
        rc = w.rc;
    if (rc == SK_OK)
        rc = sk_buf_printf(out, "],\"total\":%llu,\"tree_size\":%llu}", (unsigned long long)w.total,
                           (unsigned long long)snap.records);
out:
    if (rc != SK_OK)
        rewind_to(out, start);
    sk_buf_fini(&needle);
    return rc;
}

/* ------------------------------------------------------------------ report */

typedef struct report_ctx {
    int64_t from_ms, to_ms;
    json_t *counts; /* "agency|purpose|decision" -> n */
    json_t *denials;
    json_t *break_glass;
    int failed; /* an allocation failed */
} report_ctx;

static const char *str_of(const json_t *rec, const char *key)
{
    const char *s = json_string_value(json_object_get(rec, key));
    return s != NULL ? s : "";
}

/* Appends rec to list unless the list is full; 0 or -1 (no memory). */
static int add_row(json_t *list, json_t *rec)
{
    return json_array_size(list) < SK_AUDIT_REPORT_ROWS_MAX ? json_array_append(list, rec) : 0;
}

static int report_record(uint64_t seq, sk_str json, void *vctx)
{
    report_ctx *r = vctx;
    char key[SK_AUDIT_RECORD_MAX + 8];
    json_error_t jerr;
    json_int_t ms, n;
    json_t *rec;

    rec = json_loadb(json.ptr, json.len, 0, &jerr);
    ms = json_integer_value(json_object_get(rec, "ms"));
    if (rec == NULL || r->failed || (r->from_ms != 0 && ms < r->from_ms) ||
        (r->to_ms != 0 && ms >= r->to_ms))
        goto out;
    snprintf(key, sizeof(key), "%s|%s|%s", str_of(rec, "agency"), str_of(rec, "purpose"),
             str_of(rec, "decision"));
    n = json_integer_value(json_object_get(r->counts, key));
    r->failed |= json_object_set_new(r->counts, key, json_integer(n + 1)) != 0;
    r->failed |= json_object_set_new(rec, "seq", json_integer((json_int_t)seq)) != 0;
    if (strcmp(str_of(rec, "decision"), "deny") == 0)
        r->failed |= add_row(r->denials, rec) != 0;
    if (json_is_true(json_object_get(rec, "break_glass")))
        r->failed |= add_row(r->break_glass, rec) != 0;
out:
    json_decref(rec);
    return 0;
}

typedef struct dump_ctx {
    sk_buf *out;
    sk_err rc;
} dump_ctx;

static int dump_to_buf(const char *buffer, size_t size, void *data)
{
    dump_ctx *d = data;

    d->rc = sk_buf_append(d->out, buffer, size);
    return d->rc == SK_OK ? 0 : -1;
}

static sk_err put_report(sk_buf *out, const report_ctx *r, uint64_t records)
{
    dump_ctx d = {out, SK_OK};
    json_t *all;

    all = json_pack("{s:O,s:O,s:O,s:I}", "counts", r->counts, "denials", r->denials, "break_glass",
                    r->break_glass, "records", (json_int_t)records);
    if (all == NULL)
        return SK_ERR_NOMEM;
    if (json_dump_callback(all, dump_to_buf, &d, JSON_COMPACT | JSON_SORT_KEYS) != 0 &&
        d.rc == SK_OK)
        d.rc = SK_ERR_NOMEM;
    json_decref(all);
    return d.rc;
}

sk_err sk_audit_report(const char *path, const sk_keyring *keyring, int64_t from_ms, int64_t to_ms,
                       sk_buf *out, sk_diag *diag)
{
    report_ctx r = {from_ms, to_ms, json_object(), json_array(), json_array(), 0};
    size_t start;
    snapshot snap;
    sk_err rc = SK_OK;

    SK_ASSERT(path != NULL && keyring != NULL && out != NULL);
    start = out->len;
    if (from_ms != 0 && to_ms != 0 && to_ms <= from_ms)
        rc = sk_diag_set(diag, SK_ERR_INVALID, "to", "the period must end after it starts");
    if (rc == SK_OK && (r.counts == NULL || r.denials == NULL || r.break_glass == NULL))
        rc = SK_ERR_NOMEM;
    if (rc == SK_OK)
        rc = read_log(path, keyring, 0, report_record, &r, &snap, diag);
    if (rc == SK_OK && r.failed)
        rc = SK_ERR_NOMEM;
    if (rc == SK_OK)
        rc = put_report(out, &r, snap.records);
    if (rc != SK_OK)
        rewind_to(out, start);
    json_decref(r.counts);
    json_decref(r.denials);
    json_decref(r.break_glass);
    return rc;
}

/* ------------------------------------------------------------------ proofs */

/* The leaf hashes of the first `want` records, gathered during the read. */
typedef struct leaves {
    unsigned char (*hash)[SK_HASH_BYTES];
    uint64_t count, cap, want;
    sk_err rc;
} leaves;

static int collect_leaf(uint64_t seq, sk_str json, void *vctx)
{
    leaves *l = vctx;
    void *grown;
    uint64_t cap;

    if (l->rc != SK_OK || seq >= l->want)
        return 0;
    SK_ASSERT(seq == l->count); /* the reader releases records in order, from 0 */
    if (l->count == l->cap) {
        cap = l->cap ? l->cap * 2 : 1024;
        grown =
            cap <= SIZE_MAX / SK_HASH_BYTES ? realloc(l->hash, (size_t)cap * SK_HASH_BYTES) : NULL;
        if (grown == NULL) {
            l->rc = SK_ERR_NOMEM;
            return 0;
        }
        l->hash = grown;
        l->cap = cap;
    }
    sk_merkle_leaf_hash(json.ptr, json.len, l->hash[l->count++]);
    return 0;
}

static sk_err leaf_at(uint64_t index, unsigned char out[SK_HASH_BYTES], void *vctx)
{
    const leaves *l = vctx;

    if (index >= l->count)
        return SK_ERR_NOT_FOUND;
    memcpy(out, l->hash[index], SK_HASH_BYTES);
    return SK_OK;
}

/* Reads the log, keeping the leaf hashes of its first want records. */
static sk_err read_leaves(const char *path, const sk_keyring *keyring, uint64_t want, leaves *l,
                          snapshot *snap, sk_diag *diag)
{
    sk_err rc;

    memset(l, 0, sizeof(*l));
    l->want = want;
    rc = read_log(path, keyring, 0, collect_leaf, l, snap, diag);
    return rc == SK_OK ? l->rc : rc;
}

static sk_err put_proof(sk_buf *out, const unsigned char proof[][SK_HASH_BYTES], size_t count)
{
    size_t i;
    sk_err rc = sk_buf_appendc(out, ",\"proof\":[");

    for (i = 0; rc == SK_OK && i < count; i++)
        rc = put_hash(out, i ? "," : "", proof[i]);
    return rc == SK_OK ? sk_buf_appendc(out, "]}") : rc;
}

/* A root computed from the leaves must be the one the head signed. */
static sk_err check_root(const snapshot *snap, uint64_t size, const unsigned char root[32],
                         sk_diag *diag)
{
    if (size == snap->head.size && memcmp(root, snap->head.root, SK_HASH_BYTES) != 0)
        return sk_diag_set(diag, SK_ERR_CRYPTO, "audit log", "the log changed while it was read");
    return SK_OK;
}

sk_err sk_audit_inclusion_json(const char *path, const sk_keyring *keyring, uint64_t seq,
                               uint64_t tree_size, sk_buf *out, sk_diag *diag)
{
    unsigned char proof[SK_MERKLE_PROOF_MAX][SK_HASH_BYTES], root[SK_HASH_BYTES];
    size_t start, count = 0;
    snapshot snap;
    leaves l;
    sk_err rc;

    SK_ASSERT(path != NULL && keyring != NULL && out != NULL);
    start = out->len;
    memset(&l, 0, sizeof(l));
    if (tree_size != 0 && seq >= tree_size) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, "seq", "no record %llu in a tree of %llu",
                         (unsigned long long)seq, (unsigned long long)tree_size);
        goto out;
    }
    rc = read_leaves(path, keyring, tree_size ? tree_size : UINT64_MAX, &l, &snap, diag);
    if (rc == SK_OK && tree_size == 0)
        tree_size = snap.records;
    if (rc == SK_OK && tree_size > snap.records)
        rc = sk_diag_set(diag, SK_ERR_INVALID, "tree_size",
                         "%llu is larger than the log (%llu signed records)",
                         (unsigned long long)tree_size, (unsigned long long)snap.records);
    if (rc == SK_OK && seq >= tree_size)
        rc = sk_diag_set(diag, SK_ERR_INVALID, "seq", "no record %llu in a tree of %llu",
                         (unsigned long long)seq, (unsigned long long)tree_size);
    if (rc == SK_OK)
        rc = sk_merkle_inclusion_proof(seq, tree_size, leaf_at, &l, proof, &count);
    if (rc == SK_OK)
        rc = sk_merkle_root(tree_size, leaf_at, &l, root);
    if (rc == SK_OK)
        rc = check_root(&snap, tree_size, root, diag);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, "{\"seq\":%llu,\"tree_size\":%llu", (unsigned long long)seq,
                           (unsigned long long)tree_size);
    if (rc == SK_OK)
        rc = put_hash(out, ",\"leaf_hash\":", l.hash[seq]);
    if (rc == SK_OK)
        rc = put_hash(out, ",\"root\":", root);
    if (rc == SK_OK)
        rc = put_proof(out, (const unsigned char(*)[SK_HASH_BYTES])proof, count);
out:
    if (rc != SK_OK)
        rewind_to(out, start);
    free(l.hash);
    return rc;
}

/* records: the snapshot's size, or UINT64_MAX before the log is read. */
static sk_err check_sizes(uint64_t old_size, uint64_t new_size, uint64_t records, sk_diag *diag)
{
    if (old_size == 0)
        return sk_diag_set(diag, SK_ERR_INVALID, "old_size",
                           "must be at least 1 (the empty tree commits to nothing)");
    if (old_size > new_size)
        return sk_diag_set(diag, SK_ERR_INVALID, "old_size", "must not exceed new_size");
    if (new_size > records)
        return sk_diag_set(diag, SK_ERR_INVALID, "new_size",
                           "%llu is larger than the log (%llu signed records)",
                           (unsigned long long)new_size, (unsigned long long)records);
    return SK_OK;
}

sk_err sk_audit_consistency_json(const char *path, const sk_keyring *keyring, uint64_t old_size,
                                 uint64_t new_size, sk_buf *out, sk_diag *diag)
{
    unsigned char proof[SK_MERKLE_PROOF_MAX][SK_HASH_BYTES], old_root[32], new_root[32];
    size_t start, count = 0;
    snapshot snap;
    leaves l;
    sk_err rc;

    SK_ASSERT(path != NULL && keyring != NULL && out != NULL);
    start = out->len;
    memset(&l, 0, sizeof(l));
    rc = check_sizes(old_size, new_size, UINT64_MAX, diag); /* before reading anything */
    if (rc == SK_OK)
        rc = read_leaves(path, keyring, new_size, &l, &snap, diag);
    if (rc == SK_OK)
        rc = check_sizes(old_size, new_size, snap.records, diag);
    if (rc == SK_OK)
        rc = sk_merkle_consistency_proof(old_size, new_size, leaf_at, &l, proof, &count);
    if (rc == SK_OK)
        rc = sk_merkle_root(old_size, leaf_at, &l, old_root);
    if (rc == SK_OK)
        rc = sk_merkle_root(new_size, leaf_at, &l, new_root);
    if (rc == SK_OK)
        rc = check_root(&snap, new_size, new_root, diag);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, "{\"old_size\":%llu", (unsigned long long)old_size);
    if (rc == SK_OK)
        rc = put_hash(out, ",\"old_root\":", old_root);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"new_size\":%llu", (unsigned long long)new_size);
    if (rc == SK_OK)
        rc = put_hash(out, ",\"new_root\":", new_root);
    if (rc == SK_OK)
        rc = put_proof(out, (const unsigned char(*)[SK_HASH_BYTES])proof, count);
    if (rc != SK_OK)
        rewind_to(out, start);
    free(l.hash);
    return rc;
}
