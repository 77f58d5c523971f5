//! The key-source settings the builder collects, and the checks that turn them into a remote
//! source: URLs, intervals, timeouts and size limits.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use reqwest::Url;
use url::Host;

use crate::error::ConfigError;

/// Default bounds of the refresh interval and the interval used when the provider sends no
/// `Cache-Control: max-age`.
const REFRESH_MIN: Duration = Duration::from_secs(60);
const REFRESH_MAX: Duration = Duration::from_secs(24 * 60 * 60);
const REFRESH_DEFAULT: Duration = Duration::from_secs(15 * 60);

/// The path OpenID Connect Discovery 1.0 §4 appends to the issuer.
const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// Where plain `http` may be fetched from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum PlainHttp {
    /// https only (the default).
    #[default]
    Refused,
    /// `http` to a loopback host only: `.allow_http()`.
    Loopback,
    /// `http` to any host: `.danger_allow_http_to_any_host()`.
    AnyHost,
}

/// A JWKS given in the configuration.
#[derive(Debug, Clone)]
pub(crate) enum InlineJwks {
    Set(JwkSet),
    Json(String),
    File(PathBuf),
}

/// A remote key source as configured, checked at build time.
#[derive(Debug, Clone)]
pub(crate) enum RemoteSpec {
    JwksUrl(String),
    Discovery(String),
}

/// The key-source settings collected by the builder.
#[derive(Debug, Clone)]
pub(crate) struct JwksConfig {
    pub(crate) inline: Vec<InlineJwks>,
    pub(crate) remote: Vec<RemoteSpec>,
    pub(crate) http: PlainHttp,
    pub(crate) refresh_min: Duration,
    pub(crate) refresh_max: Duration,
    pub(crate) cooldown: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) total_timeout: Duration,
    pub(crate) max_bytes: usize,
    pub(crate) max_staleness: Option<Duration>,
    /// The discovery document's `introspection_endpoint` (RFC 8414 §2), once discovery read
    /// one; shared with the introspector.
    pub(crate) introspection_endpoint: Arc<OnceLock<Url>>,
}

impl Default for JwksConfig {
    fn default() -> Self {
        JwksConfig {
            inline: Vec::new(),
            remote: Vec::new(),
            http: PlainHttp::Refused,
            refresh_min: REFRESH_MIN,
            refresh_max: REFRESH_MAX,
            cooldown: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
            max_bytes: 1024 * 1024,
            max_staleness: None,
            introspection_endpoint: Arc::default(),
        }
    }
}

impl JwksConfig {
    /// The issuer of the discovery source, which becomes an accepted `iss`.
    pub(crate) fn discovery_issuer(&self) -> Option<&str> {
        self.remote.iter().find_map(|spec| match spec {
            RemoteSpec::Discovery(issuer) => Some(issuer.as_str()),
            RemoteSpec::JwksUrl(_) => None,
        })
    }

    /// The remote source, its URL checked, or `None` when keys come only from the
    /// configuration.
    pub(crate) fn remote_source(&self) -> Result<Option<RemoteSource>, ConfigError> {
        let invalid = |reason| Err(ConfigError::InvalidKeySource(reason));
        let spec = match self.remote.as_slice() {
            [] => return Ok(None),
            [spec] => spec,
            _ => {
                return invalid(
                    "only one remote key source can be configured: `.jwks_url(..)` or \
                     `.oidc_discovery(..)`, once",
                )
            }
        };
        if self.refresh_min.is_zero() || self.refresh_min > self.refresh_max {
            return invalid("`.refresh_interval(min, max)` needs 0 < min <= max");
        }
        if self.cooldown.is_zero() {
            return invalid(
                "`.unknown_kid_cooldown(..)` must be longer than zero: without it every \
                 unknown `kid` would cause a fetch",
            );
        }
        if self.connect_timeout.is_zero() || self.connect_timeout > self.total_timeout {
            return invalid("`.fetch_timeouts(connect, total)` needs 0 < connect <= total");
        }
        if self.max_bytes == 0 {
            return invalid("`.max_jwks_bytes(..)` must be at least 1");
        }
        if self
            .max_staleness
            .is_some_and(|limit| limit < self.refresh_min)
        {
            return invalid(
                "`.max_key_staleness(..)` must not be shorter than the refresh interval's \
                 minimum: the keys would expire between two refreshes",
            );
        }
        let source = match spec {
            RemoteSpec::JwksUrl(url) => Source::Jwks(parse_url(url, self.http)?),
            RemoteSpec::Discovery(issuer) => {
                let url = parse_url(issuer, self.http)?;
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(ConfigError::InvalidUrl {
                        url: issuer.clone(),
                        reason: "an issuer has no query or fragment (RFC 8414 §2)",
                    });
                }
                let discovery = format!("{}{DISCOVERY_PATH}", issuer.trim_end_matches('/'));
                Source::Discovery {
                    issuer: issuer.clone(),
                    url: parse_url(&discovery, self.http)?,
                }
            }
        };
        Ok(Some(RemoteSource {
            source,
            settings: self.clone(),
        }))
    }

    /// The refresh interval for a provider's `max-age` (15 minutes without one), within the
    /// configured bounds; with a staleness limit, at most half of it, so that keys do not go
    /// stale while the provider answers.
    pub(crate) fn refresh_interval(&self, max_age: Option<Duration>) -> Duration {
        let interval = max_age
            .unwrap_or(REFRESH_DEFAULT)
            .clamp(self.refresh_min, self.refresh_max);
        match self.max_staleness {
            Some(limit) => interval.min(limit / 2).max(self.refresh_min),
            None => interval,
        }
    }
}

/// Where remote keys come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// A JWKS URL (RFC 7517 §5).
    Jwks(Url),
    /// OpenID Connect discovery: the issuer as configured and its discovery document's URL.
    Discovery { issuer: String, url: Url },
}

/// A checked remote source and its settings.
#[derive(Debug, Clone)]
pub(crate) struct RemoteSource {
    pub(crate) source: Source,
    pub(crate) settings: JwksConfig,
}

/// An absolute http(s) URL with a host and no credentials; plain http only as `http` allows.
pub(crate) fn parse_url(raw: &str, http: PlainHttp) -> Result<Url, ConfigError> {
    let invalid = |url: String, reason| Err(ConfigError::InvalidUrl { url, reason });
    let Ok(url) = Url::parse(raw) else {
        return invalid(raw.to_owned(), "not an absolute URL");
    };
    if !url.username().is_empty() || url.password().is_some() {
        let mut redacted = url.clone();
        let _ = redacted.set_username("");
        let _ = redacted.set_password(None);
        return invalid(
            redacted.to_string(),
            "credentials in the URL would end up in logs; the URL must not carry any",
        );
    }
    if url.host_str().is_none_or(str::is_empty) {
        return invalid(raw.to_owned(), "the URL has no host");
    }
    if let Err(reason) = check_fetchable(&url, http) {
        return invalid(raw.to_owned(), reason);
    }
    if url.fragment().is_some() {
        return invalid(raw.to_owned(), "the URL has a fragment");
    }
    Ok(url)
}

/// Whether `url` may be fetched: https, or plain http as `http` allows. Checked on every URL
/// the configuration names, on a discovered `jwks_uri`, and on every redirect.
pub(crate) fn check_fetchable(url: &Url, http: PlainHttp) -> Result<(), &'static str> {
    match (url.scheme(), http) {
        ("https", _) | ("http", PlainHttp::AnyHost) => Ok(()),
        ("http", PlainHttp::Loopback) if url.host().is_some_and(is_loopback) => Ok(()),
        ("http", PlainHttp::Loopback) if url.host_str() == Some("localhost.") => Err(
            "`localhost.` (with the trailing dot) may be resolved by DNS, not as the loopback \
             interface: write `localhost`",
        ),
        ("http", PlainHttp::Loopback) => Err(
            "plain http is allowed by `.allow_http()` only to a loopback host (127.0.0.0/8, \
             [::1], localhost): use https, or `.danger_allow_http_to_any_host()` on a network \
             you trust",
        ),
        ("http", PlainHttp::Refused) => Err(
            "plain http is refused: use https, or call `.allow_http()` for a provider on a \
             loopback host (127.0.0.0/8, [::1], localhost)",
        ),
        _ => Err("only https URLs can be fetched"),
    }
}

/// Whether `host`, as the URL parser read it, is the loopback interface: an IPv4 address in
/// 127.0.0.0/8 (however it was written: `127.1`, `0x7f.0.0.1`), `::1`, an IPv4-mapped IPv6
/// loopback address (`::ffff:127.0.0.1`), or the name `localhost` (RFC 6761 §6.3), which the
/// fetcher resolves to the loopback addresses itself, never through DNS. Any other name, such
/// as `127.0.0.1.evil.test` or `localhost.evil.test`, is not loopback, whatever it resolves to.
pub(crate) fn is_loopback(host: Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|ip| ip.is_loopback())
        }
        Host::Domain(name) => name.eq_ignore_ascii_case(LOCALHOST),
    }
}

/// The one name that is loopback by definition (RFC 6761 §6.3).
pub(crate) const LOCALHOST: &str = "localhost";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(parse_url("https://idp.example/jwks", PlainHttp::Refused).is_ok());
        assert!(parse_url("http://127.0.0.1:8080/jwks", PlainHttp::Loopback).is_ok());
        for (url, http) in [
            ("http://idp.example/jwks", PlainHttp::Refused),
            ("http://127.0.0.1:8080/jwks", PlainHttp::Refused),
            ("ftp://idp.example/jwks", PlainHttp::AnyHost),
            ("/jwks", PlainHttp::AnyHost),
            ("https://user:secret@idp.example/jwks", PlainHttp::Refused),
            ("https://user@idp.example/jwks", PlainHttp::Refused),
            ("https://:secret@idp.example/jwks", PlainHttp::Refused),
            ("http://user:secret@127.0.0.1/jwks", PlainHttp::Loopback),
            ("https://idp.example/jwks#x", PlainHttp::Refused),
        ] {
            let error = parse_url(url, http).unwrap_err();
            assert!(!error.to_string().contains("secret"), "{error}");
        }
    }

    /// `.allow_http()` decides on the host the URL parser read, never on how the URL starts.
    #[test]
    fn allow_http_opens_loopback_hosts_only() {
        let loopback = [
            "http://127.0.0.1:8080/jwks",
            "http://127.255.255.254/",
            "http://127.1/",      // the parser reads 127.0.0.1
            "http://0x7f.0.0.1/", // hexadecimal: 127.0.0.1
            "http://2130706433/", // one decimal number: 127.0.0.1
            "http://[::1]:8080/",
            "http://[::ffff:127.0.0.1]/", // IPv4-mapped loopback
            "http://localhost:8180/realms/demo",
            "http://LOCALHOST/",
            "http://%6c%6fcalhost/", // percent-encoded, decoded by the parser
        ];
        for url in loopback {
            assert!(parse_url(url, PlainHttp::Loopback).is_ok(), "{url}");
            assert!(parse_url(url, PlainHttp::Refused).is_err(), "{url}");
        }
        let elsewhere = [
            "http://127.0.0.1.evil.test/",
            "http://127.0.0.1@evil.test/", // userinfo: the host is evil.test
            "http://evil.test#@127.0.0.1/",
            "http://evil.test\\@127.0.0.1/",
            "http://localhost.evil.test/",
            "http://evil-localhost/",
            "http://localhost./", // may go to DNS
            "http://sub.localhost/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://[::127.0.0.1]/", // IPv4-compatible, not mapped: not routed to 127/8
            "http://[::ffff:10.0.0.1]/",
            "http://128.0.0.1/",
            "http://10.0.0.1/",
            "http://idp.example/",
        ];
        for url in elsewhere {
            let error = parse_url(url, PlainHttp::Loopback).unwrap_err();
            assert!(
                matches!(error, ConfigError::InvalidUrl { .. }),
                "{url}: {error}"
            );
            assert!(
                parse_url(url, PlainHttp::AnyHost).is_ok() || url.contains('@'),
                "{url}"
            );
        }
        let message = parse_url("http://localhost./", PlainHttp::Loopback)
            .unwrap_err()
            .to_string();
        assert!(message.contains("trailing dot"), "{message}");
        let message = parse_url("http://idp.example/", PlainHttp::Loopback)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("danger_allow_http_to_any_host"),
            "{message}"
        );
    }

    #[test]
    fn the_refresh_interval_honours_max_age_within_bounds() {
        let config = JwksConfig {
            refresh_min: Duration::from_secs(60),
            refresh_max: Duration::from_secs(3600),
            ..JwksConfig::default()
        };
        let interval = |seconds| config.refresh_interval(Some(Duration::from_secs(seconds)));
        assert_eq!(interval(300), Duration::from_secs(300));
        assert_eq!(interval(0), Duration::from_secs(60));
        assert_eq!(interval(86_400), Duration::from_secs(3600));
        assert_eq!(config.refresh_interval(None), Duration::from_secs(900));
        let limited = JwksConfig {
            max_staleness: Some(Duration::from_secs(600)),
            ..config
        };
        assert_eq!(limited.refresh_interval(None), Duration::from_secs(300));
    }

    #[test]
    fn the_refresh_follows_max_age_within_a_minute_and_a_day() {
        let config = JwksConfig::default();
        let minutes = |m: u64| Duration::from_secs(m * 60);
        assert_eq!(config.refresh_interval(None), minutes(15));
        assert_eq!(config.refresh_interval(Some(minutes(42))), minutes(42));
        assert_eq!(
            config.refresh_interval(Some(Duration::from_secs(5))),
            minutes(1)
        );
        assert_eq!(
            config.refresh_interval(Some(minutes(7 * 24 * 60))),
            minutes(24 * 60)
        );
        // With a staleness limit, at most half of it, never under the minimum.
        let limited = JwksConfig {
            max_staleness: Some(minutes(30)),
            ..JwksConfig::default()
        };
        assert_eq!(limited.refresh_interval(Some(minutes(60))), minutes(15));
        assert_eq!(limited.refresh_interval(Some(minutes(10))), minutes(10));
        let tight = JwksConfig {
            max_staleness: Some(Duration::from_secs(30)),
            ..JwksConfig::default()
        };
        assert_eq!(tight.refresh_interval(None), minutes(1));
    }

    #[test]
    fn the_remote_settings_accept_their_bounds_and_refuse_past_them() {
        let config = |change: fn(&mut JwksConfig)| {
            let mut config = JwksConfig {
                remote: vec![RemoteSpec::JwksUrl("https://idp.example/jwks".into())],
                ..JwksConfig::default()
            };
            change(&mut config);
            config.remote_source().map(|source| source.is_some())
        };
        // Equal bounds are fine: a fixed interval, connect as long as the whole fetch, a
        // staleness limit of exactly the minimum interval.
        assert!(config(|c| {
            c.refresh_min = Duration::from_secs(300);
            c.refresh_max = Duration::from_secs(300);
            c.connect_timeout = Duration::from_secs(3);
            c.total_timeout = Duration::from_secs(3);
            c.max_staleness = Some(Duration::from_secs(300));
        })
        .unwrap());
        for past in [
            (|c: &mut JwksConfig| c.refresh_min = Duration::ZERO) as fn(&mut JwksConfig),
            |c| c.refresh_min = c.refresh_max + Duration::from_secs(1),
            |c| c.cooldown = Duration::ZERO,
            |c| c.connect_timeout = Duration::ZERO,
            |c| c.connect_timeout = c.total_timeout + Duration::from_secs(1),
            |c| c.max_bytes = 0,
            |c| c.max_staleness = Some(c.refresh_min - Duration::from_secs(1)),
        ] {
            assert!(matches!(
                config(past),
                Err(ConfigError::InvalidKeySource(_))
            ));
        }
    }
}
