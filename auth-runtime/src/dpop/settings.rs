//! The DPoP options ([`DpopConfig`]), checked and turned into the [`Dpop`] mechanism at build
//! time.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::bearer::token_cache::{TokenCache, TokenCacheConfig};
use crate::bearer::Bearer;
use crate::dpop::nonce::Nonces;
use crate::dpop::proof::{ProofKeys, ProofRules};
use crate::dpop::replay::{MemoryReplayCache, ReplayCache};
use crate::dpop::Dpop;
use crate::error::ConfigError;
use crate::revocation::deny_list::DenyList;
use crate::scheme::Scheme;

/// Which endpoints accept DPoP-bound tokens (RFC 9449).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DpopMode {
    /// Only endpoints that declare it: `#[requires(scheme = "DPoP")]` or
    /// `scheme = any("DPoP", "Bearer")` (the default).
    #[default]
    Declared,
    /// Every endpoint that accepts Bearer tokens accepts DPoP too; its `401` offers both
    /// challenges.
    Allowed,
    /// Every endpoint that accepts Bearer tokens accepts only DPoP: a plain Bearer token is
    /// treated as no credentials, and the `401` offers the DPoP challenge alone.
    Required,
}

impl DpopMode {
    /// The schemes an endpoint that declares `declared` accepts in this mode: with
    /// [`Allowed`](Self::Allowed), DPoP right after Bearer; with [`Required`](Self::Required),
    /// DPoP instead of Bearer. Borrowed, without allocating, whenever nothing changes.
    pub(crate) fn accepted(self, declared: &[Scheme]) -> Accepted<'_> {
        let has = |scheme| declared.contains(&scheme);
        let unchanged = match self {
            DpopMode::Declared => true,
            DpopMode::Allowed => !has(Scheme::Bearer) || has(Scheme::DPoP),
            DpopMode::Required => !has(Scheme::Bearer),
        };
        if unchanged {
            return Accepted::Borrowed(declared);
        }
        let mut accepted = Accepted::Inline([Scheme::DPoP; INLINE], 0);
        for &scheme in declared {
            if scheme != Scheme::Bearer {
                accepted.push(scheme);
                continue;
            }
            if self == DpopMode::Allowed {
                accepted.push(Scheme::Bearer);
            }
            if !has(Scheme::DPoP) {
                accepted.push(Scheme::DPoP);
            }
        }
        accepted
    }
}

/// How many schemes [`Accepted`] holds without allocating.
const INLINE: usize = 8;

/// The schemes an endpoint accepts: declared, or widened by the [`DpopMode`].
pub(crate) enum Accepted<'a> {
    Borrowed(&'a [Scheme]),
    Inline([Scheme; INLINE], usize),
    Owned(Vec<Scheme>),
}

impl Accepted<'_> {
    fn push(&mut self, scheme: Scheme) {
        match self {
            Accepted::Inline(schemes, len) if *len < INLINE => {
                schemes[*len] = scheme;
                *len += 1;
            }
            Accepted::Inline(schemes, len) => {
                let mut owned = schemes[..*len].to_vec();
                owned.push(scheme);
                *self = Accepted::Owned(owned);
            }
            Accepted::Owned(schemes) => schemes.push(scheme),
            Accepted::Borrowed(schemes) => {
                let mut owned = schemes.to_vec();
                owned.push(scheme);
                *self = Accepted::Owned(owned);
            }
        }
    }
}

impl std::ops::Deref for Accepted<'_> {
    type Target = [Scheme];

    fn deref(&self) -> &[Scheme] {
        match self {
            Accepted::Borrowed(schemes) => schemes,
            Accepted::Inline(schemes, len) => &schemes[..*len],
            Accepted::Owned(schemes) => schemes,
        }
    }
}

/// Settings of DPoP (RFC 9449): sender-constrained access tokens, each request carrying a
/// fresh proof signed by the client's key. Enabled with
/// [`AuthenticatorBuilder::dpop`](crate::AuthenticatorBuilder::dpop); the tokens themselves are
/// verified as Bearer tokens are (same keys, issuers, audiences, cache and introspection),
/// and must be bound to the proof's key (`cnf.jkt`, RFC 9449 §6).
///
/// ```
/// use std::time::Duration;
/// use auth_runtime::{Algorithm, DpopConfig, DpopMode};
///
/// let dpop = DpopConfig::default()
///     .algorithms([Algorithm::ES256, Algorithm::EdDSA])
///     .proof_window(Duration::from_secs(30))
///     .external_origin("https://api.example.com")
///     .mode(DpopMode::Allowed);
/// # let _ = dpop;
/// ```
#[derive(Clone)]
pub struct DpopConfig {
    algorithms: Vec<Algorithm>,
    window: Duration,
    origin: Option<String>,
    trust_forwarded: bool,
    mode: DpopMode,
    replay: Option<Arc<dyn ReplayCache>>,
    max_proof_bytes: usize,
    /// How long each server nonce is current, when nonces are required.
    nonce_period: Option<Duration>,
    nonce_secret: Option<Vec<u8>>,
}

impl std::fmt::Debug for DpopConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopConfig")
            .field("algorithms", &self.algorithms)
            .field("window", &self.window)
            .field("origin", &self.origin)
            .field("trust_forwarded", &self.trust_forwarded)
            .field("mode", &self.mode)
            .field("nonce_period", &self.nonce_period)
            .finish_non_exhaustive()
    }
}

impl Default for DpopConfig {
    fn default() -> Self {
        DpopConfig {
            algorithms: vec![
                Algorithm::ES256,
                Algorithm::EdDSA,
                Algorithm::ES384,
                Algorithm::RS256,
                Algorithm::PS256,
            ],
            window: Duration::from_secs(60),
            origin: None,
            trust_forwarded: false,
            mode: DpopMode::Declared,
            replay: None,
            max_proof_bytes: 8 * 1024,
            nonce_period: None,
            nonce_secret: None,
        }
    }
}

impl DpopConfig {
    /// The `alg` values a proof may use (RFC 9449 §4.3 check 5), announced in the challenge's
    /// `algs` (§7.1) in this order. Only asymmetric algorithms: `HS*` is refused at build time,
    /// and `none` cannot be named. Default: `ES256 EdDSA ES384 RS256 PS256`.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// How far a proof's `iat` may be from the server's clock, either way (RFC 9449 §4.3
    /// check 11, §11.1); proofs are remembered this long to refuse their replay. Default:
    /// 60 seconds.
    pub fn proof_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// The origin (`https://host[:port]`) of the URIs clients call, for a server behind a
    /// proxy or load balancer that changes it: `htu` is compared with this origin and the
    /// request's path (RFC 9449 §4.3 check 9). Without it the origin is the request's own
    /// (its `Host`, and `https` when the server serves TLS).
    pub fn external_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Takes the origin from `Forwarded` (RFC 7239) or `X-Forwarded-Proto` /
    /// `X-Forwarded-Host`: only behind a proxy that sets these headers itself, as any client
    /// can send them. Off by default; [`external_origin`](Self::external_origin) wins.
    pub fn trust_forwarded_headers(mut self) -> Self {
        self.trust_forwarded = true;
        self
    }

    /// Which endpoints accept DPoP: those that declare it (the default), or every Bearer
    /// endpoint too ([`DpopMode::Allowed`]), or every Bearer endpoint instead of Bearer
    /// ([`DpopMode::Required`]).
    pub fn mode(mut self, mode: DpopMode) -> Self {
        self.mode = mode;
        self
    }

    /// Where used proofs are remembered (RFC 9449 §11.1). Default: a
    /// [`MemoryReplayCache`] of 1,000,000 proofs, for this instance.
    pub fn replay_cache(mut self, cache: impl ReplayCache) -> Self {
        self.replay = Some(Arc::new(cache));
        self
    }

    /// Requires server nonces (RFC 9449 §8, §9): a proof must carry a `nonce` this server gave
    /// in the last one or two `period`s; otherwise the answer is `401` with `DPoP
    /// error="use_dpop_nonce"` and a `DPoP-Nonce` header holding the current nonce. Nonces are
    /// stateless (the period and an HMAC of it): nothing is stored per client. Off by default.
    ///
    /// A nonce is current for one period and accepted through the next. A request accepted with
    /// a nonce of the previous period gets the current one in `DPoP-Nonce` on its response
    /// (RFC 9449 §8.2), with `Cache-Control: no-store` (replacing the handler's, as §8.2 asks of
    /// responses carrying a nonce), whatever the handler answered; the library's own refusals
    /// (a `403` for scopes, say) stay as they are. So a client that calls at least once a
    /// period and uses the last nonce it was given is never refused for its nonce. This needs
    /// the app-wide middleware, `.wrap(auth.middleware())` (extractors cannot touch responses;
    /// [`check_app`](crate::check_app) requires it): without it such requests are still
    /// accepted, but clients learn the new nonce only from a `use_dpop_nonce` refusal once the
    /// old one is stale. Browser clients read `DPoP-Nonce` only if the application's CORS
    /// layer lists it in `Access-Control-Expose-Headers`.
    pub fn server_nonces(mut self, period: Duration) -> Self {
        self.nonce_period = Some(period);
        self
    }

    /// The key nonces are tagged with (at least 32 bytes): give every instance of the
    /// application the same one so that a nonce from one is good at all. Default: a random key
    /// per authenticator.
    pub fn nonce_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.nonce_secret = Some(secret.into());
        self
    }

    /// The longest proof accepted, in bytes. Default: 8 KiB.
    pub fn max_proof_bytes(mut self, max: usize) -> Self {
        self.max_proof_bytes = max;
        self
    }

    pub(crate) fn mode_of(&self) -> DpopMode {
        self.mode
    }

    /// Checks the settings and builds the mechanism, which verifies tokens as `bearer` does,
    /// with its own verified-token cache.
    pub(crate) fn build(
        self,
        bearer: &Bearer,
        deny: &DenyList,
        cache: &TokenCacheConfig,
        leeway: Duration,
    ) -> Result<(Dpop, Option<Arc<TokenCache>>), ConfigError> {
        if self.algorithms.is_empty() {
            return Err(ConfigError::InvalidDpop(
                "`.algorithms(..)` lists no algorithm".into(),
            ));
        }
        if let Some(symmetric) = self.algorithms.iter().find(|algorithm| {
            crate::dpop::proof::algorithm_named(&format!("{algorithm:?}")).is_none()
        }) {
            return Err(ConfigError::InvalidDpop(format!(
                "{symmetric:?} cannot sign proofs: a proof is signed with the client's private \
                 key (RFC 9449 §4.2), never a shared secret"
            )));
        }
        if self.window.as_secs() == 0 {
            return Err(ConfigError::InvalidDpop(
                "`.proof_window(..)` needs at least one second".into(),
            ));
        }
        let origin = match self.origin {
            None => None,
            Some(origin) => Some(check_origin(&origin)?),
        };
        let algs = self
            .algorithms
            .iter()
            .map(|algorithm| format!("{algorithm:?}"))
            .collect::<Vec<_>>()
            .join(" ");
        let nonces = match self.nonce_period {
            Some(period) => Some(Nonces::new(self.nonce_secret.as_deref(), period.as_secs())?),
            None => None,
        };
        let rules = ProofRules {
            nonces,
            algorithms: self.algorithms,
            window: self.window.as_secs(),
            origin,
            trust_forwarded: self.trust_forwarded,
            max_proof_bytes: self.max_proof_bytes,
            keys: ProofKeys::new(),
        };
        let replay = self
            .replay
            .unwrap_or_else(|| Arc::new(MemoryReplayCache::default()));
        let token_cache = TokenCache::new(cache, leeway).map(Arc::new);
        let dpop = Dpop::new(
            bearer.jwt().with_scheme(Scheme::DPoP),
            token_cache.clone(),
            bearer.introspection().cloned(),
            deny.clone(),
            rules,
            replay,
            algs,
        );
        Ok((dpop, token_cache))
    }
}

/// The origin as `htu` is compared with it: `scheme://host[:port]`, normalised, without a
/// trailing slash.
fn check_origin(origin: &str) -> Result<String, ConfigError> {
    let invalid = |reason: &str| {
        ConfigError::InvalidDpop(format!(
            "the external origin {origin:?} cannot be used: {reason}"
        ))
    };
    let url = url::Url::parse(origin).map_err(|_| invalid("it is not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid("it must be `https://host[:port]`"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must have no path, query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must carry no credentials"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_widen_bearer_endpoints_only() {
        use Scheme::*;
        let accepted = |mode: DpopMode, declared: &[Scheme]| mode.accepted(declared).to_vec();
        assert_eq!(
            accepted(DpopMode::Declared, &[Bearer, Basic]),
            [Bearer, Basic]
        );
        assert_eq!(
            accepted(DpopMode::Allowed, &[Bearer, Basic]),
            [Bearer, DPoP, Basic]
        );
        assert_eq!(accepted(DpopMode::Allowed, &[DPoP, Bearer]), [DPoP, Bearer]);
        assert_eq!(accepted(DpopMode::Allowed, &[Basic]), [Basic]);
        assert_eq!(
            accepted(DpopMode::Required, &[Basic, Bearer]),
            [Basic, DPoP]
        );
        assert_eq!(accepted(DpopMode::Required, &[Bearer, DPoP]), [DPoP]);
        assert_eq!(accepted(DpopMode::Required, &[ApiKey]), [ApiKey]);
        assert!(matches!(
            DpopMode::Allowed.accepted(&[Bearer]),
            Accepted::Inline(..)
        ));
        assert!(matches!(
            DpopMode::Required.accepted(&[Basic]),
            Accepted::Borrowed(..)
        ));
        // Nothing to widen: borrowed, without building a list.
        for declared in [&[Basic][..], &[DPoP, Bearer]] {
            assert!(matches!(
                DpopMode::Allowed.accepted(declared),
                Accepted::Borrowed(..)
            ));
        }
        // More schemes than fit inline.
        let many = [
            Custom("a"),
            Custom("b"),
            Custom("c"),
            Custom("d"),
            Custom("e"),
            Custom("f"),
            Custom("g"),
            Bearer,
        ];
        let widened = accepted(DpopMode::Allowed, &many);
        assert_eq!(widened.len(), 9);
        assert_eq!(&widened[7..], [Bearer, DPoP]);
    }

    #[test]
    fn debug_shows_the_rules_never_the_nonce_secret() {
        let config = DpopConfig::default()
            .server_nonces(Duration::from_secs(60))
            .nonce_secret(*b"TEST-ONLY nonce secret, 32 bytes");
        assert_eq!(
            format!("{config:?}"),
            "DpopConfig { algorithms: [ES256, EdDSA, ES384, RS256, PS256], window: 60s, \
             origin: None, trust_forwarded: false, mode: Declared, nonce_period: Some(60s), .. }"
        );
    }
}
