/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_jsonl.c: libFuzzer target for one line of the JSON event format, the
 * parser that takes events from other agencies. Besides "never crash", it
 * checks a round trip: an accepted event, written back out with its
 * identity fields, must parse again to the same canonical payload and
 * identity.
 */
#include <stdint.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_buf.h"
#include "safekeep/sk_model.h"

#include "sk_int.h"

#define NOW 1900000000 /* 2030: fixed, so runs are reproducible */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const sk_event *ev, sk_arena *arena)
{
    sk_event again;
    sk_buf buf;
    sk_err rc;

    sk_buf_init(&buf, SK_EVENT_LINE_MAX * 4);
    rc = sk_event_to_json(ev, 0, &ev->identity_json, &buf);
    SK_ASSERT(rc == SK_OK);
    if (buf.len <= SK_EVENT_LINE_MAX) {
        rc = sk_event_parse_json(sk_buf_str(&buf), arena, NOW, &again, NULL);
        SK_ASSERT(rc == SK_OK);
        SK_ASSERT(sk_str_eq(again.payload_json, ev->payload_json));
        SK_ASSERT(sk_str_eq(again.identity_json, ev->identity_json));
        SK_ASSERT(again.occurred_at == ev->occurred_at);
    }
    sk_buf_fini(&buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_arena *arena = NULL;
    sk_diag diag;
    sk_event ev;

    if (sk_arena_new(64 * 1024, 4 * 1024 * 1024, &arena) != SK_OK)
        return 0;
    sk_diag_clear(&diag);
    if (sk_event_parse_json((sk_str){(const char *)data, size}, arena, NOW, &ev, &diag) == SK_OK)
        round_trip(&ev, arena);
    else
        SK_ASSERT(diag.msg[0] != '\0');
    sk_arena_free(arena);
    return 0;
}
