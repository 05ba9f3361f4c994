#!/bin/sh
# Drives the real safekeep binary through the audit log: every policy check
# appends a record before the decision is printed, and safekeep audit
# verify | who-accessed | report | tree-head | proof | consistency read it
# back. Then the log is damaged (a flipped byte in a record and in a tree
# head, a cut inside a record and at a head boundary) and made unwritable,
# and the CLI must name the damaged record and never print a decision it
# could not record ("no audit, no disclosure"). Prints TAP. Run by
# tests/run.sh with SK_BIN set. POSIX sh, coreutils, grep and sed only.
set -u
BIN=${SK_BIN:?SK_BIN must name the safekeep binary}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA="$ROOT/tests/data"
EX="$ROOT/examples"
TMP=$(mktemp -d)
trap 'chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
export SAFEKEEP_DB="$TMP/t.db"
AUDIT="$TMP/t.db.audit"
unset SAFEKEEP_KEY SAFEKEEP_KEY_FILE SAFEKEEP_NOW SAFEKEEP_AUDIT_LOG
. "$ROOT/tests/lib/tap.sh"

# json_keys: the keys of the JSON on stdout, in order, one line
json_keys() { grep -o '"[a-z_]*":' "$TMP/out" | tr -d '":' | tr '\n' ' ' | sed 's/ $//'; }
pcheck() { "$BIN" policy check --action read "$@"; }
records_ok() { # the first line of audit verify for N records
    grep -q "^audit log ok: $1 records verified; tree head size $1 root [0-9a-f]\{64\}$" "$TMP/out"
}

# entries FILE: one line per log entry, "TAG START END SEQ": R for a record
# (SEQ its number), H for a signed tree head (SEQ the records before it).
# The format is in src/audit/log_format.h.
entries() {
    size=$(wc -c <"$1")
    pos=0
    seq=0
    while [ "$pos" -lt "$size" ]; do
        # shellcheck disable=SC2046
        set -- "$1" $(od -An -tu1 -j "$pos" -N5 "$1")
        len=$(($3 + $4 * 256 + $5 * 65536 + $6 * 16777216))
        if [ "$2" -eq 82 ]; then
            end=$((pos + 5 + len + 32))
            echo "R $pos $end $seq"
            seq=$((seq + 1))
        else
            end=$((pos + 149))
            echo "H $pos $end $seq"
        fi
        pos=$end
    done
}
# flip FILE OFFSET: XORs one byte with 0xFF in place
flip() {
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    # shellcheck disable=SC2059
    printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}
restore() { cp "$TMP/good.audit" "$AUDIT"; cp "$TMP/good.db" "$SAFEKEEP_DB"; }
# locate TAG SEQ: sets $start and $end to the byte range of that entry
locate() {
    read -r _ start end _ <<EOF
$(grep "^$1 .* $2\$" "$TMP/entries")
EOF
}

# --- setup ----------------------------------------------------------------
expect_exit 0 "init" "$BIN" init
expect_exit 0 "import good.jsonl" "$BIN" import "$DATA/good.jsonl"
expect_exit 0 "agreement add examples/*.policy" "$BIN" agreement add "$EX"/*.policy

# --- decisions: each one recorded before it is printed --------------------
expect_exit 0 "permit: ICE sponsor data for enforcement, 2018-09-01" \
    pcheck --agency ICE --role officer --purpose immigration_enforcement --subject C0001 \
    --entity sponsor --fields given_name,address --at 2018-09-01
check "permit printed" grep -q '^PERMIT$' "$TMP/out"
expect_exit 3 "deny: the same request on 2019-06-01" \
    pcheck --agency ICE --role officer --purpose immigration_enforcement --subject C0001 \
    --entity sponsor --fields given_name,address --at 2019-06-01
check "deny printed" grep -q '^DENY$' "$TMP/out"
expect_exit 0 "break-glass: purpose emergency" \
    pcheck --agency ICE --role officer --purpose emergency --subject C0001 --entity sponsor \
    --fields given_name,immigration_status --at 2024-08-01
check "break-glass printed" out_has "permitted by break-glass (emergency)"
expect_exit 3 "deny: EOIR, child C0002 in care" \
    pcheck --agency EOIR --role clerk --purpose court_proceedings --subject C0002 \
    --fields address --at 2024-01-01
# Requests that never reach a decision are not decisions: nothing recorded.
expect_exit 2 "a usage error decides nothing" \
    pcheck --agency ICE --role officer --purpose fishing --subject C0001
expect_exit 1 "an unknown child decides nothing" \
    pcheck --agency ICE --role officer --purpose child_welfare --subject C9999

# --- audit verify ---------------------------------------------------------
expect_exit 0 "audit verify" "$BIN" audit verify
check "verify: exactly the 4 decisions, under a head of size 4" records_ok 4
root=$(sed -n 's/^audit log ok: .* root \([0-9a-f]*\)$/\1/p' "$TMP/out")
entries "$AUDIT" >"$TMP/entries"
check "the file is 4 records, each under its own head (one process per check)" \
    [ "$(cut -d' ' -f1 "$TMP/entries" | tr -d '\n')" = "RHRHRHRH" ]
check "the log holds no identity value from the imported data" \
    sh -c "! grep -q -e 'José' -e 'García' -e 'A-012-345-678' -e '2007-05-02' -e 'Ana María' \
        -e '555 010' -e 'Calle Ficticia' -e 'Wilmer' '$AUDIT'"

# --- who-accessed ---------------------------------------------------------
expect_exit 0 "audit who-accessed C0001" "$BIN" audit who-accessed C0001
# Rows without the time column, spaces squeezed.
sed '1d;$d' "$TMP/out" | sed 's/^[0-9T:Z-]* *//' | tr -s ' ' >"$TMP/rows"
cat >"$TMP/want-rows" <<'EOF'
ICE cli officer immigration_enforcement read permit orr-ice-cbp-moa-2018-sponsor v1: given_name address
ICE cli officer immigration_enforcement read deny approps-2019-s224-sponsors v1:
ICE cli officer emergency read permit break_glass: given_name
EOF
if cmp -s "$TMP/want-rows" "$TMP/rows"; then ok "who-accessed C0001 lists exactly its three decisions"; else
    not_ok "who-accessed C0001 lists exactly its three decisions" "$(diff "$TMP/want-rows" "$TMP/rows" | tr '\n' ' ')"
fi
check "who-accessed: header" grep -q '^WHEN  *AGENCY  *USER  *ROLE  *PURPOSE  *ACTION  *OUTCOME  *RULE: FIELDS$' "$TMP/out"
check "who-accessed: summary" out_has "3 decisions about C0001 in 4 audit records"
check "who-accessed: every row has a UTC time" [ "$(grep -c '^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]\{8\}Z ' "$TMP/out")" -eq 3 ]
expect_exit 0 "audit who-accessed C0002" "$BIN" audit who-accessed C0002
check "C0002: the one EOIR denial" [ "$(sed '1d;$d' "$TMP/out" | sed 's/^[0-9T:Z-]* *//' | tr -s ' ')" = "EOIR cli clerk court_proceedings read deny default:" ]
expect_exit 0 "audit who-accessed C9999" "$BIN" audit who-accessed C9999
check "nobody asked about C9999" out_has "0 decisions about C9999 in 4 audit records"

expect_exit 0 "audit who-accessed --json C0001" "$BIN" audit who-accessed --json C0001
check "json: an array, one object per line" \
    [ "$(sed -n '1p;$p' "$TMP/out" | tr -d '\n')" = "[]" ]
check "json: three objects" [ "$(grep -c '^,\{0,1\}{.*}$' "$TMP/out")" -eq 3 ]
keys="time ms request_id agency user role purpose action entity subjects fields decision rule_kind rule_id rule_version break_glass reason seq"
check "json: exact keys of each record, in order" \
    [ "$(json_keys)" = "$keys $keys $keys" ]
check "json: seqs 0, 1, 2" [ "$(grep -o '"seq":[0-9]*' "$TMP/out" | tr '\n' ' ')" = '"seq":0 "seq":1 "seq":2 ' ]
check "json: the permit" \
    out_has '"agency":"ICE","user":"cli","role":"officer","purpose":"immigration_enforcement","action":"read","entity":"sponsor","subjects":["C0001"],"fields":["given_name","address"],"decision":"permit","rule_kind":"agreement","rule_id":"orr-ice-cbp-moa-2018-sponsor","rule_version":1,"break_glass":false,"reason":"permitted under orr-ice-cbp-moa-2018-sponsor v1 ('
check "json: the denial discloses no fields" \
    out_has '"subjects":["C0001"],"fields":[],"decision":"deny","rule_kind":"constraint","rule_id":"approps-2019-s224-sponsors","rule_version":1,"break_glass":false,'
check "json: the break-glass use is flagged" \
    out_has '"purpose":"emergency","action":"read","entity":"sponsor","subjects":["C0001"],"fields":["given_name"],"decision":"permit","rule_kind":"break_glass","rule_id":"","rule_version":0,"break_glass":true,'
check "json: request ids are UUIDs" \
    [ "$(grep -c '"request_id":"[0-9a-f]\{8\}-[0-9a-f]\{4\}-4[0-9a-f]\{3\}-[89ab][0-9a-f]\{3\}-[0-9a-f]\{12\}"' "$TMP/out")" -eq 3 ]

# --- report ---------------------------------------------------------------
expect_exit 0 "audit report" "$BIN" audit report
sed -n '2,5p' "$TMP/out" | tr -s ' ' | sort >"$TMP/counts"
cat >"$TMP/want-counts" <<'EOF'
EOIR|court_proceedings|deny 1
ICE|emergency|permit 1
ICE|immigration_enforcement|deny 1
ICE|immigration_enforcement|permit 1
EOF
if cmp -s "$TMP/want-counts" "$TMP/counts"; then ok "report: counts by agency, purpose and outcome"; else
    not_ok "report: counts by agency, purpose and outcome" "$(diff "$TMP/want-counts" "$TMP/counts" | tr '\n' ' ')"
fi
check "report: two denials" out_has "denials (2):"
check "report: the denials are records 1 and 3" \
    [ "$(sed -n 's/^  #\([0-9]*\) [^ ]* \([A-Z]*\) \([a-z_]*\): .*/#\1 \2 \3/p' "$TMP/out" | tr '\n' ' ')" = "#1 ICE immigration_enforcement #3 EOIR court_proceedings " ]
check "report: one break-glass use awaiting review" out_has "break-glass uses awaiting review (1):"
check "report: it is record 2" grep -q '^  #2 [0-9T:Z-]* ICE cli$' "$TMP/out"
expect_exit 0 "audit report --json" "$BIN" audit report --json
check "report json: the counts" \
    out_has '"counts":{"EOIR|court_proceedings|deny":1,"ICE|emergency|permit":1,"ICE|immigration_enforcement|deny":1,"ICE|immigration_enforcement|permit":1}'
check "report json: 4 records" out_has '"records":4}'
check "report json: top-level keys" \
    [ "$(grep -o '^{"break_glass":\[.*\],"counts":{.*},"denials":\[.*\],"records":4}$' "$TMP/out" | wc -l)" -eq 1 ]
expect_exit 0 "audit report --from 2000-01-01 --to 2000-12-31" \
    "$BIN" audit report --from 2000-01-01 --to 2000-12-31 --json
check "report: nothing decided in 2000" out_has '"break_glass":[],"counts":{},"denials":[],"records":4}'

# --- tree head and proofs -------------------------------------------------
expect_exit 0 "audit tree-head --json" "$BIN" audit tree-head --json
check "tree-head json: exact keys" [ "$(json_keys)" = "tree_size timestamp_ms root signature public_key" ]
check "tree-head json: size 4 and the root verify printed" out_has "{\"tree_size\":4,\"timestamp_ms\":"
check "tree-head json: root" out_has "\"root\":\"$root\""
check "tree-head json: hex lengths" \
    grep -q '"signature":"[0-9a-f]\{128\}","public_key":"[0-9a-f]\{64\}"}$' "$TMP/out"
expect_exit 0 "audit proof 0" "$BIN" audit proof 0
check "proof 0 verifies" out_has "verifies: yes"
check "proof 0: in the tree of 4" out_has "tree size: 4"
check "proof 0: two hashes for 4 leaves" [ "$(grep -c '^  [0-9a-f]\{64\}$' "$TMP/out")" -eq 2 ]
check "proof 0: against the signed root" out_has "root:      $root"
expect_exit 0 "audit proof 3" "$BIN" audit proof 3
check "proof 3 verifies" out_has "verifies: yes"
expect_exit 0 "audit proof 1 --tree-size 2" "$BIN" audit proof 1 --tree-size 2
check "proof 1 in the tree of 2 verifies" out_has "verifies: yes"
expect_exit 1 "audit proof 4: no such record" "$BIN" audit proof 4
expect_exit 0 "audit consistency 1 4" "$BIN" audit consistency 1 4
check "consistency 1 4 verifies" out_has "verifies: yes"
expect_exit 0 "audit consistency 2 3" "$BIN" audit consistency 2 3
check "consistency 2 3 verifies" out_has "verifies: yes"
expect_exit 1 "audit consistency 0 4 is refused" "$BIN" audit consistency 0 4
expect_exit 1 "audit consistency 3 5 is refused" "$BIN" audit consistency 3 5

cp "$AUDIT" "$TMP/good.audit"
cp "$SAFEKEEP_DB" "$TMP/good.db"

# --- tampering ----------------------------------------------------------------
# A byte in the middle of record 2's JSON.
locate R 2
flip "$AUDIT" $(((start + end) / 2))
expect_exit 1 "a flipped byte in record 2: audit verify fails" "$BIN" audit verify
check "verify names record 2" grep -q '^FAILED at record 2$' "$TMP/out"
check "verify says why" err_has "record 2: does not match its chain hash (altered, removed or moved)"
expect_exit 1 "who-accessed refuses a damaged log" "$BIN" audit who-accessed C0001
expect_exit 1 "report refuses a damaged log" "$BIN" audit report
expect_exit 1 "tree-head refuses a damaged log" "$BIN" audit tree-head
restore
expect_exit 0 "restored: audit verify" "$BIN" audit verify

# A byte of the signature of the head after record 1 (its position: 2).
locate H 2
flip "$AUDIT" $((start + 100))
expect_exit 1 "a flipped byte in a tree head: audit verify fails" "$BIN" audit verify
check "verify names the head's position, record 2" grep -q '^FAILED at record 2$' "$TMP/out"
check "verify says the signature is invalid" err_has "record 2: the tree head here has an invalid signature"
restore

# Cut inside record 3: the record is named.
locate R 3
truncate -s $((start + 40)) "$AUDIT"
expect_exit 1 "cut inside record 3: audit verify fails" "$BIN" audit verify
check "verify names record 3" grep -q '^FAILED at record 3$' "$TMP/out"
check "verify says truncated" err_has "record 3: truncated"
restore

# Cut at a head boundary (record 3 and its head gone): the log itself is
# valid, shorter; only the size the database acknowledged shows the cut.
locate H 3
truncate -s "$end" "$AUDIT"
expect_exit 1 "cut at a head boundary: audit verify fails" "$BIN" audit verify
check "verify names record 3" grep -q '^FAILED at record 3$' "$TMP/out"
check "verify says the log was truncated" \
    err_has "record 3: missing (the log was truncated; 4 records were acknowledged)"
restore
expect_exit 0 "restored: audit verify" "$BIN" audit verify
check "restored: 4 records" records_ok 4

# --- no audit, no disclosure --------------------------------------------------
mkdir "$TMP/adir"
expect_exit 1 "audit log unwritable (a directory): policy check fails" \
    env SAFEKEEP_AUDIT_LOG="$TMP/adir" "$BIN" policy check --action read --agency ICE \
    --role officer --purpose immigration_enforcement --subject C0001 --entity sponsor \
    --fields given_name,address --at 2018-09-01
check "no decision printed" out_empty
check "the error says nothing is disclosed" err_has "the decision could not be recorded; nothing is disclosed"
expect_exit 1 "audit log unwritable: a denial is not printed either" \
    env SAFEKEEP_AUDIT_LOG="$TMP/adir" "$BIN" policy check --action read --agency EOIR \
    --role clerk --purpose court_proceedings --subject C0002 --fields address --at 2024-01-01
check "no decision printed" out_empty
expect_exit 1 "audit log in a missing directory: policy check fails" \
    env SAFEKEEP_AUDIT_LOG="$TMP/nodir/x.audit" "$BIN" policy check --action read --agency ICE \
    --role officer --purpose emergency --subject C0001 --entity sponsor --fields given_name \
    --at 2024-08-01
check "no decision printed" out_empty
if [ -c /dev/full ]; then
    # The open succeeds and the write fails (ENOSPC): the writer's error path.
    expect_exit 1 "audit write fails (/dev/full): policy check fails" \
        env SAFEKEEP_AUDIT_LOG=/dev/full "$BIN" policy check --action read --agency ICE \
        --role officer --purpose immigration_enforcement --subject C0001 --entity sponsor \
        --fields given_name,address --at 2018-09-01 --json
    check "no decision printed" out_empty
    check "the error says nothing is disclosed" err_has "nothing is disclosed"
else
    skip "audit write fails (/dev/full)" "no /dev/full"
    skip "no decision printed" "no /dev/full"
    skip "the error says nothing is disclosed" "no /dev/full"
fi
chmod 400 "$AUDIT"
if [ "$(id -u)" -ne 0 ]; then
    expect_exit 1 "read-only audit log (chmod 400): policy check fails" \
        pcheck --agency ICE --role officer --purpose immigration_enforcement --subject C0001 \
        --entity sponsor --fields given_name,address --at 2018-09-01
    check "no decision printed" out_empty
else
    skip "read-only audit log (chmod 400): policy check fails" "root ignores file modes"
    skip "no decision printed" "root ignores file modes"
fi
chmod 600 "$AUDIT"
check "the failed checks left the log as it was" cmp -s "$AUDIT" "$TMP/good.audit"
expect_exit 0 "audit verify after the failed checks" "$BIN" audit verify
check "still exactly 4 records" records_ok 4

# --- damage must survive the next decision --------------------------------
# sk_audit.h: on open, "anything else that does not verify is an error
# (SK_ERR_CRYPTO) and the log is not opened for writing". A damaged record is
# not a crash tail: the next policy check must refuse (exit 1, nothing
# printed) and leave the evidence in place.
locate R 1
flip "$AUDIT" $(((start + end) / 2))
cp "$AUDIT" "$TMP/damaged.audit"
expect_exit 1 "damaged record 1: the next policy check is refused" \
    pcheck --agency ICE --role officer --purpose immigration_enforcement --subject C0001 \
    --entity sponsor --fields given_name,address --at 2018-09-01
check "no decision printed on a damaged log" out_empty
check "the damaged log is left as it was" cmp -s "$AUDIT" "$TMP/damaged.audit"
expect_exit 1 "audit verify still names record 1" "$BIN" audit verify
check "FAILED at record 1" grep -q '^FAILED at record 1$' "$TMP/out"
restore

# A cut at a head boundary: the next decision must not hide it (the log
# must not silently continue from fewer records than were acknowledged).
locate H 2
truncate -s "$end" "$AUDIT"
pcheck --agency EOIR --role clerk --purpose court_proceedings --subject C0002 --fields address \
    --at 2024-01-01 >"$TMP/out" 2>"$TMP/err"
expect_exit 1 "after a cut and another decision, audit verify still fails" "$BIN" audit verify
check "it still reports the acknowledged records as missing" err_has "the log was truncated; 4 records were acknowledged"
restore

# --- appends continue on the restored log ---------------------------------
expect_exit 0 "one more decision" \
    pcheck --agency HHS-OIG --role auditor --purpose oversight --subject C0002 --at 2024-01-01
expect_exit 0 "audit verify: 5 records" "$BIN" audit verify
check "5 records under a head of size 5" records_ok 5
expect_exit 0 "audit consistency 4 5" "$BIN" audit consistency 4 5
check "the new head extends the old one" out_has "verifies: yes"

echo "1..$n"
