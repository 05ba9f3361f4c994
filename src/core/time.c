/* SPDX-License-Identifier: Apache-2.0 */
/*
 * time.c: civil dates and RFC 3339 timestamps without libc's locale- and
 * TZ-dependent functions. Day arithmetic follows Howard Hinnant's
 * days_from_civil algorithm, which is exact over the proleptic Gregorian
 * calendar. Spreadsheet dates ("3/14/2023", "14-Mar-2023") are accepted only
 * by sk_time_parse_human_date, so that the JSON path stays strict.
 */
#include "safekeep/sk_time.h"

#include <ctype.h>
#include <time.h>

#include "sk_int.h"

int64_t sk_days_from_civil(int64_t year, unsigned month, unsigned day)
{
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (int64_t)((month + 9) % 12);
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void sk_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);

    SK_ASSERT(year != NULL && month != NULL && day != NULL);
    *year = yoe + era * 400 + (m <= 2);
    *month = m;
    *day = d;
}

static unsigned days_in_month(int64_t year, unsigned month)
{
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    SK_ASSERT(month >= 1 && month <= 12);
    return month == 2 && leap ? 29 : mdays[month - 1];
}

/* Reads exactly n digits at p. */
static int digits(const char *p, size_t n, unsigned *out)
{
    unsigned v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return 1;
}

static sk_err civil_to_time(int64_t year, unsigned month, unsigned day, int64_t *out)
{
    if (year < 1900 || year > 2099 || month < 1 || month > 12 || day < 1 ||
        day > days_in_month(year, month))
        return SK_ERR_INVALID;
    *out = sk_days_from_civil(year, month, day) * 86400;
    return SK_OK;
}

sk_err sk_time_parse_date(sk_str text, int64_t *out)
{
    unsigned y, m, d;

    SK_ASSERT(out != NULL);
    if (text.len != SK_DATE_LEN || text.ptr[4] != '-' || text.ptr[7] != '-')
        return SK_ERR_INVALID;
    if (!digits(text.ptr, 4, &y) || !digits(text.ptr + 5, 2, &m) || !digits(text.ptr + 8, 2, &d))
        return SK_ERR_INVALID;
    return civil_to_time(y, m, d, out);
}

/* Parses "+HH:MM" / "-HH:MM" / "Z" at p (len bytes) into an offset in seconds. */
static sk_err parse_offset(const char *p, size_t len, int64_t *offset)
{
    unsigned hh, mm;

    if (len == 1 && (p[0] == 'Z' || p[0] == 'z')) {
        *offset = 0;
        return SK_OK;
    }
    if (len != 6 || (p[0] != '+' && p[0] != '-') || p[3] != ':')
        return SK_ERR_INVALID;
    if (!digits(p + 1, 2, &hh) || !digits(p + 4, 2, &mm) || hh > 23 || mm > 59)
        return SK_ERR_INVALID;
    *offset = (int64_t)(hh * 3600 + mm * 60) * (p[0] == '-' ? -1 : 1);
    return SK_OK;
}

sk_err sk_time_parse_rfc3339(sk_str text, int64_t *out)
{
    const char *p = text.ptr;
    unsigned hh, mi, ss;
    int64_t day, offset = 0;
    size_t i;
    sk_err rc;

    SK_ASSERT(out != NULL);
    if (text.len < SK_RFC3339_LEN || text.len > 40)
        return SK_ERR_INVALID;
    rc = sk_time_parse_date((sk_str){p, SK_DATE_LEN}, &day);
    if (rc != SK_OK)
        return rc;
    if (p[10] != 'T' && p[10] != 't' && p[10] != ' ')
        return SK_ERR_INVALID;
    if (p[13] != ':' || p[16] != ':')
        return SK_ERR_INVALID;
    if (!digits(p + 11, 2, &hh) || !digits(p + 14, 2, &mi) || !digits(p + 17, 2, &ss))
        return SK_ERR_INVALID;
    if (hh > 23 || mi > 59 || ss > 60)
        return SK_ERR_INVALID;
    i = 19;
    if (i < text.len && p[i] == '.') {
        i++;
        if (i >= text.len || p[i] < '0' || p[i] > '9')
            return SK_ERR_INVALID;
        while (i < text.len && p[i] >= '0' && p[i] <= '9')
            i++;
    }
    rc = parse_offset(p + i, text.len - i, &offset);
    if (rc != SK_OK)
        return rc;
    /* A leap second is folded into the next second. */
    *out = day + (int64_t)(hh * 3600 + mi * 60 + ss) - offset;
    return SK_OK;
}

static const char *const month_names[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};

/* Matches a month name or its three-letter abbreviation (any case). */
static unsigned month_from_name(const char *p, size_t len)
{
    static const char *const full[12] = {"january",   "february", "march",    "april",
                                         "may",       "june",     "july",     "august",
                                         "september", "october",  "november", "december"};
    char low[12];
    size_t i;

    if (len < 3 || len >= sizeof(low))
        return 0;
    for (i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)p[i]);
    for (i = 0; i < 12; i++) {
        if ((len == 3 && memcmp(low, month_names[i], 3) == 0) ||
            (len == strlen(full[i]) && memcmp(low, full[i], len) == 0) ||
            (len == 4 && i == 8 && memcmp(low, "sept", 4) == 0))
            return (unsigned)i + 1;
    }
    return 0;
}

/* Splits text into at most 3 tokens of letters or digits; separators are
 * space, '/', '-', '.', ','. */
static size_t tokenize(sk_str text, sk_str tok[3])
{
    size_t n = 0, i = 0;

    while (i < text.len) {
        char c = text.ptr[i];
        if (c == ' ' || c == '/' || c == '-' || c == '.' || c == ',') {
            i++;
            continue;
        }
        if (n == 3)
            return 4;
        size_t start = i;
        int alpha = isalpha((unsigned char)c) != 0;
        while (i < text.len &&
               (alpha ? isalpha((unsigned char)text.ptr[i]) : isdigit((unsigned char)text.ptr[i])))
            i++;
        if (i == start)
            return 4; /* a character that is neither */
        tok[n].ptr = text.ptr + start;
        tok[n].len = i - start;
        n++;
    }
    return n;
}

static int number(sk_str t, unsigned *out)
{
    return t.len >= 1 && t.len <= 4 && digits(t.ptr, t.len, out);
}

static sk_err human_tokens(sk_str tok[3], int64_t *out)
{
    unsigned a, b, y, m;

    if (isalpha((unsigned char)tok[0].ptr[0])) { /* March 14 2023 */
        m = month_from_name(tok[0].ptr, tok[0].len);
        if (m == 0 || !number(tok[1], &b) || tok[2].len != 4 || !number(tok[2], &y))
            return SK_ERR_INVALID;
        return civil_to_time(y, m, b, out);
    }
    if (isalpha((unsigned char)tok[1].ptr[0])) { /* 14-Mar-2023 */
        m = month_from_name(tok[1].ptr, tok[1].len);
        if (m == 0 || !number(tok[0], &a) || !number(tok[2], &y))
            return SK_ERR_INVALID;
        if (tok[2].len == 2)
            y += y < 70 ? 2000 : 1900;
        else if (tok[2].len != 4)
            return SK_ERR_INVALID;
        return civil_to_time(y, m, a, out);
    }
    if (!number(tok[0], &a) || !number(tok[1], &b) || !number(tok[2], &y))
        return SK_ERR_INVALID;
    if (tok[0].len == 4) /* 2023/03/14 */
        return civil_to_time(a, b, y, out);
    if (tok[2].len == 2)
        y += y < 70 ? 2000 : 1900;
    else if (tok[2].len != 4)
        return SK_ERR_INVALID;
    if (a > 12) /* 14/03/2023 can only be day first */
        return civil_to_time(y, b, a, out);
    return civil_to_time(y, a, b, out);
}

sk_err sk_time_parse_human_date(sk_str text, int64_t *out)
{
    sk_str tok[3];
    size_t n;
    int64_t t;

    SK_ASSERT(out != NULL);
    while (text.len > 0 && (text.ptr[0] == ' ' || text.ptr[0] == '\t')) {
        text.ptr++;
        text.len--;
    }
    while (text.len > 0 && (text.ptr[text.len - 1] == ' ' || text.ptr[text.len - 1] == '\t'))
        text.len--;
    if (text.len == 0 || text.len > 40)
        return SK_ERR_INVALID;
    if (sk_time_parse_date(text, out) == SK_OK)
        return SK_OK;
    if (text.len > SK_DATE_LEN && sk_time_parse_rfc3339(text, &t) == SK_OK) {
        return sk_time_parse_date((sk_str){text.ptr, SK_DATE_LEN}, out);
    }
    n = tokenize(text, tok);
    if (n != 3)
        return SK_ERR_INVALID;
    return human_tokens(tok, out);
}

static void split(int64_t t, int64_t *days, unsigned *secs)
{
    int64_t d = t / 86400, s = t % 86400;
    if (s < 0) {
        s += 86400;
        d--;
    }
    *days = d;
    *secs = (unsigned)s;
}

void sk_time_format_rfc3339(int64_t t, char buf[SK_RFC3339_LEN + 1])
{
    int64_t days, y;
    unsigned secs, m, d;

    SK_ASSERT(buf != NULL);
    split(t, &days, &secs);
    sk_civil_from_days(days, &y, &m, &d);
    snprintf(buf, SK_RFC3339_LEN + 1, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)(y % 10000),
             m % 100, d % 100, (secs / 3600) % 100, (secs / 60) % 60, secs % 60);
}

void sk_time_format_date(int64_t t, char buf[SK_DATE_LEN + 1])
{
    int64_t days, y;
    unsigned secs, m, d;

    SK_ASSERT(buf != NULL);
    split(t, &days, &secs);
    sk_civil_from_days(days, &y, &m, &d);
    snprintf(buf, SK_DATE_LEN + 1, "%04u-%02u-%02u", (unsigned)(y % 10000), m % 100, d % 100);
}

int64_t sk_time_now(void)
{
    const char *pinned = getenv("SAFEKEEP_NOW");
    struct timespec ts;
    int64_t t;

    if (pinned != NULL && sk_time_parse_rfc3339(sk_str_c(pinned), &t) == SK_OK)
        return t;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}
