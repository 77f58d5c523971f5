//! The `WWW-Authenticate` challenge builder (RFC 9110 §11.6.1, RFC 6750 §3).

use actix_web::http::header::HeaderValue;

/// One authentication challenge, as sent in a `WWW-Authenticate` header.
///
/// The builder enforces the rules of RFC 9110 §11 that clients rely on: the `realm` parameter
/// comes first, parameter names are lower-case tokens, and every value is a quoted-string with
/// `"` and `\` escaped (RFC 9110 §5.6.4). Control characters can never reach the header: they
/// are dropped here as a last line of defence, and configuration that contains them is refused
/// at start-up.
///
/// ```
/// use auth_runtime::Challenge;
///
/// let challenge = Challenge::new("Bearer", "api")
///     .param("error", "insufficient_scope")
///     .param("scope", "items:read items:write");
/// assert_eq!(
///     challenge.as_str(),
///     r#"Bearer realm="api", error="insufficient_scope", scope="items:read items:write""#,
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    text: String,
    /// The parameter names written so far, normalised.
    names: Vec<String>,
}

impl Challenge {
    /// Starts a challenge for `scheme` with its `realm` parameter (RFC 9110 §11.5), which
    /// always comes first.
    ///
    /// `scheme` must be an RFC 9110 `token` (`Bearer`, `Basic`, `ApiKey`, …); characters outside
    /// the token alphabet are dropped.
    pub fn new(scheme: &str, realm: &str) -> Self {
        let mut text = String::with_capacity(scheme.len() + realm.len() + 64);
        text.extend(scheme.chars().filter(|&c| is_tchar(c)));
        let mut challenge = Challenge {
            text,
            names: Vec::new(),
        };
        challenge.push_param("realm", realm);
        challenge
    }

    /// Appends an `auth-param` (RFC 9110 §11.2): `name="value"`.
    ///
    /// `name` is lower-cased and reduced to token characters. Each name appears at most once
    /// (RFC 6750 §3: "all attributes MUST NOT appear more than once"): a name already written
    /// is ignored, and so is a name with no token character. `value` is written as a
    /// quoted-string.
    pub fn param(mut self, name: &str, value: &str) -> Self {
        self.push_param(name, value);
        self
    }

    fn push_param(&mut self, name: &str, value: &str) {
        let name: String = name
            .chars()
            .filter(|&c| is_tchar(c))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if name.is_empty() || self.names.contains(&name) {
            return;
        }
        self.text
            .push_str(if self.names.is_empty() { " " } else { ", " });
        self.text.push_str(&name);
        self.names.push(name);
        self.text.push_str("=\"");
        for c in value.chars() {
            match c {
                '"' | '\\' => {
                    self.text.push('\\');
                    self.text.push(c);
                }
                c if is_forbidden_control(c) => {}
                c => self.text.push(c),
            }
        }
        self.text.push('"');
    }

    /// The challenge as text, e.g. `Bearer realm="api", error="invalid_token"`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The challenge as a header value for `WWW-Authenticate`.
    pub fn to_header_value(&self) -> HeaderValue {
        // Every byte is visible ASCII, a space, a tab or part of a non-ASCII UTF-8 sequence
        // (obs-text), which `HeaderValue` accepts.
        HeaderValue::from_str(&self.text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// Checks a value that configuration will place in a challenge (a realm, for instance):
    /// it must be non-empty and free of control characters (CR, LF, NUL, DEL, …).
    pub(crate) fn check_value(value: &str) -> Result<(), &'static str> {
        if value.is_empty() {
            return Err("it is empty");
        }
        if value.chars().any(is_forbidden_control) {
            return Err("it contains a control character (CR, LF, tab, NUL, DEL or similar)");
        }
        Ok(())
    }
}

impl std::fmt::Display for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// RFC 9110 §5.6.2 `tchar`.
pub(crate) const fn is_tchar(c: char) -> bool {
    matches!(c, 'a'..='z' | 'A'..='Z' | '0'..='9' | '!' | '#' | '$' | '%' | '&' | '\'' | '*'
        | '+' | '-' | '.' | '^' | '_' | '`' | '|' | '~')
}

/// Characters kept out of challenges: every control character, the tab included (RFC 9110
/// §5.6.4 would allow HTAB in a quoted-string, but no realm or description needs one and
/// CONFORMANCE allows none), C1 controls, and the Unicode line and paragraph separators.
fn is_forbidden_control(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_comes_first_and_names_are_lower_case() {
        let c = Challenge::new("Bearer", "R")
            .param("ERROR", "invalid_token")
            .param("Error_Description", "The access token is invalid");
        assert_eq!(
            c.as_str(),
            r#"Bearer realm="R", error="invalid_token", error_description="The access token is invalid""#
        );
    }

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        let c = Challenge::new("Basic", r#"a "quoted" \ realm"#).param("charset", "UTF-8");
        assert_eq!(
            c.as_str(),
            r#"Basic realm="a \"quoted\" \\ realm", charset="UTF-8""#
        );
    }

    #[test]
    fn control_characters_never_reach_the_header() {
        let c = Challenge::new("Bearer", "evil\r\nSet-Cookie: x=1\0\x7f");
        assert_eq!(c.as_str(), r#"Bearer realm="evilSet-Cookie: x=1""#);
        assert!(c.to_header_value().to_str().is_ok());
    }

    #[test]
    fn scheme_is_reduced_to_token_characters() {
        assert_eq!(
            Challenge::new("Bea rer\"", "R").as_str(),
            r#"Bearer realm="R""#
        );
    }

    #[test]
    fn non_ascii_realm_is_kept_as_obs_text() {
        let c = Challenge::new("Bearer", "café");
        let value = c.to_header_value();
        assert_eq!(value.as_bytes(), "Bearer realm=\"café\"".as_bytes());
    }

    #[test]
    fn check_value_refuses_empty_and_control_characters() {
        assert!(Challenge::check_value("ok realm").is_ok());
        assert!(Challenge::check_value("").is_err());
        assert!(Challenge::check_value("a\nb").is_err());
        assert!(Challenge::check_value("a\tb").is_err());
        assert!(Challenge::check_value("a\u{85}b").is_err());
        // The Unicode line and paragraph separators, which some clients read as line ends.
        assert!(Challenge::check_value("a\u{2028}b").is_err());
        assert!(Challenge::check_value("a\u{2029}b").is_err());
        assert_eq!(
            Challenge::new("Bearer", "a\u{2028}b\u{2029}c").as_str(),
            r#"Bearer realm="abc""#
        );
    }

    #[test]
    fn a_parameter_given_twice_keeps_the_first() {
        let c = Challenge::new("Bearer", "R")
            .param("error", "a")
            .param("ERROR", "b")
            .param("realm", "other")
            .param("\"", "nameless");
        assert_eq!(c.as_str(), r#"Bearer realm="R", error="a""#);
    }

    #[test]
    fn a_value_that_looks_like_a_parameter_is_only_a_value() {
        let c = Challenge::new("Bearer", "maintenance, error=").param("error", "invalid_token");
        assert_eq!(
            c.as_str(),
            r#"Bearer realm="maintenance, error=", error="invalid_token""#
        );
    }

    #[test]
    fn tabs_are_dropped() {
        assert_eq!(
            Challenge::new("Bearer", "a\tb").param("x", "c\td").as_str(),
            r#"Bearer realm="ab", x="cd""#
        );
    }
}
