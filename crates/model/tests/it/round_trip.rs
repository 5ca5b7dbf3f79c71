//! Property tests: whatever the lifecycle, every profile's payload parses back to itself.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use tesim_model::{
    Account, Agent, AgentNotification, AgentRule, AgentRuleKind, AlertSource, AlertState, Label,
    Notification, Profile, Rule, Severity, TeDate, Test, TestAlert, TestType, TimedNotification,
    WebhookEvent, parse_event, render,
};

fn date() -> impl Strategy<Value = TeDate> {
    (0i64..4_102_444_800).prop_map(|epoch| TeDate::from_epoch(epoch).unwrap())
}

fn state() -> impl Strategy<Value = AlertState> {
    prop_oneof![
        Just(AlertState::Active),
        date().prop_map(|end| AlertState::Cleared { end }),
        date().prop_map(|end| AlertState::RuleRemoved { end }),
    ]
}

fn text() -> impl Strategy<Value = String> {
    // Non-ASCII on purpose: "≤" is in real rule expressions.
    "[a-zA-Z0-9 ≤≥\"'\\\\:/.,()é漢-]{0,24}"
}

fn agent() -> impl Strategy<Value = Arc<Agent>> {
    (any::<u64>(), text(), text(), text()).prop_map(|(id, name, location, hostname)| {
        Arc::new(Agent {
            id,
            name,
            location,
            hostname,
            ip_address: "192.0.2.1".into(),
        })
    })
}

fn account() -> impl Strategy<Value = Arc<Account>> {
    (any::<u64>(), text()).prop_map(|(aid, name)| {
        Arc::new(Account {
            aid,
            name,
            time_zone: tesim_model::AccountZone::utc(),
        })
    })
}

fn severity() -> impl Strategy<Value = Severity> {
    prop::sample::select(Severity::ALL.to_vec())
}

fn test_alert() -> impl Strategy<Value = TestAlert> {
    let source = (agent(), date(), text(), text(), state()).prop_map(
        |(agent, start, metrics_at_start, metrics_latest, state)| AlertSource {
            agent,
            start,
            metrics_at_start: metrics_at_start.into(),
            metrics_latest: metrics_latest.into(),
            state,
        },
    );
    let test = (
        any::<u64>(),
        text(),
        prop::sample::select(TestType::ALL.to_vec()),
        prop::collection::vec(text(), 0..3),
        prop::collection::vec((any::<u64>(), text()), 0..3),
    )
        .prop_map(|(id, name, kind, targets, labels)| {
            Arc::new(Test {
                id,
                name,
                kind,
                targets,
                labels: labels
                    .into_iter()
                    .map(|(id, name)| Label { id, name })
                    .collect(),
                interval: 60,
            })
        });
    let rule =
        (any::<u64>(), text(), text(), severity()).prop_map(|(id, name, expression, severity)| {
            Arc::new(Rule {
                id,
                name,
                expression,
                severity,
                notify_on_clear: true,
            })
        });
    (
        any::<u64>(),
        account(),
        test,
        rule,
        date(),
        state(),
        prop::collection::vec(source, 1..4),
    )
        .prop_map(
            |(number, account, test, rule, start, state, sources)| TestAlert {
                number,
                uuid: format!(
                    "{:08x}-0000-4000-8000-{:012x}",
                    number as u32,
                    number & 0xffff_ffff_ffff
                ),
                account,
                test,
                rule,
                start,
                state,
                sources,
            },
        )
}

fn agent_notification() -> impl Strategy<Value = AgentNotification> {
    let rule = (
        any::<u64>(),
        text(),
        text(),
        prop::sample::select(vec![
            AgentRuleKind::ClockOffset,
            AgentRuleKind::Offline,
            AgentRuleKind::Version,
        ]),
        severity(),
    )
        .prop_map(|(id, name, expression, kind, severity)| {
            Arc::new(AgentRule {
                id,
                name,
                expression,
                kind,
                severity,
            })
        });
    (
        any::<u64>(),
        account(),
        rule,
        agent(),
        date(),
        text(),
        text(),
        state(),
    )
        .prop_map(
            |(number, account, rule, agent, start, metrics_at_start, metrics_at_end, state)| {
                AgentNotification {
                    number,
                    account,
                    rule,
                    agent,
                    start,
                    metrics_at_start,
                    metrics_at_end,
                    state,
                }
            },
        )
}

fn device_notification() -> impl Strategy<Value = tesim_model::DeviceNotification> {
    let rule = (
        any::<u64>(),
        text(),
        prop::sample::select(vec![
            tesim_model::DeviceRuleKind::Data,
            tesim_model::DeviceRuleKind::Status,
        ]),
        severity(),
    )
        .prop_map(|(id, name, kind, severity)| {
            Arc::new(tesim_model::DeviceRule {
                id,
                name: name.clone(),
                expression: name,
                kind,
                severity,
            })
        });
    let device = (any::<u64>(), text()).prop_map(|(id, name)| {
        Arc::new(tesim_model::Device {
            id,
            name,
            ip_address: "10.0.0.1".into(),
        })
    });
    (
        any::<u64>(),
        account(),
        rule,
        device,
        date(),
        text(),
        state(),
    )
        .prop_map(|(number, account, rule, device, start, metrics, state)| {
            tesim_model::DeviceNotification {
                number,
                account,
                rule,
                device,
                start,
                metrics_at_start: metrics.clone(),
                metrics_at_end: metrics,
                state,
            }
        })
}

fn notification() -> impl Strategy<Value = Notification> {
    prop_oneof![
        Just(Notification::WebhookTest),
        test_alert().prop_map(Notification::AlertTrigger),
        test_alert().prop_map(Notification::AlertClear),
        agent_notification().prop_map(Notification::AgentTrigger),
        agent_notification().prop_map(Notification::AgentClear),
        device_notification().prop_map(Notification::DeviceTrigger),
        device_notification().prop_map(Notification::DeviceClear),
    ]
}

fn timed() -> impl Strategy<Value = TimedNotification> {
    (date(), 0u64..1_000_000_000, notification()).prop_map(|(at, sequence, notification)| {
        TimedNotification {
            offset: Duration::ZERO,
            at,
            sequence,
            uuid: "9437a575-4b00-44a2-899a-41d1134eef08".into(),
            notification,
        }
    })
}

proptest! {
    #[test]
    fn every_profile_round_trips(timed in timed(), profile in prop::sample::select(Profile::ALL.to_vec())) {
        let event = render(profile, &timed);
        let json = event.to_json();
        let parsed = parse_event(&json).map_err(|err| TestCaseError::fail(format!("{err}\n{json}")))?;
        prop_assert_eq!(&parsed, &event);
        // And through serde's own entry points.
        let via_serde: WebhookEvent = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(via_serde, event);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = parse_event(&text);
    }

    #[test]
    fn parsing_mutated_payloads_never_panics(timed in timed(), cut in 0usize..2000, byte in any::<u8>()) {
        let mut json = render(Profile::V6_2021, &timed).to_json().into_bytes();
        let cut = cut.min(json.len().saturating_sub(1));
        if !json.is_empty() {
            json[cut] = byte;
        }
        let _ = parse_event(&String::from_utf8_lossy(&json));
    }

    #[test]
    fn cleared_alerts_carry_their_end_and_active_ones_do_not(alert in test_alert()) {
        let timed = TimedNotification {
            offset: Duration::ZERO,
            at: alert.start,
            sequence: 1,
            uuid: "u".into(),
            notification: Notification::AlertTrigger(alert.clone()),
        };
        let json: serde_json::Value = serde_json::from_str(&render(Profile::V6_2021, &timed).to_json()).unwrap();
        prop_assert_eq!(json["alert"].get("dateEnd").is_some(), alert.state != AlertState::Active);
        prop_assert_eq!(json["alert"]["active"].as_u64(), Some(u64::from(alert.state.active_code())));
    }
}

fn round_trip<T>(value: &T) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value).unwrap();
    let parsed: T =
        serde_json::from_str(&json).map_err(|err| TestCaseError::fail(format!("{err}\n{json}")))?;
    prop_assert_eq!(&parsed, value);
    Ok(())
}

proptest! {
    #[test]
    fn api_bodies_round_trip(alert in test_alert(), notice in agent_notification(), profile in prop::sample::select(Profile::ALL.to_vec())) {
        use tesim_model::{api_v6, api_v7};
        let base = "http://127.0.0.1:8080";
        let now = alert.state.end().unwrap_or(alert.start);
        let v6 = api_v6::AlertList { alert: vec![api_v6::alert(profile, &alert)], pages: None };
        round_trip(&v6)?;
        round_trip(&api_v7::alert(base, profile, &alert, now))?;
        round_trip(&api_v7::alert_detail(base, profile, &alert, now))?;
        round_trip(&api_v7::agent_alert(base, profile, &notice, notice.state.end().unwrap_or(notice.start)))?;
    }
}

/// `timed` with its account moved to `zone`.
fn in_zone(mut timed: TimedNotification, zone: &str) -> TimedNotification {
    let zone = tesim_model::AccountZone::parse(zone).unwrap();
    let moved = |account: &std::sync::Arc<tesim_model::Account>| {
        let mut account = (**account).clone();
        account.time_zone = zone.clone();
        std::sync::Arc::new(account)
    };
    match &mut timed.notification {
        Notification::WebhookTest => {}
        Notification::AlertTrigger(alert) | Notification::AlertClear(alert) => {
            alert.account = moved(&alert.account);
        }
        Notification::AgentTrigger(notice) | Notification::AgentClear(notice) => {
            notice.account = moved(&notice.account);
        }
        Notification::DeviceTrigger(notice) | Notification::DeviceClear(notice) => {
            notice.account = moved(&notice.account);
        }
    }
    timed
}

proptest! {
    /// The hand-written JSON writers (issue 17's speed) write what serde writes.
    #[test]
    fn written_json_is_serdes(
        timed in timed(),
        profile in prop::sample::select(Profile::ALL.to_vec()),
        zone in prop::sample::select(vec!["UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]),
    ) {
        let timed = in_zone(timed, zone);
        let event = render(profile, &timed);
        let via_serde = serde_json::to_string(&event).unwrap();
        prop_assert_eq!(event.to_json(), via_serde.clone());
        let mut written = Vec::new();
        tesim_model::render::write_json(profile, &timed, &mut written);
        prop_assert_eq!(String::from_utf8(written).unwrap(), via_serde);
    }
}
