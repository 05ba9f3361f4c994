#!/bin/sh
# Drives the real safekeep binary through policy adoption and decisions:
# agreement add | list | show | rescind and policy check, on the shipped
# examples/*.policy and tests/data/good.jsonl (C0001 released to sponsor
# S0001, C0002 in care). Prints TAP. Run by tests/run.sh with SK_BIN set.
# POSIX sh, coreutils, grep and sed only.
set -u
BIN=${SK_BIN:?SK_BIN must name the safekeep binary}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA="$ROOT/tests/data"
EX="$ROOT/examples"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export SAFEKEEP_DB="$TMP/t.db"
unset SAFEKEEP_KEY SAFEKEEP_KEY_FILE SAFEKEEP_NOW
. "$ROOT/tests/lib/tap.sh"

# pcheck ARGS...: safekeep policy check with the common arguments last
pcheck() { "$BIN" policy check --action read "$@"; }
# json_keys: the keys of the JSON object on stdout, in order, one line
json_keys() { grep -o '"[a-z_]*":' "$TMP/out" | tr -d '":' | tr '\n' ' ' | sed 's/ $//'; }

# --- setup: a database with the two test children ----------------------------
expect_exit 0 "init" "$BIN" init
expect_exit 0 "import good.jsonl" "$BIN" import "$DATA/good.jsonl"
check "two children imported" out_has "2 new children"

# --- before any policy -----------------------------------------------------
expect_exit 0 "agreement list on an empty policy" "$BIN" agreement list
check "empty policy lists nothing" [ ! -s "$TMP/out" ]
expect_exit 2 "policy check names an agency no policy defines" \
    pcheck --agency ICE --role officer --purpose child_welfare --subject C0002
expect_exit 0 "agreement --help" "$BIN" agreement --help
check "agreement --help prints usage" out_has "usage: safekeep agreement add"
expect_exit 0 "policy check --help" "$BIN" policy check --help
check "policy check --help prints usage" out_has "usage: safekeep policy check"

# --- a bad file: exit 1, file:line, nothing adopted -------------------------------
cat >"$TMP/bad.policy" <<'EOF'
# a deliberately broken file: line 9 names a field that does not exist
agreement bad-fields
    title: An agreement with a misspelt field
    citation: none
    provider: ORR
    recipients: ICE
    purposes: child_welfare
    entities: child
    fields: given_name, bogus_field
    effective: 2020-01-01
EOF
before=$(dbstate)
expect_exit 1 "a bad policy file is refused" "$BIN" agreement add "$EX/agencies.policy" "$TMP/bad.policy"
check "the error names file and line" err_has "bad.policy:9:"
check "the error names the block and key" err_has "agreement bad-fields: fields:"
check "the error quotes the bad field" err_has 'unknown field "bogus_field"'
check "nothing was written (not even the good file)" [ "$(dbstate)" = "$before" ]
expect_exit 0 "agreement list after the refusal" "$BIN" agreement list
check "still nothing adopted" [ ! -s "$TMP/out" ]

# --- adopt every example at once -------------------------------------------
nfiles=$(ls "$EX"/*.policy | wc -l)
expect_exit 0 "agreement add examples/*.policy" "$BIN" agreement add "$EX"/*.policy
check "reports every file adopted" out_is "adopted $nfiles policy files"
expect_exit 0 "agreement list" "$BIN" agreement list
cp "$TMP/out" "$TMP/list-all"
nrules=$(cat "$EX"/*.policy | grep -c -E '^(agreement|constraint) ')
check "list shows every agreement and constraint version ($nrules)" [ "$(wc -l <"$TMP/list-all")" -eq "$nrules" ]
check "list shows the 2018 MOA with its interval" \
    grep -q '^orr-ice-cbp-moa-2018-sponsor  *v1  *agreement  *ORR  *2018-05-13\.\.2021-03-11$' "$TMP/list-all"
check "list shows the rider as an open-ended constraint" \
    grep -q '^approps-2019-s224-sponsors  *v1  *constraint  *ORR  *2019-02-15\.\.open  *in force$' "$TMP/list-all"

# Exactly the rules in force on 2019-06-01.
expect_exit 0 "agreement list --at 2019-06-01" "$BIN" agreement list --at 2019-06-01
sed 's/ .*//' "$TMP/out" | sort >"$TMP/ids"
cat >"$TMP/want-ids" <<'EOF'
approps-2019-s224-sponsors
asylum-foreign-government
asylum-foreign-government-purpose
asylum-third-parties
cbp-orr-moa-2018-referral
counsel-of-record-eoir
counsel-of-record-orr
court-notification-attendance
court-notification-release
ice-orr-moa-2018-referral
ice-orr-moa-2018-vetting
ig-access-dhs-cbp
ig-access-dhs-ice
ig-access-dhs-uscis
ig-access-hhs-orr
orr-ice-cbp-moa-2018-child
orr-ice-cbp-moa-2018-household
orr-ice-cbp-moa-2018-sponsor
EOF
if cmp -s "$TMP/ids" "$TMP/want-ids"; then ok "exactly the 18 rules in force on 2019-06-01"; else
    not_ok "exactly the 18 rules in force on 2019-06-01" "$(diff "$TMP/want-ids" "$TMP/ids" | tr '\n' ' ')"
fi
check "every listed rule says in force" [ "$(grep -c '  in force$' "$TMP/out")" -eq 18 ]
expect_exit 0 "agreement list --at 2025-06-01" "$BIN" agreement list --at 2025-06-01
check "2025: the 2021 MOA is in force" out_has "orr-dhs-moa-2021-child"
check "2025: the 2018 MOA is not" sh -c "! grep -q 'orr-ice-cbp-moa-2018' '$TMP/out'"
check "2025: the 2024 status rule has expired" sh -c "! grep -q 'sponsor-status' '$TMP/out'"
check "2025: the Ombuds rule is in force" out_has "ombuds-no-enforcement"

# --- agreement show ----------------------------------------------------------
expect_exit 0 "agreement show the 2018 sponsor block at 2019-06-01" \
    "$BIN" agreement show orr-ice-cbp-moa-2018-sponsor --at 2019-06-01
check "show: header and version, in force" \
    out_has "agreement orr-ice-cbp-moa-2018-sponsor, version 1 (in force)"
check "show: interval" out_has "in force:    2018-05-13 to 2021-03-11"
check "show: provider" out_has "provider:    ORR"
check "show: recipients" out_has "recipients:  ICE CBP"
check "show: purposes" grep -q '^  purposes: *sponsor_vetting immigration_enforcement$' "$TMP/out"
check "show: entities" grep -q '^  entities: *sponsor$' "$TMP/out"
check "show: citation" out_has "citation:    ORR-ICE-CBP Memorandum of Agreement"
expect_exit 0 "agreement show at 2022-01-01" \
    "$BIN" agreement show orr-ice-cbp-moa-2018-sponsor --at 2022-01-01
check "show: not in force after expiry" out_has "version 1 (not in force)"
expect_exit 0 "constraint show" "$BIN" agreement show asylum-foreign-government --at 2020-01-01
check "show: a constraint's recipients by kind" out_has "kind:foreign_government"
check "show: a constraint's when" grep -q '^  when: *record.asylum$' "$TMP/out"
expect_exit 1 "show of an unknown id fails" "$BIN" agreement show no-such-agreement
check "show says which id" err_has "no-such-agreement"

# --- the same files again: refused, nothing changes ----------------------------
before=$(dbstate)
expect_exit 1 "adopting the same file twice is refused" "$BIN" agreement add "$EX/oversight.policy"
check "the refusal names the repeated rule" err_has "defined twice"
check "nothing was written" [ "$(dbstate)" = "$before" ]
expect_exit 1 "adopting agencies twice is refused" "$BIN" agreement add "$EX/agencies.policy"
check "the refusal names the agency" err_has "ORR: agency defined twice"
expect_exit 0 "agreement list after the refusals" "$BIN" agreement list
check "list unchanged" cmp -s "$TMP/out" "$TMP/list-all"

# --- policy check: permit 0, deny 3 --------------------------------------------
expect_exit 0 "ICE sponsor data for enforcement, 2018-09-01: permit" \
    pcheck --agency ICE --role officer --purpose immigration_enforcement --subject C0001 \
    --entity sponsor --fields given_name,address --at 2018-09-01
check "permit printed" grep -q '^PERMIT$' "$TMP/out"
check "the 2018 MOA decides" out_has "permitted under orr-ice-cbp-moa-2018-sponsor v1"
check "fields disclosed" grep -q '^fields: *given_name address$' "$TMP/out"
expect_exit 3 "the same request on 2019-06-01: denied by the rider" \
    pcheck --agency ICE --role officer --purpose immigration_enforcement --subject C0001 \
    --entity sponsor --fields given_name,address --at 2019-06-01
check "deny printed" grep -q '^DENY$' "$TMP/out"
check "the rider's citation is the reason" out_has "constraint approps-2019-s224-sponsors v1)"
check "a denial discloses no fields" sh -c "! grep -q '^fields:' '$TMP/out'"
expect_exit 3 "sponsor vetting data after the MOA expired: default deny" \
    pcheck --agency ICE --role officer --purpose sponsor_vetting --subject C0001 --entity sponsor \
    --at 2022-01-01
check "default deny reason" out_has "denied: nothing in force on 2022-01-01 lets ICE read ORR's sponsor records for sponsor_vetting"

# Court notification: only for a released child.
expect_exit 0 "EOIR, released child C0001: permit, fields masked by the agreement" \
    pcheck --agency EOIR --role clerk --purpose court_proceedings --subject C0001 \
    --fields address,criminal_history --at 2024-01-01 --json
check "json: decision, rule, fields" out_has '{"decision":"permit","rule":{"kind":"agreement","id":"court-notification-release","version":1},"record_agency":"ORR","fields":["address"],"withheld":[],"obligations":["no_onward_sharing","log"],"retention_days":0,"reason":"permitted under court-notification-release v1 ('
check "json: exact keys of a permit" \
    [ "$(json_keys)" = "decision rule kind id version record_agency fields withheld obligations retention_days reason" ]
check "json: one line" [ "$(wc -l <"$TMP/out")" -eq 1 ]
expect_exit 3 "EOIR, child C0002 in care: deny" \
    pcheck --agency EOIR --role clerk --purpose court_proceedings --subject C0002 \
    --fields address --at 2024-01-01 --json
check "json: exact deny" out_is '{"decision":"deny","rule":{"kind":"default"},"record_agency":"ORR","fields":[],"withheld":[],"obligations":[],"retention_days":0,"reason":"denied: nothing in force on 2024-01-01 lets EOIR read ORR'"'"'s child records for court_proceedings"}'
check "json: exact keys of a deny" \
    [ "$(json_keys)" = "decision rule kind record_agency fields withheld obligations retention_days reason" ]

# A constraint withholds one field and the rest is disclosed.
expect_exit 0 "ICE officer, own record, ombuds complaint withheld: permit" \
    pcheck --agency ICE --role officer --purpose immigration_enforcement --subject C0001 \
    --record-agency ICE --fields given_name,ombuds_complaint --at 2024-08-01 --json
check "json: field-masked role permit" out_has '{"decision":"permit","rule":{"kind":"role"},"record_agency":"ICE","fields":["given_name"],"withheld":["ombuds_complaint"],"obligations":["log"],"retention_days":0,"reason":"permitted: the officer role may read ICE'"'"'s own records for immigration_enforcement; some fields withheld: '
expect_exit 0 "break-glass, sponsor status withheld in 2024" \
    pcheck --agency ICE --role officer --purpose emergency --subject C0001 --entity sponsor \
    --fields given_name,immigration_status --at 2024-08-01
check "text: fields" grep -q '^fields: *given_name$' "$TMP/out"
check "text: withheld" grep -q '^withheld: *immigration_status$' "$TMP/out"
check "text: obligations log review" grep -q '^obligations: *log review$' "$TMP/out"
check "text: reason" out_has "permitted by break-glass (emergency): flagged and queued for review; some fields withheld:"
expect_exit 0 "break-glass after 2025-03-25: nothing withheld" \
    pcheck --agency ICE --role officer --purpose emergency --subject C0001 --entity sponsor \
    --fields given_name,immigration_status --at 2025-06-01
check "text: both fields" grep -q '^fields: *given_name immigration_status$' "$TMP/out"
check "text: nothing withheld" sh -c "! grep -q '^withheld:' '$TMP/out'"
expect_exit 0 "oversight: permitted, with log and retention" \
    pcheck --agency HHS-OIG --role auditor --purpose oversight --subject C0002 --at 2024-01-01 --json
check "json: oversight obligations" out_has '"obligations":["retention_limit","log"],"retention_days":2555'

# Usage errors.
expect_exit 2 "unknown purpose is a usage error" \
    pcheck --agency ICE --role officer --purpose fishing --subject C0001
expect_exit 2 "unknown field is a usage error" \
    pcheck --agency ICE --role officer --purpose child_welfare --subject C0001 --fields shoe_size
expect_exit 2 "bad --at is a usage error" \
    pcheck --agency ICE --role officer --purpose child_welfare --subject C0001 --at someday
expect_exit 1 "unknown child fails" \
    pcheck --agency ICE --role officer --purpose child_welfare --subject C9999

# --- rescind -------------------------------------------------------------
expect_exit 0 "ICE child welfare data under the 2021 MOA, 2023-06-01: permit" \
    pcheck --agency ICE --role officer --purpose child_welfare --subject C0002 \
    --fields given_name,facility --at 2023-06-01
check "the 2021 MOA decides" out_has "permitted under orr-dhs-moa-2021-child v1"
expect_exit 0 "agreement rescind orr-dhs-moa-2021-child --on 2023-01-01" \
    "$BIN" agreement rescind orr-dhs-moa-2021-child --on 2023-01-01
check "rescind confirms" out_is "rescinded orr-dhs-moa-2021-child on 2023-01-01"
expect_exit 3 "after the rescission: deny" \
    pcheck --agency ICE --role officer --purpose child_welfare --subject C0002 \
    --fields given_name,facility --at 2023-06-01
check "denied by default" out_has "denied: nothing in force on 2023-06-01"
expect_exit 0 "before the rescission date: still permitted (replay)" \
    pcheck --agency ICE --role officer --purpose child_welfare --subject C0002 \
    --fields given_name,facility --at 2022-12-31
expect_exit 0 "list after rescission" "$BIN" agreement list
check "list shows the new end" \
    grep -q '^orr-dhs-moa-2021-child  *v1  *agreement  *ORR  *2021-03-11\.\.2023-01-01$' "$TMP/out"
expect_exit 1 "rescinding before it took effect fails" \
    "$BIN" agreement rescind orr-dhs-moa-2021-child --on 2020-01-01
expect_exit 1 "rescinding an unknown id fails" "$BIN" agreement rescind no-such-rule --on 2023-01-01
expect_exit 2 "rescind without --on is a usage error" "$BIN" agreement rescind orr-dhs-moa-2021-child

echo "1..$n"
