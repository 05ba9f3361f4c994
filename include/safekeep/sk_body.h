/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_body.h: the events of an API request body. A client of the HTTP API
 * sends one event, or a batch of them, as JSON; this turns the body into
 * finished events (sk_model.h) or into one precise diagnostic naming the bad
 * value by its JSON pointer (RFC 6901), so the server can answer 422 with
 * "/events/3/payload/dob" rather than a guess. The parser is part of the
 * library, not of the server, so that it can be fuzzed on its own.
 */
#ifndef SK_BODY_H
#define SK_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_core.h"
#include "safekeep/sk_model.h"

/* diag->where of a body that is not a JSON object at all (400 rather than
 * 422: there is no value to point at). */
#define SK_BODY_WHERE_JSON "json"

/*
 * Parses an API request body of events: batch 0 -> one event object; batch 1
 * -> {"events":[obj,...]} with 1..max events (max > 0). Each object is an
 * event as in docs/events.md, except that "agency" and "user" may be omitted
 * (they are then filled in from agency and user, the token's) and, when
 * given, must equal them. Unknown top-level keys are refused, "seq" and "quality" too (the
 * ledger assigns those). Events are parsed and finished with
 * sk_event_parse_json, with now as the wall clock (Unix seconds).
 *
 * body, agency and user are borrowed. On SK_OK, *events is an array of
 * *count (1..max) finished events, all of it owned by arena (valid until the
 * arena is reset); on error *events is NULL and *count 0.
 *
 * Errors (diag, which may be NULL, says which and why, never quoting a
 * value):
 * - SK_ERR_INVALID with diag->where = SK_BODY_WHERE_JSON and diag->field ""
 *   when the body is not JSON (bad syntax or UTF-8, a duplicate key, a number
 *   too large for JSON integers, nesting deeper than the JSON parser takes) or
 *   is not an object;
 * - SK_ERR_INVALID with diag->where "" and diag->field the JSON pointer of
 *   the bad value ("/events/3/payload/dob", "/agency", "" for the whole body)
 *   and diag->msg what was expected: a wrong type, an unknown key, a value
 *   the event model refuses, an event longer than SK_EVENT_LINE_MAX bytes (a
 *   pointer longer than diag->field holds names the enclosing value instead);
 * - SK_ERR_TOO_LARGE with diag->field "/events" for more than max events;
 * - the arena's SK_ERR_TOO_LARGE or SK_ERR_NOMEM when it is exhausted, and
 *   SK_ERR_NOMEM when the heap is.
 *
 * Thread-safe given a distinct arena per thread.
 */
SK_NODISCARD sk_err sk_body_events(sk_str body, int batch, size_t max, sk_str agency, sk_str user,
                                   int64_t now, sk_arena *arena, sk_event **events, size_t *count,
                                   sk_diag *diag);

#endif /* SK_BODY_H */
