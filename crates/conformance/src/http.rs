//! Every HTTP exchange of the checker goes through here, over `tesim-sender`'s [`Client`]
//! (redirects never followed, errors classified), so the checks never touch hyper directly —
//! except the keep-alive probe over plain http, which needs to see one connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONNECTION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::Value;
use tesim_sender::{
    Authenticator, Client, ClientAuthMethod, DeliveryError, Response, Secret, Target,
};

use crate::report::{Exchange, WireRequest, human_ms};
use crate::wire;

/// Which credentials a probe carries.
#[derive(Clone, Debug)]
pub(crate) enum Credentials {
    /// The configured `--auth` (OAuth tokens fetched and renewed by the authenticator).
    Configured,
    /// No `Authorization` header at all.
    Without,
    /// This `Authorization` value instead of the configured one.
    Header(HeaderValue),
}

/// Why a request got no 2xx.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Sent, and failed as the sender classifies it.
    Delivery(DeliveryError),
    /// Not sent: the receiver stopped answering (see [`Http::breaker`]).
    NotSent(String),
}

impl Failure {
    pub(crate) fn is_redirect(&self) -> bool {
        matches!(self, Failure::Delivery(err) if err.is_redirect())
    }

    /// Timed out, or not sent because earlier deliveries timed out.
    pub(crate) fn is_timeout(&self) -> bool {
        matches!(self, Failure::Delivery(err) if err.is_timeout())
            || matches!(self, Failure::NotSent(_))
    }

    pub(crate) fn is_unreachable(&self) -> bool {
        matches!(self, Failure::Delivery(err) if err.is_connect() || err.is_tls())
    }

    /// How the receiver failed to answer with HTTP, when it did: closed or reset the
    /// connection, or wrote bytes that are not an HTTP response.
    pub(crate) fn no_http_answer(&self) -> Option<NoHttp> {
        let Failure::Delivery(err) = self else {
            return None;
        };
        if err.is_reset() {
            return Some(NoHttp::Closed);
        }
        if err.is_not_http() {
            return Some(NoHttp::NotHttp);
        }
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            if cause
                .downcast_ref::<hyper::Error>()
                .is_some_and(hyper::Error::is_parse)
            {
                return Some(NoHttp::NotHttp);
            }
            source = cause.source();
        }
        None
    }

    pub(crate) fn location(&self) -> Option<&str> {
        match self {
            Failure::Delivery(err) => err.location(),
            Failure::NotSent(_) => None,
        }
    }

    pub(crate) fn status_code(&self) -> Option<StatusCode> {
        match self {
            Failure::Delivery(err) => err.status_code(),
            Failure::NotSent(_) => None,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Delivery(err) => err.fmt(f),
            Failure::NotSent(why) => f.write_str(why),
        }
    }
}

/// What came back instead of an HTTP answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NoHttp {
    /// The connection was closed or reset before an answer.
    Closed,
    /// The receiver wrote bytes that do not parse as an HTTP/1.1 response.
    NotHttp,
}

/// The result of one request, with its latency measured around it.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) label: String,
    pub(crate) result: Result<Response, Failure>,
    pub(crate) latency: Duration,
    /// The request as it went on the wire (masked), for the transcript.
    pub(crate) sent: Option<WireRequest>,
}

impl Answer {
    pub(crate) fn is_success(&self) -> bool {
        self.result.is_ok()
    }

    /// The status, when the receiver answered at all.
    pub(crate) fn status(&self) -> Option<StatusCode> {
        match &self.result {
            Ok(response) => Some(response.status),
            Err(err) => err.status_code(),
        }
    }

    /// One line: `200 OK in 3 ms`, or the sender's explanation of the failure.
    pub(crate) fn describe(&self) -> String {
        match &self.result {
            Ok(response) => format!(
                "{} in {}",
                response.status,
                human_ms(self.latency.as_millis() as u64)
            ),
            Err(err) => err.to_string(),
        }
    }

    pub(crate) fn exchange(&self) -> Exchange {
        let (location, error) = match &self.result {
            Ok(_) => (None, None),
            Err(err) => (err.location().map(str::to_owned), Some(err.to_string())),
        };
        let received = match &self.result {
            Ok(response) => Some(wire::response(
                response.status.as_u16(),
                &response.headers,
                &response.body,
                &HeaderMap::new(),
            )),
            Err(Failure::Delivery(err)) => err.status_code().map(|status| {
                wire::response(
                    status.as_u16(),
                    &location_header(err.location()),
                    err.body().map_or(&[][..], |body| &body[..]),
                    &HeaderMap::new(),
                )
            }),
            Err(Failure::NotSent(_)) => None,
        };
        Exchange {
            request: self.label.clone(),
            status: self.status().map(|status| status.as_u16()),
            location,
            latency_ms: self.latency.as_millis() as u64,
            error,
            sent: self.sent.clone(),
            received,
        }
    }
}

/// What went wrong reading the observation hook, said of a GET of the hook.
pub(crate) fn observe_error(url: &Target, err: &DeliveryError, timeout: Duration) -> String {
    const WANT: &str =
        "the hook must answer GET with tesim.observation/v1 JSON (see docs/checks.md)";
    if let Some(status) = err.status_code() {
        let location = err
            .location()
            .map(|location| format!(" to {location}"))
            .unwrap_or_default();
        return format!("GET {url} answered {status}{location}; check the --observe URL: {WANT}");
    }
    if err.is_timeout() {
        return format!(
            "GET {url} got no answer within {}; {WANT}",
            human_ms(timeout.as_millis() as u64)
        );
    }
    if err.is_connect() || err.is_tls() {
        return format!(
            "GET {url}: cannot connect ({}); is the hook served there?",
            err.kind()
        );
    }
    if err.is_reset() {
        return format!("GET {url}: the connection was closed before an answer; {WANT}");
    }
    format!("GET {url} failed ({}); {WANT}", err.kind())
}

/// The sender keeps no headers of a non-2xx answer but its `Location`.
fn location_header(location: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(value) = location.and_then(|text| HeaderValue::from_str(text).ok()) {
        headers.insert(http::header::LOCATION, value);
    }
    headers
}

/// After this many deliveries in a row got no answer in time, the others are not sent: against
/// a hanging receiver every check would otherwise wait the full timeout (minutes in all).
pub(crate) const HANG_BREAKER: u32 = 3;

/// The target, the client and the credentials of one run.
#[derive(Clone, Debug)]
pub(crate) struct Http {
    pub(crate) client: Client,
    pub(crate) target: Target,
    pub(crate) auth: Authenticator,
    /// Deliveries in a row that timed out, shared by clones (concurrent checks).
    pub(crate) timeouts_in_a_row: Arc<AtomicU32>,
    /// The client skips certificate verification because the certificate failed it (TE-TLS);
    /// every transcript label says so.
    pub(crate) unverified: bool,
}

impl Http {
    pub(crate) fn new(client: Client, target: Target, auth: Authenticator) -> Self {
        Self {
            client,
            target,
            auth,
            timeouts_in_a_row: Arc::new(AtomicU32::new(0)),
            unverified: false,
        }
    }

    /// Why requests are no longer sent, when the receiver stopped answering.
    pub(crate) fn breaker(&self) -> Option<String> {
        (self.timeouts_in_a_row.load(Ordering::Relaxed) >= HANG_BREAKER).then(|| {
            format!(
                "not sent: the last {HANG_BREAKER} deliveries got no answer within {} ms, so tesim stopped sending (the receiver hangs; see TE-DELIVERY-007)",
                self.client.request_timeout().as_millis()
            )
        })
    }

    /// Sends through `send` unless the breaker is open, and keeps the breaker's count.
    async fn guarded(
        &self,
        label: String,
        sent: WireRequest,
        send: impl std::future::Future<Output = Result<Response, DeliveryError>>,
    ) -> Answer {
        let label = if self.unverified {
            format!("{label} (TLS certificate not verified: see TE-TLS)")
        } else {
            label
        };
        if let Some(why) = self.breaker() {
            return Answer {
                label,
                result: Err(Failure::NotSent(why)),
                latency: Duration::ZERO,
                sent: None,
            };
        }
        let started = Instant::now();
        let result = send.await.map_err(Failure::Delivery);
        let latency = started.elapsed();
        match &result {
            Err(failure) if failure.is_timeout() => {
                self.timeouts_in_a_row.fetch_add(1, Ordering::Relaxed);
            }
            _ => self.timeouts_in_a_row.store(0, Ordering::Relaxed),
        }
        Answer {
            label,
            result,
            latency,
            sent: Some(sent),
        }
    }

    /// POSTs a notification as ThousandEyes would.
    pub(crate) async fn deliver(
        &self,
        label: &str,
        notification: &Value,
        credentials: Credentials,
    ) -> Answer {
        self.deliver_with(label, notification, credentials, HeaderMap::new())
            .await
    }

    /// POSTs a notification with extra headers.
    pub(crate) async fn deliver_with(
        &self,
        label: &str,
        notification: &Value,
        credentials: Credentials,
        mut headers: HeaderMap,
    ) -> Answer {
        let body = Bytes::from(notification.to_string());
        if let Credentials::Header(value) = &credentials {
            headers.insert(AUTHORIZATION, value.clone());
        }
        let sent = self.transcript_of(&credentials, &headers, &body);
        let send = async {
            match credentials {
                Credentials::Configured => {
                    self.client
                        .deliver(&self.target, &self.auth, &headers, body)
                        .await
                }
                Credentials::Without | Credentials::Header(_) => {
                    self.client.post(&self.target, &headers, body).await
                }
            }
        };
        self.guarded(label.to_owned(), sent, send).await
    }

    /// What a delivery looks like on the wire: the client's headers, then the probe's.
    fn transcript_of(
        &self,
        credentials: &Credentials,
        extra: &HeaderMap,
        body: &[u8],
    ) -> WireRequest {
        let mut shown = HeaderMap::new();
        shown.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (name, value) in self.client.default_headers() {
            shown.insert(name.clone(), value.clone());
        }
        if let Credentials::Configured = credentials {
            if let Some(value) = self.auth.authorization_static() {
                shown.insert(AUTHORIZATION, value);
            } else if self.auth.is_oauth() {
                shown.insert(AUTHORIZATION, HeaderValue::from_static("Bearer ***"));
            }
        }
        for (name, value) in extra {
            shown.insert(name.clone(), value.clone());
        }
        wire::request(
            "POST",
            self.target.as_str(),
            &shown,
            self.client.default_headers(),
            body,
        )
    }

    /// `GET url` (the observation hook), parsed as JSON. The messages are written here, not
    /// taken from the sender: its errors describe a POSTed notification.
    pub(crate) async fn get_json(&self, url: &Target) -> Result<Value, String> {
        let res = self
            .client
            .request(Method::GET, url, &HeaderMap::new(), Bytes::new())
            .await
            .map_err(|err| observe_error(url, &err, self.client.request_timeout()))?;
        serde_json::from_slice(&res.body)
            .map_err(|err| format!("GET {url} answered a body that is not JSON ({err})"))
    }

    /// POSTs an OAuth 2 token request (form body, client authenticated as configured).
    pub(crate) async fn token_request(
        &self,
        token: &TokenEndpoint,
        grant: &[(&str, &str)],
    ) -> Answer {
        let (headers, body) = match tesim_sender::token_request(
            &token.client_id,
            &token.client_secret,
            token.client_auth,
            grant,
        ) {
            Ok(request) => request,
            Err(err) => {
                return Answer {
                    label: format!("POST {}", token.url),
                    result: Err(Failure::NotSent(err.to_string())),
                    latency: Duration::ZERO,
                    sent: None,
                };
            }
        };
        let label = format!(
            "POST {} grant_type={}",
            token.url,
            grant.first().map_or("", |(_, value)| *value)
        );
        let sent = wire::request(
            "POST",
            token.url.as_str(),
            &headers,
            &HeaderMap::new(),
            &body,
        );
        let send = self.client.post(&token.url, &headers, body);
        self.guarded(label, sent, send).await
    }

    /// Sends two notifications on one connection and tells whether the receiver kept it open.
    ///
    /// Over plain http this opens its own connection with hyper's connection API, so reuse is
    /// observed, not assumed. Over https (the TLS setup lives inside the sender's client) it
    /// can only read the answers: `Connection: close` or HTTP/1.0 means no keep-alive.
    pub(crate) async fn keep_alive(
        &self,
        first: &Value,
        second: &Value,
        timeout: Duration,
    ) -> KeepAlive {
        if self.target.is_https() {
            return self.keep_alive_by_headers(first, second).await;
        }
        match tokio::time::timeout(timeout * 2, self.keep_alive_plain(first, second)).await {
            Ok(result) => result,
            Err(_) => {
                KeepAlive::Failed(format!("no answer within {} ms", (timeout * 2).as_millis()))
            }
        }
    }

    async fn keep_alive_by_headers(&self, first: &Value, second: &Value) -> KeepAlive {
        for (idx, notification) in [first, second].into_iter().enumerate() {
            let answer = self
                .deliver(
                    &format!("POST #{}", idx + 1),
                    notification,
                    Credentials::Configured,
                )
                .await;
            match &answer.result {
                Ok(response) if closes(&response.headers) => {
                    return KeepAlive::Closed(format!(
                        "answer #{} carries `Connection: close`",
                        idx + 1
                    ));
                }
                Ok(_) => {}
                Err(_) => return KeepAlive::Failed(answer.describe()),
            }
        }
        KeepAlive::Kept(
            "no answer asked to close the connection (over https tesim reads the headers only)"
                .to_owned(),
        )
    }

    async fn keep_alive_plain(&self, first: &Value, second: &Value) -> KeepAlive {
        use http_body_util::{BodyExt, Full};
        let authority = self.target.authority();
        let stream = match tokio::net::TcpStream::connect((self.target.host(), self.target.port()))
            .await
        {
            Ok(stream) => stream,
            Err(err) => return KeepAlive::Failed(format!("cannot connect to {authority}: {err}")),
        };
        let io = hyper_util::rt::TokioIo::new(stream);
        let (mut sender, connection) =
            match hyper::client::conn::http1::handshake::<_, Full<Bytes>>(io).await {
                Ok(pair) => pair,
                Err(err) => {
                    return KeepAlive::Failed(format!(
                        "HTTP handshake with {authority} failed: {err}"
                    ));
                }
            };
        let connection = tokio::spawn(connection);
        let authorization = match self.auth.authorization(&self.client).await {
            Ok(value) => value,
            Err(err) => return KeepAlive::Failed(err.to_string()),
        };
        let path = self
            .target
            .uri()
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        let mut outcome = KeepAlive::Kept("two deliveries answered on one connection".to_owned());
        for (idx, notification) in [first, second].into_iter().enumerate() {
            let mut builder = http::Request::post(&path)
                .header(http::header::HOST, &authority)
                .header(CONTENT_TYPE, "application/json");
            for (name, value) in self.client.default_headers() {
                builder = builder.header(name, value);
            }
            if let Some(value) = &authorization {
                builder = builder.header(AUTHORIZATION, value);
            }
            let Ok(request) = builder.body(Full::new(Bytes::from(notification.to_string()))) else {
                return KeepAlive::Failed("cannot build the request".to_owned());
            };
            if idx == 1 && sender.ready().await.is_err() {
                outcome = KeepAlive::Closed(
                    "the receiver closed the connection after the first answer".to_owned(),
                );
                break;
            }
            let response = match sender.send_request(request).await {
                Ok(response) => response,
                Err(err)
                    if idx == 1
                        && (err.is_closed()
                            || err.is_canceled()
                            || err.is_incomplete_message()) =>
                {
                    outcome = KeepAlive::Closed(format!(
                        "the connection was closed after the first answer ({err})"
                    ));
                    break;
                }
                Err(err) => {
                    return KeepAlive::Failed(format!(
                        "request #{} on one connection failed: {err}",
                        idx + 1
                    ));
                }
            };
            let status = response.status();
            let close = closes(response.headers()) || response.version() == http::Version::HTTP_10;
            let _ = response.into_body().collect().await;
            if !status.is_success() {
                return KeepAlive::Failed(format!("request #{} got {status}", idx + 1));
            }
            if close {
                outcome =
                    KeepAlive::Closed(format!("answer #{} asks to close the connection", idx + 1));
                break;
            }
        }
        connection.abort();
        outcome
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn observation_hook_failures_speak_of_a_get() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/missing", listener.local_addr().unwrap());
        // A bound listener that answers 404 to everything.
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
        });
        let client = tesim_sender::Client::new(&tesim_sender::ClientConfig::default()).unwrap();
        let target: tesim_sender::Target = url.parse().unwrap();
        let http = super::Http::new(
            client,
            target.clone(),
            tesim_sender::Authenticator::new(tesim_sender::Auth::None).unwrap(),
        );
        let message = http.get_json(&target).await.unwrap_err();
        assert!(
            message.starts_with(&format!("GET {url} answered 404 Not Found")),
            "{message}"
        );
        assert!(
            !message.contains("POST") && !message.contains("notification"),
            "{message}"
        );
    }
}

fn closes(headers: &HeaderMap) -> bool {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| {
            value
                .split(',')
                .any(|token| token.trim().eq_ignore_ascii_case("close"))
        })
}

/// What the keep-alive probe saw.
#[derive(Debug)]
pub(crate) enum KeepAlive {
    Kept(String),
    Closed(String),
    Failed(String),
}

/// An OAuth 2 token endpoint and client, from `--auth oauth2:` / `oauth2-refresh:`.
#[derive(Clone)]
pub(crate) struct TokenEndpoint {
    pub(crate) url: Target,
    pub(crate) client_id: String,
    pub(crate) client_secret: Secret,
    pub(crate) client_auth: ClientAuthMethod,
    pub(crate) scope: Option<String>,
    pub(crate) refresh_token: Option<String>,
}

impl std::fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl TokenEndpoint {
    pub(crate) fn of(auth: &tesim_sender::Auth) -> Option<Self> {
        match auth {
            tesim_sender::Auth::OAuthClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
                client_auth,
            } => Some(Self {
                url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                client_auth: *client_auth,
                scope: scope.clone(),
                refresh_token: None,
            }),
            tesim_sender::Auth::OAuthRefreshToken {
                token_url,
                client_id,
                client_secret,
                refresh_token,
                client_auth,
            } => Some(Self {
                url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                client_auth: *client_auth,
                scope: None,
                refresh_token: Some(refresh_token.expose().to_owned()),
            }),
            _ => None,
        }
    }
}
