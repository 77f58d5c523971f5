use actix_web::{HttpRequest, HttpResponse};
use auth_runtime::{requires, CustomScheme, Principal, Refusal};

struct SessionCookie;

impl CustomScheme for SessionCookie {
    const NAME: &'static str = "Session";

    fn is_present(&self, _req: &HttpRequest) -> bool {
        false
    }

    async fn verify(&self, _req: &HttpRequest) -> Result<Principal, Refusal> {
        Err(Refusal::Rejected)
    }
}

#[requires(scheme = any("Bearer", "Basic", "bearer"))]
async fn reports() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(scheme = any(SessionCookie, "ApiKey", SessionCookie))]
async fn session() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = reports;
    let _ = session;
}
