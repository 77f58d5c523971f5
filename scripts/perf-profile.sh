#!/usr/bin/env bash
# Where one stack's server spends its CPU under the load benchmark's new-token load, natively:
# `perf record` samples the server while wrk sends it a new token on every request, as
# scripts/load-bench.sh does in fresh mode. callgrind (scripts/instructions.sh) counts
# instructions; this shows what they do not: waits for memory, and the kernel's share. The
# sampling clock is the software `cpu-clock` (a virtual machine such as this one may expose no
# hardware counters), so compare shares within one run, not totals between runs.
#
#   scripts/perf-profile.sh                      # requires, HS256
#   STACK=noauth-verify scripts/perf-profile.sh
#
# Settings (environment):
#   STACK=requires  ALG=HS256  WARMUP=5 (seconds before sampling)  SAMPLE=7 (seconds sampled)
#   PORT=18556  OUT=target/perf-profile/<UTC time>
#   RATE=100000 for HS256, 40000 otherwise: requests per second the server answers at most, for
#                how many tokens to mint (a signature algorithm's are slow to mint)
# The server runs on core 0 and wrk (one thread, 32 connections) on core 1. The build has frame
# pointers and line tables, in its own target directory (target/perf-profile/build).
# Needs: a Rust toolchain, curl and taskset; installs perf (linux-perf) and wrk from Debian's
# packages if missing. Prints the functions with the largest shares, and the shares of the
# authentication path's parts; perf.data stays in OUT for `perf report -i`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/debian.sh
source scripts/lib/debian.sh
TARGET=${CARGO_TARGET_DIR:-target}
STACK=${STACK:-requires}
ALG=${ALG:-HS256}
WARMUP=${WARMUP:-5}
SAMPLE=${SAMPLE:-7}
PORT=${PORT:-18556}
OUT=${OUT:-$TARGET/perf-profile/$(date -u +%Y%m%dT%H%M%SZ)}
BUILD=$TARGET/perf-profile/build
TOKENS=$TARGET/perf-profile/tokens-$ALG.txt
LUA=bench/wrk/fresh-tokens.lua

say() { echo "perf-profile: $*" >&2; }

for tool in curl taskset; do
    command -v "$tool" >/dev/null || { say "needs $tool"; exit 1; }
done
install_missing perf=linux-perf wrk

say "building auth-bench in release, with frame pointers and line tables"
RUSTFLAGS="${RUSTFLAGS:-} -C force-frame-pointers=yes" \
    CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_PROFILE_RELEASE_STRIP=none \
    cargo build --release --quiet -p auth-bench --bins --target-dir "$BUILD"
mkdir -p "$OUT"
BIN=$OUT/auth-bench
cp "$BUILD/release/auth-bench" "$BIN"

# Enough distinct tokens that none is sent twice before the sample ends.
if [ "$ALG" = HS256 ]; then RATE=${RATE:-100000}; else RATE=${RATE:-40000}; fi
needed=$(( (WARMUP + SAMPLE + 3) * RATE ))
if [ ! -s "$TOKENS" ] || [ "$(wc -l <"$TOKENS")" -lt "$needed" ]; then
    say "minting $needed $ALG tokens"
    "$BIN" tokens "$ALG" "$needed" >"$TOKENS.tmp"
    mv "$TOKENS.tmp" "$TOKENS"
fi

taskset -c 0 "$BIN" serve "$STACK" "$ALG" "$PORT" 2>"$OUT/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$PORT/__bench/stats" >/dev/null && break
    sleep 0.1
done
# The server's CPU time so far, in nanoseconds.
cpu_ns() {
    curl -sf "http://127.0.0.1:$PORT/__bench/stats" | sed -E 's/.*"cpu_ns":([0-9]+).*/\1/'
}
# wrk runs until it is interrupted after the sample, and prints its summary then.
taskset -c 1 wrk -t1 -c32 -d600s -s "$LUA" \
    "http://127.0.0.1:$PORT/items" -- "$TOKENS" 0 >"$OUT/wrk.txt" &
load=$!
# wrk reads the whole token file before its first request (seconds for a million tokens): the
# warm-up starts once the server is busy (over half of 0.2 s spent).
busy=0
before=$(cpu_ns)
for _ in $(seq 600); do
    sleep 0.2
    now=$(cpu_ns)
    if [ $((now - before)) -gt 100000000 ]; then busy=1; break; fi
    before=$now
done
[ "$busy" = 1 ] || { say "the load never reached the server"; exit 1; }
sleep "$WARMUP"
perf record -q -e cpu-clock -F 15000 -g -p "$server" -o "$OUT/perf.data" -- sleep "$SAMPLE" \
    2>"$OUT/perf-record.log"
kill -INT "$load"
wait "$load" || true
grep -q "Non-2xx" "$OUT/wrk.txt" && { say "the server refused requests: $OUT/wrk.txt"; exit 1; }

{
    echo "# $STACK $ALG, new token every request: $(awk '/requests in/ { print $1, $2, $3, $4 }' "$OUT/wrk.txt")"
    echo "## by binary"
    perf report -i "$OUT/perf.data" --no-children -g none --sort dso 2>/dev/null \
        | grep -E '^ +[0-9]'
    echo "## functions, own samples"
    perf report -i "$OUT/perf.data" --no-children -g none --sort sym 2>/dev/null \
        | grep -E '^ +[0-9]' | sed -n '1,40p'
    echo "## the authentication path, with what it calls"
    perf report -i "$OUT/perf.data" --children -g none --sort sym 2>/dev/null \
        | grep -E '^ +[0-9]' | grep -E 'auth_runtime::|quick_cache|aws_lc_[0-9_]+_HMAC|clock_gettime' \
        | sed -n '1,40p'
} | tee "$OUT/report.txt"
say "perf.data and report.txt in $OUT"
