//! 240 requests per rolling minute by default; headers on every response; 429 past it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::StatusCode;

use super::support::{Auth, TOKEN, at, config, manual_wall_clock, scenario, start, start_with};

#[tokio::test]
async fn headers_count_down_then_429_until_the_minute_rolls_over() {
    let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let (wall_clock, now) = manual_wall_clock(t0);
    let config = tesim_api::Config {
        rate_limit: 3,
        wall_clock,
        ..config()
    };
    let server = start_with(scenario("page-load"), config, at(1, 0)).await;
    for remaining in ["2", "1", "0"] {
        let reply = server.get("/v7/alerts", Auth::Bearer(TOKEN)).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("x-organization-rate-limit-limit"), Some("3"));
        assert_eq!(
            reply.header("x-organization-rate-limit-remaining"),
            Some(remaining)
        );
        assert_eq!(
            reply.header("x-organization-rate-limit-reset"),
            Some("1700000060")
        );
    }
    let reply = server.get("/v7/alerts", Auth::Bearer(TOKEN)).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(
        reply.json()["title"],
        "Exhausted rate limit for the organization"
    );
    assert_eq!(
        reply.header("x-organization-rate-limit-remaining"),
        Some("0")
    );
    assert!(
        reply.header("retry-after").is_none(),
        "the real service sends none"
    );
    // v6 is limited by the same organization counter.
    let reply = server.get("/v6/alerts.json", Auth::Bearer(TOKEN)).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        reply.json()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("rate limit")
    );

    *now.lock().unwrap() = t0 + Duration::from_secs(59);
    assert_eq!(
        server.get("/v7/alerts", Auth::Bearer(TOKEN)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    *now.lock().unwrap() = t0 + Duration::from_secs(61);
    let reply = server.get("/v7/alerts", Auth::Bearer(TOKEN)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("x-organization-rate-limit-remaining"),
        Some("2")
    );
    assert_eq!(
        reply.header("x-organization-rate-limit-reset"),
        Some("1700000121")
    );
}

#[tokio::test]
async fn default_limit_is_240_and_every_response_carries_the_headers() {
    let server = start("page-load", at(1, 0)).await;
    for (path, auth, status) in [
        ("/v7/alerts", Auth::Bearer(TOKEN), StatusCode::OK),
        ("/v7/alerts", Auth::None, StatusCode::UNAUTHORIZED),
        (
            "/v7/alerts/nope",
            Auth::Bearer(TOKEN),
            StatusCode::NOT_FOUND,
        ),
        ("/nowhere", Auth::None, StatusCode::NOT_FOUND),
        ("/openapi.json", Auth::None, StatusCode::OK),
    ] {
        let reply = server.get(path, auth).await;
        assert_eq!(reply.status, status, "{path}");
        assert_eq!(
            reply.header("x-organization-rate-limit-limit"),
            Some("240"),
            "{path}"
        );
        assert!(
            reply
                .header("x-organization-rate-limit-remaining")
                .is_some(),
            "{path}"
        );
        let reset: u64 = reply
            .header("x-organization-rate-limit-reset")
            .unwrap()
            .parse()
            .unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(reset > now && reset <= now + 61, "{path}: {reset} vs {now}");
    }
}

#[tokio::test]
async fn zero_turns_limiting_off() {
    let config = tesim_api::Config {
        rate_limit: 0,
        ..config()
    };
    let server = start_with(scenario("page-load"), config, at(1, 0)).await;
    let reply = server.get("/v7/alerts", Auth::Bearer(TOKEN)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("x-organization-rate-limit-limit").is_none());
}
