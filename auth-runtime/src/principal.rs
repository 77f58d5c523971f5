//! The verified identity of a request.

use serde_json::Value;

use crate::requirement::{Scheme, Scopes};

/// Who a request was verified to come from: the scheme that proved it, the scopes it holds and
/// the claims it carries.
///
/// Handlers receive it through the [`Identity`](crate::Identity) extractor.
#[derive(Debug, Clone)]
pub struct Principal {
    scheme: Scheme,
    scopes: Scopes,
    claims: Value,
}

impl Principal {
    /// A principal for `scheme` with `scopes` and `claims` (a JSON object).
    pub fn new(scheme: Scheme, scopes: Scopes, claims: Value) -> Self {
        Principal {
            scheme,
            scopes,
            claims,
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

    /// One claim by name.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// All claims, as a JSON object.
    pub fn claims(&self) -> &Value {
        &self.claims
    }
}
