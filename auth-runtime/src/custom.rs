//! Application-defined authentication schemes: the [`CustomScheme`] trait, and the mechanism
//! that registers one, with its verified-credential cache for schemes that opt in.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

use actix_web::HttpRequest;

use crate::credential_cache::{CredentialCache, CredentialCacheConfig};
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

    /// Opts into the verified-credential cache: the bytes of `req` that make up its credential
    /// (a cookie's value, a header's value, …), or `None` to verify it in full. Default:
    /// `None`, no caching.
    ///
    /// When this returns bytes, a credential that [`verify`](Self::verify) accepted is served
    /// from the cache for [`CredentialCacheConfig::max_age`] (set with
    /// [`AuthenticatorBuilder::credential_cache`](crate::AuthenticatorBuilder::credential_cache)),
    /// without calling `verify`: worth it when `verify` is slow (a password hash, a network
    /// call). The bytes must hold **everything `verify` reads**: two requests with the same
    /// bytes must verify alike, since the second gets the first one's principal. Refusals are
    /// never cached. The cache keeps an HMAC-SHA-256 tag of the bytes under a random key, not
    /// the bytes; a revoked credential stays accepted until its entry ages out or
    /// [`Authenticator::evict_cached`](crate::Authenticator::evict_cached) drops it.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// # use actix_web::HttpRequest;
    /// # use auth_runtime::{CustomScheme, Principal, Refusal, Scheme};
    /// # struct SignedHeader;
    /// impl CustomScheme for SignedHeader {
    ///     const NAME: &'static str = "Signed";
    /// #   fn is_present(&self, req: &HttpRequest) -> bool { req.headers().contains_key("x-signed") }
    /// #   async fn verify(&self, _: &HttpRequest) -> Result<Principal, Refusal> { Err(Refusal::Rejected) }
    ///     // is_present and verify as usual; verify reads only the `X-Signed` header.
    ///     fn credential<'r>(&self, req: &'r HttpRequest) -> Option<Cow<'r, [u8]>> {
    ///         req.headers().get("x-signed").map(|value| Cow::Borrowed(value.as_bytes()))
    ///     }
    /// }
    /// ```
    fn credential<'r>(&self, req: &'r HttpRequest) -> Option<Cow<'r, [u8]>> {
        let _ = req;
        None
    }
}

/// The verified-credential cache of an application scheme: principals by credential tag.
pub(crate) type PrincipalCache = CredentialCache<Arc<Principal>>;

/// The mechanism of an application scheme `S`.
pub(crate) struct Custom<S> {
    scheme: Arc<S>,
    cache: Option<Arc<PrincipalCache>>,
}

impl<S> Custom<S> {
    /// The mechanism of `scheme`, with a cache as `config` says for the credentials it names.
    pub(crate) fn new(scheme: S, config: &CredentialCacheConfig) -> Self {
        Custom {
            scheme: Arc::new(scheme),
            cache: CredentialCache::new(config).map(Arc::new),
        }
    }

    /// Its cache, for evictions.
    pub(crate) fn cache(&self) -> Option<&Arc<PrincipalCache>> {
        self.cache.as_ref()
    }
}

impl<S: CustomScheme> Mechanism for Custom<S> {
    /// The scheme reads its own credentials when it verifies them; the bytes it names for the
    /// cache, if it opted in.
    type Credentials<'r> = Option<Cow<'r, [u8]>>;

    fn scheme(&self) -> Scheme {
        Scheme::Custom(S::NAME)
    }

    fn find<'r>(
        &self,
        req: &'r HttpRequest,
        _: Option<Authorization<'r>>,
    ) -> Result<Option<Option<Cow<'r, [u8]>>>, Refusal> {
        if !self.scheme.is_present(req) {
            return Ok(None);
        }
        let credential = self.cache.as_ref().and(self.scheme.credential(req));
        Ok(Some(credential))
    }

    fn verify(&self, req: &HttpRequest, credential: Option<Cow<'_, [u8]>>) -> Verification {
        let cached = self.cache.as_ref().zip(credential).map(|(cache, bytes)| {
            let tag = cache.tag(&[&bytes]);
            (Arc::clone(cache), tag)
        });
        if let Some(principal) = cached.as_ref().and_then(|(cache, tag)| cache.get(tag)) {
            return Outcome::ready(Ok(principal));
        }
        let (scheme, req) = (Arc::clone(&self.scheme), req.clone());
        Outcome::pending(async move {
            let principal = Arc::new(scheme.verify(&req).await?);
            if let Some((cache, tag)) = cached {
                cache.insert(tag, Arc::clone(&principal));
            }
            Ok(principal)
        })
    }

    #[cfg(feature = "openapi")]
    fn openapi(&self) -> utoipa::openapi::security::SecurityScheme {
        self.scheme.openapi()
    }

    fn challenge(&self, realm: &str) -> Challenge {
        self.scheme.challenge(realm)
    }
}
