/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ratelimit.c: a token bucket per bearer token, so that one client (or one
 * leaked token) cannot starve every other agency. Buckets live in a fixed
 * open-addressed table keyed by the token's public id; when the table is
 * full the least recently used slot of the probe window is reused, so the
 * memory is bounded whatever the number of tokens. One mutex: the critical
 * section is a few arithmetic operations.
 */
#include "api.h"

#include "sk_int.h"

#define SLOTS   4096
#define PROBE   8
#define KEY_MAX 40

typedef struct bucket {
    char key[KEY_MAX];
    double tokens;
    int64_t last_ns;
} bucket;

struct sk_ratelimit {
    pthread_mutex_t mu;
    double rate, burst;
    bucket slots[SLOTS];
};

sk_err sk_ratelimit_new(unsigned rate_per_s, unsigned burst, sk_ratelimit **out)
{
    sk_ratelimit *l = calloc(1, sizeof(*l));

    if (l == NULL)
        return SK_ERR_NOMEM;
    pthread_mutex_init(&l->mu, NULL);
    l->rate = rate_per_s;
    l->burst = burst > rate_per_s ? burst : rate_per_s;
    *out = l;
    return SK_OK;
}

void sk_ratelimit_free(sk_ratelimit *l)
{
    if (l == NULL)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static uint32_t hash(sk_str key)
{
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < key.len; i++)
        h = (h ^ (unsigned char)key.ptr[i]) * 16777619u;
    return h;
}

static bucket *find(sk_ratelimit *l, sk_str key, int64_t now_ns)
{
    uint32_t h = hash(key);
    bucket *oldest = NULL;
    size_t i;

    for (i = 0; i < PROBE; i++) {
        bucket *b = &l->slots[(h + i) % SLOTS];
        if (b->key[0] == '\0' ||
            (strlen(b->key) == key.len && memcmp(b->key, key.ptr, key.len) == 0)) {
            if (b->key[0] == '\0') {
                memcpy(b->key, key.ptr, key.len);
                b->key[key.len] = '\0';
                b->tokens = l->burst;
                b->last_ns = now_ns;
            }
            return b;
        }
        if (oldest == NULL || b->last_ns < oldest->last_ns)
            oldest = b;
    }
    memcpy(oldest->key, key.ptr, key.len);
    oldest->key[key.len] = '\0';
    oldest->tokens = l->burst;
    oldest->last_ns = now_ns;
    return oldest;
}

int sk_ratelimit_take(sk_ratelimit *l, sk_str key, int64_t now_ns, unsigned *retry_s)
{
    bucket *b;
    int ok;

    if (l->rate <= 0)
        return 1;
    if (key.len == 0 || key.len >= KEY_MAX)
        key.len = key.len >= KEY_MAX ? KEY_MAX - 1 : key.len;
    pthread_mutex_lock(&l->mu);
    b = find(l, key, now_ns);
    b->tokens += (double)(now_ns - b->last_ns) / 1e9 * l->rate;
    if (b->tokens > l->burst)
        b->tokens = l->burst;
    b->last_ns = now_ns;
    ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    else
        *retry_s = (unsigned)((1.0 - b->tokens) / l->rate) + 1;
    pthread_mutex_unlock(&l->mu);
    return ok;
}
