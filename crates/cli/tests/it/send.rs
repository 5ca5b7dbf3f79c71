//! `tesim send`: exit codes and the messages a user reads.

use crate::{dead_url, receiver, stderr, stdout, tesim, tesim_until};

fn custom_files(test: &str, target: &str) -> (std::path::PathBuf, String, String) {
    let dir = std::env::temp_dir().join(format!("tesim-cli-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let operation = dir.join("operation.json");
    let connector = dir.join("connector.json");
    std::fs::write(
        &operation,
        serde_json::json!({
            "id": "cb1b8033-ea2d-4e9b-a920-fe87850693cf", "name": "Alerts", "category": "alerts",
            "status": "connected", "type": "webhook", "enabled": true, "path": "/te",
            "payload": "{\"id\":\"{{id}}\",\"rule\":\"{{alert.rule.name}}\"}"
        })
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        &connector,
        serde_json::json!({
            "id": "0c0c0c0c-7e51-4000-8000-000000000001", "type": "generic", "name": "Local",
            "target": target, "lastModifiedDate": 1_714_644_920_000_i64, "headers": []
        })
        .to_string(),
    )
    .unwrap();
    let text = |path: &std::path::Path| path.to_str().unwrap().to_owned();
    (dir.clone(), text(&operation), text(&connector))
}

#[test]
fn custom_send_honours_json() {
    let receiver = receiver();
    let (dir, operation, connector) = custom_files("custom-json", &receiver.url);
    let output = tesim(&[
        "send",
        "--operation",
        &operation,
        "--connector",
        &connector,
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("stdout is one JSON document ({err}):\n{}", stdout(&output)));
    assert_eq!(summary["failed"], 0);
    assert!(summary["delivered"].as_u64().unwrap() >= 5, "{summary}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn custom_send_honours_with_api_and_prints_the_common_lines() {
    let receiver = receiver();
    let (dir, operation, connector) = custom_files("custom-api", &receiver.url);
    let output = tesim(&[
        "send",
        "--operation",
        &operation,
        "--connector",
        &connector,
        "--with-api",
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(
        text.contains("mock alerts API at http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("--api-listen"), "{text}");
    // The event line every command prints.
    assert!(
        text.contains("POST /hook/te -> 200  trigger eventId="),
        "{text}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn dead_receiver_stops_after_a_few_failures_with_one_message() {
    let output = tesim(&["send", "--scenario", "storm", "--target", &dead_url()]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}{}", stderr(&output));
    assert_eq!(
        text.matches("stopped after 5 consecutive connection failures")
            .count(),
        1,
        "{text}"
    );
    assert!(text.contains("--no-circuit-breaker"), "{text}");
    // Storm has over 2,000 events; in-flight ones may still fail, but not 2,000 lines.
    assert!(
        text.lines().count() < 60,
        "{} lines:\n{text}",
        text.lines().count()
    );
    assert!(text.contains("not sent (stopped)"), "{text}");
}

#[test]
fn circuit_breaker_can_be_turned_off() {
    let output = tesim(&[
        "send",
        "--scenario",
        "default",
        "--target",
        &dead_url(),
        "--no-circuit-breaker",
        "-q",
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(!text.contains("consecutive connection failures"), "{text}");
    assert!(
        text.contains("7 events: 0 delivered (2xx), 7 failed"),
        "{text}"
    );
}

#[test]
fn missing_env_secret_is_said_once() {
    let output = tesim(&[
        "send",
        "--target",
        "http://127.0.0.1:9/hook",
        "--auth",
        "bearer:env:TESIM_TEST_SURELY_UNSET",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert_eq!(
        text.matches("TESIM_TEST_SURELY_UNSET is not set").count(),
        1,
        "{text}"
    );
}

#[test]
fn ctrl_c_exits_130() {
    let receiver = receiver();
    // Real time: the default scenario takes minutes, so the signal lands mid-run.
    let (child, _) = tesim_until(
        &["send", "--target", &receiver.url, "--realtime"],
        "tesim: sending",
    );
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = crate::wait(child, "tesim send after SIGINT".to_owned());
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
}

#[test]
fn fresh_ids_print_the_seed_that_repeats_them() {
    let ids = |output: &std::process::Output| {
        stdout(output)
            .lines()
            .filter(|line| line.contains("eventId="))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let fresh = tesim(&["simulate", "--fresh-ids", "--scenario", "flapping"]);
    let text = stderr(&fresh);
    let seed = text
        .split("repeat this run with --seed ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no seed printed: {text}"));
    let again = tesim(&["simulate", "--seed", seed, "--scenario", "flapping"]);
    assert_eq!(ids(&fresh), ids(&again));
    assert_ne!(
        ids(&fresh),
        ids(&tesim(&["simulate", "--scenario", "flapping"]))
    );
}

#[test]
fn listen_address_forms_are_explained() {
    let output = tesim(&["listen", "--listen", "example.com:80"]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("write a port (8082), :8082, localhost:8082 or 127.0.0.1:8082"),
        "{text}"
    );
}

#[test]
fn a_404_names_the_path_to_fix() {
    let receiver = crate::receiver_answering(404);
    let output = tesim(&["send", "--target", &receiver.url, "--scenario", "page-load"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("the receiver serves nothing at /hook; check the path of the webhook URL"),
        "{text}"
    );
    assert!(!text.contains("check the receiver's logs"), "{text}");
}

#[test]
fn verbose_shows_payloads_and_quiet_hides_successes() {
    let receiver = receiver();
    let verbose = stdout(&tesim(&["send", "--target", &receiver.url, "-v"]));
    assert!(verbose.contains("\"eventType\""), "{verbose}");
    let quiet = stdout(&tesim(&["send", "--target", &receiver.url, "-q"]));
    assert!(!quiet.contains("-> 200"), "{quiet}");
    assert!(
        quiet.contains("7 events: 7 delivered (2xx), 0 failed"),
        "{quiet}"
    );
}

#[test]
fn custom_dry_run_prints_renderings_and_sends_nothing() {
    let (dir, operation, connector) = custom_files("custom-dry", &crate::dead_url());
    let output = tesim(&[
        "send",
        "--operation",
        &operation,
        "--connector",
        &connector,
        "--dry-run",
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(text.contains("# +0s test eventId="), "{text}");
    assert!(text.contains("path=/te"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bad_start_names_the_flag_and_the_forms() {
    let output = tesim(&["send", "--dry-run", "--start", "yesterday"]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("--start: `yesterday` is not a start instant; write `now` or a date"),
        "{text}"
    );
}
