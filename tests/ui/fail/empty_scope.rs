use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scope = "")]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = list_items;
}
