/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_model.h: the event catalogue, event validation and the state of a case.
 *
 * An event is a fact about one or more subjects (subjects[0] is always the
 * child) recorded by one agency. Its payload is flat: named fields whose
 * types and enumerations the catalogue fixes. Fields marked identity (names,
 * birth dates, A-numbers, addresses, phone numbers) are split off at
 * validation: they are encrypted before storage and never logged.
 *
 * The model is pure: it neither stores nor logs. Building an event goes
 *   sk_event_init -> sk_event_set_* (per field) -> sk_event_finish,
 * and sk_case_apply folds a finished event into a case.
 */
#ifndef SK_MODEL_H
#define SK_MODEL_H

#include <stdint.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_core.h"

#define SK_ID_LEN_MAX     40  /* subject, facility, hearing, sponsor ids */
#define SK_TEXT_LEN_MAX   200 /* any free string field */
#define SK_SUBJECTS_MAX   4
#define SK_FIELDS_MAX     16    /* fields of one event type */
#define SK_EVENT_LINE_MAX 16384 /* bytes of one JSON line */
#define SK_PLACEMENTS_MAX 16
#define SK_HEARINGS_MAX   16
#define SK_CALLS_MAX      8
#define SK_SPONSORS_MAX   4
#define SK_RELIEF_MAX     4
#define SK_COUNSEL_MAX    4

typedef enum sk_event_type {
    SK_EV_APPREHENSION = 0,
    SK_EV_REFERRAL,
    SK_EV_ADMISSION,
    SK_EV_TRANSFER,
    SK_EV_SPONSOR_APPLICATION,
    SK_EV_HOUSEHOLD_MEMBER,
    SK_EV_VETTING_CHECK,
    SK_EV_SPONSOR_APPROVED,
    SK_EV_SPONSOR_DENIED,
    SK_EV_DISCHARGE,
    SK_EV_WELLNESS_CALL,
    SK_EV_POST_RELEASE_SERVICE,
    SK_EV_INCIDENT,
    SK_EV_NTA_FILED,
    SK_EV_HEARING_SCHEDULED,
    SK_EV_HEARING_OUTCOME,
    SK_EV_CHANGE_OF_ADDRESS,
    SK_EV_COUNSEL,
    SK_EV_RELIEF_FILED,
    SK_EV_RELIEF_DECIDED,
    SK_EV_FACT_ASSERTED,
    SK_EV_FACT_CONTESTED,
    SK_EV_FACT_CORRECTED,
    SK_EV_FACT_RETRACTED,
    SK_EV_DECISION,
    SK_EV_CASE_CLOSED,
    SK_EV_ALERT_ACKNOWLEDGED, /* a person acknowledges a deadline alert (sk_deadline.h) */
    SK_EV_ALERT_RESOLVED,     /* a person resolves one by hand */
    SK_EV_POLICY_ADOPTED,     /* not about a child: subject "policy" */
    SK_EV_POLICY_RESCINDED,
    SK_EV__COUNT
} sk_event_type;

typedef enum sk_ftype {
    SK_FT_STRING = 0, /* UTF-8, 1..SK_TEXT_LEN_MAX bytes, no control chars */
    SK_FT_ID,         /* [A-Za-z0-9._:-], 1..SK_ID_LEN_MAX */
    SK_FT_ID_LIST,    /* comma-separated ids, at most 8 */
    SK_FT_DATE,       /* YYYY-MM-DD */
    SK_FT_TIME,       /* RFC 3339, normalised to UTC "YYYY-MM-DDTHH:MM:SSZ" */
    SK_FT_ENUM,       /* one of the field's listed values */
    SK_FT_BOOL,       /* true / false */
    SK_FT_INT,        /* 0..1,000,000 */
    SK_FT_COUNTRY,    /* ISO 3166-1 alpha-2, upper case */
    SK_FT_LANGUAGE,   /* ISO 639-3, lower case */
    SK_FT_ANUMBER,    /* A-number: 8 or 9 digits, "A" and dashes allowed */
    SK_FT_PHONE       /* 7..15 digits with spaces, + - ( ) . ; at most 24 chars */
} sk_ftype;

enum {
    SK_FF_REQUIRED = 1u << 0,
    SK_FF_IDENTITY = 1u << 1, /* personal identifier: encrypted, never logged */
    SK_FF_DERIVED = 1u << 2   /* computed by the model when absent */
};

typedef struct sk_field_def {
    const char *name;
    sk_ftype type;
    unsigned flags;
    const char *const *values; /* NULL-terminated, for SK_FT_ENUM */
    const char *doc;
} sk_field_def;

typedef struct sk_event_def {
    const char *name; /* the "type" string in JSON */
    const char *doc;
    const sk_field_def *fields;
    size_t field_count;
} sk_event_def;

/* The catalogue entry for a type (type < SK_EV__COUNT). */
const sk_event_def *sk_event_def_get(sk_event_type type);

/* 1 when events of this type belong to a child's case (0 for policy events,
 * whose subject is the policy itself). */
int sk_event_type_is_case(sk_event_type type);

#define SK_POLICY_SUBJECT "policy"

/* Looks a type up by its JSON name. SK_ERR_NOT_FOUND when unknown. */
SK_NODISCARD sk_err sk_event_type_parse(sk_str name, sk_event_type *out);

/* Index of a field within a type's definition, or -1. */
int sk_event_field_index(sk_event_type type, sk_str name);

/* Enumerations shared with the generator and the CSV mapping. */
extern const char *const sk_sponsor_categories[];
extern const char *const sk_placement_types[];
extern const char *const sk_discharge_types[];
extern const char *const sk_check_types[];
extern const char *const sk_hearing_outcomes[];
extern const char *const sk_relief_types[];
extern const char *const sk_relationships[];
extern const char *const sk_source_kinds[];

/* 1 when code is a known ISO 3166-1 alpha-2 country / ISO 639-3 language. */
int sk_country_valid(sk_str code);
int sk_language_valid(sk_str code);

/* Data-quality flags, stored with the event: recorded, but worth a look. */
enum {
    SK_DQ_LATE = 1u << 0,            /* occurred before an event already recorded */
    SK_DQ_NO_PRIOR = 1u << 1,        /* the step it implies had not been recorded */
    SK_DQ_AFTER_CLOSE = 1u << 2,     /* the case was already closed */
    SK_DQ_REPEAT = 1u << 3,          /* repeats a terminal step (second discharge...) */
    SK_DQ_UNKNOWN_SUBJECT = 1u << 4, /* first event for a child not seen before */
    SK_DQ_AGE = 1u << 5,             /* 18 or older at apprehension */
    SK_DQ_LIMIT = 1u << 6,           /* a projection list is full; ledger keeps it */
    SK_DQ_UNDELIVERABLE = 1u << 7    /* release without a usable address */
};
#define SK_DQ_NAMES_MAX 8
/* Writes the flag names, comma separated, into buf. */
void sk_dq_format(uint32_t flags, char *buf, size_t buf_len);

typedef struct sk_value {
    sk_str text; /* normalised text form, arena-owned; len 0 when absent */
    int64_t num; /* INT / BOOL (0,1) / DATE and TIME as Unix seconds */
    uint8_t present;
} sk_value;

typedef struct sk_provenance {
    sk_str source;    /* one of sk_source_kinds */
    sk_str ref;       /* the source's own reference, may be empty */
    char reliability; /* 'A'..'F' (Admiralty grading), or 0 when unrated */
} sk_provenance;

/*
 * An event under construction or finished. All text points into the arena
 * passed to sk_event_init; the struct is valid until that arena is reset.
 */
typedef struct sk_event {
    char id[SK_ID_LEN_MAX + 1];
    sk_event_type type;
    int64_t occurred_at; /* Unix seconds, UTC */
    int64_t recorded_at;
    sk_str agency;
    sk_str user;
    sk_str subjects[SK_SUBJECTS_MAX];
    size_t subject_count;
    sk_provenance prov;
    sk_value values[SK_FIELDS_MAX]; /* indexed like the type's fields */
    /* Set by sk_event_finish: canonical JSON of the non-identity payload and
     * of the identity fields ("{}" when none). */
    sk_str payload_json;
    sk_str identity_json;
    uint32_t dq_flags; /* set by sk_case_apply */
    sk_arena *arena;
} sk_event;

/* Starts an event of the given type; everything else empty. */
void sk_event_init(sk_event *ev, sk_event_type type, sk_arena *arena);

/* Parses and sets one payload field from its text form (dates may also be
 * written M/D/YYYY and similar when lenient_dates is set; see docs). Errors:
 * SK_ERR_INVALID (unknown field, bad value; diag names the field and what was
 * expected, never the value of an identity field), SK_ERR_CONFLICT (set
 * twice), SK_ERR_NOMEM/TOO_LARGE from the arena. */
SK_NODISCARD sk_err sk_event_set(sk_event *ev, sk_str field, sk_str text, int lenient_dates,
                                 sk_diag *diag);

/* Sets a BOOL or INT field from a number (JSON input). */
SK_NODISCARD sk_err sk_event_set_num(sk_event *ev, sk_str field, int64_t num, sk_diag *diag);

/* Sets the envelope: id (UUID or other id syntax), times (RFC 3339),
 * agency and user (ids), subjects (ids), provenance. */
SK_NODISCARD sk_err sk_event_set_id(sk_event *ev, sk_str id, sk_diag *diag);
SK_NODISCARD sk_err sk_event_set_time(sk_event *ev, int recorded, sk_str rfc3339, sk_diag *diag);
SK_NODISCARD sk_err sk_event_set_actor(sk_event *ev, sk_str agency, sk_str user, sk_diag *diag);
SK_NODISCARD sk_err sk_event_add_subject(sk_event *ev, sk_str subject, sk_diag *diag);
SK_NODISCARD sk_err sk_event_set_provenance(sk_event *ev, sk_str source, sk_str ref,
                                            sk_str reliability, sk_diag *diag);

/*
 * Checks what no single field can (required fields, envelope, impossible
 * combinations), derives fields, and renders payload_json and identity_json.
 * now is the wall clock, for the future-event check. SK_ERR_INVALID with a
 * diagnostic when the event is rejected.
 */
SK_NODISCARD sk_err sk_event_finish(sk_event *ev, int64_t now, sk_diag *diag);

/* The value of a field by name, or NULL when absent. */
const sk_value *sk_event_get(const sk_event *ev, const char *field);

/* Parses a stored canonical payload (JSON object) back into ev's values.
 * Used to replay the ledger. */
SK_NODISCARD sk_err sk_event_load_payload(sk_event *ev, sk_str payload_json, sk_diag *diag);

/*
 * Parses one JSON event (docs/import.md) into ev, using arena for its text,
 * and finishes it. Errors name the key at fault (SK_ERR_INVALID), or
 * SK_ERR_TOO_LARGE past SK_EVENT_LINE_MAX bytes.
 */
SK_NODISCARD sk_err sk_event_parse_json(sk_str line, sk_arena *arena, int64_t now, sk_event *ev,
                                        sk_diag *diag);

/*
 * Appends ev as one JSON object (the import format) to buf. identity_json,
 * when not NULL, is merged into the payload (for output to someone entitled
 * to see identities); otherwise identity fields are left out. seq > 0 and
 * dq flags are added as "seq" and "quality".
 */
struct sk_buf;
SK_NODISCARD sk_err sk_event_to_json(const sk_event *ev, uint64_t seq, const sk_str *identity_json,
                                     struct sk_buf *buf);

/* Custody and immigration tracks of a case run in parallel. */
typedef enum sk_custody {
    SK_CUSTODY_UNKNOWN = 0,
    SK_CUSTODY_APPREHENDED,
    SK_CUSTODY_REFERRED,
    SK_CUSTODY_IN_CARE,
    SK_CUSTODY_RELEASED,
    SK_CUSTODY_DISCHARGED,
    SK_CUSTODY_CLOSED,
    SK_CUSTODY__COUNT
} sk_custody;

typedef enum sk_court {
    SK_COURT_NONE = 0,
    SK_COURT_NTA_FILED,
    SK_COURT_HEARING_SCHEDULED,
    SK_COURT_FAILED_TO_APPEAR,
    SK_COURT_ORDERED_REMOVED,
    SK_COURT_RELIEF_PENDING,
    SK_COURT_RELIEF_GRANTED,
    SK_COURT_RELIEF_DENIED,
    SK_COURT__COUNT
} sk_court;

const char *sk_custody_name(sk_custody c);
const char *sk_court_name(sk_court c);
SK_NODISCARD sk_err sk_custody_parse(sk_str name, sk_custody *out);
SK_NODISCARD sk_err sk_court_parse(sk_str name, sk_court *out);

typedef struct sk_placement {
    char facility[SK_ID_LEN_MAX + 1];
    uint8_t type;       /* index into sk_placement_types */
    int64_t start, end; /* end 0 while open */
} sk_placement;

typedef struct sk_hearing {
    char id[SK_ID_LEN_MAX + 1];
    char court[SK_ID_LEN_MAX + 1];
    int64_t scheduled_for;
    int8_t outcome; /* index into sk_hearing_outcomes, -1 while pending */
} sk_hearing;

typedef struct sk_call {
    int64_t at;
    uint8_t reached;
} sk_call;

typedef struct sk_sponsor_state {
    char id[SK_ID_LEN_MAX + 1];
    int8_t category;     /* index into sk_sponsor_categories, -1 unknown */
    int8_t relationship; /* index into sk_relationships, -1 unknown */
    uint8_t status;      /* 0 applied, 1 approved, 2 denied */
    uint8_t checks_done; /* bitmask over sk_check_types with a result */
    uint8_t checks_flagged;
} sk_sponsor_state;

typedef struct sk_relief {
    uint8_t type;   /* index into sk_relief_types */
    int8_t outcome; /* -1 pending, 0 granted, 1 denied, 2 withdrawn */
    int64_t filed_at;
} sk_relief;

/* The projection of one child's events, as a fixed-size value. */
typedef struct sk_case {
    char child_id[SK_ID_LEN_MAX + 1];
    sk_custody custody;
    sk_court court;
    char country[3];
    char language[4];
    int8_t sex;        /* -1 unknown, else index into the sex enumeration */
    int16_t age_years; /* at apprehension; -1 unknown */
    int64_t apprehended_at, referred_at, admitted_at, released_at, closed_at;
    int8_t discharge_type; /* -1 none */
    char sponsor_id[SK_ID_LEN_MAX + 1];
    int64_t nta_filed_at;
    int64_t last_occurred_at;
    uint32_t event_count;
    uint32_t incident_count;
    uint32_t dq_flags; /* union over its events */
    uint8_t placement_count, hearing_count, call_count, sponsor_count, relief_count;
    uint8_t counsel_count;
    char counsel[SK_COUNSEL_MAX][SK_ID_LEN_MAX + 1]; /* organisations of record */
    sk_placement placements[SK_PLACEMENTS_MAX];
    sk_hearing hearings[SK_HEARINGS_MAX];
    sk_call calls[SK_CALLS_MAX];
    sk_sponsor_state sponsors[SK_SPONSORS_MAX];
    sk_relief relief[SK_RELIEF_MAX];
} sk_case;

/* Resets c to the empty case of child_id. */
void sk_case_init(sk_case *c, sk_str child_id);

/*
 * Folds a finished event into its case. Events must come in (occurred_at,
 * sequence) order; the caller replays the whole history when a late event
 * arrives. Sets ev->dq_flags to the data-quality flags of this event (not
 * counting SK_DQ_LATE, which the caller knows). Never fails: anything odd is
 * flagged, and the ledger keeps the event whatever the projection makes of it.
 */
void sk_case_apply(sk_case *c, sk_event *ev);

#endif /* SK_MODEL_H */
