/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event_json.c: the JSON form of an event, in and out.
 *
 * Input goes through jansson with duplicate keys rejected and a size limit
 * checked before parsing; every value is then handed to the same setters the
 * CSV path uses, so both formats validate identically. The stored payload
 * (non-identity fields only) is read back the same way when the ledger is
 * replayed.
 */
#include "safekeep/sk_model.h"

#include <jansson.h>

#include "safekeep/sk_buf.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

static sk_str jstr(const json_t *j)
{
    sk_str s = {json_string_value(j), json_string_length(j)};
    return s;
}

static sk_err set_payload_value(sk_event *ev, const char *key, json_t *val, sk_diag *diag)
{
    sk_str name = sk_str_c(key);

    if (json_is_string(val))
        return sk_event_set(ev, name, jstr(val), 0, diag);
    if (json_is_integer(val))
        return sk_event_set_num(ev, name, (int64_t)json_integer_value(val), diag);
    if (json_is_boolean(val))
        return sk_event_set_num(ev, name, json_is_true(val) ? 1 : 0, diag);
    if (json_is_null(val))
        return SK_OK; /* an explicit null is the same as an absent field */
    if (sk_event_field_index(ev->type, name) < 0)
        return sk_event_set(ev, name, SK_STR(""), 0, diag); /* reports the unknown field */
    return sk_diag_set(diag, SK_ERR_INVALID, key, "expected a string, integer or boolean");
}

static sk_err set_payload(sk_event *ev, json_t *payload, sk_diag *diag)
{
    const char *key;
    json_t *val;
    sk_err rc = SK_OK;

    if (!json_is_object(payload))
        return sk_diag_set(diag, SK_ERR_INVALID, "payload", "expected an object");
    json_object_foreach(payload, key, val)
    {
        rc = set_payload_value(ev, key, val, diag);
        if (rc != SK_OK)
            break;
    }
    return rc;
}

static sk_err required_string(json_t *root, const char *key, sk_str *out, sk_diag *diag)
{
    json_t *v = json_object_get(root, key);

    if (v == NULL)
        return sk_diag_set(diag, SK_ERR_INVALID, key, "required");
    if (!json_is_string(v))
        return sk_diag_set(diag, SK_ERR_INVALID, key, "expected a string");
    *out = jstr(v);
    return SK_OK;
}

static sk_err set_subjects(sk_event *ev, json_t *subjects, sk_diag *diag)
{
    size_t i;
    json_t *v;
    sk_err rc = SK_OK;

    if (!json_is_array(subjects) || json_array_size(subjects) == 0)
        return sk_diag_set(diag, SK_ERR_INVALID, "subjects",
                           "expected a non-empty array of ids, the child first");
    json_array_foreach(subjects, i, v)
    {
        if (!json_is_string(v))
            return sk_diag_set(diag, SK_ERR_INVALID, "subjects", "expected ids (strings)");
        rc = sk_event_add_subject(ev, jstr(v), diag);
        if (rc != SK_OK)
            break;
    }
    return rc;
}

static sk_err set_provenance(sk_event *ev, json_t *prov, sk_diag *diag)
{
    json_t *src, *ref, *rel;

    if (prov == NULL || json_is_null(prov))
        return SK_OK;
    if (!json_is_object(prov))
        return sk_diag_set(diag, SK_ERR_INVALID, "provenance", "expected an object");
    src = json_object_get(prov, "source");
    ref = json_object_get(prov, "ref");
    rel = json_object_get(prov, "reliability");
    if (!json_is_string(src) || (ref != NULL && !json_is_string(ref)) ||
        (rel != NULL && !json_is_string(rel)))
        return sk_diag_set(
            diag, SK_ERR_INVALID, "provenance",
            "expected {\"source\": ..., \"ref\": ..., \"reliability\": ...} strings");
    return sk_event_set_provenance(ev, jstr(src), ref ? jstr(ref) : SK_STR_NULL,
                                   rel ? jstr(rel) : SK_STR_NULL, diag);
}

static sk_err check_keys(json_t *root, sk_diag *diag)
{
    /* "seq" and "quality" are written by sk_event_to_json for stored events;
     * they are accepted and ignored so that an export can be re-imported
     * (the ledger assigns its own sequence and recomputes the flags). */
    static const char *const known[] = {"id",         "type", "occurred_at", "recorded_at",
                                        "agency",     "user", "subjects",    "payload",
                                        "provenance", "seq",  "quality"};
    const char *key;
    json_t *val;
    size_t i;

    json_object_foreach(root, key, val)
    {
        (void)val;
        for (i = 0; i < SK_ARRAY_LEN(known); i++) {
            if (strcmp(key, known[i]) == 0)
                break;
        }
        if (i == SK_ARRAY_LEN(known))
            return sk_diag_set(diag, SK_ERR_INVALID, "event",
                               "unknown key (expected id, type, occurred_at, recorded_at, agency, "
                               "user, subjects, payload, provenance; seq and quality are ignored)");
    }
    return SK_OK;
}

static sk_err fill(json_t *root, sk_arena *arena, int64_t now, sk_event *ev, sk_diag *diag)
{
    sk_str type, id, occurred, agency, user;
    sk_event_type t;
    json_t *rec;
    sk_err rc;

    rc = check_keys(root, diag);
    if (rc == SK_OK)
        rc = required_string(root, "type", &type, diag);
    if (rc != SK_OK)
        return rc;
    if (sk_event_type_parse(type, &t) != SK_OK)
        return sk_diag_set(diag, SK_ERR_INVALID, "type", "not an event type (docs/events.md)");
    sk_event_init(ev, t, arena);
    rc = required_string(root, "id", &id, diag);
    if (rc == SK_OK)
        rc = sk_event_set_id(ev, id, diag);
    if (rc == SK_OK)
        rc = required_string(root, "occurred_at", &occurred, diag);
    if (rc == SK_OK)
        rc = sk_event_set_time(ev, 0, occurred, diag);
    rec = json_object_get(root, "recorded_at");
    if (rc == SK_OK && rec != NULL) {
        if (!json_is_string(rec))
            return sk_diag_set(diag, SK_ERR_INVALID, "recorded_at", "expected a string");
        rc = sk_event_set_time(ev, 1, jstr(rec), diag);
    }
    if (rc == SK_OK)
        rc = required_string(root, "agency", &agency, diag);
    if (rc == SK_OK)
        rc = required_string(root, "user", &user, diag);
    if (rc == SK_OK)
        rc = sk_event_set_actor(ev, agency, user, diag);
    if (rc == SK_OK)
        rc = set_subjects(ev, json_object_get(root, "subjects"), diag);
    if (rc == SK_OK)
        rc = set_payload(ev, json_object_get(root, "payload"), diag);
    if (rc == SK_OK)
        rc = set_provenance(ev, json_object_get(root, "provenance"), diag);
    if (rc == SK_OK)
        rc = sk_event_finish(ev, now, diag);
    return rc;
}

sk_err sk_event_parse_json(sk_str line, sk_arena *arena, int64_t now, sk_event *ev, sk_diag *diag)
{
    json_error_t jerr;
    json_t *root = NULL;
    sk_err rc;

    SK_ASSERT(ev != NULL);
    SK_ASSERT(arena != NULL);
    if (line.len > SK_EVENT_LINE_MAX)
        return sk_diag_set(diag, SK_ERR_TOO_LARGE, "", "line longer than %d bytes",
                           SK_EVENT_LINE_MAX);
    root = json_loadb(line.ptr, line.len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        /* jansson's text may quote input; keep only its position. */
        rc = sk_diag_set(diag, SK_ERR_INVALID, "", "not valid JSON (at character %d)",
                         jerr.position);
        goto out;
    }
    if (!json_is_object(root)) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, "", "expected a JSON object");
        goto out;
    }
    rc = fill(root, arena, now, ev, diag);
out:
    json_decref(root);
    return rc;
}

sk_err sk_event_load_payload(sk_event *ev, sk_str payload_json, sk_diag *diag)
{
    json_error_t jerr;
    json_t *root;
    sk_err rc;

    SK_ASSERT(ev != NULL);
    root = json_loadb(payload_json.ptr, payload_json.len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return sk_diag_set(diag, SK_ERR_INVALID, "payload", "stored payload is not JSON");
    rc = set_payload(ev, root, diag);
    json_decref(root);
    return rc;
}

static sk_err append_kv_str(sk_buf *buf, const char *key, sk_str val)
{
    sk_err rc = sk_buf_printf(buf, ",\"%s\":", key);
    return rc == SK_OK ? sk_buf_json_str(buf, val) : rc;
}

static sk_err append_payload(const sk_event *ev, const sk_str *identity_json, sk_buf *buf)
{
    sk_str p = ev->payload_json;
    sk_err rc;

    rc = sk_buf_appendc(buf, ",\"payload\":");
    if (rc != SK_OK || identity_json == NULL || identity_json->len <= 2)
        return rc == SK_OK ? sk_buf_append_str(buf, p) : rc;
    /* Both are flat objects rendered by envelope.c: splice them. */
    rc = sk_buf_append(buf, p.ptr, p.len - 1);
    if (rc == SK_OK && p.len > 2)
        rc = sk_buf_append(buf, ",", 1);
    if (rc == SK_OK)
        rc = sk_buf_append(buf, identity_json->ptr + 1, identity_json->len - 1);
    return rc;
}

sk_err sk_event_to_json(const sk_event *ev, uint64_t seq, const sk_str *identity_json, sk_buf *buf)
{
    char occ[SK_RFC3339_LEN + 1], rec[SK_RFC3339_LEN + 1], dq[128];
    size_t i;
    sk_err rc;

    SK_ASSERT(ev != NULL);
    sk_time_format_rfc3339(ev->occurred_at, occ);
    sk_time_format_rfc3339(ev->recorded_at, rec);
    rc = sk_buf_printf(buf, "{\"id\":\"%s\"", ev->id);
    if (rc == SK_OK && seq > 0)
        rc = sk_buf_printf(buf, ",\"seq\":%llu", (unsigned long long)seq);
    if (rc == SK_OK)
        rc = sk_buf_printf(buf, ",\"type\":\"%s\",\"occurred_at\":\"%s\",\"recorded_at\":\"%s\"",
                           sk_event_def_get(ev->type)->name, occ, rec);
    if (rc == SK_OK)
        rc = append_kv_str(buf, "agency", ev->agency);
    if (rc == SK_OK)
        rc = append_kv_str(buf, "user", ev->user);
    if (rc == SK_OK)
        rc = sk_buf_appendc(buf, ",\"subjects\":[");
    for (i = 0; rc == SK_OK && i < ev->subject_count; i++) {
        rc = sk_buf_append(buf, ",", i ? 1 : 0);
        if (rc == SK_OK)
            rc = sk_buf_json_str(buf, ev->subjects[i]);
    }
    if (rc == SK_OK)
        rc = sk_buf_append(buf, "]", 1);
    if (rc == SK_OK)
        rc = append_payload(ev, identity_json, buf);
    if (rc == SK_OK)
        rc = sk_buf_printf(buf, ",\"provenance\":{\"source\":\"%.*s\"", (int)ev->prov.source.len,
                           ev->prov.source.ptr);
    if (rc == SK_OK && ev->prov.ref.len > 0)
        rc = append_kv_str(buf, "ref", ev->prov.ref);
    if (rc == SK_OK && ev->prov.reliability != 0)
        rc = sk_buf_printf(buf, ",\"reliability\":\"%c\"", ev->prov.reliability);
    if (rc == SK_OK && ev->dq_flags != 0) {
        sk_dq_format(ev->dq_flags, dq, sizeof(dq));
        rc = sk_buf_printf(buf, "},\"quality\":\"%s\"}", dq);
    } else if (rc == SK_OK) {
        rc = sk_buf_appendc(buf, "}}");
    }
    return rc;
}
