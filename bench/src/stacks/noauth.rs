//! The baseline: the handler with no authentication at all.

use actix_web::{get, web, HttpResponse};

#[get("/items")]
async fn items() -> HttpResponse {
    super::items_response()
}

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config.service(items);
}
