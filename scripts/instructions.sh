#!/usr/bin/env bash
# Instructions per request of each stack of the load benchmark, counted by callgrind: a
# repeatable measure of what authentication costs the server, whatever else the machine is
# doing (the throughput of scripts/load-bench.sh moves with the machine's other load; this
# count does not). The same `auth-bench` server and stacks as scripts/load-bench.sh, run under
# `valgrind --tool=callgrind`; wrk sends the load; counters are zeroed after a warm-up and read
# after a timed run, and divided by the requests wrk completed.
#
#   scripts/instructions.sh                          # HS256 and EdDSA, reused and new tokens
#   ALGS="HS256 RS256 PS256 ES256 EdDSA" scripts/instructions.sh
#
# Settings (environment):
#   ALGS="HS256 EdDSA"   STACKS="noauth requires requires-nocache httpauth grants"
#   MODES="reused fresh" DURATION=10 (seconds of counted load)  WARMUP=3
#   CONNECTIONS=4        BASE_PORT=18200
#   OUT=target/instructions/<UTC time>
#   AUTH_BENCH_METRICS=prometheus   the servers install a metrics recorder (unset: none)
#
# Under valgrind the server runs about 50 times slower, so work done once a second (the token
# cache's sweep of expired entries) weighs about 50 times more per request than at full speed.
# Needs: a Rust toolchain, curl and flock; installs valgrind and wrk from Debian's packages if missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/debian.sh
source scripts/lib/debian.sh
# Cargo's target directory: builds, tokens and results go there.
TARGET=${CARGO_TARGET_DIR:-target}

ALGS=${ALGS:-"HS256 EdDSA"}
STACKS=${STACKS:-"noauth requires requires-nocache httpauth grants"}
MODES=${MODES:-"reused fresh"}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-4}
BASE_PORT=${BASE_PORT:-18200}
OUT=${OUT:-$TARGET/instructions/$(date -u +%Y%m%dT%H%M%SZ)}
TOKENS_DIR=$TARGET/load-bench/tokens
LUA=bench/wrk/fresh-tokens.lua

read -r -a algs <<<"$ALGS"
read -r -a stacks <<<"$STACKS"
read -r -a modes <<<"$MODES"

say() { echo "instructions: $*" >&2; }

for tool in curl flock; do
    command -v "$tool" >/dev/null || { say "needs $tool"; exit 1; }
done
install_missing valgrind wrk

say "building auth-bench in release"
cargo build --release --quiet -p auth-bench --bins
mkdir -p "$OUT" "$TOKENS_DIR"
# A copy: another build into a shared target directory cannot swap the binary mid-run.
cp "$TARGET/release/auth-bench" "$OUT/auth-bench"
BIN=$OUT/auth-bench
# The lock of scripts/load-bench.sh: a count and a load run at once would disturb each other.
exec 9>"$TOKENS_DIR/../.lock"
if ! flock -n 9; then
    say "scripts/load-bench.sh or another count is running in this checkout; wait for it to finish"
    exit 1
fi

server_pid=
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
}
trap stop_server EXIT

# load MODE PORT SECONDS START: one wrk run; prints wrk's output.
load() {
    local args=(-t1 "-c$CONNECTIONS" "-d${3}s" "http://127.0.0.1:$2/items")
    case $1 in
        reused) wrk -H "Authorization: Bearer $token" "${args[@]}" ;;
        fresh) wrk -s "$LUA" "${args[@]}" -- "$tokens_file" "$4" ;;
    esac
}

# measure STACK MODE PORT: sets per_request to the instructions per request of one stack.
measure() {
    local stack=$1 mode=$2 port=$3 name="$OUT/${2}__${alg}__$1" attempt warmed requests total
    valgrind --tool=callgrind --callgrind-out-file="$name.%p.callgrind" \
        "$BIN" serve "$stack" "$alg" "$port" 2>"$name.valgrind.log" &
    server_pid=$!
    for attempt in $(seq 300); do
        if curl -sf "http://127.0.0.1:$port/__bench/stats" | grep -q "\"pid\":$server_pid[,}]"; then
            break
        fi
        kill -0 "$server_pid" 2>/dev/null || { say "$stack did not start; see $name.valgrind.log"; exit 1; }
        sleep 0.2
    done
    # The warm-up sends the first tokens of the file, the counted run the ones after them.
    load "$mode" "$port" "$WARMUP" 0 >"$name.warmup.wrk"
    warmed=$(awk '/ requests in / { print $1 }' "$name.warmup.wrk")
    callgrind_control -z "$server_pid" >/dev/null 2>&1
    load "$mode" "$port" "$DURATION" $(( warmed + 2 * CONNECTIONS )) >"$name.wrk"
    callgrind_control -d "$server_pid" >/dev/null 2>&1
    stop_server
    requests=$(awk '/ requests in / { print $1 }' "$name.wrk")
    if grep -q "Non-2xx" "$name.wrk"; then
        say "$stack answered errors under load; see $name.wrk"
        exit 1
    fi
    total=$(callgrind_annotate "$(ls "$name".*.callgrind.1)" 2>/dev/null |
        awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
    per_request=$(( total / requests ))
}

{
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr); $(valgrind --version)"
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "Command: DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS ALGS=\"$ALGS\" MODES=\"$MODES\" scripts/instructions.sh"
    echo
    echo "| tokens | alg | stack | instructions/request | vs no-auth |"
    echo "|---|---|---|---:|---:|"
} >"$OUT/table.md"

for alg in "${algs[@]}"; do
    token=$("$BIN" token "$alg")
    tokens_file="$TOKENS_DIR/$alg.txt"
    # Under valgrind the fastest stack answers a few thousand requests a second: 100,000
    # tokens outlast a warm-up and a counted run of 10 s each.
    if [ "$(wc -l <"$tokens_file" 2>/dev/null || echo 0)" -lt 100000 ]; then
        say "$alg: minting 100000 distinct tokens"
        "$BIN" tokens "$alg" 100000 >"$tokens_file.tmp"
        mv "$tokens_file.tmp" "$tokens_file"
    fi
    for mode in "${modes[@]}"; do
        baseline=
        for stack in "${stacks[@]}"; do
            say "$alg, $mode tokens: $stack"
            measure "$stack" "$mode" "$BASE_PORT"
            if [ "$stack" = noauth ]; then baseline=$per_request; fi
            ratio="—"
            if [ -n "$baseline" ]; then
                ratio=$(awk -v a="$baseline" -v b="$per_request" 'BEGIN { printf "%.2f", a / b }')
            fi
            label=$([ "$mode" = reused ] && echo reused || echo "new every request")
            echo "| $label | $alg | $stack | $per_request | $ratio |" >>"$OUT/table.md"
        done
    done
done
cat "$OUT/table.md"
