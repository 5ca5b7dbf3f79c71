//! Stopping a run (Ctrl-C), the write-ahead log, log write failures and concurrency slots.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tesim_sender::{ErrorKind, LogRecord, SendConfig, run, run_until};
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::support::{Scratch, client_config, delivery, respond, serve};

/// Bound on anything that must end by itself: only a hang fails.
const BOUND: Duration = Duration::from_secs(30);

/// A receiver that reads each request and never answers; reports each event id it got.
async fn black_hole() -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                    let text = String::from_utf8_lossy(&seen);
                    if let Some(start) = text.find(r#""eventId":""#) {
                        let rest = &text[start + 11..];
                        if let Some(end) = rest.find('"') {
                            let _ = tx.send(rest[..end].to_owned());
                            // Keep the socket open, never answer.
                            let mut sink = [0u8; 64];
                            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, rx)
}

fn config(url: &str) -> SendConfig {
    let mut config = SendConfig::new(url.parse().unwrap());
    config.client = client_config();
    // Far beyond the test's bound: only cancellation can end these requests in time.
    config.client.request_timeout = Duration::from_secs(3600);
    config.stop_grace = Duration::from_millis(100);
    config
}

#[tokio::test]
async fn stop_cancels_requests_in_flight_and_logs_them() {
    let (url, mut got) = black_hole().await;
    let scratch = Scratch::new("stop");
    let log = scratch.path("log.jsonl");
    let mut config = config(&url);
    config.concurrency = 3;
    config.log = Some(log.clone());
    let deliveries: Vec<_> = (0..10)
        .map(|n| delivery(&format!("e{n}"), Some(&format!("a{n}"))))
        .collect();
    // Stop once the receiver holds three requests.
    let stop = async move {
        for _ in 0..3 {
            got.recv().await;
        }
    };
    let summary = tokio::time::timeout(BOUND, run_until(deliveries, &config, stop, |_| {}))
        .await
        .expect("a stopped run returns")
        .unwrap();
    assert!(summary.cancelled);
    assert_eq!(summary.interrupted, 3, "{summary:?}");
    assert_eq!(summary.sent, 3);
    assert_eq!(summary.not_sent, 7);
    assert_eq!(
        summary.failures_by_kind.get(&ErrorKind::Cancelled),
        Some(&3)
    );
    let (records, bad) = tesim_sender::read_log(&std::fs::read_to_string(&log).unwrap());
    assert!(bad.is_empty());
    let cancelled: Vec<_> = records
        .iter()
        .filter_map(|record| match record {
            LogRecord::Outcome(outcome) => Some(outcome),
            LogRecord::Intent(_) => None,
        })
        .collect();
    assert_eq!(cancelled.len(), 3);
    assert!(
        cancelled
            .iter()
            .all(|outcome| outcome.error_kind.as_deref() == Some("cancelled"))
    );
    assert!(tesim_sender::unresolved(&records).is_empty());
}

#[tokio::test]
async fn intents_are_written_before_the_receiver_sees_a_request() {
    let (url, mut got) = black_hole().await;
    let scratch = Scratch::new("wal");
    let log = scratch.path("log.jsonl");
    let mut config = config(&url);
    config.log = Some(log.clone());
    let deliveries: Vec<_> = (0..4)
        .map(|n| delivery(&format!("e{n}"), Some(&format!("a{n}"))))
        .collect();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(async move {
        run_until(
            deliveries,
            &config,
            async {
                let _ = done_rx.await;
            },
            |_| {},
        )
        .await
    });
    // Each request the receiver got already has its intent on disk, with no outcome yet.
    for _ in 0..4 {
        let event_id = tokio::time::timeout(BOUND, got.recv())
            .await
            .unwrap()
            .unwrap();
        let (records, _) = tesim_sender::read_log(&std::fs::read_to_string(&log).unwrap());
        let pending = tesim_sender::unresolved(&records);
        assert!(
            pending.iter().any(|intent| intent.event_id == event_id),
            "{event_id} not in the log"
        );
    }
    let _ = done_tx.send(());
    tokio::time::timeout(BOUND, run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_full_disk_ends_the_run_with_a_summary() {
    let server = serve(Arc::new(|_| respond(200, "{}"))).await;
    let mut config = SendConfig::new(server.target("/hook"));
    config.client = client_config();
    config.log = Some("/dev/full".into());
    let deliveries: Vec<_> = (0..50)
        .map(|n| delivery(&format!("e{n}"), Some(&format!("a{n}"))))
        .collect();
    let summary = tokio::time::timeout(BOUND, run(deliveries, &config, |_| {}))
        .await
        .expect("the run ends")
        .expect("a summary, not an error");
    let message = summary.log_error.as_deref().expect("the log failure");
    assert!(message.contains("/dev/full"), "{message}");
    assert!(!message.contains("directory"), "{message}");
    assert!(summary.cancelled);
    // Nothing is sent without its intent on disk.
    assert_eq!(summary.sent, 0, "{summary:?}");
}

/// Clears waiting for their trigger hold no slot: with 8 slots, 4 triggers held by the
/// receiver and 4 clears queued behind them, 4 more triggers still go at once.
#[tokio::test]
async fn clears_waiting_for_their_trigger_hold_no_slot() {
    let (url, mut got) = black_hole().await;
    let mut config = config(&url);
    config.concurrency = 8;
    let mut deliveries = Vec::new();
    for n in 0..4 {
        deliveries.push(delivery(&format!("t{n}"), Some(&format!("a{n}"))));
    }
    for n in 0..4 {
        deliveries.push(delivery(&format!("c{n}"), Some(&format!("a{n}"))));
    }
    for n in 4..8 {
        deliveries.push(delivery(&format!("t{n}"), Some(&format!("a{n}"))));
    }
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let stop = async move {
        while got.recv().await.is_some() {
            if counter.fetch_add(1, Ordering::SeqCst) + 1 == 8 {
                return;
            }
        }
    };
    // The receiver answers nothing: the run can only stop because 8 requests were in flight
    // at once (4 before the fix, and the bound would expire).
    let summary = tokio::time::timeout(BOUND, run_until(deliveries, &config, stop, |_| {}))
        .await
        .expect("8 requests in flight at once")
        .unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 8);
    assert_eq!(summary.interrupted, 8);
    // The clears never went: their triggers never completed.
    assert_eq!(summary.not_sent, 4);
}

#[tokio::test]
async fn order_across_keys_holds_at_concurrency_one() {
    let server = serve(Arc::new(|_| respond(200, "{}"))).await;
    let mut config = SendConfig::new(server.target("/hook"));
    config.client = client_config();
    config.concurrency = 1;
    let deliveries = vec![
        delivery("t1", Some("a1")),
        delivery("c1", Some("a1")),
        delivery("t2", Some("a2")),
        delivery("c2", Some("a2")),
        delivery("x", None),
    ];
    let mut order = Vec::new();
    let summary = run(deliveries, &config, |attempt| {
        order.push(attempt.event_id.to_string());
    })
    .await
    .unwrap();
    assert!(summary.all_delivered());
    assert_eq!(order, ["t1", "c1", "t2", "c2", "x"]);
}
