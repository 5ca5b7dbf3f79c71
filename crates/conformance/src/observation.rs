//! The observation hook's answer (`tesim.observation/v1`), read loosely: the event ids
//! processed and the alerts with their states matter to the checks, and, when the hook gives
//! them (optional fields), each alert's stored `ruleId`, `testId` and `start`.

use serde_json::Value;

/// The observation hook's view, read loosely.
pub(crate) struct Observation {
    event_ids: Vec<String>,
    alerts: Vec<ObservedAlert>,
}

/// One alert record as the hook lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ObservedAlert {
    pub(crate) id: String,
    /// Lowercase `state`.
    pub(crate) state: String,
    pub(crate) rule_id: Option<String>,
    pub(crate) test_id: Option<String>,
    /// `start` as the hook wrote it: RFC 3339 text or epoch seconds.
    pub(crate) start: Option<Value>,
}

impl ObservedAlert {
    /// `start` as epoch seconds; `Err` names what is wrong with it.
    pub(crate) fn start_epoch(&self) -> Option<Result<i64, String>> {
        let start = self.start.as_ref()?;
        Some(match start {
            Value::Number(number) => number
                .as_i64()
                .ok_or_else(|| format!("`start` {number} is not whole epoch seconds")),
            Value::String(text) => {
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                    .map(time::OffsetDateTime::unix_timestamp)
                    .map_err(|err| format!("`start` {text:?} is not RFC 3339 ({err})"))
            }
            other => Err(format!(
                "`start` {other} is neither RFC 3339 text nor epoch seconds"
            )),
        })
    }
}

fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

impl Observation {
    pub(crate) fn parse(json: &Value) -> Result<Self, String> {
        let events = json
            .get("events")
            .and_then(Value::as_array)
            .ok_or("it has no `events` array")?;
        let alerts = json
            .get("alerts")
            .and_then(Value::as_array)
            .ok_or("it has no `alerts` array")?;
        let event_ids = events
            .iter()
            .filter_map(|event| id_text(Some(event)).or_else(|| id_text(event.get("eventId"))))
            .collect();
        let alerts = alerts
            .iter()
            .filter_map(|alert| {
                let id = id_text(alert.get("alertId"))?;
                let state = alert
                    .get("state")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_ascii_lowercase();
                Some(ObservedAlert {
                    id,
                    state,
                    rule_id: id_text(alert.get("ruleId")),
                    test_id: id_text(alert.get("testId")),
                    start: alert.get("start").filter(|start| !start.is_null()).cloned(),
                })
            })
            .collect();
        Ok(Self { event_ids, alerts })
    }

    pub(crate) fn count_event(&self, event_id: &str) -> usize {
        self.event_ids.iter().filter(|id| *id == event_id).count()
    }

    pub(crate) fn alert_states(&self, alert_id: &str) -> Vec<&str> {
        self.alerts(alert_id)
            .into_iter()
            .map(|alert| alert.state.as_str())
            .collect()
    }

    /// The records of `alert_id`, compared exactly as text.
    pub(crate) fn alerts(&self, alert_id: &str) -> Vec<&ObservedAlert> {
        self.alerts
            .iter()
            .filter(|alert| alert.id == alert_id)
            .collect()
    }

    /// Every alert id the hook lists.
    pub(crate) fn alert_ids(&self) -> impl Iterator<Item = &str> {
        self.alerts.iter().map(|alert| alert.id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_as_strings_or_numbers_and_names_what_is_missing() {
        let json = serde_json::json!({
            "events": [{"eventId": "1-2"}, "1-2", {"eventId": 7}],
            "alerts": [{"alertId": 5, "state": "CLEARED"}, {"alertId": "u"}],
        });
        let observation = Observation::parse(&json).unwrap();
        assert_eq!(observation.count_event("1-2"), 2);
        assert_eq!(observation.count_event("7"), 1);
        assert_eq!(observation.alert_states("5"), ["cleared"]);
        assert_eq!(observation.alert_states("u"), [""]);
        let with_start = Observation::parse(&serde_json::json!({"events": [], "alerts": [
            {"alertId": 1, "start": "2025-01-15T10:00:00-05:00", "ruleId": 562949953421312u64},
            {"alertId": 2, "start": 1736953200},
            {"alertId": 3, "start": "yesterday"},
        ]}))
        .unwrap();
        let start = |id: &str| with_start.alerts(id)[0].start_epoch();
        assert_eq!(start("1"), Some(Ok(1_736_953_200)));
        assert_eq!(start("2"), Some(Ok(1_736_953_200)));
        assert!(matches!(start("3"), Some(Err(_))));
        assert_eq!(
            with_start.alerts("1")[0].rule_id.as_deref(),
            Some("562949953421312")
        );
        assert_eq!(observation.alerts("5")[0].start_epoch(), None);
        let err = Observation::parse(&serde_json::json!({"events": []})).err();
        assert_eq!(err.as_deref(), Some("it has no `alerts` array"));
    }
}
