//! Keys that rotate: JWKS documents (RFC 7517 §5), JWKS URLs and OpenID Connect discovery.
//!
//! # How the pieces fit
//!
//! - The verification keys of an authenticator are one immutable [`KeySet`] behind an
//!   [`ArcSwap`]. The request path loads the current snapshot without taking a lock and without
//!   touching a shared reference count (arc-swap's "debt" slots are per thread); a refresh
//!   builds a whole new set and swaps the pointer. A reader therefore never waits for a writer,
//!   let alone for a writer doing network I/O.
//! - With a remote source, one OS thread per authenticator (`auth-runtime-keys`) runs its own
//!   current-thread tokio runtime and is the only place that fetches (see [`refresher`]). It is
//!   independent of actix's workers: the authenticator may be built before `HttpServer::new`,
//!   outside any runtime, or inside `#[actix_rt::test]`; workers may be restarted; the fetch
//!   still completes, and every worker sees its result. It stops when the last clone of the
//!   authenticator is dropped.
//! - Requests that need a fetch (unknown `kid`, or no usable key yet) coordinate through a
//!   `tokio::sync::watch` channel, which works with any executor: a request either joins the
//!   fetch in flight, starts one (at most one per cooldown), or is answered at once.

mod document;
mod fetch;
mod refresher;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, Guard};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::Header;
use reqwest::Url;

use crate::config::ConfigError;
use crate::keys::Key;

pub(crate) use refresher::Demand;

/// Default bounds of the refresh interval and the interval used when the provider sends no
/// `Cache-Control: max-age`.
const REFRESH_MIN: Duration = Duration::from_secs(60);
const REFRESH_MAX: Duration = Duration::from_secs(24 * 60 * 60);
const REFRESH_DEFAULT: Duration = Duration::from_secs(15 * 60);

/// The path OpenID Connect Discovery 1.0 §4 appends to the issuer.
const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// A JWKS given in the configuration.
#[derive(Debug, Clone)]
pub(crate) enum InlineJwks {
    Set(JwkSet),
    Json(String),
    File(PathBuf),
}

/// A remote key source as configured, checked at build time.
#[derive(Debug, Clone)]
pub(crate) enum RemoteSpec {
    JwksUrl(String),
    Discovery(String),
}

/// The key-source settings collected by the builder.
#[derive(Debug, Clone)]
pub(crate) struct JwksConfig {
    pub(crate) inline: Vec<InlineJwks>,
    pub(crate) remote: Vec<RemoteSpec>,
    pub(crate) allow_http: bool,
    pub(crate) refresh_min: Duration,
    pub(crate) refresh_max: Duration,
    pub(crate) cooldown: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) total_timeout: Duration,
    pub(crate) max_bytes: usize,
    pub(crate) max_staleness: Option<Duration>,
}

impl Default for JwksConfig {
    fn default() -> Self {
        JwksConfig {
            inline: Vec::new(),
            remote: Vec::new(),
            allow_http: false,
            refresh_min: REFRESH_MIN,
            refresh_max: REFRESH_MAX,
            cooldown: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
            max_bytes: 1024 * 1024,
            max_staleness: None,
        }
    }
}

impl JwksConfig {
    /// The keys of every inline JWKS.
    pub(crate) fn inline_keys(&self) -> Result<Vec<Key>, ConfigError> {
        let mut keys = Vec::new();
        for jwks in &self.inline {
            keys.extend(document::inline_keys(jwks)?);
        }
        Ok(keys)
    }

    /// The issuer of the discovery source, which becomes an accepted `iss`.
    pub(crate) fn discovery_issuer(&self) -> Option<&str> {
        self.remote.iter().find_map(|spec| match spec {
            RemoteSpec::Discovery(issuer) => Some(issuer.as_str()),
            RemoteSpec::JwksUrl(_) => None,
        })
    }

    /// The remote source, its URL checked, or `None` when keys come only from the
    /// configuration.
    pub(crate) fn remote_source(&self) -> Result<Option<RemoteSource>, ConfigError> {
        let invalid = |reason| Err(ConfigError::InvalidKeySource(reason));
        let spec = match self.remote.as_slice() {
            [] => return Ok(None),
            [spec] => spec,
            _ => {
                return invalid(
                    "only one remote key source can be configured: `.jwks_url(..)` or \
                     `.oidc_discovery(..)`, once",
                )
            }
        };
        if self.refresh_min.is_zero() || self.refresh_min > self.refresh_max {
            return invalid("`.refresh_interval(min, max)` needs 0 < min <= max");
        }
        if self.cooldown.is_zero() {
            return invalid(
                "`.unknown_kid_cooldown(..)` must be longer than zero: without it every \
                 unknown `kid` would cause a fetch",
            );
        }
        if self.connect_timeout.is_zero() || self.connect_timeout > self.total_timeout {
            return invalid("`.fetch_timeouts(connect, total)` needs 0 < connect <= total");
        }
        if self.max_bytes == 0 {
            return invalid("`.max_jwks_bytes(..)` must be at least 1");
        }
        if self
            .max_staleness
            .is_some_and(|limit| limit < self.refresh_min)
        {
            return invalid(
                "`.max_key_staleness(..)` must not be shorter than the refresh interval's \
                 minimum: the keys would expire between two refreshes",
            );
        }
        let source = match spec {
            RemoteSpec::JwksUrl(url) => Source::Jwks(parse_url(url, self.allow_http)?),
            RemoteSpec::Discovery(issuer) => {
                let url = parse_url(issuer, self.allow_http)?;
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(ConfigError::InvalidUrl {
                        url: issuer.clone(),
                        reason: "an issuer has no query or fragment (RFC 8414 §2)",
                    });
                }
                let discovery = format!("{}{DISCOVERY_PATH}", issuer.trim_end_matches('/'));
                Source::Discovery {
                    issuer: issuer.clone(),
                    url: parse_url(&discovery, self.allow_http)?,
                }
            }
        };
        Ok(Some(RemoteSource {
            source,
            settings: self.clone(),
        }))
    }

    /// The refresh interval for a provider's `max-age` (15 minutes without one), within the
    /// configured bounds; with a staleness limit, at most half of it, so that keys do not go
    /// stale while the provider answers.
    fn refresh_interval(&self, max_age: Option<Duration>) -> Duration {
        let interval = max_age
            .unwrap_or(REFRESH_DEFAULT)
            .clamp(self.refresh_min, self.refresh_max);
        match self.max_staleness {
            Some(limit) => interval.min(limit / 2).max(self.refresh_min),
            None => interval,
        }
    }
}

/// Where remote keys come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// A JWKS URL (RFC 7517 §5).
    Jwks(Url),
    /// OpenID Connect discovery: the issuer as configured and its discovery document's URL.
    Discovery { issuer: String, url: Url },
}

/// A checked remote source and its settings.
#[derive(Debug, Clone)]
pub(crate) struct RemoteSource {
    source: Source,
    settings: JwksConfig,
}

/// An absolute http(s) URL with a host and no credentials; plain http only when allowed.
fn parse_url(raw: &str, allow_http: bool) -> Result<Url, ConfigError> {
    let invalid = |url: String, reason| Err(ConfigError::InvalidUrl { url, reason });
    let Ok(url) = Url::parse(raw) else {
        return invalid(raw.to_owned(), "not an absolute URL");
    };
    if !url.username().is_empty() || url.password().is_some() {
        let mut redacted = url.clone();
        let _ = redacted.set_username("");
        let _ = redacted.set_password(None);
        return invalid(
            redacted.to_string(),
            "credentials in the URL would end up in logs; the URL must not carry any",
        );
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => {
            return invalid(
                raw.to_owned(),
                "plain http is refused: use https, or call `.allow_http()` for tests and localhost",
            )
        }
        _ => return invalid(raw.to_owned(), "only https URLs can be fetched"),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return invalid(raw.to_owned(), "the URL has no host");
    }
    if url.fragment().is_some() {
        return invalid(raw.to_owned(), "the URL has a fragment");
    }
    Ok(url)
}

/// One immutable generation of verification keys: the configured keys first, then the keys
/// of the last good fetch.
pub(crate) struct KeySet {
    keys: Vec<Key>,
    /// How many of `keys` come from the configuration (they never go stale).
    configured: usize,
    remote: RemoteKeys,
}

/// The state of the remote part of a [`KeySet`].
#[derive(Debug, Clone, Copy)]
enum RemoteKeys {
    /// No remote source: the set is complete as it is.
    NotConfigured,
    /// No fetch has succeeded yet.
    Missing,
    /// Fetched; unusable from `stale_at` on, if a staleness limit is configured.
    Fetched { stale_at: Option<Instant> },
}

/// The keys a request may use, and whether a missing key could still come from the source.
pub(crate) struct View<'k> {
    keys: &'k [Key],
    complete: bool,
}

/// Why no key was selected for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Miss {
    /// The header names a `kid` no key has.
    UnknownKid,
    /// The key named by `kid` verifies another algorithm than the header's `alg`.
    AlgorithmMismatch,
    /// No `kid`, and no key verifies the header's `alg`.
    NoKeyForAlgorithm,
    /// No `kid`, and several keys verify the header's `alg`: guessing is refused.
    Ambiguous,
}

impl KeySet {
    fn new(configured: Vec<Key>, remote: RemoteKeys) -> Self {
        KeySet {
            configured: configured.len(),
            keys: configured,
            remote,
        }
    }

    /// The configured keys followed by `fetched`; a fetched key whose `kid` a configured key
    /// already has is left out.
    fn with_fetched(configured: &[Key], fetched: Vec<Key>, stale_at: Option<Instant>) -> Self {
        let mut keys = configured.to_vec();
        for key in fetched {
            let taken = key.kid().is_some_and(|kid| {
                configured
                    .iter()
                    .any(|configured| configured.kid() == Some(kid))
            });
            if taken {
                tracing::warn!(
                    target: "auth_runtime",
                    kid = key.kid(),
                    "a fetched key has the `kid` of a configured key; the configured one is kept"
                );
            } else {
                keys.push(key);
            }
        }
        KeySet {
            keys,
            configured: configured.len(),
            remote: RemoteKeys::Fetched { stale_at },
        }
    }

    /// The keys usable now. Reads the clock only when a staleness limit is configured.
    /// Whether a usable key (fixed, or fetched and not stale) has this fingerprint.
    pub(crate) fn holds(&self, fingerprint: u64) -> bool {
        self.view()
            .keys
            .iter()
            .any(|key| key.fingerprint() == fingerprint)
    }

    pub(crate) fn view(&self) -> View<'_> {
        let (keys, complete) = match self.remote {
            RemoteKeys::NotConfigured => (&self.keys[..], true),
            RemoteKeys::Missing => (&self.keys[..self.configured], false),
            RemoteKeys::Fetched { stale_at: None } => (&self.keys[..], true),
            RemoteKeys::Fetched {
                stale_at: Some(stale_at),
            } => {
                if Instant::now() < stale_at {
                    (&self.keys[..], true)
                } else {
                    (&self.keys[..self.configured], false)
                }
            }
        };
        View { keys, complete }
    }

    /// The `kid`s of the set, for logs.
    fn kids(&self) -> Vec<&str> {
        self.keys
            .iter()
            .map(|key| key.kid().unwrap_or("-"))
            .collect()
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet")
            .field("keys", &self.keys)
            .field("remote", &self.remote)
            .finish()
    }
}

impl<'k> View<'k> {
    /// Whether every key the source offers is here: when not, a key that is missing may exist
    /// (no fetch succeeded yet, or the fetched keys went stale).
    pub(crate) fn is_complete(&self) -> bool {
        self.complete
    }

    /// The key for a token with `header`: chosen by `kid` when the header names one, else the
    /// one key of the header's `alg`. The header never chooses the algorithm (RFC 8725 §3.1),
    /// and its `jku`, `x5u`, `jwk` and `x5c` are never looked at.
    pub(crate) fn select(&self, header: &Header) -> Result<&'k Key, Miss> {
        if let Some(kid) = &header.kid {
            let key = self
                .keys
                .iter()
                .find(|key| key.kid() == Some(kid.as_str()))
                .ok_or(Miss::UnknownKid)?;
            return if key.algorithm() == header.alg {
                Ok(key)
            } else {
                Err(Miss::AlgorithmMismatch)
            };
        }
        let mut candidates = self.keys.iter().filter(|key| key.algorithm() == header.alg);
        match (candidates.next(), candidates.next()) {
            (Some(key), None) => Ok(key),
            (None, _) => Err(Miss::NoKeyForAlgorithm),
            (Some(_), Some(_)) => Err(Miss::Ambiguous),
        }
    }
}

/// The verification keys of an authenticator: fixed, or refreshed from a remote source.
/// Cloning is cheap (two `Arc`s).
#[derive(Clone)]
pub(crate) struct KeyStore {
    current: Arc<ArcSwap<KeySet>>,
    refresher: Option<Arc<refresher::Refresher>>,
}

impl KeyStore {
    /// Keys that never change.
    pub(crate) fn fixed(keys: Vec<Key>) -> Self {
        KeyStore {
            current: Arc::new(ArcSwap::from_pointee(KeySet::new(
                keys,
                RemoteKeys::NotConfigured,
            ))),
            refresher: None,
        }
    }

    /// `configured` keys plus those of `source`. Nothing is fetched before
    /// [`start`](Self::start).
    pub(crate) fn remote(configured: Vec<Key>, source: RemoteSource) -> Result<Self, ConfigError> {
        let current = Arc::new(ArcSwap::from_pointee(KeySet::new(
            configured.clone(),
            RemoteKeys::Missing,
        )));
        let refresher = refresher::Refresher::new(Arc::clone(&current), configured, source)?;
        Ok(KeyStore {
            current,
            refresher: Some(Arc::new(refresher)),
        })
    }

    /// Starts the background refresh (the first fetch begins at once). Does nothing for fixed
    /// keys or when already started.
    pub(crate) fn start(&self) -> Result<(), ConfigError> {
        match &self.refresher {
            Some(refresher) => refresher.start(),
            None => Ok(()),
        }
    }

    /// The current snapshot, loaded without a lock.
    pub(crate) fn load(&self) -> Guard<Arc<KeySet>> {
        self.current.load()
    }

    /// The current key set, to hold for longer than a request.
    pub(crate) fn load_full(&self) -> Arc<KeySet> {
        self.current.load_full()
    }

    /// Asks for a fetch because a key is missing: join the fetch in flight, start one if the
    /// cooldown allows, or be refused at once.
    pub(crate) fn demand(&self) -> Demand {
        match &self.refresher {
            Some(refresher) => refresher.demand(),
            None => Demand::Refused,
        }
    }

    /// Waits for the first fetch; fails when it did not give a usable key.
    pub(crate) async fn first_fetch(&self) -> Result<(), ConfigError> {
        let Some(refresher) = &self.refresher else {
            return Ok(());
        };
        let failure = refresher.first_fetch().await;
        if self.load().view().is_complete() {
            Ok(())
        } else {
            Err(ConfigError::KeySourceUnavailable(failure.unwrap_or_else(
                || "the key source gave no usable key".to_owned(),
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::Algorithm;

    fn hmac(alg: Algorithm, kid: Option<&str>) -> Key {
        let key = Key::hmac(alg, [7u8; 64]).unwrap();
        match kid {
            Some(kid) => key.with_kid(kid),
            None => key,
        }
    }

    fn header(alg: Algorithm, kid: Option<&str>) -> Header {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        header
    }

    #[test]
    fn a_kid_chooses_the_key_and_the_key_chooses_the_algorithm() {
        let set = KeySet::new(
            vec![
                hmac(Algorithm::HS256, Some("a")),
                hmac(Algorithm::HS512, Some("b")),
            ],
            RemoteKeys::NotConfigured,
        );
        let view = set.view();
        let chosen = view.select(&header(Algorithm::HS512, Some("b"))).unwrap();
        assert_eq!(chosen.kid(), Some("b"));
        assert_eq!(
            view.select(&header(Algorithm::HS256, Some("b")))
                .unwrap_err(),
            Miss::AlgorithmMismatch
        );
        assert_eq!(
            view.select(&header(Algorithm::HS256, Some("c")))
                .unwrap_err(),
            Miss::UnknownKid
        );
    }

    #[test]
    fn without_a_kid_only_an_unambiguous_key_is_used() {
        let set = KeySet::new(
            vec![
                hmac(Algorithm::HS256, None),
                hmac(Algorithm::HS256, Some("x")),
                hmac(Algorithm::HS384, None),
            ],
            RemoteKeys::NotConfigured,
        );
        let view = set.view();
        assert_eq!(
            view.select(&header(Algorithm::HS256, None)).unwrap_err(),
            Miss::Ambiguous
        );
        assert!(view.select(&header(Algorithm::HS384, None)).is_ok());
        assert_eq!(
            view.select(&header(Algorithm::HS512, None)).unwrap_err(),
            Miss::NoKeyForAlgorithm
        );
    }

    #[test]
    fn stale_fetched_keys_are_not_used_but_configured_ones_are() {
        let configured = [hmac(Algorithm::HS256, Some("mine"))];
        let fetched = vec![hmac(Algorithm::HS384, Some("theirs"))];
        let fresh = KeySet::with_fetched(
            &configured,
            fetched.clone(),
            Some(Instant::now() + Duration::from_secs(3600)),
        );
        assert!(fresh.view().is_complete());
        assert!(fresh
            .view()
            .select(&header(Algorithm::HS384, Some("theirs")))
            .is_ok());
        let stale = KeySet::with_fetched(&configured, fetched, Some(Instant::now()));
        let view = stale.view();
        assert!(!view.is_complete());
        assert!(view.select(&header(Algorithm::HS256, Some("mine"))).is_ok());
        assert_eq!(
            view.select(&header(Algorithm::HS384, Some("theirs")))
                .unwrap_err(),
            Miss::UnknownKid
        );
    }

    #[test]
    fn a_fetched_key_cannot_replace_a_configured_kid() {
        let configured = [hmac(Algorithm::HS256, Some("k"))];
        let set = KeySet::with_fetched(&configured, vec![hmac(Algorithm::HS512, Some("k"))], None);
        assert_eq!(set.keys.len(), 1);
        assert_eq!(set.keys[0].algorithm(), Algorithm::HS256);
    }

    #[test]
    fn urls_are_checked() {
        assert!(parse_url("https://idp.example/jwks", false).is_ok());
        assert!(parse_url("http://127.0.0.1:8080/jwks", true).is_ok());
        for (url, allow_http) in [
            ("http://idp.example/jwks", false),
            ("ftp://idp.example/jwks", true),
            ("/jwks", true),
            ("https://user:secret@idp.example/jwks", false),
            ("https://idp.example/jwks#x", false),
        ] {
            let error = parse_url(url, allow_http).unwrap_err();
            assert!(!error.to_string().contains("secret"), "{error}");
        }
    }

    #[test]
    fn the_refresh_interval_honours_max_age_within_bounds() {
        let config = JwksConfig {
            refresh_min: Duration::from_secs(60),
            refresh_max: Duration::from_secs(3600),
            ..JwksConfig::default()
        };
        let interval = |seconds| config.refresh_interval(Some(Duration::from_secs(seconds)));
        assert_eq!(interval(300), Duration::from_secs(300));
        assert_eq!(interval(0), Duration::from_secs(60));
        assert_eq!(interval(86_400), Duration::from_secs(3600));
        assert_eq!(config.refresh_interval(None), Duration::from_secs(900));
        let limited = JwksConfig {
            max_staleness: Some(Duration::from_secs(600)),
            ..config
        };
        assert_eq!(limited.refresh_interval(None), Duration::from_secs(300));
    }

    #[test]
    fn a_remote_store_starts_outside_any_runtime() {
        // Nothing listens on the discard port of the loopback interface: refused at once.
        let config = JwksConfig {
            remote: vec![RemoteSpec::JwksUrl("http://127.0.0.1:9/jwks.json".into())],
            allow_http: true,
            ..JwksConfig::default()
        };
        let source = config.remote_source().unwrap().unwrap();
        let store = KeyStore::remote(Vec::new(), source).unwrap();
        store.start().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let first = runtime.block_on(store.first_fetch());
        assert!(
            matches!(&first, Err(ConfigError::KeySourceUnavailable(reason)) if reason.contains("127.0.0.1:9")),
            "{first:?}"
        );
        assert!(!store.load().view().is_complete());
        // The first fetch was not a request's: a request may start one, then the cooldown
        // holds.
        let Demand::Wait(wait) = store.demand() else {
            panic!("a first request may fetch");
        };
        runtime.block_on(wait.finished());
        assert!(matches!(store.demand(), Demand::Refused));
    }
}
