//! The JOSE header of a token (RFC 7515 §4): the members verification reads, and nothing else.
//!
//! `alg`, `kid`, `typ` and `crit` are read into [`JoseHeader`]; every other member (`jku`, `jwk`,
//! `x5u`, `x5c`, …) is skipped unparsed, since none of them is ever followed (RFC 8725 §3.10).
//! A member given twice is refused, as is an `alg` this library cannot verify: its name is read
//! here, so that the RFC 9864 name `Ed25519` is understood beside `EdDSA`. A header of usual size
//! is decoded on the stack and its strings borrowed from there: nothing is allocated.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use serde::de::{Deserializer, IgnoredAny, Visitor};
use serde::Deserialize;

use crate::bearer::base64url;
use crate::bearer::keys::AlgName;
use crate::http::refusal::{InvalidReason, Refusal};

/// The decoded size up to which a header is decoded on the stack; larger ones (a header carrying
/// a certificate chain) go to the heap.
const STACK_BYTES: usize = 256;

/// How deeply arrays and objects may nest in a header: serde_json's own limit, which applied to
/// every member when headers were read through jsonwebtoken. Members skipped unparsed are
/// skipped without recursion, so this is not about the stack: a header nested deeper is not one
/// an issuer writes, and is refused as malformed.
const MAX_DEPTH: usize = 128;

/// The members of a token's header that verification reads.
#[derive(Debug, Clone)]
pub(crate) struct JoseHeader<'a> {
    /// The algorithm the token claims; the key that verifies it must accept this name.
    pub(crate) alg: AlgName,
    /// The key the token names, if any.
    pub(crate) kid: Option<Cow<'a, str>>,
    /// The media type of the whole token (RFC 7515 §4.1.9), e.g. `at+jwt`.
    pub(crate) typ: Option<Cow<'a, str>>,
}

/// Where a header is decoded: a buffer on the caller's stack, or the heap for a large one.
pub(crate) struct HeaderBuffer {
    stack: [u8; STACK_BYTES],
    heap: Vec<u8>,
}

impl HeaderBuffer {
    pub(crate) const fn new() -> Self {
        HeaderBuffer {
            stack: [0; STACK_BYTES],
            heap: Vec::new(),
        }
    }
}

impl<'a> JoseHeader<'a> {
    /// Decodes the base64url `segment` (the token's first) into `buffer` and reads the header
    /// from there. Refused as malformed: not base64url, not a JSON object, a member given twice,
    /// `alg`, `kid` or `typ` that is not a string. Refused as the wrong algorithm: an `alg` this
    /// library does not verify (`none`, `ES512`, …). Refused as critical: a `crit` member
    /// (RFC 7515 §4.1.11: no extension is understood here).
    pub(crate) fn decode(segment: &str, buffer: &'a mut HeaderBuffer) -> Result<Self, Refusal> {
        let malformed = Refusal::Invalid(InvalidReason::Malformed);
        let segment = segment.as_bytes();
        let json: &[u8] = match base64url::decode_into(segment, &mut buffer.stack) {
            Some(json) => json,
            // Too large for the stack (or not base64url, then refused here).
            None => {
                buffer.heap = base64url::decode(segment).ok_or(malformed)?;
                &buffer.heap
            }
        };
        // A derived deserializer also reads a struct from a JSON array; a header is an object.
        if json.trim_ascii_start().first() != Some(&b'{') || !nests_within_limit(json) {
            return Err(malformed);
        }
        let raw: RawHeader<'a> = serde_json::from_slice(json).map_err(|_| malformed)?;
        if raw.crit.is_some() {
            return Err(Refusal::Invalid(InvalidReason::CriticalHeader));
        }
        let alg =
            AlgName::parse(&raw.alg.0).ok_or(Refusal::Invalid(InvalidReason::WrongAlgorithm))?;
        Ok(JoseHeader {
            alg,
            kid: raw.kid.map(|kid| kid.0),
            typ: raw.typ.map(|typ| typ.0),
        })
    }

    /// The header with its strings owned, for a verification that waits for the key source.
    pub(crate) fn into_owned(self) -> JoseHeader<'static> {
        JoseHeader {
            alg: self.alg,
            kid: self.kid.map(|kid| Cow::Owned(kid.into_owned())),
            typ: self.typ.map(|typ| Cow::Owned(typ.into_owned())),
        }
    }
}

/// Whether arrays and objects nest at most [`MAX_DEPTH`] deep in `json` (brackets inside
/// strings do not count). Only a header with that many brackets at all is scanned.
fn nests_within_limit(json: &[u8]) -> bool {
    let opening = |byte: &&u8| matches!(byte, b'[' | b'{');
    if json.iter().filter(opening).count() <= MAX_DEPTH {
        return true;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in json {
        match byte {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            b'[' | b'{' if !in_string => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return false;
                }
            }
            b']' | b'}' if !in_string => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// The header as JSON: the derived deserializer refuses a member given twice and skips the
/// members that are not named here.
#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(borrow)]
    alg: Text<'a>,
    #[serde(borrow, default)]
    kid: Option<Text<'a>>,
    #[serde(borrow, default)]
    typ: Option<Text<'a>>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// The header of the last token that passed every check on a thread, by its base64url segment.
struct Verified {
    segment: Box<str>,
    header: Rc<JoseHeader<'static>>,
}

thread_local! {
    static VERIFIED: RefCell<Option<Verified>> = const { RefCell::new(None) };
}

/// The header `segment` decodes to, if it is the header of the last token that passed every
/// check on this thread ([`remember`]). An issuer writes the same header on every token it
/// signs with one key, so most tokens skip decoding theirs. Only a segment that decoded and
/// passed [`JoseHeader::decode`]'s checks is remembered, and its decoding depends on nothing
/// else: the same segment always decodes to the same header.
pub(crate) fn verified(segment: &str) -> Option<Rc<JoseHeader<'static>>> {
    VERIFIED.with_borrow(|last| {
        last.as_ref()
            .filter(|last| *last.segment == *segment)
            .map(|last| Rc::clone(&last.header))
    })
}

/// Remembers `header`, decoded from `segment`, as the header of a token that passed every
/// check, in place of the one remembered before on this thread (one header a thread: memory
/// stays bounded whatever the tokens).
pub(crate) fn remember(segment: &str, header: &JoseHeader<'_>) {
    let header = Rc::new(header.clone().into_owned());
    VERIFIED.set(Some(Verified {
        segment: segment.into(),
        header,
    }));
}

/// A JSON string, borrowed from the input unless it has escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor).map(Text)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(value.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use jsonwebtoken::Algorithm;

    fn decode(json: &str) -> Result<JoseHeader<'static>, Refusal> {
        let segment = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
        let mut buffer = HeaderBuffer::new();
        JoseHeader::decode(&segment, &mut buffer).map(JoseHeader::into_owned)
    }

    fn invalid(reason: InvalidReason) -> Result<(), Refusal> {
        Err(Refusal::Invalid(reason))
    }

    #[test]
    fn the_members_verification_reads_are_read() {
        let header = decode(r#"{"typ":"at+jwt","alg":"ES256","kid":"k-1","x5t":"abc"}"#).unwrap();
        assert_eq!(header.alg, AlgName::Registered(Algorithm::ES256));
        assert_eq!(header.kid.as_deref(), Some("k-1"));
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        let bare = decode(r#"{"alg":"HS256"}"#).unwrap();
        assert_eq!((bare.kid, bare.typ), (None, None));
    }

    #[test]
    fn the_rfc_9864_name_is_understood() {
        assert_eq!(
            decode(r#"{"alg":"Ed25519"}"#).unwrap().alg,
            AlgName::Ed25519
        );
        assert_eq!(
            decode(r#"{"alg":"EdDSA"}"#).unwrap().alg,
            AlgName::Registered(Algorithm::EdDSA)
        );
    }

    #[test]
    fn escaped_strings_are_unescaped() {
        let header = decode(r#"{"alg":"HS256","kid":"a\"b\u0041"}"#).unwrap();
        assert_eq!(header.kid.as_deref(), Some("a\"bA"));
    }

    #[test]
    fn other_members_are_not_parsed() {
        // jsonwebtoken's `Header` refuses these: they are ignored here, never followed.
        let header = decode(r#"{"alg":"HS256","jwk":"not a key","x5c":7,"jku":null}"#);
        assert!(header.is_ok());
    }

    #[test]
    fn unknown_algorithms_are_the_wrong_algorithm() {
        for alg in ["none", "NONE", "ES512", "Ed448", "ed25519", "HS256 ", ""] {
            let json = format!(r#"{{"alg":{alg:?}}}"#);
            assert_eq!(
                decode(&json).map(drop),
                invalid(InvalidReason::WrongAlgorithm),
                "{alg}"
            );
        }
    }

    #[test]
    fn malformed_headers_are_malformed() {
        for json in [
            r#"{"typ":"JWT"}"#,
            r#"{"alg":null}"#,
            r#"{"alg":["HS256"]}"#,
            r#"{"alg":"HS256","kid":5}"#,
            r#"{"alg":"HS256","typ":{}}"#,
            r#"{"alg":"HS256","alg":"HS256"}"#,
            r#"{"alg":"HS256","kid":"a","kid":"a"}"#,
            r#"{"alg":"HS256"}x"#,
            r#"["HS256"]"#,
            "",
        ] {
            assert_eq!(
                decode(json).map(drop),
                invalid(InvalidReason::Malformed),
                "{json}"
            );
        }
        let mut buffer = HeaderBuffer::new();
        assert!(JoseHeader::decode("eyJ@", &mut buffer).is_err());
    }

    #[test]
    fn crit_is_refused_as_critical() {
        for json in [
            r#"{"alg":"HS256","crit":["exp"]}"#,
            r#"{"alg":"HS256","crit":[]}"#,
            r#"{"alg":"HS256","crit":5}"#,
        ] {
            assert_eq!(
                decode(json).map(drop),
                invalid(InvalidReason::CriticalHeader),
                "{json}"
            );
        }
        assert!(decode(r#"{"alg":"HS256","crit":["a"],"crit":null}"#).is_err());
    }

    #[test]
    fn deep_nesting_is_refused_but_brackets_in_strings_do_not_count() {
        let nested = |depth: usize| {
            let member = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            format!(r#"{{"alg":"HS256","x":{member}}}"#)
        };
        assert!(decode(&nested(MAX_DEPTH - 1)).is_ok());
        assert_eq!(
            decode(&nested(MAX_DEPTH)).map(drop),
            invalid(InvalidReason::Malformed)
        );
        let brackets = format!(
            r#"{{"alg":"HS256","kid":"{}\"{}"}}"#,
            "[".repeat(300),
            "{".repeat(300)
        );
        assert_eq!(decode(&brackets).unwrap().kid.unwrap().len(), 601);
    }

    #[test]
    fn depth_is_the_deepest_nesting_not_the_number_of_brackets() {
        // 130 brackets, none deeper than MAX_DEPTH: the scan runs and lets it through.
        let deepest = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        let siblings = format!(r#"{{"alg":"HS256","x":{deepest},"y":[],"z":{{}}}}"#);
        assert!(decode(&siblings).is_ok());
        // Closing brackets inside a string do not lower the depth: 200 deep is refused (and
        // would be read: serde_json skips an unknown member without a depth limit).
        let hidden = format!(
            r#"{{"alg":"HS256","x":{}"{}",{}{}}}"#,
            "[".repeat(100),
            "]".repeat(100),
            "[".repeat(100),
            "]".repeat(200)
        );
        assert_eq!(decode(&hidden).map(drop), invalid(InvalidReason::Malformed));
    }

    #[test]
    fn a_large_header_is_decoded_on_the_heap() {
        let chain = "A".repeat(4 * STACK_BYTES);
        let json = format!(r#"{{"alg":"RS256","x5c":["{chain}"],"kid":"big"}}"#);
        assert_eq!(decode(&json).unwrap().kid.as_deref(), Some("big"));
    }
}
