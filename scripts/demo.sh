#!/bin/sh
# The five-minute tour: a synthetic population (nobody in it is real),
# imported into a fresh embedded database, then read back the way a case
# manager would. Everything lives in ./demo/, which is recreated each run.
#   sh scripts/demo.sh build/release/safekeep
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
Try:  export SAFEKEEP_DB=demo/safekeep.db
      $1 children --country HN --status released --limit 10
      $1 child show --a-number <an A-number from demo/population/cases.csv>
      $1 import demo/population/cases.csv     (into a fresh database: safekeep init --db other.db)
      $1 agreement show orr-ice-cbp-moa-2018-sponsor --at 2019-06-01
      $1 policy check --agency LSP-KIND --role attorney --purpose legal_representation \\
          --action read --subject <a child id> --json
MSG
