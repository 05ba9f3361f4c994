/* SPDX-License-Identifier: Apache-2.0 */
/*
 * write.c: the JSON writer the views share.
 *
 * Views write many small optional keys; checking an error after each one
 * would bury the masking rules under error plumbing. So the writer keeps the
 * first error and turns every later call into a no-op: the caller checks
 * w->rc once at the end. Commas are placed from a per-level "first" flag,
 * which keeps every key optional without the caller tracking separators.
 * Strings must be valid UTF-8 (they come from validated events and sealed
 * records); sk_buf_json_str escapes them.
 */
#include "view_int.h"

#include "safekeep/sk_crypto.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

void sk_vw_init(view_writer *w, sk_buf *out)
{
    SK_ASSERT(w != NULL);
    SK_ASSERT(out != NULL);
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->rc = SK_OK;
}

/* The separator before a value or key at the current level. */
static void separate(view_writer *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth > 0 && !w->first[w->depth - 1] && w->rc == SK_OK)
        w->rc = sk_buf_append(w->out, ",", 1);
    if (w->depth > 0)
        w->first[w->depth - 1] = 0;
}

void sk_vw_open(view_writer *w, char bracket)
{
    SK_ASSERT(bracket == '{' || bracket == '[');
    SK_ASSERT(w->depth < VIEW_DEPTH_MAX);
    separate(w);
    if (w->rc == SK_OK)
        w->rc = sk_buf_append(w->out, &bracket, 1);
    w->first[w->depth++] = 1;
}

void sk_vw_close(view_writer *w, char bracket)
{
    char c = bracket == '{' ? '}' : ']';

    SK_ASSERT(bracket == '{' || bracket == '[');
    SK_ASSERT(w->depth > 0);
    SK_ASSERT(!w->after_key);
    w->depth--;
    if (w->rc == SK_OK)
        w->rc = sk_buf_append(w->out, &c, 1);
}

void sk_vw_key(view_writer *w, const char *key)
{
    SK_ASSERT(w->depth > 0);
    SK_ASSERT(!w->after_key);
    separate(w);
    if (w->rc == SK_OK)
        w->rc = sk_buf_json_str(w->out, sk_str_c(key));
    if (w->rc == SK_OK)
        w->rc = sk_buf_append(w->out, ":", 1);
    w->after_key = 1;
}

void sk_vw_raw(view_writer *w, sk_str json)
{
    separate(w);
    if (w->rc == SK_OK)
        w->rc = sk_buf_append_str(w->out, json);
}

void sk_vw_str(view_writer *w, sk_str s)
{
    separate(w);
    if (w->rc == SK_OK)
        w->rc = sk_buf_json_str(w->out, s);
}

void sk_vw_cstr(view_writer *w, const char *s)
{
    sk_vw_str(w, sk_str_c(s));
}

void sk_vw_str_or_null(view_writer *w, sk_str s)
{
    if (s.len == 0)
        sk_vw_null(w);
    else
        sk_vw_str(w, s);
}

void sk_vw_null(view_writer *w)
{
    sk_vw_raw(w, SK_STR("null"));
}

void sk_vw_int(view_writer *w, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", (long long)v);

    SK_ASSERT(n > 0 && (size_t)n < sizeof(num));
    sk_vw_raw(w, (sk_str){num, (size_t)n});
}

void sk_vw_bool(view_writer *w, int v)
{
    sk_vw_raw(w, v ? SK_STR("true") : SK_STR("false"));
}

void sk_vw_time(view_writer *w, int64_t t)
{
    char text[SK_RFC3339_LEN + 1];

    if (t == 0) {
        sk_vw_null(w);
        return;
    }
    sk_time_format_rfc3339(t, text);
    sk_vw_cstr(w, text);
}

void sk_vw_dq(view_writer *w, uint32_t flags)
{
    char names[128];
    const char *p = names;

    sk_dq_format(flags, names, sizeof(names));
    sk_vw_open(w, '[');
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        sk_vw_str(w, (sk_str){p, len});
        p += len + (comma ? 1 : 0);
    }
    sk_vw_close(w, '[');
}

void sk_vw_rollback(sk_buf *out, size_t start)
{
    SK_ASSERT(out != NULL);
    SK_ASSERT(start <= out->len);
    if (out->ptr == NULL)
        return;
    sk_wipe(out->ptr + start, out->len - start);
    out->len = start;
    out->ptr[start] = '\0';
}
