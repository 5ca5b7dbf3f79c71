//! `tesim check --profile`: parsed by the binary, run end to end against the demo receivers.

use super::tesim;

#[test]
fn profile_all_runs_the_payload_checks_in_every_era() {
    let dir = std::env::temp_dir().join(format!("tesim-check-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("report.html");
    let output = tesim(&[
        "check",
        "--demo",
        "--profile",
        "all",
        "--only",
        "TE-DELIVERY-004",
        "--html",
        html.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let correct = std::fs::read_to_string(dir.join("report-correct.html")).unwrap();
    // From October 2021 on, agent notifications are ALERT_NOTIFICATION_* (reference 6.1).
    for label in [
        "POST AGENT_ALERT_NOTIFICATION_TRIGGER (kb2014)",
        "POST AGENT_ALERT_NOTIFICATION_TRIGGER (v6-2021)",
        "POST ALERT_NOTIFICATION_TRIGGER (v6-2022)",
        "POST ALERT_NOTIFICATION_TRIGGER (modern-2025)",
    ] {
        assert!(
            correct.contains(label),
            "{label} missing from the HTML report"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_profile_is_a_usage_error() {
    let output = tesim(&[
        "check",
        "--target",
        "http://127.0.0.1:1/hook",
        "--profile",
        "v6-2019",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unknown payload profile `v6-2019`"),
        "{stderr}"
    );
}
