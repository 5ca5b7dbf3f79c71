//! Payloads out of whatever the user has: a capture (`tesim.capture/v1`), a `--log` file whose
//! records carry bodies, a HAR 1.2 export, or raw payloads (one JSON object, an array of them,
//! or one per line).

use serde_json::Value;

use crate::record::SCHEMA;

/// One webhook payload and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Payload {
    /// Where in the input: `line 3`, `entry 2`, `item 1`, `document`.
    pub source: String,
    /// The body as received, byte for byte.
    pub body: String,
}

impl Payload {
    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

/// Why nothing could be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    /// A line of a JSON Lines input is not JSON.
    #[error(
        "line {line}: not JSON ({message}); expected a capture, delivery log, HAR or JSON payloads"
    )]
    NotJson {
        /// 1-based line.
        line: usize,
        /// serde_json's message.
        message: String,
    },
    /// The input holds no payload at all.
    #[error("no webhook payload found{hint}")]
    Empty {
        /// Why, when tesim can tell (`: the delivery log records no bodies; …`).
        hint: String,
    },
}

/// Every payload in `text`, in input order.
pub fn read_payloads(text: &str) -> Result<Vec<Payload>, ReadError> {
    let trimmed = text.trim_start();
    // A whole-document JSON value (HAR, one payload, an array) is tried first; JSON Lines
    // inputs fail that and are read line by line.
    if let Ok(document) = serde_json::from_str::<Value>(trimmed) {
        let mut payloads = from_document(&document);
        if let [only] = payloads.as_mut_slice()
            && only.source == "document"
            && matches!(classify(&document), Line::Raw)
        {
            // A single raw payload keeps its own bytes.
            only.body = trimmed.trim_end().to_owned();
        }
        return non_empty(payloads, "");
    }
    let mut payloads = Vec::new();
    let mut log_lines_without_body = 0usize;
    for (idx, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|err| ReadError::NotJson {
            line: idx + 1,
            message: err.to_string(),
        })?;
        let source = format!("line {}", idx + 1);
        match classify(&value) {
            Line::Capture(body) | Line::Payload(body) => payloads.push(Payload { source, body }),
            Line::Raw => payloads.push(Payload {
                source,
                body: line.trim().to_owned(),
            }),
            Line::LogWithoutBody => log_lines_without_body += 1,
            Line::Other => {}
        }
    }
    let hint = if log_lines_without_body > 0 {
        format!(
            ": {log_lines_without_body} delivery-log records carry no bodies; capture the \
             deliveries with `tesim listen --capture FILE` (or --forward-to) instead"
        )
    } else {
        String::new()
    };
    non_empty(payloads, &hint)
}

fn non_empty(payloads: Vec<Payload>, hint: &str) -> Result<Vec<Payload>, ReadError> {
    if payloads.is_empty() {
        Err(ReadError::Empty {
            hint: hint.to_owned(),
        })
    } else {
        Ok(payloads)
    }
}

fn from_document(document: &Value) -> Vec<Payload> {
    if let Some(entries) = document.pointer("/log/entries").and_then(Value::as_array) {
        return entries
            .iter()
            .enumerate()
            .filter_map(|(idx, entry)| {
                let body = entry.pointer("/request/postData/text")?.as_str()?;
                Some(Payload {
                    source: format!("entry {}", idx + 1),
                    body: body.to_owned(),
                })
            })
            .collect();
    }
    if let Some(items) = document.as_array() {
        return items
            .iter()
            .enumerate()
            .filter_map(|(idx, item)| {
                let body = match classify(item) {
                    Line::Capture(body) | Line::Payload(body) => body,
                    // Elements of an array lose their own bytes in parsing; field order is
                    // kept (serde_json's preserve_order), spacing is not.
                    Line::Raw => item.to_string(),
                    Line::LogWithoutBody | Line::Other => return None,
                };
                Some(Payload {
                    source: format!("item {}", idx + 1),
                    body,
                })
            })
            .collect();
    }
    let body = match classify(document) {
        Line::Capture(body) | Line::Payload(body) => body,
        Line::Raw => document.to_string(),
        Line::LogWithoutBody | Line::Other => return Vec::new(),
    };
    vec![Payload {
        source: "document".to_owned(),
        body,
    }]
}

enum Line {
    /// A capture record, with its request body.
    Capture(String),
    /// A delivery-log record with the body it sent.
    Payload(String),
    /// The value is itself a payload.
    Raw,
    LogWithoutBody,
    Other,
}

fn classify(value: &Value) -> Line {
    if value.get("schema").and_then(Value::as_str) == Some(SCHEMA) {
        return match value.pointer("/request/body").and_then(Value::as_str) {
            Some(body) => Line::Capture(body.to_owned()),
            None => Line::Other,
        };
    }
    let is_log_record = value.get("attempt").is_some() && value.get("url").is_some();
    if is_log_record {
        return match value.get("body").and_then(Value::as_str) {
            Some(body) => Line::Payload(body.to_owned()),
            None => Line::LogWithoutBody,
        };
    }
    if value.get("eventType").is_some() {
        return Line::Raw;
    }
    Line::Other
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_every_supported_input() {
        let payload = r#"{"eventType":"WEBHOOK_TEST","eventId":"1"}"#;
        let capture = format!(
            r#"{{"schema":"tesim.capture/v1","at":"x","request":{{"method":"POST","url":"http://h/","headers":[],"body":{},"bodySize":1}}}}"#,
            serde_json::to_string(payload).unwrap()
        );
        let har = format!(
            r#"{{"log":{{"version":"1.2","entries":[{{"request":{{"postData":{{"mimeType":"application/json","text":{}}}}}}}]}}}}"#,
            serde_json::to_string(payload).unwrap()
        );
        let cases: [(String, &str); 5] = [
            (payload.to_owned(), "document"),
            (format!("[{payload}]"), "item 1"),
            (format!("\n{payload}\n{payload}\n"), "line 2"),
            (capture, "document"),
            (har, "entry 1"),
        ];
        for (input, source) in cases {
            let payloads = read_payloads(&input).unwrap_or_else(|err| panic!("{input}: {err}"));
            assert_eq!(payloads[0].source, source, "{input}");
            assert_eq!(payloads[0].body, payload, "{input}");
        }
    }

    #[test]
    fn a_log_without_bodies_says_what_to_use_instead() {
        let log = r#"{"index":0,"eventId":"1","eventType":"WEBHOOK_TEST","alertId":null,"url":"http://h/","attempt":1,"at":"x","status":200,"latency_ms":1.0,"error_kind":null,"error":null}"#;
        let err = read_payloads(&format!("{log}\n{log}\n")).unwrap_err();
        assert!(
            err.to_string()
                .contains("2 delivery-log records carry no bodies"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = read_payloads("{\"eventType\":\"X\"}\nnot json\n").unwrap_err();
        assert!(matches!(err, ReadError::NotJson { line: 2, .. }), "{err}");
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,200}") {
            let _ = read_payloads(&text);
        }
    }
}
