/* SPDX-License-Identifier: Apache-2.0 */
/*
 * adopt.c: policy in the ledger. The ledger holds the facts (this file was
 * adopted at this time by this user; this agreement was rescinded on this
 * day); the policy_documents table holds the texts under their hashes. The
 * compiled policy is derived from both, like any projection, so it can
 * always be recomputed and audited.
 */
#include "safekeep/sk_policy_store.h"

#include <errno.h>

#include "safekeep/sk_crypto.h"
#include "safekeep/sk_id.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define DOC_ID_BYTES 20
#define ARENA_CHUNK  (256 * 1024)
#define ARENA_MAX    ((size_t)512 * 1024 * 1024)

typedef struct rescission {
    char id[SK_POLICY_ID_MAX];
    int64_t on;
} rescission;

typedef struct collect_ctx {
    sk_store *store;
    sk_arena *arena;    /* parsed documents */
    sk_arena *ev_arena; /* one ledger row at a time */
    sk_policy_doc docs[SK_POLICY_DOCS_MAX];
    size_t doc_count;
    rescission rescissions[SK_POLICY_RULES_MAX];
    size_t rescission_count;
    sk_err rc;
    sk_diag *diag;
} collect_ctx;

static sk_err collect_doc(collect_ctx *ctx, const sk_event *ev)
{
    const sk_value *id = sk_event_get(ev, "document_id");
    const sk_value *name = sk_event_get(ev, "name");
    char *text = NULL;
    size_t len = 0;
    sk_err rc;

    SK_ASSERT(id != NULL && name != NULL);
    if (ctx->doc_count == SK_POLICY_DOCS_MAX)
        return sk_diag_set(ctx->diag, SK_ERR_TOO_LARGE, "policy", "more than %d policy files",
                           SK_POLICY_DOCS_MAX);
    rc = sk_store_policy_doc_get(ctx->store, id->text, &text, &len, ctx->diag);
    if (rc == SK_OK)
        rc = sk_policy_parse((sk_str){text, len}, name->text.ptr, ctx->arena,
                             &ctx->docs[ctx->doc_count], ctx->diag);
    if (rc == SK_OK)
        ctx->doc_count++;
    free(text);
    return rc;
}

static int collect_row(const sk_ledger_row *row, void *vctx)
{
    collect_ctx *ctx = vctx;
    rescission *r;
    sk_event ev;

    sk_arena_reset(ctx->ev_arena);
    ctx->rc = sk_event_from_row(row, ctx->ev_arena, &ev, ctx->diag);
    if (ctx->rc != SK_OK)
        return 1;
    if (ev.type == SK_EV_POLICY_ADOPTED) {
        ctx->rc = collect_doc(ctx, &ev);
    } else if (ev.type == SK_EV_POLICY_RESCINDED) {
        if (ctx->rescission_count == SK_POLICY_RULES_MAX) {
            ctx->rc = sk_diag_set(ctx->diag, SK_ERR_TOO_LARGE, "policy", "too many rescissions");
            return 1;
        }
        r = &ctx->rescissions[ctx->rescission_count++];
        snprintf(r->id, sizeof(r->id), "%s", sk_event_get(&ev, "rule_id")->text.ptr);
        r->on = sk_event_get(&ev, "on")->num;
    }
    return ctx->rc != SK_OK;
}

static sk_err collect_open(sk_store *store, collect_ctx **out, sk_diag *diag)
{
    collect_ctx *ctx = calloc(1, sizeof(*ctx));
    sk_err rc;

    *out = NULL;
    if (ctx == NULL)
        return SK_ERR_NOMEM;
    ctx->store = store;
    ctx->diag = diag;
    rc = sk_arena_new(ARENA_CHUNK, ARENA_MAX, &ctx->arena);
    if (rc == SK_OK)
        rc = sk_arena_new(64 * 1024, 4 * 1024 * 1024, &ctx->ev_arena);
    if (rc == SK_OK)
        rc = sk_store_ledger_scan(store, SK_SCAN_CHILD, SK_STR(SK_POLICY_SUBJECT), collect_row, ctx,
                                  diag);
    if (rc == SK_OK)
        rc = ctx->rc;
    if (rc != SK_OK) {
        sk_arena_free(ctx->arena);
        sk_arena_free(ctx->ev_arena);
        free(ctx);
        return rc;
    }
    *out = ctx;
    return SK_OK;
}

static void collect_close(collect_ctx *ctx)
{
    if (ctx == NULL)
        return;
    sk_arena_free(ctx->arena);
    sk_arena_free(ctx->ev_arena);
    free(ctx);
}

static sk_err compile_collected(collect_ctx *ctx, sk_policy **out, sk_diag *diag)
{
    size_t i;
    sk_err rc;

    rc = sk_policy_compile(ctx->docs, ctx->doc_count, out, diag);
    if (rc != SK_OK)
        return rc;
    for (i = 0; rc == SK_OK && i < ctx->rescission_count; i++) {
        /* Each was checked when recorded; documents are append-only, so the
         * rule it names still takes effect before its day. */
        rc = sk_policy_rescind(*out, sk_str_c(ctx->rescissions[i].id), ctx->rescissions[i].on);
    }
    if (rc != SK_OK) {
        sk_policy_free(*out);
        *out = NULL;
        rc = sk_diag_set(diag, SK_ERR_STORE, "policy", "a recorded rescission names no rule");
    }
    return rc;
}

sk_err sk_policy_load(sk_store *store, sk_policy **out, sk_diag *diag)
{
    collect_ctx *ctx = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL && out != NULL);
    *out = NULL;
    rc = collect_open(store, &ctx, diag);
    if (rc == SK_OK)
        rc = compile_collected(ctx, out, diag);
    collect_close(ctx);
    return rc;
}

static sk_err read_file(const char *path, char **text, size_t *len, sk_diag *diag)
{
    FILE *f = fopen(path, "re");
    size_t n;

    *text = NULL;
    if (f == NULL)
        return sk_diag_set(diag, SK_ERR_IO, "", "cannot open %s: %s", path, strerror(errno));
    *text = malloc(SK_POLICY_FILE_BYTES_MAX + 1);
    n = *text ? fread(*text, 1, SK_POLICY_FILE_BYTES_MAX + 1, f) : 0;
    fclose(f);
    if (*text == NULL)
        return SK_ERR_NOMEM;
    if (n > SK_POLICY_FILE_BYTES_MAX) {
        free(*text);
        *text = NULL;
        return sk_diag_set(diag, SK_ERR_TOO_LARGE, "", "%s is larger than %d bytes", path,
                           SK_POLICY_FILE_BYTES_MAX);
    }
    (*text)[n] = '\0';
    *len = n;
    return SK_OK;
}

/* The event recording an adoption or rescission, with the policy as subject. */
static sk_err record(sk_ingest *ing, sk_event *ev, sk_str key, sk_str agency, sk_str user,
                     sk_diag *diag)
{
    unsigned char hash[16];
    char id[SK_UUID_LEN + 1], when[SK_RFC3339_LEN + 1];
    sk_err rc;

    sk_hash(key, hash, sizeof(hash));
    sk_uuid_format(hash, 8, id);
    sk_time_format_rfc3339(sk_ingest_now(ing), when);
    rc = sk_event_set_id(ev, sk_str_c(id), diag);
    if (rc == SK_OK)
        rc = sk_event_set_time(ev, 0, sk_str_c(when), diag);
    if (rc == SK_OK)
        rc = sk_event_set_actor(ev, agency, user, diag);
    if (rc == SK_OK)
        rc = sk_event_add_subject(ev, SK_STR(SK_POLICY_SUBJECT), diag);
    if (rc == SK_OK)
        rc = sk_event_finish(ev, sk_ingest_now(ing), diag);
    if (rc == SK_OK)
        rc = sk_ingest_event(ing, ev, diag);
    return rc;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

typedef struct pending {
    char *text;
    size_t len;
    char doc_id[DOC_ID_BYTES * 2 + 1];
} pending;

/* Reads and parses every file into ctx (after the adopted ones) and checks
 * that everything compiles together. */
static sk_err stage(collect_ctx *ctx, const char *const *paths, size_t count, pending *files,
                    sk_diag *diag)
{
    unsigned char hash[DOC_ID_BYTES];
    sk_policy *check = NULL;
    size_t i;
    sk_err rc = SK_OK;

    if (ctx->doc_count + count > SK_POLICY_DOCS_MAX)
        return sk_diag_set(diag, SK_ERR_TOO_LARGE, "policy", "more than %d policy files",
                           SK_POLICY_DOCS_MAX);
    for (i = 0; rc == SK_OK && i < count; i++) {
        rc = read_file(paths[i], &files[i].text, &files[i].len, diag);
        if (rc == SK_OK)
            rc = sk_policy_parse((sk_str){files[i].text, files[i].len}, paths[i], ctx->arena,
                                 &ctx->docs[ctx->doc_count], diag);
        if (rc != SK_OK)
            break;
        ctx->doc_count++;
        sk_hash((sk_str){files[i].text, files[i].len}, hash, sizeof(hash));
        sk_hex_encode(hash, sizeof(hash), files[i].doc_id);
    }
    if (rc == SK_OK)
        rc = compile_collected(ctx, &check, diag);
    sk_policy_free(check);
    return rc;
}

static sk_err adopt_one(sk_ingest *ing, sk_store *store, const char *path, const pending *f,
                        sk_str agency, sk_str user, sk_diag *diag)
{
    sk_arena *arena = NULL;
    sk_event ev;
    sk_err rc;

    rc = sk_arena_new(16 * 1024, 1024 * 1024, &arena);
    if (rc != SK_OK)
        return rc;
    rc = sk_store_policy_doc_put(store, sk_str_c(f->doc_id), sk_str_c(base_name(path)),
                                 (sk_str){f->text, f->len}, diag);
    sk_event_init(&ev, SK_EV_POLICY_ADOPTED, arena);
    if (rc == SK_OK)
        rc = sk_event_set(&ev, SK_STR("document_id"), sk_str_c(f->doc_id), 0, diag);
    if (rc == SK_OK)
        rc = sk_event_set(&ev, SK_STR("name"), sk_str_c(base_name(path)), 0, diag);
    if (rc == SK_OK)
        rc = record(ing, &ev, sk_str_c(f->doc_id), agency, user, diag);
    sk_arena_free(arena);
    return rc;
}

sk_err sk_policy_adopt_files(sk_ingest *ing, sk_store *store, const char *const *paths,
                             size_t count, sk_str agency, sk_str user, sk_diag *diag)
{
    collect_ctx *ctx = NULL;
    pending *files;
    size_t i;
    sk_err rc;

    SK_ASSERT(ing != NULL && store != NULL && paths != NULL);
    files = calloc(count + 1, sizeof(*files));
    if (files == NULL)
        return SK_ERR_NOMEM;
    rc = collect_open(store, &ctx, diag);
    if (rc == SK_OK)
        rc = stage(ctx, paths, count, files, diag);
    for (i = 0; rc == SK_OK && i < count; i++)
        rc = adopt_one(ing, store, paths[i], &files[i], agency, user, diag);
    for (i = 0; i < count; i++)
        free(files[i].text);
    free(files);
    collect_close(ctx);
    return rc;
}

sk_err sk_policy_record_rescind(sk_ingest *ing, sk_store *store, sk_str id, int64_t on,
                                sk_str agency, sk_str user, sk_diag *diag)
{
    char key[SK_POLICY_ID_MAX + 32], day[SK_DATE_LEN + 1];
    sk_policy *policy = NULL;
    sk_arena *arena = NULL;
    sk_event ev;
    sk_err rc;

    rc = sk_policy_load(store, &policy, diag);
    if (rc == SK_OK && sk_policy_rescind(policy, id, on) != SK_OK)
        rc = sk_diag_set(diag, SK_ERR_NOT_FOUND, "rule",
                         "no agreement or constraint of that id "
                         "takes effect before that day");
    sk_policy_free(policy);
    if (rc == SK_OK)
        rc = sk_arena_new(16 * 1024, 1024 * 1024, &arena);
    if (rc != SK_OK)
        return rc;
    sk_time_format_date(on, day);
    sk_event_init(&ev, SK_EV_POLICY_RESCINDED, arena);
    rc = sk_event_set(&ev, SK_STR("rule_id"), id, 0, diag);
    if (rc == SK_OK)
        rc = sk_event_set(&ev, SK_STR("on"), sk_str_c(day), 0, diag);
    snprintf(key, sizeof(key), "rescind|%.*s|%s", (int)(id.len < 64 ? id.len : 64), id.ptr, day);
    if (rc == SK_OK)
        rc = record(ing, &ev, sk_str_c(key), agency, user, diag);
    sk_arena_free(arena);
    return rc;
}
