/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/policy.c: how fast sk_policy_decide answers, on the shipped examples
 * plus synthetic agreements among 20 more agencies, with a realistic mix of
 * requests (permits, default denials, constraint denials, field masks, past
 * dates). It also writes the same scenario as Cedar policies, entities and
 * requests (with safekeep's decisions) for bench/cedar/cedar.mjs.
 *
 *   build/release/bench/policy [--examples DIR] [--export DIR] [--requests N]
 *                              [--seconds S]
 *
 * Method. The policy is built as the product builds it: text parsed with
 * sk_policy_parse, compiled with sk_policy_compile. Requests are generated
 * once (a fixed-seed PRNG), aimed at agreements, constraints and roles so
 * that every path is taken, and decided once to record the expected answers
 * and the mix. After a warm-up, throughput is timed over batches of 64
 * decisions (clock_gettime around each batch, so the timer costs nothing per
 * decision); latency percentiles come from a sample of individually timed
 * calls, reported raw and less the median cost of the timer itself.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_core.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_time.h"

#define DOCS_MAX       32
#define SYN_AGENCIES   20
#define SYN_SPAN       3 /* each synthetic agency shares with the next three */
#define BATCH          64
#define SAMPLE_CALLS   400000
#define REQUESTS_MAX   1000000
#define FIELDS_PER_REQ 4
#define DAY            86400

typedef struct bench {
    sk_arena *arena;
    sk_policy_doc docs[DOCS_MAX];
    size_t doc_count;
    sk_policy *policy;
    sk_request *reqs;
    sk_decision *expected;
    size_t req_count;
    uint64_t rng;
} bench;

/* ---------------------------------------------------------------- util */

static uint64_t next(bench *b)
{
    uint64_t z = (b->rng += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned below(bench *b, unsigned n)
{
    return (unsigned)(next(b) % n);
}

static unsigned bit_of(bench *b, uint64_t mask)
{
    unsigned bit;

    if (mask == 0)
        return 0;
    do {
        bit = below(b, 64);
    } while (((mask >> bit) & 1u) == 0);
    return bit;
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t date(const char *text)
{
    int64_t t = 0;

    if (sk_time_parse_date(sk_str_c(text), &t) != SK_OK) {
        fprintf(stderr, "bad date %s\n", text);
        exit(1);
    }
    return t;
}

static void die_diag(const char *what, const sk_diag *diag)
{
    char buf[512];

    sk_diag_format(diag, buf, sizeof(buf));
    fprintf(stderr, "bench/policy: %s: %s\n", what, buf);
    exit(1);
}

static char *read_text(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    long size;

    if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) != 0) {
        fprintf(stderr, "bench/policy: cannot read %s: %s\n", path, strerror(errno));
        exit(1);
    }
    buf = malloc((size_t)size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)size, fp) != (size_t)size) {
        fprintf(stderr, "bench/policy: cannot read %s\n", path);
        exit(1);
    }
    fclose(fp);
    buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}

/* ------------------------------------------------------------- policy */

static void parse_text(bench *b, const char *text, size_t len, const char *name)
{
    sk_diag diag;

    sk_diag_clear(&diag);
    if (b->doc_count == DOCS_MAX) {
        fprintf(stderr, "bench/policy: too many policy files\n");
        exit(1);
    }
    if (sk_policy_parse((sk_str){text, len}, name, b->arena, &b->docs[b->doc_count], &diag) !=
        SK_OK)
        die_diag("parse", &diag);
    b->doc_count++;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every DIR/NAME.policy, in name order (as the shell's glob would give). */
static void load_examples(bench *b, const char *dir)
{
    char *names[DOCS_MAX], path[4096];
    size_t count = 0, i, len;
    struct dirent *e;
    DIR *dp = opendir(dir);

    if (dp == NULL) {
        fprintf(stderr,
                "bench/policy: cannot open %s: %s (run from the source tree or pass "
                "--examples DIR)\n",
                dir, strerror(errno));
        exit(1);
    }
    for (e = readdir(dp); e != NULL; e = readdir(dp)) {
        size_t n = strlen(e->d_name);
        if (n > 7 && strcmp(e->d_name + n - 7, ".policy") == 0 && count < DOCS_MAX - 1)
            names[count++] = strdup(e->d_name);
    }
    closedir(dp);
    qsort(names, count, sizeof(names[0]), by_name);
    for (i = 0; i < count; i++) {
        char *text;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        text = read_text(path, &len);
        parse_text(b, text, len, names[i]);
        free(text); /* the parsed document lives in the arena */
        free(names[i]);
    }
}

static const char *const syn_kinds[] = {"child_welfare", "enforcement", "border",   "court",
                                        "legal_service", "oversight",   "benefits", "other"};
static const char *const syn_fields[] = {
    "given_name, family_name, dob, a_number, address, custody_status, facility",
    "given_name, family_name, dob, a_number, placement_type, release_date, incidents",
    "given_name, a_number, hearing_dates, hearing_outcomes, court_id, nta",
    "given_name, family_name, sponsor_id, relationship, immigration_status, vetting_results"};
static const char *const syn_purposes[] = {
    "child_welfare, sponsor_vetting", "court_proceedings, legal_representation",
    "oversight, statistics", "immigration_enforcement, law_enforcement, child_welfare"};
static const char *const syn_entities[] = {"child, placement", "child, hearing, relief",
                                           "sponsor, household_member", "child, incident, fact"};

/* Synthetic agreements among 20 agencies: each shares with the next three,
 * in two versions (amended in 2022), plus constraints of every shape. */
static void synthetic(bench *b)
{
    char *text = NULL;
    size_t len = 0, i, j;
    FILE *out = open_memstream(&text, &len);

    if (out == NULL)
        exit(1);
    for (i = 0; i < SYN_AGENCIES; i++)
        fprintf(out, "agency SYN%02zu\n    kind: %s\n    name: Synthetic agency %zu\n\n", i,
                syn_kinds[i % 8], i);
    fprintf(out, "role worker\n    agency: *\n    actions: read, write\n"
                 "    purposes: child_welfare, court_proceedings\n    entities: *\n"
                 "    fields: given_name, family_name, dob, address, facility\n\n");
    for (i = 0; i < SYN_AGENCIES; i++) {
        for (j = 1; j <= SYN_SPAN; j++) {
            size_t to = (i + j) % SYN_AGENCIES, k = (i + j) % 4;
            fprintf(out,
                    "agreement syn-%02zu-%02zu\n    version: 1\n    title: synthetic\n"
                    "    citation: synthetic MOA %zu-%zu\n    provider: SYN%02zu\n"
                    "    recipients: SYN%02zu%s\n    actions: read%s\n    purposes: %s\n"
                    "    entities: %s\n    fields: %s\n%s    effective: 2019-01-01\n"
                    "    expires: 2022-01-01\n\n",
                    i, to, i, to, i, to, j == 3 ? ", kind:oversight" : "", j == 2 ? ", export" : "",
                    syn_purposes[k], syn_entities[k], syn_fields[k],
                    j == 1 ? "    when: record.released\n" : "");
            fprintf(out,
                    "agreement syn-%02zu-%02zu\n    version: 2\n    title: synthetic, amended\n"
                    "    citation: synthetic MOA %zu-%zu, amendment 1\n    provider: SYN%02zu\n"
                    "    recipients: SYN%02zu\n    actions: read\n    purposes: %s\n"
                    "    entities: %s\n    fields: %s\n    obligations: log\n"
                    "    retention_days: %zu\n    effective: 2022-01-01\n\n",
                    i, to, i, to, i, to, syn_purposes[k], syn_entities[k], syn_fields[(k + 1) % 4],
                    30 * (j + 1));
        }
    }
    for (i = 0; i < 10; i++) {
        if (i % 2 == 0)
            fprintf(
                out,
                "constraint syn-no-enforcement-%zu\n    title: synthetic\n"
                "    citation: synthetic statute %zu\n    reason: synthetic denial %zu\n"
                "    provider: SYN%02zu\n    recipients: kind:enforcement, kind:border\n"
                "    purposes: immigration_enforcement\n    entities: sponsor, household_member\n"
                "    fields: *\n    unless: sponsor.qualifying_offence\n"
                "    effective: 2020-06-01\n\n",
                i, i, i, i * 2);
        else
            fprintf(
                out,
                "constraint syn-withhold-%zu\n    title: synthetic\n"
                "    citation: synthetic regulation %zu\n    reason: synthetic withholding %zu\n"
                "    provider: SYN%02zu\n    fields: address, immigration_status, incidents\n"
                "    when: record.asylum\n    effective: 2021-01-01\n    expires: 2024-01-01\n\n",
                i, i, i, i * 2);
    }
    fclose(out);
    parse_text(b, text, len, "synthetic.policy");
    free(text);
}

static void compile(bench *b)
{
    sk_diag diag;

    sk_diag_clear(&diag);
    if (sk_policy_compile(b->docs, b->doc_count, &b->policy, &diag) != SK_OK)
        die_diag("compile", &diag);
}

/* ------------------------------------------------------------- requests */

static int64_t random_time(bench *b)
{
    /* 2015-01-01 .. 2030-01-01, at any second */
    return date("2015-01-01") + (int64_t)(next(b) % (uint64_t)(15 * 365 * (int64_t)DAY));
}

static uint64_t random_fields(bench *b, uint64_t prefer)
{
    size_t count = sk_policy_field_count();
    uint64_t m = 0;
    unsigned i, n = 1 + below(b, FIELDS_PER_REQ);

    for (i = 0; i < n; i++) {
        if (prefer != 0 && below(b, 3) != 0)
            m |= (uint64_t)1 << bit_of(b, prefer);
        else
            m |= (uint64_t)1 << below(b, (unsigned)count);
    }
    return m;
}

static int agency_of_kind(bench *b, uint32_t kinds)
{
    size_t n = sk_policy_agency_count(b->policy), tries;

    for (tries = 0; tries < 64 && kinds != 0; tries++) {
        size_t i = below(b, (unsigned)n);
        if (kinds & (1u << sk_policy_agency_at(b->policy, i)->kind))
            return (int)i;
    }
    return (int)below(b, (unsigned)n);
}

/* Aims a request at an agreement or constraint: its recipients, provider,
 * scope, conditions and interval (past dates included). */
static void aim_at_rule(bench *b, const sk_pol_rule *r, sk_request *q)
{
    int64_t end = r->expires != INT64_MAX ? r->expires : date("2030-01-01");
    int64_t start = r->effective;

    if (r->recipient_count > 0)
        q->agency =
            sk_policy_agency(b->policy, sk_str_c(r->recipient_ids[below(b, r->recipient_count)]));
    else
        q->agency = agency_of_kind(b, r->recipient_kinds);
    if (strcmp(r->provider, "*") != 0)
        q->record_agency = sk_policy_agency(b->policy, sk_str_c(r->provider));
    q->action = (sk_action)bit_of(b, r->actions);
    q->purpose = (sk_purpose)bit_of(b, r->purposes);
    q->entity = (sk_entity)bit_of(b, r->entities);
    q->attrs = (q->attrs | r->when_set) & ~r->when_clear;
    if (below(b, 10) < 7)
        q->attrs &= ~r->unless_set;
    if (end > start)
        q->at = start + (int64_t)(next(b) % (uint64_t)(end - start));
    if (below(b, 10) == 0) /* sometimes just before or after */
        q->at = below(b, 2) ? start - 1 : end;
    q->fields = random_fields(b, r->fields);
}

static void aim_at_role(bench *b, const sk_pol_role *o, sk_request *q)
{
    if (strcmp(o->agency, "*") != 0)
        q->agency = sk_policy_agency(b->policy, sk_str_c(o->agency));
    q->record_agency = q->agency;
    q->role = sk_policy_role(b->policy, sk_str_c(o->role));
    q->action = (sk_action)bit_of(b, o->actions);
    q->purpose = (sk_purpose)bit_of(b, o->purposes);
    q->entity = (sk_entity)bit_of(b, o->entities);
    q->fields = random_fields(b, o->fields);
}

static const sk_pol_role *random_role(bench *b)
{
    size_t total = 0, d, k;

    for (d = 0; d < b->doc_count; d++)
        total += b->docs[d].role_count;
    k = below(b, (unsigned)total);
    for (d = 0; d < b->doc_count; d++) {
        if (k < b->docs[d].role_count)
            return &b->docs[d].roles[k];
        k -= b->docs[d].role_count;
    }
    return NULL;
}

static void make_requests(bench *b, size_t count)
{
    size_t i, agencies = sk_policy_agency_count(b->policy);
    size_t rules = sk_policy_rule_count(b->policy);

    b->reqs = calloc(count, sizeof(*b->reqs));
    b->expected = calloc(count, sizeof(*b->expected));
    if (b->reqs == NULL || b->expected == NULL)
        exit(1);
    b->req_count = count;
    for (i = 0; i < count; i++) {
        sk_request *q = &b->reqs[i];
        unsigned kind = below(b, 100);
        q->agency = (int)below(b, (unsigned)agencies);
        q->record_agency = (int)below(b, (unsigned)agencies);
        q->role = -1;
        q->action = (sk_action)below(b, SK_ACTION__COUNT);
        q->purpose = (sk_purpose)below(b, SK_PURPOSE__COUNT - 1); /* emergency below */
        q->entity = (sk_entity)below(b, SK_ENTITY__COUNT);
        q->attrs = (uint32_t)(next(b) & ((1u << SK_ATTR__COUNT) - 1) & next(b));
        q->at = random_time(b);
        q->fields = random_fields(b, 0);
        if (kind < 50)
            aim_at_rule(b, sk_policy_rule(b->policy, below(b, (unsigned)rules)), q);
        else if (kind < 70)
            aim_at_role(b, random_role(b), q);
        else if (kind < 74)
            q->purpose = SK_PURPOSE_EMERGENCY;
        sk_policy_decide(b->policy, q, &b->expected[i]);
    }
}

/* -------------------------------------------------------------- timing */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

static volatile uint64_t sink;

typedef struct results {
    double decisions_per_s, batch_mean_ns;
    int64_t p50_ns, p99_ns, p999_ns, max_ns, timer_p50_ns;
    uint64_t decisions;
    double seconds;
} results;

static void measure(const bench *b, double seconds, results *res)
{
    int64_t start, stop, elapsed = 0, *samples = malloc(SAMPLE_CALLS * sizeof(int64_t));
    int64_t *timer = malloc(SAMPLE_CALLS * sizeof(int64_t));
    uint64_t acc = 0, done = 0;
    size_t i, k, pos = 0;
    sk_decision d;
    int round;

    if (samples == NULL || timer == NULL)
        exit(1);
    for (round = 0; round < 3; round++) { /* warm-up: caches, branch predictors */
        for (i = 0; i < b->req_count; i++) {
            sk_policy_decide(b->policy, &b->reqs[i], &d);
            acc += d.fields;
        }
    }
    /* Throughput: batches of 64, timed as batches. */
    while ((double)elapsed < seconds * 1e9) {
        start = now_ns();
        for (k = 0; k < BATCH; k++) {
            sk_policy_decide(b->policy, &b->reqs[pos], &d);
            acc += d.fields ^ (uint64_t)d.permit;
            pos = pos + 1 == b->req_count ? 0 : pos + 1;
        }
        stop = now_ns();
        elapsed += stop - start;
        done += BATCH;
    }
    res->decisions = done;
    res->seconds = (double)elapsed / 1e9;
    res->decisions_per_s = (double)done / res->seconds;
    res->batch_mean_ns = (double)elapsed / (double)done;
    /* Latency: individually timed calls; and the timer alone. */
    for (i = 0; i < SAMPLE_CALLS; i++) {
        start = now_ns();
        stop = now_ns();
        timer[i] = stop - start;
    }
    for (i = 0; i < SAMPLE_CALLS; i++) {
        const sk_request *q = &b->reqs[i % b->req_count];
        start = now_ns();
        sk_policy_decide(b->policy, q, &d);
        stop = now_ns();
        samples[i] = stop - start;
        acc += d.fields;
    }
    qsort(timer, SAMPLE_CALLS, sizeof(int64_t), cmp_i64);
    qsort(samples, SAMPLE_CALLS, sizeof(int64_t), cmp_i64);
    res->timer_p50_ns = timer[SAMPLE_CALLS / 2];
    res->p50_ns = samples[SAMPLE_CALLS / 2];
    res->p99_ns = samples[SAMPLE_CALLS * 99 / 100];
    res->p999_ns = samples[SAMPLE_CALLS * 999 / 1000];
    res->max_ns = samples[SAMPLE_CALLS - 1];
    sink = acc;
    free(samples);
    free(timer);
}

/* --------------------------------------------------------------- Cedar */

static void cedar_list(FILE *out, const char *const *names, uint64_t mask)
{
    size_t i;
    int first = 1;

    fputc('[', out);
    for (i = 0; names[i] != NULL && i < 64; i++) {
        if ((mask >> i) & 1u) {
            fprintf(out, "%s\"%s\"", first ? "" : ", ", names[i]);
            first = 0;
        }
    }
    fputc(']', out);
}

static void cedar_actions(FILE *out, uint32_t actions)
{
    size_t i;
    int first = 1;

    fprintf(out, "action in [");
    for (i = 0; i < SK_ACTION__COUNT; i++) {
        if ((actions >> i) & 1u) {
            fprintf(out, "%sAction::\"%s\"", first ? "" : ", ", sk_action_names[i]);
            first = 0;
        }
    }
    fprintf(out, "]");
}

/* Context attribute names of the conditions ("record.released" ->
 * "released"). */
static const char *attr_key(size_t i)
{
    const char *dot = strchr(sk_attr_names[i], '.');

    return dot != NULL ? dot + 1 : sk_attr_names[i];
}

static void cedar_conditions(FILE *out, uint32_t set, uint32_t clear)
{
    size_t i;

    for (i = 0; i < SK_ATTR__COUNT; i++) {
        if ((set >> i) & 1u)
            fprintf(out, " &&\n    context.%s", attr_key(i));
        if ((clear >> i) & 1u)
            fprintf(out, " &&\n    !context.%s", attr_key(i));
    }
}

static void cedar_recipients(FILE *out, const sk_pol_rule *r)
{
    unsigned i;

    fprintf(out, " &&\n    (");
    for (i = 0; i < r->recipient_count; i++)
        fprintf(out, "%sprincipal == Agency::\"%s\"", i ? " || " : "", r->recipient_ids[i]);
    if (r->recipient_kinds != 0) {
        fprintf(out, "%s", r->recipient_count ? " || " : "");
        cedar_list(out, sk_agency_kind_names, r->recipient_kinds);
        fprintf(out, ".contains(principal.kind)");
    }
    if (r->recipient_count == 0 && r->recipient_kinds == 0)
        fprintf(out, "false");
    fprintf(out, ")");
}

static void cedar_interval(FILE *out, const sk_pol_rule *r)
{
    fprintf(out, " &&\n    context.now >= %lld", (long long)r->effective);
    if (r->expires != INT64_MAX)
        fprintf(out, " && context.now < %lld", (long long)r->expires);
}

/* Agreements permit, constraints forbid. Cedar has no field masks, so each
 * safekeep request becomes one Cedar request per requested field
 * (context.field); safekeep permits exactly when Cedar allows at least one
 * of them (see docs/PERFORMANCE.md). */
static void cedar_rule(FILE *out, const sk_pol_rule *r)
{
    int any_provider = strcmp(r->provider, "*") == 0 || r->provider[0] == '\0';

    fprintf(out, "@id(\"%s v%u\")\n%s (principal, ", r->id, r->version,
            r->is_constraint ? "forbid" : "permit");
    cedar_actions(out, r->actions);
    fprintf(out, ", resource)\nwhen {\n    ");
    cedar_list(out, sk_purpose_names, r->purposes);
    fprintf(out, ".contains(context.purpose) &&\n    ");
    cedar_list(out, sk_entity_names, r->entities);
    fprintf(out, ".contains(resource.type)");
    if (!any_provider)
        fprintf(out, " &&\n    resource.provider == \"%s\"", r->provider);
    if (!r->is_constraint) {
        /* Agreements: another agency's records, a known requester, not an
         * emergency (break-glass has its own policy). */
        fprintf(out, " &&\n    resource.provider != \"\" && resource.provider != principal.id");
        cedar_recipients(out, r);
    } else if (r->recipient_count > 0 || r->recipient_kinds != 0) {
        cedar_recipients(out, r);
    }
    if (r->fields != 0) {
        fprintf(out, " &&\n    ");
        cedar_list(out, sk_policy_field_names, r->fields);
        fprintf(out, ".contains(context.field)");
    }
    cedar_conditions(out, r->when_set, r->when_clear);
    cedar_interval(out, r);
    fprintf(out, "\n}");
    if (r->unless_set != 0) {
        size_t i;
        int first = 1;
        fprintf(out, "\nunless {");
        for (i = 0; i < SK_ATTR__COUNT; i++) {
            if ((r->unless_set >> i) & 1u) {
                fprintf(out, "%s context.%s", first ? "" : " ||", attr_key(i));
                first = 0;
            }
        }
        fprintf(out, " }");
    }
    fprintf(out, ";\n\n");
}

static void cedar_role(FILE *out, const sk_pol_role *o, size_t index)
{
    fprintf(out, "@id(\"role %s %s #%zu\")\npermit (principal, ", o->role, o->agency, index);
    cedar_actions(out, o->actions);
    fprintf(out, ", resource)\nwhen {\n    context.role == \"%s\" &&\n", o->role);
    fprintf(out, "    resource.provider == principal.id");
    if (strcmp(o->agency, "*") != 0)
        fprintf(out, " &&\n    principal == Agency::\"%s\"", o->agency);
    fprintf(out, " &&\n    ");
    cedar_list(out, sk_purpose_names, o->purposes);
    fprintf(out, ".contains(context.purpose) &&\n    ");
    cedar_list(out, sk_entity_names, o->entities);
    fprintf(out, ".contains(resource.type) &&\n    ");
    cedar_list(out, sk_policy_field_names, o->fields);
    fprintf(out, ".contains(context.field)\n};\n\n");
}

static FILE *create(const char *dir, const char *name)
{
    char path[4096];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "w");
    if (fp == NULL) {
        fprintf(stderr, "bench/policy: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return fp;
}

static const char *role_name(const bench *b, int role)
{
    size_t d, i;

    for (d = 0; role >= 0 && d < b->doc_count; d++) {
        for (i = 0; i < b->docs[d].role_count; i++) {
            if (sk_policy_role(b->policy, sk_str_c(b->docs[d].roles[i].role)) == role)
                return b->docs[d].roles[i].role;
        }
    }
    return "";
}

static void export_cedar(const bench *b, const char *dir, size_t count)
{
    FILE *out;
    size_t i, d, e, a, roles = 0;

    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "bench/policy: cannot create %s: %s\n", dir, strerror(errno));
        exit(1);
    }
    out = create(dir, "policies.cedar");
    fprintf(out, "// Generated by bench/policy.c from the shipped examples and synthetic\n"
                 "// agreements; see docs/PERFORMANCE.md.\n\n"
                 "@id(\"break-glass\")\npermit (principal, action, resource)\n"
                 "when { context.purpose == \"emergency\" };\n\n");
    for (i = 0; i < sk_policy_rule_count(b->policy); i++)
        cedar_rule(out, sk_policy_rule(b->policy, i));
    for (d = 0; d < b->doc_count; d++) {
        for (i = 0; i < b->docs[d].role_count; i++)
            cedar_role(out, &b->docs[d].roles[i], roles++);
    }
    fclose(out);

    out = create(dir, "entities.json");
    fprintf(out, "[\n");
    for (a = 0; a < sk_policy_agency_count(b->policy); a++) {
        const sk_pol_agency *ag = sk_policy_agency_at(b->policy, a);
        fprintf(out,
                "{\"uid\":{\"type\":\"Agency\",\"id\":\"%s\"},\"attrs\":{\"id\":\"%s\","
                "\"kind\":\"%s\"},\"parents\":[]},\n",
                ag->id, ag->id, sk_agency_kind_names[ag->kind]);
        for (e = 0; e < SK_ENTITY__COUNT; e++)
            fprintf(out,
                    "{\"uid\":{\"type\":\"Record\",\"id\":\"%s/%s\"},\"attrs\":{\"provider\":"
                    "\"%s\",\"type\":\"%s\"},\"parents\":[]},\n",
                    ag->id, sk_entity_names[e], ag->id, sk_entity_names[e]);
    }
    for (e = 0; e < SK_ENTITY__COUNT; e++)
        fprintf(out,
                "{\"uid\":{\"type\":\"Record\",\"id\":\"-/%s\"},\"attrs\":{\"provider\":\"\","
                "\"type\":\"%s\"},\"parents\":[]}%s\n",
                sk_entity_names[e], sk_entity_names[e], e + 1 < SK_ENTITY__COUNT ? "," : "");
    fprintf(out, "]\n");
    fclose(out);

    out = create(dir, "requests.json");
    fprintf(out, "[\n");
    for (i = 0; i < count && i < b->req_count; i++) {
        const sk_request *q = &b->reqs[i];
        const char *agency = sk_policy_agency_at(b->policy, (size_t)q->agency)->id;
        const char *record = q->record_agency >= 0
                                 ? sk_policy_agency_at(b->policy, (size_t)q->record_agency)->id
                                 : "-";
        size_t k;
        fprintf(out,
                "{\"principal\":{\"type\":\"Agency\",\"id\":\"%s\"},\"action\":{\"type\":"
                "\"Action\",\"id\":\"%s\"},\"resource\":{\"type\":\"Record\",\"id\":\"%s/%s\"},"
                "\"context\":{\"purpose\":\"%s\",\"role\":\"%s\",\"now\":%lld",
                agency, sk_action_names[q->action], record, sk_entity_names[q->entity],
                sk_purpose_names[q->purpose], role_name(b, q->role), (long long)q->at);
        for (k = 0; k < SK_ATTR__COUNT; k++)
            fprintf(out, ",\"%s\":%s", attr_key(k), (q->attrs >> k) & 1u ? "true" : "false");
        fprintf(out, "},\"fields\":");
        cedar_list(out, sk_policy_field_names, q->fields);
        fprintf(out, ",\"expected\":\"%s\"}%s\n", b->expected[i].permit ? "allow" : "deny",
                i + 1 < count && i + 1 < b->req_count ? "," : "");
    }
    fprintf(out, "]\n");
    fclose(out);
}

/* ---------------------------------------------------------------- main */

static void print_mix(const bench *b)
{
    size_t i, kinds[5] = {0}, masked = 0, past = 0, permits = 0;
    int64_t now = date("2025-01-01");

    for (i = 0; i < b->req_count; i++) {
        const sk_decision *d = &b->expected[i];
        kinds[d->kind]++;
        permits += d->permit != 0;
        masked += d->permit && (d->withheld != 0 || d->fields != b->reqs[i].fields);
        past += b->reqs[i].at < now;
    }
    printf("requests: %zu distinct, cycled; %zu permits (%.0f%%), of which %zu field-masked;\n"
           "  by deciding rule: default %zu, constraint %zu, role %zu, agreement %zu, "
           "break-glass %zu; %zu dated before 2025\n",
           b->req_count, permits, 100.0 * (double)permits / (double)b->req_count, masked, kinds[0],
           kinds[1], kinds[2], kinds[3], kinds[4], past);
}

int main(int argc, char **argv)
{
    const char *examples = "examples", *export_dir = NULL;
    size_t requests = 4096, exported = 4096;
    double seconds = 3.0;
    bench b;
    results res;
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--examples") == 0 && i + 1 < argc)
            examples = argv[++i];
        else if (strcmp(argv[i], "--export") == 0 && i + 1 < argc)
            export_dir = argv[++i];
        else if (strcmp(argv[i], "--requests") == 0 && i + 1 < argc)
            requests = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = strtod(argv[++i], NULL);
        else {
            fprintf(stderr,
                    "usage: %s [--examples DIR] [--export DIR] [--requests N] "
                    "[--seconds S]\n",
                    argv[0]);
            return 2;
        }
    }
    if (requests == 0 || requests > REQUESTS_MAX)
        requests = 4096;
    memset(&b, 0, sizeof(b));
    b.rng = 0x5AFEC0DEull;
    if (sk_arena_new(256 * 1024, (size_t)256 * 1024 * 1024, &b.arena) != SK_OK)
        return 1;
    load_examples(&b, examples);
    synthetic(&b);
    compile(&b);
    make_requests(&b, requests);
    printf("policy: %zu agencies, %zu agreement and constraint versions, %zu files\n",
           sk_policy_agency_count(b.policy), sk_policy_rule_count(b.policy), b.doc_count);
    print_mix(&b);
    measure(&b, seconds, &res);
    printf("\n| measure | value |\n|---|---|\n");
    printf("| decisions timed in batches of %d | %llu in %.2f s |\n", BATCH,
           (unsigned long long)res.decisions, res.seconds);
    printf("| throughput (one thread) | %.2f M decisions/s |\n", res.decisions_per_s / 1e6);
    printf("| mean latency (batch-derived) | %.1f ns |\n", res.batch_mean_ns);
    printf(
        "| p50 / p99 / p99.9 / max, per call (%d timed calls) | %lld / %lld / %lld / %lld ns |\n",
        SAMPLE_CALLS, (long long)res.p50_ns, (long long)res.p99_ns, (long long)res.p999_ns,
        (long long)res.max_ns);
    printf("| timer cost (median of empty clock_gettime pairs) | %lld ns |\n",
           (long long)res.timer_p50_ns);
    printf("| p50 / p99 less the timer cost | %lld / %lld ns |\n",
           (long long)(res.p50_ns - res.timer_p50_ns), (long long)(res.p99_ns - res.timer_p50_ns));
    if (export_dir != NULL) {
        if (exported > b.req_count)
            exported = b.req_count;
        export_cedar(&b, export_dir, exported);
        printf("\nwrote the scenario for Cedar to %s (policies.cedar, entities.json, "
               "requests.json: %zu requests)\n",
               export_dir, exported);
    }
    sk_policy_free(b.policy);
    sk_arena_free(b.arena);
    free(b.reqs);
    free(b.expected);
    return 0;
}
