//! Classic webhook payloads as they travel on the wire (reference §1.4–§1.7).
//!
//! These types are the tolerant side of the model: they parse every payload era, ignore
//! fields they do not know, and say which field is wrong when one is. tesim's sender never
//! builds them by hand; it gets them from [`crate::render`], which only produces valid ones.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::date::{AgentDate, TeDate, ZonedDate};
use crate::json::{self, Object};
use crate::lifecycle::{Label, Severity};

/// The five classic event types (reference §1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    /// `WEBHOOK_TEST`
    WebhookTest,
    /// `ALERT_NOTIFICATION_TRIGGER`
    AlertNotificationTrigger,
    /// `ALERT_NOTIFICATION_CLEAR`
    AlertNotificationClear,
    /// `AGENT_ALERT_NOTIFICATION_TRIGGER`
    AgentAlertNotificationTrigger,
    /// `AGENT_ALERT_NOTIFICATION_CLEAR`
    AgentAlertNotificationClear,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 5] = [
        EventType::WebhookTest,
        EventType::AlertNotificationTrigger,
        EventType::AlertNotificationClear,
        EventType::AgentAlertNotificationTrigger,
        EventType::AgentAlertNotificationClear,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::WebhookTest => "WEBHOOK_TEST",
            EventType::AlertNotificationTrigger => "ALERT_NOTIFICATION_TRIGGER",
            EventType::AlertNotificationClear => "ALERT_NOTIFICATION_CLEAR",
            EventType::AgentAlertNotificationTrigger => "AGENT_ALERT_NOTIFICATION_TRIGGER",
            EventType::AgentAlertNotificationClear => "AGENT_ALERT_NOTIFICATION_CLEAR",
        }
    }

    /// Parses the wire name.
    pub fn parse(text: &str) -> Option<EventType> {
        EventType::ALL
            .into_iter()
            .find(|event_type| event_type.as_str() == text)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `alertId`: an integer until about 2024, a UUID string in 2025 captures (reference §1.5).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AlertId {
    /// `35541`
    Number(u64),
    /// `"5abda706-c065-40fa-aa8c-059c3ac1ea9d"`
    Uuid(String),
}

impl fmt::Display for AlertId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlertId::Number(number) => write!(f, "{number}"),
            AlertId::Uuid(uuid) => f.write_str(uuid),
        }
    }
}

/// The classic integer `active` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Active {
    /// `0`: cleared.
    Cleared,
    /// `1`: active.
    Active,
    /// `2`: cleared because the rule was modified or removed, or the test disabled (v6 calls
    /// it "disabled").
    Disabled,
}

impl Active {
    /// The wire integer.
    pub fn code(self) -> u8 {
        match self {
            Active::Cleared => 0,
            Active::Active => 1,
            Active::Disabled => 2,
        }
    }

    /// From the wire integer.
    pub fn from_code(code: u64) -> Option<Active> {
        match code {
            0 => Some(Active::Cleared),
            1 => Some(Active::Active),
            2 => Some(Active::Disabled),
            _ => None,
        }
    }
}

impl Serialize for Active {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for Active {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = u64::deserialize(deserializer)?;
        Active::from_code(code).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid active `{code}`: expected 0 (cleared), 1 (active) or 2 (rule removed)"
            ))
        })
    }
}

/// Severity as modern classic webhooks spell it: `"Info"` (reference §1.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TitleSeverity(pub Severity);

impl Serialize for TitleSeverity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.title())
    }
}

impl<'de> Deserialize<'de> for TitleSeverity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Severity::parse(&text).map(TitleSeverity).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid severity `{text}`: expected Info, Minor, Major or Critical"
            ))
        })
    }
}

/// One entry of `apiLinks`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ApiLink {
    /// `related` or `data` (also `self` in v6 `tests.json`).
    pub rel: String,
    /// The link.
    pub href: String,
}

/// One agent of a test alert (`alert.agents[]`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertAgent {
    /// When this agent started violating.
    pub date_start: TeDate,
    /// When it stopped (only once cleared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_end: Option<TeDate>,
    /// 1 while violating, 0 after, 2 when the rule went away.
    pub active: Active,
    /// Metrics when it started.
    pub metrics_at_start: String,
    /// Metrics at the end (`""` while active from 2021 on).
    #[serde(default)]
    pub metrics_at_end: String,
    /// Agent id.
    pub agent_id: u64,
    /// Agent name.
    pub agent_name: String,
    /// Location (2014 samples only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_name: Option<String>,
    /// Alert permalink plus `&agentId=`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permalink: Option<String>,
}

/// The `alert` object of test-alert notifications (reference §1.5).
///
/// Field order follows the KB samples, with later eras' fields where they fit; ThousandEyes'
/// own order varies between captures, so receivers must not depend on it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Rule id.
    pub rule_id: u64,
    /// Alert id, shared by the trigger and the clear of one alert.
    pub alert_id: AlertId,
    /// Test id.
    pub test_id: u64,
    /// Test name.
    pub test_name: String,
    /// 1 active, 0 cleared, 2 rule removed (2021 on; absent in the KB samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<Active>,
    /// Human-readable rule expression.
    pub rule_expression: String,
    /// When the alert triggered.
    pub date_start: TeDate,
    /// `dateStart` in the account's zone (2022 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_start_zoned: Option<ZonedDate>,
    /// When it cleared: present only on a clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_end: Option<TeDate>,
    /// `dateEnd` in the account's zone (2022 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_end_zoned: Option<ZonedDate>,
    /// Number of agents meeting the rule's criteria.
    #[serde(default)]
    pub violation_count: u32,
    /// Rule name.
    pub rule_name: String,
    /// Account-group id of the rule (2021 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_aid: Option<u64>,
    /// Severity (2025 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<TitleSeverity>,
    /// Every agent that alerted during the alert's life (absent for BGP alerts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<Vec<AlertAgent>>,
    /// Human test-type label (`"Page Load"`).
    #[serde(rename = "type")]
    pub test_type: String,
    /// Test labels (2021 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_labels: Option<Vec<Label>>,
    /// Test targets (2021 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_targets_description: Option<Vec<String>>,
    /// Link to the alert in the ThousandEyes app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permalink: Option<String>,
    /// Links to the test and its data in the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_links: Option<Vec<ApiLink>>,
}

/// The `agentAlert` object of agent notifications (reference §1.6).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentAlert {
    /// Agent rule id (KB era).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_rule_id: Option<u64>,
    /// Correlates trigger and clear in the KB era.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_notification_id: Option<u64>,
    /// Correlates trigger and clear in the 2025 era.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<AlertId>,
    /// Rule id (2025 era).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<u64>,
    /// Agent id.
    pub agent_id: u64,
    /// Agent host name.
    #[serde(default)]
    pub hostname: String,
    /// Agent name.
    pub agent_name: String,
    /// Agent IP address.
    #[serde(default)]
    pub ip_address: String,
    /// 1 active, 0 cleared (KB era).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<Active>,
    /// `"Agent"` (2025 era).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub alert_type: Option<String>,
    /// Rule expression, e.g. `"Clock Offset ≤ 60 seconds"`.
    pub rule_expression: String,
    /// Rule name.
    pub rule_name: String,
    /// Account-group id (2025 era).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_aid: Option<u64>,
    /// Severity (2025 era).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<TitleSeverity>,
    /// When it triggered: epoch seconds (KB) or classic text (2025).
    pub date_start: AgentDate,
    /// `dateStart` in the account's zone (2025 era).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_start_zoned: Option<ZonedDate>,
    /// When it cleared: present only on a clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_end: Option<AgentDate>,
    /// `dateEnd` in the account's zone (2025 era).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_end_zoned: Option<ZonedDate>,
    /// Metrics when it triggered (KB era).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_at_start: Option<String>,
    /// Metrics when it cleared, `""` on a trigger (KB era).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_at_end: Option<String>,
}

/// The body of a Device Data or Device Status notification (reference §6.1). No capture is
/// known: the field names follow the agent notification's where they mean the same, and
/// `deviceId`/`deviceName` are tesim's guess.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceAlert {
    /// Correlates trigger and clear.
    pub alert_id: u64,
    /// Rule id.
    pub rule_id: u64,
    /// `"Device Data"` or `"Device Status"`.
    #[serde(rename = "type")]
    pub alert_type: String,
    /// Device id.
    pub device_id: u64,
    /// Device name.
    pub device_name: String,
    /// Device IP address.
    #[serde(default)]
    pub ip_address: String,
    /// 1 active, 0 cleared.
    pub active: Active,
    /// Rule expression.
    pub rule_expression: String,
    /// Rule name.
    pub rule_name: String,
    /// Account-group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_aid: Option<u64>,
    /// Severity (eras that write it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<TitleSeverity>,
    /// When it triggered: a date string since October 2021, epoch seconds before.
    pub date_start: AgentDate,
    /// `dateStart` in the account's zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_start_zoned: Option<ZonedDate>,
    /// When it cleared (on Device Status clears only since October 2021).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_end: Option<AgentDate>,
    /// `dateEnd` in the account's zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_end_zoned: Option<ZonedDate>,
    /// Metrics when it triggered.
    #[serde(default)]
    pub metrics_at_start: String,
    /// Metrics when it cleared, `""` on a trigger.
    #[serde(default)]
    pub metrics_at_end: String,
    /// Link to the device in the Device Topology page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permalink: Option<String>,
}

/// What an `ALERT_NOTIFICATION_*` carries under `alert`: a test alert, or (2025 era) an
/// agent notification, which is then repeated under `agentAlert`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AlertBody {
    /// A test alert.
    Test(Alert),
    /// An agent notification in the 2025 shape (`alert.type` is `"Agent"`).
    Agent(AgentAlert),
    /// A device notification from October 2021: under `alert` and the deprecated
    /// `deviceAlert`.
    Device(DeviceAlert),
    /// A device notification before October 2021: under `deviceAlert` only.
    LegacyDevice(DeviceAlert),
}

/// What an event carries, by event type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EventBody {
    /// `WEBHOOK_TEST`: the envelope only.
    WebhookTest,
    /// `ALERT_NOTIFICATION_TRIGGER`
    AlertTrigger(AlertBody),
    /// `ALERT_NOTIFICATION_CLEAR`
    AlertClear(AlertBody),
    /// `AGENT_ALERT_NOTIFICATION_TRIGGER`
    AgentTrigger(AgentAlert),
    /// `AGENT_ALERT_NOTIFICATION_CLEAR`
    AgentClear(AgentAlert),
}

/// One classic webhook POST body.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WebhookEvent {
    /// Unique per POST, always a string.
    pub event_id: String,
    /// The event and what it carries.
    pub body: EventBody,
}

impl WebhookEvent {
    /// The `eventType` on the wire.
    pub fn event_type(&self) -> EventType {
        match self.body {
            EventBody::WebhookTest => EventType::WebhookTest,
            EventBody::AlertTrigger(_) => EventType::AlertNotificationTrigger,
            EventBody::AlertClear(_) => EventType::AlertNotificationClear,
            EventBody::AgentTrigger(_) => EventType::AgentAlertNotificationTrigger,
            EventBody::AgentClear(_) => EventType::AgentAlertNotificationClear,
        }
    }

    /// The id that correlates a trigger with its clear: `alertId`, or for KB-era agent
    /// notifications `agentNotificationId`.
    pub fn correlation_id(&self) -> Option<String> {
        let agent_key = |agent: &AgentAlert| {
            agent
                .alert_id
                .as_ref()
                .map(ToString::to_string)
                .or_else(|| agent.agent_notification_id.map(|id| id.to_string()))
        };
        match &self.body {
            EventBody::WebhookTest => None,
            EventBody::AlertTrigger(AlertBody::Test(alert))
            | EventBody::AlertClear(AlertBody::Test(alert)) => Some(alert.alert_id.to_string()),
            EventBody::AlertTrigger(AlertBody::Agent(agent))
            | EventBody::AlertClear(AlertBody::Agent(agent))
            | EventBody::AgentTrigger(agent)
            | EventBody::AgentClear(agent) => agent_key(agent),
            EventBody::AlertTrigger(
                AlertBody::Device(device) | AlertBody::LegacyDevice(device),
            )
            | EventBody::AlertClear(AlertBody::Device(device) | AlertBody::LegacyDevice(device)) => {
                Some(device.alert_id.to_string())
            }
        }
    }

    /// Compact JSON, as the sender posts it.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(2048);
        self.write_json(&mut out);
        // The writer only writes UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends the compact JSON of [`WebhookEvent::to_json`] to `out`: the bytes serde writes
    /// for this value, by a hand-written writer (issue 17: serde's map machinery was most of
    /// the cost of a long dry run).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut object = Object::new(out);
        object.str("eventType", self.event_type().as_str());
        object.str("eventId", &self.event_id);
        match &self.body {
            EventBody::WebhookTest => {}
            EventBody::AlertTrigger(body) | EventBody::AlertClear(body) => match body {
                AlertBody::Test(alert) => write_alert(object.key("alert"), alert),
                AlertBody::Agent(agent) => {
                    write_agent_alert(object.key("alert"), agent);
                    write_agent_alert(object.key("agentAlert"), agent);
                }
                AlertBody::Device(device) => {
                    write_device_alert(object.key("alert"), device);
                    write_device_alert(object.key("deviceAlert"), device);
                }
                AlertBody::LegacyDevice(device) => {
                    write_device_alert(object.key("deviceAlert"), device)
                }
            },
            EventBody::AgentTrigger(agent) | EventBody::AgentClear(agent) => {
                write_agent_alert(object.key("agentAlert"), agent)
            }
        }
        object.end();
    }
}

fn write_alert_id(out: &mut Vec<u8>, alert_id: &AlertId) {
    match alert_id {
        AlertId::Number(number) => json::u64(out, *number),
        AlertId::Uuid(uuid) => json::string(out, uuid),
    }
}

fn write_agent_date(out: &mut Vec<u8>, date: AgentDate) {
    match date {
        AgentDate::Epoch(date) => json::i64(out, date.epoch()),
        AgentDate::Classic(date) => write_date(out, date),
    }
}

fn write_date(out: &mut Vec<u8>, date: TeDate) {
    out.push(b'"');
    out.extend_from_slice(&date.classic_bytes());
    out.push(b'"');
}

fn write_strings(out: &mut Vec<u8>, items: &[String]) {
    out.push(b'[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        json::string(out, item);
    }
    out.push(b']');
}

fn write_alert(out: &mut Vec<u8>, alert: &Alert) {
    let mut object = Object::new(out);
    object.u64("ruleId", alert.rule_id);
    write_alert_id(object.key("alertId"), &alert.alert_id);
    object.u64("testId", alert.test_id);
    object.str("testName", &alert.test_name);
    if let Some(active) = alert.active {
        object.u64("active", u64::from(active.code()));
    }
    object.str("ruleExpression", &alert.rule_expression);
    write_date(object.key("dateStart"), alert.date_start);
    if let Some(zoned) = &alert.date_start_zoned {
        object.str("dateStartZoned", zoned.as_str());
    }
    if let Some(end) = alert.date_end {
        write_date(object.key("dateEnd"), end);
    }
    if let Some(zoned) = &alert.date_end_zoned {
        object.str("dateEndZoned", zoned.as_str());
    }
    object.u64("violationCount", u64::from(alert.violation_count));
    object.str("ruleName", &alert.rule_name);
    if let Some(rule_aid) = alert.rule_aid {
        object.u64("ruleAid", rule_aid);
    }
    if let Some(severity) = alert.severity {
        object.str("severity", severity.0.title());
    }
    if let Some(agents) = &alert.agents {
        let out = object.key("agents");
        out.push(b'[');
        for (index, agent) in agents.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            write_alert_agent(out, agent);
        }
        out.push(b']');
    }
    object.str("type", &alert.test_type);
    if let Some(labels) = &alert.test_labels {
        let out = object.key("testLabels");
        out.push(b'[');
        for (index, label) in labels.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            let mut label_object = Object::new(out);
            label_object.u64("id", label.id);
            label_object.str("name", &label.name);
            label_object.end();
        }
        out.push(b']');
    }
    if let Some(targets) = &alert.test_targets_description {
        write_strings(object.key("testTargetsDescription"), targets);
    }
    if let Some(permalink) = &alert.permalink {
        object.str("permalink", permalink);
    }
    if let Some(links) = &alert.api_links {
        let out = object.key("apiLinks");
        out.push(b'[');
        for (index, link) in links.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            let mut link_object = Object::new(out);
            link_object.str("rel", &link.rel);
            link_object.str("href", &link.href);
            link_object.end();
        }
        out.push(b']');
    }
    object.end();
}

fn write_alert_agent(out: &mut Vec<u8>, agent: &AlertAgent) {
    let mut object = Object::new(out);
    write_date(object.key("dateStart"), agent.date_start);
    if let Some(end) = agent.date_end {
        write_date(object.key("dateEnd"), end);
    }
    object.u64("active", u64::from(agent.active.code()));
    object.str("metricsAtStart", &agent.metrics_at_start);
    object.str("metricsAtEnd", &agent.metrics_at_end);
    object.u64("agentId", agent.agent_id);
    object.str("agentName", &agent.agent_name);
    if let Some(location) = &agent.location_name {
        object.str("locationName", location);
    }
    if let Some(permalink) = &agent.permalink {
        object.str("permalink", permalink);
    }
    object.end();
}

fn write_agent_alert(out: &mut Vec<u8>, agent: &AgentAlert) {
    let mut object = Object::new(out);
    if let Some(id) = agent.agent_rule_id {
        object.u64("agentRuleId", id);
    }
    if let Some(id) = agent.agent_notification_id {
        object.u64("agentNotificationId", id);
    }
    if let Some(alert_id) = &agent.alert_id {
        write_alert_id(object.key("alertId"), alert_id);
    }
    if let Some(id) = agent.rule_id {
        object.u64("ruleId", id);
    }
    object.u64("agentId", agent.agent_id);
    object.str("hostname", &agent.hostname);
    object.str("agentName", &agent.agent_name);
    object.str("ipAddress", &agent.ip_address);
    if let Some(active) = agent.active {
        object.u64("active", u64::from(active.code()));
    }
    if let Some(alert_type) = &agent.alert_type {
        object.str("type", alert_type);
    }
    object.str("ruleExpression", &agent.rule_expression);
    object.str("ruleName", &agent.rule_name);
    if let Some(rule_aid) = agent.rule_aid {
        object.u64("ruleAid", rule_aid);
    }
    if let Some(severity) = agent.severity {
        object.str("severity", severity.0.title());
    }
    write_agent_date(object.key("dateStart"), agent.date_start);
    if let Some(zoned) = &agent.date_start_zoned {
        object.str("dateStartZoned", zoned.as_str());
    }
    if let Some(end) = agent.date_end {
        write_agent_date(object.key("dateEnd"), end);
    }
    if let Some(zoned) = &agent.date_end_zoned {
        object.str("dateEndZoned", zoned.as_str());
    }
    if let Some(metrics) = &agent.metrics_at_start {
        object.str("metricsAtStart", metrics);
    }
    if let Some(metrics) = &agent.metrics_at_end {
        object.str("metricsAtEnd", metrics);
    }
    object.end();
}

fn write_device_alert(out: &mut Vec<u8>, device: &DeviceAlert) {
    let mut object = Object::new(out);
    object.u64("alertId", device.alert_id);
    object.u64("ruleId", device.rule_id);
    object.str("type", &device.alert_type);
    object.u64("deviceId", device.device_id);
    object.str("deviceName", &device.device_name);
    object.str("ipAddress", &device.ip_address);
    object.u64("active", u64::from(device.active.code()));
    object.str("ruleExpression", &device.rule_expression);
    object.str("ruleName", &device.rule_name);
    if let Some(rule_aid) = device.rule_aid {
        object.u64("ruleAid", rule_aid);
    }
    if let Some(severity) = device.severity {
        object.str("severity", severity.0.title());
    }
    write_agent_date(object.key("dateStart"), device.date_start);
    if let Some(zoned) = &device.date_start_zoned {
        object.str("dateStartZoned", zoned.as_str());
    }
    if let Some(end) = device.date_end {
        write_agent_date(object.key("dateEnd"), end);
    }
    if let Some(zoned) = &device.date_end_zoned {
        object.str("dateEndZoned", zoned.as_str());
    }
    object.str("metricsAtStart", &device.metrics_at_start);
    object.str("metricsAtEnd", &device.metrics_at_end);
    if let Some(permalink) = &device.permalink {
        object.str("permalink", permalink);
    }
    object.end();
}

impl Serialize for WebhookEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("eventType", self.event_type().as_str())?;
        map.serialize_entry("eventId", &self.event_id)?;
        match &self.body {
            EventBody::WebhookTest => {}
            EventBody::AlertTrigger(body) | EventBody::AlertClear(body) => match body {
                AlertBody::Test(alert) => map.serialize_entry("alert", alert)?,
                // The 2025 shape repeats the agent notification under both keys (reference §1.3).
                AlertBody::Agent(agent) => {
                    map.serialize_entry("alert", agent)?;
                    map.serialize_entry("agentAlert", agent)?;
                }
                // §6.1: the same content under `alert` and the deprecated `deviceAlert`.
                AlertBody::Device(device) => {
                    map.serialize_entry("alert", device)?;
                    map.serialize_entry("deviceAlert", device)?;
                }
                AlertBody::LegacyDevice(device) => map.serialize_entry("deviceAlert", device)?,
            },
            EventBody::AgentTrigger(agent) | EventBody::AgentClear(agent) => {
                map.serialize_entry("agentAlert", agent)?
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for WebhookEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        from_value(value).map_err(serde::de::Error::custom)
    }
}

/// A payload that is not a valid classic webhook event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not JSON at all.
    #[error("not JSON: {0}")]
    Json(String),
    /// A field is missing or has the wrong shape.
    #[error("field `{path}`: {message}")]
    Field {
        /// Dotted path of the field, e.g. `alert.agents[0].dateStart`.
        path: String,
        /// What is wrong and what was expected.
        message: String,
    },
}

impl ParseError {
    /// The path of the offending field, when there is one.
    pub fn path(&self) -> Option<&str> {
        match self {
            ParseError::Json(_) => None,
            ParseError::Field { path, .. } => Some(path),
        }
    }
}

/// Parses a classic webhook body, naming the field when something is wrong.
///
/// Unknown fields are ignored, as a receiver must. `alert` objects whose `type` is `"Agent"`
/// are read as agent notifications (the 2025 shape).
pub fn parse_event(text: &str) -> Result<WebhookEvent, ParseError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|err| ParseError::Json(err.to_string()))?;
    from_value(value)
}

fn from_value(value: serde_json::Value) -> Result<WebhookEvent, ParseError> {
    let serde_json::Value::Object(mut object) = value else {
        return Err(field_error("", "expected a JSON object"));
    };
    let event_type = match object.remove("eventType") {
        Some(serde_json::Value::String(text)) => EventType::parse(&text).ok_or_else(|| {
            field_error(
                "eventType",
                &format!(
                    "unknown event type `{text}`; expected one of WEBHOOK_TEST, ALERT_NOTIFICATION_TRIGGER, ALERT_NOTIFICATION_CLEAR, AGENT_ALERT_NOTIFICATION_TRIGGER, AGENT_ALERT_NOTIFICATION_CLEAR"
                ),
            )
        })?,
        Some(_) => return Err(field_error("eventType", "expected a string")),
        None => return Err(field_error("eventType", "missing field")),
    };
    let event_id = match object.remove("eventId") {
        Some(serde_json::Value::String(text)) => text,
        Some(_) => return Err(field_error("eventId", "expected a string")),
        None => return Err(field_error("eventId", "missing field")),
    };
    let mut take = |key: &str| {
        object
            .remove(key)
            .ok_or_else(|| field_error(key, "missing field"))
    };
    let body = match event_type {
        EventType::WebhookTest => EventBody::WebhookTest,
        // Before October 2021 a device notification came under `deviceAlert` alone (guess).
        EventType::AlertNotificationTrigger | EventType::AlertNotificationClear => {
            let body = match (object.remove("alert"), object.remove("deviceAlert")) {
                (Some(alert), _) => alert_body(alert)?,
                (None, Some(device)) => AlertBody::LegacyDevice(decode("deviceAlert", device)?),
                (None, None) => return Err(field_error("alert", "missing field")),
            };
            if event_type == EventType::AlertNotificationTrigger {
                EventBody::AlertTrigger(body)
            } else {
                EventBody::AlertClear(body)
            }
        }
        EventType::AgentAlertNotificationTrigger => {
            EventBody::AgentTrigger(decode("agentAlert", take("agentAlert")?)?)
        }
        EventType::AgentAlertNotificationClear => {
            EventBody::AgentClear(decode("agentAlert", take("agentAlert")?)?)
        }
    };
    Ok(WebhookEvent { event_id, body })
}

fn alert_body(value: serde_json::Value) -> Result<AlertBody, ParseError> {
    match value.get("type").and_then(serde_json::Value::as_str) {
        Some("Agent") => decode("alert", value).map(AlertBody::Agent),
        Some("Device Data" | "Device Status") => decode("alert", value).map(AlertBody::Device),
        _ => decode("alert", value).map(AlertBody::Test),
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    prefix: &str,
    value: serde_json::Value,
) -> Result<T, ParseError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let inner = err.path().to_string();
        let path = if inner == "." {
            prefix.to_owned()
        } else {
            format!("{prefix}.{inner}")
        };
        let message = err.into_inner().to_string();
        // serde names the missing field in the message; put it in the path too.
        match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            Some(missing) => field_error(&format!("{path}.{missing}"), "missing field"),
            None => field_error(&path, &message),
        }
    })
}

fn field_error(path: &str, message: &str) -> ParseError {
    ParseError::Field {
        path: path.to_owned(),
        message: message.to_owned(),
    }
}
