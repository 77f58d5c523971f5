//! Helpers for testing protected endpoints. **Feature `testing`**: enable it in
//! `[dev-dependencies]` only (`auth-runtime = { version = "…", features = ["testing"] }`).
//!
//! - [`TestIssuer`] signs tokens with an ephemeral key of any supported algorithm and hands out
//!   an [`Authenticator`] wired to it.
//! - [`TestRequestExt`] attaches Bearer, Basic or API-key credentials to a `TestRequest`.
//! - [`KeyServer`] is an identity provider for tests: OpenID Connect discovery and a JWKS
//!   served on 127.0.0.1, with key rotation, failures and delays on demand.
//! - [`IntrospectionServer`] is an RFC 7662 introspection endpoint on 127.0.0.1 that checks
//!   the client's authentication, with failures, delays and oversized answers on demand.
//! - [`DpopKey`] is a DPoP client key: [`TestToken::bound_to`] mints tokens bound to it, and
//!   [`DpopKey::proof`] signs the proof of one request ([`TestRequestExt::dpop`] sends both);
//!   [`server_nonce`] is the server nonce of another time, one period ago say.
//! - [`challenges`] parses a response's `WWW-Authenticate` headers, and
//!   [`assert_requires_scope`] / [`assert_unauthenticated`] / [`assert_dpop_unauthenticated`] /
//!   [`assert_forbidden`] state what
//!   an endpoint demands.
//!
//! "This endpoint needs scope `items:read`" in three lines:
//!
//! ```
//! use actix_web::{get, test, App, HttpResponse};
//! use auth_runtime::requires;
//! use auth_runtime::testing::{assert_requires_scope, TestIssuer, TestRequestExt};
//!
//! #[get("/items")]
//! #[requires(scope = "items:read")]
//! async fn items() -> HttpResponse {
//!     HttpResponse::Ok().finish()
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let issuer = TestIssuer::hs256();
//! let app = test::init_service(App::new().configure(issuer.authenticator().configure()).service(items)).await;
//! let token = issuer.token().scope("other").sign();
//! let res = test::call_service(&app, test::TestRequest::get().uri("/items").bearer(&token).to_request()).await;
//! assert_requires_scope(&res, "items:read");
//! # });
//! ```

//!
//! # Password hashing in debug builds
//!
//! [`StaticUsers`](crate::StaticUsers) hashes with argon2id at production cost. Unoptimised,
//! as `cargo test` builds dependencies by default, one hash takes about 0.75 s, so a suite
//! with a few Basic users takes seconds per test. Optimise the hashing crates in your test
//! builds, in the workspace's `Cargo.toml` (this repository does the same); the production
//! cost is unchanged:
//!
//! ```toml
//! [profile.dev.package.argon2]
//! opt-level = 3
//!
//! [profile.dev.package.blake2]
//! opt-level = 3
//! ```

pub mod dpop;
pub mod introspection_server;
pub mod key_server;
mod signing;

pub use dpop::{server_nonce, DpopKey, TestProof};
pub use introspection_server::IntrospectionServer;
pub use key_server::{KeyServer, TokenEndpoint};

/// Internals that the fuzz targets and property tests exercise directly. Not a public API.
#[doc(hidden)]
pub mod internals {
    pub use crate::basic::{decode as decode_basic, BasicError};
    pub use crate::http::authorization::{Authorization, Malformed};
    pub use crate::requirement::Requirement;

    use crate::basic::passwords::Passwords;

    /// Whether the claims reader and serde_json read `json` alike: both refuse it, or both
    /// read the same values (repeated member names refused by both). `Err` describes the
    /// difference.
    pub fn claims_json_reads_as_serde_json(json: &[u8]) -> Result<(), String> {
        use crate::bearer::claims::{oracle, Json};
        let (ours, serde) = (Json::parse(json), oracle::parse(json));
        if ours == serde {
            Ok(())
        } else {
            Err(format!("claims reader: {ours:?}, serde_json: {serde:?}"))
        }
    }

    /// Whether configuration may place `value` in a challenge (a realm, for instance).
    pub fn check_challenge_value(value: &str) -> Result<(), &'static str> {
        crate::http::challenge::Challenge::check_value(value)
    }

    /// The decoy hash `passwords` checks unknown users against.
    pub fn decoy_hash(passwords: &Passwords) -> String {
        passwords.decoy_hash()
    }

    /// Holds the hashing threads of `passwords` before their next argon2 computation until the
    /// guard is dropped, so that a test can fill the queue deterministically.
    pub fn pause_hashing(passwords: &Passwords) -> HashingPaused {
        passwords.pause_hashing(true);
        HashingPaused(passwords.clone())
    }

    /// Releases the hashing threads when dropped.
    pub struct HashingPaused(Passwords);

    impl Drop for HashingPaused {
        fn drop(&mut self) {
            self.0.pause_hashing(false);
        }
    }
}

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use serde_json::{json, Map, Value};

use crate::bearer::keys::AlgName;
use crate::bearer::verifier::{Curve, Hash, RsaPadding};
use crate::http::authorization::Malformed;
use crate::requirement::Requirement;
use crate::{
    Algorithm, Authenticator, AuthenticatorBuilder, ClaimPath, Key, Principal, Refusal, Scheme,
};
use signing::{now, pem_body, SigningKey, RSA_PRIVATE};

/// The realm of [`TestIssuer::authenticator`].
pub const TEST_REALM: &str = "test";

/// A token issuer for tests: an ephemeral signing key (a fresh secret or key pair per issuer;
/// RSA uses a fixed, public, test-only key because generating one takes seconds in debug
/// builds), an issuer and an audience. Tokens are signed with the crate's signature backend.
///
/// Its `Debug` shows no key material.
pub struct TestIssuer {
    algorithm: Algorithm,
    /// The `alg` of minted tokens' headers.
    alg_name: AlgName,
    kid: String,
    signing: SigningKey,
    /// The verification key; `None` for an HMAC secret the library refuses as a key (too
    /// short), which can still forge tokens.
    key: Option<Key>,
    jwk: Jwk,
    issuer: String,
    audience: String,
    realm: String,
    /// Where [`TestToken::roles`] writes roles and the wired authenticator reads them.
    role_claim: ClaimPath,
}

impl std::fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestIssuer")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("realm", &self.realm)
            .field("role_claim", &self.role_claim)
            .finish_non_exhaustive()
    }
}

impl TestIssuer {
    /// An issuer signing with `algorithm`, issuer `https://issuer.test`, audience `test-api`.
    pub fn new(algorithm: Algorithm) -> Self {
        TestIssuer::with_material(algorithm, Material::Fresh)
    }

    /// An HMAC issuer (`HS256`, `HS384` or `HS512`) with a given secret, for tests that need
    /// to know it (a token keyed with a public key as the secret, a key shared with another
    /// verifier). A secret shorter than the library accepts as a verification key (RFC 7518
    /// §3.2) still signs, for forgeries; [`key`](Self::key) and the wired authenticator then
    /// panic.
    ///
    /// # Panics
    ///
    /// If `algorithm` is not an HMAC algorithm.
    pub fn with_secret(algorithm: Algorithm, secret: impl AsRef<[u8]>) -> Self {
        TestIssuer::with_material(algorithm, Material::Secret(secret.as_ref()))
    }

    /// An issuer with a fixed private key: an unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`)
    /// of an RSA key (for `RS*`/`PS*`), an EC key of the algorithm's curve (`ES256`, `ES384`)
    /// or an Ed25519 key (`EdDSA`), for tests that keep their keys in files.
    ///
    /// # Panics
    ///
    /// If `pem` is not such a key, or `algorithm` is an HMAC algorithm.
    pub fn from_pkcs8_pem(algorithm: Algorithm, pem: &str) -> Self {
        TestIssuer::with_material(algorithm, Material::Pkcs8(pem_body(pem)))
    }

    fn with_material(algorithm: Algorithm, material: Material<'_>) -> Self {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let (hash, padding) = match algorithm {
            Algorithm::HS384 | Algorithm::RS384 => (Hash::Sha384, RsaPadding::Pkcs1v15),
            Algorithm::HS512 | Algorithm::RS512 => (Hash::Sha512, RsaPadding::Pkcs1v15),
            Algorithm::PS256 => (Hash::Sha256, RsaPadding::Pss),
            Algorithm::PS384 => (Hash::Sha384, RsaPadding::Pss),
            Algorithm::PS512 => (Hash::Sha512, RsaPadding::Pss),
            _ => (Hash::Sha256, RsaPadding::Pkcs1v15),
        };
        let (signing, key, jwk) = match (algorithm, material) {
            (Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512, material) => {
                let mut fresh = [0u8; 64];
                let secret = match material {
                    Material::Secret(secret) => secret,
                    Material::Fresh => {
                        signing::fill_random(&mut fresh);
                        &fresh
                    }
                    Material::Pkcs8(_) => panic!("an HMAC issuer takes a secret, not a PEM key"),
                };
                (
                    SigningKey::hmac(hash, secret),
                    Key::hmac(algorithm, secret).ok(),
                    json!({ "kty": "oct", "k": b64(secret) }),
                )
            }
            (_, Material::Secret(_)) => panic!("only an HMAC issuer takes a secret"),
            (Algorithm::ES256 | Algorithm::ES384, material) => {
                let (curve, name) = match algorithm {
                    Algorithm::ES256 => (Curve::P256, "P-256"),
                    _ => (Curve::P384, "P-384"),
                };
                let (signing, point) = match material {
                    Material::Pkcs8(der) => SigningKey::ecdsa_pkcs8(curve, &der),
                    _ => SigningKey::ecdsa(curve),
                };
                let (x, y) = point[1..].split_at(point.len() / 2);
                (
                    signing,
                    Some(Key::ec_der(algorithm, &point).expect("a point of the curve")),
                    json!({ "kty": "EC", "crv": name, "x": b64(x), "y": b64(y) }),
                )
            }
            (Algorithm::EdDSA, material) => {
                let (signing, public) = match material {
                    Material::Pkcs8(der) => SigningKey::ed25519_pkcs8(&der),
                    _ => SigningKey::ed25519(),
                };
                (
                    signing,
                    Some(Key::ed25519_der(public).expect("an Ed25519 key")),
                    json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(&public) }),
                )
            }
            (_, material) => {
                let der = match material {
                    Material::Pkcs8(der) => der,
                    _ => pem_body(RSA_PRIVATE),
                };
                let (signing, n, e) = SigningKey::rsa(hash, padding, &der);
                let jwk = json!({ "kty": "RSA", "n": b64(&n), "e": b64(&e), "alg": algorithm });
                let key = serde_json::from_value(jwk.clone())
                    .ok()
                    .and_then(|jwk| Key::from_jwk(&jwk).ok())
                    .expect("the public key of an RSA test key");
                (signing, Some(key), jwk)
            }
        };
        let mut nonce = [0u8; 6];
        signing::fill_random(&mut nonce);
        let kid = format!("test-{}", b64(&nonce));
        let mut jwk = jwk;
        jwk["alg"] = json!(algorithm);
        jwk["use"] = json!("sig");
        jwk["kid"] = json!(kid);
        TestIssuer {
            algorithm,
            alg_name: AlgName::Registered(algorithm),
            key: key.map(|key| key.with_kid(kid.clone())),
            kid,
            signing,
            jwk: serde_json::from_value(jwk).expect("a JWK of the test key"),
            issuer: "https://issuer.test".to_owned(),
            audience: "test-api".to_owned(),
            realm: TEST_REALM.to_owned(),
            role_claim: ClaimPath::from("roles"),
        }
    }

    /// An HS256 issuer with a fresh random secret.
    pub fn hs256() -> Self {
        TestIssuer::new(Algorithm::HS256)
    }

    /// An RS256 issuer (the test-only RSA key).
    pub fn rs256() -> Self {
        TestIssuer::new(Algorithm::RS256)
    }

    /// An ES256 issuer with a fresh P-256 key pair.
    pub fn es256() -> Self {
        TestIssuer::new(Algorithm::ES256)
    }

    /// An EdDSA issuer with a fresh Ed25519 key pair.
    pub fn eddsa() -> Self {
        TestIssuer::new(Algorithm::EdDSA)
    }

    /// An issuer with a fresh Ed25519 key pair whose tokens name the algorithm `Ed25519`, as
    /// RFC 9864 §2.2 does, instead of `EdDSA`. Its [`jwk`](Self::jwk) has no `alg` (jsonwebtoken's
    /// `Jwk` cannot hold the name), so the key verifies tokens of either name.
    pub fn ed25519() -> Self {
        let mut issuer = TestIssuer::new(Algorithm::EdDSA);
        issuer.alg_name = AlgName::Ed25519;
        issuer.jwk.common.key_algorithm = None;
        issuer
    }

    /// Changes the `kid` of the key: minted tokens name it, the verification key and the JWK
    /// carry it (default: `test-` and random characters).
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self.key = self.key.map(|key| key.with_kid(self.kid.clone()));
        self.jwk.common.key_id = Some(self.kid.clone());
        self
    }

    /// Changes the `iss` of minted tokens and of the wired authenticator.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// Changes the `aud` of minted tokens and of the wired authenticator.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Changes the realm of the wired authenticator (default [`TEST_REALM`]), so that tests can
    /// assert the realm their application configures.
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Changes the claim [`TestToken::roles`] writes roles to and the wired authenticator
    /// reads them from (default `roles`); `"realm_access.roles"` gives Keycloak's shape.
    ///
    /// ```
    /// use auth_runtime::testing::{verify_bearer, TestIssuer};
    ///
    /// let keycloak = TestIssuer::es256().with_role_claim("realm_access.roles");
    /// let token = keycloak.token().roles(["items-admin"]).sign();
    /// let principal = verify_bearer(&keycloak.authenticator(), &token).unwrap();
    /// assert!(principal.roles().contains("items-admin"));
    /// assert_eq!(principal.claims()["realm_access"]["roles"][0], "items-admin");
    /// ```
    pub fn with_role_claim(mut self, claim: impl Into<ClaimPath>) -> Self {
        self.role_claim = claim.into();
        self
    }

    /// The `iss` of minted tokens (default `https://issuer.test`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `aud` of minted tokens (default `test-api`).
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The `kid` minted tokens name, which the verification key and the JWK carry.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The verification key (with its `kid`).
    ///
    /// # Panics
    ///
    /// For an HMAC secret too short to verify with (see [`with_secret`](Self::with_secret)).
    pub fn key(&self) -> Key {
        self.key
            .clone()
            .expect("the issuer's secret is shorter than a verification key may be")
    }

    /// The public key as a JWK (with its `kid`; for HMAC, the secret as an `oct` key), for key
    /// servers in tests.
    pub fn jwk(&self) -> Jwk {
        self.jwk.clone()
    }

    /// A builder already holding this issuer's realm ([`TEST_REALM`] unless
    /// [`with_realm`](Self::with_realm)), issuer, audience, role claim and key, for adding
    /// schemes or options.
    pub fn builder(&self) -> AuthenticatorBuilder {
        Authenticator::builder()
            .realm(self.realm.clone())
            .issuer(self.issuer.clone())
            .audience(self.audience.clone())
            .role_claims([self.role_claim.clone()])
            .key(self.key())
    }

    /// An authenticator that accepts this issuer's tokens.
    pub fn authenticator(&self) -> Authenticator {
        self.builder()
            .build()
            .expect("the test issuer's configuration is valid")
    }

    /// A compact JWS of exactly `header` and `payload` (each base64url-encoded as given),
    /// signed with this issuer's key whatever the header says: for what a well-behaved issuer
    /// never produces (`alg: none`, a `crit` member, a mismatched `alg`, a payload that is not
    /// JSON, claims without `exp`).
    ///
    /// ```
    /// use auth_runtime::testing::{verify_bearer, TestIssuer};
    ///
    /// let issuer = TestIssuer::es256();
    /// let unsigned_alg = issuer.sign_parts(br#"{"alg":"none"}"#, br#"{"sub":"x"}"#);
    /// assert!(verify_bearer(&issuer.authenticator(), &unsigned_alg).is_err());
    /// ```
    pub fn sign_parts(&self, header: &[u8], payload: &[u8]) -> String {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let message = format!("{}.{}", b64(header), b64(payload));
        let signature = self.signing.sign(message.as_bytes());
        format!("{message}.{}", b64(&signature))
    }

    /// Starts a token: subject `test-user`, no scope, valid for an hour.
    pub fn token(&self) -> TestToken<'_> {
        TestToken {
            issuer: self,
            claims: Map::new(),
            subject: Some("test-user".to_owned()),
            scopes: Vec::new(),
            expires_in: 3600,
            typ: Some("JWT".to_owned()),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            roles: None,
            kid: Some(self.kid.clone()),
            header: Map::new(),
        }
    }
}

impl TokenEndpoint {
    /// Tokens signed by `issuer`: its `iss`, its audience unless the request names one, RFC
    /// 9068 claims (`typ` `at+jwt`, `client_id`, a random `jti`), roles where the issuer puts
    /// them; no scope and no role unless asked for, valid for an hour.
    pub fn new(issuer: TestIssuer) -> Self {
        let (iss, algorithm, jwk, audience) = (
            issuer.issuer.clone(),
            issuer.algorithm,
            issuer.jwk(),
            issuer.audience.clone(),
        );
        let sign = move |grant: &key_server::Grant<'_>| {
            let mut jti = [0u8; 12];
            signing::fill_random(&mut jti);
            let mut token = issuer
                .token()
                .subject(grant.client)
                .claim("client_id", grant.client)
                .claim(
                    "jti",
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jti),
                )
                .audience(grant.audience)
                .typ("at+jwt")
                .expires_in(grant.expires_in)
                .scope(&grant.scope.join(" "));
            if !grant.roles.is_empty() {
                token = token.roles(grant.roles.iter().cloned());
            }
            token.sign()
        };
        TokenEndpoint::from_parts(iss, algorithm, jwk, audience, Box::new(sign))
    }
}

/// Where a [`TestIssuer`]'s key comes from.
enum Material<'a> {
    /// A fresh secret or key pair (RSA: the fixed test key).
    Fresh,
    /// An HMAC secret.
    Secret(&'a [u8]),
    /// A PKCS#8 private key (DER).
    Pkcs8(Vec<u8>),
}

/// A token being minted by [`TestIssuer::token`]; finish with [`sign`](Self::sign).
#[must_use = "call `.sign()` to get the token"]
pub struct TestToken<'a> {
    issuer: &'a TestIssuer,
    claims: Map<String, Value>,
    subject: Option<String>,
    scopes: Vec<String>,
    expires_in: i64,
    typ: Option<String>,
    iss: String,
    aud: String,
    roles: Option<Vec<String>>,
    kid: Option<String>,
    header: Map<String, Value>,
}

impl TestToken<'_> {
    /// The `sub` claim.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Adds scopes (space-delimited) to the `scope` claim.
    pub fn scope(mut self, scopes: &str) -> Self {
        self.scopes.extend(
            scopes
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        self
    }

    /// Seconds until `exp`; negative for an already expired token.
    pub fn expires_in(mut self, seconds: i64) -> Self {
        self.expires_in = seconds;
        self
    }

    /// An expired token (beyond the default 60-second leeway).
    pub fn expired(self) -> Self {
        self.expires_in(-3600)
    }

    /// `nbf` this far in the future.
    pub fn not_before_in(self, after: Duration) -> Self {
        let nbf = now() + after.as_secs() as i64;
        self.claim("nbf", nbf)
    }

    /// The `iss` claim (default: the issuer's).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.iss = issuer.into();
        self
    }

    /// The `aud` claim (default: the issuer's audience).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.aud = audience.into();
        self
    }

    /// The JOSE header `typ` (default `JWT`; `at+jwt` for RFC 9068 access tokens).
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// The `acr` claim: how the user authenticated (RFC 9470, OpenID Connect Core §2).
    pub fn acr(self, acr: impl Into<String>) -> Self {
        self.claim("acr", acr.into())
    }

    /// The `auth_time` claim: when the user authenticated, in seconds since the Unix epoch
    /// (RFC 9470, OpenID Connect Core §2).
    pub fn auth_time(self, seconds_since_epoch: i64) -> Self {
        self.claim("auth_time", seconds_since_epoch)
    }

    /// An `auth_time` this many seconds ago (`0`: a fresh login).
    pub fn authenticated_ago(self, seconds: i64) -> Self {
        let auth_time = now() - seconds;
        self.auth_time(auth_time)
    }

    /// Adds roles, written as an array at the issuer's role claim (`roles` unless
    /// [`TestIssuer::with_role_claim`]), where its authenticator reads them for
    /// `#[requires(role = ..)]`.
    pub fn roles<R: Into<String>>(mut self, roles: impl IntoIterator<Item = R>) -> Self {
        self.roles
            .get_or_insert_with(Vec::new)
            .extend(roles.into_iter().map(Into::into));
        self
    }

    /// The JOSE header `kid` (default: the issuer's key's), for a token naming a key the
    /// authenticator does not have, or a rotated one.
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// No `kid` in the JOSE header: the authenticator then uses its only key for the
    /// algorithm, if it has exactly one.
    pub fn without_kid(mut self) -> Self {
        self.kid = None;
        self
    }

    /// Any other JOSE header member, or one that replaces `alg`, `typ` or `kid` as written
    /// (`"crit"`, `"jku"`, `"alg": "none"`, ...), for tokens the authenticator must refuse.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.header.insert(name.into(), value.into());
        self
    }

    /// Any other claim.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Binds the token to a DPoP client key (RFC 9449 §6.1): `cnf` `{"jkt": <its
    /// thumbprint>}`. Such a token is accepted only with a proof signed by that key, never as
    /// a plain Bearer token.
    pub fn bound_to(self, key: &DpopKey) -> Self {
        self.claim("cnf", json!({ "jkt": key.thumbprint() }))
    }

    /// Signs the token.
    pub fn sign(self) -> String {
        let mut claims = self.claims;
        let now = now();
        claims.entry("iss").or_insert(self.iss.into());
        claims.entry("aud").or_insert(self.aud.into());
        claims.entry("iat").or_insert(now.into());
        claims
            .entry("exp")
            .or_insert((now + self.expires_in).into());
        if let Some(subject) = self.subject {
            claims.entry("sub").or_insert(subject.into());
        }
        if !self.scopes.is_empty() {
            claims
                .entry("scope")
                .or_insert(self.scopes.join(" ").into());
        }
        if let Some(roles) = self.roles {
            insert_at(&mut claims, self.issuer.role_claim.segments(), roles.into());
        }
        let mut header = Map::new();
        header.insert("alg".to_owned(), self.issuer.alg_name.as_str().into());
        if let Some(typ) = self.typ {
            header.insert("typ".to_owned(), typ.into());
        }
        if let Some(kid) = self.kid {
            header.insert("kid".to_owned(), kid.into());
        }
        header.extend(self.header);
        let header = serde_json::to_vec(&header).expect("a JOSE header is JSON");
        let claims = serde_json::to_vec(&claims).expect("claims are JSON");
        self.issuer.sign_parts(&header, &claims)
    }
}

/// Sets `value` at the nested `path` of `claims`, creating the objects on the way (and
/// replacing a non-object found there).
fn insert_at(claims: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut object = claims;
    for segment in parents {
        let entry = object
            .entry(segment.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        object = entry.as_object_mut().expect("made an object above");
    }
    object.insert(last.clone(), value);
}

/// Verifies `token` as an endpoint that accepts Bearer tokens does (the same path: header
/// parsing, the verified-token cache, key selection, signature, claims), and gives its
/// principal or the reason it was refused. Waits if the key must come from a key source.
///
/// A `token` that cannot be an HTTP header value (control characters, line breaks) never
/// reaches a server: it is refused as [`Malformed::Token`].
pub fn verify_bearer(auth: &Authenticator, token: &str) -> Result<Arc<Principal>, Refusal> {
    const BEARER: Requirement = Requirement::new(&[Scheme::Bearer]);
    let Ok(value) = header::HeaderValue::from_str(&format!("Bearer {token}")) else {
        return Err(Refusal::Malformed(Malformed::Token));
    };
    let req = TestRequest::default()
        .insert_header((header::AUTHORIZATION, value))
        .to_http_request();
    let outcome = match auth.begin(&req, BEARER).now() {
        Ok(outcome) => outcome,
        Err(pending) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime to wait for the key source")
            .block_on(pending),
    };
    match outcome {
        Ok(Some(principal)) => Ok(principal),
        Ok(None) => Err(Refusal::Missing),
        Err(error) => Err(*error.refusal()),
    }
}

/// Verifies a DPoP request as an endpoint that accepts DPoP does (the proof's checks, the
/// token's verification or the verified-token cache, the binding, the replay cache): `method`
/// to `http://localhost:8080{path}` (actix's test host) with `token` and `proof`. Gives the
/// principal or the reason it was refused. `auth` needs [`DpopConfig`](crate::DpopConfig).
pub fn verify_dpop(
    auth: &Authenticator,
    method: &str,
    path: &str,
    token: &str,
    proof: &[u8],
) -> Result<Arc<Principal>, Refusal> {
    const DPOP: Requirement = Requirement::new(&[Scheme::DPoP]);
    let (Ok(_), Ok(method), Ok(authorization), Ok(proof)) = (
        path.parse::<actix_web::http::Uri>(),
        actix_web::http::Method::from_bytes(method.as_bytes()),
        header::HeaderValue::from_str(&format!("DPoP {token}")),
        header::HeaderValue::from_bytes(proof),
    ) else {
        return Err(Refusal::Malformed(Malformed::Token));
    };
    let req = TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header((header::AUTHORIZATION, authorization))
        .insert_header(("dpop", proof))
        .to_http_request();
    let outcome = match auth.begin(&req, DPOP).now() {
        Ok(outcome) => outcome,
        Err(pending) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime to wait for the key source")
            .block_on(pending),
    };
    match outcome {
        Ok(Some(principal)) => Ok(principal),
        Ok(None) => Err(Refusal::Missing),
        Err(error) => Err(*error.refusal()),
    }
}

/// Credentials for `actix_web::test::TestRequest`.
pub trait TestRequestExt {
    /// `Authorization: Bearer <token>`.
    fn bearer(self, token: &str) -> Self;
    /// `Authorization: Basic <base64(user:password)>`.
    fn basic(self, user: &str, password: &str) -> Self;
    /// `X-API-Key: <key>` (the default API-key header).
    fn api_key(self, key: &str) -> Self;
    /// `Authorization: DPoP <token>` and `DPoP: <proof>` (RFC 9449 §7.1); make the proof with
    /// [`DpopKey::proof`].
    fn dpop(self, token: &str, proof: &str) -> Self;
}

impl TestRequestExt for TestRequest {
    fn bearer(self, token: &str) -> Self {
        self.insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
    }

    fn basic(self, user: &str, password: &str) -> Self {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.insert_header((header::AUTHORIZATION, format!("Basic {encoded}")))
    }

    fn api_key(self, key: &str) -> Self {
        self.insert_header(("x-api-key", key))
    }

    fn dpop(self, token: &str, proof: &str) -> Self {
        self.insert_header((header::AUTHORIZATION, format!("DPoP {token}")))
            .insert_header(("dpop", proof))
    }
}

/// One parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedChallenge {
    /// The auth-scheme, as sent.
    pub scheme: String,
    /// The auth-params in order, names lower-cased, quoted-string values unescaped.
    pub params: Vec<(String, String)>,
}

impl ParsedChallenge {
    /// The value of parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(param, _)| param.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// The challenges of every `WWW-Authenticate` header of `headers`, in order (one challenge
/// per header, as this library sends them).
pub fn challenges(headers: &HeaderMap) -> Vec<ParsedChallenge> {
    headers
        .get_all(header::WWW_AUTHENTICATE)
        .filter_map(|value| parse_challenge(&String::from_utf8_lossy(value.as_bytes())))
        .collect()
}

/// Parses `scheme param="value", param=token` (RFC 9110 §11.6.1, one challenge).
pub fn parse_challenge(text: &str) -> Option<ParsedChallenge> {
    let (scheme, mut rest) = text.split_once(' ').unwrap_or((text, ""));
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', ',']);
        if rest.is_empty() {
            break;
        }
        let (name, after) = rest.split_once('=')?;
        let mut value = String::new();
        let remaining = if let Some(quoted) = after.strip_prefix('"') {
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((index, c)) = chars.next() {
                match c {
                    '\\' => value.push(chars.next()?.1),
                    '"' => {
                        end = Some(index + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            &quoted[end?..]
        } else {
            let end = after.find([',', ' ']).unwrap_or(after.len());
            value.push_str(&after[..end]);
            &after[end..]
        };
        params.push((name.trim().to_ascii_lowercase(), value));
        rest = remaining;
    }
    Some(ParsedChallenge {
        scheme: scheme.to_owned(),
        params,
    })
}

/// Asserts a 403 whose Bearer challenge says `insufficient_scope` and names `scope` among the
/// scopes needed.
#[track_caller]
pub fn assert_requires_scope<B>(res: &ServiceResponse<B>, scope: &str) {
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "expected 403 insufficient_scope"
    );
    let found = challenges(res.headers());
    let bearer = found
        .iter()
        .find(|c| c.scheme.eq_ignore_ascii_case("Bearer"))
        .unwrap_or_else(|| panic!("no Bearer challenge in {found:?}"));
    assert_eq!(
        bearer.param("error"),
        Some("insufficient_scope"),
        "{bearer:?}"
    );
    let needed = bearer.param("scope").unwrap_or_default();
    assert!(
        needed.split(' ').any(|s| s == scope),
        "scope {scope:?} is not among the required {needed:?}"
    );
}

/// Asserts a step-up refusal (RFC 9470 §3): `status` (401, or 403 when the authenticator
/// answers step-ups with 403) with a Bearer challenge whose `error` is
/// `insufficient_user_authentication`, with an `error_description`, and whose `acr_values` and
/// `max_age` are exactly `acr_values` and `max_age` (absent when `None`).
#[track_caller]
pub fn assert_requires_step_up<B>(
    res: &ServiceResponse<B>,
    status: StatusCode,
    acr_values: Option<&str>,
    max_age: Option<u64>,
) {
    assert_eq!(res.status(), status, "expected a step-up refusal");
    let found = challenges(res.headers());
    let bearer = found
        .iter()
        .find(|c| c.scheme.eq_ignore_ascii_case("Bearer"))
        .unwrap_or_else(|| panic!("no Bearer challenge in {found:?}"));
    assert_eq!(
        bearer.param("error"),
        Some("insufficient_user_authentication"),
        "{bearer:?}"
    );
    assert!(bearer.param("error_description").is_some(), "{bearer:?}");
    assert_eq!(bearer.param("acr_values"), acr_values, "{bearer:?}");
    let max_age = max_age.map(|seconds| seconds.to_string());
    assert_eq!(bearer.param("max_age"), max_age.as_deref(), "{bearer:?}");
}

/// Asserts a bare 403: valid credentials that a role or a policy denied (CONFORMANCE row 8),
/// with no `WWW-Authenticate` challenge at all, so neither `insufficient_scope` (see
/// [`assert_requires_scope`]) nor a request to authenticate again.
#[track_caller]
pub fn assert_forbidden<B>(res: &ServiceResponse<B>) {
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "expected 403");
    let found = challenges(res.headers());
    assert!(
        found.is_empty(),
        "a 403 for a role or policy carries no challenge, found {found:?}"
    );
}

/// Asserts a 401 that challenges `scheme` (e.g. `"Bearer"`, `"Basic"`), with `error` when
/// given (`Some("invalid_token")`) or none.
#[track_caller]
pub fn assert_unauthenticated<B>(res: &ServiceResponse<B>, scheme: &str, error: Option<&str>) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "expected 401");
    let found = challenges(res.headers());
    let challenge = found
        .iter()
        .find(|c| c.scheme.eq_ignore_ascii_case(scheme))
        .unwrap_or_else(|| panic!("no {scheme} challenge in {found:?}"));
    assert_eq!(challenge.param("error"), error, "{challenge:?}");
}

/// Asserts a 401 whose DPoP challenge says `error` (`Some("invalid_dpop_proof")`,
/// `Some("invalid_token")`) or none, and announces the proof algorithms in `algs` (RFC 9449
/// §7.1).
#[track_caller]
pub fn assert_dpop_unauthenticated<B>(res: &ServiceResponse<B>, error: Option<&str>) {
    assert_unauthenticated(res, "DPoP", error);
    let found = challenges(res.headers());
    let dpop = found
        .iter()
        .find(|c| c.scheme.eq_ignore_ascii_case("DPoP"))
        .expect("checked above");
    assert!(
        dpop.param("algs").is_some_and(|algs| !algs.is_empty()),
        "a DPoP challenge announces its algorithms: {dpop:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_mints_verifiable_tokens() {
        for algorithm in [
            Algorithm::HS256,
            Algorithm::HS384,
            Algorithm::HS512,
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ] {
            let issuer = TestIssuer::new(algorithm);
            let token = issuer.token().subject("ann").scope("a b").sign();
            let principal = verify_bearer(&issuer.authenticator(), &token).unwrap();
            assert_eq!(principal.subject(), Some("ann"), "{algorithm:?}");
            assert!(principal.scopes().contains("b"));
        }
    }

    #[test]
    fn ed25519_tokens_name_the_rfc_9864_algorithm_and_verify() {
        let issuer = TestIssuer::ed25519();
        let token = issuer.token().subject("eve").sign();
        let header = token.split('.').next().unwrap();
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap();
        let header: Value = serde_json::from_slice(&header).unwrap();
        assert_eq!(header["alg"], "Ed25519");
        let principal = verify_bearer(&issuer.authenticator(), &token).unwrap();
        assert_eq!(principal.subject(), Some("eve"));
    }

    #[test]
    fn a_token_of_more_than_three_parts_is_malformed_whatever_its_first_three() {
        use crate::http::refusal::InvalidReason;
        let issuer = TestIssuer::hs256();
        let auth = issuer.authenticator();
        let token = issuer.token().subject("ann").sign();
        assert!(verify_bearer(&auth, &token).is_ok());
        // A fourth part that decodes as a signature would otherwise be checked as one.
        for longer in [format!("{token}.AAAA"), format!("{token}.AAAA.AAAA")] {
            assert_eq!(
                verify_bearer(&auth, &longer).err(),
                Some(Refusal::Invalid(InvalidReason::Malformed)),
                "{longer}"
            );
        }
    }

    #[test]
    fn a_header_is_remembered_once_a_token_with_it_verified_and_the_next_is_checked_in_full() {
        use crate::bearer::header;
        // Each test runs on a thread of its own: nothing is remembered here yet.
        let issuer = TestIssuer::hs256();
        let auth = issuer.authenticator();
        let token = issuer.token().subject("ann").sign();
        let segment = token.split('.').next().unwrap();
        let forged = format!("{}AAAA", &token[..token.len() - 4]);
        let expired = issuer.token().expires_in(-3600).sign();
        for refused in [&forged, &expired] {
            assert!(verify_bearer(&auth, refused).is_err());
            assert!(header::verified(segment).is_none(), "{refused}");
        }
        assert_eq!(verify_bearer(&auth, &token).unwrap().subject(), Some("ann"));
        let remembered = header::verified(segment).expect("remembered");
        assert_eq!(remembered.alg, AlgName::Registered(Algorithm::HS256));
        assert_eq!(remembered.kid.as_deref(), Some(issuer.kid()));
        assert!(header::verified(&segment[1..]).is_none());
        // The next tokens with that header: their own signature and claims decide.
        assert!(verify_bearer(&auth, &forged).is_err());
        assert!(verify_bearer(&auth, &expired).is_err());
        let bob = issuer.token().subject("bob").sign();
        assert_eq!(verify_bearer(&auth, &bob).unwrap().subject(), Some("bob"));
        // A token with another header takes its place once it verifies.
        let other = TestIssuer::new(Algorithm::HS384);
        let carol = other.token().subject("carol").sign();
        let auth = other.authenticator();
        assert_eq!(
            verify_bearer(&auth, &carol).unwrap().subject(),
            Some("carol")
        );
        assert!(header::verified(segment).is_none());
        assert!(header::verified(carol.split('.').next().unwrap()).is_some());
    }

    /// The JOSE header and the claims of `token` (or of a DPoP proof), unverified.
    pub(super) fn decode(token: &str) -> (Value, Value) {
        let part = |index: usize| -> Value {
            let text = token.split('.').nth(index).unwrap();
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(text)
                .unwrap();
            serde_json::from_slice(&bytes).unwrap()
        };
        (part(0), part(1))
    }

    #[test]
    fn a_token_carries_exactly_what_it_was_given() {
        let issuer = TestIssuer::es256();
        let (header, claims) = decode(&issuer.token().sign());
        assert_eq!(
            header,
            json!({ "alg": "ES256", "typ": "JWT", "kid": issuer.kid() })
        );
        let iat = claims["iat"].as_i64().unwrap();
        assert!((now() - iat).abs() <= 1, "{claims}");
        assert_eq!(
            claims,
            json!({
                "iss": "https://issuer.test", "aud": "test-api", "sub": "test-user",
                "iat": iat, "exp": iat + 3600,
            })
        );

        let client = DpopKey::es256();
        let (header, claims) = decode(
            &issuer
                .token()
                .subject("ann")
                .scope(" a  b ")
                .scope("c")
                .expires_in(120)
                .not_before_in(Duration::from_secs(30))
                .issuer("https://other.test")
                .audience("api")
                .typ("at+jwt")
                .kid("k-1")
                .header("x-extension", 1)
                .acr("gold")
                .authenticated_ago(100)
                .roles(["r1"])
                .roles(["r2"])
                .claim("extra", json!({ "n": 2 }))
                .bound_to(&client)
                .sign(),
        );
        assert_eq!(
            header,
            json!({ "alg": "ES256", "typ": "at+jwt", "kid": "k-1", "x-extension": 1 })
        );
        let iat = claims["iat"].as_i64().unwrap();
        let (nbf, auth_time) = (claims["nbf"].as_i64(), claims["auth_time"].as_i64());
        assert!(
            matches!(nbf, Some(nbf) if nbf - iat == 30 || nbf - iat == 31),
            "{claims}"
        );
        assert!(
            matches!(auth_time, Some(at) if iat - at == 100 || iat - at == 99),
            "{claims}"
        );
        assert_eq!(
            claims,
            json!({
                "iss": "https://other.test", "aud": "api", "sub": "ann", "scope": "a b c",
                "iat": iat, "exp": iat + 120, "nbf": nbf, "acr": "gold",
                "auth_time": auth_time, "roles": ["r1", "r2"], "extra": { "n": 2 },
                "cnf": { "jkt": client.thumbprint() },
            })
        );

        let (header, claims) = decode(&issuer.token().without_kid().expired().auth_time(7).sign());
        assert_eq!(header, json!({ "alg": "ES256", "typ": "JWT" }));
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            -3600
        );
        assert_eq!(claims["auth_time"], 7);
        // A claim set explicitly wins over the one the token would write.
        let (_, claims) = decode(&issuer.token().claim("exp", 5).claim("sub", "s").sign());
        assert_eq!((&claims["exp"], &claims["sub"]), (&json!(5), &json!("s")));
    }

    #[test]
    fn an_issuer_tells_what_it_signs_with_and_its_jwk_verifies() {
        for algorithm in [
            Algorithm::HS256,
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ] {
            let issuer = TestIssuer::new(algorithm)
                .with_issuer("https://other.test")
                .with_audience("api");
            assert_eq!(
                (issuer.algorithm(), issuer.issuer(), issuer.audience()),
                (algorithm, "https://other.test", "api")
            );
            let shown = format!("{issuer:?}");
            assert!(
                shown.contains(&format!("{algorithm:?}")) && shown.contains(issuer.kid()),
                "{shown}"
            );
            // The published JWK is the signing key's public half (the x and y of a point).
            let key = Key::from_jwk(&issuer.jwk()).unwrap();
            let auth = Authenticator::builder()
                .issuer("https://other.test")
                .audience("api")
                .key(key)
                .build()
                .unwrap();
            let token = issuer.token().sign();
            assert!(verify_bearer(&auth, &token).is_ok(), "{algorithm:?}");
        }
    }

    #[test]
    fn an_issuer_from_a_pem_is_the_same_key_every_time() {
        for (algorithm, pem) in [
            (
                Algorithm::ES256,
                include_str!("../../../tests/keys/TEST-ONLY-p256-private.pem"),
            ),
            (
                Algorithm::EdDSA,
                include_str!("../../../tests/keys/TEST-ONLY-ed25519-private.pem"),
            ),
        ] {
            let first = TestIssuer::from_pkcs8_pem(algorithm, pem);
            let again = TestIssuer::from_pkcs8_pem(algorithm, pem).with_kid(first.kid());
            let token = first.token().sign();
            assert!(
                verify_bearer(&again.authenticator(), &token).is_ok(),
                "{algorithm:?}"
            );
        }
    }

    #[test]
    fn request_helpers_set_exactly_their_headers() {
        let header_of = |req: TestRequest, name: &str| {
            req.to_http_request()
                .headers()
                .get(name)
                .map(|value| value.to_str().unwrap().to_owned())
        };
        let authorization = header::AUTHORIZATION.as_str();
        assert_eq!(
            header_of(TestRequest::default().bearer("t"), authorization).as_deref(),
            Some("Bearer t")
        );
        assert_eq!(
            header_of(TestRequest::default().basic("ann", "pw"), authorization).as_deref(),
            Some("Basic YW5uOnB3")
        );
        assert_eq!(
            header_of(TestRequest::default().api_key("k-1"), "x-api-key").as_deref(),
            Some("k-1")
        );
        let dpop = || TestRequest::default().dpop("t", "p.r.f");
        assert_eq!(header_of(dpop(), authorization).as_deref(), Some("DPoP t"));
        assert_eq!(header_of(dpop(), "dpop").as_deref(), Some("p.r.f"));
    }

    #[test]
    fn a_token_endpoint_shows_what_it_issues_and_no_key() {
        let shown = format!("{:?}", TokenEndpoint::new(TestIssuer::es256()));
        assert!(
            shown.starts_with("TokenEndpoint")
                && shown.contains("https://issuer.test")
                && shown.contains("ES256")
                && shown.contains("test-api"),
            "{shown}"
        );
    }

    #[test]
    fn nested_roles_replace_what_is_not_an_object_on_their_path() {
        let issuer = TestIssuer::hs256().with_role_claim("realm_access.roles");
        let (_, claims) = decode(
            &issuer
                .token()
                .claim("realm_access", "not an object")
                .roles(["admin"])
                .sign(),
        );
        assert_eq!(claims["realm_access"], json!({ "roles": ["admin"] }));
    }

    #[test]
    fn tokens_of_one_issuer_fail_with_another() {
        let token = TestIssuer::es256().token().sign();
        assert!(verify_bearer(&TestIssuer::es256().authenticator(), &token).is_err());
    }

    #[test]
    fn expired_and_foreign_audience_tokens_are_refused() {
        let issuer = TestIssuer::eddsa();
        let auth = issuer.authenticator();
        assert_eq!(
            verify_bearer(&auth, &issuer.token().expired().sign()).unwrap_err(),
            Refusal::Expired
        );
        assert!(verify_bearer(&auth, &issuer.token().audience("other").sign()).is_err());
    }

    #[test]
    fn challenges_parse_back() {
        let parsed = parse_challenge(
            r#"Bearer realm="a \"b\" \\ c", error="insufficient_scope", scope="x y""#,
        )
        .unwrap();
        assert_eq!(parsed.scheme, "Bearer");
        assert_eq!(parsed.param("realm"), Some(r#"a "b" \ c"#));
        assert_eq!(parsed.param("scope"), Some("x y"));
    }

    /// The response `auth` gives a Bearer `token` at an endpoint requiring `requirement`.
    fn respond(auth: &Authenticator, token: &str, requirement: &Requirement) -> ServiceResponse {
        use actix_web::ResponseError;
        let req = TestRequest::default().bearer(token);
        let http = req.to_http_request();
        let result = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(auth.authenticate(&http, requirement));
        let response = match result {
            Ok(_) => actix_web::HttpResponse::Ok().finish(),
            Err(error) => error.error_response(),
        };
        TestRequest::default().to_srv_response(response)
    }

    const ADMIN: crate::ScopeExpr = crate::ScopeExpr::Token("admin");
    const NEEDS_ADMIN: Requirement = Requirement::new(&[Scheme::Bearer]).roles(ADMIN);

    #[test]
    fn roles_are_written_where_the_authenticator_reads_them() {
        let issuer = TestIssuer::es256();
        let token = issuer.token().roles(["admin", "auditor"]).sign();
        let principal = verify_bearer(&issuer.authenticator(), &token).unwrap();
        assert!(principal.roles().contains("admin") && principal.roles().contains("auditor"));
        assert_eq!(
            principal.claims()["roles"],
            serde_json::json!(["admin", "auditor"])
        );

        let keycloak = TestIssuer::es256().with_role_claim("realm_access.roles");
        let token = keycloak
            .token()
            .claim("realm_access", serde_json::json!({ "other": 1 }))
            .roles(["admin"])
            .sign();
        let principal = verify_bearer(&keycloak.authenticator(), &token).unwrap();
        assert!(principal.roles().contains("admin"));
        assert_eq!(
            principal.claims()["realm_access"]["other"],
            1,
            "merged, not replaced"
        );
        assert!(principal.claims().get("roles").is_none());
        // Another issuer's authenticator reads `roles`: the nested roles are not there.
        let plain = keycloak.builder().role_claims(["roles"]).build().unwrap();
        assert!(verify_bearer(&plain, &token).unwrap().roles().is_empty());
    }

    #[test]
    fn the_kid_can_be_changed_or_left_out() {
        let issuer = TestIssuer::eddsa();
        let auth = issuer.authenticator();
        assert_eq!(
            verify_bearer(&auth, &issuer.token().kid("rotated-away").sign()).unwrap_err(),
            Refusal::Invalid(crate::InvalidReason::UnknownKey)
        );
        let token = issuer.token().kid(issuer.kid()).sign();
        assert!(verify_bearer(&auth, &token).is_ok());
        // Without a `kid`, the only key for the algorithm is used.
        assert!(verify_bearer(&auth, &issuer.token().without_kid().sign()).is_ok());
    }

    #[test]
    fn the_issuers_key_can_be_renamed_and_header_members_added() {
        let issuer = TestIssuer::es256().with_kid("2026-12");
        assert_eq!(issuer.key().kid(), Some("2026-12"));
        assert_eq!(issuer.jwk().common.key_id.as_deref(), Some("2026-12"));
        let auth = issuer.authenticator();
        assert!(verify_bearer(&auth, &issuer.token().sign()).is_ok());
        // RFC 7515 §4.1.11: an extension the verifier does not understand refuses the token.
        let critical = issuer.token().header("crit", json!(["exp"])).sign();
        assert!(verify_bearer(&auth, &critical).is_err());
        let renamed = issuer.token().header("alg", "ES384").sign();
        assert!(verify_bearer(&auth, &renamed).is_err());
    }

    #[test]
    fn fixed_keys_sign_what_their_public_keys_verify() {
        // The suite's fixed test keys, read from PKCS#8 PEM, on whichever backend is built.
        let keys = [
            (
                Algorithm::ES256,
                include_str!("../../../tests/keys/TEST-ONLY-p256-private.pem"),
            ),
            (
                Algorithm::ES384,
                include_str!("../../../tests/keys/TEST-ONLY-p384-private.pem"),
            ),
            (
                Algorithm::EdDSA,
                include_str!("../../../tests/keys/TEST-ONLY-ed25519-private.pem"),
            ),
            (
                Algorithm::PS384,
                include_str!("../../../tests/keys/TEST-ONLY-rsa2-private.pem"),
            ),
        ];
        for (algorithm, pem) in keys {
            let issuer = TestIssuer::from_pkcs8_pem(algorithm, pem);
            let token = issuer.token().sign();
            assert!(
                verify_bearer(&issuer.authenticator(), &token).is_ok(),
                "{algorithm:?}"
            );
            let other = TestIssuer::new(algorithm).with_kid(issuer.kid());
            assert!(
                verify_bearer(&other.authenticator(), &token).is_err(),
                "{algorithm:?}"
            );
        }
        let shared = TestIssuer::with_secret(Algorithm::HS384, [7u8; 48]);
        let token = shared.token().sign();
        let again = TestIssuer::with_secret(Algorithm::HS384, [7u8; 48]).with_kid(shared.kid());
        assert!(verify_bearer(&again.authenticator(), &token).is_ok());
    }

    #[test]
    fn the_realm_is_configurable() {
        let issuer = TestIssuer::hs256().with_realm("notes");
        let res = respond(&issuer.authenticator(), "not-a-jwt", &NEEDS_ADMIN);
        assert_unauthenticated(&res, "Bearer", Some("invalid_token"));
        assert_eq!(challenges(res.headers())[0].param("realm"), Some("notes"));
        let default = respond(&TestIssuer::hs256().authenticator(), "x", &NEEDS_ADMIN);
        assert_eq!(
            challenges(default.headers())[0].param("realm"),
            Some(TEST_REALM)
        );
    }

    #[test]
    fn a_role_denial_is_a_bare_403() {
        let issuer = TestIssuer::hs256();
        let auth = issuer.authenticator();
        assert_forbidden(&respond(&auth, &issuer.token().sign(), &NEEDS_ADMIN));
        let admin = issuer.token().roles(["admin"]).sign();
        assert_eq!(
            respond(&auth, &admin, &NEEDS_ADMIN).status(),
            StatusCode::OK
        );
    }

    #[test]
    #[should_panic(expected = "carries no challenge")]
    fn assert_forbidden_refuses_an_insufficient_scope_403() {
        let res = insufficient_scope();
        assert_requires_scope(&res, "read");
        assert_forbidden(&res);
    }

    #[test]
    #[should_panic(expected = "expected 403")]
    fn assert_forbidden_refuses_a_401() {
        let res = respond(&TestIssuer::hs256().authenticator(), "x", &NEEDS_ADMIN);
        assert_forbidden(&res);
    }

    // Each assertion helper fails where its user's test must fail: a helper that passes
    // everything would make every test written with it pass.

    const READ: crate::ScopeExpr = crate::ScopeExpr::Token("read");
    const NEEDS_READ: Requirement = Requirement::new(&[Scheme::Bearer]).scope(READ);

    /// A 403 `insufficient_scope` naming `read`.
    fn insufficient_scope() -> ServiceResponse {
        let issuer = TestIssuer::hs256();
        respond(&issuer.authenticator(), &issuer.token().sign(), &NEEDS_READ)
    }

    #[test]
    #[should_panic(expected = "expected 403 insufficient_scope")]
    fn assert_requires_scope_refuses_a_401() {
        let res = respond(&TestIssuer::hs256().authenticator(), "x", &NEEDS_READ);
        assert_requires_scope(&res, "read");
    }

    #[test]
    #[should_panic(expected = "is not among the required")]
    fn assert_requires_scope_refuses_a_403_for_another_scope() {
        let res = insufficient_scope();
        assert_requires_scope(&res, "read");
        assert_requires_scope(&res, "write");
    }

    #[test]
    #[should_panic(expected = "insufficient_user_authentication")]
    fn assert_requires_step_up_refuses_an_insufficient_scope_403() {
        assert_requires_step_up(&insufficient_scope(), StatusCode::FORBIDDEN, None, None);
    }

    #[test]
    #[should_panic(expected = "expected 401")]
    fn assert_unauthenticated_refuses_a_403() {
        assert_unauthenticated(&insufficient_scope(), "Bearer", None);
    }

    #[test]
    #[should_panic(expected = "invalid_token")]
    fn assert_unauthenticated_refuses_another_error() {
        let res = respond(&TestIssuer::hs256().authenticator(), "x", &NEEDS_READ);
        assert_unauthenticated(&res, "Bearer", Some("invalid_token"));
        assert_unauthenticated(&res, "Bearer", None);
    }

    #[test]
    #[should_panic(expected = "no DPoP challenge")]
    fn assert_dpop_unauthenticated_refuses_a_bearer_only_401() {
        let res = respond(&TestIssuer::hs256().authenticator(), "x", &NEEDS_READ);
        assert_unauthenticated(&res, "Bearer", Some("invalid_token"));
        assert_dpop_unauthenticated(&res, Some("invalid_token"));
    }
}
