//! `auth-bench revocations`: how long a revocation made on one instance takes to be in force on
//! two others sharing one Redis, and what a Redis restart (without persistence) does to the
//! decisions of three instances under traffic.
//!
//! The three instances are three `Authenticator`s in this process, each with its own
//! `RedisStore`: its own thread, runtime and connection to Redis, as in three processes. A
//! revocation is "in force" on an instance when its deny-list holds it, which is what every
//! request there is checked against. `redis-server` is started here on a free loopback port
//! (without persistence) and stopped by process id.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::test::{call_service, init_service, TestRequest};
use actix_web::{get, App, HttpResponse};
use auth_runtime::{requires, Authenticator, RedisStore, Revocation};
use jsonwebtoken::Algorithm;

use crate::keys;

/// Runs both measurements and prints their report.
pub fn run(count: usize) -> Result<(), String> {
    let redis = Redis::start()?;
    let instances = (0..3)
        .map(|_| instance(&redis.url()))
        .collect::<Result<Vec<_>, _>>()?;
    // Every instance subscribed and in sync before anything is timed.
    let warm = Revocation::jti("warm-up").until(now() + 600);
    block_on(instances[0].revoke(warm.clone())).map_err(|e| e.to_string())?;
    wait_until(Duration::from_secs(10), || {
        instances
            .iter()
            .all(|auth| auth.revocations().contains(&warm))
    })?;
    let delays = propagation(&instances, count)?;
    println!("Revocation propagation: {count} revocations made one after another on instance 1,");
    println!(
        "time until each is in force on instances 2 and 3 ({} arrivals)",
        delays.len()
    );
    println!();
    println!("| p50 | p90 | p99 | max |");
    println!("|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} |",
        show(percentile(&delays, 50.0)),
        show(percentile(&delays, 90.0)),
        show(percentile(&delays, 99.0)),
        show(percentile(&delays, 100.0)),
    );
    println!();
    restart(&redis, &instances)
}

/// One instance: HS256 bench tokens, revocations shared through `url`.
fn instance(url: &str) -> Result<Authenticator, String> {
    Authenticator::builder()
        .issuer(keys::ISSUER)
        .audience(keys::AUDIENCE)
        .key(keys::runtime_key(Algorithm::HS256))
        .revocation_store(RedisStore::new(url).map_err(|e| e.to_string())?)
        .build()
        .map_err(|e| e.to_string())
}

/// Revokes `count` jtis on instance 1, one at a time, and times their arrival on 2 and 3.
fn propagation(instances: &[Authenticator], count: usize) -> Result<Vec<Duration>, String> {
    let mut delays = Vec::with_capacity(count * 2);
    for serial in 0..count {
        let revocation = Revocation::jti(format!("propagation-{serial}")).until(now() + 600);
        let started = Instant::now();
        let shared = instances[0].revoke(revocation.clone());
        let mut arrived = [None, None];
        while arrived.iter().any(Option::is_none) {
            for (slot, auth) in arrived.iter_mut().zip(&instances[1..]) {
                if slot.is_none() && auth.revocations().contains(&revocation) {
                    *slot = Some(started.elapsed());
                }
            }
            if started.elapsed() > Duration::from_secs(5) {
                return Err(format!("revocation {serial} did not arrive within 5 s"));
            }
            std::thread::sleep(Duration::from_micros(20));
        }
        block_on(shared).map_err(|e| e.to_string())?;
        delays.extend(arrived.into_iter().flatten());
        std::thread::sleep(Duration::from_millis(2));
    }
    delays.sort();
    Ok(delays)
}

/// Three instances deciding on revoked and valid tokens while Redis is restarted empty.
fn restart(redis: &Redis, instances: &[Authenticator]) -> Result<(), String> {
    let revoked: Vec<String> = (0..20)
        .map(|serial| keys::mint(Algorithm::HS256, 1_000 + serial))
        .collect();
    for token in &revoked {
        block_on(instances[0].revoke(Revocation::token(token))).map_err(|e| e.to_string())?;
    }
    let held = instances[0].revocations().len();
    wait_until(Duration::from_secs(10), || {
        instances
            .iter()
            .all(|auth| auth.revocations().len() == held)
    })?;
    let stop = AtomicBool::new(false);
    let (decisions, wrong, unavailable) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let mut outage = Duration::ZERO;
    let mut written_back = Duration::ZERO;
    std::thread::scope(|scope| -> Result<(), String> {
        for auth in instances {
            let (stop, decisions, wrong, unavailable, revoked) =
                (&stop, &decisions, &wrong, &unavailable, &revoked);
            scope.spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let app =
                        init_service(App::new().configure(auth.configure()).service(items)).await;
                    let mut serial = 10_000;
                    while !stop.load(Ordering::Relaxed) {
                        serial += 1;
                        let fresh = keys::mint(Algorithm::HS256, serial);
                        let cases = revoked
                            .iter()
                            .map(|token| (token, false))
                            .chain([(&fresh, true)]);
                        for (token, valid) in cases {
                            let req = TestRequest::get()
                                .uri("/items")
                                .insert_header(("Authorization", format!("Bearer {token}")))
                                .to_request();
                            let status = call_service(&app, req).await.status().as_u16();
                            decisions.fetch_add(1, Ordering::Relaxed);
                            if status >= 500 {
                                unavailable.fetch_add(1, Ordering::Relaxed);
                            }
                            if (status == 200) != valid {
                                wrong.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                })
            });
        }
        std::thread::sleep(Duration::from_millis(500));
        let stopped = Instant::now();
        redis.restart()?;
        outage = stopped.elapsed();
        let restarted = Instant::now();
        wait_until(Duration::from_secs(20), || {
            redis.zcard() == Some(held as i64)
        })?;
        written_back = restarted.elapsed();
        std::thread::sleep(Duration::from_millis(500));
        stop.store(true, Ordering::Relaxed);
        Ok(())
    })?;
    let later = instance(&redis.url())?;
    let started = Instant::now();
    wait_until(Duration::from_secs(10), || {
        later.revocations().len() == held
    })?;
    let learned = started.elapsed();
    println!("Redis restart without persistence, three instances deciding throughout");
    println!();
    println!("| decisions | wrong | 5xx | Redis down for | revocations written back after | a new instance learns all {held} in |");
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} | {} | {} |",
        decisions.into_inner(),
        wrong.into_inner(),
        unavailable.into_inner(),
        show(outage),
        show(written_back),
        show(learned),
    );
    Ok(())
}

#[get("/items")]
#[requires(scope = "items:read")]
async fn items() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return Err(format!("not done within {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

fn percentile(sorted: &[Duration], percent: f64) -> Duration {
    let index = ((sorted.len() as f64 * percent / 100.0).ceil() as usize).clamp(1, sorted.len());
    sorted[index - 1]
}

fn show(duration: Duration) -> String {
    let micros = duration.as_micros();
    if micros < 10_000 {
        format!("{:.2} ms", micros as f64 / 1000.0)
    } else {
        format!("{} ms", micros / 1000)
    }
}

/// A `redis-server` on a free loopback port, without persistence.
struct Redis {
    port: u16,
    child: std::sync::Mutex<Option<Child>>,
}

impl Redis {
    fn start() -> Result<Redis, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .map_err(|e| e.to_string())?;
        let redis = Redis {
            port,
            child: std::sync::Mutex::new(None),
        };
        redis.spawn()?;
        Ok(redis)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn spawn(&self) -> Result<(), String> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("redis-server: {e} (install it: apt-get install redis-server)"))?;
        *self.child.lock().unwrap() = Some(child);
        wait_until(Duration::from_secs(5), || self.zcard().is_some())
    }

    fn restart(&self) -> Result<(), String> {
        self.stop();
        self.spawn()
    }

    fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// How many revocations Redis holds; `None` while it does not answer.
    fn zcard(&self) -> Option<i64> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
        stream
            .write_all(b"ZCARD auth-runtime:revocations\r\n")
            .ok()?;
        let mut reply = [0u8; 32];
        let read = stream.read(&mut reply).ok()?;
        std::str::from_utf8(&reply[..read])
            .ok()?
            .trim()
            .strip_prefix(':')?
            .parse()
            .ok()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
