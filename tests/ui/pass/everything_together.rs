#![deny(warnings)]

use actix_web::{post, web, App, HttpRequest, HttpResponse};
use auth_runtime::{requires, Claims, CustomScheme, Identity, PolicyDecision, Principal, Refusal};
use serde::Deserialize;

struct SessionCookie;

impl CustomScheme for SessionCookie {
    const NAME: &'static str = "Session";

    fn is_present(&self, req: &HttpRequest) -> bool {
        req.headers().contains_key("cookie")
    }

    async fn verify(&self, _req: &HttpRequest) -> Result<Principal, Refusal> {
        Err(Refusal::Rejected)
    }
}

async fn business_hours(_principal: &Principal, _req: &HttpRequest) -> PolicyDecision {
    PolicyDecision::Allow
}

#[derive(Deserialize)]
struct TenantClaims {
    tenant: String,
}

#[post("/reports")]
#[requires(
    scheme = any("Bearer", "Basic", SessionCookie, "ApiKey"),
    scope = all("reports:read", any("reports:write", "reports:admin")),
    role = any("analyst", all("staff", "auditor")),
    policy = business_hours,
    realm = "reports",
)]
async fn create_report(
    who: Identity,
    claims: Claims<TenantClaims>,
    body: web::Json<String>,
) -> HttpResponse {
    HttpResponse::Created().json((
        who.subject().unwrap_or_default().to_owned(),
        claims.into_inner().tenant,
        body.into_inner(),
    ))
}

fn main() {
    let _app = App::new().service(create_report);
}
