//! The shape every authentication scheme has: a [`Mechanism`] finds its credentials in a
//! request, verifies them and names its challenge; the [`Registry`] holds the configured ones.
//!
//! Bearer, Basic, API keys and the application's custom schemes are all mechanisms. Adding a
//! scheme is one file implementing [`Mechanism`] and one [`Registry::register`] call in the
//! builder; the request flow (`authenticator.rs`) and the responses (`http/response.rs`) never
//! name a scheme.

use std::sync::Arc;
use std::time::Instant;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::HttpRequest;
use serde_json::{Map, Value};

use crate::error::ConfigError;
use crate::http::authorization::Authorization;
use crate::http::challenge::{is_tchar, Challenge};
use crate::http::refusal::Refusal;
use crate::outcome::Outcome;
use crate::principal::Principal;
use crate::scheme::Scheme;
use crate::telemetry::{CredentialFacts, VerificationTimer};

/// The end of a verification: the principal the credentials prove, or why they prove nothing.
pub(crate) type Verification = Outcome<Result<Arc<Principal>, Refusal>>;

/// One authentication scheme.
pub(crate) trait Mechanism: Send + Sync + 'static {
    /// What [`find`](Self::find) takes from the request, borrowed from it where it can be.
    type Credentials<'r>;

    /// Whether [`verify`](Self::verify) records its own verification time
    /// ([`VERIFICATION_SECONDS`](crate::telemetry::VERIFICATION_SECONDS)): a mechanism that
    /// serves some credentials from memory times only its real verifications. Otherwise the
    /// registry times every call.
    const TIMES_ITSELF: bool = false;

    /// The scheme's name, as endpoints declare it.
    fn scheme(&self) -> Scheme;

    /// This scheme's credentials in `req`: `Ok(None)` when it carries none, an error when it
    /// carries some that cannot be used (malformed, or sent twice). `authorization` is the
    /// request's single `Authorization` header, parsed, if it has one.
    fn find<'r>(
        &self,
        req: &'r HttpRequest,
        authorization: Option<Authorization<'r>>,
    ) -> Result<Option<Self::Credentials<'r>>, Refusal>;

    /// Verifies what [`find`](Self::find) found: at once when nothing needs to wait.
    fn verify(&self, req: &HttpRequest, credentials: Self::Credentials<'_>) -> Verification;

    /// The challenge of a `401` for this scheme in `realm`, without error attributes.
    fn challenge(&self, realm: &str) -> Challenge;

    /// `challenge` with the parameters that follow its error attributes, if the scheme has any
    /// (DPoP's `algs`, RFC 9449 §7.1). Default: none.
    fn finish_challenge(&self, challenge: Challenge) -> Challenge {
        challenge
    }

    /// A header the response to `refusal` of this scheme's credentials carries besides its
    /// challenge (DPoP's `DPoP-Nonce`, RFC 9449 §9). Default: none.
    fn refusal_header(&self, _refusal: &Refusal) -> Option<(HeaderName, HeaderValue)> {
        None
    }

    /// Whether refusals add RFC 6750 §3 error attributes (`error`, `error_description`,
    /// `scope`) to this scheme's challenge. Schemes without them answer every failure with
    /// their bare challenge (RFC 7617 has no error codes).
    fn reports_errors(&self) -> bool {
        false
    }

    /// The OpenAPI security scheme object that documents this scheme (OpenAPI 3.1 §4.8.27).
    #[cfg(feature = "openapi")]
    fn openapi(&self) -> utoipa::openapi::security::SecurityScheme;
    /// Adds what the protected resource's metadata (RFC 9728 §2) says about this scheme, such
    /// as `bearer_methods_supported` (or DPoP's `dpop_signing_alg_values_supported`). Schemes
    /// outside OAuth add nothing.
    fn describe_resource(&self, _metadata: &mut Map<String, Value>) {}
    /// What this scheme's credentials in `req` say about themselves, for the log event of a
    /// refusal: never a secret, every text escaped and cut (see
    /// [`CredentialFacts`]). Called only when a request with such credentials is refused and
    /// the event is recorded. Default: nothing.
    fn refusal_facts(
        &self,
        _req: &HttpRequest,
        _authorization: Option<Authorization<'_>>,
    ) -> CredentialFacts {
        CredentialFacts::default()
    }
}

/// A [`Mechanism`] behind a pointer: its credentials found and verified in one call.
trait Registered: Send + Sync {
    fn scheme(&self) -> Scheme;
    fn authenticate(
        &self,
        req: &HttpRequest,
        authorization: Option<Authorization<'_>>,
    ) -> Option<Verification>;
    fn challenge(&self, realm: &str) -> Challenge;
    fn finish_challenge(&self, challenge: Challenge) -> Challenge;
    fn refusal_header(&self, refusal: &Refusal) -> Option<(HeaderName, HeaderValue)>;
    fn reports_errors(&self) -> bool;
    fn is_present(&self, req: &HttpRequest) -> bool;
    #[cfg(feature = "openapi")]
    fn openapi(&self) -> utoipa::openapi::security::SecurityScheme;
    fn describe_resource(&self, metadata: &mut Map<String, Value>);
    fn refusal_facts(
        &self,
        req: &HttpRequest,
        authorization: Option<Authorization<'_>>,
    ) -> CredentialFacts;
}

/// A registered mechanism and the timer of its verifications.
struct Registration<M> {
    mechanism: M,
    timer: VerificationTimer,
}

impl<M: Mechanism> Registered for Registration<M> {
    fn scheme(&self) -> Scheme {
        self.mechanism.scheme()
    }

    #[inline]
    fn authenticate(
        &self,
        req: &HttpRequest,
        authorization: Option<Authorization<'_>>,
    ) -> Option<Verification> {
        match self.mechanism.find(req, authorization) {
            Ok(Some(credentials)) if M::TIMES_ITSELF => {
                Some(self.mechanism.verify(req, credentials))
            }
            Ok(Some(credentials)) => {
                let started = Instant::now();
                let verification = self.mechanism.verify(req, credentials);
                Some(self.timer.time(started, verification))
            }
            Ok(None) => None,
            Err(refusal) => Some(Outcome::ready(Err(refusal))),
        }
    }

    fn challenge(&self, realm: &str) -> Challenge {
        self.mechanism.challenge(realm)
    }

    fn finish_challenge(&self, challenge: Challenge) -> Challenge {
        self.mechanism.finish_challenge(challenge)
    }

    fn refusal_header(&self, refusal: &Refusal) -> Option<(HeaderName, HeaderValue)> {
        self.mechanism.refusal_header(refusal)
    }

    fn reports_errors(&self) -> bool {
        self.mechanism.reports_errors()
    }

    fn refusal_facts(
        &self,
        req: &HttpRequest,
        authorization: Option<Authorization<'_>>,
    ) -> CredentialFacts {
        self.mechanism.refusal_facts(req, authorization)
    }

    fn is_present(&self, req: &HttpRequest) -> bool {
        // Credentials in the Authorization header are seen by the caller; these are the others.
        !matches!(self.mechanism.find(req, None), Ok(None))
    }

    #[cfg(feature = "openapi")]
    fn openapi(&self) -> utoipa::openapi::security::SecurityScheme {
        self.mechanism.openapi()
    }

    fn describe_resource(&self, metadata: &mut Map<String, Value>) {
        self.mechanism.describe_resource(metadata);
    }
}

/// A mechanism of any type, ready to be registered.
pub(crate) struct BoxedMechanism(Box<dyn Registered>);

impl<M: Mechanism> From<M> for BoxedMechanism {
    fn from(mechanism: M) -> Self {
        let timer = VerificationTimer::new(mechanism.scheme());
        BoxedMechanism(Box::new(Registration { mechanism, timer }))
    }
}

/// The configured mechanisms, in the order they were configured: the order in which extractors
/// used without `#[requires]` try them.
pub(crate) struct Registry {
    mechanisms: Vec<Box<dyn Registered>>,
    schemes: Vec<Scheme>,
}

impl Registry {
    /// No mechanism.
    pub(crate) const EMPTY: Registry = Registry {
        mechanisms: Vec::new(),
        schemes: Vec::new(),
    };

    /// Adds `mechanism`; its name must be an RFC 9110 token that no other mechanism has
    /// (compared case-insensitively, as clients compare schemes).
    pub(crate) fn register(
        &mut self,
        mechanism: impl Into<BoxedMechanism>,
    ) -> Result<(), ConfigError> {
        let BoxedMechanism(mechanism) = mechanism.into();
        let scheme = mechanism.scheme();
        let name = scheme.name();
        let taken = self
            .schemes
            .iter()
            .any(|other| other.name().eq_ignore_ascii_case(name));
        if taken || name.is_empty() || !name.chars().all(is_tchar) {
            return Err(ConfigError::InvalidSchemeName(name));
        }
        self.schemes.push(scheme);
        self.mechanisms.push(mechanism);
        Ok(())
    }

    /// The configured schemes, in configuration order.
    pub(crate) fn schemes(&self) -> &[Scheme] {
        &self.schemes
    }

    #[inline]
    fn get(&self, scheme: Scheme) -> Option<&dyn Registered> {
        self.mechanisms
            .iter()
            .find(|mechanism| mechanism.scheme() == scheme)
            .map(|mechanism| &**mechanism)
    }

    /// Finds and verifies `scheme`'s credentials in `req`; `None` when it carries none.
    ///
    /// A scheme an endpoint declares but the authenticator lacks has no mechanism to look for
    /// its credentials: it counts as present, and is refused as not configured (a 500 that
    /// names the missing configuration), when the `Authorization` header names it, and always
    /// for an application scheme, whose credentials only the application knows how to find.
    pub(crate) fn authenticate(
        &self,
        scheme: Scheme,
        req: &HttpRequest,
        authorization: Option<Authorization<'_>>,
    ) -> Option<Verification> {
        match self.get(scheme) {
            Some(mechanism) => mechanism.authenticate(req, authorization),
            None => {
                let named = authorization.is_some_and(|header| header.is_scheme(scheme.name()));
                (named || matches!(scheme, Scheme::Custom(_)))
                    .then(|| Outcome::ready(Err(Refusal::NotConfigured)))
            }
        }
    }

    /// Whether any configured scheme finds credentials in `req` outside its `Authorization`
    /// header (an API-key header, a custom scheme's cookie, a Bearer `access_token` query).
    #[inline]
    pub(crate) fn any_present(&self, req: &HttpRequest) -> bool {
        self.mechanisms
            .iter()
            .any(|mechanism| mechanism.is_present(req))
    }

    /// Each configured scheme with the OpenAPI security scheme object that documents it.
    #[cfg(feature = "openapi")]
    pub(crate) fn openapi_schemes(
        &self,
    ) -> impl Iterator<Item = (Scheme, utoipa::openapi::security::SecurityScheme)> + '_ {
        self.mechanisms
            .iter()
            .map(|mechanism| (mechanism.scheme(), mechanism.openapi()))
    }

    /// `scheme`'s challenge in `realm`, without error attributes.
    pub(crate) fn challenge(&self, scheme: Scheme, realm: &str) -> Challenge {
        self.challenge_with(scheme, realm, |challenge| challenge)
    }

    /// `scheme`'s challenge in `realm` with the error attributes `errors` adds, placed where
    /// the scheme wants them: after `realm`, before the scheme's own trailing parameters.
    pub(crate) fn challenge_with(
        &self,
        scheme: Scheme,
        realm: &str,
        errors: impl FnOnce(Challenge) -> Challenge,
    ) -> Challenge {
        match self.get(scheme) {
            Some(mechanism) => mechanism.finish_challenge(errors(mechanism.challenge(realm))),
            None => errors(Challenge::new(scheme.name(), realm)),
        }
    }

    /// What `scheme`'s credentials in `req` say about themselves, for a refusal's log event.
    pub(crate) fn refusal_facts(
        &self,
        scheme: Scheme,
        req: &HttpRequest,
        authorization: Option<Authorization<'_>>,
    ) -> CredentialFacts {
        self.get(scheme)
            .map(|mechanism| mechanism.refusal_facts(req, authorization))
            .unwrap_or_default()
    }

    /// The header `scheme` adds to the response to `refusal`, if any.
    pub(crate) fn refusal_header(
        &self,
        scheme: Scheme,
        refusal: &Refusal,
    ) -> Option<(HeaderName, HeaderValue)> {
        self.get(scheme)?.refusal_header(refusal)
    }

    /// Whether `scheme`'s challenges carry RFC 6750 error attributes.
    pub(crate) fn reports_errors(&self, scheme: Scheme) -> bool {
        self.get(scheme)
            .is_some_and(|mechanism| mechanism.reports_errors())
    }

    /// What every configured scheme adds to the protected resource's metadata (RFC 9728 §2).
    pub(crate) fn describe_resource(&self, metadata: &mut Map<String, Value>) {
        for mechanism in &self.mechanisms {
            mechanism.describe_resource(metadata);
        }
    }
}
