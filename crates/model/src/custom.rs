//! The custom-webhook side of ThousandEyes (reference §2): the notification model that
//! user-written Handlebars templates are rendered over, and the v7 integrations API's
//! `GenericConnector` and `WebhookOperation` bodies that hold those templates.
//!
//! [`notification`] is the custom-webhook counterpart of [`crate::render::render`]: a pure
//! function from the profile-neutral lifecycle to the root object a template sees (§2.2).
//!
//! What is documented and what is inferred:
//! - Documented (§2.2): `id`, `type.id` (1 = clear, 2 = trigger), `alert.id`,
//!   `alert.severity.id` (upper case), `alert.firstSeen` / `alert.timeCleared` with
//!   `epochSecond` and `epochMilli` (`timeCleared` absent while active), `alert.rule` with `id`,
//!   `name`, `expression`, `notes`, `alertType.id`, `account.id`, `account.organization.id`,
//!   `account.organization.timezone.id`; `alert.test` with `id`, `name`, `description`,
//!   `testType`, `labels[]` (`name`), absent for agent alerts; `alert.details[]` with
//!   `metricsAtStart`, `metricsAtEnd`, `source.id`, `source.name`, `source.asn.name`;
//!   `alert.targets[]` with `description`; `.size` of the collections.
//! - Inferred: enum values are objects `{"id": …, "name": …}` (the docs say enums "can be used
//!   by id or name"); the `name`s (`TRIGGER`, `Info`, `HTTP Server`, `UTC`); `labels[].id`;
//!   `source.asn` present only for BGP monitors (agents carry no ASN in tesim's lifecycle);
//!   the organization id equal to the account-group id; `rule.notes` and `test.description`
//!   empty (the lifecycle has no such text; the template checker fills them for edge cases);
//!   `rule.expression` is machine-readable, e.g. `((responseCode >= 400))` (documented, §6.4),
//!   translated from the lifecycle's human-readable expression by [`machine_expression`] (the
//!   translation is inferred), while classic webhooks keep the human-readable
//!   `ruleExpression`; agent notifications carry `alertType` `agent` and one detail, their
//!   agent.
//! - Inapplicable variables are passed as null (documented, §6.4): `alert.timeCleared` while
//!   active, `alert.test` for agent alerts, `source.asn` for agents. A null renders as nothing,
//!   as Handlebars renders it (whether ThousandEyes prints `null` instead is undocumented).
//! - Two id eras (§2.2: the docs list `id`, `alert.id`, `alert.rule.id` as String in one
//!   version and Numeric in another): [`IdEra::Text`] writes every id as a string (UUIDs for
//!   the notification and test alerts), [`IdEra::Numeric`] as numbers. `type.id` is numeric in
//!   both. A template that only works in one era is a template bug the checker reports.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::date::TeDate;
use crate::lifecycle::{
    AgentNotification, AlertState, Notification, Severity, TestAlert, TestType, TimedNotification,
};

/// Which spelling of ids a notification uses (reference §2.2, the docs disagree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum IdEra {
    /// Ids are strings: UUIDs for notifications and test alerts, decimal text for the rest.
    #[default]
    Text,
    /// Ids are JSON numbers.
    Numeric,
}

impl IdEra {
    /// Both eras, the default first.
    pub const ALL: [IdEra; 2] = [IdEra::Text, IdEra::Numeric];

    /// `text-ids` / `numeric-ids`, for reports.
    pub fn name(self) -> &'static str {
        match self {
            IdEra::Text => "text-ids",
            IdEra::Numeric => "numeric-ids",
        }
    }

    fn number(self, number: u64) -> Id {
        match self {
            IdEra::Text => Id::Text(number.to_string()),
            IdEra::Numeric => Id::Number(number),
        }
    }

    fn uuid_or_number(self, uuid: &str, number: u64) -> Id {
        match self {
            IdEra::Text => Id::Text(uuid.to_owned()),
            IdEra::Numeric => Id::Number(number),
        }
    }
}

impl fmt::Display for IdEra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An id as a template sees it: a JSON number or a JSON string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    /// `123`.
    Number(u64),
    /// `"123"` or a UUID.
    Text(String),
}

/// An enum value: usable in templates by `id` or by `name` (reference §2.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EnumValue {
    /// The documented id (`2`, `"INFO"`, `"http-server"`).
    pub id: Id,
    /// Its name (inferred spelling).
    pub name: String,
}

impl EnumValue {
    fn new(id: Id, name: &str) -> Self {
        EnumValue {
            id,
            name: name.to_owned(),
        }
    }

    fn text(id: &str, name: &str) -> Self {
        EnumValue::new(Id::Text(id.to_owned()), name)
    }
}

/// `type.id` of a clear (reference §2.2).
pub const TYPE_CLEAR: u64 = 1;
/// `type.id` of a trigger (reference §2.2).
pub const TYPE_TRIGGER: u64 = 2;

/// The root object of a custom-webhook template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomNotification {
    /// `id`: the notification id.
    pub id: Id,
    /// `type`: `{"id":2,"name":"TRIGGER"}` or `{"id":1,"name":"CLEAR"}`.
    #[serde(rename = "type")]
    pub kind: EnumValue,
    /// `alert`.
    pub alert: CustomAlert,
}

impl CustomNotification {
    /// Whether this is a trigger (`type.id` 2).
    pub fn is_trigger(&self) -> bool {
        self.kind.id == Id::Number(TYPE_TRIGGER)
    }

    /// The notification as the JSON value a template is rendered over.
    pub fn to_value(&self) -> Value {
        // Serializing plain structs of strings and numbers cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// `alert`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomAlert {
    /// `alert.id`.
    pub id: Id,
    /// `alert.severity`, id upper case (`INFO`).
    pub severity: EnumValue,
    /// `alert.firstSeen`.
    #[serde(rename = "firstSeen")]
    pub first_seen: Instant,
    /// `alert.timeCleared`: null while the alert is active ("the inapplicable variable is
    /// passed as a null value", reference §6.4).
    #[serde(rename = "timeCleared")]
    pub time_cleared: Option<Instant>,
    /// `alert.rule`.
    pub rule: CustomRule,
    /// `alert.test`: null for agent alerts.
    pub test: Option<CustomTest>,
    /// `alert.details[]`: one per agent or BGP monitor.
    pub details: Vec<Detail>,
    /// `alert.targets[]`: empty for agent alerts.
    pub targets: Vec<AlertTarget>,
}

/// A point in time as templates see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Instant {
    /// Seconds since the epoch.
    #[serde(rename = "epochSecond")]
    pub epoch_second: i64,
    /// Milliseconds since the epoch.
    #[serde(rename = "epochMilli")]
    pub epoch_milli: i64,
}

impl From<TeDate> for Instant {
    fn from(date: TeDate) -> Self {
        Instant {
            epoch_second: date.epoch(),
            epoch_milli: date.epoch_millis(),
        }
    }
}

/// `alert.rule`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomRule {
    /// `alert.rule.id`.
    pub id: Id,
    /// `alert.rule.name`.
    pub name: String,
    /// `alert.rule.expression`.
    pub expression: String,
    /// `alert.rule.notes`.
    pub notes: String,
    /// `alert.rule.alertType`: v7 alert type (`http-server`, `agent`, `bgp`).
    #[serde(rename = "alertType")]
    pub alert_type: EnumValue,
    /// `alert.rule.account`.
    pub account: CustomAccount,
}

/// `alert.rule.account`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomAccount {
    /// Account-group id.
    pub id: Id,
    /// Account-group name.
    pub name: String,
    /// The organization the account group belongs to.
    pub organization: Organization,
}

/// `alert.rule.account.organization`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Organization {
    /// Organization id (inferred: the account-group id).
    pub id: Id,
    /// Organization name.
    pub name: String,
    /// `timezone.id`: tesim's simulated accounts are in `UTC`.
    pub timezone: EnumValue,
}

/// `alert.test`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomTest {
    /// `alert.test.id`.
    pub id: Id,
    /// `alert.test.name`.
    pub name: String,
    /// `alert.test.description`.
    pub description: String,
    /// `alert.test.testType`.
    #[serde(rename = "testType")]
    pub test_type: EnumValue,
    /// `alert.test.labels[]`.
    pub labels: Vec<CustomLabel>,
}

/// `alert.test.labels[]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomLabel {
    /// Label id (inferred).
    pub id: Id,
    /// Label name.
    pub name: String,
}

/// `alert.details[]`: one source's part in the alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// The agent or BGP monitor.
    pub source: Source,
    /// Metrics when it started violating.
    #[serde(rename = "metricsAtStart")]
    pub metrics_at_start: String,
    /// Metrics at recovery; empty while it still violates.
    #[serde(rename = "metricsAtEnd")]
    pub metrics_at_end: String,
}

/// `alert.details[].source`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Source {
    /// Agent or monitor id.
    pub id: Id,
    /// Agent or monitor name.
    pub name: String,
    /// The monitor's network (BGP only, inferred); null for agents.
    pub asn: Option<Asn>,
}

/// `alert.details[].source.asn`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Asn {
    /// AS number.
    pub id: Id,
    /// Network name, e.g. `"Cogent Communications (AS 174)"`.
    pub name: String,
}

/// `alert.targets[]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlertTarget {
    /// What the test targets (a URL, a domain, a prefix).
    pub description: String,
}

/// What ThousandEyes writes in `metricsAtEnd` when the rule went away mid-alert.
pub use crate::render::RULE_REMOVED_METRICS;

/// The custom-webhook notification of `timed`, with ids in the default era ([`IdEra::Text`]).
pub fn notification(timed: &TimedNotification) -> CustomNotification {
    notification_in(IdEra::default(), timed)
}

/// The custom-webhook notification of `timed` with ids spelled as in `era`.
///
/// A [`Notification::WebhookTest`] becomes what the Test button sends: a dummy HTTP-Server
/// alert in trigger state ([`test_button`]).
pub fn notification_in(era: IdEra, timed: &TimedNotification) -> CustomNotification {
    let (kind, alert) = match &timed.notification {
        Notification::WebhookTest => return test_button_in(era, timed.at),
        Notification::AlertTrigger(alert) => (trigger(), test_alert(era, alert)),
        Notification::AlertClear(alert) => (clear(), test_alert(era, alert)),
        Notification::AgentTrigger(notice) => (trigger(), agent_alert(era, notice)),
        Notification::AgentClear(notice) => (clear(), agent_alert(era, notice)),
        Notification::DeviceTrigger(notice) => (trigger(), device_alert(era, notice)),
        Notification::DeviceClear(notice) => (clear(), device_alert(era, notice)),
    };
    CustomNotification {
        id: era.uuid_or_number(&timed.uuid, timed.sequence),
        kind,
        alert,
    }
}

/// What the Test button of a custom webhook sends at `at` (reference §2.1): a dummy HTTP-Server
/// alert in trigger state. Its names and ids are tesim's own (the real dummy's are unknown).
pub fn test_button(at: TeDate) -> CustomNotification {
    test_button_in(IdEra::default(), at)
}

fn test_button_in(era: IdEra, at: TeDate) -> CustomNotification {
    let account = CustomAccount {
        id: era.number(1),
        name: "Test Account".to_owned(),
        organization: Organization {
            id: era.number(1),
            name: "Test Organization".to_owned(),
            timezone: utc(),
        },
    };
    let alert = CustomAlert {
        id: era.uuid_or_number("00000000-0000-4000-8000-000000000001", 1),
        severity: severity(Severity::Info),
        first_seen: at.into(),
        time_cleared: None,
        rule: CustomRule {
            id: era.number(1),
            name: "Test Rule".to_owned(),
            expression: "((responseCode >= 400))".to_owned(),
            notes: String::new(),
            alert_type: alert_type(TestType::HttpServer),
            account,
        },
        test: Some(CustomTest {
            id: era.number(1),
            name: "Test HTTP Server".to_owned(),
            description: String::new(),
            test_type: test_type(TestType::HttpServer),
            labels: Vec::new(),
        }),
        details: vec![Detail {
            source: Source {
                id: era.number(1),
                name: "Test Agent".to_owned(),
                asn: None,
            },
            metrics_at_start: "Response Code: 500".to_owned(),
            metrics_at_end: String::new(),
        }],
        targets: vec![AlertTarget {
            description: "https://www.example.com".to_owned(),
        }],
    };
    CustomNotification {
        id: era.uuid_or_number("00000000-0000-4000-8000-000000000000", 1),
        kind: trigger(),
        alert,
    }
}

fn trigger() -> EnumValue {
    EnumValue::new(Id::Number(TYPE_TRIGGER), "TRIGGER")
}

fn clear() -> EnumValue {
    EnumValue::new(Id::Number(TYPE_CLEAR), "CLEAR")
}

fn utc() -> EnumValue {
    EnumValue::text("UTC", "UTC")
}

fn severity(severity: Severity) -> EnumValue {
    EnumValue::text(severity.upper(), severity.title())
}

fn alert_type(kind: TestType) -> EnumValue {
    EnumValue::text(kind.alert_type(), kind.label())
}

fn test_type(kind: TestType) -> EnumValue {
    EnumValue::text(kind.slug(), kind.label())
}

fn account(era: IdEra, account: &crate::lifecycle::Account) -> CustomAccount {
    CustomAccount {
        id: era.number(account.aid),
        name: account.name.clone(),
        organization: Organization {
            id: era.number(account.aid),
            name: account.name.clone(),
            timezone: utc(),
        },
    }
}

fn test_alert(era: IdEra, alert: &TestAlert) -> CustomAlert {
    let bgp = alert.test.kind == TestType::Bgp;
    let details = alert
        .sources
        .iter()
        .map(|source| {
            // Once the alert is over every source is over too (as in classic payloads).
            let state = match (alert.state, source.state) {
                (AlertState::Active, own) => own,
                (over, AlertState::Active) => over,
                (AlertState::RuleRemoved { end }, _) => AlertState::RuleRemoved { end },
                (_, own) => own,
            };
            let metrics_at_end = match state {
                AlertState::Active => String::new(),
                AlertState::Cleared { .. } => source.metrics_latest.to_string(),
                AlertState::RuleRemoved { .. } => RULE_REMOVED_METRICS.to_owned(),
            };
            Detail {
                source: Source {
                    id: era.number(source.agent.id),
                    name: source.agent.name.clone(),
                    // A BGP monitor's location names its network (inferred).
                    asn: bgp.then(|| Asn {
                        id: era.number(asn_of(source.agent.id, &source.agent.location)),
                        name: source.agent.location.clone(),
                    }),
                },
                metrics_at_start: source.metrics_at_start.to_string(),
                metrics_at_end,
            }
        })
        .collect();
    CustomAlert {
        id: era.uuid_or_number(&alert.uuid, alert.number),
        severity: severity(alert.rule.severity),
        first_seen: alert.start.into(),
        time_cleared: alert.state.end().map(Instant::from),
        rule: CustomRule {
            id: era.number(alert.rule.id),
            name: alert.rule.name.clone(),
            expression: machine_expression(&alert.rule.expression),
            notes: String::new(),
            alert_type: alert_type(alert.test.kind),
            account: account(era, &alert.account),
        },
        test: Some(CustomTest {
            id: era.number(alert.test.id),
            name: alert.test.name.clone(),
            description: String::new(),
            test_type: test_type(alert.test.kind),
            labels: alert
                .test
                .labels
                .iter()
                .map(|label| CustomLabel {
                    id: era.number(label.id),
                    name: label.name.clone(),
                })
                .collect(),
        }),
        details,
        targets: alert
            .test
            .targets
            .iter()
            .map(|target| AlertTarget {
                description: target.clone(),
            })
            .collect(),
    }
}

/// A rule expression in ThousandEyes' machine-readable form, as custom webhooks carry it
/// (reference §6.4: `((responseCode >= 400))`): each condition in parentheses, joined by `||`
/// or `&&`, the whole in parentheses. Scenario rules are written in the human-readable form
/// classic webhooks show (`Response Code is client error (4xx)`), so this translates them; an
/// expression already in parentheses is kept. The translation of each condition is inferred:
/// `is any` / `is present` → `!= ""`, `is server error (5xx)` → `>= 500`, `is client error
/// (4xx)` → `>= 400`, `is X` → `== "X"`, `≥`/`≤` → `>=`/`<=`, metric names in camel case; a
/// condition without an operator keeps its words.
pub fn machine_expression(expression: &str) -> String {
    let text = expression.trim();
    if text.is_empty() || text.starts_with('(') {
        return text.to_owned();
    }
    let mut parts = Vec::new();
    let mut rest = text;
    loop {
        let or = rest.find(" or ");
        let and = rest.find(" and ");
        let next = match (or, and) {
            (Some(or), Some(and)) if and < or => Some((and, " && ", 5)),
            (Some(or), _) => Some((or, " || ", 4)),
            (None, Some(and)) => Some((and, " && ", 5)),
            (None, None) => None,
        };
        match next {
            Some((at, joiner, skip)) => {
                parts.push(machine_condition(&rest[..at]));
                parts.push(joiner.to_owned());
                rest = &rest[at + skip..];
            }
            None => {
                parts.push(machine_condition(rest));
                break;
            }
        }
    }
    format!("({})", parts.concat())
}

fn machine_condition(condition: &str) -> String {
    let condition = condition.trim();
    for (word, operator) in [
        ("≥", ">="),
        ("≤", "<="),
        (">=", ">="),
        ("<=", "<="),
        ("!=", "!="),
        ("==", "=="),
        (">", ">"),
        ("<", "<"),
        ("=", "=="),
    ] {
        if let Some((metric, value)) = condition.split_once(&format!(" {word} ")) {
            return format!("({} {operator} {})", camel_case(metric), value.trim());
        }
    }
    if let Some((metric, value)) = condition.split_once(" is ") {
        let metric = camel_case(metric);
        let value = value.trim();
        return match value {
            "any" | "present" => format!("({metric} != \"\")"),
            "server error (5xx)" => format!("({metric} >= 500)"),
            "client error (4xx)" => format!("({metric} >= 400)"),
            quoted if quoted.starts_with('"') => format!("({metric} == {quoted})"),
            word => format!("({metric} == \"{word}\")"),
        };
    }
    // No operator (agent rules: "Agent has not contacted ThousandEyes in 10 minutes"): the
    // machine form is unknown, keep the words.
    format!("({condition})")
}

fn camel_case(words: &str) -> String {
    let mut out = String::new();
    for word in words
        .split(|ch: char| !ch.is_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            if out.is_empty() {
                out.extend(first.to_lowercase());
            } else {
                out.extend(first.to_uppercase());
            }
            out.push_str(chars.as_str());
        }
    }
    out
}

/// The AS number of a BGP monitor: the `AS 174` written in its location when there is one
/// (`Cogent Communications (AS 174)`), else a public 16-bit ASN derived from the monitor id,
/// so a scenario is stable (inferred; the lifecycle has no ASN).
fn asn_of(monitor_id: u64, location: &str) -> u64 {
    location
        .rsplit("AS ")
        .next()
        .filter(|_| location.contains("AS "))
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(1000 + monitor_id % 60_000)
}

fn agent_alert(era: IdEra, notice: &AgentNotification) -> CustomAlert {
    CustomAlert {
        id: era.number(notice.number),
        severity: severity(notice.rule.severity),
        first_seen: notice.start.into(),
        time_cleared: notice.state.end().map(Instant::from),
        rule: CustomRule {
            id: era.number(notice.rule.id),
            name: notice.rule.name.clone(),
            expression: machine_expression(&notice.rule.expression),
            notes: String::new(),
            alert_type: EnumValue::text("agent", "Agent"),
            account: account(era, &notice.account),
        },
        test: None,
        details: vec![Detail {
            source: Source {
                id: era.number(notice.agent.id),
                name: notice.agent.name.clone(),
                asn: None,
            },
            metrics_at_start: notice.metrics_at_start.clone(),
            metrics_at_end: match notice.state {
                AlertState::Active => String::new(),
                _ => notice.metrics_at_end.clone(),
            },
        }],
        targets: Vec::new(),
    }
}

/// A device notification as a custom-webhook alert. The `alert.rule.type` values are v7's
/// device alert types (reference §4.4); which one ThousandEyes uses for Data and Status
/// notifications is a guess.
fn device_alert(era: IdEra, notice: &crate::lifecycle::DeviceNotification) -> CustomAlert {
    let alert_type = match notice.rule.kind {
        crate::lifecycle::DeviceRuleKind::Data => {
            EnumValue::text("device-interface", "Device Data")
        }
        crate::lifecycle::DeviceRuleKind::Status => {
            EnumValue::text("device-device", "Device Status")
        }
    };
    CustomAlert {
        id: era.number(notice.number),
        severity: severity(notice.rule.severity),
        first_seen: notice.start.into(),
        time_cleared: notice.state.end().map(Instant::from),
        rule: CustomRule {
            id: era.number(notice.rule.id),
            name: notice.rule.name.clone(),
            expression: notice.rule.expression.clone(),
            notes: String::new(),
            alert_type,
            account: account(era, &notice.account),
        },
        test: None,
        details: vec![Detail {
            source: Source {
                id: era.number(notice.device.id),
                name: notice.device.name.clone(),
                asn: None,
            },
            metrics_at_start: notice.metrics_at_start.clone(),
            metrics_at_end: match notice.state {
                AlertState::Active => String::new(),
                _ => notice.metrics_at_end.clone(),
            },
        }],
        targets: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// v7 integrations API bodies (reference §2.3)
// ---------------------------------------------------------------------------------------------

/// A `{"name","value"}` header of a connector or an operation. In an operation the value is a
/// Handlebars template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Header name.
    pub name: String,
    /// Header value (or template).
    pub value: String,
}

/// A connector's `authentication`, discriminated by `type` (reference §2.3).
///
/// `Debug` never shows passwords, tokens or client secrets. Serialization does: the mock API
/// returns what was stored so the export can be used by `tesim send` (the real API's masking
/// of secrets on read is unknown).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum ConnectorAuth {
    /// `Authorization: Basic …`.
    Basic {
        /// User name.
        username: String,
        /// Password (secret).
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    BearerToken {
        /// The token (secret).
        token: String,
    },
    /// A token sent verbatim as `Authorization: <token>` (inferred, reference §5.4).
    OtherToken {
        /// The token (secret).
        token: String,
    },
    /// OAuth 2 client-credentials grant, then `Authorization: Bearer`.
    OauthClientCredentials {
        /// Client id.
        oauth_client_id: String,
        /// Client secret (secret).
        oauth_client_secret: String,
        /// Token endpoint.
        oauth_token_url: String,
        /// Requested scope.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
        /// A token obtained earlier (secret).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// OAuth 2 authorization-code grant with refresh, then `Authorization: Bearer`.
    OauthAuthCode {
        /// Client id.
        oauth_client_id: String,
        /// Client secret (secret).
        oauth_client_secret: String,
        /// Authorization endpoint.
        oauth_auth_url: String,
        /// Token endpoint.
        oauth_token_url: String,
        /// The authorization code (secret).
        code: String,
        /// Redirect URI registered with the authorization server.
        redirect_uri: String,
        /// Current access token (secret).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// Refresh token (secret).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refresh_token: Option<String>,
    },
}

impl ConnectorAuth {
    /// The wire `type`: `basic`, `bearer-token`, …
    pub fn type_name(&self) -> &'static str {
        match self {
            ConnectorAuth::Basic { .. } => "basic",
            ConnectorAuth::BearerToken { .. } => "bearer-token",
            ConnectorAuth::OtherToken { .. } => "other-token",
            ConnectorAuth::OauthClientCredentials { .. } => "oauth-client-credentials",
            ConnectorAuth::OauthAuthCode { .. } => "oauth-auth-code",
        }
    }
}

impl fmt::Debug for ConnectorAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectorAuth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"***")
                .finish(),
            ConnectorAuth::BearerToken { .. } => f
                .debug_struct("BearerToken")
                .field("token", &"***")
                .finish(),
            ConnectorAuth::OtherToken { .. } => {
                f.debug_struct("OtherToken").field("token", &"***").finish()
            }
            ConnectorAuth::OauthClientCredentials {
                oauth_client_id,
                oauth_token_url,
                scope,
                ..
            } => f
                .debug_struct("OauthClientCredentials")
                .field("oauth_client_id", oauth_client_id)
                .field("oauth_client_secret", &"***")
                .field("oauth_token_url", oauth_token_url)
                .field("scope", scope)
                .finish_non_exhaustive(),
            ConnectorAuth::OauthAuthCode {
                oauth_client_id,
                oauth_auth_url,
                oauth_token_url,
                redirect_uri,
                ..
            } => f
                .debug_struct("OauthAuthCode")
                .field("oauth_client_id", oauth_client_id)
                .field("oauth_client_secret", &"***")
                .field("oauth_auth_url", oauth_auth_url)
                .field("oauth_token_url", oauth_token_url)
                .field("redirect_uri", redirect_uri)
                .finish_non_exhaustive(),
        }
    }
}

/// A generic connector: target URL, auth and static headers (reference §2.3).
///
/// `Debug` shows static header names but not their values, which often carry credentials
/// (custom-header auth goes there, reference §2.3).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenericConnector {
    /// Read-only id (a UUID string); absent in a create request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Always `generic`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Display name.
    pub name: String,
    /// Target URL.
    pub target: String,
    /// Read-only, epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<i64>,
    /// How requests authenticate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<ConnectorAuth>,
    /// Static headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    /// HAL links (read-only).
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Value>,
}

impl fmt::Debug for GenericConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|header| format!("{}: ***", header.name))
            .collect();
        f.debug_struct("GenericConnector")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("target", &self.target)
            .field("last_modified_date", &self.last_modified_date)
            .field("authentication", &self.authentication)
            .field("headers", &headers)
            .finish_non_exhaustive()
    }
}

/// `category` of a webhook operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperationCategory {
    /// `alerts`.
    Alerts,
    /// `recommendations`.
    Recommendations,
    /// `traffic-monitoring`.
    TrafficMonitoring,
}

/// `status` of a webhook operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperationStatus {
    /// `pending`.
    Pending,
    /// `connected`.
    Connected,
    /// `failing`.
    Failing,
    /// `unverified`.
    Unverified,
}

/// A webhook operation: the templates of a custom webhook (reference §2.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookOperation {
    /// Read-only id; absent in a create request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display name.
    pub name: String,
    /// Whether notifications go out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `alerts`, `recommendations` or `traffic-monitoring`.
    pub category: OperationCategory,
    /// `pending`, `connected`, `failing` or `unverified`.
    pub status: OperationStatus,
    /// Always `webhook`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Appended to the connector's target (inferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The body template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// Headers; values are templates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    /// A template that must render to a JSON object of parameter → value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_params: Option<String>,
    /// HAL links (read-only).
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Value>,
}

/// One problem with a field of a request body: the `errors[]` item of a v7 validation error
/// (`{"code","field","message"}`, reference §4.1). The same type as the alerts API's
/// validation items, so the mock has one vocabulary for 400s. Codes are tesim's own
/// spelling (`required`, `invalid`; inferred); `field` is a JSON path
/// (`authentication.token`).
pub use crate::api_v7::ValidationItem as FieldError;

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn required(field: &str) -> FieldError {
    FieldError {
        code: "required".to_owned(),
        field: field.to_owned(),
        message: format!("`{field}` is required"),
    }
}

fn invalid(field: &str, message: String) -> FieldError {
    FieldError {
        code: "invalid".to_owned(),
        field: field.to_owned(),
        message,
    }
}

fn check_string(
    object: &serde_json::Map<String, Value>,
    field: &str,
    errors: &mut Vec<FieldError>,
) {
    match object.get(field) {
        None | Some(Value::Null) => errors.push(required(field)),
        Some(Value::String(text)) if text.trim().is_empty() => {
            errors.push(invalid(field, format!("`{field}` must not be empty")))
        }
        Some(Value::String(_)) => {}
        Some(_) => errors.push(invalid(field, format!("`{field}` must be a string"))),
    }
}

fn check_enum(
    object: &serde_json::Map<String, Value>,
    field: &str,
    allowed: &[&str],
    errors: &mut Vec<FieldError>,
) {
    match object.get(field) {
        None | Some(Value::Null) => errors.push(required(field)),
        Some(Value::String(text)) if allowed.contains(&text.as_str()) => {}
        Some(other) => errors.push(invalid(
            field,
            format!("`{field}` is {other}; use one of {}", allowed.join(", ")),
        )),
    }
}

fn check_headers(object: &serde_json::Map<String, Value>, errors: &mut Vec<FieldError>) {
    let Some(headers) = object.get("headers") else {
        return;
    };
    let Some(headers) = headers.as_array() else {
        errors.push(invalid(
            "headers",
            "`headers` must be an array of {\"name\",\"value\"}".into(),
        ));
        return;
    };
    for (index, header) in headers.iter().enumerate() {
        let place = format!("headers[{index}]");
        match header.as_object() {
            Some(header) => {
                for field in ["name", "value"] {
                    if !header.get(field).is_some_and(Value::is_string) {
                        errors.push(invalid(
                            &format!("{place}.{field}"),
                            format!("`{place}.{field}` must be a string"),
                        ));
                    }
                }
            }
            None => errors.push(invalid(
                &place,
                format!("`{place}` must be {{\"name\",\"value\"}}"),
            )),
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, Vec<FieldError>> {
    serde_path_to_error::deserialize(value.clone()).map_err(|err| {
        let field = err.path().to_string();
        vec![invalid(&field, err.inner().to_string())]
    })
}

impl GenericConnector {
    /// Parses and validates a connector body, reporting every problem at once. Read-only
    /// fields (`id`, `lastModifiedDate`, `_links`) are accepted, so what the API returns can be
    /// read back.
    pub fn from_value(value: &Value) -> Result<GenericConnector, Vec<FieldError>> {
        let Some(object) = value.as_object() else {
            return Err(vec![invalid("", "the body must be a JSON object".into())]);
        };
        let mut errors = Vec::new();
        check_enum(object, "type", &["generic"], &mut errors);
        check_string(object, "name", &mut errors);
        check_string(object, "target", &mut errors);
        if let Some(Value::String(target)) = object.get("target") {
            let scheme_ok = target.starts_with("https://") || target.starts_with("http://");
            if !scheme_ok && !target.trim().is_empty() {
                errors.push(invalid(
                    "target",
                    format!(
                        "`target` {target} is not an http(s) URL; write it as https://host/path"
                    ),
                ));
            }
        }
        check_headers(object, &mut errors);
        if let Some(auth) = object.get("authentication").filter(|auth| !auth.is_null()) {
            errors.extend(check_auth(auth));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        decode(value)
    }
}

/// Checks `authentication` against [`ConnectorAuth`] itself: the serde enum is the one
/// statement of which types exist and which fields each requires, so the checks cannot drift
/// from it. On top of what serde says, a required string must not be empty.
fn check_auth(auth: &Value) -> Vec<FieldError> {
    if !auth.is_object() {
        return vec![invalid(
            "authentication",
            "`authentication` must be an object".into(),
        )];
    }
    let parsed = match ConnectorAuth::deserialize(auth) {
        Ok(parsed) => parsed,
        Err(err) => return vec![auth_error(&err.to_string())],
    };
    let Ok(Value::Object(fields)) = serde_json::to_value(&parsed) else {
        return Vec::new();
    };
    fields
        .iter()
        .filter(|(_, value)| value.as_str().is_some_and(|text| text.trim().is_empty()))
        .map(|(field, _)| {
            let field = format!("authentication.{field}");
            invalid(&field, format!("`{field}` must not be empty"))
        })
        .collect()
}

/// A serde error about `authentication` as a field error: which field, in the API's words.
fn auth_error(message: &str) -> FieldError {
    let field = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match field {
        Some("type") => invalid(
            "authentication.type",
            format!(
                "`authentication.type` is required; use one of {}",
                auth_types()
            ),
        ),
        Some(field) => required(&format!("authentication.{field}")),
        None if message.starts_with("unknown variant") => invalid(
            "authentication.type",
            format!("`authentication.type` must be one of {}", auth_types()),
        ),
        None => invalid("authentication", format!("`authentication`: {message}")),
    }
}

/// The `type`s [`ConnectorAuth`] accepts, as serde lists them: `basic, bearer-token, …`.
fn auth_types() -> String {
    let probe = ConnectorAuth::deserialize(serde_json::json!({"type": ""}));
    let message = probe.err().map(|err| err.to_string()).unwrap_or_default();
    message
        .split_once("expected one of ")
        .map_or(String::new(), |(_, expected)| expected.replace('`', ""))
}

impl WebhookOperation {
    /// Parses and validates an operation body, reporting every problem at once. Read-only
    /// fields are accepted.
    pub fn from_value(value: &Value) -> Result<WebhookOperation, Vec<FieldError>> {
        let Some(object) = value.as_object() else {
            return Err(vec![invalid("", "the body must be a JSON object".into())]);
        };
        let mut errors = Vec::new();
        check_string(object, "name", &mut errors);
        check_enum(
            object,
            "category",
            &["alerts", "recommendations", "traffic-monitoring"],
            &mut errors,
        );
        check_enum(
            object,
            "status",
            &["pending", "connected", "failing", "unverified"],
            &mut errors,
        );
        if object.get("type").is_some_and(|kind| !kind.is_null()) {
            check_enum(object, "type", &["webhook"], &mut errors);
        }
        for field in ["path", "payload", "queryParams"] {
            if object
                .get(field)
                .is_some_and(|value| !value.is_null() && !value.is_string())
            {
                errors.push(invalid(field, format!("`{field}` must be a string")));
            }
        }
        if object
            .get("enabled")
            .is_some_and(|value| !value.is_null() && !value.is_boolean())
        {
            errors.push(invalid("enabled", "`enabled` must be true or false".into()));
        }
        check_headers(object, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        decode(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::lifecycle::{Account, Agent, AlertSource, Label, Rule, Test};

    fn alert(state: AlertState) -> TestAlert {
        let agent = Arc::new(Agent {
            id: 7,
            name: "Zürich".into(),
            location: "Zürich, CH".into(),
            hostname: "z".into(),
            ip_address: "10.0.0.1".into(),
        });
        let start = TeDate::from_epoch(1_700_000_000).unwrap();
        TestAlert {
            number: 42,
            uuid: "6f1c2c1e-0000-4000-8000-000000000042".into(),
            account: Arc::new(Account {
                aid: 9,
                name: "Acme".into(),
                time_zone: crate::date::AccountZone::utc(),
            }),
            test: Arc::new(Test {
                id: 3,
                name: "Shop".into(),
                kind: TestType::HttpServer,
                targets: vec!["https://shop.example".into()],
                labels: vec![Label {
                    id: 1,
                    name: "prod".into(),
                }],
                interval: 60,
            }),
            rule: Arc::new(Rule {
                id: 5,
                name: "Default HTTP".into(),
                expression: "((responseCode >= 400))".into(),
                severity: Severity::Major,
                notify_on_clear: true,
            }),
            start,
            state,
            sources: vec![AlertSource {
                agent,
                start,
                metrics_at_start: "Response Code: 500".into(),
                metrics_latest: "Response Code: 200".into(),
                state: AlertState::Active,
            }],
        }
    }

    fn timed(notification: Notification) -> TimedNotification {
        TimedNotification {
            offset: std::time::Duration::ZERO,
            at: TeDate::from_epoch(1_700_000_060).unwrap(),
            sequence: 11,
            uuid: "aaaaaaaa-0000-4000-8000-000000000011".into(),
            notification,
        }
    }

    #[test]
    fn trigger_has_documented_shape() {
        let value = notification(&timed(Notification::AlertTrigger(alert(
            AlertState::Active,
        ))))
        .to_value();
        assert_eq!(value["type"]["id"], 2);
        assert_eq!(value["alert"]["severity"]["id"], "MAJOR");
        assert_eq!(
            value["alert"]["firstSeen"]["epochMilli"],
            1_700_000_000_000_i64
        );
        // Inapplicable variables are passed as null (reference §6.4).
        assert!(value["alert"]["timeCleared"].is_null());
        assert!(value["alert"].get("timeCleared").is_some());
        assert!(value["alert"]["details"][0]["source"]["asn"].is_null());
        assert_eq!(
            value["alert"]["rule"]["expression"],
            "((responseCode >= 400))"
        );
        assert_eq!(
            value["alert"]["rule"]["account"]["organization"]["timezone"]["id"],
            "UTC"
        );
        assert_eq!(value["alert"]["test"]["labels"][0]["name"], "prod");
        assert_eq!(value["alert"]["details"][0]["metricsAtEnd"], "");
        assert_eq!(
            value["alert"]["targets"][0]["description"],
            "https://shop.example"
        );
        assert_eq!(value["alert"]["id"], "6f1c2c1e-0000-4000-8000-000000000042");
    }

    #[test]
    fn clear_carries_time_cleared_and_numeric_era_numbers() {
        let end = TeDate::from_epoch(1_700_000_300).unwrap();
        let timed = timed(Notification::AlertClear(alert(AlertState::Cleared { end })));
        let value = notification_in(IdEra::Numeric, &timed).to_value();
        assert_eq!(value["type"]["id"], 1);
        assert_eq!(value["id"], 11);
        assert_eq!(value["alert"]["id"], 42);
        assert_eq!(value["alert"]["rule"]["id"], 5);
        assert_eq!(
            value["alert"]["timeCleared"]["epochSecond"],
            1_700_000_300_i64
        );
        assert_eq!(
            value["alert"]["details"][0]["metricsAtEnd"],
            "Response Code: 200"
        );
    }

    #[test]
    fn monitor_asn_comes_from_its_location() {
        assert_eq!(asn_of(1, "Cogent Communications (AS 174)"), 174);
        assert_eq!(asn_of(1, "Seattle"), 1001);
    }

    #[test]
    fn test_button_is_an_http_server_trigger() {
        let value = notification(&timed(Notification::WebhookTest)).to_value();
        assert_eq!(value["type"]["id"], 2);
        assert_eq!(value["alert"]["rule"]["alertType"]["id"], "http-server");
    }

    #[test]
    fn connector_validation_reports_every_problem() {
        let errors = GenericConnector::from_value(&serde_json::json!({
            "type": "generic", "target": "ftp://x",
            "authentication": {"type": "basic", "username": "u"}
        }))
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(fields, ["name", "target", "authentication.password"]);
    }

    #[test]
    fn auth_checks_come_from_the_enum() {
        let check = |auth: Value| {
            let errors = check_auth(&auth);
            errors
                .iter()
                .map(|error| format!("{}: {}", error.field, error.message))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            check(serde_json::json!({"type": "nope"})),
            [
                "authentication.type: `authentication.type` must be one of basic, bearer-token, \
              other-token, oauth-client-credentials, oauth-auth-code"
            ]
        );
        assert!(check(serde_json::json!({}))[0].contains("is required; use one of basic"));
        assert_eq!(
            check(serde_json::json!({"type": "bearer-token", "token": " "})),
            ["authentication.token: `authentication.token` must not be empty"]
        );
        assert_eq!(
            check(
                serde_json::json!({"type": "oauth-client-credentials", "oauthClientId": "i",
                "oauthClientSecret": "s"})
            ),
            ["authentication.oauthTokenUrl: `authentication.oauthTokenUrl` is required"]
        );
        assert!(
            check(serde_json::json!({"type": "basic", "username": "u", "password": "p"}))
                .is_empty()
        );
        assert_eq!(check(serde_json::json!([])).len(), 1);
    }

    #[test]
    fn expressions_are_machine_readable() {
        for (human, machine) in [
            (
                "Error Type is \"Connect\" or Response Code is client error (4xx)",
                "((errorType == \"Connect\") || (responseCode >= 400))",
            ),
            (
                "Response Code is server error (5xx)",
                "((responseCode >= 500))",
            ),
            (
                "Loss ≥ 10% or Latency ≥ 300 ms",
                "((loss >= 10%) || (latency >= 300 ms))",
            ),
            ("Error is present", "((error != \"\"))"),
            ("Page Load is incomplete", "((pageLoad == \"incomplete\"))"),
            (
                "Availability < 90% and Loss > 1%",
                "((availability < 90%) && (loss > 1%))",
            ),
            ("((responseCode >= 400))", "((responseCode >= 400))"),
            (
                "Agent has not contacted ThousandEyes",
                "((Agent has not contacted ThousandEyes))",
            ),
            ("", ""),
        ] {
            assert_eq!(machine_expression(human), machine, "{human}");
        }
    }

    #[test]
    fn connector_round_trips_and_hides_secrets_in_debug() {
        let value = serde_json::json!({
            "id": "c1", "type": "generic", "name": "n", "target": "https://x/y",
            "lastModifiedDate": 1, "headers": [{"name": "X-A", "value": "b"}],
            "authentication": {"type": "oauth-auth-code", "oauthClientId": "id",
                "oauthClientSecret": "s3cret", "oauthAuthUrl": "https://a", "oauthTokenUrl": "https://t",
                "code": "c0de", "redirectUri": "https://r", "refreshToken": "r3fresh"}
        });
        let connector = GenericConnector::from_value(&value).unwrap();
        assert_eq!(serde_json::to_value(&connector).unwrap(), value);
        let debug = format!("{connector:?}");
        assert!(debug.contains("X-A: ***"), "{debug}");
        for secret in ["s3cret", "c0de", "r3fresh", "\"b\""] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }

    #[test]
    fn operation_parses_the_sdk_fixture() {
        let value = serde_json::json!({"id":"cb1b8033-ea2d-4e9b-a920-fe87850693cf","name":"My operation",
            "category":"alerts","status":"pending","type":"webhook","enabled":true,"path":"/custom/path",
            "headers":[{"name":"Content-Type","value":"application/json"}],
            "payload":"{\"property1\": {{numericVar}}, \"property2\": \"{{stringVar}}\"}",
            "queryParams":"{\"queryParam1\":\"{{stringVar}}\"}"});
        let operation = WebhookOperation::from_value(&value).unwrap();
        assert_eq!(serde_json::to_value(&operation).unwrap(), value);
        let errors =
            WebhookOperation::from_value(&serde_json::json!({"category": "x"})).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
    }
}
