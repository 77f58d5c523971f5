//! The one clock every time check reads: seconds since the Unix epoch.

/// Seconds since the Unix epoch (0 if the system clock is before it). Read once per request and
/// passed down, so that the verified-token cache and the claims checks agree on "now".
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}
