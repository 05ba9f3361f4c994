/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event.c: building and validating one event against the catalogue.
 *
 * Values arrive as text (from CSV cells or JSON strings) or as numbers (JSON
 * integers and booleans) and are checked one field at a time, so the first
 * bad field is named precisely. sk_event_finish then checks what needs the
 * whole event: the envelope, required fields and impossible combinations.
 * Error messages name the field and the expected form, never the value: a
 * misplaced column could put a name into any field.
 */
#include "safekeep/sk_model.h"

#include <ctype.h>

#include "safekeep/sk_buf.h"
#include "safekeep/sk_id.h"
#include "safekeep/sk_link.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define ID_LIST_MAX   8
#define INT_MAX_VALUE 1000000

void sk_event_init(sk_event *ev, sk_event_type type, sk_arena *arena)
{
    SK_ASSERT(ev != NULL);
    SK_ASSERT((unsigned)type < SK_EV__COUNT);
    memset(ev, 0, sizeof(*ev));
    ev->type = type;
    ev->occurred_at = INT64_MIN;
    ev->recorded_at = INT64_MIN;
    ev->arena = arena;
}

static sk_err keep(sk_event *ev, sk_str text, sk_str *out)
{
    return sk_arena_strdup(ev->arena, text, out);
}

static sk_err keep_cstr(sk_event *ev, const char *text, sk_str *out)
{
    return keep(ev, sk_str_c(text), out);
}

static int ieq(sk_str a, const char *b)
{
    size_t i, n = strlen(b);

    if (a.len != n)
        return 0;
    for (i = 0; i < n; i++) {
        if (tolower((unsigned char)a.ptr[i]) != tolower((unsigned char)b[i]))
            return 0;
    }
    return 1;
}

/* Enumerations compare exactly; lenient input (spreadsheets) may use any
 * case and spaces or dashes for underscores. */
static int enum_match(const sk_field_def *f, sk_str text, int lenient)
{
    char norm[64];
    size_t i;
    int k;

    if (lenient) {
        if (text.len >= sizeof(norm))
            return -1;
        for (i = 0; i < text.len; i++) {
            char c = text.ptr[i];
            norm[i] = (c == ' ' || c == '-') ? '_' : (char)tolower((unsigned char)c);
        }
        text.ptr = norm;
    }
    for (k = 0; f->values[k] != NULL; k++) {
        if (lenient ? ieq(text, f->values[k]) : sk_str_eqc(text, f->values[k]))
            return k;
    }
    if (lenient && text.len == 1 && (norm[0] == 'f' || norm[0] == 'm') && f->values[0] != NULL &&
        strcmp(f->values[0], "female") == 0)
        return norm[0] == 'f' ? 0 : 1; /* sex columns often say F / M */
    return -1;
}

static sk_err expect_enum(const sk_field_def *f, sk_diag *diag)
{
    char list[SK_DIAG_MSG_MAX - 32];
    size_t used = 0;
    int k, n;

    list[0] = '\0';
    for (k = 0; f->values[k] != NULL; k++) {
        n = snprintf(list + used, sizeof(list) - used, "%s%s", k ? ", " : "", f->values[k]);
        if (n < 0 || (size_t)n >= sizeof(list) - used)
            break;
        used += (size_t)n;
    }
    return sk_diag_set(diag, SK_ERR_INVALID, f->name, "expected one of: %s", list);
}

static int plain_text_ok(sk_str t)
{
    size_t i;

    if (t.len == 0 || t.len > SK_TEXT_LEN_MAX || !sk_utf8_valid(t))
        return 0;
    for (i = 0; i < t.len; i++) {
        unsigned char c = (unsigned char)t.ptr[i];
        if (c < 0x20 || c == 0x7F)
            return 0;
    }
    return 1;
}

/* Spreadsheet cells may hold line breaks (an address typed on two lines):
 * they become single spaces. */
static sk_err set_lenient_text(sk_event *ev, const sk_field_def *f, sk_str t, sk_value *v,
                               sk_diag *diag)
{
    char *copy = NULL;
    size_t i, n = 0;
    sk_err rc;

    if (t.len > SK_TEXT_LEN_MAX * 32) /* whitespace runs fold, but not without bound */
        return sk_diag_set(diag, SK_ERR_INVALID, f->name, "expected at most %d bytes of text",
                           SK_TEXT_LEN_MAX);
    rc = sk_arena_alloc(ev->arena, t.len + 1, (void **)&copy);
    if (rc != SK_OK)
        return rc;
    for (i = 0; i < t.len; i++) {
        char c = t.ptr[i];
        if (c == '\r' || c == '\n' || c == '\t') {
            if (n > 0 && copy[n - 1] != ' ')
                copy[n++] = ' ';
        } else {
            copy[n++] = c;
        }
    }
    while (n > 0 && copy[n - 1] == ' ')
        n--;
    copy[n] = '\0';
    v->text.ptr = copy;
    v->text.len = n;
    if (!plain_text_ok(v->text))
        return sk_diag_set(diag, SK_ERR_INVALID, f->name,
                           "expected 1 to %d bytes of UTF-8 text without control characters",
                           SK_TEXT_LEN_MAX);
    return SK_OK;
}

static sk_err set_id_list(sk_event *ev, const sk_field_def *f, sk_str t, sk_value *v, sk_diag *diag)
{
    size_t start = 0, i, count = 0;

    for (i = 0; i <= t.len; i++) {
        if (i < t.len && t.ptr[i] != ',')
            continue;
        sk_str item = {t.ptr + start, i - start};
        if (!sk_id_valid(item, SK_ID_LEN_MAX) || ++count > ID_LIST_MAX)
            return sk_diag_set(diag, SK_ERR_INVALID, f->name,
                               "expected 1 to %d comma-separated ids", ID_LIST_MAX);
        start = i + 1;
    }
    return keep(ev, t, &v->text);
}

static sk_err set_time_field(sk_event *ev, const sk_field_def *f, sk_str t, int lenient,
                             sk_value *v, sk_diag *diag)
{
    char buf[SK_RFC3339_LEN + 1];
    sk_err rc;

    if (f->type == SK_FT_DATE) {
        rc = lenient ? sk_time_parse_human_date(t, &v->num) : sk_time_parse_date(t, &v->num);
        if (rc != SK_OK)
            return sk_diag_set(diag, SK_ERR_INVALID, f->name,
                               lenient ? "expected a date such as 2023-03-14 or 3/14/2023"
                                       : "expected a date YYYY-MM-DD");
        sk_time_format_date(v->num, buf);
    } else {
        rc = sk_time_parse_rfc3339(t, &v->num);
        if (rc != SK_OK && lenient)
            rc = sk_time_parse_human_date(t, &v->num);
        if (rc != SK_OK)
            return sk_diag_set(diag, SK_ERR_INVALID, f->name,
                               "expected an RFC 3339 time such as 2023-03-14T09:30:00Z");
        sk_time_format_rfc3339(v->num, buf);
    }
    return keep_cstr(ev, buf, &v->text);
}

static sk_err set_bool(const sk_field_def *f, sk_str t, int lenient, sk_value *v, sk_diag *diag)
{
    static const char *const yes[] = {"true", "yes", "y", "1", "t"};
    static const char *const no[] = {"false", "no", "n", "0", "f"};
    size_t i, n = lenient ? SK_ARRAY_LEN(yes) : 1;

    for (i = 0; i < n; i++) {
        if (ieq(t, yes[i]) && (lenient || sk_str_eqc(t, "true"))) {
            v->num = 1;
            v->text = SK_STR("true");
            return SK_OK;
        }
        if (ieq(t, no[i]) && (lenient || sk_str_eqc(t, "false"))) {
            v->num = 0;
            v->text = SK_STR("false");
            return SK_OK;
        }
    }
    return sk_diag_set(diag, SK_ERR_INVALID, f->name,
                       lenient ? "expected yes or no" : "expected true or false");
}

static sk_err set_int(sk_event *ev, const sk_field_def *f, int64_t num, sk_value *v, sk_diag *diag)
{
    char buf[24];

    if (num < 0 || num > INT_MAX_VALUE)
        return sk_diag_set(diag, SK_ERR_INVALID, f->name, "expected an integer from 0 to %d",
                           INT_MAX_VALUE);
    v->num = num;
    snprintf(buf, sizeof(buf), "%lld", (long long)num);
    return keep_cstr(ev, buf, &v->text);
}

static sk_err set_code(sk_event *ev, const sk_field_def *f, sk_str t, int lenient, sk_value *v,
                       sk_diag *diag)
{
    int country = f->type == SK_FT_COUNTRY;
    char code[4] = {0};
    size_t i;

    if (t.len == (country ? 2u : 3u)) {
        for (i = 0; i < t.len; i++) {
            char c = t.ptr[i];
            code[i] = lenient
                          ? (char)(country ? toupper((unsigned char)c) : tolower((unsigned char)c))
                          : c;
        }
        sk_str s = {code, t.len};
        if (country ? sk_country_valid(s) : sk_language_valid(s))
            return keep(ev, s, &v->text);
    }
    return sk_diag_set(diag, SK_ERR_INVALID, f->name,
                       country ? "expected an ISO 3166-1 alpha-2 country code such as GT"
                               : "expected an ISO 639-3 language code such as spa or mam");
}

static sk_err set_phone(sk_event *ev, const sk_field_def *f, sk_str t, sk_value *v, sk_diag *diag)
{
    size_t i, digits = 0;

    for (i = 0; i < t.len; i++) {
        char c = t.ptr[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if (!(c == ' ' || c == '+' || c == '-' || c == '(' || c == ')' || c == '.'))
            digits = 100;
    }
    if (t.len > 24 || digits < 7 || digits > 15)
        return sk_diag_set(diag, SK_ERR_INVALID, f->name,
                           "expected a phone number of 7 to 15 digits");
    return keep(ev, t, &v->text);
}

static sk_err set_typed(sk_event *ev, const sk_field_def *f, sk_str t, int lenient, sk_value *v,
                        sk_diag *diag)
{
    char anum[SK_ANUM_LEN + 1];
    int64_t num = 0;
    size_t i;
    int k;

    switch (f->type) {
    case SK_FT_STRING:
        if (lenient)
            return set_lenient_text(ev, f, t, v, diag);
        if (!plain_text_ok(t))
            return sk_diag_set(diag, SK_ERR_INVALID, f->name,
                               "expected 1 to %d bytes of UTF-8 text without control characters",
                               SK_TEXT_LEN_MAX);
        return keep(ev, t, &v->text);
    case SK_FT_ID:
        if (!sk_id_valid(t, SK_ID_LEN_MAX))
            return sk_diag_set(diag, SK_ERR_INVALID, f->name,
                               "expected an id of 1 to %d letters, digits or . _ : -",
                               SK_ID_LEN_MAX);
        return keep(ev, t, &v->text);
    case SK_FT_ID_LIST:
        return set_id_list(ev, f, t, v, diag);
    case SK_FT_DATE:
    case SK_FT_TIME:
        return set_time_field(ev, f, t, lenient, v, diag);
    case SK_FT_ENUM:
        k = enum_match(f, t, lenient);
        if (k < 0)
            return expect_enum(f, diag);
        v->num = k;
        v->text = sk_str_c(f->values[k]);
        return SK_OK;
    case SK_FT_BOOL:
        return set_bool(f, t, lenient, v, diag);
    case SK_FT_INT:
        for (i = 0; i < t.len && i < 8; i++) {
            if (t.ptr[i] < '0' || t.ptr[i] > '9')
                break;
            num = num * 10 + (t.ptr[i] - '0');
        }
        if (t.len == 0 || i != t.len)
            return sk_diag_set(diag, SK_ERR_INVALID, f->name, "expected an integer");
        return set_int(ev, f, num, v, diag);
    case SK_FT_COUNTRY:
    case SK_FT_LANGUAGE:
        return set_code(ev, f, t, lenient, v, diag);
    case SK_FT_ANUMBER:
        if (sk_normalize_anumber(t, anum) != SK_OK)
            return sk_diag_set(diag, SK_ERR_INVALID, f->name,
                               "expected an A-number of 8 or 9 digits");
        return keep_cstr(ev, anum, &v->text);
    case SK_FT_PHONE:
        return set_phone(ev, f, t, v, diag);
    }
    SK_ASSERT(0 && "unreachable field type");
    return SK_ERR_INVALID;
}

static sk_err find_field(sk_event *ev, sk_str field, const sk_field_def **f, sk_value **v,
                         sk_diag *diag)
{
    const sk_event_def *def = sk_event_def_get(ev->type);
    int idx = sk_event_field_index(ev->type, field);
    char name[64];

    if (idx < 0) {
        snprintf(name, sizeof(name), "%.*s", (int)(field.len < 60 ? field.len : 60),
                 field.ptr ? field.ptr : "");
        return sk_diag_set(diag, SK_ERR_INVALID, name, "not a field of %s events", def->name);
    }
    *f = &def->fields[idx];
    *v = &ev->values[idx];
    if ((*v)->present)
        return sk_diag_set(diag, SK_ERR_CONFLICT, (*f)->name, "given twice");
    return SK_OK;
}

sk_err sk_event_set(sk_event *ev, sk_str field, sk_str text, int lenient_dates, sk_diag *diag)
{
    const sk_field_def *f = NULL;
    sk_value *v = NULL;
    sk_err rc;

    SK_ASSERT(ev != NULL);
    rc = find_field(ev, field, &f, &v, diag);
    if (rc != SK_OK)
        return rc;
    rc = set_typed(ev, f, text, lenient_dates, v, diag);
    if (rc == SK_OK)
        v->present = 1;
    return rc;
}

sk_err sk_event_set_num(sk_event *ev, sk_str field, int64_t num, sk_diag *diag)
{
    const sk_field_def *f = NULL;
    sk_value *v = NULL;
    sk_err rc;

    SK_ASSERT(ev != NULL);
    rc = find_field(ev, field, &f, &v, diag);
    if (rc != SK_OK)
        return rc;
    if (f->type == SK_FT_INT) {
        rc = set_int(ev, f, num, v, diag);
    } else if (f->type == SK_FT_BOOL && (num == 0 || num == 1)) {
        v->num = num;
        v->text = num ? SK_STR("true") : SK_STR("false");
    } else {
        rc = sk_diag_set(diag, SK_ERR_INVALID, f->name, "expected a string");
    }
    if (rc == SK_OK)
        v->present = 1;
    return rc;
}

const sk_value *sk_event_get(const sk_event *ev, const char *field)
{
    int idx = sk_event_field_index(ev->type, sk_str_c(field));

    if (idx < 0 || !ev->values[idx].present)
        return NULL;
    return &ev->values[idx];
}
