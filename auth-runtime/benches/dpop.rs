//! criterion benchmark of DPoP (RFC 9449) with a reused token and a new proof per request, next
//! to what the target compares it with: the same token reused as a plain Bearer token
//! (served from the verified-token cache), and one verification of the proof's algorithm by
//! hand with aws-lc-rs (the key parsed once, or parsed per request as a proof's key must be).
//!
//! `cargo bench -p auth-runtime --features testing --bench dpop`. The proofs are signed before
//! timing (`iter_batched`); only the server's side is measured.

#![allow(missing_docs)]

use actix_web::test::TestRequest;
use auth_runtime::testing::internals::Requirement;
use auth_runtime::testing::{DpopKey, TestIssuer, TestRequestExt};
use auth_runtime::{Algorithm, DpopConfig, Scheme, ScopeExpr};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;

const DPOP_ITEMS: Requirement =
    Requirement::new(&[Scheme::DPoP]).scope(ScopeExpr::Token("items:read"));
const BEARER_ITEMS: Requirement =
    Requirement::new(&[Scheme::Bearer]).scope(ScopeExpr::Token("items:read"));

const URL: &str = "http://localhost:8080/items";

fn dpop(c: &mut Criterion) {
    let rt = actix_web::rt::System::new();
    for alg in [Algorithm::ES256, Algorithm::EdDSA] {
        let issuer = TestIssuer::es256();
        let auth = issuer
            .builder()
            .dpop(DpopConfig::default())
            .build()
            .unwrap();
        let client = DpopKey::new(alg);
        let mut group = c.benchmark_group(format!("dpop/{alg:?}"));

        // The baseline: an unbound token, reused, served from the verified-token cache.
        let plain = issuer.token().scope("items:read").sign();
        let bearer = TestRequest::get()
            .uri("/items")
            .bearer(&plain)
            .to_http_request();
        rt.block_on(auth.authenticate(&bearer, &BEARER_ITEMS))
            .unwrap();
        group.bench_function("bearer_reused_token", |b| {
            b.iter(|| {
                rt.block_on(async {
                    black_box(auth.authenticate(&bearer, &BEARER_ITEMS).await.unwrap());
                })
            })
        });

        // DPoP: the bound token reused (cached after the first request), a new proof each time.
        let token = issuer.token().scope("items:read").bound_to(&client).sign();
        let request = || {
            let proof = client.proof("GET", URL).token(&token).sign();
            TestRequest::get()
                .uri("/items")
                .dpop(&token, &proof)
                .to_http_request()
        };
        rt.block_on(auth.authenticate(&request(), &DPOP_ITEMS))
            .unwrap();
        group.bench_function("dpop_reused_token_new_proof", |b| {
            b.iter_batched(
                request,
                |req| {
                    rt.block_on(async {
                        black_box(auth.authenticate(&req, &DPOP_ITEMS).await.unwrap());
                    })
                },
                BatchSize::SmallInput,
            )
        });

        #[cfg(feature = "aws-lc-rs")]
        raw::bench(&mut group, &client, &token, alg);
        group.finish();
    }
}

/// One verification of a proof's signature by hand with aws-lc-rs.
#[cfg(feature = "aws-lc-rs")]
mod raw {
    use auth_runtime::testing::DpopKey;
    use auth_runtime::Algorithm;
    use aws_lc_rs::signature::{self, ParsedPublicKey};
    use base64::Engine;
    use criterion::measurement::WallTime;
    use criterion::BenchmarkGroup;
    use std::hint::black_box;

    pub fn bench(
        group: &mut BenchmarkGroup<'_, WallTime>,
        client: &DpopKey,
        token: &str,
        alg: Algorithm,
    ) {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let proof = client.proof("GET", super::URL).token(token).sign();
        let (message, signature) = proof.rsplit_once('.').unwrap();
        let signature = b64.decode(signature).unwrap();
        let jwk = client.public_jwk();
        let param = |name: &str| b64.decode(jwk[name].as_str().unwrap()).unwrap();
        let (algorithm, public): (&'static dyn signature::VerificationAlgorithm, Vec<u8>) =
            match alg {
                Algorithm::ES256 => (
                    &signature::ECDSA_P256_SHA256_FIXED,
                    [&[4u8][..], &param("x"), &param("y")].concat(),
                ),
                _ => (&signature::ED25519, param("x")),
            };
        let parsed = ParsedPublicKey::new(algorithm, &public).unwrap();
        assert!(parsed.verify_sig(message.as_bytes(), &signature).is_ok());
        group.bench_function("raw_aws_lc_rs_verify", |b| {
            b.iter(|| {
                assert!(parsed
                    .verify_sig(black_box(message.as_bytes()), black_box(&signature))
                    .is_ok())
            })
        });
        group.bench_function("raw_aws_lc_rs_parse_and_verify", |b| {
            b.iter(|| {
                let parsed = ParsedPublicKey::new(algorithm, black_box(&public)).unwrap();
                assert!(parsed
                    .verify_sig(black_box(message.as_bytes()), black_box(&signature))
                    .is_ok())
            })
        });
    }
}

criterion_group!(benches, dpop);
criterion_main!(benches);
