/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_ledger_seal.h: the ledger of events made tamper-evident by the same
 * mechanism as the audit log: each row carries a chain hash over its
 * canonical bytes and every row before it, and each committed transaction
 * records an Ed25519-signed RFC 9162 tree head over all rows so far. One
 * mechanism, two logs: an administrator with the SQLite file but without the
 * key cannot alter, delete, reorder or insert a row unnoticed.
 */
#ifndef SK_LEDGER_SEAL_H
#define SK_LEDGER_SEAL_H

#include "safekeep/sk_buf.h"
#include "safekeep/sk_crypto.h"
#include "safekeep/sk_merkle.h"
#include "safekeep/sk_store.h"

/* The running state of the ledger's tree: a caller-owned value. */
typedef struct sk_ledger_seal {
    sk_merkle_frontier frontier;
    unsigned char chain[32];
    uint64_t sealed_size; /* rows covered by the last recorded head */
    sk_buf scratch;       /* canonical bytes of one row */
} sk_ledger_seal;

/* Loads the state saved by the last commit (an empty tree for a new
 * database). Must be called inside the transaction that appends. */
SK_NODISCARD sk_err sk_ledger_seal_load(sk_store *store, sk_ledger_seal *seal, sk_diag *diag);

/* Frees the scratch buffer. */
void sk_ledger_seal_fini(sk_ledger_seal *seal);

/* Sets row->chain for the next row and adds its leaf to the tree. */
SK_NODISCARD sk_err sk_ledger_seal_row(sk_ledger_seal *seal, sk_ledger_row *row);

/* When rows were added since the load: signs a tree head over all rows,
 * records it and saves the state, in the caller's transaction. */
SK_NODISCARD sk_err sk_ledger_seal_commit(sk_ledger_seal *seal, sk_store *store,
                                          const sk_keyring *keyring, sk_diag *diag);

/* Recomputes every row's chain hash and every head's root, chain and
 * signature. SK_ERR_CRYPTO with *bad_seq (the ledger sequence number of the
 * first row that does not match) and a diagnostic on the first problem. */
SK_NODISCARD sk_err sk_ledger_verify(sk_store *store, const sk_keyring *keyring, uint64_t *rows,
                                     uint64_t *heads, uint64_t *bad_seq, sk_diag *diag);

#endif /* SK_LEDGER_SEAL_H */
