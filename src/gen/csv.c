/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv.c: cases.csv, one row per child record, as an agency's spreadsheet
 * export would have it.
 *
 * The columns are those of docs/import.md, in its order and under their
 * canonical names. Rows end in CRLF and fields are quoted per RFC 4180 only
 * when they must be (addresses and "March 14, 2023" carry commas). The
 * values are the facts of the same kept events that events.jsonl holds, so
 * both files describe the same children; but a minority of rows are typed
 * the way people type: dates as 3/14/2023 or 14-Mar-2023, "Released to
 * Sponsor" for released_to_sponsor, M and F, Y and N. Every such form is
 * one the importer documents, and each row keeps to one typist's habits.
 */
#include <ctype.h>

#include "gen_int.h"

#include "sk_int.h"

static const char header[] =
    "case_id,a_number,family_name,given_name,dob,sex,country_of_birth,language,"
    "apprehension_date,apprehension_location,referral_date,admission_date,facility_id,"
    "placement_type,transfer_date,transfer_facility_id,transfer_placement_type,sponsor_id,"
    "sponsor_family_name,sponsor_given_name,sponsor_category,sponsor_relationship,sponsor_phone,"
    "release_date,discharge_type,release_address,address_status,nta_filed_date,court_id,"
    "hearing_date,hearing_outcome,wellness_call_date,wellness_call_reached,recording_agency\r\n";

/* How the person who typed a row writes things. */
typedef struct typist {
    gen_rng rng;
    unsigned date_form; /* 0 ISO, then the human forms below */
    unsigned date_pct;  /* share of date cells typed in date_form */
    int title_case;     /* "Released to Sponsor" */
    int short_sex;      /* F / M */
    unsigned yes_no;    /* index into yes_no_forms */
    unsigned a_form;    /* 0 digits, 1 "A" prefix, 2 dashes */
} typist;

static const char *const yes_no_forms[][2] = {
    {"no", "yes"}, {"false", "true"}, {"N", "Y"}, {"0", "1"}};

typedef struct row {
    gen_text *t;
    typist *ty;
    int first;
} row;

static void sep(row *r)
{
    if (!r->first)
        gen_text_putc(r->t, ',');
    r->first = 0;
}

static int needs_quotes(const char *s)
{
    size_t n = strlen(s);

    if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
        return 1;
    return strpbrk(s, ",\"\r\n") != NULL;
}

static void cell(row *r, const char *s)
{
    sep(r);
    if (s == NULL)
        return;
    if (!needs_quotes(s)) {
        gen_text_puts(r->t, s);
        return;
    }
    gen_text_putc(r->t, '"');
    for (; *s != '\0'; s++) {
        if (*s == '"')
            gen_text_putc(r->t, '"');
        gen_text_putc(r->t, *s);
    }
    gen_text_putc(r->t, '"');
}

static void empty(row *r, size_t n)
{
    while (n-- > 0)
        sep(r);
}

static void human_date(char *buf, size_t len, unsigned form, int64_t when)
{
    int64_t y;
    unsigned m, d;

    sk_civil_from_days(when / GEN_DAY, &y, &m, &d);
    switch (form) {
    case 1:
        snprintf(buf, len, "%u/%u/%04lld", m, d, (long long)y);
        break;
    case 2:
        snprintf(buf, len, "%02u/%02u/%02lld", m, d, (long long)(y % 100));
        break;
    case 3:
        snprintf(buf, len, "%u-%s-%04lld", d, gen_month_abbr[m - 1], (long long)y);
        break;
    case 4:
        snprintf(buf, len, "%s %u, %04lld", gen_month_full[m - 1], d, (long long)y);
        break;
    default:
        snprintf(buf, len, "%s %u %04lld", gen_month_abbr[m - 1], d, (long long)y);
        break;
    }
}

/* A date cell; 0 is an empty cell. */
static void date_cell(row *r, int64_t when)
{
    char buf[32];

    if (when == 0) {
        cell(r, NULL);
        return;
    }
    /* Two-digit years only read back as 20xx up to 2069. */
    if (r->ty->date_form != 0 && gen_rng_below(&r->ty->rng, 100) < r->ty->date_pct &&
        (r->ty->date_form != 2 || (when >= 946684800LL && when < 3155760000LL))) {
        human_date(buf, sizeof(buf), r->ty->date_form, when);
        cell(r, buf);
        return;
    }
    sep(r);
    gen_text_date(r->t, when);
}

static void enum_cell(row *r, sk_event_type type, const char *field, int index)
{
    char buf[64];
    const char *v;
    size_t i;
    int word = 1;

    if (index < 0) {
        cell(r, NULL);
        return;
    }
    v = gen_enum_str(type, field, (unsigned)index);
    if (!r->ty->title_case || strlen(v) >= sizeof(buf)) {
        cell(r, v);
        return;
    }
    /* released_to_sponsor -> Released To Sponsor, as a person would type it */
    for (i = 0; v[i] != '\0'; i++) {
        buf[i] = v[i] == '_' ? ' ' : (word ? (char)toupper((unsigned char)v[i]) : v[i]);
        word = v[i] == '_';
    }
    buf[i] = '\0';
    cell(r, buf);
}

static void id_cell(row *r, char prefix, uint32_t number)
{
    sep(r);
    gen_text_putc(r->t, prefix);
    gen_text_uint(r->t, number, 7);
}

static void a_number_cell(row *r, const char *a)
{
    char buf[16];

    if (a[0] == '\0' || r->ty->a_form == 0 || strlen(a) != 9) {
        cell(r, a[0] != '\0' ? a : NULL);
        return;
    }
    if (r->ty->a_form == 1)
        snprintf(buf, sizeof(buf), "A%s", a);
    else
        snprintf(buf, sizeof(buf), "%.3s-%.3s-%.3s", a, a + 3, a + 6);
    cell(r, buf);
}

static void sex_cell(row *r, int sex)
{
    if (sex < 0)
        cell(r, NULL);
    else if (r->ty->short_sex && sex <= GEN_SEX_MALE)
        cell(r, sex == GEN_SEX_MALE ? "M" : "F");
    else
        enum_cell(r, SK_EV_APPREHENSION, "sex", sex);
}

static void typist_init(typist *ty, const gen_child *c, int dup)
{
    /* A copy of the child's stream: the sheet draws after the simulation,
     * so its choices never change the events. */
    ty->rng = c->rng;
    if (dup)
        gen_rng_next(&ty->rng);
    ty->date_form = gen_rng_chance(&ty->rng, 0.15) ? (unsigned)gen_rng_range(&ty->rng, 1, 5) : 0;
    ty->date_pct = 60;
    ty->title_case = gen_rng_chance(&ty->rng, 0.1);
    ty->short_sex = gen_rng_chance(&ty->rng, 0.1);
    ty->yes_no = (unsigned)gen_rng_below(&ty->rng, SK_ARRAY_LEN(yes_no_forms));
    ty->a_form = gen_rng_chance(&ty->rng, 0.9) ? 0 : (unsigned)gen_rng_range(&ty->rng, 1, 2);
}

static void sponsor_cells(row *r, const gen_child *c)
{
    const gen_sponsor *s;

    if (c->facts.sponsor < 0) {
        empty(r, 6);
        return;
    }
    s = &c->sponsors[c->facts.sponsor];
    id_cell(r, 'S', s->number);
    cell(r, s->name.family);
    cell(r, s->name.given);
    cell(r, sk_sponsor_categories[s->category]);
    enum_cell(r, SK_EV_SPONSOR_APPLICATION, "relationship", s->relationship);
    cell(r, s->phone);
}

static void release_cells(row *r, const gen_child *c)
{
    const gen_facts *f = &c->facts;
    int has_address = f->addr_status >= 0 && f->addr_status != GEN_ADDR_NONE;

    date_cell(r, f->release);
    enum_cell(r, SK_EV_DISCHARGE, "discharge_type", f->discharge_type);
    cell(r, has_address ? c->sponsors[f->sponsor].address : NULL);
    enum_cell(r, SK_EV_DISCHARGE, "address_status", has_address ? f->addr_status : -1);
}

static void court_cells(row *r, const gen_child *c)
{
    const gen_facts *f = &c->facts;

    date_cell(r, f->nta);
    cell(r, f->court_id);
    date_cell(r, f->hearing);
    enum_cell(r, SK_EV_HEARING_OUTCOME, "outcome", f->hearing_outcome);
    date_cell(r, f->call);
    cell(r, f->call_reached < 0 ? NULL : yes_no_forms[r->ty->yes_no][f->call_reached]);
}

static void original_row(row *r, const gen_child *c)
{
    const gen_facts *f = &c->facts;
    const gen_facnet *net = c->net;

    id_cell(r, 'C', c->number);
    a_number_cell(r, c->a_number);
    cell(r, c->name.family);
    cell(r, c->name.given);
    date_cell(r, c->dob);
    sex_cell(r, c->sex);
    cell(r, gen_countries[c->country].code);
    cell(r, c->language);
    date_cell(r, c->apprehended);
    cell(r, gen_locations[c->location].name);
    date_cell(r, f->referral);
    date_cell(r, f->admission);
    cell(r, f->admission ? net->fac[f->fac_admit].id : NULL);
    enum_cell(r, SK_EV_ADMISSION, "placement_type",
              f->admission ? net->fac[f->fac_admit].type : -1);
    date_cell(r, f->transfer);
    cell(r, f->transfer ? net->fac[f->fac_transfer].id : NULL);
    enum_cell(r, SK_EV_TRANSFER, "placement_type",
              f->transfer ? net->fac[f->fac_transfer].type : -1);
    sponsor_cells(r, c);
    release_cells(r, c);
    court_cells(r, c);
    cell(r, "ORR");
}

static const gen_ev *dup_event(const gen_child *c)
{
    size_t i;

    for (i = 0; i < c->ev_count; i++) {
        if (c->ev[i].on_dup)
            return &c->ev[i];
    }
    return NULL;
}

/* The other agency's file: who the child is and when it came, nothing of
 * the care it has no part in. */
static void dup_row(row *r, const gen_child *c)
{
    const gen_ev *e = dup_event(c);

    SK_ASSERT(e != NULL && e->keep);
    id_cell(r, 'C', c->dup_number);
    a_number_cell(r, c->dup_a_number);
    cell(r, c->dup_name.family);
    cell(r, c->dup_name.given);
    date_cell(r, c->dup_dob);
    sex_cell(r, e->p3 ? c->sex : -1);
    cell(r, gen_countries[c->country].code);
    cell(r, e->p1 ? c->language : NULL);
    date_cell(r, e->occ);
    cell(r, e->p2 ? gen_locations[c->location].name : NULL);
    empty(r, 23);
    cell(r, gen_agency_id(e->agency));
}

void gen_csv_header(gen_text *t)
{
    gen_text_put(t, header, sizeof(header) - 1);
}

sk_err gen_csv_row(const gen_child *c, int dup, gen_text *t)
{
    typist ty;
    row r = {t, &ty, 1};
    sk_err rc = SK_OK;

    SK_ASSERT(c != NULL && t != NULL);
    SK_ASSERT(!dup || c->has_dup);
    typist_init(&ty, c, dup);
    if (dup)
        dup_row(&r, c);
    else
        original_row(&r, c);
    gen_text_puts(t, "\r\n");
    if (t->overflow)
        rc = SK_ERR_TOO_LARGE;
    return rc;
}
