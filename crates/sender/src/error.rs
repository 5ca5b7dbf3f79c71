//! Why a delivery failed, with what to do about it.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;

/// The kind of a failed delivery, as counted in summaries and load reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// A 3xx answer: ThousandEyes never follows redirects.
    Redirect,
    /// A 401 answer.
    Unauthorized,
    /// Any other 4xx answer.
    ClientError,
    /// A 5xx answer.
    ServerError,
    /// A non-2xx answer outside 3xx/4xx/5xx (1xx).
    OtherStatus,
    /// No connection or no complete answer in time.
    Timeout,
    /// The connection could not be opened (refused, unreachable, name not resolved).
    Connect,
    /// The TLS handshake failed.
    Tls,
    /// The receiver closed or reset the connection before answering.
    Reset,
    /// An OAuth 2 token could not be obtained from the token URL.
    Token,
    /// The run was stopped (Ctrl-C) while the attempt was in flight; the receiver may or may
    /// not have processed it.
    Cancelled,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Short name, as used in logs and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Redirect => "redirect",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::ClientError => "client_error",
            ErrorKind::ServerError => "server_error",
            ErrorKind::OtherStatus => "other_status",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Tls => "tls",
            ErrorKind::Reset => "reset",
            ErrorKind::Token => "token",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Other => "other",
        }
    }

    /// The kind for a non-2xx status.
    pub fn of_status(status: StatusCode) -> ErrorKind {
        match status.as_u16() {
            300..=399 => ErrorKind::Redirect,
            401 => ErrorKind::Unauthorized,
            400..=499 => ErrorKind::ClientError,
            500..=599 => ErrorKind::ServerError,
            _ => ErrorKind::OtherStatus,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong during the TLS handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsProblem {
    /// The certificate chain does not lead to a trusted authority.
    UnknownIssuer,
    /// The certificate does not name the host of the URL.
    NotValidForName,
    /// The certificate has expired or is not valid yet.
    Expired,
    /// The certificate is a CA certificate used as the server's own (e.g. made with
    /// `openssl req -x509` without extensions) and is not trusted as such.
    CaUsedAsEndEntity,
    /// Another certificate problem; the text is the verifier's.
    Certificate(String),
    /// The peer does not speak TLS (it answered with something that is not a TLS record).
    NotTls,
    /// Anything else; the text is the TLS library's.
    Other(String),
}

impl TlsProblem {
    /// Whether the problem is with the certificate (as opposed to the protocol).
    pub fn is_certificate(&self) -> bool {
        !matches!(self, TlsProblem::NotTls | TlsProblem::Other(_))
    }
}

/// Phase in which a timeout struck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Opening the TCP connection.
    Connect,
    /// The TLS handshake, after TCP connected.
    TlsHandshake,
    /// The request, from connecting to the end of the answer.
    Request,
}

#[derive(Debug)]
pub(crate) enum Detail {
    Status {
        status: StatusCode,
        location: Option<String>,
        body: Bytes,
        sent_auth: bool,
    },
    Timeout {
        phase: TimeoutPhase,
        after: Duration,
    },
    Connect {
        authority: String,
        refused: bool,
        resolve: bool,
    },
    Tls {
        host: String,
        problem: TlsProblem,
    },
    /// The answer did not start like HTTP/1.x; the first bytes, escaped.
    NotHttp {
        first_bytes: String,
    },
    Reset,
    Token {
        token_url: String,
        what: String,
    },
    Cancelled,
    Other,
}

/// A failed delivery. Opaque, with predicates to branch on (hyper's pattern); its `Display` says
/// what happened and what to do. Never contains a secret.
pub struct DeliveryError {
    kind: ErrorKind,
    url: Arc<str>,
    detail: Detail,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl DeliveryError {
    pub(crate) fn new(
        kind: ErrorKind,
        url: Arc<str>,
        detail: Detail,
        source: Option<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        DeliveryError {
            kind,
            url,
            detail,
            source,
        }
    }

    pub(crate) fn status(
        url: Arc<str>,
        status: StatusCode,
        location: Option<String>,
        body: Bytes,
        sent_auth: bool,
    ) -> Self {
        DeliveryError::new(
            ErrorKind::of_status(status),
            url,
            Detail::Status {
                status,
                location,
                body,
                sent_auth,
            },
            None,
        )
    }

    pub(crate) fn timeout(url: Arc<str>, phase: TimeoutPhase, after: Duration) -> Self {
        DeliveryError::new(
            ErrorKind::Timeout,
            url,
            Detail::Timeout { phase, after },
            None,
        )
    }

    pub(crate) fn cancelled(url: Arc<str>) -> Self {
        DeliveryError::new(ErrorKind::Cancelled, url, Detail::Cancelled, None)
    }

    pub(crate) fn not_http(url: Arc<str>, first_bytes: String) -> Self {
        DeliveryError::new(ErrorKind::Other, url, Detail::NotHttp { first_bytes }, None)
    }

    pub(crate) fn token(url: Arc<str>, token_url: &str, what: String) -> Self {
        DeliveryError::new(
            ErrorKind::Token,
            url,
            Detail::Token {
                token_url: token_url.to_owned(),
                what,
            },
            None,
        )
    }

    pub(crate) fn with_url(mut self, url: Arc<str>) -> Self {
        self.url = url;
        self
    }

    /// The kind, as counted in summaries.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The URL the delivery went to (never with credentials).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The receiver answered 3xx.
    pub fn is_redirect(&self) -> bool {
        self.kind == ErrorKind::Redirect
    }

    /// The `Location` of a redirect, when the receiver sent one.
    pub fn location(&self) -> Option<&str> {
        match &self.detail {
            Detail::Status { location, .. } => location.as_deref(),
            _ => None,
        }
    }

    /// No connection or no complete answer in time.
    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }

    /// The connection could not be opened (including a connect timeout).
    pub fn is_connect(&self) -> bool {
        self.kind == ErrorKind::Connect
            || matches!(
                self.detail,
                Detail::Timeout {
                    phase: TimeoutPhase::Connect | TimeoutPhase::TlsHandshake,
                    ..
                }
            )
    }

    /// The TLS handshake failed.
    pub fn is_tls(&self) -> bool {
        self.kind == ErrorKind::Tls
    }

    /// The receiver closed or reset the connection before answering.
    pub fn is_reset(&self) -> bool {
        self.kind == ErrorKind::Reset
    }

    /// The receiver answered with a non-2xx status (see [`DeliveryError::status_code`]).
    pub fn is_status(&self) -> bool {
        matches!(self.detail, Detail::Status { .. })
    }

    /// The receiver answered 401.
    pub fn is_unauthorized(&self) -> bool {
        self.kind == ErrorKind::Unauthorized
    }

    /// An OAuth 2 token could not be obtained.
    pub fn is_token(&self) -> bool {
        self.kind == ErrorKind::Token
    }

    /// The attempt was cancelled because the run was stopped.
    pub fn is_cancelled(&self) -> bool {
        self.kind == ErrorKind::Cancelled
    }

    /// Where a timeout struck, for a timeout.
    pub fn timeout_phase(&self) -> Option<TimeoutPhase> {
        match &self.detail {
            Detail::Timeout { phase, .. } => Some(*phase),
            _ => None,
        }
    }

    /// What went wrong in the TLS handshake, for a TLS failure.
    pub fn tls_problem(&self) -> Option<&TlsProblem> {
        match &self.detail {
            Detail::Tls { problem, .. } => Some(problem),
            _ => None,
        }
    }

    /// Whether credentials (auth header or token) were sent with a request that got a 401 or
    /// 403; `None` for other errors.
    pub fn sent_credentials(&self) -> Option<bool> {
        match &self.detail {
            Detail::Status { sent_auth, .. } => Some(*sent_auth),
            _ => None,
        }
    }

    /// The answer was not HTTP (the receiver speaks another protocol on this port).
    pub fn is_not_http(&self) -> bool {
        matches!(self.detail, Detail::NotHttp { .. })
    }

    /// A redirect's `Location` resolved against the request URL: the URL to configure instead.
    pub fn location_url(&self) -> Option<String> {
        let location = self.location()?;
        match url::Url::parse(&self.url).and_then(|base| base.join(location)) {
            Ok(absolute) => Some(absolute.to_string()),
            Err(_) => Some(location.to_owned()),
        }
    }

    /// The non-2xx status the receiver answered with.
    pub fn status_code(&self) -> Option<StatusCode> {
        match &self.detail {
            Detail::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The body of a non-2xx answer (at most 64 KiB are kept).
    pub fn body(&self) -> Option<&Bytes> {
        match &self.detail {
            Detail::Status { body, .. } => Some(body),
            _ => None,
        }
    }
}

impl fmt::Debug for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryError")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("detail", &self.detail)
            .field("source", &self.source)
            .finish()
    }
}

// Messages say what happened in the receiver's terms; which command-line flag or connector
// field to change is the caller's advice (the CLI's `advice.rs`), because the same library
// serves `--auth`, connector files and the conformance checker.
impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.url;
        match &self.detail {
            Detail::Status {
                status, sent_auth, ..
            } => {
                let reason = status.canonical_reason().unwrap_or("");
                let code = status.as_u16();
                match (code, self.location_url()) {
                    (300..=399, Some(location)) => write!(
                        f,
                        "POST {url} got {code} {reason} to {location}: ThousandEyes never follows redirects; configure {location} as the webhook URL"
                    ),
                    (300..=399, None) => write!(
                        f,
                        "POST {url} got {code} {reason} (a redirect without Location): ThousandEyes never follows redirects; configure the final URL as the webhook URL"
                    ),
                    (401, _) if *sent_auth => write!(
                        f,
                        "POST {url} got 401 Unauthorized: the receiver refused the credentials sent"
                    ),
                    (401, _) => write!(
                        f,
                        "POST {url} got 401 Unauthorized: the receiver wants credentials and none were sent"
                    ),
                    (403, _) => write!(
                        f,
                        "POST {url} got 403 Forbidden: the receiver refused this sender; check its allow-list and the credentials sent"
                    ),
                    (400..=499, _) => write!(
                        f,
                        "POST {url} got {code} {reason}: the receiver rejected the notification; check the receiver's logs for why"
                    ),
                    (500..=599, _) => write!(
                        f,
                        "POST {url} got {code} {reason}: the receiver failed while handling the notification; check the receiver's logs"
                    ),
                    _ => write!(
                        f,
                        "POST {url} got {code} {reason}: a delivery succeeds only on a 2xx answer"
                    ),
                }
            }
            Detail::Timeout {
                phase: TimeoutPhase::Connect,
                after,
            } => write!(
                f,
                "POST {url}: no connection within {}; is the receiver running and reachable?",
                human(*after)
            ),
            Detail::Timeout {
                phase: TimeoutPhase::TlsHandshake,
                after,
            } => write!(
                f,
                "POST {url}: TLS handshake timed out after {}: the port accepts connections but does not complete a TLS handshake; check that the receiver speaks TLS (HTTPS) on this port",
                human(*after)
            ),
            Detail::Timeout {
                phase: TimeoutPhase::Request,
                after,
            } => write!(
                f,
                "POST {url}: no complete answer within {}; the receiver should answer promptly",
                human(*after)
            ),
            Detail::Connect {
                authority,
                resolve: true,
                ..
            } => write!(
                f,
                "POST {url}: cannot resolve the host of {authority}{}; check the host name",
                self.source_suffix()
            ),
            Detail::Connect {
                authority,
                refused: true,
                ..
            } => write!(
                f,
                "POST {url}: connection refused by {authority}; is the receiver running on {authority}?"
            ),
            Detail::Connect { authority, .. } => write!(
                f,
                "POST {url}: cannot connect to {authority}{}; is the receiver running on {authority} and reachable?",
                self.source_suffix()
            ),
            Detail::Tls { host, problem } => match problem {
                TlsProblem::UnknownIssuer => write!(
                    f,
                    "POST {url}: TLS handshake failed: the certificate of {host} is signed by an unknown authority; trust the CA that signed it"
                ),
                TlsProblem::NotValidForName => write!(
                    f,
                    "POST {url}: TLS handshake failed: the certificate is not valid for {host}; ThousandEyes needs the host name to match one of the certificate's names, so fix the certificate or the URL"
                ),
                TlsProblem::Expired => write!(
                    f,
                    "POST {url}: TLS handshake failed: the certificate of {host} has expired or is not yet valid; renew it"
                ),
                TlsProblem::CaUsedAsEndEntity => write!(
                    f,
                    "POST {url}: TLS handshake failed: the certificate of {host} is a CA certificate (basic constraints CA:TRUE, as `openssl req -x509` makes by default) used as the server's own; trust that exact certificate, or give the server a certificate signed by a CA"
                ),
                TlsProblem::Certificate(what) => write!(
                    f,
                    "POST {url}: TLS handshake failed: the certificate of {host} was refused: {what}"
                ),
                TlsProblem::NotTls => write!(
                    f,
                    "POST {url}: TLS handshake with {host} failed: the peer does not speak TLS{}; check that the URL's scheme (https) and port are those of an HTTPS receiver",
                    self.source_suffix()
                ),
                TlsProblem::Other(what) => {
                    write!(f, "POST {url}: TLS handshake with {host} failed: {what}")
                }
            },
            Detail::NotHttp { first_bytes } => write!(
                f,
                "POST {url}: the answer is not HTTP (it starts with \"{first_bytes}\"); check that the URL's scheme and port are those of an HTTP receiver and not another service"
            ),
            Detail::Reset => write!(
                f,
                "POST {url}: the receiver closed the connection before answering{}; check the receiver's logs",
                self.source_suffix()
            ),
            Detail::Token { token_url, what } => write!(
                f,
                "POST {url}: cannot get an OAuth 2 token from {token_url}: {what}"
            ),
            Detail::Cancelled => write!(
                f,
                "POST {url}: cancelled because the run was stopped; the receiver may or may not have processed it"
            ),
            Detail::Other => write!(f, "POST {url} failed{}", self.source_suffix()),
        }
    }
}

impl DeliveryError {
    fn source_suffix(&self) -> String {
        match &self.source {
            Some(source) => format!(" ({})", chain(source.as_ref())),
            None => String::new(),
        }
    }
}

/// `error: cause: cause` on one line.
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        next = cause.source();
    }
    text
}

fn human(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

impl StdError for DeliveryError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_ref()
            .map(|source| source.as_ref() as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_message_names_location_and_fix() {
        let err = DeliveryError::status(
            Arc::from("http://a/hook"),
            StatusCode::MOVED_PERMANENTLY,
            Some("https://x/hook".into()),
            Bytes::new(),
            false,
        );
        assert!(err.is_redirect() && err.is_status());
        assert_eq!(err.location(), Some("https://x/hook"));
        assert_eq!(
            err.to_string(),
            "POST http://a/hook got 301 Moved Permanently to https://x/hook: ThousandEyes never follows redirects; configure https://x/hook as the webhook URL"
        );
    }

    #[test]
    fn unauthorized_depends_on_whether_auth_was_sent() {
        let with = DeliveryError::status(
            Arc::from("http://a/"),
            StatusCode::UNAUTHORIZED,
            None,
            Bytes::new(),
            true,
        );
        assert!(with.is_unauthorized());
        assert_eq!(with.sent_credentials(), Some(true));
        assert!(with.to_string().ends_with("refused the credentials sent"));
        let without = DeliveryError::status(
            Arc::from("http://a/"),
            StatusCode::UNAUTHORIZED,
            None,
            Bytes::new(),
            false,
        );
        assert!(without.to_string().ends_with("none were sent"));
        assert_eq!(without.sent_credentials(), Some(false));
    }

    /// The library names no command-line flag: the same messages serve `--auth`, connector
    /// files and the conformance checker (the CLI adds the flag in its advice).
    #[test]
    fn messages_name_no_flag() {
        let url: Arc<str> = Arc::from("http://a/");
        let mut errors = vec![
            DeliveryError::timeout(url.clone(), TimeoutPhase::Connect, Duration::from_secs(1)),
            DeliveryError::timeout(
                url.clone(),
                TimeoutPhase::TlsHandshake,
                Duration::from_secs(1),
            ),
            DeliveryError::timeout(url.clone(), TimeoutPhase::Request, Duration::from_secs(1)),
            DeliveryError::cancelled(url.clone()),
        ];
        for code in [301, 401, 403, 404, 500] {
            for sent_auth in [false, true] {
                errors.push(DeliveryError::status(
                    url.clone(),
                    StatusCode::from_u16(code).unwrap(),
                    None,
                    Bytes::new(),
                    sent_auth,
                ));
            }
        }
        for problem in [
            TlsProblem::UnknownIssuer,
            TlsProblem::NotValidForName,
            TlsProblem::Expired,
            TlsProblem::CaUsedAsEndEntity,
            TlsProblem::NotTls,
        ] {
            errors.push(DeliveryError::new(
                ErrorKind::Tls,
                url.clone(),
                Detail::Tls {
                    host: "a".into(),
                    problem,
                },
                None,
            ));
        }
        for err in errors {
            let text = err.to_string();
            assert!(!text.contains("--"), "{text}");
        }
    }

    #[test]
    fn relative_redirect_advice_is_a_full_url() {
        let err = DeliveryError::status(
            Arc::from("https://a.example:8443/old/hook?x=1"),
            StatusCode::FOUND,
            Some("/new/hook".into()),
            Bytes::new(),
            false,
        );
        assert_eq!(
            err.location_url().as_deref(),
            Some("https://a.example:8443/new/hook")
        );
        assert!(
            err.to_string()
                .ends_with("configure https://a.example:8443/new/hook as the webhook URL"),
            "{err}"
        );
    }
}
