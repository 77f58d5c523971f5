//! The verified identity of a request.

use serde_json::Value;

use crate::requirement::{Scheme, Scopes};

/// Who a request was verified to come from: the scheme that proved it, the scopes and roles it
/// holds and the claims it carries.
///
/// Handlers receive it through the [`Identity`](crate::Identity) extractor; credential stores
/// ([`BasicVerifier`](crate::BasicVerifier), [`ApiKeyVerifier`](crate::ApiKeyVerifier),
/// [`CustomScheme`](crate::CustomScheme)) build one with [`Principal::user`].
///
/// ```
/// use auth_runtime::{Principal, Scheme};
///
/// let alice = Principal::user(Scheme::Basic, "alice")
///     .with_scopes(["reports:read"])
///     .with_roles(["auditor"]);
/// assert_eq!(alice.subject(), Some("alice"));
/// assert!(alice.scopes().contains("reports:read"));
/// assert!(alice.roles().contains("auditor"));
/// ```
#[derive(Debug, Clone)]
pub struct Principal {
    scheme: Scheme,
    scopes: Scopes,
    roles: Scopes,
    claims: Value,
    /// The fingerprint of the key that verified a Bearer token.
    verified_by: Option<u64>,
}

impl Principal {
    /// A principal for `scheme` with `scopes` and `claims` (a JSON object).
    pub fn new(scheme: Scheme, scopes: Scopes, claims: Value) -> Self {
        Principal {
            scheme,
            scopes,
            roles: Scopes::new(),
            claims,
            verified_by: None,
        }
    }

    pub(crate) fn verified_by(mut self, key: u64) -> Self {
        self.verified_by = Some(key);
        self
    }

    pub(crate) fn key_fingerprint(&self) -> Option<u64> {
        self.verified_by
    }

    /// A principal for `scheme` whose only claim is `sub`: `subject`.
    pub fn user(scheme: Scheme, subject: impl Into<String>) -> Self {
        Principal::new(
            scheme,
            Scopes::new(),
            serde_json::json!({ "sub": subject.into() }),
        )
    }

    /// Adds scopes.
    pub fn with_scopes<'a>(mut self, scopes: impl IntoIterator<Item = &'a str>) -> Self {
        scopes
            .into_iter()
            .for_each(|scope| self.scopes.insert(scope));
        self
    }

    /// Adds roles.
    pub fn with_roles<'a>(mut self, roles: impl IntoIterator<Item = &'a str>) -> Self {
        roles.into_iter().for_each(|role| self.roles.insert(role));
        self
    }

    /// The scheme whose credentials were verified.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The subject (`sub` claim), if present.
    pub fn subject(&self) -> Option<&str> {
        self.claims.get("sub").and_then(Value::as_str)
    }

    /// The scopes held.
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// The roles held.
    pub fn roles(&self) -> &Scopes {
        &self.roles
    }

    /// One claim by name.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// All claims, as a JSON object.
    pub fn claims(&self) -> &Value {
        &self.claims
    }
}
