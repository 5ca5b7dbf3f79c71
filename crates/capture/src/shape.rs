//! A payload's structure: every key path with the kind of value found there.
//!
//! Two payloads have the same shape when a receiver written for one parses the other: same
//! paths, and at each path a value of the same kind. Kinds are finer than JSON's types where
//! receivers break: an integer above 2^32 does not fit a 32-bit column, a UUID is not a number,
//! a zoned date does not parse as a plain one.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// The kind of a JSON value, as receivers tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueKind {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool,
    /// An integer that fits in 32 bits (unsigned or signed).
    SmallInteger,
    /// An integer above 2^32: modern ThousandEyes ids (15 digits).
    LargeInteger,
    /// A number with a fraction.
    Float,
    /// A UUID string (modern test-alert `alertId`).
    Uuid,
    /// `YYYY-MM-DD hh:mm:ss`, the classic date (account time zone, no identifier).
    PlainDate,
    /// `YYYY-MM-DD hh:mm:ss ZZZ`, a `*Zoned` date with its abbreviation.
    ZonedDate,
    /// An ISO 8601 date (`2024-05-01T00:00:00Z`), as the v7 API writes.
    IsoDate,
    /// Any other string.
    String,
    /// An array (its elements are the paths below `path[]`).
    Array,
    /// An object.
    Object,
}

impl ValueKind {
    /// The kind of one value.
    pub fn of(value: &Value) -> ValueKind {
        match value {
            Value::Null => ValueKind::Null,
            Value::Bool(_) => ValueKind::Bool,
            Value::Number(number) => {
                if let Some(int) = number.as_i64() {
                    if i64::from(i32::MIN) <= int && int <= i64::from(u32::MAX) {
                        ValueKind::SmallInteger
                    } else {
                        ValueKind::LargeInteger
                    }
                } else if number.as_u64().is_some() {
                    ValueKind::LargeInteger
                } else {
                    ValueKind::Float
                }
            }
            Value::String(text) => string_kind(text),
            Value::Array(_) => ValueKind::Array,
            Value::Object(_) => ValueKind::Object,
        }
    }

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::Null => "null",
            ValueKind::Bool => "boolean",
            ValueKind::SmallInteger => "integer (32-bit)",
            ValueKind::LargeInteger => "integer (above 2^32)",
            ValueKind::Float => "number with a fraction",
            ValueKind::Uuid => "UUID string",
            ValueKind::PlainDate => "date `YYYY-MM-DD hh:mm:ss`",
            ValueKind::ZonedDate => "zoned date `YYYY-MM-DD hh:mm:ss ZZZ`",
            ValueKind::IsoDate => "ISO 8601 date",
            ValueKind::String => "string",
            ValueKind::Array => "array",
            ValueKind::Object => "object",
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn string_kind(text: &str) -> ValueKind {
    if is_uuid(text) {
        ValueKind::Uuid
    } else if is_plain_date(text) {
        ValueKind::PlainDate
    } else if text.get(..19).is_some_and(is_plain_date)
        && text.get(19..).is_some_and(is_zone_suffix)
    {
        ValueKind::ZonedDate
    } else if text.len() >= 20 && text.get(..19).is_some_and(|head| date_pattern(head, b'T')) {
        ValueKind::IsoDate
    } else {
        ValueKind::String
    }
}

fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(idx, byte)| match idx {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

/// `YYYY-MM-DD hh:mm:ss` by character classes (validity of the date is the model's business).
fn is_plain_date(text: &str) -> bool {
    date_pattern(text, b' ')
}

fn date_pattern(text: &str, separator: u8) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 19
        && bytes.iter().enumerate().all(|(idx, byte)| match idx {
            4 | 7 => *byte == b'-',
            10 => *byte == separator,
            13 | 16 => *byte == b':',
            _ => byte.is_ascii_digit(),
        })
}

/// ` EDT`, ` UTC`, ` GMT+5:30`: a space, then an abbreviation or offset.
fn is_zone_suffix(text: &str) -> bool {
    let Some(zone) = text.strip_prefix(' ') else {
        return false;
    };
    !zone.is_empty()
        && zone.len() <= 9
        && zone
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | ':'))
        && zone.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
}

/// Every key path of a payload with the kinds found there. Array elements share the path
/// `name[]`, so a two-agent alert and a one-agent alert have the same shape.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Path → kinds seen at that path.
    pub paths: BTreeMap<String, BTreeSet<ValueKind>>,
}

impl Shape {
    /// The shape of `value`.
    pub fn of(value: &Value) -> Shape {
        let mut shape = Shape::default();
        shape.add(String::new(), value);
        shape
    }

    fn add(&mut self, path: String, value: &Value) {
        if !path.is_empty() {
            self.paths
                .entry(path.clone())
                .or_default()
                .insert(ValueKind::of(value));
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let child_path = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    self.add(child_path, child);
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.add(format!("{path}[]"), item);
                }
            }
            _ => {}
        }
    }

    /// Whether `path` is in the shape.
    pub fn has(&self, path: &str) -> bool {
        self.paths.contains_key(path)
    }
}

/// The container a path lives in: `alert.agents[].dateEnd` → `alert.agents[]`, `alert.x` →
/// `alert`, a top-level key → `""` (the root, always present).
pub fn parent(path: &str) -> &str {
    if let Some(array) = path.strip_suffix("[]") {
        return array;
    }
    path.rfind('.').map_or("", |dot| &path[..dot])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn kinds_tell_apart_what_receivers_confuse() {
        let cases = [
            (json!(35541), ValueKind::SmallInteger),
            (json!(562_949_955_000_593_u64), ValueKind::LargeInteger),
            (json!(4_294_967_296_u64), ValueKind::LargeInteger),
            (
                json!("4ba4e9a6-8e08-4b9c-9f4e-2c1f6b0f5a10"),
                ValueKind::Uuid,
            ),
            (json!("2021-10-19 15:20:00"), ValueKind::PlainDate),
            (json!("2021-10-19 15:20:00 EDT"), ValueKind::ZonedDate),
            (json!("2024-05-01T00:00:00Z"), ValueKind::IsoDate),
            (json!("49-35541"), ValueKind::String),
            (json!(1.5), ValueKind::Float),
            (json!(null), ValueKind::Null),
        ];
        for (value, kind) in cases {
            assert_eq!(ValueKind::of(&value), kind, "{value}");
        }
    }

    #[test]
    fn array_elements_share_one_path() {
        let shape = Shape::of(
            &json!({"alert":{"agents":[{"agentId":1},{"agentId":2,"dateEnd":"2014-08-24 01:09:47"}]}}),
        );
        let paths: Vec<&str> = shape.paths.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "alert",
                "alert.agents",
                "alert.agents[]",
                "alert.agents[].agentId",
                "alert.agents[].dateEnd"
            ]
        );
    }

    #[test]
    fn parents() {
        assert_eq!(parent("alert.agents[].dateEnd"), "alert.agents[]");
        assert_eq!(parent("alert.agents[]"), "alert.agents");
        assert_eq!(parent("alert.agents"), "alert");
        assert_eq!(parent("eventType"), "");
        assert_eq!(parent("testTargetsDescription[]"), "testTargetsDescription");
    }

    proptest! {
        #[test]
        fn string_kinds_never_panic(text in "\\PC{0,40}") {
            let _ = ValueKind::of(&Value::String(text));
        }
    }
}
