/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sponsors.c: a child's sponsors and their adult household members, masked.
 *
 * Sponsor applications, household members, vetting checks and sponsor
 * decisions are events of the child's case (the child is their first
 * subject), so one scan of the child's ledger finds every person involved.
 * They are kept out of the child's timeline and shown here instead, because
 * who may see them is decided separately (the sponsor and household-member
 * entities of policy). Each person's items are built from the events in the
 * order they happened: a later check of the same type replaces an earlier
 * one, and the last decision on a sponsor is its status. Vetting results are
 * split into three lists by the field that governs them (criminal history,
 * fingerprints, other vetting), as the table in rules.c assigns check types.
 */
#include "view_int.h"

#include "safekeep/sk_ingest.h"

#include "sk_int.h"

typedef struct view_check {
    int64_t result; /* index into the result enumeration, -1 when none */
    int64_t at;
} view_check;

typedef struct view_person {
    char id[SK_ID_LEN_MAX + 1];
    char sponsor[SK_ID_LEN_MAX + 1]; /* a household member's sponsor */
    int household;
    sk_str category, relationship, denial_reason; /* arena text; empty when unknown */
    int status;                                   /* -1 unknown, else index of status_names */
    view_check checks[VIEW_CHECKS_MAX];
} view_person;

typedef struct sponsors_ctx {
    const view_rules *rules;
    sk_arena *arena;
    view_person *persons; /* SK_VIEW_PERSONS_MAX of them */
    size_t count;
    uint64_t case_events;
    sk_err rc;
    sk_diag *diag;
} sponsors_ctx;

static const char *const status_names[] = {"applied", "approved", "denied"};

static void copy_id(char dst[SK_ID_LEN_MAX + 1], sk_str id)
{
    SK_ASSERT(id.len <= SK_ID_LEN_MAX);
    memcpy(dst, id.ptr, id.len);
    dst[id.len] = '\0';
}

static sk_str text_of(const sk_event *ev, const char *field)
{
    const sk_value *v = sk_event_get(ev, field);
    return v != NULL ? v->text : SK_STR("");
}

static sk_err person(sponsors_ctx *ctx, sk_str id, int household, view_person **out)
{
    view_person *p;
    size_t i, k;

    for (i = 0; i < ctx->count; i++) {
        p = &ctx->persons[i];
        if (p->household == household && sk_str_eqc(id, p->id)) {
            *out = p;
            return SK_OK;
        }
    }
    if (ctx->count == SK_VIEW_PERSONS_MAX)
        return sk_diag_set(ctx->diag, SK_ERR_TOO_LARGE, "sponsors",
                           "more than %d sponsors and household members", SK_VIEW_PERSONS_MAX);
    p = &ctx->persons[ctx->count++];
    memset(p, 0, sizeof(*p));
    copy_id(p->id, id);
    p->household = household;
    p->status = -1;
    for (k = 0; k < VIEW_CHECKS_MAX; k++)
        p->checks[k].result = -1;
    *out = p;
    return SK_OK;
}

static sk_err apply_check(sponsors_ctx *ctx, const sk_event *ev)
{
    sk_str sponsor = text_of(ev, "sponsor_id"), who = text_of(ev, "person_id");
    const sk_value *type = sk_event_get(ev, "check_type"), *result = sk_event_get(ev, "result");
    view_person *p = NULL;
    sk_err rc;

    /* A check of someone other than the sponsor is of a household member. */
    if (who.len > 0 && !sk_str_eq(who, sponsor)) {
        rc = person(ctx, who, 1, &p);
        if (rc == SK_OK && p->sponsor[0] == '\0')
            copy_id(p->sponsor, sponsor);
    } else {
        rc = person(ctx, sponsor, 0, &p);
    }
    if (rc != SK_OK)
        return rc;
    if (type == NULL || result == NULL) /* required: only a damaged ledger lacks them */
        return sk_diag_set(ctx->diag, SK_ERR_INVALID, "vetting_check",
                           "a stored check lacks its type or result");
    SK_ASSERT(type->num >= 0 && (size_t)type->num < ctx->rules->check_count);
    p->checks[type->num].result = result->num;
    p->checks[type->num].at = ev->occurred_at;
    return SK_OK;
}

static sk_err apply(sponsors_ctx *ctx, const sk_event *ev)
{
    view_person *p = NULL;
    sk_err rc = SK_OK;

    switch (ev->type) {
    case SK_EV_SPONSOR_APPLICATION:
    case SK_EV_SPONSOR_APPROVED:
    case SK_EV_SPONSOR_DENIED:
        rc = person(ctx, text_of(ev, "sponsor_id"), 0, &p);
        if (rc != SK_OK)
            break;
        if (ev->type == SK_EV_SPONSOR_APPLICATION) {
            p->category = text_of(ev, "category");
            p->relationship = text_of(ev, "relationship");
        }
        p->status = ev->type == SK_EV_SPONSOR_APPLICATION ? 0
                    : ev->type == SK_EV_SPONSOR_APPROVED  ? 1
                                                          : 2;
        p->denial_reason = ev->type == SK_EV_SPONSOR_DENIED ? text_of(ev, "reason") : SK_STR("");
        break;
    case SK_EV_HOUSEHOLD_MEMBER:
        rc = person(ctx, text_of(ev, "member_id"), 1, &p);
        if (rc != SK_OK)
            break;
        copy_id(p->sponsor, text_of(ev, "sponsor_id"));
        if (sk_event_get(ev, "relationship") != NULL)
            p->relationship = text_of(ev, "relationship");
        break;
    case SK_EV_VETTING_CHECK:
        rc = apply_check(ctx, ev);
        break;
    default:
        break;
    }
    return rc;
}

static int sponsor_row(const sk_ledger_row *row, void *vctx)
{
    sponsors_ctx *ctx = vctx;
    sk_event_type type;
    sk_event ev;

    if (sk_event_type_parse(row->type, &type) != SK_OK) {
        ctx->rc = sk_diag_set(ctx->diag, SK_ERR_INVALID, "type", "unknown type in ledger row %llu",
                              (unsigned long long)row->seq);
        return 1;
    }
    if (!sk_event_type_is_case(type))
        return 0;
    ctx->case_events++;
    if (type != SK_EV_SPONSOR_APPLICATION && type != SK_EV_SPONSOR_APPROVED &&
        type != SK_EV_SPONSOR_DENIED && type != SK_EV_HOUSEHOLD_MEMBER &&
        type != SK_EV_VETTING_CHECK)
        return 0;
    ctx->rc = sk_event_from_row(row, ctx->arena, &ev, ctx->diag);
    if (ctx->rc == SK_OK)
        ctx->rc = apply(ctx, &ev);
    return ctx->rc != SK_OK;
}

/* ------------------------------------------------------------- rendering */

static void checks_json(view_writer *w, const sponsors_ctx *ctx, const view_person *p,
                        view_person_key list)
{
    size_t t;

    sk_vw_key(w, sk_view_person_key_names[list]);
    sk_vw_open(w, '[');
    for (t = 0; t < ctx->rules->check_count; t++) {
        const view_check *c = &p->checks[t];
        if (ctx->rules->check_list[t] != (int)list || c->result < 0)
            continue;
        sk_vw_open(w, '{');
        sk_vw_key(w, "check_type");
        sk_vw_cstr(w, sk_check_types[t]);
        sk_vw_key(w, "result");
        sk_vw_str_or_null(w, sk_str_c(sk_view_enum_name(SK_EV_VETTING_CHECK, "result", c->result)));
        sk_vw_key(w, "checked_at");
        sk_vw_time(w, c->at);
        sk_vw_close(w, '{');
    }
    sk_vw_close(w, '[');
}

static void members_json(view_writer *w, const sponsors_ctx *ctx, const view_person *sponsor)
{
    size_t i;

    sk_vw_key(w, sk_view_person_key_names[PK_HOUSEHOLD]);
    sk_vw_open(w, '[');
    for (i = 0; i < ctx->count; i++) {
        const view_person *m = &ctx->persons[i];
        if (m->household && strcmp(m->sponsor, sponsor->id) == 0)
            sk_vw_cstr(w, m->id);
    }
    sk_vw_close(w, '[');
}

/* The plain keys after the identity, in table order. */
static void person_keys(view_writer *w, const sponsors_ctx *ctx, const view_person *p, int which,
                        uint64_t fields)
{
    const uint64_t *req = ctx->rules->person_req[which];
    size_t k;

    for (k = PK_CATEGORY; k < PK__COUNT; k++) {
        if (!view_allowed(req[k], fields))
            continue;
        if (k == PK_HOUSEHOLD) {
            members_json(w, ctx, p);
            continue;
        }
        if (k == PK_CRIMINAL_HISTORY || k == PK_FINGERPRINTS || k == PK_VETTING_RESULTS) {
            checks_json(w, ctx, p, (view_person_key)k);
            continue;
        }
        sk_vw_key(w, sk_view_person_key_names[k]);
        if (k == PK_CATEGORY)
            sk_vw_str_or_null(w, p->category);
        else if (k == PK_RELATIONSHIP)
            sk_vw_str_or_null(w, p->relationship);
        else if (k == PK_STATUS)
            sk_vw_str_or_null(w, sk_str_c(p->status >= 0 ? status_names[p->status] : ""));
        else
            sk_vw_str_or_null(w, p->denial_reason);
    }
}

static sk_err person_json(view_writer *w, const sponsors_ctx *ctx, const view_person *p, int which,
                          uint64_t fields, sk_store *store, sk_keyring *keyring)
{
    const uint64_t *req = ctx->rules->person_req[which];
    sk_err rc;

    sk_vw_open(w, '{');
    if (view_allowed(req[PK_MEMBER_ID], fields)) {
        sk_vw_key(w, sk_view_person_key_names[PK_MEMBER_ID]);
        sk_vw_cstr(w, p->id);
    }
    if (view_allowed(req[PK_SPONSOR_ID], fields)) {
        sk_vw_key(w, sk_view_person_key_names[PK_SPONSOR_ID]);
        sk_vw_str_or_null(w, sk_str_c(which == VIEW_SPONSOR ? p->id : p->sponsor));
    }
    if (w->rc != SK_OK)
        return w->rc;
    rc = sk_view_identity(w, ctx->rules, fields, store, keyring, sk_str_c(p->id), ctx->diag);
    if (rc != SK_OK)
        return rc;
    person_keys(w, ctx, p, which, fields);
    sk_vw_close(w, '{');
    return w->rc;
}

static sk_err list_json(view_writer *w, const sponsors_ctx *ctx, int which, uint64_t fields,
                        sk_store *store, sk_keyring *keyring)
{
    sk_err rc = SK_OK;
    size_t i;

    sk_vw_key(w, which == VIEW_SPONSOR ? "sponsors" : "household_members");
    sk_vw_open(w, '[');
    for (i = 0; rc == SK_OK && i < ctx->count; i++) {
        if (ctx->persons[i].household == (which == VIEW_HOUSEHOLD))
            rc = person_json(w, ctx, &ctx->persons[i], which, fields, store, keyring);
    }
    sk_vw_close(w, '[');
    return rc != SK_OK ? rc : w->rc;
}

typedef struct sponsors_req {
    int sponsors_permitted, household_permitted;
    uint64_t sponsor_fields, household_fields;
} sponsors_req;

static sk_err sponsors_view(sponsors_ctx *ctx, const sponsors_req *q, sk_store *store,
                            sk_keyring *keyring, sk_str child_id, sk_buf *out)
{
    view_writer w;
    sk_err rc;

    if (child_id.len == 0 || child_id.len > SK_ID_LEN_MAX)
        return sk_diag_set(ctx->diag, SK_ERR_NOT_FOUND, "", "no child with that id");
    rc = sk_arena_alloc(ctx->arena, SK_VIEW_PERSONS_MAX * sizeof(view_person),
                        (void **)&ctx->persons);
    if (rc == SK_OK)
        rc = sk_store_ledger_scan(store, SK_SCAN_CHILD, child_id, sponsor_row, ctx, ctx->diag);
    if (rc == SK_OK)
        rc = ctx->rc;
    if (rc == SK_OK && ctx->case_events == 0)
        rc = sk_diag_set(ctx->diag, SK_ERR_NOT_FOUND, "", "no child with that id");
    if (rc != SK_OK)
        return rc;
    sk_vw_init(&w, out);
    sk_vw_open(&w, '{');
    sk_vw_key(&w, "child_id");
    sk_vw_str(&w, child_id);
    if (q->sponsors_permitted)
        rc = list_json(&w, ctx, VIEW_SPONSOR, q->sponsor_fields, store, keyring);
    if (rc == SK_OK && q->household_permitted)
        rc = list_json(&w, ctx, VIEW_HOUSEHOLD, q->household_fields, store, keyring);
    sk_vw_close(&w, '{');
    return rc != SK_OK ? rc : w.rc;
}

sk_err sk_view_sponsors(sk_store *store, sk_keyring *keyring, sk_str child_id,
                        int sponsors_permitted, uint64_t sponsor_fields, int household_permitted,
                        uint64_t household_fields, sk_arena *arena, sk_buf *out, sk_diag *diag)
{
    sponsors_ctx ctx;
    sponsors_req q;
    size_t start;
    sk_err rc;

    SK_ASSERT(store != NULL);
    SK_ASSERT(keyring != NULL);
    SK_ASSERT(arena != NULL);
    SK_ASSERT(out != NULL);
    memset(&ctx, 0, sizeof(ctx));
    ctx.rules = sk_view_rules();
    ctx.arena = arena;
    ctx.rc = SK_OK;
    ctx.diag = diag;
    q.sponsors_permitted = sponsors_permitted;
    q.household_permitted = household_permitted;
    q.sponsor_fields = sponsor_fields & ctx.rules->all;
    q.household_fields = household_fields & ctx.rules->all;
    start = out->len;
    rc = sponsors_view(&ctx, &q, store, keyring, child_id, out);
    if (rc != SK_OK)
        sk_vw_rollback(out, start);
    return rc;
}
