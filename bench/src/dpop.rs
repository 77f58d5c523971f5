//! DPoP under load (`scripts/dpop-bench.sh`, issue 14): requests that each carry a new proof
//! for one reused bound token. The target compares a DPoP request's server CPU with a cached
//! Bearer token's plus one verification of the proof's algorithm ([`crate::raw`]).

use auth_runtime::testing::DpopKey;
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
}
