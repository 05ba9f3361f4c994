#!/bin/sh
# Drives safekeep alerts on tests/data/good.jsonl: C0001 (apprehended by CBP
# 2023-03-01, released to sponsor S0001 on 2023-04-03, which settles the
# sponsor application, with no call and no notice to appear) and C0002 (in
# care). Checks the
# clock (--at), the filters, JSON output, usage errors, and that listing
# alerts writes nothing to the audit log; then safekeep alert ack/resolve
# (owner only, state checks, --json who and when, kept by a rebuild).
# Prints TAP. POSIX sh.
set -u
BIN=${SK_BIN:?SK_BIN must name the safekeep binary}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA="$ROOT/tests/data"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export SAFEKEEP_DB="$TMP/t.db"
unset SAFEKEEP_KEY SAFEKEEP_KEY_FILE SAFEKEEP_NOW SAFEKEEP_AUDIT_LOG
. "$ROOT/tests/lib/tap.sh"

expect_exit 0 "init" "$BIN" init
expect_exit 0 "import good.jsonl" "$BIN" import "$DATA/good.jsonl"
audit_before=$(cat "$TMP/t.db.audit" 2>/dev/null | wc -c)

expect_exit 0 "alerts --help" "$BIN" alerts --help
check "help says the audit log is not written" out_has "not recorded in the audit log"

# The 30-day call falls due at 2023-05-03T10:00:00Z.
expect_exit 0 "one second before the call is due" "$BIN" alerts --at 2023-05-03T09:59:59Z
check "nothing raised yet" [ "$(grep -c wellness_call_30d "$TMP/out")" -eq 0 ]
expect_exit 0 "at the due time" "$BIN" alerts --at 2023-05-03T10:00:00Z
check "the call alert is open" out_has "wellness_call_30d   C0001          ORR        open"
check "pending alerts are not listed" [ "$(grep -c nta_not_filed "$TMP/out")" -eq 0 ]
expect_exit 0 "--all lists pending alerts" "$BIN" alerts --at 2023-05-03T10:00:00Z --all
check "the notice to appear is pending" out_has "nta_not_filed       C0001          ICE        pending"

# By 2024 the call and the notice to appear are overdue; the release to the
# sponsor settled the application, so no sponsor alert.
expect_exit 0 "a year later" "$BIN" alerts --at 2024-05-01
check "two alerts" [ "$(grep -c C0001 "$TMP/out")" -eq 2 ]
check "no sponsor alert" [ "$(grep -c sponsor_pending_90d "$TMP/out")" -eq 0 ]
check "C0002 (in care, on time) has none" [ "$(grep -c C0002 "$TMP/out")" -eq 0 ]
expect_exit 0 "--agency ICE" "$BIN" alerts --at 2024-05-01 --agency ICE
check "only ICE's alert" [ "$(grep -c C0001 "$TMP/out")" -eq 1 ]
check "it is the notice to appear" out_has "nta_not_filed"
expect_exit 0 "--overdue --rule" "$BIN" alerts --at 2024-05-01 --overdue --rule wellness_call_30d
check "only the call alert" [ "$(grep -c C0001 "$TMP/out")" -eq 1 ]
check "it is the call" out_has "wellness_call_30d"
expect_exit 0 "--json" "$BIN" alerts --at 2024-05-01 --json --agency ICE
check "one JSON line" [ "$(wc -l <"$TMP/out")" -eq 1 ]
check "stable id" out_has '"id":"nta_not_filed:C0001:t-e5"'
check "due time" out_has '"due_at":"2023-07-02T10:00:00Z","state":"open"'

# A late call resolves the call alert, which stays on record.
cat >"$TMP/late.jsonl" <<'JSON'
{"id":"t-w1","type":"wellness_call","occurred_at":"2023-05-20T10:00:00Z","agency":"ORR","user":"cm.0042","subjects":["C0001"],"payload":{"reached":true}}
JSON
expect_exit 0 "import a late call" "$BIN" import "$TMP/late.jsonl"
expect_exit 0 "after the call" "$BIN" alerts --at 2024-05-01 --json --rule wellness_call_30d
check "resolved by the call" out_has '"state":"resolved","resolved_at":"2023-05-20T10:00:00Z","resolved_by":"t-w1"'
expect_exit 0 "--overdue after the call" "$BIN" alerts --at 2024-05-01 --overdue --rule wellness_call_30d
check "no longer overdue" [ "$(grep -c C0001 "$TMP/out")" -eq 0 ]
expect_exit 0 "SAFEKEEP_NOW is the default clock" env SAFEKEEP_NOW=2023-05-10T00:00:00Z "$BIN" alerts
check "open as of SAFEKEEP_NOW" out_has "wellness_call_30d   C0001          ORR        open"

expect_exit 2 "bad --at" "$BIN" alerts --at yesterday
expect_exit 2 "bad --rule" "$BIN" alerts --rule nope
expect_exit 2 "stray argument" "$BIN" alerts extra
expect_exit 1 "missing database" "$BIN" alerts --db "$TMP/none.db"
check "the audit log did not grow" [ "$(cat "$TMP/t.db.audit" 2>/dev/null | wc -c)" -eq "$audit_before" ]
# People on record: the owner acknowledges, then resolves by hand. These
# record events, so they come after the audit-log check above.
NTA=nta_not_filed:C0001:t-e5
expect_exit 0 "alert --help" "$BIN" alert --help
check "help says the agency is required" out_has "required, and it must own the alert"
expect_exit 2 "ack without --agency/--user" "$BIN" alert ack "$NTA" --at 2024-05-01
expect_exit 2 "ack without an id" "$BIN" alert ack --agency ICE --user off.7
expect_exit 1 "ack of an unknown alert" "$BIN" alert ack nope:C0001:t-e5 --agency ICE --user off.7 --at 2024-05-01
expect_exit 2 "ack by another agency" "$BIN" alert ack "$NTA" --agency ORR --user cm.0042 --at 2024-05-01
expect_exit 1 "ack of a resolved alert" "$BIN" alert ack wellness_call_30d:C0001:t-e5 --agency ORR --user cm.0042 --at 2024-05-01
expect_exit 1 "ack of an alert not yet due" "$BIN" alert ack "$NTA" --agency ICE --user off.7 --at 2023-06-01
expect_exit 0 "ack by the owner" "$BIN" alert ack "$NTA" --agency ICE --user off.7 --at 2024-05-01T09:00:00Z --note "checking the court file"
expect_exit 1 "ack twice" "$BIN" alert ack "$NTA" --agency ICE --user off.7 --at 2024-05-02
expect_exit 0 "listed as acknowledged" "$BIN" alerts --at 2024-05-02 --agency ICE
check "state and who" out_has "acknowledged ICE/off.7 2024-05-01T09:00:00Z"
expect_exit 0 "before the ack" "$BIN" alerts --at 2024-05-01T08:00:00Z --agency ICE
check "still open before it" out_has "ICE        open"
expect_exit 0 "--overdue keeps acknowledged alerts" "$BIN" alerts --at 2024-05-02 --overdue --agency ICE
check "the acknowledged alert is overdue" out_has "nta_not_filed"
expect_exit 2 "resolve without --note" "$BIN" alert resolve "$NTA" --agency ICE --user off.7 --at 2024-05-03
expect_exit 2 "resolve by another agency" "$BIN" alert resolve "$NTA" --agency ORR --user cm.0042 --note "x" --at 2024-05-03
expect_exit 0 "resolve by hand" "$BIN" alert resolve "$NTA" --agency ICE --user off.7 --at 2024-05-03T12:00:00Z --note "filed on paper, not in the system"
expect_exit 1 "resolve twice" "$BIN" alert resolve "$NTA" --agency ICE --user off.7 --note "again" --at 2024-05-04
expect_exit 0 "--json shows who and when" "$BIN" alerts --at 2024-05-04 --json --agency ICE
check "acknowledged who and when" out_has '"acknowledged":{"at":"2024-05-01T09:00:00Z","agency":"ICE","user":"off.7"}'
check "resolved by hand" out_has '"resolved":{"at":"2024-05-03T12:00:00Z","by_event":null,"agency":"ICE","user":"off.7","by_hand":true}'
check "state resolved" out_has '"state":"resolved","resolved_at":"2024-05-03T12:00:00Z"'
check "notes are not listed" [ "$(grep -c "on paper" "$TMP/out")" -eq 0 ]
check "resolved by the call: by_event set, never acknowledged" sh -c '"$0" alerts --at 2024-05-04 --json --agency ORR | grep -q "\"acknowledged\":null,\"resolved\":{\"at\":\"2023-05-20T10:00:00Z\",\"by_event\":\"t-w1\""' "$BIN"
expect_exit 0 "rebuild" "$BIN" rebuild
expect_exit 0 "after the rebuild" "$BIN" alerts --at 2024-05-04 --agency ICE
check "still resolved by hand" out_has "resolved     by hand ICE/off.7 2024-05-03T12:00:00Z"
echo "1..$n"
