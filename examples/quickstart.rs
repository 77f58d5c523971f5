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
//! | `AUTH_AUDIENCE`     | `quickstart-api`                                         |
//! | `AUTH_HS256_SECRET` | a development secret (with a warning); at least 32 bytes |
//! | `RUST_LOG`          | `info,auth_runtime=debug`                                |

use std::env;
use std::process::ExitCode;

use actix_web::{delete, get, post, web, App, HttpResponse, HttpServer};
use auth_runtime::{check_app, requires, Authenticator, Identity, Key};
use jsonwebtoken::{EncodingKey, Header};
use serde::Deserialize;
use serde_json::json;
use tracing_subscriber::EnvFilter;

/// Used when `AUTH_HS256_SECRET` is unset. Anyone who reads this file can mint tokens with it.
const DEVELOPMENT_SECRET: &str = "quickstart-development-secret-never-use-in-production";

// ---------------------------------------------------------------------------------------------
// The handlers. `#[requires]` checks the Bearer token (and its scopes) before any of the
// handler's own extractors run; a refused request never reaches the handler.

/// No attribute: anyone may call it.
#[get("/public")]
async fn public() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "message": "anyone can read this" }))
}

/// Any valid token, no scope; `Identity` holds the verified token's subject, scopes and claims.
#[get("/me")]
#[requires]
async fn me(who: Identity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "sub": who.subject(), "scopes": who.scopes() }))
}

#[get("/items")]
#[requires(scope = "items:read")]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().json(json!([{ "id": 1, "name": "apple" }, { "id": 2, "name": "pear" }]))
}

#[derive(Deserialize)]
struct NewItem {
    name: String,
}

/// Both scopes are needed. The JSON body is only read once the token has been accepted.
#[post("/items")]
#[requires(scope = all("items:read", "items:write"))]
async fn create_item(who: Identity, item: web::Json<NewItem>) -> HttpResponse {
    HttpResponse::Created().json(json!({
        "id": 3,
        "name": item.into_inner().name,
        "created_by": who.subject(),
    }))
}

/// Either scope is enough.
#[delete("/items/{id}")]
#[requires(scope = any("items:admin", "admin"))]
async fn delete_item(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "deleted": id.into_inner() }))
}

// ---------------------------------------------------------------------------------------------
// Start-up.

#[actix_web::main]
async fn main() -> ExitCode {
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

async fn run() -> Result<(), String> {
    let bind = env_or("BIND", "127.0.0.1:8080");
    let realm = env_or("AUTH_REALM", "quickstart");
    let issuer = env_or("AUTH_ISSUER", "quickstart");
    let audience = env_or("AUTH_AUDIENCE", "quickstart-api");
    let secret = env::var("AUTH_HS256_SECRET").unwrap_or_else(|_| {
        tracing::warn!(
            "AUTH_HS256_SECRET is not set: using a development secret that anyone reading \
             this example can sign tokens with; set at least 32 random bytes in production"
        );
        DEVELOPMENT_SECRET.to_owned()
    });

    // One authenticator for the whole application, checked here rather than on a request.
    let key = Key::hs256(&secret).map_err(|error| format!("AUTH_HS256_SECRET: {error}"))?;
    let auth = Authenticator::builder()
        .realm(&realm)
        .issuer(&issuer)
        .audience(&audience)
        .key(key)
        .build()
        .map_err(|error| error.to_string())?;

    let app = move || {
        App::new()
            .configure(auth.configure())
            .service(public)
            .service(me)
            .service(list_items)
            .service(create_item)
            .service(delete_item)
    };
    // Fails now, instead of answering 500, if the `App` forgot to register the authenticator.
    check_app(app()).await.map_err(|error| error.to_string())?;

    let server = HttpServer::new(app)
        .bind(&bind)
        .map_err(|error| format!("cannot listen on {bind:?} (BIND): {error}"))?;

    // Tokens for the banner, signed as a real issuer would sign them. Minting comes after
    // `build()`, which installs jsonwebtoken's crypto backend.
    let token = |scope: &str| mint(&secret, &issuer, &audience, scope);
    let reader = token("items:read")?;
    let writer = token("items:read items:write")?;
    let admin = token("items:admin")?;
    let base = format!("http://{}", server.addrs()[0]);
    let banner = [
        (
            "GET /public, no token needed",
            format!("curl -i {base}/public"),
        ),
        (
            "GET /me, any valid token",
            format!("curl -i {base}/me -H 'Authorization: Bearer {reader}'"),
        ),
        (
            "GET /items, scope items:read",
            format!("curl -i {base}/items -H 'Authorization: Bearer {reader}'"),
        ),
        (
            "POST /items, scopes items:read and items:write",
            format!(
                "curl -i {base}/items -H 'Authorization: Bearer {writer}' \
                 -H 'Content-Type: application/json' -d '{{\"name\":\"fig\"}}'"
            ),
        ),
        (
            "DELETE /items/{id}, scope items:admin or admin",
            format!("curl -i -X DELETE {base}/items/1 -H 'Authorization: Bearer {admin}'"),
        ),
        (
            "refused: no token, 401 with a `WWW-Authenticate: Bearer` challenge",
            format!("curl -i {base}/items"),
        ),
    ];
    println!("quickstart listening on {base}, realm {realm:?}\n");
    for (route, curl) in banner {
        println!("{route}:\n  {curl}\n");
    }

    server.run().await.map_err(|error| error.to_string())
}

/// The variable `name`, or `default` when it is unset.
fn env_or(name: &str, default: &str) -> String {
    env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// An HS256 access token for `scope` (space-delimited), valid for one hour.
fn mint(secret: &str, issuer: &str, audience: &str, scope: &str) -> Result<String, String> {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({
        "iss": issuer,
        "aud": audience,
        "sub": "quickstart-user",
        "iat": now,
        "exp": now + 3600,
        "scope": scope,
    });
    let key = EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&Header::default(), &claims, &key).map_err(|error| error.to_string())
}
