//! Server nonces (RFC 9449 §8, §9), stateless: a nonce is the period it was made in and an
//! HMAC of that period under a key of this server (or of every instance, when configured), so
//! checking one needs no memory of the nonces given out. A nonce is good in its period and the
//! next; the current one is given in `DPoP-Nonce`.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::ConfigError;

/// The bytes of a nonce's tag.
const TAG_BYTES: usize = 16;

/// The bytes of a nonce: its period, then its tag.
const NONCE_BYTES: usize = 8 + TAG_BYTES;

/// Room to decode a nonce into: a few bytes more than one holds, so that a longer value decodes
/// and is refused by its length rather than by a full buffer (either way it is stale).
const DECODE_BYTES: usize = NONCE_BYTES + 3;

/// Makes and checks nonces.
pub(crate) struct Nonces {
    key: Hmac<Sha256>,
    /// Seconds each nonce is current.
    period: u64,
}

/// What a proof's nonce is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Made in this period.
    Current,
    /// Made in the previous period: still accepted, and a fresh one is given.
    Previous,
    /// Missing, forged, or older.
    Stale,
}

impl Nonces {
    /// Nonces current for `period` seconds, tagged with `secret` (at least 32 bytes), or with
    /// a random key of this process.
    pub(crate) fn new(secret: Option<&[u8]>, period: u64) -> Result<Self, ConfigError> {
        if period == 0 {
            return Err(ConfigError::InvalidDpop(
                "`.server_nonces(..)` needs a period of at least one second".into(),
            ));
        }
        let mut random = [0u8; 32];
        let secret = match secret {
            Some(secret) if secret.len() < 32 => {
                return Err(ConfigError::InvalidDpop(
                    "`.nonce_secret(..)` needs at least 32 bytes".into(),
                ))
            }
            Some(secret) => secret,
            None => {
                getrandom::getrandom(&mut random).map_err(|error| {
                    ConfigError::InvalidDpop(format!("no randomness for the nonce key: {error}"))
                })?;
                &random
            }
        };
        let key = Hmac::<Sha256>::new_from_slice(secret)
            .map_err(|_| ConfigError::InvalidDpop("the nonce secret is unusable".into()))?;
        Ok(Nonces { key, period })
    }

    fn tag(&self, period: u64) -> [u8; 32] {
        let mut mac = self.key.clone();
        mac.update(&period.to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The nonce current at `now`.
    pub(crate) fn current(&self, now: u64) -> String {
        let period = now / self.period;
        let mut bytes = [0u8; NONCE_BYTES];
        bytes[..8].copy_from_slice(&period.to_be_bytes());
        bytes[8..].copy_from_slice(&self.tag(period)[..TAG_BYTES]);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// What `nonce` is worth at `now`.
    pub(crate) fn check(&self, nonce: Option<&str>, now: u64) -> Freshness {
        let mut bytes = [0u8; DECODE_BYTES];
        let decoded = nonce.and_then(|nonce| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode_slice(nonce, &mut bytes)
                .ok()
        });
        if decoded != Some(NONCE_BYTES) {
            return Freshness::Stale;
        }
        let period = u64::from_be_bytes(bytes[..8].try_into().unwrap_or_default());
        let current = now / self.period;
        let freshness = match current.checked_sub(period) {
            Some(0) => Freshness::Current,
            Some(1) => Freshness::Previous,
            _ => return Freshness::Stale,
        };
        let mut mac = self.key.clone();
        mac.update(&period.to_be_bytes());
        match mac.verify_truncated_left(&bytes[8..NONCE_BYTES]) {
            Ok(()) => freshness,
            Err(_) => Freshness::Stale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_good_in_its_period_and_the_next_only() {
        let nonces = Nonces::new(None, 60).unwrap();
        let nonce = nonces.current(6_000);
        assert_eq!(nonces.check(Some(&nonce), 6_059), Freshness::Current);
        assert_eq!(nonces.check(Some(&nonce), 6_060), Freshness::Previous);
        assert_eq!(nonces.check(Some(&nonce), 6_120), Freshness::Stale);
        assert_eq!(nonces.check(Some(&nonce), 5_999), Freshness::Stale);
        assert_eq!(nonces.check(None, 6_000), Freshness::Stale);
    }

    #[test]
    fn a_nonce_of_another_key_or_altered_is_stale() {
        let (ours, theirs) = (
            Nonces::new(None, 60).unwrap(),
            Nonces::new(None, 60).unwrap(),
        );
        assert_eq!(
            ours.check(Some(&theirs.current(6_000)), 6_000),
            Freshness::Stale
        );
        let mut altered = ours.current(6_000).into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(ours.check(Some(&altered), 6_000), Freshness::Stale);
        // Instances sharing a secret accept each other's nonces.
        let secret = [7u8; 32];
        let (a, b) = (
            Nonces::new(Some(&secret), 60).unwrap(),
            Nonces::new(Some(&secret), 60).unwrap(),
        );
        assert_eq!(a.check(Some(&b.current(6_000)), 6_000), Freshness::Current);
    }
}
