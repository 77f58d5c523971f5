//! The configured authenticator and the authentication of one request: which accepted scheme's
//! credentials are present, their verification, then scopes, roles, the authentication context
//! (step-up) and the policy, every decision logged. The builder is in `authenticator/builder.rs`.

pub(crate) mod builder;

use std::fmt;
use std::sync::Arc;

use actix_web::web::{self, ServiceConfig};
use actix_web::HttpRequest;

use crate::bearer::introspection::Introspector;
use crate::bearer::token_cache::{CacheStats, TokenCache};
use crate::clock;
use crate::custom::PrincipalCache;
use crate::dpop::settings::{Accepted, DpopMode};
use crate::hierarchy::ScopeHierarchy;
use crate::http::authorization::{authorization_header, Authorization};
use crate::http::refusal::{Refusal, StepUp, StepUpReason};
use crate::http::response::{AuthError, BodyBuilder, Endpoint};
use crate::mechanism::{Registry, Verification};
use crate::outcome::Outcome;
use crate::principal::Principal;
use crate::requirement::{PolicyDecision, Requirement};
use crate::resource::ResourceMetadata;
use crate::revocation::deny_list::{DenyList, Revocation};
use crate::revocation::store::{RevocationStore, ShareFuture};
use crate::scheme::Scheme;
use crate::telemetry::{self, CredentialFacts, Decisions};

/// The result of authenticating a request: the principal, `None` when credentials are
/// optional and absent, or the refusal.
pub(crate) type Authenticated = Result<Option<Arc<Principal>>, AuthError>;

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

/// What the builder configured.
pub(crate) struct Inner {
    pub(crate) realm: String,
    /// Every configured scheme, in configuration order.
    pub(crate) registry: Registry,
    pub(crate) error_body: Option<BodyBuilder>,
    /// The Bearer mechanism's verified-token cache, for statistics and evictions.
    pub(crate) token_cache: Option<Arc<TokenCache>>,
    /// The DPoP mechanism's verified-token cache, for statistics and evictions.
    pub(crate) dpop_cache: Option<Arc<TokenCache>>,
    /// Which endpoints accept DPoP.
    pub(crate) dpop_mode: DpopMode,
    /// Routes without a declaration are refused without credentials (`deny_by_default`).
    pub(crate) deny_by_default: bool,
    /// Full patterns the app-wide middleware leaves open (`public_route`).
    pub(crate) public_routes: Vec<String>,
    /// The scopes broader scopes imply.
    pub(crate) hierarchy: Arc<ScopeHierarchy>,
    /// Seconds of clock skew tolerated on `max_age`, as on `exp` and `nbf`.
    pub(crate) leeway: u64,
    /// Step-up refusals are answered 403 instead of 401.
    pub(crate) step_up_forbidden: bool,
    /// The protected resource's metadata (RFC 9728), when one is configured.
    pub(crate) resource: Option<ResourceMetadata>,
    /// The decision counters of the configured schemes.
    pub(crate) decisions: Decisions,
    /// The credential caches of application schemes that opted in, for evictions.
    pub(crate) credential_caches: Vec<Arc<PrincipalCache>>,
    /// The Bearer mechanism's introspector, if configured, for evictions.
    pub(crate) introspector: Option<Introspector>,
    pub(crate) revocations: Revocations,
}

/// The revocations of an authenticator: its deny-list and the store that shares it.
pub(crate) struct Revocations {
    pub(crate) list: DenyList,
    pub(crate) store: Arc<dyn RevocationStore>,
    /// Seconds a revocation is kept when the expiry of its tokens is unknown.
    pub(crate) retention: u64,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("realm", &self.inner.realm)
            .field("schemes", &self.schemes())
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    pub(crate) fn from_inner(inner: Inner) -> Self {
        Authenticator {
            inner: Arc::new(inner),
        }
    }

    /// A `configure` helper that registers this authenticator as app data:
    /// `App::new().configure(auth.configure())`.
    ///
    /// With a [protected resource](crate::AuthenticatorBuilder::protected_resource), it also
    /// serves its metadata (RFC 9728 §3) at [`resource_metadata_paths`](Self::resource_metadata_paths):
    /// `GET` answers `200` with the `application/json` document and `Cache-Control: public,
    /// max-age=3600`, and never asks for credentials.
    pub fn configure(&self) -> impl FnOnce(&mut ServiceConfig) {
        let auth = self.clone();
        move |config| {
            if let Some(resource) = &auth.inner.resource {
                resource.register(config);
            }
            config.app_data(auth);
        }
    }

    /// Whether routes without a declaration need credentials
    /// ([`deny_by_default`](crate::AuthenticatorBuilder::deny_by_default)).
    pub fn denies_by_default(&self) -> bool {
        self.inner.deny_by_default
    }

    /// The full patterns the middleware leaves open
    /// ([`public_route`](crate::AuthenticatorBuilder::public_route)).
    pub fn public_routes(&self) -> &[String] {
        &self.inner.public_routes
    }

    /// What the app-wide middleware asks of a route without a declaration: credentials of any
    /// configured scheme, required under `deny_by_default`, else only valid when present.
    pub(crate) fn app_wide_requirement(&self) -> Requirement {
        if self.inner.deny_by_default {
            Requirement::AUTHENTICATED
        } else {
            Requirement::AUTHENTICATED.optional()
        }
    }

    /// Whether `req` carries anything that looks like credentials: an `Authorization` header of
    /// any scheme, or the credentials of a configured scheme found elsewhere (an API-key
    /// header, a custom scheme's cookie).
    #[inline]
    pub(crate) fn carries_credentials(&self, req: &HttpRequest) -> bool {
        req.headers()
            .contains_key(actix_web::http::header::AUTHORIZATION)
            || self.inner.registry.any_present(req)
    }

    /// The configured schemes' mechanisms.
    #[cfg(feature = "openapi")]
    pub(crate) fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The URL of the protected resource's metadata (RFC 9728 §3.1), which every Bearer
    /// challenge names in `resource_metadata` (§5.1); `None` without a protected resource.
    pub fn resource_metadata_url(&self) -> Option<&str> {
        self.inner.resource.as_ref().map(ResourceMetadata::url)
    }

    /// The paths [`configure`](Self::configure) serves the protected resource's metadata at
    /// (`/.well-known/oauth-protected-resource`, and its path-suffixed form when the identifier
    /// has a path); empty without a protected resource. They are plain routes that never ask for
    /// credentials: an option refusing undeclared routes must leave them open.
    pub fn resource_metadata_paths(&self) -> &[String] {
        self.inner
            .resource
            .as_ref()
            .map_or(&[], ResourceMetadata::paths)
    }

    /// The configured realm.
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// The configured schemes, in the order extractors without `#[requires]` try them.
    pub fn schemes(&self) -> &[Scheme] {
        self.inner.registry.schemes()
    }

    /// The authenticator registered for `req`'s application, as `app_data(Authenticator)` or
    /// `app_data(web::Data<Authenticator>)`.
    pub fn of(req: &HttpRequest) -> Option<&Authenticator> {
        req.app_data::<Authenticator>().or_else(|| {
            req.app_data::<web::Data<Authenticator>>()
                .map(|data| data.get_ref())
        })
    }

    /// Hit and miss counts of the verified-token cache (zeros when it is off).
    pub fn cache_stats(&self) -> CacheStats {
        let caches = self.inner.token_cache.iter().chain(&self.inner.dpop_cache);
        caches.fold(CacheStats::default(), |sum, cache| {
            let stats = cache.stats();
            CacheStats {
                hits: sum.hits + stats.hits,
                misses: sum.misses + stats.misses,
                entries: sum.entries + stats.entries,
            }
        })
    }

    /// Drops every cached verification whose principal `evict` selects, so that the next
    /// request with such a token is verified in full (for revocation: a logged-out session, a
    /// disabled user): from the verified-token cache and from the credential caches of
    /// application schemes ([`CustomScheme::credential`](crate::CustomScheme::credential)).
    /// Basic's cache is keyed by the stored password hash, so a changed or removed user never
    /// hits it; [`Passwords::clear`](crate::Passwords::clear) empties it. Cached active
    /// introspection answers of the selected principals are dropped too, so such tokens are
    /// introspected again. (To refuse tokens, on every instance, use
    /// [`revoke`](Self::revoke).)
    ///
    /// ```
    /// # use auth_runtime::{Authenticator, Key};
    /// # let auth = Authenticator::builder().key(Key::hs256(b"an-obviously-fake-secret-of-32-bytes!!").unwrap()).build().unwrap();
    /// auth.evict_cached(|principal| principal.subject() == Some("user-42"));
    /// ```
    pub fn evict_cached(&self, evict: impl Fn(&Principal) -> bool) {
        for cache in self.inner.token_cache.iter().chain(&self.inner.dpop_cache) {
            cache.evict(&evict);
        }
        for cache in &self.inner.credential_caches {
            cache.evict(|principal| evict(principal));
        }
        if let Some(introspector) = &self.inner.introspector {
            introspector.evict(&evict);
        }
    }

    /// Revokes tokens: one by its `jti` or by the token itself, or everything a subject holds
    /// that was issued before a time (see [`Revocation`]). The revocation is in force on this
    /// instance when `revoke` returns, before the future is awaited — the next request with
    /// such a token is refused `401 invalid_token` (CONFORMANCE row 22), even when its
    /// verification is cached — and the future shares it with the other instances through the
    /// [revocation store](crate::AuthenticatorBuilder::revocation_store). If the store cannot
    /// be reached the future fails; the revocation stays in force here and is written to the
    /// store when it is reachable again.
    ///
    /// ```
    /// # use auth_runtime::{Authenticator, Key, Revocation};
    /// # async fn sign_out(auth: &Authenticator, token: &str) {
    /// auth.revoke(Revocation::token(token)).await.expect("shared with every instance");
    /// auth.revoke(Revocation::jti("9f1c6e0a")).await.expect("shared");
    /// let now = std::time::SystemTime::now()
    ///     .duration_since(std::time::UNIX_EPOCH)
    ///     .unwrap()
    ///     .as_secs();
    /// auth.revoke(Revocation::subject("user-42", now)).await.expect("shared");
    /// # }
    /// ```
    pub fn revoke(&self, revocation: Revocation) -> ShareFuture {
        let revocations = &self.inner.revocations;
        let revocation = revocation.with_retention(clock::now(), revocations.retention);
        revocations.list.insert(revocation.clone());
        revocations.store.share(&revocation)
    }

    /// This instance's revocations in force, as every request is checked against them.
    pub fn revocations(&self) -> &DenyList {
        &self.inner.revocations.list
    }

    /// Authenticates `req` against `requirement`, as a `#[requires]` guard does: `Ok(None)` only
    /// when credentials are optional and none were sent. Every decision is logged with its
    /// reason code. (For benchmarks and tests; applications use the attribute.)
    #[doc(hidden)]
    pub async fn authenticate(
        &self,
        req: &HttpRequest,
        requirement: &Requirement,
    ) -> Result<Option<Arc<Principal>>, AuthError> {
        self.begin(req, *requirement).await
    }

    /// Starts authenticating `req` against `requirement`; ready at once whenever nothing needs
    /// to wait (a Bearer token whose key is in memory, and no policy).
    pub(crate) fn begin(
        &self,
        req: &HttpRequest,
        requirement: Requirement,
    ) -> Outcome<Authenticated> {
        let (scheme, verification) = match self.find(req, &requirement) {
            Ok(Some(found)) => found,
            Ok(None) if requirement.is_optional() => {
                return Outcome::ready(Ok(self.allowed(req, None)));
            }
            Ok(None) => return self.refused(req, Refusal::Missing, None, &requirement),
            Err(refusal) => return self.refused(req, refusal, None, &requirement),
        };
        match verification.now() {
            Ok(verified) => self.decide(req, verified, scheme, requirement),
            Err(pending) => {
                let (auth, req) = (self.clone(), req.clone());
                Outcome::pending(async move {
                    let verified = pending.await;
                    auth.decide(&req, verified, scheme, requirement).await
                })
            }
        }
    }

    /// The verification of the first accepted scheme whose credentials the request carries, in
    /// declaration order; failing credentials are that scheme's answer, never another's.
    fn find(
        &self,
        req: &HttpRequest,
        requirement: &Requirement,
    ) -> Result<Option<(Scheme, Verification)>, Refusal> {
        let header = authorization_header(req.headers()).map_err(Refusal::Malformed)?;
        let parsed = header.map(Authorization::parse);
        let authorization = parsed.and_then(Result::ok);
        for &scheme in self.accepted(requirement).iter() {
            let registry = &self.inner.registry;
            if let Some(verification) = registry.authenticate(scheme, req, authorization) {
                return Ok(Some((scheme, verification)));
            }
        }
        match parsed {
            // An Authorization header that is not even `scheme credentials`.
            Some(Err(malformed)) => Err(Refusal::Malformed(malformed)),
            _ => Ok(None),
        }
    }

    /// The schemes `requirement` accepts: its own, or every configured one, as the DPoP mode
    /// widens them.
    fn accepted<'a>(&'a self, requirement: &Requirement) -> Accepted<'a> {
        let declared = match requirement.schemes() {
            [] => self.schemes(),
            schemes => schemes,
        };
        self.inner.dpop_mode.accepted(declared)
    }

    /// The checks after verification: scopes (row 7), roles (row 8), the authentication context
    /// (row 18), then the policy.
    fn decide(
        &self,
        req: &HttpRequest,
        verified: Result<Arc<Principal>, Refusal>,
        scheme: Scheme,
        requirement: Requirement,
    ) -> Outcome<Authenticated> {
        let principal = match verified {
            Ok(principal) => self.inner.hierarchy.close_principal(principal),
            Err(refusal) => return self.refused(req, refusal, Some(scheme), &requirement),
        };
        if let Err(refusal) = self.authorize(&principal, &requirement) {
            let error =
                self.refuse_with(req, refusal, Some(scheme), &requirement, Some(&principal));
            return Outcome::ready(Err(error));
        }
        let Some(policy) = requirement.policy_fn() else {
            return Outcome::ready(Ok(self.allowed(req, Some(principal))));
        };
        let (auth, req) = (self.clone(), req.clone());
        Outcome::pending(async move {
            match policy(Arc::clone(&principal), req.clone()).await {
                PolicyDecision::Allow => Ok(auth.allowed(&req, Some(principal))),
                PolicyDecision::Deny(code) => Err(auth.refuse_with(
                    &req,
                    Refusal::Forbidden(code),
                    Some(scheme),
                    &requirement,
                    Some(&principal),
                )),
            }
        })
    }

    fn refused(
        &self,
        req: &HttpRequest,
        refusal: Refusal,
        failed: Option<Scheme>,
        requirement: &Requirement,
    ) -> Outcome<Authenticated> {
        Outcome::ready(Err(self.refuse(req, refusal, failed, requirement)))
    }

    fn allowed(
        &self,
        req: &HttpRequest,
        principal: Option<Arc<Principal>>,
    ) -> Option<Arc<Principal>> {
        match &principal {
            Some(principal) => {
                self.inner.decisions.allowed(principal.scheme());
                tracing::debug!(
                    target: "auth_runtime",
                    decision = "allowed",
                    scheme = principal.scheme().name(),
                    subject = principal.subject(),
                    path = req.path(),
                    "request authenticated"
                )
            }
            None => {
                self.inner.decisions.anonymous();
                tracing::debug!(
                    target: "auth_runtime",
                    decision = "anonymous",
                    path = req.path(),
                    "no credentials; authentication is optional here"
                )
            }
        }
        principal
    }

    /// Logs `refusal` of credentials of `failed` (if any were presented) and builds its
    /// response for the endpoint of `requirement`: its realm, its schemes.
    pub(crate) fn refuse(
        &self,
        req: &HttpRequest,
        refusal: Refusal,
        failed: Option<Scheme>,
        requirement: &Requirement,
    ) -> AuthError {
        self.refuse_with(req, refusal, failed, requirement, None)
    }

    /// [`refuse`](Self::refuse), knowing the verified `principal` that the scopes, the roles
    /// or the policy refused, if that is why.
    fn refuse_with(
        &self,
        req: &HttpRequest,
        refusal: Refusal,
        failed: Option<Scheme>,
        requirement: &Requirement,
        principal: Option<&Principal>,
    ) -> AuthError {
        self.log_refusal(req, &refusal, failed, requirement, principal);
        telemetry::refused(failed, refusal.reason_code());
        let accepted = self.accepted(requirement);
        let endpoint = Endpoint {
            realm: requirement.realm_override().unwrap_or(&self.inner.realm),
            accepted: &accepted,
            registry: &self.inner.registry,
            body: self.inner.error_body.as_ref(),
            acr_values: requirement.acr_values(),
            max_age: requirement.max_auth_age(),
        };
        AuthError::new(refusal, failed, &endpoint)
    }

    /// The structured event of a refusal: its reason code and, for credentials that were
    /// presented, what they said about themselves and what they lacked, never the credentials.
    /// Missing credentials are routine (debug); a missing configuration or key source is the
    /// operator's problem (error); everything else is info. The facts are gathered only when
    /// the event is recorded.
    fn log_refusal(
        &self,
        req: &HttpRequest,
        refusal: &Refusal,
        failed: Option<Scheme>,
        requirement: &Requirement,
        principal: Option<&Principal>,
    ) {
        let reason = refusal.reason_code();
        let status = refusal.status().as_u16();
        let scheme = failed.map(Scheme::name);
        let path = req.path();
        // One event shape for info and error: the level must be a constant per call site.
        macro_rules! refused {
            ($level:expr, $($message:tt)+) => {{
                let facts = self.refusal_facts(req, failed);
                let missing = match (refusal, principal) {
                    (Refusal::InsufficientScope(required), Some(principal)) => {
                        Some(required.missing_from(principal.scopes()).join(" "))
                    }
                    _ => None,
                };
                let missing_roles = match (refusal, requirement.role_expr(), principal) {
                    (Refusal::Forbidden("missing_role"), Some(roles), Some(principal)) => {
                        Some(roles.missing_from(principal.roles()).join(" "))
                    }
                    _ => None,
                };
                let (acr_values, max_age) = match refusal {
                    Refusal::InsufficientUserAuthentication(_) => (
                        Some(requirement.acr_values().join(" ")),
                        requirement.max_auth_age(),
                    ),
                    _ => (None, None),
                };
                tracing::event!(
                    target: "auth_runtime", $level, decision = "refused", reason, status,
                    scheme, path, missing = missing.as_deref(),
                    missing_roles = missing_roles.as_deref(),
                    acr_values = acr_values.as_deref(), max_age,
                    token.alg = facts.alg.as_deref(), token.kid = facts.kid.as_deref(),
                    token.typ = facts.typ.as_deref(), token.iss = facts.iss.as_deref(),
                    token.aud = facts.aud.as_deref(), token.exp_in_secs = facts.exp_in_secs,
                    token.nbf_in_secs = facts.nbf_in_secs, $($message)+
                );
            }};
        }
        match refusal {
            Refusal::Missing => tracing::debug!(
                target: "auth_runtime", decision = "refused", reason, status, scheme, path,
                "request refused"
            ),
            Refusal::NotConfigured => tracing::error!(
                target: "auth_runtime", decision = "refused", reason, status, scheme, path,
                "the endpoint accepts the {} scheme but the `Authenticator` has no verifier for \
                 it: configure it on `Authenticator::builder()` (`.key(..)` for Bearer, \
                 `.basic(..)`, `.api_keys(..)`, `.custom_scheme(..)`)",
                scheme.unwrap_or("requested")
            ),
            Refusal::KeysUnavailable => {
                if tracing::enabled!(target: "auth_runtime", tracing::Level::ERROR) {
                    refused!(
                        tracing::Level::ERROR,
                        "no usable verification key: the key source is unreachable"
                    );
                }
            }
            Refusal::IntrospectionUnavailable => tracing::error!(
                target: "auth_runtime", decision = "refused", reason, status, scheme, path,
                "the token must be introspected and the introspection endpoint is unavailable"
            ),
            Refusal::RevocationsUnavailable => tracing::error!(
                target: "auth_runtime", decision = "refused", reason, status, scheme, path,
                "the revocation store has been unreachable for longer than the configured limit"
            ),
            Refusal::ReplaysUnavailable => tracing::error!(
                target: "auth_runtime", decision = "refused", reason, status, scheme, path,
                "the DPoP replay cache cannot be reached: proofs are refused until it answers"
            ),
            // A flood (or too small a queue or cache): the operator should know, but nothing
            // is broken.
            Refusal::Overloaded if failed == Some(Scheme::DPoP) => tracing::warn!(
                target: "auth_runtime", decision = "refused", reason, status, scheme, path,
                "the DPoP replay cache is full of proofs still inside their window: answered 503 \
                 (raise its capacity, `MemoryReplayCache::new`, or share one in Redis)"
            ),
            Refusal::Overloaded => tracing::warn!(
                target: "auth_runtime", decision = "refused", reason, status, scheme, path,
                "too many credentials waiting for the password hash: answered 503"
            ),
            _ => {
                if tracing::enabled!(target: "auth_runtime", tracing::Level::INFO) {
                    refused!(tracing::Level::INFO, "request refused");
                }
            }
        }
    }

    /// What the credentials of `failed` in `req` say about themselves; nothing when none of
    /// an accepted scheme were presented.
    fn refusal_facts(&self, req: &HttpRequest, failed: Option<Scheme>) -> CredentialFacts {
        let Some(scheme) = failed else {
            return CredentialFacts::default();
        };
        let header = authorization_header(req.headers()).ok().flatten();
        let authorization = header.and_then(|header| Authorization::parse(header).ok());
        self.inner
            .registry
            .refusal_facts(scheme, req, authorization)
    }
}

impl Authenticator {
    /// The synchronous authorization checks, on the principal with its scopes closed under the
    /// scope hierarchy: scopes (row 7), roles (row 8), then the authentication context (row 18).
    /// A new login cannot give a missing role, and a client that lacks a scope asks for it in the
    /// same new authorization it would step up with: refusals a step-up cannot fix come first.
    fn authorize(&self, principal: &Principal, requirement: &Requirement) -> Result<(), Refusal> {
        if let Some(scope) = requirement.scope_expr() {
            if !scope.is_satisfied_by(principal.scopes()) {
                return Err(Refusal::InsufficientScope(*scope));
            }
        }
        if let Some(roles) = requirement.role_expr() {
            if !roles.is_satisfied_by(principal.roles()) {
                return Err(Refusal::Forbidden("missing_role"));
            }
        }
        self.check_authentication(principal, requirement)
    }

    /// RFC 9470: the user authenticated with an accepted `acr`, at most `max_age` seconds ago
    /// (plus the clock leeway, as on `exp`). The clock is read only for a `max_age`.
    fn check_authentication(
        &self,
        principal: &Principal,
        requirement: &Requirement,
    ) -> Result<(), Refusal> {
        let (acr_values, max_age) = (requirement.acr_values(), requirement.max_auth_age());
        let accepted_acr = |acr: &str| acr_values.contains(&acr);
        let reason = if !acr_values.is_empty() && !principal.acr().is_some_and(accepted_acr) {
            StepUpReason::AcrNotAccepted
        } else if let Some(max_age) = max_age {
            match principal.auth_time() {
                None => StepUpReason::AuthTimeMissing,
                Some(auth_time)
                    if clock::now().saturating_sub(auth_time)
                        > max_age.saturating_add(self.inner.leeway) =>
                {
                    StepUpReason::AuthenticationTooOld
                }
                Some(_) => return Ok(()),
            }
        } else {
            return Ok(());
        };
        let forbidden = self.inner.step_up_forbidden;
        let step_up = StepUp::new(reason, forbidden);
        Err(Refusal::InsufficientUserAuthentication(step_up))
    }
}

/// The refusal of a request whose handler needs authentication in an application that has no
/// [`Authenticator`]: a 500 and an error-level log line saying what to add.
pub(crate) fn not_configured(req: &HttpRequest) -> AuthError {
    telemetry::refused(None, Refusal::NotConfigured.reason_code());
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
    AuthError::new(Refusal::NotConfigured, None, &Endpoint::UNCONFIGURED)
}
