#!/bin/sh
# Drives the real safekeep binary through the bearer tokens of the HTTP API:
# token create | list | revoke, on a database with the shipped
# examples/*.policy adopted (agency ORR, role case_manager). Prints TAP. Run
# by tests/run.sh with SK_BIN set. POSIX sh, coreutils, grep and sed only
# (and the sqlite3 shell, as tests/lib/tap.sh already needs).
set -u
BIN=${SK_BIN:?SK_BIN must name the safekeep binary}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EX="$ROOT/examples"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export SAFEKEEP_DB="$TMP/t.db"
unset SAFEKEEP_KEY SAFEKEEP_KEY_FILE SAFEKEEP_NOW
. "$ROOT/tests/lib/tap.sh"

TOKEN_RE='^skt_[0-9a-f]\{16\}_[A-Za-z0-9_-]\{43\}$'

# --- help and usage ---------------------------------------------------------
expect_exit 0 "token --help" "$BIN" token --help
check "token --help prints usage" out_has "usage: safekeep token create"
for sub in create revoke list; do
    expect_exit 0 "token $sub --help" "$BIN" token "$sub" --help
    check "token $sub --help prints usage" out_has "safekeep token $sub"
done
expect_exit 0 "safekeep --help lists token" "$BIN" --help
check "the command list names token" grep -q '^  token ' "$TMP/out"
expect_exit 2 "token without a subcommand" "$BIN" token
expect_exit 2 "token with an unknown subcommand" "$BIN" token frobnicate
expect_exit 2 "token with an unknown option" "$BIN" token list --bogus

# --- setup: a database with the example policy ------------------------------
expect_exit 0 "init" "$BIN" init
expect_exit 0 "agreement add examples/*.policy" "$BIN" agreement add "$EX"/*.policy

# --- create -----------------------------------------------------------------
expect_exit 0 "token create" "$BIN" token create --agency ORR --user jdoe --role case_manager
check "prints one line" [ "$(wc -l <"$TMP/out")" -eq 1 ]
check "the line is a token" grep -q "$TOKEN_RE" "$TMP/out"
check "nothing on stderr" [ ! -s "$TMP/err" ]
token=$(cat "$TMP/out")
id=$(printf '%s\n' "$token" | cut -c5-20)
secret=$(printf '%s\n' "$token" | cut -c22-)

expect_exit 0 "token create --json --expires-in 30" \
    "$BIN" token create --agency ICE --user asmith --role officer --expires-in 30 --json
check "json: one line" [ "$(wc -l <"$TMP/out")" -eq 1 ]
check "json: the token" grep -q '"token":"skt_[0-9a-f]\{16\}_[A-Za-z0-9_-]\{43\}"' "$TMP/out"
check "json: id agency user role" \
    grep -q '"id":"[0-9a-f]\{16\}","agency":"ICE","user":"asmith","role":"officer"' "$TMP/out"
check "json: expires_at as RFC 3339" \
    grep -q '"expires_at":"[0-9-]\{10\}T[0-9:]\{8\}Z"' "$TMP/out"
ice_id=$(sed 's/.*"id":"\([0-9a-f]*\)".*/\1/' "$TMP/out")
ice_token=$(sed 's/.*"token":"\([^"]*\)".*/\1/' "$TMP/out")
check "json: id is the token's id" [ "$(printf '%s' "$ice_token" | cut -c5-20)" = "$ice_id" ]

expect_exit 0 "token create --json, no expiry" \
    "$BIN" token create --agency ORR --user jdoe --role supervisor --json
check "json: expires_at null" out_has '"expires_at":null}'
expect_exit 0 "token create --expires DATE" \
    "$BIN" token create --agency ORR --user kroe --role case_manager --expires 2099-01-01
check "another token" grep -q "$TOKEN_RE" "$TMP/out"
check "two tokens differ" [ "$(cat "$TMP/out")" != "$token" ]

# --- refused: exit 2, nothing written ----------------------------------------
before=$(dbstate)
expect_exit 2 "unknown agency" "$BIN" token create --agency NOPE --user jdoe --role case_manager
check "the error names --agency" err_has "--agency is not an agency of the adopted policy"
check "stdout stays empty" out_empty
expect_exit 2 "unknown role" "$BIN" token create --agency ORR --user jdoe --role wizard
check "the error names --role" err_has "--role is not a role of the adopted policy"
expect_exit 2 "missing --user" "$BIN" token create --agency ORR --role case_manager
expect_exit 2 "malformed --user" "$BIN" token create --agency ORR --user 'j doe' --role case_manager
check "the value is not quoted back" sh -c "! grep -q 'j doe' '$TMP/err'"
expect_exit 2 "--expires in the past" \
    "$BIN" token create --agency ORR --user jdoe --role case_manager --expires 2001-01-01
expect_exit 2 "--expires not a date" \
    "$BIN" token create --agency ORR --user jdoe --role case_manager --expires soon
expect_exit 2 "--expires-in 0" \
    "$BIN" token create --agency ORR --user jdoe --role case_manager --expires-in 0
expect_exit 2 "--expires with --expires-in" \
    "$BIN" token create --agency ORR --user jdoe --role case_manager --expires 2099-01-01 --expires-in 3
check "nothing was written by the refusals" [ "$(dbstate)" = "$before" ]

# --- list ---------------------------------------------------------------------
expect_exit 0 "token list" "$BIN" token list
check "a header" grep -q '^ID  *AGENCY  *USER  *ROLE  *CREATED  *EXPIRES  *REVOKED$' "$TMP/out"
check "four tokens" [ "$(wc -l <"$TMP/out")" -eq 5 ]
check "lists the first token by id" \
    grep -q "^$id  *ORR  *jdoe  *case_manager  *[0-9-]*T[0-9:]*Z  *never  *-$" "$TMP/out"
check "never the secret" sh -c "! grep -qF -- '$secret' '$TMP/out'"
check "never a token" sh -c "! grep -q 'skt_' '$TMP/out'"
expect_exit 0 "token list --agency ICE" "$BIN" token list --agency ICE
check "only ICE's token" [ "$(wc -l <"$TMP/out")" -eq 2 ]
check "ICE's token is the one listed" grep -q "^$ice_id  *ICE  *asmith  *officer " "$TMP/out"
expect_exit 0 "token list --json" "$BIN" token list --json
check "json list: opens an array" [ "$(head -n 1 "$TMP/out")" = "[" ]
check "json list: closes it" [ "$(tail -n 1 "$TMP/out")" = "]" ]
check "json list: four objects" [ "$(grep -c '^,\{0,1\}{"id":' "$TMP/out")" -eq 4 ]
check "json list: revoked_at null" out_has '"revoked_at":null}'
check "json list: no secret" sh -c "! grep -q -e '\"token\"' -e 'skt_' -e '$secret' '$TMP/out'"
expect_exit 0 "token list --agency with no tokens" "$BIN" token list --agency USCIS
check "only the header" [ "$(wc -l <"$TMP/out")" -eq 1 ]

# --- revoke -------------------------------------------------------------------
expect_exit 0 "token revoke" "$BIN" token revoke "$id"
check "reports the revocation" grep -q "^revoked $id at [0-9-]*T[0-9:]*Z$" "$TMP/out"
first=$(cat "$TMP/out")
expect_exit 0 "token list after revoke" "$BIN" token list
check "the token shows its revocation" \
    grep -q "^$id  *ORR  *jdoe  *case_manager  *[^ ]*  *never  *[0-9-]*T[0-9:]*Z$" "$TMP/out"
sleep 1
expect_exit 0 "revoking again is fine" "$BIN" token revoke "$id"
check "and keeps the first time" out_is "$first"
expect_exit 1 "revoking an unknown id fails" "$BIN" token revoke 0123456789abcdef
check "the error says so" err_has "no token with this id"
expect_exit 1 "revoking a malformed id fails" "$BIN" token revoke not-an-id
expect_exit 2 "revoke without an id" "$BIN" token revoke

# --- the database keeps only hashes -------------------------------------------
check "no token in the database" sh -c "! sqlite3 '$SAFEKEEP_DB' .dump | grep -qF -- '$secret'"
check "no token in the database file" sh -c "! grep -qF -- '$secret' '$SAFEKEEP_DB'"

# --- a database made before tokens existed gains the table --------------------
sqlite3 "$SAFEKEEP_DB" "DROP TABLE tokens"
expect_exit 0 "token list on an older database" "$BIN" token list
check "lists nothing" [ "$(wc -l <"$TMP/out")" -eq 1 ]
expect_exit 0 "token create on an older database" \
    "$BIN" token create --agency ORR --user jdoe --role case_manager
check "a token" grep -q "$TOKEN_RE" "$TMP/out"

# --- without the key, nothing -----------------------------------------------
expect_exit 1 "a wrong key cannot list" env SAFEKEEP_KEY=$(printf '%064d' 7) "$BIN" token list
expect_exit 1 "a missing database" "$BIN" token list --db "$TMP/none.db"

echo "1..$n"
