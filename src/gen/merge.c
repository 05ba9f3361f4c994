/* SPDX-License-Identifier: Apache-2.0 */
/*
 * merge.c: writes events.jsonl in recorded_at order without holding the
 * population in memory.
 *
 * Children are simulated in apprehension order, and no event of a child is
 * recorded before its apprehension. So once child i is about to be
 * simulated, every pending event recorded before child i's apprehension is
 * final: nothing still to come can precede it. Each simulated child's lines
 * are rendered at once into one block, sorted by (recorded_at, sequence),
 * and the blocks sit in a binary min-heap keyed by their next line: a k-way
 * merge over the children whose stories are not yet fully written. Memory
 * is bounded by those children (the last few months of apprehensions plus
 * the court cases that run for years), not by the population, and ties are
 * broken by child number then sequence, so the order is total and the
 * output deterministic.
 */
#include "gen_int.h"

#include "sk_int.h"

#define HEAP_MAX ((size_t)SK_GEN_CHILDREN_MAX + 1)

typedef struct gen_line {
    int64_t rec;
    uint32_t off, len;
    uint32_t seq;
} gen_line;

typedef struct gen_block {
    uint32_t number;
    uint32_t count, next;
    gen_line *lines; /* in the same allocation, after the header */
    char *text;      /* likewise, after the lines */
} gen_block;

/* The key of a block's next line sits in the heap itself, so that sifting
 * compares contiguous memory instead of chasing a pointer per comparison. */
typedef struct gen_slot {
    int64_t rec;
    uint32_t number, seq;
    gen_block *block;
} gen_slot;

struct gen_merge {
    gen_writer *out;
    gen_slot *heap;
    size_t count, cap;
    uint64_t written;
};

sk_err gen_merge_new(gen_writer *out, gen_merge **out_merge)
{
    gen_merge *m = NULL;
    sk_err rc = SK_OK;

    SK_ASSERT(out != NULL && out_merge != NULL);
    *out_merge = NULL;
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    m->out = out;
    m->cap = 4096;
    m->heap = malloc(m->cap * sizeof(*m->heap));
    if (m->heap == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    *out_merge = m;
    m = NULL;
out:
    gen_merge_free(m);
    return rc;
}

void gen_merge_free(gen_merge *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; i < m->count; i++)
        free(m->heap[i].block);
    free(m->heap);
    free(m);
}

uint64_t gen_merge_written(const gen_merge *m)
{
    SK_ASSERT(m != NULL);
    return m->written;
}

static int less(const gen_slot *a, const gen_slot *b)
{
    if (a->rec != b->rec)
        return a->rec < b->rec;
    if (a->number != b->number)
        return a->number < b->number;
    return a->seq < b->seq;
}

static void slot_load(gen_slot *s, gen_block *b)
{
    s->rec = b->lines[b->next].rec;
    s->number = b->number;
    s->seq = b->lines[b->next].seq;
    s->block = b;
}

static void sift_up(gen_merge *m, size_t i)
{
    gen_slot s = m->heap[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!less(&s, &m->heap[parent]))
            break;
        m->heap[i] = m->heap[parent];
        i = parent;
    }
    m->heap[i] = s;
}

static void sift_down(gen_merge *m, size_t i)
{
    gen_slot s = m->heap[i];

    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= m->count)
            break;
        if (child + 1 < m->count && less(&m->heap[child + 1], &m->heap[child]))
            child++;
        if (!less(&m->heap[child], &s))
            break;
        m->heap[i] = m->heap[child];
        i = child;
    }
    m->heap[i] = s;
}

static sk_err push(gen_merge *m, gen_block *b)
{
    sk_err rc = SK_OK;

    if (m->count == m->cap) {
        size_t cap = m->cap * 2;
        gen_slot *h;
        if (cap > HEAP_MAX) {
            rc = SK_ERR_TOO_LARGE;
            goto out;
        }
        h = realloc(m->heap, cap * sizeof(*h));
        if (h == NULL) {
            rc = SK_ERR_NOMEM;
            goto out;
        }
        m->heap = h;
        m->cap = cap;
    }
    slot_load(&m->heap[m->count++], b);
    sift_up(m, m->count - 1);
out:
    return rc;
}

sk_err gen_merge_add(gen_merge *m, const gen_child *c, gen_text *scratch)
{
    gen_line lines[GEN_EV_MAX];
    gen_block *b = NULL;
    size_t i, head;
    sk_err rc = SK_OK;

    SK_ASSERT(m != NULL && c != NULL && scratch != NULL);
    SK_ASSERT(c->order_count > 0);
    scratch->len = 0;
    scratch->overflow = 0;
    for (i = 0; i < c->order_count; i++) {
        const gen_ev *e = &c->ev[c->order[i]];
        size_t start = scratch->len;
        /* The merge is only correct if nothing precedes the apprehension. */
        SK_ASSERT(e->rec >= c->apprehended);
        rc = gen_render_event(c, e, scratch);
        if (rc != SK_OK)
            goto out;
        lines[i].rec = e->rec;
        lines[i].off = (uint32_t)start;
        lines[i].len = (uint32_t)(scratch->len - start);
        lines[i].seq = (uint32_t)i;
    }
    head = sizeof(*b) + c->order_count * sizeof(gen_line);
    b = malloc(head + scratch->len);
    if (b == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    b->number = c->number;
    b->count = (uint32_t)c->order_count;
    b->next = 0;
    b->lines = (gen_line *)(void *)(b + 1);
    b->text = (char *)b + head;
    memcpy(b->lines, lines, c->order_count * sizeof(gen_line));
    memcpy(b->text, scratch->ptr, scratch->len);
    rc = push(m, b);
    if (rc == SK_OK)
        b = NULL;
out:
    free(b);
    return rc;
}

/* Once half a block is written, its unwritten lines move to the front and
 * the allocation shrinks: a child whose court case runs for years keeps
 * only its few pending lines in memory, not its whole story. */
static gen_block *compact(gen_block *b)
{
    uint32_t keep = b->count - b->next, i;
    uint32_t text_from = b->lines[b->next].off;
    size_t text_len = 0, head;
    gen_block *nb;

    for (i = b->next; i < b->count; i++)
        text_len += b->lines[i].len;
    memmove(b->lines, b->lines + b->next, keep * sizeof(gen_line));
    for (i = 0; i < keep; i++)
        b->lines[i].off -= text_from;
    head = sizeof(*b) + keep * sizeof(gen_line);
    memmove((char *)b + head, b->text + text_from, text_len);
    b->count = keep;
    b->next = 0;
    nb = realloc(b, head + text_len);
    if (nb == NULL)
        nb = b; /* shrinking failed: keep the larger block, which still works */
    nb->lines = (gen_line *)(void *)(nb + 1);
    nb->text = (char *)nb + head;
    return nb;
}

/* Writes the heap's least line and moves its block on. */
static sk_err emit_top(gen_merge *m)
{
    gen_block *b = m->heap[0].block;
    const gen_line *l = &b->lines[b->next];
    sk_err rc = SK_OK;

    rc = gen_writer_put(m->out, b->text + l->off, l->len);
    if (rc != SK_OK)
        goto out;
    m->written++;
    b->next++;
    if (b->next == b->count) {
        free(b);
        m->heap[0] = m->heap[--m->count];
    } else {
        if (b->next >= 4 && b->next * 2 >= b->count)
            b = compact(b);
        slot_load(&m->heap[0], b);
    }
    if (m->count > 0)
        sift_down(m, 0);
out:
    return rc;
}

sk_err gen_merge_flush_before(gen_merge *m, int64_t rec, uint32_t number)
{
    sk_err rc = SK_OK;

    SK_ASSERT(m != NULL);
    while (rc == SK_OK && m->count > 0) {
        const gen_slot *top = &m->heap[0];
        if (top->rec > rec || (top->rec == rec && top->number >= number))
            break;
        rc = emit_top(m);
    }
    return rc;
}

sk_err gen_merge_drain(gen_merge *m)
{
    sk_err rc = SK_OK;

    SK_ASSERT(m != NULL);
    while (rc == SK_OK && m->count > 0)
        rc = emit_top(m);
    return rc;
}
