#!/usr/bin/env bash
# Revocations shared through Redis, measured: how long a revocation made on one instance takes
# to be in force on two others (COUNT revocations one after another), then what a Redis restart
# without persistence does to three instances deciding throughout (wrong decisions, 5xx, the
# write-back, a new instance learning every revocation). See bench/src/revocations.rs.
#
#   scripts/revocation-bench.sh            # COUNT=1000
#   COUNT=200 scripts/revocation-bench.sh
#
# Needs a Rust toolchain; installs redis-server from Debian's packages if missing, starts its
# own on a free loopback port and stops it by process id.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/debian.sh
source scripts/lib/debian.sh

COUNT=${COUNT:-1000}
say() { echo "revocation-bench: $*" >&2; }

install_missing redis-server
say "building auth-bench in release"
cargo build --release --quiet -p auth-bench --bin auth-bench
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr); $(redis-server --version | cut -d' ' -f1-3); load average $(cut -d' ' -f1 /proc/loadavg) before"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "Command: COUNT=$COUNT scripts/revocation-bench.sh"
echo
"${CARGO_TARGET_DIR:-target}/release/auth-bench" revocations "$COUNT"
