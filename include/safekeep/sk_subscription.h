/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_subscription.h: webhook subscriptions and the outbox (docs/notifications.md).
 *
 * An agency subscribes an http:// or https:// endpoint to a set of event
 * types, for one declared purpose. A subscription is accepted only when, at
 * creation, an agreement in force lets the agency read each type's entity
 * for that purpose from some provider agency; and each event is matched
 * against the policy again when it is recorded, so notifications stop when
 * the agreement ends or is rescinded. A match becomes an outbox row written
 * in the transaction that records the event. Notifications are thin: event
 * id, type, subject id and time, never personal data. Each subscription has
 * a secret ("whsec_" + base64 of 32 random bytes, the Standard Webhooks
 * convention) for signing deliveries; it is shown once, at creation, and
 * stored sealed under the database key.
 */
#ifndef SK_SUBSCRIPTION_H
#define SK_SUBSCRIPTION_H

#include <stdint.h>

#include "safekeep/sk_core.h"
#include "safekeep/sk_crypto.h"
#include "safekeep/sk_deadline.h"
#include "safekeep/sk_model.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_store.h"
#include "safekeep/sk_subject.h"

#define SK_SUBSCRIPTION_PREFIX       "sub_"
#define SK_SUBSCRIPTION_ID_LEN       20 /* "sub_" + 16 hexadecimal digits */
#define SK_SUBSCRIPTION_URL_MAX      2048
#define SK_SUBSCRIPTION_SECRET_BYTES 32
#define SK_SUBSCRIPTION_SECRET_LEN   50 /* "whsec_" + 44 characters of padded base64 */
#define SK_SUBSCRIPTION_AGENCY_MAX   64 /* NUL included */
#define SK_OUTBOX_ID_LEN             36 /* "msg_" + 32 hexadecimal digits */

/* The pseudo-type "alert" in a subscription's types: the deadline alerts
 * (sk_deadline.h) that the subscribing agency owns, told as they fall due.
 * Needs no agreement: the rule that makes an agency an alert's owner is
 * what entitles it to be told. */
#define SK_SUBSCRIPTION_ALERT_NAME "alert"
#define SK_SUBSCRIPTION_ALERTS     (1ull << 63)
/* An alert's outbox row has the type "alert." and its rule's name. */
#define SK_OUTBOX_ALERT_PREFIX     "alert."
#define SK_OUTBOX_ALERT_PREFIX_LEN (sizeof(SK_OUTBOX_ALERT_PREFIX) - 1)

typedef enum sk_subscription_state {
    SK_SUBSCRIPTION_ACTIVE = 0,
    SK_SUBSCRIPTION_PAUSED,
    SK_SUBSCRIPTION_DELETED
} sk_subscription_state;

/* A subscription as the library sees it. rules says, for each type, which
 * rule allowed it at creation: "type=id@version" entries, comma-separated. */
typedef struct sk_subscription {
    char id[SK_SUBSCRIPTION_ID_LEN + 1];
    char agency[SK_SUBSCRIPTION_AGENCY_MAX];
    char created_by[SK_SUBSCRIPTION_AGENCY_MAX];
    sk_purpose purpose;
    uint64_t types; /* 1 << sk_event_type */
    char url[SK_SUBSCRIPTION_URL_MAX + 1];
    sk_subscription_state state;
    int64_t created_at;
    int64_t updated_at;
    char rules[SK_STORE_SUB_RULES_MAX];
} sk_subscription;

/* The name of a state: "active", "paused" or "deleted". */
const char *sk_subscription_state_name(sk_subscription_state state);

/* Checks an endpoint URL: http:// or https://, a host, at most 2048
 * characters, no user name or password, no whitespace or control
 * characters. SK_ERR_INVALID (diag says what is wrong, never the URL)
 * otherwise. Thread-safe. */
SK_NODISCARD sk_err sk_subscription_url_check(sk_str url, sk_diag *diag);

/* Parses "t1,t2" event type names (and "alert") into a mask. Policy events, which belong
 * to no child's case, cannot be subscribed to. SK_ERR_INVALID (diag names
 * the offending type) for an unknown or unsubscribable type or an empty
 * list. Thread-safe. */
SK_NODISCARD sk_err sk_subscription_types_parse(sk_str text, uint64_t *mask, sk_diag *diag);

/* Appends the names of mask's types, comma-separated, into buf (NUL-
 * terminated; truncated when buf is too small). */
void sk_subscription_types_format(uint64_t mask, char *buf, size_t buf_len);

/*
 * Creates a subscription of agency to the event types in mask, for
 * purpose, delivered to url, created by created_by at now. Refused with
 * SK_ERR_DENIED, and a readable reason in diag naming the first type no
 * rule allows (and the constraint, when one forbids it), unless for every
 * type an agreement in force at now lets agency read that type's entity
 * for purpose from some agency of policy (action read, every field; a
 * constraint that forbids an ordinary record refuses, even if some record
 * could fall under its exception). "emergency" is refused: break-glass is
 * for one reviewed request, not a standing one. SK_ERR_INVALID for a bad
 * URL, an agency unknown to policy, an empty mask or a bad created_by;
 * SK_ERR_STORE on a store failure. On success *out is filled and
 * secret_out holds the signing secret, NUL-terminated, to be shown once
 * (wipe it after); on error secret_out is empty. All pointers borrowed.
 */
SK_NODISCARD sk_err sk_subscription_create(sk_store *store, sk_keyring *keyring,
                                           const sk_policy *policy, sk_str agency,
                                           sk_purpose purpose, uint64_t types, sk_str url,
                                           sk_str created_by, int64_t now,
                                           char secret_out[SK_SUBSCRIPTION_SECRET_LEN + 1],
                                           sk_subscription *out, sk_diag *diag);

/* Fetches subscription id into *out. SK_ERR_NOT_FOUND when there is none,
 * SK_ERR_STORE on a store failure. */
SK_NODISCARD sk_err sk_subscription_get(sk_store *store, sk_str id, sk_subscription *out,
                                        sk_diag *diag);

/* Calls cb for each subscription of agency (every agency when agency.len
 * == 0), deleted ones included, by creation time. sub is borrowed for the
 * call; non-zero stops (still SK_OK). */
typedef int (*sk_subscription_cb)(const sk_subscription *sub, void *ctx);
SK_NODISCARD sk_err sk_subscription_list(sk_store *store, sk_str agency, sk_subscription_cb cb,
                                         void *ctx, sk_diag *diag);

/* pause: active -> paused; resume: paused -> active; delete: active or
 * paused -> deleted (kept for the record, never reused). SK_ERR_NOT_FOUND
 * for an unknown id, SK_ERR_CONFLICT (diag names the state) from any other
 * state, SK_ERR_STORE on a store failure. */
SK_NODISCARD sk_err sk_subscription_pause(sk_store *store, sk_str id, int64_t now, sk_diag *diag);
SK_NODISCARD sk_err sk_subscription_resume(sk_store *store, sk_str id, int64_t now, sk_diag *diag);
SK_NODISCARD sk_err sk_subscription_delete(sk_store *store, sk_str id, int64_t now, sk_diag *diag);

/* Unseals subscription id's signing secret (the 32 bytes, not the text)
 * into out, for the deliverer. SK_ERR_NOT_FOUND, SK_ERR_CRYPTO (wrong key
 * or tampering), SK_ERR_STORE. The caller wipes out after use. */
SK_NODISCARD sk_err sk_subscription_secret(sk_store *store, const sk_keyring *keyring, sk_str id,
                                           unsigned char out[SK_SUBSCRIPTION_SECRET_BYTES],
                                           sk_diag *diag);

/* The active subscriptions, loaded once per ingest transaction. */
typedef struct sk_subscription_set sk_subscription_set;

/* Loads every active subscription of store (heap; free with
 * sk_subscription_set_free). SK_ERR_NOMEM, SK_ERR_STORE. */
SK_NODISCARD sk_err sk_subscription_set_load(sk_store *store, sk_subscription_set **out,
                                             sk_diag *diag);
void sk_subscription_set_free(sk_subscription_set *set);

/* Number of subscriptions in set, and the union of their type masks: an
 * event of a type outside it matches nothing, at the cost of one test. */
size_t sk_subscription_set_count(const sk_subscription_set *set);
uint64_t sk_subscription_set_types(const sk_subscription_set *set);

/* The i-th subscription of set (i < count), borrowed from set. */
const sk_subscription *sk_subscription_set_at(const sk_subscription_set *set, size_t i);

/*
 * Calls cb with each subscription of set that should be notified of ev (a
 * finished case event): its type is in the subscription's set and policy,
 * at ev's recorded time, lets the subscriber read ev's entity for the
 * subscription's purpose from ev's recording agency, with the attributes
 * of subject (the child's case after ev; NULL: none known, judged with no
 * attributes). Returns the number of matches; cb returning non-zero stops.
 * Never fails; thread-safe on a shared policy.
 */
size_t sk_subscription_match(const sk_subscription_set *set, const sk_policy *policy,
                             const sk_event *ev, const sk_subject *subject, sk_subscription_cb cb,
                             void *ctx);

/* Matches ev as above and writes one pending outbox row per match, due at
 * now, in the store's current transaction. SK_ERR_STORE on failure (the
 * caller aborts its transaction). */
SK_NODISCARD sk_err sk_subscription_enqueue(sk_store *store, const sk_subscription_set *set,
                                            const sk_policy *policy, const sk_event *ev,
                                            const sk_subject *subject, int64_t now, sk_diag *diag);

/* The webhook-id of ev's notification to subscription sub_id: "msg_" + 32
 * hexadecimal digits of a hash of both, so the same pair always gives the
 * same id and a receiver can drop a repeated delivery. */
void sk_outbox_id(sk_str event_id, sk_str sub_id, char out[SK_OUTBOX_ID_LEN + 1]);

/*
 * Writes one pending outbox row for each active subscription of set that
 * takes alerts and belongs to alert's owner, in the store's current
 * transaction, when alert is open (other states tell nobody). The row's id
 * is sk_outbox_id(alert id, subscription id), so an alert found again by a
 * later evaluation adds nothing: each owner is told of an alert once.
 * *added (may be NULL) gets the number of new rows. SK_ERR_STORE on failure.
 */
SK_NODISCARD sk_err sk_subscription_enqueue_alert(sk_store *store, const sk_subscription_set *set,
                                                  const sk_alert *alert, int64_t now, size_t *added,
                                                  sk_diag *diag);

#endif /* SK_SUBSCRIPTION_H */
