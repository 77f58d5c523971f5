//! The configured authenticator and the authentication of one request.

use std::fmt;
use std::sync::Arc;

use actix_web::web::{self, ServiceConfig};
use actix_web::HttpRequest;

use crate::authorization::{self, Authorization, Malformed};
use crate::config::AuthenticatorBuilder;
use crate::jwt::JwtVerifier;
use crate::principal::Principal;
use crate::refusal::{AuthError, BodyBuilder, Refusal};
use crate::requirement::{Requirement, Scheme};

/// The authentication configuration of an application, built once at start-up and shared by
/// every worker (cloning is an `Arc` clone).
///
/// Register it as app data; every `#[requires]` handler and every [`Identity`](crate::Identity)
/// / [`Claims`](crate::Claims) extractor finds it there.
///
/// ```
/// use actix_web::App;
/// use auth_runtime::{Authenticator, Key};
///
/// let auth = Authenticator::builder()
///     .realm("example")
///     .issuer("https://issuer.example")
///     .audience("example-api")
///     .key(Key::hs256(b"an-obviously-fake-secret-of-32-bytes!!").unwrap())
///     .build()
///     .expect("valid authentication configuration");
/// let app = App::new().configure(auth.configure());
/// # let _ = app;
/// ```
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) realm: String,
    pub(crate) jwt: JwtVerifier,
    pub(crate) error_body: Option<BodyBuilder>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("realm", &self.inner.realm)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Starts the configuration.
    pub fn builder() -> AuthenticatorBuilder {
        AuthenticatorBuilder::default()
    }

    pub(crate) fn from_inner(inner: Inner) -> Self {
        Authenticator {
            inner: Arc::new(inner),
        }
    }

    /// A `configure` helper that registers this authenticator as app data:
    /// `App::new().configure(auth.configure())`.
    pub fn configure(&self) -> impl FnOnce(&mut ServiceConfig) {
        let auth = self.clone();
        move |config| {
            config.app_data(auth);
        }
    }

    /// The configured realm.
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// The authenticator registered for `req`'s application, as `app_data(Authenticator)` or
    /// `app_data(web::Data<Authenticator>)`.
    pub fn of(req: &HttpRequest) -> Option<&Authenticator> {
        req.app_data::<Authenticator>().or_else(|| {
            req.app_data::<web::Data<Authenticator>>()
                .map(|data| data.get_ref())
        })
    }

    /// Verifies a Bearer token and returns its principal, without any scope check.
    pub fn verify_token(&self, token: &str) -> Result<Principal, Refusal> {
        self.inner.jwt.verify(token)
    }

    /// Authenticates `req` against `requirement`: `Ok(None)` only when credentials are
    /// optional and none were sent. Every decision is logged with its reason code.
    pub fn authenticate(
        &self,
        req: &HttpRequest,
        requirement: &Requirement,
    ) -> Result<Option<Arc<Principal>>, AuthError> {
        match self.decide(req, requirement) {
            Ok(Some(principal)) => {
                tracing::debug!(
                    target: "auth_runtime",
                    decision = "allowed",
                    scheme = principal.scheme().name(),
                    subject = principal.subject(),
                    path = req.path(),
                    "request authenticated"
                );
                Ok(Some(Arc::new(principal)))
            }
            Ok(None) => {
                tracing::debug!(
                    target: "auth_runtime",
                    decision = "anonymous",
                    path = req.path(),
                    "no credentials; authentication is optional here"
                );
                Ok(None)
            }
            Err(refusal) => Err(self.refuse(req, refusal, requirement)),
        }
    }

    fn decide(
        &self,
        req: &HttpRequest,
        requirement: &Requirement,
    ) -> Result<Option<Principal>, Refusal> {
        let header = authorization::authorization_header(req.headers()).map_err(Refusal::Malformed)?;
        let in_query = authorization::query_has_access_token(req.query_string());
        let Some(value) = header else {
            return if requirement.is_optional() {
                Ok(None)
            } else {
                Err(Refusal::Missing)
            };
        };
        if in_query {
            return Err(Refusal::Malformed(Malformed::Repeated));
        }
        let authorization = Authorization::parse(value).map_err(Refusal::Malformed)?;
        let Some(scheme) = requirement
            .schemes()
            .iter()
            .find(|scheme| authorization.is_scheme(scheme.name()))
        else {
            // An unsupported scheme is no credentials at all (RFC 6750 §3.1).
            return if requirement.is_optional() {
                Ok(None)
            } else {
                Err(Refusal::Missing)
            };
        };
        let principal = match scheme {
            Scheme::Bearer => {
                let token = authorization.bearer_token().map_err(Refusal::Malformed)?;
                self.inner.jwt.verify(token)?
            }
        };
        if let Some(scope) = requirement.scope_expr() {
            if !scope.is_satisfied_by(principal.scopes()) {
                return Err(Refusal::InsufficientScope(scope));
            }
        }
        Ok(Some(principal))
    }

    /// Logs `refusal` and builds its response for `requirement`'s realm and schemes.
    pub(crate) fn refuse(
        &self,
        req: &HttpRequest,
        refusal: Refusal,
        requirement: &Requirement,
    ) -> AuthError {
        let reason = refusal.reason_code();
        let status = refusal.status().as_u16();
        match refusal {
            Refusal::Missing => tracing::debug!(
                target: "auth_runtime", decision = "refused", reason, status, path = req.path(),
                "request refused"
            ),
            Refusal::InsufficientScope(required) => tracing::info!(
                target: "auth_runtime", decision = "refused", reason, status, path = req.path(),
                required = ?required.smallest_satisfying_set(),
                "request refused"
            ),
            _ => tracing::info!(
                target: "auth_runtime", decision = "refused", reason, status, path = req.path(),
                "request refused"
            ),
        }
        let realm = requirement.realm_override().unwrap_or(&self.inner.realm);
        AuthError::new(
            refusal,
            realm,
            requirement.schemes(),
            self.inner.error_body.as_ref(),
        )
    }
}

/// The refusal of a request whose handler needs authentication in an application that has no
/// [`Authenticator`]: a 500 and an error-level log line saying what to add.
pub(crate) fn not_configured(req: &HttpRequest) -> AuthError {
    tracing::error!(
        target: "auth_runtime",
        decision = "refused",
        reason = "not_configured",
        status = 500,
        path = req.path(),
        "a handler needs authentication but no `Authenticator` is registered: add \
         `.app_data(authenticator.clone())` or `.configure(authenticator.configure())` to the \
         `App` (call `auth_runtime::check_app` at start-up to catch this before serving)"
    );
    AuthError::new(Refusal::NotConfigured, "", &[], None)
}
