//! Every complete example of the reference (§1.7) parses, and bad input names the field.

use tesim_model::webhook::{Active, AlertBody, AlertId, EventBody};
use tesim_model::{EventType, ParseError, parse_event, samples};

#[test]
fn every_reference_sample_parses() {
    let cases = [
        (samples::KB2014_WEBHOOK_TEST, EventType::WebhookTest, None),
        (
            samples::KB2014_TRIGGER,
            EventType::AlertNotificationTrigger,
            Some("35541"),
        ),
        (
            samples::KB2014_CLEAR,
            EventType::AlertNotificationClear,
            Some("35541"),
        ),
        (
            samples::V6_2021_HTTP_SERVER_TRIGGER,
            EventType::AlertNotificationTrigger,
            Some("76947300"),
        ),
        (
            samples::KB2014_AGENT_TRIGGER,
            EventType::AgentAlertNotificationTrigger,
            Some("5744505"),
        ),
        (
            samples::KB2014_AGENT_CLEAR,
            EventType::AgentAlertNotificationClear,
            Some("5003852"),
        ),
        (
            samples::MODERN_2025_AGENT_TRIGGER,
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
    let event = parse_event(samples::V6_2021_HTTP_SERVER_TRIGGER).unwrap();
    let EventBody::AlertTrigger(AlertBody::Test(alert)) = event.body else {
        panic!("{event:?}")
    };
    assert_eq!(alert.alert_id, AlertId::Number(76947300));
    assert_eq!(alert.active, Some(Active::Active));
    assert_eq!(alert.agents.unwrap()[0].metrics_at_end, "");

    let event = parse_event(samples::MODERN_2025_AGENT_TRIGGER).unwrap();
    assert!(
        matches!(event.body, EventBody::AlertTrigger(AlertBody::Agent(_))),
        "{event:?}"
    );
}

#[test]
fn unknown_fields_are_ignored() {
    let text = samples::KB2014_TRIGGER.replacen(
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
    let text = samples::KB2014_TRIGGER.replacen(
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
    let text =
        samples::KB2014_TRIGGER.replacen("\"ruleName\":\"Default Page Load Alert Rule\",", "", 1);
    check_error(&text, "field `alert.ruleName`: missing field");
    let text = samples::KB2014_AGENT_TRIGGER.replacen("\"agentId\":25694,", "", 1);
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
    let text = samples::V6_2021_HTTP_SERVER_TRIGGER.replacen(
        "\"active\":1,\"ruleExpression\"",
        "\"active\":7,\"ruleExpression\"",
        1,
    );
    let err = parse_event(&text).unwrap_err();
    assert_eq!(err.path(), Some("alert.active"), "{err}");
    assert!(matches!(parse_event("{not json"), Err(ParseError::Json(_))));
}
