//! Extractors: the verified identity and claims for handlers, and the guard `#[requires]`
//! places in front of a handler's own extractors.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use crate::authenticator::{not_configured, Authenticated, Authenticator};
use crate::http::refusal::{InvalidReason, Refusal};
use crate::http::response::AuthError;
use crate::outcome::Outcome;
use crate::principal::Principal;
use crate::requirement::Requirement;

/// The outcome of authentication, kept in the request's extensions so that later extractors
/// of the same request ([`Identity`], [`Claims`], [`Optional`]) reuse it instead of verifying
/// again, with the requirement of the endpoint that authenticated: a refusal later in the
/// request (claims that do not fit a `Claims<T>`) is that endpoint's, with its schemes and realm.
///
/// It only ever stands in for those extractors' own plain authentication, never for a
/// `#[requires]` guard: an outcome recorded by a middleware's `Identity` satisfied no scope,
/// role or policy, so the guard always authenticates against its own requirement (and then
/// records its principal for the handler's extractors).
#[derive(Clone)]
struct Recorded {
    /// `None` when credentials were optional and absent.
    principal: Option<Arc<Principal>>,
    requirement: Requirement,
}

type Recording = Result<Recorded, AuthError>;

/// The outcome recorded earlier in this request, else authenticates against `requirement`
/// and records it. For the extractors whose requirement is plain authentication.
fn authenticate_once(req: &HttpRequest, requirement: Requirement) -> Outcome<Recording> {
    if let Some(recorded) = req.extensions().get::<Recorded>() {
        return Outcome::ready(Ok(recorded.clone()));
    }
    authenticate(req, requirement)
}

/// Authenticates `req` against `requirement`, whatever was recorded before, and records the
/// outcome.
fn authenticate(req: &HttpRequest, requirement: Requirement) -> Outcome<Recording> {
    let Some(auth) = Authenticator::of(req) else {
        return Outcome::ready(Err(not_configured(req)));
    };
    match auth.begin(req, requirement).now() {
        Ok(result) => Outcome::ready(record(req, result, requirement)),
        Err(pending) => {
            let req = req.clone();
            Outcome::pending(async move { record(&req, pending.await, requirement) })
        }
    }
}

/// Left in the request by the app-wide middleware (`routes/middleware.rs`) when it answered by
/// the app-wide rule; a `#[requires]` guard that finds it knows the middleware could not see
/// its declaration.
#[derive(Clone, Copy)]
pub(crate) struct AppWideRule;

/// Records what the app-wide middleware decided for a route without a declaration, so that the
/// handler's `Identity`, `Claims` and `Optional` extractors reuse it instead of verifying again.
pub(crate) fn record_app_wide(
    req: &HttpRequest,
    principal: Option<Arc<Principal>>,
    requirement: Requirement,
) {
    req.extensions_mut().insert(Recorded {
        principal,
        requirement,
    });
}

/// Said once per route pattern: a `#[requires]` guard ran on a request that the app-wide
/// middleware answered as undeclared, so the middleware cannot see this declaration.
fn warn_unseen_declaration(req: &HttpRequest) {
    static WARNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let pattern = req.match_pattern().unwrap_or_else(|| req.path().to_owned());
    let mut warned = WARNED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if warned.contains(&pattern) {
        return;
    }
    tracing::warn!(
        target: "auth_runtime",
        route = %pattern,
        "the app-wide middleware cannot see this route's `#[requires]`, so it answered the \
         request by the app-wide rule first (configured schemes and realm; under \
         `deny_by_default`, credentials required): write `#[requires(..)]` above the route \
         attribute (`#[get(..)]`), not below it, and register the handler with that attribute"
    );
    warned.push(pattern);
}

fn record(req: &HttpRequest, result: Authenticated, requirement: Requirement) -> Recording {
    let recorded = Recorded {
        principal: result?,
        requirement,
    };
    req.extensions_mut().insert(recorded.clone());
    Ok(recorded)
}

/// Refuses the request as the endpoint that authenticated it would: with its requirement's
/// schemes and realm, blaming the scheme of the principal, if there is one.
fn refuse(req: &HttpRequest, refusal: Refusal, recorded: &Recorded) -> AuthError {
    match Authenticator::of(req) {
        Some(auth) => {
            let failed = recorded
                .principal
                .as_ref()
                .map(|principal| principal.scheme());
            auth.refuse(req, refusal, failed, &recorded.requirement)
        }
        None => not_configured(req),
    }
}

/// A value built from a verified principal: [`Identity`] and [`Claims`].
pub trait FromPrincipal: Sized {
    /// Builds the value, or refuses the request (for instance when claims do not fit).
    fn from_principal(principal: &Arc<Principal>) -> Result<Self, Refusal>;
}

fn required<E: FromPrincipal>(req: &HttpRequest, recorded: Recorded) -> Result<E, AuthError> {
    match &recorded.principal {
        Some(principal) => {
            E::from_principal(principal).map_err(|refusal| refuse(req, refusal, &recorded))
        }
        None => Err(refuse(req, Refusal::Missing, &recorded)),
    }
}

fn optional<E: FromPrincipal>(
    req: &HttpRequest,
    recorded: Recorded,
) -> Result<Optional<E>, AuthError> {
    recorded
        .principal
        .as_ref()
        .map(|principal| {
            E::from_principal(principal).map_err(|refusal| refuse(req, refusal, &recorded))
        })
        .transpose()
        .map(Optional)
}

/// Authenticates once per request (see [`Recorded`]), then builds the extractor's value with
/// `finish`: ready at once unless authentication has to wait.
fn extract<T: 'static>(
    req: &HttpRequest,
    requirement: Requirement,
    finish: fn(&HttpRequest, Recorded) -> Result<T, AuthError>,
) -> Outcome<Result<T, AuthError>> {
    match authenticate_once(req, requirement).now() {
        Ok(recording) => Outcome::ready(recording.and_then(|recorded| finish(req, recorded))),
        Err(pending) => {
            let req = req.clone();
            Outcome::pending(async move { finish(&req, pending.await?) })
        }
    }
}

/// The verified identity of the request.
///
/// In a `#[requires]` handler it is the principal the guard already verified. In a handler
/// without the attribute it authenticates the request itself (credentials of any configured scheme, no scope), with
/// the same responses.
///
/// ```
/// use actix_web::{get, HttpResponse};
/// use auth_runtime::{requires, Identity};
///
/// #[get("/me")]
/// #[requires(scope = "profile")]
/// async fn me(who: Identity) -> HttpResponse {
///     HttpResponse::Ok().body(who.subject().unwrap_or("anonymous").to_owned())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Identity(Arc<Principal>);

impl Identity {
    /// The shared principal.
    pub fn principal(&self) -> &Arc<Principal> {
        &self.0
    }
}

impl Deref for Identity {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl FromPrincipal for Identity {
    fn from_principal(principal: &Arc<Principal>) -> Result<Self, Refusal> {
        Ok(Identity(Arc::clone(principal)))
    }
}

impl FromRequest for Identity {
    type Error = AuthError;
    type Future = Outcome<Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, Requirement::AUTHENTICATED, required::<Self>)
    }
}

/// The verified token's claims, deserialized into the application's type `T`.
///
/// Claims that do not fit `T` make the token invalid for this endpoint (401 `invalid_token`).
///
/// ```
/// use actix_web::HttpResponse;
/// use auth_runtime::{requires, Claims};
///
/// #[derive(serde::Deserialize)]
/// struct MyClaims {
///     sub: String,
///     tenant: String,
/// }
///
/// #[requires(scope = "reports:read")]
/// async fn report(claims: Claims<MyClaims>) -> HttpResponse {
///     HttpResponse::Ok().body(format!("{} of {}", claims.sub, claims.tenant))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Claims<T>(pub T);

impl<T> Claims<T> {
    /// The claims.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Claims<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromPrincipal for Claims<T> {
    fn from_principal(principal: &Arc<Principal>) -> Result<Self, Refusal> {
        T::deserialize(principal.claims())
            .map(Claims)
            .map_err(|_| Refusal::Invalid(InvalidReason::ClaimsMismatch))
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Claims<T> {
    type Error = AuthError;
    type Future = Outcome<Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, Requirement::AUTHENTICATED, required::<Self>)
    }
}

/// Optional authentication: `None` when the request has no credentials, the verified value
/// when it has valid ones, and the usual 400/401 when it has invalid ones (CONFORMANCE rows
/// 13, 14).
///
/// actix-web's own `Option<T>` extractor turns every error into `None`, which would let a
/// forged token through as "anonymous"; use this instead (inside `#[requires]` and `#[public]`
/// handlers, `Option<Identity>` and `Option<Claims<T>>` parameters are rewritten to it for
/// you). The app-wide middleware ([`Authenticator::middleware`](crate::Authenticator::middleware),
/// which [`check_app`](crate::check_app) requires) refuses invalid credentials before any
/// handler runs, so a bare `Option<Identity>` behind it is `None` only without credentials.
///
/// ```
/// use actix_web::HttpResponse;
/// use auth_runtime::{Identity, Optional};
///
/// async fn greet(who: Optional<Identity>) -> HttpResponse {
///     match who.into_option() {
///         Some(who) => HttpResponse::Ok().body(format!("hello {}", who.subject().unwrap_or("?"))),
///         None => HttpResponse::Ok().body("hello stranger"),
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Optional<E>(pub Option<E>);

impl<E> Optional<E> {
    /// The value, if credentials were sent.
    pub fn into_option(self) -> Option<E> {
        self.0
    }
}

impl<E> Deref for Optional<E> {
    type Target = Option<E>;

    fn deref(&self) -> &Option<E> {
        &self.0
    }
}

impl<E: FromPrincipal + 'static> FromRequest for Optional<E> {
    type Error = AuthError;
    type Future = Outcome<Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, Requirement::AUTHENTICATED.optional(), optional::<E>)
    }
}

/// A requirement known at compile time, generated by `#[requires]`.
#[doc(hidden)]
pub trait StaticRequirement {
    /// The requirement.
    const REQUIREMENT: Requirement;
}

/// The single extractor of a `#[requires]` handler: authenticates first, and only then runs
/// the handler's own extractors `Args`, so that an unauthenticated request never has its body
/// read.
#[doc(hidden)]
pub struct Guarded<R, Args> {
    /// The handler's own extracted arguments, which the expansion reads directly: a field
    /// costs rustc less to check than a method call in every handler.
    pub args: Args,
    requirement: PhantomData<R>,
}

impl<R: StaticRequirement + 'static, Args: FromRequest + 'static> FromRequest for Guarded<R, Args> {
    type Error = actix_web::Error;
    type Future = GuardedFuture<R, Args>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.extensions().contains::<AppWideRule>() {
            warn_unseen_declaration(req);
        }
        match authenticate(req, R::REQUIREMENT).now() {
            Ok(recording) => GuardedFuture::admit(req, payload, recording),
            // The handler's extractors get the payload only once authentication is done.
            Err(authentication) => GuardedFuture::Authenticating {
                authentication,
                req: req.clone(),
                payload: payload.take(),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Guarded`]: authentication, then the handler's own extractors.
    #[doc(hidden)]
    #[project = GuardedProjection]
    pub enum GuardedFuture<R, Args: FromRequest> {
        /// Authentication failed.
        Refused { error: Option<actix_web::Error> },
        /// Authentication has to wait; the payload is kept for the handler's extractors.
        Authenticating { authentication: Outcome<Recording>, req: HttpRequest, payload: Payload },
        /// Authentication succeeded; the handler's extractors run.
        Extracting { #[pin] args: Args::Future, requirement: PhantomData<R> },
    }
}

impl<R, Args: FromRequest> GuardedFuture<R, Args> {
    /// The state after authentication: the handler's extractors run only if it succeeded.
    fn admit(req: &HttpRequest, payload: &mut Payload, recording: Recording) -> Self {
        match recording {
            Ok(_) => GuardedFuture::Extracting {
                args: Args::from_request(req, payload),
                requirement: PhantomData,
            },
            Err(error) => GuardedFuture::Refused {
                error: Some(error.into()),
            },
        }
    }
}

impl<R: StaticRequirement, Args: FromRequest> Future for GuardedFuture<R, Args> {
    type Output = Result<Guarded<R, Args>, actix_web::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let next = match self.as_mut().project() {
                GuardedProjection::Refused { error } => {
                    let error = error
                        .take()
                        .expect("`GuardedFuture` polled after it completed");
                    return Poll::Ready(Err(error));
                }
                GuardedProjection::Extracting { args, .. } => {
                    return args.poll(cx).map(|result| {
                        result
                            .map(|args| Guarded {
                                args,
                                requirement: PhantomData,
                            })
                            .map_err(Into::into)
                    });
                }
                GuardedProjection::Authenticating {
                    authentication,
                    req,
                    payload,
                } => {
                    let recording = std::task::ready!(Pin::new(authentication).poll(cx));
                    GuardedFuture::admit(req, payload, recording)
                }
            };
            self.set(next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_reads_as_the_option_it_holds() {
        let present = Optional(Some("alice"));
        assert_eq!(*present, Some("alice"));
        assert_eq!(present.into_option(), Some("alice"));
        let absent: Optional<&str> = Optional(None);
        assert!(absent.is_none());
        assert_eq!(absent.into_option(), None);
    }
}
