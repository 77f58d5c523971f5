//! The verified identity of a request: who, by which scheme, holding which scopes and roles.

use serde_json::Value;

use crate::scheme::Scheme;

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
}

impl Principal {
    /// A principal for `scheme` with `scopes` and `claims` (a JSON object).
    pub fn new(scheme: Scheme, scopes: Scopes, claims: Value) -> Self {
        Principal {
            scheme,
            scopes,
            roles: Scopes::new(),
            claims,
        }
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

    /// This principal as proved by `scheme` instead.
    pub(crate) fn with_scheme(&self, scheme: Scheme) -> Self {
        Principal {
            scheme,
            ..self.clone()
        }
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

/// The scopes a principal holds. Compared case-sensitively (RFC 6749 §3.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes {
    tokens: Vec<Box<str>>,
}

impl Scopes {
    /// No scopes.
    pub fn new() -> Self {
        Scopes::default()
    }

    /// Whether `scope` is held.
    pub fn contains(&self, scope: &str) -> bool {
        self.tokens.iter().any(|token| &**token == scope)
    }

    /// Adds every space-delimited token of `list` (RFC 6749 §3.3, RFC 8693 §4.2).
    pub fn extend_from_list(&mut self, list: &str) {
        for token in list.split(' ').filter(|token| !token.is_empty()) {
            self.insert(token);
        }
    }

    /// Adds one scope.
    pub fn insert(&mut self, scope: &str) {
        if !self.contains(scope) {
            self.tokens.push(scope.into());
        }
    }

    /// The scopes, in the order they were first seen.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().map(|token| &**token)
    }

    /// How many scopes are held.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether no scope is held.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

impl<'a> FromIterator<&'a str> for Scopes {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut scopes = Scopes::new();
        for scope in iter {
            scopes.insert(scope);
        }
        scopes
    }
}

impl serde::Serialize for Scopes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}
