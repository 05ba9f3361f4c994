/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_merkle.c: unit tests for the RFC 9162 Merkle tree (sk_merkle.h).
 *
 * Three independent oracles check the module:
 *  - known answers from public test suites (tests/vectors/merkle_kat.txt,
 *    whose header names the repositories and files): leaf, node and root
 *    hashes of the eight-leaf reference tree and proofs over it;
 *  - a reference written straight from the RFC's recursive definitions
 *    (ref_path, ref_subproof) over a table of every MTH(D[lo:hi]) of a
 *    random tree of REF_N leaves, built with the frontier alone; the proofs
 *    the module generates must equal these byte for byte, and the verifiers
 *    must accept them;
 *  - the "shape" of a proof (how many hashes, which side each is on), read
 *    off the same recursion: a verifier given a proof for other sizes or
 *    another index must accept exactly when the shapes agree, since RFC
 *    9162 authenticates sizes only through the signed tree head; every other
 *    alteration (a flipped bit in any hash, the leaf or a root; a hash
 *    removed, added, duplicated or swapped) must be refused.
 * SHA-256 costs about a microsecond here and generating a proof reads the
 * whole tree, so generation and the full alteration set run on every pair
 * of sizes up to DENSE_N and on a dense sample above it (dense()); the
 * reference proofs of every pair up to REF_N are verified. A tree of 2^63
 * identical leaves, whose subtree hashes follow by doubling, gives valid
 * proofs of the maximal lengths (63 and 64 hashes) without building it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_util.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safekeep/sk_merkle.h"

#define HB           SK_HASH_BYTES
#define REF_N        300  /* exhaustive pairs of sizes up to this */
#define DENSE_N      96   /* generation and alterations for every pair up to this */
#define FRONTIER_N   1000 /* frontier against sk_merkle_root for sizes 0 .. this */
#define ALL_BYTES_N  16   /* every byte of every hash flipped up to this size */
#define KAT_LEAVES   8
#define KAT_LINE_MAX 1024
#define KAT_TOKENS   80

/* The verifiers take const arrays; C11 needs the cast for non-const ones. */
#define CP(p) ((const unsigned char(*)[HB])(p))

static const uint64_t SIZE_MAX_TREE = SK_MERKLE_SIZE_MAX;

/* ------------------------------------------------------------------ helpers */

static uint64_t rng_state;

/* splitmix64: reproducible pseudo-random numbers for the random tree. */
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Leaf hashes served to the proof functions, with accounting. */
typedef struct leaves {
    unsigned char (*hash)[HB];
    uint64_t count;
    uint64_t limit;        /* a read at or past this is a bug of the module */
    uint64_t reads;        /* since the last reset */
    uint64_t fail_at;      /* 0: never; else this read fails with SK_ERR_IO */
    uint64_t out_of_range; /* reads at or past limit */
} leaves;

static sk_err leaf_at(uint64_t index, unsigned char out[HB], void *ctx)
{
    leaves *l = ctx;

    l->reads++;
    if (index >= l->limit || index >= l->count) {
        l->out_of_range++;
        return SK_ERR_NOT_FOUND;
    }
    if (l->fail_at != 0 && l->reads == l->fail_at)
        return SK_ERR_IO;
    memcpy(out, l->hash[index], HB);
    return SK_OK;
}

static void leaves_arm(leaves *l, uint64_t limit)
{
    l->limit = limit;
    l->reads = 0;
    l->fail_at = 0;
    l->out_of_range = 0;
}

/* RFC 9162's k: the largest power of two strictly below width (>= 2),
 * computed without the module's bit tricks. */
static uint64_t split_below(uint64_t width)
{
    uint64_t k = 1;

    assert_true(width >= 2);
    while (k <= (width - 1) / 2)
        k <<= 1;
    return k;
}

static void flip(unsigned char *h, uint64_t salt)
{
    h[salt % HB] ^= (unsigned char)(1u << ((salt / HB) % 8));
}

static char *hex(const unsigned char *h, char buf[2 * HB + 1])
{
    for (size_t i = 0; i < HB; i++)
        snprintf(buf + 2 * i, 3, "%02x", h[i]);
    return buf;
}

static void assert_hash_equal(const unsigned char *got, const unsigned char *want, const char *what)
{
    char a[2 * HB + 1], b[2 * HB + 1];

    if (memcmp(got, want, HB) != 0)
        fail_msg("%s: got %s, want %s", what, hex(got, a), hex(want, b));
}

/* ------------------------------------------------------------- the reference */

/* MTH(D[lo:hi]) for every 0 <= lo < hi <= REF_N over the random tree. */
static unsigned char (*g_mth)[HB];
static leaves g_rand; /* FRONTIER_N random leaf hashes */

static const unsigned char *mth(uint64_t lo, uint64_t hi)
{
    assert_true(lo < hi && hi <= REF_N);
    return g_mth[lo * (REF_N + 1) + hi];
}

/* A proof as the RFC's recursion builds it, with its shape: per hash 'L'
 * (left sibling), 'R' (right sibling) or 'S' (the old tree's edge subtree,
 * sent first when the old tree is not complete); whole when the old root
 * itself is the starting point. hashes NULL: shape only (any size). */
typedef struct ref_proof {
    size_t count;
    unsigned char hash[SK_MERKLE_PROOF_MAX + 1][HB];
    char shape[SK_MERKLE_PROOF_MAX + 2];
    int whole;
} ref_proof;

static void ref_push(ref_proof *p, int hashes, uint64_t lo, uint64_t hi, char kind)
{
    assert_true(p->count <= SK_MERKLE_PROOF_MAX);
    if (hashes)
        memcpy(p->hash[p->count], mth(lo, hi), HB);
    p->shape[p->count++] = kind;
    p->shape[p->count] = '\0';
}

/* PATH(m, D[lo:hi]), RFC 9162 §2.1.3.1, as written there. */
static void ref_path(uint64_t m, uint64_t lo, uint64_t hi, int hashes, ref_proof *p)
{
    uint64_t k;

    if (hi - lo <= 1)
        return;
    k = split_below(hi - lo);
    if (m < lo + k) {
        ref_path(m, lo, lo + k, hashes, p);
        ref_push(p, hashes, lo + k, hi, 'R');
    } else {
        ref_path(m, lo + k, hi, hashes, p);
        ref_push(p, hashes, lo, lo + k, 'L');
    }
}

/* SUBPROOF(m, D[lo:hi], b), RFC 9162 §2.1.4.1, as written there. */
static void ref_subproof(uint64_t m, uint64_t lo, uint64_t hi, int b, int hashes, ref_proof *p)
{
    uint64_t k;

    if (m == hi - lo) {
        if (!b)
            ref_push(p, hashes, lo, hi, 'S');
        else
            p->whole = 1;
        return;
    }
    k = split_below(hi - lo);
    if (m <= k) {
        ref_subproof(m, lo, lo + k, b, hashes, p);
        ref_push(p, hashes, lo + k, hi, 'R');
    } else {
        ref_subproof(m - k, lo + k, hi, 0, hashes, p);
        ref_push(p, hashes, lo, lo + k, 'L');
    }
}

static void ref_inclusion(uint64_t index, uint64_t size, int hashes, ref_proof *p)
{
    memset(p, 0, sizeof(*p));
    ref_path(index, 0, size, hashes, p);
}

static void ref_consistency(uint64_t old_size, uint64_t new_size, int hashes, ref_proof *p)
{
    memset(p, 0, sizeof(*p));
    if (old_size == new_size)
        p->whole = 1;
    else
        ref_subproof(old_size, 0, new_size, 1, hashes, p);
}

/* Whether verify_inclusion(index, size) must accept a proof, leaf and root
 * that are valid for (index0, size0): the same shape hashes the same. */
static int inclusion_accepts(uint64_t index, uint64_t size, uint64_t index0, uint64_t size0)
{
    ref_proof a, b;

    if (size == 0 || index >= size || size > SIZE_MAX_TREE)
        return 0;
    ref_inclusion(index, size, 0, &a);
    ref_inclusion(index0, size0, 0, &b);
    return a.count == b.count && strcmp(a.shape, b.shape) == 0;
}

/* The same for verify_consistency and a proof valid for (old0, new0). */
static int consistency_accepts(uint64_t old_size, uint64_t new_size, uint64_t old0, uint64_t new0)
{
    ref_proof a, b;

    if (old_size == 0 || old_size > new_size || new_size > SIZE_MAX_TREE)
        return 0;
    if (old0 == new0) /* an empty proof and equal roots */
        return old_size == new_size;
    if (old_size == new_size)
        return 0;
    ref_consistency(old_size, new_size, 0, &a);
    ref_consistency(old0, new0, 0, &b);
    return a.whole == b.whole && a.count == b.count && strcmp(a.shape, b.shape) == 0;
}

static int setup_random_tree(void **state)
{
    sk_merkle_frontier f;

    (void)state;
    rng_state = 0x5afe4ee9ULL;
    g_rand.count = FRONTIER_N;
    g_rand.hash = calloc(FRONTIER_N, HB);
    g_mth = calloc((REF_N + 1) * (REF_N + 1), HB);
    if (g_rand.hash == NULL || g_mth == NULL)
        return -1;
    for (uint64_t i = 0; i < FRONTIER_N; i++) {
        unsigned char data[64];
        size_t len = (size_t)(rng() % sizeof(data));
        for (size_t j = 0; j < len; j++)
            data[j] = (unsigned char)rng();
        sk_merkle_leaf_hash(data, len, g_rand.hash[i]);
    }
    /* MTH(D[lo:hi]) is the root of the tree of the leaves lo .. hi - 1. */
    for (uint64_t lo = 0; lo < REF_N; lo++) {
        sk_merkle_frontier_init(&f);
        for (uint64_t hi = lo + 1; hi <= REF_N; hi++) {
            sk_merkle_frontier_append(&f, g_rand.hash[hi - 1]);
            sk_merkle_frontier_root(&f, g_mth[lo * (REF_N + 1) + hi]);
        }
    }
    return 0;
}

static int teardown_random_tree(void **state)
{
    (void)state;
    free(g_rand.hash);
    free(g_mth);
    g_rand.hash = NULL;
    g_mth = NULL;
    return 0;
}

/* -------------------------------------------------------------- alterations */

static unsigned long g_checks; /* verifier calls with a known verdict */

static void expect_incl(int want, uint64_t index, uint64_t size, const unsigned char *leaf,
                        const unsigned char (*proof)[HB], size_t count, const unsigned char *root,
                        const char *what)
{
    int got = sk_merkle_verify_inclusion(index, size, leaf, proof, count, root);

    g_checks++;
    if (got != want)
        fail_msg("verify_inclusion(%llu, %llu, count %zu) = %d, want %d: %s",
                 (unsigned long long)index, (unsigned long long)size, count, got, want, what);
}

static void expect_cons(int want, uint64_t old_size, uint64_t new_size,
                        const unsigned char *old_root, const unsigned char *new_root,
                        const unsigned char (*proof)[HB], size_t count, const char *what)
{
    int got = sk_merkle_verify_consistency(old_size, new_size, old_root, new_root, proof, count);

    g_checks++;
    if (got != want)
        fail_msg("verify_consistency(%llu, %llu, count %zu) = %d, want %d: %s",
                 (unsigned long long)old_size, (unsigned long long)new_size, count, got, want,
                 what);
}

/* Variants of a proof with one hash removed, added, duplicated or swapped:
 * none may verify. fn receives each variant. */
typedef void (*variant_fn)(const unsigned char (*proof)[HB], size_t count, const char *what,
                           void *ctx);

static void structural_variants(const unsigned char (*proof)[HB], size_t count,
                                const unsigned char *extra, variant_fn fn, void *ctx)
{
    unsigned char buf[SK_MERKLE_PROOF_MAX + 1][HB];

    for (size_t i = 0; i < count; i++) { /* remove hash i */
        memcpy(buf, proof, i * HB);
        memcpy(buf[i], proof[i + 1], (count - i - 1) * HB);
        fn(CP(buf), count - 1, "hash removed", ctx);
    }
    for (size_t i = 0; i <= count && count < SK_MERKLE_PROOF_MAX; i++) { /* add one at i */
        memcpy(buf, proof, i * HB);
        memcpy(buf[i], extra, HB);
        memcpy(buf[i + 1], proof[i], (count - i) * HB);
        fn(CP(buf), count + 1, "hash added", ctx);
        if (count > 0) { /* duplicate a neighbour instead */
            memcpy(buf[i], proof[i < count ? i : count - 1], HB);
            fn(CP(buf), count + 1, "hash duplicated", ctx);
        }
    }
    for (size_t i = 0; i + 1 < count; i++) { /* swap i and i + 1 */
        if (memcmp(proof[i], proof[i + 1], HB) == 0)
            continue;
        memcpy(buf, proof, count * HB);
        memcpy(buf[i], proof[i + 1], HB);
        memcpy(buf[i + 1], proof[i], HB);
        fn(CP(buf), count, "hashes swapped", ctx);
    }
}

typedef struct incl_case {
    uint64_t index, size;
    const unsigned char *leaf, *root;
} incl_case;

static void incl_variant(const unsigned char (*proof)[HB], size_t count, const char *what,
                         void *ctx)
{
    const incl_case *c = ctx;
    expect_incl(0, c->index, c->size, c->leaf, proof, count, c->root, what);
}

/* Checks that a valid inclusion proof verifies and that no alteration does
 * (except other sizes or indices of the same shape, which RFC 9162 cannot
 * tell apart: the signed tree head binds the size to the root). */
static void check_inclusion(uint64_t index, uint64_t size, const unsigned char *leaf,
                            const unsigned char (*proof)[HB], size_t count,
                            const unsigned char *root, int all_bytes)
{
    unsigned char buf[SK_MERKLE_PROOF_MAX][HB], h[HB];
    const uint64_t indices[] = {index - 1, index + 1, index ^ 1, index ^ 2, index + size,
                                size,      size - 1,  0,         UINT64_MAX};
    const uint64_t sizes[] = {size - 1,          size + 1,  size * 2,          size / 2,
                              size + 1024,       0,         SIZE_MAX_TREE - 1, SIZE_MAX_TREE,
                              SIZE_MAX_TREE + 1, UINT64_MAX};
    incl_case c = {index, size, leaf, root};

    expect_incl(1, index, size, leaf, proof, count, root, "valid");
    for (size_t i = 0; i < count; i++) {
        for (unsigned b = 0; b < (all_bytes ? (unsigned)HB : 1u); b++) {
            memcpy(buf, proof, count * HB);
            flip(buf[i], all_bytes ? b + HB * (b % 8) : index * 7 + size * 3 + i * 13);
            expect_incl(0, index, size, leaf, CP(buf), count, root, "proof bit flipped");
        }
    }
    for (unsigned b = 0; b < (all_bytes ? (unsigned)HB : 1u); b++) {
        uint64_t salt = all_bytes ? b + HB * (b % 8) : index * 5 + size;
        memcpy(h, leaf, HB);
        flip(h, salt);
        expect_incl(0, index, size, h, proof, count, root, "leaf bit flipped");
        memcpy(h, root, HB);
        flip(h, salt);
        expect_incl(0, index, size, leaf, proof, count, h, "root bit flipped");
    }
    for (size_t i = 0; i < sizeof(indices) / sizeof(indices[0]); i++) {
        if (indices[i] != index)
            expect_incl(inclusion_accepts(indices[i], size, index, size), indices[i], size, leaf,
                        proof, count, root, "other index");
    }
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (sizes[i] != size)
            expect_incl(inclusion_accepts(index, sizes[i], index, size), index, sizes[i], leaf,
                        proof, count, root, "other size");
    }
    structural_variants(proof, count, root, incl_variant, &c);
}

typedef struct cons_case {
    uint64_t old_size, new_size;
    const unsigned char *old_root, *new_root;
} cons_case;

static void cons_variant(const unsigned char (*proof)[HB], size_t count, const char *what,
                         void *ctx)
{
    const cons_case *c = ctx;
    expect_cons(0, c->old_size, c->new_size, c->old_root, c->new_root, proof, count, what);
}

/* The same for a valid consistency proof. */
static void check_consistency(uint64_t old_size, uint64_t new_size, const unsigned char *old_root,
                              const unsigned char *new_root, const unsigned char (*proof)[HB],
                              size_t count, int all_bytes)
{
    unsigned char buf[SK_MERKLE_PROOF_MAX][HB], h[HB];
    const uint64_t olds[] = {
        old_size - 1, old_size + 1, old_size ^ 2, old_size * 2, old_size / 2, new_size, 0,
        UINT64_MAX};
    const uint64_t news[] = {
        new_size - 1,  new_size + 1,      new_size * 2, new_size / 2, old_size, new_size + 1024, 0,
        SIZE_MAX_TREE, SIZE_MAX_TREE + 1, UINT64_MAX};
    cons_case c = {old_size, new_size, old_root, new_root};
    int same = memcmp(old_root, new_root, HB) == 0;

    expect_cons(1, old_size, new_size, old_root, new_root, proof, count, "valid");
    for (size_t i = 0; i < count; i++) {
        for (unsigned b = 0; b < (all_bytes ? (unsigned)HB : 1u); b++) {
            memcpy(buf, proof, count * HB);
            flip(buf[i], all_bytes ? b + HB * (b % 8) : old_size * 7 + new_size * 3 + i * 13);
            expect_cons(0, old_size, new_size, old_root, new_root, CP(buf), count,
                        "proof bit flipped");
        }
    }
    for (unsigned b = 0; b < (all_bytes ? (unsigned)HB : 1u); b++) {
        uint64_t salt = all_bytes ? b + HB * (b % 8) : old_size * 5 + new_size;
        memcpy(h, old_root, HB);
        flip(h, salt);
        expect_cons(0, old_size, new_size, h, new_root, proof, count, "old root bit flipped");
        memcpy(h, new_root, HB);
        flip(h, salt);
        expect_cons(0, old_size, new_size, old_root, h, proof, count, "new root bit flipped");
    }
    if (!same)
        expect_cons(0, old_size, new_size, new_root, old_root, proof, count, "roots swapped");
    for (size_t i = 0; i < sizeof(olds) / sizeof(olds[0]); i++) {
        if (olds[i] != old_size)
            expect_cons(consistency_accepts(olds[i], new_size, old_size, new_size), olds[i],
                        new_size, old_root, new_root, proof, count, "other old size");
    }
    for (size_t i = 0; i < sizeof(news) / sizeof(news[0]); i++) {
        if (news[i] != new_size)
            expect_cons(consistency_accepts(old_size, news[i], old_size, new_size), old_size,
                        news[i], old_root, new_root, proof, count, "other new size");
    }
    structural_variants(proof, count, new_root, cons_variant, &c);
    if (count > 0)
        expect_cons(0, old_size, new_size, old_root, new_root, proof, 0, "empty proof");
}

/* ------------------------------------------------------------ known answers */

typedef struct kat {
    unsigned char leaf[KAT_LEAVES][HB];
    unsigned char node[4][KAT_LEAVES][HB];
    unsigned char root[KAT_LEAVES + 1][HB];
    int have_node[4][KAT_LEAVES];
    int have_root[KAT_LEAVES + 1];
    unsigned leaves, nodes, roots, inclusions, consistencies, invalids;
} kat;

static void source_root(char *buf, size_t cap)
{
    sk_test_source_root(buf, cap);
}

static size_t unhex(const char *s, unsigned char *out, size_t out_max, unsigned line)
{
    size_t len = strlen(s);

    if (strcmp(s, "-") == 0)
        return 0;
    if (len % 2 != 0 || len / 2 > out_max)
        fail_msg("merkle_kat.txt:%u: bad hex %s", line, s);
    for (size_t i = 0; i < len / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            fail_msg("merkle_kat.txt:%u: bad hex %s", line, s);
        out[i] = (unsigned char)v;
    }
    return len / 2;
}

static uint64_t number(const char *s, unsigned line)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);

    if (*s == '\0' || *end != '\0')
        fail_msg("merkle_kat.txt:%u: bad number %s", line, s);
    return (uint64_t)v;
}

/* A node reference "L.I" of the table. */
static const unsigned char *node_ref(const kat *k, const char *s, unsigned line)
{
    unsigned level, index;
    char tail;

    if (sscanf(s, "%u.%u%c", &level, &index, &tail) != 2 || level > 3 || index >= KAT_LEAVES ||
        !k->have_node[level][index])
        fail_msg("merkle_kat.txt:%u: bad node reference %s", line, s);
    return k->node[level][index];
}

/* A proof hash: 64 hex digits, L.I, or L.I|L.I (the node hash of the two). */
static void proof_token(const kat *k, const char *s, unsigned char out[HB], unsigned line)
{
    const char *bar = strchr(s, '|');

    if (strlen(s) == 2 * HB) {
        (void)unhex(s, out, HB, line);
    } else if (bar != NULL) {
        char left[16];
        size_t n = (size_t)(bar - s);
        if (n >= sizeof(left))
            fail_msg("merkle_kat.txt:%u: bad token %s", line, s);
        memcpy(left, s, n);
        left[n] = '\0';
        sk_merkle_node_hash(node_ref(k, left, line), node_ref(k, bar + 1, line), out);
    } else {
        memcpy(out, node_ref(k, s, line), HB);
    }
}

static void kat_hashes(kat *k, char **tok, size_t n, unsigned line)
{
    unsigned char data[64], h[HB], want[HB];
    leaves l = {k->leaf, KAT_LEAVES, KAT_LEAVES, 0, 0, 0};

    if (strcmp(tok[0], "leaf") == 0 && n == 4) {
        uint64_t i = number(tok[1], line);
        size_t len = unhex(tok[2], data, sizeof(data), line);
        assert_true(i < KAT_LEAVES);
        (void)unhex(tok[3], want, HB, line);
        sk_merkle_leaf_hash(len > 0 ? data : NULL, len, k->leaf[i]);
        assert_hash_equal(k->leaf[i], want, "leaf hash");
        k->leaves++;
    } else if (strcmp(tok[0], "node") == 0 && n == 4) {
        uint64_t level = number(tok[1], line), i = number(tok[2], line), width;
        assert_true(level <= 3 && i < ((uint64_t)KAT_LEAVES >> level));
        (void)unhex(tok[3], want, HB, line);
        width = (uint64_t)1 << level;
        if (level == 0) {
            assert_hash_equal(k->leaf[i], want, "level-0 node");
        } else {
            sk_merkle_node_hash(k->node[level - 1][2 * i], k->node[level - 1][2 * i + 1], h);
            assert_hash_equal(h, want, "node from its children");
        }
        assert_int_equal(sk_merkle_range_root(i * width, (i + 1) * width, leaf_at, &l, h), SK_OK);
        assert_hash_equal(h, want, "range root of a subtree");
        memcpy(k->node[level][i], want, HB);
        k->have_node[level][i] = 1;
        k->nodes++;
    } else if (strcmp(tok[0], "root") == 0 && n == 3) {
        uint64_t size = number(tok[1], line);
        sk_merkle_frontier f;
        assert_true(size <= KAT_LEAVES);
        (void)unhex(tok[2], want, HB, line);
        assert_int_equal(sk_merkle_root(size, leaf_at, &l, h), SK_OK);
        assert_hash_equal(h, want, "sk_merkle_root");
        sk_merkle_frontier_init(&f);
        for (uint64_t i = 0; i < size; i++)
            sk_merkle_frontier_append(&f, k->leaf[i]);
        sk_merkle_frontier_root(&f, h);
        assert_hash_equal(h, want, "frontier root");
        memcpy(k->root[size], want, HB);
        k->have_root[size] = 1;
        k->roots++;
    } else {
        fail_msg("merkle_kat.txt:%u: malformed line", line);
    }
}

static void kat_proof(kat *k, char **tok, size_t n, unsigned line)
{
    unsigned char want[SK_MERKLE_PROOF_MAX][HB], got[SK_MERKLE_PROOF_MAX][HB];
    leaves l = {k->leaf, KAT_LEAVES, KAT_LEAVES, 0, 0, 0};
    uint64_t a, b;
    size_t count = 99, want_count = n - 3;

    assert_true(n >= 3 && want_count <= SK_MERKLE_PROOF_MAX);
    a = number(tok[1], line);
    b = number(tok[2], line);
    for (size_t i = 0; i < want_count; i++)
        proof_token(k, tok[3 + i], want[i], line);
    if (strcmp(tok[0], "inclusion") == 0) {
        assert_true(a < b && b <= KAT_LEAVES && k->have_root[b]);
        assert_int_equal(sk_merkle_inclusion_proof(a, b, leaf_at, &l, got, &count), SK_OK);
        assert_int_equal(count, want_count);
        for (size_t i = 0; i < count; i++)
            assert_hash_equal(got[i], want[i], "inclusion proof hash");
        check_inclusion(a, b, k->leaf[a], CP(want), want_count, k->root[b], 1);
        k->inclusions++;
    } else {
        assert_true(a <= b && b <= KAT_LEAVES && k->have_root[a] && k->have_root[b]);
        assert_int_equal(sk_merkle_consistency_proof(a, b, leaf_at, &l, got, &count), SK_OK);
        assert_int_equal(count, want_count);
        for (size_t i = 0; i < count; i++)
            assert_hash_equal(got[i], want[i], "consistency proof hash");
        check_consistency(a, b, k->root[a], k->root[b], CP(want), want_count, 1);
        k->consistencies++;
    }
}

static void kat_invalid(kat *k, char **tok, size_t n, unsigned line)
{
    unsigned char proof[SK_MERKLE_PROOF_MAX][HB];
    leaves l = {k->leaf, KAT_LEAVES, KAT_LEAVES, 0, 0, 0};
    uint64_t a, b;
    size_t count = 99;

    assert_int_equal(n, 3);
    a = number(tok[1], line);
    b = number(tok[2], line);
    if (strcmp(tok[0], "inclusion_invalid") == 0) {
        assert_int_equal(sk_merkle_inclusion_proof(a, b, leaf_at, &l, proof, &count),
                         SK_ERR_INVALID);
        assert_int_equal(count, 0);
        expect_incl(0, a, b, k->leaf[0], NULL, 0, k->leaf[0], "invalid sizes");
    } else {
        assert_int_equal(sk_merkle_consistency_proof(a, b, leaf_at, &l, proof, &count),
                         SK_ERR_INVALID);
        assert_int_equal(count, 0);
        expect_cons(0, a, b, k->root[0], k->root[0], NULL, 0, "invalid sizes");
    }
    assert_int_equal(l.reads, 0);
    k->invalids++;
}

static size_t split_ws(char *s, char **tok, size_t max)
{
    size_t n = 0;

    for (;;) {
        s += strspn(s, " \t\r");
        if (*s == '\0' || *s == '#')
            return n;
        assert_true(n < max);
        tok[n++] = s;
        s += strcspn(s, " \t\r");
        if (*s == '\0')
            return n;
        *s++ = '\0';
    }
}

static void test_known_answers(void **state)
{
    char root[PATH_MAX], path[PATH_MAX + 64], line[KAT_LINE_MAX], *tok[KAT_TOKENS];
    kat *k = calloc(1, sizeof(*k));
    unsigned lineno = 0;
    FILE *fp;

    (void)state;
    assert_non_null(k);
    source_root(root, sizeof(root));
    snprintf(path, sizeof(path), "%s/tests/vectors/merkle_kat.txt", root);
    fp = fopen(path, "r");
    if (fp == NULL)
        fail_msg("cannot open %s (set SK_SOURCE_DIR)", path);
    while (fgets(line, sizeof(line), fp) != NULL) {
        size_t n;
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        n = split_ws(line, tok, KAT_TOKENS);
        if (n == 0)
            continue;
        if (strcmp(tok[0], "inclusion") == 0 || strcmp(tok[0], "consistency") == 0)
            kat_proof(k, tok, n, lineno);
        else if (strcmp(tok[0], "inclusion_invalid") == 0 ||
                 strcmp(tok[0], "consistency_invalid") == 0)
            kat_invalid(k, tok, n, lineno);
        else
            kat_hashes(k, tok, n, lineno);
    }
    fclose(fp);
    /* Every vector of the file was seen: a truncated file cannot pass. */
    assert_int_equal(k->leaves, 8);
    assert_int_equal(k->nodes, 15);
    assert_int_equal(k->roots, 9);
    assert_int_equal(k->inclusions, 20);
    assert_int_equal(k->consistencies, 27);
    assert_int_equal(k->invalids, 10);
    print_message("# known answers: %u leaves, %u nodes, %u roots, %u inclusion and %u "
                  "consistency proofs, %u refusals\n",
                  k->leaves, k->nodes, k->roots, k->inclusions, k->consistencies, k->invalids);
    free(k);
}

/* ------------------------------------------------------------------- hashes */

static void test_hash_primitives(void **state)
{
    static const unsigned char empty_sha256[HB] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
                                                   0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
                                                   0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
                                                   0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    unsigned char a[HB], b[HB], want[HB], got[HB];
    leaves l = g_rand;
    sk_merkle_frontier f;

    (void)state;
    /* Domain separation: a leaf is never the node of the same bytes. */
    sk_merkle_leaf_hash("x", 1, a);
    sk_merkle_leaf_hash("y", 1, b);
    sk_merkle_node_hash(a, b, want);
    assert_memory_not_equal(a, b, HB);
    /* out may alias either input. */
    memcpy(got, a, HB);
    sk_merkle_node_hash(got, b, got);
    assert_memory_equal(got, want, HB);
    memcpy(got, b, HB);
    sk_merkle_node_hash(a, got, got);
    assert_memory_equal(got, want, HB);
    /* The empty tree, three ways. */
    sk_merkle_frontier_init(&f);
    sk_merkle_frontier_root(&f, got);
    assert_memory_equal(got, empty_sha256, HB);
    leaves_arm(&l, 0);
    assert_int_equal(sk_merkle_root(0, leaf_at, &l, got), SK_OK);
    assert_memory_equal(got, empty_sha256, HB);
    leaves_arm(&l, 10);
    assert_int_equal(sk_merkle_range_root(7, 7, leaf_at, &l, got), SK_OK);
    assert_memory_equal(got, empty_sha256, HB);
    assert_int_equal(l.reads, 0);
    /* Range arguments. */
    memset(got, 0xaa, HB);
    assert_int_equal(sk_merkle_range_root(8, 7, leaf_at, &l, got), SK_ERR_INVALID);
    assert_memory_equal(got, (unsigned char[HB]){0}, HB);
    assert_int_equal(sk_merkle_range_root(0, SIZE_MAX_TREE + 1, leaf_at, &l, got),
                     SK_ERR_TOO_LARGE);
    assert_int_equal(sk_merkle_root(UINT64_MAX, leaf_at, &l, got), SK_ERR_TOO_LARGE);
    assert_int_equal(l.reads, 0);
    /* A range is the root of its leaves alone. */
    leaves_arm(&l, REF_N);
    for (uint64_t lo = 0; lo < 40; lo++) {
        for (uint64_t hi = lo + 1; hi <= 80; hi += 3) {
            assert_int_equal(sk_merkle_range_root(lo, hi, leaf_at, &l, got), SK_OK);
            assert_memory_equal(got, mth(lo, hi), HB);
        }
    }
    assert_int_equal(l.out_of_range, 0);
}

/* ----------------------------------------------------------------- frontier */

static void test_frontier_matches_root(void **state)
{
    sk_merkle_frontier f, snapshot;
    unsigned char a[HB], b[HB], kept[HB];
    leaves l = g_rand;

    (void)state;
    sk_merkle_frontier_init(&f);
    sk_merkle_frontier_init(&snapshot);
    for (uint64_t size = 0; size <= FRONTIER_N; size++) {
        assert_int_equal(f.size, size);
        sk_merkle_frontier_root(&f, a);
        leaves_arm(&l, size);
        assert_int_equal(sk_merkle_root(size, leaf_at, &l, b), SK_OK);
        assert_int_equal(l.reads, size);
        assert_int_equal(l.out_of_range, 0);
        if (memcmp(a, b, HB) != 0)
            fail_msg("frontier root differs from sk_merkle_root at size %llu",
                     (unsigned long long)size);
        if (size == 333) {
            snapshot = f; /* a plain value: a copy is a snapshot */
            memcpy(kept, a, HB);
        }
        if (size < FRONTIER_N)
            sk_merkle_frontier_append(&f, g_rand.hash[size]);
    }
    assert_int_equal(snapshot.size, 333);
    sk_merkle_frontier_root(&snapshot, a);
    assert_memory_equal(a, kept, HB);
    /* The snapshot grows into the same tree. */
    for (uint64_t i = 333; i < FRONTIER_N; i++)
        sk_merkle_frontier_append(&snapshot, g_rand.hash[i]);
    sk_merkle_frontier_root(&snapshot, a);
    sk_merkle_frontier_root(&f, b);
    assert_memory_equal(a, b, HB);
}

/* -------------------------------------------------------------- exhaustive */

/* Pairs that get generation and the whole alteration set. */
static int dense(uint64_t a, uint64_t b)
{
    return b <= DENSE_N || a == 0 || a + 1 >= b || a == b / 2 || (a * 7 + b) % 19 == 0;
}

static void test_inclusion_exhaustive(void **state)
{
    unsigned char got[SK_MERKLE_PROOF_MAX][HB];
    ref_proof ref;
    leaves l = g_rand;
    unsigned long pairs = 0, generated = 0, altered = 0;

    (void)state;
    g_checks = 0;
    for (uint64_t size = 1; size <= REF_N; size++) {
        for (uint64_t index = 0; index < size; index++) {
            const unsigned char *leaf = g_rand.hash[index], *root = mth(0, size);
            size_t count = 99;
            ref_inclusion(index, size, 1, &ref);
            pairs++;
            if (!dense(index, size)) {
                expect_incl(1, index, size, leaf, CP(ref.hash), ref.count, root, "reference");
                continue;
            }
            leaves_arm(&l, size);
            assert_int_equal(sk_merkle_inclusion_proof(index, size, leaf_at, &l, got, &count),
                             SK_OK);
            /* Every entry but index lies in exactly one subtree of the proof. */
            assert_int_equal(l.reads, size - 1);
            assert_int_equal(l.out_of_range, 0);
            assert_int_equal(count, ref.count);
            if (memcmp(got, ref.hash, count * HB) != 0)
                fail_msg("inclusion proof (%llu, %llu) differs from the RFC recursion",
                         (unsigned long long)index, (unsigned long long)size);
            generated++;
            check_inclusion(index, size, leaf, CP(got), count, root, size <= ALL_BYTES_N);
            altered++;
        }
    }
    print_message("# inclusion: %lu pairs verified, %lu generated and altered, %lu verdicts\n",
                  pairs, generated, g_checks);
    assert_int_equal(pairs, REF_N * (REF_N + 1) / 2);
    assert_int_equal(generated, altered);
}

static void test_consistency_exhaustive(void **state)
{
    unsigned char got[SK_MERKLE_PROOF_MAX][HB];
    ref_proof ref;
    leaves l = g_rand;
    unsigned long pairs = 0, generated = 0;

    (void)state;
    g_checks = 0;
    for (uint64_t new_size = 1; new_size <= REF_N; new_size++) {
        for (uint64_t old_size = 1; old_size <= new_size; old_size++) {
            const unsigned char *old_root = mth(0, old_size), *new_root = mth(0, new_size);
            size_t count = 99;
            ref_consistency(old_size, new_size, 1, &ref);
            pairs++;
            if (!dense(old_size, new_size)) {
                expect_cons(1, old_size, new_size, old_root, new_root, CP(ref.hash), ref.count,
                            "reference");
                continue;
            }
            leaves_arm(&l, new_size);
            assert_int_equal(
                sk_merkle_consistency_proof(old_size, new_size, leaf_at, &l, got, &count), SK_OK);
            assert_true(l.reads <= new_size);
            if (old_size == new_size)
                assert_int_equal(l.reads, 0);
            assert_int_equal(l.out_of_range, 0);
            assert_int_equal(count, ref.count);
            if (memcmp(got, ref.hash, count * HB) != 0)
                fail_msg("consistency proof (%llu, %llu) differs from the RFC recursion",
                         (unsigned long long)old_size, (unsigned long long)new_size);
            generated++;
            check_consistency(old_size, new_size, old_root, new_root, CP(got), count,
                              new_size <= ALL_BYTES_N);
        }
    }
    print_message("# consistency: %lu pairs verified, %lu generated and altered, %lu verdicts\n",
                  pairs, generated, g_checks);
    assert_int_equal(pairs, REF_N * (REF_N + 1) / 2);
}

/* Proofs over the whole random tree, beyond the table. */
static void test_large_tree_proofs(void **state)
{
    unsigned char proof[SK_MERKLE_PROOF_MAX][HB], r1[HB], r2[HB];
    leaves l = g_rand;
    sk_merkle_frontier f;

    (void)state;
    rng_state = 77;
    for (int t = 0; t < 40; t++) {
        uint64_t size = 1 + rng() % FRONTIER_N, index = rng() % size, old_size = 1 + rng() % size;
        size_t count;
        leaves_arm(&l, size);
        assert_int_equal(sk_merkle_root(size, leaf_at, &l, r2), SK_OK);
        assert_int_equal(sk_merkle_inclusion_proof(index, size, leaf_at, &l, proof, &count), SK_OK);
        assert_int_equal(l.out_of_range, 0);
        check_inclusion(index, size, g_rand.hash[index], CP(proof), count, r2, 0);
        sk_merkle_frontier_init(&f);
        for (uint64_t i = 0; i < old_size; i++)
            sk_merkle_frontier_append(&f, g_rand.hash[i]);
        sk_merkle_frontier_root(&f, r1);
        assert_int_equal(sk_merkle_consistency_proof(old_size, size, leaf_at, &l, proof, &count),
                         SK_OK);
        assert_int_equal(l.out_of_range, 0);
        check_consistency(old_size, size, r1, r2, CP(proof), count, 0);
    }
}

/* ------------------------------------------------------- 2^63 equal leaves */

/* MTH of width identical leaves: pow2[j] is the complete subtree of 2^j. */
static void uniform_mth(unsigned char pow2[64][HB], uint64_t width, unsigned char out[HB])
{
    unsigned char right[HB];
    uint64_t k;
    unsigned j = 0;

    assert_true(width >= 1);
    if ((width & (width - 1)) == 0) {
        while (((uint64_t)1 << j) != width)
            j++;
        memcpy(out, pow2[j], HB);
        return;
    }
    k = split_below(width);
    uniform_mth(pow2, width - k, right);
    uniform_mth(pow2, k, out);
    sk_merkle_node_hash(out, right, out);
}

/* The reference proofs again, with hashes of the uniform tree. */
static void uniform_proof(unsigned char pow2[64][HB], const ref_proof *shape, uint64_t index,
                          uint64_t size, int consistency,
                          unsigned char out[SK_MERKLE_PROOF_MAX + 1][HB])
{
    /* Re-walk the splits top-down to learn each sibling's width. */
    uint64_t widths[SK_MERKLE_PROOF_MAX + 1], lo = 0, hi = size, m = index;
    size_t n = 0;
    int whole = 1;

    if (consistency) {
        while (m != hi - lo) {
            uint64_t k = split_below(hi - lo);
            if (m <= k) {
                widths[n++] = hi - lo - k;
                hi = lo + k;
            } else {
                widths[n++] = k;
                lo += k;
                m -= k;
                whole = 0;
            }
        }
        if (!whole)
            widths[n++] = hi - lo;
    } else {
        while (hi - lo > 1) {
            uint64_t k = split_below(hi - lo);
            if (index - lo < k) {
                widths[n++] = hi - lo - k;
                hi = lo + k;
            } else {
                widths[n++] = k;
                lo += k;
            }
        }
    }
    assert_int_equal(n, shape->count);
    for (size_t i = 0; i < n; i++)
        uniform_mth(pow2, widths[n - 1 - i], out[i]);
}

static void test_maximal_proofs(void **state)
{
    static unsigned char pow2[64][HB];
    unsigned char proof[SK_MERKLE_PROOF_MAX + 1][HB], r1[HB], r2[HB];
    const uint64_t big = SIZE_MAX_TREE;
    const uint64_t incl[][2] = {{0, big},         {big - 1, big},
                                {big / 2, big},   {big - 2, big - 1},
                                {12345, big - 1}, {(big / 3) * 2, big / 3 * 2 + 5}};
    const uint64_t cons[][2] = {{big - 1, big},     {1, big},     {big / 2, big},
                                {big / 2 + 1, big}, {3, big - 1}, {big - 2, big - 1}};
    ref_proof shape;

    (void)state;
    sk_merkle_leaf_hash("same", 4, pow2[0]);
    for (unsigned j = 1; j < 64; j++)
        sk_merkle_node_hash(pow2[j - 1], pow2[j - 1], pow2[j]);
    for (size_t t = 0; t < sizeof(incl) / sizeof(incl[0]); t++) {
        uint64_t index = incl[t][0], size = incl[t][1];
        ref_inclusion(index, size, 0, &shape);
        uniform_proof(pow2, &shape, index, size, 0, proof);
        uniform_mth(pow2, size, r2);
        if (index == 0 && size == big)
            assert_int_equal(shape.count, 63);
        expect_incl(1, index, size, pow2[0], CP(proof), shape.count, r2, "2^63 tree");
        flip(proof[shape.count / 2], t);
        expect_incl(0, index, size, pow2[0], CP(proof), shape.count, r2, "2^63 tree, flipped");
    }
    for (size_t t = 0; t < sizeof(cons) / sizeof(cons[0]); t++) {
        uint64_t old_size = cons[t][0], new_size = cons[t][1];
        ref_consistency(old_size, new_size, 0, &shape);
        uniform_proof(pow2, &shape, old_size, new_size, 1, proof);
        uniform_mth(pow2, old_size, r1);
        uniform_mth(pow2, new_size, r2);
        if (old_size == big - 1)
            assert_int_equal(shape.count, SK_MERKLE_PROOF_MAX); /* the longest there is */
        expect_cons(1, old_size, new_size, r1, r2, CP(proof), shape.count, "2^63 tree");
        flip(proof[shape.count - 1], t);
        expect_cons(0, old_size, new_size, r1, r2, CP(proof), shape.count, "2^63 tree, flipped");
    }
}

/* ------------------------------------------------------------------ garbage */

static void test_verifiers_on_garbage(void **state)
{
    /* Exactly SK_MERKLE_PROOF_MAX hashes on the heap: ASan catches a
     * verifier that reads past them for a larger count. */
    unsigned char(*proof)[HB] = malloc(SK_MERKLE_PROOF_MAX * HB);
    unsigned char a[HB], b[HB];
    const uint64_t sizes[] = {0,
                              1,
                              2,
                              3,
                              7,
                              8,
                              9,
                              255,
                              1ULL << 32,
                              SIZE_MAX_TREE - 1,
                              SIZE_MAX_TREE,
                              SIZE_MAX_TREE + 1,
                              UINT64_MAX - 1,
                              UINT64_MAX};
    const size_t counts[] = {0, 1, 2, 3, 31, 62, 63, 64, 65, 1000, SIZE_MAX / HB, SIZE_MAX};
    unsigned long calls = 0;

    (void)state;
    assert_non_null(proof);
    rng_state = 99;
    for (size_t i = 0; i < SK_MERKLE_PROOF_MAX; i++)
        for (size_t j = 0; j < HB; j++)
            proof[i][j] = (unsigned char)rng();
    memset(a, 0x11, HB);
    memset(b, 0x22, HB);
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (size_t t = 0; t < sizeof(sizes) / sizeof(sizes[0]); t++) {
            const uint64_t x[] = {sizes[t], sizes[t] - 1, sizes[t] + 1, sizes[s] - 1, sizes[s] / 2};
            for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
                for (size_t v = 0; v < sizeof(x) / sizeof(x[0]); v++) {
                    const unsigned char(*p)[HB] = counts[c] == 0 ? NULL : CP(proof);
                    assert_int_equal(sk_merkle_verify_inclusion(x[v], sizes[s], a, p, counts[c], b),
                                     0);
                    assert_int_equal(
                        sk_merkle_verify_consistency(x[v], sizes[s], a, b, p, counts[c]), 0);
                    calls += 2;
                }
            }
        }
    }
    /* Random sizes near every power of two and random lengths. */
    for (int t = 0; t < 100000; t++) {
        unsigned shift = (unsigned)(rng() % 64);
        uint64_t size = (rng() >> shift) + (uint64_t)(rng() % 3) - 1;
        uint64_t other = rng() % 4 == 0 ? rng() : (size > 0 ? rng() % size : 0);
        size_t count = (size_t)(rng() % 70);
        if (count > SK_MERKLE_PROOF_MAX && rng() % 2 == 0)
            count = (size_t)rng();
        assert_int_equal(sk_merkle_verify_inclusion(other, size, a, CP(proof), count, b), 0);
        assert_int_equal(sk_merkle_verify_consistency(other, size, a, b, CP(proof), count), 0);
        calls += 2;
    }
    /* The trivial valid cases, and their neighbours. */
    assert_int_equal(sk_merkle_verify_inclusion(0, 1, a, NULL, 0, a), 1);
    assert_int_equal(sk_merkle_verify_inclusion(0, 1, a, NULL, 0, b), 0);
    assert_int_equal(sk_merkle_verify_inclusion(0, 1, a, CP(proof), 1, a), 0);
    assert_int_equal(sk_merkle_verify_consistency(5, 5, a, a, NULL, 0), 1);
    assert_int_equal(sk_merkle_verify_consistency(5, 5, a, b, NULL, 0), 0);
    assert_int_equal(sk_merkle_verify_consistency(5, 5, a, a, CP(proof), 1), 0);
    assert_int_equal(sk_merkle_verify_consistency(0, 0, a, a, NULL, 0), 0);
    assert_int_equal(sk_merkle_verify_consistency(0, 5, a, b, NULL, 0), 0);
    assert_int_equal(sk_merkle_verify_consistency(SIZE_MAX_TREE, SIZE_MAX_TREE, a, a, NULL, 0), 1);
    assert_int_equal(
        sk_merkle_verify_consistency(SIZE_MAX_TREE + 1, SIZE_MAX_TREE + 1, a, a, NULL, 0), 0);
    print_message("# garbage: %lu verifier calls, none accepted\n", calls);
    free(proof);
}

/* ---------------------------------------------------------- generator errors */

static void test_generator_arguments(void **state)
{
    unsigned char proof[SK_MERKLE_PROOF_MAX][HB];
    leaves l = g_rand;
    size_t count;

    (void)state;
    leaves_arm(&l, FRONTIER_N);
    count = 5;
    assert_int_equal(sk_merkle_inclusion_proof(0, 0, leaf_at, &l, proof, &count), SK_ERR_INVALID);
    assert_int_equal(count, 0);
    assert_int_equal(sk_merkle_inclusion_proof(5, UINT64_MAX, leaf_at, &l, proof, &count),
                     SK_ERR_TOO_LARGE);
    /* An index past the end is invalid whatever the size. */
    assert_int_equal(sk_merkle_inclusion_proof(UINT64_MAX, UINT64_MAX, leaf_at, &l, proof, &count),
                     SK_ERR_INVALID);
    assert_int_equal(
        sk_merkle_inclusion_proof(UINT64_MAX, SIZE_MAX_TREE, leaf_at, &l, proof, &count),
        SK_ERR_INVALID);
    assert_int_equal(sk_merkle_inclusion_proof(0, SIZE_MAX_TREE + 1, leaf_at, &l, proof, &count),
                     SK_ERR_TOO_LARGE);
    assert_int_equal(sk_merkle_consistency_proof(0, 5, leaf_at, &l, proof, &count), SK_ERR_INVALID);
    assert_int_equal(sk_merkle_consistency_proof(6, 5, leaf_at, &l, proof, &count), SK_ERR_INVALID);
    assert_int_equal(sk_merkle_consistency_proof(UINT64_MAX, 5, leaf_at, &l, proof, &count),
                     SK_ERR_INVALID);
    assert_int_equal(sk_merkle_consistency_proof(1, SIZE_MAX_TREE + 1, leaf_at, &l, proof, &count),
                     SK_ERR_TOO_LARGE);
    assert_int_equal(count, 0);
    /* Equal sizes: the empty proof, whatever the size, without reading. */
    count = 5;
    assert_int_equal(
        sk_merkle_consistency_proof(SIZE_MAX_TREE, SIZE_MAX_TREE, leaf_at, &l, proof, &count),
        SK_OK);
    assert_int_equal(count, 0);
    assert_int_equal(l.reads, 0);
}

/* Every leaf read in turn fails: the error comes back unchanged, with no
 * proof, until the operation needs no more reads than were allowed. */
static void test_leaf_errors_propagate(void **state)
{
    unsigned char proof[SK_MERKLE_PROOF_MAX][HB], root[HB];
    static const unsigned char zero[HB];
    leaves l = g_rand;
    ref_proof ref;
    size_t count;
    sk_err rc;
    uint64_t n;

    (void)state;
    for (n = 1;; n++) {
        leaves_arm(&l, 37);
        l.fail_at = n;
        count = 99;
        rc = sk_merkle_inclusion_proof(5, 37, leaf_at, &l, proof, &count);
        if (rc == SK_OK)
            break;
        assert_int_equal(rc, SK_ERR_IO);
        assert_int_equal(count, 0);
        assert_int_equal(l.reads, n); /* stops at the first failure */
    }
    assert_int_equal(n, 37); /* 36 reads succeed, then there is no 37th */
    ref_inclusion(5, 37, 1, &ref);
    assert_int_equal(count, ref.count);
    assert_memory_equal(proof, ref.hash, count * HB);

    for (n = 1;; n++) {
        leaves_arm(&l, 200);
        l.fail_at = n;
        count = 99;
        rc = sk_merkle_consistency_proof(13, 200, leaf_at, &l, proof, &count);
        if (rc == SK_OK)
            break;
        assert_int_equal(rc, SK_ERR_IO);
        assert_int_equal(count, 0);
    }
    ref_consistency(13, 200, 1, &ref);
    assert_int_equal(count, ref.count);
    assert_memory_equal(proof, ref.hash, count * HB);

    for (n = 1;; n++) {
        leaves_arm(&l, 50);
        l.fail_at = n;
        memset(root, 0x5a, HB);
        rc = sk_merkle_root(50, leaf_at, &l, root);
        if (rc == SK_OK)
            break;
        assert_int_equal(rc, SK_ERR_IO);
        assert_memory_equal(root, zero, HB);
    }
    assert_int_equal(n, 51);
    assert_memory_equal(root, mth(0, 50), HB);

    /* A missing entry, too, comes back unchanged. */
    leaves_arm(&l, 10);
    assert_int_equal(sk_merkle_root(11, leaf_at, &l, root), SK_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),          cmocka_unit_test(test_hash_primitives),
        cmocka_unit_test(test_frontier_matches_root),  cmocka_unit_test(test_inclusion_exhaustive),
        cmocka_unit_test(test_consistency_exhaustive), cmocka_unit_test(test_large_tree_proofs),
        cmocka_unit_test(test_maximal_proofs),         cmocka_unit_test(test_verifiers_on_garbage),
        cmocka_unit_test(test_generator_arguments),    cmocka_unit_test(test_leaf_errors_propagate),
    };

    return cmocka_run_group_tests(tests, setup_random_tree, teardown_random_tree);
}
