#!/bin/sh
# Drives safekeep alerts on tests/data/good.jsonl: C0001 (apprehended by CBP
# 2023-03-01, released to sponsor S0001 on 2023-04-03, which settles the
# sponsor application, with no call and no notice to appear) and C0002 (in
# care). Checks the
# clock (--at), the filters, JSON output, usage errors, and that listing
# alerts writes nothing to the audit log. Prints TAP. POSIX sh.
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
echo "1..$n"
