//! The scenario file format, as serde reads it. `scenarios/README.md` documents it for users.
//!
//! Unknown keys are errors (a typo in a scenario must not silently change what is sent), and
//! fields that later checks refer back to are [`Spanned`] so their errors point at them.

use serde::Deserialize;
use toml::Spanned;

/// A whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScenarioFile {
    /// What the scenario shows, one line.
    #[serde(default)]
    pub description: String,
    /// Instant of offset zero (`YYYY-MM-DD hh:mm:ss`, UTC); a fixed default otherwise.
    pub start: Option<Spanned<String>>,
    /// The account's IANA time zone (`America/New_York`): classic webhook dates are written in
    /// its wall-clock time. UTC otherwise.
    pub timezone: Option<Spanned<String>>,
    /// The account group.
    #[serde(default)]
    pub account: AccountDef,
    /// Generated tests and agents, for load scenarios.
    pub fleet: Option<FleetDef>,
    /// Tests.
    #[serde(default)]
    pub tests: Vec<TestDef>,
    /// Alert rules.
    #[serde(default)]
    pub rules: Vec<RuleDef>,
    /// Agents.
    #[serde(default)]
    pub agents: Vec<AgentDef>,
    /// Agent notification rules.
    #[serde(default)]
    pub agent_rules: Vec<AgentRuleDef>,
    /// Monitored network devices.
    #[serde(default)]
    pub devices: Vec<DeviceDef>,
    /// Device Data and Device Status notification rules.
    #[serde(default)]
    pub device_rules: Vec<DeviceRuleDef>,
    /// The timeline.
    #[serde(default)]
    pub steps: Vec<StepDef>,
}

/// `[account]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountDef {
    /// Account-group id.
    #[serde(default = "default_aid")]
    pub aid: u64,
    /// Account-group name.
    #[serde(default = "default_account_name")]
    pub name: String,
}

impl Default for AccountDef {
    fn default() -> Self {
        AccountDef {
            aid: default_aid(),
            name: default_account_name(),
        }
    }
}

fn default_aid() -> u64 {
    1234
}

fn default_account_name() -> String {
    "tesim demo".to_owned()
}

/// `[fleet]`: `tests` tests and `agents` agents with generated names, added to the declared ones.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetDef {
    /// How many tests to generate (none when absent).
    pub tests: Option<Spanned<u32>>,
    /// How many agents to generate (none when absent).
    pub agents: Option<Spanned<u32>>,
}

/// `[[tests]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestDef {
    /// `testId`.
    pub id: Spanned<u64>,
    /// `testName`.
    pub name: String,
    /// Test type slug, e.g. `page-load`.
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    /// Targets; defaults to the name.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Label names.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Interval in seconds.
    #[serde(default = "default_interval")]
    pub interval: u32,
}

fn default_interval() -> u32 {
    300
}

/// `[[rules]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// `ruleId`.
    pub id: Spanned<u64>,
    /// `ruleName`.
    pub name: String,
    /// Human-readable `ruleExpression`.
    pub expression: String,
    /// `info`, `minor`, `major` or `critical`.
    pub severity: Option<Spanned<String>>,
    /// `false`: webhooks announce the trigger only, never the clear (reference §6.3).
    #[serde(default = "yes")]
    pub notify_on_clear: bool,
}

fn yes() -> bool {
    true
}

/// `[[agents]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentDef {
    /// `agentId`.
    pub id: Spanned<u64>,
    /// `agentName`.
    pub name: String,
    /// `locationName`; defaults to the name.
    pub location: Option<String>,
    /// Host name; generated from the id otherwise.
    pub hostname: Option<String>,
    /// IP address; generated from the id otherwise.
    pub ip: Option<String>,
}

/// `[[agent-rules]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentRuleDef {
    /// `agentRuleId`.
    pub id: Spanned<u64>,
    /// `clock-offset`, `offline` or `version`.
    pub kind: Spanned<String>,
    /// Rule name; ThousandEyes' default rule name for the kind otherwise.
    pub name: Option<String>,
    /// Rule expression; the default rule's otherwise.
    pub expression: Option<String>,
    /// Severity.
    pub severity: Option<Spanned<String>>,
}

/// `[[devices]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceDef {
    /// `deviceId`.
    pub id: Spanned<u64>,
    /// `deviceName`.
    pub name: String,
    /// IP address; generated from the id otherwise.
    pub ip: Option<String>,
}

/// `[[device-rules]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRuleDef {
    /// `ruleId`.
    pub id: Spanned<u64>,
    /// `data` (Device Data) or `status` (Device Status).
    pub kind: Spanned<String>,
    /// Rule name.
    pub name: String,
    /// Rule expression.
    pub expression: String,
    /// Severity.
    pub severity: Option<Spanned<String>>,
}

/// `[[steps]]`: one thing that happens. Which keys apply depends on `action`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StepDef {
    /// Offset from the start, e.g. `+90s`, `+1m30s`.
    pub at: Spanned<String>,
    /// What happens.
    pub action: Spanned<String>,
    /// Scenario-local name of a test alert (trigger, recover, violate, clear).
    pub alert: Option<Spanned<String>>,
    /// Scenario-local name of an agent notification (agent-trigger, agent-clear).
    pub notification: Option<Spanned<String>>,
    /// A rule id.
    pub rule: Option<Spanned<u64>>,
    /// A test id.
    pub test: Option<Spanned<u64>>,
    /// Agent ids.
    pub agents: Option<Spanned<Vec<u64>>>,
    /// One agent id.
    pub agent: Option<Spanned<u64>>,
    /// One device id (device-trigger).
    pub device: Option<Spanned<u64>>,
    /// Metrics text for the agents concerned.
    pub metrics: Option<String>,
    /// Fixed numeric alert id (to reproduce a real sample); generated otherwise.
    pub alert_id: Option<u64>,
    /// burst/flap: how many alerts or cycles.
    pub count: Option<Spanned<u32>>,
    /// burst: triggers spread evenly over this long.
    pub spread: Option<Spanned<String>>,
    /// burst/flap: each alert clears this long after it triggers.
    pub clear_after: Option<Spanned<String>>,
    /// flap: time between two triggers.
    pub every: Option<Spanned<String>>,
    /// burst: agents per alert.
    pub agents_per_alert: Option<Spanned<u32>>,
    /// burst: rules to draw from (all rules otherwise).
    pub rules: Option<Spanned<Vec<u64>>>,
    /// burst: tests to draw from (all tests otherwise).
    pub tests: Option<Spanned<Vec<u64>>>,
}
