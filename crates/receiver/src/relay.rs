//! The recording relay: forwards a request to the user's receiver unchanged (no redirects
//! followed), hands back its answer, and turns both into a `tesim.capture/v1` record.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tesim_capture::CaptureRecord;
use tesim_capture::record::{CapturedRequest, CapturedResponse, SCHEMA};

use crate::mask;

/// Bytes of an answer's body kept in a record (the whole body is still passed on).
pub const RECORDED_BODY_LIMIT: usize = 64 * 1024;

/// Where a relay forwards to.
#[derive(Clone, Debug)]
pub struct Forward {
    /// Base URL: the request's path and query are appended to its path.
    pub url: url::Url,
    /// Time allowed for the receiver's whole answer; past it the sender gets `504`.
    pub timeout: Duration,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// A forward URL the relay cannot use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ForwardError {
    /// Not a URL.
    #[error("not a URL: {0}")]
    Parse(String),
    /// `https://` or another scheme.
    #[error(
        "only http:// receivers can be relayed to (put the relay in front of the TLS terminator, or forward to the receiver's plain-HTTP port)"
    )]
    Scheme,
    /// `http://user:pass@…`: credentials belong in headers, and would be echoed.
    #[error("the URL carries credentials; remove them (the sender's own headers are forwarded)")]
    Credentials,
}

impl Forward {
    /// A relay target from `url` (`http://HOST:PORT[/base]`).
    pub fn new(url: &str, timeout: Duration) -> Result<Self, ForwardError> {
        let url = url::Url::parse(url).map_err(|err| ForwardError::Parse(err.to_string()))?;
        if url.scheme() != "http" || url.host_str().is_none() {
            return Err(ForwardError::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ForwardError::Credentials);
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self {
            url,
            timeout,
            client,
        })
    }

    /// The target URL of a request for `path_and_query`: `http://recv/base` + `/hook?x=1` is
    /// `http://recv/base/hook?x=1`.
    pub fn target(&self, path_and_query: &str) -> String {
        let (path, query) = path_and_query
            .split_once('?')
            .map_or((path_and_query, None), |(path, query)| (path, Some(query)));
        let base = self.url.path().trim_end_matches('/');
        let mut target = format!(
            "{}://{}{base}{path}",
            self.url.scheme(),
            self.url.host_str().unwrap_or_default()
        );
        if let Some(port) = self.url.port() {
            target = format!(
                "{}://{}:{port}{base}{path}",
                self.url.scheme(),
                self.url.host_str().unwrap_or_default()
            );
        }
        let queries: Vec<&str> = self.url.query().into_iter().chain(query).collect();
        if !queries.is_empty() {
            target.push('?');
            target.push_str(&queries.join("&"));
        }
        target
    }

    /// Forwards one request; `Err` says why no answer came, in words.
    pub(crate) async fn send(
        &self,
        method: &http::Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: Bytes,
        max_body: usize,
    ) -> Result<(http::response::Parts, Bytes), String> {
        let target = self.target(path_and_query);
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(&target)
            .body(Full::new(body))
            .map_err(|err| format!("cannot build the request to {target}: {err}"))?;
        for (name, value) in headers {
            // The client writes the target's Host and its own framing.
            if !is_hop_by_hop(name) && name != http::header::HOST {
                request.headers_mut().append(name.clone(), value.clone());
            }
        }
        let exchange = async {
            let answer = self
                .client
                .request(request)
                .await
                .map_err(|err| describe(&err))?;
            let (parts, body) = answer.into_parts();
            let body = Limited::new(body, max_body)
                .collect()
                .await
                .map_err(|err| format!("the receiver's answer broke off: {err}"))?
                .to_bytes();
            Ok::<_, String>((parts, body))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "the receiver did not answer within {:?}",
                self.timeout
            )),
        }
    }
}

fn describe(err: &hyper_util::client::legacy::Error) -> String {
    let mut text = String::from("the receiver is unreachable");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1).
pub(crate) fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}

/// The answer handed back to the sender: the receiver's status, headers (framing rewritten)
/// and body.
pub(crate) fn pass_back(parts: &http::response::Parts, body: Bytes) -> Response<Full<Bytes>> {
    let mut answer = Response::new(Full::new(body));
    *answer.status_mut() = parts.status;
    for (name, value) in &parts.headers {
        if !is_hop_by_hop(name) && name != http::header::CONTENT_LENGTH {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    answer
}

/// The `502` a sender gets when the receiver did not answer.
pub(crate) fn bad_gateway(status: StatusCode, reason: &str) -> Response<Full<Bytes>> {
    let mut answer = Response::new(Full::new(Bytes::from(
        serde_json::json!({"ok": false, "error": reason, "relay": "tesim"}).to_string(),
    )));
    *answer.status_mut() = status;
    answer.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    answer
}

fn masked_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                mask::header_for_display(name.as_str(), value.as_bytes()),
            )
        })
        .collect()
}

fn rfc3339_millis(at: SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.format(&format).unwrap_or_default()
}

/// What a record needs to know about the request.
pub(crate) struct Arrival<'a> {
    pub at: SystemTime,
    pub started: Instant,
    pub method: &'a http::Method,
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// Token endpoint requests carry the client secret in the body: stored as `***`.
    pub secret_body: bool,
}

/// The capture record of one exchange; `answer` is `None` when nothing answered.
pub(crate) fn record(
    arrival: &Arrival<'_>,
    answer: Option<(&http::response::Parts, &[u8])>,
    error: Option<String>,
) -> CaptureRecord {
    let host = arrival
        .headers
        .get(http::header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("localhost");
    let latency_ms = arrival.started.elapsed().as_secs_f64() * 1000.0;
    let body = if arrival.secret_body {
        "***".to_owned()
    } else {
        String::from_utf8_lossy(arrival.body).into_owned()
    };
    CaptureRecord {
        schema: SCHEMA.to_owned(),
        at: rfc3339_millis(arrival.at),
        request: CapturedRequest {
            method: arrival.method.as_str().to_owned(),
            url: format!("http://{host}{}", mask::mask_query(arrival.path_and_query)),
            headers: masked_headers(arrival.headers),
            body,
            body_size: arrival.body.len(),
        },
        response: answer.map(|(parts, body)| {
            let kept = &body[..body.len().min(RECORDED_BODY_LIMIT)];
            CapturedResponse {
                status: parts.status.as_u16(),
                headers: masked_headers(&parts.headers),
                body: String::from_utf8_lossy(kept).into_owned(),
                body_size: body.len(),
                latency_ms,
            }
        }),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_append_path_and_query() {
        let forward = Forward::new("http://127.0.0.1:9/base/?k=1", Duration::from_secs(1)).unwrap();
        assert_eq!(
            forward.target("/hook?x=2"),
            "http://127.0.0.1:9/base/hook?k=1&x=2"
        );
        let plain = Forward::new("http://recv", Duration::from_secs(1)).unwrap();
        assert_eq!(plain.target("/hook"), "http://recv/hook");
    }

    #[test]
    fn unusable_targets_are_refused() {
        let timeout = Duration::from_secs(1);
        assert_eq!(
            Forward::new("https://recv/hook", timeout).unwrap_err(),
            ForwardError::Scheme
        );
        let err = Forward::new("http://u:hunter2@recv/", timeout).unwrap_err();
        assert_eq!(err, ForwardError::Credentials);
        assert!(!err.to_string().contains("hunter2"));
    }
}
