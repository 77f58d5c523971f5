use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(acr = all("urn:example:mfa", "urn:example:hwk"))]
async fn both() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(optional, acr = "urn:example:mfa")]
async fn maybe() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = both;
    let _ = maybe;
}
