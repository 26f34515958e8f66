//! A read-only JSON tree that borrows its strings from the document: what the strict JSON
//! reader ([`super::strict::Object`]) walks.
//!
//! Every verification of a UNTP credential reads its payload, so reading must be cheap:
//! objects are kept as their members in document order (a linear search over a dozen keys
//! beats hashing them), and strings without escapes are not copied. A member name given
//! twice in one object is refused, with its line and column: two readers of one signed
//! document must never see two different values.
//!
//! This tree is for reading only; documents the gateway writes are built with `serde_json`.

use super::FormatError;
use crate::xml::Limits;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// Members of one object checked for a repeated name by scanning; beyond, by a set.
const SCANNED_MEMBERS: usize = 16;

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Members in document order; names are unique.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(Cow<'a, str>, Json<'a>)]> {
        match self {
            Json::Object(members) => Some(members),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The same value as a `serde_json::Value`, members in document order: for a reader
    /// that walks a `Value` (a JWS header, a notice) after the strict reading, without
    /// parsing the text again.
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.to_string()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(members) => {
                Value::Object(members.iter().map(|(name, v)| (name.to_string(), v.to_value())).collect())
            }
        }
    }
}

/// Reads a JSON document with a size bound; a syntax error or a repeated member name is
/// reported with its line and column, a string or name holding a character that acts
/// rather than shows by its path ([`super::text`]).
pub fn parse<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Json<'a>, FormatError> {
    if bytes.len() > limits.max_bytes {
        return Err(FormatError::TooLarge { size: bytes.len(), limit: limits.max_bytes });
    }
    // Said as what it is, not as "expected value" (found by attack): JSON exchanged between
    // systems carries no byte-order mark (RFC 8259 §8.1).
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        let message = "a byte-order mark (U+FEFF) before the JSON text, which JSON exchanged between systems does not \
                       carry (RFC 8259 §8.1)"
            .to_string();
        return Err(FormatError::Json { line: 1, column: 1, message });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Json::deserialize(&mut de).and_then(|v| de.end().map(|()| v)).map_err(|e| FormatError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    super::text::json_shows_itself(&value)?;
    Ok(value)
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Json::Bool(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        serde_json::Number::from_f64(v).map(Json::Number).ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        characters(v)?;
        Ok(Json::String(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        characters(v)?;
        Ok(Json::String(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        characters(&v)?;
        Ok(Json::String(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: Vec<(Cow<'de, str>, Json<'de>)> = Vec::new();
        // Past a few members, names are also kept in a set: scanning them all for each new
        // one would let a hostile object of n members cost n² comparisons, before any
        // signature is checked (50,000 short names took 2.8 s so, 16 ms with the set).
        let mut names: Option<HashSet<Cow<'de, str>>> = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let repeated = match &mut names {
                Some(names) => !names.insert(key.clone()),
                None => members.iter().any(|(k, _)| *k == key),
            };
            if repeated {
                return Err(de::Error::custom(format_args!("member '{key}' is given twice")));
            }
            let value = map.next_value()?;
            members.push((key, value));
            if names.is_none() && members.len() == SCANNED_MEMBERS {
                names = Some(members.iter().map(|(k, _)| k.clone()).collect());
            }
        }
        Ok(Json::Object(members))
    }
}

/// Refuses a string, or a member name, holding a character XML 1.0 cannot carry (a control
/// character but tab, LF and CR, escaped as JSON allows; U+FFFE; U+FFFF): every certificate
/// is rendered as XML too, which XML readers would refuse ([`crate::xml::is_xml_char`]),
/// and a control character in a name, or in a member name an error repeats, shown on a
/// terminal could be an escape sequence (found by review).
fn characters<E: de::Error>(v: &str) -> Result<(), E> {
    match v.chars().find(|&c| !crate::xml::is_xml_char(c)) {
        Some(c) => Err(E::custom(format_args!(
            "U+{:04X} is not a character XML 1.0 allows, and a certificate is XML too",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

/// A member name, borrowed when the document spells it without escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                characters(v)?;
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                characters(v)?;
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                characters(&v)?;
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Json<'_>, FormatError> {
        parse(text.as_bytes(), &Limits::default())
    }

    /// A value read strictly is the value `serde_json` reads, members in document order,
    /// numbers and escapes as they were.
    #[test]
    fn a_value_read_strictly_is_serde_jsons_value() {
        let text = r#"{"z":1,"a":[true,null,-2,1.5e3,"x\u00e9\n"],"m":{"k":"v","b":18446744073709551615}}"#;
        let value = read(text).expect("reads").to_value();
        assert_eq!(value, serde_json::from_str::<serde_json::Value>(text).expect("json"));
        assert_eq!(value.to_string(), text.replace(r"\u00e9", "é").replace("1.5e3", "1500.0"));
    }

    fn member<'v>(value: &'v Json<'v>, key: &str) -> Option<&'v Json<'v>> {
        value.as_object()?.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    #[test]
    fn reads_every_kind_of_value_and_borrows_plain_strings() {
        let doc = r#"{"a": [1, -2, 2.5, true, false, null], "b": "plain", "c": "esc\"aped", "d": {}}"#;
        let v = read(doc).unwrap();
        let a = member(&v, "a").and_then(Json::as_array).unwrap();
        assert_eq!(a.len(), 6);
        assert_eq!(a[0], Json::Number(1u64.into()));
        assert_eq!(a[1], Json::Number((-2i64).into()));
        assert_eq!(a[2], Json::Number(serde_json::Number::from_f64(2.5).unwrap()));
        assert_eq!(&a[3..], &[Json::Bool(true), Json::Bool(false), Json::Null]);
        assert!(matches!(member(&v, "b"), Some(Json::String(Cow::Borrowed("plain")))));
        assert!(matches!(member(&v, "c"), Some(Json::String(Cow::Owned(s))) if s == "esc\"aped"));
        assert_eq!(member(&v, "d"), Some(&Json::Object(Vec::new())));
        assert_eq!(member(&v, "missing"), None);
        let names: Vec<&str> = v.as_object().unwrap().iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
    }

    #[test]
    fn a_repeated_member_name_is_refused_where_it_stands() {
        let err = read("{\"id\": \"x\",\n  \"id\": \"y\"}").unwrap_err();
        match err {
            FormatError::Json { line, column, message } => {
                // Just after the repeated name.
                assert_eq!((line, column), (2, 6));
                assert!(message.starts_with("member 'id' is given twice"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // The same name spelled with an escape is the same name.
        assert!(matches!(read(r#"{"id": 1, "\u0069d": 2}"#), Err(FormatError::Json { .. })));
        // The same name in two different objects is fine.
        assert!(read(r#"{"a": {"id": 1}, "b": {"id": 2}}"#).is_ok());
    }

    /// An object of `n` members named m0, m1, …, one per line, then `tail`.
    fn long_object(n: usize, tail: &str) -> String {
        let members: Vec<String> = (0..n).map(|i| format!("\"m{i}\": {i}")).collect();
        format!("{{{}{tail}}}", members.join(",\n"))
    }

    #[test]
    fn repeated_names_are_found_in_long_objects_too() {
        // Names past the scanned few are checked by set: in either half, and spelled with an
        // escape or not, a repeat is refused at its own line.
        for (n, repeat) in [(SCANNED_MEMBERS, "m3"), (5000, "m3"), (5000, "m4999"), (5000, "\\u006d42")] {
            let doc = long_object(n, &format!(",\n\"{repeat}\": 0"));
            match read(&doc) {
                Err(FormatError::Json { line, message, .. }) => {
                    assert_eq!(line, n + 1, "{n} {repeat}");
                    assert!(message.contains("is given twice"), "{message}");
                }
                other => panic!("{n} {repeat}: {other:?}"),
            }
        }
        // Without a repeat, every member is kept, in order.
        for n in [SCANNED_MEMBERS - 1, SCANNED_MEMBERS, SCANNED_MEMBERS + 1, 5000] {
            let doc = long_object(n, "");
            let v = read(&doc).unwrap();
            let names: Vec<&str> = v.as_object().unwrap().iter().map(|(k, _)| k.as_ref()).collect();
            assert_eq!(names.len(), n);
            assert_eq!(names.last().copied(), Some(format!("m{}", n - 1).as_str()));
        }
    }

    #[test]
    fn syntax_errors_trailing_data_and_size_are_refused() {
        assert!(matches!(read("{\"a\": }"), Err(FormatError::Json { line: 1, column: 7, .. })));
        assert!(matches!(read("{} {}"), Err(FormatError::Json { line: 1, column: 4, .. })));
        assert!(matches!(read(""), Err(FormatError::Json { line: 1, column: 0, .. })));
        assert!(matches!(read("[1e400]"), Err(FormatError::Json { .. })));
        let limits = Limits { max_bytes: 4, ..Limits::default() };
        assert!(matches!(parse(b"[1, 2]", &limits), Err(FormatError::TooLarge { size: 6, limit: 4 })));
    }
}
