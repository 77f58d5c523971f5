//! Which URLs point at this machine: plain `http` is acceptable for them only (a protected
//! resource identifier in development, a key source on the loopback interface). Decided on the
//! host as the URL parser normalised it, never on the text: `127.1` and `[::1]` are loopback,
//! `127.0.0.1.evil.test` and `localhost.evil.test` are not.

use url::{Host, Url};

/// Whether `url`'s host is `localhost`, an address of `127.0.0.0/8`, or `::1`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(address)) => address.is_loopback(),
        Some(Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_loopback() {
        for (url, loopback) in [
            ("http://localhost:8080/", true),
            ("http://LOCALHOST/", true),
            ("http://127.0.0.1/", true),
            ("http://127.1/", true),
            ("http://127.255.255.254:9/", true),
            ("http://[::1]:8080/", true),
            ("http://user@127.0.0.1/", true),
            ("http://127.0.0.1.evil.test/", false),
            ("http://localhost.evil.test/", false),
            ("http://localhost./", false),
            ("http://128.0.0.1/", false),
            ("http://[::ffff:127.0.0.1]/", false),
            ("http://example.com/", false),
            ("urn:example:resource", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(url).unwrap()), loopback, "{url}");
        }
    }
}
