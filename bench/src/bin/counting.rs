//! `auth-bench-counting`: `auth-bench` with a counting allocator, for the
//! allocations-per-request pass (`GET /__bench/stats` reports the count).

use std::alloc::System;

use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() -> std::process::ExitCode {
    auth_bench::cli::run(std::env::args().skip(1), || {
        Some(GLOBAL.stats().allocations as u64)
    })
}
