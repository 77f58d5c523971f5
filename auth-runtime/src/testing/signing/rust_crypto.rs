//! Test keys of the RustCrypto backend: fresh EC and Ed25519 key pairs, or keys read from
//! PKCS#8; the fixed RSA key.

// argon2's re-export: the crate already builds rand_core with the operating system's source.
use argon2::password_hash::rand_core::{OsRng, RngCore};
use hmac::{Hmac, Mac};
use rsa::pkcs8::{AssociatedOid, DecodePrivateKey};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, Pss, RsaPrivateKey};
use sha2::digest::DynDigest;
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::Signer;

use crate::bearer::verifier::{Curve, Hash, RsaPadding};

/// A private key that signs tokens of one algorithm.
pub(crate) enum SigningKey {
    Hmac(Hash, Vec<u8>),
    Rsa(Box<RsaPrivateKey>, Hash, RsaPadding),
    Es256(p256::ecdsa::SigningKey),
    Es384(p384::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl SigningKey {
    pub(crate) fn hmac(hash: Hash, secret: &[u8]) -> Self {
        SigningKey::Hmac(hash, secret.to_vec())
    }

    /// The key of PKCS#8 `der`, and its modulus and exponent.
    pub(crate) fn rsa(hash: Hash, padding: RsaPadding, der: &[u8]) -> (Self, Vec<u8>, Vec<u8>) {
        let key = RsaPrivateKey::from_pkcs8_der(der).expect("the test RSA key");
        let (n, e) = (key.n().to_bytes_be(), key.e().to_bytes_be());
        (SigningKey::Rsa(Box::new(key), hash, padding), n, e)
    }

    /// A fresh key pair, and its public key as an uncompressed SEC1 point.
    pub(crate) fn ecdsa(curve: Curve) -> (Self, Vec<u8>) {
        match curve {
            Curve::P256 => {
                let key = p256::ecdsa::SigningKey::random(&mut OsRng);
                let point = key
                    .verifying_key()
                    .to_encoded_point(false)
                    .as_bytes()
                    .to_vec();
                (SigningKey::Es256(key), point)
            }
            Curve::P384 => {
                let key = p384::ecdsa::SigningKey::random(&mut OsRng);
                let point = key
                    .verifying_key()
                    .to_encoded_point(false)
                    .as_bytes()
                    .to_vec();
                (SigningKey::Es384(key), point)
            }
        }
    }

    /// The key pair of PKCS#8 `der`, and its public key as an uncompressed SEC1 point.
    pub(crate) fn ecdsa_pkcs8(curve: Curve, der: &[u8]) -> (Self, Vec<u8>) {
        use p256::pkcs8::DecodePrivateKey as _;
        const EXPECT: &str = "a PKCS#8 EC private key of the algorithm's curve";
        match curve {
            Curve::P256 => {
                let key = p256::ecdsa::SigningKey::from_pkcs8_der(der).expect(EXPECT);
                let point = key.verifying_key().to_encoded_point(false);
                (SigningKey::Es256(key), point.as_bytes().to_vec())
            }
            Curve::P384 => {
                let key = p384::ecdsa::SigningKey::from_pkcs8_der(der).expect(EXPECT);
                let point = key.verifying_key().to_encoded_point(false);
                (SigningKey::Es384(key), point.as_bytes().to_vec())
            }
        }
    }

    /// The key pair of a PKCS#8 v1 `der` (RFC 8410 §7: the 32-byte seed after a fixed
    /// prefix), and its 32-byte public key.
    pub(crate) fn ed25519_pkcs8(der: &[u8]) -> (Self, [u8; 32]) {
        const PREFIX: [u8; 16] = [
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        let seed = der
            .strip_prefix(&PREFIX)
            .and_then(|seed| <[u8; 32]>::try_from(seed).ok())
            .expect("a PKCS#8 v1 Ed25519 private key");
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let public = key.verifying_key().to_bytes();
        (SigningKey::Ed25519(key), public)
    }

    /// A fresh key pair, and its 32-byte public key.
    pub(crate) fn ed25519() -> (Self, [u8; 32]) {
        let key = ed25519_dalek::SigningKey::generate(&mut OsRng);
        let public = key.verifying_key().to_bytes();
        (SigningKey::Ed25519(key), public)
    }

    /// The JWS signature of `message` (fixed-size `r || s` for ECDSA).
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            SigningKey::Hmac(Hash::Sha256, secret) => mac::<Hmac<Sha256>>(secret, message),
            SigningKey::Hmac(Hash::Sha384, secret) => mac::<Hmac<Sha384>>(secret, message),
            SigningKey::Hmac(Hash::Sha512, secret) => mac::<Hmac<Sha512>>(secret, message),
            SigningKey::Rsa(key, Hash::Sha256, padding) => rsa::<Sha256>(key, *padding, message),
            SigningKey::Rsa(key, Hash::Sha384, padding) => rsa::<Sha384>(key, *padding, message),
            SigningKey::Rsa(key, Hash::Sha512, padding) => rsa::<Sha512>(key, *padding, message),
            SigningKey::Es256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(message);
                signature.to_bytes().to_vec()
            }
            SigningKey::Es384(key) => {
                let signature: p384::ecdsa::Signature = key.sign(message);
                signature.to_bytes().to_vec()
            }
            SigningKey::Ed25519(key) => key.sign(message).to_bytes().to_vec(),
        }
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(secret: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <M as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// RSASSA-PKCS1-v1_5, or RSASSA-PSS with a salt as long as the hash (RFC 7518 §3.5).
fn rsa<H: 'static + Digest + DynDigest + AssociatedOid + Send + Sync>(
    key: &RsaPrivateKey,
    padding: RsaPadding,
    message: &[u8],
) -> Vec<u8> {
    let digest = H::digest(message);
    match padding {
        RsaPadding::Pkcs1v15 => key.sign(Pkcs1v15Sign::new::<H>(), &digest),
        RsaPadding::Pss => key.sign_with_rng(&mut OsRng, Pss::new::<H>(), &digest),
    }
    .expect("signing with the test RSA key")
}

/// Fills `bytes` from the operating system's random source.
pub(crate) fn fill_random(bytes: &mut [u8]) {
    OsRng.fill_bytes(bytes);
}
