#!/usr/bin/env python3
# api_matrix.py: the authorisation matrix of the HTTP API.
#
# Every person route is asked by a token of every (agency, role) pair the
# example policy defines, for every purpose, about every test child and an
# unknown id. The expected answer comes from an independent oracle: the
# CLI's `safekeep policy check --json`, run against a copy of the database
# taken before the daemon starts (its own audit log, since the daemon holds
# the real one's lock). Each answer must have the oracle's status, rule and
# reason, and exactly the keys the disclosed fields allow: the field -> key
# table below is written out here, from the documented rules of the views
# (include/safekeep/sk_view.h, docs/fields.md), not read from the server.
# Identity values may appear in a body only when their field is disclosed.
# Requests without a valid token (none, malformed, wrong secret, revoked,
# expired) must get the same 401, byte for byte apart from the request id,
# whether the child exists or not. Then the daemon is stopped, its audit log
# must verify and hold one record per decision of every 2xx and 403 answer,
# under the answer's Safekeep-Request-Id, and none for a 401.
# Python's standard library only; prints TAP, one line per request.
import concurrent.futures
import datetime
import json
import os
import queue
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from skhttp import BIN, ROOT, Db, Server, Tap  # noqa: E402

PURPOSES = ["child_welfare", "sponsor_vetting", "court_proceedings", "legal_representation",
            "oversight", "statistics", "research", "immigration_enforcement", "law_enforcement",
            "foreign_government", "emergency"]

# (agency, role) pairs of examples/roles.policy and agencies.policy: every
# role an agency's users can hold, auditor and administrator at every kind
# of agency (foreign governments and USCIS included), and one role held at
# the wrong agency (USCIS has no officers: the role grants it nothing).
TOKENS = [("ORR", "case_manager"), ("ORR", "supervisor"), ("ORR", "auditor"),
          ("ORR", "administrator"), ("EOIR", "clerk"), ("LSP-KIND", "attorney"),
          ("LSP-RAICES", "attorney"), ("LSP-ACLU", "attorney"), ("ICE", "officer"),
          ("CBP", "officer"), ("HHS-OIG", "auditor"), ("DHS-OIG", "auditor"),
          ("GT-PGN", "auditor"), ("GT-PGN", "administrator"), ("USCIS", "auditor"),
          ("USCIS", "administrator"), ("USCIS", "officer")]

# ---- the field -> key table (docs/fields.md) ------------------------------
# One row per policy field: the kinds of record it describes; the identity
# keys it governs; the child's case keys ("list[].key" inside a list item);
# the timeline event types it governs; "type.key" payload keys it governs
# (other payload keys follow their event type); keys it adds to every shown
# event; keys of a sponsor and of a household-member item; the vetting check
# types listed under its key; "key=value" gates on entries.
TABLE = [
    ("given_name", "child sponsor household", dict(identity="given_name")),
    ("family_name", "child sponsor household", dict(identity="family_name")),
    ("dob", "child sponsor household", dict(identity="dob")),
    ("a_number", "child sponsor household", dict(identity="a_number")),
    ("address", "child sponsor household",
     dict(identity="address", events="change_of_address",
          payload="discharge.address_status discharge.address_on_file")),
    ("phone", "child sponsor household", dict(identity="phone")),
    ("sex", "child", dict(child="sex", payload="apprehension.sex")),
    ("country_of_birth", "child",
     dict(child="country_of_birth", payload="apprehension.country_of_birth")),
    ("language", "child", dict(child="language", payload="apprehension.language")),
    ("age", "child", dict(child="age_years", payload="apprehension.age_years")),
    ("custody_status", "child",
     dict(child="custody referred_at closed_at", events="referral case_closed")),
    ("court_status", "child", dict(child="court")),
    ("facility", "child placement",
     dict(child="facility placements[].facility",
          payload="admission.facility_id admission.facility_state transfer.from_facility_id "
                  "transfer.to_facility_id")),
    ("placement_type", "child placement",
     dict(child="placement_type placements[].placement_type",
          payload="admission.placement_type transfer.placement_type")),
    ("placement_history", "child placement",
     dict(child="placements admitted_at", events="admission transfer")),
    ("apprehension_date", "child", dict(child="apprehended_at", events="apprehension")),
    ("release_date", "child", dict(child="released_at", events="discharge")),
    ("discharge_type", "child", dict(child="discharge_type", payload="discharge.discharge_type")),
    ("sponsor_id", "child sponsor household",
     dict(child="sponsor_id", payload="discharge.sponsor_id change_of_address.person_id",
          sponsor="sponsor_id", household="sponsor_id")),
    ("sponsor_category", "sponsor", dict(sponsor="category")),
    ("relationship", "sponsor household", dict(sponsor="relationship", household="relationship")),
    ("fingerprints", "sponsor household",
     dict(sponsor="fingerprints", household="fingerprints", checks="fingerprint")),
    ("immigration_status", "", dict()),
    ("vetting_results", "sponsor household",
     dict(sponsor="status denial_reason vetting_results", household="vetting_results",
          checks="can_registry home_study")),
    ("criminal_history", "child sponsor household",
     dict(sponsor="criminal_history", household="criminal_history",
          checks="public_records sex_offender_registry",
          gate="topic=criminal_record topic=gang_affiliation")),
    ("household_members", "sponsor household",
     dict(sponsor="household_members", household="member_id")),
    ("nta", "child hearing", dict(child="nta_filed_at", events="nta_filed")),
    ("hearing_dates", "child hearing",
     dict(child="hearings next_hearing_at", events="hearing_scheduled")),
    ("hearing_outcomes", "child hearing",
     dict(child="hearings[].outcome next_hearing_at", events="hearing_outcome")),
    ("court_id", "child hearing",
     dict(child="hearings[].court_id", payload="nta_filed.court_id hearing_scheduled.court_id")),
    ("relief_type", "child relief",
     dict(child="relief", events="relief_filed", payload="relief_decided.relief_type")),
    ("asylum_application", "child relief", dict(child="asylum_application",
                                                 gate="relief_type=asylum")),
    ("relief_outcome", "child relief", dict(child="relief[].outcome", events="relief_decided")),
    ("incidents", "child incident", dict(child="incident_count", events="incident")),
    ("wellness_calls", "child", dict(child="calls", events="wellness_call")),
    ("services", "child", dict(events="post_release_service")),
    ("facts", "child fact",
     dict(events="fact_asserted fact_contested fact_corrected fact_retracted",
          event_keys="provenance")),
    ("decisions", "child fact", dict(events="decision")),
    ("ombuds_complaint", "", dict()),
    ("counsel", "child", dict(child="counsel", events="counsel")),
    ("data_quality", "child", dict(child="data_quality", event_keys="data_quality")),
]
FIELDS = [name for name, _, _ in TABLE]
# Keys of list items that no row names follow their list.
LIST_ITEMS = {"placements": ["facility", "placement_type", "start", "end"],
              "hearings": ["hearing_id", "court_id", "scheduled_for", "outcome"],
              "relief": ["relief_type", "filed_at", "outcome"],
              "calls": ["at", "reached"]}
ROW_KEYS = ["custody", "court", "country_of_birth", "language", "age_years", "apprehended_at",
            "facility", "released_at", "next_hearing_at", "data_quality"]
ENVELOPE = {"id", "type", "occurred_at", "recorded_at", "agency", "payload"}
CHECK_ITEM = {"check_type", "result", "checked_at"}
# Payload keys that are identity fields (sealed, never in a timeline).
IDENTITY_PAYLOAD = {"apprehension": {"given_name", "family_name", "dob", "a_number"},
                    "sponsor_application": {"given_name", "family_name", "dob", "a_number",
                                            "address", "phone"},
                    "household_member": {"given_name", "family_name", "dob"},
                    "discharge": {"address", "phone"},
                    "change_of_address": {"address", "phone"}}
FACT_EVENTS = {"fact_asserted", "fact_contested", "fact_corrected", "fact_retracted"}


def compile_table():
    t = dict(entity={}, identity={}, case={}, events={}, payload={}, event_keys={},
             sponsor={}, household={}, checks={}, gates={})
    for name, entities, cols in TABLE:
        for e in entities.split():
            t["entity"].setdefault(e, []).append(name)
        for col in ("identity", "events", "payload", "event_keys", "sponsor", "household",
                    "checks", "gates"):
            for key in cols.get(col if col != "gates" else "gate", "").split():
                t[col].setdefault(key, set()).add(name)
        for key in cols.get("child", "").split():
            t["case"].setdefault(key, set()).add(name)
    for lst, items in LIST_ITEMS.items():
        for item in items:
            t["case"].setdefault(f"{lst}[].{item}", set()).update(t["case"][lst])
    return t


T = compile_table()
CHILD_FIELDS = [f for f in FIELDS if f in T["entity"]["child"]]
SPONSOR_FIELDS = [f for f in FIELDS if f in T["entity"]["sponsor"]]
HOUSEHOLD_FIELDS = [f for f in FIELDS if f in T["entity"]["household"]]


def allowed(need, disclosed):
    return bool(need) and need <= disclosed


# ---- the test population --------------------------------------------------
# good.jsonl gives C0001 (released to S0001) and C0002 (in care). C0003 has
# everything a view can show: hearings, counsel of record (LSP-KIND), an
# asylum and a SIJS application, facts about a criminal record and age, a
# sponsor with an adult household member and vetting checks, calls,
# services, an incident, a change of address. C0004 was only apprehended by
# CBP: a child held by another agency than ORR, with no attributes.
def ev(eid, typ, day, agency, subjects, payload, provenance=None):
    e = {"id": eid, "type": typ, "occurred_at": f"{day}T10:00:00Z", "agency": agency,
         "user": "x.1", "subjects": subjects, "payload": payload}
    if provenance:
        e["provenance"] = provenance
    return e


EXTRA = [
    ev("x-01", "apprehension", "2023-06-01", "ICE", ["C0003"],
       {"given_name": "Yesenia", "family_name": "Ajpop Tzul", "dob": "2009-02-11",
        "a_number": "A-098-765-432", "sex": "female", "country_of_birth": "GT",
        "language": "quc", "location": "El Paso"}),
    ev("x-02", "referral", "2023-06-02", "ICE", ["C0003"], {"referring_office": "ICE-ELP"}),
    ev("x-03", "fact_asserted", "2023-06-02", "ICE", ["C0003"],
       {"fact_id": "F-1", "topic": "criminal_record", "summary": "record check"},
       {"source": "interpol", "ref": "X-1", "reliability": "C"}),
    ev("x-04", "admission", "2023-06-03", "ORR", ["C0003"],
       {"facility_id": "F-TX-021", "placement_type": "shelter", "facility_state": "TX"}),
    ev("x-05", "fact_asserted", "2023-06-05", "ORR", ["C0003"],
       {"fact_id": "F-2", "topic": "age", "summary": "dental exam"}),
    ev("x-06", "decision", "2023-06-06", "ORR", ["C0003"],
       {"decision_id": "D-1", "kind": "release_approved", "cites": "F-2"}),
    ev("x-07", "incident", "2023-06-10", "ORR", ["C0003"], {"category": "medical", "severity": "low"}),
    ev("x-08", "sponsor_application", "2023-06-12", "ORR", ["C0003", "S0003"],
       {"sponsor_id": "S0003", "category": "2A", "relationship": "aunt_uncle",
        "given_name": "Marta", "family_name": "Tzul Ixcoy", "dob": "1985-08-19",
        "address": "22 Avenida Inventada, Phoenix, AZ 85001", "phone": "+1 555 010 3000"}),
    ev("x-09", "household_member", "2023-06-13", "ORR", ["C0003", "S0003", "H0003"],
       {"sponsor_id": "S0003", "member_id": "H0003", "given_name": "Rolando",
        "family_name": "Cux Batz", "dob": "1980-03-03", "relationship": "family_friend"}),
    ev("x-10", "vetting_check", "2023-06-14", "ORR", ["C0003", "S0003"],
       {"sponsor_id": "S0003", "check_type": "public_records", "result": "clear"}),
    ev("x-11", "vetting_check", "2023-06-15", "ORR", ["C0003", "S0003", "H0003"],
       {"sponsor_id": "S0003", "person_id": "H0003", "check_type": "fingerprint",
        "result": "clear"}),
    ev("x-12", "sponsor_approved", "2023-06-20", "ORR", ["C0003", "S0003"], {"sponsor_id": "S0003"}),
    ev("x-13", "nta_filed", "2023-06-21", "ICE", ["C0003"], {"court_id": "EOIR-PHX"}),
    ev("x-14", "discharge", "2023-07-01", "ORR", ["C0003", "S0003"],
       {"discharge_type": "released_to_sponsor", "sponsor_id": "S0003",
        "address": "31 Calle Supuesta, Phoenix, AZ 85002", "phone": "+1 555 010 3001",
        "address_status": "unverified"}),
    ev("x-15", "wellness_call", "2023-07-31", "ORR", ["C0003"], {"reached": True, "attempt": 1}),
    ev("x-16", "hearing_scheduled", "2023-08-01", "EOIR", ["C0003"],
       {"hearing_id": "H-1", "court_id": "EOIR-PHX", "scheduled_for": "2023-10-02T15:00:00Z"}),
    ev("x-17", "post_release_service", "2023-08-05", "ORR", ["C0003"],
       {"service": "legal_orientation", "status": "completed"}),
    ev("x-18", "counsel", "2023-08-15", "EOIR", ["C0003"], {"org_id": "LSP-KIND", "action": "entered"}),
    ev("x-19", "relief_filed", "2023-09-01", "LSP-KIND", ["C0003"],
       {"relief_type": "asylum", "application_id": "ASY-1"}),
    ev("x-20", "relief_filed", "2023-09-02", "LSP-KIND", ["C0003"], {"relief_type": "sijs"}),
    ev("x-21", "fact_contested", "2023-09-10", "LSP-KIND", ["C0003"],
       {"fact_id": "F-1", "grounds": "disputed by counsel"}),
    ev("x-22", "change_of_address", "2023-09-20", "ORR", ["C0003"],
       {"address": "5 Camino Ficticio, Mesa, AZ 85201"}),
    ev("x-23", "hearing_outcome", "2023-10-02", "EOIR", ["C0003"],
       {"hearing_id": "H-1", "outcome": "continued"}),
    ev("x-24", "apprehension", "2024-05-01", "CBP", ["C0004"],
       {"given_name": "Keyla", "family_name": "Mejía Cruz", "dob": "2010-10-10",
        "country_of_birth": "HN", "language": "spa"}),
]
CHILDREN = ["C0001", "C0002", "C0003", "C0004"]
UNKNOWN = "C0099"
GHOST = "C0004"  # no attributes: stands for an unknown child in the oracle
ANUMBERS = {"C0001": "A-012-345-678", "C0003": "A-098-765-432"}
UNKNOWN_ANUMBER = "A-111-222-333"
# Identity values as stored in each person record, by field.
IDENTITY = {
    "C0001": {"given_name": "José Luis", "family_name": "García López", "dob": "2007-05-02",
              "a_number": "012345678", "address": "100 Calle Ficticia, Houston, TX 77001"},
    "C0002": {"given_name": "Wilmer", "family_name": "Pascual Xuc", "dob": "2008-01-20"},
    "C0003": {"given_name": "Yesenia", "family_name": "Ajpop Tzul", "dob": "2009-02-11",
              "a_number": "098765432", "address": "5 Camino Ficticio, Mesa, AZ 85201",
              "phone": "+1 555 010 3001"},
    "C0004": {"given_name": "Keyla", "family_name": "Mejía Cruz", "dob": "2010-10-10"},
    "S0001": {"given_name": "Ana María", "family_name": "López Pérez", "phone": "+1 555 010 2000"},
    "S0003": {"given_name": "Marta", "family_name": "Tzul Ixcoy", "dob": "1985-08-19",
              "address": "22 Avenida Inventada, Phoenix, AZ 85001", "phone": "+1 555 010 3000"},
    "H0003": {"given_name": "Rolando", "family_name": "Cux Batz", "dob": "1980-03-03"},
}
# Values that must never appear anywhere: the child's address before the
# change of address, and A-numbers as they were typed.
NEVER = {"C0003 former address": "31 Calle Supuesta", "C0001 a_number as typed": "A-012-345-678",
         "C0003 a_number as typed": "A-098-765-432"}
# Every value, by a name that can be printed: failures name the value, never
# print it.
ALL_VALUES = dict([(f"{p} {f}", v) for p, values in IDENTITY.items() for f, v in values.items()],
                  **NEVER)


def encodings(value):
    """The forms a JSON string value can take in a body."""
    return {value.encode(), json.dumps(value)[1:-1].encode()}


def has_value(raw, value):
    return any(e in raw for e in encodings(value))


def load_events():
    evs = []
    with open(os.path.join(ROOT, "tests", "data", "good.jsonl")) as f:
        evs += [json.loads(line) for line in f if line.strip()]
    return evs + EXTRA


EVENTS = load_events()


# ---- expected views -------------------------------------------------------
def carried_payload_keys(e):
    keys = set(e["payload"]) - IDENTITY_PAYLOAD.get(e["type"], set())
    if e["type"] == "apprehension" and "dob" in e["payload"]:
        keys.add("age_years")
    if e["type"] == "discharge":
        keys.add("address_on_file")
    return keys


def gate_need(e, fact_topics):
    need = set()
    p = dict(e["payload"])
    if e["type"] in FACT_EVENTS:
        p["topic"] = fact_topics.get(p.get("fact_id"))
    for gate, fields in T["gates"].items():
        key, value = gate.split("=")
        if p.get(key) == value:
            need |= fields
    return need


def expected_timeline(child, d):
    """{event id: (event keys, payload keys)} of the shown events."""
    evs = [e for e in EVENTS if e["subjects"][0] == child]
    topics = {e["payload"]["fact_id"]: e["payload"]["topic"] for e in evs
              if e["type"] == "fact_asserted"}
    shown = {}
    for e in evs:
        need = T["events"].get(e["type"])
        if not allowed(need, d) or not gate_need(e, topics) <= d:
            continue
        keys = set(ENVELOPE)
        for k, fields in T["event_keys"].items():
            if fields <= d:
                keys.add(k)
        payload = {k for k in carried_payload_keys(e)
                   if (T["payload"].get(f"{e['type']}.{k}") or need) <= d}
        shown[e["id"]] = (keys, payload)
    return shown


def check_child_view(child, view, d, raw):
    """Differences between a child view and what fields d allow."""
    errs = []
    want = {"id"}
    for key, need in T["case"].items():
        if "[]" not in key and allowed(need, d):
            want.add(key)
    if any(f in d for f in T["identity"]):
        want.add("identity")
    if any(allowed(need, d) for need in T["events"].values()):
        want.add("timeline")
    if set(view) != want:
        errs.append(f"child keys: extra {sorted(set(view) - want)}, missing {sorted(want - set(view))}")
    if view.get("id") != child:
        errs.append(f"id {view.get('id')!r}")
    for lst, items in LIST_ITEMS.items():
        for item in view.get(lst) or []:
            iw = {k for k in items if allowed(T["case"][f"{lst}[].{k}"], d)}
            if not isinstance(item, dict) or set(item) != iw:
                errs.append(f"{lst}[] keys {sorted(item)} != {sorted(iw)}")
    if child == "C0003" and "relief" in view:
        n = 2 if "asylum_application" in d else 1  # the asylum application is gated
        if len(view["relief"]) != n:
            errs.append(f"relief has {len(view['relief'])} entries, wanted {n}")
    if "identity" in view:
        iw = {k for k, fields in T["identity"].items() if fields <= d}
        if set(view["identity"]) != iw:
            errs.append(f"identity keys {sorted(view['identity'])} != {sorted(iw)}")
    if "timeline" in view:
        shown = expected_timeline(child, d)
        got = [e.get("id") for e in view["timeline"]]
        if sorted(got) != sorted(shown):
            errs.append(f"timeline events {got} != {sorted(shown)}")
        times = [e.get("occurred_at", "") for e in view["timeline"]]
        if times != sorted(times):
            errs.append("timeline not in order of occurred_at")
        for e in view["timeline"]:
            if e.get("id") not in shown:
                continue
            keys, payload = shown[e["id"]]
            if set(e) != keys:
                errs.append(f"event {e['id']} keys {sorted(e)} != {sorted(keys)}")
            if set(e.get("payload", {})) != payload:
                errs.append(f"event {e['id']} payload {sorted(e.get('payload', {}))} != {sorted(payload)}")
    for person, values in IDENTITY.items():
        for field, value in values.items():
            want_it = person == child and field in d
            if has_value(raw, value) != want_it:
                errs.append(f"{person}'s {field} value {'missing' if want_it else 'disclosed'}")
    errs += [f"value {k} disclosed" for k, v in NEVER.items() if has_value(raw, v)]
    return errs


def person_keys(which, d):
    want = {k for k, fields in T[which].items() if fields <= d}
    if any(f in d for f in T["identity"]):
        want.add("identity")
    return want


def check_person_item(which, item, d):
    errs = []
    want = person_keys(which, d)
    if set(item) != want:
        errs.append(f"{which} keys: extra {sorted(set(item) - want)}, missing {sorted(want - set(item))}")
    if "identity" in item:
        iw = {k for k, fields in T["identity"].items() if fields <= d}
        if set(item["identity"]) != iw:
            errs.append(f"{which} identity keys {sorted(item['identity'])} != {sorted(iw)}")
    for key in ("criminal_history", "fingerprints", "vetting_results"):
        for c in item.get(key) or []:
            if set(c) != CHECK_ITEM:
                errs.append(f"{which} {key}[] keys {sorted(c)}")
    return errs


def check_sponsors_view(child, view, ds, dh, raw):
    errs = []
    want = {"child_id"}
    if ds["decision"] == "permit":
        want.add("sponsors")
    if dh["decision"] == "permit":
        want.add("household_members")
    if set(view) != want:
        errs.append(f"sponsors view keys {sorted(view)} != {sorted(want)}")
    fs, fh = set(ds["fields"]), set(dh["fields"])
    for item in view.get("sponsors") or []:
        errs += check_person_item("sponsor", item, fs)
    for item in view.get("household_members") or []:
        errs += check_person_item("household", item, fh)
    if child == "C0003":
        if len(view.get("sponsors") or []) != (1 if "sponsors" in want else 0):
            errs.append("C0003 has one sponsor")
        if len(view.get("household_members") or []) != (1 if "household_members" in want else 0):
            errs.append("C0003 has one household member")
        spon = (view.get("sponsors") or [{}])[0]
        if "criminal_history" in spon and len(spon["criminal_history"]) != 1:
            errs.append("S0003 has one public-records check")
        memb = (view.get("household_members") or [{}])[0]
        if "fingerprints" in memb and len(memb["fingerprints"]) != 1:
            errs.append("H0003 has one fingerprint check")
    disclosed = {"S0003": fs if "sponsors" in want else set(),
                 "H0003": fh if "household_members" in want else set()}
    for person, values in IDENTITY.items():
        for field, value in values.items():
            want_it = field in disclosed.get(person, set())
            if has_value(raw, value) != want_it:
                errs.append(f"{person}'s {field} value {'missing' if want_it else 'disclosed'}")
    return errs


def check_row(row, d):
    want = {"id"} | {k for k in ROW_KEYS if allowed(T["case"][k], d)}
    if set(row) != want:
        return [f"row {row.get('id')}: extra {sorted(set(row) - want)}, missing {sorted(want - set(row))}"]
    return []


def disclosure_of(o):
    return {k: o[k] for k in ("rule", "fields", "withheld", "obligations", "retention_days")}


# ---- the oracle -----------------------------------------------------------
class Oracle:
    """safekeep policy check --json on copies of the database, in parallel.
    Each check appends to its copy's audit log, and appending costs more
    the longer the log is; so every check starts from the snapshot taken
    before the daemon started, in a directory of its worker's own (no two
    processes share a lock)."""

    def __init__(self, db, workers):
        self.snapshot = {}
        for name in os.listdir(db.dir):
            if name.startswith("t.db"):
                with open(os.path.join(db.dir, name), "rb") as f:
                    self.snapshot[name] = f.read()
        self.envs = queue.Queue()
        for i in range(workers):
            d = os.path.join(db.dir, f"oracle{i}")
            os.mkdir(d)
            env = dict(db.env)
            env["SAFEKEEP_DB"] = os.path.join(d, "t.db")
            env["SAFEKEEP_AUDIT_LOG"] = os.path.join(d, "t.db.audit")
            # Leak checks of the command line are other tests' business.
            env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
            self.envs.put((d, env))
        self.pool = concurrent.futures.ThreadPoolExecutor(workers)
        self.cache = {}
        self.calls = 0

    def _restore(self, d):
        for name in os.listdir(d):
            if name not in self.snapshot:
                os.unlink(os.path.join(d, name))
        for name, data in self.snapshot.items():
            fd = os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)

    def _run(self, args):
        d, env = self.envs.get()
        try:
            self._restore(d)
            p = subprocess.run([BIN, "policy", "check", "--json", *args], capture_output=True,
                               text=True, env=env, stdin=subprocess.DEVNULL)
        finally:
            self.envs.put((d, env))
        if p.returncode not in (0, 3):
            raise RuntimeError(f"policy check {' '.join(args)}: exit {p.returncode}: {p.stderr}")
        o = json.loads(p.stdout)
        if (p.returncode == 0) != (o["decision"] == "permit"):
            raise RuntimeError(f"policy check {' '.join(args)}: exit {p.returncode} for {o}")
        return o

    def check(self, agency, role, purpose, action, subject, entity, fields=None,
              record_agency=None):
        args = ["--agency", agency, "--role", role, "--purpose", purpose, "--action", action,
                "--subject", subject, "--entity", entity]
        if fields:
            args += ["--fields", ",".join(fields)]
        if record_agency:
            args += ["--record-agency", record_agency]
        key = tuple(args)
        if key not in self.cache:
            self.calls += 1
            self.cache[key] = self.pool.submit(self._run, args)
        return self.cache[key]

    def read(self, tok, purpose, child, entity, fields):
        """A read of a child, or of an unknown id: judged as if the
        requester's own agency held a record with no attributes."""
        agency, role = tok
        if child == UNKNOWN:
            return self.check(agency, role, purpose, "read", GHOST, entity, fields, agency)
        return self.check(agency, role, purpose, "read", child, entity, fields)


# ---- recording the answers ------------------------------------------------
class Matrix:
    """The requests asked, each with its expectation and the answer."""

    def __init__(self, server):
        self.server = server
        self.done = []  # (request, expectation, answer)

    def ask(self, kind, tok, purpose, method, path, body=None, expect=None):
        token, label = tok
        st, h, raw, js = self.server.request(method, path, token=token, purpose=purpose, body=body)
        req = {"kind": kind, "label": label, "purpose": purpose, "method": method, "path": path,
               "body": body}
        self.done.append((req, expect, (st, h, raw, js)))


def describe(req):
    body = f" {json.dumps(req['body'])}" if req["body"] is not None else ""
    return f"{req['label']} [{req['purpose']}] {req['method']} {req['path']}{body}"


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def check_forbidden(st, h, js, raw, o):
    errs = []
    if st != 403:
        return [f"status {st}, wanted 403 ({o['reason']})"]
    if h.get("content-type") != "application/problem+json":
        errs.append(f"content-type {h.get('content-type')}")
    if not isinstance(js, dict):
        return errs + ["body is not a JSON object"]
    if js.get("type") != "urn:safekeep:problem:forbidden" or js.get("status") != 403:
        errs.append(f"type {js.get('type')} status {js.get('status')}")
    if js.get("rule") != o["rule"]:
        errs.append(f"rule {js.get('rule')} != oracle {o['rule']}")
    if js.get("reason") != o["reason"]:
        errs.append(f"reason {js.get('reason')!r} != oracle {o['reason']!r}")
    errs += no_values(raw, "a 403")
    return errs


def check_problem(st, js, status, name):
    if st != status or not isinstance(js, dict) or js.get("type") != f"urn:safekeep:problem:{name}":
        return [f"status {st} type {js.get('type') if isinstance(js, dict) else None}, "
                f"wanted {status} {name}"]
    return []


def no_values(raw, what):
    return [f"value {k} in {what}" for k, v in ALL_VALUES.items() if has_value(raw, v)]


# Each expectation returns (errors, audit records wanted: [(decision,
# entity, subject, oracle)]).
def expect_child(child, o, agency):
    def judge(st, h, raw, js):
        o_ = o.result()
        errs, records = judge_child(child, o_, st, h, raw, js)
        # The oracle's premises: C0004 is CBP's record, and an unknown id
        # is judged as the requester's own agency's.
        holder = {GHOST: "CBP", UNKNOWN: agency}.get(child, o_["record_agency"])
        if o_["record_agency"] != holder:
            errs.append(f"test premise: record agency {holder}, oracle says {o_['record_agency']}")
        return errs, records
    return judge


def judge_child(child, o_, st, h, raw, js):
    if o_["decision"] != "permit":
        return check_forbidden(st, h, js, raw, o_), [("deny", "child", child if child != UNKNOWN else "", o_)]
    if child == UNKNOWN:
        return check_problem(st, js, 404, "not-found") + no_values(raw, "a 404"), None
    if st != 200 or not isinstance(js, dict):
        return [f"status {st}, wanted 200 ({o_['reason']})"], []
    errs = []
    if set(js) != {"child", "disclosure"}:
        errs.append(f"keys {sorted(js)}")
    if js.get("disclosure") != disclosure_of(o_):
        errs.append(f"disclosure {js.get('disclosure')} != oracle {disclosure_of(o_)}")
    errs += check_child_view(child, js.get("child") or {}, set(o_["fields"]), raw)
    return errs, [("permit", "child", child, o_)]


def expect_sponsors(child, os_, oh):
    def judge(st, h, raw, js):
        ds, dh = os_.result(), oh.result()
        subj = child if child != UNKNOWN else ""
        if ds["decision"] != "permit" and dh["decision"] != "permit":
            return check_forbidden(st, h, js, raw, ds), [("deny", "sponsor", subj, ds),
                                                         ("deny", "household_member", subj, dh)]
        if child == UNKNOWN:
            return check_problem(st, js, 404, "not-found") + no_values(raw, "a 404"), None
        if st != 200 or not isinstance(js, dict):
            return [f"status {st}, wanted 200"], []
        errs = []
        want = {"sponsor": disclosure_of(ds) if ds["decision"] == "permit" else None,
                "household_member": disclosure_of(dh) if dh["decision"] == "permit" else None}
        if set(js) != {"sponsors", "disclosure"}:
            errs.append(f"keys {sorted(js)}")
        if js.get("disclosure") != want:
            errs.append(f"disclosure {js.get('disclosure')} != oracle {want}")
        errs += check_sponsors_view(child, js.get("sponsors") or {}, ds, dh, raw)
        return errs, [(ds["decision"], "sponsor", child, ds), (dh["decision"], "household_member", child, dh)]
    return judge


def expect_page(children, empty_o, limit):
    """A listing or search that matched children (each with its oracle);
    when none matched, empty_o judges the unknown record."""
    def judge(st, h, raw, js):
        decided = [(c, o.result()) for c, o in children]
        permitted = [(c, o) for c, o in decided if o["decision"] == "permit"]
        if not decided:
            o_ = empty_o.result()
            if o_["decision"] != "permit":
                return check_forbidden(st, h, js, raw, o_), [("deny", "child", "", o_)]
            want_records = [("permit", "child", "", o_)]
        else:
            want_records = [(o["decision"], "child", c, o) for c, o in decided]
            if not permitted:
                return check_forbidden(st, h, js, raw, decided[0][1]), want_records
        if st != 200 or not isinstance(js, dict):
            return [f"status {st}, wanted 200"], want_records
        errs = []
        if set(js) != {"children", "limit", "offset", "next_offset"}:
            errs.append(f"keys {sorted(js)}")
        if (js.get("limit"), js.get("offset"), js.get("next_offset")) != (limit, 0, None):
            errs.append(f"paging {js.get('limit')} {js.get('offset')} {js.get('next_offset')}")
        rows = js.get("children") or []
        got = [r.get("id") for r in rows]
        if got != [c for c, _ in permitted]:
            errs.append(f"listed {got}, oracle permits {[c for c, _ in permitted]}")
        for r in rows:
            o = dict(permitted).get(r.get("id"))
            if o is not None:
                errs += check_row(r, set(o["fields"]))
        return errs + no_values(raw, "a listing"), want_records
    return judge


def expect_check(child, o):
    def judge(st, h, raw, js):
        o_ = o.result()
        if child == UNKNOWN and o_["decision"] == "permit":
            return check_problem(st, js, 404, "not-found"), None
        subj = child if child != UNKNOWN else ""
        if st != 200:
            return [f"status {st}, wanted 200"], []
        errs = [] if js == o_ else [f"answer {js} != oracle {o_}"]
        return errs + no_values(raw, "a policy check"), [(o_["decision"], "child", subj, o_)]
    return judge


def expect_write(child, entity, eid, etype, o):
    def judge(st, h, raw, js):
        o_ = o.result()
        if o_["decision"] != "permit":
            return check_forbidden(st, h, js, raw, o_), [("deny", entity, child, o_)]
        if st != 201 or not isinstance(js, dict):
            return ([f"status {st}, wanted 201 ({o_['reason']}): {raw[:200]!r}"],
                    [("permit", entity, child, o_)])
        errs = []
        if set(js) != {"id", "seq", "type", "subject", "data_quality"}:
            errs.append(f"keys {sorted(js)}")
        if (js.get("id"), js.get("type"), js.get("subject")) != (eid, etype, child):
            errs.append(f"answer {js}")
        return errs, [("permit", entity, child, o_)]
    return judge


# Writes: per role, an event type it may write and one it may not (the
# oracle decides which), alternating by purpose. None of them changes an
# attribute a later decision turns on (release, asylum, counsel, vetting).
WRITE_TYPES = {"case_manager": ("incident", "wellness_call"),
               "supervisor": ("post_release_service", "fact_asserted"),
               "clerk": ("hearing_scheduled", "fact_asserted"),
               "attorney": ("fact_asserted", "hearing_scheduled"),
               "officer": ("nta_filed", "incident"),
               "auditor": ("incident", "fact_asserted"),
               "administrator": ("wellness_call", "incident")}
WRITE_ENTITY = {"incident": "incident", "wellness_call": "child", "post_release_service": "child",
                "fact_asserted": "fact", "hearing_scheduled": "hearing", "nta_filed": "hearing"}


def write_event(n, etype, child):
    payload = {"incident": {"category": "other", "severity": "low"},
               "wellness_call": {"reached": True},
               "post_release_service": {"service": "case_management", "status": "referred"},
               "fact_asserted": {"fact_id": f"FW-{n}", "topic": "other", "summary": "noted"},
               "hearing_scheduled": {"hearing_id": f"HW-{n}", "court_id": "EOIR-PHX",
                                     "scheduled_for": "2024-09-02T15:00:00Z"},
               "nta_filed": {"court_id": "EOIR-PHX"}}[etype]
    return {"id": f"w-{n:04d}", "type": etype, "occurred_at": "2024-06-01T10:00:00Z",
            "subjects": [child], "payload": payload}


# ---- the run --------------------------------------------------------------
def setup():
    db = Db(jsonl=os.path.join(ROOT, "tests", "data", "good.jsonl"))
    extra = os.path.join(db.dir, "extra.jsonl")
    with open(extra, "w") as f:
        for e in EXTRA:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    db.cli("import", extra)
    tokens = {tok: db.token(*tok) for tok in TOKENS}
    bad = {"none": None, "malformed": "not-a-token", "malformed2": "skt_" + "0" * 16 + "_"}
    good = db.token("ORR", "case_manager", user="u2")
    bad["wrong secret"] = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    revoked = db.token("ORR", "case_manager", user="u3")
    db.cli("token", "revoke", revoked.split("_")[1])
    bad["revoked"] = revoked
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3)
    bad["expired"] = db.token("ORR", "case_manager", user="u4",
                              expires=expires.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return db, tokens, bad, expires


def main():
    tap = Tap()
    t0 = time.time()
    db, tokens, bad, expires = setup()
    try:
        run_all(tap, db, tokens, bad, expires, t0)
    finally:
        db.cleanup()
    tap.done()


def run_all(tap, db, tokens, bad, expires, t0):
    records_before = 0
    if os.path.exists(db.path + ".audit"):
        records_before = json.loads(db.cli("audit", "report", "--json")[1])["records"]
    oracle = Oracle(db, workers=4)
    server = Server(db)
    m = Matrix(server)
    try:
        run_reads(m, oracle, tokens)
        run_service(m, oracle, tokens)
        run_writes(m, oracle, tokens)
        leaks = run_unauthenticated(server, bad, expires)
    finally:
        code = server.stop()
        oracle.pool.shutdown(wait=True)
    with open(os.path.join(db.dir, "server.log"), errors="replace") as f:
        tap.ok(code == 0, "the daemon exits 0 on SIGTERM", f"exit {code}\n{f.read()[-2000:]}")
    counted = judge_all(tap, m)
    check_leaks(tap, leaks)
    check_audit(tap, db, m, leaks, records_before)
    rules = {(o.result()["decision"], o.result()["rule"]["kind"], o.result()["rule"].get("id", ""))
             for o in oracle.cache.values()}
    print(f"# {len(rules)} distinct (decision, rule) outcomes: "
          + ", ".join(sorted(f"{d} {k}{' ' + i if i else ''}" for d, k, i in rules)))
    print(f"# checked {len(m.done)} authorised requests ({len(TOKENS)} tokens x {len(PURPOSES)} "
          f"purposes; {counted['2xx']} 2xx, {counted['403']} 403, {counted['404']} 404) and "
          f"{len(leaks)} unauthenticated ones against {oracle.calls} oracle decisions "
          f"in {time.time() - t0:.0f} s")


def run_reads(m, oracle, tokens):
    for tok in TOKENS:
        t = (tokens[tok], f"{tok[0]}/{tok[1]}")
        for p in PURPOSES:
            reads = {c: oracle.read(tok, p, c, "child", CHILD_FIELDS) for c in CHILDREN + [UNKNOWN]}
            for c in CHILDREN + [UNKNOWN]:
                m.ask("child", t, p, "GET", f"/v1/children/{c}", expect=expect_child(c, reads[c], tok[0]))
            for c in ("C0003", UNKNOWN):
                os_ = oracle.read(tok, p, c, "sponsor", SPONSOR_FIELDS)
                oh = oracle.read(tok, p, c, "household_member", HOUSEHOLD_FIELDS)
                m.ask("sponsors", t, p, "GET", f"/v1/children/{c}/sponsors",
                      expect=expect_sponsors(c, os_, oh))
            m.ask("list", t, p, "GET", "/v1/children",
                  expect=expect_page([(c, reads[c]) for c in CHILDREN], None, 50))
            for c, anum in list(ANUMBERS.items()) + [(None, UNKNOWN_ANUMBER)]:
                found = [(c, reads[c])] if c else []
                m.ask("search" if c else "search-none", t, p, "POST", "/v1/children/search",
                      body={"a_number": anum}, expect=expect_page(found, reads[UNKNOWN], 16))
            for c in CHILDREN + [UNKNOWN]:
                m.ask("check", t, p, "POST", "/v1/policy/check", body={"subject": c},
                      expect=expect_check(c, reads[c]))


# The routes that are not about one person's record: who may use them
# depends on the token's agency kind and role alone (docs/api.md), and no
# audit record is made. Who accessed a child is decided like a read of it.
OVERSIGHT_AGENCIES = {"HHS-OIG", "DHS-OIG"}


def expect_service(status, check=None):
    def judge(st, h, raw, js):
        if st != status:
            return [f"status {st}, wanted {status}"], []
        if status == 403:
            return check_problem(st, js, 403, "forbidden") + no_values(raw, "a 403"), []
        errs = check(js) if check else []
        return errs + no_values(raw, "a service answer"), []
    return judge


def expect_who(child, o):
    def judge(st, h, raw, js):
        o_ = o.result()
        subj = child if child != UNKNOWN else ""
        if o_["decision"] != "permit":
            return check_forbidden(st, h, js, raw, o_), [("deny", "child", subj, o_)]
        if child == UNKNOWN:
            return check_problem(st, js, 404, "not-found"), None
        if st != 200 or not isinstance(js, dict) or js.get("subject") != child:
            return [f"status {st}, wanted 200 naming {child}"], []
        bad = [r for r in js.get("records", []) if child not in r.get("subjects", [])]
        errs = [f"{len(bad)} records not about {child}"] if bad else []
        return errs + no_values(raw, "who-accessed"), [("permit", "child", child, o_)]
    return judge


def run_service(m, oracle, tokens):
    for tok in TOKENS:
        agency, role = tok
        t = (tokens[tok], f"{agency}/{role}")
        me = {"agency": agency, "role": role}
        m.ask("service", t, None, "GET", "/v1/me", expect=expect_service(
            200, lambda js, me=me: [] if {k: js.get(k) for k in me} == me else [f"me {js}"]))
        m.ask("service", t, None, "GET", "/v1/agreements", expect=expect_service(
            200, lambda js: [] if js.get("agreements") else ["no agreements listed"]))
        m.ask("service", t, None, "GET", "/v1/agreements/court-notification-release",
              expect=expect_service(200))
        m.ask("service", t, None, "GET", "/v1/audit/tree-head", expect=expect_service(200))
        m.ask("service", t, None, "GET", "/v1/audit/proofs/inclusion?seq=0",
              expect=expect_service(200))
        m.ask("service", t, None, "GET", "/v1/audit/proofs/consistency?from=1&to=2",
              expect=expect_service(200))
        oversight = agency in OVERSIGHT_AGENCIES
        m.ask("service", t, None, "GET", "/v1/audit/report",
              expect=expect_service(200 if oversight else 403))
        m.ask("service", t, None, "GET", "/v1/audit/verify", expect=expect_service(
            200 if oversight or role in ("auditor", "administrator") else 403))
        m.ask("service", t, None, "GET", "/v1/tokens",
              expect=expect_service(200 if role == "administrator" else 403))
        for p in PURPOSES:
            for c in ("C0001", UNKNOWN):
                o = oracle.read(tok, p, c, "child", CHILD_FIELDS)
                m.ask("who", t, p, "GET", f"/v1/audit/subjects/{c}?limit=5",
                      expect=expect_who(c, o))


def run_writes(m, oracle, tokens):
    n = 0
    for tok in TOKENS:
        t = (tokens[tok], f"{tok[0]}/{tok[1]}")
        for i, p in enumerate(PURPOSES):
            n += 1
            etype = WRITE_TYPES[tok[1]][i % 2]
            child = ("C0002", "C0003", "C0004", "C0001")[i % 4]
            entity = WRITE_ENTITY[etype]
            o = oracle.check(tok[0], tok[1], p, "write", child, entity, None, tok[0])
            body = write_event(n, etype, child)
            m.ask("write", t, p, "POST", "/v1/events", body=body,
                  expect=expect_write(child, entity, body["id"], etype, o))


def judge_all(tap, m):
    counted = {"2xx": 0, "403": 0, "404": 0}
    for req, expect, (st, h, raw, js) in m.done:
        errs, records = expect(st, h, raw, js)
        rid = h.get("safekeep-request-id", "")
        if not UUID.match(rid):
            errs.append(f"Safekeep-Request-Id {rid!r}")
        req["request_id"] = rid
        req["records"] = records if not errs else None
        req["status"] = st
        key = "2xx" if 200 <= st < 300 else str(st)
        counted[key] = counted.get(key, 0) + 1
        tap.ok(not errs, f"{describe(req)} -> {st}", "\n".join(errs))
    return counted


# ---- no token, no leak ----------------------------------------------------
def run_unauthenticated(server, bad, expires):
    wait = (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds() + 1.1
    if wait > 0:
        time.sleep(wait)
    leaks = []
    for label, token in bad.items():
        for route, method, known, unknown in [
                ("child", "GET", "/v1/children/C0001", "/v1/children/" + UNKNOWN),
                ("sponsors", "GET", "/v1/children/C0003/sponsors", f"/v1/children/{UNKNOWN}/sponsors"),
                ("list", "GET", "/v1/children", "/v1/children"),
                ("search", "POST", {"a_number": ANUMBERS["C0001"]}, {"a_number": UNKNOWN_ANUMBER}),
                ("check", "POST", {"subject": "C0003"}, {"subject": UNKNOWN}),
                ("write", "POST", write_event(9000, "incident", "C0001"),
                 write_event(9001, "incident", UNKNOWN))]:
            pair = []
            for target in (known, unknown):
                path = target if isinstance(target, str) else \
                    {"search": "/v1/children/search", "check": "/v1/policy/check",
                     "write": "/v1/events"}[route]
                body = None if isinstance(target, str) else target
                pair.append(server.request(method, path, token=token, purpose="child_welfare",
                                           body=body))
            leaks.append((label, route, pair))
    return leaks


def scrub(answer):
    st, h, raw, js = answer
    rid = h.get("safekeep-request-id", "")
    hdrs = {k: v for k, v in h.items() if k not in ("date", "safekeep-request-id")}
    return st, hdrs, raw.replace(rid.encode(), b"<request-id>") if rid else raw


def check_leaks(tap, leaks):
    for label, route, (a, b) in leaks:
        errs = []
        for which, (st, h, raw, js) in (("existing", a), ("unknown", b)):
            errs += [f"{which}: {e}" for e in check_problem(st, js, 401, "unauthorized")]
            if not UUID.match(h.get("safekeep-request-id", "")):
                errs.append(f"{which}: no Safekeep-Request-Id")
            errs += [f"{which}: {e}" for e in no_values(raw, "a 401")]
        sa, sb = scrub(a), scrub(b)
        if sa[2] != sb[2]:
            errs.append(f"bodies differ: {sa[2][:300]!r} vs {sb[2][:300]!r}")
        if sa[1] != sb[1]:
            errs.append(f"headers differ: {sa[1]} vs {sb[1]}")
        tap.ok(not errs, f"token {label}: {route} answers the same 401 for an existing and an "
                         f"unknown person", "\n".join(errs))


# ---- the audit log --------------------------------------------------------
def cli_json(db, *args):
    code, out, err = db.cli(*args, check=False)
    if code != 0:
        raise RuntimeError(f"safekeep {' '.join(args)}: exit {code}: {err}")
    return json.loads(out)


def log_file_records(path):
    """The records of an audit log, read in the documented file format
    (src/audit/log_format.h): 'R' u32 len json[len] chain[32] for a record,
    'H' u32 144 head[144] for a signed tree head; seq counts records."""
    with open(path, "rb") as f:
        data = f.read()
    recs, pos = [], 0
    while pos < len(data):
        tag, n = data[pos:pos + 1], int.from_bytes(data[pos + 1:pos + 5], "little")
        if tag == b"R":
            r = json.loads(data[pos + 5:pos + 5 + n])
            r["seq"] = len(recs)
            recs.append(r)
            pos += 5 + n + 32
        elif tag == b"H":
            pos += 5 + n
        else:
            raise RuntimeError(f"audit log: unknown entry at byte {pos}")
    return recs


def check_audit_cli(tap, db, recs, records_before):
    """who-accessed and the report against the log itself: each child's
    records, every denial, the record count."""
    report = cli_json(db, "audit", "report", "--json")
    tap.eq(report["records"], len(recs), "audit report: counts every record of the log")
    tap.ok(all(UUID.match(r.get("request_id", "")) for r in recs[records_before:]),
           "audit: every record of the daemon carries a request id")
    denials = [r for r in recs if r["decision"] == "deny"]
    tap.ok(report["denials"] == denials, f"audit report: lists the {len(denials)} denials as recorded",
           f"{len(report['denials'])} listed")
    for c in CHILDREN + [UNKNOWN]:
        want = [r for r in recs if c in r.get("subjects", [])]
        got = cli_json(db, "audit", "who-accessed", "--json", c)
        tap.ok(got == want, f"audit who-accessed {c}: exactly the {len(want)} records naming it",
               f"{len(got)} listed")


def record_matches(r, want, req):
    decision, entity, subject, o = want
    agency, role = req["label"].split("/")
    rule = o["rule"]
    got = (r.get("decision"), r.get("entity"), r.get("subjects"), r.get("agency"), r.get("role"),
           r.get("purpose"), r.get("fields"), r.get("rule_kind"), r.get("rule_id"),
           r.get("rule_version"), r.get("reason"))
    wanted = (decision, entity, [subject] if subject else [], agency, role, req["purpose"],
              o["fields"] if decision == "permit" else [], rule["kind"], rule.get("id", ""),
              rule.get("version", 0), o["reason"])
    return got == wanted, got, wanted


ROUTES = {"child": "GET /v1/children/{id} route", "sponsors": "GET /v1/children/{id}/sponsors route",
          "list": "GET /v1/children route", "search": "search route (a match)",
          "search-none": "search route (no match: 200 or 403)", "check": "policy check route",
          "who": "who-accessed route", "service": "service routes (no records)",
          "write": "POST /v1/events route"}


def check_audit(tap, db, m, leaks, records_before):
    code, out, err = db.cli("audit", "verify", check=False)
    tap.ok(code == 0 and out.startswith("audit log ok: "), "audit verify: the log verifies",
           f"exit {code}: {out}{err}")
    recs = log_file_records(db.path + ".audit")
    check_audit_cli(tap, db, recs, records_before)
    tap.ok(not any(UNKNOWN in r.get("subjects", []) for r in recs),
           "audit: no record names the unknown id")
    recs = {r["seq"]: r for r in recs[records_before:]}
    by_id = {}
    for r in recs.values():
        by_id.setdefault(r.get("request_id"), []).append(r)
    answered = set()
    for kind in ("child", "sponsors", "list", "search", "search-none", "check", "who", "service",
                 "write"):
        errs, n = [], 0
        for req, _, (st, h, raw, js) in m.done:
            if req["kind"] != kind:
                continue
            answered.add(req["request_id"])
            got = sorted(by_id.get(req["request_id"], []), key=lambda r: r["seq"])
            if req["records"] is None:  # a 404 (no decision to show) or a wrong answer
                if req["status"] == 404 and any(r.get("subjects") for r in got):
                    errs.append(f"{describe(req)}: 404 with a record naming {got[0]['subjects']}")
                continue
            n += 1
            want = sorted(req["records"], key=lambda w: (w[1], w[2]))
            got = sorted(got, key=lambda r: (r.get("entity", ""), (r.get("subjects") or [""])[0]))
            if len(got) != len(want):
                errs.append(f"{describe(req)} -> {req['status']}: {len(got)} audit records "
                            f"({[(r.get('decision'), r.get('entity'), r.get('subjects')) for r in got]}), "
                            f"wanted {[(w[0], w[1], w[2]) for w in want]}")
                continue
            for r, w in zip(got, want):
                same, g, wv = record_matches(r, w, req)
                if not same:
                    errs.append(f"{describe(req)}: record {g} != {wv}")
        tap.ok(not errs, f"audit: each of {n} 2xx/403 answers of the {ROUTES[kind]} has exactly its "
                         f"records under its request id",
               f"{len(errs)} answers wrong\n" + "\n".join(errs[:15]))
    stray = [r for rid, rs in by_id.items() if rid not in answered for r in rs]
    tap.ok(not stray, "audit: every record belongs to an answered request of the matrix",
           "\n".join(str(r) for r in stray[:10]))
    unauth = {a[1].get("safekeep-request-id") for _, _, pair in leaks for a in pair}
    tap.ok(not unauth & set(by_id), "audit: requests without a valid token left no record",
           str(sorted(unauth & set(by_id))[:5]))


if __name__ == "__main__":
    main()
