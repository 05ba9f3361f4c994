/* SPDX-License-Identifier: Apache-2.0 */
/*
 * waker.c: how safekeepd's background threads (the deliverer, the alert
 * sweeper) sleep between passes and are woken or told to stop. The wait
 * runs on CLOCK_MONOTONIC, so a change of the wall clock neither cuts a nap
 * short nor stretches it.
 */
#include "api.h"

#include <errno.h>
#include <time.h>

void sk_waker_init(sk_waker *w)
{
    pthread_condattr_t attr;

    SK_ASSERT(w != NULL);
    w->woken = 0;
    w->stopping = 0;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &attr);
    pthread_condattr_destroy(&attr);
}

void sk_waker_fini(sk_waker *w)
{
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->mu);
}

int sk_waker_stopping(sk_waker *w)
{
    int s;

    pthread_mutex_lock(&w->mu);
    s = w->stopping;
    pthread_mutex_unlock(&w->mu);
    return s;
}

void sk_waker_arm(sk_waker *w)
{
    pthread_mutex_lock(&w->mu);
    w->woken = 0;
    pthread_mutex_unlock(&w->mu);
}

void sk_waker_nap(sk_waker *w, int64_t ms)
{
    struct timespec ts;
    int64_t deadline;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + ms;
    ts.tv_sec = (time_t)(deadline / 1000);
    ts.tv_nsec = (long)(deadline % 1000) * 1000000L;
    pthread_mutex_lock(&w->mu);
    while (!w->woken && !w->stopping) {
        if (pthread_cond_timedwait(&w->cond, &w->mu, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&w->mu);
}

void sk_waker_wake(sk_waker *w)
{
    pthread_mutex_lock(&w->mu);
    w->woken = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

void sk_waker_stop(sk_waker *w)
{
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
}
