//! This library: `#[requires]` on the handler, one `Authenticator` registered on the app.

use actix_web::{get, post, web, App, HttpResponse, HttpServer};
use auth_runtime::{
    requires, Authenticator, DpopConfig, DpopMode, Introspection, Revocation, TokenCacheConfig,
};
use jsonwebtoken::Algorithm;
use serde_json::json;

use crate::keys;

#[get("/items")]
#[requires(scope = "items:read")]
async fn items() -> HttpResponse {
    super::items_response()
}

/// [`items`] that also checks one signature by hand before it answers
/// ([`crate::stacks::Stack::RequiresVerify`]).
#[get("/items")]
#[requires(scope = "items:read")]
async fn items_after_a_check(check: web::Data<crate::raw::Check>) -> HttpResponse {
    super::items_after(&check)
}

/// The authenticator as the README configures one; `cache: false` turns the verified-token
/// cache off to show the cold path.
pub(super) fn authenticator(alg: Algorithm, cache: bool) -> Authenticator {
    let builder = Authenticator::builder()
        .realm("items")
        .issuer(keys::ISSUER)
        .audience(keys::AUDIENCE)
        .key(keys::runtime_key(alg));
    let builder = if cache {
        builder
    } else {
        builder.token_cache(TokenCacheConfig::disabled())
    };
    builder
        .build()
        .expect("the benchmark's authentication configuration is valid")
}

/// [`authenticator`] with DPoP allowed on every Bearer endpoint, with the default proof rules
/// (60 s window, the in-memory replay cache).
pub(super) fn with_dpop(alg: Algorithm) -> Authenticator {
    Authenticator::builder()
        .realm("items")
        .issuer(keys::ISSUER)
        .audience(keys::AUDIENCE)
        .key(keys::runtime_key(alg))
        .dpop(DpopConfig::default().mode(DpopMode::Allowed))
        .build()
        .expect("the benchmark's authentication configuration is valid")
}

/// [`authenticator`] with `count` revocations in force: a third each of `jti`s, tokens and
/// subjects, none of them the benchmark's.
pub(super) fn with_revocations(alg: Algorithm, count: u64) -> Authenticator {
    let auth = authenticator(alg, true);
    let kept_until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
        + 7 * 24 * 3600;
    auth.revocations().extend((0..count).map(|serial| {
        let revocation = match serial % 3 {
            0 => Revocation::jti(format!("revoked-{serial}")),
            1 => Revocation::token(&format!("revoked.token.{serial}")),
            _ => Revocation::subject(format!("revoked-user-{serial}"), kept_until),
        };
        revocation.until(kept_until)
    }));
    auth
}

/// The same rules, every token introspected at an endpoint served on another loopback port
/// by this process (one thread, its own actix system), which answers each of the benchmark's
/// tokens as active with its claims, as the provider that issued it would.
pub(super) fn introspecting(alg: Algorithm) -> Authenticator {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(|| App::new().service(introspect))
                .workers(1)
                .disable_signals()
                .bind(("127.0.0.1", 0))
                .expect("the introspection endpoint binds to 127.0.0.1");
            let _ = sender.send(server.addrs()[0]);
            server.run().await
        })
    });
    let address = receiver.recv().expect("the introspection endpoint started");
    Authenticator::builder()
        .realm("items")
        .issuer(keys::ISSUER)
        .audience(keys::AUDIENCE)
        .key(keys::runtime_key(alg))
        .allow_http()
        .introspection(
            Introspection::endpoint(format!("http://{address}/introspect"))
                .client_secret_basic("auth-bench", "TEST-ONLY auth-bench secret")
                .every_token(),
        )
        .build()
        .expect("the benchmark's authentication configuration is valid")
}

#[derive(serde::Deserialize)]
struct IntrospectionRequest {
    token: String,
}

#[post("/introspect")]
async fn introspect(form: web::Form<IntrospectionRequest>) -> HttpResponse {
    let claims = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(&form.token);
    match claims {
        Ok(mut claims) => {
            claims["active"] = true.into();
            HttpResponse::Ok().json(claims)
        }
        Err(_) => HttpResponse::Ok().json(json!({ "active": false })),
    }
}

pub(super) fn configure(config: &mut web::ServiceConfig, auth: &Authenticator) {
    auth.configure()(config);
    config.service(items);
}

pub(super) fn configure_with_check(
    config: &mut web::ServiceConfig,
    auth: &Authenticator,
    check: web::Data<crate::raw::Check>,
) {
    auth.configure()(config);
    config.app_data(check).service(items_after_a_check);
}
