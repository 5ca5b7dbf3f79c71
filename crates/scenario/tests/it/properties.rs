//! Properties: any valid generated scenario compiles, the same seed gives the same bytes, and
//! no input makes the compiler panic.

use std::collections::HashSet;

use proptest::prelude::*;
use tesim_model::{Notification, Profile, render};
use tesim_scenario::{Options, Source};

/// A valid scenario: `n_alerts` alerts on random tests/rules/agents, each triggered then
/// maybe cleared, plus agent notifications.
fn scenario() -> impl Strategy<Value = String> {
    (
        1usize..4,
        1usize..4,
        1usize..5,
        prop::collection::vec((0usize..3, 0usize..3, 0usize..4, 0u64..600, prop::option::of(1u64..600), "[a-zA-Z ≤é]{0,10}"), 0..12),
        prop::collection::vec((0usize..4, 0u64..600, prop::option::of(1u64..600)), 0..4),
        any::<bool>(),
    )
        .prop_map(|(n_tests, n_rules, n_agents, alerts, notices, webhook_test)| {
            let mut text = String::new();
            let kinds = ["http-server", "page-load", "dns-server"];
            for index in 0..n_tests {
                text += &format!("[[tests]]\nid = {}\nname = \"test {index}\"\ntype = \"{}\"\n\n", 100 + index, kinds[index % 3]);
            }
            for index in 0..n_rules {
                text += &format!("[[rules]]\nid = {}\nname = \"rule {index}\"\nexpression = \"x ≥ {index}\"\n\n", 200 + index);
            }
            for index in 0..n_agents {
                text += &format!("[[agents]]\nid = {}\nname = \"agent {index}\"\n\n", 300 + index);
            }
            text += "[[agent-rules]]\nid = 400\nkind = \"clock-offset\"\n\n";
            if webhook_test {
                text += "[[steps]]\nat = \"+0s\"\naction = \"webhook-test\"\n\n";
            }
            for (index, (test, rule, agent, at, clear_after, metrics)) in alerts.iter().enumerate() {
                text += &format!(
                    "[[steps]]\nat = \"+{at}s\"\naction = \"trigger\"\nalert = \"a{index}\"\nrule = {}\ntest = {}\nagents = [{}]\nmetrics = {metrics:?}\n\n",
                    200 + rule % n_rules, 100 + test % n_tests, 300 + agent % n_agents
                );
                if let Some(after) = clear_after {
                    text += &format!("[[steps]]\nat = \"+{}s\"\naction = \"clear\"\nalert = \"a{index}\"\n\n", at + after);
                }
            }
            for (index, (agent, at, clear_after)) in notices.iter().enumerate() {
                text += &format!(
                    "[[steps]]\nat = \"+{at}s\"\naction = \"agent-trigger\"\nnotification = \"n{index}\"\nrule = 400\nagent = {}\n\n",
                    300 + agent % n_agents
                );
                if let Some(after) = clear_after {
                    text += &format!("[[steps]]\nat = \"+{}s\"\naction = \"agent-clear\"\nnotification = \"n{index}\"\n\n", at + after);
                }
            }
            text
        })
}

fn rendered(text: &str, seed: u64, profile: Profile) -> Vec<String> {
    let timeline = Source::from_text("p", text)
        .compile(Options {
            seed,
            ..Options::default()
        })
        .unwrap();
    timeline
        .notifications
        .iter()
        .map(|timed| render(profile, timed).to_json())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn valid_scenarios_compile_with_sound_ids(text in scenario(), seed in any::<u64>()) {
        let timeline = Source::from_text("p", &text).compile(Options { seed, ..Options::default() })
            .map_err(|err| TestCaseError::fail(format!("{err}\n{text}")))?;
        // Offsets never go backwards, event ids are never reused, a trigger and its clear share
        // the alert id and the clear comes later.
        let mut last = std::time::Duration::ZERO;
        let mut open = std::collections::HashMap::new();
        for timed in &timeline.notifications {
            prop_assert!(timed.offset >= last);
            last = timed.offset;
            match &timed.notification {
                Notification::AlertTrigger(alert) => { prop_assert!(open.insert(alert.number, alert.uuid.clone()).is_none()); }
                Notification::AlertClear(alert) => { prop_assert_eq!(open.remove(&alert.number), Some(alert.uuid.clone())); }
                _ => {}
            }
        }
        for profile in Profile::ALL {
            let ids: Vec<String> = timeline.notifications.iter().map(|timed| render(profile, timed).event_id).collect();
            let unique: HashSet<&String> = ids.iter().collect();
            prop_assert_eq!(unique.len(), ids.len(), "duplicate eventId in {}", profile);
        }
    }

    #[test]
    fn same_seed_same_bytes(text in scenario(), seed in any::<u64>()) {
        for profile in Profile::ALL {
            prop_assert_eq!(rendered(&text, seed, profile), rendered(&text, seed, profile));
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(\\[\\[steps\\]\\]\n|at = \"[-+0-9smh]{0,5}\"\n|action = \"[a-z-]{0,14}\"\n|alert = \"a\"\n|rule = [0-9]{1,3}\n|[ -~\n]{0,20})*") {
        let _ = Source::from_text("fuzz", &text).compile(Options::default());
    }

    #[test]
    fn arbitrary_bytes_never_panic(text in ".{0,300}") {
        let _ = Source::from_text("fuzz", &text).compile(Options::default());
    }

    #[test]
    fn raw_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(source) = Source::from_bytes("fuzz", &bytes) {
            let _ = source.compile(Options::default());
        }
    }
}

#[test]
fn different_seeds_give_different_ids() {
    let text = tesim_scenario::load("default").unwrap().text;
    assert_ne!(
        rendered(&text, 1, Profile::Kb2014),
        rendered(&text, 2, Profile::Kb2014)
    );
}
