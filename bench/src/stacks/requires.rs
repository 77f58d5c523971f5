//! This library: `#[requires]` on the handler, one `Authenticator` registered on the app.

use actix_web::{get, web, HttpResponse};
use auth_runtime::{requires, Authenticator, TokenCacheConfig};
use jsonwebtoken::Algorithm;

use crate::keys;

#[get("/items")]
#[requires(scope = "items:read")]
async fn items() -> HttpResponse {
    super::items_response()
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

pub(super) fn configure(config: &mut web::ServiceConfig, auth: &Authenticator) {
    auth.configure()(config);
    config.service(items);
}
