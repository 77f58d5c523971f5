//! Shared set-up of the integration tests: test-only keys of every algorithm family, token
//! minting (by `auth_runtime::testing::TestIssuer`, the one minter), and a configured
//! authenticator.

pub mod key_server;
pub mod redis_server;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use auth_runtime::testing::{IntrospectionServer, TestIssuer};
use auth_runtime::{Algorithm, Authenticator, AuthenticatorBuilder, Introspection, Key};
use jsonwebtoken::Header;
use serde_json::{json, Value};

/// The realm every test authenticator uses.
pub const REALM: &str = "test-realm";
/// The issuer tokens are minted with and the authenticator expects.
pub const ISSUER: &str = "https://issuer.test";
/// The audience tokens are minted with and the authenticator expects.
pub const AUDIENCE: &str = "test-api";
/// The HMAC secret (test only).
pub const HMAC_SECRET: &[u8] = b"TEST-ONLY-hmac-secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123";

const RSA_PRIVATE: &str = include_str!("../keys/TEST-ONLY-rsa-private.pem");
const RSA_PUBLIC: &str = include_str!("../keys/TEST-ONLY-rsa-public.pem");
const RSA2_PRIVATE: &str = include_str!("../keys/TEST-ONLY-rsa2-private.pem");
const P256_PRIVATE: &str = include_str!("../keys/TEST-ONLY-p256-private.pem");
const P256_PUBLIC: &str = include_str!("../keys/TEST-ONLY-p256-public.pem");
const P384_PRIVATE: &str = include_str!("../keys/TEST-ONLY-p384-private.pem");
const P384_PUBLIC: &str = include_str!("../keys/TEST-ONLY-p384-public.pem");
const ED25519_PRIVATE: &str = include_str!("../keys/TEST-ONLY-ed25519-private.pem");
const ED25519_PUBLIC: &str = include_str!("../keys/TEST-ONLY-ed25519-public.pem");

/// Every algorithm the library supports.
pub const ALL_ALGORITHMS: [Algorithm; 12] = [
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
];

/// The `kid` of the test key for `alg`.
pub fn kid(alg: Algorithm) -> String {
    format!("test-{alg:?}").to_lowercase()
}

/// The issuer of tokens for `alg`: the suite's fixed test key (every RS* and PS* algorithm
/// shares the RSA key), named [`kid`], with the suite's issuer and audience.
pub fn signer(alg: Algorithm) -> TestIssuer {
    let issuer = match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            TestIssuer::with_secret(alg, HMAC_SECRET)
        }
        Algorithm::ES256 => TestIssuer::from_pkcs8_pem(alg, P256_PRIVATE),
        Algorithm::ES384 => TestIssuer::from_pkcs8_pem(alg, P384_PRIVATE),
        Algorithm::EdDSA => TestIssuer::from_pkcs8_pem(alg, ED25519_PRIVATE),
        _ => TestIssuer::from_pkcs8_pem(alg, RSA_PRIVATE),
    };
    issuer
        .with_issuer(ISSUER)
        .with_audience(AUDIENCE)
        .with_kid(kid(alg))
}

/// An issuer of RSA tokens (RS256) with a key no authenticator trusts, under the trusted
/// key's `kid`.
pub fn untrusted_signer() -> TestIssuer {
    TestIssuer::from_pkcs8_pem(Algorithm::RS256, RSA2_PRIVATE)
        .with_issuer(ISSUER)
        .with_audience(AUDIENCE)
        .with_kid(kid(Algorithm::RS256))
}

/// The public PEM of the RSA test key (an attacker knows it).
pub fn rsa_public_pem() -> &'static [u8] {
    RSA_PUBLIC.as_bytes()
}

/// The verification key for `alg`, with its `kid`.
pub fn verification_key(alg: Algorithm) -> Key {
    let key = match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Key::hmac(alg, HMAC_SECRET),
        Algorithm::ES256 => Key::ec_pem(alg, P256_PUBLIC),
        Algorithm::ES384 => Key::ec_pem(alg, P384_PUBLIC),
        Algorithm::EdDSA => Key::ed25519_pem(ED25519_PUBLIC),
        _ => Key::rsa_pem(alg, RSA_PUBLIC),
    };
    key.unwrap().with_kid(kid(alg))
}

/// A builder with the test realm, issuer, audience and one key per algorithm.
pub fn builder() -> AuthenticatorBuilder {
    ALL_ALGORITHMS.iter().fold(
        Authenticator::builder()
            .realm(REALM)
            .issuer(ISSUER)
            .audience(AUDIENCE),
        |builder, &alg| builder.key(verification_key(alg)),
    )
}

/// The test authenticator.
pub fn authenticator() -> Authenticator {
    builder().build().unwrap()
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Valid claims holding `scope` (space-delimited), expiring in ten minutes.
pub fn claims(scope: &str) -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-42",
        "iat": now(),
        "exp": now() + 600,
        "scope": scope,
    })
}

/// `claims` with `changes` merged over them (a `null` removes the claim).
pub fn claims_with(scope: &str, changes: Value) -> Value {
    let mut claims = claims(scope);
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

/// The header of a token for `alg` naming its test key.
pub fn header(alg: Algorithm) -> Header {
    let mut header = Header::new(alg);
    header.kid = Some(kid(alg));
    header
}

/// A token signed with the test key of `alg`, with exactly `claims`.
pub fn mint(alg: Algorithm, claims: &Value) -> String {
    mint_with(&header(alg), claims, &signer(alg))
}

/// An HS256 token holding `scope`.
pub fn token(scope: &str) -> String {
    mint(Algorithm::HS256, &claims(scope))
}

/// A token with an explicit header, signed by `key` (whatever the header's `alg` says).
pub fn mint_with(header: &Header, claims: &Value, key: &TestIssuer) -> String {
    key.sign_parts(
        &serde_json::to_vec(header).unwrap(),
        &serde_json::to_vec(claims).unwrap(),
    )
}

/// A token assembled from a raw JSON header and claims, signed with the test key of
/// `signing_alg` (for headers jsonwebtoken's `Header` cannot express, such as `alg: none` or
/// `crit`).
pub fn mint_raw(header_json: &str, claims: &Value, signing_alg: Algorithm) -> String {
    signer(signing_alg).sign_parts(header_json.as_bytes(), &serde_json::to_vec(claims).unwrap())
}

/// `Bearer <token>`.
pub fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

/// An extractor that counts how often it ran: placed after the guard of a `#[requires]`
/// handler, it proves that a refused request never reached the handler's own extractors.
pub struct Tripwire;

/// How often [`Tripwire`] ran in this test binary.
pub static EXTRACTOR_RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl actix_web::FromRequest for Tripwire {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(_: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        EXTRACTOR_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::future::ready(Ok(Tripwire))
    }
}

/// The client id the resource server introspects with.
pub const CLIENT_ID: &str = "test resource:server";
/// Its secret (test only); `:` and `%` make RFC 6749 §2.3.1's encoding matter.
pub const CLIENT_SECRET: &str = "TEST-ONLY-secret:with%25-and-é";

/// An introspection endpoint on 127.0.0.1 that accepts [`CLIENT_ID`] and [`CLIENT_SECRET`].
pub async fn introspection_server() -> IntrospectionServer {
    IntrospectionServer::start(CLIENT_ID, CLIENT_SECRET).await
}

/// [`builder`] that introspects opaque tokens at `server` with `client_secret_basic`.
pub fn introspecting(server: &IntrospectionServer) -> AuthenticatorBuilder {
    builder().allow_http().introspection(
        Introspection::endpoint(server.url()).client_secret_basic(CLIENT_ID, CLIENT_SECRET),
    )
}

/// A fresh opaque (non-JWT) access token.
pub fn opaque_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "opaque-{}-{nanos:08x}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The members of an active introspection answer holding `scope`: the test issuer and
/// audience, subject `user-42`, ten minutes to live (without `active`, which
/// `IntrospectionServer::activate` adds).
pub fn active(scope: &str) -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-42",
        "client_id": "some-client",
        "token_type": "Bearer",
        "iat": now(),
        "exp": now() + 600,
        "scope": scope,
    })
}

/// What a thread-local `tracing` subscriber wrote, as `capture_logs` installs it.
#[derive(Clone, Default)]
pub struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    /// Everything logged so far, as text (without colours).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Panics, showing everything logged, unless one line holds every one of `parts`, e.g.
    /// `["ERROR", r#"reason="keys_unavailable""#, "no usable verification key"]`.
    #[track_caller]
    pub fn assert_line_with(&self, parts: &[&str]) {
        let logged = self.text();
        assert!(
            logged
                .lines()
                .any(|line| parts.iter().all(|part| line.contains(part))),
            "no line logged holds all of {parts:?}:\n{logged}"
        );
    }
}

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLog {
    type Writer = CapturedLog;

    fn make_writer(&'a self) -> CapturedLog {
        self.clone()
    }
}

/// Captures everything this thread logs at `level` or more severe while the guard lives.
/// Call `refresh_log_interest` once the test's set-up is done, right before the code whose
/// log it reads.
pub fn capture_logs(level: tracing::Level) -> (tracing::subscriber::DefaultGuard, CapturedLog) {
    let captured = CapturedLog::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(level)
        .with_ansi(false)
        .finish();
    (tracing::subscriber::set_default(subscriber), captured)
}

/// What the threads without a subscriber of their own log at INFO or more severe, from the
/// first call on, for the rest of the test binary: the library's background threads (the key
/// refresher, the revocation store's). Their lines name what they serve (an address, a URL), by
/// which a test finds its own.
pub fn background_logs() -> CapturedLog {
    static LOG: OnceLock<CapturedLog> = OnceLock::new();
    LOG.get_or_init(|| {
        let captured = CapturedLog::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the test binary");
        tracing::callsite::rebuild_interest_cache();
        captured
    })
    .clone()
}

/// Call after installing a thread-local `tracing` subscriber (`set_default`), right before the
/// code whose log a test reads. `tracing` caches, per log statement, whether any subscriber
/// wants it; a statement that another test's thread registered while this thread installed
/// the process's first thread-local subscriber can keep "no one wants it", and its events then
/// never reach the subscriber (a test failed so in CI). Recomputing the cache after the set-up
/// leaves only a registration still running at this instant, microseconds after it began.
pub fn refresh_log_interest() {
    tracing::callsite::rebuild_interest_cache();
}
