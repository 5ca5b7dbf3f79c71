//! Each auth mode, as the receiver sees it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use tesim_sender::{Auth, ErrorKind, SendConfig, Summary, run};

use crate::support::{Server, client_config, delivery, ok, respond, serve};

async fn send(server: &Server, auth: Auth, n: usize) -> Summary {
    let mut config = SendConfig::new(server.target("/hook"));
    config.auth = auth;
    config.client = client_config();
    let deliveries: Vec<_> = (0..n)
        .map(|i| delivery(&format!("e{i}"), Some("a1")))
        .collect();
    run(deliveries, &config, |_| {}).await.unwrap()
}

/// Sends one delivery with `auth` and returns the `Authorization` header the receiver saw.
async fn check(auth: &str, expected: Option<&str>) {
    let mut server = serve(ok()).await;
    let summary = send(&server, auth.parse().unwrap(), 1).await;
    assert!(summary.all_delivered(), "{summary:?}");
    let got = server.next().await;
    assert_eq!(got.header("authorization"), expected, "{auth}");
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.method, http::Method::POST);
    assert_eq!(got.json()["eventId"], "e0");
}

#[tokio::test]
async fn none_sends_no_authorization() {
    check("none", None).await;
}

#[tokio::test]
async fn basic() {
    // base64("bob:s3:cret")
    check("basic:bob:s3:cret", Some("Basic Ym9iOnMzOmNyZXQ=")).await;
}

#[tokio::test]
async fn bearer() {
    check("bearer:tok-123", Some("Bearer tok-123")).await;
}

#[tokio::test]
async fn other_token_is_sent_verbatim() {
    check("other-token:Token xyz", Some("Token xyz")).await;
}

#[tokio::test]
async fn secret_from_file() {
    let scratch = crate::support::Scratch::new("secret");
    let path = scratch.path("token");
    std::fs::write(&path, "from-file\n").unwrap();
    check(
        &format!("bearer:file:{}", path.display()),
        Some("Bearer from-file"),
    )
    .await;
}

#[tokio::test]
async fn custom_headers_from_client_and_delivery() {
    let mut server = serve(ok()).await;
    let mut config = SendConfig::new(server.target("/hook"));
    config.client = client_config();
    config.client.headers = vec![(
        http::HeaderName::from_static("x-api-key"),
        tesim_sender::Secret::new("k-1"),
    )];
    let mut one = delivery("e1", None);
    one.extra_headers = vec![(
        http::HeaderName::from_static("x-te-operation"),
        http::HeaderValue::from_static("op-1"),
    )];
    let summary = run(vec![one], &config, |_| {}).await.unwrap();
    assert!(summary.all_delivered());
    let got = server.next().await;
    assert_eq!(got.header("x-api-key"), Some("k-1"));
    assert_eq!(got.header("x-te-operation"), Some("op-1"));
    assert!(got.header("user-agent").unwrap().starts_with("tesim/"));
    assert_eq!(got.header("authorization"), None);
}

#[tokio::test]
async fn wrong_credentials_are_reported_as_unauthorized() {
    let server = serve(Arc::new(|captured| {
        if captured.header("authorization") == Some("Basic Ym9iOnJpZ2h0") {
            respond(200, "{}")
        } else {
            respond(401, "{}")
        }
    }))
    .await;
    let summary = send(&server, "basic:bob:wrong".parse().unwrap(), 1).await;
    assert_eq!(summary.failed, 1);
    assert_eq!(
        summary.failures_by_kind.get(&ErrorKind::Unauthorized),
        Some(&1)
    );
    let error = summary.failures[0].error.as_deref().unwrap();
    assert!(
        error.contains("the receiver refused the credentials sent"),
        "{error}"
    );
    assert!(!error.contains("wrong"), "secret in message: {error}");
    let summary = send(&server, "basic:bob:right".parse().unwrap(), 1).await;
    assert!(summary.all_delivered());
}

/// A token endpoint handing out `t1`, `t2`, ... with the given `expires_in`.
async fn token_server(expires_in: Option<u64>) -> Server {
    let issued = Arc::new(AtomicUsize::new(0));
    serve(Arc::new(move |captured| {
        let form = captured.form();
        let grant = form
            .iter()
            .find(|(k, _)| k == "grant_type")
            .map(|(_, v)| v.as_str());
        if grant.is_none() {
            return respond(400, r#"{"error":"invalid_request"}"#);
        }
        let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
        let mut answer = serde_json::json!({
            "access_token": format!("t{n}"),
            "token_type": "Bearer",
            "refresh_token": format!("r{}", n + 1),
        });
        if let Some(expires_in) = expires_in {
            answer["expires_in"] = expires_in.into();
        }
        respond(200, &answer.to_string())
    }))
    .await
}

fn oauth(token: &Server, extra: &str) -> Auth {
    format!(
        "oauth2:{},client_id=app,client_secret=sec:ret{extra}",
        token.url("/token")
    )
    .parse()
    .unwrap()
}

#[tokio::test]
async fn oauth_client_credentials_fetches_once_and_caches() {
    let mut token = token_server(Some(3600)).await;
    let mut receiver = serve(ok()).await;
    let summary = send(&receiver, oauth(&token, ",scope=webhooks"), 3).await;
    assert!(summary.all_delivered(), "{summary:?}");
    assert_eq!(summary.token_fetches, 1);
    let fetch = token.next().await;
    assert_eq!(
        fetch.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let basic = base64::engine::general_purpose::STANDARD.encode("app:sec%3Aret");
    assert_eq!(
        fetch.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    let form = fetch.form();
    assert!(form.contains(&("grant_type".into(), "client_credentials".into())));
    assert!(form.contains(&("scope".into(), "webhooks".into())));
    assert!(token.drain().is_empty(), "token fetched more than once");
    for _ in 0..3 {
        assert_eq!(
            receiver.next().await.header("authorization"),
            Some("Bearer t1")
        );
    }
}

#[tokio::test]
async fn oauth_client_secret_in_body() {
    let mut token = token_server(Some(3600)).await;
    let receiver = serve(ok()).await;
    let summary = send(&receiver, oauth(&token, ",client_auth=body"), 1).await;
    assert!(summary.all_delivered());
    let fetch = token.next().await;
    assert_eq!(fetch.header("authorization"), None);
    let form = fetch.form();
    assert!(form.contains(&("client_id".into(), "app".into())));
    assert!(form.contains(&("client_secret".into(), "sec:ret".into())));
}

#[tokio::test]
async fn oauth_token_is_renewed_when_it_expires() {
    // expires_in 0: due for renewal at once, so every delivery gets a new token.
    let token = token_server(Some(0)).await;
    let mut receiver = serve(ok()).await;
    let summary = send(&receiver, oauth(&token, ""), 3).await;
    assert!(summary.all_delivered());
    assert_eq!(summary.token_fetches, 3);
    for expected in ["Bearer t1", "Bearer t2", "Bearer t3"] {
        assert_eq!(
            receiver.next().await.header("authorization"),
            Some(expected)
        );
    }
}

#[tokio::test]
async fn oauth_token_is_fetched_again_once_on_401() {
    let token = token_server(Some(3600)).await;
    // The receiver has revoked t1 and accepts only t2.
    let mut receiver = serve(Arc::new(|captured| {
        if captured.header("authorization") == Some("Bearer t2") {
            respond(200, "{}")
        } else {
            respond(401, "{}")
        }
    }))
    .await;
    let summary = send(&receiver, oauth(&token, ""), 2).await;
    assert!(summary.all_delivered(), "{summary:?}");
    assert_eq!(summary.token_fetches, 2);
    let seen: Vec<_> = (0..3)
        .map(|_| {
            receiver
                .requests
                .try_recv()
                .unwrap()
                .header("authorization")
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(seen, ["Bearer t1", "Bearer t2", "Bearer t2"]);
}

#[tokio::test]
async fn oauth_gives_up_after_one_refetch() {
    let token = token_server(Some(3600)).await;
    let mut receiver = serve(Arc::new(|_| respond(401, "{}"))).await;
    let summary = send(&receiver, oauth(&token, ""), 1).await;
    assert_eq!(
        summary.failures_by_kind.get(&ErrorKind::Unauthorized),
        Some(&1)
    );
    assert_eq!(summary.token_fetches, 2);
    assert_eq!(
        receiver.drain().len(),
        2,
        "exactly one retry with a fresh token"
    );
}

#[tokio::test]
async fn oauth_refresh_token_grant_follows_rotation() {
    let mut token = token_server(Some(0)).await;
    let receiver = serve(ok()).await;
    let auth: Auth = format!(
        "oauth2-refresh:{},client_id=app,client_secret=s,refresh_token=r1",
        token.url("/token")
    )
    .parse()
    .unwrap();
    let summary = send(&receiver, auth, 2).await;
    assert!(summary.all_delivered());
    let first = token.next().await.form();
    assert!(first.contains(&("grant_type".into(), "refresh_token".into())));
    assert!(first.contains(&("refresh_token".into(), "r1".into())));
    // The endpoint answered with refresh_token r2: the next grant uses it.
    let second = token.next().await.form();
    assert!(
        second.contains(&("refresh_token".into(), "r2".into())),
        "{second:?}"
    );
}

#[tokio::test]
async fn token_endpoint_errors_are_explained() {
    let token = serve(Arc::new(|_| {
        respond(
            400,
            r#"{"error":"invalid_client","error_description":"bad secret"}"#,
        )
    }))
    .await;
    let mut receiver = serve(ok()).await;
    let summary = send(&receiver, oauth(&token, ""), 1).await;
    assert_eq!(summary.failures_by_kind.get(&ErrorKind::Token), Some(&1));
    let error = summary.failures[0].error.as_deref().unwrap();
    assert!(
        error.contains("invalid_client") && error.contains("bad secret"),
        "{error}"
    );
    assert!(error.contains(&token.url("/token")), "{error}");
    assert!(!error.contains("sec:ret"), "{error}");
    assert!(receiver.drain().is_empty(), "sent without a token");
}

#[tokio::test]
async fn receiver_headers_never_reach_the_token_endpoint() {
    let mut token = token_server(Some(3600)).await;
    let mut receiver = serve(ok()).await;
    let mut config = SendConfig::new(receiver.target("/hook"));
    config.auth = oauth(&token, "");
    config.client = client_config();
    config.client.headers = vec![(
        http::HeaderName::from_static("x-api-key"),
        tesim_sender::Secret::new("receiver-key"),
    )];
    let summary = run(vec![delivery("e1", None)], &config, |_| {})
        .await
        .unwrap();
    assert!(summary.all_delivered());
    assert_eq!(token.next().await.header("x-api-key"), None);
    assert_eq!(
        receiver.next().await.header("x-api-key"),
        Some("receiver-key")
    );
}

#[tokio::test]
async fn oauth_token_is_renewed_shortly_before_expiry() {
    // A 1 s token is renewed after 0.9 s: the delivery at +1 s gets a new one.
    let token = token_server(Some(1)).await;
    let mut receiver = serve(ok()).await;
    let mut config = SendConfig::new(receiver.target("/hook"));
    config.auth = oauth(&token, "");
    config.client = client_config();
    config.speed = tesim_sender::Speed::Realtime;
    let mut later = delivery("e2", Some("a1"));
    later.offset = std::time::Duration::from_secs(1);
    let summary = run(vec![delivery("e1", Some("a1")), later], &config, |_| {})
        .await
        .unwrap();
    assert!(summary.all_delivered());
    assert_eq!(summary.token_fetches, 2);
    assert_eq!(
        receiver.next().await.header("authorization"),
        Some("Bearer t1")
    );
    assert_eq!(
        receiver.next().await.header("authorization"),
        Some("Bearer t2")
    );
}
