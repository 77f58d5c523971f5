#!/usr/bin/env bash
# Basic as fast as a cached Bearer token (issue 12): the quickstart's `GET /reports`, which
# accepts both schemes, built in release and served on one core (SERVER_CPU: one actix worker,
# one password-hashing thread), driven by wrk on another (CLIENT_CPU) over loopback. Each
# round times, in a rotated order, DURATION seconds of:
#   bearer  the same HS256 token on every request (served from the verified-token cache)
#   basic   alice:wonderland on every request (served from the verified-credential cache;
#           argon2 ran once, for the first request)
#   none    `GET /public`, no authentication: the baseline
# and prints the medians over the rounds: requests/s, p50/p99 latency, the server's CPU time
# per request (from /proc/<pid>/stat: it holds still when other processes take turns on the
# cores), and the ratios to Bearer. The target: basic ≥ 0.9 × bearer.
#
#   scripts/basic-bench.sh                             # 5 rounds of 10 s (~3 min)
#   DURATION=5 ROUNDS=3 scripts/basic-bench.sh
#   COUNT=instructions scripts/basic-bench.sh          # instructions per request (callgrind)
#
# With COUNT=instructions the server runs under `valgrind --tool=callgrind` instead, and each
# kind's count is the instructions of one DURATION-second wrk run (4 connections) divided by
# its requests: repeatable whatever else the machine runs, where req/s is not. Under valgrind
# the CPU's SHA extensions are hidden, so the HMAC of the Basic cache's tag runs in software
# and weighs more than on the real CPU.
#
# Settings (environment): DURATION=10 ROUNDS=5 WARMUP=2 CONNECTIONS=32 SERVER_CPU=0
# CLIENT_CPU=1 PORT=18190 COUNT=time. Needs taskset, curl and wrk (installed from Debian's
# packages if missing), and valgrind for COUNT=instructions. Every request goes to 127.0.0.1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/debian.sh
source scripts/lib/debian.sh

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-18190}
COUNT=${COUNT:-time}
target=${CARGO_TARGET_DIR:-target}
out=$(mktemp -d)

say() { echo "basic-bench: $*" >&2; }

for tool in taskset curl; do
    command -v "$tool" >/dev/null || { say "needs $tool"; exit 1; }
done
install_missing wrk

say "building the quickstart in release"
cargo build --release --quiet --example quickstart -p auth-examples

if curl -s -o /dev/null "http://127.0.0.1:$PORT/public"; then
    say "something already answers on port $PORT; set PORT"
    exit 1
fi
wrapper=()
if [ "$COUNT" = instructions ]; then
    command -v valgrind >/dev/null || { say "COUNT=instructions needs valgrind"; exit 1; }
    wrapper=(valgrind --tool=callgrind --compress-strings=no --compress-pos=no
        "--callgrind-out-file=$out/callgrind.out")
fi
BIND=127.0.0.1:$PORT RUST_LOG=warn AUTH_BASIC_USERS=alice:wonderland \
    AUTH_HS256_SECRET="bench-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" \
    taskset -c "$SERVER_CPU" "${wrapper[@]}" "$target/release/examples/quickstart" \
    >"$out/banner" 2>"$out/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 300); do
    grep -q "reports -H 'Authorization: Bearer" "$out/banner" 2>/dev/null && break
    sleep 0.1
done
token=$(sed -n "s|.*/reports -H 'Authorization: Bearer \([^']*\)'.*|\1|p" "$out/banner")
[ -n "$token" ] || { say "the quickstart printed no token; see its log"; cat "$out/server.log" >&2; exit 1; }
basic=$(printf 'alice:wonderland' | base64)

# request KIND: curl arguments for one request of KIND.
request() {
    case $1 in
        bearer) echo "-H|Authorization: Bearer $token|http://127.0.0.1:$PORT/reports" ;;
        basic) echo "-H|Authorization: Basic $basic|http://127.0.0.1:$PORT/reports" ;;
        none) echo "http://127.0.0.1:$PORT/public" ;;
    esac
}

kinds=(bearer basic none)
for kind in "${kinds[@]}"; do
    IFS='|' read -r -a args <<<"$(request "$kind")"
    code=$(curl -s -o /dev/null -w '%{http_code}' "${args[@]}")
    [ "$code" = 200 ] || { say "$kind answered $code, not 200"; exit 1; }
done

# cpu_ticks: the server's user + system time so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }

# drive KIND SECONDS OUTPUT: one wrk run; OUTPUT gets wrk's output and a `cpu_ticks` line.
drive() {
    local before after
    IFS='|' read -r -a args <<<"$(request "$1")"
    before=$(cpu_ticks)
    taskset -c "$CLIENT_CPU" wrk -t1 "-c$CONNECTIONS" "-d${2}s" --latency "${args[@]}" >"$3"
    after=$(cpu_ticks)
    echo "cpu_ticks $(( after - before ))" >>"$3"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M')

if [ "$COUNT" = instructions ]; then
    declare -A per_request
    for kind in "${kinds[@]}"; do
        IFS='|' read -r -a args <<<"$(request "$kind")"
        taskset -c "$CLIENT_CPU" wrk -t1 -c4 "-d${WARMUP}s" "${args[@]}" >/dev/null
        callgrind_control -z "$server" >/dev/null 2>&1
        requests=$(taskset -c "$CLIENT_CPU" wrk -t1 -c4 "-d${DURATION}s" "${args[@]}" |
            awk '/ requests in / { print $1 }')
        callgrind_control -d "$server" >/dev/null 2>&1
        dump=$(ls -t "$out"/callgrind.out.* | head -n1)
        total=$(awk '/^summary:/ { print $2 }' "$dump")
        per_request[$kind]=$(( total / requests ))
        say "$kind: $requests requests, $total instructions"
    done
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr); $(valgrind --version)"
    echo "Date: $started UTC"
    echo "Command: DURATION=$DURATION COUNT=instructions scripts/basic-bench.sh"
    echo
    echo "| GET | credentials | instructions/request | vs Bearer |"
    echo "|---|---|---:|---:|"
    for kind in "${kinds[@]}"; do
        path=/reports
        [ "$kind" = none ] && path=/public
        awk -v k="$kind" -v p="$path" -v n="${per_request[$kind]}" -v b="${per_request[bearer]}" \
            'BEGIN { printf "| %s | %s | %d | %.2f |\n", p, k, n, b / n }'
    done
    exit 0
fi
for kind in "${kinds[@]}"; do drive "$kind" "$WARMUP" "$out/warmup"; done
for (( round = 0; round < ROUNDS; round++ )); do
    say "round $(( round + 1 )) of $ROUNDS"
    for (( i = 0; i < ${#kinds[@]}; i++ )); do
        kind=${kinds[(i + round) % ${#kinds[@]}]}
        drive "$kind" "$DURATION" "$out/$kind.$round"
    done
done
rss=$(awk '/^VmRSS/ { print $2 " " $3 }' "/proc/$server/status")

ticks_per_second=$(getconf CLK_TCK)
# One line per run: req/s, p50 and p99 in µs, server CPU µs per request.
summarize() {
    awk -v tck="$ticks_per_second" '
        function us(v) {
            if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1e6
            return v
        }
        /^Requests\/sec:/ { rps = $2 }
        / requests in / { n = $1 }
        /^ +50%/ { p50 = us($2) }
        /^ +99%/ { p99 = us($2) }
        /^cpu_ticks/ { cpu = $2 / tck * 1e6 / n }
        END { printf "%.0f %.0f %.0f %.2f\n", rps, p50, p99, cpu }' "$1"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
column_of() { for f in "$out/$1".*; do summarize "$f"; done | awk -v c="$2" '{ print $c }' | median; }

declare -A rps p50 p99 cpu
for kind in "${kinds[@]}"; do
    rps[$kind]=$(column_of "$kind" 1)
    p50[$kind]=$(column_of "$kind" 2)
    p99[$kind]=$(column_of "$kind" 3)
    cpu[$kind]=$(column_of "$kind" 4)
done

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
echo "Date: $started UTC; load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Command: DURATION=$DURATION ROUNDS=$ROUNDS CONNECTIONS=$CONNECTIONS scripts/basic-bench.sh"
echo "Server: the quickstart on core $SERVER_CPU (one worker); wrk -t1 -c$CONNECTIONS on core $CLIENT_CPU; server RSS at the end $rss"
echo
echo "| GET | credentials | req/s | p50 | p99 | server CPU/req | req/s vs Bearer | CPU/req vs Bearer |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for kind in "${kinds[@]}"; do
    path=/reports
    [ "$kind" = none ] && path=/public
    awk -v k="$kind" -v p="$path" -v r="${rps[$kind]}" -v a="${p50[$kind]}" -v b="${p99[$kind]}" \
        -v c="${cpu[$kind]}" -v rb="${rps[bearer]}" -v cb="${cpu[bearer]}" 'BEGIN {
        printf "| %s | %s | %d | %d µs | %d µs | %.1f µs | %.2f | %.2f |\n", p, k, r, a, b, c, r / rb, c / cb }'
done
