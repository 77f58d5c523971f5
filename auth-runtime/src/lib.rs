//! Declarative endpoint authentication for actix-web.
//!
//! Put `#[requires(...)]` above a handler; configure one [`Authenticator`] at start-up; every
//! refusal is answered as RFC 6750, RFC 7617 and RFC 9110 say: `401` with the right
//! `WWW-Authenticate` challenges, `400 invalid_request`, `403 insufficient_scope` or `503` with
//! `Retry-After`, with an RFC 9457 `application/problem+json` body that never reveals why a
//! credential failed.
//!
//! # Quickstart
//!
//! ```no_run
//! use actix_web::{get, post, web, App, HttpResponse, HttpServer};
//! use auth_runtime::{public, requires, Authenticator, Identity, Key};
//!
//! #[public]
//! #[get("/health")]
//! async fn health() -> HttpResponse {
//!     HttpResponse::Ok().finish()
//! }
//!
//! #[requires(scope = "items:read")]
//! #[get("/items")]
//! async fn list_items() -> HttpResponse {
//!     HttpResponse::Ok().json(["apple", "pear"])
//! }
//!
//! #[requires(scope = all("items:read", "items:write"))]
//! #[post("/items")]
//! async fn create_item(who: Identity, item: web::Json<String>) -> HttpResponse {
//!     HttpResponse::Created().json((who.subject(), item.into_inner()))
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let auth = Authenticator::builder()
//!         .realm("items")
//!         .issuer("https://issuer.example")
//!         .audience("items-api")
//!         .key(Key::hs256(std::env::var("JWT_SECRET").unwrap()).unwrap())
//!         .deny_by_default()
//!         .build()
//!         .expect("valid authentication configuration");
//!     HttpServer::new(move || {
//!         App::new()
//!             .wrap(auth.middleware())
//!             .configure(auth.configure())
//!             .service(health)
//!             .service(list_items)
//!             .service(create_item)
//!     })
//!     .bind("127.0.0.1:8080")?
//!     .run()
//!     .await
//! }
//! ```
//!
//! # The attribute
//!
//! ```text
//! #[requires(
//!     scheme = "Bearer" | "Basic" | "ApiKey" | "DPoP" | MyScheme | any(..),
//!                                         // default Bearer; names case-insensitive;
//!                                         // any(..) in declaration order
//!     scope = "a" | all(..) | any(..),    // nested freely; RFC 6749 §3.3 scope tokens
//!     role = "admin" | all(..) | any(..), // the principal's roles, same grammar
//!     acr = "urn:example:mfa" | any(..),  // step-up (RFC 9470): accepted `acr` values
//!     max_age = 300,                      // step-up: `auth_time` at most this many seconds ago
//!     policy = path::to::check,           // async fn(&Principal, &HttpRequest) -> PolicyDecision,
//!                                         // or extractors after the principal (web::Path<..>, ..)
//!     realm = "...",                      // overrides the configured realm
//!     optional,                           // no credentials → handler runs with no identity
//!     crate = "path::to::auth_runtime",   // for a renamed dependency
//! )]
//! ```
//!
//! The check runs before every other extractor of the handler: an unauthenticated request
//! with a broken JSON body is answered 401, and its body is never read. Of the accepted
//! schemes, the first whose credentials are present is verified; failing credentials are
//! answered by their own scheme and never fall through to another. Then the scopes, the
//! roles, the authentication context (`acr`, `max_age`) and the policy are checked, in that
//! order. Mistakes in the attribute are compile
//! errors pointing at the token that is wrong.
//!
//! Handlers read the principal through [`Identity`] or [`Claims<T>`](Claims); used without
//! the attribute these extractors authenticate the request themselves (any configured scheme,
//! no scope). For optional authentication write `#[requires(optional)]` and take
//! `Option<Identity>`, or take [`Optional<Identity>`](Optional) anywhere.
//!
//! # Every route: the app-wide middleware, `#[public]`, deny by default
//!
//! `App::new().wrap(auth.middleware())` ([`AuthMiddleware`]) makes two promises for every
//! route, whatever its handler takes:
//!
//! - **present credentials are valid.** A forged, expired or malformed credential of a
//!   configured scheme is answered 400/401 (CONFORMANCE rows 3–6) on a route without
//!   `#[requires]` too, even one whose handler takes actix's `Option<Identity>` (which would
//!   turn the extractor's refusal into `None`) or no extractor at all; as Spring Security
//!   answers an invalid Bearer token on a public endpoint. A request without credentials still
//!   reaches such a route.
//! - **deny by default**, with [`AuthenticatorBuilder::deny_by_default`]: a route that declares
//!   neither `#[requires(..)]` nor `#[public]` is refused `401` (one challenge per configured
//!   scheme) without credentials. Static files and other services no attribute can declare are
//!   opened by pattern with [`AuthenticatorBuilder::public_route`]; requests no route matches,
//!   CORS preflights and the RFC 9728 metadata route are left alone.
//!
//! The middleware sees a declaration when `#[requires]` or `#[public]` is written **above** the
//! route attribute (`#[get("/items")]`): the attribute then registers the route with its
//! declaration, and the application's resource map gives its full pattern, `web::scope`
//! prefixes included. [`check_app`] fails at start-up when the middleware is missing, and
//! under `deny_by_default` lists the routes without a declaration (feature
//! `route-introspection`, which also lists them in the inventory).
//!
//! [`inventory`] lists every route with its requirement, as a table ([`Inventory`]'s
//! `Display`) and as JSON ([`Inventory::to_json`]); `check_app` logs it at debug level.
//!
//! # OpenAPI
//!
//! With the feature `openapi` (utoipa 6), `#[requires]` or `#[public]` written above
//! `#[utoipa::path]` puts the requirement into the operation, and
//! `Authenticator::openapi()` (a `utoipa::Modify`) documents
//! the configured schemes and each operation's `security` and `401`/`403` responses. The
//! module `openapi` has the mapping table, one row per scheme and form.
//!
//! # Schemes
//!
//! - **Bearer** (RFC 6750): JWT access tokens verified with jsonwebtoken against fixed
//!   [`Key`]s or keys that rotate (below); verified tokens are cached
//!   ([`TokenCacheConfig`]) so a client reusing its token pays for the signature once.
//! - **DPoP** (RFC 9449): tokens bound to the client's key (`cnf.jkt`), each request with a
//!   fresh proof checked as §4.3 says, replays refused ([`DpopConfig`], [`ReplayCache`]; with
//!   the `redis` feature, `RedisReplayCache` refuses them across instances);
//!   [`DpopMode`] extends it to every Bearer endpoint.
//!   Opaque tokens are introspected (RFC 7662, [`Introspection`]).
//! - **Basic** (RFC 7617): [`StaticUsers`] holds argon2id hashes; or implement
//!   [`BasicVerifier`] for a database and check passwords with [`Passwords::check`]. Either
//!   way argon2 runs on dedicated threads behind a bounded queue (full: `503` with
//!   `Retry-After`, never an unbounded wait), an unknown user costs what a wrong password
//!   costs, and credentials that passed are served from a cache keyed by HMAC-SHA-256 of the
//!   stored hash, user-id and password ([`CredentialCacheConfig`]): a client that sends the
//!   same credentials on every request pays for argon2 once.
//! - **ApiKey**: from `X-API-Key` (configurable) or `Authorization: ApiKey <key>`;
//!   [`StaticApiKeys`] keeps SHA-256 digests only and compares them in constant time
//!   (`subtle`); or implement [`ApiKeyVerifier`].
//! - **Custom**: implement [`CustomScheme`] (a session cookie, a client certificate, …) and
//!   name the type in the attribute; [`CustomScheme::credential`] opts it into the same
//!   verified-credential cache.
//!
//! # Responses
//!
//! | Situation | Status | `WWW-Authenticate` |
//! |---|---|---|
//! | no credentials, or another scheme | 401 | `Bearer realm="R"` |
//! | empty token, spaces, characters outside `b64token` | 400 | `Bearer realm="R", error="invalid_request"` |
//! | several `Authorization` headers, or a token sent two ways | 400 | `Bearer realm="R", error="invalid_request"` |
//! | bad signature, algorithm, `kid`, `iss`, `aud`, `typ`, `crit` | 401 | `Bearer realm="R", error="invalid_token", error_description="The access token is invalid"` |
//! | expired / not yet valid | 401 | `… error="invalid_token", error_description="The access token expired"` (or `is not yet valid`) |
//! | valid token, scopes missing | 403 | `Bearer realm="R", error="insufficient_scope", scope="<a smallest satisfying set>"` |
//! | a role or policy denies | 403 | none |
//! | valid token, `acr` not accepted or `auth_time` missing / older than `max_age` (RFC 9470) | 401 (403 with [`step_up_forbidden`](AuthenticatorBuilder::step_up_forbidden)) | `Bearer realm="R", error="insufficient_user_authentication", error_description="…", acr_values="…", max_age="…"` |
//! | several schemes accepted, none present | 401 | one challenge per scheme, in declaration order |
//! | Basic missing or wrong, in any way | 401 | `Basic realm="R", charset="UTF-8"` |
//! | API key missing or wrong | 401 | `ApiKey realm="R"` |
//! | no authenticator registered | 500 | none; an error-level log says what to add |
//! | key source unreachable, no usable key cached | 503 | none; `Retry-After`; an error-level log |
//! | Basic: the password-hashing queue is full ([`Refusal::Overloaded`]) | 503 | none; `Retry-After: 1`; a warn-level log |
//! | token bound to a key (`cnf.jkt`) presented as Bearer | 401 | `… error="invalid_token", …` |
//! | introspection says not `active`; token revoked (even when cached) | 401 | `… error="invalid_token", …` |
//! | introspection endpoint unreachable; revocation store unreachable past its limit | 503 | none; `Retry-After` |
//!
//! With a [protected resource](AuthenticatorBuilder::protected_resource) (RFC 9728), every
//! Bearer challenge above also carries `resource_metadata="<metadata URL>"` right after the
//! realm, and `GET /.well-known/oauth-protected-resource[/<path>]` answers `200` with the
//! `application/json` metadata, cacheable, without credentials.
//!
//! # Keys that rotate
//!
//! Instead of (or besides) fixed [`Key`]s, the keys can come from a JWKS URL
//! ([`jwks_url`](AuthenticatorBuilder::jwks_url)) or by OpenID Connect discovery
//! ([`oidc_discovery`](AuthenticatorBuilder::oidc_discovery)): fetched over rustls with
//! timeouts and a size cap, refreshed in the background as `Cache-Control: max-age` says,
//! and fetched again on an unknown `kid` at most once per cooldown, one fetch shared by all
//! waiting requests. Requests whose key is in memory never wait. When the provider is down
//! the last good keys stay in use; with none, Bearer requests get 503 until it answers again.
//! [`build`](AuthenticatorBuilder::build) starts and retries;
//! [`build_and_fetch`](AuthenticatorBuilder::build_and_fetch) fails fast.
//! Key sources are https; [`allow_http`](AuthenticatorBuilder::allow_http) opens plain http
//! to a provider on the loopback interface only (decided on the parsed host, for the
//! configured URL, the discovered `jwks_uri` and every redirect).
//!
//! ```no_run
//! use auth_runtime::Authenticator;
//!
//! # async fn start() -> Result<(), auth_runtime::ConfigError> {
//! let auth = Authenticator::builder()
//!     .audience("items-api")
//!     .oidc_discovery("https://keycloak.example/realms/shop") // also the expected `iss`
//!     .build_and_fetch()
//!     .await?;
//! # let _ = auth;
//! # Ok(())
//! # }
//! ```
//!
//! # Logs
//!
//! Every event has the target `auth_runtime` (`RUST_LOG=auth_runtime=info` shows every
//! refusal of a presented credential and every key-source problem):
//!
//! | Event | Level | Fields |
//! |---|---|---|
//! | request authenticated | debug | `decision="allowed"`, `scheme`, `subject`, `path` |
//! | no credentials, authentication `optional` | debug | `decision="anonymous"`, `path` |
//! | refused: no credentials | debug | `decision="refused"`, `reason="missing"`, `status`, `path` |
//! | refused: credentials presented and not accepted | info | `reason`, `status`, `scheme`, `path`, `missing` scopes or `missing_roles`, and for a Bearer token `token.alg`, `token.kid`, `token.typ`, `token.iss`, `token.aud`, `token.exp_in_secs`, `token.nbf_in_secs` |
//! | refused: no usable key (503), nothing configured (500) | error | as above; what to configure |
//! | verification keys fetched (changed) | info | `source`, `kids`, `next_refresh_secs` |
//! | keys refreshed unchanged; a missing key starts a fetch | debug | `source` |
//! | fetching keys failed: last good keys kept / no usable key | warn / error | `source`, `failure` |
//! | a JWKS key skipped | warn (debug: an encryption key) | `kid`, `reason` |
//!
//! A refused token's facts are read without trusting it and only when the event is recorded;
//! the token and its signature never appear, and each value is escaped (no line break or
//! control character) and cut to 64 characters.
//!
//! # Metrics
//!
//! Counters of decisions by scheme, outcome and reason, a histogram of verification time, and
//! the health of a remote key source, through the [`metrics`](https://docs.rs/metrics) facade:
//! install any exporter (none is forced) before building the authenticator. Names, labels and
//! queries: [`telemetry`].
//! # Opaque tokens and revocation
//!
//! [`Introspection`] asks the authorization server about tokens that are not JWTs (RFC 7662):
//! the answer's claims pass the same rules as a JWT's, answers are cached under an HMAC of
//! the token, and one call serves every concurrent request for the same token.
//! [`Authenticator::revoke`] revokes a token by its `jti`, by itself (whatever valid form it
//! comes back in: the revocation keys on what its signature covers), or every token of a
//! subject issued before a time. Each instance checks requests against its in-memory
//! [`DenyList`]; a [`RevocationStore`] keeps the lists of every instance in sync — with the
//! `redis` feature, `RedisStore` through Redis pub/sub, written back when Redis loses them.
//!
//! # Testing
//!
//! The `testing` feature (for `[dev-dependencies]`) has `testing::TestIssuer` (tokens
//! signed by an ephemeral key of any algorithm, with scopes, roles, any claim or `kid`, and
//! an authenticator wired to it), `testing::TestRequestExt` (`.bearer()`, `.basic()`,
//! `.api_key()` on `TestRequest`), assertions such as `testing::assert_requires_scope` and
//! `testing::assert_forbidden`, and `testing::KeyServer`, an identity provider on 127.0.0.1
//! (discovery, JWKS, a token endpoint) for tests and for `cargo run --example dev-provider`,
//! and `testing::IntrospectionServer`, an RFC 7662 endpoint on 127.0.0.1.
//!
//! The module is documented only when the feature is on: `cargo doc -p auth-runtime
//! --features testing --open` (docs.rs builds with every feature and marks it "Available on
//! crate feature `testing` only").
//!
//! # Security notes
//!
//! - The algorithm allow-list is exactly the configured [`Key`]s: each key verifies one
//!   algorithm, the token header never chooses (`alg: none` and HMAC/RSA key confusion are
//!   impossible), `jku`/`x5u`/`jwk` header fields are ignored, and tokens with `crit` are
//!   refused.
//! - `exp` is required; `nbf` is honoured; the leeway defaults to 60 s; `iss` and `aud` are
//!   required and checked whenever configured.
//! - Every decision is a `tracing` event (target `auth_runtime`) with a stable `reason` code
//!   (`missing`, `malformed_request`, `repeated`, `malformed`, `expired`, `not_yet_valid`, `bad_signature`,
//!   `wrong_algorithm`, `wrong_issuer`, `wrong_audience`, `unknown_key`, `wrong_type`,
//!   `insufficient_scope`, `rejected`, `missing_role`, `keys_unavailable`, `overloaded`, `inactive`, `revoked`,
//!   `introspection_unavailable`, …; see
//!   [Logs](#logs)). Credentials are never logged, and `Debug` of every type holding a secret
//!   is redacted.
//! - Passwords given to [`StaticUsers`] are hashed at start-up and wiped; API keys are kept
//!   as digests only. The Basic cache holds HMAC tags under a per-process random key, never a
//!   password or a plain hash of one; a wrong password or an unknown user is never cached.
//! - Signatures are verified by one backend, chosen by cargo feature: `aws-lc-rs` (the
//!   default: AWS-LC, needs a C compiler) or `rust-crypto` (the pure-Rust RustCrypto crates,
//!   `default-features = false, features = ["rust-crypto"]`, for targets without one; it
//!   brings the `rsa` crate and its advisory RUSTSEC-2023-0071, a timing side channel on
//!   private-key operations, which verification does not perform). With both on, aws-lc-rs is
//!   used, and [`SIGNATURE_BACKEND`] names the one a build got. Each [`Key`] is parsed once,
//!   when configured; both backends accept the same keys (RSA of 2048 to 8192 bits) and
//!   compare HMAC tags in constant time. jsonwebtoken's own crypto is never called, so no
//!   crypto feature of jsonwebtoken is enabled and its process-wide provider choice cannot
//!   fail a request.

#![deny(missing_docs)]
// docs.rs (which builds with every feature and `--cfg docsrs`) marks feature-gated items.
#![cfg_attr(docsrs, feature(doc_cfg))]

// Leaves: names, values and errors that depend on nothing else here.
mod clock;
mod error;
mod hierarchy;
mod outcome;
mod principal;
mod requirement;
mod scheme;
pub mod telemetry;

// HTTP: the Authorization parser, challenges, refusals and their responses, extractors.
mod http;

// The schemes, each a `Mechanism` (see `mechanism.rs`), and the cache of verified credentials
// that Basic and application schemes share.
mod api_key;
mod basic;
mod bearer;
mod credential_cache;
mod custom;
mod dpop;
mod mechanism;

// Revocations shared by every instance.
mod revocation;

// How `#[requires(policy = ..)]` calls the application's policy, with its extractors.
mod policy;

// The protected resource's metadata (RFC 9728), the authenticator, its builder, and the
// start-up check.
mod authenticator;
mod resource;
mod startup;

// The routes as data: declarations, the app-wide middleware, the inventory.
mod routes;

// OpenAPI security from the declarations.
#[cfg(feature = "openapi")]
pub mod openapi;
#[cfg(all(
    feature = "testing",
    any(feature = "aws-lc-rs", feature = "rust-crypto")
))]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

/// Items the code generated by `#[requires]` names. The module is named after this crate's
/// version, and `auth-macros` names the module of its own version: a macro and a runtime of
/// different versions fail to compile together instead of misbehaving.
#[doc(hidden)]
#[path = "__private.rs"]
pub mod __private_v0_1_0;

// A new version without a new name for the module above would let a macro of another version
// compile against it.
const _: () = {
    assert!(
        matches!(env!("CARGO_PKG_VERSION").as_bytes(), b"0.1.0"),
        "the crate version changed: rename `__private_v0_1_0` after the new version (0.2.0: `__private_v0_2_0`) and update this check"
    );
};

pub use api_key::{api_key_digest, ApiKeyVerifier, StaticApiKeys};
pub use auth_macros::{public, requires};
pub use authenticator::builder::AuthenticatorBuilder;
pub use authenticator::Authenticator;
pub use basic::passwords::{PasswordStats, Passwords};
pub use basic::static_users::StaticUsers;
pub use basic::{BasicCredentials, BasicVerifier};
pub use bearer::claims::ClaimPath;
pub use bearer::introspection::config::Introspection;
pub use bearer::keys::Key;
pub use bearer::token_cache::{CacheStats, TokenCacheConfig};
pub use credential_cache::CredentialCacheConfig;
pub use custom::CustomScheme;
pub use dpop::replay::{FirstUse, MemoryReplayCache, ProofId, ReplayCache, ReplayCheck};
pub use dpop::settings::{DpopConfig, DpopMode};
#[cfg(feature = "redis")]
pub use dpop::shared_replay::RedisReplayCache;
pub use error::ConfigError;
pub use http::challenge::Challenge;
pub use http::extract::{Claims, FromPrincipal, Identity, Optional};
pub use http::refusal::{InvalidReason, ProofReason, Refusal, StepUp, StepUpReason};
pub use http::response::{AuthError, ErrorBody};
/// JSON Web Keys (RFC 7517), as [`Key::from_jwk`] and
/// [`AuthenticatorBuilder::jwks`] take them.
pub use jsonwebtoken::jwk;
pub use jsonwebtoken::Algorithm;
pub use principal::{Principal, Scopes};
pub use requirement::{PolicyDecision, Requirement, ScopeExpr};
pub use resource::ProtectedResource;
pub use revocation::deny_list::{DenyList, Revocation};
#[cfg(feature = "redis")]
pub use revocation::redis::RedisStore;
pub use revocation::store::{
    MemoryStore, RevocationError, RevocationStore, ShareFuture, WhenStoreUnreachable,
};
pub use routes::inventory::{Inventory, InventoryRoute};
pub use routes::middleware::AuthMiddleware;
pub use scheme::Scheme;
pub use startup::{check_app, inventory};

pub use bearer::verifier::SIGNATURE_BACKEND;
