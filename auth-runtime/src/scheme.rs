//! Application-defined authentication schemes.

use std::future::Future;

use actix_web::HttpRequest;

use crate::challenge::Challenge;
use crate::principal::Principal;
use crate::refusal::Refusal;

/// An authentication scheme the application defines (a session cookie, a client certificate,
/// a signed header, …), named in the attribute by its type: `#[requires(scheme = MyCookie)]`,
/// and registered at start-up with
/// [`AuthenticatorBuilder::custom_scheme`](crate::AuthenticatorBuilder::custom_scheme).
///
/// ```
/// use std::future::Future;
/// use actix_web::HttpRequest;
/// use auth_runtime::{CustomScheme, Principal, Refusal, Scheme};
///
/// struct SessionCookie;
///
/// impl CustomScheme for SessionCookie {
///     const NAME: &'static str = "Session";
///
///     fn is_present(&self, req: &HttpRequest) -> bool {
///         req.headers().get("cookie").is_some_and(|c| c.as_bytes().starts_with(b"session="))
///     }
///
///     async fn verify(&self, req: &HttpRequest) -> Result<Principal, Refusal> {
///         // Look the session up; refuse with `Refusal::Rejected` when it is unknown.
///         Ok(Principal::user(Scheme::Custom(Self::NAME), "session-user"))
///     }
/// }
/// ```
pub trait CustomScheme: Send + Sync + 'static {
    /// The scheme's name: a token (RFC 9110 §11.1) used in its challenge and logs.
    const NAME: &'static str;

    /// Whether the request carries this scheme's credentials at all. Among the schemes an
    /// endpoint accepts, the first whose credentials are present is the one verified.
    fn is_present(&self, req: &HttpRequest) -> bool;

    /// Verifies the credentials. Refuse with [`Refusal::Rejected`] (401 with this scheme's
    /// challenge) or [`Refusal::Forbidden`] (403).
    fn verify(&self, req: &HttpRequest) -> impl Future<Output = Result<Principal, Refusal>>;

    /// The challenge sent in a 401 for this scheme. Default: `<NAME> realm="<realm>"`.
    fn challenge(&self, realm: &str) -> Challenge {
        Challenge::new(Self::NAME, realm)
    }
}
