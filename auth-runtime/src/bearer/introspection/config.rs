//! The introspection settings the application gives ([`Introspection`]), checked at build time.

use std::fmt;
use std::time::Duration;

use reqwest::Url;
use zeroize::Zeroizing;

use crate::bearer::jwks::config::{parse_url, PlainHttp};
use crate::error::ConfigError;

/// Token introspection (RFC 7662): Bearer tokens that are not JWTs (or every token, with
/// [`every_token`](Self::every_token)) are sent to the authorization server's introspection
/// endpoint, and its answer is checked as a JWT's claims are. Install it with
/// [`AuthenticatorBuilder::introspection`](crate::AuthenticatorBuilder::introspection).
///
/// ```
/// use std::time::Duration;
/// use auth_runtime::{Authenticator, Introspection};
///
/// let auth = Authenticator::builder()
///     .issuer("https://idp.example")
///     .audience("items-api")
///     .introspection(
///         Introspection::endpoint("https://idp.example/oauth2/introspect")
///             .client_secret_basic("items-api", "an-obviously-fake-secret")
///             .max_cache_age(Duration::from_secs(60)),
///     )
///     .build()
///     .expect("valid authentication configuration");
/// # let _ = auth;
/// ```
///
/// The answer must say `active: true`; `exp`, `nbf`, `iss`, `aud`, `scope`, `sub`,
/// `client_id`, `token_type` and `cnf` are then used as a JWT's claims are (the configured
/// issuers, audiences, leeway, required claims, scope and role claims apply the same way); an
/// answer without `sub` (a client-credentials token) gets its `client_id` as the subject. A
/// token bound to a key (`cnf.jkt`) is never accepted as a plain Bearer token.
///
/// Answers are cached under an HMAC of the token (a key drawn per process, so that the cache
/// holds no token and its keys cannot be computed by anyone else): an active token until its
/// `exp`, at most [`max_cache_age`](Self::max_cache_age) (RFC 7662 §4); a refused one for
/// [`negative_cache_age`](Self::negative_cache_age). Concurrent requests with the same
/// uncached token share one call. When the endpoint cannot be reached, answers an error or
/// takes longer than the timeout, the request is answered `503` with `Retry-After`
/// (CONFORMANCE row 23), never `401`; tokens cached before keep being served.
#[derive(Clone)]
pub struct Introspection {
    pub(crate) endpoint: EndpointSpec,
    pub(crate) client: Option<ClientCredentials>,
    pub(crate) every_token: bool,
    pub(crate) max_cache_age: Duration,
    pub(crate) negative_cache_age: Duration,
    pub(crate) max_entries: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) total_timeout: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) outage_cooldown: Duration,
}

/// Where the endpoint is.
#[derive(Debug, Clone)]
pub(crate) enum EndpointSpec {
    Url(String),
    /// The `introspection_endpoint` of the discovery document of `.oidc_discovery(..)`.
    Discovered,
}

/// How the resource server authenticates to the endpoint (RFC 7662 §2.1, RFC 6749 §2.3.1).
#[derive(Clone)]
pub(crate) struct ClientCredentials {
    pub(crate) id: String,
    pub(crate) secret: Zeroizing<String>,
    pub(crate) method: ClientAuthMethod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientAuthMethod {
    /// HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1).
    Basic,
    /// `client_id` and `client_secret` in the request body (RFC 6749 §2.3.1).
    Post,
}

/// Shows the endpoint, the client id and the method; never the secret.
impl fmt::Debug for Introspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Introspection")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client.as_ref().map(|c| &c.id))
            .field("method", &self.client.as_ref().map(|c| c.method))
            .field("every_token", &self.every_token)
            .finish_non_exhaustive()
    }
}

impl Introspection {
    /// Introspects at `url`, the authorization server's introspection endpoint (RFC 7662 §2).
    /// It must be `https` (plain `http` only with the builder's
    /// [`allow_http`](crate::AuthenticatorBuilder::allow_http)), absolute and without
    /// credentials in it.
    pub fn endpoint(url: impl Into<String>) -> Introspection {
        Introspection::with(EndpointSpec::Url(url.into()))
    }

    /// Introspects at the `introspection_endpoint` named by the discovery document of
    /// [`oidc_discovery`](crate::AuthenticatorBuilder::oidc_discovery) (RFC 8414 §2), read
    /// with the keys. [`build_and_fetch`](crate::AuthenticatorBuilder::build_and_fetch) fails
    /// if the document names none; with `build`, such tokens are answered `503` meanwhile.
    pub fn discovered() -> Introspection {
        Introspection::with(EndpointSpec::Discovered)
    }

    fn with(endpoint: EndpointSpec) -> Introspection {
        Introspection {
            endpoint,
            client: None,
            every_token: false,
            max_cache_age: Duration::from_secs(300),
            negative_cache_age: Duration::from_secs(10),
            max_entries: 10_000,
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_secs(5),
            max_response_bytes: 64 * 1024,
            outage_cooldown: Duration::from_secs(1),
        }
    }

    /// Authenticates to the endpoint with HTTP Basic, `client_secret_basic` (RFC 7662 §2.1,
    /// RFC 6749 §2.3.1): the client id and secret are each form-urlencoded, then joined by `:`
    /// and base64-encoded, as §2.3.1 requires (a secret holding `:` or `%` stays intact).
    pub fn client_secret_basic(
        mut self,
        client_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Introspection {
        self.client = Some(ClientCredentials {
            id: client_id.into(),
            secret: Zeroizing::new(secret.into()),
            method: ClientAuthMethod::Basic,
        });
        self
    }

    /// Authenticates to the endpoint with `client_id` and `client_secret` in the request body,
    /// `client_secret_post` (RFC 7662 §2.1, RFC 6749 §2.3.1).
    pub fn client_secret_post(
        mut self,
        client_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Introspection {
        self.client = Some(ClientCredentials {
            id: client_id.into(),
            secret: Zeroizing::new(secret.into()),
            method: ClientAuthMethod::Post,
        });
        self
    }

    /// Introspects every Bearer token, JWTs included (a JWT is then never verified locally).
    /// Default: only tokens that are not JWTs (not three dot-separated parts) are introspected,
    /// JWTs are verified with the keys.
    pub fn every_token(mut self) -> Introspection {
        self.every_token = true;
        self
    }

    /// The longest an active answer is served from the cache (RFC 7662 §4: a cached answer
    /// outlives a revocation at the authorization server by up to this). Never past the
    /// token's `exp`. Default: 5 minutes; zero disables caching of active answers.
    pub fn max_cache_age(mut self, age: Duration) -> Introspection {
        self.max_cache_age = age;
        self
    }

    /// How long an inactive or refused answer is served from the cache, so that a client
    /// repeating a bad token does not cause a call per request (RFC 7662 §4). Default:
    /// 10 seconds.
    pub fn negative_cache_age(mut self, age: Duration) -> Introspection {
        self.negative_cache_age = age;
        self
    }

    /// The most answers cached. Default: 10,000.
    pub fn max_cache_entries(mut self, entries: usize) -> Introspection {
        self.max_entries = entries.max(1);
        self
    }

    /// Timeouts of a call to the endpoint: establishing the connection, and the whole
    /// exchange including the body. Past them the request is answered `503`. Default: 2 and
    /// 5 seconds.
    pub fn timeouts(mut self, connect: Duration, total: Duration) -> Introspection {
        self.connect_timeout = connect;
        self.total_timeout = total;
        self
    }

    /// The largest answer accepted, in bytes, checked while it streams in (RFC 7662 §2.2
    /// answers are small JSON objects). Default: 64 KiB.
    pub fn max_response_bytes(mut self, bytes: usize) -> Introspection {
        self.max_response_bytes = bytes;
        self
    }

    /// After a failed call, how long tokens that need a call are answered `503` at once
    /// instead of calling again, so that an endpoint that is down is not hammered by every
    /// request. Default: 1 second.
    pub fn outage_cooldown(mut self, cooldown: Duration) -> Introspection {
        self.outage_cooldown = cooldown;
        self
    }

    /// The checks `build` makes; the endpoint URL when it is fixed.
    pub(crate) fn check(&self, http: PlainHttp) -> Result<Option<Url>, ConfigError> {
        let invalid = |reason| Err(ConfigError::InvalidIntrospection(reason));
        match &self.client {
            None => {
                return invalid(
                    "the introspection endpoint needs client credentials (RFC 7662 §2.1): add \
                     `.client_secret_basic(id, secret)` or `.client_secret_post(id, secret)`",
                )
            }
            Some(client) if client.id.is_empty() => {
                return invalid("the introspection client id is empty")
            }
            Some(_) => {}
        }
        if self.connect_timeout.is_zero() || self.connect_timeout > self.total_timeout {
            return invalid("`.timeouts(connect, total)` needs 0 < connect <= total");
        }
        if self.max_response_bytes == 0 {
            return invalid("`.max_response_bytes(..)` must be at least 1");
        }
        match &self.endpoint {
            EndpointSpec::Url(url) => parse_url(url, http).map(Some),
            EndpointSpec::Discovered => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_endpoint_client_and_method_never_the_secret() {
        let shown = format!(
            "{:?}",
            Introspection::endpoint("https://idp.example.com/introspect")
                .client_secret_post("items-api", "an-obviously-fake-secret")
                .every_token()
        );
        assert!(shown.starts_with("Introspection {"), "{shown}");
        for part in [
            "https://idp.example.com/introspect",
            "items-api",
            "Post",
            "every_token: true",
        ] {
            assert!(shown.contains(part), "{part} not in {shown}");
        }
        assert!(!shown.contains("an-obviously-fake-secret"), "{shown}");
    }
}
