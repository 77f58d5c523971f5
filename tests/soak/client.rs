//! The soak client of `scripts/soak.sh`: mixed traffic against a running quickstart — valid,
//! expired, forged, wrong-scope, missing and malformed Bearer tokens, a fresh token on every
//! request (cache churn), Basic and API-key credentials right and wrong — at a fixed
//! concurrency for a fixed time, checking every status against what the credential deserved.
//!
//! `soak <base-url> <seconds> <concurrency>`; the HS256 secret comes from `AUTH_HS256_SECRET`
//! (the one the server was started with). Exits 1 on any mismatch or 5xx other than the
//! documented one: a wrong Basic password may be answered `503` with `Retry-After` when the
//! password-hashing queue is full.
//!
//! `soak <base-url> <seconds> <concurrency> flood [wrong|missing]`: a wrong-password flood —
//! `concurrency` connections sending Basic credentials of a known user with a new wrong
//! password each time — while one more connection sends the user's correct credentials back to
//! back (cached after the first) and times them. Exits 1 if a correct request is not answered
//! 200, or a wrong one anything but 401 or 503 with `Retry-After`. With a concurrency of 0 it
//! times the correct requests alone; with `missing` the flood sends no credentials at all (each
//! answered 401 at once): the flood any server answers cheaply, for comparison.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth_runtime::testing::TestIssuer;
use auth_runtime::Algorithm;

/// One kind of request and the status it deserves.
#[derive(Clone, Copy)]
struct Class {
    name: &'static str,
    expected: u16,
}

const CLASSES: [Class; 11] = [
    Class {
        name: "valid",
        expected: 200,
    },
    Class {
        name: "fresh token",
        expected: 200,
    },
    Class {
        name: "expired",
        expected: 401,
    },
    Class {
        name: "forged",
        expected: 401,
    },
    Class {
        name: "wrong scope",
        expected: 403,
    },
    Class {
        name: "missing",
        expected: 401,
    },
    Class {
        name: "malformed",
        expected: 400,
    },
    Class {
        name: "basic",
        expected: 200,
    },
    Class {
        name: "basic wrong",
        expected: 401,
    },
    Class {
        name: "api key",
        expected: 200,
    },
    Class {
        name: "api key wrong",
        expected: 401,
    },
];

struct Tokens {
    secret: TestIssuer,
    valid: String,
    expired: String,
    forged: String,
    wrong_scope: String,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn mint(key: &TestIssuer, scope: &str, exp: u64, nonce: u64) -> String {
    key.token()
        .subject("soak")
        .scope(scope)
        .claim("exp", exp)
        .claim("jti", nonce)
        .sign()
}

/// An HS256 issuer of the quickstart's tokens (`AUTH_ISSUER`, `AUTH_AUDIENCE`) with `secret`.
fn issuer(secret: &[u8]) -> TestIssuer {
    TestIssuer::with_secret(Algorithm::HS256, secret)
        .with_issuer(std::env::var("AUTH_ISSUER").unwrap_or_else(|_| "quickstart".into()))
        .with_audience(std::env::var("AUTH_AUDIENCE").unwrap_or_else(|_| "quickstart-api".into()))
}

#[derive(Default)]
struct Tally {
    by_class: BTreeMap<&'static str, u64>,
    by_status: BTreeMap<u16, u64>,
    mismatches: BTreeMap<(&'static str, u16), u64>,
}

/// The status of a response, `503 without Retry-After` counted apart (as 599), after reading
/// its body; 0 for a transport error.
async fn status_of(request: reqwest::RequestBuilder) -> u16 {
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response.headers().contains_key("retry-after");
            let _ = response.bytes().await;
            if status == 503 && !retry_after {
                599
            } else {
                status
            }
        }
        Err(_) => 0,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:18090".into());
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(30);
    let concurrency: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(64);
    if args.next().as_deref() == Some("flood") {
        let without_credentials = args.next().as_deref() == Some("missing");
        flood(&base, seconds, concurrency, without_credentials).await;
        return;
    }
    let secret = std::env::var("AUTH_HS256_SECRET").expect("AUTH_HS256_SECRET");
    let key = issuer(secret.as_bytes());
    let forger = issuer(b"not-the-server-secret-0123456789abcdef");
    let tokens = Arc::new(Tokens {
        valid: mint(&key, "items:read", now() + 3600, 0),
        expired: mint(&key, "items:read", now() - 3600, 0),
        forged: mint(&forger, "items:read", now() + 3600, 0),
        wrong_scope: mint(&key, "other", now() + 3600, 0),
        secret: key,
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let counter = Arc::new(AtomicU64::new(0));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, base, tokens, counter, tally) = (
            client.clone(),
            base.clone(),
            Arc::clone(&tokens),
            Arc::clone(&counter),
            Arc::clone(&tally),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let class = CLASSES[(n % CLASSES.len() as u64) as usize];
                let items = format!("{base}/items");
                let request = match class.name {
                    "valid" => client.get(&items).bearer_auth(&tokens.valid),
                    "fresh token" => client.get(&items).bearer_auth(mint(
                        &tokens.secret,
                        "items:read",
                        now() + 3600,
                        n,
                    )),
                    "expired" => client.get(&items).bearer_auth(&tokens.expired),
                    "forged" => client.get(&items).bearer_auth(&tokens.forged),
                    "wrong scope" => client.get(&items).bearer_auth(&tokens.wrong_scope),
                    "missing" => client.get(&items),
                    "malformed" => client.get(&items).header("Authorization", "Bearer a b"),
                    "basic" => client
                        .get(format!("{base}/reports"))
                        .basic_auth("alice", Some("wonderland")),
                    "basic wrong" => client
                        .get(format!("{base}/reports"))
                        .basic_auth("alice", Some("wrong")),
                    "api key" => client
                        .get(format!("{base}/metrics"))
                        .header("X-API-Key", "demo-key-123"),
                    _ => client
                        .get(format!("{base}/metrics"))
                        .header("X-API-Key", "demo-key-124"),
                };
                let status = status_of(request).await;
                let mut tally = tally.lock().unwrap();
                *tally.by_class.entry(class.name).or_default() += 1;
                *tally.by_status.entry(status).or_default() += 1;
                // A wrong password waits for argon2: when the queue is full, 503 is its answer.
                let overloaded = status == 503 && class.name == "basic wrong";
                if status != class.expected && !overloaded {
                    *tally.mismatches.entry((class.name, status)).or_default() += 1;
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let tally = tally.lock().unwrap();
    let total: u64 = tally.by_class.values().sum();
    let overloaded = tally.by_status.get(&503).copied().unwrap_or(0);
    let errors_5xx: u64 = tally
        .by_status
        .iter()
        .filter(|(s, _)| (500..600).contains(*s))
        .map(|(_, n)| n)
        .sum::<u64>()
        - overloaded;
    let failed: u64 = tally.by_status.get(&0).copied().unwrap_or(0);
    let mismatched: u64 = tally.mismatches.values().sum();
    println!(
        "requests: {total} in {seconds} s ({:.0}/s), concurrency {concurrency}",
        total as f64 / seconds as f64
    );
    for (class, count) in &tally.by_class {
        println!("  {class:<14} {count}");
    }
    let classes: Vec<String> = tally
        .by_status
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    println!("statuses: {}", classes.join(", "));
    println!("mismatched statuses: {mismatched}");
    for ((class, status), count) in &tally.mismatches {
        println!("  {class} answered {status}: {count}");
    }
    println!(
        "5xx: {errors_5xx} (besides {overloaded} documented 503 with Retry-After for wrong \
         Basic passwords; 599 counts a 503 without it); transport errors: {failed}"
    );
    if mismatched > 0 || errors_5xx > 0 || failed > 0 {
        std::process::exit(1);
    }
}

/// A wrong-password flood (or, `without_credentials`, a flood of requests without any) from
/// `concurrency` connections while one more times correct, cached Basic requests.
async fn flood(base: &str, seconds: u64, concurrency: usize, without_credentials: bool) {
    let reports = format!("{base}/reports");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency + 1)
        .build()
        .unwrap();
    let correct = || client.get(&reports).basic_auth("alice", Some("wonderland"));
    // The first correct request runs argon2 and fills the cache.
    let first = status_of(correct()).await;
    assert_eq!(first, 200, "alice:wonderland must be accepted");

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let counter = Arc::new(AtomicU64::new(0));
    let statuses = Arc::new(Mutex::new(BTreeMap::<u16, u64>::new()));
    let mut flooders = Vec::new();
    for _ in 0..concurrency {
        let (client, reports, counter, statuses) = (
            client.clone(),
            reports.clone(),
            Arc::clone(&counter),
            Arc::clone(&statuses),
        );
        flooders.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let request = match without_credentials {
                    true => client.get(&reports),
                    false => client
                        .get(&reports)
                        .basic_auth("alice", Some(format!("wrong-{n}"))),
                };
                let status = status_of(request).await;
                *statuses.lock().unwrap().entry(status).or_default() += 1;
            }
        }));
    }
    let mut latencies = Vec::new();
    let mut probe_failures = BTreeMap::<u16, u64>::new();
    while Instant::now() < deadline {
        let started = Instant::now();
        let status = status_of(correct()).await;
        latencies.push(started.elapsed());
        if status != 200 {
            *probe_failures.entry(status).or_default() += 1;
        }
    }
    for flooder in flooders {
        flooder.await.unwrap();
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    let statuses = statuses.lock().unwrap();
    let wrong: u64 = statuses.values().sum();
    let listed: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    let kind = match without_credentials {
        true => "no-credentials",
        false => "wrong-password",
    };
    println!(
        "{kind} flood: {wrong} requests in {seconds} s ({:.0}/s) from {concurrency} \
         connections; statuses: {}",
        wrong as f64 / seconds as f64,
        if listed.is_empty() {
            "none".to_owned()
        } else {
            listed.join(", ")
        }
    );
    println!(
        "correct cached Basic, one connection: {} requests ({:.0}/s), latency p50 {:?}, p99 \
         {:?}, max {:?}; not 200: {}",
        latencies.len(),
        latencies.len() as f64 / seconds as f64,
        at(0.5),
        at(0.99),
        latencies[latencies.len() - 1],
        probe_failures.values().sum::<u64>()
    );
    let unexpected = statuses
        .keys()
        .any(|status| *status != 401 && *status != 503);
    if !probe_failures.is_empty() || unexpected {
        std::process::exit(1);
    }
}
