//! Answers on one keep-alive connection (served from the connection's memo of its last
//! answer) are the answers of fresh connections, byte for byte, and follow the clock; the
//! header timeout also holds for the second request of a connection. Real sockets.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::support::{Server, TOKEN, at, config, scenario, start_with};

const BOUND: Duration = Duration::from_secs(20);

/// One keep-alive connection speaking raw HTTP/1.1.
struct Raw {
    stream: TcpStream,
    pending: Vec<u8>,
}

impl Raw {
    async fn open(server: &Server) -> Raw {
        let stream = TcpStream::connect(server.url.trim_start_matches("http://"))
            .await
            .unwrap();
        Raw {
            stream,
            pending: Vec::new(),
        }
    }

    /// GETs `target` and returns the whole answer (head and body) minus the `date` header.
    async fn get(&mut self, target: &str) -> Vec<u8> {
        self.get_with(target, &format!("Bearer {TOKEN}")).await
    }

    /// GETs `target` with `authorization` as the `Authorization` header.
    async fn get_with(&mut self, target: &str, authorization: &str) -> Vec<u8> {
        let request = format!(
            "GET {target} HTTP/1.1\r\nHost: tesim\r\nAuthorization: {authorization}\r\n\r\n"
        );
        self.stream.write_all(request.as_bytes()).await.unwrap();
        timeout(BOUND, self.answer()).await.expect("no answer")
    }

    async fn answer(&mut self) -> Vec<u8> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(end) = find(&self.pending, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.pending[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length: "))
                    .expect("content-length")
                    .trim()
                    .parse()
                    .unwrap();
                let total = end + 4 + length;
                if self.pending.len() >= total {
                    let answer: Vec<u8> = self.pending.drain(..total).collect();
                    return without_date(&answer);
                }
            }
            let read = self.stream.read(&mut chunk).await.unwrap();
            assert!(read > 0, "closed before the answer was complete");
            self.pending.extend_from_slice(&chunk[..read]);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The answer without its `date:` line, which moves with the wall clock.
fn without_date(answer: &[u8]) -> Vec<u8> {
    let Some(start) = find(answer, b"\r\ndate: ") else {
        return answer.to_vec();
    };
    let end = start + 2 + find(&answer[start + 2..], b"\r\n").unwrap();
    [&answer[..start], &answer[end..]].concat()
}

#[tokio::test]
async fn repeated_answers_on_one_connection_equal_fresh_ones_and_follow_the_clock() {
    // No rate limit: its `remaining` header changes with every request.
    let config = tesim_api::Config {
        rate_limit: 0,
        ..config()
    };
    let server = start_with(scenario("page-load"), config, at(1, 0)).await;
    let targets = [
        "/v7/alerts",
        "/v7/alerts?window=1d",
        "/v7/alerts",
        "/v6/alerts.json",
        "/v7/alerts/rules",
    ];
    let mut kept = Raw::open(&server).await;
    for target in targets {
        let first = kept.get(target).await;
        let again = kept.get(target).await;
        let fresh = Raw::open(&server).await.get(target).await;
        assert!(first.starts_with(b"HTTP/1.1 200 OK\r\n"), "{target}");
        assert_eq!(first, again, "{target}: second answer on one connection");
        assert_eq!(first, fresh, "{target}: fresh connection");
    }
    // The clock moves: the connection's memo must not answer with the old state.
    let before = kept.get("/v7/alerts?window=1d").await;
    server.at(Duration::from_secs(3 * 3600));
    let after = kept.get("/v7/alerts?window=1d").await;
    let fresh = Raw::open(&server).await.get("/v7/alerts?window=1d").await;
    assert_ne!(before, after, "the answer did not follow the clock");
    assert_eq!(after, fresh);
}

#[tokio::test]
async fn a_slow_second_request_head_is_closed() {
    let limits = tesim_api::Limits {
        header_timeout: Duration::from_millis(200),
        idle_timeout: Duration::from_secs(60),
        max_connections: 16,
    };
    let config = tesim_api::Config { limits, ..config() };
    let server = start_with(scenario("page-load"), config, at(1, 0)).await;
    let mut raw = Raw::open(&server).await;
    assert!(raw.get("/v7/alerts").await.starts_with(b"HTTP/1.1 200 OK"));
    raw.stream
        .write_all(b"GET /v7/alerts HTTP/1.1\r\nHost: tesim\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let read = timeout(BOUND, raw.stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
}

/// The byte-compared `Bearer <token>` and the parsed spellings accept and refuse the same.
#[tokio::test]
async fn every_spelling_of_bearer_is_judged_as_before() {
    let server = start_with(scenario("page-load"), config(), at(1, 0)).await;
    let mut raw = Raw::open(&server).await;
    for (authorization, accepted) in [
        (format!("Bearer {TOKEN}"), true),
        (format!("bearer {TOKEN}"), true),
        (format!("BEARER   {TOKEN}  "), true),
        (format!("Bearer {TOKEN}x"), false),
        (format!("Bearer x{TOKEN}"), false),
        ("Bearer".to_owned(), false),
    ] {
        let answer = raw.get_with("/v7/alerts", &authorization).await;
        assert_eq!(
            answer.starts_with(b"HTTP/1.1 200 OK"),
            accepted,
            "{authorization}: {}",
            String::from_utf8_lossy(&answer[..40])
        );
    }
    // A token that the header parser would trim is never accepted as sent.
    let spaced = tesim_api::Config {
        credentials: tesim_api::Credentials {
            user: tesim_api::DEFAULT_USER.to_owned(),
            token: format!(" {TOKEN}"),
        },
        ..config()
    };
    let server = start_with(scenario("page-load"), spaced, at(1, 0)).await;
    let answer = Raw::open(&server)
        .await
        .get_with("/v7/alerts", &format!("Bearer  {TOKEN}"))
        .await;
    assert!(answer.starts_with(b"HTTP/1.1 401"));
}
