//! Keys that rotate (CONFORMANCE row 12): JWKS documents and URLs, OpenID Connect discovery,
//! background refresh, the single-flight refetch on an unknown `kid`, and the outage policy,
//! against a real key server on 127.0.0.1 (`auth_tests::key_server`). No timed assertions:
//! counters and statuses only.

use std::time::{Duration, Instant};

use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::{get, test, App, HttpResponse, HttpServer};
use auth_runtime::jwk::JwkSet;
use auth_runtime::{requires, Algorithm, Authenticator, AuthenticatorBuilder, ConfigError, Key};
use auth_tests::key_server::{jwk, KeyServer, TokenEndpoint};
use auth_tests::*;
use futures_util::future::{join_all, select, Either};
use jsonwebtoken::Header;
use serde_json::{json, Value};

#[get("/items")]
#[requires(scope = "read")]
async fn list_items() -> HttpResponse {
    HttpResponse::Ok().body("items")
}

/// A builder trusting `server`'s JWKS over plain http, with a one-second cooldown.
fn trusting(server: &KeyServer) -> AuthenticatorBuilder {
    Authenticator::builder()
        .realm(REALM)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .jwks_url(server.jwks_url())
        .allow_http()
        .unknown_kid_cooldown(Duration::from_secs(1))
}

/// A builder finding `server`'s keys by discovery, its URL being the issuer.
fn discovering(server: &KeyServer) -> AuthenticatorBuilder {
    Authenticator::builder()
        .realm(REALM)
        .audience(AUDIENCE)
        .oidc_discovery(server.url())
        .allow_http()
        .unknown_kid_cooldown(Duration::from_secs(1))
}

/// A token signed with the test key of `alg`, naming `kid`.
fn token_for(alg: Algorithm, kid: &str) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    mint_with(&header, &claims("read"), &signer(alg))
}

fn get_items(token: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri("/items")
        .insert_header(bearer(token))
}

async fn call(auth: &Authenticator, token: &str) -> ServiceResponse {
    let app = test::init_service(App::new().configure(auth.configure()).service(list_items)).await;
    test::call_service(&app, get_items(token).to_request()).await
}

async fn status(auth: &Authenticator, token: &str) -> StatusCode {
    call(auth, token).await.status()
}

fn assert_invalid_token(res: &ServiceResponse) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let challenge = res.headers().get(header::WWW_AUTHENTICATE).unwrap();
    let challenge = challenge.to_str().unwrap();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
}

/// Row 12: 503, `Retry-After`, no challenge, a problem body.
async fn assert_keys_unavailable(res: ServiceResponse) {
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    assert!(!res.headers().contains_key(header::WWW_AUTHENTICATE));
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["status"], 503);
}

/// Retries until `auth` accepts `token` (recovery is asynchronous); panics after 10 seconds.
async fn wait_until_accepted(auth: &Authenticator, token: &str) {
    for _ in 0..100 {
        if status(auth, token).await == StatusCode::OK {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the token was never accepted again");
}

// ---------------------------------------------------------------------------------------------
// Key types and key selection.

#[actix_rt::test]
async fn every_asymmetric_key_type_verifies_from_a_jwks_url() {
    let keys = [
        (Algorithm::RS256, "rsa"),
        (Algorithm::PS384, "rsa-pss"),
        (Algorithm::ES256, "p-256"),
        (Algorithm::ES384, "p-384"),
        (Algorithm::EdDSA, "ed25519"),
    ];
    let server = KeyServer::with_keys(keys.iter().map(|&(alg, kid)| jwk(alg, kid)).collect()).await;
    let auth = trusting(&server).build_and_fetch().await.unwrap();
    for (alg, kid) in keys {
        assert_eq!(
            status(&auth, &token_for(alg, kid)).await,
            StatusCode::OK,
            "{alg:?}"
        );
    }
    assert_eq!(server.jwks_fetches(), 1);
}

#[actix_rt::test]
async fn hmac_keys_come_from_an_inline_jwks_only() {
    let set = JwkSet {
        keys: vec![jwk(Algorithm::HS256, "hmac"), jwk(Algorithm::EdDSA, "ed")],
    };
    let inline = || Authenticator::builder().issuer(ISSUER).audience(AUDIENCE);
    let from_set = inline().jwks(set.clone()).build().unwrap();
    let from_json = inline()
        .jwks_json(serde_json::to_string(&set).unwrap())
        .build()
        .unwrap();
    let path = std::env::temp_dir().join(format!("auth-tests-jwks-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_vec(&set).unwrap()).unwrap();
    let from_file = inline().jwks_file(&path).build().unwrap();
    std::fs::remove_file(&path).unwrap();
    for auth in [from_set, from_json, from_file] {
        assert_eq!(
            status(&auth, &token_for(Algorithm::HS256, "hmac")).await,
            StatusCode::OK
        );
        assert_eq!(
            status(&auth, &token_for(Algorithm::EdDSA, "ed")).await,
            StatusCode::OK
        );
    }

    // A published JWKS is public: a symmetric key in it is never trusted.
    let server = KeyServer::with_keys(vec![jwk(Algorithm::HS256, "hmac")]).await;
    let error = trusting(&server).build_and_fetch().await.unwrap_err();
    assert!(
        matches!(error, ConfigError::KeySourceUnavailable(_)),
        "{error}"
    );
}

#[actix_rt::test]
async fn a_jwks_with_unusable_keys_keeps_the_usable_ones() {
    let mut for_encryption = serde_json::to_value(jwk(Algorithm::EdDSA, "enc")).unwrap();
    for_encryption["use"] = json!("enc");
    let mut contradicting = serde_json::to_value(jwk(Algorithm::ES256, "contradicting")).unwrap();
    contradicting["alg"] = json!("ES384");
    let server = KeyServer::start().await;
    server.publish_raw(json!({ "keys": [
        for_encryption,
        contradicting,
        { "kty": "unknown", "kid": "unknown" },
        serde_json::to_value(jwk(Algorithm::ES256, "good")).unwrap(),
    ]}));
    let auth = trusting(&server).build_and_fetch().await.unwrap();
    assert_eq!(
        status(&auth, &token_for(Algorithm::ES256, "good")).await,
        StatusCode::OK
    );
    for (alg, kid) in [
        (Algorithm::EdDSA, "enc"),
        (Algorithm::ES384, "contradicting"),
        (Algorithm::ES256, "contradicting"),
    ] {
        assert_invalid_token(&call(&auth, &token_for(alg, kid)).await);
    }
}

#[actix_rt::test]
async fn a_header_alg_other_than_the_keys_is_invalid() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::ES256, "p-256")]).await;
    let auth = trusting(&server).build_and_fetch().await.unwrap();
    // The key named by `kid` verifies ES256 only; the header says ES384 (signed with P-384).
    assert_invalid_token(&call(&auth, &token_for(Algorithm::ES384, "p-256")).await);
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("p-256".into());
    let token = mint_with(&header, &claims("read"), &signer(Algorithm::RS256));
    assert_invalid_token(&call(&auth, &token).await);
    assert_eq!(server.jwks_fetches(), 1, "a known kid never causes a fetch");
}

/// RFC 9864 §2.2: `Ed25519` is EdDSA with an Ed25519 key, in a JWKS as in a token header. A
/// JWK's `alg` binds its key to that one name, as it binds every other key to its algorithm; a
/// JWK without `alg` verifies either name.
#[actix_rt::test]
async fn the_rfc_9864_name_ed25519_verifies_and_binds_like_every_other_name() {
    let ed25519_jwk = |alg: Option<&str>, kid: &str| {
        let mut key = serde_json::to_value(jwk(Algorithm::EdDSA, kid)).unwrap();
        match alg {
            Some(alg) => key["alg"] = json!(alg),
            None => drop(key.as_object_mut().unwrap().remove("alg")),
        }
        key
    };
    let document = json!({ "keys": [
        ed25519_jwk(Some("Ed25519"), "new-name"),
        ed25519_jwk(Some("EdDSA"), "old-name"),
        ed25519_jwk(None, "unnamed"),
    ]});
    let token = |alg: &str, kid: &str| {
        let header = json!({ "alg": alg, "kid": kid, "typ": "JWT" }).to_string();
        mint_raw(&header, &claims("read"), Algorithm::EdDSA)
    };
    let server = KeyServer::start().await;
    server.publish_raw(document.clone());
    let fetched = trusting(&server).build_and_fetch().await.unwrap();
    let inline = Authenticator::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .jwks_json(document.to_string())
        .build()
        .unwrap();
    for auth in [&fetched, &inline] {
        for (alg, kid, accepted) in [
            ("Ed25519", "new-name", true),
            ("EdDSA", "new-name", false),
            ("EdDSA", "old-name", true),
            ("Ed25519", "old-name", false),
            ("Ed25519", "unnamed", true),
            ("EdDSA", "unnamed", true),
            ("ed25519", "unnamed", false),
        ] {
            let res = call(auth, &token(alg, kid)).await;
            if accepted {
                assert_eq!(res.status(), StatusCode::OK, "{alg} with {kid}");
            } else {
                assert_invalid_token(&res);
            }
        }
    }
    assert_eq!(server.jwks_fetches(), 1);

    // A key of another type cannot be named `Ed25519`: left out of a fetched document.
    let mut p256 = serde_json::to_value(jwk(Algorithm::ES256, "p-256")).unwrap();
    p256["alg"] = json!("Ed25519");
    server.publish_raw(json!({ "keys": [p256, ed25519_jwk(Some("Ed25519"), "ok")] }));
    let auth = trusting(&server).build_and_fetch().await.unwrap();
    assert_eq!(status(&auth, &token("Ed25519", "ok")).await, StatusCode::OK);
    assert_invalid_token(&call(&auth, &token_for(Algorithm::ES256, "p-256")).await);
}

#[actix_rt::test]
async fn tokens_without_kid_are_verified_only_when_one_key_fits() {
    let server = KeyServer::with_keys(vec![
        jwk(Algorithm::ES256, "first"),
        jwk(Algorithm::ES256, "second"),
        jwk(Algorithm::EdDSA, "only"),
    ])
    .await;
    let auth = trusting(&server).build_and_fetch().await.unwrap();
    let without_kid = |alg| mint_with(&Header::new(alg), &claims("read"), &signer(alg));
    assert_eq!(
        status(&auth, &without_kid(Algorithm::EdDSA)).await,
        StatusCode::OK
    );
    // Two ES256 keys: which one is meant cannot be known, so neither is tried.
    assert_invalid_token(&call(&auth, &without_kid(Algorithm::ES256)).await);
    assert_eq!(
        server.jwks_fetches(),
        1,
        "a token without kid never causes a fetch"
    );
}

// ---------------------------------------------------------------------------------------------
// Rotation and refresh.

#[actix_rt::test]
async fn rotation_is_picked_up_without_restart() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::ES256, "2026-01")]).await;
    let auth = trusting(&server).build_and_fetch().await.unwrap();
    let old = token_for(Algorithm::ES256, "2026-01");
    assert_eq!(status(&auth, &old).await, StatusCode::OK);

    // The provider rotates: the new key is published, the old one withdrawn.
    server.publish(vec![jwk(Algorithm::EdDSA, "2026-02")]);
    let new = token_for(Algorithm::EdDSA, "2026-02");
    assert_eq!(status(&auth, &new).await, StatusCode::OK);
    assert_eq!(server.jwks_fetches(), 2, "the unknown kid caused one fetch");
    assert_eq!(
        server.discovery_fetches(),
        0,
        "a JWKS URL needs no discovery"
    );
    // The withdrawn key is gone with the fetch; within the cooldown, no new fetch for it.
    assert_invalid_token(&call(&auth, &old).await);
    assert_eq!(server.jwks_fetches(), 2);
}

/// A token outside the `b64token` syntax is refused as `invalid_request` (row 3) before its
/// unknown `kid` can cause a fetch; the same token well-formed causes one.
#[actix_rt::test]
async fn a_malformed_token_with_an_unknown_kid_causes_no_fetch() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::ES256, "2026-01")]).await;
    let auth = trusting(&server).build_and_fetch().await.unwrap();
    server.publish(vec![jwk(Algorithm::EdDSA, "2026-02")]);
    let new = token_for(Algorithm::EdDSA, "2026-02");
    let (head, signature) = new.rsplit_once('.').unwrap();
    for malformed in [
        format!("{new}!"),
        format!("{head}.{signature} x"),
        format!("{head}.%{signature}"),
        format!("{head}=.{signature}"),
    ] {
        let res = call(&auth, &malformed).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{malformed}");
        let challenge = res.headers().get(header::WWW_AUTHENTICATE).unwrap();
        assert!(
            challenge
                .to_str()
                .unwrap()
                .contains(r#"error="invalid_request""#),
            "{challenge:?}"
        );
    }
    assert_eq!(server.jwks_fetches(), 1, "a malformed token caused a fetch");
    assert_eq!(status(&auth, &new).await, StatusCode::OK);
    assert_eq!(server.jwks_fetches(), 2);
}

#[actix_rt::test]
async fn background_refresh_follows_max_age_and_picks_up_rotation() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::ES256, "before")]).await;
    server.set_max_age(Some(1));
    let auth = trusting(&server)
        .refresh_interval(Duration::from_secs(1), Duration::from_secs(60))
        .build_and_fetch()
        .await
        .unwrap();
    server.publish(vec![jwk(Algorithm::EdDSA, "after")]);
    // No request is made: the refresh comes from `max-age=1`.
    server.wait_for_jwks_fetches(2).await;
    let fetches = server.jwks_fetches();
    assert_eq!(
        status(&auth, &token_for(Algorithm::EdDSA, "after")).await,
        StatusCode::OK
    );
    assert_eq!(
        server.jwks_fetches(),
        fetches,
        "the refresh, not the request, fetched"
    );
    // And it keeps refreshing.
    server.wait_for_jwks_fetches(fetches + 1).await;
}

/// The refresher's log, seen by the operator at INFO: a line for the first key set and for each
/// change of it, none for a refetch that changed nothing (that one is at DEBUG).
#[actix_rt::test]
async fn a_fetched_key_set_is_logged_when_it_changes_and_not_when_it_stays() {
    let logs = background_logs();
    // An earlier test's key server may have had the same port.
    let earlier = logs.text().len();
    let server = KeyServer::with_keys(vec![jwk(Algorithm::ES256, "first")]).await;
    let fetched = |logs: &CapturedLog| -> Vec<String> {
        logs.text()[earlier..]
            .lines()
            .filter(|line| {
                line.contains("verification keys fetched") && line.contains(&server.jwks_url())
            })
            .map(str::to_owned)
            .collect()
    };
    let auth = trusting(&server)
        .unknown_kid_cooldown(Duration::from_millis(200))
        .build_and_fetch()
        .await
        .unwrap();
    let lines = fetched(&logs);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(" INFO ") && lines[0].contains(r#"kids=["first"]"#));

    // An unknown kid refetches the same keys: nothing for the operator.
    assert_invalid_token(&call(&auth, &token_for(Algorithm::ES256, "made-up")).await);
    assert_eq!(server.jwks_fetches(), 2);
    assert_eq!(fetched(&logs).len(), 1, "{}", logs.text());

    // A rotation is.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    server.publish(vec![jwk(Algorithm::EdDSA, "second")]);
    assert_eq!(
        status(&auth, &token_for(Algorithm::EdDSA, "second")).await,
        StatusCode::OK
    );
    let lines = fetched(&logs);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].contains(r#"kids=["second"]"#), "{lines:?}");
}

#[actix_rt::test]
async fn a_thousand_concurrent_requests_with_an_unknown_kid_cause_one_fetch() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::ES256, "old")]).await;
    let auth = trusting(&server).build_and_fetch().await.unwrap();
    assert_eq!(server.jwks_fetches(), 1);
    server.publish(vec![
        jwk(Algorithm::ES256, "old"),
        jwk(Algorithm::RS256, "new"),
    ]);
    // Slow enough that the requests arrive while the one fetch is in flight.
    server.slow_down(Duration::from_millis(300));
    let app = test::init_service(App::new().configure(auth.configure()).service(list_items)).await;
    let token = token_for(Algorithm::RS256, "new");
    let responses =
        join_all((0..1000).map(|_| test::call_service(&app, get_items(&token).to_request()))).await;
    let refused: Vec<StatusCode> = responses
        .iter()
        .map(|res| res.status())
        .filter(|status| *status != StatusCode::OK)
        .collect();
    assert!(
        refused.is_empty(),
        "{} refused, the first {:?}",
        refused.len(),
        refused.first()
    );
    assert_eq!(
        server.jwks_fetches(),
        2,
        "one fetch for a thousand requests"
    );
}

#[actix_rt::test]
async fn a_flood_of_made_up_kids_fetches_at_most_once_per_cooldown() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::ES256, "real")]).await;
    // Signed with HMAC only because it is cheap to mint: the `kid` alone decides.
    let made_up =
        |round: usize, i: usize| token_for(Algorithm::HS256, &format!("made-up-{round}-{i}"));

    // A cooldown longer than the test: a flood, concurrent then sequential, fetches once.
    let auth = trusting(&server)
        .unknown_kid_cooldown(Duration::from_secs(3600))
        .build_and_fetch()
        .await
        .unwrap();
    let app = test::init_service(App::new().configure(auth.configure()).service(list_items)).await;
    let tokens: Vec<_> = (0..500).map(|i| made_up(0, i)).collect();
    let responses = join_all(
        tokens
            .iter()
            .map(|t| test::call_service(&app, get_items(t).to_request())),
    )
    .await;
    responses.iter().for_each(assert_invalid_token);
    for i in 0..200 {
        assert_invalid_token(
            &test::call_service(&app, get_items(&made_up(1, i)).to_request()).await,
        );
    }
    assert_eq!(
        server.jwks_fetches(),
        2,
        "the first fetch and one for the flood"
    );
    assert_eq!(
        status(&auth, &token_for(Algorithm::ES256, "real")).await,
        StatusCode::OK
    );

    // A one-second cooldown: never more than one fetch per elapsed second (plus the first).
    let auth = trusting(&server).build_and_fetch().await.unwrap();
    let app = test::init_service(App::new().configure(auth.configure()).service(list_items)).await;
    let before = server.jwks_fetches();
    let started = Instant::now();
    for round in 2..5 {
        let tokens: Vec<_> = (0..200).map(|i| made_up(round, i)).collect();
        join_all(
            tokens
                .iter()
                .map(|t| test::call_service(&app, get_items(t).to_request())),
        )
        .await
        .iter()
        .for_each(assert_invalid_token);
        actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    }
    let fetched = server.jwks_fetches() - before;
    let cooldowns_elapsed = started.elapsed().as_secs() as usize;
    assert!(
        fetched >= 2,
        "after a cooldown an unknown kid may fetch again"
    );
    assert!(
        fetched <= cooldowns_elapsed + 1,
        "{fetched} fetches in {cooldowns_elapsed} s"
    );
}

// ---------------------------------------------------------------------------------------------
// Outage policy (row 12) and start-up.

#[actix_rt::test]
async fn row_12_outage_last_good_keys_then_503_then_recovery() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::RS256, "k1")]).await;
    let auth = trusting(&server)
        .refresh_interval(Duration::from_secs(1), Duration::from_secs(3600))
        .max_key_staleness(Duration::from_secs(2))
        .build_and_fetch()
        .await
        .unwrap();
    let fetched_at = Instant::now();
    let token = token_for(Algorithm::RS256, "k1");
    assert_eq!(status(&auth, &token).await, StatusCode::OK);

    // The provider goes away: the last good keys keep serving.
    server.stop().await;
    assert_eq!(status(&auth, &token).await, StatusCode::OK);
    // There are usable keys, so an unknown kid is still only an invalid token.
    assert_invalid_token(&call(&auth, &token_for(Algorithm::RS256, "k2")).await);

    // Past the staleness limit no usable key is left: 503 with Retry-After, no challenge;
    // the first request's fetch fails, the second is within the cooldown.
    let stale = fetched_at + Duration::from_millis(2200);
    actix_web::rt::time::sleep(stale.saturating_duration_since(Instant::now())).await;
    assert_keys_unavailable(call(&auth, &token).await).await;
    assert_keys_unavailable(call(&auth, &token).await).await;

    // The provider answers again: recovery without a restart.
    server.restart().await;
    wait_until_accepted(&auth, &token).await;
}

#[actix_rt::test]
async fn start_and_retry_or_fail_fast_when_the_provider_is_down_at_start_up() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::ES384, "k")]).await;
    server.fail(true);
    let error = trusting(&server).build_and_fetch().await.unwrap_err();
    assert!(
        matches!(error, ConfigError::KeySourceUnavailable(_)),
        "{error}"
    );
    assert!(error.to_string().contains("500"), "{error}");

    let auth = trusting(&server).build().unwrap();
    let token = token_for(Algorithm::ES384, "k");
    let (logging, log) = capture_logs(tracing::Level::ERROR);
    refresh_log_interest();
    assert_keys_unavailable(call(&auth, &token).await).await;
    drop(logging);
    // An error for the operator, with what the token carried.
    log.assert_line_with(&[
        "ERROR",
        r#"reason="keys_unavailable""#,
        r#"token.kid="k""#,
        "no usable verification key: the key source is unreachable",
    ]);
    server.fail(false);
    wait_until_accepted(&auth, &token).await;
}

#[actix_rt::test]
async fn a_slow_provider_times_out_without_blocking_other_requests() {
    let logs = background_logs();
    let server = KeyServer::with_keys(vec![jwk(Algorithm::ES256, "known")]).await;
    let auth = trusting(&server)
        .fetch_timeouts(Duration::from_millis(500), Duration::from_secs(1))
        .build_and_fetch()
        .await
        .unwrap();
    server.slow_down(Duration::from_secs(30));
    let app = test::init_service(App::new().configure(auth.configure()).service(list_items)).await;
    let unknown = token_for(Algorithm::ES256, "unknown");
    let known = token_for(Algorithm::ES256, "known");
    // The unknown kid waits for a fetch that hangs; the known kid is answered meanwhile.
    let waiting = Box::pin(test::call_service(&app, get_items(&unknown).to_request()));
    let answered = Box::pin(test::call_service(&app, get_items(&known).to_request()));
    let waiting = match select(waiting, answered).await {
        Either::Right((res, waiting)) => {
            assert_eq!(res.status(), StatusCode::OK);
            waiting
        }
        Either::Left(_) => panic!("the request for an unknown kid finished first"),
    };
    // The fetch times out; the unknown kid is an invalid token, the known keys still work.
    assert_invalid_token(&waiting.await);
    assert_eq!(server.jwks_fetches(), 2);
    assert_eq!(status(&auth, &known).await, StatusCode::OK);
    // The refresher told the operator why.
    logs.assert_line_with(&[
        "WARN",
        &server.jwks_url(),
        "fetching verification keys failed; the last good keys stay in use",
    ]);
}

#[actix_rt::test]
async fn an_oversized_jwks_is_cut_off_while_it_streams() {
    let server = KeyServer::start().await;
    server.serve_oversized_stream(512 << 20);
    let error = trusting(&server).build_and_fetch().await.unwrap_err();
    assert!(error.to_string().contains("larger than"), "{error}");
    assert!(
        server.oversized_bytes_sent() < 64 << 20,
        "{} bytes were produced for a 1 MiB limit",
        server.oversized_bytes_sent()
    );
    // A streamed body within the limit, in several chunks, is read whole (and then refused
    // for what it is: whitespace, not a key set).
    let server = KeyServer::start().await;
    server.serve_oversized_stream(256 << 10);
    let error = trusting(&server).build_and_fetch().await.unwrap_err();
    assert!(!error.to_string().contains("larger than"), "{error}");
    assert_eq!(server.oversized_bytes_sent(), 256 << 10);
    // With a `Content-Length`, the body is not even read.
    let server = KeyServer::start().await;
    server.serve_oversized_document(64 << 10);
    let error = trusting(&server)
        .max_jwks_bytes(16 << 10)
        .build_and_fetch()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("larger than"), "{error}");
}

/// `max_jwks_bytes` is the largest body read, with a `Content-Length` and streamed without
/// one: a body of exactly that size is read (and then refused for what it is, whitespace),
/// one byte more is cut off as too large.
#[actix_rt::test]
async fn a_jwks_of_exactly_the_size_limit_is_read_and_one_byte_more_is_not() {
    const LIMIT: usize = 16 << 10;
    for streamed in [false, true] {
        for (bytes, too_large) in [(LIMIT, false), (LIMIT + 1, true)] {
            let server = KeyServer::start().await;
            if streamed {
                server.serve_oversized_stream(bytes);
            } else {
                server.serve_oversized_document(bytes);
            }
            let error = trusting(&server)
                .max_jwks_bytes(LIMIT)
                .build_and_fetch()
                .await
                .unwrap_err();
            assert_eq!(
                error.to_string().contains("larger than"),
                too_large,
                "{bytes} bytes, streamed: {streamed}: {error}"
            );
        }
    }
}

#[actix_rt::test]
async fn dropping_the_authenticator_stops_its_refresher() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::ES256, "k")]).await;
    server.set_max_age(Some(1));
    let auth = trusting(&server)
        .refresh_interval(Duration::from_secs(1), Duration::from_secs(60))
        .build_and_fetch()
        .await
        .unwrap();
    server.wait_for_jwks_fetches(2).await;
    drop(auth);
    let at_drop = server.jwks_fetches();
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    assert!(server.jwks_fetches() <= at_drop + 1, "refreshing went on");
}

// ---------------------------------------------------------------------------------------------
// Discovery.

#[actix_rt::test]
async fn discovery_uses_the_jwks_uri_and_the_issuer_becomes_the_expected_iss() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::EdDSA, "k")]).await;
    let auth = discovering(&server).build_and_fetch().await.unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("k".into());
    let signed = |claims: &Value| mint_with(&header, claims, &signer(Algorithm::EdDSA));
    let from_issuer = signed(&claims_with("read", json!({ "iss": server.url() })));
    assert_eq!(status(&auth, &from_issuer).await, StatusCode::OK);
    // Another `iss` (here the default test issuer) is refused.
    assert_invalid_token(&call(&auth, &signed(&claims("read"))).await);
    assert_eq!((server.discovery_fetches(), server.jwks_fetches()), (1, 1));

    // An issuer configured by the application wins over the discovered one.
    let auth = discovering(&server)
        .issuer(ISSUER)
        .build_and_fetch()
        .await
        .unwrap();
    assert_eq!(
        status(&auth, &signed(&claims("read"))).await,
        StatusCode::OK
    );
    assert_invalid_token(&call(&auth, &from_issuer).await);
}

#[actix_rt::test]
async fn discovery_with_a_mismatching_issuer_is_refused() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::EdDSA, "k")]).await;
    server.set_discovery_issuer("https://attacker.example");
    let error = discovering(&server).build_and_fetch().await.unwrap_err();
    assert!(
        matches!(error, ConfigError::KeySourceUnavailable(_)),
        "{error}"
    );
    assert!(error.to_string().contains("issuer"), "{error}");
    // Start and retry: no key was taken from that provider.
    let auth = discovering(&server).build().unwrap();
    let token = mint_with(
        &{
            let mut header = Header::new(Algorithm::EdDSA);
            header.kid = Some("k".into());
            header
        },
        &claims_with("read", json!({ "iss": server.url() })),
        &signer(Algorithm::EdDSA),
    );
    assert_keys_unavailable(call(&auth, &token).await).await;
    assert_eq!(
        server.jwks_fetches(),
        0,
        "the JWKS of a mismatching issuer is never fetched"
    );
}

// ---------------------------------------------------------------------------------------------
// Header fields that point elsewhere (RFC 8725 §3.10).

#[actix_rt::test]
async fn jku_x5u_and_embedded_keys_in_the_header_are_never_followed() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::RS256, "trusted")]).await;
    let attacker_key = untrusted_signer().with_kid("attacker").jwk();
    let attacker = KeyServer::with_keys(vec![attacker_key.clone()]).await;
    let auth = trusting(&server).build_and_fetch().await.unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.jku = Some(attacker.jwks_url());
    header.x5u = Some(format!("{}/certificate.pem", attacker.url()));
    header.jwk = Some(attacker_key);
    header.x5c = Some(vec!["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA".into()]);
    for kid in [Some("attacker"), Some("trusted"), None] {
        header.kid = kid.map(str::to_owned);
        let token = mint_with(&header, &claims("read"), &untrusted_signer());
        assert_invalid_token(&call(&auth, &token).await);
    }
    // Once more after the cooldown, when the unknown kid may cause a fetch (of our source).
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    header.kid = Some("attacker".into());
    let token = mint_with(&header, &claims("read"), &untrusted_signer());
    assert_invalid_token(&call(&auth, &token).await);
    assert_eq!(attacker.hits(), 0, "the attacker's server was contacted");
    assert_eq!(server.jwks_fetches(), 3);
    assert_eq!(
        server.hits(),
        3,
        "the key source's requests are counted as hits"
    );
}

// ---------------------------------------------------------------------------------------------
// Several workers.

#[actix_rt::test]
async fn an_http_server_with_several_workers_shares_one_key_source() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::ES256, "one")]).await;
    // Built outside any worker, "start and retry": the first requests wait for the first fetch.
    let auth = trusting(&server).build().unwrap();
    let http = HttpServer::new({
        let auth = auth.clone();
        move || App::new().configure(auth.configure()).service(list_items)
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(0)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/items", http.addrs()[0]);
    let running = http.run();
    let handle = running.handle();
    actix_web::rt::spawn(running);

    let client = reqwest::Client::new();
    let statuses = |token: String| {
        let (client, url) = (&client, &url);
        join_all((0..40).map(move |_| {
            let token = token.clone();
            async move {
                client
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        }))
    };
    let first = statuses(token_for(Algorithm::ES256, "one")).await;
    assert!(first
        .iter()
        .all(|status| *status == reqwest::StatusCode::OK));
    assert_eq!(server.jwks_fetches(), 1);
    server.publish(vec![
        jwk(Algorithm::ES256, "one"),
        jwk(Algorithm::EdDSA, "two"),
    ]);
    let rotated = statuses(token_for(Algorithm::EdDSA, "two")).await;
    assert!(rotated
        .iter()
        .all(|status| *status == reqwest::StatusCode::OK));
    assert_eq!(server.jwks_fetches(), 2, "one fetch for every worker");
    handle.stop(false).await;
}

// ---------------------------------------------------------------------------------------------
// Configuration.

#[actix_rt::test]
async fn key_source_mistakes_are_refused_at_build_time() {
    let base = || Authenticator::builder().issuer(ISSUER).audience(AUDIENCE);
    let invalid_url = |builder: AuthenticatorBuilder| {
        let error = builder.build().unwrap_err();
        assert!(matches!(error, ConfigError::InvalidUrl { .. }), "{error}");
        error.to_string()
    };
    let message = invalid_url(base().jwks_url("http://127.0.0.1:9/jwks.json"));
    assert!(message.contains("allow_http"), "{message}");
    invalid_url(base().jwks_url("jwks.json"));
    invalid_url(base().jwks_url("file:///etc/jwks.json"));
    let message = invalid_url(base().jwks_url("https://user:hunter2@idp.example/jwks"));
    assert!(!message.contains("hunter2"), "{message}");
    invalid_url(base().oidc_discovery("https://idp.example/?tenant=1"));

    let invalid_source = |builder: AuthenticatorBuilder| {
        let error = builder.build().unwrap_err();
        assert!(matches!(error, ConfigError::InvalidKeySource(_)), "{error}");
    };
    let remote = || base().jwks_url("https://idp.example/jwks");
    invalid_source(remote().oidc_discovery("https://idp.example"));
    invalid_source(remote().refresh_interval(Duration::from_secs(60), Duration::from_secs(1)));
    invalid_source(remote().refresh_interval(Duration::ZERO, Duration::from_secs(1)));
    invalid_source(remote().unknown_kid_cooldown(Duration::ZERO));
    invalid_source(remote().fetch_timeouts(Duration::from_secs(10), Duration::from_secs(1)));
    invalid_source(remote().max_jwks_bytes(0));
    invalid_source(remote().max_key_staleness(Duration::from_secs(1)));

    let invalid_jwks = |builder: AuthenticatorBuilder| {
        let error = builder.build().unwrap_err();
        assert!(matches!(error, ConfigError::InvalidJwks(_)), "{error}");
    };
    invalid_jwks(base().jwks_json("not json"));
    invalid_jwks(base().jwks_json(r#"{"keys": []}"#));
    invalid_jwks(base().jwks_file("/nonexistent/jwks.json"));
    let mut short = serde_json::to_value(jwk(Algorithm::HS256, "short")).unwrap();
    short["k"] = json!("c2hvcnQ");
    let error = base()
        .jwks_json(json!({ "keys": [short] }).to_string())
        .build()
        .unwrap_err();
    assert!(matches!(error, ConfigError::InvalidJwk { .. }), "{error}");

    let twice = base()
        .key(Key::hs256(HMAC_SECRET).unwrap().with_kid("same"))
        .jwks(JwkSet {
            keys: vec![jwk(Algorithm::EdDSA, "same")],
        })
        .build()
        .unwrap_err();
    assert!(matches!(twice, ConfigError::DuplicateKid(_)), "{twice}");
}

// ---------------------------------------------------------------------------------------------
// Plain http: the loopback interface only, decided on the parsed host.

#[actix_rt::test]
async fn allow_http_reaches_a_provider_named_localhost() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::EdDSA, "k")]).await;
    let port = server.url().rsplit(':').next().unwrap().to_owned();
    let auth = Authenticator::builder()
        .realm(REALM)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .jwks_url(format!("http://localhost:{port}/jwks.json"))
        .allow_http()
        .build_and_fetch()
        .await
        .unwrap();
    assert_eq!(
        status(&auth, &token_for(Algorithm::EdDSA, "k")).await,
        StatusCode::OK
    );
    assert_eq!(server.jwks_fetches(), 1);
}

#[actix_rt::test]
async fn allow_http_refuses_hosts_that_only_look_like_loopback() {
    let base = || Authenticator::builder().issuer(ISSUER).audience(AUDIENCE);
    for url in [
        "http://127.0.0.1.evil.test/jwks.json",
        "http://127.0.0.1@evil.test/jwks.json",
        "http://localhost.evil.test/jwks.json",
        "http://localhost./jwks.json",
        "http://[::ffff:10.0.0.1]/jwks.json",
        "http://idp.example/jwks.json",
    ] {
        let error = base().jwks_url(url).allow_http().build().unwrap_err();
        assert!(
            matches!(error, ConfigError::InvalidUrl { .. }),
            "{url}: {error}"
        );
        let error = base().oidc_discovery(url.trim_end_matches("/jwks.json"));
        let error = error.allow_http().build().unwrap_err();
        assert!(
            matches!(error, ConfigError::InvalidUrl { .. }),
            "{url}: {error}"
        );
    }
    // The loud opt-in opens every host (nothing is fetched here: the source is not awaited).
    let any_host = base()
        .jwks_url("http://idp.internal/jwks.json")
        .allow_http()
        .danger_allow_http_to_any_host()
        .build();
    assert!(any_host.is_ok());
}

#[actix_rt::test]
async fn a_discovered_jwks_uri_off_the_loopback_interface_is_refused() {
    let server = KeyServer::with_keys(vec![jwk(Algorithm::EdDSA, "k")]).await;
    let port = server.url().rsplit(':').next().unwrap().to_owned();
    // 0.0.0.0 reaches this machine's listeners, but it is no loopback address: refused
    // before any connection, which the server's counter shows.
    server.set_jwks_uri(&format!("http://0.0.0.0:{port}/jwks.json"));
    let error = discovering(&server).build_and_fetch().await.unwrap_err();
    assert!(
        matches!(&error, ConfigError::KeySourceUnavailable(reason) if reason.contains("jwks_uri")),
        "{error}"
    );
    assert_eq!(server.jwks_fetches(), 0);

    // A `jwks_uri` on the loopback interface is followed, here by the name `localhost`.
    server.set_jwks_uri(&format!("http://localhost:{port}/jwks.json"));
    discovering(&server).build_and_fetch().await.unwrap();
    assert_eq!(server.jwks_fetches(), 1);
}

#[actix_rt::test]
async fn a_redirect_off_the_loopback_interface_is_not_followed() {
    let keys = KeyServer::with_keys(vec![jwk(Algorithm::EdDSA, "k")]).await;
    let port = keys.url().rsplit(':').next().unwrap().to_owned();
    let redirecting = KeyServer::start().await;
    // 0.0.0.0 would reach `keys`, but it is no loopback address: the redirect is refused.
    redirecting.redirect_jwks(Some(&format!("http://0.0.0.0:{port}/jwks.json")));
    let error = trusting(&redirecting).build_and_fetch().await.unwrap_err();
    assert!(
        matches!(error, ConfigError::KeySourceUnavailable(_)),
        "{error}"
    );
    assert_eq!((redirecting.jwks_fetches(), keys.jwks_fetches()), (1, 0));

    // To another loopback server, the redirect is followed.
    redirecting.redirect_jwks(Some(&keys.jwks_url()));
    let auth = trusting(&redirecting).build_and_fetch().await.unwrap();
    assert_eq!(
        status(&auth, &token_for(Algorithm::EdDSA, "k")).await,
        StatusCode::OK
    );
    assert_eq!(keys.jwks_fetches(), 1);
}

// ---------------------------------------------------------------------------------------------
// A local provider: the key server's token endpoint (`cargo run --example dev-provider`).

/// A key server issuing ES256 tokens for `AUDIENCE` with scope `read` by default, roles at
/// Keycloak's `realm_access.roles`, and an authenticator discovering it.
async fn local_provider() -> (KeyServer, Authenticator) {
    let server = KeyServer::start().await;
    let issuer = auth_runtime::testing::TestIssuer::es256()
        .with_issuer(server.url())
        .with_audience(AUDIENCE)
        .with_role_claim("realm_access.roles");
    server.issue_tokens(TokenEndpoint::new(issuer).default_scope("read"));
    let auth = discovering(&server)
        .role_claims(["realm_access.roles"])
        .build_and_fetch()
        .await
        .unwrap();
    (server, auth)
}

/// POSTs `form` to the token endpoint of `server`.
async fn request_token(server: &KeyServer, form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.token_url())
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The access token of a successful token response.
async fn access_token(server: &KeyServer, form: &[(&str, &str)]) -> String {
    let res = request_token(server, form).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[actix_rt::test]
async fn a_local_provider_issues_tokens_the_application_accepts() {
    let (server, auth) = local_provider().await;
    let discovery: Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", server.url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(discovery["token_endpoint"], json!(server.token_url()));
    assert_eq!(
        discovery["grant_types_supported"],
        json!(["client_credentials"])
    );

    let res = request_token(&server, &[("grant_type", "client_credentials")]).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL.as_str()], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "read", "the default scope");
    assert_eq!(body["expires_in"], 3600);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(status(&auth, token).await, StatusCode::OK);
    let principal = auth_runtime::testing::verify_bearer(&auth, token).unwrap();
    assert_eq!(principal.subject(), Some("dev-client"));
    assert_eq!(principal.claim("client_id"), Some(&json!("dev-client")));
    assert!(principal.claim("jti").is_some());

    // The request chooses the scope, the roles, the audience and the client.
    let other_scope = access_token(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "write admin"),
        ],
    )
    .await;
    assert_eq!(status(&auth, &other_scope).await, StatusCode::FORBIDDEN);
    let other_audience = access_token(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("audience", "another-api"),
        ],
    )
    .await;
    assert_invalid_token(&call(&auth, &other_audience).await);
    let resource = access_token(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("resource", "https://other.example"),
        ],
    )
    .await;
    assert_invalid_token(&call(&auth, &resource).await);
    let res = reqwest::Client::new()
        .post(server.token_url())
        .basic_auth("billing-service", Some("any secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("roles", "items-admin auditor"),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let principal =
        auth_runtime::testing::verify_bearer(&auth, body["access_token"].as_str().unwrap())
            .unwrap();
    assert_eq!(principal.subject(), Some("billing-service"));
    assert!(principal.roles().contains("items-admin") && principal.roles().contains("auditor"));
    assert_eq!(server.token_requests(), 5);
}

#[actix_rt::test]
async fn the_token_endpoint_answers_oauth_errors() {
    let (server, _auth) = local_provider().await;
    for (form, error) in [
        (vec![("grant_type", "password")], "unsupported_grant_type"),
        (vec![("scope", "read")], "invalid_request"),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "read \"quoted\""),
            ],
            "invalid_scope",
        ),
    ] {
        let res = request_token(&server, &form).await;
        assert_eq!(res.status(), reqwest::StatusCode::BAD_REQUEST, "{form:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], error, "{form:?}");
    }
    let res = reqwest::get(server.token_url()).await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::METHOD_NOT_ALLOWED);
    // Without `issue_tokens`, there is no token endpoint.
    let plain = KeyServer::start().await;
    assert_eq!(
        request_token(&plain, &[("grant_type", "client_credentials")])
            .await
            .status(),
        reqwest::StatusCode::NOT_FOUND
    );
}

#[actix_rt::test]
async fn a_key_server_can_listen_on_a_fixed_port_of_the_loopback_interface() {
    let first = KeyServer::start().await;
    let port: u16 = first.url().rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        KeyServer::start_on_port(port).await.is_err(),
        "the port is taken"
    );
    first.stop().await;
    let again = KeyServer::start_on_port(port).await.unwrap();
    assert_eq!(again.url(), format!("http://127.0.0.1:{port}"));
    let res = reqwest::get(again.jwks_url()).await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({ "keys": [] }),
        "a key set without keys until some are published"
    );
}

#[actix_rt::test]
async fn a_key_server_serves_until_it_is_stopped() {
    let server = std::sync::Arc::new(KeyServer::start().await);
    let serving = actix_web::rt::spawn({
        let server = std::sync::Arc::clone(&server);
        async move { server.serve_forever().await }
    });
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !serving.is_finished(),
        "serve_forever returned while serving"
    );
    server.stop().await;
    actix_web::rt::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("serve_forever returns once the server is stopped")
        .unwrap();
}

#[actix_rt::test]
async fn a_dropped_key_server_stops_listening() {
    let server = KeyServer::start().await;
    let url = server.jwks_url();
    assert!(reqwest::get(&url).await.is_ok(), "listening");
    drop(server);
    for _ in 0..50 {
        if reqwest::get(&url).await.is_err() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} still answers after its server was dropped");
}
