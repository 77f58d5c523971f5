use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(role = "")]
async fn admin() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(role = any())]
async fn anyone() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = admin;
    let _ = anyone;
}
