//! Broken scenarios: each error names the file, line, column and field, and says what to do.

use tesim_scenario::{Options, Source};

/// A one-test, one-rule, one-agent account, with no steps (other tests add theirs).
pub(crate) const BASE: &str = r#"
[[tests]]
id = 1
name = "https://example.com"
type = "http-server"

[[rules]]
id = 10
name = "HTTP"
expression = "Response Code is server error (5xx)"

[[agents]]
id = 100
name = "Boston, MA"

[[agent-rules]]
id = 50
kind = "offline"
"#;

fn check(steps: &str, expected: &str) {
    let text = format!("{BASE}{steps}");
    let err = Source::from_text("broken", &text)
        .compile(Options::default())
        .unwrap_err();
    assert_eq!(err.to_string(), expected, "\n{text}");
}

#[test]
fn unknown_rule() {
    check(
        "\n[[steps]]\nat = \"+0s\"\naction = \"trigger\"\nalert = \"a\"\nrule = 99\ntest = 1\nagents = [100]\n",
        "broken.toml:24:8: steps[0].rule: rule 99 does not exist; defined: 10",
    );
}

#[test]
fn clear_of_an_alert_never_triggered() {
    check(
        "\n[[steps]]\nat = \"+5s\"\naction = \"clear\"\nalert = \"ghost\"\n",
        "broken.toml:22:10: steps[0].alert: cannot clear alert `ghost` at +5s: it was never triggered before then; active alerts: none",
    );
}

#[test]
fn clear_before_trigger_in_time_is_caught_even_in_file_order() {
    check(
        "\n[[steps]]\nat = \"+10s\"\naction = \"trigger\"\nalert = \"a\"\nrule = 10\ntest = 1\nagents = [100]\n\n[[steps]]\nat = \"+5s\"\naction = \"clear\"\nalert = \"a\"\n",
        "broken.toml:30:10: steps[1].alert: cannot clear alert `a` at +5s: it was never triggered before then; active alerts: none",
    );
}

#[test]
fn negative_offset() {
    check(
        "\n[[steps]]\nat = \"-5s\"\naction = \"webhook-test\"\n",
        "broken.toml:21:6: steps[0].at: negative offset `-5s`: steps happen at or after the scenario start; use e.g. `+90s`",
    );
}

#[test]
fn unknown_action_lists_the_known_ones() {
    let text = format!("{BASE}\n[[steps]]\nat = \"+0s\"\naction = \"explode\"\n");
    let err = Source::from_text("broken", &text)
        .compile(Options::default())
        .unwrap_err();
    assert!(err.to_string().starts_with("broken.toml:22:10: steps[0].action: unknown action `explode`; use one of webhook-test, trigger"), "{err}");
}

#[test]
fn misspelt_key_is_refused() {
    let text = format!("{BASE}\n[[steps]]\nat = \"+0s\"\naction = \"clear\"\nalret = \"a\"\n");
    let err = Source::from_text("broken", &text)
        .compile(Options::default())
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("broken.toml:23:1: steps[0].alret: unknown field `alret`"),
        "{message}"
    );
}

#[test]
fn wrong_type_names_the_field() {
    let err = Source::from_text(
        "broken",
        "[[rules]]\nid = \"ten\"\nname = \"x\"\nexpression = \"y\"\n",
    )
    .compile(Options::default())
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(
            "broken.toml:2:6: rules[0].id: invalid type: string \"ten\", expected u64"
        ),
        "{message}"
    );
}

#[test]
fn toml_syntax_error_has_a_position() {
    let err = Source::from_text("broken", "[[steps]\nat = 1\n")
        .compile(Options::default())
        .unwrap_err();
    assert!(err.to_string().starts_with("broken.toml:1:"), "{err}");
}

#[test]
fn missing_keys_for_an_action() {
    check(
        "\n[[steps]]\nat = \"+0s\"\naction = \"agent-trigger\"\nnotification = \"n\"\nrule = 50\n",
        "broken.toml:22:10: steps[0].agent: `agent-trigger` needs `agent`",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = format!(
        "{BASE}\n[[steps]]\nat = \"+0s\"\naction = \"trigger\"\nalert = \"a\"\nrule = 99\ntest = 98\nagents = [97]\n"
    );
    let err = Source::from_text("broken", &text)
        .compile(Options::default())
        .unwrap_err();
    assert_eq!(err.diagnostics().len(), 3, "{err}");
}

#[test]
fn deleted_rule_cannot_trigger_again() {
    check(
        "\n[[steps]]\nat = \"+0s\"\naction = \"delete-rule\"\nrule = 10\n\n[[steps]]\nat = \"+1m\"\naction = \"trigger\"\nalert = \"a\"\nrule = 10\ntest = 1\nagents = [100]\n",
        "broken.toml:27:10: steps[1].rule: rule 10 was deleted at +0s; it cannot trigger at +1m",
    );
}

#[test]
fn mistyped_builtin_name_suggests_the_nearest() {
    let err = tesim_scenario::load("defualt").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`defualt` is not a built-in scenario or a file (did you mean `default`?); built-in scenarios: {}",
            tesim_scenario::builtin_names().join(", ")
        )
    );
    // The OS's "No such file or directory" would only repeat it.
    assert!(std::error::Error::source(&err).is_none(), "{err:?}");
}

#[test]
fn unknown_name_far_from_any_builtin_suggests_nothing() {
    let message = tesim_scenario::load("no-such-scenario")
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("`no-such-scenario` is not a built-in scenario or a file; built-in scenarios: default, webhook-test, page-load"),
        "{message}"
    );
}

#[test]
fn unreadable_file_keeps_the_reason_as_source() {
    let dir = std::env::temp_dir();
    let err = tesim_scenario::load(dir.to_str().unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot read scenario {}", dir.display())
    );
    assert!(std::error::Error::source(&err).is_some(), "{err:?}");
}

#[test]
fn mistakes_of_every_stage_are_reported_together() {
    let text = format!(
        "start = \"2024-13-45 00:00:00\"\n{BASE}\n[[steps]]\nat = \"+0s\"\naction = \"trigger\"\nalert = \"a\"\nrule = 99\ntest = 1\nagents = [100]\n\n[[steps]]\nat = \"+1s\"\naction = \"explode\"\n\n[[steps]]\nat = \"+2s\"\naction = \"clear\"\nalert = \"ghost\"\n"
    );
    let err = Source::from_text("broken", &text)
        .compile(Options::default())
        .unwrap_err();
    let fields: Vec<&str> = err
        .diagnostics()
        .iter()
        .map(|diagnostic| diagnostic.field.as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "start",
            "steps[0].rule",
            "steps[1].action",
            "steps[2].alert"
        ],
        "{err}"
    );
}

#[test]
fn a_refused_trigger_does_not_make_its_clear_an_error_too() {
    check(
        "\n[[steps]]\nat = \"+0s\"\naction = \"trigger\"\nalert = \"a\"\nrule = 99\ntest = 1\nagents = [100]\n\n[[steps]]\nat = \"+5s\"\naction = \"clear\"\nalert = \"a\"\n",
        "broken.toml:24:8: steps[0].rule: rule 99 does not exist; defined: 10",
    );
}

#[test]
fn shape_errors_in_several_entries_are_reported_together() {
    let text = format!(
        "{BASE}\n[[steps]]\nat = \"+0s\"\naction = \"clear\"\nalret = \"a\"\n\n[[steps]]\nat = \"+1s\"\naction = \"delete-rule\"\nrule = \"ten\"\n"
    );
    let err = Source::from_text("broken", &text)
        .compile(Options::default())
        .unwrap_err();
    let message = err.to_string();
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 2, "{message}");
    assert!(
        lines[0].starts_with("broken.toml:23:1: steps[0].alret: unknown field `alret`"),
        "{message}"
    );
    assert!(
        lines[1].starts_with(
            "broken.toml:28:8: steps[1].rule: invalid type: string \"ten\", expected u64"
        ),
        "{message}"
    );
}

#[test]
fn bytes_are_checked_like_a_file() {
    let err = tesim_scenario::Source::from_bytes("b", b"description = \"\xff\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "b.toml:1:16: not UTF-8: byte 0xFF (byte offset 15) is invalid; save the file as UTF-8"
    );
}
