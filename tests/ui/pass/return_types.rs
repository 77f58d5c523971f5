#![deny(warnings)]

use actix_web::{get, web, App, HttpResponse, Responder};
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

#[requires]
async fn json() -> web::Json<Vec<&'static str>> {
    web::Json(vec!["apple", "pear"])
}

fn main() {
    let _app = App::new()
        .service(impl_responder)
        .service(result)
        .route("/json", web::get().to(json));
}
