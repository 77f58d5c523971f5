use actix_web::HttpResponse;
use auth_runtime::{requires, Identity};

#[requires(optional, scope = "items:read")]
async fn list_items(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{}", who.is_some()))
}

fn main() {
    let _ = list_items;
}
