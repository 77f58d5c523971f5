use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scheme = all("Bearer", "Basic"))]
async fn reports() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = reports;
}
