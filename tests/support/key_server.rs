//! The mock key server lives in `auth_runtime::testing` (the `testing` feature); this module
//! adds the JWKs of this suite's test-only keys.

use auth_runtime::jwk::Jwk;
pub use auth_runtime::testing::key_server::*;
use auth_runtime::Algorithm;

/// The public JWK of the test key of `alg` (see [`crate::signer`]), named `kid`. For the
/// HMAC algorithms this is an `oct` key holding the test secret.
pub fn jwk(alg: Algorithm, kid: &str) -> Jwk {
    crate::signer(alg).with_kid(kid).jwk()
}
