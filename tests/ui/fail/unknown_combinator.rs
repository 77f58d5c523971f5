use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scope = either("items:read", "admin"))]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(scope = all("items:read", Any("admin", "owner")))]
async fn edit_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = list_items;
    let _ = edit_items;
}
