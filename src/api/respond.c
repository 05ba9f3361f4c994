/* SPDX-License-Identifier: Apache-2.0 */
/*
 * respond.c: preparing responses. Errors are RFC 9457 problem details with a
 * stable type per error ("urn:safekeep:problem:not-found") so that clients
 * branch on the type, never on the wording. Details are sentences about the
 * request (which parameter, which field, what was expected); they never
 * quote a stored value or the store's own messages, which go to the log.
 * One table maps the library's error codes to statuses.
 */
#include "api.h"

#include <errno.h>
#include <microhttpd.h>
#include <string.h>

#include "safekeep/sk_time.h"

#include "sk_int.h"

static const char *title_of(unsigned status)
{
    switch (status) {
    case 400:
        return "Bad request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not found";
    case 405:
        return "Method not allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Content too large";
    case 415:
        return "Unsupported media type";
    case 422:
        return "Unprocessable content";
    case 429:
        return "Too many requests";
    case 503:
        return "Service unavailable";
    default:
        return "Internal server error";
    }
}

void sk_api_json(sk_req *r, unsigned status)
{
    r->status = status;
    r->content_type = "application/json";
}

/* Starts a problem object; the caller may add extensions, then closes it. */
static sk_err problem_open(sk_req *r, unsigned status, const char *name, const char *detail)
{
    sk_err rc;

    sk_buf_reset(&r->out);
    r->status = status;
    r->content_type = "application/problem+json";
    rc = sk_buf_printf(&r->out, "{\"type\":\"urn:safekeep:problem:%s\",\"title\":\"%s\",", name,
                       title_of(status));
    if (rc == SK_OK)
        rc = sk_buf_printf(&r->out, "\"status\":%u,\"detail\":", status);
    if (rc == SK_OK)
        rc = sk_buf_json_str(&r->out, sk_str_c(detail));
    if (rc == SK_OK)
        rc = sk_buf_printf(&r->out, ",\"instance\":\"urn:uuid:%s\"", r->request_id);
    return rc;
}

static void problem_close(sk_req *r, sk_err rc)
{
    if (rc == SK_OK)
        rc = sk_buf_append(&r->out, "}", 1);
    if (rc != SK_OK) {
        sk_buf_reset(&r->out);
        r->status = 500;
        /* An empty buffer always has room for this: ignoring is safe. */
        if (sk_buf_appendc(&r->out, "{\"type\":\"urn:safekeep:problem:internal\","
                                    "\"title\":\"Internal server error\",\"status\":500}") != SK_OK)
            r->out.len = 0;
    }
}

void sk_api_problem(sk_req *r, unsigned status, const char *name, const char *detail)
{
    problem_close(r, problem_open(r, status, name, detail));
}

void sk_api_problem_invalid(sk_req *r, const char *pointer, const char *detail)
{
    sk_err rc = problem_open(r, 422, "unprocessable", detail);

    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, ",\"errors\":[{\"pointer\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(&r->out, sk_str_c(pointer));
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, ",\"detail\":");
    if (rc == SK_OK)
        rc = sk_buf_json_str(&r->out, sk_str_c(detail));
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, "}]");
    problem_close(r, rc);
}

void sk_api_problem_err(sk_req *r, sk_err rc, const sk_diag *diag)
{
    /* Store and crypto detail is for the operator's log, not the client. */
    if (diag != NULL && diag->msg[0] != '\0' && (rc == SK_ERR_STORE || rc == SK_ERR_IO))
        fprintf(stderr, "safekeepd: %s: %s: %s\n", r->request_id, sk_err_str(rc), diag->msg);
    switch (rc) {
    case SK_ERR_NOT_FOUND:
        sk_api_problem(r, 404, "not-found", "no such resource");
        break;
    case SK_ERR_CONFLICT:
        sk_api_problem(r, 409, "conflict", diag && diag->msg[0] ? diag->msg : "conflict");
        break;
    case SK_ERR_TOO_LARGE:
        sk_api_problem(r, 413, "payload-too-large", "the request or its answer is too large");
        break;
    case SK_ERR_INVALID:
        sk_api_problem_invalid(r, diag && diag->field[0] ? diag->field : "",
                               diag && diag->msg[0] ? diag->msg : "invalid value");
        break;
    case SK_ERR_DENIED:
        sk_api_problem(r, 403, "forbidden", "not permitted");
        break;
    case SK_ERR_STORE:
    case SK_ERR_IO:
        sk_api_problem(r, 503, "unavailable", "the store is unavailable; try again");
        break;
    default:
        sk_api_problem(r, 500, "internal", "internal error");
        break;
    }
}

const char *sk_api_query(sk_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *sk_api_header(sk_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int sk_api_parse_u64(const char *text, uint64_t max, uint64_t *out)
{
    unsigned long long v;
    char *end = NULL;

    if (text[0] < '0' || text[0] > '9' || strlen(text) > 20)
        return 0;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return 0;
    *out = v;
    return 1;
}

int sk_api_paging(sk_req *r, uint32_t *limit, uint64_t *offset)
{
    const char *l = sk_api_query(r, "limit"), *o = sk_api_query(r, "offset");
    uint64_t v = SK_API_PAGE_DEFAULT;
    char msg[128];

    if (v > r->api->cfg.page_limit_max)
        v = r->api->cfg.page_limit_max;
    if (l != NULL && (!sk_api_parse_u64(l, r->api->cfg.page_limit_max, &v) || v == 0)) {
        snprintf(msg, sizeof(msg), "limit: expected an integer from 1 to %u",
                 r->api->cfg.page_limit_max);
        sk_api_problem(r, 400, "bad-request", msg);
        return 0;
    }
    *limit = (uint32_t)v;
    *offset = 0;
    if (o != NULL && !sk_api_parse_u64(o, SK_API_OFFSET_MAX, offset)) {
        sk_api_problem(r, 400, "bad-request", "offset: expected an integer from 0 to 10^12");
        return 0;
    }
    return 1;
}

int sk_api_date_param(sk_req *r, const char *name, int64_t *out)
{
    const char *q = sk_api_query(r, name);
    char msg[96];

    *out = 0;
    if (q == NULL)
        return 1;
    if (strlen(q) == 10 && sk_time_parse_human_date(sk_str_c(q), out) == SK_OK)
        return 1;
    snprintf(msg, sizeof(msg), "%s: expected a date YYYY-MM-DD", name);
    sk_api_problem(r, 400, "bad-request", msg);
    return 0;
}

sk_err sk_api_time_member(sk_buf *out, const char *key, int64_t t)
{
    char text[SK_RFC3339_LEN + 1];

    if (t == 0)
        return sk_buf_printf(out, ",\"%s\":null", key);
    sk_time_format_rfc3339(t, text);
    return sk_buf_printf(out, ",\"%s\":\"%s\"", key, text);
}

int sk_api_administrator(sk_req *r, const char *detail)
{
    if (strcmp(r->token.role, "administrator") == 0 && r->agency >= 0)
        return 1;
    sk_api_problem(r, 403, "forbidden", detail);
    return 0;
}
