#![deny(warnings)]

use actix_web::{get, post, App, HttpResponse};
use auth_runtime::requires;

#[post("/items")]
#[requires(scope = all("items:read", "items:write"))]
async fn create_item() -> HttpResponse {
    HttpResponse::Created().finish()
}

#[get("/reports")]
#[requires(scope = any("admin", all("reports:read", any("tenant:a", "tenant:b"),),))]
async fn reports() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/odd")]
#[requires(scope = "urn:example:scope/read!#$%&'()*+,-./;<=>?@[]^_`{|}~")]
async fn every_allowed_character() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new()
        .service(create_item)
        .service(reports)
        .service(every_allowed_character);
}
