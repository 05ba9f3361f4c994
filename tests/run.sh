#!/bin/sh
# Runs every test of one build and ends with the line "N passed, N failed".
#   sh tests/run.sh build/release
# Unit tests are cmocka binaries (TAP output); integration tests are shell
# scripts that drive the real safekeep binary and print TAP; fuzz corpora are
# replayed through each target's plain main(). Exit status 1 if anything failed.
set -u
OUT=${1:-build/release}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export SK_BIN="$ROOT/$OUT/safekeep"
export CMOCKA_MESSAGE_OUTPUT=TAP
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() {
    # $1: name, $2: exit status; TAP lines are in $log
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed or exited non-zero without reporting a failure
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        echo "FAIL $1 ($p passed, $f failed)"
        grep -v '^ok ' "$log" | head -n 60
    else
        echo "ok   $1 ($p passed)"
    fi
}

for t in "$ROOT/$OUT"/tests/test_*; do
    [ -x "$t" ] || continue
    "$t" >"$log" 2>&1
    count "unit/$(basename "$t")" $?
done

for t in "$ROOT"/tests/integration/*.sh; do
    [ -f "$t" ] || continue
    sh "$t" >"$log" 2>&1
    count "integration/$(basename "$t" .sh)" $?
done

for t in "$ROOT"/tests/integration/*.py; do
    [ -f "$t" ] || continue
    python3 "$t" >"$log" 2>&1
    count "integration/$(basename "$t" .py)" $?
done

for r in "$ROOT/$OUT"/fuzz/replay_*; do
    [ -x "$r" ] || continue
    name=$(basename "$r" | sed 's/^replay_fuzz_//')
    if "$r" "$ROOT/fuzz/corpus/$name" >/dev/null 2>&1; then
        echo "ok 1 replay $name" >"$log"
        count "fuzz-replay/$name" 0
    else
        echo "not ok 1 replay $name" >"$log"
        count "fuzz-replay/$name" 1
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
