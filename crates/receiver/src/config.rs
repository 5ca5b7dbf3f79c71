//! How a receiver behaves: answer, auth, OAuth token endpoint and reference mode.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;

/// Everything a [`Server`](crate::Server) needs to know about how to answer.
///
/// Build it with struct update syntax over [`ReceiverConfig::default`], which is a correct
/// receiver answering `200 {"ok":true}` to everything, without auth.
#[derive(Clone, Debug)]
pub struct ReceiverConfig {
    /// Reference behaviour: correct, or one of the broken receivers of the self-test.
    pub mode: Mode,
    /// Status of the answer to an accepted delivery (200 by default).
    pub status: StatusCode,
    /// Body of the answer to an accepted delivery (`{"ok":true}` by default).
    pub response_body: Bytes,
    /// Credentials every delivery must carry; `None` accepts requests without any.
    pub auth: Option<RequiredAuth>,
    /// An OAuth 2 token endpoint served by this receiver, for the sender and checker tests.
    pub oauth: Option<OAuthConfig>,
    /// Path of the observation hook (`GET` answers [`Records`](crate::Records) as JSON);
    /// `None` serves no hook. Defaults to [`OBSERVE_PATH`].
    pub observe_path: Option<String>,
    /// Largest request body accepted; larger ones get `413` (16 MiB by default).
    pub max_body_bytes: usize,
    /// Timeouts and the connection cap that keep idle or half-sent connections from piling up.
    pub limits: ConnectionLimits,
    /// Relay every delivery to this receiver instead of answering it (`tesim listen
    /// --forward-to`); the mode, auth and script are then not applied.
    pub forward: Option<crate::relay::Forward>,
    /// Scripted statuses, delays and failures of deliveries (`tesim listen --respond`).
    pub script: Option<crate::script::Script>,
    /// Path of the history API (`GET` the recorded requests, `DELETE` to clear); `None`
    /// serves none. Defaults to [`HISTORY_PATH`](crate::HISTORY_PATH).
    pub history_path: Option<String>,
    /// Where each request's `tesim.capture/v1` record goes once it is answered.
    pub capture: Option<tokio::sync::mpsc::UnboundedSender<tesim_capture::CaptureRecord>>,
}

/// Bounds on connections, as production servers set them: a client that sends nothing, or
/// sends a request slowly (slowloris), is disconnected instead of holding a socket forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time allowed to receive a request's headers, counted from when the server starts
    /// waiting for them, so it also closes a keep-alive connection that stays silent (30 s,
    /// hyper's default).
    pub header_read_timeout: Duration,
    /// A connection on which no byte moves for this long, with no request being answered, is
    /// closed (60 s). It also bounds a half-sent body.
    pub idle_timeout: Duration,
    /// Connections served at once (1024); further ones wait in the listen backlog until one
    /// closes.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}

/// A status code from a number, `None` outside 100..=599 (for `--status` flags).
pub fn status_from_u16(code: u16) -> Option<StatusCode> {
    StatusCode::from_u16(code)
        .ok()
        .filter(|status| (100..600).contains(&status.as_u16()))
}

/// Default path of the observation hook.
pub const OBSERVE_PATH: &str = "/_tesim/records";

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self {
            mode: Mode::Correct,
            status: StatusCode::OK,
            response_body: Bytes::from_static(br#"{"ok":true}"#),
            auth: None,
            oauth: None,
            observe_path: Some(OBSERVE_PATH.to_owned()),
            max_body_bytes: 16 * 1024 * 1024,
            limits: ConnectionLimits::default(),
            forward: None,
            script: None,
            history_path: Some(crate::history::HISTORY_PATH.to_owned()),
            capture: None,
        }
    }
}

impl ReceiverConfig {
    /// The default configuration in another mode.
    pub fn with_mode(mode: Mode) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }
}

/// Reference behaviours for the conformance self-test: one correct receiver and the broken
/// ones a checker must catch. The token endpoint and the observation hook are served normally
/// in every mode: a mode only changes how deliveries (every other request) are answered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Answers every delivery with the configured status, checks auth when configured,
    /// processes each `eventId` once, correlates trigger and clear by `alertId` (agent
    /// notifications by `agentNotificationId`, or `alertId` in the modern profile) and keeps an
    /// alert cleared when its clear arrived before its trigger.
    #[default]
    Correct,
    /// Answers deliveries with a redirect (what ThousandEyes does not follow).
    Redirect {
        /// The 3xx status (301, 302, 303, 307 or 308).
        status: StatusCode,
        /// Where the `Location` points.
        to: RedirectTarget,
    },
    /// Accepts deliveries whatever their credentials, even none.
    IgnoreAuth,
    /// Requires an `Authorization` header but accepts any value in it.
    AcceptWrongCredentials,
    /// Reads the request and never answers.
    Hang,
    /// Answers every delivery `500 Internal Server Error`.
    Error500,
    /// Answers every second delivery (the 2nd, 4th, …) `500`, counting across connections.
    FailEveryOther,
    /// Reads the request and closes the connection without writing an answer.
    CloseWithoutAnswer,
    /// Like [`Mode::Correct`] but processes an `eventId` again each time it arrives.
    ReprocessDuplicates,
    /// Like [`Mode::Correct`] but keys alert records by `eventId` instead of `alertId`, so a
    /// clear never meets its trigger (the classic correlation mistake).
    CorrelateByEventId,
    /// Like [`Mode::Correct`] but answers 2xx to agent notifications sent as
    /// `ALERT_NOTIFICATION_*` with `alert.type` `"Agent"` (every era from October 2021) and
    /// records nothing: a receiver that knows agent notifications only as `AGENT_*`.
    IgnoreAgentAlerts,
    /// Like [`Mode::Correct`] but stores numeric ids in 32 bits (an `int` column, a Java
    /// `int`): 15-digit modern ids come out truncated. (A JavaScript `Number` keeps them: they
    /// are below 2^53.)
    IdsAs32Bit,
    /// Like [`Mode::Correct`] but reads `dateStart` as UTC, ignoring the account zone that
    /// `dateStartZoned` names.
    DateStartAsUtc,
    /// Like [`Mode::Correct`] but keeps one open incident per rule and test: while a trigger
    /// was never cleared, later alerts of that rule and test are acknowledged and dropped.
    BlockAfterUncleared,
    /// Like [`Mode::Correct`] but throttles alert storms: of the notifications whose
    /// `dateStart` lies within the last hour, it processes at most [`STORM_LIMIT`] per
    /// [`STORM_WINDOW`] and drops the rest, still answering 2xx.
    DropUnderBurst,
    /// Like [`Mode::Correct`] but marks an `eventId` processed only when its (slow) processing
    /// ends: each alert notification is held until another copy of it arrives, or
    /// [`RETRY_HOLD`] passes, so a retry sent meanwhile is processed a second time.
    ReprocessConcurrentRetry,
}

/// Most recent notifications a [`Mode::DropUnderBurst`] receiver processes per [`STORM_WINDOW`].
pub const STORM_LIMIT: usize = 20;

/// The window of [`Mode::DropUnderBurst`]'s throttle: long, so that a burst on a slow machine
/// still overflows it.
pub const STORM_WINDOW: Duration = Duration::from_secs(10);

/// How long a [`Mode::ReprocessConcurrentRetry`] receiver holds a notification waiting for a
/// copy of it.
pub const RETRY_HOLD: Duration = Duration::from_secs(3);

/// Where a [`Mode::Redirect`] receiver sends the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectTarget {
    /// Another path on the same host; requests to that path are accepted.
    Path(String),
    /// The same URL with `https` (the usual "force TLS" front end).
    HttpsUpgrade,
    /// The same path with a trailing slash (the usual framework router); requests whose path
    /// already ends with `/` are accepted.
    TrailingSlash,
}

/// Credentials a receiver requires on every delivery.
#[derive(Clone, PartialEq, Eq)]
pub enum RequiredAuth {
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// Expected user name.
        username: String,
        /// Expected password (never printed).
        password: String,
    },
    /// `Authorization: Bearer <token>` with one fixed token.
    Bearer {
        /// Expected token (never printed).
        token: String,
    },
    /// `Authorization: Bearer <token>` with a token issued by this receiver's OAuth 2 token
    /// endpoint ([`ReceiverConfig::oauth`]) and not expired. Without a token endpoint every
    /// token is rejected.
    OAuth2,
}

impl fmt::Debug for RequiredAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"***")
                .finish(),
            Self::Bearer { .. } => f.debug_struct("Bearer").field("token", &"***").finish(),
            Self::OAuth2 => f.write_str("OAuth2"),
        }
    }
}

impl RequiredAuth {
    /// Parses the `tesim` auth syntax: `basic:USER:PASSWORD`, `bearer:TOKEN` or `oauth2`.
    pub fn parse(spec: &str) -> Result<Self, AuthSpecError> {
        let (kind, rest) = spec.split_once(':').unwrap_or((spec, ""));
        match kind.to_ascii_lowercase().as_str() {
            "basic" => match rest.split_once(':') {
                Some((username, password)) if !username.is_empty() => Ok(Self::Basic {
                    username: username.to_owned(),
                    password: password.to_owned(),
                }),
                _ => Err(AuthSpecError::BasicShape),
            },
            "bearer" if !rest.is_empty() => Ok(Self::Bearer {
                token: rest.to_owned(),
            }),
            "bearer" => Err(AuthSpecError::BearerShape),
            "oauth2" if rest.is_empty() => Ok(Self::OAuth2),
            _ => Err(AuthSpecError::UnknownKind {
                kind: kind.to_owned(),
            }),
        }
    }

    /// The `WWW-Authenticate` challenge sent with a `401`.
    pub(crate) fn challenge(&self) -> &'static str {
        match self {
            Self::Basic { .. } => r#"Basic realm="tesim", charset="UTF-8""#,
            Self::Bearer { .. } | Self::OAuth2 => r#"Bearer realm="tesim""#,
        }
    }
}

/// A `--auth` value that cannot be parsed. Never contains the secret.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthSpecError {
    /// `basic:` without `USER:PASSWORD`.
    #[error("basic auth must look like `basic:USER:PASSWORD` (the user name cannot be empty)")]
    BasicShape,
    /// `bearer:` without a token.
    #[error("bearer auth must look like `bearer:TOKEN` (the token cannot be empty)")]
    BearerShape,
    /// Unknown scheme.
    #[error("unknown auth kind `{kind}`; use `basic:USER:PASSWORD`, `bearer:TOKEN` or `oauth2`")]
    UnknownKind {
        /// What was given before the first `:`.
        kind: String,
    },
}

/// An OAuth 2 token endpoint served by the receiver (RFC 6749 §4.4 client credentials and
/// §6 refresh), so that senders and checkers can be tested against it.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthConfig {
    /// Path of the token endpoint, e.g. `/oauth/token`.
    pub token_path: String,
    /// Expected `client_id` (in a Basic header or in the form body).
    pub client_id: String,
    /// Expected `client_secret` (never printed).
    pub client_secret: String,
    /// Lifetime of issued access tokens (`expires_in`).
    pub expires_in: Duration,
    /// Whether token responses include a `refresh_token`.
    pub issue_refresh_tokens: bool,
    /// `token_type` of token responses: `Bearer` (RFC 6750); anything else makes a broken
    /// token endpoint for the checker's self-test.
    pub token_type: String,
    /// Whether the refresh token grant works; `false` (with `issue_refresh_tokens`) makes a
    /// broken endpoint that hands out refresh tokens it then refuses.
    pub accept_refresh_grant: bool,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        Self {
            token_path: "/oauth/token".to_owned(),
            client_id: "tesim-client".to_owned(),
            client_secret: "tesim-secret".to_owned(),
            expires_in: Duration::from_secs(3600),
            issue_refresh_tokens: true,
            token_type: "Bearer".to_owned(),
            accept_refresh_grant: true,
        }
    }
}

impl fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("token_path", &self.token_path)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("expires_in", &self.expires_in)
            .field("issue_refresh_tokens", &self.issue_refresh_tokens)
            .field("token_type", &self.token_type)
            .field("accept_refresh_grant", &self.accept_refresh_grant)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_auth_specs() {
        assert_eq!(
            RequiredAuth::parse("basic:alice:s3:cret").unwrap(),
            RequiredAuth::Basic {
                username: "alice".into(),
                password: "s3:cret".into()
            }
        );
        assert_eq!(
            RequiredAuth::parse("bearer:tok").unwrap(),
            RequiredAuth::Bearer {
                token: "tok".into()
            }
        );
        assert_eq!(RequiredAuth::parse("oauth2").unwrap(), RequiredAuth::OAuth2);
        assert_eq!(
            RequiredAuth::parse("basic:alice").unwrap_err(),
            AuthSpecError::BasicShape
        );
        assert_eq!(
            RequiredAuth::parse("bearer:").unwrap_err(),
            AuthSpecError::BearerShape
        );
        assert!(matches!(
            RequiredAuth::parse("digest:x").unwrap_err(),
            AuthSpecError::UnknownKind { .. }
        ));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let basic = RequiredAuth::Basic {
            username: "alice".into(),
            password: "hunter2".into(),
        };
        let bearer = RequiredAuth::Bearer {
            token: "tok-123".into(),
        };
        let oauth = OAuthConfig {
            client_secret: "shh-secret".into(),
            ..OAuthConfig::default()
        };
        let text = format!("{basic:?} {bearer:?} {oauth:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("tok-123") && !text.contains("shh-secret")
        );
        assert!(text.contains("alice") && text.contains("***"));
    }
}
