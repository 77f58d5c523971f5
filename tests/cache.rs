//! The verified-token cache over the real service: reused tokens are verified once, and the
//! cache never changes an answer.

use std::time::Duration;

use actix_web::dev::Service;
use actix_web::http::StatusCode;
use actix_web::{get, test, App, HttpResponse};
use auth_runtime::testing::{assert_unauthenticated, TestIssuer, TestRequestExt};
use auth_runtime::{requires, Authenticator, TokenCacheConfig};

#[get("/items")]
#[requires(scope = "read")]
async fn items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn call(auth: &Authenticator, token: &str) -> actix_web::dev::ServiceResponse {
    let app = test::init_service(App::new().configure(auth.configure()).service(items)).await;
    app.call(
        test::TestRequest::get()
            .uri("/items")
            .bearer(token)
            .to_request(),
    )
    .await
    .unwrap()
}

#[actix_rt::test]
async fn a_reused_token_is_verified_once() {
    let issuer = TestIssuer::rs256();
    let auth = issuer.authenticator();
    let token = issuer.token().scope("read").sign();
    for _ in 0..5 {
        assert_eq!(call(&auth, &token).await.status(), StatusCode::OK);
    }
    let stats = auth.cache_stats();
    assert_eq!((stats.misses, stats.hits, stats.entries), (1, 4, 1));
}

#[actix_rt::test]
async fn a_cached_token_still_gets_its_scope_checked() {
    let issuer = TestIssuer::es256();
    let auth = issuer.authenticator();
    let token = issuer.token().scope("other").sign();
    for _ in 0..3 {
        assert_eq!(call(&auth, &token).await.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(auth.cache_stats().hits, 2);
}

#[actix_rt::test]
async fn expiry_is_rechecked_on_a_hit() {
    let issuer = TestIssuer::hs256();
    let auth = issuer.builder().leeway(Duration::ZERO).build().unwrap();
    let token = issuer.token().scope("read").expires_in(1).sign();
    assert_eq!(call(&auth, &token).await.status(), StatusCode::OK);
    std::thread::sleep(Duration::from_millis(2100));
    let res = call(&auth, &token).await;
    assert_unauthenticated(&res, "Bearer", Some("invalid_token"));
    assert_eq!(auth.cache_stats().hits, 0, "the stale entry was not served");
}

#[actix_rt::test]
async fn garbage_tokens_never_enter_the_cache() {
    let issuer = TestIssuer::hs256();
    let auth = issuer
        .builder()
        .token_cache(TokenCacheConfig::default().max_entries(10))
        .build()
        .unwrap();
    let token = issuer.token().scope("read").sign();
    assert_eq!(call(&auth, &token).await.status(), StatusCode::OK);
    let forger = TestIssuer::hs256();
    for n in 0..200 {
        let forged = forger.token().scope("read").subject(format!("f{n}")).sign();
        assert_eq!(
            call(&auth, &forged).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(auth.cache_stats().entries, 1);
    assert_eq!(call(&auth, &token).await.status(), StatusCode::OK);
    assert_eq!(
        auth.cache_stats().hits,
        1,
        "the working set survived the flood"
    );
}

#[actix_rt::test]
async fn eviction_forces_a_full_verification() {
    let issuer = TestIssuer::eddsa();
    let auth = issuer.authenticator();
    let token = issuer.token().subject("revoked-user").scope("read").sign();
    call(&auth, &token).await;
    call(&auth, &token).await;
    auth.evict_cached(|principal| principal.subject() == Some("revoked-user"));
    call(&auth, &token).await;
    let stats = auth.cache_stats();
    assert_eq!((stats.misses, stats.hits), (2, 1));
}

#[actix_rt::test]
async fn the_cache_can_be_turned_off() {
    let issuer = TestIssuer::hs256();
    let auth = issuer
        .builder()
        .token_cache(TokenCacheConfig::disabled())
        .build()
        .unwrap();
    let token = issuer.token().scope("read").sign();
    for _ in 0..3 {
        assert_eq!(call(&auth, &token).await.status(), StatusCode::OK);
    }
    assert_eq!(auth.cache_stats(), Default::default());
}

#[actix_rt::test]
async fn valid_one_time_tokens_do_not_churn_a_full_cache() {
    let issuer = TestIssuer::hs256();
    let auth = issuer
        .builder()
        .token_cache(TokenCacheConfig::default().max_entries(50))
        .build()
        .unwrap();
    let one_time = |n: usize| {
        issuer
            .token()
            .scope("read")
            .subject(format!("one-time-{n}"))
            .sign()
    };
    // Fill the cache past its capacity: it evicts, and from then on admits new tokens only on
    // their second verification.
    for n in 0..200 {
        assert_eq!(call(&auth, &one_time(n)).await.status(), StatusCode::OK);
    }
    let filled = auth.cache_stats().entries;
    assert!(filled <= 50, "{filled}");
    for n in 200..1_200 {
        assert_eq!(call(&auth, &one_time(n)).await.status(), StatusCode::OK);
    }
    assert_eq!(
        auth.cache_stats().entries,
        filled,
        "no one-time token entered"
    );

    // A client that keeps its token is verified twice, then served from the cache.
    let kept = issuer.token().scope("read").subject("client").sign();
    let before = auth.cache_stats();
    for _ in 0..5 {
        assert_eq!(call(&auth, &kept).await.status(), StatusCode::OK);
    }
    let after = auth.cache_stats();
    assert_eq!(
        (after.misses - before.misses, after.hits - before.hits),
        (2, 3)
    );
}
