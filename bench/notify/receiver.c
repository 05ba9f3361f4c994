/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/notify/receiver.c: the webhook receiver. libmicrohttpd on
 * 127.0.0.1 with a pool of two threads collects each delivery's body,
 * checks its Standard Webhooks signature with libsodium and notes, on the
 * same monotonic clock as the load threads, when the event it names first
 * arrived. It answers 204 to everything, so that a rejected delivery shows
 * up as a bad signature or a stray here rather than as retries there.
 */
#include "notify.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <sodium.h>

typedef struct rx {
    char *buf;
    size_t len, cap;
    int too_big;
} rx;

/* Standard Webhooks: v1,base64(HMAC-SHA256(key, id "." ts "." body)), any
 * of the space-separated signatures; a timestamp within the tolerance. */
static int verify(const bench *b, const char *id, const char *ts, const char *sigs,
                  const char *body, size_t len)
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char want[sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES,
                                        sodium_base64_VARIANT_ORIGINAL)];
    size_t want_len;
    const char *p;
    long long t;
    char *end = NULL;

    if (id == NULL || ts == NULL || sigs == NULL)
        return 0;
    t = strtoll(ts, &end, 10);
    if (end == ts || *end != '\0' || llabs((long long)time(NULL) - t) > SIG_TOLERANCE_S)
        return 0;
    crypto_auth_hmacsha256_init(&st, b->key, b->key_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, strlen(id));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2base64(want, sizeof(want), mac, sizeof(mac), sodium_base64_VARIANT_ORIGINAL);
    want_len = strlen(want);
    for (p = sigs; *p != '\0';) {
        size_t n = strcspn(p, " ");

        if (n == 3 + want_len && strncmp(p, "v1,", 3) == 0 &&
            sodium_memcmp(p + 3, want, want_len) == 0)
            return 1;
        p += n;
        p += strspn(p, " ");
    }
    return 0;
}

/* The slot of the event a payload names ("event_id":"bench-N"), or NULL. */
static slot *slot_of(bench *b, const char *body, size_t len)
{
    static const char key[] = "\"event_id\":\"" EVENT_PREFIX;
    const char *p = memmem(body, len, key, sizeof(key) - 1);
    size_t i = 0;

    if (p == NULL)
        return NULL;
    for (p += sizeof(key) - 1; p < body + len && *p >= '0' && *p <= '9'; p++) {
        if (i > EVENTS_MAX)
            return NULL;
        i = i * 10 + (size_t)(*p - '0');
    }
    if (p >= body + len || *p != '"' || i >= b->event_count)
        return NULL;
    return &b->slots[i];
}

static void received(bench *b, struct MHD_Connection *c, const rx *r, int64_t t)
{
    const char *id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-id");
    const char *ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-timestamp");
    const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-signature");
    slot *s = r->too_big ? NULL : slot_of(b, r->buf, r->len);

    if (r->too_big || !verify(b, id, ts, sig, r->buf, r->len))
        atomic_fetch_add(&b->bad_signatures, 1);
    if (s == NULL) {
        atomic_fetch_add(&b->strays, 1);
        return;
    }
    if (atomic_fetch_add(&s->receipts, 1) != 0) {
        atomic_fetch_add(&b->duplicates, 1);
        return;
    }
    atomic_store(&s->recv_us, t);
    atomic_fetch_add(&b->received, 1);
}

static int rx_append(rx *r, const char *data, size_t len)
{
    char *grown;

    if (r->len + len + 1 > RX_BODY_MAX) {
        r->too_big = 1;
        return 0;
    }
    if (r->len + len + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;

        while (cap < r->len + len + 1)
            cap *= 2;
        grown = realloc(r->buf, cap);
        if (grown == NULL)
            return -1;
        r->buf = grown;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, data, len);
    r->len += len;
    r->buf[r->len] = '\0';
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_len, void **con_cls)
{
    bench *b = cls;
    rx *r = *con_cls;
    int64_t t = bn_now_us();

    (void)url;
    (void)version;
    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        *con_cls = r;
        return r != NULL ? MHD_YES : MHD_NO;
    }
    if (*data_len > 0) {
        int rc = rx_append(r, data, *data_len);

        *data_len = 0;
        return rc == 0 ? MHD_YES : MHD_NO;
    }
    if (strcmp(method, "POST") == 0 && r->buf != NULL)
        received(b, c, r, t);
    return MHD_queue_response(c, MHD_HTTP_NO_CONTENT, b->no_content);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    rx *r = *con_cls;

    (void)cls;
    (void)c;
    (void)code;
    if (r != NULL) {
        free(r->buf);
        free(r);
        *con_cls = NULL;
    }
}

int bn_start_receiver(bench *b)
{
    struct sockaddr_in addr;
    const union MHD_DaemonInfo *info;

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    b->no_content = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (b->no_content == NULL)
        return -1;
    b->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
                              on_request, b, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2, MHD_OPTION_CONNECTION_LIMIT,
                              (unsigned)4096, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                              MHD_OPTION_END);
    info = b->mhd != NULL ? MHD_get_daemon_info(b->mhd, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (info == NULL || info->port == 0) {
        fprintf(stderr, ME ": cannot start the webhook receiver on 127.0.0.1\n");
        return -1;
    }
    b->recv_port = info->port;
    return 0;
}
