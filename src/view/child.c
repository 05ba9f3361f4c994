/* SPDX-License-Identifier: Apache-2.0 */
/*
 * child.c: a child's record as masked JSON: the listed row, and the full
 * record (case, identity, timeline).
 *
 * The full record is read from the ledger in one scan of the child's events.
 * Every event is folded into an sk_subject (the sk_case fold that maintains
 * the projection, plus who recorded each kind of record), so the case keys
 * are exactly what the projection holds and the same load can serve the
 * policy decision; every event that may ever be shown is kept (in the
 * caller's arena) for the timeline, and rendering applies the mask. Before rendering, each kept
 * event gets its value gates (asylum relief, criminal-record facts; fact events share their fact's
 * gates) and the timeline is sorted by (occurred_at, seq) explicitly rather than by trusting the
 * scan order. Rendering decides every key through the compiled table (rules.c); no key is written
 * without its requirement being met.
 */
#include "view_int.h"

#include "safekeep/sk_ingest.h"
#include "safekeep/sk_subject.h"

#include "sk_int.h"

/* An event kept for the timeline: its text copied out of the ledger row,
 * which is only borrowed for the scan callback. */
typedef struct view_event {
    uint64_t seq;
    int64_t occurred_at, recorded_at;
    sk_event_type type;
    uint32_t dq_flags; /* as recorded, "late" included */
    uint64_t gates;    /* fields its values additionally need */
    char id[SK_ID_LEN_MAX + 1];
    sk_str agency;
    sk_provenance prov;
    sk_value *values; /* indexed like the type's fields */
} view_event;

typedef struct child_ctx {
    const view_rules *rules;
    uint64_t fields;
    sk_arena *arena;
    sk_subject *subject; /* the fold of every event: the case and who holds what */
    sk_case *c;          /* &subject->c */
    view_event **events;
    size_t count, cap;
    uint64_t case_events;
    sk_err rc;
    sk_diag *diag;
} child_ctx;

/* What renders the case: the writer, the rules and the mask. */
typedef struct case_out {
    view_writer *w;
    const view_rules *rules;
    uint64_t fields;
} case_out;

const char *sk_view_enum_name(sk_event_type type, const char *field, int64_t index)
{
    int k = sk_event_field_index(type, sk_str_c(field));
    const char *const *values;
    int64_t i;

    SK_ASSERT(k >= 0);
    values = sk_event_def_get(type)->fields[k].values;
    SK_ASSERT(values != NULL);
    for (i = 0; index >= 0 && values[i] != NULL; i++) {
        if (i == index)
            return values[i];
    }
    return NULL;
}

static const sk_value *ve_get(const view_event *ve, const char *field)
{
    int k = sk_event_field_index(ve->type, sk_str_c(field));

    if (k < 0 || !ve->values[k].present)
        return NULL;
    return &ve->values[k];
}

/* ------------------------------------------------------------- collecting */

static sk_err push(child_ctx *ctx, view_event *ve)
{
    view_event **grown = NULL;
    size_t cap;
    sk_err rc;

    if (ctx->count == ctx->cap) {
        cap = ctx->cap ? ctx->cap * 2 : 32;
        rc = sk_arena_alloc(ctx->arena, cap * sizeof(view_event *), (void **)&grown);
        if (rc != SK_OK)
            return rc;
        if (ctx->count > 0)
            memcpy(grown, ctx->events, ctx->count * sizeof(view_event *));
        ctx->events = grown;
        ctx->cap = cap;
    }
    ctx->events[ctx->count++] = ve;
    return SK_OK;
}

static sk_err keep_event(child_ctx *ctx, const sk_ledger_row *row, const sk_event *ev)
{
    size_t n = sk_event_def_get(ev->type)->field_count;
    view_event *ve = NULL;
    sk_err rc;

    rc = sk_arena_alloc(ctx->arena, sizeof(*ve), (void **)&ve);
    if (rc != SK_OK)
        return rc;
    memset(ve, 0, sizeof(*ve));
    ve->seq = row->seq;
    ve->occurred_at = ev->occurred_at;
    ve->recorded_at = ev->recorded_at;
    ve->type = ev->type;
    ve->dq_flags = row->dq_flags;
    memcpy(ve->id, ev->id, sizeof(ve->id));
    ve->prov.reliability = ev->prov.reliability;
    rc = sk_arena_alloc(ctx->arena, (n ? n : 1) * sizeof(sk_value), (void **)&ve->values);
    if (rc == SK_OK) /* the values' text is in the arena already */
        memcpy(ve->values, ev->values, n * sizeof(sk_value));
    if (rc == SK_OK)
        rc = sk_arena_strdup(ctx->arena, ev->agency, &ve->agency);
    if (rc == SK_OK)
        rc = sk_arena_strdup(ctx->arena, ev->prov.source, &ve->prov.source);
    if (rc == SK_OK)
        rc = sk_arena_strdup(ctx->arena, ev->prov.ref, &ve->prov.ref);
    if (rc == SK_OK)
        rc = push(ctx, ve);
    return rc;
}

static int collect_row(const sk_ledger_row *row, void *vctx)
{
    child_ctx *ctx = vctx;
    sk_event_type type;
    sk_event ev;

    if (sk_event_type_parse(row->type, &type) == SK_OK && !sk_event_type_is_case(type))
        return 0; /* policy events belong to no child */
    ctx->rc = sk_event_from_row(row, ctx->arena, &ev, ctx->diag);
    /* Every event is kept, whatever the mask: the same load serves the
     * policy decision first and the rendering after; the timeline shows
     * only what the mask allows. */
    if (ctx->rc == SK_OK && ctx->rules->event_req[ev.type] != VIEW_NEVER)
        ctx->rc = keep_event(ctx, row, &ev);
    if (ctx->rc != SK_OK)
        return 1;
    sk_subject_apply(ctx->subject, &ev);
    ctx->case_events++;
    return 0;
}

static int by_time(const void *a, const void *b)
{
    const view_event *x = *(view_event *const *)a, *y = *(view_event *const *)b;

    if (x->occurred_at != y->occurred_at)
        return x->occurred_at < y->occurred_at ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return 0;
}

static int by_fact(const void *a, const void *b)
{
    const sk_value *x = ve_get(*(view_event *const *)a, "fact_id");
    const sk_value *y = ve_get(*(view_event *const *)b, "fact_id");
    size_t n = x->text.len < y->text.len ? x->text.len : y->text.len;
    int c = memcmp(x->text.ptr, y->text.ptr, n);

    if (c != 0)
        return c;
    return x->text.len < y->text.len ? -1 : x->text.len > y->text.len;
}

/* Events about one fact share the gates of all of them: the topic is only
 * on the assertion, but a contest or correction is about the same thing. */
static sk_err share_fact_gates(child_ctx *ctx)
{
    view_event **facts = NULL;
    size_t n = 0, i, j;
    uint64_t gates;
    sk_err rc;

    rc = sk_arena_alloc(ctx->arena, (ctx->count ? ctx->count : 1) * sizeof(view_event *),
                        (void **)&facts);
    if (rc != SK_OK)
        return rc;
    for (i = 0; i < ctx->count; i++) {
        if (ve_get(ctx->events[i], "fact_id") != NULL)
            facts[n++] = ctx->events[i];
    }
    qsort(facts, n, sizeof(view_event *), by_fact);
    for (i = 0; i < n; i = j) {
        gates = 0;
        for (j = i; j < n && by_fact(&facts[i], &facts[j]) == 0; j++)
            gates |= facts[j]->gates;
        for (j = i; j < n && by_fact(&facts[i], &facts[j]) == 0; j++)
            facts[j]->gates = gates;
    }
    return SK_OK;
}

static sk_err finish_events(child_ctx *ctx)
{
    size_t i, k;

    for (i = 0; i < ctx->count; i++) {
        view_event *ve = ctx->events[i];
        const sk_event_def *def = sk_event_def_get(ve->type);
        for (k = 0; k < def->field_count; k++) {
            if (ve->values[k].present)
                ve->gates |=
                    sk_view_gate(ctx->rules, sk_str_c(def->fields[k].name), ve->values[k].text);
        }
    }
    if (ctx->count > 1)
        qsort(ctx->events, ctx->count, sizeof(view_event *), by_time);
    return share_fact_gates(ctx);
}

/* -------------------------------------------------------------- the case */

/* Writes the key of case key k (its last part for list items) when the
 * mask allows it; 1 when the caller is to write its value. */
static int ck(const case_out *o, view_case_key k)
{
    const char *name = sk_view_case_key_names[k];
    const char *item = strstr(name, "[].");

    if (!view_allowed(o->rules->case_req[k], o->fields))
        return 0;
    sk_vw_key(o->w, item ? item + 3 : name);
    return 1;
}

static int64_t next_hearing(const sk_case *c)
{
    int64_t best = 0;
    size_t i;

    for (i = 0; i < c->hearing_count; i++) {
        const sk_hearing *h = &c->hearings[i];
        if (h->outcome < 0 && (best == 0 || h->scheduled_for < best))
            best = h->scheduled_for;
    }
    return best;
}

static void case_person(const case_out *o, const sk_case *c)
{
    view_writer *w = o->w;

    if (ck(o, CK_CUSTODY))
        sk_vw_cstr(w, sk_custody_name(c->custody));
    if (ck(o, CK_COURT))
        sk_vw_cstr(w, sk_court_name(c->court));
    if (ck(o, CK_SEX)) {
        const char *sex = sk_view_enum_name(SK_EV_APPREHENSION, "sex", c->sex);
        if (sex != NULL)
            sk_vw_cstr(w, sex);
        else
            sk_vw_null(w);
    }
    if (ck(o, CK_COUNTRY))
        sk_vw_str_or_null(w, sk_str_c(c->country));
    if (ck(o, CK_LANGUAGE))
        sk_vw_str_or_null(w, sk_str_c(c->language));
    if (ck(o, CK_AGE)) {
        if (c->age_years >= 0)
            sk_vw_int(w, c->age_years);
        else
            sk_vw_null(w);
    }
    if (ck(o, CK_APPREHENDED_AT))
        sk_vw_time(w, c->apprehended_at);
    if (ck(o, CK_REFERRED_AT))
        sk_vw_time(w, c->referred_at);
    if (ck(o, CK_ADMITTED_AT))
        sk_vw_time(w, c->admitted_at);
}

static void case_custody(const case_out *o, const sk_case *c)
{
    const sk_placement *cur = NULL;
    view_writer *w = o->w;
    size_t i;

    if (c->placement_count > 0 && c->placements[c->placement_count - 1].end == 0)
        cur = &c->placements[c->placement_count - 1];
    if (ck(o, CK_FACILITY))
        sk_vw_str_or_null(w, sk_str_c(cur ? cur->facility : ""));
    if (ck(o, CK_PLACEMENT_TYPE))
        sk_vw_str_or_null(w, sk_str_c(cur ? sk_placement_types[cur->type] : ""));
    if (ck(o, CK_PLACEMENTS)) {
        sk_vw_open(w, '[');
        for (i = 0; i < c->placement_count; i++) {
            const sk_placement *p = &c->placements[i];
            sk_vw_open(w, '{');
            if (ck(o, CK_PLACEMENTS_FACILITY))
                sk_vw_str_or_null(w, sk_str_c(p->facility));
            if (ck(o, CK_PLACEMENTS_TYPE))
                sk_vw_cstr(w, sk_placement_types[p->type]);
            if (ck(o, CK_PLACEMENTS_START))
                sk_vw_time(w, p->start);
            if (ck(o, CK_PLACEMENTS_END))
                sk_vw_time(w, p->end);
            sk_vw_close(w, '{');
        }
        sk_vw_close(w, '[');
    }
    if (ck(o, CK_RELEASED_AT))
        sk_vw_time(w, c->released_at);
    if (ck(o, CK_DISCHARGE_TYPE))
        sk_vw_str_or_null(
            w, sk_str_c(c->discharge_type >= 0 ? sk_discharge_types[c->discharge_type] : ""));
    if (ck(o, CK_SPONSOR_ID))
        sk_vw_str_or_null(w, sk_str_c(c->sponsor_id));
    if (ck(o, CK_CLOSED_AT))
        sk_vw_time(w, c->closed_at);
}

static void case_court(const case_out *o, const sk_case *c)
{
    view_writer *w = o->w;
    size_t i;

    if (ck(o, CK_NTA_FILED_AT))
        sk_vw_time(w, c->nta_filed_at);
    if (ck(o, CK_NEXT_HEARING_AT))
        sk_vw_time(w, next_hearing(c));
    if (!ck(o, CK_HEARINGS))
        return;
    sk_vw_open(w, '[');
    for (i = 0; i < c->hearing_count; i++) {
        const sk_hearing *h = &c->hearings[i];
        sk_vw_open(w, '{');
        if (ck(o, CK_HEARINGS_ID))
            sk_vw_str_or_null(w, sk_str_c(h->id));
        if (ck(o, CK_HEARINGS_COURT))
            sk_vw_str_or_null(w, sk_str_c(h->court));
        if (ck(o, CK_HEARINGS_SCHEDULED))
            sk_vw_time(w, h->scheduled_for);
        if (ck(o, CK_HEARINGS_OUTCOME)) {
            const char *name = h->outcome >= 0 ? sk_hearing_outcomes[h->outcome] : "";
            sk_vw_str_or_null(w, sk_str_c(name));
        }
        sk_vw_close(w, '{');
    }
    sk_vw_close(w, '[');
}

static void case_relief(const case_out *o, const sk_case *c)
{
    view_writer *w = o->w;
    int asylum = 0;
    size_t i;

    if (ck(o, CK_RELIEF)) {
        sk_vw_open(w, '[');
        for (i = 0; i < c->relief_count; i++) {
            const sk_relief *r = &c->relief[i];
            sk_str type = sk_str_c(sk_relief_types[r->type]);
            if (!view_allowed(sk_view_gate(o->rules, SK_STR("relief_type"), type), o->fields))
                continue;
            sk_vw_open(w, '{');
            if (ck(o, CK_RELIEF_TYPE))
                sk_vw_str(w, type);
            if (ck(o, CK_RELIEF_FILED_AT))
                sk_vw_time(w, r->filed_at);
            if (ck(o, CK_RELIEF_OUTCOME)) {
                const char *name = sk_view_enum_name(SK_EV_RELIEF_DECIDED, "outcome", r->outcome);
                sk_vw_str_or_null(w, sk_str_c(name));
            }
            sk_vw_close(w, '{');
        }
        sk_vw_close(w, '[');
    }
    for (i = 0; i < c->relief_count; i++)
        asylum |= sk_str_eqc(sk_str_c(sk_relief_types[c->relief[i].type]), "asylum");
    if (ck(o, CK_ASYLUM))
        sk_vw_bool(w, asylum);
}

static void case_welfare(const case_out *o, const sk_case *c)
{
    view_writer *w = o->w;
    size_t i;

    if (ck(o, CK_COUNSEL)) {
        sk_vw_open(w, '[');
        for (i = 0; i < c->counsel_count; i++)
            sk_vw_cstr(w, c->counsel[i]);
        sk_vw_close(w, '[');
    }
    if (ck(o, CK_INCIDENT_COUNT))
        sk_vw_int(w, c->incident_count);
    if (ck(o, CK_CALLS)) {
        sk_vw_open(w, '[');
        for (i = 0; i < c->call_count; i++) {
            sk_vw_open(w, '{');
            if (ck(o, CK_CALLS_AT))
                sk_vw_time(w, c->calls[i].at);
            if (ck(o, CK_CALLS_REACHED))
                sk_vw_bool(w, c->calls[i].reached);
            sk_vw_close(w, '{');
        }
        sk_vw_close(w, '[');
    }
    if (ck(o, CK_DATA_QUALITY))
        sk_vw_dq(w, c->dq_flags);
}

/* ---------------------------------------------------------- the timeline */

static void event_payload(view_writer *w, const view_rules *r, uint64_t fields,
                          const view_event *ve)
{
    const sk_event_def *def = sk_event_def_get(ve->type);
    size_t k;

    sk_vw_key(w, "payload");
    sk_vw_open(w, '{');
    for (k = 0; k < def->field_count; k++) {
        const sk_field_def *f = &def->fields[k];
        if (!ve->values[k].present || !view_allowed(r->payload_req[ve->type][k], fields))
            continue;
        sk_vw_key(w, f->name);
        if (f->type == SK_FT_INT || f->type == SK_FT_BOOL)
            sk_vw_raw(w, ve->values[k].text);
        else
            sk_vw_str(w, ve->values[k].text);
    }
    sk_vw_close(w, '{');
}

static void event_json(view_writer *w, const view_rules *r, uint64_t fields, const view_event *ve)
{
    char reliability[2] = {ve->prov.reliability, '\0'};

    sk_vw_open(w, '{');
    sk_vw_key(w, "id");
    sk_vw_cstr(w, ve->id);
    sk_vw_key(w, "type");
    sk_vw_cstr(w, sk_event_def_get(ve->type)->name);
    sk_vw_key(w, "occurred_at");
    sk_vw_time(w, ve->occurred_at);
    sk_vw_key(w, "recorded_at");
    sk_vw_time(w, ve->recorded_at);
    sk_vw_key(w, "agency");
    sk_vw_str(w, ve->agency);
    event_payload(w, r, fields, ve);
    if (view_allowed(r->event_key_req[EK_PROVENANCE] | r->event_req[ve->type], fields)) {
        sk_vw_key(w, "provenance");
        sk_vw_open(w, '{');
        sk_vw_key(w, "source");
        sk_vw_str_or_null(w, ve->prov.source);
        sk_vw_key(w, "ref");
        sk_vw_str_or_null(w, ve->prov.ref);
        sk_vw_key(w, "reliability");
        sk_vw_str_or_null(w, sk_str_c(reliability));
        sk_vw_close(w, '{');
    }
    if (view_allowed(r->event_key_req[EK_DATA_QUALITY] | r->event_req[ve->type], fields)) {
        sk_vw_key(w, "data_quality");
        sk_vw_dq(w, ve->dq_flags);
    }
    sk_vw_close(w, '{');
}

static void timeline(view_writer *w, const child_ctx *ctx)
{
    const view_rules *r = ctx->rules;
    int shown = 0;
    size_t i;

    for (i = 0; i < SK_EV__COUNT; i++)
        shown |= view_allowed(r->event_req[i], ctx->fields);
    if (!shown)
        return;
    sk_vw_key(w, "timeline");
    sk_vw_open(w, '[');
    for (i = 0; i < ctx->count; i++) {
        const view_event *ve = ctx->events[i];
        if (view_allowed(r->event_req[ve->type] | ve->gates, ctx->fields))
            event_json(w, r, ctx->fields, ve);
    }
    sk_vw_close(w, '[');
}

static sk_err render(child_ctx *ctx, sk_store *store, sk_keyring *keyring, sk_str child_id,
                     sk_buf *out)
{
    view_writer w;
    case_out o;
    sk_err rc;

    sk_vw_init(&w, out);
    o.w = &w;
    o.rules = ctx->rules;
    o.fields = ctx->fields;
    sk_vw_open(&w, '{');
    sk_vw_key(&w, "id");
    sk_vw_str(&w, child_id);
    case_person(&o, ctx->c);
    case_custody(&o, ctx->c);
    case_court(&o, ctx->c);
    case_relief(&o, ctx->c);
    case_welfare(&o, ctx->c);
    if (w.rc != SK_OK)
        return w.rc;
    rc = sk_view_identity(&w, ctx->rules, ctx->fields, store, keyring, child_id, ctx->diag);
    if (rc != SK_OK)
        return rc;
    timeline(&w, ctx);
    sk_vw_close(&w, '{');
    return w.rc;
}

struct sk_view_child_data {
    child_ctx ctx;
    sk_str child_id;
};

static sk_err child_load(child_ctx *ctx, sk_store *store, sk_str child_id)
{
    sk_err rc;

    if (child_id.len == 0 || child_id.len > SK_ID_LEN_MAX)
        return sk_diag_set(ctx->diag, SK_ERR_NOT_FOUND, "", "no child with that id");
    rc = sk_arena_alloc(ctx->arena, sizeof(*ctx->subject), (void **)&ctx->subject);
    if (rc != SK_OK)
        return rc;
    sk_subject_init(ctx->subject, child_id);
    ctx->c = &ctx->subject->c;
    rc = sk_store_ledger_scan(store, SK_SCAN_CHILD, child_id, collect_row, ctx, ctx->diag);
    if (rc == SK_OK)
        rc = ctx->rc;
    if (rc == SK_OK && ctx->case_events == 0)
        rc = sk_diag_set(ctx->diag, SK_ERR_NOT_FOUND, "", "no child with that id");
    if (rc == SK_OK)
        rc = finish_events(ctx);
    return rc;
}

sk_err sk_view_child_load(sk_store *store, sk_str child_id, sk_arena *arena,
                          sk_view_child_data **out, sk_diag *diag)
{
    sk_view_child_data *data = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(arena != NULL);
    SK_ASSERT(out != NULL);
    *out = NULL;
    rc = sk_arena_alloc(arena, sizeof(*data), (void **)&data);
    if (rc != SK_OK)
        return rc;
    memset(data, 0, sizeof(*data));
    data->ctx.rules = sk_view_rules();
    data->ctx.arena = arena;
    data->ctx.diag = diag;
    rc = sk_arena_strdup(arena, child_id, &data->child_id);
    if (rc == SK_OK)
        rc = child_load(&data->ctx, store, data->child_id);
    if (rc == SK_OK)
        *out = data;
    return rc;
}

const sk_subject *sk_view_child_subject(const sk_view_child_data *data)
{
    SK_ASSERT(data != NULL);
    return data->ctx.subject;
}

sk_err sk_view_child_render(sk_view_child_data *data, sk_store *store, sk_keyring *keyring,
                            uint64_t fields, sk_buf *out, sk_diag *diag)
{
    size_t start;
    sk_err rc;

    SK_ASSERT(data != NULL);
    SK_ASSERT(keyring != NULL);
    SK_ASSERT(out != NULL);
    data->ctx.fields = fields & data->ctx.rules->all;
    data->ctx.diag = diag;
    start = out->len;
    rc = render(&data->ctx, store, keyring, data->child_id, out);
    if (rc != SK_OK)
        sk_vw_rollback(out, start);
    return rc;
}

sk_err sk_view_child(sk_store *store, sk_keyring *keyring, sk_str child_id, uint64_t fields,
                     sk_arena *arena, sk_buf *out, sk_diag *diag)
{
    sk_view_child_data *data = NULL;
    sk_err rc;

    SK_ASSERT(keyring != NULL);
    SK_ASSERT(out != NULL);
    rc = sk_view_child_load(store, child_id, arena, &data, diag);
    if (rc == SK_OK)
        rc = sk_view_child_render(data, store, keyring, fields, out, diag);
    return rc;
}

/* ------------------------------------------------------------- the row */

static void row_value(view_writer *w, const sk_child_row *row, view_case_key k)
{
    switch (k) {
    case CK_CUSTODY:
        sk_vw_str_or_null(w, row->custody);
        break;
    case CK_COURT:
        sk_vw_str_or_null(w, row->court);
        break;
    case CK_COUNTRY:
        sk_vw_str_or_null(w, row->country);
        break;
    case CK_LANGUAGE:
        sk_vw_str_or_null(w, row->language);
        break;
    case CK_AGE:
        if (row->age_years >= 0)
            sk_vw_int(w, row->age_years);
        else
            sk_vw_null(w);
        break;
    case CK_APPREHENDED_AT:
        sk_vw_time(w, row->apprehended_at);
        break;
    case CK_FACILITY:
        sk_vw_str_or_null(w, row->facility);
        break;
    case CK_RELEASED_AT:
        sk_vw_time(w, row->released_at);
        break;
    case CK_NEXT_HEARING_AT:
        sk_vw_time(w, row->next_hearing_at);
        break;
    case CK_DATA_QUALITY:
        sk_vw_dq(w, row->dq_flags);
        break;
    default:
        SK_ASSERT(0 && "not a key of the child row");
    }
}

sk_err sk_view_child_row(const sk_child_row *row, uint64_t fields, sk_buf *out)
{
    const view_rules *r = sk_view_rules();
    size_t start, k;
    view_writer w;

    SK_ASSERT(row != NULL);
    SK_ASSERT(out != NULL);
    fields &= r->all;
    start = out->len;
    sk_vw_init(&w, out);
    sk_vw_open(&w, '{');
    sk_vw_key(&w, "id");
    sk_vw_str(&w, row->child_id);
    for (k = 0; k < SK_VIEW_ROW_KEYS; k++) {
        view_case_key key = sk_view_row_keys[k];
        if (!view_allowed(r->case_req[key], fields))
            continue;
        sk_vw_key(&w, sk_view_case_key_names[key]);
        row_value(&w, row, key);
    }
    sk_vw_close(&w, '{');
    if (w.rc != SK_OK)
        sk_vw_rollback(out, start);
    return w.rc;
}
