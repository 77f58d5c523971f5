#!/usr/bin/env bash
# The quickstart's interactive API docs in a real headless browser: starts the quickstart on a
# free loopback port, loads /docs (Swagger UI, bundled in the binary), "Authorize"s with a token
# from the quickstart's banner, runs GET /items from the page and expects 200 (and 401 before
# authorizing), takes a screenshot, and stops the quickstart by its process id.
#
#   scripts/docs-browser-check.sh [SCREENSHOT.png]
#
# Installs what is missing: Debian's chromium (apt-get) and playwright-core (npm, into the
# target directory, not the repository). Default screenshot: $TARGET/docs-browser/docs.png.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/debian.sh
source scripts/lib/debian.sh
TARGET=${CARGO_TARGET_DIR:-target}
WORK=$TARGET/docs-browser
SHOT=${1:-$WORK/docs.png}
say() { echo "docs-browser-check: $*" >&2; }

install_missing chromium
mkdir -p "$WORK"
if [ ! -d "$WORK/node_modules/playwright-core" ]; then
    say "installing playwright-core with npm into $WORK"
    npm install --silent --no-audit --no-fund --prefix "$WORK" playwright-core@1 >/dev/null
fi
cp scripts/docs-browser-check.mjs "$WORK/check.mjs"

say "building the quickstart"
cargo build --quiet -p auth-examples --example quickstart
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
BIND="127.0.0.1:$port" "$TARGET/debug/examples/quickstart" >"$WORK/quickstart.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    grep -q "listening on" "$WORK/quickstart.log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/quickstart.log" >&2; exit 1; }
    sleep 0.2
done
token=$(grep -A1 '^GET /items, scope items:read' "$WORK/quickstart.log" | sed -n "s/.*Bearer \([^']*\)'.*/\1/p")
[ -n "$token" ] || { say "no token in the quickstart's banner"; cat "$WORK/quickstart.log" >&2; exit 1; }

node "$WORK/check.mjs" "$base" "$token" "$SHOT"
