//! Active-only by default; windows and ranges bring back cleared alerts with their end.
//!
//! `page-load` (the KB example): alert 35541 triggers at +0s on 2014-08-24 01:01:47 and clears
//! at +8m4s (01:09:51).

use http::StatusCode;

use super::support::{Auth, at, start, v6_ids, v7_ids};

#[tokio::test]
async fn v6_default_list_holds_only_active_alerts() {
    let server = start("page-load", at(1, 0)).await;
    assert_eq!(v6_ids(&server.ok("/v6/alerts.json").await), [35541]);
    server.at(at(10, 0));
    assert!(v6_ids(&server.ok("/v6/alerts.json").await).is_empty());
}

#[tokio::test]
async fn v6_window_keeps_cleared_alerts_with_their_end() {
    let server = start("page-load", at(10, 0)).await;
    let body = server.ok("/v6/alerts.json?window=5d").await;
    assert_eq!(v6_ids(&body), [35541]);
    assert_eq!(body["alert"][0]["active"], 0);
    assert_eq!(body["alert"][0]["dateEnd"], "2014-08-24 01:09:51");
    // Ended at +8m4s; a 60 s window at +10m starts at +9m: nothing.
    assert!(v6_ids(&server.ok("/v6/alerts.json?window=60").await).is_empty());
    assert_eq!(
        v6_ids(&server.ok("/v6/alerts.json?window=2m").await),
        [35541]
    );
}

#[tokio::test]
async fn v6_from_to_ranges() {
    let server = start("page-load", at(10, 0)).await;
    let range = |from: &str, to: &str| format!("/v6/alerts.json?from={from}&to={to}");
    let during = range("2014-08-24T01:05:00", "2014-08-24T01:06:00");
    assert_eq!(v6_ids(&server.ok(&during).await), [35541]);
    let before = range("2014-08-24T00:00:00", "2014-08-24T01:00:00");
    assert!(v6_ids(&server.ok(&before).await).is_empty());
    let from_only = "/v6/alerts.json?from=2014-08-24T01:09:51";
    assert_eq!(v6_ids(&server.ok(from_only).await), [35541]);
    let after = "/v6/alerts.json?from=2014-08-24T01:09:52";
    assert!(v6_ids(&server.ok(after).await).is_empty());
}

#[tokio::test]
async fn future_alerts_do_not_exist_yet() {
    let server = start("page-load", at(0, 0)).await;
    assert_eq!(
        v6_ids(&server.ok("/v6/alerts.json?window=5d").await),
        [35541]
    );
    let server = start("rule-deleted-while-active", at(0, 30)).await;
    assert_eq!(v7_ids(&server.ok("/v7/alerts?window=5d").await).len(), 1);
}

#[tokio::test]
async fn v7_default_window_and_state() {
    let server = start("page-load", at(1, 0)).await;
    let body = server.ok("/v7/alerts").await;
    assert_eq!(v7_ids(&body), ["35541"]);
    assert_eq!(body["alerts"][0]["alertState"], "trigger");
    assert_eq!(body["alerts"][0]["duration"], 60);
    assert!(body.get("startDate").is_none());

    server.at(at(10, 0));
    assert!(v7_ids(&server.ok("/v7/alerts").await).is_empty());
    let body = server.ok("/v7/alerts?window=5d").await;
    assert_eq!(v7_ids(&body), ["35541"]);
    assert_eq!(body["alerts"][0]["endDate"], "2014-08-24T01:09:51Z");
    assert_eq!(body["alerts"][0]["state"], "CLEARED");
    assert_eq!(body["alerts"][0]["duration"], 484);
    assert_eq!(body["startDate"], "2014-08-19T01:11:47Z");
    assert_eq!(body["endDate"], "2014-08-24T01:11:47Z");
    assert_eq!(
        v7_ids(&server.ok("/v7/alerts?window=5d&state=clear").await),
        ["35541"]
    );
    assert_eq!(
        v7_ids(&server.ok("/v7/alerts?window=5d&state=trigger").await),
        ["35541"]
    );
    // It triggered before this range and cleared in it.
    let cleared_in = "/v7/alerts?startDate=2014-08-24T01:05:00Z&endDate=2014-08-24T01:10:00Z";
    assert_eq!(v7_ids(&server.ok(cleared_in).await), ["35541"]);
    let triggered_in = format!("{cleared_in}&state=trigger");
    assert!(v7_ids(&server.ok(&triggered_in).await).is_empty());
    let before = "/v7/alerts?startDate=2014-08-23T00:00:00Z&endDate=2014-08-24T01:00:00Z";
    assert!(v7_ids(&server.ok(before).await).is_empty());
}

#[tokio::test]
async fn v7_window_with_dates_is_a_400_naming_both() {
    let server = start("page-load", at(1, 0)).await;
    let reply = server
        .get(
            "/v7/alerts?window=1d&startDate=2014-08-24T00:00:00Z",
            Auth::Bearer(super::support::TOKEN),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let body = reply.json();
    assert_eq!(body["errors"][0]["field"], "window");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("window") && message.contains("startDate"),
        "{message}"
    );
}
