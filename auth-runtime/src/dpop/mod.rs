//! The DPoP scheme (RFC 9449): `Authorization: DPoP <token>` with a `DPoP` proof header. The
//! token is verified as a Bearer token is (the same JWT verifier, a verified-token cache of
//! its own, introspection's answers); the proof is checked on every request, never cached,
//! and the token must be bound to the proof's key.
//!
//! - `settings` holds the builder's options ([`DpopConfig`](settings::DpopConfig));
//! - `proof` parses a proof and makes the checks of §4.3 that need only the request;
//! - `replay` remembers the proofs used (§11.1).

pub(crate) mod nonce;
pub(crate) mod proof;
pub(crate) mod replay;
pub(crate) mod settings;
#[cfg(feature = "redis")]
pub(crate) mod shared_replay;

use std::sync::Arc;

use actix_web::http::header::{HeaderName, HeaderValue, AUTHORIZATION, CACHE_CONTROL};
use actix_web::{HttpMessage, HttpRequest};

use crate::bearer::claims::Verified;
use crate::bearer::introspection::{Active, Introspector};
use crate::bearer::jwt::JwtVerifier;
use crate::bearer::token_cache::TokenCache;
use crate::clock;
use crate::dpop::nonce::Nonces;
use crate::dpop::proof::{CheckedProof, ProofRules};
use crate::dpop::replay::{FirstUse, ProofId, ReplayCache, ReplayCheck};
use crate::http::authorization::{
    check_b64token, query_has_access_token, Authorization, Malformed,
};
use crate::http::challenge::Challenge;
use crate::http::refusal::{InvalidReason, ProofReason, Refusal};
use crate::http::response_headers;
use crate::mechanism::{Mechanism, Verification};
use crate::outcome::Outcome;
use crate::principal::Principal;
use crate::revocation::deny_list::{DenyList, TokenIds};
use crate::scheme::Scheme;
use crate::telemetry::CredentialFacts;

/// The proof header (RFC 9449 §4.1).
static DPOP: HeaderName = HeaderName::from_static("dpop");
/// The server nonce header (RFC 9449 §8.1).
static DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// The DPoP mechanism.
pub(crate) struct Dpop {
    jwt: JwtVerifier,
    cache: Option<Arc<TokenCache>>,
    introspection: Option<Introspector>,
    deny: DenyList,
    rules: Arc<ProofRules>,
    replay: Arc<dyn ReplayCache>,
    /// The challenge's `algs` (§7.1).
    algs: Box<str>,
}

/// What a DPoP request carries: the token and the one proof.
pub(crate) struct Presented<'r> {
    token: &'r [u8],
    proof: &'r [u8],
}

impl Dpop {
    pub(crate) fn new(
        jwt: JwtVerifier,
        cache: Option<Arc<TokenCache>>,
        introspection: Option<Introspector>,
        deny: DenyList,
        rules: ProofRules,
        replay: Arc<dyn ReplayCache>,
        algs: String,
    ) -> Self {
        Dpop {
            jwt,
            cache,
            introspection,
            deny,
            rules: Arc::new(rules),
            replay,
            algs: algs.into(),
        }
    }
}

impl Mechanism for Dpop {
    type Credentials<'r> = Presented<'r>;

    fn scheme(&self) -> Scheme {
        Scheme::DPoP
    }

    /// `Authorization: DPoP <token>` (RFC 9449 §7.1) and exactly one `DPoP` header (§4.3
    /// check 1). A token also sent as an `access_token` query parameter is `invalid_request`.
    fn find<'r>(
        &self,
        req: &'r HttpRequest,
        authorization: Option<Authorization<'r>>,
    ) -> Result<Option<Presented<'r>>, Refusal> {
        let Some(authorization) = authorization.filter(|a| a.is_scheme("DPoP")) else {
            return Ok(None);
        };
        if query_has_access_token(req.query_string()) {
            return Err(Refusal::Malformed(Malformed::Repeated));
        }
        let token = authorization
            .bearer_credentials()
            .map_err(Refusal::Malformed)?;
        let mut proofs = req.headers().get_all(&DPOP);
        let proof = match (proofs.next(), proofs.next()) {
            (Some(proof), None) => proof.as_bytes(),
            (None, _) => return Err(Refusal::InvalidProof(ProofReason::Missing)),
            (Some(_), Some(_)) => return Err(Refusal::InvalidProof(ProofReason::Repeated)),
        };
        Ok(Some(Presented { token, proof }))
    }

    /// The proof first, in full, on every request; then the token, from the cache or verified
    /// (or introspected) with the binding of the token to the proof's key and the deny-list
    /// ([`Dpop::verify_token`]); last the replay check, so that only proofs that would be
    /// accepted are remembered. An accepted proof whose server nonce is of the previous period
    /// has the current nonce given in the response (RFC 9449 §8.2).
    ///
    /// A request is checked once: with the app-wide middleware, its credentials are checked
    /// before its route's own check runs, and the route's check is served the principal the
    /// first one accepted (a second check would verify the signature again and find the proof
    /// used: by this very request). Refusals are not kept: a refused request ends at its first
    /// check.
    fn verify(&self, req: &HttpRequest, presented: Presented<'_>) -> Verification {
        if let Some(principal) = accepted_before(req) {
            return Outcome::ready(Ok(principal));
        }
        let now = clock::now();
        let token = match check_b64token(presented.token) {
            Ok(token) => token,
            Err(malformed) => return Outcome::ready(Err(Refusal::Malformed(malformed))),
        };
        let proof = match self.rules.check(req, presented.proof, token, now) {
            Ok(proof) => proof,
            Err(refusal) => return Outcome::ready(Err(refusal)),
        };
        if proof.renews_nonce {
            // Sent only if the request is not refused (`response_headers::apply`).
            give_current_nonce(&self.rules, req);
        }
        let id = ProofId::new(proof.id);
        // Remembered until `iat + window`: after that the proof is refused by its `iat` anyway.
        let until = proof.iat.saturating_add(self.rules.window);
        match self.verify_token(token, proof, now).now() {
            Ok(Ok(principal)) => {
                let check = self.replay.first_use(&id, until, now);
                first_use(req, principal, check)
            }
            Ok(Err(refusal)) => Outcome::ready(Err(refusal)),
            Err(pending) => {
                let (replay, req) = (Arc::clone(&self.replay), req.clone());
                Outcome::pending(async move {
                    let principal = pending.await?;
                    let check = replay.first_use(&id, until, clock::now());
                    first_use(&req, principal, check).await
                })
            }
        }
    }

    /// OpenAPI has no `http` scheme for DPoP: the `Authorization` header, described.
    #[cfg(feature = "openapi")]
    fn openapi(&self) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "Authorization",
            "A DPoP-bound access token (RFC 9449): `Authorization: DPoP <token>` with a fresh \
             proof in the `DPoP` header, signed by the key the token is bound to (`cnf.jkt`)",
        )))
    }

    fn challenge(&self, realm: &str) -> Challenge {
        Challenge::new("DPoP", realm)
    }

    /// `algs` follows the error attributes, as in RFC 9449 §7.1's examples.
    fn finish_challenge(&self, challenge: Challenge) -> Challenge {
        challenge.param("algs", &self.algs)
    }

    /// A `use_dpop_nonce` refusal gives the nonce to use (RFC 9449 §9).
    fn refusal_header(&self, refusal: &Refusal) -> Option<(HeaderName, HeaderValue)> {
        if !matches!(refusal, Refusal::UseDpopNonce) {
            return None;
        }
        let nonce = current_nonce(self.rules.nonces.as_ref()?)?;
        Some((DPOP_NONCE.clone(), nonce))
    }

    fn reports_errors(&self) -> bool {
        true
    }

    /// The refused token's header and registered claims, read without trusting them.
    fn refusal_facts(
        &self,
        _req: &HttpRequest,
        authorization: Option<Authorization<'_>>,
    ) -> CredentialFacts {
        match authorization.filter(|a| a.is_scheme("DPoP")) {
            Some(authorization) => {
                crate::bearer::facts::of_token(authorization.credentials(), clock::now())
            }
            None => CredentialFacts::default(),
        }
    }
}

/// The DPoP credentials a request had accepted, and the principal they gave: kept in the
/// request's extensions (the server's own; no client can set them).
struct AcceptedRequest {
    authorization: Option<HeaderValue>,
    proof: Option<HeaderValue>,
    principal: Arc<Principal>,
}

/// The principal of `req`'s DPoP credentials if the same request already had them accepted,
/// with its headers as they are now.
fn accepted_before(req: &HttpRequest) -> Option<Arc<Principal>> {
    let extensions = req.extensions();
    let accepted = extensions.get::<AcceptedRequest>()?;
    let headers = req.headers();
    let same = accepted.authorization.as_ref() == headers.get(AUTHORIZATION)
        && accepted.proof.as_ref() == headers.get(&DPOP);
    same.then(|| Arc::clone(&accepted.principal))
}

/// Keeps an accepted `verified` for `req`'s later checks.
fn remember_accepted(req: &HttpRequest, verified: &Result<Arc<Principal>, Refusal>) {
    let Ok(principal) = verified else { return };
    let headers = req.headers();
    let accepted = AcceptedRequest {
        authorization: headers.get(AUTHORIZATION).cloned(),
        proof: headers.get(&DPOP).cloned(),
        principal: Arc::clone(principal),
    };
    req.extensions_mut().insert(accepted);
}

/// The nonce current now, as a header value.
fn current_nonce(nonces: &Nonces) -> Option<HeaderValue> {
    // Base64url only: always a valid header value.
    HeaderValue::from_str(&nonces.current(clock::now())).ok()
}

/// Records the current nonce for the response to `req` (RFC 9449 §8.2), in `DPoP-Nonce`, and
/// `Cache-Control: no-store`, as §8.2 asks of every response carrying one: a response served
/// again from a cache would hand out a stale nonce. A refusal never carries them, so they reach
/// only the responses of accepted requests.
fn give_current_nonce(rules: &ProofRules, req: &HttpRequest) {
    let Some(nonce) = rules.nonces.as_ref().and_then(current_nonce) else {
        return;
    };
    response_headers::add(req, DPOP_NONCE.clone(), nonce);
    response_headers::add(req, CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The thumbprint a principal's token is bound to (`cnf.jkt`); `Some("")` for a `cnf` this
/// verifier cannot honour, which binds the token all the same.
fn bound_key(principal: &Principal) -> Option<Box<str>> {
    let cnf = principal.claim("cnf")?;
    Some(match cnf.get("jkt").and_then(|jkt| jkt.as_str()) {
        Some(jkt) => jkt.into(),
        None => "".into(),
    })
}

/// What a pending verification owns of the mechanism.
struct Parts {
    cache: Option<Arc<TokenCache>>,
    jwt: JwtVerifier,
    deny: DenyList,
}

impl Dpop {
    /// The token of a request whose `proof` passed its checks: from the cache or verified (or
    /// introspected), then bound to the proof's key and not revoked.
    fn verify_token(&self, token: &str, proof: CheckedProof, now: u64) -> Verification {
        let introspector = self
            .introspection
            .as_ref()
            .filter(|introspector| introspector.applies_to(token.as_bytes()));
        if let Some(answer) = introspector.and_then(|i| i.cached(token.as_bytes(), now)) {
            let admitted = answer
                .and_then(|active| accept_introspected(&self.deny, &active, token, &proof, now));
            return Outcome::ready(admitted);
        }
        if let (Some(cache), None) = (&self.cache, introspector) {
            let keys = self.jwt.keys();
            let served = cache.lookup(
                token.as_bytes(),
                now,
                |key| keys.load().holds(key),
                |principal, ids| {
                    let bound = bound_key(principal);
                    self.accept(principal, ids, token, bound.as_deref(), &proof, now)
                },
            );
            if let Some(served) = served {
                return Outcome::ready(served);
            }
        }
        if let Some(introspector) = introspector {
            return match introspector.introspect(token).now() {
                Ok(answer) => Outcome::ready(
                    answer.and_then(|a| accept_introspected(&self.deny, &a, token, &proof, now)),
                ),
                Err(pending) => {
                    let (this, token) = (self.parts(), token.to_owned());
                    Outcome::pending(async move {
                        let answer = pending.await?;
                        accept_introspected(&this.deny, &answer, &token, &proof, clock::now())
                    })
                }
            };
        }
        // Every request verifies a proof's signature: the registry times every verification.
        match self.jwt.verify(token, now).now() {
            Ok(verified) => Outcome::ready(verified.and_then(|verified| {
                remember(
                    &self.cache,
                    &self.jwt,
                    &self.deny,
                    token,
                    verified,
                    &proof,
                    now,
                )
            })),
            Err(pending) => {
                let (this, token) = (self.parts(), token.to_owned());
                Outcome::pending(async move {
                    let verified = pending.await?;
                    remember(
                        &this.cache,
                        &this.jwt,
                        &this.deny,
                        &token,
                        verified,
                        &proof,
                        clock::now(),
                    )
                })
            }
        }
    }

    fn parts(&self) -> Parts {
        Parts {
            cache: self.cache.clone(),
            jwt: self.jwt.clone(),
            deny: self.deny.clone(),
        }
    }

    fn accept(
        &self,
        principal: &Arc<Principal>,
        ids: &TokenIds,
        token: &str,
        bound: Option<&str>,
        proof: &CheckedProof,
        now: u64,
    ) -> Result<Arc<Principal>, Refusal> {
        let accepted = Accepted {
            principal,
            ids,
            token,
            bound,
        };
        accept(&self.deny, accepted, proof, now)
    }
}

/// A valid token: its principal, what the deny-list knows it by, its bytes, and the key it is
/// bound to.
struct Accepted<'a> {
    principal: &'a Arc<Principal>,
    ids: &'a TokenIds,
    token: &'a str,
    bound: Option<&'a str>,
}

/// The checks after the token is known valid, in order: it is bound (a token without `cnf`
/// presented as DPoP is `invalid_token`), to the proof's key (§4.3 check 12,
/// `invalid_dpop_proof`), and the deny-list does not refuse it (row 22). The replay check
/// (§11.1) comes last, in `verify`.
fn accept(
    deny: &DenyList,
    token: Accepted<'_>,
    proof: &CheckedProof,
    now: u64,
) -> Result<Arc<Principal>, Refusal> {
    let bound = token
        .bound
        .ok_or(Refusal::Invalid(InvalidReason::NotKeyBound))?;
    if bound != proof.thumbprint() {
        return Err(Refusal::InvalidProof(ProofReason::WrongKey));
    }
    deny.verdict(token.ids, token.token.as_bytes(), now)
        .into_result()?;
    Ok(Arc::clone(token.principal))
}

/// The verdict of the replay check on an otherwise accepted request, kept for the request's
/// later checks when it is accepted.
fn first_use(req: &HttpRequest, principal: Arc<Principal>, check: ReplayCheck) -> Verification {
    let verdict = |answer| match answer {
        FirstUse::Yes => Ok(principal),
        FirstUse::Replayed => Err(Refusal::InvalidProof(ProofReason::Replayed)),
        FirstUse::Full => Err(Refusal::Overloaded),
        FirstUse::Unavailable => Err(Refusal::ReplaysUnavailable),
    };
    match check.0.now() {
        Ok(answer) => {
            let verified = verdict(answer);
            remember_accepted(req, &verified);
            Outcome::ready(verified)
        }
        Err(pending) => {
            let req = req.clone();
            Outcome::pending(async move {
                let verified = verdict(pending.await);
                remember_accepted(&req, &verified);
                verified
            })
        }
    }
}

/// [`accept`] for an introspected token, whose principal is made a DPoP one.
fn accept_introspected(
    deny: &DenyList,
    active: &Active,
    token: &str,
    proof: &CheckedProof,
    now: u64,
) -> Result<Arc<Principal>, Refusal> {
    let accepted = Accepted {
        principal: &active.principal,
        ids: &active.ids,
        token,
        bound: active.bound_key.as_deref(),
    };
    accept(deny, accepted, proof, now)?;
    Ok(Arc::new(active.principal.with_scheme(Scheme::DPoP)))
}

/// [`accept`] for a freshly verified token, cached once it is known bound (the binding is
/// re-checked on every hit; the proof never enters the cache).
fn remember(
    cache: &Option<Arc<TokenCache>>,
    jwt: &JwtVerifier,
    deny: &DenyList,
    token: &str,
    verified: Verified,
    proof: &CheckedProof,
    now: u64,
) -> Result<Arc<Principal>, Refusal> {
    let accepted = Accepted {
        principal: &verified.principal,
        ids: &verified.ids,
        token,
        bound: verified.bound_key.as_deref(),
    };
    let principal = accept(deny, accepted, proof, now)?;
    if let Some(cache) = cache {
        let current_keys = || {
            let keys = jwt.keys().load_full();
            move |key| keys.holds(key)
        };
        cache.insert(token.as_bytes(), &verified, now, current_keys);
    }
    Ok(principal)
}
