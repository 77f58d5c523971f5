//! criterion micro-benchmarks: verification per algorithm (cold and cached, and one raw
//! aws-lc-rs signature check to compare with), Basic served from the verified-credential cache
//! next to a reused Bearer token, the Authorization parser, the challenge builder, and a whole
//! actix service with and without the app-wide middleware.
//!
//! `cargo bench -p auth-runtime --features testing --bench micro`; with
//! `--no-default-features --features rust-crypto,testing` for the RustCrypto backend (the raw
//! aws-lc-rs rows need the `aws-lc-rs` feature). CI runs it once per benchmark in test mode
//! (`cargo test -p auth-runtime --features testing --benches`), as a smoke check, never as a
//! timing gate.

#![allow(missing_docs)]

mod common;

use auth_runtime::testing::internals::Authorization;
use auth_runtime::testing::internals::Requirement;
use auth_runtime::testing::TestRequestExt;
use auth_runtime::{Challenge, Scheme, ScopeExpr};
#[cfg(feature = "aws-lc-rs")]
use base64::Engine;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;

const ITEMS_READ: Requirement =
    Requirement::new(&[Scheme::Bearer]).scope(ScopeExpr::Token("items:read"));
/// `#[requires(scope = "items:read", acr = "urn:example:mfa", max_age = 300)]`.
const ITEMS_READ_STEP_UP: Requirement = ITEMS_READ.acr(&["urn:example:mfa"]).max_age(300);

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

        // Raw: the signature check alone, as a user writes it by hand at best with aws-lc-rs:
        // the key parsed once, the signature already decoded. What `cold` adds over this is
        // the token's own work (header, base64, claims, checks) and the backend's difference.
        // Its nonce is in the range `cold`'s reach (about a million iterations), so that its
        // message is as long as theirs within a few bytes: a hash covers it in 64-byte blocks.
        #[cfg(feature = "aws-lc-rs")]
        {
            let token = bench.token(1_000_000);
            let (message, signature) = token.rsplit_once('.').unwrap();
            let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(signature)
                .unwrap();
            let raw = raw::Key::new(alg, &bench.issuer.jwk());
            assert!(raw.verify(message.as_bytes(), &signature), "{alg:?}");
            group.bench_function("raw_aws_lc_rs", |b| {
                b.iter(|| assert!(raw.verify(black_box(message.as_bytes()), black_box(&signature))))
            });
        }

        // Cached: the same token on every request, through the full request path.
        let req = bench.request(0);
        group.bench_function("request_reused_token", |b| {
            b.iter(|| {
                rt.block_on(async {
                    black_box(auth.authenticate(&req, &ITEMS_READ).await.unwrap());
                })
            })
        });

        // The same, on a step-up endpoint (RFC 9470): `acr` and `auth_time` checked too.
        let req = bench.step_up_request();
        group.bench_function("request_reused_token_step_up", |b| {
            b.iter(|| {
                rt.block_on(async {
                    black_box(auth.authenticate(&req, &ITEMS_READ_STEP_UP).await.unwrap());
                })
            })
        });
        group.finish();
    }
}

/// Basic credentials served from the cache (argon2 ran once, before timing) and a reused
/// HS256 token, through the same full request path, on an endpoint that accepts both.
fn basic(c: &mut Criterion) {
    const REPORTS: Requirement =
        Requirement::new(&[Scheme::Bearer, Scheme::Basic]).scope(ScopeExpr::Token("items:read"));
    let rt = actix_web::rt::System::new();
    let bench = common::setup(jsonwebtoken::Algorithm::HS256);
    let users = auth_runtime::StaticUsers::new()
        .user("alice", "wonderland", ["items:read"])
        .unwrap();
    let auth = bench.issuer.builder().basic(users).build().unwrap();
    let basic = actix_web::test::TestRequest::get()
        .basic("alice", "wonderland")
        .to_http_request();
    let bearer = bench.request(0);
    let mut group = c.benchmark_group("basic");
    for (name, req) in [
        ("cached_credentials", &basic),
        ("reused_bearer_token", &bearer),
    ] {
        rt.block_on(auth.authenticate(req, &REPORTS)).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    black_box(auth.authenticate(req, &REPORTS).await.unwrap());
                })
            })
        });
    }
    group.finish();
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

/// One aws-lc-rs verification written by hand: `ParsedPublicKey` or `hmac::Key` made once.
#[cfg(feature = "aws-lc-rs")]
mod raw {
    use auth_runtime::jwk::Jwk;
    use auth_runtime::Algorithm;
    use aws_lc_rs::hmac;
    use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};
    use base64::Engine;

    // One key, held as a user holds it: no box in front of the HMAC context.
    #[allow(clippy::large_enum_variant)]
    pub enum Key {
        Hmac(hmac::Key),
        Public(ParsedPublicKey),
    }

    impl Key {
        /// The key of `jwk` (the test issuer's) for `alg`.
        pub fn new(alg: Algorithm, jwk: &Jwk) -> Key {
            let jwk = serde_json::to_value(jwk).unwrap();
            let param = |name: &str| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(jwk[name].as_str().unwrap())
                    .unwrap()
            };
            match alg {
                Algorithm::HS256 => Key::Hmac(hmac::Key::new(hmac::HMAC_SHA256, &param("k"))),
                Algorithm::RS256 | Algorithm::PS256 => {
                    let parameters = match alg {
                        Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                        _ => &signature::RSA_PSS_2048_8192_SHA256,
                    };
                    let (n, e) = (param("n"), param("e"));
                    let components = RsaPublicKeyComponents { n: &n, e: &e };
                    Key::Public(components.to_parsed_public_key(parameters).unwrap())
                }
                Algorithm::ES256 => {
                    let point = [&[4u8][..], &param("x"), &param("y")].concat();
                    let key = ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point);
                    Key::Public(key.unwrap())
                }
                Algorithm::EdDSA => {
                    let key = ParsedPublicKey::new(&signature::ED25519, param("x"));
                    Key::Public(key.unwrap())
                }
                other => unreachable!("no raw benchmark for {other:?}"),
            }
        }

        pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
            match self {
                Key::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
                Key::Public(key) => key.verify_sig(message, signature).is_ok(),
            }
        }
    }
}

#[auth_runtime::requires(scope = "items:read")]
#[actix_web::get("/items")]
async fn items() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().finish()
}

#[auth_runtime::public]
#[actix_web::get("/public")]
async fn public_page() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().finish()
}

async fn undeclared() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().finish()
}

/// One request through a whole actix service (routing, the `#[requires]` guard, the handler),
/// without and with the app-wide middleware (`.wrap(auth.middleware())`): what the middleware
/// adds to a reused token on a declared route, and to a request without credentials.
fn service(c: &mut Criterion) {
    use actix_web::dev::Service;
    use actix_web::test::{init_service, TestRequest};
    use actix_web::{web, App};

    let rt = actix_web::rt::System::new();
    let bench = common::setup(auth_runtime::Algorithm::HS256);
    let auth = &bench.auth;
    let token = bench.token(0);
    let routes = |config: &mut web::ServiceConfig| {
        config
            .service(items)
            .service(public_page)
            .route("/undeclared", web::get().to(undeclared));
    };
    let plain = rt.block_on(init_service(
        App::new().configure(auth.configure()).configure(routes),
    ));
    let wrapped = rt.block_on(init_service(
        App::new()
            .wrap(auth.middleware())
            .configure(auth.configure())
            .configure(routes),
    ));
    let mut group = c.benchmark_group("service");
    let request = |path: &str, token: Option<&str>| {
        let req = TestRequest::get().uri(path);
        match token {
            Some(token) => req.bearer(token).to_request(),
            None => req.to_request(),
        }
    };
    let cases = [
        ("reused_token", "/items", Some(token.as_str())),
        ("public_no_credentials", "/public", None),
        ("undeclared_no_credentials", "/undeclared", None),
        (
            "undeclared_reused_token",
            "/undeclared",
            Some(token.as_str()),
        ),
    ];
    for (name, path, token) in cases {
        group.bench_function(format!("{name}/without_middleware"), |b| {
            b.iter_batched(
                || request(path, token),
                |req| {
                    rt.block_on(async {
                        assert!(plain.call(req).await.unwrap().status().is_success())
                    })
                },
                BatchSize::SmallInput,
            )
        });
        group.bench_function(format!("{name}/with_middleware"), |b| {
            b.iter_batched(
                || request(path, token),
                |req| {
                    rt.block_on(async {
                        assert!(wrapped.call(req).await.unwrap().status().is_success())
                    })
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, verification, basic, parsing, challenges, service);
criterion_main!(benches);
