//! The shipped scenarios: what they contain, and their payload sequences, snapshotted under
//! `snapshots/scenarios/` for every profile.

use std::collections::BTreeSet;

use tesim_model::{AlertState, EventType, Notification, Profile, render};
use tesim_scenario::{Options, Timeline, builtin_names, load};

fn compile(name: &str) -> Timeline {
    load(name)
        .unwrap()
        .compile(Options::default())
        .unwrap_or_else(|err| panic!("{err}"))
}

fn event_types(timeline: &Timeline, profile: Profile) -> BTreeSet<&'static str> {
    timeline
        .notifications
        .iter()
        .map(|timed| render(profile, timed).event_type().as_str())
        .collect()
}

#[test]
fn every_builtin_compiles() {
    for name in builtin_names() {
        let timeline = compile(name);
        assert!(!timeline.notifications.is_empty(), "{name} sends nothing");
    }
}

#[test]
fn default_covers_all_five_event_types() {
    let timeline = compile("default");
    let all: BTreeSet<&str> = EventType::ALL
        .iter()
        .map(|event_type| event_type.as_str())
        .collect();
    assert_eq!(event_types(&timeline, Profile::Kb2014), all);
}

#[test]
fn rule_deleted_clears_with_active_2() {
    let timeline = compile("rule-deleted-while-active");
    let removed = timeline
        .notifications
        .iter()
        .filter(|timed| matches!(&timed.notification, Notification::AlertClear(alert) if matches!(alert.state, AlertState::RuleRemoved { .. })))
        .count();
    assert_eq!(removed, 2);
}

#[test]
fn flapping_uses_a_new_alert_id_each_cycle() {
    let timeline = compile("flapping");
    let triggers: BTreeSet<u64> = timeline
        .notifications
        .iter()
        .filter_map(|timed| match &timed.notification {
            Notification::AlertTrigger(alert) => Some(alert.number),
            _ => None,
        })
        .collect();
    assert_eq!(triggers.len(), 6);
}

#[test]
fn storm_is_large() {
    let timeline = compile("storm");
    assert_eq!(timeline.notifications.len(), 1000);
    assert_eq!(timeline.tests.len(), 40);
}

#[test]
fn api_state_follows_the_clock() {
    let timeline = compile("page-load");
    assert_eq!(timeline.alerts_at(std::time::Duration::ZERO).len(), 1);
    let end = timeline.duration();
    let alerts = timeline.alerts_at(end);
    let tesim_scenario::AlertSnapshot::Test(alert) = alerts[0] else {
        panic!()
    };
    assert!(matches!(alert.state, AlertState::Cleared { .. }));
}

#[test]
fn payload_sequences() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../snapshots/scenarios"
    ));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for name in builtin_names() {
            let timeline = compile(name);
            for profile in Profile::ALL {
                if name == "storm" && profile != Profile::default() {
                    // 1,000 payloads: one profile is enough to pin the generator; the others
                    // differ only as the small scenarios already show.
                    continue;
                }
                let payloads: Vec<serde_json::Value> = timeline
                    .notifications
                    .iter()
                    .map(|timed| serde_json::from_str(&render(profile, timed).to_json()).unwrap())
                    .collect();
                if name == "storm" {
                    let lines: Vec<String> =
                        payloads.iter().map(|payload| payload.to_string()).collect();
                    insta::assert_snapshot!(format!("{name}__{profile}"), lines.join("\n"));
                } else {
                    insta::assert_json_snapshot!(format!("{name}__{profile}"), payloads);
                }
            }
        }
    });
}
