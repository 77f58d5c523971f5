//! The baseline: the handler with no authentication at all.

use actix_web::{get, web, HttpResponse};

#[get("/items")]
async fn items() -> HttpResponse {
    super::items_response()
}

/// [`items`] after one signature check by hand ([`crate::stacks::Stack::NoAuthVerify`]).
#[get("/items")]
async fn items_after_a_check(check: web::Data<crate::raw::Check>) -> HttpResponse {
    super::items_after(&check)
}

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config.service(items);
}

pub(super) fn configure_with_check(
    config: &mut web::ServiceConfig,
    check: web::Data<crate::raw::Check>,
) {
    config.app_data(check).service(items_after_a_check);
}
