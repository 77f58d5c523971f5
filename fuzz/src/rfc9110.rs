//! A reference reader of one `WWW-Authenticate` challenge under RFC 9110 §11, written from the
//! grammar and independent of the library's builder: the property tests (`tests/properties.rs`)
//! and the `challenge` fuzz target check the builder's output against it.
//!
//! ```text
//! challenge     = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param    = token BWS "=" BWS ( token / quoted-string )
//! quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
//! qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
//! quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )
//! ```
//!
//! Only the auth-param form is read (the builder always writes `realm`).

/// A challenge as a client reads it: the scheme and every auth-param, values unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedChallenge {
    /// The auth-scheme, as written.
    pub scheme: String,
    /// Every auth-param in order: the name as written, the value unescaped.
    pub params: Vec<(String, String)>,
}

/// Reads `bytes` as exactly one challenge; says where and why it does not follow the grammar.
pub fn parse_challenge(bytes: &[u8]) -> Result<ParsedChallenge, String> {
    let mut cursor = Cursor { bytes, at: 0 };
    let scheme = cursor.token()?;
    let mut params = Vec::new();
    if cursor.at_end() {
        return Ok(ParsedChallenge { scheme, params });
    }
    if cursor.skip(|b| b == b' ') == 0 {
        return Err(cursor.error("a space after the scheme"));
    }
    loop {
        let name = cursor.token()?;
        cursor.skip(is_whitespace);
        cursor.expect(b'=')?;
        cursor.skip(is_whitespace);
        let value = if cursor.peek() == Some(b'"') {
            cursor.quoted_string()?
        } else {
            cursor.token()?
        };
        params.push((name, value));
        cursor.skip(is_whitespace);
        if cursor.at_end() {
            return Ok(ParsedChallenge { scheme, params });
        }
        cursor.expect(b',')?;
        // `#auth-param` allows empty list elements.
        while cursor.skip(is_whitespace) > 0 || cursor.peek() == Some(b',') {
            if cursor.peek() == Some(b',') {
                cursor.at += 1;
            }
        }
    }
}

/// What a challenge value must become: the text without control characters (CONFORMANCE: none
/// can reach a header), and without the Unicode line and paragraph separators the builder
/// drops with them.
pub fn without_control_characters(text: &str) -> String {
    text.chars()
        .filter(|&c| !c.is_control() && c != '\u{2028}' && c != '\u{2029}')
        .collect()
}

/// RFC 9110 §5.6.2 `tchar`.
pub fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// `qdtext`: HTAB, SP, visible ASCII but `"` and `\`, obs-text.
fn is_qdtext(byte: u8) -> bool {
    matches!(byte, b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff)
}

fn is_whitespace(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn at_end(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn error(&self, expected: &str) -> String {
        format!(
            "{expected} expected at byte {} of {:?}",
            self.at,
            String::from_utf8_lossy(self.bytes)
        )
    }

    fn skip(&mut self, matches: impl Fn(u8) -> bool) -> usize {
        let start = self.at;
        while self.peek().is_some_and(&matches) {
            self.at += 1;
        }
        self.at - start
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("{:?}", char::from(byte))))
        }
    }

    fn token(&mut self) -> Result<String, String> {
        let start = self.at;
        if self.skip(is_tchar) == 0 {
            return Err(self.error("a token"));
        }
        Ok(String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned())
    }

    fn quoted_string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut value = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error("a closing quote")),
                Some(b'"') => {
                    self.at += 1;
                    return String::from_utf8(value).map_err(|_| self.error("UTF-8"));
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(b) if b == b'\t' || b == b' ' || b.is_ascii_graphic() || b >= 0x80 => {
                            value.push(b);
                            self.at += 1;
                        }
                        _ => return Err(self.error("a quoted-pair")),
                    }
                }
                Some(b) if is_qdtext(b) => {
                    value.push(b);
                    self.at += 1;
                }
                Some(_) => return Err(self.error("qdtext")),
            }
        }
    }
}
