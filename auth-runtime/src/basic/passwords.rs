//! [`Passwords`]: the argon2 password check of Basic verifiers, with its verified-credential
//! cache and its bounded hashing queue.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::Argon2;
use zeroize::Zeroizing;

use crate::basic::hashing::{Hashing, Overloaded};
use crate::basic::BasicCredentials;
use crate::credential_cache::{CredentialCache, CredentialCacheConfig};
use crate::error::ConfigError;
use crate::http::refusal::Refusal;

/// The password check of Basic verifiers: argon2 on dedicated threads behind a bounded queue,
/// and a cache of the credentials that passed it.
///
/// [`StaticUsers`](crate::StaticUsers) uses one; a verifier backed by a database gets the same
/// speed and the same protection by calling [`check`](Self::check) with the stored hash:
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, RwLock};
/// use actix_web::HttpRequest;
/// use auth_runtime::{BasicCredentials, BasicVerifier, Passwords, Principal, Refusal, Scheme};
///
/// struct UserTable {
///     hashes: RwLock<HashMap<String, String>>, // user-id → PHC hash, as a database keeps them
///     passwords: Passwords,
/// }
///
/// impl BasicVerifier for UserTable {
///     async fn verify(
///         &self,
///         credentials: &BasicCredentials,
///         _: &HttpRequest,
///     ) -> Result<Arc<Principal>, Refusal> {
///         let stored = self.hashes.read().unwrap().get(credentials.user_id()).cloned();
///         // `None` (no such user) is checked against a decoy: it costs what a wrong password costs.
///         self.passwords.check(credentials, stored.as_deref()).await?;
///         let principal = Principal::user(Scheme::Basic, credentials.user_id());
///         Ok(principal.with_scopes(["reports:read"]).into())
///     }
/// }
/// ```
///
/// # The cache
///
/// After a password passed argon2, the same user-id and password are accepted without argon2
/// for [`CredentialCacheConfig::max_age`] (default 5 minutes): service accounts and scrapers
/// that send Basic credentials on every request pay for one hash, not one per request. The
/// cache is keyed by HMAC-SHA-256, under a random key drawn when the `Passwords` is made, of
/// the **stored hash** (the end of its argon2 output), the user-id and the password (each
/// length-prefixed), so:
///
/// - it holds no password and no plain hash of one, only tags that mean nothing without the
///   key, which never leaves memory; the password copies it makes for the hashing threads are
///   wiped;
/// - a changed password hash, or a user removed from the store, does not hit an entry made for
///   the old one (any new hash, if only by its new salt, ends with another argon2 output): the
///   verifier's own lookup (cheap next to argon2) decides, on every request, which hash the
///   password is checked against;
/// - a hit needs the exact bytes RFC 7617 §2 decoding gave: another user-id (`Alice` for
///   `alice`), a password with one more byte, or credentials that decode differently are
///   checked in full, and answered as argon2 answers them;
/// - a wrong password is never cached, nor is an unknown user: both run argon2 on every
///   attempt, before and after any caching, so an unknown user keeps costing what a wrong
///   password costs, and no wrong guess can lock anybody out.
///
/// It is bounded in entries (the least used go first) and cleared with [`clear`](Self::clear).
///
/// # The queue
///
/// argon2 runs on dedicated threads, half as many as there are cores (or
/// [`hashing_threads`](Self::hashing_threads)), and at most
/// [`max_waiting`](Self::max_waiting) more checks wait for one. When they are all taken,
/// a check is refused at once with [`Refusal::Overloaded`]: `503 Service Unavailable` with
/// `Retry-After`, never an unbounded queue. A flood of wrong passwords thus fills the queue
/// and is answered 503, while users whose credentials are cached never enter it and are served
/// at full speed.
///
/// # Unknown users
///
/// `check(credentials, None)` runs argon2 against a decoy hash: an argon2id hash of random
/// bytes with the parameters of the last stored hash checked (argon2id's defaults, which
/// [`hash`](Self::hash) and `StaticUsers` use, before the first), so that answering "no such
/// user" takes what "wrong password" takes.
///
/// Configure it before cloning: each setter makes a new, empty `Passwords`. Clones share the
/// cache, the threads and the counts; the threads stop when the last clone is dropped.
#[derive(Clone)]
pub struct Passwords {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    cache: Option<CredentialCache<()>>,
    hashing: Hashing,
    overloaded: AtomicU64,
}

#[derive(Clone)]
struct Settings {
    cache: CredentialCacheConfig,
    threads: usize,
    waiting: Option<usize>,
}

/// How many of a stored hash's last bytes its cache tags are made of (see [`hash_suffix`]).
const HASH_SUFFIX: usize = 16;

/// What of a stored hash goes into the tags of the credentials checked against it: its last
/// [`HASH_SUFFIX`] bytes, the end of the argon2 output that a PHC string ends with (96 bits
/// of it). Any new hash of a password (a new salt, other parameters, another password) has
/// another output, so these bytes tell a changed hash from the old one; a string that does
/// not end with an output never verifies, so nothing is ever cached under it. Taking the end
/// instead of the whole string keeps a tag to two SHA-256 compressions for most credentials.
fn hash_suffix(stored_hash: &str) -> &[u8] {
    let bytes = stored_hash.as_bytes();
    &bytes[bytes.len().saturating_sub(HASH_SUFFIX)..]
}

/// How many checks may wait for each hashing thread by default.
const WAITING_PER_THREAD: usize = 16;

/// Counts of a [`Passwords`]' checks, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PasswordStats {
    /// Checks answered from the cache, without argon2.
    pub cache_hits: u64,
    /// argon2 computations run: wrong and right passwords, unknown users (the decoy).
    pub hashed: u64,
    /// Checks refused because the queue was full (answered 503).
    pub overloaded: u64,
    /// Checks admitted and not done yet: hashing or waiting for a thread.
    pub in_progress: usize,
    /// Entries in the cache.
    pub cached: usize,
}

impl Default for Passwords {
    fn default() -> Self {
        Passwords::with(Settings {
            cache: CredentialCacheConfig::default(),
            threads: std::thread::available_parallelism()
                .map_or(1, |cores| (cores.get() / 2).max(1)),
            waiting: None,
        })
    }
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords")
            .field("cache", &self.inner.settings.cache)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Passwords {
    /// The defaults: the cache on (10,000 entries, 5 minutes), one hashing thread per two
    /// cores (at least one), 16 checks waiting per thread.
    pub fn new() -> Self {
        Passwords::default()
    }

    fn with(settings: Settings) -> Self {
        let waiting = settings
            .waiting
            .unwrap_or(settings.threads.saturating_mul(WAITING_PER_THREAD));
        Passwords {
            inner: Arc::new(Inner {
                cache: CredentialCache::new(&settings.cache),
                hashing: Hashing::new(settings.threads, waiting),
                overloaded: AtomicU64::new(0),
                settings,
            }),
        }
    }

    fn set(&self, change: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = self.inner.settings.clone();
        change(&mut settings);
        Passwords::with(settings)
    }

    /// The verified-credential cache: its size and how long an entry is served
    /// ([`CredentialCacheConfig::disabled`] turns it off: argon2 on every request).
    pub fn cache(self, config: CredentialCacheConfig) -> Self {
        self.set(|settings| settings.cache = config)
    }

    /// The number of hashing threads (at least one). Default: half the cores, at least one.
    /// Each computes one argon2 hash at a time, holding its memory (19 MiB with the default
    /// parameters). During a flood of wrong passwords they are busy all the time: the cores
    /// left to the actix workers serve everybody else (cached users, other schemes).
    pub fn hashing_threads(self, threads: usize) -> Self {
        self.set(|settings| settings.threads = threads.max(1))
    }

    /// How many checks may wait for a hashing thread; one more is answered 503 with
    /// `Retry-After` (RFC 9110 §15.6.4, §10.2.3) at once. Default: 16 per hashing thread, about
    /// a second of waiting with argon2id's default parameters. Zero: only as many checks as
    /// there are threads, none waiting.
    pub fn max_waiting(self, waiting: usize) -> Self {
        self.set(|settings| settings.waiting = Some(waiting))
    }

    /// Checks the password of `credentials` against `stored_hash`, the PHC string of an argon2
    /// hash (`$argon2id$v=19$...`) the verifier found for the user-id, or `None` when it found
    /// no such user. From the cache when these exact credentials passed against this exact
    /// hash less than `max_age` ago; otherwise with argon2 on a hashing thread.
    ///
    /// `Err(Refusal::Rejected)` for a wrong password, an unknown user or a hash argon2 cannot
    /// use; `Err(Refusal::Overloaded)` (503) when the queue is full. Pass either on with `?`.
    pub async fn check(
        &self,
        credentials: &BasicCredentials,
        stored_hash: Option<&str>,
    ) -> Result<(), Refusal> {
        let inner = &*self.inner;
        // An unknown user is looked up too, so that both take the same steps: under an empty
        // hash, which never verifies, so nothing is ever cached under it.
        let tag = inner.cache.as_ref().map(|cache| {
            cache.tag(&[
                hash_suffix(stored_hash.unwrap_or_default()),
                credentials.user_id().as_bytes(),
                credentials.password().as_bytes(),
            ])
        });
        if let (Some(cache), Some(tag)) = (&inner.cache, &tag) {
            if cache.get(tag).is_some() {
                return Ok(());
            }
        }
        let answer = inner
            .hashing
            .check(stored_hash, credentials.password())
            .map_err(|Overloaded| {
                inner.overloaded.fetch_add(1, Ordering::Relaxed);
                Refusal::Overloaded
            })?;
        // An unknown user (`None`) never matches: checked against the decoy.
        if !answer.await {
            return Err(Refusal::Rejected);
        }
        if let (Some(cache), Some(tag)) = (&inner.cache, tag) {
            cache.insert(tag, ());
        }
        Ok(())
    }

    /// Drops every cached credential: each user's next request runs argon2 again.
    pub fn clear(&self) {
        if let Some(cache) = &self.inner.cache {
            cache.clear();
        }
    }

    /// The counts of checks so far.
    pub fn stats(&self) -> PasswordStats {
        let inner = &*self.inner;
        PasswordStats {
            cache_hits: inner.cache.as_ref().map_or(0, CredentialCache::hits),
            hashed: inner.hashing.verified(),
            overloaded: inner.overloaded.load(Ordering::Relaxed),
            in_progress: inner.hashing.admitted(),
            cached: inner.cache.as_ref().map_or(0, CredentialCache::len),
        }
    }

    /// The PHC string of an argon2id hash (RFC 9106) of `password`, with a random salt and the
    /// `argon2` crate's default parameters (19 MiB, 2 passes, 1 lane: OWASP's recommendation):
    /// what a user store keeps. Takes as long as a check; the password is wiped.
    pub fn hash(password: impl Into<String>) -> Result<String, ConfigError> {
        let password = Zeroizing::new(password.into());
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| ConfigError::InvalidUser(error.to_string()))
    }

    /// The decoy hash unknown users are checked against.
    #[cfg(feature = "testing")]
    pub(crate) fn decoy_hash(&self) -> String {
        self.inner.hashing.decoy_hash()
    }

    /// Holds (or releases) the hashing threads before their next argon2 computation.
    #[cfg(feature = "testing")]
    pub(crate) fn pause_hashing(&self, paused: bool) {
        self.inner.hashing.pause(paused);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_tagged_by_its_last_bytes() {
        let hash = Passwords::hash("pw").unwrap();
        assert_eq!(
            hash_suffix(&hash),
            &hash.as_bytes()[hash.len() - HASH_SUFFIX..]
        );
        assert_eq!(hash_suffix("short"), b"short");
        assert_eq!(hash_suffix(""), b"");
        assert_ne!(
            hash_suffix(&Passwords::hash("pw").unwrap()),
            hash_suffix(&hash)
        );
    }

    #[cfg(feature = "testing")]
    #[test]
    fn by_default_sixteen_checks_wait_for_each_hashing_thread() {
        use base64::Engine;
        use std::future::Future;
        use std::task::{Context, Poll, Waker};

        let passwords = Passwords::new().hashing_threads(1);
        passwords.pause_hashing(true);
        let encoded = base64::engine::general_purpose::STANDARD.encode("nobody:pw");
        let credentials = crate::basic::decode(encoded.as_bytes()).unwrap();
        let mut admitted = Vec::new();
        for _ in 0..17 {
            let mut check = Box::pin(passwords.check(&credentials, None));
            let polled = check.as_mut().poll(&mut Context::from_waker(Waker::noop()));
            assert!(polled.is_pending());
            admitted.push(check);
        }
        assert_eq!(passwords.stats().in_progress, 17);
        let mut refused = Box::pin(passwords.check(&credentials, None));
        let polled = refused
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()));
        assert!(matches!(polled, Poll::Ready(Err(Refusal::Overloaded))));
        assert_eq!(passwords.stats().overloaded, 1);
        drop(admitted);
        passwords.pause_hashing(false);
    }

    #[cfg(feature = "testing")]
    #[test]
    fn each_hashing_thread_admits_one_check_and_max_waiting_more() {
        use base64::Engine;
        use std::future::Future;
        use std::task::{Context, Poll, Waker};

        let passwords = Passwords::new().hashing_threads(3).max_waiting(0);
        passwords.pause_hashing(true);
        let encoded = base64::engine::general_purpose::STANDARD.encode("nobody:pw");
        let credentials = crate::basic::decode(encoded.as_bytes()).unwrap();
        let mut checks: Vec<_> = (0..4)
            .map(|_| Box::pin(passwords.check(&credentials, None)))
            .collect();
        let polled: Vec<_> = checks
            .iter_mut()
            .map(|check| check.as_mut().poll(&mut Context::from_waker(Waker::noop())))
            .collect();
        assert!(polled[..3].iter().all(Poll::is_pending));
        assert!(matches!(polled[3], Poll::Ready(Err(Refusal::Overloaded))));
        let shown = format!("{passwords:?}");
        assert!(
            shown.starts_with("Passwords")
                && shown.contains("in_progress: 3")
                && shown.contains("overloaded: 1"),
            "{shown}"
        );
        drop(checks);
        passwords.pause_hashing(false);
    }
}
