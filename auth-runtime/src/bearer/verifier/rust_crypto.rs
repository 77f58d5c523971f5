//! The RustCrypto backend: the pure-Rust `rsa`, `p256`, `p384`, `ed25519-dalek` and `hmac`
//! crates, each key parsed once into the crate's own key type.

use hmac::{Hmac, Mac};
use rsa::pkcs1::der::Decode;
use rsa::pkcs8::{spki::SubjectPublicKeyInfoRef, AssociatedOid};
use rsa::{BigUint, Pkcs1v15Sign, Pss};
use sha2::digest::DynDigest;
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::Verifier as _;

use super::params::{Curve, Hash, RsaPadding, RsaPublicKey, MAX_RSA_BITS};

pub(super) const NAME: &str = "rust-crypto";

#[derive(Clone)]
pub(super) enum PreparedKey {
    Hs256(Hmac<Sha256>),
    Hs384(Hmac<Sha384>),
    Hs512(Hmac<Sha512>),
    Rsa {
        key: rsa::RsaPublicKey,
        hash: Hash,
        padding: RsaPadding,
    },
    Es256(p256::ecdsa::VerifyingKey),
    Es384(p384::ecdsa::VerifyingKey),
    EdDsa(ed25519_dalek::VerifyingKey),
}

impl PreparedKey {
    pub(super) fn hmac(hash: Hash, secret: &[u8]) -> Result<Self, String> {
        let unusable = |_| "the HMAC secret is unusable".to_owned();
        match hash {
            Hash::Sha256 => Hmac::new_from_slice(secret).map(PreparedKey::Hs256),
            Hash::Sha384 => Hmac::new_from_slice(secret).map(PreparedKey::Hs384),
            Hash::Sha512 => Hmac::new_from_slice(secret).map(PreparedKey::Hs512),
        }
        .map_err(unusable)
    }

    pub(super) fn rsa(hash: Hash, padding: RsaPadding, key: &RsaPublicKey) -> Result<Self, String> {
        let (n, e) = (
            BigUint::from_bytes_be(&key.n),
            BigUint::from_bytes_be(&key.e),
        );
        // The crate's own ceiling is 4096 bits; `verifier.rs` allows what AWS-LC allows.
        let key = rsa::RsaPublicKey::new_with_max_size(n, e, MAX_RSA_BITS)
            .map_err(|error| format!("not a usable RSA public key: {error}"))?;
        Ok(PreparedKey::Rsa { key, hash, padding })
    }

    /// `point` is an uncompressed SEC1 point of `curve`'s length (checked by the caller); the
    /// curve crate checks that it is on the curve. JWS signatures are the fixed-size `r || s`.
    pub(super) fn ecdsa(curve: Curve, point: &[u8]) -> Result<Self, String> {
        let off_curve = |_| "not a point on the curve".to_owned();
        match curve {
            Curve::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(PreparedKey::Es256)
                .map_err(off_curve),
            Curve::P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(PreparedKey::Es384)
                .map_err(off_curve),
        }
    }

    pub(super) fn ed25519(point: &[u8; 32]) -> Result<Self, String> {
        ed25519_dalek::VerifyingKey::from_bytes(point)
            .map(PreparedKey::EdDsa)
            .map_err(|_| "not an Ed25519 public key".to_owned())
    }

    /// Whether `signature` is a valid signature of `message`. Signatures of the wrong length
    /// are refused; HMAC tags are compared in constant time by `Mac::verify_slice`.
    pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            PreparedKey::Hs256(mac) => verify_mac(mac, message, signature),
            PreparedKey::Hs384(mac) => verify_mac(mac, message, signature),
            PreparedKey::Hs512(mac) => verify_mac(mac, message, signature),
            PreparedKey::Rsa { key, hash, padding } => match hash {
                Hash::Sha256 => verify_rsa::<Sha256>(key, *padding, message, signature),
                Hash::Sha384 => verify_rsa::<Sha384>(key, *padding, message, signature),
                Hash::Sha512 => verify_rsa::<Sha512>(key, *padding, message, signature),
            },
            PreparedKey::Es256(key) => p256::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
            PreparedKey::Es384(key) => p384::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
            PreparedKey::EdDsa(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
        }
    }
}

/// The modulus and exponent of an RSA public key in PKCS#1 (`RSAPublicKey`) or SPKI DER,
/// as AWS-LC's parser takes both.
pub(super) fn rsa_components_from_der(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let components = |key: rsa::pkcs1::RsaPublicKey<'_>| {
        (
            key.modulus.as_bytes().to_vec(),
            key.public_exponent.as_bytes().to_vec(),
        )
    };
    if let Ok(key) = rsa::pkcs1::RsaPublicKey::from_der(der) {
        return Ok(components(key));
    }
    let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(|error| error.to_string())?;
    if spki.algorithm.oid != rsa::pkcs1::ALGORITHM_OID {
        return Err("its algorithm is not rsaEncryption".into());
    }
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| "its key is not a whole number of bytes".to_owned())?;
    rsa::pkcs1::RsaPublicKey::from_der(bits)
        .map(components)
        .map_err(|error| error.to_string())
}

/// RSASSA-PKCS1-v1_5 or RSASSA-PSS (salt as long as the hash, RFC 7518 §3.5) with hash `H`.
fn verify_rsa<H: 'static + Digest + DynDigest + AssociatedOid + Send + Sync>(
    key: &rsa::RsaPublicKey,
    padding: RsaPadding,
    message: &[u8],
    signature: &[u8],
) -> bool {
    let digest = H::digest(message);
    let verified = match padding {
        RsaPadding::Pss => key.verify(Pss::new::<H>(), &digest, signature),
        RsaPadding::Pkcs1v15 => key.verify(Pkcs1v15Sign::new::<H>(), &digest, signature),
    };
    verified.is_ok()
}

/// HMAC verification from the keyed state, compared in constant time by `verify_slice`.
fn verify_mac<M: Mac + Clone>(keyed: &M, message: &[u8], signature: &[u8]) -> bool {
    let mut mac = keyed.clone();
    mac.update(message);
    mac.verify_slice(signature).is_ok()
}
