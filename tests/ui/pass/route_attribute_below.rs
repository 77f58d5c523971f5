#![deny(warnings)]

use actix_web::{App, HttpResponse};
use auth_runtime::{requires, Identity};

#[requires(scope = "profile")]
#[actix_web::get("/me")]
async fn me(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or_default().to_owned())
}

#[requires]
#[actix_web::route("/both", method = "GET", method = "HEAD")]
async fn both() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new().service(me).service(both);
}
