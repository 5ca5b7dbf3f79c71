//! The index answers what a scan of the whole account answers, and a page costs what it
//! returns: checked against a brute-force oracle over generated accounts, and by counting
//! what a search touches (never by timing it).

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use tesim_api::index::{AlertIndex, Listing, Range, StateFilter};
use tesim_model::api_v7::agent_alert_uuid;
use tesim_model::render::agent_alert_id;
use tesim_model::{
    Account, Agent, AgentNotification, AgentRule, AgentRuleKind, AlertSource, AlertState, Profile,
    Rule, Severity, TeDate, Test, TestAlert, TestType,
};
use tesim_scenario::{AlertChange, AlertSnapshot, Options, Source, Timeline};

/// The scenario's instant zero in generated accounts.
const START: i64 = 1_700_000_000;

/// One generated alert: which kind, when it triggers, an optional change in between (an
/// agent recovering) and an optional end, in seconds after the start; the start date may
/// differ from the trigger's instant, as an alert carried over from before a scenario does.
#[derive(Clone, Debug)]
struct Plan {
    agent: bool,
    trigger: u64,
    middle: Option<u64>,
    clear: Option<u64>,
    start_skew: i64,
    number: u64,
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        any::<bool>(),
        0u64..200,
        proptest::option::of(0u64..50),
        proptest::option::of(0u64..100),
        -30i64..30,
        1u64..40,
    )
        .prop_map(|(agent, trigger, middle, clear, start_skew, number)| Plan {
            agent: agent && number % 3 == 0,
            trigger,
            middle: middle.map(|after| trigger + after),
            clear: clear.map(|after| trigger + 50 + after),
            start_skew,
            number,
        })
}

struct World {
    account: Arc<Account>,
    tests: Vec<Arc<Test>>,
    rules: Vec<Arc<Rule>>,
    agents: Vec<Arc<Agent>>,
    agent_rule: Arc<AgentRule>,
}

fn world() -> World {
    let agent = |id: u64| {
        Arc::new(Agent {
            id,
            name: format!("agent {id}"),
            location: "Boston, MA".into(),
            hostname: format!("agent-{id}"),
            ip_address: format!("203.0.113.{id}"),
        })
    };
    World {
        account: Arc::new(Account {
            aid: 75,
            name: "tesim".into(),
            time_zone: Default::default(),
        }),
        tests: (0..3)
            .map(|id| {
                Arc::new(Test {
                    id: 100 + id,
                    name: format!("test {id}"),
                    kind: [TestType::HttpServer, TestType::PageLoad, TestType::Bgp][id as usize],
                    targets: vec!["https://example.com".into()],
                    labels: vec![],
                    interval: 60,
                })
            })
            .collect(),
        rules: (0..2)
            .map(|id| {
                Arc::new(Rule {
                    id: 700 + id,
                    name: format!("rule {id}"),
                    expression: "Loss ≥ 10%".into(),
                    severity: Severity::Major,
                    notify_on_clear: true,
                })
            })
            .collect(),
        agents: (1..5).map(agent).collect(),
        agent_rule: Arc::new(AgentRule {
            id: 900,
            name: "Default Agent Offline Notification".into(),
            expression: "Agent offline".into(),
            kind: AgentRuleKind::Offline,
            severity: Severity::Minor,
        }),
    }
}

fn date(seconds: i64) -> TeDate {
    TeDate::EPOCH.plus_seconds(START + seconds)
}

/// The history of `plans` in time order. Numbers may repeat across kinds and within a kind:
/// a repeated number is the same alert for the API (later plans of it add changes), which
/// exercises ids shared by several candidates.
fn history(world: &World, plans: &[Plan]) -> Vec<AlertChange> {
    let mut changes = Vec::new();
    for (position, plan) in plans.iter().enumerate() {
        let number = plan.number;
        let start = date(i64::try_from(plan.trigger).unwrap() + plan.start_skew);
        let mut moments = vec![(plan.trigger, AlertState::Active, true)];
        if let Some(middle) = plan.middle {
            moments.push((middle, AlertState::Active, false));
        }
        if let Some(clear) = plan.clear {
            let end = date(i64::try_from(clear).unwrap());
            let state = if clear % 2 == 0 {
                AlertState::Cleared { end }
            } else {
                AlertState::RuleRemoved { end }
            };
            moments.push((clear, state, false));
        }
        for (at, state, all_violating) in moments {
            let alert = if plan.agent {
                AlertSnapshot::Agent(AgentNotification {
                    number,
                    account: Arc::clone(&world.account),
                    rule: Arc::clone(&world.agent_rule),
                    agent: Arc::clone(&world.agents[position % world.agents.len()]),
                    start,
                    metrics_at_start: "Agent offline".into(),
                    metrics_at_end: if state.end().is_some() {
                        "Agent online".into()
                    } else {
                        String::new()
                    },
                    state,
                })
            } else {
                let sources = (0..2)
                    .map(|which| AlertSource {
                        agent: Arc::clone(&world.agents[(position + which) % world.agents.len()]),
                        start,
                        metrics_at_start: format!("Loss: {}%", 10 + which).into(),
                        metrics_latest: format!("Loss: {}%", position % 7).into(),
                        state: if all_violating || which == 0 {
                            state
                        } else {
                            AlertState::Cleared {
                                end: date(i64::try_from(at).unwrap()),
                            }
                        },
                    })
                    .collect();
                AlertSnapshot::Test(Arc::new(TestAlert {
                    number,
                    uuid: uuid::Uuid::from_u128(u128::from(number) * 7919)
                        .hyphenated()
                        .to_string(),
                    account: Arc::clone(&world.account),
                    test: Arc::clone(&world.tests[position % world.tests.len()]),
                    rule: Arc::clone(&world.rules[position % world.rules.len()]),
                    start,
                    state,
                    sources,
                }))
            };
            changes.push(AlertChange {
                offset: Duration::from_millis(at * 1000 + (position as u64 % 3) * 250),
                at: date(i64::try_from(at).unwrap()),
                alert,
            });
        }
    }
    changes.sort_by_key(|change| change.offset);
    changes
}

fn timeline(world: &World, history: Vec<AlertChange>) -> Timeline {
    Timeline {
        name: "generated".into(),
        account: Arc::clone(&world.account),
        start: date(0),
        tests: world.tests.clone(),
        rules: world.rules.clone(),
        agents: world.agents.clone(),
        agent_rules: vec![Arc::clone(&world.agent_rule)],
        notifications: Vec::new(),
        history,
    }
}

/// Today's answer, written as the handlers computed it before the index: every alert that
/// exists at `at` (`Timeline::alerts_at`), filtered one by one, in list order.
fn oracle(
    timeline: &Timeline,
    listing: Listing,
    at: Duration,
    after: usize,
    max: usize,
) -> (Vec<AlertSnapshot>, Option<usize>) {
    let selected = |alert: &AlertSnapshot| {
        let (start, end, is_test) = match alert {
            AlertSnapshot::Test(alert) => (alert.start, alert.state.end(), true),
            AlertSnapshot::Agent(notice) => (notice.start, notice.state.end(), false),
        };
        match listing {
            Listing::V7 { range, state } => match (range, state) {
                (None, None | Some(StateFilter::Trigger)) => end.is_none(),
                (None, Some(StateFilter::Clear)) => end.is_some(),
                (Some(range), None) => match end {
                    Some(end) => range.from <= end && end <= range.to,
                    None => start <= range.to,
                },
                (Some(range), Some(StateFilter::Trigger)) => {
                    range.from <= start && start <= range.to
                }
                (Some(range), Some(StateFilter::Clear)) => {
                    end.is_some_and(|end| range.from <= end && end <= range.to)
                }
            },
            Listing::V6 { range } => {
                is_test
                    && match range {
                        None => end.is_none(),
                        Some(range) => start <= range.to && end.is_none_or(|end| end >= range.from),
                    }
            }
        }
    };
    let mut matching = timeline
        .alerts_at(at)
        .into_iter()
        .enumerate()
        .filter(|(ordinal, alert)| *ordinal >= after && selected(alert));
    let page = matching
        .by_ref()
        .take(max)
        .map(|(_, alert)| alert.clone())
        .collect();
    (page, matching.next().map(|(ordinal, _)| ordinal))
}

fn listing() -> impl Strategy<Value = Listing> {
    let range = proptest::option::of((-60i64..400, 0i64..300)).prop_map(|range| {
        range.map(|(from, length)| Range {
            from: date(from),
            to: date(from + length),
        })
    });
    let state = proptest::option::of(prop_oneof![
        Just(StateFilter::Trigger),
        Just(StateFilter::Clear)
    ]);
    prop_oneof![
        (range.clone(), state).prop_map(|(range, state)| Listing::V7 { range, state }),
        range.prop_map(|range| Listing::V6 { range }),
    ]
}

const PROFILES: [Profile; 3] = [Profile::Kb2014, Profile::V6_2021, Profile::Modern2025];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn pages_equal_a_scan_of_the_whole_account(
        plans in proptest::collection::vec(plan(), 0..80),
        queries in proptest::collection::vec((listing(), 0u64..420_000, 0usize..90, 1usize..12), 1..8),
    ) {
        let world = world();
        let timeline = timeline(&world, history(&world, &plans));
        let index = AlertIndex::build(timeline.history.clone(), Profile::default());
        for (listing, at_millis, after, max) in queries {
            let at = Duration::from_millis(at_millis);
            let after = after.min(index.visible(at));
            let page = index.page(listing, at, after, max);
            let got: Vec<AlertSnapshot> =
                page.alerts.iter().map(|found| index.snapshot(*found)).collect();
            let (expected, next) = oracle(&timeline, listing, at, after, max);
            prop_assert_eq!(&got, &expected, "{:?} at {:?} after {} max {}", listing, at, after, max);
            prop_assert_eq!(page.next, next);
            let scan = index.page_by_scan(listing, at, after, max);
            prop_assert_eq!(scan.alerts, page.alerts);
            prop_assert_eq!(index.visible(at), timeline.alerts_at(at).len());
        }
    }

    #[test]
    fn ids_find_what_a_scan_finds(
        plans in proptest::collection::vec(plan(), 1..60),
        at_millis in 0u64..420_000,
        profile in 0usize..3,
        probes in proptest::collection::vec(0usize..200, 1..10),
    ) {
        let profile = PROFILES[profile];
        let world = world();
        let timeline = timeline(&world, history(&world, &plans));
        let index = AlertIndex::build(timeline.history.clone(), profile);
        let at = Duration::from_millis(at_millis);
        let alerts = timeline.alerts_at(at);
        // Every id form of every alert, plus numbers and spellings no alert has.
        let mut ids: Vec<String> = Vec::new();
        for change in &timeline.history {
            match &change.alert {
                AlertSnapshot::Test(alert) => {
                    ids.push(alert.uuid.clone());
                    ids.push(alert.number.to_string());
                    ids.push(tesim_model::render::alert_id(profile, alert).to_string());
                }
                AlertSnapshot::Agent(notice) => {
                    ids.push(agent_alert_uuid(notice));
                    ids.push(notice.number.to_string());
                    ids.push(agent_alert_id(profile, notice).to_string());
                }
            }
        }
        ids.extend(["0", "007", "+7", "abc", "", "00000000-0000-4000-8000-00000000000A"].map(String::from));
        for probe in probes {
            let id = &ids[probe % ids.len()];
            let test = alerts.iter().find_map(|alert| match alert {
                AlertSnapshot::Test(alert)
                    if alert.uuid == *id
                        || id.parse::<u64>().is_ok_and(|number| number == alert.number)
                        || tesim_model::render::alert_id(profile, alert).to_string() == *id =>
                {
                    Some((*alert).clone())
                }
                _ => None,
            });
            let agent = alerts.iter().find_map(|alert| match alert {
                AlertSnapshot::Agent(notice)
                    if agent_alert_uuid(notice) == *id
                        || notice.number.to_string() == *id
                        || agent_alert_id(profile, notice).to_string() == *id =>
                {
                    Some((*notice).clone())
                }
                _ => None,
            });
            let found_test = index.find_test(id, at).map(|found| index.snapshot(found));
            prop_assert_eq!(found_test, test.map(AlertSnapshot::Test), "test id {}", id);
            let found_agent = index.find_agent(id, at).map(|found| index.snapshot(found));
            prop_assert_eq!(found_agent, agent.map(AlertSnapshot::Agent), "agent id {}", id);
        }
    }
}

/// `storm.toml` scaled: `alerts` alerts over a day, each clearing after five minutes.
fn storm_source(alerts: u32) -> Source {
    let text = format!(
        r#"
description = "storm scaled for the index tests"
[fleet]
tests = 40
agents = 30

[[rules]]
id = 7001
name = "Default HTTP Alert Rule"
expression = "Error Type is any"
severity = "major"

[[steps]]
at = "+0s"
action = "burst"
count = {alerts}
spread = "1d"
clear-after = "5m"
agents-per-alert = 3
"#
    );
    Source::from_text("storm-scaled", &text)
}

/// [`storm_source`], compiled.
fn storm(alerts: u32) -> Timeline {
    storm_source(alerts).compile(Options::default()).unwrap()
}

/// `tesim api` indexes a scenario's lazy events as they are made; before, it compiled the
/// whole timeline and indexed its history sorted by time. Both give the same index (so the
/// same answer to every request) and the same duration (where `--at end` puts the clock),
/// for every shipped scenario, in every id era, and for a scaled storm.
#[test]
fn indexing_the_event_stream_equals_indexing_the_compiled_timeline() {
    let check = |source: &Source, profile: Profile| {
        let timeline = source.compile(Options::default()).unwrap();
        let mut history = timeline.history.clone();
        history.sort_by_key(|change| change.offset);
        let compiled = AlertIndex::build(history, profile);
        let mut events = source.stream(Options::default()).unwrap();
        let (streamed, duration) = AlertIndex::from_events(&mut events, profile);
        events.check().unwrap();
        assert_eq!(duration, timeline.duration(), "{}", timeline.name);
        assert_eq!(streamed.len(), compiled.len(), "{}", timeline.name);
        assert_eq!(
            streamed.n_changes(),
            timeline.history.len(),
            "{}",
            timeline.name
        );
        // Not assert_eq: the Debug of a whole index would flood the output.
        assert!(
            streamed == compiled,
            "{} ({profile:?}): the streamed index differs",
            timeline.name
        );
    };
    for name in tesim_scenario::builtin_names() {
        let source = tesim_scenario::load(name).unwrap();
        for profile in PROFILES {
            check(&source, profile);
        }
    }
    check(&storm_source(20_000), Profile::default());
}

/// Pages of `max` touch O(max + log n) alert states and tree nodes, whatever the account's
/// size: the same requests over 2,000 and 20,000 alerts look at about as much.
#[test]
fn a_page_touches_what_it_returns_not_the_account() {
    let max = 100;
    let mut touched = Vec::new();
    for alerts in [2_000, 20_000] {
        let timeline = storm(alerts);
        let end = timeline.duration();
        let n_phases = timeline.history.len();
        let index = AlertIndex::build(timeline.history, Profile::default());
        let now = timeline
            .start
            .plus_seconds(i64::try_from(end.as_secs()).unwrap());
        let hours = |hours: i64| Range {
            from: now.plus_seconds(-hours * 3600),
            to: now,
        };
        let listings = [
            Listing::V7 {
                range: Some(hours(48)),
                state: None,
            },
            Listing::V7 {
                range: Some(hours(1)),
                state: None,
            },
            Listing::V7 {
                range: Some(hours(3)),
                state: Some(StateFilter::Clear),
            },
            Listing::V7 {
                range: Some(hours(2)),
                state: Some(StateFilter::Trigger),
            },
            Listing::V7 {
                range: None,
                state: None,
            },
            Listing::V6 {
                range: Some(hours(1)),
            },
        ];
        // At the end, and mid-scenario where alerts are active (the clock moves).
        let mut most = 0;
        for at in [end, end / 2, end / 3] {
            for listing in listings {
                let page = index.page(listing, at, 0, max);
                let log = usize::BITS - n_phases.leading_zeros();
                // A leaf holds 16 states; each result costs at most one root-to-leaf path.
                assert!(
                    page.probe.phases <= 16 * (max + 2),
                    "{listing:?} at {at:?} over {alerts}: {:?}",
                    page.probe
                );
                assert!(
                    page.probe.nodes <= 2 * (max + 2) * log as usize,
                    "{listing:?} at {at:?} over {alerts}: {:?}",
                    page.probe
                );
                most = most.max(page.probe.phases + page.probe.nodes);
                // And the page is the scan's page.
                assert_eq!(
                    page.alerts,
                    index.page_by_scan(listing, at, 0, max).alerts,
                    "{listing:?} at {at:?}"
                );
            }
        }
        touched.push(most);
    }
    // Ten times the alerts: not ten times the work (log n grows by ~3 levels).
    assert!(touched[1] < touched[0] * 2, "{touched:?}");
}
