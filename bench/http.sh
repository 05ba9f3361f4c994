#!/bin/sh
# HTTP benchmark: safekeepd answering an authorised GET /v1/children/{id}
# (bearer token, policy decision, field mask, audit record made durable
# before the answer leaves) against nginx serving the very same bytes as a
# static file, in one run, with wrk on loopback and the same parameters for
# both. Prints requests/s, p50 and p99 latency, their ratio, the daemon's
# peak resident memory and the audit log's group commit, then checks that
# the audit log holds exactly one record per answered request.
#   sh bench/http.sh                  (or: make bench-http)
# Environment: BENCH_CHILDREN (population, default 2000), BENCH_DURATION
# (seconds per wrk run, default 10), BENCH_CONNECTIONS (default 64),
# BENCH_PERF=FILE (a `perf record --call-graph dwarf` of the daemon during
# the loaded run, into FILE; the profile costs the daemon some throughput),
# SK_BIN (a safekeep binary; otherwise a release build is made first).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_CHILDREN:-2000}
D=${BENCH_DURATION:-10}
C=${BENCH_CONNECTIONS:-64}
PERF_OUT=${BENCH_PERF:-}

say() { printf '%s\n' "$*"; }
die() { printf 'bench/http.sh: %s\n' "$*" >&2; exit 1; }

# ---- tools: wrk and nginx from Debian, as scripts/deps.sh installs ----

find_nginx() {
    for n in "$(command -v nginx 2>/dev/null || true)" /usr/sbin/nginx; do
        if [ -n "$n" ] && [ -x "$n" ]; then
            printf '%s\n' "$n"
            return 0
        fi
    done
    return 1
}

install_tools() {
    missing=""
    command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
    find_nginx >/dev/null || missing="$missing nginx-light"
    command -v curl >/dev/null 2>&1 || missing="$missing curl"
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        die "need root or sudo to install:$missing"
    fi
    say "installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >/dev/null
    # nginx-light is the small build; where it is gone, nginx is the same server.
    # shellcheck disable=SC2086,SC2046
    $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null ||
        $SUDO apt-get install -y -q --no-install-recommends \
            $(printf '%s\n' $missing | sed 's/^nginx-light$/nginx/') >/dev/null
}

install_tools
NGINX=$(find_nginx) || die "nginx is not installed"

if [ -n "${SK_BIN:-}" ]; then
    BIN=$SK_BIN
else
    say "building (release)..."
    make -s -C "$ROOT" -j2 BUILD=release all >/dev/null
    BIN=$ROOT/build/release/safekeep
fi
[ -x "$BIN" ] || die "no safekeep binary at $BIN"

# ---- scratch directory, and everything stopped on the way out ----

W=$(mktemp -d "${TMPDIR:-/tmp}/sk-bench-http.XXXXXX")
SK_PID=""
NG_PID=""
PERF_PID=""
stop() {
    pid=$1
    sig=$2
    [ -n "$pid" ] || return 0
    kill -"$sig" "$pid" 2>/dev/null || return 0
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop "$PERF_PID" INT
    stop "$NG_PID" QUIT
    stop "$SK_PID" TERM
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

wait_for_file() {
    i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1))
        [ "$i" -le 100 ] || return 1
        sleep 0.1
    done
}

# ---- the database: the example policy and a synthetic population ----

unset SAFEKEEP_KEY SAFEKEEP_KEY_FILE SAFEKEEP_AUDIT_LOG SAFEKEEP_CONFIG || true
export SAFEKEEP_DB="$W/bench.db"
say "database: $N synthetic children, the example policy..."
"$BIN" init >/dev/null 2>&1
"$BIN" agreement add "$ROOT"/examples/*.policy >/dev/null
"$BIN" generate --children "$N" --years 2 --seed 1 --out "$W/pop" >/dev/null
"$BIN" import --quiet "$W/pop/events.jsonl"
TOKEN=$("$BIN" token create --agency ORR --user bench --role case_manager)

# A typical child: the first one with the median number of events.
CHILD=$(grep -o '"subjects":\["C[0-9]*"' "$W/pop/events.jsonl" |
    sed 's/.*"\(C[0-9]*\)"/\1/' | sort | uniq -c | sort -n -k1,1 -k2,2 |
    awk '{ n[NR] = $1; id[NR] = $2 }
         END { m = n[int((NR + 1) / 2)]; for (i = 1; i <= NR; i++) if (n[i] == m) { print id[i]; exit } }')
[ -n "$CHILD" ] || die "no child found in the generated population"
EVENTS=$(grep -c "\"subjects\":\[\"$CHILD\"" "$W/pop/events.jsonl" || true)

# ---- the daemon: no rate limit, so that wrk measures the work, not 429s ----

export SAFEKEEP_RATE_PER_S=0
"$BIN" serve --listen 127.0.0.1:0 --port-file "$W/sk.port" >"$W/sk.log" 2>&1 &
SK_PID=$!
wait_for_file "$W/sk.port" || { cat "$W/sk.log" >&2; die "safekeepd did not start"; }
SK_PORT=$(cat "$W/sk.port")
URL_PATH="/v1/children/$CHILD"
SK_URL="http://127.0.0.1:$SK_PORT$URL_PATH"
H_AUTH="Authorization: Bearer $TOKEN"
H_PURPOSE="Safekeep-Purpose: child_welfare"

# The body once, for nginx to serve byte for byte.
mkdir -p "$W/www/v1/children"
code=$(curl -sS -o "$W/www$URL_PATH" -D "$W/sk.headers" -w '%{http_code}' \
    -H "$H_AUTH" -H "$H_PURPOSE" "$SK_URL")
[ "$code" = 200 ] || die "GET $URL_PATH answered $code"
CTYPE=$(sed -n 's/^[Cc]ontent-[Tt]ype: *\([^;[:space:]]*\).*/\1/p' "$W/sk.headers" | head -n 1)
BYTES=$(wc -c <"$W/www$URL_PATH" | tr -d ' ')

# ---- nginx: as this user, everything under the scratch directory ----

mkdir -p "$W/nginx/logs" "$W/nginx/tmp"
NG_USER=""
# As root, nginx would hand its workers to "nobody", who cannot read the
# scratch directory (mode 0700): keep them as this user.
[ "$(id -u)" -eq 0 ] && NG_USER="user $(id -un) $(id -gn);"
start_nginx() {
    NG_PORT=$(free_port)
    cat >"$W/nginx/nginx.conf" <<EOF
$NG_USER
worker_processes 2;
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $W/nginx/tmp/body;
    proxy_temp_path $W/nginx/tmp/proxy;
    fastcgi_temp_path $W/nginx/tmp/fastcgi;
    uwsgi_temp_path $W/nginx/tmp/uwsgi;
    scgi_temp_path $W/nginx/tmp/scgi;
    types { }
    default_type $CTYPE;
    server {
        listen 127.0.0.1:$NG_PORT;
        root $W/www;
    }
}
EOF
    "$NGINX" -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/logs/error.log" \
        >"$W/nginx/stdout" 2>&1 &
    NG_PID=$!
    i=0
    while [ "$i" -lt 50 ]; do
        if curl -s -o /dev/null "http://127.0.0.1:$NG_PORT$URL_PATH"; then
            return 0
        fi
        kill -0 "$NG_PID" 2>/dev/null || break
        i=$((i + 1))
        sleep 0.1
    done
    stop "$NG_PID" QUIT
    NG_PID=""
    return 1
}
tries=0
until start_nginx; do
    tries=$((tries + 1))
    [ "$tries" -lt 3 ] || { cat "$W/nginx/logs/error.log" >&2; die "nginx did not start"; }
done
NG_URL="http://127.0.0.1:$NG_PORT$URL_PATH"
curl -sS -o "$W/ng.body" "$NG_URL"
cmp -s "$W/ng.body" "$W/www$URL_PATH" || die "nginx does not serve the same body"

# ---- the runs ----

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
say ""
say "machine : $(nproc) cores, $CPU, $(uname -sr)"
say "tools   : $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), $("$NGINX" -v 2>&1 | sed 's/.*: //')"
say "request : GET $URL_PATH (child with $EVENTS events), ORR case_manager, child_welfare"
say "          $BYTES bytes of $CTYPE; nginx serves the same file (sendfile, 2 workers, no access log)"
say "daemon  : safekeep serve, $("$BIN" serve --print-config | sed -n 's/^threads = //p') threads," \
    "rate limit OFF (SAFEKEEP_RATE_PER_S=0) for this benchmark"
say "wrk     : -d${D}s --latency, -t2 -c$C (loaded) and -t1 -c1 (unloaded), same headers for both"

# CPU time (user + system, in clock ticks) of the given processes so far.
cpu_ticks() {
    for p in "$@"; do
        sed 's/.*) //' "/proc/$p/stat" 2>/dev/null || true
    done | awk '{ s += $12 + $13 } END { print s + 0 }'
}

run() { # name threads connections url pid...
    name=$1
    t=$2
    c=$3
    url=$4
    shift 4
    before=$(cpu_ticks "$@")
    wrk -t"$t" -c"$c" -d"${D}s" --latency -H "$H_AUTH" -H "$H_PURPOSE" "$url" >"$W/$name.wrk" 2>&1 ||
        { cat "$W/$name.wrk" >&2; die "wrk failed"; }
    echo $(($(cpu_ticks "$@") - before)) >"$W/$name.cpu"
    if grep -q -e 'Non-2xx' -e 'Socket errors' "$W/$name.wrk"; then
        say "warning: $name: $(grep -e 'Non-2xx' -e 'Socket errors' "$W/$name.wrk" | tr -s ' ')" >&2
    fi
}

say ""
say "running wrk: safekeepd -c$C..."
if [ -n "$PERF_OUT" ]; then
    perf record -q -F 499 --call-graph dwarf,16384 -p "$SK_PID" -o "$PERF_OUT" >"$W/perf.log" 2>&1 &
    PERF_PID=$!
    sleep 0.5
fi
run sk_c "$C" "$C" "$SK_URL" "$SK_PID"
if [ -n "$PERF_PID" ]; then
    stop "$PERF_PID" INT
    PERF_PID=""
    say "perf profile of the daemon: $PERF_OUT (perf report -i $PERF_OUT --stdio)"
fi
say "running wrk: nginx -c$C..."
NG_PIDS="$NG_PID $(pgrep -P "$NG_PID" 2>/dev/null | tr '\n' ' ')"
# shellcheck disable=SC2086
run ng_c "$C" "$C" "$NG_URL" $NG_PIDS
say "running wrk: safekeepd -c1..."
run sk_1 1 1 "$SK_URL" "$SK_PID"
say "running wrk: nginx -c1..."
# shellcheck disable=SC2086
run ng_1 1 1 "$NG_URL" $NG_PIDS

# ---- what the daemon says about itself, then stop it and read the log ----

HWM_KB=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SK_PID/status")
NG_HWM_KB=0
for p in $NG_PIDS; do
    k=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$p/status" 2>/dev/null || true)
    NG_HWM_KB=$((NG_HWM_KB + ${k:-0}))
done
curl -sS -o "$W/metrics" "http://127.0.0.1:$SK_PORT/metrics"
stop "$SK_PID" TERM
SK_PID=""
stop "$NG_PID" QUIT
NG_PID=""
"$BIN" audit verify >"$W/verify" 2>&1 || { cat "$W/verify" >&2; die "audit verify failed"; }
RECORDS=$(sed -n 's/^audit log ok: \([0-9]*\) records.*/\1/p' "$W/verify")

# ---- the summary ----

# wrk prints latencies as 812.00us, 1.27ms or 1.02s; this gives ms.
AWK_LIB='
function ms(v) {
    if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
    if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
    if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
    return v + 0
}
function wrk(file, key,    line, f) {
    while ((getline line < file) > 0) {
        split(line, f, " ")
        if (key == "rps" && f[1] == "Requests/sec:") { close(file); return f[2] + 0 }
        if (key == "p50" && f[1] == "50%") { close(file); return ms(f[2]) }
        if (key == "p99" && f[1] == "99%") { close(file); return ms(f[2]) }
        if (key == "n" && f[2] == "requests" && f[3] == "in") { close(file); return f[1] + 0 }
    }
    close(file)
    return 0
}'

awk -v W="$W" -v C="$C" -v hwm="$HWM_KB" -v nghwm="$NG_HWM_KB" -v tck="$(getconf CLK_TCK)" \
    -v skcpu="$(cat "$W/sk_c.cpu")" -v ngcpu="$(cat "$W/ng_c.cpu")" "$AWK_LIB"'
BEGIN {
    sc = wrk(W "/sk_c.wrk", "rps"); nc = wrk(W "/ng_c.wrk", "rps")
    s1 = wrk(W "/sk_1.wrk", "rps"); n1 = wrk(W "/ng_1.wrk", "rps")
    printf "\n%-24s %12s %10s %10s\n", "", "requests/s", "p50 ms", "p99 ms"
    printf "%-24s %12.0f %10.3f %10.3f\n", "safekeepd  -c" C, sc, wrk(W "/sk_c.wrk", "p50"), wrk(W "/sk_c.wrk", "p99")
    printf "%-24s %12.0f %10.3f %10.3f\n", "nginx      -c" C, nc, wrk(W "/ng_c.wrk", "p50"), wrk(W "/ng_c.wrk", "p99")
    printf "%-24s %11.3fx\n", "ratio safekeepd/nginx", (nc > 0 ? sc / nc : 0)
    printf "%-24s %12.0f %10.3f %10.3f\n", "safekeepd  -c1", s1, wrk(W "/sk_1.wrk", "p50"), wrk(W "/sk_1.wrk", "p99")
    printf "%-24s %12.0f %10.3f %10.3f\n", "nginx      -c1", n1, wrk(W "/ng_1.wrk", "p50"), wrk(W "/ng_1.wrk", "p99")
    printf "%-24s %11.3fx\n", "ratio safekeepd/nginx", (n1 > 0 ? s1 / n1 : 0)
    printf "\npeak RSS (VmHWM): safekeepd %.1f MB; nginx %.1f MB (master + workers)\n", hwm / 1024, nghwm / 1024
    skn = wrk(W "/sk_c.wrk", "n"); ngn = wrk(W "/ng_c.wrk", "n")
    printf "CPU per request at -c%s (user + system): safekeepd %.0f us, nginx %.0f us\n", C,
        (skn > 0 ? skcpu / tck / skn * 1e6 : 0), (ngn > 0 ? ngcpu / tck / ngn * 1e6 : 0)
    p99 = wrk(W "/sk_c.wrk", "p99")
    printf "\ngoals (at -c%s):\n", C
    printf "  requests/s >= 0.5 x nginx : %.3f x   %s\n", (nc > 0 ? sc / nc : 0), (nc > 0 && sc / nc >= 0.5 ? "met" : "MISSED")
    printf "  p99 < 5 ms                : %.3f ms %s\n", p99, (p99 < 5 ? "met" : "MISSED")
    printf "  peak RSS < 64 MB          : %.1f MB  %s\n", hwm / 1024, (hwm < 65536 ? "met" : "MISSED")
}'

# Group commit: the histogram is cumulative (le = 1, 2, 4, ...).
awk '
/^safekeep_audit_fsync_batch_size_bucket/ {
    le = $1; sub(/.*le="/, "", le); sub(/".*/, "", le)
    n++; les[n] = le; cum[n] = $2
}
/^safekeep_audit_fsync_batch_size_sum / { sum = $2 }
/^safekeep_audit_fsync_batch_size_count / { count = $2 }
END {
    printf "\naudit group commit: %d records in %d fsyncs, %.1f records per fsync on average\n", sum, count, (count > 0 ? sum / count : 0)
    printf "  records per fsync:"
    prev = 0; lo = 1
    for (i = 1; i <= n; i++) {
        k = cum[i] - prev; prev = cum[i]
        if (k > 0) {
            label = (les[i] == "+Inf") ? (lo "+") : (lo == les[i] ? lo : lo "-" les[i])
            printf " %s: %d;", label, k
        }
        if (les[i] != "+Inf") lo = les[i] + 1
    }
    printf "\n"
}' "$W/metrics"

# One audit record per answered request: the daemon counted its 200s, wrk
# counted the responses that completed before its timer ran out (requests
# still in flight then were answered, and recorded, but not counted by
# wrk), and the first curl adds one.
SERVED=$(sed -n 's/^safekeep_http_requests_total{route="child_get",status="200"} \([0-9]*\)$/\1/p' "$W/metrics")
OTHER=$(awk '/^safekeep_http_requests_total\{route="child_get"/ && !/status="200"/ { s += $2 } END { print s + 0 }' "$W/metrics")
WRK_SK=$(awk -v W="$W" "$AWK_LIB"'BEGIN { print wrk(W "/sk_c.wrk", "n") + wrk(W "/sk_1.wrk", "n") }')
say ""
say "audit: $RECORDS records in the log (audit verify ok); the daemon answered ${SERVED:-0} GETs with 200" \
    "and ${OTHER} otherwise; wrk counted $WRK_SK, plus 1 from curl"
ok=1
[ "${RECORDS:-x}" = "${SERVED:-y}" ] || ok=0
[ "$OTHER" -eq 0 ] || ok=0
[ "$((WRK_SK + 1))" -le "${RECORDS:-0}" ] || ok=0
[ "${RECORDS:-0}" -le "$((WRK_SK + 1 + C + 1))" ] || ok=0
if [ "$ok" -eq 1 ]; then
    say "audit: one record per answered request: yes ($((RECORDS - WRK_SK - 1)) answered after wrk stopped counting)"
else
    say "audit: MISMATCH between the audit log and the requests answered" >&2
    exit 1
fi
