use actix_web::{get, HttpResponse};
use auth_runtime::requires;

#[utoipa::path(responses((status = 200, description = "Every item")))]
#[requires(scope = "items:read")]
#[get("/items")]
async fn items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
