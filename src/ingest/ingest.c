/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest.c: one transaction of events: ledger, identity, projections.
 *
 * Cases being written are kept in a bounded open-addressing table so that a
 * child's ten or so events cost one projection write, done at commit (or
 * when the table fills and is flushed). A child not in the table is
 * rebuilt from its ledger history, which inside the transaction includes
 * everything this ingest already appended: the table is a cache, never the
 * truth. An event that occurred before the latest one already applied to its
 * case is appended with the "late" flag and the case is replayed from the
 * ledger in occurred order, so the projection is always the fold of the
 * child's events sorted by (occurred_at, seq), whatever order they came in.
 */
#include "safekeep/sk_ingest.h"

#include "ingest_int.h"
#include "safekeep/sk_ledger_seal.h"
#include "safekeep/sk_subscription.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define CACHE_SLOTS   65536 /* power of two: the table's largest size */
#define CACHE_MIN     64    /* its first size: a request's transaction holds a few cases */
#define CACHE_ENTRIES 32768 /* flush when this many cases are held */
#define ARENA_CHUNK   (64 * 1024)
#define ARENA_MAX     (4 * 1024 * 1024)

typedef struct slot {
    sk_case *c;
    uint8_t dirty;
    uint8_t stored; /* the store may hold projection rows of this case */
} slot;

struct sk_ingest {
    sk_store *store;
    sk_keyring *keyring;
    slot *slots;
    size_t nslots; /* a power of two, CACHE_MIN..CACHE_SLOTS; grows with used */
    size_t used;
    sk_arena *replay_arena;
    int64_t now;
    int in_tx;
    uint64_t last_seq; /* of the last event appended */
    sk_ingest_stats stats;
    sk_ledger_seal seal; /* loaded at begin: the ledger's chain and tree */
    /* Webhook subscriptions (sk_ingest_set_policy): the set is loaded at the
     * first event of each transaction and dropped at its end. */
    const sk_policy *policy;
    sk_subscription_set *subs;
    sk_subject *subject;           /* scratch for matching, allocated on first use */
    sk_deadline_config *deadlines; /* for alert subscriptions, allocated on first use */
    /* Children flushed from a full case cache before the commit: their
     * alerts are evaluated at the commit, once the transaction holds all its
     * events (a later line may satisfy a rule an earlier one raised). */
    char (*alert_later)[SK_ID_LEN_MAX + 1];
    size_t alert_later_n, alert_later_cap;
};

sk_err sk_ingest_new(sk_store *store, sk_keyring *keyring, sk_ingest **out)
{
    sk_ingest *ing;
    sk_err rc;

    SK_ASSERT(store != NULL && keyring != NULL && out != NULL);
    *out = NULL;
    ing = calloc(1, sizeof(*ing));
    if (ing == NULL)
        return SK_ERR_NOMEM;
    ing->store = store;
    ing->keyring = keyring;
    ing->now = sk_time_now();
    /* Small at first: the API records one event per transaction, and a
     * table of every size an import needs would be zeroed, scanned and
     * wiped for each of them. */
    ing->nslots = CACHE_MIN;
    ing->slots = calloc(ing->nslots, sizeof(slot));
    rc = ing->slots ? sk_arena_new(ARENA_CHUNK, ARENA_MAX, &ing->replay_arena) : SK_ERR_NOMEM;
    if (rc != SK_OK) {
        sk_ingest_free(ing);
        return rc;
    }
    sk_json_init();
    *out = ing;
    return SK_OK;
}

static void cache_clear(sk_ingest *ing)
{
    size_t i;

    for (i = 0; i < ing->nslots; i++) {
        if (ing->slots[i].c != NULL) {
            sk_wipe(ing->slots[i].c, sizeof(sk_case));
            free(ing->slots[i].c);
        }
        ing->slots[i].c = NULL;
        ing->slots[i].dirty = 0;
        ing->slots[i].stored = 0;
    }
    ing->used = 0;
}

/* Forgets the transaction's subscriptions: the next one reads them anew. */
static void subs_drop(sk_ingest *ing)
{
    sk_subscription_set_free(ing->subs);
    ing->subs = NULL;
    ing->alert_later_n = 0;
}

/* Loads the transaction's subscriptions on first use; none (ing->subs
 * NULL) without a policy to match them with. */
static sk_err subs_load(sk_ingest *ing, sk_diag *diag)
{
    if (ing->policy == NULL || ing->subs != NULL)
        return SK_OK;
    return sk_subscription_set_load(ing->store, &ing->subs, diag);
}

void sk_ingest_set_policy(sk_ingest *ing, const sk_policy *policy)
{
    SK_ASSERT(ing != NULL);
    ing->policy = policy;
}

void sk_ingest_free(sk_ingest *ing)
{
    if (ing == NULL)
        return;
    sk_ingest_abort(ing);
    subs_drop(ing);
    if (ing->subject != NULL) {
        sk_wipe(ing->subject, sizeof(*ing->subject));
        free(ing->subject);
    }
    free(ing->deadlines);
    free(ing->alert_later);
    if (ing->slots != NULL)
        cache_clear(ing);
    free(ing->slots);
    sk_ledger_seal_fini(&ing->seal);
    sk_arena_free(ing->replay_arena);
    free(ing);
}

static size_t hash_id(sk_str id)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;

    for (i = 0; i < id.len; i++) {
        h ^= (unsigned char)id.ptr[i];
        h *= 0x100000001b3ULL;
    }
    return (size_t)(h ^ (h >> 29));
}

/* The slot holding child, or the empty slot where it belongs. */
static slot *cache_find(sk_ingest *ing, sk_str child)
{
    size_t mask = ing->nslots - 1, i = hash_id(child) & mask, probes;

    for (probes = 0; probes < ing->nslots; probes++) {
        slot *s = &ing->slots[i];
        if (s->c == NULL || sk_str_eqc(child, s->c->child_id))
            return s;
        i = (i + 1) & mask;
    }
    SK_ASSERT(0 && "case cache over-full");
    return NULL;
}

/* Doubles the table, keeping every case and its flags. */
static sk_err cache_grow(sk_ingest *ing)
{
    slot *old = ing->slots;
    size_t old_n = ing->nslots, i;

    SK_ASSERT(old_n < CACHE_SLOTS);
    ing->slots = calloc(old_n * 2, sizeof(slot));
    if (ing->slots == NULL) {
        ing->slots = old;
        return SK_ERR_NOMEM;
    }
    ing->nslots = old_n * 2;
    for (i = 0; i < old_n; i++) {
        if (old[i].c != NULL)
            *cache_find(ing, sk_str_c(old[i].c->child_id)) = old[i];
    }
    free(old);
    return SK_OK;
}

typedef struct alert_ctx {
    sk_ingest *ing;
    sk_err rc;
    sk_diag *diag;
} alert_ctx;

static int alert_found(const sk_alert *alert, void *vctx)
{
    alert_ctx *ac = vctx;

    ac->rc = sk_subscription_enqueue_alert(ac->ing->store, ac->ing->subs, alert, ac->ing->now, NULL,
                                           ac->diag);
    return ac->rc != SK_OK;
}

/* Writes the notifications of the alerts that child's case now has open,
 * when some subscription takes alerts. Called once per child changed in the
 * transaction (at flush), not per event: an import of a child's history
 * evaluates its rules once. safekeepd's alert sweeper finds the alerts that
 * fall due later, with no event to bring them. */
static sk_err notify_alerts(sk_ingest *ing, sk_str child, sk_diag *diag)
{
    alert_ctx ac = {ing, SK_OK, diag};
    sk_err rc;

    rc = subs_load(ing, diag);
    if (rc != SK_OK || ing->subs == NULL ||
        !(sk_subscription_set_types(ing->subs) & SK_SUBSCRIPTION_ALERTS))
        return rc;
    if (ing->deadlines == NULL) {
        ing->deadlines = malloc(sizeof(*ing->deadlines));
        if (ing->deadlines == NULL)
            return SK_ERR_NOMEM;
        sk_deadline_config_default(ing->deadlines);
    }
    rc =
        sk_deadline_scan_child(ing->store, ing->deadlines, child, ing->now, alert_found, &ac, diag);
    return rc != SK_OK ? rc : ac.rc;
}

/* Keeps child for the alert evaluation at the commit, when some
 * subscription takes alerts. */
static sk_err alerts_later(sk_ingest *ing, const char *child)
{
    if (ing->policy == NULL || ing->subs == NULL ||
        !(sk_subscription_set_types(ing->subs) & SK_SUBSCRIPTION_ALERTS))
        return SK_OK;
    if (ing->alert_later_n == ing->alert_later_cap) {
        size_t cap = ing->alert_later_cap ? ing->alert_later_cap * 2 : 256;
        void *grown = realloc(ing->alert_later, cap * sizeof(ing->alert_later[0]));
        if (grown == NULL)
            return SK_ERR_NOMEM;
        ing->alert_later = grown;
        ing->alert_later_cap = cap;
    }
    memcpy(ing->alert_later[ing->alert_later_n++], child, SK_ID_LEN_MAX + 1);
    return SK_OK;
}

/* Writes the dirty cases. At the commit (final), also the notifications of
 * the alerts of every child the transaction changed; before it, when the
 * cache is full, only notes which children those are. */
static sk_err flush(sk_ingest *ing, int final, sk_diag *diag)
{
    size_t i;
    sk_err rc = SK_OK;

    for (i = 0; final && rc == SK_OK && i < ing->alert_later_n; i++)
        rc = notify_alerts(ing, sk_str_c(ing->alert_later[i]), diag);
    for (i = 0; rc == SK_OK && i < ing->nslots; i++) {
        slot *s = &ing->slots[i];
        if (s->c != NULL && s->dirty) {
            rc = final ? notify_alerts(ing, sk_str_c(s->c->child_id), diag)
                       : alerts_later(ing, s->c->child_id);
            if (rc == SK_OK)
                rc = sk_store_case_put(ing->store, s->c, !s->stored, diag);
            s->dirty = 0;
            s->stored = 1;
        }
    }
    return rc;
}

sk_err sk_ingest_begin(sk_ingest *ing, sk_diag *diag)
{
    sk_err rc;

    SK_ASSERT(ing != NULL);
    SK_ASSERT(!ing->in_tx);
    rc = sk_store_begin(ing->store, diag);
    if (rc != SK_OK)
        return rc;
    ing->in_tx = 1;
    sk_ledger_seal_fini(&ing->seal);
    rc = sk_ledger_seal_load(ing->store, &ing->seal, diag);
    if (rc != SK_OK)
        sk_ingest_abort(ing);
    return rc;
}

sk_err sk_ingest_commit(sk_ingest *ing, sk_diag *diag)
{
    sk_err rc;

    SK_ASSERT(ing != NULL);
    SK_ASSERT(ing->in_tx);
    rc = flush(ing, 1, diag);
    if (rc == SK_OK)
        rc = sk_ledger_seal_commit(&ing->seal, ing->store, ing->keyring, diag);
    if (rc == SK_OK)
        rc = sk_store_commit(ing->store, diag);
    if (rc != SK_OK)
        return rc;
    ing->in_tx = 0;
    cache_clear(ing);
    subs_drop(ing);
    return SK_OK;
}

void sk_ingest_abort(sk_ingest *ing)
{
    SK_ASSERT(ing != NULL);
    if (!ing->in_tx)
        return;
    sk_store_rollback(ing->store);
    ing->in_tx = 0;
    cache_clear(ing); /* cached cases may hold rolled-back events */
    subs_drop(ing);
}

uint64_t sk_ingest_last_seq(const sk_ingest *ing)
{
    return ing->last_seq;
}

sk_ingest_stats sk_ingest_get_stats(const sk_ingest *ing)
{
    return ing->stats;
}

int64_t sk_ingest_now(const sk_ingest *ing)
{
    return ing->now;
}

typedef struct replay_ctx {
    sk_case *c;
    sk_arena *arena;
    sk_err rc;
    sk_diag *diag;
} replay_ctx;

static int replay_row(const sk_ledger_row *row, void *vctx)
{
    replay_ctx *ctx = vctx;
    sk_event ev;

    sk_arena_reset(ctx->arena);
    ctx->rc = sk_event_from_row(row, ctx->arena, &ev, ctx->diag);
    if (ctx->rc != SK_OK)
        return 1;
    sk_case_apply(ctx->c, &ev);
    return 0;
}

/* Recomputes c from the child's whole ledger history. */
static sk_err replay(sk_ingest *ing, sk_case *c, sk_diag *diag)
{
    replay_ctx ctx = {c, ing->replay_arena, SK_OK, diag};
    char id[SK_ID_LEN_MAX + 1];
    sk_err rc;

    memcpy(id, c->child_id, sizeof(id));
    sk_case_init(c, sk_str_c(id));
    rc = sk_store_ledger_scan(ing->store, SK_SCAN_CHILD, sk_str_c(id), replay_row, &ctx, diag);
    return rc != SK_OK ? rc : ctx.rc;
}

/* The cached case of a child, loaded from the ledger on a miss. */
static sk_err case_for(sk_ingest *ing, sk_str child, slot **out, sk_diag *diag)
{
    slot *s;
    sk_err rc;

    s = cache_find(ing, child);
    if (s->c == NULL) {
        if (ing->used == CACHE_ENTRIES) {
            rc = flush(ing, 0, diag);
            if (rc != SK_OK)
                return rc;
            cache_clear(ing);
            s = cache_find(ing, child);
        } else if ((ing->used + 1) * 2 > ing->nslots && ing->nslots < CACHE_SLOTS) {
            rc = cache_grow(ing); /* at most half full: probes stay short */
            if (rc != SK_OK)
                return rc;
            s = cache_find(ing, child);
        }
        s->c = malloc(sizeof(sk_case));
        if (s->c == NULL)
            return SK_ERR_NOMEM;
        ing->used++;
        sk_case_init(s->c, child);
        rc = replay(ing, s->c, diag);
        if (rc != SK_OK)
            return rc;
        /* A child with history has been written before (committed, or
         * flushed when the table filled); a child without has no rows. */
        s->stored = s->c->event_count > 0;
        if (!s->stored)
            ing->stats.children_new++;
    }
    *out = s;
    return SK_OK;
}

static sk_err append(sk_ingest *ing, sk_event *ev, sk_diag *diag)
{
    sk_ledger_row row;
    unsigned char *sealed = NULL;
    uint64_t seq = 0;
    size_t i;
    sk_err rc = SK_OK;

    memset(&row, 0, sizeof(row));
    row.id = sk_str_c(ev->id);
    row.type = sk_str_c(sk_event_def_get(ev->type)->name);
    row.occurred_at = ev->occurred_at;
    row.recorded_at = ev->recorded_at;
    row.agency = ev->agency;
    row.user = ev->user;
    for (i = 0; i < ev->subject_count; i++)
        row.subjects[i] = ev->subjects[i];
    row.subject_count = ev->subject_count;
    row.payload_json = ev->payload_json;
    if (ev->identity_json.len > 2) {
        row.identity_sealed_len = sk_seal_len(ev->identity_json.len);
        rc = sk_arena_alloc(ev->arena, row.identity_sealed_len, (void **)&sealed);
        if (rc == SK_OK)
            rc = sk_seal(ing->keyring, ev->identity_json, row.id, sealed);
        row.identity_sealed = sealed;
    }
    row.prov_source = ev->prov.source;
    row.prov_ref = ev->prov.ref;
    row.prov_reliability = ev->prov.reliability;
    row.dq_flags = ev->dq_flags;
    if (rc == SK_OK)
        rc = sk_ledger_seal_row(&ing->seal, &row);
    if (rc == SK_OK)
        rc = sk_store_ledger_append(ing->store, &row, &seq, diag);
    if (rc == SK_OK)
        ing->last_seq = seq;
    return rc;
}

/* Writes the outbox rows of the subscriptions that ev, now folded into c,
 * matches, in the ingest's transaction. */
static sk_err notify(sk_ingest *ing, const sk_event *ev, const sk_case *c, sk_diag *diag)
{
    sk_err rc;

    rc = subs_load(ing, diag);
    if (rc != SK_OK || ing->subs == NULL ||
        !(sk_subscription_set_types(ing->subs) & (1ull << ev->type)))
        return rc;
    if (ing->subject == NULL) {
        ing->subject = malloc(sizeof(*ing->subject));
        if (ing->subject == NULL)
            return SK_ERR_NOMEM;
    }
    /* Only the case's attributes are used: the recording agency is the
     * event's own, so the holders of the records need not be known. */
    sk_subject_init(ing->subject, sk_str_c(c->child_id));
    ing->subject->c = *c;
    return sk_subscription_enqueue(ing->store, ing->subs, ing->policy, ev, ing->subject, ing->now,
                                   diag);
}

sk_err sk_ingest_event(sk_ingest *ing, sk_event *ev, sk_diag *diag)
{
    sk_case probe;
    slot *s = NULL;
    sk_err rc;

    SK_ASSERT(ing != NULL && ev != NULL);
    SK_ASSERT(ing->in_tx);
    SK_ASSERT(ev->payload_json.len >= 2);
    if (!sk_event_type_is_case(ev->type)) {
        rc = append(ing, ev, diag);
        if (rc == SK_OK)
            ing->stats.events++;
        return rc;
    }
    rc = case_for(ing, ev->subjects[0], &s, diag);
    if (rc != SK_OK)
        return rc;
    if (s->c->event_count > 0 && ev->occurred_at < s->c->last_occurred_at) {
        ev->dq_flags |= SK_DQ_LATE;
        ing->stats.late++;
    } else {
        /* Flags are computed on a copy so that the ledger row carries them
         * before the case changes. */
        probe = *s->c;
        sk_case_apply(&probe, ev);
    }
    rc = append(ing, ev, diag);
    if (rc == SK_OK)
        rc = sk_identity_record(ing->store, ing->keyring, ev, diag);
    if (rc != SK_OK)
        return rc;
    if (ev->dq_flags & SK_DQ_LATE) {
        ing->stats.replays++;
        rc = replay(ing, s->c, diag);
    } else {
        *s->c = probe;
    }
    s->dirty = 1;
    if (rc == SK_OK)
        rc = notify(ing, ev, s->c, diag);
    ing->stats.events++;
    if (ev->dq_flags != 0)
        ing->stats.flagged++;
    return rc;
}
