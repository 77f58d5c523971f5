//! The verification keys of an authenticator: read without a lock on the request path, swapped
//! whole by the refresher.

use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};

use super::config::RemoteSource;
use super::key_set::{KeySet, RemoteKeys};
use super::refresher::{self, Demand};
use crate::bearer::keys::Key;
use crate::error::ConfigError;

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

    /// Asks for a fetch because a key is missing from `seen` (the set the request looked at):
    /// join the fetch in flight, start one if the cooldown allows, or be refused at once. Also
    /// refused when the keys changed since `seen`, so that a request that looked just before a
    /// fetch finished looks again instead of fetching again.
    pub(crate) fn demand(&self, seen: Option<&KeySet>) -> Demand {
        match &self.refresher {
            Some(refresher) => refresher.demand(seen),
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
    use crate::bearer::jwks::config::{JwksConfig, PlainHttp, RemoteSpec};

    #[test]
    fn a_remote_store_starts_outside_any_runtime() {
        // Nothing listens on the discard port of the loopback interface: refused at once.
        let config = JwksConfig {
            remote: vec![RemoteSpec::JwksUrl("http://127.0.0.1:9/jwks.json".into())],
            http: PlainHttp::Loopback,
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
        let Demand::Wait(wait) = store.demand(None) else {
            panic!("a first request may fetch");
        };
        runtime.block_on(wait.finished());
        assert!(matches!(store.demand(None), Demand::Refused));
    }
}
