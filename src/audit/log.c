/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c: appending to the audit log with group commit.
 *
 * Callers render their record, queue it and sleep. One writer thread takes
 * everything queued (up to SK_AUDIT_BATCH_MAX records), appends the records
 * and one signed tree head to a buffer, writes it with one write and makes
 * it durable with one fdatasync, then wakes the whole group with its
 * sequence numbers. So the number of syncs per second bounds the number of
 * groups, not of records: the more concurrent callers, the larger the groups.
 * If a write or sync fails, the group is told so, and the log refuses every
 * later append: after a failed fsync the kernel may have dropped the pages,
 * and nothing written after that could be trusted to be on disk.
 *
 * On open the existing log is verified in full (verify.c); a tail after the
 * last signed head is a commit a crash interrupted, never acknowledged, and
 * is cut off. Any other damage refuses the open.
 */
#include "log_format.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "safekeep/sk_buf.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

/* An append that does not wait: its caller is told through a callback
 * once every one of its records is durable (or the group failed). */
typedef struct async_req {
    size_t remaining;
    sk_err rc;
    uint64_t first_seq;
    sk_audit_done_cb cb;
    void *cb_ctx;
    struct pending *items;
    sk_buf *json;
    size_t n;
    struct async_req *next_done;
} async_req;

typedef struct pending {
    sk_str json;
    unsigned char leaf[32]; /* hashed by the caller: the writer only chains */
    pthread_cond_t *wake;   /* the caller's own condition variable, or NULL */
    async_req *async;       /* set instead of wake for sk_audit_append_async */
    uint64_t seq;
    sk_err rc;
    int done;
    struct pending *next;
} pending;

struct sk_audit {
    int fd;
    sk_keyring *keyring;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work; /* the writer waits here; each caller waits on its own */
    pending *head, *tail;
    int stop, failed, started;
    /* Writer-thread state; read under mu by sk_audit_head. */
    log_state st;
    sk_buf out;
    unsigned long fail_countdown;
    uint64_t groups, records;
    uint64_t batch_hist[SK_AUDIT_HIST_BUCKETS]; /* groups by size: <=1, <=2, <=4 ... */
    size_t queued;                              /* records waiting */
    size_t last_group;                          /* records in the previous group */
    int64_t gather_ns; /* sk_audit_set_gather: how long a group may wait for more */
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int injected(sk_audit *log)
{
    if (log->fail_countdown == 0)
        return 0;
    if (--log->fail_countdown == 0) {
        log->fail_countdown = 1;
        return 1;
    }
    return 0;
}

/* Appends one record entry to the output buffer and advances the state. */
static sk_err add_record(sk_audit *log, sk_str json, const unsigned char leaf[32])
{
    unsigned char frame[LOG_FRAME_BYTES], chain[32];
    sk_err rc;

    sk_sha256(log->st.chain, 32, leaf, 32, NULL, 0, chain);
    frame[0] = LOG_TAG_RECORD;
    put_u32(frame + 1, (uint32_t)json.len);
    rc = sk_buf_append(&log->out, frame, sizeof(frame));
    if (rc == SK_OK)
        rc = sk_buf_append_str(&log->out, json);
    if (rc == SK_OK)
        rc = sk_buf_append(&log->out, chain, sizeof(chain));
    if (rc == SK_OK) {
        sk_merkle_frontier_append(&log->st.frontier, leaf);
        memcpy(log->st.chain, chain, 32);
        log->st.size++;
    }
    return rc;
}

static sk_err add_head(sk_audit *log, sk_audit_sth *h)
{
    unsigned char msg[LOG_SIGNED_BYTES], entry[LOG_FRAME_BYTES + LOG_HEAD_BYTES];

    h->size = log->st.size;
    h->timestamp_ms = now_ms();
    sk_merkle_frontier_root(&log->st.frontier, h->root);
    memcpy(h->chain, log->st.chain, 32);
    sth_signed_bytes(h, msg);
    sk_sign(log->keyring, msg, sizeof(msg), h->signature);
    head_entry(h, entry);
    return sk_buf_append(&log->out, entry, sizeof(entry));
}

static sk_err write_all(sk_audit *log)
{
    const char *p = log->out.ptr;
    size_t left = log->out.len;

    while (left > 0) {
        ssize_t n;
        if (injected(log))
            return SK_ERR_IO;
        n = write(log->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return SK_ERR_IO;
        p += n;
        left -= (size_t)n;
    }
    if (injected(log) || fdatasync(log->fd) != 0)
        return SK_ERR_IO;
    return SK_OK;
}

/* Writes one group; runs on the writer thread without the lock. */
static sk_err commit_group(sk_audit *log, pending *group, sk_audit_sth *h)
{
    off_t start = lseek(log->fd, 0, SEEK_CUR);
    pending *p;
    sk_err rc = SK_OK;

    sk_buf_reset(&log->out);
    for (p = group; rc == SK_OK && p != NULL; p = p->next)
        rc = add_record(log, p->json, p->leaf);
    if (rc == SK_OK)
        rc = add_head(log, h);
    if (rc == SK_OK)
        rc = write_all(log);
    /* Told it failed, the callers disclose nothing: the group should not
     * stay in the log either, if it can still be taken back. */
    if (rc != SK_OK && start >= 0 && ftruncate(log->fd, start) == 0)
        (void)fdatasync(log->fd);
    return rc;
}

static pending *take_group(sk_audit *log)
{
    pending *group = log->head, *p = group;
    size_t n = 1;

    while (p->next != NULL && n < SK_AUDIT_BATCH_MAX) {
        p = p->next;
        n++;
    }
    log->head = p->next;
    if (log->head == NULL)
        log->tail = NULL;
    p->next = NULL;
    log->queued -= n;
    log->last_group = n;
    return group;
}

static struct timespec deadline_after(int64_t ns)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ns;
    ts.tv_sec += ts.tv_nsec / 1000000000;
    ts.tv_nsec %= 1000000000;
    return ts;
}

/* Under concurrent load (the previous group held more than one record),
 * a group waits a little for the records arriving behind it, so that one
 * fsync covers them: fewer, larger groups cost less CPU and raise the
 * throughput. A lone caller (the previous group was one record) never
 * waits. Called with the lock held and records queued. */
static void gather(sk_audit *log)
{
    struct timespec until;
    size_t want = log->last_group;

    if (log->gather_ns <= 0 || log->last_group < 2)
        return;
    until = deadline_after(log->gather_ns);
    while (log->queued < want && !log->stop) {
        if (pthread_cond_timedwait(&log->work, &log->mu, &until) != 0)
            break;
    }
}

static void async_free(async_req *a)
{
    size_t i;

    for (i = 0; i < a->n; i++)
        sk_buf_fini(&a->json[i]);
    free(a->json);
    free(a->items);
    free(a);
}

/* Callbacks run on the writer thread without the lock, so that they may
 * take their own locks (a server resuming a connection) freely. */
static void async_run(async_req *done)
{
    async_req *next;

    for (; done != NULL; done = next) {
        next = done->next_done;
        done->cb(done->cb_ctx, done->rc, done->first_seq);
        async_free(done);
    }
}

static void note_group_size(sk_audit *log, size_t n)
{
    size_t b = 0;

    while (b + 1 < SK_AUDIT_HIST_BUCKETS && ((size_t)1 << b) < n)
        b++;
    log->batch_hist[b]++;
}

/* Tells each caller of a committed (or failed) group; returns the async
 * requests that are now complete. Called with the lock held. */
static async_req *finish_group(sk_audit *log, pending *group, uint64_t seq, sk_err rc)
{
    async_req *done = NULL;
    pending *p, *next;
    size_t n = 0;

    for (p = group; p != NULL; p = next) {
        next = p->next;
        p->rc = rc;
        p->seq = seq++;
        log->records += rc == SK_OK;
        n++;
        if (p->async != NULL) {
            async_req *a = p->async;
            if (rc != SK_OK)
                a->rc = rc;
            if (p == a->items)
                a->first_seq = p->seq;
            SK_ASSERT(a->remaining > 0);
            if (--a->remaining == 0) {
                a->next_done = done;
                done = a;
            }
            continue;
        }
        p->done = 1;
        /* One wake-up per caller, not one broadcast to every waiter. */
        pthread_cond_signal(p->wake);
    }
    if (rc == SK_OK) {
        log->groups++;
        note_group_size(log, n);
    }
    return done;
}

static void *writer_main(void *arg)
{
    sk_audit *log = arg;
    async_req *done;
    pending *group;
    sk_audit_sth h;
    uint64_t seq;
    sk_err rc;

    pthread_mutex_lock(&log->mu);
    for (;;) {
        while (log->head == NULL && !log->stop)
            pthread_cond_wait(&log->work, &log->mu);
        if (log->head == NULL && log->stop)
            break;
        gather(log);
        group = take_group(log);
        seq = log->st.size;
        pthread_mutex_unlock(&log->mu);
        rc = log->failed ? SK_ERR_IO : commit_group(log, group, &h);
        pthread_mutex_lock(&log->mu);
        if (rc != SK_OK)
            log->failed = 1;
        else
            log->st.head = h;
        done = finish_group(log, group, seq, rc);
        if (done != NULL) {
            pthread_mutex_unlock(&log->mu);
            async_run(done);
            pthread_mutex_lock(&log->mu);
        }
    }
    pthread_mutex_unlock(&log->mu);
    return NULL;
}

/* Verifies what is on disk and positions the writer after the last head. */
static sk_err recover(sk_audit *log, const char *path, sk_diag *diag)
{
    unsigned char pubkey[32];
    unsigned char *map = NULL;
    uint64_t bad = 0;
    struct stat sb;
    int tail_only = 0;
    sk_err rc = SK_OK;

    if (fstat(log->fd, &sb) != 0)
        return sk_diag_set(diag, SK_ERR_IO, "audit log", "cannot stat %s", path);
    if (sb.st_size > 0) {
        map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, log->fd, 0);
        if (map == MAP_FAILED)
            return sk_diag_set(diag, SK_ERR_IO, "audit log", "cannot map %s", path);
    }
    sk_audit_public_key(log->keyring, pubkey);
    rc = sk_audit_scan(map, (size_t)sb.st_size, pubkey, NULL, NULL, &log->st, &bad, &tail_only,
                       diag);
    if (map != NULL)
        munmap(map, (size_t)sb.st_size);
    if (rc != SK_OK && tail_only) {
        /* A commit a crash interrupted: never acknowledged, so not kept. */
        sk_diag_clear(diag);
        rc = ftruncate(log->fd, (off_t)log->st.signed_end) == 0 && fdatasync(log->fd) == 0
                 ? SK_OK
                 : sk_diag_set(diag, SK_ERR_IO, "audit log", "cannot cut the unsigned tail");
    }
    if (rc == SK_OK && lseek(log->fd, 0, SEEK_END) < 0)
        rc = sk_diag_set(diag, SK_ERR_IO, "audit log", "cannot seek %s", path);
    return rc;
}

static sk_err start(sk_audit *log)
{
    if (pthread_mutex_init(&log->mu, NULL) != 0)
        return SK_ERR_NOMEM;
    if (pthread_cond_init(&log->work, NULL) != 0)
        return SK_ERR_NOMEM;
    if (pthread_create(&log->thread, NULL, writer_main, log) != 0)
        return SK_ERR_NOMEM;
    log->started = 1;
    return SK_OK;
}

/*
 * One writer per log: two would interleave their groups and each sign a
 * chain the other breaks. The lock is flock's, held by the open file
 * description until sk_audit_close closes it (or the process dies, so a
 * crash never leaves the log locked). Two opens in one process conflict as
 * well, since each has its own description. Readers take no lock: they
 * only trust what signed heads cover.
 */
static sk_err lock_log(sk_audit *log, const char *path, sk_diag *diag)
{
    if (flock(log->fd, LOCK_EX | LOCK_NB) == 0)
        return SK_OK;
    if (errno == EWOULDBLOCK)
        return sk_diag_set(diag, SK_ERR_CONFLICT, "", "audit log is in use by another process");
    return sk_diag_set(diag, SK_ERR_IO, "audit log", "cannot lock %s: %s", path, strerror(errno));
}

sk_err sk_audit_open(const char *path, sk_keyring *keyring, sk_audit **out, sk_diag *diag)
{
    sk_audit *log;
    sk_err rc;

    SK_ASSERT(path != NULL && keyring != NULL && out != NULL);
    *out = NULL;
    log = calloc(1, sizeof(*log));
    if (log == NULL)
        return SK_ERR_NOMEM;
    log->keyring = keyring;
    sk_buf_init(&log->out, (size_t)SK_AUDIT_BATCH_MAX * (SK_AUDIT_RECORD_MAX + 64) + 4096);
    log->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (log->fd < 0) {
        rc = sk_diag_set(diag, SK_ERR_IO, "audit log", "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    rc = lock_log(log, path, diag); /* before recover: it may cut the tail */
    if (rc == SK_OK)
        rc = recover(log, path, diag);
    if (rc == SK_OK)
        rc = start(log);
out:
    if (rc != SK_OK) {
        sk_audit_close(log);
        return rc;
    }
    *out = log;
    return SK_OK;
}

void sk_audit_close(sk_audit *log)
{
    if (log == NULL)
        return;
    if (log->started) {
        pthread_mutex_lock(&log->mu);
        log->stop = 1;
        pthread_cond_signal(&log->work);
        pthread_mutex_unlock(&log->mu);
        pthread_join(log->thread, NULL);
        pthread_cond_destroy(&log->work);
        pthread_mutex_destroy(&log->mu);
    }
    if (log->fd >= 0)
        close(log->fd);
    sk_buf_fini(&log->out);
    free(log);
}

static sk_err json_kv(sk_buf *b, const char *key, sk_str v)
{
    sk_err rc = sk_buf_printf(b, ",\"%s\":", key);
    return rc == SK_OK ? sk_buf_json_str(b, v) : rc;
}

static sk_err render_lists(sk_buf *b, const sk_audit_record *r)
{
    size_t i;
    int first = 1;
    sk_err rc = sk_buf_appendc(b, ",\"subjects\":[");

    for (i = 0; rc == SK_OK && i < r->subject_count; i++) {
        rc = sk_buf_append(b, ",", i ? 1 : 0);
        if (rc == SK_OK)
            rc = sk_buf_json_str(b, r->subjects[i]);
    }
    if (rc == SK_OK)
        rc = sk_buf_appendc(b, "],\"fields\":[");
    for (i = 0; rc == SK_OK && sk_policy_field_names[i] != NULL; i++) {
        if (!((r->fields >> i) & 1u))
            continue;
        rc = sk_buf_printf(b, "%s\"%s\"", first ? "" : ",", sk_policy_field_names[i]);
        first = 0;
    }
    if (rc == SK_OK)
        rc = sk_buf_append(b, "]", 1);
    return rc;
}

/* One record as the log stores it: canonical JSON, no identity values. */
static sk_err render(const sk_audit_record *r, sk_buf *b)
{
    char when[SK_RFC3339_LEN + 1];
    int64_t at = r->at_ms ? r->at_ms : now_ms();
    sk_err rc;

    SK_ASSERT(r->subject_count <= SK_ARRAY_LEN(r->subjects));
    sk_time_format_rfc3339(at / 1000, when);
    rc = sk_buf_printf(b, "{\"time\":\"%s\",\"ms\":%lld", when, (long long)at);
    if (rc == SK_OK)
        rc = json_kv(b, "request_id", r->request_id);
    if (rc == SK_OK)
        rc = json_kv(b, "agency", r->agency);
    if (rc == SK_OK)
        rc = json_kv(b, "user", r->user);
    if (rc == SK_OK)
        rc = json_kv(b, "role", r->role);
    if (rc == SK_OK)
        rc = json_kv(b, "purpose", r->purpose);
    if (rc == SK_OK)
        rc = json_kv(b, "action", r->action);
    if (rc == SK_OK)
        rc = json_kv(b, "entity", r->entity);
    if (rc == SK_OK)
        rc = render_lists(b, r);
    if (rc == SK_OK)
        rc = json_kv(b, "decision", r->decision);
    if (rc == SK_OK)
        rc = json_kv(b, "rule_kind", r->rule_kind);
    if (rc == SK_OK)
        rc = json_kv(b, "rule_id", r->rule_id);
    if (rc == SK_OK)
        rc = sk_buf_printf(b, ",\"rule_version\":%u,\"break_glass\":%s", r->rule_version,
                           r->break_glass ? "true" : "false");
    if (rc == SK_OK)
        rc = json_kv(b, "reason", r->reason);
    if (rc == SK_OK)
        rc = sk_buf_append(b, "}", 1);
    return rc;
}

static void enqueue(sk_audit *log, pending *p)
{
    if (log->tail != NULL)
        log->tail->next = p;
    else
        log->head = p;
    log->tail = p;
    log->queued++;
}

sk_err sk_audit_append_many(sk_audit *log, const sk_audit_record *recs, size_t n, uint64_t *seqs)
{
    pthread_cond_t wake;
    pending *mine = NULL;
    sk_buf *json = NULL;
    size_t i, done;
    sk_err rc = SK_OK;

    SK_ASSERT(log != NULL && (recs != NULL || n == 0));
    if (n == 0)
        return SK_OK;
    if (n > SK_AUDIT_BATCH_MAX)
        return SK_ERR_TOO_LARGE;
    mine = calloc(n, sizeof(*mine));
    json = calloc(n, sizeof(*json));
    if (mine == NULL || json == NULL)
        rc = SK_ERR_NOMEM;
    if (rc == SK_OK && pthread_cond_init(&wake, NULL) != 0) {
        free(mine);
        free(json);
        return SK_ERR_NOMEM;
    }
    for (i = 0; rc == SK_OK && i < n; i++) {
        sk_buf_init(&json[i], SK_AUDIT_RECORD_MAX);
        rc = render(&recs[i], &json[i]);
        mine[i].json = sk_buf_str(&json[i]);
        mine[i].wake = &wake;
        if (rc == SK_OK) /* hashed here, in parallel with other callers */
            sk_merkle_leaf_hash(mine[i].json.ptr, mine[i].json.len, mine[i].leaf);
    }
    pthread_mutex_lock(&log->mu);
    if (rc == SK_OK && (log->failed || log->stop))
        rc = SK_ERR_IO;
    for (i = 0; rc == SK_OK && i < n; i++)
        enqueue(log, &mine[i]);
    if (rc == SK_OK) {
        pthread_cond_signal(&log->work);
        for (done = 0; done < n;) {
            for (done = 0; done < n && mine[done].done; done++)
                ;
            if (done < n)
                pthread_cond_wait(&wake, &log->mu);
        }
        for (i = 0; i < n; i++) {
            if (mine[i].rc != SK_OK)
                rc = mine[i].rc;
            if (seqs != NULL)
                seqs[i] = mine[i].seq;
        }
    }
    pthread_mutex_unlock(&log->mu);
    if (mine != NULL && json != NULL)
        pthread_cond_destroy(&wake);
    for (i = 0; json != NULL && i < n; i++)
        sk_buf_fini(&json[i]);
    free(json);
    free(mine);
    return rc;
}

sk_err sk_audit_append_async(sk_audit *log, const sk_audit_record *recs, size_t n,
                             sk_audit_done_cb cb, void *ctx)
{
    async_req *a;
    size_t i;
    sk_err rc = SK_OK;

    SK_ASSERT(log != NULL && recs != NULL && cb != NULL);
    if (n == 0 || n > SK_AUDIT_BATCH_MAX)
        return n == 0 ? SK_ERR_INVALID : SK_ERR_TOO_LARGE;
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return SK_ERR_NOMEM;
    a->items = calloc(n, sizeof(*a->items));
    a->json = calloc(n, sizeof(*a->json));
    if (a->items == NULL || a->json == NULL)
        rc = SK_ERR_NOMEM;
    a->n = rc == SK_OK ? n : 0;
    a->remaining = n;
    a->cb = cb;
    a->cb_ctx = ctx;
    for (i = 0; rc == SK_OK && i < n; i++) {
        sk_buf_init(&a->json[i], SK_AUDIT_RECORD_MAX);
        rc = render(&recs[i], &a->json[i]);
        a->items[i].json = sk_buf_str(&a->json[i]);
        a->items[i].async = a;
        if (rc == SK_OK)
            sk_merkle_leaf_hash(a->items[i].json.ptr, a->items[i].json.len, a->items[i].leaf);
    }
    pthread_mutex_lock(&log->mu);
    if (rc == SK_OK && (log->failed || log->stop))
        rc = SK_ERR_IO;
    for (i = 0; rc == SK_OK && i < n; i++)
        enqueue(log, &a->items[i]);
    if (rc == SK_OK)
        pthread_cond_signal(&log->work);
    pthread_mutex_unlock(&log->mu);
    if (rc != SK_OK)
        async_free(a);
    return rc;
}

void sk_audit_set_gather(sk_audit *log, unsigned gather_us)
{
    pthread_mutex_lock(&log->mu);
    log->gather_ns = (int64_t)gather_us * 1000;
    pthread_mutex_unlock(&log->mu);
}

void sk_audit_batch_histogram(sk_audit *log, uint64_t out[SK_AUDIT_HIST_BUCKETS])
{
    pthread_mutex_lock(&log->mu);
    memcpy(out, log->batch_hist, sizeof(log->batch_hist));
    pthread_mutex_unlock(&log->mu);
}

int sk_audit_failed(sk_audit *log)
{
    int failed;

    pthread_mutex_lock(&log->mu);
    failed = log->failed;
    pthread_mutex_unlock(&log->mu);
    return failed;
}

sk_err sk_audit_append(sk_audit *log, const sk_audit_record *rec, uint64_t *seq)
{
    return sk_audit_append_many(log, rec, 1, seq);
}

void sk_audit_head(sk_audit *log, sk_audit_sth *out)
{
    pthread_mutex_lock(&log->mu);
    *out = log->st.head;
    pthread_mutex_unlock(&log->mu);
}

void sk_audit_fail_after(sk_audit *log, unsigned long n)
{
    pthread_mutex_lock(&log->mu);
    log->fail_countdown = n;
    pthread_mutex_unlock(&log->mu);
}

void sk_audit_stats(sk_audit *log, uint64_t *groups, uint64_t *records)
{
    pthread_mutex_lock(&log->mu);
    *groups = log->groups;
    *records = log->records;
    pthread_mutex_unlock(&log->mu);
}
