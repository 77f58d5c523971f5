//! A peer as its users write it: actix-web-httpauth's `BearerAuth` extractor, then
//! `jsonwebtoken::decode` (jsonwebtoken's `aws_lc_rs` backend) and the scope check in the
//! handler.

use actix_web::error::{ErrorForbidden, ErrorUnauthorized};
use actix_web::{get, web, HttpResponse};
use actix_web_httpauth::extractors::bearer::BearerAuth;

use super::{AccessClaims, JwtVerifier};
use crate::keys::ITEMS_READ;

#[get("/items")]
async fn items(
    credentials: BearerAuth,
    verifier: web::Data<JwtVerifier>,
) -> actix_web::Result<HttpResponse> {
    let token = jsonwebtoken::decode::<AccessClaims>(
        credentials.token(),
        &verifier.key,
        &verifier.validation,
    )
    .map_err(|_| ErrorUnauthorized("invalid token"))?;
    if !token.claims.scopes().any(|scope| scope == ITEMS_READ) {
        return Err(ErrorForbidden("insufficient scope"));
    }
    Ok(super::items_response())
}

pub(super) fn configure(config: &mut web::ServiceConfig, verifier: web::Data<JwtVerifier>) {
    config.app_data(verifier).service(items);
}
