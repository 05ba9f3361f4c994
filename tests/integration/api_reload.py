# SIGHUP reloads the adopted policy: an agreement added with the CLI while
# the daemon runs is in force for the daemon only after the signal, and a
# decision that needed it changes from deny to permit. Prints TAP.
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from skhttp import ROOT, Db, Server, Tap  # noqa: E402

NEW_AGREEMENT = """\
agreement test-reload-lsp-hearings
    version: 1
    title: A test agreement: ORR shows KIND the hearing dates of children in care
    citation: test fixture, not a real instrument
    provider: ORR
    recipients: LSP-KIND
    actions: read
    purposes: legal_representation
    entities: child, hearing
    fields: hearing_dates, court_id
    effective: 2000-01-01
    reason: test fixture
"""


def ids(srv, token):
    st, _, _, js = srv.request("GET", "/v1/agreements", token=token)
    return st, sorted(a["id"] for a in (js or {}).get("agreements", []))


def main():
    tap = Tap()
    db = Db(jsonl=os.path.join(ROOT, "tests", "data", "good.jsonl"))
    kind = db.token("LSP-KIND", "attorney")
    srv = Server(db)
    try:
        st, before = ids(srv, kind)
        tap.eq(st, 200, "agreements listed")
        tap.ok("test-reload-lsp-hearings" not in before, "the test agreement is not adopted yet")
        child = "/v1/children/C0002?fields=hearing_dates"
        st, _, _, js = srv.request("GET", child, token=kind, purpose="legal_representation")
        tap.eq(st, 403, "KIND may not read C0002's hearings before the agreement")

        path = os.path.join(db.dir, "reload.policy")
        with open(path, "w") as f:
            f.write(NEW_AGREEMENT)
        db.cli("agreement", "add", path)
        st, after_add = ids(srv, kind)
        tap.eq(after_add, before, "adopted in the database, but the running daemon has not reloaded")

        srv.proc.send_signal(signal.SIGHUP)
        deadline, now = time.time() + 10, before
        while time.time() < deadline and "test-reload-lsp-hearings" not in now:
            time.sleep(0.05)
            _, now = ids(srv, kind)
        tap.eq(sorted(set(now) - set(before)), ["test-reload-lsp-hearings"],
               "after SIGHUP the daemon lists exactly the new agreement")
        st, _, _, js = srv.request("GET", child, token=kind, purpose="legal_representation")
        tap.eq(st, 200, "KIND may read C0002's hearing dates under the new agreement")
        tap.eq(((js or {}).get("disclosure") or {}).get("rule"),
               {"kind": "agreement", "id": "test-reload-lsp-hearings", "version": 1},
               "the disclosure names the new agreement")
        tap.ok(srv.alive(), "the daemon is still running after SIGHUP")
        code = srv.stop()
        tap.eq(code, 0, "SIGTERM after a reload exits 0")
        if code != 0:
            print("# " + srv.log_text()[-3000:].replace("\n", "\n# "))
        tap.ok("policy reloaded" in srv.log_text(), "the daemon logged the reload")
    finally:
        if srv.alive():
            srv.stop()
        db.cleanup()
    tap.done()


main()
