//! v6 takes Basic (e-mail + token) and Bearer; v7 takes Bearer only.

use http::StatusCode;
use serde_json::json;

use super::support::{Auth, TOKEN, USER, start};

async fn check(path: &str, auth: Auth<'_>, expected: StatusCode) -> super::support::Reply {
    let server = start("page-load", super::support::at(1, 0)).await;
    let reply = server.get(path, auth).await;
    assert_eq!(reply.status, expected, "{path} {auth:?}: {}", reply.text());
    reply
}

#[tokio::test]
async fn v6_accepts_basic_and_bearer() {
    check("/v6/alerts.json", Auth::Basic(USER, TOKEN), StatusCode::OK).await;
    check("/v6/tests.json", Auth::Bearer(TOKEN), StatusCode::OK).await;
}

#[tokio::test]
async fn v6_refuses_missing_and_wrong_credentials() {
    for auth in [
        Auth::None,
        Auth::Basic(USER, "wrong"),
        Auth::Basic("someone@else.example", TOKEN),
        Auth::Bearer("wrong"),
    ] {
        let reply = check("/v6/alerts.json", auth, StatusCode::UNAUTHORIZED).await;
        assert!(
            reply.json()["errorMessage"]
                .as_str()
                .unwrap()
                .contains("API token")
        );
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Basic realm=\"ThousandEyes API\"")
        );
    }
}

#[tokio::test]
async fn v7_accepts_bearer_only_with_the_reference_401_body() {
    check("/v7/alerts", Auth::Bearer(TOKEN), StatusCode::OK).await;
    for auth in [Auth::None, Auth::Bearer("wrong"), Auth::Basic(USER, TOKEN)] {
        let reply = check("/v7/alerts", auth, StatusCode::UNAUTHORIZED).await;
        assert_eq!(
            reply.json(),
            json!({"error": "invalid_token", "error_description": "Invalid access token"})
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert!(
            reply
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer")
        );
    }
}

#[tokio::test]
async fn openapi_needs_no_credentials() {
    let reply = check("/openapi.json", Auth::None, StatusCode::OK).await;
    assert_eq!(reply.json()["openapi"], "3.0.3");
}
