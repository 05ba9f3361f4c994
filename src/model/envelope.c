/* SPDX-License-Identifier: Apache-2.0 */
/*
 * envelope.c: the parts every event has (id, times, agency, user, subjects,
 * provenance), the whole-event checks that decide rejection, and the
 * canonical rendering of the payload.
 *
 * Rejected here, because no agency could have meant them: a structurally
 * incomplete event, one that occurred before 2000 or more than a day after
 * it was recorded or after now, a transfer whose from and to facilities are
 * the same, a release to a sponsor without the sponsor, a hearing
 * scheduled for before it was scheduled, a birth date after apprehension.
 * Everything that is merely surprising given earlier events is the case
 * fold's business (case.c) and is recorded with a data-quality flag.
 */
#include "safekeep/sk_model.h"

#include "safekeep/sk_buf.h"
#include "safekeep/sk_id.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define SKEW_SECONDS 86400
#define RENDER_MAX   (SK_EVENT_LINE_MAX * 2)

sk_err sk_event_set_id(sk_event *ev, sk_str id, sk_diag *diag)
{
    SK_ASSERT(ev != NULL);
    if (!sk_id_valid(id, SK_ID_LEN_MAX))
        return sk_diag_set(diag, SK_ERR_INVALID, "id",
                           "expected a UUID or an id of 1 to %d letters, digits or . _ : -",
                           SK_ID_LEN_MAX);
    memcpy(ev->id, id.ptr, id.len);
    ev->id[id.len] = '\0';
    return SK_OK;
}

sk_err sk_event_set_time(sk_event *ev, int recorded, sk_str rfc3339, sk_diag *diag)
{
    int64_t t;

    SK_ASSERT(ev != NULL);
    if (sk_time_parse_rfc3339(rfc3339, &t) != SK_OK)
        return sk_diag_set(diag, SK_ERR_INVALID, recorded ? "recorded_at" : "occurred_at",
                           "expected an RFC 3339 time such as 2023-03-14T09:30:00Z");
    if (recorded)
        ev->recorded_at = t;
    else
        ev->occurred_at = t;
    return SK_OK;
}

sk_err sk_event_set_actor(sk_event *ev, sk_str agency, sk_str user, sk_diag *diag)
{
    sk_err rc;

    SK_ASSERT(ev != NULL);
    if (!sk_id_valid(agency, SK_ID_LEN_MAX))
        return sk_diag_set(diag, SK_ERR_INVALID, "agency", "expected an agency id");
    if (!sk_id_valid(user, SK_ID_LEN_MAX))
        return sk_diag_set(diag, SK_ERR_INVALID, "user", "expected a user id");
    rc = sk_arena_strdup(ev->arena, agency, &ev->agency);
    if (rc == SK_OK)
        rc = sk_arena_strdup(ev->arena, user, &ev->user);
    return rc;
}

sk_err sk_event_add_subject(sk_event *ev, sk_str subject, sk_diag *diag)
{
    size_t i;

    SK_ASSERT(ev != NULL);
    if (!sk_id_valid(subject, SK_ID_LEN_MAX))
        return sk_diag_set(diag, SK_ERR_INVALID, "subjects", "expected ids of 1 to %d characters",
                           SK_ID_LEN_MAX);
    for (i = 0; i < ev->subject_count; i++) {
        if (sk_str_eq(ev->subjects[i], subject))
            return SK_OK;
    }
    if (ev->subject_count == SK_SUBJECTS_MAX)
        return sk_diag_set(diag, SK_ERR_INVALID, "subjects", "at most %d subjects",
                           SK_SUBJECTS_MAX);
    return sk_arena_strdup(ev->arena, subject, &ev->subjects[ev->subject_count++]);
}

/* A source's own reference: free text, but short and printable. */
static int provenance_ref_ok(sk_str ref)
{
    size_t i;

    if (ref.len > 80 || !sk_utf8_valid(ref))
        return 0;
    for (i = 0; i < ref.len; i++) {
        unsigned char c = (unsigned char)ref.ptr[i];
        if (c < 0x20 || c == 0x7F)
            return 0;
    }
    return 1;
}

sk_err sk_event_set_provenance(sk_event *ev, sk_str source, sk_str ref, sk_str reliability,
                               sk_diag *diag)
{
    size_t k;
    sk_err rc = SK_OK;

    SK_ASSERT(ev != NULL);
    for (k = 0; sk_source_kinds[k] != NULL; k++) {
        if (sk_str_eqc(source, sk_source_kinds[k]))
            break;
    }
    if (sk_source_kinds[k] == NULL)
        return sk_diag_set(diag, SK_ERR_INVALID, "provenance.source",
                           "expected agency_record, interview, document, foreign_government, "
                           "interpol, third_party or self_report");
    ev->prov.source = sk_str_c(sk_source_kinds[k]);
    if (reliability.len > 0) {
        if (reliability.len != 1 || reliability.ptr[0] < 'A' || reliability.ptr[0] > 'F')
            return sk_diag_set(diag, SK_ERR_INVALID, "provenance.reliability",
                               "expected a grade from A to F");
        ev->prov.reliability = reliability.ptr[0];
    }
    if (ref.len > 0) {
        if (!sk_id_valid(ref, SK_ID_LEN_MAX) && !provenance_ref_ok(ref))
            return sk_diag_set(diag, SK_ERR_INVALID, "provenance.ref",
                               "expected a reference of at most 80 bytes");
        rc = sk_arena_strdup(ev->arena, ref, &ev->prov.ref);
    }
    return rc;
}

static sk_err check_envelope(sk_event *ev, int64_t now, sk_diag *diag)
{
    if (ev->id[0] == '\0')
        return sk_diag_set(diag, SK_ERR_INVALID, "id", "required");
    if (ev->occurred_at == INT64_MIN)
        return sk_diag_set(diag, SK_ERR_INVALID, "occurred_at", "required");
    if (ev->recorded_at == INT64_MIN)
        ev->recorded_at = now;
    if (ev->agency.len == 0)
        return sk_diag_set(diag, SK_ERR_INVALID, "agency", "required");
    if (ev->user.len == 0)
        return sk_diag_set(diag, SK_ERR_INVALID, "user", "required");
    if (ev->subject_count == 0)
        return sk_diag_set(diag, SK_ERR_INVALID, "subjects", "required: the child's id first");
    if (ev->prov.source.len == 0)
        ev->prov.source = SK_STR("agency_record");
    if (sk_event_type_is_case(ev->type) == sk_str_eqc(ev->subjects[0], SK_POLICY_SUBJECT))
        return sk_diag_set(diag, SK_ERR_INVALID, "subjects",
                           "\"" SK_POLICY_SUBJECT "\" is the subject of policy events only");
    if (ev->occurred_at < SK_TIME_MIN)
        return sk_diag_set(diag, SK_ERR_INVALID, "occurred_at", "before 2000-01-01");
    if (ev->occurred_at > now + SKEW_SECONDS)
        return sk_diag_set(diag, SK_ERR_INVALID, "occurred_at", "in the future");
    if (ev->occurred_at > ev->recorded_at + SKEW_SECONDS)
        return sk_diag_set(diag, SK_ERR_INVALID, "recorded_at",
                           "earlier than occurred_at: recorded before it happened");
    return SK_OK;
}

/* Fields that name another person make that person a subject too, so that
 * "who saw this person's data" finds the event. */
static sk_err add_person_subjects(sk_event *ev, sk_diag *diag)
{
    static const char *const person_fields[] = {"sponsor_id", "member_id", "person_id"};
    size_t i;
    sk_err rc = SK_OK;

    for (i = 0; rc == SK_OK && i < SK_ARRAY_LEN(person_fields); i++) {
        const sk_value *v = sk_event_get(ev, person_fields[i]);
        if (v != NULL)
            rc = sk_event_add_subject(ev, v->text, diag);
    }
    return rc;
}

static sk_err derive_age(sk_event *ev, sk_diag *diag)
{
    const sk_value *dob = sk_event_get(ev, "dob");
    int64_t by, ay;
    unsigned bm, bd, am, ad;
    char buf[8];
    int64_t age;

    if (dob == NULL) {
        const sk_value *stated = sk_event_get(ev, "age_years");
        if (stated != NULL && stated->num >= 18)
            ev->dq_flags |= SK_DQ_AGE;
        return SK_OK;
    }
    if (dob->num > ev->occurred_at)
        return sk_diag_set(diag, SK_ERR_INVALID, "dob", "after the apprehension date");
    sk_civil_from_days(dob->num / 86400, &by, &bm, &bd);
    sk_civil_from_days(ev->occurred_at / 86400, &ay, &am, &ad);
    age = ay - by - ((am < bm || (am == bm && ad < bd)) ? 1 : 0);
    if (age >= 18)
        ev->dq_flags |= SK_DQ_AGE;
    if (sk_event_get(ev, "age_years") != NULL)
        return SK_OK;
    snprintf(buf, sizeof(buf), "%lld", (long long)age);
    return sk_event_set(ev, SK_STR("age_years"), sk_str_c(buf), 0, diag);
}

static sk_err check_type_rules(sk_event *ev, sk_diag *diag)
{
    const sk_value *a, *b;

    switch (ev->type) {
    case SK_EV_APPREHENSION:
        return derive_age(ev, diag);
    case SK_EV_TRANSFER:
        a = sk_event_get(ev, "from_facility_id");
        b = sk_event_get(ev, "to_facility_id");
        if (a != NULL && b != NULL && sk_str_eq(a->text, b->text))
            return sk_diag_set(diag, SK_ERR_INVALID, "to_facility_id",
                               "the same facility as from_facility_id");
        return SK_OK;
    case SK_EV_DISCHARGE:
        a = sk_event_get(ev, "discharge_type");
        if (a != NULL && a->num == 0 && sk_event_get(ev, "sponsor_id") == NULL)
            return sk_diag_set(diag, SK_ERR_INVALID, "sponsor_id",
                               "required when discharge_type is released_to_sponsor");
        /* The fold may not read identity fields (a replay does not unseal
         * them), so whether there is an address is recorded in the clear. */
        if (sk_event_get(ev, "address_on_file") != NULL)
            return SK_OK;
        return sk_event_set_num(ev, SK_STR("address_on_file"), sk_event_get(ev, "address") != NULL,
                                diag);
    case SK_EV_HEARING_SCHEDULED:
        a = sk_event_get(ev, "scheduled_for");
        if (a != NULL && a->num < ev->occurred_at - SKEW_SECONDS)
            return sk_diag_set(diag, SK_ERR_INVALID, "scheduled_for",
                               "before the time the hearing was scheduled");
        return SK_OK;
    default:
        return SK_OK;
    }
}

static sk_err render(const sk_event *ev, int identity, sk_buf *buf)
{
    const sk_event_def *def = sk_event_def_get(ev->type);
    int first = 1;
    size_t i;
    sk_err rc;

    rc = sk_buf_append(buf, "{", 1);
    for (i = 0; rc == SK_OK && i < def->field_count; i++) {
        const sk_field_def *f = &def->fields[i];
        const sk_value *v = &ev->values[i];
        if (!v->present || ((f->flags & SK_FF_IDENTITY) != 0) != identity)
            continue;
        rc = sk_buf_append(buf, ",", first ? 0 : 1);
        first = 0;
        if (rc == SK_OK)
            rc = sk_buf_json_str(buf, sk_str_c(f->name));
        if (rc == SK_OK)
            rc = sk_buf_append(buf, ":", 1);
        if (rc != SK_OK)
            break;
        if (f->type == SK_FT_INT || f->type == SK_FT_BOOL)
            rc = sk_buf_append_str(buf, v->text);
        else
            rc = sk_buf_json_str(buf, v->text);
    }
    if (rc == SK_OK)
        rc = sk_buf_append(buf, "}", 1);
    return rc;
}

static sk_err render_both(sk_event *ev)
{
    sk_buf buf;
    sk_err rc;

    sk_buf_init(&buf, RENDER_MAX);
    rc = render(ev, 0, &buf);
    if (rc == SK_OK)
        rc = sk_arena_strdup(ev->arena, sk_buf_str(&buf), &ev->payload_json);
    if (rc == SK_OK) {
        sk_buf_reset(&buf);
        rc = render(ev, 1, &buf);
    }
    if (rc == SK_OK)
        rc = sk_arena_strdup(ev->arena, sk_buf_str(&buf), &ev->identity_json);
    sk_buf_fini(&buf);
    return rc;
}

sk_err sk_event_finish(sk_event *ev, int64_t now, sk_diag *diag)
{
    const sk_event_def *def;
    size_t i;
    sk_err rc;

    SK_ASSERT(ev != NULL);
    def = sk_event_def_get(ev->type);
    rc = check_envelope(ev, now, diag);
    if (rc != SK_OK)
        return rc;
    for (i = 0; i < def->field_count; i++) {
        if ((def->fields[i].flags & SK_FF_REQUIRED) && !ev->values[i].present)
            return sk_diag_set(diag, SK_ERR_INVALID, def->fields[i].name, "required for %s",
                               def->name);
    }
    rc = check_type_rules(ev, diag);
    if (rc == SK_OK)
        rc = add_person_subjects(ev, diag);
    if (rc == SK_OK)
        rc = render_both(ev);
    return rc;
}
