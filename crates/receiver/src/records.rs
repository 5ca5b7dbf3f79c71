//! What a reference receiver did with the events it accepted, served as JSON by the
//! observation hook (`tesim.observation/v1`, documented in `docs/checks.md`).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::capture::EventSummary;

/// Schema name of the observation document.
pub const OBSERVATION_SCHEMA: &str = "tesim.observation/v1";

/// The observation document: events processed and alerts as the receiver understands them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Records {
    /// Always [`OBSERVATION_SCHEMA`].
    pub schema: String,
    /// One entry each time an event was processed (a correct receiver lists an `eventId` once).
    pub events: Vec<ProcessedEvent>,
    /// One entry per correlated alert (trigger and clear of one alert share an entry).
    pub alerts: Vec<AlertRecord>,
}

/// One processing of one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessedEvent {
    /// `eventId` as sent.
    pub event_id: String,
    /// `eventType` as sent.
    pub event_type: String,
    /// The correlation key, when the event concerns an alert.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub alert_id: Option<String>,
}

/// State of one alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRecord {
    /// The correlation key (`alertId`, or `agentNotificationId` for KB-era agent notifications).
    pub alert_id: String,
    /// `"test"` or `"agent"`.
    pub kind: String,
    /// `"active"` or `"cleared"`.
    pub state: String,
    /// `ruleName` when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rule_name: Option<String>,
    /// Triggers processed for this alert.
    pub triggers: u32,
    /// Clears processed for this alert.
    pub clears: u32,
}

/// Mutable state behind [`Records`].
#[derive(Debug, Default)]
pub(crate) struct RecordBook {
    events: Vec<ProcessedEvent>,
    alerts: BTreeMap<String, AlertRecord>,
    alert_order: Vec<String>,
    seen: HashSet<String>,
}

impl RecordBook {
    /// Processes one accepted notification. `dedupe` false reprocesses repeated `eventId`s
    /// (the broken `ReprocessDuplicates` receiver); `by_event_id` keys alerts by `eventId`
    /// (the broken `CorrelateByEventId` receiver).
    pub(crate) fn process(&mut self, event: &EventSummary, dedupe: bool, by_event_id: bool) {
        let Some(event_id) = event.event_id.clone() else {
            return;
        };
        let first_time = self.seen.insert(event_id.clone());
        if dedupe && !first_time {
            return;
        }
        self.events.push(ProcessedEvent {
            event_id,
            event_type: event.event_type.clone(),
            alert_id: event.alert_id.clone(),
        });
        let key = if by_event_id {
            event.event_id.clone()
        } else {
            event.alert_id.clone()
        };
        let Some(alert_id) = key.filter(|_| event.alert_id.is_some()) else {
            return;
        };
        let record = self.alerts.entry(alert_id.clone()).or_insert_with(|| {
            self.alert_order.push(alert_id.clone());
            AlertRecord {
                alert_id,
                kind: if event.is_agent_alert {
                    "agent"
                } else {
                    "test"
                }
                .to_owned(),
                state: "active".to_owned(),
                rule_name: None,
                triggers: 0,
                clears: 0,
            }
        });
        if record.rule_name.is_none() {
            record.rule_name.clone_from(&event.rule_name);
        }
        if event.is_clear() {
            record.clears += 1;
            record.state = "cleared".to_owned();
        } else {
            // alertIds are unique per alert occurrence (reference §1.3), so a trigger arriving
            // after its clear is late, not a new alert: the alert stays cleared.
            record.triggers += 1;
        }
    }

    pub(crate) fn snapshot(&self) -> Records {
        Records {
            schema: OBSERVATION_SCHEMA.to_owned(),
            events: self.events.clone(),
            alerts: self
                .alert_order
                .iter()
                .filter_map(|id| self.alerts.get(id))
                .cloned()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, event_id: &str, alert_id: &str) -> EventSummary {
        EventSummary {
            event_type: event_type.into(),
            event_id: Some(event_id.into()),
            alert_id: Some(alert_id.into()),
            ..EventSummary::default()
        }
    }

    #[test]
    fn correlates_and_dedupes() {
        let mut book = RecordBook::default();
        book.process(
            &event("ALERT_NOTIFICATION_TRIGGER", "1-7", "7"),
            true,
            false,
        );
        book.process(
            &event("ALERT_NOTIFICATION_TRIGGER", "1-7", "7"),
            true,
            false,
        );
        book.process(&event("ALERT_NOTIFICATION_CLEAR", "2-7", "7"), true, false);
        let records = book.snapshot();
        assert_eq!(records.events.len(), 2);
        assert_eq!(records.alerts.len(), 1);
        assert_eq!(
            (records.alerts[0].state.as_str(), records.alerts[0].triggers),
            ("cleared", 1)
        );
    }

    #[test]
    fn clear_before_trigger_stays_cleared() {
        let mut book = RecordBook::default();
        book.process(&event("ALERT_NOTIFICATION_CLEAR", "2-8", "8"), true, false);
        book.process(
            &event("ALERT_NOTIFICATION_TRIGGER", "1-8", "8"),
            true,
            false,
        );
        let records = book.snapshot();
        assert_eq!(records.alerts.len(), 1);
        assert_eq!(records.alerts[0].state, "cleared");
    }

    #[test]
    fn correlating_by_event_id_splits_an_alert() {
        let mut book = RecordBook::default();
        book.process(&event("ALERT_NOTIFICATION_TRIGGER", "1-7", "7"), true, true);
        book.process(&event("ALERT_NOTIFICATION_CLEAR", "2-7", "7"), true, true);
        let states: Vec<_> = book
            .snapshot()
            .alerts
            .into_iter()
            .map(|alert| (alert.alert_id, alert.state))
            .collect();
        assert_eq!(
            states,
            [
                ("1-7".to_owned(), "active".to_owned()),
                ("2-7".to_owned(), "cleared".to_owned())
            ]
        );
    }

    #[test]
    fn reprocessing_lists_duplicates() {
        let mut book = RecordBook::default();
        book.process(
            &event("ALERT_NOTIFICATION_TRIGGER", "1-7", "7"),
            false,
            false,
        );
        book.process(
            &event("ALERT_NOTIFICATION_TRIGGER", "1-7", "7"),
            false,
            false,
        );
        assert_eq!(book.snapshot().events.len(), 2);
    }
}
