//! The server the load script starts: one stack on one worker, plus a statistics endpoint.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};

use crate::stacks::{Setup, Stack};

/// The path of the statistics endpoint, served outside every stack's protection.
pub const STATS_PATH: &str = "/__bench/stats";

/// The path that empties `#[requires]`'s verified-token cache (through its revocation hook)
/// before a "new token every request" run, so that no run meets tokens an earlier one cached.
pub const FORGET_PATH: &str = "/__bench/forget";

/// Reads the number of heap allocations so far; `None` when the binary does not count them.
pub type AllocationCounter = fn() -> Option<u64>;

/// What `GET /__bench/stats` answers: counters the script reads before and after a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// The server's process id, so that the script knows it reached its own server.
    #[serde(default)]
    pub pid: u32,
    /// Heap allocations since the process started (the counting binary only).
    pub allocations: Option<u64>,
    /// Requests answered from `#[requires]`'s verified-token cache.
    pub cache_hits: Option<u64>,
    /// Requests whose token `#[requires]` verified in full.
    pub cache_misses: Option<u64>,
    /// CPU time the server's threads have run, in nanoseconds (Linux only): the server's own
    /// cost per request, whichever side of the loopback is the bottleneck.
    #[serde(default)]
    pub cpu_ns: Option<u64>,
    /// The part of that time spent in user space, in nanoseconds (Linux only; counted in clock
    /// ticks of 10 ms): the rest is the kernel's, which a stack changes only through what it
    /// sends and receives.
    #[serde(default)]
    pub user_ns: Option<u64>,
}

/// The CPU time of every thread of this process so far, from `/proc/self/task/*/schedstat`.
fn cpu_ns() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let schedstat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// The user-space CPU time of this process so far (every thread, also those that ended), from
/// `utime` in `/proc/self/stat`, counted in ticks of `USER_HZ`, which is 100 on Linux.
fn user_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    user_ns_of(&stat)
}

/// `utime` of one `/proc/<pid>/stat` line, in nanoseconds. The command name (field 2) is in
/// parentheses and may hold spaces and parentheses itself: fields are counted after the last
/// `)`, from field 3, so `utime` (field 14) is the twelfth of them.
fn user_ns_of(stat: &str) -> Option<u64> {
    const NANOS_PER_TICK: u64 = 1_000_000_000 / 100;
    let (_, fields) = stat.rsplit_once(')')?;
    let ticks: u64 = fields.split_whitespace().nth(11)?.parse().ok()?;
    Some(ticks * NANOS_PER_TICK)
}

#[derive(Clone)]
struct Probe {
    setup: Setup,
    allocations: AllocationCounter,
}

async fn stats(req: HttpRequest) -> HttpResponse {
    let probe = req
        .app_data::<web::Data<Probe>>()
        .expect("the probe is registered");
    let cache = probe.setup.authenticator().map(|auth| auth.cache_stats());
    HttpResponse::Ok().json(Stats {
        pid: std::process::id(),
        allocations: (probe.allocations)(),
        cache_hits: cache.map(|stats| stats.hits),
        cache_misses: cache.map(|stats| stats.misses),
        cpu_ns: cpu_ns(),
        user_ns: user_ns(),
    })
}

async fn forget(req: HttpRequest) -> HttpResponse {
    let probe = req
        .app_data::<web::Data<Probe>>()
        .expect("the probe is registered");
    if let Some(auth) = probe.setup.authenticator() {
        auth.evict_cached(|_| true);
    }
    HttpResponse::NoContent().finish()
}

/// The environment variable that installs a metrics recorder before the stack is built:
/// `prometheus` for `metrics-exporter-prometheus` (nothing scrapes it), to measure what
/// recording costs; unset, no recorder, as in an application without metrics.
pub const METRICS_VARIABLE: &str = "AUTH_BENCH_METRICS";

/// Serves `stack`, verifying tokens signed with `alg`, on `127.0.0.1:port` with one worker,
/// until the process is told to stop (SIGINT or SIGTERM).
pub fn serve(
    stack: Stack,
    alg: Algorithm,
    port: u16,
    allocations: AllocationCounter,
) -> std::io::Result<()> {
    let _recorder = match std::env::var(METRICS_VARIABLE).as_deref() {
        Ok("prometheus") => Some(
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .map_err(std::io::Error::other)?,
        ),
        Ok(other) => {
            return Err(std::io::Error::other(format!(
                "{METRICS_VARIABLE}={other:?}: only `prometheus` is known"
            )))
        }
        Err(_) => None,
    };
    let probe = Probe {
        setup: Setup::new(stack, alg),
        allocations,
    };
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            let probe = probe.clone();
            let setup = probe.setup.clone();
            App::new()
                .app_data(web::Data::new(probe))
                .service(web::resource(STATS_PATH).to(stats))
                .service(web::resource(FORGET_PATH).to(forget))
                .configure(move |config| setup.configure(config))
        })
        .workers(1)
        .shutdown_timeout(1)
        .bind(("127.0.0.1", port))?;
        eprintln!("auth-bench: {stack} ({alg:?}) on http://127.0.0.1:{port}/items");
        server.run().await
    })
}

#[cfg(test)]
mod tests {
    /// Spins until `read` (a CPU time of this process) grows, within a generous wall-clock
    /// bound, and asserts that it did. The kernel counts CPU time in clock ticks, and on a busy
    /// machine 20 ms of wall time may bring none. A sum over the process's live threads drops
    /// when another test's thread ends: the assertion is on the reading that ended the spin,
    /// not on a later one.
    #[cfg(target_os = "linux")]
    fn grows(read: fn() -> Option<u64>) {
        let before = read().unwrap();
        let spin = std::time::Instant::now();
        let mut now = before;
        while now <= before && spin.elapsed() < std::time::Duration::from_secs(10) {
            std::hint::black_box(spin.elapsed());
            now = read().unwrap();
        }
        assert!(now > before, "{now} after {before}");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_process_cpu_time_grows() {
        grows(super::cpu_ns);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_process_user_time_grows() {
        grows(super::user_ns);
    }

    #[test]
    fn user_time_is_the_fourteenth_field_whatever_the_command_name() {
        // A real line's layout (fields 1 to 17), with a command name that holds `) (`.
        let stat = "4242 (a) (b c) S 1 4242 4242 0 -1 4194560 120 0 0 0 1234 56 0 0 20";
        assert_eq!(super::user_ns_of(stat), Some(12_340_000_000));
        assert_eq!(super::user_ns_of("4242 (a) S 1 2"), None);
        assert_eq!(
            super::user_ns_of("no parenthesis 1 2 3 4 5 6 7 8 9 10 11 12"),
            None
        );
    }
}
