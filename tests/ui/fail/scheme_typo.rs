use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scheme = "Basci")]
async fn basic() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(scheme = any("Bearer", "Api-Key"))]
async fn keys() -> HttpResponse {
    HttpResponse::Ok().finish()
}

// A quoted type name: custom schemes are named by their type.
#[requires(scheme = "SessionCookie")]
async fn session() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = basic;
    let _ = keys;
    let _ = session;
}
