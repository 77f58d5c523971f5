//! Basic over the real service: the verified-credential cache (a hit after the first success,
//! never for a wrong password or an unknown user, never across a changed hash, cleared,
//! expired), the bounded hashing queue (503 with `Retry-After` when full, cached users still
//! served), the decoy hash, and application schemes that opt into the cache. argon2
//! computations are counted by `Passwords::stats`, never timed.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::task::Poll;
use std::time::Duration;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::{get, test, web, App, HttpRequest, HttpResponse};
use auth_runtime::testing::internals::{decoy_hash, pause_hashing};
use auth_runtime::{
    requires, Authenticator, BasicCredentials, BasicVerifier, CredentialCacheConfig, CustomScheme,
    Identity, Passwords, Principal, Refusal, Scheme, StaticUsers,
};
use auth_tests::*;
use base64::Engine;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// The application under test.

#[get("/reports")]
#[requires(scheme = any("Bearer", "Basic"), scope = "reports:read")]
async fn reports(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or("?").to_owned())
}

#[get("/session")]
#[requires(scheme = CachedSession)]
async fn session(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or("?").to_owned())
}

#[get("/plain-session")]
#[requires(scheme = PlainSession)]
async fn plain_session(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or("?").to_owned())
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(reports)
        .service(session)
        .service(plain_session);
}

/// A user store as a database keeps one: user-id → PHC hash, changed while the server runs.
#[derive(Clone)]
struct UserTable {
    hashes: Arc<RwLock<HashMap<String, String>>>,
    passwords: Passwords,
}

impl UserTable {
    fn new(passwords: Passwords) -> Self {
        UserTable {
            hashes: Arc::default(),
            passwords,
        }
    }

    fn set(&self, user_id: &str, hash: Option<String>) {
        let mut hashes = self.hashes.write().unwrap();
        match hash {
            Some(hash) => hashes.insert(user_id.to_owned(), hash),
            None => hashes.remove(user_id),
        };
    }
}

impl BasicVerifier for UserTable {
    async fn verify(
        &self,
        credentials: &BasicCredentials,
        _: &HttpRequest,
    ) -> Result<Arc<Principal>, Refusal> {
        let stored = self
            .hashes
            .read()
            .unwrap()
            .get(credentials.user_id())
            .cloned();
        self.passwords.check(credentials, stored.as_deref()).await?;
        let principal = Principal::user(Scheme::Basic, credentials.user_id());
        Ok(principal.with_scopes(["reports:read"]).into())
    }
}

/// `Cookie: session=<user>`, verified by a slow store that counts its calls; it names the
/// cookie as its credential, so it is cached. The session `expired` is refused.
struct CachedSession {
    verified: Arc<AtomicUsize>,
}

impl CustomScheme for CachedSession {
    const NAME: &'static str = "Session";

    fn is_present(&self, req: &HttpRequest) -> bool {
        req.cookie("session").is_some()
    }

    async fn verify(&self, req: &HttpRequest) -> Result<Principal, Refusal> {
        self.verified.fetch_add(1, Ordering::SeqCst);
        match req.cookie("session") {
            Some(cookie) if cookie.value() != "expired" => {
                Ok(Principal::user(Scheme::Custom(Self::NAME), cookie.value()))
            }
            _ => Err(Refusal::Rejected),
        }
    }

    fn credential<'r>(&self, req: &'r HttpRequest) -> Option<std::borrow::Cow<'r, [u8]>> {
        req.cookie("session")
            .map(|cookie| cookie.value().as_bytes().to_vec().into())
    }
}

/// The same scheme without the opt-in: verified on every request.
struct PlainSession {
    verified: Arc<AtomicUsize>,
}

impl CustomScheme for PlainSession {
    const NAME: &'static str = "PlainSession";

    fn is_present(&self, req: &HttpRequest) -> bool {
        req.cookie("plain").is_some()
    }

    async fn verify(&self, req: &HttpRequest) -> Result<Principal, Refusal> {
        self.verified.fetch_add(1, Ordering::SeqCst);
        let cookie = req.cookie("plain").ok_or(Refusal::Rejected)?;
        Ok(Principal::user(Scheme::Custom(Self::NAME), cookie.value()))
    }
}

async fn service(
    auth: Authenticator,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    test::init_service(App::new().configure(auth.configure()).configure(routes)).await
}

/// The service with `verifier` as its Basic verifier.
async fn basic_service(
    verifier: impl BasicVerifier,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    service(builder().basic(verifier).build().unwrap()).await
}

fn users(passwords: &Passwords) -> StaticUsers {
    StaticUsers::new()
        .with_passwords(passwords.clone())
        .user("alice", "wonderland", ["reports:read"])
        .unwrap()
}

fn basic(credentials: &str) -> (&'static str, String) {
    basic_bytes(credentials.as_bytes())
}

fn basic_bytes(credentials: &[u8]) -> (&'static str, String) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    ("Authorization", format!("Basic {encoded}"))
}

fn reports_with(header: (&'static str, String)) -> actix_http::Request {
    test::TestRequest::get()
        .uri("/reports")
        .insert_header(header)
        .to_request()
}

async fn status_of(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    credentials: &str,
) -> StatusCode {
    app.call(reports_with(basic(credentials)))
        .await
        .unwrap()
        .status()
}

/// Polls `future` once; whether it is still pending.
async fn poll_once<F: Future + ?Sized>(future: &mut Pin<Box<F>>) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx).is_pending())).await
}

const BASIC: &str = r#"Basic realm="test-realm", charset="UTF-8""#;

// ---------------------------------------------------------------------------------------------
// The cache.

#[actix_rt::test]
async fn a_correct_password_is_hashed_once_then_served_from_the_cache() {
    let passwords = Passwords::new();
    let app = basic_service(users(&passwords)).await;
    for _ in 0..3 {
        let res = app
            .call(reports_with(basic("alice:wonderland")))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(test::read_body(res).await, "alice");
    }
    let stats = passwords.stats();
    assert_eq!((stats.hashed, stats.cache_hits, stats.cached), (1, 2, 1));
}

#[actix_rt::test]
async fn a_wrong_password_is_hashed_every_time_and_never_cached() {
    let passwords = Passwords::new();
    let app = basic_service(users(&passwords)).await;
    for _ in 0..2 {
        assert_eq!(
            status_of(&app, "alice:wrong").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(passwords.stats().hashed, 2);
    assert_eq!(passwords.stats().cached, 0);
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    // A cached right password changes nothing for a wrong one.
    assert_eq!(
        status_of(&app, "alice:wrong").await,
        StatusCode::UNAUTHORIZED
    );
    let stats = passwords.stats();
    assert_eq!((stats.hashed, stats.cache_hits, stats.cached), (4, 0, 1));
}

#[actix_rt::test]
async fn another_form_of_a_cached_credential_is_checked_in_full() {
    let passwords = Passwords::new();
    let app = basic_service(users(&passwords)).await;
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    // Another user-id, a byte more or less, the colon rules of RFC 7617 §2: argon2 decides.
    for other in [
        "Alice:wonderland",
        "alice:Wonderland",
        "alice:wonderland ",
        "alice:wonderlan",
        "alice:wonderland:",
        "alice::wonderland",
        "alice :wonderland",
    ] {
        let hashed = passwords.stats().hashed;
        assert_eq!(
            status_of(&app, other).await,
            StatusCode::UNAUTHORIZED,
            "{other}"
        );
        assert_eq!(passwords.stats().hashed, hashed + 1, "{other}");
    }
    // base64 without its padding is not RFC 4648 §4 base64: refused before any lookup.
    let hashed = passwords.stats().hashed;
    let unpadded = ("Authorization", "Basic YWxpY2U6d29uZGVybGFuZA".to_owned());
    let res = app.call(reports_with(unpadded)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(passwords.stats().hashed, hashed);
    // The same bytes, however the scheme is spelt, are the same credential.
    let mixed_case = ("Authorization", "bAsIc YWxpY2U6d29uZGVybGFuZA==".to_owned());
    let res = app.call(reports_with(mixed_case)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Nothing above entered the cache, and the real entry still serves.
    assert_eq!(passwords.stats().cached, 1);
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    assert_eq!(passwords.stats().cache_hits, 2);
}

#[actix_rt::test]
async fn a_changed_hash_and_a_removed_user_never_hit_the_old_entry() {
    let passwords = Passwords::new();
    let table = UserTable::new(passwords.clone());
    table.set("alice", Some(Passwords::hash("wonderland").unwrap()));
    let app = basic_service(table.clone()).await;
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    assert_eq!(passwords.stats().hashed, 1);

    // The password changes: the old one is checked against the new hash, and fails.
    table.set("alice", Some(Passwords::hash("looking-glass").unwrap()));
    assert_eq!(
        status_of(&app, "alice:wonderland").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status_of(&app, "alice:looking-glass").await, StatusCode::OK);
    assert_eq!(status_of(&app, "alice:looking-glass").await, StatusCode::OK);
    assert_eq!(passwords.stats().hashed, 3);

    // The same password hashed again (a new salt) is a new hash: checked once more.
    table.set("alice", Some(Passwords::hash("looking-glass").unwrap()));
    assert_eq!(status_of(&app, "alice:looking-glass").await, StatusCode::OK);
    assert_eq!(passwords.stats().hashed, 4);

    // The user is removed: refused, at the cost of a wrong password.
    table.set("alice", None);
    assert_eq!(
        status_of(&app, "alice:looking-glass").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(passwords.stats().hashed, 5);
}

#[actix_rt::test]
async fn clear_drops_every_cached_credential() {
    let passwords = Passwords::new();
    let app = basic_service(users(&passwords)).await;
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    passwords.clear();
    assert_eq!(passwords.stats().cached, 0);
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    assert_eq!(passwords.stats().hashed, 2);
}

#[actix_rt::test]
async fn a_cached_credential_is_checked_in_full_again_after_max_age() {
    let passwords = Passwords::new()
        .cache(CredentialCacheConfig::default().max_age(Duration::from_millis(300)));
    let app = basic_service(users(&passwords)).await;
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    assert_eq!(passwords.stats().hashed, 1);
    actix_rt::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    assert_eq!(passwords.stats().hashed, 2);
}

#[actix_rt::test]
async fn without_the_cache_every_request_is_hashed() {
    let passwords = Passwords::new().cache(CredentialCacheConfig::disabled());
    let app = basic_service(users(&passwords)).await;
    for _ in 0..3 {
        assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    }
    assert_eq!(passwords.stats().hashed, 3);
    assert_eq!(passwords.stats().cache_hits, 0);
}

// ---------------------------------------------------------------------------------------------
// Unknown users and the decoy.

#[actix_rt::test]
async fn an_unknown_user_costs_one_argon2_computation_before_and_after_caching() {
    let passwords = Passwords::new();
    let table = UserTable::new(passwords.clone());
    let alice_hash = Passwords::hash("wonderland").unwrap();
    table.set("alice", Some(alice_hash.clone()));
    let app = basic_service(table).await;

    assert_eq!(
        status_of(&app, "nobody:wonderland").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(passwords.stats().hashed, 1);
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    for expected in [3, 4] {
        assert_eq!(
            status_of(&app, "nobody:wonderland").await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(passwords.stats().hashed, expected);
    }
    assert_eq!(
        passwords.stats().cached,
        1,
        "unknown users are never cached"
    );

    // The decoy is an argon2id PHC string (`$argon2id$v=19$m=..,t=..,p=..$salt$output`) with
    // the algorithm, version and parameters of the users' hashes, its own salt and output.
    let decoy = decoy_hash(&passwords);
    let (decoy, alice): (Vec<&str>, Vec<&str>) =
        (decoy.split('$').collect(), alice_hash.split('$').collect());
    assert_eq!(decoy.len(), 6, "{decoy:?}");
    assert_eq!(decoy[..4], alice[..4]);
    assert_eq!(decoy[1], "argon2id");
    assert!(decoy[4].len() >= 22 && decoy[5].len() == alice[5].len());
    assert_ne!(decoy[4], alice[4]);
}

// ---------------------------------------------------------------------------------------------
// The queue.

#[actix_rt::test]
async fn a_full_queue_is_answered_503_with_retry_after_and_cached_users_are_still_served() {
    // One hashing thread and one check waiting: two admitted at once.
    let passwords = Passwords::new().hashing_threads(1).max_waiting(1);
    let app = basic_service(users(&passwords)).await;
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    // After its answer the thread makes the decoy with alice's parameters; let it finish.
    while passwords.stats().in_progress > 0 {
        actix_rt::time::sleep(Duration::from_millis(5)).await;
    }

    let (_logging, log) = capture_logs(tracing::Level::INFO);
    refresh_log_interest();
    let paused = pause_hashing(&passwords);
    let mut first = Box::pin(app.call(reports_with(basic("alice:guess-1"))));
    let mut second = Box::pin(app.call(reports_with(basic("nobody:guess-2"))));
    assert!(poll_once(&mut first).await && poll_once(&mut second).await);
    assert_eq!(passwords.stats().in_progress, 2);

    for refused in ["alice:guess-3", "nobody:guess-4", "alice:wonderlanD"] {
        let res = app.call(reports_with(basic(refused))).await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{refused}");
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "1");
        assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
        assert_eq!(
            res.headers().get(header::CACHE_CONTROL).unwrap(),
            "no-store"
        );
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
        let body: Value = test::read_body_json(res).await;
        assert_eq!(body["status"], 503);
        assert_eq!(body["title"], "Service Unavailable");
        assert_eq!(
            body["detail"],
            "Too many requests are waiting for their credentials to be checked; retry later."
        );
        assert!(!body.to_string().contains("alice") && !body.to_string().contains("guess"));
    }
    assert_eq!(passwords.stats().overloaded, 3);
    let logged = log.text();
    let refusals: Vec<&str> = logged.lines().filter(|line| line.contains("503")).collect();
    assert_eq!(refusals.len(), 3, "{logged}");
    for line in refusals {
        assert!(
            line.contains("WARN")
                && line.contains("reason=\"overloaded\"")
                && line.contains("waiting for the password hash"),
            "{line}"
        );
        assert!(!line.contains("guess"), "{line}");
    }

    // A user whose credentials are cached never enters the queue.
    for _ in 0..3 {
        assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    }

    drop(paused);
    for pending in [first, second] {
        let res = pending.await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(passwords.stats().hashed, 3, "the refused checks never ran");
}

#[actix_rt::test]
async fn pause_hashing_holds_every_check_until_its_guard_is_dropped() {
    let passwords = Passwords::new().hashing_threads(1);
    let app = basic_service(users(&passwords)).await;
    let paused = pause_hashing(&passwords);
    let mut pending = Box::pin(app.call(reports_with(basic("alice:wonderland"))));
    assert!(poll_once(&mut pending).await);
    // Time for several argon2 checks: none starts while the threads are held.
    actix_rt::time::sleep(Duration::from_millis(500)).await;
    assert!(poll_once(&mut pending).await, "answered while paused");
    assert_eq!(passwords.stats().hashed, 0);
    drop(paused);
    assert_eq!(pending.await.unwrap().status(), StatusCode::OK);
    assert_eq!(passwords.stats().hashed, 1);
}

// ---------------------------------------------------------------------------------------------
// CONFORMANCE row 10 with the cache in front.

/// A verifier that calls its failures by other names: they are answered as any Basic failure.
struct CreativeRefusals;

impl BasicVerifier for CreativeRefusals {
    async fn verify(
        &self,
        credentials: &BasicCredentials,
        _: &HttpRequest,
    ) -> Result<Arc<Principal>, Refusal> {
        match credentials.user_id() {
            "expired" => Err(Refusal::Expired),
            "invalid" => Err(Refusal::Invalid(auth_runtime::InvalidReason::BadSignature)),
            _ => Err(Refusal::Missing),
        }
    }
}

/// Status, challenges and body, for comparing answers byte for byte.
async fn snapshot(res: ServiceResponse) -> (StatusCode, Vec<String>, Vec<u8>) {
    let status = res.status();
    let challenges = res
        .headers()
        .get_all(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    let body = test::read_body(res).await.to_vec();
    (status, challenges, body)
}

#[actix_rt::test]
async fn row_10_every_basic_failure_gets_the_identical_answer_with_a_warm_cache() {
    let passwords = Passwords::new();
    let app = basic_service(users(&passwords)).await;
    assert_eq!(status_of(&app, "alice:wonderland").await, StatusCode::OK);
    let reference = snapshot(
        app.call(test::TestRequest::get().uri("/reports").to_request())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reference.0, StatusCode::UNAUTHORIZED);
    assert_eq!(reference.1, ["Bearer realm=\"test-realm\"", BASIC]);
    for failure in [
        "alice:wonderlanD",
        "Alice:wonderland",
        "nobody:wonderland",
        "alice",
    ] {
        let answer = snapshot(app.call(reports_with(basic(failure))).await.unwrap()).await;
        assert_eq!(answer.0, StatusCode::UNAUTHORIZED, "{failure}");
        assert_eq!(answer.1, [BASIC], "{failure}");
        assert_eq!(answer.2, reference.2, "{failure}");
    }

    let app = basic_service(CreativeRefusals).await;
    let wrong = snapshot(app.call(reports_with(basic("x:y"))).await.unwrap()).await;
    for user in ["expired", "invalid"] {
        let credentials = format!("{user}:pw");
        let answer = snapshot(app.call(reports_with(basic(&credentials))).await.unwrap()).await;
        assert_eq!(answer, wrong, "{user}");
    }
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.1, [BASIC]);
    assert_eq!(wrong.2, reference.2);
}

// ---------------------------------------------------------------------------------------------
// Application schemes that opt in.

fn session_authenticator(
    config: CredentialCacheConfig,
) -> (Authenticator, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let (cached, plain) = (Arc::<AtomicUsize>::default(), Arc::<AtomicUsize>::default());
    let auth = builder()
        .credential_cache(config)
        .custom_scheme(CachedSession {
            verified: Arc::clone(&cached),
        })
        .custom_scheme(PlainSession {
            verified: Arc::clone(&plain),
        })
        .build()
        .unwrap();
    (auth, cached, plain)
}

fn cookie(path: &str, cookie: &str) -> actix_http::Request {
    test::TestRequest::get()
        .uri(path)
        .insert_header(("cookie", cookie))
        .to_request()
}

#[actix_rt::test]
async fn a_custom_scheme_that_names_its_credential_is_verified_once() {
    let (auth, verified, _) = session_authenticator(CredentialCacheConfig::default());
    let app = service(auth.clone()).await;
    for _ in 0..3 {
        let res = app.call(cookie("/session", "session=carol")).await.unwrap();
        assert_eq!(test::read_body(res).await, "carol");
    }
    assert_eq!(verified.load(Ordering::SeqCst), 1);
    let res = app.call(cookie("/session", "session=dave")).await.unwrap();
    assert_eq!(
        test::read_body(res).await,
        "dave",
        "another credential, its own principal"
    );
    assert_eq!(verified.load(Ordering::SeqCst), 2);

    // Refusals are never cached.
    for _ in 0..2 {
        let res = app
            .call(cookie("/session", "session=expired"))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(verified.load(Ordering::SeqCst), 4);

    // Revocation reaches the credential cache.
    auth.evict_cached(|principal| principal.subject() == Some("carol"));
    let res = app.call(cookie("/session", "session=carol")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.call(cookie("/session", "session=dave")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        verified.load(Ordering::SeqCst),
        5,
        "carol again, dave still cached"
    );
}

#[actix_rt::test]
async fn a_custom_scheme_is_verified_every_time_without_the_opt_in_or_with_the_cache_off() {
    let (auth, _, plain) = session_authenticator(CredentialCacheConfig::default());
    let app = service(auth).await;
    for _ in 0..3 {
        let res = app
            .call(cookie("/plain-session", "plain=erin"))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(plain.load(Ordering::SeqCst), 3);

    let (auth, cached, _) = session_authenticator(CredentialCacheConfig::disabled());
    let app = service(auth).await;
    for _ in 0..3 {
        let res = app.call(cookie("/session", "session=carol")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(cached.load(Ordering::SeqCst), 3);
}

#[actix_rt::test]
async fn a_custom_cache_entry_is_verified_again_after_max_age() {
    let config = CredentialCacheConfig::default().max_age(Duration::from_millis(300));
    let (auth, verified, _) = session_authenticator(config);
    let app = service(auth).await;
    for _ in 0..2 {
        app.call(cookie("/session", "session=carol")).await.unwrap();
    }
    assert_eq!(verified.load(Ordering::SeqCst), 1);
    actix_rt::time::sleep(Duration::from_millis(400)).await;
    app.call(cookie("/session", "session=carol")).await.unwrap();
    assert_eq!(verified.load(Ordering::SeqCst), 2);
}
