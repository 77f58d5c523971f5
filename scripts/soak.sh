#!/usr/bin/env bash
# Load and soak: runs the quickstart in release and drives mixed traffic at it — valid,
# expired, forged, wrong-scope, missing and malformed Bearer tokens, a new token on every
# request, Basic and API keys right and wrong — for a fixed time at high concurrency, then
# reports requests, status classes, statuses that did not match what the credential deserved
# (must be 0), 5xx (must be 0, besides 503 with Retry-After for wrong Basic passwords when the
# password-hashing queue is full), and the server's resident memory at start and end.
# Then a wrong-password flood: FLOOD_CONNECTIONS connections send a known user's Basic
# credentials with a new wrong password each time for FLOOD_SECONDS, while one more connection
# times that user's correct (cached) credentials — first alone for 5 s, then during a flood of
# requests without credentials, for comparison — and the server's resident memory is read
# before and after the wrong-password flood.
# Not part of `cargo test`; loopback only.
#
#   scripts/soak.sh [seconds] [concurrency]       (defaults: 60, 64)
#   FLOOD_SECONDS=20 FLOOD_CONNECTIONS=64          (FLOOD_SECONDS=0 skips the flood)
set -euo pipefail

seconds=${1:-60}
concurrency=${2:-64}
flood_seconds=${FLOOD_SECONDS:-20}
flood_connections=${FLOOD_CONNECTIONS:-64}
port=${SOAK_PORT:-18090}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-target}

secret="soak-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
export AUTH_HS256_SECRET=$secret AUTH_ISSUER=quickstart AUTH_AUDIENCE=quickstart-api

cargo build --release --quiet --example quickstart -p auth-examples
cargo build --release --quiet --example soak -p auth-tests

BIND=127.0.0.1:$port RUST_LOG=warn "$target/release/examples/quickstart" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/public" && break
    sleep 0.1
done
rss() { awk '/^VmRSS/ { print $2 " " $3 }' "/proc/$server/status"; }

# A short warm-up fills the caches; memory is read after it and at the end.
soak() { "$target/release/examples/soak" "http://127.0.0.1:$port" "$@"; }
soak 3 "$concurrency" >/dev/null || true
start_rss=$(rss)
status=0
soak "$seconds" "$concurrency" || status=$?
end_rss=$(rss)
echo "server resident memory: $start_rss after warm-up, $end_rss at the end"

if [ "$flood_seconds" -gt 0 ]; then
    echo
    echo "correct Basic requests alone:"
    soak 5 0 flood || status=$?
    echo "the same during a flood of requests without credentials (answered 401 at once):"
    soak "$flood_seconds" "$flood_connections" flood missing || status=$?
    before_flood=$(rss)
    echo "the same during a wrong-password flood:"
    soak "$flood_seconds" "$flood_connections" flood wrong || status=$?
    after_flood=$(rss)
    echo "server resident memory: $before_flood before the wrong-password flood, $after_flood after it"
fi
exit $status
