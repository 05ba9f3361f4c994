/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_policy_store.h: policy kept in the ledger. Adopting a policy file
 * stores its text (append-only, under a hash of the text) and records a
 * policy_adopted event; rescinding records a policy_rescinded event. The
 * policy in force is therefore rebuilt from the ledger, and any past
 * decision can be replayed against the versions in force on its date.
 */
#ifndef SK_POLICY_STORE_H
#define SK_POLICY_STORE_H

#include "safekeep/sk_ingest.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_store.h"

#define SK_POLICY_FILE_BYTES_MAX (1024 * 1024)
#define SK_POLICY_DOCS_MAX       256

/* Compiles the policy adopted in store, with every rescission applied.
 * An empty ledger gives an empty policy (which denies everything). */
SK_NODISCARD sk_err sk_policy_load(sk_store *store, sk_policy **out, sk_diag *diag);

/*
 * Adopts policy files inside ing's open transaction: each file is parsed,
 * and all of them are compiled together with the policy already adopted
 * (so names resolve and no id and version repeats) before anything is
 * written. agency and user record who adopted them. All or nothing with
 * the caller's transaction; diag names file and line.
 */
SK_NODISCARD sk_err sk_policy_adopt_files(sk_ingest *ing, sk_store *store, const char *const *paths,
                                          size_t count, sk_str agency, sk_str user, sk_diag *diag);

/* Records that rule id stops being in force on the given day. SK_ERR_NOT_FOUND
 * when no version of id takes effect before that day. */
SK_NODISCARD sk_err sk_policy_record_rescind(sk_ingest *ing, sk_store *store, sk_str id, int64_t on,
                                             sk_str agency, sk_str user, sk_diag *diag);

#endif /* SK_POLICY_STORE_H */
