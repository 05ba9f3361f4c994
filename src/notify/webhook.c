/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webhook.c: Standard Webhooks signing and verification, the retry
 * schedule, and one HTTP POST through libcurl (sk_webhook.h).
 *
 * Signing streams the three parts of "id.timestamp.body" through the crypto
 * module's HMAC, so a large body is never copied. Verification reads only
 * bounded headers, recomputes the one expected signature and compares it in
 * constant time with every "v1," entry of the header; every fault from the
 * sender's side collapses to SK_ERR_DENIED.
 *
 * Sending uses a fresh libcurl easy handle per attempt: no connection is
 * reused, which costs a handshake per delivery but means no state is shared
 * between threads or between receivers, and the deliverer's rate (a few
 * notifications a minute) makes the cost immaterial. The transfer is fenced
 * in: http and https only, no redirects, no signals (threads), a connect
 * and a total timeout, and a response sink that counts bytes and stops at a
 * cap. Errors are reported with curl_easy_strerror's generic text, never
 * with libcurl's detailed buffer, which can quote the host or URL. This is
 * the only file that includes curl/curl.h.
 */
#include "safekeep/sk_webhook.h"

#include <inttypes.h>
#include <pthread.h>
#include <time.h>

#include <curl/curl.h>

#include "safekeep/sk_crypto.h"

#include "sk_int.h"

#define PREFIX_LEN    (sizeof(SK_WEBHOOK_SECRET_PREFIX) - 1)
#define TS_DIGITS_MAX 18 /* keeps the parsed value far from overflow */

static_assert(SK_WEBHOOK_SIGNATURE_LEN == 3 + 44, "v1, plus base64 of 32 bytes");
static_assert(SK_WEBHOOK_SECRET_LEN_MAX == PREFIX_LEN + 4 * ((SK_WEBHOOK_KEY_BYTES_MAX + 2) / 3),
              "secret text length");

void sk_webhook_secret_new(char out[SK_WEBHOOK_SECRET_LEN_MAX + 1])
{
    unsigned char key[SK_WEBHOOK_KEY_BYTES_NEW];

    SK_ASSERT(out != NULL);
    sk_random_bytes(key, sizeof(key));
    memcpy(out, SK_WEBHOOK_SECRET_PREFIX, PREFIX_LEN);
    sk_base64_encode(key, sizeof(key), out + PREFIX_LEN,
                     SK_WEBHOOK_SECRET_LEN_MAX + 1 - PREFIX_LEN);
    sk_wipe(key, sizeof(key));
}

sk_err sk_webhook_secret_parse(sk_str secret, unsigned char key[SK_WEBHOOK_KEY_BYTES_MAX],
                               size_t *key_len)
{
    sk_str b64;
    size_t n = 0;

    SK_ASSERT(key != NULL);
    SK_ASSERT(key_len != NULL);
    *key_len = 0;
    if (secret.len <= PREFIX_LEN || secret.len > SK_WEBHOOK_SECRET_LEN_MAX ||
        memcmp(secret.ptr, SK_WEBHOOK_SECRET_PREFIX, PREFIX_LEN) != 0)
        return SK_ERR_INVALID;
    b64 = (sk_str){secret.ptr + PREFIX_LEN, secret.len - PREFIX_LEN};
    if (sk_base64_decode(b64, key, SK_WEBHOOK_KEY_BYTES_MAX, &n) != SK_OK ||
        n < SK_WEBHOOK_KEY_BYTES_MIN) {
        sk_wipe(key, SK_WEBHOOK_KEY_BYTES_MAX);
        return SK_ERR_INVALID;
    }
    *key_len = n;
    return SK_OK;
}

/* The signature over id "." ts "." body, where ts is the decimal text. */
static void sign_text(const unsigned char *key, size_t key_len, sk_str msg_id, sk_str ts,
                      sk_str body, char out[SK_WEBHOOK_SIGNATURE_LEN + 1])
{
    unsigned char mac[SK_HMAC_SHA256_BYTES];
    const sk_str parts[5] = {msg_id, SK_STR("."), ts, SK_STR("."), body};

    sk_hmac_sha256(key, key_len, parts, SK_ARRAY_LEN(parts), mac);
    memcpy(out, "v1,", 3);
    sk_base64_encode(mac, sizeof(mac), out + 3, SK_WEBHOOK_SIGNATURE_LEN + 1 - 3);
    sk_wipe(mac, sizeof(mac));
}

void sk_webhook_sign(const unsigned char *key, size_t key_len, sk_str msg_id, int64_t timestamp,
                     sk_str body, char out[SK_WEBHOOK_SIGNATURE_LEN + 1])
{
    char ts[24];
    int n;

    SK_ASSERT(key != NULL);
    SK_ASSERT(key_len >= SK_WEBHOOK_KEY_BYTES_MIN && key_len <= SK_WEBHOOK_KEY_BYTES_MAX);
    SK_ASSERT(timestamp >= 0);
    SK_ASSERT(out != NULL);
    n = snprintf(ts, sizeof(ts), "%" PRId64, timestamp);
    SK_ASSERT(n > 0 && (size_t)n < sizeof(ts));
    sign_text(key, key_len, msg_id, (sk_str){ts, (size_t)n}, body, out);
}

/* Decimal seconds, digits only (no sign, no spaces), as the header carries. */
static int parse_timestamp(sk_str text, int64_t *out)
{
    int64_t v = 0;
    size_t i;

    if (text.len == 0 || text.len > TS_DIGITS_MAX)
        return 0;
    for (i = 0; i < text.len; i++) {
        if (text.ptr[i] < '0' || text.ptr[i] > '9')
            return 0;
        v = v * 10 + (text.ptr[i] - '0');
    }
    *out = v;
    return 1;
}

/* 1 when one space-separated entry of header equals expected (the whole
 * "v1,..." text). Entries of another length, including other versions,
 * cannot match; equal-length ones are compared in constant time. */
static int any_signature_matches(sk_str header, const char *expected, size_t expected_len)
{
    size_t i = 0;
    int found = 0;

    while (i < header.len) {
        size_t start;

        while (i < header.len && header.ptr[i] == ' ')
            i++;
        start = i;
        while (i < header.len && header.ptr[i] != ' ')
            i++;
        if (i - start == expected_len && sk_crypto_eq(header.ptr + start, expected, expected_len))
            found = 1;
    }
    return found;
}

sk_err sk_webhook_verify(sk_str secret, sk_str msg_id, sk_str timestamp, sk_str signatures,
                         sk_str body, int64_t now, int64_t tolerance_s)
{
    unsigned char key[SK_WEBHOOK_KEY_BYTES_MAX];
    char expected[SK_WEBHOOK_SIGNATURE_LEN + 1];
    size_t key_len = 0;
    int64_t ts = 0;
    sk_err rc;

    SK_ASSERT(tolerance_s >= 0);
    rc = sk_webhook_secret_parse(secret, key, &key_len);
    if (rc != SK_OK)
        goto out;
    rc = SK_ERR_DENIED;
    if (msg_id.len == 0 || msg_id.len > SK_WEBHOOK_ID_LEN_MAX ||
        signatures.len > SK_WEBHOOK_SIGNATURE_HEADER_MAX || !parse_timestamp(timestamp, &ts))
        goto out;
    /* Both directions: an old timestamp is a replay, a future one would let
     * a captured message be replayed later. */
    if (ts < now - tolerance_s || ts > now + tolerance_s)
        goto out;
    sign_text(key, key_len, msg_id, timestamp, body, expected);
    if (any_signature_matches(signatures, expected, SK_WEBHOOK_SIGNATURE_LEN))
        rc = SK_OK;
out:
    sk_wipe(key, sizeof(key));
    sk_wipe(expected, sizeof(expected));
    return rc;
}

int64_t sk_webhook_next_attempt(unsigned attempt_index, int64_t now, uint32_t random,
                                uint32_t base_s, uint32_t cap_s)
{
    uint64_t d = cap_s;
    uint64_t half;
    uint64_t jitter;

    SK_ASSERT(base_s >= 1);
    SK_ASSERT(cap_s >= base_s);
    /* base_s * 2^attempt_index without overflow: past 32 doublings of a
     * 32-bit base the cap has long been reached. */
    if (attempt_index < 32 && ((uint64_t)base_s << attempt_index) < cap_s)
        d = (uint64_t)base_s << attempt_index;
    half = d / 2;
    /* Scaling rather than a modulus keeps the jitter monotone in half for
     * a fixed random value, and free of modulo bias. */
    jitter = ((uint64_t)random * (half + 1)) >> 32;
    SK_ASSERT(jitter <= half);
    SK_ASSERT(now <= INT64_MAX - (int64_t)d);
    return now + (int64_t)(d - half + jitter);
}

int sk_webhook_expired(int64_t first_attempt_at, int64_t now, int64_t horizon_s)
{
    SK_ASSERT(horizon_s >= 0);
    return now - first_attempt_at >= horizon_s;
}

const char *sk_webhook_class_str(sk_webhook_class outcome)
{
    switch (outcome) {
    case SK_WEBHOOK_DELIVERED:
        return "delivered";
    case SK_WEBHOOK_RETRY:
        return "retry";
    case SK_WEBHOOK_FAILED:
        return "failed";
    }
    return "unknown";
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

sk_err sk_webhook_global_init(void)
{
    if (pthread_once(&curl_once, curl_init_once) != 0)
        return SK_ERR_IO;
    return curl_init_rc == CURLE_OK ? SK_OK : SK_ERR_IO;
}

/* The response body is counted and dropped; past the cap, returning less
 * than was offered makes libcurl end the transfer with CURLE_WRITE_ERROR. */
typedef struct sink {
    size_t bytes;
    int overflowed;
} sink;

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    sink *s = userdata;
    size_t n = size * nmemb;

    (void)ptr;
    if (n > SK_WEBHOOK_RESPONSE_BYTES_MAX - s->bytes) {
        s->overflowed = 1;
        return 0;
    }
    s->bytes += n;
    return n;
}

/* Visible ASCII, plus the space when allow_space: nothing that could end a
 * header line or smuggle another. */
static int header_safe(sk_str text, int allow_space)
{
    size_t i;

    for (i = 0; i < text.len; i++) {
        unsigned char c = (unsigned char)text.ptr[i];
        if (c > 0x7e || c < 0x20 || (c == ' ' && !allow_space))
            return 0;
    }
    return 1;
}

static sk_webhook_class class_of_status(long status)
{
    if (status >= 200 && status <= 299)
        return SK_WEBHOOK_DELIVERED;
    if (status == 408 || status == 429 || status >= 500)
        return SK_WEBHOOK_RETRY;
    return SK_WEBHOOK_FAILED;
}

/* A transfer that ended without a usable answer. Only a URL that can never
 * work is permanent; everything else (refused, unreachable, timed out, TLS)
 * may heal, and the horizon bounds the retries. */
static sk_webhook_class class_of_curl_error(CURLcode code)
{
    switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return SK_WEBHOOK_FAILED;
    default:
        return SK_WEBHOOK_RETRY;
    }
}

static uint64_t monotonic_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* Adds "name: value" to *list; 0 when out of memory (the list so far stays
 * owned by *list). */
static int add_header(struct curl_slist **list, const char *name, sk_str value)
{
    char line[SK_WEBHOOK_SIGNATURE_HEADER_MAX + 64];
    struct curl_slist *next;

    SK_ASSERT(value.len <= SK_WEBHOOK_SIGNATURE_HEADER_MAX);
    snprintf(line, sizeof(line), "%s: %.*s", name, (int)value.len,
             value.ptr != NULL ? value.ptr : "");
    next = curl_slist_append(*list, line);
    if (next == NULL)
        return 0;
    *list = next;
    return 1;
}

static sk_err build_headers(sk_str msg_id, int64_t timestamp, const char *signature,
                            struct curl_slist **out)
{
    char ts[24];
    int n;

    n = snprintf(ts, sizeof(ts), "%" PRId64, timestamp);
    SK_ASSERT(n > 0 && (size_t)n < sizeof(ts));
    /* An empty "Expect:" stops libcurl from waiting for 100-continue. */
    if (!add_header(out, "Content-Type", SK_STR("application/json")) ||
        !add_header(out, "webhook-id", msg_id) ||
        !add_header(out, "webhook-timestamp", (sk_str){ts, (size_t)n}) ||
        !add_header(out, "webhook-signature", sk_str_c(signature)) ||
        !add_header(out, "Expect", SK_STR("")))
        return SK_ERR_NOMEM;
    return SK_OK;
}

static sk_err configure(CURL *h, const char *url, sk_str body, struct curl_slist *headers,
                        unsigned timeout_ms, sink *s)
{
    long total = (long)timeout_ms;
    long connect_ms = total < SK_WEBHOOK_CONNECT_TIMEOUT_MS ? total : SK_WEBHOOK_CONNECT_TIMEOUT_MS;
    unsigned c = 0;

    /* Each option's result is folded in: any failure means this libcurl
     * cannot fence the transfer as promised, so nothing is sent. */
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_URL, url);
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total);
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_POST, 1L);
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.len > 0 ? body.ptr : "");
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_USERAGENT, "safekeep-webhook/1");
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    c |= (unsigned)curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    return c == 0 ? SK_OK : SK_ERR_IO;
}

static sk_err check_args(const char *url, sk_str msg_id, int64_t timestamp, sk_str body,
                         const char *signature)
{
    sk_str sig = sk_str_c(signature);

    if (url == NULL || signature == NULL || timestamp < 0)
        return SK_ERR_INVALID;
    if (msg_id.len == 0 || msg_id.len > SK_WEBHOOK_ID_LEN_MAX || !header_safe(msg_id, 0))
        return SK_ERR_INVALID;
    if (sig.len == 0 || sig.len > SK_WEBHOOK_SIGNATURE_HEADER_MAX || !header_safe(sig, 1))
        return SK_ERR_INVALID;
    if (body.len > SK_WEBHOOK_BODY_BYTES_MAX)
        return SK_ERR_TOO_LARGE;
    return SK_OK;
}

/* Classifies a finished transfer: by the status when an answer arrived
 * whole (or was cut off by our own cap), else by the transport error. */
static void classify(CURL *h, CURLcode code, const sink *s, sk_webhook_result *out)
{
    long status = 0;

    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
        status = 0;
    out->status = status > 0 && status < 1000 ? (int)status : 0;
    if (out->status > 0 && (code == CURLE_OK || (code == CURLE_WRITE_ERROR && s->overflowed))) {
        out->outcome = class_of_status(status);
        return;
    }
    out->outcome = class_of_curl_error(code);
    snprintf(out->error, sizeof(out->error), "%s", curl_easy_strerror(code));
}

struct sk_webhook_client {
    CURL *h; /* kept between attempts: its connection cache holds the sockets */
};

sk_err sk_webhook_client_new(sk_webhook_client **out)
{
    sk_webhook_client *c;
    sk_err rc;

    SK_ASSERT(out != NULL);
    *out = NULL;
    rc = sk_webhook_global_init();
    if (rc != SK_OK)
        return rc;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return SK_ERR_NOMEM;
    c->h = curl_easy_init();
    if (c->h == NULL) {
        free(c);
        return SK_ERR_NOMEM;
    }
    *out = c;
    return SK_OK;
}

void sk_webhook_client_free(sk_webhook_client *c)
{
    if (c == NULL)
        return;
    curl_easy_cleanup(c->h);
    free(c);
}

sk_err sk_webhook_client_post(sk_webhook_client *c, const char *url, sk_str msg_id,
                              int64_t timestamp, sk_str body, const char *signature,
                              unsigned timeout_ms, sk_webhook_result *out)
{
    struct curl_slist *headers = NULL;
    sink s = {0, 0};
    uint64_t start;
    CURLcode code;
    sk_err rc;

    SK_ASSERT(c != NULL && out != NULL);
    SK_ASSERT(timeout_ms >= 1); /* libcurl reads 0 as "no timeout" */
    memset(out, 0, sizeof(*out));
    rc = check_args(url, msg_id, timestamp, body, signature);
    if (rc != SK_OK)
        goto out;
    /* Every option of the previous attempt is forgotten; the connections
     * it left open stay in the cache for the next one to the same host. */
    curl_easy_reset(c->h);
    rc = build_headers(msg_id, timestamp, signature, &headers);
    if (rc != SK_OK)
        goto out;
    rc = configure(c->h, url, body, headers, timeout_ms, &s);
    if (rc != SK_OK)
        goto out;
    start = monotonic_ms();
    code = curl_easy_perform(c->h);
    out->latency_ms = (uint32_t)(monotonic_ms() - start);
    classify(c->h, code, &s, out);
out:
    /* The handle keeps a pointer to the list until the next reset. */
    if (headers != NULL)
        (void)curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    return rc;
}

sk_err sk_webhook_post(const char *url, sk_str msg_id, int64_t timestamp, sk_str body,
                       const char *signature, unsigned timeout_ms, sk_webhook_result *out)
{
    sk_webhook_client *c = NULL;
    sk_err rc;

    SK_ASSERT(out != NULL);
    memset(out, 0, sizeof(*out));
    rc = check_args(url, msg_id, timestamp, body, signature);
    if (rc == SK_OK)
        rc = sk_webhook_client_new(&c);
    if (rc == SK_OK)
        rc = sk_webhook_client_post(c, url, msg_id, timestamp, body, signature, timeout_ms, out);
    sk_webhook_client_free(c);
    return rc;
}
