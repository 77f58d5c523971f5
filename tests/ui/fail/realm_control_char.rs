use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(realm = "api\r\nSet-Cookie: session=stolen")]
async fn injected() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(realm = "")]
async fn empty() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = injected;
    let _ = empty;
}
