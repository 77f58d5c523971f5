//! The facts a refused token's log event carries: its header's `alg`, `kid` and `typ`, and its
//! `iss`, `aud`, `exp` and `nbf`, read without verifying anything. Only ever on the refusal
//! path; the signature segment is never read.

use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

use crate::telemetry::{untrusted, CredentialFacts};

/// A header or claims segment longer than this (base64url) is not decoded for the log.
const MAX_SEGMENT: usize = 16 * 1024;

/// The JOSE header fields the log shows.
#[derive(Deserialize)]
struct HeaderFacts {
    alg: Option<Value>,
    kid: Option<Value>,
    typ: Option<Value>,
}

/// The registered claims the log shows.
#[derive(Deserialize)]
struct ClaimFacts {
    iss: Option<Value>,
    aud: Option<Value>,
    exp: Option<Value>,
    nbf: Option<Value>,
}

/// What `token` says about itself, at `now` (seconds since the epoch); empty fields for what
/// cannot be read.
pub(crate) fn of_token(token: &[u8], now: u64) -> CredentialFacts {
    let mut facts = CredentialFacts::default();
    let mut segments = token.split(|&byte| byte == b'.');
    if let Some(header) = segments.next().and_then(decode::<HeaderFacts>) {
        facts.alg = header.alg.as_ref().map(text);
        facts.kid = header.kid.as_ref().map(text);
        facts.typ = header.typ.as_ref().map(text);
    }
    if let Some(claims) = segments.next().and_then(decode::<ClaimFacts>) {
        facts.iss = claims.iss.as_ref().map(text);
        facts.aud = claims.aud.as_ref().map(text);
        let relative = |time: &Value| {
            time.as_f64()
                .map(|time| (time as i64).saturating_sub(now as i64))
        };
        facts.exp_in_secs = claims.exp.as_ref().and_then(relative);
        facts.nbf_in_secs = claims.nbf.as_ref().and_then(relative);
    }
    facts
}

/// A base64url segment decoded as JSON into `T`, if it is one and not too long.
fn decode<T: for<'de> Deserialize<'de>>(segment: &[u8]) -> Option<T> {
    if segment.len() > MAX_SEGMENT {
        return None;
    }
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

/// A JSON value as log text: a string as it is, anything else as JSON; escaped and cut.
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => untrusted(text),
        other => untrusted(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(json: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn the_facts_of_a_token_are_read_without_its_signature() {
        let token = format!(
            "{}.{}.c2lnbmF0dXJl",
            segment(r#"{"alg":"RS256","kid":"k1","typ":"at+jwt"}"#),
            segment(
                r#"{"iss":"http://localhost:8180/realms/demo","aud":["account","x"],"exp":1000,"nbf":1100,"sub":"u"}"#
            )
        );
        let facts = of_token(token.as_bytes(), 1060);
        assert_eq!(
            facts,
            CredentialFacts {
                alg: Some("RS256".into()),
                kid: Some("k1".into()),
                typ: Some("at+jwt".into()),
                iss: Some("http://localhost:8180/realms/demo".into()),
                aud: Some(r#"["account","x"]"#.into()),
                exp_in_secs: Some(-60),
                nbf_in_secs: Some(40),
            }
        );
    }

    #[test]
    fn what_cannot_be_read_stays_empty() {
        assert_eq!(of_token(b"", 0), CredentialFacts::default());
        assert_eq!(of_token(b"not a jwt", 0), CredentialFacts::default());
        let header_only = format!("{}.%%%.sig", segment(r#"{"alg":"HS256"}"#));
        let facts = of_token(header_only.as_bytes(), 0);
        assert_eq!(facts.alg.as_deref(), Some("HS256"));
        assert_eq!(facts.iss, None);
        let odd = format!(
            "{}.{}.",
            segment(r#"{"kid":{"a":1}}"#),
            segment(r#"{"exp":"soon"}"#)
        );
        let facts = of_token(odd.as_bytes(), 0);
        assert_eq!(facts.kid.as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(facts.exp_in_secs, None);
        let huge = format!("{}.x.y", "A".repeat(MAX_SEGMENT + 4));
        assert_eq!(of_token(huge.as_bytes(), 0), CredentialFacts::default());
    }

    #[test]
    fn a_segment_of_the_maximum_length_is_read_and_one_longer_is_not() {
        // 12,288 bytes of JSON are exactly MAX_SEGMENT (16,384) base64url characters.
        let header = |padding: usize| {
            let json = format!(r#"{{"alg":"RS256","x":"{}"}}"#, "a".repeat(padding));
            segment(&json)
        };
        let longest = header(12_288 - 22);
        assert_eq!(longest.len(), MAX_SEGMENT);
        let facts = of_token(format!("{longest}.x.y").as_bytes(), 0);
        assert_eq!(facts.alg.as_deref(), Some("RS256"));
        let longer = header(12_288 - 22 + 1);
        assert!(longer.len() > MAX_SEGMENT);
        assert_eq!(
            of_token(format!("{longer}.x.y").as_bytes(), 0),
            CredentialFacts::default()
        );
    }
}
