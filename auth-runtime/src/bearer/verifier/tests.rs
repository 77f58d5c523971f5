//! The verifier against signatures made by OpenSSL (`vectors.json`, written by
//! `scripts/signature-vectors.py`), on whichever backend this build uses: `.ci/run` runs these
//! tests once with each.

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use super::{SignatureError, Verifier, SIGNATURE_BACKEND};
use crate::bearer::keys::Key;
use crate::error::ConfigError;

const ALGORITHMS: [Algorithm; 12] = [
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors.json")).expect("vectors.json is JSON")
}

fn pem(name: &str) -> String {
    vectors()["keys"][name].as_str().unwrap().to_owned()
}

fn b64_decode(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The vectors' key for `algorithm`, bound to it.
fn key(algorithm: Algorithm) -> Key {
    match algorithm {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            Key::hmac(algorithm, b64_decode(&pem("hmac")))
        }
        Algorithm::ES256 => Key::ec_pem(algorithm, pem("p256")),
        Algorithm::ES384 => Key::ec_pem(algorithm, pem("p384")),
        Algorithm::EdDSA => Key::ed25519_pem(pem("ed25519")),
        _ => Key::rsa_pem(algorithm, pem("rsa")),
    }
    .unwrap_or_else(|error| panic!("{algorithm:?} on {SIGNATURE_BACKEND}: {error}"))
}

/// `(header.payload, signature)` of the vectors' valid token for `algorithm`.
fn signed(algorithm: Algorithm) -> (String, String) {
    split(
        vectors()["valid"][format!("{algorithm:?}")]
            .as_str()
            .unwrap(),
    )
}

fn split(token: &str) -> (String, String) {
    let (message, signature) = token.rsplit_once('.').unwrap();
    (message.to_owned(), signature.to_owned())
}

fn verify(key: &Key, message: &str, signature: &str) -> Result<(), SignatureError> {
    key.verifier().verify(message.as_bytes(), signature)
}

#[test]
fn every_algorithm_verifies_a_signature_made_by_openssl() {
    for algorithm in ALGORITHMS {
        let (message, signature) = signed(algorithm);
        assert_eq!(
            verify(&key(algorithm), &message, &signature),
            Ok(()),
            "{algorithm:?} on {SIGNATURE_BACKEND}"
        );
    }
}

#[test]
fn a_tampered_signature_or_message_is_refused() {
    for algorithm in ALGORITHMS {
        let key = key(algorithm);
        let (message, signature) = signed(algorithm);
        let bytes = b64_decode(&signature);
        for index in [0, bytes.len() / 2, bytes.len() - 1] {
            let mut tampered = bytes.clone();
            tampered[index] ^= 0x01;
            assert_eq!(
                verify(&key, &message, &b64(&tampered)),
                Err(SignatureError::Invalid),
                "{algorithm:?} on {SIGNATURE_BACKEND}, byte {index} flipped"
            );
        }
        let mut other_message = message.clone().into_bytes();
        let last = other_message.len() - 1;
        other_message[last] = if other_message[last] == b'A' {
            b'B'
        } else {
            b'A'
        };
        let other_message = String::from_utf8(other_message).unwrap();
        assert_eq!(
            verify(&key, &other_message, &signature),
            Err(SignatureError::Invalid),
            "{algorithm:?} on {SIGNATURE_BACKEND}, message changed"
        );
    }
}

/// The HMAC tag is compared whole (the backends compare in constant time: aws-lc-rs's
/// `hmac::verify`, RustCrypto's `Mac::verify_slice`): a prefix, an extension or an empty tag
/// is refused.
#[test]
fn hmac_tags_are_compared_whole() {
    for algorithm in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let key = key(algorithm);
        let (message, signature) = signed(algorithm);
        let tag = b64_decode(&signature);
        let mut extended = tag.clone();
        extended.push(0);
        for other in [&tag[..tag.len() - 1], &tag[..16], &extended[..], &[][..]] {
            assert_eq!(
                verify(&key, &message, &b64(other)),
                Err(SignatureError::Invalid),
                "{algorithm:?} on {SIGNATURE_BACKEND}, a tag of {} bytes",
                other.len()
            );
        }
    }
}

#[test]
fn a_key_verifies_its_own_algorithm_only() {
    for bound in ALGORITHMS {
        let key = key(bound);
        for signer in ALGORITHMS.into_iter().filter(|&signer| signer != bound) {
            let (message, signature) = signed(signer);
            assert!(
                verify(&key, &message, &signature).is_err(),
                "a {bound:?} key verified a {signer:?} signature on {SIGNATURE_BACKEND}"
            );
        }
    }
}

/// RFC 7518 §3.5: the PSS salt is as long as the hash; a signature with another salt length is
/// refused, though it is valid RSASSA-PSS.
#[test]
fn pss_signatures_with_another_salt_length_are_refused() {
    let vectors = vectors();
    for (alg, token) in vectors["pss_other_salt"].as_object().unwrap() {
        let algorithm: Algorithm = serde_json::from_value(Value::String(alg.clone())).unwrap();
        let (message, signature) = split(token.as_str().unwrap());
        assert_eq!(
            verify(&key(algorithm), &message, &signature),
            Err(SignatureError::Invalid),
            "{alg} on {SIGNATURE_BACKEND}"
        );
    }
}

#[test]
fn signatures_of_any_length_are_refused_without_panicking() {
    for algorithm in ALGORITHMS {
        let key = key(algorithm);
        let (message, _) = signed(algorithm);
        for len in (0..=1030)
            .step_by(7)
            .chain([32, 48, 64, 96, 256, 384, 512, 1024])
        {
            for fill in [0x00, 0xff] {
                let verified = verify(&key, &message, &b64(&vec![fill; len]));
                // Past the longest signature (8192-bit RSA) the decoder may refuse it first.
                let expected = if len > 1024 && verified == Err(SignatureError::Malformed) {
                    SignatureError::Malformed
                } else {
                    SignatureError::Invalid
                };
                assert_eq!(
                    verified,
                    Err(expected),
                    "{algorithm:?} on {SIGNATURE_BACKEND}, {len} bytes of {fill:#04x}"
                );
            }
        }
        for malformed in ["not base64!", "A", &"A".repeat(1400)] {
            assert_eq!(
                verify(&key, &message, malformed),
                Err(SignatureError::Malformed),
                "{algorithm:?} on {SIGNATURE_BACKEND}"
            );
        }
    }
}

/// RFC 7518 §3.3 and the ceiling of AWS-LC, checked before either backend sees the key, so
/// that both refuse (and accept) exactly the same RSA keys with the same reason.
#[test]
fn rsa_keys_below_2048_bits_are_refused_the_same_way_on_both_backends() {
    let refusal = |result: Result<Key, ConfigError>| match result {
        Err(ConfigError::InvalidKey { reason, .. }) => reason,
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a 1024-bit RSA key was accepted on {SIGNATURE_BACKEND}"),
    };
    let expected = "the RSA modulus has 1024 bits; RFC 7518 §3.3 requires at least 2048";
    for algorithm in [Algorithm::RS256, Algorithm::PS512] {
        assert_eq!(refusal(Key::rsa_pem(algorithm, pem("rsa1024"))), expected);
    }
    let spki = pem_body(&pem("rsa1024"));
    assert_eq!(refusal(Key::rsa_der(Algorithm::RS256, &spki)), expected);
}

#[test]
fn rsa_keys_are_bounded_by_modulus_and_exponent_alike_on_both_backends() {
    // An odd modulus of exactly `bits` bits (0xff… with a leading zero byte, as some JWKs
    // carry it).
    let modulus = |bits: usize| {
        let mut n = vec![0xffu8; bits / 8];
        n.insert(0, 0);
        n
    };
    let check = |n: &[u8], e: &[u8]| {
        Verifier::new(
            Algorithm::RS256,
            &DecodingKey::from_rsa_raw_components(n, e),
        )
        .map(drop)
    };
    let f4 = [1, 0, 1];
    assert!(check(&modulus(2048), &f4).is_ok());
    assert!(check(&modulus(8192), &f4).is_ok());
    assert_eq!(
        check(&modulus(2040), &f4).unwrap_err(),
        "the RSA modulus has 2040 bits; RFC 7518 §3.3 requires at least 2048"
    );
    assert_eq!(
        check(&modulus(8200), &f4).unwrap_err(),
        "the RSA modulus has 8200 bits; at most 8192 are supported"
    );
    let mut even = modulus(2048);
    *even.last_mut().unwrap() = 0xfe;
    assert_eq!(check(&even, &f4).unwrap_err(), "the RSA modulus is even");
    for accepted in [&[3][..], &[1, 0, 1], &[1, 0xff, 0xff, 0xff, 0xff]] {
        assert!(check(&modulus(2048), accepted).is_ok(), "e = {accepted:?}");
    }
    for refused in [&[][..], &[1], &[2], &[1, 0, 0], &[2, 0, 0, 0, 1]] {
        assert_eq!(
            check(&modulus(2048), refused).unwrap_err(),
            "the RSA public exponent must be odd, at least 3 and below 2^33",
            "e = {refused:?}"
        );
    }
}

#[test]
fn rsa_der_is_taken_as_pkcs1_or_spki() {
    let (message, signature) = signed(Algorithm::RS256);
    let spki = pem_body(&pem("rsa"));
    // A 2048-bit SPKI: 24 bytes of header, then the PKCS#1 `RSAPublicKey`.
    let pkcs1 = &spki[24..];
    assert_eq!(&pkcs1[..4], &[0x30, 0x82, 0x01, 0x0a]);
    for der in [&spki[..], pkcs1] {
        let key = Key::rsa_der(Algorithm::RS256, der).unwrap();
        assert_eq!(verify(&key, &message, &signature), Ok(()));
    }
    assert!(Key::rsa_der(Algorithm::RS256, &spki[..spki.len() - 1]).is_err());
}

fn pem_body(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}
