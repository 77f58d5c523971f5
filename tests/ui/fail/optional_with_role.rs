use actix_web::{HttpRequest, HttpResponse};
use auth_runtime::{requires, Identity, PolicyDecision, Principal};

async fn check(_principal: &Principal, _req: &HttpRequest) -> PolicyDecision {
    PolicyDecision::Allow
}

#[requires(optional, role = "admin")]
async fn admin(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{}", who.is_some()))
}

#[requires(policy = check, optional)]
async fn checked(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{}", who.is_some()))
}

#[requires(optional, scope = "items:read", role = "admin")]
async fn both(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{}", who.is_some()))
}

fn main() {
    let _ = admin;
    let _ = checked;
    let _ = both;
}
