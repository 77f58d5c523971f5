//! The API-key scheme: keys from a header or `Authorization: ApiKey <key>`, held only as
//! SHA-256 digests and compared in constant time.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use actix_web::http::header::HeaderName;
use actix_web::HttpRequest;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use crate::error::ConfigError;
use crate::http::authorization::Authorization;
use crate::http::challenge::Challenge;
use crate::http::refusal::Refusal;
use crate::mechanism::{Mechanism, Verification};
use crate::outcome::Outcome;
use crate::principal::Principal;
use crate::scheme::Scheme;

/// The longest API key accepted, in bytes.
pub(crate) const MAX_KEY_BYTES: usize = 1024;

/// Checks an API key: implemented by the application (a database of key digests) or by the
/// built-in [`StaticApiKeys`]. Return `None` for an unknown key.
pub trait ApiKeyVerifier: Send + Sync + 'static {
    /// Verifies `key`, returning the principal it belongs to.
    fn verify(&self, key: &str, req: &HttpRequest) -> impl Future<Output = Option<Principal>>;
}

/// The SHA-256 digest of an API key: what a key store keeps instead of the key.
pub fn api_key_digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// A fixed set of API keys, each mapped to a principal with its own scopes.
///
/// Only SHA-256 digests are kept. A presented key is hashed and compared with **every** stored
/// digest using `subtle`'s constant-time equality, without stopping at a match, so neither the
/// position of a match nor the length of a common prefix shows in the timing.
///
/// ```
/// use auth_runtime::StaticApiKeys;
///
/// let keys = StaticApiKeys::new().key("demo-key-123", "metrics-bot", ["metrics:read"]).unwrap();
/// assert!(!format!("{keys:?}").contains("demo-key-123"));
/// ```
#[derive(Clone, Default)]
pub struct StaticApiKeys {
    entries: Vec<ApiKeyEntry>,
}

#[derive(Clone)]
struct ApiKeyEntry {
    digest: [u8; 32],
    subject: String,
    scopes: Vec<String>,
}

impl fmt::Debug for StaticApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticApiKeys")
            .field("keys", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl StaticApiKeys {
    /// No keys.
    pub fn new() -> Self {
        StaticApiKeys::default()
    }

    /// Adds a key (hashed now; the key itself is not kept) for `subject` with `scopes`.
    pub fn key<'a>(
        self,
        key: &str,
        subject: impl Into<String>,
        scopes: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ConfigError> {
        if !is_valid_key(key) {
            return Err(ConfigError::InvalidApiKey);
        }
        Ok(self.digest(api_key_digest(key), subject, scopes))
    }

    /// Adds a key by its SHA-256 digest (see [`api_key_digest`]).
    pub fn digest<'a>(
        mut self,
        digest: [u8; 32],
        subject: impl Into<String>,
        scopes: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        self.entries.push(ApiKeyEntry {
            digest,
            subject: subject.into(),
            scopes: scopes.into_iter().map(str::to_owned).collect(),
        });
        self
    }

    /// The entry whose digest equals `digest`, compared in constant time against every entry.
    fn find(&self, digest: &[u8; 32]) -> Option<&ApiKeyEntry> {
        let mut found: Option<&ApiKeyEntry> = None;
        for entry in &self.entries {
            let equal: Choice = entry.digest.ct_eq(digest);
            if bool::from(equal) {
                found = Some(entry);
            }
        }
        found
    }
}

impl ApiKeyVerifier for StaticApiKeys {
    async fn verify(&self, key: &str, _: &HttpRequest) -> Option<Principal> {
        let entry = self.find(&api_key_digest(key))?;
        Some(
            Principal::user(Scheme::ApiKey, entry.subject.as_str())
                .with_scopes(entry.scopes.iter().map(String::as_str)),
        )
    }
}

/// A key is 1 to [`MAX_KEY_BYTES`] visible ASCII characters.
pub(crate) fn is_valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_BYTES && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The API-key mechanism: a key from the configured header or `Authorization: ApiKey <key>`,
/// checked by the application's [`ApiKeyVerifier`].
pub(crate) struct ApiKeys<V> {
    verifier: Arc<V>,
    header: HeaderName,
}

impl<V> ApiKeys<V> {
    pub(crate) fn new(verifier: V, header: HeaderName) -> Self {
        ApiKeys {
            verifier: Arc::new(verifier),
            header,
        }
    }
}

impl<V: ApiKeyVerifier> Mechanism for ApiKeys<V> {
    type Credentials<'r> = &'r str;

    fn scheme(&self) -> Scheme {
        Scheme::ApiKey
    }

    /// A key sent twice (the header repeated, or both places), or that is not visible ASCII,
    /// is refused like an unknown one (CONFORMANCE row 11).
    fn find<'r>(
        &self,
        req: &'r HttpRequest,
        authorization: Option<Authorization<'r>>,
    ) -> Result<Option<&'r str>, Refusal> {
        let mut from_header = req.headers().get_all(&self.header);
        let header = from_header.next();
        let from_authorization = authorization.filter(|a| a.is_scheme("ApiKey"));
        let bytes = match (header, from_authorization) {
            (None, None) => return Ok(None),
            (Some(value), None) if from_header.next().is_none() => value.as_bytes(),
            (None, Some(authorization)) => authorization.credentials(),
            _ => return Err(Refusal::Rejected),
        };
        match std::str::from_utf8(bytes) {
            Ok(key) if is_valid_key(key) => Ok(Some(key)),
            _ => Err(Refusal::Rejected),
        }
    }

    fn verify(&self, req: &HttpRequest, key: &str) -> Verification {
        let verifier = Arc::clone(&self.verifier);
        let (key, req) = (key.to_owned(), req.clone());
        Outcome::pending(async move {
            verifier
                .verify(&key, &req)
                .await
                .map(Arc::new)
                .ok_or(Refusal::Rejected)
        })
    }

    /// `apiKey` in the configured header (`Authorization: ApiKey <key>` is accepted too).
    #[cfg(feature = "openapi")]
    fn openapi(&self) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            self.header.as_str(),
            "An API key; `Authorization: ApiKey <key>` is accepted too",
        )))
    }

    fn challenge(&self, realm: &str) -> Challenge {
        Challenge::new("ApiKey", realm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_counts_the_keys_and_shows_none() {
        let keys = StaticApiKeys::new()
            .key("demo-key-123", "bot", ["m"])
            .unwrap()
            .key("demo-key-456", "cron", ["m"])
            .unwrap();
        let shown = format!("{keys:?}");
        assert_eq!(shown, "StaticApiKeys { keys: 2, .. }");
    }

    #[test]
    fn only_digests_are_stored() {
        let keys = StaticApiKeys::new()
            .key("demo-key-123", "bot", ["m"])
            .unwrap();
        assert_eq!(keys.entries[0].digest, api_key_digest("demo-key-123"));
        assert!(keys.find(&api_key_digest("demo-key-123")).is_some());
    }

    #[test]
    fn a_key_differing_only_in_its_last_byte_is_unknown() {
        let keys = StaticApiKeys::new()
            .key("demo-key-123", "bot", ["m"])
            .unwrap();
        assert!(keys.find(&api_key_digest("demo-key-124")).is_none());
        assert!(keys.find(&api_key_digest("demo-key-12")).is_none());
    }

    #[test]
    fn the_comparison_is_subtles_constant_time_equality() {
        // The comparison goes through `subtle::ConstantTimeEq` on the full digest (type-checked
        // here): a hand-written `==` that stops at the first differing byte would not compile
        // into a `Choice`.
        let a = api_key_digest("a");
        let equal: Choice = a.ct_eq(&api_key_digest("a"));
        assert!(bool::from(equal));
    }

    #[test]
    fn keys_must_be_visible_ascii() {
        assert!(StaticApiKeys::new().key("", "bot", []).is_err());
        assert!(StaticApiKeys::new().key("has space", "bot", []).is_err());
        assert!(StaticApiKeys::new().key("tab\tkey", "bot", []).is_err());
        assert!(StaticApiKeys::new()
            .key(&"k".repeat(2000), "bot", [])
            .is_err());
    }
}
