#![deny(warnings)]

use actix_web::{get, App, HttpResponse};
use auth_runtime::{requires, Identity};

#[get("/reports")]
#[requires(scheme = any("Bearer", "Basic"), scope = "reports:read")]
async fn reports(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(format!("{}", who.scheme()))
}

#[get("/all-three")]
#[requires(scheme = any("apikey", "BASIC", "Bearer",))]
async fn all_three(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{}", who.is_some()))
}

#[get("/single")]
#[requires(scheme = any("Basic"))]
async fn single() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new()
        .service(reports)
        .service(all_three)
        .service(single);
}
