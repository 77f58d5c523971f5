#!/usr/bin/env bash
# Three quickstart instances sharing revocations through one Redis: a token accepted by all
# three is revoked on the first (POST /admin/revocations) and refused by all three moments
# later. Prints each instance's answers and how long the revocation took to reach it (polled
# with curl every few milliseconds, so the figure includes curl's start-up; see
# scripts/revocation-bench.sh for the precise measurement).
#
#   scripts/three-instances.sh
#
# Settings (environment): BASE_PORT=18300 (Redis on BASE_PORT, the instances on the next three
# ports), AUTH_REDIS_URL (use that Redis instead of starting one).
# Needs: a Rust toolchain and curl; installs redis-server from Debian's packages if missing.
# Everything it starts is stopped by process id when it exits.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/debian.sh
source scripts/lib/debian.sh

BASE_PORT=${BASE_PORT:-18300}
OUT=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$OUT"
}
trap cleanup EXIT
say() { echo "three-instances: $*" >&2; }

command -v curl >/dev/null || { say "needs curl"; exit 1; }
if [ -z "${AUTH_REDIS_URL:-}" ]; then
    install_missing redis-server
    redis-server --port "$BASE_PORT" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$OUT" >"$OUT/redis.log" 2>&1 &
    pids+=($!)
    AUTH_REDIS_URL="redis://127.0.0.1:$BASE_PORT/"
    for _ in $(seq 100); do
        redis-cli -p "$BASE_PORT" ping 2>/dev/null | grep -q PONG && break
        sleep 0.05
    done
    say "redis-server on 127.0.0.1:$BASE_PORT (pid ${pids[0]})"
fi
export AUTH_REDIS_URL

say "building the quickstart in release"
cargo build --release --quiet -p auth-examples --example quickstart
BIN=${CARGO_TARGET_DIR:-target}/release/examples/quickstart

ports=()
for i in 1 2 3; do
    port=$((BASE_PORT + i))
    ports+=("$port")
    BIND="127.0.0.1:$port" RUST_LOG=warn "$BIN" >"$OUT/banner$i.txt" 2>"$OUT/instance$i.log" &
    pids+=($!)
done
for i in 1 2 3; do
    for _ in $(seq 200); do
        grep -q "listening on" "$OUT/banner$i.txt" 2>/dev/null && break
        sleep 0.05
    done
    grep -q "listening on" "$OUT/banner$i.txt" || { say "instance $i did not start"; cat "$OUT/instance$i.log"; exit 1; }
done
say "three instances on ports ${ports[*]}, revocations shared through $AUTH_REDIS_URL"

# The tokens the first instance's banner printed (the same secret signs for all three).
token_after() { grep -A1 "^$1" "$OUT/banner1.txt" | tail -1 | sed -E "s/.*Bearer ([^']+)'.*/\1/"; }
reader=$(token_after "GET /items, scope items:read")
revoker=$(token_after "POST /admin/revocations")

status() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/items" -H "Authorization: Bearer $reader"; }
now_ms() { date +%s%3N; }

echo
echo "before: GET /items on each instance with the same token"
for i in 0 1 2; do echo "  instance $((i + 1)) (port ${ports[$i]}): $(status "${ports[$i]}")"; done

echo
echo "POST /admin/revocations {\"token\": ...} on instance 1"
started=$(now_ms)
answer=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${ports[0]}/admin/revocations" \
    -H "Authorization: Bearer $revoker" -H 'Content-Type: application/json' \
    -d "{\"token\":\"$reader\"}")
echo "  answered $answer"

echo
echo "after: GET /items on each instance, until it refuses the token"
for i in 0 1 2; do
    code=$(status "${ports[$i]}")
    while [ "$code" != 401 ] && [ $(( $(now_ms) - started )) -lt 5000 ]; do
        code=$(status "${ports[$i]}")
    done
    echo "  instance $((i + 1)) (port ${ports[$i]}): $code after $(( $(now_ms) - started )) ms"
    [ "$code" = 401 ] || { say "instance $((i + 1)) still accepts the revoked token"; exit 1; }
done
