//! `tesim trigger`: one catalogue event through the send pipeline.

use crate::{receiver, receiver_answering, stderr, stdout, tesim};

#[test]
fn dry_run_prints_the_body_with_overrides() {
    let output = tesim(&[
        "trigger",
        "ALERT_NOTIFICATION_TRIGGER",
        "--dry-run",
        "--profile",
        "modern-2025",
        "--set",
        "alert.severity=Critical",
        "--set",
        "alert.violationCount=7",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(body["eventType"], "ALERT_NOTIFICATION_TRIGGER");
    assert_eq!(body["alert"]["severity"], "Critical");
    assert_eq!(body["alert"]["violationCount"], 7);
}

#[test]
fn modern_agent_event_is_mapped_and_said_so() {
    let output = tesim(&[
        "trigger",
        "AGENT_ALERT_NOTIFICATION_CLEAR",
        "--dry-run",
        "--profile",
        "v6-2022",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("alert.type"),
        "{}",
        stderr(&output)
    );
    let body: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(body["eventType"], "ALERT_NOTIFICATION_CLEAR");
    assert_eq!(body["alert"]["type"], "Agent");
}

#[test]
fn delivers_one_event_and_exits_by_the_answer() {
    let ok = receiver();
    let output = tesim(&["trigger", "WEBHOOK_TEST", "--target", &ok.url, "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["delivered"], 1, "{summary}");
    let failing = receiver_answering(500);
    let output = tesim(&["trigger", "WEBHOOK_TEST", "--target", &failing.url]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn bad_type_or_path_is_a_usage_error() {
    let output = tesim(&["trigger", "ALERT_EXPLODED", "--dry-run"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("WEBHOOK_TEST"),
        "{}",
        stderr(&output)
    );
    let output = tesim(&["trigger", "WEBHOOK_TEST", "--dry-run", "--set", "alert.x=1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`alert` does not exist"),
        "{}",
        stderr(&output)
    );
}
