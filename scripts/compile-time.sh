#!/usr/bin/env bash
# Measures what #[requires] costs at compile time: `cargo check` of a crate with 200 annotated
# handlers against the same crate without the attribute (dependencies built beforehand, so
# only the crate itself is timed), with the attribute below `#[get]` (crate `annotated`) and
# above it, the order the README recommends (crate `above`). Prints the median of several runs
# for each.
#
#   scripts/compile-time.sh [handlers] [runs]
#   COUNT=instructions scripts/compile-time.sh [handlers]
#
# COUNT=instructions runs rustc's command for each crate's check (as `cargo check -v` prints
# it, without incremental compilation) once under `valgrind --tool=callgrind` instead, and
# prints its instructions in all and in the phases that differ: macro expansion (with the
# `#[requires]` and `#[get]` macros' own runs inside it) and analysis (with type checking,
# MIR building and borrow checking inside it). Repeatable whatever else the machine does.
set -euo pipefail

handlers=${1:-200}
runs=${2:-5}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_crate() { # name, attribute line
    local dir="$work/$1"
    mkdir -p "$dir/src"
    cat >"$dir/Cargo.toml" <<TOML
[package]
name = "$1"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
auth-runtime = { path = "$root/auth-runtime" }
actix-web = { version = "4", default-features = false, features = ["macros"] }

[workspace]
TOML
    {
        echo "use actix_web::{get, web, HttpResponse};"
        echo "#[allow(unused_imports)] use auth_runtime::{requires, Identity};"
        for i in $(seq 1 "$handlers"); do
            [ "${3:-}" = above ] && echo "$2"
            echo "#[get(\"/h$i/{id}\")]"
            [ -n "$2" ] && [ "${3:-}" != above ] && echo "$2"
            echo "pub async fn h$i(id: web::Path<u32>) -> HttpResponse { HttpResponse::Ok().body(format!(\"{}\", id.into_inner() + $i)) }"
        done
        echo "pub fn routes(config: &mut web::ServiceConfig) {"
        for i in $(seq 1 "$handlers"); do echo "    config.service(h$i);"; done
        echo "}"
    } >"$dir/src/lib.rs"
}

make_crate plain ""
make_crate annotated '#[requires(scope = all("items:read", "items:write"))]'
# The order the README recommends: `#[requires]` above the route attribute, whose registration
# it then generates itself (with the route's declaration).
make_crate above '#[requires(scope = all("items:read", "items:write"))]' above

# One shared target directory: dependencies are built once, outside the measurement.
export CARGO_TARGET_DIR="$work/target"
for crate in plain annotated above; do
    (cd "$work/$crate" && cargo check --quiet)
done

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

measure() { # crate
    for _ in $(seq 1 "$runs"); do
        touch "$work/$1/src/lib.rs"
        local start end
        start=$(date +%s%N)
        (cd "$work/$1" && cargo check --quiet)
        end=$(date +%s%N)
        echo $(((end - start) / 1000000))
    done | median
}

if [ "${COUNT:-time}" = instructions ]; then
    command -v valgrind >/dev/null || { echo "COUNT=instructions needs valgrind" >&2; exit 1; }
    # phase ANNOTATION PATTERN: the inclusive instructions (millions) of the first function
    # matching PATTERN.
    phase() {
        grep -m1 -E "$2" "$1" | awk '{ gsub(",", "", $1); printf "%.0f", $1 / 1e6 }'
    }
    echo "rustc instructions (millions) of a non-incremental check of a crate with $handlers handlers:"
    echo "| crate | total | expansion | #[get] | #[requires] | analysis | type check | MIR built | borrow check |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for crate in plain annotated above; do
        touch "$work/$crate/src/lib.rs"
        command=$(cd "$work/$crate" && cargo check -v 2>&1 | sed -n 's/^ *Running `\(.*rustc .*\)`$/\1/p' |
            tail -n1 | sed 's/-C incremental=[^ ]*//')
        (cd "$work/$crate" && valgrind --tool=callgrind --trace-children=yes \
            "--callgrind-out-file=$work/callgrind.$crate.%p" bash -c "$command" >/dev/null 2>&1)
        out=$(ls "$work"/callgrind."$crate".*)
        callgrind_annotate --inclusive=yes --threshold=100 "$out" >"$work/annotation.$crate" 2>/dev/null
        a=$work/annotation.$crate
        total=$(awk '/^summary:/ { printf "%.0f", $2 / 1e6 }' "$out")
        echo "| $crate | $total | $(phase "$a" 'fully_expand_fragment \[') | $(phase "$a" 'actix_web_codegen::get \[') | $(phase "$a" 'auth_macros::requires \[' || true) | $(phase "$a" 'passes::analysis \[') | $(phase "$a" 'typeck_with_inspect::\{closure#0\} \[') | $(phase "$a" 'rustc_mir_transform::mir_built \[') | $(phase "$a" 'rustc_borrowck::mir_borrowck \[') |"
    done
    exit 0
fi

plain=$(measure plain)
annotated=$(measure annotated)
above=$(measure above)
echo "cargo check of a crate with $handlers handlers (median of $runs, ms):"
echo "  without #[requires]:                $plain"
awk -v a="$annotated" -v p="$plain" 'BEGIN { printf "  #[requires] below the route:        %d (%+d ms, %.2fx)\n", a, a - p, a / p }'
awk -v a="$above" -v p="$plain" 'BEGIN { printf "  #[requires] above the route:        %d (%+d ms, %.2fx)\n", a, a - p, a / p }'
