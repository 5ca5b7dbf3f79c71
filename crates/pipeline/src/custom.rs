//! The custom-webhook source: a scenario's notifications rendered through the user's webhook
//! operation and addressed as ThousandEyes would (reference §2.3, §5.2): to the connector's
//! target plus the operation path, with the rendered query parameters, the connector's static
//! headers and the operation's templated ones, and the connector's auth.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tesim_model::custom::{self, ConnectorAuth, CustomNotification, GenericConnector, Id};
use tesim_model::{Notification, TimedNotification};
use tesim_scenario::{Events, Timeline};
use tesim_sender::{Auth, ClientAuthMethod, Delivery, Secret, Target, TargetError};
use tesim_template::{CompiledOperation, LoadError, SyntaxError};

use crate::plan::{Render, RenderedStream};

/// Why a custom webhook cannot be sent at all.
#[derive(Debug, thiserror::Error)]
pub enum CustomError {
    /// The operation or connector file is unusable.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A template does not parse.
    #[error("{}: the templates do not parse: {}", .path.display(), list(.errors))]
    Syntax {
        /// The operation file.
        path: PathBuf,
        /// Every syntax error.
        errors: Vec<SyntaxError>,
    },
    /// The connector's `target` is not a usable URL.
    #[error("connector `{connector}` target: {source}")]
    Target {
        /// The connector's name.
        connector: String,
        /// Why.
        #[source]
        source: TargetError,
    },
    /// A token URL of the connector's authentication is not usable.
    #[error("connector authentication.{field}: {source}")]
    TokenUrl {
        /// `oauthTokenUrl`.
        field: &'static str,
        /// Why.
        #[source]
        source: TargetError,
    },
    /// Basic auth cannot carry a user name with `:`.
    #[error(
        "connector authentication.username contains `:`, which Basic auth cannot carry; choose another user name"
    )]
    ColonInUsername,
    /// An authorization-code connector without the tokens the exchange leaves.
    #[error(
        "connector authentication oauth-auth-code has neither `refreshToken` nor `token`; run the authorization-code flow once and put the refresh token it returns in `refreshToken`"
    )]
    NoRefreshToken,
    /// A header name (connector or operation) HTTP refuses.
    #[error("{origin} header name `{name}` is not a valid HTTP header name")]
    HeaderName {
        /// `connector` or `operation`.
        origin: &'static str,
        /// The name.
        name: String,
    },
    /// A header value HTTP cannot carry (never shown: it may be a credential).
    #[error("{origin} header `{name}` has a value HTTP cannot carry (control characters?)")]
    HeaderValue {
        /// `connector` or `operation`.
        origin: &'static str,
        /// The name.
        name: String,
    },
}

fn list(errors: &[SyntaxError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A notification that rendered badly: counted as a failure of the run.
#[derive(Debug, Clone)]
pub struct RenderProblem {
    /// 1-based position of the notification.
    pub event: usize,
    /// `test`, `trigger` or `clear`.
    pub kind: &'static str,
    /// Whether it was still sent (a body that is not JSON is; a failed rendering is not).
    pub sent: bool,
    /// What went wrong.
    pub problem: String,
}

impl fmt::Display for RenderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sending = if self.sent {
            "sending it anyway"
        } else {
            "not sent"
        };
        write!(
            f,
            "event {} ({}): {}; {sending}",
            self.event, self.kind, self.problem
        )
    }
}

/// An operation and the connector it is sent through, loaded and checked.
pub struct CustomWebhook {
    operation: CompiledOperation,
    connector: GenericConnector,
    static_headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

/// What a custom webhook sends for a list of notifications.
pub struct CustomPlan {
    /// The renderings, ready to send to [`CustomWebhook::target`].
    pub deliveries: Vec<Delivery>,
    /// Renderings that failed or are not JSON, in event order.
    pub problems: Vec<RenderProblem>,
}

/// A notification with its place on the scenario clock.
pub struct CustomEvent {
    offset: Duration,
    order_key: Option<Arc<str>>,
    kind: &'static str,
    notification: CustomNotification,
}

/// The custom notifications of a timeline, in order.
pub fn scenario_events(timeline: &Timeline) -> Vec<CustomEvent> {
    timeline.notifications.iter().map(custom_event).collect()
}

fn custom_event(timed: &TimedNotification) -> CustomEvent {
    CustomEvent {
        offset: timed.offset,
        order_key: timed.notification.order_key().map(Arc::from),
        kind: match timed.notification {
            Notification::WebhookTest => "test",
            Notification::AlertTrigger(_)
            | Notification::AgentTrigger(_)
            | Notification::DeviceTrigger(_) => "trigger",
            Notification::AlertClear(_)
            | Notification::AgentClear(_)
            | Notification::DeviceClear(_) => "clear",
        },
        notification: custom::notification(timed),
    }
}

/// What a [`CustomStream`] calls with each rendering problem, as it is found.
pub type OnProblem = Box<dyn FnMut(RenderProblem) + Send>;

/// A scenario's notifications through a custom webhook, rendered one at a time as the sender
/// takes them (the custom counterpart of [`crate::plan::DeliveryStream`]): memory follows what
/// the scenario has active and in flight, not its length. A notification that does not render
/// is skipped; every problem goes to the `on_problem` callback when met, since a stream cannot
/// list them before sending.
pub type CustomStream = RenderedStream<CustomRender>;

/// Renders notifications through a custom webhook for a [`CustomStream`].
pub struct CustomRender {
    webhook: Arc<CustomWebhook>,
    played: usize,
    on_problem: OnProblem,
}

impl CustomStream {
    /// Renders `events`' notifications through `webhook`; their history is skipped.
    pub fn new(webhook: Arc<CustomWebhook>, events: Events, on_problem: OnProblem) -> Self {
        let renderer = CustomRender {
            webhook,
            played: 0,
            on_problem,
        };
        RenderedStream::with(events, renderer)
    }
}

impl Render for CustomRender {
    fn render(&mut self, timed: &TimedNotification) -> Option<Delivery> {
        let index = self.played;
        self.played += 1;
        let event = custom_event(timed);
        let (delivery, problem) = match self.webhook.render_one(index, &event) {
            Ok(rendered) => rendered,
            // A header the rendering made unsendable spoils this one alone.
            Err(err) => (
                None,
                Some(RenderProblem {
                    event: index + 1,
                    kind: event.kind,
                    sent: false,
                    problem: err.to_string(),
                }),
            ),
        };
        if let Some(problem) = problem {
            (self.on_problem)(problem);
        }
        delivery
    }
}

/// What the Test button sends: one dummy HTTP-Server trigger dated `at`.
pub fn test_button_events(at: tesim_model::TeDate) -> Vec<CustomEvent> {
    vec![CustomEvent {
        offset: Duration::ZERO,
        order_key: None,
        kind: "test",
        notification: custom::test_button(at),
    }]
}

fn id_text(id: &Id) -> String {
    match id {
        Id::Number(number) => number.to_string(),
        Id::Text(text) => text.clone(),
    }
}

impl CustomWebhook {
    /// Loads the operation and connector files and checks everything that does not depend on
    /// a notification: template syntax, target, auth and static headers.
    pub fn load(operation: &Path, connector: &Path) -> Result<CustomWebhook, CustomError> {
        let operation_body = tesim_template::load_operation(operation)?;
        let connector = tesim_template::load_connector(connector)?;
        let compiled =
            CompiledOperation::new(operation_body).map_err(|errors| CustomError::Syntax {
                path: operation.to_path_buf(),
                errors,
            })?;
        CustomWebhook::new(compiled, connector)
    }

    /// Checks a compiled operation and a connector together.
    pub fn new(
        operation: CompiledOperation,
        connector: GenericConnector,
    ) -> Result<CustomWebhook, CustomError> {
        let mut static_headers = Vec::new();
        for header in &connector.headers {
            let name = http::HeaderName::try_from(header.name.as_str()).map_err(|_| {
                CustomError::HeaderName {
                    origin: "connector",
                    name: header.name.clone(),
                }
            })?;
            let mut value = http::HeaderValue::try_from(header.value.as_str()).map_err(|_| {
                CustomError::HeaderValue {
                    origin: "connector",
                    name: header.name.clone(),
                }
            })?;
            // Static connector headers often carry credentials.
            value.set_sensitive(true);
            static_headers.push((name, value));
        }
        let webhook = CustomWebhook {
            operation,
            connector,
            static_headers,
        };
        webhook.target()?;
        webhook.auth()?;
        Ok(webhook)
    }

    /// The operation's name.
    pub fn operation_name(&self) -> &str {
        &self.operation.operation().name
    }

    /// The connector's name.
    pub fn connector_name(&self) -> &str {
        &self.connector.name
    }

    /// The connector's auth type (`basic`, `oauth-client-credentials`…), `none` without one.
    pub fn auth_type(&self) -> &'static str {
        self.connector
            .authentication
            .as_ref()
            .map_or("none", ConnectorAuth::type_name)
    }

    /// Whether the operation is switched off (ThousandEyes would send nothing).
    pub fn is_disabled(&self) -> bool {
        self.operation.operation().enabled == Some(false)
    }

    /// Where deliveries go before the operation path is joined.
    pub fn target(&self) -> Result<Target, CustomError> {
        self.connector
            .target
            .parse()
            .map_err(|source| CustomError::Target {
                connector: self.connector.name.clone(),
                source,
            })
    }

    /// The sender auth of the connector's `authentication`.
    pub fn auth(&self) -> Result<Auth, CustomError> {
        connector_auth(&self.connector)
    }

    /// Renders `events`; a rendering that fails is left out and reported, a body that is not
    /// JSON is sent anyway (so the receiver's handling of it can be seen) and reported.
    pub fn plan(&self, events: &[CustomEvent]) -> Result<CustomPlan, CustomError> {
        let mut deliveries = Vec::new();
        let mut problems = Vec::new();
        for (index, event) in events.iter().enumerate() {
            let (delivery, problem) = self.render_one(index, event)?;
            problems.extend(problem);
            deliveries.extend(delivery);
        }
        Ok(CustomPlan {
            deliveries,
            problems,
        })
    }

    /// The `index`th (0-based) of the events rendered: its delivery unless it failed to
    /// render, and its problem if it had one. An error: a rendered header HTTP cannot carry.
    fn render_one(
        &self,
        index: usize,
        event: &CustomEvent,
    ) -> Result<(Option<Delivery>, Option<RenderProblem>), CustomError> {
        let rendered = match self.operation.render(&event.notification) {
            Ok(rendered) => rendered,
            Err(failure) => {
                let problem = RenderProblem {
                    event: index + 1,
                    kind: event.kind,
                    sent: false,
                    problem: format!("it does not render: {failure}"),
                };
                return Ok((None, Some(problem)));
            }
        };
        // ThousandEyes requires a JSON body.
        let problem = serde_json::from_str::<serde_json::Value>(&rendered.body)
            .is_err()
            .then(|| RenderProblem {
                event: index + 1,
                kind: event.kind,
                sent: true,
                problem: "the body is not valid JSON".to_owned(),
            });
        let mut headers = self.static_headers.clone();
        for (name, value) in &rendered.headers {
            let name =
                http::HeaderName::try_from(name.as_str()).map_err(|_| CustomError::HeaderName {
                    origin: "operation",
                    name: name.clone(),
                })?;
            let value = http::HeaderValue::try_from(value.as_str()).map_err(|_| {
                CustomError::HeaderValue {
                    origin: "operation",
                    name: name.to_string(),
                }
            })?;
            // The operation's header wins over the connector's of the same name.
            headers.retain(|(existing, _)| *existing != name);
            headers.push((name, value));
        }
        let delivery = Delivery {
            offset: event.offset,
            order_key: event.order_key.clone(),
            event_id: Arc::from(id_text(&event.notification.id)),
            event_type: Arc::from(event.kind),
            alert_id: Some(Arc::from(id_text(&event.notification.alert.id))),
            body: rendered.body.into(),
            extra_headers: headers,
            path_and_query: Some(rendered.path_and_query).filter(|text| !text.is_empty()),
        };
        Ok((Some(delivery), problem))
    }
}

/// The sender auth of a connector's `authentication`.
pub fn connector_auth(connector: &GenericConnector) -> Result<Auth, CustomError> {
    let token_url = |url: &str| -> Result<Target, CustomError> {
        url.parse().map_err(|source| CustomError::TokenUrl {
            field: "oauthTokenUrl",
            source,
        })
    };
    Ok(match &connector.authentication {
        None => Auth::None,
        Some(ConnectorAuth::Basic { username, password }) => {
            if username.contains(':') {
                return Err(CustomError::ColonInUsername);
            }
            Auth::Basic {
                username: username.clone(),
                password: Secret::new(password.as_str()),
            }
        }
        Some(ConnectorAuth::BearerToken { token }) => Auth::Bearer(Secret::new(token.as_str())),
        Some(ConnectorAuth::OtherToken { token }) => Auth::OtherToken(Secret::new(token.as_str())),
        Some(ConnectorAuth::OauthClientCredentials {
            oauth_client_id,
            oauth_client_secret,
            oauth_token_url,
            scope,
            ..
        }) => Auth::OAuthClientCredentials {
            token_url: token_url(oauth_token_url)?,
            client_id: oauth_client_id.clone(),
            client_secret: Secret::new(oauth_client_secret.as_str()),
            scope: scope.clone(),
            client_auth: ClientAuthMethod::default(),
        },
        Some(ConnectorAuth::OauthAuthCode {
            oauth_client_id,
            oauth_client_secret,
            oauth_token_url,
            token,
            refresh_token,
            ..
        }) => match (refresh_token, token) {
            // ThousandEyes exchanges the `code` in its UI and keeps refreshing the access token;
            // tesim starts from the refresh token that exchange gave.
            (Some(refresh_token), _) => Auth::OAuthRefreshToken {
                token_url: token_url(oauth_token_url)?,
                client_id: oauth_client_id.clone(),
                client_secret: Secret::new(oauth_client_secret.as_str()),
                refresh_token: Secret::new(refresh_token.as_str()),
                client_auth: ClientAuthMethod::default(),
            },
            (None, Some(token)) => Auth::Bearer(Secret::new(token.as_str())),
            (None, None) => return Err(CustomError::NoRefreshToken),
        },
    })
}
