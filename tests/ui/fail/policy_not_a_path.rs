use actix_web::{HttpRequest, HttpResponse};
use auth_runtime::{requires, PolicyDecision, Principal};

async fn check(_principal: &Principal, _req: &HttpRequest) -> PolicyDecision {
    PolicyDecision::Allow
}

#[requires(policy = "check")]
async fn quoted() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(policy = check())]
async fn called() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(policy)]
async fn missing() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = check;
    let _ = quoted;
    let _ = called;
    let _ = missing;
}
