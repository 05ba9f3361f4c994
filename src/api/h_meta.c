/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h_meta.c: routes about the service rather than about people: the OpenAPI
 * document (embedded at build time from docs/openapi.json) and /v1/me, which
 * tells a caller which agency, user and role its token stands for.
 */
#include "api.h"

#include "safekeep/sk_time.h"

#include "sk_int.h"

void sk_api_openapi(sk_req *r)
{
    sk_err rc = sk_buf_append(&r->out, sk_openapi_json, sk_openapi_json_len);

    if (rc != SK_OK) {
        sk_api_problem_err(r, rc, NULL);
        return;
    }
    r->status = 200;
    r->content_type = "application/json";
}

void sk_api_me(sk_req *r)
{
    char expires[SK_RFC3339_LEN + 1];
    sk_err rc;

    rc = sk_buf_appendc(&r->out, "{\"agency\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(&r->out, sk_str_c(r->token.agency));
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, ",\"user\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(&r->out, sk_str_c(r->token.user));
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, ",\"role\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(&r->out, sk_str_c(r->token.role));
    if (rc == SK_OK)
        rc = sk_buf_printf(&r->out, ",\"token_id\":\"%s\",\"expires_at\":", r->token.id);
    if (rc == SK_OK && r->token.expires_at != 0) {
        sk_time_format_rfc3339(r->token.expires_at, expires);
        rc = sk_buf_printf(&r->out, "\"%s\"}", expires);
    } else if (rc == SK_OK) {
        rc = sk_buf_appendc(&r->out, "null}");
    }
    if (rc == SK_OK)
        sk_api_json(r, 200);
    else
        sk_api_problem_err(r, rc, NULL);
}
