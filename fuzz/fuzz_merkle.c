/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_merkle.c: libFuzzer target for the RFC 9162 Merkle verifiers and
 * proof generators (sk_merkle.h).
 *
 * Input layout (missing bytes read as zero):
 *   [0]       flags: bit 0 takes A raw (else A % SMALL), bit 1 B likewise,
 *             bit 2 takes the count byte raw (else count % 65)
 *   [1..8]    A, little-endian u64: an index or old size
 *   [9..16]   B, little-endian u64: a tree size or new size
 *   [17]      count
 *   [18..49]  hash X: the leaf (inclusion) or old root (consistency)
 *   [50..81]  hash Y: the root (inclusion) or new root (consistency)
 *   [82..]    proof hashes, 32 bytes each, as many as the input holds
 *
 * First both verifiers get these values as they are. Each verdict must
 * equal that of a second verifier written here from a different
 * formulation (the path split into an inner part below the level where the
 * leaf and the last leaf diverge and a border part above it, as
 * transparency-dev/merkle describes it), so hostile sizes, indices and
 * counts are judged the same way twice. The proof is handed over in a heap
 * block of exactly the hashes it claims (at most SK_MERKLE_PROOF_MAX), so
 * ASan catches any read past them.
 *
 * Then a tree of 1 .. TREE_MAX leaves is built from the input bytes. Its
 * frontier root must equal sk_merkle_root; the generated inclusion proof
 * for (A mod n, n) and consistency proof for (1 + B mod n, n) must pass
 * both verifiers; and with one bit flipped (chosen by the input) they must
 * pass neither.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "safekeep/sk_merkle.h"

#include "sk_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HB       SK_HASH_BYTES
#define HEAD     82
#define SMALL    512
#define TREE_MAX 128
#define CP(p)    ((const unsigned char(*)[HB])(p))

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static unsigned bit_len(uint64_t x)
{
    unsigned n = 0;

    while (x != 0) {
        n++;
        x >>= 1;
    }
    return n;
}

static unsigned ones(uint64_t x)
{
    unsigned n = 0;

    for (; x != 0; x &= x - 1)
        n++;
    return n;
}

static int same(const unsigned char *a, const unsigned char *b)
{
    return memcmp(a, b, HB) == 0;
}

/* Inclusion, second formulation: below level `inner` (where index and
 * size - 1 first differ, from the top) every ancestor has a sibling on the
 * side given by the index bit; above it the ancestors lie on the right
 * border, with a left sibling exactly where the index has a 1 bit. */
static int alt_inclusion(uint64_t index, uint64_t size, const unsigned char *leaf,
                         const unsigned char (*proof)[HB], size_t count, const unsigned char *root)
{
    unsigned char h[HB];
    unsigned inner, border;

    if (size == 0 || index >= size || size > SK_MERKLE_SIZE_MAX)
        return 0;
    inner = bit_len(index ^ (size - 1));
    border = ones(inner >= 64 ? 0 : index >> inner);
    if (count != (size_t)inner + border)
        return 0;
    memcpy(h, leaf, HB);
    for (size_t i = 0; i < count; i++) {
        if (i < inner && ((index >> i) & 1) == 0)
            sk_merkle_node_hash(h, proof[i], h);
        else
            sk_merkle_node_hash(proof[i], h, h);
    }
    return same(h, root);
}

/* Consistency, second formulation: the proof is the inclusion path of leaf
 * old_size - 1 in the new tree, cut below level `shift` (the largest
 * complete subtree ending at old_size), whose hash is the seed: the old
 * root itself when the old tree is complete, else the first proof hash.
 * The old root uses only the left siblings, the new root all of them. */
static int alt_consistency(uint64_t old_size, uint64_t new_size, const unsigned char *old_root,
                           const unsigned char *new_root, const unsigned char (*proof)[HB],
                           size_t count)
{
    unsigned char h1[HB], h2[HB];
    unsigned shift, inner, border, start;
    uint64_t last, mask;

    if (old_size == 0 || old_size > new_size || new_size > SK_MERKLE_SIZE_MAX)
        return 0;
    if (old_size == new_size)
        return count == 0 && same(old_root, new_root);
    last = old_size - 1;
    shift = (unsigned)__builtin_ctzll(old_size);
    inner = bit_len(last ^ (new_size - 1));
    border = ones(last >> inner);
    inner -= shift; /* old_size < new_size, so they differ above level shift */
    start = (old_size == (uint64_t)1 << shift) ? 0 : 1;
    if (count != (size_t)start + inner + border)
        return 0;
    memcpy(h1, start ? proof[0] : old_root, HB);
    memcpy(h2, h1, HB);
    mask = last >> shift;
    for (size_t i = 0; i < (size_t)inner + border; i++) {
        const unsigned char *p = proof[start + i];
        if (i < inner && ((mask >> i) & 1) == 0) {
            sk_merkle_node_hash(h2, p, h2);
        } else {
            sk_merkle_node_hash(p, h1, h1);
            sk_merkle_node_hash(p, h2, h2);
        }
    }
    return same(h1, old_root) && same(h2, new_root);
}

/* Both verifiers on raw input values. */
static void judge_raw(const unsigned char head[HEAD], const uint8_t *rest, size_t rest_len)
{
    uint64_t a = get_u64(head + 1), b = get_u64(head + 9);
    size_t count = head[17], have = rest_len / HB, block;
    unsigned char(*proof)[HB];
    int v, w;

    if ((head[0] & 1) == 0)
        a %= SMALL;
    if ((head[0] & 2) == 0)
        b %= SMALL;
    if ((head[0] & 4) == 0)
        count %= SK_MERKLE_PROOF_MAX + 1;
    /* Hashes beyond the input read as zero; a count above the maximum is
     * refused before any read, so the block holds at most the maximum. */
    block = count < SK_MERKLE_PROOF_MAX ? count : SK_MERKLE_PROOF_MAX;
    proof = malloc(block > 0 ? block * HB : 1);
    SK_ASSERT(proof != NULL);
    memset(proof, 0, block * HB);
    memcpy(proof, rest, (have < block ? have : block) * HB);

    v = sk_merkle_verify_inclusion(a, b, head + 18, CP(proof), count, head + 50);
    w = alt_inclusion(a, b, head + 18, CP(proof), count, head + 50);
    SK_ASSERT(v == 0 || v == 1);
    SK_ASSERT(v == w);
    v = sk_merkle_verify_consistency(a, b, head + 18, head + 50, CP(proof), count);
    w = alt_consistency(a, b, head + 18, head + 50, CP(proof), count);
    SK_ASSERT(v == 0 || v == 1);
    SK_ASSERT(v == w);
    free(proof);
}

typedef struct tree {
    unsigned char leaf[TREE_MAX][HB];
    uint64_t size;
    uint64_t reads;
} tree;

static sk_err leaf_at(uint64_t index, unsigned char out[HB], void *ctx)
{
    tree *t = ctx;

    SK_ASSERT(index < t->size);
    t->reads++;
    memcpy(out, t->leaf[index], HB);
    return SK_OK;
}

/* Generated proofs over a tree made from the input verify, twice, and stop
 * verifying when one bit changes. */
static void judge_generated(const unsigned char head[HEAD], const uint8_t *data, size_t size)
{
    static tree t;
    unsigned char proof[SK_MERKLE_PROOF_MAX][HB], root[HB], old_root[HB], r[HB];
    sk_merkle_frontier f;
    uint64_t n = (uint64_t)head[9] % TREE_MAX + 1, index = get_u64(head + 1) % n, old_size;
    uint64_t salt = get_u64(head + 18);
    size_t count;

    old_size = 1 + get_u64(head + 9) / TREE_MAX % n;
    t.size = n;
    sk_merkle_frontier_init(&f);
    for (uint64_t i = 0; i < n; i++) {
        size_t off = size > 0 ? (size_t)(i * 13 % size) : 0;
        size_t len = size > off ? (size - off < 5 ? size - off : 5) : 0;
        unsigned char buf[13];
        memcpy(buf, &i, 8);
        memcpy(buf + 8, data + off, len);
        sk_merkle_leaf_hash(buf, 8 + len, t.leaf[i]);
        sk_merkle_frontier_append(&f, t.leaf[i]);
        if (i + 1 == old_size)
            sk_merkle_frontier_root(&f, old_root);
    }
    sk_merkle_frontier_root(&f, root);
    t.reads = 0;
    SK_ASSERT(sk_merkle_root(n, leaf_at, &t, r) == SK_OK);
    SK_ASSERT(same(r, root));
    SK_ASSERT(t.reads == n);

    t.reads = 0;
    SK_ASSERT(sk_merkle_inclusion_proof(index, n, leaf_at, &t, proof, &count) == SK_OK);
    SK_ASSERT(t.reads == n - 1);
    SK_ASSERT(sk_merkle_verify_inclusion(index, n, t.leaf[index], CP(proof), count, root) == 1);
    SK_ASSERT(alt_inclusion(index, n, t.leaf[index], CP(proof), count, root) == 1);
    if (count > 0) {
        proof[salt % count][(salt >> 8) % HB] ^= (unsigned char)(1u << ((salt >> 16) % 8));
        SK_ASSERT(sk_merkle_verify_inclusion(index, n, t.leaf[index], CP(proof), count, root) == 0);
        SK_ASSERT(alt_inclusion(index, n, t.leaf[index], CP(proof), count, root) == 0);
    }

    t.reads = 0;
    SK_ASSERT(sk_merkle_consistency_proof(old_size, n, leaf_at, &t, proof, &count) == SK_OK);
    SK_ASSERT(t.reads <= n);
    SK_ASSERT(sk_merkle_verify_consistency(old_size, n, old_root, root, CP(proof), count) == 1);
    SK_ASSERT(alt_consistency(old_size, n, old_root, root, CP(proof), count) == 1);
    if (count > 0) {
        proof[salt % count][(salt >> 8) % HB] ^= (unsigned char)(1u << ((salt >> 16) % 8));
        SK_ASSERT(sk_merkle_verify_consistency(old_size, n, old_root, root, CP(proof), count) == 0);
        SK_ASSERT(alt_consistency(old_size, n, old_root, root, CP(proof), count) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char head[HEAD];
    size_t n = size < HEAD ? size : HEAD;

    memset(head, 0, sizeof(head));
    if (n > 0)
        memcpy(head, data, n);
    judge_raw(head, data + n, size - n);
    judge_generated(head, data, size);
    return 0;
}
