#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time, one after the other.
#
#   scripts/fuzz.sh [seconds-per-target]      (default 60)
#
# Environment: FUZZ_TARGETS="jwt_verify challenge" runs only those; FUZZ_SANITIZER=none trades
# AddressSanitizer for a faster run (default: address).
#
# Each target starts from its committed seeds in fuzz/corpus/<target>/; what a run discovers goes
# to fuzz/work/<target>/ (ignored by git), so the committed corpus stays small. A crash leaves
# its input in fuzz/artifacts/<target>/ and makes the script exit non-zero after the other
# targets ran; replay one with `cargo fuzz run <target> <file>`.
#
# Not part of `cargo test --workspace` or .ci/run.
set -euo pipefail

seconds="${1:-60}"
sanitizer="${FUZZ_SANITIZER:-address}"
targets=(${FUZZ_TARGETS:-authorization_header basic_decode jwt_verify claims_json challenge dpop_proof})
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# cargo-fuzz hands rustc nightly-only flags (-Zsanitizer, -Cpasses=sancov-module, …). With only
# a stable toolchain, RUSTC_BOOTSTRAP=1 makes that toolchain accept them; stable rust-std ships
# the sanitizer runtimes, so AddressSanitizer works as on nightly.
export RUSTC_BOOTSTRAP=1

# Optimised, with debug assertions and overflow checks on: they catch more than a release build.
fuzz=(--fuzz-dir fuzz --release --debug-assertions --sanitizer "$sanitizer")
cargo fuzz build "${fuzz[@]}"

summary=()
failed=0
for target in "${targets[@]}"; do
    mkdir -p "fuzz/work/$target"
    log="fuzz/work/$target.log"
    echo "== $target: ${seconds}s"
    if cargo fuzz run "${fuzz[@]}" "$target" "fuzz/work/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        status=0
    else
        status=$?
        tail -n 40 "$log"
    fi
    grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)[[:space:]]|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$log" || true
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    if [ "$status" -eq 0 ]; then
        summary+=("$target: ok, ${runs:-?} runs, ${rate:-?} exec/s")
    else
        failed=1
        summary+=("$target: FAILED (exit $status), see $log and fuzz/artifacts/$target/")
    fi
done

echo "== summary (${seconds}s per target, sanitizer $sanitizer)"
printf '%s\n' "${summary[@]}"
exit "$failed"
