use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(role = "admin owner")]
async fn admin() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(role = any("staff", "billing admin"))]
async fn billing() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = admin;
    let _ = billing;
}
