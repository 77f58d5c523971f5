//! The quickstart: a small items API protected by `#[requires]`.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! At start it prints a ready-to-paste `curl` line, with a freshly minted token, for every
//! route. Configured by environment variables (all optional):
//!
//! | Variable            | Default                                                  |
//! |---------------------|----------------------------------------------------------|
//! | `BIND`              | `127.0.0.1:8080`                                         |
//! | `AUTH_REALM`        | `quickstart`                                             |
//! | `AUTH_ISSUER`       | `quickstart`                                             |
//! | `AUTH_AUDIENCE`     | `quickstart-api`, or `AUTH_RESOURCE` when that is set    |
//! | `AUTH_RESOURCE`     | unset; the API's URL, to publish its RFC 9728 metadata   |
//! | `AUTH_HS256_SECRET` | a development secret (with a warning); at least 32 bytes |
//! | `AUTH_JWKS_URL`     | unset; a JWKS endpoint to take the keys from             |
//! | `AUTH_OIDC_ISSUER`  | unset; an issuer whose OIDC discovery gives the keys     |
//! | `AUTH_PUBLIC_KEY_PEM` | unset; a PEM public key file (RSA, P-256, Ed25519)     |
//! | `AUTH_BASIC_USERS`  | `alice:wonderland` (`user:password` pairs, commas)       |
//! | `AUTH_API_KEYS`     | `demo-key-123` (comma-separated)                         |
//! | `AUTH_INTROSPECTION_URL` | unset; an RFC 7662 endpoint for opaque tokens       |
//! | `AUTH_INTROSPECTION_CLIENT_ID` / `_SECRET` | the resource server's credentials there |
//! | `AUTH_REDIS_URL`    | unset; revocations shared through Redis (else in memory) |
//! | `AUTH_DPOP`         | unset; `allowed` or `required`: DPoP (RFC 9449) on every Bearer route |
//! | `RUST_LOG`          | `info,auth_runtime=debug`                                |
//!
//! With `AUTH_JWKS_URL`, `AUTH_OIDC_ISSUER` or `AUTH_PUBLIC_KEY_PEM` the tokens come from your
//! identity provider (the expected `iss` is the discovered issuer unless `AUTH_ISSUER` says
//! otherwise); plain `http://` is allowed only for a provider on a loopback address. With
//! `AUTH_INTROSPECTION_CLIENT_ID` (and `_SECRET`), Bearer tokens that are not JWTs are
//! introspected at `AUTH_INTROSPECTION_URL`, or with `AUTH_OIDC_ISSUER` at the endpoint its
//! discovery document names. `POST /admin/revocations` revokes tokens on every instance that
//! shares `AUTH_REDIS_URL` (`scripts/three-instances.sh` shows it).
//!
//! Every route declares what it requires, and the authenticator denies by default: a route
//! without `#[requires]` or `#[public]` would be refused (and `check_app` stops the start).
//! `GET /openapi.json` is the OpenAPI document, whose security comes from the declarations, and
//! `GET /docs` is Swagger UI (bundled in the binary): "Authorize" with a token from the banner,
//! then "Try it out".
//!
//! With `AUTH_RESOURCE` (say `http://127.0.0.1:8080`), the quickstart is a protected resource
//! clients can discover (RFC 9728): it serves `/.well-known/oauth-protected-resource` (with the
//! authorization server = the issuer, when the issuer is a URL, and the quickstart's scopes),
//! every Bearer challenge names that URL, and tokens must carry the resource in `aud` (RFC 8707)
//! unless `AUTH_AUDIENCE` says otherwise.
//!
//! With `AUTH_DPOP=allowed` every Bearer route also accepts DPoP-bound tokens with a proof
//! (`Authorization: DPoP <token>` and a `DPoP` header); with `AUTH_DPOP=required` it accepts
//! only those. A proof is good for one request, so the banner prints a command that makes one
//! with the example's development client key:
//!
//! ```text
//! cargo run -q --example quickstart -- dpop-proof GET http://127.0.0.1:8080/items <token>
//! ```

use std::env;
use std::process::ExitCode;

use actix_web::http::header;
use actix_web::{delete, get, post, web, App, HttpResponse, HttpServer};
use auth_runtime::{
    check_app, inventory, public, requires, Authenticator, AuthenticatorBuilder, ConfigError,
    DpopConfig, DpopMode, Identity, Introspection, Key, ProtectedResource, RedisStore, Revocation,
    StaticApiKeys, StaticUsers,
};
use jsonwebtoken::{EncodingKey, Header};
use serde::Deserialize;
use serde_json::json;
use tracing_subscriber::EnvFilter;
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

/// Used when `AUTH_HS256_SECRET` is unset. Anyone who reads this file can mint tokens with it.
const DEVELOPMENT_SECRET: &str = "quickstart-development-secret-never-use-in-production";

/// The authentication context class `/settings` requires: a multi-factor login.
const MFA: &str = "urn:quickstart:mfa";

/// The scopes the quickstart's routes name, published as `scopes_supported`.
const SCOPES: [&str; 7] = [
    "items:read",
    "items:write",
    "items:admin",
    "admin",
    "reports:read",
    "metrics:read",
    "admin:revoke",
];

/// The DPoP client key `dpop-proof` signs with: the repository's test-only P-256 key, public.
const DEVELOPMENT_DPOP_KEY: &str = include_str!("../tests/keys/TEST-ONLY-p256-private.pem");

// ---------------------------------------------------------------------------------------------
// The handlers. `#[requires]` checks the Bearer token (and its scopes) before any of the
// handler's own extractors run; a refused request never reaches the handler. Written above
// `#[utoipa::path]` and the route attribute, it documents the operation's security and
// registers the route with its declaration.

/// Anyone may call it; a token that is sent must still be valid.
#[public]
#[utoipa::path(responses((status = 200, description = "A greeting for anyone")))]
#[get("/public")]
async fn public_page() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "message": "anyone can read this" }))
}

/// Any valid token, no scope; `Identity` holds the verified token's subject, scopes and claims.
#[requires]
#[utoipa::path(responses((status = 200, description = "The token's subject and scopes")))]
#[get("/me")]
async fn me(who: Identity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "sub": who.subject(), "scopes": who.scopes() }))
}

/// The items.
#[requires(scope = "items:read")]
#[utoipa::path(responses((status = 200, description = "Every item")))]
#[get("/items")]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().json(json!([{ "id": 1, "name": "apple" }, { "id": 2, "name": "pear" }]))
}

/// A new item.
#[derive(Deserialize, ToSchema)]
struct NewItem {
    name: String,
}

/// Both scopes are needed. The JSON body is only read once the token has been accepted.
#[requires(scope = all("items:read", "items:write"))]
#[utoipa::path(responses((status = 201, description = "The item, created")))]
#[post("/items")]
async fn create_item(who: Identity, item: web::Json<NewItem>) -> HttpResponse {
    HttpResponse::Created().json(json!({
        "id": 3,
        "name": item.into_inner().name,
        "created_by": who.subject(),
    }))
}

/// Either scope is enough.
#[requires(scope = any("items:admin", "admin"))]
#[utoipa::path(params(("id" = u32, Path, description = "The item")), responses((status = 200, description = "The item, deleted")))]
#[delete("/items/{id}")]
async fn delete_item(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "deleted": id.into_inner() }))
}

/// A sensitive route: besides `items:read`, the user must have logged in with multi-factor
/// authentication (`acr`) at most five minutes ago (`auth_time`). Any other token is answered
/// `401` with an RFC 9470 challenge (`error="insufficient_user_authentication"`,
/// `acr_values`, `max_age`) that tells the client to send the user back to log in.
#[requires(scope = "items:read", acr = "urn:quickstart:mfa", max_age = 300)]
#[utoipa::path(responses((status = 200, description = "The user's settings, after a recent multi-factor login")))]
#[get("/settings")]
async fn settings(who: Identity) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "sub": who.subject(),
        "acr": who.acr(),
        "auth_time": who.auth_time(),
    }))
}

/// Users with a Bearer token holding `reports:read`, or Basic users (every quickstart user
/// holds `reports:read`). With no credentials, the 401 carries one challenge per scheme.
#[requires(scheme = any("Bearer", "Basic"), scope = "reports:read")]
#[utoipa::path(responses((status = 200, description = "The quarterly report")))]
#[get("/reports")]
async fn reports(who: Identity) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "report": "quarterly",
        "reader": who.subject(),
        "scheme": who.scheme().name(),
    }))
}

/// Machines with an API key (`X-API-Key` or `Authorization: ApiKey <key>`).
#[requires(scheme = "ApiKey", scope = "metrics:read")]
#[utoipa::path(responses((status = 200, description = "Request counters")))]
#[get("/metrics")]
async fn metrics(who: Identity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "requests": 42, "client": who.subject() }))
}

/// The bodies `POST /admin/revocations` takes: exactly one of these shapes.
#[derive(Deserialize)]
#[serde(untagged)]
enum RevocationRequest {
    Jti(ByJti),
    Token(ByToken),
    Subject(BySubject),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByJti {
    jti: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByToken {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BySubject {
    sub: String,
    issued_before: u64,
}

impl RevocationRequest {
    /// The revocation the body asks for; `None` when a value is empty.
    fn revocation(self) -> Option<Revocation> {
        let filled = |text: String| Some(text).filter(|text| !text.trim().is_empty());
        Some(match self {
            RevocationRequest::Jti(ByJti { jti }) => Revocation::jti(filled(jti)?),
            RevocationRequest::Token(ByToken { token }) => Revocation::token(&filled(token)?),
            RevocationRequest::Subject(BySubject { sub, issued_before }) => {
                Revocation::subject(filled(sub)?, issued_before)
            }
        })
    }
}

/// An RFC 9457 problem answer.
fn problem(status: actix_web::http::StatusCode, detail: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": detail,
        }))
}

/// Revokes tokens on every instance sharing the revocation store: `{"jti": ".."}`,
/// `{"token": ".."}` or `{"sub": "..", "issued_before": <unix time>}`. The body is read only
/// once the caller's token is accepted.
#[requires(scope = "admin:revoke")]
#[utoipa::path(
    request_body(content = String, description = "`{\"jti\": \"..\"}`, `{\"token\": \"..\"}` or `{\"sub\": \"..\", \"issued_before\": <unix time>}`", content_type = "application/json"),
    responses((status = 204, description = "The revocation is in force and shared"), (status = 400, description = "Not one of the accepted bodies"))
)]
#[post("/admin/revocations")]
async fn revoke(who: Identity, auth: web::Data<Authenticator>, body: web::Bytes) -> HttpResponse {
    let request = serde_json::from_slice::<RevocationRequest>(&body)
        .ok()
        .and_then(RevocationRequest::revocation);
    let Some(revocation) = request else {
        return problem(
            actix_web::http::StatusCode::BAD_REQUEST,
            "The body must be {\"jti\": \"..\"}, {\"token\": \"..\"} or \
             {\"sub\": \"..\", \"issued_before\": <unix time>}.",
        );
    };
    match auth.revoke(revocation).await {
        Ok(()) => {
            tracing::info!(by = who.subject(), "revocation in force and shared");
            HttpResponse::NoContent().finish()
        }
        Err(error) => {
            tracing::error!(%error, "revocation not shared");
            let mut res = problem(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "The revocation is in force on this instance but could not be shared yet; it is \
                 shared when the store is reachable again. Retry to confirm.",
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            res
        }
    }
}

/// `/docs` without its slash: Swagger UI is served under `/docs/`.
#[public]
#[get("/docs")]
async fn docs_redirect() -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", "/docs/"))
        .finish()
}

/// The OpenAPI document: the operations utoipa documents, with their security from the
/// declarations (`auth.openapi()`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "auth-runtime quickstart",
        description = "A small items API protected by `#[requires]`"
    ),
    paths(
        public_page,
        me,
        list_items,
        create_item,
        delete_item,
        reports,
        metrics,
        revoke
    )
)]
struct ApiDoc;

/// The OpenAPI document of `auth`'s configuration.
fn openapi(auth: &Authenticator) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    auth.openapi().modify(&mut doc);
    doc
}

/// Swagger UI and the document it shows; no attribute can declare them, so the authenticator
/// leaves their patterns open (`public_route`).
const DOCS_PATTERNS: [&str; 2] = ["/docs/{_:.*}", "/openapi.json"];

/// Every route of the quickstart.
fn routes(config: &mut web::ServiceConfig) {
    config
        .service(public_page)
        .service(me)
        .service(list_items)
        .service(create_item)
        .service(delete_item)
        .service(settings)
        .service(reports)
        .service(metrics)
        .service(revoke)
        .service(docs_redirect);
}

// ---------------------------------------------------------------------------------------------
// Start-up.

#[actix_web::main]
async fn main() -> ExitCode {
    // `quickstart dpop-proof METHOD URL TOKEN`: one proof, printed, for `curl -H "DPoP: ..."`.
    let args: Vec<String> = env::args().skip(1).collect();
    if let [command, method, url, token] = args.as_slice() {
        if command == "dpop-proof" {
            return match dpop_proof(method, url, token) {
                Ok(proof) => {
                    println!("{proof}");
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("error: {message}");
                    ExitCode::FAILURE
                }
            };
        }
    }
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,auth_runtime=debug"));
    // Logs go to stderr, so that stdout holds only the banner below.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    // A configuration mistake is a one-line message and exit status 1, not a panic.
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Where Bearer tokens' keys come from.
enum KeySource {
    /// The HS256 secret: the quickstart can mint tokens for the banner.
    Secret(String),
    /// The application's identity provider (or a PEM public key): tokens come from there.
    External(String),
}

async fn run() -> Result<(), String> {
    let bind = env_or("BIND", "127.0.0.1:8080");
    let realm = env_or("AUTH_REALM", "quickstart");
    let resource = env::var("AUTH_RESOURCE").ok();
    // RFC 8707: with a resource, the expected audience is the resource itself by default.
    let audience = env::var("AUTH_AUDIENCE")
        .ok()
        .or_else(|| resource.clone())
        .unwrap_or_else(|| "quickstart-api".to_owned());
    let users = env_or("AUTH_BASIC_USERS", "alice:wonderland");
    let api_keys = env_or("AUTH_API_KEYS", "demo-key-123");

    // One authenticator for the whole application, checked here rather than on a request.
    let configure = || {
        let builder = Authenticator::builder()
            .realm(&realm)
            .audience(&audience)
            .basic(basic_users(&users)?)
            .api_keys(static_api_keys(&api_keys)?)
            .deny_by_default()
            .public_route(DOCS_PATTERNS[0])
            .public_route(DOCS_PATTERNS[1]);
        let builder = dpop(revocation_store(introspection(builder)?)?)?;
        let builder = with_resource(builder, resource.as_deref());
        key_source(builder)
    };
    let (builder, source) = configure()?;
    let auth = match &source {
        KeySource::Secret(_) => builder.build().map_err(|error| error.to_string())?,
        // Fail fast on a misconfigured provider; if it is merely down, start and keep retrying.
        KeySource::External(_) => match builder.build_and_fetch().await {
            Ok(auth) => auth,
            Err(ConfigError::KeySourceUnavailable(reason)) => {
                tracing::warn!(
                    "the key source is unreachable ({reason}); starting anyway, it is retried \
                     in the background"
                );
                configure()?.0.build().map_err(|error| error.to_string())?
            }
            Err(error) => return Err(error.to_string()),
        },
    };

    let doc = openapi(&auth);
    let metadata_url = auth.resource_metadata_url().map(str::to_owned);
    let data = web::Data::new(auth.clone());
    let app = move || {
        App::new()
            .wrap(auth.middleware())
            .configure(auth.configure())
            .app_data(data.clone())
            .configure(routes)
            .service(SwaggerUi::new(DOCS_PATTERNS[0]).url(DOCS_PATTERNS[1], doc.clone()))
    };
    // Fails now, instead of on a request, if the `App` forgot the authenticator or its
    // middleware, or a route declares nothing.
    check_app(app()).await.map_err(|error| error.to_string())?;
    let routes = inventory(app()).await.map_err(|error| error.to_string())?;

    let server = HttpServer::new(app)
        .bind(&bind)
        .map_err(|error| format!("cannot listen on {bind:?} (BIND): {error}"))?;

    // Tokens for the banner, signed as a real issuer would sign them. Minting comes after
    // `build()`, which installs jsonwebtoken's crypto backend.
    let base = format!("http://{}", server.addrs()[0]);
    let token_with = |scope: &str, login: Option<Login>| match &source {
        KeySource::Secret(secret) => {
            let issuer = env_or("AUTH_ISSUER", "quickstart");
            mint(secret, &issuer, &audience, scope, login)
        }
        KeySource::External(_) => Ok("$TOKEN".to_owned()),
    };
    let token = |scope: &str| token_with(scope, None);
    let reader = token("items:read")?;
    let writer = token("items:read items:write")?;
    let admin = token("items:admin")?;
    let report_reader = token("reports:read")?;
    let stepped_up = token_with("items:read", Some(Login::fresh(MFA)))?;
    let revoker = token("admin:revoke")?;
    let dpop_mode = env::var("AUTH_DPOP").ok();
    let bound_reader = match (&source, &dpop_mode) {
        (KeySource::Secret(secret), Some(_)) => {
            let issuer = env_or("AUTH_ISSUER", "quickstart");
            let jkt = development_dpop_thumbprint()?;
            Some(mint_bound(
                secret,
                &issuer,
                &audience,
                "items:read",
                Some(&jkt),
            )?)
        }
        _ => None,
    };
    let (basic_user, basic_password) = users
        .split(',')
        .next()
        .and_then(|pair| pair.split_once(':'))
        .unwrap_or(("alice", "wonderland"));
    let api_key = api_keys.split(',').next().unwrap_or_default().trim();
    let banner = [
        (
            "GET /public, no token needed".to_owned(),
            format!("curl -i {base}/public"),
        ),
        (
            "GET /me, any valid token".to_owned(),
            format!("curl -i {base}/me -H 'Authorization: Bearer {reader}'"),
        ),
        (
            "GET /items, scope items:read".to_owned(),
            format!("curl -i {base}/items -H 'Authorization: Bearer {reader}'"),
        ),
        (
            "POST /items, scopes items:read and items:write".to_owned(),
            format!(
                "curl -i {base}/items -H 'Authorization: Bearer {writer}' \
                 -H 'Content-Type: application/json' -d '{{\"name\":\"fig\"}}'"
            ),
        ),
        (
            "DELETE /items/{id}, scope items:admin or admin".to_owned(),
            format!("curl -i -X DELETE {base}/items/1 -H 'Authorization: Bearer {admin}'"),
        ),
        (
            "GET /settings, scope items:read and a multi-factor login (acr) at most 5 minutes \
             old (auth_time; this token's login is fresh when the quickstart starts)"
                .to_owned(),
            format!("curl -i {base}/settings -H 'Authorization: Bearer {stepped_up}'"),
        ),
        (
            "refused: /settings with a token without that login, 401 insufficient_user_authentication"
                .to_owned(),
            format!("curl -i {base}/settings -H 'Authorization: Bearer {reader}'"),
        ),
        (
            "GET /reports, Bearer (scope reports:read) or Basic".to_owned(),
            format!(
                "curl -i {base}/reports -u '{basic_user}:{basic_password}'\n  \
                 curl -i {base}/reports -H 'Authorization: Bearer {report_reader}'"
            ),
        ),
        (
            "GET /metrics, an API key (scope metrics:read)".to_owned(),
            format!("curl -i {base}/metrics -H 'X-API-Key: {api_key}'"),
        ),
        (
            "POST /admin/revocations, scope admin:revoke: revoke the token above on every \
             instance sharing AUTH_REDIS_URL (also {\"jti\": ..} or {\"sub\": .., \
             \"issued_before\": ..}); 204"
                .to_owned(),
            format!(
                "curl -i {base}/admin/revocations -H 'Authorization: Bearer {revoker}' \
                 -H 'Content-Type: application/json' -d '{{\"token\":\"{reader}\"}}'"
            ),
        ),
        (
            "refused: no token, 401 with a `WWW-Authenticate: Bearer` challenge".to_owned(),
            format!("curl -i {base}/items"),
        ),
    ];
    println!("quickstart listening on {base}, realm {realm:?}\n");
    println!("Routes (`auth_runtime::inventory`):\n{routes}");
    println!("OpenAPI document: {base}/openapi.json; Swagger UI: {base}/docs (Authorize with a token below)\n");
    if let Some(url) = metadata_url {
        println!(
            "protected resource {:?}: its metadata (RFC 9728) is at\n  curl -i {url}\n",
            resource.as_deref().unwrap_or_default()
        );
    }
    if let Some(mode) = &dpop_mode {
        let token = bound_reader.as_deref().unwrap_or("$TOKEN");
        println!(
            "DPoP is {mode} on every Bearer route{}. A proof is good for one request; this makes \
             a fresh one each time (the token is bound to the example's development client key):\n  \
             curl -i {base}/items -H 'Authorization: DPoP {token}' -H \"DPoP: $(cargo run -q \
             --example quickstart -- dpop-proof GET {base}/items {token})\"\n",
            if mode == "required" { " (plain Bearer tokens are refused)" } else { "" }
        );
    }
    if let KeySource::External(from) = &source {
        println!(
            "Bearer tokens are verified with the keys of {from}: get one from your provider \
             (audience {audience:?}) and `export TOKEN=...`\n"
        );
    }
    if env::var("AUTH_INTROSPECTION_CLIENT_ID").is_ok() {
        println!(
            "Opaque (non-JWT) Bearer tokens are introspected (RFC 7662): use one from your \
             provider as `$TOKEN` on any Bearer route\n"
        );
    }
    match env::var("AUTH_REDIS_URL") {
        Ok(_) => println!("Revocations are shared through Redis with every instance using it\n"),
        Err(_) => println!("Revocations are kept in this instance's memory (set AUTH_REDIS_URL)\n"),
    }
    for (route, curl) in banner {
        println!("{route}:\n  {curl}\n");
    }

    server.run().await.map_err(|error| error.to_string())
}

/// Configures where Bearer keys come from: `AUTH_OIDC_ISSUER`, `AUTH_JWKS_URL`,
/// `AUTH_PUBLIC_KEY_PEM`, or else the HS256 secret.
fn key_source(builder: AuthenticatorBuilder) -> Result<(AuthenticatorBuilder, KeySource), String> {
    let explicit_issuer = env::var("AUTH_ISSUER").ok();
    let with_issuer = |builder: AuthenticatorBuilder| match &explicit_issuer {
        Some(issuer) => builder.issuer(issuer),
        None => builder,
    };
    if let Ok(issuer) = env::var("AUTH_OIDC_ISSUER") {
        // The discovered issuer becomes the expected `iss` unless AUTH_ISSUER says otherwise.
        // Plain http only to a provider on this machine (127.0.0.0/8, [::1], localhost).
        let builder = builder.oidc_discovery(&issuer).allow_http();
        return Ok((with_issuer(builder), KeySource::External(issuer)));
    }
    if let Ok(url) = env::var("AUTH_JWKS_URL") {
        if explicit_issuer.is_none() {
            tracing::warn!("AUTH_JWKS_URL without AUTH_ISSUER: the `iss` claim is not checked");
        }
        let builder = builder.jwks_url(&url).allow_http();
        return Ok((with_issuer(builder), KeySource::External(url)));
    }
    if let Ok(path) = env::var("AUTH_PUBLIC_KEY_PEM") {
        let pem = std::fs::read(&path)
            .map_err(|error| format!("AUTH_PUBLIC_KEY_PEM {path:?}: {error}"))?;
        let key = Key::public_pem(pem).map_err(|error| format!("AUTH_PUBLIC_KEY_PEM: {error}"))?;
        let issuer = explicit_issuer.unwrap_or_else(|| "quickstart".to_owned());
        let source = KeySource::External(path);
        return Ok((builder.issuer(issuer).key(key), source));
    }
    let secret = env::var("AUTH_HS256_SECRET").unwrap_or_else(|_| {
        tracing::warn!(
            "AUTH_HS256_SECRET is not set: using a development secret that anyone reading \
             this example can sign tokens with; set at least 32 random bytes in production"
        );
        DEVELOPMENT_SECRET.to_owned()
    });
    let key = Key::hs256(&secret).map_err(|error| format!("AUTH_HS256_SECRET: {error}"))?;
    let issuer = explicit_issuer.unwrap_or_else(|| "quickstart".to_owned());
    Ok((builder.issuer(issuer).key(key), KeySource::Secret(secret)))
}

/// With `AUTH_RESOURCE`, publishes the protected resource's metadata (RFC 9728): the
/// authorization server is the issuer (when it is a URL), `scopes_supported` the quickstart's.
fn with_resource(builder: AuthenticatorBuilder, resource: Option<&str>) -> AuthenticatorBuilder {
    match resource {
        Some(resource) => {
            builder.protected_resource(ProtectedResource::new(resource).scopes_supported(SCOPES))
        }
        None => builder,
    }
}

/// `AUTH_INTROSPECTION_CLIENT_ID` and `_SECRET`: opaque tokens introspected at
/// `AUTH_INTROSPECTION_URL`, or at the endpoint discovery names (with `AUTH_OIDC_ISSUER`).
fn introspection(builder: AuthenticatorBuilder) -> Result<AuthenticatorBuilder, String> {
    let url = env::var("AUTH_INTROSPECTION_URL").ok();
    let Ok(client_id) = env::var("AUTH_INTROSPECTION_CLIENT_ID") else {
        return match url {
            Some(_) => Err(
                "AUTH_INTROSPECTION_URL needs AUTH_INTROSPECTION_CLIENT_ID and \
                            AUTH_INTROSPECTION_CLIENT_SECRET"
                    .to_owned(),
            ),
            None => Ok(builder),
        };
    };
    let secret = env::var("AUTH_INTROSPECTION_CLIENT_SECRET")
        .map_err(|_| "AUTH_INTROSPECTION_CLIENT_ID needs AUTH_INTROSPECTION_CLIENT_SECRET")?;
    let introspection = match &url {
        Some(url) => Introspection::endpoint(url),
        None if env::var("AUTH_OIDC_ISSUER").is_ok() => Introspection::discovered(),
        None => {
            return Err(
                "AUTH_INTROSPECTION_CLIENT_ID needs AUTH_INTROSPECTION_URL, or \
                        AUTH_OIDC_ISSUER to discover the endpoint"
                    .to_owned(),
            )
        }
    };
    // Plain http only to an endpoint on this machine (127.0.0.0/8, [::1], localhost).
    Ok(builder
        .introspection(introspection.client_secret_basic(client_id, secret))
        .allow_http())
}

/// `AUTH_DPOP`: `allowed` (every Bearer route accepts DPoP too) or `required` (only DPoP).
fn dpop(builder: AuthenticatorBuilder) -> Result<AuthenticatorBuilder, String> {
    let mode = match env::var("AUTH_DPOP").as_deref() {
        Err(_) => return Ok(builder),
        Ok("allowed") => DpopMode::Allowed,
        Ok("required") => DpopMode::Required,
        Ok(other) => {
            return Err(format!(
                "AUTH_DPOP: {other:?} is neither `allowed` nor `required`"
            ))
        }
    };
    Ok(builder.dpop(DpopConfig::default().mode(mode)))
}

/// The development DPoP client key's public JWK and its RFC 7638 thumbprint, computed by
/// jsonwebtoken.
fn development_dpop_jwk() -> Result<(jsonwebtoken::jwk::Jwk, EncodingKey), String> {
    let key = EncodingKey::from_ec_pem(DEVELOPMENT_DPOP_KEY.as_bytes())
        .map_err(|error| error.to_string())?;
    let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, jsonwebtoken::Algorithm::ES256)
        .map_err(|error| error.to_string())?;
    jwk.common.key_algorithm = None;
    Ok((jwk, key))
}

/// The `cnf.jkt` of tokens bound to the development client key.
fn development_dpop_thumbprint() -> Result<String, String> {
    let (jwk, _) = development_dpop_jwk()?;
    jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .map_err(|error| error.to_string())
}

/// A DPoP proof (RFC 9449 §4.2) for one `method` request to `url` with `token`, signed by the
/// development client key: what a DPoP client library does for each request.
fn dpop_proof(method: &str, url: &str, token: &str) -> Result<String, String> {
    use base64::Engine;
    use sha2::Digest;
    let (jwk, key) = development_dpop_jwk()?;
    let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
    header.typ = Some("dpop+jwt".to_owned());
    header.jwk = Some(jwk);
    let mut jti = [0u8; 16];
    getrandom::getrandom(&mut jti).map_err(|error| error.to_string())?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims = json!({
        "jti": b64.encode(jti),
        "htm": method,
        "htu": url,
        "iat": jsonwebtoken::get_current_timestamp(),
        "ath": b64.encode(sha2::Sha256::digest(token.as_bytes())),
    });
    jsonwebtoken::encode(&header, &claims, &key).map_err(|error| error.to_string())
}

/// `AUTH_REDIS_URL`: revocations shared through Redis; else kept in memory.
fn revocation_store(builder: AuthenticatorBuilder) -> Result<AuthenticatorBuilder, String> {
    match env::var("AUTH_REDIS_URL") {
        Ok(url) => {
            let store =
                RedisStore::new(&url).map_err(|error| format!("AUTH_REDIS_URL: {error}"))?;
            Ok(builder.revocation_store(store))
        }
        Err(_) => Ok(builder),
    }
}

/// `user:password` pairs separated by commas, hashed now; each user holds `reports:read`.
fn basic_users(list: &str) -> Result<StaticUsers, String> {
    list.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .try_fold(StaticUsers::new(), |users, pair| {
            let (user, password) = pair
                .split_once(':')
                .ok_or_else(|| format!("AUTH_BASIC_USERS: {pair:?} is not `user:password`"))?;
            users
                .user(user, password, ["reports:read"])
                .map_err(|error| format!("AUTH_BASIC_USERS: {error}"))
        })
}

/// Comma-separated API keys, each holding `metrics:read`; only their digests are kept.
fn static_api_keys(list: &str) -> Result<StaticApiKeys, String> {
    list.split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .enumerate()
        .try_fold(StaticApiKeys::new(), |keys, (index, key)| {
            keys.key(key, format!("api-client-{}", index + 1), ["metrics:read"])
                .map_err(|error| format!("AUTH_API_KEYS: {error}"))
        })
}

/// The variable `name`, or `default` when it is unset.
fn env_or(name: &str, default: &str) -> String {
    env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// How and when the user of a minted token logged in (RFC 9470 `acr`, `auth_time`).
struct Login {
    acr: &'static str,
    auth_time: u64,
}

impl Login {
    /// A login with `acr` that happened now.
    fn fresh(acr: &'static str) -> Self {
        Login {
            acr,
            auth_time: jsonwebtoken::get_current_timestamp(),
        }
    }
}

/// An HS256 access token for `scope` (space-delimited), valid for one hour, carrying `login`.
fn mint(
    secret: &str,
    issuer: &str,
    audience: &str,
    scope: &str,
    login: Option<Login>,
) -> Result<String, String> {
    mint_with(secret, issuer, audience, scope, login, None)
}

/// [`mint`] without a login, bound to the DPoP key whose thumbprint is `jkt` (RFC 9449 §6.1)
/// when given.
fn mint_bound(
    secret: &str,
    issuer: &str,
    audience: &str,
    scope: &str,
    jkt: Option<&str>,
) -> Result<String, String> {
    mint_with(secret, issuer, audience, scope, None, jkt)
}

/// An HS256 access token with what `login` and `jkt` say.
fn mint_with(
    secret: &str,
    issuer: &str,
    audience: &str,
    scope: &str,
    login: Option<Login>,
    jkt: Option<&str>,
) -> Result<String, String> {
    let now = jsonwebtoken::get_current_timestamp();
    let mut claims = json!({
        "iss": issuer,
        "aud": audience,
        "sub": "quickstart-user",
        "iat": now,
        "exp": now + 3600,
        "scope": scope,
    });
    if let Some(login) = login {
        claims["acr"] = json!(login.acr);
        claims["auth_time"] = json!(login.auth_time);
    }
    if let Some(jkt) = jkt {
        claims["cnf"] = json!({ "jkt": jkt });
    }
    let key = EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&Header::default(), &claims, &key).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;
    use actix_web::test;

    async fn call(req: test::TestRequest) -> actix_web::dev::ServiceResponse {
        let auth = Authenticator::builder()
            .realm("quickstart")
            .issuer("quickstart")
            .audience("quickstart-api")
            .key(Key::hs256(DEVELOPMENT_SECRET).unwrap())
            .basic(basic_users("alice:wonderland").unwrap())
            .api_keys(static_api_keys("demo-key-123").unwrap())
            .deny_by_default()
            .build()
            .unwrap();
        call_with(auth, req).await
    }

    async fn call_with(
        auth: Authenticator,
        req: test::TestRequest,
    ) -> actix_web::dev::ServiceResponse {
        let app = test::init_service(
            App::new()
                .wrap(auth.middleware())
                .configure(auth.configure())
                .app_data(web::Data::new(auth.clone()))
                .configure(routes),
        )
        .await;
        test::call_service(&app, req.to_request())
            .await
            .map_into_boxed_body()
    }

    fn bearer(scope: &str) -> (&'static str, String) {
        bearer_with(scope, "quickstart-api", None)
    }

    fn bearer_with(scope: &str, audience: &str, login: Option<Login>) -> (&'static str, String) {
        let token = mint(DEVELOPMENT_SECRET, "quickstart", audience, scope, login).unwrap();
        ("Authorization", format!("Bearer {token}"))
    }

    #[actix_web::test]
    async fn settings_needs_a_fresh_multi_factor_login() {
        let get = || test::TestRequest::get().uri("/settings");
        let res = call(get().insert_header(bearer_with(
            "items:read",
            "quickstart-api",
            Some(Login::fresh(MFA)),
        )))
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = test::read_body_json(res).await;
        assert_eq!(body["sub"], "quickstart-user");
        assert_eq!(body["acr"], MFA);
        assert!(body["auth_time"].as_u64().is_some());

        let res = call(get().insert_header(bearer("items:read"))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            res.headers().get("www-authenticate").unwrap(),
            r#"Bearer realm="quickstart", error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:quickstart:mfa", max_age="300""#
        );
        let old = Login {
            acr: MFA,
            auth_time: jsonwebtoken::get_current_timestamp() - 3600,
        };
        let res =
            call(get().insert_header(bearer_with("items:read", "quickstart-api", Some(old)))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }

    #[actix_web::test]
    async fn auth_resource_publishes_metadata_and_becomes_the_audience() {
        let resource = "http://127.0.0.1:8080";
        let auth = || {
            let builder = Authenticator::builder()
                .realm("quickstart")
                .issuer("https://login.quickstart.test")
                .key(Key::hs256(DEVELOPMENT_SECRET).unwrap());
            with_resource(builder, Some(resource)).build().unwrap()
        };
        let res = call_with(
            auth(),
            test::TestRequest::get().uri("/.well-known/oauth-protected-resource"),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let document: serde_json::Value = test::read_body_json(res).await;
        assert_eq!(document["resource"], resource);
        assert_eq!(
            document["authorization_servers"],
            json!(["https://login.quickstart.test"])
        );
        assert_eq!(document["scopes_supported"], json!(SCOPES));

        let res = call_with(auth(), test::TestRequest::get().uri("/items")).await;
        assert_eq!(
            res.headers().get("www-authenticate").unwrap(),
            r#"Bearer realm="quickstart", resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource""#
        );
        let token = mint(
            DEVELOPMENT_SECRET,
            "https://login.quickstart.test",
            resource,
            "items:read",
            None,
        )
        .unwrap();
        let authorization = ("Authorization", format!("Bearer {token}"));
        let req = test::TestRequest::get()
            .uri("/items")
            .insert_header(authorization);
        assert_eq!(call_with(auth(), req).await.status(), StatusCode::OK);
        let req = test::TestRequest::get()
            .uri("/items")
            .insert_header(bearer("items:read"));
        assert_eq!(
            call_with(auth(), req).await.status(),
            StatusCode::UNAUTHORIZED,
            "a token for another audience"
        );
    }

    #[actix_web::test]
    async fn every_route_answers_as_the_banner_says() {
        let get = |path: &str| test::TestRequest::get().uri(path);
        assert_eq!(call(get("/public")).await.status(), StatusCode::OK);
        assert_eq!(
            call(get("/me").insert_header(bearer(""))).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            call(get("/items").insert_header(bearer("items:read")))
                .await
                .status(),
            StatusCode::OK
        );
        let res = call(
            test::TestRequest::post()
                .uri("/items")
                .insert_header(bearer("items:read items:write"))
                .set_json(json!({"name": "fig"})),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = call(
            test::TestRequest::delete()
                .uri("/items/1")
                .insert_header(bearer("admin")),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = call(
            get("/reports").insert_header(("Authorization", "Basic YWxpY2U6d29uZGVybGFuZA==")),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            call(get("/reports").insert_header(bearer("reports:read")))
                .await
                .status(),
            StatusCode::OK
        );
        assert_eq!(
            call(get("/metrics").insert_header(("X-API-Key", "demo-key-123")))
                .await
                .status(),
            StatusCode::OK
        );
    }

    #[actix_web::test]
    async fn refusals_follow_the_table() {
        let get = |path: &str| test::TestRequest::get().uri(path);
        let res = call(get("/items")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            res.headers().get("www-authenticate").unwrap(),
            r#"Bearer realm="quickstart""#
        );
        let res = call(get("/items").insert_header(bearer("other"))).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = call(get("/reports")).await;
        assert_eq!(res.headers().get_all("www-authenticate").count(), 2);
        let res = call(get("/metrics").insert_header(("X-API-Key", "demo-key-124"))).await;
        assert_eq!(
            res.headers().get("www-authenticate").unwrap(),
            r#"ApiKey realm="quickstart""#
        );
    }

    /// `AUTH_DPOP=allowed` / `required`, and the proofs `dpop-proof` prints.
    async fn dpop_call(mode: DpopMode, req: test::TestRequest) -> actix_web::dev::ServiceResponse {
        let auth = Authenticator::builder()
            .realm("quickstart")
            .issuer("quickstart")
            .audience("quickstart-api")
            .key(Key::hs256(DEVELOPMENT_SECRET).unwrap())
            .dpop(DpopConfig::default().mode(mode))
            .build()
            .unwrap();
        let app = test::init_service(
            App::new()
                .configure(auth.configure())
                .app_data(web::Data::new(auth.clone()))
                .configure(routes),
        )
        .await;
        test::call_service(&app, req.to_request()).await
    }

    #[actix_web::test]
    async fn dpop_proofs_of_the_dpop_proof_command_are_accepted_once_bound() {
        let jkt = development_dpop_thumbprint().unwrap();
        let bound = |scope: &str| {
            mint_bound(
                DEVELOPMENT_SECRET,
                "quickstart",
                "quickstart-api",
                scope,
                Some(&jkt),
            )
            .unwrap()
        };
        let dpop = |token: &str| {
            let proof = dpop_proof("GET", "http://localhost:8080/items", token).unwrap();
            test::TestRequest::get()
                .uri("/items")
                .insert_header(("Authorization", format!("DPoP {token}")))
                .insert_header(("DPoP", proof))
        };
        for mode in [DpopMode::Allowed, DpopMode::Required] {
            let res = dpop_call(mode, dpop(&bound("items:read"))).await;
            assert_eq!(res.status(), StatusCode::OK, "{mode:?}");
        }
        // Plain Bearer tokens: still fine when DPoP is allowed, refused when it is required.
        let get = || {
            test::TestRequest::get()
                .uri("/items")
                .insert_header(bearer("items:read"))
        };
        assert_eq!(
            dpop_call(DpopMode::Allowed, get()).await.status(),
            StatusCode::OK
        );
        let res = dpop_call(DpopMode::Required, get()).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res
            .headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("DPoP "));
        // A token without the binding is refused under DPoP.
        let unbound = mint_bound(
            DEVELOPMENT_SECRET,
            "quickstart",
            "quickstart-api",
            "items:read",
            None,
        )
        .unwrap();
        let res = dpop_call(DpopMode::Allowed, dpop(&unbound)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }

    #[actix_web::test]
    async fn admin_revocations_take_three_shapes_and_refuse_bad_bodies() {
        let auth = Authenticator::builder()
            .realm("quickstart")
            .issuer("quickstart")
            .audience("quickstart-api")
            .key(Key::hs256(DEVELOPMENT_SECRET).unwrap())
            .build()
            .unwrap();
        let app = test::init_service(
            App::new()
                .configure(auth.configure())
                .app_data(web::Data::new(auth.clone()))
                .configure(routes),
        )
        .await;
        let revocation = |body: &str| {
            test::TestRequest::post()
                .uri("/admin/revocations")
                .insert_header(bearer("admin:revoke"))
                .insert_header(("Content-Type", "application/json"))
                .set_payload(body.to_owned())
                .to_request()
        };
        let victim = mint(
            DEVELOPMENT_SECRET,
            "quickstart",
            "quickstart-api",
            "items:read",
            None,
        )
        .unwrap();
        let items = || {
            test::TestRequest::get()
                .uri("/items")
                .insert_header(("Authorization", format!("Bearer {victim}")))
                .to_request()
        };
        assert_eq!(
            test::call_service(&app, items()).await.status(),
            StatusCode::OK
        );
        let body = format!(r#"{{"token": "{victim}"}}"#);
        assert_eq!(
            test::call_service(&app, revocation(&body)).await.status(),
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            test::call_service(&app, items()).await.status(),
            StatusCode::UNAUTHORIZED
        );
        for good in [
            r#"{"jti": "j-1"}"#,
            r#"{"sub": "someone", "issued_before": 1767225600}"#,
        ] {
            assert_eq!(
                test::call_service(&app, revocation(good)).await.status(),
                StatusCode::NO_CONTENT
            );
        }
        for bad in [
            "",
            "not json",
            "{}",
            r#"{"jti": ""}"#,
            r#"{"jti": 7}"#,
            r#"{"sub": "x"}"#,
            r#"{"jti": "a", "token": "b"}"#,
        ] {
            let res = test::call_service(&app, revocation(bad)).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(
                res.headers().get("content-type").unwrap(),
                "application/problem+json",
                "{bad}"
            );
        }
        // Without the scope: 403, and the body is never read.
        let res = test::call_service(
            &app,
            test::TestRequest::post()
                .uri("/admin/revocations")
                .insert_header(bearer("items:write"))
                .set_payload("not json")
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
}
