//! Basic credentials (RFC 7617 §2): decoding never panics, a decoded user-id has no `:`,
//! neither part has a control character, and only the one canonical encoding decodes.

#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|credentials: &[u8]| {
    let Ok(decoded) = auth_runtime::testing::internals::decode_basic(credentials) else {
        return;
    };
    let (user_id, password) = (decoded.user_id(), decoded.password());
    assert!(!user_id.contains(':'));
    assert!(!user_id
        .chars()
        .chain(password.chars())
        .any(char::is_control));
    let encoded = STANDARD.encode(format!("{user_id}:{password}"));
    assert_eq!(encoded.as_bytes(), credentials);
});
