//! The configured authenticator and the authentication of one request.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::http::header::HeaderName;
use actix_web::web::{self, ServiceConfig};
use actix_web::HttpRequest;

use crate::api_key::{self, ApiKeyVerifier};
use crate::authorization::{self, Authorization, Malformed};
use crate::basic::{self, BasicCredentials, BasicVerifier};
use crate::challenge::Challenge;
use crate::config::AuthenticatorBuilder;
use crate::jwt::{JwtVerifier, Verification};
use crate::principal::Principal;
use crate::refusal::{AuthError, BodyBuilder, Refusal};
use crate::requirement::{PolicyDecision, Requirement, Scheme};
use crate::scheme::CustomScheme;
use crate::token_cache::{CacheStats, TokenCache};

pub(crate) type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// The result of authenticating a request: the principal, `None` when credentials are
/// optional and absent, or the refusal.
pub(crate) type Authenticated = Result<Option<Arc<Principal>>, AuthError>;

/// Authentication that either finished synchronously (the common case: a Bearer token checked
/// against keys in memory) or needs to wait (a password hash, a store lookup, a key fetch).
pub(crate) enum Progress {
    Done(Authenticated),
    Pending(LocalFuture<Authenticated>),
}

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
    pub(crate) jwt: Option<JwtVerifier>,
    pub(crate) basic: Option<Arc<dyn ErasedBasic>>,
    pub(crate) api_keys: Option<Arc<dyn ErasedApiKey>>,
    pub(crate) api_key_header: HeaderName,
    pub(crate) custom: Vec<Arc<dyn ErasedCustom>>,
    /// Every configured scheme, in a fixed order: what extractors without `#[requires]` accept.
    pub(crate) configured: Vec<Scheme>,
    pub(crate) error_body: Option<BodyBuilder>,
    pub(crate) token_cache: Option<TokenCache>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("realm", &self.inner.realm)
            .field("schemes", &self.inner.configured)
            .finish_non_exhaustive()
    }
}

/// A refusal and the scheme whose credentials caused it.
struct Failure {
    refusal: Refusal,
    scheme: Option<Scheme>,
}

impl Failure {
    fn new(refusal: Refusal, scheme: Option<Scheme>) -> Self {
        Failure { refusal, scheme }
    }
}

/// Credentials found in a request, borrowed from it.
enum Presented<'r> {
    /// The credentials as sent; `verify_bearer` checks their syntax.
    Bearer(&'r [u8]),
    Basic(BasicCredentials),
    ApiKey(&'r str),
    Custom(Arc<dyn ErasedCustom>),
}

impl Presented<'_> {
    fn into_owned(self) -> Owned {
        match self {
            Presented::Bearer(token) => Owned::Bearer(token.into()),
            Presented::Basic(credentials) => Owned::Basic(credentials),
            Presented::ApiKey(key) => Owned::ApiKey(key.to_owned()),
            Presented::Custom(scheme) => Owned::Custom(scheme),
        }
    }
}

/// A Bearer verification that finished, or that waits for the key source.
enum BearerVerification {
    Done(Result<Arc<Principal>, Failure>),
    Pending(LocalFuture<Result<Arc<Principal>, Failure>>),
}

/// [`Presented`] for the asynchronous path.
enum Owned {
    Bearer(Box<[u8]>),
    Basic(BasicCredentials),
    ApiKey(String),
    Custom(Arc<dyn ErasedCustom>),
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

    /// The configured schemes, in the order extractors without `#[requires]` try them.
    pub fn schemes(&self) -> &[Scheme] {
        &self.inner.configured
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
        match &self.inner.jwt {
            Some(jwt) => jwt.verify(token),
            None => Err(Refusal::NotConfigured),
        }
    }

    /// Authenticates `req` against `requirement`: `Ok(None)` only when credentials are
    /// optional and none were sent. Every decision is logged with its reason code.
    pub async fn authenticate(
        &self,
        req: &HttpRequest,
        requirement: &Requirement,
    ) -> Result<Option<Arc<Principal>>, AuthError> {
        match self.begin(req, *requirement) {
            Progress::Done(result) => result,
            Progress::Pending(future) => future.await,
        }
    }

    /// Starts authenticating; finishes synchronously whenever nothing needs to wait.
    pub(crate) fn begin(&self, req: &HttpRequest, requirement: Requirement) -> Progress {
        let presented = match self.identify(req, &requirement) {
            Ok(Some(presented)) => presented,
            Ok(None) if requirement.is_optional() => {
                return Progress::Done(Ok(self.allowed(req, None)));
            }
            Ok(None) => {
                let failure = Failure::new(Refusal::Missing, None);
                return Progress::Done(Err(self.refuse_failure(req, failure, &requirement)));
            }
            Err(failure) => {
                return Progress::Done(Err(self.refuse_failure(req, failure, &requirement)))
            }
        };
        if let (Presented::Bearer(token), None) = (&presented, requirement.policy_fn()) {
            return match self.verify_bearer(token) {
                BearerVerification::Done(result) => {
                    let result = result
                        .and_then(|principal| authorize(principal, &requirement, Scheme::Bearer));
                    Progress::Done(self.finish(req, result, &requirement))
                }
                // The key may come from the key source: wait for its fetch.
                BearerVerification::Pending(verification) => {
                    let auth = self.clone();
                    let req = req.clone();
                    Progress::Pending(Box::pin(async move {
                        let result = verification.await.and_then(|principal| {
                            authorize(principal, &requirement, Scheme::Bearer)
                        });
                        auth.finish(&req, result, &requirement)
                    }))
                }
            };
        }
        let auth = self.clone();
        let req = req.clone();
        let presented = presented.into_owned();
        Progress::Pending(Box::pin(async move {
            let result = auth.verify_owned(&req, presented).await;
            let result = match result {
                Ok(principal) => auth.authorize_async(principal, &req, &requirement).await,
                Err(failure) => Err(failure),
            };
            auth.finish(&req, result, &requirement)
        }))
    }

    /// The credentials of the first accepted scheme present in the request.
    fn identify<'r>(
        &self,
        req: &'r HttpRequest,
        requirement: &Requirement,
    ) -> Result<Option<Presented<'r>>, Failure> {
        let header = authorization::authorization_header(req.headers())
            .map_err(|malformed| Failure::new(Refusal::Malformed(malformed), None))?;
        let parsed = header.map(Authorization::parse);
        let authorization = match parsed {
            Some(Ok(authorization)) => Some(authorization),
            _ => None,
        };
        for &scheme in self.accepted(requirement) {
            match scheme {
                Scheme::Bearer => {
                    let Some(authorization) = authorization.filter(|a| a.is_scheme("Bearer"))
                    else {
                        continue;
                    };
                    let malformed = |m| Failure::new(Refusal::Malformed(m), Some(Scheme::Bearer));
                    if authorization::query_has_access_token(req.query_string()) {
                        return Err(malformed(Malformed::Repeated));
                    }
                    // The b64token syntax is checked by `verify_bearer`, after the cache.
                    return authorization
                        .bearer_credentials()
                        .map(|token| Some(Presented::Bearer(token)))
                        .map_err(malformed);
                }
                Scheme::Basic => {
                    let Some(authorization) = authorization.filter(|a| a.is_scheme("Basic")) else {
                        continue;
                    };
                    return basic::decode(authorization.credentials())
                        .map(|credentials| Some(Presented::Basic(credentials)))
                        .map_err(|_| Failure::new(Refusal::Rejected, Some(Scheme::Basic)));
                }
                Scheme::ApiKey => {
                    if let Some(key) = self.api_key(req, authorization)? {
                        return Ok(Some(Presented::ApiKey(key)));
                    }
                }
                Scheme::Custom(name) => {
                    let custom = self
                        .inner
                        .custom
                        .iter()
                        .find(|custom| custom.name() == name)
                        .ok_or_else(|| Failure::new(Refusal::NotConfigured, Some(scheme)))?;
                    if custom.is_present(req) {
                        return Ok(Some(Presented::Custom(Arc::clone(custom))));
                    }
                }
            }
        }
        match parsed {
            // An Authorization header that is not even `scheme credentials`.
            Some(Err(malformed)) => Err(Failure::new(Refusal::Malformed(malformed), None)),
            _ => Ok(None),
        }
    }

    /// The API key from the configured header or `Authorization: ApiKey <key>`; sent twice,
    /// or not a visible-ASCII key, it is rejected.
    fn api_key<'r>(
        &self,
        req: &'r HttpRequest,
        authorization: Option<Authorization<'r>>,
    ) -> Result<Option<&'r str>, Failure> {
        let rejected = || Failure::new(Refusal::Rejected, Some(Scheme::ApiKey));
        let mut from_header = req.headers().get_all(&self.inner.api_key_header);
        let header = from_header.next();
        let from_authorization = authorization.filter(|a| a.is_scheme("ApiKey"));
        let bytes = match (header, from_authorization) {
            (None, None) => return Ok(None),
            (Some(value), None) if from_header.next().is_none() => value.as_bytes(),
            (None, Some(authorization)) => authorization.credentials(),
            _ => return Err(rejected()),
        };
        match std::str::from_utf8(bytes) {
            Ok(key) if api_key::is_valid_key(key) => Ok(Some(key)),
            _ => Err(rejected()),
        }
    }

    fn accepted<'a>(&'a self, requirement: &Requirement) -> &'a [Scheme] {
        match requirement.schemes() {
            [] => &self.inner.configured,
            schemes => schemes,
        }
    }

    /// The one place a Bearer token is verified: synchronously when its key is in memory,
    /// otherwise after the key source was asked (see `JwtVerifier::verify_or_fetch`).
    ///
    /// A token verified before is served from the verified-token cache when it is the exact
    /// same token, still within `exp`/`nbf`, younger than the cache's maximum age, and its key
    /// is still in the key set.
    fn verify_bearer(&self, token: &[u8]) -> BearerVerification {
        let failure = |refusal| Failure::new(refusal, Some(Scheme::Bearer));
        let jwt = self.inner.jwt.as_ref();
        let now = unix_now();
        if let (Some(cache), Some(jwt)) = (&self.inner.token_cache, jwt) {
            if let Some(principal) = cache.get(token, now, |key| jwt.holds_key(key)) {
                return BearerVerification::Done(Ok(principal));
            }
        }
        // Only a token that passed this check can be in the cache, so a hit skips it.
        let token = match authorization::check_b64token(token) {
            Ok(token) => token,
            Err(malformed) => {
                return BearerVerification::Done(Err(failure(Refusal::Malformed(malformed))))
            }
        };
        let Some(jwt) = jwt else {
            return BearerVerification::Done(Err(failure(Refusal::NotConfigured)));
        };
        match jwt.verify_or_fetch(token) {
            Verification::Done(result) => BearerVerification::Done(
                result
                    .map(|p| self.remember(token, p, now))
                    .map_err(failure),
            ),
            Verification::Pending(verification) => {
                let auth = self.clone();
                let token = token.to_owned();
                BearerVerification::Pending(Box::pin(async move {
                    let result = verification.await;
                    result
                        .map(|principal| auth.remember(&token, principal, unix_now()))
                        .map_err(failure)
                }))
            }
        }
    }

    /// Puts a freshly verified token in the cache.
    fn remember(&self, token: &str, principal: Principal, now: u64) -> Arc<Principal> {
        let principal = Arc::new(principal);
        if let (Some(cache), Some(key)) = (&self.inner.token_cache, principal.key_fingerprint()) {
            let jwt = self.inner.jwt.as_ref();
            // Asked only when the cache sweeps: one snapshot of the key set for every entry.
            let current_keys = || {
                let keys = jwt.map(JwtVerifier::current_keys);
                move |key| keys.as_ref().is_some_and(|keys| keys.holds(key))
            };
            cache.insert(token, Arc::clone(&principal), key, now, current_keys);
        }
        principal
    }

    /// Hit and miss counts of the verified-token cache (zeros when it is off).
    pub fn cache_stats(&self) -> CacheStats {
        self.inner
            .token_cache
            .as_ref()
            .map(TokenCache::stats)
            .unwrap_or_default()
    }

    /// Drops every cached verification whose principal `evict` selects, so that the next
    /// request with such a token is verified in full (for revocation: a logged-out session, a
    /// disabled user).
    ///
    /// ```
    /// # use auth_runtime::{Authenticator, Key};
    /// # let auth = Authenticator::builder().key(Key::hs256(b"an-obviously-fake-secret-of-32-bytes!!").unwrap()).build().unwrap();
    /// auth.evict_cached(|principal| principal.subject() == Some("user-42"));
    /// ```
    pub fn evict_cached(&self, evict: impl Fn(&Principal) -> bool) {
        if let Some(cache) = &self.inner.token_cache {
            cache.evict(evict);
        }
    }

    async fn verify_owned(
        &self,
        req: &HttpRequest,
        presented: Owned,
    ) -> Result<Arc<Principal>, Failure> {
        let not_configured = |scheme| Failure::new(Refusal::NotConfigured, Some(scheme));
        let rejected = |scheme| Failure::new(Refusal::Rejected, Some(scheme));
        match presented {
            Owned::Bearer(token) => match self.verify_bearer(&token) {
                BearerVerification::Done(result) => result,
                BearerVerification::Pending(verification) => verification.await,
            },
            Owned::Basic(credentials) => {
                let verifier = self.inner.basic.as_ref();
                let verifier = verifier.ok_or_else(|| not_configured(Scheme::Basic))?;
                let verification = verifier.verify(credentials, req.clone());
                verification
                    .await
                    .map(Arc::new)
                    .ok_or_else(|| rejected(Scheme::Basic))
            }
            Owned::ApiKey(key) => {
                let verifier = self.inner.api_keys.as_ref();
                let verifier = verifier.ok_or_else(|| not_configured(Scheme::ApiKey))?;
                let verification = verifier.verify(key, req.clone());
                verification
                    .await
                    .map(Arc::new)
                    .ok_or_else(|| rejected(Scheme::ApiKey))
            }
            Owned::Custom(custom) => {
                let scheme = Scheme::Custom(custom.name());
                custom
                    .verify(req.clone())
                    .await
                    .map(Arc::new)
                    .map_err(|refusal| Failure::new(refusal, Some(scheme)))
            }
        }
    }

    async fn authorize_async(
        &self,
        principal: Arc<Principal>,
        req: &HttpRequest,
        requirement: &Requirement,
    ) -> Result<Arc<Principal>, Failure> {
        let scheme = principal.scheme();
        let principal = authorize(principal, requirement, scheme)?;
        let Some(policy) = requirement.policy_fn() else {
            return Ok(principal);
        };
        match policy(Arc::clone(&principal), req.clone()).await {
            PolicyDecision::Allow => Ok(principal),
            PolicyDecision::Deny(code) => Err(Failure::new(Refusal::Forbidden(code), Some(scheme))),
        }
    }

    fn finish(
        &self,
        req: &HttpRequest,
        result: Result<Arc<Principal>, Failure>,
        requirement: &Requirement,
    ) -> Authenticated {
        match result {
            Ok(principal) => Ok(self.allowed(req, Some(principal))),
            Err(failure) => Err(self.refuse_failure(req, failure, requirement)),
        }
    }

    fn allowed(
        &self,
        req: &HttpRequest,
        principal: Option<Arc<Principal>>,
    ) -> Option<Arc<Principal>> {
        match &principal {
            Some(principal) => tracing::debug!(
                target: "auth_runtime",
                decision = "allowed",
                scheme = principal.scheme().name(),
                subject = principal.subject(),
                path = req.path(),
                "request authenticated"
            ),
            None => tracing::debug!(
                target: "auth_runtime",
                decision = "anonymous",
                path = req.path(),
                "no credentials; authentication is optional here"
            ),
        }
        principal
    }

    /// Logs `refusal` and builds its response for `requirement`'s realm and schemes.
    pub(crate) fn refuse(
        &self,
        req: &HttpRequest,
        refusal: Refusal,
        requirement: &Requirement,
    ) -> AuthError {
        self.refuse_failure(req, Failure::new(refusal, None), requirement)
    }

    fn refuse_failure(
        &self,
        req: &HttpRequest,
        failure: Failure,
        requirement: &Requirement,
    ) -> AuthError {
        let Failure { refusal, scheme } = failure;
        let reason = refusal.reason_code();
        let status = refusal.status().as_u16();
        let scheme_name = scheme.map(Scheme::name);
        match refusal {
            Refusal::Missing => tracing::debug!(
                target: "auth_runtime", decision = "refused", reason, status,
                scheme = scheme_name, path = req.path(), "request refused"
            ),
            Refusal::InsufficientScope(required) => tracing::info!(
                target: "auth_runtime", decision = "refused", reason, status,
                scheme = scheme_name, path = req.path(),
                required = ?required.smallest_satisfying_set(), "request refused"
            ),
            Refusal::NotConfigured => tracing::error!(
                target: "auth_runtime", decision = "refused", reason, status,
                scheme = scheme_name, path = req.path(),
                "the endpoint accepts the {} scheme but the `Authenticator` has no verifier for \
                 it: configure it on `Authenticator::builder()` (`.key(..)` for Bearer, \
                 `.basic(..)`, `.api_keys(..)`, `.custom_scheme(..)`)",
                scheme_name.unwrap_or("requested")
            ),
            Refusal::KeysUnavailable => tracing::error!(
                target: "auth_runtime", decision = "refused", reason, status,
                scheme = scheme_name, path = req.path(),
                "no usable verification key: the key source is unreachable"
            ),
            _ => tracing::info!(
                target: "auth_runtime", decision = "refused", reason, status,
                scheme = scheme_name, path = req.path(), "request refused"
            ),
        }
        // 400 `invalid_request` is Bearer's (RFC 6750 §3.1); other schemes answer malformed
        // credentials like any other failure (rows 10, 11).
        let refusal = match refusal {
            Refusal::Malformed(_) if !self.accepted(requirement).contains(&Scheme::Bearer) => {
                Refusal::Rejected
            }
            refusal => refusal,
        };
        let realm = requirement.realm_override().unwrap_or(&self.inner.realm);
        let challenge = |scheme: Scheme, realm: &str| self.challenge(scheme, realm);
        AuthError::new(
            refusal,
            scheme,
            self.accepted(requirement),
            realm,
            &challenge,
            self.inner.error_body.as_ref(),
        )
    }

    /// The bare challenge of `scheme`.
    fn challenge(&self, scheme: Scheme, realm: &str) -> Challenge {
        match scheme {
            // RFC 7617 §2.1: the only allowed charset value is "UTF-8".
            Scheme::Basic => Challenge::new("Basic", realm).param("charset", "UTF-8"),
            Scheme::Custom(name) => match self.inner.custom.iter().find(|c| c.name() == name) {
                Some(custom) => custom.challenge(realm),
                None => Challenge::new(name, realm),
            },
            scheme => Challenge::new(scheme.name(), realm),
        }
    }
}

/// The synchronous authorization checks: scopes (row 7), then roles (row 8).
fn authorize(
    principal: Arc<Principal>,
    requirement: &Requirement,
    scheme: Scheme,
) -> Result<Arc<Principal>, Failure> {
    if let Some(scope) = requirement.scope_expr() {
        if !scope.is_satisfied_by(principal.scopes()) {
            return Err(Failure::new(
                Refusal::InsufficientScope(scope),
                Some(scheme),
            ));
        }
    }
    if let Some(roles) = requirement.role_expr() {
        if !roles.is_satisfied_by(principal.roles()) {
            return Err(Failure::new(
                Refusal::Forbidden("missing_role"),
                Some(scheme),
            ));
        }
    }
    Ok(principal)
}

/// Seconds since the Unix epoch (0 if the clock is before it).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
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
    let challenge = |scheme: Scheme, realm: &str| Challenge::new(scheme.name(), realm);
    AuthError::new(Refusal::NotConfigured, None, &[], "", &challenge, None)
}

// Object-safe adapters of the application's verifier traits.

pub(crate) trait ErasedBasic: Send + Sync {
    fn verify(
        &self,
        credentials: BasicCredentials,
        req: HttpRequest,
    ) -> LocalFuture<Option<Principal>>;
}

impl<T: BasicVerifier> ErasedBasic for Arc<T> {
    fn verify(
        &self,
        credentials: BasicCredentials,
        req: HttpRequest,
    ) -> LocalFuture<Option<Principal>> {
        let verifier = Arc::clone(self);
        Box::pin(async move { BasicVerifier::verify(&*verifier, &credentials, &req).await })
    }
}

pub(crate) trait ErasedApiKey: Send + Sync {
    fn verify(&self, key: String, req: HttpRequest) -> LocalFuture<Option<Principal>>;
}

impl<T: ApiKeyVerifier> ErasedApiKey for Arc<T> {
    fn verify(&self, key: String, req: HttpRequest) -> LocalFuture<Option<Principal>> {
        let verifier = Arc::clone(self);
        Box::pin(async move { ApiKeyVerifier::verify(&*verifier, &key, &req).await })
    }
}

pub(crate) trait ErasedCustom: Send + Sync {
    fn name(&self) -> &'static str;
    fn is_present(&self, req: &HttpRequest) -> bool;
    fn verify(&self, req: HttpRequest) -> LocalFuture<Result<Principal, Refusal>>;
    fn challenge(&self, realm: &str) -> Challenge;
}

impl<T: CustomScheme> ErasedCustom for Arc<T> {
    fn name(&self) -> &'static str {
        T::NAME
    }

    fn is_present(&self, req: &HttpRequest) -> bool {
        CustomScheme::is_present(&**self, req)
    }

    fn verify(&self, req: HttpRequest) -> LocalFuture<Result<Principal, Refusal>> {
        let scheme = Arc::clone(self);
        Box::pin(async move { CustomScheme::verify(&*scheme, &req).await })
    }

    fn challenge(&self, realm: &str) -> Challenge {
        CustomScheme::challenge(&**self, realm)
    }
}
