//! DPoP proofs (RFC 9449) through the request path (`testing::verify_dpop`: `GET
//! http://localhost:8080/items` with a token bound to an ES256 client key), two ways:
//!
//! - **raw** (any input not starting with `{`): the bytes are the `DPoP` header. The size
//!   check, base64url and JSON decoding of the header and claims, the `jwk` parsing and
//!   thumbprint and the signature never panic, and nothing but a compact JWS is accepted.
//! - **signed** (an input starting with `{`): a JOSE header and claims separated by a 0xFF byte,
//!   signed as they are by the client key the token is bound to, after `$JWK`, `$IAT` and `$ATH`
//!   are replaced by that key's public JWK, the current time and the token's hash. Random bytes
//!   never get past a signature; these do, so every check after it runs on fuzzed JSON: `jti`,
//!   `htm`, `htu` (URL parsing and RFC 3986 normalisation), `iat`, `ath`, the key binding and
//!   the replay cache. An accepted proof must be a well-formed `dpop+jwt` ES256 proof for `GET`,
//!   with the token's hash, a `jti`, and an `iat` within the 60-second window.

#![no_main]

use auth_fuzz::{dpop, replace};
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sha2::{Digest, Sha256};

fuzz_target!(|input: &[u8]| {
    let dpop = dpop();
    if input.first() != Some(&b'{') {
        let accepted =
            auth_runtime::testing::verify_dpop(&dpop.auth, "GET", "/items", &dpop.token, input);
        if accepted.is_ok() {
            assert!(input.len() <= 8 * 1024);
            assert_eq!(input.iter().filter(|&&b| b == b'.').count(), 2, "{input:?}");
        }
        return;
    }
    let Some(split) = input.iter().position(|&b| b == 0xff) else {
        return;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ath = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(dpop.token.as_bytes()));
    let jwk = dpop.client.public_jwk().to_string();
    let fill = |part: &[u8]| {
        let part = replace(part, b"$JWK", jwk.as_bytes());
        let part = replace(&part, b"$IAT", now.to_string().as_bytes());
        replace(&part, b"$ATH", ath.as_bytes())
    };
    let (header, claims) = (fill(&input[..split]), fill(&input[split + 1..]));
    let proof = dpop.client.sign_parts(&header, &claims);
    let accepted = auth_runtime::testing::verify_dpop(
        &dpop.auth,
        "GET",
        "/items",
        &dpop.token,
        proof.as_bytes(),
    );
    if accepted.is_err() {
        return;
    }
    // Accepted: what the verifier read must be what RFC 9449 §4.3 allows, read independently.
    let header: Value = serde_json::from_slice(&header).expect("an accepted header is JSON");
    let claims: Value = serde_json::from_slice(&claims).expect("accepted claims are JSON");
    let typ = header["typ"].as_str().expect("typ");
    assert!(typ.eq_ignore_ascii_case("dpop+jwt"), "{header}");
    assert_eq!(header["alg"], "ES256", "{header}");
    assert!(header.get("crit").is_none(), "{header}");
    assert_eq!(claims["htm"], "GET", "{claims}");
    assert_eq!(claims["ath"].as_str(), Some(ath.as_str()), "{claims}");
    assert!(
        claims["jti"].as_str().is_some_and(|jti| !jti.is_empty()),
        "{claims}"
    );
    let htu = url::Url::parse(claims["htu"].as_str().expect("htu")).expect("htu is a URL");
    assert_eq!(htu.scheme(), "http", "{claims}");
    assert_eq!(htu.host_str(), Some("localhost"), "{claims}");
    assert_eq!(htu.port_or_known_default(), Some(8080), "{claims}");
    assert_eq!(htu.path(), "/items", "{claims}");
    let iat = claims["iat"].as_f64().expect("iat is a number");
    assert!((iat - now as f64).abs() <= 61.0, "{claims}");
});
