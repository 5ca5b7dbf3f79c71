//! Every HTTP exchange of the checker goes through here, over `tesim-sender`'s [`Client`]
//! (redirects never followed, errors classified), so the checks never touch hyper directly —
//! except the keep-alive probe over plain http, which needs to see one connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONNECTION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::Value;
use tesim_sender::{Authenticator, Client, ClientAuthMethod, DeliveryError, Response, Target};

use crate::report::Exchange;

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

    pub(crate) fn is_timeout(&self) -> bool {
        matches!(self, Failure::Delivery(err) if err.is_timeout())
    }

    pub(crate) fn is_unreachable(&self) -> bool {
        matches!(self, Failure::Delivery(err) if err.is_connect() || err.is_tls())
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

/// The result of one request, with its latency measured around it.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) label: String,
    pub(crate) result: Result<Response, Failure>,
    pub(crate) latency: Duration,
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
            Ok(response) => format!("{} in {} ms", response.status, self.latency.as_millis()),
            Err(err) => err.to_string(),
        }
    }

    pub(crate) fn exchange(&self) -> Exchange {
        let (location, error) = match &self.result {
            Ok(_) => (None, None),
            Err(err) => (err.location().map(str::to_owned), Some(err.to_string())),
        };
        Exchange {
            request: self.label.clone(),
            status: self.status().map(|status| status.as_u16()),
            location,
            latency_ms: self.latency.as_millis() as u64,
            error,
        }
    }
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
}

impl Http {
    pub(crate) fn new(client: Client, target: Target, auth: Authenticator) -> Self {
        Self {
            client,
            target,
            auth,
            timeouts_in_a_row: Arc::new(AtomicU32::new(0)),
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
        send: impl std::future::Future<Output = Result<Response, DeliveryError>>,
    ) -> Answer {
        if let Some(why) = self.breaker() {
            return Answer {
                label,
                result: Err(Failure::NotSent(why)),
                latency: Duration::ZERO,
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
        self.guarded(label.to_owned(), send).await
    }

    /// `GET url` (the observation hook), parsed as JSON.
    pub(crate) async fn get_json(&self, url: &Target) -> Result<Value, String> {
        let res = self
            .client
            .request(Method::GET, url, &HeaderMap::new(), Bytes::new())
            .await
            .map_err(|err| err.to_string())?;
        serde_json::from_slice(&res.body)
            .map_err(|err| format!("GET {url} answered a body that is not JSON ({err})"))
    }

    /// POSTs an OAuth 2 token request (form body, client authenticated as configured).
    pub(crate) async fn token_request(
        &self,
        token: &TokenEndpoint,
        grant: &[(&str, &str)],
    ) -> Answer {
        // Built in a block: the serializer is not `Send` and must not live across an await.
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.extend_pairs(grant.iter().copied());
            if token.client_auth == ClientAuthMethod::Body {
                form.append_pair("client_id", &token.client_id);
                form.append_pair("client_secret", &token.client_secret);
            }
            form.finish()
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        if token.client_auth != ClientAuthMethod::Body {
            // RFC 6749 2.3.1: both parts form-urlencoded before base64.
            let encode = |text: &str| {
                url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
            };
            let pair = format!(
                "{}:{}",
                encode(&token.client_id),
                encode(&token.client_secret)
            );
            let basic = base64::engine::general_purpose::STANDARD.encode(pair);
            if let Ok(mut value) = HeaderValue::from_str(&format!("Basic {basic}")) {
                value.set_sensitive(true);
                headers.insert(AUTHORIZATION, value);
            }
        }
        let label = format!(
            "POST {} grant_type={}",
            token.url,
            grant.first().map_or("", |(_, value)| *value)
        );
        let send = self.client.post(&token.url, &headers, Bytes::from(body));
        self.guarded(label, send).await
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
    pub(crate) client_secret: String,
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
                client_secret: client_secret.expose().to_owned(),
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
                client_secret: client_secret.expose().to_owned(),
                client_auth: *client_auth,
                scope: None,
                refresh_token: Some(refresh_token.expose().to_owned()),
            }),
            _ => None,
        }
    }
}
