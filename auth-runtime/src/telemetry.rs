//! What an operator sees: the non-secret facts a refusal's log event carries, made safe to log.
//! Gathered only on the refusal path, and only when the event is recorded.

use std::fmt::Write;

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
