//! What a reference receiver did with the events it accepted, served as JSON by the
//! observation hook (`tesim.observation/v1`, documented in `docs/checks.md`).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::capture::{EventSummary, id_text};
use crate::config::Mode;

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
    /// `ruleId` as stored (optional in the contract: lets a checker see truncated ids).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rule_id: Option<String>,
    /// `testId` as stored, for test alerts (optional, as `rule_id`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub test_id: Option<String>,
    /// When the alert started, as the receiver understood `dateStart`: an RFC 3339 instant
    /// (optional in the contract: lets a checker see a zone mistaken for UTC).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub start: Option<String>,
    /// Triggers processed for this alert.
    pub triggers: u32,
    /// Clears processed for this alert.
    pub clears: u32,
}

/// How a reference receiver processes what it accepted: correct, or broken in one way.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Behaviour {
    /// Skip an `eventId` already processed (`ReprocessDuplicates` does not).
    pub(crate) dedupe: bool,
    /// Key alerts by `eventId` (`CorrelateByEventId`).
    pub(crate) by_event_id: bool,
    /// Drop `ALERT_NOTIFICATION_*` agent notifications (`IgnoreAgentAlerts`).
    pub(crate) ignore_modern_agent: bool,
    /// Keep numeric ids in 32 bits (`IdsAs32Bit`).
    pub(crate) ids_32bit: bool,
    /// Read `dateStart` as UTC (`DateStartAsUtc`).
    pub(crate) date_start_as_utc: bool,
    /// One open incident per rule and test (`BlockAfterUncleared`).
    pub(crate) block_after_uncleared: bool,
}

impl Behaviour {
    pub(crate) fn of(mode: &Mode) -> Self {
        Self {
            // `ReprocessConcurrentRetry` decides on arrival instead (see the server).
            dedupe: !matches!(
                mode,
                Mode::ReprocessDuplicates | Mode::ReprocessConcurrentRetry
            ),
            by_event_id: *mode == Mode::CorrelateByEventId,
            ignore_modern_agent: *mode == Mode::IgnoreAgentAlerts,
            ids_32bit: *mode == Mode::IdsAs32Bit,
            date_start_as_utc: *mode == Mode::DateStartAsUtc,
            block_after_uncleared: *mode == Mode::BlockAfterUncleared,
        }
    }
}

impl Default for Behaviour {
    fn default() -> Self {
        Self::of(&Mode::Correct)
    }
}

/// What a receiver reads from a notification beyond its [`EventSummary`]: ids and the start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    rule_id: Option<String>,
    test_id: Option<String>,
    date_start: Option<Value>,
    date_start_zoned: Option<String>,
}

impl Facts {
    /// Reads the body (`agentAlert` for agent notifications, else `alert`) loosely.
    pub(crate) fn from_json(json: Option<&Value>, event: &EventSummary) -> Self {
        let Some(json) = json else {
            return Self::default();
        };
        let body = if event.is_agent_alert {
            json.get("agentAlert").or_else(|| json.get("alert"))
        } else {
            json.get("alert")
        };
        let Some(body) = body.filter(|body| body.is_object()) else {
            return Self::default();
        };
        Self {
            rule_id: id_text(body.get("ruleId").or_else(|| body.get("agentRuleId"))),
            test_id: id_text(body.get("testId")),
            date_start: body.get("dateStart").cloned(),
            date_start_zoned: body
                .get("dateStartZoned")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }

    /// The instant `dateStart` names: epoch seconds as they are; a classic wall-clock string
    /// in the zone `dateStartZoned` names (UTC without one, or when `as_utc`).
    pub(crate) fn start(&self, as_utc: bool) -> Option<OffsetDateTime> {
        match self.date_start.as_ref()? {
            Value::Number(number) => OffsetDateTime::from_unix_timestamp(number.as_i64()?).ok(),
            Value::String(text) => {
                let format = time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute]:[second]"
                );
                let wall = PrimitiveDateTime::parse(text, &format).ok()?;
                let offset = match (&self.date_start_zoned, as_utc) {
                    (Some(zoned), false) => zone_offset(zoned.rsplit(' ').next()?)?,
                    _ => UtcOffset::UTC,
                };
                Some(wall.assume_offset(offset).to_offset(UtcOffset::UTC))
            }
            _ => None,
        }
    }
}

/// The offset of a zone abbreviation as ThousandEyes writes it in `*Zoned` dates (`EST`,
/// `EDT`, `CEST`) or a numeric one (`+03`, `+0530`). Abbreviations are ambiguous in general
/// (`CST`, `IST`); this reads them as the zones ThousandEyes accounts most often use, which is
/// what a receiver without the account's zone configured can do.
pub(crate) fn zone_offset(abbreviation: &str) -> Option<UtcOffset> {
    let hours_minutes: (i8, i8) = match abbreviation {
        "UTC" | "GMT" | "Z" | "WET" => (0, 0),
        "BST" | "CET" | "WEST" => (1, 0),
        "CEST" | "EET" | "SAST" => (2, 0),
        "EEST" | "MSK" => (3, 0),
        "IST" => (5, 30),
        "SGT" | "HKT" | "AWST" => (8, 0),
        "JST" | "KST" => (9, 0),
        "AEST" => (10, 0),
        "AEDT" => (11, 0),
        "NZST" => (12, 0),
        "NZDT" => (13, 0),
        "ADT" => (-3, 0),
        "AST" | "EDT" => (-4, 0),
        "EST" | "CDT" => (-5, 0),
        "CST" | "MDT" => (-6, 0),
        "MST" | "PDT" => (-7, 0),
        "PST" | "AKDT" => (-8, 0),
        "AKST" => (-9, 0),
        "HST" => (-10, 0),
        numeric => {
            let (sign, digits) = match numeric.as_bytes().first()? {
                b'+' => (1, &numeric[1..]),
                b'-' => (-1, &numeric[1..]),
                _ => return None,
            };
            let digits = digits.replace(':', "");
            if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
                return None;
            }
            let (hours, minutes) = match digits.len() {
                2 => (digits.parse::<i8>().ok()?, 0),
                4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
                _ => return None,
            };
            (sign * hours, sign * minutes)
        }
    };
    UtcOffset::from_hms(hours_minutes.0, hours_minutes.1, 0).ok()
}

/// A numeric id as a 32-bit store keeps it (the low 32 bits); other ids unchanged.
fn as_32bit(id: String) -> String {
    match id.parse::<u64>() {
        Ok(number) if number > u64::from(u32::MAX) => (number as u32).to_string(),
        _ => id,
    }
}

/// Mutable state behind [`Records`].
#[derive(Debug, Default)]
pub(crate) struct RecordBook {
    events: Vec<ProcessedEvent>,
    alerts: BTreeMap<String, AlertRecord>,
    alert_order: Vec<String>,
    seen: HashSet<String>,
    /// `BlockAfterUncleared`: the open alert of each (ruleId, testId).
    open_incidents: BTreeMap<(String, String), String>,
}

impl RecordBook {
    /// Whether `event_id` was processed already.
    pub(crate) fn has_processed(&self, event_id: &str) -> bool {
        self.seen.contains(event_id)
    }

    /// Processes one accepted notification as `behaviour` says.
    pub(crate) fn process(&mut self, event: &EventSummary, facts: &Facts, behaviour: Behaviour) {
        let Some(event_id) = event.event_id.clone() else {
            return;
        };
        if behaviour.ignore_modern_agent
            && event.is_agent_alert
            && !event.event_type.starts_with("AGENT_")
        {
            return;
        }
        let keep_id = |id: Option<String>| {
            if behaviour.ids_32bit {
                id.map(as_32bit)
            } else {
                id
            }
        };
        let alert_id = keep_id(event.alert_id.clone());
        let (rule_id, test_id) = (
            keep_id(facts.rule_id.clone()),
            keep_id(facts.test_id.clone()),
        );
        if behaviour.block_after_uncleared
            && !self.incident_allows(event, &alert_id, &rule_id, &test_id)
        {
            return;
        }
        let first_time = self.seen.insert(event_id.clone());
        if behaviour.dedupe && !first_time {
            return;
        }
        self.events.push(ProcessedEvent {
            event_id,
            event_type: event.event_type.clone(),
            alert_id: alert_id.clone(),
        });
        let key = if behaviour.by_event_id {
            event.event_id.clone()
        } else {
            alert_id
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
                rule_id: None,
                test_id: None,
                start: None,
                triggers: 0,
                clears: 0,
            }
        });
        if record.rule_name.is_none() {
            record.rule_name.clone_from(&event.rule_name);
        }
        if record.rule_id.is_none() {
            record.rule_id = rule_id;
        }
        if record.test_id.is_none() {
            record.test_id = test_id;
        }
        if record.start.is_none() {
            record.start = facts
                .start(behaviour.date_start_as_utc)
                .and_then(|start| start.format(&Rfc3339).ok());
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

    /// `BlockAfterUncleared`: whether the one-incident-per-rule-and-test logic lets the
    /// event through, updating the open incidents.
    fn incident_allows(
        &mut self,
        event: &EventSummary,
        alert_id: &Option<String>,
        rule_id: &Option<String>,
        test_id: &Option<String>,
    ) -> bool {
        let (Some(alert_id), Some(rule_id), Some(test_id)) = (alert_id, rule_id, test_id) else {
            return true;
        };
        let key = (rule_id.clone(), test_id.clone());
        match self.open_incidents.get(&key) {
            Some(open) if open != alert_id => false,
            Some(_) if event.is_clear() => {
                self.open_incidents.remove(&key);
                true
            }
            Some(_) => true,
            None => {
                if !event.is_clear() {
                    self.open_incidents.insert(key, alert_id.clone());
                }
                true
            }
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

    fn behaviour(dedupe: bool, by_event_id: bool) -> Behaviour {
        Behaviour {
            dedupe,
            by_event_id,
            ..Behaviour::default()
        }
    }

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
            &Facts::default(),
            behaviour(true, false),
        );
        book.process(
            &event("ALERT_NOTIFICATION_TRIGGER", "1-7", "7"),
            &Facts::default(),
            behaviour(true, false),
        );
        book.process(
            &event("ALERT_NOTIFICATION_CLEAR", "2-7", "7"),
            &Facts::default(),
            behaviour(true, false),
        );
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
        book.process(
            &event("ALERT_NOTIFICATION_CLEAR", "2-8", "8"),
            &Facts::default(),
            behaviour(true, false),
        );
        book.process(
            &event("ALERT_NOTIFICATION_TRIGGER", "1-8", "8"),
            &Facts::default(),
            behaviour(true, false),
        );
        let records = book.snapshot();
        assert_eq!(records.alerts.len(), 1);
        assert_eq!(records.alerts[0].state, "cleared");
    }

    #[test]
    fn correlating_by_event_id_splits_an_alert() {
        let mut book = RecordBook::default();
        book.process(
            &event("ALERT_NOTIFICATION_TRIGGER", "1-7", "7"),
            &Facts::default(),
            behaviour(true, true),
        );
        book.process(
            &event("ALERT_NOTIFICATION_CLEAR", "2-7", "7"),
            &Facts::default(),
            behaviour(true, true),
        );
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
            &Facts::default(),
            behaviour(false, false),
        );
        book.process(
            &event("ALERT_NOTIFICATION_TRIGGER", "1-7", "7"),
            &Facts::default(),
            behaviour(false, false),
        );
        assert_eq!(book.snapshot().events.len(), 2);
    }

    fn facts(json: serde_json::Value) -> (EventSummary, Facts) {
        let event = EventSummary::from_json(&json).unwrap();
        let facts = Facts::from_json(Some(&json), &event);
        (event, facts)
    }

    #[test]
    fn start_reads_the_zone_of_date_start_zoned() {
        let (_, zoned) = facts(
            serde_json::json!({"eventType": "ALERT_NOTIFICATION_TRIGGER",
            "alert": {"dateStart": "2025-01-15 10:00:00", "dateStartZoned": "2025-01-15 10:00:00 EST"}}),
        );
        let start = |as_utc| zoned.start(as_utc).unwrap().format(&Rfc3339).unwrap();
        assert_eq!(start(false), "2025-01-15T15:00:00Z");
        assert_eq!(start(true), "2025-01-15T10:00:00Z");
        let (_, epoch) = facts(
            serde_json::json!({"eventType": "AGENT_ALERT_NOTIFICATION_TRIGGER",
            "agentAlert": {"dateStart": 1476987748}}),
        );
        assert_eq!(epoch.start(false).unwrap().unix_timestamp(), 1476987748);
        for (abbreviation, seconds) in [("EDT", -4 * 3600), ("+0530", 19800), ("-03", -10800)] {
            assert_eq!(zone_offset(abbreviation).unwrap().whole_seconds(), seconds);
        }
        assert_eq!(zone_offset("XYZ"), None);
    }

    #[test]
    fn broken_behaviours_lose_what_they_should() {
        let json = serde_json::json!({"eventType": "ALERT_NOTIFICATION_TRIGGER", "eventId": "1-562949953502258",
            "alert": {"type": "Agent", "alertId": 562949953502258u64, "ruleId": 562949955720954u64}});
        let (event, facts) = facts(json);
        let mut truncating = RecordBook::default();
        let ids_32bit = Behaviour {
            ids_32bit: true,
            ..Behaviour::default()
        };
        truncating.process(&event, &facts, ids_32bit);
        let record = &truncating.snapshot().alerts[0];
        assert_eq!(record.alert_id, (562949953502258u64 as u32).to_string());
        assert_eq!(
            record.rule_id.as_deref(),
            Some(&*(562949955720954u64 as u32).to_string())
        );
        let mut ignoring = RecordBook::default();
        let ignore = Behaviour {
            ignore_modern_agent: true,
            ..Behaviour::default()
        };
        ignoring.process(&event, &facts, ignore);
        assert!(ignoring.snapshot().alerts.is_empty());
    }

    #[test]
    fn one_incident_per_rule_and_test_blocks_later_alerts() {
        let block = Behaviour {
            block_after_uncleared: true,
            ..Behaviour::default()
        };
        let notification = |event_type: &str, event_id: &str, alert_id: u64| {
            facts(
                serde_json::json!({"eventType": event_type, "eventId": event_id,
                "alert": {"alertId": alert_id, "ruleId": 1, "testId": 2}}),
            )
        };
        let mut book = RecordBook::default();
        for (event_type, event_id, alert_id) in [
            ("ALERT_NOTIFICATION_TRIGGER", "1-7", 7),
            ("ALERT_NOTIFICATION_TRIGGER", "2-8", 8),
            ("ALERT_NOTIFICATION_CLEAR", "3-8", 8),
        ] {
            let (event, facts) = notification(event_type, event_id, alert_id);
            book.process(&event, &facts, block);
        }
        let ids: Vec<String> = book
            .snapshot()
            .alerts
            .into_iter()
            .map(|alert| alert.alert_id)
            .collect();
        assert_eq!(ids, ["7"]);
    }
}
