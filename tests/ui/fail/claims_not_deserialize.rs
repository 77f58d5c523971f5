use actix_web::{get, App, HttpResponse};
use auth_runtime::{requires, Claims};

struct NotDeserialize {
    tenant: String,
}

#[get("/tenant")]
#[requires(scope = "tenant:read")]
async fn tenant(claims: Claims<NotDeserialize>) -> HttpResponse {
    HttpResponse::Ok().body(claims.into_inner().tenant)
}

fn main() {
    let _app = App::new().service(tenant);
}
