//! Signature verification with keys prepared once, when the key is configured.
//!
//! `jsonwebtoken::crypto::verify` rebuilds its verifier from the `DecodingKey` on every call:
//! it keys a fresh HMAC (two of the seven SHA-256 blocks an HS256 token costs), parses the RSA
//! modulus from DER, checks the EC point, decompresses the Ed25519 point. Here that work is
//! done once per key, with the same RustCrypto crates and the same verification calls as
//! jsonwebtoken's `rust_crypto` backend, so that a token costs only its own verification.

use base64::Engine;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::AssociatedOid;
use rsa::{BigUint, Pkcs1v15Sign, Pss, RsaPublicKey};
use sha2::digest::DynDigest;
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::Verifier as _;

/// The largest signature of any supported algorithm: RSA with a 4096-bit modulus (the most
/// the `rsa` crate accepts).
const MAX_SIGNATURE_BYTES: usize = 512;

/// A key ready to verify signatures of its one algorithm.
#[derive(Clone)]
pub(crate) enum Verifier {
    Hs256(Hmac<Sha256>),
    Hs384(Hmac<Sha384>),
    Hs512(Hmac<Sha512>),
    Rsa {
        key: RsaPublicKey,
        hash: RsaHash,
        pss: bool,
    },
    Es256(p256::ecdsa::VerifyingKey),
    Es384(p384::ecdsa::VerifyingKey),
    EdDsa(ed25519_dalek::VerifyingKey),
}

#[derive(Clone, Copy)]
pub(crate) enum RsaHash {
    Sha256,
    Sha384,
    Sha512,
}

/// Why the signature part of a token did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureError {
    /// Not base64url, or longer than any signature can be.
    Malformed,
    /// Well-formed, but not a valid signature of the message by this key.
    Invalid,
}

impl Verifier {
    /// Prepares `key` for `algorithm`; the reason is about the key's shape, never its
    /// material.
    pub(crate) fn new(algorithm: Algorithm, key: &DecodingKey) -> Result<Self, String> {
        let bytes = || match key.kind() {
            DecodingKeyKind::SecretOrDer(bytes) => Ok(bytes.as_slice()),
            DecodingKeyKind::RsaModulusExponent { .. } => Err(format!(
                "{algorithm:?} needs a key of its own type, not an RSA key"
            )),
        };
        let hmac_key = |_| "the HMAC secret is unusable".to_owned();
        let rsa = |hash, pss| {
            let key = match key.kind() {
                DecodingKeyKind::SecretOrDer(der) => RsaPublicKey::from_pkcs1_der(der)
                    .map_err(|error| format!("not an RSA public key: {error}"))?,
                DecodingKeyKind::RsaModulusExponent { n, e } => {
                    RsaPublicKey::new(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e))
                        .map_err(|error| format!("not a usable RSA public key: {error}"))?
                }
            };
            Ok(Verifier::Rsa { key, hash, pss })
        };
        match algorithm {
            Algorithm::HS256 => Hmac::new_from_slice(bytes()?)
                .map(Verifier::Hs256)
                .map_err(hmac_key),
            Algorithm::HS384 => Hmac::new_from_slice(bytes()?)
                .map(Verifier::Hs384)
                .map_err(hmac_key),
            Algorithm::HS512 => Hmac::new_from_slice(bytes()?)
                .map(Verifier::Hs512)
                .map_err(hmac_key),
            Algorithm::RS256 => rsa(RsaHash::Sha256, false),
            Algorithm::RS384 => rsa(RsaHash::Sha384, false),
            Algorithm::RS512 => rsa(RsaHash::Sha512, false),
            Algorithm::PS256 => rsa(RsaHash::Sha256, true),
            Algorithm::PS384 => rsa(RsaHash::Sha384, true),
            Algorithm::PS512 => rsa(RsaHash::Sha512, true),
            Algorithm::ES256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes()?)
                .map(Verifier::Es256)
                .map_err(|_| "not a point on the curve".to_owned()),
            Algorithm::ES384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(bytes()?)
                .map(Verifier::Es384)
                .map_err(|_| "not a point on the curve".to_owned()),
            Algorithm::EdDSA => {
                let point = <&[u8; 32]>::try_from(bytes()?)
                    .map_err(|_| "an Ed25519 public key is 32 bytes".to_owned())?;
                ed25519_dalek::VerifyingKey::from_bytes(point)
                    .map(Verifier::EdDsa)
                    .map_err(|_| "not an Ed25519 public key".to_owned())
            }
            other => Err(format!("{other:?} is not supported")),
        }
    }

    /// Verifies the base64url `signature` of `message` (a token's `header.payload`).
    pub(crate) fn verify(&self, message: &[u8], signature: &str) -> Result<(), SignatureError> {
        // A few bytes of slack: the decoder may ask for room for a partial last quantum.
        let mut buffer = [0u8; MAX_SIGNATURE_BYTES + 3];
        if signature.len() > MAX_SIGNATURE_BYTES.div_ceil(3) * 4 {
            return Err(SignatureError::Malformed);
        }
        let len = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode_slice(signature, &mut buffer)
            .map_err(|_| SignatureError::Malformed)?;
        let signature = &buffer[..len];
        let verified = match self {
            Verifier::Hs256(mac) => verify_mac(mac, message, signature),
            Verifier::Hs384(mac) => verify_mac(mac, message, signature),
            Verifier::Hs512(mac) => verify_mac(mac, message, signature),
            Verifier::Rsa { key, hash, pss } => match hash {
                RsaHash::Sha256 => verify_rsa::<Sha256>(key, *pss, message, signature),
                RsaHash::Sha384 => verify_rsa::<Sha384>(key, *pss, message, signature),
                RsaHash::Sha512 => verify_rsa::<Sha512>(key, *pss, message, signature),
            },
            Verifier::Es256(key) => p256::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
            Verifier::Es384(key) => p384::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
            Verifier::EdDsa(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
        };
        if verified {
            Ok(())
        } else {
            Err(SignatureError::Invalid)
        }
    }
}

/// RSASSA-PKCS1-v1_5 or RSASSA-PSS with hash `H`, as jsonwebtoken's rust_crypto backend calls
/// them.
fn verify_rsa<H: 'static + Digest + DynDigest + AssociatedOid + Send + Sync>(
    key: &RsaPublicKey,
    pss: bool,
    message: &[u8],
    signature: &[u8],
) -> bool {
    let digest = H::digest(message);
    let verified = if pss {
        key.verify(Pss::new::<H>(), &digest, signature)
    } else {
        key.verify(Pkcs1v15Sign::new::<H>(), &digest, signature)
    };
    verified.is_ok()
}

/// HMAC verification from the keyed state, compared in constant time by `verify_slice`.
fn verify_mac<M: Mac + Clone>(keyed: &M, message: &[u8], signature: &[u8]) -> bool {
    let mut mac = keyed.clone();
    mac.update(message);
    mac.verify_slice(signature).is_ok()
}
