//! Parsing of the `Authorization` request header (RFC 9110 §11.6.2, RFC 6750 §2.1).

use actix_web::http::header::{self, HeaderMap};

use crate::http::challenge::is_tchar;

/// The parts of one `Authorization` header value: `auth-scheme [ 1*SP ( token68 / #auth-param ) ]`.
///
/// Parsing never allocates; the parts borrow from the header value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Authorization<'a> {
    scheme: &'a [u8],
    credentials: &'a [u8],
}

/// Shows the scheme and the length of the credentials, never the credentials.
impl std::fmt::Debug for Authorization<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorization")
            .field("scheme", &self.scheme())
            .field("credentials_len", &self.credentials.len())
            .finish()
    }
}

/// Why an `Authorization` header could not be used.
///
/// Every variant is answered with `400 invalid_request` (RFC 6750 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// The auth-scheme is missing or is not an RFC 9110 token.
    #[error("the auth-scheme is missing or not a token")]
    Scheme,
    /// The scheme is followed by something other than a single space and credentials.
    #[error("the credentials are empty")]
    Empty,
    /// A Bearer token with spaces inside or characters outside `b64token`.
    #[error("the token contains characters outside b64token")]
    Token,
    /// More than one `Authorization` header, or a token sent more than one way.
    #[error("credentials were sent more than once")]
    Repeated,
}

impl<'a> Authorization<'a> {
    /// Parses one header value.
    pub fn parse(value: &'a [u8]) -> Result<Self, Malformed> {
        let scheme_len = value
            .iter()
            .position(|&b| !TCHAR[b as usize])
            .unwrap_or(value.len());
        let (scheme, rest) = value.split_at(scheme_len);
        if scheme.is_empty() || rest.first().is_some_and(|&b| b != b' ') {
            return Err(Malformed::Scheme);
        }
        let start = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
        Ok(Authorization {
            scheme,
            credentials: &rest[start..],
        })
    }

    /// The auth-scheme as the client wrote it.
    pub fn scheme(&self) -> &'a str {
        // Only token characters, all ASCII, were let through: this never falls back.
        std::str::from_utf8(self.scheme).unwrap_or_default()
    }

    /// Whether the scheme is `name`, compared case-insensitively (RFC 9110 §11.1).
    pub fn is_scheme(&self, name: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(name.as_bytes())
    }

    /// Everything after the scheme and its separating spaces.
    pub fn credentials(&self) -> &'a [u8] {
        self.credentials
    }

    /// The credentials as an RFC 6750 §2.1 `b64token`:
    /// `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
    #[cfg(any(test, feature = "testing"))]
    pub fn bearer_token(&self) -> Result<&'a str, Malformed> {
        check_b64token(self.bearer_credentials()?)
    }

    /// The credentials, not yet checked against the `b64token` syntax: the authenticator
    /// checks that only for tokens its verified-token cache does not hold (a cached token
    /// passed the check when it was verified), and for a JWT only once it is refused.
    pub(crate) fn bearer_credentials(&self) -> Result<&'a [u8], Malformed> {
        if self.credentials.is_empty() {
            return Err(Malformed::Empty);
        }
        Ok(self.credentials)
    }
}

/// Checks a Bearer token against the RFC 6750 §2.1 `b64token` syntax.
///
/// The check runs on every byte of every opaque or DPoP-bound token not yet cached, and of
/// every refused JWT (a JWT that verifies is of the syntax), so it is written for the
/// compiler to check many bytes at a time: every byte is tested without an early exit (a
/// character of the syntax or `=`), then `=` is looked for before the trailing padding.
/// (Counting the `=` in the same pass instead is not vectorised, and costs more.)
pub(crate) fn check_b64token(token: &[u8]) -> Result<&str, Malformed> {
    let syntax = token.iter().fold(true, |ok, &b| ok & is_b64token_char(b));
    let body_len = token
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(0, |last| last + 1);
    if !syntax || body_len == 0 || memchr::memchr(b'=', &token[..body_len]).is_some() {
        return Err(Malformed::Token);
    }
    // Only ASCII was let through, so this cannot fail.
    std::str::from_utf8(token).map_err(|_| Malformed::Token)
}

/// A character of a `b64token`: `ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"`, or the
/// padding `=`.
fn is_b64token_char(b: u8) -> bool {
    matches!(
        b,
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'='
    )
}

/// RFC 9110 §5.6.2 `tchar`, as a table.
static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = is_tchar(b as u8 as char);
        b += 1;
    }
    table
};

/// The single `Authorization` header of a request, if any.
///
/// More than one header is [`Malformed::Repeated`] (RFC 6750 §3.1: a request that "repeats the
/// same parameter" or "uses more than one method for including an access token" is an
/// `invalid_request`).
pub(crate) fn authorization_header(headers: &HeaderMap) -> Result<Option<&[u8]>, Malformed> {
    let mut values = headers.get_all(header::AUTHORIZATION);
    let first = values.next();
    if values.next().is_some() {
        return Err(Malformed::Repeated);
    }
    Ok(first.map(|value| value.as_bytes()))
}

/// Whether the query string carries an RFC 6750 §2.3 `access_token` parameter.
///
/// Tokens in URLs end up in logs, so they are never accepted; one sent alongside a header is a
/// token sent two ways.
pub(crate) fn query_has_access_token(query: &str) -> bool {
    !query.is_empty()
        && query
            .split('&')
            .any(|pair| pair.split('=').next() == Some("access_token"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_is_case_insensitive() {
        for value in [&b"Bearer t"[..], b"bearer t", b"BEARER t", b"bEaReR t"] {
            let parsed = Authorization::parse(value).unwrap();
            assert!(parsed.is_scheme("Bearer"));
            assert_eq!(parsed.bearer_token(), Ok("t"));
        }
    }

    #[test]
    fn debug_never_shows_the_credentials() {
        let parsed = Authorization::parse(b"Basic c2VjcmV0OnBhc3N3b3Jk").unwrap();
        let shown = format!("{parsed:?}");
        assert!(shown.contains("Basic"), "{shown}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
    }

    #[test]
    fn every_byte_is_classified_as_rfc_6750_says() {
        let alphabet: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
        for b in 0..=255u8 {
            let value = [b'B', b' ', b'x', b, b'='];
            let parsed = Authorization::parse(&value).and_then(|a| a.bearer_token());
            let expected = alphabet.contains(&b) || b == b'=';
            assert_eq!(parsed.is_ok(), expected, "byte {b:#04x}");
        }
    }

    #[test]
    fn a_foreign_byte_anywhere_in_a_long_token_is_found() {
        let token = [b'a'; 100];
        for at in 0..token.len() {
            for foreign in [b' ', b'"', b'=', b'@', b'[', b'`', b'{', 0x80, 0xc1, 0xe1] {
                let mut value = b"Bearer ".to_vec();
                value.extend_from_slice(&token);
                value[7 + at] = foreign;
                let parsed = Authorization::parse(&value).unwrap().bearer_token();
                let padding = foreign == b'=' && at == token.len() - 1;
                // A space first is one more space after the scheme, not part of the token.
                let separator = foreign == b' ' && at == 0;
                assert_eq!(
                    parsed.is_ok(),
                    padding || separator,
                    "{foreign:#04x} at {at}"
                );
            }
        }
    }

    #[test]
    fn b64token_alphabet_and_trailing_padding_are_accepted() {
        let parsed = Authorization::parse(b"Bearer aZ09-._~+/==").unwrap();
        assert_eq!(parsed.bearer_token(), Ok("aZ09-._~+/=="));
    }

    #[test]
    fn several_spaces_after_the_scheme_are_allowed() {
        let parsed = Authorization::parse(b"Bearer   abc").unwrap();
        assert_eq!(parsed.bearer_token(), Ok("abc"));
    }

    #[test]
    fn empty_tokens_are_malformed() {
        for value in [&b"Bearer"[..], b"Bearer ", b"Bearer    "] {
            assert_eq!(
                Authorization::parse(value).unwrap().bearer_token(),
                Err(Malformed::Empty)
            );
        }
    }

    #[test]
    fn spaces_and_foreign_characters_inside_a_token_are_malformed() {
        for value in [
            &b"Bearer abc def"[..],
            b"Bearer abc,def",
            b"Bearer abc\"",
            b"Bearer ==abc",
            b"Bearer abc=def",
            b"Bearer abc\tdef",
            b"Bearer \xc3\xa9t\xc3\xa9",
            b"Bearer abc\0",
            b"Bearer =",
        ] {
            assert_eq!(
                Authorization::parse(value).unwrap().bearer_token(),
                Err(Malformed::Token),
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn a_scheme_must_be_a_token() {
        for value in [
            &b""[..],
            b" Bearer abc",
            b"Bea\"rer abc",
            b"\xff abc",
            b"(x) y",
        ] {
            assert_eq!(Authorization::parse(value), Err(Malformed::Scheme));
        }
    }

    #[test]
    fn other_schemes_keep_their_credentials() {
        let parsed = Authorization::parse(b"Basic dXNlcjpwYXNz").unwrap();
        assert_eq!(parsed.scheme(), "Basic");
        assert!(!parsed.is_scheme("Bearer"));
        assert_eq!(parsed.credentials(), b"dXNlcjpwYXNz");
    }

    #[test]
    fn more_than_one_header_is_repeated() {
        let mut headers = HeaderMap::new();
        assert_eq!(authorization_header(&headers), Ok(None));
        headers.append(header::AUTHORIZATION, "Bearer a".parse().unwrap());
        assert_eq!(authorization_header(&headers), Ok(Some(&b"Bearer a"[..])));
        headers.append(header::AUTHORIZATION, "Bearer b".parse().unwrap());
        assert_eq!(authorization_header(&headers), Err(Malformed::Repeated));
    }

    #[test]
    fn access_token_in_the_query_is_detected() {
        assert!(query_has_access_token("access_token=abc"));
        assert!(query_has_access_token("a=1&access_token=abc"));
        assert!(query_has_access_token("access_token"));
        assert!(!query_has_access_token(""));
        assert!(!query_has_access_token("my_access_token=1"));
    }
}
