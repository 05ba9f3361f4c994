/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prng.c: the generator's own pseudo-random numbers.
 *
 * Output must be byte-identical for a given seed on every machine and libc,
 * so nothing here calls rand() or reads the clock. xoshiro256** (Blackman
 * and Vigna) is fast and passes BigCrush; splitmix64 expands a 64-bit seed
 * into its 256-bit state, as its authors recommend. Every child gets its own
 * stream, derived from the seed and the child's number, so a child's story
 * does not depend on how many numbers its predecessors happened to draw.
 * Bounded integers use rejection, so they are exactly uniform.
 */
#include <math.h>

#include "gen_int.h"

#include "sk_int.h"

uint64_t gen_splitmix64(uint64_t *state)
{
    uint64_t z;

    SK_ASSERT(state != NULL);
    *state += 0x9E3779B97F4A7C15ull;
    z = *state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void gen_rng_seed(gen_rng *rng, uint64_t seed, uint64_t stream)
{
    uint64_t sm;
    size_t i;

    SK_ASSERT(rng != NULL);
    /* Mix the stream number through splitmix64 first, so that neighbouring
     * streams (child 41 and child 42) start far apart. */
    sm = stream * 0xD1B54A32D192ED03ull;
    sm = gen_splitmix64(&sm) ^ seed;
    for (i = 0; i < 4; i++)
        rng->s[i] = gen_splitmix64(&sm);
    /* The all-zero state is the one state xoshiro cannot leave. */
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
        rng->s[0] = 1;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t gen_rng_next(gen_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t gen_rng_below(gen_rng *rng, uint64_t bound)
{
    uint64_t threshold, r;

    SK_ASSERT(bound > 0);
    /* Values below 2^64 mod bound would make small results more likely. */
    threshold = (0 - bound) % bound;
    for (;;) {
        r = gen_rng_next(rng);
        if (r >= threshold)
            break;
    }
    return r % bound;
}

int64_t gen_rng_range(gen_rng *rng, int64_t lo, int64_t hi)
{
    SK_ASSERT(lo <= hi);
    return lo + (int64_t)gen_rng_below(rng, (uint64_t)(hi - lo) + 1);
}

double gen_rng_unit(gen_rng *rng)
{
    return (double)(gen_rng_next(rng) >> 11) * 0x1.0p-53;
}

int gen_rng_chance(gen_rng *rng, double p)
{
    return gen_rng_unit(rng) < p;
}

uint8_t gen_rng_flag(gen_rng *rng, double p)
{
    return gen_rng_chance(rng, p) ? 1 : 0;
}

/* Box-Muller; one of the pair is thrown away to keep the state simple. */
static double normal(gen_rng *rng)
{
    double u1 = 1.0 - gen_rng_unit(rng); /* (0, 1]: log(0) would be -inf */
    double u2 = gen_rng_unit(rng);

    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double gen_rng_lognormal(gen_rng *rng, double median, double sigma)
{
    SK_ASSERT(median > 0.0);
    return median * exp(sigma * normal(rng));
}

size_t gen_rng_pick(gen_rng *rng, const uint16_t *weights, size_t count)
{
    uint64_t total = 0, r;
    size_t i;

    SK_ASSERT(weights != NULL);
    SK_ASSERT(count > 0);
    for (i = 0; i < count; i++)
        total += weights[i];
    SK_ASSERT(total > 0);
    r = gen_rng_below(rng, total);
    for (i = 0; i < count; i++) {
        if (r < weights[i])
            break;
        r -= weights[i];
    }
    SK_ASSERT(i < count);
    return i;
}
