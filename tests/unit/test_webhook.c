/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_webhook.c: unit tests for webhook signing, verification, the retry
 * schedule and one HTTP attempt (sk_webhook.h).
 *
 * Signatures are checked against known answers (tests/vectors/
 * webhook_kat.txt: the Standard Webhooks reference vector and an RFC 4231
 * HMAC case) and by round trips in which every header and the body are
 * altered in turn. The back-off is checked over many random values for its
 * bounds, its monotony and its cap. Sending runs against a small HTTP
 * server on a thread, listening on 127.0.0.1 with a port the kernel picks:
 * it records one request and answers with a chosen status (or never), so
 * that each outcome class is seen over a real socket and the received
 * signature is verified as a receiver would. When SK_WEBHOOK_TEST_URL and
 * SK_WEBHOOK_TEST_SECRET are set (tests/integration/webhook.py does so,
 * with a receiver of its own written in Python), only the test that posts
 * there runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_util.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "safekeep/sk_crypto.h"
#include "safekeep/sk_webhook.h"

#define KAT_SECRET  "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define KAT_ID      "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define KAT_TS      1614265330
#define KAT_PAYLOAD "{\"test\": 2432232314}"
#define KAT_SIG     "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define REQ_MAX     (256 * 1024)

static void kat_key(unsigned char key[SK_WEBHOOK_KEY_BYTES_MAX], size_t *len)
{
    assert_int_equal(sk_webhook_secret_parse(SK_STR(KAT_SECRET), key, len), SK_OK);
}

static size_t unhex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    size_t i;

    assert_true(n <= cap);
    for (i = 0; i < n; i++) {
        unsigned v = 0;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    return n;
}

static void kat_line(char *line, int *signs, int *hmacs)
{
    char *f[6];
    int nf = 0;
    char *p = line;

    while (nf < 6 && p != NULL) {
        f[nf++] = p;
        p = strchr(p, '\t');
        if (p != NULL)
            *p++ = '\0';
    }
    if (nf == 6 && strcmp(f[0], "sign") == 0) {
        unsigned char key[SK_WEBHOOK_KEY_BYTES_MAX];
        char sig[SK_WEBHOOK_SIGNATURE_LEN + 1];
        size_t key_len = 0;

        assert_int_equal(sk_webhook_secret_parse(sk_str_c(f[1]), key, &key_len), SK_OK);
        sk_webhook_sign(key, key_len, sk_str_c(f[2]), strtoll(f[3], NULL, 10), sk_str_c(f[4]), sig);
        assert_string_equal(sig, f[5]);
        assert_int_equal(sk_webhook_verify(sk_str_c(f[1]), sk_str_c(f[2]), sk_str_c(f[3]),
                                           sk_str_c(f[5]), sk_str_c(f[4]), strtoll(f[3], NULL, 10),
                                           SK_WEBHOOK_TOLERANCE_S),
                         SK_OK);
        (*signs)++;
    } else if (nf == 4 && strcmp(f[0], "hmac") == 0) {
        unsigned char key[256], want[32], mac[SK_HMAC_SHA256_BYTES];
        size_t key_len = unhex(f[1], key, sizeof(key));
        sk_str part = sk_str_c(f[2]);

        assert_int_equal(unhex(f[3], want, sizeof(want)), 32);
        sk_hmac_sha256(key, key_len, &part, 1, mac);
        assert_memory_equal(mac, want, 32);
        (*hmacs)++;
    } else {
        fail_msg("bad line in webhook_kat.txt");
    }
}

static void test_known_answers(void **state)
{
    char root[PATH_MAX], path[PATH_MAX + 64], line[1024];
    int signs = 0, hmacs = 0;
    FILE *fp;

    (void)state;
    sk_test_source_root(root, sizeof(root));
    snprintf(path, sizeof(path), "%s/tests/vectors/webhook_kat.txt", root);
    fp = fopen(path, "r");
    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        kat_line(line, &signs, &hmacs);
    }
    fclose(fp);
    assert_int_equal(signs, 1);
    assert_int_equal(hmacs, 1);
}

/* The reference vector, also in the source, so that it holds even if the
 * vector file were edited. */
static void test_reference_vector(void **state)
{
    unsigned char key[SK_WEBHOOK_KEY_BYTES_MAX];
    char sig[SK_WEBHOOK_SIGNATURE_LEN + 1];
    size_t key_len = 0;

    (void)state;
    kat_key(key, &key_len);
    assert_int_equal(key_len, 24);
    sk_webhook_sign(key, key_len, SK_STR(KAT_ID), KAT_TS, SK_STR(KAT_PAYLOAD), sig);
    assert_string_equal(sig, KAT_SIG);
}

static sk_err verify_at(const char *id, const char *ts, const char *sigs, const char *body,
                        int64_t now)
{
    return sk_webhook_verify(SK_STR(KAT_SECRET), sk_str_c(id), sk_str_c(ts), sk_str_c(sigs),
                             sk_str_c(body), now, SK_WEBHOOK_TOLERANCE_S);
}

static void test_tampering_denied(void **state)
{
    const char *ts = "1614265330";

    (void)state;
    assert_int_equal(verify_at(KAT_ID, ts, KAT_SIG, KAT_PAYLOAD, KAT_TS), SK_OK);
    assert_int_equal(verify_at(KAT_ID, ts, KAT_SIG, "{\"test\": 2432232315}", KAT_TS),
                     SK_ERR_DENIED);
    assert_int_equal(verify_at(KAT_ID, ts, KAT_SIG, KAT_PAYLOAD " ", KAT_TS), SK_ERR_DENIED);
    assert_int_equal(verify_at("msg_p5jXN8AQM9LWM0D4loKWxJel", ts, KAT_SIG, KAT_PAYLOAD, KAT_TS),
                     SK_ERR_DENIED);
    assert_int_equal(verify_at(KAT_ID, "1614265331", KAT_SIG, KAT_PAYLOAD, KAT_TS), SK_ERR_DENIED);
    /* The same number written differently is another signed text. */
    assert_int_equal(verify_at(KAT_ID, "01614265330", KAT_SIG, KAT_PAYLOAD, KAT_TS), SK_ERR_DENIED);
    assert_int_equal(verify_at(KAT_ID, "+1614265330", KAT_SIG, KAT_PAYLOAD, KAT_TS), SK_ERR_DENIED);
    assert_int_equal(verify_at(KAT_ID, "", KAT_SIG, KAT_PAYLOAD, KAT_TS), SK_ERR_DENIED);
    assert_int_equal(verify_at("", ts, KAT_SIG, KAT_PAYLOAD, KAT_TS), SK_ERR_DENIED);
    assert_int_equal(verify_at(KAT_ID, ts, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=",
                               KAT_PAYLOAD, KAT_TS),
                     SK_ERR_DENIED);
    assert_int_equal(verify_at(KAT_ID, ts, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                               KAT_PAYLOAD, KAT_TS),
                     SK_ERR_DENIED);
    assert_int_equal(
        verify_at(KAT_ID, ts, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", KAT_PAYLOAD, KAT_TS),
        SK_ERR_DENIED);
    assert_int_equal(verify_at(KAT_ID, ts, "", KAT_PAYLOAD, KAT_TS), SK_ERR_DENIED);
    assert_int_equal(verify_at(KAT_ID, ts, KAT_SIG "x", KAT_PAYLOAD, KAT_TS), SK_ERR_DENIED);
    /* Another secret. */
    assert_int_equal(sk_webhook_verify(SK_STR("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                                       SK_STR(KAT_ID), sk_str_c(ts), SK_STR(KAT_SIG),
                                       SK_STR(KAT_PAYLOAD), KAT_TS, SK_WEBHOOK_TOLERANCE_S),
                     SK_ERR_DENIED);
}

static void test_tolerance(void **state)
{
    const char *ts = "1614265330";
    const int64_t tol = SK_WEBHOOK_TOLERANCE_S;

    (void)state;
    assert_int_equal(verify_at(KAT_ID, ts, KAT_SIG, KAT_PAYLOAD, KAT_TS + tol), SK_OK);
    assert_int_equal(verify_at(KAT_ID, ts, KAT_SIG, KAT_PAYLOAD, KAT_TS - tol), SK_OK);
    assert_int_equal(verify_at(KAT_ID, ts, KAT_SIG, KAT_PAYLOAD, KAT_TS + tol + 1), SK_ERR_DENIED);
    assert_int_equal(verify_at(KAT_ID, ts, KAT_SIG, KAT_PAYLOAD, KAT_TS - tol - 1), SK_ERR_DENIED);
    assert_int_equal(verify_at(KAT_ID, ts, KAT_SIG, KAT_PAYLOAD, 0), SK_ERR_DENIED);
    assert_int_equal(sk_webhook_verify(SK_STR(KAT_SECRET), SK_STR(KAT_ID), sk_str_c(ts),
                                       SK_STR(KAT_SIG), SK_STR(KAT_PAYLOAD), KAT_TS + 10, 0),
                     SK_ERR_DENIED);
    assert_int_equal(sk_webhook_verify(SK_STR(KAT_SECRET), SK_STR(KAT_ID), sk_str_c(ts),
                                       SK_STR(KAT_SIG), SK_STR(KAT_PAYLOAD), KAT_TS, 0),
                     SK_OK);
    /* Too many digits for any real clock. */
    assert_int_equal(verify_at(KAT_ID, "9999999999999999999999", KAT_SIG, KAT_PAYLOAD, KAT_TS),
                     SK_ERR_DENIED);
}

static void test_multiple_signatures(void **state)
{
    const char *ts = "1614265330";
    const char *other = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    char hdr[512];

    (void)state;
    snprintf(hdr, sizeof(hdr), "%s %s", other, KAT_SIG);
    assert_int_equal(verify_at(KAT_ID, ts, hdr, KAT_PAYLOAD, KAT_TS), SK_OK);
    snprintf(hdr, sizeof(hdr), "%s %s", KAT_SIG, other);
    assert_int_equal(verify_at(KAT_ID, ts, hdr, KAT_PAYLOAD, KAT_TS), SK_OK);
    snprintf(hdr, sizeof(hdr), "v1a,abc  %s   %s ", other, KAT_SIG);
    assert_int_equal(verify_at(KAT_ID, ts, hdr, KAT_PAYLOAD, KAT_TS), SK_OK);
    snprintf(hdr, sizeof(hdr), "%s %s", other, other);
    assert_int_equal(verify_at(KAT_ID, ts, hdr, KAT_PAYLOAD, KAT_TS), SK_ERR_DENIED);
    /* Entries run together are no entry at all. */
    snprintf(hdr, sizeof(hdr), "%s%s", other, KAT_SIG);
    assert_int_equal(verify_at(KAT_ID, ts, hdr, KAT_PAYLOAD, KAT_TS), SK_ERR_DENIED);
}

static void test_round_trip(void **state)
{
    char secret[SK_WEBHOOK_SECRET_LEN_MAX + 1], other[SK_WEBHOOK_SECRET_LEN_MAX + 1];
    unsigned char key[SK_WEBHOOK_KEY_BYTES_MAX];
    char sig[SK_WEBHOOK_SIGNATURE_LEN + 1], ts[24];
    const char *body = "{\"event\":\"alert.opened\",\"id\":\"a1\"}";
    size_t key_len = 0;
    int i;

    (void)state;
    assert_int_equal(sk_crypto_init(), SK_OK);
    for (i = 0; i < 50; i++) {
        int64_t t = 1700000000 + i * 7919;

        sk_webhook_secret_new(secret);
        assert_int_equal(strncmp(secret, "whsec_", 6), 0);
        assert_int_equal(strlen(secret), 6 + 44);
        assert_int_equal(sk_webhook_secret_parse(sk_str_c(secret), key, &key_len), SK_OK);
        assert_int_equal(key_len, SK_WEBHOOK_KEY_BYTES_NEW);
        sk_webhook_sign(key, key_len, SK_STR("msg_1"), t, sk_str_c(body), sig);
        assert_int_equal(strlen(sig), SK_WEBHOOK_SIGNATURE_LEN);
        snprintf(ts, sizeof(ts), "%lld", (long long)t);
        assert_int_equal(sk_webhook_verify(sk_str_c(secret), SK_STR("msg_1"), sk_str_c(ts),
                                           sk_str_c(sig), sk_str_c(body), t + 60, 300),
                         SK_OK);
        sk_webhook_secret_new(other);
        assert_string_not_equal(secret, other);
        assert_int_equal(sk_webhook_verify(sk_str_c(other), SK_STR("msg_1"), sk_str_c(ts),
                                           sk_str_c(sig), sk_str_c(body), t, 300),
                         SK_ERR_DENIED);
    }
    /* An empty body is signed too. */
    sk_webhook_sign(key, key_len, SK_STR("msg_2"), 5, SK_STR_NULL, sig);
    assert_int_equal(sk_webhook_verify(sk_str_c(secret), SK_STR("msg_2"), SK_STR("5"),
                                       sk_str_c(sig), SK_STR(""), 5, 0),
                     SK_OK);
}

static void test_bad_secrets(void **state)
{
    static const char *const bad[] = {
        "",
        "whsec_",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",        /* no prefix */
        "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  /* prefix is case-sensitive */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",   /* not a multiple of 4 */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!",  /* outside the alphabet */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-w",  /* URL-safe alphabet */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ", /* trailing junk */
        "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAA=",      /* 20 bytes: too short */
        ("whsec_"
         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
         "A"),
        /* 66 bytes: too long */
    };
    unsigned char key[SK_WEBHOOK_KEY_BYTES_MAX];
    size_t key_len = 99, i;

    (void)state;
    for (i = 0; i < SK_ARRAY_LEN(bad); i++) {
        assert_int_equal(sk_webhook_secret_parse(sk_str_c(bad[i]), key, &key_len), SK_ERR_INVALID);
        assert_int_equal(key_len, 0);
        assert_int_equal(sk_webhook_verify(sk_str_c(bad[i]), SK_STR(KAT_ID), SK_STR("1614265330"),
                                           SK_STR(KAT_SIG), SK_STR(KAT_PAYLOAD), KAT_TS, 300),
                         SK_ERR_INVALID);
    }
    /* The bounds themselves: 24 and 64 bytes. */
    assert_int_equal(
        sk_webhook_secret_parse(SK_STR("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), key, &key_len),
        SK_OK);
    assert_int_equal(key_len, 24);
    assert_int_equal(
        sk_webhook_secret_parse(SK_STR("whsec_"
                                       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                                       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="),
                                key, &key_len),
        SK_OK);
    assert_int_equal(key_len, 64);
}

static void test_base64(void **state)
{
    unsigned char out[8];
    char text[16];
    size_t n = 0;

    (void)state;
    sk_base64_encode((const unsigned char *)"foob", 4, text, sizeof(text));
    assert_string_equal(text, "Zm9vYg==");
    assert_int_equal(sk_base64_decode(SK_STR("Zm9vYg=="), out, sizeof(out), &n), SK_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "foob", 4);
    assert_int_equal(sk_base64_decode(SK_STR("Zm9vYg"), out, sizeof(out), &n), SK_ERR_INVALID);
    assert_int_equal(sk_base64_decode(SK_STR("Zm9vYh=="), out, sizeof(out), &n), SK_ERR_INVALID);
    assert_int_equal(sk_base64_decode(SK_STR("Zm9vYmFyYmF6"), out, 4, &n), SK_ERR_INVALID);
    assert_int_equal(sk_base64_decode(SK_STR(""), out, sizeof(out), &n), SK_OK);
    assert_int_equal(n, 0);
}

static uint32_t xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void test_backoff(void **state)
{
    const uint32_t base = 5, cap = 3600;
    const int64_t now = 1700000000;
    uint32_t seed = 2463534242u;
    int i;
    unsigned a;

    (void)state;
    for (i = 0; i < 20000; i++) {
        uint32_t r = i == 0 ? 0 : i == 1 ? UINT32_MAX : xorshift(&seed);
        int64_t prev = 0;

        for (a = 0; a < 40; a++) {
            uint64_t d = a < 32 && ((uint64_t)base << a) < cap ? (uint64_t)base << a : cap;
            int64_t delay = sk_webhook_next_attempt(a, now, r, base, cap) - now;

            assert_true(delay >= (int64_t)(d - d / 2)); /* equal jitter: at least half */
            assert_true(delay <= (int64_t)d);
            assert_true(delay >= 1);
            assert_true(delay >= prev); /* monotone for a fixed random value */
            prev = delay;
        }
        assert_true(prev >= cap / 2);
    }
    /* The extremes of the random value reach both ends of the interval. */
    assert_int_equal(sk_webhook_next_attempt(3, now, 0, base, cap) - now, 20);
    assert_int_equal(sk_webhook_next_attempt(3, now, UINT32_MAX, base, cap) - now, 40);
    assert_int_equal(sk_webhook_next_attempt(0, now, 0, 1, 1) - now, 1);
    assert_int_equal(sk_webhook_next_attempt(0, now, UINT32_MAX, 1, 1) - now, 1);
    assert_int_equal(sk_webhook_next_attempt(1000, now, UINT32_MAX, base, cap) - now, cap);
    assert_int_equal(sk_webhook_next_attempt(UINT32_MAX, now, 0, base, cap) - now, cap / 2);
    assert_int_equal(sk_webhook_next_attempt(31, now, UINT32_MAX, UINT32_MAX, UINT32_MAX) - now,
                     UINT32_MAX);
}

static void test_backoff_spread(void **state)
{
    const int64_t now = 0;
    uint32_t seed = 88172645u;
    unsigned buckets[10] = {0};
    int i;

    (void)state;
    /* Attempt 5 with base 10: d = 320, delays in [160, 320]. The jitter
     * must actually spread: each tenth of the interval gets a share. */
    for (i = 0; i < 10000; i++) {
        int64_t delay = sk_webhook_next_attempt(5, now, xorshift(&seed), 10, 100000);
        assert_true(delay >= 160 && delay <= 320);
        buckets[delay == 320 ? 9 : (delay - 160) / 16]++;
    }
    for (i = 0; i < 10; i++)
        assert_true(buckets[i] > 800 && buckets[i] < 1200);
}

static void test_expiry(void **state)
{
    (void)state;
    assert_false(sk_webhook_expired(1000, 1000, 86400));
    assert_false(sk_webhook_expired(1000, 1000 + 86399, 86400));
    assert_true(sk_webhook_expired(1000, 1000 + 86400, 86400));
    assert_true(sk_webhook_expired(1000, 1000 + 999999, 86400));
    assert_true(sk_webhook_expired(1000, 1000, 0));
    assert_false(sk_webhook_expired(1000, 999, 0)); /* a clock stepping back */
    assert_string_equal(sk_webhook_class_str(SK_WEBHOOK_DELIVERED), "delivered");
    assert_string_equal(sk_webhook_class_str(SK_WEBHOOK_RETRY), "retry");
    assert_string_equal(sk_webhook_class_str(SK_WEBHOOK_FAILED), "failed");
}

/* ---- A one-request HTTP server on a thread. ---- */

typedef struct srv {
    int fd;
    int port;
    int status;          /* the answer's status; 0: never answer */
    size_t answer_bytes; /* response body size */
    char req[REQ_MAX + 1];
    size_t req_len;
    pthread_t thread;
} srv;

/* Reads until the head and Content-Length bytes of body are in. */
static void srv_read_request(srv *s, int c)
{
    for (;;) {
        struct pollfd p = {c, POLLIN, 0};
        const char *end;
        ssize_t n;

        if (poll(&p, 1, 5000) <= 0 || s->req_len >= REQ_MAX)
            return;
        n = recv(c, s->req + s->req_len, REQ_MAX - s->req_len, 0);
        if (n <= 0)
            return;
        s->req_len += (size_t)n;
        s->req[s->req_len] = '\0';
        end = strstr(s->req, "\r\n\r\n");
        if (end != NULL) {
            const char *cl = strcasestr(s->req, "\r\ncontent-length:");
            size_t want = cl != NULL ? strtoul(cl + 17, NULL, 10) : 0;
            if (s->req_len >= (size_t)(end + 4 - s->req) + want)
                return;
        }
    }
}

static void *srv_main(void *arg)
{
    srv *s = arg;
    struct pollfd p = {s->fd, POLLIN, 0};
    char head[256];
    int c;

    if (poll(&p, 1, 10000) <= 0)
        return NULL;
    c = accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    srv_read_request(s, c);
    if (s->status == 0) {
        char drain[512];
        struct pollfd q = {c, POLLIN, 0};
        /* Say nothing until the client gives up and closes. */
        while (poll(&q, 1, 10000) > 0 && recv(c, drain, sizeof(drain), 0) > 0)
            ;
    } else {
        static char zeros[4096];
        size_t left = s->answer_bytes;
        int n = snprintf(head, sizeof(head),
                         "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                         s->status, s->answer_bytes);
        (void)!send(c, head, (size_t)n, MSG_NOSIGNAL);
        while (left > 0) {
            ssize_t w = send(c, zeros, left < sizeof(zeros) ? left : sizeof(zeros), MSG_NOSIGNAL);
            if (w <= 0)
                break;
            left -= (size_t)w;
        }
    }
    close(c);
    return NULL;
}

static int listen_local(int *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static srv *srv_start(int status, size_t answer_bytes)
{
    srv *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    s->status = status;
    s->answer_bytes = answer_bytes;
    s->fd = listen_local(&s->port);
    assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
    return s;
}

/* Waits for the server thread; the recorded request stays readable. */
static void srv_join(srv *s)
{
    pthread_join(s->thread, NULL);
    close(s->fd);
}

/* The value of header name in the recorded request, as a slice. */
static sk_str header(const srv *s, const char *name)
{
    char pat[64];
    const char *p, *e;

    snprintf(pat, sizeof(pat), "\r\n%s:", name);
    p = strcasestr(s->req, pat);
    if (p == NULL)
        return SK_STR_NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    e = strstr(p, "\r\n");
    assert_non_null(e);
    return (sk_str){p, (size_t)(e - p)};
}

static sk_str request_body(const srv *s)
{
    const char *end = strstr(s->req, "\r\n\r\n");

    assert_non_null(end);
    return (sk_str){end + 4, s->req_len - (size_t)(end + 4 - s->req)};
}

static sk_webhook_result post_to(srv *s, const char *secret, const char *body, unsigned timeout_ms)
{
    unsigned char key[SK_WEBHOOK_KEY_BYTES_MAX];
    char sig[SK_WEBHOOK_SIGNATURE_LEN + 1], url[64];
    int64_t now = (int64_t)time(NULL);
    sk_webhook_result r;
    size_t key_len = 0;

    assert_int_equal(sk_webhook_secret_parse(sk_str_c(secret), key, &key_len), SK_OK);
    sk_webhook_sign(key, key_len, SK_STR("msg_test_1"), now, sk_str_c(body), sig);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", s->port);
    assert_int_equal(
        sk_webhook_post(url, SK_STR("msg_test_1"), now, sk_str_c(body), sig, timeout_ms, &r),
        SK_OK);
    return r;
}

static int setup_net(void **state)
{
    (void)state;
    /* A proxy from the environment would take 127.0.0.1 elsewhere. */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    signal(SIGPIPE, SIG_IGN);
    return sk_crypto_init() == SK_OK && sk_webhook_global_init() == SK_OK ? 0 : -1;
}

static void test_post_delivered_and_verified(void **state)
{
    const char *body = "{\"event\":\"alert.opened\",\"alert\":\"al_1\"}";
    srv *s = srv_start(200, 10);
    sk_webhook_result r = post_to(s, KAT_SECRET, body, 5000);

    (void)state;
    srv_join(s);
    assert_int_equal(r.outcome, SK_WEBHOOK_DELIVERED);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.error, "");
    assert_true(r.latency_ms < 5000);
    assert_int_equal(strncmp(s->req, "POST /hook HTTP/1.1\r\n", 21), 0);
    assert_true(sk_str_eqc(header(s, "content-type"), "application/json"));
    assert_true(sk_str_eqc(header(s, "webhook-id"), "msg_test_1"));
    assert_true(sk_str_eqc(request_body(s), body));
    assert_null(strcasestr(s->req, "\r\nexpect:"));
    /* The receiver's check, on what went over the wire. */
    assert_int_equal(sk_webhook_verify(SK_STR(KAT_SECRET), header(s, "webhook-id"),
                                       header(s, "webhook-timestamp"),
                                       header(s, "webhook-signature"), request_body(s),
                                       (int64_t)time(NULL), SK_WEBHOOK_TOLERANCE_S),
                     SK_OK);
    assert_int_equal(sk_webhook_verify(SK_STR("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                                       header(s, "webhook-id"), header(s, "webhook-timestamp"),
                                       header(s, "webhook-signature"), request_body(s),
                                       (int64_t)time(NULL), SK_WEBHOOK_TOLERANCE_S),
                     SK_ERR_DENIED);
    free(s);
}

/* A server that answers KA_REQUESTS requests on whatever connections come,
 * keeping each open, and counts the connections it accepted. */
#define KA_REQUESTS 3

typedef struct ka_srv {
    srv base;
    int accepted;
    int answered;
} ka_srv;

static void *ka_main(void *arg)
{
    ka_srv *k = arg;
    static const char answer[] = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
    int c = -1;

    while (k->answered < KA_REQUESTS) {
        struct pollfd p[2] = {{k->base.fd, POLLIN, 0}, {c, POLLIN, 0}};
        if (poll(p, c >= 0 ? 2 : 1, 10000) <= 0)
            break;
        if (p[0].revents & POLLIN) {
            if (c >= 0)
                close(c);
            c = accept(k->base.fd, NULL, NULL);
            k->accepted++;
            continue;
        }
        k->base.req_len = 0;
        srv_read_request(&k->base, c);
        if (k->base.req_len == 0) {
            close(c);
            c = -1;
            continue;
        }
        (void)!send(c, answer, sizeof(answer) - 1, MSG_NOSIGNAL);
        k->answered++;
    }
    if (c >= 0)
        close(c);
    return NULL;
}

static void test_client_keeps_connection(void **state)
{
    unsigned char key[SK_WEBHOOK_KEY_BYTES_MAX];
    char sig[SK_WEBHOOK_SIGNATURE_LEN + 1], url[64];
    sk_webhook_client *client = NULL;
    int64_t now = (int64_t)time(NULL);
    ka_srv *k = calloc(1, sizeof(*k));
    sk_webhook_result r;
    size_t key_len = 0;
    int i;

    (void)state;
    assert_non_null(k);
    k->base.fd = listen_local(&k->base.port);
    assert_int_equal(pthread_create(&k->base.thread, NULL, ka_main, k), 0);
    assert_int_equal(sk_webhook_secret_parse(SK_STR(KAT_SECRET), key, &key_len), SK_OK);
    sk_webhook_sign(key, key_len, SK_STR("msg_ka"), now, SK_STR("{}"), sig);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", k->base.port);
    assert_int_equal(sk_webhook_client_new(&client), SK_OK);
    for (i = 0; i < KA_REQUESTS; i++) {
        assert_int_equal(
            sk_webhook_client_post(client, url, SK_STR("msg_ka"), now, SK_STR("{}"), sig, 5000, &r),
            SK_OK);
        assert_int_equal(r.outcome, SK_WEBHOOK_DELIVERED);
        assert_int_equal(r.status, 204);
    }
    /* Arguments are still checked on a client. */
    assert_int_equal(
        sk_webhook_client_post(client, url, SK_STR(""), now, SK_STR("{}"), sig, 5000, &r),
        SK_ERR_INVALID);
    sk_webhook_client_free(client);
    srv_join(&k->base);
    assert_int_equal(k->answered, KA_REQUESTS);
    assert_int_equal(k->accepted, 1); /* one connection for every attempt */
    free(k);
}

/* Status, expected class, response body size. */
static void expect_class(int status, sk_webhook_class want, size_t answer_bytes)
{
    srv *s = srv_start(status, answer_bytes);
    sk_webhook_result r = post_to(s, KAT_SECRET, "{}", 5000);

    srv_join(s);
    free(s);
    assert_int_equal(r.status, status);
    assert_int_equal(r.outcome, want);
}

static void test_post_classes(void **state)
{
    (void)state;
    expect_class(204, SK_WEBHOOK_DELIVERED, 0);
    expect_class(500, SK_WEBHOOK_RETRY, 20);
    expect_class(503, SK_WEBHOOK_RETRY, 0);
    expect_class(429, SK_WEBHOOK_RETRY, 0);
    expect_class(408, SK_WEBHOOK_RETRY, 0);
    expect_class(410, SK_WEBHOOK_FAILED, 0);
    expect_class(400, SK_WEBHOOK_FAILED, 0);
    expect_class(401, SK_WEBHOOK_FAILED, 0);
    expect_class(302, SK_WEBHOOK_FAILED, 0); /* redirects are not followed */
    /* A body far over the cap: cut off, but the 2xx still counts. */
    expect_class(200, SK_WEBHOOK_DELIVERED, 4 * SK_WEBHOOK_RESPONSE_BYTES_MAX);
    expect_class(500, SK_WEBHOOK_RETRY, 4 * SK_WEBHOOK_RESPONSE_BYTES_MAX);
}

static void test_post_closed_port(void **state)
{
    sk_webhook_result r;
    char url[64];
    int port = 0;
    int fd = listen_local(&port);

    (void)state;
    close(fd); /* nothing listens there any more */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", port);
    assert_int_equal(sk_webhook_post(url, SK_STR("msg_1"), 1, SK_STR("{}"), KAT_SIG, 2000, &r),
                     SK_OK);
    assert_int_equal(r.outcome, SK_WEBHOOK_RETRY);
    assert_int_equal(r.status, 0);
    assert_true(r.error[0] != '\0');
    assert_null(strstr(r.error, "127.0.0.1"));
}

static void test_post_timeout(void **state)
{
    srv *s = srv_start(0, 0);
    sk_webhook_result r = post_to(s, KAT_SECRET, "{}", 300);

    (void)state;
    srv_join(s);
    free(s);
    assert_int_equal(r.outcome, SK_WEBHOOK_RETRY);
    assert_int_equal(r.status, 0);
    assert_true(r.latency_ms >= 250);
    assert_true(r.latency_ms < 3000);
    assert_true(r.error[0] != '\0');
}

static void test_post_refused_urls(void **state)
{
    static const char *const urls[] = {
        "ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/", "http://", "not a url",
    };
    sk_webhook_result r;
    size_t i;

    (void)state;
    for (i = 0; i < SK_ARRAY_LEN(urls); i++) {
        assert_int_equal(
            sk_webhook_post(urls[i], SK_STR("msg_1"), 1, SK_STR("{}"), KAT_SIG, 1000, &r), SK_OK);
        assert_int_equal(r.outcome, SK_WEBHOOK_FAILED);
        assert_int_equal(r.status, 0);
    }
    /* Credentials in a URL never reach the error text. */
    assert_int_equal(sk_webhook_post("ftp://user:hunter2@127.0.0.1/x", SK_STR("msg_1"), 1,
                                     SK_STR("{}"), KAT_SIG, 1000, &r),
                     SK_OK);
    assert_null(strstr(r.error, "hunter2"));
}

static void test_post_bad_arguments(void **state)
{
    static char big[SK_WEBHOOK_BODY_BYTES_MAX + 1];
    const char *url = "http://127.0.0.1:9/";
    char long_id[SK_WEBHOOK_ID_LEN_MAX + 2];
    sk_webhook_result r;

    (void)state;
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    assert_int_equal(sk_webhook_post(url, SK_STR(""), 1, SK_STR("{}"), KAT_SIG, 1000, &r),
                     SK_ERR_INVALID);
    assert_int_equal(sk_webhook_post(url, sk_str_c(long_id), 1, SK_STR("{}"), KAT_SIG, 1000, &r),
                     SK_ERR_INVALID);
    assert_int_equal(
        sk_webhook_post(url, SK_STR("msg_1\r\nx-evil: 1"), 1, SK_STR("{}"), KAT_SIG, 1000, &r),
        SK_ERR_INVALID);
    assert_int_equal(sk_webhook_post(url, SK_STR("msg 1"), 1, SK_STR("{}"), KAT_SIG, 1000, &r),
                     SK_ERR_INVALID);
    assert_int_equal(
        sk_webhook_post(url, SK_STR("msg_1"), 1, SK_STR("{}"), "v1,x\nx-evil: 1", 1000, &r),
        SK_ERR_INVALID);
    assert_int_equal(sk_webhook_post(url, SK_STR("msg_1"), 1, SK_STR("{}"), "", 1000, &r),
                     SK_ERR_INVALID);
    assert_int_equal(sk_webhook_post(url, SK_STR("msg_1"), -1, SK_STR("{}"), KAT_SIG, 1000, &r),
                     SK_ERR_INVALID);
    assert_int_equal(
        sk_webhook_post(url, SK_STR("msg_1"), 1, (sk_str){big, sizeof(big)}, KAT_SIG, 1000, &r),
        SK_ERR_TOO_LARGE);
}

/* Posts to the receiver named by SK_WEBHOOK_TEST_URL with the secret in
 * SK_WEBHOOK_TEST_SECRET: tests/integration/webhook.py checks, with its own
 * implementation of the convention, what arrives. */
static void test_post_external(void **state)
{
    const char *url = getenv("SK_WEBHOOK_TEST_URL");
    const char *secret = getenv("SK_WEBHOOK_TEST_SECRET");
    const char *body = "{\"event\":\"alert.opened\",\"note\":\"caf\xc3\xa9 \\u00e9\"}";
    unsigned char key[SK_WEBHOOK_KEY_BYTES_MAX];
    char sig[SK_WEBHOOK_SIGNATURE_LEN + 1];
    int64_t now = (int64_t)time(NULL);
    sk_webhook_result r;
    size_t key_len = 0;

    (void)state;
    assert_non_null(url);
    assert_non_null(secret);
    assert_int_equal(sk_webhook_secret_parse(sk_str_c(secret), key, &key_len), SK_OK);
    sk_webhook_sign(key, key_len, SK_STR("msg_external_1"), now, sk_str_c(body), sig);
    assert_int_equal(
        sk_webhook_post(url, SK_STR("msg_external_1"), now, sk_str_c(body), sig, 5000, &r), SK_OK);
    printf("# outcome %s status %d\n", sk_webhook_class_str(r.outcome), r.status);
    assert_int_equal(r.outcome, SK_WEBHOOK_DELIVERED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_reference_vector),
        cmocka_unit_test(test_tampering_denied),
        cmocka_unit_test(test_tolerance),
        cmocka_unit_test(test_multiple_signatures),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_secrets),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_backoff_spread),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_client_keeps_connection),
        cmocka_unit_test(test_post_delivered_and_verified),
        cmocka_unit_test(test_post_classes),
        cmocka_unit_test(test_post_closed_port),
        cmocka_unit_test(test_post_timeout),
        cmocka_unit_test(test_post_refused_urls),
        cmocka_unit_test(test_post_bad_arguments),
    };
    const struct CMUnitTest external[] = {
        cmocka_unit_test(test_post_external),
    };

    if (getenv("SK_WEBHOOK_TEST_URL") != NULL)
        return cmocka_run_group_tests(external, setup_net, NULL);
    return cmocka_run_group_tests(tests, setup_net, NULL);
}
