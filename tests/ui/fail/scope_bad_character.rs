use actix_web::HttpResponse;
use auth_runtime::requires;

#[requires(scope = "items\"read")]
async fn quote() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(scope = all("items\\read", "lecture:résumé", "tab\there"))]
async fn others() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = quote;
    let _ = others;
}
