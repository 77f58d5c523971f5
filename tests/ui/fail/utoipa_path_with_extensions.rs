use actix_web::{get, HttpResponse};
use auth_runtime::requires;

#[requires(scope = "items:read")]
#[utoipa::path(
    responses((status = 200, description = "Every item")),
    extensions(("x-owner" = json!("team-a")))
)]
#[get("/items")]
async fn items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
