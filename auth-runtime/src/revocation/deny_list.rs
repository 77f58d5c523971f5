//! What is revoked, and the in-memory deny-list every request is checked against.
//!
//! A revocation names a token by what its signature covers (never by its raw bytes), a `jti`,
//! or a subject and a time. The deny-list is one immutable snapshot behind an [`ArcSwap`]: a
//! request reads it without a lock and, while nothing is revoked, reads one flag and nothing
//! else. Writers (the application's `revoke` calls, the store's synchronisation) rebuild the
//! snapshot under a mutex that is never held across I/O.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::clock;
use crate::http::refusal::{InvalidReason, Refusal};

/// One revocation: the tokens it refuses, and until when it is kept.
///
/// - [`Revocation::token`] refuses one token, identified by the SHA-256 of its JWS signing
///   input (`header.payload`), so the same token re-encoded — an ECDSA signature rewritten as
///   its other valid form `(r, n − s)`, say — is refused too. A token that is not a JWT is
///   identified by the SHA-256 of its bytes.
/// - [`Revocation::jti`] refuses every token carrying that `jti` (RFC 7519 §4.1.7: unique
///   across the issuers an application trusts).
/// - [`Revocation::subject`] refuses every token of a subject (`sub`, or for an introspected
///   token without one, its `client_id`) issued (`iat`) before a time; a token of that subject
///   without `iat` is refused too, since nothing shows it came later.
///
/// A revocation is kept until [`until`](Self::until) (seconds since the Unix epoch): by then
/// the tokens it refuses have expired. [`Revocation::token`] reads it from the token's `exp`;
/// otherwise the authenticator's retention (`AuthenticatorBuilder::revocation_retention`,
/// default 24 hours) after the revocation, or after `issued_before` for a subject.
///
/// ```
/// use auth_runtime::Revocation;
///
/// let one = Revocation::jti("9f1c6e0a");
/// let everything_of_ann = Revocation::subject("ann", 1_767_225_600);
/// let until_known_expiry = Revocation::jti("7d2b").until(1_767_229_200);
/// # let _ = (one, everything_of_ann, until_known_expiry);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Revocation {
    #[serde(flatten)]
    target: Target,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<u64>,
}

#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Target {
    /// The base64url SHA-256 of the token's signing input (see [`token_digest`]).
    Token {
        digest: String,
    },
    Jti {
        jti: String,
    },
    Subject {
        sub: String,
        issued_before: u64,
    },
}

/// Shows what kind of revocation it is and until when; never a token digest or identifier.
impl fmt::Debug for Revocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.target {
            Target::Token { .. } => "token",
            Target::Jti { .. } => "jti",
            Target::Subject { .. } => "subject",
        };
        f.debug_struct("Revocation")
            .field("kind", &kind)
            .field("until", &self.until)
            .finish_non_exhaustive()
    }
}

impl Revocation {
    /// Revokes `token` itself, in whatever form it is presented again: the revocation keys on
    /// the SHA-256 of its signing input (`header.payload`), which every valid form of the
    /// token shares, rather than on its bytes. Kept until the token's `exp` (read from its
    /// payload) plus a minute, or for the retention when it has none (or is not a JWT).
    pub fn token(token: &str) -> Revocation {
        let token = token.trim();
        let digest = token_digest(token.as_bytes());
        Revocation {
            target: Target::Token {
                digest: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest),
            },
            until: unverified_exp(token).map(|exp| exp.saturating_add(EXP_MARGIN)),
        }
    }

    /// Revokes every token whose `jti` (JWT ID, RFC 7519 §4.1.7) is `jti`.
    pub fn jti(jti: impl Into<String>) -> Revocation {
        Revocation {
            target: Target::Jti { jti: jti.into() },
            until: None,
        }
    }

    /// Revokes every token of `subject` issued (`iat`) before `issued_before`, in seconds since
    /// the Unix epoch: "sign this user out everywhere".
    pub fn subject(subject: impl Into<String>, issued_before: u64) -> Revocation {
        Revocation {
            target: Target::Subject {
                sub: subject.into(),
                issued_before,
            },
            until: None,
        }
    }

    /// Keeps the revocation until `unix_seconds` (the latest `exp` of the tokens it refuses).
    pub fn until(mut self, unix_seconds: u64) -> Revocation {
        self.until = Some(unix_seconds);
        self
    }

    /// Until when the revocation is kept, in seconds since the Unix epoch, once known.
    pub fn expires_at(&self) -> Option<u64> {
        self.until
    }

    /// The revocation with its time to keep filled in from `retention` (seconds) if unset.
    pub(crate) fn with_retention(mut self, now: u64, retention: u64) -> Revocation {
        if self.until.is_none() {
            let from = match &self.target {
                Target::Subject { issued_before, .. } => (*issued_before).max(now),
                _ => now,
            };
            self.until = Some(from.saturating_add(retention));
        }
        self
    }

    /// Whether it is still kept at `now`.
    fn in_force(&self, now: u64) -> bool {
        self.until.is_none_or(|until| now < until)
    }

    /// The revocation as one line of JSON, as stores keep and send it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a revocation written by [`to_json`](Self::to_json); `None` if `json` is not one.
    pub fn from_json(json: &[u8]) -> Option<Revocation> {
        serde_json::from_slice(json).ok()
    }
}

/// Margin kept past a token's `exp`: the verifier accepts tokens up to a leeway after it.
const EXP_MARGIN: u64 = 300;

/// The `exp` of a JWT's payload, read without verifying it. Sound for keeping a revocation:
/// the revocation keys on the signing input, which includes this very payload.
fn unverified_exp(token: &str) -> Option<u64> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&payload).ok()?;
    claims.get("exp")?.as_u64()
}

/// What identifies a token to the deny-list besides its bytes, read once when the token is
/// verified and kept with it in the caches. (The token's digest is computed from its bytes only
/// while some token is revoked: see [`DenyList::verdict`].)
#[derive(Clone)]
pub(crate) struct TokenIds {
    jti: Option<Box<str>>,
    /// `sub`, or an introspected token's `client_id` when it has no `sub`: the principal's
    /// subject, shared with it.
    subject: Option<Arc<str>>,
    iat: Option<u64>,
}

impl TokenIds {
    /// The identifiers of a token.
    pub(crate) fn new(
        jti: Option<Box<str>>,
        subject: Option<Arc<str>>,
        iat: Option<u64>,
    ) -> TokenIds {
        TokenIds { jti, subject, iat }
    }
}

/// SHA-256 of what a JWS signature covers, `header.payload` (RFC 7515 §5.2): every valid form
/// of a token has the same, whatever its signature's encoding. For a token that is not three
/// dot-separated parts, the SHA-256 of all its bytes.
pub(crate) fn token_digest(token: &[u8]) -> [u8; 32] {
    let covered = match token.iter().rposition(|&b| b == b'.') {
        Some(last) if token[..last].iter().filter(|&&b| b == b'.').count() == 1 => &token[..last],
        _ => token,
    };
    Sha256::digest(covered).into()
}

/// What the deny-list says of a token.
pub(crate) enum Verdict {
    Allowed,
    Revoked,
    /// The configured staleness limit passed without a synchronisation with the store.
    Unavailable,
}

impl Verdict {
    /// The verdict as the result of a verification.
    pub(crate) fn into_result(self) -> Result<(), Refusal> {
        match self {
            Verdict::Allowed => Ok(()),
            Verdict::Revoked => Err(Refusal::Invalid(InvalidReason::Revoked)),
            Verdict::Unavailable => Err(Refusal::RevocationsUnavailable),
        }
    }
}

/// The revocations in force, as lookups. Immutable once built.
#[derive(Default)]
struct Snapshot {
    tokens: HashMap<[u8; 32], u64, DigestHasher>,
    jtis: HashMap<Box<str>, u64>,
    /// Per subject, the latest `issued_before` and until when it is kept (the latest).
    subjects: HashMap<Box<str>, (u64, u64)>,
}

impl Snapshot {
    fn build<'a>(revocations: impl Iterator<Item = &'a Revocation>) -> Snapshot {
        let mut snapshot = Snapshot::default();
        for revocation in revocations {
            let until = revocation.until.unwrap_or(u64::MAX);
            match &revocation.target {
                Target::Token { digest } => {
                    let Some(digest) = decode_digest(digest) else {
                        continue;
                    };
                    let kept = snapshot.tokens.entry(digest).or_default();
                    *kept = (*kept).max(until);
                }
                Target::Jti { jti } => {
                    let kept = snapshot.jtis.entry(jti.as_str().into()).or_default();
                    *kept = (*kept).max(until);
                }
                Target::Subject { sub, issued_before } => {
                    let kept = snapshot.subjects.entry(sub.as_str().into()).or_default();
                    *kept = (kept.0.max(*issued_before), kept.1.max(until));
                }
            }
        }
        snapshot
    }

    fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.jtis.is_empty() && self.subjects.is_empty()
    }

    fn revokes(&self, ids: &TokenIds, token: &[u8], now: u64) -> bool {
        let live = |until: &u64| now < *until;
        // The digest costs a SHA-256 of the token: only while some token is revoked.
        if !self.tokens.is_empty() && self.tokens.get(&token_digest(token)).is_some_and(live) {
            return true;
        }
        if let Some(jti) = &ids.jti {
            if self.jtis.get(jti).is_some_and(live) {
                return true;
            }
        }
        if let Some(subject) = &ids.subject {
            if let Some(&(issued_before, until)) = self.subjects.get(&**subject) {
                return now < until && ids.iat.is_none_or(|iat| iat < issued_before);
            }
        }
        false
    }
}

fn decode_digest(encoded: &str) -> Option<[u8; 32]> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()?
        .try_into()
        .ok()
}

/// Token digests are SHA-256 outputs: their first eight bytes are already a good hash.
#[derive(Clone, Default)]
struct DigestHasher;

impl BuildHasher for DigestHasher {
    type Hasher = DigestHash;

    fn build_hasher(&self) -> DigestHash {
        DigestHash(0)
    }
}

struct DigestHash(u64);

impl Hasher for DigestHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // A `[u8; 32]` writes its length, then its bytes: both are mixed in, the length as a
        // constant.
        for chunk in bytes.chunks(8).take(1) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(word);
        }
    }
}

/// Seconds since the last synchronisation after which the store counts as unreachable, when
/// no limit is configured.
const NEVER: u64 = u64::MAX;

struct Shared {
    snapshot: ArcSwap<Snapshot>,
    /// Whether anything is revoked: while not, a request reads this flag and nothing else.
    any: AtomicBool,
    /// Every revocation in force, for rebuilding the snapshot and for stores to write back.
    entries: Mutex<HashSet<Revocation>>,
    /// When the store last confirmed the list is in sync, in seconds since the epoch.
    last_sync: AtomicU64,
    /// After how many seconds without a synchronisation requests are refused with 503.
    refuse_after: u64,
}

/// An instance's revocations in force, in memory: what every request is checked against.
///
/// The authenticator owns one; a [`RevocationStore`](crate::RevocationStore) receives a
/// handle in [`attach`](crate::RevocationStore::attach) and keeps it in sync with the other
/// instances: it [`insert`](Self::insert)s the revocations it learns of,
/// reads [`revocations`](Self::revocations) to write them back to a store that lost them, and
/// reports each successful synchronisation with [`synced`](Self::synced). Cloning is an `Arc`
/// clone.
#[derive(Clone)]
pub struct DenyList {
    shared: Arc<Shared>,
}

impl fmt::Debug for DenyList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DenyList")
            .field("revocations", &self.len())
            .finish_non_exhaustive()
    }
}

impl DenyList {
    /// An empty list; with `refuse_after` (seconds), requests are refused with 503 once the
    /// store has not confirmed a synchronisation for that long.
    pub(crate) fn new(refuse_after: Option<u64>) -> DenyList {
        DenyList {
            shared: Arc::new(Shared {
                snapshot: ArcSwap::from_pointee(Snapshot::default()),
                any: AtomicBool::new(false),
                entries: Mutex::new(HashSet::new()),
                last_sync: AtomicU64::new(clock::now()),
                refuse_after: refuse_after.unwrap_or(NEVER),
            }),
        }
    }

    /// The verdict on a token at `now`. While nothing is revoked and no staleness limit is
    /// configured, this reads two words.
    #[inline]
    pub(crate) fn verdict(&self, ids: &TokenIds, token: &[u8], now: u64) -> Verdict {
        let shared = &*self.shared;
        if shared.refuse_after != NEVER
            && now
                > shared
                    .last_sync
                    .load(Ordering::Relaxed)
                    .saturating_add(shared.refuse_after)
        {
            return Verdict::Unavailable;
        }
        if !shared.any.load(Ordering::Acquire) {
            return Verdict::Allowed;
        }
        if shared.snapshot.load().revokes(ids, token, now) {
            Verdict::Revoked
        } else {
            Verdict::Allowed
        }
    }

    /// Puts `revocation` in force on this instance (at once: the next request sees it).
    /// A revocation already in force, or already past its time, changes nothing.
    pub fn insert(&self, revocation: Revocation) {
        self.extend([revocation]);
    }

    /// Puts several revocations in force at once (one rebuild of the lookups); returns how
    /// many were new.
    pub fn extend(&self, revocations: impl IntoIterator<Item = Revocation>) -> usize {
        let now = clock::now();
        let Ok(mut entries) = self.shared.entries.lock() else {
            return 0;
        };
        let before = entries.len();
        entries.extend(revocations.into_iter().filter(|r| r.in_force(now)));
        let added = entries.len() - before;
        if added > 0 {
            entries.retain(|revocation| revocation.in_force(now));
            self.publish(&entries);
        }
        added
    }

    /// Drops the revocations whose time has passed.
    pub fn purge(&self) {
        self.purge_at(clock::now());
    }

    fn purge_at(&self, now: u64) {
        let Ok(mut entries) = self.shared.entries.lock() else {
            return;
        };
        let before = entries.len();
        entries.retain(|revocation| revocation.in_force(now));
        if entries.len() != before {
            self.publish(&entries);
        }
    }

    fn publish(&self, entries: &HashSet<Revocation>) {
        let snapshot = Snapshot::build(entries.iter());
        let any = !snapshot.is_empty();
        self.shared.snapshot.store(Arc::new(snapshot));
        self.shared.any.store(any, Ordering::Release);
    }

    /// Every revocation in force.
    pub fn revocations(&self) -> Vec<Revocation> {
        let now = clock::now();
        self.shared
            .entries
            .lock()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|r| r.in_force(now))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `revocation` is in force here.
    pub fn contains(&self, revocation: &Revocation) -> bool {
        self.shared
            .entries
            .lock()
            .is_ok_and(|entries| entries.contains(revocation))
    }

    /// How many revocations are held.
    pub fn len(&self) -> usize {
        self.shared
            .entries
            .lock()
            .map_or(0, |entries| entries.len())
    }

    /// Whether nothing is revoked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records that the store confirmed, now, that this list holds every revocation in force.
    pub fn synced(&self) {
        self.shared.last_sync.store(clock::now(), Ordering::Relaxed);
    }

    /// Records that this list can never go stale (a store with nothing to synchronise with).
    pub(crate) fn never_stale(&self) {
        self.shared.last_sync.store(NEVER / 2, Ordering::Relaxed);
    }

    /// Seconds since the last synchronisation.
    pub fn staleness(&self) -> u64 {
        clock::now().saturating_sub(self.shared.last_sync.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_800_000_000;

    fn ids(claims: Value) -> TokenIds {
        let text = |name| claims.get(name).and_then(Value::as_str);
        let iat = claims.get("iat").and_then(Value::as_u64);
        TokenIds::new(text("jti").map(Box::from), text("sub").map(Arc::from), iat)
    }

    #[test]
    fn the_digest_covers_header_and_payload_only() {
        assert_eq!(token_digest(b"h.p.sig1"), token_digest(b"h.p.sig2"));
        assert_ne!(token_digest(b"h.p.sig"), token_digest(b"h.q.sig"));
        // Not a JWS: all of it.
        assert_ne!(token_digest(b"opaque1"), token_digest(b"opaque2"));
        assert_ne!(token_digest(b"a.b.c.d"), token_digest(b"a.b.c.e"));
    }

    #[test]
    fn an_empty_list_allows_everything() {
        let list = DenyList::new(None);
        assert!(matches!(
            list.verdict(&ids(json!({})), b"h.p.s", NOW),
            Verdict::Allowed
        ));
    }

    #[test]
    fn a_token_revocation_refuses_every_form_of_the_token() {
        let list = DenyList::new(None);
        list.insert(Revocation::token("h.p.s1").until(u64::MAX));
        let now = clock::now();
        assert!(matches!(
            list.verdict(&ids(json!({})), b"h.p.s2", now),
            Verdict::Revoked
        ));
        assert!(matches!(
            list.verdict(&ids(json!({})), b"h.q.s1", now),
            Verdict::Allowed
        ));
    }

    #[test]
    fn jti_and_subject_revocations() {
        let list = DenyList::new(None);
        let now = clock::now();
        list.insert(Revocation::jti("j1").until(now + 60));
        list.insert(Revocation::subject("ann", now - 10).until(now + 60));
        let verdict = |claims| list.verdict(&ids(claims), b"x.y.z", now);
        assert!(matches!(verdict(json!({"jti": "j1"})), Verdict::Revoked));
        assert!(matches!(verdict(json!({"jti": "j2"})), Verdict::Allowed));
        assert!(matches!(
            verdict(json!({"sub": "ann", "iat": now - 11})),
            Verdict::Revoked
        ));
        assert!(matches!(
            verdict(json!({"sub": "ann", "iat": now - 10})),
            Verdict::Allowed
        ));
        assert!(matches!(verdict(json!({"sub": "ann"})), Verdict::Revoked));
        assert!(matches!(
            verdict(json!({"sub": "bob", "iat": 0})),
            Verdict::Allowed
        ));
        // From its end on, a revocation no longer refuses anything.
        assert!(matches!(
            list.verdict(&ids(json!({"jti": "j1"})), b"x.y.z", now + 60),
            Verdict::Allowed
        ));
        let subject = ids(json!({"sub": "ann", "iat": now - 11}));
        assert!(matches!(
            list.verdict(&subject, b"x.y.z", now + 59),
            Verdict::Revoked
        ));
        assert!(matches!(
            list.verdict(&subject, b"x.y.z", now + 60),
            Verdict::Allowed
        ));
    }

    #[test]
    fn the_verdict_skips_the_lookups_exactly_while_nothing_is_revoked() {
        let list = DenyList::new(None);
        let any = || list.shared.any.load(Ordering::Acquire);
        assert!(!any());
        list.insert(Revocation::subject("ann", NOW).until(u64::MAX));
        assert!(any());
        assert!(Snapshot::build(std::iter::empty()).is_empty());
        for revocation in [
            Revocation::token("h.p.s"),
            Revocation::jti("j"),
            Revocation::subject("ann", NOW),
        ] {
            let revocation = revocation.until(u64::MAX);
            assert!(!Snapshot::build([&revocation].into_iter()).is_empty());
        }
    }

    #[test]
    fn token_digests_are_hashed_by_their_first_eight_bytes() {
        let mut one = [0u8; 32];
        one[0] = 0xff;
        let other = [0u8; 32];
        let hash = |digest: [u8; 32]| DigestHasher.hash_one(digest);
        // The length that every digest also writes is the same constant in both.
        assert_eq!(hash(one) ^ hash(other), 0xff);
        let mut far = [0u8; 32];
        far[7] = 1;
        assert_eq!(hash(far) ^ hash(other), 1 << 56);
    }

    #[test]
    fn purging_drops_what_has_ended_and_reopens_the_fast_path() {
        let list = DenyList::new(None);
        let now = clock::now();
        let a = Revocation::jti("a").until(now + 60);
        let b = Revocation::jti("b").until(now + 120);
        assert_eq!(list.extend([a.clone(), b.clone()]), 2);
        assert_eq!(list.extend([a.clone()]), 0);
        assert!(!list.is_empty());
        assert!(list.contains(&a) && list.contains(&b));
        assert!(!list.contains(&Revocation::jti("c").until(now + 60)));
        list.purge_at(now + 60);
        assert!(!list.contains(&a) && list.contains(&b));
        assert!(list.shared.any.load(Ordering::Acquire));
        list.purge_at(now + 120);
        assert!(list.is_empty());
        assert!(!list.shared.any.load(Ordering::Acquire));
    }

    #[test]
    fn staleness_counts_from_the_last_synchronisation_unless_never_stale() {
        let list = DenyList::new(Some(30));
        list.shared
            .last_sync
            .store(clock::now() - 100, Ordering::Relaxed);
        assert!((100..=101).contains(&list.staleness()));
        list.synced();
        assert!(list.staleness() <= 1);
        // A store with nothing to synchronise with: never stale, never unavailable.
        list.never_stale();
        assert_eq!(list.staleness(), 0);
        let id = ids(json!({}));
        assert!(matches!(
            list.verdict(&id, b"h.p.s", clock::now() + 1_000_000),
            Verdict::Allowed
        ));
    }

    #[test]
    fn debug_counts_the_revocations_and_shows_none() {
        let list = DenyList::new(None);
        list.insert(Revocation::jti("secret-jti").until(u64::MAX));
        assert_eq!(format!("{list:?}"), "DenyList { revocations: 1, .. }");
    }

    #[test]
    fn a_revocation_is_in_force_up_to_the_second_before_its_end() {
        let revocation = Revocation::jti("j").until(NOW);
        assert!(revocation.in_force(NOW - 1));
        assert!(!revocation.in_force(NOW));
        assert!(Revocation::jti("j").in_force(u64::MAX));
    }

    #[test]
    fn revocations_past_their_time_are_not_kept() {
        let list = DenyList::new(None);
        list.insert(Revocation::jti("old").until(1));
        assert!(list.is_empty());
    }

    #[test]
    fn a_stale_list_is_unavailable_only_with_a_limit() {
        let limited = DenyList::new(Some(30));
        let id = ids(json!({}));
        // Up to the limit's last second since the last synchronisation, then no more.
        let synced = limited.shared.last_sync.load(Ordering::Relaxed);
        assert!(matches!(
            limited.verdict(&id, b"h.p.s", synced + 30),
            Verdict::Allowed
        ));
        assert!(matches!(
            limited.verdict(&id, b"h.p.s", synced + 31),
            Verdict::Unavailable
        ));
        assert!(matches!(
            limited.verdict(&id, b"h.p.s", clock::now() + 29),
            Verdict::Allowed
        ));
        assert!(matches!(
            limited.verdict(&id, b"h.p.s", clock::now() + 31),
            Verdict::Unavailable
        ));
        let unlimited = DenyList::new(None);
        assert!(matches!(
            unlimited.verdict(&id, b"h.p.s", clock::now() + 1_000_000),
            Verdict::Allowed
        ));
    }

    #[test]
    fn revocations_round_trip_as_json_and_hide_their_target_in_debug() {
        let revocation = Revocation::subject("ann", 5).until(9);
        let json = revocation.to_json();
        assert_eq!(
            serde_json::from_str::<Value>(&json).unwrap(),
            json!({"kind": "subject", "sub": "ann", "issued_before": 5, "until": 9})
        );
        assert_eq!(
            Revocation::from_json(json.as_bytes()),
            Some(revocation.clone())
        );
        assert_eq!(
            format!("{revocation:?}"),
            r#"Revocation { kind: "subject", until: Some(9), .. }"#
        );
        assert_eq!(
            format!("{:?}", Revocation::token("h.p.s")),
            r#"Revocation { kind: "token", until: None, .. }"#
        );
        assert_eq!(
            format!("{:?}", Revocation::jti("j")),
            r#"Revocation { kind: "jti", until: None, .. }"#
        );
        assert_eq!(Revocation::from_json(b"{\"kind\":\"nope\"}"), None);
    }

    #[test]
    fn a_token_revocation_is_kept_until_the_token_expires() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json!({"exp": NOW}).to_string());
        let revocation = Revocation::token(&format!("h.{payload}.s"));
        assert_eq!(revocation.expires_at(), Some(NOW + EXP_MARGIN));
        assert_eq!(Revocation::token("opaque").expires_at(), None);
        let filled = Revocation::jti("j").with_retention(NOW, 100);
        assert_eq!(filled.expires_at(), Some(NOW + 100));
        let subject = Revocation::subject("s", NOW + 50).with_retention(NOW, 100);
        assert_eq!(subject.expires_at(), Some(NOW + 150));
    }
}
