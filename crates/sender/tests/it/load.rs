//! Load mode against a local receiver.

use std::collections::HashMap;
use std::time::Duration;

use http::{HeaderName, HeaderValue};
use tesim_sender::{Delivery, LoadConfig, Rate, load};

use crate::support::{client_config, delivery, ok, serve};

/// Bound on a run that must end by itself: a hang fails, slowness does not.
const BOUND: Duration = Duration::from_secs(60);

/// `n_alerts` alerts of `n_events` events each, tagged with `x-event-id: a<alert>-<event>`.
fn deliveries(n_alerts: usize, n_events: usize) -> Vec<Delivery> {
    let mut all = Vec::new();
    for event in 0..n_events {
        for alert in 0..n_alerts {
            let id = format!("a{alert}-{event}");
            let mut one = delivery(&id, Some(&format!("a{alert}")));
            one.extra_headers.push((
                HeaderName::from_static("x-event-id"),
                HeaderValue::from_str(&id).unwrap(),
            ));
            all.push(one);
        }
    }
    all
}

#[tokio::test]
async fn max_rate_sends_the_asked_count_in_order_per_alert() {
    let server = serve(ok()).await;
    let mut config = LoadConfig::new(server.target("/hook"));
    config.client = client_config();
    config.concurrency = 4;
    config.max_events = Some(1000);
    let report = load(deliveries(20, 5), &config, std::future::pending())
        .await
        .unwrap();
    assert_eq!(
        (report.events, report.delivered, report.failed),
        (1000, 1000, 0)
    );
    assert!(!report.cancelled && !report.coordinated_omission_corrected);
    assert_eq!(report.latency.count, 1000);
    assert!(report.latency.p50_ms <= report.latency.p99_ms);
    assert!(report.latency.p99_ms <= report.latency.max_ms);
    // Connections are reused: one per worker.
    assert!(server.connections.load(std::sync::atomic::Ordering::SeqCst) <= 4);
    // Per alert, events arrive 0,1,2,3,4,0,1,... (the list is sent round and round).
    let mut next: HashMap<String, usize> = HashMap::new();
    for (id, start) in server.timeline.lock().unwrap().iter() {
        if !start {
            continue;
        }
        let (alert, event) = id.split_once('-').unwrap();
        let expected = next.entry(alert.to_owned()).or_insert(0);
        assert_eq!(event.parse::<usize>().unwrap(), *expected % 5, "{alert}");
        *expected += 1;
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["events"], 1000);
    assert!(json["latency"]["p99_9_ms"].is_number());
}

#[tokio::test]
async fn fixed_rate_is_bounded_by_duration_and_corrects_coordinated_omission() {
    let server = serve(ok()).await;
    let mut config = LoadConfig::new(server.target("/hook"));
    config.client = client_config();
    config.concurrency = 2;
    config.rate = Rate::PerSecond(200.0);
    config.duration = Some(Duration::from_millis(500));
    let report = tokio::time::timeout(
        BOUND,
        load(deliveries(10, 2), &config, std::future::pending()),
    )
    .await
    .expect("the duration ends the run")
    .unwrap();
    assert!(report.coordinated_omission_corrected);
    // 200/s for 0.5 s: 100 events are due (events at exactly 0.5 s are not). A loaded machine
    // may fall behind and send fewer (how many is timing, so not asserted), never more; at max
    // rate it would send thousands.
    assert!((1..=100).contains(&report.events), "{report}");
    assert_eq!(report.failed, 0);
}

#[tokio::test]
async fn stops_cleanly_when_asked() {
    let server = serve(ok()).await;
    let mut config = LoadConfig::new(server.target("/hook"));
    config.client = client_config();
    config.rate = Rate::PerSecond(100.0);
    config.duration = Some(Duration::from_secs(60));
    // Stop once the receiver has logged 10 request starts or ends: a count, not a delay.
    let timeline = server.timeline.clone();
    let stop = async move {
        while timeline.lock().unwrap().len() < 10 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let report = tokio::time::timeout(BOUND, load(deliveries(5, 2), &config, stop))
        .await
        .expect("stopping ends the run")
        .unwrap();
    assert!(report.cancelled);
    // 60 s at 100/s would be 6,000.
    assert!(report.events > 0 && report.events < 6000, "{report}");
    assert_eq!(report.events, report.delivered);
}

#[tokio::test]
async fn errors_are_counted_by_kind() {
    let server = serve(std::sync::Arc::new(|captured| {
        if captured
            .header("x-event-id")
            .is_some_and(|id| id.ends_with("-0"))
        {
            crate::support::respond(503, "{}")
        } else {
            crate::support::respond(200, "{}")
        }
    }))
    .await;
    let mut config = LoadConfig::new(server.target("/hook"));
    config.client = client_config();
    config.concurrency = 2;
    let report = load(deliveries(4, 2), &config, std::future::pending())
        .await
        .unwrap();
    assert_eq!((report.events, report.delivered), (8, 4), "{report}");
    assert_eq!(report.errors.get("status_5xx"), Some(&4));
    assert!(report.first_errors["status_5xx"].contains("503"));
}
