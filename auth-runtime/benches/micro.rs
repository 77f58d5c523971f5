//! criterion micro-benchmarks: verification per algorithm (cold and cached), the
//! Authorization parser, and the challenge builder.
//!
//! `cargo bench -p auth-runtime --bench micro`; CI runs it once per benchmark in test mode
//! (`cargo test -p auth-runtime --benches`), as a smoke check, never as a timing gate.

#![allow(missing_docs)]

mod common;

use auth_runtime::__private::Requirement;
use auth_runtime::testing::internals::Authorization;
use auth_runtime::{Challenge, Scheme, ScopeExpr};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;

const ITEMS_READ: Requirement =
    Requirement::new(&[Scheme::Bearer]).scope(&ScopeExpr::Token("items:read"));

fn verification(c: &mut Criterion) {
    let rt = actix_web::rt::System::new();
    for alg in common::ALGORITHMS {
        let bench = common::setup(alg);
        let auth = &bench.auth;
        let mut group = c.benchmark_group(format!("verify/{alg:?}"));

        // Cold: a token never seen before, every time, through the full request path with the
        // cache off (signature and claims verified in full).
        let uncached = &bench.uncached;
        let mut nonce = 0;
        group.bench_function("cold", |b| {
            b.iter_batched(
                || {
                    nonce += 1;
                    bench.request(nonce)
                },
                |req| {
                    rt.block_on(async {
                        black_box(uncached.authenticate(&req, &ITEMS_READ).await.unwrap());
                    })
                },
                BatchSize::SmallInput,
            )
        });

        // Cached: the same token on every request, through the full request path.
        let req = bench.request(0);
        group.bench_function("request_reused_token", |b| {
            b.iter(|| {
                rt.block_on(async {
                    black_box(auth.authenticate(&req, &ITEMS_READ).await.unwrap());
                })
            })
        });
        group.finish();
    }
}

fn parsing(c: &mut Criterion) {
    let token = common::setup(jsonwebtoken::Algorithm::HS256).token(0);
    let header = format!("Bearer {token}");
    c.bench_function("authorization/parse_bearer", |b| {
        b.iter(|| {
            let parsed = Authorization::parse(black_box(header.as_bytes())).unwrap();
            black_box(parsed.bearer_token().unwrap());
        })
    });
}

fn challenges(c: &mut Criterion) {
    c.bench_function("challenge/insufficient_scope", |b| {
        b.iter(|| {
            black_box(
                Challenge::new("Bearer", black_box("items \"realm\""))
                    .param("error", "insufficient_scope")
                    .param("scope", "items:read items:write")
                    .to_header_value(),
            )
        })
    });
}

criterion_group!(benches, verification, parsing, challenges);
criterion_main!(benches);
