# Shared by the HTTP integration tests (imported, not run): a TAP printer,
# a database set up through the real CLI, and the real daemon started on
# 127.0.0.1 with a free port. Python's standard library only.
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("SK_BIN") or sys.exit("SK_BIN must name the safekeep binary")


class Tap:
    """TAP output; each check is one numbered line."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=""):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {name}")
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}")
            if detail:
                for line in str(detail).splitlines()[:20]:
                    print(f"# {line}")
        sys.stdout.flush()
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, f"got {got!r}, wanted {want!r}")

    def done(self):
        print(f"1..{self.n}")
        sys.exit(1 if self.failed else 0)


def run(*args, env=None, check=True):
    """Runs the CLI; returns (exit code, stdout, stderr)."""
    p = subprocess.run([BIN, *args], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise RuntimeError(f"safekeep {' '.join(args)}: exit {p.returncode}: {p.stderr[:500]}")
    return p.returncode, p.stdout, p.stderr


class Db:
    """A scratch database with the example policy and the test children."""

    def __init__(self, jsonl=None, generate=0):
        self.dir = tempfile.mkdtemp(prefix="skhttp.")
        self.path = os.path.join(self.dir, "t.db")
        self.env = dict(os.environ)
        for k in ("SAFEKEEP_KEY", "SAFEKEEP_KEY_FILE", "SAFEKEEP_AUDIT_LOG", "SAFEKEEP_NOW"):
            self.env.pop(k, None)
        self.env["SAFEKEEP_DB"] = self.path
        self.cli("init")
        examples = os.path.join(ROOT, "examples")
        policies = sorted(os.path.join(examples, f) for f in os.listdir(examples) if f.endswith(".policy"))
        self.cli("agreement", "add", *policies)
        if jsonl:
            self.cli("import", jsonl)
        if generate:
            out = os.path.join(self.dir, "gen")
            self.cli("generate", "--children", str(generate), "--years", "2", "--seed", "7", "--out", out)
            self.cli("import", os.path.join(out, "events.jsonl"))

    def cli(self, *args, check=True):
        return run(*args, "--db", self.path, env=self.env, check=check) if args[0] in ("init",) else \
            run(*args, env=self.env, check=check)

    def token(self, agency, role, user="u1", expires=None):
        args = ["token", "create", "--agency", agency, "--user", user, "--role", role]
        if expires:
            args += ["--expires", expires]
        return self.cli(*args)[1].strip()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """safekeep serve on 127.0.0.1, port chosen by the kernel."""

    def __init__(self, db, extra_env=None, args=()):
        self.db = db
        self.port_file = os.path.join(db.dir, "port")
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        env = dict(db.env)
        env.update(extra_env or {})
        self.log = open(os.path.join(db.dir, "server.log"), "w")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--port-file", self.port_file, *args],
            env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        self.port = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.log_text())
            try:
                with open(self.port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    break
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        if self.port is None:
            self.stop()
            raise RuntimeError("server did not start: " + self.log_text())

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(os.path.join(self.db.dir, "server.log")) as f:
            return f.read()

    def request(self, method, path, token=None, purpose=None, body=None, headers=None,
                content_type="application/json", timeout=30):
        """Returns (status, headers dict (lower-case keys), body bytes, parsed JSON or None)."""
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if purpose is not None:
            h["Safekeep-Purpose"] = purpose
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
            if content_type:
                h["Content-Type"] = content_type
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=data, headers=h)
            resp = c.getresponse()
            raw = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
        finally:
            c.close()
        parsed = None
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            pass
        return resp.status, hdrs, raw, parsed

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def audit_records(db):
    """Every audit record of the database's log, through the CLI's verifier."""
    code, out, err = db.cli("audit", "verify", "--json", check=False)
    return code, out, err


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
