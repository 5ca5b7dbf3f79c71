//! A long lazy input (40k deliveries: the bound, not the length, is under test) is taken just ahead of sending: the deliveries held at once stay under
//! `look_ahead(concurrency)` whatever the input's length, and a stopped run still counts what
//! it never took.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tesim_sender::{Delivery, SendConfig, look_ahead, run, run_until};
use tokio::net::TcpListener;

use crate::support::client_config;

/// Bound on a run that must end by itself: only a hang fails.
const BOUND: Duration = Duration::from_secs(600);

/// A receiver that answers 200 to everything and counts requests, keeping nothing.
async fn counting_sink() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let counter = counter.clone();
                    async move {
                        let _ = request.into_body().collect().await;
                        counter.fetch_add(1, Ordering::Relaxed);
                        Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(
                            b"{}",
                        ))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, received)
}

/// Counts the deliveries taken from the input and not yet dropped: a body owned by this is
/// freed only when the last reference to the delivery's bytes goes.
struct Counted {
    bytes: Vec<u8>,
    alive: Arc<AtomicUsize>,
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Tally {
    alive: Arc<AtomicUsize>,
    most_alive: AtomicUsize,
    taken: AtomicUsize,
}

/// `n` deliveries made one at a time as they are asked for; alert keys repeat every 97, so
/// some deliveries wait behind a predecessor of their key.
fn lazy_input(n: usize, tally: Arc<Tally>) -> impl Iterator<Item = Delivery> {
    (0..n).map(move |i| {
        tally.taken.fetch_add(1, Ordering::SeqCst);
        let now = tally.alive.fetch_add(1, Ordering::SeqCst) + 1;
        tally.most_alive.fetch_max(now, Ordering::SeqCst);
        let body = Bytes::from_owner(Counted {
            bytes: format!(r#"{{"eventId":"e{i}","eventType":"ALERT_NOTIFICATION_TRIGGER"}}"#)
                .into_bytes(),
            alive: tally.alive.clone(),
        });
        Delivery::new(
            Duration::ZERO,
            format!("e{i}"),
            "ALERT_NOTIFICATION_TRIGGER",
            Some(Arc::from(format!("a{}", i % 97))),
            body,
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_lazy_input_is_held_only_just_ahead_of_sending() {
    const N: usize = 40_000;
    let (url, received) = counting_sink().await;
    let mut config = SendConfig::new(url.parse().unwrap());
    config.client = client_config();
    config.concurrency = 8;
    let tally = Arc::new(Tally::default());
    let mut attempts = 0;
    let summary = tokio::time::timeout(
        BOUND,
        run(lazy_input(N, tally.clone()), &config, |_| attempts += 1),
    )
    .await
    .expect("the run ends")
    .unwrap();
    assert_eq!(
        (summary.total, summary.delivered, summary.not_sent),
        (N, N, 0),
        "{summary:?}"
    );
    assert_eq!(attempts, N);
    assert_eq!(received.load(Ordering::SeqCst), N);
    assert!(summary.failures.is_empty());
    let most = tally.most_alive.load(Ordering::SeqCst);
    assert!(
        most <= look_ahead(config.concurrency),
        "{most} deliveries held at once, more than {}",
        look_ahead(config.concurrency)
    );
    assert_eq!(
        tally.alive.load(Ordering::SeqCst),
        0,
        "every delivery dropped"
    );
}

#[tokio::test]
async fn a_stopped_run_counts_what_it_never_took() {
    const N: usize = 200_000;
    let (url, _received) = counting_sink().await;
    let mut config = SendConfig::new(url.parse().unwrap());
    config.client = client_config();
    config.concurrency = 2;
    let tally = Arc::new(Tally::default());
    let enough = Arc::new(tokio::sync::Notify::new());
    let (notify, mut attempts) = (enough.clone(), 0);
    let stop = async move { enough.notified().await };
    let summary = tokio::time::timeout(
        BOUND,
        run_until(lazy_input(N, tally.clone()), &config, stop, |_| {
            attempts += 1;
            if attempts == 50 {
                notify.notify_one();
            }
        }),
    )
    .await
    .expect("the run ends")
    .unwrap();
    assert!(summary.cancelled);
    assert_eq!(summary.total, N);
    assert!(summary.sent >= 50, "{summary:?}");
    assert_eq!(summary.not_sent, N - summary.sent);
    assert_eq!(summary.failed, summary.interrupted, "{summary:?}");
    assert!(!summary.rest_uncounted);
    assert!(tally.most_alive.load(Ordering::SeqCst) <= look_ahead(config.concurrency));
}

/// An input that does not know its length (a scenario being played) is not run to its end to
/// count what a stopped run left: the summary says so.
#[tokio::test]
async fn a_stopped_stream_of_unknown_length_is_not_played_out() {
    let (url, _received) = counting_sink().await;
    let mut config = SendConfig::new(url.parse().unwrap());
    config.client = client_config();
    config.concurrency = 2;
    let tally = Arc::new(Tally::default());
    let enough = Arc::new(tokio::sync::Notify::new());
    let (notify, mut attempts) = (enough.clone(), 0);
    let stop = async move { enough.notified().await };
    // `filter` forgets the length; nothing is filtered out.
    let input = lazy_input(usize::MAX, tally.clone()).filter(|_| true);
    let summary = tokio::time::timeout(
        BOUND,
        run_until(input, &config, stop, |_| {
            attempts += 1;
            if attempts == 20 {
                notify.notify_one();
            }
        }),
    )
    .await
    .expect("the run ends without playing the rest")
    .unwrap();
    assert!(summary.cancelled && summary.rest_uncounted, "{summary:?}");
    assert_eq!(summary.total, tally.taken.load(Ordering::SeqCst));
    assert_eq!(summary.not_sent, summary.total - summary.sent);
}
