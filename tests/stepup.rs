//! Step-up authentication (RFC 9470; CONFORMANCE row 18), over the real actix service:
//! `#[requires(acr = .., max_age = ..)]` met, and every way a valid token can fall short of it,
//! answered `401` (or `403` when configured) with an `insufficient_user_authentication`
//! challenge naming the `acr_values` and `max_age` a new login must meet. Challenges are read
//! back with the strict parser of `auth_runtime::testing`.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::{get, test, web, App, HttpResponse};
use auth_runtime::testing::{
    assert_requires_scope, assert_requires_step_up, challenges, TestIssuer, TestRequestExt,
};
use auth_runtime::{requires, Authenticator, Identity, ProtectedResource};
use serde_json::{json, Value};

const MFA: &str = "urn:example:mfa";
const HWK: &str = "urn:example:hwk";

#[get("/settings")]
#[requires(scope = "items:read", acr = "urn:example:mfa", max_age = 300)]
async fn settings(who: Identity) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "sub": who.subject(),
        "acr": who.acr(),
        "auth_time": who.auth_time(),
    }))
}

#[get("/strong")]
#[requires(acr = any("urn:example:mfa", "urn:example:hwk"))]
async fn strong() -> HttpResponse {
    HttpResponse::Ok().body("strong")
}

#[get("/recent")]
#[requires(max_age = 300)]
async fn recent() -> HttpResponse {
    HttpResponse::Ok().body("recent")
}

#[get("/admin")]
#[requires(role = "admin", max_age = 300)]
async fn admin() -> HttpResponse {
    HttpResponse::Ok().body("admin")
}

#[get("/plain")]
#[requires(scope = "items:read")]
async fn plain() -> HttpResponse {
    HttpResponse::Ok().body("plain")
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(settings)
        .service(strong)
        .service(recent)
        .service(admin)
        .service(plain);
}

async fn call_with(auth: &Authenticator, path: &str, token: &str) -> ServiceResponse {
    let app = test::init_service(App::new().configure(auth.configure()).configure(routes)).await;
    let req = test::TestRequest::get().uri(path).bearer(token);
    app.call(req.to_request()).await.unwrap()
}

async fn call(issuer: &TestIssuer, path: &str, token: &str) -> ServiceResponse {
    call_with(&issuer.authenticator(), path, token).await
}

/// The parameter names of the one Bearer challenge, in order.
fn param_names(res: &ServiceResponse) -> Vec<String> {
    let found = challenges(res.headers());
    assert_eq!(found.len(), 1, "{found:?}");
    found[0]
        .params
        .iter()
        .map(|(name, _)| name.clone())
        .collect()
}

async fn problem(res: ServiceResponse) -> Value {
    let content_type = res.headers().get(header::CONTENT_TYPE).unwrap().clone();
    assert_eq!(content_type, "application/problem+json");
    serde_json::from_slice(&test::read_body(res).await).unwrap()
}

#[actix_web::test]
async fn accepted_acr_and_recent_login_reach_the_handler() {
    let issuer = TestIssuer::es256();
    let token = issuer
        .token()
        .subject("ann")
        .scope("items:read")
        .acr(MFA)
        .authenticated_ago(10)
        .sign();
    let res = call(&issuer, "/settings", &token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
    assert_eq!(body["sub"], "ann");
    assert_eq!(body["acr"], MFA);
    assert!(body["auth_time"].as_u64().unwrap() > 0);
}

#[actix_web::test]
async fn token_without_acr_is_asked_to_step_up_with_401() {
    let issuer = TestIssuer::hs256();
    let token = issuer
        .token()
        .scope("items:read")
        .authenticated_ago(10)
        .sign();
    let res = call(&issuer, "/settings", &token).await;
    assert_requires_step_up(&res, StatusCode::UNAUTHORIZED, Some(MFA), Some(300));
    assert_eq!(
        param_names(&res),
        [
            "realm",
            "error",
            "error_description",
            "acr_values",
            "max_age"
        ]
    );
    let challenge = &challenges(res.headers())[0];
    assert_eq!(
        challenge.param("realm"),
        Some(auth_runtime::testing::TEST_REALM)
    );
    assert_eq!(
        challenge.param("error_description"),
        Some("A different authentication level is required")
    );
    let body = problem(res).await;
    assert_eq!(body["status"], 401);
    let text = body.to_string();
    assert!(!text.contains(MFA) && !text.contains("acr"), "{text}");
}

#[actix_web::test]
async fn token_with_another_acr_is_asked_to_step_up() {
    let issuer = TestIssuer::hs256();
    let token = issuer
        .token()
        .scope("items:read")
        .acr("urn:example:password")
        .authenticated_ago(10)
        .sign();
    let res = call(&issuer, "/settings", &token).await;
    assert_requires_step_up(&res, StatusCode::UNAUTHORIZED, Some(MFA), Some(300));
}

#[actix_web::test]
async fn acr_is_compared_exactly() {
    let issuer = TestIssuer::hs256();
    for acr in ["URN:EXAMPLE:MFA", "urn:example:mfa ", "urn:example:mf"] {
        let token = issuer.token().acr(acr).sign();
        let res = call(&issuer, "/strong", &token).await;
        assert_requires_step_up(
            &res,
            StatusCode::UNAUTHORIZED,
            Some("urn:example:mfa urn:example:hwk"),
            None,
        );
    }
}

#[actix_web::test]
async fn any_listed_acr_is_accepted_and_all_are_named_in_preference_order() {
    let issuer = TestIssuer::hs256();
    for acr in [MFA, HWK] {
        let res = call(&issuer, "/strong", &issuer.token().acr(acr).sign()).await;
        assert_eq!(res.status(), StatusCode::OK, "{acr}");
    }
    let res = call(&issuer, "/strong", &issuer.token().acr("pwd").sign()).await;
    assert_requires_step_up(
        &res,
        StatusCode::UNAUTHORIZED,
        Some("urn:example:mfa urn:example:hwk"),
        None,
    );
    assert_eq!(
        param_names(&res),
        ["realm", "error", "error_description", "acr_values"]
    );
}

#[actix_web::test]
async fn missing_auth_time_is_asked_for_a_new_login() {
    let issuer = TestIssuer::hs256();
    let res = call(&issuer, "/recent", &issuer.token().sign()).await;
    assert_requires_step_up(&res, StatusCode::UNAUTHORIZED, None, Some(300));
    assert_eq!(
        challenges(res.headers())[0].param("error_description"),
        Some("More recent authentication is required")
    );
}

#[actix_web::test]
async fn login_older_than_max_age_and_leeway_is_asked_for_a_new_login() {
    let issuer = TestIssuer::hs256();
    // The default leeway is 60 seconds: 300 + 60 + 5 is too old, 300 + 30 is still accepted.
    let old = issuer.token().authenticated_ago(365).sign();
    let res = call(&issuer, "/recent", &old).await;
    assert_requires_step_up(&res, StatusCode::UNAUTHORIZED, None, Some(300));
    let within_leeway = issuer.token().authenticated_ago(330).sign();
    assert_eq!(
        call(&issuer, "/recent", &within_leeway).await.status(),
        StatusCode::OK
    );
    let fresh = issuer.token().authenticated_ago(0).sign();
    assert_eq!(
        call(&issuer, "/recent", &fresh).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn the_leeway_configured_applies_to_max_age() {
    let issuer = TestIssuer::hs256();
    let auth = issuer
        .builder()
        .leeway(std::time::Duration::from_secs(0))
        .build()
        .unwrap();
    let token = issuer.token().authenticated_ago(310).sign();
    let res = call_with(&auth, "/recent", &token).await;
    assert_requires_step_up(&res, StatusCode::UNAUTHORIZED, None, Some(300));
}

/// Seconds since the Unix epoch, as the library's clock reads them.
fn epoch_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[actix_web::test]
async fn a_login_exactly_max_age_and_leeway_old_is_still_accepted() {
    // RFC 9470 §4 (as `exp`): too old is older than max_age plus the leeway, not as old.
    let issuer = TestIssuer::hs256();
    let auth = issuer
        .builder()
        .leeway(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    loop {
        let before = epoch_seconds();
        let token = issuer.token().authenticated_ago(305).sign();
        let status = call_with(&auth, "/recent", &token).await.status();
        // Only when minting and checking fell in the same second was the login exactly 305
        // seconds old.
        if epoch_seconds() == before {
            assert_eq!(status, StatusCode::OK);
            break;
        }
    }
    let token = issuer.token().authenticated_ago(307).sign();
    let res = call_with(&auth, "/recent", &token).await;
    assert_requires_step_up(&res, StatusCode::UNAUTHORIZED, None, Some(300));
}

#[actix_web::test]
async fn auth_time_in_the_future_is_accepted_as_recent() {
    // A clock ahead of ours says the login is recent: never older than max_age.
    let issuer = TestIssuer::hs256();
    let token = issuer.token().authenticated_ago(-30).sign();
    assert_eq!(
        call(&issuer, "/recent", &token).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn acr_and_auth_time_of_the_wrong_type_make_the_token_invalid() {
    let issuer = TestIssuer::hs256();
    for token in [
        issuer.token().claim("acr", 2).sign(),
        issuer.token().claim("auth_time", "yesterday").sign(),
        issuer.token().claim("auth_time", -5).sign(),
    ] {
        let res = call(&issuer, "/plain", &token).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let challenge = &challenges(res.headers())[0];
        assert_eq!(
            challenge.param("error"),
            Some("invalid_token"),
            "{challenge:?}"
        );
    }
}

#[actix_web::test]
async fn a_missing_scope_is_reported_before_a_step_up() {
    let issuer = TestIssuer::hs256();
    let token = issuer.token().scope("other").sign();
    let res = call(&issuer, "/settings", &token).await;
    assert_requires_scope(&res, "items:read");
}

#[actix_web::test]
async fn a_missing_role_is_reported_before_a_step_up() {
    let issuer = TestIssuer::hs256();
    let res = call(&issuer, "/admin", &issuer.token().sign()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    for challenge in challenges(res.headers()) {
        assert_ne!(
            challenge.param("error"),
            Some("insufficient_user_authentication")
        );
    }
    let token = issuer.token().claim("roles", json!(["admin"])).sign();
    let res = call(&issuer, "/admin", &token).await;
    assert_requires_step_up(&res, StatusCode::UNAUTHORIZED, None, Some(300));
}

#[actix_web::test]
async fn step_up_forbidden_answers_403_with_the_same_challenge() {
    let issuer = TestIssuer::hs256();
    let auth = issuer.builder().step_up_forbidden().build().unwrap();
    let token = issuer.token().scope("items:read").acr("pwd").sign();
    let res = call_with(&auth, "/settings", &token).await;
    assert_requires_step_up(&res, StatusCode::FORBIDDEN, Some(MFA), Some(300));
    assert_eq!(problem(res).await["status"], 403);
    // Invalid tokens are still 401.
    let res = call_with(&auth, "/settings", &issuer.token().expired().sign()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn step_up_challenge_names_the_resource_metadata_after_the_realm() {
    let issuer = TestIssuer::hs256().with_audience("https://api.example.com/");
    let auth = issuer
        .builder()
        .protected_resource(ProtectedResource::new("https://api.example.com/"))
        .build()
        .unwrap();
    let res = call_with(&auth, "/recent", &issuer.token().sign()).await;
    assert_requires_step_up(&res, StatusCode::UNAUTHORIZED, None, Some(300));
    assert_eq!(
        param_names(&res),
        [
            "realm",
            "resource_metadata",
            "error",
            "error_description",
            "max_age"
        ]
    );
    assert_eq!(
        challenges(res.headers())[0].param("resource_metadata"),
        Some("https://api.example.com/.well-known/oauth-protected-resource")
    );
}

#[actix_web::test]
async fn a_cached_token_is_checked_again_against_max_age() {
    // The verified-token cache keeps the principal; the age is read from the clock each time,
    // so a token reused on an endpoint with a stricter max_age is refused there.
    let issuer = TestIssuer::hs256();
    let auth = issuer.authenticator();
    let token = issuer
        .token()
        .scope("items:read")
        .acr(MFA)
        .authenticated_ago(200)
        .sign();
    assert_eq!(
        call_with(&auth, "/recent", &token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        call_with(&auth, "/settings", &token).await.status(),
        StatusCode::OK
    );
    let old = issuer
        .token()
        .scope("items:read")
        .authenticated_ago(400)
        .sign();
    assert_eq!(
        call_with(&auth, "/plain", &old).await.status(),
        StatusCode::OK,
        "no age requirement there"
    );
    assert_eq!(
        call_with(&auth, "/recent", &old).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
