//! Scope hierarchies (`scope_implies`), over the real actix service: a broader scope satisfies
//! requirements on the narrower ones it implies, for every scheme and through chains, while an
//! `insufficient_scope` challenge still names the smallest declared set (CONFORMANCE row 7).

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{get, test, web, App, HttpResponse};
use auth_runtime::testing::{assert_requires_scope, challenges, TestIssuer, TestRequestExt};
use auth_runtime::{requires, Authenticator, ConfigError, Identity, StaticApiKeys};

const API_KEY: &str = "k-admin-0123456789abcdef";

#[get("/items")]
#[requires(scope = "items:read")]
async fn read_items(who: Identity) -> HttpResponse {
    let mut scopes: Vec<&str> = who.scopes().iter().collect();
    scopes.sort_unstable();
    HttpResponse::Ok().body(scopes.join(" "))
}

#[get("/items/edit")]
#[requires(scope = all("items:read", "items:write"))]
async fn edit_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/users")]
#[requires(scope = any("users:read", "users:audit"))]
async fn users() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/service")]
#[requires(scheme = "ApiKey", scope = "items:write")]
async fn service() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(read_items)
        .service(edit_items)
        .service(users)
        .service(service);
}

fn authenticator(issuer: &TestIssuer) -> Authenticator {
    issuer
        .builder()
        .scope_implies("admin", ["items:admin", "users:admin"])
        .scope_implies("items:admin", ["items:read", "items:write"])
        .scope_implies("users:admin", ["users:read"])
        .api_keys(
            StaticApiKeys::new()
                .key(API_KEY, "svc", ["items:admin"])
                .unwrap(),
        )
        .build()
        .unwrap()
}

async fn call(auth: &Authenticator, req: test::TestRequest) -> ServiceResponse {
    let app = test::init_service(App::new().configure(auth.configure()).configure(routes)).await;
    app.call(req.to_request()).await.unwrap()
}

async fn status(auth: &Authenticator, path: &str, scope: &str, issuer: &TestIssuer) -> StatusCode {
    let token = issuer.token().scope(scope).sign();
    call(auth, test::TestRequest::get().uri(path).bearer(&token))
        .await
        .status()
}

#[actix_web::test]
async fn a_broader_scope_satisfies_the_narrower_ones() {
    let issuer = TestIssuer::hs256();
    let auth = authenticator(&issuer);
    assert_eq!(
        status(&auth, "/items", "items:admin", &issuer).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&auth, "/items/edit", "items:admin", &issuer).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&auth, "/users", "users:admin", &issuer).await,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn chains_are_followed() {
    let issuer = TestIssuer::hs256();
    let auth = authenticator(&issuer);
    for path in ["/items", "/items/edit", "/users"] {
        assert_eq!(
            status(&auth, path, "admin", &issuer).await,
            StatusCode::OK,
            "{path}"
        );
    }
}

#[actix_web::test]
async fn the_handler_sees_the_implied_scopes() {
    let issuer = TestIssuer::hs256();
    let auth = authenticator(&issuer);
    let token = issuer.token().scope("items:admin").sign();
    let res = call(&auth, test::TestRequest::get().uri("/items").bearer(&token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = test::read_body(res).await;
    assert_eq!(body, "items:admin items:read items:write");
}

#[actix_web::test]
async fn narrower_scopes_never_imply_broader_ones() {
    let issuer = TestIssuer::hs256();
    let auth = authenticator(&issuer);
    let token = issuer
        .token()
        .scope("items:read items:write users:read")
        .sign();
    for path in ["/items", "/items/edit", "/users"] {
        let res = call(&auth, test::TestRequest::get().uri(path).bearer(&token)).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    let token = issuer.token().scope("items:read").sign();
    let res = call(
        &auth,
        test::TestRequest::get().uri("/items/edit").bearer(&token),
    )
    .await;
    assert_requires_scope(&res, "items:write");
}

#[actix_web::test]
async fn insufficient_scope_names_the_declared_scopes_not_a_broader_one() {
    let issuer = TestIssuer::hs256();
    let auth = authenticator(&issuer);
    let token = issuer.token().scope("users:admin").sign();
    let res = call(
        &auth,
        test::TestRequest::get().uri("/items/edit").bearer(&token),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let challenge = &challenges(res.headers())[0];
    assert_eq!(challenge.param("error"), Some("insufficient_scope"));
    assert_eq!(challenge.param("scope"), Some("items:read items:write"));
}

#[actix_web::test]
async fn hierarchies_apply_to_every_scheme() {
    let issuer = TestIssuer::hs256();
    let auth = authenticator(&issuer);
    let req = test::TestRequest::get().uri("/service").api_key(API_KEY);
    assert_eq!(call(&auth, req).await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn without_rules_scopes_are_taken_as_they_are() {
    let issuer = TestIssuer::hs256();
    let auth = issuer.authenticator();
    assert_eq!(
        status(&auth, "/items", "items:admin", &issuer).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(&auth, "/items", "items:read", &issuer).await,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn rules_with_invalid_scope_tokens_stop_the_build() {
    let issuer = TestIssuer::hs256();
    for (broader, narrower) in [
        ("items admin", "items:read"),
        ("admin", ""),
        ("admin", "a\"b"),
    ] {
        let error = issuer
            .builder()
            .scope_implies(broader, [narrower])
            .build()
            .unwrap_err();
        assert!(matches!(error, ConfigError::InvalidScope(_)), "{error}");
    }
}
