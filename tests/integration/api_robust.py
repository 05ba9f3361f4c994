# SPDX-License-Identifier: Apache-2.0
#
# api_robust.py: the daemon against hostile or careless clients. Drives the
# real `safekeep serve` (tests/lib/skhttp.py) and asserts exact outcomes:
# malformed and oversized bodies, wrong types, unknown keys, bad paging and
# filters, odd paths and methods, slow and stalled clients, oversized
# headers, missing purposes, an audit log that refuses writes (no audit, no
# data), the per-token rate limit, /metrics, /openapi.json, and a clean
# shutdown on SIGTERM and SIGINT with requests in flight. Every /v1 answer
# must carry Cache-Control: no-store and a Safekeep-Request-Id. Prints TAP;
# run by tests/run.sh with SK_BIN set. Python's standard library only.
import http.client
import json
import os
import re
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from skhttp import ROOT, Db, Server, Tap, audit_records  # noqa: E402

GOOD = os.path.join(ROOT, "tests", "data", "good.jsonl")
BODY_MAX = 4096
TIMEOUT_S = 2
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CW = "child_welfare"

t = Tap()
seen_v1 = []  # (method, path, status, headers) of every /v1 answer

# Known server bugs these checks catch; the note goes with the failure.
BUGS = {
    "/v1/children/C0001%00x":
        "SERVER BUG: the decoded path is cut at the NUL, so the id 'C0001<NUL>x' reads C0001 "
        "(api.md: an id outside [A-Za-z0-9._:-]{1,40} is a 404)",
    "/v1/children/C0001%2fsponsors":
        "SERVER BUG: %2F is decoded before routing, so an id holding a slash reaches another route "
        "(api.md: an id outside [A-Za-z0-9._:-]{1,40} is a 404)",
    "search-unknown-key":
        "SERVER BUG: POST /v1/children/search names /a_number, not the unknown key, in errors[0].pointer",
}


def urn(name):
    return "urn:safekeep:problem:" + name


def req(srv, method, path, **kw):
    """Server.request, remembering every /v1 answer for the header checks."""
    st, h, raw, j = srv.request(method, path, **kw)
    if path.startswith("/v1"):
        seen_v1.append((method, path, st, h))
    return st, h, raw, j


def problem_ok(st, h, j, status, name, extra=()):
    """'' when the answer is exactly the problem wanted, else what differs."""
    if st != status:
        return f"status {st}, wanted {status}"
    if not h.get("content-type", "").startswith("application/problem+json"):
        return f"content-type {h.get('content-type')!r}"
    if not isinstance(j, dict):
        return "body is not a JSON object"
    if j.get("type") != urn(name) or j.get("status") != status:
        return f"type {j.get('type')!r} status {j.get('status')!r}, wanted {urn(name)!r} {status}"
    if set(j) != PROBLEM_KEYS | set(extra):
        return f"keys {sorted(j)}, wanted {sorted(PROBLEM_KEYS | set(extra))}"
    return ""


def check_problem(srv, name, method, path, status, ptype, pointer=None, bug="", **kw):
    """One check: the request gets exactly that problem (and pointer)."""
    st, h, raw, j = req(srv, method, path, **kw)
    why = problem_ok(st, h, j, status, ptype, ("errors",) if pointer is not None else ())
    if not why and pointer is not None:
        errs = j.get("errors")
        got = errs[0].get("pointer") if isinstance(errs, list) and errs and isinstance(errs[0], dict) else None
        if got != pointer:
            why = f"errors[0].pointer {got!r}, wanted {pointer!r}"
    t.ok(not why, name, f"{bug + chr(10) if bug else ''}{method} {path}: {why}\n{raw[:300]!r}")
    return st, h, raw, j


def metrics_text(srv):
    st, h, raw, _ = srv.request("GET", "/metrics")
    return st, h, raw.decode("utf-8", "replace")


def settled_metrics(srv, ready, timeout_s=10):
    """/metrics once ready(text) holds. A request is counted only after its
    answer has left, so the client may ask before its last request shows;
    once it shows, a short pause lets every earlier observation land too."""
    deadline = time.time() + timeout_s
    st, h, text = metrics_text(srv)
    while not ready(text) and time.time() < deadline:
        time.sleep(0.05)
        st, h, text = metrics_text(srv)
    time.sleep(0.1)
    return metrics_text(srv)


def metric(text, name, labels=None):
    """The value of one sample, or None."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if got == (labels or {}):
            return float(m.group(3))
    return None


def samples(text, name):
    """[(labels dict, value)] of every sample of one metric, in order."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", line)
        if m and m.group(1) == name:
            out.append((dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")), float(m.group(3))))
    return out


def histogram_problem(text, base):
    """'' when base is a well-formed cumulative histogram, else what is wrong."""
    buckets = samples(text, base + "_bucket")
    count = metric(text, base + "_count")
    total = metric(text, base + "_sum")
    if not buckets or count is None or total is None:
        return f"{base}: missing _bucket, _sum or _count"
    if buckets[-1][0].get("le") != "+Inf":
        return f"{base}: last bucket is not +Inf"
    les = [float(b[0]["le"]) for b in buckets[:-1]]
    if les != sorted(les) or len(set(les)) != len(les):
        return f"{base}: bucket bounds not increasing: {les}"
    vals = [b[1] for b in buckets]
    if any(a > b for a, b in zip(vals, vals[1:])):
        return f"{base}: buckets not cumulative: {vals}"
    if vals[-1] != count:
        return f"{base}: +Inf {vals[-1]} != _count {count}"
    return ""


def timeline(srv, token):
    st, _, _, j = req(srv, "GET", "/v1/children/C0002", token=token, purpose=CW)
    return j["child"]["timeline"] if st == 200 and j else None


def token_ids(srv, admin):
    st, _, _, j = req(srv, "GET", "/v1/tokens", token=admin)
    return sorted(x["id"] for x in j["tokens"]) if st == 200 and j else None


def incident(eid, child="C0002"):
    return {"id": eid, "type": "incident", "occurred_at": "2023-06-02T10:00:00Z",
            "subjects": [child], "payload": {"category": "medical"}}


# ---------------------------------------------------------------------------
# 1. bad input on every route that takes a body

def bad_input(srv, orr, admin):
    ev = incident("rb-1")
    routes = [
        ("/v1/events", orr, CW, ev),
        ("/v1/events/batch", orr, CW, {"events": [ev]}),
        ("/v1/children/search", orr, CW, {"a_number": "012345678"}),
        ("/v1/policy/check", orr, CW, {"subject": "C0001"}),
        ("/v1/tokens", admin, None, {"user": "u9", "role": "case_manager"}),
    ]
    # A value of the right shape with one invalid UTF-8 byte in a string.
    bad_utf8 = {
        "/v1/events": b'{"id":"rb-\xff","type":"incident","occurred_at":"2023-06-02T10:00:00Z",'
                      b'"subjects":["C0002"],"payload":{"category":"medical"}}',
        "/v1/events/batch": b'{"events":[{"id":"rb-\xc0\xaf","type":"incident","occurred_at":'
                            b'"2023-06-02T10:00:00Z","subjects":["C0002"],"payload":{"category":"medical"}}]}',
        "/v1/children/search": b'{"a_number":"0123\xff5678"}',
        "/v1/policy/check": b'{"subject":"C00\xfe1"}',
        "/v1/tokens": b'{"user":"u\xed\xa0\x80","role":"case_manager"}',
    }
    wrong = {
        "/v1/events": [
            ("id a number", dict(ev, id=5), "/id"),
            ("subjects a string", dict(ev, subjects="C0002"), "/subjects"),
            ("payload value of the wrong type", dict(ev, payload={"category": 5}), "/payload/category"),
            ("unknown key", dict(ev, zzz=1), "/zzz"),
            ("seq given", dict(ev, seq=3), "/seq"),
        ],
        "/v1/events/batch": [
            ("events a string", {"events": "x"}, "/events"),
            ("second event's occurred_at a number",
             {"events": [ev, dict(incident("rb-2"), occurred_at=5)]}, "/events/1/occurred_at"),
            ("unknown key beside events", {"events": [ev], "extra": 1}, "/extra"),
            ("unknown key in an event", {"events": [ev, dict(incident("rb-2"), zzz=1)]}, "/events/1/zzz"),
        ],
        "/v1/children/search": [
            ("a_number a number", {"a_number": 5}, "/a_number"),
            ("unknown key beside a_number", {"a_number": "012345678", "x": 1}, "/x"),
        ],
        "/v1/policy/check": [
            ("subject a number", {"subject": 5}, "/subject"),
            ("action a number", {"subject": "C0001", "action": 7}, "/action"),
            ("fields with a number", {"subject": "C0001", "fields": ["dob", 3]}, "/fields/1"),
            ("unknown key (escaped)", {"subject": "C0001", "a/b~c": 1}, "/a~1b~0c"),
        ],
        "/v1/tokens": [
            ("user a number", {"user": 5, "role": "case_manager"}, "/user"),
            ("role an array", {"user": "u9", "role": ["x"]}, "/role"),
            ("expires_at a number", {"user": "u9", "role": "case_manager", "expires_at": 5}, "/expires_at"),
            ("unknown key", {"user": "u9", "role": "case_manager", "x": 1}, "/x"),
        ],
    }
    before_tl = timeline(srv, orr)
    before_tokens = token_ids(srv, admin)
    t.ok(before_tl is not None and len(before_tl) == 3, "C0002's timeline is readable (3 events)",
         repr(before_tl)[:300])

    def unchanged(what):
        st = srv.request("GET", "/healthz")[0]
        tl, toks = timeline(srv, orr), token_ids(srv, admin)
        t.ok(st == 200 and tl == before_tl and toks == before_tokens,
             f"after {what}: /healthz 200, nothing written",
             f"healthz {st}; timeline {len(tl or [])} events (was {len(before_tl)}); "
             f"tokens {toks} (was {before_tokens})")

    for path, tok, purpose, good in routes:
        short = path[len("/v1/"):]
        cases = [
            ("malformed JSON", b'{"a":', "application/json", 400, "invalid-json"),
            ("empty body", b"", "application/json", 400, "invalid-json"),
            ("a JSON array", b"[]", "application/json", 400, "invalid-json"),
            ("invalid UTF-8 in a string", bad_utf8[path], "application/json", 400, "invalid-json"),
            ("a duplicate key", b'{"x":1,"x":2}', "application/json", 400, "invalid-json"),
            ("Content-Type text/plain", json.dumps(good).encode(), "text/plain", 415,
             "unsupported-media-type"),
            ("no Content-Type", json.dumps(good).encode(), None, 415, "unsupported-media-type"),
            ("Content-Type application/jsonx", json.dumps(good).encode(), "application/jsonx", 415,
             "unsupported-media-type"),
        ]
        for what, body, ctype, status, ptype in cases:
            check_problem(srv, f"{short}: {what} -> {status} {ptype}", "POST", path, status, ptype,
                          token=tok, purpose=purpose, body=body, content_type=ctype)
            unchanged(f"{short}: {what}")
        for what, body, pointer in wrong[path]:
            bug = BUGS["search-unknown-key"] if short == "children/search" and pointer == "/x" else ""
            check_problem(srv, f"{short}: {what} -> 422 at {pointer}", "POST", path, 422,
                          "unprocessable", pointer=pointer, bug=bug, token=tok, purpose=purpose, body=body)
            unchanged(f"{short}: {what}")
        # Over body_bytes_max, announced by Content-Length and chunked.
        big = json.dumps(good).encode()
        big = big[:-1] + b" " * (BODY_MAX + 1 - len(big)) + b"}"
        check_problem(srv, f"{short}: {len(big)}-byte body (Content-Length) -> 413", "POST", path,
                      413, "payload-too-large", token=tok, purpose=purpose, body=big)
        unchanged(f"{short}: oversized body")
        chunked_413(srv, short, path, tok, purpose, big)
        unchanged(f"{short}: oversized chunked body")

    # A batch whose second event collides with a stored id writes neither.
    check_problem(srv, "events/batch: second event a duplicate id -> 409 conflict", "POST",
                  "/v1/events/batch", 409, "conflict", token=orr, purpose=CW,
                  body={"events": [incident("rb-1"), dict(incident("rb-x"), id="t-e8")]})
    unchanged("a batch with a duplicate id")

    # The good requests go through afterwards: the refusals above wrote nothing
    # (a written rb-1 would now be a 409), and exactly BODY_MAX bytes is fine.
    body = json.dumps(ev).encode()
    body = body[:-1] + b" " * (BODY_MAX - len(body)) + b"}"
    st, _, raw, j = req(srv, "POST", "/v1/events", token=orr, purpose=CW, body=body)
    t.ok(st == 201 and j and j.get("id") == "rb-1",
         f"events: the good event, padded to exactly {BODY_MAX} bytes -> 201", f"{st} {raw[:300]!r}")
    st, _, raw, j = req(srv, "POST", "/v1/events/batch", token=orr, purpose=CW,
                        body={"events": [incident("rb-2"), incident("rb-x")]})
    t.ok(st == 201 and j and j.get("count") == 2, "events/batch: the good batch -> 201 count 2",
         f"{st} {raw[:300]!r}")
    after = timeline(srv, orr)
    t.eq([e["id"] for e in after or []][len(before_tl):], ["rb-1", "rb-2", "rb-x"],
         "C0002's timeline grew by exactly the three good events")


def chunked_413(srv, short, path, tok, purpose, big):
    h = {"Content-Type": "application/json", "Authorization": "Bearer " + tok}
    if purpose:
        h["Safekeep-Purpose"] = purpose
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    st, hd, raw, j = None, {}, b"", None
    try:
        c.request("POST", path, body=(big[i:i + 1000] for i in range(0, len(big), 1000)),
                  headers=h, encode_chunked=True)
        r = c.getresponse()
        raw = r.read()
        st, hd = r.status, {k.lower(): v for k, v in r.getheaders()}
        j = json.loads(raw) if raw else None
    except (OSError, ValueError, http.client.HTTPException) as e:
        raw = repr(e).encode()
    finally:
        c.close()
    seen_v1.append(("POST", path + " (chunked)", st, hd))
    why = problem_ok(st, hd, j, 413, "payload-too-large")
    t.ok(not why, f"{short}: {len(big)}-byte chunked body -> 413 payload-too-large", f"{why}\n{raw[:300]!r}")


# ---------------------------------------------------------------------------
# 2. paging and filters

def paging(srv, orr):
    for q in ("limit=0", "limit=501", "limit=99999999999999999999", "limit=-1", "limit=abc",
              "offset=-5", "offset=1e99", "limit=", "limit=5x", "custody=nope", "country=ZZ",
              "apprehended_from=2020-13-45", "apprehended_to=2023-02-30", "court=nope"):
        check_problem(srv, f"GET /v1/children?{q} -> 400 bad-request", "GET", "/v1/children?" + q,
                      400, "bad-request", token=orr, purpose=CW)
    st, _, raw, j = req(srv, "GET", "/v1/children?limit=500", token=orr, purpose=CW)
    t.ok(st == 200 and j and j.get("limit") == 500 and j.get("offset") == 0 and j.get("next_offset") is None
         and sorted(c["id"] for c in j["children"]) == ["C0001", "C0002"],
         "GET /v1/children?limit=500 -> 200, both children, next_offset null", f"{st} {raw[:300]!r}")
    st, _, raw, j = req(srv, "GET", "/v1/children?limit=1&offset=1", token=orr, purpose=CW)
    t.ok(st == 200 and j and len(j["children"]) == 1 and j["next_offset"] is None,
         "GET /v1/children?limit=1&offset=1 -> the second child, no next page", f"{st} {raw[:300]!r}")


# ---------------------------------------------------------------------------
# 3. odd paths and methods

def paths(srv, orr):
    odd = ["/v1/children/../../etc/passwd", "/v1/children/%2e%2e%2fetc%2fpasswd", "/v1/children/a%00b",
           "/v1/children/" + "a" * 41, "/v1/children/C0001/../C0002", "/../../etc/passwd",
           "/v1/children/C0001%2F..%2FC0002", "/v1/children/C0001%00x", "/v1/children/C0001%2fsponsors",
           "/v1/children/C%20001", "/v1/children/C0001;x"]
    for path in odd:
        st, h, raw, j = req(srv, "GET", path, token=orr, purpose=CW)
        why = problem_ok(st, h, j, 404, "not-found")
        if not why and (b"root:" in raw or b"C0001" in raw or b"Jos" in raw):
            why = "the body holds file or child content"
        if why and path in BUGS:
            why = BUGS[path] + "\n" + why
        t.ok(not why, f"GET {path} -> 404 not-found", f"{why}\n{raw[:300]!r}")
    st, _, raw, j = req(srv, "GET", "/v1/children/" + "a" * 40, token=orr, purpose=CW)
    t.ok(st == 404 and j and j.get("type") == urn("not-found"),
         "an unknown id of 40 characters -> 404 not-found", f"{st} {raw[:200]!r}")
    for path in ("/", "/nope", "/v1", "/v1/", "/v1/nope", "/v1/children/C0001/x", "/V1/me", "/healthz/x"):
        check_problem(srv, f"unknown route GET {path} -> 404", "GET", path, 404, "not-found", token=orr,
                      purpose=CW)
    for method, path, allow in (("DELETE", "/v1/children/C0001", {"GET"}),
                                ("POST", "/v1/children", {"GET"}),
                                ("PUT", "/v1/tokens", {"GET", "POST"}),
                                ("GET", "/v1/events", {"POST"}),
                                ("PUT", "/v1/events/batch", {"POST"}),
                                ("POST", "/healthz", {"GET"}),
                                ("DELETE", "/metrics", {"GET"}),
                                ("GET", "/v1/tokens/abc", {"DELETE"}),
                                ("POST", "/v1/agreements/x", {"GET"}),
                                ("PATCH", "/v1/me", {"GET"})):
        st, h, raw, j = req(srv, method, path, token=orr, purpose=CW)
        why = problem_ok(st, h, j, 405, "method-not-allowed")
        got = {m.strip() for m in h.get("allow", "").split(",") if m.strip()}
        if not why and got != allow:
            why = f"Allow {h.get('allow')!r}, wanted {sorted(allow)}"
        t.ok(not why, f"{method} {path} -> 405, Allow: {', '.join(sorted(allow))}", f"{why}\n{raw[:200]!r}")


# ---------------------------------------------------------------------------
# 4. slow clients and 5. header limits

def slow_clients(srv, orr):
    t0 = time.time()
    half = socket.create_connection(("127.0.0.1", srv.port))
    half.sendall(b"GET /v1/me HT")
    loris = []
    for i in range(50):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow-%d: " % i)
        loris.append(s)
    t1 = time.time()
    st, _, raw, _ = req(srv, "GET", "/v1/me", token=orr)
    d1 = time.time() - t1
    t.ok(st == 200 and d1 < 1.5, "during the stalls, GET /v1/me answers promptly",
         f"{st} after {d1:.2f}s {raw[:100]!r}")
    t1 = time.time()
    st, _, raw, j = req(srv, "GET", "/v1/children/C0001", token=orr, purpose=CW)
    d2 = time.time() - t1
    t.ok(st == 200 and j and j["child"]["id"] == "C0001" and d2 < 1.5,
         "during the stalls, GET /v1/children/C0001 answers promptly", f"{st} after {d2:.2f}s")

    def closed_by_server(s):
        s.settimeout(TIMEOUT_S + 8)
        try:
            return s.recv(4096) == b""
        except ConnectionResetError:
            return True
        except OSError:
            return False

    ok = closed_by_server(half)
    waited = time.time() - t0
    t.ok(ok and TIMEOUT_S - 0.5 <= waited <= TIMEOUT_S + 6,
         f"half a request line is closed after timeout_s={TIMEOUT_S}", f"closed {ok} after {waited:.2f}s")
    n = sum(closed_by_server(s) for s in loris)
    waited = time.time() - t0
    t.ok(n == 50 and waited <= TIMEOUT_S + 8, "50 stalled header sockets are all closed by the server",
         f"{n} closed after {waited:.2f}s")
    for s in [half, *loris]:
        s.close()
    t.eq(srv.request("GET", "/healthz")[0], 200, "after the slow clients: /healthz 200")


def header_limits(srv, orr):
    st = req(srv, "GET", "/v1/me", token=orr, headers={"X-Pad": "a" * 8192})[0]
    t.eq(st, 200, "an 8 KiB header value is served")
    try:
        st, h, raw, _ = srv.request("GET", "/v1/me", token=orr, headers={"X-Big": "a" * 65536})
    except (OSError, http.client.HTTPException) as e:
        st, h, raw = repr(e), {}, b""
    # libmicrohttpd answers this itself, before any route runs: its own HTML
    # page, without the /v1 headers (so it is left out of v1_headers).
    t.ok(st == 431 and h.get("connection", "").lower() == "close",
         "a 64 KiB header value -> 431 and the connection closed", f"{st} {h} {raw[:120]!r}")
    t.eq(srv.request("GET", "/healthz")[0], 200, "after the 431: /healthz 200")


# ---------------------------------------------------------------------------
# 6. purpose

def purpose(srv, orr):
    person = [("GET", "/v1/children/C0001", None), ("GET", "/v1/children", None),
              ("GET", "/v1/children/C0001/sponsors", None), ("GET", "/v1/audit/subjects/C0001", None),
              ("POST", "/v1/children/search", {"a_number": "012345678"}),
              ("POST", "/v1/policy/check", {"subject": "C0001"}),
              ("POST", "/v1/events", incident("rb-p")), ("POST", "/v1/events/batch", {"events": [incident("rb-p")]})]
    for method, path, body in person:
        check_problem(srv, f"{method} {path} without Safekeep-Purpose -> 400 purpose-required", method, path,
                      400, "purpose-required", token=orr, body=body)
        check_problem(srv, f"{method} {path} with an unknown purpose -> 400 bad-request", method, path,
                      400, "bad-request", token=orr, purpose="curiosity", body=body)
    for path in ("/v1/agreements", "/v1/me", "/v1/agreements/approps-2019-s224-sponsors"):
        st, _, raw, _ = req(srv, "GET", path, token=orr)
        t.eq(st, 200, f"GET {path} needs no purpose")


# ---------------------------------------------------------------------------
# 12. headers of every /v1 answer

def v1_headers(label):
    bad = []
    ids = set()
    for method, path, st, h in seen_v1:
        rid = h.get("safekeep-request-id", "")
        if h.get("cache-control") != "no-store" or not UUID_RE.match(rid):
            bad.append(f"{method} {path} -> {st}: cache-control {h.get('cache-control')!r} id {rid!r}")
        ids.add(rid)
    statuses = sorted({x[2] for x in seen_v1 if x[2] is not None})
    t.ok(not bad and len(seen_v1) > 0,
         f"{label}: all {len(seen_v1)} /v1 answers (statuses {statuses}) carry Cache-Control: no-store "
         "and a UUID Safekeep-Request-Id", "\n".join(bad[:15]))
    t.eq(len(ids), len(seen_v1), f"{label}: every /v1 answer has its own request id")
    seen_v1.clear()


# ---------------------------------------------------------------------------
# 7. no audit, no data

def audit_unavailable():
    db = Db(jsonl=GOOD)
    try:
        orr = db.token("ORR", "case_manager")
        srv = Server(db, {"SAFEKEEP_TEST_AUDIT_FAIL_AFTER": "1"})
        try:
            st, _, raw, _ = srv.request("GET", "/healthz")
            t.ok(st == 200, "audit fault injected: /healthz 200 before any audit write", f"{st} {raw!r}")
            secrets = [b"C0001", b"Jos", b"Garc", b"L\xc3\xb3pez", b"Ana Mar", b"012-345-678", b"012345678",
                       b"2007-05-02", b"F-TX-017", b"S0001", b"Houston", b"mam", b"timeline", b"child\""]
            for i, path in enumerate(["/v1/children/C0001", "/v1/children/C0001", "/v1/children/C0002",
                                      "/v1/children?limit=10"]):
                st, h, raw, j = req(srv, "GET", path, token=orr, purpose=CW)
                why = problem_ok(st, h, j, 503, "audit-unavailable")
                leak = [s for s in secrets if s in raw]
                if not why and leak:
                    why = f"the body holds {leak}"
                t.ok(not why, f"{'first' if i == 0 else 'later'} read GET {path} -> 503 audit-unavailable, "
                     "no data", f"{why}\n{raw[:300]!r}")
            st, _, raw, j = srv.request("GET", "/healthz")
            t.ok(st == 503 and j and j.get("status") == "unavailable",
                 "after the audit failure: /healthz 503 unavailable", f"{st} {raw!r}")
            st, h, text = settled_metrics(srv, lambda x: metric(x, "safekeep_http_requests_total",
                                                                {"route": "healthz", "status": "503"}))
            t.eq(metric(text, "safekeep_audit_failed"), 1.0, "/metrics: safekeep_audit_failed 1")
            t.eq(metric(text, "safekeep_http_requests_total", {"route": "child_get", "status": "503"}), 3.0,
                 "/metrics: three child_get answers were 503")
        finally:
            srv.stop()
        code, out, err = audit_records(db)
        t.ok(code == 0 and "0 records verified" in out, "the refused writes left the audit log valid and empty",
             f"exit {code}: {out} {err}")
        v1_headers("audit-failure server")
    finally:
        db.cleanup()


# ---------------------------------------------------------------------------
# 8. rate limit

def rate_limit(db, orr, other):
    srv = Server(db, {"SAFEKEEP_RATE_PER_S": "5", "SAFEKEEP_RATE_BURST": "5"})
    try:
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        got = []
        t0 = time.time()
        for _ in range(6):
            c.request("GET", "/v1/me", headers={"Authorization": "Bearer " + orr})
            r = c.getresponse()
            body = r.read()
            h = {k.lower(): v for k, v in r.getheaders()}
            seen_v1.append(("GET", "/v1/me (keep-alive)", r.status, h))
            got.append((r.status, h, body))
        took = time.time() - t0
        c.close()
        t.eq([g[0] for g in got[:5]], [200] * 5, "rate 5/s burst 5: the first five rapid requests -> 200")
        st, h, body = got[5]
        j = json.loads(body) if body else None
        why = problem_ok(st, h, j, 429, "rate-limited")
        if not why and not re.match(r"^[1-9][0-9]*$", h.get("retry-after", "")):
            why = f"Retry-After {h.get('retry-after')!r}"
        t.ok(not why, "the sixth -> 429 rate-limited with a Retry-After in seconds",
             f"{why} (six requests took {took:.3f}s)\n{body[:200]!r}")
        st = req(srv, "GET", "/v1/me", token=other)[0]
        t.eq(st, 200, "another token is unaffected")
        st = req(srv, "GET", "/v1/children/C0001", token=other, purpose=CW)[0]
        t.eq(st, 200, "another token reads a child meanwhile")
    finally:
        srv.stop()


# ---------------------------------------------------------------------------
# 9. /metrics, 10. /openapi.json and /healthz

def metrics_and_docs(db, orr):
    srv = Server(db)
    try:
        plan = [("GET", "/healthz", None, None, 200)]
        plan += [("GET", "/v1/children/C0001", CW, None, 200)] * 3
        plan += [("GET", "/v1/children/C0002", CW, None, 200)]
        plan += [("GET", "/v1/children/C0001", "research", None, 403)] * 2
        plan += [("POST", "/v1/policy/check", CW, {"subject": "C0001"}, 200),
                 ("POST", "/v1/policy/check", "research", {"subject": "C0001"}, 200),
                 ("GET", "/nope", None, None, 404)]
        got = [req(srv, m, p, token=orr, purpose=pu, body=b)[0] for m, p, pu, b, _ in plan]
        t.eq(got, [x[4] for x in plan], "metrics: the planned requests got their statuses")
        st, h, text = settled_metrics(srv, lambda x: (metric(x, "safekeep_http_requests_total",
                                                                {"route": "none", "status": "404"}) or 0) >= 1)
        t.ok(st == 200 and h.get("content-type", "").startswith("text/plain; version=0.0.4"),
             "GET /metrics -> 200 text/plain; version=0.0.4", f"{st} {h.get('content-type')!r}")
        want = {("healthz", "200"): 1, ("child_get", "200"): 4, ("child_get", "403"): 2,
                ("policy_check", "200"): 2, ("none", "404"): 1}
        have = {(lb.get("route"), lb.get("status")): v for lb, v in samples(text, "safekeep_http_requests_total")}
        polls = have.pop(("metrics", "200"), 0.0)
        t.eq(have, {k: float(v) for k, v in want.items()},
             "safekeep_http_requests_total is exactly the requests made (child_get 200 = 4)")
        t.eq(metric(text, "safekeep_http_requests_total", {"route": "child_get", "status": "200"}), 4.0,
             'safekeep_http_requests_total{route="child_get",status="200"} 4')
        why = histogram_problem(text, "safekeep_http_request_duration_seconds")
        t.ok(not why, "the latency histogram is cumulative with +Inf == _count", why)
        t.eq(metric(text, "safekeep_http_request_duration_seconds_count"), float(len(plan)) + polls,
             f"latency _count == the {len(plan)} requests and the earlier /metrics before this one")
        s = metric(text, "safekeep_http_request_duration_seconds_sum")
        t.ok(s is not None and 0 < s < 60, "latency _sum is a plausible number of seconds", repr(s))
        t.eq((metric(text, "safekeep_policy_decisions_total", {"decision": "permit"}),
              metric(text, "safekeep_policy_decisions_total", {"decision": "deny"})), (5.0, 3.0),
             "safekeep_policy_decisions_total: permit 5 (4 reads, 1 check), deny 3 (2 reads, 1 check)")
        why = histogram_problem(text, "safekeep_audit_fsync_batch_size")
        t.ok(not why, "the audit fsync batch histogram is cumulative with +Inf == _count", why)
        n = metric(text, "safekeep_audit_fsync_batch_size_count")
        t.ok(metric(text, "safekeep_audit_fsync_batch_size_sum") == 8.0 and n is not None and 1 <= n <= 8,
             "audit fsync batches: _sum 8 records (one per decision) in 1..8 syncs",
             f"sum {metric(text, 'safekeep_audit_fsync_batch_size_sum')} count {n}")
        for name, kind in (("safekeep_http_requests_total", "counter"),
                           ("safekeep_http_request_duration_seconds", "histogram"),
                           ("safekeep_policy_decisions_total", "counter"),
                           ("safekeep_audit_fsync_batch_size", "histogram"), ("safekeep_audit_failed", "gauge")):
            t.ok(f"# TYPE {name} {kind}\n" in text, f"/metrics declares # TYPE {name} {kind}")
        t.eq(metric(text, "safekeep_audit_failed"), 0.0, "safekeep_audit_failed 0")
        time.sleep(0.1)
        st, h, text = metrics_text(srv)
        t.eq((metric(text, "safekeep_http_requests_total", {"route": "metrics", "status": "200"}),
              metric(text, "safekeep_http_request_duration_seconds_count")),
             (polls + 1, float(len(plan)) + polls + 1), "the next /metrics counts the one before")
        st, h, raw, _ = srv.request("GET", "/openapi.json")
        with open(os.path.join(ROOT, "docs", "openapi.json"), "rb") as f:
            doc = f.read()
        t.ok(st == 200 and raw == doc, "/openapi.json equals docs/openapi.json byte for byte",
             f"{st}, {len(raw)} bytes vs {len(doc)}")
        st, h, raw, j = srv.request("GET", "/healthz")
        t.ok(st == 200 and j == {"status": "ok"} and h.get("content-type", "").startswith("application/json"),
             '/healthz -> 200 {"status":"ok"}', f"{st} {raw!r}")
    finally:
        srv.stop()


# ---------------------------------------------------------------------------
# 11. shutdown with requests in flight

def accept_backlog(port):
    """Connections waiting in the kernel's accept queue of the listening
    socket (not yet accepted by the server), or None without /proc."""
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            return None
        for line in lines:
            p = line.split()
            if p[3] == "0A" and int(p[1].rsplit(":", 1)[1], 16) == port:
                return int(p[4].split(":")[1], 16)
    return None


def audit_size(db):
    code, out, err = audit_records(db)
    m = re.search(r"audit log ok: (\d+) records", out)
    return (int(m.group(1)) if m and code == 0 else None), f"exit {code}: {out.strip()} {err.strip()}"


def shutdown(db, orr, sig, per_request, threads):
    name = f"{signal.Signals(sig).name} ({threads} threads)"
    before, _ = audit_size(db)
    srv = Server(db, {"SAFEKEEP_THREADS": str(threads)})
    n = 20
    results = [None] * n
    sent = threading.Barrier(n + 1)
    hdr = {"Authorization": "Bearer " + orr, "Safekeep-Purpose": CW}

    def worker(i):
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        try:
            try:
                c.request("GET", "/v1/children?limit=500", headers=hdr)
            except OSError as e:
                results[i] = ("send", repr(e))
                return
            finally:
                sent.wait()
            try:
                r = c.getresponse()
                body = r.read()
                j = json.loads(body)
                results[i] = (r.status, len(j["children"]))
            except (ConnectionResetError, http.client.RemoteDisconnected) as e:
                results[i] = ("reset", repr(e))  # never accepted: no byte came back
            except (OSError, ValueError, KeyError, http.client.HTTPException) as e:
                results[i] = ("broken", repr(e))
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    sent.wait()
    queued = accept_backlog(srv.port)
    t0 = time.time()
    srv.proc.send_signal(sig)
    time.sleep(0.2)
    refused_during = None
    if srv.proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
            refused_during = False
        except ConnectionRefusedError:
            refused_during = True
        except OSError:
            refused_during = False
    for th in threads:
        th.join(60)
    try:
        code = srv.proc.wait(30)
    except Exception:
        code = None
    took = time.time() - t0
    srv.stop()
    ok = [r for r in results if r and r[0] == 200]
    other = [r for r in results if not (r and r[0] == 200)]
    accepted = n - queued if queued is not None else n
    t.ok(accepted >= 1 and len(ok) >= accepted and all(r[0] == "reset" for r in other),
         f"{name}: every accepted request gets a complete 200 ({len(ok)} of {n}; "
         f"{accepted} accepted when signalled)", "\n".join(map(str, other[:5])))
    t.ok(code == 0 and took < 20, f"{name}: exit 0 within seconds", f"exit {code} after {took:.2f}s")
    t.ok(refused_during in (None, True), f"{name}: new connections are refused while draining",
         f"refused {refused_during}")
    try:
        socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
        refused = False
    except ConnectionRefusedError:
        refused = True
    t.ok(refused, f"{name}: new connections are refused after exit")
    after, detail = audit_size(db)
    t.ok(before is not None and after is not None and after - before == len(ok) * per_request,
         f"{name}: audit verify succeeds, {per_request} records per answered request (one per child judged)",
         f"before {before}, after {after}, {len(ok)} answered: {detail}")


def shutdowns():
    db = Db(generate=300)
    try:
        orr = db.token("ORR", "case_manager")
        before, _ = audit_size(db)
        srv = Server(db)
        try:
            st, _, raw, j = srv.request("GET", "/v1/children?limit=500", token=orr, purpose=CW)
            _, _, text = settled_metrics(srv, lambda x: metric(x, "safekeep_http_requests_total",
                                                               {"route": "children_list", "status": "200"}))
        finally:
            srv.stop()
        after, detail = audit_size(db)
        shown = len(j["children"]) if st == 200 and j else -1
        permits = metric(text, "safekeep_policy_decisions_total", {"decision": "permit"})
        denies = metric(text, "safekeep_policy_decisions_total", {"decision": "deny"})
        per = (after - before) if before is not None and after is not None else None
        t.ok(st == 200 and shown >= 300 and j["next_offset"] is None and permits == shown
             and per == permits + denies,
             "one page of every generated child: one audit record per child judged",
             f"{st} shown {shown}, permits {permits}, denies {denies}, records {per}: {detail}")
        shutdown(db, orr, signal.SIGTERM, per or 0, 8)
        shutdown(db, orr, signal.SIGINT, per or 0, 2)
    finally:
        db.cleanup()


def main():
    db = Db(jsonl=GOOD)
    try:
        orr = db.token("ORR", "case_manager")
        orr2 = db.token("ORR", "case_manager", user="u2")
        admin = db.token("ORR", "administrator")
        srv = Server(db, {"SAFEKEEP_BODY_BYTES_MAX": str(BODY_MAX), "SAFEKEEP_TIMEOUT_S": str(TIMEOUT_S)})
        try:
            bad_input(srv, orr, admin)
            paging(srv, orr)
            paths(srv, orr)
            header_limits(srv, orr)
            purpose(srv, orr)
            slow_clients(srv, orr)
            t.ok(srv.alive(), "the server survived all of it")
        finally:
            code = srv.stop()
        t.eq(code, 0, "and stops with exit 0")
        v1_headers("main server")
        rate_limit(db, orr, orr2)
        v1_headers("rate-limited server")
        metrics_and_docs(db, orr)
        v1_headers("metrics server")
    finally:
        db.cleanup()
    audit_unavailable()
    shutdowns()
    t.done()


main()
