#![deny(warnings)]

use actix_web::{get, App, HttpResponse};
use auth_runtime::{requires, Identity};

#[get("/me")]
#[requires(scope = "profile")]
async fn me(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or_default().to_owned())
}

fn main() {
    let _app = App::new().service(me);
}
