//! The seed blog's three requests, as its reader would make them: list tests, read
//! `j['test'][0]['apiLinks'][4]['href']` (the BGP link), list alerts with `?window=5d`.

use std::process::Command;

use http::StatusCode;

use super::support::{Auth, TOKEN, USER, at, start};

#[tokio::test]
async fn blog_requests_work_in_rust() {
    let server = start("default", at(10, 0)).await;
    let reply = server.get("/v6/tests.json", Auth::Basic(USER, TOKEN)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let j = reply.json();
    let href = j["test"][0]["apiLinks"][4]["href"].as_str().unwrap();
    assert_eq!(
        href,
        format!(
            "http://tesim.test/v6/net/bgp-metrics/{}",
            j["test"][0]["testId"]
        )
    );
    let reply = server
        .get("/v6/alerts.json?window=5d", Auth::Basic(USER, TOKEN))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(!reply.json()["alert"].as_array().unwrap().is_empty());
}

/// Runs `examples/blog.py` with Python `requests` when both are installed.
#[allow(clippy::print_stderr)] // says why the Python half was skipped
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blog_requests_work_in_python() {
    let has_requests = Command::new("python3")
        .args(["-c", "import requests"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_requests {
        // `cargo xtask ci` installs `requests` first, so in CI this half always runs.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the blog's Python requests: python3 with `requests` is not installed"
        );
        eprintln!("skipping: python3 with `requests` is not installed (pip install requests)");
        return;
    }
    let server = start("default", at(10, 0)).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/blog.py");
    let url = server.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args([script, &url, USER, TOKEN])
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
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .ends_with("/v6/net/bgp-metrics/2032597"),
        "{stdout}"
    );
    assert!(stdout.contains("\"alertId\""), "{stdout}");
}
