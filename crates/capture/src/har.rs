//! Capture records as a HAR 1.2 log (<http://www.softwareishard.com/blog/har-12-spec/>), so a
//! capture opens in browser devtools, Charles, mitmproxy and the like.

use serde_json::{Value, json};

use crate::record::CaptureRecord;

/// The HAR document of `records`, `creator` naming tesim and its version.
pub fn to_har(records: &[CaptureRecord], version: &str) -> Value {
    let entries: Vec<Value> = records.iter().map(entry).collect();
    json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "tesim", "version": version},
            "entries": entries,
        }
    })
}

fn headers(pairs: &[(String, String)]) -> Vec<Value> {
    pairs
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect()
}

fn query_string(url: &str) -> Vec<Value> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            json!({"name": name, "value": value})
        })
        .collect()
}

fn entry(record: &CaptureRecord) -> Value {
    let request = &record.request;
    let mime = record
        .request_header("content-type")
        .unwrap_or("application/json");
    let (status, status_text, response_headers, content, latency) = match &record.response {
        Some(response) => (
            i64::from(response.status),
            "",
            headers(&response.headers),
            json!({
                "size": response.body_size,
                "mimeType": response
                    .headers
                    .iter()
                    .find(|(name, _)| name == "content-type")
                    .map_or("", |(_, value)| value.as_str()),
                "text": response.body,
            }),
            response.latency_ms,
        ),
        // HAR's convention for a request that got no answer: status 0.
        None => (
            0,
            record.error.as_deref().unwrap_or("no answer"),
            Vec::new(),
            json!({"size": 0, "mimeType": ""}),
            0.0,
        ),
    };
    json!({
        "startedDateTime": record.at,
        "time": latency,
        "request": {
            "method": request.method,
            "url": request.url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": headers(&request.headers),
            "queryString": query_string(&request.url),
            "postData": {"mimeType": mime, "text": request.body},
            "headersSize": -1,
            "bodySize": request.body_size,
        },
        "response": {
            "status": status,
            "statusText": status_text,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": response_headers,
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": record.response.as_ref().map_or(-1, |response| {
                i64::try_from(response.body_size).unwrap_or(i64::MAX)
            }),
        },
        "cache": {},
        "timings": {"send": 0, "wait": latency, "receive": 0},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::read_payloads;
    use crate::record::{CapturedRequest, CapturedResponse, SCHEMA};

    fn record(response: Option<CapturedResponse>) -> CaptureRecord {
        CaptureRecord {
            schema: SCHEMA.to_owned(),
            at: "2026-12-01T14:00:00.123Z".to_owned(),
            request: CapturedRequest {
                method: "POST".to_owned(),
                url: "http://127.0.0.1:8080/hook?src=te".to_owned(),
                headers: vec![("content-type".to_owned(), "application/json".to_owned())],
                body: r#"{"eventType":"WEBHOOK_TEST","eventId":"1"}"#.to_owned(),
                body_size: 42,
            },
            response,
            error: None,
        }
    }

    #[test]
    fn a_har_export_reads_back_to_the_same_bodies() {
        let answered = record(Some(CapturedResponse {
            status: 200,
            headers: vec![("content-type".to_owned(), "text/plain".to_owned())],
            body: "ok".to_owned(),
            body_size: 2,
            latency_ms: 3.0,
        }));
        let mut unanswered = record(None);
        unanswered.error = Some("receiver down".to_owned());
        let har = to_har(&[answered.clone(), unanswered], "0.1.0");
        assert_eq!(har["log"]["version"], "1.2");
        assert_eq!(har["log"]["entries"][0]["response"]["status"], 200);
        assert_eq!(har["log"]["entries"][1]["response"]["status"], 0);
        assert_eq!(
            har["log"]["entries"][0]["request"]["queryString"][0]["name"],
            "src"
        );
        let payloads = read_payloads(&har.to_string()).unwrap();
        assert_eq!(payloads.len(), 2);
        assert_eq!(payloads[0].body, answered.request.body);
    }
}
