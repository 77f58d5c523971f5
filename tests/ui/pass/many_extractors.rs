#![deny(warnings)]

use actix_web::{post, web, App, HttpRequest, HttpResponse};
use auth_runtime::{requires, Claims, Identity};

#[derive(serde::Deserialize)]
struct NewItem {
    name: String,
}

#[derive(serde::Deserialize)]
struct MyClaims {
    tenant: String,
}

#[post("/shops/{shop}/items")]
#[requires(scope = all("items:read", "items:write"))]
async fn create_item(
    request: HttpRequest,
    shop: web::Path<u32>,
    body: web::Json<NewItem>,
    who: Identity,
    mut claims: Claims<MyClaims>,
    query: Option<web::Query<std::collections::HashMap<String, String>>>,
) -> HttpResponse {
    claims.0.tenant.push('!');
    HttpResponse::Created().body(format!(
        "{} {} {} {} {} {}",
        request.path(),
        shop,
        body.name,
        who.subject().unwrap_or("?"),
        claims.tenant,
        query.map_or(0, |query| query.len()),
    ))
}

fn main() {
    let _app = App::new().service(create_item);
}
