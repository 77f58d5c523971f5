//! Why a request was refused: [`Refusal`] and the reason codes it carries. What a refusal is
//! answered with is decided in `response.rs`.

use std::fmt;

use actix_web::http::StatusCode;

use crate::http::authorization::Malformed;
use crate::requirement::ScopeExpr;

/// Why a token that is well-formed as a header value was not accepted (CONFORMANCE row 5).
///
/// The reason is logged server-side; the response only ever says "invalid".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidReason {
    /// Not three base64url segments, undecodable header or claims, claims not an object.
    Malformed,
    /// Longer than the configured maximum token size.
    TooLarge,
    /// The signature does not verify with the key.
    BadSignature,
    /// The header's `alg` is not the algorithm of any configured key (this covers `none` and
    /// HMAC-with-a-public-key confusion).
    WrongAlgorithm,
    /// No configured key has the header's `kid`.
    UnknownKey,
    /// `iss` missing or not one of the configured issuers.
    WrongIssuer,
    /// `aud` missing or not one of the configured audiences.
    WrongAudience,
    /// The header's `typ` is not the required one (RFC 9068 `at+jwt`).
    WrongType,
    /// The header lists `crit` extensions, none of which this verifier understands.
    CriticalHeader,
    /// A required claim (`exp` or one configured) is missing or has the wrong type.
    MissingClaim,
    /// The claims do not deserialize into the handler's `Claims<T>` type.
    ClaimsMismatch,
    /// The introspection endpoint says the token is not active (RFC 7662 §2.2), or its
    /// answer is not one a valid token gets (CONFORMANCE row 22).
    Inactive,
    /// The token was revoked: by its `jti`, itself, or its subject (CONFORMANCE row 22).
    Revoked,
    /// The token is bound to a key (`cnf.jkt`, RFC 9449 §6) but was presented as a plain
    /// Bearer token (CONFORMANCE row 21).
    KeyBound,
    /// The introspection endpoint says the token is of a type other than an access token
    /// (`token_type` neither `Bearer` nor `DPoP`, RFC 7662 §2.2).
    WrongTokenType,
    /// The token was presented with a DPoP proof (RFC 9449 §7.1) but is not bound to a key: it
    /// has no `cnf` claim, so the proof proves nothing about it.
    NotKeyBound,
}

impl InvalidReason {
    /// The stable reason code recorded in `tracing` events.
    pub const fn code(self) -> &'static str {
        match self {
            InvalidReason::Malformed => "malformed",
            InvalidReason::TooLarge => "too_large",
            InvalidReason::BadSignature => "bad_signature",
            InvalidReason::WrongAlgorithm => "wrong_algorithm",
            InvalidReason::UnknownKey => "unknown_key",
            InvalidReason::WrongIssuer => "wrong_issuer",
            InvalidReason::WrongAudience => "wrong_audience",
            InvalidReason::WrongType => "wrong_type",
            InvalidReason::CriticalHeader => "critical_header",
            InvalidReason::MissingClaim => "missing_claim",
            InvalidReason::ClaimsMismatch => "claims_mismatch",
            InvalidReason::Inactive => "inactive",
            InvalidReason::Revoked => "revoked",
            InvalidReason::KeyBound => "key_bound",
            InvalidReason::WrongTokenType => "wrong_token_type",
            InvalidReason::NotKeyBound => "not_key_bound",
        }
    }
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Which authentication requirement of an endpoint (RFC 9470) a token did not meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StepUpReason {
    /// The token has no `acr`, or one the endpoint does not accept.
    AcrNotAccepted,
    /// The endpoint limits the age of the authentication and the token has no `auth_time`.
    AuthTimeMissing,
    /// `auth_time` is older than the endpoint's `max_age`, beyond the clock leeway.
    AuthenticationTooOld,
}

impl StepUpReason {
    /// The stable reason code recorded in `tracing` events.
    pub const fn code(self) -> &'static str {
        match self {
            StepUpReason::AcrNotAccepted => "acr_not_accepted",
            StepUpReason::AuthTimeMissing => "auth_time_missing",
            StepUpReason::AuthenticationTooOld => "authentication_too_old",
        }
    }
}

/// Why a DPoP proof (RFC 9449 §4.3) was not accepted (CONFORMANCE row 19).
///
/// The reason is logged server-side; the response only ever says `invalid_dpop_proof`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProofReason {
    /// The request has no `DPoP` header (§4.3 check 1).
    Missing,
    /// The request has more than one `DPoP` header (§4.3 check 1).
    Repeated,
    /// Not a JWT: not three base64url segments, a header or claims that are not JSON objects,
    /// a repeated member, a required claim missing or of the wrong type, or `crit` present
    /// (§4.3 checks 2, 3).
    Malformed,
    /// The header's `typ` is not `dpop+jwt` (§4.3 check 4).
    WrongType,
    /// The header's `alg` is not an asymmetric algorithm of the configured allow-list; `none`
    /// and HMAC never are (§4.3 check 5).
    WrongAlgorithm,
    /// The header's `jwk` is missing, is not a public key of the `alg`'s type and curve, or
    /// is not encoded as RFC 7518 §6 says.
    UnusableKey,
    /// The header's `jwk` holds private key members (§4.3 check 7).
    PrivateKey,
    /// The signature does not verify with the header's `jwk` (§4.3 check 6).
    BadSignature,
    /// `htm` is not the request's method (§4.3 check 8).
    WrongMethod,
    /// `htu` is not the request's URI without query and fragment (§4.3 check 9).
    WrongUrl,
    /// `iat` is outside the accepted window around the server's clock (§4.3 check 11).
    OutsideWindow,
    /// A proof with the same key and `jti` was already used within the window (§11.1).
    Replayed,
    /// `ath` is missing or not the base64url SHA-256 of the access token (§4.3 check 12).
    WrongTokenHash,
    /// The proof's key is not the one the token is bound to: its RFC 7638 thumbprint is not
    /// the token's `cnf.jkt` (§4.3 check 12, §6.1).
    WrongKey,
}

impl ProofReason {
    /// The stable reason code recorded in `tracing` events.
    pub const fn code(self) -> &'static str {
        match self {
            ProofReason::Missing => "dpop_proof_missing",
            ProofReason::Repeated => "dpop_proof_repeated",
            ProofReason::Malformed => "dpop_proof_malformed",
            ProofReason::WrongType => "dpop_proof_wrong_type",
            ProofReason::WrongAlgorithm => "dpop_proof_wrong_algorithm",
            ProofReason::UnusableKey => "dpop_proof_unusable_key",
            ProofReason::PrivateKey => "dpop_proof_private_key",
            ProofReason::BadSignature => "dpop_proof_bad_signature",
            ProofReason::WrongMethod => "dpop_proof_wrong_method",
            ProofReason::WrongUrl => "dpop_proof_wrong_url",
            ProofReason::OutsideWindow => "dpop_proof_outside_window",
            ProofReason::Replayed => "dpop_proof_replayed",
            ProofReason::WrongTokenHash => "dpop_proof_wrong_ath",
            ProofReason::WrongKey => "dpop_proof_wrong_key",
        }
    }
}

/// A step-up refusal (RFC 9470 §3): why the token fell short (logged, never sent) and the
/// status it is answered with. The challenge names what a new authentication must meet, the
/// endpoint's `acr_values` and `max_age`.
///
/// A client reads the challenge, sends the user back to the authorization server with these
/// `acr_values` and `max_age` (OpenID Connect Core §3.1.2.1), and retries with the new token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepUp {
    reason: StepUpReason,
    forbidden: bool,
}

impl StepUp {
    pub(crate) const fn new(reason: StepUpReason, forbidden: bool) -> Self {
        StepUp { reason, forbidden }
    }

    /// Which requirement the token did not meet.
    pub const fn reason(&self) -> StepUpReason {
        self.reason
    }

    /// `401`, or `403` when the authenticator is configured so
    /// ([`step_up_forbidden`](crate::AuthenticatorBuilder::step_up_forbidden)).
    pub const fn status(&self) -> StatusCode {
        if self.forbidden {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNAUTHORIZED
        }
    }
}

impl fmt::Display for ProofReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a request was refused. One variant per row class of the conformance table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// No credentials of an accepted scheme (rows 1, 2, 9).
    #[error("no credentials")]
    Missing,
    /// The credentials are malformed or sent more than once (rows 3, 4).
    #[error("malformed credentials: {0}")]
    Malformed(Malformed),
    /// A well-formed but invalid token (row 5).
    #[error("invalid token: {0}")]
    Invalid(InvalidReason),
    /// A DPoP proof that is missing, malformed, or does not match the request, the token or
    /// the window, or was used before (row 19).
    #[error("invalid DPoP proof: {0}")]
    InvalidProof(ProofReason),
    /// The server requires a nonce (RFC 9449 §9) and the proof has none, or one that is no
    /// longer current (row 20): answered with `use_dpop_nonce` and a fresh `DPoP-Nonce`.
    #[error("DPoP nonce required")]
    UseDpopNonce,
    /// `exp` (plus leeway) is in the past (row 6).
    #[error("token expired")]
    Expired,
    /// `nbf` (minus leeway) is in the future (row 6).
    #[error("token not yet valid")]
    NotYetValid,
    /// Valid credentials whose scopes do not satisfy the requirement (row 7).
    #[error("insufficient scope")]
    InsufficientScope(ScopeExpr),
    /// Valid credentials whose authentication is not the kind or not as recent as the endpoint
    /// requires (row 18, RFC 9470): answered with a step-up challenge.
    #[error("insufficient user authentication")]
    InsufficientUserAuthentication(StepUp),
    /// Credentials of a Basic, API-key or custom scheme that were not accepted: unknown user,
    /// wrong password, undecodable, unknown key (rows 10, 11). Always the same answer.
    #[error("credentials rejected")]
    Rejected,
    /// Valid credentials that a role or policy check denies (row 8); the code goes to
    /// `tracing`, not to the response.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The key source is unreachable and no usable key is cached (row 12).
    #[error("verification keys unavailable")]
    KeysUnavailable,
    /// Too many credentials are waiting for a slow check (the argon2 queue of
    /// [`Passwords`](crate::Passwords) is full): answered `503` with `Retry-After` at once
    /// rather than queued without limit. Credentials served from a cache never get it.
    #[error("too many credentials waiting to be checked")]
    Overloaded,
    /// The token must be introspected (RFC 7662) and the introspection endpoint cannot be
    /// reached, answers an error, or is too slow (row 23).
    #[error("token introspection unavailable")]
    IntrospectionUnavailable,
    /// The revocation store has been unreachable for longer than the configured limit
    /// (row 23).
    #[error("revocation store unavailable")]
    RevocationsUnavailable,
    /// The DPoP replay cache could not say whether a proof was used before (a shared store
    /// that cannot be reached): the proof is never accepted unremembered (RFC 9449 §11.1).
    #[error("DPoP replay cache unavailable")]
    ReplaysUnavailable,
    /// The handler needs authentication but no [`Authenticator`](crate::Authenticator) is
    /// registered in the application.
    #[error("no authenticator registered")]
    NotConfigured,
}

impl Refusal {
    /// The response status (CONFORMANCE table).
    pub const fn status(&self) -> StatusCode {
        match self {
            Refusal::Missing
            | Refusal::Invalid(_)
            | Refusal::InvalidProof(_)
            | Refusal::UseDpopNonce
            | Refusal::Expired
            | Refusal::NotYetValid
            | Refusal::Rejected => StatusCode::UNAUTHORIZED,
            Refusal::Malformed(_) => StatusCode::BAD_REQUEST,
            Refusal::InsufficientScope(_) | Refusal::Forbidden(_) => StatusCode::FORBIDDEN,
            Refusal::InsufficientUserAuthentication(step_up) => step_up.status(),
            Refusal::KeysUnavailable
            | Refusal::Overloaded
            | Refusal::IntrospectionUnavailable
            | Refusal::RevocationsUnavailable
            | Refusal::ReplaysUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The RFC 6750 §3.1 `error` code sent in the challenge, if any.
    pub const fn error_code(&self) -> Option<&'static str> {
        match self {
            Refusal::Missing
            | Refusal::NotConfigured
            | Refusal::Rejected
            | Refusal::Forbidden(_)
            | Refusal::KeysUnavailable
            | Refusal::Overloaded
            | Refusal::IntrospectionUnavailable
            | Refusal::RevocationsUnavailable
            | Refusal::ReplaysUnavailable => None,
            Refusal::Malformed(_) => Some("invalid_request"),
            Refusal::Invalid(_) | Refusal::Expired | Refusal::NotYetValid => Some("invalid_token"),
            Refusal::InsufficientScope(_) => Some("insufficient_scope"),
            Refusal::InsufficientUserAuthentication(_) => Some("insufficient_user_authentication"),
            Refusal::InvalidProof(_) => Some("invalid_dpop_proof"),
            Refusal::UseDpopNonce => Some("use_dpop_nonce"),
        }
    }

    /// The stable reason code recorded in `tracing` events (`missing`, `malformed`, `expired`,
    /// `not_yet_valid`, `bad_signature`, `wrong_issuer`, `wrong_audience`, `unknown_key`,
    /// `insufficient_scope`, `overloaded`, …). Never sent to the client by the default
    /// response.
    pub const fn reason_code(&self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::Malformed(Malformed::Repeated) => "repeated",
            Refusal::Malformed(_) => "malformed_request",
            Refusal::Invalid(reason) => reason.code(),
            Refusal::InvalidProof(reason) => reason.code(),
            Refusal::UseDpopNonce => "use_dpop_nonce",
            Refusal::Expired => "expired",
            Refusal::NotYetValid => "not_yet_valid",
            Refusal::InsufficientScope(_) => "insufficient_scope",
            Refusal::InsufficientUserAuthentication(step_up) => step_up.reason().code(),
            Refusal::Rejected => "rejected",
            Refusal::Forbidden(code) => code,
            Refusal::KeysUnavailable => "keys_unavailable",
            Refusal::Overloaded => "overloaded",
            Refusal::IntrospectionUnavailable => "introspection_unavailable",
            Refusal::RevocationsUnavailable => "revocations_unavailable",
            Refusal::ReplaysUnavailable => "replays_unavailable",
            Refusal::NotConfigured => "not_configured",
        }
    }

    /// The `error_description` (RFC 6750 §3): for an invalid token only "invalid", "expired" and
    /// "not yet valid" are ever distinguished; a step-up says whether a different or a more
    /// recent authentication is needed, as RFC 9470 §3's examples do.
    pub(crate) const fn error_description(&self) -> Option<&'static str> {
        match self {
            Refusal::Invalid(_) => Some("The access token is invalid"),
            Refusal::Expired => Some("The access token expired"),
            Refusal::NotYetValid => Some("The access token is not yet valid"),
            Refusal::InsufficientUserAuthentication(step_up) => match step_up.reason() {
                StepUpReason::AcrNotAccepted => {
                    Some("A different authentication level is required")
                }
                _ => Some("More recent authentication is required"),
            },
            _ => None,
        }
    }

    /// The generic RFC 9457 `detail` of the default body.
    pub const fn detail(&self) -> &'static str {
        match self {
            // Rows 10, 11: a rejected credential is answered exactly as a missing one.
            Refusal::Missing | Refusal::Rejected => {
                "Authentication is required to access this resource."
            }
            Refusal::Malformed(_) => "The request's credentials are malformed.",
            Refusal::Invalid(_) => "The access token is invalid.",
            Refusal::InvalidProof(_) => "The DPoP proof is invalid.",
            Refusal::UseDpopNonce => "The DPoP proof must carry the nonce the server gives.",
            Refusal::Expired => "The access token expired.",
            Refusal::NotYetValid => "The access token is not yet valid.",
            Refusal::InsufficientScope(_) => {
                "The access token does not grant the scope this resource requires."
            }
            Refusal::InsufficientUserAuthentication(_) => {
                "A stronger or more recent authentication is required to access this resource."
            }
            Refusal::Forbidden(_) => "Access to this resource is not allowed.",
            Refusal::Overloaded => {
                "Too many requests are waiting for their credentials to be checked; retry later."
            }
            Refusal::KeysUnavailable
            | Refusal::IntrospectionUnavailable
            | Refusal::RevocationsUnavailable
            | Refusal::ReplaysUnavailable => {
                "Credentials cannot be verified right now; retry later."
            }
            Refusal::NotConfigured => "The server cannot authenticate this request.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reason codes are a contract with whoever reads the logs: each is pinned here.
    #[test]
    fn reason_codes_are_stable() {
        for (reason, code) in [
            (ProofReason::Missing, "dpop_proof_missing"),
            (ProofReason::Repeated, "dpop_proof_repeated"),
            (ProofReason::Malformed, "dpop_proof_malformed"),
            (ProofReason::WrongType, "dpop_proof_wrong_type"),
            (ProofReason::WrongAlgorithm, "dpop_proof_wrong_algorithm"),
            (ProofReason::UnusableKey, "dpop_proof_unusable_key"),
            (ProofReason::PrivateKey, "dpop_proof_private_key"),
            (ProofReason::BadSignature, "dpop_proof_bad_signature"),
            (ProofReason::WrongMethod, "dpop_proof_wrong_method"),
            (ProofReason::WrongUrl, "dpop_proof_wrong_url"),
            (ProofReason::OutsideWindow, "dpop_proof_outside_window"),
            (ProofReason::Replayed, "dpop_proof_replayed"),
            (ProofReason::WrongTokenHash, "dpop_proof_wrong_ath"),
            (ProofReason::WrongKey, "dpop_proof_wrong_key"),
        ] {
            assert_eq!(reason.code(), code);
            assert_eq!(reason.to_string(), code);
        }
        for (reason, code) in [
            (StepUpReason::AcrNotAccepted, "acr_not_accepted"),
            (StepUpReason::AuthTimeMissing, "auth_time_missing"),
            (StepUpReason::AuthenticationTooOld, "authentication_too_old"),
        ] {
            assert_eq!(reason.code(), code);
        }
    }
}
