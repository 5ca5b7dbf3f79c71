//! The shipped examples under `scenarios/templates/`: their renderings are snapshotted, the good
//! ones pass `check` over every built-in scenario, the broken one is caught on clears only.

use std::path::PathBuf;

use serde_json::Value;
use tesim_template::{
    CompiledOperation, ProblemKind, check, events, load_connector, load_operation,
};

fn example(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/templates"
    ))
    .join(name)
}

fn compiled(name: &str) -> CompiledOperation {
    CompiledOperation::new(load_operation(&example(name)).unwrap()).unwrap()
}

fn all_scenarios() -> Vec<tesim_scenario::Timeline> {
    tesim_scenario::builtin_names()
        .into_iter()
        .map(|name| {
            tesim_scenario::load(name)
                .unwrap()
                .compile(tesim_scenario::Options::default())
                .unwrap()
        })
        .collect()
}

/// The renderings of every edge case (text ids) and of the default scenario's events.
fn renderings(operation: &CompiledOperation) -> Value {
    let default = tesim_scenario::load("default")
        .unwrap()
        .compile(Default::default())
        .unwrap();
    let mut events = events::edge_case_events();
    events.extend(events::scenario_events(&default));
    let rendered: Vec<Value> = events
        .iter()
        .map(|event| {
            let (era, notification) = &event.by_era[0];
            let rendering = operation.render(notification).unwrap();
            let body = serde_json::from_str::<Value>(&rendering.body)
                .unwrap_or_else(|_| Value::String(rendering.body.clone()));
            serde_json::json!({
                "event": format!("{}, {era}", event.label),
                "pathAndQuery": rendering.path_and_query,
                "headers": rendering.headers,
                "body": body,
            })
        })
        .collect();
    Value::Array(rendered)
}

fn snapshot(name: &str, value: &Value) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../snapshots/templates"
    ));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_json_snapshot!(name, value));
}

fn check_passes(name: &str) {
    let operation = compiled(name);
    let report = check::check(&operation, &check::events_for(&all_scenarios()));
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert!(report.is_ok(), "{name}:\n{}", problems.join("\n"));
}

#[test]
fn generic_renders_and_passes() {
    snapshot("generic", &renderings(&compiled("generic.operation.json")));
    check_passes("generic.operation.json");
}

/// Chat templates write rule and test names and rule expressions inside JSON strings. On
/// ThousandEyes, which inserts them unescaped, a `"` or `\\` in one breaks the body: the check
/// reports exactly that, and nothing else.
fn check_reports_only_raw_names(name: &str) {
    let operation = compiled(name);
    let report = check::check(&operation, &check::events_for(&all_scenarios()));
    assert!(!report.is_ok(), "{name}");
    for problem in &report.problems {
        assert_eq!(problem.kind, ProblemKind::InvalidJson, "{name}: {problem}");
        assert!(
            problem.message.contains("without JSON escaping"),
            "{name}: {problem}"
        );
    }
}

#[test]
fn slack_renders_and_breaks_only_on_quoted_names() {
    snapshot("slack", &renderings(&compiled("slack.operation.json")));
    check_reports_only_raw_names("slack.operation.json");
}

#[test]
fn teams_renders_and_breaks_only_on_quoted_names() {
    snapshot("teams", &renderings(&compiled("teams.operation.json")));
    check_reports_only_raw_names("teams.operation.json");
}

#[test]
fn fixed_eq_template_passes() {
    snapshot(
        "eq-breaks-on-clear-fixed",
        &renderings(&compiled("eq-breaks-on-clear-fixed.operation.json")),
    );
    check_passes("eq-breaks-on-clear-fixed.operation.json");
}

#[test]
fn eq_breaks_on_clear_is_caught_on_clears_only() {
    let operation = compiled("eq-breaks-on-clear.operation.json");
    snapshot("eq-breaks-on-clear", &renderings(&operation));
    // The Test button's rendering is fine: that is why the mistake reaches production.
    let test_button = events::test_button_event(tesim_model::TeDate::EPOCH);
    assert!(check::check(&operation, &[test_button]).is_ok());

    let report = check::check(&operation, &check::events_for(&all_scenarios()));
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let problem = &report.problems[0];
    assert_eq!(problem.kind, ProblemKind::InvalidJson);
    assert_eq!(problem.position, Some((7, 3)), "{problem}");
    assert_eq!(problem.in_triggers, 0, "{problem}");
    assert!(problem.in_clears > 10, "{problem}");
    let text = problem.to_string();
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../../snapshots/templates"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("eq-breaks-on-clear-report", text);
    });
}

#[test]
fn example_connector_loads() {
    let connector = load_connector(&example("connector.json")).unwrap();
    assert_eq!(
        connector.authentication.unwrap().type_name(),
        "bearer-token"
    );
}

#[test]
fn generic_query_params_and_headers_are_rendered() {
    let operation = compiled("generic.operation.json");
    let event = &events::edge_case_events()[2]; // http-server clear
    let rendered = operation.render(&event.by_era[0].1).unwrap();
    assert_eq!(
        rendered.path_and_query,
        "/thousandeyes/alerts?source=thousandeyes&state=clear"
    );
    assert_eq!(
        rendered.headers[1],
        (
            "X-TE-Alert-Id".to_owned(),
            "0a1e7000-0000-4000-8000-000000000001".to_owned()
        )
    );
}
