//! Custom-webhook delivery end to end: operation and connector files on disk, the plan sent by
//! `tesim_sender::run` to a real capture receiver on 127.0.0.1:0 requiring each connector auth
//! type.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use tesim_model::custom::GenericConnector;
use tesim_pipeline::{CustomError, CustomWebhook, custom, plan};
use tesim_receiver::{CapturedRequest, Mode, OAuthConfig, ReceiverConfig, RequiredAuth};
use tesim_sender::{Auth, SendConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// A directory of its own per test, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Dir {
        let path = std::env::temp_dir().join(format!(
            "tesim-pipeline-custom-{}-{test}",
            std::process::id()
        ));
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
    all_delivered: bool,
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

/// Loads, plans and sends like `tesim send --operation` does.
async fn send(
    operation: PathBuf,
    connector: PathBuf,
    test_button: bool,
) -> Result<bool, CustomError> {
    let webhook = CustomWebhook::load(&operation, &connector)?;
    let events = if test_button {
        custom::test_button_events(plan::now().unwrap())
    } else {
        custom::scenario_events(&plan::timeline("default", 1, None).unwrap())
    };
    let custom_plan = webhook.plan(&events)?;
    assert!(custom_plan.problems.is_empty());
    let mut config = SendConfig::new(webhook.target()?);
    config.auth = webhook.auth()?;
    config.concurrency = 1;
    let summary = tokio::time::timeout(
        Duration::from_secs(30),
        tesim_sender::run(custom_plan.deliveries, &config, |_| {}),
    )
    .await
    .expect("the send finishes")
    .unwrap();
    Ok(summary.all_delivered())
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
    let all_delivered = send(operation, connector, test_button).await.unwrap();
    receiver.shutdown().await;
    let mut requests = Vec::new();
    // Every request was captured before it was answered, and every answer has arrived.
    while let Ok(request) = rx.try_recv() {
        requests.push(request);
    }
    Run {
        all_delivered,
        requests,
    }
}

fn header<'a>(request: &'a CapturedRequest, name: &str) -> &'a str {
    request
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

fn assert_all_delivered(run: &Run) {
    assert!(run.all_delivered);
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
async fn wrong_basic_password_is_refused() {
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
    assert!(!run.all_delivered);
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
    let all_delivered = send(operation, connector, false).await.unwrap();
    receiver.shutdown().await;
    let mut requests = Vec::new();
    while let Ok(request) = rx.try_recv() {
        requests.push(request);
    }
    let run = Run {
        all_delivered,
        requests,
    };
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
    let err = CustomWebhook::load(&operation, &connector).err().unwrap();
    assert!(matches!(err, CustomError::NoRefreshToken));
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
    assert!(run.all_delivered);
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
    assert!(!run.all_delivered);
    assert_eq!(run.requests.len(), 1, "the redirect was followed");
}

#[test]
fn a_body_that_is_not_json_is_sent_and_reported() {
    let dir = Dir::new("not-json");
    let mut broken = operation();
    broken["payload"] = json!("{\"id\": {{id}}");
    let operation = dir.write("operation.json", &broken);
    let connector = dir.write(
        "connector.json",
        &connector("http://127.0.0.1:9/base", Value::Null),
    );
    let webhook = CustomWebhook::load(&operation, &connector).unwrap();
    let custom_plan = webhook
        .plan(&custom::test_button_events(plan::now().unwrap()))
        .unwrap();
    assert_eq!(custom_plan.deliveries.len(), 1);
    assert_eq!(
        custom_plan.problems[0].to_string(),
        "event 1 (test): the body is not valid JSON; sending it anyway"
    );
}

#[test]
fn connector_auth_maps_every_type() {
    let parse = |auth: Value| {
        let connector =
            GenericConnector::from_value(&connector("https://x.example/", auth)).unwrap();
        custom::connector_auth(&connector).unwrap()
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

/// Streamed one at a time, a custom webhook's deliveries and problems are those of the plan of
/// the compiled timeline: same bodies, headers, paths, ids, offsets and order keys, and the
/// same problems in the same order (clears here are not JSON: reported and sent anyway).
#[test]
fn streamed_custom_deliveries_are_the_planned_ones() {
    let dir = Dir::new("streamed");
    let mut operation = operation();
    operation["payload"] = json!("{{#eq type 2}}{\"id\":\"{{id}}\"}{{else}}cleared {{id}}{{/eq}}");
    let operation = dir.write("operation.json", &operation);
    let connector = dir.write(
        "connector.json",
        &connector("http://127.0.0.1:9/base", json!(null)),
    );
    let webhook = std::sync::Arc::new(CustomWebhook::load(&operation, &connector).unwrap());
    let pin = |delivery: &tesim_sender::Delivery| {
        format!(
            "{:?} {} {} {:?} {:?} {:?} {:?} {:?}",
            delivery.offset,
            delivery.event_id,
            delivery.event_type,
            delivery.alert_id,
            delivery.order_key,
            delivery.path_and_query,
            delivery.extra_headers,
            delivery.body
        )
    };
    for name in ["default", "storm", "flapping", "day-in-the-life"] {
        let planned = webhook
            .plan(&custom::scenario_events(
                &plan::timeline(name, 5, None).unwrap(),
            ))
            .unwrap();
        let found = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = found.clone();
        let stream = custom::CustomStream::new(
            webhook.clone(),
            plan::events_in(name, 5, None, None).unwrap(),
            Box::new(move |problem| sink.lock().unwrap().push(problem.to_string())),
        );
        let verdict = stream.verdict();
        let streamed: Vec<String> = stream.map(|delivery| pin(&delivery)).collect();
        assert!(matches!(verdict.get(), Some(Ok(()))), "{name}");
        let expected: Vec<String> = planned.deliveries.iter().map(pin).collect();
        assert_eq!(streamed, expected, "{name}");
        let problems: Vec<String> = planned.problems.iter().map(ToString::to_string).collect();
        assert!(!problems.is_empty(), "{name}: the clears are not JSON");
        assert_eq!(*found.lock().unwrap(), problems, "{name}");
    }
}
