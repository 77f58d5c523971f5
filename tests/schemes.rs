//! CONFORMANCE rows 8–11 over the real service: Basic, API keys, several schemes per endpoint,
//! custom schemes, roles and policies.

use std::sync::atomic::Ordering;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, test, web, App, HttpRequest, HttpResponse};
use auth_runtime::{
    requires, Authenticator, CustomScheme, Identity, PolicyDecision, Principal, Refusal, Scheme,
    StaticApiKeys, StaticUsers,
};
use auth_tests::*;
use base64::Engine;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// The application under test.

#[get("/reports")]
#[requires(scheme = any("Bearer", "Basic"), scope = "reports:read")]
async fn reports(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{} via {}",
        who.subject().unwrap_or("?"),
        who.scheme()
    ))
}

#[get("/basic-only")]
#[requires(scheme = "Basic")]
async fn basic_only(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or("?").to_owned())
}

#[get("/metrics")]
#[requires(scheme = "ApiKey", scope = "metrics:read")]
async fn metrics(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or("?").to_owned())
}

#[get("/admin")]
#[requires(role = any("admin", "owner"))]
async fn admin() -> HttpResponse {
    HttpResponse::Ok().body("admin area")
}

/// Denies requests that carry `X-Deny`, and users named mallory.
async fn not_mallory(principal: &Principal, req: &HttpRequest) -> PolicyDecision {
    if req.headers().contains_key("x-deny") || principal.subject() == Some("mallory") {
        PolicyDecision::Deny("denied_by_test_policy")
    } else {
        PolicyDecision::Allow
    }
}

#[get("/policy")]
#[requires(scheme = any("Bearer", "Basic"), policy = not_mallory)]
async fn policy() -> HttpResponse {
    HttpResponse::Ok().body("allowed")
}

/// A session cookie scheme: `Cookie: session=<user>`; the session `expired` is refused.
struct SessionCookie;

impl CustomScheme for SessionCookie {
    const NAME: &'static str = "Session";

    fn is_present(&self, req: &HttpRequest) -> bool {
        req.cookie("session").is_some()
    }

    async fn verify(&self, req: &HttpRequest) -> Result<Principal, Refusal> {
        match req.cookie("session") {
            // A scheme may refuse with Bearer's refusals too; the challenge stays its own.
            Some(cookie) if cookie.value() == "stale" => Err(Refusal::Expired),
            Some(cookie) if cookie.value() != "expired" => {
                Ok(Principal::user(Scheme::Custom(Self::NAME), cookie.value()))
            }
            _ => Err(Refusal::Rejected),
        }
    }
}

#[get("/session")]
#[requires(scheme = any(SessionCookie, "Bearer"))]
async fn session(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{} via {}",
        who.subject().unwrap_or("?"),
        who.scheme()
    ))
}

#[post("/upload")]
#[requires(scheme = "Basic")]
async fn upload(_seen: Tripwire, body: web::Json<Value>) -> HttpResponse {
    HttpResponse::Ok().json(body.into_inner())
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(reports)
        .service(basic_only)
        .service(metrics)
        .service(admin)
        .service(policy)
        .service(session)
        .service(upload);
}

fn users() -> StaticUsers {
    StaticUsers::new()
        .user("alice", "wonderland", ["reports:read"])
        .unwrap()
        .user("bob", "builder:with:colons", [])
        .unwrap()
        .user("mallory", "evil", ["reports:read"])
        .unwrap()
}

fn api_keys() -> StaticApiKeys {
    StaticApiKeys::new()
        .key("demo-key-123", "metrics-bot", ["metrics:read"])
        .unwrap()
        .key("no-scope-key", "idle-bot", [])
        .unwrap()
}

fn full_authenticator() -> Authenticator {
    builder()
        .basic(users())
        .api_keys(api_keys())
        .custom_scheme(SessionCookie)
        .build()
        .unwrap()
}

/// Built once: hashing the users' passwords is deliberately slow.
fn shared_authenticator() -> Authenticator {
    static AUTH: std::sync::OnceLock<Authenticator> = std::sync::OnceLock::new();
    AUTH.get_or_init(full_authenticator).clone()
}

async fn call(req: test::TestRequest) -> ServiceResponse {
    let app = test::init_service(
        App::new()
            .configure(shared_authenticator().configure())
            .configure(routes),
    )
    .await;
    app.call(req.to_request()).await.unwrap()
}

fn get(path: &str) -> test::TestRequest {
    test::TestRequest::get().uri(path)
}

fn basic(credentials: &[u8]) -> (&'static str, String) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    ("Authorization", format!("Basic {encoded}"))
}

fn challenges(res: &ServiceResponse) -> Vec<String> {
    res.headers()
        .get_all(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

const BASIC: &str = r#"Basic realm="test-realm", charset="UTF-8""#;
const BEARER: &str = r#"Bearer realm="test-realm""#;
const API_KEY: &str = r#"ApiKey realm="test-realm""#;
const SESSION: &str = r#"Session realm="test-realm""#;

/// Status, challenges and body of a response, for comparing refusals byte for byte.
async fn snapshot(res: ServiceResponse) -> (StatusCode, Vec<String>, Vec<u8>) {
    let status = res.status();
    let challenges = challenges(&res);
    let body = test::read_body(res).await.to_vec();
    (status, challenges, body)
}

async fn assert_forbidden_without_challenge(res: ServiceResponse) {
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        challenges(&res).is_empty(),
        "row 8 sends no insufficient_scope"
    );
    let error = res.response().error().expect("a refusal carries its error");
    assert_eq!(
        error.as_response_error().status_code(),
        StatusCode::FORBIDDEN
    );
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["status"], 403);
    assert_eq!(body["detail"], "Access to this resource is not allowed.");
    let text = body.to_string();
    assert!(!text.contains("role") && !text.contains("denied_by_test_policy"));
}

// ---------------------------------------------------------------------------------------------
// Row 8: roles and policies.

#[actix_rt::test]
async fn row_8_a_missing_role_is_403_without_a_challenge() {
    let res = call(get("/admin").insert_header(bearer(&token("")))).await;
    assert_forbidden_without_challenge(res).await;
}

#[actix_rt::test]
async fn row_8_any_listed_role_is_enough() {
    for roles in [json!(["owner"]), json!("viewer admin")] {
        let token = mint(
            jsonwebtoken::Algorithm::HS256,
            &claims_with("", json!({ "roles": roles })),
        );
        let res = call(get("/admin").insert_header(bearer(&token))).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

#[actix_rt::test]
async fn row_8_a_denying_policy_is_403_and_its_reason_stays_server_side() {
    let res = call(
        get("/policy")
            .insert_header(bearer(&token("")))
            .insert_header(("x-deny", "1")),
    )
    .await;
    assert_forbidden_without_challenge(res).await;
    let res = call(get("/policy").insert_header(basic(b"mallory:evil"))).await;
    assert_forbidden_without_challenge(res).await;
    let res = call(get("/policy").insert_header(basic(b"alice:wonderland"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "allowed");
}

#[actix_rt::test]
async fn row_8_a_policy_runs_only_after_authentication() {
    let res = call(get("/policy").insert_header(("x-deny", "1"))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [BEARER, BASIC]);
}

// ---------------------------------------------------------------------------------------------
// Row 9: several schemes.

#[actix_rt::test]
async fn row_9_no_credentials_gives_one_challenge_per_scheme_in_declaration_order() {
    let res = call(get("/reports")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [BEARER, BASIC]);

    let res = call(get("/session")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [SESSION, BEARER]);
}

#[actix_rt::test]
async fn row_9_an_undeclared_scheme_counts_as_none() {
    let res = call(get("/reports").insert_header(("x-api-key", "demo-key-123"))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [BEARER, BASIC]);
}

#[actix_rt::test]
async fn row_9_each_declared_scheme_works() {
    let res = call(get("/reports").insert_header(bearer(&token("reports:read")))).await;
    assert_eq!(test::read_body(res).await, "user-42 via Bearer");
    let res = call(get("/reports").insert_header(basic(b"alice:wonderland"))).await;
    assert_eq!(test::read_body(res).await, "alice via Basic");
    let res = call(get("/session").insert_header(("cookie", "session=carol"))).await;
    assert_eq!(test::read_body(res).await, "carol via Session");
}

#[actix_rt::test]
async fn row_9_failing_credentials_never_fall_through_to_another_scheme() {
    let expired = mint(
        jsonwebtoken::Algorithm::HS256,
        &claims_with("reports:read", json!({"exp": now() - 3600})),
    );
    let res = call(get("/reports").insert_header(bearer(&expired))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges(&res),
        [
            r#"Bearer realm="test-realm", error="invalid_token", error_description="The access token expired""#
        ]
    );

    let res = call(get("/reports").insert_header(basic(b"alice:wrong"))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [BASIC]);

    // A bad session is refused even though a valid Bearer token comes along.
    let res = call(
        get("/session")
            .insert_header(("cookie", "session=expired"))
            .insert_header(bearer(&token(""))),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [SESSION]);
}

#[actix_rt::test]
async fn a_custom_scheme_refusal_carries_its_own_challenge() {
    for cookie in ["session=expired", "session=stale"] {
        let res = call(get("/session").insert_header(("cookie", cookie))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(challenges(&res), [SESSION], "{cookie}");
    }
}

#[actix_rt::test]
async fn row_9_the_first_declared_scheme_present_is_the_one_verified() {
    let res = call(
        get("/session")
            .insert_header(("cookie", "session=carol"))
            .insert_header(bearer(&token(""))),
    )
    .await;
    assert_eq!(test::read_body(res).await, "carol via Session");
}

#[actix_rt::test]
async fn row_9_scopes_work_the_same_for_every_scheme() {
    let res = call(get("/reports").insert_header(basic(b"bob:builder:with:colons"))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        challenges(&res).is_empty(),
        "Basic has no insufficient_scope"
    );
    let res = call(get("/reports").insert_header(bearer(&token("other")))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenges(&res),
        [r#"Bearer realm="test-realm", error="insufficient_scope", scope="reports:read""#]
    );
}

// ---------------------------------------------------------------------------------------------
// Row 10: Basic.

#[actix_rt::test]
async fn row_10_basic_success_and_a_colon_in_the_password() {
    let res = call(get("/basic-only").insert_header(basic(b"bob:builder:with:colons"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "bob");
    let res = call(
        get("/basic-only")
            .insert_header(("Authorization", "bAsIc Ym9iOmJ1aWxkZXI6d2l0aDpjb2xvbnM=")),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "scheme names are case-insensitive"
    );
}

#[actix_rt::test]
async fn row_10_every_basic_failure_gets_the_identical_answer() {
    let reference = snapshot(call(get("/basic-only")).await).await;
    assert_eq!(reference.0, StatusCode::UNAUTHORIZED);
    assert_eq!(reference.1, [BASIC]);
    let failures: Vec<test::TestRequest> = vec![
        get("/basic-only").insert_header(("Authorization", "Basic")),
        get("/basic-only").insert_header(("Authorization", "Basic !!!not-base64")),
        get("/basic-only").insert_header(basic(b"alice")),
        get("/basic-only").insert_header(basic(b"nobody:wonderland")),
        get("/basic-only").insert_header(basic(b"alice:wonderlanD")),
        get("/basic-only").insert_header(basic(b"alice:wonder\0land")),
        get("/basic-only").insert_header(basic(b"alice:\xff\xfe")),
        get("/basic-only").insert_header(basic(b"ali\nce:wonderland")),
        get("/basic-only")
            .append_header(basic(b"alice:wonderland"))
            .append_header(basic(b"alice:wonderland")),
        get("/basic-only").insert_header(bearer(&token(""))),
        get("/basic-only").insert_header(("Authorization", "\"garbage\"")),
    ];
    for (index, req) in failures.into_iter().enumerate() {
        let answer = snapshot(call(req).await).await;
        assert_eq!(answer, reference, "failure #{index}");
        let body = String::from_utf8_lossy(&answer.2);
        assert!(!body.contains("alice") && !body.contains("wonderland"));
    }
}

#[actix_rt::test]
async fn row_10_an_async_verifier_still_runs_before_other_extractors() {
    let before = EXTRACTOR_RUNS.load(Ordering::SeqCst);
    let res = call(
        test::TestRequest::post()
            .uri("/upload")
            .insert_header(basic(b"alice:wrong"))
            .insert_header(("content-type", "application/json"))
            .set_payload("{ broken"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [BASIC]);
    assert_eq!(EXTRACTOR_RUNS.load(Ordering::SeqCst), before);

    // Authenticated: the body is read after the (asynchronous) password check.
    let res = call(
        test::TestRequest::post()
            .uri("/upload")
            .insert_header(basic(b"alice:wonderland"))
            .set_json(json!({"n": 1})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body_json::<Value, _>(res).await, json!({"n": 1}));
}

// ---------------------------------------------------------------------------------------------
// Row 11: API keys.

#[actix_rt::test]
async fn row_11_api_key_missing_or_wrong_is_401_with_an_apikey_challenge() {
    let reference = snapshot(call(get("/metrics")).await).await;
    assert_eq!(reference.0, StatusCode::UNAUTHORIZED);
    assert_eq!(reference.1, [API_KEY]);
    for req in [
        get("/metrics").insert_header(("x-api-key", "demo-key-124")),
        get("/metrics").insert_header(("x-api-key", "demo-key-12")),
        get("/metrics").insert_header(("x-api-key", "demo key")),
        get("/metrics").insert_header(("Authorization", "ApiKey demo-key-124")),
        get("/metrics")
            .insert_header(("x-api-key", "demo-key-123"))
            .insert_header(("Authorization", "ApiKey demo-key-123")),
        get("/metrics")
            .append_header(("x-api-key", "demo-key-123"))
            .append_header(("x-api-key", "demo-key-123")),
    ] {
        assert_eq!(snapshot(call(req).await).await, reference);
    }
}

#[actix_rt::test]
async fn row_11_a_valid_key_in_either_place_is_accepted() {
    let res = call(get("/metrics").insert_header(("X-API-Key", "demo-key-123"))).await;
    assert_eq!(test::read_body(res).await, "metrics-bot");
    let res = call(get("/metrics").insert_header(("Authorization", "apikey demo-key-123"))).await;
    assert_eq!(test::read_body(res).await, "metrics-bot");
}

#[actix_rt::test]
async fn row_11_a_key_without_the_scope_is_403() {
    let res = call(get("/metrics").insert_header(("x-api-key", "no-scope-key"))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(challenges(&res).is_empty());
}

/// Accepts every key it is asked about, and counts them.
#[derive(Clone, Default)]
struct AcceptsAnyKey(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl auth_runtime::ApiKeyVerifier for AcceptsAnyKey {
    async fn verify(&self, key: &str, _: &HttpRequest) -> Option<Principal> {
        self.0.fetch_add(1, Ordering::SeqCst);
        let scopes = ["metrics:read"].into_iter().collect();
        Some(Principal::new(
            Scheme::ApiKey,
            scopes,
            json!({ "sub": key }),
        ))
    }
}

#[actix_rt::test]
async fn row_11_a_key_that_is_not_1_to_1024_visible_characters_never_reaches_the_verifier() {
    let verifier = AcceptsAnyKey::default();
    let auth = Authenticator::builder()
        .realm(REALM)
        .api_keys(verifier.clone())
        .build()
        .unwrap();
    let app = test::init_service(App::new().configure(auth.configure()).configure(routes)).await;
    let longest = "k".repeat(1024);
    let res = app
        .call(
            get("/metrics")
                .insert_header(("x-api-key", longest.as_str()))
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(verifier.0.load(Ordering::SeqCst), 1);
    let too_long = "k".repeat(1025);
    for key in ["demo key", "demo-key-\u{e9}", too_long.as_str(), ""] {
        let res = app
            .call(
                get("/metrics")
                    .insert_header(("x-api-key", key))
                    .to_request(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{key:?}");
        assert_eq!(challenges(&res), [API_KEY]);
    }
    assert_eq!(
        verifier.0.load(Ordering::SeqCst),
        1,
        "refused before the verifier"
    );
}

#[actix_rt::test]
async fn the_api_key_header_is_configurable() {
    let auth = Authenticator::builder()
        .realm(REALM)
        .api_keys(api_keys())
        .api_key_header("X-Service-Token")
        .build()
        .unwrap();
    let app = test::init_service(App::new().configure(auth.configure()).configure(routes)).await;
    let res = app
        .call(
            get("/metrics")
                .insert_header(("x-service-token", "demo-key-123"))
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .call(
            get("/metrics")
                .insert_header(("x-api-key", "demo-key-123"))
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[actix_rt::test]
async fn a_scheme_the_authenticator_lacks_is_a_500_with_a_log_line_not_a_panic() {
    let (_logging, log) = capture_logs(tracing::Level::ERROR);
    let bearer_only = authenticator();
    let app = test::init_service(
        App::new()
            .configure(bearer_only.configure())
            .configure(routes),
    )
    .await;
    refresh_log_interest();
    let res = app
        .call(
            get("/basic-only")
                .insert_header(basic(b"alice:wonderland"))
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    // A scheme named in an attribute but never registered.
    let res = app.call(get("/session").to_request()).await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    // Each is an error for the operator, naming the scheme and what to configure.
    let logged = log.text();
    let lines: Vec<&str> = logged.lines().collect();
    assert_eq!(lines.len(), 2, "{logged}");
    for (line, scheme) in lines.iter().zip(["Basic", "Session"]) {
        assert!(
            line.contains("ERROR")
                && line.contains(r#"reason="not_configured""#)
                && line.contains(&format!("accepts the {scheme} scheme"))
                && line.contains("configure it on `Authenticator::builder()`"),
            "{line}"
        );
    }
}

#[actix_rt::test]
async fn identity_without_the_attribute_accepts_every_configured_scheme() {
    async fn whoami(who: Identity) -> HttpResponse {
        HttpResponse::Ok().body(who.scheme().to_string())
    }
    let app = test::init_service(
        App::new()
            .configure(shared_authenticator().configure())
            .route("/whoami", web::get().to(whoami)),
    )
    .await;
    let res = app.call(get("/whoami").to_request()).await.unwrap();
    assert_eq!(challenges(&res), [BEARER, BASIC, API_KEY, SESSION]);
    for (header, expected) in [
        (basic(b"alice:wonderland"), "Basic"),
        (("x-api-key", "demo-key-123".to_owned()), "ApiKey"),
        (("cookie", "session=dave".to_owned()), "Session"),
    ] {
        let res = app
            .call(get("/whoami").insert_header(header).to_request())
            .await
            .unwrap();
        assert_eq!(test::read_body(res).await, expected);
    }
}

#[actix_rt::test]
async fn plaintext_passwords_and_keys_never_show_in_debug_output() {
    let auth = full_authenticator();
    let text = format!("{auth:?} {:?} {:?}", users(), api_keys());
    for secret in [
        "wonderland",
        "builder:with:colons",
        "demo-key-123",
        "TEST-ONLY",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Every refusal an endpoint produces carries that endpoint's schemes and realm, wherever it is
// produced: the guard, or an extractor after it (`Identity`, `Claims<T>`, `Optional`).

/// Claims a Basic user's principal cannot fill: it has only `sub`.
#[derive(serde::Deserialize)]
struct TenantClaims {
    #[allow(dead_code)]
    tenant: String,
}

#[get("/admin-claims")]
#[requires(scheme = "Basic", realm = "admin")]
async fn admin_claims(_claims: auth_runtime::Claims<TenantClaims>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/admin-optional-claims")]
#[requires(scheme = "Basic", realm = "admin", optional)]
async fn admin_optional_claims(
    _claims: Option<auth_runtime::Claims<TenantClaims>>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/admin-identity")]
#[requires(scheme = "Basic", realm = "admin", optional)]
async fn admin_identity(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or("?").to_owned())
}

/// No attribute: the extractor authenticates with any configured scheme.
async fn plain_claims(_claims: auth_runtime::Claims<TenantClaims>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn call_endpoint_realm(req: test::TestRequest) -> ServiceResponse {
    let app = test::init_service(
        App::new()
            .configure(shared_authenticator().configure())
            .service(admin_claims)
            .service(admin_optional_claims)
            .service(admin_identity)
            .route("/plain-claims", web::get().to(plain_claims)),
    )
    .await;
    app.call(req.to_request()).await.unwrap()
}

const ADMIN_BASIC: &str = r#"Basic realm="admin", charset="UTF-8""#;

#[actix_rt::test]
async fn the_guard_answers_with_the_endpoints_scheme_and_realm() {
    let res = call_endpoint_realm(get("/admin-claims")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [ADMIN_BASIC]);
}

#[actix_rt::test]
async fn claims_that_do_not_fit_are_refused_with_the_endpoints_scheme_and_realm() {
    let res =
        call_endpoint_realm(get("/admin-claims").insert_header(basic(b"alice:wonderland"))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [ADMIN_BASIC]);
}

#[actix_rt::test]
async fn optional_claims_that_do_not_fit_are_refused_with_the_endpoints_scheme_and_realm() {
    let res = call_endpoint_realm(
        get("/admin-optional-claims").insert_header(basic(b"alice:wonderland")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [ADMIN_BASIC]);
    // Without credentials, the optional endpoint runs its handler.
    let res = call_endpoint_realm(get("/admin-optional-claims")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn an_identity_an_optional_endpoint_did_not_get_is_refused_with_the_endpoints_realm() {
    let res = call_endpoint_realm(get("/admin-identity")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [ADMIN_BASIC]);
    let res =
        call_endpoint_realm(get("/admin-identity").insert_header(basic(b"alice:wonderland"))).await;
    assert_eq!(test::read_body(res).await, "alice");
}

#[actix_rt::test]
async fn claims_without_the_attribute_are_refused_with_the_principals_own_scheme() {
    let res =
        call_endpoint_realm(get("/plain-claims").insert_header(basic(b"alice:wonderland"))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [BASIC]);
    // A Bearer token whose claims do not fit keeps Bearer's `invalid_token`.
    let res = call_endpoint_realm(get("/plain-claims").insert_header(bearer(&token("read")))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges(&res),
        [
            r#"Bearer realm="test-realm", error="invalid_token", error_description="The access token is invalid""#
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Scheme names: each a token, none used twice.

/// A custom scheme that never finds credentials, named `NAME`.
macro_rules! named_scheme {
    ($type:ident, $name:literal) => {
        struct $type;

        impl CustomScheme for $type {
            const NAME: &'static str = $name;

            fn is_present(&self, _req: &HttpRequest) -> bool {
                false
            }

            async fn verify(&self, _req: &HttpRequest) -> Result<Principal, Refusal> {
                Err(Refusal::Rejected)
            }
        }
    };
}

named_scheme!(LowerSession, "session");
named_scheme!(SpacedName, "Two Words");
named_scheme!(EmptyName, "");
named_scheme!(LowerBasic, "basic");
named_scheme!(OtherName, "Ticket");

#[actix_web::test]
async fn a_scheme_name_used_twice_or_not_a_token_is_refused_at_build() {
    let refused = |builder: auth_runtime::AuthenticatorBuilder| match builder.build() {
        Err(auth_runtime::ConfigError::InvalidSchemeName(name)) => name,
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("built"),
    };
    // Names are compared case-insensitively, as clients compare schemes.
    let twice = Authenticator::builder()
        .custom_scheme(SessionCookie)
        .custom_scheme(LowerSession);
    assert_eq!(refused(twice), "session");
    let builtin = Authenticator::builder()
        .basic(StaticUsers::new())
        .custom_scheme(LowerBasic);
    assert_eq!(refused(builtin), "basic");
    assert_eq!(
        refused(Authenticator::builder().custom_scheme(SpacedName)),
        "Two Words"
    );
    assert_eq!(
        refused(Authenticator::builder().custom_scheme(EmptyName)),
        ""
    );
    // Distinct tokens are fine.
    Authenticator::builder()
        .custom_scheme(SessionCookie)
        .custom_scheme(OtherName)
        .basic(StaticUsers::new())
        .build()
        .expect("two custom schemes and Basic");
}

#[actix_web::test]
async fn the_authenticator_reads_back_its_configuration() {
    let default = Authenticator::builder()
        .basic(StaticUsers::new())
        .build()
        .unwrap();
    assert_eq!(default.realm(), "api");
    assert!(!default.denies_by_default());
    assert!(default.public_routes().is_empty());

    let auth = Authenticator::builder()
        .realm("reports")
        .basic(StaticUsers::new())
        .custom_scheme(SessionCookie)
        .deny_by_default()
        .public_route("/static")
        .build()
        .unwrap();
    assert_eq!(auth.realm(), "reports");
    assert_eq!(auth.schemes(), [Scheme::Basic, Scheme::Custom("Session")]);
    assert!(auth.denies_by_default());
    assert_eq!(auth.public_routes(), ["/static"]);
    let debug = format!("{auth:?}");
    assert!(
        debug.starts_with("Authenticator {")
            && debug.contains(r#"realm: "reports""#)
            && debug.contains("Basic")
            && debug.contains("Session"),
        "{debug}"
    );
}
