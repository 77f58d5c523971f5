use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(max_age = 2.5)]
async fn fraction() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(max_age = "300")]
async fn quoted() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(max_age = 300s)]
async fn suffixed() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(max_age = FIVE_MINUTES)]
async fn constant() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = fraction;
    let _ = quoted;
    let _ = suffixed;
    let _ = constant;
}
