#![deny(warnings)]

use actix_web::{get, web, App, HttpResponse};
use auth_runtime::{public, Identity};

/// Open to anyone: registered with its declaration.
#[public]
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// A valid token, when one is sent, is the handler's `Some`.
#[public]
#[get("/hello")]
async fn hello(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(who.map_or("stranger".to_owned(), |who| {
        who.subject().unwrap_or_default().to_owned()
    }))
}

/// Without a route attribute: registered by hand.
#[public]
async fn plain() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[public(crate = "auth_runtime")]
#[get("/renamed")]
async fn renamed() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new()
        .service(health)
        .service(hello)
        .service(renamed)
        .service(web::scope("/api").service(health))
        .route("/plain", web::get().to(plain));
}
