//! `identify` names the era of the reference's samples and of everything tesim sends.

use std::sync::LazyLock;

use serde_json::Value;
use tesim_capture::identify::DeviationKind;
use tesim_capture::{Catalogue, Identification};
use tesim_model::{Profile, render, samples};
use tesim_scenario::{BUILTIN, Options, Source};

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(Catalogue::builtin);

fn identify(text: &str) -> Identification {
    let payload: Value = serde_json::from_str(text).unwrap();
    CATALOGUE.identify(&payload)
}

#[track_caller]
fn check(name: &str, text: &str, era: Profile) {
    let found = identify(text);
    assert!(
        found.eras.contains(&era),
        "{name}: expected {era}, got eras {:?}, closest {:?}, deviations:\n{}",
        found.eras,
        found.closest,
        found
            .deviations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_reference_samples_match_their_eras() {
    check("kb trigger", samples::KB2014_TRIGGER, Profile::Kb2014);
    check("kb clear", samples::KB2014_CLEAR, Profile::Kb2014);
    check(
        "kb agent trigger",
        samples::KB2014_AGENT_TRIGGER,
        Profile::Kb2014,
    );
    check(
        "kb agent clear",
        samples::KB2014_AGENT_CLEAR,
        Profile::Kb2014,
    );
    check(
        "2021 http server trigger",
        samples::V6_2021_HTTP_SERVER_TRIGGER,
        Profile::V6_2021,
    );
    check(
        "2025 agent notification",
        samples::MODERN_2025_AGENT_TRIGGER,
        Profile::Modern2025,
    );
    check(
        "2025 http server clear",
        samples::MODERN_2025_HTTP_SERVER_CLEAR,
        Profile::Modern2025,
    );
    // A webhook test is the same in every era.
    assert_eq!(identify(samples::KB2014_WEBHOOK_TEST).eras, Profile::ALL);
}

#[test]
fn a_renamed_field_is_named_both_ways() {
    let renamed = samples::KB2014_TRIGGER.replacen("\"ruleName\"", "\"rule_name\"", 1);
    let found = identify(&renamed);
    assert!(found.eras.is_empty());
    assert_eq!(found.closest, Some(Profile::Kb2014));
    let paths: Vec<(&str, &DeviationKind)> = found
        .deviations
        .iter()
        .map(|deviation| (deviation.path.as_str(), &deviation.kind))
        .collect();
    assert!(
        matches!(
            paths.as_slice(),
            [
                ("alert.ruleName", DeviationKind::Missing { .. }),
                ("alert.rule_name", DeviationKind::Extra { .. }),
            ]
        ),
        "{paths:?}"
    );
}

#[test]
fn an_id_above_2_32_where_the_era_writes_32_bits_is_another_kind() {
    let mut payload: Value = serde_json::from_str(samples::KB2014_TRIGGER).unwrap();
    payload["alert"]["alertId"] = Value::from(4_294_967_297_u64);
    let found = CATALOGUE.identify(&payload);
    let deviation = found
        .deviations
        .iter()
        .find(|deviation| deviation.path == "alert.alertId")
        .expect("alertId deviates");
    assert!(
        deviation.to_string().contains("integer (above 2^32)"),
        "{deviation}"
    );
}

/// Everything tesim sends is identified as the era it was sent in, and as another era only
/// where that era writes the same notification in the same shape (agent notifications are the
/// same in kb2014 and v6-2021): eras are told apart wherever they differ.
#[test]
fn every_rendering_identifies_as_its_own_era() {
    fn shape(era: Profile, timed: &tesim_model::TimedNotification) -> tesim_capture::Shape {
        tesim_capture::Shape::of(&serde_json::from_str(&render(era, timed).to_json()).unwrap())
    }
    for (name, text) in BUILTIN {
        let timeline = Source::from_text(name, text)
            .compile(Options::default())
            .unwrap();
        for era in Profile::ALL {
            for timed in timeline.notifications.iter().take(50) {
                let found = identify(&render(era, timed).to_json());
                assert!(found.eras.contains(&era), "{name} {era}: {found:?}");
                for other in &found.eras {
                    assert_eq!(
                        shape(*other, timed),
                        shape(era, timed),
                        "{name}: {era} identified as {other} too"
                    );
                }
            }
        }
    }
}

/// The capture record and its HAR export are file formats users keep: their shape is
/// reviewed like every payload.
#[test]
fn capture_and_har_formats_are_snapshotted() {
    use tesim_capture::record::{CapturedRequest, CapturedResponse, SCHEMA};
    let record = tesim_capture::CaptureRecord {
        schema: SCHEMA.to_owned(),
        at: "2026-12-01T14:00:00.123Z".to_owned(),
        request: CapturedRequest {
            method: "POST".to_owned(),
            url: "http://127.0.0.1:8080/hook?token=***".to_owned(),
            headers: vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("authorization".to_owned(), "Basic ***".to_owned()),
            ],
            body: samples::KB2014_WEBHOOK_TEST.trim_end().to_owned(),
            body_size: samples::KB2014_WEBHOOK_TEST.trim_end().len(),
        },
        response: Some(CapturedResponse {
            status: 200,
            headers: vec![("content-length".to_owned(), "2".to_owned())],
            body: "ok".to_owned(),
            body_size: 2,
            latency_ms: 3.5,
        }),
        error: None,
    };
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../snapshots/capture"
    ));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!("capture-record", record.to_line());
        insta::assert_json_snapshot!("har", tesim_capture::har::to_har(&[record], "0.0.0"));
    });
}
