/* SPDX-License-Identifier: Apache-2.0 */
/*
 * truth.c: truth.json, the generator's own account of what it wrote.
 *
 * Reports computed from an import can be checked against it: custody states
 * at the end of the window, releases by sponsor category, notices to appear
 * missing, hearings missed, wellness calls unanswered, addresses unusable,
 * duplicates and late entries. Every count is taken from the events that
 * were actually written (those recorded within the window), never from the
 * simulation's intentions. Counts about children are over the real
 * children; duplicate records are counted apart and listed as
 * [original_id, duplicate_id] pairs. Only ids appear, never a name.
 *
 * The "tracking" object holds the categories of the tracking report
 * (sk_tracking.h, docs/reports.md) as of the end of the window, each a count
 * of children. Whether a release is at least the report's default number of
 * days old depends on the end of the window, which only the writer knows, so
 * the release times of released children without a notice are kept until
 * then (8 bytes each, a fraction of the children).
 */
#include "gen_int.h"

#include "safekeep/sk_time.h"
#include "safekeep/sk_tracking.h"

#include "sk_int.h"

#define PAIRS_MAX  (2 * (size_t)SK_GEN_CHILDREN_MAX)
#define NO_NTA_MAX ((size_t)SK_GEN_CHILDREN_MAX)

void gen_truth_init(gen_truth *t)
{
    SK_ASSERT(t != NULL);
    memset(t, 0, sizeof(*t));
}

void gen_truth_fini(gen_truth *t)
{
    if (t == NULL)
        return;
    free(t->pairs);
    free(t->no_nta);
    memset(t, 0, sizeof(*t));
}

static sk_err add_pair(gen_truth *t, uint32_t original, uint32_t dup)
{
    sk_err rc = SK_OK;

    if (t->pair_count * 2 + 2 > t->pair_cap) {
        size_t cap = t->pair_cap ? t->pair_cap * 2 : 1024;
        uint32_t *p;
        if (cap > PAIRS_MAX) {
            rc = SK_ERR_TOO_LARGE;
            goto out;
        }
        p = realloc(t->pairs, cap * sizeof(*p));
        if (p == NULL) {
            rc = SK_ERR_NOMEM;
            goto out;
        }
        t->pairs = p;
        t->pair_cap = cap;
    }
    t->pairs[t->pair_count * 2] = original;
    t->pairs[t->pair_count * 2 + 1] = dup;
    t->pair_count++;
out:
    return rc;
}

static sk_err add_no_nta(gen_truth *t, int64_t released_at)
{
    sk_err rc = SK_OK;

    if (t->no_nta_count == t->no_nta_cap) {
        size_t cap = t->no_nta_cap ? t->no_nta_cap * 2 : 1024;
        int64_t *p;
        if (cap > NO_NTA_MAX) {
            rc = SK_ERR_TOO_LARGE;
            goto out;
        }
        p = realloc(t->no_nta, cap * sizeof(*p));
        if (p == NULL) {
            rc = SK_ERR_NOMEM;
            goto out;
        }
        t->no_nta = p;
        t->no_nta_cap = cap;
    }
    t->no_nta[t->no_nta_count++] = released_at;
out:
    return rc;
}

/* The tracking report's categories that the counts above do not give
 * child by child. Wellness calls only follow a release to a sponsor. */
static sk_err add_tracking(gen_truth *t, const gen_child *c)
{
    const gen_facts *f = &c->facts;
    int released = f->discharge_type == GEN_DT_SPONSOR;

    t->absentia_children += f->in_absentia > 0;
    t->unreached_released += released && f->call != 0 && f->calls_reached == 0;
    if (released && f->nta == 0)
        return add_no_nta(t, f->release);
    return SK_OK;
}

static void add_counts(gen_truth *t, const gen_child *c)
{
    const gen_facts *f = &c->facts;
    size_t i;

    t->custody[f->custody]++;
    SK_ASSERT(c->country < SK_ARRAY_LEN(t->by_country));
    t->by_country[c->country]++;
    if (f->discharge_type == GEN_DT_SPONSOR) {
        t->released++;
        t->sponsor_category[c->sponsors[f->sponsor].category]++;
        t->addr_blank += f->addr_status == GEN_ADDR_NONE;
        t->addr_undeliverable += f->addr_status == GEN_ADDR_UNDELIVERABLE;
    } else {
        t->sponsor_category[GEN_CAT_4]++;
    }
    if (f->nta != 0)
        t->nta_with++;
    else
        t->nta_without++;
    t->missed_children += f->missed > 0;
    t->fta += f->fta;
    t->in_absentia += f->in_absentia;
    t->calls_reached += f->calls_reached;
    t->calls_unreached += f->calls_unreached;
    t->never_reached += f->call != 0 && f->calls_reached == 0;
    t->transfer_events += f->transfers;
    t->transfer_children += f->transfers > 0;
    t->incident_events += f->incidents;
    t->incident_children += f->incidents > 0;
    for (i = 0; i < GEN_INC__COUNT; i++)
        t->incident_kind[i] += f->incident_kind[i];
}

sk_err gen_truth_add(gen_truth *t, const gen_child *c)
{
    size_t i;
    sk_err rc = SK_OK;

    SK_ASSERT(t != NULL && c != NULL);
    t->children++;
    t->records += 1u + (c->has_dup ? 1u : 0u);
    t->late += c->facts.late;
    for (i = 0; i < SK_EV__COUNT; i++) {
        t->by_type[i] += c->facts.by_type[i];
        t->events += c->facts.by_type[i];
    }
    add_counts(t, c);
    rc = add_tracking(t, c);
    if (rc == SK_OK && c->has_dup)
        rc = add_pair(t, c->number, c->dup_number);
    return rc;
}

/* The custody states at the end of the window, as the case fold names them. */
static const char *const custody_names[SK_CUSTODY__COUNT] = {
    [SK_CUSTODY_UNKNOWN] = "unknown",   [SK_CUSTODY_APPREHENDED] = "apprehended",
    [SK_CUSTODY_REFERRED] = "referred", [SK_CUSTODY_IN_CARE] = "in_care",
    [SK_CUSTODY_RELEASED] = "released", [SK_CUSTODY_DISCHARGED] = "discharged",
    [SK_CUSTODY_CLOSED] = "closed",
};

static void put_count(FILE *out, const char *name, uint64_t v, int last)
{
    fprintf(out, "    \"%s\": %llu%s\n", name, (unsigned long long)v, last ? "" : ",");
}

static void write_events(const gen_truth *t, FILE *out)
{
    size_t i;

    fprintf(out, "  \"events_by_type\": {\n");
    for (i = 0; i < SK_EV__COUNT; i++)
        put_count(out, sk_event_def_get((sk_event_type)i)->name, t->by_type[i],
                  i + 1 == SK_EV__COUNT);
    fprintf(out, "  },\n  \"custody\": {\n");
    for (i = SK_CUSTODY_APPREHENDED; i < SK_CUSTODY__COUNT; i++)
        put_count(out, custody_names[i], t->custody[i], i + 1 == SK_CUSTODY__COUNT);
    fprintf(out, "  },\n  \"by_country\": {\n");
    for (i = 0; i < gen_country_count; i++)
        put_count(out, gen_countries[i].code, t->by_country[i], i + 1 == gen_country_count);
    fprintf(out, "  },\n  \"sponsor_category\": {\n");
    for (i = 0; i <= GEN_CAT_4; i++)
        put_count(out, sk_sponsor_categories[i], t->sponsor_category[i], i == GEN_CAT_4);
    fprintf(out, "  },\n");
}

static void write_court(const gen_truth *t, FILE *out)
{
    size_t i;

    fprintf(out, "  \"released\": %llu,\n", (unsigned long long)t->released);
    fprintf(out, "  \"nta\": {\n");
    put_count(out, "with", t->nta_with, 0);
    put_count(out, "without", t->nta_without, 1);
    fprintf(out, "  },\n  \"hearings_missed\": {\n");
    put_count(out, "children", t->missed_children, 0);
    put_count(out, "failed_to_appear", t->fta, 0);
    put_count(out, "in_absentia_order", t->in_absentia, 1);
    fprintf(out, "  },\n  \"wellness_calls\": {\n");
    put_count(out, "reached", t->calls_reached, 0);
    put_count(out, "unreached", t->calls_unreached, 0);
    put_count(out, "children_never_reached", t->never_reached, 1);
    fprintf(out, "  },\n  \"release_address\": {\n");
    put_count(out, "blank", t->addr_blank, 0);
    put_count(out, "undeliverable", t->addr_undeliverable, 1);
    fprintf(out, "  },\n  \"transfers\": {\n");
    put_count(out, "events", t->transfer_events, 0);
    put_count(out, "children", t->transfer_children, 1);
    fprintf(out, "  },\n  \"incidents\": {\n");
    put_count(out, "events", t->incident_events, 0);
    put_count(out, "children", t->incident_children, 0);
    for (i = 0; i < GEN_INC__COUNT; i++)
        put_count(out, gen_enum_str(SK_EV_INCIDENT, "category", (unsigned)i), t->incident_kind[i],
                  i + 1 == GEN_INC__COUNT);
    fprintf(out, "  },\n");
}

static void write_pairs(const gen_truth *t, FILE *out)
{
    size_t i;

    fprintf(out, "  \"duplicates\": {\n    \"count\": %llu,\n    \"pairs\": [",
            (unsigned long long)t->pair_count);
    for (i = 0; i < t->pair_count; i++)
        fprintf(out, "%s\n      [\"C%07u\", \"C%07u\"]", i ? "," : "", t->pairs[2 * i],
                t->pairs[2 * i + 1]);
    fprintf(out, "%s]\n  },\n", t->pair_count ? "\n    " : "");
}

static void write_tracking(const gen_truth *t, const char *as_of, int64_t end, FILE *out)
{
    int64_t released_by = end - (int64_t)SK_TRACKING_NTA_DAYS_DEFAULT * 86400;
    uint64_t without = 0;
    size_t i;

    for (i = 0; i < t->no_nta_count; i++)
        without += t->no_nta[i] <= released_by;
    fprintf(out, "  \"tracking\": {\n    \"as_of\": \"%s\",\n", as_of);
    put_count(out, "nta_days", SK_TRACKING_NTA_DAYS_DEFAULT, 0);
    put_count(out, "missed_hearing", t->missed_children, 0);
    put_count(out, "in_absentia_order", t->absentia_children, 0);
    put_count(out, "without_nta_after_days", without, 0);
    put_count(out, "address_blank", t->addr_blank, 0);
    put_count(out, "address_undeliverable", t->addr_undeliverable, 0);
    put_count(out, "unreached_after_release", t->unreached_released, 1);
    fprintf(out, "  },\n");
}

sk_err gen_truth_write(const gen_truth *t, const sk_gen_opts *opts, int64_t start, FILE *out)
{
    char from[SK_DATE_LEN + 1], to[SK_RFC3339_LEN + 1];
    sk_err rc = SK_OK;

    SK_ASSERT(t != NULL && opts != NULL && out != NULL);
    sk_time_format_date(start, from);
    sk_time_format_rfc3339(opts->end, to);
    fprintf(out, "{\n  \"generator\": \"safekeep generate\",\n");
    fprintf(out, "  \"seed\": %llu,\n  \"years\": %u,\n", (unsigned long long)opts->seed,
            opts->years);
    fprintf(out, "  \"window\": {\"from\": \"%s\", \"to\": \"%s\"},\n", from, to);
    fprintf(out, "  \"children\": %llu,\n  \"records\": %llu,\n  \"events\": %llu,\n",
            (unsigned long long)t->children, (unsigned long long)t->records,
            (unsigned long long)t->events);
    write_events(t, out);
    write_court(t, out);
    write_pairs(t, out);
    write_tracking(t, to, opts->end, out);
    fprintf(out, "  \"late_recorded_events\": %llu\n}\n", (unsigned long long)t->late);
    if (ferror(out))
        rc = SK_ERR_IO;
    return rc;
}
