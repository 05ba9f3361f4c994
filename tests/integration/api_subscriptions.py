#!/usr/bin/env python3
# api_subscriptions.py: webhook subscriptions over the API.
#
# Runs the daemon on tests/data/good.jsonl and drives /v1/subscriptions:
# a creation the policy refuses (ICE, sponsor_application, for
# immigration_enforcement: the appropriations constraint) is a 403 whose
# reason names the constraint and creates nothing; accepted ones are 201
# with the signing secret, which no other answer ever shows; list, pause,
# resume and delete with their 409s; another agency's id answers exactly
# like an unknown one (404); only the administrator role may change
# anything (403), while any role of the agency may look. Finally an event
# recorded through POST /v1/events that matches EOIR's subscription shows up
# in that subscription's deliveries, by ids only. Python's standard library
# only; prints TAP.
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from skhttp import ROOT, Db, Server, Tap  # noqa: E402

PROBLEM = "urn:safekeep:problem:"
URL = "http://127.0.0.1:9/hooks/safekeep"  # nothing listens: a delivery would be retried
SUB_KEYS = {"id", "agency", "purpose", "types", "url", "state", "rules", "created_by",
            "created_at", "updated_at"}
DELIVERY_KEYS = {"id", "event_id", "type", "alert_id", "subject", "state", "attempts", "last_status",
                 "last_error", "occurred_at", "created_at", "next_attempt_at"}

tap = Tap()


def expect(srv, method, path, want, ptype=None, token=None, body=None, label=None):
    """One request; checks the status and problem type exactly."""
    st, _, raw, js = srv.request(method, path, token=token, body=body)
    got_type = js.get("type") if isinstance(js, dict) else None
    ok = st == want and (ptype is None or got_type == PROBLEM + ptype)
    tap.ok(ok, "%s %s -> %d%s" % (method, label or path, want, " " + ptype if ptype else ""),
           "got %d %r: %s" % (st, got_type, raw[:300]))
    return js if isinstance(js, dict) else {}


def refused(srv, t):
    js = expect(srv, "POST", "/v1/subscriptions", 403, "forbidden", token=t["ice_admin"],
                body={"purpose": "immigration_enforcement", "types": ["sponsor_application"],
                      "url": URL}, label="/v1/subscriptions (ICE sponsor_application)")
    tap.ok("approps-2019-s224-sponsors" in js.get("reason", ""),
           "the refusal's reason names the appropriations constraint", str(js)[:300])
    tap.ok("secret" not in js and "whsec_" not in str(js), "a refusal shows no secret",
           str(js)[:300])
    js = expect(srv, "GET", "/v1/subscriptions", 200, token=t["ice_admin"], label="(ICE)")
    tap.eq(js.get("subscriptions"), [], "the refused subscription was not created")
    js = expect(srv, "POST", "/v1/subscriptions", 403, "forbidden", token=t["orr_admin"],
                body={"purpose": "emergency", "types": ["wellness_call"], "url": URL},
                label="/v1/subscriptions (emergency)")
    tap.ok("reason" in js, "an emergency subscription is refused with a reason", str(js)[:300])


def invalid(srv, t):
    good = {"purpose": "child_welfare", "types": ["hearing_outcome"], "url": URL}
    for body, pointer in ((dict(good, url="https://u:p@orr.example/"), "/url"),
                          (dict(good, url="ftp://orr.example/"), "/url"),
                          (dict(good, types=["hearing_maybe"]), "/types/0"),
                          (dict(good, types=["hearing_outcome", "policy_adopted"]), "/types/1"),
                          (dict(good, types=[]), "/types"),
                          (dict(good, types="hearing_outcome"), "/types"),
                          (dict(good, purpose="curiosity"), "/purpose"),
                          ({"types": ["hearing_outcome"], "url": URL}, "/purpose"),
                          ({"purpose": "child_welfare", "url": URL}, "/types"),
                          ({"purpose": "child_welfare", "types": ["hearing_outcome"]}, "/url"),
                          (dict(good, agency="ICE"), "/agency")):
        js = expect(srv, "POST", "/v1/subscriptions", 422, "unprocessable", token=t["orr_admin"],
                    body=body, label="/v1/subscriptions %s" % pointer)
        got = [e.get("pointer") for e in js.get("errors", [])]
        tap.eq(got, [pointer], "the 422 points at %s" % pointer)
    expect(srv, "POST", "/v1/subscriptions", 400, "invalid-json", token=t["orr_admin"],
           body="[1,", label="/v1/subscriptions (bad JSON)")


def create(srv, t, token, body, who):
    st, _, raw, js = srv.request("POST", "/v1/subscriptions", token=token, body=body)
    js = js if isinstance(js, dict) else {}
    tap.eq(st, 201, "%s's subscription is created" % who)
    tap.eq(set(js), SUB_KEYS | {"secret"}, "the 201 has exactly the documented keys")
    tap.ok(re.fullmatch(r"sub_[0-9a-f]{16}", js.get("id", "")) is not None,
           "the id is sub_ + 16 hex digits", str(js.get("id")))
    tap.ok(re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", js.get("secret", "")) is not None,
           "the secret is whsec_ + base64 of 32 bytes", "")
    tap.eq((js.get("agency"), js.get("state"), js.get("types")),
           (who, "active", body["types"]), "it is the caller's agency's, active, with its types")
    return js


def lifecycle(srv, t, orr):
    sid, secret = orr["id"], orr["secret"]
    seen = []

    def look(method, path, want, ptype=None, token=None, label=None):
        st, _, raw, js = srv.request(method, path, token=token)
        seen.append(raw)
        got_type = js.get("type") if isinstance(js, dict) else None
        tap.ok(st == want and (ptype is None or got_type == PROBLEM + ptype),
               "%s %s -> %d%s" % (method, label or path, want, " " + ptype if ptype else ""),
               "got %d %r: %s" % (st, got_type, raw[:300]))
        return js if isinstance(js, dict) else {}

    js = look("GET", "/v1/subscriptions", 200, token=t["orr_cm"], label="(ORR case manager)")
    subs = js.get("subscriptions", [])
    tap.eq([s.get("id") for s in subs], [sid], "ORR lists its own subscription only")
    tap.ok(subs and set(subs[0]) == SUB_KEYS, "a listed subscription has exactly the keys",
           str(subs)[:300])
    js = look("GET", "/v1/subscriptions", 200, token=t["eoir_admin"], label="(EOIR)")
    tap.ok(sid not in str(js), "EOIR does not see ORR's subscription", str(js)[:300])

    base = "/v1/subscriptions/" + sid
    look("POST", base + "/pause", 403, "forbidden", token=t["orr_cm"], label="pause (non-admin)")
    look("POST", base + "/resume", 403, "forbidden", token=t["orr_cm"], label="resume (non-admin)")
    look("DELETE", base, 403, "forbidden", token=t["orr_cm"], label="delete (non-admin)")
    for method, path in (("POST", base + "/pause"), ("POST", base + "/resume"),
                         ("DELETE", base), ("GET", base + "/deliveries")):
        look(method, path, 404, "not-found", token=t["eoir_admin"],
             label="%s (another agency's)" % path.replace(sid, "{id}"))
    for method, path in (("POST", "/v1/subscriptions/sub_0000000000000000/pause"),
                         ("DELETE", "/v1/subscriptions/sub_0000000000000000"),
                         ("GET", "/v1/subscriptions/sub_0000000000000000/deliveries")):
        look(method, path, 404, "not-found", token=t["orr_admin"], label=path + " (unknown)")

    look("POST", base + "/resume", 409, "conflict", token=t["orr_admin"], label="resume (active)")
    js = look("POST", base + "/pause", 200, token=t["orr_admin"], label="pause")
    tap.eq((set(js), js.get("state")), (SUB_KEYS, "paused"), "pause answers the paused one")
    look("POST", base + "/pause", 409, "conflict", token=t["orr_admin"], label="pause (paused)")
    js = look("POST", base + "/resume", 200, token=t["orr_admin"], label="resume")
    tap.eq(js.get("state"), "active", "resume makes it active again")
    js = look("DELETE", base, 200, token=t["orr_admin"], label="delete")
    tap.eq(js.get("state"), "deleted", "delete answers the deleted one")
    look("DELETE", base, 409, "conflict", token=t["orr_admin"], label="delete (deleted)")
    look("POST", base + "/resume", 409, "conflict", token=t["orr_admin"], label="resume (deleted)")
    js = look("GET", "/v1/subscriptions", 200, token=t["orr_admin"], label="(after delete)")
    tap.eq([(s.get("id"), s.get("state")) for s in js.get("subscriptions", [])],
           [(sid, "deleted")], "the deleted subscription stays listed, deleted")
    look("GET", base + "/deliveries", 200, token=t["orr_cm"], label="deliveries (ORR)")
    tap.ok(all(secret.encode() not in raw and b"whsec_" not in raw for raw in seen),
           "no answer but the 201 shows the secret", "")


def deliveries(srv, t, eoir):
    path = "/v1/subscriptions/%s/deliveries" % eoir["id"]
    js = expect(srv, "GET", path, 200, token=t["eoir_admin"], label="deliveries (none yet)")
    tap.eq((js.get("deliveries"), js.get("next_offset")), ([], None), "no notification yet")
    ev = {"id": "as-w1", "type": "wellness_call", "occurred_at": "2024-03-01T10:00:00Z",
          "subjects": ["C0001"], "payload": {"reached": True}}
    st, _, raw, _ = srv.request("POST", "/v1/events", token=t["orr_cm"], purpose="child_welfare",
                                body=ev)
    tap.eq(st, 201, "ORR records a wellness call of C0001 (released)")
    js = expect(srv, "GET", path, 200, token=t["eoir_cm"], label="deliveries (EOIR clerk)")
    rows = js.get("deliveries", [])
    tap.eq([(r.get("event_id"), r.get("type"), r.get("subject")) for r in rows],
           [("as-w1", "wellness_call", "C0001")], "the event became one notification")
    tap.ok(rows and set(rows[0]) == DELIVERY_KEYS, "a delivery has exactly the documented keys",
           str(rows)[:300])
    tap.ok(rows and rows[0].get("state") in ("pending", "delivered") and
           re.fullmatch(r"msg_[0-9a-f]{32}", rows[0].get("id", "")),
           "it is pending (or delivered) under a msg_ id", str(rows)[:300])
    js = expect(srv, "GET", path + "?limit=1&offset=1", 200, token=t["eoir_admin"],
                label="deliveries ?offset=1")
    tap.eq(js.get("deliveries"), [], "the second page is empty")
    expect(srv, "GET", path + "?limit=0", 400, "bad-request", token=t["eoir_admin"],
           label="deliveries ?limit=0")
    expect(srv, "GET", path + "?offset=-1", 400, "bad-request", token=t["eoir_admin"],
           label="deliveries ?offset=-1")


def rescinded(srv, db, t, eoir):
    """Delivery stops when the agreement ends: rescinded with the CLI and
    reloaded by the running daemon (SIGHUP), the next wellness call makes
    no notification, while the one made before stays."""
    path = "/v1/subscriptions/%s/deliveries" % eoir["id"]
    today = time.strftime("%Y-%m-%d", time.gmtime())
    db.cli("agreement", "rescind", "court-notification-release", "--on", today)
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline and "policy reloaded" not in srv.log_text():
        time.sleep(0.05)
    tap.ok("policy reloaded" in srv.log_text(), "the daemon reloaded the policy", "")
    ev = {"id": "as-w2", "type": "wellness_call", "occurred_at": "2024-03-02T10:00:00Z",
          "subjects": ["C0001"], "payload": {"reached": True}}
    st, _, _, _ = srv.request("POST", "/v1/events", token=t["orr_cm"], purpose="child_welfare",
                              body=ev)
    tap.eq(st, 201, "ORR records another wellness call of C0001")
    js = expect(srv, "GET", path, 200, token=t["eoir_admin"], label="deliveries (after rescind)")
    tap.eq([r.get("event_id") for r in js.get("deliveries", [])], ["as-w1"],
           "after the agreement is rescinded the new event makes no notification")


def main():
    db = Db(jsonl=os.path.join(ROOT, "tests", "data", "good.jsonl"))
    srv = None
    try:
        t = {"orr_admin": db.token("ORR", "administrator"),
             "orr_cm": db.token("ORR", "case_manager"),
             "ice_admin": db.token("ICE", "administrator"),
             "eoir_admin": db.token("EOIR", "administrator"),
             "eoir_cm": db.token("EOIR", "clerk")}
        srv = Server(db)
        refused(srv, t)
        invalid(srv, t)
        expect(srv, "POST", "/v1/subscriptions", 403, "forbidden", token=t["orr_cm"],
               body={"purpose": "child_welfare", "types": ["hearing_outcome"], "url": URL},
               label="/v1/subscriptions (non-admin)")
        orr = create(srv, t, t["orr_admin"],
                     {"purpose": "child_welfare", "types": ["hearing_scheduled", "hearing_outcome"],
                      "url": URL}, "ORR")
        eoir = create(srv, t, t["eoir_admin"],
                      {"purpose": "court_proceedings", "types": ["wellness_call"], "url": URL},
                      "EOIR")
        lifecycle(srv, t, orr)
        deliveries(srv, t, eoir)
        rescinded(srv, db, t, eoir)
        srv.stop()
        srv = None
    finally:
        if srv is not None:
            srv.stop()
        db.cleanup()
    tap.done()


if __name__ == "__main__":
    main()
