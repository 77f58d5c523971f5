#![deny(warnings)]

use actix_web::{get, App, HttpResponse};
use auth_runtime::requires;

#[get("/admin")]
#[requires(realm = "admin area", scope = "admin")]
async fn admin() -> HttpResponse {
    HttpResponse::Ok().finish()
}

// Quotes are escaped by the challenge builder; non-ASCII is sent as obs-text.
#[get("/quoted")]
#[requires(realm = "the \"items\" API — café")]
async fn quoted() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new().service(admin).service(quoted);
}
