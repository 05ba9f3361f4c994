/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h_subscriptions.c: webhook subscriptions over the API: list, create,
 * pause, resume and delete the subscriptions of the caller's own agency,
 * and list the notifications (outbox rows) of one of them.
 *
 * A subscription belongs to an agency, so every route works on the
 * caller's agency only: another agency's subscription is answered exactly
 * like an id that does not exist, so that ids cannot be probed across
 * agencies. Any token of the agency may look; only the administrator role
 * may change anything, as for tokens. A creation is judged by the adopted
 * policy (sk_subscription_create): a refusal is a 403 with the readable
 * reason, naming the type and the constraint or the missing agreement. The
 * signing secret appears once, in the 201 that creates the subscription;
 * the store keeps it sealed and no route shows it again. Notifications
 * carry ids and types only, so the delivery listing names children by id,
 * as the notifications themselves do.
 */
#include "api.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "safekeep/sk_model.h"
#include "safekeep/sk_subscription.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define ADMIN_ONLY     "subscription administration needs the administrator role"
#define CREATE_RETRIES 3  /* a repeated random id is astronomically rare */
#define POINTER_MAX    96 /* "/" + a JSON key, for a 422's pointer */

/* ,"key": and a JSON string. */
static sk_err str_member(sk_buf *out, const char *key, const char *value)
{
    sk_err rc = sk_buf_printf(out, ",\"%s\":", key);

    return rc == SK_OK ? sk_buf_json_str(out, sk_str_c(value)) : rc;
}

/* The names of mask's event types, and "alert", as a JSON array. */
static sk_err types_json(sk_buf *out, uint64_t mask)
{
    sk_err rc = sk_buf_append(out, "[", 1);
    int t, n = 0;

    for (t = 0; t < SK_EV__COUNT && rc == SK_OK; t++) {
        if (!(mask & (1ull << t)))
            continue;
        rc = sk_buf_printf(out, "%s\"%s\"", n++ ? "," : "",
                           sk_event_def_get((sk_event_type)t)->name);
    }
    if (rc == SK_OK && (mask & SK_SUBSCRIPTION_ALERTS))
        rc = sk_buf_printf(out, "%s\"%s\"", n ? "," : "", SK_SUBSCRIPTION_ALERT_NAME);
    return rc == SK_OK ? sk_buf_append(out, "]", 1) : rc;
}

/* The "type=rule@version,..." list of the rules that allowed each type, as
 * a JSON array of its entries. */
static sk_err rules_json(sk_buf *out, const char *rules)
{
    sk_err rc = sk_buf_append(out, "[", 1);
    const char *p = rules;
    size_t n;

    while (rc == SK_OK && *p != '\0') {
        n = strcspn(p, ",");
        if (p != rules)
            rc = sk_buf_append(out, ",", 1);
        if (rc == SK_OK)
            rc = sk_buf_json_str(out, (sk_str){p, n});
        p += n;
        if (*p == ',')
            p++;
    }
    return rc == SK_OK ? sk_buf_append(out, "]", 1) : rc;
}

/* A subscription, never its secret, without the closing brace. */
static sk_err sub_open(sk_buf *out, const sk_subscription *sub)
{
    sk_err rc = sk_buf_printf(out, "{\"id\":\"%s\"", sub->id);

    if (rc == SK_OK)
        rc = str_member(out, "agency", sub->agency);
    if (rc == SK_OK)
        rc = str_member(out, "purpose", sk_purpose_names[sub->purpose]);
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, ",\"types\":");
    if (rc == SK_OK)
        rc = types_json(out, sub->types);
    if (rc == SK_OK)
        rc = str_member(out, "url", sub->url);
    if (rc == SK_OK)
        rc = str_member(out, "state", sk_subscription_state_name(sub->state));
    if (rc == SK_OK)
        rc = sk_buf_appendc(out, ",\"rules\":");
    if (rc == SK_OK)
        rc = rules_json(out, sub->rules);
    if (rc == SK_OK)
        rc = str_member(out, "created_by", sub->created_by);
    if (rc == SK_OK)
        rc = sk_api_time_member(out, "created_at", sub->created_at);
    if (rc == SK_OK)
        rc = sk_api_time_member(out, "updated_at", sub->updated_at);
    return rc;
}

static sk_err sub_json(sk_buf *out, const sk_subscription *sub)
{
    sk_err rc = sub_open(out, sub);

    return rc == SK_OK ? sk_buf_append(out, "}", 1) : rc;
}

typedef struct list_ctx {
    sk_buf *out;
    size_t n;
    sk_err rc;
} list_ctx;

static int on_sub(const sk_subscription *sub, void *vctx)
{
    list_ctx *ctx = vctx;

    if (ctx->n > 0)
        ctx->rc = sk_buf_append(ctx->out, ",", 1);
    if (ctx->rc == SK_OK)
        ctx->rc = sub_json(ctx->out, sub);
    ctx->n++;
    return ctx->rc != SK_OK;
}

void sk_api_subscriptions_list(sk_req *r)
{
    list_ctx ctx = {&r->out, 0, SK_OK};
    sk_diag diag;
    sk_err rc;

    sk_diag_clear(&diag);
    /* The agency is never empty here: an empty one would list everyone's. */
    SK_ASSERT(r->token.agency[0] != '\0');
    rc = sk_buf_appendc(&r->out, "{\"subscriptions\":[");
    if (rc == SK_OK)
        rc = sk_subscription_list(sk_api_store(r), sk_str_c(r->token.agency), on_sub, &ctx, &diag);
    if (rc == SK_OK)
        rc = ctx.rc;
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, "]}");
    if (rc == SK_OK)
        sk_api_json(r, 200);
    else
        sk_api_problem_err(r, rc, &diag);
}

typedef struct create_body {
    int purpose; /* -1 until given */
    uint64_t types;
    sk_str url;
} create_body;

/* A 422 naming an unexpected key as a JSON pointer; a key that would need
 * escaping (RFC 6901) or is too long to quote is not quoted. */
static void unknown_key(sk_req *r, const char *key)
{
    char pointer[POINTER_MAX] = "";

    if (strlen(key) < sizeof(pointer) - 1 && strpbrk(key, "~/") == NULL)
        snprintf(pointer, sizeof(pointer), "/%s", key);
    sk_api_problem_invalid(r, pointer, "unknown key: expected purpose, types and url");
}

/* "types": a non-empty array of event type names or "alert"; 0 with a 422. */
static int parse_types(sk_req *r, json_t *v, uint64_t *mask)
{
    char pointer[32];
    uint64_t one;
    size_t i;
    json_t *t;

    *mask = 0;
    if (!json_is_array(v) || json_array_size(v) == 0) {
        sk_api_problem_invalid(r, "/types", "expected a non-empty array of event types");
        return 0;
    }
    json_array_foreach(v, i, t)
    {
        snprintf(pointer, sizeof(pointer), "/types/%zu", i);
        /* One name at a time: a comma inside a name must not split it. */
        if (!json_is_string(t) || json_string_length(t) == 0 ||
            strchr(json_string_value(t), ',') != NULL ||
            sk_subscription_types_parse((sk_str){json_string_value(t), json_string_length(t)}, &one,
                                        NULL) != SK_OK) {
            sk_api_problem_invalid(r, pointer,
                                   "expected an event type of a child's case (docs/events.md)");
            return 0;
        }
        *mask |= one;
    }
    return 1;
}

/* One member of the body; 0 with a 422 prepared when it is wrong. */
static int create_member(sk_req *r, const char *key, json_t *v, create_body *c)
{
    sk_diag diag;

    if (strcmp(key, "types") == 0)
        return parse_types(r, v, &c->types);
    if (strcmp(key, "purpose") == 0) {
        if (json_is_string(v))
            c->purpose = sk_policy_lookup(sk_purpose_names,
                                          (sk_str){json_string_value(v), json_string_length(v)});
        if (json_is_string(v) && c->purpose >= 0)
            return 1;
        sk_api_problem_invalid(r, "/purpose", "expected a purpose of docs/agreements.md");
    } else if (strcmp(key, "url") == 0) {
        sk_diag_clear(&diag);
        if (json_is_string(v)) {
            c->url = (sk_str){json_string_value(v), json_string_length(v)};
            /* A NUL inside the string would cut the URL short. */
            if (strlen(c->url.ptr) == c->url.len &&
                sk_subscription_url_check(c->url, &diag) == SK_OK)
                return 1;
        }
        sk_api_problem_invalid(r, "/url",
                               diag.msg[0] ? diag.msg : "expected an http:// or https:// URL");
    } else {
        unknown_key(r, key);
    }
    return 0;
}

static int parse_create(sk_req *r, json_t *root, create_body *c)
{
    const char *key;
    json_t *v;

    memset(c, 0, sizeof(*c));
    c->purpose = -1;
    json_object_foreach(root, key, v)
    {
        if (!create_member(r, key, v, c))
            return 0;
    }
    if (c->purpose < 0)
        sk_api_problem_invalid(r, "/purpose", "required: the purpose of the subscription");
    else if (c->types == 0)
        sk_api_problem_invalid(r, "/types", "required: a non-empty array of event types");
    else if (c->url.len == 0)
        sk_api_problem_invalid(r, "/url", "required: the endpoint URL");
    else
        return 1;
    return 0;
}

/* The refusal of a subscription by the policy: a 403 whose reason names the
 * type and the constraint, or the missing agreement (no personal data: ids
 * of agencies, types and rules only). */
static void refused(sk_req *r, const sk_diag *diag)
{
    const char *reason = diag->msg[0] ? diag->msg : "refused by the adopted policy";
    sk_err rc;

    sk_buf_reset(&r->out);
    r->status = 403;
    r->content_type = "application/problem+json";
    rc = sk_buf_appendc(&r->out, "{\"type\":\"urn:safekeep:problem:forbidden\","
                                 "\"title\":\"Forbidden\",\"status\":403,\"detail\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(&r->out, sk_str_c(reason));
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, ",\"reason\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(&r->out, sk_str_c(reason));
    if (rc == SK_OK)
        rc = sk_buf_printf(&r->out, ",\"instance\":\"urn:uuid:%s\"}", r->request_id);
    if (rc != SK_OK)
        sk_api_problem(r, 500, "internal", "internal error");
}

/* The answer to a failed creation. */
static void create_failed(sk_req *r, sk_err rc, const sk_diag *diag)
{
    char pointer[POINTER_MAX] = "";

    if (rc == SK_ERR_DENIED) {
        refused(r, diag);
    } else if (rc == SK_ERR_INVALID) {
        if (diag->field[0] != '\0')
            snprintf(pointer, sizeof(pointer), "/%s", diag->field);
        sk_api_problem_invalid(r, pointer, diag->msg[0] ? diag->msg : "invalid value");
    } else {
        sk_api_problem_err(r, rc, diag);
    }
}

void sk_api_subscriptions_create(sk_req *r)
{
    json_t *root = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, NULL);
    char secret[SK_SUBSCRIPTION_SECRET_LEN + 1] = "";
    sk_subscription sub;
    create_body c;
    sk_diag diag;
    sk_err rc = SK_ERR_CONFLICT;
    int tries;

    if (!sk_api_administrator(r, ADMIN_ONLY))
        goto out;
    if (root == NULL || !json_is_object(root)) {
        sk_api_problem(r, 400, "invalid-json", "the body must be a JSON object");
        goto out;
    }
    if (!parse_create(r, root, &c))
        goto out;
    for (tries = 0; rc == SK_ERR_CONFLICT && tries < CREATE_RETRIES; tries++) {
        sk_diag_clear(&diag);
        rc =
            sk_subscription_create(sk_api_store(r), r->api->keyring, r->api->policy,
                                   sk_str_c(r->token.agency), (sk_purpose)c.purpose, c.types, c.url,
                                   sk_str_c(r->token.user), sk_time_now(), secret, &sub, &diag);
    }
    if (rc == SK_OK)
        rc = sub_open(&r->out, &sub);
    if (rc == SK_OK)
        rc = str_member(&r->out, "secret", secret);
    if (rc == SK_OK)
        rc = sk_buf_append(&r->out, "}", 1);
    if (rc == SK_OK)
        sk_api_json(r, 201);
    else
        create_failed(r, rc, &diag);
out:
    sk_wipe(secret, sizeof(secret));
    json_decref(root);
}

/* Loads the subscription the path names into *sub, if it is the caller's
 * agency's; else 0 with the answer prepared (another agency's is a 404
 * exactly like an unknown id). */
static int own_subscription(sk_req *r, sk_subscription *sub)
{
    sk_diag diag;
    sk_err rc;

    sk_diag_clear(&diag);
    rc = sk_subscription_get(sk_api_store(r), r->params[0], sub, &diag);
    if (rc == SK_OK && strcmp(sub->agency, r->token.agency) != 0)
        rc = SK_ERR_NOT_FOUND;
    if (rc == SK_OK)
        return 1;
    if (rc == SK_ERR_NOT_FOUND)
        sk_api_problem(r, 404, "not-found", "no subscription with that id");
    else
        sk_api_problem_err(r, rc, &diag);
    return 0;
}

typedef enum change { CHANGE_PAUSE, CHANGE_RESUME, CHANGE_DELETE } change;

/* pause, resume or delete; answers the subscription after the change. */
static void sub_change(sk_req *r, change what)
{
    int64_t now = sk_time_now();
    sk_subscription sub;
    sk_diag diag;
    sk_err rc;

    if (!sk_api_administrator(r, ADMIN_ONLY) || !own_subscription(r, &sub))
        return;
    sk_diag_clear(&diag);
    if (what == CHANGE_PAUSE)
        rc = sk_subscription_pause(sk_api_store(r), r->params[0], now, &diag);
    else if (what == CHANGE_RESUME)
        rc = sk_subscription_resume(sk_api_store(r), r->params[0], now, &diag);
    else
        rc = sk_subscription_delete(sk_api_store(r), r->params[0], now, &diag);
    if (rc == SK_OK)
        rc = sk_subscription_get(sk_api_store(r), r->params[0], &sub, &diag);
    if (rc == SK_OK)
        rc = sub_json(&r->out, &sub);
    if (rc == SK_OK)
        sk_api_json(r, 200);
    else if (rc == SK_ERR_CONFLICT)
        sk_api_problem(r, 409, "conflict", diag.msg[0] ? diag.msg : "not in a state for that");
    else
        sk_api_problem_err(r, rc, &diag);
}

void sk_api_subscriptions_pause(sk_req *r)
{
    sub_change(r, CHANGE_PAUSE);
}

void sk_api_subscriptions_resume(sk_req *r)
{
    sub_change(r, CHANGE_RESUME);
}

void sk_api_subscriptions_delete(sk_req *r)
{
    sub_change(r, CHANGE_DELETE);
}

/* One outbox row: ids, types, states and times, never personal data. */
static sk_err delivery_json(sk_buf *out, const sk_store_outbox *row)
{
    sk_err rc = sk_buf_appendc(out, "{\"id\":");

    if (rc == SK_OK)
        rc = sk_buf_json_str(out, sk_str_c(row->id));
    if (rc == SK_OK)
        rc = str_member(out, "event_id", row->event_id);
    if (rc == SK_OK)
        rc = str_member(out, "type", row->type);
    if (rc == SK_OK)
        rc = row->alert_id[0] == '\0' ? sk_buf_appendc(out, ",\"alert_id\":null")
                                      : str_member(out, "alert_id", row->alert_id);
    if (rc == SK_OK)
        rc = str_member(out, "subject", row->subject);
    if (rc == SK_OK)
        rc = str_member(out, "state", row->state);
    if (rc == SK_OK)
        rc = sk_buf_printf(out, ",\"attempts\":%u", row->attempts);
    if (rc == SK_OK)
        rc = row->last_status == 0 ? sk_buf_appendc(out, ",\"last_status\":null")
                                   : sk_buf_printf(out, ",\"last_status\":%d", row->last_status);
    if (rc == SK_OK)
        rc = row->last_error[0] == '\0' ? sk_buf_appendc(out, ",\"last_error\":null")
                                        : str_member(out, "last_error", row->last_error);
    if (rc == SK_OK)
        rc = sk_api_time_member(out, "occurred_at", row->occurred_at);
    if (rc == SK_OK)
        rc = sk_api_time_member(out, "created_at", row->created_at);
    if (rc == SK_OK)
        rc = sk_api_time_member(out, "next_attempt_at", row->next_attempt_at);
    return rc == SK_OK ? sk_buf_append(out, "}", 1) : rc;
}

static int on_delivery(const sk_store_outbox *row, void *vctx)
{
    list_ctx *ctx = vctx;

    if (ctx->n > 0)
        ctx->rc = sk_buf_append(ctx->out, ",", 1);
    if (ctx->rc == SK_OK)
        ctx->rc = delivery_json(ctx->out, row);
    ctx->n++;
    return ctx->rc != SK_OK;
}

void sk_api_subscriptions_deliveries(sk_req *r)
{
    list_ctx ctx = {&r->out, 0, SK_OK};
    sk_subscription sub;
    uint64_t offset;
    uint32_t limit;
    sk_diag diag;
    sk_err rc;

    if (!sk_api_paging(r, &limit, &offset) || !own_subscription(r, &sub))
        return;
    sk_diag_clear(&diag);
    rc = sk_buf_printf(&r->out, "{\"subscription\":\"%s\",\"deliveries\":[", sub.id);
    if (rc == SK_OK)
        rc = sk_store_outbox_list_subscription(sk_api_store(r), sk_str_c(sub.id), offset, limit,
                                               on_delivery, &ctx, &diag);
    if (rc == SK_OK)
        rc = ctx.rc;
    if (rc == SK_OK)
        rc = sk_buf_printf(&r->out, "],\"limit\":%u,\"offset\":%llu,\"next_offset\":", limit,
                           (unsigned long long)offset);
    /* A full page may have a next one; a short page is the last. */
    if (rc == SK_OK)
        rc = ctx.n == limit ? sk_buf_printf(&r->out, "%llu}", (unsigned long long)(offset + limit))
                            : sk_buf_appendc(&r->out, "null}");
    if (rc == SK_OK)
        sk_api_json(r, 200);
    else
        sk_api_problem_err(r, rc, &diag);
}
