//! Metrics for Prometheus: the authenticator's counters, verification-time histogram and
//! key-source health through `metrics-exporter-prometheus`, scraped on a listener of their own.
//!
//! ```text
//! cargo run --example prometheus
//! ```
//!
//! The API listens on 127.0.0.1:8084, the scrape endpoint on 127.0.0.1:9464 (`/metrics`), a
//! port that only the monitoring network should reach. Bearer tokens are HS256 with the secret
//! of `AUTH_HS256_SECRET` (a development secret, with a warning, when it is unset); the banner
//! prints one, and an expired one.
//!
//! The runtime records through the `metrics` facade only: any exporter works, and without one
//! nothing is recorded. Install the recorder before building the authenticator, so that the
//! metrics' descriptions reach it (`# HELP`).

use std::time::Duration;

use actix_web::{get, web, App, HttpResponse, HttpServer};
use auth_runtime::telemetry::VERIFICATION_SECONDS;
use auth_runtime::{requires, Authenticator, Key, StaticUsers};
use jsonwebtoken::{EncodingKey, Header};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde_json::json;

/// Used when `AUTH_HS256_SECRET` is unset. Anyone who reads this file can mint tokens with it.
const DEVELOPMENT_SECRET: &str = "prometheus-example-development-secret-never-use-in-production";
const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "items-api";

#[get("/items")]
#[requires(scheme = any("Bearer", "Basic"), scope = "items:read")]
async fn items() -> HttpResponse {
    HttpResponse::Ok().json(["apple", "pear"])
}

/// The scrape endpoint: the Prometheus text format.
async fn scrape(handle: web::Data<PrometheusHandle>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}

/// A Prometheus recorder with buckets for the verification time: from 20 µs (a cached-key
/// HMAC check) to 2.5 s (a slow key fetch).
fn recorder() -> PrometheusBuilder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(VERIFICATION_SECONDS.to_owned()),
            &[
                0.000_02, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
                0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ],
        )
        .expect("the buckets are not empty")
}

/// The authenticator: HS256 Bearer tokens and a Basic user, both holding `items:read`.
fn authenticator(key: Key) -> Authenticator {
    Authenticator::builder()
        .realm("prometheus-example")
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .key(key)
        .basic(
            StaticUsers::new()
                .user("alice", "wonderland", ["items:read"])
                .expect("a valid user"),
        )
        .build()
        .expect("a valid configuration")
}

/// An HS256 token for `scope`, expiring in `expires_in` seconds (negative: already expired).
fn mint(secret: &str, scope: &str, expires_in: i64) -> String {
    let now = jsonwebtoken::get_current_timestamp() as i64;
    let claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "erin", "exp": now + expires_in, "scope": scope,
    });
    let key = EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&Header::default(), &claims, &key).expect("HS256 signing")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // First the recorder, then the authenticator.
    let handle = recorder()
        .install_recorder()
        .map_err(std::io::Error::other)?;
    let secret = std::env::var("AUTH_HS256_SECRET").unwrap_or_else(|_| {
        eprintln!("AUTH_HS256_SECRET is not set: using a development secret anyone can sign with");
        DEVELOPMENT_SECRET.to_owned()
    });
    let auth = authenticator(Key::hs256(&secret).map_err(std::io::Error::other)?);

    // Histograms keep raw samples until upkeep folds them into buckets.
    let upkeep = handle.clone();
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });

    let (valid, expired) = (
        mint(&secret, "items:read", 3600),
        mint(&secret, "items:read", -3600),
    );
    let api = "http://127.0.0.1:8084";
    println!("API on {api}, metrics on http://127.0.0.1:9464/metrics");
    println!("curl -i {api}/items -H 'Authorization: Bearer {valid}'");
    println!("curl -i {api}/items -H 'Authorization: Bearer {expired}'    # 401, reason expired");
    println!("curl -i {api}/items -u alice:wonderland");
    println!("curl -i {api}/items                                          # 401, reason missing");
    println!("curl -s http://127.0.0.1:9464/metrics | grep auth_runtime");

    let metrics = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(handle.clone()))
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .bind(("127.0.0.1", 9464))?
    .run();
    let api = HttpServer::new(move || App::new().configure(auth.configure()).service(items))
        .bind(("127.0.0.1", 8084))?
        .run();
    let (metrics, api) = futures_util::future::join(metrics, api).await;
    metrics.and(api)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test;
    use auth_runtime::testing::TestRequestExt;

    #[actix_web::test]
    async fn the_scrape_shows_decisions_and_verification_times() {
        let recorder = recorder().build_recorder();
        let handle = recorder.handle();
        // A recorder for this test's thread, not the process: tests run side by side.
        let _local = metrics::set_default_local_recorder(&recorder);
        let auth = authenticator(Key::hs256(DEVELOPMENT_SECRET).unwrap());
        let app = test::init_service(
            App::new()
                .configure(auth.configure())
                .service(items)
                .app_data(web::Data::new(handle.clone()))
                .route("/metrics", web::get().to(scrape)),
        )
        .await;
        let valid = mint(DEVELOPMENT_SECRET, "items:read", 3600);
        let expired = mint(DEVELOPMENT_SECRET, "items:read", -3600);
        for (token, status) in [(&valid, 200), (&valid, 200), (&expired, 401)] {
            let req = test::TestRequest::get().uri("/items").bearer(token);
            let res = test::call_service(&app, req.to_request()).await;
            assert_eq!(res.status().as_u16(), status);
        }
        let req = test::TestRequest::get()
            .uri("/items")
            .basic("alice", "wonderland");
        assert_eq!(
            test::call_service(&app, req.to_request()).await.status(),
            200
        );
        let req = test::TestRequest::get().uri("/metrics").to_request();
        let body = test::read_body(test::call_service(&app, req).await).await;
        let scrape = String::from_utf8(body.to_vec()).unwrap();
        for line in [
            "# HELP auth_runtime_decisions_total",
            r#"auth_runtime_decisions_total{scheme="Bearer",outcome="allowed",reason="ok"} 2"#,
            r#"auth_runtime_decisions_total{scheme="Bearer",outcome="refused",reason="expired"} 1"#,
            r#"auth_runtime_decisions_total{scheme="Basic",outcome="allowed",reason="ok"} 1"#,
            // The valid token is verified once, then served from the cache.
            r#"auth_runtime_verification_seconds_count{scheme="Bearer"} 2"#,
            r#"auth_runtime_verification_seconds_count{scheme="Basic"} 1"#,
            r#"auth_runtime_verification_seconds_bucket{scheme="Basic",le="+Inf"} 1"#,
        ] {
            assert!(scrape.contains(line), "{line:?} is not in:\n{scrape}");
        }
    }
}
