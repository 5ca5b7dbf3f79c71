//! `tesim replay`: captured bodies arrive byte-identical at a local receiver; changes only
//! when asked.

use std::time::Duration;

use crate::{stderr, stdout, tesim};

/// A capture receiver that hands back the bodies it got.
struct Collector {
    url: String,
    rx: tokio::sync::mpsc::UnboundedReceiver<tesim_receiver::CapturedRequest>,
    runtime: tokio::runtime::Runtime,
}

impl Collector {
    fn start() -> Collector {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (url, rx) = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let receiver =
                tesim_receiver::spawn(listener, tesim_receiver::ReceiverConfig::default(), tx)
                    .unwrap();
            let url = receiver.url("/hook");
            std::mem::forget(receiver);
            (url, rx)
        });
        Collector { url, rx, runtime }
    }

    fn bodies(&mut self, count: usize) -> Vec<Vec<u8>> {
        let rx = &mut self.rx;
        self.runtime.block_on(async {
            let mut bodies = Vec::new();
            while bodies.len() < count {
                let captured = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                    .await
                    .expect("a delivery within 30 s")
                    .expect("receiver alive");
                bodies.push(captured.body.to_vec());
            }
            bodies
        })
    }
}

fn write(name: &str, text: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("tesim-replay-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("capture.jsonl");
    std::fs::write(&path, text).unwrap();
    let text = path.to_str().unwrap().to_owned();
    (dir, text)
}

#[test]
fn captured_bodies_arrive_byte_identical() {
    // Odd spacing and key order, and a pretty-printed body inside a capture record: replay
    // must not re-serialise any of them.
    let raw = r#"{ "eventType" : "WEBHOOK_TEST","eventId":"1714644920186"  }"#;
    let pretty = "{\n  \"eventType\": \"ALERT_NOTIFICATION_TRIGGER\",\n  \"eventId\": \"7-42\",\n  \"alert\": {\"alertId\": 42, \"dateStart\": \"2024-05-02 06:15:50\", \"ruleName\": \"Caf\u{e9} \\u00e9\"}\n}";
    let record = serde_json::json!({
        "schema": "tesim.capture/v1", "at": "2024-05-02T10:15:20Z",
        "request": {"method": "POST", "url": "http://h/", "headers": [], "body": pretty, "bodySize": pretty.len()}
    });
    let (dir, path) = write("bytes", &format!("{raw}\n{record}\n"));
    let mut collector = Collector::start();
    let output = tesim(&["replay", &path, "--target", &collector.url, "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["delivered"], 2, "{summary}");
    let bodies = collector.bodies(2);
    assert_eq!(
        bodies,
        vec![raw.as_bytes().to_vec(), pretty.as_bytes().to_vec()]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn fresh_ids_shift_and_set_change_what_they_say() {
    let trigger = r#"{"eventType":"ALERT_NOTIFICATION_TRIGGER","eventId":"164307665-42198863","alert":{"alertId":42198863,"severity":"Major","dateStart":"2024-05-02 06:15:50","dateStartZoned":"2024-05-02 06:15:50 EDT"}}"#;
    let clear = r#"{"eventType":"ALERT_NOTIFICATION_CLEAR","eventId":"164309233-42198863","alert":{"alertId":42198863,"severity":"Major","dateStart":"2024-05-02 06:15:50","dateEnd":"2024-05-02 06:21:20"}}"#;
    let (dir, path) = write("changes", &format!("{trigger}\n{clear}\n"));
    let output = tesim(&[
        "replay",
        &path,
        "--dry-run",
        "--fresh-ids",
        "--shift-dates",
        "2030-01-01 00:00:00",
        "--set",
        "alert.severity=Critical",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let (t, c) = (&lines[0]["alert"], &lines[1]["alert"]);
    assert_ne!(t["alertId"], 42198863);
    assert_eq!(t["alertId"], c["alertId"]);
    assert_ne!(lines[0]["eventId"], lines[1]["eventId"]);
    assert_eq!(t["severity"], "Critical");
    assert_eq!(t["dateStart"], "2030-01-01 00:00:00");
    assert_eq!(t["dateStartZoned"], "2030-01-01 00:00:00 EDT");
    assert_eq!(c["dateEnd"], "2030-01-01 00:05:30");
    std::fs::remove_dir_all(dir).unwrap();
}
