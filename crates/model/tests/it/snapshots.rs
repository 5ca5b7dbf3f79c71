//! One canonical payload per event type and profile, snapshotted under `snapshots/model/`.
//! Renaming a field in the model changes these files, so the change cannot go unnoticed.

use tesim_model::{Profile, render};

use crate::fixtures;

#[test]
fn canonical_payloads() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../snapshots/model"
    ));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for profile in Profile::ALL {
            for (name, timed) in fixtures::canonical() {
                let event = render(profile, &timed);
                let value: serde_json::Value = serde_json::from_str(&event.to_json()).unwrap();
                insta::assert_json_snapshot!(format!("{profile}__{name}"), value);
            }
        }
    });
}
