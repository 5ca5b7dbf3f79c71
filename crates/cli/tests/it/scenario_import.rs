//! `tesim scenario import`: a scenario sent as JSON lines, imported and sent again, gives the
//! same events (the full round trip of every shipped scenario is tested in tesim-capture).

use crate::tesim;

fn event_types(jsonl: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(jsonl)
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            value["eventType"].as_str().unwrap_or("").to_owned()
        })
        .collect()
}

#[test]
fn imported_default_scenario_sends_the_same_event_sequence() {
    let dir = std::env::temp_dir().join(format!("tesim-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("capture.jsonl");
    let scenario = dir.join("imported.toml");
    for profile in ["kb2014", "modern-2025"] {
        let sent = tesim(&[
            "send",
            "--dry-run",
            "--json",
            "--scenario",
            "default",
            "--profile",
            profile,
        ]);
        assert!(sent.status.success(), "{sent:?}");
        std::fs::write(&capture, &sent.stdout).unwrap();
        let imported = tesim(&[
            "scenario",
            "import",
            capture.to_str().unwrap(),
            "-o",
            scenario.to_str().unwrap(),
        ]);
        assert!(imported.status.success(), "{imported:?}");
        let stderr = String::from_utf8_lossy(&imported.stderr);
        assert!(
            stderr.contains(&format!("--profile {profile}")),
            "{profile}: {stderr}"
        );
        let again = tesim(&[
            "send",
            "--dry-run",
            "--json",
            "--scenario",
            scenario.to_str().unwrap(),
            "--profile",
            profile,
        ]);
        assert!(again.status.success(), "{again:?}");
        assert_eq!(
            event_types(&sent.stdout),
            event_types(&again.stdout),
            "{profile}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn input_without_notifications_is_a_usage_error() {
    let dir = std::env::temp_dir().join(format!("tesim-import-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("other.json");
    std::fs::write(&input, r#"{"eventType":"SOMETHING_ELSE"}"#).unwrap();
    let output = tesim(&["scenario", "import", input.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("none of the 1 payloads"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
