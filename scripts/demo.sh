#!/bin/sh
# The five-minute tour: a synthetic population (nobody in it is real),
# imported into a fresh embedded database, then read back the way a case
# manager would; then the HTTP API (safekeep serve) with a demo token for
# each example agency and role, and a few requests against it. Everything
# lives in ./demo/, which is recreated each run; the tokens are printed and
# kept in demo/tokens.txt (mode 0600), nowhere else.
#   sh scripts/demo.sh build/release/safekeep
# The server stays in the foreground until Ctrl-C; when stdin is not a
# terminal, or SAFEKEEP_DEMO_EXIT=1, it is stopped after the tour.
set -eu
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DIR=$(pwd)/demo
CHILDREN=${DEMO_CHILDREN:-2000}

rm -rf "$DIR"
mkdir -p "$DIR"
export SAFEKEEP_DB="$DIR/safekeep.db"
unset SAFEKEEP_KEY SAFEKEEP_KEY_FILE

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step safekeep generate --children "$CHILDREN" --years 2 --seed 7 --out demo/population
"$BIN" generate --children "$CHILDREN" --years 2 --seed 7 --out "$DIR/population"
step safekeep init
"$BIN" init
step safekeep import demo/population/events.jsonl
"$BIN" import "$DIR/population/events.jsonl"
step safekeep stats
"$BIN" stats
step safekeep children --status in_care --limit 5
"$BIN" children --status in_care --limit 5
step safekeep children --court-status failed_to_appear --limit 5
"$BIN" children --court-status failed_to_appear --limit 5
first=$("$BIN" children --court-status failed_to_appear --limit 1 --json | sed -n 's/.*"child_id":"\([^"]*\)".*/\1/p' | head -n 1)
if [ -n "$first" ]; then
    step safekeep child show "$first"
    "$BIN" child show "$first"
fi
second=$("$BIN" children --status released --limit 1 --offset 3 --json | sed -n 's/.*"child_id":"\([^"]*\)".*/\1/p' | head -n 1)
if [ -n "$second" ]; then
    step safekeep child show "$second"
    "$BIN" child show "$second"
fi
step safekeep rebuild
"$BIN" rebuild

EX=$(cd "$(dirname "$0")/../examples" && pwd)
step safekeep agreement add examples/*.policy
"$BIN" agreement add "$EX"/*.policy
step safekeep agreement list --at 2019-06-01
"$BIN" agreement list --at 2019-06-01
if [ -n "$second" ]; then
    check() { step safekeep policy check "$@"; "$BIN" policy check "$@" || true; }
    check --agency EOIR --role clerk --purpose court_proceedings --action read \
        --subject "$second" --fields address,hearing_dates,vetting_results
    check --agency ICE --role officer --purpose immigration_enforcement --action read \
        --subject "$second" --entity sponsor
    check --agency ICE --role officer --purpose immigration_enforcement --action read \
        --subject "$second" --entity sponsor --at 2018-08-01
    step safekeep audit who-accessed "$second"
    "$BIN" audit who-accessed "$second"
fi
step safekeep audit verify
"$BIN" audit verify
cat <<MSG

The database is demo/safekeep.db; its key is demo/safekeep.db.key (mode 0600).
Once the server below is stopped (it holds the audit log while it runs), try:
      export SAFEKEEP_DB=demo/safekeep.db
      $1 children --country HN --status released --limit 10
      $1 child show --a-number <an A-number from demo/population/cases.csv>
      $1 import demo/population/cases.csv     (into a fresh database: safekeep init --db other.db)
      $1 agreement show orr-ice-cbp-moa-2018-sponsor --at 2019-06-01
      $1 policy check --agency LSP-KIND --role attorney --purpose legal_representation \\
          --action read --subject <a child id> --json
MSG

# ---- the HTTP API ----

# One demo token per example agency and role (examples/roles.policy).
PAIRS="ORR:case_manager ORR:supervisor ORR:auditor ORR:administrator EOIR:clerk
LSP-KIND:attorney ICE:officer CBP:officer HHS-OIG:auditor DHS-OIG:auditor"
TOKENS="$DIR/tokens.txt"
step "safekeep token create --agency AGENCY --user demo.ROLE --role ROLE   (x10)"
(umask 077 && : >"$TOKENS")
chmod 600 "$TOKENS"
printf '%-9s %-14s %s\n' agency role token >>"$TOKENS"
for pair in $PAIRS; do
    agency=${pair%%:*}
    role=${pair#*:}
    tok=$("$BIN" token create --agency "$agency" --user "demo.$role" --role "$role")
    printf '%-9s %-14s %s\n' "$agency" "$role" "$tok" >>"$TOKENS"
done
cat "$TOKENS"
echo "(also in demo/tokens.txt, mode 0600; a token is shown only once and only its keyed hash is kept)"
token() { awk -v a="$1" -v r="$2" '$1 == a && $2 == r { print $3 }' "$TOKENS"; }

# Port 8420, or any free port when it is taken (--port-file says which).
SERVER_PID=""
start_server() {
    rm -f "$DIR/serve.port"
    "$BIN" serve --listen "127.0.0.1:$1" --port-file "$DIR/serve.port" >"$DIR/serve.log" 2>&1 &
    SERVER_PID=$!
    i=0
    while [ ! -s "$DIR/serve.port" ]; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null || [ "$i" -ge 100 ]; then
            kill -TERM "$SERVER_PID" 2>/dev/null || true
            wait "$SERVER_PID" 2>/dev/null || true
            SERVER_PID=""
            return 1
        fi
        i=$((i + 1))
        sleep 0.1
    done
}
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    sed 's/^/    /' "$DIR/serve.log"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step safekeep serve --listen 127.0.0.1:8420 --port-file demo/serve.port
if ! start_server 8420; then
    echo "port 8420 is taken: using a free port"
    start_server 0 || { cat "$DIR/serve.log" >&2; exit 1; }
fi
API="http://127.0.0.1:$(cat "$DIR/serve.port")"
echo "safekeepd is listening on $API/ (log: demo/serve.log)"

# Shows the command, runs it, then the status line and a short excerpt.
excerpt() {
    if command -v python3 >/dev/null 2>&1; then
        python3 "$DIR/excerpt.py" "$1" "$DIR/excerpt.state"
    else
        cut -c1-400 "$1"
        echo
    fi
}
call() { # title token purpose path
    printf '\n\033[1m# %s\033[0m\n' "$1"
    printf "curl -sS -H 'Authorization: Bearer %s' \\\\\n    -H 'Safekeep-Purpose: %s' %s%s\n" \
        "$2" "$3" "$API" "$4"
    curl -sS -o "$DIR/answer.json" -D "$DIR/answer.headers" \
        -H "Authorization: Bearer $2" -H "Safekeep-Purpose: $3" "$API$4" || return 0
    sed -n '1s/\r$//p' "$DIR/answer.headers"
    excerpt "$DIR/answer.json" | sed 's/^/    /'
    rm -f "$DIR/answer.json" "$DIR/answer.headers"
}

cat >"$DIR/excerpt.py" <<'PY'
# Prints the gist of one API answer: what was disclosed, or why not.
import json, sys, textwrap

def short(v, n=96):
    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
    return s if len(s) <= n else s[: n - 3] + "..."

def wrap(label, text):
    lines = textwrap.wrap(text, 92, initial_indent=label, subsequent_indent=" " * len(label))
    print("\n".join(lines))

def disclosure(d):
    rule = d.get("rule") or {}
    name = rule.get("kind") or "?"
    if rule.get("id"):
        name += " %s v%s" % (rule["id"], rule.get("version"))
    print("disclosure: by %s" % name)
    wrap("  fields:   ", ", ".join(d.get("fields", [])) or "-")
    if d.get("withheld"):
        wrap("  withheld: ", ", ".join(d["withheld"]))

try:
    with open(sys.argv[1], encoding="utf-8") as f:
        a = json.load(f)
except (OSError, ValueError):
    print(open(sys.argv[1], encoding="utf-8", errors="replace").read()[:400])
    sys.exit(0)
if isinstance(a, dict) and "child" in a:
    c = a["child"]
    shown = [k for k, v in c.items() if v not in (None, [], {})]
    wrap("child: ", ", ".join(shown))
    # Compared with the first child answer of the tour: what the mask took.
    state = sys.argv[2] if len(sys.argv) > 2 else None
    try:
        with open(state, encoding="utf-8") as f:
            first = json.load(f)
        gone = [k for k in first if k not in shown]
        if gone:
            wrap("  masked out: ", ", ".join(gone))
    except (OSError, TypeError, ValueError):
        if state:
            with open(state, "w", encoding="utf-8") as f:
                json.dump(shown, f)
    for k in ("id", "custody", "court", "released_at"):
        if k in c:
            print("  %s: %s" % (k, short(c[k])))
    if "identity" in c:
        wrap("  identity: ", ", ".join(sorted(c["identity"])))
    if "timeline" in c:
        print("  timeline: %d events" % len(c["timeline"]))
    disclosure(a.get("disclosure", {}))
elif isinstance(a, dict) and str(a.get("type", "")).startswith("urn:safekeep:problem:"):
    print("problem: %s (%s)" % (a.get("title"), a["type"].rsplit(":", 1)[1]))
    if "rule" in a:
        r = a["rule"]
        print("  rule:   %s %s v%s" % (r.get("kind"), r.get("id"), r.get("version")))
    wrap("  reason: ", str(a.get("reason") or a.get("detail")))
elif isinstance(a, dict) and "records" in a:
    recs = a["records"]
    print("%s decisions about %s; the latest:" % (a.get("total", len(recs)), a.get("subject")))
    for r in recs[-6:]:
        print("  %s %s/%s %s %s %s %s %s" % (r.get("time"), r.get("agency"), r.get("role"),
              r.get("purpose"), r.get("action"), r.get("entity"), str(r.get("decision")).upper(),
              r.get("rule_id") or r.get("rule_kind")))
else:
    print(short(a, 400))
PY

if [ -n "$second" ]; then
    call "1. a permit: an ORR case manager reads a child, for child_welfare" \
        "$(token ORR case_manager)" child_welfare "/v1/children/$second"
    call "2. a field-masked permit: an EOIR clerk, for court_proceedings (the docket fields only)" \
        "$(token EOIR clerk)" court_proceedings "/v1/children/$second"
    call "3. a denial by constraint: an ICE officer asks for the child's sponsors, for immigration_enforcement" \
        "$(token ICE officer)" immigration_enforcement "/v1/children/$second/sponsors"
    call "4. where the audit shows them: the HHS Inspector General asks who accessed the child" \
        "$(token HHS-OIG auditor)" oversight "/v1/audit/subjects/$second?limit=1000"
fi
cat <<MSG

The API is at $API/ (docs/api.md; $API/openapi.json; $API/metrics).
Every answer above, permit or denial, was recorded in the audit log before it was sent.
Any token from the table above goes in 'Authorization: Bearer ...'; the purpose in Safekeep-Purpose.
MSG

if [ "${SAFEKEEP_DEMO_EXIT:-0}" = 1 ] || [ ! -t 0 ]; then
    step "stopping the server (stdin is not a terminal, or SAFEKEEP_DEMO_EXIT=1)"
    stop_server
else
    echo "The server runs until Ctrl-C."
    # Ctrl-C stops the server the way SIGTERM does: requests in flight are
    # finished and the audit log is flushed; then the log is verified.
    trap 'stop_server' INT TERM
    while [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; do
        wait "$SERVER_PID" 2>/dev/null || true
    done
    trap 'exit 130' INT
    trap 'exit 143' TERM
    stop_server
fi
step safekeep audit verify
"$BIN" audit verify
