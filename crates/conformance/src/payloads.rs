//! The probe notifications, as JSON values copied from the reference's complete examples
//! (section 1.7, the KB samples) with fresh ids per run, so that a receiver with a persistent
//! store never sees the same `eventId` or `alertId` twice across runs.
//!
//! Kept as `serde_json::Value` on purpose: the checker must also send what the typed model
//! would never produce (unknown fields, missing optional fields).

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use tesim_model::Profile;

/// Fresh ids for one run: integer `alertId`s and KB-style `eventId`s (`<seq>-<alertId>`).
#[derive(Debug)]
pub(crate) struct Ids {
    base: u64,
    next: AtomicU64,
}

impl Ids {
    /// `run_id` seeds the ids; two runs with different `run_id`s never share one.
    pub(crate) fn new(run_id: u64) -> Self {
        // Nine-digit alertIds like the 2021 captures (76947300), spaced 10,000 apart per run.
        Self {
            base: 100_000_000 + (run_id % 89_999) * 10_000,
            next: AtomicU64::new(1),
        }
    }

    /// A new alert (or agent notification) id.
    pub(crate) fn alert_id(&self) -> u64 {
        self.base + self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// A new `eventId` for a notification about `alert_id`: `<seq>-<alertId>` as in real captures.
    pub(crate) fn event_id(&self, alert_id: u64) -> String {
        format!(
            "{}-{alert_id}",
            self.base / 100 + self.next.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// A `WEBHOOK_TEST` eventId: epoch milliseconds as a string in the KB sample.
    pub(crate) fn test_event_id(&self) -> String {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
        format!("{}", millis + self.next.fetch_add(1, Ordering::Relaxed))
    }
}

/// `WEBHOOK_TEST`: envelope only.
pub(crate) fn webhook_test(event_id: &str) -> Value {
    json!({"eventType": "WEBHOOK_TEST", "eventId": event_id})
}

/// The KB `ALERT_NOTIFICATION_TRIGGER` sample with `alertId` replaced.
pub(crate) fn alert_trigger(event_id: &str, alert_id: u64) -> Value {
    let permalink = format!("https://app.thousandeyes.com/alerts/list?__a=11&alertId={alert_id}");
    json!({
        "eventType": "ALERT_NOTIFICATION_TRIGGER",
        "eventId": event_id,
        "alert": {
            "ruleId": 173,
            "alertId": alert_id,
            "testId": 5370,
            "testName": "http://www.thousandeyes111.com",
            "ruleExpression": "Page Load is incomplete",
            "dateStart": "2014-08-24 01:01:47",
            "violationCount": 2,
            "ruleName": "Default Page Load Alert Rule",
            "agents": [
                {
                    "dateStart": "2014-08-24 01:01:47",
                    "active": 1,
                    "metricsAtStart": "Page load: Incomplete",
                    "metricsAtEnd": "Page Load: Incomplete",
                    "agentId": 108,
                    "agentName": "Boston, MA",
                    "locationName": "Boston, MA",
                    "permalink": format!("{permalink}&agentId=108")
                },
                {
                    "dateStart": "2014-08-24 01:00:51",
                    "active": 1,
                    "metricsAtStart": "Page load: Incomplete",
                    "metricsAtEnd": "Page Load: Incomplete",
                    "agentId": 107,
                    "agentName": "Vancouver, Canada",
                    "locationName": "Vancouver, Canada",
                    "permalink": format!("{permalink}&agentId=107")
                }
            ],
            "type": "Page Load",
            "permalink": permalink,
            "apiLinks": [
                {"rel": "related", "href": "http://api.thousandeyes.com/tests/5370"},
                {"rel": "data", "href": "http://api.thousandeyes.com/web/page-load/5370"}
            ]
        }
    })
}

/// The KB `ALERT_NOTIFICATION_CLEAR`: the trigger plus `dateEnd`, agents cleared.
pub(crate) fn alert_clear(event_id: &str, alert_id: u64) -> Value {
    let mut clear = alert_trigger(event_id, alert_id);
    clear["eventType"] = "ALERT_NOTIFICATION_CLEAR".into();
    let alert = &mut clear["alert"];
    alert["dateEnd"] = "2014-08-24 01:09:51".into();
    for (agent, date_end) in alert["agents"]
        .as_array_mut()
        .into_iter()
        .flatten()
        .zip(["2014-08-24 01:09:47", "2014-08-24 01:09:51"])
    {
        agent["dateEnd"] = date_end.into();
        agent["active"] = 0.into();
        agent["metricsAtEnd"] = "Page Load: Complete".into();
    }
    clear
}

/// The KB `AGENT_ALERT_NOTIFICATION_TRIGGER` sample with `agentNotificationId` replaced.
pub(crate) fn agent_trigger(event_id: &str, notification_id: u64) -> Value {
    json!({
        "eventType": "AGENT_ALERT_NOTIFICATION_TRIGGER",
        "eventId": event_id,
        "agentAlert": {
            "agentRuleId": 43587,
            "agentNotificationId": notification_id,
            "agentId": 25694,
            "hostname": "TE-AGENT1.local.lan",
            "agentName": "Packet1",
            "ipAddress": "147.75.199.171",
            "active": 1,
            "ruleExpression": "Clock Offset ≤ 60 seconds",
            "ruleName": "Default Agent Clock Offset Notification",
            "dateStart": 1476987748,
            "metricsAtStart": "Clock Offset: 20 seconds",
            "metricsAtEnd": ""
        }
    })
}

/// The matching `AGENT_ALERT_NOTIFICATION_CLEAR`: same notification and agent, `dateEnd`
/// added (the KB's clear sample is another notification; reference 1.7 says to pair them so).
pub(crate) fn agent_clear(event_id: &str, notification_id: u64) -> Value {
    let mut clear = agent_trigger(event_id, notification_id);
    clear["eventType"] = "AGENT_ALERT_NOTIFICATION_CLEAR".into();
    let agent = &mut clear["agentAlert"];
    agent["active"] = 0.into();
    agent["dateEnd"] = 1476988048.into();
    agent["metricsAtEnd"] = "Clock Offset: 12 seconds".into();
    clear
}

/// A modern-2025 agent notification: `ALERT_NOTIFICATION_TRIGGER`, `alert.type` "Agent", a
/// UUID-style string `alertId`, the same object under `alert` and `agentAlert` (reference 1.3,
/// 1.6 2025 variant).
pub(crate) fn modern_agent_trigger(alert_id: u64) -> Value {
    let alert_uuid = format!("5abda706-c065-40fa-aa8c-{alert_id:012x}");
    let agent = json!({
        "severity": "Info",
        "dateStartZoned": "2025-03-24 17:28:40 UTC",
        "agentId": 562949953436734u64,
        "ipAddress": "10.0.0.12",
        "agentName": "te-agent-01",
        "ruleExpression": "Last Contact ≥ 6 minutes ago",
        "type": "Agent",
        "ruleAid": 562949953421312u64,
        "hostname": "te-agent-01.example.net",
        "dateStart": "2025-03-24 17:28:40",
        "ruleName": "Default Agent Offline Notification",
        "alertId": alert_uuid,
        "ruleId": 562949953902917u64
    });
    json!({
        "eventId": format!("9437a575-4b00-44a2-899a-41d1134eef08--{alert_uuid}"),
        "eventType": "ALERT_NOTIFICATION_TRIGGER",
        "alert": agent.clone(),
        "agentAlert": agent
    })
}

/// A trigger with fields no sample has, at the top level, in `alert` and in an agent.
pub(crate) fn with_unknown_fields(mut notification: Value) -> Value {
    notification["tesimUnknownTopLevel"] = json!({"nested": [1, "two", null]});
    notification["alert"]["tesimUnknownField"] = "added by a future ThousandEyes release".into();
    notification["alert"]["severity"] = "Minor".into();
    notification["alert"]["testLabels"] = json!([{"id": 1, "name": "tesim"}]);
    if let Some(agent) = notification["alert"]["agents"].get_mut(0) {
        agent["tesimUnknownAgentField"] = 42.into();
    }
    notification
}

/// A trigger with the fields some eras or alert types omit removed.
pub(crate) fn without_optional_fields(mut notification: Value) -> Value {
    if let Some(alert) = notification["alert"].as_object_mut() {
        for key in [
            "apiLinks",
            "permalink",
            "type",
            "violationCount",
            "ruleExpression",
        ] {
            alert.remove(key);
        }
        for agent in alert
            .get_mut("agents")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(agent) = agent.as_object_mut() {
                for key in ["locationName", "permalink", "metricsAtEnd"] {
                    agent.remove(key);
                }
            }
        }
    }
    notification
}

/// A trigger whose alert lists `n_agents` agents.
pub(crate) fn with_many_agents(mut notification: Value, n_agents: u64) -> Value {
    let template = notification["alert"]["agents"][0].clone();
    let agents: Vec<Value> = (0..n_agents)
        .map(|agent_idx| {
            let mut agent = template.clone();
            agent["agentId"] = (10_000 + agent_idx).into();
            agent["agentName"] = format!("Agent {agent_idx:04}, Somewhere").into();
            agent["locationName"] = format!("Location {agent_idx:04}").into();
            agent
        })
        .collect();
    notification["alert"]["violationCount"] = n_agents.into();
    notification["alert"]["agents"] = agents.into();
    notification
}

/// A UUID-shaped id derived from `number` (the modern-2025 profile uses UUIDs).
fn uuid_of(number: u64, salt: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (number >> 16) as u32,
        (number & 0xffff) as u16,
        salt & 0xfff,
        (number ^ salt) & 0xfff,
        number.wrapping_mul(0x9e37_79b9) & 0xffff_ffff_ffff
    )
}

/// A Page Load alert trigger or clear rendered by `tesim-model` in `profile`: the exact shape
/// `tesim send` produces for that era (reference 1.7, 5.1.11).
pub(crate) fn profile_alert(
    profile: Profile,
    alert_number: u64,
    sequence: u64,
    clear: bool,
) -> Value {
    era_alert(&AlertSpec {
        profile,
        number: alert_number,
        sequence,
        clear,
        ..AlertSpec::default()
    })
}

/// The KB sample's start, 2014-08-24 01:01:47 UTC.
const KB_START: i64 = 1_408_842_107;

/// What varies between the test alerts the checks send; the rest is the KB sample's alert.
#[derive(Clone, Debug)]
pub(crate) struct AlertSpec {
    pub(crate) profile: Profile,
    /// The scenario's alert number (the era writes it as its `alertId`, or derives the UUID).
    pub(crate) number: u64,
    /// First half of the `eventId`.
    pub(crate) sequence: u64,
    pub(crate) clear: bool,
    /// When the alert started, epoch seconds.
    pub(crate) start: i64,
    /// The account's time zone (IANA name).
    pub(crate) zone: &'static str,
    /// The scenario's test id (the era writes it in its id size).
    pub(crate) test_id: u64,
}

impl Default for AlertSpec {
    fn default() -> Self {
        Self {
            profile: Profile::Kb2014,
            number: 1,
            sequence: 1,
            clear: false,
            start: KB_START,
            zone: "UTC",
            test_id: 5370,
        }
    }
}

fn account(zone: &str) -> std::sync::Arc<tesim_model::Account> {
    std::sync::Arc::new(tesim_model::Account {
        aid: 11,
        name: "tesim check".to_owned(),
        time_zone: tesim_model::AccountZone::parse(zone)
            .unwrap_or_else(|_| tesim_model::AccountZone::utc()),
    })
}

fn rendered(profile: Profile, timed: &tesim_model::TimedNotification) -> Value {
    serde_json::from_str(&tesim_model::render(profile, timed).to_json()).unwrap_or(Value::Null)
}

/// A Page Load alert trigger or clear as `spec` says, rendered by `tesim-model`.
pub(crate) fn era_alert(spec: &AlertSpec) -> Value {
    use std::sync::Arc;
    use tesim_model::{
        Agent, AlertSource, AlertState, Rule, Severity, TeDate, Test, TestAlert, TestType,
    };

    let clear = spec.clear;
    let start = TeDate::from_epoch(spec.start).unwrap_or(TeDate::EPOCH);
    let end = start.plus_seconds(484);
    let state = if clear {
        AlertState::Cleared { end }
    } else {
        AlertState::Active
    };
    let agent = |id: u64, name: &str| {
        Arc::new(Agent {
            id,
            name: name.to_owned(),
            location: name.to_owned(),
            hostname: String::new(),
            ip_address: String::new(),
        })
    };
    let sources = [(108, "Boston, MA"), (107, "Vancouver, Canada")]
        .into_iter()
        .map(|(id, name)| AlertSource {
            agent: agent(id, name),
            start,
            metrics_at_start: "Page load: Incomplete".into(),
            metrics_latest: if clear {
                "Page Load: Complete"
            } else {
                "Page Load: Incomplete"
            }
            .into(),
            state,
        })
        .collect();
    let alert = TestAlert {
        number: spec.number,
        uuid: uuid_of(spec.number, 0xa1e),
        account: account(spec.zone),
        test: Arc::new(Test {
            id: spec.test_id,
            name: "http://www.thousandeyes111.com".to_owned(),
            kind: TestType::PageLoad,
            targets: vec!["http://www.thousandeyes111.com".to_owned()],
            labels: Vec::new(),
            interval: 300,
        }),
        rule: Arc::new(Rule {
            id: 173,
            name: "Default Page Load Alert Rule".to_owned(),
            expression: "Page Load is incomplete".to_owned(),
            severity: Severity::Minor,
            notify_on_clear: true,
        }),
        start,
        state,
        sources,
    };
    let timed = tesim_model::TimedNotification {
        offset: std::time::Duration::from_secs(if clear { 484 } else { 0 }),
        at: if clear { end } else { start },
        sequence: spec.sequence,
        uuid: uuid_of(spec.sequence, 0xe7e),
        notification: if clear {
            tesim_model::Notification::AlertClear(alert)
        } else {
            tesim_model::Notification::AlertTrigger(alert)
        },
    };
    rendered(spec.profile, &timed)
}

/// An "agent offline" notification trigger or clear rendered by `tesim-model` in `profile`:
/// `AGENT_ALERT_NOTIFICATION_*` up to v6-2021, `ALERT_NOTIFICATION_*` with `alert.type`
/// "Agent" and the body also under `agentAlert` from v6-2022 (reference 6.1).
pub(crate) fn era_agent(profile: Profile, number: u64, sequence: u64, clear: bool) -> Value {
    use std::sync::Arc;
    use tesim_model::{
        Agent, AgentNotification, AgentRule, AgentRuleKind, AlertState, Notification, Severity,
        TeDate,
    };
    // 2025-03-24 17:28:40 UTC, the 2025 capture's start [keep].
    let start = TeDate::from_epoch(1_742_837_320).unwrap_or(TeDate::EPOCH);
    let end = start.plus_seconds(300);
    let notice = AgentNotification {
        number,
        account: account("UTC"),
        rule: Arc::new(AgentRule {
            id: 902_917,
            name: "Default Agent Offline Notification".to_owned(),
            expression: "Last Contact ≥ 6 minutes ago".to_owned(),
            kind: AgentRuleKind::Offline,
            severity: Severity::Info,
        }),
        agent: Arc::new(Agent {
            id: 36_734,
            name: "te-agent-01".to_owned(),
            location: "Boston, MA".to_owned(),
            hostname: "te-agent-01.example.net".to_owned(),
            ip_address: "10.0.0.12".to_owned(),
        }),
        start,
        metrics_at_start: "Last Contact: 7 minutes ago".to_owned(),
        metrics_at_end: "Last Contact: 0 minutes ago".to_owned(),
        state: if clear {
            AlertState::Cleared { end }
        } else {
            AlertState::Active
        },
    };
    let timed = tesim_model::TimedNotification {
        offset: std::time::Duration::from_secs(if clear { 300 } else { 0 }),
        at: if clear { end } else { start },
        sequence,
        uuid: uuid_of(sequence, 0xe7e),
        notification: if clear {
            Notification::AgentClear(notice)
        } else {
            Notification::AgentTrigger(notice)
        },
    };
    rendered(profile, &timed)
}

/// The correlation key of a rendered notification, as text: `alertId` (test alerts and modern
/// agent notifications) or `agentNotificationId` (KB-era agent notifications).
pub(crate) fn alert_key(notification: &Value) -> String {
    let body = notification
        .get("agentAlert")
        .or_else(|| notification.get("alert"));
    let id = body.and_then(|body| {
        body.get("agentNotificationId")
            .or_else(|| body.get("alertId"))
    });
    match id {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_matches_the_kb_sample_with_its_own_ids() {
        let kb: Value = serde_json::from_str(tesim_model::samples::KB2014_TRIGGER).unwrap();
        assert_eq!(alert_trigger("49-35541", 35541), kb);
    }

    #[test]
    fn agent_trigger_matches_the_kb_sample() {
        let kb: Value = serde_json::from_str(tesim_model::samples::KB2014_AGENT_TRIGGER).unwrap();
        assert_eq!(agent_trigger("164522-5744505", 5744505), kb);
    }

    #[test]
    fn ids_are_fresh_and_shaped_like_captures() {
        let ids = Ids::new(7);
        let (first, second) = (ids.alert_id(), ids.alert_id());
        assert_ne!(first, second);
        assert!(ids.event_id(first).ends_with(&format!("-{first}")));
        assert_ne!(Ids::new(8).alert_id(), Ids::new(7).alert_id());
    }

    #[test]
    fn profile_alerts_come_from_the_model() {
        let modern = profile_alert(Profile::Modern2025, 7, 1, true);
        assert_eq!(modern["eventType"], "ALERT_NOTIFICATION_CLEAR");
        let alert_id = modern["alert"]["alertId"]
            .as_str()
            .expect("a UUID string alertId");
        assert_eq!(alert_id.len(), 36);
        assert!(
            modern["eventId"]
                .as_str()
                .unwrap()
                .ends_with(&format!("--{alert_id}"))
        );
        let v6 = profile_alert(Profile::V6_2021, 7, 2, false);
        assert_eq!(v6["alert"]["alertId"], 7);
        assert_eq!(v6["eventId"], "2-7");
        assert!(v6["alert"].get("dateEnd").is_none());
    }

    #[test]
    fn clear_has_date_end_and_many_agents_scale() {
        let clear = alert_clear("2-9", 9);
        assert_eq!(
            clear["alert"]["agents"][1]["dateEnd"],
            "2014-08-24 01:09:51"
        );
        let big = with_many_agents(alert_trigger("1-9", 9), 1000);
        assert_eq!(big["alert"]["agents"].as_array().unwrap().len(), 1000);
        let bare = without_optional_fields(alert_trigger("1-9", 9));
        assert!(bare["alert"].get("apiLinks").is_none() && bare["alert"].get("dateEnd").is_none());
    }

    #[test]
    fn era_payloads_are_the_senders() {
        let agent = era_agent(Profile::V6_2022, 7, 3, true);
        assert_eq!(agent["eventType"], "ALERT_NOTIFICATION_CLEAR");
        assert_eq!(agent["alert"]["type"], "Agent");
        assert_eq!(agent["agentAlert"]["alertId"], 7);
        assert_eq!(alert_key(&agent), "7");
        let modern = era_agent(Profile::Modern2025, 7, 3, false);
        assert_eq!(alert_key(&modern), ((1u64 << 49) + 7).to_string());
        let kb = era_agent(Profile::Kb2014, 7, 3, false);
        assert_eq!(kb["eventType"], "AGENT_ALERT_NOTIFICATION_TRIGGER");
        let zoned = era_alert(&AlertSpec {
            profile: Profile::V6_2022,
            start: 1_736_953_200, // 2025-01-15 15:00:00 UTC
            zone: "America/New_York",
            ..AlertSpec::default()
        });
        assert_eq!(zoned["alert"]["dateStart"], "2025-01-15 10:00:00");
        assert_eq!(zoned["alert"]["dateStartZoned"], "2025-01-15 10:00:00 EST");
    }
}
