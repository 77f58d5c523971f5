//! Issuers shared by the benchmarks: the `testing` feature's [`TestIssuer`], one per
//! algorithm.

use auth_runtime::testing::TestIssuer;
use auth_runtime::{Algorithm, Authenticator};

pub const ALGORITHMS: [Algorithm; 5] = [
    Algorithm::HS256,
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

pub struct Bench {
    pub issuer: TestIssuer,
    pub auth: Authenticator,
}

pub fn setup(alg: Algorithm) -> Bench {
    let issuer = TestIssuer::new(alg);
    let auth = issuer.authenticator();
    Bench { issuer, auth }
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
}
