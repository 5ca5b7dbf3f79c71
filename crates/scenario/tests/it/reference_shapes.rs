//! Every example payload of the reference (§1.7, §6) is reproduced structurally by a shipped
//! scenario in some profile: the same key paths with the same kinds of value (small or large
//! integer, UUID, plain or zoned date, epoch seconds, other string, empty or non-empty array).

use std::collections::BTreeMap;

use serde_json::Value;
use tesim_model::{Profile, render};
use tesim_scenario::{Options, load};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    SmallInt,
    LargeInt,
    Uuid,
    PlainDate,
    ZonedDate,
    Text,
    EmptyArray,
    Other,
}

fn kind(value: &Value) -> Kind {
    match value {
        Value::Number(number) => match number.as_u64() {
            Some(n) if n > u64::from(u32::MAX) => Kind::LargeInt,
            _ => Kind::SmallInt,
        },
        Value::String(text) => {
            let shape: String = text
                .chars()
                .map(|c| if c.is_ascii_digit() { 'd' } else { c })
                .collect();
            if uuid_like(text) {
                Kind::Uuid
            } else if shape == "dddd-dd-dd dd:dd:dd" {
                Kind::PlainDate
            } else if shape.len() > 20 && shape.starts_with("dddd-dd-dd dd:dd:dd ") {
                Kind::ZonedDate
            } else {
                Kind::Text
            }
        }
        Value::Array(items) if items.is_empty() => Kind::EmptyArray,
        _ => Kind::Other,
    }
}

fn uuid_like(text: &str) -> bool {
    let groups: Vec<usize> = text.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12] && text.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

/// Every leaf path (`alert.agents[].agentId`) with the kinds of value seen there.
fn shape(value: &Value, path: String, out: &mut BTreeMap<String, Vec<Kind>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                shape(child, child_path, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                shape(item, format!("{path}[]"), out);
            }
        }
        leaf => {
            let kinds = out.entry(path).or_default();
            let kind = kind(leaf);
            if !kinds.contains(&kind) {
                kinds.push(kind);
                kinds.sort();
            }
        }
    }
}

/// `eventId` halves: `<n>-<n>` or `<uuid>--<uuid>`, with each number's size.
fn event_id_shape(event_id: &str) -> String {
    event_id
        .split('-')
        .map(|part| match part.parse::<u64>() {
            Ok(n) if n > u64::from(u32::MAX) => "L",
            Ok(_) => "n",
            Err(_) => "x",
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn shapes(value: &Value, ignore: &[&str]) -> (BTreeMap<String, Vec<Kind>>, String) {
    let mut out = BTreeMap::new();
    shape(value, String::new(), &mut out);
    out.remove("eventId");
    for path in ignore {
        out.remove(*path);
    }
    let event_id = value["eventId"].as_str().unwrap();
    (out, event_id_shape(event_id))
}

/// `sample` has the shape of the `index`-th notification of `scenario` rendered in `profile`,
/// apart from the `ignore`d paths.
fn check(sample: &str, scenario: &str, profile: Profile, index: usize, ignore: &[&str]) {
    let timeline = load(scenario).unwrap().compile(Options::default()).unwrap();
    let rendered: Value =
        serde_json::from_str(&render(profile, &timeline.notifications[index]).to_json()).unwrap();
    let sample: Value = serde_json::from_str(sample).unwrap();
    let (want, want_id) = shapes(&sample, ignore);
    let (got, got_id) = shapes(&rendered, ignore);
    assert_eq!(
        got, want,
        "{scenario} {profile} #{index} differs in shape from the sample\nrendered: {rendered:#}"
    );
    assert_eq!(
        got_id, want_id,
        "{scenario} {profile} #{index}: eventId shape"
    );
}

#[test]
fn kb_webhook_test() {
    check(
        r#"{"eventType":"WEBHOOK_TEST","eventId":"1415733887743"}"#,
        "webhook-test",
        Profile::Kb2014,
        0,
        &[],
    );
}

const KB_TRIGGER: &str = r#"{"eventType":"ALERT_NOTIFICATION_TRIGGER","eventId":"49-35541",
 "alert":{"ruleId":173,"alertId":35541,"testId":5370,"testName":"http://www.thousandeyes111.com",
  "ruleExpression":"Page Load is incomplete","dateStart":"2014-08-24 01:01:47","violationCount":2,
  "ruleName":"Default Page Load Alert Rule",
  "agents":[
   {"dateStart":"2014-08-24 01:01:47","active":1,"metricsAtStart":"Page load: Incomplete","metricsAtEnd":"Page Load: Incomplete",
    "agentId":108,"agentName":"Boston, MA","locationName":"Boston, MA",
    "permalink":"https://app.thousandeyes.com/alerts/list?__a=11&alertId=35541&agentId=108"}],
  "type":"Page Load","permalink":"https://app.thousandeyes.com/alerts/list?__a=11&alertId=35541",
  "apiLinks":[{"rel":"related","href":"http://api.thousandeyes.com/tests/5370"},
              {"rel":"data","href":"http://api.thousandeyes.com/web/page-load/5370"}]}}"#;

#[test]
fn kb_trigger_and_clear() {
    check(KB_TRIGGER, "page-load", Profile::Kb2014, 0, &[]);
    let clear = KB_TRIGGER
        .replace("ALERT_NOTIFICATION_TRIGGER", "ALERT_NOTIFICATION_CLEAR")
        .replace(
            r#""dateStart":"2014-08-24 01:01:47","active":1"#,
            r#""dateStart":"2014-08-24 01:01:47","dateEnd":"2014-08-24 01:09:47","active":0"#,
        )
        .replace(
            r#""violationCount":2"#,
            r#""dateEnd":"2014-08-24 01:09:51","violationCount":2"#,
        );
    check(&clear, "page-load", Profile::Kb2014, 1, &[]);
}

#[test]
fn kb_agent_trigger_and_clear() {
    check(
        r#"{"eventType":"AGENT_ALERT_NOTIFICATION_TRIGGER","eventId":"164522-5744505",
 "agentAlert":{"agentRuleId":43587,"agentNotificationId":5744505,"agentId":25694,"hostname":"TE-AGENT1.local.lan",
  "agentName":"Packet1","ipAddress":"147.75.199.171","active":1,"ruleExpression":"Clock Offset ≤ 60 seconds",
  "ruleName":"Default Agent Clock Offset Notification","dateStart":1476987748,
  "metricsAtStart":"Clock Offset: 20 seconds","metricsAtEnd":""}}"#,
        "agent-clock-offset",
        Profile::Kb2014,
        0,
        &[],
    );
    check(
        r#"{"eventType":"AGENT_ALERT_NOTIFICATION_CLEAR","eventId":"164534-5003852",
 "agentAlert":{"agentRuleId":43587,"agentNotificationId":5003852,"agentId":13558,"hostname":"cluster-agent2",
  "agentName":"cluster-agent2","ipAddress":"10.100.20.110","active":0,"ruleExpression":"Clock Offset ≤ 60 seconds",
  "ruleName":"Default Agent Clock Offset Notification","dateStart":1467175574,"dateEnd":1476987748,
  "metricsAtStart":"Clock Offset: 130 seconds","metricsAtEnd":"Clock Offset: 130 seconds"}}"#,
        "agent-clock-offset",
        Profile::Kb2014,
        1,
        &[],
    );
}

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

#[test]
fn tebot_2021_trigger_and_rule_removed_clear() {
    check(
        TEBOT_TRIGGER,
        "rule-deleted-while-active",
        Profile::V6_2021,
        0,
        &[],
    );
    let clear = TEBOT_TRIGGER
        .replace("ALERT_NOTIFICATION_TRIGGER", "ALERT_NOTIFICATION_CLEAR")
        .replace(
            r#""dateStart":"2021-05-02 10:15:20","active":1"#,
            r#""dateStart":"2021-05-02 10:15:20","dateEnd":"2021-05-02 10:19:17","active":2"#,
        )
        .replace(
            r#""violationCount":1"#,
            r#""dateEnd":"2021-05-02 10:19:17","violationCount":1"#,
        );
    let removed = (0..4)
        .find(|index| {
            let timeline = load("rule-deleted-while-active")
                .unwrap()
                .compile(Options::default())
                .unwrap();
            render(Profile::V6_2021, &timeline.notifications[*index])
                .to_json()
                .contains(r#""active":2"#)
        })
        .unwrap();
    check(
        &clear,
        "rule-deleted-while-active",
        Profile::V6_2021,
        removed,
        &[],
    );
}

/// [ezabala], February 2022 (EST): no `severity` in that capture, which v6-2022 writes (the
/// April capture has it), so `alert.severity` is not compared.
const EZABALA_CLEAR: &str = r#"{"alert":{"active":0,"agents":[{"active":0,"agentId":20739,
 "agentName":"Guadalajara, Mexico (Trial)","dateEnd":"2022-02-19 08:12:00","dateStart":"2022-02-18 20:25:00",
 "metricsAtEnd":"Error: \"\"","metricsAtStart":"Error: \"502 Bad Gateway\"",
 "permalink":"https://app.thousandeyes.com/alerts/list/?__a=415786&alertId=108505079&agentId=20739"}],
 "alertId":108505079,"apiLinks":[{"href":"https://api.thousandeyes.com/v4/tests/2585349","rel":"related"},
 {"href":"https://api.thousandeyes.com/v4/web/http-server/2585349","rel":"data"}],
 "dateEnd":"2022-02-19 08:12:00","dateEndZoned":"2022-02-19 08:12:00 EST","dateStart":"2022-02-18 20:25:00",
 "dateStartZoned":"2022-02-18 20:25:00 EST",
 "permalink":"https://app.thousandeyes.com/alerts/list/?__a=415786&alertId=108505079","ruleAid":415786,
 "ruleExpression":"Error is present","ruleId":1927034,"ruleName":"Webhook Thousand Eyes","testId":2585349,
 "testLabels":[],"testName":"TD Bank Web Server ","testTargetsDescription":["https://6ffa-192-226-134-67.ngrok.io"],
 "type":"HTTP Server","violationCount":1},"eventId":"367417671-108505079","eventType":"ALERT_NOTIFICATION_CLEAR"}"#;

#[test]
fn ezabala_2022_trigger_and_clear() {
    // trigger-only: #0 the trigger of the rule without clear notifications, #2 the other
    // rule's clear.
    let trigger = EZABALA_CLEAR
        .replace("ALERT_NOTIFICATION_CLEAR", "ALERT_NOTIFICATION_TRIGGER")
        .replace(r#""active":0"#, r#""active":1"#)
        .replace(r#""dateEnd":"2022-02-19 08:12:00","#, "")
        .replace(r#""dateEndZoned":"2022-02-19 08:12:00 EST","#, "");
    check(
        &trigger,
        "trigger-only",
        Profile::V6_2022,
        0,
        &["alert.severity"],
    );
    check(
        EZABALA_CLEAR,
        "trigger-only",
        Profile::V6_2022,
        2,
        &["alert.severity"],
    );
}

/// [keep] 2025: an agent notification (15-digit ids, under `alert` and `agentAlert`).
const KEEP_AGENT: &str = r#"{"eventId":"562949953436734-562949955000593","alert":{"severity":"Info",
 "dateStartZoned":"2025-03-24 17:28:40 UTC","agentId":562949953424211,"ipAddress":"172.17.0.2","agentName":"te",
 "ruleExpression":"Last Contact ≥ 6 minutes ago","type":"Agent","ruleAid":562949953552543,"hostname":"te",
 "dateStart":"2025-03-24 17:28:40","ruleName":"Default Agent Offline Notification","alertId":562949955000593,
 "ruleId":562949953553310},"eventType":"ALERT_NOTIFICATION_TRIGGER","agentAlert":{"severity":"Info",
 "dateStartZoned":"2025-03-24 17:28:40 UTC","agentId":562949953424211,"ipAddress":"172.17.0.2","agentName":"te",
 "ruleExpression":"Last Contact ≥ 6 minutes ago","type":"Agent","ruleAid":562949953552543,"hostname":"te",
 "dateStart":"2025-03-24 17:28:40","ruleName":"Default Agent Offline Notification","alertId":562949955000593,
 "ruleId":562949953553310}}"#;

/// [keep] 2025: a test-alert clear (UUID `alertId`, 15-digit test, rule and label ids, a
/// small cloud-agent id).
const KEEP_CLEAR: &str = r#"{"eventId":"9437a575-4b00-44a2-899a-41d1134eef08--5abda706-c065-40fa-aa8c-059c3ac1ea9d",
 "alert":{"severity":"Info","dateStartZoned":"2025-03-17 19:43:00 UTC",
 "apiLinks":[{"rel":"related","href":"https://api.thousandeyes.com/v4/tests/562949953502258"},
 {"rel":"data","href":"https://api.thousandeyes.com/v4/web/http-server/562949953502258"}],
 "testLabels":[{"id":562949953465712,"name":"Web Server"}],"active":0,"ruleExpression":"Response Code is not OK (2xx)",
 "dateEnd":"2025-03-24 17:21:00","type":"HTTP Server","ruleAid":562949953552543,
 "agents":[{"dateStart":"2025-03-17 19:43:00","dateEnd":"2025-03-24 17:21:00","active":0,
 "metricsAtStart":"Response Code: 502","metricsAtEnd":"Response Code: 200",
 "permalink":"https://app.thousandeyes.com/alerts/list/?__a=562949953552543&alertId=5abda706-c065-40fa-aa8c-059c3ac1ea9d&agentId=4503",
 "agentId":4503,"agentName":"Hong Kong (Trial)"}],"testTargetsDescription":["https://pdf.ezhil.dev"],
 "violationCount":1,"dateStart":"2025-03-17 19:43:00","dateEndZoned":"2025-03-24 17:21:00 UTC","ruleName":"PDF Test",
 "testId":562949953502258,"alertId":"5abda706-c065-40fa-aa8c-059c3ac1ea9d","ruleId":562949955720954,
 "permalink":"https://app.thousandeyes.com/alerts/list/?__a=562949953552543&alertId=5abda706-c065-40fa-aa8c-059c3ac1ea9d",
 "testName":"https://pdf.ezhil.dev - HTTP Server"},"eventType":"ALERT_NOTIFICATION_CLEAR"}"#;

#[test]
fn keep_2025_agent_trigger_and_test_clear() {
    check(KEEP_AGENT, "agent-offline", Profile::Modern2025, 0, &[]);
    let timeline = load("default")
        .unwrap()
        .compile(Options::default())
        .unwrap();
    let clear = timeline
        .notifications
        .iter()
        .position(|timed| {
            let json = render(Profile::Modern2025, timed).to_json();
            json.contains("ALERT_NOTIFICATION_CLEAR") && json.contains(r#""active":0"#)
        })
        .unwrap();
    check(KEEP_CLEAR, "default", Profile::Modern2025, clear, &[]);
}
