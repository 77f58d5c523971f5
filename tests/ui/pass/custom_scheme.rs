#![deny(warnings)]

use actix_web::{get, App, HttpRequest, HttpResponse};
use auth_runtime::{requires, Authenticator, CustomScheme, Identity, Principal, Refusal, Scheme};

/// `Cookie: session=<user>`.
struct SessionCookie;

impl CustomScheme for SessionCookie {
    const NAME: &'static str = "Session";

    fn is_present(&self, req: &HttpRequest) -> bool {
        req.headers()
            .get("cookie")
            .is_some_and(|cookie| cookie.as_bytes().starts_with(b"session="))
    }

    async fn verify(&self, _req: &HttpRequest) -> Result<Principal, Refusal> {
        Ok(Principal::user(Scheme::Custom(Self::NAME), "session-user"))
    }
}

mod auth {
    use actix_web::HttpRequest;
    use auth_runtime::{CustomScheme, Principal, Refusal, Scheme};

    /// A client certificate, named by a path in the attribute.
    pub struct ClientCertificate;

    impl CustomScheme for ClientCertificate {
        const NAME: &'static str = "Certificate";

        fn is_present(&self, req: &HttpRequest) -> bool {
            req.headers().contains_key("x-client-cert")
        }

        async fn verify(&self, _req: &HttpRequest) -> Result<Principal, Refusal> {
            Ok(Principal::user(Scheme::Custom(Self::NAME), "machine"))
        }
    }
}

#[get("/session")]
#[requires(scheme = SessionCookie)]
async fn session(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(format!("{}", who.scheme()))
}

#[get("/certificate")]
#[requires(scheme = crate::auth::ClientCertificate, scope = "machines")]
async fn certificate() -> HttpResponse {
    HttpResponse::Ok().finish()
}

// Custom and built-in schemes mix, in declaration order.
#[get("/mixed")]
#[requires(scheme = any(SessionCookie, "Bearer", auth::ClientCertificate))]
async fn mixed(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(format!("{}", who.scheme()))
}

fn main() {
    let auth = Authenticator::builder()
        .realm("api")
        .custom_scheme(SessionCookie)
        .custom_scheme(auth::ClientCertificate)
        .build();
    let _ = auth;
    let _app = App::new()
        .service(session)
        .service(certificate)
        .service(mixed);
}
