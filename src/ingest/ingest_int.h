/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest_int.h: what the ingest module's files share.
 */
#ifndef SK_INGEST_INT_H
#define SK_INGEST_INT_H

#include "safekeep/sk_ingest.h"

/* Merges ev's identity fields (if any) into the person record they belong
 * to, reseals it, and adds its blind-index entries. */
SK_NODISCARD sk_err sk_identity_record(sk_store *store, sk_keyring *keyring, const sk_event *ev,
                                       sk_diag *diag);

/* Makes jansson wipe the memory it frees (it holds personal data while a
 * record is parsed). Idempotent; call before any jansson use. */
void sk_json_init(void);

#endif /* SK_INGEST_INT_H */
