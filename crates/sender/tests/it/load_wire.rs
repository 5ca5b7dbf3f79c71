//! Load mode's own HTTP/1.1 connection against a real hyper server and raw TCP answerers,
//! on both engines: every case runs once on the readiness engine and once on tokio's.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::{HeaderName, HeaderValue};
use tesim_sender::{Delivery, Engine, LoadConfig, LoadReport, Secret, Target, load_on};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{client_config, delivery, ok, respond, serve};

/// Bound on a run that must end by itself: a hang fails, slowness does not.
const BOUND: Duration = Duration::from_secs(60);

/// `name(engine)` as one test per engine.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn readiness() {
                super::$name(tesim_sender::Engine::Readiness).await;
            }

            #[tokio::test]
            async fn tokio() {
                super::$name(tesim_sender::Engine::Tokio).await;
            }
        }
    )*};
}

on_both_engines!(
    a_hyper_server_sees_the_same_request_as_from_the_hyper_client,
    a_redirect_is_counted_and_never_followed,
    connection_close_is_honoured_by_reconnecting,
    chunked_answers_keep_the_connection,
    a_malformed_answer_is_an_error_that_says_so,
    a_silent_receiver_times_out_every_request_on_a_new_connection,
    a_refused_connection_is_a_connect_error,
    an_answer_cut_short_is_a_reset,
    an_answer_that_is_not_http_says_what_came_back,
    interim_answers_are_skipped_and_http10_closes,
    counts_equal_the_events_asked_for,
    a_host_name_is_resolved_and_its_addresses_tried,
);

/// Runs one bounded load of `deliveries` on `engine`: a hang fails, slowness does not.
async fn run(engine: Engine, deliveries: Vec<Delivery>, config: &LoadConfig) -> LoadReport {
    tokio::time::timeout(
        BOUND,
        load_on(engine, deliveries, config, std::future::pending()),
    )
    .await
    .expect("bounded")
    .unwrap()
}

fn config(target: Target, concurrency: usize, events: u64) -> LoadConfig {
    let mut config = LoadConfig::new(target);
    config.client = client_config();
    config.concurrency = concurrency;
    config.max_events = Some(events);
    config
}

async fn a_hyper_server_sees_the_same_request_as_from_the_hyper_client(engine: Engine) {
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
    let report = run(engine, vec![one], &config).await;
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

async fn a_redirect_is_counted_and_never_followed(engine: Engine) {
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
    let report = run(engine, vec![delivery("e1", None)], &config).await;
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

async fn connection_close_is_honoured_by_reconnecting(engine: Engine) {
    let (target, connections) = raw_receiver(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
        true,
    )
    .await;
    let config = config(target, 1, 5);
    let report = run(engine, vec![delivery("e1", None)], &config).await;
    assert_eq!((report.events, report.delivered), (5, 5), "{report}");
    assert_eq!(connections.load(Ordering::SeqCst), 5);
}

async fn chunked_answers_keep_the_connection(engine: Engine) {
    let (target, connections) = raw_receiver(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        false,
    )
    .await;
    let config = config(target, 1, 5);
    let report = run(engine, vec![delivery("e1", None)], &config).await;
    assert_eq!((report.events, report.delivered), (5, 5), "{report}");
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

async fn a_malformed_answer_is_an_error_that_says_so(engine: Engine) {
    let (target, _) = raw_receiver(b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n", false).await;
    let config = config(target, 1, 2);
    let report = run(engine, vec![delivery("e1", None)], &config).await;
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

async fn a_silent_receiver_times_out_every_request_on_a_new_connection(engine: Engine) {
    // One connection's timer serves every request: each must still get its own full timeout,
    // and a timed-out connection (state unknown) must not carry the next request.
    let (target, connections) = silent_receiver().await;
    let mut config = config(target, 1, 3);
    config.client.request_timeout = Duration::from_millis(200);
    let started = std::time::Instant::now();
    let report = run(engine, vec![delivery("e1", None)], &config).await;
    assert_eq!((report.events, report.failed), (3, 3), "{report}");
    assert_eq!(report.errors.get("timeout"), Some(&3), "{report}");
    // Timers never fire early: three requests waited at least three timeouts.
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert!(report.latency.p50_ms >= 200.0, "{report}");
    assert_eq!(connections.load(Ordering::SeqCst), 3);
}

async fn a_refused_connection_is_a_connect_error(engine: Engine) {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target: Target = format!("http://{}/hook", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    drop(listener);
    let report = run(engine, vec![delivery("e1", None)], &config(target, 2, 4)).await;
    assert_eq!((report.events, report.failed), (4, 4), "{report}");
    assert_eq!(report.errors.get("connect"), Some(&4), "{report}");
    assert!(
        report.first_errors["connect"].contains("refused"),
        "{report}"
    );
}

async fn an_answer_cut_short_is_a_reset(engine: Engine) {
    let (target, connections) =
        raw_receiver(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true).await;
    let report = run(engine, vec![delivery("e1", None)], &config(target, 1, 3)).await;
    assert_eq!((report.events, report.failed), (3, 3), "{report}");
    assert_eq!(report.errors.get("reset"), Some(&3), "{report}");
    // The broken connection is not reused.
    assert_eq!(connections.load(Ordering::SeqCst), 3);
}

async fn an_answer_that_is_not_http_says_what_came_back(engine: Engine) {
    let (target, _) = raw_receiver(b"SSH-2.0-OpenSSH_9.6\r\n", true).await;
    let report = run(engine, vec![delivery("e1", None)], &config(target, 1, 2)).await;
    assert_eq!((report.events, report.failed), (2, 2), "{report}");
    let (kind, message) = report.first_errors.iter().next().unwrap();
    assert!(message.contains("SSH-2.0-OpenSSH_9.6"), "{kind}: {message}");
}

async fn interim_answers_are_skipped_and_http10_closes(engine: Engine) {
    // An HTTP/1.0 answer without keep-alive, its body delimited by the end of the connection.
    let (target, connections) = raw_receiver(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nok",
        true,
    )
    .await;
    let report = run(engine, vec![delivery("e1", None)], &config(target, 1, 4)).await;
    assert_eq!((report.events, report.delivered), (4, 4), "{report}");
    assert_eq!(connections.load(Ordering::SeqCst), 4);
}

async fn counts_equal_the_events_asked_for(engine: Engine) {
    let mut server = serve(ok()).await;
    let deliveries = (0..7)
        .map(|n| delivery(&format!("e{n}"), Some(&format!("a{}", n % 3))))
        .collect();
    let report = run(engine, deliveries, &config(server.target("/hook"), 4, 1001)).await;
    assert_eq!((report.events, report.delivered), (1001, 1001), "{report}");
    assert_eq!(server.drain().len(), 1001);
    // Three alerts: at most three connections carried them, each kept alive.
    assert!(server.connections.load(Ordering::SeqCst) <= 3);
}

#[tokio::test]
async fn the_readiness_engine_refuses_https_targets() {
    let target: Target = "https://127.0.0.1:9/hook".parse().unwrap();
    let err = load_on(
        Engine::Readiness,
        vec![delivery("e1", None)],
        &config(target, 1, 1),
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("readiness engine"), "{err}");
}

async fn a_host_name_is_resolved_and_its_addresses_tried(engine: Engine) {
    // `localhost` may resolve to ::1 first, where nothing listens: the next address serves.
    let mut server = serve(ok()).await;
    let target: Target = format!("http://localhost:{}/hook", server.addr.port())
        .parse()
        .unwrap();
    let report = run(engine, vec![delivery("e1", None)], &config(target, 1, 3)).await;
    assert_eq!((report.events, report.delivered), (3, 3), "{report}");
    assert_eq!(server.drain().len(), 3);
}
