#![deny(warnings)]

use actix_web::{get, App, HttpResponse};
use auth_runtime::requires;

#[get("/items")]
#[requires(scope = "items:read")]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new().service(list_items);
}
