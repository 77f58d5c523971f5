//! The verified-token cache: a token whose signature was verified once is not verified again
//! while it stays valid.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Lifecycle, Weighter};

use crate::bearer::claims::Verified;
use crate::principal::Principal;
use crate::revocation::deny_list::TokenIds;

/// Settings of the verified-token cache (on by default).
///
/// Only tokens that passed every check enter the cache, so a flood of distinct garbage tokens
/// cannot evict the working set. While the cache is full (it evicted an entry in the last
/// minute), a new token enters only when it is seen a second time, so that a flood of valid
/// one-time tokens does not churn it either; otherwise a token enters when it is first
/// verified. A hit requires the exact same token bytes; `exp` and `nbf`
/// (with the leeway) are re-checked on every hit; an entry older than
/// [`max_age`](Self::max_age) is verified afresh; an entry whose key left the key set is
/// dropped with it.
///
/// ```
/// use std::time::Duration;
/// use auth_runtime::TokenCacheConfig;
///
/// let config = TokenCacheConfig::default()
///     .max_entries(50_000)
///     .max_bytes(64 << 20)
///     .max_age(Duration::from_secs(120));
/// let off = TokenCacheConfig::disabled();
/// # let _ = (config, off);
/// ```
#[derive(Debug, Clone)]
pub struct TokenCacheConfig {
    enabled: bool,
    max_entries: usize,
    max_bytes: u64,
    max_age: Duration,
}

impl Default for TokenCacheConfig {
    fn default() -> Self {
        TokenCacheConfig {
            enabled: true,
            max_entries: 10_000,
            max_bytes: 32 << 20,
            max_age: Duration::from_secs(300),
        }
    }
}

impl TokenCacheConfig {
    /// No cache: every request verifies its token's signature.
    pub fn disabled() -> Self {
        TokenCacheConfig {
            enabled: false,
            ..TokenCacheConfig::default()
        }
    }

    /// The most entries kept. Default: 10,000.
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries.max(1);
        self
    }

    /// The most bytes kept, estimated from each token's length. Default: 32 MiB.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes.max(1);
        self
    }

    /// How long an entry may be served before the token is verified again. Default: 5 minutes.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }
}

/// Hit and miss counts of the verified-token cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Requests served from the cache.
    pub hits: u64,
    /// Requests whose token was verified in full.
    pub misses: u64,
    /// Entries currently held.
    pub entries: usize,
}

/// A cached verification, shared so that a hit clones one pointer.
#[derive(Clone)]
struct Entry(Arc<Cached>);

struct Cached {
    /// The exact token bytes: a hit requires them, whatever the hash says.
    token: Box<[u8]>,
    principal: Arc<Principal>,
    /// What the deny-list knows the token by: checked on every hit.
    ids: TokenIds,
    /// The fingerprint of the key that verified the token.
    key: u64,
    exp: u64,
    nbf: Option<u64>,
    cached_at: u64,
}

/// Weighs an entry by its estimated size, but never less than `max_bytes / max_entries`, so
/// that one weight budget bounds both bytes and entries.
#[derive(Clone)]
struct ByTokenLength {
    min_weight: u64,
}

impl Weighter<u64, Entry> for ByTokenLength {
    fn weight(&self, _: &u64, entry: &Entry) -> u64 {
        // The claims in memory take roughly twice the token's length; add fixed overhead.
        (entry.0.token.len() as u64 * 3 + 256).max(self.min_weight)
    }
}

/// The entries are keyed by the token's hash, computed once per lookup; this passes that key
/// through instead of hashing it a second time.
#[derive(Clone, Default)]
struct PreHashed;

impl BuildHasher for PreHashed {
    type Hasher = PreHashedHasher;

    fn build_hasher(&self) -> PreHashedHasher {
        PreHashedHasher(0)
    }
}

struct PreHashedHasher(u64);

impl Hasher for PreHashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }

    // Only `u64` keys are hashed here; anything else is still mixed in, never ignored.
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
}

/// Notes that the cache evicted an entry to make room, and drops evicted entries outside the
/// cache's locks.
#[derive(Clone)]
struct NoteEvictions {
    evicted: Arc<AtomicBool>,
}

impl Lifecycle<u64, Entry> for NoteEvictions {
    type RequestState = Option<Entry>;

    fn on_evict(&self, evicted: &mut Option<Entry>, _: u64, entry: Entry) {
        self.evicted.store(true, Ordering::Relaxed);
        *evicted = Some(entry);
    }
}

/// Eight slots of the admission filter, one cache line: a token's two candidate slots are in
/// the same line, so that checking them is one access to memory, not two (while the cache is
/// full, every new token is checked, and the filter is too large to stay in the nearest
/// caches between requests).
#[repr(align(64))]
struct SlotLine([AtomicU64; 8]);

/// How many of a token's last bytes its cache key is computed from (see `TokenCache::key_of`).
const KEYED_SUFFIX: usize = 32;

/// How long after an eviction new tokens must be seen twice to enter.
const PRESSURE_SECS: u64 = 60;

pub(crate) struct TokenCache {
    entries: Cache<u64, Entry, ByTokenLength, PreHashed, NoteEvictions>,
    /// Hashes token bytes, seeded per process.
    hasher: DefaultHashBuilder,
    /// Set by the cache's lifecycle when an insert evicted an entry.
    evicted: Arc<AtomicBool>,
    /// When an insert last evicted an entry, in seconds since the epoch (0: never).
    last_eviction: AtomicU64,
    /// The hashes of tokens verified once while the cache was full, one per slot: the
    /// admission filter (a "doorkeeper") that a token must pass a second time to enter.
    seen_once: Box<[SlotLine]>,
    max_age: u64,
    leeway: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    last_sweep: AtomicU64,
}

impl TokenCache {
    pub(crate) fn new(config: &TokenCacheConfig, leeway: Duration) -> Option<Self> {
        if !config.enabled {
            return None;
        }
        let evicted = Arc::new(AtomicBool::new(false));
        // One slot per entry (rounded up to a power of two), at most 2^20 slots (8 MiB), in
        // lines of eight.
        let lines = config
            .max_entries
            .clamp(1, 1 << 20)
            .next_power_of_two()
            .div_ceil(8);
        Some(TokenCache {
            entries: Cache::with(
                config.max_entries,
                config.max_bytes,
                ByTokenLength {
                    min_weight: config.max_bytes.div_ceil(config.max_entries as u64),
                },
                PreHashed,
                NoteEvictions {
                    evicted: Arc::clone(&evicted),
                },
            ),
            hasher: DefaultHashBuilder::default(),
            evicted,
            last_eviction: AtomicU64::new(0),
            seen_once: (0..lines)
                .map(|_| SlotLine(std::array::from_fn(|_| AtomicU64::new(0))))
                .collect(),
            max_age: config.max_age.as_secs(),
            leeway: leeway.as_secs(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            last_sweep: AtomicU64::new(0),
        })
    }

    /// The cached principal of exactly `token`, if still valid at `now` and verified by a key
    /// for which `key_is_current` holds.
    #[cfg(test)]
    pub(crate) fn get(
        &self,
        token: &[u8],
        now: u64,
        key_is_current: impl FnOnce(u64) -> bool,
    ) -> Option<Arc<Principal>> {
        self.lookup(token, now, key_is_current, |principal, _| {
            Arc::clone(principal)
        })
    }

    /// What `serve` makes of the cached principal of exactly `token` and its identifiers, if
    /// the entry is still valid at `now` and was verified by a key for which `key_is_current`
    /// holds. `serve` runs on every hit: it is where the deny-list is consulted.
    pub(crate) fn lookup<R>(
        &self,
        token: &[u8],
        now: u64,
        key_is_current: impl FnOnce(u64) -> bool,
        serve: impl FnOnce(&Arc<Principal>, &TokenIds) -> R,
    ) -> Option<R> {
        let hash = self.key_of(token);
        let cached = self
            .entries
            .get(&hash)
            .filter(|Entry(cached)| *cached.token == *token);
        match cached {
            Some(Entry(cached)) if self.is_fresh(&cached, now) && key_is_current(cached.key) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(serve(&cached.principal, &cached.ids))
            }
            stale => {
                self.prefetch_admission(hash);
                self.misses.fetch_add(1, Ordering::Relaxed);
                // A stale entry is dropped rather than re-checked on every request; a plain
                // miss (nothing cached) costs no second lookup.
                if stale.is_some() {
                    self.entries
                        .remove_if(&hash, |Entry(cached)| *cached.token == *token);
                }
                None
            }
        }
    }

    /// The key `token` is filed under: a seeded hash of its last [`KEYED_SUFFIX`] bytes.
    ///
    /// Only verified tokens enter the cache, and a verified token ends with its signature, so
    /// these bytes already tell cached tokens apart: nobody without the signing key can make a
    /// second valid token that ends with them (31 base64url characters carry 186 bits). A token
    /// that merely shares them (garbage, or a forgery) costs one byte comparison and is verified
    /// as usual; a hit always requires the exact token bytes. Hashing a suffix instead of the
    /// whole token keeps a lookup's cost the same for a 700-byte RS256 token as for HS256.
    fn key_of(&self, token: &[u8]) -> u64 {
        self.hasher
            .hash_one(&token[token.len().saturating_sub(KEYED_SUFFIX)..])
    }

    fn is_fresh(&self, entry: &Cached, now: u64) -> bool {
        now <= entry.exp.saturating_add(self.leeway)
            && entry
                .nbf
                .is_none_or(|nbf| nbf <= now.saturating_add(self.leeway))
            && now < entry.cached_at.saturating_add(self.max_age)
    }

    /// Caches a verified token, unless the cache is full and the token was not verified before
    /// (see [`TokenCacheConfig`]). At most once a second this also drops the entries that
    /// expired or whose key is no longer current: `current_keys` is asked then, once, for the
    /// test.
    pub(crate) fn insert<K: Fn(u64) -> bool>(
        &self,
        token: &[u8],
        verified: &Verified,
        now: u64,
        current_keys: impl FnOnce() -> K,
    ) {
        self.sweep(now, current_keys);
        let hash = self.key_of(token);
        if !self.admits(hash, now) {
            return;
        }
        let entry = Entry(Arc::new(Cached {
            token: token.into(),
            principal: Arc::clone(&verified.principal),
            ids: verified.ids.clone(),
            key: verified.key,
            exp: verified.exp,
            nbf: verified.nbf,
            cached_at: now,
        }));
        self.entries.insert(hash, entry);
        if self.evicted.load(Ordering::Relaxed) && self.evicted.swap(false, Ordering::Relaxed) {
            self.last_eviction.store(now.max(1), Ordering::Relaxed);
        }
    }

    /// Whether a newly verified token enters: always while the cache has room; while it is
    /// full, only on the token's second verification. Entering at once would evict an entry
    /// and free its claims, cold in memory, on every request of a flood of one-time tokens.
    fn admits(&self, hash: u64, now: u64) -> bool {
        let last_eviction = self.last_eviction.load(Ordering::Relaxed);
        if last_eviction == 0 || now >= last_eviction.saturating_add(PRESSURE_SECS) {
            return true;
        }
        let slots = self.candidate_slots(hash);
        if slots
            .iter()
            .any(|slot| slot.load(Ordering::Relaxed) == hash)
        {
            return true;
        }
        // The miss count, mixed, picks the slot: its low bit alone would repeat for a client
        // whose requests come every even number of misses.
        let turn = (self
            .misses
            .load(Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> 63) as usize;
        slots[turn].store(hash, Ordering::Relaxed);
        false
    }

    /// Starts loading the admission filter's line for `hash` without waiting for it: called
    /// when a token misses the cache, so that the line is at hand when the token, verified in
    /// the meantime, is offered to the cache (`admits`). While the cache is full, every new
    /// token reads a line of the filter, and the filter does not stay in the processor's caches
    /// between requests: without this, every new token waits for memory there.
    fn prefetch_admission(&self, hash: u64) {
        #[cfg(all(
            any(target_arch = "x86", target_arch = "x86_64"),
            target_feature = "sse"
        ))]
        safe_arch::prefetch_t0(self.line(hash));
        #[cfg(not(all(
            any(target_arch = "x86", target_arch = "x86_64"),
            target_feature = "sse"
        )))]
        let _ = hash;
    }

    /// The line of the admission filter a token with `hash` is remembered in.
    fn line(&self, hash: u64) -> &SlotLine {
        &self.seen_once[hash as usize & (self.seen_once.len() - 1)]
    }

    /// The two slots of the admission filter a token with `hash` may be remembered in: two, the
    /// one written chosen afresh on each verification, so that two tokens sharing a slot cannot
    /// keep overwriting each other; in one line, chosen by the hash's low bits, at two
    /// different places chosen by its high bits.
    fn candidate_slots(&self, hash: u64) -> [&AtomicU64; 2] {
        let SlotLine(line) = self.line(hash);
        let first = (hash >> 32) as usize % 8;
        // 1 to 7 places away.
        let second = first ^ (1 + (hash >> 40) as usize % 7);
        [&line[first], &line[second]]
    }

    /// Drops expired entries and those of keys that left, at most once a second.
    fn sweep<K: Fn(u64) -> bool>(&self, now: u64, current_keys: impl FnOnce() -> K) {
        let last = self.last_sweep.load(Ordering::Relaxed);
        if now > last
            && self
                .last_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let key_is_current = current_keys();
            self.entries.retain(|_, Entry(cached)| {
                self.is_fresh(cached, now) && key_is_current(cached.key)
            });
        }
    }

    /// Drops every entry whose principal `evict` selects (revocation).
    pub(crate) fn evict(&self, evict: impl Fn(&Principal) -> bool) {
        self.entries
            .retain(|_, Entry(cached)| !evict(&cached.principal));
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.entries.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::principal::Scopes;
    use crate::scheme::Scheme;
    use serde_json::json;

    const NOW: u64 = 1_800_000_000;

    fn principal() -> Arc<Principal> {
        Arc::new(Principal::new(
            Scheme::Bearer,
            Scopes::new(),
            json!({"sub": "u"}),
        ))
    }

    /// A token verified by key `key`, valid until `exp`.
    fn verified(exp: u64, key: u64) -> Verified {
        Verified {
            principal: principal(),
            exp,
            nbf: None,
            key,
            ids: TokenIds::new(None, None, None),
            bound_key: None,
        }
    }

    fn cache() -> TokenCache {
        TokenCache::new(&TokenCacheConfig::default(), Duration::from_secs(60)).unwrap()
    }

    /// Caches each of `tokens`, valid for ten minutes, verified by key 7 at `NOW`.
    fn insert_all(cache: &TokenCache, tokens: impl Iterator<Item = String>) {
        for token in tokens {
            cache.insert(token.as_bytes(), &verified(NOW + 600, 7), NOW, || |_| true);
        }
    }

    #[test]
    fn only_the_exact_same_token_hits() {
        let cache = cache();
        cache.insert(b"a.b.c", &verified(NOW + 600, 7), NOW, || |_| true);
        assert!(cache.get(b"a.b.c", NOW, |_| true).is_some());
        assert!(cache.get(b"a.b.C", NOW, |_| true).is_none());
        assert!(cache.get(b"a.b.c ", NOW, |_| true).is_none());
        assert_eq!(cache.stats().hits, 1);
        assert_eq!(cache.stats().misses, 2);
    }

    #[test]
    fn a_hash_collision_never_serves_another_tokens_claims() {
        let cache = cache();
        // Another token's entry filed under the hash of "mine", as a collision would file it.
        let theirs = Entry(Arc::new(Cached {
            token: b"theirs".as_slice().into(),
            principal: principal(),
            ids: TokenIds::new(None, None, None),
            key: 7,
            exp: NOW + 600,
            nbf: None,
            cached_at: NOW,
        }));
        cache.entries.insert(cache.key_of(b"mine"), theirs);
        assert!(cache.get(b"mine", NOW, |_| true).is_none());
        assert_eq!(cache.stats().misses, 1);
    }

    #[test]
    fn a_token_that_only_ends_like_a_cached_one_misses() {
        let cache = cache();
        let signature = "s".repeat(KEYED_SUFFIX);
        let (mine, forged) = (format!("h.p1.{signature}"), format!("h.p2.{signature}"));
        cache.insert(mine.as_bytes(), &verified(NOW + 600, 7), NOW, || |_| true);
        assert!(cache.get(forged.as_bytes(), NOW, |_| true).is_none());
        assert!(cache.get(mine.as_bytes(), NOW, |_| true).is_some());
    }

    #[test]
    fn expiry_is_rechecked_on_every_hit() {
        let cache = cache();
        cache.insert(b"t", &verified(NOW + 10, 7), NOW, || |_| true);
        assert!(
            cache.get(b"t", NOW + 70, |_| true).is_some(),
            "within leeway"
        );
        assert!(cache.get(b"t", NOW + 71, |_| true).is_none());
        assert_eq!(cache.stats().entries, 0, "the expired entry was dropped");
    }

    #[test]
    fn nbf_is_rechecked_on_every_hit() {
        let cache = cache();
        let mut with_nbf = verified(NOW + 600, 7);
        with_nbf.nbf = Some(NOW - 5);
        cache.insert(b"t", &with_nbf, NOW, || |_| true);
        assert!(cache.get(b"t", NOW, |_| true).is_some());
        // A clock that stepped back: `nbf` is within the 60 s leeway, then beyond it.
        assert!(
            cache.get(b"t", NOW - 65, |_| true).is_some(),
            "within leeway"
        );
        assert!(cache.get(b"t", NOW - 66, |_| true).is_none());
        assert_eq!(cache.stats().entries, 0, "the entry was dropped");
    }

    #[test]
    fn entries_older_than_max_age_are_verified_again() {
        let config = TokenCacheConfig::default().max_age(Duration::from_secs(30));
        let cache = TokenCache::new(&config, Duration::from_secs(60)).unwrap();
        cache.insert(b"t", &verified(NOW + 600, 7), NOW, || |_| true);
        assert!(cache.get(b"t", NOW + 29, |_| true).is_some());
        assert!(cache.get(b"t", NOW + 30, |_| true).is_none());
    }

    #[test]
    fn entries_of_a_key_that_left_are_dropped() {
        let cache = cache();
        cache.insert(b"t", &verified(NOW + 600, 7), NOW, || |_| true);
        assert!(cache.get(b"t", NOW, |key| key == 8).is_none());
        cache.insert(b"u", &verified(NOW + 600, 7), NOW, || |_| true);
        // A later insert sweeps the entries of keys that left.
        cache.insert(b"v", &verified(NOW + 600, 8), NOW + 1, || |key| key == 8);
        assert_eq!(cache.stats().entries, 1);
    }

    #[test]
    fn the_sweep_runs_at_most_once_a_second() {
        let cache = cache();
        let sweeps = std::cell::Cell::new(0);
        let insert = |token: &str, now: u64| {
            cache.insert(token.as_bytes(), &verified(NOW + 600, 7), now, || {
                sweeps.set(sweeps.get() + 1);
                |_| true
            });
        };
        insert("a", NOW);
        insert("b", NOW);
        insert("c", NOW);
        assert_eq!(sweeps.get(), 1);
        insert("d", NOW + 1);
        insert("e", NOW + 1);
        assert_eq!(sweeps.get(), 2);
        // A clock that stepped back does not sweep again either.
        insert("f", NOW);
        assert_eq!(sweeps.get(), 2);
        assert_eq!(cache.stats().entries, 6);
    }

    #[test]
    fn eviction_selects_by_principal() {
        let cache = cache();
        cache.insert(b"t", &verified(NOW + 600, 7), NOW, || |_| true);
        cache.evict(|principal| principal.subject() == Some("u"));
        assert!(cache.get(b"t", NOW, |_| true).is_none());
    }

    #[test]
    fn the_cache_is_bounded_in_entries() {
        let config = TokenCacheConfig::default()
            .max_entries(100)
            .max_bytes(1 << 30);
        let cache = TokenCache::new(&config, Duration::from_secs(60)).unwrap();
        insert_all(&cache, (0..10_000).map(|i| format!("token-{i}")));
        assert!(cache.stats().entries <= 100, "{}", cache.stats().entries);
        assert!(cache.stats().entries >= 50, "{}", cache.stats().entries);
    }

    #[test]
    fn the_cache_holds_about_its_configured_number_of_entries() {
        // Tokens of a typical size (an RS256 access token), with the default settings: the
        // byte budget covers the configured number of entries. quick_cache splits both over
        // its shards (four per core), so one shard fills a little before the whole: 97.5 % on
        // two cores; the bound leaves room for machines with many more shards.
        let cache = cache();
        let body = "x".repeat(600);
        insert_all(&cache, (0..10_000).map(|i| format!("{body}.{i:031}")));
        let entries = cache.stats().entries;
        assert!((9_000..=10_000).contains(&entries), "{entries}");
    }

    #[test]
    fn an_entry_weighs_its_estimated_size_but_at_least_its_share_of_the_byte_budget() {
        let weigher = ByTokenLength { min_weight: 3356 };
        let weight = |length: usize| {
            let entry = Entry(Arc::new(Cached {
                token: vec![b'x'; length].into(),
                principal: principal(),
                ids: TokenIds::new(None, None, None),
                key: 7,
                exp: NOW + 600,
                nbf: None,
                cached_at: NOW,
            }));
            weigher.weight(&0, &entry)
        };
        // Three bytes per token byte (the token and its decoded claims) and 256 of overhead.
        assert_eq!(weight(600), 3356);
        assert_eq!(weight(1033), 3356);
        assert_eq!(weight(1034), 3358);
        assert_eq!(weight(2000), 6256);
    }

    #[test]
    fn the_cache_is_bounded_in_bytes() {
        let config = TokenCacheConfig::default()
            .max_entries(1_000_000)
            .max_bytes(100_000);
        let cache = TokenCache::new(&config, Duration::from_secs(60)).unwrap();
        let long = "x".repeat(1000);
        insert_all(&cache, (0..1_000).map(|i| format!("{long}{i}")));
        assert!(cache.entries.weight() <= 100_000);
        assert!(cache.stats().entries <= 100_000 / 3256 + 1);
    }

    /// A cache of 1,000 entries that has just been filled past its capacity.
    fn full_cache() -> TokenCache {
        let config = TokenCacheConfig::default()
            .max_entries(1_000)
            .max_bytes(1 << 30);
        let cache = TokenCache::new(&config, Duration::from_secs(60)).unwrap();
        insert_all(&cache, (0..3_000).map(|i| format!("filler-{i}")));
        cache
    }

    #[test]
    fn a_token_enters_when_first_verified_while_there_is_room() {
        let cache = cache();
        cache.insert(b"t", &verified(NOW + 600, 7), NOW, || |_| true);
        assert!(cache.get(b"t", NOW, |_| true).is_some());
    }

    #[test]
    fn while_full_a_new_token_enters_on_its_second_verification() {
        let cache = full_cache();
        cache.insert(b"new", &verified(NOW + 600, 7), NOW, || |_| true);
        assert!(cache.get(b"new", NOW, |_| true).is_none());
        cache.insert(b"new", &verified(NOW + 600, 7), NOW, || |_| true);
        assert!(cache.get(b"new", NOW, |_| true).is_some());
    }

    #[test]
    fn while_full_tokens_seen_twice_enter_though_others_came_in_between() {
        let cache = full_cache();
        // Requests as clients send them: a lookup, and on a miss a verification offered to
        // the cache. 200 clients, each token seen once, then each a second time: the
        // admission filter remembers about 90 % of them across the others (each token has two
        // candidate slots of 1,024; only a later token taking the same slot erases it).
        let clients: Vec<String> = (0..200).map(|i| format!("client-{i}")).collect();
        let admitted = std::cell::Cell::new(0);
        let request = |token: &str| {
            if cache.get(token.as_bytes(), NOW, |_| true).is_none() {
                cache.insert(token.as_bytes(), &verified(NOW + 600, 7), NOW, || |_| true);
                if cache
                    .entries
                    .peek(&cache.key_of(token.as_bytes()))
                    .is_some()
                {
                    admitted.set(admitted.get() + 1);
                }
            }
        };
        clients.iter().for_each(|token| request(token));
        assert_eq!(admitted.get(), 0, "none enters on its first verification");
        clients.iter().for_each(|token| request(token));
        assert!(admitted.get() >= 150, "{} of 200 entered", admitted.get());
    }

    #[test]
    fn a_tokens_two_candidate_slots_differ_and_share_a_cache_line() {
        let cache = full_cache();
        let lines = cache.seen_once.len();
        assert_eq!(lines, 128, "1,024 slots for 1,000 entries, eight to a line");
        let mut used = std::collections::HashSet::new();
        for n in 0..10_000u64 {
            let hash = cache.hasher.hash_one(n);
            let [first, second] = cache
                .candidate_slots(hash)
                .map(|slot| slot as *const _ as usize);
            assert_ne!(first, second, "{hash:#x}");
            assert_eq!(first / 64, second / 64, "{hash:#x}");
            used.extend([first, second]);
        }
        assert_eq!(
            used.len(),
            lines * 8,
            "every slot is some token's candidate"
        );
        // The line from the hash's low bits, the first place from bits 32–34, the distance to
        // the second from bits 40 on: independent parts of the hash.
        for line in [0, 5, 127] {
            let base = &cache.seen_once[line] as *const SlotLine as usize;
            for first in 0..8u64 {
                for distance in 1..8u64 {
                    let hash = (distance - 1) << 40 | first << 32 | line as u64;
                    let places = cache
                        .candidate_slots(hash)
                        .map(|slot| (slot as *const AtomicU64 as usize - base) / 8);
                    let expected = [first, first ^ distance].map(|place| place as usize);
                    assert_eq!(places, expected, "{hash:#x}");
                }
            }
        }
        assert_eq!(
            TokenCache::new(&TokenCacheConfig::default().max_entries(1), Duration::ZERO)
                .unwrap()
                .seen_once
                .len(),
            1
        );
    }

    #[test]
    fn a_minute_after_the_last_eviction_tokens_enter_at_once_again() {
        let cache = full_cache();
        let later = NOW + PRESSURE_SECS;
        cache.insert(b"new", &verified(later + 600, 7), later, || |_| true);
        assert!(cache.get(b"new", later, |_| true).is_some());
    }

    #[test]
    fn pressure_ends_a_minute_after_the_last_eviction() {
        let config = TokenCacheConfig::default()
            .max_entries(1_000)
            .max_bytes(1 << 30);
        let cache = TokenCache::new(&config, Duration::from_secs(60)).unwrap();
        // Filled past capacity with tokens that expire: the next sweep makes room.
        for i in 0..3_000 {
            let token = format!("filler-{i}");
            cache.insert(token.as_bytes(), &verified(NOW + 10, 7), NOW, || |_| true);
        }
        // Each new token enters at once, the ones after the first included: entering
        // where there is room evicts nothing and does not start pressure again.
        let later = NOW + PRESSURE_SECS + 100;
        for (i, token) in ["new", "newer", "newest"].into_iter().enumerate() {
            let now = later + i as u64;
            cache.insert(token.as_bytes(), &verified(now + 600, 7), now, || |_| true);
            assert!(
                cache.get(token.as_bytes(), now, |_| true).is_some(),
                "{token}"
            );
        }
        assert_eq!(cache.stats().entries, 3);
    }

    #[test]
    fn a_flood_of_one_time_tokens_leaves_the_working_set_in_place() {
        let cache = full_cache();
        let working_set: Vec<String> = (0..20).map(|i| format!("client-{i}")).collect();
        // Requests as clients send them: verified and offered to the cache on a miss. A token
        // may share a slot of the admission filter, or be evicted by the next admissions before
        // its first hit, so some take a few requests to settle.
        for _ in 0..10 {
            for token in &working_set {
                if cache.get(token.as_bytes(), NOW, |_| true).is_none() {
                    cache.insert(token.as_bytes(), &verified(NOW + 600, 7), NOW, || |_| true);
                }
            }
        }
        let cached = |token: &str| cache.get(token.as_bytes(), NOW, |_| true).is_some();
        assert!(working_set.iter().all(|token| cached(token)));
        let one_time: Vec<String> = (0..10_000).map(|i| format!("one-time-{i}")).collect();
        for token in &one_time {
            cache.insert(token.as_bytes(), &verified(NOW + 600, 7), NOW, || |_| true);
        }
        assert!(working_set.iter().all(|token| cached(token)));
        assert!(!one_time.iter().any(|token| cached(token)));
    }

    #[test]
    fn keys_other_than_u64_are_still_mixed_into_the_hash() {
        let hash = |bytes: &[u8]| {
            let mut hasher = PreHashed.build_hasher();
            hasher.write(bytes);
            hasher.finish()
        };
        // Each byte rotated in, xored and multiplied by the golden-ratio constant.
        assert_eq!(hash(b"key"), 0xadc2_bd96_3ff6_48ac);
        let mut hasher = PreHashed.build_hasher();
        hasher.write_u64(42);
        assert_eq!(hasher.finish(), 42, "a u64 key is its own hash");
    }

    #[test]
    fn disabled_means_no_cache() {
        assert!(TokenCache::new(&TokenCacheConfig::disabled(), Duration::ZERO).is_none());
    }
}
