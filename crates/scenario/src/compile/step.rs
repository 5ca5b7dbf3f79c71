//! Primitive steps: what `read` produces and `play` consumes, after generators are expanded.

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
        alert: String,
        metrics: Option<String>,
        /// See [`Trigger::generated`].
        generated: Option<(usize, u64)>,
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
    pub(super) fn name(&self) -> Option<&str> {
        match self {
            Action::Trigger(Trigger { alert, .. })
            | Action::Violate(SourceChange { alert, .. })
            | Action::Recover(SourceChange { alert, .. })
            | Action::Clear { alert, .. } => Some(alert),
            Action::AgentTrigger(AgentTrigger { notification, .. })
            | Action::AgentClear { notification, .. }
            | Action::DeviceTrigger(DeviceTrigger { notification, .. })
            | Action::DeviceClear { notification, .. } => Some(notification),
            Action::WebhookTest | Action::DeleteRule { .. } | Action::UnassignRule { .. } => None,
        }
    }
}

/// A test alert starts.
#[derive(Clone, Debug, Default)]
pub(super) struct Trigger {
    pub(super) alert: String,
    pub(super) rule: u64,
    pub(super) test: u64,
    pub(super) agents: Vec<u64>,
    pub(super) metrics: Option<String>,
    pub(super) alert_id: Option<u64>,
    /// The generator entry and index that made `alert`, when a generator did: what parsing
    /// the name back would give (a storm did that for every trigger and clear, measured at a
    /// twelfth of playing it).
    pub(super) generated: Option<(usize, u64)>,
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
