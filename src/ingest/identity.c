/* SPDX-License-Identifier: Apache-2.0 */
/*
 * identity.c: person records and blind indexes.
 *
 * Each person (child, sponsor, household member) has one sealed record: a
 * JSON object of identity fields, merged from every event that carried some,
 * later events overriding earlier ones in the order they were recorded. It is
 * sealed with the person id as associated data, so a record cannot be moved
 * to another person unnoticed. Lookups go through keyed blind indexes of the
 * normalised A-number and of normalised name + birth date; plaintext
 * identifiers are never stored, compared in SQL, or logged. Plaintext buffers
 * are wiped before they are freed.
 */
#include "ingest_int.h"

#include <jansson.h>
#include <pthread.h>

#include "safekeep/sk_link.h"

#include "sk_int.h"

#define IDENTITY_MAX 8192

static void *wiping_malloc(size_t size)
{
    size_t *p = malloc(size + sizeof(size_t) * 2);
    if (p == NULL)
        return NULL;
    p[0] = size;
    return p + 2; /* two words keep max_align_t alignment on LP64 */
}

static void wiping_free(void *ptr)
{
    size_t *p;

    if (ptr == NULL)
        return;
    p = (size_t *)ptr - 2;
    sk_wipe(ptr, p[0]);
    free(p);
}

static pthread_once_t json_once = PTHREAD_ONCE_INIT;

static void json_setup(void)
{
    json_set_alloc_funcs(wiping_malloc, wiping_free);
}

void sk_json_init(void)
{
    pthread_once(&json_once, json_setup);
}

/* Which person an event's identity fields describe. */
static void identity_owner(const sk_event *ev, sk_str *person, const char **kind)
{
    const sk_value *v;

    *person = ev->subjects[0];
    *kind = "child";
    switch (ev->type) {
    case SK_EV_SPONSOR_APPLICATION:
        *person = sk_event_get(ev, "sponsor_id")->text;
        *kind = "sponsor";
        break;
    case SK_EV_HOUSEHOLD_MEMBER:
        *person = sk_event_get(ev, "member_id")->text;
        *kind = "household_member";
        break;
    case SK_EV_CHANGE_OF_ADDRESS:
        v = sk_event_get(ev, "person_id");
        if (v != NULL) {
            *person = v->text;
            *kind = "person";
        }
        break;
    default:
        break;
    }
}

static sk_err load_record(sk_store *store, sk_keyring *keyring, sk_str person, json_t **out,
                          sk_diag *diag)
{
    unsigned char sealed[IDENTITY_MAX + SK_SEAL_OVERHEAD];
    char plain[IDENTITY_MAX + 1];
    json_error_t jerr;
    size_t len = 0;
    sk_err rc;

    *out = NULL;
    rc = sk_store_person_get(store, person, sealed, sizeof(sealed), &len, diag);
    if (rc != SK_OK)
        return rc;
    rc = sk_unseal(keyring, sealed, len, person, (unsigned char *)plain);
    if (rc != SK_OK)
        return sk_diag_set(diag, rc, "identity", "a person record failed to authenticate");
    plain[len - SK_SEAL_OVERHEAD] = '\0';
    *out = json_loadb(plain, len - SK_SEAL_OVERHEAD, 0, &jerr);
    sk_wipe(plain, sizeof(plain));
    if (*out == NULL)
        return sk_diag_set(diag, SK_ERR_CRYPTO, "identity", "a person record is corrupt");
    return SK_OK;
}

/* Indexes what the update touched: an address change leaves the A-number
 * and name entries as they were, and re-putting them costs two B-tree probes. */
static sk_err index_record(sk_store *store, sk_keyring *keyring, json_t *rec, json_t *update,
                           sk_str person, sk_diag *diag)
{
    int names = json_object_get(update, "given_name") != NULL ||
                json_object_get(update, "family_name") != NULL ||
                json_object_get(update, "dob") != NULL;
    const char *anum = json_string_value(json_object_get(rec, "a_number"));
    const char *given = json_string_value(json_object_get(rec, "given_name"));
    const char *family = json_string_value(json_object_get(rec, "family_name"));
    const char *dob = json_string_value(json_object_get(rec, "dob"));
    unsigned char hash[SK_BLIND_BYTES];
    char key[SK_NAME_NORM_MAX * 2 + 16];
    sk_err rc = SK_OK;

    if (anum != NULL && json_object_get(update, "a_number") != NULL) {
        sk_blind_index(keyring, "anum", sk_str_c(anum), hash);
        rc = sk_store_blind_put(store, "anum", hash, sizeof(hash), person, diag);
    }
    if (rc == SK_OK && names && given != NULL && family != NULL && dob != NULL) {
        rc = sk_name_dob_key(sk_str_c(given), sk_str_c(family), sk_str_c(dob), key, sizeof(key));
        if (rc == SK_OK) {
            sk_blind_index(keyring, "name_dob", sk_str_c(key), hash);
            rc = sk_store_blind_put(store, "name_dob", hash, sizeof(hash), person, diag);
        }
        if (rc == SK_ERR_INVALID || rc == SK_ERR_TOO_LARGE)
            rc = SK_OK; /* a name that normalises to nothing is simply not indexed */
    }
    sk_wipe(key, sizeof(key));
    return rc;
}

static sk_err seal_and_store(sk_store *store, sk_keyring *keyring, json_t *rec, sk_str person,
                             const char *kind, sk_diag *diag)
{
    unsigned char sealed[IDENTITY_MAX + SK_SEAL_OVERHEAD];
    char *plain;
    size_t len;
    sk_err rc;

    plain = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    if (plain == NULL)
        return SK_ERR_NOMEM;
    len = strlen(plain);
    if (len > IDENTITY_MAX) {
        rc = sk_diag_set(diag, SK_ERR_TOO_LARGE, "identity", "person record over %d bytes",
                         IDENTITY_MAX);
    } else {
        rc = sk_seal(keyring, (sk_str){plain, len}, person, sealed);
        if (rc == SK_OK)
            rc = sk_store_person_put(store, person, kind, sealed, sk_seal_len(len), diag);
    }
    wiping_free(plain);
    return rc;
}

sk_err sk_identity_record(sk_store *store, sk_keyring *keyring, const sk_event *ev, sk_diag *diag)
{
    json_t *rec = NULL, *update = NULL;
    json_error_t jerr;
    const char *kind;
    sk_str person;
    sk_err rc;

    if (ev->identity_json.len <= 2)
        return SK_OK;
    identity_owner(ev, &person, &kind);
    update = json_loadb(ev->identity_json.ptr, ev->identity_json.len, 0, &jerr);
    if (update == NULL)
        return SK_ERR_NOMEM; /* rendered by us: only allocation can fail */
    rc = load_record(store, keyring, person, &rec, diag);
    if (rc == SK_ERR_NOT_FOUND) {
        rec = json_incref(update);
        rc = SK_OK;
    } else if (rc == SK_OK && json_object_update(rec, update) != 0) {
        rc = SK_ERR_NOMEM;
    }
    if (rc == SK_OK)
        rc = seal_and_store(store, keyring, rec, person, kind, diag);
    if (rc == SK_OK)
        rc = index_record(store, keyring, rec, update, person, diag);
    json_decref(rec);
    json_decref(update);
    return rc;
}

sk_err sk_identity_get(sk_store *store, sk_keyring *keyring, sk_str person_id, char *buf,
                       size_t buf_len, sk_diag *diag)
{
    json_t *rec = NULL;
    char *text;
    sk_err rc;

    sk_json_init();
    rc = load_record(store, keyring, person_id, &rec, diag);
    if (rc != SK_OK)
        return rc;
    text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(rec);
    if (text == NULL)
        return SK_ERR_NOMEM;
    if (strlen(text) + 1 > buf_len)
        rc = SK_ERR_TOO_LARGE;
    else
        memcpy(buf, text, strlen(text) + 1);
    wiping_free(text);
    return rc;
}

sk_err sk_identity_find_anumber(sk_store *store, sk_keyring *keyring, sk_str a_number,
                                sk_child_cb cb, void *ctx, sk_diag *diag)
{
    unsigned char hash[SK_BLIND_BYTES];
    char norm[SK_ANUM_LEN + 1];

    if (sk_normalize_anumber(a_number, norm) != SK_OK)
        return sk_diag_set(diag, SK_ERR_INVALID, "a_number", "expected 8 or 9 digits");
    sk_blind_index(keyring, "anum", sk_str_c(norm), hash);
    return sk_store_blind_find(store, "anum", hash, sizeof(hash), cb, ctx, diag);
}

sk_err sk_identity_find_name(sk_store *store, sk_keyring *keyring, sk_str given, sk_str family,
                             sk_str dob, sk_child_cb cb, void *ctx, sk_diag *diag)
{
    unsigned char hash[SK_BLIND_BYTES];
    char key[SK_NAME_NORM_MAX * 2 + 16];
    sk_err rc;

    rc = sk_name_dob_key(given, family, dob, key, sizeof(key));
    if (rc != SK_OK)
        return sk_diag_set(diag, SK_ERR_INVALID, "name", "expected a name and a date YYYY-MM-DD");
    sk_blind_index(keyring, "name_dob", sk_str_c(key), hash);
    sk_wipe(key, sizeof(key));
    return sk_store_blind_find(store, "name_dob", hash, sizeof(hash), cb, ctx, diag);
}
