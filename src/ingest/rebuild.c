/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rebuild.c: projections from the ledger alone.
 *
 * Two passes in one transaction. Identities first, in recorded order, the
 * order in which ingest merged them. Then cases, child by child, each in
 * (occurred_at, seq) order: the same fold ingest maintains, so a rebuild
 * reproduces the projections exactly (sk_store_projection_digest checks it).
 */
#include "ingest_int.h"

#include "safekeep/sk_arena.h"

#include "sk_int.h"

#define ARENA_CHUNK  (64 * 1024)
#define ARENA_MAX    (4 * 1024 * 1024)
#define IDENTITY_MAX 8192

sk_err sk_event_from_row(const sk_ledger_row *row, sk_arena *arena, sk_event *ev, sk_diag *diag)
{
    sk_event_type type;
    size_t i;
    sk_err rc;

    if (sk_event_type_parse(row->type, &type) != SK_OK)
        return sk_diag_set(diag, SK_ERR_INVALID, "type", "unknown type in ledger row %llu",
                           (unsigned long long)row->seq);
    sk_event_init(ev, type, arena);
    rc = sk_event_set_id(ev, row->id, diag);
    ev->occurred_at = row->occurred_at;
    ev->recorded_at = row->recorded_at;
    ev->agency = row->agency;
    ev->user = row->user;
    for (i = 0; i < row->subject_count; i++)
        ev->subjects[i] = row->subjects[i];
    ev->subject_count = row->subject_count;
    ev->prov.source = row->prov_source;
    ev->prov.ref = row->prov_ref;
    ev->prov.reliability = row->prov_reliability;
    ev->payload_json = row->payload_json;
    ev->identity_json = SK_STR("{}");
    ev->dq_flags = row->dq_flags;
    if (rc == SK_OK)
        rc = sk_event_load_payload(ev, row->payload_json, diag);
    return rc;
}

typedef struct rebuild_ctx {
    sk_store *store;
    sk_keyring *keyring;
    sk_arena *arena;
    sk_case *c;
    sk_err rc;
    sk_diag *diag;
} rebuild_ctx;

static int identity_row(const sk_ledger_row *row, void *vctx)
{
    rebuild_ctx *ctx = vctx;
    char plain[IDENTITY_MAX + 1];
    sk_event ev;
    size_t len;

    sk_arena_reset(ctx->arena);
    ctx->rc = sk_event_from_row(row, ctx->arena, &ev, ctx->diag);
    if (ctx->rc != SK_OK)
        return 1;
    len = row->identity_sealed_len;
    if (len < SK_SEAL_OVERHEAD || len - SK_SEAL_OVERHEAD > IDENTITY_MAX) {
        ctx->rc = sk_diag_set(ctx->diag, SK_ERR_CRYPTO, "identity", "ledger row %llu is corrupt",
                              (unsigned long long)row->seq);
        return 1;
    }
    ctx->rc = sk_unseal(ctx->keyring, row->identity_sealed, len, row->id, (unsigned char *)plain);
    if (ctx->rc == SK_OK) {
        ev.identity_json.ptr = plain;
        ev.identity_json.len = len - SK_SEAL_OVERHEAD;
        ctx->rc = sk_identity_record(ctx->store, ctx->keyring, &ev, ctx->diag);
    } else {
        sk_diag_set(ctx->diag, ctx->rc, "identity", "ledger row %llu failed to authenticate",
                    (unsigned long long)row->seq);
    }
    sk_wipe(plain, sizeof(plain));
    return ctx->rc != SK_OK;
}

static int case_row(const sk_ledger_row *row, void *vctx)
{
    rebuild_ctx *ctx = vctx;
    sk_event_type type;
    sk_event ev;

    if (sk_event_type_parse(row->type, &type) == SK_OK && !sk_event_type_is_case(type))
        return 0; /* policy events have no case */
    if (!sk_str_eqc(row->subjects[0], ctx->c->child_id)) {
        if (ctx->c->event_count > 0) {
            ctx->rc = sk_store_case_put(ctx->store, ctx->c, 1, ctx->diag);
            if (ctx->rc != SK_OK)
                return 1;
        }
        sk_case_init(ctx->c, row->subjects[0]);
    }
    sk_arena_reset(ctx->arena);
    ctx->rc = sk_event_from_row(row, ctx->arena, &ev, ctx->diag);
    if (ctx->rc != SK_OK)
        return 1;
    sk_case_apply(ctx->c, &ev);
    return 0;
}

static sk_err passes(rebuild_ctx *ctx, sk_diag *diag)
{
    sk_err rc;

    rc = sk_store_projections_clear(ctx->store, diag);
    if (rc == SK_OK)
        rc = sk_store_ledger_scan(ctx->store, SK_SCAN_IDENTITY, SK_STR_NULL, identity_row, ctx,
                                  diag);
    if (rc == SK_OK)
        rc = ctx->rc;
    if (rc == SK_OK)
        rc = sk_store_ledger_scan(ctx->store, SK_SCAN_BY_CHILD, SK_STR_NULL, case_row, ctx, diag);
    if (rc == SK_OK)
        rc = ctx->rc;
    if (rc == SK_OK && ctx->c->event_count > 0)
        rc = sk_store_case_put(ctx->store, ctx->c, 1, diag);
    return rc;
}

sk_err sk_rebuild(sk_store *store, sk_keyring *keyring, sk_diag *diag)
{
    rebuild_ctx ctx = {store, keyring, NULL, NULL, SK_OK, diag};
    sk_err rc;

    sk_json_init();
    rc = sk_arena_new(ARENA_CHUNK, ARENA_MAX, &ctx.arena);
    if (rc != SK_OK)
        return rc;
    ctx.c = calloc(1, sizeof(sk_case));
    if (ctx.c == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    rc = sk_store_begin(store, diag);
    if (rc != SK_OK)
        goto out;
    rc = passes(&ctx, diag);
    if (rc == SK_OK)
        rc = sk_store_commit(store, diag);
    if (rc != SK_OK)
        sk_store_rollback(store);
out:
    free(ctx.c);
    sk_arena_free(ctx.arena);
    return rc;
}
