//! The stacks under load: the same `GET /items` handler behind each way of protecting it.

use std::fmt;
use std::str::FromStr;

use actix_web::{web, HttpResponse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

use crate::keys;

mod grants;
mod httpauth;
mod noauth;
mod requires;

/// One way of serving `GET /items`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stack {
    /// No authentication at all: the baseline.
    NoAuth,
    /// No authentication, and a handler that checks the signature of the request's Bearer token
    /// by hand ([`crate::raw::Check::run_on`]: aws-lc-rs, key parsed once): the new-token target's
    /// baseline (no-auth plus one verification) served under load, so that it pays what any
    /// server pays at a signature's request rate (`scripts/load-bench.sh`, `fresh` mode).
    NoAuthVerify,
    /// `#[requires(scope = "items:read")]` with the verified-token cache on (the default).
    Requires,
    /// `#[requires(scope = "items:read")]` with the cache off: every request verifies.
    RequiresNoCache,
    /// [`Stack::Requires`] with 10,000 revocations in force (none of them of the benchmark's
    /// tokens): what the deny-list check costs on the cached path.
    RequiresRevoked,
    /// [`Stack::Requires`] introspecting every token (RFC 7662) at an endpoint this process
    /// serves on another loopback port: after the first call, the introspection cache.
    RequiresIntrospection,
    /// [`Stack::Requires`] with DPoP allowed on every Bearer endpoint (`DpopMode::Allowed`):
    /// the same route takes the cached Bearer token and DPoP-bound tokens with their proofs.
    RequiresDpop,
    /// [`Stack::Requires`] whose handler also checks one signature of the stack's algorithm by
    /// hand ([`crate::raw::Check`]: aws-lc-rs, key parsed once): the DPoP target's baseline
    /// (a cached token plus one verification) served under load, so that it pays what any
    /// server pays at that request rate (`scripts/dpop-bench.sh`).
    RequiresVerify,
    /// actix-web-httpauth's `BearerAuth` extractor, `jsonwebtoken::decode` (its `aws_lc_rs`
    /// backend) and a scope check in the handler.
    HttpAuth,
    /// actix-web-grants' `#[protect("items:read")]`, its middleware decoding with jsonwebtoken
    /// (its `aws_lc_rs` backend).
    Grants,
}

impl Stack {
    /// Every stack, in the order the table lists them.
    pub const ALL: [Stack; 10] = [
        Stack::NoAuth,
        Stack::NoAuthVerify,
        Stack::Requires,
        Stack::RequiresNoCache,
        Stack::RequiresRevoked,
        Stack::RequiresIntrospection,
        Stack::RequiresDpop,
        Stack::RequiresVerify,
        Stack::HttpAuth,
        Stack::Grants,
    ];

    /// Whether the stack authenticates: checks a token's claims and scope, as every stack but
    /// the no-auth baselines does (`noauth-verify` checks only its signature).
    pub fn authenticates(self) -> bool {
        !matches!(self, Stack::NoAuth | Stack::NoAuthVerify)
    }

    /// The name the command line and the result files use.
    pub fn name(self) -> &'static str {
        match self {
            Stack::NoAuth => "noauth",
            Stack::NoAuthVerify => "noauth-verify",
            Stack::Requires => "requires",
            Stack::RequiresNoCache => "requires-nocache",
            Stack::RequiresRevoked => "requires-revoked",
            Stack::RequiresIntrospection => "requires-introspection",
            Stack::RequiresDpop => "requires-dpop",
            Stack::RequiresVerify => "requires-verify",
            Stack::HttpAuth => "httpauth",
            Stack::Grants => "grants",
        }
    }
}

impl fmt::Display for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Stack {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Stack::ALL
            .into_iter()
            .find(|stack| stack.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = Stack::ALL.iter().map(|stack| stack.name()).collect();
                format!(
                    "unknown stack `{name}`; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// A stack's state, built once at start-up and shared by the workers.
#[derive(Clone)]
pub enum Setup {
    /// See [`Stack::NoAuth`].
    NoAuth,
    /// See [`Stack::NoAuthVerify`].
    NoAuthVerify(web::Data<crate::raw::Check>),
    /// See [`Stack::Requires`], [`Stack::RequiresNoCache`], [`Stack::RequiresRevoked`],
    /// [`Stack::RequiresIntrospection`] and [`Stack::RequiresDpop`].
    Requires(auth_runtime::Authenticator),
    /// See [`Stack::RequiresVerify`].
    RequiresVerify(auth_runtime::Authenticator, web::Data<crate::raw::Check>),
    /// See [`Stack::HttpAuth`].
    HttpAuth(web::Data<JwtVerifier>),
    /// See [`Stack::Grants`].
    Grants(web::Data<JwtVerifier>),
}

impl Setup {
    /// Loads the keys and builds the configuration of `stack` for tokens signed with `alg`.
    pub fn new(stack: Stack, alg: Algorithm) -> Setup {
        match stack {
            Stack::NoAuth => Setup::NoAuth,
            Stack::NoAuthVerify => Setup::NoAuthVerify(web::Data::new(crate::raw::Check::new(alg))),
            Stack::Requires => Setup::Requires(requires::authenticator(alg, true)),
            Stack::RequiresNoCache => Setup::Requires(requires::authenticator(alg, false)),
            Stack::RequiresRevoked => Setup::Requires(requires::with_revocations(alg, 10_000)),
            Stack::RequiresIntrospection => Setup::Requires(requires::introspecting(alg)),
            Stack::RequiresDpop => Setup::Requires(requires::with_dpop(alg)),
            Stack::RequiresVerify => Setup::RequiresVerify(
                requires::authenticator(alg, true),
                web::Data::new(crate::raw::Check::new(alg)),
            ),
            Stack::HttpAuth => Setup::HttpAuth(web::Data::new(JwtVerifier::new(alg))),
            Stack::Grants => Setup::Grants(web::Data::new(JwtVerifier::new(alg))),
        }
    }

    /// Registers the stack's `GET /items` (and what it needs) on one worker's app.
    pub fn configure(&self, config: &mut web::ServiceConfig) {
        match self {
            Setup::NoAuth => noauth::configure(config),
            Setup::NoAuthVerify(check) => noauth::configure_with_check(config, check.clone()),
            Setup::Requires(auth) => requires::configure(config, auth),
            Setup::RequiresVerify(auth, check) => {
                requires::configure_with_check(config, auth, check.clone())
            }
            Setup::HttpAuth(verifier) => httpauth::configure(config, verifier.clone()),
            Setup::Grants(verifier) => grants::configure(config, verifier.clone()),
        }
    }

    /// The `#[requires]` authenticator, for its cache counters.
    pub fn authenticator(&self) -> Option<&auth_runtime::Authenticator> {
        match self {
            Setup::Requires(auth) | Setup::RequiresVerify(auth, _) => Some(auth),
            _ => None,
        }
    }
}

/// What the hand-written stacks hold at start-up: jsonwebtoken's key and validation rules.
/// jsonwebtoken's `aws_lc_rs` backend then parses the key again on every `decode` (a fresh HMAC
/// key, `UnparsedPublicKey::verify`), as it does for every user.
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl JwtVerifier {
    fn new(alg: Algorithm) -> Self {
        JwtVerifier {
            key: keys::decoding_key(alg),
            validation: keys::validation(alg),
        }
    }
}

/// The claims the hand-written stacks deserialize (jsonwebtoken checks `exp`, `nbf`, `iss`
/// and `aud` on its own).
#[derive(Deserialize)]
struct AccessClaims {
    #[serde(default)]
    scope: String,
}

impl AccessClaims {
    fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split(' ').filter(|scope| !scope.is_empty())
    }
}

#[derive(Serialize)]
struct Item {
    id: u32,
    name: &'static str,
}

const ITEMS: [Item; 3] = [
    Item {
        id: 1,
        name: "apple",
    },
    Item {
        id: 2,
        name: "pear",
    },
    Item {
        id: 3,
        name: "plum",
    },
];

/// The body every stack's handler answers with: a small JSON list.
fn items_response() -> HttpResponse {
    HttpResponse::Ok().json(ITEMS)
}

/// [`items_response`] after one signature check by hand: `requires-verify`'s handler, which
/// answers 500 should the check ever fail (the load scripts fail a run on any non-2xx answer).
fn items_after(check: &crate::raw::Check) -> HttpResponse {
    if check.run() {
        items_response()
    } else {
        HttpResponse::InternalServerError().finish()
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::{header, StatusCode};
    use actix_web::test::{call_and_read_body, call_service, init_service, TestRequest};
    use actix_web::App;

    use super::*;

    #[actix_web::test]
    async fn every_stack_serves_a_valid_token_and_refuses_none() {
        for alg in [Algorithm::HS256, Algorithm::ES256] {
            let token = keys::mint(alg, 1);
            for stack in Stack::ALL {
                let setup = Setup::new(stack, alg);
                let app =
                    init_service(App::new().configure(|config| setup.configure(config))).await;
                let ok = TestRequest::get()
                    .uri("/items")
                    .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
                    .to_request();
                let body = call_and_read_body(&app, ok).await;
                assert!(body.starts_with(br#"[{"id":1,"name":"apple"}"#), "{stack}");

                let anonymous = TestRequest::get().uri("/items").to_request();
                let status = call_service(&app, anonymous).await.status();
                // `noauth-verify` checks the request's token by hand: without one, 401.
                let expected = match stack {
                    Stack::NoAuth => StatusCode::OK,
                    _ => StatusCode::UNAUTHORIZED,
                };
                assert_eq!(status, expected, "{stack} without a token");
            }
        }
    }

    #[actix_web::test]
    async fn every_protected_stack_refuses_a_token_without_the_scope() {
        let alg = Algorithm::HS256;
        let token = keys::mint_scoped(alg, 1, "items:write");
        for stack in Stack::ALL.into_iter().filter(|s| s.authenticates()) {
            let setup = Setup::new(stack, alg);
            let app = init_service(App::new().configure(|config| setup.configure(config))).await;
            let req = TestRequest::get()
                .uri("/items")
                .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
                .to_request();
            let status = call_service(&app, req).await.status();
            assert_eq!(status, StatusCode::FORBIDDEN, "{stack}");
        }
    }

    #[actix_web::test]
    async fn the_dpop_stack_takes_each_proof_once() {
        let setup = Setup::new(Stack::RequiresDpop, Algorithm::ES256);
        let app = init_service(App::new().configure(|config| setup.configure(config))).await;
        let requests = crate::dpop::requests(
            Algorithm::ES256,
            Algorithm::EdDSA,
            2,
            "http://localhost:8080/items",
        );
        let request = |(token, proof): &(String, String)| {
            TestRequest::get()
                .uri("/items")
                .insert_header((header::AUTHORIZATION, format!("DPoP {token}")))
                .insert_header(("DPoP", proof.as_str()))
                .to_request()
        };
        for (sent, expected) in [
            (0, StatusCode::OK),
            (1, StatusCode::OK),
            (0, StatusCode::UNAUTHORIZED),
        ] {
            let status = call_service(&app, request(&requests[sent])).await.status();
            assert_eq!(status, expected, "request {sent}");
        }
    }

    #[test]
    fn stack_names_round_trip() {
        for stack in Stack::ALL {
            assert_eq!(stack.name().parse::<Stack>(), Ok(stack));
        }
        assert!("basic".parse::<Stack>().is_err());
    }
}
