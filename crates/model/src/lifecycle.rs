//! The profile-neutral alert lifecycle: what happened in the simulated account, before it is
//! written in any payload era.
//!
//! These types are strict on purpose. They are what the scenario compiler produces and what
//! every payload, API body and custom-webhook notification is rendered from, so a state the
//! real service cannot be in (a cleared alert without an end date, a trigger with no agents)
//! cannot be built here. The wire types in [`crate::webhook`] are the tolerant side.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::date::{AccountZone, TeDate};

/// Alert severity (reference §1.5 for webhooks, §3.2 and §4.4 for the APIs, each with its
/// own spelling).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// `Info` / `INFO` / `info`.
    #[default]
    Info,
    /// `Minor` / `MINOR` / `minor`.
    Minor,
    /// `Major` / `MAJOR` / `major`.
    Major,
    /// `Critical` / `CRITICAL` / `critical`.
    Critical,
}

impl Severity {
    /// Every severity, in increasing order.
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Minor,
        Severity::Major,
        Severity::Critical,
    ];

    /// `info`: the v7 spelling.
    pub fn lower(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }

    /// `INFO`: the v6 API and custom-webhook spelling.
    pub fn upper(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Minor => "MINOR",
            Severity::Major => "MAJOR",
            Severity::Critical => "CRITICAL",
        }
    }

    /// `Info`: the modern classic-webhook spelling.
    pub fn title(self) -> &'static str {
        match self {
            Severity::Info => "Info",
            Severity::Minor => "Minor",
            Severity::Major => "Major",
            Severity::Critical => "Critical",
        }
    }

    /// Parses any of the three spellings.
    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.lower().eq_ignore_ascii_case(text))
    }
}

/// The kinds of test tesim simulates, with the three names ThousandEyes uses for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)] // the variant names are the test types' own names
pub enum TestType {
    PageLoad,
    HttpServer,
    WebTransactions,
    AgentToServer,
    AgentToAgent,
    DnsServer,
    DnsTrace,
    Dnssec,
    Bgp,
    Voice,
    Ftp,
    SipServer,
    Api,
}

impl TestType {
    /// Every test type.
    pub const ALL: [TestType; 13] = [
        TestType::PageLoad,
        TestType::HttpServer,
        TestType::WebTransactions,
        TestType::AgentToServer,
        TestType::AgentToAgent,
        TestType::DnsServer,
        TestType::DnsTrace,
        TestType::Dnssec,
        TestType::Bgp,
        TestType::Voice,
        TestType::Ftp,
        TestType::SipServer,
        TestType::Api,
    ];

    /// The kebab-case name used in scenario files, v6 `tests.json` and v7 `alertType`.
    pub fn slug(self) -> &'static str {
        match self {
            TestType::PageLoad => "page-load",
            TestType::HttpServer => "http-server",
            TestType::WebTransactions => "web-transactions",
            TestType::AgentToServer => "agent-to-server",
            TestType::AgentToAgent => "agent-to-agent",
            TestType::DnsServer => "dns-server",
            TestType::DnsTrace => "dns-trace",
            TestType::Dnssec => "dnssec",
            TestType::Bgp => "bgp",
            TestType::Voice => "voice",
            TestType::Ftp => "ftp-server",
            TestType::SipServer => "sip-server",
            TestType::Api => "api",
        }
    }

    /// The human label of classic webhooks' `alert.type` (`"Page Load"`, reference §1.5).
    pub fn label(self) -> &'static str {
        match self {
            TestType::PageLoad => "Page Load",
            TestType::HttpServer => "HTTP Server",
            TestType::WebTransactions => "Web Transactions",
            TestType::AgentToServer => "End-to-End (Server)",
            TestType::AgentToAgent => "End-to-End (Agent)",
            TestType::DnsServer => "DNS Server",
            TestType::DnsTrace => "DNS Trace",
            TestType::Dnssec => "DNSSEC",
            TestType::Bgp => "BGP",
            TestType::Voice => "Voice",
            TestType::Ftp => "FTP Server",
            TestType::SipServer => "SIP Server",
            TestType::Api => "API",
        }
    }

    /// The v7 `alertType` enum value (reference §4.4).
    pub fn alert_type(self) -> &'static str {
        match self {
            TestType::AgentToServer => "end-to-end-server",
            TestType::AgentToAgent => "end-to-end-agent",
            TestType::Ftp => "ftp",
            TestType::WebTransactions => "web-transactions",
            other => other.slug(),
        }
    }

    /// The path under `/v4/` of the test's data link in classic `apiLinks` (`web/page-load`).
    ///
    /// The reference shows `web/page-load` and `web/http-server`; the other paths follow the
    /// v4 API's `web/…`, `net/…`, `dns/…` grouping (inferred).
    pub fn data_path(self) -> &'static str {
        match self {
            TestType::PageLoad => "web/page-load",
            TestType::HttpServer => "web/http-server",
            TestType::WebTransactions => "web/web-transactions",
            TestType::AgentToServer | TestType::AgentToAgent => "net/metrics",
            TestType::DnsServer => "dns/server",
            TestType::DnsTrace => "dns/trace",
            TestType::Dnssec => "dns/dnssec",
            TestType::Bgp => "net/bgp-metrics",
            TestType::Voice => "voice/metrics",
            TestType::Ftp => "web/ftp-server",
            TestType::SipServer => "voice/sip-metrics",
            TestType::Api => "web/api",
        }
    }

    /// Parses the kebab-case slug.
    pub fn parse(text: &str) -> Option<TestType> {
        TestType::ALL.into_iter().find(|kind| kind.slug() == text)
    }
}

/// A label attached to a test (`testLabels` in v6-era payloads).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Label {
    /// Label id.
    pub id: u64,
    /// Label name.
    pub name: String,
}

/// A test of the simulated account.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Test {
    /// `testId`.
    pub id: u64,
    /// `testName`.
    pub name: String,
    /// The test type.
    pub kind: TestType,
    /// What the test targets (`testTargetsDescription`), e.g. a URL or a domain.
    pub targets: Vec<String>,
    /// The test's labels.
    pub labels: Vec<Label>,
    /// Measurement interval in seconds.
    pub interval: u32,
}

/// An alert rule of the simulated account.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// `ruleId`.
    pub id: u64,
    /// `ruleName`.
    pub name: String,
    /// `ruleExpression`: human-readable, as webhooks carry it (`"Page Load is incomplete"`).
    pub expression: String,
    /// Severity of the alerts it raises.
    pub severity: Severity,
    /// Whether webhooks announce the clear (reference §6.3): `false` sends the trigger only,
    /// while the API still shows the alert cleared.
    pub notify_on_clear: bool,
}

/// A ThousandEyes agent (Cloud or Enterprise).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Agent {
    /// `agentId`.
    pub id: u64,
    /// `agentName`, e.g. `"Boston, MA"`.
    pub name: String,
    /// `locationName`.
    pub location: String,
    /// `hostname` (agent notifications).
    pub hostname: String,
    /// `ipAddress` (agent notifications).
    pub ip_address: String,
}

/// The account the scenario runs in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Account {
    /// Account-group id: `__a=` in permalinks, `ruleAid`, `aid` in the API.
    pub aid: u64,
    /// Account-group name.
    pub name: String,
    /// The account's time zone: classic webhook dates are its wall-clock time (reference
    /// §6.1); the APIs answer in UTC.
    pub time_zone: AccountZone,
}

/// The lifecycle state of an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertState {
    /// Triggered and not cleared (`active: 1`).
    Active,
    /// Cleared because the condition ended (`active: 0`).
    Cleared {
        /// When it cleared.
        end: TeDate,
    },
    /// Cleared because its rule was deleted or removed from the test (`active: 2`).
    RuleRemoved {
        /// When the rule went away.
        end: TeDate,
    },
}

impl AlertState {
    /// The end date, once not active.
    pub fn end(self) -> Option<TeDate> {
        match self {
            AlertState::Active => None,
            AlertState::Cleared { end } | AlertState::RuleRemoved { end } => Some(end),
        }
    }

    /// The classic integer `active` (0, 1, 2).
    pub fn active_code(self) -> u8 {
        match self {
            AlertState::Active => 1,
            AlertState::Cleared { .. } => 0,
            AlertState::RuleRemoved { .. } => 2,
        }
    }
}

/// One agent's part in a test alert.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AlertSource {
    /// The agent.
    pub agent: Arc<Agent>,
    /// When this agent started violating.
    pub start: TeDate,
    /// Metrics when it started (`metricsAtStart`, e.g. `"Response Code: 401"`). Borrowed
    /// when it is a fixed text: a storm's every agent says `Response Code: 503`, and owning
    /// that text twice per agent was a tenth of playing it (measured over a million alerts).
    pub metrics_at_start: Metrics,
    /// Metrics of the latest round, or at recovery.
    pub metrics_latest: Metrics,
    /// Whether the agent still violates, and since when it does not.
    pub state: AlertState,
}

/// A metrics text: fixed, or made by a scenario or a capture.
pub type Metrics = Cow<'static, str>;

/// A test alert as it stands at one moment of its life.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TestAlert {
    /// Numeric alert id (classic `alertId` up to the 2025 era).
    pub number: u64,
    /// UUID alert id (`alertId` in modern-2025, `id` in v7).
    pub uuid: String,
    /// The account the alert belongs to.
    pub account: Arc<Account>,
    /// The alerting test.
    pub test: Arc<Test>,
    /// The rule that raised it.
    pub rule: Arc<Rule>,
    /// When the alert triggered.
    pub start: TeDate,
    /// Its state.
    pub state: AlertState,
    /// Every agent that alerted during the life of the alert (reference §5.1.7). Never empty.
    pub sources: Vec<AlertSource>,
}

impl TestAlert {
    /// `violationCount`: the agents violating right now (all of them at the moment of a clear,
    /// as the KB clear sample keeps the trigger's count).
    pub fn violation_count(&self) -> usize {
        match self.state {
            AlertState::Active => self
                .sources
                .iter()
                .filter(|source| source.state == AlertState::Active)
                .count(),
            _ => self.sources.len(),
        }
    }
}

/// The kinds of agent notification ThousandEyes sends (reference §1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgentRuleKind {
    /// Agent clock offset too large.
    ClockOffset,
    /// Agent offline (no contact).
    Offline,
    /// Agent version out of date.
    Version,
}

/// An agent notification rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AgentRule {
    /// `agentRuleId` / `ruleId`.
    pub id: u64,
    /// `ruleName`, e.g. `"Default Agent Clock Offset Notification"`.
    pub name: String,
    /// `ruleExpression`, e.g. `"Clock Offset ≤ 60 seconds"`.
    pub expression: String,
    /// What it watches.
    pub kind: AgentRuleKind,
    /// Severity (modern payloads).
    pub severity: Severity,
}

/// An agent notification at one moment of its life.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AgentNotification {
    /// `agentNotificationId` (KB era) / numeric `alertId` (2025 era).
    pub number: u64,
    /// The account.
    pub account: Arc<Account>,
    /// The rule.
    pub rule: Arc<AgentRule>,
    /// The agent concerned.
    pub agent: Arc<Agent>,
    /// When it triggered.
    pub start: TeDate,
    /// `metricsAtStart`, e.g. `"Clock Offset: 20 seconds"`.
    pub metrics_at_start: String,
    /// `metricsAtEnd` once cleared.
    pub metrics_at_end: String,
    /// Active, or cleared with its end.
    pub state: AlertState,
}

/// The kinds of device notification (reference §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceRuleKind {
    /// Device Data: a metric of a monitored device or interface crossed a threshold.
    Data,
    /// Device Status: the device stopped answering (or came back).
    Status,
}

impl DeviceRuleKind {
    /// The classic `type` label (`"Device Data"`, `"Device Status"`).
    pub fn label(self) -> &'static str {
        match self {
            DeviceRuleKind::Data => "Device Data",
            DeviceRuleKind::Status => "Device Status",
        }
    }
}

/// A device notification rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeviceRule {
    /// `ruleId`.
    pub id: u64,
    /// `ruleName`.
    pub name: String,
    /// `ruleExpression`.
    pub expression: String,
    /// Data or Status.
    pub kind: DeviceRuleKind,
    /// Severity.
    pub severity: Severity,
}

/// A monitored network device.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Device {
    /// `deviceId`.
    pub id: u64,
    /// `deviceName`.
    pub name: String,
    /// `ipAddress`.
    pub ip_address: String,
}

/// A Device Data or Device Status notification at one moment of its life.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeviceNotification {
    /// The notification's id (`alertId`).
    pub number: u64,
    /// The account.
    pub account: Arc<Account>,
    /// The rule.
    pub rule: Arc<DeviceRule>,
    /// The device concerned.
    pub device: Arc<Device>,
    /// When it triggered.
    pub start: TeDate,
    /// `metricsAtStart`, e.g. `"CPU Load: 97%"`.
    pub metrics_at_start: String,
    /// `metricsAtEnd` once cleared.
    pub metrics_at_end: String,
    /// Active, or cleared with its end.
    pub state: AlertState,
}

/// What a notification says happened.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Notification {
    /// The user pressed Test on the webhook.
    WebhookTest,
    /// A test alert triggered.
    AlertTrigger(TestAlert),
    /// A test alert cleared (condition ended, or rule removed: see its state).
    AlertClear(TestAlert),
    /// An agent notification triggered.
    AgentTrigger(AgentNotification),
    /// An agent notification cleared.
    AgentClear(AgentNotification),
    /// A Device Data or Device Status notification triggered.
    DeviceTrigger(DeviceNotification),
    /// A Device Data or Device Status notification cleared.
    DeviceClear(DeviceNotification),
}

impl Notification {
    /// A short stable name for logs and summaries.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Notification::WebhookTest => "webhook-test",
            Notification::AlertTrigger(_) => "alert-trigger",
            Notification::AlertClear(_) => "alert-clear",
            Notification::AgentTrigger(_) => "agent-trigger",
            Notification::AgentClear(_) => "agent-clear",
            Notification::DeviceTrigger(_) => "device-trigger",
            Notification::DeviceClear(_) => "device-clear",
        }
    }

    /// The key under which deliveries must stay in order: one alert's trigger before its clear.
    pub fn order_key(&self) -> Option<String> {
        match self {
            Notification::WebhookTest => None,
            Notification::AlertTrigger(alert) | Notification::AlertClear(alert) => {
                Some(format!("alert-{}", alert.number))
            }
            Notification::AgentTrigger(notice) | Notification::AgentClear(notice) => {
                Some(format!("agent-{}", notice.number))
            }
            Notification::DeviceTrigger(notice) | Notification::DeviceClear(notice) => {
                Some(format!("device-{}", notice.number))
            }
        }
    }
}

/// A notification at its moment on the scenario clock.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimedNotification {
    /// Time since the scenario started.
    pub offset: Duration,
    /// The instant on the simulated account's clock.
    pub at: TeDate,
    /// ThousandEyes' notification sequence number (first half of classic event ids).
    pub sequence: u64,
    /// A per-notification UUID (first half of modern event ids).
    pub uuid: String,
    /// What happened.
    pub notification: Notification,
}
