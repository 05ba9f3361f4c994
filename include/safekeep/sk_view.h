/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_view.h: field-masked JSON views of a child's record.
 *
 * A read that policy has judged (sk_policy_decide) comes with a field mask:
 * bit i set means field sk_policy_field_names[i] may be disclosed. The views
 * here render a record as JSON showing exactly the disclosed fields: a field
 * not in the mask appears nowhere, neither as a key nor inside a timeline
 * event nor as a value derived from it. One table in src/view/rules.c maps
 * every field to the keys it governs in each view; docs/fields.md lists it.
 *
 * The rules, in short:
 *  - "id" (the child's) and "child_id" are always shown; every other key is
 *    shown only when every field that governs it is disclosed. A key inside a
 *    list ("placements[].facility") needs the list's fields as well as its own.
 *  - Containers ("identity", "timeline") appear when the mask discloses
 *    anything that could be inside them, even if the record has nothing to
 *    put there ({} or []), so the shape of the output depends on the mask,
 *    never on the data. Mask 0 gives {"id":...} and nothing else.
 *  - Keys of the case and of identities are always present when disclosed,
 *    null when the record has no value. Payload keys of events are present
 *    only when the event carries them (events are shown as recorded).
 *  - Some entries are gated by a value they carry: relief of type asylum needs
 *    asylum_application as well; facts about criminal records or gang
 *    affiliation (and every later event of the same fact) need
 *    criminal_history as well.
 *  - Identity values (names, birth date, A-number, address, phone) come only
 *    from the sealed person record, never from the timeline, and are
 *    unsealed only when one of them is disclosed.
 *  - Policy events never appear; sponsor, household and vetting events appear
 *    only in sk_view_sponsors.
 *
 * Output is deterministic (same store and mask, byte-identical JSON) and is
 * appended to the caller's buffer; on error the buffer is returned to the
 * length it had (the appended bytes are wiped). Functions are thread-safe as
 * long as each thread uses its own store handle, arena and buffer.
 */
#ifndef SK_VIEW_H
#define SK_VIEW_H

#include <stdint.h>

#include "safekeep/sk_arena.h"
#include "safekeep/sk_buf.h"
#include "safekeep/sk_core.h"
#include "safekeep/sk_crypto.h"
#include "safekeep/sk_policy.h"
#include "safekeep/sk_store.h"

/*
 * Every field bit that a view of records of this entity can show or that
 * gates something in it: turns a request for "every field" into a concrete
 * mask before the decision. Entities without a view of their own (placement,
 * hearing, relief, fact, incident, ombuds_record) give the fields that
 * describe them. Never fails; thread-safe.
 */
uint64_t sk_view_fields(sk_entity entity);

/*
 * One child as listed (the projection row), masked: always "id"; "custody",
 * "court", "country_of_birth", "language", "facility", "age_years",
 * "apprehended_at", "released_at", "next_hearing_at" and "data_quality" only
 * when their fields are disclosed. row is borrowed. Errors: SK_ERR_TOO_LARGE
 * / SK_ERR_NOMEM from out.
 */
SK_NODISCARD sk_err sk_view_child_row(const sk_child_row *row, uint64_t fields, sk_buf *out);

/*
 * A child's full record, masked:
 *   {"id":..., <case keys>, "identity":{...}, "timeline":[events...]}
 * Case keys are computed by folding the child's events (the same fold as the
 * projection); the timeline holds the shown events sorted by occurred_at,
 * then ledger sequence. store and keyring are borrowed; arena is scratch for
 * decoding events (allocated from, never reset: the caller resets it after
 * out has been sent). Errors: SK_ERR_NOT_FOUND when the child has no events,
 * SK_ERR_STORE / SK_ERR_CRYPTO from below (detail in diag, which never holds
 * personal data), SK_ERR_TOO_LARGE when out or arena is full, SK_ERR_NOMEM.
 */
SK_NODISCARD sk_err sk_view_child(sk_store *store, sk_keyring *keyring, sk_str child_id,
                                  uint64_t fields, sk_arena *arena, sk_buf *out, sk_diag *diag);

/*
 * The child's sponsors and their adult household members:
 *   {"child_id":..., "sponsors":[...], "household_members":[...]}
 * Each list is present only when its permitted flag is set (then possibly
 * []); each item is masked by its own mask (sponsor_fields,
 * household_fields), an item with nothing disclosed is {}. Items come in the
 * order their first event happened. Errors as for sk_view_child, plus
 * SK_ERR_TOO_LARGE past SK_VIEW_PERSONS_MAX persons.
 */
/*
 * The same record in two steps, so that one read of the ledger serves both
 * the policy decision (which needs the subject: the case and who recorded
 * each kind of record) and the rendering (with the mask the decision gave).
 * load reads and folds every event of the child into arena-owned data
 * (SK_ERR_NOT_FOUND for an unknown child); render writes the masked JSON
 * exactly as sk_view_child does, and may be called more than once with
 * different masks. The data lives as long as the arena.
 */
typedef struct sk_view_child_data sk_view_child_data;
struct sk_subject;
SK_NODISCARD sk_err sk_view_child_load(sk_store *store, sk_str child_id, sk_arena *arena,
                                       sk_view_child_data **out, sk_diag *diag);
const struct sk_subject *sk_view_child_subject(const sk_view_child_data *data);
SK_NODISCARD sk_err sk_view_child_render(sk_view_child_data *data, sk_store *store,
                                         sk_keyring *keyring, uint64_t fields, sk_buf *out,
                                         sk_diag *diag);

#define SK_VIEW_PERSONS_MAX 32
SK_NODISCARD sk_err sk_view_sponsors(sk_store *store, sk_keyring *keyring, sk_str child_id,
                                     int sponsors_permitted, uint64_t sponsor_fields,
                                     int household_permitted, uint64_t household_fields,
                                     sk_arena *arena, sk_buf *out, sk_diag *diag);

/* The shapes of output whose keys sk_view_paths describes. */
typedef enum sk_view_kind {
    SK_VIEW_CHILD_ROW = 0,   /* sk_view_child_row */
    SK_VIEW_CHILD,           /* sk_view_child */
    SK_VIEW_SPONSOR,         /* one item of "sponsors" in sk_view_sponsors */
    SK_VIEW_HOUSEHOLD_MEMBER /* one item of "household_members" */
} sk_view_kind;

/* Receives one key path. path is valid during the call only. */
typedef void (*sk_view_path_cb)(const char *path, void *ctx);

/*
 * Calls cb with the path of every key that a view of this kind may show
 * under fields, derived from the same table the views use. Paths join object
 * keys with "."; an item of a list is "name[]", and an event of the timeline
 * is "timeline[type]" (so "timeline[admission].payload.facility_id"). Lists
 * of plain values ("counsel", "data_quality") are leaves. Value gates
 * (asylum, criminal topics) are not applied: the paths are what a record
 * that carries every key would show. For tests and docs. Thread-safe.
 */
void sk_view_paths(sk_view_kind kind, uint64_t fields, sk_view_path_cb cb, void *ctx);

#endif /* SK_VIEW_H */
