/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_store.h: the storage interface. The ledger of events is append-only;
 * everything else (children, persons, blind indexes, placements, hearings,
 * follow-up calls, sponsors) is a projection that sk_store_projections_clear
 * and a replay of the ledger can rebuild. Backends (SQLite now, PostgreSQL
 * later) implement the same operations; nothing above this header sees SQL.
 *
 * A store handle is used by one thread at a time. Writes happen inside
 * sk_store_begin/commit; sk_store_rollback undoes everything since begin.
 * Backend detail of a failure goes to the diag and is summarised as
 * SK_ERR_STORE; a duplicate event id is SK_ERR_CONFLICT.
 */
#ifndef SK_STORE_H
#define SK_STORE_H

#include <stdint.h>

#include "safekeep/sk_core.h"
#include "safekeep/sk_model.h"

typedef struct sk_store sk_store;

/* One ledger row as stored. Text is borrowed for the duration of a callback. */
typedef struct sk_ledger_row {
    uint64_t seq;
    sk_str id;
    sk_str type;
    int64_t occurred_at;
    int64_t recorded_at;
    sk_str agency;
    sk_str user;
    sk_str subjects[SK_SUBJECTS_MAX];
    size_t subject_count;
    sk_str payload_json;
    const unsigned char *identity_sealed; /* NULL when the event has no identity fields */
    size_t identity_sealed_len;
    sk_str prov_source;
    sk_str prov_ref;
    char prov_reliability;
    uint32_t dq_flags;
    /* chain_i = SHA-256(chain_{i-1} || leaf_i): the tamper-evident link of
     * this row to every row before it (sk_ledger_seal.h). */
    unsigned char chain[32];
} sk_ledger_row;

/* Return non-zero from a callback to stop the scan early (not an error). */
typedef int (*sk_ledger_cb)(const sk_ledger_row *row, void *ctx);

/* Filters for listing children; zero values mean "any". */
typedef struct sk_child_filter {
    int custody; /* sk_custody + 1, or 0 for any */
    int court;   /* sk_court + 1, or 0 for any */
    char country[3];
    char facility[SK_ID_LEN_MAX + 1];
    int64_t apprehended_from, apprehended_to; /* 0 = open */
    uint32_t limit;                           /* 0 = default 50 */
    uint64_t offset;
} sk_child_filter;

/* A child as listed: the projection row. */
typedef struct sk_child_row {
    sk_str child_id;
    sk_str custody;
    sk_str court;
    sk_str country;
    sk_str language;
    sk_str facility;
    int64_t age_years;                                    /* -1 unknown */
    int64_t apprehended_at, released_at, next_hearing_at; /* 0 unknown */
    uint32_t event_count;
    uint32_t dq_flags;
} sk_child_row;

typedef int (*sk_child_cb)(const sk_child_row *row, void *ctx);

/* Opens (create: creates if missing and sets the schema up) a store at
 * path. SQLite runs in WAL mode. SK_ERR_NOT_FOUND when it does not exist and
 * create is 0. Caller closes with sk_store_close. */
SK_NODISCARD sk_err sk_store_open(const char *path, int create, sk_store **out, sk_diag *diag);

/* Closes, rolling back any open transaction. NULL accepted. */
void sk_store_close(sk_store *store);

/* Gives the handle a page cache of cache_mb MiB, for bulk work (an import
 * of a national population is one transaction; pages spilled from a small
 * cache are written again and again). */
SK_NODISCARD sk_err sk_store_set_cache(sk_store *store, unsigned cache_mb, sk_diag *diag);

SK_NODISCARD sk_err sk_store_begin(sk_store *store, sk_diag *diag);
SK_NODISCARD sk_err sk_store_commit(sk_store *store, sk_diag *diag);
void sk_store_rollback(sk_store *store);

/* Metadata (schema version, key check value...). get: SK_ERR_NOT_FOUND when
 * absent; the value is copied into buf (NUL-terminated), *len set. */
SK_NODISCARD sk_err sk_store_meta_get(sk_store *store, const char *key, unsigned char *buf,
                                      size_t buf_len, size_t *len, sk_diag *diag);
SK_NODISCARD sk_err sk_store_meta_put(sk_store *store, const char *key, const void *value,
                                      size_t len, sk_diag *diag);

/* Appends one event to the ledger (row->seq is ignored) and sets *seq.
 * SK_ERR_CONFLICT when the id exists. */
SK_NODISCARD sk_err sk_store_ledger_append(sk_store *store, const sk_ledger_row *row, uint64_t *seq,
                                           sk_diag *diag);

/* 1 when an event with this id is in the ledger. */
SK_NODISCARD sk_err sk_store_ledger_has(sk_store *store, sk_str id, int *found, sk_diag *diag);

/* Orders in which the ledger can be read. */
typedef enum sk_scan {
    SK_SCAN_SEQ = 0,  /* every event, in the order recorded */
    SK_SCAN_CHILD,    /* one child's events (subjects[0]), by (occurred_at, seq) */
    SK_SCAN_BY_CHILD, /* every event grouped by child, each by (occurred_at, seq) */
    SK_SCAN_IDENTITY  /* events carrying identity fields, in the order recorded */
} sk_scan;

/* Calls cb for each event of the scan; child is used by SK_SCAN_CHILD only. */
SK_NODISCARD sk_err sk_store_ledger_scan(sk_store *store, sk_scan scan, sk_str child,
                                         sk_ledger_cb cb, void *ctx, sk_diag *diag);

/* Number of events in the ledger. */
SK_NODISCARD sk_err sk_store_ledger_count(sk_store *store, uint64_t *count, sk_diag *diag);

/* Writes the projection of one case: the child row and its placements,
 * hearings, calls and sponsors, replacing what was there. fresh = 1 promises
 * that nothing of this child is stored yet (its first write, or a rebuild),
 * which spares the deletes. */
SK_NODISCARD sk_err sk_store_case_put(sk_store *store, const sk_case *c, int fresh, sk_diag *diag);

/* Stores a person's sealed identity record (replacing it). kind: "child",
 * "sponsor", "household_member", "person". */
SK_NODISCARD sk_err sk_store_person_put(sk_store *store, sk_str person_id, const char *kind,
                                        const unsigned char *sealed, size_t sealed_len,
                                        sk_diag *diag);

/* Reads a person's sealed identity into buf. SK_ERR_NOT_FOUND when absent,
 * SK_ERR_TOO_LARGE when buf is too small. */
SK_NODISCARD sk_err sk_store_person_get(sk_store *store, sk_str person_id, unsigned char *buf,
                                        size_t buf_len, size_t *len, sk_diag *diag);

/* Adds a blind-index entry (kind, hash) -> person_id; duplicates ignored. */
SK_NODISCARD sk_err sk_store_blind_put(sk_store *store, const char *kind, const unsigned char *hash,
                                       size_t hash_len, sk_str person_id, sk_diag *diag);

/* Finds persons by blind index; calls cb with each person id (as the
 * child_id of an otherwise empty row). */
SK_NODISCARD sk_err sk_store_blind_find(sk_store *store, const char *kind,
                                        const unsigned char *hash, size_t hash_len, sk_child_cb cb,
                                        void *ctx, sk_diag *diag);

/* Lists children matching filter, ordered by child id. */
SK_NODISCARD sk_err sk_store_children_list(sk_store *store, const sk_child_filter *filter,
                                           sk_child_cb cb, void *ctx, sk_diag *diag);

/* Fetches one child's projection row; SK_ERR_NOT_FOUND when unknown. */
SK_NODISCARD sk_err sk_store_child_get(sk_store *store, sk_str child_id, sk_child_cb cb, void *ctx,
                                       sk_diag *diag);

/* Counts children by custody status: counts[sk_custody]. */
SK_NODISCARD sk_err sk_store_count_by_custody(sk_store *store, uint64_t counts[SK_CUSTODY__COUNT],
                                              sk_diag *diag);

/* Deletes every projection (not the ledger, not metadata). */
SK_NODISCARD sk_err sk_store_projections_clear(sk_store *store, sk_diag *diag);

/* A 64-bit FNV-1a digest of every projection row in a fixed order, for
 * checking that a rebuild yields the same state. Sealed identities are left
 * out (their nonces differ on every sealing); which persons exist, and their
 * blind-index entries, are in. Not a security measure. */
SK_NODISCARD sk_err sk_store_projection_digest(sk_store *store, uint64_t *out, sk_diag *diag);

/* Stores a policy document's text under its id (a hash of the text); the
 * table is append-only. SK_ERR_CONFLICT when the id is already stored. */
SK_NODISCARD sk_err sk_store_policy_doc_put(sk_store *store, sk_str document_id, sk_str name,
                                            sk_str text, sk_diag *diag);

/* Reads a policy document's text: *text is malloc'd and NUL-terminated, the
 * caller frees it. SK_ERR_NOT_FOUND when absent. */
SK_NODISCARD sk_err sk_store_policy_doc_get(sk_store *store, sk_str document_id, char **text,
                                            size_t *len, sk_diag *diag);

/* A signed tree head over the ledger's first size rows. */
typedef struct sk_store_head {
    uint64_t size;
    int64_t timestamp_ms;
    unsigned char root[32];
    unsigned char chain[32];
    unsigned char signature[64];
} sk_store_head;

/* Records a signed tree head of the ledger (append-only table). */
SK_NODISCARD sk_err sk_store_ledger_head_put(sk_store *store, const sk_store_head *head,
                                             sk_diag *diag);

/* Calls cb for every ledger head in size order; non-zero stops. */
typedef int (*sk_head_cb)(const sk_store_head *head, void *ctx);
SK_NODISCARD sk_err sk_store_ledger_heads(sk_store *store, sk_head_cb cb, void *ctx, sk_diag *diag);

/* Test hook: the Nth write from now on fails with SK_ERR_STORE (0: never). */
void sk_store_fail_after(sk_store *store, unsigned long n);

/* ---- Bearer tokens of the HTTP API (sk_token.h builds on these) ---- */

#define SK_STORE_TOKEN_FIELD_MAX  64 /* id, agency, user and role, NUL included */
#define SK_STORE_TOKEN_HASH_BYTES 32

/* One token as stored: never the token itself, only its keyed hash. Times
 * are Unix seconds; 0 means "never" (expires_at) or "not revoked". */
typedef struct sk_store_token {
    char id[SK_STORE_TOKEN_FIELD_MAX];
    char agency[SK_STORE_TOKEN_FIELD_MAX];
    char user[SK_STORE_TOKEN_FIELD_MAX];
    char role[SK_STORE_TOKEN_FIELD_MAX];
    unsigned char hash[SK_STORE_TOKEN_HASH_BYTES];
    int64_t created_at;
    int64_t expires_at;
    int64_t revoked_at;
} sk_store_token;

/* Stores a new token (a single statement: atomic with or without an open
 * transaction). SK_ERR_CONFLICT when the id is taken. token is borrowed. */
SK_NODISCARD sk_err sk_store_token_put(sk_store *store, const sk_store_token *token, sk_diag *diag);

/* Copies the token with this id into *out. SK_ERR_NOT_FOUND when there is
 * none; SK_ERR_STORE also when a stored value does not fit *out. */
SK_NODISCARD sk_err sk_store_token_get(sk_store *store, sk_str id, sk_store_token *out,
                                       sk_diag *diag);

/* Sets the token's revoked_at to at unless it is already revoked (the first
 * revocation stands). SK_ERR_NOT_FOUND when there is no such token. */
SK_NODISCARD sk_err sk_store_token_revoke(sk_store *store, sk_str id, int64_t at, sk_diag *diag);

/* Calls cb for each token of agency (every token when agency.len == 0),
 * ordered by created_at then id; the row is borrowed for the call, and a
 * non-zero return stops the scan (not an error). */
typedef int (*sk_store_token_cb)(const sk_store_token *token, void *ctx);
SK_NODISCARD sk_err sk_store_token_list(sk_store *store, sk_str agency, sk_store_token_cb cb,
                                        void *ctx, sk_diag *diag);

/* ---- Webhook subscriptions and the outbox (sk_subscription.h builds on these) ---- */

#define SK_STORE_SUB_FIELD_MAX    64   /* id, agency, purpose, state, created_by, NUL included */
#define SK_STORE_SUB_TYPES_MAX    1024 /* "t1,t2,..." event type names */
#define SK_STORE_SUB_URL_MAX      2049 /* 2048 characters and the NUL */
#define SK_STORE_SUB_RULES_MAX    2048 /* "type=rule@version,..." */
#define SK_STORE_SUB_SEALED_MAX   128  /* the sealed webhook secret */
#define SK_STORE_OUTBOX_ID_MAX    64
#define SK_STORE_OUTBOX_TEXT_MAX  256
#define SK_STORE_OUTBOX_ALERT_MAX 192 /* an alert id (sk_deadline.h), NUL included */

/* One subscription as stored. The secret is only ever stored sealed. */
typedef struct sk_store_subscription {
    char id[SK_STORE_SUB_FIELD_MAX];
    char agency[SK_STORE_SUB_FIELD_MAX];
    char purpose[SK_STORE_SUB_FIELD_MAX];
    char types[SK_STORE_SUB_TYPES_MAX];
    char url[SK_STORE_SUB_URL_MAX];
    char state[SK_STORE_SUB_FIELD_MAX]; /* "active", "paused" or "deleted" */
    char created_by[SK_STORE_SUB_FIELD_MAX];
    char rules[SK_STORE_SUB_RULES_MAX];
    unsigned char secret_sealed[SK_STORE_SUB_SEALED_MAX];
    size_t secret_sealed_len;
    int64_t created_at;
    int64_t updated_at;
} sk_store_subscription;

/* Stores a new subscription (one statement). SK_ERR_CONFLICT when the id
 * is taken. sub is borrowed. */
SK_NODISCARD sk_err sk_store_subscription_put(sk_store *store, const sk_store_subscription *sub,
                                              sk_diag *diag);

/* Copies the subscription with this id into *out. SK_ERR_NOT_FOUND when
 * there is none; SK_ERR_STORE also when a stored value does not fit. */
SK_NODISCARD sk_err sk_store_subscription_get(sk_store *store, sk_str id,
                                              sk_store_subscription *out, sk_diag *diag);

/* Sets the state of subscription id to state at time at, only when its
 * current state is one of those in from (a comma-separated list, e.g.
 * "active,paused"). SK_ERR_NOT_FOUND when there is no such subscription,
 * SK_ERR_CONFLICT when it is in another state. */
SK_NODISCARD sk_err sk_store_subscription_set_state(sk_store *store, sk_str id, const char *from,
                                                    const char *state, int64_t at, sk_diag *diag);

/* Calls cb for each subscription of agency (every one when agency.len ==
 * 0), every state, ordered by created_at then id. The row is borrowed for
 * the call; a non-zero return stops the scan (not an error). */
typedef int (*sk_store_subscription_cb)(const sk_store_subscription *sub, void *ctx);
SK_NODISCARD sk_err sk_store_subscription_list(sk_store *store, sk_str agency,
                                               sk_store_subscription_cb cb, void *ctx,
                                               sk_diag *diag);

/* One notification waiting for, or done with, delivery. It carries ids and
 * times only, never personal data: the receiver fetches the record itself,
 * through the API, where the request is decided and audited. */
typedef struct sk_store_outbox {
    char id[SK_STORE_OUTBOX_ID_MAX]; /* the webhook-id: "msg_" + 32 hex digits */
    char subscription_id[SK_STORE_SUB_FIELD_MAX];
    char event_id[SK_STORE_SUB_FIELD_MAX];
    char type[SK_STORE_SUB_FIELD_MAX];
    char subject[SK_STORE_SUB_FIELD_MAX];
    char state[SK_STORE_SUB_FIELD_MAX]; /* "pending", "delivered" or "failed" */
    char last_error[SK_STORE_OUTBOX_TEXT_MAX];
    /* A deadline alert's notification: the alert's id; event_id is then its
     * anchor event, type "alert.<rule>" and occurred_at its due time. ""
     * for an event's notification. */
    char alert_id[SK_STORE_OUTBOX_ALERT_MAX];
    int64_t occurred_at;
    int64_t created_at;
    int64_t next_attempt_at; /* once delivered or failed: when that happened */
    uint32_t attempts;
    int last_status;          /* the receiver's HTTP status of the last attempt; 0 none */
    uint32_t latency_ms;      /* how long the last attempt took; 0 none */
    int64_t first_attempt_at; /* when the first attempt was made; 0 none yet */
} sk_store_outbox;

/* Inserts an outbox row in the current transaction (prepared once per
 * handle: an import may write many). state, attempts and last_* are taken
 * from row. SK_ERR_CONFLICT when the id exists. */
SK_NODISCARD sk_err sk_store_outbox_put(sk_store *store, const sk_store_outbox *row, sk_diag *diag);

/* As sk_store_outbox_put, except that a row whose id exists is left as it
 * is: the same alert found again by a later evaluation is one notification.
 * *inserted is 1 when the row is new. */
SK_NODISCARD sk_err sk_store_outbox_offer(sk_store *store, const sk_store_outbox *row,
                                          int *inserted, sk_diag *diag);

/* Calls cb for each pending row whose next_attempt_at is at or before at,
 * oldest due first (next_attempt_at, created_at, id), at most limit rows
 * (0: no limit). Rows are borrowed for the call; non-zero stops. */
typedef int (*sk_store_outbox_cb)(const sk_store_outbox *row, void *ctx);
SK_NODISCARD sk_err sk_store_outbox_due(sk_store *store, int64_t at, uint32_t limit,
                                        sk_store_outbox_cb cb, void *ctx, sk_diag *diag);

/* Calls cb for each delivered row about subject (a child id) to a
 * subscription of agency, by delivery time; non-zero stops. */
SK_NODISCARD sk_err sk_store_outbox_delivered(sk_store *store, sk_str subject, sk_str agency,
                                              sk_store_outbox_cb cb, void *ctx, sk_diag *diag);

/* *found = 1 when an outbox row with this id exists. */
SK_NODISCARD sk_err sk_store_outbox_has(sk_store *store, sk_str id, int *found, sk_diag *diag);

/* Calls cb for each row in state (every row when state.len == 0), ordered
 * by created_at then id; non-zero stops. */
SK_NODISCARD sk_err sk_store_outbox_list(sk_store *store, sk_str state, sk_store_outbox_cb cb,
                                         void *ctx, sk_diag *diag);

/* Calls cb for each row of subscription subscription_id, every state,
 * ordered by created_at then id, skipping the first offset rows and
 * stopping after limit rows (0: no limit); non-zero stops. An unknown id
 * has no rows (SK_OK, cb never called). */
SK_NODISCARD sk_err sk_store_outbox_list_subscription(sk_store *store, sk_str subscription_id,
                                                      uint64_t offset, uint32_t limit,
                                                      sk_store_outbox_cb cb, void *ctx,
                                                      sk_diag *diag);

/* Records one delivery attempt of row id: attempts + 1, the new state
 * ("pending" to retry at next_attempt_at, "delivered" or "failed"), the
 * receiver's HTTP status (0 when none came) and a short error text (no
 * personal data; may be empty). SK_ERR_NOT_FOUND when there is no such row,
 * SK_ERR_CONFLICT when it is no longer pending. */
SK_NODISCARD sk_err sk_store_outbox_attempt(sk_store *store, sk_str id, const char *state,
                                            int status, sk_str error, int64_t next_attempt_at,
                                            sk_diag *diag);

/* As sk_store_outbox_attempt, and also records the attempt's latency_ms
 * (replacing the previous attempt's) and, when the row has none yet,
 * attempted_at as its first attempt time (0 leaves it unset), from which
 * the deliverer measures its retry horizon. Same errors. */
SK_NODISCARD sk_err sk_store_outbox_attempt_timed(sk_store *store, sk_str id, const char *state,
                                                  int status, sk_str error, uint32_t latency_ms,
                                                  int64_t attempted_at, int64_t next_attempt_at,
                                                  sk_diag *diag);

/* Moves pending row id's next_attempt_at without counting an attempt (a
 * row the deliverer may not send yet: its subscription is paused, or the
 * audit log is unavailable). A row that is missing or no longer pending is
 * left alone (SK_OK). SK_ERR_STORE on failure. */
SK_NODISCARD sk_err sk_store_outbox_defer(sk_store *store, sk_str id, int64_t next_attempt_at,
                                          sk_diag *diag);

#endif /* SK_STORE_H */
