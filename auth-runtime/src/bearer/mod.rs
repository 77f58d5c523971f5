//! The Bearer scheme (RFC 6750) with JWT access tokens (RFC 9068): finding the token, serving it
//! from the verified-token cache, or verifying it against keys that may rotate.
//!
//! - `settings` collects the builder's Bearer options and builds the mechanism;
//! - `jwt` verifies one token: its `header`, key, signature, then `claims`;
//! - `keys` and `verifier` hold keys prepared once; `jwks` fetches and rotates them;
//! - `token_cache` remembers verified tokens;
//! - `introspection` asks the authorization server about tokens that are not JWTs (RFC 7662).

mod base64url;
pub(crate) mod claims;
pub(crate) mod facts;
pub(crate) mod header;
pub(crate) mod introspection;
pub(crate) mod jwks;
pub(crate) mod jwt;
pub(crate) mod keys;
pub(crate) mod settings;
pub(crate) mod token_cache;
pub(crate) mod verifier;

use std::sync::Arc;
use std::time::Instant;

use actix_web::HttpRequest;
use serde_json::{json, Map, Value};

use crate::bearer::claims::Verified;
use crate::bearer::introspection::{Active, Introspector};
use crate::bearer::jwt::JwtVerifier;
use crate::bearer::token_cache::TokenCache;
use crate::clock;
use crate::http::authorization::{
    check_b64token, query_has_access_token, Authorization, Malformed,
};
use crate::http::challenge::Challenge;
use crate::http::refusal::{InvalidReason, Refusal};
use crate::mechanism::{Mechanism, Verification};
use crate::outcome::Outcome;
use crate::principal::Principal;
use crate::revocation::deny_list::{DenyList, TokenIds};
use crate::scheme::Scheme;
use crate::telemetry::{CredentialFacts, BEARER_VERIFICATION};

/// The Bearer mechanism: a JWT verifier, unless disabled the verified-token cache, the
/// introspector of opaque tokens if configured, and the deny-list every token is checked
/// against.
pub(crate) struct Bearer {
    jwt: JwtVerifier,
    cache: Option<Arc<TokenCache>>,
    /// The issuer whose OpenID Connect discovery gives the keys, if that is where they come
    /// from: the OpenAPI document points clients to it.
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))]
    discovery: Option<String>,
    /// The protected resource's metadata URL (RFC 9728 §5.1), when one is published.
    resource_metadata: Option<Box<str>>,
    introspection: Option<Introspector>,
    deny: DenyList,
}

impl Bearer {
    pub(crate) fn new(
        jwt: JwtVerifier,
        cache: Option<Arc<TokenCache>>,
        discovery: Option<String>,
        introspection: Option<Introspector>,
        deny: DenyList,
        resource_metadata: Option<String>,
    ) -> Self {
        Bearer {
            jwt,
            cache,
            discovery,
            resource_metadata: resource_metadata.map(String::into_boxed_str),
            introspection,
            deny,
        }
    }
}

impl Bearer {
    /// The JWT verifier, which DPoP shares.
    pub(crate) fn jwt(&self) -> &JwtVerifier {
        &self.jwt
    }

    /// The introspector, if configured, which DPoP shares.
    pub(crate) fn introspection(&self) -> Option<&Introspector> {
        self.introspection.as_ref()
    }
}

impl Mechanism for Bearer {
    /// The token as sent. Its `b64token` syntax is checked only on a cache miss (a cached token
    /// passed the check when it was verified), and for a JWT only once it is refused (a JWT
    /// that verifies is of the syntax; see `JwtVerifier::verify_sent`).
    type Credentials<'r> = &'r [u8];

    /// Only tokens verified in full are timed, not those served from the cache.
    const TIMES_ITSELF: bool = true;

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
    /// set; any other token is verified in full (or introspected), and cached if it passes.
    /// Whichever way, the deny-list has the last word.
    #[inline]
    fn verify(&self, _: &HttpRequest, token: &[u8]) -> Verification {
        let now = clock::now();
        let introspector = self
            .introspection
            .as_ref()
            .filter(|introspector| introspector.applies_to(token));
        if let Some(answer) = introspector.and_then(|i| i.cached(token, now)) {
            return Outcome::ready(
                answer.and_then(|active| admit(&self.deny, &active, token, now)),
            );
        }
        if let (Some(cache), None) = (&self.cache, introspector) {
            let keys = self.jwt.keys();
            let served = cache.lookup(
                token,
                now,
                |key| keys.load().holds(key),
                |principal, ids| {
                    self.deny
                        .verdict(ids, token, now)
                        .into_result()
                        .map(|()| Arc::clone(principal))
                },
            );
            if let Some(served) = served {
                return Outcome::ready(served);
            }
        }
        let started = Instant::now();
        if let Some(introspector) = introspector {
            let token = match check_b64token(token) {
                Ok(token) => token,
                Err(malformed) => return Outcome::ready(Err(Refusal::Malformed(malformed))),
            };
            return match introspector.introspect(token).now() {
                Ok(answer) => Outcome::ready(
                    answer.and_then(|a| admit(&self.deny, &a, token.as_bytes(), now)),
                ),
                Err(pending) => {
                    let (deny, token) = (self.deny.clone(), token.to_owned());
                    Outcome::pending(async move {
                        let answer = pending.await?;
                        admit(&deny, &answer, token.as_bytes(), clock::now())
                    })
                }
            };
        }
        // Checked against the `b64token` syntax only if refused (see `verify_sent`).
        let verification = match self.jwt.verify_sent(token, now).now() {
            Ok(verified) => Outcome::ready(verified.and_then(|verified| {
                remember(&self.cache, &self.deny, &self.jwt, token, verified, now)
            })),
            // The key may come from the key source: the verification waits for its fetch.
            Err(pending) => {
                let (cache, deny, jwt, token) = (
                    self.cache.clone(),
                    self.deny.clone(),
                    self.jwt.clone(),
                    token.to_owned(),
                );
                Outcome::pending(async move {
                    let verified = pending.await?;
                    remember(&cache, &deny, &jwt, &token, verified, clock::now())
                })
            }
        };
        BEARER_VERIFICATION.time(started, verification)
    }

    /// `openIdConnect` with the discovery document's URL when the keys come from OpenID Connect
    /// discovery (OpenAPI 3.1 §4.8.27); otherwise `http` `bearer` with `bearerFormat: JWT`
    /// (RFC 6750, RFC 9068).
    #[cfg(feature = "openapi")]
    fn openapi(&self) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{
            HttpAuthScheme, HttpBuilder, OpenIdConnect, SecurityScheme,
        };
        match &self.discovery {
            Some(issuer) => SecurityScheme::OpenIdConnect(OpenIdConnect::with_description(
                format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                ),
                "An access token (JWT, RFC 9068) from this OpenID Connect provider, sent as `Authorization: Bearer <token>` (RFC 6750)"
                    .to_owned(),
            )),
            None => SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token (JWT, RFC 9068) sent as `Authorization: Bearer <token>` (RFC 6750)",
                    ))
                    .build(),
            ),
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

    /// The refused token's header and registered claims, read without trusting them.
    fn refusal_facts(
        &self,
        req: &HttpRequest,
        authorization: Option<Authorization<'_>>,
    ) -> CredentialFacts {
        match self.find(req, authorization) {
            Ok(Some(token)) => facts::of_token(token, clock::now()),
            _ => CredentialFacts::default(),
        }
    }
}

/// The checks every token passes last, however it was verified: it is not bound to a key
/// (such a token needs a proof of that key, RFC 9449 §7.1; CONFORMANCE row 21), and the
/// deny-list does not refuse it (row 22).
fn admissible(
    deny: &DenyList,
    ids: &TokenIds,
    token: &[u8],
    bound_key: Option<&str>,
    now: u64,
) -> Result<(), Refusal> {
    if bound_key.is_some() {
        return Err(Refusal::Invalid(InvalidReason::KeyBound));
    }
    deny.verdict(ids, token, now).into_result()
}

/// The principal of the introspected `token`, if admissible.
fn admit(
    deny: &DenyList,
    active: &Active,
    token: &[u8],
    now: u64,
) -> Result<Arc<Principal>, Refusal> {
    admissible(deny, &active.ids, token, active.bound_key.as_deref(), now)?;
    Ok(Arc::clone(&active.principal))
}

/// Puts a freshly verified, admissible token in the cache, if there is one, and gives its
/// principal.
fn remember(
    cache: &Option<Arc<TokenCache>>,
    deny: &DenyList,
    jwt: &JwtVerifier,
    token: &[u8],
    verified: Verified,
    now: u64,
) -> Result<Arc<Principal>, Refusal> {
    admissible(
        deny,
        &verified.ids,
        token,
        verified.bound_key.as_deref(),
        now,
    )?;
    if let Some(cache) = cache {
        // Asked only when the cache sweeps: one snapshot of the key set for every entry.
        let current_keys = || {
            let keys = jwt.keys().load_full();
            move |key| keys.holds(key)
        };
        cache.insert(token, &verified, now, current_keys);
    }
    Ok(verified.principal)
}
