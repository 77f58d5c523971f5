//! The one set of keys every stack verifies with, and the tokens signed with them.
//!
//! The keys are fixed (the repository's test-only PEMs and a fixed HMAC secret), so a token
//! minted by one process is valid for every server the load script starts.

use auth_runtime::testing::TestIssuer;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

/// The `iss` of every token, and the issuer every stack accepts.
pub const ISSUER: &str = "https://issuer.bench";
/// The `aud` of every token, and the audience every stack accepts.
pub const AUDIENCE: &str = "items-api";
/// The scope `GET /items` needs.
pub const ITEMS_READ: &str = "items:read";
/// The `kid` in every token's header (only `#[requires]` looks at it).
pub const KID: &str = "bench";

/// The algorithms the benchmark serves, in the order the table lists them.
pub const ALGORITHMS: [Algorithm; 5] = [
    Algorithm::HS256,
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

const HMAC_SECRET: &[u8; 64] = b"TEST-ONLY secret of auth-bench; it protects nothing. 64 bytes!!!";
const RSA_PRIVATE: &str = include_str!("../../tests/keys/TEST-ONLY-rsa-private.pem");
const RSA_PUBLIC: &str = include_str!("../../tests/keys/TEST-ONLY-rsa-public.pem");
const P256_PRIVATE: &str = include_str!("../../tests/keys/TEST-ONLY-p256-private.pem");
const P256_PUBLIC: &str = include_str!("../../tests/keys/TEST-ONLY-p256-public.pem");
const ED25519_PRIVATE: &str = include_str!("../../tests/keys/TEST-ONLY-ed25519-private.pem");
const ED25519_PUBLIC: &str = include_str!("../../tests/keys/TEST-ONLY-ed25519-public.pem");

/// The scopes of every minted token: more than `GET /items` needs, as real tokens carry.
const TOKEN_SCOPE: &str = "items:read items:write";

/// Seconds a minted token stays valid: long enough for a whole load run and its re-use.
const LIFETIME_SECS: u64 = 2 * 24 * 3600;

/// Makes aws-lc-rs jsonwebtoken's process-wide crypto provider, as the hand-written stacks'
/// users set it up with jsonwebtoken's `aws_lc_rs` feature. Installed explicitly rather than
/// left to jsonwebtoken's choice by feature, which panics on first use if a build enables both
/// of its backends. Idempotent.
pub fn install_jwt_backend() {
    // `Err` only when a provider is already installed: this one, by an earlier call.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
}

/// Parses an algorithm name as the command line gives it (`HS256`, `es256`, `EdDSA`, …) and
/// checks that the benchmark has a key for it.
pub fn parse_algorithm(name: &str) -> Result<Algorithm, String> {
    ALGORITHMS
        .into_iter()
        .find(|alg| format!("{alg:?}").eq_ignore_ascii_case(name))
        .ok_or_else(|| format!("unknown algorithm `{name}`; expected one of {ALGORITHMS:?}"))
}

/// The verification key as `#[requires]`'s `Authenticator` is configured with it.
pub fn runtime_key(alg: Algorithm) -> auth_runtime::Key {
    let key = match alg {
        Algorithm::HS256 => auth_runtime::Key::hs256(HMAC_SECRET),
        Algorithm::RS256 | Algorithm::PS256 => auth_runtime::Key::rsa_pem(alg, RSA_PUBLIC),
        Algorithm::ES256 => auth_runtime::Key::ec_pem(alg, P256_PUBLIC),
        Algorithm::EdDSA => auth_runtime::Key::ed25519_pem(ED25519_PUBLIC),
        other => unreachable!("no benchmark key for {other:?}"),
    };
    key.expect("the benchmark's keys are valid").with_kid(KID)
}

/// The verification key as a hand-written jsonwebtoken stack loads it at start-up.
pub fn decoding_key(alg: Algorithm) -> DecodingKey {
    install_jwt_backend();
    let key = match alg {
        Algorithm::HS256 => Ok(DecodingKey::from_secret(HMAC_SECRET)),
        Algorithm::RS256 | Algorithm::PS256 => DecodingKey::from_rsa_pem(RSA_PUBLIC.as_bytes()),
        Algorithm::ES256 => DecodingKey::from_ec_pem(P256_PUBLIC.as_bytes()),
        Algorithm::EdDSA => DecodingKey::from_ed_pem(ED25519_PUBLIC.as_bytes()),
        other => unreachable!("no benchmark key for {other:?}"),
    };
    key.expect("the benchmark's keys are valid")
}

/// The checks a hand-written jsonwebtoken stack makes, the same as the `Authenticator`'s:
/// the one algorithm, signature, `exp` (required) and `nbf` with 60 s leeway, `iss`, `aud`.
pub fn validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.validate_nbf = true;
    validation
}

/// A serial whose token is as long as nearly every token of a fresh-token run: the serial is
/// in the `jti` and `sub` claims, and the tokens from serial 1,000 up (all but the first 1,000
/// of the 30,000 or more that `scripts/load-bench.sh` mints) have messages of the same number
/// of SHA-256 blocks as this one; the first ones are a block shorter.
pub const TYPICAL_SERIAL: u64 = 10_000;

/// A token allowed to read items, distinct for every `serial`; valid for two days.
pub fn mint(alg: Algorithm, serial: u64) -> String {
    mint_scoped(alg, serial, TOKEN_SCOPE)
}

/// A token as [`mint`] makes it, with other scopes (space-delimited).
pub fn mint_scoped(alg: Algorithm, serial: u64, scope: &str) -> String {
    mint_with(&signer(alg), serial, scope)
}

/// A token as [`mint`] makes it (serial 0), bound to `client`'s key (`cnf.jkt`, RFC 9449 §6).
pub fn mint_bound(alg: Algorithm, client: &auth_runtime::testing::DpopKey) -> String {
    signer(alg)
        .token()
        .subject("user-0")
        .scope(TOKEN_SCOPE)
        .expires_in(LIFETIME_SECS as i64)
        .claim("jti", 0)
        .bound_to(client)
        .sign()
}

/// `count` distinct tokens, signed on every available core.
pub fn mint_many(alg: Algorithm, count: u64) -> Vec<String> {
    let key = signer(alg);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let per_thread = count.div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                let key = &key;
                let first = thread * per_thread;
                let last = (first + per_thread).min(count);
                scope.spawn(move || {
                    (first..last)
                        .map(|serial| mint_with(key, serial, TOKEN_SCOPE))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a minting thread panicked"))
            .collect()
    })
}

fn mint_with(key: &TestIssuer, serial: u64, scope: &str) -> String {
    key.token()
        .subject(format!("user-{serial}"))
        .scope(scope)
        .expires_in(LIFETIME_SECS as i64)
        .claim("jti", serial)
        .sign()
}

/// The issuer of the benchmark's tokens for `alg` (`auth_runtime::testing::TestIssuer`, the
/// project's one token minter), with the fixed key every stack verifies with.
pub(crate) fn signer(alg: Algorithm) -> TestIssuer {
    let issuer = match alg {
        Algorithm::HS256 => TestIssuer::with_secret(alg, HMAC_SECRET),
        Algorithm::RS256 | Algorithm::PS256 => TestIssuer::from_pkcs8_pem(alg, RSA_PRIVATE),
        Algorithm::ES256 => TestIssuer::from_pkcs8_pem(alg, P256_PRIVATE),
        Algorithm::EdDSA => TestIssuer::from_pkcs8_pem(alg, ED25519_PRIVATE),
        other => unreachable!("no benchmark key for {other:?}"),
    };
    issuer
        .with_issuer(ISSUER)
        .with_audience(AUDIENCE)
        .with_kid(KID)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_verifies_with_both_kinds_of_key() {
        for alg in ALGORITHMS {
            let token = mint(alg, 7);
            let claims: serde_json::Value =
                jsonwebtoken::decode(&token, &decoding_key(alg), &validation(alg))
                    .unwrap_or_else(|e| panic!("{alg:?}: {e}"))
                    .claims;
            assert_eq!(claims["jti"], 7, "{alg:?}");
            let auth = auth_runtime::Authenticator::builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .key(runtime_key(alg))
                .build()
                .unwrap();
            let principal = auth_runtime::testing::verify_bearer(&auth, &token).unwrap();
            assert!(principal.scopes().contains(ITEMS_READ), "{alg:?}");
        }
    }

    #[test]
    fn minted_tokens_are_distinct() {
        let tokens = mint_many(Algorithm::HS256, 100);
        let unique: std::collections::HashSet<_> = tokens.iter().collect();
        assert_eq!(unique.len(), 100);
    }

    #[test]
    fn the_typical_serial_hashes_as_many_blocks_as_the_load_tokens() {
        // SHA-256 blocks of a message with its padding (at least 9 bytes).
        let blocks = |serial| {
            let token = mint(Algorithm::HS256, serial);
            let (message, _) = token.rsplit_once('.').unwrap();
            (message.len() + 9).div_ceil(64)
        };
        let typical = blocks(TYPICAL_SERIAL);
        for serial in [1_000, 9_999, 29_999, 99_999, 999_999] {
            assert_eq!(blocks(serial), typical, "serial {serial}");
        }
        assert_eq!(blocks(0) + 1, typical);
    }

    #[test]
    fn algorithm_names_parse_case_insensitively() {
        assert_eq!(parse_algorithm("eddsa"), Ok(Algorithm::EdDSA));
        assert!(parse_algorithm("none").is_err());
    }
}
