#!/bin/sh
# Drives the real safekeep binary through webhook subscriptions and the
# outbox: subscription create (refused and accepted) | list | pause |
# resume | delete, an import whose events fill the outbox, and safekeep
# outbox. Uses the shipped examples/*.policy and a small generated
# population. Prints TAP. Run by tests/run.sh with SK_BIN set. POSIX sh,
# coreutils, grep and sed only.
set -u
BIN=${SK_BIN:?SK_BIN must name the safekeep binary}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EX="$ROOT/examples"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export SAFEKEEP_DB="$TMP/t.db"
unset SAFEKEEP_KEY SAFEKEEP_KEY_FILE SAFEKEEP_NOW
. "$ROOT/tests/lib/tap.sh"

URL=https://orr.example/hooks/safekeep

# --- help and usage ---------------------------------------------------------
expect_exit 0 "subscription --help" "$BIN" subscription --help
check "subscription --help prints usage" out_has "usage: safekeep subscription create"
for sub in create list pause resume delete; do
    expect_exit 0 "subscription $sub --help" "$BIN" subscription "$sub" --help
done
expect_exit 0 "outbox --help" "$BIN" outbox --help
check "outbox --help prints usage" out_has "usage: safekeep outbox"
expect_exit 2 "subscription without a subcommand" "$BIN" subscription
expect_exit 2 "create without --url" "$BIN" subscription create --agency ORR \
    --purpose child_welfare --types hearing_outcome
expect_exit 2 "create with an unknown purpose" "$BIN" subscription create --agency ORR \
    --purpose curiosity --types hearing_outcome --url "$URL"
expect_exit 2 "outbox with a bad state" "$BIN" outbox --state lost

# --- setup -------------------------------------------------------------------
expect_exit 0 "init" "$BIN" init
expect_exit 0 "agreement add examples/*.policy" "$BIN" agreement add "$EX"/*.policy
expect_exit 0 "generate 40 children" "$BIN" generate --children 40 --out "$TMP/g"

# --- create: refused ----------------------------------------------------------
expect_exit 1 "ICE sponsor_application for immigration_enforcement is refused" \
    "$BIN" subscription create --agency ICE --purpose immigration_enforcement \
    --types sponsor_application --url "$URL"
check "the reason names the constraint" err_has "approps-2019-s224-sponsors"
check "no secret printed on refusal" out_empty
expect_exit 1 "a bad URL is refused" "$BIN" subscription create --agency ORR \
    --purpose child_welfare --types hearing_outcome --url "https://u:p@orr.example/"
check "the reason names the credentials" err_has "user name or password"
expect_exit 1 "an unknown type is refused" "$BIN" subscription create --agency ORR \
    --purpose child_welfare --types hearing_maybe --url "$URL"

# --- create: accepted ----------------------------------------------------------
expect_exit 0 "ORR hearing_outcome for child_welfare is accepted" "$BIN" subscription create \
    --agency ORR --purpose child_welfare --types hearing_outcome,hearing_scheduled --url "$URL"
check "prints two lines" [ "$(wc -l <"$TMP/out")" -eq 2 ]
check "the first is the id" sed -n 1p "$TMP/out" | grep -q '^sub_[0-9a-f]\{16\}$'
check "the second is the secret" sed -n 2p "$TMP/out" | grep -q '^whsec_[A-Za-z0-9+/]\{43\}=$'
ID=$(sed -n 1p "$TMP/out")
SECRET=$(sed -n 2p "$TMP/out")
check "the secret is not in the database in clear" sh -c \
    "! cat '$SAFEKEEP_DB'* | grep -qF -- '$SECRET'"
expect_exit 0 "create --json" "$BIN" subscription create --agency EOIR \
    --purpose court_proceedings --types wellness_call --url "$URL/eoir" --json
check "the JSON has the secret and the rule" sh -c \
    "grep -q '\"secret\":\"whsec_' '$TMP/out' && grep -q 'court-notification-release@1' '$TMP/out'"
ID2=$(sed 's/^{"id":"\([^"]*\)".*/\1/' "$TMP/out")

# --- list ---------------------------------------------------------------------
expect_exit 0 "list" "$BIN" subscription list
check "list shows both" sh -c "grep -q '$ID' '$TMP/out' && grep -q '$ID2' '$TMP/out'"
check "list never shows a secret" sh -c "! grep -q whsec_ '$TMP/out'"
expect_exit 0 "list --agency EOIR --json" "$BIN" subscription list --agency EOIR --json
check "only EOIR's" sh -c "grep -q '$ID2' '$TMP/out' && ! grep -q '$ID' '$TMP/out'"

# --- pause, import: the paused one gets nothing ------------------------------------
expect_exit 0 "pause" "$BIN" subscription pause "$ID2"
expect_exit 1 "pause twice" "$BIN" subscription pause "$ID2"
expect_exit 0 "import" "$BIN" import --quiet "$TMP/g/events.jsonl"
expect_exit 0 "outbox --json" "$BIN" outbox --json
check "outbox rows for ORR's subscription" grep -q "\"subscription_id\":\"$ID\"" "$TMP/out"
check "none for the paused one" sh -c "! grep -q '$ID2' '$TMP/out'"
check "rows are pending hearing events" sh -c \
    "grep -q '\"type\":\"hearing_outcome\",\"alert_id\":null,\"state\":\"pending\",\"attempts\":0' '$TMP/out'"
check "rows carry no personal data" sh -c "! grep -q 'given_name\|address\|dob' '$TMP/out'"
expect_exit 0 "outbox --state delivered" "$BIN" outbox --state delivered --json
check "nothing delivered" out_is "[
]"

# --- resume, delete -------------------------------------------------------------
expect_exit 0 "resume" "$BIN" subscription resume "$ID2"
expect_exit 0 "delete" "$BIN" subscription delete "$ID"
expect_exit 1 "resume a deleted one" "$BIN" subscription resume "$ID"
expect_exit 1 "delete an unknown one" "$BIN" subscription delete sub_0000000000000000
expect_exit 0 "list after delete" "$BIN" subscription list --json
check "the deleted one stays listed" grep -q "\"id\":\"$ID\".*\"state\":\"deleted\"" "$TMP/out"
echo "1..$n"
