#!/usr/bin/env python3
# deliver.py: safekeepd's webhook deliverer, end to end.
#
# A receiver (http.server on 127.0.0.1, a free port, its own thread)
# verifies every webhook's signature with its own implementation of the
# Standard Webhooks convention (hmac, hashlib, base64) and records each
# delivery. The database holds tests/data/good.jsonl (C0001 released to a
# sponsor) and an EOIR subscription to wellness_call for court_proceedings,
# created with the CLI and pointed at the receiver. The daemon runs with a
# one-second back-off. Then, through POST /v1/events (an ORR case manager
# recording a wellness call):
#   - a notification arrives within 2 s, signed, thin (no personal data
#     keys), and the audit log holds the record of that disclosure;
#   - a receiver answering 500 then 200 gets a retry under the same
#     webhook-id, and the row is delivered once;
#   - a batch of 60 events gives 60 notifications, each once, each audited;
#   - a receiver that is down when the event is recorded gets it once up;
#   - a daemon killed (SIGKILL) right after the commit loses nothing: the
#     restarted daemon delivers.
# Python's standard library only; prints TAP.
import base64
import hashlib
import hmac
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from skhttp import ROOT, Db, Server, Tap, log_file_records  # noqa: E402

TOLERANCE = 300
ENV = {"SAFEKEEP_WEBHOOK_BASE_S": "1", "SAFEKEEP_WEBHOOK_CAP_S": "1",
       "SAFEKEEP_WEBHOOK_TIMEOUT_MS": "2000"}
DATA_KEYS = {"event_id", "event_type", "subject", "occurred_at"}

tap = Tap()


def verify(secret, msg_id, ts, sig_header, body):
    """The receiver's check, from the convention's text alone."""
    key = base64.b64decode(secret[len("whsec_"):], validate=True)
    try:
        if abs(time.time() - int(ts)) > TOLERANCE:
            return False
    except ValueError:
        return False
    signed = msg_id.encode() + b"." + ts.encode() + b"." + body
    want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(e.partition(",")[0] == "v1" and hmac.compare_digest(e.partition(",")[2], want)
               for e in sig_header.split(" "))


class Receiver:
    """Records every POST; answers from a script of statuses, then 204."""

    def __init__(self, secret):
        self.secret = secret
        self.lock = threading.Lock()
        self.seen = []  # (webhook-id, status answered, signature ok, payload)
        self.script = []
        self.httpd = None
        self.port = 0
        self.up()

    def up(self):
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                mid = self.headers.get("webhook-id", "")
                ok = verify(rec.secret, mid, self.headers.get("webhook-timestamp", ""),
                            self.headers.get("webhook-signature", ""), body)
                with rec.lock:
                    status = rec.script.pop(0) if rec.script else 204
                    try:
                        payload = json.loads(body)
                    except ValueError:
                        payload = None
                    rec.seen.append((mid, status, ok, payload))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def down(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def wait(self, pred, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                hit = [s for s in self.seen if pred(s)]
            if hit:
                return hit
            time.sleep(0.01)
        return []


def event(n, child="C0001"):
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    return {"id": f"dlv-{n}", "type": "wellness_call", "occurred_at": at, "subjects": [child],
            "payload": {"reached": True, "attempt": 1}}


def post(srv, token, n):
    st, _, _, js = srv.request("POST", "/v1/events", token=token, purpose="child_welfare",
                               body=event(n))
    return st, js


def outbox(db):
    return {r["event_id"]: r for r in json.loads(db.cli("outbox", "--json")[1])}


def first_delivery(srv, db, rec, cm, sub_id):
    t0 = time.time()
    st, _ = post(srv, cm, 1)
    tap.eq(st, 201, "ORR records a wellness call for a released child")
    hit = rec.wait(lambda s: s[3] and s[3].get("data", {}).get("event_id") == "dlv-1", 2.0)
    tap.ok(hit, "the receiver has the notification within 2 s", f"{time.time() - t0:.2f}s")
    if not hit:
        tap.ok(False, "server log", srv.log_text())
        return None
    mid, status, ok, payload = hit[0]
    tap.ok(ok, "its signature verifies under the subscription's secret")
    tap.ok(mid.startswith("msg_") and len(mid) == 36, "the webhook-id is the outbox id", mid)
    tap.eq(sorted(payload), ["data", "timestamp", "type"], "the payload is type/timestamp/data")
    tap.eq(payload["type"], "wellness_call", "type is the event type")
    tap.eq(set(payload["data"]), DATA_KEYS, "data holds ids, type and time only")
    tap.eq(payload["data"]["subject"], "C0001", "the subject is the child's id")
    time.sleep(0.3)
    row = outbox(db).get("dlv-1", {})
    tap.eq((row.get("state"), row.get("attempts"), row.get("last_status")), ("delivered", 1, 204),
           "the outbox row is delivered after one attempt")
    tap.ok("latency_ms" in row, "safekeep outbox shows the latency", row)
    recs = [r for r in log_file_records(db.path + ".audit") if r.get("request_id") == mid]
    tap.eq(len(recs), 1, "the audit log holds the record of the delivery")
    if recs:
        r = recs[0]
        tap.eq((r["agency"], r["user"], r["role"], r["purpose"], r["action"], r["entity"]),
               ("EOIR", "webhook", "subscription", "court_proceedings", "read", "child"),
               "who, for what, what")
        tap.eq((r["subjects"], r["fields"], r["decision"], r["rule_kind"], r["rule_id"]),
               (["C0001"], [] if isinstance(r["fields"], list) else 0, "permit", "subscription",
                sub_id), "subject, no fields, permit under the subscription")
        tap.ok(sub_id in r["reason"] and "EOIR" in r["reason"], "the reason names both",
               r["reason"])
    return mid


def retried(srv, db, rec, cm):
    with rec.lock:
        rec.script = [500]
    post(srv, cm, 2)
    hit = rec.wait(lambda s: s[3] and s[3]["data"]["event_id"] == "dlv-2" and s[1] == 204, 6.0)
    with rec.lock:
        tries = [s for s in rec.seen if s[3] and s[3]["data"]["event_id"] == "dlv-2"]
    tap.ok(hit, "a 500 is retried and then delivered", tries)
    tap.eq([s[1] for s in tries], [500, 204], "two attempts: 500, then 204")
    tap.ok(len({s[0] for s in tries}) == 1 and all(s[2] for s in tries),
           "both under the same webhook-id, both signed")
    time.sleep(0.3)
    row = outbox(db).get("dlv-2", {})
    tap.eq((row.get("state"), row.get("attempts"), row.get("last_status")), ("delivered", 2, 204),
           "the row is delivered after two attempts")


def many(srv, db, rec, cm):
    evs = [event(100 + i) for i in range(60)]
    st, _, _, js = srv.request("POST", "/v1/events/batch", token=cm, purpose="child_welfare",
                               body={"events": evs})
    tap.eq(st, 201, "a batch of 60 wellness calls is committed")
    want = {e["id"] for e in evs}
    deadline = time.time() + 5
    while time.time() < deadline:
        with rec.lock:
            got = [s for s in rec.seen if s[3] and s[3]["data"]["event_id"] in want]
        if len({s[3]["data"]["event_id"] for s in got}) == len(want):
            break
        time.sleep(0.05)
    tap.eq(len({s[3]["data"]["event_id"] for s in got}), 60, "all 60 notifications arrive")
    tap.eq(len(got), 60, "each exactly once")
    tap.ok(all(s[2] for s in got), "every one signed")
    time.sleep(0.3)
    rows = outbox(db)
    tap.eq(sorted({rows[i]["state"] for i in want if i in rows}), ["delivered"],
           "and every row is delivered")
    ids = {s[0] for s in got}
    recs = [r for r in log_file_records(db.path + ".audit") if r.get("request_id") in ids]
    tap.eq(len(recs), 60, "one audit record per notification")


def receiver_down(srv, db, rec, cm):
    rec.down()
    post(srv, cm, 3)
    time.sleep(1.5)
    tap.eq(outbox(db).get("dlv-3", {}).get("state"), "pending", "receiver down: the row waits")
    rec.up()
    hit = rec.wait(lambda s: s[3] and s[3]["data"]["event_id"] == "dlv-3", 5.0)
    tap.ok(hit and hit[0][2], "once up, the receiver gets it, signed")


def killed(db, rec, cm):
    rec.down()
    srv = Server(db, extra_env=ENV)
    st, _ = post(srv, cm, 4)
    srv.stop(sig=signal.SIGKILL)
    tap.eq(st, 201, "an event is committed, then the daemon is killed")
    tap.eq(outbox(db).get("dlv-4", {}).get("state"), "pending", "the row survived the kill")
    rec.up()
    srv = Server(db, extra_env=ENV)
    hit = rec.wait(lambda s: s[3] and s[3]["data"]["event_id"] == "dlv-4", 5.0)
    tap.ok(hit and hit[0][2], "the restarted daemon delivers it: nothing lost")
    time.sleep(0.3)
    tap.eq(outbox(db).get("dlv-4", {}).get("state"), "delivered", "and marks it delivered")
    tap.eq(srv.stop(), 0, "SIGTERM stops the daemon cleanly")


def main():
    db = Db(jsonl=os.path.join(ROOT, "tests", "data", "good.jsonl"))
    rec = Receiver("")
    try:
        out = db.cli("subscription", "create", "--agency", "EOIR", "--purpose",
                     "court_proceedings", "--types", "wellness_call", "--url",
                     f"http://127.0.0.1:{rec.port}/hook")[1].split()
        sub_id, rec.secret = out[0], out[1]
        cm = db.token("ORR", "case_manager")
        srv = Server(db, extra_env=ENV)
        try:
            first_delivery(srv, db, rec, cm, sub_id)
            retried(srv, db, rec, cm)
            many(srv, db, rec, cm)
            receiver_down(srv, db, rec, cm)
        finally:
            tap.eq(srv.stop(), 0, "SIGTERM stops the daemon cleanly")
        killed(db, rec, cm)
    finally:
        db.cleanup()
    tap.done()


if __name__ == "__main__":
    main()
