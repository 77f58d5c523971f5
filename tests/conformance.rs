//! One test per row of `CONFORMANCE.md`, over the real actix service, with tokens minted from
//! real keys of every algorithm family.

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::{delete, get, post, test, web, App, HttpResponse};
use auth_runtime::testing::TestIssuer;
use auth_runtime::{
    check_app, requires, Algorithm, Authenticator, Claims, ErrorBody, Identity, Optional,
};
use auth_tests::*;
use jsonwebtoken::Header;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// The application under test.

#[get("/items")]
#[requires(scope = "read")]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().json(["apple", "pear"])
}

#[post("/items")]
#[requires(scope = all("read", "write"))]
async fn create_item(_seen: Tripwire, item: web::Json<Value>) -> HttpResponse {
    HttpResponse::Created().json(item.into_inner())
}

#[requires(scope = any("admin", "items:admin"))]
#[delete("/items/{id}")]
async fn delete_item(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(format!("deleted {id}"))
}

#[get("/me")]
#[requires]
async fn me(who: Identity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "sub": who.subject(), "scopes": who.scopes() }))
}

#[get("/maybe")]
#[requires(optional)]
async fn maybe(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(match who {
        Some(who) => format!("hello {}", who.subject().unwrap_or("?")),
        None => "hello stranger".to_owned(),
    })
}

#[get("/elsewhere")]
#[requires(realm = r#"other "realm" \ here"#, scope = "read")]
async fn elsewhere() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[derive(serde::Deserialize)]
struct TenantClaims {
    sub: String,
    tenant: String,
}

#[get("/tenant")]
#[requires]
async fn tenant(claims: Claims<TenantClaims>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{}@{}", claims.sub, claims.tenant))
}

/// 2^36 = 8^12 sets of scopes satisfy this requirement.
#[get("/wide")]
#[requires(scope = all(any("a0", "b0"), any("a1", "b1"), any("a2", "b2"), any("a3", "b3"), any("a4", "b4"), any("a5", "b5"), any("a6", "b6"), any("a7", "b7"), any("a8", "b8"), any("a9", "b9"), any("a10", "b10"), any("a11", "b11"), any("a12", "b12"), any("a13", "b13"), any("a14", "b14"), any("a15", "b15"), any("a16", "b16"), any("a17", "b17"), any("a18", "b18"), any("a19", "b19"), any("a20", "b20"), any("a21", "b21"), any("a22", "b22"), any("a23", "b23"), any("a24", "b24"), any("a25", "b25"), any("a26", "b26"), any("a27", "b27"), any("a28", "b28"), any("a29", "b29"), any("a30", "b30"), any("a31", "b31"), any("a32", "b32"), any("a33", "b33"), any("a34", "b34"), any("a35", "b35")))]
async fn wide() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// No attribute: the extractor alone authenticates.
async fn plain_identity(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or("?").to_owned())
}

/// No attribute: optional authentication through the extractor.
async fn plain_optional(who: Optional<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(match who.into_option() {
        Some(who) => format!("hello {}", who.subject().unwrap_or("?")),
        None => "hello stranger".to_owned(),
    })
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(list_items)
        .service(create_item)
        .service(delete_item)
        .service(me)
        .service(maybe)
        .service(elsewhere)
        .service(tenant)
        .service(wide)
        .service(web::resource("/plain").route(web::get().to(plain_identity)))
        .service(web::resource("/plain-optional").route(web::get().to(plain_optional)));
}

async fn call_with(auth: Authenticator, req: test::TestRequest) -> ServiceResponse {
    let app = test::init_service(App::new().configure(auth.configure()).configure(routes)).await;
    app.call(req.to_request()).await.unwrap()
}

async fn call(req: test::TestRequest) -> ServiceResponse {
    call_with(authenticator(), req).await
}

fn get(path: &str) -> test::TestRequest {
    test::TestRequest::get().uri(path)
}

fn get_with_token(path: &str, token: &str) -> test::TestRequest {
    get(path).insert_header(bearer(token))
}

fn challenges(res: &ServiceResponse) -> Vec<String> {
    res.headers()
        .get_all(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

const MISSING: &str = r#"Bearer realm="test-realm""#;
const INVALID_REQUEST: &str = r#"Bearer realm="test-realm", error="invalid_request""#;
const INVALID_TOKEN: &str = r#"Bearer realm="test-realm", error="invalid_token", error_description="The access token is invalid""#;
const EXPIRED: &str = r#"Bearer realm="test-realm", error="invalid_token", error_description="The access token expired""#;
const NOT_YET_VALID: &str = r#"Bearer realm="test-realm", error="invalid_token", error_description="The access token is not yet valid""#;

/// Asserts status, the exact challenge and an RFC 9457 body that does not echo `secret`.
async fn assert_refused(res: ServiceResponse, status: StatusCode, challenge: &str, secret: &str) {
    assert_eq!(res.status(), status);
    assert_eq!(challenges(&res), [challenge]);
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/problem+json"
    );
    assert_error_status_is_the_response_status(&res);
    let body = test::read_body(res).await;
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["status"], status.as_u16());
    assert_eq!(problem["type"], "about:blank");
    assert_eq!(problem["title"], status.canonical_reason().unwrap());
    assert_eq!(
        problem["detail"],
        detail_of(status, challenge),
        "{challenge}"
    );
    let text = String::from_utf8_lossy(&body);
    if !secret.is_empty() {
        assert!(!text.contains(secret), "the body echoes the credential");
    }
    for leak in ["signature", "issuer", "audience", "kid", "alg", "user-42"] {
        assert!(!text.contains(leak), "the body reveals the reason: {text}");
    }
}

/// The generic RFC 9457 `detail` of a refusal answered `status` with `challenge`: the same
/// text for every failure of a class, never the reason.
fn detail_of(status: StatusCode, challenge: &str) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "The request's credentials are malformed.",
        StatusCode::UNAUTHORIZED if challenge.contains("expired") => "The access token expired.",
        StatusCode::UNAUTHORIZED if challenge.contains("not yet valid") => {
            "The access token is not yet valid."
        }
        StatusCode::UNAUTHORIZED if challenge.contains("invalid_token") => {
            "The access token is invalid."
        }
        StatusCode::UNAUTHORIZED => "Authentication is required to access this resource.",
        StatusCode::FORBIDDEN if challenge.contains("insufficient_scope") => {
            "The access token does not grant the scope this resource requires."
        }
        StatusCode::FORBIDDEN => "Access to this resource is not allowed.",
        StatusCode::SERVICE_UNAVAILABLE => "Credentials cannot be verified right now; retry later.",
        StatusCode::INTERNAL_SERVER_ERROR => "The server cannot authenticate this request.",
        other => panic!("no refusal is answered {other}"),
    }
}

/// The error actix keeps with a refusal's response reports the response's status: what a
/// middleware inspecting `ResponseError::status_code` sees.
fn assert_error_status_is_the_response_status(res: &ServiceResponse) {
    let error = res.response().error().expect("a refusal carries its error");
    assert_eq!(error.as_response_error().status_code(), res.status());
    assert_eq!(error.error_response().status(), res.status());
}

async fn assert_invalid_token(token: &str) {
    let res = call(get_with_token("/items", token)).await;
    assert_refused(res, StatusCode::UNAUTHORIZED, INVALID_TOKEN, token).await;
}

// ---------------------------------------------------------------------------------------------
// Row 1, 2, 15: no credentials.

#[actix_rt::test]
async fn row_1_no_authorization_header_is_401_with_a_bare_challenge() {
    let res = call(get("/items")).await;
    assert_refused(res, StatusCode::UNAUTHORIZED, MISSING, "").await;
}

#[actix_rt::test]
async fn row_2_another_scheme_is_treated_as_no_credentials() {
    for value in ["Basic dXNlcjpwYXNz", "Digest username=\"u\"", "ApiKey abc"] {
        let res = call(get("/items").insert_header(("Authorization", value))).await;
        assert_refused(res, StatusCode::UNAUTHORIZED, MISSING, "dXNlcjpwYXNz").await;
    }
}

#[actix_rt::test]
async fn row_2_a_token_only_in_the_query_is_not_accepted() {
    let res = call(get(&format!("/items?access_token={}", token("read")))).await;
    assert_refused(res, StatusCode::UNAUTHORIZED, MISSING, "").await;
}

// ---------------------------------------------------------------------------------------------
// Row 3: malformed Bearer credentials.

#[actix_rt::test]
async fn row_3_empty_token_spaces_or_foreign_characters_are_400_invalid_request() {
    let valid = token("read");
    for value in [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer {valid} extra"),
        format!("Bearer {}", valid.replace('.', ",")),
        "Bearer abc\"def".to_owned(),
        "Bearer ===".to_owned(),
        "Bearer a=b".to_owned(),
    ] {
        let res = call(get("/items").insert_header(("Authorization", value.as_str()))).await;
        assert_refused(res, StatusCode::BAD_REQUEST, INVALID_REQUEST, &valid).await;
    }
}

#[actix_rt::test]
async fn row_3_non_ascii_bytes_in_the_token_are_400() {
    let value = header::HeaderValue::from_bytes(b"Bearer abc\xe9def").unwrap();
    let res = call(get("/items").insert_header(("Authorization", value))).await;
    assert_refused(res, StatusCode::BAD_REQUEST, INVALID_REQUEST, "").await;
}

#[actix_rt::test]
async fn row_3_a_garbage_scheme_is_400() {
    let res = call(get("/items").insert_header(("Authorization", "\"Bearer\" abc"))).await;
    assert_refused(res, StatusCode::BAD_REQUEST, INVALID_REQUEST, "").await;
}

// ---------------------------------------------------------------------------------------------
// Row 4: credentials sent more than once.

#[actix_rt::test]
async fn row_4_two_authorization_headers_are_400() {
    let valid = token("read");
    let res = call(
        get("/items")
            .append_header(bearer(&valid))
            .append_header(bearer(&valid)),
    )
    .await;
    assert_refused(res, StatusCode::BAD_REQUEST, INVALID_REQUEST, &valid).await;
}

#[actix_rt::test]
async fn row_4_a_token_in_header_and_query_is_400() {
    let valid = token("read");
    let res = call(get_with_token(
        &format!("/items?x=1&access_token={valid}"),
        &valid,
    ))
    .await;
    assert_refused(res, StatusCode::BAD_REQUEST, INVALID_REQUEST, &valid).await;
}

// ---------------------------------------------------------------------------------------------
// Row 5: well-formed but invalid tokens.

#[actix_rt::test]
async fn row_5_bad_signature() {
    let claims = claims("read");
    let forged = mint_with(&header(Algorithm::RS256), &claims, &untrusted_signer());
    assert_invalid_token(&forged).await;
    let valid = token("read");
    // Swap the last character for another that also carries data bits (an HS256 signature's
    // last character holds four of them), so the token always differs from the valid one.
    let last = valid.chars().last().unwrap();
    let tampered = format!(
        "{}{}",
        &valid[..valid.len() - 1],
        if last == 'A' { 'E' } else { 'A' }
    );
    assert_ne!(tampered, valid);
    assert_invalid_token(&tampered).await;
    // The same signature bytes spelled with non-zero padding bits: a second spelling of a valid
    // token would slip past any list of revoked token strings, so it is refused too.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let value = ALPHABET.iter().position(|&c| c == last as u8).unwrap();
    let respelled = format!(
        "{}{}",
        &valid[..valid.len() - 1],
        ALPHABET[value + 1] as char
    );
    assert_invalid_token(&respelled).await;
}

#[actix_rt::test]
async fn row_5_altered_signatures_fail_for_every_algorithm() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    for alg in ALL_ALGORITHMS {
        let token = mint(alg, &claims("read"));
        let (message, signature) = token.rsplit_once('.').unwrap();
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        let encode = |bytes: &[u8]| format!("{message}.{}", URL_SAFE_NO_PAD.encode(bytes));
        let mut flipped_first = signature.clone();
        flipped_first[0] ^= 0x01;
        let mut flipped_last = signature.clone();
        *flipped_last.last_mut().unwrap() ^= 0x80;
        let other_payload = mint(alg, &claims("read write"));
        let (other_message, _) = other_payload.rsplit_once('.').unwrap();
        for altered in [
            encode(&flipped_first),
            encode(&flipped_last),
            encode(&signature[..signature.len() - 1]),
            encode(&[signature.as_slice(), &[0]].concat()),
            encode(&[]),
            encode(&vec![0; signature.len()]),
            encode(&vec![0xff; 600]),
            format!("{other_message}.{}", URL_SAFE_NO_PAD.encode(&signature)),
        ] {
            let res = call(get_with_token("/items", &altered)).await;
            assert_refused(res, StatusCode::UNAUTHORIZED, INVALID_TOKEN, &altered).await;
        }
    }
}

#[actix_rt::test]
async fn row_5_not_a_jwt() {
    for junk in [
        "abc",
        "a.b",
        "a.b.c",
        "a.b.c.d.e",
        "eyJhbGciOiJIUzI1NiJ9.e30",
    ] {
        assert_invalid_token(junk).await;
    }
}

#[actix_rt::test]
async fn row_5_alg_none_in_any_casing() {
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
        let token = mint_raw(&header, &claims("read"), Algorithm::HS256);
        assert_invalid_token(&token).await;
        let unsigned = format!("{}.", token.rsplit_once('.').unwrap().0);
        assert_invalid_token(&unsigned).await;
    }
}

#[actix_rt::test]
async fn row_5_hmac_signed_with_the_rsa_public_key_is_refused() {
    let confused_key = TestIssuer::with_secret(Algorithm::HS256, rsa_public_pem());
    // Naming the RSA key's kid: the key's algorithm is RS256, the header's HS256.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid(Algorithm::RS256));
    assert_invalid_token(&mint_with(&header, &claims("read"), &confused_key)).await;
    // Without a kid: only the HMAC keys are candidates, and the public key is not one of them.
    let header = Header::new(Algorithm::HS256);
    assert_invalid_token(&mint_with(&header, &claims("read"), &confused_key)).await;
}

#[actix_rt::test]
async fn row_5_an_algorithm_not_bound_to_the_key() {
    // RS256 key, but the token says RS512 and names the RS256 key.
    let mut header = Header::new(Algorithm::RS512);
    header.kid = Some(kid(Algorithm::RS256));
    let token = mint_with(&header, &claims("read"), &signer(Algorithm::RS512));
    assert_invalid_token(&token).await;
    // Only an HS256 key configured: an HS512 token with the same secret is refused.
    let auth = authenticator_with_only(Algorithm::HS256);
    let token = mint_with(
        &Header::new(Algorithm::HS512),
        &claims("read"),
        &signer(Algorithm::HS512),
    );
    let res = call_with(auth, get_with_token("/items", &token)).await;
    assert_refused(res, StatusCode::UNAUTHORIZED, INVALID_TOKEN, &token).await;
}

fn authenticator_with_only(alg: Algorithm) -> Authenticator {
    Authenticator::builder()
        .realm(REALM)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .key(verification_key(alg))
        .build()
        .unwrap()
}

#[actix_rt::test]
async fn row_5_unknown_kid() {
    let mut header = header(Algorithm::RS256);
    header.kid = Some("../../etc/passwd".into());
    let token = mint_with(&header, &claims("read"), &signer(Algorithm::RS256));
    assert_invalid_token(&token).await;
}

#[actix_rt::test]
async fn row_5_wrong_or_missing_issuer() {
    assert_invalid_token(&mint(
        Algorithm::ES256,
        &claims_with("read", json!({"iss": "https://evil.test"})),
    ))
    .await;
    assert_invalid_token(&mint(
        Algorithm::ES256,
        &claims_with("read", json!({"iss": null})),
    ))
    .await;
}

#[actix_rt::test]
async fn row_5_wrong_or_missing_audience() {
    assert_invalid_token(&mint(
        Algorithm::EdDSA,
        &claims_with("read", json!({"aud": "other-api"})),
    ))
    .await;
    assert_invalid_token(&mint(
        Algorithm::EdDSA,
        &claims_with("read", json!({"aud": ["a", "b"]})),
    ))
    .await;
    assert_invalid_token(&mint(
        Algorithm::EdDSA,
        &claims_with("read", json!({"aud": null})),
    ))
    .await;
}

#[actix_rt::test]
async fn row_5_audience_in_an_array_is_accepted() {
    let token = mint(
        Algorithm::PS256,
        &claims_with("read", json!({"aud": ["other", AUDIENCE]})),
    );
    let res = call(get_with_token("/items", &token)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn row_5_missing_exp_is_refused() {
    assert_invalid_token(&mint(
        Algorithm::HS256,
        &claims_with("read", json!({"exp": null})),
    ))
    .await;
    assert_invalid_token(&mint(
        Algorithm::HS256,
        &claims_with("read", json!({"exp": "tomorrow"})),
    ))
    .await;
}

#[actix_rt::test]
async fn row_5_wrong_typ_where_at_jwt_is_required() {
    let auth = builder().require_access_token_type().build().unwrap();
    let mut id_token = header(Algorithm::RS256);
    id_token.typ = Some("JWT".into());
    let token = mint_with(&id_token, &claims("read"), &signer(Algorithm::RS256));
    let res = call_with(auth.clone(), get_with_token("/items", &token)).await;
    assert_refused(res, StatusCode::UNAUTHORIZED, INVALID_TOKEN, &token).await;

    for typ in ["at+jwt", "application/at+jwt", "AT+JWT"] {
        let mut access = header(Algorithm::RS256);
        access.typ = Some(typ.into());
        let token = mint_with(&access, &claims("read"), &signer(Algorithm::RS256));
        let res = call_with(auth.clone(), get_with_token("/items", &token)).await;
        assert_eq!(res.status(), StatusCode::OK, "typ {typ}");
    }
}

#[actix_rt::test]
async fn row_5_a_required_typ_and_required_claims() {
    let auth = builder()
        .require_type("example+jwt")
        .require_claim("jti")
        .require_claim("client_id")
        .build()
        .unwrap();
    let with_typ = |typ: &str, claims: &Value| {
        let mut header = header(Algorithm::RS256);
        header.typ = Some(typ.into());
        mint_with(&header, claims, &signer(Algorithm::RS256))
    };
    let complete = claims_with("read", json!({ "jti": "j-1", "client_id": "c" }));
    for typ in ["example+jwt", "Example+JWT"] {
        let token = with_typ(typ, &complete);
        let res = call_with(auth.clone(), get_with_token("/items", &token)).await;
        assert_eq!(res.status(), StatusCode::OK, "typ {typ}");
    }
    let refused = [
        with_typ("JWT", &complete),
        with_typ("at+jwt", &complete),
        with_typ("example+jwt", &claims_with("read", json!({ "jti": "j-2" }))),
        with_typ(
            "example+jwt",
            &claims_with("read", json!({ "client_id": "c" })),
        ),
    ];
    for token in refused {
        let res = call_with(auth.clone(), get_with_token("/items", &token)).await;
        assert_refused(res, StatusCode::UNAUTHORIZED, INVALID_TOKEN, &token).await;
    }
}

#[actix_rt::test]
async fn row_5_crit_header_is_refused() {
    let header = format!(
        r#"{{"alg":"HS256","kid":"{}","crit":["exp"]}}"#,
        kid(Algorithm::HS256)
    );
    assert_invalid_token(&mint_raw(&header, &claims("read"), Algorithm::HS256)).await;
}

#[actix_rt::test]
async fn row_5_jku_and_embedded_jwk_are_ignored() {
    // A token signed by the attacker's key, pointing at the attacker's key: still refused.
    let attacker = untrusted_signer();
    let mut header = header(Algorithm::RS256);
    header.jku = Some("http://127.0.0.1:1/jwks.json".into());
    header.x5u = Some("http://127.0.0.1:1/cert.pem".into());
    assert_invalid_token(&mint_with(&header, &claims("read"), &attacker)).await;
}

#[actix_rt::test]
async fn row_5_oversized_tokens_are_refused_before_decoding() {
    let auth = builder().max_token_bytes(1024).build().unwrap();
    let token = mint(
        Algorithm::HS256,
        &claims_with("read", json!({"pad": "x".repeat(2000)})),
    );
    let res = call_with(auth, get_with_token("/items", &token)).await;
    assert_refused(res, StatusCode::UNAUTHORIZED, INVALID_TOKEN, &token).await;
}

#[actix_rt::test]
async fn row_5_claims_that_do_not_fit_the_handler_type_are_invalid() {
    let res = call(get_with_token("/tenant", &token(""))).await;
    assert_refused(res, StatusCode::UNAUTHORIZED, INVALID_TOKEN, "").await;
    let token = mint(
        Algorithm::HS256,
        &claims_with("", json!({"tenant": "acme"})),
    );
    let res = call(get_with_token("/tenant", &token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "user-42@acme");
}

// ---------------------------------------------------------------------------------------------
// Row 6: time.

#[actix_rt::test]
async fn row_6_expired_beyond_the_leeway() {
    let token = mint(
        Algorithm::RS256,
        &claims_with("read", json!({"exp": now() - 120})),
    );
    let res = call(get_with_token("/items", &token)).await;
    assert_refused(res, StatusCode::UNAUTHORIZED, EXPIRED, &token).await;
}

#[actix_rt::test]
async fn row_6_expired_within_the_leeway_is_accepted() {
    let token = mint(
        Algorithm::RS256,
        &claims_with("read", json!({"exp": now() - 30})),
    );
    let res = call(get_with_token("/items", &token)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn row_6_not_yet_valid_beyond_the_leeway() {
    let token = mint(
        Algorithm::ES384,
        &claims_with("read", json!({"nbf": now() + 600})),
    );
    let res = call(get_with_token("/items", &token)).await;
    assert_refused(res, StatusCode::UNAUTHORIZED, NOT_YET_VALID, &token).await;
    let token = mint(
        Algorithm::ES384,
        &claims_with("read", json!({"nbf": now() + 30})),
    );
    assert_eq!(
        call(get_with_token("/items", &token)).await.status(),
        StatusCode::OK
    );
}

#[actix_rt::test]
async fn row_6_fractional_numeric_dates_are_valid() {
    let exp = now() as f64 + 600.5;
    let token = mint(
        Algorithm::HS256,
        &claims_with("read", json!({"exp": exp, "nbf": 1.5})),
    );
    assert_eq!(
        call(get_with_token("/items", &token)).await.status(),
        StatusCode::OK
    );
}

// ---------------------------------------------------------------------------------------------
// Row 7: scopes.

#[actix_rt::test]
async fn row_7_missing_scope_names_the_scope() {
    let token = token("write other");
    let res = call(get_with_token("/items", &token)).await;
    let expected = r#"Bearer realm="test-realm", error="insufficient_scope", scope="read""#;
    assert_refused(res, StatusCode::FORBIDDEN, expected, &token).await;
}

#[actix_rt::test]
async fn row_7_all_names_every_scope() {
    let token = token("read");
    let res = call(
        test::TestRequest::post()
            .uri("/items")
            .insert_header(bearer(&token))
            .set_json(json!({"name": "fig"})),
    )
    .await;
    let expected = r#"Bearer realm="test-realm", error="insufficient_scope", scope="read write""#;
    assert_refused(res, StatusCode::FORBIDDEN, expected, &token).await;
}

#[actix_rt::test]
async fn row_7_any_names_the_first_alternative() {
    let token = token("read write");
    let res = call(
        test::TestRequest::delete()
            .uri("/items/7")
            .insert_header(bearer(&token)),
    )
    .await;
    let expected = r#"Bearer realm="test-realm", error="insufficient_scope", scope="admin""#;
    assert_refused(res, StatusCode::FORBIDDEN, expected, &token).await;
    for scope in ["admin", "items:admin", "x items:admin y"] {
        let token = self::token(scope);
        let res = call(
            test::TestRequest::delete()
                .uri("/items/7")
                .insert_header(bearer(&token)),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{scope}");
        assert_eq!(test::read_body(res).await, "deleted 7");
    }
}

#[actix_rt::test]
async fn row_7_a_requirement_of_8_pow_12_alternatives_names_a_satisfying_set() {
    let first: Vec<String> = (0..36).map(|i| format!("a{i}")).collect();
    let token = token(&first[..35].join(" "));
    let res = call(get_with_token("/wide", &token)).await;
    let expected = format!(
        r#"Bearer realm="test-realm", error="insufficient_scope", scope="{}""#,
        first.join(" ")
    );
    assert_refused(res, StatusCode::FORBIDDEN, &expected, &token).await;
    let second: Vec<String> = (0..36).map(|i| format!("b{i}")).collect();
    for scopes in [first.join(" "), second.join(" ")] {
        let res = call(get_with_token("/wide", &self::token(&scopes))).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

#[actix_rt::test]
async fn row_7_scopes_are_case_sensitive() {
    let token = token("READ");
    let res = call(get_with_token("/items", &token)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[actix_rt::test]
async fn row_7_scp_claim_as_string_or_array_is_read() {
    for scp in [json!("read"), json!(["other", "read"])] {
        let claims = claims_with("", json!({"scope": null, "scp": scp}));
        let res = call(get_with_token("/items", &mint(Algorithm::HS384, &claims))).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

#[actix_rt::test]
async fn row_7_nested_scope_claims_are_configurable() {
    let auth = builder()
        .scope_claims(["realm_access.roles"])
        .build()
        .unwrap();
    let claims = claims_with("", json!({"realm_access": {"roles": ["read"]}}));
    let res = call_with(
        auth.clone(),
        get_with_token("/items", &mint(Algorithm::HS256, &claims)),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The default claims are no longer read.
    let res = call_with(auth, get_with_token("/items", &token("read"))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------------
// Rows 13, 14: optional authentication.

#[actix_rt::test]
async fn row_13_optional_auth_without_credentials_runs_the_handler() {
    for path in ["/maybe", "/plain-optional"] {
        let res = call(get(path)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(test::read_body(res).await, "hello stranger");
        let res = call(get_with_token(path, &token(""))).await;
        assert_eq!(test::read_body(res).await, "hello user-42");
    }
}

#[actix_rt::test]
async fn row_14_optional_auth_with_invalid_credentials_is_refused() {
    for path in ["/maybe", "/plain-optional"] {
        let forged = mint_with(&header(Algorithm::RS256), &claims(""), &untrusted_signer());
        let res = call(get_with_token(path, &forged)).await;
        assert_refused(res, StatusCode::UNAUTHORIZED, INVALID_TOKEN, &forged).await;
        let expired = mint(
            Algorithm::HS256,
            &claims_with("", json!({"exp": now() - 3600})),
        );
        let res = call(get_with_token(path, &expired)).await;
        assert_refused(res, StatusCode::UNAUTHORIZED, EXPIRED, &expired).await;
        let res = call(get(path).insert_header(("Authorization", "Bearer a b"))).await;
        assert_refused(res, StatusCode::BAD_REQUEST, INVALID_REQUEST, "").await;
    }
}

// ---------------------------------------------------------------------------------------------
// Ordering, identity, realm, configuration.

#[actix_rt::test]
async fn authentication_runs_before_every_other_extractor() {
    let before = EXTRACTOR_RUNS.load(Ordering::SeqCst);
    let res = call(
        test::TestRequest::post()
            .uri("/items")
            .insert_header(("content-type", "application/json"))
            .set_payload("{ this is not json"),
    )
    .await;
    assert_refused(res, StatusCode::UNAUTHORIZED, MISSING, "").await;
    assert_eq!(
        EXTRACTOR_RUNS.load(Ordering::SeqCst),
        before,
        "an extractor ran before authentication"
    );

    // Authenticated: now the body is read, and its error is the JSON extractor's 400.
    let res = call(
        test::TestRequest::post()
            .uri("/items")
            .insert_header(bearer(&token("read write")))
            .insert_header(("content-type", "application/json"))
            .set_payload("{ this is not json"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
}

#[actix_rt::test]
async fn every_algorithm_family_verifies() {
    for alg in ALL_ALGORITHMS {
        let token = mint(alg, &claims("read"));
        let res = call(get_with_token("/me", &token)).await;
        assert_eq!(res.status(), StatusCode::OK, "{alg:?}");
        let body: Value = test::read_body_json(res).await;
        assert_eq!(
            body,
            json!({"sub": "user-42", "scopes": ["read"]}),
            "{alg:?}"
        );
    }
}

/// `.ci/run` runs this suite once per backend: this pins that each run verifies with the
/// backend it names (with both features on, aws-lc-rs).
#[actix_rt::test]
async fn the_signature_backend_is_the_one_the_features_choose() {
    let expected = if cfg!(feature = "aws-lc-rs") {
        "aws-lc-rs"
    } else {
        "rust-crypto"
    };
    assert_eq!(auth_runtime::SIGNATURE_BACKEND, expected);
}

#[actix_rt::test]
async fn tokens_without_kid_use_the_key_of_their_algorithm() {
    for alg in [
        Algorithm::HS256,
        Algorithm::PS384,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ] {
        let token = mint_with(&Header::new(alg), &claims("read"), &signer(alg));
        assert_eq!(
            call(get_with_token("/items", &token)).await.status(),
            StatusCode::OK,
            "{alg:?}"
        );
    }
}

#[actix_rt::test]
async fn scheme_names_are_case_insensitive() {
    let token = token("read");
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let res =
            call(get("/items").insert_header(("Authorization", format!("{scheme} {token}")))).await;
        assert_eq!(res.status(), StatusCode::OK, "{scheme}");
    }
}

#[actix_rt::test]
async fn identity_without_the_attribute_gets_the_same_checks() {
    let res = call(get("/plain")).await;
    assert_refused(res, StatusCode::UNAUTHORIZED, MISSING, "").await;
    let expired = mint(
        Algorithm::HS256,
        &claims_with("", json!({"exp": now() - 3600})),
    );
    let res = call(get_with_token("/plain", &expired)).await;
    assert_refused(res, StatusCode::UNAUTHORIZED, EXPIRED, &expired).await;
    let res = call(get_with_token("/plain", &token(""))).await;
    assert_eq!(test::read_body(res).await, "user-42");
}

#[actix_rt::test]
async fn the_attribute_realm_overrides_the_configured_one_and_is_escaped() {
    let res = call(get("/elsewhere")).await;
    assert_refused(
        res,
        StatusCode::UNAUTHORIZED,
        r#"Bearer realm="other \"realm\" \\ here""#,
        "",
    )
    .await;
}

#[actix_rt::test]
async fn a_handler_without_a_registered_authenticator_is_a_500_not_a_panic() {
    let app = test::init_service(App::new().configure(routes)).await;
    let res = app
        .call(get_with_token("/items", &token("read")).to_request())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
    assert_error_status_is_the_response_status(&res);
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["status"], 500);
    assert_eq!(
        body["detail"],
        detail_of(StatusCode::INTERNAL_SERVER_ERROR, "")
    );
    let res = app.call(get("/plain").to_request()).await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[actix_rt::test]
async fn check_app_fails_fast_without_an_authenticator() {
    assert!(check_app(App::new().configure(routes)).await.is_err());
    let auth = authenticator();
    assert!(check_app(
        App::new()
            .wrap(auth.middleware())
            .configure(auth.configure())
            .configure(routes)
    )
    .await
    .is_ok());
    assert!(check_app(
        App::new()
            .wrap(auth.middleware())
            .app_data(web::Data::new(auth.clone()))
    )
    .await
    .is_ok());
    // Registered, but without the app-wide middleware: invalid credentials would reach
    // handlers that do not check them.
    assert!(matches!(
        check_app(App::new().configure(auth.configure()).configure(routes)).await,
        Err(auth_runtime::ConfigError::MiddlewareMissing)
    ));
}

#[actix_rt::test]
async fn the_application_can_replace_the_body_but_not_the_protocol() {
    let auth = builder()
        .error_body(|refusal| ErrorBody::json(&json!({"code": refusal.error_code()})))
        .build()
        .unwrap();
    let res = call_with(auth, get_with_token("/items", &token("other"))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenges(&res),
        [r#"Bearer realm="test-realm", error="insufficient_scope", scope="read""#]
    );
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body, json!({"code": "insufficient_scope"}));
}

#[actix_rt::test]
async fn a_valid_token_reaches_the_handler() {
    let res = call(get_with_token("/items", &token("read"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body, json!(["apple", "pear"]));
}

// ---------------------------------------------------------------------------------------------
// Rows 22, 23: introspection (RFC 7662) and revocation, against a real introspection endpoint
// on 127.0.0.1.

/// Asserts a 503 with `Retry-After`, no challenge and a generic body (rows 12, 23).
async fn assert_unavailable(res: ServiceResponse) {
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(challenges(&res).is_empty(), "{:?}", challenges(&res));
    assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "30");
    assert_error_status_is_the_response_status(&res);
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["status"], 503);
    assert_eq!(
        body["detail"],
        detail_of(StatusCode::SERVICE_UNAVAILABLE, "")
    );
}

#[actix_rt::test]
async fn row_22_an_opaque_token_introspection_says_is_inactive_is_401_invalid_token() {
    let server = introspection_server().await;
    let auth = introspecting(&server).build().unwrap();
    let token = opaque_token();
    server.activate(&token, active("read"));
    let res = call_with(auth.clone(), get_with_token("/items", &token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Another token the endpoint does not know (`{"active": false}`).
    let unknown = opaque_token();
    let res = call_with(auth, get_with_token("/items", &unknown)).await;
    assert_refused(res, StatusCode::UNAUTHORIZED, INVALID_TOKEN, &unknown).await;
    assert_eq!(server.calls(), 2);
}

#[actix_rt::test]
async fn row_22_a_revoked_token_is_401_invalid_token_even_when_cached() {
    let auth = authenticator();
    let token = token("read");
    assert_eq!(
        call_with(auth.clone(), get_with_token("/items", &token))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        call_with(auth.clone(), get_with_token("/items", &token))
            .await
            .status(),
        StatusCode::OK
    );
    let hits = auth.cache_stats().hits;
    assert_eq!(hits, 1, "the second request was served from the cache");
    auth.revoke(auth_runtime::Revocation::token(&token))
        .await
        .unwrap();
    let res = call_with(auth.clone(), get_with_token("/items", &token)).await;
    assert_eq!(auth.cache_stats().hits, hits + 1, "refused on a cache hit");
    assert_refused(res, StatusCode::UNAUTHORIZED, INVALID_TOKEN, &token).await;
}

#[actix_rt::test]
async fn row_23_an_unreachable_introspection_endpoint_is_503_with_retry_after() {
    let server = introspection_server().await;
    let auth = introspecting(&server).build().unwrap();
    let (cached, fresh) = (opaque_token(), opaque_token());
    server.activate(&cached, active("read"));
    server.activate(&fresh, active("read"));
    assert_eq!(
        call_with(auth.clone(), get_with_token("/items", &cached))
            .await
            .status(),
        StatusCode::OK
    );
    server.stop().await;
    // A token introspected before is still served from the cache; a new one cannot be checked.
    assert_eq!(
        call_with(auth.clone(), get_with_token("/items", &cached))
            .await
            .status(),
        StatusCode::OK
    );
    assert_unavailable(call_with(auth.clone(), get_with_token("/items", &fresh)).await).await;
}

#[actix_rt::test]
async fn row_23_a_revocation_store_unreachable_past_the_configured_limit_is_503_with_retry_after() {
    // A Redis store where nothing listens (the discard port of the loopback interface).
    let store = auth_runtime::RedisStore::new("redis://127.0.0.1:9/")
        .unwrap()
        .timeouts(Duration::from_millis(200), Duration::from_millis(200));
    let auth = builder()
        .revocation_store(store)
        .when_store_unreachable(auth_runtime::WhenStoreUnreachable::RefuseAfter(
            Duration::from_secs(1),
        ))
        .build()
        .unwrap();
    let token = token("read");
    assert_eq!(
        call_with(auth.clone(), get_with_token("/items", &token))
            .await
            .status(),
        StatusCode::OK
    );
    actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
    assert_unavailable(call_with(auth.clone(), get_with_token("/items", &token)).await).await;
}

// ---------------------------------------------------------------------------------------------
// Over real TCP with a real HTTP client.

#[actix_rt::test]
async fn over_tcp_a_real_client_sees_the_table() {
    let auth = authenticator();
    let server = actix_web::HttpServer::new(move || {
        App::new().configure(auth.configure()).configure(routes)
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let address = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_rt::spawn(server);

    let client = reqwest::Client::new();
    let url = format!("http://{address}/items");

    let res = client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], MISSING);

    let res = client
        .get(&url)
        .bearer_auth(token("other"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.headers()["www-authenticate"],
        r#"Bearer realm="test-realm", error="insufficient_scope", scope="read""#
    );
    assert_eq!(res.headers()["content-type"], "application/problem+json");

    let res = client
        .get(&url)
        .header("Authorization", "Bearer not a token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    let res = client
        .get(&url)
        .bearer_auth(token("read"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!(["apple", "pear"]));

    handle.stop(true).await;
}
