/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_merkle.h: the Merkle tree of Certificate Transparency (RFC 9162 §2.1,
 * identical to RFC 6962 §2.1) over the records of the audit log.
 *
 * A record's leaf hash is SHA-256(0x00 || record) and an interior node's hash
 * is SHA-256(0x01 || left || right); MTH of a list splits it at the largest
 * power of two below its length, and the tree of no leaves hashes to
 * SHA-256(""). The log keeps leaf hashes on disk: the writer maintains the
 * root incrementally with a frontier, and proofs read leaf hashes back through
 * a callback. Verifiers take every argument as untrusted input.
 *
 * Nothing here allocates or keeps global state: every function is thread-safe
 * as long as no two threads use the same frontier or proof at once.
 */
#ifndef SK_MERKLE_H
#define SK_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "safekeep/sk_core.h"

/* Bytes of every hash in the tree (SHA-256). */
#define SK_HASH_BYTES 32

/*
 * The largest tree the proof functions accept: 2^63 leaves. Up to that size
 * an inclusion proof has at most 63 hashes and a consistency proof at most
 * 64 (one more than the tree's height when the old tree is not a complete
 * subtree), so SK_MERKLE_PROOF_MAX always suffices. Beyond it a consistency
 * proof could need 65 hashes; no log comes near either number.
 */
#define SK_MERKLE_SIZE_MAX  ((uint64_t)1 << 63)
#define SK_MERKLE_PROOF_MAX 64

/*
 * The leaf hash of an entry: SHA-256(0x00 || data) into out. data may be NULL
 * when len is 0. Never fails; thread-safe.
 */
void sk_merkle_leaf_hash(const void *data, size_t len, unsigned char out[SK_HASH_BYTES]);

/*
 * The hash of an interior node: SHA-256(0x01 || left || right) into out. out
 * may alias left or right (the inputs are read before out is written). Never
 * fails; thread-safe.
 */
void sk_merkle_node_hash(const unsigned char left[SK_HASH_BYTES],
                         const unsigned char right[SK_HASH_BYTES],
                         unsigned char out[SK_HASH_BYTES]);

/*
 * The right edge of an append-only tree: for every bit i set in size,
 * nodes[i] is the hash of a complete subtree of 2^i leaves, the largest
 * leftmost. That is all an append needs (O(1) node hashes amortised, at most
 * 63) and all the root needs (one node hash per further set bit). Entries of
 * nodes[] whose bit is clear are stale and never read.
 *
 * A plain value in caller-owned storage (2056 bytes): copy it by assignment
 * to keep a snapshot. Read size freely; change the fields only through the
 * functions below.
 */
typedef struct sk_merkle_frontier {
    uint64_t size; /* leaves appended so far */
    unsigned char nodes[64][SK_HASH_BYTES];
} sk_merkle_frontier;

/* Makes f the frontier of the empty tree. Never fails. */
void sk_merkle_frontier_init(sk_merkle_frontier *f);

/*
 * Appends one leaf, given by its leaf hash (sk_merkle_leaf_hash), borrowed for
 * the call. f->size must be below SK_MERKLE_SIZE_MAX (asserted: a log cannot
 * reach it). Never fails.
 */
void sk_merkle_frontier_append(sk_merkle_frontier *f, const unsigned char leaf_hash[SK_HASH_BYTES]);

/*
 * The root MTH of the f->size leaves appended so far into out: SHA-256("")
 * for the empty tree, the leaf hash itself for one leaf. Costs one node hash
 * per set bit of f->size beyond the lowest. Never fails.
 */
void sk_merkle_frontier_root(const sk_merkle_frontier *f, unsigned char out[SK_HASH_BYTES]);

/*
 * Reads the leaf hash of entry index (0-based) into out. Called only with
 * indices below the size the caller asked about, in increasing order within
 * one subtree. Any code other than SK_OK aborts the operation and is returned
 * unchanged to its caller (a missing entry is best SK_ERR_NOT_FOUND, a failed
 * read SK_ERR_IO).
 */
typedef sk_err (*sk_merkle_leaf_fn)(uint64_t index, unsigned char out[SK_HASH_BYTES], void *ctx);

/*
 * MTH(D[begin:end]), the hash of the list of entries begin .. end - 1 read
 * through leaf (ctx is passed through, borrowed), into out; SHA-256("") when
 * begin == end. The walk is iterative (a local frontier of 2 KB on the stack,
 * no recursion): end - begin leaf reads and as many node hashes. That is the
 * hash of a subtree when the range is one (RFC 9162 splits lists only at
 * powers of two) and the root of the tree of the first end entries when
 * begin is 0.
 *
 * SK_ERR_INVALID when begin > end, SK_ERR_TOO_LARGE when end exceeds
 * SK_MERKLE_SIZE_MAX, or the first error of leaf. out is zeroed on error.
 */
SK_NODISCARD sk_err sk_merkle_range_root(uint64_t begin, uint64_t end, sk_merkle_leaf_fn leaf,
                                         void *ctx, unsigned char out[SK_HASH_BYTES]);

/*
 * The root MTH(D[0:size]) of the tree of the first size entries into out
 * (SHA-256("") for size 0). The same as sk_merkle_range_root(0, size, ...):
 * size leaf reads and as many node hashes. SK_ERR_TOO_LARGE when size exceeds
 * SK_MERKLE_SIZE_MAX, or the first error of leaf; out is zeroed on error.
 */
SK_NODISCARD sk_err sk_merkle_root(uint64_t size, sk_merkle_leaf_fn leaf, void *ctx,
                                   unsigned char out[SK_HASH_BYTES]);

/*
 * The inclusion proof PATH(index, D[0:size]) of RFC 9162 §2.1.3.1: *count
 * hashes into proof[0 .. *count - 1] (caller-owned), the hash nearest the
 * leaf first; *count is 0 for a tree of one leaf. Cost: size - 1 leaf reads
 * and about as many node hashes, since every entry but index lies in exactly
 * one subtree of the proof; the walk from the root down is iterative.
 *
 * SK_ERR_INVALID when size is 0 or index >= size, SK_ERR_TOO_LARGE when size
 * exceeds SK_MERKLE_SIZE_MAX, or the first error of leaf. On error *count is
 * 0 and the contents of proof are unspecified.
 */
SK_NODISCARD sk_err
sk_merkle_inclusion_proof(uint64_t index, uint64_t size, sk_merkle_leaf_fn leaf, void *ctx,
                          unsigned char proof[SK_MERKLE_PROOF_MAX][SK_HASH_BYTES], size_t *count);

/*
 * The consistency proof PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1:
 * *count hashes into proof (caller-owned), in the RFC's order. Equal sizes
 * give the empty proof without reading anything. Cost: at most new_size leaf
 * reads and about as many node hashes (the subtrees of the proof are
 * disjoint); iterative.
 *
 * old_size 0 is refused with SK_ERR_INVALID: RFC 9162 defines proofs only
 * for 0 < old_size, and the empty tree commits to nothing that could be
 * checked (sk_merkle_verify_consistency rejects it likewise). Also
 * SK_ERR_INVALID when old_size > new_size, SK_ERR_TOO_LARGE when new_size
 * exceeds SK_MERKLE_SIZE_MAX, or the first error of leaf. On error *count is
 * 0 and the contents of proof are unspecified.
 */
SK_NODISCARD sk_err
sk_merkle_consistency_proof(uint64_t old_size, uint64_t new_size, sk_merkle_leaf_fn leaf, void *ctx,
                            unsigned char proof[SK_MERKLE_PROOF_MAX][SK_HASH_BYTES], size_t *count);

/*
 * 1 when the count hashes of proof show that the entry with leaf hash
 * leaf_hash is entry index of the tree of size entries with root root
 * (RFC 9162 §2.1.3.2), else 0. The values may all be hostile: index >= size,
 * size 0 or above SK_MERKLE_SIZE_MAX, and a count other than the exact length
 * the algorithm consumes for (index, size) (so anything above
 * SK_MERKLE_PROOF_MAX) give 0 before any hashing. The memory must be valid:
 * proof holds count hashes (it may be NULL when count is 0), the other
 * pointers are asserted non-NULL. At most 63 node hashes. Thread-safe.
 *
 * The hashes do not commit to size: a proof valid for (index, size) also
 * verifies, against the same root, for another size or index whose path
 * has the same shape (index 0 of 3 and of 4 leaves, say). As in RFC 9162,
 * take (size, root) together from one signed tree head, never separately.
 *
 * With gcc in C11, a non-const array argument needs a cast to
 * (const unsigned char (*)[SK_HASH_BYTES]): ISO C before C2x does not add
 * const to a pointer to an array implicitly.
 */
int sk_merkle_verify_inclusion(uint64_t index, uint64_t size,
                               const unsigned char leaf_hash[SK_HASH_BYTES],
                               const unsigned char proof[][SK_HASH_BYTES], size_t count,
                               const unsigned char root[SK_HASH_BYTES]);

/*
 * 1 when the count hashes of proof show that the tree of old_size entries
 * with root old_root is a prefix of the tree of new_size entries with root
 * new_root (RFC 9162 §2.1.4.2), else 0. Equal sizes are consistent exactly
 * when count is 0 and the roots are equal. old_size 0 gives 0 (see
 * sk_merkle_consistency_proof), as do old_size > new_size, new_size above
 * SK_MERKLE_SIZE_MAX and a count other than the exact length the algorithm
 * consumes, all before any hashing. Memory as for sk_merkle_verify_inclusion,
 * and the sizes, like it, must each come with their root from a signed tree
 * head (2 -> 3 and 2 -> 4 leaves have proofs of the same shape). At most
 * 2 * 63 node hashes. Thread-safe.
 */
int sk_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                                 const unsigned char old_root[SK_HASH_BYTES],
                                 const unsigned char new_root[SK_HASH_BYTES],
                                 const unsigned char proof[][SK_HASH_BYTES], size_t count);

#endif /* SK_MERKLE_H */
