//! The OpenAPI document of the `openapi` feature (issue 16): the security schemes come from the
//! configured authenticator, each operation's `security`, `401`/`403` responses and
//! `x-auth-runtime` extension from its `#[requires]` or `#[public]` written above
//! `#[utoipa::path]`, with the route attribute above or below `#[utoipa::path]`; the document passes a third-party validator
//! (`openapi-spec-validator`, installed by `tests/openapi/validate.sh` when missing); and what
//! it documents is what the runtime enforces, operation by operation, requirement object by
//! requirement object.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::test::{init_service, TestRequest};
use actix_web::{delete, get, post, App, HttpResponse};
use auth_runtime::{
    public, requires, Algorithm, Authenticator, AuthenticatorBuilder, Identity, StaticApiKeys,
    StaticUsers,
};
use auth_tests::key_server::{jwk, KeyServer};
use auth_tests::*;
use serde_json::{json, Value};
use utoipa::{Modify, OpenApi};

// ---------------------------------------------------------------------------------------------
// The documented handlers, in the orders the attributes may be written in.

/// `#[requires]`, then `#[utoipa::path]`, then the route attribute.
#[requires(scheme = "Bearer", scope = "items:read")]
#[utoipa::path(responses((status = 200, description = "Every item")))]
#[get("/items")]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().body("items")
}

/// `all`: one requirement object listing both scopes.
#[requires(scheme = "Bearer", scope = all("items:read", "items:write"))]
#[utoipa::path(responses((status = 201, description = "The item, created")))]
#[post("/items")]
async fn create_item() -> HttpResponse {
    HttpResponse::Created().finish()
}

/// `any`: one object per alternative. The route attribute between the two.
#[requires(scheme = "Bearer", scope = any("items:admin", "admin"))]
#[delete("/items/{id}")]
#[utoipa::path(
    params(("id" = u32, Path, description = "The item")),
    responses((status = 200, description = "The item, deleted"))
)]
async fn delete_item() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// A nested expression, normalised to OR-of-AND. `#[utoipa::path]` naming the method and path
/// itself, as for a handler registered with `.route(..)`.
#[requires(scheme = "Bearer", scope = any("audit", all("reports:read", "reports:export")))]
#[utoipa::path(get, path = "/reports/export", responses((status = 200, description = "The export")))]
#[get("/reports/export")]
async fn export_reports() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Two schemes: every alternative once per scheme, in declaration order.
#[requires(scheme = any("Bearer", "Basic"), scope = "reports:read")]
#[utoipa::path(responses((status = 200, description = "The report")))]
#[get("/reports")]
async fn reports() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(scheme = "ApiKey", scope = "metrics:read")]
#[utoipa::path(responses((status = 200, description = "The counters")))]
#[get("/metrics")]
async fn metrics() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// No scheme named: the attribute's default, Bearer.
#[requires]
#[utoipa::path(responses((status = 200, description = "The caller")))]
#[get("/me")]
async fn me(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or_default().to_owned())
}

/// `optional`: an empty requirement object last.
#[requires(scheme = "Bearer", optional)]
#[utoipa::path(responses((status = 200, description = "A greeting")))]
#[get("/greeting")]
async fn greeting(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(who.map_or("stranger".to_owned(), |who| {
        who.subject().unwrap_or_default().to_owned()
    }))
}

/// A role: scopes say nothing, the extension says which role.
#[requires(scheme = "Bearer", role = "auditor")]
#[utoipa::path(responses((status = 200, description = "The audit log")))]
#[get("/audit")]
async fn audit() -> HttpResponse {
    HttpResponse::Ok().finish()
}

mod policies {
    use actix_web::HttpRequest;
    use auth_runtime::{PolicyDecision, Principal};

    /// Only on weekdays (always, here).
    pub async fn weekdays(_: &Principal, _: &HttpRequest) -> PolicyDecision {
        PolicyDecision::Allow
    }
}

/// A policy and a realm: in the extension only.
#[requires(scheme = "Bearer", scope = "billing:read", policy = policies::weekdays, realm = "billing")]
#[utoipa::path(responses((status = 200, description = "The invoices")))]
#[get("/invoices")]
async fn invoices() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[public]
#[utoipa::path(responses((status = 200, description = "Anyone")))]
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Documented by utoipa but declared by nothing: its operation keeps no `security`.
#[utoipa::path(get, path = "/undeclared", responses((status = 200, description = "Open")))]
#[allow(dead_code)]
async fn undeclared() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// `Cookie: session=<user>`, documented as a cookie by its own `openapi()`.
struct SessionCookie;

impl auth_runtime::CustomScheme for SessionCookie {
    const NAME: &'static str = "Session";

    fn is_present(&self, req: &actix_web::HttpRequest) -> bool {
        req.headers()
            .get("cookie")
            .is_some_and(|cookie| cookie.as_bytes().starts_with(b"session="))
    }

    async fn verify(
        &self,
        _req: &actix_web::HttpRequest,
    ) -> Result<auth_runtime::Principal, auth_runtime::Refusal> {
        Ok(auth_runtime::Principal::user(
            auth_runtime::Scheme::Custom(Self::NAME),
            "session-user",
        ))
    }

    fn openapi(&self) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("session")))
    }
}

/// A custom scheme next to Bearer.
#[requires(scheme = any(SessionCookie, "Bearer"))]
#[utoipa::path(responses((status = 200, description = "The session's user")))]
#[get("/session")]
async fn session(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or_default().to_owned())
}

#[derive(OpenApi)]
#[openapi(
    info(title = "openapi test", version = "1.0.0"),
    paths(
        list_items,
        create_item,
        delete_item,
        export_reports,
        reports,
        metrics,
        me,
        greeting,
        audit,
        invoices,
        health,
        session,
        undeclared
    )
)]
struct ApiDoc;

// ---------------------------------------------------------------------------------------------
// Set-up.

/// The API key the document test configures (the enforcement test makes its own).
const API_KEY: &str = "an-obviously-fake-api-key-0001";

fn configured(builder: AuthenticatorBuilder) -> AuthenticatorBuilder {
    builder
        .api_key_header("x-api-key")
        .role_claims(["roles"])
        .custom_scheme(SessionCookie)
}

fn auth() -> Authenticator {
    configured(builder())
        .basic(
            StaticUsers::new()
                .user("alice", "wonderland", ["reports:read"])
                .unwrap(),
        )
        .api_keys(
            StaticApiKeys::new()
                .key(API_KEY, "robot", ["metrics:read"])
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn document(auth: &Authenticator) -> Value {
    let mut doc = ApiDoc::openapi();
    auth.openapi().modify(&mut doc);
    serde_json::to_value(&doc).unwrap()
}

fn operation<'d>(doc: &'d Value, method: &str, path: &str) -> &'d Value {
    let operation = &doc["paths"][path][method];
    assert!(operation.is_object(), "no {method} {path} in {doc:#}");
    operation
}

fn security(doc: &Value, method: &str, path: &str) -> Value {
    operation(doc, method, path)["security"].clone()
}

// ---------------------------------------------------------------------------------------------
// The document.

#[test]
fn the_configured_schemes_are_documented_with_the_problem_details_schema() {
    let doc = document(&auth());
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"],
        json!({
            "Bearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "An access token (JWT, RFC 9068) sent as `Authorization: Bearer <token>` (RFC 6750)",
            },
            "Basic": {"type": "http", "scheme": "basic"},
            "ApiKey": {
                "type": "apiKey",
                "in": "header",
                "name": "x-api-key",
                "description": doc["components"]["securitySchemes"]["ApiKey"]["description"],
            },
            "Session": {"type": "apiKey", "in": "cookie", "name": "session"},
        })
    );
    let problem = &doc["components"]["schemas"]["ProblemDetails"];
    assert_eq!(problem["type"], "object");
    assert_eq!(
        problem["required"],
        json!(["detail", "status", "title", "type"])
    );
    assert_eq!(problem["properties"]["status"]["type"], "integer");
}

#[test]
fn each_operations_security_is_its_declaration_in_or_of_and_form() {
    let doc = document(&auth());
    let cases = [
        ("get", "/items", json!([{"Bearer": ["items:read"]}])),
        (
            "post",
            "/items",
            json!([{"Bearer": ["items:read", "items:write"]}]),
        ),
        (
            "delete",
            "/items/{id}",
            json!([{"Bearer": ["items:admin"]}, {"Bearer": ["admin"]}]),
        ),
        (
            "get",
            "/reports/export",
            json!([{"Bearer": ["audit"]}, {"Bearer": ["reports:read", "reports:export"]}]),
        ),
        (
            "get",
            "/reports",
            json!([{"Bearer": ["reports:read"]}, {"Basic": ["reports:read"]}]),
        ),
        ("get", "/metrics", json!([{"ApiKey": ["metrics:read"]}])),
        // `#[requires]` names no scheme: the attribute's default, Bearer.
        ("get", "/me", json!([{"Bearer": []}])),
        ("get", "/greeting", json!([{"Bearer": []}, {}])),
        ("get", "/audit", json!([{"Bearer": []}])),
        ("get", "/invoices", json!([{"Bearer": ["billing:read"]}])),
        ("get", "/health", json!([{}])),
    ];
    for (method, path, expected) in cases {
        assert_eq!(security(&doc, method, path), expected, "{method} {path}");
    }
    assert_eq!(security(&doc, "get", "/undeclared"), Value::Null);
    assert!(operation(&doc, "get", "/undeclared")["x-auth-runtime"].is_null());
}

#[test]
fn roles_policies_and_realms_are_in_the_extension() {
    let doc = document(&auth());
    assert_eq!(
        operation(&doc, "get", "/audit")["x-auth-runtime"],
        json!({
            "schemes": ["Bearer"], "scope": null, "roles": "auditor", "policy": null,
            "optional": false, "realm": null, "public": false,
        })
    );
    assert_eq!(
        operation(&doc, "get", "/invoices")["x-auth-runtime"],
        json!({
            "schemes": ["Bearer"], "scope": "billing:read", "roles": null,
            "policy": "policies::weekdays", "optional": false, "realm": "billing", "public": false,
        })
    );
    assert_eq!(
        operation(&doc, "get", "/reports/export")["x-auth-runtime"]["scope"],
        json!({"any": ["audit", {"all": ["reports:read", "reports:export"]}]})
    );
    assert_eq!(
        operation(&doc, "get", "/health")["x-auth-runtime"]["public"],
        true
    );
}

#[test]
fn refusals_are_documented_as_problem_details() {
    let doc = document(&auth());
    let problem = json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}});
    for (path, forbids) in [
        ("/items", true),
        ("/me", false),
        ("/audit", true),
        ("/invoices", true),
        ("/greeting", false),
    ] {
        let responses = &operation(&doc, "get", path)["responses"];
        assert_eq!(responses["401"]["content"], problem, "{path}");
        assert_eq!(
            responses["403"].is_object(),
            forbids,
            "{path}: {responses:#}"
        );
        if forbids {
            assert_eq!(responses["403"]["content"], problem, "{path}");
        }
        // The handler's own responses stay.
        assert!(responses["200"].is_object(), "{path}");
    }
    let undeclared = &operation(&doc, "get", "/undeclared")["responses"];
    assert!(undeclared["401"].is_null());
}

#[test]
fn a_custom_scheme_is_documented_by_its_own_name_and_object() {
    let doc = document(&auth());
    assert_eq!(
        doc["components"]["securitySchemes"]["Session"],
        json!({"type": "apiKey", "in": "cookie", "name": "session"})
    );
    assert_eq!(
        security(&doc, "get", "/session"),
        json!([{"Session": []}, {"Bearer": []}])
    );
}

#[actix_web::test]
async fn keys_from_openid_connect_discovery_are_documented_as_open_id_connect() {
    let server = KeyServer::start().await;
    server.publish(vec![jwk(Algorithm::EdDSA, "k")]);
    let auth = configured(Authenticator::builder())
        .realm(REALM)
        .audience(AUDIENCE)
        .oidc_discovery(server.url())
        .allow_http()
        .build_and_fetch()
        .await
        .unwrap();
    let doc = document(&auth);
    let bearer = &doc["components"]["securitySchemes"]["Bearer"];
    assert_eq!(bearer["type"], "openIdConnect");
    assert_eq!(
        bearer["openIdConnectUrl"],
        format!("{}/.well-known/openid-configuration", server.url())
    );
    assert_eq!(
        security(&doc, "post", "/items"),
        json!([{"Bearer": ["items:read", "items:write"]}])
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// A third-party validator.

/// Runs `openapi-spec-validator` on `doc` through `tests/openapi/validate.sh` (which installs it
/// with pip when it is missing); its verdict and output.
fn validate(doc: &Value, name: &str) -> (bool, String) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("openapi");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi/validate.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg(&file)
        .output()
        .expect("bash runs tests/openapi/validate.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // 2: the validator could not be installed or run, which is no verdict at all.
    assert_ne!(output.status.code(), Some(2), "{text}");
    (output.status.success(), text)
}

#[test]
fn the_document_passes_openapi_spec_validator() {
    let doc = document(&auth());
    let (valid, output) = validate(&doc, "declared");
    assert!(valid, "{output}");
    // The validator does reject: the same document with a requirement of a malformed kind.
    let mut broken = doc.clone();
    broken["components"]["securitySchemes"]["Bearer"]["type"] = json!("bearer-token");
    let (valid, output) = validate(&broken, "broken");
    assert!(!valid, "{output}");
}

// ---------------------------------------------------------------------------------------------
// What the document says is what the runtime enforces.

/// The credentials of one scheme holding exactly `scopes`.
struct Holder {
    scheme: String,
    scopes: BTreeSet<String>,
}

/// How a test request presents `holder`'s credentials.
fn present(req: TestRequest, holder: &Holder, users: &[BTreeSet<String>]) -> TestRequest {
    let index = users.iter().position(|set| *set == holder.scopes);
    let scope = holder.scopes.iter().cloned().collect::<Vec<_>>().join(" ");
    match holder.scheme.as_str() {
        "Bearer" => req.insert_header(bearer(&token(&scope))),
        "Basic" => {
            use base64::Engine;
            let name = format!("user{}", index.unwrap());
            let pair =
                base64::engine::general_purpose::STANDARD.encode(format!("{name}:password-{name}"));
            req.insert_header(("Authorization", format!("Basic {pair}")))
        }
        "ApiKey" => req.insert_header(("x-api-key", api_key(index.unwrap()))),
        "Session" => req.insert_header(("cookie", "session=anyone")),
        other => panic!("no credentials for {other}"),
    }
}

fn api_key(index: usize) -> String {
    format!("an-obviously-fake-api-key-{index:04}")
}

#[actix_web::test]
async fn every_documented_requirement_object_is_enforced_exactly() {
    // The operations and their requirement objects, as documented.
    let doc = document(&auth());
    let mut checks = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(objects) = operation["security"].as_array() else {
                continue;
            };
            let extension = &operation["x-auth-runtime"];
            for object in objects {
                checks.push((
                    method.clone(),
                    path.clone(),
                    object.clone(),
                    extension.clone(),
                ));
            }
        }
    }
    assert_eq!(checks.len(), 17, "every requirement object of the document");

    // Credentials for every scope set a check needs: each object's, and each with one scope
    // fewer. Basic users and API keys are made per set; Bearer tokens are minted on the spot.
    let mut sets: Vec<BTreeSet<String>> = Vec::new();
    for (_, _, object, _) in &checks {
        for scopes in object.as_object().unwrap().values() {
            let scopes: BTreeSet<String> = scopes
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect();
            for fewer in scopes.iter().map(|gone| {
                scopes
                    .iter()
                    .filter(|s| *s != gone)
                    .cloned()
                    .collect::<BTreeSet<_>>()
            }) {
                if !sets.contains(&fewer) {
                    sets.push(fewer);
                }
            }
            if !sets.contains(&scopes) {
                sets.push(scopes);
            }
        }
    }
    let mut users = StaticUsers::new();
    let mut keys = StaticApiKeys::new();
    for (index, set) in sets.iter().enumerate() {
        let scopes = set.iter().map(String::as_str);
        let name = format!("user{index}");
        users = users
            .user(&name, format!("password-{name}"), scopes.clone())
            .unwrap();
        keys = keys.key(&api_key(index), &name, scopes).unwrap();
    }
    let auth = configured(builder())
        .basic(users)
        .api_keys(keys)
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .wrap(auth.middleware())
            .configure(auth.configure())
            .service(list_items)
            .service(create_item)
            .service(delete_item)
            .service(export_reports)
            .service(reports)
            .service(metrics)
            .service(me)
            .service(greeting)
            .service(audit)
            .service(invoices)
            .service(health)
            .service(session),
    )
    .await;
    let call = |method: &str, path: &str, holder: Option<&Holder>, roles: bool| {
        let uri = path.replace("{id}", "7");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut req = TestRequest::default().method(method).uri(&uri);
        if let Some(holder) = holder {
            req = if roles && holder.scheme == "Bearer" {
                let claims = claims_with(
                    &holder.scopes.iter().cloned().collect::<Vec<_>>().join(" "),
                    json!({"roles": ["auditor"]}),
                );
                req.insert_header(bearer(&mint(Algorithm::HS256, &claims)))
            } else {
                present(req, holder, &sets)
            };
        }
        let req = req.to_request();
        let app = &app;
        async move {
            let res: ServiceResponse = app.call(req).await.unwrap().map_into_boxed_body();
            res.status()
        }
    };

    for (method, path, object, extension) in &checks {
        let roles = !extension["roles"].is_null();
        let object = object.as_object().unwrap();
        if object.is_empty() {
            // `{}`: no credentials at all are enough.
            let status = call(method, path, None, roles).await;
            assert!(status.is_success(), "{method} {path} {{}}: {status}");
            continue;
        }
        for (scheme, scopes) in object {
            let scopes: BTreeSet<String> = scopes
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect();
            let exactly = Holder {
                scheme: scheme.clone(),
                scopes: scopes.clone(),
            };
            let status = call(method, path, Some(&exactly), roles).await;
            assert!(
                status.is_success(),
                "{method} {path}: {scheme} holding exactly {scopes:?} got {status}"
            );
            for gone in &scopes {
                let fewer = Holder {
                    scheme: scheme.clone(),
                    scopes: scopes.iter().filter(|s| *s != gone).cloned().collect(),
                };
                let status = call(method, path, Some(&fewer), roles).await;
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{method} {path}: {scheme} without {gone:?} must be refused"
                );
            }
        }
        if !object.is_empty() && !security_has_empty(&doc, method, path) {
            // Nothing documented lets a request without credentials in.
            let status = call(method, path, None, roles).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} anonymous"
            );
        }
    }
    // The role the extension names is what the runtime checks.
    let no_role = Holder {
        scheme: "Bearer".into(),
        scopes: BTreeSet::new(),
    };
    assert_eq!(
        call("get", "/audit", Some(&no_role), false).await,
        StatusCode::FORBIDDEN
    );
}

fn security_has_empty(doc: &Value, method: &str, path: &str) -> bool {
    security(doc, method, path)
        .as_array()
        .is_some_and(|objects| {
            objects
                .iter()
                .any(|o| o.as_object().is_some_and(|o| o.is_empty()))
        })
}
