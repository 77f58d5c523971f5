//! One immutable generation of verification keys, and how a token's header selects its key
//! (RFC 8725 §3.1: by `kid`, never by the header's algorithm alone).

use std::fmt;
use std::time::Instant;

use crate::bearer::header::JoseHeader;
use crate::bearer::keys::Key;

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
pub(crate) enum RemoteKeys {
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
    pub(crate) fn new(configured: Vec<Key>, remote: RemoteKeys) -> Self {
        KeySet {
            configured: configured.len(),
            keys: configured,
            remote,
        }
    }

    /// The configured keys followed by `fetched`; a fetched key whose `kid` a configured key
    /// already has is left out.
    pub(crate) fn with_fetched(
        configured: &[Key],
        fetched: Vec<Key>,
        stale_at: Option<Instant>,
    ) -> Self {
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
    pub(crate) fn kids(&self) -> Vec<&str> {
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
    /// one key that accepts the header's `alg`. The header never chooses the algorithm (RFC 8725
    /// §3.1), and its `jku`, `x5u`, `jwk` and `x5c` are never looked at.
    pub(crate) fn select(&self, header: &JoseHeader<'_>) -> Result<&'k Key, Miss> {
        if let Some(kid) = header.kid.as_deref() {
            let key = self
                .keys
                .iter()
                .find(|key| key.kid() == Some(kid))
                .ok_or(Miss::UnknownKid)?;
            return if key.accepts(header.alg) {
                Ok(key)
            } else {
                Err(Miss::AlgorithmMismatch)
            };
        }
        let mut candidates = self.keys.iter().filter(|key| key.accepts(header.alg));
        match (candidates.next(), candidates.next()) {
            (Some(key), None) => Ok(key),
            (None, _) => Err(Miss::NoKeyForAlgorithm),
            (Some(_), Some(_)) => Err(Miss::Ambiguous),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bearer::keys::AlgName;
    use jsonwebtoken::Algorithm;
    use std::borrow::Cow;
    use std::time::Duration;

    fn hmac(alg: Algorithm, kid: Option<&str>) -> Key {
        let key = Key::hmac(alg, [7u8; 64]).unwrap();
        match kid {
            Some(kid) => key.with_kid(kid),
            None => key,
        }
    }

    fn header(alg: Algorithm, kid: Option<&str>) -> JoseHeader<'static> {
        JoseHeader {
            alg: AlgName::Registered(alg),
            kid: kid.map(|kid| Cow::Owned(kid.to_owned())),
            typ: None,
        }
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
}
