//! A generated alert (`burst0-7`) can be named by a written step: cleared, found already
//! cleared or never triggered, refused a second trigger while active; and a deleted rule
//! clears generated alerts in the order of their names' text, as for written names.

use tesim_model::Notification;
use tesim_scenario::{Options, Source, Timeline};

use super::errors::BASE;

/// Twelve alerts, one every 5 s, never cleared.
const BURST: &str = r#"
[[steps]]
at = "+0s"
action = "burst"
count = 12
spread = "1m"
"#;

fn compile(steps: &str) -> Result<Timeline, String> {
    Source::from_text("names", &format!("{BASE}{BURST}{steps}"))
        .compile(Options::default())
        .map_err(|err| err.to_string())
}

fn clear(at: &str, alert: &str) -> String {
    format!("\n[[steps]]\nat = \"{at}\"\naction = \"clear\"\nalert = \"{alert}\"\n")
}

/// The alert numbers of the triggers, in order, and of the clears, in order.
fn numbers(timeline: &Timeline) -> (Vec<u64>, Vec<u64>) {
    let (mut triggers, mut clears) = (Vec::new(), Vec::new());
    for timed in &timeline.notifications {
        match &timed.notification {
            Notification::AlertTrigger(alert) => triggers.push(alert.number),
            Notification::AlertClear(alert) => clears.push(alert.number),
            _ => {}
        }
    }
    (triggers, clears)
}

#[test]
fn a_written_clear_clears_a_generated_alert() {
    let timeline = compile(&clear("+2m", "burst0-7")).unwrap();
    let (triggers, clears) = numbers(&timeline);
    assert_eq!(triggers.len(), 12);
    assert_eq!(clears, [triggers[7]]);
}

#[test]
fn a_second_clear_of_a_generated_alert_says_it_is_cleared() {
    let err = compile(&format!(
        "{}{}",
        clear("+2m", "burst0-7"),
        clear("+3m", "burst0-7")
    ))
    .unwrap_err();
    assert_eq!(
        err,
        "names.toml:33:10: steps[2].alert: cannot clear alert `burst0-7` at +3m: it is already cleared; trigger it again first"
    );
}

#[test]
fn a_generated_name_not_made_yet_lists_the_active_ones_by_text() {
    // At +6s the first two of twelve (one each 5 s) are active.
    let err = compile(&clear("+6s", "burst0-9")).unwrap_err();
    assert_eq!(
        err,
        "names.toml:28:10: steps[1].alert: cannot clear alert `burst0-9` at +6s: it was never triggered before then; active alerts: `burst0-0`, `burst0-1`"
    );
}

#[test]
fn a_written_trigger_of_an_active_generated_name_is_refused() {
    let err = compile(
        "\n[[steps]]\nat = \"+2m\"\naction = \"trigger\"\nalert = \"burst0-3\"\nrule = 10\ntest = 1\nagents = [100]\n",
    )
    .unwrap_err();
    assert_eq!(
        err,
        "names.toml:28:10: steps[1].alert: alert `burst0-3` is already active at +2m; clear it first or use another name"
    );
}

#[test]
fn a_deleted_rule_clears_generated_alerts_in_the_order_of_their_names() {
    let timeline =
        compile("\n[[steps]]\nat = \"+1h\"\naction = \"delete-rule\"\nrule = 10\n").unwrap();
    let (triggers, clears) = numbers(&timeline);
    let mut by_name: Vec<(String, u64)> = triggers
        .iter()
        .enumerate()
        .map(|(index, number)| (format!("burst0-{index}"), *number))
        .collect();
    by_name.sort();
    let expected: Vec<u64> = by_name.into_iter().map(|(_, number)| number).collect();
    // burst0-10 comes before burst0-2.
    assert_eq!(expected[2], triggers[10]);
    assert_eq!(clears, expected);
}
