#![deny(warnings)]

use actix_web::{get, App, HttpResponse};
use auth_runtime::requires;

#[get("/default")]
#[requires]
async fn default_scheme() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/empty")]
#[requires()]
async fn empty_arguments() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/explicit")]
#[requires(scheme = "Bearer")]
async fn explicit_scheme() -> HttpResponse {
    HttpResponse::Ok().finish()
}

// Scheme names are case-insensitive (RFC 9110 §11.1).
#[get("/lowercase")]
#[requires(scheme = "bearer", scope = "items:read",)]
async fn lowercase_scheme() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new()
        .service(default_scheme)
        .service(empty_arguments)
        .service(explicit_scheme)
        .service(lowercase_scheme);
}
