/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_webhook.h: signing, verifying and sending one webhook, following the
 * Standard Webhooks convention (www.standardwebhooks.com): headers
 * webhook-id, webhook-timestamp and webhook-signature, the signature being
 * "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)) under
 * a per-subscription secret written "whsec_" + base64(key).
 *
 * This module makes one attempt and classifies its outcome; the schedule of
 * further attempts (sk_webhook_next_attempt, sk_webhook_expired) is pure
 * arithmetic so that the deliverer that owns the outbox decides when to call
 * it again. Only src/notify/webhook.c includes curl/curl.h.
 */
#ifndef SK_WEBHOOK_H
#define SK_WEBHOOK_H

#include <stdint.h>

#include "safekeep/sk_core.h"

#define SK_WEBHOOK_SECRET_PREFIX "whsec_"
/* Raw key bytes: the convention allows 24 to 64; new secrets use 32. */
#define SK_WEBHOOK_KEY_BYTES_MIN 24
#define SK_WEBHOOK_KEY_BYTES_MAX 64
#define SK_WEBHOOK_KEY_BYTES_NEW 32
/* "whsec_" + base64 of 64 bytes (88 characters). */
#define SK_WEBHOOK_SECRET_LEN_MAX (6 + 88)
/* "v1," + base64 of a 32-byte HMAC (44 characters). */
#define SK_WEBHOOK_SIGNATURE_LEN 47
/* Longest webhook-id accepted, in bytes (printable ASCII, no spaces). */
#define SK_WEBHOOK_ID_LEN_MAX 256
/* Longest webhook-signature header sk_webhook_verify reads (several
 * signatures during a secret rotation, but bounded work). */
#define SK_WEBHOOK_SIGNATURE_HEADER_MAX 4096
/* Largest body sk_webhook_post sends. */
#define SK_WEBHOOK_BODY_BYTES_MAX (1024 * 1024)
/* Response body bytes read (and discarded) before the attempt is cut off. */
#define SK_WEBHOOK_RESPONSE_BYTES_MAX (64 * 1024)
/* Connection set-up never waits longer than this, whatever the total. */
#define SK_WEBHOOK_CONNECT_TIMEOUT_MS 10000
/* Tolerance the convention recommends for a receiver's clock check. */
#define SK_WEBHOOK_TOLERANCE_S 300
#define SK_WEBHOOK_ERROR_MAX   128

/*
 * Writes a new secret, "whsec_" + base64 of SK_WEBHOOK_KEY_BYTES_NEW random
 * bytes, NUL-terminated, into out. The secret is key material: the caller
 * wipes it (sk_wipe) when done. Thread-safe.
 */
void sk_webhook_secret_new(char out[SK_WEBHOOK_SECRET_LEN_MAX + 1]);

/*
 * Decodes a secret "whsec_<base64>" into its raw key: key receives
 * SK_WEBHOOK_KEY_BYTES_MIN..SK_WEBHOOK_KEY_BYTES_MAX bytes and *key_len
 * their number. SK_ERR_INVALID when the prefix is missing, the base64 is
 * malformed (standard alphabet, padded) or the key length is out of range;
 * the message never includes the secret. Thread-safe.
 */
SK_NODISCARD sk_err sk_webhook_secret_parse(sk_str secret,
                                            unsigned char key[SK_WEBHOOK_KEY_BYTES_MAX],
                                            size_t *key_len);

/*
 * Writes "v1,<base64 HMAC-SHA256 over msg_id.timestamp.body>" plus NUL into
 * out, with key (key_len bytes, from sk_webhook_secret_parse). msg_id and
 * body are borrowed; timestamp is seconds since the epoch and must be >= 0.
 * Thread-safe; cannot fail.
 */
void sk_webhook_sign(const unsigned char *key, size_t key_len, sk_str msg_id, int64_t timestamp,
                     sk_str body, char out[SK_WEBHOOK_SIGNATURE_LEN + 1]);

/*
 * What a receiver does with a delivery: checks that the webhook-timestamp
 * header (decimal seconds) is within tolerance_s of now on either side and
 * that one of the space-separated entries of the webhook-signature header
 * is a "v1,..." signature of msg_id.timestamp.body under secret ("whsec_"
 * form). Entries with another version prefix are ignored. Comparisons take
 * constant time. SK_OK when both hold; SK_ERR_DENIED for any fault in the
 * headers or body (one code: no oracle); SK_ERR_INVALID when secret itself
 * is malformed (the receiver's configuration, not the sender's fault).
 * Thread-safe.
 */
SK_NODISCARD sk_err sk_webhook_verify(sk_str secret, sk_str msg_id, sk_str timestamp,
                                      sk_str signatures, sk_str body, int64_t now,
                                      int64_t tolerance_s);

/*
 * When to make attempt attempt_index + 1, given that attempt attempt_index
 * (0 for the first) failed at now: exponential back-off with "equal
 * jitter". The ceiling d = min(cap_s, base_s * 2^attempt_index); the delay
 * is d - d/2 plus a jitter in [0, d/2] taken from random (a uniform 32-bit
 * value the caller draws, so tests are deterministic). Equal rather than
 * full jitter: a delay never falls below half the exponential step, so a
 * receiver that is down is not hit again at once, while the spread of d/2
 * still breaks up a herd of deliveries that failed together. For a fixed
 * random value the delay never decreases with attempt_index. Requires
 * 1 <= base_s <= cap_s; returns now + delay (>= now + 1).
 */
int64_t sk_webhook_next_attempt(unsigned attempt_index, int64_t now, uint32_t random,
                                uint32_t base_s, uint32_t cap_s);

/* 1 when a delivery first attempted at first_attempt_at has run out of
 * time at now (now >= first_attempt_at + horizon_s): it is then marked
 * failed instead of retried. horizon_s >= 0. */
int sk_webhook_expired(int64_t first_attempt_at, int64_t now, int64_t horizon_s);

/* What to do after an attempt. */
typedef enum sk_webhook_class {
    SK_WEBHOOK_DELIVERED = 0, /* a 2xx answer */
    SK_WEBHOOK_RETRY,         /* network error, timeout, 408, 429, 5xx */
    SK_WEBHOOK_FAILED         /* permanent: other 1xx/3xx/4xx, bad URL or scheme */
} sk_webhook_class;

/* The outcome of one attempt, for the delivery log. */
typedef struct sk_webhook_result {
    sk_webhook_class outcome;
    int status;                       /* HTTP status; 0 when none was received */
    uint32_t latency_ms;              /* from the start of the attempt to its end */
    char error[SK_WEBHOOK_ERROR_MAX]; /* libcurl's generic text, "" after an answer */
} sk_webhook_result;

/* Stable lower-case name of a class ("delivered", "retry", "failed"). */
const char *sk_webhook_class_str(sk_webhook_class outcome);

/*
 * Initialises libcurl once (curl_global_init is not thread-safe in every
 * libcurl build). Call it at startup before any thread sends; sk_webhook_post
 * also calls it, guarded by pthread_once, so a late call is harmless.
 * SK_ERR_IO when libcurl cannot initialise.
 */
SK_NODISCARD sk_err sk_webhook_global_init(void);

/*
 * Makes one attempt: POSTs body (Content-Type: application/json) to url
 * with the webhook-id, webhook-timestamp and webhook-signature headers
 * (signature as from sk_webhook_sign, or several space-separated during a
 * secret rotation). Only http and https URLs are used; redirects are not
 * followed; the attempt is abandoned after timeout_ms (connecting after at
 * most SK_WEBHOOK_CONNECT_TIMEOUT_MS); up to SK_WEBHOOK_RESPONSE_BYTES_MAX
 * bytes of the response body are read and discarded. The outcome, status,
 * latency and a short error text (never the URL, so never its credentials)
 * go to *out.
 *
 * Classes: 2xx delivered; a network error, a timeout, 408, 429 and 5xx
 * retry; every other status (3xx since redirects are not followed, and 4xx:
 * the receiver judged the request itself wrong, and the identical signed
 * request would be judged the same) fails permanently, as do a malformed
 * URL or another scheme. A 2xx whose body exceeds the cap still counts as
 * delivered.
 *
 * Returns SK_OK whenever *out holds an outcome, including retry and failed.
 * SK_ERR_INVALID when msg_id is empty, longer than SK_WEBHOOK_ID_LEN_MAX or
 * not printable ASCII without spaces, when signature is not printable ASCII
 * or longer than SK_WEBHOOK_SIGNATURE_HEADER_MAX (no header injection), or
 * timestamp < 0; SK_ERR_TOO_LARGE when body exceeds SK_WEBHOOK_BODY_BYTES_MAX;
 * SK_ERR_NOMEM or SK_ERR_IO when libcurl cannot set up the transfer.
 * Blocks up to timeout_ms. Thread-safe: each call uses its own handle.
 */
SK_NODISCARD sk_err sk_webhook_post(const char *url, sk_str msg_id, int64_t timestamp, sk_str body,
                                    const char *signature, unsigned timeout_ms,
                                    sk_webhook_result *out);

/* A sender that keeps its connections open between attempts (HTTP
 * keep-alive), for a deliverer that sends many notifications to the same
 * receivers. One client per thread: a client is not thread-safe. */
typedef struct sk_webhook_client sk_webhook_client;

/* SK_ERR_NOMEM, or SK_ERR_IO when libcurl cannot initialise. */
SK_NODISCARD sk_err sk_webhook_client_new(sk_webhook_client **out);
void sk_webhook_client_free(sk_webhook_client *c);

/* As sk_webhook_post, on c's connections. */
SK_NODISCARD sk_err sk_webhook_client_post(sk_webhook_client *c, const char *url, sk_str msg_id,
                                           int64_t timestamp, sk_str body, const char *signature,
                                           unsigned timeout_ms, sk_webhook_result *out);

#endif /* SK_WEBHOOK_H */
