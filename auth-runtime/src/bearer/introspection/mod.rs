//! Token introspection (RFC 7662): the answers' cache, one call per token however many
//! requests wait for it, and the thread that makes the calls.
//!
//! - `config`: the application's [`Introspection`](config::Introspection) settings;
//! - `client`: the HTTP call and client authentication.
//!
//! **Cache.** Answers are filed under HMAC-SHA-256 of the token with a key drawn once per
//! process: the cache never holds a token, and nobody without the key can compute where a
//! token is filed or make two tokens collide. A lookup is one HMAC and one hash-table probe.
//!
//! **Single flight.** The first request that misses registers a flight for the token's HMAC
//! and hands the call to the introspection thread; requests for the same token that arrive
//! meanwhile wait on that flight's `watch` channel. The map of flights is locked only to look
//! up, insert or remove one entry, never across I/O.
//!
//! **Why a thread.** As with the key refresher, actix's workers are separate single-threaded
//! runtimes that may stop; one thread with its own runtime owns the HTTP client and its
//! connection pool, and every worker waits on its answers through executor-agnostic channels.

pub(crate) mod client;
pub(crate) mod config;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use quick_cache::sync::Cache;
use reqwest::Url;
use sha2::Sha256;
use tokio::sync::{mpsc, oneshot, watch};

use crate::bearer::claims::{ClaimRules, Verified};
use crate::bearer::jwks::config::PlainHttp;
use crate::bearer::jwks::refresher::Demand;
use crate::bearer::jwks::store::KeyStore;
use crate::clock;
use crate::error::ConfigError;
use crate::http::refusal::{InvalidReason, Refusal};
use crate::outcome::Outcome;
use crate::principal::Principal;
use crate::revocation::deny_list::TokenIds;
use client::{CallFailed, IntrospectionClient};
use config::Introspection;

/// An active token, as the cache keeps it.
pub(crate) struct Active {
    pub(crate) principal: Arc<Principal>,
    pub(crate) ids: TokenIds,
    pub(crate) bound_key: Option<Box<str>>,
    nbf: Option<u64>,
    /// Served until then (seconds since the epoch): the token's `exp`, at most the maximum
    /// age after the call.
    until: u64,
}

/// What an introspection ends with.
pub(crate) type Answer = Result<Arc<Active>, Refusal>;

#[derive(Clone)]
enum Entry {
    Active(Arc<Active>),
    Refused { refusal: Refusal, until: u64 },
}

impl Entry {
    /// The cached answer if it may still be served at `now`.
    fn serve(&self, now: u64, leeway: u64) -> Option<Answer> {
        match self {
            Entry::Active(active) if now < active.until => {
                if active
                    .nbf
                    .is_some_and(|nbf| nbf > now.saturating_add(leeway))
                {
                    return Some(Err(Refusal::NotYetValid));
                }
                Some(Ok(Arc::clone(active)))
            }
            Entry::Refused { refusal, until } if now < *until => Some(Err(*refusal)),
            _ => None,
        }
    }
}

/// Where the endpoint is: fixed, or discovered with the keys.
#[derive(Clone)]
pub(crate) enum Endpoint {
    Fixed(Url),
    Discovered {
        found: Arc<OnceLock<Url>>,
        keys: KeyStore,
    },
}

/// A call handed to the thread.
struct Job {
    token: String,
    key: [u8; 32],
    done: watch::Sender<Option<Answer>>,
}

/// What the requests and the thread share.
struct Shared {
    /// HMAC-SHA-256 keyed once per process; cloned per lookup (the key schedule is done).
    mac: Hmac<Sha256>,
    cache: Cache<[u8; 32], Entry>,
    flights: Mutex<HashMap<[u8; 32], watch::Receiver<Option<Answer>>>>,
    jobs: mpsc::UnboundedSender<Job>,
    rules: ClaimRules,
    every_token: bool,
    max_token_bytes: usize,
    max_age: u64,
    negative_age: u64,
    /// Milliseconds after `epoch` until which calls are not made (after a failure).
    outage_until_ms: AtomicU64,
    outage_cooldown: Duration,
    epoch: Instant,
}

/// At most this many distinct tokens wait for a call at once; more are answered 503.
const MAX_FLIGHTS: usize = 1024;

/// The introspection side of the Bearer mechanism. Cloning is cheap; the thread stops when the
/// last clone is dropped.
#[derive(Clone)]
pub(crate) struct Introspector {
    shared: Arc<Shared>,
    _stop: Arc<oneshot::Sender<()>>,
}

impl Introspector {
    /// Starts the introspection thread for `settings`, answers checked against `rules`.
    pub(crate) fn start(
        settings: &Introspection,
        endpoint: Endpoint,
        http: PlainHttp,
        rules: ClaimRules,
        max_token_bytes: usize,
    ) -> Result<Introspector, ConfigError> {
        let fixed = match &endpoint {
            Endpoint::Fixed(url) => Some(url),
            Endpoint::Discovered { .. } => None,
        };
        let client = IntrospectionClient::new(settings, http, fixed)?;
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).map_err(|_| {
            ConfigError::InvalidIntrospection("no random key for the introspection cache")
        })?;
        let mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| {
            ConfigError::InvalidIntrospection("no random key for the introspection cache")
        })?;
        zeroize::Zeroize::zeroize(&mut key);
        let (jobs, receiver) = mpsc::unbounded_channel();
        let (stop, stopped) = oneshot::channel();
        let shared = Arc::new(Shared {
            mac,
            cache: Cache::new(settings.max_entries),
            flights: Mutex::new(HashMap::new()),
            jobs,
            rules,
            every_token: settings.every_token,
            max_token_bytes,
            max_age: settings.max_cache_age.as_secs(),
            negative_age: settings.negative_cache_age.as_secs(),
            outage_until_ms: AtomicU64::new(0),
            outage_cooldown: settings.outage_cooldown,
            epoch: Instant::now(),
        });
        let thread_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("auth-runtime-introspection".into())
            .spawn(move || run(thread_shared, client, endpoint, receiver, stopped))
            .map_err(|_| {
                ConfigError::InvalidIntrospection("the introspection thread cannot start")
            })?;
        Ok(Introspector {
            shared,
            _stop: Arc::new(stop),
        })
    }

    /// Whether `token` is introspected rather than verified as a JWT.
    #[inline]
    pub(crate) fn applies_to(&self, token: &[u8]) -> bool {
        self.shared.every_token || token.iter().filter(|&&b| b == b'.').count() != 2
    }

    /// Drops every cached active answer whose principal `evict` selects.
    pub(crate) fn evict(&self, evict: impl Fn(&Principal) -> bool) {
        self.shared.cache.retain(|_, entry| match entry {
            Entry::Active(active) => !evict(&active.principal),
            Entry::Refused { .. } => true,
        });
    }

    /// The cached answer for `token` at `now`, if there is one: one HMAC and one probe. Only
    /// tokens that were `b64token`s when introspected are ever cached, so the syntax check
    /// waits for a miss.
    #[inline]
    pub(crate) fn cached(&self, token: &[u8], now: u64) -> Option<Answer> {
        let shared = &*self.shared;
        if token.len() > shared.max_token_bytes {
            return None;
        }
        shared
            .cache
            .get(&shared.key_of(token))
            .and_then(|entry| entry.serve(now, shared.rules.leeway))
    }

    /// Introspects `token` (already checked to be a `b64token`, and not answered by
    /// [`cached`](Self::cached)) at `now`: pending on the one call made for it, or refused at
    /// once.
    pub(crate) fn introspect(&self, token: &str) -> Outcome<Answer> {
        let shared = &*self.shared;
        if token.len() > shared.max_token_bytes {
            return Outcome::ready(Err(Refusal::Invalid(InvalidReason::TooLarge)));
        }
        let key = shared.key_of(token.as_bytes());
        let mut waiting = match shared.join_or_start(token, key) {
            Ok(waiting) => waiting,
            Err(refusal) => return Outcome::ready(Err(refusal)),
        };
        Outcome::pending(async move {
            match waiting.wait_for(Option::is_some).await {
                Ok(answer) => answer
                    .clone()
                    .unwrap_or(Err(Refusal::IntrospectionUnavailable)),
                // The thread stopped without answering.
                Err(_) => Err(Refusal::IntrospectionUnavailable),
            }
        })
    }
}

impl Shared {
    fn key_of(&self, token: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(token);
        mac.finalize().into_bytes().into()
    }

    /// The flight of `key`: joined if one is in the air, else started.
    fn join_or_start(
        &self,
        token: &str,
        key: [u8; 32],
    ) -> Result<watch::Receiver<Option<Answer>>, Refusal> {
        let mut flights = self
            .flights
            .lock()
            .map_err(|_| Refusal::IntrospectionUnavailable)?;
        if let Some(flight) = flights.get(&key) {
            return Ok(flight.clone());
        }
        let now_ms = self.epoch.elapsed().as_millis() as u64;
        if now_ms < self.outage_until_ms.load(Ordering::Relaxed) || flights.len() >= MAX_FLIGHTS {
            return Err(Refusal::IntrospectionUnavailable);
        }
        let (done, waiting) = watch::channel(None);
        let job = Job {
            token: token.to_owned(),
            key,
            done,
        };
        self.jobs
            .send(job)
            .map_err(|_| Refusal::IntrospectionUnavailable)?;
        flights.insert(key, waiting.clone());
        Ok(waiting)
    }

    /// Caches the answer of a call, ends its flight and wakes its waiters.
    fn finish(&self, job: Job, answer: Answer, cache_until: Option<u64>) {
        if let Some(until) = cache_until {
            let entry = match &answer {
                Ok(active) => Entry::Active(Arc::clone(active)),
                Err(refusal) => Entry::Refused {
                    refusal: *refusal,
                    until,
                },
            };
            self.cache.insert(job.key, entry);
        }
        if let Ok(mut flights) = self.flights.lock() {
            flights.remove(&job.key);
        }
        job.done.send_replace(Some(answer));
    }

    /// Interprets one call's outcome: the answer, and until when it may be cached.
    fn answer(&self, outcome: Result<Vec<u8>, CallFailed>) -> (Answer, Option<u64>) {
        let now = clock::now();
        let response = match outcome {
            Ok(response) => response,
            Err(CallFailed(failure)) => {
                let until = self.epoch.elapsed() + self.outage_cooldown;
                self.outage_until_ms
                    .store(until.as_millis() as u64, Ordering::Relaxed);
                tracing::error!(
                    target: "auth_runtime",
                    failure = %failure,
                    "token introspection failed: tokens that need it are answered 503 until \
                     the endpoint answers"
                );
                return (Err(Refusal::IntrospectionUnavailable), None);
            }
        };
        match self.rules.check_introspection(&response, now) {
            Ok(Verified {
                principal,
                exp,
                nbf,
                ids,
                bound_key,
                ..
            }) => {
                let until = exp.min(now.saturating_add(self.max_age));
                let active = Arc::new(Active {
                    principal,
                    ids,
                    bound_key,
                    nbf,
                    until,
                });
                (Ok(active), (until > now).then_some(until))
            }
            Err(refusal) => (
                Err(refusal),
                Some(now.saturating_add(self.negative_age.max(1))),
            ),
        }
    }
}

fn run(
    shared: Arc<Shared>,
    client: IntrospectionClient,
    endpoint: Endpoint,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    mut stop: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(
                target: "auth_runtime",
                error = %error,
                "the introspection thread cannot start a runtime: opaque tokens are answered 503"
            );
            return;
        }
    };
    let client = Arc::new(client);
    runtime.block_on(async move {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async move {
                loop {
                    let job = tokio::select! {
                        biased;
                        _ = &mut stop => return,
                        job = jobs.recv() => match job {
                            Some(job) => job,
                            None => return,
                        },
                    };
                    let (shared, client, endpoint) =
                        (Arc::clone(&shared), Arc::clone(&client), endpoint.clone());
                    tokio::task::spawn_local(async move {
                        let outcome = match endpoint.url().await {
                            Ok(url) => client.introspect(&url, &job.token).await,
                            Err(failure) => Err(failure),
                        };
                        let (answer, cache_until) = shared.answer(outcome);
                        shared.finish(job, answer, cache_until);
                    });
                }
            })
            .await;
    });
}

impl Endpoint {
    /// The endpoint's URL; for a discovered one, waits for discovery if it has not given one
    /// yet.
    async fn url(&self) -> Result<Url, CallFailed> {
        match self {
            Endpoint::Fixed(url) => Ok(url.clone()),
            Endpoint::Discovered { found, keys } => {
                if let Some(url) = found.get() {
                    return Ok(url.clone());
                }
                if let Demand::Wait(wait) = keys.demand(None) {
                    wait.finished().await;
                }
                found.get().cloned().ok_or_else(|| {
                    CallFailed(
                        "the discovery document gave no `introspection_endpoint` (RFC 8414 §2) \
                         yet"
                        .to_owned(),
                    )
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::ScopeHierarchy;
    use crate::scheme::Scheme;

    fn active(until: u64, nbf: Option<u64>) -> Entry {
        Entry::Active(Arc::new(Active {
            principal: Arc::new(Principal::user(Scheme::Bearer, "user-42")),
            ids: TokenIds::new(None, Some("user-42".into()), None),
            bound_key: None,
            nbf,
            until,
        }))
    }

    #[test]
    fn an_active_answer_is_served_until_its_time_is_up() {
        let entry = active(100, None);
        assert!(matches!(entry.serve(99, 0), Some(Ok(_))));
        assert!(entry.serve(100, 0).is_none());
        assert!(entry.serve(101, 0).is_none());
    }

    #[test]
    fn an_active_answer_is_not_yet_valid_before_its_nbf_less_the_leeway() {
        let entry = active(1000, Some(50));
        for (now, served) in [(44, false), (45, true), (50, true), (60, true)] {
            match entry.serve(now, 5) {
                Some(Ok(_)) => assert!(served, "at {now}"),
                Some(Err(Refusal::NotYetValid)) => assert!(!served, "at {now}"),
                _ => panic!("at {now}: neither served nor not yet valid"),
            }
        }
    }

    #[test]
    fn a_refusal_is_served_until_its_time_is_up() {
        let entry = Entry::Refused {
            refusal: Refusal::Expired,
            until: 100,
        };
        assert!(matches!(entry.serve(99, 0), Some(Err(Refusal::Expired))));
        assert!(entry.serve(100, 0).is_none());
    }

    fn shared() -> (Shared, mpsc::UnboundedReceiver<Job>) {
        let (jobs, receiver) = mpsc::unbounded_channel();
        let shared = Shared {
            mac: Hmac::<Sha256>::new_from_slice(&[7; 32]).unwrap(),
            cache: Cache::new(16),
            flights: Mutex::new(HashMap::new()),
            jobs,
            rules: ClaimRules {
                issuers: Vec::new(),
                audiences: Vec::new(),
                leeway: 0,
                typ: None,
                required_claims: Vec::new(),
                scope_claims: Vec::new(),
                role_claims: Vec::new(),
                hierarchy: Arc::new(ScopeHierarchy::default()),
                scheme: Scheme::Bearer,
            },
            every_token: false,
            max_token_bytes: 64,
            max_age: 60,
            negative_age: 60,
            outage_until_ms: AtomicU64::new(0),
            outage_cooldown: Duration::from_secs(5),
            epoch: Instant::now(),
        };
        (shared, receiver)
    }

    #[test]
    fn a_call_starts_at_once_after_start_and_joins_a_flight_in_the_air() {
        let (shared, mut jobs) = shared();
        // Right after start no outage was recorded: the first call is made, even in the first
        // millisecond.
        let key = shared.key_of(b"opaque-1");
        shared.join_or_start("opaque-1", key).unwrap();
        shared.join_or_start("opaque-1", key).unwrap();
        assert_eq!(jobs.try_recv().unwrap().token, "opaque-1");
        assert!(
            jobs.try_recv().is_err(),
            "the second request joined the first call"
        );
    }

    #[test]
    fn no_call_is_made_during_an_outage_or_with_too_many_in_the_air() {
        let (shared, mut jobs) = shared();
        shared.outage_until_ms.store(60_000, Ordering::Relaxed);
        let key = shared.key_of(b"opaque-1");
        assert!(matches!(
            shared.join_or_start("opaque-1", key),
            Err(Refusal::IntrospectionUnavailable)
        ));
        shared.outage_until_ms.store(0, Ordering::Relaxed);
        for n in 0..MAX_FLIGHTS {
            let token = format!("opaque-{n}");
            let key = shared.key_of(token.as_bytes());
            shared.join_or_start(&token, key).unwrap();
        }
        let key = shared.key_of(b"one-too-many");
        assert!(matches!(
            shared.join_or_start("one-too-many", key),
            Err(Refusal::IntrospectionUnavailable)
        ));
        let mut started = 0;
        while jobs.try_recv().is_ok() {
            started += 1;
        }
        assert_eq!(started, MAX_FLIGHTS);
    }
}
