#!/usr/bin/env bash
# DPoP under load (issue 14): a reused DPoP-bound token with a new proof on every request,
# against the same route with a reused Bearer token. `auth-bench serve requires-dpop` (one
# actix worker, DPoP allowed on the Bearer route, default proof rules) runs on one core
# (SERVER_CPU) and wrk on another (CLIENT_CPU), over loopback. Each round times, in a rotated
# order, DURATION seconds of:
#   bearer       the same token on every request (served from the verified-token cache)
#   dpop-ES256   the same bound token, a new ES256 proof each request (signed beforehand)
#   dpop-EdDSA   the same, EdDSA proofs
#   verify-ES256 the target's baseline served under load: `auth-bench serve requires-verify
#                ES256` (a second server, same core), the cached Bearer token, and a handler
#                that checks one ES256 signature by hand with aws-lc-rs (key parsed once)
#   verify-EdDSA the same with an EdDSA signature (a third server)
# and prints the medians over the rounds: requests/s, p50/p99 latency and the server's CPU
# time per request (from /proc/<pid>/stat), next to the target of the issue, in two forms:
#   - summed: a cached token's CPU per request at its own (full) rate plus one verification of
#     the proof's algorithm by hand (`auth-bench raw-verify`, on the server's core before the
#     runs);
#   - under load: the verify-<alg> server's CPU per request, the same sum as one server pays it
#     at about the DPoP run's request rate. At full rate the client is never idle when a
#     response arrives; at a signature's rate it is, and every response then wakes it across
#     cores (kernel time in `send`), a cost the summed form leaves out and any server pays.
# and the ratio to each (target ≤ 1.2). The ratio under load is the median of each round's
# ratio (the DPoP run and its baseline run of the same round, a few seconds apart), so that a
# slow spell of the machine weighs on both sides of a ratio.
#
# With COUNT=instructions the servers run under `valgrind --tool=callgrind` instead, and each
# kind's count is the user-space instructions of one DURATION-second wrk run (4 connections)
# divided by its requests: repeatable whatever the machine does, and without the kernel (so
# without the wake-ups either): the cost of the server's own code against the baseline's.
#
#   scripts/dpop-bench.sh                        # 5 rounds of 10 s (~6 min)
#   DURATION=5 ROUNDS=3 scripts/dpop-bench.sh
#   COUNT=instructions scripts/dpop-bench.sh     # instructions per request (~3 min)
#
# Settings (environment): DURATION=10 ROUNDS=5 WARMUP=2 CONNECTIONS=32 SERVER_CPU=0
# CLIENT_CPU=1 PORT=18195 PROOFS_PER_SECOND=20000 (proofs signed per timed second: more than
# the server can take, since a proof is good once) COUNT=cpu. Needs taskset and curl; installs
# wrk from Debian's packages if missing, and needs valgrind for COUNT=instructions. Every
# request goes to 127.0.0.1.
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
PORT=${PORT:-18195}
PROOFS_PER_SECOND=${PROOFS_PER_SECOND:-20000}
COUNT=${COUNT:-cpu}
target=${CARGO_TARGET_DIR:-target}
bench=$target/release/auth-bench
url=http://127.0.0.1:$PORT/items
out=$(mktemp -d)

say() { echo "dpop-bench: $*" >&2; }

for tool in taskset curl; do
    command -v "$tool" >/dev/null || { say "needs $tool"; exit 1; }
done
case $COUNT in
    cpu) ;;
    instructions)
        command -v valgrind >/dev/null || { say "COUNT=instructions needs valgrind"; exit 1; }
        CONNECTIONS=4
        ;;
    *) say "COUNT=$COUNT: expected cpu or instructions"; exit 1 ;;
esac
install_missing wrk

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

# One server per stack, all on the server's core; only the one under load works at a time.
declare -A server_of url_of token_of
servers=()
trap 'kill "${servers[@]}" 2>/dev/null || true; rm -rf "$out"' EXIT
# start KIND STACK ALG PORT: serves STACK for the runs of KIND, with tokens signed with ALG.
start() {
    local kind=$1 stack=$2 alg=$3 port=$4 code
    local wrapper=()
    if [ "$COUNT" = instructions ]; then
        wrapper=(valgrind --tool=callgrind --compress-strings=no --compress-pos=no
            "--callgrind-out-file=$out/callgrind.%p")
    fi
    taskset -c "$SERVER_CPU" "${wrapper[@]}" "$bench" serve "$stack" "$alg" "$port" \
        2>"$out/$kind.log" &
    servers+=($!)
    server_of[$kind]=$!
    url_of[$kind]=http://127.0.0.1:$port/items
    token_of[$kind]=$("$bench" token "$alg")
    for _ in $(seq 600); do
        curl -s -o /dev/null "${url_of[$kind]}" && break
        sleep 0.1
    done
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${token_of[$kind]}" \
        "${url_of[$kind]}")
    [ "$code" = 200 ] || { say "$kind: a Bearer request answered $code, not 200"; exit 1; }
}
start bearer requires-dpop ES256 "$PORT"
for alg in "${client_algs[@]}"; do
    server_of[dpop-$alg]=${server_of[bearer]}
    url_of[dpop-$alg]=$url
    start "verify-$alg" requires-verify "$alg" $(( PORT + ${#servers[@]} ))
done
token=${token_of[bearer]}

# cpu_ticks KIND: the user + system time so far of KIND's server, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/${server_of[$1]}/stat"; }

# drive KIND SECONDS OUTPUT: one wrk run of KIND; OUTPUT gets wrk's output and a `cpu_ticks`
# line. DPoP runs get their proofs signed first, outside the timed part.
drive() {
    local kind=$1 seconds=$2 output=$3 before after args
    case $kind in
        bearer | verify-*) args=(-H "Authorization: Bearer ${token_of[$kind]}" "${url_of[$kind]}") ;;
        dpop-*)
            "$bench" dpop-requests ES256 "${kind#dpop-}" $(( PROOFS_PER_SECOND * seconds )) "$url" \
                >"$out/requests"
            args=(-s bench/wrk/dpop-requests.lua "$url" -- "$out/requests")
            ;;
    esac
    before=$(cpu_ticks "$kind")
    taskset -c "$CLIENT_CPU" wrk -t1 "-c$CONNECTIONS" "-d${seconds}s" --latency "${args[@]}" >"$output"
    after=$(cpu_ticks "$kind")
    echo "cpu_ticks $(( after - before ))" >>"$output"
    if grep -q "Non-2xx" "$output"; then
        say "$kind: $(grep 'Non-2xx' "$output" | sed 's/^ *//') (raise PROOFS_PER_SECOND if proofs ran out)"
        exit 1
    fi
}

kinds=(bearer "${client_algs[@]/#/dpop-}" "${client_algs[@]/#/verify-}")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M')

if [ "$COUNT" = instructions ]; then
    declare -A per_request
    for kind in "${kinds[@]}"; do
        drive "$kind" "$WARMUP" "$out/warmup"
        callgrind_control -z "${server_of[$kind]}" >/dev/null 2>&1
        drive "$kind" "$DURATION" "$out/$kind"
        requests=$(awk '/ requests in / { print $1 }' "$out/$kind")
        callgrind_control -d "${server_of[$kind]}" >/dev/null 2>&1
        # callgrind names its dumps after the process: the kind's server.
        dump=$(ls -t "$out/callgrind.${server_of[$kind]}".* | head -n1)
        total=$(awk '/^summary:/ { print $2 }' "$dump")
        per_request[$kind]=$(( total / requests ))
        say "$kind: $requests requests, $total instructions"
    done
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr); $(valgrind --version)"
    echo "Date: $started UTC"
    echo "Command: DURATION=$DURATION COUNT=instructions scripts/dpop-bench.sh"
    echo
    echo "| GET /items | instructions/request | target: requires-verify | vs target |"
    echo "|---|---:|---:|---:|"
    for kind in "${kinds[@]}"; do
        alg=${kind#*-}
        awk -v k="$kind" -v alg="$alg" -v n="${per_request[$kind]}" \
            -v t="${per_request[verify-$alg]:-0}" 'BEGIN {
            if (k == "bearer") printf "| Bearer, cached token | %d | | |\n", n
            else if (k ~ /^verify-/)
                printf "| Bearer, cached token + one %s check by hand in the handler | %d | | |\n", alg, n
            else printf "| DPoP, new %s proof | %d | %d | **%.2f** |\n", alg, n, t, n / t
        }'
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
rss=$(awk '/^VmRSS/ { print $2 " " $3 }' "/proc/${server_of[bearer]}/status")

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

# paired_ratio KIND BASE: the median over the rounds of KIND's CPU per request over BASE's.
paired_ratio() {
    for (( round = 0; round < ROUNDS; round++ )); do
        paste <(summarize "$out/$1.$round") <(summarize "$out/$2.$round") |
            awk '{ print $4 / $8 }'
    done | median
}

declare -A rps p50 p99 cpu paired
for kind in "${kinds[@]}"; do
    rps[$kind]=$(column_of "$kind" 1)
    p50[$kind]=$(column_of "$kind" 2)
    p99[$kind]=$(column_of "$kind" 3)
    cpu[$kind]=$(column_of "$kind" 4)
done
for alg in "${client_algs[@]}"; do
    paired[$alg]=$(paired_ratio "dpop-$alg" "verify-$alg")
done

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
echo "Date: $started UTC; load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Command: DURATION=$DURATION ROUNDS=$ROUNDS CONNECTIONS=$CONNECTIONS scripts/dpop-bench.sh"
echo "Servers: auth-bench serve requires-dpop ES256 and requires-verify ES256/EdDSA (one worker each) on core $SERVER_CPU; wrk -t1 -c$CONNECTIONS on core $CLIENT_CPU; requires-dpop's RSS at the end $rss"
echo
echo "| GET /items | req/s | p50 | p99 | server CPU/req | target, summed: cached + one verification by hand | vs summed | target, under load: requires-verify | vs under load (median of the rounds' ratios) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for kind in "${kinds[@]}"; do
    alg=${kind#*-}
    awk -v k="$kind" -v alg="$alg" -v r="${rps[$kind]}" -v a="${p50[$kind]}" -v b="${p99[$kind]}" \
        -v c="${cpu[$kind]}" -v cb="${cpu[bearer]}" -v v="${raw[$alg]:-0}" \
        -v cl="${cpu[verify-$alg]:-0}" -v pr="${paired[$alg]:-0}" 'BEGIN {
        row = sprintf("| %d | %d µs | %d µs | %.1f µs |", r, a, b, c)
        if (k == "bearer") {
            printf "| Bearer, cached token %s | | | |\n", row
        } else if (k ~ /^verify-/) {
            printf "| Bearer, cached token + one %s check by hand in the handler %s %.1f + %.1f µs | | | |\n",
                alg, row, cb, v
        } else {
            printf "| DPoP, new %s proof %s %.1f µs | **%.2f** | %.1f µs | **%.2f** |\n",
                alg, row, cb + v, c / (cb + v), cl, pr
        }
    }'
done
