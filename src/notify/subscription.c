/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subscription.c: webhook subscriptions and the outbox (sk_subscription.h).
 *
 * Two policy checks guard a notification. At creation the question is
 * "could this agency ever be told of such events for this purpose?": for
 * each type, every agency of the policy is tried as the provider, with the
 * record attributes an agreement's "when" may ask for tried in turn; an
 * agreement in force that permits one of them accepts the type, and the
 * rule is recorded. A constraint that forbids an ordinary record (no
 * attributes) rules that provider out even if its exception could apply:
 * an exception is for one decided and audited request, not for a standing
 * feed. At each event the question is exact: the policy in force at the
 * event's recorded time, the recording agency, and the attributes of the
 * child's case after the event. Either way only a notification (event id,
 * type, subject id, time) is produced; the receiver fetches the record
 * through the API, where that request is decided and audited in turn.
 *
 * The matching set is loaded once per ingest transaction and carries the
 * union of its type masks, so that an import with no subscriptions pays one
 * query per transaction and one bit test per event.
 */
#include "safekeep/sk_subscription.h"

#include "safekeep/sk_id.h"

#include "sk_int.h"

#define ID_BYTES   8
#define SET_MAX    4096 /* active subscriptions matched per transaction */
#define ATTR_COMBS (1u << SK_ATTR__COUNT)

static_assert(SK_EV__COUNT < 63, "event types and the alert bit fit a 64-bit mask");
static_assert(SK_SUBSCRIPTION_ID_LEN + 1 <= SK_STORE_SUB_FIELD_MAX, "an id fits the store");
static_assert(SK_SUBSCRIPTION_URL_MAX + 1 == SK_STORE_SUB_URL_MAX, "url sizes agree");
static_assert(SK_SUBSCRIPTION_AGENCY_MAX == SK_STORE_SUB_FIELD_MAX, "agency sizes agree");
static_assert(SK_OUTBOX_ID_LEN < SK_STORE_OUTBOX_ID_MAX, "an outbox id fits the store");

static const char *const state_names[] = {"active", "paused", "deleted", NULL};

struct sk_subscription_set {
    sk_subscription *subs;
    size_t count;
    size_t cap;
    uint64_t types;
    int nomem;
    int too_many;
};

const char *sk_subscription_state_name(sk_subscription_state state)
{
    SK_ASSERT((unsigned)state <= SK_SUBSCRIPTION_DELETED);
    return state_names[state];
}

/* One digit of standard base64 (RFC 4648 section 4) of a 6-bit value,
 * computed so that no memory access depends on the secret. */
static char b64_digit(unsigned v)
{
    unsigned c = v + 'A';

    c += ((25u - v) >> 8) & 6u;  /* 26..51: 'a'.. */
    c -= ((51u - v) >> 8) & 75u; /* 52..61: '0'.. */
    c -= ((61u - v) >> 8) & 15u; /* 62: '+' */
    c += ((62u - v) >> 8) & 3u;  /* 63: '/' */
    return (char)c;
}

/* Padded base64 of len bytes into out, NUL-terminated. */
static void b64_encode(const unsigned char *in, size_t len, char *out)
{
    size_t i, o = 0;

    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = b64_digit((v >> 18) & 63u);
        out[o++] = b64_digit((v >> 12) & 63u);
        out[o++] = b64_digit((v >> 6) & 63u);
        out[o++] = b64_digit(v & 63u);
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        out[o++] = b64_digit((v >> 18) & 63u);
        out[o++] = b64_digit((v >> 12) & 63u);
        out[o++] = i + 1 < len ? b64_digit((v >> 6) & 63u) : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
}

static_assert(SK_SUBSCRIPTION_SECRET_LEN == 6 + (SK_SUBSCRIPTION_SECRET_BYTES + 2) / 3 * 4,
              "whsec_ + padded base64");

sk_err sk_subscription_url_check(sk_str url, sk_diag *diag)
{
    size_t i, start, end;

    if (url.ptr == NULL || url.len == 0)
        return sk_diag_set(diag, SK_ERR_INVALID, "url", "an endpoint URL is required");
    if (url.len > SK_SUBSCRIPTION_URL_MAX)
        return sk_diag_set(diag, SK_ERR_INVALID, "url", "the URL is longer than %d characters",
                           SK_SUBSCRIPTION_URL_MAX);
    for (i = 0; i < url.len; i++) {
        unsigned char c = (unsigned char)url.ptr[i];
        if (c <= 0x20 || c == 0x7f)
            return sk_diag_set(diag, SK_ERR_INVALID, "url",
                               "the URL contains whitespace or a control character");
    }
    if (url.len > 8 && strncmp(url.ptr, "https://", 8) == 0)
        start = 8;
    else if (url.len > 7 && strncmp(url.ptr, "http://", 7) == 0)
        start = 7;
    else
        return sk_diag_set(diag, SK_ERR_INVALID, "url",
                           "the URL must start with https:// or "
                           "http://");
    for (end = start; end < url.len; end++) {
        char c = url.ptr[end];
        if (c == '/' || c == '?' || c == '#')
            break;
        if (c == '@')
            return sk_diag_set(diag, SK_ERR_INVALID, "url",
                               "the URL must not carry a user name or password");
    }
    /* The host is the authority without its port; an IPv6 literal is
     * bracketed. A port, when given, is 1 to 5 digits. */
    if (end == start)
        return sk_diag_set(diag, SK_ERR_INVALID, "url", "the URL has no host");
    if (url.ptr[start] == '[') {
        const char *close = memchr(url.ptr + start, ']', end - start);
        if (close == NULL || close == url.ptr + start + 1)
            return sk_diag_set(diag, SK_ERR_INVALID, "url", "the URL has no host");
        i = (size_t)(close - url.ptr) + 1;
    } else {
        for (i = start; i < end && url.ptr[i] != ':'; i++)
            ;
        if (i == start)
            return sk_diag_set(diag, SK_ERR_INVALID, "url", "the URL has no host");
    }
    if (i < end && (url.ptr[i] != ':' || end - i < 2 || end - i > 6))
        return sk_diag_set(diag, SK_ERR_INVALID, "url", "the URL's port is malformed");
    for (i = i + 1; i < end; i++) {
        if (url.ptr[i] < '0' || url.ptr[i] > '9')
            return sk_diag_set(diag, SK_ERR_INVALID, "url", "the URL's port is malformed");
    }
    return SK_OK;
}

sk_err sk_subscription_types_parse(sk_str text, uint64_t *mask, sk_diag *diag)
{
    size_t at = 0, next;
    sk_event_type t;

    SK_ASSERT(mask != NULL);
    *mask = 0;
    while (text.ptr != NULL && at < text.len) {
        for (next = at; next < text.len && text.ptr[next] != ','; next++)
            ;
        sk_str name = {text.ptr + at, next - at};
        if (sk_str_eqc(name, SK_SUBSCRIPTION_ALERT_NAME)) {
            *mask |= SK_SUBSCRIPTION_ALERTS;
            at = next + 1;
            continue;
        }
        if (sk_event_type_parse(name, &t) != SK_OK)
            return sk_diag_set(diag, SK_ERR_INVALID, "types", "unknown event type '%.*s'",
                               (int)(name.len > 40 ? 40 : name.len), name.ptr);
        if (!sk_event_type_is_case(t) || sk_subject_event_entity(t) >= SK_ENTITY__COUNT)
            return sk_diag_set(diag, SK_ERR_INVALID, "types",
                               "%s events belong to no child's case and cannot be subscribed to",
                               sk_event_def_get(t)->name);
        *mask |= 1ull << t;
        at = next + 1;
    }
    if (*mask == 0)
        return sk_diag_set(diag, SK_ERR_INVALID, "types", "at least one event type is required");
    return SK_OK;
}

void sk_subscription_types_format(uint64_t mask, char *buf, size_t buf_len)
{
    size_t o = 0;
    int t, n;

    SK_ASSERT(buf != NULL && buf_len > 0);
    buf[0] = '\0';
    for (t = 0; t < SK_EV__COUNT; t++) {
        if (!(mask & (1ull << t)))
            continue;
        n = snprintf(buf + o, buf_len - o, "%s%s", o ? "," : "",
                     sk_event_def_get((sk_event_type)t)->name);
        if (n < 0 || (size_t)n >= buf_len - o)
            return;
        o += (size_t)n;
    }
    if (mask & SK_SUBSCRIPTION_ALERTS)
        (void)snprintf(buf + o, buf_len - o, "%s%s", o ? "," : "", SK_SUBSCRIPTION_ALERT_NAME);
}

/* Whether some record of type's entity held by provider could be read by
 * agency for purpose at now; *rule gets the agreement that allows it, and
 * *constraint the constraint that forbids an ordinary record, if any. */
static int type_allowed_from(const sk_policy *policy, int agency, int provider, sk_purpose purpose,
                             sk_entity entity, int64_t now, const sk_pol_rule **rule,
                             const sk_pol_rule **constraint)
{
    sk_request req = {agency, -1, SK_ACTION_READ, purpose, entity, 0, provider, 0, now};
    sk_decision d;
    unsigned attrs;

    sk_policy_decide(policy, &req, &d);
    if (!d.permit && d.kind == SK_RULE_CONSTRAINT) {
        *constraint = d.rule;
        return 0;
    }
    for (attrs = 0; attrs < ATTR_COMBS; attrs++) {
        req.attrs = attrs;
        sk_policy_decide(policy, &req, &d);
        if (d.permit && d.kind == SK_RULE_AGREEMENT) {
            *rule = d.rule;
            return 1;
        }
    }
    return 0;
}

/* Checks every type of mask; appends "type=id@version" entries to rules.
 * SK_ERR_DENIED with a readable reason for the first type refused. */
static sk_err check_types(const sk_policy *policy, int agency, sk_purpose purpose, uint64_t mask,
                          int64_t now, char *rules, size_t rules_len, sk_diag *diag)
{
    size_t providers = sk_policy_agency_count(policy), o = 0, p;
    const sk_pol_rule *rule, *constraint;
    int t, n;

    rules[0] = '\0';
    for (t = 0; t < SK_EV__COUNT; t++) {
        if (!(mask & (1ull << t)))
            continue;
        sk_entity entity = sk_subject_event_entity((sk_event_type)t);
        const char *name = sk_event_def_get((sk_event_type)t)->name;
        rule = NULL;
        constraint = NULL;
        for (p = 0; p < providers && rule == NULL; p++)
            (void)type_allowed_from(policy, agency, (int)p, purpose, entity, now, &rule,
                                    &constraint);
        if (rule == NULL && constraint != NULL)
            return sk_diag_set(diag, SK_ERR_DENIED, "types", "%s: denied by %s: %s", name,
                               constraint->id, constraint->reason);
        if (rule == NULL)
            return sk_diag_set(diag, SK_ERR_DENIED, "types",
                               "%s: no agreement in force lets %s read %s records for %s", name,
                               sk_policy_agency_at(policy, (size_t)agency)->id,
                               sk_entity_names[entity], sk_purpose_names[purpose]);
        n = snprintf(rules + o, rules_len - o, "%s%s=%s@%u", o ? "," : "", name, rule->id,
                     rule->version);
        if (n < 0 || (size_t)n >= rules_len - o)
            return sk_diag_set(diag, SK_ERR_TOO_LARGE, "types", "too many event types");
        o += (size_t)n;
    }
    /* An agency receives only the alerts it owns: the deadline rule that
     * makes it the owner is the authority, so no agreement is needed. */
    if ((mask & SK_SUBSCRIPTION_ALERTS) &&
        snprintf(rules + o, rules_len - o, "%salert=owner", o ? "," : "") >= (int)(rules_len - o))
        return sk_diag_set(diag, SK_ERR_TOO_LARGE, "types", "too many event types");
    return SK_OK;
}

/* Converts a stored row; 0 when it names an unknown purpose, type or state. */
static int from_store(const sk_store_subscription *row, sk_subscription *out)
{
    int purpose = sk_policy_lookup(sk_purpose_names, sk_str_c(row->purpose));
    int state = sk_policy_lookup(state_names, sk_str_c(row->state));

    memset(out, 0, sizeof(*out));
    if (purpose < 0 || state < 0 || strlen(row->id) > SK_SUBSCRIPTION_ID_LEN ||
        sk_subscription_types_parse(sk_str_c(row->types), &out->types, NULL) != SK_OK)
        return 0;
    memcpy(out->id, row->id, strlen(row->id) + 1);
    memcpy(out->agency, row->agency, sizeof(out->agency));
    memcpy(out->created_by, row->created_by, sizeof(out->created_by));
    memcpy(out->url, row->url, sizeof(out->url));
    memcpy(out->rules, row->rules, sizeof(out->rules));
    out->purpose = (sk_purpose)purpose;
    out->state = (sk_subscription_state)state;
    out->created_at = row->created_at;
    out->updated_at = row->updated_at;
    return 1;
}

/* Checks the arguments of a creation that do not need the policy's rules. */
static sk_err check_create_args(const sk_policy *policy, sk_str agency, sk_purpose purpose,
                                uint64_t types, sk_str url, sk_str created_by, sk_diag *diag)
{
    sk_err rc = sk_subscription_url_check(url, diag);

    if (rc != SK_OK)
        return rc;
    if (!sk_id_valid(agency, SK_SUBSCRIPTION_AGENCY_MAX - 1) ||
        sk_policy_agency(policy, agency) < 0)
        return sk_diag_set(diag, SK_ERR_INVALID, "agency", "not an agency of the adopted policy");
    if (!sk_id_valid(created_by, SK_SUBSCRIPTION_AGENCY_MAX - 1))
        return sk_diag_set(diag, SK_ERR_INVALID, "created_by",
                           "expected 1 to 63 of A-Z a-z 0-9 . _ : -");
    if ((unsigned)purpose >= SK_PURPOSE__COUNT)
        return sk_diag_set(diag, SK_ERR_INVALID, "purpose", "unknown purpose");
    if (purpose == SK_PURPOSE_EMERGENCY)
        return sk_diag_set(diag, SK_ERR_DENIED, "purpose",
                           "emergency access is for one reviewed request, not a subscription");
    if (types == 0 || ((types & ~SK_SUBSCRIPTION_ALERTS) >> SK_EV__COUNT) != 0)
        return sk_diag_set(diag, SK_ERR_INVALID, "types", "at least one event type is required");
    return SK_OK;
}

/* Draws the id and the secret, and seals the secret under the id. */
static sk_err new_identity(sk_keyring *keyring, sk_store_subscription *row,
                           char secret_out[SK_SUBSCRIPTION_SECRET_LEN + 1])
{
    unsigned char id_bytes[ID_BYTES], secret[SK_SUBSCRIPTION_SECRET_BYTES];
    sk_err rc;

    sk_random_bytes(id_bytes, sizeof(id_bytes));
    memcpy(row->id, SK_SUBSCRIPTION_PREFIX, 4);
    sk_hex_encode(id_bytes, sizeof(id_bytes), row->id + 4);
    sk_random_bytes(secret, sizeof(secret));
    memcpy(secret_out, "whsec_", 6);
    b64_encode(secret, sizeof(secret), secret_out + 6);
    row->secret_sealed_len = sk_seal_len(sizeof(secret));
    SK_ASSERT(row->secret_sealed_len <= sizeof(row->secret_sealed));
    rc = sk_seal(keyring, (sk_str){(const char *)secret, sizeof(secret)}, sk_str_c(row->id),
                 row->secret_sealed);
    sk_wipe(secret, sizeof(secret));
    return rc;
}

sk_err sk_subscription_create(sk_store *store, sk_keyring *keyring, const sk_policy *policy,
                              sk_str agency, sk_purpose purpose, uint64_t types, sk_str url,
                              sk_str created_by, int64_t now,
                              char secret_out[SK_SUBSCRIPTION_SECRET_LEN + 1], sk_subscription *out,
                              sk_diag *diag)
{
    sk_store_subscription *row = NULL;
    sk_err rc;

    SK_ASSERT(store != NULL && keyring != NULL && policy != NULL);
    SK_ASSERT(secret_out != NULL && out != NULL);
    secret_out[0] = '\0';
    memset(out, 0, sizeof(*out));
    rc = check_create_args(policy, agency, purpose, types, url, created_by, diag);
    if (rc != SK_OK)
        return rc;
    row = calloc(1, sizeof(*row));
    if (row == NULL)
        return SK_ERR_NOMEM;
    rc = check_types(policy, sk_policy_agency(policy, agency), purpose, types, now, row->rules,
                     sizeof(row->rules), diag);
    if (rc != SK_OK)
        goto out;
    memcpy(row->agency, agency.ptr, agency.len);
    memcpy(row->created_by, created_by.ptr, created_by.len);
    memcpy(row->url, url.ptr, url.len);
    snprintf(row->purpose, sizeof(row->purpose), "%s", sk_purpose_names[purpose]);
    snprintf(row->state, sizeof(row->state), "%s", state_names[SK_SUBSCRIPTION_ACTIVE]);
    sk_subscription_types_format(types, row->types, sizeof(row->types));
    row->created_at = now;
    row->updated_at = now;
    rc = new_identity(keyring, row, secret_out);
    if (rc == SK_OK)
        rc = sk_store_subscription_put(store, row, diag);
    if (rc == SK_OK && !from_store(row, out))
        rc = sk_diag_set(diag, SK_ERR_STORE, "subscriptions", "a subscription is malformed");
out:
    if (rc != SK_OK)
        sk_wipe(secret_out, SK_SUBSCRIPTION_SECRET_LEN + 1);
    if (rc != SK_OK)
        memset(out, 0, sizeof(*out));
    sk_wipe(row, sizeof(*row));
    free(row);
    return rc;
}

sk_err sk_subscription_get(sk_store *store, sk_str id, sk_subscription *out, sk_diag *diag)
{
    sk_store_subscription *row;
    sk_err rc;

    SK_ASSERT(store != NULL && out != NULL);
    row = malloc(sizeof(*row));
    if (row == NULL)
        return SK_ERR_NOMEM;
    rc = sk_store_subscription_get(store, id, row, diag);
    if (rc == SK_ERR_NOT_FOUND)
        rc = sk_diag_set(diag, SK_ERR_NOT_FOUND, "id", "no such subscription");
    if (rc == SK_OK && !from_store(row, out))
        rc = sk_diag_set(diag, SK_ERR_STORE, "subscriptions", "a subscription is malformed");
    free(row);
    return rc;
}

typedef struct list_ctx {
    sk_subscription_cb cb;
    void *ctx;
    sk_subscription sub;
    int bad;
} list_ctx;

static int list_one(const sk_store_subscription *row, void *vctx)
{
    list_ctx *lc = vctx;

    if (!from_store(row, &lc->sub)) {
        lc->bad = 1;
        return 1;
    }
    return lc->cb(&lc->sub, lc->ctx);
}

sk_err sk_subscription_list(sk_store *store, sk_str agency, sk_subscription_cb cb, void *ctx,
                            sk_diag *diag)
{
    list_ctx *lc;
    sk_err rc;

    SK_ASSERT(store != NULL && cb != NULL);
    lc = calloc(1, sizeof(*lc));
    if (lc == NULL)
        return SK_ERR_NOMEM;
    lc->cb = cb;
    lc->ctx = ctx;
    rc = sk_store_subscription_list(store, agency, list_one, lc, diag);
    if (rc == SK_OK && lc->bad)
        rc = sk_diag_set(diag, SK_ERR_STORE, "subscriptions", "a subscription is malformed");
    free(lc);
    return rc;
}

static sk_err set_state(sk_store *store, sk_str id, const char *from, sk_subscription_state to,
                        int64_t now, sk_diag *diag)
{
    sk_err rc = sk_store_subscription_set_state(store, id, from, state_names[to], now, diag);

    if (rc == SK_ERR_NOT_FOUND)
        rc = sk_diag_set(diag, SK_ERR_NOT_FOUND, "id", "no such subscription");
    return rc;
}

sk_err sk_subscription_pause(sk_store *store, sk_str id, int64_t now, sk_diag *diag)
{
    return set_state(store, id, "active", SK_SUBSCRIPTION_PAUSED, now, diag);
}

sk_err sk_subscription_resume(sk_store *store, sk_str id, int64_t now, sk_diag *diag)
{
    return set_state(store, id, "paused", SK_SUBSCRIPTION_ACTIVE, now, diag);
}

sk_err sk_subscription_delete(sk_store *store, sk_str id, int64_t now, sk_diag *diag)
{
    return set_state(store, id, "active,paused", SK_SUBSCRIPTION_DELETED, now, diag);
}

sk_err sk_subscription_secret(sk_store *store, const sk_keyring *keyring, sk_str id,
                              unsigned char out[SK_SUBSCRIPTION_SECRET_BYTES], sk_diag *diag)
{
    sk_store_subscription *row;
    sk_err rc;

    SK_ASSERT(store != NULL && keyring != NULL && out != NULL);
    row = malloc(sizeof(*row));
    if (row == NULL)
        return SK_ERR_NOMEM;
    rc = sk_store_subscription_get(store, id, row, diag);
    if (rc == SK_OK && row->secret_sealed_len != sk_seal_len(SK_SUBSCRIPTION_SECRET_BYTES))
        rc = SK_ERR_CRYPTO;
    if (rc == SK_OK)
        rc = sk_unseal(keyring, row->secret_sealed, row->secret_sealed_len, sk_str_c(row->id), out);
    if (rc != SK_OK)
        sk_wipe(out, SK_SUBSCRIPTION_SECRET_BYTES);
    free(row);
    return rc;
}

/* ---- Matching ---- */

static int set_add(const sk_subscription *sub, void *vctx)
{
    sk_subscription_set *set = vctx;

    if (sub->state != SK_SUBSCRIPTION_ACTIVE)
        return 0;
    if (set->count == SET_MAX) {
        set->too_many = 1; /* refused rather than some subscribers silently skipped */
        return 1;
    }
    if (set->count == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 8;
        sk_subscription *grown = realloc(set->subs, cap * sizeof(*grown));
        if (grown == NULL) {
            set->nomem = 1;
            return 1;
        }
        set->subs = grown;
        set->cap = cap;
    }
    set->subs[set->count++] = *sub;
    set->types |= sub->types;
    return 0;
}

sk_err sk_subscription_set_load(sk_store *store, sk_subscription_set **out, sk_diag *diag)
{
    sk_subscription_set *set;
    sk_err rc;

    SK_ASSERT(store != NULL && out != NULL);
    *out = NULL;
    set = calloc(1, sizeof(*set));
    if (set == NULL)
        return SK_ERR_NOMEM;
    /* The array grows on the first active subscription only: most databases
     * have none, and an import then allocates nothing more. */
    rc = sk_subscription_list(store, (sk_str){NULL, 0}, set_add, set, diag);
    if (rc == SK_OK && set->nomem)
        rc = SK_ERR_NOMEM;
    if (rc == SK_OK && set->too_many)
        rc = sk_diag_set(diag, SK_ERR_TOO_LARGE, "subscriptions",
                         "more than %d active subscriptions", SET_MAX);
    if (rc != SK_OK) {
        sk_subscription_set_free(set);
        return rc;
    }
    *out = set;
    return SK_OK;
}

void sk_subscription_set_free(sk_subscription_set *set)
{
    if (set == NULL)
        return;
    free(set->subs);
    free(set);
}

size_t sk_subscription_set_count(const sk_subscription_set *set)
{
    SK_ASSERT(set != NULL);
    return set->count;
}

const sk_subscription *sk_subscription_set_at(const sk_subscription_set *set, size_t i)
{
    SK_ASSERT(set != NULL && i < set->count);
    return &set->subs[i];
}

uint64_t sk_subscription_set_types(const sk_subscription_set *set)
{
    SK_ASSERT(set != NULL);
    return set->types;
}

size_t sk_subscription_match(const sk_subscription_set *set, const sk_policy *policy,
                             const sk_event *ev, const sk_subject *subject, sk_subscription_cb cb,
                             void *ctx)
{
    sk_request req;
    sk_decision d;
    size_t i, n = 0;

    SK_ASSERT(set != NULL && policy != NULL && ev != NULL && cb != NULL);
    SK_ASSERT((unsigned)ev->type < SK_EV__COUNT);
    if (!(set->types & (1ull << ev->type)) || !sk_event_type_is_case(ev->type))
        return 0;
    memset(&req, 0, sizeof(req));
    req.role = -1;
    req.action = SK_ACTION_READ;
    req.entity = sk_subject_event_entity(ev->type);
    req.record_agency = sk_policy_agency(policy, ev->agency);
    req.at = ev->recorded_at;
    if (req.entity >= SK_ENTITY__COUNT)
        return 0;
    for (i = 0; i < set->count; i++) {
        const sk_subscription *sub = &set->subs[i];
        if (!(sub->types & (1ull << ev->type)))
            continue;
        req.agency = sk_policy_agency(policy, sk_str_c(sub->agency));
        if (req.agency < 0)
            continue; /* an agency the policy no longer defines gets nothing */
        req.purpose = sub->purpose;
        req.attrs =
            subject != NULL ? sk_subject_attrs(subject, req.entity, sk_str_c(sub->agency)) : 0;
        sk_policy_decide(policy, &req, &d);
        if (!d.permit || d.kind == SK_RULE_BREAK_GLASS)
            continue;
        n++;
        if (cb(sub, ctx) != 0)
            break;
    }
    return n;
}

void sk_outbox_id(sk_str event_id, sk_str sub_id, char out[SK_OUTBOX_ID_LEN + 1])
{
    unsigned char buf[2 * SK_STORE_SUB_FIELD_MAX + 1], hash[16];
    size_t e = event_id.len < SK_STORE_SUB_FIELD_MAX ? event_id.len : SK_STORE_SUB_FIELD_MAX;
    size_t s = sub_id.len < SK_STORE_SUB_FIELD_MAX ? sub_id.len : SK_STORE_SUB_FIELD_MAX;

    /* A separator that no id contains keeps ("ab","c") and ("a","bc") apart. */
    memcpy(buf, event_id.ptr, e);
    buf[e] = '\n';
    memcpy(buf + e + 1, sub_id.ptr, s);
    sk_hash((sk_str){(const char *)buf, e + 1 + s}, hash, sizeof(hash));
    memcpy(out, "msg_", 4);
    sk_hex_encode(hash, sizeof(hash), out + 4);
}

typedef struct enqueue_ctx {
    sk_store *store;
    const sk_event *ev;
    int64_t now;
    sk_diag *diag;
    sk_err rc;
} enqueue_ctx;

static int enqueue_one(const sk_subscription *sub, void *vctx)
{
    enqueue_ctx *ec = vctx;
    const sk_event *ev = ec->ev;
    sk_store_outbox row;

    memset(&row, 0, sizeof(row));
    sk_outbox_id(sk_str_c(ev->id), sk_str_c(sub->id), row.id);
    snprintf(row.subscription_id, sizeof(row.subscription_id), "%s", sub->id);
    snprintf(row.event_id, sizeof(row.event_id), "%s", ev->id);
    snprintf(row.type, sizeof(row.type), "%s", sk_event_def_get(ev->type)->name);
    snprintf(row.subject, sizeof(row.subject), "%.*s", (int)ev->subjects[0].len,
             ev->subjects[0].ptr);
    snprintf(row.state, sizeof(row.state), "pending");
    row.occurred_at = ev->occurred_at;
    row.created_at = ec->now;
    row.next_attempt_at = ec->now;
    ec->rc = sk_store_outbox_put(ec->store, &row, ec->diag);
    return ec->rc != SK_OK;
}

sk_err sk_subscription_enqueue(sk_store *store, const sk_subscription_set *set,
                               const sk_policy *policy, const sk_event *ev,
                               const sk_subject *subject, int64_t now, sk_diag *diag)
{
    enqueue_ctx ec = {store, ev, now, diag, SK_OK};

    SK_ASSERT(store != NULL);
    (void)sk_subscription_match(set, policy, ev, subject, enqueue_one, &ec);
    return ec.rc;
}

sk_err sk_subscription_enqueue_alert(sk_store *store, const sk_subscription_set *set,
                                     const sk_alert *alert, int64_t now, size_t *added,
                                     sk_diag *diag)
{
    sk_store_outbox row;
    size_t i;
    int inserted;
    sk_err rc = SK_OK;

    SK_ASSERT(store != NULL && set != NULL && alert != NULL);
    if (added != NULL)
        *added = 0;
    if (alert->state != SK_ALERT_OPEN || !(set->types & SK_SUBSCRIPTION_ALERTS))
        return SK_OK;
    static_assert(SK_ALERT_ID_MAX < SK_STORE_OUTBOX_ALERT_MAX, "an alert id fits the outbox");
    for (i = 0; i < set->count && rc == SK_OK; i++) {
        const sk_subscription *sub = &set->subs[i];
        if (!(sub->types & SK_SUBSCRIPTION_ALERTS) || strcmp(sub->agency, alert->owner) != 0)
            continue;
        memset(&row, 0, sizeof(row));
        sk_outbox_id(sk_str_c(alert->id), sk_str_c(sub->id), row.id);
        snprintf(row.subscription_id, sizeof(row.subscription_id), "%s", sub->id);
        snprintf(row.event_id, sizeof(row.event_id), "%s", alert->anchor_id);
        snprintf(row.type, sizeof(row.type), SK_OUTBOX_ALERT_PREFIX "%s",
                 sk_deadline_rule_get(alert->rule)->name);
        snprintf(row.subject, sizeof(row.subject), "%s", alert->child);
        snprintf(row.state, sizeof(row.state), "pending");
        snprintf(row.alert_id, sizeof(row.alert_id), "%s", alert->id);
        row.occurred_at = alert->due_at;
        row.created_at = now;
        row.next_attempt_at = now;
        rc = sk_store_outbox_offer(store, &row, &inserted, diag);
        if (rc == SK_OK && inserted && added != NULL)
            (*added)++;
    }
    return rc;
}
