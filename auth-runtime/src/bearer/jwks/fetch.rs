//! The HTTP side of a remote key source: discovery, the JWKS request, and their limits.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, ACCEPT, AGE, CACHE_CONTROL};
use reqwest::{redirect, Client, Url};
use serde::Deserialize;

use super::config::{
    check_fetchable, is_loopback, parse_url, JwksConfig, PlainHttp, Source, LOCALHOST,
};
use super::document;
use crate::bearer::keys::Key;
use crate::error::ConfigError;

/// Redirects followed at most, per request.
const MAX_REDIRECTS: usize = 3;

/// What one successful fetch gave.
pub(super) struct Fetched {
    pub(super) keys: Vec<Key>,
    /// The `Cache-Control: max-age` of the JWKS response, less its `Age`.
    pub(super) max_age: Option<Duration>,
}

/// Fetches the keys of one source; owned by the refresher thread.
pub(super) struct Fetcher {
    client: Client,
    source: Source,
    /// The discovered `jwks_uri`, once discovery succeeded.
    jwks_uri: Option<Url>,
    http: PlainHttp,
    max_bytes: usize,
    total_timeout: Duration,
    /// Where the discovered `introspection_endpoint` is published.
    introspection_endpoint: Arc<OnceLock<Url>>,
}

/// The subset of an OpenID Provider's metadata this library reads (OpenID Connect Discovery
/// 1.0 §3, RFC 8414 §2).
#[derive(Deserialize)]
struct ProviderMetadata {
    issuer: String,
    jwks_uri: String,
    /// RFC 8414 §2 (from RFC 7662 §4 of the registry): where tokens are introspected.
    #[serde(default)]
    introspection_endpoint: Option<String>,
}

impl Fetcher {
    pub(super) fn new(source: Source, settings: &JwksConfig) -> Result<Self, ConfigError> {
        let http = settings.http;
        // A redirect is held to the rules of a configured URL: a loopback provider cannot
        // send the fetch to plain http elsewhere.
        let redirects = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if let Err(reason) = check_fetchable(attempt.url(), http) {
                attempt.error(reason)
            } else {
                attempt.follow()
            }
        });
        // `localhost` is the loopback interface by definition (RFC 6761 §6.3): it is never
        // looked up, so that no resolver can send it elsewhere. The URL's port is used.
        let loopback = [
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
        ];
        let mut client = Client::builder();
        // A provider on this machine is reached directly: an `HTTP_PROXY` set for the outside
        // world would carry its plain http off the machine, to the proxy's own loopback.
        let configured = match &source {
            Source::Jwks(url) | Source::Discovery { url, .. } => url,
        };
        if configured.host().is_some_and(is_loopback) {
            client = client.no_proxy();
        }
        let client = client
            .https_only(http == PlainHttp::Refused)
            .resolve_to_addrs(LOCALHOST, &loopback)
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.total_timeout)
            .redirect(redirects)
            .user_agent(concat!("auth-runtime/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                ConfigError::KeySourceUnavailable(format!("the HTTP client cannot start: {error}"))
            })?;
        Ok(Fetcher {
            client,
            source,
            jwks_uri: None,
            http,
            max_bytes: settings.max_bytes,
            total_timeout: settings.total_timeout,
            introspection_endpoint: Arc::clone(&settings.introspection_endpoint),
        })
    }

    /// The URL the keys come from, for logs.
    pub(super) fn describe(&self) -> String {
        match (&self.source, &self.jwks_uri) {
            (Source::Jwks(url), _) | (Source::Discovery { .. }, Some(url)) => url.to_string(),
            (Source::Discovery { url, .. }, None) => url.to_string(),
        }
    }

    /// Discovers the JWKS URL if needed, then fetches and reads the JWKS.
    pub(super) async fn fetch(&mut self) -> Result<Fetched, String> {
        let jwks_uri = match (&self.source, &self.jwks_uri) {
            (Source::Jwks(url), _) | (Source::Discovery { .. }, Some(url)) => url.clone(),
            (Source::Discovery { issuer, url }, None) => {
                let jwks_uri = self.discover(issuer, url).await?;
                self.jwks_uri = Some(jwks_uri.clone());
                jwks_uri
            }
        };
        let (body, headers) = self.get(&jwks_uri).await?;
        let keys = document::fetched_keys(&body)?;
        Ok(Fetched {
            keys,
            max_age: max_age(&headers),
        })
    }

    /// Reads the provider's metadata: its `issuer` must equal the configured one exactly
    /// (OpenID Connect Discovery 1.0 §4.3, RFC 8414 §3.3), then its `jwks_uri` is used.
    async fn discover(&self, issuer: &str, url: &Url) -> Result<Url, String> {
        let (body, _) = self.get(url).await?;
        let metadata: ProviderMetadata = serde_json::from_slice(&body).map_err(|error| {
            format!("the discovery document at {url} is not OpenID Provider metadata: {error}")
        })?;
        if metadata.issuer != issuer {
            return Err(format!(
                "the discovery document names the issuer {:?}, not the configured {issuer:?}: \
                 they must be equal (OpenID Connect Discovery 1.0 §4.3)",
                truncate(&metadata.issuer)
            ));
        }
        let jwks_uri = parse_url(&metadata.jwks_uri, self.http).map_err(|error| {
            format!("the discovery document's `jwks_uri` cannot be used: {error}")
        })?;
        if let Some(endpoint) = &metadata.introspection_endpoint {
            match parse_url(endpoint, self.http) {
                Ok(url) => {
                    let _ = self.introspection_endpoint.set(url);
                }
                Err(error) => tracing::warn!(
                    target: "auth_runtime",
                    error = %error,
                    "the discovery document's `introspection_endpoint` cannot be used"
                ),
            }
        }
        Ok(jwks_uri)
    }

    /// GETs `url` within the total timeout, refusing non-2xx answers and bodies larger than
    /// the cap, which is enforced while the body streams in.
    async fn get(&self, url: &Url) -> Result<(Vec<u8>, HeaderMap), String> {
        let request = async {
            let mut response = self
                .client
                .get(url.clone())
                .header(ACCEPT, "application/jwk-set+json, application/json")
                .send()
                .await
                .map_err(|error| format!("GET {url} failed: {}", error.without_url()))?;
            let status = response.status();
            if !status.is_success() {
                return Err(format!("GET {url} answered {status}"));
            }
            let too_large = || {
                format!(
                    "GET {url}: the response is larger than the {} bytes allowed",
                    self.max_bytes
                )
            };
            if response
                .content_length()
                .is_some_and(|length| length > self.max_bytes as u64)
            {
                return Err(too_large());
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|error| format!("GET {url} failed: {}", error.without_url()))?
            {
                if body.len() + chunk.len() > self.max_bytes {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok((body, std::mem::take(response.headers_mut())))
        };
        tokio::time::timeout(self.total_timeout, request)
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "GET {url} did not complete within {:?}",
                    self.total_timeout
                ))
            })
    }
}

/// The freshness lifetime of a response (RFC 9111 §4.2.1, §4.2.3): `max-age` less `Age`;
/// zero for `no-cache` and `no-store`.
fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut max_age = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let (name, argument) = match directive.split_once('=') {
                Some((name, argument)) => (name.trim(), Some(argument.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
                return Some(Duration::ZERO);
            }
            if name.eq_ignore_ascii_case("max-age") {
                if let Some(seconds) = argument.and_then(|a| a.parse::<u64>().ok()) {
                    max_age = Some(seconds);
                }
            }
        }
    }
    let age = headers
        .get(AGE)
        .and_then(|age| age.to_str().ok()?.trim().parse::<u64>().ok())
        .unwrap_or(0);
    max_age.map(|seconds| Duration::from_secs(seconds.saturating_sub(age)))
}

/// At most 200 characters of a value from the network, for an error message.
fn truncate(value: &str) -> &str {
    match value.char_indices().nth(200) {
        Some((end, _)) => &value[..end],
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        let seconds = |pairs: &[(&'static str, &'static str)]| {
            max_age(&headers(pairs)).map(|age| age.as_secs())
        };
        assert_eq!(
            seconds(&[("cache-control", "public, max-age=300")]),
            Some(300)
        );
        assert_eq!(seconds(&[("cache-control", "Max-Age=\"60\"")]), Some(60));
        assert_eq!(
            seconds(&[("cache-control", "max-age=300"), ("age", "100")]),
            Some(200)
        );
        assert_eq!(
            seconds(&[("cache-control", "max-age=300, no-cache")]),
            Some(0)
        );
        assert_eq!(seconds(&[("cache-control", "no-store")]), Some(0));
        assert_eq!(seconds(&[("cache-control", "max-age=soon")]), None);
        assert_eq!(seconds(&[]), None);
    }

    #[test]
    fn the_logs_name_the_url_the_keys_come_from() {
        let url = |text: &str| Url::parse(text).unwrap();
        let jwks = Fetcher::new(
            Source::Jwks(url("https://idp.example/keys")),
            &JwksConfig::default(),
        )
        .unwrap();
        assert_eq!(jwks.describe(), "https://idp.example/keys");
        // Discovery: its document's URL until it names the keys, then the keys' URL.
        let mut discovery = Fetcher::new(
            Source::Discovery {
                issuer: "https://idp.example".into(),
                url: url("https://idp.example/.well-known/openid-configuration"),
            },
            &JwksConfig::default(),
        )
        .unwrap();
        assert_eq!(
            discovery.describe(),
            "https://idp.example/.well-known/openid-configuration"
        );
        discovery.jwks_uri = Some(url("https://idp.example/jwks.json"));
        assert_eq!(discovery.describe(), "https://idp.example/jwks.json");
    }

    #[test]
    fn network_text_in_a_message_is_cut_at_200_characters() {
        assert_eq!(truncate("short"), "short");
        let long = "é".repeat(250);
        assert_eq!(truncate(&long), "é".repeat(200));
        let exact = "x".repeat(200);
        assert_eq!(truncate(&exact), exact);
    }
}
