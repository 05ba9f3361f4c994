/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writer.c: double-buffered output on a second thread.
 *
 * events.jsonl runs to gigabytes, and copying it into the page cache costs
 * about as much CPU as generating it. So the generator fills one buffer
 * while a writer thread hands the other to write(2): on two cores the two
 * halves of the work overlap. The protocol is the simplest that works: two
 * fixed buffers, a mutex and one condition variable; the producer blocks
 * only when both buffers are full. The first write error is kept and
 * reported by every later call, and the output bytes and their order are
 * exactly those of a single-threaded write, so determinism is untouched.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "gen_int.h"

#include "sk_int.h"

#define WRITER_BUF_BYTES ((size_t)8 << 20)

struct gen_writer {
    int fd;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char *buf[2];
    size_t len[2];
    int full[2];  /* handed to the thread, not yet written */
    int fill;     /* the buffer the producer appends to */
    int done;     /* no more buffers will come */
    sk_err error; /* first write failure */
};

static sk_err write_all(int fd, const char *p, size_t n)
{
    sk_err rc = SK_OK;

    while (rc == SK_OK && n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = SK_ERR_IO;
        } else {
            p += w;
            n -= (size_t)w;
        }
    }
    return rc;
}

static void *writer_main(void *arg)
{
    gen_writer *w = arg;
    int next = 0;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->full[next] && !w->done)
            pthread_cond_wait(&w->cond, &w->lock);
        if (!w->full[next])
            break; /* done, and nothing left to write */
        pthread_mutex_unlock(&w->lock);
        {
            sk_err rc = write_all(w->fd, w->buf[next], w->len[next]);
            pthread_mutex_lock(&w->lock);
            if (rc != SK_OK && w->error == SK_OK)
                w->error = rc;
        }
        w->full[next] = 0;
        w->len[next] = 0;
        pthread_cond_broadcast(&w->cond);
        next ^= 1;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

sk_err gen_writer_open(int fd, gen_writer **out)
{
    gen_writer *w = NULL;
    sk_err rc = SK_OK;

    SK_ASSERT(fd >= 0 && out != NULL);
    *out = NULL;
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    w->fd = fd;
    w->buf[0] = malloc(WRITER_BUF_BYTES);
    w->buf[1] = malloc(WRITER_BUF_BYTES);
    if (w->buf[0] == NULL || w->buf[1] == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        rc = SK_ERR_NOMEM;
        goto out;
    }
    *out = w;
    w = NULL;
out:
    if (w != NULL) {
        free(w->buf[0]);
        free(w->buf[1]);
        free(w);
    }
    return rc;
}

/* Hands the fill buffer to the thread and waits until the other is free. */
static sk_err swap(gen_writer *w)
{
    sk_err rc;

    pthread_mutex_lock(&w->lock);
    w->full[w->fill] = 1;
    pthread_cond_broadcast(&w->cond);
    w->fill ^= 1;
    while (w->full[w->fill])
        pthread_cond_wait(&w->cond, &w->lock);
    rc = w->error;
    pthread_mutex_unlock(&w->lock);
    return rc;
}

sk_err gen_writer_put(gen_writer *w, const char *p, size_t n)
{
    sk_err rc = SK_OK;

    SK_ASSERT(w != NULL && (p != NULL || n == 0));
    while (rc == SK_OK && n > 0) {
        size_t room = WRITER_BUF_BYTES - w->len[w->fill];
        size_t take = n < room ? n : room;
        memcpy(w->buf[w->fill] + w->len[w->fill], p, take);
        w->len[w->fill] += take;
        p += take;
        n -= take;
        if (w->len[w->fill] == WRITER_BUF_BYTES)
            rc = swap(w);
    }
    return rc;
}

sk_err gen_writer_close(gen_writer *w)
{
    sk_err rc = SK_OK;

    if (w == NULL)
        goto out;
    pthread_mutex_lock(&w->lock);
    if (w->len[w->fill] > 0)
        w->full[w->fill] = 1;
    w->done = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    rc = w->error;
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w->buf[0]);
    free(w->buf[1]);
    free(w);
out:
    return rc;
}
