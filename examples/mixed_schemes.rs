//! Several ways in on one API: users with Bearer tokens, an admin tool with Basic, machines
//! with API keys, browsers with a session cookie (a custom scheme), and a policy that refuses
//! requests outside a maintenance window.
//!
//! ```text
//! cargo run --example mixed_schemes
//! ```
//!
//! Bearer tokens are HS256 with the secret of `AUTH_HS256_SECRET` (a development secret, with a
//! warning, when it is unset); the banner prints one.

use actix_web::{get, post, web, App, HttpRequest, HttpResponse, HttpServer};
use auth_runtime::{
    requires, Authenticator, AuthenticatorBuilder, CustomScheme, Identity, Key, PolicyDecision,
    Principal, Refusal, Scheme, StaticApiKeys, StaticUsers,
};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

/// Used when `AUTH_HS256_SECRET` is unset. Anyone who reads this file can mint tokens with it.
const DEVELOPMENT_SECRET: &str = "mixed-schemes-development-secret-never-use-in-production";
const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "mixed-api";

/// A session cookie `session=<id>`. A real application would look the id up in its session
/// store; here two ids are known.
struct SessionCookie;

impl CustomScheme for SessionCookie {
    const NAME: &'static str = "Session";

    fn is_present(&self, req: &HttpRequest) -> bool {
        session_id(req).is_some()
    }

    async fn verify(&self, req: &HttpRequest) -> Result<Principal, Refusal> {
        match session_id(req).as_deref() {
            Some("s-alice") => {
                Ok(Principal::user(Scheme::Custom(Self::NAME), "alice")
                    .with_scopes(["reports:read"]))
            }
            Some("s-bob") => Ok(Principal::user(Scheme::Custom(Self::NAME), "bob")),
            _ => Err(Refusal::Rejected),
        }
    }
}

fn session_id(req: &HttpRequest) -> Option<String> {
    let cookies = req.headers().get("cookie")?.to_str().ok()?;
    cookies
        .split(';')
        .find_map(|cookie| cookie.trim().strip_prefix("session="))
        .map(str::to_owned)
}

/// Users (Bearer or session) and the admin tool (Basic) read reports.
#[get("/reports")]
#[requires(scheme = any("Bearer", SessionCookie, "Basic"), scope = "reports:read")]
async fn reports(who: Identity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "reader": who.subject(), "via": who.scheme().name() }))
}

/// Machines push metrics with an API key.
#[post("/metrics")]
#[requires(scheme = "ApiKey", scope = "metrics:write")]
async fn push_metrics(body: web::Bytes) -> HttpResponse {
    HttpResponse::Accepted().json(json!({ "bytes": body.len() }))
}

/// Maintenance is allowed only when the request says it is planned (a stand-in for a real
/// business rule such as a time window or a tenant check).
async fn planned_maintenance(_: &Principal, req: &HttpRequest) -> PolicyDecision {
    if req.headers().contains_key("x-change-ticket") {
        PolicyDecision::Allow
    } else {
        PolicyDecision::Deny("no_change_ticket")
    }
}

/// The admin tool, with a change ticket.
#[post("/maintenance")]
#[requires(scheme = "Basic", role = "operator", policy = planned_maintenance)]
async fn maintenance(who: Identity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "started_by": who.subject() }))
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(reports)
        .service(push_metrics)
        .service(maintenance);
}

/// The Basic users, the API keys and the session cookie on top of `bearer`, the Bearer
/// configuration (issuer, audience, key).
fn authenticator(bearer: AuthenticatorBuilder) -> Authenticator {
    let users = StaticUsers::new()
        .user("admin", "correct horse", ["reports:read"])
        .and_then(|users| users.roles("admin", ["operator"]))
        .expect("valid users");
    let keys = StaticApiKeys::new()
        .key("metrics-key-1", "collector", ["metrics:write"])
        .expect("a valid key");
    bearer
        .realm("mixed")
        .basic(users)
        .api_keys(keys)
        .custom_scheme(SessionCookie)
        .build()
        .expect("valid configuration")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let secret = std::env::var("AUTH_HS256_SECRET").unwrap_or_else(|_| {
        eprintln!("AUTH_HS256_SECRET is not set: using a development secret anyone can sign with");
        DEVELOPMENT_SECRET.to_owned()
    });
    let key = Key::hs256(&secret).map_err(std::io::Error::other)?;
    let auth = authenticator(
        Authenticator::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .key(key),
    );
    // A token for the banner, signed as the issuer would sign it (jsonwebtoken on aws-lc-rs).
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "carol", "exp": now + 3600, "scope": "reports:read",
    });
    let token = jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(std::io::Error::other)?;
    let base = "http://127.0.0.1:8083";
    println!("mixed schemes example on {base}");
    println!("curl -i {base}/reports                                   # 3 challenges");
    println!("curl -i {base}/reports -H 'Authorization: Bearer {token}'");
    println!("curl -i {base}/reports -H 'Cookie: session=s-alice'");
    println!("curl -i {base}/reports -u 'admin:correct horse'");
    println!("curl -i -X POST {base}/metrics -H 'X-API-Key: metrics-key-1' -d 'cpu=3'");
    println!(
        "curl -i -X POST {base}/maintenance -u 'admin:correct horse' -H 'X-Change-Ticket: 42'"
    );
    HttpServer::new(move || App::new().configure(auth.configure()).configure(routes))
        .bind(("127.0.0.1", 8083))?
        .run()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::{header, StatusCode};
    use actix_web::test;
    use auth_runtime::testing::{assert_forbidden, challenges, TestIssuer, TestRequestExt};

    async fn call(req: test::TestRequest) -> actix_web::dev::ServiceResponse {
        let issuer = TestIssuer::hs256();
        let app = test::init_service(
            App::new()
                .configure(authenticator(issuer.builder()).configure())
                .configure(routes),
        )
        .await;
        test::call_service(&app, req.to_request()).await
    }

    #[actix_web::test]
    async fn no_credentials_lists_every_accepted_scheme_in_order() {
        let res = call(test::TestRequest::get().uri("/reports")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let schemes: Vec<_> = challenges(res.headers())
            .into_iter()
            .map(|c| c.scheme)
            .collect();
        assert_eq!(schemes, ["Bearer", "Session", "Basic"]);
    }

    #[actix_web::test]
    async fn each_scheme_gets_in_where_it_is_accepted() {
        let res = call(
            test::TestRequest::get()
                .uri("/reports")
                .insert_header((header::COOKIE, "session=s-alice")),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = call(
            test::TestRequest::get()
                .uri("/reports")
                .basic("admin", "correct horse"),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = call(
            test::TestRequest::post()
                .uri("/metrics")
                .api_key("metrics-key-1"),
        )
        .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let res = call(
            test::TestRequest::post()
                .uri("/metrics")
                .basic("admin", "correct horse"),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }

    #[actix_web::test]
    async fn the_policy_decides_after_the_role() {
        let req = || {
            test::TestRequest::post()
                .uri("/maintenance")
                .basic("admin", "correct horse")
        };
        assert_forbidden(&call(req()).await);
        let res = call(req().insert_header(("x-change-ticket", "42"))).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}
