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
                    Notification::AlertTrigger(_)
                    | Notification::AgentTrigger(_)
                    | Notification::DeviceTrigger(_) => "trigger",
                    Notification::AlertClear(_)
                    | Notification::AgentClear(_)
                    | Notification::DeviceClear(_) => "clear",
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

#[cfg(test)]
mod tests {
    //! Custom-webhook delivery end to end: operation and connector files on disk, a real
    //! capture receiver on 127.0.0.1:0 requiring each connector auth type.

    use std::path::PathBuf;
    use std::time::Duration;

    use serde_json::{Value, json};
    use tesim_receiver::{CapturedRequest, Mode, OAuthConfig, ReceiverConfig, RequiredAuth};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::mpsc;

    use super::*;

    /// A directory of its own per test, removed when dropped.
    struct Dir(PathBuf);

    impl Dir {
        fn new(test: &str) -> Dir {
            let path = std::env::temp_dir()
                .join(format!("tesim-custom-send-{}-{test}", std::process::id()));
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }

        fn write(&self, name: &str, value: &Value) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
            path
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn operation() -> Value {
        json!({
            "id": "cb1b8033-ea2d-4e9b-a920-fe87850693cf", "name": "Alerts", "category": "alerts",
            "status": "connected", "type": "webhook", "enabled": true, "path": "/te alerts",
            "headers": [{"name": "X-Alert-Id", "value": "{{alert.id}}"}, {"name": "X-Team", "value": "from-operation"}],
            "payload": "{\"id\":\"{{id}}\",\"state\":\"{{#eq type 2}}trigger{{else}}clear{{/eq}}\",\"rule\":\"{{alert.rule.name}}\"}",
            "queryParams": "{\"state\":\"{{#eq type 2}}trigger{{else}}clear{{/eq}}\",\"q\":\"a b&c\"}"
        })
    }

    fn connector(target: &str, authentication: Value) -> Value {
        json!({
            "id": "0c0c0c0c-7e51-4000-8000-000000000001", "type": "generic", "name": "Local",
            "target": target, "lastModifiedDate": 1_714_644_920_000_i64,
            "authentication": authentication,
            "headers": [{"name": "X-Team", "value": "sre"}, {"name": "X-Static", "value": "yes"}]
        })
    }

    struct Run {
        code: ExitCode,
        requests: Vec<CapturedRequest>,
    }

    impl Run {
        /// The deliveries, without token-endpoint requests.
        fn deliveries(&self) -> Vec<&CapturedRequest> {
            self.requests
                .iter()
                .filter(|request| !request.path_and_query.starts_with("/oauth/"))
                .collect()
        }
    }

    async fn run(
        test: &str,
        config: ReceiverConfig,
        auth: impl FnOnce(&str) -> Value,
        test_button: bool,
    ) -> Run {
        let dir = Dir::new(test);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let receiver = tesim_receiver::spawn(listener, config, tx).unwrap();
        let base = receiver.url("");
        let operation = dir.write("operation.json", &operation());
        let connector = dir.write(
            "connector.json",
            &connector(&format!("{base}/base"), auth(&base)),
        );
        let code = tokio::time::timeout(
            Duration::from_secs(30),
            send_custom(
                operation,
                connector,
                "default",
                test_button,
                &CustomSendSettings::default(),
            ),
        )
        .await
        .expect("the send finishes")
        .unwrap();
        receiver.shutdown().await;
        let mut requests = Vec::new();
        // Every request was captured before it was answered, and every answer has arrived.
        while let Ok(request) = rx.try_recv() {
            requests.push(request);
        }
        Run { code, requests }
    }

    fn header<'a>(request: &'a CapturedRequest, name: &str) -> &'a str {
        request
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    fn assert_all_delivered(run: &Run) {
        assert_eq!(run.code, ExitCode::SUCCESS);
        let deliveries = run.deliveries();
        // The default scenario: the Test button, then triggers and clears.
        assert!(deliveries.len() >= 5, "{}", deliveries.len());
        for request in deliveries {
            assert_eq!(
                request.answered,
                Some(http::StatusCode::OK),
                "{}",
                request.path_and_query
            );
        }
    }

    #[tokio::test]
    async fn renders_path_query_headers_and_body() {
        let run = run("shape", ReceiverConfig::default(), |_| Value::Null, false).await;
        assert_all_delivered(&run);
        let deliveries = run.deliveries();
        let states: Vec<&str> = deliveries
            .iter()
            .map(|r| r.json.as_ref().unwrap()["state"].as_str().unwrap())
            .collect();
        assert!(
            states.contains(&"trigger") && states.contains(&"clear"),
            "{states:?}"
        );
        for request in &deliveries {
            let state = request.json.as_ref().unwrap()["state"].as_str().unwrap();
            assert_eq!(
                request.path_and_query,
                format!("/base/te%20alerts?state={state}&q=a%20b%26c")
            );
            assert_eq!(header(request, "content-type"), "application/json");
            // The operation's header wins over the connector's static one of the same name.
            assert_eq!(header(request, "x-team"), "from-operation");
            assert_eq!(header(request, "x-static"), "yes");
            assert!(!header(request, "x-alert-id").is_empty());
            assert!(request.headers.get("authorization").is_none());
        }
    }

    #[tokio::test]
    async fn basic_auth() {
        let config = ReceiverConfig {
            auth: Some(RequiredAuth::Basic {
                username: "alice".into(),
                password: "s3:cret".into(),
            }),
            ..ReceiverConfig::default()
        };
        let run = run(
            "basic",
            config,
            |_| json!({"type": "basic", "username": "alice", "password": "s3:cret"}),
            false,
        )
        .await;
        assert_all_delivered(&run);
    }

    #[tokio::test]
    async fn wrong_basic_password_fails_with_exit_code_1() {
        let config = ReceiverConfig {
            auth: Some(RequiredAuth::Basic {
                username: "alice".into(),
                password: "right".into(),
            }),
            ..ReceiverConfig::default()
        };
        let run = run(
            "basic-wrong",
            config,
            |_| json!({"type": "basic", "username": "alice", "password": "wrong"}),
            false,
        )
        .await;
        assert_eq!(run.code, ExitCode::from(1));
        assert!(
            run.deliveries()
                .iter()
                .all(|r| r.answered == Some(http::StatusCode::UNAUTHORIZED))
        );
    }

    #[tokio::test]
    async fn bearer_token_auth() {
        let config = ReceiverConfig {
            auth: Some(RequiredAuth::Bearer {
                token: "t0ken".into(),
            }),
            ..ReceiverConfig::default()
        };
        let run = run(
            "bearer",
            config,
            |_| json!({"type": "bearer-token", "token": "t0ken"}),
            false,
        )
        .await;
        assert_all_delivered(&run);
    }

    #[tokio::test]
    async fn other_token_is_sent_verbatim() {
        let run = run(
            "other",
            ReceiverConfig::default(),
            |_| json!({"type": "other-token", "token": "ApiKey k-123"}),
            false,
        )
        .await;
        assert_all_delivered(&run);
        for request in run.deliveries() {
            assert_eq!(header(request, "authorization"), "ApiKey k-123");
        }
    }

    fn oauth_receiver() -> ReceiverConfig {
        ReceiverConfig {
            auth: Some(RequiredAuth::OAuth2),
            oauth: Some(OAuthConfig::default()),
            ..ReceiverConfig::default()
        }
    }

    #[tokio::test]
    async fn oauth_client_credentials() {
        let oauth = OAuthConfig::default();
        let run = run(
            "oauth-cc",
            oauth_receiver(),
            |base| {
                json!({"type": "oauth-client-credentials", "oauthClientId": oauth.client_id,
                       "oauthClientSecret": oauth.client_secret, "oauthTokenUrl": format!("{base}/oauth/token")})
            },
            false,
        )
        .await;
        assert_all_delivered(&run);
        let token_requests = run.requests.len() - run.deliveries().len();
        assert_eq!(token_requests, 1, "one token, reused for every delivery");
    }

    /// A refresh token from the receiver's token endpoint, fetched with a hand-written request
    /// (what ThousandEyes' authorization-code exchange would have left in the connector).
    async fn refresh_token(addr: std::net::SocketAddr, oauth: &OAuthConfig) -> String {
        let body = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            oauth.client_id, oauth.client_secret
        );
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            oauth.token_path,
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer))
            .await
            .unwrap()
            .unwrap();
        let json: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        json["refresh_token"]
            .as_str()
            .expect("the endpoint issues refresh tokens")
            .to_owned()
    }

    #[tokio::test]
    async fn oauth_auth_code_with_refresh() {
        let oauth = OAuthConfig::default();
        let dir = Dir::new("oauth-code");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let receiver = tesim_receiver::spawn(listener, oauth_receiver(), tx).unwrap();
        let refresh = refresh_token(receiver.local_addr(), &oauth).await;
        let base = receiver.url("");
        let authentication = json!({"type": "oauth-auth-code", "oauthClientId": oauth.client_id,
            "oauthClientSecret": oauth.client_secret, "oauthAuthUrl": format!("{base}/oauth/authorize"),
            "oauthTokenUrl": format!("{base}/oauth/token"), "code": "used-once",
            "redirectUri": "https://app.thousandeyes.com/oauth/callback", "refreshToken": refresh});
        let operation = dir.write("operation.json", &operation());
        let connector = dir.write(
            "connector.json",
            &connector(&format!("{base}/base"), authentication),
        );
        let code = send_custom(
            operation,
            connector,
            "default",
            false,
            &CustomSendSettings::default(),
        )
        .await
        .unwrap();
        receiver.shutdown().await;
        let mut requests = Vec::new();
        while let Ok(request) = rx.try_recv() {
            requests.push(request);
        }
        let run = Run { code, requests };
        assert_all_delivered(&run);
        let refresh_grants = run
            .requests
            .iter()
            .filter(|r| {
                r.path_and_query.starts_with("/oauth/")
                    && String::from_utf8_lossy(&r.body).contains("grant_type=refresh_token")
            })
            .count();
        assert_eq!(refresh_grants, 1);
    }

    #[tokio::test]
    async fn auth_code_without_refresh_token_is_a_configuration_error() {
        let dir = Dir::new("oauth-code-missing");
        let authentication = json!({"type": "oauth-auth-code", "oauthClientId": "c", "oauthClientSecret": "s",
            "oauthAuthUrl": "http://127.0.0.1:9/a", "oauthTokenUrl": "http://127.0.0.1:9/t", "code": "x",
            "redirectUri": "http://127.0.0.1:9/r"});
        let operation = dir.write("operation.json", &operation());
        let connector = dir.write(
            "connector.json",
            &connector("http://127.0.0.1:9/base", authentication),
        );
        let err = send_custom(
            operation,
            connector,
            "default",
            false,
            &CustomSendSettings::default(),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("refreshToken"), "{err}");
    }

    #[tokio::test]
    async fn test_button_sends_one_http_server_trigger() {
        let run = run(
            "test-button",
            ReceiverConfig::default(),
            |_| Value::Null,
            true,
        )
        .await;
        assert_eq!(run.code, ExitCode::SUCCESS);
        let deliveries = run.deliveries();
        assert_eq!(deliveries.len(), 1);
        assert_eq!(deliveries[0].json.as_ref().unwrap()["state"], "trigger");
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let config = ReceiverConfig::with_mode(Mode::Redirect {
            status: http::StatusCode::TEMPORARY_REDIRECT,
            to: tesim_receiver::RedirectTarget::Path("/elsewhere".into()),
        });
        let run = run("redirect", config, |_| Value::Null, true).await;
        assert_eq!(run.code, ExitCode::from(1));
        assert_eq!(run.requests.len(), 1, "the redirect was followed");
    }

    #[test]
    fn connector_auth_maps_every_type() {
        let parse = |auth: Value| {
            let connector =
                GenericConnector::from_value(&connector("https://x.example/", auth)).unwrap();
            connector_auth(&connector).unwrap()
        };
        assert!(matches!(parse(Value::Null), Auth::None));
        assert!(matches!(
            parse(json!({"type": "bearer-token", "token": "t"})),
            Auth::Bearer(_)
        ));
        assert!(matches!(
            parse(json!({"type": "other-token", "token": "t"})),
            Auth::OtherToken(_)
        ));
        assert!(matches!(
            parse(
                json!({"type": "oauth-auth-code", "oauthClientId": "c", "oauthClientSecret": "s",
                "oauthAuthUrl": "https://a.example/", "oauthTokenUrl": "https://t.example/", "code": "x",
                "redirectUri": "https://r.example/", "token": "access"})
            ),
            Auth::Bearer(_)
        ));
    }
}
