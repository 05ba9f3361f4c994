/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arena.c: bump allocation over a singly linked list of chunks.
 *
 * The first chunk lives as long as the arena, so that a reset arena serves a
 * steady workload without calling malloc at all. Requests larger than a chunk
 * get a chunk of their own. The total is capped: exhaustion is an operating
 * error that the caller maps to "too large", never a crash.
 */
#include "safekeep/sk_arena.h"

#include <stdalign.h>

#include "sk_int.h"

typedef struct chunk {
    struct chunk *next;
    size_t cap;
    size_t used;
    alignas(max_align_t) unsigned char data[];
} chunk;

struct sk_arena {
    chunk *head; /* current chunk; the first chunk is at the tail */
    size_t chunk_bytes;
    size_t bytes_max;
    size_t bytes_total; /* capacity of all chunks */
    size_t bytes_used;
    unsigned long fail_countdown;
};

/* explicit_bzero is a word-at-a-time memset the compiler may not remove:
 * a byte loop through a volatile pointer was a quarter of a request's
 * time in the HTTP server. */
static void wipe(void *p, size_t n)
{
    explicit_bzero(p, n);
}

static chunk *chunk_new(size_t cap)
{
    chunk *c = malloc(sizeof(*c) + cap);
    if (c == NULL)
        return NULL;
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

sk_err sk_arena_new(size_t chunk_bytes, size_t bytes_max, sk_arena **out)
{
    sk_arena *a;

    SK_ASSERT(out != NULL);
    *out = NULL;
    if (chunk_bytes == 0 || bytes_max < chunk_bytes)
        return SK_ERR_INVALID;
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return SK_ERR_NOMEM;
    a->head = chunk_new(chunk_bytes);
    if (a->head == NULL) {
        free(a);
        return SK_ERR_NOMEM;
    }
    a->chunk_bytes = chunk_bytes;
    a->bytes_max = bytes_max;
    a->bytes_total = chunk_bytes;
    *out = a;
    return SK_OK;
}

void sk_arena_free(sk_arena *arena)
{
    chunk *c, *next;

    if (arena == NULL)
        return;
    for (c = arena->head; c != NULL; c = next) {
        next = c->next;
        wipe(c->data, c->used);
        free(c);
    }
    free(arena);
}

sk_err sk_arena_alloc(sk_arena *arena, size_t size, void **out)
{
    const size_t align = alignof(max_align_t);
    chunk *c;
    size_t need, cap;

    SK_ASSERT(arena != NULL);
    SK_ASSERT(out != NULL);
    *out = NULL;
    if (arena->fail_countdown > 0 && --arena->fail_countdown == 0) {
        arena->fail_countdown = 1;
        return SK_ERR_NOMEM;
    }
    if (size > arena->bytes_max)
        return SK_ERR_TOO_LARGE;
    need = (size + align - 1) & ~(align - 1);
    if (need == 0)
        need = align;
    c = arena->head;
    if (c->cap - c->used < need) {
        cap = need > arena->chunk_bytes ? need : arena->chunk_bytes;
        if (arena->bytes_total + cap > arena->bytes_max)
            return SK_ERR_TOO_LARGE;
        c = chunk_new(cap);
        if (c == NULL)
            return SK_ERR_NOMEM;
        c->next = arena->head;
        arena->head = c;
        arena->bytes_total += cap;
    }
    *out = c->data + c->used;
    c->used += need;
    arena->bytes_used += need;
    SK_ASSERT(c->used <= c->cap);
    return SK_OK;
}

sk_err sk_arena_strdup(sk_arena *arena, sk_str src, sk_str *out)
{
    void *p = NULL;
    sk_err rc;

    SK_ASSERT(out != NULL);
    rc = sk_arena_alloc(arena, src.len + 1, &p);
    if (rc != SK_OK)
        return rc;
    if (src.len > 0)
        memcpy(p, src.ptr, src.len);
    ((char *)p)[src.len] = '\0';
    out->ptr = p;
    out->len = src.len;
    return SK_OK;
}

void sk_arena_reset(sk_arena *arena)
{
    chunk *c, *next;

    SK_ASSERT(arena != NULL);
    for (c = arena->head; c->next != NULL; c = next) {
        next = c->next;
        wipe(c->data, c->used);
        arena->bytes_total -= c->cap;
        free(c);
    }
    arena->head = c;
    wipe(c->data, c->used);
    c->used = 0;
    arena->bytes_used = 0;
    SK_ASSERT(arena->bytes_total == arena->chunk_bytes);
}

size_t sk_arena_used(const sk_arena *arena)
{
    SK_ASSERT(arena != NULL);
    return arena->bytes_used;
}

void sk_arena_fail_after(sk_arena *arena, unsigned long n)
{
    SK_ASSERT(arena != NULL);
    arena->fail_countdown = n;
}
