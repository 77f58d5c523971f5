#!/usr/bin/env bash
# The whole test suite (unit, integration, trybuild and doctests) with what it needs installed:
# the revocation tests share revocations through a real redis-server, which each test starts on
# a free loopback port and stops by process id. Installs it from Debian's packages when missing
# (as root, or with sudo), then runs `cargo test --workspace` with the Redis store compiled in.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh --test revocation   # arguments go to cargo test
#
# A plain `cargo test --workspace` works too; without redis-server (and no way to install it)
# the tests that need one pass without checking anything and say so loudly on the terminal.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/debian.sh
source scripts/lib/debian.sh

install_missing redis-server
# Debian's package starts a system-wide server on 6379 where services run; the tests never use
# it (each starts its own on a free port).
redis-server --version

exec cargo test --workspace --features auth-runtime/redis "$@"
