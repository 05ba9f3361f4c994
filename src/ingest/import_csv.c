/* SPDX-License-Identifier: Apache-2.0 */
/*
 * import_csv.c: a case manager's spreadsheet, one child per row, turned into
 * the events its filled-in dates stand for (docs/import.md).
 *
 * The header row is matched against the documented column names and their
 * aliases, ignoring case, spaces, dashes and underscores; an unknown column
 * is an error, because silently dropping a misspelt "Release Date" would
 * lose a release. Values go through the same setters as JSON, in lenient
 * mode (dates as people type them, "Released to Sponsor", yes/no). Event ids
 * are derived from the date, agency, case id and event type, so a sheet
 * imported twice is refused rather than doubled.
 */
#include "safekeep/sk_ingest.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safekeep/sk_csv.h"
#include "safekeep/sk_id.h"
#include "safekeep/sk_time.h"

#include "sk_int.h"

#define RECORD_BYTES_MAX (256 * 1024)
#define ARENA_CHUNK      (64 * 1024)
#define ARENA_MAX        (2 * 1024 * 1024)
#define PROGRESS_EVERY   4096
#define ROW_EVENTS_MAX   16

enum col {
    C_CASE_ID,
    C_A_NUMBER,
    C_FAMILY,
    C_GIVEN,
    C_DOB,
    C_SEX,
    C_COUNTRY,
    C_LANGUAGE,
    C_APPR_DATE,
    C_APPR_LOC,
    C_REFERRAL,
    C_ADMISSION,
    C_FACILITY,
    C_PLACEMENT,
    C_TRANSFER,
    C_TR_FACILITY,
    C_TR_PLACEMENT,
    C_SPONSOR,
    C_SP_FAMILY,
    C_SP_GIVEN,
    C_SP_CATEGORY,
    C_SP_RELATION,
    C_SP_PHONE,
    C_RELEASE,
    C_DISCHARGE_TYPE,
    C_ADDRESS,
    C_ADDRESS_STATUS,
    C_NTA,
    C_COURT,
    C_HEARING,
    C_OUTCOME,
    C_CALL,
    C_CALL_REACHED,
    C_AGENCY,
    C__COUNT
};

/* Canonical name first, then aliases; compared after normalising. */
static const char *const col_names[C__COUNT][5] = {
    [C_CASE_ID] = {"case_id", "child_id", "case"},
    [C_A_NUMBER] = {"a_number", "a#", "anumber", "alien_number"},
    [C_FAMILY] = {"family_name", "last_name", "surname", "apellidos"},
    [C_GIVEN] = {"given_name", "first_name", "nombre", "given_names"},
    [C_DOB] = {"dob", "date_of_birth", "birth_date"},
    [C_SEX] = {"sex", "gender"},
    [C_COUNTRY] = {"country_of_birth", "country", "coo"},
    [C_LANGUAGE] = {"language", "primary_language"},
    [C_APPR_DATE] = {"apprehension_date"},
    [C_APPR_LOC] = {"apprehension_location"},
    [C_REFERRAL] = {"referral_date"},
    [C_ADMISSION] = {"admission_date"},
    [C_FACILITY] = {"facility_id", "facility"},
    [C_PLACEMENT] = {"placement_type"},
    [C_TRANSFER] = {"transfer_date"},
    [C_TR_FACILITY] = {"transfer_facility_id"},
    [C_TR_PLACEMENT] = {"transfer_placement_type"},
    [C_SPONSOR] = {"sponsor_id"},
    [C_SP_FAMILY] = {"sponsor_family_name"},
    [C_SP_GIVEN] = {"sponsor_given_name"},
    [C_SP_CATEGORY] = {"sponsor_category"},
    [C_SP_RELATION] = {"sponsor_relationship"},
    [C_SP_PHONE] = {"sponsor_phone"},
    [C_RELEASE] = {"release_date", "discharge_date"},
    [C_DISCHARGE_TYPE] = {"discharge_type"},
    [C_ADDRESS] = {"release_address"},
    [C_ADDRESS_STATUS] = {"address_status"},
    [C_NTA] = {"nta_filed_date"},
    [C_COURT] = {"court_id", "court"},
    [C_HEARING] = {"hearing_date"},
    [C_OUTCOME] = {"hearing_outcome"},
    [C_CALL] = {"wellness_call_date"},
    [C_CALL_REACHED] = {"wellness_call_reached"},
    [C_AGENCY] = {"recording_agency", "agency"},
};

typedef struct sheet {
    sk_ingest *ing;
    const sk_import_opts *opts;
    int map[C__COUNT]; /* column index in the file, or -1 */
    const sk_str *fields;
    size_t field_count;
    sk_arena *arena;
    sk_str agency;
    sk_str case_id;
    sk_event events[ROW_EVENTS_MAX]; /* one row's events, recorded in date order */
    size_t event_count;
} sheet;

static size_t norm_header(sk_str h, char *out, size_t cap)
{
    size_t i, n = 0;

    for (i = 0; i < h.len && n + 1 < cap; i++) {
        char c = h.ptr[i];
        if (c == ' ' || c == '-' || c == '_' || c == '.')
            continue;
        out[n++] = (char)tolower((unsigned char)c);
    }
    out[n] = '\0';
    return n;
}

static int match_column(sk_str header)
{
    char got[64], want[64];
    size_t c, a;

    norm_header(header, got, sizeof(got));
    for (c = 0; c < C__COUNT; c++) {
        for (a = 0; a < 5 && col_names[c][a] != NULL; a++) {
            norm_header(sk_str_c(col_names[c][a]), want, sizeof(want));
            if (strcmp(got, want) == 0)
                return (int)c;
        }
    }
    return -1;
}

static sk_err read_header(sheet *sh, sk_diag *diag)
{
    size_t i;
    int c;

    for (i = 0; i < C__COUNT; i++)
        sh->map[i] = -1;
    for (i = 0; i < sh->field_count; i++) {
        if (sh->fields[i].len == 0)
            continue; /* spreadsheets leave trailing empty header cells */
        c = match_column(sh->fields[i]);
        if (c < 0)
            return sk_diag_set(diag, SK_ERR_INVALID, "header",
                               "column %zu is not a known column (docs/import.md)", i + 1);
        if (sh->map[c] >= 0)
            return sk_diag_set(diag, SK_ERR_INVALID, col_names[c][0], "column appears twice");
        sh->map[c] = (int)i;
    }
    if (sh->map[C_CASE_ID] < 0 || sh->map[C_FAMILY] < 0 || sh->map[C_GIVEN] < 0 ||
        sh->map[C_COUNTRY] < 0 || sh->map[C_APPR_DATE] < 0)
        return sk_diag_set(diag, SK_ERR_INVALID, "header",
                           "case_id, family_name, given_name, country_of_birth and "
                           "apprehension_date columns are required");
    return SK_OK;
}

static sk_str cell(const sheet *sh, enum col c)
{
    int i = sh->map[c];
    if (i < 0 || (size_t)i >= sh->field_count)
        return SK_STR_NULL;
    return sh->fields[i];
}

/* Names the column in the diagnostic, as a spreadsheet user sees it. */
static sk_err at_column(const sheet *sh, enum col c, sk_err rc, sk_diag *diag)
{
    char msg[SK_DIAG_MSG_MAX];

    if (rc == SK_OK || diag == NULL)
        return rc;
    snprintf(msg, sizeof(msg), "%s", diag->msg);
    snprintf(diag->field, sizeof(diag->field), "%s (column %d)", col_names[c][0], sh->map[c] + 1);
    snprintf(diag->msg, sizeof(diag->msg), "%s", msg);
    return rc;
}

static sk_err set_cell(sheet *sh, sk_event *ev, const char *field, enum col c, sk_diag *diag)
{
    sk_str v = cell(sh, c);

    if (v.len == 0)
        return SK_OK;
    return at_column(sh, c, sk_event_set(ev, sk_str_c(field), v, 1, diag), diag);
}

static sk_err date_cell(sheet *sh, enum col c, int64_t *out, sk_diag *diag)
{
    sk_str v = cell(sh, c);

    *out = 0;
    if (v.len == 0)
        return SK_OK;
    if (sk_time_parse_human_date(v, out) != SK_OK)
        return at_column(sh, c,
                         sk_diag_set(diag, SK_ERR_INVALID, "",
                                     "expected a date such as 2023-03-14 or 3/14/2023"),
                         diag);
    return SK_OK;
}

static sk_err need(sheet *sh, enum col c, enum col because, sk_diag *diag)
{
    if (cell(sh, c).len > 0)
        return SK_OK;
    return at_column(sh, c,
                     sk_diag_set(diag, SK_ERR_INVALID, "", "required when %s is filled in",
                                 col_names[because][0]),
                     diag);
}

/* Starts an event of the row's child, dated at noon UTC so that the date
 * reads the same in every US time zone. */
static sk_err event_start(sheet *sh, sk_event *ev, sk_event_type t, int64_t day, sk_diag *diag)
{
    unsigned char hash[16];
    char key[SK_ID_LEN_MAX * 2 + 40], id[SK_UUID_LEN + 1];
    uint64_t occurred_ms;
    int n, i;
    sk_err rc;

    sk_event_init(ev, t, sh->arena);
    n = snprintf(key, sizeof(key), "%.*s|%.*s|%s", (int)sh->agency.len, sh->agency.ptr,
                 (int)sh->case_id.len, sh->case_id.ptr, sk_event_def_get(t)->name);
    sk_hash((sk_str){key, n > 0 ? (size_t)n : 0}, hash, sizeof(hash));
    /* Time first, like UUIDv7, so that ids of one import land close together
     * in the ledger's id index; the rest is the hash, so the same row still
     * gives the same id. */
    occurred_ms = (uint64_t)(day + 12 * 3600) * 1000;
    for (i = 0; i < 6; i++)
        hash[i] = (unsigned char)(occurred_ms >> (40 - 8 * i));
    sk_uuid_format(hash, 8, id);
    rc = sk_event_set_id(ev, sk_str_c(id), diag);
    ev->occurred_at = day + 12 * 3600;
    ev->recorded_at = sk_ingest_now(sh->ing);
    if (rc == SK_OK)
        rc = sk_event_set_actor(ev, sh->agency,
                                sk_str_c(sh->opts->user ? sh->opts->user : "import"), diag);
    if (rc == SK_OK)
        rc = sk_event_add_subject(ev, sh->case_id, diag);
    if (rc == SK_OK)
        rc = sk_event_set_provenance(ev, SK_STR("agency_record"), SK_STR("spreadsheet"),
                                     SK_STR_NULL, diag);
    return rc;
}

static sk_err event_end(sheet *sh, sk_event *ev, enum col date_col, sk_diag *diag)
{
    sk_err rc = sk_event_finish(ev, sk_ingest_now(sh->ing), diag);

    if (rc == SK_OK) {
        SK_ASSERT(sh->event_count < ROW_EVENTS_MAX);
        sh->events[sh->event_count++] = *ev;
        return SK_OK;
    }
    /* A bad event time is the date column's fault. */
    if (diag != NULL &&
        (strcmp(diag->field, "occurred_at") == 0 || strcmp(diag->field, "recorded_at") == 0))
        return at_column(sh, date_col, rc, diag);
    return rc;
}

static sk_err ev_apprehension(sheet *sh, int64_t day, sk_diag *diag)
{
    static const struct {
        const char *field;
        enum col c;
    } cols[] = {{"given_name", C_GIVEN},
                {"family_name", C_FAMILY},
                {"dob", C_DOB},
                {"a_number", C_A_NUMBER},
                {"sex", C_SEX},
                {"language", C_LANGUAGE},
                {"country_of_birth", C_COUNTRY},
                {"location", C_APPR_LOC}};
    sk_event ev;
    size_t i;
    sk_err rc;

    rc = event_start(sh, &ev, SK_EV_APPREHENSION, day, diag);
    for (i = 0; rc == SK_OK && i < SK_ARRAY_LEN(cols); i++)
        rc = set_cell(sh, &ev, cols[i].field, cols[i].c, diag);
    if (rc == SK_OK)
        rc = event_end(sh, &ev, C_APPR_DATE, diag);
    return rc;
}

static sk_err ev_simple(sheet *sh, sk_event_type t, enum col date_col, int64_t day, const char *f1,
                        enum col c1, const char *f2, enum col c2, sk_diag *diag)
{
    sk_event ev;
    sk_err rc;

    rc = event_start(sh, &ev, t, day, diag);
    if (rc == SK_OK && f1 != NULL)
        rc = set_cell(sh, &ev, f1, c1, diag);
    if (rc == SK_OK && f2 != NULL)
        rc = set_cell(sh, &ev, f2, c2, diag);
    if (rc == SK_OK)
        rc = event_end(sh, &ev, date_col, diag);
    return rc;
}

static sk_err ev_sponsor(sheet *sh, int64_t day, sk_diag *diag)
{
    static const struct {
        const char *field;
        enum col c;
    } cols[] = {{"sponsor_id", C_SPONSOR},       {"given_name", C_SP_GIVEN},
                {"family_name", C_SP_FAMILY},    {"category", C_SP_CATEGORY},
                {"relationship", C_SP_RELATION}, {"phone", C_SP_PHONE}};
    sk_event ev;
    size_t i;
    sk_err rc;

    rc = need(sh, C_SP_FAMILY, C_SPONSOR, diag);
    if (rc == SK_OK)
        rc = need(sh, C_SP_GIVEN, C_SPONSOR, diag);
    if (rc == SK_OK)
        rc = need(sh, C_SP_CATEGORY, C_SPONSOR, diag);
    if (rc == SK_OK)
        rc = need(sh, C_SP_RELATION, C_SPONSOR, diag);
    if (rc == SK_OK)
        rc = event_start(sh, &ev, SK_EV_SPONSOR_APPLICATION, day, diag);
    for (i = 0; rc == SK_OK && i < SK_ARRAY_LEN(cols); i++)
        rc = set_cell(sh, &ev, cols[i].field, cols[i].c, diag);
    if (rc == SK_OK)
        rc = event_end(sh, &ev, C_SPONSOR, diag);
    return rc;
}

static sk_err ev_discharge(sheet *sh, int64_t day, sk_diag *diag)
{
    int to_sponsor = cell(sh, C_SPONSOR).len > 0;
    sk_event ev;
    sk_err rc;

    rc = event_start(sh, &ev, SK_EV_DISCHARGE, day, diag);
    if (rc == SK_OK && cell(sh, C_DISCHARGE_TYPE).len > 0)
        rc = set_cell(sh, &ev, "discharge_type", C_DISCHARGE_TYPE, diag);
    else if (rc == SK_OK && to_sponsor)
        rc = sk_event_set(&ev, SK_STR("discharge_type"), SK_STR("released_to_sponsor"), 0, diag);
    else if (rc == SK_OK)
        rc = need(sh, C_DISCHARGE_TYPE, C_RELEASE, diag);
    to_sponsor = rc == SK_OK && sk_event_get(&ev, "discharge_type")->num == 0;
    if (rc == SK_OK && to_sponsor)
        rc = set_cell(sh, &ev, "sponsor_id", C_SPONSOR, diag);
    if (rc == SK_OK)
        rc = set_cell(sh, &ev, "address", C_ADDRESS, diag);
    if (rc == SK_OK)
        rc = set_cell(sh, &ev, "address_status", C_ADDRESS_STATUS, diag);
    if (rc == SK_OK && to_sponsor && cell(sh, C_SPONSOR).len > 0)
        rc = ev_simple(sh, SK_EV_SPONSOR_APPROVED, C_RELEASE, day, "sponsor_id", C_SPONSOR, NULL,
                       C_SPONSOR, diag);
    if (rc == SK_OK)
        rc = event_end(sh, &ev, C_RELEASE, diag);
    return rc;
}

static sk_err ev_court(sheet *sh, int64_t nta, int64_t hearing, sk_diag *diag)
{
    char hid[SK_ID_LEN_MAX + 8], when[SK_RFC3339_LEN + 1];
    sk_event ev;
    sk_err rc = SK_OK;

    if (nta != 0 || hearing != 0)
        rc = need(sh, C_COURT, nta ? C_NTA : C_HEARING, diag);
    if (rc == SK_OK && nta != 0)
        rc = ev_simple(sh, SK_EV_NTA_FILED, C_NTA, nta, "court_id", C_COURT, NULL, C_COURT, diag);
    if (rc == SK_OK && hearing == 0 && cell(sh, C_OUTCOME).len > 0)
        rc = need(sh, C_HEARING, C_OUTCOME, diag);
    if (rc != SK_OK || hearing == 0)
        return rc;
    snprintf(hid, sizeof(hid), "%.*s-H1", (int)sh->case_id.len, sh->case_id.ptr);
    sk_time_format_rfc3339(hearing + 15 * 3600, when); /* mid-morning in US time zones */
    rc = event_start(sh, &ev, SK_EV_HEARING_SCHEDULED, nta ? nta : hearing, diag);
    if (rc == SK_OK)
        rc = sk_event_set(&ev, SK_STR("hearing_id"), sk_str_c(hid), 0, diag);
    if (rc == SK_OK)
        rc = set_cell(sh, &ev, "court_id", C_COURT, diag);
    if (rc == SK_OK)
        rc = sk_event_set(&ev, SK_STR("scheduled_for"), sk_str_c(when), 0, diag);
    if (rc == SK_OK)
        rc = event_end(sh, &ev, C_HEARING, diag);
    if (rc != SK_OK || cell(sh, C_OUTCOME).len == 0)
        return rc;
    rc = event_start(sh, &ev, SK_EV_HEARING_OUTCOME, hearing, diag);
    if (rc == SK_OK)
        rc = sk_event_set(&ev, SK_STR("hearing_id"), sk_str_c(hid), 0, diag);
    if (rc == SK_OK)
        rc = set_cell(sh, &ev, "outcome", C_OUTCOME, diag);
    if (rc == SK_OK)
        rc = event_end(sh, &ev, C_OUTCOME, diag);
    return rc;
}

typedef struct row_dates {
    int64_t appr, referral, admission, transfer, release, nta, hearing, call;
} row_dates;

static sk_err read_dates(sheet *sh, row_dates *d, sk_diag *diag)
{
    sk_err rc = date_cell(sh, C_APPR_DATE, &d->appr, diag);
    if (rc == SK_OK)
        rc = date_cell(sh, C_REFERRAL, &d->referral, diag);
    if (rc == SK_OK)
        rc = date_cell(sh, C_ADMISSION, &d->admission, diag);
    if (rc == SK_OK)
        rc = date_cell(sh, C_TRANSFER, &d->transfer, diag);
    if (rc == SK_OK)
        rc = date_cell(sh, C_RELEASE, &d->release, diag);
    if (rc == SK_OK)
        rc = date_cell(sh, C_NTA, &d->nta, diag);
    if (rc == SK_OK)
        rc = date_cell(sh, C_HEARING, &d->hearing, diag);
    if (rc == SK_OK)
        rc = date_cell(sh, C_CALL, &d->call, diag);
    if (rc == SK_OK && d->appr == 0)
        rc = at_column(sh, C_APPR_DATE, sk_diag_set(diag, SK_ERR_INVALID, "", "required"), diag);
    return rc;
}

static sk_err row_custody(sheet *sh, const row_dates *d, sk_diag *diag)
{
    sk_err rc = ev_apprehension(sh, d->appr, diag);

    if (rc == SK_OK && d->referral)
        rc = ev_simple(sh, SK_EV_REFERRAL, C_REFERRAL, d->referral, NULL, C_REFERRAL, NULL,
                       C_REFERRAL, diag);
    if (rc == SK_OK && d->admission) {
        rc = need(sh, C_FACILITY, C_ADMISSION, diag);
        if (rc == SK_OK)
            rc = need(sh, C_PLACEMENT, C_ADMISSION, diag);
        if (rc == SK_OK)
            rc = ev_simple(sh, SK_EV_ADMISSION, C_ADMISSION, d->admission, "facility_id",
                           C_FACILITY, "placement_type", C_PLACEMENT, diag);
    }
    if (rc == SK_OK && d->transfer) {
        rc = need(sh, C_TR_FACILITY, C_TRANSFER, diag);
        if (rc == SK_OK)
            rc = need(sh, C_TR_PLACEMENT, C_TRANSFER, diag);
        if (rc == SK_OK)
            rc = ev_simple(sh, SK_EV_TRANSFER, C_TRANSFER, d->transfer, "to_facility_id",
                           C_TR_FACILITY, "placement_type", C_TR_PLACEMENT, diag);
    }
    if (rc == SK_OK && cell(sh, C_SPONSOR).len > 0)
        rc = ev_sponsor(sh, d->admission ? d->admission : d->appr, diag);
    if (rc == SK_OK && d->release)
        rc = ev_discharge(sh, d->release, diag);
    return rc;
}

/* A row's columns are in no particular time order (a wellness call may
 * precede the hearing); recording its events in date order keeps them from
 * being flagged late. Insertion sort: stable, and a row has a dozen. */
static sk_err record_row(sheet *sh, sk_diag *diag)
{
    size_t i, j;
    sk_err rc = SK_OK;

    for (i = 1; i < sh->event_count; i++) {
        sk_event tmp = sh->events[i];
        for (j = i; j > 0 && sh->events[j - 1].occurred_at > tmp.occurred_at; j--)
            sh->events[j] = sh->events[j - 1];
        sh->events[j] = tmp;
    }
    for (i = 0; rc == SK_OK && i < sh->event_count; i++)
        rc = sk_ingest_event(sh->ing, &sh->events[i], diag);
    return rc;
}

static sk_err one_row(sheet *sh, sk_diag *diag)
{
    row_dates d;
    sk_err rc;

    sh->event_count = 0;
    sh->case_id = cell(sh, C_CASE_ID);
    sh->agency = cell(sh, C_AGENCY);
    if (sh->agency.len == 0)
        sh->agency = sk_str_c(sh->opts->agency ? sh->opts->agency : "ORR");
    if (sh->case_id.len == 0)
        return at_column(sh, C_CASE_ID, sk_diag_set(diag, SK_ERR_INVALID, "", "required"), diag);
    if (!sk_id_valid(sh->case_id, SK_ID_LEN_MAX))
        return at_column(sh, C_CASE_ID,
                         sk_diag_set(diag, SK_ERR_INVALID, "", "expected ids of 1 to %d characters",
                                     SK_ID_LEN_MAX),
                         diag);
    rc = read_dates(sh, &d, diag);
    if (rc == SK_OK)
        rc = row_custody(sh, &d, diag);
    if (rc == SK_OK)
        rc = ev_court(sh, d.nta, d.hearing, diag);
    if (rc == SK_OK && d.call) {
        rc = need(sh, C_CALL_REACHED, C_CALL, diag);
        if (rc == SK_OK)
            rc = ev_simple(sh, SK_EV_WELLNESS_CALL, C_CALL, d.call, "reached", C_CALL_REACHED, NULL,
                           C_CALL, diag);
    }
    if (rc == SK_OK)
        rc = record_row(sh, diag);
    return rc;
}

static sk_err read_rows(sheet *sh, sk_csv *csv, const char *path, uint64_t total, sk_diag *diag)
{
    uint64_t rows = 0;
    sk_err rc;

    rc = sk_csv_next(csv, &sh->fields, &sh->field_count, diag);
    if (rc == SK_ERR_NOT_FOUND)
        return sk_diag_set(diag, SK_ERR_INVALID, "header", "the file is empty");
    if (rc == SK_OK)
        rc = read_header(sh, diag);
    while (rc == SK_OK) {
        rc = sk_csv_next(csv, &sh->fields, &sh->field_count, diag);
        if (rc != SK_OK)
            break;
        sk_arena_reset(sh->arena);
        rc = one_row(sh, diag);
        if (sh->opts->progress != NULL && ++rows % PROGRESS_EVERY == 0)
            sh->opts->progress(sk_csv_bytes_read(csv), total, sh->opts->progress_ctx);
    }
    if (rc == SK_ERR_NOT_FOUND)
        return SK_OK;
    if (diag != NULL) {
        snprintf(diag->where, sizeof(diag->where), "%s", path);
        if (diag->line == 0) /* the reader names the line of its own errors */
            diag->line = sk_csv_line(csv);
    }
    return rc;
}

sk_err sk_import_csv(sk_ingest *ing, const char *path, const sk_import_opts *opts, sk_diag *diag)
{
    sheet sh;
    sk_csv *csv = NULL;
    struct stat st;
    int fd;
    sk_err rc;

    SK_ASSERT(ing != NULL && path != NULL && opts != NULL);
    memset(&sh, 0, sizeof(sh));
    sh.ing = ing;
    sh.opts = opts;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (diag != NULL)
            snprintf(diag->where, sizeof(diag->where), "%s", path);
        return sk_diag_set(diag, SK_ERR_IO, "", "cannot open: %s", strerror(errno));
    }
    rc = sk_arena_new(ARENA_CHUNK, ARENA_MAX, &sh.arena);
    if (rc == SK_OK)
        rc = sk_csv_open_fd(fd, RECORD_BYTES_MAX, &csv);
    if (rc == SK_OK)
        rc = read_rows(&sh, csv, path, fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0, diag);
    if (rc == SK_OK && opts->progress != NULL)
        opts->progress(1, 1, opts->progress_ctx);
    if (rc != SK_OK && diag != NULL && diag->where[0] == '\0')
        snprintf(diag->where, sizeof(diag->where), "%s", path);
    sk_csv_close(csv);
    sk_arena_free(sh.arena);
    close(fd);
    return rc;
}
