/* SPDX-License-Identifier: Apache-2.0 */
/*
 * merkle.c: the RFC 9162 Merkle tree (sk_merkle.h): leaf and node hashes, the
 * frontier that keeps an append-only root, proofs over leaf hashes read
 * through a callback, and the two verifiers.
 *
 * Design. RFC 9162 §2.1 defines MTH, PATH and PROOF recursively: split the
 * list at k, the largest power of two below its length, and recurse into the
 * side that holds the leaf (or the old tree's edge). The generators here walk
 * the same splits from the root down in a loop, push the hash of the sibling
 * range at each level, and reverse at the end, so the proof comes out deepest
 * first as the RFC writes it and the stack never grows with the tree. The
 * sibling ranges are disjoint, which bounds a proof's cost by the tree size;
 * each range hash is computed by streaming its leaves through a local
 * frontier (sk_merkle_range_root), which yields MTH of any list and not just
 * of complete subtrees, because appending leaf by leaf and folding the
 * frontier right to left rebuilds exactly the RFC's left-heavy splits.
 *
 * The verifiers transcribe RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, on
 * the counters fn and sn. How many proof hashes those loops consume depends
 * on the sizes alone, never on hash values, so walk_len() computes that
 * number first and a proof of any other length is refused before hashing;
 * the loops keep the RFC's own "sn is 0" check anyway. Every bound is explicit:
 * sizes up to SK_MERKLE_SIZE_MAX = 2^63 keep sn below 2^63, so the loops run
 * at most 63 times and no proof needs more than SK_MERKLE_PROOF_MAX hashes.
 */
#include "safekeep/sk_merkle.h"

#include <string.h>

#include "safekeep/sk_crypto.h"

#include "sk_int.h"

static_assert(SK_HASH_BYTES == SK_SHA256_BYTES, "the tree hashes with SHA-256");
static_assert(SK_MERKLE_PROOF_MAX >= 64, "a consistency proof at 2^63 leaves needs 64 hashes");

static const unsigned char LEAF_PREFIX = 0x00;
static const unsigned char NODE_PREFIX = 0x01;

void sk_merkle_leaf_hash(const void *data, size_t len, unsigned char out[SK_HASH_BYTES])
{
    SK_ASSERT(data != NULL || len == 0);
    SK_ASSERT(out != NULL);
    sk_sha256(&LEAF_PREFIX, 1, data, len, NULL, 0, out);
}

void sk_merkle_node_hash(const unsigned char left[SK_HASH_BYTES],
                         const unsigned char right[SK_HASH_BYTES], unsigned char out[SK_HASH_BYTES])
{
    unsigned char both[2 * SK_HASH_BYTES];

    SK_ASSERT(left != NULL);
    SK_ASSERT(right != NULL);
    SK_ASSERT(out != NULL);
    /* Copying first makes aliasing of out with an input harmless whatever
     * sk_sha256 does internally. */
    memcpy(both, left, SK_HASH_BYTES);
    memcpy(both + SK_HASH_BYTES, right, SK_HASH_BYTES);
    sk_sha256(&NODE_PREFIX, 1, both, sizeof(both), NULL, 0, out);
}

/* SHA-256 of the empty string: the root of the empty tree. */
static void empty_root(unsigned char out[SK_HASH_BYTES])
{
    sk_sha256(NULL, 0, NULL, 0, NULL, 0, out);
}

/* ------------------------------------------------------------------ frontier */

void sk_merkle_frontier_init(sk_merkle_frontier *f)
{
    SK_ASSERT(f != NULL);
    memset(f, 0, sizeof(*f));
}

void sk_merkle_frontier_append(sk_merkle_frontier *f, const unsigned char leaf_hash[SK_HASH_BYTES])
{
    unsigned char carry[SK_HASH_BYTES];
    unsigned level = 0;

    SK_ASSERT(f != NULL);
    SK_ASSERT(leaf_hash != NULL);
    SK_ASSERT(f->size < SK_MERKLE_SIZE_MAX);
    memcpy(carry, leaf_hash, SK_HASH_BYTES);
    /* Like a binary increment: every complete subtree the new leaf completes
     * is merged into its left neighbour of the same height. */
    while (((f->size >> level) & 1) != 0) {
        SK_ASSERT(level < 63);
        sk_merkle_node_hash(f->nodes[level], carry, carry);
        level++;
    }
    memcpy(f->nodes[level], carry, SK_HASH_BYTES);
    f->size++;
}

void sk_merkle_frontier_root(const sk_merkle_frontier *f, unsigned char out[SK_HASH_BYTES])
{
    unsigned level;

    SK_ASSERT(f != NULL);
    SK_ASSERT(out != NULL);
    if (f->size == 0) {
        empty_root(out);
        return;
    }
    /* Fold from the smallest subtree (rightmost) to the largest (leftmost):
     * each larger one is the left child, as in MTH's split at a power of 2. */
    level = (unsigned)__builtin_ctzll(f->size);
    memcpy(out, f->nodes[level], SK_HASH_BYTES);
    for (level++; level < 64; level++) {
        if (((f->size >> level) & 1) != 0)
            sk_merkle_node_hash(f->nodes[level], out, out);
    }
}

/* ---------------------------------------------------------------- generation */

sk_err sk_merkle_range_root(uint64_t begin, uint64_t end, sk_merkle_leaf_fn leaf, void *ctx,
                            unsigned char out[SK_HASH_BYTES])
{
    sk_err rc = SK_OK;
    sk_merkle_frontier f;
    unsigned char leaf_hash[SK_HASH_BYTES];

    SK_ASSERT(leaf != NULL);
    SK_ASSERT(out != NULL);
    if (begin > end) {
        rc = SK_ERR_INVALID;
        goto out;
    }
    if (end > SK_MERKLE_SIZE_MAX) {
        rc = SK_ERR_TOO_LARGE;
        goto out;
    }
    sk_merkle_frontier_init(&f);
    for (uint64_t i = begin; i < end; i++) {
        rc = leaf(i, leaf_hash, ctx);
        if (rc != SK_OK)
            goto out;
        sk_merkle_frontier_append(&f, leaf_hash);
    }
    SK_ASSERT(f.size == end - begin);
    sk_merkle_frontier_root(&f, out);
out:
    if (rc != SK_OK)
        memset(out, 0, SK_HASH_BYTES);
    return rc;
}

sk_err sk_merkle_root(uint64_t size, sk_merkle_leaf_fn leaf, void *ctx,
                      unsigned char out[SK_HASH_BYTES])
{
    return sk_merkle_range_root(0, size, leaf, ctx, out);
}

/* The largest power of two strictly below width (width >= 2): RFC 9162's k. */
static uint64_t split_point(uint64_t width)
{
    SK_ASSERT(width >= 2);
    return (uint64_t)1 << (63 - __builtin_clzll(width - 1));
}

/* The proof under construction: hashes pushed from the root down. */
typedef struct builder {
    unsigned char (*hashes)[SK_HASH_BYTES];
    size_t count;
} builder;

/* Hashes D[begin:end] into the next free slot. */
static sk_err push_range(builder *b, uint64_t begin, uint64_t end, sk_merkle_leaf_fn leaf,
                         void *ctx)
{
    SK_ASSERT(begin < end);
    SK_ASSERT(b->count < SK_MERKLE_PROOF_MAX);
    return sk_merkle_range_root(begin, end, leaf, ctx, b->hashes[b->count++]);
}

/* Pushed from the root down; the RFC lists proofs from the leaves up. */
static void reverse(builder *b)
{
    unsigned char tmp[SK_HASH_BYTES];

    for (size_t i = 0, j = b->count; i + 1 < j; i++, j--) {
        memcpy(tmp, b->hashes[i], SK_HASH_BYTES);
        memcpy(b->hashes[i], b->hashes[j - 1], SK_HASH_BYTES);
        memcpy(b->hashes[j - 1], tmp, SK_HASH_BYTES);
    }
}

sk_err sk_merkle_inclusion_proof(uint64_t index, uint64_t size, sk_merkle_leaf_fn leaf, void *ctx,
                                 unsigned char proof[SK_MERKLE_PROOF_MAX][SK_HASH_BYTES],
                                 size_t *count)
{
    sk_err rc = SK_OK;
    builder b = {proof, 0};
    uint64_t lo = 0, hi = size;

    SK_ASSERT(leaf != NULL);
    SK_ASSERT(proof != NULL);
    SK_ASSERT(count != NULL);
    *count = 0;
    if (size == 0 || index >= size) {
        rc = SK_ERR_INVALID;
        goto out;
    }
    if (size > SK_MERKLE_SIZE_MAX) {
        rc = SK_ERR_TOO_LARGE;
        goto out;
    }
    /* PATH(m, D[lo:hi]) = PATH(m, left) : MTH(right) when m is in the left
     * part, PATH(m - k, right) : MTH(left) otherwise. */
    while (hi - lo > 1) {
        uint64_t k = split_point(hi - lo);
        if (index - lo < k) {
            rc = push_range(&b, lo + k, hi, leaf, ctx);
            hi = lo + k;
        } else {
            rc = push_range(&b, lo, lo + k, leaf, ctx);
            lo += k;
        }
        if (rc != SK_OK)
            goto out;
    }
    SK_ASSERT(lo == index);
    reverse(&b);
    *count = b.count;
out:
    return rc;
}

sk_err sk_merkle_consistency_proof(uint64_t old_size, uint64_t new_size, sk_merkle_leaf_fn leaf,
                                   void *ctx,
                                   unsigned char proof[SK_MERKLE_PROOF_MAX][SK_HASH_BYTES],
                                   size_t *count)
{
    sk_err rc = SK_OK;
    builder b = {proof, 0};
    uint64_t lo = 0, hi = new_size, m = old_size;
    int whole = 1; /* RFC 9162's b: the old tree's root is the old root itself */

    SK_ASSERT(leaf != NULL);
    SK_ASSERT(proof != NULL);
    SK_ASSERT(count != NULL);
    *count = 0;
    if (old_size == 0 || old_size > new_size) {
        rc = SK_ERR_INVALID;
        goto out;
    }
    if (new_size > SK_MERKLE_SIZE_MAX) {
        rc = SK_ERR_TOO_LARGE;
        goto out;
    }
    /* SUBPROOF(m, D[lo:hi], b): while the old edge m lies strictly inside,
     * split; the side the old tree does not reach (or covers whole) goes
     * into the proof. 1 <= m <= hi - lo throughout, so this ends. */
    while (m != hi - lo) {
        uint64_t k = split_point(hi - lo);
        if (m <= k) {
            rc = push_range(&b, lo + k, hi, leaf, ctx);
            hi = lo + k;
        } else {
            rc = push_range(&b, lo, lo + k, leaf, ctx);
            lo += k;
            m -= k;
            whole = 0;
        }
        if (rc != SK_OK)
            goto out;
    }
    /* SUBPROOF(m, D[m], false) = MTH(D[m]): the verifier cannot know the hash
     * of a subtree that is not the old root, so it is sent (first, after the
     * reversal). */
    if (!whole) {
        rc = push_range(&b, lo, hi, leaf, ctx);
        if (rc != SK_OK)
            goto out;
    }
    reverse(&b);
    *count = b.count;
out:
    return rc;
}

/* -------------------------------------------------------------- verification */

/*
 * How many proof hashes the loops of RFC 9162 §2.1.3.2 step 4 and §2.1.4.2
 * step 6 consume from counters fn and sn before sn reaches 0: each step
 * shifts once, plus the extra shifts of a left-sibling step on an even fn.
 * The value depends on nothing else.
 */
static size_t walk_len(uint64_t fn, uint64_t sn)
{
    size_t n = 0;

    while (sn != 0) {
        SK_ASSERT(n < 64);
        if ((fn & 1) == 0 && fn == sn) {
            while (fn != 0 && (fn & 1) == 0) {
                fn >>= 1;
                sn >>= 1;
            }
        }
        fn >>= 1;
        sn >>= 1;
        n++;
    }
    return n;
}

static int hash_eq(const unsigned char a[SK_HASH_BYTES], const unsigned char b[SK_HASH_BYTES])
{
    return memcmp(a, b, SK_HASH_BYTES) == 0;
}

int sk_merkle_verify_inclusion(uint64_t index, uint64_t size,
                               const unsigned char leaf_hash[SK_HASH_BYTES],
                               const unsigned char proof[][SK_HASH_BYTES], size_t count,
                               const unsigned char root[SK_HASH_BYTES])
{
    unsigned char r[SK_HASH_BYTES];
    uint64_t fn = index, sn;

    SK_ASSERT(leaf_hash != NULL);
    SK_ASSERT(proof != NULL || count == 0);
    SK_ASSERT(root != NULL);
    /* Step 1, and the domain of this implementation. */
    if (size == 0 || index >= size || size > SK_MERKLE_SIZE_MAX)
        return 0;
    sn = size - 1; /* step 2 */
    if (count != walk_len(fn, sn))
        return 0;
    memcpy(r, leaf_hash, SK_HASH_BYTES); /* step 3 */
    for (size_t i = 0; i < count; i++) {
        const unsigned char *p = proof[i];
        if (sn == 0) /* 4a */
            return 0;
        if ((fn & 1) != 0 || fn == sn) { /* 4b: p is the left sibling */
            sk_merkle_node_hash(p, r, r);
            while (fn != 0 && (fn & 1) == 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else { /* p is the right sibling */
            sk_merkle_node_hash(r, p, r);
        }
        fn >>= 1; /* 4c */
        sn >>= 1;
    }
    return sn == 0 && hash_eq(r, root); /* step 5 */
}

/* Hash i of the consistency path, with old_root prepended when asked. */
static const unsigned char *path_at(const unsigned char (*proof)[SK_HASH_BYTES], int prepend,
                                    const unsigned char *old_root, size_t i)
{
    if (prepend)
        return i == 0 ? old_root : proof[i - 1];
    return proof[i];
}

int sk_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                                 const unsigned char old_root[SK_HASH_BYTES],
                                 const unsigned char new_root[SK_HASH_BYTES],
                                 const unsigned char proof[][SK_HASH_BYTES], size_t count)
{
    unsigned char fr[SK_HASH_BYTES], sr[SK_HASH_BYTES];
    uint64_t fn, sn;
    size_t total;
    int prepend;

    SK_ASSERT(old_root != NULL);
    SK_ASSERT(new_root != NULL);
    SK_ASSERT(proof != NULL || count == 0);
    if (old_size == 0 || old_size > new_size || new_size > SK_MERKLE_SIZE_MAX)
        return 0;
    if (count > SK_MERKLE_PROOF_MAX)
        return 0;
    if (old_size == new_size) /* the RFC requires 0 < first < second */
        return count == 0 && hash_eq(old_root, new_root);
    if (count == 0) /* step 1 */
        return 0;
    /* Step 2: a complete old tree is itself the first node of the path. */
    prepend = (old_size & (old_size - 1)) == 0;
    total = count + (prepend ? 1 : 0);
    fn = old_size - 1; /* step 3 */
    sn = new_size - 1;
    while ((fn & 1) != 0) { /* step 4 */
        fn >>= 1;
        sn >>= 1;
    }
    if (total != 1 + walk_len(fn, sn))
        return 0;
    memcpy(fr, path_at(proof, prepend, old_root, 0), SK_HASH_BYTES); /* step 5 */
    memcpy(sr, fr, SK_HASH_BYTES);
    for (size_t i = 1; i < total; i++) { /* step 6 */
        const unsigned char *c = path_at(proof, prepend, old_root, i);
        if (sn == 0)
            return 0;
        if ((fn & 1) != 0 || fn == sn) {
            sk_merkle_node_hash(c, fr, fr);
            sk_merkle_node_hash(c, sr, sr);
            while (fn != 0 && (fn & 1) == 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            sk_merkle_node_hash(sr, c, sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && hash_eq(fr, old_root) && hash_eq(sr, new_root); /* step 7 */
}
