//! Signature verification with keys prepared once, when the key is configured.
//!
//! `jsonwebtoken::crypto::verify` rebuilds its verifier from the `DecodingKey` on every call:
//! it keys a fresh HMAC, parses the RSA modulus from DER, checks the EC point. Here that work is
//! done once per key, so that a token costs only its own verification.
//!
//! The rules a key must meet are checked here, the same whatever the backend: an RSA modulus
//! of 2048 to 8192 bits (RFC 7518 §3.3 sets the floor, AWS-LC the ceiling), odd, with an odd
//! public exponent of at least 3 and at most 33 bits; an EC key as the uncompressed SEC1 point
//! of its curve; an Ed25519 key of 32 bytes. The cryptography is one backend module, chosen by
//! cargo feature:
//!
//! - `aws_lc` (`aws-lc-rs`, the default): AWS-LC through aws-lc-rs, keys parsed into its
//!   `ParsedPublicKey` and `hmac::Key`.
//! - `rust_crypto` (`rust-crypto`): the RustCrypto crates, pure Rust.
//!
//! Features unify across a dependency graph, so both may be on: then aws-lc-rs is used, the
//! backend the crate defaults to (faster, and without the `rsa` crate's RUSTSEC-2023-0071).

use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind};

use crate::bearer::base64url;

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "auth-runtime needs a signature backend: enable its `aws-lc-rs` feature (the default) or, \
     where no C compiler is available, `rust-crypto`"
);

mod params;

pub(crate) use params::{Curve, Hash, RsaPadding};
use params::{RsaPublicKey, MAX_RSA_BITS, MIN_RSA_BITS};

#[cfg(feature = "aws-lc-rs")]
mod aws_lc;
#[cfg(feature = "aws-lc-rs")]
use aws_lc as backend;

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod rust_crypto;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
use rust_crypto as backend;

/// Without a backend only the `compile_error!` above is reported, not every use of one.
#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
mod backend {
    use super::params::{Curve, Hash, RsaPadding, RsaPublicKey};

    pub(super) const NAME: &str = "none";

    #[derive(Clone)]
    pub(super) enum PreparedKey {}

    impl PreparedKey {
        pub(super) fn hmac(_: Hash, _: &[u8]) -> Result<Self, String> {
            Err(NAME.into())
        }
        pub(super) fn rsa(_: Hash, _: RsaPadding, _: &RsaPublicKey) -> Result<Self, String> {
            Err(NAME.into())
        }
        pub(super) fn ecdsa(_: Curve, _: &[u8]) -> Result<Self, String> {
            Err(NAME.into())
        }
        pub(super) fn ed25519(_: &[u8; 32]) -> Result<Self, String> {
            Err(NAME.into())
        }
        pub(super) fn verify(&self, _: &[u8], _: &[u8]) -> bool {
            match *self {}
        }
    }

    pub(super) fn rsa_components_from_der(_: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
        Err(NAME.into())
    }
}

/// The signature backend this build verifies with: `"aws-lc-rs"` or `"rust-crypto"`, after
/// feature unification (with both features on, `"aws-lc-rs"`). Log it at start-up to know
/// which one a binary got.
pub const SIGNATURE_BACKEND: &str = backend::NAME;

/// The largest signature of any supported algorithm: RSA with the largest modulus.
const MAX_SIGNATURE_BYTES: usize = MAX_RSA_BITS / 8;

/// A key ready to verify signatures of its one algorithm.
#[derive(Clone)]
pub(crate) struct Verifier(backend::PreparedKey);

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
        let rsa = |hash, padding| backend::PreparedKey::rsa(hash, padding, &rsa_public_key(key)?);
        let ecdsa = |curve: Curve| {
            let point = bytes()?;
            if point.len() != curve.point_len() || point[0] != 4 {
                return Err(format!("not an uncompressed SEC1 point of {curve:?}"));
            }
            backend::PreparedKey::ecdsa(curve, point)
        };
        let prepared = match algorithm {
            Algorithm::HS256 => backend::PreparedKey::hmac(Hash::Sha256, bytes()?),
            Algorithm::HS384 => backend::PreparedKey::hmac(Hash::Sha384, bytes()?),
            Algorithm::HS512 => backend::PreparedKey::hmac(Hash::Sha512, bytes()?),
            Algorithm::RS256 => rsa(Hash::Sha256, RsaPadding::Pkcs1v15),
            Algorithm::RS384 => rsa(Hash::Sha384, RsaPadding::Pkcs1v15),
            Algorithm::RS512 => rsa(Hash::Sha512, RsaPadding::Pkcs1v15),
            Algorithm::PS256 => rsa(Hash::Sha256, RsaPadding::Pss),
            Algorithm::PS384 => rsa(Hash::Sha384, RsaPadding::Pss),
            Algorithm::PS512 => rsa(Hash::Sha512, RsaPadding::Pss),
            Algorithm::ES256 => ecdsa(Curve::P256),
            Algorithm::ES384 => ecdsa(Curve::P384),
            Algorithm::EdDSA => {
                let point = <&[u8; 32]>::try_from(bytes()?)
                    .map_err(|_| "an Ed25519 public key is 32 bytes".to_owned())?;
                backend::PreparedKey::ed25519(point)
            }
            other => Err(format!("{other:?} is not supported")),
        }?;
        Ok(Verifier(prepared))
    }

    /// Verifies the base64url `signature` of `message` (a token's `header.payload`).
    pub(crate) fn verify(&self, message: &[u8], signature: &str) -> Result<(), SignatureError> {
        // A longer signature is refused before anything is decoded.
        let mut buffer = [0u8; MAX_SIGNATURE_BYTES];
        let signature = base64url::decode_into(signature.as_bytes(), &mut buffer)
            .ok_or(SignatureError::Malformed)?;
        if self.0.verify(message, signature) {
            Ok(())
        } else {
            Err(SignatureError::Invalid)
        }
    }
}

/// The RSA public key of `key` (PKCS#1 or SPKI DER, or modulus and exponent), checked against
/// this module's rules, so that both backends accept exactly the same keys.
fn rsa_public_key(key: &DecodingKey) -> Result<RsaPublicKey, String> {
    let (n, e) = match key.kind() {
        DecodingKeyKind::SecretOrDer(der) => backend::rsa_components_from_der(der)
            .map_err(|error| format!("not an RSA public key: {error}"))?,
        DecodingKeyKind::RsaModulusExponent { n, e } => (n.clone(), e.clone()),
    };
    let (n, e) = (without_leading_zeros(n), without_leading_zeros(e));
    let bits = bit_len(&n);
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "the RSA modulus has {bits} bits; RFC 7518 §3.3 requires at least {MIN_RSA_BITS}"
        ));
    }
    if bits > MAX_RSA_BITS {
        return Err(format!(
            "the RSA modulus has {bits} bits; at most {MAX_RSA_BITS} are supported"
        ));
    }
    if n.last().is_none_or(|low| low & 1 == 0) {
        return Err("the RSA modulus is even".into());
    }
    let odd = e.last().is_some_and(|low| low & 1 == 1);
    if !odd || bit_len(&e) < 2 || bit_len(&e) > 33 {
        return Err("the RSA public exponent must be odd, at least 3 and below 2^33".into());
    }
    Ok(RsaPublicKey { n, e })
}

fn without_leading_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|&&byte| byte == 0).count();
    bytes.drain(..zeros);
    bytes
}

/// The length in bits of a big-endian number without leading zero bytes.
fn bit_len(number: &[u8]) -> usize {
    number
        .first()
        .map_or(0, |&high| number.len() * 8 - high.leading_zeros() as usize)
}

#[cfg(test)]
mod tests;
