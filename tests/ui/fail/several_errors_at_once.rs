use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scop = "items:read", realm = "", scheme = "Beaver")]
fn list_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = list_items;
}
