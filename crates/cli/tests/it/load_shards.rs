//! `send --load --shard i/N` and `tesim report merge`: three shard processes against one
//! receiver send exactly what one unsharded run sends, and their merged report counts it all.
//! Counts only, never timing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{spawn, stderr, stdout, tesim, wait};

/// A receiver on 127.0.0.1:0 that counts what it captured.
struct Counting {
    url: String,
    captured: Arc<AtomicU64>,
    _runtime: tokio::runtime::Runtime,
}

fn counting_receiver() -> Counting {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let captured = Arc::new(AtomicU64::new(0));
    let counter = captured.clone();
    let url = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let receiver =
            tesim_receiver::spawn(listener, tesim_receiver::ReceiverConfig::default(), tx).unwrap();
        tokio::spawn(async move {
            while rx.recv().await.is_some() {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let url = receiver.url("/hook");
        std::mem::forget(receiver);
        url
    });
    Counting {
        url,
        captured,
        _runtime: runtime,
    }
}

fn dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tesim-cli-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("one JSON document ({err}):\n{text}"))
}

/// Waits until the receiver has counted `expected` captures (they are counted just after the
/// answer), bounded.
fn settle(receiver: &Counting, expected: u64) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let seen = receiver.captured.load(Ordering::SeqCst);
        if seen >= expected || std::time::Instant::now() > deadline {
            return seen;
        }
        std::thread::yield_now();
    }
}

const EVENTS: &str = "301";

#[test]
fn three_shards_merge_into_one_run() {
    let dir = dir("shards");
    let whole_receiver = counting_receiver();
    let whole = tesim(&[
        "send",
        "--load",
        "--target",
        &whole_receiver.url,
        "--events",
        EVENTS,
        "--concurrency",
        "2",
        "--json",
    ]);
    assert_eq!(whole.status.code(), Some(0), "{}", stderr(&whole));
    let whole = json(&stdout(&whole));
    assert_eq!(whole["events"], 301);
    assert_eq!(settle(&whole_receiver, 301), 301);

    let receiver = counting_receiver();
    // Three processes at once, as three pods of an Indexed Job (one reads its index from
    // JOB_COMPLETION_INDEX, as in Kubernetes).
    let children: Vec<_> = (0..3)
        .map(|index| {
            let shard = format!("{index}/3");
            let mut args = vec![
                "send",
                "--load",
                "--target",
                &receiver.url,
                "--events",
                EVENTS,
                "--concurrency",
                "2",
                "--json",
            ];
            if index == 2 {
                args.extend(["--shards", "3"]);
                let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tesim"));
                command
                    .args(&args)
                    .env("JOB_COMPLETION_INDEX", "2")
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                return command.spawn().unwrap();
            }
            args.extend(["--shard", &shard]);
            spawn(&args)
        })
        .collect();
    let mut paths = Vec::new();
    let mut shard_events = 0;
    for (index, child) in children.into_iter().enumerate() {
        let output = wait(child, format!("shard {index}"));
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let report = json(&stdout(&output));
        assert_eq!(report["shard"], format!("{index}/3"));
        shard_events += report["events"].as_u64().unwrap();
        let path = dir.join(format!("shard-{index}.json"));
        std::fs::write(&path, stdout(&output)).unwrap();
        paths.push(path.to_str().unwrap().to_owned());
    }
    assert_eq!(shard_events, 301);
    assert_eq!(settle(&receiver, 301), 301);

    let html = dir.join("merged.html");
    let hlog = dir.join("merged.hlog");
    let mut args = vec!["report", "merge", "--json", "--threshold", "errors<1%"];
    args.extend(paths.iter().map(String::as_str));
    args.extend(["--report-html", html.to_str().unwrap()]);
    args.extend(["--hlog", hlog.to_str().unwrap()]);
    let merged = tesim(&args);
    assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    let merged = json(&stdout(&merged));
    assert_eq!(merged["events"], whole["events"]);
    assert_eq!(merged["delivered"], whole["delivered"]);
    assert_eq!(merged["latency"]["count"], whole["latency"]["count"]);
    assert_eq!(merged["thresholds"][0]["passed"], true);
    assert!(std::fs::read_to_string(&html).unwrap().contains("<svg"));
    assert!(
        std::fs::read_to_string(&hlog)
            .unwrap()
            .contains("#[StartTime: ")
    );

    // A threshold that fails: exit 99 and a line naming it with what was measured.
    let mut args = vec![
        "report",
        "merge",
        "--threshold",
        "p50<1us",
        "--threshold",
        "errors<1%",
    ];
    args.extend(paths.iter().map(String::as_str));
    let failed = tesim(&args);
    assert_eq!(failed.status.code(), Some(99), "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains("1 of 2 thresholds failed: p50<1us (measured "),
        "{}",
        stderr(&failed)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_load_flags_say_what_to_write() {
    for (args, expected) in [
        (vec!["--stages", "30s"], "30s:100/s"),
        (vec!["--threshold", "p99<250"], "250ms"),
        (vec!["--shard", "3/3"], "below the count"),
        (vec!["--shards", "3"], "JOB_COMPLETION_INDEX"),
    ] {
        let mut all = vec!["send", "--load", "--target", "http://127.0.0.1:9/hook"];
        all.extend(args.iter().copied());
        let output = tesim(&all);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let output = tesim(&["report", "merge", "/nonexistent/report.json"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn stages_write_an_hlog_and_an_html_report() {
    let dir = dir("stages");
    let receiver = counting_receiver();
    let hlog = dir.join("run.hlog");
    let html = dir.join("run.html");
    let output = tesim(&[
        "send",
        "--load",
        "--target",
        &receiver.url,
        "--stages",
        "0s:200/s,300ms:200/s",
        "--hlog-interval",
        "100ms",
        "--hlog",
        hlog.to_str().unwrap(),
        "--report-html",
        html.to_str().unwrap(),
        "--threshold",
        "dropped<=100%",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&stdout(&output));
    // 0.3 s at 200/s: 60 events due, each sent or dropped (how many of each is the machine's).
    let sent = report["events"].as_u64().unwrap();
    let dropped = report["dropped"].as_u64().unwrap();
    assert_eq!(sent + dropped, 60, "{report}");
    assert_eq!(report["stages"], "0s:200/s,300ms:200/s");
    let hlog = std::fs::read_to_string(&hlog).unwrap();
    assert!(hlog.contains("#[BaseTime: "), "{hlog}");
    assert!(hlog.lines().filter(|line| !line.starts_with('#')).count() >= 1);
    let html = std::fs::read_to_string(&html).unwrap();
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains("0s:200/s,300ms:200/s"));
    std::fs::remove_dir_all(dir).unwrap();
}
