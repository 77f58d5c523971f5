//! Opaque tokens introspected (RFC 7662) at a real endpoint on 127.0.0.1: the answer's claims
//! under the same rules as a JWT's, client authentication, the cache, single flight, outages,
//! and the endpoint taken from discovery.

use std::time::Duration;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::{get, test, App, HttpResponse};
use auth_runtime::testing::{
    assert_dpop_unauthenticated, DpopKey, IntrospectionServer, TestRequestExt,
};
use auth_runtime::{requires, Authenticator, ConfigError, DpopConfig, Identity, Introspection};
use auth_tests::key_server::{jwk, KeyServer};
use auth_tests::*;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

#[get("/items")]
#[requires(scope = "read")]
async fn items(who: Identity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "sub": who.subject(), "scopes": who.scopes() }))
}

#[get("/bound")]
#[requires(scheme = "DPoP", scope = "read")]
async fn bound(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{} via {}",
        who.subject().unwrap_or("?"),
        who.scheme()
    ))
}

async fn call(auth: &Authenticator, token: &str) -> ServiceResponse {
    let app = test::init_service(App::new().configure(auth.configure()).service(items)).await;
    let req = test::TestRequest::get()
        .uri("/items")
        .insert_header(bearer(token))
        .to_request();
    app.call(req).await.unwrap()
}

async fn status(auth: &Authenticator, token: &str) -> StatusCode {
    call(auth, token).await.status()
}

fn error_of(res: &ServiceResponse) -> Option<String> {
    let challenge = res.headers().get(header::WWW_AUTHENTICATE)?.to_str().ok()?;
    auth_runtime::testing::parse_challenge(challenge)?
        .param("error")
        .map(str::to_owned)
}

/// An active token known to `server` with `claims` merged over [`active`]`("read")`.
fn token_with(server: &IntrospectionServer, changes: Value) -> String {
    let token = opaque_token();
    let mut claims = active("read");
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    server.activate(&token, claims);
    token
}

#[actix_rt::test]
async fn an_active_opaque_token_gets_its_subject_and_scopes() {
    let server = introspection_server().await;
    let auth = introspecting(&server).build().unwrap();
    let token = token_with(&server, json!({"scope": "read write"}));
    let res = call(&auth, &token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body, json!({"sub": "user-42", "scopes": ["read", "write"]}));
    assert_eq!(server.last_method(), Some("basic"));
    assert_eq!(server.unauthenticated_calls(), 0);
}

#[actix_rt::test]
async fn a_client_credentials_token_has_its_client_id_as_subject() {
    let server = introspection_server().await;
    let auth = introspecting(&server).build().unwrap();
    let token = token_with(&server, json!({"sub": null, "client_id": "billing-job"}));
    let body: Value = test::read_body_json(call(&auth, &token).await).await;
    assert_eq!(body["sub"], "billing-job");
}

#[actix_rt::test]
async fn client_secret_post_sends_the_credentials_in_the_body() {
    let server = introspection_server().await;
    let auth = builder()
        .allow_http()
        .introspection(
            Introspection::endpoint(server.url()).client_secret_post(CLIENT_ID, CLIENT_SECRET),
        )
        .build()
        .unwrap();
    let token = token_with(&server, json!({}));
    assert_eq!(status(&auth, &token).await, StatusCode::OK);
    assert_eq!(server.last_method(), Some("post"));
}

#[actix_rt::test]
async fn wrong_client_credentials_make_the_endpoint_unavailable_not_the_token_invalid() {
    let server = introspection_server().await;
    let auth = builder()
        .allow_http()
        .introspection(
            Introspection::endpoint(server.url()).client_secret_basic(CLIENT_ID, "wrong"),
        )
        .build()
        .unwrap();
    let token = token_with(&server, json!({}));
    assert_eq!(status(&auth, &token).await, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(server.unauthenticated_calls(), 1);
}

#[actix_rt::test]
async fn the_answer_passes_the_same_claim_rules_as_a_jwt() {
    let server = introspection_server().await;
    let auth = introspecting(&server).build().unwrap();
    for (changes, expected) in [
        (json!({"iss": "https://elsewhere.test"}), "invalid_token"),
        (json!({"iss": null}), "invalid_token"),
        (json!({"aud": "other-api"}), "invalid_token"),
        (json!({"aud": null}), "invalid_token"),
        (json!({"exp": now() - 3600}), "invalid_token"),
        (json!({"nbf": now() + 3600}), "invalid_token"),
        (json!({"exp": "soon"}), "invalid_token"),
        (json!({"token_type": "refresh_token"}), "invalid_token"),
        (
            json!({"cnf": {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}),
            "invalid_token",
        ),
        (json!({"scope": "write"}), "insufficient_scope"),
    ] {
        let token = token_with(&server, changes.clone());
        let res = call(&auth, &token).await;
        assert_eq!(error_of(&res).as_deref(), Some(expected), "{changes}");
    }
    // `active` must be exactly `true`.
    for answer in [
        json!({"active": "true"}),
        json!({"active": 1}),
        json!({"scope": "read"}),
    ] {
        let token = opaque_token();
        server.answer(&token, answer.clone());
        assert_eq!(
            status(&auth, &token).await,
            StatusCode::UNAUTHORIZED,
            "{answer}"
        );
    }
    // Absent `exp` (optional in RFC 7662 §2.2) and `token_type` DPoP are fine.
    let token = token_with(&server, json!({"exp": null, "token_type": "DPoP"}));
    assert_eq!(status(&auth, &token).await, StatusCode::OK);
}

#[actix_rt::test]
async fn answers_are_cached_and_concurrent_requests_share_one_call() {
    let server = introspection_server().await;
    let auth = introspecting(&server).build().unwrap();
    let token = token_with(&server, json!({}));
    server.slow_down(Duration::from_millis(300));
    let app = test::init_service(App::new().configure(auth.configure()).service(items)).await;
    let requests = (0..20).map(|_| {
        let req = test::TestRequest::get()
            .uri("/items")
            .insert_header(bearer(&token))
            .to_request();
        app.call(req)
    });
    for res in futures_util::future::join_all(requests).await {
        assert_eq!(res.unwrap().status(), StatusCode::OK);
    }
    assert_eq!(server.calls(), 1, "one call for twenty concurrent requests");
    assert_eq!(status(&auth, &token).await, StatusCode::OK);
    assert_eq!(server.calls(), 1, "then served from the cache");
    // A refused answer is cached too, briefly.
    let unknown = opaque_token();
    server.slow_down(Duration::ZERO);
    assert_eq!(status(&auth, &unknown).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(&auth, &unknown).await, StatusCode::UNAUTHORIZED);
    assert_eq!(server.calls(), 2);
}

#[actix_rt::test]
async fn evicting_a_principal_makes_its_token_introspected_again() {
    let server = introspection_server().await;
    let auth = introspecting(&server).build().unwrap();
    let token = token_with(&server, json!({}));
    assert_eq!(status(&auth, &token).await, StatusCode::OK);
    auth.evict_cached(|principal| principal.subject() == Some("someone-else"));
    assert_eq!(status(&auth, &token).await, StatusCode::OK);
    assert_eq!(server.calls(), 1);
    server.deactivate(&token);
    auth.evict_cached(|principal| principal.subject() == Some("user-42"));
    assert_eq!(status(&auth, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(server.calls(), 2);
}

#[actix_rt::test]
async fn an_answer_is_cached_no_longer_than_the_configured_age() {
    let server = introspection_server().await;
    let auth = builder()
        .allow_http()
        .introspection(
            Introspection::endpoint(server.url())
                .client_secret_basic(CLIENT_ID, CLIENT_SECRET)
                .max_cache_age(Duration::from_secs(1)),
        )
        .build()
        .unwrap();
    let token = token_with(&server, json!({}));
    assert_eq!(status(&auth, &token).await, StatusCode::OK);
    // Revoked at the provider: refused once the cached answer is past its age.
    server.deactivate(&token);
    actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(status(&auth, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(server.calls(), 2);
}

#[actix_rt::test]
async fn an_answer_is_cached_no_longer_than_the_tokens_exp() {
    let server = introspection_server().await;
    let auth = introspecting(&server).build().unwrap();
    let token = token_with(&server, json!({"exp": now() + 1}));
    assert_eq!(status(&auth, &token).await, StatusCode::OK);
    server.deactivate(&token);
    actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(status(&auth, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(server.calls(), 2);
}

#[actix_rt::test]
async fn jwts_are_still_verified_locally_unless_every_token_is_introspected() {
    let server = introspection_server().await;
    let jwt = token("read");
    let auth = introspecting(&server).build().unwrap();
    assert_eq!(status(&auth, &jwt).await, StatusCode::OK);
    assert_eq!(server.calls(), 0);
    let every = builder()
        .allow_http()
        .introspection(
            Introspection::endpoint(server.url())
                .client_secret_basic(CLIENT_ID, CLIENT_SECRET)
                .every_token(),
        )
        .build()
        .unwrap();
    // The endpoint does not know this JWT: inactive, whatever its signature says.
    assert_eq!(status(&every, &jwt).await, StatusCode::UNAUTHORIZED);
    assert_eq!(server.calls(), 1);
}

#[actix_rt::test]
async fn a_failing_slow_or_oversized_endpoint_is_503_then_recovers() {
    let server = introspection_server().await;
    let auth = builder()
        .allow_http()
        .introspection(
            Introspection::endpoint(server.url())
                .client_secret_basic(CLIENT_ID, CLIENT_SECRET)
                .timeouts(Duration::from_millis(200), Duration::from_millis(300))
                .max_response_bytes(4096)
                .outage_cooldown(Duration::from_millis(100)),
        )
        .build()
        .unwrap();
    let pause = || actix_web::rt::time::sleep(Duration::from_millis(150));
    server.fail(true);
    let (logging, log) = capture_logs(tracing::Level::ERROR);
    refresh_log_interest();
    let res = call(&auth, &token_with(&server, json!({}))).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().get(header::RETRY_AFTER).is_some());
    assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
    // An error for the operator, without the token.
    drop(logging);
    log.assert_line_with(&[
        "ERROR",
        r#"reason="introspection_unavailable""#,
        "the introspection endpoint is unavailable",
    ]);
    let logged = log.text();
    assert!(!logged.contains("opaque-"), "{logged}");
    server.fail(false);
    pause().await;
    server.slow_down(Duration::from_millis(1000));
    let token = token_with(&server, json!({}));
    assert_eq!(status(&auth, &token).await, StatusCode::SERVICE_UNAVAILABLE);
    // Within the cooldown after a failure no call is made at all.
    let calls = server.calls();
    assert_eq!(status(&auth, &token).await, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(server.calls(), calls);
    server.slow_down(Duration::ZERO);
    pause().await;
    server.serve_oversized(100_000);
    assert_eq!(status(&auth, &token).await, StatusCode::SERVICE_UNAVAILABLE);
    server.serve_oversized(0);
    pause().await;
    assert_eq!(status(&auth, &token).await, StatusCode::OK);
    // An endpoint that is down: connections refused, until it listens again.
    server.stop().await;
    let token = token_with(&server, json!({}));
    assert_eq!(status(&auth, &token).await, StatusCode::SERVICE_UNAVAILABLE);
    server.restart().await;
    pause().await;
    assert_eq!(status(&auth, &token).await, StatusCode::OK);
}

#[actix_rt::test]
async fn the_endpoint_comes_from_discovery() {
    let server = introspection_server().await;
    let provider = KeyServer::with_keys(vec![jwk(Algorithm::RS256, "k1")]).await;
    provider.set_introspection_endpoint(&server.url());
    let discovering = || {
        Authenticator::builder()
            .audience(AUDIENCE)
            .allow_http()
            .oidc_discovery(provider.url())
            .introspection(
                Introspection::discovered().client_secret_basic(CLIENT_ID, CLIENT_SECRET),
            )
    };
    let auth = discovering().build_and_fetch().await.unwrap();
    let token = opaque_token();
    server.activate(
        &token,
        json!({"iss": provider.url(), "aud": AUDIENCE, "scope": "read", "exp": now() + 60}),
    );
    assert_eq!(status(&auth, &token).await, StatusCode::OK);
    assert_eq!(server.calls(), 1);

    // A provider that names no endpoint: fail fast.
    let silent = KeyServer::with_keys(vec![jwk(Algorithm::RS256, "k1")]).await;
    let error = Authenticator::builder()
        .allow_http()
        .oidc_discovery(silent.url())
        .introspection(Introspection::discovered().client_secret_basic(CLIENT_ID, CLIENT_SECRET))
        .build_and_fetch()
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConfigError::KeySourceUnavailable(_)),
        "{error}"
    );
}

#[::core::prelude::v1::test]
fn misconfigurations_stop_the_build() {
    let error = |introspection: Introspection| {
        builder()
            .allow_http()
            .introspection(introspection)
            .build()
            .unwrap_err()
            .to_string()
    };
    let url = "http://127.0.0.1:9/introspect";
    assert!(error(Introspection::endpoint(url)).contains("client credentials"));
    assert!(error(
        Introspection::endpoint(url)
            .client_secret_basic(CLIENT_ID, CLIENT_SECRET)
            .timeouts(Duration::from_secs(5), Duration::from_secs(1))
    )
    .contains("timeouts"));
    assert!(
        error(Introspection::discovered().client_secret_basic("a", "b")).contains("oidc_discovery")
    );
    let https_only = builder()
        .introspection(Introspection::endpoint(url).client_secret_basic("a", "b"))
        .build()
        .unwrap_err();
    assert!(https_only.to_string().contains("http"), "{https_only}");
    let shown = format!(
        "{:?}",
        Introspection::endpoint(url).client_secret_basic("a", "s3cret")
    );
    assert!(!shown.contains("s3cret"), "{shown}");
}

/// An opaque token bound to a client's key (`cnf.jkt` in the introspection answer, RFC 9449
/// §6.2) is good with a proof of that key only, and never as a plain Bearer token.
#[actix_rt::test]
async fn an_introspected_dpop_bound_token_needs_a_proof_of_its_key() {
    let server = introspection_server().await;
    let auth = introspecting(&server)
        .dpop(DpopConfig::default())
        .build()
        .unwrap();
    let client = DpopKey::es256();
    let token = token_with(
        &server,
        json!({ "token_type": "DPoP", "cnf": { "jkt": client.thumbprint() } }),
    );
    let app = test::init_service(
        App::new()
            .configure(auth.configure())
            .service(items)
            .service(bound),
    )
    .await;
    let url = "http://localhost:8080/bound";
    let with_proof = |key: &DpopKey| {
        let proof = key.proof("GET", url).token(&token).sign();
        test::TestRequest::get()
            .uri("/bound")
            .dpop(&token, &proof)
            .to_request()
    };
    let res = app.call(with_proof(&client)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "user-42 via DPoP");
    let thief = DpopKey::es256();
    let res = app.call(with_proof(&thief)).await.unwrap();
    assert_dpop_unauthenticated(&res, Some("invalid_dpop_proof"));
    let as_bearer = test::TestRequest::get()
        .uri("/items")
        .insert_header(bearer(&token))
        .to_request();
    let res = app.call(as_bearer).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&res).as_deref(), Some("invalid_token"));
}

#[actix_rt::test]
async fn a_token_of_exactly_the_size_limit_is_introspected_once_and_one_byte_more_never() {
    let server = introspection_server().await;
    let at_limit = format!("{:A<40}", opaque_token());
    let auth = introspecting(&server)
        .max_token_bytes(at_limit.len())
        .build()
        .unwrap();
    server.activate(&at_limit, active("read"));
    assert_eq!(status(&auth, &at_limit).await, StatusCode::OK);
    assert_eq!(status(&auth, &at_limit).await, StatusCode::OK);
    assert_eq!(
        server.calls(),
        1,
        "the second request was served from the cache"
    );

    let over = format!("{at_limit}A");
    server.activate(&over, active("read"));
    let res = call(&auth, &over).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&res).as_deref(), Some("invalid_token"));
    assert_eq!(server.calls(), 1, "a token over the limit is never sent");
}

#[actix_rt::test]
async fn an_answer_of_exactly_the_size_limit_is_read_and_one_byte_more_is_not() {
    for chunked in [false, true] {
        let server = introspection_server().await;
        server.serve_chunked(chunked);
        let token = opaque_token();
        let mut answer = active("read");
        answer["active"] = json!(true);
        // Past the 1,088 bytes a slip of the default's `64 * 1024` would allow.
        answer["padding"] = json!("x".repeat(2000));
        server.answer(&token, answer.clone());
        let size = serde_json::to_vec(&answer).unwrap().len();
        let sent = reqwest::Client::new()
            .post(server.url())
            .form(&[
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("token", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            sent.headers().get("content-length").is_none(),
            chunked,
            "{:?}",
            sent.headers()
        );
        assert_eq!(sent.bytes().await.unwrap().len(), size);
        let with_limit = |bytes| {
            builder()
                .allow_http()
                .introspection(
                    Introspection::endpoint(server.url())
                        .client_secret_basic(CLIENT_ID, CLIENT_SECRET)
                        .max_response_bytes(bytes),
                )
                .build()
                .unwrap()
        };
        let default = introspecting(&server).build().unwrap();
        assert_eq!(
            status(&default, &token).await,
            StatusCode::OK,
            "chunked: {chunked}"
        );
        assert_eq!(
            status(&with_limit(size), &token).await,
            StatusCode::OK,
            "chunked: {chunked}"
        );
        assert_eq!(
            status(&with_limit(size - 1), &token).await,
            StatusCode::SERVICE_UNAVAILABLE,
            "chunked: {chunked}"
        );
    }
}

#[actix_rt::test]
async fn a_dropped_introspection_server_stops_listening() {
    let server = introspection_server().await;
    let url = server.url();
    let client = reqwest::Client::new();
    assert!(client.post(&url).send().await.is_ok(), "listening");
    drop(server);
    for _ in 0..50 {
        if client.post(&url).send().await.is_err() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} still answers after its server was dropped");
}
