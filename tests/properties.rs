//! Properties of the code that reads hostile input, checked by proptest on generated input:
//! the `WWW-Authenticate` builder's output parses back under RFC 9110 §11 without control
//! characters, the `Authorization` parser and the Basic decoder never panic and keep what they
//! must, and no arbitrary string or one-byte mutation of a valid token verifies (each is refused
//! as `invalid_request` exactly when it is outside the `b64token` syntax). The `fuzz/`
//! targets check the same properties for longer (`scripts/fuzz.sh`).

use std::sync::OnceLock;

use actix_web::http::header::HeaderValue;
use auth_runtime::testing::internals::{
    check_challenge_value, claims_json_reads_as_serde_json, decode_basic, Authorization, Malformed,
};
use auth_runtime::testing::verify_bearer;
use auth_runtime::{Algorithm, Authenticator, Challenge, Refusal};
use auth_tests::*;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::json;

#[path = "../fuzz/src/rfc9110.rs"]
mod rfc9110;

use rfc9110::{parse_challenge, without_control_characters, ParsedChallenge};

/// The default 256 cases; a failing case is reported, not written into the source tree.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text that is mostly hostile: controls (C0, DEL, C1), quotes, backslashes, the Unicode line
/// separators, and any other character. HTAB is left out: see
/// [`a_tab_never_reaches_a_challenge`].
fn hostile_text() -> impl Strategy<Value = String> {
    let character = prop_oneof![
        any::<char>(),
        (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
        (0x7fu32..0xa0).prop_map(|c| char::from_u32(c).unwrap()),
        prop::sample::select(vec!['"', '\\', ' ', ',', '=', '\u{2028}', '\u{2029}']),
        prop::char::range('a', 'z'),
    ];
    prop::collection::vec(character, 0..24)
        .prop_map(|chars| chars.into_iter().filter(|&c| c != '\t').collect())
}

// ---------------------------------------------------------------------------------------------
// The challenge builder.

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_challenge_parses_back_without_control_characters(
        scheme in "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}",
        realm in hostile_text(),
        params in prop::collection::vec(("[A-Za-z][A-Za-z0-9_-]{0,11}", hostile_text()), 0..5),
    ) {
        let mut challenge = Challenge::new(&scheme, &realm);
        let mut expected = vec![("realm".to_owned(), without_control_characters(&realm))];
        for (name, value) in &params {
            let name = name.to_ascii_lowercase();
            // Each name once (RFC 6750 §3), `realm` first and only there.
            if expected.iter().any(|(given, _)| *given == name) {
                continue;
            }
            challenge = challenge.param(&name, value);
            expected.push((name, without_control_characters(value)));
        }
        let text = challenge.as_str();
        prop_assert!(!text.chars().any(char::is_control), "{text:?}");
        prop_assert!(HeaderValue::from_str(text).is_ok(), "{text:?}");
        let header = challenge.to_header_value();
        prop_assert_eq!(header.as_bytes(), text.as_bytes());
        let parsed = parse_challenge(text.as_bytes()).map_err(TestCaseError::fail)?;
        prop_assert_eq!(parsed, ParsedChallenge { scheme, params: expected });
    }

    #[test]
    fn a_challenge_keeps_only_the_token_characters_of_its_scheme(
        scheme in hostile_text(),
        realm in hostile_text(),
    ) {
        let kept: String = scheme.chars().filter(|c| c.is_ascii() && rfc9110::is_tchar(*c as u8)).collect();
        prop_assume!(!kept.is_empty());
        let challenge = Challenge::new(&scheme, &realm);
        let parsed = parse_challenge(challenge.as_str().as_bytes()).map_err(TestCaseError::fail)?;
        prop_assert_eq!(parsed.scheme, kept);
    }
}

#[test]

fn a_tab_never_reaches_a_challenge() {
    // CONFORMANCE: "no CR, LF or other control characters can ever reach a header:
    // configuration that would put them there is refused at startup". HTAB is one (RFC 9110
    // would allow it inside a quoted-string; the contract does not).
    let challenge = Challenge::new("Bearer", "a\tb").param("error_description", "c\td");
    assert_eq!(
        challenge.as_str(),
        r#"Bearer realm="ab", error_description="cd""#
    );
    assert!(check_challenge_value("a\tb").is_err());
    assert!(builder().realm("tab\there").build().is_err());
}

#[test]

fn a_value_that_looks_like_a_parameter_is_not_a_second_parameter() {
    // Reached from configuration: `.realm("maintenance error=")` makes every invalid_token
    // response of a debug build panic.
    let challenge = Challenge::new("Bearer", "maintenance error=").param("error", "invalid_token");
    assert_eq!(
        challenge.as_str(),
        r#"Bearer realm="maintenance error=", error="invalid_token""#
    );
}

// ---------------------------------------------------------------------------------------------
// The Authorization parser.

/// RFC 6750 §2.1 `b64token`.
const B64TOKEN: &str = "[A-Za-z0-9._~+/-]{1,48}={0,3}";

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_authorization_parser_never_panics(
        value in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            prop::collection::vec(any::<u8>(), 0..64)
                .prop_map(|tail| [b"Bearer ".to_vec(), tail].concat()),
        ],
    ) {
        if let Ok(parsed) = Authorization::parse(&value) {
            prop_assert!(!parsed.scheme().is_empty());
            prop_assert!(!parsed.credentials().starts_with(b" "));
            if let Ok(token) = parsed.bearer_token() {
                prop_assert!(!token.is_empty());
                prop_assert!(token.bytes().all(|b| b.is_ascii_graphic()));
            }
        }
    }

    #[test]
    fn a_b64token_after_bearer_is_the_token(
        scheme in "[bB][eE][aA][rR][eE][rR]",
        spaces in 1usize..4,
        token in B64TOKEN,
    ) {
        let value = format!("{scheme}{}{token}", " ".repeat(spaces));
        let parsed = Authorization::parse(value.as_bytes()).unwrap();
        prop_assert!(parsed.is_scheme("Bearer"));
        prop_assert_eq!(parsed.bearer_token(), Ok(token.as_str()));
    }

    #[test]
    fn whitespace_inside_the_token_is_malformed(
        head in B64TOKEN,
        whitespace in "[ \t]{1,3}",
        tail in B64TOKEN,
    ) {
        let value = format!("Bearer {head}{whitespace}{tail}");
        let parsed = Authorization::parse(value.as_bytes()).unwrap();
        prop_assert_eq!(parsed.bearer_token(), Err(Malformed::Token));
    }

    #[test]
    fn a_byte_outside_b64token_inside_the_token_is_malformed(
        head in "[A-Za-z0-9._~+/-]{1,24}",
        foreign in any::<u8>().prop_filter("outside b64token", |b| {
            !(b.is_ascii_alphanumeric() || b"-._~+/=".contains(b))
        }),
        tail in B64TOKEN,
    ) {
        let value = [format!("Bearer {head}").as_bytes(), &[foreign], tail.as_bytes()].concat();
        let parsed = Authorization::parse(&value).unwrap();
        prop_assert_eq!(parsed.bearer_token(), Err(Malformed::Token));
    }
}

// ---------------------------------------------------------------------------------------------
// The Basic decoder.

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_basic_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        let _ = decode_basic(&bytes);
    }

    #[test]
    fn decoded_basic_credentials_are_clean(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        if let Ok(credentials) = decode_basic(STANDARD.encode(&bytes).as_bytes()) {
            prop_assert!(!credentials.user_id().contains(':'));
            prop_assert!(!credentials.user_id().chars().any(char::is_control));
            prop_assert!(!credentials.password().chars().any(char::is_control));
        }
    }

    #[test]
    fn basic_credentials_round_trip(user in "[^:\\p{Cc}]{0,24}", password in "[^\\p{Cc}]{0,48}") {
        let encoded = STANDARD.encode(format!("{user}:{password}"));
        let credentials = decode_basic(encoded.as_bytes()).unwrap();
        prop_assert_eq!(credentials.user_id(), user.as_str());
        prop_assert_eq!(credentials.password(), password.as_str());
    }
}

// ---------------------------------------------------------------------------------------------
// The claims reader.

/// JSON-like text: mostly the characters JSON gives meaning to, so that much of it is JSON and
/// the rest is nearly JSON; any other character now and then.
fn json_like_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(vec![
            "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud83d", "\\ude00", "\\n", "0",
            "-", "1", "9", ".", "e", "E", "+", "true", "false", "null", " ", "\t", "\n", "\r",
            "\"scope\"", "\"sc\\u006fpe\"", "\"a\"", "é", "\u{1}", "\u{c}", "18446744073709551616",
        ]).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_claims_reader_reads_json_like_text_as_serde_json_does(text in json_like_text()) {
        claims_json_reads_as_serde_json(text.as_bytes()).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn the_claims_reader_reads_any_bytes_as_serde_json_does(
        bytes in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        claims_json_reads_as_serde_json(&bytes).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn the_claims_reader_reads_any_json_value_as_serde_json_does(
        value in json_value(),
        pretty in any::<bool>(),
    ) {
        let text = if pretty {
            serde_json::to_string_pretty(&value)
        } else {
            serde_json::to_string(&value)
        };
        claims_json_reads_as_serde_json(text.unwrap().as_bytes()).map_err(TestCaseError::fail)?;
    }
}

/// Any JSON value: numbers of every kind, strings of any characters, nested arrays and objects.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

// ---------------------------------------------------------------------------------------------
// Token verification.

fn shared_authenticator() -> &'static Authenticator {
    static AUTH: OnceLock<Authenticator> = OnceLock::new();
    AUTH.get_or_init(authenticator)
}

/// One valid token per algorithm family (and both RSA paddings), minted once.
fn valid_tokens() -> &'static [String] {
    static TOKENS: OnceLock<Vec<String>> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let claims = claims_with("read", json!({"exp": now() + 3600}));
        [
            Algorithm::HS256,
            Algorithm::HS512,
            Algorithm::RS256,
            Algorithm::PS256,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ]
        .into_iter()
        .map(|alg| mint(alg, &claims))
        .collect()
    })
}

/// A replacement for one byte: another base64url character, or any byte at all.
fn replacement() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.".to_vec()
        ),
        any::<u8>(),
    ]
}

/// Refuses `token` and checks the refusal's kind: `invalid_request` (CONFORMANCE row 3) exactly
/// when the `Authorization` parser finds the token outside the `b64token` syntax, whatever else
/// is wrong with it. (A new token is checked against the syntax only once it is refused.) A
/// token that cannot be a header value at all is only refused.
fn refused_by_its_syntax_first(token: &str) -> Result<(), TestCaseError> {
    let refusal = verify_bearer(shared_authenticator(), token);
    prop_assert!(refusal.is_err(), "verified: {token:?}");
    let syntax = HeaderValue::from_str(&format!("Bearer {token}"))
        .ok()
        .and_then(|value| {
            Authorization::parse(value.as_bytes())
                .ok()
                .map(|parsed| parsed.bearer_token().is_ok())
        });
    if let Some(b64token) = syntax {
        prop_assert_eq!(
            matches!(refusal, Err(Refusal::Malformed(_))),
            !b64token,
            "{:?} for {:?}",
            refusal,
            token
        );
    }
    Ok(())
}

#[test]
fn the_tokens_to_mutate_verify() {
    for token in valid_tokens() {
        assert!(
            verify_bearer(shared_authenticator(), token).is_ok(),
            "{token}"
        );
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text_never_verifies(text in prop_oneof![
        any::<String>(),
        hostile_text(),
        "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,90}",
    ]) {
        refused_by_its_syntax_first(&text)?;
    }

    #[test]
    fn a_genuine_header_over_any_payload_never_verifies(
        which in any::<Index>(),
        payload in prop::collection::vec(any::<u8>(), 0..160),
        signature in "[A-Za-z0-9_-]{0,90}",
    ) {
        let tokens = valid_tokens();
        let header = tokens[which.index(tokens.len())].split('.').next().unwrap();
        let token = format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(&payload));
        refused_by_its_syntax_first(&token)?;
    }

    #[test]
    fn no_one_byte_change_of_a_valid_token_verifies(
        which in any::<Index>(),
        at in any::<Index>(),
        flip in prop_oneof![(0u8..8).prop_map(|bit| Err(1u8 << bit)), replacement().prop_map(Ok)],
    ) {
        let tokens = valid_tokens();
        let token = &tokens[which.index(tokens.len())];
        let mut bytes = token.as_bytes().to_vec();
        let at = at.index(bytes.len());
        bytes[at] = match flip {
            Err(mask) => bytes[at] ^ mask,
            Ok(byte) => byte,
        };
        prop_assume!(bytes != token.as_bytes());
        let mutated = String::from_utf8_lossy(&bytes);
        refused_by_its_syntax_first(&mutated)?;
    }
}

// ---------------------------------------------------------------------------------------------
// The seed corpus of the fuzz targets, made from the inputs above and in `attacks.rs`.

/// Rewrites `fuzz/corpus/<target>/`. Run it when the inputs worth seeding change:
/// `cargo test -p auth-tests --test properties -- --ignored regenerate_fuzz_seed_corpus`.
#[test]
#[ignore = "writes fuzz/corpus/: run by hand when the seeds should change"]
fn regenerate_fuzz_seed_corpus() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let write = |target: &str, seeds: Vec<Vec<u8>>| {
        let dir = root.join(target);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        for (n, seed) in seeds.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{n:02}")), seed).unwrap();
        }
    };
    let b64 = |bytes: &[u8]| STANDARD.encode(bytes).into_bytes();

    // Far-future tokens for the fuzz authenticator (HS256 and RS256 test keys, same issuer and
    // audience), so that mutations start from tokens that verify.
    let claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-42", "scope": "read",
        "iat": 1_767_225_600, "exp": 4_102_444_800_u64,
    });
    let hs256 = mint(Algorithm::HS256, &claims);
    let rs256 = mint(Algorithm::RS256, &claims);
    let (h, p, s) = {
        let mut parts = hs256.split('.');
        (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        )
    };
    let raw = |header: &str, payload: &str| {
        format!(
            "{}.{}.{s}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        )
    };
    let tokens = vec![
        hs256.clone(),
        rs256.clone(),
        mint(
            Algorithm::HS256,
            &json!({"exp": 4_102_444_800_u64, "nbf": 1.5, "aud": AUDIENCE, "iss": ISSUER}),
        ),
        format!("{h}.{p}."),
        format!("{h}.{p}"),
        format!("{hs256}.{s}"),
        format!("{hs256}=="),
        hs256.replace('-', "+").replace('_', "/"),
        raw(r#"{"alg":"none"}"#, r#"{"exp":4102444800}"#),
        raw(r#"{"alg":"HS256","alg":"none"}"#, r#"{"exp":4102444800}"#),
        raw(
            r#"{"alg":"HS256","kid":"test-hs256","crit":["exp"]}"#,
            r#"{"exp":4102444800}"#,
        ),
        raw(
            r#"{"alg":"HS256","kid":"../../../../dev/null"}"#,
            r#"{"exp":4102444800}"#,
        ),
        raw(
            r#"{"alg":"RS256","jku":"http://127.0.0.1:1/jwks.json"}"#,
            r#"{"exp":4102444800}"#,
        ),
        raw(
            r#"{"alg":"HS256","kid":"test-hs256"}"#,
            r#"[4102444800,0,"user-42"]"#,
        ),
        raw(
            r#"{"alg":"HS256","kid":"test-hs256"}"#,
            r#"{"exp":1e300,"exp":1}"#,
        ),
        raw(
            r#"{"alg":"HS256","kid":"test-hs256"}"#,
            &format!(r#"{{"x":{}{}}}"#, "[".repeat(200), "]".repeat(200)),
        ),
        "a.b.c".to_owned(),
        "..".to_owned(),
        String::new(),
    ];
    write(
        "jwt_verify",
        tokens.iter().map(|t| t.clone().into_bytes()).collect(),
    );

    let headers: Vec<Vec<u8>> = vec![
        format!("Bearer {hs256}").into_bytes(),
        format!("bearer   {rs256}").into_bytes(),
        b"BEARER aZ09-._~+/==".to_vec(),
        b"Bearer".to_vec(),
        b"Bearer ".to_vec(),
        b"Bearer a b".to_vec(),
        b"Bearer ===".to_vec(),
        b"Bearer a=b".to_vec(),
        b"Bearer abc\xe9def".to_vec(),
        b"Bearer \tabc".to_vec(),
        b"\"Bearer\" abc".to_vec(),
        b" Bearer abc".to_vec(),
        b"Basic YWxpY2U6cHc=".to_vec(),
        b"ApiKey k-123".to_vec(),
        b"Digest username=\"u\", realm=\"r\"".to_vec(),
        Vec::new(),
    ];
    write("authorization_header", headers);

    let basics = vec![
        b64(b"alice:pw"),
        b64(b"alice:pa:ss:"),
        b64(":".as_bytes()),
        b64("jöse:pässwörd".as_bytes()),
        b64(b"alicepw"),
        b64(b"al\0ice:pw"),
        b64(b"alice:p\nw"),
        b64(b"alice:\xff\xfe"),
        b64(b"alice:\xc0\xaf"),
        b"YWxpY2U6cHc".to_vec(),
        b"YWxpY2U6cHc==".to_vec(),
        b"YWxp Y2U6cHc=".to_vec(),
        b"!!!!".to_vec(),
        Vec::new(),
    ];
    write("basic_decode", basics);

    // Claims as tokens carry them, and the JSON the reader must refuse as serde_json does.
    let claims_json: Vec<Vec<u8>> = [
        &br#"{"aud":"items-api","exp":1796486436,"iat":1796313636,"iss":"https://issuer.bench","jti":0,"scope":"items:read items:write","sub":"user-0"}"#[..],
        br#"{"iss":"https://issuer.test","aud":["test-api","x"],"sub":"user-42","scope":"read","realm_access":{"roles":["admin"]},"cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},"exp":4102444800.5,"nbf":-0,"acr":"\u0061al2"}"#,
        br#"{"scope":"none","scope":"admin"}"#,
        br#"{"s":"\ud83d\ude00 \ud83d \u00e9\n","n":[18446744073709551616,-9223372036854775808,1e400,01]}"#,
        b"{\"a\":\"\x01\",\"b\":\"\xc3\xa9\xff\"} \x0c",
        br#"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#,
        b" \t\r\n{ \"a\" : [ 1 , 2.5e-3 , true , false , null ] , \"b\" : { } }\n",
        b"",
    ]
    .iter()
    .map(|seed| seed.to_vec())
    .collect();
    write("claims_json", claims_json);

    // Parts separated by 0xFF (never in UTF-8): scheme, realm, then name and value pairs.
    let challenge = |parts: &[&[u8]]| parts.join(&0xff);
    let challenges = vec![
        challenge(&[b"Bearer", b"api"]),
        challenge(&[
            b"Bearer",
            b"api",
            b"error",
            b"invalid_token",
            b"error_description",
            b"The access token is invalid",
        ]),
        challenge(&[
            b"Bearer",
            b"api",
            b"error",
            b"insufficient_scope",
            b"scope",
            b"items:read items:write",
        ]),
        challenge(&[b"Basic", br#"a "quoted" \ realm"#, b"charset", b"UTF-8"]),
        challenge(&[b"ApiKey", b"evil\r\nSet-Cookie: x=1\0\x7f"]),
        challenge(&["Bearer".as_bytes(), "café \u{85}\u{2028}".as_bytes()]),
        challenge(&[b"Bea rer\"", b"R", b"ERROR", b"x"]),
        challenge(&[b"", b"", b"", b""]),
    ];
    write("challenge", challenges);

    // DPoP proofs. Raw: the `DPoP` header's bytes (a real proof, signed by a key the fuzz
    // token is not bound to, and broken ones). Signed: a header and claims split by 0xFF, which
    // the target signs with the bound key after filling in `$JWK`, `$IAT` and `$ATH`, so that
    // mutations start from proofs that are accepted and reach every check after the signature.
    let client = auth_runtime::testing::DpopKey::es256();
    let real = client
        .proof("GET", "http://localhost:8080/items")
        .token("some-token")
        .sign();
    let signed = |header: &str, claims: &str| [header.as_bytes(), claims.as_bytes()].join(&0xff);
    let header = r#"{"typ":"dpop+jwt","alg":"ES256","jwk":$JWK}"#;
    let claims = |extra: &str| {
        format!(
            r#"{{"jti":"seed-jti","htm":"GET","htu":"http://localhost:8080/items","iat":$IAT,"ath":"$ATH"{extra}}}"#
        )
    };
    let proofs = vec![
        real.clone().into_bytes(),
        format!("{real}.{real}").into_bytes(),
        real.replace('-', "+").into_bytes(),
        b"a.b.c".to_vec(),
        b"..".to_vec(),
        Vec::new(),
        signed(header, &claims("")),
        signed(header, &claims(r#","nonce":"n-1""#)),
        signed(
            header,
            r#"{"jti":"seed-htu","htm":"GET","htu":"HTTP://LocalHost:8080/a/../items?q=1#f","iat":$IAT,"ath":"$ATH"}"#,
        ),
        signed(
            header,
            r#"{"jti":"seed-post","htm":"POST","htu":"http://localhost:8080/items","iat":$IAT,"ath":"$ATH"}"#,
        ),
        signed(
            header,
            r#"{"jti":"seed-float","htm":"GET","htu":"http://localhost:8080/items","iat":$IAT.5,"ath":"$ATH"}"#,
        ),
        signed(
            r#"{"typ":"DPoP+JWT","alg":"ES256","jwk":$JWK,"crit":["x"]}"#,
            &claims(""),
        ),
        signed(
            r#"{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}}"#,
            &claims(""),
        ),
        signed(
            r#"{"typ":"dpop+jwt","alg":"ES256","alg":"none","jwk":$JWK}"#,
            &claims(""),
        ),
    ];
    write("dpop_proof", proofs);
}

// ---------------------------------------------------------------------------------------------
// DPoP proofs (RFC 9449 §4.3): bound to one method, one URL and one token.

/// An authenticator that accepts DPoP, its issuer and a client key, made once.
fn dpop_fixture() -> &'static (
    Authenticator,
    auth_runtime::testing::TestIssuer,
    auth_runtime::testing::DpopKey,
) {
    static FIXTURE: OnceLock<(
        Authenticator,
        auth_runtime::testing::TestIssuer,
        auth_runtime::testing::DpopKey,
    )> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let issuer = auth_runtime::testing::TestIssuer::es256();
        let auth = issuer
            .builder()
            .dpop(auth_runtime::DpopConfig::default())
            .build()
            .unwrap();
        (auth, issuer, auth_runtime::testing::DpopKey::es256())
    })
}

fn method() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
    ])
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z0-9]{1,6}", 1..4)
        .prop_map(|segments| format!("/{}", segments.join("/")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..config() })]

    /// A proof made for one method, URL and token verifies for exactly that request, and for
    /// no other method, path or token (each request gets a fresh proof, so a refusal is never
    /// a replay).
    #[test]
    fn a_proof_for_one_request_never_verifies_for_another(
        (made_method, made_path, made_scope) in (method(), path(), "[a-z]{1,8}"),
        (other_method, other_path, other_scope) in (method(), path(), "[a-z]{1,8}"),
        changed in 0usize..3,
    ) {
        use auth_runtime::testing::verify_dpop;
        let (auth, issuer, client) = dpop_fixture();
        let token = |scope: &str| issuer.token().scope(scope).bound_to(client).sign();
        let made_token = token(&made_scope);
        let proof = |method: &str, path: &str, token: &str| {
            client
                .proof(method, &format!("http://localhost:8080{path}"))
                .token(token)
                .sign()
        };
        // The proof as made: accepted for its own request.
        let own = proof(made_method, &made_path, &made_token);
        prop_assert!(verify_dpop(auth, made_method, &made_path, &made_token, own.as_bytes()).is_ok());
        // The same request with one of method, path or token changed: refused, unless the
        // change happens to be none.
        let (mut method, mut path, mut sent_token) = (made_method, made_path.clone(), made_token.clone());
        match changed {
            0 => method = other_method,
            1 => path = other_path,
            _ => sent_token = token(&other_scope),
        }
        let same = method == made_method && path == made_path && sent_token == made_token;
        let fresh = proof(made_method, &made_path, &made_token);
        let verdict = verify_dpop(auth, method, &path, &sent_token, fresh.as_bytes());
        prop_assert_eq!(verdict.is_ok(), same, "made for {} {}, sent as {} {}", made_method, made_path, method, path);
    }
}
