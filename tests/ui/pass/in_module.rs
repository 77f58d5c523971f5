#![deny(warnings)]

use actix_web::App;

mod handlers {
    use actix_web::{get, HttpResponse};
    use auth_runtime::requires;

    #[get("/a")]
    #[requires(scope = "a")]
    pub async fn public() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[get("/b")]
    #[requires(scope = "b")]
    pub(crate) async fn in_crate() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {
    let _app = App::new()
        .service(handlers::public)
        .service(handlers::in_crate);
}
