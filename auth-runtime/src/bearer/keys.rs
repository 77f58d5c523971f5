//! Verification keys, each bound to exactly one algorithm (RFC 8725 §3.1).

use std::fmt;

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, EllipticCurveKeyParameters, Jwk, KeyAlgorithm,
    KeyOperations, OctetKeyPairParameters, PublicKeyUse, RSAKeyParameters,
};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind};

use crate::bearer::verifier::Verifier;
use crate::error::ConfigError;

/// A key that verifies token signatures, bound to exactly one algorithm.
///
/// The set of configured keys is the algorithm allow-list: a token is only ever verified with
/// the algorithm of the key that was chosen for it, whatever its header says. `alg: none` has
/// no key, and an HMAC token can never be checked against an RSA or EC public key, so the
/// classic algorithm-confusion attacks are impossible by construction.
///
/// A key is prepared for verification once, when it is made (the HMAC keyed, the RSA modulus
/// parsed, the curve point checked and decompressed), so that a token pays only for its own
/// signature; material that is not a key of its algorithm is refused then, with
/// [`ConfigError::InvalidKey`], rather than failing every token. The same keys are accepted
/// whichever signature backend the crate is built with: RSA moduli of 2048 (RFC 7518 §3.3) to
/// 8192 bits with an odd public exponent below 2^33, EC points on their curve, Ed25519 points.
///
/// `Debug` never shows key material.
///
/// ```
/// use auth_runtime::Key;
///
/// let key = Key::hs256(b"an-obviously-fake-secret-of-32-bytes!!").unwrap().with_kid("2026-11");
/// assert_eq!(key.algorithm(), jsonwebtoken::Algorithm::HS256);
/// assert!(!format!("{key:?}").contains("fake"));
/// ```
#[derive(Clone)]
pub struct Key {
    algorithm: Algorithm,
    kid: Option<String>,
    /// The key prepared for verification, once (see `verifier.rs`).
    verifier: Verifier,
    /// Identifies the key material and algorithm (not the `kid`), so that cached verifications
    /// can be dropped when their key leaves the key set.
    fingerprint: u64,
}

impl Key {
    /// An HMAC secret for `HS256`, `HS384` or `HS512`.
    ///
    /// RFC 7518 §3.2: "a key of the same size as the hash output (for instance, 256 bits for
    /// HS256) or larger MUST be used"; shorter secrets are refused.
    pub fn hmac(algorithm: Algorithm, secret: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let min_bytes = match algorithm {
            Algorithm::HS256 => 32,
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
            _ => return Err(mismatch(algorithm, "an HMAC secret")),
        };
        let secret = secret.as_ref();
        if secret.len() < min_bytes {
            return Err(ConfigError::WeakSecret {
                algorithm,
                min_bytes,
            });
        }
        Key::bind(algorithm, DecodingKey::from_secret(secret))
    }

    /// An HMAC secret for `HS256` (at least 32 bytes).
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        Key::hmac(Algorithm::HS256, secret)
    }

    /// An RSA public key in PEM (PKCS#1 or SPKI) for `RS256/384/512` or `PS256/384/512`, of
    /// 2048 to 8192 bits.
    pub fn rsa_pem(algorithm: Algorithm, pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        require_family(algorithm, AlgorithmFamily::Rsa, "an RSA key")?;
        let decoding = DecodingKey::from_rsa_pem(pem.as_ref()).map_err(invalid(algorithm))?;
        Key::bind(algorithm, decoding)
    }

    /// An RSA public key in DER (PKCS#1 `RSAPublicKey` or SPKI) for `RS256/384/512` or
    /// `PS256/384/512`, of 2048 to 8192 bits.
    pub fn rsa_der(algorithm: Algorithm, der: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        require_family(algorithm, AlgorithmFamily::Rsa, "an RSA key")?;
        Key::bind(algorithm, DecodingKey::from_rsa_der(der.as_ref()))
    }

    /// An EC public key in PEM: P-256 for `ES256`, P-384 for `ES384`.
    pub fn ec_pem(algorithm: Algorithm, pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        require_family(algorithm, AlgorithmFamily::Ec, "an EC key")?;
        let decoding = DecodingKey::from_ec_pem(pem.as_ref()).map_err(invalid(algorithm))?;
        check_curve(algorithm, &decoding)?;
        Key::bind(algorithm, decoding)
    }

    /// An EC public key as an uncompressed SEC1 point (the `subjectPublicKey` of SPKI DER):
    /// P-256 for `ES256`, P-384 for `ES384`.
    pub fn ec_der(algorithm: Algorithm, der: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        require_family(algorithm, AlgorithmFamily::Ec, "an EC key")?;
        let decoding = DecodingKey::from_ec_der(der.as_ref());
        check_curve(algorithm, &decoding)?;
        Key::bind(algorithm, decoding)
    }

    /// An Ed25519 public key in PEM, for `EdDSA`.
    pub fn ed25519_pem(pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let decoding = DecodingKey::from_ed_pem(pem.as_ref()).map_err(invalid(Algorithm::EdDSA))?;
        Key::bind(Algorithm::EdDSA, decoding)
    }

    /// An Ed25519 public key as its 32 raw bytes, for `EdDSA`.
    pub fn ed25519_der(der: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        if der.as_ref().len() != 32 {
            return Err(ConfigError::InvalidKey {
                algorithm: Algorithm::EdDSA,
                reason: "an Ed25519 public key is 32 bytes".into(),
            });
        }
        Key::bind(Algorithm::EdDSA, DecodingKey::from_ed_der(der.as_ref()))
    }

    /// A public key in PEM whose algorithm follows from its type: RSA → `RS256`,
    /// P-256 → `ES256`, P-384 → `ES384`, Ed25519 → `EdDSA`.
    pub fn public_pem(pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let pem = pem.as_ref();
        if let Ok(decoding) = DecodingKey::from_rsa_pem(pem) {
            return Key::bind(Algorithm::RS256, decoding);
        }
        if let Ok(decoding) = DecodingKey::from_ec_pem(pem) {
            let algorithm = match ec_point_len(&decoding) {
                Some(65) => Algorithm::ES256,
                Some(97) => Algorithm::ES384,
                _ => return Err(invalid(Algorithm::ES256)("unsupported EC curve")),
            };
            return Key::bind(algorithm, decoding);
        }
        if let Ok(decoding) = DecodingKey::from_ed_pem(pem) {
            return Key::bind(Algorithm::EdDSA, decoding);
        }
        Err(ConfigError::InvalidKey {
            algorithm: Algorithm::RS256,
            reason: "not an RSA, P-256, P-384 or Ed25519 public key in PEM".into(),
        })
    }

    /// A key from a JWK (RFC 7517), bound to exactly one algorithm (RFC 8725 §3.1).
    ///
    /// The algorithm follows from the key itself: EC P-256 → `ES256`, P-384 → `ES384`,
    /// OKP Ed25519 → `EdDSA`, RSA → `RS256` unless `alg` names another RSA algorithm
    /// (`RS384/512`, `PS256/384/512`). A symmetric (`oct`) key needs an explicit `alg`
    /// (`HS256/384/512`) and a secret at least as long as the hash output (RFC 7518 §3.2). The
    /// `kid` is kept.
    ///
    /// Refused, with [`ConfigError::InvalidJwk`]:
    /// - a key for encryption: `use` other than `sig` (RFC 7517 §4.2), `key_ops` without
    ///   `verify` (§4.3), or an `alg` that is not a JWS signature algorithm;
    /// - an `alg` that contradicts the key's type or curve (an `ES384` P-256 key, an `HS256`
    ///   RSA key);
    /// - curves other than P-256, P-384 and Ed25519, coordinates of the wrong length, and RSA
    ///   moduli shorter than 2048 bits (RFC 7518 §3.3) or longer than 8192.
    ///
    /// Certificate members (`x5c`, `x5u`, `x5t`) are not consulted: the key is the JWK's own
    /// parameters, nothing is fetched.
    ///
    /// ```
    /// use auth_runtime::jwk::Jwk;
    /// use auth_runtime::{Algorithm, Key};
    ///
    /// let jwk: Jwk = serde_json::from_value(serde_json::json!({
    ///     "kty": "OKP", "crv": "Ed25519", "kid": "2026-11", "use": "sig",
    ///     "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    /// }))
    /// .unwrap();
    /// let key = Key::from_jwk(&jwk).unwrap();
    /// assert_eq!((key.algorithm(), key.kid()), (Algorithm::EdDSA, Some("2026-11")));
    /// ```
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, ConfigError> {
        Key::try_from_jwk(jwk).map_err(|refusal| ConfigError::InvalidJwk {
            kid: jwk.common.key_id.clone(),
            reason: refusal.reason().to_owned(),
        })
    }

    /// [`from_jwk`](Self::from_jwk), telling a key that is not meant for signatures apart from
    /// one that is broken.
    pub(crate) fn try_from_jwk(jwk: &Jwk) -> Result<Self, JwkRefusal> {
        check_signature_use(jwk)?;
        let declared = declared_algorithm(jwk)?;
        let key = match &jwk.algorithm {
            AlgorithmParameters::RSA(rsa) => rsa_jwk(rsa, declared)?,
            AlgorithmParameters::EllipticCurve(ec) => ec_jwk(ec, declared)?,
            AlgorithmParameters::OctetKeyPair(okp) => okp_jwk(okp, declared)?,
            AlgorithmParameters::OctetKey(_) => oct_jwk(jwk, declared)?,
            _ => {
                return Err(JwkRefusal::Unusable(
                    "its `kty` is not RSA, EC, OKP or oct, or its parameters are missing".into(),
                ))
            }
        };
        Ok(Key {
            kid: jwk.common.key_id.clone(),
            ..key
        })
    }

    /// Names the key: a token whose header has this `kid` is verified with this key only.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key's `kid`, if it has one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    pub(crate) fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    pub(crate) fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Binds `decoding` to `algorithm` and prepares it for verification, which fails when the
    /// material is not a key of that algorithm (an RSA modulus that does not parse, a point
    /// that is not on the curve).
    fn bind(algorithm: Algorithm, decoding: DecodingKey) -> Result<Self, ConfigError> {
        let verifier = Verifier::new(algorithm, &decoding).map_err(invalid(algorithm))?;
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        format!("{algorithm:?}").hash(&mut hasher);
        match decoding.kind() {
            DecodingKeyKind::SecretOrDer(bytes) => bytes.hash(&mut hasher),
            DecodingKeyKind::RsaModulusExponent { n, e } => (n, e).hash(&mut hasher),
        }
        Ok(Key {
            algorithm,
            kid: None,
            verifier,
            fingerprint: hasher.finish(),
        })
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Why a JWK did not become a [`Key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JwkRefusal {
    /// The key is declared for something else (encryption): a JWKS may rightly contain it.
    NotForSignatures(String),
    /// The key claims to be a signature key but cannot be one.
    Unusable(String),
}

impl JwkRefusal {
    /// What is wrong, never the key material.
    pub(crate) fn reason(&self) -> &str {
        match self {
            JwkRefusal::NotForSignatures(reason) | JwkRefusal::Unusable(reason) => reason,
        }
    }
}

/// A JWK declared for something other than signatures (RFC 7517 §4.2, §4.3) is not refused as
/// broken: a JWKS may rightly hold encryption keys.
fn check_signature_use(jwk: &Jwk) -> Result<(), JwkRefusal> {
    match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(_) => {
            return Err(JwkRefusal::NotForSignatures(
                "its `use` is not `sig` (RFC 7517 §4.2)".into(),
            ))
        }
    }
    match &jwk.common.key_operations {
        Some(operations) if !operations.contains(&KeyOperations::Verify) => {
            Err(JwkRefusal::NotForSignatures(
                "its `key_ops` do not include `verify` (RFC 7517 §4.3)".into(),
            ))
        }
        _ => Ok(()),
    }
}

/// The JWK's `alg`, which must name a JWS signature algorithm when present.
fn declared_algorithm(jwk: &Jwk) -> Result<Option<Algorithm>, JwkRefusal> {
    match jwk.common.key_algorithm {
        Some(declared) => jwk_algorithm(declared).map(Some).ok_or_else(|| {
            JwkRefusal::NotForSignatures(format!(
                "its `alg` {declared:?} is not a JWS signature algorithm"
            ))
        }),
        None => Ok(None),
    }
}

/// Refuses a declared `alg` that is not the one the key's type implies.
fn agrees(declared: Option<Algorithm>, implied: Algorithm) -> Result<(), JwkRefusal> {
    match declared {
        Some(declared) if declared != implied => Err(JwkRefusal::Unusable(format!(
            "its `alg` {declared:?} contradicts its key type, which implies {implied:?}"
        ))),
        _ => Ok(()),
    }
}

fn undecodable(error: jsonwebtoken::errors::Error) -> JwkRefusal {
    JwkRefusal::Unusable(format!("its key parameters do not decode: {error}"))
}

fn unusable(error: ConfigError) -> JwkRefusal {
    JwkRefusal::Unusable(error.to_string())
}

/// An RSA JWK: `RS256` unless `alg` names another RSA algorithm. The modulus size is checked
/// with every other RSA key's, when the key is bound (2048 to 8192 bits).
fn rsa_jwk(rsa: &RSAKeyParameters, declared: Option<Algorithm>) -> Result<Key, JwkRefusal> {
    let algorithm = declared.unwrap_or(Algorithm::RS256);
    if algorithm.family() != AlgorithmFamily::Rsa {
        return Err(JwkRefusal::Unusable(format!(
            "its `alg` {algorithm:?} cannot be used with an RSA key"
        )));
    }
    let decoding = DecodingKey::from_rsa_components(&rsa.n, &rsa.e).map_err(undecodable)?;
    Key::bind(algorithm, decoding).map_err(unusable)
}

/// An EC JWK: P-256 → `ES256`, P-384 → `ES384`.
fn ec_jwk(ec: &EllipticCurveKeyParameters, declared: Option<Algorithm>) -> Result<Key, JwkRefusal> {
    let algorithm = match ec.curve {
        EllipticCurve::P256 => Algorithm::ES256,
        EllipticCurve::P384 => Algorithm::ES384,
        ref curve => {
            return Err(JwkRefusal::Unusable(format!(
                "the EC curve {curve:?} is not supported (P-256 and P-384 are)"
            )))
        }
    };
    agrees(declared, algorithm)?;
    let decoding = DecodingKey::from_ec_components(&ec.x, &ec.y).map_err(undecodable)?;
    check_curve(algorithm, &decoding).map_err(|_| {
        JwkRefusal::Unusable("its coordinates do not have the length of its curve".into())
    })?;
    Key::bind(algorithm, decoding).map_err(unusable)
}

/// An OKP JWK: Ed25519 → `EdDSA`.
fn okp_jwk(okp: &OctetKeyPairParameters, declared: Option<Algorithm>) -> Result<Key, JwkRefusal> {
    if okp.curve != EllipticCurve::Ed25519 {
        return Err(JwkRefusal::Unusable(format!(
            "the OKP curve {:?} is not supported (Ed25519 is)",
            okp.curve
        )));
    }
    agrees(declared, Algorithm::EdDSA)?;
    let decoding = DecodingKey::from_ed_components(&okp.x).map_err(undecodable)?;
    if ec_point_len(&decoding) != Some(32) {
        return Err(JwkRefusal::Unusable(
            "an Ed25519 public key is 32 bytes".into(),
        ));
    }
    Key::bind(Algorithm::EdDSA, decoding).map_err(unusable)
}

/// A symmetric JWK: only with an explicit `HS256/384/512` and a secret long enough for it.
fn oct_jwk(jwk: &Jwk, declared: Option<Algorithm>) -> Result<Key, JwkRefusal> {
    let algorithm = declared.ok_or_else(|| {
        JwkRefusal::Unusable("a symmetric (`oct`) key needs an `alg`: HS256, HS384 or HS512".into())
    })?;
    let decoding = DecodingKey::from_jwk(jwk).map_err(undecodable)?;
    match decoding.kind() {
        DecodingKeyKind::SecretOrDer(secret) => Key::hmac(algorithm, secret).map_err(unusable),
        DecodingKeyKind::RsaModulusExponent { .. } => Err(JwkRefusal::Unusable(
            "its key parameters do not decode".into(),
        )),
    }
}

fn jwk_algorithm(algorithm: KeyAlgorithm) -> Option<Algorithm> {
    Some(match algorithm {
        KeyAlgorithm::HS256 => Algorithm::HS256,
        KeyAlgorithm::HS384 => Algorithm::HS384,
        KeyAlgorithm::HS512 => Algorithm::HS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

fn require_family(
    algorithm: Algorithm,
    family: AlgorithmFamily,
    what: &'static str,
) -> Result<(), ConfigError> {
    if algorithm.family() == family {
        Ok(())
    } else {
        Err(mismatch(algorithm, what))
    }
}

fn mismatch(algorithm: Algorithm, key: &'static str) -> ConfigError {
    ConfigError::AlgorithmMismatch { algorithm, key }
}

fn invalid<E: fmt::Display>(algorithm: Algorithm) -> impl Fn(E) -> ConfigError {
    move |error| ConfigError::InvalidKey {
        algorithm,
        reason: error.to_string(),
    }
}

fn ec_point_len(decoding: &DecodingKey) -> Option<usize> {
    match decoding.kind() {
        DecodingKeyKind::SecretOrDer(bytes) => Some(bytes.len()),
        _ => None,
    }
}

fn check_curve(algorithm: Algorithm, decoding: &DecodingKey) -> Result<(), ConfigError> {
    let expected = if algorithm == Algorithm::ES256 {
        65
    } else {
        97
    };
    if ec_point_len(decoding) == Some(expected) {
        Ok(())
    } else {
        Err(mismatch(algorithm, "a key on another curve"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const ED25519_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    const P256_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const P256_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    /// 40 bytes, base64url.
    const SECRET_40: &str = "VEVTVC1PTkxZLXNlY3JldC1vZi1hdC1sZWFzdC0zMi1ieXRlcyEhIQ";

    fn key(value: Value) -> Result<Key, JwkRefusal> {
        Key::try_from_jwk(&serde_json::from_value(value).unwrap())
    }

    fn rsa_n(bits: usize) -> String {
        use base64::Engine;
        let mut modulus = vec![0xffu8; bits / 8];
        modulus.insert(0, 0);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(modulus)
    }

    #[test]
    fn the_key_type_binds_the_algorithm() {
        let cases = [
            (
                json!({ "kty": "OKP", "crv": "Ed25519", "x": ED25519_X }),
                Algorithm::EdDSA,
            ),
            (
                json!({ "kty": "EC", "crv": "P-256", "x": P256_X, "y": P256_Y }),
                Algorithm::ES256,
            ),
            (
                json!({ "kty": "RSA", "n": rsa_n(2048), "e": "AQAB" }),
                Algorithm::RS256,
            ),
            (
                json!({ "kty": "RSA", "alg": "PS384", "n": rsa_n(2048), "e": "AQAB" }),
                Algorithm::PS384,
            ),
            (
                json!({ "kty": "oct", "alg": "HS256", "k": SECRET_40 }),
                Algorithm::HS256,
            ),
        ];
        for (jwk, algorithm) in cases {
            assert_eq!(key(jwk.clone()).unwrap().algorithm(), algorithm, "{jwk}");
        }
    }

    #[test]
    fn keys_not_for_signatures_are_told_apart() {
        for jwk in [
            json!({ "kty": "OKP", "crv": "Ed25519", "use": "enc", "x": ED25519_X }),
            json!({ "kty": "OKP", "crv": "Ed25519", "use": "wrap", "x": ED25519_X }),
            json!({ "kty": "OKP", "crv": "Ed25519", "key_ops": ["encrypt"], "x": ED25519_X }),
            json!({ "kty": "RSA", "alg": "RSA-OAEP", "n": rsa_n(2048), "e": "AQAB" }),
        ] {
            assert!(
                matches!(key(jwk.clone()), Err(JwkRefusal::NotForSignatures(_))),
                "{jwk}"
            );
        }
        let verify =
            json!({ "kty": "OKP", "crv": "Ed25519", "key_ops": ["verify"], "x": ED25519_X });
        assert!(key(verify).is_ok());
    }

    #[test]
    fn contradictions_and_weak_keys_are_refused() {
        for jwk in [
            // alg against curve or type (RFC 8725 §3.1)
            json!({ "kty": "EC", "crv": "P-256", "alg": "ES384", "x": P256_X, "y": P256_Y }),
            json!({ "kty": "EC", "crv": "P-256", "alg": "HS256", "x": P256_X, "y": P256_Y }),
            json!({ "kty": "OKP", "crv": "Ed25519", "alg": "ES256", "x": ED25519_X }),
            json!({ "kty": "RSA", "alg": "HS256", "n": rsa_n(2048), "e": "AQAB" }),
            json!({ "kty": "RSA", "alg": "ES256", "n": rsa_n(2048), "e": "AQAB" }),
            json!({ "kty": "oct", "alg": "RS256", "k": SECRET_40 }),
            // unsupported curves, wrong lengths
            json!({ "kty": "EC", "crv": "P-521", "alg": "ES256", "x": P256_X, "y": P256_Y }),
            json!({ "kty": "EC", "crv": "P-384", "x": P256_X, "y": P256_Y }),
            json!({ "kty": "OKP", "crv": "P-256", "alg": "EdDSA", "x": ED25519_X }),
            json!({ "kty": "OKP", "crv": "Ed25519", "x": "AQAB" }),
            // weak keys (RFC 7518 §3.2, §3.3)
            json!({ "kty": "RSA", "n": rsa_n(1024), "e": "AQAB" }),
            json!({ "kty": "oct", "alg": "HS512", "k": SECRET_40 }),
            // a symmetric key needs an alg
            json!({ "kty": "oct", "k": SECRET_40 }),
        ] {
            assert!(
                matches!(key(jwk.clone()), Err(JwkRefusal::Unusable(_))),
                "{jwk}"
            );
        }
    }

    #[test]
    fn errors_name_the_kid_but_never_the_material() {
        let jwk = serde_json::from_value(
            json!({ "kty": "oct", "kid": "k1", "alg": "HS512", "k": SECRET_40 }),
        )
        .unwrap();
        let error = Key::from_jwk(&jwk).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("k1"), "{message}");
        assert!(!message.contains(SECRET_40), "{message}");
    }

    #[test]
    fn material_that_is_not_a_key_of_its_algorithm_is_refused_at_configuration() {
        let refused = |result: Result<Key, ConfigError>| {
            matches!(result, Err(ConfigError::InvalidKey { .. }))
        };
        assert!(refused(Key::rsa_der(Algorithm::RS256, b"not DER")));
        // An uncompressed SEC1 point of the right length that is not on P-256.
        let mut off_curve = vec![4u8];
        off_curve.extend([1u8; 64]);
        assert!(refused(Key::ec_der(Algorithm::ES256, &off_curve)));
        // y = 2 is not the y-coordinate of any Ed25519 point.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        assert!(refused(Key::ed25519_der(not_a_point)));
        let jwk = json!({ "kty": "EC", "crv": "P-256", "x": P256_X, "y": P256_X });
        assert!(matches!(key(jwk), Err(JwkRefusal::Unusable(_))));
    }
}
