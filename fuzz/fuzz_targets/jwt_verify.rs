//! Bearer tokens through the request path (`testing::verify_bearer`, HS256 and RS256 keys): the
//! `b64token` check, the size check, the pre-parse of the header before any signature check,
//! key selection, signature and claims validation never panic, and what verifies has the shape
//! of a JWS compact serialization.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|token: &[u8]| {
    let Ok(token) = std::str::from_utf8(token) else {
        return;
    };
    if auth_runtime::testing::verify_bearer(auth_fuzz::authenticator(), token).is_ok() {
        assert!(token.len() <= 8 * 1024);
        assert_eq!(token.matches('.').count(), 2, "{token:?}");
        assert!(!token.contains('='), "{token:?}");
    }
});
