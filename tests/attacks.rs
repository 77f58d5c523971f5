//! Hostile tokens and hostile headers, over the real actix service: every attack is refused
//! with the `CONFORMANCE.md` row it belongs to — the status and the exact `WWW-Authenticate` —
//! never with a 5xx, never with a panic. One test per attack family.

use std::time::Duration;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{get, test, web, App, HttpResponse};
use auth_runtime::testing::{verify_bearer, TestIssuer};
use auth_runtime::{
    requires, Algorithm, Authenticator, ConfigError, Identity, InvalidReason, Key, Refusal,
    StaticApiKeys, StaticUsers,
};
use auth_tests::key_server::{jwk, KeyServer};
use auth_tests::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jsonwebtoken::Header;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// The application under test.

#[get("/items")]
#[requires(scope = "read")]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().body("items")
}

/// No attribute: `Identity` accepts every scheme the authenticator has.
async fn whoami(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or("?").to_owned())
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(list_items)
        .route("/whoami", web::get().to(whoami));
}

const INVALID_REQUEST: &str = r#"Bearer realm="test-realm", error="invalid_request""#;
const INVALID_TOKEN: &str = r#"Bearer realm="test-realm", error="invalid_token", error_description="The access token is invalid""#;
const EXPIRED: &str = r#"Bearer realm="test-realm", error="invalid_token", error_description="The access token expired""#;
const NOT_YET_VALID: &str = r#"Bearer realm="test-realm", error="invalid_token", error_description="The access token is not yet valid""#;
const BASIC: &str = r#"Basic realm="test-realm", charset="UTF-8""#;
const API_KEY: &str = r#"ApiKey realm="test-realm""#;

/// Public keys an attacker knows (the RSA one is [`rsa_public_pem`]).
const P256_PUBLIC: &str = include_str!("keys/TEST-ONLY-p256-public.pem");
const P384_PUBLIC: &str = include_str!("keys/TEST-ONLY-p384-public.pem");
const ED25519_PUBLIC: &str = include_str!("keys/TEST-ONLY-ed25519-public.pem");

/// One hostile request: what it is (for the failure message; never the credential, which may
/// be a megabyte long) and the credential the response must not echo.
struct Case {
    label: String,
    request: test::TestRequest,
    credential: String,
}

fn bearer_case(label: impl Into<String>, token: &str) -> Case {
    Case {
        label: label.into(),
        request: test::TestRequest::get()
            .uri("/items")
            .insert_header(bearer(token)),
        credential: token.to_owned(),
    }
}

fn header_case(label: impl Into<String>, name: &str, value: HeaderValue) -> Case {
    let credential = String::from_utf8_lossy(value.as_bytes()).into_owned();
    Case {
        label: label.into(),
        request: test::TestRequest::get()
            .uri("/whoami")
            .insert_header((name, value)),
        credential,
    }
}

fn basic_case(label: impl Into<String>, credentials: &[u8]) -> Case {
    let mut value = b"Basic ".to_vec();
    value.extend_from_slice(credentials);
    header_case(
        label,
        "Authorization",
        HeaderValue::from_bytes(&value).unwrap(),
    )
}

/// Sends every case to one app using `auth` and asserts the refusal: `status`, exactly the one
/// `challenge`, and the generic RFC 9457 body that does not echo the credential.
async fn assert_refused(
    auth: &Authenticator,
    cases: Vec<Case>,
    status: StatusCode,
    challenge: &str,
) {
    let app = test::init_service(App::new().configure(auth.configure()).configure(routes)).await;
    for case in cases {
        let label = case.label;
        let res: ServiceResponse = app.call(case.request.to_request()).await.unwrap();
        assert_eq!(res.status(), status, "{label}");
        let challenges: Vec<_> = res
            .headers()
            .get_all(header::WWW_AUTHENTICATE)
            .map(|value| value.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(challenges, [challenge], "{label}");
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json",
            "{label}"
        );
        let body = test::read_body(res).await;
        let problem: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["status"], status.as_u16(), "{label}");
        if case.credential.len() >= 8 {
            let text = String::from_utf8_lossy(&body);
            assert!(!text.contains(&case.credential), "{label}: body echoes it");
        }
    }
}

/// Every token refused with 401 `invalid_token` "The access token is invalid" (row 5).
async fn assert_invalid_tokens(auth: &Authenticator, tokens: Vec<(String, String)>) {
    let cases = tokens
        .into_iter()
        .map(|(label, token)| bearer_case(label, &token))
        .collect();
    assert_refused(auth, cases, StatusCode::UNAUTHORIZED, INVALID_TOKEN).await;
}

async fn assert_accepted(auth: &Authenticator, label: &str, request: test::TestRequest) {
    let app = test::init_service(App::new().configure(auth.configure()).configure(routes)).await;
    let res = app.call(request.to_request()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{label}");
}

fn get_items(token: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri("/items")
        .insert_header(bearer(token))
}

fn only(alg: Algorithm) -> Authenticator {
    Authenticator::builder()
        .realm(REALM)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .key(verification_key(alg))
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Hand-made tokens, for what a well-behaved issuer never produces.

/// A token from a raw JSON header and raw payload bytes, signed by `key`.
fn assemble(header_json: &str, payload: &[u8], key: &TestIssuer) -> String {
    key.sign_parts(header_json.as_bytes(), payload)
}

/// A genuine HS256 signature of the trusted key over whatever the header and payload say: only
/// their content can be at fault.
fn hs256(header_json: &str, payload: &[u8]) -> String {
    assemble(header_json, payload, &signer(Algorithm::HS256))
}

/// The header of a genuine HS256 token naming the trusted key.
fn hs256_header() -> String {
    json!({"alg": "HS256", "typ": "JWT", "kid": kid(Algorithm::HS256)}).to_string()
}

/// Valid claims (scope `read`) without the claims `without`, with the raw JSON `members`
/// appended (duplicate names, numbers serde_json would not write).
fn raw_claims(without: &[&str], members: &str) -> Vec<u8> {
    let mut claims = claims("read");
    for name in without {
        claims.as_object_mut().unwrap().remove(*name);
    }
    let json = claims.to_string();
    let open = json.strip_suffix('}').unwrap();
    match members {
        "" => format!("{open}}}"),
        members => format!("{open},{members}}}"),
    }
    .into_bytes()
}

fn valid_payload() -> Vec<u8> {
    raw_claims(&[], "")
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD.decode(body).unwrap()
}

fn segments(token: &str) -> (&str, &str, &str) {
    let mut parts = token.split('.');
    let mut next = || parts.next().unwrap();
    (next(), next(), next())
}

// ---------------------------------------------------------------------------------------------
// Algorithms and keys (row 5).

#[actix_rt::test]
async fn alg_none_in_any_casing_with_or_without_a_signature_is_invalid_token() {
    let payload = valid_payload();
    let mut tokens = Vec::new();
    for alg in [
        "none",
        "None",
        "NONE",
        "nOnE",
        "NoNe",
        "none ",
        "",
        "HS256\u{0}",
    ] {
        for kid in [None, Some(kid(Algorithm::HS256))] {
            let mut header = json!({"alg": alg, "typ": "JWT"});
            if let Some(kid) = &kid {
                header["kid"] = json!(kid);
            }
            let signed = hs256(&header.to_string(), &payload);
            let unsigned = format!("{}.", signed.rsplit_once('.').unwrap().0);
            let label = format!("alg {alg:?}, kid {kid:?}");
            tokens.push((format!("{label}, HS256-signed"), signed));
            tokens.push((format!("{label}, unsigned"), unsigned));
        }
    }
    for header in [r#"{"typ":"JWT"}"#, r#"{"alg":null}"#, r#"{"alg":["none"]}"#] {
        let signed = hs256(header, &payload);
        let unsigned = format!("{}.", signed.rsplit_once('.').unwrap().0);
        tokens.push((format!("{header}, HS256-signed"), signed));
        tokens.push((format!("{header}, unsigned"), unsigned));
    }
    assert_invalid_tokens(&authenticator(), tokens).await;
}

/// `Key::public_pem` takes the algorithm from the key's type and nothing else: each key verifies
/// one algorithm (RFC 8725 §3.1).
#[actix_rt::test]
async fn a_public_key_in_pem_is_bound_to_the_algorithm_of_its_type() {
    let rsa_pem = std::str::from_utf8(rsa_public_pem()).unwrap();
    for (pem, algorithm) in [
        (rsa_pem, Algorithm::RS256),
        (P256_PUBLIC, Algorithm::ES256),
        (P384_PUBLIC, Algorithm::ES384),
        (ED25519_PUBLIC, Algorithm::EdDSA),
    ] {
        assert_eq!(Key::public_pem(pem).unwrap().algorithm(), algorithm);
    }
    let garbage = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    assert!(Key::public_pem(garbage).is_err());
}

/// A key given for an algorithm of another family or curve is refused at start-up, saying so.
#[actix_rt::test]
async fn a_key_for_another_family_or_curve_is_refused_as_a_mismatch() {
    let rsa_pem = rsa_public_pem();
    let mismatch = |result: Result<Key, ConfigError>| match result {
        Err(ConfigError::AlgorithmMismatch { algorithm, key }) => (algorithm, key),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        mismatch(Key::rsa_pem(Algorithm::ES256, rsa_pem)),
        (Algorithm::ES256, "an RSA key")
    );
    assert_eq!(
        mismatch(Key::rsa_der(Algorithm::EdDSA, pem_to_der(P256_PUBLIC))),
        (Algorithm::EdDSA, "an RSA key")
    );
    assert_eq!(
        mismatch(Key::ec_pem(Algorithm::RS256, P256_PUBLIC)),
        (Algorithm::RS256, "an EC key")
    );
    assert_eq!(
        mismatch(Key::ec_pem(Algorithm::ES384, P256_PUBLIC)),
        (Algorithm::ES384, "a key on another curve")
    );
    assert_eq!(
        mismatch(Key::ec_pem(Algorithm::ES256, P384_PUBLIC)),
        (Algorithm::ES256, "a key on another curve")
    );
    assert_eq!(
        mismatch(Key::hmac(Algorithm::RS256, [7u8; 64])),
        (Algorithm::RS256, "an HMAC secret")
    );
}

#[actix_rt::test]
async fn hmac_signed_with_a_public_key_as_the_secret_is_invalid_token() {
    let rsa_pem = std::str::from_utf8(rsa_public_pem()).unwrap();
    let public_keys: [(&str, Vec<u8>, Algorithm); 7] = [
        ("RSA PEM", rsa_pem.as_bytes().to_vec(), Algorithm::RS256),
        (
            "RSA PEM, trimmed",
            rsa_pem.trim().as_bytes().to_vec(),
            Algorithm::RS256,
        ),
        ("RSA DER", pem_to_der(rsa_pem), Algorithm::RS256),
        (
            "P-256 PEM",
            P256_PUBLIC.as_bytes().to_vec(),
            Algorithm::ES256,
        ),
        ("P-256 DER", pem_to_der(P256_PUBLIC), Algorithm::ES256),
        (
            "P-384 PEM",
            P384_PUBLIC.as_bytes().to_vec(),
            Algorithm::ES384,
        ),
        ("Ed25519 DER", pem_to_der(ED25519_PUBLIC), Algorithm::EdDSA),
    ];
    let mut tokens = Vec::new();
    for (name, secret, public_alg) in &public_keys {
        for hmac in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let confused = TestIssuer::with_secret(hmac, secret);
            for kid in [None, Some(kid(*public_alg)), Some(kid(hmac))] {
                let mut header = Header::new(hmac);
                header.kid = kid.clone();
                tokens.push((
                    format!("{hmac:?} keyed with the {name}, kid {kid:?}"),
                    mint_with(&header, &claims("read"), &confused),
                ));
            }
        }
    }
    assert_invalid_tokens(&authenticator(), tokens.clone()).await;
    // An authenticator with no HMAC key at all.
    assert_invalid_tokens(&only(Algorithm::RS256), tokens).await;
}

#[actix_rt::test]
async fn another_algorithm_of_the_same_family_is_invalid_token() {
    let named = |alg: Algorithm, kid_of: Algorithm| {
        let mut header = Header::new(alg);
        header.kid = Some(kid(kid_of));
        (
            format!("{alg:?} naming the {kid_of:?} key"),
            mint_with(&header, &claims("read"), &signer(alg)),
        )
    };
    let unnamed = |alg: Algorithm| {
        (
            format!("{alg:?} without kid"),
            mint_with(&Header::new(alg), &claims("read"), &signer(alg)),
        )
    };
    // The RSA test key signs every RS* and PS* token: these signatures are genuine.
    let mut tokens: Vec<_> = [
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ]
    .into_iter()
    .map(|alg| named(alg, Algorithm::RS256))
    .collect();
    tokens.push(named(Algorithm::RS256, Algorithm::PS384));
    tokens.push(named(Algorithm::ES384, Algorithm::ES256));
    tokens.push(named(Algorithm::ES256, Algorithm::ES384));
    tokens.push(named(Algorithm::HS384, Algorithm::HS256));
    tokens.push(named(Algorithm::HS512, Algorithm::HS256));
    tokens.push(named(Algorithm::HS256, Algorithm::HS512));
    tokens.push(named(Algorithm::EdDSA, Algorithm::ES256));
    assert_invalid_tokens(&authenticator(), tokens).await;

    // Only HS256 configured: HS384 and HS512 with the very same secret.
    let tokens = vec![
        unnamed(Algorithm::HS384),
        unnamed(Algorithm::HS512),
        named(Algorithm::HS384, Algorithm::HS256),
        named(Algorithm::HS512, Algorithm::HS256),
    ];
    assert_invalid_tokens(&only(Algorithm::HS256), tokens).await;

    // Only RS256 configured: the other RSA algorithms with the very same key.
    let tokens = vec![
        unnamed(Algorithm::RS512),
        unnamed(Algorithm::PS256),
        named(Algorithm::RS384, Algorithm::RS256),
        named(Algorithm::PS512, Algorithm::RS256),
    ];
    assert_invalid_tokens(&only(Algorithm::RS256), tokens).await;
}

#[actix_rt::test]
async fn hostile_kid_values_are_invalid_token() {
    let junk: String = (0..10 * 1024)
        .map(|i| char::from(b' ' + (i * 7 % 95) as u8))
        .collect();
    let kids = [
        json!("../../../../../../dev/null"),
        json!("../../etc/passwd"),
        json!("/dev/null"),
        json!("file:///dev/null"),
        json!("' OR '1'='1"),
        json!("x' UNION SELECT 'attacker-secret' -- "),
        json!("test-hs256' --"),
        json!("test-hs256\u{0}"),
        json!("\u{0}"),
        json!("test-hs256\u{0}../../dev/null"),
        json!("ключ-🔑"),
        json!("test-hs256\u{202e}"),
        json!("TEST-HS256"),
        json!(" test-hs256"),
        json!(""),
        json!(junk),
        json!(1),
        json!(["test-hs256"]),
        json!({"kid": "test-hs256"}),
        json!(true),
        Value::Null,
    ];
    let payload = valid_payload();
    let secrets: [(&str, &[u8]); 3] = [
        ("the empty secret", b""),
        ("the attacker's secret", b"attacker-secret"),
        ("the trusted secret", HMAC_SECRET),
    ];
    let mut tokens = Vec::new();
    for kid in &kids {
        for (name, secret) in secrets {
            // Without a kid the trusted key of the algorithm is chosen: its own genuine
            // signature is no attack.
            if kid.is_null() && secret == HMAC_SECRET {
                continue;
            }
            let header = json!({"alg": "HS256", "kid": kid}).to_string();
            let label: String = format!("kid {kid}, signed with {name}")
                .chars()
                .take(120)
                .collect();
            let token = assemble(
                &header,
                &payload,
                &TestIssuer::with_secret(Algorithm::HS256, secret),
            );
            tokens.push((label, token));
        }
    }
    assert_invalid_tokens(&authenticator(), tokens.clone()).await;
    // Past the size limit: the 10 KB kid reaches the key lookup too.
    let roomy = builder().max_token_bytes(64 * 1024).build().unwrap();
    assert_invalid_tokens(&roomy, tokens).await;
}

#[actix_rt::test]
async fn key_urls_and_embedded_keys_in_the_header_are_never_used() {
    let attacker_key = untrusted_signer();
    let attacker_jwk = untrusted_signer().with_kid("attacker").jwk();
    let attacker = KeyServer::with_keys(vec![attacker_jwk.clone()]).await;
    let embedded = serde_json::to_value(attacker_jwk).unwrap();
    let x5u = format!("{}/cert.pem", attacker.url());
    let x5c = json!([STANDARD.encode(pem_to_der(std::str::from_utf8(rsa_public_pem()).unwrap()))]);
    let pointers = [
        json!({"jku": attacker.jwks_url()}),
        json!({"x5u": x5u}),
        json!({"jwk": embedded}),
        json!({"x5c": x5c}),
        json!({"jku": attacker.jwks_url(), "x5u": x5u, "jwk": embedded, "x5c": x5c}),
    ];
    let mut tokens = Vec::new();
    for pointer in &pointers {
        for kid in [
            None,
            Some("attacker".to_owned()),
            Some(kid(Algorithm::RS256)),
            Some("legit".to_owned()),
        ] {
            let mut header = pointer.clone();
            header["alg"] = json!("RS256");
            if let Some(kid) = &kid {
                header["kid"] = json!(kid);
            }
            let names: Vec<_> = pointer.as_object().unwrap().keys().cloned().collect();
            tokens.push((
                format!("{names:?}, kid {kid:?}"),
                assemble(&header.to_string(), &valid_payload(), &attacker_key),
            ));
        }
    }
    assert_invalid_tokens(&authenticator(), tokens.clone()).await;

    // With a remote key source too: an unknown kid makes it fetch its own JWKS, never the
    // token's.
    let legit = KeyServer::with_keys(vec![jwk(Algorithm::RS256, "legit")]).await;
    let remote = Authenticator::builder()
        .realm(REALM)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .jwks_url(legit.jwks_url())
        .allow_http()
        .build()
        .unwrap();
    assert_invalid_tokens(&remote, tokens).await;

    actix_rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(attacker.hits(), 0, "a URL from a token header was fetched");
    assert!(legit.hits() > 0, "the configured key source was used");
}

#[actix_rt::test]
async fn critical_header_extensions_are_invalid_token() {
    let kid = kid(Algorithm::HS256);
    let headers = [
        json!({"alg": "HS256", "kid": kid, "crit": ["exp"]}),
        json!({"alg": "HS256", "kid": kid, "crit": ["b64"], "b64": false}),
        json!({"alg": "HS256", "kid": kid, "crit": ["x-evil"], "x-evil": true}),
        json!({"alg": "HS256", "kid": kid, "crit": ["http://evil.test/must-understand"]}),
        json!({"alg": "HS256", "kid": kid, "crit": []}),
        json!({"alg": "HS256", "kid": kid, "crit": "x-evil"}),
        json!({"alg": "HS256", "kid": kid, "crit": [1]}),
    ];
    let tokens = headers
        .iter()
        .map(|header| {
            (
                header.to_string(),
                hs256(&header.to_string(), &valid_payload()),
            )
        })
        .collect();
    assert_invalid_tokens(&authenticator(), tokens).await;
}

// ---------------------------------------------------------------------------------------------
// The shape of the token (rows 3, 5).

#[actix_rt::test]
async fn stripped_truncated_or_extra_segments_are_invalid_token() {
    let valid = token("read");
    let other = token("read write");
    let (h, p, s) = segments(&valid);
    let (_, _, other_s) = segments(&other);
    let tokens = [
        ("stripped signature", format!("{h}.{p}.")),
        ("two segments", format!("{h}.{p}")),
        (
            "signature less its last character",
            format!("{h}.{p}.{}", &s[..s.len() - 1]),
        ),
        ("half a signature", format!("{h}.{p}.{}", &s[..s.len() / 2])),
        ("one character of signature", format!("{h}.{p}.{}", &s[..1])),
        ("signature and one more character", format!("{h}.{p}.{s}A")),
        ("signature doubled", format!("{h}.{p}.{s}{s}")),
        (
            "the signature of another token",
            format!("{h}.{p}.{other_s}"),
        ),
        ("a trailing dot", format!("{valid}.")),
        ("a fourth segment", format!("{valid}.{s}")),
        ("five segments", format!("{valid}.{h}.{p}")),
        ("no header", format!(".{p}.{s}")),
        ("no payload", format!("{h}..{s}")),
        ("only dots", "..".to_owned()),
        ("only more dots", "....".to_owned()),
    ];
    let tokens = tokens
        .into_iter()
        .map(|(label, token)| (label.to_owned(), token))
        .collect();
    assert_invalid_tokens(&authenticator(), tokens).await;
}

/// A valid token whose payload and signature both contain `-` or `_`.
fn token_with_url_safe_characters() -> String {
    (0..200)
        .map(|n| {
            mint(
                Algorithm::HS256,
                &claims_with("read", json!({"pad": "?>".repeat(n % 7), "n": n})),
            )
        })
        .find(|token| {
            let (_, p, s) = segments(token);
            p.contains(['-', '_']) && s.contains(['-', '_'])
        })
        .unwrap()
}

#[actix_rt::test]
async fn re_encoded_segments_are_refused() {
    let valid = token_with_url_safe_characters();
    assert_accepted(&authenticator(), "the original", get_items(&valid)).await;
    let (h, p, s) = segments(&valid);
    let standard = |segment: &str| segment.replace('-', "+").replace('_', "/");

    // Still a b64token (row 5): padding at the very end, the standard alphabet.
    let mut tokens = vec![
        ("a padded signature".to_owned(), format!("{valid}=")),
        ("a twice-padded signature".to_owned(), format!("{valid}==")),
        (
            "standard-alphabet payload".to_owned(),
            format!("{h}.{}.{s}", standard(p)),
        ),
        (
            "standard-alphabet signature".to_owned(),
            format!("{h}.{p}.{}", standard(s)),
        ),
        ("standard alphabet throughout".to_owned(), standard(&valid)),
    ];
    if h.contains(['-', '_']) {
        tokens.push((
            "standard-alphabet header".to_owned(),
            format!("{}.{p}.{s}", standard(h)),
        ));
    }
    assert_invalid_tokens(&authenticator(), tokens).await;

    // Not a b64token (row 3): padding inside, whitespace inside.
    let malformed = [
        ("a padded header", format!("{h}=.{p}.{s}")),
        ("a twice-padded payload", format!("{h}.{p}==.{s}")),
        ("a space inside", format!("{h}.{p} .{s}")),
        ("a space after a dot", format!("{h}. {p}.{s}")),
        ("a tab inside", format!("{h}.{p}\t.{s}")),
        ("a leading tab", format!("\t{valid}")),
        ("a trailing space", format!("{valid} ")),
        ("a trailing tab", format!("{valid}\t")),
        ("a no-break space inside", format!("{h}.{p}\u{a0}.{s}")),
    ];
    let cases = malformed
        .into_iter()
        .map(|(label, token)| bearer_case(label, &token))
        .collect();
    assert_refused(
        &authenticator(),
        cases,
        StatusCode::BAD_REQUEST,
        INVALID_REQUEST,
    )
    .await;
}

/// Row 3 wherever the stray character is. A new token is checked against the `b64token` syntax
/// only when it is refused (a token that verifies is of the syntax by construction), so every
/// refusal must be: a valid token with one character outside the syntax, or a byte that is not
/// ASCII, at any place in any part — before, after or instead of a dot — is `invalid_request`,
/// never `invalid_token`. The header is the one verified last (remembered), so the stray
/// characters after it reach the signature check.
#[actix_rt::test]
async fn a_stray_character_anywhere_in_a_valid_token_is_invalid_request() {
    let auth = authenticator();
    let valid = mint(Algorithm::HS256, &claims("read"));
    assert_accepted(&auth, "the original", get_items(&valid)).await;
    let strays: [&[u8]; 11] = [
        b"!",
        b"%",
        b"\"",
        b",",
        b"*",
        b"\\",
        b" ",
        b"\t",
        b"\x80",
        b"\xff",
        "\u{e9}".as_bytes(),
    ];
    let mut cases = Vec::new();
    for at in 0..=valid.len() {
        let (head, tail) = valid.as_bytes().split_at(at);
        // A leading space or tab only separates the token from the scheme.
        let strays = strays
            .iter()
            .filter(|stray| at > 0 || !matches!(**stray, b" " | b"\t"));
        // `=` is padding at the end, and a stray anywhere else.
        let padding: &[u8] = b"=";
        for stray in strays.chain((at < valid.len()).then_some(&padding)) {
            let token = [head, stray, tail].concat();
            let value = [b"Bearer ".as_slice(), &token].concat();
            cases.push(Case {
                label: format!("{:?} at {at}", String::from_utf8_lossy(stray)),
                request: test::TestRequest::get().uri("/items").insert_header((
                    header::AUTHORIZATION,
                    HeaderValue::from_bytes(&value).unwrap(),
                )),
                credential: String::from_utf8_lossy(&token).into_owned(),
            });
        }
    }
    assert_refused(&auth, cases, StatusCode::BAD_REQUEST, INVALID_REQUEST).await;
}

#[actix_rt::test]
async fn duplicate_header_names_are_invalid_token() {
    let kid = kid(Algorithm::HS256);
    let headers = [
        r#"{"alg":"HS256","alg":"none"}"#.to_owned(),
        r#"{"alg":"none","alg":"HS256"}"#.to_owned(),
        format!(r#"{{"alg":"HS256","kid":"{kid}","alg":"HS256"}}"#),
        format!(r#"{{"alg":"HS256","kid":"test-rs256","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"HS256","kid":"{kid}","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"HS256","kid":"{kid}","typ":"JWT","typ":"at+jwt"}}"#),
        format!(r#"{{"alg":"HS256","kid":"{kid}","crit":["x"],"crit":null}}"#),
    ];
    let tokens = headers
        .iter()
        .map(|header| (header.clone(), hs256(header, &valid_payload())))
        .collect();
    assert_invalid_tokens(&authenticator(), tokens).await;
}

#[actix_rt::test]
async fn duplicate_registered_claims_are_invalid_token() {
    let future = now() + 600;
    let cases = [
        (&["exp"][..], format!(r#""exp":1,"exp":{future}"#)),
        (&["exp"], format!(r#""exp":{future},"exp":1"#)),
        (&["exp"], format!(r#""exp":{future},"exp":{future}"#)),
        (&["nbf"], format!(r#""nbf":{future},"nbf":0"#)),
        (
            &["iss"],
            format!(r#""iss":"https://evil.test","iss":"{ISSUER}""#),
        ),
        (&["aud"], format!(r#""aud":"other-api","aud":"{AUDIENCE}""#)),
        (&["sub"], r#""sub":"alice","sub":"mallory""#.to_owned()),
    ];
    let tokens = cases
        .iter()
        .map(|(without, members)| {
            (
                members.clone(),
                hs256(&hs256_header(), &raw_claims(without, members)),
            )
        })
        .collect();
    assert_invalid_tokens(&authenticator(), tokens).await;
}

/// RFC 7519 §4 lets a parser either refuse duplicate claim names or keep the last one; the
/// last-wins reading makes this verifier disagree with any first-wins component in front of
/// it about what the token grants, so refusing is the safe choice.
#[actix_rt::test]

async fn duplicate_scope_claims_are_invalid_token() {
    let cases = [
        (&["scope"][..], r#""scope":"a","scope":"read""#),
        (&["scope"], r#""scope":"read","scope":"read""#),
        (&["scope"], r#""scp":"a","scp":"read""#),
        (&["scope"], r#""scp":["a"],"scp":["read"]"#),
        (&[], r#""roles":["user"],"roles":["admin"]"#),
    ];
    let tokens = cases
        .iter()
        .map(|(without, members)| {
            (
                members.to_string(),
                hs256(&hs256_header(), &raw_claims(without, members)),
            )
        })
        .collect();
    assert_invalid_tokens(&authenticator(), tokens).await;
}

// ---------------------------------------------------------------------------------------------
// NumericDate claims (rows 5, 6).

#[actix_rt::test]
async fn exp_and_nbf_of_the_wrong_type_or_out_of_range_are_refused() {
    let cases = [
        ("exp", r#""9999999999""#, INVALID_TOKEN),
        ("exp", r#""tomorrow""#, INVALID_TOKEN),
        ("exp", "1e300", INVALID_TOKEN),
        ("exp", "18446744073709551616", INVALID_TOKEN),
        ("exp", "1.8446744073709552e19", INVALID_TOKEN),
        ("exp", "-1", INVALID_TOKEN),
        ("exp", "-1e300", INVALID_TOKEN),
        ("exp", "true", INVALID_TOKEN),
        ("exp", "[9999999999]", INVALID_TOKEN),
        ("exp", r#"{"value":9999999999}"#, INVALID_TOKEN),
        ("exp", "0", EXPIRED),
        ("nbf", r#""0""#, INVALID_TOKEN),
        ("nbf", "1e300", INVALID_TOKEN),
        ("nbf", "18446744073709551616", INVALID_TOKEN),
        ("nbf", "-1", INVALID_TOKEN),
        ("nbf", "-1e300", INVALID_TOKEN),
        ("nbf", "18446744073709551615", NOT_YET_VALID),
    ];
    for (claim, value, challenge) in cases {
        let token = hs256(
            &hs256_header(),
            &raw_claims(&[claim], &format!(r#""{claim}":{value}"#)),
        );
        // Twice: the second request may be answered from a cache.
        let cases = (0..2)
            .map(|n| bearer_case(format!("{claim}: {value} (#{n})"), &token))
            .collect();
        assert_refused(&authenticator(), cases, StatusCode::UNAUTHORIZED, challenge).await;
    }
}

/// `iat` must be a NumericDate (RFC 7519 §4.1.6); a token whose `iat` is not one is not a
/// well-formed JWT.
#[actix_rt::test]

async fn iat_of_the_wrong_type_or_out_of_range_is_invalid_token() {
    let tokens = [
        r#""yesterday""#,
        r#""1700000000""#,
        "1e300",
        "18446744073709551616",
        "-1",
        "true",
    ]
    .into_iter()
    .map(|value| {
        (
            format!("iat: {value}"),
            hs256(
                &hs256_header(),
                &raw_claims(&["iat"], &format!(r#""iat":{value}"#)),
            ),
        )
    })
    .collect();
    assert_invalid_tokens(&authenticator(), tokens).await;
}

#[actix_rt::test]
async fn extreme_but_valid_numeric_dates_work_and_survive_a_second_request() {
    // A signer may issue a token that never expires: u64::MAX is a representable NumericDate.
    // The second request of each may be answered from a cache, whose arithmetic must not
    // overflow.
    for exp in ["18446744073709551615", "1e19", "9999999999.999"] {
        let token = hs256(
            &hs256_header(),
            &raw_claims(&["exp"], &format!(r#""exp":{exp}"#)),
        );
        for n in 0..2 {
            assert_accepted(
                &authenticator(),
                &format!("exp {exp} (#{n})"),
                get_items(&token),
            )
            .await;
        }
    }
}

#[actix_rt::test]
async fn fractional_numeric_dates_keep_working() {
    let now = now() as f64;
    let claims = claims_with(
        "read",
        json!({"exp": now + 600.5, "nbf": now - 10.25, "iat": now - 0.5}),
    );
    for alg in [Algorithm::HS256, Algorithm::ES256, Algorithm::EdDSA] {
        assert_accepted(
            &authenticator(),
            &format!("{alg:?}"),
            get_items(&mint(alg, &claims)),
        )
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile JSON (row 5).

#[actix_rt::test]
async fn a_payload_that_is_not_a_json_object_is_invalid_token() {
    let future = now() + 600;
    let payloads: [(&str, Vec<u8>); 13] = [
        ("an empty array", b"[]".to_vec()),
        ("an array of exp", format!("[{future}]").into_bytes()),
        (
            "an array in the field order of the validator",
            format!(r#"[{future},0,"user-42","{ISSUER}","{AUDIENCE}"]"#).into_bytes(),
        ),
        ("a string", br#""read""#.to_vec()),
        ("a number", b"42".to_vec()),
        ("null", b"null".to_vec()),
        ("true", b"true".to_vec()),
        ("nothing", Vec::new()),
        ("a truncated object", b"{\"exp\":".to_vec()),
        (
            "trailing garbage",
            [valid_payload(), b"garbage".to_vec()].concat(),
        ),
        ("two objects", [valid_payload(), valid_payload()].concat()),
        (
            "a byte-order mark",
            [b"\xef\xbb\xbf".to_vec(), valid_payload()].concat(),
        ),
        (
            "not UTF-8",
            [
                b"{\"x\":\"\xff\xfe\",".to_vec(),
                valid_payload()[1..].to_vec(),
            ]
            .concat(),
        ),
    ];
    let tokens = payloads
        .iter()
        .map(|(label, payload)| (label.to_string(), hs256(&hs256_header(), payload)))
        .collect();
    assert_invalid_tokens(&authenticator(), tokens).await;
}

#[actix_rt::test]
async fn deeply_nested_json_is_refused_without_exhausting_the_stack() {
    let depth = 10_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    let header = |member: &str| {
        format!(
            r#"{{"alg":"HS256","kid":"{}","x":{member}}}"#,
            kid(Algorithm::HS256)
        )
    };
    let tokens = vec![
        (
            "nested arrays in a claim".to_owned(),
            hs256(
                &hs256_header(),
                &raw_claims(&[], &format!(r#""x":{arrays}"#)),
            ),
        ),
        (
            "nested objects in a claim".to_owned(),
            hs256(
                &hs256_header(),
                &raw_claims(&[], &format!(r#""x":{objects}"#)),
            ),
        ),
        (
            "nested arrays as exp".to_owned(),
            hs256(
                &hs256_header(),
                &raw_claims(&["exp"], &format!(r#""exp":{arrays}"#)),
            ),
        ),
        (
            "nested arrays as the scope".to_owned(),
            hs256(
                &hs256_header(),
                &raw_claims(&["scope"], &format!(r#""scope":{arrays}"#)),
            ),
        ),
        (
            "nested arrays as the payload".to_owned(),
            hs256(&hs256_header(), arrays.as_bytes()),
        ),
        (
            "nested arrays in the header".to_owned(),
            hs256(&header(&arrays), &valid_payload()),
        ),
        (
            "nested objects in the header".to_owned(),
            hs256(&header(&objects), &valid_payload()),
        ),
    ];
    // Refused by size first, then, with room enough, by the JSON parser.
    assert_invalid_tokens(&authenticator(), tokens.clone()).await;
    let roomy = builder().max_token_bytes(1 << 20).build().unwrap();
    assert_invalid_tokens(&roomy, tokens).await;
}

#[actix_rt::test]
async fn a_one_megabyte_token_is_refused_before_decoding() {
    let megabyte = 1 << 20;
    let junk = format!(
        "{}.{}.{}",
        "A".repeat(megabyte),
        "A".repeat(16),
        "A".repeat(16)
    );
    let signed = mint(
        Algorithm::HS256,
        &claims_with("read", json!({"pad": "x".repeat(megabyte)})),
    );
    let auth = authenticator();
    for token in [&junk, &signed] {
        assert_eq!(
            verify_bearer(&auth, token).unwrap_err(),
            Refusal::Invalid(InvalidReason::TooLarge)
        );
    }
    let tokens = vec![
        ("1 MB of junk".to_owned(), junk),
        ("a signed 1 MB token".to_owned(), signed),
        ("1 MB without dots".to_owned(), "A".repeat(megabyte)),
    ];
    assert_invalid_tokens(&auth, tokens).await;

    // The limit is configurable and exact.
    let valid = token("read");
    let exact = builder().max_token_bytes(valid.len()).build().unwrap();
    assert!(verify_bearer(&exact, &valid).is_ok());
    let short = builder().max_token_bytes(valid.len() - 1).build().unwrap();
    assert_eq!(
        verify_bearer(&short, &valid).unwrap_err(),
        Refusal::Invalid(InvalidReason::TooLarge)
    );
}

// ---------------------------------------------------------------------------------------------
// Tokens meant for something else (row 5).

#[actix_rt::test]
async fn an_id_token_where_an_access_token_is_required_is_invalid_token() {
    let auth = builder().require_access_token_type().build().unwrap();
    let typed = |typ: Option<Value>| {
        let mut header = json!({"alg": "RS256", "kid": kid(Algorithm::RS256)});
        if let Some(typ) = typ {
            header["typ"] = typ;
        }
        assemble(
            &header.to_string(),
            &valid_payload(),
            &signer(Algorithm::RS256),
        )
    };
    assert_accepted(&auth, "at+jwt", get_items(&typed(Some(json!("at+jwt"))))).await;
    let typs = [
        None,
        Some(json!("JWT")),
        Some(json!("id_token")),
        Some(json!("application/jwt")),
        Some(json!("at+jwt ")),
        Some(json!("xat+jwt")),
        Some(json!("at+jwtx")),
        Some(json!("at+jwt\u{0}")),
        Some(json!("application/application/at+jwt")),
        Some(json!("")),
        Some(json!(["at+jwt"])),
        Some(Value::Null),
    ];
    let tokens = typs
        .into_iter()
        .map(|typ| (format!("typ {typ:?}"), typed(typ)))
        .collect();
    assert_invalid_tokens(&auth, tokens).await;
}

#[actix_rt::test]
async fn a_token_for_another_audience_is_invalid_token() {
    let audiences = [
        json!("other-api"),
        json!(["other-api"]),
        json!(["other-api", "another-api"]),
        json!([]),
        json!(""),
        json!("TEST-API"),
        json!("test-api "),
        json!(" test-api"),
        json!("test-api\u{0}"),
        json!("test-api,other-api"),
        json!([["test-api"]]),
        json!({"test-api": true}),
        json!(42),
        Value::Null,
    ];
    let tokens = audiences
        .into_iter()
        .map(|aud| {
            (
                format!("aud {aud}"),
                mint(
                    Algorithm::ES256,
                    &claims_with("read", json!({ "aud": aud })),
                ),
            )
        })
        .collect();
    assert_invalid_tokens(&authenticator(), tokens).await;
}

// ---------------------------------------------------------------------------------------------
// Basic and API keys (rows 10, 11).

fn basic_and_api_keys() -> Authenticator {
    Authenticator::builder()
        .realm(REALM)
        .basic(StaticUsers::new().user("alice", "pw", ["s"]).unwrap())
        .api_keys(StaticApiKeys::new().key("k-123", "bot", ["s"]).unwrap())
        .build()
        .unwrap()
}

#[actix_rt::test]
async fn hostile_basic_credentials_get_the_one_basic_challenge() {
    let auth = basic_and_api_keys();
    let encode = |text: &[u8]| STANDARD.encode(text).into_bytes();
    let ok = test::TestRequest::get()
        .uri("/whoami")
        .insert_header(("Authorization", "Basic YWxpY2U6cHc="));
    assert_accepted(&auth, "alice:pw", ok).await;

    let cases = vec![
        // Not base64 (RFC 4648 §4, padded).
        basic_case("punctuation", b"!!!!"),
        basic_case("unpadded", b"YWxpY2U6cHc"),
        basic_case("over-padded", b"YWxpY2U6cHc=="),
        basic_case("padding first", b"=YWxpY2U6cHc"),
        basic_case("a space inside", b"YWxp Y2U6cHc="),
        basic_case("a tab inside", b"YWxp\tY2U6cHc="),
        basic_case(
            "the URL-safe alphabet",
            &encode(b"alice:pw\xfb\xff")
                .iter()
                .map(|&b| match b {
                    b'+' => b'-',
                    b'/' => b'_',
                    b => b,
                })
                .collect::<Vec<_>>(),
        ),
        basic_case("a trailing dot", b"YWxpY2U6cHc=."),
        basic_case("empty", b""),
        basic_case("oversized", &[b'A'; 5000]),
        // No colon.
        basic_case("no colon", &encode(b"alicepw")),
        basic_case("a user-id alone", &encode(b"alice")),
        // NUL and other control characters.
        basic_case("NUL in the user-id", &encode(b"alice\0:pw")),
        basic_case("NUL in the password", &encode(b"alice:pw\0")),
        basic_case("a lone NUL", &encode(b"\0")),
        basic_case("NUL before the colon", &encode(b"\0:")),
        basic_case("a newline", &encode(b"alice:pw\n")),
        // Not UTF-8.
        basic_case("invalid UTF-8 password", &encode(b"alice:\xff\xfe")),
        basic_case("invalid UTF-8 user-id", &encode(b"\xc3(:pw")),
        basic_case("an overlong encoding", &encode(b"alice:\xc0\xaf")),
        basic_case("UTF-16", &encode(b"a\0l\0i\0c\0e\0:\0p\0w\0")),
        basic_case("raw non-ASCII bytes", b"\xff\xfe\xfd"),
        // Well-formed but wrong.
        basic_case("wrong password", &encode(b"alice:pW")),
        basic_case("unknown user", &encode(b"mallory:pw")),
        basic_case("user-id in another case", &encode(b"Alice:pw")),
        basic_case("password with a trailing space", &encode(b"alice:pw ")),
        basic_case("empty password", &encode(b"alice:")),
        basic_case("empty user-id", &encode(b":pw")),
    ];
    assert_refused(&auth, cases, StatusCode::UNAUTHORIZED, BASIC).await;
}

#[actix_rt::test]
async fn an_api_key_differing_only_in_its_last_byte_is_refused() {
    let auth = basic_and_api_keys();
    let ok = test::TestRequest::get()
        .uri("/whoami")
        .insert_header(("X-API-Key", "k-123"));
    assert_accepted(&auth, "k-123", ok).await;

    let key = |label: String, value: &[u8]| {
        header_case(label, "X-API-Key", HeaderValue::from_bytes(value).unwrap())
    };
    let mut cases: Vec<Case> = (b' '..=b'~')
        .chain([0x80, 0xb3, 0xff])
        .filter(|&last| last != b'3')
        .map(|last| {
            key(
                format!("last byte {last:#04x}"),
                &[b'k', b'-', b'1', b'2', last],
            )
        })
        .collect();
    cases.extend([
        key("one byte short".to_owned(), b"k-12"),
        key("one byte more".to_owned(), b"k-1234"),
        key("another case".to_owned(), b"K-123"),
        key("a trailing tab".to_owned(), b"k-123\t"),
        key("empty".to_owned(), b""),
        header_case(
            "in Authorization",
            "Authorization",
            HeaderValue::from_static("ApiKey k-124"),
        ),
        Case {
            label: "sent twice".to_owned(),
            request: test::TestRequest::get()
                .uri("/whoami")
                .append_header(("X-API-Key", "k-123"))
                .append_header(("X-API-Key", "k-123")),
            credential: String::new(),
        },
        Case {
            label: "sent two ways".to_owned(),
            request: test::TestRequest::get()
                .uri("/whoami")
                .insert_header(("X-API-Key", "k-123"))
                .insert_header(("Authorization", "ApiKey k-123")),
            credential: String::new(),
        },
    ]);
    assert_refused(&auth, cases, StatusCode::UNAUTHORIZED, API_KEY).await;
}

// ---------------------------------------------------------------------------------------------
// Authentication done earlier in the request never stands in for a route's own requirement.

#[get("/admin")]
#[requires(scope = "admin", role = "operator")]
async fn admin_only(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or("?").to_owned())
}

#[actix_rt::test]
async fn an_identity_extracted_by_a_middleware_does_not_skip_the_routes_scope_and_role_checks() {
    use actix_web::dev::{Service as _, ServiceRequest};
    use actix_web::FromRequest;
    use auth_runtime::Optional;

    let auth = authenticator();
    let app = test::init_service(
        App::new()
            .configure(auth.configure())
            .service(admin_only)
            // A logging middleware that looks at the caller before the route runs, as
            // applications do: it authenticates with the plain `Identity` rules (no scope).
            .wrap_fn(|req: ServiceRequest, srv| {
                let caller = Optional::<Identity>::extract(req.request());
                let response = srv.call(req);
                async move {
                    let _ = caller.await;
                    response.await
                }
            }),
    )
    .await;
    let call = |claims: Value| {
        let token = mint(Algorithm::HS256, &claims);
        let app = &app;
        async move {
            let request = test::TestRequest::get()
                .uri("/admin")
                .insert_header(("Authorization", format!("Bearer {token}")));
            app.call(request.to_request()).await.unwrap().status()
        }
    };
    let operator = json!({"roles": ["operator"]});
    assert_eq!(call(claims("read")).await, StatusCode::FORBIDDEN);
    assert_eq!(
        call(claims_with("read", operator.clone())).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(call(claims("admin")).await, StatusCode::FORBIDDEN);
    assert_eq!(call(claims_with("admin", operator)).await, StatusCode::OK);
}
