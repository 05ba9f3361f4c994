/* SPDX-License-Identifier: Apache-2.0 */
/*
 * normalize.c: identifier normalisation for blind indexes and, later, record
 * linkage. It folds the Latin-1 Supplement and Latin Extended-A letters that
 * Spanish, Portuguese and French names use onto ASCII, because those are the
 * variants agencies produce in practice (accents dropped by one system, kept
 * by another). It deliberately does not transliterate other scripts: a wrong
 * fold would merge different people.
 */
#include "safekeep/sk_link.h"

#include "sk_int.h"

/* ASCII folds of U+00C0..U+00FF; 0 where there is none. */
static const char latin1_fold[64] = {
    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'c', 'e', 'e', 'e', 'e', 'i', 'i', 'i', 'i',
    'd', 'n', 'o', 'o', 'o', 'o', 'o', 0,   'o', 'u', 'u', 'u', 'u', 'y', 0,   's',
    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'c', 'e', 'e', 'e', 'e', 'i', 'i', 'i', 'i',
    'd', 'n', 'o', 'o', 'o', 'o', 'o', 0,   'o', 'u', 'u', 'u', 'u', 'y', 0,   'y'};

/* ASCII fold of U+0100..U+017F (Latin Extended-A), pairs of upper/lower. */
static const char latin_a_fold[] =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklllllll"
    "lllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
static_assert(sizeof(latin_a_fold) == 129, "one fold per code point U+0100..U+017F");

typedef struct out_state {
    char *out;
    size_t cap, len;
    int pending_space;
    int overflow;
} out_state;

static void emit(out_state *st, char c)
{
    if (st->len + 1 >= st->cap) {
        st->overflow = 1;
        return;
    }
    st->out[st->len++] = c;
}

/* Spaces are deferred so that runs collapse and none is left at either end. */
static void put(out_state *st, char c)
{
    if (c == ' ') {
        st->pending_space = st->len > 0;
        return;
    }
    if (st->pending_space)
        emit(st, ' ');
    st->pending_space = 0;
    emit(st, c);
}

/* Folds the UTF-8 sequence at p; returns bytes consumed. */
static size_t fold_utf8(const unsigned char *p, size_t n, out_state *st)
{
    unsigned cp;

    if (n >= 2 && (p[0] & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
        cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
        if (cp >= 0xC0 && cp <= 0xFF && latin1_fold[cp - 0xC0] != 0) {
            put(st, latin1_fold[cp - 0xC0]);
            return 2;
        }
        if (cp >= 0x100 && cp < 0x100 + sizeof(latin_a_fold) - 1) {
            put(st, latin_a_fold[cp - 0x100]);
            return 2;
        }
        if (cp == 0xB4 || cp == 0x2BC) /* acute accent or modifier apostrophe */
            return 2;
    }
    if (n >= 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99))
        return 3; /* curly apostrophes */
    put(st, (char)p[0]);
    return 1;
}

sk_err sk_normalize_name(sk_str in, char *out, size_t out_cap, size_t *out_len)
{
    const unsigned char *p = (const unsigned char *)in.ptr;
    out_state st = {out, out_cap, 0, 0, 0};
    size_t i = 0;

    SK_ASSERT(out != NULL && out_cap > 0);
    SK_ASSERT(out_len != NULL);
    while (i < in.len && !st.overflow) {
        unsigned char c = p[i];
        if (c >= 'A' && c <= 'Z') {
            put(&st, (char)(c - 'A' + 'a'));
            i++;
        } else if (c == '\'' || c == '.' || c == '`') {
            i++;
        } else if (c == ' ' || c == '\t' || c == '-' || c == ',' || c == '_' || c == '\r' ||
                   c == '\n') {
            put(&st, ' ');
            i++;
        } else if (c < 0x80) {
            put(&st, (char)c);
            i++;
        } else {
            i += fold_utf8(p + i, in.len - i, &st);
        }
    }
    out[st.len] = '\0';
    *out_len = st.len;
    if (st.overflow)
        return SK_ERR_TOO_LARGE;
    return st.len == 0 ? SK_ERR_INVALID : SK_OK;
}

sk_err sk_normalize_anumber(sk_str in, char out[SK_ANUM_LEN + 1])
{
    char digits[SK_ANUM_LEN];
    size_t i, n = 0;

    for (i = 0; i < in.len; i++) {
        char c = in.ptr[i];
        if (c >= '0' && c <= '9') {
            if (n == SK_ANUM_LEN)
                return SK_ERR_INVALID;
            digits[n++] = c;
        } else if (!(c == '-' || c == ' ' || ((c == 'A' || c == 'a') && n == 0))) {
            return SK_ERR_INVALID;
        }
    }
    if (n < 8)
        return SK_ERR_INVALID;
    memset(out, '0', SK_ANUM_LEN - n);
    memcpy(out + SK_ANUM_LEN - n, digits, n);
    out[SK_ANUM_LEN] = '\0';
    return SK_OK;
}

/* "YYYY-MM-DD" in shape: digits and two dashes. */
static int iso_date_shape(sk_str d)
{
    size_t i;

    if (d.len != 10)
        return 0;
    for (i = 0; i < d.len; i++) {
        int want_dash = i == 4 || i == 7;
        int is_dash = d.ptr[i] == '-';
        if (want_dash != is_dash || (!is_dash && (d.ptr[i] < '0' || d.ptr[i] > '9')))
            return 0;
    }
    return 1;
}

sk_err sk_name_dob_key(sk_str given, sk_str family, sk_str dob, char *out, size_t out_cap)
{
    size_t g_len = 0, f_len = 0;
    sk_err rc;

    SK_ASSERT(out != NULL && out_cap > 0);
    if (!iso_date_shape(dob))
        return SK_ERR_INVALID;
    rc = sk_normalize_name(given, out, out_cap, &g_len);
    if (rc != SK_OK)
        return rc;
    if (g_len + 2 >= out_cap)
        return SK_ERR_TOO_LARGE;
    out[g_len] = ' ';
    rc = sk_normalize_name(family, out + g_len + 1, out_cap - g_len - 1, &f_len);
    if (rc != SK_OK)
        return rc;
    if (g_len + 1 + f_len + 1 + dob.len + 1 > out_cap)
        return SK_ERR_TOO_LARGE;
    out[g_len + 1 + f_len] = '|';
    memcpy(out + g_len + f_len + 2, dob.ptr, dob.len);
    out[g_len + f_len + 2 + dob.len] = '\0';
    return SK_OK;
}
