//! The verified-credential cache: a credential that passed a slow check (an argon2 password
//! hash, an application scheme's store) is recognised again by a keyed hash of it, never kept
//! itself.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use hmac::{Hmac, Mac};
use quick_cache::sync::Cache;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Settings of a verified-credential cache: the Basic password cache of
/// [`Passwords`](crate::Passwords), and the cache of an application scheme that opts in with
/// [`CustomScheme::credential`](crate::CustomScheme::credential).
///
/// Only credentials that passed the full check enter it; a refusal is never cached, so a flood
/// of wrong guesses can neither enter it nor lock anybody out. Entries are filed under
/// HMAC-SHA-256 of the credential, keyed by 32 random bytes drawn when the cache is made: the
/// cache holds no password and no plain hash of one, and the tags mean nothing in another
/// process. An entry is served for at most [`max_age`](Self::max_age); the number of entries is
/// bounded, the least used going first.
///
/// ```
/// use std::time::Duration;
/// use auth_runtime::CredentialCacheConfig;
///
/// let config = CredentialCacheConfig::default()
///     .max_entries(50_000)
///     .max_age(Duration::from_secs(120));
/// let off = CredentialCacheConfig::disabled();
/// # let _ = (config, off);
/// ```
#[derive(Debug, Clone)]
pub struct CredentialCacheConfig {
    enabled: bool,
    max_entries: usize,
    max_age: Duration,
}

impl Default for CredentialCacheConfig {
    fn default() -> Self {
        CredentialCacheConfig {
            enabled: true,
            max_entries: 10_000,
            max_age: Duration::from_secs(300),
        }
    }
}

impl CredentialCacheConfig {
    /// No cache: every request pays for the full check.
    pub fn disabled() -> Self {
        CredentialCacheConfig {
            enabled: false,
            ..CredentialCacheConfig::default()
        }
    }

    /// The most entries kept (at least 1). Default: 10,000.
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries.max(1);
        self
    }

    /// How long a verified credential is served from the cache before it is checked in full
    /// again. Default: 5 minutes; zero turns the cache off.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }
}

/// The keyed hash a credential is filed under.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Tag([u8; 32]);

#[derive(Clone)]
struct Entry<V> {
    value: V,
    cached_at: Instant,
}

/// A bounded map from credential tags to what their check gave (`V`), each entry served for a
/// limited time.
pub(crate) struct CredentialCache<V> {
    entries: Cache<Tag, Entry<V>>,
    /// HMAC-SHA-256 with this cache's random key absorbed: cloned for each tag, so the key
    /// itself is not kept.
    mac: Hmac<Sha256>,
    max_age: Duration,
    /// When the cache was made: sweeps are counted in seconds from here.
    created: Instant,
    last_sweep: AtomicU64,
    hits: AtomicU64,
}

impl<V: Clone> CredentialCache<V> {
    /// The cache `config` describes, or `None` when it is off.
    pub(crate) fn new(config: &CredentialCacheConfig) -> Option<Self> {
        if !config.enabled || config.max_age.is_zero() {
            return None;
        }
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        let mac = Hmac::<Sha256>::new_from_slice(key.as_ref()).ok()?;
        Some(CredentialCache {
            entries: Cache::new(config.max_entries),
            mac,
            max_age: config.max_age,
            created: Instant::now(),
            last_sweep: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        })
    }

    /// The tag of a credential made of `parts`. Each part is length-prefixed, so that no two
    /// different sequences of parts (`"ab", "c"` and `"a", "bc"`) share a tag. Up to 55 bytes
    /// with the prefixes, this is two SHA-256 compressions.
    pub(crate) fn tag(&self, parts: &[&[u8]]) -> Tag {
        let mut mac = self.mac.clone();
        for part in parts {
            // Credentials are far shorter than 4 GiB; a longer part still gets a distinct prefix.
            mac.update(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_le_bytes());
            mac.update(part);
        }
        Tag(mac.finalize().into_bytes().into())
    }

    /// What the check of the credential tagged `tag` gave, if it was cached less than
    /// `max_age` ago.
    pub(crate) fn get(&self, tag: &Tag) -> Option<V> {
        let entry = self.entries.get(tag)?;
        if entry.cached_at.elapsed() < self.max_age {
            self.hits.fetch_add(1, Ordering::Relaxed);
            Some(entry.value)
        } else {
            self.entries
                .remove_if(tag, |stale| stale.cached_at == entry.cached_at);
            None
        }
    }

    /// Caches what the check of the credential tagged `tag` gave. At most once a second this
    /// also drops the entries that aged out.
    pub(crate) fn insert(&self, tag: Tag, value: V) {
        let now = Instant::now();
        self.sweep(now);
        self.entries.insert(
            tag,
            Entry {
                value,
                cached_at: now,
            },
        );
    }

    fn sweep(&self, now: Instant) {
        let second = now.duration_since(self.created).as_secs();
        let last = self.last_sweep.load(Ordering::Relaxed);
        if second > last
            && self
                .last_sweep
                .compare_exchange(last, second, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.entries
                .retain(|_, entry| now.duration_since(entry.cached_at) < self.max_age);
        }
    }

    /// Drops every entry.
    pub(crate) fn clear(&self) {
        self.entries.clear();
    }

    /// Drops every entry whose value `evict` selects.
    pub(crate) fn evict(&self, evict: impl Fn(&V) -> bool) {
        self.entries.retain(|_, entry| !evict(&entry.value));
    }

    /// Requests served from the cache.
    pub(crate) fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Entries held, fresh or not yet swept.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(config: CredentialCacheConfig) -> CredentialCache<u32> {
        CredentialCache::new(&config).unwrap()
    }

    #[test]
    fn tags_tell_every_split_of_the_same_bytes_apart() {
        let cache = cache(CredentialCacheConfig::default());
        let whole = cache.tag(&[b"alice", b"pw"]);
        assert!(whole == cache.tag(&[b"alice", b"pw"]));
        assert!(whole != cache.tag(&[b"alic", b"epw"]));
        assert!(whole != cache.tag(&[b"alice", b"pw", b""]));
        assert!(whole != cache.tag(&[b"alicepw"]));
    }

    #[test]
    fn tags_are_keyed_per_cache() {
        let (one, two) = (
            cache(CredentialCacheConfig::default()),
            cache(CredentialCacheConfig::default()),
        );
        let tag = one.tag(&[b"alice", b"pw"]);
        assert!(tag != two.tag(&[b"alice", b"pw"]));
        // Not the plain hash a careless cache would file passwords under.
        let plain: [u8; 32] = <Sha256 as sha2::Digest>::digest(b"alicepw").into();
        assert!(tag.0 != plain);
    }

    #[test]
    fn an_entry_is_served_until_it_ages_out() {
        let cache = cache(CredentialCacheConfig::default().max_age(Duration::from_millis(50)));
        let tag = cache.tag(&[b"k"]);
        cache.insert(tag, 7);
        assert_eq!(cache.get(&tag), Some(7));
        assert_eq!(cache.hits(), 1);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(&tag), None);
        assert_eq!(cache.len(), 0, "the stale entry was dropped");
        assert_eq!(cache.hits(), 1);
    }

    #[test]
    fn the_sweep_drops_aged_entries_at_most_once_a_second() {
        let cache = cache(CredentialCacheConfig::default().max_age(Duration::from_millis(1)));
        cache.insert(cache.tag(&[b"a"]), 1);
        std::thread::sleep(Duration::from_millis(5));
        // Within the first second no sweep runs: both entries stay until one is looked up.
        cache.insert(cache.tag(&[b"b"]), 2);
        assert_eq!(cache.len(), 2);
        std::thread::sleep(Duration::from_millis(1000));
        cache.insert(cache.tag(&[b"c"]), 3);
        assert_eq!(cache.len(), 1, "a and b aged out and were swept");
    }

    #[test]
    fn the_sweep_keeps_the_entries_still_fresh() {
        let cache = cache(CredentialCacheConfig::default().max_age(Duration::from_secs(60)));
        let first = cache.tag(&[b"a"]);
        cache.insert(first, 1);
        std::thread::sleep(Duration::from_millis(1100));
        // A second later this insert sweeps; `a` is a second old of its sixty.
        cache.insert(cache.tag(&[b"b"]), 2);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&first), Some(1));
    }

    #[test]
    fn the_cache_is_bounded_in_entries() {
        let cache = cache(CredentialCacheConfig::default().max_entries(100));
        for i in 0..10_000u32 {
            cache.insert(cache.tag(&[&i.to_le_bytes()]), i);
        }
        assert!(cache.len() <= 100, "{}", cache.len());
        assert!(cache.len() >= 50, "{}", cache.len());
    }

    #[test]
    fn a_cache_keeps_at_least_one_entry() {
        let cache = cache(CredentialCacheConfig::default().max_entries(0));
        let tag = cache.tag(&[b"k"]);
        cache.insert(tag, 1);
        assert_eq!(cache.get(&tag), Some(1));
    }

    #[test]
    fn clear_and_evict_drop_entries() {
        let cache = cache(CredentialCacheConfig::default());
        let (one, two) = (cache.tag(&[b"1"]), cache.tag(&[b"2"]));
        cache.insert(one, 1);
        cache.insert(two, 2);
        cache.evict(|value| *value == 1);
        assert_eq!((cache.get(&one), cache.get(&two)), (None, Some(2)));
        cache.clear();
        assert_eq!(cache.get(&two), None);
    }

    #[test]
    fn a_disabled_or_ageless_cache_is_none() {
        assert!(CredentialCache::<u32>::new(&CredentialCacheConfig::disabled()).is_none());
        let ageless = CredentialCacheConfig::default().max_age(Duration::ZERO);
        assert!(CredentialCache::<u32>::new(&ageless).is_none());
    }
}
