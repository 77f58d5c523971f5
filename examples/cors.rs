//! CORS in front of protected endpoints: browsers' preflight requests are answered by the CORS
//! middleware and never challenged, and refusals carry the CORS headers a browser needs to let
//! the page read the status and the `WWW-Authenticate` challenge.
//!
//! ```text
//! cargo run --example cors
//! ```
//!
//! Bearer tokens are HS256 with the secret of `AUTH_HS256_SECRET` (a development secret, with a
//! warning, when it is unset); the banner prints one.
//!
//! Then, as a browser on `http://localhost:3000` would:
//!
//! ```text
//! curl -i -X OPTIONS http://127.0.0.1:8081/items \
//!      -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: GET' \
//!      -H 'Access-Control-Request-Headers: authorization'      # 200, no challenge
//! curl -i http://127.0.0.1:8081/items -H 'Origin: http://localhost:3000'   # 401 + CORS headers
//! ```

use actix_cors::Cors;
use actix_web::http::header;
use actix_web::{get, App, HttpResponse, HttpServer};
use auth_runtime::{requires, Authenticator, Key};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

/// Used when `AUTH_HS256_SECRET` is unset. Anyone who reads this file can mint tokens with it.
const DEVELOPMENT_SECRET: &str = "cors-example-development-secret-never-use-in-production";
const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "cors-api";

#[get("/items")]
#[requires(scope = "items:read")]
async fn items() -> HttpResponse {
    HttpResponse::Ok().json(["apple", "pear"])
}

/// The CORS policy: the front-end's origin, the Authorization request header, and the
/// `WWW-Authenticate` response header exposed so scripts can read challenges.
fn cors() -> Cors {
    Cors::default()
        .allowed_origin("http://localhost:3000")
        .allowed_methods(["GET", "POST", "DELETE"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::WWW_AUTHENTICATE])
        .max_age(600)
}

/// The application: CORS wraps everything, so a preflight is answered before routing, and
/// every response, refusals included, gets its CORS headers.
fn app(
    auth: &Authenticator,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(cors())
        .configure(auth.configure())
        .service(items)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let secret = std::env::var("AUTH_HS256_SECRET").unwrap_or_else(|_| {
        eprintln!("AUTH_HS256_SECRET is not set: using a development secret anyone can sign with");
        DEVELOPMENT_SECRET.to_owned()
    });
    let auth = Authenticator::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .key(Key::hs256(&secret).map_err(std::io::Error::other)?)
        .build()
        .map_err(std::io::Error::other)?;
    // A token for the banner, signed as the issuer would sign it (jsonwebtoken on aws-lc-rs).
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "dana", "exp": now + 3600, "scope": "items:read",
    });
    let key = EncodingKey::from_secret(secret.as_bytes());
    let token =
        jsonwebtoken::encode(&Header::default(), &claims, &key).map_err(std::io::Error::other)?;
    println!("CORS example on http://127.0.0.1:8081 (allowed origin http://localhost:3000)");
    println!(
        "curl -i -X OPTIONS http://127.0.0.1:8081/items -H 'Origin: http://localhost:3000' \
         -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: authorization'"
    );
    println!("curl -i http://127.0.0.1:8081/items -H 'Origin: http://localhost:3000'");
    println!(
        "curl -i http://127.0.0.1:8081/items -H 'Origin: http://localhost:3000' \
         -H 'Authorization: Bearer {token}'"
    );
    HttpServer::new(move || app(&auth))
        .bind(("127.0.0.1", 8081))?
        .run()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;
    use actix_web::test;
    use auth_runtime::testing::{assert_unauthenticated, TestIssuer, TestRequestExt};

    const ORIGIN: &str = "http://localhost:3000";

    #[actix_web::test]
    async fn a_preflight_is_answered_without_a_challenge() {
        let issuer = TestIssuer::hs256();
        let service = test::init_service(app(&issuer.authenticator())).await;
        let preflight = test::TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/items")
            .insert_header((header::ORIGIN, ORIGIN))
            .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "GET"))
            .insert_header((header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization"))
            .to_request();
        let res = test::call_service(&service, preflight).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
        assert_eq!(
            res.headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .unwrap(),
            ORIGIN
        );
    }

    #[actix_web::test]
    async fn a_refusal_carries_cors_headers_and_an_exposed_challenge() {
        let issuer = TestIssuer::hs256();
        let service = test::init_service(app(&issuer.authenticator())).await;
        let req = test::TestRequest::get()
            .uri("/items")
            .insert_header((header::ORIGIN, ORIGIN))
            .to_request();
        let res = test::call_service(&service, req).await;
        assert_unauthenticated(&res, "Bearer", None);
        assert_eq!(
            res.headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .unwrap(),
            ORIGIN
        );
        let exposed = res
            .headers()
            .get(header::ACCESS_CONTROL_EXPOSE_HEADERS)
            .unwrap()
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(exposed.contains("www-authenticate"), "{exposed}");
    }

    #[actix_web::test]
    async fn a_valid_token_from_the_allowed_origin_passes() {
        let issuer = TestIssuer::hs256();
        let service = test::init_service(app(&issuer.authenticator())).await;
        let token = issuer.token().scope("items:read").sign();
        let req = test::TestRequest::get()
            .uri("/items")
            .insert_header((header::ORIGIN, ORIGIN))
            .bearer(&token)
            .to_request();
        let res = test::call_service(&service, req).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}
