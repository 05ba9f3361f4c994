#!/usr/bin/env python3
# api_openapi.py: the daemon's answers against docs/openapi.json.
#
# Every operation of the document is called at least once for a success and,
# where it is cheap to provoke, once for each error status it documents:
# 401 (no or a bogus token), 400 (no or an unknown purpose, invalid JSON, bad
# query values), 403 (policy denials and role refusals), 404, 409, 413 (a
# body over body_bytes_max on every route, too many events, too many records
# in a batch), 415, 422, 431 (oversized headers), 429 (a second daemon that
# allows one request per second, in bursts of one) and 503 (a third daemon
# whose audit log refuses its first write, as SAFEKEEP_TEST_AUDIT_FAIL_AFTER
# makes it). A 405 and an unknown path are checked against the document's
# MethodNotAllowed and NotFound responses, which no operation owns. Each
# answer must have exactly the status and problem type the check expects,
# and it must be one the operation documents: its status is listed, its Content-Type is the
# documented media type (no Content-Type where no body is documented), every
# documented header is present and valid, the body validates against the
# response schema (tests/lib/skschema.py, the evaluator openapi.sh checks the
# document's examples with), and a problem's status and instance match the
# answer. A status the operation does not document fails, whatever the check
# expected. The bodies and query parameters of successful requests must be
# valid against the document too, so that it describes what the server
# takes as well as what it answers. At the end, each operation must have had
# a success, and the documented statuses that were not provoked are listed
# as comments. Python's standard library only; prints TAP.
import json
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from skhttp import ROOT, Db, Server, Tap  # noqa: E402
from skschema import Validator  # noqa: E402

DOC_PATH = os.path.join(ROOT, "docs", "openapi.json")
with open(DOC_PATH, "rb") as f:
    DOC_BYTES = f.read()
DOC = json.loads(DOC_BYTES)
V = Validator(DOC)
PROBLEM = "urn:safekeep:problem:"
BODY_MAX = 256 * 1024  # body_bytes_max of the daemons here: 413 stays cheap
TOO_BIG = b'{"x":"' + b"a" * (BODY_MAX + 16) + b'"}'
BIG_HEADER = {"X-Padding": "p" * (20 * 1024)}  # over header_bytes_max (16 KiB)

# operationId -> (METHOD, path template, operation)
OPS = {}
for tmpl, item in DOC["paths"].items():
    for method, o in item.items():
        if method in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
            OPS[o["operationId"]] = (method.upper(), tmpl, o)

tap = Tap()
seen = {opid: set() for opid in OPS}  # statuses each operation answered


def template_re(tmpl):
    return re.compile("^" + re.sub(r"\{[^{}]+\}", "[^/]+", re.escape(tmpl).replace(
        r"\{", "{").replace(r"\}", "}")) + "$")


def norm_media(text):
    return ";".join(p.strip() for p in text.lower().split(";"))


def header_errors(resp, hdrs):
    out = []
    for name, h in (resp.get("headers") or {}).items():
        h = V.deref(h)
        value = hdrs.get(name.lower())
        if value is None:
            out.append("documented header %s is missing" % name)
            continue
        schema = h.get("schema", True)
        if isinstance(schema, dict) and V.deref(schema).get("type") == "integer":
            try:
                value = int(value)
            except ValueError:
                out.append("header %s: %r is not an integer" % (name, value))
                continue
        out += ["header %s: %s" % (name, e) for e in V.errors(schema, value, name)]
    return out


def body_errors(resp, method, hdrs, raw):
    """The answer's media type and body against one documented response."""
    content = resp.get("content")
    ct = hdrs.get("content-type")
    if not content:
        return [] if ct is None else ["Content-Type %r where no body is documented" % ct]
    if ct is None:
        return ["no Content-Type; documented: %s" % ", ".join(content)]
    media = [m for m in content if norm_media(m) == norm_media(ct)]
    if not media:
        return ["Content-Type %r is not documented (%s)" % (ct, ", ".join(content))]
    schema = content[media[0]].get("schema")
    if schema is None or method == "HEAD":
        return []
    if norm_media(ct).split(";")[0].endswith("json"):
        try:
            value = json.loads(raw)
        except ValueError as e:
            return ["the body is not JSON: %s" % e]
    else:
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            return ["the body is not UTF-8 text"]
    return V.errors(schema, value, "body")


def problem_errors(status, hdrs, js):
    """A problem's own status and instance must be the answer's."""
    if not (isinstance(js, dict) and str(js.get("type", "")).startswith(PROBLEM)):
        return []
    out = []
    if js.get("status") != status:
        out.append("problem status %r in a %d answer" % (js.get("status"), status))
    rid = hdrs.get("safekeep-request-id")
    if "instance" in js and js["instance"] != "urn:uuid:%s" % rid:
        out.append("instance %r is not urn:uuid: + Safekeep-Request-Id %r" % (js["instance"], rid))
    return out


def request_errors(o, path, body):
    """What a successful request sent must be valid against the document."""
    out = []
    params = [V.deref(p) for p in o.get("parameters", [])]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query,
                                        keep_blank_values=True))
    for p in params:
        if p["in"] == "query" and p.get("required") and p["name"] not in query:
            out.append("required query parameter %s was not sent" % p["name"])
    for name, text in query.items():
        found = [p for p in params if p["in"] == "query" and p["name"] == name]
        if not found:
            out.append("query parameter %s is not documented" % name)
            continue
        schema = V.deref(found[0].get("schema", {}))
        value = text
        if schema.get("type") == "integer":
            value = int(text) if re.fullmatch(r"\d+", text) else text
        elif schema.get("type") == "array":
            value = text.split(",")
        out += ["query %s: %s" % (name, e) for e in V.errors(schema, value, name)]
    rb = o.get("requestBody")
    if rb is not None and isinstance(body, dict):
        schema = rb["content"]["application/json"]["schema"]
        out += ["request body: %s" % e for e in V.errors(schema, body, "request")]
    return out


def check(opid, method, path, want, ptype, st, hdrs, raw, js, body=None, resp_doc=None):
    """Checks one answer; resp_doc names a components response for answers
    that belong to no operation (405, an unknown path)."""
    problems = []
    if st != want:
        problems.append("status %d, wanted %d" % (st, want))
    if resp_doc is not None:
        resp = V.deref({"$ref": "#/components/responses/" + resp_doc})
    else:
        m, tmpl, o = OPS[opid]
        route = urllib.parse.urlsplit(path).path
        if m != method.replace("HEAD", "GET") or not template_re(tmpl).match(route):
            problems.append("%s %s is not operation %s (%s %s)" % (method, route, opid, m, tmpl))
        seen[opid].add(st)
        resp = o["responses"].get(str(st)) or o["responses"].get("%dXX" % (st // 100)) or \
            o["responses"].get("default")
        if resp is None:
            problems.append("status %d is not documented for %s (documented: %s)"
                            % (st, opid, ", ".join(o["responses"])))
        else:
            resp = V.deref(resp)
        if 200 <= st < 300:
            problems += request_errors(o, path, body)
    if resp is not None:
        problems += header_errors(resp, hdrs)
        problems += body_errors(resp, method, hdrs, raw)
    problems += problem_errors(st, hdrs, js)
    if ptype is not None:
        got = js.get("type") if isinstance(js, dict) else None
        if got != PROBLEM + ptype:
            problems.append("problem type %r, wanted %r" % (got, PROBLEM + ptype))
    label = "%s %s -> %d%s" % (method, path if len(path) < 90 else path[:87] + "...", want,
                               " " + ptype if ptype else "")
    if problems:
        problems.append("body: %s" % raw[:300])
    tap.ok(not problems, "%s: %s" % (opid or resp_doc, label), "\n".join(problems))


def call(srv, opid, method, path, want, ptype=None, token=None, purpose=None, body=None,
         headers=None, content_type="application/json", resp_doc=None):
    st, hdrs, raw, js = srv.request(method, path, token=token, purpose=purpose, body=body,
                                    headers=headers, content_type=content_type)
    check(opid, method, path, want, ptype, st, hdrs, raw, js, body, resp_doc)
    return st, hdrs, js


def event(eid, child="C0002", **payload):
    return {"id": eid, "type": "wellness_call", "occurred_at": "2024-01-10T10:00:00Z",
            "subjects": [child], "payload": payload or {"reached": True}}


def case_event(eid, etype, payload, subjects=("C0001",), **extra):
    return dict({"id": eid, "type": etype, "occurred_at": "2024-02-01T10:00:00Z",
                 "subjects": list(subjects), "payload": payload}, **extra)


# Events that fill the parts of a child's view and of its sponsors' view
# that tests/data/good.jsonl leaves empty, so that their schemas are checked.
CASE_EVENTS = [
    case_event("oa-c1", "nta_filed", {"court_id": "EOIR-SFR"}),
    case_event("oa-c2", "hearing_scheduled", {"hearing_id": "H1", "court_id": "EOIR-SFR",
                                              "scheduled_for": "2025-09-10T13:30:00Z"}),
    case_event("oa-c3", "relief_filed", {"relief_type": "sijs"}),
    case_event("oa-c4", "counsel", {"org_id": "LSP-KIND", "action": "entered"}),
    case_event("oa-c5", "fact_asserted", {"fact_id": "F1", "topic": "travel"},
               provenance={"source": "interview", "ref": "int-1", "reliability": "B"}),
    case_event("oa-c6", "household_member", {"sponsor_id": "S0001", "member_id": "M0001",
                                             "given_name": "Ana", "family_name": "Test",
                                             "relationship": "aunt_uncle"}),
    case_event("oa-c7", "vetting_check", {"sponsor_id": "S0001", "check_type": "fingerprint",
                                          "result": "clear"}),
]


def example_path(tmpl):
    return tmpl.replace("{id}", "C0001")


# ------------------------------------------------------------ the checks

def service(srv):
    call(srv, "healthz", "GET", "/healthz", 200)
    call(srv, "metrics", "GET", "/metrics", 200)
    st, hdrs, raw, js = srv.request("GET", "/openapi.json")
    check("openapi", "GET", "/openapi.json", 200, None, st, hdrs, raw, js)
    tap.ok(raw == DOC_BYTES, "GET /openapi.json serves docs/openapi.json byte for byte",
           "%d bytes served, %d in the file: rebuild after editing it" % (len(raw), len(DOC_BYTES)))
    call(srv, "me", "GET", "/v1/me", 200, token=T["cm"])
    call(srv, "me", "HEAD", "/v1/me", 200, token=T["cm"])
    call(srv, "me", "GET", "/v1/me", 401, "unauthorized", token="skt_0000000000000000_x")
    call(srv, None, "DELETE", "/v1/me", 405, "method-not-allowed", token=T["cm"],
         resp_doc="MethodNotAllowed")
    call(srv, None, "GET", "/v1/nothing-here", 404, "not-found", token=T["cm"],
         resp_doc="NotFound")


def gatekeeping(srv):
    """The statuses every route of a kind gets before its handler runs."""
    for opid, (m, tmpl, o) in OPS.items():
        path = example_path(tmpl)
        has_body = "requestBody" in o
        body = {} if has_body else None
        # 431 comes from the HTTP layer, for any route
        call(srv, opid, m, path, 431, headers=BIG_HEADER, content_type=None)
        # a body over body_bytes_max is 413 before anything else, on any route
        call(srv, opid, m, path, 413, "payload-too-large", token=T["admin"],
             purpose="child_welfare", body=TOO_BIG)
        if has_body:
            call(srv, opid, m, path, 415, "unsupported-media-type", token=T["admin"],
                 purpose="child_welfare", body="{}", content_type="text/plain")
        if not tmpl.startswith("/v1/"):
            continue
        call(srv, opid, m, path, 401, "unauthorized", body=body)
        params = [V.deref(p) for p in o.get("parameters", [])]
        if any(p["in"] == "header" and p["name"] == "Safekeep-Purpose" for p in params):
            call(srv, opid, m, path, 400, "purpose-required", token=T["cm"], body=body)
            call(srv, opid, m, path, 400, "bad-request", token=T["cm"], purpose="curiosity",
                 body=body)
        if has_body:
            call(srv, opid, m, path, 400, "invalid-json", token=T["admin"],
                 purpose="child_welfare", body="[1,")


def events(srv):
    cm = T["cm"]
    call(srv, "events_post", "POST", "/v1/events", 201, token=cm, purpose="child_welfare",
         body=event("oa-e1"))
    call(srv, "events_post", "POST", "/v1/events", 409, "conflict", token=cm,
         purpose="child_welfare", body=event("oa-e1"))
    call(srv, "events_post", "POST", "/v1/events", 403, "forbidden", token=T["oig"],
         purpose="oversight", body=event("oa-e2"))
    call(srv, "events_post", "POST", "/v1/events", 422, "unprocessable", token=cm,
         purpose="child_welfare", body=event("oa-e3", reached="maybe"))
    _, _, js = call(srv, "events_post", "POST", "/v1/events", 422, "unprocessable", token=cm,
                    purpose="child_welfare",
                    body={"id": "oa-p1", "type": "policy_adopted",
                          "occurred_at": "2024-01-10T10:00:00Z", "subjects": ["policy"],
                          "payload": {"document_id": "d0c", "name": "x.policy"}})
    tap.eq((js or {}).get("errors", [{}])[0].get("pointer"), "/type",
           "a policy event is refused at /type")
    call(srv, "events_post", "POST", "/v1/events", 422, "unprocessable", token=cm,
         purpose="child_welfare", body=dict(event("oa-e4"), agency="ICE"))

    batch = {"events": [event("oa-b1"), event("oa-b2", "C0001")] + CASE_EVENTS}
    call(srv, "events_batch", "POST", "/v1/events/batch", 201, token=cm,
         purpose="child_welfare", body=batch)
    call(srv, "events_batch", "POST", "/v1/events/batch", 409, "conflict", token=cm,
         purpose="child_welfare", body={"events": [event("oa-b3"), event("t-e1")]})
    call(srv, "events_batch", "POST", "/v1/events/batch", 403, "forbidden", token=T["oig"],
         purpose="oversight", body={"events": [event("oa-b4")]})
    _, _, js = call(srv, "events_batch", "POST", "/v1/events/batch", 422, "unprocessable",
                    token=cm, purpose="child_welfare",
                    body={"events": [event("oa-b5"), event("oa-b6", reached=3)]})
    tap.eq((js or {}).get("errors", [{}])[0].get("pointer"), "/events/1/payload/reached",
           "a batch's 422 points into the list")
    call(srv, "events_batch", "POST", "/v1/events/batch", 422, "unprocessable", token=cm,
         purpose="child_welfare", body={"events": []})
    call(srv, "events_batch", "POST", "/v1/events/batch", 413, "payload-too-large", token=cm,
         purpose="child_welfare", body={"events": [event("oa-m%d" % i) for i in range(1001)]})
    call(srv, "events_batch", "POST", "/v1/events/batch", 413, "payload-too-large", token=cm,
         purpose="child_welfare",
         body={"events": [event("oa-k%d" % i, "K%d" % i) for i in range(513)]})


def children(srv):
    cm, ice = T["cm"], T["ice"]
    _, _, js = call(srv, "children_list", "GET", "/v1/children", 200, token=cm,
                    purpose="child_welfare")
    tap.eq([c.get("id") for c in (js or {}).get("children", [])], ["C0001", "C0002"],
           "the listing shows both test children")
    call(srv, "children_list", "GET",
         "/v1/children?custody=released&court=none&country=GT&facility=F-TX-017"
         "&apprehended_from=2023-01-01&apprehended_to=2023-12-31&limit=1&offset=0"
         "&fields=custody_status,age", 200, token=cm, purpose="child_welfare")
    _, _, js = call(srv, "children_list", "GET", "/v1/children?limit=1", 200, token=cm,
                    purpose="child_welfare")
    tap.eq((js or {}).get("next_offset"), 1, "a full page has a next_offset")
    call(srv, "children_list", "GET", "/v1/children?custody=closed", 200, token=cm,
         purpose="child_welfare")
    for q in ("limit=0", "limit=501", "offset=-1", "fields=bogus", "custody=lost",
              "apprehended_from=2023-1-1", "country=Guatemala"):
        call(srv, "children_list", "GET", "/v1/children?" + q, 400, "bad-request", token=cm,
             purpose="child_welfare")
    call(srv, "children_list", "GET", "/v1/children", 403, "forbidden", token=ice,
         purpose="immigration_enforcement")

    search = "/v1/children/search"
    call(srv, "children_search", "POST", search, 200, token=cm, purpose="child_welfare",
         body={"a_number": "A-012-345-678"})
    call(srv, "children_search", "POST", search + "?fields=age", 200, token=cm,
         purpose="child_welfare", body={"a_number": "012345678"})
    call(srv, "children_search", "POST", search, 200, token=cm, purpose="child_welfare",
         body={"a_number": "999999999"})
    call(srv, "children_search", "POST", search, 403, "forbidden", token=ice,
         purpose="research", body={"a_number": "999999999"})
    call(srv, "children_search", "POST", search, 422, "unprocessable", token=cm,
         purpose="child_welfare", body={"a_number": "12"})
    call(srv, "children_search", "POST", search, 422, "unprocessable", token=cm,
         purpose="child_welfare", body={"a_number": "012345678", "name": "x"})
    call(srv, "children_search", "POST", search + "?fields=bogus", 400, "bad-request",
         token=cm, purpose="child_welfare", body={"a_number": "012345678"})

    call(srv, "child_get", "GET", "/v1/children/C0001", 200, token=cm, purpose="child_welfare")
    call(srv, "child_get", "GET", "/v1/children/C0002?fields=dob,facility", 200, token=cm,
         purpose="child_welfare")
    call(srv, "child_get", "GET", "/v1/children/C0001", 200, token=T["oig"], purpose="oversight")
    call(srv, "child_get", "GET", "/v1/children/C0001?fields=nope", 400, "bad-request",
         token=cm, purpose="child_welfare")
    call(srv, "child_get", "GET", "/v1/children/C0001", 403, "forbidden", token=ice,
         purpose="immigration_enforcement")
    call(srv, "child_get", "GET", "/v1/children/C0009", 404, "not-found", token=cm,
         purpose="child_welfare")
    for bad in ("C%2F0001", "C%000001", "bad%20id", "x" * 41):
        call(srv, "child_get", "GET", "/v1/children/" + bad, 404, "not-found", token=cm,
             purpose="child_welfare")

    call(srv, "child_sponsors", "GET", "/v1/children/C0001/sponsors", 200, token=cm,
         purpose="sponsor_vetting")
    call(srv, "child_sponsors", "GET", "/v1/children/C0001/sponsors", 403, "forbidden",
         token=ice, purpose="immigration_enforcement")
    call(srv, "child_sponsors", "GET", "/v1/children/C0009/sponsors", 404, "not-found",
         token=cm, purpose="child_welfare")


def policy(srv):
    cm, ice = T["cm"], T["ice"]
    call(srv, "agreements_list", "GET", "/v1/agreements", 200, token=cm)
    call(srv, "agreements_list", "GET", "/v1/agreements?at=2020-06-01", 200, token=ice)
    call(srv, "agreements_list", "GET", "/v1/agreements?at=2020-6-1", 400, "bad-request",
         token=cm)
    path = "/v1/agreements/court-notification-release"
    call(srv, "agreement_get", "GET", path, 200, token=cm)
    call(srv, "agreement_get", "GET", path + "?at=2020-06-01", 200, token=cm)
    call(srv, "agreement_get", "GET", path + "?at=2000-01-01", 404, "not-found", token=cm)
    call(srv, "agreement_get", "GET", path + "?at=soon", 400, "bad-request", token=cm)
    call(srv, "agreement_get", "GET", "/v1/agreements/no-such-rule", 404, "not-found", token=cm)

    check_path = "/v1/policy/check"
    _, _, js = call(srv, "policy_check", "POST", check_path, 200, token=cm,
                    purpose="child_welfare",
                    body={"subject": "C0001", "action": "read", "entity": "child",
                          "fields": ["dob", "language"], "at": "2024-01-01"})
    tap.eq((js or {}).get("decision"), "permit", "a permitted check says permit")
    _, _, js = call(srv, "policy_check", "POST", check_path, 200, token=ice,
                    purpose="immigration_enforcement",
                    body={"subject": "C0001", "entity": "sponsor"})
    tap.eq((js or {}).get("decision"), "deny", "a denied check is a 200 that says deny")
    _, _, js = call(srv, "policy_check", "POST", check_path, 200, token=ice,
                    purpose="research", body={"subject": "C0009"})
    tap.eq((js or {}).get("decision"), "deny", "a denied check on an unknown child is a 200 deny")
    call(srv, "policy_check", "POST", check_path, 404, "not-found", token=cm,
         purpose="child_welfare", body={"subject": "C0009"})
    for bad in ({}, {"subject": "C0001", "colour": "red"}, {"subject": "C0001", "fields": []},
                {"subject": "C0001", "at": "tomorrow"}, {"subject": "C0001", "action": "x"}):
        call(srv, "policy_check", "POST", check_path, 422, "unprocessable", token=cm,
             purpose="child_welfare", body=bad)


def audit(srv):
    cm, ice, oig, admin = T["cm"], T["ice"], T["oig"], T["admin"]
    _, _, head = call(srv, "audit_tree_head", "GET", "/v1/audit/tree-head", 200, token=cm)
    size = (head or {}).get("tree_size", 0)
    tap.ok(size >= 2, "the log has records by now", "tree_size %r" % size)
    call(srv, "audit_inclusion", "GET", "/v1/audit/proofs/inclusion?seq=0", 200, token=cm)
    call(srv, "audit_inclusion", "GET", "/v1/audit/proofs/inclusion?seq=1&size=%d" % size, 200,
         token=ice)
    for q in ("", "?seq=x", "?seq=-1", "?seq=1&size=y"):
        call(srv, "audit_inclusion", "GET", "/v1/audit/proofs/inclusion" + q, 400,
             "bad-request", token=cm)
    for q in ("?seq=%d&size=%d" % (size, size), "?seq=0&size=1000000000"):
        call(srv, "audit_inclusion", "GET", "/v1/audit/proofs/inclusion" + q, 422,
             "unprocessable", token=cm)
    call(srv, "audit_consistency", "GET",
         "/v1/audit/proofs/consistency?from=1&to=%d" % size, 200, token=cm)
    for q in ("", "?from=1", "?from=a&to=2"):
        call(srv, "audit_consistency", "GET", "/v1/audit/proofs/consistency" + q, 400,
             "bad-request", token=cm)
    for q in ("?from=0&to=1", "?from=2&to=1", "?from=1&to=1000000000"):
        call(srv, "audit_consistency", "GET", "/v1/audit/proofs/consistency" + q, 422,
             "unprocessable", token=cm)

    subj = "/v1/audit/subjects/C0001"
    _, _, js = call(srv, "audit_subject", "GET", subj + "?offset=0&limit=2", 200, token=oig,
                    purpose="oversight")
    tap.ok(len((js or {}).get("records", [])) == 2 and (js or {}).get("total", 0) >= 2,
           "who accessed C0001: a page of 2 of all its records", str(js)[:300])
    call(srv, "audit_subject", "GET", subj, 200, token=cm, purpose="child_welfare")
    for q in ("?limit=1001", "?limit=x", "?offset=-1"):
        call(srv, "audit_subject", "GET", subj + q, 400, "bad-request", token=oig,
             purpose="oversight")
    call(srv, "audit_subject", "GET", subj, 403, "forbidden", token=ice,
         purpose="immigration_enforcement")
    call(srv, "audit_subject", "GET", "/v1/audit/subjects/C0009", 404, "not-found", token=oig,
         purpose="oversight")

    _, _, js = call(srv, "audit_report", "GET", "/v1/audit/report", 200, token=oig)
    tap.ok(any(k.endswith("|deny") for k in (js or {}).get("counts", {})) and
           (js or {}).get("denials"), "the report counts and lists the denials so far",
           str(js)[:300])
    call(srv, "audit_report", "GET", "/v1/audit/report?from=2020-01-01&to=2099-12-31", 200,
         token=oig)
    # An administrator may verify the log but not read the report's denials.
    call(srv, "audit_report", "GET", "/v1/audit/report", 403, "forbidden", token=admin)
    call(srv, "audit_report", "GET", "/v1/audit/report?from=2020-1-1", 400, "bad-request",
         token=oig)
    call(srv, "audit_report", "GET", "/v1/audit/report?from=2024-02-01&to=2024-01-01", 422,
         "unprocessable", token=oig)
    call(srv, "audit_report", "GET", "/v1/audit/report", 403, "forbidden", token=cm)
    _, _, js = call(srv, "audit_verify", "GET", "/v1/audit/verify", 200, token=oig)
    tap.eq((js or {}).get("ok"), True, "the log verifies")
    call(srv, "audit_verify", "GET", "/v1/audit/verify", 200, token=admin)
    call(srv, "audit_verify", "GET", "/v1/audit/verify", 403, "forbidden", token=ice)


def notifications(srv):
    cm, ice, oig = T["cm"], T["ice"], T["oig"]
    track = "/v1/reports/tracking"
    _, _, js = call(srv, "report_tracking", "GET", track, 200, token=cm)
    tap.eq((js or {}).get("children"), 2, "the tracking report counts the two test children")
    call(srv, "report_tracking", "GET", track + "?at=2023-12-31&nta_days=30", 200, token=ice)
    call(srv, "report_tracking", "GET", track + "?at=2023-12-31T12:00:00Z&nta_days=0", 200,
         token=oig)
    for q in ("at=2023-1-1", "at=soon", "nta_days=3651", "nta_days=-1", "nta_days=x",
              "nta_days="):
        call(srv, "report_tracking", "GET", track + "?" + q, 400, "bad-request", token=cm)

    alerts = "/v1/alerts"
    _, _, js = call(srv, "alerts_list", "GET", alerts, 200, token=cm, purpose="child_welfare")
    tap.ok(js and js.get("alerts") and all(a["owner"] == "ORR" for a in js["alerts"]),
           "an ORR token lists ORR's alerts only", str(js)[:300])
    call(srv, "alerts_list", "GET", alerts + "?state=resolved&rule=nta_not_filed&owner=ICE"
         "&at=2025-01-01&limit=1&offset=0", 200, token=oig, purpose="oversight")
    call(srv, "alerts_list", "GET", alerts + "?state=open&at=2024-01-01T00:00:00Z", 200,
         token=ice, purpose="immigration_enforcement")
    call(srv, "alerts_list", "GET", alerts + "?owner=ORR", 403, "forbidden", token=ice,
         purpose="immigration_enforcement")
    for q in ("state=pending", "rule=bogus", "owner=bad%20id", "limit=0", "limit=501",
              "offset=-1", "at=soon"):
        call(srv, "alerts_list", "GET", alerts + "?" + q, 400, "bad-request", token=cm,
             purpose="child_welfare")


def tokens(srv):
    admin, cm = T["admin"], T["cm"]
    call(srv, "tokens_list", "GET", "/v1/tokens", 200, token=admin)
    call(srv, "tokens_list", "GET", "/v1/tokens", 403, "forbidden", token=cm)
    _, _, made = call(srv, "tokens_create", "POST", "/v1/tokens", 201, token=admin,
                      body={"user": "oa.user", "role": "case_manager"})
    call(srv, "tokens_create", "POST", "/v1/tokens", 201, token=admin,
         body={"user": "oa.user2", "role": "supervisor", "expires_at": "2099-01-01T00:00:00Z"})
    call(srv, "tokens_create", "POST", "/v1/tokens", 201, token=admin,
         body={"user": "oa.user3", "role": "clerk", "expires_at": None})
    call(srv, "tokens_create", "POST", "/v1/tokens", 403, "forbidden", token=cm,
         body={"user": "oa.user", "role": "case_manager"})
    for bad in ({"user": "oa.user"}, {"role": "case_manager"},
                {"user": "oa.user", "role": "wizard"},
                {"user": "oa user", "role": "case_manager"},
                {"user": "oa.user", "role": "case_manager", "agency": "ICE"},
                {"user": "oa.user", "role": "case_manager",
                 "expires_at": "2001-01-01T00:00:00Z"}):
        call(srv, "tokens_create", "POST", "/v1/tokens", 422, "unprocessable", token=admin,
             body=bad)
    tid = (made or {}).get("id", "0000000000000000")
    _, _, first = call(srv, "tokens_revoke", "DELETE", "/v1/tokens/" + tid, 200, token=admin)
    _, _, again = call(srv, "tokens_revoke", "DELETE", "/v1/tokens/" + tid, 200, token=admin)
    tap.ok(first and again and first.get("revoked_at") and
           first.get("revoked_at") == again.get("revoked_at"),
           "revoking twice keeps the first revoked_at", "%s / %s" % (first, again))
    call(srv, "tokens_revoke", "DELETE", "/v1/tokens/0123456789abcdef", 404, "not-found",
         token=admin)
    ice_id = T["ice"].split("_")[1]
    call(srv, "tokens_revoke", "DELETE", "/v1/tokens/" + ice_id, 404, "not-found", token=admin)
    call(srv, "tokens_revoke", "DELETE", "/v1/tokens/" + tid, 403, "forbidden", token=cm)


def subscriptions(srv):
    admin, cm = T["admin"], T["cm"]
    url = "http://127.0.0.1:9/hooks"
    subs = "/v1/subscriptions"
    _, _, made = call(srv, "subscriptions_create", "POST", subs, 201, token=admin,
                      body={"purpose": "child_welfare",
                            "types": ["hearing_scheduled", "hearing_outcome"], "url": url})
    call(srv, "subscriptions_create", "POST", subs, 403, "forbidden", token=cm,
         body={"purpose": "child_welfare", "types": ["hearing_outcome"], "url": url})
    _, _, js = call(srv, "subscriptions_create", "POST", subs, 403, "forbidden",
                    token=T["ice_admin"],
                    body={"purpose": "immigration_enforcement", "types": ["sponsor_application"],
                          "url": url})
    tap.ok("approps-2019-s224-sponsors" in (js or {}).get("reason", ""),
           "a refused subscription's reason names the constraint", str(js)[:300])
    for bad in ({"purpose": "child_welfare", "types": ["hearing_outcome"], "url": "ftp://x/"},
                {"purpose": "child_welfare", "types": ["nope"], "url": url},
                {"purpose": "child_welfare", "types": [], "url": url},
                {"purpose": "curiosity", "types": ["hearing_outcome"], "url": url},
                {"purpose": "child_welfare", "types": ["hearing_outcome"]},
                {"purpose": "child_welfare", "types": ["hearing_outcome"], "url": url, "x": 1}):
        call(srv, "subscriptions_create", "POST", subs, 422, "unprocessable", token=admin,
             body=bad)
    _, _, js = call(srv, "subscriptions_list", "GET", subs, 200, token=cm)
    tap.ok(js and len(js.get("subscriptions", [])) == 1 and "secret" not in str(js),
           "the list has the subscription and no secret", str(js)[:300])
    sid = (made or {}).get("id", "sub_0000000000000000")
    one = subs + "/" + sid
    unknown = subs + "/sub_0000000000000000"
    call(srv, "subscriptions_pause", "POST", one + "/pause", 200, token=admin)
    call(srv, "subscriptions_pause", "POST", one + "/pause", 409, "conflict", token=admin)
    call(srv, "subscriptions_pause", "POST", one + "/pause", 403, "forbidden", token=cm)
    call(srv, "subscriptions_pause", "POST", unknown + "/pause", 404, "not-found", token=admin)
    call(srv, "subscriptions_resume", "POST", one + "/resume", 200, token=admin)
    call(srv, "subscriptions_resume", "POST", one + "/resume", 409, "conflict", token=admin)
    call(srv, "subscriptions_resume", "POST", one + "/resume", 403, "forbidden", token=cm)
    call(srv, "subscriptions_resume", "POST", unknown + "/resume", 404, "not-found",
         token=admin)
    call(srv, "subscriptions_deliveries", "GET", one + "/deliveries", 200, token=cm)
    call(srv, "subscriptions_deliveries", "GET", one + "/deliveries?limit=10&offset=0", 200,
         token=admin)
    call(srv, "subscriptions_deliveries", "GET", one + "/deliveries?limit=0", 400,
         "bad-request", token=admin)
    call(srv, "subscriptions_deliveries", "GET", one + "/deliveries", 404, "not-found",
         token=T["ice_admin"])
    call(srv, "subscriptions_delete", "DELETE", one, 403, "forbidden", token=cm)
    call(srv, "subscriptions_delete", "DELETE", one, 404, "not-found", token=T["ice_admin"])
    call(srv, "subscriptions_delete", "DELETE", one, 200, token=admin)
    call(srv, "subscriptions_delete", "DELETE", one, 409, "conflict", token=admin)


def rate_limited(srv):
    """One request per second, no burst: a token's second request is 429,
    on every route that takes a token."""
    tok = T["cm"]
    call(srv, "me", "GET", "/v1/me", 200, token=tok)
    for opid, (m, tmpl, o) in OPS.items():
        if not tmpl.startswith("/v1/"):
            continue
        body = {} if "requestBody" in o else None
        call(srv, opid, m, example_path(tmpl), 429, "rate-limited", token=tok, body=body)


def audit_failing(srv):
    """The log refuses its first write: whatever needs an audit record is
    503 audit-unavailable from then on, and so is /healthz."""
    cm = T["cm"]
    call(srv, "healthz", "GET", "/healthz", 200)
    call(srv, "child_get", "GET", "/v1/children/C0001", 503, "audit-unavailable", token=cm,
         purpose="child_welfare")
    _, _, js = call(srv, "healthz", "GET", "/healthz", 503)
    tap.eq((js or {}).get("status"), "unavailable", "/healthz says unavailable")
    call(srv, "me", "GET", "/v1/me", 200, token=cm)
    for opid, path, body in (
            ("events_post", "/v1/events", event("oa-f1")),
            ("events_batch", "/v1/events/batch", {"events": [event("oa-f2")]}),
            ("children_list", "/v1/children", None),
            ("children_search", "/v1/children/search", {"a_number": "012345678"}),
            ("child_sponsors", "/v1/children/C0001/sponsors", None),
            ("policy_check", "/v1/policy/check", {"subject": "C0001"}),
            ("audit_subject", "/v1/audit/subjects/C0001", None),
            ("alerts_list", "/v1/alerts", None)):
        call(srv, opid, OPS[opid][0], path, 503, "audit-unavailable", token=cm,
             purpose="child_welfare", body=body)


def coverage():
    for opid, (m, tmpl, o) in OPS.items():
        tap.ok(any(200 <= s < 300 for s in seen[opid]),
               "%s (%s %s) answered a documented success" % (opid, m, tmpl),
               "statuses seen: %s" % sorted(seen[opid]))
        missing = sorted(set(o["responses"]) - {str(s) for s in seen[opid]})
        if missing:
            print("# %s: documented but not provoked here: %s" % (opid, ", ".join(missing)))


T = {}


def main():
    db = Db(jsonl=os.path.join(ROOT, "tests", "data", "good.jsonl"))
    env = {"SAFEKEEP_BODY_BYTES_MAX": str(BODY_MAX)}
    srv = None
    try:
        T["cm"] = db.token("ORR", "case_manager")
        T["admin"] = db.token("ORR", "administrator")
        T["oig"] = db.token("HHS-OIG", "auditor")
        T["ice"] = db.token("ICE", "officer")
        T["ice_admin"] = db.token("ICE", "administrator", user="u2")
        srv = Server(db, env)
        for part in (service, gatekeeping, events, children, policy, audit, notifications,
                     subscriptions, tokens):
            part(srv)
        srv.stop()
        srv = Server(db, dict(env, SAFEKEEP_RATE_PER_S="1", SAFEKEEP_RATE_BURST="1"))
        rate_limited(srv)
        srv.stop()
        srv = Server(db, dict(env, SAFEKEEP_TEST_AUDIT_FAIL_AFTER="1"))
        audit_failing(srv)
        srv.stop()
        srv = None
        coverage()
    finally:
        if srv is not None:
            srv.stop()
        db.cleanup()
    tap.done()


if __name__ == "__main__":
    main()
