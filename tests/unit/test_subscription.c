/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_subscription.c: unit tests for webhook subscriptions and the outbox
 * (sk_subscription.h) on a SQLite database in a temporary directory, with
 * the example policy files adopted.
 *
 * A subscription is refused where a constraint or the lack of an agreement
 * forbids it and accepted where an agreement allows it; outbox rows are
 * written with the event that causes them and rolled back with it; paused,
 * deleted and no-longer-permitted subscriptions get nothing; the store's
 * outbox calls for the deliverer behave; and the database file is read
 * back byte by byte to show that the signing secret is not in it.
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

#include "safekeep/sk_crypto.h"
#include "safekeep/sk_deadline.h"
#include "safekeep/sk_ingest.h"
#include "safekeep/sk_policy_store.h"
#include "safekeep/sk_store.h"
#include "safekeep/sk_subscription.h"
#include "safekeep/sk_time.h"
#include "test_util.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

typedef struct fixture {
    char dir[64];
    char path[128];
    char root[4200];
    sk_store *store;
    sk_keyring *keyring;
    sk_policy *policy;
} fixture;

static void remove_db_files(const char *path)
{
    char name[160];

    (void)unlink(path);
    snprintf(name, sizeof(name), "%s-wal", path);
    (void)unlink(name);
    snprintf(name, sizeof(name), "%s-shm", path);
    (void)unlink(name);
}

/* Runs one ingest transaction: the files (absolute paths), then commit. */
static sk_err ingest_files(fixture *f, const char *const *paths, size_t count, int with_policy)
{
    sk_import_opts io = {"ORR", "import", NULL, NULL};
    sk_ingest *ing = NULL;
    sk_diag diag;
    sk_err rc;

    sk_diag_clear(&diag);
    rc = sk_ingest_new(f->store, f->keyring, &ing);
    if (rc == SK_OK && with_policy)
        sk_ingest_set_policy(ing, f->policy);
    if (rc == SK_OK)
        rc = sk_ingest_begin(ing, &diag);
    if (rc == SK_OK)
        rc = sk_import_files(ing, paths, count, &io, &diag);
    if (rc == SK_OK)
        rc = sk_ingest_commit(ing, &diag);
    if (rc != SK_OK && ing != NULL) {
        print_message("ingest: %s\n", diag.msg);
        sk_ingest_abort(ing);
    }
    sk_ingest_free(ing);
    return rc;
}

static void reload_policy(fixture *f)
{
    sk_diag diag;

    sk_policy_free(f->policy);
    f->policy = NULL;
    assert_int_equal(sk_policy_load(f->store, &f->policy, &diag), SK_OK);
}

static int setup(void **state)
{
    static const char *const names[] = {"agencies", "constraints", "court-notification",
                                        "orr-ice-cbp-moa-2018", "roles"};
    char paths[5][4300];
    const char *pp[5];
    fixture *f = calloc(1, sizeof(*f));
    sk_ingest *ing = NULL;
    sk_diag diag;
    size_t i;

    if (f == NULL)
        return -1;
    sk_test_source_root(f->root, sizeof(f->root));
    snprintf(f->dir, sizeof(f->dir), "/tmp/sk_sub_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
    if (setenv(SK_ENV_KEY, KEY_A, 1) != 0 || sk_crypto_init() != SK_OK ||
        sk_store_open(f->path, 1, &f->store, &diag) != SK_OK ||
        sk_keyring_open("/nonexistent/key", &f->keyring, &diag) != SK_OK)
        return -1;
    for (i = 0; i < 5; i++) {
        snprintf(paths[i], sizeof(paths[i]), "%s/examples/%s.policy", f->root, names[i]);
        pp[i] = paths[i];
    }
    if (sk_ingest_new(f->store, f->keyring, &ing) != SK_OK ||
        sk_ingest_begin(ing, &diag) != SK_OK ||
        sk_policy_adopt_files(ing, f->store, pp, 5, sk_str_c("ORR"), sk_str_c("admin"), &diag) !=
            SK_OK ||
        sk_ingest_commit(ing, &diag) != SK_OK) {
        print_message("adopt: %s\n", diag.msg);
        return -1;
    }
    sk_ingest_free(ing);
    if (sk_policy_load(f->store, &f->policy, &diag) != SK_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    sk_policy_free(f->policy);
    sk_store_close(f->store);
    sk_keyring_free(f->keyring);
    remove_db_files(f->path);
    (void)rmdir(f->dir);
    free(f);
    return unsetenv(SK_ENV_KEY);
}

static sk_err create(fixture *f, const char *agency, sk_purpose purpose, const char *types,
                     sk_subscription *sub, char secret[SK_SUBSCRIPTION_SECRET_LEN + 1],
                     sk_diag *diag)
{
    uint64_t mask = 0;

    assert_int_equal(sk_subscription_types_parse(sk_str_c(types), &mask, diag), SK_OK);
    return sk_subscription_create(f->store, f->keyring, f->policy, sk_str_c(agency), purpose, mask,
                                  sk_str_c("https://example.org/hook"), sk_str_c("op"),
                                  sk_time_now(), secret, sub, diag);
}

/* Writes a one-line event file: a wellness call to C0001 (released in
 * good.jsonl) recorded by ORR now. */
static void write_event(const fixture *f, const char *name, const char *id, char *path, size_t cap)
{
    FILE *fp;

    snprintf(path, cap, "%s/%s", f->dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp,
            "{\"id\":\"%s\",\"type\":\"wellness_call\",\"occurred_at\":\"2023-05-01T10:00:00Z\","
            "\"agency\":\"ORR\",\"user\":\"cm.1\",\"subjects\":[\"C0001\"],\"payload\":"
            "{\"reached\":true,\"attempt\":1,\"concerns\":false}}\n",
            id);
    assert_int_equal(fclose(fp), 0);
}

static int count_row(const sk_store_outbox *row, void *ctx)
{
    (void)row;
    (*(int *)ctx)++;
    return 0;
}

static int outbox_count(fixture *f)
{
    sk_diag diag;
    int n = 0;

    assert_int_equal(sk_store_outbox_list(f->store, (sk_str){NULL, 0}, count_row, &n, &diag),
                     SK_OK);
    return n;
}

/* Imports good.jsonl (C0001 released) with the policy set. */
static void import_good(fixture *f)
{
    char path[4300];
    const char *pp[1] = {path};

    snprintf(path, sizeof(path), "%s/tests/data/good.jsonl", f->root);
    assert_int_equal(ingest_files(f, pp, 1, 1), SK_OK);
}

static void test_refused_by_constraint(void **state)
{
    fixture *f = *state;
    char secret[SK_SUBSCRIPTION_SECRET_LEN + 1] = "x";
    sk_subscription sub;
    sk_diag diag;

    sk_diag_clear(&diag);
    assert_int_equal(create(f, "ICE", SK_PURPOSE_IMMIGRATION_ENFORCEMENT, "sponsor_application",
                            &sub, secret, &diag),
                     SK_ERR_DENIED);
    assert_non_null(strstr(diag.msg, "approps-2019-s224-sponsors"));
    assert_string_equal(secret, "");
    /* No agreement at all: EOIR and placements. */
    assert_int_equal(
        create(f, "EOIR", SK_PURPOSE_COURT_PROCEEDINGS, "admission", &sub, secret, &diag),
        SK_ERR_DENIED);
    assert_non_null(strstr(diag.msg, "no agreement in force"));
    assert_int_equal(create(f, "EOIR", SK_PURPOSE_EMERGENCY, "wellness_call", &sub, secret, &diag),
                     SK_ERR_DENIED);
}

static void test_url_and_types(void **state)
{
    static const char *const bad[] = {
        "ftp://x.org/",      "https://",     "https://user:pw@x.org/",
        "https://x.org/a b", "http:///path", "https://x.org:99999999/",
        "https://[::1/",     "x.org",        NULL};
    uint64_t mask;
    sk_diag diag;
    size_t i;

    (void)state;
    for (i = 0; bad[i] != NULL; i++)
        assert_int_equal(sk_subscription_url_check(sk_str_c(bad[i]), &diag), SK_ERR_INVALID);
    assert_int_equal(sk_subscription_url_check(sk_str_c("https://x.org:8443/h?q=1"), &diag), SK_OK);
    assert_int_equal(sk_subscription_url_check(sk_str_c("http://[::1]:80/"), &diag), SK_OK);
    assert_int_equal(sk_subscription_types_parse(sk_str_c("nope"), &mask, &diag), SK_ERR_INVALID);
    assert_int_equal(sk_subscription_types_parse(sk_str_c("policy_adopted"), &mask, &diag),
                     SK_ERR_INVALID);
    assert_int_equal(sk_subscription_types_parse(sk_str_c(""), &mask, &diag), SK_ERR_INVALID);
}

static void test_accepted_and_outbox(void **state)
{
    fixture *f = *state;
    char secret[SK_SUBSCRIPTION_SECRET_LEN + 1], path[640], got[SK_SUBSCRIPTION_SECRET_LEN + 1];
    unsigned char raw[SK_SUBSCRIPTION_SECRET_BYTES];
    const char *pp[1] = {path};
    sk_subscription sub, back;
    sk_diag diag;

    import_good(f);
    assert_int_equal(outbox_count(f), 0);
    sk_diag_clear(&diag);
    assert_int_equal(
        create(f, "EOIR", SK_PURPOSE_COURT_PROCEEDINGS, "wellness_call", &sub, secret, &diag),
        SK_OK);
    assert_int_equal(strncmp(secret, "whsec_", 6), 0);
    assert_int_equal(strlen(secret), SK_SUBSCRIPTION_SECRET_LEN);
    assert_non_null(strstr(sub.rules, "wellness_call=court-notification-release@1"));
    assert_int_equal(sk_subscription_get(f->store, sk_str_c(sub.id), &back, &diag), SK_OK);
    assert_string_equal(back.url, "https://example.org/hook");
    assert_int_equal(back.state, SK_SUBSCRIPTION_ACTIVE);
    /* The unsealed secret is the one shown. */
    assert_int_equal(sk_subscription_secret(f->store, f->keyring, sk_str_c(sub.id), raw, &diag),
                     SK_OK);

    /* Without the policy set, no outbox rows. */
    write_event(f, "e1.jsonl", "s-e1", path, sizeof(path));
    assert_int_equal(ingest_files(f, pp, 1, 0), SK_OK);
    assert_int_equal(outbox_count(f), 0);
    /* With it: one row, in the same transaction. */
    write_event(f, "e2.jsonl", "s-e2", path, sizeof(path));
    assert_int_equal(ingest_files(f, pp, 1, 1), SK_OK);
    assert_int_equal(outbox_count(f), 1);
    /* A failed transaction leaves neither the event nor its row: fail each
     * write in turn until the transaction goes through. */
    {
        unsigned long n;
        int done = 0;
        for (n = 1; n < 200 && !done; n++) {
            write_event(f, "e3.jsonl", "s-e3", path, sizeof(path));
            sk_store_fail_after(f->store, n);
            done = ingest_files(f, pp, 1, 1) == SK_OK;
            sk_store_fail_after(f->store, 0);
            assert_int_equal(outbox_count(f), done ? 2 : 1);
        }
        assert_true(done);
    }
    /* The secret is not in the file in clear, nor in base64. */
    {
        FILE *fp;
        long len;
        char *buf;
        char name[160];
        const char *files[3];
        size_t i;
        snprintf(name, sizeof(name), "%s-wal", f->path);
        files[0] = f->path;
        files[1] = name;
        files[2] = NULL;
        memcpy(got, secret, sizeof(got));
        for (i = 0; files[i] != NULL; i++) {
            fp = fopen(files[i], "rb");
            if (fp == NULL)
                continue;
            assert_int_equal(fseek(fp, 0, SEEK_END), 0);
            len = ftell(fp);
            assert_int_equal(fseek(fp, 0, SEEK_SET), 0);
            buf = malloc((size_t)len + 1);
            assert_non_null(buf);
            assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
            fclose(fp);
            assert_null(memmem(buf, (size_t)len, got + 6, 20));
            assert_null(memmem(buf, (size_t)len, raw, sizeof(raw)));
            free(buf);
        }
    }
}

static void test_pause_delete_rescind(void **state)
{
    fixture *f = *state;
    char secret[SK_SUBSCRIPTION_SECRET_LEN + 1], path[640];
    const char *pp[1] = {path};
    sk_subscription sub;
    sk_ingest *ing = NULL;
    sk_diag diag;

    import_good(f);
    assert_int_equal(
        create(f, "EOIR", SK_PURPOSE_COURT_PROCEEDINGS, "wellness_call", &sub, secret, &diag),
        SK_OK);
    assert_int_equal(sk_subscription_pause(f->store, sk_str_c(sub.id), 1, &diag), SK_OK);
    assert_int_equal(sk_subscription_pause(f->store, sk_str_c(sub.id), 1, &diag), SK_ERR_CONFLICT);
    write_event(f, "p1.jsonl", "p-e1", path, sizeof(path));
    assert_int_equal(ingest_files(f, pp, 1, 1), SK_OK);
    assert_int_equal(outbox_count(f), 0);
    assert_int_equal(sk_subscription_resume(f->store, sk_str_c(sub.id), 2, &diag), SK_OK);
    write_event(f, "p2.jsonl", "p-e2", path, sizeof(path));
    assert_int_equal(ingest_files(f, pp, 1, 1), SK_OK);
    assert_int_equal(outbox_count(f), 1);
    assert_int_equal(sk_subscription_delete(f->store, sk_str_c(sub.id), 3, &diag), SK_OK);
    assert_int_equal(sk_subscription_resume(f->store, sk_str_c(sub.id), 4, &diag), SK_ERR_CONFLICT);
    assert_int_equal(sk_subscription_delete(f->store, sk_str_c("sub_0000000000000000"), 4, &diag),
                     SK_ERR_NOT_FOUND);
    write_event(f, "p3.jsonl", "p-e3", path, sizeof(path));
    assert_int_equal(ingest_files(f, pp, 1, 1), SK_OK);
    assert_int_equal(outbox_count(f), 1);

    /* A new subscription, then the agreement is rescinded: nothing more. */
    assert_int_equal(
        create(f, "EOIR", SK_PURPOSE_COURT_PROCEEDINGS, "wellness_call", &sub, secret, &diag),
        SK_OK);
    write_event(f, "p4.jsonl", "p-e4", path, sizeof(path));
    assert_int_equal(ingest_files(f, pp, 1, 1), SK_OK);
    assert_int_equal(outbox_count(f), 2);
    assert_int_equal(sk_ingest_new(f->store, f->keyring, &ing), SK_OK);
    assert_int_equal(sk_ingest_begin(ing, &diag), SK_OK);
    assert_int_equal(sk_policy_record_rescind(ing, f->store, sk_str_c("court-notification-release"),
                                              sk_time_now() - 86400, sk_str_c("ORR"),
                                              sk_str_c("admin"), &diag),
                     SK_OK);
    assert_int_equal(sk_ingest_commit(ing, &diag), SK_OK);
    sk_ingest_free(ing);
    reload_policy(f);
    write_event(f, "p5.jsonl", "p-e5", path, sizeof(path));
    assert_int_equal(ingest_files(f, pp, 1, 1), SK_OK);
    assert_int_equal(outbox_count(f), 2);
    /* And a new subscription is refused. */
    assert_int_equal(
        create(f, "EOIR", SK_PURPOSE_COURT_PROCEEDINGS, "wellness_call", &sub, secret, &diag),
        SK_ERR_DENIED);
}

typedef struct due_ctx {
    char ids[4][SK_STORE_OUTBOX_ID_MAX];
    int n;
} due_ctx;

static int collect(const sk_store_outbox *row, void *vctx)
{
    due_ctx *ctx = vctx;

    if (ctx->n < 4)
        snprintf(ctx->ids[ctx->n], sizeof(ctx->ids[0]), "%s", row->id);
    ctx->n++;
    return 0;
}

static void put_row(fixture *f, const char *id, int64_t due)
{
    sk_store_outbox row;
    sk_diag diag;

    memset(&row, 0, sizeof(row));
    snprintf(row.id, sizeof(row.id), "%s", id);
    snprintf(row.subscription_id, sizeof(row.subscription_id), "sub_x");
    snprintf(row.event_id, sizeof(row.event_id), "ev-%s", id);
    snprintf(row.type, sizeof(row.type), "wellness_call");
    snprintf(row.subject, sizeof(row.subject), "C0001");
    snprintf(row.state, sizeof(row.state), "pending");
    row.created_at = 10;
    row.next_attempt_at = due;
    assert_int_equal(sk_store_outbox_put(f->store, &row, &diag), SK_OK);
}

/* Alert ids of one subscription's rows, or of the open alerts of one owner. */
typedef struct id_set {
    char ids[32][SK_STORE_OUTBOX_ALERT_MAX];
    size_t n;
    const char *key; /* the subscription id, or the owner */
} id_set;

static int row_alert_id(const sk_store_outbox *row, void *ctx)
{
    id_set *s = ctx;
    char rule[64];

    if (strcmp(row->subscription_id, s->key) != 0)
        return 0;
    assert_true(s->n < 32);
    /* The type names the rule that starts the alert's id; the anchor is the
     * event the id names. */
    snprintf(rule, sizeof(rule), "%.*s", (int)strcspn(row->alert_id, ":"), row->alert_id);
    assert_int_equal(strncmp(row->type, "alert.", 6), 0);
    assert_string_equal(row->type + 6, rule);
    assert_non_null(strstr(row->alert_id, row->event_id));
    snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s", row->alert_id);
    return 0;
}

static int open_alert_id(const sk_alert *a, void *ctx)
{
    id_set *s = ctx;

    if (a->state != SK_ALERT_OPEN || strcmp(a->owner, s->key) != 0)
        return 0;
    assert_true(s->n < 32);
    snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s", a->id);
    return 0;
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The rows of subscription sub are exactly the open alerts of owner. */
static void assert_told(fixture *f, const char *sub, const char *owner)
{
    sk_deadline_config cfg;
    id_set rows, open;
    sk_diag diag;
    size_t i;

    memset(&rows, 0, sizeof(rows));
    memset(&open, 0, sizeof(open));
    rows.key = sub;
    open.key = owner;
    sk_deadline_config_default(&cfg);
    assert_int_equal(sk_store_outbox_list(f->store, (sk_str){NULL, 0}, row_alert_id, &rows, &diag),
                     SK_OK);
    assert_int_equal(sk_deadline_scan(f->store, &cfg, sk_time_now(), open_alert_id, &open, &diag),
                     SK_OK);
    assert_true(open.n > 0);
    assert_int_equal(rows.n, open.n);
    qsort(rows.ids, rows.n, sizeof(rows.ids[0]), id_cmp);
    qsort(open.ids, open.n, sizeof(open.ids[0]), id_cmp);
    for (i = 0; i < rows.n; i++)
        assert_string_equal(rows.ids[i], open.ids[i]);
}

static void test_alert_notifications(void **state)
{
    fixture *f = *state;
    char secret[SK_SUBSCRIPTION_SECRET_LEN + 1], buf[128], path[4300];
    const char *pp[1] = {path};
    sk_subscription orr, ice;
    sk_diag diag;
    uint64_t mask = 0;
    unsigned long n;
    int done = 0, total;

    assert_int_equal(sk_subscription_types_parse(sk_str_c("alert,wellness_call"), &mask, &diag),
                     SK_OK);
    assert_true((mask & SK_SUBSCRIPTION_ALERTS) && (mask & (1ull << SK_EV_WELLNESS_CALL)));
    sk_subscription_types_format(mask, buf, sizeof(buf));
    assert_string_equal(buf, "wellness_call,alert");
    /* The owner of an alert needs no agreement to be told of it. */
    assert_int_equal(create(f, "ORR", SK_PURPOSE_CHILD_WELFARE, "alert", &orr, secret, &diag),
                     SK_OK);
    assert_string_equal(orr.rules, "alert=owner");
    assert_int_equal(
        create(f, "ICE", SK_PURPOSE_IMMIGRATION_ENFORCEMENT, "alert", &ice, secret, &diag), SK_OK);
    /* The import's transaction writes the rows of the alerts it leaves open,
     * or, when it fails at any write, none of them. */
    snprintf(path, sizeof(path), "%s/tests/data/good.jsonl", f->root);
    for (n = 1; n < 400 && !done; n++) {
        sk_store_fail_after(f->store, n);
        done = ingest_files(f, pp, 1, 1) == SK_OK;
        sk_store_fail_after(f->store, 0);
        if (!done)
            assert_int_equal(outbox_count(f), 0);
    }
    assert_true(done);
    assert_told(f, orr.id, "ORR");
    assert_told(f, ice.id, "ICE");
    /* Found again by a later transaction, an alert is not told again. */
    total = outbox_count(f);
    write_event(f, "late.jsonl", "s-late", path, sizeof(path));
    assert_int_equal(ingest_files(f, pp, 1, 1), SK_OK);
    assert_int_equal(outbox_count(f), total);
}

static void test_store_outbox(void **state)
{
    fixture *f = *state;
    due_ctx ctx;
    sk_diag diag;
    char a[SK_OUTBOX_ID_LEN + 1], b[SK_OUTBOX_ID_LEN + 1];

    put_row(f, "msg_b", 200);
    put_row(f, "msg_a", 100);
    put_row(f, "msg_c", 300);
    sk_store_outbox row;
    memset(&row, 0, sizeof(row));
    snprintf(row.id, sizeof(row.id), "msg_a");
    snprintf(row.state, sizeof(row.state), "pending");
    assert_int_equal(sk_store_outbox_put(f->store, &row, &diag), SK_ERR_CONFLICT);
    memset(&ctx, 0, sizeof(ctx));
    assert_int_equal(sk_store_outbox_due(f->store, 250, 0, collect, &ctx, &diag), SK_OK);
    assert_int_equal(ctx.n, 2);
    assert_string_equal(ctx.ids[0], "msg_a");
    assert_string_equal(ctx.ids[1], "msg_b");
    /* A retry moves msg_a after msg_b; a delivery removes it from the due list. */
    assert_int_equal(sk_store_outbox_attempt(f->store, sk_str_c("msg_a"), "pending", 503,
                                             sk_str_c("503 from receiver"), 220, &diag),
                     SK_OK);
    memset(&ctx, 0, sizeof(ctx));
    assert_int_equal(sk_store_outbox_due(f->store, 250, 1, collect, &ctx, &diag), SK_OK);
    assert_int_equal(ctx.n, 1);
    assert_string_equal(ctx.ids[0], "msg_b");
    assert_int_equal(sk_store_outbox_attempt(f->store, sk_str_c("msg_a"), "delivered", 200,
                                             sk_str_c(""), 0, &diag),
                     SK_OK);
    assert_int_equal(
        sk_store_outbox_attempt(f->store, sk_str_c("msg_a"), "failed", 0, sk_str_c(""), 0, &diag),
        SK_ERR_CONFLICT);
    assert_int_equal(
        sk_store_outbox_attempt(f->store, sk_str_c("msg_zz"), "failed", 0, sk_str_c(""), 0, &diag),
        SK_ERR_NOT_FOUND);
    memset(&ctx, 0, sizeof(ctx));
    assert_int_equal(sk_store_outbox_list(f->store, sk_str_c("delivered"), collect, &ctx, &diag),
                     SK_OK);
    assert_int_equal(ctx.n, 1);
    /* Webhook ids are stable and distinct. */
    sk_outbox_id(sk_str_c("ab"), sk_str_c("c"), a);
    sk_outbox_id(sk_str_c("a"), sk_str_c("bc"), b);
    assert_int_equal(strlen(a), SK_OUTBOX_ID_LEN);
    assert_string_not_equal(a, b);
    sk_outbox_id(sk_str_c("ab"), sk_str_c("c"), b);
    assert_string_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refused_by_constraint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_url_and_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accepted_and_outbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_delete_rescind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_outbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_notifications, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
