//! The Basic scheme (RFC 7617): decoding, the verifier trait and the mechanism that ties them
//! to requests. The argon2 check with its cache and queue is in `basic/passwords.rs` (threads
//! in `basic/hashing.rs`); the built-in user store in `basic/static_users.rs`.

pub(crate) mod hashing;
pub(crate) mod passwords;
pub(crate) mod static_users;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use base64::Engine;
use zeroize::{Zeroize, Zeroizing};

use crate::http::authorization::Authorization;
use crate::http::challenge::Challenge;
use crate::http::refusal::Refusal;
use crate::mechanism::{Mechanism, Verification};
use crate::outcome::Outcome;
use crate::principal::Principal;
use crate::scheme::Scheme;

/// The longest Basic credentials accepted (base64 text), before any decoding.
const MAX_CREDENTIALS: usize = 4096;

/// A decoded `user-id:password` pair (RFC 7617 §2). The password is wiped from memory when the
/// value is dropped, and `Debug` never shows it.
pub struct BasicCredentials {
    /// The decoded text, `user-id ":" password`, in one allocation.
    text: Zeroizing<String>,
    /// Where the first colon is.
    colon: usize,
}

impl BasicCredentials {
    /// The user-id (never contains `:`).
    pub fn user_id(&self) -> &str {
        &self.text[..self.colon]
    }

    /// The password (may contain `:`).
    pub fn password(&self) -> &str {
        &self.text[self.colon + 1..]
    }
}

impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("user_id", &self.user_id())
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Why Basic credentials could not be decoded. Every case is answered with the same 401 and
/// `Basic realm="R", charset="UTF-8"` challenge (CONFORMANCE row 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BasicError {
    /// Empty or longer than the accepted maximum.
    #[error("empty or oversized credentials")]
    Length,
    /// Not base64 (RFC 4648 §4, with padding).
    #[error("not base64")]
    Base64,
    /// Not UTF-8 (the challenge announces `charset="UTF-8"`).
    #[error("not UTF-8")]
    Utf8,
    /// No `:` between user-id and password.
    #[error("no colon")]
    NoColon,
    /// A control character in the user-id or password (RFC 7617 §2).
    #[error("control character")]
    ControlCharacter,
}

/// Decodes the credentials of `Authorization: Basic <credentials>` (RFC 7617 §2): base64 of
/// UTF-8 `user-id ":" password`, split at the first colon, no control characters.
pub fn decode(credentials: &[u8]) -> Result<BasicCredentials, BasicError> {
    if credentials.is_empty() || credentials.len() > MAX_CREDENTIALS {
        return Err(BasicError::Length);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .map_err(|_| BasicError::Base64)?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => Zeroizing::new(text),
        Err(error) => {
            error.into_bytes().zeroize();
            return Err(BasicError::Utf8);
        }
    };
    let colon = text.find(':').ok_or(BasicError::NoColon)?;
    if text.chars().any(char::is_control) {
        return Err(BasicError::ControlCharacter);
    }
    Ok(BasicCredentials { text, colon })
}

/// Checks Basic credentials: implemented by the application (a database lookup is the normal
/// case) or by the built-in [`StaticUsers`](crate::StaticUsers).
///
/// The request gives access to app data (`req.app_data::<web::Data<Pool>>()`). Check the
/// password with [`Passwords::check`](crate::Passwords::check), giving it the hash the store
/// holds for the user-id, or `None` when there is no such user: it caches verified
/// credentials, bounds the hashing queue and makes an unknown user cost what a wrong password
/// costs (see [`Passwords`](crate::Passwords) for an example).
///
/// Return the principal shared, `Ok(principal.into())`: a store that keeps its users'
/// principals hands out a pointer to one, with no allocation on a request served from the
/// cache. Refuse with [`Refusal::Rejected`] for an unknown user and for a wrong password
/// alike: every refusal answered 401 becomes the same `401` with the same `Basic realm="R",
/// charset="UTF-8"` challenge (RFC 7617 §2; CONFORMANCE row 10). [`Refusal::Overloaded`] (503
/// with `Retry-After`) and [`Refusal::Forbidden`] (403) pass through.
pub trait BasicVerifier: Send + Sync + 'static {
    /// Verifies `credentials`, returning the principal they prove.
    fn verify(
        &self,
        credentials: &BasicCredentials,
        req: &HttpRequest,
    ) -> impl Future<Output = Result<Arc<Principal>, Refusal>>;
}

/// The Basic mechanism: `Authorization: Basic <credentials>`, checked by the application's
/// [`BasicVerifier`].
pub(crate) struct Basic<V> {
    verifier: Arc<V>,
}

impl<V> Basic<V> {
    pub(crate) fn new(verifier: V) -> Self {
        Basic {
            verifier: Arc::new(verifier),
        }
    }
}

impl<V: BasicVerifier> Mechanism for Basic<V> {
    type Credentials<'r> = BasicCredentials;

    fn scheme(&self) -> Scheme {
        Scheme::Basic
    }

    /// Credentials that do not decode are refused like a wrong password (CONFORMANCE row 10).
    fn find<'r>(
        &self,
        _: &'r HttpRequest,
        authorization: Option<Authorization<'r>>,
    ) -> Result<Option<BasicCredentials>, Refusal> {
        match authorization.filter(|a| a.is_scheme("Basic")) {
            Some(authorization) => decode(authorization.credentials())
                .map(Some)
                .map_err(|_| Refusal::Rejected),
            None => Ok(None),
        }
    }

    fn verify(&self, req: &HttpRequest, credentials: BasicCredentials) -> Verification {
        let verifier = Arc::clone(&self.verifier);
        let req = req.clone();
        Outcome::pending(async move {
            verifier
                .verify(&credentials, &req)
                .await
                .map_err(|refusal| match refusal.status() {
                    // Row 10: one answer for every failure, whatever the verifier called it.
                    StatusCode::UNAUTHORIZED => Refusal::Rejected,
                    _ => refusal,
                })
        })
    }

    /// RFC 7617 §2.1: the only `charset` value allowed is `UTF-8`.
    /// `http` `basic` (RFC 7617).
    #[cfg(feature = "openapi")]
    fn openapi(&self) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build())
    }

    fn challenge(&self, realm: &str) -> Challenge {
        Challenge::new("Basic", realm).param("charset", "UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(text: &[u8]) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .encode(text)
            .into_bytes()
    }

    #[test]
    fn the_first_colon_splits_user_id_and_password() {
        let credentials = decode(&encode(b"alice:pa:ss:")).unwrap();
        assert_eq!(credentials.user_id(), "alice");
        assert_eq!(credentials.password(), "pa:ss:");
        let credentials = decode(&encode(b":")).unwrap();
        assert_eq!((credentials.user_id(), credentials.password()), ("", ""));
    }

    #[test]
    fn utf8_is_accepted() {
        let credentials = decode(&encode("jöse:pässwörd".as_bytes())).unwrap();
        assert_eq!(credentials.user_id(), "jöse");
        assert_eq!(credentials.password(), "pässwörd");
    }

    #[test]
    fn malformed_credentials_are_refused() {
        assert_eq!(decode(b"").unwrap_err(), BasicError::Length);
        assert_eq!(decode(&[b'A'; 5000]).unwrap_err(), BasicError::Length);
        assert_eq!(decode(b"not base64!").unwrap_err(), BasicError::Base64);
        assert_eq!(decode(b"YWxpY2U").unwrap_err(), BasicError::Base64);
        assert_eq!(decode(&encode(b"alice")).unwrap_err(), BasicError::NoColon);
        assert_eq!(
            decode(&encode(b"al\0ice:pw")).unwrap_err(),
            BasicError::ControlCharacter
        );
        assert_eq!(
            decode(&encode(b"alice:p\nw")).unwrap_err(),
            BasicError::ControlCharacter
        );
        assert_eq!(
            decode(&encode(b"alice:\xff\xfe")).unwrap_err(),
            BasicError::Utf8
        );
    }

    #[test]
    fn credentials_of_exactly_the_limit_are_accepted_and_one_byte_more_is_refused() {
        let mut text = b"alice:".to_vec();
        text.resize(MAX_CREDENTIALS / 4 * 3, b'p');
        let at_limit = encode(&text);
        assert_eq!(at_limit.len(), MAX_CREDENTIALS);
        assert_eq!(decode(&at_limit).unwrap().password().len(), text.len() - 6);
        let mut one_more = at_limit.clone();
        one_more.push(b'A');
        assert_eq!(decode(&one_more).unwrap_err(), BasicError::Length);
        // Well-formed base64 past the limit is refused for its length alone.
        text.extend_from_slice(b"ppp");
        assert_eq!(decode(&encode(&text)).unwrap_err(), BasicError::Length);
    }

    #[test]
    fn debug_never_shows_the_password() {
        let credentials = decode(&encode(b"alice:secret-pw")).unwrap();
        assert!(!format!("{credentials:?}").contains("secret-pw"));
    }
}
