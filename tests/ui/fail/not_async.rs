use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scope = "items:read")]
fn list_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = list_items;
}
