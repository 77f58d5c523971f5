#!/usr/bin/env bash
# DPoP under load (issue 14): a reused DPoP-bound token with a new proof on every request,
# against the same route with a reused Bearer token. `auth-bench serve requires-dpop` (one
# actix worker, DPoP allowed on the Bearer route, default proof rules) runs on one core
# (SERVER_CPU) and wrk on another (CLIENT_CPU), over loopback. Each round times, in a rotated
# order, DURATION seconds of:
#   bearer       the same token on every request (served from the verified-token cache)
#   dpop-ES256   the same bound token, a new ES256 proof each request (signed beforehand)
#   dpop-EdDSA   the same, EdDSA proofs
# and prints the medians over the rounds: requests/s, p50/p99 latency and the server's CPU
# time per request (from /proc/<pid>/stat), next to the target of the issue: a cached token's
# CPU per request plus one verification of the proof's algorithm by hand with aws-lc-rs (key
# parsed once; `auth-bench raw-verify`, measured on the server's core before the runs), and
# the ratio to it (target ≤ 1.2).
#
#   scripts/dpop-bench.sh                        # 5 rounds of 10 s (~4 min)
#   DURATION=5 ROUNDS=3 scripts/dpop-bench.sh
#
# Settings (environment): DURATION=10 ROUNDS=5 WARMUP=2 CONNECTIONS=32 SERVER_CPU=0
# CLIENT_CPU=1 PORT=18195 PROOFS_PER_SECOND=20000 (proofs signed per timed second: more than
# the server can take, since a proof is good once). Needs taskset and curl; installs wrk from
# Debian's packages if missing. Every request goes to 127.0.0.1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-18195}
PROOFS_PER_SECOND=${PROOFS_PER_SECOND:-20000}
target=${CARGO_TARGET_DIR:-target}
bench=$target/release/auth-bench
url=http://127.0.0.1:$PORT/items
out=$(mktemp -d)

say() { echo "dpop-bench: $*" >&2; }

for tool in taskset curl; do
    command -v "$tool" >/dev/null || { say "needs $tool"; exit 1; }
done
if ! command -v wrk >/dev/null; then
    say "installing wrk from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

say "building auth-bench in release"
cargo build --release --quiet -p auth-bench --bin auth-bench

if curl -s -o /dev/null "$url"; then
    say "something already answers on port $PORT; set PORT"
    exit 1
fi

client_algs=(ES256 EdDSA)
declare -A raw
for alg in "${client_algs[@]}"; do
    raw[$alg]=$(taskset -c "$SERVER_CPU" "$bench" raw-verify "$alg")
    say "one $alg signature check by hand: ${raw[$alg]} µs"
done

taskset -c "$SERVER_CPU" "$bench" serve requires-dpop ES256 "$PORT" 2>"$out/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 100); do
    curl -s -o /dev/null "$url" && break
    sleep 0.1
done
token=$("$bench" token ES256)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url")
[ "$code" = 200 ] || { say "a Bearer request answered $code, not 200"; exit 1; }

# cpu_ticks: the server's user + system time so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }

# drive KIND SECONDS OUTPUT: one wrk run of KIND; OUTPUT gets wrk's output and a `cpu_ticks`
# line. DPoP runs get their proofs signed first, outside the timed part.
drive() {
    local kind=$1 seconds=$2 output=$3 before after args
    case $kind in
        bearer) args=(-H "Authorization: Bearer $token" "$url") ;;
        dpop-*)
            "$bench" dpop-requests ES256 "${kind#dpop-}" $(( PROOFS_PER_SECOND * seconds )) "$url" \
                >"$out/requests"
            args=(-s bench/wrk/dpop-requests.lua "$url" -- "$out/requests")
            ;;
    esac
    before=$(cpu_ticks)
    taskset -c "$CLIENT_CPU" wrk -t1 "-c$CONNECTIONS" "-d${seconds}s" --latency "${args[@]}" >"$output"
    after=$(cpu_ticks)
    echo "cpu_ticks $(( after - before ))" >>"$output"
    if grep -q "Non-2xx" "$output"; then
        say "$kind: $(grep 'Non-2xx' "$output" | sed 's/^ *//') (raise PROOFS_PER_SECOND if proofs ran out)"
        exit 1
    fi
}

kinds=(bearer "${client_algs[@]/#/dpop-}")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M')
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
echo "Command: DURATION=$DURATION ROUNDS=$ROUNDS CONNECTIONS=$CONNECTIONS scripts/dpop-bench.sh"
echo "Server: auth-bench serve requires-dpop (one worker) on core $SERVER_CPU; wrk -t1 -c$CONNECTIONS on core $CLIENT_CPU; server RSS at the end $rss"
echo
echo "| GET /items | req/s | p50 | p99 | server CPU/req | one verification by hand | target: cached + verification | CPU/req vs target |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for kind in "${kinds[@]}"; do
    alg=${kind#dpop-}
    r=${raw[$alg]:-0}
    awk -v k="$kind" -v r="${rps[$kind]}" -v a="${p50[$kind]}" -v b="${p99[$kind]}" \
        -v c="${cpu[$kind]}" -v cb="${cpu[bearer]}" -v v="$r" 'BEGIN {
        if (k == "bearer") {
            printf "| Bearer, cached token | %d | %d µs | %d µs | %.1f µs | | | |\n", r, a, b, c
        } else {
            printf "| DPoP, new %s proof | %d | %d µs | %d µs | %.1f µs | %.1f µs | %.1f µs | %.2f |\n",
                substr(k, 6), r, a, b, c, v, cb + v, c / (cb + v)
        }
    }'
done
