use actix_web::{get, HttpResponse};
use auth_runtime::public;

#[public(scope = "items:read")]
#[get("/items")]
async fn items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
