//! The aws-lc-rs backend: keys parsed once into AWS-LC's `EVP_PKEY` (`ParsedPublicKey`) and
//! HMAC keyed once (`hmac::Key`).

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents};
use aws_lc_rs::{hmac, rsa};

use super::params::{Curve, Hash, RsaPadding, RsaPublicKey};

pub(super) const NAME: &str = "aws-lc-rs";

#[derive(Clone)]
pub(super) enum PreparedKey {
    /// Boxed: AWS-LC's keyed HMAC context is 1.2 KB, twenty times a parsed public key.
    Hmac(Box<hmac::Key>),
    Public(ParsedPublicKey),
}

impl PreparedKey {
    pub(super) fn hmac(hash: Hash, secret: &[u8]) -> Result<Self, String> {
        let algorithm = match hash {
            Hash::Sha256 => hmac::HMAC_SHA256,
            Hash::Sha384 => hmac::HMAC_SHA384,
            Hash::Sha512 => hmac::HMAC_SHA512,
        };
        // `Key::new` panics only when AWS-LC cannot set up an HMAC context, which no key
        // length causes (a key longer than the block is hashed, a shorter one padded).
        let key = hmac::Key::new(algorithm, secret);
        Ok(PreparedKey::Hmac(Box::new(key)))
    }

    pub(super) fn rsa(hash: Hash, padding: RsaPadding, key: &RsaPublicKey) -> Result<Self, String> {
        // The `_2048_8192_` parameters check the modulus size again on every verification;
        // `verifier.rs` has already refused a key outside that range. PSS uses a salt as long
        // as the hash (aws-lc-rs's `RsaPssSaltLength::Digest`), as RFC 7518 §3.5 says.
        let parameters: &'static RsaParameters = match (padding, hash) {
            (RsaPadding::Pkcs1v15, Hash::Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (RsaPadding::Pkcs1v15, Hash::Sha384) => &signature::RSA_PKCS1_2048_8192_SHA384,
            (RsaPadding::Pkcs1v15, Hash::Sha512) => &signature::RSA_PKCS1_2048_8192_SHA512,
            (RsaPadding::Pss, Hash::Sha256) => &signature::RSA_PSS_2048_8192_SHA256,
            (RsaPadding::Pss, Hash::Sha384) => &signature::RSA_PSS_2048_8192_SHA384,
            (RsaPadding::Pss, Hash::Sha512) => &signature::RSA_PSS_2048_8192_SHA512,
        };
        RsaPublicKeyComponents {
            n: key.n.as_slice(),
            e: key.e.as_slice(),
        }
        .to_parsed_public_key(parameters)
        .map(PreparedKey::Public)
        .map_err(|error| format!("not a usable RSA public key: {error}"))
    }

    /// `point` is an uncompressed SEC1 point of `curve`'s length (checked by the caller);
    /// AWS-LC checks that it is on the curve. JWS signatures are the fixed-size `r || s`.
    pub(super) fn ecdsa(curve: Curve, point: &[u8]) -> Result<Self, String> {
        let algorithm = match curve {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
        };
        ParsedPublicKey::new(algorithm, point)
            .map(PreparedKey::Public)
            .map_err(|_| "not a point on the curve".to_owned())
    }

    pub(super) fn ed25519(point: &[u8; 32]) -> Result<Self, String> {
        // AWS-LC stores any 32 bytes as an Ed25519 key and only fails each verification when
        // they are not a point; decompressing once refuses such a key now instead.
        if curve25519_dalek::edwards::CompressedEdwardsY(*point)
            .decompress()
            .is_none()
        {
            return Err("not an Ed25519 public key".into());
        }
        ParsedPublicKey::new(&signature::ED25519, point)
            .map(PreparedKey::Public)
            .map_err(|_| "not an Ed25519 public key".to_owned())
    }

    /// Whether `signature` is a valid signature of `message`. Signatures of the wrong length
    /// are refused by AWS-LC, never a panic; HMAC tags are compared in constant time by
    /// `hmac::verify`.
    pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            PreparedKey::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
            PreparedKey::Public(key) => key.verify_sig(message, signature).is_ok(),
        }
    }
}

/// The modulus and exponent of an RSA public key in PKCS#1 (`RSAPublicKey`) or SPKI DER.
pub(super) fn rsa_components_from_der(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let key = rsa::PublicKey::from_der(der).map_err(|error| error.to_string())?;
    let components = rsa::PublicKeyComponents::<Vec<u8>>::from(&key);
    Ok((components.n, components.e))
}
