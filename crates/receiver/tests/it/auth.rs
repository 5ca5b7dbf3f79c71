use std::time::Duration;

use base64::Engine as _;
use tesim_receiver::{OAuthConfig, ReceiverConfig, RequiredAuth};

use super::client;

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

async fn status_with(config: ReceiverConfig, authorization: Option<&str>) -> (u16, Option<String>) {
    let (receiver, _rx) = client::start(config).await;
    let headers: Vec<(&str, &str)> = authorization
        .map(|value| ("authorization", value))
        .into_iter()
        .collect();
    let answer = client::post_json(
        receiver.local_addr(),
        "/hook",
        &headers,
        &client::trigger("1-1", 1),
    )
    .await;
    let challenge = answer
        .headers
        .get("www-authenticate")
        .map(|value| value.to_str().unwrap().to_owned());
    (answer.status.as_u16(), challenge)
}

fn basic_config() -> ReceiverConfig {
    ReceiverConfig {
        auth: Some(RequiredAuth::Basic {
            username: "alice".into(),
            password: "pw".into(),
        }),
        ..ReceiverConfig::default()
    }
}

#[tokio::test]
async fn basic_auth() {
    let (status, challenge) = status_with(basic_config(), None).await;
    assert_eq!(status, 401);
    assert!(challenge.unwrap().starts_with("Basic realm="));
    assert_eq!(
        status_with(basic_config(), Some(&basic("alice", "nope")))
            .await
            .0,
        401
    );
    assert_eq!(status_with(basic_config(), Some("Bearer pw")).await.0, 401);
    assert_eq!(
        status_with(basic_config(), Some(&basic("alice", "pw"))).await,
        (200, None)
    );
}

#[tokio::test]
async fn captured_credentials_do_not_show_in_debug() {
    let (receiver, mut rx) = client::start(basic_config()).await;
    let authorization = basic("alice", "pw-secret-1");
    client::post_json(
        receiver.local_addr(),
        "/hook",
        &[("authorization", &authorization)],
        &client::trigger("1-1", 1),
    )
    .await;
    let got = client::next(&mut rx).await;
    assert_eq!(got.headers["authorization"], authorization.as_str());
    let debug = format!("{got:?}");
    assert!(!debug.contains(&authorization[6..]), "{debug}");
}

#[tokio::test]
async fn bearer_auth() {
    let config = || ReceiverConfig {
        auth: Some(RequiredAuth::Bearer {
            token: "t0k".into(),
        }),
        ..ReceiverConfig::default()
    };
    assert_eq!(status_with(config(), None).await.0, 401);
    assert_eq!(status_with(config(), Some("Bearer other")).await.0, 401);
    assert_eq!(status_with(config(), Some("Bearer t0k")).await.0, 200);
}

#[tokio::test]
async fn broken_auth_modes() {
    let ignore = || ReceiverConfig {
        mode: tesim_receiver::Mode::IgnoreAuth,
        ..basic_config()
    };
    assert_eq!(status_with(ignore(), None).await.0, 200);
    assert_eq!(status_with(ignore(), Some(&basic("x", "y"))).await.0, 200);
    let any = || ReceiverConfig {
        mode: tesim_receiver::Mode::AcceptWrongCredentials,
        ..basic_config()
    };
    assert_eq!(status_with(any(), None).await.0, 401);
    assert_eq!(status_with(any(), Some(&basic("x", "y"))).await.0, 200);
}

fn oauth_config(expires_in: Duration) -> ReceiverConfig {
    ReceiverConfig {
        auth: Some(RequiredAuth::OAuth2),
        oauth: Some(OAuthConfig {
            expires_in,
            ..OAuthConfig::default()
        }),
        ..ReceiverConfig::default()
    }
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

#[tokio::test]
async fn oauth_client_credentials_then_refresh() {
    let (receiver, _rx) = client::start(oauth_config(Duration::from_secs(300))).await;
    let addr = receiver.local_addr();
    let client_auth = basic("tesim-client", "tesim-secret");
    let answer = client::request(
        addr,
        "POST",
        "/oauth/token",
        &[FORM, ("authorization", &client_auth)],
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["cache-control"], "no-store");
    let token = answer.json();
    assert_eq!(
        (token["token_type"].as_str(), token["expires_in"].as_u64()),
        (Some("Bearer"), Some(300))
    );
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    assert_eq!(
        client::post_json(
            addr,
            "/hook",
            &[("authorization", &bearer)],
            &client::trigger("1-1", 1)
        )
        .await
        .status,
        200
    );
    assert_eq!(
        client::post_json(
            addr,
            "/hook",
            &[("authorization", "Bearer made-up")],
            &client::trigger("1-2", 1)
        )
        .await
        .status,
        401
    );

    let form = format!(
        "grant_type=refresh_token&refresh_token={}&client_id=tesim-client&client_secret=tesim-secret",
        token["refresh_token"].as_str().unwrap()
    );
    let answer = client::request(addr, "POST", "/oauth/token", &[FORM], form).await;
    assert_eq!(answer.status, 200);
    assert_eq!(receiver.server().tokens_issued(), 2);

    let answer = client::request(
        addr,
        "POST",
        "/oauth/token",
        &[FORM],
        "grant_type=client_credentials&client_id=tesim-client&client_secret=wrong",
    )
    .await;
    assert_eq!(
        (answer.status.as_u16(), answer.json()["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert_eq!(
        client::request(addr, "GET", "/oauth/token", &[], "")
            .await
            .status,
        405
    );
}

#[tokio::test]
async fn oauth_expired_token_is_rejected() {
    // expires_in 0: the token is expired as soon as it is issued, no waiting needed.
    let (receiver, _rx) = client::start(oauth_config(Duration::ZERO)).await;
    let addr = receiver.local_addr();
    let answer = client::request(
        addr,
        "POST",
        "/oauth/token",
        &[FORM],
        "grant_type=client_credentials&client_id=tesim-client&client_secret=tesim-secret",
    )
    .await;
    let bearer = format!("Bearer {}", answer.json()["access_token"].as_str().unwrap());
    let answer = client::post_json(
        addr,
        "/hook",
        &[("authorization", &bearer)],
        &client::trigger("1-1", 1),
    )
    .await;
    assert_eq!(answer.status, 401);
    assert!(
        answer.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );
}
