//! The Bearer scheme (RFC 6750) with JWT access tokens (RFC 9068): finding the token, serving it
//! from the verified-token cache, or verifying it against keys that may rotate.
//!
//! - `settings` collects the builder's Bearer options and builds the mechanism;
//! - `jwt` verifies one token: its `header`, key, signature, then `claims`;
//! - `keys` and `verifier` hold keys prepared once; `jwks` fetches and rotates them;
//! - `token_cache` remembers verified tokens.

pub(crate) mod claims;
pub(crate) mod header;
pub(crate) mod jwks;
pub(crate) mod jwt;
pub(crate) mod keys;
pub(crate) mod settings;
pub(crate) mod token_cache;
pub(crate) mod verifier;

use std::sync::Arc;

use actix_web::HttpRequest;
use serde_json::{json, Map, Value};

use crate::bearer::claims::Verified;
use crate::bearer::jwt::JwtVerifier;
use crate::bearer::token_cache::TokenCache;
use crate::clock;
use crate::http::authorization::{
    check_b64token, query_has_access_token, Authorization, Malformed,
};
use crate::http::challenge::Challenge;
use crate::http::refusal::Refusal;
use crate::mechanism::{Mechanism, Verification};
use crate::outcome::Outcome;
use crate::principal::Principal;
use crate::scheme::Scheme;

/// The Bearer mechanism: a JWT verifier and, unless disabled, the verified-token cache.
pub(crate) struct Bearer {
    jwt: JwtVerifier,
    cache: Option<Arc<TokenCache>>,
    /// The protected resource's metadata URL (RFC 9728 §5.1), when one is published.
    resource_metadata: Option<Box<str>>,
}

impl Bearer {
    pub(crate) fn new(
        jwt: JwtVerifier,
        cache: Option<Arc<TokenCache>>,
        resource_metadata: Option<String>,
    ) -> Self {
        Bearer {
            jwt,
            cache,
            resource_metadata: resource_metadata.map(String::into_boxed_str),
        }
    }
}

impl Mechanism for Bearer {
    /// The token as sent; its `b64token` syntax is checked only on a cache miss (a cached token
    /// passed the check when it was verified).
    type Credentials<'r> = &'r [u8];

    fn scheme(&self) -> Scheme {
        Scheme::Bearer
    }

    /// `Authorization: Bearer <token>` (RFC 6750 §2.1). A token also sent as an
    /// `access_token` query parameter (§2.3) is a token sent two ways: `invalid_request`.
    #[inline]
    fn find<'r>(
        &self,
        req: &'r HttpRequest,
        authorization: Option<Authorization<'r>>,
    ) -> Result<Option<&'r [u8]>, Refusal> {
        let Some(authorization) = authorization.filter(|a| a.is_scheme("Bearer")) else {
            return Ok(None);
        };
        if query_has_access_token(req.query_string()) {
            return Err(Refusal::Malformed(Malformed::Repeated));
        }
        authorization
            .bearer_credentials()
            .map(Some)
            .map_err(Refusal::Malformed)
    }

    /// A token verified before is served from the cache when it is the exact same token, still
    /// within `exp`/`nbf`, younger than the cache's maximum age, and its key is still in the key
    /// set; any other token is verified in full, and cached if it passes.
    #[inline]
    fn verify(&self, _: &HttpRequest, token: &[u8]) -> Verification {
        let now = clock::now();
        if let Some(cache) = &self.cache {
            let keys = self.jwt.keys();
            if let Some(principal) = cache.get(token, now, |key| keys.load().holds(key)) {
                return Outcome::ready(Ok(principal));
            }
        }
        let token = match check_b64token(token) {
            Ok(token) => token,
            Err(malformed) => return Outcome::ready(Err(Refusal::Malformed(malformed))),
        };
        match self.jwt.verify(token, now).now() {
            Ok(verified) => {
                Outcome::ready(verified.map(|v| remember(&self.cache, &self.jwt, token, v, now)))
            }
            // The key may come from the key source: the verification waits for its fetch.
            Err(pending) => {
                let (cache, jwt, token) = (self.cache.clone(), self.jwt.clone(), token.to_owned());
                Outcome::pending(async move {
                    let verified = pending.await?;
                    Ok(remember(&cache, &jwt, &token, verified, clock::now()))
                })
            }
        }
    }

    /// `Bearer realm="R"`, and the protected resource's metadata URL right after the realm when
    /// one is published (RFC 9728 §5.1), so that a client can discover the authorization server
    /// from any `401` or `403`.
    fn challenge(&self, realm: &str) -> Challenge {
        let challenge = Challenge::new("Bearer", realm);
        match &self.resource_metadata {
            Some(url) => challenge.param("resource_metadata", url),
            None => challenge,
        }
    }

    fn reports_errors(&self) -> bool {
        true
    }

    /// Bearer tokens are accepted in the `Authorization` header only (RFC 6750 §2.1): a token
    /// in the query is refused, and form bodies are not read.
    fn describe_resource(&self, metadata: &mut Map<String, Value>) {
        metadata.insert("bearer_methods_supported".into(), json!(["header"]));
    }
}

/// Puts a freshly verified token in the cache, if there is one, and gives its principal.
fn remember(
    cache: &Option<Arc<TokenCache>>,
    jwt: &JwtVerifier,
    token: &str,
    verified: Verified,
    now: u64,
) -> Arc<Principal> {
    if let Some(cache) = cache {
        // Asked only when the cache sweeps: one snapshot of the key set for every entry.
        let current_keys = || {
            let keys = jwt.keys().load_full();
            move |key| keys.holds(key)
        };
        cache.insert(token, &verified, now, current_keys);
    }
    verified.principal
}
