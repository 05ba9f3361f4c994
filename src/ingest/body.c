/* SPDX-License-Identifier: Apache-2.0 */
/*
 * body.c: the events of an HTTP API request body (sk_body.h).
 *
 * The body is parsed once with jansson (duplicate keys refused), checked
 * for the request-level rules (the shape of a batch, no unknown key, the
 * agency and user of the token), and each event object is then written back
 * as one compact JSON line and handed to sk_event_parse_json, so that an
 * event sent to the API is validated by exactly the code that validates an
 * imported file. The round trip costs a re-parse per event; in exchange
 * there is one event parser, not two that could drift apart.
 *
 * The model names the key at fault (diag->field: "occurred_at",
 * "provenance.ref", or a payload field's name); it is mapped back to a JSON
 * pointer under the event's own pointer ("/events/3"). Pointers longer than
 * a diagnostic holds fall back to the nearest enclosing value that fits, so
 * a pointer is always one the body really has or the place a required key
 * belongs, never a truncated string.
 */
#include "safekeep/sk_body.h"

#include <jansson.h>

#include "ingest_int.h"
#include "safekeep/sk_crypto.h"

#include "sk_int.h"

#define POINTER_MAX sizeof(((sk_diag *)0)->field)

/* The keys an event object may have (docs/events.md, "The envelope"). */
static const char *const envelope_keys[] = {"id",          "type",    "occurred_at",
                                            "recorded_at", "agency",  "user",
                                            "subjects",    "payload", "provenance"};

/* What a request body parse carries from event to event. */
typedef struct body_ctx {
    sk_str agency, user;
    int64_t now;
    sk_arena *arena;
    char *line; /* SK_EVENT_LINE_MAX + 1 bytes: one event written back */
    sk_diag *diag;
} body_ctx;

/* Appends "/" and key (RFC 6901: "~" as "~0", "/" as "~1") to the pointer in
 * buf; returns 0 and leaves buf as it was when the result would not fit. */
static int pointer_push(char *buf, const char *key)
{
    size_t len = strlen(buf), start = len;

    SK_ASSERT(len < POINTER_MAX);
    if (len + 1 >= POINTER_MAX)
        return 0;
    buf[len++] = '/';
    for (; *key != '\0'; key++) {
        int escape = *key == '~' || *key == '/';
        if (len + 1 + (size_t)escape >= POINTER_MAX) {
            buf[start] = '\0';
            return 0;
        }
        if (escape) {
            buf[len++] = '~';
            buf[len++] = *key == '~' ? '0' : '1';
        } else {
            buf[len++] = *key;
        }
    }
    buf[len] = '\0';
    return 1;
}

/* Records an SK_ERR_INVALID (or err) at prefix, or at prefix/key when key is
 * given and the pointer fits. */
static sk_err fail_at(sk_diag *diag, sk_err err, const char *prefix, const char *key,
                      const char *msg)
{
    char pointer[POINTER_MAX];

    snprintf(pointer, sizeof(pointer), "%s", prefix);
    if (key != NULL)
        (void)pointer_push(pointer, key);
    return sk_diag_set(diag, err, pointer, "%s", msg);
}

static int is_envelope_key(const char *key)
{
    size_t i;

    for (i = 0; i < SK_ARRAY_LEN(envelope_keys); i++) {
        if (strcmp(key, envelope_keys[i]) == 0)
            return 1;
    }
    return 0;
}

static sk_err check_keys(const body_ctx *ctx, json_t *obj, const char *prefix)
{
    const char *key;
    json_t *val;

    json_object_foreach(obj, key, val)
    {
        (void)val;
        if (is_envelope_key(key))
            continue;
        if (strcmp(key, "seq") == 0 || strcmp(key, "quality") == 0)
            return fail_at(ctx->diag, SK_ERR_INVALID, prefix, key,
                           "assigned by the ledger: not accepted in a request");
        return fail_at(ctx->diag, SK_ERR_INVALID, prefix, key,
                       "unknown key (expected id, type, occurred_at, recorded_at, agency, user, "
                       "subjects, payload, provenance)");
    }
    return SK_OK;
}

/* "agency" or "user": the token's, whether given or filled in. */
static sk_err check_actor(const body_ctx *ctx, json_t *obj, const char *prefix, const char *key,
                          sk_str want)
{
    json_t *v = json_object_get(obj, key);
    sk_str got;

    if (v == NULL) {
        v = json_stringn(want.ptr, want.len);
        if (v == NULL || json_object_set_new(obj, key, v) != 0)
            return sk_diag_set(ctx->diag, SK_ERR_NOMEM, prefix, "out of memory");
        return SK_OK;
    }
    if (!json_is_string(v))
        return fail_at(ctx->diag, SK_ERR_INVALID, prefix, key, "expected a string");
    got.ptr = json_string_value(v);
    got.len = json_string_length(v);
    if (!sk_str_eq(got, want))
        return fail_at(ctx->diag, SK_ERR_INVALID, prefix, key,
                       strcmp(key, "agency") == 0
                           ? "expected the requester's own agency, or no agency key"
                           : "expected the requester's own user id, or no user key");
    return SK_OK;
}

/* The event type an object names, or -1. */
static int object_type(json_t *obj)
{
    json_t *t = json_object_get(obj, "type");
    sk_event_type type;

    if (!json_is_string(t) ||
        sk_event_type_parse((sk_str){json_string_value(t), json_string_length(t)}, &type) != SK_OK)
        return -1;
    return (int)type;
}

/* The first payload key that is not a field of the event's type: the model
 * reports such a key by a truncated copy of its name, not a pointer. */
static const char *unknown_payload_key(json_t *obj, int type)
{
    json_t *payload = json_object_get(obj, "payload"), *val;
    const char *key;

    if (type < 0 || !json_is_object(payload))
        return NULL;
    json_object_foreach(payload, key, val)
    {
        (void)val;
        if (sk_event_field_index((sk_event_type)type, sk_str_c(key)) < 0)
            return key;
    }
    return NULL;
}

/* Maps the model's diagnostic (a key name) to a pointer under prefix. */
static sk_err translate(const body_ctx *ctx, json_t *obj, const char *prefix, const sk_diag *inner)
{
    const char *f = inner->field;
    int type = object_type(obj);
    char pointer[POINTER_MAX];
    const char *key;

    snprintf(pointer, sizeof(pointer), "%s", prefix);
    if (is_envelope_key(f)) {
        (void)pointer_push(pointer, f);
    } else if (strncmp(f, "provenance.", 11) == 0) {
        if (pointer_push(pointer, "provenance"))
            (void)pointer_push(pointer, f + 11);
    } else if (f[0] != '\0' && strcmp(f, "event") != 0) {
        key = type >= 0 && sk_event_field_index((sk_event_type)type, sk_str_c(f)) >= 0
                  ? f
                  : unknown_payload_key(obj, type);
        if (key != NULL && pointer_push(pointer, "payload"))
            (void)pointer_push(pointer, key);
    }
    return sk_diag_set(ctx->diag, SK_ERR_INVALID, pointer, "%s",
                       inner->msg[0] != '\0' ? inner->msg : "invalid event");
}

/* One event object, at pointer prefix, into *ev. */
static sk_err parse_one(const body_ctx *ctx, json_t *obj, const char *prefix, sk_event *ev)
{
    sk_diag inner;
    size_t n;
    sk_err rc;

    if (!json_is_object(obj))
        return fail_at(ctx->diag, SK_ERR_INVALID, prefix, NULL, "expected an event object");
    rc = check_keys(ctx, obj, prefix);
    if (rc == SK_OK)
        rc = check_actor(ctx, obj, prefix, "agency", ctx->agency);
    if (rc == SK_OK)
        rc = check_actor(ctx, obj, prefix, "user", ctx->user);
    if (rc != SK_OK)
        return rc;
    n = json_dumpb(obj, ctx->line, SK_EVENT_LINE_MAX + 1, JSON_COMPACT);
    if (n == 0)
        return sk_diag_set(ctx->diag, SK_ERR_NOMEM, prefix, "out of memory");
    if (n > SK_EVENT_LINE_MAX)
        return sk_diag_set(ctx->diag, SK_ERR_INVALID, prefix,
                           "expected an event of at most %d bytes of JSON", SK_EVENT_LINE_MAX);
    sk_diag_clear(&inner);
    rc = sk_event_parse_json((sk_str){ctx->line, n}, ctx->arena, ctx->now, ev, &inner);
    if (rc == SK_ERR_INVALID || rc == SK_ERR_CONFLICT)
        return translate(ctx, obj, prefix, &inner);
    if (rc != SK_OK)
        return sk_diag_set(ctx->diag, rc, prefix, "%s", sk_err_str(rc));
    SK_ASSERT(ev->subject_count > 0);
    return SK_OK;
}

/* The "events" array of a batch body, 1..max long. */
static sk_err batch_list(const body_ctx *ctx, json_t *root, size_t max, json_t **list)
{
    const char *key;
    json_t *val;

    json_object_foreach(root, key, val)
    {
        if (strcmp(key, "events") != 0)
            return fail_at(ctx->diag, SK_ERR_INVALID, "", key, "unknown key (expected events)");
    }
    val = json_object_get(root, "events");
    if (!json_is_array(val) || json_array_size(val) == 0)
        return sk_diag_set(ctx->diag, SK_ERR_INVALID, "/events",
                           "expected an array of 1 to %zu event objects", max);
    if (json_array_size(val) > max)
        return sk_diag_set(ctx->diag, SK_ERR_TOO_LARGE, "/events", "at most %zu events", max);
    *list = val;
    return SK_OK;
}

/* Parses the objects of a body (root itself, or list's elements). */
static sk_err parse_all(const body_ctx *ctx, json_t *root, json_t *list, sk_event *events,
                        size_t count)
{
    char prefix[POINTER_MAX];
    size_t i;
    sk_err rc = SK_OK;

    for (i = 0; rc == SK_OK && i < count; i++) {
        if (list == NULL)
            prefix[0] = '\0';
        else
            snprintf(prefix, sizeof(prefix), "/events/%zu", i);
        rc = parse_one(ctx, list ? json_array_get(list, i) : root, prefix, &events[i]);
    }
    return rc;
}

/* A body that is no JSON object at all: there is no value to point at. */
static sk_err not_json(sk_diag *diag, const char *msg)
{
    if (diag == NULL)
        return SK_ERR_INVALID;
    snprintf(diag->where, sizeof(diag->where), "%s", SK_BODY_WHERE_JSON);
    return sk_diag_set(diag, SK_ERR_INVALID, "", "%s", msg);
}

sk_err sk_body_events(sk_str body, int batch, size_t max, sk_str agency, sk_str user, int64_t now,
                      sk_arena *arena, sk_event **events, size_t *count, sk_diag *diag)
{
    body_ctx ctx = {agency, user, now, arena, NULL, diag};
    json_t *root = NULL, *list = NULL;
    json_error_t jerr;
    char msg[64];
    size_t n = 1;
    void *p = NULL;
    sk_err rc;

    SK_ASSERT(arena != NULL);
    SK_ASSERT(events != NULL);
    SK_ASSERT(count != NULL);
    SK_ASSERT(max > 0);
    *events = NULL;
    *count = 0;
    sk_diag_clear(diag);
    sk_json_init(); /* the tree holds personal data: wipe what jansson frees */
    root = json_loadb(body.ptr ? body.ptr : "", body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        /* jansson's own text may quote the input: keep only the position. */
        snprintf(msg, sizeof(msg), "not valid JSON (at character %d)", jerr.position);
        rc = not_json(diag, msg);
        goto out;
    }
    if (!json_is_object(root)) {
        rc = not_json(diag, "expected a JSON object");
        goto out;
    }
    rc = batch ? batch_list(&ctx, root, max, &list) : SK_OK;
    if (rc == SK_OK && list != NULL)
        n = json_array_size(list);
    if (rc == SK_OK)
        rc = sk_arena_alloc(arena, SK_EVENT_LINE_MAX + 1, &p);
    ctx.line = p;
    if (rc == SK_OK)
        rc = sk_arena_alloc(arena, n * sizeof(sk_event), &p);
    if (rc == SK_OK)
        rc = parse_all(&ctx, root, list, p, n);
    if (rc == SK_OK) {
        *events = p;
        *count = n;
    } else if (diag != NULL && diag->msg[0] == '\0') {
        rc = sk_diag_set(diag, rc, "", "%s", sk_err_str(rc)); /* the arena's own error */
    }
out:
    if (ctx.line != NULL)
        sk_wipe(ctx.line, SK_EVENT_LINE_MAX + 1);
    json_decref(root);
    return rc;
}
