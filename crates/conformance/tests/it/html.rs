//! The HTML and Markdown reports, the baseline comparison, reports of runs that could not
//! happen, and the verdict line.

use std::time::Duration;

use tesim_conformance::{CheckConfig, CheckError, Report, Verdict};
use tesim_receiver::{Mode, ReceiverConfig, RequiredAuth};

async fn report_of(mode: Mode, auth: bool, observe: bool) -> Report {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let mut receiver_config = ReceiverConfig::with_mode(mode);
    if auth {
        receiver_config.auth = Some(RequiredAuth::Basic {
            username: "te".into(),
            password: "s3cret-pw".into(),
        });
    }
    let receiver = tesim_receiver::spawn(listener, receiver_config, tx).unwrap();
    let mut config = CheckConfig::new(receiver.url("/hook"));
    config.timeout = Duration::from_secs(5);
    config.run_id = Some(7);
    if auth {
        config.auth = "basic:te:s3cret-pw".parse().unwrap();
    }
    if observe {
        config.observe = receiver.observe_url();
    }
    config.skip = vec!["TE-OAUTH-*".into()];
    let report = tesim_conformance::run(&config).await.unwrap();
    receiver.shutdown().await;
    report
}

#[tokio::test]
async fn html_is_self_contained_masked_and_puts_failures_first() {
    let report = report_of(Mode::ReprocessDuplicates, true, true).await;
    let html = report.to_html(false);
    // No fetch of anything: no external URL in src/href, no script, no @import.
    for needle in ["src=", "href=\"http", "<script", "@import", "<link"] {
        assert!(
            !html.contains(needle),
            "the report fetches or runs `{needle}`"
        );
    }
    assert!(!html.contains("s3cret-pw") && !html.contains("dGU6czNjcmV0LXB3"));
    assert!(
        html.contains("authorization: Basic ***"),
        "no masked credential in the transcript"
    );
    let failed = html.find("id=\"TE-SEMANTICS-001\"").unwrap();
    let passed = html.find("id=\"TE-DELIVERY-001\"").unwrap();
    assert!(failed < passed, "failed checks come first");
    for part in [
        "<dt>why</dt>",
        "<dt>fix</dt>",
        "<dt>source</dt>",
        "<dt>rerun</dt>",
        "--only TE-SEMANTICS-001",
        "class=\"sent\"",
        "class=\"received\"",
        "f-FAIL",
    ] {
        assert!(html.contains(part), "the report lacks {part}");
    }
    // The 1,000-agent body is cut, with its full size shown.
    let many = report
        .results
        .iter()
        .find(|result| result.id == "TE-ROBUST-004")
        .unwrap();
    let sent = many.evidence[0].sent.as_ref().unwrap();
    assert!(
        sent.body_bytes > 100_000 && sent.body.len() < 3_000,
        "{}",
        sent.body_bytes
    );
    assert!(html.contains("truncated,"));
}

/// The structure of the HTML report: tags and classes, with text, dates and durations cut
/// away, so a change of layout shows in review and nothing that varies between runs does.
fn skeleton(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let tag = &rest[start..start + len + 1];
        rest = &rest[start + len + 1..];
        if tag.starts_with("</") || tag.starts_with("<!") || tag.starts_with("<style") {
            continue;
        }
        let name: String = tag[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let class = tag
            .split("class=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(|class| format!(".{}", class.replace(' ', ".")))
            .unwrap_or_default();
        let id = tag
            .split(" id=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(|id| format!("#{id}"))
            .unwrap_or_default();
        out.push_str(&format!("{name}{class}{id}\n"));
    }
    out
}

#[tokio::test]
async fn html_structure() {
    let report = report_of(Mode::ReprocessDuplicates, false, true).await;
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../snapshots/conformance"
    ));
    settings.bind(|| insta::assert_snapshot!("html_structure", skeleton(&report.to_html(false))));
}

#[tokio::test]
async fn markdown_lists_what_needs_action_with_reruns() {
    let report = report_of(Mode::ReprocessDuplicates, false, true).await;
    let markdown = report.to_markdown(false);
    assert!(
        markdown.contains("| FAIL | MUST | `TE-SEMANTICS-001`"),
        "{markdown}"
    );
    assert!(markdown.contains("tesim check --target"), "{markdown}");
    assert!(markdown.contains("--only TE-SEMANTICS-001"), "{markdown}");
    assert!(
        !markdown.contains("| PASS |"),
        "passes are counted, not listed"
    );
}

#[tokio::test]
async fn baseline_lists_regressions_and_fixes() {
    let good = report_of(Mode::Correct, false, true).await;
    let bad = report_of(Mode::ReprocessDuplicates, false, true).await;
    let regressed = tesim_conformance::compare(&good, &bad);
    let ids: Vec<&str> = regressed
        .regressed
        .iter()
        .map(|change| change.id.as_str())
        .collect();
    // A receiver reprocessing duplicates also processes a concurrent retry twice (a WARN).
    assert_eq!(ids, ["TE-SEMANTICS-001", "TE-PATHOLOGY-003"]);
    assert!(regressed.fixed.is_empty());
    let fixed = tesim_conformance::compare(&bad, &good);
    assert_eq!(fixed.fixed.len(), 2);
    assert_eq!(fixed.fixed[0].before, Verdict::Fail);
    let mut with_diff = bad.clone();
    with_diff.baseline = Some(regressed);
    assert!(
        with_diff
            .to_table(false, false)
            .contains("regressed  TE-SEMANTICS-001  PASS -> FAIL")
    );
    // A baseline written by an older tesim (no warned, must_skipped, rerun) still reads.
    let mut old: serde_json::Value = serde_json::from_str(&good.to_json()).unwrap();
    old["summary"].as_object_mut().unwrap().remove("warned");
    old["summary"]
        .as_object_mut()
        .unwrap()
        .remove("must_skipped");
    let _: Report = serde_json::from_value(old).unwrap();
}

#[tokio::test]
async fn verdict_line_says_when_must_checks_were_skipped() {
    let report = report_of(Mode::Correct, false, false).await;
    let line = report.verdict_line(false);
    assert!(line.starts_with("PASS ("), "{line}");
    // 3 TE-AUTH, 4 TE-SEMANTICS, 3 TE-FIDELITY, 2 TE-PATHOLOGY and 4 TE-TLS (the receiver
    // is http://) MUST checks.
    assert_eq!(
        line,
        "PASS (16 MUST checks skipped: give --auth, give --observe, the TE-TLS checks need an https:// target)"
    );
    // Markdown and HTML carry the same line, never a bare PASS.
    assert!(
        report.to_markdown(false).contains(&format!("**{line}**")),
        "{}",
        report.to_markdown(false)
    );
    assert!(report.to_html(false).contains(&line));
    assert!(!report.to_table(false, false).contains(" 1 checks"));
}

#[tokio::test]
async fn a_run_that_cannot_happen_still_has_reports_that_say_why() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let config = CheckConfig::new(format!("http://{addr}/hook"));
    let err = tesim_conformance::run(&config).await.unwrap_err();
    let report = Report::not_run(&config, err.to_string());
    assert!(!report.passed());
    for text in [
        report.to_json(),
        report.to_junit("h"),
        report.to_markdown(false),
        report.to_html(false),
    ] {
        assert!(text.contains("connection refused"), "{text}");
    }
}

#[tokio::test]
async fn receiver_requiring_credentials_is_one_message() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let receiver_config = ReceiverConfig {
        auth: Some(RequiredAuth::Bearer { token: "t".into() }),
        ..ReceiverConfig::default()
    };
    let receiver = tesim_receiver::spawn(listener, receiver_config, tx).unwrap();
    let err = tesim_conformance::run(&CheckConfig::new(receiver.url("/hook")))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        CheckError::CredentialsRequired { status: 401 }
    ));
    assert_eq!(
        err.to_string(),
        "your receiver requires credentials (it answered 401 to a delivery without any): pass --auth"
    );
    receiver.shutdown().await;
}
