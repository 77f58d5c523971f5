use actix_web::{routes, HttpResponse};
use auth_runtime::requires;

#[requires(scope = "items:read")]
#[routes]
#[get("/items")]
#[get("/things")]
async fn items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
