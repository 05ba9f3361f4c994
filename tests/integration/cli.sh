#!/bin/sh
# Drives the real safekeep binary on temporary files and prints TAP.
# Run by tests/run.sh with SK_BIN set to the binary under test.
set -u
BIN=${SK_BIN:?SK_BIN must name the safekeep binary}
DATA=$(cd "$(dirname "$0")/../data" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export SAFEKEEP_DB="$TMP/t.db"
unset SAFEKEEP_KEY SAFEKEEP_KEY_FILE
. "$(cd "$(dirname "$0")/.." && pwd)/lib/tap.sh"


# --- init -----------------------------------------------------------------
expect_exit 0 "init creates a database" "$BIN" init
check "key file is mode 0600" [ "$(stat -c %a "$TMP/t.db.key")" = "600" ]
expect_exit 1 "init refuses an existing database" "$BIN" init
check "init says why" err_has "already exists"

# --- usage and help -------------------------------------------------------
for c in init import children child stats rebuild generate; do
    expect_exit 0 "$c --help exits 0" "$BIN" "$c" --help
    check "$c --help prints usage" out_has "usage: safekeep $c"
done
expect_exit 2 "unknown command is a usage error" "$BIN" frobnicate
expect_exit 2 "unknown option is a usage error" "$BIN" children --bogus
expect_exit 2 "import without files is a usage error" "$BIN" import
expect_exit 2 "bad --status is a usage error" "$BIN" children --status lost

# --- import and read back ---------------------------------------------------
expect_exit 0 "import good events" "$BIN" import "$DATA/good.jsonl"
check "import reports counts" out_has "imported 8 events, 2 new children"
expect_exit 0 "children lists" "$BIN" children
check "released child listed" out_has "C0001          released"
check "in-care child listed" out_has "C0002          in_care"
expect_exit 0 "children --status in_care" "$BIN" children --status in_care --json
check "status filter keeps C0002 only" [ "$(grep -c child_id "$TMP/out")" -eq 1 ]
check "status filter keeps C0002" out_has '"child_id":"C0002"'
expect_exit 0 "child show" "$BIN" child show C0001
check "timeline sorted: referral before admission" \
    [ "$(grep -n 'referral\|admission' "$TMP/out" | head -n1 | grep -c referral)" -eq 1 ]
check "timeline shows discharge" out_has "discharge_type=released_to_sponsor"
expect_exit 0 "child show --a-number finds by blind index" "$BIN" child show --a-number 012345678 --json
check "a-number lookup finds C0001" out_has '"child_id":"C0001"'
expect_exit 1 "unknown a-number is not found" "$BIN" child show --a-number 999999999
expect_exit 1 "unknown child is not found" "$BIN" child show C9999
expect_exit 0 "stats" "$BIN" stats --json
check "stats counts by status" out_has '"released":1,"discharged":0'
expect_exit 0 "rebuild" "$BIN" rebuild
check "rebuild reproduces the projections" out_has "(unchanged)"

# --- identity is encrypted at rest -----------------------------------------
check "no plaintext name in the database file" sh -c "! grep -aq 'Pascual' '$SAFEKEEP_DB' '$SAFEKEEP_DB-wal' 2>/dev/null"

# --- bad input: clear error, nothing written ---------------------------------
bad_jsonl() { # NAME LINE-CONTENT EXPECTED-ERROR-FRAGMENT
    before=$(dbstate)
    { cat "$DATA/good.jsonl" | sed 's/"t-e/"u-e/; s/C000/D000/'; printf '%s\n' "$2"; } >"$TMP/bad.jsonl"
    expect_exit 1 "bad jsonl ($1) is refused" "$BIN" import "$TMP/bad.jsonl"
    check "bad jsonl ($1) names file and line" err_has "bad.jsonl:9:"
    check "bad jsonl ($1) says what was expected" err_has "$3"
    check "bad jsonl ($1) leaves the database unchanged" [ "$(dbstate)" = "$before" ]
}
bad_jsonl "wrong type" '{"id":"x1","type":"wellness_call","occurred_at":"2023-06-01T00:00:00Z","agency":"ORR","user":"u","subjects":["D0001"],"payload":{"reached":"maybe"}}' "reached: expected true or false"
bad_jsonl "unknown enum" '{"id":"x2","type":"admission","occurred_at":"2023-06-01T00:00:00Z","agency":"ORR","user":"u","subjects":["D0001"],"payload":{"facility_id":"F1","placement_type":"hotel"}}' "placement_type: expected one of: shelter"
bad_jsonl "truncated line" '{"id":"x3","type":"admission","occurred_at":"2023-06-01T00:00:00Z","agen' "not valid JSON"
bad_jsonl "invalid UTF-8" "$(printf '{"id":"x4","type":"referral","occurred_at":"2023-06-01T00:00:00Z","agency":"ORR","user":"u","subjects":["D\377"],"payload":{}}')" "invalid UTF-8"
bad_jsonl "duplicated id" '{"id":"u-e1","type":"referral","occurred_at":"2023-06-01T00:00:00Z","agency":"ORR","user":"u","subjects":["D0001"],"payload":{}}' "already in the ledger"
bad_jsonl "unknown country" '{"id":"x5","type":"apprehension","occurred_at":"2023-06-01T00:00:00Z","agency":"CBP","user":"u","subjects":["D0009"],"payload":{"given_name":"A","family_name":"B","country_of_birth":"XX"}}' "country_of_birth: expected an ISO 3166-1"
bad_jsonl "event in the future" '{"id":"x6","type":"referral","occurred_at":"2099-06-01T00:00:00Z","agency":"ORR","user":"u","subjects":["D0001"],"payload":{}}' "occurred_at: in the future"

HDR='case_id,family_name,given_name,dob,country_of_birth,apprehension_date,referral_date,admission_date,facility_id,placement_type,release_date,release_address'
bad_csv() { # NAME ROW EXPECTED-FRAGMENT
    before=$(dbstate)
    printf '%s\r\nK1,Tzoc,Ana,2009-02-03,GT,2024-01-05,2024-01-06,2024-01-07,F-1,shelter,,\r\n%s\r\n' "$HDR" "$2" >"$TMP/bad.csv"
    expect_exit 1 "bad csv ($1) is refused" "$BIN" import "$TMP/bad.csv"
    check "bad csv ($1) names file and line" err_has "bad.csv:3:"
    check "bad csv ($1) says what was expected" err_has "$3"
    check "bad csv ($1) leaves the database unchanged" [ "$(dbstate)" = "$before" ]
    check "bad csv ($1) does not echo personal data" sh -c "! grep -q 'Quispe' '$TMP/err'"
}
bad_csv "bad date" 'K2,Quispe,Rosa,2009-02-31,PE,2024-01-05,,,,,,' "dob (column 4): expected a date"
bad_csv "unknown enum" 'K2,Quispe,Rosa,2009-02-03,PE,2024-01-05,,2024-01-07,F-2,hotel,,' "placement_type (column 10): expected one of"
bad_csv "missing required cell" 'K2,Quispe,Rosa,2009-02-03,PE,2024-01-05,,2024-01-07,,shelter,,' "facility_id (column 9): required when admission_date"
bad_csv "duplicated case id" 'K1,Quispe,Rosa,2009-02-03,PE,2024-01-05,,,,,,' "already in the ledger"
bad_csv "unterminated quote" 'K2,Quispe,Rosa,2009-02-03,PE,2024-01-05,,,,,,"12 Main' "unterminated"
bad_csv "name in the date column" 'K2,Quispe,Rosa,Quispe,PE,2024-01-05,,,,,,' "dob (column 4): expected a date"

# --- spreadsheet quirks: BOM, CRLF, quoted newline, people's dates ----------
printf '\357\273\277Case ID,Last Name,First Name,DOB,Country,Apprehension Date,Admission Date,Facility,Placement Type,Sponsor ID,Sponsor Family Name,Sponsor Given Name,Sponsor Category,Sponsor Relationship,Release Date,Release Address\r\nK7,Tzoc Xuc,Juana,3/4/2008,GT,14-Mar-2024,"March 16, 2024",F-9,Shelter,S9,Tzoc,Maria,2A,Aunt Uncle,4/20/2024,"12 Main St\r\nApt 3, Phoenix, AZ"\r\n' >"$TMP/quirks.csv"
expect_exit 0 "spreadsheet quirks import" "$BIN" import "$TMP/quirks.csv"
expect_exit 0 "quirky child shows" "$BIN" child show K7 --json
check "people's dates read" out_has '"apprehended":"2024-03-14","released":"2024-04-20"'
check "sponsor category kept" out_has '"category":"2A"'
check "quoted newline folded into the address" out_has '"address":"12 Main St Apt 3, Phoenix, AZ"'
expect_exit 1 "re-importing a sheet is refused" "$BIN" import "$TMP/quirks.csv"

# --- key handling --------------------------------------------------------------
chmod 644 "$TMP/t.db.key"
expect_exit 1 "a world-readable key file is refused" "$BIN" stats
check "and the operator is told to chmod" err_has "chmod 600"
chmod 600 "$TMP/t.db.key"
SAFEKEEP_KEY=$(printf '%064d' 7) "$BIN" stats >"$TMP/out" 2>"$TMP/err"
check "a wrong key is refused" [ $? -eq 1 ]
check "with a clear message" err_has "the key does not open this database"

# --- a generated population imports and matches the generator's own counts ---
export SAFEKEEP_DB="$TMP/gen.db"
expect_exit 0 "generate a small population" "$BIN" generate --children 300 --years 1 --seed 5 --out "$TMP/pop"
check "generate writes events, spreadsheet and truth" \
    [ -s "$TMP/pop/events.jsonl" ] && [ -s "$TMP/pop/cases.csv" ] && [ -s "$TMP/pop/truth.json" ]
"$BIN" generate --children 300 --years 1 --seed 5 --out "$TMP/pop2" >/dev/null 2>&1
check "same seed, same output" cmp -s "$TMP/pop/events.jsonl" "$TMP/pop2/events.jsonl"
expect_exit 0 "init for the population" "$BIN" init
expect_exit 0 "import the generated events" "$BIN" import "$TMP/pop/events.jsonl"
"$BIN" stats --json >"$TMP/stats.json"
truth() { sed -n "/\"custody\"/,/}/s/.*\"$1\": \([0-9]*\).*/\1/p" "$TMP/pop/truth.json"; }
dups=$(sed -n '/"duplicates"/,/}/s/.*"count": \([0-9]*\).*/\1/p' "$TMP/pop/truth.json" | head -n 1)
for st in referred in_care released discharged closed; do
    check "imported $st count equals the generator's" grep -q "\"$st\":$(truth "$st")[,}]" "$TMP/stats.json"
done
# Duplicate records (one apprehension under another agency's id) stay apprehended.
check "apprehended count is the generator's plus its duplicate records" \
    grep -q "\"apprehended\":$(($(truth apprehended) + dups))," "$TMP/stats.json"
SAFEKEEP_DB="$TMP/gen-csv.db" "$BIN" init >/dev/null
expect_exit 0 "import the generated spreadsheet" env SAFEKEEP_DB="$TMP/gen-csv.db" "$BIN" import "$TMP/pop/cases.csv"

echo "1..$n"
