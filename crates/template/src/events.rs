//! The notifications a template is checked against: every event of the chosen scenarios, and
//! a fixed set of edge cases no single scenario has (BGP alerts, empty and non-ASCII values,
//! names with quotes and backslashes, the Test button), each in both id eras.

use std::sync::Arc;
use std::time::Duration;

use tesim_model::custom::{self, CustomNotification, IdEra};
use tesim_model::{
    Account, Agent, AgentNotification, AgentRule, AgentRuleKind, AlertSource, AlertState, Label,
    Notification, Rule, Severity, TeDate, Test, TestAlert, TestType, TimedNotification,
};
use tesim_scenario::Timeline;

/// One event, rendered in every id era.
#[derive(Clone, Debug)]
pub struct Event {
    /// What to call it in a report: `scenario default, event 3 (alert-clear, alert 1234)`.
    pub label: String,
    /// The notification in each era, [`IdEra::ALL`] order.
    pub by_era: Vec<(IdEra, CustomNotification)>,
}

impl Event {
    fn from_timed(label: String, timed: &TimedNotification) -> Event {
        Event::from_fn(label, |era| custom::notification_in(era, timed))
    }

    fn from_fn(label: String, build: impl Fn(IdEra) -> CustomNotification) -> Event {
        Event {
            label,
            by_era: IdEra::ALL
                .into_iter()
                .map(|era| (era, build(era)))
                .collect(),
        }
    }
}

/// Every notification of a compiled scenario.
pub fn scenario_events(timeline: &Timeline) -> Vec<Event> {
    timeline
        .notifications
        .iter()
        .enumerate()
        .map(|(index, timed)| {
            let what = match &timed.notification {
                Notification::WebhookTest => "webhook-test".to_owned(),
                Notification::AlertTrigger(alert) | Notification::AlertClear(alert) => {
                    format!("{}, alert {}", timed.notification.kind_name(), alert.number)
                }
                Notification::DeviceTrigger(notice) | Notification::DeviceClear(notice) => {
                    format!(
                        "{}, device alert {}",
                        timed.notification.kind_name(),
                        notice.number
                    )
                }
                Notification::AgentTrigger(notice) | Notification::AgentClear(notice) => {
                    format!(
                        "{}, agent alert {}",
                        timed.notification.kind_name(),
                        notice.number
                    )
                }
            };
            let label = format!(
                "scenario {}, event {} at +{}s ({what})",
                timeline.name,
                index + 1,
                timed.offset.as_secs()
            );
            Event::from_timed(label, timed)
        })
        .collect()
}

/// What the Test button sends (reference §2.1), as a one-event list.
pub fn test_button_event(at: TeDate) -> Event {
    let timed = timed(at, 0, Notification::WebhookTest);
    Event::from_timed(
        "the Test button: a dummy HTTP-Server trigger".to_owned(),
        &timed,
    )
}

fn date(epoch: i64) -> TeDate {
    // In range by construction.
    TeDate::from_epoch(epoch).unwrap_or(TeDate::EPOCH)
}

fn timed(at: TeDate, sequence: u64, notification: Notification) -> TimedNotification {
    TimedNotification {
        offset: Duration::from_secs(sequence * 60),
        at,
        sequence: 9_000 + sequence,
        uuid: format!("5e1ec7ed-0000-4000-8000-{:012}", 9_000 + sequence),
        notification,
    }
}

fn agent(id: u64, name: &str, location: &str) -> Arc<Agent> {
    Arc::new(Agent {
        id,
        name: name.to_owned(),
        location: location.to_owned(),
        hostname: format!("agent-{id}.example"),
        ip_address: format!("192.0.2.{}", id % 250),
    })
}

struct AlertSpec<'a> {
    number: u64,
    kind: TestType,
    test_name: &'a str,
    rule_name: &'a str,
    expression: &'a str,
    labels: &'a [&'a str],
    targets: &'a [&'a str],
    sources: Vec<(Arc<Agent>, &'a str, &'a str)>,
}

fn test_alert(spec: AlertSpec<'_>, state: AlertState) -> TestAlert {
    let start = date(1_714_644_920);
    TestAlert {
        number: spec.number,
        uuid: format!("0a1e7000-0000-4000-8000-{:012}", spec.number),
        account: Arc::new(Account {
            aid: 2_067_002,
            name: "Acme Corp".to_owned(),
            time_zone: tesim_model::AccountZone::utc(),
        }),
        test: Arc::new(Test {
            id: 100 + spec.number,
            name: spec.test_name.to_owned(),
            kind: spec.kind,
            targets: spec
                .targets
                .iter()
                .map(|target| (*target).to_owned())
                .collect(),
            labels: spec
                .labels
                .iter()
                .enumerate()
                .map(|(index, name)| Label {
                    id: 10 + index as u64,
                    name: (*name).to_owned(),
                })
                .collect(),
            interval: 300,
        }),
        rule: Arc::new(Rule {
            id: 200 + spec.number,
            name: spec.rule_name.to_owned(),
            expression: spec.expression.to_owned(),
            severity: Severity::Major,
            notify_on_clear: true,
        }),
        start,
        state,
        sources: spec
            .sources
            .into_iter()
            .map(|(agent, at_start, latest)| AlertSource {
                agent,
                start,
                metrics_at_start: at_start.to_owned().into(),
                metrics_latest: latest.to_owned().into(),
                state: AlertState::Active,
            })
            .collect(),
    }
}

fn http_spec() -> AlertSpec<'static> {
    AlertSpec {
        number: 1,
        kind: TestType::HttpServer,
        test_name: "https://api.acme.example/health",
        rule_name: "API Connect Error",
        expression: "((errorType == \"Connect\") || (responseCode >= 400))",
        labels: &["production", "api"],
        targets: &["https://api.acme.example/health"],
        sources: vec![
            (
                agent(108, "Boston, MA", "Boston, MA"),
                "Response Code: 503",
                "Response Code: 200",
            ),
            (
                agent(107, "Vancouver, Canada", "Vancouver"),
                "Error Type: Connect",
                "Response Code: 200",
            ),
        ],
    }
}

fn bgp_spec() -> AlertSpec<'static> {
    // A BGP alert's sources are monitors (with their networks), its target a prefix.
    AlertSpec {
        number: 2,
        kind: TestType::Bgp,
        test_name: "203.0.113.0/24",
        rule_name: "Default BGP Alert Rule",
        expression: "((reachability < 100%))",
        labels: &[],
        targets: &["203.0.113.0/24"],
        sources: vec![
            (
                agent(9001, "Seattle, WA-3", "Cogent Communications (AS 174)"),
                "Reachability: 0%",
                "Reachability: 100%",
            ),
            (
                agent(9002, "Frankfurt-1", "Deutsche Telekom AG (AS 3320)"),
                "Path Changes: 4",
                "Path Changes: 0",
            ),
        ],
    }
}

fn empty_spec() -> AlertSpec<'static> {
    AlertSpec {
        number: 3,
        kind: TestType::PageLoad,
        test_name: "",
        rule_name: "",
        expression: "",
        labels: &[],
        targets: &[],
        sources: vec![(agent(1, "", ""), "", "")],
    }
}

fn unicode_spec() -> AlertSpec<'static> {
    AlertSpec {
        number: 4,
        kind: TestType::DnsServer,
        test_name: "Zürich → 東京 «DNS» <primary> & \"backup\"",
        rule_name: "Règle d'alerte — DNS 🚨",
        expression: "((resolutionTime > 150 ms))",
        labels: &["prod/ü", "東京"],
        targets: &["münchen.example", "xn--mnchen-3ya.example"],
        sources: vec![(
            agent(4242, "São Paulo, Brazil", "São Paulo"),
            "Ошибка: SERVFAIL",
            "OK",
        )],
    }
}

fn quotes_spec() -> AlertSpec<'static> {
    // ThousandEyes inserts names into a body as they are (reference §6.4): these break every
    // template that writes them inside a JSON string.
    AlertSpec {
        number: 6,
        kind: TestType::HttpServer,
        test_name: "C:\\probes\\\"api\" health",
        rule_name: "Latency on \"checkout\" \\ EU",
        expression: "((responseTime > 500 ms))",
        labels: &["prod"],
        targets: &["https://shop.example/checkout"],
        sources: vec![(
            agent(108, "Boston, MA", "Boston, MA"),
            "Response Time: 812 ms",
            "Response Time: 95 ms",
        )],
    }
}

/// The fixed edge cases, each in both id eras.
pub fn edge_case_events() -> Vec<Event> {
    let start = date(1_714_644_920);
    let end = date(1_714_645_820);
    let mut events = vec![test_button_event(start)];
    let mut push_alert = |name: &str, spec: fn() -> AlertSpec<'static>, notes: &str| {
        let trigger = timed(
            start,
            1,
            Notification::AlertTrigger(test_alert(spec(), AlertState::Active)),
        );
        let clear = timed(
            end,
            2,
            Notification::AlertClear(test_alert(spec(), AlertState::Cleared { end })),
        );
        for (suffix, timed) in [("trigger", trigger), ("clear", clear)] {
            let notes = notes.to_owned();
            events.push(Event::from_fn(
                format!("edge case {name}-{suffix}"),
                move |era| {
                    let mut notification = custom::notification_in(era, &timed);
                    notification.alert.rule.notes = notes.clone();
                    if let Some(test) = &mut notification.alert.test {
                        test.description = notes.clone();
                    }
                    notification
                },
            ));
        }
    };
    push_alert("http-server", http_spec, "Page the API on-call team.");
    push_alert("bgp", bgp_spec, "Prefix announced by AS 64500.");
    push_alert("empty-values", empty_spec, "");
    push_alert(
        "non-ascii",
        unicode_spec,
        "Runbook: «wiki/DNS» — ask 東京 NOC <noc@example.com> & \"SRE\"",
    );
    push_alert(
        "quotes-in-names",
        quotes_spec,
        "Escalate to \"payments\" (C:\\runbooks\\checkout.md)",
    );
    let removed = timed(
        end,
        3,
        Notification::AlertClear(test_alert(http_spec(), AlertState::RuleRemoved { end })),
    );
    events.push(Event::from_timed(
        "edge case rule-deleted-clear".to_owned(),
        &removed,
    ));

    let notice = |state| AgentNotification {
        number: 5,
        account: Arc::new(Account {
            aid: 2_067_002,
            name: "Acme Corp".to_owned(),
            time_zone: tesim_model::AccountZone::utc(),
        }),
        rule: Arc::new(AgentRule {
            id: 43_587,
            name: "Default Agent Offline Notification".to_owned(),
            expression: "Agent has not contacted ThousandEyes in 10 minutes".to_owned(),
            kind: AgentRuleKind::Offline,
            severity: Severity::Critical,
        }),
        agent: agent(25_694, "Packet1", "Office"),
        start,
        metrics_at_start: "Last contact: 10 minutes ago".to_owned(),
        metrics_at_end: "Agent is online".to_owned(),
        state,
    };
    let agent_trigger = timed(
        start,
        4,
        Notification::AgentTrigger(notice(AlertState::Active)),
    );
    let agent_clear = timed(
        end,
        5,
        Notification::AgentClear(notice(AlertState::Cleared { end })),
    );
    events.push(Event::from_timed(
        "edge case agent-trigger".to_owned(),
        &agent_trigger,
    ));
    events.push(Event::from_timed(
        "edge case agent-clear".to_owned(),
        &agent_clear,
    ));
    // Numbered as `tesim template render --scenario edge-cases --event N` numbers them.
    for (index, event) in events.iter_mut().enumerate() {
        let name = event
            .label
            .strip_prefix("edge case ")
            .unwrap_or(&event.label);
        event.label = format!("edge case {} ({name})", index + 1);
    }
    events
}

/// A notification with every field of the model present (a cleared BGP alert with labels,
/// targets and ASNs), used to tell a misspelled variable from one that is only absent for
/// some events.
pub(crate) fn skeleton() -> CustomNotification {
    let mut spec = bgp_spec();
    spec.labels = &["label"];
    let end = date(1_714_645_820);
    let timed = timed(
        end,
        6,
        Notification::AlertClear(test_alert(spec, AlertState::Cleared { end })),
    );
    custom::notification_in(IdEra::Text, &timed)
}
