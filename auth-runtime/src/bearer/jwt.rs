//! Verification of one JWT access token: its size and shape, its header, the key it names, the
//! signature, then its claims.

use std::sync::Arc;

use crate::bearer::base64url;

use crate::bearer::claims::{ClaimRules, Verified};
use crate::bearer::header::{self, HeaderBuffer, JoseHeader};
use crate::bearer::jwks::key_set::Miss;
use crate::bearer::jwks::refresher::Demand;
use crate::bearer::jwks::store::KeyStore;
use crate::bearer::keys::Key;
use crate::bearer::verifier::SignatureError;
use crate::clock;
use crate::http::authorization::{self, check_b64token};
use crate::http::refusal::{InvalidReason, Refusal};
use crate::outcome::Outcome;
use crate::scheme::Scheme;

/// Verifies JWTs against the current keys and the configured claims rules. Cloning is cheap
/// (`Arc`s): a verification that waits for the key source owns a clone.
#[derive(Clone)]
pub(crate) struct JwtVerifier {
    rules: Arc<Rules>,
    keys: KeyStore,
}

/// Everything about verification that does not change with the keys.
struct Rules {
    claims: ClaimRules,
    max_token_bytes: usize,
}

impl JwtVerifier {
    pub(crate) fn new(keys: KeyStore, claims: ClaimRules, max_token_bytes: usize) -> Self {
        JwtVerifier {
            rules: Arc::new(Rules {
                claims,
                max_token_bytes,
            }),
            keys,
        }
    }

    /// A verifier with the same keys and rules whose principals are of `scheme` (DPoP's).
    pub(crate) fn with_scheme(&self, scheme: Scheme) -> Self {
        let mut claims = self.rules.claims.clone();
        claims.scheme = scheme;
        JwtVerifier {
            rules: Arc::new(Rules {
                claims,
                max_token_bytes: self.rules.max_token_bytes,
            }),
            keys: self.keys.clone(),
        }
    }

    /// The keys this verifier uses.
    pub(crate) fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// Verifies `token` as the client sent it, not yet checked against the RFC 6750 §2.1
    /// `b64token` syntax, at `now`.
    ///
    /// The syntax is checked only when the token is refused, or before its key is fetched: a
    /// token outside it is refused as malformed (400, CONFORMANCE row 3) whatever else is wrong
    /// with it, as if it had been checked first. A token that verifies needs no check: it is
    /// three base64url segments, each decoded strictly, and two dots, all characters of the
    /// syntax. That spares every new token a pass over its bytes.
    pub(crate) fn verify_sent(&self, token: &[u8], now: u64) -> Outcome<Result<Verified, Refusal>> {
        let Ok(text) = std::str::from_utf8(token) else {
            return Outcome::ready(Err(Refusal::Malformed(authorization::Malformed::Token)));
        };
        match self.verify(text, now).now() {
            Ok(Ok(verified)) => {
                debug_assert!(check_b64token(token).is_ok(), "verified outside b64token");
                Outcome::ready(Ok(verified))
            }
            Ok(Err(refusal)) => Outcome::ready(Err(match check_b64token(token) {
                Ok(_) => refusal,
                Err(malformed) => Refusal::Malformed(malformed),
            })),
            // Only after the check (see `verify_headed`).
            Err(pending) => pending,
        }
    }

    /// Verifies `token` at `now`. Unless it was checked to be a `b64token`, a refusal must be
    /// checked against the syntax afterwards ([`JwtVerifier::verify_sent`]).
    ///
    /// Ready at once when the token's key is in memory (no allocation before the claims are
    /// decoded, no waiting). Otherwise, when the key could come from the key source (an
    /// unknown `kid`, or no usable key yet), pending: it joins the fetch in flight or starts one
    /// (at most one per cooldown, shared by every request), then verifies. During the cooldown
    /// the answer is ready at once: `invalid_token` for an unknown `kid`, 503 when there is no
    /// usable key.
    pub(crate) fn verify(&self, token: &str, now: u64) -> Outcome<Result<Verified, Refusal>> {
        let parts = match self.rules.check_shape(token) {
            Ok(parts) => parts,
            Err(refusal) => return Outcome::ready(Err(refusal)),
        };
        let segment = parts.header();
        if let Some(header) = header::verified(segment) {
            return self.verify_headed(parts, &header, now, |_| {});
        }
        let mut buffer = HeaderBuffer::new();
        match JoseHeader::decode(segment, &mut buffer) {
            Ok(header) => self.verify_headed(parts, &header, now, |header| {
                header::remember(segment, header)
            }),
            Err(refusal) => Outcome::ready(Err(refusal)),
        }
    }

    /// Verifies the token of `parts`, whose header is `header`, at `now`; `signed` is told the
    /// header when the token's key is in memory and the token passes every check.
    fn verify_headed(
        &self,
        parts: Parts<'_>,
        header: &JoseHeader<'_>,
        now: u64,
        signed: impl FnOnce(&JoseHeader<'_>),
    ) -> Outcome<Result<Verified, Refusal>> {
        let set = self.keys.load();
        let view = set.view();
        let miss = match view.select(header) {
            Ok(key) => {
                let verified = self.rules.verify_with(parts, header, key, now);
                if verified.is_ok() {
                    signed(header);
                }
                return Outcome::ready(verified);
            }
            Err(miss) => miss,
        };
        let complete = view.is_complete();
        // Only a key the source could add is worth a fetch: an unknown `kid`, or anything
        // while no usable remote key is in memory. A key-less token never causes one.
        let may_fetch = miss != Miss::AlgorithmMismatch && (!complete || miss == Miss::UnknownKid);
        // A token outside the `b64token` syntax is refused before it can cause a fetch.
        if may_fetch {
            if let Err(malformed) = check_b64token(parts.token.as_bytes()) {
                return Outcome::ready(Err(Refusal::Malformed(malformed)));
            }
        }
        let wait = match may_fetch.then(|| self.keys.demand(Some(&**set))) {
            Some(Demand::Wait(wait)) => wait,
            Some(Demand::Refused) => {
                // A fetch may have finished between the look above and the demand (the demand
                // is then refused, not a second fetch started): answer with the keys as they
                // are now, not refuse a key that was just fetched (a window that many
                // requests racing one key rotation, or the first fetch, can hit).
                let latest = self.keys.load();
                let view = latest.view();
                return Outcome::ready(match view.select(header) {
                    Ok(key) => self.rules.verify_with(parts, header, key, now),
                    Err(miss) => Err(refusal_of(miss, view.is_complete())),
                });
            }
            None => return Outcome::ready(Err(refusal_of(miss, complete))),
        };
        let verifier = self.clone();
        let (token, first, last) = (parts.token.to_owned(), parts.first, parts.last);
        let header = header.clone().into_owned();
        Outcome::pending(async move {
            wait.finished().await;
            let set = verifier.keys.load();
            let view = set.view();
            match view.select(&header) {
                Ok(key) => {
                    let parts = Parts {
                        token: &token,
                        first,
                        last,
                    };
                    verifier
                        .rules
                        .verify_with(parts, &header, key, clock::now())
                }
                Err(miss) => Err(refusal_of(miss, view.is_complete())),
            }
        })
    }
}

/// The refusal of a token for which no key was selected: while the key source has not given
/// usable keys, the key may exist, and the answer is 503 (CONFORMANCE row 12), not 401.
fn refusal_of(miss: Miss, complete: bool) -> Refusal {
    match miss {
        Miss::AlgorithmMismatch => Refusal::Invalid(InvalidReason::WrongAlgorithm),
        _ if !complete => Refusal::KeysUnavailable,
        Miss::UnknownKid | Miss::Ambiguous => Refusal::Invalid(InvalidReason::UnknownKey),
        Miss::NoKeyForAlgorithm => Refusal::Invalid(InvalidReason::WrongAlgorithm),
    }
}

/// A token of three dot-separated parts: `header.payload.signature`, the dots at `first` and
/// `last`, found once.
#[derive(Clone, Copy)]
struct Parts<'t> {
    token: &'t str,
    first: usize,
    last: usize,
}

impl<'t> Parts<'t> {
    fn header(&self) -> &'t str {
        &self.token[..self.first]
    }

    /// What the signature is over: `header.payload`.
    fn message(&self) -> &'t str {
        &self.token[..self.last]
    }

    fn payload(&self) -> &'t str {
        &self.token[self.first + 1..self.last]
    }

    fn signature(&self) -> &'t str {
        &self.token[self.last + 1..]
    }
}

impl Rules {
    /// The checks of a token's size and shape (three dot-separated parts); its parts. The header
    /// is decoded next, unless it is the last one verified ([`header::verified`]).
    fn check_shape<'t>(&self, token: &'t str) -> Result<Parts<'t>, Refusal> {
        use InvalidReason::*;
        if token.len() > self.max_token_bytes {
            return Err(Refusal::Invalid(TooLarge));
        }
        // Exactly two dots: the first and the last are two, and none between them.
        let bytes = token.as_bytes();
        match (memchr::memchr(b'.', bytes), memchr::memrchr(b'.', bytes)) {
            (Some(first), Some(last))
                if first < last && memchr::memchr(b'.', &bytes[first + 1..last]).is_none() =>
            {
                Ok(Parts { token, first, last })
            }
            _ => Err(Refusal::Invalid(Malformed)),
        }
    }

    /// Verifies the signature with `key` (whose algorithm is the header's), then the claims.
    ///
    /// The key's prepared verifier checks the signature (with the key's algorithm, never the
    /// header's); the payload is then decoded once, duplicate member names refused, and the
    /// claims checked (RFC 7519 §4.1), rather than through `jsonwebtoken::decode`, which
    /// decodes the header and the claims twice each.
    fn verify_with(
        &self,
        parts: Parts<'_>,
        header: &JoseHeader<'_>,
        key: &Key,
        now: u64,
    ) -> Result<Verified, Refusal> {
        use InvalidReason::*;
        if !key.accepts(header.alg) {
            return Err(Refusal::Invalid(WrongAlgorithm));
        }
        let malformed = Refusal::Invalid(Malformed);
        match key
            .verifier()
            .verify(parts.message().as_bytes(), parts.signature())
        {
            Ok(()) => {}
            Err(SignatureError::Malformed) => return Err(malformed),
            Err(SignatureError::Invalid) => return Err(Refusal::Invalid(BadSignature)),
        }
        let payload = base64url::decode(parts.payload().as_bytes()).ok_or(malformed)?;
        self.claims
            .check(header.typ.as_deref(), payload, key.fingerprint(), now)
    }
}
