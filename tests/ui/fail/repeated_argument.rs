use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scope = "items:read", realm = "api", scope = "items:write")]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = list_items;
}
