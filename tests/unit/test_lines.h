/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_lines.h: ingests hand-written JSON event lines in one transaction,
 * for the unit tests that build small ledgers line by line. Include after
 * cmocka.h and safekeep/sk_ingest.h.
 */
#ifndef SK_TEST_LINES_H
#define SK_TEST_LINES_H

/* Parses and ingests each line in one transaction; fails the test, naming
 * the line and field, on any error. arena is reset for each line. */
static inline void sk_test_ingest_lines(sk_ingest *ing, sk_arena *arena, const char *const *lines,
                                        size_t n)
{
    sk_diag diag;
    sk_event ev;
    size_t i;
    sk_err rc;

    sk_diag_clear(&diag);
    rc = sk_ingest_begin(ing, &diag);
    for (i = 0; rc == SK_OK && i < n; i++) {
        sk_arena_reset(arena);
        rc = sk_event_parse_json(sk_str_c(lines[i]), arena, sk_ingest_now(ing), &ev, &diag);
        if (rc == SK_OK)
            rc = sk_ingest_event(ing, &ev, &diag);
    }
    if (rc == SK_OK)
        rc = sk_ingest_commit(ing, &diag);
    if (rc != SK_OK) {
        sk_ingest_abort(ing);
        fail_msg("ingest line %zu: %s: %s", i, diag.field, diag.msg);
    }
}

#endif /* SK_TEST_LINES_H */
