//! Load shapes, shards, intervals and their merge, against a local receiver. Every assertion
//! is on counts, never on timing.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use http::{HeaderName, HeaderValue};
use tesim_sender::{Delivery, LoadConfig, LoadReport, Shard, Stages, load, merge};

use crate::support::{Server, client_config, delivery, ok, serve};

const BOUND: Duration = Duration::from_secs(60);

pub(crate) fn deliveries(n_alerts: usize, n_events: usize) -> Vec<Delivery> {
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
    // Two keyless events too: they are split by position.
    for id in ["keyless-1", "keyless-2"] {
        let mut one = delivery(id, None);
        one.extra_headers.push((
            HeaderName::from_static("x-event-id"),
            HeaderValue::from_static(id),
        ));
        all.push(one);
    }
    all
}

/// How many requests the receiver saw with each `x-event-id` (keyless ones have none).
pub(crate) fn received(server: &Server) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (id, start) in server.timeline.lock().unwrap().iter() {
        if *start {
            *counts.entry(id.clone()).or_insert(0) += 1;
        }
    }
    counts
}

async fn run(config: LoadConfig) -> LoadReport {
    tokio::time::timeout(
        BOUND,
        load(deliveries(7, 3), &config, std::future::pending()),
    )
    .await
    .expect("a bounded run ends")
    .unwrap()
}

pub(crate) fn config(server: &Server, max_events: Option<u64>, shard: Option<Shard>) -> LoadConfig {
    let mut config = LoadConfig::new(server.target("/hook"));
    config.client = client_config();
    config.concurrency = 3;
    config.max_events = max_events;
    config.shard = shard;
    config
}

async fn sharded_and_whole(max_events: Option<u64>) {
    let whole_server = serve(ok()).await;
    let whole = run(config(&whole_server, max_events, None)).await;

    let server = serve(ok()).await;
    let shard = |index| config(&server, max_events, Some(Shard::new(index, 3).unwrap()));
    // The three shards at once, as three machines would run them.
    let (zero, one, two) = tokio::join!(run(shard(0)), run(shard(1)), run(shard(2)));
    let reports = [zero, one, two];
    let merged = merge(&reports).unwrap();
    assert_eq!(merged.events, whole.events, "{merged}");
    assert_eq!(merged.delivered, whole.delivered);
    assert_eq!(merged.latency.count, whole.latency.count);
    assert_eq!(
        server.timeline.lock().unwrap().len(),
        whole_server.timeline.lock().unwrap().len()
    );
    if max_events.is_none() {
        // One pass: every event exactly once, across the shards as in the whole run.
        assert_eq!(received(&server), received(&whole_server));
        assert!(received(&server).values().all(|count| *count == 1));
    }
    for report in &reports {
        assert!(report.shard.as_deref().unwrap().ends_with("/3"));
    }
}

#[tokio::test]
async fn three_shards_send_one_pass() {
    sharded_and_whole(None).await;
}

#[tokio::test]
async fn three_shards_send_one_bounded_run() {
    // Not a multiple of the pass (23 deliveries): the quotas split the partial pass too.
    sharded_and_whole(Some(500)).await;
}

#[tokio::test]
async fn stages_send_or_drop_every_scheduled_event() {
    let server = serve(ok()).await;
    let mut config = config(&server, None, None);
    // 0.3 s at 200/s: 60 events due.
    let stages: Stages = "0s:200/s,300ms:200/s".parse().unwrap();
    assert_eq!(stages.total_events(), 60);
    config.stages = Some(stages);
    config.interval = Some(Duration::from_millis(100));
    let report = run(config).await;
    // How many are dropped depends on the machine; sent + dropped does not.
    assert_eq!(report.events + report.dropped, 60, "{report}");
    assert_eq!(report.stages.as_deref(), Some("0s:200/s,300ms:200/s"));
    assert!(report.coordinated_omission_corrected);
    let interval_events: u64 = report
        .intervals
        .iter()
        .map(|interval| interval.events)
        .sum();
    assert_eq!(interval_events, report.events);

    // The interval log reads back with HdrHistogram's own reader, every count in it.
    let mut hlog = Vec::new();
    tesim_sender::write_interval_log(&report, &mut hlog).unwrap();
    let mut counted = 0;
    let mut histograms = 0;
    let mut start_time = None;
    for entry in IntervalLogIterator::new(&hlog) {
        match entry.unwrap() {
            LogEntry::StartTime(start) => start_time = Some(start),
            LogEntry::Interval(interval) => {
                histograms += 1;
                let bytes = base64_decode(interval.encoded_histogram());
                let histogram: hdrhistogram::Histogram<u64> =
                    hdrhistogram::serialization::Deserializer::new()
                        .deserialize(&mut bytes.as_slice())
                        .unwrap();
                counted += histogram.len();
            }
            LogEntry::BaseTime(_) => {}
        }
    }
    assert!(start_time.is_some());
    assert_eq!(histograms, report.intervals.len());
    assert_eq!(counted, report.events);
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}
