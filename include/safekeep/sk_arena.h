/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_arena.h: a bump allocator over fixed-capacity chunks. All data whose
 * lifetime is one request, one imported line or one batch comes from an
 * arena; it is released all at once by sk_arena_reset, which wipes the used
 * bytes first because they hold personal data.
 */
#ifndef SK_ARENA_H
#define SK_ARENA_H

#include "safekeep/sk_core.h"

typedef struct sk_arena sk_arena;

/* Creates an arena whose chunks hold chunk_bytes each, and which refuses to
 * grow past bytes_max in total (SK_ERR_TOO_LARGE). Caller frees with
 * sk_arena_free. Returns SK_ERR_NOMEM or SK_ERR_INVALID (zero sizes). */
SK_NODISCARD sk_err sk_arena_new(size_t chunk_bytes, size_t bytes_max, sk_arena **out);

/* Wipes and frees every chunk. NULL is accepted. */
void sk_arena_free(sk_arena *arena);

/* Allocates size bytes aligned for any object. Returns SK_ERR_TOO_LARGE when
 * the arena's limit would be passed, SK_ERR_NOMEM when malloc fails. */
SK_NODISCARD sk_err sk_arena_alloc(sk_arena *arena, size_t size, void **out);

/* Copies len bytes into the arena and appends a NUL. */
SK_NODISCARD sk_err sk_arena_strdup(sk_arena *arena, sk_str src, sk_str *out);

/* Wipes the bytes used so far and makes the whole capacity available again.
 * The first chunk is kept; others are freed. */
void sk_arena_reset(sk_arena *arena);

/* Bytes handed out since the last reset. */
size_t sk_arena_used(const sk_arena *arena);

/* Test hook: the Nth allocation from now on (1-based) fails with
 * SK_ERR_NOMEM, as does every later one; 0 disables it. Not thread-safe. */
void sk_arena_fail_after(sk_arena *arena, unsigned long n);

#endif /* SK_ARENA_H */
