/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv.c: a streaming RFC 4180 reader for spreadsheet exports.
 *
 * Design. The reader owns one buffer. Input (a file descriptor, or caller
 * memory copied through the same path so both sources share one parser)
 * arrives in it by refills that first move the unparsed tail to the front
 * and then read until the buffer is full or the input ends. A record is
 * parsed from its first byte in one pass that only records field boundaries
 * and never writes: if the buffer runs out before the record ends, the reader
 * refills and parses the record again from its start. Because a refill
 * always fills the buffer and the buffer holds record_bytes_max + 2 bytes, a
 * record is re-parsed at most once per refill, and running out of buffer with
 * a full window means the record is too large. Only when the record is
 * complete are quoted fields with doubled quotes unescaped, in place, which
 * keeps each field contiguous and the reader free of per-field allocation.
 *
 * The parse window is also clamped to record_bytes_max + 2 bytes, so a huge
 * in-memory record costs no more scanning than a streamed one, and a small
 * buffer gives exactly the same records and errors as a large one (the
 * fuzzer checks this).
 *
 * Speed comes from the inner scans: eight bytes at a time are tested for
 * the few bytes that need attention (separator, quote, CR, LF, NUL, any
 * non-ASCII byte) with word-wide bit tricks, and plain ASCII runs are skipped
 * without a per-byte branch. Non-ASCII bytes are validated as UTF-8 where
 * they are met, so validation costs nothing for ASCII data.
 *
 * Error messages name the line and column only, never input bytes.
 */
#include "safekeep/sk_csv.h"

#include <errno.h>
#include <unistd.h>

#include "sk_int.h"

/* The smallest buffer: the byte-order mark check needs three bytes. */
#define BUF_BYTES_MIN 8

struct sk_csv {
    int fd;                   /* -1 for a memory source */
    const unsigned char *mem; /* memory source, borrowed */
    size_t mem_len;
    size_t mem_pos; /* bytes of mem already copied into buf */
    unsigned char *buf;
    size_t cap;
    size_t pos;        /* first unparsed byte in buf */
    size_t end;        /* end of valid bytes in buf */
    size_t high_water; /* most bytes of buf ever filled, for the wipe */
    uint64_t buf_base; /* input offset of buf[0] */
    uint64_t line;     /* physical line of buf[pos], 1-based */
    uint64_t rec_line; /* line on which the last returned record started */
    size_t record_bytes_max;
    int eof; /* the source has no more bytes */
    int bom_done;
    sk_err failed; /* sticky error; SK_OK while healthy */
    sk_str fields[SK_CSV_FIELDS_MAX];
    unsigned char unescape[SK_CSV_FIELDS_MAX]; /* field holds "" pairs */
};

/* Outcome of one parse attempt over the current window. */
typedef enum step { STEP_DONE, STEP_MORE, STEP_FAIL } step;

/* The state of one record parse; discarded when the parse restarts. */
typedef struct rec {
    const unsigned char *lim; /* end of the window */
    int at_eof;               /* the window ends where the input ends */
    size_t count;             /* fields completed so far */
    uint64_t lines;           /* line ends inside quoted fields so far */
    sk_err err;               /* set with STEP_FAIL */
} rec;

/* ---- Word-at-a-time scanning ------------------------------------------- */

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Nonzero when some byte of w is zero. Borrows can only flag bytes above a
 * real zero byte, so the lowest flagged byte is always a real match. */
static inline uint64_t zero_bytes(uint64_t w)
{
    return (w - ONES) & ~w & HIGHS;
}

static inline uint64_t byte_bytes(uint64_t w, unsigned char c)
{
    return zero_bytes(w ^ (ONES * c));
}

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

/* Index of the lowest flagged byte of a nonzero mask, or 8 when the byte
 * order does not allow the shortcut and the caller must look byte by byte. */
static inline size_t first_flagged(uint64_t mask)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (size_t)__builtin_ctzll(mask) >> 3;
#else
    (void)mask;
    return 0;
#endif
}

/* The first byte in [p, lim) that ends an unquoted run: comma, CR, LF, NUL
 * or non-ASCII; lim if none. A quote is plain text here. */
static inline const unsigned char *scan_plain(const unsigned char *p, const unsigned char *lim)
{
    while (lim - p >= 8) {
        uint64_t w = load64(p);
        uint64_t m = byte_bytes(w, ',') | byte_bytes(w, '\n') | byte_bytes(w, '\r') |
                     zero_bytes(w) | (w & HIGHS);
        if (m != 0) {
            p += first_flagged(m);
            break;
        }
        p += 8;
    }
    while (p < lim && *p != ',' && *p != '\n' && *p != '\r' && *p != 0 && *p < 0x80)
        p++;
    return p;
}

/* The first byte in [p, lim) that ends a run inside quotes: quote, CR, LF,
 * NUL or non-ASCII; lim if none. */
static inline const unsigned char *scan_quoted(const unsigned char *p, const unsigned char *lim)
{
    while (lim - p >= 8) {
        uint64_t w = load64(p);
        uint64_t m = byte_bytes(w, '"') | byte_bytes(w, '\n') | byte_bytes(w, '\r') |
                     zero_bytes(w) | (w & HIGHS);
        if (m != 0) {
            p += first_flagged(m);
            break;
        }
        p += 8;
    }
    while (p < lim && *p != '"' && *p != '\n' && *p != '\r' && *p != 0 && *p < 0x80)
        p++;
    return p;
}

static inline const unsigned char *skip_blanks(const unsigned char *p, const unsigned char *lim)
{
    while (p < lim && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* ---- UTF-8 ------------------------------------------------------------- */

static inline int is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/*
 * Checks the sequence starting with the non-ASCII byte at p (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF). Returns its length,
 * 0 when it is malformed, or -1 when it is cut by the window and more input
 * may complete it.
 */
static int utf8_check(const unsigned char *p, const unsigned char *lim, int at_eof)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    int n;

    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    /* Judge the bytes that are present first: a bad one is an error even
     * when the sequence is also cut short. */
    for (int i = 1; i < n; i++) {
        if (p + i >= lim)
            return at_eof ? 0 : -1;
        if (i == 1 ? (p[1] < lo || p[1] > hi) : !is_cont(p[i]))
            return 0;
    }
    return n;
}

/* ---- Record parsing ---------------------------------------------------- */

/* Records an error at the column being parsed and the given line. */
static step fail(rec *r, sk_err err, uint64_t line, sk_diag *diag, const char *msg)
{
    char column[32];

    snprintf(column, sizeof(column), "column %zu", r->count + 1);
    r->err = sk_diag_set(diag, err, column, "%s", msg);
    if (diag != NULL)
        diag->line = line;
    return STEP_FAIL;
}

/* The column limit is a constant, but the message should still show it. */
static step too_many_fields(rec *r, uint64_t line, sk_diag *diag)
{
    char msg[64];

    snprintf(msg, sizeof(msg), "too many columns (at most %d)", SK_CSV_FIELDS_MAX);
    return fail(r, SK_ERR_TOO_LARGE, line, diag, msg);
}

/* The input ended inside a quoted field. The line of its opening quote is
 * the useful one: the reader has swallowed everything after it. */
static step unterminated(rec *r, uint64_t open_line, sk_diag *diag)
{
    char msg[128];

    snprintf(msg, sizeof(msg),
             "unterminated quoted field starting on line %llu (closing quote expected)",
             (unsigned long long)open_line);
    return fail(r, SK_ERR_INVALID, open_line, diag, msg);
}

/* Too many raw bytes in one record. The record's first line is reported, as
 * its end may be far away; no column, since the limit applies to the whole
 * record. */
static step too_large(const sk_csv *csv, rec *r, sk_diag *diag)
{
    r->err = sk_diag_set(diag, SK_ERR_TOO_LARGE, "", "record too large (at most %zu bytes)",
                         csv->record_bytes_max);
    if (diag != NULL)
        diag->line = csv->line;
    return STEP_FAIL;
}

/* Handles the non-ASCII or NUL byte at *pp inside a field: steps over a
 * valid UTF-8 sequence or reports why it cannot. */
static step special_byte(sk_csv *csv, rec *r, const unsigned char **pp, sk_diag *diag)
{
    const unsigned char *p = *pp;
    int n;

    if (*p == 0)
        return fail(r, SK_ERR_INVALID, csv->line + r->lines, diag,
                    "NUL byte where text was expected");
    n = utf8_check(p, r->lim, r->at_eof);
    if (n < 0)
        return STEP_MORE;
    if (n == 0)
        return fail(r, SK_ERR_INVALID, csv->line + r->lines, diag,
                    "invalid UTF-8 (the file must be saved as UTF-8)");
    *pp = p + n;
    return STEP_DONE;
}

/* Parses an unquoted field starting at *pp; stops at its comma or line end
 * (or the window end), trimming spaces and tabs at the end. */
static step field_plain(sk_csv *csv, rec *r, const unsigned char **pp, sk_diag *diag)
{
    const unsigned char *start = *pp;
    const unsigned char *p = start;
    const unsigned char *e;

    for (;;) {
        step s;
        p = scan_plain(p, r->lim);
        if (p == r->lim || *p == ',' || *p == '\n' || *p == '\r')
            break;
        s = special_byte(csv, r, &p, diag);
        if (s != STEP_DONE)
            return s;
    }
    e = p;
    while (e > start && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    csv->fields[r->count].ptr = (const char *)start;
    csv->fields[r->count].len = (size_t)(e - start);
    csv->unescape[r->count] = 0;
    *pp = p;
    return STEP_DONE;
}

/* Scans the inside of a quoted field from p (just after the opening quote)
 * to its closing quote, counting line ends; *has_pairs notes "" pairs. */
static step quoted_body(sk_csv *csv, rec *r, const unsigned char **pp, int *has_pairs,
                        uint64_t open_line, sk_diag *diag)
{
    const unsigned char *p = *pp;

    for (;;) {
        step s;
        p = scan_quoted(p, r->lim);
        if (p == r->lim) {
            if (!r->at_eof)
                return STEP_MORE;
            return unterminated(r, open_line, diag);
        }
        if (*p == '"') {
            /* A quote needs the next byte: "" is a quote, else it closes. */
            if (p + 1 == r->lim && !r->at_eof)
                return STEP_MORE;
            if (p + 1 == r->lim || p[1] != '"')
                break;
            *has_pairs = 1;
            p += 2;
        } else if (*p == '\r') {
            /* CRLF is one line end, counted at its LF. */
            if (p + 1 == r->lim && !r->at_eof)
                return STEP_MORE;
            if (p + 1 == r->lim || p[1] != '\n')
                r->lines++;
            p++;
        } else if (*p == '\n') {
            r->lines++;
            p++;
        } else {
            s = special_byte(csv, r, &p, diag);
            if (s != STEP_DONE)
                return s;
        }
    }
    *pp = p;
    return STEP_DONE;
}

/* Parses a quoted field whose opening quote is at *pp, and the blanks after
 * its closing quote; stops at the comma or line end that follows. */
static step field_quoted(sk_csv *csv, rec *r, const unsigned char **pp, sk_diag *diag)
{
    const unsigned char *start = *pp + 1;
    const unsigned char *p = start;
    uint64_t open_line = csv->line + r->lines;
    int has_pairs = 0;
    step s;

    s = quoted_body(csv, r, &p, &has_pairs, open_line, diag);
    if (s != STEP_DONE)
        return s;
    csv->fields[r->count].ptr = (const char *)start;
    csv->fields[r->count].len = (size_t)(p - start);
    csv->unescape[r->count] = (unsigned char)has_pairs;
    p = skip_blanks(p + 1, r->lim);
    if (p < r->lim && *p != ',' && *p != '\n' && *p != '\r')
        return fail(r, SK_ERR_INVALID, csv->line + r->lines, diag,
                    "character after closing quote (comma or line end expected; "
                    "quotes inside a quoted field must be doubled)");
    *pp = p;
    return STEP_DONE;
}

/*
 * Parses one record starting at buf[pos] within the current window, without
 * writing to the buffer. On STEP_DONE r->count fields are set and *rec_end
 * is the offset just past the record's line end.
 */
static step parse_record(sk_csv *csv, rec *r, size_t *rec_end, sk_diag *diag)
{
    const unsigned char *base = csv->buf + csv->pos;
    size_t avail = csv->end - csv->pos;
    size_t window = avail < csv->record_bytes_max + 2 ? avail : csv->record_bytes_max + 2;
    const unsigned char *p = base;
    const unsigned char *content_end;

    SK_ASSERT(csv->pos <= csv->end);
    SK_ASSERT(csv->end <= csv->cap);
    r->lim = base + window;
    r->at_eof = csv->eof && window == avail;
    for (;;) {
        step s;
        if (r->count == SK_CSV_FIELDS_MAX)
            return too_many_fields(r, csv->line + r->lines, diag);
        p = skip_blanks(p, r->lim);
        s = p < r->lim && *p == '"' ? field_quoted(csv, r, &p, diag)
                                    : field_plain(csv, r, &p, diag);
        if (s != STEP_DONE)
            return s;
        r->count++;
        if (p == r->lim && !r->at_eof)
            return STEP_MORE;
        if (p == r->lim || *p != ',')
            break;
        p++;
    }
    content_end = p;
    if (p < r->lim) {
        /* A line end: CR needs one byte of look-ahead for CRLF. */
        if (*p == '\r' && p + 1 == r->lim && !r->at_eof)
            return STEP_MORE;
        p += *p == '\r' && p + 1 < r->lim && p[1] == '\n' ? 2 : 1;
        r->lines++;
    }
    if ((size_t)(content_end - base) > csv->record_bytes_max)
        return too_large(csv, r, diag);
    *rec_end = (size_t)(p - csv->buf);
    return STEP_DONE;
}

/* Turns each "" into " inside a quoted field's bytes, in place, and returns
 * the new length. Every quote in a finished quoted field starts a pair. */
static size_t unescape_pairs(unsigned char *s, size_t len)
{
    unsigned char *w = memchr(s, '"', len);
    const unsigned char *r = w;
    const unsigned char *e = s + len;

    /* Only fields whose scan met a "" pair come here. */
    SK_ASSERT(w != NULL);
    while (r < e) {
        const unsigned char *q;
        size_t n;
        SK_DEBUG_ASSERT(r + 1 < e);
        SK_DEBUG_ASSERT(r[1] == '"');
        *w++ = '"';
        r += 2;
        q = memchr(r, '"', (size_t)(e - r));
        n = (size_t)((q != NULL ? q : e) - r);
        memmove(w, r, n);
        w += n;
        r += n;
    }
    return (size_t)(w - s);
}

/* Rewrites the fields that held "" pairs; the record is complete, so no
 * later parse will look at these bytes again. */
static void finish_fields(sk_csv *csv, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (csv->unescape[i]) {
            size_t off = (size_t)((const unsigned char *)csv->fields[i].ptr - csv->buf);
            SK_ASSERT(off + csv->fields[i].len <= csv->end);
            csv->fields[i].len = unescape_pairs(csv->buf + off, csv->fields[i].len);
        }
    }
}

/* ---- Input ------------------------------------------------------------- */

/* Moves the unparsed bytes to the front of the buffer and reads until it is
 * full or the input ends. Filling completely is what bounds re-parsing. */
static sk_err refill(sk_csv *csv, sk_diag *diag)
{
    sk_err rc = SK_OK;

    if (csv->pos > 0) {
        memmove(csv->buf, csv->buf + csv->pos, csv->end - csv->pos);
        csv->buf_base += csv->pos;
        csv->end -= csv->pos;
        csv->pos = 0;
    }
    while (csv->end < csv->cap && !csv->eof) {
        size_t room = csv->cap - csv->end;
        if (csv->fd < 0) {
            size_t n = csv->mem_len - csv->mem_pos < room ? csv->mem_len - csv->mem_pos : room;
            if (n > 0)
                memcpy(csv->buf + csv->end, csv->mem + csv->mem_pos, n);
            csv->mem_pos += n;
            csv->end += n;
            csv->eof = csv->mem_pos == csv->mem_len;
            continue;
        }
        ssize_t got = read(csv->fd, csv->buf + csv->end, room);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = sk_diag_set(diag, SK_ERR_IO, "", "read failed (errno %d)", errno);
            if (diag != NULL)
                diag->line = csv->line;
            goto out;
        }
        csv->end += (size_t)got;
        csv->eof = got == 0;
    }
out:
    if (csv->end > csv->high_water)
        csv->high_water = csv->end;
    return rc;
}

/* Skips the byte-order mark (once) and blank lines before a record, reading
 * as needed. Returns SK_ERR_NOT_FOUND when the input ends first. */
static sk_err skip_to_record(sk_csv *csv, sk_diag *diag)
{
    sk_err rc = SK_OK;

    while (!csv->bom_done && csv->end - csv->pos < 3 && !csv->eof) {
        rc = refill(csv, diag);
        if (rc != SK_OK)
            goto out;
    }
    if (!csv->bom_done && csv->end - csv->pos >= 3 &&
        memcmp(csv->buf + csv->pos, "\xEF\xBB\xBF", 3) == 0)
        csv->pos += 3;
    csv->bom_done = 1;
    for (;;) {
        size_t avail = csv->end - csv->pos;
        const unsigned char *p = csv->buf + csv->pos;
        if (avail == 0 || (avail == 1 && *p == '\r' && !csv->eof)) {
            if (csv->eof && avail == 0) {
                rc = SK_ERR_NOT_FOUND;
                goto out;
            }
            rc = refill(csv, diag);
            if (rc != SK_OK)
                goto out;
            continue;
        }
        if (*p != '\n' && *p != '\r')
            break;
        csv->pos += *p == '\r' && avail > 1 && p[1] == '\n' ? 2 : 1;
        csv->line++;
    }
out:
    return rc;
}

/* ---- Public API -------------------------------------------------------- */

static sk_err open_source(int fd, sk_str data, size_t buf_bytes, size_t record_bytes_max,
                          sk_csv **out)
{
    sk_err rc = SK_OK;
    sk_csv *csv = NULL;
    size_t cap;

    SK_ASSERT(out != NULL);
    *out = NULL;
    if (record_bytes_max == 0 || record_bytes_max > SK_CSV_RECORD_BYTES_LIMIT) {
        rc = SK_ERR_INVALID;
        goto out;
    }
    cap = buf_bytes > record_bytes_max + 2 ? buf_bytes : record_bytes_max + 2;
    /* A memory source never needs more than its own size (plus room to
     * notice that it ended). */
    if (fd < 0 && cap > data.len + 1)
        cap = data.len + 1;
    if (cap < BUF_BYTES_MIN)
        cap = BUF_BYTES_MIN;
    csv = calloc(1, sizeof(*csv));
    if (csv == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    csv->buf = malloc(cap);
    if (csv->buf == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    csv->fd = fd;
    csv->mem = (const unsigned char *)data.ptr;
    csv->mem_len = data.len;
    csv->cap = cap;
    csv->line = 1;
    csv->record_bytes_max = record_bytes_max;
    *out = csv;
    csv = NULL;
out:
    sk_csv_close(csv);
    return rc;
}

sk_err sk_csv_open_fd_sized(int fd, size_t buf_bytes, size_t record_bytes_max, sk_csv **out)
{
    SK_ASSERT(out != NULL);
    if (fd < 0) {
        *out = NULL;
        return SK_ERR_INVALID;
    }
    return open_source(fd, SK_STR_NULL, buf_bytes, record_bytes_max, out);
}

sk_err sk_csv_open_mem_sized(sk_str data, size_t buf_bytes, size_t record_bytes_max, sk_csv **out)
{
    SK_ASSERT(out != NULL);
    SK_ASSERT(data.ptr != NULL || data.len == 0);
    return open_source(-1, data, buf_bytes, record_bytes_max, out);
}

sk_err sk_csv_open_fd(int fd, size_t record_bytes_max, sk_csv **out)
{
    return sk_csv_open_fd_sized(fd, SK_CSV_BUF_BYTES, record_bytes_max, out);
}

sk_err sk_csv_open_mem(sk_str data, size_t record_bytes_max, sk_csv **out)
{
    return sk_csv_open_mem_sized(data, SK_CSV_BUF_BYTES, record_bytes_max, out);
}

void sk_csv_close(sk_csv *csv)
{
    if (csv == NULL)
        return;
    if (csv->buf != NULL)
        explicit_bzero(csv->buf, csv->high_water);
    free(csv->buf);
    /* The field slices point into the buffer; clear them too. */
    explicit_bzero(csv, sizeof(*csv));
    free(csv);
}

sk_err sk_csv_next(sk_csv *csv, const sk_str **fields, size_t *field_count, sk_diag *diag)
{
    sk_err rc = SK_OK;
    rec r;
    size_t rec_end = 0;

    SK_ASSERT(csv != NULL);
    SK_ASSERT(fields != NULL);
    SK_ASSERT(field_count != NULL);
    *fields = NULL;
    *field_count = 0;
    if (csv->failed != SK_OK) {
        rc = sk_diag_set(diag, csv->failed, "", "reader stopped at an earlier error");
        goto out;
    }
    rc = skip_to_record(csv, diag);
    if (rc != SK_OK)
        goto out;
    for (;;) {
        step s;
        memset(&r, 0, sizeof(r));
        s = parse_record(csv, &r, &rec_end, diag);
        if (s == STEP_DONE)
            break;
        if (s == STEP_FAIL) {
            rc = r.err;
            goto out;
        }
        /* A full window that still ends inside the record means the record
         * is longer than allowed; otherwise read on and parse again. */
        if (csv->end - csv->pos >= csv->record_bytes_max + 2) {
            (void)too_large(csv, &r, diag);
            rc = r.err;
            goto out;
        }
        rc = refill(csv, diag);
        if (rc != SK_OK)
            goto out;
    }
    SK_ASSERT(rec_end > csv->pos);
    SK_ASSERT(rec_end <= csv->end);
    finish_fields(csv, r.count);
    csv->rec_line = csv->line;
    csv->line += r.lines;
    csv->pos = rec_end;
    *fields = csv->fields;
    *field_count = r.count;
out:
    if (rc != SK_OK && rc != SK_ERR_NOT_FOUND)
        csv->failed = rc;
    return rc;
}

uint64_t sk_csv_line(const sk_csv *csv)
{
    SK_ASSERT(csv != NULL);
    return csv->rec_line;
}

uint64_t sk_csv_bytes_read(const sk_csv *csv)
{
    SK_ASSERT(csv != NULL);
    return csv->buf_base + csv->pos;
}
