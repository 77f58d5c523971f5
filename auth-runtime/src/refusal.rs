//! Why a request was refused, and the one place that turns a refusal into a response.

use std::fmt;
use std::sync::Arc;

use actix_web::body::BoxBody;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, ResponseError};

use crate::authorization::Malformed;
use crate::challenge::Challenge;
use crate::requirement::{Scheme, ScopeExpr};

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
        }
    }
}

impl fmt::Display for InvalidReason {
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
    /// `exp` (plus leeway) is in the past (row 6).
    #[error("token expired")]
    Expired,
    /// `nbf` (minus leeway) is in the future (row 6).
    #[error("token not yet valid")]
    NotYetValid,
    /// Valid credentials whose scopes do not satisfy the requirement (row 7).
    #[error("insufficient scope")]
    InsufficientScope(&'static ScopeExpr),
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
            | Refusal::Expired
            | Refusal::NotYetValid
            | Refusal::Rejected => StatusCode::UNAUTHORIZED,
            Refusal::Malformed(_) => StatusCode::BAD_REQUEST,
            Refusal::InsufficientScope(_) | Refusal::Forbidden(_) => StatusCode::FORBIDDEN,
            Refusal::KeysUnavailable => StatusCode::SERVICE_UNAVAILABLE,
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
            | Refusal::KeysUnavailable => None,
            Refusal::Malformed(_) => Some("invalid_request"),
            Refusal::Invalid(_) | Refusal::Expired | Refusal::NotYetValid => Some("invalid_token"),
            Refusal::InsufficientScope(_) => Some("insufficient_scope"),
        }
    }

    /// The stable reason code recorded in `tracing` events (`missing`, `malformed`, `expired`,
    /// `not_yet_valid`, `bad_signature`, `wrong_issuer`, `wrong_audience`, `unknown_key`,
    /// `insufficient_scope`, …). Never sent to the client by the default response.
    pub const fn reason_code(&self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::Malformed(Malformed::Repeated) => "repeated",
            Refusal::Malformed(_) => "malformed_request",
            Refusal::Invalid(reason) => reason.code(),
            Refusal::Expired => "expired",
            Refusal::NotYetValid => "not_yet_valid",
            Refusal::InsufficientScope(_) => "insufficient_scope",
            Refusal::Rejected => "rejected",
            Refusal::Forbidden(code) => code,
            Refusal::KeysUnavailable => "keys_unavailable",
            Refusal::NotConfigured => "not_configured",
        }
    }

    /// The `error_description` (RFC 6750 §3): only "invalid", "expired" and "not yet valid"
    /// are ever distinguished.
    const fn error_description(&self) -> Option<&'static str> {
        match self {
            Refusal::Invalid(_) => Some("The access token is invalid"),
            Refusal::Expired => Some("The access token expired"),
            Refusal::NotYetValid => Some("The access token is not yet valid"),
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
            Refusal::Expired => "The access token expired.",
            Refusal::NotYetValid => "The access token is not yet valid.",
            Refusal::InsufficientScope(_) => {
                "The access token does not grant the scope this resource requires."
            }
            Refusal::Forbidden(_) => "Access to this resource is not allowed.",
            Refusal::KeysUnavailable => "Credentials cannot be verified right now; retry later.",
            Refusal::NotConfigured => "The server cannot authenticate this request.",
        }
    }
}

/// A response body chosen by the application for refusals, installed with
/// [`AuthenticatorBuilder::error_body`](crate::AuthenticatorBuilder::error_body).
///
/// The status and the `WWW-Authenticate` / `Retry-After` headers stay the library's: a custom
/// body cannot break the protocol.
#[derive(Debug, Clone)]
pub struct ErrorBody {
    content_type: HeaderValue,
    bytes: Bytes,
}

impl ErrorBody {
    /// A body with an explicit content type.
    pub fn new(content_type: HeaderValue, bytes: impl Into<Bytes>) -> Self {
        ErrorBody {
            content_type,
            bytes: bytes.into(),
        }
    }

    /// A JSON body (`application/json`).
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Self {
        ErrorBody {
            content_type: HeaderValue::from_static("application/json"),
            bytes: serde_json::to_vec(value).unwrap_or_default().into(),
        }
    }

    /// The RFC 9457 `application/problem+json` body the library sends by default: `type`
    /// `about:blank`, `title` the status phrase, `status`, and a generic `detail`.
    pub fn problem(refusal: &Refusal) -> Self {
        let status = refusal.status();
        let body = serde_json::json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": refusal.detail(),
        });
        ErrorBody {
            content_type: HeaderValue::from_static("application/problem+json"),
            bytes: serde_json::to_vec(&body).unwrap_or_default().into(),
        }
    }
}

/// The application's refusal-body builder.
pub(crate) type BodyBuilder = Arc<dyn Fn(&Refusal) -> ErrorBody + Send + Sync>;

/// The error a refused request ends with: an actix [`ResponseError`] whose response follows
/// the conformance table.
///
/// [`AuthError::refusal`] tells why, for middleware and tests.
pub struct AuthError {
    refusal: Refusal,
    challenges: Vec<HeaderValue>,
    body: ErrorBody,
}

/// How long a client should wait before retrying a 503 (row 12), in seconds.
pub(crate) const RETRY_AFTER_SECONDS: u32 = 30;

impl AuthError {
    /// Builds the response of `refusal` for an endpoint that accepts `accepted` in `realm`,
    /// where `failed` is the scheme whose credentials were presented (if any) and `challenge`
    /// gives each scheme's bare challenge. This is the only place where a refusal becomes a
    /// status, challenges and a body.
    pub(crate) fn new(
        refusal: Refusal,
        failed: Option<Scheme>,
        accepted: &[Scheme],
        realm: &str,
        challenge: &dyn Fn(Scheme, &str) -> Challenge,
        body: Option<&BodyBuilder>,
    ) -> Self {
        let bearer_with_error = || {
            let mut bearer = challenge(Scheme::Bearer, realm);
            if let Some(code) = refusal.error_code() {
                bearer = bearer.param("error", code);
            }
            if let Some(description) = refusal.error_description() {
                bearer = bearer.param("error_description", description);
            }
            if let Refusal::InsufficientScope(required) = refusal {
                bearer = bearer.param("scope", &required.smallest_satisfying_set().join(" "));
            }
            vec![bearer.to_header_value()]
        };
        let every_scheme = || {
            accepted
                .iter()
                .map(|&scheme| challenge(scheme, realm).to_header_value())
                .collect()
        };
        let challenges = match refusal {
            Refusal::NotConfigured | Refusal::KeysUnavailable | Refusal::Forbidden(_) => Vec::new(),
            // Rows 1, 2, 9: one challenge per accepted scheme, in declaration order.
            Refusal::Missing => every_scheme(),
            // Rows 3, 4 (the authenticator turns malformed credentials into `Rejected` on
            // endpoints that do not accept Bearer: row 10, the same answer for every failure).
            Refusal::Malformed(_) => bearer_with_error(),
            // Rows 5, 6 are Bearer's; a custom scheme refusing with them gets its own challenge.
            Refusal::Invalid(_) | Refusal::Expired | Refusal::NotYetValid
                if matches!(failed, None | Some(Scheme::Bearer)) =>
            {
                bearer_with_error()
            }
            Refusal::Invalid(_) | Refusal::Expired | Refusal::NotYetValid => failed
                .map_or_else(every_scheme, |scheme| {
                    vec![challenge(scheme, realm).to_header_value()]
                }),
            // Row 7 is Bearer's (RFC 6750 §3.1); other schemes have no way to say it.
            Refusal::InsufficientScope(_) if failed == Some(Scheme::Bearer) => bearer_with_error(),
            Refusal::InsufficientScope(_) => Vec::new(),
            // Rows 10, 11: the failing scheme's own challenge, identical for every failure.
            Refusal::Rejected => match failed {
                Some(scheme) => vec![challenge(scheme, realm).to_header_value()],
                None => every_scheme(),
            },
        };
        let body = match body {
            Some(build) => build(&refusal),
            None => ErrorBody::problem(&refusal),
        };
        AuthError {
            refusal,
            challenges,
            body,
        }
    }

    /// The error of a future polled again after it finished (a caller bug, answered as a 500
    /// rather than a panic).
    pub(crate) fn polled_after_completion() -> Self {
        AuthError {
            refusal: Refusal::NotConfigured,
            challenges: Vec::new(),
            body: ErrorBody::problem(&Refusal::NotConfigured),
        }
    }

    /// Why the request was refused.
    pub fn refusal(&self) -> &Refusal {
        &self.refusal
    }
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthError")
            .field("refusal", &self.refusal)
            .field("challenges", &self.challenges)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Display feeds actix's own logging: the reason code only, never the token.
        write!(f, "request refused: {}", self.refusal.reason_code())
    }
}

impl std::error::Error for AuthError {}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        self.refusal.status()
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut response = HttpResponse::build(self.refusal.status());
        for challenge in &self.challenges {
            response.append_header((header::WWW_AUTHENTICATE, challenge.clone()));
        }
        if self.refusal == Refusal::KeysUnavailable {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS));
        }
        response
            .insert_header((header::CONTENT_TYPE, self.body.content_type.clone()))
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .body(self.body.bytes.clone())
    }
}
