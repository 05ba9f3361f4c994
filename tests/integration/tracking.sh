#!/bin/sh
# safekeep report tracking against the generator's own truth: a generated
# five-year population is imported and every category of the report must
# equal truth.json's "tracking" object exactly, as of the end of the window.
# Run by tests/run.sh with SK_BIN set to the binary under test; prints TAP.
set -u
BIN=${SK_BIN:?SK_BIN must name the safekeep binary}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
unset SAFEKEEP_KEY SAFEKEEP_KEY_FILE SAFEKEEP_NOW
. "$(cd "$(dirname "$0")/.." && pwd)/lib/tap.sh"

CATEGORIES="missed_hearing in_absentia_order without_nta_after_days address_blank address_undeliverable unreached_after_release"

# A count from truth.json: top-level KEY, or KEY inside the "tracking" object.
truth_top() { sed -n "s/^  \"$2\": \([0-9]*\),*$/\1/p" "$1" | head -n 1; }
truth_tracking() { sed -n "/^  \"tracking\"/,/^  }/s/^    \"$2\": \([0-9]*\),*$/\1/p" "$1"; }
truth_window_end() { sed -n 's/.*"window": {.*"to": "\([^"]*\)"}.*/\1/p' "$1"; }
# A count from the report's one-line JSON: a top-level KEY, or a category.
report_top() { sed 's/,"categories".*//' "$1" | tr ',' '\n' | sed -n "s/^\"$2\":\([0-9]*\)$/\1/p"; }
report_category() { sed -n "s/.*\"$2\":{\"children\":\([0-9]*\),.*/\1/p" "$1"; }

same() { # NAME WANT GOT
    if [ -n "$2" ] && [ "$2" = "$3" ]; then ok "$1 ($2)"; else not_ok "$1" "truth '$2', report '$3'"; fi
}

# compare SEED: generate, import the events, report, compare category by category.
compare() {
    seed=$1
    dir="$TMP/pop$seed"
    export SAFEKEEP_DB="$TMP/s$seed.db"
    expect_exit 0 "seed $seed: generate 2000 children over 5 years" \
        "$BIN" generate --children 2000 --years 5 --seed "$seed" --out "$dir"
    expect_exit 0 "seed $seed: init" "$BIN" init
    expect_exit 0 "seed $seed: import the events" "$BIN" import "$dir/events.jsonl"
    end=$(truth_window_end "$dir/truth.json")
    expect_exit 0 "seed $seed: report tracking --json --at $end" \
        "$BIN" report tracking --json --at "$end"
    cp "$TMP/out" "$TMP/report$seed.json"
    same "seed $seed: as of the window end" "\"at\":\"$end\"" \
        "$(grep -o "\"at\":\"[^\"]*\"" "$TMP/report$seed.json")"
    same "seed $seed: nta_days is truth's" "$(truth_tracking "$dir/truth.json" nta_days)" \
        "$(report_top "$TMP/report$seed.json" nta_days)"
    # Each duplicate record is a child record of its own in the ledger.
    same "seed $seed: children = truth records" "$(truth_top "$dir/truth.json" records)" \
        "$(report_top "$TMP/report$seed.json" children)"
    same "seed $seed: released = truth released" "$(truth_top "$dir/truth.json" released)" \
        "$(report_top "$TMP/report$seed.json" released)"
    for cat in $CATEGORIES; do
        same "seed $seed: $cat = truth" "$(truth_tracking "$dir/truth.json" "$cat")" \
            "$(report_category "$TMP/report$seed.json" "$cat")"
    done
}

compare 11
compare 23

# The table names every category with its count and what it is out of.
export SAFEKEEP_DB="$TMP/s11.db"
end=$(truth_window_end "$TMP/pop11/truth.json")
expect_exit 0 "text table" "$BIN" report tracking --at "$end"
check "table: missed_hearing out of children" \
    grep -qE "^missed_hearing +$(truth_tracking "$TMP/pop11/truth.json" missed_hearing) +$(truth_top "$TMP/pop11/truth.json" records) children " "$TMP/out"
check "table: every category has a row" [ "$(grep -cE '^(missed_hearing|in_absentia_order|without_nta_after_days|address_blank|address_undeliverable|unreached_after_release) ' "$TMP/out")" -eq 6 ]
check "table: released categories are out of released" \
    [ "$(grep -cE " $(truth_top "$TMP/pop11/truth.json" released) released +[0-9]+ +[0-9]+ +[-0-9/]+$" "$TMP/out")" -eq 4 ]
check "table: no child id printed" sh -c "! grep -q 'C[0-9]\{7\}' '$TMP/out'"

# A date means its last second: the same report as the RFC 3339 window end.
expect_exit 0 "--at YYYY-MM-DD" "$BIN" report tracking --json --at "$(echo "$end" | cut -c1-10)"
check "a date is its last second" cmp -s "$TMP/out" "$TMP/report11.json"

# --nta-days changes only without_nta_after_days; 0 days: every released child without a notice.
expect_exit 0 "--nta-days 0" "$BIN" report tracking --json --at "$end" --nta-days 0
n0=$(report_category "$TMP/out" without_nta_after_days)
n90=$(report_category "$TMP/report11.json" without_nta_after_days)
check "fewer days, at least as many children without a notice" [ "$n0" -ge "$n90" ]
check "the other categories do not move" [ "$(report_category "$TMP/out" address_blank)" = "$(report_category "$TMP/report11.json" address_blank)" ]
check "nta_days echoed" out_has '"nta_days":0,'

# An earlier date sees less.
expect_exit 0 "--at an earlier date" "$BIN" report tracking --json --at 2022-06-30
check "fewer children a few years earlier" [ "$(report_top "$TMP/out" children)" -lt "$(report_top "$TMP/report11.json" children)" ]

# Reading counts writes no audit record (a listing does, which creates the log).
"$BIN" children --limit 1 >/dev/null 2>&1
audit_size() { wc -c <"$SAFEKEEP_DB.audit"; }
audit_before=$(audit_size)
"$BIN" report tracking --at "$end" >/dev/null 2>&1
"$BIN" report tracking --json >/dev/null 2>&1
check "the audit log exists" [ "$audit_before" -gt 0 ]
check "no audit record written" [ "$(audit_size)" = "$audit_before" ]

# The spreadsheet path: cases.csv carries the release (date, type, address),
# the notice's date, but only the first hearing and the first wellness call,
# so the counts that depend on the release alone must match the truth.
export SAFEKEEP_DB="$TMP/csv.db"
expect_exit 0 "csv: init" "$BIN" init
expect_exit 0 "csv: import cases.csv" "$BIN" import "$TMP/pop11/cases.csv"
expect_exit 0 "csv: report" "$BIN" report tracking --json --at "$end"
same "csv: children = truth records" "$(truth_top "$TMP/pop11/truth.json" records)" "$(report_top "$TMP/out" children)"
same "csv: released = truth released" "$(truth_top "$TMP/pop11/truth.json" released)" "$(report_top "$TMP/out" released)"
for cat in without_nta_after_days address_blank address_undeliverable; do
    same "csv: $cat = truth" "$(truth_tracking "$TMP/pop11/truth.json" "$cat")" "$(report_category "$TMP/out" "$cat")"
done

# Usage.
expect_exit 0 "report --help" "$BIN" report --help
check "help prints usage" out_has "usage: safekeep report tracking"
check "help says no audit record" out_has "no audit record"
expect_exit 0 "report tracking --help" "$BIN" report tracking --help
expect_exit 2 "report without a name" "$BIN" report
expect_exit 2 "unknown report" "$BIN" report lost
expect_exit 2 "bad --at" "$BIN" report tracking --at yesterday
expect_exit 2 "bad --nta-days" "$BIN" report tracking --nta-days -1
expect_exit 2 "--nta-days too large" "$BIN" report tracking --nta-days 3651
expect_exit 2 "unexpected argument" "$BIN" report tracking extra

echo "1..$n"
