//! `tesim api` as a new user starts it: no `--at`, so the clock runs from the first alert and
//! the first request already shows one; each request is logged on stderr.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer tesim-token\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn a_new_user_sees_alerts_and_the_access_log() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tesim"))
        .args(["api", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tesim starts");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let (log_tx, log_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = log_tx.send(line);
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(60));
    let answer = first.as_deref().ok().and_then(|line| {
        let address = line.trim().strip_prefix("tesim api listening on http://")?;
        Some(get(address, "/v7/alerts"))
    });
    // Lines until the access-log line of that request, bounded in time.
    let mut log = Vec::new();
    while let Ok(line) = log_rx.recv_timeout(Duration::from_secs(10)) {
        let done = line.starts_with("GET /v7/alerts 200 ");
        log.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    let answer = answer.unwrap_or_else(|| panic!("no address line: {first:?}"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\"alertType\""),
        "no alert at first: {answer}"
    );
    assert!(
        log.iter().any(|line| line.contains("(the first alert")),
        "{log:?}"
    );
    assert!(
        log.last()
            .is_some_and(|line| line.starts_with("GET /v7/alerts 200 ")),
        "no access-log line: {log:?}"
    );
}
