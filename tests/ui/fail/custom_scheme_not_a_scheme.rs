use actix_web::{get, App, HttpResponse};
use auth_runtime::requires;

struct SessionCookie;

mod auth {
    pub struct Certificate;
}

#[get("/session")]
#[requires(scheme = SessionCookie)]
async fn session() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/certificate")]
#[requires(scheme = any("Bearer", crate::auth::Certificate))]
async fn certificate() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new().service(session).service(certificate);
}
