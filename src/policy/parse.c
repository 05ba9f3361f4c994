/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parse.c: reads one policy file (agencies, roles, agreements, constraints;
 * the format is docs/agreements.md) into an sk_policy_doc, all or nothing.
 *
 * Design. The text is read twice. A first, forgiving pass only counts the
 * header lines of each block kind, so that the document's three arrays can be
 * allocated from the arena at their exact size (capped at the format's
 * limits: the block past a limit is reported by the second pass). The second
 * pass checks every line's encoding, strips comments, and collects the
 * properties of the open block into per-key buffers, joining continuation
 * lines with one space. A block is converted only when it is complete (at the
 * next header or the end of the text), because required keys, defaults and
 * checks across keys (expires after effective) need the whole block. Keys are
 * converted in the order of their lines so that the first error reported is
 * the first one a reader meets. Both passes split lines and recognise headers
 * with the same functions, so the second pass can never find more blocks
 * than the first counted. The per-key buffers (about 80 KiB) are scratch
 * and live on the heap for the call only; the arena holds just the document.
 *
 * Property or continuation? The format says a continuation line is an
 * indented line that does not start with a known key. To make a misspelt key
 * an error rather than silent text glued to the previous value, an indented
 * line that starts with a lower-case word, a colon and a blank (or the end of
 * the line) is always read as a property, and a word that is not a key of
 * the block is "unknown key". Continuation text must therefore not start
 * with "word: "; "kind:court" (no blank) stays a list item.
 *
 * Errors fill sk_diag: where = the file's name, line, field = "header",
 * "text", "file" or "<kind> <id>[: <key>]", and msg = what was expected.
 * Policy files hold no personal data, so messages quote the offending token,
 * cut at QUOTE_BYTES_MAX bytes on a character boundary. On any error *out is
 * zeroed; what was allocated stays in the arena until the caller resets it.
 *
 * Files. This file holds the text helpers, the diagnostics, the conversion
 * of single values, the line-by-line second pass and the entry point;
 * parse_block.c turns a complete block into the document, and parse_int.h
 * holds what the two share.
 */
#include "parse_int.h"

#include <stdarg.h>

#include "safekeep/sk_time.h"

#include "sk_int.h"

/* Indexed by block_kind - 1. */
static const char *const block_names[] = {"agency", "role", "agreement", "constraint", NULL};

#define B_AGENCY     (1u << BLOCK_AGENCY)
#define B_ROLE       (1u << BLOCK_ROLE)
#define B_AGREEMENT  (1u << BLOCK_AGREEMENT)
#define B_CONSTRAINT (1u << BLOCK_CONSTRAINT)
#define B_RULE       (B_AGREEMENT | B_CONSTRAINT)

typedef struct key_def {
    const char *name;
    unsigned allowed;  /* B_* of the blocks that take the key */
    unsigned required; /* B_* of the blocks that need it */
    int is_text;       /* free text, stored in SK_POLICY_TEXT_MAX bytes */
    const char *expect;
} key_def;

/* Table order is the order of "missing required key" checks. */
static const key_def key_defs[KEY__COUNT] = {
    [KEY_KIND] = {"kind", B_AGENCY, B_AGENCY, 0, "an agency kind"},
    [KEY_NAME] = {"name", B_AGENCY, B_AGENCY, 1, "the agency's name"},
    [KEY_AGENCY] = {"agency", B_ROLE, B_ROLE, 0, "an agency id or *"},
    [KEY_KINDS] = {"kinds", B_ROLE, 0, 0, "agency kinds"},
    [KEY_VERSION] = {"version", B_RULE, 0, 0, "a whole number from 1 to 1000000"},
    [KEY_TITLE] = {"title", B_RULE, B_RULE, 1, "a title"},
    [KEY_CITATION] = {"citation", B_RULE, B_RULE, 1, "the instrument: MOA, date, statute"},
    [KEY_PROVIDER] = {"provider", B_RULE, B_AGREEMENT, 0, "an agency id or *"},
    [KEY_RECIPIENTS] = {"recipients", B_RULE, B_AGREEMENT, 0, "agency ids or kind:<kind>"},
    [KEY_ACTIONS] = {"actions", B_ROLE | B_RULE, B_ROLE, 0, "actions"},
    [KEY_PURPOSES] = {"purposes", B_ROLE | B_RULE, B_ROLE | B_AGREEMENT, 0, "purposes or *"},
    [KEY_ENTITIES] = {"entities", B_ROLE | B_RULE, B_ROLE | B_AGREEMENT, 0, "entities or *"},
    [KEY_FIELDS] = {"fields", B_ROLE | B_RULE, B_ROLE | B_AGREEMENT, 0, "fields or *"},
    [KEY_WHEN] = {"when", B_RULE, 0, 0, "conditions"},
    [KEY_UNLESS] = {"unless", B_CONSTRAINT, 0, 0, "conditions"},
    [KEY_OBLIGATIONS] = {"obligations", B_AGREEMENT, 0, 0, "obligations"},
    [KEY_RETENTION_DAYS] = {"retention_days", B_AGREEMENT, 0, 0, "a whole number of days"},
    [KEY_EFFECTIVE] = {"effective", B_RULE, B_RULE, 0, "a date YYYY-MM-DD"},
    [KEY_EXPIRES] = {"expires", B_RULE, 0, 0, "a date YYYY-MM-DD"},
    [KEY_REASON] = {"reason", B_RULE, B_CONSTRAINT, 1, "a readable reason"},
};

/* The vocabularies list items name; all but vocab_attr are used by
 * parse_block.c too. */
const vocab sk_pp_vocab_purpose = {sk_purpose_names, "purpose", 0};
const vocab sk_pp_vocab_action = {sk_action_names, "action", 0};
const vocab sk_pp_vocab_entity = {sk_entity_names, "entity", 0};
const vocab sk_pp_vocab_field = {sk_policy_field_names, "field", 0};
const vocab sk_pp_vocab_kind = {sk_agency_kind_names, "agency kind", 0};
static const vocab vocab_attr = {sk_attr_names, "condition", 0};
/* "review" is set by break-glass decisions, never by a file. */
const vocab sk_pp_vocab_obligation = {sk_obligation_names, "obligation", SK_OBL_REVIEW};

/* ---- Text helpers ---- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

sk_str sk_pp_trim(sk_str s)
{
    while (s.len > 0 && is_blank(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && is_blank(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

static int is_id_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* [A-Za-z0-9._-]{1,63}: fits the id arrays of sk_policy.h with its NUL. */
int sk_pp_valid_id(sk_str s)
{
    int ok = s.len >= 1 && s.len < SK_POLICY_ID_MAX;
    size_t i;

    for (i = 0; ok && i < s.len; i++)
        ok = is_id_char(s.ptr[i]);
    return ok;
}

static int valid_id_or_star(sk_str s)
{
    return sk_str_eqc(s, "*") || sk_pp_valid_id(s);
}

void sk_pp_copy_str(char *dst, size_t cap, sk_str s)
{
    SK_ASSERT(s.len < cap);
    if (s.len > 0)
        memcpy(dst, s.ptr, s.len);
    dst[s.len] = '\0';
}

/* Bytes of s quoted in a message: at most QUOTE_BYTES_MAX, never half a
 * UTF-8 character. Used with "%.*s%s" and sk_pp_quote_more. */
int sk_pp_quote_len(sk_str s)
{
    size_t n = s.len;

    if (n > QUOTE_BYTES_MAX) {
        n = QUOTE_BYTES_MAX;
        while (n > 0 && ((unsigned char)s.ptr[n] & 0xC0) == 0x80)
            n--;
    }
    return (int)n;
}

const char *sk_pp_quote_more(sk_str s)
{
    return s.len > QUOTE_BYTES_MAX ? "..." : "";
}

uint64_t sk_pp_all_bits(size_t count)
{
    SK_ASSERT(count <= 64);
    return count == 64 ? UINT64_MAX : ((uint64_t)1 << count) - 1;
}

/* Length of the well-formed UTF-8 character at s (len bytes left), or 0:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_char_len(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    uint32_t cp = n == 1 ? c : c & (0x7Fu >> n);
    size_t i;

    n = n <= len ? n : 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            n = 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        n = 0;
    return n;
}

/* ---- Lines ---- */

/* Splits the next line (without its '\n') off *rest; 0 at the end. */
static int next_line(sk_str *rest, sk_str *line)
{
    int more = rest->len > 0;
    const char *nl = NULL;

    if (more) {
        nl = memchr(rest->ptr, '\n', rest->len);
        line->ptr = rest->ptr;
        line->len = nl != NULL ? (size_t)(nl - rest->ptr) : rest->len;
        rest->ptr += nl != NULL ? line->len + 1 : line->len;
        rest->len -= nl != NULL ? line->len + 1 : line->len;
    }
    return more;
}

/* Drops a final CR, a comment ('#' at the start or after a blank) and
 * trailing blanks. Leading blanks stay: they tell properties from headers. */
static sk_str clean_line(sk_str line)
{
    size_t i;

    if (line.len > 0 && line.ptr[line.len - 1] == '\r')
        line.len--;
    for (i = 0; i < line.len; i++) {
        if (line.ptr[i] == '#' && (i == 0 || is_blank(line.ptr[i - 1]))) {
            line.len = i;
            break;
        }
    }
    while (line.len > 0 && is_blank(line.ptr[line.len - 1]))
        line.len--;
    return line;
}

/* Splits a header line into its kind word and the rest (the id). */
static block_kind header_kind(sk_str line, sk_str *word, sk_str *id)
{
    size_t i = 0;
    int index;

    while (i < line.len && !is_blank(line.ptr[i]))
        i++;
    *word = (sk_str){line.ptr, i};
    *id = sk_pp_trim((sk_str){line.ptr + i, line.len - i});
    index = sk_policy_lookup(block_names, *word);
    return index < 0 ? BLOCK_NONE : (block_kind)(index + 1);
}

/* First pass: an upper bound of the blocks of each kind. */
static void count_blocks(sk_str text, size_t counts[BLOCK__COUNT])
{
    sk_str rest = text;
    sk_str raw, line, word, id;

    memset(counts, 0, BLOCK__COUNT * sizeof(counts[0]));
    while (next_line(&rest, &raw)) {
        line = clean_line(raw);
        if (line.len > 0 && !is_blank(line.ptr[0]))
            counts[header_kind(line, &word, &id)]++;
    }
}

/* ---- Diagnostics ---- */

/* Fills diag. The field is `field` when given, else "<kind> <id>" plus
 * ": <key>" when key is not empty; a long id is shortened so that the key
 * stays visible. */
static sk_err failv(parser *p, sk_err rc, unsigned line, const char *field, sk_str key,
                    const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
static sk_err failv(parser *p, sk_err rc, unsigned line, const char *field, sk_str key,
                    const char *fmt, va_list ap)
{
    const char *kind = p->kind != BLOCK_NONE ? block_names[p->kind - 1] : "";
    size_t key_len = key.len < KEY_QUOTE_MAX ? key.len : KEY_QUOTE_MAX;
    size_t room = sizeof(p->diag->field) - 2 - strlen(kind) - (key_len > 0 ? key_len + 2 : 0);
    size_t id_len = p->id.len <= room ? p->id.len : room - 3;

    SK_ASSERT(field != NULL || p->kind != BLOCK_NONE);
    if (p->diag != NULL) {
        (void)snprintf(p->diag->where, sizeof(p->diag->where), "%s", p->name);
        p->diag->line = line;
        if (field != NULL)
            (void)snprintf(p->diag->field, sizeof(p->diag->field), "%s", field);
        else
            (void)snprintf(p->diag->field, sizeof(p->diag->field), "%s %.*s%s%s%.*s", kind,
                           (int)id_len, p->id.ptr, id_len < p->id.len ? "..." : "",
                           key_len > 0 ? ": " : "", (int)key_len, key_len > 0 ? key.ptr : "");
        (void)vsnprintf(p->diag->msg, sizeof(p->diag->msg), fmt, ap);
    }
    return rc;
}

/* An error outside a block's keys; field names the part ("header"...). */
static sk_err fail(parser *p, sk_err rc, unsigned line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static sk_err fail(parser *p, sk_err rc, unsigned line, const char *field, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    rc = failv(p, rc, line, field, SK_STR_NULL, fmt, ap);
    va_end(ap);
    return rc;
}

/* An error in the open block, at a key when key is not empty. */
sk_err sk_pp_fail_key(parser *p, sk_err rc, unsigned line, sk_str key, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    rc = failv(p, rc, line, NULL, key, fmt, ap);
    va_end(ap);
    return rc;
}

/* An invalid value of key k of the open block, reported at the key's line. */
sk_err sk_pp_fail_value(parser *p, int k, const char *fmt, ...)
{
    va_list ap;
    sk_err rc;

    va_start(ap, fmt);
    rc = failv(p, SK_ERR_INVALID, p->values[k].line, NULL, sk_str_c(key_defs[k].name), fmt, ap);
    va_end(ap);
    return rc;
}

sk_str sk_pp_key_name(int k)
{
    return sk_str_c(key_defs[k].name);
}

/* "a, b, c" from a NULL-terminated table, leaving out the entries in skip. */
static const char *join_names(const char *const *table, uint64_t skip, char *buf, size_t cap)
{
    size_t used = 0;
    size_t i, n;

    buf[0] = '\0';
    for (i = 0; table[i] != NULL && i < 64; i++) {
        if (skip & ((uint64_t)1 << i))
            continue;
        n = strlen(table[i]) + (used > 0 ? 2 : 0);
        if (used + n >= cap)
            break;
        (void)snprintf(buf + used, cap - used, "%s%s", used > 0 ? ", " : "", table[i]);
        used += n;
    }
    return buf;
}

sk_err sk_pp_unknown_item(parser *p, int k, const vocab *v, sk_str item)
{
    char names[SK_DIAG_MSG_MAX];
    sk_err rc;

    if (v->names == sk_policy_field_names) /* too many to list */
        rc = sk_pp_fail_value(
            p, k,
            "unknown field \"%.*s%s\" (expected one of the field names listed in the "
            "policy format, e.g. given_name, dob, a_number)",
            QUOTE(item));
    else
        rc = sk_pp_fail_value(p, k, "unknown %s \"%.*s%s\" (expected one of: %s)", v->noun,
                              QUOTE(item), join_names(v->names, v->skip, names, sizeof(names)));
    return rc;
}

/* ---- Values ---- */

static void append_value(value *v, sk_str s)
{
    size_t stored = v->len < VALUE_BYTES_MAX - 1 ? v->len : VALUE_BYTES_MAX - 1;
    size_t room = VALUE_BYTES_MAX - 1 - stored;
    size_t n = s.len < room ? s.len : room;

    if (n > 0)
        memcpy(v->text + stored, s.ptr, n);
    v->len += s.len;
}

sk_str sk_pp_value_str(const parser *p, int k)
{
    const value *v = &p->values[k];

    SK_ASSERT(v->line != 0);
    SK_ASSERT(v->len < VALUE_BYTES_MAX);
    return (sk_str){v->text, v->len};
}

/* The key of the block with the smallest line after `after`, or -1. */
int sk_pp_next_key(const parser *p, unsigned after)
{
    int found = -1;
    int k;

    for (k = 0; k < KEY__COUNT; k++) {
        if (p->values[k].line > after && (found < 0 || p->values[k].line < p->values[found].line))
            found = k;
    }
    return found;
}

/* Required keys, then empty and overlong values, in the order of lines. */
sk_err sk_pp_check_values(parser *p)
{
    sk_err rc = SK_OK;
    unsigned bit = 1u << p->kind;
    size_t max;
    int k;

    for (k = 0; rc == SK_OK && k < KEY__COUNT; k++) {
        if ((key_defs[k].required & bit) && p->values[k].line == 0)
            rc = sk_pp_fail_key(p, SK_ERR_INVALID, p->header_line, sk_pp_key_name(k),
                                "missing required key \"%s\" (expected %s)", key_defs[k].name,
                                key_defs[k].expect);
    }
    for (k = sk_pp_next_key(p, 0); rc == SK_OK && k >= 0;
         k = sk_pp_next_key(p, p->values[k].line)) {
        max = key_defs[k].is_text ? SK_POLICY_TEXT_MAX - 1 : VALUE_BYTES_MAX - 1;
        if (p->values[k].len == 0)
            rc = sk_pp_fail_value(p, k, "empty value (expected %s)", key_defs[k].expect);
        else if (p->values[k].len > max)
            rc = sk_pp_fail_key(
                p, SK_ERR_TOO_LARGE, p->values[k].line, sk_pp_key_name(k),
                "value too long: %zu bytes after joining continuation lines (at most "
                "%zu)",
                p->values[k].len, max);
    }
    return rc;
}

int sk_pp_list_next(list_iter *it, sk_str *item)
{
    int more = !it->done;
    const char *comma;
    size_t n;

    if (more) {
        comma = memchr(it->rest.ptr, ',', it->rest.len);
        n = comma != NULL ? (size_t)(comma - it->rest.ptr) : it->rest.len;
        *item = sk_pp_trim((sk_str){it->rest.ptr, n});
        it->done = comma == NULL;
        it->rest.ptr += comma != NULL ? n + 1 : n;
        it->rest.len -= comma != NULL ? n + 1 : n;
    }
    return more;
}

/* Errors shared by lists: empty items and, where star_ok, a "*" among other
 * items ("*" alone was taken care of by the caller). */
sk_err sk_pp_check_item(parser *p, int k, sk_str item, int star_ok)
{
    sk_err rc = SK_OK;

    if (item.len == 0)
        rc = sk_pp_fail_value(p, k, "empty item in the list (expected %s separated by commas)",
                              key_defs[k].expect);
    else if (star_ok && sk_str_eqc(item, "*"))
        rc = sk_pp_fail_value(p, k, "\"*\" must be the only item of the list");
    return rc;
}

/* A list over a vocabulary; "*" alone gives star. */
sk_err sk_pp_parse_mask(parser *p, int k, const vocab *v, uint64_t star, uint64_t *out)
{
    sk_err rc = SK_OK;
    list_iter it = {sk_pp_value_str(p, k), 0};
    sk_str item;
    uint64_t mask = 0;
    int index;

    if (sk_str_eqc(it.rest, "*")) {
        mask = star;
    } else {
        while (rc == SK_OK && sk_pp_list_next(&it, &item)) {
            rc = sk_pp_check_item(p, k, item, 1);
            if (rc != SK_OK)
                break;
            index = sk_policy_lookup(v->names, item);
            if (index < 0 || index >= 64 || (v->skip & ((uint64_t)1 << index)))
                rc = sk_pp_unknown_item(p, k, v, item);
            else
                mask |= (uint64_t)1 << index;
        }
    }
    *out = mask;
    return rc;
}

sk_err sk_pp_parse_mask32(parser *p, int k, const vocab *v, size_t count, uint32_t *out)
{
    uint64_t mask = 0;
    sk_err rc = sk_pp_parse_mask(p, k, v, sk_pp_all_bits(count), &mask);

    SK_ASSERT(mask <= UINT32_MAX);
    *out = (uint32_t)mask;
    return rc;
}

/* `when` (negation allowed) or `unless` (not): attribute names, "not X". */
sk_err sk_pp_parse_conditions(parser *p, int k, uint32_t *set, uint32_t *clear)
{
    sk_err rc = SK_OK;
    list_iter it = {sk_pp_value_str(p, k), 0};
    sk_str item;
    int negated, index;

    SK_ASSERT(set != NULL);
    while (rc == SK_OK && sk_pp_list_next(&it, &item)) {
        rc = sk_pp_check_item(p, k, item, 0);
        if (rc != SK_OK)
            break;
        negated = item.len > 4 && memcmp(item.ptr, "not", 3) == 0 && is_blank(item.ptr[3]);
        if (negated)
            item = sk_pp_trim((sk_str){item.ptr + 3, item.len - 3});
        index = sk_policy_lookup(sk_attr_names, item);
        if (index < 0)
            rc = sk_pp_unknown_item(p, k, &vocab_attr, item);
        else if (negated && clear == NULL)
            rc = sk_pp_fail_value(p, k,
                                  "\"not\" is not allowed in unless (expected condition names)");
        else if (negated)
            *clear |= 1u << index;
        else
            *set |= 1u << index;
    }
    for (index = 0; rc == SK_OK && clear != NULL && index < SK_ATTR__COUNT; index++) {
        if ((*set & *clear & (1u << index)) != 0)
            rc = sk_pp_fail_value(p, k, "condition \"%s\" is both required and excluded",
                                  sk_attr_names[index]);
    }
    return rc;
}

/* A whole number from 1 to max, without sign or leading zeros. */
static int parse_number(sk_str s, unsigned max, unsigned *out)
{
    int ok = s.len >= 1 && s.len <= 7 && s.ptr[0] != '0';
    unsigned long n = 0;
    size_t i;

    for (i = 0; ok && i < s.len; i++) {
        ok = s.ptr[i] >= '0' && s.ptr[i] <= '9';
        n = n * 10 + (unsigned long)(s.ptr[i] - '0');
    }
    ok = ok && n >= 1 && n <= max;
    *out = ok ? (unsigned)n : 0;
    return ok;
}

sk_err sk_pp_parse_number_key(parser *p, int k, unsigned *out)
{
    sk_err rc = SK_OK;
    sk_str s = sk_pp_value_str(p, k);

    if (!parse_number(s, NUMBER_MAX, out))
        rc = sk_pp_fail_value(p, k, "bad %s \"%.*s%s\" (expected a whole number from 1 to %u)",
                              key_defs[k].name, QUOTE(s), NUMBER_MAX);
    return rc;
}

sk_err sk_pp_parse_date_key(parser *p, int k, int64_t *out)
{
    sk_err rc = SK_OK;
    sk_str s = sk_pp_value_str(p, k);

    if (sk_time_parse_date(s, out) != SK_OK)
        rc = sk_pp_fail_value(
            p, k, "bad date \"%.*s%s\" (expected YYYY-MM-DD, a real date from 1900 to 2099)",
            QUOTE(s));
    return rc;
}

/* An agency id, or "*" where any agency is meant. */
sk_err sk_pp_parse_agency_ref(parser *p, int k, char out[SK_POLICY_ID_MAX])
{
    sk_err rc = SK_OK;
    sk_str s = sk_pp_value_str(p, k);

    if (valid_id_or_star(s))
        sk_pp_copy_str(out, SK_POLICY_ID_MAX, s);
    else
        rc = sk_pp_fail_value(
            p, k,
            "bad agency id \"%.*s%s\" (expected * or 1 to 63 characters from A-Z a-z "
            "0-9 . _ -)",
            QUOTE(s));
    return rc;
}

/* ---- Lines of the second pass ---- */

/* Rejects NUL, control characters other than tab (a CR only before the line
 * end) and malformed UTF-8. */
static sk_err check_encoding(parser *p, sk_str raw, unsigned line)
{
    sk_err rc = SK_OK;
    const unsigned char *s = (const unsigned char *)raw.ptr;
    size_t i = 0;
    size_t n;

    while (rc == SK_OK && i < raw.len) {
        n = utf8_char_len(s + i, raw.len - i);
        if (s[i] == 0)
            rc = fail(p, SK_ERR_INVALID, line, "text", "NUL byte at column %zu", i + 1);
        else if (s[i] == '\r' && i + 1 == raw.len)
            n = 1;
        else if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7F)
            rc = fail(p, SK_ERR_INVALID, line, "text",
                      "control character 0x%02X at column %zu (only tab is allowed)", s[i], i + 1);
        else if (n == 0)
            rc = fail(p, SK_ERR_INVALID, line, "text", "invalid UTF-8 at column %zu (byte 0x%02X)",
                      i + 1, s[i]);
        i += n;
    }
    return rc;
}

static sk_err check_limit(parser *p, block_kind kind, unsigned line)
{
    sk_err rc = SK_OK;

    if (kind == BLOCK_AGENCY && p->doc.agency_count == SK_POLICY_AGENCIES_MAX)
        rc = sk_pp_fail_key(p, SK_ERR_TOO_LARGE, line, SK_STR_NULL,
                            "too many agencies (at most %d per file)", SK_POLICY_AGENCIES_MAX);
    else if (kind == BLOCK_ROLE && p->doc.role_count == SK_POLICY_RULES_MAX)
        rc = sk_pp_fail_key(p, SK_ERR_TOO_LARGE, line, SK_STR_NULL,
                            "too many roles (at most %d per file)", SK_POLICY_RULES_MAX);
    else if (kind >= BLOCK_AGREEMENT && p->doc.rule_count == SK_POLICY_RULES_MAX)
        rc = sk_pp_fail_key(p, SK_ERR_TOO_LARGE, line, SK_STR_NULL,
                            "too many agreements and constraints (at most %d per file)",
                            SK_POLICY_RULES_MAX);
    return rc;
}

/* A line at column 0: closes the open block and opens the next. */
static sk_err header_line(parser *p, sk_str line, unsigned number)
{
    sk_err rc = sk_pp_finish_block(p);
    sk_str word, id;
    block_kind kind = header_kind(line, &word, &id);
    int k;

    if (rc != SK_OK) {
        /* The previous block's error comes first. */
    } else if (kind == BLOCK_NONE) {
        rc = fail(p, SK_ERR_INVALID, number, "header",
                  "unknown block kind \"%.*s%s\" (expected one of: agency, role, agreement, "
                  "constraint)",
                  QUOTE(word));
    } else if (id.len == 0) {
        rc = fail(p, SK_ERR_INVALID, number, "header", "missing id (expected \"%s <id>\")",
                  block_names[kind - 1]);
    } else if (!sk_pp_valid_id(id)) {
        rc = fail(p, SK_ERR_INVALID, number, "header",
                  "bad id \"%.*s%s\" (expected 1 to 63 characters from A-Z a-z 0-9 . _ -)",
                  QUOTE(id));
    } else {
        p->kind = kind;
        p->id = id;
        p->header_line = number;
        p->last_key = -1;
        for (k = 0; k < KEY__COUNT; k++) {
            p->values[k].line = 0;
            p->values[k].len = 0;
        }
        rc = check_limit(p, kind, number);
    }
    return rc;
}

/* "word: value" or "word:" at the start of an indented line's text. */
static int split_property(sk_str body, sk_str *word, sk_str *rest)
{
    size_t i = 0;
    int is_property;

    while (i < body.len && ((body.ptr[i] >= 'a' && body.ptr[i] <= 'z') || body.ptr[i] == '_'))
        i++;
    is_property = i > 0 && body.ptr[0] != '_' && i < body.len && body.ptr[i] == ':' &&
                  (i + 1 == body.len || is_blank(body.ptr[i + 1]));
    if (is_property) {
        *word = (sk_str){body.ptr, i};
        *rest = sk_pp_trim((sk_str){body.ptr + i + 1, body.len - i - 1});
    }
    return is_property;
}

static sk_err set_property(parser *p, sk_str word, sk_str text, unsigned number)
{
    sk_err rc = SK_OK;
    char names[SK_DIAG_MSG_MAX];
    const char *table[KEY__COUNT + 1];
    size_t count = 0;
    int k, found = -1;

    for (k = 0; k < KEY__COUNT; k++) {
        if (sk_str_eqc(word, key_defs[k].name))
            found = k;
        if (key_defs[k].allowed & (1u << p->kind))
            table[count++] = key_defs[k].name;
    }
    table[count] = NULL;
    if (found < 0)
        rc = sk_pp_fail_key(p, SK_ERR_INVALID, number, word, "unknown key (expected one of: %s)",
                            join_names(table, 0, names, sizeof(names)));
    else if (!(key_defs[found].allowed & (1u << p->kind)))
        rc = sk_pp_fail_key(p, SK_ERR_INVALID, number, word,
                            "key not allowed in %s %s block (expected one of: %s)",
                            p->kind == BLOCK_AGENCY || p->kind == BLOCK_AGREEMENT ? "an" : "a",
                            block_names[p->kind - 1], join_names(table, 0, names, sizeof(names)));
    else if (p->values[found].line != 0)
        rc =
            sk_pp_fail_key(p, SK_ERR_INVALID, number, word,
                           "repeated key (first given on line %u; a key may appear once per block)",
                           p->values[found].line);
    if (rc == SK_OK) {
        p->values[found].line = number;
        append_value(&p->values[found], text);
        p->last_key = found;
    }
    return rc;
}

/* An indented line: a property or the continuation of the last one. */
static sk_err property_line(parser *p, sk_str line, unsigned number)
{
    sk_err rc = SK_OK;
    sk_str body = sk_pp_trim(line);
    sk_str word, text;
    value *v;

    if (p->kind == BLOCK_NONE) {
        rc = fail(p, SK_ERR_INVALID, number, "header",
                  "indented line outside a block (expected a header such as \"agency ORR\" at "
                  "column 0)");
    } else if (split_property(body, &word, &text)) {
        rc = set_property(p, word, text, number);
    } else if (p->last_key < 0) {
        rc = sk_pp_fail_key(p, SK_ERR_INVALID, number, SK_STR_NULL,
                            "continuation line before any key (expected \"key: value\")");
    } else {
        v = &p->values[p->last_key];
        if (v->len > 0)
            append_value(v, SK_STR(" "));
        append_value(v, body);
    }
    return rc;
}

static sk_err parse_lines(parser *p, sk_str text)
{
    sk_err rc = SK_OK;
    sk_str rest = text;
    sk_str raw, line;
    unsigned number = 0;

    while (rc == SK_OK && next_line(&rest, &raw)) {
        number++;
        rc = check_encoding(p, raw, number);
        line = clean_line(raw);
        if (rc != SK_OK || line.len == 0)
            continue;
        if (is_blank(line.ptr[0]))
            rc = property_line(p, line, number);
        else
            rc = header_line(p, line, number);
    }
    if (rc == SK_OK)
        rc = sk_pp_finish_block(p);
    return rc;
}

/* ---- Entry point ---- */

static sk_err alloc_array(parser *p, sk_arena *arena, size_t count, size_t size, void **out)
{
    sk_err rc = SK_OK;

    *out = NULL;
    if (count > 0)
        rc = sk_arena_alloc(arena, count * size, out);
    if (rc == SK_OK && count > 0)
        memset(*out, 0, count * size);
    else if (rc != SK_OK)
        rc = fail(p, rc, 0, "file", "%s while allocating the document",
                  rc == SK_ERR_NOMEM ? "out of memory" : "memory limit reached");
    return rc;
}

static size_t at_most(size_t n, size_t max)
{
    return n < max ? n : max;
}

/* Sizes the document's arrays from the first pass. */
static sk_err alloc_doc(parser *p, sk_arena *arena, sk_str text)
{
    sk_err rc;
    size_t counts[BLOCK__COUNT];
    void *mem = NULL;

    count_blocks(text, counts);
    p->agency_cap = at_most(counts[BLOCK_AGENCY], SK_POLICY_AGENCIES_MAX);
    p->role_cap = at_most(counts[BLOCK_ROLE], SK_POLICY_RULES_MAX);
    p->rule_cap = at_most(counts[BLOCK_AGREEMENT] + counts[BLOCK_CONSTRAINT], SK_POLICY_RULES_MAX);
    rc = alloc_array(p, arena, p->agency_cap, sizeof(sk_pol_agency), &mem);
    p->doc.agencies = mem;
    if (rc == SK_OK)
        rc = alloc_array(p, arena, p->role_cap, sizeof(sk_pol_role), &mem);
    p->doc.roles = mem;
    if (rc == SK_OK)
        rc = alloc_array(p, arena, p->rule_cap, sizeof(sk_pol_rule), &mem);
    p->doc.rules = mem;
    return rc;
}

sk_err sk_policy_parse(sk_str text, const char *name, sk_arena *arena, sk_policy_doc *out,
                       sk_diag *diag)
{
    sk_err rc = SK_OK;
    parser p;

    SK_ASSERT(arena != NULL);
    SK_ASSERT(out != NULL);
    SK_ASSERT(text.ptr != NULL || text.len == 0);
    memset(out, 0, sizeof(*out));
    memset(&p, 0, sizeof(p));
    p.name = name != NULL ? name : "";
    p.diag = diag;
    p.last_key = -1;
    sk_diag_clear(diag);
    if (text.len > POLICY_BYTES_MAX)
        rc = fail(&p, SK_ERR_TOO_LARGE, 0, "file", "policy file of %zu bytes (at most %zu)",
                  text.len, POLICY_BYTES_MAX);
    if (rc == SK_OK && text.len >= 3 && memcmp(text.ptr, "\xEF\xBB\xBF", 3) == 0) {
        text.ptr += 3; /* a byte order mark some editors write */
        text.len -= 3;
    }
    if (rc == SK_OK)
        rc = alloc_doc(&p, arena, text);
    /* Scratch for one block, on the heap: it must not outlive the call in
     * the arena, where the document may stay for the life of a process. */
    p.values = rc == SK_OK ? calloc(KEY__COUNT, sizeof(value)) : NULL;
    if (rc == SK_OK && p.values == NULL)
        rc = fail(&p, SK_ERR_NOMEM, 0, "file", "out of memory while allocating the document");
    if (rc == SK_OK)
        rc = parse_lines(&p, text);
    if (rc == SK_OK)
        *out = p.doc;
    free(p.values);
    return rc;
}
