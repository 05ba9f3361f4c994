#!/bin/sh
# The audit log's crash test: kill a busy writer with SIGKILL at random
# moments and check that what it acknowledged survived.
#   sh tests/crash/run.sh [CYCLES [CYCLES_PER_LOG]]
# Builds tests/crash/crash_writer.c against $SK_BUILD/libsafekeep.a
# (default build/release), then for each cycle: starts the writer
# (SK_CRASH_THREADS threads, default 8, appending forever and printing each
# acknowledged sequence number), waits until it has opened (recovered) the
# log, sleeps a random 5-100 ms, kills it with SIGKILL, and runs
# "crash_writer --verify": the log must open (recovery cuts an unsigned
# tail), verify, and hold every acknowledged record, each once. Every
# seventh cycle appends a torn record after the kill, as a power cut in the
# middle of a write would leave it; every tenth kills the writer 1-5 ms
# after its start instead, usually while it is still reading or recovering
# the log. The next cycle continues on the same log. CYCLES_PER_LOG
# (default 0: one log for the whole run) starts a fresh log every so many
# cycles: every open reads the whole log, so on one log the cost of a cycle
# grows with the cycles before it. Prints TAP and a summary; exit status 1
# if any cycle failed. Works in a temporary directory under /tmp (the disk
# /work is on), removed at the end.
set -u
CYCLES=${1:-200}
PER_LOG=${2:-0}
[ "$PER_LOG" -gt 0 ] || PER_LOG=$CYCLES
THREADS=${SK_CRASH_THREADS:-8}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SK_BUILD:-$ROOT/build/release}
TMP=$(mktemp -d /tmp/sk_crash_XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
export SAFEKEEP_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
unset SAFEKEEP_KEY_FILE
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /'
}

# --- build ----------------------------------------------------------------
WARN="-Wall -Wextra -Wpedantic -Werror -Wshadow -Wconversion -Wstrict-prototypes \
-Wmissing-prototypes -Wmissing-declarations -Wpointer-arith -Wcast-qual -Wwrite-strings \
-Wformat=2 -Wvla -Wundef -Wimplicit-fallthrough -Wdouble-promotion -fno-common"
# The libraries the Makefile links with (PKGS), so the link line follows it.
PKGS=$(sed -n 's/^PKGS *:= *//p' "$ROOT/Makefile")
[ -n "$PKGS" ] || PKGS="sqlite3 libsodium jansson"
case $(basename "$BUILD") in
debug | asan) SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" ;;
*) SAN= ;;
esac
# shellcheck disable=SC2086,SC2046
if [ -f "$BUILD/libsafekeep.a" ] && (cd "$ROOT" &&
    ${CC:-cc} -std=c11 -D_GNU_SOURCE -Iinclude -Isrc/core $WARN -O2 -g $SAN \
        -o "$TMP/crash_writer" tests/crash/crash_writer.c "$BUILD/libsafekeep.a" \
        $(pkg-config --libs $PKGS) -pthread -lm) 2>"$TMP/cc.err"; then
    ok "build crash_writer against $BUILD/libsafekeep.a"
else
    not_ok "build crash_writer against $BUILD/libsafekeep.a" "$(head -n 20 "$TMP/cc.err" 2>/dev/null || echo "no library: make first")"
    echo "1..$n"
    exit 1
fi

# --- cycles ---------------------------------------------------------------
random_ms() { # 5 to 100
    r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
    echo $((5 + r % 96))
}
acked_total=0
cuts=0
silent=0
early=0
torn=0
seg=0
prev=0
log=
start=$(date +%s)
i=1
while [ "$i" -le "$CYCLES" ]; do
    if [ $(((i - 1) % PER_LOG)) -eq 0 ]; then
        seg=$((seg + 1))
        log="$TMP/log$seg.audit"
        prev=0
    fi
    : >"$TMP/acks"
    "$TMP/crash_writer" "$log" "$THREADS" >>"$TMP/acks" 2>"$TMP/writer.err" &
    pid=$!
    if [ $((i % 10)) -eq 0 ]; then
        ms=$((1 + $(random_ms) % 5))
        when="$ms ms after its start"
        early=$((early + 1))
    else
        # Wait (at most 30 s) for the writer to have opened the log.
        w=0
        while ! grep -q '^ready$' "$TMP/writer.err" && kill -0 "$pid" 2>/dev/null && [ "$w" -lt 15000 ]; do
            sleep 0.002
            w=$((w + 1))
        done
        ms=$(random_ms)
        when="$ms ms after it opened the log"
    fi
    sleep "$(printf '0.%03d' "$ms")"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    status=$?
    pid=
    if [ "$status" -eq 137 ] && [ $((i % 7)) -eq 0 ]; then
        # A torn write, as a power cut in the middle of a group leaves it
        # (SIGKILL almost never tears one: the kernel finishes a write of a
        # page or two). Recovery must cut it like any unsigned tail.
        printf 'R\054\001\000\000' >>"$log"
        head -c "$(($(random_ms) * 3))" /dev/urandom >>"$log"
        when="$when, then a torn write appended"
        torn=$((torn + 1))
    fi
    if [ "$status" -ne 137 ]; then
        not_ok "cycle $i: the writer exited by itself (status $status) before the kill" "$(head -n 5 "$TMP/writer.err")"
    elif out=$("$TMP/crash_writer" --verify "$log" "$TMP/acks" "$prev" 2>"$TMP/verify.err"); then
        read -r _ records _ acks _ cut <<EOF
$out
EOF
        acked_total=$((acked_total + acks))
        [ "$cut" -gt 0 ] && cuts=$((cuts + 1))
        [ "$acks" -eq 0 ] && silent=$((silent + 1))
        ok "cycle $i: killed $when; $acks acknowledged, all among the $records records recovered (tail cut: $cut bytes)"
        prev=$records
    else
        not_ok "cycle $i: killed $when" "$(head -n 5 "$TMP/verify.err")"
        # Go on with a fresh log so that one failure does not fail every cycle.
        seg=$((seg + 1))
        log="$TMP/log$seg.audit"
        prev=0
    fi
    i=$((i + 1))
done
elapsed=$(($(date +%s) - start))
echo "# $CYCLES cycles in ${elapsed} s on $seg log(s), $THREADS writer threads: $acked_total acknowledged appends checked, $cuts tails cut by recovery ($torn torn writes simulated), $silent cycles without any acknowledgement, $early kills timed from the writer's start, $failed failed"
echo "1..$n"
[ "$failed" -eq 0 ]
