#!/usr/bin/env python3
# webhook.py: webhooks signed and sent by libsafekeep (sk_webhook_post) must
# verify under an independent implementation of the Standard Webhooks
# convention, written here with Python's hmac, hashlib and base64.
#
# A receiver (http.server) listens on 127.0.0.1 with a free port, and the
# unit-test binary test_webhook is run with SK_WEBHOOK_TEST_URL and
# SK_WEBHOOK_TEST_SECRET set, which makes it post one webhook there and
# expect it delivered. The receiver answers 204 only when the signature
# (HMAC-SHA256 over id.timestamp.body, base64, "v1," prefix) checks and the
# timestamp is within five minutes, and 401 otherwise. A second run gives the
# receiver another secret: it must refuse, and the sender must see a
# permanent failure (the binary exits non-zero). Python's standard library
# only; prints TAP.
import base64
import hashlib
import hmac
import os
import secrets
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from skhttp import BIN, Tap  # noqa: E402

TEST_BIN = os.path.join(os.path.dirname(BIN), "tests", "test_webhook")
TOLERANCE = 300

tap = Tap()


def verify(secret, msg_id, ts, sig_header, body):
    """The receiver's check, from the convention's text alone."""
    if not secret.startswith("whsec_"):
        return False
    key = base64.b64decode(secret[len("whsec_"):], validate=True)
    try:
        if abs(time.time() - int(ts)) > TOLERANCE:
            return False
    except ValueError:
        return False
    signed = msg_id.encode() + b"." + ts.encode() + b"." + body
    want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for entry in sig_header.split(" "):
        version, _, sig = entry.partition(",")
        if version == "v1" and hmac.compare_digest(sig, want):
            return True
    return False


class Receiver(BaseHTTPRequestHandler):
    secret = ""
    seen = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        h = {k.lower(): v for k, v in self.headers.items()}
        good = verify(self.secret, h.get("webhook-id", ""), h.get("webhook-timestamp", ""),
                      h.get("webhook-signature", ""), body)
        Receiver.seen.append((self.path, h, body, good))
        self.send_response(204 if good else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def new_secret():
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def post_once(srv, sender_secret):
    env = dict(os.environ)
    for k in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    env["SK_WEBHOOK_TEST_URL"] = "http://127.0.0.1:%d/hooks/safekeep" % srv.server_address[1]
    env["SK_WEBHOOK_TEST_SECRET"] = sender_secret
    env.pop("CMOCKA_MESSAGE_OUTPUT", None)
    p = subprocess.run([TEST_BIN], capture_output=True, text=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=60)
    return p.returncode, p.stdout + p.stderr


def main():
    if not os.access(TEST_BIN, os.X_OK):
        print("ok 1 # SKIP %s not built" % TEST_BIN)
        print("1..1")
        return
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        secret = new_secret()
        Receiver.secret = secret
        rc, out = post_once(srv, secret)
        tap.eq(rc, 0, "sender reports the webhook delivered")
        if rc != 0:
            tap.ok(False, "sender output", out)
        tap.eq(len(Receiver.seen), 1, "one request arrived")
        if Receiver.seen:
            path, h, body, good = Receiver.seen[-1]
            tap.ok(good, "signature verifies under Python's HMAC-SHA256")
            tap.eq(path, "/hooks/safekeep", "path as in the URL")
            tap.eq(h.get("content-type"), "application/json", "content type")
            tap.eq(h.get("webhook-id"), "msg_external_1", "webhook-id header")
            tap.ok(h.get("webhook-timestamp", "").isdigit(), "webhook-timestamp is decimal")
            tap.ok(h.get("webhook-signature", "").startswith("v1,"), "signature is v1")
            tap.ok(body.startswith(b'{"event":"alert.opened"') and "café".encode() in body,
                   "body arrives byte for byte (UTF-8 included)")

        Receiver.secret = new_secret()  # the receiver now holds another secret
        rc, out = post_once(srv, secret)
        tap.ok(rc != 0, "a refused webhook is not reported delivered")
        tap.ok("outcome failed status 401" in out, "401 is a permanent failure", out)
        tap.ok(len(Receiver.seen) == 2 and not Receiver.seen[-1][3],
               "receiver refuses a signature under another secret")
    finally:
        srv.shutdown()
    tap.done()


main()
