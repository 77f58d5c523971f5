#!/usr/bin/env bash
# Mutation testing of auth-runtime and auth-macros with cargo-mutants: each mutant (an operator
# flipped, a function body replaced by a default value, ...) is built and the tests are run
# against it; a mutant the tests do not notice is behaviour no test pins.
#
#   scripts/mutants.sh                                  # everything, with the workspace's tests
#   scripts/mutants.sh --shard 0/8                      # the first of 8 parts
#   scripts/mutants.sh --file auth-runtime/src/requirement.rs --tests "--lib"
#   scripts/mutants.sh --file 'auth-runtime/src/http/*.rs' \
#       --tests "--lib --test conformance --test schemes"
#
# Options:
#   --shard K/N        run part K (0-based) of N; parts are interleaved (round-robin), so each
#                      is a fair sample and takes about 1/N of the time (default 0/1)
#   --file GLOB        only mutants in these files (repeatable; paths from the repository root)
#   --re REGEX         only mutants whose name (as `cargo mutants --list` shows it) matches
#   --tests "ARGS"     the cargo test selection each mutant is tested with (default: the whole
#                      workspace: unit, integration and doc tests, which needs redis-server for
#                      the revocation tests; see scripts/test.sh). With ARGS, the tests of the
#                      --test-packages are run with these cargo test arguments, e.g.
#                      "--lib --test conformance"
#   --test-packages "P..."   the packages whose tests --tests selects from (default
#                      "auth-runtime auth-macros auth-tests")
#   --timeout SECS     the longest a mutant's test run may take; one that takes longer is
#                      reported as a timeout (default 300)
#   --build-timeout SECS   the longest a mutant's build may take (default 600)
#   --features "F..."  cargo features to build with besides auth-runtime/testing (repeatable),
#                      e.g. "auth-tests/rust-crypto" with --no-default-features
#   --no-default-features   build without the default features: with --features
#                      "auth-tests/rust-crypto", the pure-Rust signature backend
#                      (bearer/verifier/rust_crypto.rs, testing/signing/rust_crypto.rs)
#   --jobs N           mutants built and tested at once (default 1; each needs a build
#                      directory and a core or two)
#   --output DIR       where cargo-mutants writes its report (default mutants.out/shard-K-of-N)
#   --list             only list the mutants that would be tested
#
# Environment: MUTANTS_TARGET_DIR, when set, is the one target directory of every build (the
# dependencies are then built once for all runs); otherwise each copy builds in its own. No
# other cargo command may build the workspace in that directory while a run goes on: the
# workspace's crates have the same artifact names there, and cargo can then take a mutant's
# copy as already built and test the other build instead (seen: three false results).
# Mutants that are equivalent to the original code are excluded, each with its reason, in
# .cargo/mutants.toml.
#
# Prints the caught, missed, timed-out and unviable counts and the score: caught (timeouts
# included: a mutant that makes the tests hang was noticed) out of the viable mutants.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

shard=0/1
files=()
regexes=()
tests=""
test_packages="auth-runtime auth-macros auth-tests"
timeout=300
build_timeout=600
jobs=1
features=()
output=""
list=false
while [ $# -gt 0 ]; do
    case $1 in
        --shard) shard=$2; shift 2 ;;
        --file) files+=(--file "$2"); shift 2 ;;
        --re) regexes+=(--re "$2"); shift 2 ;;
        --tests) tests=$2; shift 2 ;;
        --test-packages) test_packages=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --build-timeout) build_timeout=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        --features) features+=(--features "$2"); shift 2 ;;
        --no-default-features) features+=(--no-default-features); shift ;;
        --output) output=$2; shift 2 ;;
        --list) list=true; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
if ! [[ $shard =~ ^[0-9]+/[1-9][0-9]*$ ]] || [ "${shard%/*}" -ge "${shard#*/}" ]; then
    echo "--shard takes K/N with 0 <= K < N, not $shard" >&2
    exit 2
fi

if ! cargo mutants --version >/dev/null 2>&1; then
    echo "cargo-mutants is not installed; installing it"
    cargo install --locked cargo-mutants
fi

if [ -n "${MUTANTS_TARGET_DIR:-}" ]; then
    export CARGO_TARGET_DIR=$MUTANTS_TARGET_DIR
else
    unset CARGO_TARGET_DIR
fi

args=(--package auth-runtime --package auth-macros "${files[@]}" "${regexes[@]}" "${features[@]}")
if $list; then
    exec cargo mutants --list "${args[@]}"
fi

output=${output:-mutants.out/shard-${shard%/*}-of-${shard#*/}}
mkdir -p "$output"
args+=(
    --shard "$shard" --sharding round-robin
    --timeout "$timeout" --build-timeout "$build_timeout"
    --jobs "$jobs" --output "$output"
)
# The testing helpers are what the runtime's own tests and the integration tests use; a
# selection of the macro crate's tests alone cannot name the runtime's features.
if [ -z "$tests" ] || [[ " $test_packages " == *" auth-runtime "* ]]; then
    args+=(--features auth-runtime/testing)
fi
if [ -n "$tests" ]; then
    # cargo-mutants adds the mutated package to these.
    selection=()
    for package in $test_packages; do
        selection+=(--package "$package")
    done
    # cargo refuses `--test NAME` when one of several packages lacks that target, but not a
    # glob pattern: `--test [c]onformance` selects exactly `conformance` wherever it is.
    # shellcheck disable=SC2206 # the selection is split into cargo test arguments on purpose
    words=($tests)
    for ((i = 0; i < ${#words[@]}; i++)); do
        if [ "${words[i]}" = --test ] && [ $((i + 1)) -lt ${#words[@]} ]; then
            name=${words[i + 1]}
            selection+=(--test "[${name:0:1}]${name:1}")
            i=$((i + 1))
        else
            selection+=("${words[i]}")
        fi
    done
    # As arguments of every cargo command, so that the build step builds what the tests run.
    for word in "${selection[@]}"; do
        args+=("--cargo-arg=$word")
    done
else
    args+=(--test-workspace true)
fi

echo "==> cargo mutants ${args[*]}"
status=0
cargo mutants "${args[@]}" || status=$?
# cargo-mutants exits 2 when a mutant was missed, 3 on a timeout: a result, not a failure.
case $status in 0 | 2 | 3) ;; *) exit "$status" ;; esac

# The number of mutants with outcome $1 (grep -c prints 0 but fails on an empty file).
count() {
    local file=$output/mutants.out/$1.txt
    if [ -f "$file" ]; then grep -c . "$file" || true; else echo 0; fi
}
caught=$(count caught)
missed=$(count missed)
timeouts=$(count timeout)
unviable=$(count unviable)
viable=$((caught + missed + timeouts))
echo
echo "shard $shard: caught $caught, missed $missed, timeouts $timeouts, unviable $unviable"
if [ "$viable" -gt 0 ]; then
    awk -v c=$((caught + timeouts)) -v v="$viable" \
        'BEGIN { printf "score: %d of %d viable mutants caught (%.1f %%)\n", c, v, 100 * c / v }'
fi
if [ "$missed" -gt 0 ]; then
    echo "missed:"
    sed 's/^/  /' "$output/mutants.out/missed.txt"
fi
exit "$status"
