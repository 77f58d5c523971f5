#![deny(warnings, missing_docs)]
//! Attributes other than docs, `cfg` and routes stay on the user's function.

use actix_web::{get, web, App, HttpResponse};
use auth_runtime::{requires, Identity};

/// Documented: the docs land on the handler actix-web sees.
#[get("/traced/{id}")]
#[requires(scope = "items:read")]
#[tracing::instrument(skip_all, fields(id = %id))]
#[allow(unused_variables)]
pub async fn traced(id: web::Path<u32>, who: Identity) -> HttpResponse {
    let unused = 1;
    HttpResponse::Ok().finish()
}

/// Compiled in.
#[requires]
#[cfg(all())]
#[inline]
pub async fn kept() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Compiled out before `#[requires]` runs.
#[cfg(any())]
#[requires(scope = "never")]
pub async fn removed_first() -> HttpResponse {
    compile_error!("never compiled")
}

/// Compiled out after `#[requires]` runs: the handler and its hidden items all carry the `cfg`.
#[requires(scope = "never")]
#[cfg(any())]
pub async fn removed_after() -> HttpResponse {
    compile_error!("never compiled")
}

fn main() {
    let _app = App::new()
        .service(traced)
        .route("/kept", web::get().to(kept));
}
