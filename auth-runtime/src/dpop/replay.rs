//! The memory of DPoP proofs already used (RFC 9449 §11.1): [`ReplayCache`], its bounded
//! in-memory default, [`MemoryReplayCache`], and what a cache answers, now or later
//! ([`ReplayCheck`]).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Mutex;

use crate::outcome::Outcome;

/// What a [`ReplayCache`] knows a proof by: a SHA-256 of the RFC 7638 thumbprint of the
/// proof's key and its `jti`.
///
/// The proof's bytes are deliberately not part of it: a proof sent again in another valid
/// encoding (an ECDSA signature `(r, n − s)`, for instance, verifies too) has the same key and
/// `jti`, so it is the same proof here. Proofs of different clients never collide, whatever
/// `jti` they choose.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProofId([u8; 32]);

impl ProofId {
    pub(crate) fn new(bytes: [u8; 32]) -> Self {
        ProofId(bytes)
    }

    /// The identifier's 32 bytes, for a cache that stores them elsewhere.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ProofId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ProofId({:02x}{:02x}{:02x}{:02x}…)",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

/// What [`ReplayCache::first_use`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstUse {
    /// The proof was not seen before; it is now remembered.
    Yes,
    /// The proof was seen before within its window: a replay.
    Replayed,
    /// The cache cannot remember one more proof (every entry is still within its window):
    /// the request is answered `503` with `Retry-After`, never accepted unremembered.
    Full,
    /// A shared store could not answer (unreachable, too slow): the request is answered `503`
    /// with `Retry-After`, never accepted unremembered.
    Unavailable,
}

/// What [`ReplayCache::first_use`] answers: at once (a cache in memory), or once a shared
/// store replied, without blocking the worker meanwhile.
pub struct ReplayCheck(pub(crate) Outcome<FirstUse>);

impl ReplayCheck {
    /// The answer, known now.
    pub fn ready(answer: FirstUse) -> Self {
        ReplayCheck(Outcome::ready(answer))
    }

    /// The answer `answer` will give: the request waits for it on its worker, as for any
    /// other I/O. It should end within a bounded time (a store's response timeout), with
    /// [`FirstUse::Unavailable`] when the store does not answer.
    pub fn pending(answer: impl Future<Output = FirstUse> + 'static) -> Self {
        ReplayCheck(Outcome::pending(answer))
    }
}

impl From<FirstUse> for ReplayCheck {
    fn from(answer: FirstUse) -> Self {
        ReplayCheck::ready(answer)
    }
}

impl fmt::Debug for ReplayCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReplayCheck")
    }
}

/// Remembers the DPoP proofs used within their window, so that each is accepted once (RFC 9449
/// §11.1). [`MemoryReplayCache`] (the default) remembers them in this instance; an
/// application with several instances behind a load balancer that does not pin clients
/// implements this trait over a store they share.
///
/// `first_use` is called on the request path, once per accepted proof, after every other
/// check passed. A cache in memory answers at once (`FirstUse::Yes.into()`); one over a shared
/// store answers with [`ReplayCheck::pending`] and never blocks the worker on the network nor
/// holds a lock across I/O (see `RedisReplayCache`, feature `redis`).
pub trait ReplayCache: Send + Sync + 'static {
    /// Remembers `proof` until `until` (seconds since the epoch) if it is new at `now`, and
    /// says whether it was. Checking and remembering are one atomic step: of two concurrent
    /// calls with the same proof, exactly one gets [`FirstUse::Yes`].
    fn first_use(&self, proof: &ProofId, until: u64, now: u64) -> ReplayCheck;
}

/// How many independently locked parts the in-memory cache has.
const SHARDS: usize = 16;

/// The default [`ReplayCache`]: the proofs of this instance, in memory, at most
/// `max_entries` (default 1,000,000, about 40 MB when full) at a time. Entries leave when
/// their window closes; when every entry is still within its window, new proofs are answered
/// `503` (never accepted without being remembered).
pub struct MemoryReplayCache {
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
}

struct Shard {
    /// Proof → until when it is remembered.
    seen: HashMap<[u8; 16], u64>,
    /// When the shard was last swept of closed windows.
    swept_at: u64,
}

impl Default for MemoryReplayCache {
    fn default() -> Self {
        MemoryReplayCache::new(1_000_000)
    }
}

impl fmt::Debug for MemoryReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayCache")
            .field("max_entries", &(self.per_shard * SHARDS))
            .finish_non_exhaustive()
    }
}

impl MemoryReplayCache {
    /// A cache of at most `max_entries` proofs (at least 16).
    pub fn new(max_entries: usize) -> Self {
        let per_shard = max_entries.div_ceil(SHARDS).max(1);
        MemoryReplayCache {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        seen: HashMap::new(),
                        swept_at: 0,
                    })
                })
                .collect(),
            per_shard,
        }
    }

    /// How many proofs are remembered now.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().map_or(0, |shard| shard.seen.len()))
            .sum()
    }

    /// Whether no proof is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ReplayCache for MemoryReplayCache {
    fn first_use(&self, proof: &ProofId, until: u64, now: u64) -> ReplayCheck {
        self.record(proof, until, now).into()
    }
}

impl MemoryReplayCache {
    /// [`ReplayCache::first_use`], answered at once.
    fn record(&self, proof: &ProofId, until: u64, now: u64) -> FirstUse {
        let bytes = proof.as_bytes();
        // The identifier is a SHA-256 output: any of its bytes pick a shard evenly, and 128 of
        // its bits tell proofs apart.
        let shard = &self.shards[usize::from(bytes[31]) % SHARDS];
        let key: [u8; 16] = bytes[..16].try_into().unwrap_or_default();
        let mut shard = match shard.lock() {
            Ok(shard) => shard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(&seen_until) = shard.seen.get(&key) {
            if seen_until >= now {
                return FirstUse::Replayed;
            }
        }
        // Closed windows are swept once a second, or at once when the shard is full.
        if shard.seen.len() >= self.per_shard || now > shard.swept_at {
            shard.seen.retain(|_, until| *until >= now);
            shard.swept_at = now;
        }
        if shard.seen.len() >= self.per_shard {
            return FirstUse::Full;
        }
        shard.seen.insert(key, until);
        FirstUse::Yes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ProofId {
        let mut bytes = [0u8; 32];
        bytes[0] = n;
        bytes[31] = n;
        ProofId(bytes)
    }

    #[test]
    fn a_proof_is_new_once_then_replayed_until_its_window_closes() {
        let cache = MemoryReplayCache::new(100);
        assert_eq!(cache.record(&id(1), 110, 100), FirstUse::Yes);
        assert_eq!(cache.record(&id(1), 110, 105), FirstUse::Replayed);
        assert_eq!(cache.record(&id(1), 110, 110), FirstUse::Replayed);
        assert_eq!(cache.record(&id(2), 110, 105), FirstUse::Yes);
        assert_eq!(cache.record(&id(1), 121, 111), FirstUse::Yes);
    }

    #[test]
    fn a_full_cache_refuses_rather_than_forgets() {
        let cache = MemoryReplayCache::new(16);
        // One entry per shard: each id below lands in shard n % 16.
        for n in 0..16 {
            assert_eq!(cache.record(&id(n), 200, 100), FirstUse::Yes);
        }
        assert_eq!(cache.record(&id(16), 200, 100), FirstUse::Full);
        assert_eq!(cache.record(&id(0), 200, 150), FirstUse::Replayed);
        // Once windows close, room comes back.
        assert_eq!(cache.record(&id(16), 300, 201), FirstUse::Yes);
        assert_eq!(cache.len(), 16);
    }

    #[test]
    fn a_full_shard_is_swept_at_once_even_within_the_second_of_its_last_sweep() {
        // One entry per shard; ids 0 and 16 share shard 0.
        let cache = MemoryReplayCache::new(16);
        assert_eq!(cache.record(&id(0), 99, 100), FirstUse::Yes);
        assert_eq!(cache.record(&id(16), 200, 100), FirstUse::Yes);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn closed_windows_are_swept_on_the_first_use_of_each_new_second_only() {
        let cache = MemoryReplayCache::new(1_600);
        assert!(cache.is_empty());
        // Shard 1 throughout (the last byte of the id).
        let id = |n: u8| {
            let mut bytes = [0u8; 32];
            bytes[0] = n;
            bytes[31] = 1;
            ProofId(bytes)
        };
        assert_eq!(cache.record(&id(1), 100, 100), FirstUse::Yes);
        assert!(!cache.is_empty());
        // A new second: the entry whose window closed (100 < 101) is swept.
        assert_eq!(cache.record(&id(2), 100, 101), FirstUse::Yes);
        assert_eq!(cache.len(), 1);
        // Within the same second no sweep runs again: the entry just remembered past its
        // window stays until the next second.
        assert_eq!(cache.record(&id(3), 200, 101), FirstUse::Yes);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.record(&id(4), 200, 102), FirstUse::Yes);
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn debug_output_names_the_size_and_a_prefix_of_the_id_only() {
        let cache = MemoryReplayCache::new(1_000);
        assert_eq!(
            format!("{cache:?}"),
            "MemoryReplayCache { max_entries: 1008, .. }"
        );
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(format!("{:?}", ProofId(bytes)), "ProofId(deadbeef…)");
        assert_eq!(
            format!("{:?}", ReplayCheck::ready(FirstUse::Yes)),
            "ReplayCheck"
        );
    }
}
