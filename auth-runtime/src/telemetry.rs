//! What an operator sees: the non-secret facts a refusal's log event carries (gathered only on
//! the refusal path, and only when the event is recorded), and the metrics.
//!
//! # Metrics
//!
//! Through the [`metrics`](https://docs.rs/metrics) facade: nothing is recorded until the
//! application installs a recorder (an exporter such as `metrics-exporter-prometheus`; see
//! `examples/prometheus.rs`). Install it before building the [`Authenticator`] for the metrics'
//! descriptions (Prometheus `# HELP`) to be registered; the values are recorded either way.
//! Without a recorder, an allowed request with a cached token costs one check of the
//! (absent) recorder and nothing else.
//!
//! | Name | Type | Labels | What |
//! |---|---|---|---|
//! | [`DECISIONS`] | counter | `scheme`, `outcome`, `reason` | every authentication decision |
//! | [`VERIFICATION_SECONDS`] | histogram | `scheme` | time to verify credentials in full |
//! | [`KEY_FETCHES`] | counter | `source`, `outcome` | fetches of a JWKS or discovery key source |
//! | [`KEY_SOURCE_LAST_SUCCESS`] | gauge | `source` | Unix time of its last successful fetch |
//! | [`KEY_SOURCE_FAILURES`] | gauge | `source` | failed fetches since the last success |
//! | [`KEY_SOURCE_KEYS`] | gauge | `source` | usable keys its last successful fetch gave |
//!
//! Labels: `scheme` is `Bearer`, `Basic`, `ApiKey`, a custom scheme's name, or `none` when no
//! credentials were presented; `outcome` of a decision is `allowed`, `anonymous` (no
//! credentials, authentication optional) or `refused`; `reason` is `ok` when allowed,
//! `missing` when anonymous, and the refusal's reason code otherwise (`missing`,
//! `expired`, `bad_signature`, `wrong_audience`, `insufficient_scope`, `keys_unavailable`,
//! a policy's code, …); `outcome` of a fetch is `success` or `failure`; `source` is the
//! configured JWKS URL or issuer. A rate of 401s by cause is
//! `sum by (reason) (rate(auth_runtime_decisions_total{outcome="refused"}[5m]))`.
//!
//! [`Authenticator`]: crate::Authenticator

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use metrics::{Key, Label, Level, Metadata};

use crate::outcome::Outcome;
use crate::scheme::Scheme;

/// Counter of authentication decisions; labels `scheme`, `outcome`, `reason`.
pub const DECISIONS: &str = "auth_runtime_decisions_total";
/// Histogram of the seconds a full verification of credentials took, waiting for a key fetch
/// or a password hash included; a Bearer token served from the verified-token cache is not
/// verified again and not counted. Label `scheme`.
pub const VERIFICATION_SECONDS: &str = "auth_runtime_verification_seconds";
/// Counter of key-source fetches (discovery and JWKS together); labels `source`, `outcome`.
pub const KEY_FETCHES: &str = "auth_runtime_key_fetches_total";
/// Gauge: the Unix time, in seconds, of a key source's last successful fetch; label `source`.
pub const KEY_SOURCE_LAST_SUCCESS: &str = "auth_runtime_key_source_last_success_timestamp_seconds";
/// Gauge: a key source's failed fetches since its last success (0 while healthy); label
/// `source`.
pub const KEY_SOURCE_FAILURES: &str = "auth_runtime_key_source_consecutive_failures";
/// Gauge: the usable keys a key source's last successful fetch gave; label `source`.
pub const KEY_SOURCE_KEYS: &str = "auth_runtime_key_source_keys";

/// Where the metrics come from, for recorders that filter by target.
static METADATA: Metadata<'static> =
    Metadata::new("auth_runtime", Level::INFO, Some(module_path!()));

/// Describes every metric to the recorder installed now, if any.
pub(crate) fn describe() {
    use metrics::Unit;
    metrics::describe_counter!(
        DECISIONS,
        "Authentication decisions, by scheme, outcome and reason"
    );
    metrics::describe_histogram!(
        VERIFICATION_SECONDS,
        Unit::Seconds,
        "Time to verify credentials in full (not served from the verified-token cache)"
    );
    metrics::describe_counter!(KEY_FETCHES, "Fetches of a remote key source, by outcome");
    metrics::describe_gauge!(
        KEY_SOURCE_LAST_SUCCESS,
        Unit::Seconds,
        "Unix time of the key source's last successful fetch"
    );
    metrics::describe_gauge!(
        KEY_SOURCE_FAILURES,
        "Failed fetches of the key source since its last success"
    );
    metrics::describe_gauge!(
        KEY_SOURCE_KEYS,
        "Usable keys the key source's last successful fetch gave"
    );
}

/// `scheme`'s label value; `none` when no credentials were presented.
fn scheme_label(scheme: Option<Scheme>) -> &'static str {
    scheme.map_or("none", Scheme::name)
}

/// The decision counter of each outcome, its keys built once, at configuration, for the
/// outcomes the request path meets without a refusal.
pub(crate) struct Decisions {
    /// One key per configured scheme, for allowed requests.
    allowed: Vec<(Scheme, Key)>,
    anonymous: Key,
}

impl Decisions {
    pub(crate) fn new(schemes: &[Scheme]) -> Self {
        let key = |scheme: Option<Scheme>, outcome: &'static str, reason: &'static str| {
            Key::from_parts(
                DECISIONS,
                vec![
                    Label::from_static_parts("scheme", scheme_label(scheme)),
                    Label::from_static_parts("outcome", outcome),
                    Label::from_static_parts("reason", reason),
                ],
            )
        };
        Decisions {
            allowed: schemes
                .iter()
                .map(|&scheme| (scheme, key(Some(scheme), "allowed", "ok")))
                .collect(),
            anonymous: key(None, "anonymous", "missing"),
        }
    }

    /// A request whose `scheme` credentials were accepted: no allocation.
    pub(crate) fn allowed(&self, scheme: Scheme) {
        if let Some((_, key)) = self.allowed.iter().find(|(known, _)| *known == scheme) {
            increment(key);
        }
    }

    /// A request without credentials where authentication is optional: no allocation.
    pub(crate) fn anonymous(&self) {
        increment(&self.anonymous);
    }
}

/// A refused request, `scheme` being the scheme of the refused credentials (`None` when none
/// were presented).
pub(crate) fn refused(scheme: Option<Scheme>, reason: &'static str) {
    increment(&Key::from_parts(
        DECISIONS,
        vec![
            Label::from_static_parts("scheme", scheme_label(scheme)),
            Label::from_static_parts("outcome", "refused"),
            Label::from_static_parts("reason", reason),
        ],
    ));
}

fn increment(key: &Key) {
    metrics::with_recorder(|recorder| recorder.register_counter(key, &METADATA).increment(1));
}

/// The verification-time histogram of one scheme.
pub(crate) struct VerificationTimer {
    key: Key,
}

impl VerificationTimer {
    pub(crate) fn new(scheme: Scheme) -> Self {
        VerificationTimer {
            key: Key::from_parts(
                VERIFICATION_SECONDS,
                vec![Label::from_static_parts("scheme", scheme.name())],
            ),
        }
    }

    /// Records the time since `started`.
    pub(crate) fn record(&self, started: Instant) {
        let seconds = started.elapsed().as_secs_f64();
        metrics::with_recorder(|recorder| {
            recorder
                .register_histogram(&self.key, &METADATA)
                .record(seconds)
        });
    }

    /// `outcome`, recording the time from `started` to its end, now or when it completes.
    pub(crate) fn time<T: 'static>(&self, started: Instant, outcome: Outcome<T>) -> Outcome<T> {
        match outcome.now() {
            Ok(value) => {
                self.record(started);
                Outcome::ready(value)
            }
            Err(pending) => {
                let timer = VerificationTimer {
                    key: self.key.clone(),
                };
                Outcome::pending(async move {
                    let value = pending.await;
                    timer.record(started);
                    value
                })
            }
        }
    }
}

static BEARER_LABELS: [Label; 1] = [Label::from_static_parts("scheme", "Bearer")];

/// The Bearer scheme's timer, which it records itself: only tokens verified in full, not
/// those served from the verified-token cache.
pub(crate) static BEARER_VERIFICATION: VerificationTimer = VerificationTimer {
    key: Key::from_static_parts(VERIFICATION_SECONDS, &BEARER_LABELS),
};

/// The health of one remote key source.
pub(crate) struct KeySourceHealth {
    succeeded: Key,
    failed: Key,
    last_success: Key,
    failures: Key,
    keys: Key,
    consecutive_failures: AtomicU64,
}

impl KeySourceHealth {
    /// The gauges and counters of the key source at `source` (its configured URL).
    pub(crate) fn new(source: &str) -> Self {
        let key = |name: &'static str, outcome: Option<&'static str>| {
            let mut labels = vec![Label::new("source", source.to_owned())];
            labels.extend(outcome.map(|outcome| Label::from_static_parts("outcome", outcome)));
            Key::from_parts(name, labels)
        };
        KeySourceHealth {
            succeeded: key(KEY_FETCHES, Some("success")),
            failed: key(KEY_FETCHES, Some("failure")),
            last_success: key(KEY_SOURCE_LAST_SUCCESS, None),
            failures: key(KEY_SOURCE_FAILURES, None),
            keys: key(KEY_SOURCE_KEYS, None),
            consecutive_failures: AtomicU64::new(0),
        }
    }

    /// A fetch that gave `keys` usable keys.
    pub(crate) fn succeeded(&self, keys: usize) {
        self.consecutive_failures.store(0, Ordering::Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |elapsed| elapsed.as_secs_f64());
        metrics::with_recorder(|recorder| {
            recorder
                .register_counter(&self.succeeded, &METADATA)
                .increment(1);
            recorder
                .register_gauge(&self.last_success, &METADATA)
                .set(now);
            recorder.register_gauge(&self.failures, &METADATA).set(0.0);
            recorder
                .register_gauge(&self.keys, &METADATA)
                .set(keys as f64);
        });
    }

    /// A failed fetch.
    pub(crate) fn failed(&self) {
        let failures = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
        metrics::with_recorder(|recorder| {
            recorder
                .register_counter(&self.failed, &METADATA)
                .increment(1);
            recorder
                .register_gauge(&self.failures, &METADATA)
                .set(failures as f64);
        });
    }
}

/// At most this many characters of one value taken from a request reach a log event; longer
/// values are cut, with `…` at the end.
pub(crate) const MAX_UNTRUSTED_CHARS: usize = 64;

/// What a refused credential said about itself, for the refusal's log event: its JOSE header
/// and registered claims, read without trusting them (the signature may not even verify).
/// Never the credential, its signature or a secret; every text escaped and cut by
/// [`untrusted`]. Schemes other than Bearer leave it empty.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CredentialFacts {
    /// The JOSE header `alg`.
    pub(crate) alg: Option<String>,
    /// The JOSE header `kid`.
    pub(crate) kid: Option<String>,
    /// The JOSE header `typ`.
    pub(crate) typ: Option<String>,
    /// The `iss` claim.
    pub(crate) iss: Option<String>,
    /// The `aud` claim (a string, or an array as JSON text).
    pub(crate) aud: Option<String>,
    /// `exp` less the current time, in seconds: negative when it lies in the past.
    pub(crate) exp_in_secs: Option<i64>,
    /// `nbf` less the current time, in seconds: positive when it lies in the future.
    pub(crate) nbf_in_secs: Option<i64>,
}

/// `value`, from a request, made safe for a log line: printable ASCII kept (a backslash
/// doubled), every other character written as `\u{…}` (so no line break, control character or
/// bidirectional override reaches a log viewer), and at most [`MAX_UNTRUSTED_CHARS`]
/// characters of the original kept, then `…`.
pub(crate) fn untrusted(value: &str) -> String {
    let mut safe = String::with_capacity(value.len().min(MAX_UNTRUSTED_CHARS) + 3);
    for (index, c) in value.chars().enumerate() {
        if index == MAX_UNTRUSTED_CHARS {
            safe.push('…');
            break;
        }
        match c {
            '\\' => safe.push_str("\\\\"),
            ' '..='~' => safe.push(c),
            _ => {
                let _ = write!(safe, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    safe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_values_cannot_break_a_log_line_or_grow_it() {
        assert_eq!(untrusted("https://idp.example"), "https://idp.example");
        assert_eq!(
            untrusted("a\nINFO forged line\r\u{1b}[31m"),
            "a\\u{a}INFO forged line\\u{d}\\u{1b}[31m"
        );
        assert_eq!(untrusted("x\u{202e}y\\u{a}"), "x\\u{202e}y\\\\u{a}");
        assert_eq!(untrusted("ünï"), "\\u{fc}n\\u{ef}");
        let long = "a".repeat(10_000);
        assert_eq!(untrusted(&long), format!("{}…", "a".repeat(64)));
        let hostile = "\n".repeat(10_000);
        let safe = untrusted(&hostile);
        assert!(
            !safe.contains('\n') && safe.len() <= 64 * 5 + 3,
            "{}",
            safe.len()
        );
    }
}
