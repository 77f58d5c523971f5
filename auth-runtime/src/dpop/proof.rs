//! One DPoP proof (RFC 9449 §4): its parsing and every check of §4.3 that needs only the
//! request and the access token. The key binding (`cnf.jkt`) and the replay check come after,
//! in `mod.rs`, once the token is known to be valid.

use std::sync::Arc;

use actix_web::http::header::HOST;
use actix_web::HttpRequest;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use quick_cache::sync::Cache;
use serde::de::IgnoredAny;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::bearer::claims::numeric_date_of;
use crate::bearer::verifier::{SignatureError, Verifier};
use crate::dpop::nonce::{Freshness, Nonces};
use crate::http::refusal::{ProofReason, Refusal};

/// The base64url alphabet without padding, strict: trailing bits must be zero, so that every
/// value has exactly one encoding.
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The length of a base64url SHA-256 digest.
pub(crate) const DIGEST_B64_LEN: usize = 43;

/// How many proof headers' keys are kept prepared (see [`ProofKeys`]).
const PREPARED_KEYS: usize = 4096;

/// The rules every proof is checked against; fixed at start-up.
pub(crate) struct ProofRules {
    /// The accepted `alg` values: asymmetric only.
    pub(crate) algorithms: Vec<Algorithm>,
    /// Seconds `iat` may be away from the server's clock, either way.
    pub(crate) window: u64,
    /// The origin (`scheme://host[:port]`) of the URIs clients use, when the server cannot see
    /// it itself (behind a proxy).
    pub(crate) origin: Option<String>,
    /// Whether `Forwarded` / `X-Forwarded-Proto` / `X-Forwarded-Host` tell the origin.
    pub(crate) trust_forwarded: bool,
    /// The longest proof accepted, in bytes.
    pub(crate) max_proof_bytes: usize,
    /// Server nonces, when required (§9).
    pub(crate) nonces: Option<Nonces>,
    /// The keys of the proof headers seen lately, prepared.
    pub(crate) keys: ProofKeys,
}

/// The keys of recent proof headers, ready to verify with.
///
/// A client signs every proof with the same key, so its proofs carry the same protected header
/// (`typ`, `alg`, `jwk`) byte for byte. Everything this module derives from a header (whether
/// it is acceptable, the algorithm, the key prepared for verification, its thumbprint) is a
/// function of those bytes and of rules fixed at start-up, so it is kept under the header's
/// base64url text: a client's next proof then costs its signature check, not a key parse.
/// Only headers that passed every check are kept; a header in any other encoding is a new
/// entry, checked in full. Bounded: the least used entries leave first.
pub(crate) struct ProofKeys(Cache<Box<str>, Arc<ProofKey>>);

impl ProofKeys {
    pub(crate) fn new() -> Self {
        ProofKeys(Cache::new(PREPARED_KEYS))
    }
}

/// What a proof header yields once checked: its key, ready for the header's algorithm.
struct ProofKey {
    verifier: Verifier,
    thumbprint: [u8; DIGEST_B64_LEN],
}

/// A proof that passed every check that does not depend on the token's claims.
pub(crate) struct CheckedProof {
    /// The base64url RFC 7638 SHA-256 thumbprint of the proof's key.
    pub(crate) thumbprint: [u8; DIGEST_B64_LEN],
    /// What the replay cache knows the proof by: the key's thumbprint and the `jti`, hashed.
    pub(crate) id: [u8; 32],
    /// `iat`, in seconds since the epoch.
    pub(crate) iat: u64,
    /// Whether its server nonce is of the previous period: accepted, and the response gives the
    /// current one (RFC 9449 §8.2).
    pub(crate) renews_nonce: bool,
}

impl CheckedProof {
    /// The thumbprint as text.
    pub(crate) fn thumbprint(&self) -> &str {
        // Only base64url characters were written into it.
        std::str::from_utf8(&self.thumbprint).unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct Header {
    typ: Option<String>,
    alg: Option<String>,
    jwk: Option<ProofJwk>,
    crit: Option<IgnoredAny>,
}

/// The members of a JWK this verifier reads, and the private ones it refuses (RFC 7518 §6).
#[derive(Deserialize)]
struct ProofJwk {
    kty: String,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
    d: Option<IgnoredAny>,
    p: Option<IgnoredAny>,
    q: Option<IgnoredAny>,
    dp: Option<IgnoredAny>,
    dq: Option<IgnoredAny>,
    qi: Option<IgnoredAny>,
    oth: Option<IgnoredAny>,
    k: Option<IgnoredAny>,
}

impl ProofJwk {
    fn has_private_members(&self) -> bool {
        self.d.is_some()
            || self.p.is_some()
            || self.q.is_some()
            || self.dp.is_some()
            || self.dq.is_some()
            || self.qi.is_some()
            || self.oth.is_some()
            || self.k.is_some()
    }
}

#[derive(Deserialize)]
struct Claims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<serde_json::Number>,
    ath: Option<String>,
    nonce: Option<String>,
}

/// The asymmetric JWS algorithms a proof may use, by name (RFC 7518 §3.1, RFC 8037 §3.1).
pub(crate) fn algorithm_named(name: &str) -> Option<Algorithm> {
    Some(match name {
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        _ => return None,
    })
}

fn refuse(reason: ProofReason) -> Refusal {
    Refusal::InvalidProof(reason)
}

impl ProofRules {
    /// Checks `proof` (the `DPoP` header's value) for `req`, carrying `token`, at `now`: every
    /// check of RFC 9449 §4.3 but the key binding and the replay.
    pub(crate) fn check(
        &self,
        req: &HttpRequest,
        proof: &[u8],
        token: &str,
        now: u64,
    ) -> Result<CheckedProof, Refusal> {
        use ProofReason::*;
        if proof.len() > self.max_proof_bytes {
            return Err(refuse(Malformed));
        }
        let proof = std::str::from_utf8(proof).map_err(|_| refuse(Malformed))?;
        let mut parts = proof.split('.');
        let (Some(header_b64), Some(claims_b64), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(refuse(Malformed));
        };
        let key = match self.keys.0.get(header_b64) {
            Some(key) => key,
            None => {
                let key = Arc::new(self.header_key(header_b64)?);
                self.keys.0.insert(header_b64.into(), Arc::clone(&key));
                key
            }
        };
        let message = &proof[..header_b64.len() + 1 + claims_b64.len()];
        match key.verifier.verify(message.as_bytes(), signature) {
            Ok(()) => {}
            Err(SignatureError::Malformed) => return Err(refuse(Malformed)),
            Err(SignatureError::Invalid) => return Err(refuse(BadSignature)),
        }
        let claims: Claims = decode_json(claims_b64)?;
        let (Some(jti), Some(htm), Some(htu), Some(iat)) =
            (claims.jti, claims.htm, claims.htu, claims.iat)
        else {
            return Err(refuse(Malformed));
        };
        let iat = numeric_date_of(&iat).ok_or(refuse(Malformed))?;
        if jti.is_empty() {
            return Err(refuse(Malformed));
        }
        if htm != req.method().as_str() {
            return Err(refuse(WrongMethod));
        }
        if !self.matches_request_uri(req, &htu) {
            return Err(refuse(WrongUrl));
        }
        if now.abs_diff(iat) > self.window {
            return Err(refuse(OutsideWindow));
        }
        let freshness = self
            .nonces
            .as_ref()
            .map(|nonces| nonces.check(claims.nonce.as_deref(), now));
        if freshness == Some(Freshness::Stale) {
            return Err(Refusal::UseDpopNonce);
        }
        let ath_ok = claims
            .ath
            .is_some_and(|ath| ath.as_bytes() == digest_b64(token.as_bytes()));
        if !ath_ok {
            return Err(refuse(WrongTokenHash));
        }
        let mut id = Sha256::new();
        id.update(key.thumbprint);
        id.update([0]);
        id.update(jti.as_bytes());
        Ok(CheckedProof {
            thumbprint: key.thumbprint,
            id: id.finalize().into(),
            iat,
            renews_nonce: freshness == Some(Freshness::Previous),
        })
    }

    /// The key of a proof's protected header: every check of the header (§4.3 checks 2 to 6).
    fn header_key(&self, header_b64: &str) -> Result<ProofKey, Refusal> {
        use ProofReason::*;
        let header: Header = decode_json(header_b64)?;
        if header.crit.is_some() {
            return Err(refuse(Malformed));
        }
        let typ_ok = header
            .typ
            .as_deref()
            .is_some_and(|typ| typ.eq_ignore_ascii_case("dpop+jwt"));
        if !typ_ok {
            return Err(refuse(WrongType));
        }
        let algorithm = header
            .alg
            .as_deref()
            .and_then(algorithm_named)
            .filter(|algorithm| self.algorithms.contains(algorithm))
            .ok_or(refuse(WrongAlgorithm))?;
        let jwk = header.jwk.ok_or(refuse(UnusableKey))?;
        if jwk.has_private_members() {
            return Err(refuse(PrivateKey));
        }
        let (verifier, thumbprint) = public_key(&jwk, algorithm)?;
        Ok(ProofKey {
            verifier,
            thumbprint,
        })
    }

    /// Whether `htu` is the URI of `req` without query and fragment, both normalised as
    /// RFC 3986 §6.2.2 and §6.2.3 say: scheme and host case, default ports, dot segments
    /// (RFC 9449 §4.3 check 9).
    ///
    /// A client usually writes `htu` exactly as the server sees the URI; that is a match
    /// without normalising either.
    fn matches_request_uri(&self, req: &HttpRequest, htu: &str) -> bool {
        let Some(expected) = self.request_uri(req) else {
            return false;
        };
        if htu == expected {
            return true;
        }
        let Ok(mut claimed) = url::Url::parse(htu) else {
            return false;
        };
        claimed.set_query(None);
        claimed.set_fragment(None);
        url::Url::parse(&expected).is_ok_and(|expected| expected == claimed)
    }

    /// The URI of `req` without its query, as the client addressed it: `None` when the `Host`
    /// header is not text.
    fn request_uri(&self, req: &HttpRequest) -> Option<String> {
        Some(match &self.origin {
            Some(origin) => format!("{origin}{}", req.path()),
            None if self.trust_forwarded => {
                let info = req.connection_info();
                format!("{}://{}{}", info.scheme(), info.host(), req.path())
            }
            None => {
                let scheme = match req.uri().scheme_str() {
                    Some(scheme) => scheme,
                    None if req.app_config().secure() => "https",
                    None => "http",
                };
                let host = match req.uri().authority() {
                    Some(authority) => authority.as_str(),
                    None => match req.headers().get(HOST).map(|host| host.to_str()) {
                        Some(Ok(host)) => host,
                        Some(Err(_)) => return None,
                        None => req.app_config().host(),
                    },
                };
                format!("{scheme}://{host}{}", req.path())
            }
        })
    }
}

/// The JSON object a base64url segment holds.
fn decode_json<T: for<'de> Deserialize<'de>>(segment: &str) -> Result<T, Refusal> {
    let malformed = refuse(ProofReason::Malformed);
    let bytes = B64.decode(segment).map_err(|_| malformed)?;
    // Duplicate member names of the members read are refused by serde's derive.
    serde_json::from_slice(&bytes).map_err(|_| malformed)
}

/// The base64url SHA-256 of `bytes`, as `ath` and `jkt` carry it.
pub(crate) fn digest_b64(bytes: &[u8]) -> [u8; DIGEST_B64_LEN] {
    let mut out = [0u8; DIGEST_B64_LEN];
    // 32 bytes are always 43 characters.
    let _ = B64.encode_slice(Sha256::digest(bytes), &mut out);
    out
}

/// Decodes a base64url member of a JWK, strictly, and requires `len` bytes when given.
fn member(value: Option<&String>, len: Option<usize>) -> Result<Vec<u8>, Refusal> {
    let unusable = refuse(ProofReason::UnusableKey);
    let bytes = B64.decode(value.ok_or(unusable)?).map_err(|_| unusable)?;
    match len {
        Some(len) if bytes.len() != len => Err(unusable),
        _ => Ok(bytes),
    }
}

/// The verifier of the proof's public key for `algorithm`, and the key's RFC 7638 thumbprint.
///
/// The key must be of `algorithm`'s type and curve, in the one encoding RFC 7518 §6 allows
/// (coordinates of full length, RSA integers without leading zeros), so that one key has one
/// thumbprint.
fn public_key(
    jwk: &ProofJwk,
    algorithm: Algorithm,
) -> Result<(Verifier, [u8; DIGEST_B64_LEN]), Refusal> {
    let unusable = refuse(ProofReason::UnusableKey);
    let crv = jwk.crv.as_deref();
    let (decoding, canonical) = match (jwk.kty.as_str(), algorithm) {
        ("EC", Algorithm::ES256 | Algorithm::ES384) => {
            let (name, len) = match algorithm {
                Algorithm::ES256 => ("P-256", 32),
                _ => ("P-384", 48),
            };
            if crv != Some(name) {
                return Err(unusable);
            }
            let x = member(jwk.x.as_ref(), Some(len))?;
            let y = member(jwk.y.as_ref(), Some(len))?;
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            let (x, y) = (jwk.x.as_deref(), jwk.y.as_deref());
            let canonical = format!(
                r#"{{"crv":"{name}","kty":"EC","x":"{}","y":"{}"}}"#,
                x.unwrap_or_default(),
                y.unwrap_or_default()
            );
            (DecodingKey::from_ec_der(&point), canonical)
        }
        ("OKP", Algorithm::EdDSA) => {
            if crv != Some("Ed25519") {
                return Err(unusable);
            }
            let x = member(jwk.x.as_ref(), Some(32))?;
            let canonical = format!(
                r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                jwk.x.as_deref().unwrap_or_default()
            );
            (DecodingKey::from_ed_der(&x), canonical)
        }
        (
            "RSA",
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => {
            let n = member(jwk.n.as_ref(), None)?;
            let e = member(jwk.e.as_ref(), None)?;
            if n.first().is_none_or(|&b| b == 0) || e.first().is_none_or(|&b| b == 0) {
                return Err(unusable);
            }
            let canonical = format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                jwk.e.as_deref().unwrap_or_default(),
                jwk.n.as_deref().unwrap_or_default()
            );
            (DecodingKey::from_rsa_raw_components(&n, &e), canonical)
        }
        _ => return Err(unusable),
    };
    let verifier = Verifier::new(algorithm, &decoding).map_err(|_| unusable)?;
    Ok((verifier, digest_b64(canonical.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1: the thumbprint of the example RSA key.
    #[test]
    fn the_thumbprint_of_rfc_7638s_example() {
        let jwk: ProofJwk = serde_json::from_value(serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        }))
        .unwrap();
        let (_, thumbprint) = public_key(&jwk, Algorithm::RS256).unwrap();
        assert_eq!(
            std::str::from_utf8(&thumbprint).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn a_key_of_another_type_than_the_algorithm_is_unusable() {
        let jwk: ProofJwk = serde_json::from_value(serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        }))
        .unwrap();
        assert!(public_key(&jwk, Algorithm::EdDSA).is_ok());
        assert_eq!(
            public_key(&jwk, Algorithm::ES256).err(),
            Some(refuse(ProofReason::UnusableKey))
        );
    }

    /// Only headers that passed every check are kept, once each, and a kept header's proofs
    /// still have their signatures checked.
    #[cfg(feature = "testing")]
    #[test]
    fn only_accepted_headers_keep_their_key_and_signatures_are_still_checked() {
        use crate::testing::DpopKey;
        let rules = ProofRules {
            algorithms: vec![Algorithm::ES256, Algorithm::EdDSA],
            window: 60,
            origin: None,
            trust_forwarded: false,
            max_proof_bytes: 8192,
            nonces: None,
            keys: ProofKeys::new(),
        };
        let req = actix_web::test::TestRequest::get()
            .uri("/items")
            .insert_header((HOST, "api.example"))
            .to_http_request();
        let url = "http://api.example/items";
        let now = crate::clock::now();
        let (client, other) = (DpopKey::es256(), DpopKey::es256());
        let check = |proof: &str| rules.check(&req, proof.as_bytes(), "token", now);

        let mut jwk = client.public_jwk().clone();
        jwk["d"] = serde_json::json!("AAAA");
        let private = client.proof("GET", url).token("token").header("jwk", jwk);
        assert_eq!(
            check(&private.sign()).err(),
            Some(refuse(ProofReason::PrivateKey))
        );
        assert_eq!(rules.keys.0.len(), 0);

        let first = check(&client.proof("GET", url).token("token").sign()).unwrap();
        assert_eq!(first.thumbprint(), client.thumbprint());
        assert_eq!(rules.keys.0.len(), 1);
        let second = check(&client.proof("GET", url).token("token").sign()).unwrap();
        assert_eq!(second.thumbprint(), client.thumbprint());
        assert_ne!(first.id, second.id);
        assert_eq!(rules.keys.0.len(), 1);

        // The client's header, signed by another key.
        let forged = client.proof("GET", url).token("token").signed_by(&other);
        assert_eq!(
            check(&forged.sign()).err(),
            Some(refuse(ProofReason::BadSignature))
        );
        let eddsa = DpopKey::eddsa();
        check(&eddsa.proof("GET", url).token("token").sign()).unwrap();
        assert_eq!(rules.keys.0.len(), 2);
    }
}
