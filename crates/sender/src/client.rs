//! The HTTP(S) client: one POST, with timeouts, no redirects, errors classified.

use std::error::Error as StdError;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as LegacyClient;
use hyper_util::rt::TokioExecutor;

use crate::auth::Authenticator;
use crate::connect::{
    ConnectError, Connector, NotHttp, Stream, TlsConfig, TlsConfigError, rustls_config,
};
use crate::error::{DeliveryError, Detail, ErrorKind, TimeoutPhase};
use crate::secret::Secret;
use crate::target::Target;

/// How much of a response body is kept (the rest is read and dropped, so the connection can be
/// reused).
pub const MAX_KEPT_BODY: usize = 64 * 1024;

/// Settings of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Which certificates to trust.
    pub tls: TlsConfig,
    /// Bound on opening a connection, TCP and TLS handshake together.
    pub connect_timeout: Duration,
    /// Bound on one request, from sending it to the last byte of the answer (connect included).
    pub request_timeout: Duration,
    /// Headers added to every request (`--header K:V`), after the defaults and before the
    /// per-delivery ones. Values are secrets: a header may carry a token ("other token" style).
    pub headers: Vec<(HeaderName, Secret)>,
    /// `User-Agent` sent with every request; `None` sends none. ThousandEyes' own value is not
    /// documented (reference 5.4), so receivers must not depend on it.
    pub user_agent: Option<String>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            tls: TlsConfig::default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            headers: Vec::new(),
            user_agent: Some(concat!("tesim/", env!("CARGO_PKG_VERSION")).to_owned()),
        }
    }
}

/// Why a [`Client`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// TLS settings.
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
    /// A header value cannot go in an HTTP header.
    #[error(
        "header {name}: the value is not a valid HTTP header value (control characters or line breaks); fix the header"
    )]
    HeaderValue {
        /// The header name.
        name: HeaderName,
    },
    /// The user agent cannot go in an HTTP header.
    #[error("user agent {0:?} is not a valid HTTP header value")]
    UserAgent(String),
}

/// A 2xx answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status (2xx).
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The first [`MAX_KEPT_BODY`] bytes of the body.
    pub body: Bytes,
    /// From sending the request to the last byte of the answer.
    pub latency: Duration,
}

/// An HTTP/1.1 client with keep-alive over plain TCP or rustls, which never follows redirects.
///
/// Cheap to clone (connections are pooled and shared).
#[derive(Clone)]
pub struct Client {
    inner: LegacyClient<Connector, Full<Bytes>>,
    connector: Connector,
    default_headers: Arc<HeaderMap>,
    /// Only the user agent: what goes to an OAuth token endpoint, which must not see the
    /// receiver's `--header`s (they may carry the receiver's credentials).
    token_headers: Arc<HeaderMap>,
    request_timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client: loads the trusted roots and CA files, prepares the default headers.
    pub fn new(config: &ClientConfig) -> Result<Client, ClientError> {
        let tls = rustls_config(&config.tls)?;
        let connector = Connector::new(tls, config.connect_timeout);
        let mut default_headers = HeaderMap::new();
        if let Some(agent) = &config.user_agent {
            let value =
                HeaderValue::from_str(agent).map_err(|_| ClientError::UserAgent(agent.clone()))?;
            default_headers.insert(USER_AGENT, value);
        }
        let token_headers = default_headers.clone();
        for (name, value) in &config.headers {
            let mut value = HeaderValue::from_str(value.expose())
                .map_err(|_| ClientError::HeaderValue { name: name.clone() })?;
            value.set_sensitive(true);
            default_headers.append(name.clone(), value);
        }
        let inner = LegacyClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector.clone());
        Ok(Client {
            inner,
            connector,
            default_headers: Arc::new(default_headers),
            token_headers: Arc::new(token_headers),
            request_timeout: config.request_timeout,
        })
    }

    /// The per-request timeout.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// Headers every request carries (user agent, `--header`s).
    pub fn default_headers(&self) -> &HeaderMap {
        &self.default_headers
    }

    /// POSTs `body` to `target` with `Content-Type: application/json` (unless `headers` sets
    /// another), the client's default headers, then `headers` (which win). No auth is added:
    /// put an `Authorization` header in `headers`, or use [`Client::deliver`].
    ///
    /// Only a 2xx answer is `Ok`. A 3xx is an error carrying the `Location` (redirects are
    /// never followed, as in ThousandEyes), other statuses are errors carrying the status and
    /// body.
    pub async fn post(
        &self,
        target: &Target,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Response, DeliveryError> {
        self.request(Method::POST, target, headers, body).await
    }

    /// Like [`Client::post`] with any method (a body is sent only when non-empty).
    pub async fn request(
        &self,
        method: Method,
        target: &Target,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Response, DeliveryError> {
        self.exchange(method, target, headers, body, &self.default_headers)
            .await
    }

    /// POSTs to an OAuth 2 token endpoint: like [`Client::post`] but without the `--header`s.
    pub(crate) async fn post_to_token_endpoint(
        &self,
        target: &Target,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Response, DeliveryError> {
        self.exchange(Method::POST, target, headers, body, &self.token_headers)
            .await
    }

    async fn exchange(
        &self,
        method: Method,
        target: &Target,
        headers: &HeaderMap,
        body: Bytes,
        default_headers: &HeaderMap,
    ) -> Result<Response, DeliveryError> {
        let url = target.text();
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = target.uri().clone();
        let request_headers = request.headers_mut();
        request_headers.reserve(default_headers.len() + headers.len() + 1);
        for (name, value) in default_headers.iter() {
            request_headers.append(name.clone(), value.clone());
        }
        if !headers.contains_key(CONTENT_TYPE) {
            request_headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        for name in headers.keys() {
            request_headers.remove(name);
        }
        for (name, value) in headers.iter() {
            request_headers.append(name.clone(), value.clone());
        }
        let sent_auth = request_headers.contains_key(AUTHORIZATION);
        let started = Instant::now();
        let exchange = async {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|err| classify_legacy(url.clone(), err))?;
            let (parts, body) = response.into_parts();
            let body = read_body(body)
                .await
                .map_err(|err| classify_hyper(url.clone(), err))?;
            Ok::<_, DeliveryError>((parts, body))
        };
        let (parts, body) = match tokio::time::timeout(self.request_timeout, exchange).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(DeliveryError::timeout(
                    url,
                    TimeoutPhase::Request,
                    self.request_timeout,
                ));
            }
        };
        let latency = started.elapsed();
        check_status(url, parts.status, &parts.headers, body, sent_auth).map(|body| Response {
            status: parts.status,
            headers: parts.headers,
            body,
            latency,
        })
    }

    /// POSTs with the `Authorization` header of `auth` added. For OAuth 2, a 401 from the
    /// receiver makes it fetch a new token once and send again (the token may have been
    /// revoked before its announced expiry).
    pub async fn deliver(
        &self,
        target: &Target,
        auth: &Authenticator,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Response, DeliveryError> {
        let authorization = auth
            .authorization(self)
            .await
            .map_err(|err| err.with_url(target.text()))?;
        let Some(authorization) = authorization else {
            return self.post(target, headers, body).await;
        };
        let mut with_auth = headers.clone();
        with_auth.insert(AUTHORIZATION, authorization.clone());
        match self.post(target, &with_auth, body.clone()).await {
            Err(err) if err.is_unauthorized() && auth.is_oauth() => {
                auth.invalidate(&authorization);
                let fresh = auth
                    .authorization(self)
                    .await
                    .map_err(|err| err.with_url(target.text()))?;
                if let Some(fresh) = fresh {
                    with_auth.insert(AUTHORIZATION, fresh);
                }
                self.post(target, &with_auth, body).await
            }
            result => result,
        }
    }

    /// Opens a dedicated connection to `target` (load mode keeps one per worker).
    pub(crate) async fn connect(&self, target: &Target) -> Result<Stream, ConnectError> {
        self.connector.connect(target.uri()).await
    }
}

/// Keeps the first [`MAX_KEPT_BODY`] bytes, reads and drops the rest.
pub(crate) async fn read_body(mut body: hyper::body::Incoming) -> Result<Bytes, hyper::Error> {
    let mut kept = BytesMut::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            let room = MAX_KEPT_BODY.saturating_sub(kept.len());
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    Ok(kept.freeze())
}

/// `Ok(body)` for 2xx, the matching [`DeliveryError`] otherwise.
pub(crate) fn check_status(
    url: Arc<str>,
    status: StatusCode,
    headers: &HeaderMap,
    body: Bytes,
    sent_auth: bool,
) -> Result<Bytes, DeliveryError> {
    if status.is_success() {
        return Ok(body);
    }
    let location = headers
        .get(LOCATION)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    Err(DeliveryError::status(
        url, status, location, body, sent_auth,
    ))
}

/// The [`NotHttp`] check's finding, anywhere in `err`'s chain.
fn not_http(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(current) = cause {
        // io::Error's `source()` skips its custom payload: look inside it.
        if let Some(not_http) = current
            .downcast_ref::<io::Error>()
            .and_then(|io_error| io_error.get_ref())
            .and_then(|inner| inner.downcast_ref::<NotHttp>())
        {
            return Some(not_http.0.clone());
        }
        cause = current.source();
    }
    None
}

fn classify_legacy(url: Arc<str>, err: hyper_util::client::legacy::Error) -> DeliveryError {
    let mut cause: Option<&(dyn StdError + 'static)> = err.source();
    while let Some(current) = cause {
        if let Some(connect) = current.downcast_ref::<ConnectError>() {
            let (kind, detail) = connect.kind_detail();
            return DeliveryError::new(kind, url, detail, Some(Box::new(err)));
        }
        cause = current.source();
    }
    if let Some(first_bytes) = not_http(&err) {
        return DeliveryError::not_http(url, first_bytes);
    }
    let kind = classify_chain(&err);
    let detail = if kind == ErrorKind::Reset {
        Detail::Reset
    } else {
        Detail::Other
    };
    DeliveryError::new(kind, url, detail, Some(Box::new(err)))
}

pub(crate) fn classify_hyper(url: Arc<str>, err: hyper::Error) -> DeliveryError {
    if let Some(first_bytes) = not_http(&err) {
        return DeliveryError::not_http(url, first_bytes);
    }
    let kind = classify_chain(&err);
    let detail = if kind == ErrorKind::Reset {
        Detail::Reset
    } else {
        Detail::Other
    };
    DeliveryError::new(kind, url, detail, Some(Box::new(err)))
}

/// Reset when the peer closed or reset the connection mid-exchange, Other otherwise.
fn classify_chain(err: &(dyn StdError + 'static)) -> ErrorKind {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(current) = cause {
        if let Some(hyper_error) = current.downcast_ref::<hyper::Error>() {
            if hyper_error.is_incomplete_message() || hyper_error.is_canceled() {
                return ErrorKind::Reset;
            }
        }
        if let Some(io_error) = current.downcast_ref::<io::Error>() {
            if matches!(
                io_error.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            ) {
                return ErrorKind::Reset;
            }
        }
        cause = current.source();
    }
    ErrorKind::Other
}
