//! What a verified token's claims must hold (RFC 7519 §4.1, RFC 9068 §4): `exp`, `nbf`, `iss`,
//! `aud`, `typ` and required claims, all read against one clock; where scopes and roles are read
//! from; and `acr` and `auth_time` (RFC 9068 §2.2.1), read once here for step-up checks.

use std::sync::Arc;

use serde_json::Value;

use crate::hierarchy::ScopeHierarchy;
use crate::http::refusal::{InvalidReason, Refusal};
use crate::principal::{ClaimSet, Principal, Scopes};
use crate::revocation::deny_list::TokenIds;
use crate::scheme::Scheme;

mod json;

#[cfg(feature = "testing")]
pub(crate) use json::oracle;
pub(crate) use json::Json;

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

    /// The object keys of the path, outermost first.
    #[cfg(feature = "testing")]
    pub(crate) fn segments(&self) -> &[String] {
        &self.segments
    }

    fn lookup<'v, 'p>(&self, claims: &'v Json<'p>) -> Option<&'v Json<'p>> {
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

/// A token that passed every check: its principal, the times the verified-token cache re-checks
/// on every hit, the fingerprint of the key that verified it, and what the deny-list knows it by.
pub(crate) struct Verified {
    pub(crate) principal: Arc<Principal>,
    /// `exp`, in seconds since the epoch (RFC 7519 §4.1.4); `u64::MAX` for an introspected
    /// token whose answer has none (RFC 7662 §2.2 makes it optional).
    pub(crate) exp: u64,
    /// `nbf`, if the token has one (RFC 7519 §4.1.5).
    pub(crate) nbf: Option<u64>,
    /// Identifies the key that verified the signature (see `Key::fingerprint`); 0 for an
    /// introspected token.
    pub(crate) key: u64,
    /// What the deny-list knows the token by.
    pub(crate) ids: TokenIds,
    /// The RFC 7638 thumbprint of the key the token is bound to (`cnf.jkt`, RFC 9449 §6.1):
    /// such a token is only good with a proof of that key, never as a plain Bearer token.
    pub(crate) bound_key: Option<Box<str>>,
}

/// Everything the claims of a token are checked against; fixed at start-up.
#[derive(Clone)]
pub(crate) struct ClaimRules {
    /// Accepted `iss` values; empty: `iss` is not checked.
    pub(crate) issuers: Vec<String>,
    /// Accepted `aud` values; empty: a token carrying an `aud` is refused.
    pub(crate) audiences: Vec<String>,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    pub(crate) leeway: u64,
    pub(crate) typ: Option<TypRequirement>,
    pub(crate) required_claims: Vec<String>,
    pub(crate) scope_claims: Vec<ClaimPath>,
    pub(crate) role_claims: Vec<ClaimPath>,
    /// The scopes broader scopes imply, added to the token's once, here.
    pub(crate) hierarchy: Arc<ScopeHierarchy>,
    /// The scheme of the principals these rules make: `Bearer`, or `DPoP` for the tokens
    /// presented with a proof.
    pub(crate) scheme: Scheme,
}

/// When a token may be used: `exp` and `nbf`, as NumericDates.
struct Lifetime {
    exp: Option<u64>,
    nbf: Option<u64>,
}

/// What the claims of a token that passed the checks say, owned: everything but the claims
/// themselves, which the principal is then given in whichever form the caller has them.
struct Facts {
    scopes: Scopes,
    roles: Scopes,
    subject: Option<Arc<str>>,
    acr: Option<String>,
    auth_time: Option<u64>,
    lifetime: Lifetime,
    ids: TokenIds,
    bound_key: Option<Box<str>>,
}

impl ClaimRules {
    /// Checks the claims of a token whose signature `key` verified — its decoded `payload` —
    /// at `now`, and builds its principal. `typ` is the JOSE header's. The principal keeps
    /// the payload and reads it as a `Value` only if a handler asks for the claims.
    pub(crate) fn check(
        &self,
        typ: Option<&str>,
        payload: Vec<u8>,
        key: u64,
        now: u64,
    ) -> Result<Verified, Refusal> {
        let facts = {
            let claims = parse_claims(&payload)?;
            let lifetime = self.check_registered_claims(&claims, true, now)?;
            if self
                .typ
                .as_ref()
                .is_some_and(|required| !required.accepts(typ))
            {
                return Err(Refusal::Invalid(InvalidReason::WrongType));
            }
            self.facts(&claims, lifetime, claims.get("sub").and_then(Json::as_str))?
        };
        Ok(self.verified(facts, ClaimSet::payload(payload), key))
    }

    /// Checks an introspection response (RFC 7662 §2.2), a JSON object, at `now`: `active`
    /// must be `true`, a `token_type` must name an access token, and the other members are
    /// checked as a JWT's claims are (`iss`, `aud`, `nbf`, `exp` — optional here — and the
    /// required claims). A response without `sub` (a client-credentials token) gets its
    /// `client_id` as the subject.
    pub(crate) fn check_introspection(
        &self,
        response: &[u8],
        now: u64,
    ) -> Result<Verified, Refusal> {
        use InvalidReason::*;
        let claims = parse_claims(response)?;
        if claims.get("active") != Some(&Json::Bool(true)) {
            return Err(Refusal::Invalid(Inactive));
        }
        if let Some(token_type) = claims.get("token_type") {
            let access = token_type.as_str().is_some_and(|token_type| {
                token_type.eq_ignore_ascii_case("Bearer") || token_type.eq_ignore_ascii_case("DPoP")
            });
            if !access {
                return Err(Refusal::Invalid(WrongTokenType));
            }
        }
        let subject = match claims.get("sub") {
            Some(sub) => sub.as_str(),
            None => claims.get("client_id").and_then(Json::as_str),
        };
        let lifetime = self.check_registered_claims(&claims, false, now)?;
        let facts = self.facts(&claims, lifetime, subject)?;
        // Read once more as a `Value`, for the principal: an introspected answer is cached, not
        // read on every request.
        let mut value: Value = serde_json::from_slice(response).unwrap_or_default();
        if let (Some(object), Some(subject)) = (value.as_object_mut(), &facts.subject) {
            object
                .entry("sub")
                .or_insert_with(|| Value::String(subject.to_string()));
        }
        Ok(self.verified(facts, ClaimSet::Value(value), 0))
    }

    /// The checks every token's claims pass, and what they say. `subject` is the token's.
    fn facts(
        &self,
        claims: &Json<'_>,
        lifetime: Lifetime,
        subject: Option<&str>,
    ) -> Result<Facts, Refusal> {
        use InvalidReason::*;
        // `iat` is informational (RFC 7519 §4.1.6), but when present it must be a NumericDate.
        let iat = match claims.get("iat") {
            None => None,
            Some(iat) => Some(numeric_date(iat).ok_or(Refusal::Invalid(MissingClaim))?),
        };
        // An introspected client token's `client_id` stands for its missing `sub`.
        let present = |claim: &String| {
            claims.get(claim).is_some_and(|value| *value != Json::Null)
                || (claim == "sub" && subject.is_some())
        };
        if !self.required_claims.iter().all(present) {
            return Err(Refusal::Invalid(MissingClaim));
        }
        let (acr, auth_time) = authentication(claims)?;
        let bound_key = match claims.get("cnf") {
            None => None,
            Some(cnf) => match cnf.get("jkt") {
                Some(Json::String(jkt)) => Some(Box::from(&**jkt)),
                // A confirmation this verifier cannot honour binds the token all the same.
                _ => Some(Box::from("")),
            },
        };
        // RFC 7519 §4.1.7 makes `jti` a string; a number some issuers send is taken as its
        // decimal text, so that revoking "7" refuses it too.
        let jti = match claims.get("jti") {
            // An integer as its text by itoa: the same text as `Display`, without formatting
            // into a growing string.
            Some(Json::Number(jti)) => Some(match jti.as_i64() {
                Some(jti) => Box::from(itoa::Buffer::new().format(jti)),
                None => jti.to_string().into_boxed_str(),
            }),
            jti => jti.and_then(Json::as_str).map(Box::from),
        };
        let subject: Option<Arc<str>> = subject.map(Arc::from);
        Ok(Facts {
            scopes: collect(&self.scope_claims, claims),
            roles: collect(&self.role_claims, claims),
            ids: TokenIds::new(jti, subject.clone(), iat),
            subject,
            acr,
            auth_time,
            lifetime,
            bound_key,
        })
    }

    /// The verified token whose claims `facts` describes and `claims` holds.
    fn verified(&self, facts: Facts, claims: ClaimSet, key: u64) -> Verified {
        let Facts {
            scopes,
            roles,
            subject,
            acr,
            auth_time,
            lifetime: Lifetime { exp, nbf },
            ids,
            bound_key,
        } = facts;
        let mut principal = Principal::with_claims(self.scheme, scopes, roles, subject, claims);
        if let Some(acr) = acr {
            principal = principal.with_acr(acr);
        }
        if let Some(auth_time) = auth_time {
            principal = principal.with_auth_time(auth_time);
        }
        self.hierarchy.close(principal.close_scopes());
        Verified {
            principal: Arc::new(principal),
            exp: exp.unwrap_or(u64::MAX),
            nbf,
            key,
            ids,
            bound_key,
        }
    }

    /// `exp` (required unless `exp_required` is false), `nbf`, `iss` and `aud` (RFC 7519
    /// §4.1.1–4.1.5), in jsonwebtoken's order: presence first, then time, then values.
    fn check_registered_claims(
        &self,
        claims: &Json<'_>,
        exp_required: bool,
        now: u64,
    ) -> Result<Lifetime, Refusal> {
        use InvalidReason::*;
        let exp = match claims.get("exp") {
            None if !exp_required => None,
            exp => Some(
                exp.and_then(numeric_date)
                    .ok_or(Refusal::Invalid(MissingClaim))?,
            ),
        };
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
        if exp.is_some_and(|exp| exp.saturating_add(self.leeway) < now) {
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
                Json::String(aud) => self.audiences.iter().any(|expected| expected == aud),
                Json::Array(auds) if auds.is_empty() => self.audiences.is_empty(),
                Json::Array(auds) => auds.iter().any(|aud| {
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
        Ok(Lifetime { exp, nbf })
    }
}

/// `acr` and `auth_time` (OpenID Connect Core §2, RFC 9068 §2.2.1): informational unless an
/// endpoint requires them, but when present they must be a string and a NumericDate.
fn authentication(claims: &Json<'_>) -> Result<(Option<String>, Option<u64>), Refusal> {
    let wrong_type = Refusal::Invalid(InvalidReason::MissingClaim);
    let acr = match claims.get("acr") {
        None => None,
        Some(Json::String(acr)) => Some(acr.to_string()),
        Some(_) => return Err(wrong_type),
    };
    let auth_time = match claims.get("auth_time") {
        None => None,
        Some(auth_time) => Some(numeric_date(auth_time).ok_or(wrong_type)?),
    };
    Ok((acr, auth_time))
}

/// The union of the values at `paths`: space-delimited strings (RFC 8693 §4.2) or arrays of
/// strings. Values of any other type are ignored.
fn collect(paths: &[ClaimPath], claims: &Json<'_>) -> Scopes {
    let mut values = Scopes::new();
    for path in paths {
        match path.lookup(claims) {
            Some(Json::String(list)) => values.extend_from_list(list),
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(Json::as_str)
                .for_each(|value| values.insert(value)),
            _ => {}
        }
    }
    values
}

/// The claims of a token's payload (or an introspection response): a JSON object in which no
/// object repeats a member name.
pub(crate) fn parse_claims(payload: &[u8]) -> Result<Json<'_>, Refusal> {
    match Json::parse(payload) {
        Some(claims @ Json::Object(_)) => Ok(claims),
        _ => Err(Refusal::Invalid(InvalidReason::Malformed)),
    }
}

/// An RFC 7519 NumericDate: a non-negative, finite number of seconds (possibly fractional,
/// rounded down), below 2^64.
fn numeric_date(value: &Json<'_>) -> Option<u64> {
    match value {
        Json::Number(number) => numeric_date_of(number),
        _ => None,
    }
}

/// The NumericDate `number` is, if it is one.
pub(crate) fn numeric_date_of(number: &serde_json::Number) -> Option<u64> {
    number.as_u64().or_else(|| {
        number
            .as_f64()
            .filter(|seconds| seconds.is_finite() && *seconds >= 0.0 && *seconds < u64::MAX as f64)
            .map(|seconds| seconds as u64)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: u64 = 1_800_000_000;
    const LEEWAY: u64 = 60;

    fn rules(audiences: &[&str]) -> ClaimRules {
        ClaimRules {
            issuers: Vec::new(),
            audiences: audiences.iter().map(|aud| (*aud).to_owned()).collect(),
            leeway: LEEWAY,
            typ: None,
            required_claims: Vec::new(),
            scope_claims: vec![ClaimPath::from("scope")],
            role_claims: Vec::new(),
            hierarchy: Arc::new(ScopeHierarchy::default()),
            scheme: Scheme::Bearer,
        }
    }

    fn bytes(claims: &Value) -> Vec<u8> {
        serde_json::to_vec(claims).unwrap()
    }

    fn refusal(rules: &ClaimRules, claims: Value) -> Option<Refusal> {
        rules.check(None, bytes(&claims), 1, NOW).err()
    }

    #[test]
    fn claims_are_a_json_object_without_a_repeated_member() {
        assert!(parse_claims(br#"{"sub":"alice","n":{"k":1}}"#).is_ok());
        let malformed = Some(Refusal::Invalid(InvalidReason::Malformed));
        for refused in [
            &br#"{"scope":"none","scope":"admin"}"#[..],
            br#"{"cnf":{"jkt":"a","jkt":"b"}}"#,
            br#"[{"sub":"alice"}]"#,
            br#""claims""#,
            b"{",
        ] {
            assert_eq!(parse_claims(refused).err(), malformed);
            assert_eq!(
                rules(&[]).check(None, refused.to_vec(), 1, NOW).err(),
                malformed
            );
            assert_eq!(
                rules(&[]).check_introspection(refused, NOW).err(),
                malformed
            );
        }
    }

    #[test]
    fn the_principal_reads_the_payload_as_the_claims_and_its_subject() {
        let payload = br#"{"exp":1800000600,"sub":"al\u0069ce","s":"a\u0041","n":-5,"f":1.5,"a":[1,{"x":-2}]}"#;
        let verified = rules(&[]).check(None, payload.to_vec(), 1, NOW).unwrap();
        let principal = &verified.principal;
        assert_eq!(principal.subject(), Some("alice"));
        assert_eq!(
            principal.claims(),
            &json!({ "exp": 1_800_000_600u64, "sub": "alice", "s": "aA", "n": -5, "f": 1.5, "a": [1, { "x": -2 }] })
        );
        assert_eq!(principal.claim("n"), Some(&json!(-5)));
        assert!(format!("{principal:?}").contains(r#""s": String("aA")"#));
        let not_a_string = json!({ "exp": NOW + 600, "sub": 7 });
        assert_eq!(
            rules(&[])
                .check(None, bytes(&not_a_string), 1, NOW)
                .unwrap()
                .principal
                .subject(),
            None
        );
    }

    #[test]
    fn exp_and_nbf_hold_up_to_the_leeway_and_not_a_second_more() {
        let rules = rules(&[]);
        assert_eq!(refusal(&rules, json!({ "exp": NOW - LEEWAY })), None);
        assert_eq!(
            refusal(&rules, json!({ "exp": NOW - LEEWAY - 1 })),
            Some(Refusal::Expired)
        );
        let exp = NOW + 600;
        assert_eq!(
            refusal(&rules, json!({ "exp": exp, "nbf": NOW + LEEWAY })),
            None
        );
        assert_eq!(
            refusal(&rules, json!({ "exp": exp, "nbf": NOW + LEEWAY + 1 })),
            Some(Refusal::NotYetValid)
        );
    }

    #[test]
    fn an_empty_audience_array_names_no_one() {
        let exp = NOW + 600;
        assert_eq!(refusal(&rules(&[]), json!({ "exp": exp, "aud": [] })), None);
        assert_eq!(
            refusal(&rules(&["api"]), json!({ "exp": exp, "aud": [] })),
            Some(Refusal::Invalid(InvalidReason::WrongAudience))
        );
        assert_eq!(
            refusal(
                &rules(&["api"]),
                json!({ "exp": exp, "aud": ["other", "api"] })
            ),
            None
        );
    }

    #[test]
    fn a_required_claim_must_be_present_and_not_null() {
        let mut rules = rules(&[]);
        rules.required_claims = vec!["tenant".into()];
        let exp = NOW + 600;
        assert_eq!(
            refusal(&rules, json!({ "exp": exp, "tenant": "acme" })),
            None
        );
        assert_eq!(
            refusal(&rules, json!({ "exp": exp, "tenant": false })),
            None
        );
        for missing in [json!({ "exp": exp }), json!({ "exp": exp, "tenant": null })] {
            assert_eq!(
                refusal(&rules, missing),
                Some(Refusal::Invalid(InvalidReason::MissingClaim))
            );
        }
    }

    #[test]
    fn an_introspection_answer_must_be_active_and_of_an_access_token() {
        let rules = rules(&[]);
        let answer = |answer: Value| rules.check_introspection(&bytes(&answer), NOW).err();
        for accepted in ["Bearer", "bearer", "DPoP", "dpop"] {
            assert_eq!(
                answer(json!({ "active": true, "token_type": accepted })),
                None
            );
        }
        assert_eq!(answer(json!({ "active": true })), None);
        for refused in [json!("refresh_token"), json!("Bearerx"), json!(7)] {
            assert_eq!(
                answer(json!({ "active": true, "token_type": refused })),
                Some(Refusal::Invalid(InvalidReason::WrongTokenType))
            );
        }
        for inactive in [
            json!({ "active": false }),
            json!({ "active": "true" }),
            json!({}),
        ] {
            assert_eq!(
                answer(inactive),
                Some(Refusal::Invalid(InvalidReason::Inactive))
            );
        }
    }

    #[test]
    fn exp_is_required_of_a_jwt_but_not_of_an_introspection_response() {
        let rules = rules(&[]);
        assert_eq!(
            refusal(&rules, json!({ "sub": "alice" })),
            Some(Refusal::Invalid(InvalidReason::MissingClaim))
        );
        let verified = rules
            .check_introspection(&bytes(&json!({ "active": true, "sub": "alice" })), NOW)
            .unwrap();
        assert_eq!(verified.exp, u64::MAX);
        assert_eq!(verified.key, 0);
    }

    #[test]
    fn an_introspected_client_token_gets_its_client_id_as_subject_and_a_sub_is_kept() {
        let rules = rules(&[]);
        let subject = |claims: Value| {
            let verified = rules.check_introspection(&bytes(&claims), NOW).unwrap();
            let subject = verified.principal.subject().map(str::to_owned);
            assert_eq!(
                verified.principal.claim("sub").and_then(Value::as_str),
                subject.as_deref()
            );
            subject
        };
        assert_eq!(
            subject(json!({ "active": true, "client_id": "reporting" })).as_deref(),
            Some("reporting")
        );
        assert_eq!(
            subject(json!({ "active": true, "sub": "alice", "client_id": "reporting" })).as_deref(),
            Some("alice")
        );
        assert_eq!(subject(json!({ "active": true, "client_id": 7 })), None);

        // A required `sub` is the client's then too, as the principal's claims show it.
        let mut rules = rules.clone();
        rules.required_claims = vec!["sub".into()];
        let client = json!({ "active": true, "client_id": "reporting" });
        let verified = rules.check_introspection(&bytes(&client), NOW).unwrap();
        assert_eq!(verified.principal.claim("sub"), Some(&json!("reporting")));
        let refused =
            rules.check_introspection(&bytes(&json!({ "active": true, "client_id": 7 })), NOW);
        assert_eq!(
            refused.err(),
            Some(Refusal::Invalid(InvalidReason::MissingClaim))
        );
        let jwt = rules.check(
            None,
            bytes(&json!({ "exp": NOW + 600, "client_id": "reporting" })),
            1,
            NOW,
        );
        assert_eq!(
            jwt.err(),
            Some(Refusal::Invalid(InvalidReason::MissingClaim))
        );
    }

    #[test]
    fn cnf_jkt_binds_the_token_to_that_thumbprint_and_any_other_confirmation_to_none() {
        let rules = rules(&[]);
        let bound = |claims: Value| rules.check(None, bytes(&claims), 1, NOW).unwrap().bound_key;
        let exp = NOW + 600;
        assert_eq!(bound(json!({ "exp": exp })), None);
        assert_eq!(
            bound(json!({ "exp": exp, "cnf": { "jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" } }))
                .as_deref(),
            Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
        );
        assert_eq!(
            bound(json!({ "exp": exp, "cnf": { "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2" } }))
                .as_deref(),
            Some("")
        );
        assert_eq!(
            bound(json!({ "exp": exp, "cnf": { "jkt": 7 } })).as_deref(),
            Some("")
        );
    }

    #[test]
    fn a_numeric_jti_is_revoked_by_its_decimal_text() {
        use crate::revocation::deny_list::{DenyList, Revocation, Verdict};
        let rules = rules(&[]);
        let exp = NOW + 600;
        let list = DenyList::new(None);
        for jti in [
            "7",
            "-7",
            "18446744073709551615",
            "-9223372036854775808",
            "1.5",
            "abc",
        ] {
            list.insert(Revocation::jti(jti).until(u64::MAX));
        }
        let revoked = |jti: Value| {
            let verified = rules
                .check(None, bytes(&json!({ "exp": exp, "jti": jti })), 1, NOW)
                .unwrap();
            matches!(list.verdict(&verified.ids, b"x.y.z", NOW), Verdict::Revoked)
        };
        for jti in [
            json!(7),
            json!(-7),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1.5),
            json!("7"),
            json!("abc"),
        ] {
            assert!(revoked(jti.clone()), "{jti}");
        }
        for jti in [
            json!(8),
            json!(70),
            json!(-8),
            json!(7.5),
            json!(true),
            json!(null),
        ] {
            assert!(!revoked(jti.clone()), "{jti}");
        }
    }
}
