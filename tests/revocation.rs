//! Revocation: by `jti`, by the token itself (in whatever valid form it comes back), by subject;
//! refused even when cached; and shared between instances through a real `redis-server`
//! started on a free loopback port (tests that need it say loudly when they cannot run one).

use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use auth_runtime::testing::verify_bearer;
use auth_runtime::{
    Algorithm, Authenticator, InvalidReason, RedisStore, Refusal, Revocation, RevocationStore,
    WhenStoreUnreachable,
};
use auth_tests::redis_server::RedisServer;
use auth_tests::*;
use base64::Engine;
use serde_json::json;

const REVOKED: Refusal = Refusal::Invalid(InvalidReason::Revoked);

fn now_secs() -> u64 {
    now() as u64
}

/// Puts `revocation` in force on `auth` and waits for it to be shared.
fn revoke(auth: &Authenticator, revocation: Revocation) {
    block_on(auth.revoke(revocation)).expect("the revocation is shared");
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Whether `auth` accepts `token`, through the whole Bearer path (the caches included).
fn verify(auth: &Authenticator, token: &str) -> Result<(), Refusal> {
    verify_bearer(auth, token).map(drop)
}

// ---------------------------------------------------------------------------------------------
// One instance.

#[test]
fn a_revoked_jti_is_refused_even_when_the_token_is_cached() {
    let auth = authenticator();
    let token = mint(
        Algorithm::HS256,
        &claims_with("read", json!({"jti": "j-1"})),
    );
    let other = mint(
        Algorithm::HS256,
        &claims_with("read", json!({"jti": "j-2"})),
    );
    assert!(verify(&auth, &token).is_ok());
    assert!(verify(&auth, &token).is_ok());
    assert_eq!(auth.cache_stats().hits, 1);
    revoke(&auth, Revocation::jti("j-1"));
    assert_eq!(verify(&auth, &token).unwrap_err(), REVOKED);
    assert_eq!(auth.cache_stats().hits, 2, "refused on the cache hit");
    assert!(verify(&auth, &other).is_ok());
}

#[test]
fn a_subject_revocation_refuses_the_tokens_issued_before_its_time_only() {
    let auth = authenticator();
    let at = |iat: i64| mint(Algorithm::HS256, &claims_with("", json!({"iat": iat})));
    let (old, new) = (at(now() - 100), at(now() + 5));
    let without_iat = mint(Algorithm::HS256, &claims_with("", json!({"iat": null})));
    let someone_else = mint(
        Algorithm::HS256,
        &claims_with("", json!({"sub": "user-7", "iat": now() - 100})),
    );
    for token in [&old, &new, &without_iat, &someone_else] {
        assert!(verify(&auth, token).is_ok());
    }
    revoke(&auth, Revocation::subject("user-42", now_secs()));
    assert_eq!(verify(&auth, &old).unwrap_err(), REVOKED);
    assert_eq!(
        verify(&auth, &without_iat).unwrap_err(),
        REVOKED,
        "no iat: nothing shows it came later"
    );
    assert!(verify(&auth, &new).is_ok());
    assert!(verify(&auth, &someone_else).is_ok());
}

/// The order of the P-256 group.
const P256_N: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

/// The same ES256 token with its signature `(r, s)` rewritten as `(r, n − s)`: a different
/// string that verifies with the same key, claims and signing input (ECDSA malleability).
fn malleate_es256(token: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (message, signature) = token.rsplit_once('.').unwrap();
    let mut signature = engine.decode(signature).unwrap();
    assert_eq!(signature.len(), 64);
    let s = &mut signature[32..];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let difference = i16::from(P256_N[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(difference < 0);
        s[i] = difference.rem_euclid(256) as u8;
    }
    format!("{message}.{}", engine.encode(&signature))
}

#[test]
fn revoking_a_token_refuses_its_malleated_es256_twin_and_the_other_way_round() {
    let signed = claims("read");
    let original = mint(Algorithm::ES256, &signed);
    let twin = malleate_es256(&original);
    assert_ne!(original, twin);
    // Both forms are valid: the attacker's twin is not a forgery the verifier would refuse.
    let auth = authenticator();
    assert!(verify(&auth, &original).is_ok());
    assert!(verify(&auth, &twin).is_ok(), "the (r, n - s) form verifies");
    // Both are now cached, each under its own bytes; revoking one refuses both, from the cache.
    let hits = auth.cache_stats().hits;
    revoke(&auth, Revocation::token(&original));
    assert_eq!(verify(&auth, &original).unwrap_err(), REVOKED);
    assert_eq!(verify(&auth, &twin).unwrap_err(), REVOKED);
    assert_eq!(auth.cache_stats().hits, hits + 2);
    // On an instance that never saw either: revoking the twin refuses the original, verified
    // in full.
    let fresh = authenticator();
    revoke(&fresh, Revocation::token(&twin));
    assert_eq!(verify(&fresh, &original).unwrap_err(), REVOKED);
    assert_eq!(verify(&fresh, &twin).unwrap_err(), REVOKED);
    // Another token of the same key and subject (other claims) is untouched.
    let another = mint(
        Algorithm::ES256,
        &claims_with("read", json!({"jti": "another"})),
    );
    assert!(verify(&fresh, &another).is_ok());
}

#[test]
fn a_token_revocation_is_kept_until_the_token_expires() {
    let auth = authenticator();
    let token = mint(Algorithm::HS256, &claims("read"));
    revoke(&auth, Revocation::token(&token));
    let kept = auth.revocations().revocations();
    assert_eq!(kept.len(), 1);
    let exp = now_secs() + 600;
    let until = kept[0].expires_at().unwrap();
    assert!(until > exp && until <= exp + 600, "{until} for exp {exp}");
    // A jti revocation without a known expiry is kept for the retention: a day by default.
    let before = now_secs();
    revoke(&auth, Revocation::jti("j-default"));
    let kept = auth.revocations().revocations();
    let jti = kept
        .iter()
        .find(|kept| kept.to_json().contains("j-default"))
        .unwrap();
    let until = jti.expires_at().unwrap();
    assert!(
        until >= before + 86_400 && until <= now_secs() + 86_400,
        "{until} for a revocation at {before}"
    );
    let short = builder()
        .revocation_retention(Duration::from_secs(2))
        .build()
        .unwrap();
    let token = mint(Algorithm::HS256, &claims_with("read", json!({"jti": "j"})));
    revoke(&short, Revocation::jti("j"));
    assert_eq!(verify(&short, &token).unwrap_err(), REVOKED);
    // (Two seconds, not one: kept "for a second" may end at the next tick of the clock.)
    sleep(Duration::from_millis(3100));
    assert!(verify(&short, &token).is_ok(), "the revocation expired");
    short.revocations().purge();
    assert!(short.revocations().is_empty());
}

#[actix_rt::test]
async fn an_introspected_token_is_refused_once_revoked_even_when_its_answer_is_cached() {
    let server = introspection_server().await;
    let auth = introspecting(&server).build().unwrap();
    let (by_token, by_jti) = (opaque_token(), opaque_token());
    server.activate(&by_token, active("read"));
    let mut with_jti = active("read");
    with_jti["jti"] = "intro-1".into();
    server.activate(&by_jti, with_jti);
    let status = |token: String| {
        let auth = auth.clone();
        async move {
            let app = actix_web::test::init_service(
                actix_web::App::new().configure(auth.configure()).route(
                    "/",
                    actix_web::web::get().to(|_: auth_runtime::Identity| async { "ok" }),
                ),
            )
            .await;
            let req = actix_web::test::TestRequest::get()
                .uri("/")
                .insert_header(bearer(&token))
                .to_request();
            actix_web::test::call_service(&app, req)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(by_token.clone()).await, 200);
    assert_eq!(status(by_jti.clone()).await, 200);
    assert_eq!(server.calls(), 2);
    auth.revoke(Revocation::token(&by_token)).await.unwrap();
    auth.revoke(Revocation::jti("intro-1")).await.unwrap();
    assert_eq!(status(by_token).await, 401);
    assert_eq!(status(by_jti).await, 401);
    assert_eq!(server.calls(), 2, "refused from the cached answers");
}

// ---------------------------------------------------------------------------------------------
// Many instances, one Redis.

/// An instance sharing revocations through `redis`.
fn instance(redis: &RedisServer) -> Authenticator {
    instance_with(redis, WhenStoreUnreachable::KeepServing)
}

fn instance_with(redis: &RedisServer, policy: WhenStoreUnreachable) -> Authenticator {
    let store = RedisStore::new(&redis.url())
        .unwrap()
        .sync_interval(Duration::from_millis(100))
        .timeouts(Duration::from_millis(300), Duration::from_millis(300));
    builder()
        .revocation_store(store)
        .when_store_unreachable(policy)
        .build()
        .unwrap()
}

/// Waits up to `limit` for `done`.
fn eventually(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_revocation_reaches_every_instance_through_redis() {
    let Some(redis) = RedisServer::start("a_revocation_reaches_every_instance_through_redis")
    else {
        return;
    };
    let instances: Vec<_> = (0..3).map(|_| instance(&redis)).collect();
    let token = mint(
        Algorithm::ES256,
        &claims_with("read", json!({"jti": "shared-1"})),
    );
    for auth in &instances {
        assert!(verify(auth, &token).is_ok());
        assert!(verify(auth, &token).is_ok(), "cached");
    }
    revoke(&instances[0], Revocation::jti("shared-1"));
    for auth in &instances {
        eventually(Duration::from_secs(5), "the revocation arrives", || {
            verify(auth, &token) == Err(REVOKED)
        });
    }
    assert_eq!(redis.integer(&["ZCARD", "auth-runtime:revocations"]), 1);
    // The malleated twin of a token revoked elsewhere is refused too.
    let original = mint(Algorithm::ES256, &claims("read"));
    revoke(&instances[2], Revocation::token(&original));
    eventually(Duration::from_secs(5), "the twin is refused", || {
        verify(&instances[1], &malleate_es256(&original)) == Err(REVOKED)
    });
}

#[test]
fn an_instance_started_later_learns_every_revocation_in_force() {
    let Some(redis) =
        RedisServer::start("an_instance_started_later_learns_every_revocation_in_force")
    else {
        return;
    };
    let first = instance(&redis);
    revoke(&first, Revocation::jti("early"));
    revoke(&first, Revocation::subject("user-42", now_secs() - 10));
    let later = instance(&redis);
    let token = mint(
        Algorithm::HS256,
        &claims_with("read", json!({"jti": "early", "sub": "x"})),
    );
    eventually(
        Duration::from_secs(5),
        "the later instance learns them",
        || later.revocations().len() == 2,
    );
    assert_eq!(verify(&later, &token).unwrap_err(), REVOKED);
    let old = mint(
        Algorithm::HS256,
        &claims_with("", json!({"iat": now() - 20})),
    );
    assert_eq!(verify(&later, &old).unwrap_err(), REVOKED);
}

#[test]
fn a_redis_restarted_empty_gets_the_revocations_back_and_no_decision_goes_wrong() {
    let Some(redis) = RedisServer::start(
        "a_redis_restarted_empty_gets_the_revocations_back_and_no_decision_goes_wrong",
    ) else {
        return;
    };
    let (a, b) = (instance(&redis), instance(&redis));
    let revoked: Vec<String> = (0..5)
        .map(|i| {
            mint(
                Algorithm::HS256,
                &claims_with("read", json!({"jti": format!("r-{i}")})),
            )
        })
        .collect();
    for i in 0..5 {
        revoke(&a, Revocation::jti(format!("r-{i}")));
    }
    eventually(Duration::from_secs(5), "b holds them", || {
        b.revocations().len() == 5
    });
    let wrong = std::sync::atomic::AtomicUsize::new(0);
    let checked = std::sync::atomic::AtomicUsize::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        // Traffic on both instances throughout the restart: revoked tokens (cached and not)
        // must stay refused, fresh valid ones accepted, and nothing may be a 5xx.
        for auth in [&a, &b] {
            let (revoked, wrong, checked, stop) = (&revoked, &wrong, &checked, &stop);
            scope.spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    for token in revoked {
                        if verify(auth, token) != Err(REVOKED) {
                            wrong.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    if verify(auth, &token("read")).is_err() {
                        wrong.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    checked.fetch_add(6, std::sync::atomic::Ordering::Relaxed);
                    sleep(Duration::from_millis(5));
                }
            });
        }
        // The traffic stops when this closure ends, by a panic too (or the scope would wait
        // for it forever).
        struct StopOnDrop<'a>(&'a std::sync::atomic::AtomicBool);
        impl Drop for StopOnDrop<'_> {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let _stop = StopOnDrop(&stop);
        sleep(Duration::from_millis(300));
        redis.restart();
        assert_eq!(
            redis.integer(&["ZCARD", "auth-runtime:revocations"]),
            0,
            "empty"
        );
        eventually(
            Duration::from_secs(10),
            "the revocations are written back",
            || redis.integer(&["ZCARD", "auth-runtime:revocations"]) == 5,
        );
        sleep(Duration::from_millis(300));
    });
    assert_eq!(wrong.into_inner(), 0, "wrong decisions during the restart");
    assert!(checked.into_inner() > 100);
    // And an instance started now learns all of them.
    let c = instance(&redis);
    eventually(Duration::from_secs(5), "a new instance learns them", || {
        c.revocations().len() == 5
    });
}

#[test]
fn revocations_made_while_redis_is_down_are_shared_when_it_returns() {
    let Some(redis) =
        RedisServer::start("revocations_made_while_redis_is_down_are_shared_when_it_returns")
    else {
        return;
    };
    let logs = background_logs();
    // An earlier test's server may have had the same port.
    let earlier = logs.text().len();
    let (a, b) = (instance(&redis), instance(&redis));
    let token = mint(
        Algorithm::HS256,
        &claims_with("read", json!({"jti": "offline"})),
    );
    eventually(Duration::from_secs(5), "both subscribe", || {
        subscribers(&redis) == 2
    });
    redis.stop();
    let shared = block_on(a.revoke(Revocation::jti("offline")));
    let error = shared
        .expect_err("not shared while Redis is down")
        .to_string();
    assert!(
        error.contains("could not be shared: Redis answered with a connection error;"),
        "{error}"
    );
    assert_eq!(
        verify(&a, &token).unwrap_err(),
        REVOKED,
        "in force here at once"
    );
    assert!(verify(&b, &token).is_ok(), "b keeps serving");
    // Down for several periodic checks.
    sleep(Duration::from_millis(800));
    redis.restart();
    eventually(
        Duration::from_secs(10),
        "b learns it once Redis is back",
        || verify(&b, &token) == Err(REVOKED),
    );
    // For the operator, per instance: the outage once (not at every retry) and its end.
    let address = format!("redis=127.0.0.1:{}", redis.port());
    let count = |parts: &[&str]| {
        logs.text()[earlier..]
            .lines()
            .filter(|line| line.contains(&address) && parts.iter().all(|p| line.contains(p)))
            .count()
    };
    eventually(
        Duration::from_secs(5),
        "both log the end of the outage",
        || count(&["INFO", "reachable again; revocations are in sync"]) == 2,
    );
    // An instance whose periodic check hit the dropped connection first logs the outage
    // without this warning; at least one of the two hears of the drop itself.
    let dropped = count(&[
        "WARN",
        "the connection to the Redis revocation store dropped",
    ]);
    assert!((1..=2).contains(&dropped), "{}", &logs.text()[earlier..]);
    assert_eq!(
        count(&[
            "ERROR",
            "unreachable: serving with the revocations received until now"
        ]),
        2,
        "{}",
        &logs.text()[earlier..]
    );
}

#[test]
fn redis_entries_expire_with_the_tokens_they_revoke() {
    let Some(redis) = RedisServer::start("redis_entries_expire_with_the_tokens_they_revoke") else {
        return;
    };
    let auth = instance(&redis);
    let until = now_secs() + 2;
    revoke(&auth, Revocation::jti("brief").until(until));
    let score = redis.command(&[
        "ZRANGE",
        "auth-runtime:revocations",
        "0",
        "-1",
        "WITHSCORES",
    ]);
    assert!(score.contains(&until.to_string()), "{score}");
    // Once past its time, a synchronisation drops it from Redis.
    let other = instance(&redis);
    sleep(Duration::from_millis(3100));
    redis.command(&["INCR", "auth-runtime:version"]);
    // (By whichever instance synchronises first; each drops it from its own list.)
    eventually(
        Duration::from_secs(5),
        "the expired entry is dropped",
        || redis.integer(&["ZCARD", "auth-runtime:revocations"]) == 0,
    );
    eventually(Duration::from_secs(5), "and from the list", || {
        other.revocations().is_empty()
    });
}

#[test]
fn row_23_past_the_staleness_limit_503_then_recovery_when_redis_returns() {
    let Some(redis) =
        RedisServer::start("row_23_past_the_staleness_limit_503_then_recovery_when_redis_returns")
    else {
        return;
    };
    let auth = instance_with(
        &redis,
        WhenStoreUnreachable::RefuseAfter(Duration::from_secs(1)),
    );
    let token = token("read");
    eventually(Duration::from_secs(5), "in sync", || {
        verify(&auth, &token).is_ok()
    });
    redis.stop();
    let (logging, log) = capture_logs(tracing::Level::ERROR);
    refresh_log_interest();
    eventually(Duration::from_secs(5), "503 once stale", || {
        verify(&auth, &token) == Err(Refusal::RevocationsUnavailable)
    });
    drop(logging);
    // An error for the operator.
    log.assert_line_with(&[
        "ERROR",
        r#"reason="revocations_unavailable""#,
        "the revocation store has been unreachable",
    ]);
    redis.restart();
    eventually(Duration::from_secs(10), "serving again", || {
        verify(&auth, &token).is_ok()
    });
}

#[test]
fn first_use_is_shared_between_instances() {
    let Some(redis) = RedisServer::start("first_use_is_shared_between_instances") else {
        return;
    };
    let (one, two) = (
        RedisStore::new(&redis.url()).unwrap(),
        RedisStore::new(&redis.url()).unwrap(),
    );
    // A store serves once attached to an authenticator.
    let one = Arc::new(one);
    let two = Arc::new(two);
    assert!(block_on(one.first_use("proof-1", Duration::from_secs(60))).is_err());
    auth_runtime::RevocationStore::attach(&*one, authenticator().revocations().clone()).unwrap();
    auth_runtime::RevocationStore::attach(&*two, authenticator().revocations().clone()).unwrap();
    assert!(block_on(one.first_use("proof-1", Duration::from_secs(60))).unwrap());
    assert!(!block_on(two.first_use("proof-1", Duration::from_secs(60))).unwrap());
    assert!(!block_on(one.first_use("proof-1", Duration::from_secs(60))).unwrap());
    assert!(block_on(two.first_use("proof-2", Duration::from_secs(60))).unwrap());
}

/// An instance that checks Redis once an hour (the first check at start-up): what it learns
/// sooner comes by pub/sub.
fn hourly_instance(redis: &RedisServer) -> Authenticator {
    let store = RedisStore::new(&redis.url())
        .unwrap()
        .sync_interval(Duration::from_secs(3600))
        .timeouts(Duration::from_millis(300), Duration::from_millis(300));
    builder().revocation_store(store).build().unwrap()
}

/// How many connections listen on the revocations channel.
fn subscribers(redis: &RedisServer) -> i64 {
    let reply = redis.command(&["PUBSUB", "NUMSUB", "auth-runtime:revocations"]);
    // `*2 $24 auth-runtime:revocations :N`: the count is after the last colon.
    reply
        .trim_end()
        .rsplit_once(':')
        .and_then(|(_, count)| count.parse().ok())
        .unwrap_or_else(|| panic!("PUBSUB NUMSUB answered {reply:?}"))
}

/// How many times Redis ran `command` since the last `CONFIG RESETSTAT`.
fn calls(redis: &RedisServer, command: &str) -> u64 {
    let info = redis.command(&["INFO", "commandstats"]);
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|line| line.strip_prefix(prefix.as_str()))
        .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
}

/// Writes `revocations` to Redis as an instance does (set, version, message), but publishes
/// only the last one's message: the others' are lost. Atomic, as one script.
fn write_losing_messages(redis: &RedisServer, revocations: &[Revocation]) {
    let script = r"
        local version = 0
        for i, json in ipairs(ARGV) do
            redis.call('ZADD', KEYS[1], 4000000000, json)
            version = redis.call('INCR', KEYS[2])
        end
        redis.call('PUBLISH', KEYS[1], version .. ' ' .. ARGV[#ARGV])
        return version
    ";
    let jsons: Vec<String> = revocations.iter().map(Revocation::to_json).collect();
    let mut args = vec![
        "EVAL",
        script,
        "2",
        "auth-runtime:revocations",
        "auth-runtime:version",
    ];
    args.extend(jsons.iter().map(String::as_str));
    let reply = redis.command(&args);
    assert!(reply.starts_with(':'), "{reply:?}");
}

#[test]
fn revocations_arrive_by_pub_sub_between_periodic_checks() {
    let Some(redis) = RedisServer::start("revocations_arrive_by_pub_sub_between_periodic_checks")
    else {
        return;
    };
    let one = hourly_instance(&redis);
    let two = hourly_instance(&redis);
    eventually(Duration::from_secs(5), "both subscribe", || {
        subscribers(&redis) == 2
    });
    let token = mint(
        Algorithm::ES256,
        &claims_with("read", json!({"jti": "pushed-1"})),
    );
    assert!(verify(&two, &token).is_ok());
    revoke(&one, Revocation::jti("pushed-1"));
    eventually(Duration::from_secs(5), "the message arrives", || {
        verify(&two, &token) == Err(REVOKED)
    });
}

#[test]
fn messages_in_order_cost_no_resynchronisation_and_a_gap_causes_one() {
    let Some(redis) =
        RedisServer::start("messages_in_order_cost_no_resynchronisation_and_a_gap_causes_one")
    else {
        return;
    };
    let one = instance(&redis);
    let two = instance(&redis);
    eventually(Duration::from_secs(5), "both subscribe", || {
        subscribers(&redis) == 2
    });
    // Both have synchronised once; from now on, messages in order keep them in sync.
    sleep(Duration::from_millis(300));
    redis.command(&["CONFIG", "RESETSTAT"]);
    for n in 0..5 {
        revoke(&one, Revocation::jti(format!("in-order-{n}")));
    }
    eventually(Duration::from_secs(5), "the messages arrive", || {
        two.revocations().len() == 5
    });
    // A message delivered twice is not a gap either.
    let last = one
        .revocations()
        .revocations()
        .into_iter()
        .find(|revocation| revocation.to_json().contains("in-order-4"))
        .unwrap();
    let version = redis.command(&["GET", "auth-runtime:version"]);
    let version = version.lines().nth(1).unwrap().to_owned();
    redis.command(&[
        "PUBLISH",
        "auth-runtime:revocations",
        &format!("{version} {}", last.to_json()),
    ]);
    sleep(Duration::from_millis(500));
    assert_eq!(
        calls(&redis, "zrangebyscore"),
        0,
        "no instance resynchronised"
    );
    assert!(calls(&redis, "get") > 0, "the periodic checks ran");

    // Two messages, the first lost: the gap makes each instance resynchronise, and the lost
    // revocation arrives that way.
    let lost = Revocation::jti("lost").until(now_secs() + 600);
    let next = Revocation::jti("after-the-gap").until(now_secs() + 600);
    write_losing_messages(&redis, &[lost.clone(), next.clone()]);
    for auth in [&one, &two] {
        eventually(
            Duration::from_secs(5),
            "the lost revocation arrives",
            || auth.revocations().contains(&lost) && auth.revocations().contains(&next),
        );
    }
    assert!(calls(&redis, "zrangebyscore") > 0);
}

#[test]
fn a_change_without_any_message_is_found_by_the_periodic_check() {
    let Some(redis) =
        RedisServer::start("a_change_without_any_message_is_found_by_the_periodic_check")
    else {
        return;
    };
    let auth = instance(&redis);
    eventually(Duration::from_secs(5), "it subscribes", || {
        subscribers(&redis) == 1
    });
    sleep(Duration::from_millis(300));
    let unseen = Revocation::jti("unseen").until(now_secs() + 600);
    // Written as an instance writes, but the message goes to a channel no one hears.
    let reply = redis.command(&[
        "EVAL",
        "redis.call('ZADD', KEYS[1], 4000000000, ARGV[1]) return redis.call('INCR', KEYS[2])",
        "2",
        "auth-runtime:revocations",
        "auth-runtime:version",
        &unseen.to_json(),
    ]);
    assert!(reply.starts_with(':'), "{reply:?}");
    eventually(Duration::from_secs(5), "the check finds it", || {
        auth.revocations().contains(&unseen)
    });
}

#[test]
fn zero_redis_timeouts_are_refused_at_build() {
    for (connect, response) in [(0, 300), (300, 0)] {
        let store = RedisStore::new("redis://127.0.0.1:6390/")
            .unwrap()
            .timeouts(
                Duration::from_millis(connect),
                Duration::from_millis(response),
            );
        let built = builder().revocation_store(store).build();
        assert!(
            matches!(
                &built,
                Err(auth_runtime::ConfigError::InvalidRevocation(why)) if why.contains("timeouts")
            ),
            "{connect} {response}: {:?}",
            built.err()
        );
    }
}

#[test]
fn refusing_after_less_than_a_second_is_refused_at_build() {
    let build = |limit| {
        builder()
            .when_store_unreachable(WhenStoreUnreachable::RefuseAfter(limit))
            .build()
    };
    assert!(matches!(
        build(Duration::from_millis(500)),
        Err(auth_runtime::ConfigError::InvalidRevocation(_))
    ));
    // A single instance's store has nothing to fall behind: never stale, never a 503.
    let alone = build(Duration::from_secs(1)).unwrap();
    sleep(Duration::from_millis(2100));
    assert_eq!(alone.revocations().staleness(), 0);
    assert!(verify(&alone, &token("read")).is_ok());
}

#[test]
fn a_store_shared_by_handle_writes_what_it_is_given_kept_until_revoked_otherwise() {
    let Some(redis) = RedisServer::start(
        "a_store_shared_by_handle_writes_what_it_is_given_kept_until_revoked_otherwise",
    ) else {
        return;
    };
    let store = Arc::new(RedisStore::new(&redis.url()).unwrap());
    let _auth = builder()
        .revocation_store(Arc::clone(&store))
        .build()
        .unwrap();
    // Straight through the store: a revocation without an end is kept in Redis for good.
    let forever = Revocation::jti("forever");
    block_on(store.share(&forever)).unwrap();
    let reply = redis.command(&["ZSCORE", "auth-runtime:revocations", &forever.to_json()]);
    let score: f64 = reply.lines().nth(1).unwrap().parse().unwrap();
    assert!(score > 1e18, "{reply:?}");
}
