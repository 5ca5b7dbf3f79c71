//! The output of compiling a scenario: everything that happened, in order.

use std::sync::Arc;
use std::time::Duration;

use tesim_model::{
    Account, Agent, AgentNotification, AgentRule, Rule, TeDate, Test, TestAlert, TimedNotification,
};

/// A compiled scenario: the account it runs in, the notifications ThousandEyes would send,
/// and the full history of alert states (which the mock API serves).
#[derive(Clone, Debug)]
pub struct Timeline {
    /// Scenario name (file stem).
    pub name: String,
    /// The simulated account group.
    pub account: Arc<Account>,
    /// Instant of offset zero.
    pub start: TeDate,
    /// Tests of the account.
    pub tests: Vec<Arc<Test>>,
    /// Alert rules of the account.
    pub rules: Vec<Arc<Rule>>,
    /// Agents of the account.
    pub agents: Vec<Arc<Agent>>,
    /// Agent notification rules.
    pub agent_rules: Vec<Arc<AgentRule>>,
    /// What is delivered by webhook, in delivery order (offsets never decrease).
    pub notifications: Vec<TimedNotification>,
    /// Every change of every alert's state, including changes no webhook announces (an
    /// agent recovering while others still violate), in time order.
    pub history: Vec<AlertChange>,
}

/// What playing a scenario produces, one at a time, in play order (see
/// [`crate::compile::Events`]): a [`Timeline`] is all of them collected.
#[derive(Clone, Debug)]
pub enum Event {
    /// A notification to deliver by webhook.
    Notification(TimedNotification),
    /// A change of an alert's state (what the mock API serves).
    Change(AlertChange),
}

/// One alert's state from `offset` on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertChange {
    /// Time since the scenario started.
    pub offset: Duration,
    /// Instant on the account's clock.
    pub at: TeDate,
    /// The alert as it stands from then on.
    pub alert: AlertSnapshot,
}

/// An alert of either kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlertSnapshot {
    /// A test alert. Shared: the player keeps a live alert and records it as one value.
    Test(Arc<TestAlert>),
    /// An agent notification.
    Agent(AgentNotification),
}

impl AlertSnapshot {
    /// A key unique per alert across both kinds.
    pub fn key(&self) -> (u8, u64) {
        match self {
            AlertSnapshot::Test(alert) => (0, alert.number),
            AlertSnapshot::Agent(notice) => (1, notice.number),
        }
    }
}

impl Timeline {
    /// Each alert that exists at `offset`, in the state it has then, in trigger order.
    pub fn alerts_at(&self, offset: Duration) -> Vec<&AlertSnapshot> {
        let mut latest: Vec<&AlertSnapshot> = Vec::new();
        let mut index_of = std::collections::HashMap::new();
        for change in self
            .history
            .iter()
            .take_while(|change| change.offset <= offset)
        {
            match index_of.get(&change.alert.key()) {
                Some(&index) => latest[index] = &change.alert,
                None => {
                    index_of.insert(change.alert.key(), latest.len());
                    latest.push(&change.alert);
                }
            }
        }
        latest
    }

    /// Total length of the scenario: the offset of its last event.
    pub fn duration(&self) -> Duration {
        let last_notification = self.notifications.last().map(|timed| timed.offset);
        let last_change = self.history.last().map(|change| change.offset);
        last_notification.max(last_change).unwrap_or_default()
    }
}
