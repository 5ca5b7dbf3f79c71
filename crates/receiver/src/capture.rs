//! What the receiver saw: one [`CapturedRequest`] per request, and a loose reading of the
//! ThousandEyes payload inside it for one-line summaries.

use std::fmt::Write as _;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

/// One request as the receiver got it, and what it answered.
#[derive(Clone, Debug)]
pub struct CapturedRequest {
    /// Request method.
    pub method: Method,
    /// Path and query, as sent (`/hook?x=1`).
    pub path_and_query: String,
    /// Request headers, as sent (including `Authorization`: do not print them blindly).
    pub headers: HeaderMap,
    /// Request body bytes.
    pub body: Bytes,
    /// The body parsed as JSON, when it parses.
    pub json: Option<Value>,
    /// When the request was fully read.
    pub received_at: SystemTime,
    /// Which connection it came on (numbered from 1 per server): equal ids mean keep-alive reuse.
    pub connection_id: u64,
    /// The status answered; `None` when the receiver did not answer (hang, close).
    pub answered: Option<StatusCode>,
}

impl CapturedRequest {
    /// The ThousandEyes notification in the body, read loosely; `None` when the body is not a
    /// JSON object with an `eventType`.
    pub fn event(&self) -> Option<EventSummary> {
        self.json.as_ref().and_then(EventSummary::from_json)
    }

    /// One line for humans, safe to print: secret query parameters masked, control characters
    /// escaped. E.g.
    /// `POST /hook -> 200  ALERT_NOTIFICATION_TRIGGER eventId=49-35541 alertId=35541 rule="Default Page Load Alert Rule" agents=[Boston, MA; Vancouver, Canada]`.
    pub fn summary(&self) -> String {
        let answered = match self.answered {
            Some(status) => status.as_u16().to_string(),
            None => "no answer".to_owned(),
        };
        let mut line = format!(
            "{} {} -> {answered}  ",
            self.method,
            crate::mask::mask_query(&self.path_and_query)
        );
        match self.event() {
            Some(event) => line.push_str(&event.to_string()),
            None => {
                let content_type = self
                    .headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("no content-type");
                let _ = write!(line, "{} bytes ({content_type})", self.body.len());
                if self.json.is_none() && !self.body.is_empty() {
                    line.push_str(", not JSON");
                }
            }
        }
        // Every part came from the network: no control character reaches a terminal.
        crate::mask::escape_control(&line).into_owned()
    }
}

/// The parts of a ThousandEyes notification a human wants to see, read loosely from JSON so
/// that every payload profile of the reference (kb2014, v6-2021, modern-2025) and unknown
/// future fields are understood.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventSummary {
    /// `eventType`, e.g. `ALERT_NOTIFICATION_TRIGGER`.
    pub event_type: String,
    /// `eventId` (a string in every sample; numbers are shown as written).
    pub event_id: Option<String>,
    /// Whether this is an agent notification: `AGENT_ALERT_NOTIFICATION_*` (kb2014, v6) or
    /// `ALERT_NOTIFICATION_*` with `alert.type == "Agent"` (modern-2025, reference §1.3).
    pub is_agent_alert: bool,
    /// The key that correlates trigger and clear: `alert.alertId` for test alerts;
    /// `agentAlert.agentNotificationId`, else `agentAlert.alertId`, else `alert.alertId` for
    /// agent notifications.
    pub alert_id: Option<String>,
    /// `ruleName` of the alert or agent notification.
    pub rule_name: Option<String>,
    /// `testName` of a test alert.
    pub test_name: Option<String>,
    /// Agent names: `alert.agents[].agentName`, or the notified agent's `agentName`.
    pub agents: Vec<String>,
}

impl EventSummary {
    /// Reads a notification loosely; `None` unless `json` is an object with a string `eventType`.
    pub fn from_json(json: &Value) -> Option<Self> {
        let event_type = json.get("eventType")?.as_str()?.to_owned();
        let alert = json.get("alert").filter(|value| value.is_object());
        let agent_alert = json.get("agentAlert").filter(|value| value.is_object());
        let is_agent_alert = event_type.starts_with("AGENT_")
            || agent_alert.is_some()
            || alert
                .and_then(|alert| alert.get("type"))
                .and_then(Value::as_str)
                == Some("Agent");
        let body = if is_agent_alert {
            agent_alert.or(alert)
        } else {
            alert
        };
        let alert_id = if is_agent_alert {
            agent_alert
                .and_then(|agent| {
                    id_text(agent.get("agentNotificationId"))
                        .or_else(|| id_text(agent.get("alertId")))
                })
                .or_else(|| alert.and_then(|alert| id_text(alert.get("alertId"))))
        } else {
            alert.and_then(|alert| id_text(alert.get("alertId")))
        };
        let text = |key: &str| {
            body.and_then(|body| body.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let agents = if is_agent_alert {
            text("agentName").into_iter().collect()
        } else {
            body.and_then(|body| body.get("agents"))
                .and_then(Value::as_array)
                .map(|agents| {
                    agents
                        .iter()
                        .filter_map(|agent| agent.get("agentName").and_then(Value::as_str))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(Self {
            event_id: id_text(json.get("eventId")),
            is_agent_alert,
            alert_id,
            rule_name: text("ruleName"),
            test_name: if is_agent_alert {
                None
            } else {
                text("testName")
            },
            agents,
            event_type,
        })
    }

    /// Whether the event clears an alert (`…_CLEAR`).
    pub fn is_clear(&self) -> bool {
        self.event_type.ends_with("_CLEAR")
    }
}

/// Shows ids whether they are JSON strings (every sample) or numbers (loose receivers).
pub(crate) fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

impl std::fmt::Display for EventSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.event_type)?;
        if self.is_agent_alert && !self.event_type.starts_with("AGENT_") {
            f.write_str(" (agent)")?;
        }
        if let Some(event_id) = &self.event_id {
            write!(f, " eventId={event_id}")?;
        }
        if let Some(alert_id) = &self.alert_id {
            let label = if self.is_agent_alert {
                "notification"
            } else {
                "alertId"
            };
            write!(f, " {label}={alert_id}")?;
        }
        if let Some(rule_name) = &self.rule_name {
            write!(f, " rule={rule_name:?}")?;
        }
        if self.is_agent_alert {
            if let Some(agent) = self.agents.first() {
                write!(f, " agent={agent:?}")?;
            }
        } else {
            if let Some(test_name) = &self.test_name {
                write!(f, " test={test_name:?}")?;
            }
            if !self.agents.is_empty() {
                // A 1,000-agent alert must still print one readable line.
                const SHOWN: usize = 3;
                write!(
                    f,
                    " agents=[{}",
                    self.agents
                        .iter()
                        .take(SHOWN)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; ")
                )?;
                if self.agents.len() > SHOWN {
                    write!(f, "; +{} more", self.agents.len() - SHOWN)?;
                }
                f.write_str("]")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(json: Value, expected: &str) {
        let summary = EventSummary::from_json(&json).expect("a notification");
        assert_eq!(summary.to_string(), expected);
    }

    #[test]
    fn webhook_test() {
        check(
            json!({"eventType":"WEBHOOK_TEST","eventId":"1415733887743"}),
            "WEBHOOK_TEST eventId=1415733887743",
        );
    }

    #[test]
    fn kb2014_trigger() {
        check(
            serde_json::from_str(tesim_model::samples::KB2014_TRIGGER).unwrap(),
            r#"ALERT_NOTIFICATION_TRIGGER eventId=49-35541 alertId=35541 rule="Default Page Load Alert Rule" test="http://www.thousandeyes111.com" agents=[Boston, MA; Vancouver, Canada]"#,
        );
    }

    #[test]
    fn kb2014_agent_clear() {
        check(
            json!({"eventType":"AGENT_ALERT_NOTIFICATION_CLEAR","eventId":"164534-5003852",
                "agentAlert":{"agentNotificationId":5003852,"agentName":"cluster-agent2","ruleName":"Default Agent Clock Offset Notification"}}),
            r#"AGENT_ALERT_NOTIFICATION_CLEAR eventId=164534-5003852 notification=5003852 rule="Default Agent Clock Offset Notification" agent="cluster-agent2""#,
        );
    }

    #[test]
    fn modern_agent_alert_uses_agent_alert_copy() {
        let agent = json!({"type":"Agent","alertId":"5abd","agentName":"te-agent-1","ruleName":"Default Agent Offline Notification"});
        check(
            json!({"eventType":"ALERT_NOTIFICATION_TRIGGER","eventId":"x--5abd","alert":agent.clone(),"agentAlert":agent}),
            r#"ALERT_NOTIFICATION_TRIGGER (agent) eventId=x--5abd notification=5abd rule="Default Agent Offline Notification" agent="te-agent-1""#,
        );
    }

    #[test]
    fn many_agents_are_elided() {
        let agents: Vec<Value> = (0..1000)
            .map(|n| json!({"agentName": format!("a{n}")}))
            .collect();
        check(
            json!({"eventType":"ALERT_NOTIFICATION_CLEAR","eventId":"1-2","alert":{"alertId":"2","agents":agents}}),
            "ALERT_NOTIFICATION_CLEAR eventId=1-2 alertId=2 agents=[a0; a1; a2; +997 more]",
        );
    }

    #[test]
    fn summary_is_safe_to_print() {
        let json = json!({"eventType":"ALERT_NOTIFICATION_TRIGGER\u{1b}[2J","eventId":"1"});
        let request = CapturedRequest {
            method: http::Method::POST,
            path_and_query: "/hook?token=s3cret&x=1".to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::from(json.to_string()),
            json: Some(json),
            received_at: SystemTime::UNIX_EPOCH,
            connection_id: 1,
            answered: Some(StatusCode::OK),
        };
        let line = request.summary();
        assert!(
            !line.contains('\u{1b}') && line.contains("\\u{1b}[2J"),
            "{line}"
        );
        assert!(
            !line.contains("s3cret") && line.contains("token=***"),
            "{line}"
        );
    }

    #[test]
    fn not_a_notification() {
        assert_eq!(EventSummary::from_json(&json!({"hello": 1})), None);
        assert_eq!(EventSummary::from_json(&json!([1, 2])), None);
    }
}
