use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scop = "items:read")]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = list_items;
}
