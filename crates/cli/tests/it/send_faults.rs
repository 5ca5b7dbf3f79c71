//! `tesim send` under faults, as a user meets them: killed with SIGKILL or stopped with
//! SIGTERM mid-run, a full disk under `--log`, credentials in a URL.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use crate::tesim;

/// Bound on waiting for anything: only a hang fails.
const BOUND: Duration = Duration::from_secs(60);

/// A receiver on 127.0.0.1:0 that records every request's `eventId` and answers the first
/// `answered` requests with 200, then holds every further one open without answering.
pub(crate) struct CountingReceiver {
    pub(crate) url: String,
    pub(crate) seen: Arc<Mutex<Vec<String>>>,
    arrivals: mpsc::Receiver<usize>,
}

pub(crate) fn counting_receiver(answered: usize) -> CountingReceiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (tx, arrivals) = mpsc::channel();
    let seen_server = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (seen, tx) = (seen_server.clone(), tx.clone());
            std::thread::spawn(move || serve(stream, answered, &seen, &tx));
        }
    });
    CountingReceiver {
        url,
        seen,
        arrivals,
    }
}

/// Reads one request's head and its body (by `content-length`); `None` when the peer went away.
pub(crate) fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

fn serve(stream: TcpStream, answered: usize, seen: &Mutex<Vec<String>>, tx: &mpsc::Sender<usize>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let Some(body) = read_request(&mut reader) else {
            return;
        };
        let body = String::from_utf8_lossy(&body);
        let event_id = body
            .split_once(r#""eventId":""#)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(id, _)| id.to_owned())
            .unwrap_or_default();
        let n = {
            let mut seen = seen.lock().unwrap();
            seen.push(event_id);
            seen.len()
        };
        let _ = tx.send(n);
        if n > answered {
            // Hold it: read until the sender goes away.
            let mut sink = [0u8; 256];
            while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
            return;
        }
        let _ = writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
    }
}

impl CountingReceiver {
    /// Waits until the receiver has got at least `n` requests.
    pub(crate) fn wait_for(&self, n: usize) {
        assert!(self.got(n), "requests keep arriving");
    }

    /// Whether the receiver gets at least `n` requests, none of them more than [`BOUND`] after
    /// the one before.
    pub(crate) fn got(&self, n: usize) -> bool {
        loop {
            match self.arrivals.recv_timeout(BOUND) {
                Ok(got) if got >= n => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    }
}

pub(crate) fn spawn_send(args: &[&str]) -> Child {
    Command::new(crate::tesim_bin())
        .arg("send")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tesim starts")
}

pub(crate) fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the child, bounded; kills it and fails on a hang.
pub(crate) fn wait_bounded(child: Child) -> std::process::Output {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(BOUND) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("tesim did not exit in time");
        }
    }
}

pub(crate) fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tesim-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn sigkill_loses_no_delivery_the_receiver_got() {
    let receiver = counting_receiver(10);
    let dir = scratch("sigkill");
    let log = dir.join("log.jsonl");
    let child = spawn_send(&[
        "--target",
        &receiver.url,
        "--scenario",
        "storm",
        "--concurrency",
        "8",
        "--timeout",
        "10m",
        "--log",
        log.to_str().unwrap(),
    ]);
    // 10 answered, at least one more held in flight: mid-run.
    receiver.wait_for(11);
    signal(&child, "KILL");
    let output = wait_bounded(child);
    assert!(!output.status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    let seen = receiver.seen.lock().unwrap().clone();
    assert!(seen.len() >= 11);
    // Whatever the log's format: each event id the receiver got is in it.
    for event_id in &seen {
        assert!(
            text.contains(&format!("\"{event_id}\"")),
            "{event_id} reached the receiver but is not in the log"
        );
    }
    let (records, bad) = tesim_sender::read_log(&text);
    assert!(bad.len() <= 1, "only a last line may be torn: {bad:?}");
    for event_id in &seen {
        assert!(
            records
                .iter()
                .any(|record| record.attempt().event_id == *event_id),
            "{event_id} reached the receiver but is not in the log"
        );
    }
    // The held ones are intents without an outcome: attempted, outcome unknown.
    assert!(!tesim_sender::unresolved(&records).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn sigterm_cancels_in_flight_and_prints_the_summary() {
    let receiver = counting_receiver(3);
    let dir = scratch("sigterm");
    let log = dir.join("log.jsonl");
    let child = spawn_send(&[
        "--target",
        &receiver.url,
        "--scenario",
        "storm",
        "--timeout",
        "10m",
        "--log",
        log.to_str().unwrap(),
    ]);
    receiver.wait_for(4);
    signal(&child, "TERM");
    let output = wait_bounded(child);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(stdout.contains("cancelled in flight"), "{stdout}");
    let (records, _) = tesim_sender::read_log(&std::fs::read_to_string(&log).unwrap());
    assert!(
        records.iter().any(|record| matches!(record,
            tesim_sender::LogRecord::Outcome(outcome) if outcome.error_kind.as_deref() == Some("cancelled"))),
        "no cancelled record"
    );
    assert!(tesim_sender::unresolved(&records).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(target_os = "linux")]
#[test]
fn full_disk_ends_with_summary_and_names_the_log() {
    let receiver = counting_receiver(usize::MAX);
    let output = tesim(&["send", "--target", &receiver.url, "--log", "/dev/full"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.contains("delivered (2xx)"), "no summary: {stdout}");
    assert!(stderr.contains("/dev/full"), "{stderr}");
    assert!(!stderr.contains("directory"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn sigint_cancels_in_flight_and_prints_the_summary() {
    // Every request held: only cancellation ends those in flight before `--timeout` (10 min).
    let receiver = counting_receiver(0);
    let child = spawn_send(&[
        "--target",
        &receiver.url,
        "--scenario",
        "storm",
        "--timeout",
        "10m",
    ]);
    receiver.wait_for(1);
    signal(&child, "INT");
    let output = wait_bounded(child);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(stdout.contains("cancelled in flight"), "{stdout}");
}

/// The second interrupt is not ignored. (That it acts before the first one's short grace ends
/// is not asserted: that would be timing.)
#[cfg(unix)]
#[test]
fn a_second_interrupt_is_heard() {
    let receiver = counting_receiver(0);
    let mut child = spawn_send(&[
        "--target",
        &receiver.url,
        "--scenario",
        "storm",
        "--timeout",
        "10m",
    ]);
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    receiver.wait_for(1);
    signal(&child, "INT");
    // The first one is acknowledged, not met with silence.
    let acknowledged = loop {
        match lines.recv_timeout(BOUND) {
            Ok(line) if line.contains("interrupt") => break Some(line),
            Ok(_) => {}
            Err(_) => break None,
        }
    };
    if acknowledged.is_none() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("no word on stderr after the first interrupt");
    }
    signal(&child, "INT");
    let output = wait_bounded(child);
    assert_eq!(output.status.code(), Some(130));
}

#[test]
fn check_never_prints_url_credentials() {
    for target in [
        "http://alice:pa55word@127.0.0.1:1/hook",
        "ftp://alice:pa55word@127.0.0.1:1/hook",
    ] {
        let output = tesim(&["check", "--target", target]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.status.success(), "{target}");
        assert!(!all.contains("pa55word"), "{target}: {all}");
    }
}

#[test]
fn send_never_prints_url_credentials() {
    for target in [
        "ftp://alice:pa55word@127.0.0.1:1/hook",
        "http://alice:pa55word@127.0.0.1:1/hook",
    ] {
        let output = tesim(&["send", "--target", target]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.status.success(), "{target}");
        assert!(!all.contains("pa55word"), "{target}: {all}");
    }
}
