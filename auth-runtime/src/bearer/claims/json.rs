//! A token's payload as the claim checks read it: JSON borrowed from the decoded payload.
//!
//! A string that needs no unescaping is not copied and an object is a list of members, so
//! reading a usual token's claims allocates once (its member list), where a
//! `serde_json::Value` allocates every name and string and a tree node for the object. The
//! principal keeps the payload and builds its `Value` only when a handler asks for the claims.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Number;

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
    /// The document is checked as UTF-8 once, whole, and read as text: read as bytes,
    /// serde_json checks every string on its own, a call per name and value.
    pub(crate) fn parse(json: &'p [u8]) -> Option<Json<'p>> {
        serde_json::from_str(std::str::from_utf8(json).ok()?).ok()
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

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// The visits `serde_json`'s `deserialize_any` makes: it never calls `visit_none` or
/// `visit_some`, so they keep serde's defaults.
struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON without duplicate member names")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Json<'de>, E> {
        // JSON has no NaN or infinity: serde_json reads every number it can into a finite f64.
        Ok(Number::from_f64(value).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(value.to_owned())))
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        // Room for the members of a usual access token's claims at once.
        let mut members = Vec::with_capacity(USUAL_MEMBERS);
        while let Some(Name(name)) = map.next_key()? {
            members.push((name, map.next_value()?));
        }
        if repeats_a_name(&members) {
            return Err(de::Error::custom("duplicate member name"));
        }
        Ok(Json::Object(members))
    }
}

/// A member name, borrowed when it needs no unescaping (serde's own `Cow<str>` always copies).
struct Name<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Name<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Borrowed(name)))
    }

    fn visit_str<E>(self, name: &str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Owned(name.to_owned())))
    }
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
