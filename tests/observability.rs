//! What an operator sees: refusal log events that say what the credential carried (never the
//! credential), and the metrics of decisions, verification time and key-source health read
//! back through a recorder.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::dev::Service;
use actix_web::{get, test, App, HttpResponse};
use auth_runtime::telemetry::{
    DECISIONS, KEY_FETCHES, KEY_SOURCE_FAILURES, KEY_SOURCE_KEYS, KEY_SOURCE_LAST_SUCCESS,
    VERIFICATION_SECONDS,
};
use auth_runtime::{requires, Algorithm, Authenticator, Identity, StaticUsers};
use auth_tests::key_server::{jwk, KeyServer};
use auth_tests::*;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use serde_json::json;

#[get("/items")]
#[requires(scope = all("read", "write"))]
async fn items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/admin")]
#[requires(role = all("admin", "auditor"))]
async fn admin() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/reports")]
#[requires(scheme = "Basic")]
async fn reports() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/maybe")]
#[requires(optional)]
async fn maybe(_who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Sends `req` to the test application with the logs captured at `level`; the status and
/// the log.
async fn logged(req: test::TestRequest, level: tracing::Level) -> (u16, String) {
    let (_guard, captured) = capture_logs(level);
    let auth = builder()
        .role_claims(["roles"])
        .basic(
            StaticUsers::new()
                .user("alice", "wonderland", ["read"])
                .unwrap(),
        )
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .configure(auth.configure())
            .service(items)
            .service(admin)
            .service(reports),
    )
    .await;
    refresh_log_interest();
    let res = app.call(req.to_request()).await.unwrap();
    let status = res.status().as_u16();
    let log = captured.text();
    (status, log)
}

fn get(path: &str, token: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri(path)
        .insert_header(bearer(token))
}

/// The one line of `log` with the refusal event.
fn refusal_line(log: &str) -> &str {
    let lines: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("request refused"))
        .collect();
    assert_eq!(lines.len(), 1, "one refusal event expected:\n{log}");
    lines[0]
}

#[actix_rt::test]
async fn a_refused_token_is_logged_with_what_it_carried() {
    let token = mint(
        Algorithm::ES256,
        &claims_with(
            "read write",
            json!({ "aud": "account", "iss": "http://localhost:8180/realms/demo" }),
        ),
    );
    let (status, log) = logged(get("/items", &token), tracing::Level::INFO).await;
    assert_eq!(status, 401);
    let line = refusal_line(&log);
    for field in [
        r#"reason="wrong_issuer""#,
        r#"scheme="Bearer""#,
        r#"token.alg="ES256""#,
        r#"token.kid="test-es256""#,
        r#"token.iss="http://localhost:8180/realms/demo""#,
        r#"token.aud="account""#,
        "token.exp_in_secs=",
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
    let signature = token.rsplit('.').next().unwrap();
    assert!(!log.contains(signature), "the signature was logged: {log}");
    assert!(!log.contains(&token[..40]), "the token was logged: {log}");

    let expired = mint(
        Algorithm::EdDSA,
        &claims_with("read write", json!({ "exp": now() - 3600 })),
    );
    let (status, log) = logged(get("/items", &expired), tracing::Level::INFO).await;
    assert_eq!(status, 401);
    let line = refusal_line(&log);
    assert!(line.contains(r#"reason="expired""#), "{line}");
    let exp_in: i64 = line
        .split("token.exp_in_secs=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no exp_in_secs in {line}"));
    assert!((-3700..=-3590).contains(&exp_in), "{exp_in}");

    let early = mint(
        Algorithm::HS256,
        &claims_with("read", json!({ "nbf": now() + 7200 })),
    );
    let (_, log) = logged(get("/items", &early), tracing::Level::INFO).await;
    assert!(refusal_line(&log).contains("token.nbf_in_secs=7"), "{log}");
}

#[get("/bound")]
#[requires(scheme = "DPoP", scope = "read")]
async fn bound() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// A refused DPoP-bound token is logged with what it carried, as a Bearer token is.
#[actix_rt::test]
async fn a_refused_dpop_token_is_logged_with_what_it_carried() {
    use auth_runtime::testing::{DpopKey, TestIssuer, TestRequestExt};
    use auth_runtime::DpopConfig;
    let (_guard, captured) = capture_logs(tracing::Level::INFO);
    let issuer = TestIssuer::es256();
    let auth = issuer
        .builder()
        .dpop(DpopConfig::default())
        .build()
        .unwrap();
    let app = test::init_service(App::new().configure(auth.configure()).service(bound)).await;
    let client = DpopKey::es256();
    let token = issuer
        .token()
        .scope("read")
        .expires_in(-3600)
        .bound_to(&client)
        .sign();
    let proof = client
        .proof("GET", "http://localhost:8080/bound")
        .token(&token)
        .sign();
    let req = test::TestRequest::get().uri("/bound").dpop(&token, &proof);
    refresh_log_interest();
    let res = app.call(req.to_request()).await.unwrap();
    assert_eq!(res.status(), 401);
    let log = captured.text();
    let line = refusal_line(&log);
    for field in [
        r#"reason="expired""#,
        r#"scheme="DPoP""#,
        r#"token.alg="ES256""#,
        "token.exp_in_secs=-3",
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
    assert!(!log.contains(&token[..40]), "the token was logged: {log}");
}

#[actix_rt::test]
async fn an_insufficient_scope_or_role_is_logged_with_what_is_missing() {
    let (status, log) = logged(get("/items", &token("read other")), tracing::Level::INFO).await;
    assert_eq!(status, 403);
    let line = refusal_line(&log);
    assert!(line.contains(r#"reason="insufficient_scope""#), "{line}");
    assert!(line.contains(r#"missing="write""#), "{line}");
    assert!(
        line.contains(r#"token.iss="https://issuer.test""#),
        "{line}"
    );

    let auditor = mint(
        Algorithm::HS256,
        &claims_with("", json!({ "roles": ["auditor"] })),
    );
    let (status, log) = logged(get("/admin", &auditor), tracing::Level::INFO).await;
    assert_eq!(status, 403);
    let line = refusal_line(&log);
    assert!(line.contains(r#"reason="missing_role""#), "{line}");
    assert!(line.contains(r#"missing_roles="admin""#), "{line}");
}

#[actix_rt::test]
async fn a_hostile_token_cannot_forge_log_lines_or_balloon_them() {
    let forged_line = "\n2026-01-01T00:00:00.000000Z  INFO auth_runtime: request authenticated \
                       decision=\"allowed\" subject=\"admin\"\n";
    let token = mint(
        Algorithm::HS256,
        &claims_with(
            "read write",
            json!({
                "iss": format!("evil{forged_line}{}", "x".repeat(2500)),
                "aud": ["\u{202e}gnp.exe", "\r\n", "y".repeat(2000)],
            }),
        ),
    );
    let (status, log) = logged(get("/items", &token), tracing::Level::TRACE).await;
    assert_eq!(status, 401);
    let line = refusal_line(&log);
    assert!(
        !log.contains("\n2026-01-01"),
        "a forged line reached the log:\n{log}"
    );
    assert!(!log.contains('\u{202e}'), "{log}");
    assert!(!log.contains('\r'), "{log}");
    assert!(line.contains("token.iss=\"evil\\\\u{a}2026"), "{line}");
    assert!(
        line.contains(r#"reason="wrong_issuer""#),
        "under the size limit: {line}"
    );
    assert!(line.len() < 1500, "{} bytes: {line}", line.len());
    assert!(!log.contains(&"x".repeat(100)) && !log.contains(&"y".repeat(100)));
}

#[actix_rt::test]
async fn missing_credentials_are_debug_and_other_schemes_carry_no_token_facts() {
    let (status, log) = logged(test::TestRequest::get().uri("/items"), tracing::Level::INFO).await;
    assert_eq!(status, 401);
    assert!(
        !log.contains("request refused"),
        "missing credentials are debug:\n{log}"
    );
    let (_, log) = logged(
        test::TestRequest::get().uri("/items"),
        tracing::Level::DEBUG,
    )
    .await;
    assert!(
        log.contains(r#"reason="missing""#) && log.contains("DEBUG"),
        "{log}"
    );

    let basic = test::TestRequest::get()
        .uri("/reports")
        .insert_header(("Authorization", "Basic YWxpY2U6d3Jvbmc="));
    let (status, log) = logged(basic, tracing::Level::INFO).await;
    assert_eq!(status, 401);
    let line = refusal_line(&log);
    assert!(
        line.contains(r#"reason="rejected""#) && line.contains(" INFO "),
        "{line}"
    );
    assert!(!line.contains("token."), "{line}");
}

// ---------------------------------------------------------------------------------------------
// Metrics, read through metrics-util's debugging recorder.

/// One metric of a snapshot: its name, its labels, its value.
#[derive(Debug)]
struct Metric {
    name: String,
    labels: Vec<(String, String)>,
    value: DebugValue,
    described: bool,
}

/// Every metric recorded since the last read (a read resets counters, gauges and histograms).
fn read(snapshotter: &Snapshotter) -> Vec<Metric> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, description, value)| Metric {
            name: key.key().name().to_owned(),
            labels: key
                .key()
                .labels()
                .map(|label| (label.key().to_owned(), label.value().to_owned()))
                .collect(),
            value,
            described: description.is_some(),
        })
        .collect()
}

/// The metric `name` whose labels include every pair of `labels`.
fn find<'m>(metrics: &'m [Metric], name: &str, labels: &[(&str, &str)]) -> Option<&'m Metric> {
    metrics.iter().find(|metric| {
        metric.name == name
            && labels
                .iter()
                .all(|(key, value)| metric.labels.iter().any(|(k, v)| k == key && v == value))
    })
}

fn counter(metrics: &[Metric], name: &str, labels: &[(&str, &str)]) -> u64 {
    match find(metrics, name, labels).map(|metric| &metric.value) {
        Some(DebugValue::Counter(count)) => *count,
        None => 0,
        other => panic!("{name} {labels:?} is not a counter: {other:?}"),
    }
}

fn gauge(metrics: &[Metric], name: &str, labels: &[(&str, &str)]) -> f64 {
    match find(metrics, name, labels).map(|metric| &metric.value) {
        Some(DebugValue::Gauge(value)) => value.into_inner(),
        other => panic!("{name} {labels:?} is not a gauge: {other:?}"),
    }
}

fn samples(metrics: &[Metric], name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
    match find(metrics, name, labels).map(|metric| &metric.value) {
        Some(DebugValue::Histogram(values)) => values.iter().map(|v| v.into_inner()).collect(),
        None => Vec::new(),
        other => panic!("{name} {labels:?} is not a histogram: {other:?}"),
    }
}

#[actix_rt::test]
async fn decisions_and_verification_times_are_counted() {
    // A recorder for this thread only: other tests of this binary do not disturb the counts.
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    let auth = builder()
        .basic(
            StaticUsers::new()
                .user("alice", "wonderland", ["read"])
                .unwrap(),
        )
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .configure(auth.configure())
            .service(items)
            .service(reports)
            .service(maybe),
    )
    .await;
    let send = |req: test::TestRequest| {
        let app = &app;
        async move { app.call(req.to_request()).await.unwrap().status().as_u16() }
    };
    let valid = token("read write");
    for _ in 0..3 {
        assert_eq!(send(get("/items", &valid)).await, 200);
    }
    let expired = mint(
        Algorithm::HS256,
        &claims_with("read write", json!({ "exp": now() - 3600 })),
    );
    for _ in 0..2 {
        assert_eq!(send(get("/items", &expired)).await, 401);
    }
    assert_eq!(send(get("/items", &token("read"))).await, 403);
    assert_eq!(send(test::TestRequest::get().uri("/items")).await, 401);
    assert_eq!(send(test::TestRequest::get().uri("/maybe")).await, 200);
    let basic = |credentials: &'static str| {
        test::TestRequest::get()
            .uri("/reports")
            .insert_header(("Authorization", credentials))
    };
    assert_eq!(send(basic("Basic YWxpY2U6d29uZGVybGFuZA==")).await, 200);
    assert_eq!(send(basic("Basic YWxpY2U6d3Jvbmc=")).await, 401);

    let metrics = read(&snapshotter);
    let decisions = |scheme, outcome, reason| {
        counter(
            &metrics,
            DECISIONS,
            &[("scheme", scheme), ("outcome", outcome), ("reason", reason)],
        )
    };
    assert_eq!(decisions("Bearer", "allowed", "ok"), 3);
    assert_eq!(decisions("Bearer", "refused", "expired"), 2);
    assert_eq!(decisions("Bearer", "refused", "insufficient_scope"), 1);
    assert_eq!(decisions("none", "refused", "missing"), 1);
    assert_eq!(decisions("none", "anonymous", "missing"), 1);
    assert_eq!(decisions("Basic", "allowed", "ok"), 1);
    assert_eq!(decisions("Basic", "refused", "rejected"), 1);
    assert!(find(&metrics, DECISIONS, &[]).unwrap().described);

    // The valid token was verified once, then served from the cache; refused tokens are
    // verified every time; each Basic request hashes its password.
    let bearer = samples(&metrics, VERIFICATION_SECONDS, &[("scheme", "Bearer")]);
    assert_eq!(bearer.len(), 1 + 2 + 1, "{bearer:?}");
    let basic = samples(&metrics, VERIFICATION_SECONDS, &[("scheme", "Basic")]);
    assert_eq!(basic.len(), 2, "{basic:?}");
    assert!(bearer
        .iter()
        .chain(&basic)
        .all(|&seconds| seconds.is_finite() && seconds >= 0.0));
}

/// The global recorder of this test binary: the key refresher runs on its own thread, which
/// a thread-local recorder would not reach. Only the key-source test reads it, by its
/// server's URL.
fn global_recorder() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder
            .install()
            .expect("no other global recorder in this binary");
        snapshotter
    })
}

#[actix_rt::test]
async fn key_source_health_is_recorded() {
    let snapshotter = global_recorder();
    let server =
        KeyServer::with_keys(vec![jwk(Algorithm::EdDSA, "a"), jwk(Algorithm::ES256, "b")]).await;
    let source = server.jwks_url();
    let auth: Authenticator = builder()
        .jwks_url(&source)
        .allow_http()
        .unknown_kid_cooldown(Duration::from_millis(1))
        .build_and_fetch()
        .await
        .unwrap();
    let app = test::init_service(App::new().configure(auth.configure()).service(items)).await;
    let labels = [("source", source.as_str())];
    let metrics = read(snapshotter);
    assert_eq!(
        counter(
            &metrics,
            KEY_FETCHES,
            &[("source", &source), ("outcome", "success")]
        ),
        1
    );
    let unix_now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let last_success = gauge(&metrics, KEY_SOURCE_LAST_SUCCESS, &labels);
    assert!(
        (unix_now - 60.0..=unix_now + 1.0).contains(&last_success),
        "{last_success}"
    );
    assert_eq!(gauge(&metrics, KEY_SOURCE_FAILURES, &labels), 0.0);
    assert_eq!(gauge(&metrics, KEY_SOURCE_KEYS, &labels), 2.0);

    // The provider fails; two unknown `kid`s cause two fetches, both failed.
    server.fail(true);
    let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
    for kid in ["c", "d"] {
        header.kid = Some(kid.into());
        let token = mint_with(&header, &claims("read"), &signer(Algorithm::EdDSA));
        tokio::time::sleep(Duration::from_millis(5)).await;
        let res = app.call(get("/items", &token).to_request()).await.unwrap();
        assert_eq!(
            res.status().as_u16(),
            401,
            "unknown kid, last good keys kept"
        );
    }
    let metrics = read(snapshotter);
    assert_eq!(
        counter(
            &metrics,
            KEY_FETCHES,
            &[("source", &source), ("outcome", "failure")]
        ),
        2
    );
    assert_eq!(gauge(&metrics, KEY_SOURCE_FAILURES, &labels), 2.0);

    // It recovers: the failures are forgotten.
    server.fail(false);
    header.kid = Some("e".into());
    let token = mint_with(&header, &claims("read"), &signer(Algorithm::EdDSA));
    tokio::time::sleep(Duration::from_millis(5)).await;
    let res = app.call(get("/items", &token).to_request()).await.unwrap();
    assert_eq!(
        res.status().as_u16(),
        401,
        "still unknown, but the fetch succeeded"
    );
    let metrics = read(snapshotter);
    assert_eq!(
        counter(
            &metrics,
            KEY_FETCHES,
            &[("source", &source), ("outcome", "success")]
        ),
        1
    );
    assert_eq!(gauge(&metrics, KEY_SOURCE_FAILURES, &labels), 0.0);
}
