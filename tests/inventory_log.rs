//! `check_app` logs the route inventory at debug level, and only there.
//!
//! Alone in its own test binary on purpose: `tracing` caches whether a log statement is wanted
//! when it first runs. With thread-local subscribers (`set_default`), another test calling
//! `check_app` without one at the same moment can register the statement as "never wanted"
//! while this test's subscriber is being installed, and the event is then dropped (it happened
//! in CI). Nothing else runs in this process, so the statement is first seen under the
//! subscriber below.

use actix_web::{get, post, web, App, HttpResponse};
use auth_runtime::{check_app, requires, StaticUsers};
use auth_tests::*;

#[requires(scope = all("read", "write"))]
#[post("/items")]
async fn create_item() -> HttpResponse {
    HttpResponse::Created().finish()
}

#[requires(scope = "read")]
#[get("/items")]
async fn items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/open")]
async fn open() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Everything `check_app` logs with a subscriber at `level`.
async fn logged_at(level: tracing::Level) -> String {
    let (_guard, captured) = capture_logs(level);
    let auth = builder()
        .basic(
            StaticUsers::new()
                .user("alice", "wonderland", ["read"])
                .unwrap(),
        )
        .build()
        .unwrap();
    let app = App::new()
        .wrap(auth.middleware())
        .configure(auth.configure())
        .service(create_item)
        .service(open)
        .service(web::scope("/api").service(items));
    check_app(app).await.unwrap();
    captured.text()
}

#[actix_web::test]
async fn check_app_logs_the_inventory_at_debug_level() {
    let log = logged_at(tracing::Level::DEBUG).await;
    assert!(log.contains("DEBUG auth_runtime: route inventory"), "{log}");
    assert!(log.contains(r#"POST    /items"#), "{log}");
    assert!(log.contains(r#"scope all("read", "write")"#), "{log}");
    assert!(log.contains("NO DECLARATION"), "{log}");
    assert!(log.contains(r#""path":"/api/items""#), "{log}");
    // Not at info: the inventory is for whoever asks for it.
    let log = logged_at(tracing::Level::INFO).await;
    assert!(!log.contains("route inventory"), "{log}");
}
