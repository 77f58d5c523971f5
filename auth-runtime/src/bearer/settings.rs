//! The Bearer options the builder collects, checked and turned into the [`Bearer`] mechanism at
//! build time.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::Url;

use crate::bearer::claims::{ClaimPath, ClaimRules, TypRequirement};
use crate::bearer::introspection::config::Introspection;
use crate::bearer::introspection::{Endpoint, Introspector};
use crate::bearer::jwks::config::JwksConfig;
use crate::bearer::jwks::document;
use crate::bearer::jwks::store::KeyStore;
use crate::bearer::jwt::JwtVerifier;
use crate::bearer::keys::Key;
use crate::bearer::token_cache::{TokenCache, TokenCacheConfig};
use crate::bearer::Bearer;
use crate::error::ConfigError;
use crate::hierarchy::ScopeHierarchy;
use crate::revocation::deny_list::DenyList;
use crate::scheme::Scheme;

/// Everything `AuthenticatorBuilder` knows about Bearer tokens.
pub(crate) struct BearerSettings {
    pub(crate) keys: Vec<Key>,
    pub(crate) jwks: JwksConfig,
    pub(crate) issuers: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) leeway: Duration,
    pub(crate) typ: Option<TypRequirement>,
    pub(crate) required_claims: Vec<String>,
    pub(crate) scope_claims: Vec<ClaimPath>,
    pub(crate) role_claims: Vec<ClaimPath>,
    pub(crate) max_token_bytes: usize,
    pub(crate) token_cache: TokenCacheConfig,
    /// The URL of the protected resource's metadata (RFC 9728 §5.1), which challenges carry.
    pub(crate) resource_metadata: Option<String>,
    pub(crate) introspection: Option<Introspection>,
}

impl Default for BearerSettings {
    fn default() -> Self {
        BearerSettings {
            keys: Vec::new(),
            jwks: JwksConfig::default(),
            issuers: Vec::new(),
            audiences: Vec::new(),
            leeway: Duration::from_secs(60),
            typ: None,
            required_claims: Vec::new(),
            scope_claims: vec![ClaimPath::from("scope"), ClaimPath::from("scp")],
            role_claims: vec![ClaimPath::from("roles")],
            max_token_bytes: 8 * 1024,
            token_cache: TokenCacheConfig::default(),
            resource_metadata: None,
            introspection: None,
        }
    }
}

/// The Bearer mechanism and the handles the authenticator keeps besides it.
pub(crate) struct BuiltBearer {
    pub(crate) mechanism: Bearer,
    /// The keys, for `build_and_fetch` to wait for their first fetch.
    pub(crate) keys: KeyStore,
    /// The verified-token cache, for its statistics and evictions.
    pub(crate) cache: Option<Arc<TokenCache>>,
    /// Where discovery publishes the introspection endpoint, when it is to come from there.
    pub(crate) discovered_introspection: Option<Arc<OnceLock<Url>>>,
    /// The introspector, for evictions.
    pub(crate) introspector: Option<Introspector>,
}

impl BearerSettings {
    /// The issuers tokens must come from: the configured ones, else the discovery issuer.
    pub(crate) fn accepted_issuers(&self) -> Vec<String> {
        match (self.issuers.as_slice(), self.jwks.discovery_issuer()) {
            ([], Some(issuer)) => vec![issuer.to_owned()],
            (issuers, _) => issuers.to_vec(),
        }
    }

    /// Checks the settings and builds the mechanism, whose tokens are checked against `deny`
    /// and whose scopes `hierarchy` closes; `None` when no key, no key source and no
    /// introspection is configured (Bearer is then not offered). Nothing is fetched yet: the
    /// caller starts the key store once every other check passed.
    pub(crate) fn build(
        mut self,
        deny: &DenyList,
        hierarchy: Arc<ScopeHierarchy>,
    ) -> Result<Option<BuiltBearer>, ConfigError> {
        for jwks in &self.jwks.inline {
            self.keys.extend(document::inline_keys(jwks)?);
        }
        let remote = self.jwks.remote_source()?;
        if let (Some(issuer), true) = (self.jwks.discovery_issuer(), self.issuers.is_empty()) {
            self.issuers.push(issuer.to_owned());
        }
        if self.issuers.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyValue("issuer"));
        }
        if self.audiences.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyValue("audience"));
        }
        check_unique_kids(&self.keys)?;
        let fixed_introspection = match &self.introspection {
            Some(introspection) => introspection.check(self.jwks.http)?,
            None => None,
        };
        let discovered = match (&self.introspection, fixed_introspection.is_none()) {
            (Some(_), true) if self.jwks.discovery_issuer().is_none() => {
                return Err(ConfigError::InvalidIntrospection(
                    "`Introspection::discovered()` needs `.oidc_discovery(issuer)`",
                ))
            }
            (Some(_), true) => Some(Arc::clone(&self.jwks.introspection_endpoint)),
            _ => None,
        };
        if self.keys.is_empty() && remote.is_none() && self.introspection.is_none() {
            return Ok(None);
        }
        let keys = match remote {
            Some(remote) => KeyStore::remote(self.keys, remote)?,
            None => KeyStore::fixed(self.keys),
        };
        let rules = ClaimRules {
            issuers: self.issuers,
            audiences: self.audiences,
            leeway: self.leeway.as_secs(),
            typ: self.typ,
            required_claims: self.required_claims,
            scope_claims: self.scope_claims,
            role_claims: self.role_claims,
            hierarchy,
            scheme: Scheme::Bearer,
        };
        let introspector = match &self.introspection {
            None => None,
            Some(settings) => {
                let endpoint = match (fixed_introspection, &discovered) {
                    (Some(url), _) => Endpoint::Fixed(url),
                    (None, found) => Endpoint::Discovered {
                        found: found.clone().unwrap_or_default(),
                        keys: keys.clone(),
                    },
                };
                Some(Introspector::start(
                    settings,
                    endpoint,
                    self.jwks.http,
                    rules.clone(),
                    self.max_token_bytes,
                )?)
            }
        };
        let discovery = self.jwks.discovery_issuer().map(str::to_owned);
        let jwt = JwtVerifier::new(keys.clone(), rules, self.max_token_bytes);
        let cache = TokenCache::new(&self.token_cache, self.leeway).map(Arc::new);
        Ok(Some(BuiltBearer {
            mechanism: Bearer::new(
                jwt,
                cache.clone(),
                discovery,
                introspector.clone(),
                deny.clone(),
                self.resource_metadata,
            ),
            keys,
            cache,
            discovered_introspection: discovered,
            introspector,
        }))
    }
}

/// A `kid` must name one key.
fn check_unique_kids(keys: &[Key]) -> Result<(), ConfigError> {
    for (index, key) in keys.iter().enumerate() {
        if let Some(kid) = key.kid() {
            if keys[..index].iter().any(|other| other.kid() == Some(kid)) {
                return Err(ConfigError::DuplicateKid(kid.to_owned()));
            }
        }
    }
    Ok(())
}
