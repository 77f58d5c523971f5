//! Protected resource metadata (RFC 9728; CONFORMANCE rows 16 and 17) and the audience it
//! implies (RFC 8707), over the real actix service and, for the discovery flow of OAuth 2.1 and
//! Model Context Protocol clients, over real HTTP on 127.0.0.1.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::{get, test, web, App, HttpResponse, HttpServer};
use auth_runtime::testing::{challenges, ParsedChallenge, TestIssuer, TestRequestExt, TEST_REALM};
use auth_runtime::{
    requires, Authenticator, ConfigError, Identity, Key, ProtectedResource, StaticApiKeys,
};
use serde_json::{json, Value};

const RESOURCE: &str = "https://api.example.com/v1";
const METADATA_URL: &str = "https://api.example.com/.well-known/oauth-protected-resource/v1";

#[get("/items")]
#[requires(scope = "items:read")]
async fn items(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or("?").to_owned())
}

#[get("/either")]
#[requires(scheme = any("Bearer", "ApiKey"))]
async fn either() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn routes(config: &mut web::ServiceConfig) {
    config.service(items).service(either);
}

/// An issuer whose tokens carry `aud` = the resource identifier.
fn issuer() -> TestIssuer {
    TestIssuer::es256().with_audience(RESOURCE)
}

/// The issuer's authenticator without an explicit audience, publishing `resource`.
fn authenticator(issuer: &TestIssuer, resource: ProtectedResource) -> Authenticator {
    Authenticator::builder()
        .realm(TEST_REALM)
        .issuer("https://issuer.test")
        .key(issuer.key())
        .protected_resource(resource)
        .build()
        .unwrap()
}

async fn call(auth: &Authenticator, req: test::TestRequest) -> ServiceResponse {
    let app = test::init_service(App::new().configure(auth.configure()).configure(routes)).await;
    app.call(req.to_request()).await.unwrap()
}

fn get(path: &str) -> test::TestRequest {
    test::TestRequest::get().uri(path)
}

/// The one Bearer challenge of `res`, checked to name the metadata URL right after the realm.
#[track_caller]
fn bearer_challenge_with_metadata(res: &ServiceResponse) -> ParsedChallenge {
    let found = challenges(res.headers());
    let bearer = found
        .iter()
        .find(|challenge| challenge.scheme == "Bearer")
        .unwrap_or_else(|| panic!("no Bearer challenge in {found:?}"))
        .clone();
    let names: Vec<&str> = bearer
        .params
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(names[..2], ["realm", "resource_metadata"], "{bearer:?}");
    assert_eq!(bearer.param("resource_metadata"), Some(METADATA_URL));
    bearer
}

async fn json_body(res: ServiceResponse) -> Value {
    serde_json::from_slice(&test::read_body(res).await).unwrap()
}

#[actix_web::test]
async fn metadata_is_served_at_the_path_suffixed_well_known_url() {
    let issuer = issuer();
    let auth = authenticator(
        &issuer,
        ProtectedResource::new(RESOURCE)
            .name("Items API")
            .documentation("https://docs.example.com/items")
            .policy_uri("https://example.com/policy")
            .tos_uri("https://example.com/tos")
            .scopes_supported(["items:read", "items:write"]),
    );
    assert_eq!(auth.resource_metadata_url(), Some(METADATA_URL));
    assert_eq!(
        auth.resource_metadata_paths(),
        [
            "/.well-known/oauth-protected-resource/v1",
            "/.well-known/oauth-protected-resource"
        ]
    );
    let res = call(&auth, get("/.well-known/oauth-protected-resource/v1")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    assert_eq!(
        res.headers().get(header::CACHE_CONTROL).unwrap(),
        "public, max-age=3600"
    );
    assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
    assert_eq!(
        json_body(res).await,
        json!({
            "resource": RESOURCE,
            "authorization_servers": ["https://issuer.test"],
            "scopes_supported": ["items:read", "items:write"],
            "bearer_methods_supported": ["header"],
            "resource_name": "Items API",
            "resource_documentation": "https://docs.example.com/items",
            "resource_policy_uri": "https://example.com/policy",
            "resource_tos_uri": "https://example.com/tos",
        })
    );
}

#[actix_web::test]
async fn the_bare_well_known_path_serves_the_same_document() {
    let issuer = issuer();
    let auth = authenticator(&issuer, ProtectedResource::new(RESOURCE));
    let suffixed =
        json_body(call(&auth, get("/.well-known/oauth-protected-resource/v1")).await).await;
    let res = call(&auth, get("/.well-known/oauth-protected-resource")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_body(res).await, suffixed);
    assert_eq!(suffixed["resource"], RESOURCE);
    assert!(
        suffixed.get("jwks_uri").is_none(),
        "the resource publishes no keys"
    );
    assert!(
        suffixed.get("scopes_supported").is_none(),
        "none configured"
    );
    let res = call(&auth, get("/.well-known/oauth-protected-resource/v2")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_host_only_identifier_is_served_at_the_bare_well_known_path() {
    let issuer = TestIssuer::hs256().with_audience("https://api.example.com");
    let auth = authenticator(&issuer, ProtectedResource::new("https://api.example.com"));
    assert_eq!(
        auth.resource_metadata_url(),
        Some("https://api.example.com/.well-known/oauth-protected-resource")
    );
    assert_eq!(
        auth.resource_metadata_paths(),
        ["/.well-known/oauth-protected-resource"]
    );
    let res = call(&auth, get("/.well-known/oauth-protected-resource")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_body(res).await["resource"], "https://api.example.com");
}

#[actix_web::test]
async fn metadata_never_asks_for_credentials() {
    let issuer = issuer();
    let auth = authenticator(&issuer, ProtectedResource::new(RESOURCE));
    for req in [
        get("/.well-known/oauth-protected-resource/v1").bearer("not-a-valid-token"),
        get("/.well-known/oauth-protected-resource/v1").bearer(&issuer.token().expired().sign()),
        get("/.well-known/oauth-protected-resource/v1")
            .insert_header(("Authorization", "Basic ???")),
        test::TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri("/.well-known/oauth-protected-resource/v1"),
    ] {
        let res = call(&auth, req).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
    }
}

#[actix_web::test]
async fn authorization_servers_can_be_named() {
    let issuer = issuer();
    let auth = authenticator(
        &issuer,
        ProtectedResource::new(RESOURCE)
            .authorization_server("https://as.example.com")
            .authorization_server("https://as2.example.com/tenant"),
    );
    let document = json_body(call(&auth, get("/.well-known/oauth-protected-resource")).await).await;
    assert_eq!(
        document["authorization_servers"],
        json!(["https://as.example.com", "https://as2.example.com/tenant"])
    );
}

#[actix_web::test]
async fn missing_credentials_401_names_the_metadata_after_the_realm() {
    let auth = authenticator(&issuer(), ProtectedResource::new(RESOURCE));
    let res = call(&auth, get("/items")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let challenge = bearer_challenge_with_metadata(&res);
    assert_eq!(challenge.params.len(), 2, "no error: {challenge:?}");
    assert_eq!(
        res.headers().get(header::WWW_AUTHENTICATE).unwrap(),
        format!(r#"Bearer realm="{TEST_REALM}", resource_metadata="{METADATA_URL}""#).as_str()
    );
}

#[actix_web::test]
async fn invalid_expired_and_malformed_tokens_name_the_metadata() {
    let issuer = issuer();
    let auth = authenticator(&issuer, ProtectedResource::new(RESOURCE));
    for (req, status, error) in [
        (
            get("/items").bearer("a.b.c"),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            get("/items").bearer(&issuer.token().expired().sign()),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            get("/items").insert_header(("Authorization", "Bearer two words")),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ] {
        let res = call(&auth, req).await;
        assert_eq!(res.status(), status);
        let challenge = bearer_challenge_with_metadata(&res);
        assert_eq!(challenge.param("error"), Some(error));
    }
}

#[actix_web::test]
async fn insufficient_scope_403_names_the_metadata() {
    let issuer = issuer();
    let auth = authenticator(&issuer, ProtectedResource::new(RESOURCE));
    let res = call(
        &auth,
        get("/items").bearer(&issuer.token().scope("other").sign()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let challenge = bearer_challenge_with_metadata(&res);
    assert_eq!(challenge.param("error"), Some("insufficient_scope"));
    assert_eq!(challenge.param("scope"), Some("items:read"));
}

#[actix_web::test]
async fn only_the_bearer_challenge_of_several_names_the_metadata() {
    let issuer = issuer();
    let auth = Authenticator::builder()
        .realm(TEST_REALM)
        .key(issuer.key())
        .api_keys(
            StaticApiKeys::new()
                .key("k-0123456789abcdef", "svc", [])
                .unwrap(),
        )
        .protected_resource(ProtectedResource::new(RESOURCE))
        .build()
        .unwrap();
    let res = call(&auth, get("/either")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let found = challenges(res.headers());
    assert_eq!(found.len(), 2, "{found:?}");
    bearer_challenge_with_metadata(&res);
    assert_eq!(found[1].scheme, "ApiKey");
    assert_eq!(found[1].param("resource_metadata"), None);
}

#[actix_web::test]
async fn without_a_protected_resource_nothing_is_published() {
    let issuer = TestIssuer::hs256();
    let auth = issuer.authenticator();
    assert_eq!(auth.resource_metadata_url(), None);
    assert!(auth.resource_metadata_paths().is_empty());
    let res = call(&auth, get("/.well-known/oauth-protected-resource")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = call(&auth, get("/items")).await;
    let found = challenges(res.headers());
    assert_eq!(found[0].param("resource_metadata"), None);
}

// ---------------------------------------------------------------------------------------------
// RFC 8707: the resource identifier is the audience.

#[actix_web::test]
async fn a_token_for_the_resource_is_accepted() {
    let issuer = issuer();
    let auth = authenticator(&issuer, ProtectedResource::new(RESOURCE));
    for token in [
        issuer.token().scope("items:read").sign(),
        issuer
            .token()
            .scope("items:read")
            .claim("aud", json!(["https://other.example.com", RESOURCE]))
            .sign(),
    ] {
        let res = call(&auth, get("/items").bearer(&token)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

#[actix_web::test]
async fn a_token_for_another_audience_or_an_id_token_is_refused() {
    let issuer = issuer();
    let auth = authenticator(&issuer, ProtectedResource::new(RESOURCE));
    for token in [
        issuer
            .token()
            .scope("items:read")
            .audience("https://api.example.com/v2")
            .sign(),
        issuer
            .token()
            .scope("items:read")
            .audience("https://api.example.com")
            .sign(),
        // An ID token: its audience is the client's id.
        issuer
            .token()
            .scope("items:read")
            .audience("my-client-id")
            .sign(),
        issuer
            .token()
            .scope("items:read")
            .claim("aud", json!([]))
            .sign(),
    ] {
        let res = call(&auth, get("/items").bearer(&token)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let challenge = bearer_challenge_with_metadata(&res);
        assert_eq!(challenge.param("error"), Some("invalid_token"));
    }
}

#[actix_web::test]
async fn configured_audiences_replace_the_resource_identifier() {
    let issuer = issuer();
    let auth = Authenticator::builder()
        .realm(TEST_REALM)
        .key(issuer.key())
        .audience("api-a")
        .audience("api-b")
        .protected_resource(ProtectedResource::new(RESOURCE))
        .build()
        .unwrap();
    for (audience, status) in [
        ("api-a", StatusCode::OK),
        ("api-b", StatusCode::OK),
        (RESOURCE, StatusCode::UNAUTHORIZED),
    ] {
        let token = issuer.token().scope("items:read").audience(audience).sign();
        let res = call(&auth, get("/items").bearer(&token)).await;
        assert_eq!(res.status(), status, "{audience}");
    }
}

// ---------------------------------------------------------------------------------------------
// Start-up checks.

#[actix_web::test]
async fn identifiers_that_are_not_https_or_carry_secrets_stop_the_build() {
    let key = || Key::hs256(b"TEST-ONLY-0123456789abcdef0123456789").unwrap();
    for identifier in [
        "http://api.example.com/v1",
        "https://user:pass@api.example.com/",
        "https://api.example.com/#x",
        "api.example.com",
    ] {
        let error = Authenticator::builder()
            .key(key())
            .protected_resource(ProtectedResource::new(identifier))
            .build()
            .unwrap_err();
        assert!(
            matches!(error, ConfigError::InvalidResource { .. }),
            "{identifier}: {error}"
        );
        assert!(!error.to_string().contains("pass"), "{error}");
    }
    let error = Authenticator::builder()
        .api_keys(
            StaticApiKeys::new()
                .key("k-0123456789abcdef", "svc", [])
                .unwrap(),
        )
        .protected_resource(ProtectedResource::new(RESOURCE))
        .build()
        .unwrap_err();
    assert!(
        matches!(error, ConfigError::ResourceWithoutBearer),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// Over real HTTP: a client that knows only the API's URL finds the authorization server.

#[actix_web::test]
async fn a_client_discovers_the_authorization_server_from_a_401() {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let address = listener.local_addr().unwrap();
    let resource = format!("http://{address}/mcp");
    let issuer = TestIssuer::es256().with_audience(resource.clone());
    let auth = authenticator(
        &issuer,
        ProtectedResource::new(resource.clone()).scopes_supported(["items:read"]),
    );
    let server = HttpServer::new(move || App::new().configure(auth.configure()).configure(routes))
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let client = reqwest::Client::new();
    let res = client
        .get(format!("http://{address}/items"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    let challenge = auth_runtime::testing::parse_challenge(&challenge).unwrap();
    let metadata_url = challenge.param("resource_metadata").unwrap().to_owned();
    assert_eq!(
        metadata_url,
        format!("http://{address}/.well-known/oauth-protected-resource/mcp")
    );

    let res = client.get(&metadata_url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let document: Value = res.json().await.unwrap();
    // RFC 9728 §3.3: the client checks that the document is about the resource it called.
    assert_eq!(document["resource"], resource.as_str());
    assert_eq!(
        document["authorization_servers"],
        json!(["https://issuer.test"])
    );
    assert_eq!(document["scopes_supported"], json!(["items:read"]));

    let token = issuer.token().subject("agent").scope("items:read").sign();
    let res = client
        .get(format!("http://{address}/items"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "agent");
    handle.stop(true).await;
}
