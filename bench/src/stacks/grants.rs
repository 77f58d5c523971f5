//! A peer as its users write it: actix-web-grants' `#[protect]` on the handler, and its
//! middleware with an extractor that decodes the Bearer token with jsonwebtoken (its
//! `aws_lc_rs` backend) and hands over the token's scopes as authorities.

use std::collections::HashSet;

use actix_web::dev::ServiceRequest;
use actix_web::error::ErrorUnauthorized;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{get, web, HttpResponse};
use actix_web_grants::{protect, GrantsMiddleware};

use super::{AccessClaims, JwtVerifier};

async fn extract_scopes(req: &ServiceRequest) -> actix_web::Result<HashSet<String>> {
    let verifier = req
        .app_data::<web::Data<JwtVerifier>>()
        .expect("the verifier is registered");
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| ErrorUnauthorized("missing bearer token"))?;
    let token = jsonwebtoken::decode::<AccessClaims>(token, &verifier.key, &verifier.validation)
        .map_err(|_| ErrorUnauthorized("invalid token"))?;
    Ok(token.claims.scopes().map(str::to_owned).collect())
}

#[get("/items")]
#[protect("items:read")]
async fn items() -> HttpResponse {
    super::items_response()
}

pub(super) fn configure(config: &mut web::ServiceConfig, verifier: web::Data<JwtVerifier>) {
    config.app_data(verifier).service(
        web::scope("")
            .wrap(GrantsMiddleware::with_extractor(extract_scopes))
            .service(items),
    );
}
