//! Primitive steps: what `read` produces and `play` consumes, after generators are expanded.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::time::Duration;

/// A primitive step.
#[derive(Clone, Debug)]
pub(super) struct Step {
    pub(super) at: Duration,
    /// Index of the `[[steps]]` entry it comes from, for messages.
    pub(super) origin: usize,
    pub(super) span: Range<usize>,
    /// Position among the steps of the same entry: with `at` and `origin`, the order a stable
    /// sort of every step by time would give.
    pub(super) seq: u64,
    pub(super) action: Action,
}

impl Step {
    /// The key steps are played in: time, then file order, then order within the entry.
    pub(super) fn key(&self) -> (Duration, usize, u64) {
        (self.at, self.origin, self.seq)
    }
}

#[derive(Clone, Debug)]
pub(super) enum Action {
    WebhookTest,
    Trigger(Trigger),
    Violate(SourceChange),
    Recover(SourceChange),
    Clear {
        alert: AlertName,
        metrics: Option<String>,
    },
    DeleteRule {
        rule: u64,
    },
    UnassignRule {
        rule: u64,
        test: u64,
    },
    AgentTrigger(AgentTrigger),
    AgentClear {
        notification: String,
        metrics: Option<String>,
    },
    DeviceTrigger(DeviceTrigger),
    DeviceClear {
        notification: String,
        metrics: Option<String>,
    },
}

/// A Device Data or Device Status notification starts.
#[derive(Clone, Debug)]
pub(super) struct DeviceTrigger {
    pub(super) notification: String,
    pub(super) rule: u64,
    pub(super) device: u64,
    pub(super) metrics: Option<String>,
    pub(super) number: Option<u64>,
}

impl Action {
    /// The scenario-local alert or notification name the action is about, if any.
    pub(super) fn name(&self) -> Option<Cow<'_, str>> {
        match self {
            Action::Trigger(Trigger { alert, .. }) | Action::Clear { alert, .. } => {
                Some(alert.text())
            }
            Action::Violate(SourceChange { alert, .. })
            | Action::Recover(SourceChange { alert, .. }) => Some(Cow::Borrowed(alert)),
            Action::AgentTrigger(AgentTrigger { notification, .. })
            | Action::AgentClear { notification, .. }
            | Action::DeviceTrigger(DeviceTrigger { notification, .. })
            | Action::DeviceClear { notification, .. } => Some(Cow::Borrowed(notification)),
            Action::WebhookTest | Action::DeleteRule { .. } | Action::UnassignRule { .. } => None,
        }
    }
}

/// A test alert starts.
#[derive(Clone, Debug, Default)]
pub(super) struct Trigger {
    pub(super) alert: AlertName,
    pub(super) rule: u64,
    pub(super) test: u64,
    pub(super) agents: Vec<u64>,
    pub(super) metrics: Option<String>,
    pub(super) alert_id: Option<u64>,
}

/// A test alert's scenario-local name: as written in the file, or as a generator makes it
/// (`burst3-17`), kept in parts until shown. A storm names every alert twice and shows none
/// of the names: writing them, hashing them and parsing them back was a fifth of playing it
/// (measured over a million alerts).
#[derive(Clone, Debug)]
pub(super) enum AlertName {
    Written(String),
    /// Alert `index` of the generator entry `origin`, whose names start with `prefix`.
    Generated {
        prefix: &'static str,
        origin: usize,
        index: u64,
    },
}

impl AlertName {
    /// The name as the file would write it.
    pub(super) fn text(&self) -> Cow<'_, str> {
        match self {
            AlertName::Written(text) => Cow::Borrowed(text),
            generated @ AlertName::Generated { .. } => Cow::Owned(generated.to_string()),
        }
    }
}

impl Default for AlertName {
    fn default() -> Self {
        AlertName::Written(String::new())
    }
}

impl fmt::Display for AlertName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlertName::Written(text) => f.write_str(text),
            AlertName::Generated {
                prefix,
                origin,
                index,
            } => write!(f, "{prefix}{origin}-{index}"),
        }
    }
}

/// One name, one alert: a generated name is its generator entry and index (the prefix
/// follows from the entry). The player writes a name in its generated form whenever it has
/// one (see `Player::canonical`), so this is equality of the names' text.
impl PartialEq for AlertName {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (AlertName::Written(a), AlertName::Written(b)) => a == b,
            (
                AlertName::Generated {
                    origin: a,
                    index: i,
                    ..
                },
                AlertName::Generated {
                    origin: b,
                    index: j,
                    ..
                },
            ) => (a, i) == (b, j),
            _ => false,
        }
    }
}

impl Eq for AlertName {}

impl Hash for AlertName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            AlertName::Written(text) => text.hash(state),
            AlertName::Generated { origin, index, .. } => (origin, index).hash(state),
        }
    }
}

/// One agent of an active test alert starts or stops violating.
#[derive(Clone, Debug)]
pub(super) struct SourceChange {
    pub(super) alert: String,
    pub(super) agent: u64,
    pub(super) metrics: Option<String>,
}

/// An agent notification starts.
#[derive(Clone, Debug)]
pub(super) struct AgentTrigger {
    pub(super) notification: String,
    pub(super) rule: u64,
    pub(super) agent: u64,
    pub(super) metrics: Option<String>,
    pub(super) number: Option<u64>,
}

pub(super) const ACTIONS: &str = "webhook-test, trigger, violate, recover, clear, delete-rule, unassign-rule, agent-trigger, agent-clear, device-trigger, device-clear, burst, flap";

/// Collects the primitive steps of one `[[steps]]` entry.
pub(super) struct StepSink<'a> {
    pub(super) steps: &'a mut Vec<Step>,
    pub(super) origin: usize,
    pub(super) span: Range<usize>,
}

impl StepSink<'_> {
    pub(super) fn push(&mut self, action: Action, at: Duration) {
        self.steps.push(Step {
            at,
            origin: self.origin,
            span: self.span.clone(),
            seq: 0,
            action,
        });
    }
}
