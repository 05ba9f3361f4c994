/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/notify/load.c: the open-loop load. Request i is due at
 * t0 + i * batch / rate; each of the sending threads, with one keep-alive
 * libcurl connection, takes the next request number, sleeps until it is
 * due and sends it, so a daemon that falls behind shows as lateness rather
 * than as a lower offered rate. Then the wait for the last webhooks.
 */
#include "notify.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

typedef struct worker {
    pthread_t thread;
    int started;
} worker;

static void sleep_until_us(int64_t t)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(t / 1000000);
    ts.tv_nsec = (long)(t % 1000000) * 1000;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !bn_interrupted)
        ;
}

/* The daemon's answer, kept (truncated) for the first failure's message. */
static size_t sink(char *ptr, size_t size, size_t n, void *ctx)
{
    char *buf = ctx;
    size_t have = strlen(buf), len = size * n;
    size_t room = 1024 - 1 - have;

    memcpy(buf + have, ptr, len < room ? len : room);
    buf[have + (len < room ? len : room)] = '\0';
    return len;
}

static size_t request_body(const bench *b, size_t req, char *buf, size_t len)
{
    char at[32];
    struct tm tm;
    time_t t = time(NULL) - 60;
    size_t first = req * b->o.batch, i, n = 0;

    gmtime_r(&t, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (b->o.batch > 1)
        n += (size_t)snprintf(buf + n, len - n, "{\"events\":[");
    for (i = first; i < first + b->o.batch; i++) {
        n += (size_t)snprintf(buf + n, len - n,
                              "%s{\"id\":\"" EVENT_PREFIX "%zu\",\"type\":\"wellness_call\","
                              "\"occurred_at\":\"%s\",\"subjects\":[\"%s\"],"
                              "\"payload\":{\"reached\":true,\"attempt\":1}}",
                              i > first ? "," : "", i, at, b->children[i % b->child_count]);
    }
    if (b->o.batch > 1)
        n += (size_t)snprintf(buf + n, len - n, "]}");
    return n;
}

static void note_outcome(bench *b, size_t req, int64_t due, int64_t sent, int64_t acked, int ok,
                         long status, CURLcode code, const char *answer)
{
    size_t first = req * b->o.batch, i;

    b->commit_us[req] = ok ? acked - sent : -1; /* -1: not a commit */
    if (!ok) {
        atomic_fetch_add(&b->failed_requests, 1);
        if (atomic_exchange(&b->error_shown, 1) == 0)
            fprintf(stderr, ME ": request %zu failed: %s, HTTP %ld: %.300s\n", req,
                    code == CURLE_OK ? "answered" : curl_easy_strerror(code), status, answer);
        return;
    }
    for (i = first; i < first + b->o.batch; i++) {
        b->slots[i].due_us = due;
        b->slots[i].sent_us = sent;
        b->slots[i].acked_us = acked;
        b->slots[i].committed = 1;
    }
    atomic_fetch_add(&b->committed, b->o.batch);
}

static void send_one(bench *b, CURL *h, size_t req, char *body, size_t body_len)
{
    int64_t due = b->t0_us + (int64_t)((double)req * b->interval_us), sent, acked;
    char answer[1024];
    long status = 0;
    CURLcode code;
    size_t len;

    sleep_until_us(due);
    len = request_body(b, req, body, body_len);
    answer[0] = '\0';
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)answer);
    sent = bn_now_us();
    b->lag_us[req] = sent - due;
    code = curl_easy_perform(h);
    acked = bn_now_us();
    if (code == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    note_outcome(b, req, due, sent, acked, code == CURLE_OK && status >= 200 && status < 300,
                 status, code, answer);
}

static void *load_main(void *arg)
{
    bench *b = arg;
    char url[96], auth[320];
    size_t body_len = (size_t)b->o.batch * EVENT_JSON_MAX + 64, req;
    char *body = malloc(body_len);
    struct curl_slist *headers = NULL;
    CURL *h = curl_easy_init();

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/events%s", b->daemon_port,
             b->o.batch > 1 ? "/batch" : "");
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", b->token);
    headers = curl_slist_append(headers, auth);
    headers = curl_slist_append(headers, "Safekeep-Purpose: child_welfare");
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    if (h == NULL || body == NULL || headers == NULL) {
        fprintf(stderr, ME ": out of memory in a load thread\n");
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)REQUEST_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    while (!bn_interrupted) {
        req = atomic_fetch_add(&b->next_request, 1);
        if (req >= b->request_count)
            break;
        send_one(b, h, req, body, body_len);
    }
out:
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    free(body);
    return NULL;
}

int bn_run_load(bench *b)
{
    worker *w = calloc(b->o.connections, sizeof(*w));
    unsigned i;
    int rc = 0;

    if (w == NULL)
        return -1;
    b->t0_us = bn_now_us() + 100000;
    for (i = 0; i < b->o.connections; i++) {
        w[i].started = pthread_create(&w[i].thread, NULL, load_main, b) == 0;
        if (!w[i].started) {
            fprintf(stderr, ME ": cannot start load thread %u\n", i);
            rc = -1;
            bn_interrupted = 1;
        }
    }
    for (i = 0; i < b->o.connections; i++) {
        if (w[i].started)
            pthread_join(w[i].thread, NULL);
    }
    b->load_end_us = bn_now_us();
    free(w);
    return rc;
}

/* Until every committed event's webhook came, none came for drain_s, or
 * the daemon died. */
void bn_drain(bench *b)
{
    size_t last = atomic_load(&b->received);
    int64_t idle_since = bn_now_us();

    while (!bn_interrupted && atomic_load(&b->received) < atomic_load(&b->committed)) {
        size_t now = atomic_load(&b->received);

        if (now != last) {
            last = now;
            idle_since = bn_now_us();
        } else if (bn_now_us() - idle_since > (int64_t)b->o.drain_s * 1000000) {
            break;
        }
        if (waitpid(b->daemon_pid, &b->daemon_status, WNOHANG) == b->daemon_pid) {
            fprintf(stderr, ME ": the daemon exited during the run; its log:\n");
            bn_show_log(b->server_log);
            b->daemon_pid = -1;
            b->daemon_reaped = 1;
            break;
        }
        usleep(20000);
    }
}
