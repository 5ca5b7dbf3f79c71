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

/// A Python with `xmlschema` (pinned in tests/data/requirements.txt), in a venv under the
/// target directory: CI machines have Python and pip but nothing installed, and every step
/// installs what it needs itself (as crates/api/schemathesis.sh does).
fn validator_python() -> std::path::PathBuf {
    let venv = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("junit-xsd-venv");
    let python = venv.join("bin/python");
    let requirements = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/requirements.txt");
    let ready = venv.join("installed.txt");
    let wanted = std::fs::read_to_string(requirements).unwrap();
    if std::fs::read_to_string(&ready).ok().as_deref() != Some(wanted.as_str()) {
        let status = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status();
        assert!(
            status.is_ok_and(|status| status.success()),
            "python3 -m venv {} failed",
            venv.display()
        );
        let output = std::process::Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                requirements,
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "pip install -r {requirements} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::write(&ready, wanted).unwrap();
    }
    python
}

fn validate(python: &std::path::Path, files: &[std::path::PathBuf]) -> (Option<i32>, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/validate_junit.py");
    let output = std::process::Command::new(python)
        .arg(script)
        .args(files)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

// One test for both cases: they share the venv, which must not be created twice at once.
#[tokio::test]
async fn junit_validates_against_the_junit_schema_and_the_validator_can_fail() {
    let report = mixed_report().await;
    let mut failing = report.clone();
    failing.results[1].verdict = Verdict::Fail;
    failing.results[1].message = "answered 500 <Internal> & \"quoted\" \u{1b}[31m".into();
    failing.summary.failed += 1;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (name, report) in [("mixed.xml", &report), ("failing.xml", &failing)] {
        let path = dir.join(name);
        std::fs::write(&path, report.to_junit("ci-runner")).unwrap();
        files.push(path);
    }
    let python = validator_python();
    let (code, stderr) = validate(&python, &files);
    assert_eq!(code, Some(0), "JUnit XML does not validate:\n{stderr}");
    let xml = std::fs::read_to_string(&files[1]).unwrap();
    assert!(
        xml.contains("<failure message=\"answered 500 &lt;Internal&gt; &amp; &quot;quoted&quot; [31m\" type=\"MUST\">"),
        "{xml}"
    );
    assert!(xml.contains("<skipped message="));
    assert!(xml.contains("<error message="));

    // The validator does reject a file missing what the schema requires.
    let bad = dir.join("bad.xml");
    std::fs::write(
        &bad,
        "<testsuites><testsuite name=\"x\"><testcase name=\"a\"/></testsuite></testsuites>",
    )
    .unwrap();
    let (code, stderr) = validate(&python, &[bad]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("missing required attribute 'timestamp'"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn table_has_colour_only_when_asked() {
    let report = mixed_report().await;
    let plain = report.to_table(false, false);
    assert!(!plain.contains('\u{1b}'));
    assert!(plain.contains("TE-SEMANTICS-001"));
    assert!(report.to_table(true, false).contains("\u{1b}[32mPASS"));
}
