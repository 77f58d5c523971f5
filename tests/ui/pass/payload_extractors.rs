//! Body extractors after the guard: the guard never reads the payload, so a handler that
//! consumes it (`web::Payload`, `web::Bytes`, `String`) works as without the attribute.

#![deny(warnings)]

use actix_web::{post, web, App, HttpResponse};
use auth_runtime::{requires, Identity};

#[post("/stream")]
#[requires(scope = "upload")]
async fn stream(_who: Identity, _body: web::Payload) -> HttpResponse {
    HttpResponse::Accepted().finish()
}

#[post("/bytes")]
#[requires(scope = "upload")]
async fn bytes(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok().body(body)
}

#[post("/text")]
#[requires(scheme = any("Bearer", "Basic"))]
async fn text(body: String) -> HttpResponse {
    HttpResponse::Ok().body(body)
}

fn main() {
    let _ = App::new().service(stream).service(bytes).service(text);
}
