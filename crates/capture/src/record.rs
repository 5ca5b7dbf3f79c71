//! The capture file format: `tesim.capture/v1`, JSON Lines, one record per request, flushed per
//! record. `docs/capture-format.md` is the user-facing description; this type is the definition.

use serde::{Deserialize, Serialize};

/// The schema id every record carries, so a reader can tell captures from other JSONL.
pub const SCHEMA: &str = "tesim.capture/v1";

/// One request that reached a recording relay or receiver, and what answered it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureRecord {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// When the request arrived, RFC 3339 UTC with milliseconds.
    pub at: String,
    /// The request as it arrived.
    pub request: CapturedRequest,
    /// What the receiver answered; `None` when nothing did (see `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<CapturedResponse>,
    /// Why no answer came (receiver down, timed out…), in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A captured request. Credentials in headers and query parameters are already masked: the
/// value is replaced by `***` and an auth scheme (`Basic`, `Bearer`) is kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedRequest {
    /// `POST`, usually.
    pub method: String,
    /// Absolute URL as the sender addressed it (scheme of the listener, `Host` header, path
    /// and query).
    pub url: String,
    /// Header names (lowercase) and values, in arrival order, repeated names kept.
    pub headers: Vec<(String, String)>,
    /// The body, exactly as received when it is UTF-8 (the only encoding ThousandEyes sends).
    pub body: String,
    /// The body's size in bytes on the wire.
    pub body_size: usize,
}

/// A captured answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The start of the body, at most the relay's bound.
    pub body: String,
    /// The body's full size; larger than `body.len()` when it was cut.
    pub body_size: usize,
    /// From the request's arrival to the end of the answer, milliseconds.
    pub latency_ms: f64,
}

impl CaptureRecord {
    /// The record as one JSONL line, without the newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a capture record always serializes")
    }

    /// The first value of header `name` (lowercase).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request
            .headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_through_its_line() {
        let record = CaptureRecord {
            schema: SCHEMA.to_owned(),
            at: "2026-12-01T14:00:00.123Z".to_owned(),
            request: CapturedRequest {
                method: "POST".to_owned(),
                url: "http://127.0.0.1:8080/hook".to_owned(),
                headers: vec![
                    ("content-type".to_owned(), "application/json".to_owned()),
                    ("authorization".to_owned(), "Basic ***".to_owned()),
                ],
                body: r#"{"eventType":"WEBHOOK_TEST","eventId":"1"}"#.to_owned(),
                body_size: 42,
            },
            response: Some(CapturedResponse {
                status: 200,
                headers: vec![],
                body: "ok".to_owned(),
                body_size: 2,
                latency_ms: 1.5,
            }),
            error: None,
        };
        let line = record.to_line();
        assert!(!line.contains('\n'));
        let back: CaptureRecord = serde_json::from_str(&line).unwrap();
        assert_eq!(back, record);
        assert_eq!(back.request_header("authorization"), Some("Basic ***"));
    }
}
