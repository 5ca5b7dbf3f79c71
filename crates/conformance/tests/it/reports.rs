//! The report formats: JSON round trip, JUnit against the JUnit XML schema, the table.

use std::time::Duration;

use tesim_conformance::{CheckConfig, REPORT_SCHEMA, Report, Verdict};
use tesim_receiver::{Mode, ReceiverConfig};

/// A report with every verdict kind: failures (broken receiver), skips (no auth), passes, and
/// an error (an observation hook that answers something else).
async fn mixed_report() -> Report {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let receiver = tesim_receiver::spawn(
        listener,
        ReceiverConfig::with_mode(Mode::ReprocessDuplicates),
        tx,
    )
    .unwrap();
    let mut config = CheckConfig::new(receiver.url("/hook?name=<&>\"x\""));
    config.timeout = Duration::from_secs(5);
    // The hook answers `{"ok":true}`: JSON, but not an observation document.
    config.observe = Some(receiver.url("/not-a-hook"));
    let report = tesim_conformance::run(&config).await.unwrap();
    receiver.shutdown().await;
    report
}

#[tokio::test]
async fn json_report_round_trips_and_is_versioned() {
    let report = mixed_report().await;
    let json = report.to_json();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema"], REPORT_SCHEMA);
    assert_eq!(value["results"][0]["id"], "TE-URL-001");
    assert_eq!(value["results"][0]["level"], "MUST");
    assert_eq!(value["results"][0]["verdict"], "PASS");
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
    for verdict in [Verdict::Pass, Verdict::Skip, Verdict::Error] {
        assert!(
            report
                .results
                .iter()
                .any(|result| result.verdict == verdict),
            "no {verdict} in the sample"
        );
    }
}

#[tokio::test]
async fn junit_validates_against_the_junit_schema() {
    let report = mixed_report().await;
    let mut failing = report.clone();
    failing.results[1].verdict = Verdict::Fail;
    failing.results[1].message = "answered 500 <Internal> & \"quoted\" \u{1b}[31m".into();
    failing.summary.failed += 1;
    let dir = std::env::temp_dir().join(format!("tesim-junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (name, report) in [("mixed.xml", &report), ("failing.xml", &failing)] {
        let path = dir.join(name);
        std::fs::write(&path, report.to_junit("ci-runner")).unwrap();
        files.push(path);
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/validate_junit.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .args(&files)
        .output()
        .expect("python3 runs (CI has it)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "JUnit XML does not validate (exit {:?}):\n{stderr}",
        output.status.code()
    );
    let xml = std::fs::read_to_string(&files[1]).unwrap();
    assert!(xml.contains("<failure message=\"answered 500 &lt;Internal&gt; &amp; &quot;quoted&quot; [31m\" type=\"MUST\">"), "{xml}");
    assert!(xml.contains("<skipped message="));
    assert!(xml.contains("<error message="));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn junit_validator_rejects_a_broken_file() {
    // The validation test above can fail: a file missing required attributes is refused.
    let path = std::env::temp_dir().join(format!("tesim-junit-bad-{}.xml", std::process::id()));
    std::fs::write(
        &path,
        "<testsuites><testsuite name=\"x\"><testcase name=\"a\"/></testsuite></testsuites>",
    )
    .unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/validate_junit.py");
    let status = std::process::Command::new("python3")
        .arg(script)
        .arg(&path)
        .status()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(status.code(), Some(1));
}

#[tokio::test]
async fn table_has_colour_only_when_asked() {
    let report = mixed_report().await;
    let plain = report.to_table(false);
    assert!(!plain.contains('\u{1b}'));
    assert!(plain.contains("TE-SEMANTICS-001"));
    assert!(report.to_table(true).contains("\u{1b}[32mPASS"));
}
