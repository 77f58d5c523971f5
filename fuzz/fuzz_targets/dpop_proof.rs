//! DPoP proofs (RFC 9449) through the request path (`testing::verify_dpop`, a bound ES256-signed
//! token): the proof's size check, base64url and JSON decoding of its header and claims, the
//! `jwk` parsing and thumbprint, the signature and every claim check never panic, and nothing
//! but a compact JWS is ever accepted.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|proof: &[u8]| {
    let (auth, token) = auth_fuzz::dpop();
    if auth_runtime::testing::verify_dpop(auth, "GET", "/items", token, proof).is_ok() {
        assert!(proof.len() <= 8 * 1024);
        assert_eq!(proof.iter().filter(|&&b| b == b'.').count(), 2, "{proof:?}");
    }
});
