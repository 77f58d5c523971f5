//! Revocation shared by every instance of an application.
//!
//! - `deny_list`: what a [`Revocation`](deny_list::Revocation) names and the in-memory
//!   [`DenyList`](deny_list::DenyList) every Bearer request is checked against, even when its
//!   token is served from a cache;
//! - `store`: the [`RevocationStore`](store::RevocationStore) trait that keeps the lists of
//!   every instance in sync, and the in-memory store of a single instance;
//! - `redis` (feature `redis`): the store shared through Redis.

pub(crate) mod deny_list;
#[cfg(feature = "redis")]
pub(crate) mod redis;
pub(crate) mod store;
