/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h_children.c: the child routes: list and search, one child with its
 * timeline, a child's sponsors and household members.
 *
 * Each record is judged on its own: a listing decides per child (the
 * recording agency and the record's attributes differ from child to child)
 * and shows only the permitted children, each masked by its own decision;
 * every decision, permit or deny, is an audit record. Whether a child
 * exists is disclosed only to a requester who would be permitted to see
 * it: an unknown id is judged as if the requester's own agency held it, so
 * a requester with no business there gets the same 403 as for a real child
 * (sk_subject.h).
 */
#include "api.h"

#include <jansson.h>
#include <string.h>

#include "safekeep/sk_ingest.h"
#include "safekeep/sk_subject.h"
#include "safekeep/sk_time.h"
#include "safekeep/sk_view.h"

#include "sk_int.h"

#define CHILD_VIEW_MAX (16u * 1024 * 1024)

/* The fields the caller asks for: ?fields=a,b or every field of the view. */
static int requested_fields(sk_req *r, sk_entity entity, uint64_t *mask)
{
    const char *q = sk_api_query(r, "fields");

    *mask = sk_view_fields(entity);
    if (q == NULL)
        return 1;
    if (sk_policy_fields_parse(q, mask) != 0 || *mask == 0) {
        sk_api_problem(r, 400, "bad-request",
                       "fields: expected a comma-separated list of field names (docs/fields.md)");
        return 0;
    }
    return 1;
}

/* Wraps a rendered view with its disclosure. */
static void respond_view(sk_req *r, const char *key, sk_buf *view, const sk_decision *d)
{
    sk_err rc = sk_buf_printf(&r->out, "{\"%s\":", key);

    if (rc == SK_OK)
        rc = sk_buf_append_str(&r->out, sk_buf_str(view));
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, ",\"disclosure\":");
    if (rc == SK_OK)
        rc = sk_api_disclosure_json(d, &r->out);
    if (rc == SK_OK)
        rc = sk_buf_append(&r->out, "}", 1);
    if (rc != SK_OK)
        sk_api_problem_err(r, rc, NULL);
    else
        sk_api_json(r, 200);
}

void sk_api_child_get(sk_req *r)
{
    sk_view_child_data *data = NULL;
    sk_str id = r->params[0];
    sk_request req;
    sk_decision d;
    uint64_t fields;
    sk_buf view;
    sk_diag diag;
    sk_err rc;

    if (!requested_fields(r, SK_ENTITY_CHILD, &fields))
        return;
    if (!sk_api_read_child(r, id, fields, &req, &d, &data))
        return;
    sk_diag_clear(&diag);
    sk_buf_init(&view, CHILD_VIEW_MAX);
    rc = sk_view_child_render(data, sk_api_store(r), r->api->keyring, d.fields, &view, &diag);
    if (rc == SK_OK)
        rc = sk_api_audit_decision(r, &req, &d, id);
    if (rc == SK_OK)
        respond_view(r, "child", &view, &d);
    else
        sk_api_problem_err(r, rc, &diag);
    sk_buf_fini(&view);
}

/* Both entities are judged; either list appears only if permitted. */
void sk_api_child_sponsors(sk_req *r)
{
    sk_str id = r->params[0];
    sk_subject *subject = NULL;
    sk_request rs, rh;
    sk_decision ds, dh;
    sk_buf view;
    sk_diag diag;
    sk_err rc;

    rc = sk_api_load_subject(r, id, &subject);
    if (rc != SK_OK && rc != SK_ERR_NOT_FOUND)
        return;
    sk_api_decide(r, SK_ACTION_READ, SK_ENTITY_SPONSOR, sk_view_fields(SK_ENTITY_SPONSOR), subject,
                  0, &rs, &ds);
    sk_api_decide(r, SK_ACTION_READ, SK_ENTITY_HOUSEHOLD_MEMBER,
                  sk_view_fields(SK_ENTITY_HOUSEHOLD_MEMBER), subject, 0, &rh, &dh);
    if (!ds.permit && !dh.permit) {
        rc = sk_api_audit_decision(r, &rh, &dh, subject ? id : SK_STR_NULL);
        if (rc == SK_OK)
            sk_api_forbidden(r, &rs, &ds, subject ? id : SK_STR_NULL);
        else
            sk_api_problem_err(r, rc, NULL);
        return;
    }
    if (subject == NULL) {
        sk_api_problem(r, 404, "not-found", "no child with that id");
        return;
    }
    sk_diag_clear(&diag);
    sk_buf_init(&view, CHILD_VIEW_MAX);
    rc = sk_view_sponsors(sk_api_store(r), r->api->keyring, id, ds.permit, ds.fields, dh.permit,
                          dh.fields, r->arena, &view, &diag);
    if (rc == SK_OK)
        rc = sk_api_audit_decision(r, &rs, &ds, id);
    if (rc == SK_OK)
        rc = sk_api_audit_decision(r, &rh, &dh, id);
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, "{\"sponsors\":");
    if (rc == SK_OK)
        rc = sk_buf_append_str(&r->out, sk_buf_str(&view));
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, ",\"disclosure\":{\"sponsor\":");
    if (rc == SK_OK)
        rc = ds.permit ? sk_api_disclosure_json(&ds, &r->out) : sk_buf_appendc(&r->out, "null");
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, ",\"household_member\":");
    if (rc == SK_OK)
        rc = dh.permit ? sk_api_disclosure_json(&dh, &r->out) : sk_buf_appendc(&r->out, "null");
    if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, "}}");
    if (rc == SK_OK)
        sk_api_json(r, 200);
    else
        sk_api_problem_err(r, rc, &diag);
    sk_buf_fini(&view);
}

/* ---- listings ---- */

/* Child ids of one page, copied out of the store's callbacks. */
typedef struct page {
    sk_req *r;
    char (*ids)[SK_ID_LEN_MAX + 1];
    sk_child_row *rows;
    size_t n, cap;
    sk_err rc;
} page;

static sk_err copy_str(sk_arena *a, sk_str in, sk_str *out)
{
    return sk_arena_strdup(a, in, out);
}

static int on_row(const sk_child_row *row, void *vctx)
{
    page *pg = vctx;
    sk_child_row *c;
    sk_err rc = SK_OK;

    if (pg->n == pg->cap)
        return 1;
    c = &pg->rows[pg->n];
    *c = *row;
    rc = copy_str(pg->r->arena, row->child_id, &c->child_id);
    if (rc == SK_OK)
        rc = copy_str(pg->r->arena, row->custody, &c->custody);
    if (rc == SK_OK)
        rc = copy_str(pg->r->arena, row->court, &c->court);
    if (rc == SK_OK)
        rc = copy_str(pg->r->arena, row->country, &c->country);
    if (rc == SK_OK)
        rc = copy_str(pg->r->arena, row->language, &c->language);
    if (rc == SK_OK)
        rc = copy_str(pg->r->arena, row->facility, &c->facility);
    pg->rc = rc;
    if (rc != SK_OK)
        return 1;
    pg->n++;
    return 0;
}

static sk_err page_init(sk_req *r, page *pg, size_t cap)
{
    void *p;
    sk_err rc;

    memset(pg, 0, sizeof(*pg));
    pg->r = r;
    pg->cap = cap;
    rc = sk_arena_alloc(r->arena, cap * sizeof(*pg->rows), &p);
    if (rc == SK_OK)
        pg->rows = p;
    return rc;
}

/* Judges each row, renders the permitted ones; 403 when rows matched but
 * none may be seen, or when nothing matched and the requester could not
 * have seen a match anyway. */
static void respond_page(sk_req *r, page *pg, uint32_t limit, uint64_t offset, int more)
{
    sk_request req, first_req;
    sk_decision d, first_deny;
    sk_subject *subject;
    uint64_t fields;
    size_t i, shown = 0;
    int denied = 0;
    sk_err rc = SK_OK;

    if (!requested_fields(r, SK_ENTITY_CHILD, &fields))
        return;
    rc = sk_buf_appendc(&r->out, "{\"children\":[");
    for (i = 0; rc == SK_OK && i < pg->n; i++) {
        rc = sk_api_load_subject(r, pg->rows[i].child_id, &subject);
        if (rc == SK_ERR_NOT_FOUND) {
            rc = SK_OK;
            subject = NULL;
        }
        if (rc != SK_OK)
            return; /* the problem is prepared */
        sk_api_decide(r, SK_ACTION_READ, SK_ENTITY_CHILD, fields, subject, 0, &req, &d);
        rc = sk_api_audit_decision(r, &req, &d, pg->rows[i].child_id);
        if (rc == SK_OK && !d.permit && !denied) {
            denied = 1;
            first_deny = d;
            first_req = req;
        }
        if (rc == SK_OK && d.permit) {
            rc = sk_buf_append(&r->out, ",", shown ? 1 : 0);
            if (rc == SK_OK)
                rc = sk_view_child_row(&pg->rows[i], d.fields, &r->out);
            shown++;
        }
    }
    /* Even "nothing matched" answers a question about people: recorded. */
    if (rc == SK_OK && pg->n == 0) {
        sk_api_decide(r, SK_ACTION_READ, SK_ENTITY_CHILD, fields, NULL, 0, &req, &d);
        if (!d.permit) {
            sk_api_forbidden(r, &req, &d, SK_STR_NULL);
            return;
        }
        rc = sk_api_audit_decision(r, &req, &d, SK_STR_NULL);
    }
    if (rc == SK_OK && shown == 0 && denied) {
        sk_api_deny_response(r, &first_req, &first_deny); /* each denial is recorded */
        return;
    }
    if (rc == SK_OK)
        rc = sk_buf_printf(&r->out, "],\"limit\":%u,\"offset\":%llu,\"next_offset\":", limit,
                           (unsigned long long)offset);
    if (rc == SK_OK && more)
        rc = sk_buf_printf(&r->out, "%llu}", (unsigned long long)(offset + limit));
    else if (rc == SK_OK)
        rc = sk_buf_appendc(&r->out, "null}");
    if (rc == SK_OK)
        sk_api_json(r, 200);
    else
        sk_api_problem_err(r, rc, NULL);
}

static int filters(sk_req *r, sk_child_filter *f)
{
    const char *custody = sk_api_query(r, "custody"), *court = sk_api_query(r, "court");
    const char *country = sk_api_query(r, "country"), *facility = sk_api_query(r, "facility");
    sk_custody cu;
    sk_court co;

    memset(f, 0, sizeof(*f));
    if (custody != NULL && sk_custody_parse(sk_str_c(custody), &cu) != SK_OK) {
        sk_api_problem(r, 400, "bad-request", "custody: expected a custody status (docs/api.md)");
        return 0;
    }
    f->custody = custody ? (int)cu + 1 : 0;
    if (court != NULL && sk_court_parse(sk_str_c(court), &co) != SK_OK) {
        sk_api_problem(r, 400, "bad-request", "court: expected a court status (docs/api.md)");
        return 0;
    }
    f->court = court ? (int)co + 1 : 0;
    if (country != NULL && !sk_country_valid(sk_str_c(country))) {
        sk_api_problem(r, 400, "bad-request", "country: expected an ISO 3166-1 alpha-2 code");
        return 0;
    }
    if (country != NULL)
        memcpy(f->country, country, 3);
    if (facility != NULL && (strlen(facility) == 0 || strlen(facility) > SK_ID_LEN_MAX)) {
        sk_api_problem(r, 400, "bad-request", "facility: expected a facility id");
        return 0;
    }
    if (facility != NULL)
        snprintf(f->facility, sizeof(f->facility), "%s", facility);
    return sk_api_date_param(r, "apprehended_from", &f->apprehended_from) &&
           sk_api_date_param(r, "apprehended_to", &f->apprehended_to);
}

void sk_api_children_list(sk_req *r)
{
    sk_child_filter f;
    sk_diag diag;
    page pg;
    uint32_t limit;
    uint64_t offset;
    sk_err rc;

    if (!filters(r, &f) || !sk_api_paging(r, &limit, &offset))
        return;
    f.limit = limit + 1; /* one more tells whether there is a next page */
    f.offset = offset;
    sk_diag_clear(&diag);
    rc = page_init(r, &pg, limit + 1u);
    if (rc == SK_OK)
        rc = sk_store_children_list(sk_api_store(r), &f, on_row, &pg, &diag);
    if (rc == SK_OK)
        rc = pg.rc;
    if (rc != SK_OK) {
        sk_api_problem_err(r, rc, &diag);
        return;
    }
    {
        int more = pg.n > limit;
        pg.n -= (size_t)more;
        respond_page(r, &pg, limit, offset, more);
    }
}

typedef struct found_ctx {
    sk_req *r;
    page *pg;
} found_ctx;

/* An A-number may belong to a sponsor as well as a child: keep children. */
static int on_person(const sk_child_row *person, void *vctx)
{
    found_ctx *fc = vctx;
    sk_err rc = sk_store_child_get(sk_api_store(fc->r), person->child_id, on_row, fc->pg, NULL);

    if (rc != SK_OK && rc != SK_ERR_NOT_FOUND)
        fc->pg->rc = rc;
    return fc->pg->rc != SK_OK || fc->pg->n == fc->pg->cap;
}

/* The body has exactly one key, name; an unknown key is named by its JSON
 * pointer (RFC 6901: '~' and '/' escaped). */
static int only_key(sk_req *r, json_t *root, const char *name)
{
    const char *key;
    json_t *value;
    sk_buf ptr;
    int ok = 1;

    json_object_foreach(root, key, value)
    {
        (void)value;
        if (strcmp(key, name) == 0 || !ok)
            continue;
        ok = 0;
        sk_buf_init(&ptr, 256);
        if (sk_buf_append(&ptr, "/", 1) != SK_OK)
            break;
        /* key drives the iteration: walk a copy of the pointer. */
        for (const char *k = key; *k != '\0' && ptr.len < 200; k++) {
            const char *esc = *k == '~' ? "~0" : *k == '/' ? "~1" : NULL;
            if ((esc ? sk_buf_appendc(&ptr, esc) : sk_buf_append(&ptr, k, 1)) != SK_OK)
                break;
        }
        sk_api_problem_invalid(r, ptr.ptr, "unknown key: the body takes only a_number");
        sk_buf_fini(&ptr);
    }
    if (ok && json_object_get(root, name) == NULL) {
        sk_api_problem_invalid(r, "/a_number", "required");
        ok = 0;
    }
    return ok;
}

void sk_api_children_search(sk_req *r)
{
    json_error_t jerr;
    json_t *root = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *anum;
    found_ctx fc;
    sk_diag diag;
    page pg;
    sk_err rc;

    if (root == NULL || !json_is_object(root)) {
        sk_api_problem(r, 400, "invalid-json", "the body must be a JSON object");
        goto out;
    }
    if (!only_key(r, root, "a_number"))
        goto out;
    anum = json_object_get(root, "a_number");
    if (!json_is_string(anum)) {
        sk_api_problem_invalid(r, "/a_number", "expected the A-number as a string");
        goto out;
    }
    sk_diag_clear(&diag);
    rc = page_init(r, &pg, 16);
    fc.r = r;
    fc.pg = &pg;
    if (rc == SK_OK)
        rc = sk_identity_find_anumber(sk_api_store(r), r->api->keyring,
                                      (sk_str){json_string_value(anum), json_string_length(anum)},
                                      on_person, &fc, &diag);
    if (rc == SK_OK)
        rc = pg.rc;
    if (rc == SK_ERR_INVALID)
        sk_api_problem_invalid(r, "/a_number", "expected an A-number: 8 or 9 digits");
    else if (rc != SK_OK)
        sk_api_problem_err(r, rc, &diag);
    else
        respond_page(r, &pg, (uint32_t)pg.cap, 0, 0);
out:
    json_decref(root);
}
