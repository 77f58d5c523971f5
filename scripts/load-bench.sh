#!/usr/bin/env bash
# Side-by-side load benchmark of #[requires] against no authentication and the stacks people
# write by hand (issue 5). Builds the `auth-bench` crate in release, serves the same
# `GET /items` handler behind each stack on one actix worker pinned to one core, drives it
# with wrk pinned to the other core, over loopback only, and prints one table: requests/s,
# p50/p99 latency and the ratio to no-auth (medians over rounds; the stacks are alternated
# round-robin so that drift cancels), the cache hit rate and the allocations per request;
# then, for new tokens, the speed issue's targets: `requires` against the best hand-written
# stack, and its server CPU per request against no-auth's plus one signature check by hand
# (`auth-bench raw-verify`, aws-lc-rs with the key parsed once, run on the server's core),
# summed, and under load: `noauth-verify` serves that sum (no authentication; its handler checks
# the signature of the request's own token the same way) at about a signature's request rate,
# paying what any server pays at that rate (an idle client woken across cores by every
# response) where no-auth at full rate does not.
#
#   scripts/load-bench.sh                           # every algorithm, 3 rounds of 10 s
#   DURATION=5 ROUNDS=2 scripts/load-bench.sh       # quicker
#   ALGS="HS256 ES256" MODES=reused scripts/load-bench.sh
#
# Settings (environment):
#   DURATION=10        seconds per timed run            ROUNDS=3     timed runs per stack
#   WARMUP=2           seconds of untimed load per stack before the first round
#   ALGS="HS256 RS256 PS256 ES256 EdDSA"
#   STACKS="noauth noauth-verify requires requires-nocache httpauth grants"
#   MODES="reused fresh"   reused: one token for every request (real clients reuse theirs);
#                          fresh: a token the server has not seen recently on every request
#   FRESH_TOKENS=30000 distinct tokens cycled in fresh mode at least (the cache keeps 10,000);
#                      more if the reused-token runs or the fresh-mode warm-ups show that
#                      one run could use them all
#   ALLOC_DURATION=2   seconds of the allocations-per-request pass (counting allocator); 0: skip
#   CONNECTIONS=32     wrk connections (one wrk thread)
#   RESTART=1          a new server process for every stack before every round after the
#                      first (each after WARMUP seconds of load); 0: one process per stack
#                      for all rounds
#   SERVER_CPU=0 CLIENT_CPU=1 BASE_PORT=18100
#   OUT=target/load-bench/<UTC time>   where wrk's outputs and the table are kept
#
# Needs: a Rust toolchain, taskset, flock and curl; installs wrk from Debian's packages if missing.
# Every request goes to 127.0.0.1, and every run is bounded by DURATION.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/debian.sh
source scripts/lib/debian.sh
# Cargo's target directory: builds, tokens and results go there.
TARGET=${CARGO_TARGET_DIR:-target}

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-2}
ALGS=${ALGS:-"HS256 RS256 PS256 ES256 EdDSA"}
STACKS=${STACKS:-"noauth noauth-verify requires requires-nocache httpauth grants"}
MODES=${MODES:-"reused fresh"}
FRESH_TOKENS=${FRESH_TOKENS:-30000}
ALLOC_DURATION=${ALLOC_DURATION:-2}
CONNECTIONS=${CONNECTIONS:-32}
RESTART=${RESTART:-1}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BASE_PORT=${BASE_PORT:-18100}
OUT=${OUT:-$TARGET/load-bench/$(date -u +%Y%m%dT%H%M%SZ)}
TOKENS_DIR=$TARGET/load-bench/tokens
LUA=bench/wrk/fresh-tokens.lua

read -r -a algs <<<"$ALGS"
read -r -a stacks <<<"$STACKS"
read -r -a modes <<<"$MODES"

say() { echo "load-bench: $*" >&2; }

# --- tools ---------------------------------------------------------------------------------
for tool in taskset curl flock; do
    command -v "$tool" >/dev/null || { say "needs $tool"; exit 1; }
done
install_missing wrk

say "building auth-bench in release"
cargo build --release --quiet -p auth-bench --bins
BIN=$TARGET/release/auth-bench
COUNTING=$TARGET/release/auth-bench-counting

mkdir -p "$OUT" "$TOKENS_DIR"
# Two runs at once would share the two cores and measure nothing.
exec 9>"$TOKENS_DIR/../.lock"
if ! flock -n 9; then
    say "another load-bench.sh is running in this checkout; wait for it to finish"
    exit 1
fi
warmups=$(( RESTART == 1 ? ROUNDS : 1 ))
per_alg=$(( ${#modes[@]} * ${#stacks[@]} * (ROUNDS * DURATION + warmups * WARMUP + ALLOC_DURATION + 1) ))
say "about $(( ${#algs[@]} * per_alg / 60 + 1 )) min of load (plus minting tokens once); results in $OUT"

# --- servers -------------------------------------------------------------------------------
server_pids=()
stop_servers() {
    local pid
    for pid in "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    server_pids=()
}
trap stop_servers EXIT

# start_server BINARY STACK ALG PORT: serve on core SERVER_CPU and wait until it answers,
# making sure that what answers is this server and not another program on the same port.
start_server() {
    taskset -c "$SERVER_CPU" "$1" serve "$2" "$3" "$4" 2>>"$OUT/servers.log" &
    local pid=$! attempt
    server_pids+=("$pid")
    for attempt in $(seq 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        if curl -sf "http://127.0.0.1:$4/__bench/stats" | grep -q "\"pid\":$pid[,}]"; then
            return 0
        fi
        sleep 0.1
    done
    say "$2 ($3) did not start on port $4 (in use? set BASE_PORT); see $OUT/servers.log"
    exit 1
}

# status PORT [TOKEN]: the status of GET /items, with the token when given.
status() {
    local auth=()
    if [ -n "${2:-}" ]; then auth=(-H "Authorization: Bearer $2"); fi
    curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "http://127.0.0.1:$1/items"
}

# authenticates STACK: whether STACK checks a token's claims and scope (all but the no-auth
# baselines; `noauth-verify` checks only the signature).
authenticates() {
    case $1 in noauth | noauth-verify) return 1 ;; esac
}

# check_stack STACK PORT TOKEN: a valid token is served, no token is refused (but by no-auth).
check_stack() {
    local with without expected=401
    with=$(status "$2" "$3")
    without=$(status "$2")
    # `noauth-verify` checks the request's token by hand: it refuses one without a token too.
    [ "$1" = noauth ] && expected=200
    if [ "$with" != 200 ] || [ "$without" != "$expected" ]; then
        say "$1 answers $with with a token and $without without one; expected 200 and $expected"
        exit 1
    fi
}

# restart_servers: every stack of $alg served by a new process, on the same port. Processes of
# one binary differ: under the same load, four `requires` servers started one after another
# spent 9.9 to 12.3 µs of CPU per request, each keeping its speed for its whole life. A new
# process every round lets the median over rounds span processes rather than stand for one.
restart_servers() {
    stop_servers
    local stack
    for stack in "${stacks[@]}"; do
        start_server "$BIN" "$stack" "$alg" "${port_of[$stack]}"
        check_stack "$stack" "${port_of[$stack]}" "$token"
    done
}

# warm_up MODE [OUTPUT]: WARMUP seconds of untimed load on every stack; with OUTPUT (a printf
# pattern taking the stack), the authenticating stacks' wrk outputs are kept there (they tell
# ensure_fresh_tokens how fast tokens are used).
warm_up() {
    local stack
    for stack in "${stacks[@]}"; do
        if [ -n "${2:-}" ] && authenticates "$stack"; then
            # shellcheck disable=SC2059
            drive "$1" "${port_of[$stack]}" "$WARMUP" "$(printf "$2" "$stack")"
        else
            drive "$1" "${port_of[$stack]}" "$WARMUP"
        fi
    done
}

# --- load ----------------------------------------------------------------------------------
# Where each fresh-mode run starts in the token file, per server, so that no run replays the
# tokens its predecessor just put in the cache.
declare -A fresh_offset

# drive MODE PORT SECONDS [OUTPUT]: one wrk run on core CLIENT_CPU; its output goes to OUTPUT.
drive() {
    # Without OUTPUT (warm-up runs) the output goes to a scratch file: never `mv` onto
    # /dev/null, which would replace the device with a regular file.
    local mode=$1 port=$2 seconds=$3 output=${4:-$OUT/warmup.out} wrk_args
    wrk_args=(-t1 "-c$CONNECTIONS" "-d${seconds}s" --latency)
    case $mode in
        reused)
            taskset -c "$CLIENT_CPU" wrk "${wrk_args[@]}" -H "Authorization: Bearer $token" \
                "http://127.0.0.1:$port/items" >"$output.tmp"
            ;;
        fresh)
            # The cache of #[requires] starts empty, as if no token had been seen before.
            curl -sf -o /dev/null "http://127.0.0.1:$port/__bench/forget"
            local start=${fresh_offset[$port]:-0}
            taskset -c "$CLIENT_CPU" wrk "${wrk_args[@]}" -s "$LUA" \
                "http://127.0.0.1:$port/items" -- "$tokens_file" "$start" >"$output.tmp"
            local sent
            sent=$(awk '/ requests in / { print $1 }' "$output.tmp")
            fresh_offset[$port]=$(( start + ${sent:-0} + 2 * CONNECTIONS ))
            ;;
    esac
    mv "$output.tmp" "$output"
}

# ensure_fresh_tokens: $tokens_file holds enough distinct tokens of $alg that no fresh-mode
# run sends one twice: FRESH_TOKENS at least, more when this algorithm's reused-token runs
# without a cache, or its fresh-mode warm-up runs, went faster than FRESH_TOKENS per run.
# Minted files are kept for a day.
ensure_fresh_tokens() {
    local fastest needed have=0 longest=$(( DURATION > WARMUP ? DURATION : WARMUP ))
    # Stacks without a cache: their reused-token speed is the speed of a new token. And every
    # authenticating stack's fresh-mode warm-up (run before the timed rounds; with too few
    # tokens it overstates the speed, which only mints more). Without either, FRESH_TOKENS
    # decides alone.
    fastest=$({ cat "$OUT"/reused__"${alg}"__{requires-nocache,httpauth,grants}__r*.wrk \
        "$OUT"/fresh__"${alg}"__*__warmup.out 2>/dev/null || true; } |
        awk '/^Requests\/sec:/ { if ($2 > max) max = $2 } END { printf "%d", max }')
    needed=$(( fastest * longest * 5 / 4 + 1000 ))
    if [ "$needed" -lt "$FRESH_TOKENS" ]; then needed=$FRESH_TOKENS; fi
    if [ -n "$(find "$tokens_file" -mmin -1440 2>/dev/null)" ]; then
        have=$(wc -l <"$tokens_file")
    fi
    if [ "$have" -lt "$needed" ]; then
        say "$alg: minting $needed distinct tokens (kept for a day in $TOKENS_DIR)"
        "$BIN" tokens "$alg" "$needed" >"$tokens_file.tmp"
        mv "$tokens_file.tmp" "$tokens_file"
    fi
}

snapshot() { curl -sf "http://127.0.0.1:$1/__bench/stats" >"$2"; }

# Rotates the stack list by $1 places: round r starts with a different stack.
rotated() {
    local shift=$1 n=${#stacks[@]} i
    for (( i = 0; i < n; i++ )); do
        echo "${stacks[(i + shift) % n]}"
    done
}

started=$SECONDS
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if awk '{ exit !($1 > 1.0) }' /proc/loadavg; then
    say "load average $load_before: other processes compete for the cores; expect a wide spread"
fi
for alg in "${algs[@]}"; do
    # One signature check by hand on the server's core, before its runs: the baseline of the
    # targets table.
    taskset -c "$SERVER_CPU" "$BIN" raw-verify "$alg" >"$OUT/raw__$alg.txt"
    token=$("$BIN" token "$alg")
    tokens_file="$TOKENS_DIR/$alg.txt"

    declare -A port_of=()
    for i in "${!stacks[@]}"; do
        port_of[${stacks[$i]}]=$(( BASE_PORT + i ))
        start_server "$BIN" "${stacks[$i]}" "$alg" "${port_of[${stacks[$i]}]}"
        check_stack "${stacks[$i]}" "${port_of[${stacks[$i]}]}" "$token"
    done
    fresh_offset=()
    for mode in "${modes[@]}"; do
        if [ "$mode" = fresh ]; then
            ensure_fresh_tokens
            for stack in "${stacks[@]}"; do
                check_stack "$stack" "${port_of[$stack]}" "$(head -n1 "$tokens_file")"
            done
        fi
        say "$alg, $mode tokens: warming up"
        warm_up "$mode" "$OUT/${mode}__${alg}__%s__warmup.out"
        if [ "$mode" = fresh ]; then ensure_fresh_tokens; fi
        for (( round = 1; round <= ROUNDS; round++ )); do
            if [ "$round" -gt 1 ] && [ "$RESTART" = 1 ]; then
                say "$alg, $mode tokens: new server processes for round $round"
                restart_servers
                warm_up "$mode"
            fi
            say "$alg, $mode tokens: round $round of $ROUNDS"
            for stack in $(rotated $(( round - 1 ))); do
                name="$OUT/${mode}__${alg}__${stack}__r${round}"
                snapshot "${port_of[$stack]}" "$name.before.json"
                drive "$mode" "${port_of[$stack]}" "$DURATION" "$name.wrk"
                snapshot "${port_of[$stack]}" "$name.after.json"
            done
        done
    done
    stop_servers

    if [ "$ALLOC_DURATION" -gt 0 ]; then
        say "$alg: counting allocations per request"
        for stack in "${stacks[@]}"; do
            port=$(( BASE_PORT + ${#stacks[@]} ))
            start_server "$COUNTING" "$stack" "$alg" "$port"
            fresh_offset=()
            for mode in "${modes[@]}"; do
                if [ "$mode" = fresh ]; then ensure_fresh_tokens; fi
                name="$OUT/${mode}__${alg}__${stack}__allocs"
                drive "$mode" "$port" 1
                snapshot "$port" "$name.before.json"
                drive "$mode" "$port" "$ALLOC_DURATION" "$name.wrk"
                snapshot "$port" "$name.after.json"
            done
            stop_servers
        done
    fi
done

# --- the table -----------------------------------------------------------------------------
{
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "Command: DURATION=$DURATION ROUNDS=$ROUNDS WARMUP=$WARMUP RESTART=$RESTART FRESH_TOKENS=$FRESH_TOKENS CONNECTIONS=$CONNECTIONS ALGS=\"$ALGS\" scripts/load-bench.sh"
    echo "Server: 1 actix worker on core $SERVER_CPU$([ "$RESTART" = 1 ] && echo ", a new process per stack every round"); client: wrk -t1 -c$CONNECTIONS on core $CLIENT_CPU; $(( (SECONDS - started) / 60 )) min"
    echo
    "$BIN" report "$OUT"
} | tee "$OUT/table.md"
