//! The `WWW-Authenticate` builder: whatever goes in, what comes out is a valid header value
//! without control characters that reads back under RFC 9110 §11 to the values given, less
//! their control characters.
//!
//! Input: parts separated by 0xFF (never in UTF-8): scheme, realm, then name and value pairs.

#![no_main]

use actix_web::http::header::HeaderValue;
use auth_fuzz::rfc9110::{is_tchar, parse_challenge, without_control_characters};
use auth_runtime::Challenge;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let mut parts = input
        .split(|&b| b == 0xff)
        .map(|part| String::from_utf8_lossy(part).into_owned());
    let scheme: String = parts
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|&c| c.is_ascii() && is_tchar(c as u8))
        .collect();
    let scheme = if scheme.is_empty() {
        "Bearer".to_owned()
    } else {
        scheme
    };
    let realm = parts.next().unwrap_or_default();

    let mut challenge = Challenge::new(&scheme, &realm);
    let mut expected = vec![("realm".to_owned(), without_control_characters(&realm))];
    while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
        let name: String = name
            .chars()
            .filter(|&c| c.is_ascii() && is_tchar(c as u8))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        // The builder's contract: a name with no token character, or one already written, is
        // ignored.
        challenge = challenge.param(&name, &value);
        if !name.is_empty() && !expected.iter().any(|(given, _)| *given == name) {
            expected.push((name, without_control_characters(&value)));
        }
    }

    let text = challenge.as_str();
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(HeaderValue::from_str(text).is_ok(), "{text:?}");
    assert_eq!(challenge.to_header_value().as_bytes(), text.as_bytes());
    let parsed = parse_challenge(text.as_bytes()).unwrap();
    assert_eq!(parsed.scheme, scheme);
    assert_eq!(parsed.params, expected);
});
