use actix_web::{get, App, HttpResponse};
use auth_runtime::requires;

#[get("/items/{id}")]
#[requires(scope = "items:read")]
async fn item(id: u32) -> HttpResponse {
    HttpResponse::Ok().body(id.to_string())
}

fn main() {
    let _ = App::new().service(item);
}
