//! DPoP under load (`scripts/dpop-bench.sh`, issue 14): requests that each carry a new proof
//! for one reused bound token, and the cost of one proof signature checked by hand.
//!
//! The target compares a DPoP request's server CPU with a cached Bearer token's plus one
//! verification of the proof's algorithm; that verification is measured here, in this
//! process, as a user would write it at best with aws-lc-rs: the key parsed once, the
//! signature already decoded, `ParsedPublicKey::verify_sig` only.

use std::time::Instant;

use auth_runtime::testing::DpopKey;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::Engine;
use jsonwebtoken::Algorithm;

use crate::keys;

/// The algorithms a benchmark client may sign its proofs with.
pub const CLIENT_ALGORITHMS: [Algorithm; 2] = [Algorithm::ES256, Algorithm::EdDSA];

/// `count` requests of one client whose key signs with `client_alg`: the same token (signed
/// with `alg`, bound to the client's key) and a new proof of `GET url` each, as
/// `(token, proof)`, signed on every available core.
pub fn requests(
    alg: Algorithm,
    client_alg: Algorithm,
    count: u64,
    url: &str,
) -> Vec<(String, String)> {
    let client = DpopKey::new(client_alg);
    let token = keys::mint_bound(alg, &client);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let per_thread = count.div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                let (client, token) = (&client, &token);
                let first = thread * per_thread;
                let last = (first + per_thread).min(count);
                scope.spawn(move || {
                    (first..last)
                        .map(|_| {
                            let proof = client.proof("GET", url).token(token).sign();
                            (token.clone(), proof)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a signing thread panicked"))
            .collect()
    })
}

/// The CPU time of one verification of a `client_alg` proof signature with aws-lc-rs, key
/// parsed once, in microseconds: the median of 5 batches of `iterations`.
pub fn raw_verify_micros(client_alg: Algorithm, iterations: u32) -> f64 {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let client = DpopKey::new(client_alg);
    let proof = client.proof("GET", "http://127.0.0.1/items").sign();
    let (message, signature) = proof.rsplit_once('.').expect("a proof is a JWS");
    let signature = b64
        .decode(signature)
        .expect("a proof's signature is base64url");
    let jwk = client.public_jwk();
    let param = |name: &str| {
        b64.decode(jwk[name].as_str().expect("a JWK member"))
            .expect("base64url")
    };
    let (algorithm, public): (&'static dyn signature::VerificationAlgorithm, Vec<u8>) =
        match client_alg {
            Algorithm::ES256 => (
                &signature::ECDSA_P256_SHA256_FIXED,
                [&[4u8][..], &param("x"), &param("y")].concat(),
            ),
            Algorithm::EdDSA => (&signature::ED25519, param("x")),
            other => unreachable!("no benchmark client key for {other:?}"),
        };
    let parsed = ParsedPublicKey::new(algorithm, &public).expect("a valid public key");
    let mut batches: Vec<f64> = (0..5)
        .map(|_| {
            let started = cpu_time();
            let wall = Instant::now();
            for _ in 0..iterations {
                let verified = parsed.verify_sig(
                    std::hint::black_box(message.as_bytes()),
                    std::hint::black_box(&signature),
                );
                assert!(verified.is_ok());
            }
            let cpu = cpu_time() - started;
            // Without a usable CPU clock, wall time on an otherwise idle core.
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
fn cpu_time() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 * 1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_carries_the_bound_token_and_its_own_proof() {
        let requests = requests(
            Algorithm::HS256,
            Algorithm::EdDSA,
            5,
            "http://127.0.0.1/items",
        );
        assert_eq!(requests.len(), 5);
        let proofs: std::collections::HashSet<_> =
            requests.iter().map(|(_, proof)| proof).collect();
        assert_eq!(proofs.len(), 5);
        assert!(requests.iter().all(|(token, _)| *token == requests[0].0));
    }

    #[test]
    fn a_raw_verification_takes_time() {
        for alg in CLIENT_ALGORITHMS {
            let micros = raw_verify_micros(alg, 20);
            assert!(micros > 0.0 && micros.is_finite(), "{alg:?}: {micros}");
        }
    }
}
