//! Custom-webhook delivery (`tesim send --operation FILE --connector FILE`, also
//! `tesim template send`): renders a scenario's notifications through the user's webhook
//! operation and posts them as ThousandEyes would (reference §2.3, §5.2): to the connector's
//! target plus the operation path, with the rendered query parameters, the connector's static
//! headers and the operation's templated ones, and the connector's auth. Redirects are never
//! followed; the delivery log and exit codes are those of classic delivery.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use tesim_model::custom::{self, ConnectorAuth, CustomNotification, GenericConnector, Id};
use tesim_model::{Notification, TeDate};
use tesim_sender::{
    Attempt, Auth, ClientAuthMethod, ClientConfig, Delivery, RetryPolicy, Secret, SendConfig,
    Speed, Target,
};
use tesim_template::CompiledOperation;

/// Everything of a custom send besides the operation, connector and scenario.
#[derive(Debug, Clone)]
pub struct CustomSendSettings {
    /// Seed for the scenario's generated ids.
    pub seed: u64,
    /// `--start`: `now` or `YYYY-MM-DD hh:mm:ss`; `None` keeps the scenario's own.
    pub start: Option<String>,
    /// How fast the scenario clock runs.
    pub speed: Speed,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Retries after a failed attempt (0: none, as by default).
    pub retries: u32,
    /// JSONL delivery log.
    pub log: Option<PathBuf>,
    /// TLS and timeouts.
    pub client: ClientConfig,
    /// Print each rendered body before sending.
    pub show_payloads: bool,
}

impl Default for CustomSendSettings {
    fn default() -> Self {
        CustomSendSettings {
            seed: tesim_scenario::DEFAULT_SEED,
            start: None,
            speed: Speed::Max,
            concurrency: 1,
            retries: 0,
            log: None,
            client: ClientConfig::default(),
            show_payloads: false,
        }
    }
}

fn id_text(id: &Id) -> String {
    match id {
        Id::Number(number) => number.to_string(),
        Id::Text(text) => text.clone(),
    }
}

/// The sender auth of a connector's `authentication`.
pub fn connector_auth(connector: &GenericConnector) -> anyhow::Result<Auth> {
    let parse_url = |field: &str, url: &str| -> anyhow::Result<Target> {
        url.parse()
            .with_context(|| format!("connector authentication.{field}"))
    };
    Ok(match &connector.authentication {
        None => Auth::None,
        Some(ConnectorAuth::Basic { username, password }) => {
            if username.contains(':') {
                bail!(
                    "connector authentication.username contains `:`, which Basic auth cannot carry; choose another user name"
                );
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
            token_url: parse_url("oauthTokenUrl", oauth_token_url)?,
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
                token_url: parse_url("oauthTokenUrl", oauth_token_url)?,
                client_id: oauth_client_id.clone(),
                client_secret: Secret::new(oauth_client_secret.as_str()),
                refresh_token: Secret::new(refresh_token.as_str()),
                client_auth: ClientAuthMethod::default(),
            },
            (None, Some(token)) => Auth::Bearer(Secret::new(token.as_str())),
            (None, None) => bail!(
                "connector authentication oauth-auth-code has neither `refreshToken` nor `token`; \
                 run the authorization-code flow once and put the refresh token it returns in `refreshToken`"
            ),
        },
    })
}

/// A notification and what to call it in the output.
struct Planned {
    offset: std::time::Duration,
    order_key: Option<Arc<str>>,
    kind: &'static str,
    notification: CustomNotification,
}

fn now() -> anyhow::Result<TeDate> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the system clock is before 1970")?;
    Ok(TeDate::from_epoch(i64::try_from(now.as_secs())?)?)
}

/// Renders the notifications of `scenario` (or, with `test_button`, the Test button's dummy
/// HTTP-Server trigger) through `operation` and delivers them to `connector`. Exit code 0 when
/// every rendering was delivered with a 2xx, 1 when one failed to render or deliver; `Err` (exit
/// code 2 in `main`) when the files or settings are unusable.
pub async fn send_custom(
    operation: PathBuf,
    connector: PathBuf,
    scenario: &str,
    test_button: bool,
    settings: &CustomSendSettings,
) -> anyhow::Result<ExitCode> {
    let operation_body = tesim_template::load_operation(&operation)?;
    let connector = tesim_template::load_connector(&connector)?;
    let operation_name = operation_body.name.clone();
    let compiled = CompiledOperation::new(operation_body).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "{}: the templates do not parse: {}; run `tesim template check --operation {}`",
            operation.display(),
            list.join("; "),
            operation.display()
        )
    })?;
    if compiled.operation().enabled == Some(false) {
        eprintln!(
            "warning: operation `{operation_name}` has \"enabled\": false; ThousandEyes would send nothing, tesim sends anyway"
        );
    }
    let planned: Vec<Planned> = if test_button {
        vec![Planned {
            offset: std::time::Duration::ZERO,
            order_key: None,
            kind: "test",
            notification: custom::test_button(now()?),
        }]
    } else {
        let timeline = crate::plan::timeline(scenario, settings.seed, settings.start.as_deref())?;
        timeline
            .notifications
            .iter()
            .map(|timed| Planned {
                offset: timed.offset,
                order_key: timed.notification.order_key().map(Arc::from),
                kind: match timed.notification {
                    Notification::WebhookTest => "test",
                    Notification::AlertTrigger(_) | Notification::AgentTrigger(_) => "trigger",
                    Notification::AlertClear(_) | Notification::AgentClear(_) => "clear",
                },
                notification: custom::notification(timed),
            })
            .collect()
    };

    let mut static_headers = Vec::new();
    for header in &connector.headers {
        let name = http::HeaderName::try_from(header.name.as_str()).with_context(|| {
            format!(
                "connector header name `{}` is not a valid HTTP header name",
                header.name
            )
        })?;
        let mut value = http::HeaderValue::try_from(header.value.as_str()).with_context(|| {
            format!(
                "connector header `{}` has a value HTTP cannot carry",
                header.name
            )
        })?;
        // Static connector headers often carry credentials.
        value.set_sensitive(true);
        static_headers.push((name, value));
    }

    let mut deliveries = Vec::new();
    let mut render_failures = 0usize;
    for (index, planned) in planned.iter().enumerate() {
        let rendered = match compiled.render(&planned.notification) {
            Ok(rendered) => rendered,
            Err(failure) => {
                render_failures += 1;
                eprintln!(
                    "error: event {} ({}): not sent, it does not render: {failure}",
                    index + 1,
                    planned.kind
                );
                continue;
            }
        };
        if serde_json::from_str::<serde_json::Value>(&rendered.body).is_err() {
            // ThousandEyes requires a JSON body; send it anyway so the receiver's handling of
            // a broken body can be seen, but count it.
            render_failures += 1;
            eprintln!(
                "error: event {} ({}): the body is not valid JSON (run `tesim template check` to see where); sending it anyway",
                index + 1,
                planned.kind
            );
        }
        if settings.show_payloads {
            println!("{}", rendered.body);
        }
        let mut headers = static_headers.clone();
        for (name, value) in &rendered.headers {
            let name = http::HeaderName::try_from(name.as_str()).with_context(|| {
                format!("operation header name `{name}` is not a valid HTTP header name")
            })?;
            let value = http::HeaderValue::try_from(value.as_str()).with_context(|| {
                format!("operation header `{name}` rendered a value HTTP cannot carry")
            })?;
            // The operation's header wins over the connector's of the same name.
            headers.retain(|(existing, _)| *existing != name);
            headers.push((name, value));
        }
        let alert_id: Arc<str> = Arc::from(id_text(&planned.notification.alert.id));
        deliveries.push(Delivery {
            offset: planned.offset,
            order_key: planned.order_key.clone(),
            event_id: Arc::from(id_text(&planned.notification.id)),
            event_type: Arc::from(planned.kind),
            alert_id: Some(alert_id),
            body: rendered.body.into(),
            extra_headers: headers,
            path_and_query: Some(rendered.path_and_query).filter(|text| !text.is_empty()),
        });
    }

    let target: Target = connector
        .target
        .parse()
        .with_context(|| format!("connector `{}` target", connector.name))?;
    let mut config = SendConfig::new(target.clone());
    config.auth = connector_auth(&connector)?;
    config.client = settings.client.clone();
    config.speed = settings.speed;
    config.concurrency = settings.concurrency;
    config.retry = if settings.retries == 0 {
        RetryPolicy::off()
    } else {
        RetryPolicy::retries(settings.retries)
    };
    config.log = settings.log.clone();
    println!(
        "tesim: sending {} custom-webhook notification{} (operation `{operation_name}`) to connector `{}` at {target} with {} auth",
        deliveries.len(),
        if deliveries.len() == 1 { "" } else { "s" },
        connector.name,
        connector
            .authentication
            .as_ref()
            .map_or("no", ConnectorAuth::type_name),
    );
    let summary = tesim_sender::run(deliveries, &config, |attempt: &Attempt| {
        let outcome = match (attempt.status, &attempt.error) {
            (Some(status), None) => format!("{status}"),
            (Some(status), Some(error)) => format!("{status} FAILED: {error}"),
            (None, Some(error)) => format!("FAILED: {error}"),
            (None, None) => "no answer".to_owned(),
        };
        println!(
            "  #{:<3} {:<7} {} → {outcome} ({:.0} ms)",
            attempt.index + 1,
            attempt.event_type,
            attempt.url,
            attempt.latency_ms
        );
    })
    .await?;
    println!(
        "{} sent, {} delivered (2xx), {} failed{}",
        summary.sent,
        summary.delivered,
        summary.failed,
        if render_failures > 0 {
            format!(", {render_failures} rendering problem(s)")
        } else {
            String::new()
        }
    );
    Ok(if summary.all_delivered() && render_failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
