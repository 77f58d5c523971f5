use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scheme = "Beaver")]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(scheme = "Digest")]
async fn digest() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = list_items;
    let _ = digest;
}
