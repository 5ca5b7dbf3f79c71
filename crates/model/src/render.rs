//! Writes a lifecycle [`Notification`] as the classic webhook payload of one [`Profile`].
//!
//! Every difference between payload eras lives in this file, so the eras can be compared
//! side by side. Sources for each choice are in the reference (§1.4–§1.7, §5.1).

use crate::date::{AgentDate, ZonedDate};
use crate::lifecycle::{
    AgentNotification, AlertSource, AlertState, Notification, TestAlert, TimedNotification,
};
use crate::profile::Profile;
use crate::webhook::{
    Active, AgentAlert, Alert, AlertAgent, AlertBody, AlertId, ApiLink, EventBody, TitleSeverity,
    WebhookEvent,
};

/// What ThousandEyes writes in `metricsAtEnd` when the rule went away mid-alert [tebot].
pub const RULE_REMOVED_METRICS: &str = "N/A (rule modified or removed from test)";

/// The classic payload of `timed` in `profile`.
pub fn render(profile: Profile, timed: &TimedNotification) -> WebhookEvent {
    let body = match &timed.notification {
        Notification::WebhookTest => EventBody::WebhookTest,
        Notification::AlertTrigger(alert) => {
            EventBody::AlertTrigger(AlertBody::Test(test_alert(profile, alert)))
        }
        Notification::AlertClear(alert) => {
            EventBody::AlertClear(AlertBody::Test(test_alert(profile, alert)))
        }
        Notification::AgentTrigger(notice) => match profile {
            Profile::Modern2025 => {
                EventBody::AlertTrigger(AlertBody::Agent(agent_alert(profile, notice)))
            }
            _ => EventBody::AgentTrigger(agent_alert(profile, notice)),
        },
        Notification::AgentClear(notice) => match profile {
            Profile::Modern2025 => {
                EventBody::AlertClear(AlertBody::Agent(agent_alert(profile, notice)))
            }
            _ => EventBody::AgentClear(agent_alert(profile, notice)),
        },
    };
    WebhookEvent {
        event_id: event_id(profile, timed),
        body,
    }
}

/// `eventId` as each era writes it (reference §1.4).
fn event_id(profile: Profile, timed: &TimedNotification) -> String {
    match (&timed.notification, profile) {
        // Epoch milliseconds of the press of the Test button; the sub-second part comes from
        // the sequence so two tests in one second still get distinct ids.
        (Notification::WebhookTest, _) => {
            (timed.at.epoch_millis() + (timed.sequence % 1000) as i64).to_string()
        }
        (
            Notification::AlertTrigger(alert) | Notification::AlertClear(alert),
            Profile::Modern2025,
        ) => {
            format!("{}--{}", timed.uuid, alert.uuid)
        }
        (Notification::AlertTrigger(alert) | Notification::AlertClear(alert), _) => {
            format!("{}-{}", timed.sequence, alert.number)
        }
        (Notification::AgentTrigger(notice) | Notification::AgentClear(notice), _) => {
            format!("{}-{}", timed.sequence, notice.number)
        }
    }
}

/// The app link of an alert: the KB writes `/alerts/list?`, later eras `/alerts/list/?`.
pub fn permalink(profile: Profile, aid: u64, alert_id: &AlertId) -> String {
    let slash = if profile == Profile::Kb2014 { "" } else { "/" };
    format!("https://app.thousandeyes.com/alerts/list{slash}?__a={aid}&alertId={alert_id}")
}

/// `apiLinks` of a test alert: the KB's unversioned `http://` links, then `/v4/` over https
/// (still v4 in 2025 captures).
pub fn api_links(profile: Profile, alert: &TestAlert) -> Vec<ApiLink> {
    let base = match profile {
        Profile::Kb2014 => "http://api.thousandeyes.com",
        _ => "https://api.thousandeyes.com/v4",
    };
    let test_id = alert.test.id;
    vec![
        ApiLink {
            rel: "related".into(),
            href: format!("{base}/tests/{test_id}"),
        },
        ApiLink {
            rel: "data".into(),
            href: format!("{base}/{}/{test_id}", alert.test.kind.data_path()),
        },
    ]
}

fn alert_id(profile: Profile, alert: &TestAlert) -> AlertId {
    match profile {
        Profile::Modern2025 => AlertId::Uuid(alert.uuid.clone()),
        _ => AlertId::Number(alert.number),
    }
}

fn active(state: AlertState) -> Active {
    match state {
        AlertState::Active => Active::Active,
        AlertState::Cleared { .. } => Active::Cleared,
        AlertState::RuleRemoved { .. } => Active::Disabled,
    }
}

fn test_alert(profile: Profile, alert: &TestAlert) -> Alert {
    let id = alert_id(profile, alert);
    let link = permalink(profile, alert.account.aid, &id);
    let end = alert.state.end();
    let modern = profile == Profile::Modern2025;
    let since_2021 = profile != Profile::Kb2014;
    Alert {
        rule_id: alert.rule.id,
        alert_id: id,
        test_id: alert.test.id,
        test_name: alert.test.name.clone(),
        active: since_2021.then(|| active(alert.state)),
        rule_expression: alert.rule.expression.clone(),
        date_start: alert.start,
        date_start_zoned: modern.then(|| ZonedDate::utc(alert.start)),
        date_end: end,
        date_end_zoned: end.filter(|_| modern).map(ZonedDate::utc),
        violation_count: u32::try_from(alert.violation_count()).unwrap_or(u32::MAX),
        rule_name: alert.rule.name.clone(),
        // 2021 captures show 0 [tebot]; 2022 and later the account group's id [ezabala][keep].
        rule_aid: match profile {
            Profile::Kb2014 => None,
            Profile::V6_2021 => Some(0),
            Profile::Modern2025 => Some(alert.account.aid),
        },
        severity: modern.then_some(TitleSeverity(alert.rule.severity)),
        agents: Some(
            alert
                .sources
                .iter()
                .map(|source| alert_agent(profile, alert, source, &link))
                .collect(),
        ),
        test_type: alert.test.kind.label().to_owned(),
        test_labels: since_2021.then(|| alert.test.labels.clone()),
        test_targets_description: since_2021.then(|| alert.test.targets.clone()),
        permalink: Some(link),
        api_links: Some(api_links(profile, alert)),
    }
}

fn alert_agent(
    profile: Profile,
    alert: &TestAlert,
    source: &AlertSource,
    link: &str,
) -> AlertAgent {
    // Once the alert is over, every agent is over too: "forced 0 after alert clears" (v6 docs),
    // and 2 with the N/A text when the rule went away [tebot].
    let state = match alert.state {
        AlertState::Active => source.state,
        over => over_for_source(over, source.state),
    };
    let metrics_at_end = match (profile, state) {
        (_, AlertState::RuleRemoved { .. }) => RULE_REMOVED_METRICS.to_owned(),
        // The KB samples carry the latest round even while active; 2021 on, "" while active.
        (Profile::Kb2014, _) => source.metrics_latest.clone(),
        (_, AlertState::Active) => String::new(),
        (_, AlertState::Cleared { .. }) => source.metrics_latest.clone(),
    };
    AlertAgent {
        date_start: source.start,
        date_end: state.end(),
        active: active(state),
        metrics_at_start: source.metrics_at_start.clone(),
        metrics_at_end,
        agent_id: source.agent.id,
        agent_name: source.agent.name.clone(),
        location_name: (profile == Profile::Kb2014).then(|| source.agent.location.clone()),
        permalink: Some(format!("{link}&agentId={}", source.agent.id)),
    }
}

/// A source that recovered before the alert ended keeps its own end date.
fn over_for_source(alert_state: AlertState, source_state: AlertState) -> AlertState {
    match (alert_state, source_state) {
        (AlertState::RuleRemoved { end }, AlertState::Active) => AlertState::RuleRemoved { end },
        (AlertState::RuleRemoved { .. }, AlertState::Cleared { end }) => {
            AlertState::RuleRemoved { end }
        }
        (AlertState::Cleared { end }, AlertState::Active) => AlertState::Cleared { end },
        (_, source_state) => source_state,
    }
}

fn agent_alert(profile: Profile, notice: &AgentNotification) -> AgentAlert {
    let end = notice.state.end();
    match profile {
        // The 2025 shape [keep]: classic date strings, zoned dates, numeric alertId, no
        // metrics. `dateEnd`/`dateEndZoned` on a clear are inferred.
        Profile::Modern2025 => AgentAlert {
            agent_rule_id: None,
            agent_notification_id: None,
            alert_id: Some(AlertId::Number(notice.number)),
            rule_id: Some(notice.rule.id),
            agent_id: notice.agent.id,
            hostname: notice.agent.hostname.clone(),
            agent_name: notice.agent.name.clone(),
            ip_address: notice.agent.ip_address.clone(),
            active: None,
            alert_type: Some("Agent".to_owned()),
            rule_expression: notice.rule.expression.clone(),
            rule_name: notice.rule.name.clone(),
            rule_aid: Some(notice.account.aid),
            severity: Some(TitleSeverity(notice.rule.severity)),
            date_start: AgentDate::Classic(notice.start),
            date_start_zoned: Some(ZonedDate::utc(notice.start)),
            date_end: end.map(AgentDate::Classic),
            date_end_zoned: end.map(ZonedDate::utc),
            metrics_at_start: None,
            metrics_at_end: None,
        },
        // The KB (2019) shape, also used for v6-2021: no 2021 capture of an agent
        // notification is known, so that era repeats the KB's (a documented guess).
        Profile::Kb2014 | Profile::V6_2021 => AgentAlert {
            agent_rule_id: Some(notice.rule.id),
            agent_notification_id: Some(notice.number),
            alert_id: None,
            rule_id: None,
            agent_id: notice.agent.id,
            hostname: notice.agent.hostname.clone(),
            agent_name: notice.agent.name.clone(),
            ip_address: notice.agent.ip_address.clone(),
            active: Some(active(notice.state)),
            alert_type: None,
            rule_expression: notice.rule.expression.clone(),
            rule_name: notice.rule.name.clone(),
            rule_aid: None,
            severity: None,
            date_start: AgentDate::Epoch(notice.start),
            date_start_zoned: None,
            date_end: end.map(AgentDate::Epoch),
            date_end_zoned: None,
            metrics_at_start: Some(notice.metrics_at_start.clone()),
            metrics_at_end: Some(match notice.state {
                AlertState::Active => String::new(),
                _ => notice.metrics_at_end.clone(),
            }),
        },
    }
}
