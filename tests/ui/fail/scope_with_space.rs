use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scope = "items:read items:write")]
async fn edit_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(scope = any("admin", "items:read items:write"))]
async fn edit_items_nested() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = edit_items;
    let _ = edit_items_nested;
}
