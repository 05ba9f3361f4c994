/* SPDX-License-Identifier: Apache-2.0 */
/*
 * view_int.h: what the view module's files share: the compiled form of the
 * disclosure table (rules.c) and a small JSON writer (write.c).
 */
#ifndef SK_VIEW_INT_H
#define SK_VIEW_INT_H

#include "safekeep/sk_view.h"

#include "safekeep/sk_buf.h"
#include "safekeep/sk_model.h"

/* A requirement is a set of fields that must all be disclosed. VIEW_NEVER
 * has bits no field uses, so it is never met: masks are cut to the known
 * fields first. */
#define VIEW_NEVER UINT64_MAX

/* Keys of the child view (and of the child row), in output order. List
 * items are "list[].key" and follow their list. */
typedef enum view_case_key {
    CK_CUSTODY = 0,
    CK_COURT,
    CK_SEX,
    CK_COUNTRY,
    CK_LANGUAGE,
    CK_AGE,
    CK_APPREHENDED_AT,
    CK_REFERRED_AT,
    CK_ADMITTED_AT,
    CK_FACILITY,
    CK_PLACEMENT_TYPE,
    CK_PLACEMENTS,
    CK_PLACEMENTS_FACILITY,
    CK_PLACEMENTS_TYPE,
    CK_PLACEMENTS_START,
    CK_PLACEMENTS_END,
    CK_RELEASED_AT,
    CK_DISCHARGE_TYPE,
    CK_SPONSOR_ID,
    CK_CLOSED_AT,
    CK_NTA_FILED_AT,
    CK_NEXT_HEARING_AT,
    CK_HEARINGS,
    CK_HEARINGS_ID,
    CK_HEARINGS_COURT,
    CK_HEARINGS_SCHEDULED,
    CK_HEARINGS_OUTCOME,
    CK_RELIEF,
    CK_RELIEF_TYPE,
    CK_RELIEF_FILED_AT,
    CK_RELIEF_OUTCOME,
    CK_ASYLUM,
    CK_COUNSEL,
    CK_INCIDENT_COUNT,
    CK_CALLS,
    CK_CALLS_AT,
    CK_CALLS_REACHED,
    CK_DATA_QUALITY,
    CK__COUNT
} view_case_key;

/* Keys of a sponsor or household-member item, in output order; the
 * identity object comes after PK_SPONSOR_ID. */
typedef enum view_person_key {
    PK_MEMBER_ID = 0,
    PK_SPONSOR_ID,
    PK_CATEGORY,
    PK_RELATIONSHIP,
    PK_STATUS,
    PK_DENIAL_REASON,
    PK_HOUSEHOLD,
    PK_CRIMINAL_HISTORY,
    PK_FINGERPRINTS,
    PK_VETTING_RESULTS,
    PK__COUNT
} view_person_key;

/* Keys a field adds to every timeline event it does not itself cover. */
typedef enum view_event_key { EK_PROVENANCE = 0, EK_DATA_QUALITY, EK__COUNT } view_event_key;

enum { VIEW_SPONSOR = 0, VIEW_HOUSEHOLD = 1 };

#define VIEW_IDENTITY_KEYS 6
#define VIEW_GATES_MAX     8
#define VIEW_CHECKS_MAX    8

extern const char *const sk_view_case_key_names[CK__COUNT];
extern const char *const sk_view_person_key_names[PK__COUNT];
extern const char *const sk_view_event_key_names[EK__COUNT];
extern const char *const sk_view_identity_keys[VIEW_IDENTITY_KEYS];

/* The keys of the child row (sk_view_child_row), a subset of the case keys. */
#define SK_VIEW_ROW_KEYS 10
extern const view_case_key sk_view_row_keys[SK_VIEW_ROW_KEYS];

/* An entry carrying key=value needs field as well. */
typedef struct view_gate {
    uint64_t field;
    sk_str key;
    sk_str value;
} view_gate;

/* The table compiled into lookups. Requirements include those of the
 * enclosing list or event, so one test decides each key. */
typedef struct view_rules {
    uint64_t all; /* every known field */
    uint64_t case_req[CK__COUNT];
    uint64_t identity_req[VIEW_IDENTITY_KEYS];
    uint64_t event_req[SK_EV__COUNT]; /* VIEW_NEVER: never in the timeline */
    uint64_t payload_req[SK_EV__COUNT][SK_FIELDS_MAX];
    uint64_t event_key_req[EK__COUNT]; /* add event_req of the event */
    uint64_t person_req[2][PK__COUNT]; /* [VIEW_SPONSOR], [VIEW_HOUSEHOLD] */
    int check_list[VIEW_CHECKS_MAX];   /* check type -> person key of its list */
    size_t check_count;
    view_gate gates[VIEW_GATES_MAX];
    size_t gate_count;
    uint64_t entity_fields[SK_ENTITY__COUNT];
} view_rules;

/* The compiled table (built once, then read-only). Aborts on an
 * inconsistent table: that is a programming error. */
const view_rules *sk_view_rules(void);

/* 1 when every field of req is in fields (already cut to known fields). */
static inline int view_allowed(uint64_t req, uint64_t fields)
{
    return (req & ~fields) == 0;
}

/* The extra fields an entry carrying key = value needs (value gates). */
uint64_t sk_view_gate(const view_rules *rules, sk_str key, sk_str value);

/* ---- write.c: a JSON writer with a sticky error ---- */

#define VIEW_DEPTH_MAX 8

typedef struct view_writer {
    sk_buf *out;
    sk_err rc;
    int depth;
    unsigned char first[VIEW_DEPTH_MAX]; /* no element written yet at this level */
    unsigned char after_key;             /* a key was written; its value comes next */
} view_writer;

void sk_vw_init(view_writer *w, sk_buf *out);
void sk_vw_open(view_writer *w, char bracket); /* '{' or '[' */
void sk_vw_close(view_writer *w, char bracket);
void sk_vw_key(view_writer *w, const char *key);
void sk_vw_str(view_writer *w, sk_str s);
void sk_vw_cstr(view_writer *w, const char *s);
/* s, or null when empty. */
void sk_vw_str_or_null(view_writer *w, sk_str s);
void sk_vw_null(view_writer *w);
void sk_vw_int(view_writer *w, int64_t v);
void sk_vw_bool(view_writer *w, int v);
/* A value already in JSON form (numbers, true, false). */
void sk_vw_raw(view_writer *w, sk_str json);
/* RFC 3339 UTC, or null when t is 0. */
void sk_vw_time(view_writer *w, int64_t t);
/* The names of data-quality flags as an array of strings. */
void sk_vw_dq(view_writer *w, uint32_t flags);
/* Returns out to length start, wiping what was appended. */
void sk_vw_rollback(sk_buf *out, size_t start);

/* ---- identity.c ---- */

/* 1 when fields disclose at least one identity key. */
int sk_view_identity_shown(const view_rules *rules, uint64_t fields);

/* Writes "identity":{...} with the disclosed keys of person_id's sealed
 * record (null where it has none) when any is disclosed; nothing otherwise,
 * and then nothing is unsealed. Errors from sk_identity_get, except
 * SK_ERR_NOT_FOUND (no record: all null). */
SK_NODISCARD sk_err sk_view_identity(view_writer *w, const view_rules *rules, uint64_t fields,
                                     sk_store *store, sk_keyring *keyring, sk_str person_id,
                                     sk_diag *diag);

/* ---- child.c ---- */

/* The name of value index of an enumerated field (NULL when out of range). */
const char *sk_view_enum_name(sk_event_type type, const char *field, int64_t index);

#endif /* SK_VIEW_INT_H */
