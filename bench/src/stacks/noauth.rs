//! The baseline: the handler with no authentication at all.

use actix_web::{get, http::header, web, HttpRequest, HttpResponse};

#[get("/items")]
async fn items() -> HttpResponse {
    super::items_response()
}

/// [`items`] after one check by hand of the signature of the request's own Bearer token
/// ([`crate::stacks::Stack::NoAuthVerify`]): 401, without a challenge, when there is no such
/// token or its signature does not hold (the load scripts fail a run on any non-2xx answer).
#[get("/items")]
async fn items_after_a_check(
    req: HttpRequest,
    check: web::Data<crate::raw::Check>,
) -> HttpResponse {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if token.is_some_and(|token| check.run_on(token)) {
        super::items_response()
    } else {
        HttpResponse::Unauthorized().finish()
    }
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
