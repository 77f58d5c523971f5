#![deny(warnings)]

use actix_web::{web, App, HttpResponse};
use auth_runtime::{requires, Identity};

#[requires(scope = "items:read")]
async fn list_items(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or_default().to_owned())
}

#[requires(scope = "items:write")]
async fn delete_item(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(id.into_inner().to_string())
}

fn main() {
    let _app = App::new()
        .service(web::resource("/items").route(web::get().to(list_items)))
        .route("/items/{id}", web::delete().to(delete_item));
}
