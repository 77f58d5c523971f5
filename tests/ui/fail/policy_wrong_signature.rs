use actix_web::{get, App, HttpRequest, HttpResponse};
use auth_runtime::{requires, PolicyDecision, Principal};

mod policies {
    use auth_runtime::{PolicyDecision, Principal};

    /// A parameter that is not an extractor.
    pub async fn not_an_extractor(_principal: &Principal, _id: u64) -> PolicyDecision {
        PolicyDecision::Allow
    }
}

/// Not `async`.
fn blocking(_principal: &Principal, _req: &HttpRequest) -> PolicyDecision {
    PolicyDecision::Allow
}

/// Returns the wrong type.
async fn boolean(_principal: &Principal, _req: &HttpRequest) -> bool {
    true
}

/// Takes its arguments by value.
async fn by_value(_principal: Principal, _req: HttpRequest) -> PolicyDecision {
    PolicyDecision::Allow
}

#[get("/a")]
#[requires(policy = policies::not_an_extractor)]
async fn a() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/b")]
#[requires(policy = blocking)]
async fn b() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/c")]
#[requires(policy = boolean)]
async fn c() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/d")]
#[requires(policy = by_value)]
async fn d() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new().service(a).service(b).service(c).service(d);
}
