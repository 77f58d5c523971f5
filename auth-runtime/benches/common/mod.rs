//! Issuers shared by the benchmarks: the `testing` feature's [`TestIssuer`], one per
//! algorithm.

use actix_web::test::TestRequest;
use actix_web::HttpRequest;
use auth_runtime::testing::{TestIssuer, TestRequestExt};
use auth_runtime::{Algorithm, Authenticator, TokenCacheConfig};

pub const ALGORITHMS: [Algorithm; 5] = [
    Algorithm::HS256,
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

pub struct Bench {
    pub issuer: TestIssuer,
    /// With the verified-token cache (the default).
    pub auth: Authenticator,
    /// Without it: every request verifies its token.
    pub uncached: Authenticator,
}

pub fn setup(alg: Algorithm) -> Bench {
    let issuer = TestIssuer::new(alg);
    let auth = issuer.authenticator();
    let uncached = issuer
        .builder()
        .token_cache(TokenCacheConfig::disabled())
        .build()
        .unwrap();
    Bench {
        issuer,
        auth,
        uncached,
    }
}

impl Bench {
    /// A token valid for an hour, unique per `nonce`.
    pub fn token(&self, nonce: u64) -> String {
        self.issuer
            .token()
            .scope("items:read items:write")
            .claim("jti", nonce)
            .sign()
    }

    /// A request whose token also says the user logged in with `urn:example:mfa` just now
    /// (`acr`, `auth_time`), for step-up requirements.
    pub fn step_up_request(&self) -> HttpRequest {
        let token = self
            .issuer
            .token()
            .scope("items:read items:write")
            .acr("urn:example:mfa")
            .authenticated_ago(0)
            .sign();
        TestRequest::get().bearer(&token).to_http_request()
    }

    /// A request carrying [`token`](Self::token)`(nonce)`.
    pub fn request(&self, nonce: u64) -> HttpRequest {
        TestRequest::get()
            .bearer(&self.token(nonce))
            .to_http_request()
    }
}
