//! One signature verification as a user would write it by hand at best with aws-lc-rs: the key
//! parsed once (`hmac::Key`, `ParsedPublicKey`), the signature already decoded, the check alone.
//! The targets compare a request's server CPU with a baseline plus this
//! (`auth-bench raw-verify <alg>`, used by `scripts/load-bench.sh` and `scripts/dpop-bench.sh`;
//! the `noauth-verify` stack checks each request's own token the same way in its handler, and
//! `requires-verify` runs [`Check::run`], under load).
//!
//! A new token's check is timed over distinct tokens, never one token again and again: ECDSA
//! and EdDSA verification take data-dependent paths (AWS-LC's `ecp_nistz256_points_mul_public`
//! reads its table of multiples of the generator at places the signature picks, and
//! `beeu_mod_inverse_vartime` branches on its input), and one signature checked over and over
//! keeps those few table lines cached and those branches predicted. Under load, `perf` of an
//! ES256 server found the two functions at 1.5 % and 2.1 % of the server's CPU when it checked
//! one token and 5.6 % and 5.6 % when it checked each request's own.

use std::time::Instant;

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};
use base64::Engine;
use jsonwebtoken::Algorithm;

use crate::keys;

/// The benchmark's key for `alg`, held as a user holds it: no box in front of the HMAC context.
#[allow(clippy::large_enum_variant)]
enum Key {
    Hmac(hmac::Key),
    Public(ParsedPublicKey),
}

impl Key {
    fn new(alg: Algorithm) -> Key {
        let jwk = serde_json::to_value(keys::signer(alg).jwk()).expect("a JWK is JSON");
        let param = |name: &str| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(jwk[name].as_str().expect("a JWK member"))
                .expect("base64url")
        };
        let public = |algorithm, bytes: Vec<u8>| {
            Key::Public(ParsedPublicKey::new(algorithm, bytes).expect("a valid public key"))
        };
        match alg {
            Algorithm::HS256 => Key::Hmac(hmac::Key::new(hmac::HMAC_SHA256, &param("k"))),
            Algorithm::RS256 | Algorithm::PS256 => {
                let parameters = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    _ => &signature::RSA_PSS_2048_8192_SHA256,
                };
                let (n, e) = (param("n"), param("e"));
                let components = RsaPublicKeyComponents { n: &n, e: &e };
                let key = components.to_parsed_public_key(parameters);
                Key::Public(key.expect("a valid RSA key"))
            }
            Algorithm::ES256 => public(
                &signature::ECDSA_P256_SHA256_FIXED,
                [&[4u8][..], &param("x"), &param("y")].concat(),
            ),
            Algorithm::EdDSA => public(&signature::ED25519, param("x")),
            other => unreachable!("no benchmark key for {other:?}"),
        }
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Key::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
            Key::Public(key) => key.verify_sig(message, signature).is_ok(),
        }
    }
}

/// One signature check as the user writes it: the key parsed once, one of the benchmark's
/// tokens signed with the algorithm split into its message and its decoded signature.
///
/// The token is as long as the ones the load sends ([`keys::TYPICAL_SERIAL`]): a hash covers
/// the message in 64-byte blocks, and the first token's message is one block shorter than
/// nearly all the others, which understated one HS256 check by a sixth.
pub struct Check {
    key: Key,
    message: String,
    signature: Vec<u8>,
}

impl Check {
    /// The check of a token signed with `alg`.
    pub fn new(alg: Algorithm) -> Check {
        let token = keys::mint(alg, keys::TYPICAL_SERIAL);
        let (message, signature) = token.rsplit_once('.').expect("a token is a JWS");
        let signature = decoded(signature);
        Check {
            key: Key::new(alg),
            message: message.to_owned(),
            signature,
        }
    }

    /// Verifies the signature once: `true` when it holds (always, unless the key is wrong).
    pub fn run(&self) -> bool {
        let message = std::hint::black_box(self.message.as_bytes());
        self.key
            .verify(message, std::hint::black_box(&self.signature))
    }

    /// Verifies `token`'s signature with the check's key, as a hand-written handler checks the
    /// token a request sent: split at the last dot, the signature decoded into a buffer on the
    /// stack. `false` for a bad signature or a token that is not `message.signature`.
    pub fn run_on(&self, token: &str) -> bool {
        let mut signature = [0u8; 512];
        let Some((message, encoded)) = token.rsplit_once('.') else {
            return false;
        };
        match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode_slice(encoded, &mut signature)
        {
            Ok(length) => self.key.verify(message.as_bytes(), &signature[..length]),
            Err(_) => false,
        }
    }
}

/// A benchmark token's signature, decoded.
fn decoded(signature: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .expect("a token's signature is base64url")
}

/// How many distinct tokens [`verify_micros`] cycles through.
const DISTINCT_TOKENS: u64 = 64;

/// The CPU time of one verification of the signature of a new token signed with `alg`, in
/// microseconds: the median of 5 batches of `iterations`, each check on the next of
/// 64 (`DISTINCT_TOKENS`) tokens as long as the load's (see the module's documentation), all
/// decoded beforehand.
pub fn verify_micros(alg: Algorithm, iterations: u32) -> f64 {
    let key = Key::new(alg);
    let tokens: Vec<(String, Vec<u8>)> = (0..DISTINCT_TOKENS)
        .map(|i| {
            let token = keys::mint(alg, keys::TYPICAL_SERIAL + i);
            let (message, signature) = token.rsplit_once('.').expect("a token is a JWS");
            (message.to_owned(), decoded(signature))
        })
        .collect();
    let mut batches: Vec<f64> = (0..5)
        .map(|_| {
            let (cpu, wall) = (cpu_seconds(), Instant::now());
            for (message, signature) in tokens.iter().cycle().take(iterations as usize) {
                let message = std::hint::black_box(message.as_bytes());
                assert!(key.verify(message, std::hint::black_box(signature)));
            }
            let cpu = cpu_seconds() - cpu;
            // Without a CPU clock, wall time (on the otherwise idle core the script pins to).
            let seconds = if cpu > 0.0 {
                cpu
            } else {
                wall.elapsed().as_secs_f64()
            };
            seconds * 1e6 / f64::from(iterations)
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[2]
}

/// This thread's CPU time in seconds, from `/proc/thread-self/schedstat` (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 * 1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_verifies_and_takes_time() {
        for alg in keys::ALGORITHMS {
            let micros = verify_micros(alg, 10);
            assert!(micros > 0.0 && micros.is_finite(), "{alg:?}: {micros}");
        }
    }

    #[test]
    fn a_wrong_signature_does_not_verify() {
        for alg in keys::ALGORITHMS {
            let token = keys::mint(alg, 0);
            let (message, _) = token.rsplit_once('.').unwrap();
            let other = keys::mint(alg, 1);
            let (_, signature) = other.rsplit_once('.').unwrap();
            let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(signature)
                .unwrap();
            assert!(
                !Key::new(alg).verify(message.as_bytes(), &signature),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn a_check_on_a_sent_token_holds_for_a_valid_signature_only() {
        for alg in keys::ALGORITHMS {
            let check = Check::new(alg);
            let token = keys::mint(alg, 7);
            assert!(check.run_on(&token), "{alg:?}");
            let (message, signature) = token.rsplit_once('.').unwrap();
            let other = keys::mint(alg, 8);
            let (_, other_signature) = other.rsplit_once('.').unwrap();
            for forged in [
                format!("{message}.{other_signature}"),
                format!("{message}.{signature}!"),
                message.to_owned(),
                String::new(),
            ] {
                assert!(!check.run_on(&forged), "{alg:?}: {forged}");
            }
        }
    }

    #[test]
    fn a_check_holds_for_its_own_signature_only() {
        for alg in keys::ALGORITHMS {
            let mut check = Check::new(alg);
            assert!(check.run(), "{alg:?}");
            *check.signature.last_mut().unwrap() ^= 1;
            assert!(!check.run(), "{alg:?}");
        }
    }
}
