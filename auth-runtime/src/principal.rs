//! The verified identity of a request: who, by which scheme, holding which scopes and roles, and
//! how and when the user authenticated.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use smallvec::SmallVec;

use crate::scheme::Scheme;

/// Who a request was verified to come from: the scheme that proved it, the scopes and roles it
/// holds, the claims it carries, and how and when the user authenticated (`acr`, `auth_time`),
/// which step-up requirements check (RFC 9470).
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
    /// The `sub` claim, when it is a string.
    subject: Option<Arc<str>>,
    claims: ClaimSet,
    acr: Option<Box<str>>,
    auth_time: Option<u64>,
    /// Whether `scopes` already holds every scope the authenticator's scope hierarchy implies
    /// (set when a Bearer token is verified, so that a cached token is not expanded again).
    scopes_closed: bool,
}

impl Principal {
    /// A principal for `scheme` with `scopes` and `claims` (a JSON object).
    pub fn new(scheme: Scheme, scopes: Scopes, claims: Value) -> Self {
        let subject = claims.get("sub").and_then(Value::as_str).map(Arc::from);
        let claims = ClaimSet::Value(claims);
        Principal::with_claims(scheme, scopes, Scopes::new(), subject, claims)
    }

    /// A principal for `scheme` with `scopes`, `roles` and `claims`, whose `sub` claim is
    /// `subject`.
    pub(crate) fn with_claims(
        scheme: Scheme,
        scopes: Scopes,
        roles: Scopes,
        subject: Option<Arc<str>>,
        claims: ClaimSet,
    ) -> Self {
        Principal {
            scheme,
            scopes,
            roles,
            subject,
            claims,
            acr: None,
            auth_time: None,
            scopes_closed: false,
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

    /// Records how the user authenticated: an authentication context class reference, as the
    /// `acr` claim carries it (OpenID Connect Core §2, RFC 9068 §2.2.1). A Bearer principal has
    /// its token's; a custom scheme may set one for `#[requires(acr = "..")]` to check.
    pub fn with_acr(mut self, acr: impl Into<String>) -> Self {
        self.acr = Some(acr.into().into_boxed_str());
        self
    }

    /// Records when the user last actively authenticated, in seconds since the Unix epoch, as
    /// the `auth_time` claim carries it (OpenID Connect Core §2, RFC 9068 §2.2.1), for
    /// `#[requires(max_age = ..)]` to check.
    pub fn with_auth_time(mut self, seconds_since_epoch: u64) -> Self {
        self.auth_time = Some(seconds_since_epoch);
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
        self.subject.as_deref()
    }

    /// The scopes held.
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// The roles held.
    pub fn roles(&self) -> &Scopes {
        &self.roles
    }

    /// How the user authenticated (the `acr` claim of a Bearer token), if known.
    pub fn acr(&self) -> Option<&str> {
        self.acr.as_deref()
    }

    /// When the user last authenticated (the `auth_time` claim of a Bearer token), in seconds
    /// since the Unix epoch, if known.
    pub fn auth_time(&self) -> Option<u64> {
        self.auth_time
    }

    /// Whether the scopes are already closed under the authenticator's scope hierarchy.
    pub(crate) fn scopes_closed(&self) -> bool {
        self.scopes_closed
    }

    /// The scopes, to add the ones a scope hierarchy implies; marks them closed.
    pub(crate) fn close_scopes(&mut self) -> &mut Scopes {
        self.scopes_closed = true;
        &mut self.scopes
    }

    /// One claim by name.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims().get(name)
    }

    /// All claims, as a JSON object. A verified token's are read from its payload on the first
    /// call (verification reads the claims it checks without building this `Value`), then kept.
    pub fn claims(&self) -> &Value {
        self.claims.value()
    }
}

/// A principal's claims: a JSON object, or the verified payload of a token, read into one the
/// first time it is asked for (most requests never ask: the checks read the payload directly,
/// without building a `Value`).
#[derive(Clone)]
pub(crate) enum ClaimSet {
    Value(Value),
    /// Kept as decoded (a `Vec`: boxing it would copy it to trim the decoder's slack).
    Payload {
        json: Vec<u8>,
        value: OnceLock<Value>,
    },
}

impl ClaimSet {
    /// The claims in `json`, a payload that was read as a JSON object when it was verified.
    pub(crate) fn payload(json: Vec<u8>) -> Self {
        ClaimSet::Payload {
            json,
            value: OnceLock::new(),
        }
    }

    fn value(&self) -> &Value {
        match self {
            ClaimSet::Value(value) => value,
            ClaimSet::Payload { json, value } => {
                // Cannot fail: the payload was read as a JSON object when it was verified.
                value.get_or_init(|| serde_json::from_slice(json).unwrap_or_default())
            }
        }
    }
}

impl fmt::Debug for ClaimSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value().fmt(f)
    }
}

/// The scopes a principal holds. Compared case-sensitively (RFC 6749 §3.3).
///
/// Held as one text and where each scope ends in it, the ends inline up to six scopes: a
/// token's scopes cost one allocation (two past six), where a string per scope costs one
/// each.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Scopes {
    /// Every scope, one after another, in the order first seen.
    text: String,
    /// Where each scope ends in `text`.
    ends: SmallVec<[usize; INLINE_SCOPES]>,
}

/// How many scopes a [`Scopes`] holds without allocating for their ends: more than most
/// tokens carry (`openid profile email` and a few of the API's own).
const INLINE_SCOPES: usize = 6;

impl Scopes {
    /// No scopes.
    pub fn new() -> Self {
        Scopes::default()
    }

    /// Whether `scope` is held.
    pub fn contains(&self, scope: &str) -> bool {
        self.iter().any(|held| held == scope)
    }

    /// Adds every space-delimited token of `list` (RFC 6749 §3.3, RFC 8693 §4.2).
    pub fn extend_from_list(&mut self, list: &str) {
        if self.ends.is_empty() {
            // A token's first list, allocated at its size at once: growing an empty vector
            // takes a slower path.
            let spaces = list.bytes().filter(|&b| b == b' ').count();
            self.text = String::with_capacity(list.len());
            self.ends = SmallVec::with_capacity(spaces + 1);
        } else {
            self.text.reserve(list.len());
        }
        for token in list.split(' ').filter(|token| !token.is_empty()) {
            self.insert(token);
        }
    }

    /// Adds one scope.
    pub fn insert(&mut self, scope: &str) {
        if !self.contains(scope) {
            self.text.push_str(scope);
            self.ends.push(self.text.len());
        }
    }

    /// The scopes, in the order they were first seen.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let scope = &self.text[start..end];
            start = end;
            scope
        })
    }

    /// How many scopes are held.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether no scope is held.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn scopes_count_each_token_once_in_the_order_first_seen() {
        let mut scopes = Scopes::new();
        assert!(scopes.is_empty());
        assert_eq!(scopes.len(), 0);
        scopes.extend_from_list("  b a  b ");
        scopes.insert("c");
        scopes.insert("a");
        assert!(!scopes.is_empty());
        assert_eq!(scopes.len(), 3);
        assert_eq!(scopes.iter().collect::<Vec<_>>(), ["b", "a", "c"]);
        assert!(scopes.contains("c") && !scopes.contains("C"));
        assert_eq!(scopes, ["b", "a", "b", "c"].into_iter().collect());
        assert_eq!(
            serde_json::to_value(&scopes).unwrap(),
            json!(["b", "a", "c"])
        );
        assert_eq!(format!("{scopes:?}"), r#"["b", "a", "c"]"#);
    }

    #[test]
    fn a_first_list_is_allocated_at_its_size_at_once() {
        let mut scopes = Scopes::new();
        scopes.extend_from_list("items:read  a b");
        // Room for every byte; the ends inline.
        assert_eq!(scopes.text.capacity(), 15);
        assert!(!scopes.ends.spilled());
        assert_eq!(scopes.iter().collect::<Vec<_>>(), ["items:read", "a", "b"]);
        scopes.extend_from_list("c d e f");
        assert_eq!(
            scopes.iter().collect::<Vec<_>>(),
            ["items:read", "a", "b", "c", "d", "e", "f"]
        );
        assert!(scopes.ends.spilled());
        // More than fit inline: an end per space plus one, however many are empty.
        let mut scopes = Scopes::new();
        scopes.extend_from_list("a b c d e f  g");
        assert_eq!((scopes.text.capacity(), scopes.ends.capacity()), (14, 8));
        assert_eq!(scopes.len(), 7);
    }

    #[test]
    fn scopes_held_one_after_another_stay_apart() {
        let scopes: Scopes = ["items:re", "ad", "ünï", ""].into_iter().collect();
        assert_eq!(scopes.len(), 4);
        assert_eq!(
            scopes.iter().collect::<Vec<_>>(),
            ["items:re", "ad", "ünï", ""]
        );
        assert!(!scopes.contains("items:read") && !scopes.contains("items"));
        assert!(!scopes.contains("adü") && !scopes.contains("n"));
        assert!(scopes.contains("ad") && scopes.contains("ünï") && scopes.contains(""));
        // The same text, split elsewhere: other scopes.
        let ab_c: Scopes = ["ab", "c"].into_iter().collect();
        let a_bc: Scopes = ["a", "bc"].into_iter().collect();
        assert_ne!(ab_c, a_bc);
        assert_eq!(ab_c, ab_c.clone());
        let mut growing = Scopes::new();
        for n in 0..100 {
            growing.extend_from_list(&format!("s{n} s{}", n / 2));
        }
        assert_eq!(growing.len(), 100);
        assert!(growing.iter().eq((0..100).map(|n| format!("s{n}"))));
    }

    #[test]
    fn a_principal_reads_back_what_it_was_given() {
        let alice = Principal::user(Scheme::Basic, "alice")
            .with_scopes(["r", "w", "r"])
            .with_roles(["admin"])
            .with_acr("urn:mace:incommon:iap:silver")
            .with_auth_time(1_700_000_000);
        assert_eq!(alice.scheme(), Scheme::Basic);
        assert_eq!(alice.subject(), Some("alice"));
        assert_eq!(alice.claim("sub"), Some(&json!("alice")));
        assert_eq!(alice.claims(), &json!({ "sub": "alice" }));
        assert_eq!(alice.scopes().len(), 2);
        assert!(alice.roles().contains("admin") && !alice.roles().contains("r"));
        assert_eq!(alice.acr(), Some("urn:mace:incommon:iap:silver"));
        assert_eq!(alice.auth_time(), Some(1_700_000_000));
        assert!(!alice.scopes_closed());

        let as_dpop = alice.with_scheme(Scheme::DPoP);
        assert_eq!(as_dpop.scheme(), Scheme::DPoP);
        assert_eq!(as_dpop.subject(), Some("alice"));
        assert_eq!(as_dpop.scopes(), alice.scopes());
        assert_eq!(as_dpop.acr(), alice.acr());
        assert_eq!(as_dpop.auth_time(), alice.auth_time());
    }

    #[test]
    fn closing_the_scopes_is_remembered() {
        let mut principal = Principal::new(Scheme::Bearer, Scopes::new(), json!({}));
        assert_eq!(principal.subject(), None);
        principal.close_scopes().insert("implied");
        assert!(principal.scopes_closed());
        assert!(principal.scopes().contains("implied"));
    }
}
