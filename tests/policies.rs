//! Policies that take actix-web extractors after the principal (`#[requires(policy = ..)]`):
//! extracted after authentication, scopes and roles; a policy whose input cannot be extracted
//! denies; the handler's own extractors (the body among them) are untouched.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::http::StatusCode;
use actix_web::{get, put, test, web, App, HttpRequest, HttpResponse};
use auth_runtime::testing::{assert_forbidden, TestIssuer, TestRequestExt};
use auth_runtime::{requires, Identity, PolicyDecision, Principal};

/// Who owns which document, and how often a policy looked.
struct Store {
    owners: HashMap<u64, &'static str>,
    lookups: AtomicUsize,
}

/// The owner of the document in the path, looked up in the application's store.
async fn is_owner(
    principal: &Principal,
    id: web::Path<u64>,
    store: web::Data<Store>,
) -> PolicyDecision {
    store.lookups.fetch_add(1, Ordering::Relaxed);
    match store.owners.get(&id.into_inner()) {
        Some(owner) if principal.subject() == Some(*owner) => PolicyDecision::Allow,
        _ => PolicyDecision::Deny("not_owner"),
    }
}

/// Only the principal: every subject but `mallory`.
async fn not_mallory(principal: &Principal) -> PolicyDecision {
    match principal.subject() {
        Some("mallory") => PolicyDecision::Deny("mallory"),
        _ => PolicyDecision::Allow,
    }
}

/// The request, as before extractors were possible.
async fn same_tenant(principal: &Principal, req: &HttpRequest) -> PolicyDecision {
    let claimed = principal.claim("tenant").and_then(|value| value.as_str());
    if claimed.is_some() && claimed == req.match_info().get("tenant") {
        PolicyDecision::Allow
    } else {
        PolicyDecision::Deny("other_tenant")
    }
}

/// Wants the body, which belongs to the handler.
async fn reads_the_body(_: &Principal, _: web::Json<serde_json::Value>) -> PolicyDecision {
    PolicyDecision::Allow
}

#[get("/documents/{id}")]
#[requires(scope = "documents:read", policy = is_owner)]
async fn document(id: web::Path<u64>, who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(format!("{} reads {id}", who.subject().unwrap_or_default()))
}

#[put("/documents/{id}")]
#[requires(scope = "documents:write", policy = is_owner)]
async fn replace(id: web::Path<u64>, body: web::Json<serde_json::Value>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{id}: {}", body["title"]))
}

#[get("/lobby")]
#[requires(policy = not_mallory)]
async fn lobby() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/tenants/{tenant}")]
#[requires(policy = same_tenant)]
async fn tenant() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[put("/drafts")]
#[requires(policy = reads_the_body)]
async fn draft(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok().body(body)
}

/// `GET uri` with a Bearer `token`.
fn get(uri: &str, token: &str) -> actix_http::Request {
    test::TestRequest::get().uri(uri).bearer(token).to_request()
}

fn store() -> web::Data<Store> {
    web::Data::new(Store {
        owners: HashMap::from([(1, "alice"), (2, "bob")]),
        lookups: AtomicUsize::new(0),
    })
}

async fn service(
    issuer: &TestIssuer,
    store: web::Data<Store>,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new()
            .configure(issuer.authenticator().configure())
            .app_data(store)
            .service(document)
            .service(replace)
            .service(lobby)
            .service(tenant)
            .service(draft),
    )
    .await
}

#[actix_rt::test]
async fn a_policy_gets_the_path_and_the_apps_data_after_authentication() {
    let issuer = TestIssuer::es256();
    let store = store();
    let app = service(&issuer, store.clone()).await;
    let alice = issuer
        .token()
        .subject("alice")
        .scope("documents:read")
        .sign();

    let res = test::call_service(&app, get("/documents/1", &alice)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "alice reads 1");

    let res = test::call_service(&app, get("/documents/2", &alice)).await;
    assert_forbidden(&res);
    let res = test::call_service(&app, get("/documents/3", &alice)).await;
    assert_forbidden(&res);
    assert_eq!(store.lookups.load(Ordering::Relaxed), 3);

    // Missing credentials and a missing scope are answered before the policy runs.
    let res = test::call_service(
        &app,
        test::TestRequest::get().uri("/documents/1").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let unscoped = issuer.token().subject("alice").sign();
    let res = test::call_service(&app, get("/documents/1", &unscoped)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        store.lookups.load(Ordering::Relaxed),
        3,
        "the policy ran before the checks"
    );
}

#[actix_rt::test]
async fn a_policy_whose_extractor_fails_denies() {
    let issuer = TestIssuer::es256();
    let store = store();
    let app = service(&issuer, store.clone()).await;
    let alice = issuer
        .token()
        .subject("alice")
        .scope("documents:read")
        .sign();
    // `abc` is not a `u64`: the policy cannot decide, so it does not allow.
    let res = test::call_service(&app, get("/documents/abc", &alice)).await;
    assert_forbidden(&res);
    assert_eq!(store.lookups.load(Ordering::Relaxed), 0);

    // The app's data missing is the same: denied, never a 500 or an open door.
    let app = test::init_service(
        App::new()
            .configure(issuer.authenticator().configure())
            .service(document),
    )
    .await;
    let res = test::call_service(&app, get("/documents/1", &alice)).await;
    assert_forbidden(&res);
}

#[actix_rt::test]
async fn the_handler_still_reads_the_body_after_the_policy() {
    let issuer = TestIssuer::es256();
    let app = service(&issuer, store()).await;
    let bob = issuer
        .token()
        .subject("bob")
        .scope("documents:write")
        .sign();
    let put = |id: u64, token: &str| {
        test::TestRequest::put()
            .uri(&format!("/documents/{id}"))
            .bearer(token)
            .set_json(serde_json::json!({"title": "minutes"}))
            .to_request()
    };
    let res = test::call_service(&app, put(2, &bob)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "2: \"minutes\"");
    assert_forbidden(&test::call_service(&app, put(1, &bob)).await);

    // A policy cannot take the body: it stays the handler's, and the policy denies.
    let res = test::call_service(
        &app,
        test::TestRequest::put()
            .uri("/drafts")
            .bearer(&bob)
            .set_json(serde_json::json!({"title": "draft"}))
            .to_request(),
    )
    .await;
    assert_forbidden(&res);
}

#[actix_rt::test]
async fn a_policy_may_take_the_principal_alone_or_the_request() {
    let issuer = TestIssuer::es256();
    let app = service(&issuer, store()).await;

    let alice = issuer
        .token()
        .subject("alice")
        .claim("tenant", "acme")
        .sign();
    let mallory = issuer
        .token()
        .subject("mallory")
        .claim("tenant", "acme")
        .sign();
    assert_eq!(
        test::call_service(&app, get("/lobby", &alice))
            .await
            .status(),
        StatusCode::OK
    );
    assert_forbidden(&test::call_service(&app, get("/lobby", &mallory)).await);
    assert_eq!(
        test::call_service(&app, get("/tenants/acme", &alice))
            .await
            .status(),
        StatusCode::OK
    );
    assert_forbidden(&test::call_service(&app, get("/tenants/globex", &alice)).await);
}
