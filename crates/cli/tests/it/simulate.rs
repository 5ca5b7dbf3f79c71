//! `tesim simulate`: the first command a newcomer runs.

use crate::{receiver, stderr, stdout, tesim};

#[test]
fn default_shows_all_five_event_types_arriving() {
    let output = tesim(&["simulate"]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    for event_type in [
        "WEBHOOK_TEST",
        "ALERT_NOTIFICATION_TRIGGER",
        "ALERT_NOTIFICATION_CLEAR",
        "AGENT_ALERT_NOTIFICATION_TRIGGER",
        "AGENT_ALERT_NOTIFICATION_CLEAR",
    ] {
        assert!(
            text.contains(&format!("-> 200  {event_type} ")),
            "{event_type} missing:\n{text}"
        );
    }
    assert!(
        text.contains("7 sent, 7 delivered (2xx), 0 failed"),
        "{text}"
    );
    // Binary users have no cargo xtask.
    assert!(text.contains("`tesim simulate --target URL`"), "{text}");
    assert!(!text.contains("cargo xtask"), "{text}");
}

#[test]
fn target_sends_to_another_receiver() {
    let receiver = receiver();
    let output = tesim(&["simulate", "--target", &receiver.url]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}\n{}", stderr(&output));
    assert!(
        text.contains("7 events: 7 delivered (2xx), 0 failed"),
        "{text}"
    );
    assert!(
        text.contains("POST /hook -> 200  ALERT_NOTIFICATION_TRIGGER eventId="),
        "{text}"
    );
}

#[test]
fn quiet_shows_no_delivered_event() {
    let text = stdout(&tesim(&["simulate", "-q"]));
    assert!(!text.contains("-> 200"), "{text}");
    assert!(text.contains("7 sent, 7 delivered (2xx)"), "{text}");
}

#[test]
fn same_seed_same_events() {
    let ids = |seed: &str| {
        let text = stdout(&tesim(&[
            "simulate",
            "--scenario",
            "flapping",
            "--seed",
            seed,
        ]));
        text.lines()
            .filter(|line| line.contains("eventId="))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("7"), ids("7"));
    assert_ne!(ids("7"), ids("8"));
}

#[test]
fn modern_profile_sends_agent_alerts_as_alert_notifications() {
    let text = stdout(&tesim(&[
        "simulate",
        "--scenario",
        "agent-clock-offset",
        "--profile",
        "modern-2025",
    ]));
    assert!(text.contains("ALERT_NOTIFICATION_TRIGGER"), "{text}");
    assert!(!text.contains("AGENT_ALERT_NOTIFICATION_TRIGGER"), "{text}");
}

#[test]
fn broken_scenario_is_a_usage_error_naming_the_place() {
    let dir = std::env::temp_dir().join(format!("tesim-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.toml");
    std::fs::write(
        &path,
        "[[steps]]\nat = \"+0s\"\naction = \"clear\"\nalert = \"ghost\"\n",
    )
    .unwrap();
    let output = tesim(&["simulate", "--scenario", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("broken.toml:3:10: steps[0].alert: cannot clear alert `ghost`"),
        "{text}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
