use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scheme = any())]
async fn reports() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = reports;
}
