use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scheme = Bearer, scope = items, optional = true)]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = list_items;
}
