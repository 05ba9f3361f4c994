#!/bin/sh
# Import benchmark: the 5-year national population (448,000 children) as a
# case spreadsheet, imported by safekeep (full validation, encryption of
# identities, blind indexes, ledger, projections, one transaction) and, in
# the same run, by a raw `sqlite3 .import` of the same CSV into a plain
# table. Prints both rates, their ratio, and peak memory.
#   sh bench/import.sh [CHILDREN] [YEARS]     (defaults 448000 5)
set -eu
BIN=${SK_BIN:-$(pwd)/build/release/safekeep}
N=${1:-448000}
Y=${2:-5}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

[ -x "$BIN" ] || { echo "build first: make" >&2; exit 1; }
echo "generating $N children over $Y years..."
/usr/bin/time -f "%e %M" -o "$W/gen.time" "$BIN" generate --children "$N" --years "$Y" --seed 1 --out "$W/pop" >/dev/null
rows=$(($(wc -l <"$W/pop/cases.csv") - 1))
events=$(wc -l <"$W/pop/events.jsonl")
mb=$(du -m "$W/pop/cases.csv" | cut -f1)
echo "generated: $rows rows (${mb} MB CSV), $events events; $(cut -d' ' -f1 "$W/gen.time") s, peak $(($(cut -d' ' -f2 "$W/gen.time") / 1024)) MB"

# Raw baseline: a plain table, no validation, no indexes, WAL like safekeep.
/usr/bin/time -f "%e %M" -o "$W/raw.time" sqlite3 "$W/raw.db" \
    "PRAGMA journal_mode=WAL;" ".mode csv" ".import $W/pop/cases.csv cases" >/dev/null
raw_s=$(cut -d' ' -f1 "$W/raw.time")

export SAFEKEEP_DB="$W/sk.db"
"$BIN" init >/dev/null
/usr/bin/time -f "%e %M" -o "$W/sk.time" "$BIN" import --quiet "$W/pop/cases.csv"
sk_s=$(cut -d' ' -f1 "$W/sk.time")
sk_kb=$(cut -d' ' -f2 "$W/sk.time")
ledger=$(sqlite3 "$W/sk.db" "SELECT count(*) FROM ledger")

/usr/bin/time -f "%e %M" -o "$W/jl.time" sh -c "rm -f '$W/sk.db'* && '$BIN' init >/dev/null && '$BIN' import --quiet '$W/pop/events.jsonl'"
jl_s=$(cut -d' ' -f1 "$W/jl.time")
jl_kb=$(cut -d' ' -f2 "$W/jl.time")

awk -v rows="$rows" -v raw="$raw_s" -v sk="$sk_s" -v kb="$sk_kb" -v rkb="$(cut -d' ' -f2 "$W/raw.time")" \
    -v ledger="$ledger" -v ev="$events" -v jl="$jl_s" -v jkb="$jl_kb" 'BEGIN {
    printf "sqlite3 .import (raw)    : %8.2f s  %9.0f rows/s  peak %5.0f MB\n", raw, rows / raw, rkb / 1024
    printf "safekeep import cases.csv: %8.2f s  %9.0f rows/s  peak %5.0f MB  (%d ledger events, %.0f events/s)\n", sk, rows / sk, kb / 1024, ledger, ledger / sk
    printf "ratio safekeep/raw       : %8.3f x\n", raw / sk
    printf "safekeep import events.jsonl: %8.2f s  %9.0f events/s  peak %5.0f MB\n", jl, ev / jl, jkb / 1024
}'
