//! A DPoP replay cache every instance shares through Redis (feature `redis`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::dpop::replay::{FirstUse, ProofId, ReplayCache, ReplayCheck};
use crate::revocation::redis::RedisStore;

/// A [`ReplayCache`] shared by every instance through Redis: a proof accepted by one instance
/// is a replay on every other (RFC 9449 §11.1), which an application behind a load balancer
/// that does not pin clients needs. Each proof is one `SET NX PX` under
/// `<namespace>:once:<proof id in hex>`, expiring when the proof's window closes, on the
/// connection of the [`RedisStore`] the authenticator shares its revocations through (give the
/// builder the same `Arc`). The worker never blocks: the request waits for Redis's answer as
/// for any I/O. When Redis cannot answer (down, or slower than the store's response timeout),
/// the proof is refused with `503` and `Retry-After`, never accepted unremembered.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use auth_runtime::{Authenticator, DpopConfig, RedisReplayCache, RedisStore};
///
/// let store = Arc::new(RedisStore::new("redis://127.0.0.1:6379/")?);
/// let auth = Authenticator::builder()
///     .issuer("https://idp.example")
///     .jwks_url("https://idp.example/jwks")
///     .revocation_store(Arc::clone(&store))
///     .dpop(DpopConfig::default().replay_cache(RedisReplayCache::new(store)))
///     .build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisReplayCache {
    store: Arc<RedisStore>,
}

impl RedisReplayCache {
    /// Proofs remembered through `store`, which must also be the authenticator's revocation
    /// store (its connection is opened when the authenticator is built).
    pub fn new(store: Arc<RedisStore>) -> Self {
        RedisReplayCache { store }
    }
}

impl fmt::Debug for RedisReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayCache")
            .field("store", &self.store)
            .finish()
    }
}

impl ReplayCache for RedisReplayCache {
    fn first_use(&self, proof: &ProofId, until: u64, now: u64) -> ReplayCheck {
        let mut id = String::with_capacity(64);
        for byte in proof.as_bytes() {
            id.push_str(&format!("{byte:02x}"));
        }
        // Kept at least a second: a proof whose window closes now is still one use.
        let ttl = Duration::from_secs(until.saturating_sub(now).max(1));
        let answer = self.store.first_use(&id, ttl);
        ReplayCheck::pending(async move {
            match answer.await {
                Ok(true) => FirstUse::Yes,
                Ok(false) => FirstUse::Replayed,
                Err(error) => {
                    tracing::error!(
                        target: "auth_runtime",
                        %error,
                        "the DPoP replay cache in Redis did not answer: proof refused (503)"
                    );
                    FirstUse::Unavailable
                }
            }
        })
    }
}
