#!/usr/bin/env python3
# api_notify.py: GET /v1/reports/tracking and GET /v1/alerts.
#
# On a generated population (200 children, two years), the daemon's tracking
# report must equal `safekeep report tracking --json` for the same date and
# nta_days, key for key. The alerts are checked against `safekeep alerts
# --json` at the same clock, which lists every agency's alerts: an ORR token
# must see exactly ORR's, an ICE token exactly ICE's, an HHS-OIG (oversight)
# token all of them and, with owner=, exactly that owner's; the state and
# rule filters and the pages (concatenated, in order, next_offset null on
# the last) must match the oracle too; one alert is acknowledged through
# POST /v1/events first, so that every listed state occurs. Then the daemon is stopped and its
# audit log read: each alert listing must have one record per distinct child
# it listed (a permit disclosing no field, rule kind owner or oversight, the
# declared purpose), and the tracking report, a refused owner filter and the
# bad requests none. Bad parameters are 400 bad-request.
# Python's standard library only; prints TAP.
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from skhttp import Db, Server, Tap, log_file_records  # noqa: E402

PROBLEM = "urn:safekeep:problem:"
CLOCK = "2025-06-01"  # inside the generated two years, so all states occur

tap = Tap()
T = {}
listings = []  # (request id, token name, purpose, [alerts])
silent = []  # request ids that must have no audit record


def cli_json(db, *args):
    return json.loads(db.cli(*args)[1])


def cli_alerts(db, at):
    out = db.cli("alerts", "--json", "--at", at)[1]
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def problem(st, js, status, name):
    return st == status and isinstance(js, dict) and js.get("type") == PROBLEM + name


def tracking(srv, db):
    for at, days in (("2024-06-30", "90"), ("2025-03-15", "0"), ("2025-12-31", "3650"),
                     ("2024-11-05T12:00:00Z", "30")):
        st, hdrs, _, js = srv.request("GET", "/v1/reports/tracking?at=%s&nta_days=%s" % (at, days),
                                      token=T["cm"])
        want = cli_json(db, "report", "tracking", "--json", "--at", at, "--nta-days", days)
        tap.ok(st == 200 and js == want, "tracking at %s, nta_days %s: the CLI's report" % (at, days),
               "got %s %s\nwanted %s" % (st, js, want))
        silent.append(hdrs.get("safekeep-request-id"))
    tap.ok(want["children"] > 0 and any(c["children"] for c in want["categories"].values()),
           "the population has children in some category", str(want))
    # Any token, no purpose: an ICE officer and an oversight auditor alike.
    for name in ("ice", "oig"):
        st, hdrs, _, js = srv.request("GET", "/v1/reports/tracking?at=2025-12-31", token=T[name])
        want = cli_json(db, "report", "tracking", "--json", "--at", "2025-12-31")
        tap.ok(st == 200 and js == want, "tracking for a %s token, default nta_days" % name,
               "got %s %s" % (st, js))
        silent.append(hdrs.get("safekeep-request-id"))
    for q in ("at=2025-1-1", "at=yesterday", "at=0000-00-00", "nta_days=3651", "nta_days=-1",
              "nta_days=1e3", "nta_days=", "nta_days=99999999999999999999999"):
        st, hdrs, _, js = srv.request("GET", "/v1/reports/tracking?" + q, token=T["cm"])
        tap.ok(problem(st, js, 400, "bad-request"), "tracking ?%s: 400 bad-request" % q,
               "got %s %s" % (st, js))
        silent.append(hdrs.get("safekeep-request-id"))


def list_all(srv, token, purpose, query, limit=500):
    """Every page of a listing; returns (alerts, pages ok)."""
    out, offset, ok = [], 0, True
    while True:
        sep = "&" if query else ""
        path = "/v1/alerts?%s%slimit=%d&offset=%d" % (query, sep, limit, offset)
        st, hdrs, _, js = srv.request("GET", path, token=T[token], purpose=purpose)
        if st != 200 or not isinstance(js, dict):
            tap.ok(False, "GET %s: 200" % path, "got %s %s" % (st, js))
            return out, False
        ok = ok and set(js) == {"alerts", "limit", "offset", "next_offset"} and \
            js["limit"] == limit and js["offset"] == offset and len(js["alerts"]) <= limit
        listings.append((hdrs.get("safekeep-request-id"), token, purpose, js["alerts"]))
        out += js["alerts"]
        if js["next_offset"] is None:
            return out, ok and len(js["alerts"]) <= limit
        ok = ok and js["next_offset"] == offset + limit and len(js["alerts"]) == limit
        offset = js["next_offset"]


def acknowledge(srv, db):
    """ORR acknowledges its first open alert, so that every state occurs."""
    first = next(a for a in cli_alerts(db, CLOCK) if a["owner"] == "ORR" and a["state"] == "open"
                 and a["due_at"] < CLOCK + "T00:00:00Z")
    ev = {"id": "notify-ack-1", "type": "alert_acknowledged", "occurred_at": CLOCK + "T00:00:00Z",
          "subjects": [first["child"]], "payload": {"alert_id": first["id"], "note": "on it"}}
    st, _, _, js = srv.request("POST", "/v1/events", token=T["cm"], purpose="child_welfare",
                               body=ev)
    tap.eq(st, 201, "ORR acknowledges one of its open alerts")
    return first["id"]


def alerts(srv, db):
    acked = acknowledge(srv, db)
    every = cli_alerts(db, CLOCK)
    tap.ok([a["id"] for a in every if a["state"] == "acknowledged"] == [acked],
           "the oracle shows the acknowledgement", acked)
    owners = sorted({a["owner"] for a in every})
    tap.ok({"ORR", "ICE"} <= set(owners) and len(owners) >= 3,
           "the oracle has alerts of several owners", str(owners))
    at = "at=" + CLOCK
    for token, agency, purpose in (("cm", "ORR", "child_welfare"),
                                   ("ice", "ICE", "immigration_enforcement")):
        got, ok = list_all(srv, token, purpose, at)
        want = [a for a in every if a["owner"] == agency]
        tap.ok(ok and got == want, "%s token: exactly %s's %d alerts" % (agency, agency, len(want)),
               "got %d, wanted %d" % (len(got), len(want)))
    got, ok = list_all(srv, "oig", "oversight", at)
    tap.ok(ok and got == every, "oversight token: all %d alerts" % len(every),
           "got %d" % len(got))
    for owner in owners:
        got, ok = list_all(srv, "oig", "oversight", at + "&owner=" + owner)
        want = [a for a in every if a["owner"] == owner]
        tap.ok(ok and got == want, "oversight token, owner=%s: its %d alerts" % (owner, len(want)),
               "got %d" % len(got))
    got, ok = list_all(srv, "cm", "child_welfare", at + "&owner=ORR")
    tap.ok(ok and got == [a for a in every if a["owner"] == "ORR"],
           "ORR token, owner=ORR: its own alerts", "got %d" % len(got))
    for state in ("open", "resolved", "acknowledged"):
        for rule in ("wellness_call_30d", "nta_not_filed", "missed_hearing"):
            got, ok = list_all(srv, "oig", "oversight", "%s&state=%s&rule=%s" % (at, state, rule))
            want = [a for a in every if a["state"] == state and a["rule"] == rule]
            tap.ok(ok and got == want, "state=%s&rule=%s: %d alerts" % (state, rule, len(want)),
                   "got %d" % len(got))
    got, ok = list_all(srv, "cm", "child_welfare", at + "&state=acknowledged")
    tap.ok(ok and [a["id"] for a in got] == [acked] and got[0]["acknowledged"]["agency"] == "ORR",
           "state=acknowledged: the acknowledged alert, with who acknowledged it", str(got)[:300])
    got, ok = list_all(srv, "cm", "child_welfare", at, limit=7)
    tap.ok(ok and got == [a for a in every if a["owner"] == "ORR"],
           "pages of 7: in order, none lost or repeated, next_offset null on the last", "")
    got, ok = list_all(srv, "cm", "child_welfare", "at=2000-01-01")
    tap.ok(ok and got == [], "before any event: an empty page", str(got)[:200])


def refusals(srv):
    for token, purpose in (("ice", "immigration_enforcement"), ("cm", "child_welfare")):
        other = "ORR" if token == "ice" else "ICE"
        st, hdrs, _, js = srv.request("GET", "/v1/alerts?owner=" + other, token=T[token],
                                      purpose=purpose)
        tap.ok(problem(st, js, 403, "forbidden") and "reason" not in js,
               "%s token, owner=%s: 403 forbidden (no policy rule)" % (token, other),
               "got %s %s" % (st, js))
        silent.append(hdrs.get("safekeep-request-id"))
    st, hdrs, _, js = srv.request("GET", "/v1/alerts", token=T["cm"])
    tap.ok(problem(st, js, 400, "purpose-required"), "alerts without a purpose: 400",
           "got %s %s" % (st, js))
    silent.append(hdrs.get("safekeep-request-id"))
    for q in ("state=pending", "state=OPEN", "rule=nope", "owner=bad%20id", "owner=",
              "owner=" + "X" * 41, "limit=0", "limit=501", "limit=x", "offset=-1",
              "offset=1000000000001", "at=2025-13-01", "at=soon"):
        st, hdrs, _, js = srv.request("GET", "/v1/alerts?" + q, token=T["oig"],
                                      purpose="oversight")
        tap.ok(problem(st, js, 400, "bad-request"), "alerts ?%s: 400 bad-request" % q,
               "got %s %s" % (st, js))
        silent.append(hdrs.get("safekeep-request-id"))


def audit(db):
    recs = log_file_records(db.path + ".audit")
    by_id = {}
    for r in recs:
        by_id.setdefault(r.get("request_id"), []).append(r)
    agency = {"cm": "ORR", "ice": "ICE", "oig": "HHS-OIG"}
    bad = []
    for rid, token, purpose, page in listings:
        children = []
        for a in page:
            if a["child"] not in children:
                children.append(a["child"])
        got = by_id.get(rid, [])
        kind = "oversight" if token == "oig" else "owner"
        if [r["subjects"] for r in got] != [[c] for c in children]:
            bad.append("%s: subjects %s, wanted %s" % (rid, [r["subjects"] for r in got],
                                                       children))
            continue
        for r in got:
            want = {"agency": agency[token], "purpose": purpose, "action": "read",
                    "entity": "child", "fields": [], "decision": "permit", "rule_kind": kind}
            diff = {k: r.get(k) for k in want if r.get(k) != want[k]}
            if diff:
                bad.append("%s: %s" % (rid, diff))
    tap.ok(listings and not bad,
           "each of %d listings has one permit record per listed child" % len(listings),
           "\n".join(bad[:10]))
    own = [r for rid, t, _, _ in listings if t == "cm" for r in by_id.get(rid, [])]
    tap.ok(own and all(r["reason"] == "alerts owned by ORR" for r in own),
           "an owner's records say whose alerts they were", str(own[:1]))
    leaked = [rid for rid in silent if rid in by_id]
    tap.ok(all(silent) and not leaked,
           "no record for the %d reports, refusals and bad requests" % len(silent),
           "recorded: %s" % leaked[:5])


def main():
    db = Db(generate=200)
    srv = None
    try:
        T["cm"] = db.token("ORR", "case_manager")
        T["ice"] = db.token("ICE", "officer")
        T["oig"] = db.token("HHS-OIG", "auditor")
        srv = Server(db)
        tracking(srv, db)
        alerts(srv, db)
        refusals(srv)
        tap.eq(srv.stop(), 0, "the daemon stops cleanly")
        srv = None
        code, out, err = db.cli("audit", "verify", check=False)
        tap.ok(code == 0, "the audit log verifies", err[:300])
        audit(db)
    finally:
        if srv is not None:
            srv.stop()
        db.cleanup()
    tap.done()


if __name__ == "__main__":
    main()
