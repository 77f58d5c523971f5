//! Counts heap allocations per authenticated request on the hot path.
//!
//! `cargo bench -p auth-runtime --bench allocations` prints one line per path. The counting
//! allocator wraps the system allocator; nothing here is timed.

#![allow(missing_docs)]

mod common;

use std::alloc::System;

use auth_runtime::testing::internals::Requirement;
use auth_runtime::testing::TestRequestExt;
use auth_runtime::{Scheme, ScopeExpr};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const ITEMS_READ: Requirement =
    Requirement::new(&[Scheme::Bearer]).scope(ScopeExpr::Token("items:read"));
/// `#[requires(scope = "items:read", acr = "urn:example:mfa", max_age = 300)]`.
const ITEMS_READ_STEP_UP: Requirement = ITEMS_READ.acr(&["urn:example:mfa"]).max_age(300);

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` (the CI smoke run) does not.
    let rounds: usize = if std::env::args().any(|arg| arg == "--bench") {
        1_000
    } else {
        5
    };
    let rt = actix_web::rt::System::new();
    println!("allocations per request (mean of {rounds}):");
    for alg in common::ALGORITHMS {
        let bench = common::setup(alg);
        let auth = &bench.auth;
        let req = bench.request(0);
        // Warm the cache and any lazily initialised state.
        rt.block_on(auth.authenticate(&req, &ITEMS_READ)).unwrap();

        let region = Region::new(GLOBAL);
        for _ in 0..rounds {
            rt.block_on(auth.authenticate(&req, &ITEMS_READ)).unwrap();
        }
        let reused = region.change();

        // The same on a step-up endpoint: the `acr` and `max_age` checks allocate nothing.
        let step_up = bench.step_up_request();
        rt.block_on(auth.authenticate(&step_up, &ITEMS_READ_STEP_UP))
            .unwrap();
        let region = Region::new(GLOBAL);
        for _ in 0..rounds {
            rt.block_on(auth.authenticate(&step_up, &ITEMS_READ_STEP_UP))
                .unwrap();
        }
        let reused_step_up = region.change();

        // New tokens, through the same path with the cache off: the cost of one verification.
        let uncached = &bench.uncached;
        let requests: Vec<_> = (1..=rounds as u64).map(|n| bench.request(n)).collect();
        let region = Region::new(GLOBAL);
        for req in &requests {
            rt.block_on(uncached.authenticate(req, &ITEMS_READ))
                .unwrap();
        }
        let cold = region.change();

        println!(
            "  {alg:?}: reused token (full request path) {:.1}, reused token on a step-up \
             endpoint {:.1}, new token (verification) {:.1}",
            reused.allocations as f64 / rounds as f64,
            reused_step_up.allocations as f64 / rounds as f64,
            cold.allocations as f64 / rounds as f64,
        );
    }
    // Basic credentials served from the verified-credential cache (argon2 ran once, before).
    const BASIC: Requirement =
        Requirement::new(&[Scheme::Basic]).scope(ScopeExpr::Token("items:read"));
    let users = auth_runtime::StaticUsers::new()
        .user("alice", "wonderland", ["items:read"])
        .unwrap();
    let auth = common::setup(jsonwebtoken::Algorithm::HS256)
        .issuer
        .builder()
        .basic(users)
        .build()
        .unwrap();
    let req = actix_web::test::TestRequest::get()
        .basic("alice", "wonderland")
        .to_http_request();
    rt.block_on(auth.authenticate(&req, &BASIC)).unwrap();
    let region = Region::new(GLOBAL);
    for _ in 0..rounds {
        rt.block_on(auth.authenticate(&req, &BASIC)).unwrap();
    }
    println!(
        "  Basic, cached credentials (full request path): {:.1}",
        region.change().allocations as f64 / rounds as f64
    );

    let region = Region::new(GLOBAL);
    for _ in 0..rounds {
        std::hint::black_box(&ITEMS_READ);
    }
    println!(
        "  the requirement itself: {:.1}",
        region.change().allocations as f64 / rounds as f64
    );
}
