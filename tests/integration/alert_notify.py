#!/usr/bin/env python3
# alert_notify.py: deadline alerts told to their owners as signed webhooks.
#
# The database holds tests/data/good.jsonl (C0001 released to a sponsor on
# 2023-04-03 and never called, so its 30-day wellness call alert has been
# open, owned by ORR, since 2023-05-03; no notice to appear, an ICE alert)
# and, for C0001, LSP-KIND entered as counsel of record and a hearing. ORR
# and LSP-KIND subscribe to "alert"; EOIR subscribes to hearing_outcome
# events. The daemon sweeps once at start (then hourly). Then:
#   - at start the sweep tells ORR of the open wellness call alert, signed,
#     with the alert's id as `safekeep alerts` shows it; ICE, which has no
#     alert subscription, and LSP-KIND, which owns no open alert, get none;
#   - an EOIR clerk records a failure to appear through the API: ORR and
#     LSP-KIND are each told of the missed hearing within 2 s, under the
#     alert ids "missed_hearing:C0001:<event>:<owner>";
#   - a restarted daemon's sweep finds the same alerts and tells nobody
#     again: every alert arrives exactly once;
#   - each delivery is in the audit log as a disclosure to the owner under
#     the deadline rule (rule_kind "deadline");
#   - `safekeep report tracking` counts the missed hearing as told to ORR
#     by webhook, within 2 s;
#   - a subscription to "alert" needs no agreement (ICE may take its own
#     alerts), while its event types are still checked.
# Python's standard library only; prints TAP.
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliver import Receiver  # noqa: E402
from skhttp import ROOT, Db, Server, Tap, log_file_records  # noqa: E402

# One sweep at start, then none during the test: a notification that comes
# after an event can only have been written by the event's own transaction.
ENV = {"SAFEKEEP_ALERT_SWEEP_S": "3600", "SAFEKEEP_WEBHOOK_BASE_S": "1",
       "SAFEKEEP_WEBHOOK_TIMEOUT_MS": "2000"}
ALERT_KEYS = {"alert_id", "rule", "subject", "anchor_event_id", "due_at"}
EXTRA = [
    {"id": "an-1", "type": "counsel", "occurred_at": "2023-04-10T10:00:00Z", "agency": "EOIR",
     "user": "clerk.1", "subjects": ["C0001"],
     "payload": {"org_id": "LSP-KIND", "action": "entered"}},
    {"id": "an-2", "type": "hearing_scheduled", "occurred_at": "2023-04-11T10:00:00Z",
     "agency": "EOIR", "user": "clerk.1", "subjects": ["C0001"],
     "payload": {"hearing_id": "H-9", "court_id": "EOIR-HOU",
                 "scheduled_for": "2023-06-01T15:00:00Z"}},
]

tap = Tap()


def subscribe(db, agency, purpose, types, rec):
    rc, out, err = db.cli("subscription", "create", "--agency", agency, "--purpose", purpose,
                          "--types", types, "--url", f"http://127.0.0.1:{rec.port}/hook",
                          check=False)
    return rc, out.split(), err


def alerts_of(db):
    return [json.loads(line) for line in db.cli("alerts", "--json")[1].splitlines() if line]


def at_start(db, orr, kind):
    wellness = [a for a in alerts_of(db) if a["rule"] == "wellness_call_30d"
                and a["child"] == "C0001" and a["state"] == "open"]
    tap.eq(len(wellness), 1, "safekeep alerts shows C0001's open wellness call alert")
    want = wellness[0]["id"] if wellness else "?"
    hit = orr.wait(lambda s: s[3] and s[3]["data"].get("alert_id") == want, 3.0)
    tap.ok(hit, "the sweep at start tells ORR of it", want)
    if not hit:
        return
    mid, status, ok, payload = hit[0]
    tap.ok(ok, "signed with ORR's subscription secret")
    tap.eq(payload["type"], "alert.wellness_call_30d", "type alert.<rule>")
    tap.eq(set(payload["data"]), ALERT_KEYS, "data holds ids, the rule and the due time only")
    tap.eq((payload["data"]["rule"], payload["data"]["subject"],
            payload["data"]["anchor_event_id"], payload["data"]["due_at"]),
           ("wellness_call_30d", "C0001", "t-e5", "2023-05-03T10:00:00Z"),
           "rule, child, the release that anchors it, due 30 days after")
    time.sleep(0.5)
    with orr.lock:
        nta = [s for s in orr.seen if s[3] and s[3]["data"].get("rule") == "nta_not_filed"]
    tap.eq(nta, [], "ORR is not told of ICE's alerts")
    with kind.lock:
        tap.eq(len(kind.seen), 0, "LSP-KIND owns no open alert yet: nothing sent")


def missed(srv, db, orr, kind, clerk):
    body = {"id": "an-3", "type": "hearing_outcome",
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5)),
            "subjects": ["C0001"], "payload": {"hearing_id": "H-9", "outcome": "failed_to_appear"}}
    t0 = time.time()
    st, _, _, js = srv.request("POST", "/v1/events", token=clerk, purpose="court_proceedings",
                               body=body)
    tap.ok(st == 201, "an EOIR clerk records a failure to appear", js)
    for rec, owner in ((orr, "ORR"), (kind, "LSP-KIND")):
        want = f"missed_hearing:C0001:an-3:{owner}"
        hit = rec.wait(lambda s: s[3] and s[3]["data"].get("alert_id") == want, 2.0)
        tap.ok(hit, f"{owner} is told of the missed hearing within 2 s",
               f"{time.time() - t0:.2f}s")
        if hit:
            tap.ok(hit[0][2], f"{owner}'s copy is signed with its own secret")
            tap.eq(hit[0][3]["type"], "alert.missed_hearing", "type alert.missed_hearing")
    ids = {a["id"] for a in alerts_of(db)}
    tap.ok({"missed_hearing:C0001:an-3:ORR", "missed_hearing:C0001:an-3:LSP-KIND"} <= ids,
           "the same ids as safekeep alerts")


def through_api(srv, sub_orr, admin, rec):
    st, _, _, js = srv.request("POST", "/v1/subscriptions", token=admin,
                               body={"purpose": "child_welfare", "types": ["alert"],
                                     "url": f"http://127.0.0.1:{rec.port}/other"})
    js = js if isinstance(js, dict) else {}
    tap.eq((st, js.get("types"), js.get("rules")), (201, ["alert"], ["alert=owner"]),
           "POST /v1/subscriptions takes \"alert\" and shows it")
    if st == 201:
        srv.request("DELETE", f"/v1/subscriptions/{js['id']}", token=admin)
    st, _, _, js = srv.request("GET", f"/v1/subscriptions/{sub_orr}/deliveries", token=admin)
    rows = (js or {}).get("deliveries", []) if isinstance(js, dict) else []
    mh = [r for r in rows if r["type"] == "alert.missed_hearing"]
    tap.ok(st == 200 and len(mh) == 1 and mh[0]["alert_id"] == "missed_hearing:C0001:an-3:ORR"
           and mh[0]["event_id"] == "an-3" and mh[0]["state"] == "delivered",
           "the delivery log shows the alert's id, its anchor event, delivered", rows)


def once_each(db, orr, kind):
    srv = Server(db, extra_env=ENV)
    time.sleep(1.5)  # its sweep at start, and any delivery it would cause
    tap.eq(srv.stop(), 0, "a restarted daemon stops cleanly")
    for rec, name in ((orr, "ORR"), (kind, "LSP-KIND")):
        with rec.lock:
            ids = [s[3]["data"]["alert_id"] for s in rec.seen if s[3]]
        tap.ok(ids and len(ids) == len(set(ids)), f"{name}: every alert told exactly once", ids)


def audited(db, sub_orr):
    recs = [r for r in log_file_records(db.path + ".audit") if r.get("rule_kind") == "deadline"]
    orr = [r for r in recs if r["agency"] == "ORR" and r["rule_id"] == "missed_hearing"]
    tap.eq(len(orr), 1, "one audit record of ORR's missed-hearing notification")
    if orr:
        r = orr[0]
        tap.eq((r["user"], r["role"], r["purpose"], r["subjects"], r["decision"]),
               ("webhook", "subscription", "child_welfare", ["C0001"], "permit"),
               "told to ORR's subscription, for child welfare, about C0001")
        tap.ok(sub_orr in r["reason"] and "alert.missed_hearing" in r["reason"],
               "the reason names the subscription and the alert", r["reason"])
    tap.ok({r["agency"] for r in recs} == {"ORR", "LSP-KIND"}, "and none to anyone else")


def tracked(db):
    rep = json.loads(db.cli("report", "tracking", "--json")[1])
    mh = rep["categories"]["missed_hearing"]
    tap.eq((mh["children"], mh["notified"], mh["notified_by_webhook"]), (1, 1, 1),
           "report tracking: the missed hearing was told to ORR by webhook")
    lat = mh["latency_s"] or {}
    tap.ok(0 <= lat.get("max", -1) <= 2, "within 2 s of its recording", lat)
    wn = rep["categories"]["without_nta_after_days"]
    tap.eq((wn["children"], wn["notified"], wn["latency_s"]), (1, 0, None),
           "nobody told ORR of the missing notice to appear (ICE's alert)")
    rep = json.loads(db.cli("report", "tracking", "--json", "--child-welfare-agency",
                            "LSP-KIND")[1])
    tap.eq(rep["categories"]["missed_hearing"]["notified_by_webhook"], 1,
           "counted for counsel of record with --child-welfare-agency")


def creation(db, rec):
    rc, out, _ = subscribe(db, "ICE", "immigration_enforcement", "alert", rec)
    tap.eq(rc, 0, "ICE may subscribe to its own alerts: no agreement is needed")
    if rc == 0:
        rows = json.loads(db.cli("subscription", "list", "--json")[1])
        row = [s for s in rows if s["id"] == out[0]]
        tap.ok(row and row[0]["types"] == ["alert"] or row and row[0]["types"] == "alert",
               "listed with the alert type", row)
        db.cli("subscription", "delete", out[0])
    rc, _, err = subscribe(db, "ICE", "immigration_enforcement", "alert,sponsor_application", rec)
    tap.ok(rc != 0 and "sponsor_application" in err,
           "alert with a type no agreement allows is still refused", err.strip())
    rc, _, err = subscribe(db, "ICE", "immigration_enforcement", "alerts", rec)
    tap.ok(rc != 0 and "alerts" in err, "an unknown name is refused", err.strip())


def main():
    db = Db(jsonl=os.path.join(ROOT, "tests", "data", "good.jsonl"))
    orr, kind, eoir = Receiver(""), Receiver(""), Receiver("")
    try:
        extra = os.path.join(db.dir, "extra.jsonl")
        with open(extra, "w") as f:
            f.write("".join(json.dumps(e) + "\n" for e in EXTRA))
        db.cli("import", extra)
        creation(db, orr)
        rc, out, _ = subscribe(db, "ORR", "child_welfare", "alert", orr)
        sub_orr, orr.secret = out[0], out[1]
        rc, out, _ = subscribe(db, "LSP-KIND", "legal_representation", "alert", kind)
        kind.secret = out[1]
        clerk = db.token("EOIR", "clerk")
        srv = Server(db, extra_env=ENV)
        try:
            at_start(db, orr, kind)
            missed(srv, db, orr, kind, clerk)
            through_api(srv, sub_orr, db.token("ORR", "administrator", user="adm"), orr)
        finally:
            tap.eq(srv.stop(), 0, "SIGTERM stops the daemon cleanly")
        once_each(db, orr, kind)
        audited(db, sub_orr)
        tracked(db)
    finally:
        for r in (orr, kind, eoir):
            r.down()
        db.cleanup()
    tap.done()


if __name__ == "__main__":
    main()
