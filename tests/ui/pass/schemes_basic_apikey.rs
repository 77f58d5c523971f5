#![deny(warnings)]

use actix_web::{get, App, HttpResponse};
use auth_runtime::{requires, Identity};

#[get("/basic")]
#[requires(scheme = "Basic")]
async fn basic(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or_default().to_owned())
}

#[get("/metrics")]
#[requires(scheme = "ApiKey", scope = "metrics:read")]
async fn metrics() -> HttpResponse {
    HttpResponse::Ok().finish()
}

// Scheme names are case-insensitive (RFC 9110 §11.1).
#[get("/lowercase")]
#[requires(scheme = "basic")]
async fn lowercase_basic() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/shouting")]
#[requires(scheme = "APIKEY")]
async fn uppercase_api_key() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new()
        .service(basic)
        .service(metrics)
        .service(lowercase_basic)
        .service(uppercase_api_key);
}
