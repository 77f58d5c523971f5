//! The one place a refusal becomes a response: its status, its `WWW-Authenticate` challenges
//! (RFC 9110 §11.6.1, RFC 6750 §3) and its RFC 9457 body.

use std::fmt;
use std::sync::Arc;

use actix_web::body::BoxBody;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, ResponseError};

use crate::http::challenge::Challenge;
use crate::http::refusal::Refusal;
use crate::mechanism::Registry;
use crate::scheme::Scheme;

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
    /// The `WWW-Authenticate` challenges, then any header the refusing scheme adds (DPoP's
    /// `DPoP-Nonce`): one list, so that the error stays small.
    headers: Vec<(HeaderName, HeaderValue)>,
    body: ErrorBody,
}

/// How long a client should wait before retrying a 503 (rows 12, 23), in seconds.
pub(crate) const RETRY_AFTER_SECONDS: u32 = 30;

/// How long a client should wait before retrying a 503 of a full password queue, in seconds:
/// about the time the queue takes to drain.
pub(crate) const RETRY_AFTER_OVERLOADED_SECONDS: u32 = 1;

/// What a refusal's response depends on besides the refusal: the endpoint that refused.
pub(crate) struct Endpoint<'a> {
    /// The realm of its challenges (RFC 9110 §11.5).
    pub(crate) realm: &'a str,
    /// The schemes it accepts, in declaration order.
    pub(crate) accepted: &'a [Scheme],
    /// The configured schemes, which know their own challenges.
    pub(crate) registry: &'a Registry,
    /// The application's body builder, if it installed one.
    pub(crate) body: Option<&'a BodyBuilder>,
    /// The `acr` values it accepts, in preference order (RFC 9470), for a step-up challenge.
    pub(crate) acr_values: &'static [&'static str],
    /// The most seconds since the user authenticated (RFC 9470), for a step-up challenge.
    pub(crate) max_age: Option<u64>,
}

impl Endpoint<'static> {
    /// An application without an authenticator: no realm, no scheme, the default body.
    pub(crate) const UNCONFIGURED: Endpoint<'static> = Endpoint {
        realm: "",
        accepted: &[],
        registry: &Registry::EMPTY,
        body: None,
        acr_values: &[],
        max_age: None,
    };
}

impl Endpoint<'_> {
    /// The bare challenge of `scheme`.
    fn challenge(&self, scheme: Scheme) -> Challenge {
        self.registry.challenge(scheme, self.realm)
    }

    /// The challenge of `scheme` with the RFC 6750 §3 attributes of `refusal`.
    fn challenge_with_error(&self, scheme: Scheme, refusal: &Refusal) -> HeaderValue {
        self.registry
            .challenge_with(scheme, self.realm, |challenge| {
                with_error(challenge, refusal, self)
            })
            .to_header_value()
    }

    /// One bare challenge per accepted scheme, in declaration order (rows 1, 2, 9).
    fn every_challenge(&self) -> Vec<HeaderValue> {
        self.accepted
            .iter()
            .map(|&scheme| self.challenge(scheme).to_header_value())
            .collect()
    }

    /// The scheme whose challenge carries RFC 6750 §3 error attributes for a failure of
    /// `failed`: that scheme when it reports errors, else, for a failure no scheme could be
    /// blamed for, the first accepted scheme that does.
    fn reporting(&self, failed: Option<Scheme>) -> Option<Scheme> {
        let reports = |scheme: &Scheme| self.registry.reports_errors(*scheme);
        match failed {
            Some(scheme) => Some(scheme).filter(reports),
            None => self.accepted.iter().copied().find(reports),
        }
    }
}

impl AuthError {
    /// The response to `refusal` at `endpoint`, where `failed` is the scheme whose credentials
    /// were presented, if any. This is the only place where a refusal becomes a status,
    /// challenges and a body.
    pub(crate) fn new(refusal: Refusal, failed: Option<Scheme>, endpoint: &Endpoint<'_>) -> Self {
        let reporting = endpoint.reporting(failed);
        // 400 `invalid_request` is an RFC 6750 error: an endpoint none of whose schemes reports
        // errors answers malformed credentials as it answers any other failure (rows 10, 11).
        let refusal = match refusal {
            Refusal::Malformed(_) if reporting.is_none() => Refusal::Rejected,
            // A step-up is an RFC 6750 error too: a scheme without error attributes cannot ask
            // for one, and its bare challenge would only ask for the same credentials again.
            Refusal::InsufficientUserAuthentication(step_up) if reporting.is_none() => {
                Refusal::Forbidden(step_up.reason().code())
            }
            refusal => refusal,
        };
        let own_challenge = |scheme: Scheme| vec![endpoint.challenge(scheme).to_header_value()];
        let challenges = match refusal {
            Refusal::NotConfigured
            | Refusal::KeysUnavailable
            | Refusal::Overloaded
            | Refusal::IntrospectionUnavailable
            | Refusal::RevocationsUnavailable
            | Refusal::ReplaysUnavailable
            | Refusal::Forbidden(_) => Vec::new(),
            // Rows 1, 2, 9: one challenge per accepted scheme, in declaration order.
            Refusal::Missing => endpoint.every_challenge(),
            // Rows 10, 11: the failing scheme's own challenge, identical for every failure.
            Refusal::Rejected => failed.map_or_else(|| endpoint.every_challenge(), own_challenge),
            // Rows 3-7, with the error attributes of RFC 6750 §3.
            _ => match reporting {
                Some(scheme) => vec![endpoint.challenge_with_error(scheme, &refusal)],
                // Row 7 has no form without RFC 6750 errors: a plain 403.
                None if matches!(refusal, Refusal::InsufficientScope(_)) => Vec::new(),
                // A custom scheme refusing a credential as invalid gets its own challenge.
                None => failed.map_or_else(|| endpoint.every_challenge(), own_challenge),
            },
        };
        let body = match endpoint.body {
            Some(build) => build(&refusal),
            None => ErrorBody::problem(&refusal),
        };
        let extra = failed.and_then(|scheme| endpoint.registry.refusal_header(scheme, &refusal));
        let headers = challenges
            .into_iter()
            .map(|challenge| (header::WWW_AUTHENTICATE, challenge))
            .chain(extra)
            .collect();
        AuthError {
            refusal,
            headers,
            body,
        }
    }

    /// Why the request was refused.
    pub fn refusal(&self) -> &Refusal {
        &self.refusal
    }
}

/// `challenge` with the RFC 6750 §3 attributes of `refusal`: `error`, `error_description` and,
/// for `insufficient_scope`, a smallest `scope` that satisfies the requirement (the declared
/// scopes, never a broader one that a scope hierarchy says implies them: a client asks for the
/// least it needs); for `insufficient_user_authentication`, the endpoint's `acr_values` and
/// `max_age` (RFC 9470 §3), everything a new authentication must meet.
fn with_error(mut challenge: Challenge, refusal: &Refusal, endpoint: &Endpoint<'_>) -> Challenge {
    if let Some(code) = refusal.error_code() {
        challenge = challenge.param("error", code);
    }
    if let Some(description) = refusal.error_description() {
        challenge = challenge.param("error_description", description);
    }
    match refusal {
        Refusal::InsufficientScope(required) => {
            challenge = challenge.param("scope", &required.smallest_satisfying_set().join(" "));
        }
        Refusal::InsufficientUserAuthentication(_) => {
            if !endpoint.acr_values.is_empty() {
                challenge = challenge.param("acr_values", &endpoint.acr_values.join(" "));
            }
            if let Some(max_age) = endpoint.max_age {
                challenge = challenge.param("max_age", &max_age.to_string());
            }
        }
        _ => {}
    }
    challenge
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthError")
            .field("refusal", &self.refusal)
            .field("headers", &self.headers)
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
        for header in &self.headers {
            response.append_header(header.clone());
        }
        // RFC 9110 §10.2.3: when a 503 (§15.6.4) is worth retrying.
        let retry_after = match self.refusal {
            Refusal::KeysUnavailable
            | Refusal::IntrospectionUnavailable
            | Refusal::RevocationsUnavailable
            | Refusal::ReplaysUnavailable => Some(RETRY_AFTER_SECONDS),
            Refusal::Overloaded => Some(RETRY_AFTER_OVERLOADED_SECONDS),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response.insert_header((header::RETRY_AFTER, seconds));
        }
        response
            .insert_header((header::CONTENT_TYPE, self.body.content_type.clone()))
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .body(self.body.bytes.clone())
    }
}
