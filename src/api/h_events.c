/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h_events.c: recording events through the API: POST /v1/events (one event)
 * and POST /v1/events/batch (up to batch_events_max, all or nothing).
 *
 * The body is parsed by the library (sk_body.h), which validates each event
 * exactly as an import would and names a bad value by its JSON pointer; the
 * recording agency and user are the token's. Each event is then a write of
 * the entity its type records (sk_subject_event_entity) about its child,
 * judged by the policy before anything is stored. A new event is a record
 * of the requester's own agency whoever recorded the child's earlier
 * records, so it is judged with that agency as the recording agency: a role
 * grants writes to its own records, an agreement to read another agency's
 * records grants no writing, and constraints and the record's attributes
 * (taken from the child's history, as on a read) apply as always.
 *
 * A batch is judged once per child and entity: the events of one request
 * about the same record share one decision and one audit record. Every
 * decision is audited; one denial refuses the whole request before any
 * write. The events are then written in one ingest transaction, so a
 * duplicate id or a store failure anywhere leaves the store as it was.
 */
#include "api.h"

#include <string.h>

#include "safekeep/sk_body.h"
#include "safekeep/sk_ingest.h"
#include "safekeep/sk_subject.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

/* One judged (child, entity) pair of a request. */
typedef struct judged {
    sk_str child;
    sk_entity entity;
    const sk_subject *subject; /* NULL: the child has no events yet */
} judged;

/* The JSON pointer of event i of a request ("" for a single event). */
static void event_pointer(int batch, size_t i, const char *suffix, char *buf, size_t buf_len)
{
    if (batch)
        snprintf(buf, buf_len, "/events/%zu%s", i, suffix);
    else
        snprintf(buf, buf_len, "%s", suffix);
}

static void body_problem(sk_req *r, sk_err rc, const sk_diag *diag)
{
    char detail[128];

    if (rc == SK_ERR_INVALID && strcmp(diag->where, SK_BODY_WHERE_JSON) == 0) {
        sk_api_problem(r, 400, "invalid-json", diag->msg);
    } else if (rc == SK_ERR_INVALID) {
        sk_api_problem_invalid(r, diag->field, diag->msg);
    } else if (rc == SK_ERR_TOO_LARGE && strcmp(diag->field, "/events") == 0) {
        snprintf(detail, sizeof(detail), "a batch holds at most %u events",
                 r->api->cfg.batch_events_max);
        sk_api_problem(r, 413, "payload-too-large", detail);
    } else {
        sk_api_problem_err(r, rc, NULL);
    }
}

/* Policy events change what may be disclosed; they are adopted from policy
 * documents by the operator, never written by a client. */
static int case_events_only(sk_req *r, const sk_event *events, size_t count, int batch)
{
    char pointer[48];
    size_t i;

    for (i = 0; i < count; i++) {
        if (sk_subject_event_entity(events[i].type) < SK_ENTITY__COUNT)
            continue;
        event_pointer(batch, i, "/type", pointer, sizeof(pointer));
        sk_api_problem_invalid(r, pointer,
                               "expected the type of an event in a child's case; policy events "
                               "are not recorded through the API");
        return 0;
    }
    return 1;
}

/* Judges a write of entity about subject: as sk_api_decide, but the record
 * written is the requester's own agency's. */
static void decide_write(sk_req *r, sk_entity entity, const sk_subject *subject, sk_request *req,
                         sk_decision *d)
{
    sk_api_decide(r, SK_ACTION_WRITE, entity, 0, subject, 0, req, d);
    if (req->record_agency != r->agency) {
        req->record_agency = r->agency;
        sk_policy_decide(r->api->policy, req, d);
    }
}

/* Index of the pair (child, entity) among the first n, or n. */
static size_t find_pair(const judged *pairs, size_t n, sk_str child, sk_entity entity)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (pairs[i].entity == entity && sk_str_eq(pairs[i].child, child))
            break;
    }
    return i;
}

/* The distinct (child, entity) pairs of the events, in order of first
 * appearance; 0 with a 413 prepared past SK_API_AUDIT_MAX (each pair is one
 * audit record, and a request has a bounded number of them). */
static int collect_pairs(sk_req *r, const sk_event *events, size_t count, judged **pairs, size_t *n)
{
    size_t cap = count < SK_API_AUDIT_MAX ? count : SK_API_AUDIT_MAX, i;
    char detail[128];
    void *p = NULL;
    sk_err rc;

    *n = 0;
    rc = sk_arena_alloc(r->arena, cap * sizeof(judged), &p);
    if (rc != SK_OK) {
        sk_api_problem_err(r, rc, NULL);
        return 0;
    }
    *pairs = p;
    for (i = 0; i < count; i++) {
        sk_entity entity = sk_subject_event_entity(events[i].type);
        if (find_pair(*pairs, *n, events[i].subjects[0], entity) < *n)
            continue;
        if (*n == cap) {
            snprintf(detail, sizeof(detail),
                     "a batch may concern at most %d different records (child and entity); "
                     "split it",
                     SK_API_AUDIT_MAX);
            sk_api_problem(r, 413, "payload-too-large", detail);
            return 0;
        }
        (*pairs)[(*n)++] = (judged){events[i].subjects[0], entity, NULL};
    }
    return 1;
}

/* Judges pair i, loading its child unless an earlier pair did; 0 with the
 * answer prepared when the request ends here. */
static int judge_pair(sk_req *r, judged *pairs, size_t i)
{
    judged *pair = &pairs[i];
    sk_subject *subject = NULL;
    sk_request req;
    sk_decision d;
    size_t j;
    sk_err rc;

    for (j = 0; j < i; j++) {
        if (sk_str_eq(pairs[j].child, pair->child))
            break;
    }
    if (j < i) {
        pair->subject = pairs[j].subject;
    } else {
        rc = sk_api_load_subject(r, pair->child, &subject);
        if (rc != SK_OK && rc != SK_ERR_NOT_FOUND)
            return 0; /* the problem is prepared */
        pair->subject = subject;
    }
    decide_write(r, pair->entity, pair->subject, &req, &d);
    if (!d.permit) {
        sk_api_forbidden(r, &req, &d, pair->child);
        return 0;
    }
    rc = sk_api_audit_decision(r, &req, &d, pair->child);
    if (rc != SK_OK) {
        sk_api_problem_err(r, rc, NULL);
        return 0;
    }
    return 1;
}

/* Judges every event, once per (child, entity); 1 when all are permitted. */
static int authorise(sk_req *r, const sk_event *events, size_t count)
{
    judged *pairs = NULL;
    size_t n = 0, i;

    if (!collect_pairs(r, events, count, &pairs, &n))
        return 0;
    for (i = 0; i < n; i++) {
        if (!judge_pair(r, pairs, i))
            return 0;
    }
    return 1;
}

/* Writes the events in one transaction; seqs[i] gets each one's ledger
 * sequence number. On error *failed is the index of the event at fault, or
 * count when the transaction as a whole failed. */
static sk_err write_events(sk_req *r, sk_store *store, sk_event *events, size_t count,
                           uint64_t *seqs, size_t *failed, sk_diag *diag)
{
    sk_ingest *ing = NULL;
    size_t i = 0;
    sk_err rc;

    *failed = count;
    rc = sk_ingest_new(store, r->api->keyring, &ing);
    if (rc == SK_OK)
        sk_ingest_set_policy(ing, r->api->policy);
    if (rc == SK_OK)
        rc = sk_ingest_begin(ing, diag);
    for (i = 0; rc == SK_OK && i < count; i++) {
        rc = sk_ingest_event(ing, &events[i], diag);
        if (rc == SK_OK)
            seqs[i] = sk_ingest_last_seq(ing);
        else
            *failed = i;
    }
    if (rc == SK_OK)
        rc = sk_ingest_commit(ing, diag);
    if (rc != SK_OK && ing != NULL)
        sk_ingest_abort(ing);
    sk_ingest_free(ing);
    return rc;
}

static void write_problem(sk_req *r, sk_err rc, int batch, size_t failed, size_t count,
                          const sk_diag *diag)
{
    char pointer[48] = "", detail[160];

    if (failed < count)
        event_pointer(batch, failed, "", pointer, sizeof(pointer));
    if (rc == SK_ERR_CONFLICT) {
        snprintf(detail, sizeof(detail), "%s%s%s", pointer, pointer[0] ? ": " : "",
                 strcmp(diag->field, "id") == 0
                     ? "an event with this id is already recorded (ids are unique in the ledger)"
                     : "the events conflict with records already stored");
        sk_api_problem(r, 409, "conflict", detail);
    } else if (rc == SK_ERR_INVALID) {
        sk_api_problem_invalid(r, pointer, diag->msg[0] ? diag->msg : "the event was refused");
    } else {
        sk_api_problem_err(r, rc, diag); /* store failures: 503, detail to the log */
    }
}

static sk_err dq_json(sk_buf *out, uint32_t flags)
{
    char name[32];
    int first = 1;
    unsigned i;
    sk_err rc = sk_buf_append(out, "[", 1);

    for (i = 0; rc == SK_OK && i < SK_DQ_NAMES_MAX; i++) {
        if (!(flags & (1u << i)))
            continue;
        sk_dq_format(1u << i, name, sizeof(name));
        rc = sk_buf_printf(out, "%s\"%s\"", first ? "" : ",", name);
        first = 0;
    }
    return rc == SK_OK ? sk_buf_append(out, "]", 1) : rc;
}

static sk_err single_json(sk_buf *out, const sk_event *ev, uint64_t seq)
{
    sk_err rc = sk_buf_appendc(out, "{\"id\":");

    if (rc == SK_OK)
        rc = sk_buf_json_str(out, sk_str_c(ev->id));
    if (rc == SK_OK)
        rc = sk_buf_printf(out,
                           ",\"seq\":%llu,\"type\":\"%s\",\"subject\":", (unsigned long long)seq,
                           sk_event_def_get(ev->type)->name);
    if (rc == SK_OK)
        rc = sk_buf_json_str(out, ev->subjects[0]);
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, ",\"data_quality\":");
    if (rc == SK_OK)
        rc = dq_json(out, ev->dq_flags);
    return rc == SK_OK ? sk_buf_append(out, "}", 1) : rc;
}

static sk_err batch_json(sk_buf *out, const sk_event *events, const uint64_t *seqs, size_t count)
{
    sk_err rc = sk_buf_printf(out, "{\"count\":%zu,\"events\":[", count);
    size_t i;

    for (i = 0; rc == SK_OK && i < count; i++) {
        rc = sk_buf_appendc(out, i ? ",{\"id\":" : "{\"id\":");
        if (rc == SK_OK)
            rc = sk_buf_json_str(out, sk_str_c(events[i].id));
        if (rc == SK_OK)
            rc = sk_buf_printf(out, ",\"seq\":%llu}", (unsigned long long)seqs[i]);
    }
    return rc == SK_OK ? sk_buf_appendc(out, "]}") : rc;
}

/* What the write phase needs, kept in the request's arena across the audit
 * commit. */
typedef struct pending_write {
    sk_event *events;
    size_t count;
    int batch;
} pending_write;

/* Runs once the decisions are durable: a write is never committed without
 * the record of the decision that allowed it. */
static void commit_events(sk_req *r)
{
    pending_write *w = r->after_ctx;
    size_t failed = w->count;
    void *seqs = NULL;
    sk_store *store = sk_api_store(r);
    sk_diag diag;
    sk_err rc;

    sk_diag_clear(&diag);
    rc = sk_arena_alloc(r->arena, w->count * sizeof(uint64_t), &seqs);
    if (rc == SK_OK)
        rc = write_events(r, store, w->events, w->count, seqs, &failed, &diag);
    if (rc != SK_OK) {
        write_problem(r, rc, w->batch, failed, w->count, &diag);
        return;
    }
    sk_deliver_wake(r->api->deliverer); /* the commit may have filled the outbox */
    rc = w->batch ? batch_json(&r->out, w->events, seqs, w->count)
                  : single_json(&r->out, &w->events[0], ((uint64_t *)seqs)[0]);
    if (rc == SK_OK)
        sk_api_json(r, 201);
    else
        sk_api_problem_err(r, rc, NULL);
}

static void record_events(sk_req *r, int batch)
{
    pending_write *w = NULL;
    sk_event *events = NULL;
    size_t count = 0;
    sk_store *store;
    sk_diag diag;
    void *p = NULL;
    sk_err rc;

    sk_diag_clear(&diag);
    rc = sk_body_events((sk_str){r->body, r->body_len}, batch, r->api->cfg.batch_events_max,
                        sk_str_c(r->token.agency), sk_str_c(r->token.user), sk_time_now(), r->arena,
                        &events, &count, &diag);
    if (rc != SK_OK) {
        body_problem(r, rc, &diag);
        return;
    }
    if (!case_events_only(r, events, count, batch))
        return;
    store = sk_api_store(r);
    if (store == NULL || !authorise(r, events, count))
        return; /* the answer is prepared */
    rc = sk_arena_alloc(r->arena, sizeof(*w), &p);
    if (rc != SK_OK) {
        sk_api_problem_err(r, rc, NULL);
        return;
    }
    w = p;
    w->events = events;
    w->count = count;
    w->batch = batch;
    r->after_ctx = w;
    r->after_audit = commit_events;
}

void sk_api_events_post(sk_req *r)
{
    record_events(r, 0);
}

void sk_api_events_batch(sk_req *r)
{
    record_events(r, 1);
}
