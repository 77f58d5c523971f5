//! Shared set-up of the fuzz targets: the RFC 9110 reference reader of challenges and the
//! authenticator `jwt_verify` runs against.

#![forbid(unsafe_code)]

pub mod rfc9110;

use std::sync::OnceLock;

use auth_runtime::{Algorithm, Authenticator, Key};

/// The issuer of the seed tokens (as in `tests/support`).
pub const ISSUER: &str = "https://issuer.test";
/// The audience of the seed tokens (as in `tests/support`).
pub const AUDIENCE: &str = "test-api";
/// The HMAC secret of the tests (test only).
const HMAC_SECRET: &[u8] = b"TEST-ONLY-hmac-secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123";
const RSA_PUBLIC: &str = include_str!("../../tests/keys/TEST-ONLY-rsa-public.pem");

/// An authenticator with the tests' HS256 and RS256 keys (`kid` `test-hs256`, `test-rs256`),
/// issuer and audience, built once: the seed tokens of `corpus/jwt_verify` verify with it.
pub fn authenticator() -> &'static Authenticator {
    static AUTHENTICATOR: OnceLock<Authenticator> = OnceLock::new();
    AUTHENTICATOR.get_or_init(|| {
        Authenticator::builder()
            .realm("fuzz")
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .key(
                Key::hmac(Algorithm::HS256, HMAC_SECRET)
                    .unwrap()
                    .with_kid("test-hs256"),
            )
            .key(
                Key::rsa_pem(Algorithm::RS256, RSA_PUBLIC)
                    .unwrap()
                    .with_kid("test-rs256"),
            )
            .build()
            .unwrap()
    })
}

/// The DPoP set-up of `dpop_proof`, built once: an authenticator that accepts DPoP (a
/// `TestIssuer`'s ES256 key), a client key, and a token bound to it.
pub struct Dpop {
    /// Accepts DPoP with the default settings.
    pub auth: Authenticator,
    /// The client key the token is bound to (ephemeral: seeds name it `$JWK`).
    pub client: auth_runtime::testing::DpopKey,
    /// The access token, bound to `client`.
    pub token: String,
}

/// The one [`Dpop`] set-up of this process.
pub fn dpop() -> &'static Dpop {
    static DPOP: OnceLock<Dpop> = OnceLock::new();
    DPOP.get_or_init(|| {
        let issuer = auth_runtime::testing::TestIssuer::es256();
        let client = auth_runtime::testing::DpopKey::es256();
        let auth = issuer
            .builder()
            .dpop(auth_runtime::DpopConfig::default())
            .build()
            .unwrap();
        let token = issuer.token().bound_to(&client).sign();
        Dpop {
            auth,
            client,
            token,
        }
    })
}

/// `haystack` with every `needle` replaced by `with`.
pub fn replace(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest
        .windows(needle.len())
        .position(|window| window == needle)
    {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}
