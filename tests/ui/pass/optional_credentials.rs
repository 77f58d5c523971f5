#![deny(warnings)]

use actix_web::{get, App, HttpResponse};
use auth_runtime::{requires, Claims, Identity};

#[derive(serde::Deserialize)]
struct Tenant {
    tenant: String,
}

#[get("/greet")]
#[requires(optional)]
async fn greet(who: Option<Identity>) -> HttpResponse {
    match who {
        Some(who) => HttpResponse::Ok().body(format!("hello {}", who.subject().unwrap_or("?"))),
        None => HttpResponse::Ok().body("hello stranger"),
    }
}

#[get("/tenant")]
#[requires(optional, realm = "public")]
async fn tenant(claims: std::option::Option<Claims<Tenant>>) -> HttpResponse {
    let tenant = claims.map(|claims| claims.into_inner().tenant);
    HttpResponse::Ok().body(tenant.unwrap_or_default())
}

fn main() {
    let _app = App::new().service(greet).service(tenant);
}
