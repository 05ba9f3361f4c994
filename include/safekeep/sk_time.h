/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_time.h: civil dates and RFC 3339 timestamps, in UTC, as Unix seconds.
 * Pure functions over the proleptic Gregorian calendar; no locale, no TZ.
 */
#ifndef SK_TIME_H
#define SK_TIME_H

#include <stdint.h>

#include "safekeep/sk_core.h"

#define SK_TIME_MIN    946684800LL   /* 2000-01-01: nothing in the domain is older... */
#define SK_DATE_MIN    -2208988800LL /* ...except birth dates, 1900-01-01 onwards */
#define SK_TIME_MAX    4102444800LL  /* 2100-01-01 */
#define SK_RFC3339_LEN 20            /* "YYYY-MM-DDTHH:MM:SSZ" */
#define SK_DATE_LEN    10            /* "YYYY-MM-DD" */

/* Days since 1970-01-01 for a civil date; no range check. */
int64_t sk_days_from_civil(int64_t year, unsigned month, unsigned day);

/* Civil date of a day number. */
void sk_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);

/* Parses RFC 3339 ("2023-03-14T16:05:00Z", "...05.123+02:00", lower-case t/z,
 * a space for T). Fractions are dropped. SK_ERR_INVALID otherwise. */
SK_NODISCARD sk_err sk_time_parse_rfc3339(sk_str text, int64_t *out);

/* Parses "YYYY-MM-DD" strictly. */
SK_NODISCARD sk_err sk_time_parse_date(sk_str text, int64_t *out);

/* Parses a date as people type it into a spreadsheet (docs/import.md):
 * ISO, M/D/YYYY, M/D/YY, D-Mon-YYYY, "Month D, YYYY", "Mon D YYYY", and an
 * ISO timestamp whose time part is ignored. */
SK_NODISCARD sk_err sk_time_parse_human_date(sk_str text, int64_t *out);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" plus NUL into buf (SK_RFC3339_LEN + 1 bytes). */
void sk_time_format_rfc3339(int64_t t, char buf[SK_RFC3339_LEN + 1]);

/* Writes "YYYY-MM-DD" plus NUL into buf (SK_DATE_LEN + 1 bytes). */
void sk_time_format_date(int64_t t, char buf[SK_DATE_LEN + 1]);

/* Wall-clock time, Unix seconds; honours SAFEKEEP_NOW (RFC 3339) so that
 * tests and the generator can pin "now". */
int64_t sk_time_now(void);

#endif /* SK_TIME_H */
