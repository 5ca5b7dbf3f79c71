//! Every size a scenario can ask for is bounded, and crossing a bound is a normal diagnostic
//! reported before anything is generated (issue 13).

use tesim_scenario::{Options, ScenarioError, Source};

/// A test (1), a rule (10) and an agent (100): 13 lines, so steps start on line 14.
const BASE: &str = "[[tests]]\nid = 1\nname = \"t\"\ntype = \"http-server\"\n\n[[rules]]\nid = 10\nname = \"r\"\nexpression = \"e\"\n\n[[agents]]\nid = 100\nname = \"a\"\n";

fn compile_err(text: &str) -> ScenarioError {
    Source::from_text("x", text)
        .compile(Options::default())
        .expect_err("the scenario must be refused")
}

/// One of the reported lines starts with `expected`.
fn check(text: &str, expected: &str) {
    let message = compile_err(text).to_string();
    assert!(
        message.lines().any(|line| line.starts_with(expected)),
        "expected a line starting with\n{expected}\ngot\n{message}"
    );
}

fn flap(count: &str, every: &str, clear_after: &str) -> String {
    format!(
        "{BASE}\n[[steps]]\nat = \"+0s\"\naction = \"flap\"\nrule = 10\ntest = 1\nagents = [100]\ncount = {count}\nevery = \"{every}\"\nclear-after = \"{clear_after}\"\n"
    )
}

#[test]
fn flap_count_is_bounded() {
    check(
        &flap("4294967295", "2m", "1m"),
        "x.toml:21:9: steps[0].count: too many generated alerts (4294967295 with this step); at most 1000000 per scenario",
    );
}

#[test]
fn flap_past_365_days_is_refused() {
    check(
        &flap("9000", "365d", "1d"),
        "x.toml:22:9: steps[0].every: `flap` runs past the 365-day limit (its last step at +3284636d); lower `count` or `every`",
    );
}

#[test]
fn flap_up_to_365_days_is_fine() {
    let timeline = Source::from_text("x", &flap("365", "1d", "1h"))
        .compile(Options::default())
        .unwrap();
    assert_eq!(timeline.notifications.len(), 730);
}

#[test]
fn burst_count_is_bounded() {
    let text = format!("{BASE}\n[[steps]]\nat = \"+0s\"\naction = \"burst\"\ncount = 1000001\n");
    check(
        &text,
        "x.toml:18:9: steps[0].count: too many generated alerts (1000001 with this step); at most 1000000 per scenario",
    );
}

#[test]
fn generated_alerts_add_up_across_steps() {
    let text = format!(
        "{BASE}\n[[steps]]\nat = \"+0s\"\naction = \"burst\"\ncount = 600000\nrules = [999]\n\n[[steps]]\nat = \"+0s\"\naction = \"flap\"\nrule = 10\ntest = 1\nagents = [100]\ncount = 500000\nevery = \"2m\"\nclear-after = \"1m\"\n"
    );
    check(
        &text,
        "x.toml:27:9: steps[1].count: too many generated alerts (1100000 with this step)",
    );
}

#[test]
fn agents_per_alert_is_bounded() {
    let text = format!(
        "{BASE}\n[[steps]]\nat = \"+0s\"\naction = \"burst\"\ncount = 10\nagents-per-alert = 5000\n"
    );
    check(
        &text,
        "x.toml:19:20: steps[0].agents-per-alert: 5000 agents per alert is too many; at most 1000",
    );
}

#[test]
fn alert_agent_pairs_are_bounded() {
    let text = format!(
        "[fleet]\nagents = 1000\n\n{BASE}\n[[steps]]\nat = \"+0s\"\naction = \"burst\"\ncount = 20000\nagents-per-alert = 1000\n"
    );
    check(
        &text,
        "x.toml:21:9: steps[0].count: too many generated alert agents (20000000 alert × agent pairs with this step); at most 10000000 per scenario",
    );
}

#[test]
fn burst_past_365_days_is_refused() {
    let text = format!(
        "{BASE}\n[[steps]]\nat = \"+300d\"\naction = \"burst\"\ncount = 10\nspread = \"30d\"\nclear-after = \"30d\"\n"
    );
    check(
        &text,
        "x.toml:20:15: steps[0].clear-after: `burst` runs past the 365-day limit (its last step at +375d)",
    );
}

#[test]
fn fleet_sizes_are_bounded() {
    check(
        "[fleet]\ntests = 4294967295\nagents = 20000\n",
        "x.toml:2:9: fleet.tests: 4294967295 generated tests is too many; at most 10000",
    );
    check(
        "[fleet]\ntests = 4294967295\nagents = 20000\n",
        "x.toml:3:10: fleet.agents: 20000 generated agents is too many; at most 10000",
    );
}

#[test]
fn steps_are_bounded() {
    let text = "[[steps]]\nat = \"+0s\"\naction = \"webhook-test\"\n".repeat(10_001);
    check(
        &text,
        "x.toml:30002:6: steps: 10001 steps; at most 10000 per scenario",
    );
}

#[test]
fn running_past_year_9999_is_refused() {
    check(
        "start = \"9999-12-31 00:00:00\"\n\n[[steps]]\nat = \"+2d\"\naction = \"webhook-test\"\n",
        "x.toml:1:9: start: the last step, at +2d, falls after 9999-12-31 23:59:59; start the scenario earlier",
    );
}

/// A burst's last step is bounded without drawing; when the bound crosses the end, the
/// exact last step decides (and is the one named).
#[test]
fn a_burst_past_year_9999_is_refused_at_its_exact_last_step() {
    let burst = |spread: &str| {
        format!(
            "start = \"9999-12-30 00:00:00\"\n{BASE}\n[[steps]]\nat = \"+0s\"\naction = \"burst\"\ncount = 2\nspread = \"{spread}\"\n"
        )
    };
    // Triggers at +0s and +2d2h.
    check(
        &burst("100h"),
        "x.toml:1:9: start: the last step, at +2d2h, falls after 9999-12-31 23:59:59; start the scenario earlier",
    );
    // Triggers at +0s and +1d21h: the bound (+3d18h) crosses, the last step does not.
    let timeline = Source::from_text("x", &burst("90h"))
        .compile(Options::default())
        .unwrap();
    assert_eq!(timeline.notifications.len(), 2);
}

#[test]
fn text_size_is_bounded() {
    let text = "#".repeat(4 * 1024 * 1024 + 1);
    check(
        &text,
        "x.toml:1:1: the file is larger than 4194304 bytes (4194305 read)",
    );
}

#[test]
fn overlong_duration_says_too_long() {
    let text =
        format!("{BASE}\n[[steps]]\nat = \"+99999999999999999999d\"\naction = \"webhook-test\"\n");
    check(
        &text,
        "x.toml:16:6: steps[0].at: duration `+99999999999999999999d` is too long; scenarios last at most 365 days",
    );
}

#[test]
fn duplicate_key_is_named() {
    check(
        "description = \"a\"\ndescription = \"b\"\n",
        "x.toml:2:1: duplicate key `description`; a key may appear once per table",
    );
}

#[test]
fn non_utf8_file_gives_the_position_once() {
    let path = std::env::temp_dir().join(format!("tesim-non-utf8-{}.toml", std::process::id()));
    std::fs::write(&path, b"# ok\ndescription = \"caf\xe9\"\n").unwrap();
    let err = tesim_scenario::load(path.to_str().unwrap()).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2:19: not UTF-8: byte 0xE9 (byte offset 23) is invalid; save the file as UTF-8",
            path.display()
        )
    );
    assert!(std::error::Error::source(&err).is_none(), "{err:?}");
}
