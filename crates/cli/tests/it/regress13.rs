//! Issue 13's sender and receiver defects, reproduced through the `tesim` binary as a user
//! meets them, so each can be run against a build from before the fix
//! (`TESIM_BIN=/path/to/old/tesim`; docs/regressions-13.md has the results).

use std::io::{BufRead as _, BufReader, ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use crate::check_tls::self_signed_receiver;
use crate::send_faults::{counting_receiver, read_request, scratch, spawn_send};
use crate::{tesim, tesim_bin};

/// Bound on anything that must happen by itself: only a hang fails, slowness does not.
const BOUND: Duration = Duration::from_secs(60);

/// Bound on a server closing a connection by its default 30 s header timeout.
const DEFAULT_TIMEOUT_BOUND: Duration = Duration::from_secs(120);

fn all_output(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A raw TCP server on 127.0.0.1:0 running `handle` on each connection in a thread of its own.
fn raw_server(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = Arc::new(handle);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let handle = handle.clone();
            std::thread::spawn(move || handle(stream));
        }
    });
    addr
}

/// Keeps the connection until the peer closes it.
fn hold(stream: &mut impl std::io::Read) {
    let mut sink = [0u8; 256];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// A `tesim listen` or `tesim api` child, killed when dropped; its stdout lines arrive on
/// `lines`.
struct Served {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tesim ARGS` and returns once it printed its `http://` address.
fn serve(args: &[&str]) -> Served {
    let mut child = Command::new(tesim_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tesim starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut served = Served {
        child,
        addr: String::new(),
        lines,
    };
    let first = served
        .lines
        .recv_timeout(BOUND)
        .unwrap_or_else(|_| panic!("tesim {args:?} did not print its address"));
    let start = first.find("http://").expect("an http:// address") + "http://".len();
    served.addr = first[start..]
        .split(|c: char| c == '/' || c.is_whitespace())
        .next()
        .unwrap()
        .to_owned();
    served
}

impl Served {
    /// The next stdout line containing `needle`.
    fn line_with(&self, needle: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(BOUND)
                .unwrap_or_else(|_| panic!("no line with {needle}"));
            if line.contains(needle) {
                return line;
            }
        }
    }

    fn connect(&self) -> TcpStream {
        TcpStream::connect(&self.addr).unwrap()
    }

    /// POSTs `body` to `path_and_query` with `headers`; returns once answered.
    fn post(&self, path_and_query: &str, headers: &str, body: &str) {
        let mut stream = self.connect();
        write!(
            stream,
            "POST {path_and_query} HTTP/1.1\r\nHost: {}\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        stream.set_read_timeout(Some(BOUND)).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        assert!(answer.starts_with(b"HTTP/1.1 "), "no answer");
    }
}

/// Whether the server closes `stream` within `bound` (reading and dropping whatever it sends).
fn closed_within(mut stream: TcpStream, bound: Duration) -> bool {
    stream.set_read_timeout(Some(bound)).unwrap();
    let mut sink = [0u8; 1024];
    loop {
        match stream.read(&mut sink) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(err) if err.kind() == ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// send: slots, TLS, messages

/// 4 alerts held by the receiver, their 4 clears queued behind them, then 4 more alerts.
const SLOTS_SCENARIO: &str = r#"
description = "4 alerts whose clears wait behind them, then 4 more alerts"

[fleet]
tests = 8
agents = 4

[[rules]]
id = 7001
name = "Default HTTP Alert Rule"
expression = "Error Type is any"
severity = "major"

[[steps]]
at = "+0s"
action = "burst"
count = 4
spread = "1s"
clear-after = "1m"
agents-per-alert = 1

[[steps]]
at = "+10m"
action = "burst"
count = 4
spread = "1s"
agents-per-alert = 1
"#;

#[test]
fn clears_waiting_for_their_trigger_hold_no_slot() {
    let dir = scratch("slots");
    let scenario = dir.join("slots.toml");
    std::fs::write(&scenario, SLOTS_SCENARIO).unwrap();
    // Nothing is ever answered: 8 requests in flight at once is the only way to 8 arrivals.
    let receiver = counting_receiver(0);
    let mut child = spawn_send(&[
        "--target",
        &receiver.url,
        "--scenario",
        scenario.to_str().unwrap(),
        "--concurrency",
        "8",
        "--timeout",
        "10m",
    ]);
    let got_8 = receiver.got(8);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let seen = receiver.seen.lock().unwrap().len();
    assert!(got_8, "8 slots, but only {seen} requests in flight");
}

#[test]
fn a_self_signed_ca_certificate_given_with_ca_cert_is_trusted() {
    let (pem, url, _runtime) = self_signed_receiver(true);
    let dir = scratch("pin");
    let pinned = dir.join("server.pem");
    std::fs::write(&pinned, pem).unwrap();
    let output = tesim(&[
        "send",
        "--target",
        &url,
        "--scenario",
        "webhook-test",
        "--ca-cert",
        pinned.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "{}", all_output(&output));
}

#[test]
fn a_self_signed_ca_certificate_without_ca_cert_names_the_cause() {
    let (_pem, url, _runtime) = self_signed_receiver(true);
    let output = tesim(&["send", "--target", &url, "--scenario", "webhook-test"]);
    let all = all_output(&output);
    assert!(!output.status.success(), "{all}");
    assert!(all.contains("is a CA certificate"), "{all}");
    assert!(!all.contains("speaks TLS"), "{all}");
}

#[test]
fn an_https_port_that_never_answers_the_handshake_is_named() {
    let addr = raw_server(|mut stream| hold(&mut stream));
    let output = tesim(&[
        "send",
        "--target",
        &format!("https://{addr}/hook"),
        "--scenario",
        "webhook-test",
        "--connect-timeout",
        "500ms",
    ]);
    let all = all_output(&output);
    assert!(!output.status.success(), "{all}");
    assert!(all.contains("TLS handshake"), "{all}");
    assert!(!all.contains("is the receiver running"), "{all}");
}

#[test]
fn a_non_http_answer_is_shown_escaped() {
    let addr = raw_server(|stream| {
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        if read_request(&mut reader).is_some() {
            let _ = writer.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\x1b[2J");
            hold(&mut reader);
        }
    });
    let output = tesim(&[
        "send",
        "--target",
        &format!("http://{addr}/hook"),
        "--scenario",
        "webhook-test",
    ]);
    let all = all_output(&output);
    assert!(!output.status.success(), "{all}");
    assert!(all.contains("SSH-2.0-OpenSSH_9.6"), "{all}");
    assert!(!all.contains('\u{1b}'), "{all}");
    assert!(!all.contains("invalid HTTP"), "{all}");
}

#[test]
fn redirect_advice_gives_a_url() {
    let addr = raw_server(|stream| {
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        while read_request(&mut reader).is_some() {
            let _ = writer.write_all(
                b"HTTP/1.1 301 Moved Permanently\r\nlocation: /moved/hook\r\ncontent-length: 0\r\n\r\n",
            );
        }
    });
    let output = tesim(&[
        "send",
        "--target",
        &format!("http://{addr}/hook"),
        "--scenario",
        "webhook-test",
    ]);
    let all = all_output(&output);
    assert!(!output.status.success(), "{all}");
    assert!(
        all.contains(&format!("--target http://{addr}/moved/hook")),
        "{all}"
    );
}

// ---------------------------------------------------------------------------------------------
// listen: secrets and terminal safety

#[test]
fn listen_masks_credential_headers_and_token_queries() {
    let dir = scratch("listen-mask");
    let jsonl = dir.join("requests.jsonl");
    let listen = serve(&[
        "listen",
        "--listen",
        "127.0.0.1:0",
        "--jsonl",
        jsonl.to_str().unwrap(),
    ]);
    listen.post(
        "/hook?token=tok-s3cret&x=1",
        "X-Credential: cred-s3cret\r\n",
        r#"{"eventType":"ALERT_NOTIFICATION_TRIGGER","eventId":"e-mask"}"#,
    );
    let line = listen.line_with("e-mask");
    assert!(!line.contains("s3cret"), "{line}");
    // The line of a second request comes after the first request's JSONL line is written.
    listen.post(
        "/hook",
        "",
        r#"{"eventType":"ALERT_NOTIFICATION_TRIGGER","eventId":"e-next"}"#,
    );
    listen.line_with("e-next");
    let saved = std::fs::read_to_string(&jsonl).unwrap();
    drop(listen);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(saved.contains("e-mask"), "{saved}");
    assert!(!saved.contains("s3cret"), "{saved}");
}

#[test]
fn listen_escapes_control_characters() {
    let listen = serve(&["listen", "--listen", "127.0.0.1:0"]);
    listen.post(
        "/hook",
        "",
        r#"{"eventType":"ALERT_NOTIFICATION_TRIGGER\u001b[2J","eventId":"e-esc"}"#,
    );
    let line = listen.line_with("e-esc");
    assert!(!line.contains('\u{1b}'), "{line:?}");
}

// ---------------------------------------------------------------------------------------------
// listen and api: slow and idle clients, the connection cap

/// Opens a connection that sends half a request head and then nothing (slowloris).
fn half_sent_head(served: &Served) -> TcpStream {
    let mut stream = served.connect();
    stream
        .write_all(b"POST /hook HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    stream
}

/// With default settings (a 30 s header timeout), a client that never finishes its request
/// head is closed.
#[test]
fn listen_closes_a_slowloris_connection_by_default() {
    let listen = serve(&["listen", "--listen", "127.0.0.1:0"]);
    let stream = half_sent_head(&listen);
    assert!(closed_within(stream, DEFAULT_TIMEOUT_BOUND));
}

#[test]
fn api_closes_a_slowloris_connection_by_default() {
    let api = serve(&["api", "--listen", "127.0.0.1:0"]);
    let stream = half_sent_head(&api);
    assert!(closed_within(stream, DEFAULT_TIMEOUT_BOUND));
}

/// A request whose body stops half way is closed by the idle timeout (its default is 60 s:
/// set short here; a build without the flag fails to start).
fn closes_a_stalled_body(command: &str) {
    let served = serve(&[command, "--listen", "127.0.0.1:0", "--idle-timeout", "1s"]);
    let mut stream = served.connect();
    stream
        .write_all(b"POST /hook HTTP/1.1\r\nHost: x\r\ncontent-length: 100\r\n\r\n{\"eventType\"")
        .unwrap();
    assert!(closed_within(stream, BOUND));
}

#[test]
fn listen_closes_a_stalled_body() {
    closes_a_stalled_body("listen");
}

#[test]
fn api_closes_a_stalled_body() {
    closes_a_stalled_body("api");
}

/// With `--max-connections 1`, a second client is not served while the first stays open, and
/// is served once it closes. (The cap's default is 512 or 1024: set low here; a build without
/// the flag fails to start.)
fn caps_connections(command: &str) {
    let served = serve(&[command, "--listen", "127.0.0.1:0", "--max-connections", "1"]);
    let get = format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", served.addr);
    // The first connection is served (answered), then stays open, keep-alive.
    let mut first = served.connect();
    first.write_all(get.as_bytes()).unwrap();
    first.set_read_timeout(Some(BOUND)).unwrap();
    let mut head = [0u8; 9];
    first.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 ");
    let mut second = served.connect();
    second.write_all(get.as_bytes()).unwrap();
    // Not answered while the first is open: the first one's keep-alive lasts the 30 s header
    // timeout, so 2 s of silence is no race.
    second
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut byte = [0u8; 1];
    let early = second.read(&mut byte);
    assert!(
        matches!(&early, Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "the second connection was served beside the first: {early:?}"
    );
    drop(first);
    second.set_read_timeout(Some(BOUND)).unwrap();
    second
        .read_exact(&mut byte)
        .expect("served once the first closed");
    assert_eq!(&byte, b"H");
}

#[test]
fn listen_caps_connections() {
    caps_connections("listen");
}

#[test]
fn api_caps_connections() {
    caps_connections("api");
}
