/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_deadline.c: every deadline rule of sk_deadline.h on a simulated
 * clock. Each test ingests a small ledger into a fresh SQLite store, then
 * evaluates it at clock values around the due time: one second before (not
 * raised), exactly at it (open), and after the satisfying event (resolved,
 * naming that event). Because events after the clock are ignored, one ledger
 * holding the whole story serves every clock value. Further tests cover
 * effective dates, configuration, acknowledgement and resolution by hand
 * (alert events in the ledger), and a generated population run through a
 * year of daily clock values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "safekeep/sk_deadline.h"
#include "safekeep/sk_gen.h"
#include "safekeep/sk_ingest.h"
#include "safekeep/sk_time.h"

#include "test_lines.h"

#define TEST_KEY   "8f6c2b1a0e9d7c5b3a29181706f5e4d3c2b1a09f8e7d6c5b4a39281716051423"
#define ALERTS_MAX 64
#define HOUR       3600
#define DAY        86400

typedef struct fixture {
    char dir[64];
    sk_store *store;
    sk_keyring *keys;
    sk_ingest *ing;
    sk_arena *arena;
    sk_deadline_config cfg;
    sk_alert alerts[ALERTS_MAX];
    size_t n;
} fixture;

/* One JSON event line. */
#define EV(id, type, agency, when, payload)                                                        \
    "{\"id\":\"" id "\",\"type\":\"" type "\",\"occurred_at\":\"" when "\",\"agency\":\"" agency   \
    "\",\"user\":\"u.1\",\"subjects\":[\"C1\"],\"payload\":{" payload "}}"

#define APPR(when)                                                                                 \
    EV("a1", "apprehension", "CBP", when,                                                          \
       "\"given_name\":\"A\",\"family_name\":\"B\",\"country_of_birth\":\"GT\"")
#define RELEASE(when)                                                                              \
    EV("d1", "discharge", "ORR", when,                                                             \
       "\"discharge_type\":\"released_to_sponsor\",\"sponsor_id\":\"S1\"")
#define CALL(id, when, reached) EV(id, "wellness_call", "ORR", when, "\"reached\":" reached)

static int64_t t(const char *rfc3339)
{
    int64_t v = 0;

    assert_int_equal(sk_time_parse_rfc3339(sk_str_c(rfc3339), &v), SK_OK);
    return v;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    char path[128];

    if (f == NULL || setenv("SAFEKEEP_KEY", TEST_KEY, 1) != 0 ||
        setenv("SAFEKEEP_NOW", "2026-01-01T00:00:00Z", 1) != 0)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/sk_test_deadline_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/a.db", f->dir);
    if (sk_keyring_open("/nonexistent", &f->keys, NULL) != SK_OK ||
        sk_store_open(path, 1, &f->store, NULL) != SK_OK ||
        sk_ingest_new(f->store, f->keys, &f->ing) != SK_OK ||
        sk_arena_new(64 * 1024, 4 * 1024 * 1024, &f->arena) != SK_OK)
        return -1;
    sk_deadline_config_default(&f->cfg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char path[400];
    struct dirent *de;
    DIR *d;

    sk_ingest_free(f->ing);
    sk_store_close(f->store);
    sk_keyring_free(f->keys);
    sk_arena_free(f->arena);
    d = opendir(f->dir);
    if (d == NULL)
        return -1;
    while ((de = readdir(d)) != NULL) { /* NOLINT: test cleanup */
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name);
        (void)unlink(path);
    }
    closedir(d);
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
        ingest_lines((f), lines_, SK_ARRAY_LEN(lines_));                                           \
    } while (0)

static int collect(const sk_alert *a, void *ctx)
{
    fixture *f = ctx;

    assert_true(f->n < ALERTS_MAX);
    f->alerts[f->n++] = *a;
    return 0;
}

/* Evaluates at now and returns how many alerts rule r raised. */
static size_t eval(fixture *f, int64_t now, sk_deadline_rule r)
{
    size_t i, k = 0;
    sk_diag diag;

    f->n = 0;
    sk_diag_clear(&diag);
    assert_int_equal(sk_deadline_scan(f->store, &f->cfg, now, collect, f, &diag), SK_OK);
    for (i = 0; i < f->n; i++) {
        if (f->alerts[i].rule == r)
            f->alerts[k++] = f->alerts[i];
    }
    f->n = k;
    return k;
}

static void expect_open(const sk_alert *a, const char *id, const char *owner, int64_t due)
{
    assert_string_equal(a->id, id);
    assert_string_equal(a->owner, owner);
    assert_int_equal(a->due_at, due);
    assert_int_equal(a->state, SK_ALERT_OPEN);
}

static void expect_resolved(const sk_alert *a, const char *by, const char *agency, int64_t at)
{
    assert_int_equal(a->state, SK_ALERT_RESOLVED);
    assert_string_equal(a->resolved_by, by);
    assert_string_equal(a->resolved_agency, agency);
    assert_string_equal(a->resolved_user, "u.1");
    assert_int_equal(a->resolved_at, at);
}

/* ------------------------------------------------------------ the rules */

static void test_hhs_notice_and_transfer(void **state)
{
    fixture *f = *state;
    int64_t t0 = t("2024-03-01T10:00:00Z");

    INGEST(f, APPR("2024-03-01T10:00:00Z"), EV("r1", "referral", "CBP", "2024-03-03T12:00:00Z", ""),
           EV("m1", "admission", "ORR", "2024-03-04T09:00:00Z",
              "\"facility_id\":\"F1\",\"placement_type\":\"shelter\""));
    assert_int_equal(eval(f, t0 + 48 * HOUR - 1, SK_DL_HHS_NOTICE), 0);
    assert_int_equal(eval(f, t0 + 48 * HOUR, SK_DL_HHS_NOTICE), 1);
    expect_open(&f->alerts[0], "hhs_notice_48h:C1:a1", "CBP", t0 + 48 * HOUR);
    assert_string_equal(f->alerts[0].anchor_id, "a1");
    assert_int_equal(f->alerts[0].anchored_at, t0);
    assert_int_equal(eval(f, t0 + 50 * HOUR - 1, SK_DL_HHS_NOTICE), 1);
    assert_int_equal(f->alerts[0].state, SK_ALERT_OPEN);
    /* The late referral resolves it; it stays on record as raised at due. */
    assert_int_equal(eval(f, t0 + 50 * HOUR, SK_DL_HHS_NOTICE), 1);
    expect_resolved(&f->alerts[0], "r1", "CBP", t0 + 50 * HOUR);
    assert_int_equal(f->alerts[0].due_at, t0 + 48 * HOUR);
    /* The admission came within 72 hours: the transfer rule never fires. */
    assert_int_equal(eval(f, t0 + 72 * HOUR - 1, SK_DL_TRANSFER), 0);
    assert_int_equal(eval(f, t0 + 365 * DAY, SK_DL_TRANSFER), 0);
}

static void test_transfer_late(void **state)
{
    fixture *f = *state;
    int64_t t0 = t("2024-03-01T10:00:00Z");

    INGEST(f, APPR("2024-03-01T10:00:00Z"), EV("r1", "referral", "CBP", "2024-03-01T11:00:00Z", ""),
           EV("m1", "admission", "ORR", "2024-03-05T10:00:00Z",
              "\"facility_id\":\"F1\",\"placement_type\":\"shelter\""));
    assert_int_equal(eval(f, t0 + 72 * HOUR - 1, SK_DL_TRANSFER), 0);
    assert_int_equal(eval(f, t0 + 72 * HOUR, SK_DL_TRANSFER), 1);
    expect_open(&f->alerts[0], "transfer_72h:C1:a1", "CBP", t0 + 72 * HOUR);
    assert_int_equal(eval(f, t0 + 96 * HOUR, SK_DL_TRANSFER), 1);
    expect_resolved(&f->alerts[0], "m1", "ORR", t0 + 96 * HOUR);
    assert_int_equal(eval(f, t0 + 96 * HOUR, SK_DL_HHS_NOTICE), 0);
}

static void test_wellness_call(void **state)
{
    fixture *f = *state;
    int64_t r = t("2024-04-01T10:00:00Z");

    INGEST(f, RELEASE("2024-04-01T10:00:00Z"), CALL("w1", "2024-05-05T10:00:00Z", "false"));
    assert_int_equal(eval(f, r + 30 * DAY - 1, SK_DL_WELLNESS_CALL), 0);
    assert_int_equal(eval(f, r + 30 * DAY, SK_DL_WELLNESS_CALL), 1);
    expect_open(&f->alerts[0], "wellness_call_30d:C1:d1", "ORR", r + 30 * DAY);
    /* Any attempt satisfies the call rule, reached or not. */
    assert_int_equal(eval(f, r + 34 * DAY, SK_DL_WELLNESS_CALL), 1);
    expect_resolved(&f->alerts[0], "w1", "ORR", r + 34 * DAY);
    f->cfg.child_welfare_agency[0] = 'X';
    assert_int_equal(eval(f, r + 34 * DAY, SK_DL_WELLNESS_CALL), 1);
    assert_string_equal(f->alerts[0].owner, "XRR");
}

static void test_missed_hearing(void **state)
{
    fixture *f = *state;
    int64_t h = t("2024-06-10T15:00:00Z");

    INGEST(f,
           EV("c1", "counsel", "LSP1", "2024-05-01T10:00:00Z",
              "\"org_id\":\"LSP1\",\"action\":\"entered\""),
           EV("c2", "counsel", "LSP2", "2024-05-02T10:00:00Z",
              "\"org_id\":\"LSP2\",\"action\":\"entered\""),
           EV("c3", "counsel", "LSP2", "2024-05-03T10:00:00Z",
              "\"org_id\":\"LSP2\",\"action\":\"withdrawn\""),
           EV("o1", "hearing_outcome", "EOIR", "2024-06-10T15:00:00Z",
              "\"hearing_id\":\"H1\",\"outcome\":\"failed_to_appear\""),
           EV("o2", "hearing_outcome", "EOIR", "2024-06-10T16:00:00Z",
              "\"hearing_id\":\"H1\",\"outcome\":\"in_absentia_order\""),
           EV("s2", "hearing_scheduled", "EOIR", "2024-06-20T10:00:00Z",
              "\"hearing_id\":\"H2\",\"court_id\":\"K1\",\"scheduled_for\":"
              "\"2024-08-01T10:00:00Z\""));
    assert_int_equal(eval(f, h - 1, SK_DL_MISSED_HEARING), 0);
    /* Due at once: one alert to the child-welfare agency and one to the
     * counsel still of record (LSP2 withdrew); the in absentia order for the
     * same hearing adds none. */
    assert_int_equal(eval(f, h + DAY, SK_DL_MISSED_HEARING), 2);
    expect_open(&f->alerts[0], "missed_hearing:C1:o1:LSP1", "LSP1", h);
    expect_open(&f->alerts[1], "missed_hearing:C1:o1:ORR", "ORR", h);
    assert_int_equal(eval(f, h + 10 * DAY, SK_DL_MISSED_HEARING), 2);
    expect_resolved(&f->alerts[0], "s2", "EOIR", t("2024-06-20T10:00:00Z"));
    expect_resolved(&f->alerts[1], "s2", "EOIR", t("2024-06-20T10:00:00Z"));
}

static void test_nta_not_filed(void **state)
{
    fixture *f = *state;
    int64_t r = t("2024-04-01T10:00:00Z");

    INGEST(f, RELEASE("2024-04-01T10:00:00Z"),
           EV("n1", "nta_filed", "ICE", "2024-07-10T10:00:00Z", "\"court_id\":\"K1\""));
    assert_int_equal(eval(f, r + 90 * DAY - 1, SK_DL_NTA_NOT_FILED), 0);
    assert_int_equal(eval(f, r + 90 * DAY, SK_DL_NTA_NOT_FILED), 1);
    expect_open(&f->alerts[0], "nta_not_filed:C1:d1", "ICE", r + 90 * DAY);
    assert_int_equal(eval(f, r + 100 * DAY, SK_DL_NTA_NOT_FILED), 1);
    expect_resolved(&f->alerts[0], "n1", "ICE", r + 100 * DAY);
    /* Configuration moves the deadline. */
    f->cfg.rules[SK_DL_NTA_NOT_FILED].delay_s = 30 * DAY;
    assert_int_equal(eval(f, r + 30 * DAY - 1, SK_DL_NTA_NOT_FILED), 0);
    assert_int_equal(eval(f, r + 30 * DAY, SK_DL_NTA_NOT_FILED), 1);
    f->cfg.rules[SK_DL_NTA_NOT_FILED].delay_s = 120 * DAY;
    assert_int_equal(eval(f, r + 365 * DAY, SK_DL_NTA_NOT_FILED), 0);
    f->cfg.rules[SK_DL_NTA_NOT_FILED].enabled = 0;
    f->cfg.rules[SK_DL_NTA_NOT_FILED].delay_s = 30 * DAY;
    assert_int_equal(eval(f, r + 365 * DAY, SK_DL_NTA_NOT_FILED), 0);
}

static void test_address_not_filed(void **state)
{
    fixture *f = *state;
    /* Friday 2024-03-08: five working days later is Friday 2024-03-15. */
    int64_t c = t("2024-03-08T10:00:00Z"), due = t("2024-03-15T10:00:00Z");

    INGEST(f, EV("n1", "nta_filed", "ICE", "2024-02-01T10:00:00Z", "\"court_id\":\"K1\""),
           EV("ca1", "change_of_address", "ORR", "2024-03-08T10:00:00Z", "\"address\":\"x\""),
           EV("ca2", "change_of_address", "EOIR", "2024-03-18T09:00:00Z", "\"address\":\"x\""));
    assert_int_equal(eval(f, due - 1, SK_DL_ADDRESS_NOT_FILED), 0);
    assert_int_equal(eval(f, due, SK_DL_ADDRESS_NOT_FILED), 1);
    expect_open(&f->alerts[0], "address_not_filed:C1:ca1:ORR", "ORR", due);
    assert_int_equal(f->alerts[0].anchored_at, c);
    assert_int_equal(eval(f, t("2024-03-18T09:00:00Z"), SK_DL_ADDRESS_NOT_FILED), 1);
    expect_resolved(&f->alerts[0], "ca2", "EOIR", t("2024-03-18T09:00:00Z"));
    /* Three working days from a Friday is the Wednesday after. */
    f->cfg.rules[SK_DL_ADDRESS_NOT_FILED].count = 3;
    assert_int_equal(eval(f, t("2024-03-13T10:00:00Z"), SK_DL_ADDRESS_NOT_FILED), 1);
    assert_int_equal(f->alerts[0].due_at, t("2024-03-13T10:00:00Z"));
}

static void test_address_needs_proceedings(void **state)
{
    fixture *f = *state;

    INGEST(f, EV("ca1", "change_of_address", "ORR", "2024-03-09T10:00:00Z", "\"address\":\"x\""),
           EV("n1", "nta_filed", "ICE", "2024-03-10T10:00:00Z", "\"court_id\":\"K1\""),
           EV("ca2", "change_of_address", "LSP1", "2024-03-16T10:00:00Z", "\"address\":\"y\""),
           EV("c1", "counsel", "LSP1", "2024-03-11T10:00:00Z",
              "\"org_id\":\"LSP1\",\"action\":\"entered\""));
    /* ca1 came before any proceedings; ca2 (a Saturday) is due Friday
     * 2024-03-22 and owned by counsel of record. */
    assert_int_equal(eval(f, t("2024-03-22T10:00:00Z") - 1, SK_DL_ADDRESS_NOT_FILED), 0);
    assert_int_equal(eval(f, t("2024-03-22T10:00:00Z"), SK_DL_ADDRESS_NOT_FILED), 1);
    expect_open(&f->alerts[0], "address_not_filed:C1:ca2:LSP1", "LSP1", t("2024-03-22T10:00:00Z"));
}

static void test_unreachable(void **state)
{
    fixture *f = *state;

    INGEST(f, RELEASE("2024-04-01T10:00:00Z"), CALL("w1", "2024-04-20T10:00:00Z", "false"),
           CALL("w2", "2024-04-21T10:00:00Z", "false"), CALL("w3", "2024-04-22T10:00:00Z", "false"),
           CALL("w4", "2024-04-23T10:00:00Z", "false"), CALL("w5", "2024-05-01T10:00:00Z", "true"),
           CALL("w6", "2024-06-01T10:00:00Z", "false"), CALL("w7", "2024-06-02T10:00:00Z", "false"),
           CALL("w8", "2024-06-03T10:00:00Z", "false"));
    assert_int_equal(eval(f, t("2024-04-22T10:00:00Z") - 1, SK_DL_UNREACHABLE), 0);
    assert_int_equal(eval(f, t("2024-04-22T10:00:00Z"), SK_DL_UNREACHABLE), 1);
    expect_open(&f->alerts[0], "unreachable:C1:w3", "ORR", t("2024-04-22T10:00:00Z"));
    /* A fourth failure adds nothing; a reached call resolves it. */
    assert_int_equal(eval(f, t("2024-04-30T10:00:00Z"), SK_DL_UNREACHABLE), 1);
    assert_int_equal(eval(f, t("2024-05-01T10:00:00Z"), SK_DL_UNREACHABLE), 1);
    expect_resolved(&f->alerts[0], "w5", "ORR", t("2024-05-01T10:00:00Z"));
    /* A new run of three raises a new alert. */
    assert_int_equal(eval(f, t("2024-06-03T10:00:00Z"), SK_DL_UNREACHABLE), 2);
    expect_open(&f->alerts[1], "unreachable:C1:w8", "ORR", t("2024-06-03T10:00:00Z"));
    f->cfg.rules[SK_DL_UNREACHABLE].count = 2;
    assert_int_equal(eval(f, t("2024-06-03T10:00:00Z"), SK_DL_UNREACHABLE), 2);
    assert_string_equal(f->alerts[0].anchor_id, "w2");
    assert_string_equal(f->alerts[1].anchor_id, "w7");
}

static void test_sponsor_pending(void **state)
{
    fixture *f = *state;
    int64_t a = t("2024-03-01T10:00:00Z");

    INGEST(f,
           EV("sa1", "sponsor_application", "ORR", "2024-03-01T10:00:00Z",
              "\"sponsor_id\":\"S1\",\"category\":\"1\",\"relationship\":\"parent\","
              "\"given_name\":\"A\",\"family_name\":\"B\""),
           EV("sa2", "sponsor_application", "ORR", "2024-03-02T10:00:00Z",
              "\"sponsor_id\":\"S2\",\"category\":\"2A\",\"relationship\":\"sibling\","
              "\"given_name\":\"C\",\"family_name\":\"D\""),
           EV("sd2", "sponsor_denied", "ORR", "2024-04-01T10:00:00Z", "\"sponsor_id\":\"S2\""),
           EV("sp1", "sponsor_approved", "ORR", "2024-06-19T10:00:00Z", "\"sponsor_id\":\"S1\""));
    assert_int_equal(eval(f, a + 90 * DAY - 1, SK_DL_SPONSOR_PENDING), 0);
    assert_int_equal(eval(f, a + 90 * DAY, SK_DL_SPONSOR_PENDING), 1);
    expect_open(&f->alerts[0], "sponsor_pending_90d:C1:sa1", "ORR", a + 90 * DAY);
    assert_int_equal(eval(f, a + 200 * DAY, SK_DL_SPONSOR_PENDING), 1);
    expect_resolved(&f->alerts[0], "sp1", "ORR", t("2024-06-19T10:00:00Z"));
}

static void test_contest_unanswered(void **state)
{
    fixture *f = *state;
    int64_t c = t("2024-03-05T10:00:00Z");

    INGEST(f,
           EV("fa1", "fact_asserted", "ICE", "2024-03-01T10:00:00Z",
              "\"fact_id\":\"F1\",\"topic\":\"gang_affiliation\""),
           EV("fc1", "fact_contested", "LSP1", "2024-03-05T10:00:00Z",
              "\"fact_id\":\"F1\",\"grounds\":\"\\\"fact_id\\\":\\\"F9\\\"\""),
           EV("fc2", "fact_contested", "LSP1", "2024-03-06T10:00:00Z", "\"fact_id\":\"F2\""),
           EV("dc1", "decision", "ICE", "2024-04-14T10:00:00Z",
              "\"decision_id\":\"D1\",\"kind\":\"detention\",\"cites\":\"F0,F1\""),
           EV("fr2", "fact_retracted", "ICE", "2024-03-20T10:00:00Z", "\"fact_id\":\"F2\""));
    assert_int_equal(eval(f, c + 30 * DAY - 1, SK_DL_CONTEST_UNANSWERED), 0);
    assert_int_equal(eval(f, c + 30 * DAY, SK_DL_CONTEST_UNANSWERED), 1);
    /* The owner is the agency that asserted the fact. */
    expect_open(&f->alerts[0], "contest_unanswered:C1:fc1", "ICE", c + 30 * DAY);
    assert_int_equal(eval(f, t("2024-04-14T10:00:00Z"), SK_DL_CONTEST_UNANSWERED), 1);
    expect_resolved(&f->alerts[0], "dc1", "ICE", t("2024-04-14T10:00:00Z"));
}

/* ------------------------------------------------------------ configuration */

static void test_effective_dates(void **state)
{
    fixture *f = *state;
    int64_t t0 = t("2024-03-01T10:00:00Z");

    INGEST(f, APPR("2024-03-01T10:00:00Z"));
    assert_int_equal(eval(f, t0 + 10 * DAY, SK_DL_HHS_NOTICE), 1);
    f->cfg.rules[SK_DL_HHS_NOTICE].effective_from = t0 + 1;
    assert_int_equal(eval(f, t0 + 10 * DAY, SK_DL_HHS_NOTICE), 0);
    f->cfg.rules[SK_DL_HHS_NOTICE].effective_from = t0;
    assert_int_equal(eval(f, t0 + 10 * DAY, SK_DL_HHS_NOTICE), 1);
    f->cfg.rules[SK_DL_HHS_NOTICE].effective_to = t0;
    assert_int_equal(eval(f, t0 + 10 * DAY, SK_DL_HHS_NOTICE), 0);
    f->cfg.rules[SK_DL_HHS_NOTICE].effective_to = t0 + 1;
    assert_int_equal(eval(f, t0 + 10 * DAY, SK_DL_HHS_NOTICE), 1);
    /* Pending alerts appear only when asked for. */
    assert_int_equal(eval(f, t0, SK_DL_TRANSFER), 0);
    f->cfg.report_pending = 1;
    assert_int_equal(eval(f, t0, SK_DL_TRANSFER), 1);
    assert_int_equal(f->alerts[0].state, SK_ALERT_PENDING);
}

static void test_rule_names(void **state)
{
    sk_deadline_rule r;
    unsigned i;

    (void)state;
    for (i = 0; i < SK_DL__COUNT; i++) {
        const sk_deadline_rule_def *d = sk_deadline_rule_get((sk_deadline_rule)i);
        assert_non_null(d->source);
        assert_int_equal(sk_deadline_rule_parse(sk_str_c(d->name), &r), SK_OK);
        assert_int_equal(r, i);
    }
    assert_int_equal(sk_deadline_rule_parse(SK_STR("nope"), &r), SK_ERR_NOT_FOUND);
}

/* ------------------------------------------------------------ a year */

typedef struct year_ctx {
    uint64_t raised, resolved, open;
    int64_t now;
} year_ctx;

static int count_calls(const sk_alert *a, void *vctx)
{
    year_ctx *y = vctx;

    if (a->rule != SK_DL_WELLNESS_CALL)
        return 0;
    assert_true(a->due_at <= y->now);
    assert_int_equal(a->due_at, a->anchored_at + 30 * DAY);
    y->raised++;
    if (a->state == SK_ALERT_RESOLVED) {
        assert_true(a->resolved_at > a->due_at && a->resolved_at <= y->now);
        y->resolved++;
    } else {
        assert_int_equal(a->state, SK_ALERT_OPEN);
        y->open++;
    }
    return 0;
}

/* ------------------------------------------------------------ people */

#define ACK(id, agency, when, alert, note)                                                         \
    EV(id, "alert_acknowledged", agency, when, "\"alert_id\":\"" alert "\"" note)
#define RESOLVE(id, agency, when, alert, note)                                                     \
    EV(id, "alert_resolved", agency, when, "\"alert_id\":\"" alert "\",\"note\":\"" note "\"")
#define CALL_ALERT "wellness_call_30d:C1:d1"

static void expect_ack(const sk_alert *a, const char *by, int64_t at, const char *note)
{
    assert_true(a->acknowledged);
    assert_string_equal(a->acknowledged_by, by);
    assert_string_equal(a->acknowledged_agency, "ORR");
    assert_string_equal(a->acknowledged_user, "u.1");
    assert_int_equal(a->acknowledged_at, at);
    assert_string_equal(a->acknowledged_note, note);
}

/* Acknowledged, then resolved by hand before the call; acts before the due
 * time, by another agency or after the clock change nothing. */
static void test_ack_then_resolve_by_hand(void **state)
{
    fixture *f = *state;
    int64_t r = t("2024-04-01T10:00:00Z");
    sk_buf buf;

    INGEST(f, RELEASE("2024-04-01T10:00:00Z"),
           ACK("k0", "ORR", "2024-04-29T10:00:00Z", CALL_ALERT, ""),
           ACK("k1", "CBP", "2024-05-01T11:00:00Z", CALL_ALERT, ""),
           ACK("k2", "ORR", "2024-05-02T10:00:00Z", CALL_ALERT,
               ",\"note\":\"calling the \\\"sponsor\\\" again\""),
           ACK("k3", "ORR", "2024-05-02T12:00:00Z", CALL_ALERT, ""),
           RESOLVE("h1", "ORR", "2024-05-03T10:00:00Z", CALL_ALERT, "reached by the school"),
           CALL("w1", "2024-05-04T10:00:00Z", "true"));
    assert_int_equal(eval(f, r + 30 * DAY, SK_DL_WELLNESS_CALL), 1);
    expect_open(&f->alerts[0], CALL_ALERT, "ORR", r + 30 * DAY);
    assert_false(f->alerts[0].acknowledged);
    assert_int_equal(eval(f, r + 31 * DAY - 1, SK_DL_WELLNESS_CALL), 1);
    assert_int_equal(f->alerts[0].state, SK_ALERT_OPEN); /* CBP's ack does not count */
    assert_int_equal(eval(f, r + 31 * DAY, SK_DL_WELLNESS_CALL), 1);
    assert_int_equal(f->alerts[0].state, SK_ALERT_ACKNOWLEDGED);
    expect_ack(&f->alerts[0], "k2", r + 31 * DAY, "calling the \"sponsor\" again");
    assert_int_equal(eval(f, r + 32 * DAY - 1, SK_DL_WELLNESS_CALL), 1);
    assert_int_equal(f->alerts[0].state, SK_ALERT_ACKNOWLEDGED);
    /* Resolved by hand: the later call does not take it over. */
    assert_int_equal(eval(f, r + 40 * DAY, SK_DL_WELLNESS_CALL), 1);
    expect_resolved(&f->alerts[0], "h1", "ORR", r + 32 * DAY);
    assert_true(f->alerts[0].resolved_by_hand);
    assert_string_equal(f->alerts[0].resolved_note, "reached by the school");
    expect_ack(&f->alerts[0], "k2", r + 31 * DAY, "calling the \"sponsor\" again");
    sk_buf_init(&buf, 4096);
    assert_int_equal(sk_alert_json(&f->alerts[0], &buf), SK_OK);
    assert_string_equal(
        buf.ptr, "{\"id\":\"wellness_call_30d:C1:d1\",\"rule\":\"wellness_call_30d\",\"child\":"
                 "\"C1\",\"owner\":\"ORR\",\"anchor\":\"d1\",\"anchored_at\":\"2024-04-01T10:00:"
                 "00Z\",\"due_at\":\"2024-05-01T10:00:00Z\",\"state\":\"resolved\",\"resolved_at\":"
                 "\"2024-05-03T10:00:00Z\",\"resolved_by\":\"h1\",\"resolved_agency\":\"ORR\","
                 "\"resolved_user\":\"u.1\",\"acknowledged\":{\"at\":\"2024-05-02T10:00:00Z\","
                 "\"agency\":\"ORR\",\"user\":\"u.1\"},\"resolved\":{\"at\":\"2024-05-03T10:00:"
                 "00Z\",\"by_event\":null,\"agency\":\"ORR\",\"user\":\"u.1\",\"by_hand\":true}}");
    sk_buf_fini(&buf);
}

/* Acknowledged, then satisfied by the late call; an acknowledgement of an
 * id that matches no alert is ignored. */
static void test_ack_then_satisfied(void **state)
{
    fixture *f = *state;
    int64_t r = t("2024-04-01T10:00:00Z");
    sk_buf buf;

    INGEST(f, RELEASE("2024-04-01T10:00:00Z"),
           ACK("k9", "ORR", "2024-05-01T12:00:00Z", "wellness_call_30d:C1:nope", ""),
           ACK("k9b", "ORR", "2024-05-01T12:00:00Z", "wellness_call_30d:C1", ""),
           ACK("k1", "ORR", "2024-05-02T10:00:00Z", CALL_ALERT, ""),
           CALL("w1", "2024-05-04T10:00:00Z", "false"),
           RESOLVE("h1", "ORR", "2024-05-05T10:00:00Z", CALL_ALERT, "too late"));
    assert_int_equal(eval(f, r + 31 * DAY - 1, SK_DL_WELLNESS_CALL), 1);
    assert_int_equal(f->alerts[0].state, SK_ALERT_OPEN);
    assert_false(f->alerts[0].acknowledged);
    assert_int_equal(eval(f, r + 33 * DAY - 1, SK_DL_WELLNESS_CALL), 1);
    assert_int_equal(f->alerts[0].state, SK_ALERT_ACKNOWLEDGED);
    expect_ack(&f->alerts[0], "k1", r + 31 * DAY, "");
    assert_int_equal(eval(f, r + 60 * DAY, SK_DL_WELLNESS_CALL), 1);
    expect_resolved(&f->alerts[0], "w1", "ORR", r + 33 * DAY);
    assert_false(f->alerts[0].resolved_by_hand);
    assert_string_equal(f->alerts[0].resolved_note, "");
    expect_ack(&f->alerts[0], "k1", r + 31 * DAY, "");
    sk_buf_init(&buf, 4096);
    assert_int_equal(sk_alert_json(&f->alerts[0], &buf), SK_OK);
    assert_non_null(strstr(buf.ptr,
                           "\"resolved\":{\"at\":\"2024-05-04T10:00:00Z\",\"by_event\":"
                           "\"w1\",\"agency\":\"ORR\",\"user\":\"u.1\",\"by_hand\":false}"));
    /* The unknown ids appear nowhere. */
    assert_int_equal(eval(f, r + 60 * DAY, SK_DL_HHS_NOTICE), 0);
    sk_buf_fini(&buf);
}

/* Everything is in the ledger: a rebuild of the projections changes none
 * of it, and the alert events leave the case fold as it was. */
static void test_people_survive_rebuild(void **state)
{
    fixture *f = *state;
    int64_t r = t("2024-04-01T10:00:00Z");
    sk_alert before;
    sk_diag diag;

    INGEST(f, RELEASE("2024-04-01T10:00:00Z"),
           ACK("k1", "ORR", "2024-05-02T10:00:00Z", CALL_ALERT, ",\"note\":\"on it\""),
           RESOLVE("h1", "ORR", "2024-05-03T10:00:00Z", CALL_ALERT, "moved away"));
    assert_int_equal(eval(f, r + 40 * DAY, SK_DL_WELLNESS_CALL), 1);
    before = f->alerts[0];
    sk_diag_clear(&diag);
    assert_int_equal(sk_rebuild(f->store, f->keys, &diag), SK_OK);
    assert_int_equal(eval(f, r + 40 * DAY, SK_DL_WELLNESS_CALL), 1);
    assert_memory_equal(&before, &f->alerts[0], sizeof(before));
    assert_true(f->alerts[0].resolved_by_hand);
    assert_string_equal(f->alerts[0].acknowledged_note, "on it");
    assert_string_equal(f->alerts[0].resolved_note, "moved away");
}

/* A state name for each state, and the event types in the catalogue. */
static void test_people_names(void **state)
{
    sk_event_type type;

    (void)state;
    assert_string_equal(sk_alert_state_name(SK_ALERT_ACKNOWLEDGED), "acknowledged");
    assert_string_equal(sk_alert_state_name(SK_ALERT_RESOLVED), "resolved");
    assert_int_equal(sk_event_type_parse(SK_STR("alert_acknowledged"), &type), SK_OK);
    assert_int_equal(type, SK_EV_ALERT_ACKNOWLEDGED);
    assert_true(sk_event_type_is_case(type));
    assert_int_equal(sk_event_type_parse(SK_STR("alert_resolved"), &type), SK_OK);
    assert_int_equal(type, SK_EV_ALERT_RESOLVED);
    assert_int_equal(sk_event_field_index(type, SK_STR("note")), 1);
}

/* A generated population, read at 365 successive daily clock values: the
 * number of 30-day-call alerts raised, and of those resolved, never falls. */
static void test_year_of_days(void **state)
{
    fixture *f = *state;
    year_ctx prev = {0, 0, 0, 0}, y;
    sk_import_opts opts;
    sk_gen_opts g;
    char path[160];
    int64_t start = t("2025-01-01T00:00:00Z");
    struct timespec t1, t2;
    sk_diag diag;
    int day;

    sk_diag_clear(&diag);
    sk_gen_opts_init(&g);
    g.children = 120;
    g.years = 2;
    g.out_dir = f->dir;
    assert_int_equal(sk_gen_run(&g, NULL, &diag), SK_OK);
    snprintf(path, sizeof(path), "%s/events.jsonl", f->dir);
    memset(&opts, 0, sizeof(opts));
    assert_int_equal(sk_ingest_begin(f->ing, &diag), SK_OK);
    if (sk_import_jsonl(f->ing, path, &opts, &diag) != SK_OK)
        fail_msg("import: %s", diag.msg);
    assert_int_equal(sk_ingest_commit(f->ing, &diag), SK_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (day = 0; day < 365; day++) {
        memset(&y, 0, sizeof(y));
        y.now = start + (int64_t)day * DAY;
        assert_int_equal(sk_deadline_scan(f->store, &f->cfg, y.now, count_calls, &y, &diag), SK_OK);
        assert_true(y.raised >= prev.raised);
        assert_true(y.resolved >= prev.resolved);
        prev = y;
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    print_message("year of days: %llu call alerts raised by the end (%llu resolved), %.2f s\n",
                  (unsigned long long)prev.raised, (unsigned long long)prev.resolved,
                  (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hhs_notice_and_transfer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transfer_late, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wellness_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missed_hearing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nta_not_filed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_address_not_filed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_address_needs_proceedings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sponsor_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contest_unanswered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_effective_dates, setup, teardown),
        cmocka_unit_test(test_rule_names),
        cmocka_unit_test_setup_teardown(test_ack_then_resolve_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_then_satisfied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_people_survive_rebuild, setup, teardown),
        cmocka_unit_test(test_people_names),
        cmocka_unit_test_setup_teardown(test_year_of_days, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
