//! `Authorization` header values (RFC 9110 §11.6.2, RFC 6750 §2.1): parsing never panics, a
//! parsed scheme is a token, and a Bearer token is a `b64token` equal to the credentials.

#![no_main]

use auth_fuzz::rfc9110::is_tchar;
use auth_runtime::testing::internals::Authorization;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &[u8]| {
    let Ok(parsed) = Authorization::parse(value) else {
        return;
    };
    assert!(!parsed.scheme().is_empty());
    assert!(parsed.scheme().bytes().all(is_tchar));
    assert!(!parsed.credentials().starts_with(b" "));
    let _ = parsed.is_scheme("Bearer");
    if let Ok(token) = parsed.bearer_token() {
        let body = token.trim_end_matches('=');
        assert!(!body.is_empty(), "{token:?}");
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)),
            "{token:?}"
        );
        assert_eq!(token.as_bytes(), parsed.credentials());
    }
});
