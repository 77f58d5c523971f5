#![deny(warnings)]

use actix_web::{get, post, App, HttpResponse};
use auth_runtime::{public, requires, Identity};
use utoipa::OpenApi;

// `#[requires]` first, then `#[utoipa::path]`, then the route attribute.
#[requires(scope = "items:read")]
#[utoipa::path(responses((status = 200, description = "Every item")))]
#[get("/items")]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

// The route attribute between the two.
#[requires(scope = all("items:read", "items:write"))]
#[post("/items")]
#[utoipa::path(responses((status = 201, description = "Created")))]
async fn create_item(who: Identity) -> HttpResponse {
    HttpResponse::Created().body(who.subject().unwrap_or_default().to_owned())
}

// `#[utoipa::path]` naming the method and path itself.
#[requires(scheme = any("Bearer", "Basic"), scope = any("reports:read", "admin"))]
#[utoipa::path(get, path = "/reports", responses((status = 200, description = "The report")))]
#[get("/reports")]
async fn reports() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[public]
#[utoipa::path(responses((status = 200, description = "Anyone")))]
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().finish()
}

// No OpenAPI: the order check is silent.
#[requires(optional)]
#[get("/maybe")]
async fn maybe(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{}", who.is_some()))
}

#[derive(OpenApi)]
#[openapi(paths(list_items, create_item, reports, health))]
struct ApiDoc;

fn main() {
    let _doc = ApiDoc::openapi();
    let _app = App::new()
        .service(list_items)
        .service(create_item)
        .service(reports)
        .service(health)
        .service(maybe);
}
