#![deny(warnings)]

use actix_web::{get, App, HttpResponse};
use auth_runtime::{requires, Identity};

#[get("/admin")]
#[requires(role = "admin")]
async fn admin() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/billing")]
#[requires(role = any("admin", "owner"), scope = "billing:read")]
async fn billing(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or_default().to_owned())
}

#[get("/nested")]
#[requires(scheme = "Basic", role = all("staff", any("tenant:a", "tenant:b"),))]
async fn nested() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new().service(admin).service(billing).service(nested);
}
