use actix_web::{get, HttpResponse};
use auth_runtime::public;

#[utoipa::path(responses((status = 200, description = "Anyone")))]
#[public]
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
