/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_tracking.c: the tracking report (sk_tracking.h) on hand-built ledgers.
 *
 * Each test ingests a few children whose events sit on one edge of a
 * category: two missed hearings (one child, counted once), a release exactly
 * N days before the report's date and one second later, a blank and an
 * undeliverable address, a child reached on the last call, a child in every
 * category at once, events after the report's date, a release replaced by a
 * later discharge; and the report's JSON. SAFEKEEP_KEY and SAFEKEEP_NOW are
 * pinned so that ingest accepts the dates used here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safekeep/sk_ingest.h"
#include "safekeep/sk_time.h"
#include "safekeep/sk_tracking.h"

#include "test_lines.h"

#define TEST_KEY "8f6c2b1a0e9d7c5b3a29181706f5e4d3c2b1a09f8e7d6c5b4a39281716051423"
#define AT       "2024-12-01T00:00:00Z" /* the report's date in most tests */

typedef struct fixture {
    char dir[64];
    char db[128];
    sk_store *store;
    sk_keyring *keys;
    sk_ingest *ing;
    sk_arena *arena;
} fixture;

/* One JSON event line of a child. */
#define EV(child, id, type, when, payload)                                                         \
    "{\"id\":\"" child "-" id "\",\"type\":\"" type "\",\"occurred_at\":\"" when                   \
    "\",\"agency\":\"ORR\",\"user\":\"cm.1\",\"subjects\":[\"" child "\"],\"payload\":{" payload   \
    "}}"

#define APPR(c)                                                                                    \
    EV(c, "appr", "apprehension", "2024-01-01T10:00:00Z",                                          \
       "\"given_name\":\"A\",\"family_name\":\"B\",\"country_of_birth\":\"GT\"")
#define REF(c) EV(c, "ref", "referral", "2024-01-02T10:00:00Z", "")
#define ADM(c)                                                                                     \
    EV(c, "adm", "admission", "2024-01-03T10:00:00Z",                                              \
       "\"facility_id\":\"F1\",\"placement_type\":\"shelter\"")
#define NTA(c, at) EV(c, "nta-" at, "nta_filed", at, "\"court_id\":\"EOIR-HOU\"")
#define SCHED(c, h, at)                                                                            \
    EV(c, "sched-" h, "hearing_scheduled", at,                                                     \
       "\"hearing_id\":\"" c "-" h "\",\"court_id\":\"EOIR-HOU\",\"scheduled_for\":\"" at "\"")
#define OUTCOME(c, h, at, outcome)                                                                 \
    EV(c, "out-" h, "hearing_outcome", at,                                                         \
       "\"hearing_id\":\"" c "-" h "\",\"outcome\":\"" outcome "\"")
/* A release to a sponsor with a verified address. */
#define RELEASE(c, at)                                                                             \
    EV(c, "dis-" at, "discharge", at,                                                              \
       "\"discharge_type\":\"released_to_sponsor\",\"sponsor_id\":\"S-" c "\","                    \
       "\"address\":\"1 Main St, Houston TX\",\"address_status\":\"verified\"")
#define RELEASE_BLANK(c, at)                                                                       \
    EV(c, "dis-" at, "discharge", at,                                                              \
       "\"discharge_type\":\"released_to_sponsor\",\"sponsor_id\":\"S-" c "\"")
#define RELEASE_UNDELIVERABLE(c, at)                                                               \
    EV(c, "dis-" at, "discharge", at,                                                              \
       "\"discharge_type\":\"released_to_sponsor\",\"sponsor_id\":\"S-" c "\","                    \
       "\"address\":\"1 Main St, Houston TX\",\"address_status\":\"undeliverable\"")
#define DISCHARGE(c, at, type) EV(c, "dis-" at, "discharge", at, "\"discharge_type\":\"" type "\"")
#define CALL(c, n, at, reached)                                                                    \
    EV(c, "call-" n, "wellness_call", at, "\"reached\":" reached ",\"attempt\":" n)

/* ----------------------------------------------------------------- fixture */

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || setenv("SAFEKEEP_KEY", TEST_KEY, 1) != 0 ||
        setenv("SAFEKEEP_NOW", "2025-01-01T00:00:00Z", 1) != 0)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/sk_test_tracking_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->db, sizeof(f->db), "%s/t.db", f->dir);
    if (sk_keyring_open("/nonexistent", &f->keys, NULL) != SK_OK ||
        sk_store_open(f->db, 1, &f->store, NULL) != SK_OK ||
        sk_ingest_new(f->store, f->keys, &f->ing) != SK_OK ||
        sk_arena_new(64 * 1024, 4 * 1024 * 1024, &f->arena) != SK_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char path[200];
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    size_t i;

    sk_ingest_free(f->ing);
    sk_store_close(f->store);
    sk_keyring_free(f->keys);
    sk_arena_free(f->arena);
    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", f->db, suffixes[i]);
        (void)unlink(path);
    }
    if (rmdir(f->dir) != 0)
        return -1;
    free(f);
    return 0;
}

static void ingest_lines(fixture *f, const char *const *lines, size_t n)
{
    sk_test_ingest_lines(f->ing, f->arena, lines, n);
}

#define INGEST(f, ...)                                                                             \
    do {                                                                                           \
        static const char *const lines_[] = {__VA_ARGS__};                                         \
        ingest_lines((f), lines_, sizeof(lines_) / sizeof(lines_[0]));                             \
    } while (0)

static int64_t at_of(const char *rfc3339)
{
    int64_t t = 0;

    assert_int_equal(sk_time_parse_rfc3339(sk_str_c(rfc3339), &t), SK_OK);
    return t;
}

static sk_tracking_counts report(fixture *f, const char *at, uint32_t nta_days)
{
    sk_tracking_opts opts;
    sk_tracking_counts out;
    sk_diag diag;

    memset(&out, 0xa5, sizeof(out));
    sk_tracking_opts_init(&opts);
    opts.at = at_of(at);
    opts.nta_days = nta_days;
    sk_diag_clear(&diag);
    if (sk_tracking_compute(f->store, &opts, &out, &diag) != SK_OK)
        fail_msg("compute: %s: %s", diag.field, diag.msg);
    assert_int_equal(out.at, opts.at);
    assert_int_equal(out.nta_days, nta_days);
    return out;
}

/* ------------------------------------------------------------------- tests */

static void test_names_and_populations(void **state)
{
    sk_tracking_opts opts;

    (void)state;
    assert_string_equal(sk_tracking_name(SK_TRACK_MISSED_HEARING), "missed_hearing");
    assert_string_equal(sk_tracking_name(SK_TRACK_IN_ABSENTIA), "in_absentia_order");
    assert_string_equal(sk_tracking_name(SK_TRACK_WITHOUT_NTA), "without_nta_after_days");
    assert_string_equal(sk_tracking_name(SK_TRACK_ADDRESS_BLANK), "address_blank");
    assert_string_equal(sk_tracking_name(SK_TRACK_ADDRESS_UNDELIVERABLE), "address_undeliverable");
    assert_string_equal(sk_tracking_name(SK_TRACK_UNREACHED), "unreached_after_release");
    assert_false(sk_tracking_of_released(SK_TRACK_MISSED_HEARING));
    assert_false(sk_tracking_of_released(SK_TRACK_IN_ABSENTIA));
    assert_true(sk_tracking_of_released(SK_TRACK_WITHOUT_NTA));
    assert_true(sk_tracking_of_released(SK_TRACK_UNREACHED));
    sk_tracking_opts_init(&opts);
    assert_int_equal(opts.at, 0);
    assert_int_equal(opts.nta_days, SK_TRACKING_NTA_DAYS_DEFAULT);
}

static void test_empty_ledger(void **state)
{
    fixture *f = *state;
    sk_tracking_counts r = report(f, AT, 90);
    size_t i;

    assert_int_equal(r.children, 0);
    assert_int_equal(r.released, 0);
    for (i = 0; i < SK_TRACK__COUNT; i++)
        assert_int_equal(r.count[i], 0);
}

static void test_bad_options(void **state)
{
    fixture *f = *state;
    sk_tracking_opts opts;
    sk_tracking_counts out;
    sk_diag diag;

    sk_tracking_opts_init(&opts);
    opts.nta_days = SK_TRACKING_NTA_DAYS_MAX + 1;
    assert_int_equal(sk_tracking_compute(f->store, &opts, &out, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "nta_days");
    opts.nta_days = SK_TRACKING_NTA_DAYS_MAX;
    opts.at = -1;
    assert_int_equal(sk_tracking_compute(f->store, &opts, &out, &diag), SK_ERR_INVALID);
    assert_string_equal(diag.field, "at");
}

/* Two failures to appear are one child; an in-absentia order is also a
 * missed hearing; attended and continued are not. */
static void test_missed_hearings_count_children(void **state)
{
    fixture *f = *state;
    sk_tracking_counts r;

    INGEST(f, APPR("M1"), NTA("M1", "2024-02-01T10:00:00Z"),
           SCHED("M1", "h1", "2024-04-01T14:00:00Z"),
           OUTCOME("M1", "h1", "2024-04-01T16:00:00Z", "failed_to_appear"),
           SCHED("M1", "h2", "2024-06-01T14:00:00Z"),
           OUTCOME("M1", "h2", "2024-06-01T16:00:00Z", "failed_to_appear"), APPR("M2"),
           NTA("M2", "2024-02-01T10:00:00Z"), SCHED("M2", "h1", "2024-04-01T14:00:00Z"),
           OUTCOME("M2", "h1", "2024-04-01T16:00:00Z", "in_absentia_order"), APPR("M3"),
           NTA("M3", "2024-02-01T10:00:00Z"), SCHED("M3", "h1", "2024-04-01T14:00:00Z"),
           OUTCOME("M3", "h1", "2024-04-01T16:00:00Z", "attended"),
           SCHED("M3", "h2", "2024-06-01T14:00:00Z"),
           OUTCOME("M3", "h2", "2024-06-01T16:00:00Z", "continued"));
    r = report(f, AT, 90);
    assert_int_equal(r.children, 3);
    assert_int_equal(r.released, 0);
    assert_int_equal(r.count[SK_TRACK_MISSED_HEARING], 2);
    assert_int_equal(r.count[SK_TRACK_IN_ABSENTIA], 1);
    assert_int_equal(r.count[SK_TRACK_WITHOUT_NTA], 0);
    /* As of the day before M1's first failure, nobody had missed a hearing. */
    r = report(f, "2024-04-01T15:59:59Z", 90);
    assert_int_equal(r.count[SK_TRACK_MISSED_HEARING], 0);
}

/* Released exactly N days before the date counts; one second later does not. */
static void test_without_nta_boundary(void **state)
{
    fixture *f = *state;
    sk_tracking_counts r;

    INGEST(f, APPR("N1"), REF("N1"), ADM("N1"), RELEASE("N1", "2024-09-02T00:00:00Z"), APPR("N2"),
           REF("N2"), ADM("N2"), RELEASE("N2", "2024-09-02T00:00:01Z"), APPR("N3"), REF("N3"),
           ADM("N3"), RELEASE("N3", "2024-03-01T00:00:00Z"), NTA("N3", "2024-06-01T00:00:00Z"),
           APPR("N4"), REF("N4"), ADM("N4"), RELEASE("N4", "2024-03-01T00:00:00Z"),
           NTA("N4", "2024-12-15T00:00:00Z"));
    r = report(f, AT, 90);
    assert_int_equal(r.children, 4);
    assert_int_equal(r.released, 4);
    /* N1 (exactly 90 days) and N4 (its notice comes after the date). */
    assert_int_equal(r.count[SK_TRACK_WITHOUT_NTA], 2);
    r = report(f, "2024-12-01T00:00:01Z", 90);
    assert_int_equal(r.count[SK_TRACK_WITHOUT_NTA], 3);
    r = report(f, "2024-12-31T00:00:00Z", 90);
    assert_int_equal(r.count[SK_TRACK_WITHOUT_NTA], 2); /* N4's notice is on file now */
    r = report(f, AT, 0);
    assert_int_equal(r.count[SK_TRACK_WITHOUT_NTA], 3);
    r = report(f, AT, 1000);
    assert_int_equal(r.count[SK_TRACK_WITHOUT_NTA], 0);
}

/* Blank (no address at all) and undeliverable are separate; verified is neither. */
static void test_blank_and_undeliverable(void **state)
{
    fixture *f = *state;
    sk_tracking_counts r;

    INGEST(f, APPR("A1"), REF("A1"), ADM("A1"), RELEASE_BLANK("A1", "2024-05-01T10:00:00Z"),
           APPR("A2"), REF("A2"), ADM("A2"), RELEASE_UNDELIVERABLE("A2", "2024-05-01T10:00:00Z"),
           APPR("A3"), REF("A3"), ADM("A3"), RELEASE("A3", "2024-05-01T10:00:00Z"), APPR("A4"),
           REF("A4"), ADM("A4"), DISCHARGE("A4", "2024-05-01T10:00:00Z", "aged_out"));
    r = report(f, AT, 90);
    assert_int_equal(r.children, 4);
    assert_int_equal(r.released, 3);
    assert_int_equal(r.count[SK_TRACK_ADDRESS_BLANK], 1);
    assert_int_equal(r.count[SK_TRACK_ADDRESS_UNDELIVERABLE], 1);
    /* Before the releases, nobody is released. */
    r = report(f, "2024-05-01T09:59:59Z", 90);
    assert_int_equal(r.released, 0);
    assert_int_equal(r.count[SK_TRACK_ADDRESS_BLANK], 0);
    assert_int_equal(r.count[SK_TRACK_ADDRESS_UNDELIVERABLE], 0);
}

/* Reached on the last call is reached; two misses are unreached; no call yet
 * is not unreached. */
static void test_unreached(void **state)
{
    fixture *f = *state;
    sk_tracking_counts r;

    INGEST(f, APPR("W1"), REF("W1"), ADM("W1"), RELEASE("W1", "2024-05-01T10:00:00Z"),
           CALL("W1", "1", "2024-06-01T15:00:00Z", "false"),
           CALL("W1", "2", "2024-06-05T15:00:00Z", "true"), APPR("W2"), REF("W2"), ADM("W2"),
           RELEASE("W2", "2024-05-01T10:00:00Z"), CALL("W2", "1", "2024-06-01T15:00:00Z", "false"),
           CALL("W2", "2", "2024-06-05T15:00:00Z", "false"), APPR("W3"), REF("W3"), ADM("W3"),
           RELEASE("W3", "2024-05-01T10:00:00Z"));
    r = report(f, AT, 90);
    assert_int_equal(r.released, 3);
    assert_int_equal(r.count[SK_TRACK_UNREACHED], 1);
    /* Between W1's two calls, W1 was unreached too. */
    r = report(f, "2024-06-03T00:00:00Z", 90);
    assert_int_equal(r.count[SK_TRACK_UNREACHED], 2);
}

/* One child in every category counts in each; categories are not merged. */
static void test_categories_independent(void **state)
{
    fixture *f = *state;
    sk_tracking_counts r;
    size_t i;

    INGEST(f, APPR("X1"), REF("X1"), ADM("X1"), RELEASE_BLANK("X1", "2024-02-01T10:00:00Z"),
           CALL("X1", "1", "2024-03-01T15:00:00Z", "false"),
           SCHED("X1", "h1", "2024-04-01T14:00:00Z"),
           OUTCOME("X1", "h1", "2024-04-01T16:00:00Z", "in_absentia_order"), APPR("X2"), REF("X2"),
           ADM("X2"), RELEASE_UNDELIVERABLE("X2", "2024-02-01T10:00:00Z"));
    r = report(f, AT, 90);
    assert_int_equal(r.children, 2);
    assert_int_equal(r.released, 2);
    assert_int_equal(r.count[SK_TRACK_MISSED_HEARING], 1);
    assert_int_equal(r.count[SK_TRACK_IN_ABSENTIA], 1);
    assert_int_equal(r.count[SK_TRACK_WITHOUT_NTA], 2);
    assert_int_equal(r.count[SK_TRACK_ADDRESS_BLANK], 1);
    assert_int_equal(r.count[SK_TRACK_ADDRESS_UNDELIVERABLE], 1);
    assert_int_equal(r.count[SK_TRACK_UNREACHED], 1);
    for (i = 0; i < SK_TRACK__COUNT; i++)
        assert_true(r.count[i] <=
                    (sk_tracking_of_released((sk_tracking_category)i) ? r.released : r.children));
}

/* The last discharge stands: a release replaced by a removal is no release.
 * A child whose every event comes after the date is not counted at all. */
static void test_last_discharge_and_date(void **state)
{
    fixture *f = *state;
    sk_tracking_counts r;

    INGEST(f, APPR("D1"), REF("D1"), ADM("D1"), RELEASE_BLANK("D1", "2024-02-01T10:00:00Z"),
           DISCHARGE("D1", "2024-03-01T10:00:00Z", "removal"),
           EV("D2", "appr", "apprehension", "2024-12-20T10:00:00Z",
              "\"given_name\":\"C\",\"family_name\":\"D\",\"country_of_birth\":\"HN\""));
    r = report(f, AT, 90);
    assert_int_equal(r.children, 1);
    assert_int_equal(r.released, 0);
    assert_int_equal(r.count[SK_TRACK_ADDRESS_BLANK], 0);
    assert_int_equal(r.count[SK_TRACK_WITHOUT_NTA], 0);
    r = report(f, "2024-02-15T00:00:00Z", 0);
    assert_int_equal(r.released, 1);
    assert_int_equal(r.count[SK_TRACK_ADDRESS_BLANK], 1);
    assert_int_equal(r.count[SK_TRACK_WITHOUT_NTA], 1);
    r = report(f, "2024-12-31T00:00:00Z", 90);
    assert_int_equal(r.children, 2);
}

/* The JSON shape shared by the CLI and the HTTP route, byte for byte, and
 * a buffer too small for it. */
static void test_json(void **state)
{
    sk_tracking_counts c;
    sk_buf buf;
    size_t i;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(sk_time_parse_rfc3339(sk_str_c("2025-12-31T23:59:59Z"), &c.at), SK_OK);
    c.nta_days = 90;
    c.children = 207;
    c.released = 175;
    for (i = 0; i < SK_TRACK__COUNT; i++)
        c.count[i] = i + 1;
    memcpy(c.child_welfare_agency, "ORR", 4);
    c.told[0].notified = 1;
    c.told[0].by_webhook = 1;
    c.told[0].latency_p50 = 2;
    c.told[0].latency_p90 = 3;
    c.told[0].latency_max = 4;
    c.told[3].notified = 4;
    sk_buf_init(&buf, 4096);
    assert_int_equal(sk_tracking_json(&c, &buf), SK_OK);
#define NONE ",\"notified\":0,\"notified_by_webhook\":0,\"latency_s\":null}"
    assert_string_equal(
        buf.ptr,
        "{\"report\":\"tracking\",\"at\":\"2025-12-31T23:59:59Z\",\"nta_days\":90,"
        "\"children\":207,\"released\":175,\"child_welfare_agency\":\"ORR\",\"categories\":{"
        "\"missed_hearing\":{\"children\":1,\"out_of\":\"children\",\"notified\":1,"
        "\"notified_by_webhook\":1,\"latency_s\":{\"p50\":2,\"p90\":3,\"max\":4}},"
        "\"in_absentia_order\":{\"children\":2,\"out_of\":\"children\"" NONE ","
        "\"without_nta_after_days\":{\"children\":3,\"out_of\":\"released\"" NONE ","
        "\"address_blank\":{\"children\":4,\"out_of\":\"released\",\"notified\":4,"
        "\"notified_by_webhook\":0,\"latency_s\":null},"
        "\"address_undeliverable\":{\"children\":5,\"out_of\":\"released\"" NONE ","
        "\"unreached_after_release\":{\"children\":6,\"out_of\":\"released\"" NONE "}}");
#undef NONE
    sk_buf_fini(&buf);
    sk_buf_init(&buf, 64);
    assert_int_equal(sk_tracking_json(&c, &buf), SK_ERR_TOO_LARGE);
    sk_buf_fini(&buf);
}

/* An event recorded by agency ag at when (also its recording time). */
#define EV_AG(child, id, ag, type, when, payload)                                                  \
    "{\"id\":\"" child "-" id "\",\"type\":\"" type "\",\"occurred_at\":\"" when                   \
    "\",\"recorded_at\":\"" when "\",\"agency\":\"" ag                                             \
    "\",\"user\":\"u.1\",\"subjects\":[\"" child "\"],\"payload\":{" payload "}}"
#define FTA(c, at)                                                                                 \
    EV_AG(c, "fta", "EOIR", "hearing_outcome", at,                                                 \
          "\"hearing_id\":\"" c "-h1\",\"outcome\":\"failed_to_appear\"")

/* A subscription of agency as stored (the secret is never read here). */
static void put_sub(fixture *f, const char *id, const char *agency)
{
    sk_store_subscription sub;
    sk_diag diag;

    memset(&sub, 0, sizeof(sub));
    snprintf(sub.id, sizeof(sub.id), "%s", id);
    snprintf(sub.agency, sizeof(sub.agency), "%s", agency);
    snprintf(sub.purpose, sizeof(sub.purpose), "child_welfare");
    snprintf(sub.types, sizeof(sub.types), "alert");
    snprintf(sub.url, sizeof(sub.url), "https://example.org/hook");
    snprintf(sub.state, sizeof(sub.state), "active");
    snprintf(sub.created_by, sizeof(sub.created_by), "op");
    sub.secret_sealed_len = 1;
    assert_int_equal(sk_store_subscription_put(f->store, &sub, &diag), SK_OK);
}

/* A notification of sub caused by event (an alert when alert is not ""),
 * delivered at delivered. */
static void put_delivered(fixture *f, const char *id, const char *sub, const char *child,
                          const char *event, const char *type, const char *alert,
                          const char *delivered)
{
    sk_store_outbox row;
    sk_diag diag;

    memset(&row, 0, sizeof(row));
    snprintf(row.id, sizeof(row.id), "%s", id);
    snprintf(row.subscription_id, sizeof(row.subscription_id), "%s", sub);
    snprintf(row.event_id, sizeof(row.event_id), "%s", event);
    snprintf(row.type, sizeof(row.type), "%s", type);
    snprintf(row.subject, sizeof(row.subject), "%s", child);
    snprintf(row.alert_id, sizeof(row.alert_id), "%s", alert);
    snprintf(row.state, sizeof(row.state), "pending");
    assert_int_equal(sk_store_outbox_put(f->store, &row, &diag), SK_OK);
    assert_int_equal(sk_store_outbox_attempt(f->store, sk_str_c(id), "delivered", 204, sk_str_c(""),
                                             at_of(delivered), &diag),
                     SK_OK);
}

static void test_notified(void **state)
{
    fixture *f = *state;
    sk_tracking_opts opts;
    sk_tracking_counts c;
    const sk_tracking_told *t;
    sk_diag diag;

    INGEST(f, APPR("A"), RELEASE_BLANK("A", "2024-02-01T10:00:00Z"),
           FTA("A", "2024-03-01T10:00:00Z"), APPR("B"), FTA("B", "2024-03-02T10:00:00Z"), APPR("C"),
           FTA("C", "2024-03-03T10:00:00Z"), APPR("D"), RELEASE("D", "2024-02-01T10:00:00Z"),
           EV_AG("D", "call-1", "EOIR", "wellness_call", "2024-03-01T10:00:00Z",
                 "\"reached\":false,\"attempt\":1"),
           RELEASE("D", "2024-04-01T10:00:00Z"));
    put_sub(f, "sub_orr", "ORR");
    put_sub(f, "sub_eoir", "EOIR");
    /* A's missed hearing reaches ORR 7 s after it was recorded; an alert
     * anchored on A's release is about no address. B's reaches EOIR only;
     * C's reaches ORR after the report's date. */
    put_delivered(f, "msg_1", "sub_orr", "A", "A-fta", "alert.missed_hearing",
                  "missed_hearing:A:A-fta:ORR", "2024-03-01T10:00:07Z");
    put_delivered(f, "msg_2", "sub_orr", "A", "A-dis-2024-02-01T10:00:00Z",
                  "alert.wellness_call_30d", "wellness_call_30d:A:A-dis-2024-02-01T10:00:00Z",
                  "2024-03-02T10:00:00Z");
    put_delivered(f, "msg_3", "sub_eoir", "B", "B-fta", "hearing_outcome", "",
                  "2024-03-02T10:00:01Z");
    put_delivered(f, "msg_4", "sub_orr", "C", "C-fta", "hearing_outcome", "",
                  "2024-12-02T00:00:00Z");
    /* D was called in vain, then released again: the call still counts. */
    put_delivered(f, "msg_5", "sub_orr", "D", "D-call-1", "alert.unreachable",
                  "unreachable:D:D-call-1", "2024-03-01T10:00:30Z");
    c = report(f, AT, 90);
    assert_string_equal(c.child_welfare_agency, "ORR");
    t = &c.told[SK_TRACK_MISSED_HEARING];
    assert_int_equal(c.count[SK_TRACK_MISSED_HEARING], 3);
    assert_int_equal(t->notified, 1);
    assert_int_equal(t->by_webhook, 1);
    assert_int_equal(t->latency_p50, 7);
    assert_int_equal(t->latency_p90, 7);
    assert_int_equal(t->latency_max, 7);
    /* ORR recorded A's release itself: it knew at once, by no webhook. */
    t = &c.told[SK_TRACK_ADDRESS_BLANK];
    assert_int_equal(c.count[SK_TRACK_ADDRESS_BLANK], 1);
    assert_int_equal(t->notified, 1);
    assert_int_equal(t->by_webhook, 0);
    assert_int_equal(t->latency_max, -1);
    t = &c.told[SK_TRACK_UNREACHED];
    assert_int_equal(c.count[SK_TRACK_UNREACHED], 1);
    assert_int_equal(t->by_webhook, 1);
    assert_int_equal(t->latency_max, 30);
    /* Nobody told ORR that A and D have no notice to appear. */
    assert_int_equal(c.count[SK_TRACK_WITHOUT_NTA], 2);
    assert_int_equal(c.told[SK_TRACK_WITHOUT_NTA].notified, 0);
    /* Later, C's delivery counts too. */
    c = report(f, "2024-12-03T00:00:00Z", 90);
    assert_int_equal(c.told[SK_TRACK_MISSED_HEARING].by_webhook, 2);
    /* Counted for EOIR, which recorded every missed hearing itself. */
    sk_tracking_opts_init(&opts);
    opts.at = at_of(AT);
    memcpy(opts.child_welfare_agency, "EOIR", 5);
    assert_int_equal(sk_tracking_compute(f->store, &opts, &c, &diag), SK_OK);
    assert_int_equal(c.told[SK_TRACK_MISSED_HEARING].notified, 3);
    assert_int_equal(c.told[SK_TRACK_MISSED_HEARING].by_webhook, 0);
    memcpy(opts.child_welfare_agency, "no agency", 10);
    assert_int_equal(sk_tracking_compute(f->store, &opts, &c, &diag), SK_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_populations),
        cmocka_unit_test(test_json),
        cmocka_unit_test_setup_teardown(test_empty_ledger, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missed_hearings_count_children, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_nta_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blank_and_undeliverable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_categories_independent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_discharge_and_date, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notified, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
