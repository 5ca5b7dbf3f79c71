//! Hostile or odd requests (issue 13): each answered consistently, never with a 200 that
//! hides the problem.

use base64::Engine as _;
use http::StatusCode;

use super::support::{Auth, Reply, TOKEN, at, start};

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
async fn a_start_after_now_is_a_400_naming_start_date() {
    let reply = check(
        "/v7/alerts?startDate=9999-12-31T23:59:60Z",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(fields(&reply), ["startDate"]);
    let reply = check(
        "/v7/alerts?startDate=2014-08-25T00:00:00Z&endDate=2014-08-24T00:00:00Z",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(fields(&reply), ["startDate"]);
    let reply = check(
        "/v6/alerts.json?from=9999-12-31T23:59:59",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        reply.json()["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("from "),
        "{}",
        reply.text()
    );
}

fn cursor(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn forged_cursors_are_all_the_same_400() {
    let server = start("page-load", at(1, 0)).await;
    let forged = [
        cursor("tesim:1000"),
        cursor(&format!("tesim:{}", u64::MAX)),
        cursor("tesim:99999999999999999999999"),
        cursor("tesim:-1"),
        "tesim:1000".to_owned(),
        "zzz".to_owned(),
    ];
    let mut bodies = Vec::new();
    for forged in forged {
        let reply = server
            .get(&format!("/v7/alerts?cursor={forged}"), Auth::Bearer(TOKEN))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{forged}");
        assert_eq!(fields(&reply), ["cursor"], "{forged}");
        bodies.push(reply.json()["errors"].clone());
    }
    assert!(bodies.windows(2).all(|pair| pair[0] == pair[1]));
    // The first page's own cursor still works.
    let first = server.ok("/v7/alerts?max=1&window=1d").await;
    if let Some(next) = first["_links"]["next"]["href"].as_str() {
        let path = &next[next.find("/v7/").unwrap()..];
        server.ok(path).await;
    }
    server
        .ok(&format!("/v7/alerts?cursor={}", cursor("tesim:0")))
        .await;
}

#[tokio::test]
async fn malformed_v6_alert_ids_are_404_like_unknown_tests() {
    for path in [
        "/v6/alerts/-1.json",
        "/v6/alerts/abc",
        "/v6/alerts/1.5.json",
    ] {
        let reply = check(path, StatusCode::NOT_FOUND).await;
        assert!(reply.json()["errorMessage"].is_string(), "{path}");
    }
    check("/v6/tests/-1.json", StatusCode::NOT_FOUND).await;
    // A well-formed unknown id keeps the documented empty answer (reference §3.3).
    check("/v6/alerts/999.json", StatusCode::OK).await;
    check(
        "/v6/alerts/7c32734e-ba62-40cb-90f6-b99e43d5649f.json",
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn sdk_date_forms_are_accepted() {
    let server = start("page-load", at(1, 0)).await;
    let mut answers = Vec::new();
    for (start, end) in [
        ("2014-08-24T00:00:00Z", "2030-01-01T00:00:00Z"),
        ("2014-08-24T00:00:00+00:00", "2030-01-01T00:00:00+00:00"),
        ("2014-08-24T00:00:00%2B0000", "2030-01-01T00:00:00%2B0000"),
        (
            "2014-08-24T00:00:00.000000%2B0000",
            "2030-01-01T00:00:00.000000%2B0000",
        ),
    ] {
        let body = server
            .ok(&format!(
                "/v7/alerts?startDate={}&endDate={}",
                start.replace('+', "%2B"),
                end.replace('+', "%2B")
            ))
            .await;
        answers.push(body["alerts"].clone());
    }
    assert!(!answers[0].as_array().unwrap().is_empty());
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]));
}

#[tokio::test]
async fn agent_alerts_id_equals_alert_id() {
    let timeline = super::support::scenario("agent-offline");
    let end = timeline.duration();
    let server = super::support::start_with(timeline, super::support::config(), end).await;
    let list = server.ok("/v7/alerts?window=30d").await;
    let agents: Vec<_> = list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|alert| alert["alertType"] == "agent")
        .collect();
    assert!(!agents.is_empty());
    for alert in agents {
        assert_eq!(alert["id"], alert["alertId"]);
        let detail = server
            .ok(&format!("/v7/alerts/{}", alert["id"].as_str().unwrap()))
            .await;
        assert_eq!(detail["id"], alert["id"]);
    }
}
