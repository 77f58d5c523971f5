#![deny(warnings)]

use actix_web::{get, web, App, HttpResponse};
use auth_runtime::requires;

#[get("/ping")]
#[requires]
async fn ping() -> &'static str {
    "pong"
}

#[requires(scope = "types:read")]
async fn r#type() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new()
        .service(ping)
        .route("/type", web::get().to(r#type));
}
