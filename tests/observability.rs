//! What an operator sees: refusal log events that say what the credential carried (never the
//! credential), and the metrics of decisions, verification time and key-source health read
//! back through a recorder.

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::dev::Service;
use actix_web::{get, test, App, HttpResponse};
use auth_runtime::{requires, Algorithm, StaticUsers};
use auth_tests::*;
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

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Sends `req` to the test application with the logs captured at `level`; the status and
/// the log.
async fn logged(req: test::TestRequest, level: tracing::Level) -> (u16, String) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(level)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
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
    let res = app.call(req.to_request()).await.unwrap();
    let status = res.status().as_u16();
    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
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
