#![deny(warnings)]

use actix_web::{get, App, HttpResponse, Responder};
use auth_runtime::requires;

#[get("/responder")]
#[requires(scope = "items:read")]
async fn impl_responder() -> impl Responder {
    "text"
}

#[get("/result")]
#[requires(scope = "items:read")]
async fn result() -> Result<HttpResponse, actix_web::Error> {
    Ok(HttpResponse::Ok().finish())
}

#[get("/unit")]
#[requires]
async fn unit() {}

fn main() {
    let _app = App::new()
        .service(impl_responder)
        .service(result)
        .service(unit);
}
