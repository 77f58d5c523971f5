use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scheme = "Basic", acr = "urn:example:mfa")]
async fn basic() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(scheme = any("Basic", "ApiKey"), max_age = 300)]
async fn keys() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = basic;
    let _ = keys;
}
