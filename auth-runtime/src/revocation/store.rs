//! Where revocations are shared: the [`RevocationStore`] trait, the in-memory store of a single
//! instance, and what an instance does while its store is unreachable.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::error::ConfigError;
use crate::revocation::deny_list::{DenyList, Revocation};

/// The future of [`RevocationStore::share`].
pub type ShareFuture = Pin<Box<dyn Future<Output = Result<(), RevocationError>> + Send>>;

/// Shares revocations between the instances of an application.
///
/// Each instance checks requests against its own in-memory [`DenyList`] only, so a request
/// never waits for the store. The store keeps every instance's list in sync: it delivers
/// the revocations made on other instances (soon after they are made), gives an instance that
/// starts later every revocation still in force, and keeps the revocations of each instance
/// when the store itself loses them.
///
/// [`MemoryStore`] is the default (one instance, nothing to share); with the `redis` feature,
/// `RedisStore` shares them through Redis. Implement this trait for
/// another shared database.
pub trait RevocationStore: Send + Sync + 'static {
    /// Starts keeping `list` in sync: called once, when the authenticator is built. The store
    /// inserts the revocations it learns of into `list`, writes back those of `list` it lost,
    /// and calls [`DenyList::synced`] whenever it confirmed that `list` holds every revocation
    /// in force. Must not block: work that waits runs in the store's own task or thread.
    fn attach(&self, list: DenyList) -> Result<(), ConfigError>;

    /// Shares `revocation`, already in force on this instance, with every other instance.
    /// Fails when the store cannot be reached; the revocation then stays in force here, and a
    /// store that synchronises again writes it back.
    fn share(&self, revocation: &Revocation) -> ShareFuture;
}

/// Why a revocation could not be shared.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// The store cannot be reached. The revocation is in force on this instance, and is
    /// shared when the store is reachable again.
    #[error(
        "the revocation is in force on this instance but could not be shared: {0}; it is \
         written to the store when the store is reachable again"
    )]
    NotShared(String),
}

/// What an instance does while its revocation store cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WhenStoreUnreachable {
    /// Keep serving with the revocations received until then, and log at error level
    /// (availability first). The default.
    #[default]
    KeepServing,
    /// Once the store has not been reached for this long, refuse Bearer requests with `503`
    /// and `Retry-After` (CONFORMANCE row 23) until it answers again: revocations made
    /// elsewhere meanwhile cannot be missed for longer than this.
    RefuseAfter(Duration),
}

/// The store of a single instance: revocations live in its memory and die with it. The
/// default.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryStore;

/// A store shared by handle: `Arc::new(RedisStore::new(..)?)` given to the builder and kept
/// for a [`RedisReplayCache`](crate::RedisReplayCache) on the same connection.
impl<S: RevocationStore> RevocationStore for std::sync::Arc<S> {
    fn attach(&self, list: DenyList) -> Result<(), ConfigError> {
        (**self).attach(list)
    }

    fn share(&self, revocation: &Revocation) -> ShareFuture {
        (**self).share(revocation)
    }
}

impl RevocationStore for MemoryStore {
    fn attach(&self, list: DenyList) -> Result<(), ConfigError> {
        list.never_stale();
        Ok(())
    }

    fn share(&self, _: &Revocation) -> ShareFuture {
        Box::pin(std::future::ready(Ok(())))
    }
}
