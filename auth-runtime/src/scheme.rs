//! The names of the authentication schemes an endpoint can accept.

use std::fmt;

/// An authentication scheme an endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `Authorization: Bearer <token>` with a JWT access token (RFC 6750, RFC 9068).
    Bearer,
    /// `Authorization: Basic <base64(user-id:password)>` (RFC 7617).
    Basic,
    /// An API key in a configurable header (default `X-API-Key`) or `Authorization: ApiKey <key>`.
    ApiKey,
    /// `Authorization: DPoP <token>` with a `DPoP` proof header: an access token bound to the
    /// client's key, used only with a fresh proof signed by that key (RFC 9449).
    DPoP,
    /// An application scheme registered with
    /// [`AuthenticatorBuilder::custom_scheme`](crate::AuthenticatorBuilder::custom_scheme),
    /// identified by its [`CustomScheme::NAME`](crate::CustomScheme::NAME).
    Custom(&'static str),
}

impl Scheme {
    /// The scheme's name as it appears in challenges (`Bearer`, `Basic`, `ApiKey`, `DPoP`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Scheme::Bearer => "Bearer",
            Scheme::Basic => "Basic",
            Scheme::ApiKey => "ApiKey",
            Scheme::DPoP => "DPoP",
            Scheme::Custom(name) => name,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
