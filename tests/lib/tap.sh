# Shared by the integration scripts (sourced, not run): TAP output and the
# checks on a command's exit status and output. The sourcing script sets
# TMP (a scratch directory) first; n counts the test points.
n=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "# $2"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { # check NAME CONDITION-COMMAND...
    name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# expect_exit CODE NAME CMD...: runs CMD, stdout/stderr into $TMP/out $TMP/err
expect_exit() {
    want=$1
    name=$2
    shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$name"; else not_ok "$name" "exit $got, wanted $want: $(head -c 300 "$TMP/err")"; fi
}
err_has() { grep -qF -- "$1" "$TMP/err"; }
out_has() { grep -qF -- "$1" "$TMP/out"; }
out_empty() { [ ! -s "$TMP/out" ]; }
out_is() { # exact stdout
    printf '%s\n' "$1" >"$TMP/want"
    if cmp -s "$TMP/want" "$TMP/out"; then return 0; fi
    echo "# stdout differs:"
    diff "$TMP/want" "$TMP/out" | sed 's/^/# /' | head -n 20
    return 1
}
# A digest of the whole database, to show that a refused command changed nothing.
dbstate() { sqlite3 "$SAFEKEEP_DB" .dump | sha256sum | cut -d' ' -f1; }
