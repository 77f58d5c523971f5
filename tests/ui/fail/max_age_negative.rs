use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scope = "settings:write", max_age = -300)]
async fn settings() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = settings;
}
