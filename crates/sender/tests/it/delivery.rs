//! Redirect refusal, per-alert order, retries, timing, the delivery log, cancellation.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http::{HeaderName, HeaderValue};
use tesim_sender::{Delivery, ErrorKind, RetryPolicy, SendConfig, Speed, run, run_until};

use crate::support::{Scratch, client_config, delivery, ok, respond, serve};

fn config(target: tesim_sender::Target) -> SendConfig {
    let mut config = SendConfig::new(target);
    config.client = client_config();
    config
}

async fn check_redirect(status: u16) {
    let final_receiver = serve(ok()).await;
    let location = final_receiver.url("/final");
    let header_location = location.clone();
    let redirecting = serve(Arc::new(move |_| {
        let mut response = respond(status, "");
        response
            .headers_mut()
            .insert("location", HeaderValue::from_str(&header_location).unwrap());
        response
    }))
    .await;
    let summary = run(
        vec![delivery("e1", Some("a1"))],
        &config(redirecting.target("/hook")),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.failed, 1, "{status}");
    assert_eq!(summary.failures_by_kind.get(&ErrorKind::Redirect), Some(&1));
    let error = summary.failures[0].error.as_deref().unwrap();
    assert!(
        error.contains(&format!(" to {location}"))
            && error.contains("never follows redirects")
            && error.contains(&format!("configure {location} as the webhook URL")),
        "{error}"
    );
    assert_eq!(summary.failures[0].status, Some(status));
    assert_eq!(
        final_receiver.connections.load(Ordering::SeqCst),
        0,
        "{status}: the redirect was followed"
    );
}

#[tokio::test]
async fn redirect_301_is_refused() {
    check_redirect(301).await;
}

#[tokio::test]
async fn redirect_302_is_refused() {
    check_redirect(302).await;
}

#[tokio::test]
async fn redirect_303_is_refused() {
    check_redirect(303).await;
}

#[tokio::test]
async fn redirect_307_is_refused() {
    check_redirect(307).await;
}

#[tokio::test]
async fn redirect_308_is_refused() {
    check_redirect(308).await;
}

#[tokio::test]
async fn low_level_post_reports_redirect_location() {
    let redirecting = serve(Arc::new(|_| {
        let mut response = respond(308, "");
        response.headers_mut().insert(
            "location",
            HeaderValue::from_static("https://x.example/hook"),
        );
        response
    }))
    .await;
    let client = crate::support::client();
    let err = client
        .post(
            &redirecting.target("/hook"),
            &http::HeaderMap::new(),
            bytes::Bytes::from_static(b"{}"),
        )
        .await
        .unwrap_err();
    assert!(err.is_redirect() && err.is_status());
    assert_eq!(err.location(), Some("https://x.example/hook"));
    assert_eq!(
        err.status_code(),
        Some(http::StatusCode::PERMANENT_REDIRECT)
    );
}

#[tokio::test]
async fn low_level_post_keeps_a_custom_content_type() {
    let mut server = serve(ok()).await;
    let client = crate::support::client();
    let mut headers = http::HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("text/plain"));
    client
        .post(
            &server.target("/"),
            &headers,
            bytes::Bytes::from_static(b"hi"),
        )
        .await
        .unwrap();
    let got = server.next().await;
    assert_eq!(got.header("content-type"), Some("text/plain"));
    assert_eq!(got.headers.get_all("content-type").iter().count(), 1);
}

/// `n_alerts` alerts of `n_events` events each, interleaved as a scenario would; the first
/// event of every alert is answered slowly, so a later event would overtake it if order per
/// alert were not enforced.
fn interleaved(n_alerts: usize, n_events: usize) -> Vec<Delivery> {
    let mut deliveries = Vec::new();
    for event in 0..n_events {
        for alert in 0..n_alerts {
            let id = format!("a{alert}-{event}");
            let mut one = delivery(&id, Some(&format!("a{alert}")));
            one.extra_headers.push((
                HeaderName::from_static("x-event-id"),
                HeaderValue::from_str(&id).unwrap(),
            ));
            if event == 0 {
                one.extra_headers.push((
                    HeaderName::from_static("x-delay-ms"),
                    HeaderValue::from_static("40"),
                ));
            }
            deliveries.push(one);
        }
    }
    deliveries
}

/// For every alert, its events were handled one after the other, in order.
fn assert_order_per_alert(timeline: &[(String, bool)], n_alerts: usize, n_events: usize) {
    let mut per_alert: HashMap<String, Vec<(String, bool)>> = HashMap::new();
    for (id, start) in timeline {
        let alert = id.split('-').next().unwrap().to_owned();
        per_alert
            .entry(alert)
            .or_default()
            .push((id.clone(), *start));
    }
    assert_eq!(per_alert.len(), n_alerts);
    for (alert, entries) in per_alert {
        let expected: Vec<(String, bool)> = (0..n_events)
            .flat_map(|event| {
                let id = format!("{alert}-{event}");
                [(id.clone(), true), (id, false)]
            })
            .collect();
        assert_eq!(entries, expected, "alert {alert}");
    }
}

#[tokio::test]
async fn order_per_alert_is_kept_under_concurrency() {
    let server = serve(ok()).await;
    let mut config = config(server.target("/hook"));
    config.concurrency = 4;
    let summary = run(interleaved(6, 4), &config, |_| {}).await.unwrap();
    assert!(summary.all_delivered(), "{summary:?}");
    let timeline = server.timeline.lock().unwrap().clone();
    assert_order_per_alert(&timeline, 6, 4);
    let max = server.max_in_flight.load(Ordering::SeqCst);
    assert!(max > 1, "different alerts never went concurrently");
    assert!(max <= 4, "concurrency bound exceeded: {max}");
}

#[tokio::test]
async fn concurrency_one_keeps_the_input_order() {
    let server = serve(ok()).await;
    let mut config = config(server.target("/hook"));
    config.concurrency = 1;
    let deliveries = interleaved(3, 2);
    let expected: Vec<String> = deliveries.iter().map(|d| d.event_id.to_string()).collect();
    run(deliveries, &config, |_| {}).await.unwrap();
    let arrivals = server.arrivals();
    assert_eq!(arrivals, expected);
}

/// A trigger followed at once by its clear, then the next alert: the clear waits for its
/// trigger, and must not be overtaken by the next alert's trigger (a scenario's time order).
#[tokio::test]
async fn concurrency_one_keeps_the_input_order_when_keys_repeat() {
    let server = serve(ok()).await;
    let mut config = config(server.target("/hook"));
    config.concurrency = 1;
    let mut deliveries = Vec::new();
    for alert in 0..4 {
        for event in 0..2 {
            let id = format!("a{alert}-{event}");
            let mut one = delivery(&id, Some(&format!("a{alert}")));
            one.extra_headers.push((
                HeaderName::from_static("x-event-id"),
                HeaderValue::from_str(&id).unwrap(),
            ));
            deliveries.push(one);
        }
    }
    let expected: Vec<String> = deliveries.iter().map(|d| d.event_id.to_string()).collect();
    for _ in 0..5 {
        server.timeline.lock().unwrap().clear();
        run(deliveries.clone(), &config, |_| {}).await.unwrap();
        let arrivals = server.arrivals();
        assert_eq!(arrivals, expected);
    }
}

#[tokio::test]
async fn speed_factor_waits_for_offsets() {
    let server = serve(ok()).await;
    let mut config = config(server.target("/hook"));
    // 10x: an event at +2 s goes at +200 ms.
    config.speed = Speed::Factor(10.0);
    let mut late = delivery("late", None);
    late.offset = Duration::from_secs(2);
    let started = Instant::now();
    let summary = run(vec![delivery("early", None), late], &config, |_| {})
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(summary.all_delivered());
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[tokio::test]
async fn retries_are_off_by_default_and_work_when_asked() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    // Fails twice with 503, then accepts.
    let server = serve(Arc::new(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) < 2 {
            respond(503, "{}")
        } else {
            respond(200, "{}")
        }
    }))
    .await;
    let mut config = config(server.target("/hook"));
    let summary = run(vec![delivery("e1", None)], &config, |_| {})
        .await
        .unwrap();
    assert_eq!((summary.failed, summary.attempts), (1, 1));
    assert_eq!(
        summary.failures_by_kind.get(&ErrorKind::ServerError),
        Some(&1)
    );

    calls.store(0, Ordering::SeqCst);
    config.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
    };
    let mut seen = Vec::new();
    let summary = run(vec![delivery("e1", None)], &config, |attempt| {
        seen.push((attempt.attempt, attempt.status))
    })
    .await
    .unwrap();
    assert!(summary.all_delivered());
    assert_eq!(seen, [(1, Some(503)), (2, Some(503)), (3, Some(200))]);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = serve(Arc::new(|_| respond(400, "{}"))).await;
    let mut config = config(server.target("/hook"));
    config.retry = RetryPolicy::retries(3);
    let summary = run(vec![delivery("e1", None)], &config, |_| {})
        .await
        .unwrap();
    assert_eq!(summary.attempts, 1);
    assert_eq!(
        summary.failures_by_kind.get(&ErrorKind::ClientError),
        Some(&1)
    );
}

#[tokio::test]
async fn delivery_log_has_one_line_per_attempt_and_no_secrets() {
    let scratch = Scratch::new("log");
    let log = scratch.path("deliveries.jsonl");
    let server = serve(Arc::new(|captured| {
        if captured.body.windows(4).any(|w| w == b"bad1") {
            respond(500, "{}")
        } else {
            respond(200, "{}")
        }
    }))
    .await;
    let mut config = config(server.target("/hook"));
    config.auth = "bearer:SECRET-TOKEN-123".parse().unwrap();
    config.client.headers = vec![(
        HeaderName::from_static("x-api-key"),
        tesim_sender::Secret::new("HEADER-SECRET-456"),
    )];
    config.retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
    };
    config.log = Some(log.clone());
    let deliveries = vec![delivery("ok1", Some("a1")), delivery("bad1", Some("a2"))];
    let summary = run(deliveries.clone(), &config, |_| {}).await.unwrap();
    assert_eq!(
        (summary.delivered, summary.failed, summary.attempts),
        (1, 1, 3)
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("SECRET-TOKEN-123") && !text.contains("HEADER-SECRET-456"));
    let all: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // Write-ahead: each attempt's intent comes before its outcome.
    assert_eq!(all.len(), 6);
    for outcome in all.iter().filter(|line| line["record"] == "outcome") {
        let intent = all
            .iter()
            .position(|line| {
                line["record"] == "intent"
                    && line["eventId"] == outcome["eventId"]
                    && line["attempt"] == outcome["attempt"]
            })
            .expect("an intent for each outcome");
        let outcome_at = all.iter().position(|line| line == outcome).unwrap();
        assert!(intent < outcome_at, "{outcome}");
    }
    let (records, bad) = tesim_sender::read_log(&text);
    assert!(bad.is_empty() && records.len() == 6);
    assert!(tesim_sender::unresolved(&records).is_empty());
    let lines: Vec<serde_json::Value> = all
        .into_iter()
        .filter(|line| line["record"] == "outcome")
        .collect();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        for key in [
            "eventId",
            "eventType",
            "alertId",
            "url",
            "attempt",
            "at",
            "status",
            "latency_ms",
            "error",
        ] {
            assert!(line.get(key).is_some(), "{key} missing in {line}");
        }
        assert_eq!(line["url"], server.url("/hook"));
    }
    let bad: Vec<_> = lines.iter().filter(|l| l["eventId"] == "bad1").collect();
    assert_eq!(bad.len(), 2);
    assert_eq!(bad[1]["attempt"], 2);
    assert_eq!(bad[1]["status"], 500);
    assert_eq!(bad[1]["error_kind"], "server_error");
    // Append mode: a second run adds to the file.
    run(deliveries, &config, |_| {}).await.unwrap();
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 12);
}

#[tokio::test]
async fn custom_webhook_path_and_query_are_appended() {
    let mut server = serve(ok()).await;
    let mut one = delivery("e1", None);
    one.path_and_query = Some("/custom/path?queryParam1=x".to_owned());
    let summary = run(vec![one], &config(server.target("/base?k=1")), |attempt| {
        assert!(attempt.url.ends_with("/base/custom/path?k=1&queryParam1=x"));
    })
    .await
    .unwrap();
    assert!(summary.all_delivered());
    assert_eq!(
        server.next().await.uri.to_string(),
        "/base/custom/path?k=1&queryParam1=x"
    );
}

#[tokio::test]
async fn stopping_returns_what_was_sent() {
    let server = serve(ok()).await;
    let mut config = config(server.target("/hook"));
    config.speed = Speed::Realtime;
    let mut later = delivery("later", None);
    later.offset = Duration::from_secs(60);
    let started = Instant::now();
    let summary = run_until(
        vec![delivery("now", None), later],
        &config,
        tokio::time::sleep(Duration::from_millis(200)),
        |_| {},
    )
    .await
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(summary.cancelled);
    assert_eq!(
        (summary.sent, summary.delivered, summary.not_sent),
        (1, 1, 1)
    );
    assert!(!summary.all_delivered());
}

#[tokio::test]
async fn connections_are_kept_alive() {
    let server = serve(ok()).await;
    let mut config = config(server.target("/hook"));
    config.concurrency = 1;
    let deliveries: Vec<_> = (0..20).map(|i| delivery(&format!("e{i}"), None)).collect();
    let summary = run(deliveries, &config, |_| {}).await.unwrap();
    assert!(summary.all_delivered());
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}
