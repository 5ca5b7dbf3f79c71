//! From a parsed scenario file to a [`Timeline`]: validate references, expand generators,
//! then play the steps in time order, recording every notification and state change.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tesim_model::{
    Account, Agent, AgentNotification, AgentRule, AgentRuleKind, AlertSource, AlertState, Label,
    Notification, Rule, Severity, TeDate, Test, TestAlert, TestType, TimedNotification,
};
use toml::Spanned;

use crate::error::Diagnostic;
use crate::file::{ScenarioFile, StepDef};
use crate::offset;
use crate::timeline::{AlertChange, AlertSnapshot, Timeline};

/// Inputs that are not in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Seeds every generated id and every random choice.
    pub seed: u64,
    /// Instant of offset zero; the file's `start`, or [`DEFAULT_START`], when `None`.
    pub start: Option<TeDate>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: DEFAULT_SEED,
            start: None,
        }
    }
}

/// The seed used when none is given, so that two plain runs send the same bytes.
pub const DEFAULT_SEED: u64 = 1;

/// Offset zero when neither the file nor the caller says: 2024-05-02 10:15:20 UTC.
pub const DEFAULT_START: i64 = 1_714_644_920;

/// The largest number of alerts a scenario may generate, so a typo cannot exhaust memory.
pub const MAX_ALERTS: u32 = 1_000_000;

/// Compiles `file` (whose text is `text`, for error positions) into a timeline.
pub fn compile(
    name: &str,
    text: &str,
    file: &ScenarioFile,
    options: Options,
) -> Result<Timeline, Vec<Diagnostic>> {
    let mut ctx = Ctx {
        text,
        diagnostics: Vec::new(),
    };
    let start = match (options.start, &file.start) {
        (Some(start), _) => start,
        (None, Some(start)) => match TeDate::parse_classic(start.get_ref()) {
            Ok(date) => date,
            Err(err) => {
                ctx.error(start.span(), "start", err.to_string());
                TeDate::EPOCH
            }
        },
        (None, None) => TeDate::from_epoch(DEFAULT_START).unwrap_or(TeDate::EPOCH),
    };
    let account = Arc::new(Account {
        aid: file.account.aid,
        name: file.account.name.clone(),
        time_zone: tesim_model::AccountZone::utc(),
    });
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let world = World::build(&mut ctx, file);
    let steps = expand_steps(&mut ctx, file, &world, &mut rng);
    if !ctx.diagnostics.is_empty() {
        return Err(ctx.diagnostics);
    }
    let mut player = Player::new(account.clone(), start, &mut rng);
    for step in &steps {
        player.play(&mut ctx, &world, step, &mut rng);
    }
    if !ctx.diagnostics.is_empty() {
        return Err(ctx.diagnostics);
    }
    Ok(Timeline {
        name: name.to_owned(),
        account,
        start,
        tests: world.tests.values().cloned().collect(),
        rules: world.rules.values().cloned().collect(),
        agents: world.agents.values().cloned().collect(),
        agent_rules: world.agent_rules.values().cloned().collect(),
        notifications: player.notifications,
        history: player.history,
    })
}

struct Ctx<'a> {
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn error(&mut self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::at(self.text, span, field, message));
    }
}

/// The account's tests, rules and agents, by id, in id order (so output does not depend on
/// hash order).
struct World {
    tests: BTreeMap<u64, Arc<Test>>,
    rules: BTreeMap<u64, Arc<Rule>>,
    agents: BTreeMap<u64, Arc<Agent>>,
    agent_rules: BTreeMap<u64, Arc<AgentRule>>,
}

fn severity(
    ctx: &mut Ctx<'_>,
    field: String,
    value: &Option<Spanned<String>>,
    default: Severity,
) -> Severity {
    match value {
        None => default,
        Some(text) => Severity::parse(text.get_ref()).unwrap_or_else(|| {
            ctx.error(
                text.span(),
                field,
                format!(
                    "unknown severity `{}`; use info, minor, major or critical",
                    text.get_ref()
                ),
            );
            default
        }),
    }
}

fn list(ids: impl Iterator<Item = u64>) -> String {
    let ids: Vec<String> = ids.map(|id| id.to_string()).collect();
    if ids.is_empty() {
        "none are defined".to_owned()
    } else {
        format!("defined: {}", ids.join(", "))
    }
}

impl World {
    fn build(ctx: &mut Ctx<'_>, file: &ScenarioFile) -> World {
        let mut world = World {
            tests: BTreeMap::new(),
            rules: BTreeMap::new(),
            agents: BTreeMap::new(),
            agent_rules: BTreeMap::new(),
        };
        for (index, def) in file.tests.iter().enumerate() {
            let field = format!("tests[{index}]");
            let Some(kind) = TestType::parse(def.kind.get_ref()) else {
                let known: Vec<&str> = TestType::ALL.iter().map(|kind| kind.slug()).collect();
                ctx.error(
                    def.kind.span(),
                    format!("{field}.type"),
                    format!(
                        "unknown test type `{}`; use one of {}",
                        def.kind.get_ref(),
                        known.join(", ")
                    ),
                );
                continue;
            };
            let test = Test {
                id: *def.id.get_ref(),
                name: def.name.clone(),
                kind,
                targets: if def.targets.is_empty() {
                    vec![def.name.clone()]
                } else {
                    def.targets.clone()
                },
                labels: def
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(label_index, name)| Label {
                        id: 1000 + label_index as u64,
                        name: name.clone(),
                    })
                    .collect(),
                interval: def.interval,
            };
            if world.tests.insert(test.id, Arc::new(test)).is_some() {
                ctx.error(
                    def.id.span(),
                    format!("{field}.id"),
                    format!("duplicate test id {}", def.id.get_ref()),
                );
            }
        }
        for (index, def) in file.rules.iter().enumerate() {
            let field = format!("rules[{index}]");
            let rule = Rule {
                id: *def.id.get_ref(),
                name: def.name.clone(),
                expression: def.expression.clone(),
                severity: severity(
                    ctx,
                    format!("{field}.severity"),
                    &def.severity,
                    Severity::Major,
                ),
                notify_on_clear: true,
            };
            if world.rules.insert(rule.id, Arc::new(rule)).is_some() {
                ctx.error(
                    def.id.span(),
                    format!("{field}.id"),
                    format!("duplicate rule id {}", def.id.get_ref()),
                );
            }
        }
        for (index, def) in file.agents.iter().enumerate() {
            let id = *def.id.get_ref();
            let agent = Agent {
                id,
                name: def.name.clone(),
                location: def.location.clone().unwrap_or_else(|| def.name.clone()),
                hostname: def
                    .hostname
                    .clone()
                    .unwrap_or_else(|| format!("te-agent-{id}.example.net")),
                ip_address: def.ip.clone().unwrap_or_else(|| documentation_ip(id)),
            };
            if world.agents.insert(id, Arc::new(agent)).is_some() {
                ctx.error(
                    def.id.span(),
                    format!("agents[{index}].id"),
                    format!("duplicate agent id {id}"),
                );
            }
        }
        if let Some(fleet) = &file.fleet {
            world.add_fleet(fleet.tests, fleet.agents);
        }
        for (index, def) in file.agent_rules.iter().enumerate() {
            let field = format!("agent-rules[{index}]");
            let kind = match def.kind.get_ref().as_str() {
                "clock-offset" => AgentRuleKind::ClockOffset,
                "offline" => AgentRuleKind::Offline,
                "version" => AgentRuleKind::Version,
                other => {
                    ctx.error(
                        def.kind.span(),
                        format!("{field}.kind"),
                        format!("unknown agent rule kind `{other}`; use clock-offset, offline or version"),
                    );
                    continue;
                }
            };
            let (name, expression) = default_agent_rule(kind);
            let rule = AgentRule {
                id: *def.id.get_ref(),
                name: def.name.clone().unwrap_or_else(|| name.to_owned()),
                expression: def
                    .expression
                    .clone()
                    .unwrap_or_else(|| expression.to_owned()),
                kind,
                severity: severity(
                    ctx,
                    format!("{field}.severity"),
                    &def.severity,
                    Severity::Info,
                ),
            };
            if world.agent_rules.insert(rule.id, Arc::new(rule)).is_some() {
                ctx.error(
                    def.id.span(),
                    format!("{field}.id"),
                    format!("duplicate agent rule id {}", def.id.get_ref()),
                );
            }
        }
        world
    }

    /// Generated tests and agents for load scenarios: ids far from hand-written ones.
    fn add_fleet(&mut self, tests: u32, agents: u32) {
        const KINDS: [TestType; 4] = [
            TestType::HttpServer,
            TestType::PageLoad,
            TestType::AgentToServer,
            TestType::DnsServer,
        ];
        const CITIES: [&str; 12] = [
            "Boston, MA",
            "Vancouver, Canada",
            "San Jose, CA",
            "London, England",
            "Frankfurt, Germany",
            "Tokyo, Japan",
            "Sydney, Australia",
            "São Paulo, Brazil",
            "Mumbai, India",
            "Singapore",
            "Johannesburg, South Africa",
            "Paris, France",
        ];
        for index in 0..tests {
            let id = 9_000_000 + u64::from(index);
            let kind = KINDS[index as usize % KINDS.len()];
            let host = format!("app{index}.example.com");
            let name = match kind {
                TestType::AgentToServer | TestType::DnsServer => host.clone(),
                _ => format!("https://{host}/health"),
            };
            let test = Test {
                id,
                name: name.clone(),
                kind,
                targets: vec![name],
                labels: Vec::new(),
                interval: 60,
            };
            self.tests.insert(id, Arc::new(test));
        }
        for index in 0..agents {
            let id = 700_000 + u64::from(index);
            let city = CITIES[index as usize % CITIES.len()];
            let name = if (index as usize) < CITIES.len() {
                city.to_owned()
            } else {
                format!("{city} #{}", index as usize / CITIES.len() + 1)
            };
            let agent = Agent {
                id,
                name: name.clone(),
                location: city.to_owned(),
                hostname: format!("te-agent-{id}.example.net"),
                ip_address: documentation_ip(id),
            };
            self.agents.insert(id, Arc::new(agent));
        }
    }
}

/// An address in the documentation ranges (RFC 5737), so no payload names a real host.
fn documentation_ip(id: u64) -> String {
    let nets = ["192.0.2", "198.51.100", "203.0.113"];
    format!("{}.{}", nets[(id % 3) as usize], 1 + id % 254)
}

/// ThousandEyes' default agent notification rules (reference §1.6).
fn default_agent_rule(kind: AgentRuleKind) -> (&'static str, &'static str) {
    match kind {
        AgentRuleKind::ClockOffset => (
            "Default Agent Clock Offset Notification",
            "Clock Offset ≤ 60 seconds",
        ),
        AgentRuleKind::Offline => (
            "Default Agent Offline Notification",
            "Last Contact ≥ 6 minutes ago",
        ),
        // Not seen in any capture: named like the other defaults (inferred).
        AgentRuleKind::Version => (
            "Default Agent Version Notification",
            "Agent Version is outdated",
        ),
    }
}

/// Plausible metrics text for a test type, when the scenario gives none.
fn default_metrics(kind: TestType, violating: bool) -> &'static str {
    match (kind, violating) {
        (TestType::PageLoad, true) => "Page load: Incomplete",
        (TestType::PageLoad, false) => "Page Load: Complete",
        (TestType::HttpServer | TestType::Api, true) => "Response Code: 503",
        (TestType::HttpServer | TestType::Api, false) => "Response Code: 200",
        (TestType::AgentToServer | TestType::AgentToAgent, true) => "Loss: 12.5%",
        (TestType::AgentToServer | TestType::AgentToAgent, false) => "Loss: 0%",
        (TestType::DnsServer | TestType::DnsTrace | TestType::Dnssec, true) => "Error: timeout",
        (TestType::DnsServer | TestType::DnsTrace | TestType::Dnssec, false) => {
            "Resolution Time: 12 ms"
        }
        (_, true) => "Error: \"Connection timed out\"",
        (_, false) => "No error",
    }
}

/// A primitive step, after generators are expanded.
#[derive(Debug)]
struct Step {
    at: Duration,
    /// Index of the `[[steps]]` entry it comes from, for messages.
    origin: usize,
    span: Range<usize>,
    action: Action,
}

#[derive(Debug)]
enum Action {
    WebhookTest,
    Trigger {
        alert: String,
        rule: u64,
        test: u64,
        agents: Vec<u64>,
        metrics: Option<String>,
        alert_id: Option<u64>,
    },
    Violate {
        alert: String,
        agent: u64,
        metrics: Option<String>,
    },
    Recover {
        alert: String,
        agent: u64,
        metrics: Option<String>,
    },
    Clear {
        alert: String,
        metrics: Option<String>,
    },
    DeleteRule {
        rule: u64,
    },
    UnassignRule {
        rule: u64,
        test: u64,
    },
    AgentTrigger {
        notification: String,
        rule: u64,
        agent: u64,
        metrics: Option<String>,
        number: Option<u64>,
    },
    AgentClear {
        notification: String,
        metrics: Option<String>,
    },
}

const ACTIONS: &str = "webhook-test, trigger, violate, recover, clear, delete-rule, unassign-rule, agent-trigger, agent-clear, burst, flap";

struct StepReader<'a, 'b> {
    ctx: &'a mut Ctx<'b>,
    step: &'a StepDef,
    field: String,
    ok: bool,
}

impl StepReader<'_, '_> {
    fn missing(&mut self, key: &str) {
        let action = self.step.action.get_ref().clone();
        self.ctx.error(
            self.step.action.span(),
            format!("{}.{key}", self.field),
            format!("`{action}` needs `{key}`"),
        );
        self.ok = false;
    }

    fn name(&mut self, key: &str, value: &Option<Spanned<String>>) -> String {
        match value {
            Some(value) => value.get_ref().clone(),
            None => {
                self.missing(key);
                String::new()
            }
        }
    }

    fn id(
        &mut self,
        key: &str,
        value: &Option<Spanned<u64>>,
        known: &BTreeSet<u64>,
        what: &str,
    ) -> u64 {
        match value {
            Some(value) => {
                let id = *value.get_ref();
                if !known.contains(&id) {
                    self.ctx.error(
                        value.span(),
                        format!("{}.{key}", self.field),
                        format!(
                            "{what} {id} does not exist; {}",
                            list(known.iter().copied())
                        ),
                    );
                    self.ok = false;
                }
                id
            }
            None => {
                self.missing(key);
                0
            }
        }
    }

    fn ids(
        &mut self,
        key: &str,
        value: &Option<Spanned<Vec<u64>>>,
        known: &BTreeSet<u64>,
        what: &str,
    ) -> Option<Vec<u64>> {
        let value = value.as_ref()?;
        for id in value.get_ref() {
            if !known.contains(id) {
                self.ctx.error(
                    value.span(),
                    format!("{}.{key}", self.field),
                    format!(
                        "{what} {id} does not exist; {}",
                        list(known.iter().copied())
                    ),
                );
                self.ok = false;
            }
        }
        Some(value.get_ref().clone())
    }

    fn duration(&mut self, key: &str, value: &Option<Spanned<String>>) -> Option<Duration> {
        let value = value.as_ref()?;
        match offset::parse(value.get_ref()) {
            Ok(duration) => Some(duration),
            Err(message) => {
                self.ctx
                    .error(value.span(), format!("{}.{key}", self.field), message);
                self.ok = false;
                None
            }
        }
    }

    fn forbid(&mut self, key: &str, present: bool) {
        if present {
            let action = self.step.action.get_ref().clone();
            self.ctx.error(
                self.step.action.span(),
                format!("{}.{key}", self.field),
                format!("`{key}` does not apply to `{action}`"),
            );
            self.ok = false;
        }
    }
}

fn expand_steps(
    ctx: &mut Ctx<'_>,
    file: &ScenarioFile,
    world: &World,
    rng: &mut ChaCha8Rng,
) -> Vec<Step> {
    let tests: BTreeSet<u64> = world.tests.keys().copied().collect();
    let rules: BTreeSet<u64> = world.rules.keys().copied().collect();
    let agents: BTreeSet<u64> = world.agents.keys().copied().collect();
    let agent_rules: BTreeSet<u64> = world.agent_rules.keys().copied().collect();
    let mut steps = Vec::new();
    let mut generated = 0u32;
    for (origin, def) in file.steps.iter().enumerate() {
        let field = format!("steps[{origin}]");
        let at = match offset::parse(def.at.get_ref()) {
            Ok(at) => at,
            Err(message) => {
                ctx.error(def.at.span(), format!("{field}.at"), message);
                continue;
            }
        };
        let span = def.action.span();
        let mut reader = StepReader {
            ctx,
            step: def,
            field: field.clone(),
            ok: true,
        };
        let action_name = def.action.get_ref().as_str();
        let generator = matches!(action_name, "burst" | "flap");
        if !generator {
            reader.forbid("count", def.count.is_some());
            reader.forbid("spread", def.spread.is_some());
            reader.forbid("every", def.every.is_some());
            reader.forbid("clear-after", def.clear_after.is_some());
            reader.forbid("agents-per-alert", def.agents_per_alert.is_some());
            reader.forbid("rules", def.rules.is_some());
            reader.forbid("tests", def.tests.is_some());
        }
        let mut push = |action: Action, at: Duration| {
            steps.push(Step {
                at,
                origin,
                span: span.clone(),
                action,
            })
        };
        match action_name {
            "webhook-test" => push(Action::WebhookTest, at),
            "trigger" => {
                let alert = reader.name("alert", &def.alert);
                let rule = reader.id("rule", &def.rule, &rules, "rule");
                let test = reader.id("test", &def.test, &tests, "test");
                let agent_ids = match reader.ids("agents", &def.agents, &agents, "agent") {
                    Some(ids) if ids.is_empty() => {
                        reader.ctx.error(
                            def.agents.as_ref().map_or(span.clone(), Spanned::span),
                            format!("{field}.agents"),
                            "an alert needs at least one agent",
                        );
                        reader.ok = false;
                        ids
                    }
                    Some(ids) => ids,
                    None => {
                        reader.missing("agents");
                        Vec::new()
                    }
                };
                if reader.ok {
                    push(
                        Action::Trigger {
                            alert,
                            rule,
                            test,
                            agents: agent_ids,
                            metrics: def.metrics.clone(),
                            alert_id: def.alert_id,
                        },
                        at,
                    );
                }
            }
            "violate" | "recover" => {
                let alert = reader.name("alert", &def.alert);
                let agent = reader.id("agent", &def.agent, &agents, "agent");
                if reader.ok {
                    let metrics = def.metrics.clone();
                    let action = if action_name == "violate" {
                        Action::Violate {
                            alert,
                            agent,
                            metrics,
                        }
                    } else {
                        Action::Recover {
                            alert,
                            agent,
                            metrics,
                        }
                    };
                    push(action, at);
                }
            }
            "clear" => {
                let alert = reader.name("alert", &def.alert);
                if reader.ok {
                    push(
                        Action::Clear {
                            alert,
                            metrics: def.metrics.clone(),
                        },
                        at,
                    );
                }
            }
            "delete-rule" => {
                let rule = reader.id("rule", &def.rule, &rules, "rule");
                if reader.ok {
                    push(Action::DeleteRule { rule }, at);
                }
            }
            "unassign-rule" => {
                let rule = reader.id("rule", &def.rule, &rules, "rule");
                let test = reader.id("test", &def.test, &tests, "test");
                if reader.ok {
                    push(Action::UnassignRule { rule, test }, at);
                }
            }
            "agent-trigger" => {
                let notification = reader.name("notification", &def.notification);
                let rule = reader.id("rule", &def.rule, &agent_rules, "agent rule");
                let agent = reader.id("agent", &def.agent, &agents, "agent");
                if reader.ok {
                    push(
                        Action::AgentTrigger {
                            notification,
                            rule,
                            agent,
                            metrics: def.metrics.clone(),
                            number: def.alert_id,
                        },
                        at,
                    );
                }
            }
            "agent-clear" => {
                let notification = reader.name("notification", &def.notification);
                if reader.ok {
                    push(
                        Action::AgentClear {
                            notification,
                            metrics: def.metrics.clone(),
                        },
                        at,
                    );
                }
            }
            "burst" => {
                let count = match &def.count {
                    Some(count) => *count.get_ref(),
                    None => {
                        reader.missing("count");
                        0
                    }
                };
                let spread = reader.duration("spread", &def.spread).unwrap_or_default();
                let clear_after = reader.duration("clear-after", &def.clear_after);
                let rule_pool = reader
                    .ids("rules", &def.rules, &rules, "rule")
                    .unwrap_or_else(|| rules.iter().copied().collect());
                let test_pool = reader
                    .ids("tests", &def.tests, &tests, "test")
                    .unwrap_or_else(|| tests.iter().copied().collect());
                let agent_pool: Vec<u64> = match reader.ids("agents", &def.agents, &agents, "agent")
                {
                    Some(ids) => ids,
                    None => agents.iter().copied().collect(),
                };
                let per_alert = def
                    .agents_per_alert
                    .as_ref()
                    .map_or(2, |n| *n.get_ref())
                    .max(1) as usize;
                for (key, pool) in [
                    ("rules", rule_pool.is_empty()),
                    ("tests", test_pool.is_empty()),
                    ("agents", agent_pool.is_empty()),
                ] {
                    if pool {
                        reader.ctx.error(
                            span.clone(),
                            format!("{field}.{key}"),
                            format!(
                                "`burst` needs at least one of {key}, and the scenario has none"
                            ),
                        );
                        reader.ok = false;
                    }
                }
                generated = generated.saturating_add(count);
                if generated > MAX_ALERTS {
                    reader.ctx.error(
                        span.clone(),
                        format!("{field}.count"),
                        format!("too many generated alerts; at most {MAX_ALERTS} per scenario"),
                    );
                    reader.ok = false;
                }
                if !reader.ok {
                    continue;
                }
                for index in 0..count {
                    let alert = format!("burst{origin}-{index}");
                    let trigger_at =
                        at + spread.mul_f64(f64::from(index) / f64::from(count.max(1)));
                    let rule = *rule_pool.choose(rng).unwrap_or(&0);
                    let test = *test_pool.choose(rng).unwrap_or(&0);
                    let chosen: Vec<u64> = agent_pool
                        .choose_multiple(rng, per_alert.min(agent_pool.len()))
                        .copied()
                        .collect();
                    push(
                        Action::Trigger {
                            alert: alert.clone(),
                            rule,
                            test,
                            agents: chosen,
                            metrics: None,
                            alert_id: None,
                        },
                        trigger_at,
                    );
                    if let Some(clear_after) = clear_after {
                        // ±50% jitter, so clears do not arrive in lock step.
                        let factor = rng.random_range(0.5..1.5);
                        push(
                            Action::Clear {
                                alert,
                                metrics: None,
                            },
                            trigger_at + clear_after.mul_f64(factor),
                        );
                    }
                }
            }
            "flap" => {
                let rule = reader.id("rule", &def.rule, &rules, "rule");
                let test = reader.id("test", &def.test, &tests, "test");
                let agent_ids = reader
                    .ids("agents", &def.agents, &agents, "agent")
                    .unwrap_or_default();
                if agent_ids.is_empty() {
                    reader.missing("agents");
                }
                let count = def.count.as_ref().map_or(0, |count| *count.get_ref());
                if def.count.is_none() {
                    reader.missing("count");
                }
                let every = reader.duration("every", &def.every);
                let clear_after = reader.duration("clear-after", &def.clear_after);
                let (Some(every), Some(clear_after)) = (every, clear_after) else {
                    if def.every.is_none() {
                        reader.missing("every");
                    }
                    if def.clear_after.is_none() {
                        reader.missing("clear-after");
                    }
                    continue;
                };
                if clear_after >= every {
                    reader.ctx.error(
                        def.clear_after.as_ref().map_or(span.clone(), Spanned::span),
                        format!("{field}.clear-after"),
                        "`clear-after` must be shorter than `every`, or one cycle's clear comes after the next trigger",
                    );
                    reader.ok = false;
                }
                generated = generated.saturating_add(count);
                if !reader.ok {
                    continue;
                }
                for cycle in 0..count {
                    let alert = format!("flap{origin}-{cycle}");
                    let trigger_at = at + every * cycle;
                    push(
                        Action::Trigger {
                            alert: alert.clone(),
                            rule,
                            test,
                            agents: agent_ids.clone(),
                            metrics: def.metrics.clone(),
                            alert_id: None,
                        },
                        trigger_at,
                    );
                    push(
                        Action::Clear {
                            alert,
                            metrics: None,
                        },
                        trigger_at + clear_after,
                    );
                }
            }
            other => {
                reader.ctx.error(
                    span.clone(),
                    format!("{field}.action"),
                    format!("unknown action `{other}`; use one of {ACTIONS}"),
                );
            }
        }
    }
    // Stable: steps at the same offset keep file order (trigger before clear).
    steps.sort_by_key(|step| step.at);
    steps
}

/// Plays steps in time order.
struct Player {
    account: Arc<Account>,
    start: TeDate,
    next_alert: u64,
    next_sequence: u64,
    next_agent_notification: u64,
    live_alerts: BTreeMap<String, TestAlert>,
    /// Alert names that were used and are over, for messages.
    finished_alerts: BTreeSet<String>,
    live_notices: BTreeMap<String, AgentNotification>,
    finished_notices: BTreeSet<String>,
    deleted_rules: BTreeMap<u64, Duration>,
    unassigned: BTreeMap<(u64, u64), Duration>,
    notifications: Vec<TimedNotification>,
    history: Vec<AlertChange>,
}

impl Player {
    fn new(account: Arc<Account>, start: TeDate, rng: &mut ChaCha8Rng) -> Player {
        // Magnitudes like the captures' (alertId 76947300, eventId 205646496-…).
        Player {
            account,
            start,
            next_alert: rng.random_range(10_000_000..90_000_000),
            next_sequence: rng.random_range(100_000_000..900_000_000),
            next_agent_notification: rng.random_range(1_000_000..9_000_000),
            live_alerts: BTreeMap::new(),
            finished_alerts: BTreeSet::new(),
            live_notices: BTreeMap::new(),
            finished_notices: BTreeSet::new(),
            deleted_rules: BTreeMap::new(),
            unassigned: BTreeMap::new(),
            notifications: Vec::new(),
            history: Vec::new(),
        }
    }

    fn date(&self, at: Duration) -> TeDate {
        self.start
            .plus_seconds(i64::try_from(at.as_secs()).unwrap_or(i64::MAX))
    }

    fn notify(&mut self, at: Duration, notification: Notification, rng: &mut ChaCha8Rng) {
        self.next_sequence += rng.random_range(1..=997);
        let uuid = uuid::Builder::from_random_bytes(rng.random())
            .into_uuid()
            .to_string();
        let date = self.date(at);
        self.notifications.push(TimedNotification {
            offset: at,
            at: date,
            sequence: self.next_sequence,
            uuid,
            notification,
        });
    }

    fn record(&mut self, at: Duration, alert: AlertSnapshot) {
        let date = self.date(at);
        self.history.push(AlertChange {
            offset: at,
            at: date,
            alert,
        });
    }

    fn unknown_alert(&self, ctx: &mut Ctx<'_>, step: &Step, alert: &str, verb: &str) {
        let field = format!("steps[{}].alert", step.origin);
        let message = if self.finished_alerts.contains(alert) {
            format!(
                "cannot {verb} alert `{alert}` at {}: it is already cleared; trigger it again first",
                offset::display(step.at)
            )
        } else {
            let live: Vec<&String> = self.live_alerts.keys().collect();
            format!(
                "cannot {verb} alert `{alert}` at {}: it was never triggered before then; active alerts: {}",
                offset::display(step.at),
                if live.is_empty() {
                    "none".to_owned()
                } else {
                    live.iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )
        };
        ctx.error(step.span.clone(), field, message);
    }

    fn play(&mut self, ctx: &mut Ctx<'_>, world: &World, step: &Step, rng: &mut ChaCha8Rng) {
        let now = self.date(step.at);
        match &step.action {
            Action::WebhookTest => self.notify(step.at, Notification::WebhookTest, rng),
            Action::Trigger {
                alert,
                rule,
                test,
                agents,
                metrics,
                alert_id,
            } => {
                if self.live_alerts.contains_key(alert) {
                    ctx.error(step.span.clone(), format!("steps[{}].alert", step.origin), format!("alert `{alert}` is already active at {}; clear it first or use another name", offset::display(step.at)));
                    return;
                }
                if let Some(when) = self.deleted_rules.get(rule) {
                    ctx.error(
                        step.span.clone(),
                        format!("steps[{}].rule", step.origin),
                        format!(
                            "rule {rule} was deleted at {}; it cannot trigger at {}",
                            offset::display(*when),
                            offset::display(step.at)
                        ),
                    );
                    return;
                }
                if let Some(when) = self.unassigned.get(&(*rule, *test)) {
                    ctx.error(step.span.clone(), format!("steps[{}].rule", step.origin), format!("rule {rule} was removed from test {test} at {}; it cannot trigger there at {}", offset::display(*when), offset::display(step.at)));
                    return;
                }
                let (Some(test), Some(rule)) = (world.tests.get(test), world.rules.get(rule))
                else {
                    return;
                };
                let number = match alert_id {
                    Some(id) => *id,
                    None => {
                        self.next_alert += rng.random_range(1..=97);
                        self.next_alert
                    }
                };
                let uuid = uuid::Builder::from_random_bytes(rng.random())
                    .into_uuid()
                    .to_string();
                let metrics = metrics
                    .clone()
                    .unwrap_or_else(|| default_metrics(test.kind, true).to_owned());
                let sources = agents
                    .iter()
                    .filter_map(|id| world.agents.get(id))
                    .map(|agent| AlertSource {
                        agent: agent.clone(),
                        start: now,
                        metrics_at_start: metrics.clone(),
                        metrics_latest: metrics.clone(),
                        state: AlertState::Active,
                    })
                    .collect();
                let snapshot = TestAlert {
                    number,
                    uuid,
                    account: self.account.clone(),
                    test: test.clone(),
                    rule: rule.clone(),
                    start: now,
                    state: AlertState::Active,
                    sources,
                };
                self.finished_alerts.remove(alert);
                self.live_alerts.insert(alert.clone(), snapshot.clone());
                self.record(step.at, AlertSnapshot::Test(snapshot.clone()));
                self.notify(step.at, Notification::AlertTrigger(snapshot), rng);
            }
            Action::Violate {
                alert,
                agent,
                metrics,
            }
            | Action::Recover {
                alert,
                agent,
                metrics,
            } => {
                let violate = matches!(step.action, Action::Violate { .. });
                let Some(mut snapshot) = self.live_alerts.get(alert).cloned() else {
                    self.unknown_alert(
                        ctx,
                        step,
                        alert,
                        if violate {
                            "add an agent to"
                        } else {
                            "recover an agent of"
                        },
                    );
                    return;
                };
                let Some(agent) = world.agents.get(agent) else {
                    return;
                };
                let existing = snapshot
                    .sources
                    .iter()
                    .position(|source| source.agent.id == agent.id);
                let kind = snapshot.test.kind;
                if violate {
                    let metrics = metrics
                        .clone()
                        .unwrap_or_else(|| default_metrics(kind, true).to_owned());
                    match existing {
                        Some(index) if snapshot.sources[index].state == AlertState::Active => {
                            ctx.error(
                                step.span.clone(),
                                format!("steps[{}].agent", step.origin),
                                format!("agent {} already violates in alert `{alert}`", agent.id),
                            );
                            return;
                        }
                        Some(index) => {
                            let source = &mut snapshot.sources[index];
                            source.state = AlertState::Active;
                            source.metrics_latest = metrics;
                        }
                        None => snapshot.sources.push(AlertSource {
                            agent: agent.clone(),
                            start: now,
                            metrics_at_start: metrics.clone(),
                            metrics_latest: metrics,
                            state: AlertState::Active,
                        }),
                    }
                } else {
                    let Some(index) = existing
                        .filter(|index| snapshot.sources[*index].state == AlertState::Active)
                    else {
                        ctx.error(
                            step.span.clone(),
                            format!("steps[{}].agent", step.origin),
                            format!(
                                "agent {} is not violating in alert `{alert}` at {}",
                                agent.id,
                                offset::display(step.at)
                            ),
                        );
                        return;
                    };
                    let source = &mut snapshot.sources[index];
                    source.state = AlertState::Cleared { end: now };
                    source.metrics_latest = metrics
                        .clone()
                        .unwrap_or_else(|| default_metrics(kind, false).to_owned());
                }
                // The last violating agent recovering clears the alert, as ThousandEyes does.
                if snapshot.violation_count() == 0 {
                    snapshot.state = AlertState::Cleared { end: now };
                    self.live_alerts.remove(alert);
                    self.finished_alerts.insert(alert.clone());
                    self.record(step.at, AlertSnapshot::Test(snapshot.clone()));
                    self.notify(step.at, Notification::AlertClear(snapshot), rng);
                } else {
                    self.live_alerts.insert(alert.clone(), snapshot.clone());
                    self.record(step.at, AlertSnapshot::Test(snapshot));
                }
            }
            Action::Clear { alert, metrics } => {
                let Some(snapshot) = self.live_alerts.remove(alert) else {
                    self.unknown_alert(ctx, step, alert, "clear");
                    return;
                };
                self.finish(
                    step.at,
                    alert,
                    snapshot,
                    AlertState::Cleared { end: now },
                    metrics.as_deref(),
                    rng,
                );
            }
            Action::DeleteRule { rule } => {
                self.deleted_rules.insert(*rule, step.at);
                self.remove_rule(step.at, rng, |alert| alert.rule.id == *rule);
            }
            Action::UnassignRule { rule, test } => {
                self.unassigned.insert((*rule, *test), step.at);
                self.remove_rule(step.at, rng, |alert| {
                    alert.rule.id == *rule && alert.test.id == *test
                });
            }
            Action::AgentTrigger {
                notification,
                rule,
                agent,
                metrics,
                number,
            } => {
                if self.live_notices.contains_key(notification) {
                    ctx.error(step.span.clone(), format!("steps[{}].notification", step.origin), format!("agent notification `{notification}` is already active; clear it first or use another name"));
                    return;
                }
                let (Some(rule), Some(agent)) =
                    (world.agent_rules.get(rule), world.agents.get(agent))
                else {
                    return;
                };
                let number = match number {
                    Some(number) => *number,
                    None => {
                        self.next_agent_notification += rng.random_range(1..=53);
                        self.next_agent_notification
                    }
                };
                let metrics = metrics
                    .clone()
                    .unwrap_or_else(|| default_agent_metrics(rule.kind, true).to_owned());
                let notice = AgentNotification {
                    number,
                    account: self.account.clone(),
                    rule: rule.clone(),
                    agent: agent.clone(),
                    start: now,
                    metrics_at_start: metrics.clone(),
                    metrics_at_end: metrics,
                    state: AlertState::Active,
                };
                self.finished_notices.remove(notification);
                self.live_notices
                    .insert(notification.clone(), notice.clone());
                self.record(step.at, AlertSnapshot::Agent(notice.clone()));
                self.notify(step.at, Notification::AgentTrigger(notice), rng);
            }
            Action::AgentClear {
                notification,
                metrics,
            } => {
                let Some(mut notice) = self.live_notices.remove(notification) else {
                    let when = offset::display(step.at);
                    let message = if self.finished_notices.contains(notification) {
                        format!(
                            "cannot clear agent notification `{notification}` at {when}: it is already cleared"
                        )
                    } else {
                        format!(
                            "cannot clear agent notification `{notification}` at {when}: it was never triggered before then"
                        )
                    };
                    ctx.error(
                        step.span.clone(),
                        format!("steps[{}].notification", step.origin),
                        message,
                    );
                    return;
                };
                notice.state = AlertState::Cleared { end: now };
                if let Some(metrics) = metrics {
                    notice.metrics_at_end = metrics.clone();
                }
                self.finished_notices.insert(notification.clone());
                self.record(step.at, AlertSnapshot::Agent(notice.clone()));
                self.notify(step.at, Notification::AgentClear(notice), rng);
            }
        }
    }

    fn finish(
        &mut self,
        at: Duration,
        name: &str,
        mut snapshot: TestAlert,
        state: AlertState,
        metrics: Option<&str>,
        rng: &mut ChaCha8Rng,
    ) {
        let kind = snapshot.test.kind;
        let end = state.end().unwrap_or(snapshot.start);
        for source in &mut snapshot.sources {
            if source.state == AlertState::Active {
                source.state = match state {
                    AlertState::RuleRemoved { .. } => AlertState::RuleRemoved { end },
                    _ => AlertState::Cleared { end },
                };
                if matches!(state, AlertState::Cleared { .. }) {
                    source.metrics_latest = metrics
                        .map_or_else(|| default_metrics(kind, false).to_owned(), str::to_owned);
                }
            }
        }
        snapshot.state = state;
        self.finished_alerts.insert(name.to_owned());
        self.record(at, AlertSnapshot::Test(snapshot.clone()));
        self.notify(at, Notification::AlertClear(snapshot), rng);
    }

    /// A rule deleted, or removed from a test, clears its active alerts with `active: 2`
    /// (reference §1.3, §5.1.4).
    fn remove_rule(
        &mut self,
        at: Duration,
        rng: &mut ChaCha8Rng,
        affected: impl Fn(&TestAlert) -> bool,
    ) {
        let names: Vec<String> = self
            .live_alerts
            .iter()
            .filter(|(_, alert)| affected(alert))
            .map(|(name, _)| name.clone())
            .collect();
        let end = self.date(at);
        for name in names {
            if let Some(snapshot) = self.live_alerts.remove(&name) {
                self.finish(
                    at,
                    &name,
                    snapshot,
                    AlertState::RuleRemoved { end },
                    None,
                    rng,
                );
            }
        }
    }
}

fn default_agent_metrics(kind: AgentRuleKind, violating: bool) -> &'static str {
    match (kind, violating) {
        (AgentRuleKind::ClockOffset, true) => "Clock Offset: 130 seconds",
        (AgentRuleKind::ClockOffset, false) => "Clock Offset: 2 seconds",
        (AgentRuleKind::Offline, true) => "Last Contact: 7 minutes ago",
        (AgentRuleKind::Offline, false) => "Last Contact: 1 minute ago",
        (AgentRuleKind::Version, true) => "Agent Version: 1.180.0",
        (AgentRuleKind::Version, false) => "Agent Version: 1.190.0",
    }
}
