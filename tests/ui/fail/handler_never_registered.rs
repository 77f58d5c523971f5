#![deny(dead_code)]

use actix_web::HttpResponse;
use auth_runtime::requires;

// The wrapper is the user's function as far as lints go: forgetting to register it is reported.
#[requires(scope = "items:read")]
async fn forgotten() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
