/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_gen.h: the synthetic population generator behind `safekeep generate`.
 *
 * It simulates N children through apprehension, care, sponsor vetting,
 * release, follow-up and the immigration court, and writes three files into
 * an output directory:
 *
 *   events.jsonl  one event per line in the import format (docs/import.md),
 *                 sorted by recorded_at across all children, with about 1%
 *                 of events recorded late (after later-occurring events of
 *                 the same child);
 *   cases.csv     one row per child record in the spreadsheet format of
 *                 docs/import.md (CRLF, RFC 4180 quoting, dates partly typed
 *                 as people type them);
 *   truth.json    the generator's own counts (ids only, never names), so that
 *                 reports computed from an import can be checked.
 *
 * Everything is synthetic and deterministic: the same options give
 * byte-identical files, whatever the wall clock says. Memory stays bounded
 * by the children whose events are still pending output, not by N.
 */
#ifndef SK_GEN_H
#define SK_GEN_H

#include <stdint.h>
#include <stdio.h>

#include "safekeep/sk_core.h"

#define SK_GEN_CHILDREN_MAX  5000000u /* ids stay 7 digits with duplicates */
#define SK_GEN_YEARS_MAX     20u
#define SK_GEN_YEARS_DEFAULT 5u
#define SK_GEN_SEED_DEFAULT  1u
#define SK_GEN_END_DEFAULT   1767225599LL /* 2025-12-31T23:59:59Z */

/*
 * What to generate. Initialise with sk_gen_opts_init, then set at least
 * children and out_dir. The struct and the strings it points to are
 * borrowed for the duration of sk_gen_run.
 */
typedef struct sk_gen_opts {
    uint64_t children;   /* 1..SK_GEN_CHILDREN_MAX real children */
    unsigned years;      /* 1..SK_GEN_YEARS_MAX: apprehensions spread over this window */
    uint64_t seed;       /* any value; the same seed gives the same files */
    int64_t end;         /* last second of the window (Unix seconds, UTC); nothing
                            is recorded after it */
    const char *out_dir; /* created (with parents) when missing */
    FILE *progress;      /* progress lines go here when not NULL (the CLI passes
                            stderr only when it is a terminal) */
} sk_gen_opts;

/* What sk_gen_run wrote, for the caller's summary line. */
typedef struct sk_gen_stats {
    uint64_t children;   /* real children */
    uint64_t records;    /* child records: children plus duplicate records */
    uint64_t events;     /* lines in events.jsonl */
    uint64_t duplicates; /* second records created by another agency */
    uint64_t late;       /* events recorded after a later-occurring event */
} sk_gen_stats;

/* Sets the defaults: 0 children (must be set), SK_GEN_YEARS_DEFAULT years,
 * SK_GEN_SEED_DEFAULT, SK_GEN_END_DEFAULT, no output directory, no progress.
 * opts must not be NULL. Thread-safe. */
void sk_gen_opts_init(sk_gen_opts *opts);

/*
 * Generates the population described by opts and writes events.jsonl,
 * cases.csv and truth.json into opts->out_dir. Each file is written under a
 * temporary name and renamed into place only when all three are complete,
 * so a failed run leaves no partial output under the final names.
 *
 * stats (may be NULL) receives the counts on success. diag (may be NULL)
 * names the option or file at fault; messages never contain generated
 * identity values.
 *
 * Returns SK_OK; SK_ERR_INVALID for options out of range (children, years,
 * end before 2001, missing out_dir); SK_ERR_IO when the directory or a file
 * cannot be created or written; SK_ERR_NOMEM when memory runs out.
 *
 * Not thread-safe against another run writing the same directory; runs into
 * different directories may proceed in parallel.
 */
SK_NODISCARD sk_err sk_gen_run(const sk_gen_opts *opts, sk_gen_stats *stats, sk_diag *diag);

#endif /* SK_GEN_H */
