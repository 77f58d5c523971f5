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

pub(crate) mod config;
pub(crate) mod document;
mod fetch;
pub(crate) mod key_set;
pub(crate) mod refresher;
pub(crate) mod store;
