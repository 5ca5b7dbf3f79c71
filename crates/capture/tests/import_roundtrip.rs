//! `tesim scenario import` done-when: a shipped scenario rendered in a profile, imported back,
//! compiled and rendered again gives the same event sequence, alert lifecycle and payload
//! structure.

use std::collections::BTreeMap;

use serde_json::Value;
use tesim_capture::{Shape, import, read_payloads};
use tesim_model::{AccountZone, Profile, render};
use tesim_scenario::{Options, Source};

fn rendered(source: &Source, profile: Profile, zone: Option<&str>) -> Vec<Value> {
    let timeline = source
        .compile(Options {
            seed: 7,
            start: None,
            time_zone: zone.map(|zone| AccountZone::parse(zone).unwrap()),
        })
        .unwrap_or_else(|err| panic!("{}: {err}\n{}", source.name, source.text));
    timeline
        .notifications
        .iter()
        .map(|timed| serde_json::from_str(&render(profile, timed).to_json()).unwrap())
        .collect()
}

/// Event type, then the lifecycle: which earlier trigger a clear closes (by position, so ids
/// may differ) and the active codes it carries.
fn lifecycle(events: &[Value]) -> Vec<String> {
    let mut opened: BTreeMap<String, usize> = BTreeMap::new();
    events
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let kind = event["eventType"].as_str().unwrap_or("").to_owned();
            let body = event
                .get("agentAlert")
                .or_else(|| event.get("alert"))
                .cloned()
                .unwrap_or(Value::Null);
            let id = body
                .get("agentNotificationId")
                .or_else(|| body.get("alertId"))
                .map(ToString::to_string)
                .unwrap_or_default();
            let mut codes: Vec<String> = body
                .get("agents")
                .and_then(Value::as_array)
                .map(|agents| agents.iter().map(|a| a["active"].to_string()).collect())
                .unwrap_or_default();
            codes.push(
                body.get("active")
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            );
            let pair = if kind.ends_with("TRIGGER") {
                opened.insert(id, index);
                String::new()
            } else {
                opened
                    .remove(&id)
                    .map(|at| format!(" closes #{at}"))
                    .unwrap_or_default()
            };
            format!("{kind}{pair} active={}", codes.join(","))
        })
        .collect()
}

fn round_trip(name: &str, profile: Profile, zone: Option<&str>) {
    let original = tesim_scenario::load(name).unwrap();
    let events = rendered(&original, profile, zone);
    let jsonl: String = events.iter().map(|event| format!("{event}\n")).collect();
    let imported = import(&read_payloads(&jsonl).unwrap()).unwrap();
    let suggested = imported.profile.expect("an era");
    static CATALOGUE: std::sync::LazyLock<tesim_capture::Catalogue> =
        std::sync::LazyLock::new(tesim_capture::Catalogue::builtin);
    let catalogue = &*CATALOGUE;
    for event in &events {
        assert!(
            catalogue.identify(event).eras.contains(&suggested),
            "{name} in {}: suggested {} does not match {event}",
            profile.name(),
            suggested.name()
        );
    }
    let again = rendered(
        &Source::from_text(&format!("imported-{name}"), &imported.toml),
        profile,
        None,
    );
    assert_eq!(
        lifecycle(&events),
        lifecycle(&again),
        "{name} in {}:\n{}",
        profile.name(),
        imported.toml
    );
    for (index, (before, after)) in events.iter().zip(&again).enumerate() {
        assert_eq!(
            Shape::of(before),
            Shape::of(after),
            "{name} in {} event {index}:\n{before:#}\n{after:#}\n{}",
            profile.name(),
            imported.toml
        );
    }
}

#[test]
fn shipped_scenarios_survive_import_in_every_era() {
    for name in [
        "page-load",
        "default",
        "rule-deleted-while-active",
        "agent-clock-offset",
        "flapping",
        "agent-offline",
        "webhook-test",
    ] {
        for profile in Profile::ALL {
            round_trip(name, profile, None);
        }
    }
}

#[test]
fn the_account_zone_comes_back_from_zoned_dates() {
    round_trip("default", Profile::Modern2025, Some("America/New_York"));
    let events = rendered(
        &tesim_scenario::load("default").unwrap(),
        Profile::Modern2025,
        Some("America/New_York"),
    );
    let jsonl: String = events.iter().map(|event| format!("{event}\n")).collect();
    let imported = import(&read_payloads(&jsonl).unwrap()).unwrap();
    assert!(
        imported.toml.contains("timezone = \"America/New_York\""),
        "{}",
        imported.toml
    );
}

#[test]
fn kb_ids_are_kept() {
    let events = rendered(
        &tesim_scenario::load("page-load").unwrap(),
        Profile::Kb2014,
        None,
    );
    let jsonl: String = events.iter().map(|event| format!("{event}\n")).collect();
    let imported = import(&read_payloads(&jsonl).unwrap()).unwrap();
    let again = rendered(
        &Source::from_text("again", &imported.toml),
        Profile::Kb2014,
        None,
    );
    // Event ids are drawn from the seed; everything else, alert ids and dates included, is
    // the capture's own.
    let without_event_ids = |events: Vec<Value>| {
        events
            .into_iter()
            .map(|mut event| {
                event.as_object_mut().unwrap().remove("eventId");
                event
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        without_event_ids(events),
        without_event_ids(again),
        "{}",
        imported.toml
    );
}

/// The scenario files `tesim scenario import` writes are reviewed like every other output:
/// one snapshot per era of the `page-load` lifecycle.
#[test]
fn imported_scenario_files_are_snapshotted() {
    let (name, text) = tesim_scenario::BUILTIN
        .iter()
        .find(|(name, _)| *name == "page-load")
        .unwrap();
    let source = Source::from_text(name, text);
    for profile in Profile::ALL {
        let lines: Vec<String> = rendered(&source, profile, None)
            .iter()
            .map(Value::to_string)
            .collect();
        let payloads = read_payloads(&lines.join("\n")).unwrap();
        let imported = import(&payloads).unwrap();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../snapshots/import"
        ));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            insta::assert_snapshot!(format!("page-load__{}", profile.name()), imported.toml);
        });
    }
}
