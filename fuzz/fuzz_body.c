/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_body.c: libFuzzer target for the events of an HTTP API request body
 * (sk_body.h), the first parser every client of the API reaches. The first
 * byte of an input selects the mode (odd: a batch {"events":[...]}, even: one
 * event object); the rest is the body. Besides "never crash", an accepted
 * body must give 1..max finished events, each with the child as its first
 * subject and the token's agency and user; a refused one must say why, with
 * a JSON pointer that is empty or starts with "/", and none at all when the
 * body is not JSON. A second parse, without a diagnostic (diag may be NULL),
 * must reach the same verdict.
 */
#include <stdint.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_body.h"
#include "safekeep/sk_model.h"

#include "sk_int.h"

#define NOW 1900000000 /* 2030: fixed, so runs are reproducible */
#define MAX 8          /* events of a batch */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ok(const sk_event *events, size_t count)
{
    size_t i;

    SK_ASSERT(events != NULL);
    SK_ASSERT(count >= 1 && count <= MAX);
    for (i = 0; i < count; i++) {
        SK_ASSERT(events[i].subject_count >= 1);
        SK_ASSERT(events[i].subject_count <= SK_SUBJECTS_MAX);
        SK_ASSERT(events[i].subjects[0].len > 0);
        SK_ASSERT(events[i].id[0] != '\0');
        SK_ASSERT(sk_str_eqc(events[i].agency, "ORR"));
        SK_ASSERT(sk_str_eqc(events[i].user, "cm.0042"));
        SK_ASSERT(events[i].payload_json.len >= 2);
    }
}

static void check_error(sk_err rc, const sk_diag *diag)
{
    SK_ASSERT(rc != SK_OK);
    SK_ASSERT(diag->msg[0] != '\0');
    SK_ASSERT(diag->field[0] == '\0' || diag->field[0] == '/');
    if (strcmp(diag->where, SK_BODY_WHERE_JSON) == 0) {
        SK_ASSERT(rc == SK_ERR_INVALID);
        SK_ASSERT(diag->field[0] == '\0');
    } else {
        SK_ASSERT(diag->where[0] == '\0');
    }
}

static sk_err parse(sk_str body, int batch, sk_arena *arena, sk_event **events, size_t *count,
                    sk_diag *diag)
{
    return sk_body_events(body, batch, MAX, SK_STR("ORR"), SK_STR("cm.0042"), NOW, arena, events,
                          count, diag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_arena *arena = NULL, *again = NULL;
    sk_event *events = NULL, *events2 = NULL;
    size_t count = 0, count2 = 0;
    sk_str body;
    sk_diag diag;
    sk_err rc, rc2;
    int batch;

    if (size == 0)
        return 0;
    batch = data[0] & 1;
    body = (sk_str){(const char *)data + 1, size - 1};
    if (sk_arena_new(64 * 1024, 8 * 1024 * 1024, &arena) != SK_OK ||
        sk_arena_new(64 * 1024, 8 * 1024 * 1024, &again) != SK_OK)
        goto out;
    sk_diag_clear(&diag);
    rc = parse(body, batch, arena, &events, &count, &diag);
    if (rc == SK_OK) {
        check_ok(events, count);
    } else {
        check_error(rc, &diag);
        SK_ASSERT(events == NULL && count == 0);
    }
    rc2 = parse(body, batch, again, &events2, &count2, NULL);
    SK_ASSERT(rc2 == rc);
    SK_ASSERT(count2 == count);
    sk_arena_free(again);
    again = NULL;
out:
    sk_arena_free(again);
    sk_arena_free(arena);
    return 0;
}
