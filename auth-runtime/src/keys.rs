//! Verification keys, each bound to exactly one algorithm (RFC 8725 §3.1).

use std::fmt;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind};

use crate::config::ConfigError;

/// A key that verifies token signatures, bound to exactly one algorithm.
///
/// The set of configured keys is the algorithm allow-list: a token is only ever verified with
/// the algorithm of the key that was chosen for it, whatever its header says. `alg: none` has
/// no key, and an HMAC token can never be checked against an RSA or EC public key, so the
/// classic algorithm-confusion attacks are impossible by construction.
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
    decoding: DecodingKey,
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
        Ok(Key::bind(algorithm, DecodingKey::from_secret(secret)))
    }

    /// An HMAC secret for `HS256` (at least 32 bytes).
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        Key::hmac(Algorithm::HS256, secret)
    }

    /// An RSA public key in PEM (PKCS#1 or SPKI) for `RS256/384/512` or `PS256/384/512`.
    pub fn rsa_pem(algorithm: Algorithm, pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        require_family(algorithm, AlgorithmFamily::Rsa, "an RSA key")?;
        let decoding = DecodingKey::from_rsa_pem(pem.as_ref()).map_err(invalid(algorithm))?;
        Ok(Key::bind(algorithm, decoding))
    }

    /// An RSA public key in PKCS#1 DER for `RS256/384/512` or `PS256/384/512`.
    pub fn rsa_der(algorithm: Algorithm, der: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        require_family(algorithm, AlgorithmFamily::Rsa, "an RSA key")?;
        Ok(Key::bind(
            algorithm,
            DecodingKey::from_rsa_der(der.as_ref()),
        ))
    }

    /// An EC public key in PEM: P-256 for `ES256`, P-384 for `ES384`.
    pub fn ec_pem(algorithm: Algorithm, pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        require_family(algorithm, AlgorithmFamily::Ec, "an EC key")?;
        let decoding = DecodingKey::from_ec_pem(pem.as_ref()).map_err(invalid(algorithm))?;
        check_curve(algorithm, &decoding)?;
        Ok(Key::bind(algorithm, decoding))
    }

    /// An EC public key as an uncompressed SEC1 point (the `subjectPublicKey` of SPKI DER):
    /// P-256 for `ES256`, P-384 for `ES384`.
    pub fn ec_der(algorithm: Algorithm, der: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        require_family(algorithm, AlgorithmFamily::Ec, "an EC key")?;
        let decoding = DecodingKey::from_ec_der(der.as_ref());
        check_curve(algorithm, &decoding)?;
        Ok(Key::bind(algorithm, decoding))
    }

    /// An Ed25519 public key in PEM, for `EdDSA`.
    pub fn ed25519_pem(pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let decoding = DecodingKey::from_ed_pem(pem.as_ref()).map_err(invalid(Algorithm::EdDSA))?;
        Ok(Key::bind(Algorithm::EdDSA, decoding))
    }

    /// An Ed25519 public key as its 32 raw bytes, for `EdDSA`.
    pub fn ed25519_der(der: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        if der.as_ref().len() != 32 {
            return Err(ConfigError::InvalidKey {
                algorithm: Algorithm::EdDSA,
                reason: "an Ed25519 public key is 32 bytes".into(),
            });
        }
        Ok(Key::bind(
            Algorithm::EdDSA,
            DecodingKey::from_ed_der(der.as_ref()),
        ))
    }

    /// A public key in PEM whose algorithm follows from its type: RSA → `RS256`,
    /// P-256 → `ES256`, P-384 → `ES384`, Ed25519 → `EdDSA`.
    pub fn public_pem(pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let pem = pem.as_ref();
        if let Ok(decoding) = DecodingKey::from_rsa_pem(pem) {
            return Ok(Key::bind(Algorithm::RS256, decoding));
        }
        if let Ok(decoding) = DecodingKey::from_ec_pem(pem) {
            let algorithm = match ec_point_len(&decoding) {
                Some(65) => Algorithm::ES256,
                Some(97) => Algorithm::ES384,
                _ => return Err(invalid(Algorithm::ES256)("unsupported EC curve")),
            };
            return Ok(Key::bind(algorithm, decoding));
        }
        if let Ok(decoding) = DecodingKey::from_ed_pem(pem) {
            return Ok(Key::bind(Algorithm::EdDSA, decoding));
        }
        Err(ConfigError::InvalidKey {
            algorithm: Algorithm::RS256,
            reason: "not an RSA, P-256, P-384 or Ed25519 public key in PEM".into(),
        })
    }

    /// A key from a JWK (RFC 7517). Its `kid` is kept, and its algorithm is bound by
    /// `alg` when present, otherwise by `kty`/`crv`: EC P-256 → `ES256`, P-384 → `ES384`,
    /// OKP Ed25519 → `EdDSA`, RSA → `RS256`. Symmetric (`oct`) keys need an explicit `alg`;
    /// keys whose `use` is `enc` are refused.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, ConfigError> {
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            return Err(ConfigError::InvalidKey {
                algorithm: Algorithm::RS256,
                reason: "the JWK's `use` is `enc`, not `sig`".into(),
            });
        }
        let implied = match &jwk.algorithm {
            AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
                EllipticCurve::P256 => Some(Algorithm::ES256),
                EllipticCurve::P384 => Some(Algorithm::ES384),
                _ => None,
            },
            AlgorithmParameters::OctetKeyPair(okp) => match okp.curve {
                EllipticCurve::Ed25519 => Some(Algorithm::EdDSA),
                _ => None,
            },
            AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
            _ => None,
        };
        let algorithm = match jwk.common.key_algorithm {
            Some(declared) => {
                let declared = jwk_algorithm(declared).ok_or_else(|| ConfigError::InvalidKey {
                    algorithm: Algorithm::RS256,
                    reason: format!("the JWK's `alg` {declared:?} is not a signature algorithm"),
                })?;
                if let (Some(implied), false) = (
                    implied,
                    matches!(&jwk.algorithm, AlgorithmParameters::RSA(_)),
                ) {
                    if implied != declared {
                        return Err(mismatch(declared, "a key of another type or curve"));
                    }
                }
                declared
            }
            None => implied.ok_or_else(|| ConfigError::InvalidKey {
                algorithm: Algorithm::HS256,
                reason: "the JWK has no `alg` and its type does not imply one".into(),
            })?,
        };
        let decoding = DecodingKey::from_jwk(jwk).map_err(invalid(algorithm))?;
        if decoding.family() != algorithm.family() {
            return Err(mismatch(algorithm, "a key of another type"));
        }
        let mut key = Key::bind(algorithm, decoding);
        key.kid = jwk.common.key_id.clone();
        Ok(key)
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

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    fn bind(algorithm: Algorithm, decoding: DecodingKey) -> Self {
        Key {
            algorithm,
            kid: None,
            decoding,
        }
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
