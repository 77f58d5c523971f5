//! A token's payload as the claim checks read it: JSON borrowed from the decoded payload.
//!
//! A string that needs no unescaping is not copied and an object is a list of members, so
//! reading a usual token's claims allocates once (its member list), where a
//! `serde_json::Value` allocates every name and string and a tree node for the object. The
//! principal keeps the payload and builds its `Value` only when a handler asks for the claims.

use std::borrow::Cow;

use serde_json::Number;

#[cfg(any(test, feature = "testing"))]
pub(crate) mod oracle;

/// One JSON value of a payload. Objects never repeat a member name, at any depth: RFC 7519 §4
/// lets a recipient either refuse duplicate claim names or keep the last one, and keeping one
/// is how a token means one thing here and another to a component that keeps the first
/// (`{"scope":"none","scope":"admin"}`), so duplicates are refused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'p> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'p, str>),
    Array(Vec<Json<'p>>),
    Object(Vec<(Cow<'p, str>, Json<'p>)>),
}

/// How many members an object is given room for before it grows: a usual access token has
/// `iss`, `sub`, `aud`, `exp`, `iat`, `jti`, `scope` and a few more (RFC 9068 §2.2).
const USUAL_MEMBERS: usize = 12;

/// How many members an object may have for its names to be compared pairwise; a larger one is
/// checked by sorting its names.
const PAIRWISE_MEMBERS: usize = 16;

impl<'p> Json<'p> {
    /// Reads `json`: a JSON document in which no object repeats a member name. `None` for
    /// anything else, bytes that are not UTF-8 among them.
    ///
    /// It accepts exactly what `serde_json::from_slice` accepts (RFC 8259 without lone
    /// surrogates, at most 127 arrays or objects deep) and reads every value as serde_json
    /// does; the tests and the `claims_json` fuzz target hold it to that. It is written for
    /// claims rather than read through serde: a token's payload is a few short members, and
    /// serde's visitors cost more than reading them.
    pub(crate) fn parse(json: &'p [u8]) -> Option<Json<'p>> {
        let mut reader = Reader {
            text: std::str::from_utf8(json).ok()?,
            at: 0,
            depth_left: MAX_DEPTH,
        };
        let value = reader.value()?;
        reader.skip_whitespace();
        (reader.at == json.len()).then_some(value)
    }

    /// The member `name` of an object.
    pub(crate) fn get(&self, name: &str) -> Option<&Json<'p>> {
        match self {
            Json::Object(members) => members
                .iter()
                .find(|(member, _)| same_name(member, name))
                .map(|(_, value)| value),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(text) => Some(text),
            _ => None,
        }
    }
}

/// serde_json's limit: the 128th array or object inside one another is refused.
const MAX_DEPTH: u8 = 128;

/// Where a [`Json::parse`] has got to in its text.
struct Reader<'p> {
    text: &'p str,
    /// The next byte to read.
    at: usize,
    /// How many more arrays or objects may open inside the current one, plus one.
    depth_left: u8,
}

impl<'p> Reader<'p> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// The next byte, consumed.
    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    /// RFC 8259 §2's whitespace: space, tab, line feed and carriage return.
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Option<Json<'p>> {
        self.skip_whitespace();
        match self.peek()? {
            b'"' => {
                self.at += 1;
                self.string().map(Json::String)
            }
            b'{' => self.nested(Self::object),
            b'[' => self.nested(Self::array),
            b'-' | b'0'..=b'9' => self.number().map(Json::Number),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'n' => self.literal("null", Json::Null),
            _ => None,
        }
    }

    fn literal(&mut self, word: &str, value: Json<'p>) -> Option<Json<'p>> {
        let end = self.at + word.len();
        (self.text.as_bytes().get(self.at..end)? == word.as_bytes()).then(|| {
            self.at = end;
            value
        })
    }

    /// An array or an object, read by `read` one level deeper.
    fn nested(&mut self, read: fn(&mut Self) -> Option<Json<'p>>) -> Option<Json<'p>> {
        self.depth_left -= 1;
        if self.depth_left == 0 {
            return None;
        }
        self.at += 1;
        let value = read(self);
        self.depth_left += 1;
        value
    }

    /// The items of an array, after its `[`.
    fn array(&mut self) -> Option<Json<'p>> {
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            match self.next()? {
                b',' => {}
                b']' => return Some(Json::Array(items)),
                _ => return None,
            }
        }
    }

    /// The members of an object, after its `{`.
    fn object(&mut self) -> Option<Json<'p>> {
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(Json::Object(Vec::new()));
        }
        // Room for the members of a usual access token's claims at once.
        let mut members = Vec::with_capacity(USUAL_MEMBERS);
        loop {
            self.skip_whitespace();
            if self.next()? != b'"' {
                return None;
            }
            let name = self.string()?;
            self.skip_whitespace();
            if self.next()? != b':' {
                return None;
            }
            members.push((name, self.value()?));
            self.skip_whitespace();
            match self.next()? {
                b',' => {}
                b'}' => break,
                _ => return None,
            }
        }
        if repeats_a_name(&members) {
            return None;
        }
        Some(Json::Object(members))
    }

    /// A string, after its opening quote: borrowed from the text unless it has an escape.
    fn string(&mut self) -> Option<Cow<'p, str>> {
        let start = self.at;
        let end = plain_end(self.text.as_bytes(), start);
        match self.text.as_bytes().get(end)? {
            b'"' => {
                self.at = end + 1;
                Some(Cow::Borrowed(&self.text[start..end]))
            }
            b'\\' => {
                self.at = end;
                self.unescaped(start).map(Cow::Owned)
            }
            // RFC 8259 §7: control characters must be escaped.
            _ => None,
        }
    }

    /// The rest of a string that started at `start` and has an escape at the current byte.
    fn unescaped(&mut self, start: usize) -> Option<String> {
        let mut text = String::with_capacity(self.at - start + 16);
        text.push_str(&self.text[start..self.at]);
        loop {
            match self.next()? {
                b'"' => return Some(text),
                b'\\' => text.push(self.escape()?),
                _ => return None,
            }
            let run = self.at;
            self.at = plain_end(self.text.as_bytes(), run);
            text.push_str(&self.text[run..self.at]);
        }
    }

    /// The character an escape stands for, after its backslash (RFC 8259 §7). A UTF-16
    /// surrogate must be the first of a pair written as two `\u` escapes, as serde_json
    /// requires of a string.
    fn escape(&mut self) -> Option<char> {
        Some(match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => match self.hex4()? {
                high @ 0xD800..=0xDBFF => {
                    if self.next()? != b'\\' || self.next()? != b'u' {
                        return None;
                    }
                    let low = self.hex4()?;
                    if !(0xDC00..=0xDFFF).contains(&low) {
                        return None;
                    }
                    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))?
                }
                // A lone trailing surrogate is no character: `from_u32` refuses it.
                unit => char::from_u32(unit)?,
            },
            _ => return None,
        })
    }

    /// Four hexadecimal digits, either case.
    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.as_bytes().get(self.at..self.at + 4)?;
        self.at += 4;
        digits.iter().try_fold(0, |unit, &digit| {
            Some(unit * 16 + char::from(digit).to_digit(16)?)
        })
    }

    /// A number (RFC 8259 §6). An integer that fits in a `u64`, or a negative one that fits
    /// in an `i64`, is read here; any other text of digits, sign, point and exponent (a
    /// fraction, an exponent, `-0`, a larger integer) is handed to serde_json, which reads it
    /// as a float, or refuses it (`1.`, `1e+`), as it would in a document.
    fn number(&mut self) -> Option<Number> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let negative = bytes.get(start) == Some(&b'-');
        let digits = start + usize::from(negative);
        let mut at = digits;
        // The integer part's value, as it is read; `None` once it passes `u64::MAX`.
        let mut magnitude = Some(0u64);
        while let Some(&digit @ b'0'..=b'9') = bytes.get(at) {
            magnitude = magnitude
                .and_then(|value| value.checked_mul(10)?.checked_add(u64::from(digit - b'0')));
            at += 1;
        }
        // At least one digit, and no leading zero: where serde_json reads `0` and then finds
        // a digit after it, the document is refused all the same.
        if at == digits || (bytes[digits] == b'0' && at > digits + 1) {
            return None;
        }
        let mut whole = true;
        if bytes.get(at) == Some(&b'.') {
            at = after_digits(bytes, at + 1);
            whole = false;
        }
        if let Some(b'e' | b'E') = bytes.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            at = after_digits(bytes, at);
            whole = false;
        }
        self.at = at;
        match magnitude {
            Some(magnitude) if whole && !negative => Some(magnitude.into()),
            Some(magnitude @ 1..=0x8000_0000_0000_0000) if whole => {
                Some((magnitude as i64).wrapping_neg().into())
            }
            _ => serde_json::from_str(&self.text[start..at]).ok(),
        }
    }
}

/// Where the digits from `at` end.
fn after_digits(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b'0'..=b'9') = bytes.get(at) {
        at += 1;
    }
    at
}

/// Where the run of plain string bytes from `at` ends: the first quote, backslash or control
/// character at or after `at`, or the end of `bytes`. Eight bytes are tested at a time, as
/// serde_json tests them (Mycroft's zero-byte test): a byte is flagged where it equals the
/// quote or the backslash or is below 0x20, and a borrow can only flag bytes above a flagged
/// one, so the lowest flag is always a true one.
fn plain_end(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = u64::MAX / 255;
    const HIGH_BITS: u64 = ONES << 7;
    let zero_bytes = |chunk: u64| chunk.wrapping_sub(ONES) & !chunk;
    while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk) {
        let chunk = u64::from_le_bytes(*chunk);
        let flags = (zero_bytes(chunk ^ (ONES * u64::from(b'"')))
            | zero_bytes(chunk ^ (ONES * u64::from(b'\\')))
            | (chunk.wrapping_sub(ONES * 0x20) & !chunk))
            & HIGH_BITS;
        if flags != 0 {
            return at + flags.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    while let Some(&byte) = bytes.get(at) {
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

/// Whether `a` and `b` are the same name. Their lengths and last bytes are compared before
/// all their bytes: comparing the bytes is a call (`memcmp`), and the registered claim names
/// (`iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`) all have three letters and end in
/// different ones, so most pairs of a token's names differ in length or last byte.
fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.last() == b.last() && a == b
}

/// Whether two members of `members` have the same name.
fn repeats_a_name(members: &[(Cow<'_, str>, Json<'_>)]) -> bool {
    if members.len() <= PAIRWISE_MEMBERS {
        return members.iter().enumerate().any(|(i, (name, _))| {
            members[..i]
                .iter()
                .any(|(earlier, _)| same_name(earlier, name))
        });
    }
    let mut names: Vec<&str> = members.iter().map(|(name, _)| &**name).collect();
    names.sort_unstable();
    names.windows(2).any(|pair| pair[0] == pair[1])
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    /// What a `Json` says, as a `Value`, to compare with serde_json's reading.
    fn value(json: &Json<'_>) -> Value {
        match json {
            Json::Null => Value::Null,
            Json::Bool(value) => Value::Bool(*value),
            Json::Number(number) => Value::Number(number.clone()),
            Json::String(text) => Value::String(text.to_string()),
            Json::Array(items) => Value::Array(items.iter().map(value).collect()),
            Json::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(name, member)| (name.to_string(), value(member)))
                    .collect(),
            ),
        }
    }

    #[test]
    fn every_json_value_reads_as_serde_json_reads_it_and_plain_strings_are_borrowed() {
        let payload = br#"{"s":"a\u0041","e":"\u00e9t\u00e9","p":"plain","n":-5,"u":7,"f":1.5,"b":true,"z":null,"a":[1,{"x":-2}],"o":{"k":"v"},"\u0071":"q"}"#;
        let json = Json::parse(payload).unwrap();
        assert_eq!(
            value(&json),
            serde_json::from_slice::<Value>(payload).unwrap()
        );
        assert_eq!(
            value(&json),
            json!({
                "s": "aA", "e": "été", "p": "plain", "n": -5, "u": 7, "f": 1.5,
                "b": true, "z": null, "a": [1, { "x": -2 }], "o": { "k": "v" }, "q": "q",
            })
        );
        assert!(matches!(
            json.get("p"),
            Some(Json::String(Cow::Borrowed("plain")))
        ));
        assert!(matches!(json.get("s"), Some(Json::String(Cow::Owned(_)))));
        assert_eq!(json.get("p").and_then(Json::as_str), Some("plain"));
        assert_eq!(json.get("n").and_then(Json::as_str), None);
        assert_eq!(json.get("missing"), None);
        assert_eq!(
            json.get("o").and_then(|o| o.get("k")),
            Some(&Json::String("v".into()))
        );
        assert_eq!(Json::Bool(true).get("k"), None);
    }

    #[test]
    fn bytes_are_accepted_exactly_when_serde_json_accepts_them_as_bytes() {
        let inputs: [&[u8]; 16] = [
            br#"{"name":"caf\xc3\xa9"}"#,
            br#"{"caf\xc3\xa9":1}"#,
            b"{\"name\":\"\xe2\x82\xac\xf0\x9f\x98\x80\"}",
            b"{\"name\":\"caf\xe9\"}",
            b"{\"name\":\"\xc0\xaf\"}",
            b"{\"name\":\"\xed\xa0\x80\"}",
            b"{\"name\":\"\xf4\x90\x80\x80\"}",
            b"{\"name\":\"\xe2\x82\"}",
            b"{\"n\xff\":1}",
            b"{\"name\":1}\xff",
            b"\xef\xbb\xbf{\"name\":1}",
            br#"{"name":"\ud83d\ude00"}"#,
            br#"{"name":"\ud800"}"#,
            br#"{"name":"\u00"}"#,
            b"{\"name\":\"a\x01b\"}",
            b"{\"name\":1} ",
        ];
        for input in inputs {
            let serde = serde_json::from_slice::<Value>(input);
            let ours = Json::parse(input);
            assert_eq!(
                ours.as_ref().map(value),
                serde.as_ref().ok().cloned(),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        // A string with characters beyond ASCII and no escape is still borrowed.
        let json = Json::parse("{\"name\":\"café\"}".as_bytes()).unwrap();
        assert!(matches!(
            json.get("name"),
            Some(Json::String(Cow::Borrowed("café")))
        ));
    }

    /// Whether `Json::parse` and serde_json (the oracle) agree on `input`.
    fn agree(input: &[u8]) {
        assert_eq!(
            Json::parse(input),
            oracle::parse(input),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }

    #[test]
    fn numbers_read_as_serde_json_reads_them() {
        let accepted = [
            "0",
            "-0",
            "7",
            "-7",
            "10",
            "1.5",
            "-1.5",
            "0.0",
            "1e5",
            "1E5",
            "1e+5",
            "1e-5",
            "-0.0e-0",
            "1.25e2",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999",
            "-9223372036854775808",
            "-9223372036854775809",
            "0e400",
            "1e-400",
            "123456789012345678901234567890e-10",
            "0.30000000000000004",
            "4.9e-324",
            "1.7976931348623157e308",
        ];
        for number in accepted {
            let ours = Json::parse(number.as_bytes());
            assert!(ours.is_some(), "{number}");
            assert_eq!(ours, oracle::parse(number.as_bytes()), "{number}");
            let member = format!(r#"{{"n":{number}}}"#);
            agree(member.as_bytes());
            agree(format!("[{number},{number} ]").as_bytes());
        }
        // The integers kept exact, as serde_json keeps them.
        assert_eq!(
            Json::parse(b"18446744073709551615"),
            Some(Json::Number(u64::MAX.into()))
        );
        assert_eq!(
            Json::parse(b"-9223372036854775808"),
            Some(Json::Number(i64::MIN.into()))
        );
        assert!(matches!(Json::parse(b"-0"), Some(Json::Number(n)) if n.is_f64()));
        assert!(
            matches!(Json::parse(b"18446744073709551616"), Some(Json::Number(n)) if n.is_f64())
        );
        let refused = [
            "01", "-01", "00", "1.", "1.e5", ".5", "-", "--1", "+1", "1e", "1e+", "1E-", "0x10",
            "1e400", "-1e400", "Infinity", "NaN", "1_000", "1 2", "٣",
        ];
        for number in refused {
            assert_eq!(Json::parse(number.as_bytes()), None, "{number}");
            agree(number.as_bytes());
            agree(format!(r#"{{"n":{number}}}"#).as_bytes());
            agree(format!("[{number}]").as_bytes());
        }
    }

    #[test]
    fn strings_and_escapes_read_as_serde_json_reads_them() {
        let cases: [&[u8]; 30] = [
            br#""""#,
            br#""plain""#,
            br#""\"\\\/\b\f\n\r\t""#,
            br#""\u0000\u001f\u007F\u00e9\u00E9\uFFFF""#,
            br#""\ud83d\ude00 and \uD83D\uDE00""#,
            br#""\ud83d""#,
            br#""\ud83dx""#,
            br#""\ud83d\n""#,
            br#""\ud83d\u0041""#,
            br#""\ud83d\ud83d\ude00""#,
            br#""\ude00""#,
            br#""\ude00\ud83d""#,
            br#""\u12""#,
            br#""\u12g4""#,
            br#""\x41""#,
            br#""\a""#,
            br#""\""#,
            br#""unterminated"#,
            b"\"tab\there\"",
            b"\"line\nbreak\"",
            b"\"del\x7fok\"",
            b"\"\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80\"",
            b"\"\\u00e9\xc3\xa9\\n\xf0\x9f\x98\x80x\"",
            b"\"\\\xc3\xa9\"",
            b"\"\\u\xc3\xa9\xc3\xa9\"",
            br#""a\"b" "#,
            br#"{"a\u0000b":1}"#,
            br#"{"k":"\ud800\udc00\udbff\udfff"}"#,
            br#"{"\ud83d":1}"#,
            br#"["\\", "\\\\", "\/"]"#,
        ];
        for case in cases {
            agree(case);
        }
        assert_eq!(
            Json::parse(br#""\ud83d\ude00""#),
            Some(Json::String("\u{1f600}".into()))
        );
    }

    #[test]
    fn structure_and_whitespace_read_as_serde_json_reads_them() {
        let cases: [&[u8]; 40] = [
            b"",
            b" ",
            b"{}",
            b"[]",
            b" { } ",
            b"\t[\r\n]\n",
            b"{",
            b"}",
            b"[",
            b"]",
            b"[1,]",
            b"[,1]",
            b"[1 2]",
            b"{\"a\":1,}",
            b"{,}",
            b"{\"a\"}",
            b"{\"a\" 1}",
            b"{\"a\":}",
            b"{1:2}",
            b"{a:1}",
            b"{'a':1}",
            b"{\"a\":1 \"b\":2}",
            b"[1]]",
            b"{}{}",
            b"[]x",
            b"true",
            b"false",
            b"null",
            b"tru",
            b"nul",
            b"nulll",
            b"True",
            b"[true,false,null]",
            b"\x0c{}",
            b"{}\x0b",
            b"\xc2\xa0{}",
            b"{\"a\":[{\"b\":[[]]}],\"c\":{}}",
            b"[ 1 , { \"a\" : [ ] } , \"x\" ]",
            b"{\"a\":1}\n\n",
            b"{\"a\":1}\x00",
        ];
        for case in cases {
            agree(case);
        }
    }

    #[test]
    fn nesting_is_refused_where_serde_json_refuses_it() {
        for depth in [1, 2, 126, 127, 128, 129, 1_000] {
            let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
            let mixed = format!("{}{}", r#"[{"a":"#.repeat(depth), "}]".repeat(depth));
            for document in [&arrays, &objects, &mixed] {
                agree(document.as_bytes());
            }
        }
        let deepest = format!("{}{}", "[".repeat(127), "]".repeat(127));
        assert!(Json::parse(deepest.as_bytes()).is_some());
        let deeper = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert_eq!(Json::parse(deeper.as_bytes()), None);
        // Depth is counted inward and given back on the way out: siblings do not add up.
        let wide = format!("[{}]", vec!["[[[]]]"; 200].join(","));
        assert!(Json::parse(wide.as_bytes()).is_some());
    }

    #[test]
    fn a_plain_run_ends_at_the_first_quote_backslash_or_control_character() {
        // Bytes around the three kinds of stop, on both sides of the eight-byte tests.
        let plain = [
            b' ', b'!', b'#', b'[', b']', b'a', 0x7f, 0x80, 0xc3, 0xe9, 0xff,
        ];
        for stop in [b'"', b'\\', 0x00, 0x01, 0x0a, 0x1f] {
            for length in 0..20 {
                for filler in plain {
                    let mut bytes = vec![filler; length];
                    bytes.push(stop);
                    // What follows a stop never matters, stops included.
                    bytes.extend_from_slice(b"\"\\\x00 tail");
                    assert_eq!(
                        plain_end(&bytes, 0),
                        length,
                        "{stop:#x} after {length} {filler:#x}"
                    );
                    if length > 3 {
                        assert_eq!(plain_end(&bytes, 3), length);
                    }
                }
            }
        }
        for length in 0..20 {
            let bytes = vec![b'a'; length];
            assert_eq!(plain_end(&bytes, 0), length);
            assert_eq!(plain_end(&bytes, length), length);
        }
    }

    /// A small deterministic random source (SplitMix64) for the generated documents.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
            choices[self.below(choices.len())]
        }
    }

    /// A random JSON-like document: mostly valid, with names that often repeat and strings,
    /// numbers and whitespace drawn from the cases that differ between parsers.
    fn document(random: &mut Random, out: &mut Vec<u8>, depth: usize) {
        const SPACE: [&str; 6] = ["", "", " ", "\t", "\r\n", "\x0c"];
        const NAMES: [&str; 8] = [
            "scope",
            "sub",
            "aud",
            "s\\u0063ope",
            "a",
            "",
            "\\ud83d\\ude00",
            "é",
        ];
        const STRINGS: [&str; 14] = [
            "",
            "items:read",
            "a b",
            "\\n",
            "\\\"",
            "\\u00e9",
            "\\ud83d\\ude00",
            "\\ud83d",
            "\\ude00",
            "\\u12",
            "\\q",
            "\u{1}",
            "é😀",
            "\\/",
        ];
        const NUMBERS: [&str; 16] = [
            "0",
            "-0",
            "12",
            "-12",
            "1.5",
            "1e3",
            "-1E-3",
            "01",
            "1.",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "1e400",
            "1700000000",
            "2.5e-1",
        ];
        out.extend_from_slice(random.pick(&SPACE).as_bytes());
        match random.below(if depth > 4 { 4 } else { 7 }) {
            0 => out.extend_from_slice(random.pick(&["true", "false", "null"]).as_bytes()),
            1 => out.extend_from_slice(random.pick(&NUMBERS).as_bytes()),
            2 | 3 => {
                out.push(b'"');
                for _ in 0..random.below(3) {
                    out.extend_from_slice(random.pick(&STRINGS).as_bytes());
                }
                out.push(b'"');
            }
            4 => {
                out.push(b'[');
                for i in 0..random.below(4) {
                    if i > 0 {
                        out.push(b',');
                    }
                    document(random, out, depth + 1);
                }
                out.push(b']');
            }
            _ => {
                out.push(b'{');
                for i in 0..random.below(5) {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(random.pick(&SPACE).as_bytes());
                    out.push(b'"');
                    out.extend_from_slice(random.pick(&NAMES).as_bytes());
                    out.push(b'"');
                    out.extend_from_slice(random.pick(&SPACE).as_bytes());
                    out.push(b':');
                    document(random, out, depth + 1);
                }
                out.push(b'}');
            }
        }
        out.extend_from_slice(random.pick(&SPACE).as_bytes());
    }

    #[test]
    fn generated_and_damaged_documents_read_as_serde_json_reads_them() {
        const SIGNIFICANT: &[u8] = b"{}[],:\"\\0-.eE+ntfu \x01\xc3\xa9\xff";
        let mut random = Random(0x5eed);
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..20_000 {
            let mut input = Vec::new();
            document(&mut random, &mut input, 0);
            // Half of the documents are damaged: a byte dropped, changed or added, or the end cut.
            if random.below(2) == 0 && !input.is_empty() {
                let at = random.below(input.len());
                let byte = SIGNIFICANT[random.below(SIGNIFICANT.len())];
                match random.below(4) {
                    0 => drop(input.remove(at)),
                    1 => input[at] = byte,
                    2 => input.insert(at, byte),
                    _ => input.truncate(at),
                }
            }
            agree(&input);
            match Json::parse(&input) {
                Some(_) => accepted += 1,
                None => refused += 1,
            }
        }
        // Both outcomes are exercised many times over.
        assert!(
            accepted > 5_000 && refused > 5_000,
            "{accepted} accepted, {refused} refused"
        );
    }

    #[test]
    fn a_repeated_member_name_is_refused_at_any_depth_and_in_any_spelling() {
        for refused in [
            &br#"{"scope":"none","scope":"admin"}"#[..],
            br#"{"scope":"none","sc\u006fpe":"admin"}"#,
            br#"{"cnf":{"jkt":"a","jkt":"b"}}"#,
            br#"[{"a":1},{"b":1,"c":2,"b":3}]"#,
        ] {
            assert!(
                Json::parse(refused).is_none(),
                "{}",
                String::from_utf8_lossy(refused)
            );
        }
        // Past the pairwise limit, the names are sorted to find the repeat.
        let members = |names: &[usize]| {
            let members: Vec<String> = names.iter().map(|n| format!(r#""m{n}":{n}"#)).collect();
            format!("{{{}}}", members.join(","))
        };
        let many: Vec<usize> = (0..=PAIRWISE_MEMBERS).collect();
        assert!(Json::parse(members(&many).as_bytes()).is_some());
        let mut repeated = many.clone();
        repeated.push(PAIRWISE_MEMBERS / 2);
        assert!(Json::parse(members(&repeated).as_bytes()).is_none());
        let mut few: Vec<usize> = (0..PAIRWISE_MEMBERS - 1).collect();
        assert!(Json::parse(members(&few).as_bytes()).is_some());
        few.push(0);
        assert!(Json::parse(members(&few).as_bytes()).is_none());
    }
}
