//! The refresher thread: the only place keys are fetched, on a schedule and on demand.
//!
//! **Why a dedicated thread.** The authenticator is built once and shared by every actix
//! worker; each worker is a separate single-threaded runtime that may stop or restart, and
//! `build()` may run before any runtime exists. A task spawned on whichever runtime happened to
//! build the authenticator would die with it and strand the requests of every other worker
//! waiting for its fetch. One thread with its own current-thread runtime has none of these
//! failure modes, costs one mostly-sleeping thread per authenticator, and stops when the last
//! clone of the authenticator is dropped.
//!
//! **Single flight.** All coordination goes through one `tokio::sync::watch` channel holding a
//! [`FetchStatus`]. Its critical sections are a few field updates, never I/O. A request that
//! misses a key either:
//! - joins the fetch in flight (a waiter only watches for `completed` to pass its target),
//! - starts a fetch when none ran within the cooldown (marking it in flight in the same
//!   critical section, so that exactly one of many concurrent requests starts it), or
//! - is answered at once, without waiting, during the cooldown.
//!
//! The channel is executor-agnostic, so requests on any actix worker wait on the refresher
//! thread's fetch without sharing a runtime with it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use tokio::sync::{oneshot, watch, Notify};

use super::config::{JwksConfig, RemoteSource, Source};
use super::fetch::{Fetched, Fetcher};
use super::key_set::KeySet;
use crate::bearer::keys::Key;
use crate::error::ConfigError;
use crate::telemetry::KeySourceHealth;

/// The shared state of fetching.
#[derive(Debug, Clone, Default)]
struct FetchStatus {
    /// Fetches finished, successful or not.
    completed: u64,
    /// A fetch has been asked for or is running; the next one to finish is `completed + 1`.
    in_flight: bool,
    /// When a request last started a fetch (the cooldown is counted from there).
    last_demand: Option<Instant>,
    /// Why the last fetch failed; `None` after a success.
    last_failure: Option<Arc<str>>,
    /// The refresher thread is gone: nobody will fetch any more.
    stopped: bool,
}

/// What a request that misses a key gets.
pub(crate) enum Demand {
    /// Wait for this fetch, then look again.
    Wait(FetchWait),
    /// No fetch now (cooldown, no remote source, or keys installed since the request looked):
    /// answer with what is in memory.
    Refused,
}

/// A fetch to wait for.
pub(crate) struct FetchWait {
    status: watch::Receiver<FetchStatus>,
    target: u64,
}

impl FetchWait {
    /// Resolves when the fetch finished (whatever its outcome) or the refresher stopped.
    pub(crate) async fn finished(mut self) {
        let target = self.target;
        let _ = self
            .status
            .wait_for(|status| status.completed >= target || status.stopped)
            .await;
    }
}

/// What the refresher thread and the requests share.
struct Shared {
    current: Arc<ArcSwap<KeySet>>,
    configured: Vec<Key>,
    status: watch::Sender<FetchStatus>,
    wake: Notify,
    settings: JwksConfig,
    health: KeySourceHealth,
}

/// The handle of a remote source, owned (through an `Arc`) by every clone of the
/// authenticator. Dropping the last one stops the thread.
pub(crate) struct Refresher {
    shared: Arc<Shared>,
    /// Taken by [`start`](Self::start).
    unstarted: Mutex<Option<Fetcher>>,
    /// Never sent: dropping it tells the thread to stop.
    _stop: oneshot::Sender<()>,
    stop_receiver: Mutex<Option<oneshot::Receiver<()>>>,
}

impl Refresher {
    pub(super) fn new(
        current: Arc<ArcSwap<KeySet>>,
        configured: Vec<Key>,
        remote: RemoteSource,
    ) -> Result<Self, ConfigError> {
        let health = KeySourceHealth::new(match &remote.source {
            Source::Jwks(url) => url.as_str(),
            Source::Discovery { issuer, .. } => issuer,
        });
        let fetcher = Fetcher::new(remote.source, &remote.settings)?;
        let (stop, stop_receiver) = oneshot::channel();
        Ok(Refresher {
            shared: Arc::new(Shared {
                current,
                configured,
                status: watch::Sender::new(FetchStatus::default()),
                wake: Notify::new(),
                settings: remote.settings,
                health,
            }),
            unstarted: Mutex::new(Some(fetcher)),
            _stop: stop,
            stop_receiver: Mutex::new(Some(stop_receiver)),
        })
    }

    /// Spawns the thread; its first fetch starts at once.
    pub(super) fn start(&self) -> Result<(), ConfigError> {
        let fetcher = self.unstarted.lock().ok().and_then(|mut f| f.take());
        let stop = self.stop_receiver.lock().ok().and_then(|mut s| s.take());
        let (Some(fetcher), Some(stop)) = (fetcher, stop) else {
            return Ok(());
        };
        // The first fetch is in flight from the start: requests arriving before it finishes
        // join it instead of starting another.
        self.shared
            .status
            .send_modify(|status| status.in_flight = true);
        let shared = Arc::clone(&self.shared);
        std::thread::Builder::new()
            .name("auth-runtime-keys".into())
            .spawn(move || run(shared, fetcher, stop))
            .map(drop)
            .map_err(|error| {
                ConfigError::KeySourceUnavailable(format!(
                    "the key refresher thread cannot start: {error}"
                ))
            })
    }

    /// See [`KeyStore::demand`](super::store::KeyStore::demand).
    pub(super) fn demand(&self, seen: Option<&KeySet>) -> Demand {
        let now = Instant::now();
        let cooldown = self.shared.settings.cooldown;
        let mut target = None;
        let started = self.shared.status.send_if_modified(|status| {
            if status.stopped {
                return false;
            }
            // A fetch installed its keys since the request looked (keys are stored before the
            // status says the fetch finished, so this check and the next see every fetch):
            // look again, do not fetch again.
            if seen.is_some_and(|seen| !std::ptr::eq(&**self.shared.current.load(), seen)) {
                return false;
            }
            if status.in_flight {
                target = Some(status.completed + 1);
                return false;
            }
            if status
                .last_demand
                .is_some_and(|last| now.duration_since(last) < cooldown)
            {
                return false;
            }
            status.in_flight = true;
            status.last_demand = Some(now);
            target = Some(status.completed + 1);
            true
        });
        let Some(target) = target else {
            return Demand::Refused;
        };
        if started {
            tracing::debug!(
                target: "auth_runtime",
                "a key is missing: fetching the key source"
            );
            self.shared.wake.notify_one();
        }
        Demand::Wait(FetchWait {
            status: self.shared.status.subscribe(),
            target,
        })
    }

    /// Waits until the first fetch finished; the reason it failed, if it did.
    pub(super) async fn first_fetch(&self) -> Option<String> {
        let mut status = self.shared.status.subscribe();
        let status = status
            .wait_for(|status| status.completed >= 1 || status.stopped)
            .await
            .ok()?;
        if status.stopped && status.completed == 0 {
            return Some("the key refresher stopped before its first fetch".to_owned());
        }
        status.last_failure.as_deref().map(str::to_owned)
    }
}

/// Marks the refresher stopped however the thread ends (even by a panic), so that no request
/// waits for a fetch that will never come.
struct MarkStopped(Arc<Shared>);

impl Drop for MarkStopped {
    fn drop(&mut self) {
        self.0.status.send_modify(|status| {
            status.stopped = true;
            status.in_flight = false;
        });
    }
}

fn run(shared: Arc<Shared>, mut fetcher: Fetcher, mut stop: oneshot::Receiver<()>) {
    let _mark_stopped = MarkStopped(Arc::clone(&shared));
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(
                target: "auth_runtime",
                error = %error,
                "the key refresher cannot start a runtime: keys will not be fetched"
            );
            return;
        }
    };
    runtime.block_on(async move {
        let mut next = Instant::now();
        loop {
            tokio::select! {
                biased;
                _ = &mut stop => return,
                () = shared.wake.notified() => {}
                () = tokio::time::sleep_until(next.into()) => {}
            }
            let due = Instant::now() >= next;
            shared.status.send_if_modified(|status| {
                let start = due && !status.in_flight;
                status.in_flight |= start;
                start
            });
            if !shared.status.borrow().in_flight {
                // Woken by a stale notification: nothing was asked for.
                continue;
            }
            let outcome = tokio::select! {
                biased;
                _ = &mut stop => return,
                outcome = fetcher.fetch() => outcome,
            };
            next = Instant::now() + shared.install(outcome, &fetcher);
        }
    });
}

impl Shared {
    /// Publishes the outcome of a fetch: first the new key set, then the status (so that woken
    /// waiters see the new keys). Returns when to refresh next.
    fn install(&self, outcome: Result<Fetched, String>, fetcher: &Fetcher) -> Duration {
        let settings = &self.settings;
        match outcome {
            Ok(Fetched { keys, max_age }) => {
                self.health.succeeded(keys.len());
                let stale_at = settings.max_staleness.map(|limit| Instant::now() + limit);
                let set = KeySet::with_fetched(&self.configured, keys, stale_at);
                let interval = settings.refresh_interval(max_age);
                let previous = self.current.load();
                let kids = set.kids();
                if previous.kids() != kids || !previous.view().is_complete() {
                    tracing::info!(
                        target: "auth_runtime",
                        source = %fetcher.describe(),
                        kids = ?kids,
                        next_refresh_secs = interval.as_secs(),
                        "verification keys fetched"
                    );
                } else {
                    tracing::debug!(
                        target: "auth_runtime",
                        source = %fetcher.describe(),
                        next_refresh_secs = interval.as_secs(),
                        "verification keys refreshed, unchanged"
                    );
                }
                self.current.store(Arc::new(set));
                self.status.send_modify(|status| {
                    status.completed += 1;
                    status.in_flight = false;
                    status.last_failure = None;
                });
                interval
            }
            Err(failure) => {
                self.health.failed();
                if self.current.load().view().is_complete() {
                    tracing::warn!(
                        target: "auth_runtime",
                        source = %fetcher.describe(),
                        failure = %failure,
                        "fetching verification keys failed; the last good keys stay in use"
                    );
                } else {
                    tracing::error!(
                        target: "auth_runtime",
                        source = %fetcher.describe(),
                        failure = %failure,
                        "fetching verification keys failed and no usable key is cached: \
                         Bearer requests are answered 503 until the key source answers"
                    );
                }
                self.status.send_modify(|status| {
                    status.completed += 1;
                    status.in_flight = false;
                    status.last_failure = Some(failure.into());
                });
                settings.refresh_min
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bearer::jwks::key_set::RemoteKeys;

    /// A refresher whose thread never started: its status is set by hand.
    fn unstarted() -> Refresher {
        let current = Arc::new(ArcSwap::from_pointee(KeySet::new(
            Vec::new(),
            RemoteKeys::Missing,
        )));
        let url = reqwest::Url::parse("https://idp.example/keys").unwrap();
        let remote = RemoteSource {
            source: Source::Jwks(url),
            settings: JwksConfig::default(),
        };
        Refresher::new(current, Vec::new(), remote).unwrap()
    }

    fn first_fetch(refresher: &Refresher) -> Option<String> {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(refresher.first_fetch())
    }

    #[test]
    fn a_thread_that_ends_marks_the_refresher_stopped_so_that_no_one_waits_for_it() {
        let refresher = unstarted();
        refresher.shared.status.send_modify(|status| {
            status.in_flight = true;
        });
        drop(MarkStopped(Arc::clone(&refresher.shared)));
        let status = refresher.shared.status.borrow().clone();
        assert!(status.stopped && !status.in_flight, "{status:?}");
    }

    #[test]
    fn a_request_that_looked_before_a_fetch_finished_looks_again_instead_of_fetching() {
        let refresher = unstarted();
        let looked_at = refresher.shared.current.load_full();
        // The first fetch installs its keys after the request looked, before it demands.
        let fetched = Arc::new(KeySet::new(Vec::new(), RemoteKeys::Missing));
        refresher.shared.current.store(Arc::clone(&fetched));
        refresher
            .shared
            .status
            .send_modify(|status| status.completed = 1);
        assert!(matches!(
            refresher.demand(Some(&looked_at)),
            Demand::Refused
        ));
        assert!(
            !refresher.shared.status.borrow().in_flight,
            "a second fetch was started"
        );
        // A request that looked at the newest keys may start one.
        assert!(matches!(refresher.demand(Some(&fetched)), Demand::Wait(_)));
        assert!(refresher.shared.status.borrow().in_flight);
    }

    #[test]
    fn the_first_fetch_reports_its_failure_or_a_refresher_that_stopped_before_it() {
        let refresher = unstarted();
        refresher.shared.status.send_modify(|status| {
            status.stopped = true;
        });
        assert_eq!(
            first_fetch(&refresher).as_deref(),
            Some("the key refresher stopped before its first fetch")
        );
        // Stopped after a fetch: that fetch's outcome.
        refresher.shared.status.send_modify(|status| {
            status.completed = 1;
        });
        assert_eq!(first_fetch(&refresher), None);
        refresher.shared.status.send_modify(|status| {
            status.last_failure = Some("the key source answered 500".into());
        });
        assert_eq!(
            first_fetch(&refresher).as_deref(),
            Some("the key source answered 500")
        );
    }
}
