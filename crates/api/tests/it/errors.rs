//! 400, 403, 404, 405, 406 bodies.

use http::{Method, StatusCode};

use super::support::{Auth, Reply, TOKEN, at, request, start};

async fn check(path: &str, expected: StatusCode) -> Reply {
    let server = start("page-load", at(1, 0)).await;
    let reply = server.get(path, Auth::Bearer(TOKEN)).await;
    assert_eq!(reply.status, expected, "{path}: {}", reply.text());
    reply
}

fn fields(reply: &Reply) -> Vec<String> {
    reply.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["field"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn v7_400_lists_every_bad_parameter() {
    let reply = check(
        "/v7/alerts?window=5x&state=open&max=0&cursor=zzz",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(fields(&reply), ["window", "state", "max", "cursor"]);
    let body = reply.json();
    assert_eq!(body["status"], 400);
    assert_eq!(body["instance"], "/v7/alerts");
    let reply = check(
        "/v7/alerts?startDate=2014-08-25T00:00:00Z&endDate=2014-08-24T00:00:00Z",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(fields(&reply), ["startDate"]);
    let reply = check("/v7/alerts?endDate=yesterday", StatusCode::BAD_REQUEST).await;
    assert!(
        reply.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2022-07-17T22:00:54Z")
    );
}

#[tokio::test]
async fn v6_400_names_the_parameter() {
    let reply = check("/v6/alerts.json?window=five", StatusCode::BAD_REQUEST).await;
    assert!(
        reply.json()["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("window `five`")
    );
    let reply = check(
        "/v6/alerts.json?window=1d&from=2014-08-24T00:00:00",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        reply.json()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("from/to")
    );
    check("/v6/alerts.json?format=xml", StatusCode::NOT_ACCEPTABLE).await;
    check("/v6/alerts.json?format=json", StatusCode::OK).await;
}

#[tokio::test]
async fn unknown_ids() {
    let reply = check(
        "/v7/alerts/0b7d1e46-0000-4000-8000-000000000000",
        StatusCode::NOT_FOUND,
    )
    .await;
    let body = reply.json();
    assert_eq!(body["title"], "Not found");
    assert_eq!(body["status"], 404);
    // v6 documents an empty answer for an unknown alert, not a 404 (reference §3.3).
    assert_eq!(
        check("/v6/alerts/999.json", StatusCode::OK).await.json(),
        serde_json::json!({"alert": []})
    );
    check("/v6/tests/999.json", StatusCode::NOT_FOUND).await;
    check("/v7/nothing", StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn foreign_account_group_is_403_and_a_bad_one_400() {
    let reply = check("/v7/alerts?aid=12", StatusCode::FORBIDDEN).await;
    assert_eq!(
        reply.json()["title"],
        "Insufficient permissions to query endpoint"
    );
    check("/v6/alerts.json?aid=12", StatusCode::FORBIDDEN).await;
    check("/v7/alerts?aid=11", StatusCode::OK).await;
    check("/v7/alerts?aid=eleven", StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let server = start("page-load", at(1, 0)).await;
    for (method, path) in [
        (Method::POST, "/v7/alerts"),
        (Method::DELETE, "/v6/alerts/35541.json"),
        (Method::PUT, "/openapi.json"),
    ] {
        let reply = request(
            &format!("{}{path}", server.url),
            method.clone(),
            Auth::Bearer(TOKEN),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    }
    let reply = request(
        &format!("{}/v7/alerts", server.url),
        Method::HEAD,
        Auth::Bearer(TOKEN),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());
}
