//! Every complete example of the reference (§1.7) parses, and bad input names the field.

use tesim_model::webhook::{Active, AlertBody, AlertId, EventBody};
use tesim_model::{EventType, ParseError, parse_event};

const KB_WEBHOOK_TEST: &str = r#"{"eventType":"WEBHOOK_TEST","eventId":"1415733887743"}"#;

const KB_TRIGGER: &str = r#"{"eventType":"ALERT_NOTIFICATION_TRIGGER","eventId":"49-35541",
 "alert":{"ruleId":173,"alertId":35541,"testId":5370,"testName":"http://www.thousandeyes111.com",
  "ruleExpression":"Page Load is incomplete","dateStart":"2014-08-24 01:01:47","violationCount":2,
  "ruleName":"Default Page Load Alert Rule",
  "agents":[
   {"dateStart":"2014-08-24 01:01:47","active":1,"metricsAtStart":"Page load: Incomplete","metricsAtEnd":"Page Load: Incomplete",
    "agentId":108,"agentName":"Boston, MA","locationName":"Boston, MA",
    "permalink":"https://app.thousandeyes.com/alerts/list?__a=11&alertId=35541&agentId=108"},
   {"dateStart":"2014-08-24 01:00:51","active":1,"metricsAtStart":"Page load: Incomplete","metricsAtEnd":"Page Load: Incomplete",
    "agentId":107,"agentName":"Vancouver, Canada","locationName":"Vancouver, Canada",
    "permalink":"https://app.thousandeyes.com/alerts/list?__a=11&alertId=35541&agentId=107"}],
  "type":"Page Load","permalink":"https://app.thousandeyes.com/alerts/list?__a=11&alertId=35541",
  "apiLinks":[{"rel":"related","href":"http://api.thousandeyes.com/tests/5370"},
              {"rel":"data","href":"http://api.thousandeyes.com/web/page-load/5370"}]}}"#;

/// Reconstructed from the reference's description of the KB clear sample.
const KB_CLEAR: &str = r#"{"eventType":"ALERT_NOTIFICATION_CLEAR","eventId":"49-35546",
 "alert":{"ruleId":173,"alertId":35541,"testId":5370,"testName":"http://www.thousandeyes111.com",
  "ruleExpression":"Page Load is incomplete","dateStart":"2014-08-24 01:01:47","dateEnd":"2014-08-24 01:09:51","violationCount":2,
  "ruleName":"Default Page Load Alert Rule",
  "agents":[
   {"dateStart":"2014-08-24 01:01:47","dateEnd":"2014-08-24 01:09:47","active":0,"metricsAtStart":"Page load: Incomplete","metricsAtEnd":"Page Load: Complete",
    "agentId":108,"agentName":"Boston, MA","locationName":"Boston, MA",
    "permalink":"https://app.thousandeyes.com/alerts/list?__a=11&alertId=35541&agentId=108"},
   {"dateStart":"2014-08-24 01:01:51","dateEnd":"2014-08-24 01:09:51","active":0,"metricsAtStart":"Page load: Incomplete","metricsAtEnd":"Page Load: Complete",
    "agentId":107,"agentName":"Vancouver, Canada","locationName":"Vancouver, Canada",
    "permalink":"https://app.thousandeyes.com/alerts/list?__a=11&alertId=35541&agentId=107"}],
  "type":"Page Load","permalink":"https://app.thousandeyes.com/alerts/list?__a=11&alertId=35541",
  "apiLinks":[{"rel":"related","href":"http://api.thousandeyes.com/tests/5370"},
              {"rel":"data","href":"http://api.thousandeyes.com/web/page-load/5370"}]}}"#;

const TEBOT_TRIGGER: &str = r#"{"eventId":"205646496-76947300","eventType":"ALERT_NOTIFICATION_TRIGGER",
 "alert":{"apiLinks":[{"rel":"related","href":"https://api.thousandeyes.com/v4/tests/2032597"},
                      {"rel":"data","href":"https://api.thousandeyes.com/v4/web/http-server/2032597"}],
  "testLabels":[],"active":1,"ruleExpression":"Error Type is \"Connect\" or Response Code is client error (4xx)",
  "type":"HTTP Server","ruleAid":0,
  "agents":[{"dateStart":"2021-05-02 10:15:20","active":1,"metricsAtStart":"Response Code: 401","metricsAtEnd":"",
    "permalink":"https://app.thousandeyes.com/alerts/list/?__a=236091&alertId=76947300&agentId=55416",
    "agentId":55416,"agentName":"San Jose, CA (Verizon)"}],
  "testTargetsDescription":["https://calliope-a.wbx2.com"],"violationCount":1,"dateStart":"2021-05-02 10:15:20",
  "ruleName":"Caliope Connect Error","testId":2032597,"alertId":76947300,"ruleId":1422847,
  "permalink":"https://app.thousandeyes.com/alerts/list/?__a=236091&alertId=76947300",
  "testName":"https://calliope-a.wbx2.com Cloud"}}"#;

const KB_AGENT_TRIGGER: &str = r#"{"eventType":"AGENT_ALERT_NOTIFICATION_TRIGGER","eventId":"164522-5744505",
 "agentAlert":{"agentRuleId":43587,"agentNotificationId":5744505,"agentId":25694,"hostname":"TE-AGENT1.local.lan",
  "agentName":"Packet1","ipAddress":"147.75.199.171","active":1,"ruleExpression":"Clock Offset ≤ 60 seconds",
  "ruleName":"Default Agent Clock Offset Notification","dateStart":1476987748,
  "metricsAtStart":"Clock Offset: 20 seconds","metricsAtEnd":""}}"#;

const KB_AGENT_CLEAR: &str = r#"{"eventType":"AGENT_ALERT_NOTIFICATION_CLEAR","eventId":"164534-5003852",
 "agentAlert":{"agentRuleId":43587,"agentNotificationId":5003852,"agentId":13558,"hostname":"cluster-agent2",
  "agentName":"cluster-agent2","ipAddress":"10.100.20.110","active":0,"ruleExpression":"Clock Offset ≤ 60 seconds",
  "ruleName":"Default Agent Clock Offset Notification","dateStart":1467175574,"dateEnd":1476987748,
  "metricsAtStart":"Clock Offset: 130 seconds","metricsAtEnd":"Clock Offset: 130 seconds"}}"#;

/// The 2025 agent shape [keep], in its envelope.
const KEEP_AGENT: &str = r#"{"eventType":"ALERT_NOTIFICATION_TRIGGER","eventId":"562949953436734-562949955000593",
 "alert":{"severity":"Info","dateStartZoned":"2025-03-24 17:28:40 UTC","agentId":562949953436734,"ipAddress":"203.0.113.5",
  "agentName":"branch","ruleExpression":"Last Contact ≥ 6 minutes ago","type":"Agent","ruleAid":2067002,"hostname":"branch.local",
  "dateStart":"2025-03-24 17:28:40","ruleName":"Default Agent Offline Notification","alertId":562949955000593,"ruleId":2411},
 "agentAlert":{"severity":"Info","dateStartZoned":"2025-03-24 17:28:40 UTC","agentId":562949953436734,"ipAddress":"203.0.113.5",
  "agentName":"branch","ruleExpression":"Last Contact ≥ 6 minutes ago","type":"Agent","ruleAid":2067002,"hostname":"branch.local",
  "dateStart":"2025-03-24 17:28:40","ruleName":"Default Agent Offline Notification","alertId":562949955000593,"ruleId":2411}}"#;

#[test]
fn every_reference_sample_parses() {
    let cases = [
        (KB_WEBHOOK_TEST, EventType::WebhookTest, None),
        (
            KB_TRIGGER,
            EventType::AlertNotificationTrigger,
            Some("35541"),
        ),
        (KB_CLEAR, EventType::AlertNotificationClear, Some("35541")),
        (
            TEBOT_TRIGGER,
            EventType::AlertNotificationTrigger,
            Some("76947300"),
        ),
        (
            KB_AGENT_TRIGGER,
            EventType::AgentAlertNotificationTrigger,
            Some("5744505"),
        ),
        (
            KB_AGENT_CLEAR,
            EventType::AgentAlertNotificationClear,
            Some("5003852"),
        ),
        (
            KEEP_AGENT,
            EventType::AlertNotificationTrigger,
            Some("562949955000593"),
        ),
    ];
    for (text, event_type, correlation) in cases {
        let event = parse_event(text).unwrap_or_else(|err| panic!("{err}\n{text}"));
        assert_eq!(event.event_type(), event_type);
        assert_eq!(event.correlation_id().as_deref(), correlation);
    }
}

#[test]
fn samples_keep_their_meaning() {
    let event = parse_event(TEBOT_TRIGGER).unwrap();
    let EventBody::AlertTrigger(AlertBody::Test(alert)) = event.body else {
        panic!("{event:?}")
    };
    assert_eq!(alert.alert_id, AlertId::Number(76947300));
    assert_eq!(alert.active, Some(Active::Active));
    assert_eq!(alert.agents.unwrap()[0].metrics_at_end, "");

    let event = parse_event(KEEP_AGENT).unwrap();
    assert!(
        matches!(event.body, EventBody::AlertTrigger(AlertBody::Agent(_))),
        "{event:?}"
    );
}

#[test]
fn unknown_fields_are_ignored() {
    let text = KB_TRIGGER.replacen(
        "\"ruleId\":173",
        "\"ruleId\":173,\"customerTicket\":{\"id\":7}",
        1,
    );
    parse_event(&text).unwrap();
}

fn check_error(text: &str, expected: &str) {
    let err = parse_event(text).unwrap_err();
    assert_eq!(err.to_string(), expected);
}

#[test]
fn malformed_date_names_the_field_and_format() {
    let text = KB_TRIGGER.replacen(
        "\"dateStart\":\"2014-08-24 01:00:51\"",
        "\"dateStart\":\"2014-08-24T01:00:51Z\"",
        1,
    );
    check_error(
        &text,
        "field `alert.agents[1].dateStart`: invalid date `2014-08-24T01:00:51Z`: expected `YYYY-MM-DD hh:mm:ss` in UTC, e.g. `2014-08-24 01:01:47`",
    );
}

#[test]
fn missing_required_field_is_named() {
    let text = KB_TRIGGER.replacen("\"ruleName\":\"Default Page Load Alert Rule\",", "", 1);
    check_error(&text, "field `alert.ruleName`: missing field");
    let text = KB_AGENT_TRIGGER.replacen("\"agentId\":25694,", "", 1);
    check_error(&text, "field `agentAlert.agentId`: missing field");
    check_error(r#"{"eventId":"1"}"#, "field `eventType`: missing field");
    check_error(
        r#"{"eventType":"ALERT_NOTIFICATION_TRIGGER","eventId":"1"}"#,
        "field `alert`: missing field",
    );
}

#[test]
fn wrong_types_and_values_are_explained() {
    check_error(
        r#"{"eventType":"WEBHOOK_TEST","eventId":1415733887743}"#,
        "field `eventId`: expected a string",
    );
    let err = parse_event(r#"{"eventType":"ALERT_FIRED","eventId":"1"}"#).unwrap_err();
    assert!(
        err.to_string().contains("unknown event type `ALERT_FIRED`"),
        "{err}"
    );
    let text = TEBOT_TRIGGER.replacen(
        "\"active\":1,\"ruleExpression\"",
        "\"active\":7,\"ruleExpression\"",
        1,
    );
    let err = parse_event(&text).unwrap_err();
    assert_eq!(err.path(), Some("alert.active"), "{err}");
    assert!(matches!(parse_event("{not json"), Err(ParseError::Json(_))));
}
