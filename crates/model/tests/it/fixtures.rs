//! One canonical account and its alerts, written out by hand so the model's tests do not
//! depend on the scenario compiler.

use std::sync::Arc;
use std::time::Duration;

use tesim_model::{
    Account, Agent, AgentNotification, AgentRule, AgentRuleKind, AlertSource, AlertState, Device,
    DeviceNotification, DeviceRule, DeviceRuleKind, Label, Notification, Rule, Severity, TeDate,
    Test, TestAlert, TestType, TimedNotification,
};

pub fn date(text: &str) -> TeDate {
    TeDate::parse_classic(text).unwrap()
}

fn account() -> Arc<Account> {
    Arc::new(Account {
        aid: 236091,
        name: "Acme".into(),
        time_zone: tesim_model::AccountZone::utc(),
    })
}

fn agent(id: u64, name: &str) -> Arc<Agent> {
    Arc::new(Agent {
        id,
        name: name.into(),
        location: name.into(),
        hostname: format!("agent-{id}.example.net"),
        ip_address: "192.0.2.10".into(),
    })
}

pub fn test_alert(state: AlertState) -> TestAlert {
    let start = date("2021-05-02 10:15:20");
    let source_state = |state: AlertState| state;
    TestAlert {
        number: 76947300,
        uuid: "5abda706-c065-40fa-aa8c-059c3ac1ea9d".into(),
        account: account(),
        test: Arc::new(Test {
            id: 2032597,
            name: "https://calliope-a.wbx2.com Cloud".into(),
            kind: TestType::HttpServer,
            targets: vec!["https://calliope-a.wbx2.com".into()],
            labels: vec![Label {
                id: 1000,
                name: "production".into(),
            }],
            interval: 300,
        }),
        rule: Arc::new(Rule {
            id: 1422847,
            name: "Caliope Connect Error".into(),
            expression: "Error Type is \"Connect\" or Response Code is client error (4xx)".into(),
            severity: Severity::Major,
            notify_on_clear: true,
        }),
        start,
        state,
        sources: vec![
            AlertSource {
                agent: agent(55416, "San Jose, CA (Verizon)"),
                start,
                metrics_at_start: "Response Code: 401".into(),
                metrics_latest: match state {
                    AlertState::Active => "Response Code: 401".into(),
                    _ => "Response Code: 200".into(),
                },
                state: source_state(match state {
                    AlertState::Active => AlertState::Active,
                    AlertState::Cleared { end } => AlertState::Cleared { end },
                    AlertState::RuleRemoved { end } => AlertState::RuleRemoved { end },
                }),
            },
            AlertSource {
                agent: agent(3379, "Bucharest, Romania"),
                start,
                metrics_at_start: "Response Code: 403".into(),
                metrics_latest: "Response Code: 200".into(),
                state: AlertState::Cleared {
                    end: date("2021-05-02 10:17:00"),
                },
            },
        ],
    }
}

pub fn agent_notification(state: AlertState) -> AgentNotification {
    AgentNotification {
        number: 5744505,
        account: account(),
        rule: Arc::new(AgentRule {
            id: 43587,
            name: "Default Agent Clock Offset Notification".into(),
            expression: "Clock Offset ≤ 60 seconds".into(),
            kind: AgentRuleKind::ClockOffset,
            severity: Severity::Info,
        }),
        agent: Arc::new(Agent {
            id: 25694,
            name: "Packet1".into(),
            location: "Packet1".into(),
            hostname: "TE-AGENT1.local.lan".into(),
            ip_address: "147.75.199.171".into(),
        }),
        start: date("2016-10-20 18:22:28"),
        metrics_at_start: "Clock Offset: 20 seconds".into(),
        metrics_at_end: "Clock Offset: 130 seconds".into(),
        state,
    }
}

/// An account in New York, to show zone-converted dates.
pub fn new_york_account() -> Arc<Account> {
    Arc::new(Account {
        aid: 415786,
        name: "Acme NY".into(),
        time_zone: tesim_model::AccountZone::parse("America/New_York").unwrap(),
    })
}

/// A test alert of an account in New York that starts at 12:00 UTC in January (07:00 EST)
/// and clears half an hour later.
pub fn new_york_alert() -> TestAlert {
    let start = date("2022-01-15 12:00:00");
    let end = date("2022-01-15 12:30:00");
    let base = test_alert(AlertState::Cleared { end });
    TestAlert {
        account: new_york_account(),
        start,
        sources: vec![AlertSource {
            agent: agent(20739, "Guadalajara, Mexico (Trial)"),
            start,
            metrics_at_start: "Error: \"502 Bad Gateway\"".into(),
            metrics_latest: "Error: \"\"".into(),
            state: AlertState::Cleared { end },
        }],
        ..base
    }
}

/// A device notification of an account in New York, in July (EDT).
pub fn device_notification(kind: DeviceRuleKind, state: AlertState) -> DeviceNotification {
    let (name, expression, metrics_at_start, metrics_at_end) = match kind {
        DeviceRuleKind::Data => (
            "Interface Errors",
            "Input Errors > 100",
            "Input Errors: 250",
            "Input Errors: 0",
        ),
        DeviceRuleKind::Status => (
            "Device Unreachable",
            "Device Status is Down",
            "Status: Down",
            "Status: Up",
        ),
    };
    DeviceNotification {
        number: 7100200,
        account: new_york_account(),
        rule: Arc::new(DeviceRule {
            id: 88001,
            name: name.into(),
            expression: expression.into(),
            kind,
            severity: Severity::Major,
        }),
        device: Arc::new(Device {
            id: 3301,
            name: "core-sw-01".into(),
            ip_address: "10.20.0.1".into(),
        }),
        start: date("2022-07-15 12:00:00"),
        metrics_at_start: metrics_at_start.into(),
        metrics_at_end: metrics_at_end.into(),
        state,
    }
}

pub fn timed(notification: Notification) -> TimedNotification {
    TimedNotification {
        offset: Duration::from_secs(0),
        at: date("2021-05-02 10:19:17"),
        sequence: 205646496,
        uuid: "9437a575-4b00-44a2-899a-41d1134eef08".into(),
        notification,
    }
}

/// One canonical notification of each kind, with a name for its snapshot.
pub fn canonical() -> Vec<(&'static str, TimedNotification)> {
    let end = date("2021-05-02 10:19:17");
    vec![
        ("webhook-test", timed(Notification::WebhookTest)),
        (
            "alert-trigger",
            timed(Notification::AlertTrigger(test_alert(AlertState::Active))),
        ),
        (
            "alert-clear",
            timed(Notification::AlertClear(test_alert(AlertState::Cleared {
                end,
            }))),
        ),
        (
            "alert-clear-rule-removed",
            timed(Notification::AlertClear(test_alert(
                AlertState::RuleRemoved { end },
            ))),
        ),
        (
            "agent-trigger",
            timed(Notification::AgentTrigger(agent_notification(
                AlertState::Active,
            ))),
        ),
        (
            "agent-clear",
            timed(Notification::AgentClear(agent_notification(
                AlertState::Cleared {
                    end: date("2016-10-20 20:22:28"),
                },
            ))),
        ),
        (
            "alert-clear-new-york-january",
            timed(Notification::AlertClear(new_york_alert())),
        ),
        (
            "device-data-trigger",
            timed(Notification::DeviceTrigger(device_notification(
                DeviceRuleKind::Data,
                AlertState::Active,
            ))),
        ),
        (
            "device-status-trigger",
            timed(Notification::DeviceTrigger(device_notification(
                DeviceRuleKind::Status,
                AlertState::Active,
            ))),
        ),
        (
            "device-status-clear",
            timed(Notification::DeviceClear(device_notification(
                DeviceRuleKind::Status,
                AlertState::Cleared {
                    end: date("2022-07-15 12:45:00"),
                },
            ))),
        ),
    ]
}
