#![deny(warnings)]

use actix_web::{get, App, HttpResponse};
use auth_runtime::{requires, Identity};

#[get("/settings")]
#[requires(scope = "items:read", acr = "urn:example:mfa", max_age = 300)]
async fn settings(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.acr().unwrap_or_default().to_owned())
}

#[get("/strong")]
#[requires(acr = any("urn:example:mfa", "urn:example:hwk",))]
async fn strong() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/recent")]
#[requires(max_age = 0, role = "admin")]
async fn recent() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/mixed")]
#[requires(scheme = any("Basic", "Bearer"), max_age = 18446744073709551615)]
async fn mixed() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new()
        .service(settings)
        .service(strong)
        .service(recent)
        .service(mixed);
}
