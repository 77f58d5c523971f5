//! Start-up configuration: the builder of an [`Authenticator`] and its errors.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use actix_web::http::header::HeaderName;

use crate::api_key::ApiKeyVerifier;
use crate::authenticator::{Authenticator, ErasedApiKey, ErasedBasic, ErasedCustom, Inner};
use crate::basic::BasicVerifier;
use crate::challenge::Challenge;
use crate::jwt::{ClaimPath, JwtVerifier, TypRequirement};
use crate::keys::Key;
use crate::refusal::{ErrorBody, Refusal};
use crate::requirement::Scheme;
use crate::scheme::CustomScheme;

/// A configuration mistake, reported when the [`Authenticator`] is built (never on a request).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No scheme can verify anything: no key, no Basic, API-key or custom verifier.
    #[error("nothing to verify credentials with: add a key with `.key(Key::hs256(secret)?)`, `.key(Key::public_pem(pem)?)` or `.key(Key::from_jwk(&jwk)?)`, or a verifier with `.basic(..)`, `.api_keys(..)` or `.custom_scheme(..)`")]
    NoKeys,
    /// A Basic user that cannot be stored (bad user-id, unparsable hash).
    #[error("invalid Basic user: {0}")]
    InvalidUser(String),
    /// An API key that is empty, too long or not visible ASCII.
    #[error("an API key must be 1 to 1024 visible ASCII characters")]
    InvalidApiKey,
    /// The API-key header name is not a valid header name.
    #[error("{0:?} is not a valid header name for API keys")]
    InvalidHeaderName(String),
    /// Two custom schemes with the same name, or a name that is not a token.
    #[error("the custom scheme name {0:?} is used twice or is not an RFC 9110 token")]
    InvalidSchemeName(&'static str),
    /// An HMAC secret shorter than the hash output (RFC 7518 §3.2).
    #[error(
        "the {algorithm:?} secret is too short: RFC 7518 §3.2 requires at least {min_bytes} bytes"
    )]
    WeakSecret {
        /// The algorithm.
        algorithm: Algorithm,
        /// The minimum length in bytes.
        min_bytes: usize,
    },
    /// A key of one type was offered for an algorithm of another.
    #[error("algorithm {algorithm:?} cannot be used with {key}")]
    AlgorithmMismatch {
        /// The algorithm asked for.
        algorithm: Algorithm,
        /// What was given instead.
        key: &'static str,
    },
    /// Key material that does not parse.
    #[error("invalid {algorithm:?} key: {reason}")]
    InvalidKey {
        /// The algorithm the key was meant for.
        algorithm: Algorithm,
        /// What is wrong (never the key material).
        reason: String,
    },
    /// Two keys with the same `kid`.
    #[error("two keys have the `kid` {0:?}: a `kid` must name one key")]
    DuplicateKid(String),
    /// A value that would be placed in a challenge header is unusable.
    #[error("the realm {value:?} cannot be used in a challenge: {reason}")]
    InvalidRealm {
        /// The value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An issuer or audience that is empty.
    #[error("an empty {0} cannot be expected: give the exact value tokens carry")]
    EmptyValue(&'static str),
    /// The JWT crypto backend cannot verify signatures in this process.
    #[error("the jsonwebtoken crypto backend is unusable: {0}")]
    CryptoBackend(String),
    /// [`check_app`](crate::check_app) found no authenticator in the application.
    #[error("no `Authenticator` is registered in the application: add `.app_data(authenticator.clone())` or `.configure(authenticator.configure())` to the `App`")]
    NotRegistered,
}

/// Builds an [`Authenticator`]. Every setter is checked when [`build`](Self::build) runs, so a
/// misconfiguration stops the application at start-up.
///
/// The secure choice is the default: `exp` is required, the leeway is 60 seconds, and `iss` /
/// `aud` are checked whenever they are configured (a token without them is then refused).
#[must_use = "call `.build()` to get the authenticator"]
pub struct AuthenticatorBuilder {
    realm: String,
    keys: Vec<Key>,
    issuers: Vec<String>,
    audiences: Vec<String>,
    leeway: Duration,
    typ: Option<TypRequirement>,
    required_claims: Vec<String>,
    scope_claims: Vec<ClaimPath>,
    role_claims: Vec<ClaimPath>,
    max_token_bytes: usize,
    basic: Option<Arc<dyn ErasedBasic>>,
    api_keys: Option<Arc<dyn ErasedApiKey>>,
    api_key_header: String,
    custom: Vec<Arc<dyn ErasedCustom>>,
    error_body: Option<crate::refusal::BodyBuilder>,
}

impl Default for AuthenticatorBuilder {
    fn default() -> Self {
        AuthenticatorBuilder {
            realm: "api".to_owned(),
            keys: Vec::new(),
            issuers: Vec::new(),
            audiences: Vec::new(),
            leeway: Duration::from_secs(60),
            typ: None,
            required_claims: Vec::new(),
            scope_claims: vec![ClaimPath::from("scope"), ClaimPath::from("scp")],
            role_claims: vec![ClaimPath::from("roles")],
            max_token_bytes: 8 * 1024,
            basic: None,
            api_keys: None,
            api_key_header: "x-api-key".to_owned(),
            custom: Vec::new(),
            error_body: None,
        }
    }
}

impl AuthenticatorBuilder {
    /// The `realm` of every challenge (RFC 9110 §11.5); `#[requires(realm = "..")]` overrides
    /// it per endpoint. Default: `api`. Refused at build time if empty or if it contains control
    /// characters.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Adds a verification key. Each key is bound to one algorithm; together the keys are the
    /// algorithm allow-list (RFC 8725 §3.1).
    pub fn key(mut self, key: Key) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds an accepted issuer: `iss` must equal one of them exactly (RFC 7519 §4.1.1).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// Adds an accepted audience: `aud` (a string or an array) must contain one of them
    /// (RFC 7519 §4.1.3, RFC 9068 §4). Without any, tokens that carry an `aud` are refused,
    /// as RFC 7519 requires of a recipient that cannot identify itself.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Clock skew tolerated on `exp` and `nbf` (RFC 7519 §4.1.4). Default: 60 seconds.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Requires the JOSE header `typ` to be `at+jwt` (or `application/at+jwt`), as RFC 9068
    /// §2.1 specifies for access tokens, so that ID tokens cannot be replayed as access tokens.
    pub fn require_access_token_type(mut self) -> Self {
        self.typ = Some(TypRequirement::AccessToken);
        self
    }

    /// Requires the JOSE header `typ` to equal `typ` (compared case-insensitively).
    pub fn require_type(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(TypRequirement::Exact(typ.into()));
        self
    }

    /// Requires a claim to be present (for example `sub` or `jti`).
    pub fn require_claim(mut self, claim: impl Into<String>) -> Self {
        self.required_claims.push(claim.into());
        self
    }

    /// Replaces the claims scopes are read from. Default: `scope` (a space-delimited string,
    /// RFC 8693 §4.2) and `scp` (a string or an array of strings). A dotted path reaches into
    /// objects, e.g. `realm_access.roles` for Keycloak roles used as scopes; use
    /// [`ClaimPath::name`] for a claim whose name contains dots.
    pub fn scope_claims<P: Into<ClaimPath>>(mut self, claims: impl IntoIterator<Item = P>) -> Self {
        self.scope_claims = claims.into_iter().map(Into::into).collect();
        self
    }

    /// Replaces the claims roles are read from (for `#[requires(role = "..")]`). Default:
    /// `roles` (a string or an array of strings); `realm_access.roles` reaches Keycloak's.
    pub fn role_claims<P: Into<ClaimPath>>(mut self, claims: impl IntoIterator<Item = P>) -> Self {
        self.role_claims = claims.into_iter().map(Into::into).collect();
        self
    }

    /// Enables the Basic scheme (RFC 7617) with `verifier`, e.g. [`StaticUsers`](crate::StaticUsers)
    /// or the application's own database lookup.
    pub fn basic(mut self, verifier: impl BasicVerifier) -> Self {
        self.basic = Some(Arc::new(Arc::new(verifier)));
        self
    }

    /// Enables the API-key scheme with `verifier`, e.g. [`StaticApiKeys`](crate::StaticApiKeys).
    pub fn api_keys(mut self, verifier: impl ApiKeyVerifier) -> Self {
        self.api_keys = Some(Arc::new(Arc::new(verifier)));
        self
    }

    /// The header API keys are read from (besides `Authorization: ApiKey <key>`).
    /// Default: `X-API-Key`.
    pub fn api_key_header(mut self, name: impl Into<String>) -> Self {
        self.api_key_header = name.into();
        self
    }

    /// Registers an application scheme, named in attributes by its type:
    /// `#[requires(scheme = MyScheme)]`.
    pub fn custom_scheme<S: CustomScheme>(mut self, scheme: S) -> Self {
        self.custom.push(Arc::new(Arc::new(scheme)));
        self
    }

    /// The longest token accepted, in bytes; longer ones are refused before any decoding.
    /// Default: 8 KiB.
    pub fn max_token_bytes(mut self, max: usize) -> Self {
        self.max_token_bytes = max;
        self
    }

    /// Replaces the RFC 9457 body of refusals. The status, `WWW-Authenticate` and
    /// `Retry-After` headers are kept; the builder decides only the body.
    ///
    /// ```
    /// use auth_runtime::{Authenticator, ErrorBody, Key};
    ///
    /// let auth = Authenticator::builder()
    ///     .key(Key::hs256(b"an-obviously-fake-secret-of-32-bytes!!").unwrap())
    ///     .error_body(|refusal| {
    ///         ErrorBody::json(&serde_json::json!({ "code": refusal.status().as_u16() }))
    ///     })
    ///     .build()
    ///     .unwrap();
    /// # let _ = auth;
    /// ```
    pub fn error_body(
        mut self,
        build: impl Fn(&Refusal) -> ErrorBody + Send + Sync + 'static,
    ) -> Self {
        self.error_body = Some(Arc::new(build));
        self
    }

    /// Checks the configuration and builds the authenticator.
    pub fn build(self) -> Result<Authenticator, ConfigError> {
        Challenge::check_value(&self.realm).map_err(|reason| ConfigError::InvalidRealm {
            value: self.realm.clone(),
            reason,
        })?;
        if self.issuers.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyValue("issuer"));
        }
        if self.audiences.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyValue("audience"));
        }
        if self.keys.is_empty()
            && self.basic.is_none()
            && self.api_keys.is_none()
            && self.custom.is_empty()
        {
            return Err(ConfigError::NoKeys);
        }
        for (index, key) in self.keys.iter().enumerate() {
            if let Some(kid) = key.kid() {
                if self.keys[..index]
                    .iter()
                    .any(|other| other.kid() == Some(kid))
                {
                    return Err(ConfigError::DuplicateKid(kid.to_owned()));
                }
            }
        }
        let api_key_header = HeaderName::try_from(self.api_key_header.as_str())
            .map_err(|_| ConfigError::InvalidHeaderName(self.api_key_header.clone()))?;
        let mut configured = Vec::new();
        let jwt = if self.keys.is_empty() {
            None
        } else {
            crate::jwt::ensure_crypto_backend()?;
            configured.push(Scheme::Bearer);
            Some(JwtVerifier::new(
                self.keys,
                &self.issuers,
                &self.audiences,
                self.leeway,
                self.typ,
                self.required_claims,
                self.scope_claims,
                self.role_claims,
                self.max_token_bytes,
            ))
        };
        if self.basic.is_some() {
            configured.push(Scheme::Basic);
        }
        if self.api_keys.is_some() {
            configured.push(Scheme::ApiKey);
        }
        for (index, custom) in self.custom.iter().enumerate() {
            let name = custom.name();
            let taken = ["bearer", "basic", "apikey"].contains(&name.to_ascii_lowercase().as_str())
                || self.custom[..index]
                    .iter()
                    .any(|other| other.name().eq_ignore_ascii_case(name));
            if taken || name.is_empty() || !name.chars().all(crate::challenge::is_tchar) {
                return Err(ConfigError::InvalidSchemeName(name));
            }
            configured.push(Scheme::Custom(name));
        }
        Ok(Authenticator::from_inner(Inner {
            realm: self.realm,
            jwt,
            basic: self.basic,
            api_keys: self.api_keys,
            api_key_header,
            custom: self.custom,
            configured,
            error_body: self.error_body,
        }))
    }
}
