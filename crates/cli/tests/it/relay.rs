//! `tesim send` → `tesim listen --forward-to` → a receiver: the capture holds what the
//! receiver got, byte for byte, names the right era, and no credential.

use std::sync::{Arc, Condvar, Mutex};

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::{dead_url, stderr, stdout, tesim};

const PASSWORD: &str = "relay-pass-s3cret";
const TOKEN: &str = "relay-bearer-t0ken";
const QUERY_TOKEN: &str = "relay-query-s3cret";

/// A receiver that keeps every body it gets.
struct Keeper {
    url: String,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    arrived: Arc<Condvar>,
    _runtime: tokio::runtime::Runtime,
}

fn keeper() -> Keeper {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let arrived = Arc::new(Condvar::new());
    let url = runtime.block_on({
        let bodies = Arc::clone(&bodies);
        let arrived = Arc::clone(&arrived);
        async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let receiver =
                tesim_receiver::spawn(listener, tesim_receiver::ReceiverConfig::default(), tx)
                    .unwrap();
            tokio::spawn(async move {
                while let Some(request) = rx.recv().await {
                    bodies.lock().unwrap().push(request.body.to_vec());
                    arrived.notify_all();
                }
            });
            let url = receiver.url("");
            std::mem::forget(receiver);
            url
        }
    });
    Keeper {
        url,
        bodies,
        arrived,
        _runtime: runtime,
    }
}

impl Keeper {
    /// Waits until `count` bodies are kept: the receiver hands a request on before it
    /// answers, but the task keeping it may not have run when the sender exits.
    fn wait_for(&self, count: usize) -> Vec<Vec<u8>> {
        let (bodies, timeout) = self
            .arrived
            .wait_timeout_while(
                self.bodies.lock().unwrap(),
                Duration::from_secs(30),
                |bodies| bodies.len() < count,
            )
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "{} bodies kept, {count} expected",
            bodies.len()
        );
        bodies.clone()
    }
}

/// `N` of a send's `… N delivered (2xx) …` summary.
fn delivered(output: &std::process::Output) -> usize {
    let text = format!("{}{}", stdout(output), stderr(output));
    let before = text
        .split(" delivered (2xx)")
        .next()
        .filter(|before| before.len() < text.len())
        .unwrap_or_else(|| panic!("no summary in {text}"));
    before
        .rsplit(' ')
        .next()
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no count before `delivered` in {text}"))
}

/// A running `tesim listen` whose whole output is read (a closed pipe would kill it).
struct Listen {
    child: Child,
    url: String,
    lines: mpsc::Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
}

fn listen(args: &[&str]) -> Listen {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tesim"))
        .arg("listen")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    let ready = lines
        .recv_timeout(Duration::from_secs(60))
        .expect("tesim listen says it is ready within 60 s");
    assert!(ready.contains("ready on"), "{ready}");
    let url = ready_url(&ready);
    Listen {
        child,
        url,
        lines,
        stderr,
    }
}

/// Stops it with SIGINT; its exit code, stdout and stderr.
fn stop(mut listen: Listen) -> (Option<i32>, String, String) {
    interrupt(&listen.child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(listen.child.wait());
    });
    let status = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("tesim listen stops within 60 s")
        .unwrap();
    let out: Vec<String> = listen.lines.iter().collect();
    (status.code(), out.join("\n"), listen.stderr.join().unwrap())
}

fn interrupt(child: &Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn ready_url(line: &str) -> String {
    let start = line.find("http://").unwrap();
    let url = line[start..].split_whitespace().next().unwrap();
    url.trim_end_matches('/').to_owned()
}

#[test]
fn every_era_is_relayed_captured_identified_and_masked() {
    let receiver = keeper();
    let dir = std::env::temp_dir().join(format!("tesim-relay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("capture.jsonl");
    let har = dir.join("capture.har");
    let _ = std::fs::remove_file(&capture);
    let relay = listen(&[
        "--forward-to",
        &receiver.url,
        "--capture",
        capture.to_str().unwrap(),
        "--har",
        har.to_str().unwrap(),
    ]);
    let relay_url = relay.url.clone();
    let basic = format!("basic:alice:{PASSWORD}");
    let bearer = format!("bearer:{TOKEN}");
    let eras = [
        ("kb2014", basic.as_str(), String::from("/hook")),
        ("v6-2021", bearer.as_str(), String::from("/hook")),
        ("v6-2022", "none", format!("/hook?token={QUERY_TOKEN}&x=1")),
        ("modern-2025", basic.as_str(), String::from("/hook")),
    ];
    let mut sent_eras = Vec::new();
    for (era, auth, path) in &eras {
        let target = format!("{relay_url}{path}");
        let output = tesim(&[
            "send",
            "--target",
            &target,
            "--profile",
            era,
            "--auth",
            auth,
        ]);
        assert_eq!(output.status.code(), Some(0), "{era}: {}", stderr(&output));
        let count = delivered(&output);
        receiver.wait_for(sent_eras.len() + count);
        sent_eras.extend(std::iter::repeat_n(*era, count));
    }
    let (code, out, err) = stop(relay);
    assert_eq!(code, Some(0), "{err}");

    let text = std::fs::read_to_string(&capture).unwrap();
    let records: Vec<tesim_capture::CaptureRecord> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let got = receiver.wait_for(sent_eras.len());
    assert!(got.len() >= eras.len(), "{} deliveries", got.len());
    assert_eq!(records.len(), got.len());
    let catalogue = tesim_capture::Catalogue::builtin();
    // Deliveries of one run arrive concurrently, so compare each run's bodies as a multiset;
    // runs follow one another, so their records do too.
    let mut start = 0;
    while start < records.len() {
        let era = sent_eras[start];
        let end = sent_eras.iter().rposition(|e| *e == era).unwrap() + 1;
        let mut captured: Vec<&[u8]> = records[start..end]
            .iter()
            .map(|record| record.request.body.as_bytes())
            .collect();
        let mut received: Vec<&[u8]> = got[start..end].iter().map(Vec::as_slice).collect();
        captured.sort_unstable();
        received.sort_unstable();
        assert!(
            captured == received,
            "{era}: captured bodies differ from received ones"
        );
        start = end;
    }
    for (record, era) in records.iter().zip(&sent_eras) {
        assert_eq!(record.response.as_ref().unwrap().status, 200);
        let json: serde_json::Value = serde_json::from_str(&record.request.body).unwrap();
        let identified = catalogue.identify(&json);
        let era: tesim_model::Profile = era.parse().unwrap();
        assert!(
            identified.eras.contains(&era),
            "{era:?} payload identified as {:?}",
            identified.eras
        );
    }
    assert!(
        text.contains("Basic ***") && text.contains("Bearer ***") && text.contains("token=***")
    );
    // The loop closes: `tesim identify` names an era for every captured payload (exit 0), and
    // `tesim replay` delivers the captured bodies again, byte for byte.
    let identified = tesim(&["identify", capture.to_str().unwrap()]);
    assert_eq!(identified.status.code(), Some(0), "{}", stdout(&identified));
    let before = got.len();
    let replay_target = format!("{}/hook", receiver.url);
    let replayed = tesim(&[
        "replay",
        capture.to_str().unwrap(),
        "--target",
        &replay_target,
    ]);
    assert_eq!(replayed.status.code(), Some(0), "{}", stderr(&replayed));
    let mut again: Vec<Vec<u8>> = receiver.wait_for(before + records.len())[before..].to_vec();
    let mut captured_bodies: Vec<Vec<u8>> = records
        .iter()
        .map(|record| record.request.body.as_bytes().to_vec())
        .collect();
    again.sort_unstable();
    captured_bodies.sort_unstable();
    assert!(
        again == captured_bodies,
        "replayed bodies differ from the captured ones"
    );
    let har_text = std::fs::read_to_string(&har).unwrap();
    let har_json: serde_json::Value = serde_json::from_str(&har_text).unwrap();
    assert_eq!(
        har_json["log"]["entries"].as_array().unwrap().len(),
        records.len()
    );
    let terminal = out + &err;
    for secret in [PASSWORD, TOKEN, QUERY_TOKEN] {
        assert!(!text.contains(secret), "capture holds {secret}");
        assert!(!har_text.contains(secret), "HAR holds {secret}");
        assert!(
            !terminal.contains(secret),
            "terminal shows {secret}: {terminal}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_dead_receiver_gets_502_recorded_and_said_on_every_request() {
    let dir = std::env::temp_dir().join(format!("tesim-relay-dead-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("capture.jsonl");
    let _ = std::fs::remove_file(&capture);
    let dead = dead_url();
    let relay = listen(&[
        "--forward-to",
        dead.trim_end_matches("/hook"),
        "--capture",
        capture.to_str().unwrap(),
    ]);
    let target = format!("{}/hook", relay.url);
    let output = tesim(&["send", "--target", &target, "--retries", "0"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let (_code, out, err) = stop(relay);
    let text = std::fs::read_to_string(&capture).unwrap();
    let records: Vec<tesim_capture::CaptureRecord> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(!records.is_empty());
    assert!(records.iter().all(|record| {
        record.response.is_none()
            && record
                .error
                .as_deref()
                .is_some_and(|e| e.contains("unreachable"))
    }));
    assert_eq!(err.matches("got no answer").count(), records.len(), "{err}");
    assert_eq!(out.matches("-> 502").count(), records.len(), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_scripted_listener_captures_its_own_answers() {
    let dir = std::env::temp_dir().join(format!("tesim-relay-script-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("capture.jsonl");
    let _ = std::fs::remove_file(&capture);
    let listener = listen(&[
        "--respond",
        "503,200",
        "--capture",
        capture.to_str().unwrap(),
    ]);
    let target = format!("{}/hook", listener.url);
    let output = tesim(&["send", "--target", &target, "--retries", "2"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let (code, _out, err) = stop(listener);
    assert_eq!(code, Some(0), "{err}");
    let records: Vec<tesim_capture::CaptureRecord> = std::fs::read_to_string(&capture)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let statuses: Vec<u16> = records
        .iter()
        .map(|record| record.response.as_ref().unwrap().status)
        .collect();
    // The first delivery to arrive got 503 and was retried; every other one got 200.
    assert_eq!(
        statuses.iter().filter(|s| **s == 503).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 503 || *s == 200),
        "{statuses:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_script_flags_are_usage_errors() {
    for args in [
        ["listen", "--respond", "500,abc"],
        ["listen", "--fail-rate", "1.5"],
        ["listen", "--forward-to", "https://example.invalid/"],
    ] {
        let output = tesim(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}
