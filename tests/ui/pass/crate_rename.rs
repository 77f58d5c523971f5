#![deny(warnings)]

use actix_web::{get, App, HttpResponse};

mod deps {
    pub use ::auth_runtime as auth;
}

#[get("/absolute")]
#[auth_runtime::requires(crate = "::auth_runtime", scope = "items:read")]
async fn absolute() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/renamed")]
#[deps::auth::requires(crate = "crate::deps::auth", optional)]
async fn renamed(who: Option<deps::auth::Identity>) -> HttpResponse {
    HttpResponse::Ok().body(who.map_or("stranger", |_| "someone"))
}

fn main() {
    let _app = App::new().service(absolute).service(renamed);
}
