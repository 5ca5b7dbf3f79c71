//! The integrations routes behind this server's auth, rate limit and `aid`.

use bytes::Bytes;
use http::{Method, StatusCode};

use super::support::{Auth, TOKEN, at, start, try_request_with_body};

#[tokio::test]
async fn connectors_are_served_with_bearer_auth_and_rate_headers() {
    let server = start("page-load", at(1, 0)).await;
    let url = format!("{}/v7/connectors/generic", server.url);
    let connector =
        r#"{"type":"generic","name":"receiver","target":"https://receiver.example/hook"}"#;
    let created = try_request_with_body(
        &url,
        Method::POST,
        Auth::Bearer(TOKEN),
        Bytes::from(connector),
    )
    .await
    .unwrap();
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert!(created.header("x-organization-rate-limit-limit").is_some());
    let listed = server
        .get("/v7/connectors/generic", Auth::Bearer(TOKEN))
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json()["items"][0]["name"], "receiver");
    assert_eq!(server.api.integrations().connectors().len(), 1);

    let refused = server.get("/v7/connectors/generic", Auth::None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["error"], "invalid_token");
    let foreign = server
        .get("/v7/operations/webhooks?aid=99", Auth::Bearer(TOKEN))
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    // Not an integrations path: the ordinary 404.
    assert_eq!(
        server
            .get("/v7/connectorsX", Auth::Bearer(TOKEN))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
