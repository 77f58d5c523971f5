use actix_web::{FromRequest, HttpResponse};
use auth_runtime::{requires, Identity};

#[requires(scope = "items:read")]
async fn list_items<E: FromRequest>(extracted: E) -> HttpResponse {
    drop(extracted);
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = list_items::<Identity>;
}
