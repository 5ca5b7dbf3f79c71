//! The official ThousandEyes Python SDK (`thousandeyes-sdk-alerts`) lists alerts by date
//! range and reads each by id against the mock (issue 12). `cargo xtask ci` installs the SDK
//! into `target/sdk-venv`; under `CI` this test fails rather than skips when it cannot run.

use std::path::PathBuf;
use std::process::Command;

use super::support::{TOKEN, config, scenario, start_with};

/// The pinned SDK release `cargo xtask ci` installs (keep in step with xtask).
pub const SDK: &str = "thousandeyes-sdk-alerts==6.0.0";

fn venv_python() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")),
        PathBuf::from,
    );
    target.join("sdk-venv/bin/python")
}

#[allow(clippy::print_stderr)] // says why the test was skipped
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_lists_by_date_range_and_reads_by_id() {
    let python = venv_python();
    let has_sdk = Command::new(&python)
        .args(["-c", "import thousandeyes_sdk.alerts"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_sdk {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the official SDK against the mock: {} cannot import thousandeyes_sdk.alerts; `cargo xtask ci` installs it",
            python.display()
        );
        eprintln!(
            "skipping: no SDK venv; python3 -m venv target/sdk-venv && target/sdk-venv/bin/pip install {SDK}"
        );
        return;
    }
    // Every alert of the default scenario has happened; the SDK's date range covers them.
    let timeline = scenario("default");
    let end = timeline.duration();
    let server = start_with(timeline, config(), end).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sdk_alerts.py");
    let url = server.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args([script, &url, TOKEN])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed = server.ok("/v7/alerts?window=3650d").await;
    let n_alerts = listed["alerts"].as_array().unwrap().len();
    assert!(n_alerts > 0);
    assert_eq!(stdout.lines().count(), n_alerts, "{stdout}");
    assert!(stdout.contains(" agent "), "{stdout}");
}
