//! Load mode's own HTTP/1.1 connection against a real hyper server and raw TCP answerers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::{HeaderName, HeaderValue};
use tesim_sender::{LoadConfig, Secret, Target, load};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{client_config, delivery, ok, respond, serve};

/// Bound on a run that must end by itself: a hang fails, slowness does not.
const BOUND: Duration = Duration::from_secs(60);

fn config(target: Target, concurrency: usize, events: u64) -> LoadConfig {
    let mut config = LoadConfig::new(target);
    config.client = client_config();
    config.concurrency = concurrency;
    config.max_events = Some(events);
    config
}

#[tokio::test]
async fn a_hyper_server_sees_the_same_request_as_from_the_hyper_client() {
    let mut server = serve(ok()).await;
    let mut config = config(server.target("/hook?x=1"), 2, 40);
    config.client.headers.push((
        HeaderName::from_static("x-custom"),
        Secret::new("custom value".to_owned()),
    ));
    let mut one = delivery("e1", Some("a1"));
    one.extra_headers.push((
        HeaderName::from_static("x-event-id"),
        HeaderValue::from_static("e1"),
    ));
    let body = one.body.clone();
    let report = tokio::time::timeout(BOUND, load(vec![one], &config, std::future::pending()))
        .await
        .expect("bounded")
        .unwrap();
    assert_eq!((report.events, report.delivered), (40, 40), "{report}");
    let captured = server.drain();
    assert_eq!(captured.len(), 40);
    let request = &captured[0];
    assert_eq!(request.method, http::Method::POST);
    assert_eq!(request.uri.to_string(), "/hook?x=1");
    assert_eq!(request.body, body);
    assert_eq!(
        request.header("host"),
        Some(format!("127.0.0.1:{}", server.addr.port()).as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(request.header("x-custom"), Some("custom value"));
    assert_eq!(request.header("x-event-id"), Some("e1"));
    assert!(request.header("user-agent").unwrap().starts_with("tesim/"));
    // Keep-alive: the one alert's events all go on one connection.
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_redirect_is_counted_and_never_followed() {
    let mut server = serve(Arc::new(|_| {
        let mut response = respond(307, "moved");
        response.headers_mut().insert(
            "location",
            HeaderValue::from_static("http://127.0.0.1:9/elsewhere"),
        );
        response
    }))
    .await;
    let config = config(server.target("/hook"), 1, 3);
    let report = tokio::time::timeout(
        BOUND,
        load(vec![delivery("e1", None)], &config, std::future::pending()),
    )
    .await
    .expect("bounded")
    .unwrap();
    assert_eq!((report.events, report.failed), (3, 3), "{report}");
    assert_eq!(report.errors.get("redirect"), Some(&3));
    assert!(
        report.first_errors["redirect"].contains("http://127.0.0.1:9/elsewhere"),
        "{report}"
    );
    let paths: Vec<String> = server
        .drain()
        .iter()
        .map(|request| request.uri.path().to_owned())
        .collect();
    assert_eq!(paths, ["/hook", "/hook", "/hook"]);
}

/// A raw receiver: reads each request head and Content-Length body, answers `answer`, and
/// closes the connection after each answer when `close` is set.
async fn raw_receiver(answer: &'static [u8], close: bool) -> (Target, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target: Target = format!("http://{}/hook", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut pending = Vec::new();
                let mut buffer = [0u8; 4096];
                loop {
                    // One request: head, then Content-Length bytes.
                    let request_len = loop {
                        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&pending[..end]).to_lowercase();
                            let length: usize = head
                                .lines()
                                .find_map(|line| line.strip_prefix("content-length: "))
                                .and_then(|value| value.trim().parse().ok())
                                .unwrap_or(0);
                            if pending.len() >= end + 4 + length {
                                break end + 4 + length;
                            }
                        }
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => pending.extend_from_slice(&buffer[..n]),
                        }
                    };
                    pending.drain(..request_len);
                    if stream.write_all(answer).await.is_err() || close {
                        return;
                    }
                }
            });
        }
    });
    (target, connections)
}

#[tokio::test]
async fn connection_close_is_honoured_by_reconnecting() {
    let (target, connections) = raw_receiver(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
        true,
    )
    .await;
    let config = config(target, 1, 5);
    let report = tokio::time::timeout(
        BOUND,
        load(vec![delivery("e1", None)], &config, std::future::pending()),
    )
    .await
    .expect("bounded")
    .unwrap();
    assert_eq!((report.events, report.delivered), (5, 5), "{report}");
    assert_eq!(connections.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn chunked_answers_keep_the_connection() {
    let (target, connections) = raw_receiver(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        false,
    )
    .await;
    let config = config(target, 1, 5);
    let report = tokio::time::timeout(
        BOUND,
        load(vec![delivery("e1", None)], &config, std::future::pending()),
    )
    .await
    .expect("bounded")
    .unwrap();
    assert_eq!((report.events, report.delivered), (5, 5), "{report}");
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_malformed_answer_is_an_error_that_says_so() {
    let (target, _) = raw_receiver(b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n", false).await;
    let config = config(target, 1, 2);
    let report = tokio::time::timeout(
        BOUND,
        load(vec![delivery("e1", None)], &config, std::future::pending()),
    )
    .await
    .expect("bounded")
    .unwrap();
    assert_eq!((report.events, report.failed), (2, 2), "{report}");
    assert_eq!(report.errors.get("other"), Some(&2), "{report}");
    assert!(
        report.first_errors["other"].contains("not valid HTTP/1.1"),
        "{report}"
    );
}

/// A receiver that accepts and reads but never answers (an empty answer writes nothing);
/// counts its connections.
async fn silent_receiver() -> (Target, Arc<AtomicUsize>) {
    raw_receiver(b"", false).await
}

#[tokio::test]
async fn a_silent_receiver_times_out_every_request_on_a_new_connection() {
    // One connection's timer serves every request: each must still get its own full timeout,
    // and a timed-out connection (state unknown) must not carry the next request.
    let (target, connections) = silent_receiver().await;
    let mut config = config(target, 1, 3);
    config.client.request_timeout = Duration::from_millis(200);
    let started = std::time::Instant::now();
    let report = tokio::time::timeout(
        BOUND,
        load(vec![delivery("e1", None)], &config, std::future::pending()),
    )
    .await
    .expect("bounded")
    .unwrap();
    assert_eq!((report.events, report.failed), (3, 3), "{report}");
    assert_eq!(report.errors.get("timeout"), Some(&3), "{report}");
    // Timers never fire early: three requests waited at least three timeouts.
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert!(report.latency.p50_ms >= 200.0, "{report}");
    assert_eq!(connections.load(Ordering::SeqCst), 3);
}
