//! Test keys of the aws-lc-rs backend: fresh EC and Ed25519 key pairs, or keys read from
//! PKCS#8; the fixed RSA key.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaEncoding, RsaKeyPair};
use aws_lc_rs::{hmac, rsa};

use crate::bearer::verifier::{Curve, Hash, RsaPadding};

/// A private key that signs tokens of one algorithm.
pub(crate) enum SigningKey {
    Hmac(Box<hmac::Key>),
    Rsa(RsaKeyPair, &'static dyn RsaEncoding),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl SigningKey {
    pub(crate) fn hmac(hash: Hash, secret: &[u8]) -> Self {
        let algorithm = match hash {
            Hash::Sha256 => hmac::HMAC_SHA256,
            Hash::Sha384 => hmac::HMAC_SHA384,
            Hash::Sha512 => hmac::HMAC_SHA512,
        };
        SigningKey::Hmac(Box::new(hmac::Key::new(algorithm, secret)))
    }

    /// The key of PKCS#8 `der`, and its modulus and exponent.
    pub(crate) fn rsa(hash: Hash, padding: RsaPadding, der: &[u8]) -> (Self, Vec<u8>, Vec<u8>) {
        let encoding: &'static dyn RsaEncoding = match (padding, hash) {
            (RsaPadding::Pkcs1v15, Hash::Sha256) => &signature::RSA_PKCS1_SHA256,
            (RsaPadding::Pkcs1v15, Hash::Sha384) => &signature::RSA_PKCS1_SHA384,
            (RsaPadding::Pkcs1v15, Hash::Sha512) => &signature::RSA_PKCS1_SHA512,
            (RsaPadding::Pss, Hash::Sha256) => &signature::RSA_PSS_SHA256,
            (RsaPadding::Pss, Hash::Sha384) => &signature::RSA_PSS_SHA384,
            (RsaPadding::Pss, Hash::Sha512) => &signature::RSA_PSS_SHA512,
        };
        let pair = RsaKeyPair::from_pkcs8(der).expect("the test RSA key");
        let public = rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        (SigningKey::Rsa(pair, encoding), public.n, public.e)
    }

    /// A fresh key pair, and its public key as an uncompressed SEC1 point.
    pub(crate) fn ecdsa(curve: Curve) -> (Self, Vec<u8>) {
        let algorithm = match curve {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        };
        let pair = EcdsaKeyPair::generate(algorithm).expect("a fresh EC key pair");
        let point = pair.public_key().as_ref().to_vec();
        (SigningKey::Ecdsa(pair), point)
    }

    /// The key pair of PKCS#8 `der`, and its public key as an uncompressed SEC1 point.
    pub(crate) fn ecdsa_pkcs8(curve: Curve, der: &[u8]) -> (Self, Vec<u8>) {
        let algorithm = match curve {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        };
        let pair = EcdsaKeyPair::from_pkcs8(algorithm, der)
            .expect("a PKCS#8 EC private key of the algorithm's curve");
        let point = pair.public_key().as_ref().to_vec();
        (SigningKey::Ecdsa(pair), point)
    }

    /// The key pair of PKCS#8 `der` (v1 or v2), and its 32-byte public key.
    pub(crate) fn ed25519_pkcs8(der: &[u8]) -> (Self, [u8; 32]) {
        let pair =
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).expect("a PKCS#8 Ed25519 private key");
        let public = <[u8; 32]>::try_from(pair.public_key().as_ref())
            .expect("an Ed25519 public key is 32 bytes");
        (SigningKey::Ed25519(pair), public)
    }

    /// A fresh key pair, and its 32-byte public key.
    pub(crate) fn ed25519() -> (Self, [u8; 32]) {
        let pair = Ed25519KeyPair::generate().expect("a fresh Ed25519 key pair");
        let public = <[u8; 32]>::try_from(pair.public_key().as_ref())
            .expect("an Ed25519 public key is 32 bytes");
        (SigningKey::Ed25519(pair), public)
    }

    /// The JWS signature of `message` (fixed-size `r || s` for ECDSA).
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            SigningKey::Hmac(key) => hmac::sign(key, message).as_ref().to_vec(),
            SigningKey::Rsa(pair, encoding) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(*encoding, &SystemRandom::new(), message, &mut signature)
                    .expect("signing with the test RSA key");
                signature
            }
            SigningKey::Ecdsa(pair) => pair
                .sign(&SystemRandom::new(), message)
                .expect("signing with the test EC key")
                .as_ref()
                .to_vec(),
            SigningKey::Ed25519(pair) => pair.sign(message).as_ref().to_vec(),
        }
    }
}

/// Fills `bytes` from the system's random source.
pub(crate) fn fill_random(bytes: &mut [u8]) {
    aws_lc_rs::rand::fill(bytes).expect("the system's random source");
}
