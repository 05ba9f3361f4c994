/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h_tokens.c: token administration over the API: list, issue and revoke the
 * bearer tokens of the caller's own agency.
 *
 * Only a token in the administrator role may use these routes, and only for
 * its own agency: another agency's tokens are neither listed nor revocable,
 * and a revocation of one is answered exactly like one of an id that does
 * not exist, so that ids cannot be probed across agencies. A new token is
 * issued only in a role the adopted policy defines (the server would deny
 * everything to any other), for the caller's agency. Its text appears once,
 * in the 201 that creates it; the store keeps only a keyed hash of it
 * (sk_token.h) and no route ever shows a secret again.
 */
#include "api.h"

#include <jansson.h>
#include <string.h>

#include "safekeep/sk_id.h"
#include "safekeep/sk_time.h"
#include "safekeep/sk_token.h"

#include "sk_int.h"

#define ADMIN_ONLY     "token administration needs the administrator role"
#define CREATE_RETRIES 3  /* a repeated random id is astronomically rare */
#define POINTER_MAX    96 /* "/" + a JSON key, for a 422's pointer */

/* "id","agency","user","role": what a token stands for; open starts the
 * object with them, else they follow other members. */
static sk_err names_members(sk_buf *out, const sk_token_info *info, int open)
{
    const char *const keys[] = {
        open ? "{\"id\":" : ",\"id\":", ",\"agency\":", ",\"user\":", ",\"role\":"};
    const char *const values[] = {info->id, info->agency, info->user, info->role};
    sk_err rc = SK_OK;
    size_t i;

    for (i = 0; rc == SK_OK && i < SK_ARRAY_LEN(keys); i++) {
        rc = sk_buf_appendc(out, keys[i]);
        if (rc == SK_OK)
            rc = sk_buf_json_str(out, sk_str_c(values[i]));
    }
    return rc;
}

/* A token's info (never its secret, which is not stored). */
static sk_err info_json(sk_buf *out, const sk_token_info *info)
{
    sk_err rc = names_members(out, info, 1);

    if (rc == SK_OK)
        rc = sk_api_time_member(out, "created_at", info->created_at);
    if (rc == SK_OK)
        rc = sk_api_time_member(out, "expires_at", info->expires_at);
    if (rc == SK_OK)
        rc = sk_api_time_member(out, "revoked_at", info->revoked_at);
    return rc == SK_OK ? sk_buf_append(out, "}", 1) : rc;
}

typedef struct list_ctx {
    sk_buf *out;
    size_t n;
    sk_err rc;
} list_ctx;

static int on_token(const sk_token_info *info, void *vctx)
{
    list_ctx *ctx = vctx;

    if (ctx->n > 0)
        ctx->rc = sk_buf_append(ctx->out, ",", 1);
    if (ctx->rc == SK_OK)
        ctx->rc = info_json(ctx->out, info);
    ctx->n++;
    return ctx->rc != SK_OK;
}

void sk_api_tokens_list(sk_req *r)
{
    list_ctx ctx = {&r->out, 0, SK_OK};
    sk_diag diag;
    sk_err rc;

    if (!sk_api_administrator(r, ADMIN_ONLY))
        return;
    sk_diag_clear(&diag);
    rc = sk_buf_appendc(&r->out, "{\"tokens\":[");
    /* The agency is never empty here: an empty one would list everyone's. */
    SK_ASSERT(r->token.agency[0] != '\0');
    if (rc == SK_OK)
        rc = sk_token_list(sk_api_store(r), sk_str_c(r->token.agency), on_token, &ctx, &diag);
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
    sk_str user, role;
    int64_t expires_at; /* 0: never */
} create_body;

/* A 422 naming an unexpected key as a JSON pointer; a key that would need
 * escaping (RFC 6901) or is too long to quote is not quoted. */
static void unknown_key(sk_req *r, const char *key)
{
    char pointer[POINTER_MAX] = "";

    if (strlen(key) < sizeof(pointer) - 1 && strpbrk(key, "~/") == NULL)
        snprintf(pointer, sizeof(pointer), "/%s", key);
    sk_api_problem_invalid(r, pointer, "unknown key: expected user, role and expires_at");
}

/* One member of the body; 0 with a 422 prepared when it is wrong. */
static int create_member(sk_req *r, const char *key, json_t *v, int64_t now, create_body *c)
{
    sk_str s = SK_STR_NULL;

    if (json_is_string(v))
        s = (sk_str){json_string_value(v), json_string_length(v)};
    if (strcmp(key, "user") == 0) {
        c->user = s;
        if (sk_id_valid(s, SK_TOKEN_FIELD_MAX - 1))
            return 1;
        sk_api_problem_invalid(r, "/user", "expected a user id: 1 to 63 of A-Z a-z 0-9 . _ : -");
    } else if (strcmp(key, "role") == 0) {
        c->role = s;
        if (s.ptr != NULL && sk_id_valid(s, SK_TOKEN_FIELD_MAX - 1) &&
            sk_policy_role(r->api->policy, s) >= 0)
            return 1;
        sk_api_problem_invalid(r, "/role", "expected a role of the adopted policy");
    } else if (strcmp(key, "expires_at") == 0) {
        if (json_is_null(v))
            return 1;
        if (s.ptr != NULL && sk_time_parse_rfc3339(s, &c->expires_at) == SK_OK &&
            c->expires_at > now)
            return 1;
        sk_api_problem_invalid(r, "/expires_at", "expected an RFC 3339 time in the future");
    } else {
        unknown_key(r, key);
    }
    return 0;
}

static int parse_create(sk_req *r, json_t *root, int64_t now, create_body *c)
{
    const char *key;
    json_t *v;

    memset(c, 0, sizeof(*c));
    json_object_foreach(root, key, v)
    {
        if (!create_member(r, key, v, now, c))
            return 0;
    }
    if (c->user.len == 0) {
        sk_api_problem_invalid(r, "/user", "required: the user the token is for");
        return 0;
    }
    if (c->role.len == 0) {
        sk_api_problem_invalid(r, "/role", "required: a role of the adopted policy");
        return 0;
    }
    return 1;
}

/* The 201: the token's text, shown this once, and what it grants. */
static sk_err created_json(sk_buf *out, const char *token, const sk_token_info *info)
{
    sk_err rc = sk_buf_appendc(out, "{\"token\":");

    if (rc == SK_OK)
        rc = sk_buf_json_str(out, sk_str_c(token));
    if (rc == SK_OK)
        rc = names_members(out, info, 0);
    if (rc == SK_OK)
        rc = sk_api_time_member(out, "expires_at", info->expires_at);
    return rc == SK_OK ? sk_buf_append(out, "}", 1) : rc;
}

void sk_api_tokens_create(sk_req *r)
{
    json_t *root = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, NULL);
    char token[SK_TOKEN_LEN + 1] = "";
    int64_t now = sk_time_now();
    sk_token_info info;
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
    if (!parse_create(r, root, now, &c))
        goto out;
    sk_diag_clear(&diag);
    for (tries = 0; rc == SK_ERR_CONFLICT && tries < CREATE_RETRIES; tries++)
        rc = sk_token_create(sk_api_store(r), r->api->keyring, sk_str_c(r->token.agency), c.user,
                             c.role, c.expires_at, now, token, &info, &diag);
    if (rc == SK_OK)
        rc = created_json(&r->out, token, &info);
    if (rc == SK_OK)
        sk_api_json(r, 201);
    else
        sk_api_problem_err(r, rc, &diag);
out:
    sk_wipe(token, sizeof(token));
    json_decref(root);
}

void sk_api_tokens_revoke(sk_req *r)
{
    sk_str id = r->params[0];
    sk_token_info info;
    sk_diag diag;
    sk_err rc;

    if (!sk_api_administrator(r, ADMIN_ONLY))
        return;
    sk_diag_clear(&diag);
    rc = sk_token_get(sk_api_store(r), id, &info, &diag);
    /* Another agency's token is answered as if it did not exist. */
    if (rc == SK_OK && strcmp(info.agency, r->token.agency) != 0)
        rc = SK_ERR_NOT_FOUND;
    if (rc == SK_OK)
        rc = sk_token_revoke(sk_api_store(r), id, sk_time_now(), &diag);
    if (rc == SK_OK)
        rc = sk_token_get(sk_api_store(r), id, &info, &diag);
    if (rc == SK_OK)
        rc = info_json(&r->out, &info);
    if (rc == SK_ERR_NOT_FOUND)
        sk_api_problem(r, 404, "not-found", "no token with that id");
    else if (rc == SK_OK)
        sk_api_json(r, 200);
    else
        sk_api_problem_err(r, rc, &diag);
}
