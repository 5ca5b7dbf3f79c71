//! The observation hook's answer (`tesim.observation/v1`), read loosely: only the event ids
//! processed and the alerts with their states matter to the checks.

use serde_json::Value;

/// The observation hook's view, read loosely.
pub(crate) struct Observation {
    event_ids: Vec<String>,
    alerts: Vec<(String, String)>,
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
                Some((id, state))
            })
            .collect();
        Ok(Self { event_ids, alerts })
    }

    pub(crate) fn count_event(&self, event_id: &str) -> usize {
        self.event_ids.iter().filter(|id| *id == event_id).count()
    }

    pub(crate) fn alert_states(&self, alert_id: &str) -> Vec<&str> {
        self.alerts
            .iter()
            .filter(|(id, _)| id == alert_id)
            .map(|(_, state)| state.as_str())
            .collect()
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
        let err = Observation::parse(&serde_json::json!({"events": []})).err();
        assert_eq!(err.as_deref(), Some("it has no `alerts` array"));
    }
}
