/* SPDX-License-Identifier: Apache-2.0 */
/*
 * identity.c: the "identity" object of a person in a view.
 *
 * A person's identity lives only in its sealed record. It is unsealed only
 * when the mask discloses at least one identity key, so that a view without
 * them never holds a name in memory. The plaintext is wiped as soon as the
 * disclosed keys are copied into the output; jansson frees through the
 * wiping allocator that sk_identity_get installs.
 */
#include "view_int.h"

#include <jansson.h>

#include "safekeep/sk_ingest.h"

#include "sk_int.h"

#define IDENTITY_MAX 8192

int sk_view_identity_shown(const view_rules *rules, uint64_t fields)
{
    size_t k;

    for (k = 0; k < VIEW_IDENTITY_KEYS; k++) {
        if (view_allowed(rules->identity_req[k], fields))
            return 1;
    }
    return 0;
}

static void write_keys(view_writer *w, const view_rules *rules, uint64_t fields, const json_t *rec)
{
    const json_t *v;
    size_t k;

    sk_vw_key(w, "identity");
    sk_vw_open(w, '{');
    for (k = 0; k < VIEW_IDENTITY_KEYS; k++) {
        if (!view_allowed(rules->identity_req[k], fields))
            continue;
        sk_vw_key(w, sk_view_identity_keys[k]);
        v = rec != NULL ? json_object_get(rec, sk_view_identity_keys[k]) : NULL;
        if (json_is_string(v) && json_string_length(v) > 0)
            sk_vw_str(w, (sk_str){json_string_value(v), json_string_length(v)});
        else
            sk_vw_null(w);
    }
    sk_vw_close(w, '{');
}

sk_err sk_view_identity(view_writer *w, const view_rules *rules, uint64_t fields, sk_store *store,
                        sk_keyring *keyring, sk_str person_id, sk_diag *diag)
{
    char plain[IDENTITY_MAX];
    json_error_t jerr;
    json_t *rec = NULL;
    sk_err rc;

    if (!sk_view_identity_shown(rules, fields))
        return SK_OK;
    rc = sk_identity_get(store, keyring, person_id, plain, sizeof(plain), diag);
    if (rc == SK_ERR_NOT_FOUND) {
        rc = SK_OK; /* no identity recorded: every disclosed key is null */
        plain[0] = '\0';
    }
    if (rc != SK_OK)
        goto out;
    if (plain[0] != '\0') {
        rec = json_loads(plain, 0, &jerr);
        if (rec == NULL) {
            rc = sk_diag_set(diag, SK_ERR_CRYPTO, "identity", "a person record is corrupt");
            goto out;
        }
    }
    write_keys(w, rules, fields, rec);
out:
    json_decref(rec);
    sk_wipe(plain, sizeof(plain));
    return rc;
}
