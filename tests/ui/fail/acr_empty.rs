use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(acr = "")]
async fn empty() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(acr = any())]
async fn none() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(acr = "urn:example:mfa urn:example:hwk")]
async fn list() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = empty;
    let _ = none;
    let _ = list;
}
