//! Bearer JWT verification with jsonwebtoken.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Header;
use serde_json::Value;

use crate::authenticator::LocalFuture;
use crate::jwks::{Demand, KeySet, KeyStore, Miss};
use crate::keys::Key;
use crate::principal::Principal;
use crate::refusal::{InvalidReason, Refusal};
use crate::requirement::{Scheme, Scopes};
use crate::verifier::SignatureError;

/// Where scopes are read from in the claims: a claim name, or a path into nested objects.
///
/// `ClaimPath::from("realm_access.roles")` splits on dots; [`ClaimPath::name`] keeps a name
/// with dots in it whole (for namespaced claims such as `https://example.com/roles`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPath {
    segments: Vec<String>,
}

impl ClaimPath {
    /// A single top-level claim, dots included.
    pub fn name(name: impl Into<String>) -> Self {
        ClaimPath {
            segments: vec![name.into()],
        }
    }

    fn lookup<'v>(&self, claims: &'v Value) -> Option<&'v Value> {
        self.segments
            .iter()
            .try_fold(claims, |value, segment| value.get(segment))
    }
}

impl From<&str> for ClaimPath {
    fn from(path: &str) -> Self {
        ClaimPath {
            segments: path.split('.').map(str::to_owned).collect(),
        }
    }
}

impl From<String> for ClaimPath {
    fn from(path: String) -> Self {
        ClaimPath::from(path.as_str())
    }
}

/// The required JOSE header `typ`, if any.
#[derive(Debug, Clone)]
pub(crate) enum TypRequirement {
    /// RFC 9068 §2.1: `at+jwt`, with or without the `application/` prefix.
    AccessToken,
    /// Exactly this value, compared case-insensitively (RFC 7515 §4.1.9).
    Exact(String),
}

impl TypRequirement {
    fn accepts(&self, typ: Option<&str>) -> bool {
        let Some(typ) = typ else { return false };
        match self {
            TypRequirement::AccessToken => {
                let typ = strip_prefix_ignore_case(typ, "application/").unwrap_or(typ);
                typ.eq_ignore_ascii_case("at+jwt")
            }
            TypRequirement::Exact(expected) => typ.eq_ignore_ascii_case(expected),
        }
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Verifies Bearer JWTs against the current keys and the configured claims rules. Cloning is
/// cheap (`Arc`s): a verification that waits for the key source owns a clone.
#[derive(Clone)]
pub(crate) struct JwtVerifier {
    rules: Arc<Rules>,
    keys: KeyStore,
}

/// Everything about verification that does not change with the keys.
struct Rules {
    /// Accepted `iss` values; empty: `iss` is not checked.
    issuers: Vec<String>,
    /// Accepted `aud` values; empty: a token carrying an `aud` is refused.
    audiences: Vec<String>,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    leeway: u64,
    typ: Option<TypRequirement>,
    required_claims: Vec<String>,
    scope_claims: Vec<ClaimPath>,
    role_claims: Vec<ClaimPath>,
    max_token_bytes: usize,
}

/// The outcome of [`JwtVerifier::verify_or_fetch`].
pub(crate) enum Verification {
    /// Verified (or refused) with the keys in memory.
    Done(Result<Principal, Refusal>),
    /// The key may come from the key source: verification continues after its fetch.
    Pending(LocalFuture<Result<Principal, Refusal>>),
}

impl JwtVerifier {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        keys: KeyStore,
        issuers: &[String],
        audiences: &[String],
        leeway: Duration,
        typ: Option<TypRequirement>,
        required_claims: Vec<String>,
        scope_claims: Vec<ClaimPath>,
        role_claims: Vec<ClaimPath>,
        max_token_bytes: usize,
    ) -> Self {
        JwtVerifier {
            rules: Arc::new(Rules {
                issuers: issuers.to_vec(),
                audiences: audiences.to_vec(),
                leeway: leeway.as_secs(),
                typ,
                required_claims,
                scope_claims,
                role_claims,
                max_token_bytes,
            }),
            keys,
        }
    }

    /// Whether the key with this fingerprint is in the current key set.
    pub(crate) fn holds_key(&self, fingerprint: u64) -> bool {
        self.keys.load().holds(fingerprint)
    }

    /// A snapshot of the current key set.
    pub(crate) fn current_keys(&self) -> Arc<KeySet> {
        self.keys.load_full()
    }

    /// The keys this verifier uses.
    pub(crate) fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// Verifies `token` (already checked to be a `b64token`) with the keys in memory only:
    /// never waits and never causes a fetch. A key that is missing while the key source has
    /// not given usable keys is [`Refusal::KeysUnavailable`].
    pub(crate) fn verify(&self, token: &str) -> Result<Principal, Refusal> {
        let header = self.rules.check_header(token)?;
        let set = self.keys.load();
        let view = set.view();
        match view.select(&header) {
            Ok(key) => self.rules.verify_with(token, &header, key),
            Err(miss) => Err(refusal_of(miss, view.is_complete())),
        }
    }

    /// Verifies `token` now when its key is in memory (no allocation, no waiting). Otherwise,
    /// when the key could come from the key source (an unknown `kid`, or no usable key yet),
    /// returns a future that joins the fetch in flight or starts one (at most one per
    /// cooldown, shared by every request), then verifies. During the cooldown the answer is
    /// immediate: `invalid_token` for an unknown `kid`, 503 when there is no usable key.
    pub(crate) fn verify_or_fetch(&self, token: &str) -> Verification {
        let header = match self.rules.check_header(token) {
            Ok(header) => header,
            Err(refusal) => return Verification::Done(Err(refusal)),
        };
        let set = self.keys.load();
        let view = set.view();
        let miss = match view.select(&header) {
            Ok(key) => return Verification::Done(self.rules.verify_with(token, &header, key)),
            Err(miss) => miss,
        };
        let complete = view.is_complete();
        // Only a key the source could add is worth a fetch: an unknown `kid`, or anything
        // while no usable remote key is in memory. A key-less token never causes one.
        let may_fetch = miss != Miss::AlgorithmMismatch && (!complete || miss == Miss::UnknownKid);
        let wait = match may_fetch.then(|| self.keys.demand()) {
            Some(Demand::Wait(wait)) => wait,
            Some(Demand::Refused) | None => {
                return Verification::Done(Err(refusal_of(miss, complete)))
            }
        };
        let verifier = self.clone();
        let token = token.to_owned();
        Verification::Pending(Box::pin(async move {
            wait.finished().await;
            let set = verifier.keys.load();
            let view = set.view();
            match view.select(&header) {
                Ok(key) => verifier.rules.verify_with(&token, &header, key),
                Err(miss) => Err(refusal_of(miss, view.is_complete())),
            }
        }))
    }
}

/// The refusal of a token for which no key was selected: while the key source has not given
/// usable keys, the key may exist, and the answer is 503 (CONFORMANCE row 12), not 401.
fn refusal_of(miss: Miss, complete: bool) -> Refusal {
    match miss {
        Miss::AlgorithmMismatch => Refusal::Invalid(InvalidReason::WrongAlgorithm),
        _ if !complete => Refusal::KeysUnavailable,
        Miss::UnknownKid | Miss::Ambiguous => Refusal::Invalid(InvalidReason::UnknownKey),
        Miss::NoKeyForAlgorithm => Refusal::Invalid(InvalidReason::WrongAlgorithm),
    }
}

impl Rules {
    /// `exp` (required), `nbf`, `iss` and `aud` (RFC 7519 §4.1.1–4.1.5), in jsonwebtoken's
    /// order: presence first, then time, then values.
    fn check_registered_claims(&self, claims: &Value) -> Result<(), Refusal> {
        use InvalidReason::*;
        let exp = claims
            .get("exp")
            .and_then(numeric_date)
            .ok_or(Refusal::Invalid(MissingClaim))?;
        let nbf = match claims.get("nbf") {
            None => None,
            Some(nbf) => Some(numeric_date(nbf).ok_or(Refusal::Invalid(MissingClaim))?),
        };
        let iss = claims.get("iss");
        let aud = claims.get("aud");
        if !self.issuers.is_empty() && iss.is_none() {
            return Err(Refusal::Invalid(WrongIssuer));
        }
        if !self.audiences.is_empty() && aud.is_none() {
            return Err(Refusal::Invalid(WrongAudience));
        }
        let now = jsonwebtoken::get_current_timestamp();
        if exp.saturating_add(self.leeway) < now {
            return Err(Refusal::Expired);
        }
        if nbf.is_some_and(|nbf| nbf > now.saturating_add(self.leeway)) {
            return Err(Refusal::NotYetValid);
        }
        if let Some(iss) = iss.filter(|_| !self.issuers.is_empty()) {
            let accepted = iss
                .as_str()
                .is_some_and(|iss| self.issuers.iter().any(|issuer| issuer == iss));
            if !accepted {
                return Err(Refusal::Invalid(WrongIssuer));
            }
        }
        if let Some(aud) = aud {
            let accepted = match aud {
                Value::String(aud) => self.audiences.iter().any(|expected| expected == aud),
                Value::Array(auds) if auds.is_empty() => self.audiences.is_empty(),
                Value::Array(auds) => auds.iter().any(|aud| {
                    aud.as_str()
                        .is_some_and(|aud| self.audiences.iter().any(|expected| expected == aud))
                }),
                _ => false,
            };
            // RFC 7519 §4.1.3: a recipient that does not identify itself with a value in
            // `aud` must reject the token; with no audience configured, that is any `aud`.
            if !accepted {
                return Err(Refusal::Invalid(WrongAudience));
            }
        }
        Ok(())
    }

    /// The checks that need no key: size, shape, a decodable header without `crit`.
    fn check_header(&self, token: &str) -> Result<Header, Refusal> {
        use InvalidReason::*;
        if token.len() > self.max_token_bytes {
            return Err(Refusal::Invalid(TooLarge));
        }
        if token.bytes().filter(|&b| b == b'.').count() != 2 {
            return Err(Refusal::Invalid(Malformed));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| Refusal::Invalid(Malformed))?;
        if header.crit.is_some() {
            return Err(Refusal::Invalid(CriticalHeader));
        }
        Ok(header)
    }

    /// Verifies the signature with `key` (whose algorithm is the header's), then the claims.
    ///
    /// The key's prepared verifier checks the signature (with the key's algorithm, never the
    /// header's); the payload is then decoded once, duplicate member names refused, and
    /// the registered claims checked here (RFC 7519 §4.1), rather than through
    /// `jsonwebtoken::decode`, which decodes the header and the claims twice each.
    fn verify_with(&self, token: &str, header: &Header, key: &Key) -> Result<Principal, Refusal> {
        use base64::Engine;
        use InvalidReason::*;
        if header.alg != key.algorithm() {
            return Err(Refusal::Invalid(WrongAlgorithm));
        }
        let (message, signature) = token.rsplit_once('.').ok_or(Refusal::Invalid(Malformed))?;
        let (_, payload) = message.split_once('.').ok_or(Refusal::Invalid(Malformed))?;
        match key.verifier().verify(message.as_bytes(), signature) {
            Ok(()) => {}
            Err(SignatureError::Malformed) => return Err(Refusal::Invalid(Malformed)),
            Err(SignatureError::Invalid) => return Err(Refusal::Invalid(BadSignature)),
        }
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| Refusal::Invalid(Malformed))?;
        let StrictJson(claims) =
            serde_json::from_slice(&payload).map_err(|_| Refusal::Invalid(Malformed))?;
        if !claims.is_object() {
            return Err(Refusal::Invalid(Malformed));
        }
        self.check_registered_claims(&claims)?;
        // `iat` is informational (RFC 7519 §4.1.6), but when present it must be a NumericDate.
        if claims
            .get("iat")
            .is_some_and(|iat| numeric_date(iat).is_none())
        {
            return Err(Refusal::Invalid(MissingClaim));
        }
        if let Some(typ) = &self.typ {
            if !typ.accepts(header.typ.as_deref()) {
                return Err(Refusal::Invalid(WrongType));
            }
        }
        if self
            .required_claims
            .iter()
            .any(|claim| claims.get(claim).is_none_or(Value::is_null))
        {
            return Err(Refusal::Invalid(MissingClaim));
        }
        let scopes = collect(&self.scope_claims, &claims);
        let roles = collect(&self.role_claims, &claims);
        Ok(Principal::new(Scheme::Bearer, scopes, claims)
            .with_roles(roles.iter())
            .verified_by(key.fingerprint()))
    }
}

/// The union of the values at `paths`: space-delimited strings (RFC 8693 §4.2) or arrays of
/// strings. Values of any other type are ignored.
fn collect(paths: &[ClaimPath], claims: &Value) -> Scopes {
    let mut values = Scopes::new();
    for path in paths {
        match path.lookup(claims) {
            Some(Value::String(list)) => values.extend_from_list(list),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .for_each(|value| values.insert(value)),
            _ => {}
        }
    }
    values
}

/// An RFC 7519 NumericDate: a non-negative, finite number of seconds (possibly fractional,
/// rounded down), below 2^64.
pub(crate) fn numeric_date(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|seconds| seconds.is_finite() && *seconds >= 0.0 && *seconds < u64::MAX as f64)
            .map(|seconds| seconds as u64)
    })
}

/// JSON whose objects may not repeat a member name, at any depth.
///
/// RFC 7519 §4 lets a recipient either refuse duplicate claim names or keep the last one;
/// keeping one is how a token means one thing here and another to a component that keeps the
/// first (`{"scope":"none","scope":"admin"}`), so duplicates are refused. jsonwebtoken already
/// refuses them in the claims it validates itself (`exp`, `nbf`, `iss`, `aud`, `sub`).
struct StrictJson(Value);

impl<'de> serde::Deserialize<'de> for StrictJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictJson)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON without duplicate member names")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(StrictJson(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let StrictJson(value) = map.next_value()?;
            if object.contains_key(&name) {
                return Err(serde::de::Error::custom("duplicate member name"));
            }
            object.insert(name, value);
        }
        Ok(Value::Object(object))
    }
}
