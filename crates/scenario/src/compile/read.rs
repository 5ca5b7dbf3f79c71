//! Reading `[[steps]]` entries: each one's keys are checked against its action and the world,
//! then turned into primitive steps, sorted by time.

use std::collections::BTreeSet;
use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use toml::Spanned;

use super::Ctx;
use super::generate;
use super::step::{
    ACTIONS, Action, AgentTrigger, AlertName, DeviceTrigger, SourceChange, Step, StepSink, Trigger,
};
use super::world::World;
use crate::file::{ScenarioFile, StepDef};
use crate::offset;

/// The ids a step may refer to.
pub(super) struct Known {
    pub(super) tests: BTreeSet<u64>,
    pub(super) rules: BTreeSet<u64>,
    pub(super) agents: BTreeSet<u64>,
    pub(super) agent_rules: BTreeSet<u64>,
    pub(super) devices: BTreeSet<u64>,
    pub(super) device_rules: BTreeSet<u64>,
}

impl Known {
    fn new(world: &World) -> Known {
        Known {
            tests: world.tests.keys().copied().collect(),
            rules: world.rules.keys().copied().collect(),
            agents: world.agents.keys().copied().collect(),
            agent_rules: world.agent_rules.keys().copied().collect(),
            devices: world.devices.keys().copied().collect(),
            device_rules: world.device_rules.keys().copied().collect(),
        }
    }
}

/// The primitive steps of a file: the written ones in time order, the generated ones still to
/// be made.
pub(super) struct ReadSteps {
    pub(super) steps: Vec<Step>,
    /// One per `burst` or `flap` entry that could be read, in file order.
    pub(super) generators: Vec<generate::Generator>,
    /// Alert and notification names of the entries that could not be read. Playing keeps
    /// quiet about them: "never triggered" after a refused trigger would only repeat the
    /// first error.
    pub(super) unreadable_names: BTreeSet<String>,
}

pub(super) fn expand_steps(
    ctx: &mut Ctx<'_>,
    file: &ScenarioFile,
    world: &World,
    rng: &mut ChaCha8Rng,
) -> ReadSteps {
    let known = Known::new(world);
    let mut steps = Vec::new();
    let mut generators = Vec::new();
    let mut unreadable_names = BTreeSet::new();
    let mut budget = generate::Budget::default();
    for (origin, def) in file.steps.iter().enumerate() {
        let reported = ctx.diagnostics.len();
        let mut sink = StepSink {
            steps: &mut steps,
            origin,
            span: def.action.span(),
        };
        if let Some(generator) = read_entry(ctx, def, &known, &mut budget, &mut sink, rng) {
            generators.push(generator);
        }
        if ctx.diagnostics.len() > reported {
            let names = [&def.alert, &def.notification];
            unreadable_names.extend(
                names
                    .into_iter()
                    .flatten()
                    .map(|name| name.get_ref().clone()),
            );
        }
    }
    // Stable: steps at the same offset keep file order (trigger before clear).
    steps.sort_by_key(|step| step.at);
    ReadSteps {
        steps,
        generators,
        unreadable_names,
    }
}

/// One `[[steps]]` entry into `sink`, or the generator of its steps, reporting every problem.
fn read_entry(
    ctx: &mut Ctx<'_>,
    def: &StepDef,
    known: &Known,
    budget: &mut generate::Budget,
    sink: &mut StepSink<'_>,
    rng: &mut ChaCha8Rng,
) -> Option<generate::Generator> {
    let field = format!("steps[{}]", sink.origin);
    let at = match offset::parse(def.at.get_ref()) {
        Ok(at) => at,
        Err(message) => {
            ctx.error(def.at.span(), format!("{field}.at"), message);
            return None;
        }
    };
    let mut reader = StepReader {
        ctx,
        step: def,
        field,
        ok: true,
    };
    match def.action.get_ref().as_str() {
        "burst" => generate::burst(&mut reader, known, budget, at, sink, rng),
        "flap" => generate::flap(&mut reader, known, budget, at, sink),
        _ => {
            reader.forbid_generator_keys();
            if let Some(action) = read_action(&mut reader, known) {
                sink.push(action, at);
            }
            None
        }
    }
}

/// One action that is not a generator, or `None` after reporting why it cannot be.
fn read_action(reader: &mut StepReader<'_, '_>, known: &Known) -> Option<Action> {
    let def = reader.step;
    let action = match def.action.get_ref().as_str() {
        // Nothing to check: it plays even beside other errors, which then stop the compile.
        "webhook-test" => return Some(Action::WebhookTest),
        "trigger" => Action::Trigger(read_trigger(reader, known)),
        "violate" => Action::Violate(read_source_change(reader, known)),
        "recover" => Action::Recover(read_source_change(reader, known)),
        "clear" => Action::Clear {
            alert: AlertName::Written(reader.name("alert", &def.alert)),
            metrics: def.metrics.clone(),
        },
        "delete-rule" => Action::DeleteRule {
            rule: reader.id("rule", &def.rule, &known.rules, "rule"),
        },
        "unassign-rule" => {
            let rule = reader.id("rule", &def.rule, &known.rules, "rule");
            let test = reader.id("test", &def.test, &known.tests, "test");
            Action::UnassignRule { rule, test }
        }
        "agent-trigger" => Action::AgentTrigger(read_agent_trigger(reader, known)),
        "agent-clear" => Action::AgentClear {
            notification: reader.name("notification", &def.notification),
            metrics: def.metrics.clone(),
        },
        "device-trigger" => {
            let notification = reader.name("notification", &def.notification);
            let rule = reader.id("rule", &def.rule, &known.device_rules, "device rule");
            let device = reader.id("device", &def.device, &known.devices, "device");
            Action::DeviceTrigger(DeviceTrigger {
                notification,
                rule,
                device,
                metrics: def.metrics.clone(),
                number: def.alert_id,
            })
        }
        "device-clear" => Action::DeviceClear {
            notification: reader.name("notification", &def.notification),
            metrics: def.metrics.clone(),
        },
        other => {
            reader.ctx.error(
                def.action.span(),
                format!("{}.action", reader.field),
                format!("unknown action `{other}`; use one of {ACTIONS}"),
            );
            return None;
        }
    };
    reader.ok.then_some(action)
}

fn read_trigger(reader: &mut StepReader<'_, '_>, known: &Known) -> Trigger {
    let def = reader.step;
    let alert = reader.name("alert", &def.alert);
    let rule = reader.id("rule", &def.rule, &known.rules, "rule");
    let test = reader.id("test", &def.test, &known.tests, "test");
    let agents = match reader.ids("agents", &def.agents, &known.agents, "agent") {
        Some(ids) if ids.is_empty() => {
            reader.ctx.error(
                def.agents.as_ref().map_or(def.action.span(), Spanned::span),
                format!("{}.agents", reader.field),
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
    Trigger {
        alert: AlertName::Written(alert),
        rule,
        test,
        agents,
        metrics: def.metrics.clone(),
        alert_id: def.alert_id,
    }
}

fn read_source_change(reader: &mut StepReader<'_, '_>, known: &Known) -> SourceChange {
    let def = reader.step;
    let alert = reader.name("alert", &def.alert);
    let agent = reader.id("agent", &def.agent, &known.agents, "agent");
    SourceChange {
        alert,
        agent,
        metrics: def.metrics.clone(),
    }
}

fn read_agent_trigger(reader: &mut StepReader<'_, '_>, known: &Known) -> AgentTrigger {
    let def = reader.step;
    let notification = reader.name("notification", &def.notification);
    let rule = reader.id("rule", &def.rule, &known.agent_rules, "agent rule");
    let agent = reader.id("agent", &def.agent, &known.agents, "agent");
    AgentTrigger {
        notification,
        rule,
        agent,
        metrics: def.metrics.clone(),
        number: def.alert_id,
    }
}

/// Reads the keys of one `[[steps]]` entry, reporting each problem; `ok` is false once any
/// was found.
pub(super) struct StepReader<'a, 'b> {
    pub(super) ctx: &'a mut Ctx<'b>,
    pub(super) step: &'a StepDef,
    pub(super) field: String,
    pub(super) ok: bool,
}

impl StepReader<'_, '_> {
    pub(super) fn missing(&mut self, key: &str) {
        let action = self.step.action.get_ref().clone();
        self.ctx.error(
            self.step.action.span(),
            format!("{}.{key}", self.field),
            format!("`{action}` needs `{key}`"),
        );
        self.ok = false;
    }

    /// Reports an error at `span` on `key` and marks the step as not ok.
    pub(super) fn error(
        &mut self,
        span: std::ops::Range<usize>,
        key: &str,
        message: impl Into<String>,
    ) {
        self.ctx
            .error(span, format!("{}.{key}", self.field), message);
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

    pub(super) fn id(
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
                    let message = format!(
                        "{what} {id} does not exist; {}",
                        list(known.iter().copied())
                    );
                    self.error(value.span(), key, message);
                }
                id
            }
            None => {
                self.missing(key);
                0
            }
        }
    }

    pub(super) fn ids(
        &mut self,
        key: &str,
        value: &Option<Spanned<Vec<u64>>>,
        known: &BTreeSet<u64>,
        what: &str,
    ) -> Option<Vec<u64>> {
        let value = value.as_ref()?;
        for id in value.get_ref() {
            if !known.contains(id) {
                let message = format!(
                    "{what} {id} does not exist; {}",
                    list(known.iter().copied())
                );
                self.error(value.span(), key, message);
            }
        }
        Some(value.get_ref().clone())
    }

    pub(super) fn duration(
        &mut self,
        key: &str,
        value: &Option<Spanned<String>>,
    ) -> Option<Duration> {
        let value = value.as_ref()?;
        match offset::parse(value.get_ref()) {
            Ok(duration) => Some(duration),
            Err(message) => {
                self.error(value.span(), key, message);
                None
            }
        }
    }

    /// Generator keys on an action that is not a generator.
    fn forbid_generator_keys(&mut self) {
        let def = self.step;
        self.forbid("count", def.count.is_some());
        self.forbid("spread", def.spread.is_some());
        self.forbid("every", def.every.is_some());
        self.forbid("clear-after", def.clear_after.is_some());
        self.forbid("agents-per-alert", def.agents_per_alert.is_some());
        self.forbid("rules", def.rules.is_some());
        self.forbid("tests", def.tests.is_some());
    }

    fn forbid(&mut self, key: &str, present: bool) {
        if present {
            let action = self.step.action.get_ref().clone();
            self.error(
                self.step.action.span(),
                key,
                format!("`{key}` does not apply to `{action}`"),
            );
        }
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
