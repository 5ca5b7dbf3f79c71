//! Alerts API v7 bodies (reference §4), and how they are written from the lifecycle.
//!
//! Field names and enums follow the official SDK's models (API 7.0.92): in the list's
//! `Alert`, the legacy-compatible `state`/`severity` are `ACTIVE`/`CLEARED` and `INFO`…, while
//! `alertState`/`alertSeverity` are the v7 enums `trigger`/`clear` and `info`…; in
//! `AlertDetail`, `state` and `severity` are the v7 enums too (§4.4). `alertId` is a string.

use serde::{Deserialize, Serialize};

use crate::api_v6::{UpperSeverity, source_state};
use crate::date::{IsoDate, TeDate};
use crate::lifecycle::{AgentNotification, AlertState, Rule, Severity, TestAlert};
use crate::profile::Profile;
use crate::render::{agent_alert_id, api_links, permalink};
use crate::webhook::{AlertId, ApiLink};

/// The v7 alert state enum (§4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The alert is active.
    Trigger,
    /// The alert has ended.
    Clear,
}

impl State {
    /// The state of a lifecycle alert.
    pub fn of(state: AlertState) -> State {
        match state {
            AlertState::Active => State::Trigger,
            AlertState::Cleared { .. } | AlertState::RuleRemoved { .. } => State::Clear,
        }
    }
}

/// The legacy-compatible `state` of the list's alerts: `ACTIVE` or `CLEARED` (SDK `Alert`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LegacyState {
    /// Active.
    Active,
    /// Cleared.
    Cleared,
}

/// `{"href": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The URL.
    pub href: String,
}

/// `_links` of an alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertLinks {
    /// The alerting test (absent for agent notifications, which have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<Link>,
    /// The rule that raised the alert (absent for agent notifications, whose rules are not
    /// alert rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Link>,
    /// The alert in the ThousandEyes app.
    pub app_link: Link,
    /// This alert in the API.
    #[serde(rename = "self")]
    pub self_link: Link,
}

/// `_links` of a list: `self`, and `next` while more pages remain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageLinks {
    /// This page.
    #[serde(rename = "self")]
    pub self_link: Link,
    /// The next page, absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Link>,
}

/// `meta` of an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Increments when the alert re-triggers after a suppression window; tesim does not
    /// simulate suppression, so always 1.
    pub version: u32,
}

/// `GET /v7/alerts`: `{"alerts":[…],"_links":{…}}` (§4.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertList {
    /// The alerts of this page.
    pub alerts: Vec<Alert>,
    /// The range queried, when the request gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<IsoDate>,
    /// The end of the range queried, when the request gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<IsoDate>,
    /// Paging links.
    #[serde(rename = "_links")]
    pub links: PageLinks,
}

/// One alert of the v7 list (SDK `Alert`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// UUID of the alert occurrence.
    pub id: String,
    /// Test type enum, e.g. `http-server`.
    pub alert_type: String,
    /// When the alert triggered.
    pub start_date: IsoDate,
    /// When it ended; absent while active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<IsoDate>,
    /// Sources meeting the rule's criteria.
    pub violation_count: u32,
    /// Seconds the alert has been (or was) active.
    pub duration: u64,
    /// Whether a suppression window hides it (never, in tesim).
    pub suppressed: bool,
    /// Version information.
    pub meta: Meta,
    /// Links.
    #[serde(rename = "_links")]
    pub links: AlertLinks,
    /// Legacy id, the webhook's `alertId` written as a string.
    pub alert_id: String,
    /// Legacy start date, `YYYY-MM-DD hh:mm:ss`.
    pub date_start: TeDate,
    /// Legacy end date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_end: Option<TeDate>,
    /// Rule id as an integer.
    pub rule_id: u64,
    /// `ACTIVE` or `CLEARED`.
    pub state: LegacyState,
    /// `INFO`, `MINOR`, `MAJOR` or `CRITICAL`.
    pub severity: UpperSeverity,
    /// Link to the alert in the ThousandEyes app.
    pub permalink: String,
    /// Links as the webhook carries them.
    pub api_links: Vec<ApiLink>,
    /// Rule id as a string.
    pub alert_rule_id: String,
    /// `trigger` or `clear`.
    pub alert_state: State,
    /// `info`, `minor`, `major` or `critical`.
    pub alert_severity: Severity,
}

/// `GET /v7/alerts/{alertId}` (SDK `AlertDetail`, §4.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertDetail {
    /// UUID of the alert occurrence.
    pub id: String,
    /// Test type enum.
    pub alert_type: String,
    /// When the alert triggered.
    pub start_date: IsoDate,
    /// When it ended; absent while active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<IsoDate>,
    /// Sources meeting the rule's criteria.
    pub violation_count: u32,
    /// Seconds the alert has been (or was) active.
    pub duration: u64,
    /// Never suppressed in tesim.
    pub suppressed: bool,
    /// Version information.
    pub meta: Meta,
    /// Links.
    #[serde(rename = "_links")]
    pub links: AlertLinks,
    /// `trigger` or `clear`.
    pub state: State,
    /// `info`…
    pub severity: Severity,
    /// Same as `state`.
    pub alert_state: State,
    /// Same as `severity`.
    pub alert_severity: Severity,
    /// One entry per source (agent).
    pub details: Vec<AlertMetricDetail>,
}

/// One source of an alert detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertMetricDetail {
    /// Agent id, as a string.
    pub id: String,
    /// Agent name.
    pub name: String,
    /// `cea_agent` for the agents tesim simulates (the type of the §4.3 example).
    #[serde(rename = "type")]
    pub source_type: String,
    /// This source's state.
    pub state: State,
    /// Metrics when it started violating.
    pub start: Metrics,
    /// Metrics when it stopped; absent while it violates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Metrics>,
}

/// `{"metrics": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    /// Human-readable metrics, e.g. `Response Code: 401`.
    pub metrics: String,
}

/// The 401 body: `{"error":"invalid_token","error_description":"Invalid access token"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unauthorized {
    /// `invalid_token`.
    pub error: String,
    /// Human-readable description.
    pub error_description: String,
}

/// An `application/problem+json` body (403, 404, 429, 500; with `errors` for 400).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Problem type URI.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary, e.g. `Not found`.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong and what to do.
    pub detail: String,
    /// The request path.
    pub instance: String,
    /// Validation errors (400 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ValidationItem>>,
}

/// One validation error of a 400.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationItem {
    /// Machine-readable code, e.g. `invalid`.
    pub code: String,
    /// The offending parameter.
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// `GET /v7/alerts/rules`: `{"alertRules":[…],"_links":{"self":…}}` (reference §4.5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleList {
    /// The account's alert rules.
    pub alert_rules: Vec<AlertRule>,
    /// `self`.
    #[serde(rename = "_links")]
    pub links: PageLinks,
}

/// An alert rule (SDK `Rule`, reference §4.5), with the fields a scenario determines; the
/// tuning fields carry the values of a rule that fires on one round of one source (inferred).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRule {
    /// Rule id, a string in v7.
    pub rule_id: String,
    /// Rule name.
    pub rule_name: String,
    /// Rule expression.
    pub expression: String,
    /// Whether a clear is notified (always, for the webhooks tesim sends).
    pub notify_on_clear: bool,
    /// ThousandEyes' built-in rules are named `Default …`.
    pub is_default: bool,
    /// Test type enum the rule applies to.
    pub alert_type: String,
    /// `cloud-enterprise`: rules over Cloud and Enterprise Agent tests.
    pub alert_group_type: String,
    /// Sources that must violate.
    pub minimum_sources: u32,
    /// `exact`, `any` or `auto`.
    pub rounds_violating_mode: String,
    /// Rounds considered.
    pub rounds_violating_out_of: u32,
    /// Rounds that must violate.
    pub rounds_violating_required: u32,
    /// `info`…
    pub severity: Severity,
    /// Tests the rule is assigned to, as strings.
    pub test_ids: Vec<String>,
    /// `self`.
    #[serde(rename = "_links")]
    pub links: SelfLinks,
}

/// `_links` with `self` only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfLinks {
    /// This resource.
    #[serde(rename = "self")]
    pub self_link: Link,
}

/// The v7 form of `rule` in `profile`'s ids, applying to tests of `test_type` (the
/// `alertType` enum value) and assigned to `test_ids` (scenario ids).
pub fn alert_rule(
    base: &str,
    profile: Profile,
    rule: &Rule,
    test_type: &str,
    test_ids: &[u64],
) -> AlertRule {
    let ids = profile.era().ids;
    AlertRule {
        rule_id: ids.id(rule.id).to_string(),
        rule_name: rule.name.clone(),
        expression: rule.expression.clone(),
        notify_on_clear: rule.notify_on_clear,
        is_default: rule.name.starts_with("Default "),
        alert_type: test_type.to_owned(),
        alert_group_type: "cloud-enterprise".to_owned(),
        minimum_sources: 1,
        rounds_violating_mode: "exact".to_owned(),
        rounds_violating_out_of: 1,
        rounds_violating_required: 1,
        severity: rule.severity,
        test_ids: test_ids.iter().map(|id| ids.id(*id).to_string()).collect(),
        links: SelfLinks {
            self_link: Link {
                href: format!("{base}/v7/alerts/rules/{}", ids.id(rule.id)),
            },
        },
    }
}

/// The webhook `alertId` of `alert` in `profile`, as v7's string `alertId`.
pub fn legacy_alert_id(profile: Profile, alert: &TestAlert) -> AlertId {
    crate::render::alert_id(profile, alert)
}

fn duration(alert: &TestAlert, now: TeDate) -> u64 {
    let end = alert.state.end().unwrap_or(now);
    u64::try_from(end.epoch() - alert.start.epoch()).unwrap_or(0)
}

fn links(base: &str, profile: Profile, alert: &TestAlert) -> AlertLinks {
    let link = |href: String| Link { href };
    let ids = profile.era().ids;
    AlertLinks {
        test: Some(link(format!("{base}/v7/tests/{}", ids.id(alert.test.id)))),
        rule: Some(link(format!(
            "{base}/v7/alerts/rules/{}",
            ids.id(alert.rule.id)
        ))),
        app_link: link(permalink(
            profile,
            alert.account.aid,
            &legacy_alert_id(profile, alert),
        )),
        self_link: link(format!("{base}/v7/alerts/{}", alert.uuid)),
    }
}

/// The v7 `id` of an agent notification, which the lifecycle only numbers: a UUID-shaped
/// string derived from the number, so it is stable across runs (tesim's own scheme).
pub fn agent_alert_uuid(notice: &AgentNotification) -> String {
    format!(
        "00000000-0000-4000-8000-{:012x}",
        notice.number & 0xffff_ffff_ffff
    )
}

fn agent_links(base: &str, profile: Profile, notice: &AgentNotification) -> AlertLinks {
    AlertLinks {
        test: None,
        rule: None,
        app_link: Link {
            href: permalink(
                profile,
                notice.account.aid,
                &AlertId::Number(agent_alert_id(profile, notice)),
            ),
        },
        self_link: Link {
            href: format!("{base}/v7/alerts/{}", notice.number),
        },
    }
}

fn agent_duration(notice: &AgentNotification, now: TeDate) -> u64 {
    let end = notice.state.end().unwrap_or(now);
    u64::try_from(end.epoch() - notice.start.epoch()).unwrap_or(0)
}

/// The list entry of an agent notification (`alertType` `agent`, reference §4.4): the
/// legacy `alertId` is the number the webhooks carry (`agentNotificationId`, or the 2025
/// `alertId`).
pub fn agent_alert(base: &str, profile: Profile, notice: &AgentNotification, now: TeDate) -> Alert {
    let end = notice.state.end();
    let links = agent_links(base, profile, notice);
    Alert {
        // An agent notification's `id` equals its `alertId` (SDK fixture, reference §6.5).
        id: notice.number.to_string(),
        alert_type: "agent".to_owned(),
        start_date: IsoDate(notice.start),
        end_date: end.map(IsoDate),
        violation_count: 1,
        duration: agent_duration(notice, now),
        suppressed: false,
        meta: Meta { version: 1 },
        permalink: links.app_link.href.clone(),
        links,
        alert_id: agent_alert_id(profile, notice).to_string(),
        date_start: notice.start,
        date_end: end,
        rule_id: profile.era().ids.id(notice.rule.id),
        state: match notice.state {
            AlertState::Active => LegacyState::Active,
            _ => LegacyState::Cleared,
        },
        severity: UpperSeverity(notice.rule.severity),
        api_links: Vec::new(),
        alert_rule_id: profile.era().ids.id(notice.rule.id).to_string(),
        alert_state: State::of(notice.state),
        alert_severity: notice.rule.severity,
    }
}

/// The detail of an agent notification: one `details` entry, the agent.
pub fn agent_alert_detail(
    base: &str,
    profile: Profile,
    notice: &AgentNotification,
    now: TeDate,
) -> AlertDetail {
    let state = State::of(notice.state);
    AlertDetail {
        // An agent notification's `id` equals its `alertId` (SDK fixture, reference §6.5).
        id: notice.number.to_string(),
        alert_type: "agent".to_owned(),
        start_date: IsoDate(notice.start),
        end_date: notice.state.end().map(IsoDate),
        violation_count: 1,
        duration: agent_duration(notice, now),
        suppressed: false,
        meta: Meta { version: 1 },
        links: agent_links(base, profile, notice),
        state,
        severity: notice.rule.severity,
        alert_state: state,
        alert_severity: notice.rule.severity,
        details: vec![AlertMetricDetail {
            // The webhook's agentId: 15 digits for an Enterprise Agent of a modern account.
            id: profile.era().ids.id(notice.agent.id).to_string(),
            name: notice.agent.name.clone(),
            source_type: "cea_agent".to_owned(),
            state,
            start: Metrics {
                metrics: notice.metrics_at_start.clone(),
            },
            end: notice.state.end().map(|_| Metrics {
                metrics: notice.metrics_at_end.clone(),
            }),
        }],
    }
}

/// The list entry of `alert` at `now` (which only matters for an active alert's `duration`).
pub fn alert(base: &str, profile: Profile, alert: &TestAlert, now: TeDate) -> Alert {
    let legacy_id = legacy_alert_id(profile, alert);
    let end = alert.state.end();
    Alert {
        id: alert.uuid.clone(),
        alert_type: alert.test.kind.alert_type().to_owned(),
        start_date: IsoDate(alert.start),
        end_date: end.map(IsoDate),
        violation_count: u32::try_from(alert.violation_count()).unwrap_or(u32::MAX),
        duration: duration(alert, now),
        suppressed: false,
        meta: Meta { version: 1 },
        links: links(base, profile, alert),
        permalink: permalink(profile, alert.account.aid, &legacy_id),
        alert_id: legacy_id.to_string(),
        date_start: alert.start,
        date_end: end,
        rule_id: profile.era().ids.id(alert.rule.id),
        state: match alert.state {
            AlertState::Active => LegacyState::Active,
            _ => LegacyState::Cleared,
        },
        severity: UpperSeverity(alert.rule.severity),
        api_links: api_links(profile, alert),
        alert_rule_id: profile.era().ids.id(alert.rule.id).to_string(),
        alert_state: State::of(alert.state),
        alert_severity: alert.rule.severity,
    }
}

/// The detail of `alert` at `now`.
pub fn alert_detail(base: &str, profile: Profile, alert: &TestAlert, now: TeDate) -> AlertDetail {
    AlertDetail {
        id: alert.uuid.clone(),
        alert_type: alert.test.kind.alert_type().to_owned(),
        start_date: IsoDate(alert.start),
        end_date: alert.state.end().map(IsoDate),
        violation_count: u32::try_from(alert.violation_count()).unwrap_or(u32::MAX),
        duration: duration(alert, now),
        suppressed: false,
        meta: Meta { version: 1 },
        links: links(base, profile, alert),
        state: State::of(alert.state),
        severity: alert.rule.severity,
        alert_state: State::of(alert.state),
        alert_severity: alert.rule.severity,
        details: alert
            .sources
            .iter()
            .map(|source| {
                let state = source_state(alert.state, source.state);
                AlertMetricDetail {
                    id: source.agent.id.to_string(),
                    name: source.agent.name.clone(),
                    source_type: "cea_agent".to_owned(),
                    state: State::of(state),
                    start: Metrics {
                        metrics: source.metrics_at_start.to_string(),
                    },
                    end: state.end().map(|_| Metrics {
                        metrics: source.metrics_latest.to_string(),
                    }),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_use_the_sdk_spellings() {
        assert_eq!(
            serde_json::to_string(&State::Trigger).unwrap(),
            "\"trigger\""
        );
        assert_eq!(
            serde_json::to_string(&LegacyState::Cleared).unwrap(),
            "\"CLEARED\""
        );
        assert_eq!(
            serde_json::to_string(&Severity::Critical).unwrap(),
            "\"critical\""
        );
    }
}
