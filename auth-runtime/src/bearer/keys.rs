//! Verification keys, each bound to exactly one algorithm (RFC 8725 §3.1).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
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
/// An Ed25519 key verifies tokens whose `alg` is `EdDSA` (RFC 8037) or `Ed25519`, the name
/// RFC 9864 §2.2 gives to the same algorithm; a key read from a JWK whose `alg` names one of them
/// verifies tokens of that name only, as a JWK's `alg` binds every other key to its algorithm.
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
    /// The one `alg` name the key's JWK bound it to; `None`: every name of its algorithm.
    name: Option<AlgName>,
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
    /// `kid` is kept. A key whose `alg` is given verifies tokens with that `alg` only.
    ///
    /// jsonwebtoken's [`Jwk`] cannot hold the RFC 9864 name `Ed25519` (it reads it as an unknown
    /// algorithm, and the key is refused as not meant for signatures): give such keys as JSON,
    /// to [`jwks_json`](crate::AuthenticatorBuilder::jwks_json), a JWKS file or URL, which read
    /// the name.
    ///
    /// Refused, with [`ConfigError::InvalidJwk`]:
    /// - a key for encryption: `use` other than `sig` (RFC 7517 §4.2), `key_ops` without
    ///   `verify` (§4.3), or an `alg` that is not a JWS signature algorithm;
    /// - an `alg` that contradicts the key's type or curve (an `ES384` P-256 key, an `HS256`
    ///   RSA key);
    /// - curves other than P-256, P-384 and Ed25519, an EC `x` or `y` that is not exactly the
    ///   size of a coordinate of its curve (RFC 7518 §6.2.1.2–3), an Ed25519 key that is not
    ///   32 bytes, and RSA moduli shorter than 2048 bits (RFC 7518 §3.3) or longer than 8192.
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
        Key::try_from_jwk(jwk, None).map_err(|refusal| ConfigError::InvalidJwk {
            kid: jwk.common.key_id.clone(),
            reason: refusal.reason().to_owned(),
        })
    }

    /// [`from_jwk`](Self::from_jwk), telling a key that is not meant for signatures apart from
    /// one that is broken. `alg` is the JWK's `alg` as written, when the JWK was read from JSON:
    /// jsonwebtoken's `Jwk` does not know the RFC 9864 names.
    pub(crate) fn try_from_jwk(jwk: &Jwk, alg: Option<&str>) -> Result<Self, JwkRefusal> {
        check_signature_use(jwk)?;
        let declared = declared_algorithm(jwk, alg)?;
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
            ..key.named(declared)
        })
    }

    /// Names the key: a token whose header has this `kid` is verified with this key only.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The one algorithm this key verifies (`EdDSA` for an Ed25519 key, whichever of its two
    /// names tokens use).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Whether a token whose header names `alg` may be verified with this key: `alg` names the
    /// key's algorithm, and the name the key's JWK bound it to, if any (RFC 8725 §3.1).
    pub(crate) fn accepts(&self, alg: AlgName) -> bool {
        alg.algorithm() == self.algorithm && self.name.is_none_or(|name| name == alg)
    }

    /// The key bound to the name `declared` (a JWK's `alg`), if one was declared. The
    /// fingerprint changes with the binding, so that tokens verified under one name are not
    /// served from the cache once the key accepts only the other.
    fn named(self, declared: Option<AlgName>) -> Self {
        match declared {
            Some(name) => {
                use std::hash::{Hash, Hasher};
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                (self.fingerprint, name).hash(&mut hasher);
                Key {
                    name: Some(name),
                    fingerprint: hasher.finish(),
                    ..self
                }
            }
            None => self,
        }
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
            name: None,
            kid: None,
            verifier,
            fingerprint: hasher.finish(),
        })
    }
}

/// A JWS `alg` name (RFC 7515 §4.1.1) this library verifies: a name registered by RFC 7518 or
/// RFC 8037, or `Ed25519`, the fully specified name RFC 9864 §2.2 gives to EdDSA with the
/// Ed25519 curve (the only EdDSA curve verified here, so both names denote one algorithm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum AlgName {
    /// `HS256`, …, `EdDSA`.
    Registered(Algorithm),
    /// `Ed25519` (RFC 9864).
    Ed25519,
}

impl AlgName {
    /// The name as a header or a JWK writes it, compared exactly (RFC 7515 §4.1.1: `alg` is
    /// case-sensitive); `None` for a name this library does not verify.
    pub(crate) fn parse(name: &str) -> Option<AlgName> {
        let algorithm = match name {
            "HS256" => Algorithm::HS256,
            "HS384" => Algorithm::HS384,
            "HS512" => Algorithm::HS512,
            "RS256" => Algorithm::RS256,
            "RS384" => Algorithm::RS384,
            "RS512" => Algorithm::RS512,
            "PS256" => Algorithm::PS256,
            "PS384" => Algorithm::PS384,
            "PS512" => Algorithm::PS512,
            "ES256" => Algorithm::ES256,
            "ES384" => Algorithm::ES384,
            "EdDSA" => Algorithm::EdDSA,
            "Ed25519" => return Some(AlgName::Ed25519),
            _ => return None,
        };
        Some(AlgName::Registered(algorithm))
    }

    /// The signature algorithm the name denotes.
    pub(crate) const fn algorithm(self) -> Algorithm {
        match self {
            AlgName::Registered(algorithm) => algorithm,
            AlgName::Ed25519 => Algorithm::EdDSA,
        }
    }

    /// The name as written.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            AlgName::Registered(algorithm) => match algorithm {
                Algorithm::HS256 => "HS256",
                Algorithm::HS384 => "HS384",
                Algorithm::HS512 => "HS512",
                Algorithm::RS256 => "RS256",
                Algorithm::RS384 => "RS384",
                Algorithm::RS512 => "RS512",
                Algorithm::PS256 => "PS256",
                Algorithm::PS384 => "PS384",
                Algorithm::PS512 => "PS512",
                Algorithm::ES256 => "ES256",
                Algorithm::ES384 => "ES384",
                Algorithm::EdDSA => "EdDSA",
                // `parse` makes no other; jsonwebtoken's enum is non-exhaustive.
                _ => "unsupported",
            },
            AlgName::Ed25519 => "Ed25519",
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("algorithm", &self.algorithm)
            .field("name", &self.name.map(AlgName::as_str))
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

/// The JWK's `alg`, which must name a JWS signature algorithm when present. `written` is the
/// `alg` as written in JSON, which alone can carry the RFC 9864 names.
fn declared_algorithm(jwk: &Jwk, written: Option<&str>) -> Result<Option<AlgName>, JwkRefusal> {
    if let Some(name) = written.and_then(AlgName::parse) {
        return Ok(Some(name));
    }
    match jwk.common.key_algorithm {
        Some(declared) => jwk_algorithm(declared)
            .map(|algorithm| Some(AlgName::Registered(algorithm)))
            .ok_or_else(|| {
                JwkRefusal::NotForSignatures(format!(
                    "its `alg` {} is not a JWS signature algorithm this library verifies",
                    written.map_or_else(|| format!("{declared:?}"), |alg| format!("{alg:?}")),
                ))
            }),
        None => Ok(None),
    }
}

/// Refuses a declared `alg` that is not the one the key's type implies.
fn agrees(declared: Option<AlgName>, implied: Algorithm) -> Result<(), JwkRefusal> {
    match declared {
        Some(declared) if declared.algorithm() != implied => Err(JwkRefusal::Unusable(format!(
            "its `alg` {} contradicts its key type, which implies {implied:?}",
            declared.as_str()
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
fn rsa_jwk(rsa: &RSAKeyParameters, declared: Option<AlgName>) -> Result<Key, JwkRefusal> {
    let algorithm = declared.map_or(Algorithm::RS256, AlgName::algorithm);
    if algorithm.family() != AlgorithmFamily::Rsa {
        return Err(JwkRefusal::Unusable(format!(
            "its `alg` {algorithm:?} cannot be used with an RSA key"
        )));
    }
    let decoding = DecodingKey::from_rsa_components(&rsa.n, &rsa.e).map_err(undecodable)?;
    Key::bind(algorithm, decoding).map_err(unusable)
}

/// An EC JWK: P-256 → `ES256`, P-384 → `ES384`.
fn ec_jwk(ec: &EllipticCurveKeyParameters, declared: Option<AlgName>) -> Result<Key, JwkRefusal> {
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
    // Each coordinate is the full size of the curve's (RFC 7518 §6.2.1.2–3), not only the
    // two together: `x` of 1 byte and `y` of 63 make a point of the right length, but not a
    // JWK of P-256.
    let size = if algorithm == Algorithm::ES256 {
        32
    } else {
        48
    };
    let full = |coordinate: &str| {
        URL_SAFE_NO_PAD
            .decode(coordinate)
            .is_ok_and(|bytes| bytes.len() == size)
    };
    if !full(&ec.x) || !full(&ec.y) {
        return Err(JwkRefusal::Unusable(
            "its coordinates do not have the length of its curve".into(),
        ));
    }
    let decoding = DecodingKey::from_ec_components(&ec.x, &ec.y).map_err(undecodable)?;
    Key::bind(algorithm, decoding).map_err(unusable)
}

/// An OKP JWK: Ed25519 → `EdDSA` (named `EdDSA` or `Ed25519`).
fn okp_jwk(okp: &OctetKeyPairParameters, declared: Option<AlgName>) -> Result<Key, JwkRefusal> {
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
fn oct_jwk(jwk: &Jwk, declared: Option<AlgName>) -> Result<Key, JwkRefusal> {
    let algorithm = declared.map(AlgName::algorithm).ok_or_else(|| {
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
    /// `ED25519_X` decoded (RFC 8037 Appendix A.2).
    const ED25519_RAW: [u8; 32] = [
        0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07,
        0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07,
        0x51, 0x1a,
    ];
    const P256_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const P256_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    /// 40 bytes, base64url.
    const SECRET_40: &str = "VEVTVC1PTkxZLXNlY3JldC1vZi1hdC1sZWFzdC0zMi1ieXRlcyEhIQ";

    fn key(value: Value) -> Result<Key, JwkRefusal> {
        let alg = value.get("alg").and_then(Value::as_str).map(str::to_owned);
        Key::try_from_jwk(&serde_json::from_value(value).unwrap(), alg.as_deref())
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
    fn an_ed25519_key_accepts_both_names_unless_its_jwk_names_one() {
        let (eddsa, ed25519) = (AlgName::Registered(Algorithm::EdDSA), AlgName::Ed25519);
        let raw = Key::ed25519_der(ED25519_RAW).unwrap();
        let unnamed = key(json!({ "kty": "OKP", "crv": "Ed25519", "x": ED25519_X })).unwrap();
        for key in [&raw, &unnamed] {
            assert!(key.accepts(eddsa) && key.accepts(ed25519), "{key:?}");
            assert!(!key.accepts(AlgName::Registered(Algorithm::ES256)));
        }
        let named = |alg: &str| {
            key(json!({ "kty": "OKP", "crv": "Ed25519", "alg": alg, "x": ED25519_X })).unwrap()
        };
        let (old_name, new_name) = (named("EdDSA"), named("Ed25519"));
        assert!(old_name.accepts(eddsa) && !old_name.accepts(ed25519));
        assert!(new_name.accepts(ed25519) && !new_name.accepts(eddsa));
        assert_eq!(new_name.algorithm(), Algorithm::EdDSA);
        // A cached verification under one name is not served once the key accepts the other.
        let fingerprints = [&raw, &old_name, &new_name].map(Key::fingerprint);
        assert_eq!(fingerprints[0], unnamed.fingerprint());
        assert!(fingerprints[0] != fingerprints[1] && fingerprints[1] != fingerprints[2]);
    }

    #[test]
    fn the_rfc_9864_name_binds_only_an_ed25519_key() {
        for jwk in [
            json!({ "kty": "EC", "crv": "P-256", "alg": "Ed25519", "x": P256_X, "y": P256_Y }),
            json!({ "kty": "RSA", "alg": "Ed25519", "n": rsa_n(2048), "e": "AQAB" }),
            json!({ "kty": "oct", "alg": "Ed25519", "k": SECRET_40 }),
            json!({ "kty": "OKP", "crv": "P-256", "alg": "Ed25519", "x": ED25519_X }),
        ] {
            assert!(
                matches!(key(jwk.clone()), Err(JwkRefusal::Unusable(_))),
                "{jwk}"
            );
        }
        // Not a name this library verifies: a key for something else, skipped.
        let ed448 = json!({ "kty": "OKP", "crv": "Ed25519", "alg": "Ed448", "x": ED25519_X });
        assert!(matches!(key(ed448), Err(JwkRefusal::NotForSignatures(_))));
        // jsonwebtoken's `Jwk` reads the name as unknown: `from_jwk` cannot bind it.
        let typed: Jwk = serde_json::from_value(
            json!({ "kty": "OKP", "crv": "Ed25519", "alg": "Ed25519", "x": ED25519_X }),
        )
        .unwrap();
        assert!(Key::from_jwk(&typed).is_err());
    }

    #[test]
    fn names_parse_exactly() {
        assert_eq!(AlgName::parse("Ed25519"), Some(AlgName::Ed25519));
        assert_eq!(
            AlgName::parse("PS384"),
            Some(AlgName::Registered(Algorithm::PS384))
        );
        for name in ["ed25519", "eddsa", "none", "ES512", "Ed448", " HS256", ""] {
            assert_eq!(AlgName::parse(name), None, "{name}");
        }
        for name in [
            "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES384", "EdDSA", "Ed25519",
        ] {
            assert_eq!(AlgName::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn debug_shows_the_algorithm_its_name_and_the_kid_and_no_key_material() {
        let key = key(json!({
            "kty": "OKP", "crv": "Ed25519", "alg": "Ed25519", "kid": "k1", "x": ED25519_X
        }))
        .unwrap();
        assert_eq!(
            format!("{key:?}"),
            r#"Key { algorithm: EdDSA, name: Some("Ed25519"), kid: Some("k1"), .. }"#
        );
        let secret = b"TEST-ONLY-hmac-secret-0123456789-abcdef";
        let debug = format!("{:?}", Key::hs256(secret).unwrap());
        assert_eq!(
            debug,
            r#"Key { algorithm: HS256, name: None, kid: None, .. }"#
        );
    }

    #[test]
    fn a_typed_jwk_is_bound_to_its_alg() {
        use base64::Engine;
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 64]);
        let from_typed = |jwk: Value| {
            let jwk: Jwk = serde_json::from_value(jwk).unwrap();
            Key::from_jwk(&jwk).unwrap().algorithm()
        };
        for algorithm in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let alg = format!("{algorithm:?}");
            assert_eq!(
                from_typed(json!({ "kty": "oct", "alg": alg, "k": secret })),
                algorithm
            );
        }
        for algorithm in [
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ] {
            let alg = format!("{algorithm:?}");
            let jwk = json!({ "kty": "RSA", "alg": alg, "n": rsa_n(2048), "e": "AQAB" });
            assert_eq!(from_typed(jwk), algorithm);
        }
        let p256 = json!({ "kty": "EC", "crv": "P-256", "alg": "ES256", "x": P256_X, "y": P256_Y });
        assert_eq!(from_typed(p256), Algorithm::ES256);
        // tests/keys/TEST-ONLY-p384-public.pem's point.
        let (x, y) = (
            "aqEIxyH3X1EvfwmfwkkiI_WxocHfBXHu7w1lOjJgv1MHg7wNPrmOEPJ1cw8HR94I",
            "tC4pgTg2iVIdbK08Y3ZUxOMbJswqKq9hN8pUTZsgJ8oroATsjbraiz4yCycunz1a",
        );
        let p384 = json!({ "kty": "EC", "crv": "P-384", "alg": "ES384", "x": x, "y": y });
        assert_eq!(from_typed(p384), Algorithm::ES384);
        let ed25519 = json!({ "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "x": ED25519_X });
        assert_eq!(from_typed(ed25519), Algorithm::EdDSA);
    }

    #[test]
    fn a_refused_jwk_says_why() {
        let refused = |jwk: Value| {
            let jwk: Jwk = serde_json::from_value(jwk).unwrap();
            match Key::from_jwk(&jwk) {
                Err(ConfigError::InvalidJwk { kid, reason }) => (kid, reason),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            refused(
                json!({ "kty": "OKP", "crv": "Ed25519", "use": "enc", "kid": "e", "x": ED25519_X })
            ),
            (
                Some("e".to_owned()),
                "its `use` is not `sig` (RFC 7517 §4.2)".to_owned()
            )
        );
        let (kid, reason) = refused(json!({ "kty": "RSA", "n": rsa_n(1024), "e": "AQAB" }));
        assert_eq!(kid, None);
        assert!(reason.contains("2048"), "{reason}");
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
            json!({ "kty": "EC", "crv": "P-256", "x": P256_X, "y": P256_X.repeat(2) }),
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
    fn each_ec_coordinate_has_the_full_size_of_the_curves() {
        let mut point = URL_SAFE_NO_PAD.decode(P256_X).unwrap();
        point.extend(URL_SAFE_NO_PAD.decode(P256_Y).unwrap());
        let p256 = |x: &[u8], y: &[u8]| {
            key(json!({
                "kty": "EC", "crv": "P-256",
                "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
            }))
        };
        // The bytes of a valid point split elsewhere between `x` and `y` (the same point, but
        // not a P-256 JWK: RFC 7518 §6.2.1.2), or one coordinate right and the other a byte
        // short.
        let mut refused: Vec<(&[u8], &[u8])> = [1, 31, 33, 63]
            .into_iter()
            .map(|split| point.split_at(split))
            .collect();
        refused.extend([(&point[..32], &point[32..63]), (&point[..31], &point[32..])]);
        for (x, y) in refused {
            match p256(x, y) {
                Err(JwkRefusal::Unusable(reason)) => assert_eq!(
                    reason,
                    "its coordinates do not have the length of its curve",
                    "x of {} bytes, y of {}",
                    x.len(),
                    y.len()
                ),
                other => panic!("x of {} bytes, y of {}: {other:?}", x.len(), y.len()),
            }
        }
        let (x, y) = point.split_at(32);
        assert_eq!(p256(x, y).unwrap().algorithm(), Algorithm::ES256);
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
