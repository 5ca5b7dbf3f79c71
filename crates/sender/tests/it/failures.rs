//! Receivers that are down, slow, or hang up.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::HeaderMap;
use tesim_sender::{Client, ClientConfig, DeliveryError, Target};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

fn client(connect_timeout_ms: u64, request_timeout_ms: u64) -> Client {
    Client::new(&ClientConfig {
        connect_timeout: Duration::from_millis(connect_timeout_ms),
        request_timeout: Duration::from_millis(request_timeout_ms),
        ..ClientConfig::default()
    })
    .unwrap()
}

async fn post(client: &Client, target: &Target) -> DeliveryError {
    client
        .post(target, &HeaderMap::new(), Bytes::from_static(b"{}"))
        .await
        .unwrap_err()
}

/// A listener whose connections are accepted and handled by `behave`.
async fn raw<F, Fut>(behave: F) -> std::net::SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(behave(stream));
        }
    });
    addr
}

/// Reads until the end of the request headers and body of a small request.
async fn read_request(stream: &mut tokio::net::TcpStream) {
    let mut buf = vec![0u8; 4096];
    let mut seen = Vec::new();
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            return;
        }
        seen.extend_from_slice(&buf[..n]);
        if seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.ends_with(b"{}") {
            return;
        }
    }
}

#[tokio::test]
async fn connection_refused_says_to_start_the_receiver() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let target: Target = format!("http://{addr}/hook").parse().unwrap();
    let err = post(&client(2000, 5000), &target).await;
    assert!(err.is_connect() && !err.is_timeout(), "{err:?}");
    assert!(
        err.to_string().contains(&format!(
            "connection refused by {addr}; is the receiver running on {addr}?"
        )),
        "{err}"
    );
}

#[tokio::test]
async fn tls_handshake_timeout_is_named() {
    // Accepts TCP but never speaks TLS.
    let addr = raw(|stream| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let target: Target = format!("https://{addr}/hook").parse().unwrap();
    let err = tokio::time::timeout(Duration::from_secs(20), post(&client(300, 10_000), &target))
        .await
        .expect("the connect timeout ends it");
    assert!(err.is_timeout() && err.is_connect(), "{err:?}");
    assert_eq!(
        err.timeout_phase(),
        Some(tesim_sender::TimeoutPhase::TlsHandshake)
    );
    let text = err.to_string();
    assert!(
        text.contains("TLS handshake timed out after 300 ms"),
        "{text}"
    );
    assert!(!text.contains("is the receiver running"), "{text}");
}

#[tokio::test]
async fn a_non_http_answer_is_shown_escaped() {
    let addr = raw(|mut stream| async move {
        use tokio::io::AsyncWriteExt as _;
        read_request(&mut stream).await;
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\x1b[2J").await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let target: Target = format!("http://{addr}/hook").parse().unwrap();
    let err = post(&client(2000, 5000), &target).await;
    assert!(err.is_not_http(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(r#"starts with "SSH-2.0-OpenSSH_9.6\r\n\x1b[2J""#),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(!text.contains("invalid HTTP"), "{text}");
}

#[tokio::test]
async fn plain_http_on_an_https_url_is_not_tls() {
    let addr = raw(|mut stream| async move {
        use tokio::io::AsyncWriteExt as _;
        let _ = stream
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let target: Target = format!("https://{addr}/hook").parse().unwrap();
    let err = post(&client(2000, 5000), &target).await;
    assert_eq!(
        err.tls_problem(),
        Some(&tesim_sender::TlsProblem::NotTls),
        "{err}"
    );
    assert!(err.to_string().contains("does not speak TLS"), "{err}");
}

#[tokio::test]
async fn request_timeout_against_a_receiver_that_never_answers() {
    let addr = raw(|mut stream| async move {
        read_request(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let target: Target = format!("http://{addr}/hook").parse().unwrap();
    let started = Instant::now();
    let err = post(&client(2000, 300), &target).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.is_timeout() && !err.is_connect(), "{err:?}");
    assert!(
        err.to_string().contains("no complete answer within 300 ms"),
        "{err}"
    );
    assert!(!err.to_string().contains("--"), "{err}");
}

#[tokio::test]
async fn receiver_resetting_the_connection() {
    let addr = raw(|mut stream| async move {
        read_request(&mut stream).await;
        // SO_LINGER 0: close sends RST.
        stream.set_zero_linger().unwrap();
        drop(stream);
    })
    .await;
    let target: Target = format!("http://{addr}/hook").parse().unwrap();
    let err = post(&client(2000, 5000), &target).await;
    assert!(err.is_reset(), "{err:?}");
    assert!(
        err.to_string()
            .contains("closed the connection before answering"),
        "{err}"
    );
}

#[tokio::test]
async fn receiver_closing_without_an_answer() {
    let addr = raw(|mut stream| async move {
        read_request(&mut stream).await;
        drop(stream);
    })
    .await;
    let target: Target = format!("http://{addr}/hook").parse().unwrap();
    let err = post(&client(2000, 5000), &target).await;
    assert!(err.is_reset(), "{err:?}");
}
