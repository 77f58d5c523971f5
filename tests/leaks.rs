//! Nothing leaks: for every failure class, neither the response (status line, every header,
//! body) nor the `tracing` output contains the credential, a password, key material, or — in
//! the response — the precise reason. The reason code does reach the log.

use actix_web::dev::Service;
use actix_web::{get, test, web, App, HttpResponse};
use auth_runtime::testing::internals::{decode_basic, Authorization, Requirement};
use auth_runtime::{
    requires, Algorithm, Challenge, Identity, InvalidReason, Refusal, Scheme, ScopeExpr,
    StaticApiKeys, StaticUsers,
};
use auth_tests::*;
use base64::Engine;
use jsonwebtoken::Header;
use serde_json::json;

#[get("/items")]
#[requires(scope = "read")]
async fn items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn whoami(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or("?").to_owned())
}

const PASSWORD: &str = "correct-horse-battery-staple";
const API_KEY: &str = "sk-live-0123456789abcdef";

/// Sends `req`, returning everything the client sees and everything that was logged.
async fn exchange(req: test::TestRequest) -> (u16, String, String) {
    let (_guard, captured) = capture_logs(tracing::Level::TRACE);

    let auth = builder()
        .basic(
            StaticUsers::new()
                .user("alice", PASSWORD, ["read"])
                .unwrap(),
        )
        .api_keys(StaticApiKeys::new().key(API_KEY, "bot", ["read"]).unwrap())
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .configure(auth.configure())
            .service(items)
            .route("/whoami", web::get().to(whoami)),
    )
    .await;
    refresh_log_interest();
    let res = app.call(req.to_request()).await.unwrap();
    let status = res.status().as_u16();
    let mut seen = format!("{:?}\n", res.status());
    for (name, value) in res.headers() {
        seen.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    // What actix logs of a refused request: the error's Display and Debug.
    let error = res
        .response()
        .error()
        .map(|error| format!("{error}\n{error:?}\n"));
    seen.push_str(&String::from_utf8_lossy(&test::read_body(res).await));
    let mut logged = captured.text();
    logged.push_str(&error.unwrap_or_default());
    (status, seen, logged)
}

/// Every secret an attacker or a log reader must never see.
fn secrets(extra: &[&str]) -> Vec<String> {
    let mut secrets = vec![
        PASSWORD.to_owned(),
        API_KEY.to_owned(),
        String::from_utf8_lossy(HMAC_SECRET).into_owned(),
        // The body of the RSA public PEM stands for key material in general.
        String::from_utf8_lossy(&rsa_public_pem()[30..90]).into_owned(),
    ];
    secrets.extend(extra.iter().map(|s| s.to_string()));
    secrets
}

fn basic(credentials: &str) -> (&'static str, String) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    ("Authorization", format!("Basic {encoded}"))
}

struct Case {
    name: &'static str,
    req: test::TestRequest,
    credential: String,
    status: u16,
    reason: &'static str,
}

fn cases() -> Vec<Case> {
    let valid = token("read");
    let signature = valid.rsplit('.').next().unwrap().to_owned();
    let forged = mint_with(
        &header(Algorithm::RS256),
        &claims("read"),
        &untrusted_signer(),
    );
    let expired = mint(
        Algorithm::HS256,
        &claims_with("read", json!({"exp": now() - 3600})),
    );
    let early = mint(
        Algorithm::HS256,
        &claims_with("read", json!({"nbf": now() + 3600})),
    );
    let wrong_iss = mint(
        Algorithm::ES256,
        &claims_with("read", json!({"iss": "https://evil"})),
    );
    let wrong_aud = mint(
        Algorithm::ES256,
        &claims_with("read", json!({"aud": "evil"})),
    );
    let mut unknown = Header::new(Algorithm::HS256);
    unknown.kid = Some("no-such-key".into());
    let unknown_kid = mint_with(&unknown, &claims("read"), &signer(Algorithm::HS256));
    let no_scope = token("other");
    let get = |path: &str| test::TestRequest::get().uri(path);
    let with = |path: &str, token: &str| get(path).insert_header(bearer(token));
    vec![
        Case {
            name: "missing",
            req: get("/items"),
            credential: signature.clone(),
            status: 401,
            reason: "missing",
        },
        Case {
            name: "malformed",
            req: get("/items").insert_header(("Authorization", format!("Bearer {valid} x"))),
            credential: valid.clone(),
            status: 400,
            reason: "malformed_request",
        },
        Case {
            name: "repeated",
            req: get("/items")
                .append_header(bearer(&valid))
                .append_header(bearer(&valid)),
            credential: valid.clone(),
            status: 400,
            reason: "repeated",
        },
        Case {
            name: "bad signature",
            req: with("/items", &forged),
            credential: forged.clone(),
            status: 401,
            reason: "bad_signature",
        },
        Case {
            name: "expired",
            req: with("/items", &expired),
            credential: expired.clone(),
            status: 401,
            reason: "expired",
        },
        Case {
            name: "not yet valid",
            req: with("/items", &early),
            credential: early.clone(),
            status: 401,
            reason: "not_yet_valid",
        },
        Case {
            name: "wrong issuer",
            req: with("/items", &wrong_iss),
            credential: wrong_iss.clone(),
            status: 401,
            reason: "wrong_issuer",
        },
        Case {
            name: "wrong audience",
            req: with("/items", &wrong_aud),
            credential: wrong_aud.clone(),
            status: 401,
            reason: "wrong_audience",
        },
        Case {
            name: "unknown kid",
            req: with("/items", &unknown_kid),
            credential: unknown_kid.clone(),
            status: 401,
            reason: "unknown_key",
        },
        Case {
            name: "insufficient scope",
            req: with("/items", &no_scope),
            credential: no_scope.clone(),
            status: 403,
            reason: "insufficient_scope",
        },
        Case {
            name: "wrong password",
            req: get("/whoami").insert_header(basic("alice:correct-horse-battery-stapler")),
            credential: "correct-horse-battery-stapler".into(),
            status: 401,
            reason: "rejected",
        },
        Case {
            name: "unknown user",
            req: get("/whoami").insert_header(basic(&format!("mallory:{PASSWORD}"))),
            credential: PASSWORD.into(),
            status: 401,
            reason: "rejected",
        },
        Case {
            name: "wrong api key",
            req: get("/whoami").insert_header(("x-api-key", "sk-live-0123456789abcdeX")),
            credential: "sk-live-0123456789abcdeX".into(),
            status: 401,
            reason: "rejected",
        },
    ]
}

#[actix_rt::test]
async fn no_failure_leaks_a_secret_or_its_reason() {
    for case in cases() {
        let (status, seen, logged) = exchange(case.req).await;
        assert_eq!(status, case.status, "{}", case.name);
        for secret in secrets(&[&case.credential]) {
            assert!(
                !seen.contains(&secret),
                "{}: the response shows {secret:?}:\n{seen}",
                case.name
            );
            assert!(
                !logged.contains(&secret),
                "{}: the log shows {secret:?}:\n{logged}",
                case.name
            );
        }
        for reason in [
            "bad_signature",
            "wrong_issuer",
            "wrong_audience",
            "unknown_key",
            "rejected",
            "issuer",
            "audience",
            "signature",
            "kid",
        ] {
            assert!(
                !seen.contains(reason),
                "{}: the response reveals {reason:?}:\n{seen}",
                case.name
            );
        }
        assert!(
            logged.contains(&format!("reason=\"{}\"", case.reason)),
            "{}: the log lacks reason {:?}:\n{logged}",
            case.name,
            case.reason
        );
        // The error's Display is the one line actix logs: its reason code only.
        assert!(
            logged.contains(&format!(
                "\nrequest refused: {}\nAuthError {{ refusal: ",
                case.reason
            )),
            "{}: the error does not display its reason:\n{logged}",
            case.name
        );
    }
}

#[actix_rt::test]
async fn debug_and_display_show_what_they_promise_and_no_secret() {
    let keys = StaticApiKeys::new().key(API_KEY, "bot", ["read"]).unwrap();
    assert_eq!(format!("{keys:?}"), "StaticApiKeys { keys: 1, .. }");

    let users = StaticUsers::new()
        .user("alice", PASSWORD, ["read"])
        .unwrap();
    let debug = format!("{users:?}");
    let prefix = r#"StaticUsers { users: ["alice"], passwords: Passwords { cache: "#;
    assert!(debug.starts_with(prefix), "{debug}");
    assert!(debug.contains("stats: PasswordStats {"), "{debug}");
    assert!(
        !debug.contains(PASSWORD) && !debug.contains("$argon2"),
        "{debug}"
    );

    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"));
    let credentials = decode_basic(encoded.as_bytes()).unwrap();
    assert_eq!(
        format!("{credentials:?}"),
        r#"BasicCredentials { user_id: "alice", password: "<redacted>" }"#
    );
    let header = format!("Basic {encoded}");
    let authorization = Authorization::parse(header.as_bytes()).unwrap();
    assert_eq!(
        format!("{authorization:?}"),
        format!(
            r#"Authorization {{ scheme: "Basic", credentials_len: {} }}"#,
            encoded.len()
        )
    );

    static READ: ScopeExpr = ScopeExpr::Token("read");
    let requirement = Requirement::new(&[Scheme::Bearer]).scope(READ).optional();
    assert_eq!(
        format!("{requirement:?}"),
        r#"Requirement { schemes: [Bearer], scope: Some(Token("read")), roles: None, acr: [], max_age: None, policy: None, realm: None, optional: true, public: false }"#
    );

    assert_eq!(InvalidReason::WrongIssuer.to_string(), "wrong_issuer");
    assert_eq!(
        Refusal::Invalid(InvalidReason::BadSignature).to_string(),
        "invalid token: bad_signature"
    );
    let challenge = Challenge::new("Bearer", "api").param("error", "invalid_token");
    assert_eq!(
        challenge.to_string(),
        r#"Bearer realm="api", error="invalid_token""#
    );
}

#[actix_rt::test]
async fn success_is_logged_without_the_credential() {
    let valid = token("read");
    let (status, _, logged) = exchange(
        test::TestRequest::get()
            .uri("/items")
            .insert_header(bearer(&valid)),
    )
    .await;
    assert_eq!(status, 200);
    assert!(logged.contains("decision=\"allowed\""), "{logged}");
    assert!(!logged.contains(valid.rsplit('.').next().unwrap()));
    let (status, _, logged) = exchange(
        test::TestRequest::get()
            .uri("/whoami")
            .insert_header(basic(&format!("alice:{PASSWORD}"))),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!logged.contains(PASSWORD));
}
