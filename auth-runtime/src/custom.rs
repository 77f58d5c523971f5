//! Application-defined authentication schemes: the [`CustomScheme`] trait, and the mechanism
//! that registers one.

use std::future::Future;
use std::sync::Arc;

use actix_web::HttpRequest;

use crate::http::authorization::Authorization;
use crate::http::challenge::Challenge;
use crate::http::refusal::Refusal;
use crate::mechanism::{Mechanism, Verification};
use crate::outcome::Outcome;
use crate::principal::Principal;
use crate::scheme::Scheme;

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

    /// How the OpenAPI document describes this scheme, under the component name
    /// [`NAME`](Self::NAME) (feature `openapi`). Default: an `apiKey` in the `Authorization`
    /// header, described as `Authorization: <NAME> ..`; a session cookie would say
    /// `SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("session")))`.
    #[cfg(feature = "openapi")]
    fn openapi(&self) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "Authorization",
            &format!(
                "Credentials of the `{}` scheme: `Authorization: {} ..`",
                Self::NAME,
                Self::NAME
            ),
        )))
    }
}

/// The mechanism of an application scheme `S`.
pub(crate) struct Custom<S> {
    scheme: Arc<S>,
}

impl<S> Custom<S> {
    pub(crate) fn new(scheme: S) -> Self {
        Custom {
            scheme: Arc::new(scheme),
        }
    }
}

impl<S: CustomScheme> Mechanism for Custom<S> {
    /// The scheme reads its own credentials when it verifies them.
    type Credentials<'r> = ();

    fn scheme(&self) -> Scheme {
        Scheme::Custom(S::NAME)
    }

    fn find<'r>(
        &self,
        req: &'r HttpRequest,
        _: Option<Authorization<'r>>,
    ) -> Result<Option<()>, Refusal> {
        Ok(self.scheme.is_present(req).then_some(()))
    }

    fn verify(&self, req: &HttpRequest, (): ()) -> Verification {
        let (scheme, req) = (Arc::clone(&self.scheme), req.clone());
        Outcome::pending(async move { scheme.verify(&req).await.map(Arc::new) })
    }

    #[cfg(feature = "openapi")]
    fn openapi(&self) -> utoipa::openapi::security::SecurityScheme {
        self.scheme.openapi()
    }

    fn challenge(&self, realm: &str) -> Challenge {
        self.scheme.challenge(realm)
    }
}
