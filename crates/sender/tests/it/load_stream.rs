//! Load mode with a pass over its hold budget: the pass is made as the run goes (a producer
//! thread, bounded queues) and sends what a held pass sends. Counts only, never timing.

use std::collections::BTreeMap;
use std::time::Duration;

use tesim_sender::{LoadConfig, LoadReport, LoadSource, Pass, Rate, Shard, load, merge};

use crate::load_shapes::{deliveries, received};
use crate::support::{Server, ok, serve};

const BOUND: Duration = Duration::from_secs(60);
const ALERTS: usize = 7;
const EVENTS: usize = 3;

/// 7 alerts × 3 events and 2 keyless events: 23 deliveries per pass, made anew for each pass.
fn passes() -> LoadSource {
    LoadSource::passes(|| -> Pass { Box::new(deliveries(ALERTS, EVENTS).into_iter()) })
}

/// The event ids of one pass, in order.
fn pass_ids() -> Vec<String> {
    deliveries(ALERTS, EVENTS)
        .iter()
        .map(|delivery| delivery.event_id.to_string())
        .collect()
}

/// The held runs' configuration, with nothing fitting the hold budget: streamed from the first
/// delivery.
fn config(server: &Server, max_events: Option<u64>, shard: Option<Shard>) -> LoadConfig {
    let mut config = crate::load_shapes::config(server, max_events, shard);
    config.hold_bytes = 0;
    config
}

async fn run(source: LoadSource, config: LoadConfig) -> LoadReport {
    tokio::time::timeout(BOUND, load(source, &config, std::future::pending()))
        .await
        .expect("a bounded run ends")
        .unwrap()
}

#[tokio::test]
async fn a_streamed_pass_sends_what_a_held_pass_sends() {
    let held_server = serve(ok()).await;
    let mut held_config = config(&held_server, None, None);
    held_config.hold_bytes = tesim_sender::HOLD_BYTES;
    let held = run(passes(), held_config).await;

    let server = serve(ok()).await;
    let streamed = run(passes(), config(&server, None, None)).await;
    assert_eq!(streamed.events, 23, "{streamed}");
    assert_eq!(streamed.delivered, held.delivered);
    assert_eq!(received(&server), received(&held_server));
    assert!(received(&server).values().all(|count| *count == 1));
    // An alert's events share a connection: they arrive in the pass's order.
    let arrivals = server.arrivals();
    for alert in 0..ALERTS {
        let prefix = format!("a{alert}-");
        let order: Vec<&String> = arrivals
            .iter()
            .filter(|id| id.starts_with(&prefix))
            .collect();
        let expected: Vec<String> = (0..EVENTS)
            .map(|event| format!("a{alert}-{event}"))
            .collect();
        assert_eq!(order, expected.iter().collect::<Vec<_>>(), "alert {alert}");
    }
}

#[tokio::test]
async fn a_streamed_bounded_run_sends_exactly_the_runs_first_events() {
    let server = serve(ok()).await;
    // Not a multiple of the pass: 21 whole passes and the first 17 of the 22nd.
    let report = run(passes(), config(&server, Some(500), None)).await;
    assert_eq!((report.events, report.delivered), (500, 500), "{report}");
    let mut expected = BTreeMap::new();
    for (position, id) in pass_ids().into_iter().enumerate() {
        expected.insert(id, if position < 17 { 22 } else { 21 });
    }
    assert_eq!(received(&server), expected);
}

async fn shards_add_up(max_events: Option<u64>) {
    let whole_server = serve(ok()).await;
    let whole = run(passes(), config(&whole_server, max_events, None)).await;

    let server = serve(ok()).await;
    let shard = |index| config(&server, max_events, Some(Shard::new(index, 3).unwrap()));
    let (zero, one, two) = tokio::join!(
        run(passes(), shard(0)),
        run(passes(), shard(1)),
        run(passes(), shard(2))
    );
    let merged = merge(&[zero, one, two]).unwrap();
    assert_eq!(merged.events, whole.events, "{merged}");
    assert_eq!(merged.latency.count, whole.latency.count);
    // Streamed, even a bounded run sends exactly the run's first events: the same ones.
    assert_eq!(received(&server), received(&whole_server));
}

#[tokio::test]
async fn streamed_shards_send_one_pass_between_them() {
    shards_add_up(None).await;
}

#[tokio::test]
async fn streamed_shards_send_one_bounded_run_between_them() {
    shards_add_up(Some(500)).await;
}

#[tokio::test]
async fn a_streamed_open_model_run_sends_every_scheduled_event() {
    let server = serve(ok()).await;
    let mut config = config(&server, Some(60), None);
    config.rate = Rate::PerSecond(2000.0);
    let report = run(passes(), config).await;
    assert_eq!(report.events, 60, "{report}");
    assert!(report.coordinated_omission_corrected);
}

#[tokio::test]
async fn a_streamed_run_bounded_by_time_ends_and_stops_its_producer() {
    let server = serve(ok()).await;
    let mut config = config(&server, None, None);
    config.duration = Some(Duration::from_millis(300));
    // The test's own bound catches a producer left waiting on a full queue.
    let report = run(passes(), config).await;
    assert!(report.events > 0, "{report}");
    assert_eq!(report.delivered, report.events);
}

#[tokio::test]
async fn a_source_with_no_deliveries_is_refused() {
    let server = serve(ok()).await;
    let empty = LoadSource::passes(|| -> Pass { Box::new(std::iter::empty()) });
    let err = load(empty, &config(&server, None, None), std::future::pending())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("at least one delivery"), "{err}");
}

#[tokio::test]
async fn the_tokio_engine_takes_a_streamed_pass_too() {
    let server = serve(ok()).await;
    let config = config(&server, Some(100), None);
    let report = tokio::time::timeout(
        BOUND,
        tesim_sender::load_on(
            tesim_sender::Engine::Tokio,
            passes(),
            &config,
            std::future::pending(),
        ),
    )
    .await
    .expect("a bounded run ends")
    .unwrap();
    assert_eq!((report.events, report.delivered), (100, 100), "{report}");
    assert_eq!(received(&server).values().sum::<usize>(), 100);
}
