/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c: renders a simulated event as one line of the import format
 * (docs/import.md): id, type, occurred_at, recorded_at, agency, user,
 * subjects, a flat payload in the catalogue's field order, provenance.
 *
 * The writer appends into a fixed-capacity text buffer and raises a flag
 * instead of failing on every call, so the renderers read like the JSON
 * they produce; the flag is checked once per line. Enumeration values are
 * taken from the catalogue's own tables by index, so a generated value can
 * never drift from what the validator accepts. Event ids are UUIDv7 built
 * from the recorded time and the child's random stream: deterministic for
 * a seed, and ordered by time like ids a live system would mint.
 */
#include "gen_int.h"

#include "safekeep/sk_id.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

void gen_text_put(gen_text *t, const char *s, size_t n)
{
    if (t->overflow || n > t->cap - t->len) {
        t->overflow = 1;
        return;
    }
    memcpy(t->ptr + t->len, s, n);
    t->len += n;
}

void gen_text_puts(gen_text *t, const char *s)
{
    gen_text_put(t, s, strlen(s));
}

/* Appends a string literal without measuring it at run time. */
#define PUTL(t, lit) gen_text_put((t), (lit), sizeof(lit) - 1)

void gen_text_putc(gen_text *t, char ch)
{
    gen_text_put(t, &ch, 1);
}

void gen_text_uint(gen_text *t, uint64_t v, unsigned width)
{
    char buf[24];
    size_t n = 0;

    do {
        buf[sizeof(buf) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 && n < sizeof(buf));
    while (n < width && n < sizeof(buf))
        buf[sizeof(buf) - 1 - n++] = '0';
    gen_text_put(t, buf + sizeof(buf) - n, n);
}

/* Millions of timestamps go out, so they are written digit by digit rather
 * than through snprintf; the calendar itself is the shared sk_time one, and
 * the unit test checks the output against sk_time_format_rfc3339. */
static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

static size_t format_date(int64_t when, char buf[SK_DATE_LEN])
{
    int64_t days = when / GEN_DAY, y;
    unsigned m, d, yy;

    if (when % GEN_DAY < 0)
        days--;
    sk_civil_from_days(days, &y, &m, &d);
    yy = (unsigned)(y % 10000);
    put2(buf, yy / 100);
    put2(buf + 2, yy % 100);
    buf[4] = '-';
    put2(buf + 5, m);
    buf[7] = '-';
    put2(buf + 8, d);
    return SK_DATE_LEN;
}

void gen_text_date(gen_text *t, int64_t when)
{
    char buf[SK_DATE_LEN];

    gen_text_put(t, buf, format_date(when, buf));
}

void gen_text_time(gen_text *t, int64_t when)
{
    char buf[SK_RFC3339_LEN];
    int64_t secs = when % GEN_DAY;

    if (secs < 0)
        secs += GEN_DAY;
    format_date(when, buf);
    buf[10] = 'T';
    put2(buf + 11, (unsigned)(secs / 3600));
    buf[13] = ':';
    put2(buf + 14, (unsigned)(secs / 60 % 60));
    buf[16] = ':';
    put2(buf + 17, (unsigned)(secs % 60));
    buf[19] = 'Z';
    gen_text_put(t, buf, SK_RFC3339_LEN);
}

static void put_id(gen_text *t, char prefix, uint32_t number)
{
    gen_text_putc(t, prefix);
    gen_text_uint(t, number, 7);
}

void gen_child_id(gen_text *t, uint32_t number)
{
    put_id(t, 'C', number);
}

/* Generated text never holds control characters, but quotes and
 * backslashes are escaped all the same: a name may one day carry one. */
static void put_json_str(gen_text *t, const char *s)
{
    const char *run = s;

    gen_text_putc(t, '"');
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch != '"' && ch != '\\' && ch >= 0x20)
            continue;
        gen_text_put(t, run, (size_t)(s - run));
        gen_text_putc(t, '\\');
        gen_text_putc(t, ch < 0x20 ? 'u' : (char)ch);
        if (ch < 0x20) {
            PUTL(t, "00");
            gen_text_putc(t, "0123456789abcdef"[ch >> 4]);
            gen_text_putc(t, "0123456789abcdef"[ch & 15]);
        }
        run = s + 1;
    }
    gen_text_put(t, run, (size_t)(s - run));
    gen_text_putc(t, '"');
}

const char *gen_enum_str(sk_event_type type, const char *field, unsigned index)
{
    const sk_event_def *def = sk_event_def_get(type);
    int f = sk_event_field_index(type, sk_str_c(field));
    const char *const *values;
    unsigned i;

    SK_ASSERT(f >= 0);
    values = def->fields[f].values;
    SK_ASSERT(values != NULL);
    for (i = 0; i < index; i++)
        SK_ASSERT(values[i] != NULL);
    SK_ASSERT(values[index] != NULL);
    return values[index];
}

/* ---- payload fields, comma-separated ---- */

typedef struct pw {
    gen_text *t;
    const gen_ev *e;
    int first;
} pw;

static void key(pw *w, const char *name)
{
    gen_text_puts(w->t, w->first ? "\"" : ",\"");
    w->first = 0;
    gen_text_puts(w->t, name);
    PUTL(w->t, "\":");
}

static void f_str(pw *w, const char *name, const char *value)
{
    key(w, name);
    put_json_str(w->t, value);
}

static void f_enum(pw *w, const char *name, unsigned index)
{
    f_str(w, name, gen_enum_str((sk_event_type)w->e->type, name, index));
}

static void f_bool(pw *w, const char *name, int value)
{
    key(w, name);
    gen_text_puts(w->t, value ? "true" : "false");
}

static void f_date(pw *w, const char *name, int64_t when)
{
    key(w, name);
    gen_text_putc(w->t, '"');
    gen_text_date(w->t, when);
    gen_text_putc(w->t, '"');
}

static void f_id(pw *w, const char *name, char prefix, uint32_t number)
{
    key(w, name);
    gen_text_putc(w->t, '"');
    put_id(w->t, prefix, number);
    gen_text_putc(w->t, '"');
}

static void f_hearing(pw *w, const gen_child *c)
{
    key(w, "hearing_id");
    gen_text_putc(w->t, '"');
    gen_child_id(w->t, c->number);
    PUTL(w->t, "-H");
    gen_text_uint(w->t, w->e->p1, 1);
    gen_text_putc(w->t, '"');
}

static void p_apprehension(pw *w, const gen_child *c)
{
    const gen_ev *e = w->e;
    const gen_name *n = e->on_dup ? &c->dup_name : &c->name;
    int64_t dob = e->on_dup ? c->dup_dob : c->dob;
    const char *anum = e->on_dup ? c->dup_a_number : c->a_number;

    f_str(w, "given_name", n->given);
    f_str(w, "family_name", n->family);
    if (dob != 0)
        f_date(w, "dob", dob);
    if (anum[0] != '\0')
        f_str(w, "a_number", anum);
    if (!e->on_dup || e->p3)
        f_enum(w, "sex", c->sex);
    f_str(w, "country_of_birth", gen_countries[c->country].code);
    if (!e->on_dup || e->p1)
        f_str(w, "language", c->language);
    if (!e->on_dup || e->p2)
        f_str(w, "location", gen_locations[c->location].name);
}

static void p_sponsor_application(pw *w, const gen_child *c)
{
    const gen_sponsor *s = &c->sponsors[w->e->sponsor];

    f_id(w, "sponsor_id", 'S', s->number);
    f_enum(w, "category", s->category);
    f_enum(w, "relationship", s->relationship);
    f_str(w, "given_name", s->name.given);
    f_str(w, "family_name", s->name.family);
    f_date(w, "dob", s->dob);
    if (s->a_number[0] != '\0')
        f_str(w, "a_number", s->a_number);
    f_str(w, "address", s->address);
    f_str(w, "phone", s->phone);
}

static void p_household_member(pw *w, const gen_child *c)
{
    const gen_member *m = &c->members[w->e->member];

    f_id(w, "sponsor_id", 'S', c->sponsors[m->sponsor].number);
    f_id(w, "member_id", 'M', m->number);
    f_str(w, "given_name", m->name.given);
    f_str(w, "family_name", m->name.family);
    f_date(w, "dob", m->dob);
    f_enum(w, "relationship", m->relationship);
}

static void p_discharge(pw *w, const gen_child *c)
{
    const gen_ev *e = w->e;

    f_enum(w, "discharge_type", e->p1);
    if (e->sponsor < 0)
        return;
    f_id(w, "sponsor_id", 'S', c->sponsors[e->sponsor].number);
    if (e->p2 == GEN_ADDR_NONE)
        return;
    f_str(w, "address", c->sponsors[e->sponsor].address);
    if (e->p3)
        f_str(w, "phone", c->sponsors[e->sponsor].phone);
    f_enum(w, "address_status", e->p2);
}

static void p_facility(pw *w, const gen_child *c, const char *name, uint16_t fac)
{
    f_str(w, name, c->net->fac[fac].id);
}

static void p_custody(pw *w, const gen_child *c)
{
    const gen_ev *e = w->e;

    switch (e->type) {
    case SK_EV_REFERRAL:
        f_str(w, "referring_office", gen_locations[c->location].office);
        break;
    case SK_EV_ADMISSION:
        p_facility(w, c, "facility_id", e->fac1);
        f_enum(w, "placement_type", c->net->fac[e->fac1].type);
        f_str(w, "facility_state", c->net->fac[e->fac1].state);
        break;
    case SK_EV_TRANSFER:
        p_facility(w, c, "from_facility_id", e->fac1);
        p_facility(w, c, "to_facility_id", e->fac2);
        f_enum(w, "placement_type", c->net->fac[e->fac2].type);
        f_enum(w, "reason", e->p1);
        break;
    case SK_EV_VETTING_CHECK:
        f_id(w, "sponsor_id", 'S', c->sponsors[e->sponsor].number);
        if (e->member >= 0)
            f_id(w, "person_id", 'M', c->members[e->member].number);
        f_enum(w, "check_type", e->p1);
        f_enum(w, "result", e->p2);
        break;
    case SK_EV_SPONSOR_APPROVED:
        f_id(w, "sponsor_id", 'S', c->sponsors[e->sponsor].number);
        break;
    case SK_EV_SPONSOR_DENIED:
        f_id(w, "sponsor_id", 'S', c->sponsors[e->sponsor].number);
        f_enum(w, "reason", e->p1);
        break;
    case SK_EV_WELLNESS_CALL:
        f_bool(w, "reached", e->p1);
        key(w, "attempt");
        gen_text_uint(w->t, e->p2, 1);
        if (e->p1)
            f_bool(w, "concerns", e->p3);
        break;
    case SK_EV_POST_RELEASE_SERVICE:
        f_enum(w, "service", e->p1);
        f_enum(w, "status", e->p2);
        break;
    case SK_EV_INCIDENT:
        f_enum(w, "category", e->p1);
        f_enum(w, "severity", e->p2);
        break;
    default:
        sk_assert_fail("event type without a custody payload", __FILE__, __LINE__);
    }
}

static void p_court(pw *w, const gen_child *c)
{
    const gen_ev *e = w->e;

    switch (e->type) {
    case SK_EV_NTA_FILED:
        f_str(w, "court_id", c->court_id);
        break;
    case SK_EV_HEARING_SCHEDULED:
        f_hearing(w, c);
        f_str(w, "court_id", c->court_id);
        key(w, "scheduled_for");
        gen_text_putc(w->t, '"');
        gen_text_time(w->t, e->when);
        gen_text_putc(w->t, '"');
        break;
    case SK_EV_HEARING_OUTCOME:
        f_hearing(w, c);
        f_enum(w, "outcome", e->p2);
        break;
    case SK_EV_CHANGE_OF_ADDRESS:
        f_str(w, "address", c->coa_address);
        if (e->p1)
            f_str(w, "phone", c->coa_phone);
        break;
    case SK_EV_COUNSEL:
        f_str(w, "org_id", gen_agency_id(c->lsp));
        f_enum(w, "action", e->p1);
        break;
    case SK_EV_RELIEF_FILED:
        f_enum(w, "relief_type", e->p1);
        key(w, "application_id");
        PUTL(w->t, "\"IOE");
        gen_text_uint(w->t, (e->bits >> 8) % 10000000000ull, 10);
        gen_text_putc(w->t, '"');
        break;
    case SK_EV_RELIEF_DECIDED:
        f_enum(w, "relief_type", e->p1);
        f_enum(w, "outcome", e->p2);
        break;
    case SK_EV_CASE_CLOSED:
        f_enum(w, "reason", e->p1);
        break;
    default:
        p_custody(w, c);
        break;
    }
}

static void payload(gen_text *t, const gen_child *c, const gen_ev *e)
{
    pw w = {t, e, 1};

    gen_text_putc(t, '{');
    switch (e->type) {
    case SK_EV_APPREHENSION:
        p_apprehension(&w, c);
        break;
    case SK_EV_SPONSOR_APPLICATION:
        p_sponsor_application(&w, c);
        break;
    case SK_EV_HOUSEHOLD_MEMBER:
        p_household_member(&w, c);
        break;
    case SK_EV_DISCHARGE:
        p_discharge(&w, c);
        break;
    default:
        p_court(&w, c);
        break;
    }
    gen_text_putc(t, '}');
}

static void subjects(gen_text *t, const gen_child *c, const gen_ev *e)
{
    PUTL(t, "[\"");
    gen_child_id(t, e->on_dup ? c->dup_number : c->number);
    if (e->sponsor >= 0) {
        PUTL(t, "\",\"");
        put_id(t, 'S', c->sponsors[e->sponsor].number);
    }
    if (e->member >= 0) {
        PUTL(t, "\",\"");
        put_id(t, 'M', c->members[e->member].number);
    }
    PUTL(t, "\"]");
}

static void event_id(gen_text *t, const gen_ev *e)
{
    uint64_t more = e->bits;
    uint64_t r2 = gen_splitmix64(&more);
    unsigned char rnd[10];
    char id[SK_UUID_LEN + 1];
    size_t i;

    for (i = 0; i < 8; i++)
        rnd[i] = (unsigned char)(e->bits >> (8 * i));
    rnd[8] = (unsigned char)r2;
    rnd[9] = (unsigned char)(r2 >> 8);
    sk_uuid7(e->rec * 1000 + (int64_t)(r2 >> 32) % 1000, rnd, id);
    gen_text_put(t, id, SK_UUID_LEN);
}

static void user(gen_text *t, const gen_child *c, const gen_ev *e)
{
    gen_text_puts(t, gen_agency_user_prefix(e->agency));
    gen_text_putc(t, '.');
    if (e->agency == GEN_AG_ORR)
        gen_text_uint(t, c->case_manager, 4);
    else
        gen_text_uint(t, (e->bits >> 20) % 3000 + 1, 4);
}

static void provenance(gen_text *t, const gen_ev *e)
{
    int interview = e->type == SK_EV_APPREHENSION && !e->on_dup && (e->bits >> 50) % 100 < 15;
    char grade = 'B';

    if (e->on_dup || interview)
        grade = 'C'; /* a name as heard, or as another file has it */
    else if (e->agency == GEN_AG_EOIR || e->agency == GEN_AG_USCIS)
        grade = 'A';
    PUTL(t, "\"provenance\":{\"source\":\"");
    gen_text_puts(t, interview ? "interview" : "agency_record");
    PUTL(t, "\",\"ref\":\"");
    gen_text_puts(t, gen_agency_ref(e->agency));
    PUTL(t, "\",\"reliability\":\"");
    gen_text_putc(t, grade);
    PUTL(t, "\"}");
}

sk_err gen_render_event(const gen_child *c, const gen_ev *e, gen_text *t)
{
    size_t start = t->len;
    sk_err rc = SK_OK;

    SK_ASSERT(c != NULL && e != NULL && t != NULL);
    SK_ASSERT(e->keep);
    PUTL(t, "{\"id\":\"");
    event_id(t, e);
    PUTL(t, "\",\"type\":\"");
    gen_text_puts(t, sk_event_def_get((sk_event_type)e->type)->name);
    PUTL(t, "\",\"occurred_at\":\"");
    gen_text_time(t, e->occ);
    PUTL(t, "\",\"recorded_at\":\"");
    gen_text_time(t, e->rec);
    PUTL(t, "\",\"agency\":\"");
    gen_text_puts(t, gen_agency_id(e->agency));
    PUTL(t, "\",\"user\":\"");
    user(t, c, e);
    PUTL(t, "\",\"subjects\":");
    subjects(t, c, e);
    PUTL(t, ",\"payload\":");
    payload(t, c, e);
    gen_text_putc(t, ',');
    provenance(t, e);
    PUTL(t, "}\n");
    if (t->overflow || t->len - start > SK_EVENT_LINE_MAX)
        rc = SK_ERR_TOO_LARGE;
    return rc;
}
