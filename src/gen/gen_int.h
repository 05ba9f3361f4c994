/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_int.h: internals shared by the files of the population generator.
 *
 * The generator works child by child, in apprehension order. One child is
 * simulated into a fixed-size scratch record (gen_child): identity, custody
 * track, court track, follow-up, a possible duplicate record. finalize.c then
 * gives every event its recorded time, drops what would be recorded after
 * the end of the window, and derives the facts that cases.csv and truth.json
 * report. json.c renders the child's events into one heap block (merge.c),
 * which a k-way merge over the children still pending writes out in
 * recorded_at order, through a writer thread (writer.c). Only the scratch
 * record and the pending blocks live in memory, never the whole population.
 */
#ifndef SK_GEN_INT_H
#define SK_GEN_INT_H

#include <stdint.h>
#include <stdio.h>

#include "safekeep/sk_gen.h"
#include "safekeep/sk_model.h"
#include "safekeep/sk_time.h"

#define GEN_DAY  86400LL
#define GEN_HOUR 3600LL
#define GEN_MIN  60LL

/* ---- prng.c: xoshiro256** seeded through splitmix64 ---- */

typedef struct gen_rng {
    uint64_t s[4];
} gen_rng;

uint64_t gen_splitmix64(uint64_t *state);
void gen_rng_seed(gen_rng *rng, uint64_t seed, uint64_t stream);
uint64_t gen_rng_next(gen_rng *rng);
uint64_t gen_rng_below(gen_rng *rng, uint64_t bound);
int64_t gen_rng_range(gen_rng *rng, int64_t lo, int64_t hi);
double gen_rng_unit(gen_rng *rng);
int gen_rng_chance(gen_rng *rng, double p);
uint8_t gen_rng_flag(gen_rng *rng, double p); /* gen_rng_chance as a 0/1 byte */
double gen_rng_lognormal(gen_rng *rng, double median, double sigma);
size_t gen_rng_pick(gen_rng *rng, const uint16_t *weights, size_t count);

/* ---- tables.c: the static data the simulation draws from ---- */

enum gen_name_set {
    GEN_NAMES_HISPANIC = 0,
    GEN_NAMES_HAITIAN,
    GEN_NAMES_INDIAN,
    GEN_NAMES_CHINESE,
    GEN_NAMES_BRAZILIAN,
    GEN_NAMES__COUNT
};

typedef struct gen_country {
    const char *code;            /* ISO 3166-1 alpha-2 */
    uint16_t weight;             /* per 10,000 children */
    uint8_t name_set;            /* enum gen_name_set */
    const char *const *langs;    /* ISO 639-3 codes */
    const uint16_t *lang_weight; /* same length as langs */
    size_t lang_count;
} gen_country;

typedef struct gen_location {
    const char *name;   /* border sector or port of entry */
    const char *office; /* referring office id */
    uint16_t weight;
} gen_location;

typedef struct gen_city {
    const char *name;
    const char *state;
    const char *zip3;
    const char *area_code;
    const char *court; /* immigration court id */
    uint16_t weight;
} gen_city;

typedef struct gen_facility {
    char id[12];   /* F-TX-017 */
    char state[3]; /* US state */
    uint8_t type;  /* index into sk_placement_types */
    const char *court;
} gen_facility;

typedef struct gen_name_list {
    const char *const *items;
    size_t count;
} gen_name_list;

typedef struct gen_name_tables {
    gen_name_list given[2]; /* [0] female, [1] male */
    gen_name_list compound[2];
    gen_name_list surnames;
    unsigned compound_pct; /* share of compound given names */
    unsigned double_pct;   /* share of two-part family names */
} gen_name_tables;

extern const gen_country gen_countries[];
extern const size_t gen_country_count;
extern const gen_location gen_locations[];
extern const size_t gen_location_count;
extern const gen_city gen_cities[];
extern const size_t gen_city_count;
extern const char *const gen_streets[];
extern const size_t gen_street_count;
extern const gen_name_tables gen_names[GEN_NAMES__COUNT];
extern const gen_name_list gen_mayan_surnames;
extern const char *const gen_month_abbr[12];
extern const char *const gen_month_full[12];

/* The facility network, a pure function of tables.c, in caller storage. */
#define GEN_FACILITIES_MAX  256
#define GEN_PLACEMENT_TYPES 10 /* entries of sk_placement_types */
typedef struct gen_facnet {
    gen_facility fac[GEN_FACILITIES_MAX];
    size_t count;
    uint16_t by_type[GEN_PLACEMENT_TYPES][GEN_FACILITIES_MAX];
    size_t by_type_count[GEN_PLACEMENT_TYPES];
} gen_facnet;
void gen_facnet_build(gen_facnet *net);
/* A facility of the given placement type other than avoid (SIZE_MAX: any). */
size_t gen_facility_pick(const gen_facnet *net, gen_rng *rng, unsigned type, size_t avoid);
/* A placement type drawn with the caseload's weights. */
unsigned gen_placement_pick(gen_rng *rng);
size_t gen_city_pick(gen_rng *rng);
size_t gen_location_pick(gen_rng *rng);
size_t gen_country_pick(gen_rng *rng);

/* ---- agencies and users ---- */

enum gen_agency {
    GEN_AG_CBP = 0,
    GEN_AG_ORR,
    GEN_AG_ICE,
    GEN_AG_EOIR,
    GEN_AG_USCIS,
    GEN_AG_LSP0, /* legal-service providers follow */
    GEN_AG__COUNT = GEN_AG_LSP0 + 8
};
const char *gen_agency_id(unsigned agency);
const char *gen_agency_user_prefix(unsigned agency);
const char *gen_agency_ref(unsigned agency);

/* ---- enumeration indices, in the catalogue's order (catalogue.c) ---- */

enum { GEN_SEX_FEMALE = 0, GEN_SEX_MALE = 1, GEN_SEX_UNKNOWN = 3 };
enum {
    GEN_PT_SHELTER = 0,
    GEN_PT_GROUP_HOME,
    GEN_PT_THERAPEUTIC,
    GEN_PT_TFC,
    GEN_PT_LTFC,
    GEN_PT_HEIGHTENED,
    GEN_PT_SECURE,
    GEN_PT_RTC,
    GEN_PT_INFLUX,
    GEN_PT_OON
};
enum {
    GEN_DT_SPONSOR = 0,
    GEN_DT_AGED_OUT,
    GEN_DT_VOLUNTARY,
    GEN_DT_REMOVAL,
    GEN_DT_RUNAWAY,
    GEN_DT_STATUS,
    GEN_DT_URM
};
enum { GEN_CAT_1 = 0, GEN_CAT_2A, GEN_CAT_2B, GEN_CAT_3, GEN_CAT_4 };
enum {
    GEN_REL_PARENT = 0,
    GEN_REL_GUARDIAN,
    GEN_REL_SIBLING,
    GEN_REL_GRANDPARENT,
    GEN_REL_AUNT_UNCLE,
    GEN_REL_COUSIN,
    GEN_REL_OTHER,
    GEN_REL_FRIEND,
    GEN_REL_UNRELATED
};
enum { GEN_CHK_PUBLIC = 0, GEN_CHK_SOR, GEN_CHK_FINGERPRINT, GEN_CHK_CAN, GEN_CHK_HOME_STUDY };
enum { GEN_RES_CLEAR = 0, GEN_RES_FINDING, GEN_RES_INCONCLUSIVE, GEN_RES_WAIVED };
enum {
    GEN_TR_STEP_UP = 0,
    GEN_TR_STEP_DOWN,
    GEN_TR_CAPACITY,
    GEN_TR_MEDICAL,
    GEN_TR_FAMILY,
    GEN_TR_OTHER
};
enum { GEN_DENY_CHECK = 0, GEN_DENY_HOME_STUDY, GEN_DENY_WITHDRAWN, GEN_DENY_OTHER };
enum { GEN_ADDR_VERIFIED = 0, GEN_ADDR_UNVERIFIED, GEN_ADDR_UNDELIVERABLE, GEN_ADDR_NONE };
enum { GEN_SVC_HOME_STUDY = 0, GEN_SVC_CASE_MGMT, GEN_SVC_LEGAL, GEN_SVC_MENTAL, GEN_SVC_EDU };
enum { GEN_SST_REFERRED = 0, GEN_SST_STARTED, GEN_SST_COMPLETED, GEN_SST_DECLINED };
enum {
    GEN_INC_TRAFFICKING = 0,
    GEN_INC_LABOR,
    GEN_INC_ABUSE,
    GEN_INC_RUNAWAY,
    GEN_INC_MEDICAL,
    GEN_INC_BEHAVIORAL,
    GEN_INC_OTHER,
    GEN_INC__COUNT
};
enum { GEN_HO_ATTENDED = 0, GEN_HO_FTA, GEN_HO_IN_ABSENTIA, GEN_HO_CONTINUED };
enum { GEN_REL_ASYLUM = 0, GEN_REL_SIJS, GEN_REL_T_VISA, GEN_REL_U_VISA };
enum { GEN_OUT_GRANTED = 0, GEN_OUT_DENIED, GEN_OUT_WITHDRAWN };
enum {
    GEN_CL_AGED_OUT = 0,
    GEN_CL_RELIEF,
    GEN_CL_REMOVED,
    GEN_CL_DEPARTED,
    GEN_CL_REUNIFIED,
    GEN_CL_OTHER
};

/* The text of enumeration value index of a field, from the catalogue. */
const char *gen_enum_str(sk_event_type type, const char *field, unsigned index);

/* ---- one simulated child ---- */

#define GEN_EV_MAX       64
#define GEN_SPONSORS_MAX 3
#define GEN_MEMBERS_MAX  4
#define GEN_NAME_MAX     96
#define GEN_ADDR_MAX     128
#define GEN_PHONE_MAX    24
#define GEN_ANUM_MAX     12

typedef struct gen_name {
    char given[GEN_NAME_MAX];
    char family[GEN_NAME_MAX];
} gen_name;

typedef struct gen_sponsor {
    uint32_t number;      /* S%07u */
    uint8_t category;     /* index into sk_sponsor_categories */
    uint8_t relationship; /* index into sk_relationships */
    uint8_t city;
    gen_name name;
    int64_t dob; /* midnight UTC */
    char a_number[GEN_ANUM_MAX];
    char address[GEN_ADDR_MAX];
    char phone[GEN_PHONE_MAX];
} gen_sponsor;

typedef struct gen_member {
    uint32_t number; /* M%07u */
    uint8_t sponsor; /* slot of the sponsor whose household it is */
    uint8_t relationship;
    gen_name name;
    int64_t dob;
} gen_member;

/*
 * One event as simulated. The meaning of p1..p3 depends on the type:
 *   transfer: p1 reason; vetting_check: p1 check type, p2 result;
 *   sponsor_denied: p1 reason; discharge: p1 discharge type, p2 address
 *   status (0 verified, 1 unverified, 2 undeliverable, 3 no address);
 *   wellness_call: p1 reached, p2 attempt, p3 concerns;
 *   post_release_service: p1 service, p2 status; incident: p1 category,
 *   p2 severity; hearing_*: p1 hearing number, p2 outcome; counsel: p1
 *   action; relief_*: p1 relief type, p2 outcome; case_closed: p1 reason;
 *   nta_filed and hearing_scheduled: court in court_idx.
 */
typedef struct gen_ev {
    int64_t occ;
    int64_t rec;
    int64_t when;  /* hearing_scheduled: scheduled_for */
    uint64_t bits; /* randomness for the event id and the user */
    uint16_t fac1, fac2;
    uint8_t type;
    uint8_t agency;
    uint8_t on_dup; /* subject is the duplicate record, not the child */
    uint8_t late;   /* chosen to be recorded late */
    uint8_t keep;   /* recorded within the window */
    int8_t sponsor; /* sponsor slot, -1 */
    int8_t member;  /* member slot, -1 */
    uint8_t p1, p2, p3;
    uint16_t seq; /* position after sorting by occurrence */
} gen_ev;

/* What the kept events say about the child, for cases.csv and truth.json. */
typedef struct gen_facts {
    int64_t referral, admission, transfer, release, nta, hearing, call; /* 0 when none */
    uint16_t fac_admit, fac_transfer;
    int8_t sponsor;         /* slot of the sponsor in the sheet, -1 */
    int8_t discharge_type;  /* -1 none */
    int8_t addr_status;     /* p2 of the discharge, -1 none */
    int8_t hearing_outcome; /* of hearing 1, -1 none yet */
    int8_t call_reached;    /* first wellness call, -1 none */
    const char *court_id;   /* of the notice or hearing, NULL when none */
    sk_custody custody;
    uint32_t transfers, incidents, missed, fta, in_absentia;
    uint32_t calls_reached, calls_unreached;
    uint32_t late;
    uint32_t incident_kind[8];
    uint64_t by_type[SK_EV__COUNT];
} gen_facts;

typedef struct gen_child {
    uint32_t number; /* C%07u */
    gen_rng rng;
    const gen_facnet *net;
    gen_name name;
    int64_t dob;
    int64_t apprehended;
    uint8_t sex; /* index into the sex enumeration: 0 female, 1 male, 3 unknown */
    uint8_t country;
    uint8_t location;
    uint8_t indigenous; /* speaks a Mayan or other indigenous language */
    const char *language;
    char a_number[GEN_ANUM_MAX];
    uint16_t case_manager; /* cm.NNNN */
    uint8_t lsp;           /* legal-service provider, GEN_AG_LSP0 + k */
    int8_t city;           /* city of release, -1 */
    const char *court_id;
    gen_sponsor sponsors[GEN_SPONSORS_MAX];
    size_t sponsor_count;
    gen_member members[GEN_MEMBERS_MAX];
    size_t member_count;
    char coa_address[GEN_ADDR_MAX]; /* change of address */
    char coa_phone[GEN_PHONE_MAX];
    /* the plan the tracks share; times are 0 when the step never happens */
    uint8_t repatriated;     /* returned at the border, never referred */
    int8_t discharge_type;   /* GEN_DT_*, -1 while in care */
    int8_t released_sponsor; /* sponsor slot, -1 */
    uint16_t facility;       /* where the child is placed (last transfer) */
    uint16_t first_facility;
    int64_t admitted, discharged;
    int64_t counsel_at;
    int64_t relief_granted_at;
    uint8_t home_study;
    /* the duplicate record another agency created, when has_dup */
    uint8_t has_dup;
    uint32_t dup_number;
    gen_name dup_name;
    int64_t dup_dob; /* 0 when the other agency has none */
    char dup_a_number[GEN_ANUM_MAX];
    gen_ev ev[GEN_EV_MAX];
    size_t ev_count;
    /* set by gen_child_finalize: the kept events in output order */
    uint8_t order[GEN_EV_MAX];
    size_t order_count;
    gen_facts facts;
} gen_child;

/* Counters that run across children, in generation order. */
typedef struct gen_seq {
    uint64_t seed;
    int64_t start, end;
    const gen_facnet *net;
    uint32_t next_sponsor, next_member, next_dup;
} gen_seq;

/* names.c */
void gen_person_name(gen_rng *rng, unsigned name_set, int indigenous, unsigned sex, gen_name *out);
void gen_relative_name(gen_rng *rng, const gen_child *c, unsigned relationship, unsigned sex,
                       gen_name *out);
void gen_variant_name(gen_rng *rng, const gen_name *in, gen_name *out);
int64_t gen_variant_dob(gen_rng *rng, int64_t dob);
void gen_address(gen_rng *rng, size_t city, char out[GEN_ADDR_MAX]);
void gen_phone(gen_rng *rng, size_t city, char out[GEN_PHONE_MAX]);
void gen_a_number(uint64_t seed, uint32_t number, unsigned base, char out[GEN_ANUM_MAX]);
void gen_ascii_fold(const char *in, char *out, size_t out_len);

/* custody.c and court.c: the simulation of one child */
void gen_child_simulate(gen_child *c, gen_seq *seq, uint32_t number, int64_t apprehended);
gen_ev *gen_ev_add(gen_child *c, unsigned type, unsigned agency, int64_t occ);
void gen_custody_track(gen_child *c, gen_seq *seq);
void gen_court_track(gen_child *c, const gen_seq *seq);
void gen_incidents(gen_child *c);
void gen_closure(gen_child *c);
void gen_duplicate(gen_child *c, gen_seq *seq);
int64_t gen_last_occ(const gen_child *c);

/* finalize.c */
void gen_child_finalize(gen_child *c, int64_t end);

/* json.c: renders the kept events of a child, one line each */
typedef struct gen_text {
    char *ptr;
    size_t len;
    size_t cap;
    int overflow;
} gen_text;
void gen_text_put(gen_text *t, const char *s, size_t n);
void gen_text_puts(gen_text *t, const char *s);
void gen_text_putc(gen_text *t, char ch);
void gen_text_uint(gen_text *t, uint64_t v, unsigned width);
void gen_text_date(gen_text *t, int64_t when);
void gen_text_time(gen_text *t, int64_t when);
void gen_child_id(gen_text *t, uint32_t number);
SK_NODISCARD sk_err gen_render_event(const gen_child *c, const gen_ev *e, gen_text *out);

/* csv.c */
void gen_csv_header(gen_text *t);
SK_NODISCARD sk_err gen_csv_row(const gen_child *c, int dup, gen_text *out);

/* truth.c */
typedef struct gen_truth {
    uint64_t children, records, events, late;
    uint64_t by_type[SK_EV__COUNT];
    uint64_t custody[SK_CUSTODY__COUNT];
    uint64_t by_country[64];
    uint64_t sponsor_category[5];
    uint64_t released, nta_with, nta_without;
    uint64_t missed_children, fta, in_absentia;
    uint64_t calls_reached, calls_unreached, never_reached;
    uint64_t addr_blank, addr_undeliverable;
    uint64_t transfer_events, transfer_children;
    uint64_t incident_events, incident_children, incident_kind[8];
    uint32_t *pairs; /* original, duplicate numbers, interleaved */
    size_t pair_count, pair_cap;
    /* the tracking report's categories (sk_tracking.h), over released children */
    uint64_t absentia_children, unreached_released;
    int64_t *no_nta; /* release times of released children without a notice */
    size_t no_nta_count, no_nta_cap;
} gen_truth;
void gen_truth_init(gen_truth *t);
void gen_truth_fini(gen_truth *t);
SK_NODISCARD sk_err gen_truth_add(gen_truth *t, const gen_child *c);
SK_NODISCARD sk_err gen_truth_write(const gen_truth *t, const sk_gen_opts *opts, int64_t start,
                                    FILE *out);

/* writer.c: double-buffered writes to fd on a second thread */
typedef struct gen_writer gen_writer;
SK_NODISCARD sk_err gen_writer_open(int fd, gen_writer **out);
SK_NODISCARD sk_err gen_writer_put(gen_writer *w, const char *p, size_t n);
/* Writes what is left, joins the thread, frees w; the first write error. */
SK_NODISCARD sk_err gen_writer_close(gen_writer *w);

/* merge.c: pending children, written out in (recorded_at, child, seq) order */
typedef struct gen_merge gen_merge;
SK_NODISCARD sk_err gen_merge_new(gen_writer *out, gen_merge **out_merge);
void gen_merge_free(gen_merge *m);
SK_NODISCARD sk_err gen_merge_add(gen_merge *m, const gen_child *c, gen_text *scratch);
SK_NODISCARD sk_err gen_merge_flush_before(gen_merge *m, int64_t rec, uint32_t number);
SK_NODISCARD sk_err gen_merge_drain(gen_merge *m);
uint64_t gen_merge_written(const gen_merge *m);

#endif /* SK_GEN_INT_H */
