//! What the webhooks announce, the API shows: same alertId, rule, test and agents while
//! active; after the clear, out of the default list but in windowed ones with its end.

use std::collections::BTreeSet;

use tesim_model::webhook::{AlertBody, EventBody};
use tesim_model::{Profile, render};

use super::support::{Server, config, scenario, start_with};

fn find<'a>(list: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    list.as_array()
        .unwrap()
        .iter()
        .find(|alert| match &alert["alertId"] {
            serde_json::Value::String(text) => text == id,
            other => other
                .as_u64()
                .is_some_and(|number| number.to_string() == id),
        })
}

fn agent_ids(agents: &serde_json::Value, key: &str) -> BTreeSet<String> {
    agents
        .as_array()
        .unwrap()
        .iter()
        .map(|agent| agent[key].to_string().trim_matches('"').to_owned())
        .collect()
}

async fn check(name: &str, profile: Profile) {
    let timeline = scenario(name);
    let notifications = timeline.notifications.clone();
    let config = tesim_api::Config {
        profile,
        ..config()
    };
    let server: Server = start_with(timeline, config, std::time::Duration::ZERO).await;
    let mut n_checked = 0;
    for timed in &notifications {
        server.at(timed.offset);
        let event = render(profile, timed);
        let (alert, cleared) = match &event.body {
            EventBody::AlertTrigger(AlertBody::Test(alert)) => (alert, false),
            EventBody::AlertClear(AlertBody::Test(alert)) => (alert, true),
            _ => continue,
        };
        n_checked += 1;
        let id = alert.alert_id.to_string();
        let webhook_agents: BTreeSet<String> = alert
            .agents
            .as_ref()
            .unwrap()
            .iter()
            .map(|agent| agent.agent_id.to_string())
            .collect();
        let context = format!("{name} {profile} {} alert {id}", event.event_type());

        let active_v6 = server.ok("/v6/alerts.json").await;
        let active_v7 = server.ok("/v7/alerts").await;
        let windowed_v6 = server.ok("/v6/alerts.json?window=5d").await;
        let windowed_v7 = server.ok("/v7/alerts?window=5d").await;
        let v6 = find(&windowed_v6["alert"], &id)
            .unwrap_or_else(|| panic!("{context}: not in v6 window"));
        let v7 = find(&windowed_v7["alerts"], &id)
            .unwrap_or_else(|| panic!("{context}: not in v7 window"));
        assert_eq!(v6["ruleId"], alert.rule_id, "{context}");
        assert_eq!(v6["testId"], alert.test_id, "{context}");
        assert_eq!(v6["ruleName"], alert.rule_name.as_str(), "{context}");
        assert_eq!(
            v6["permalink"],
            alert.permalink.as_deref().unwrap(),
            "{context}"
        );
        assert_eq!(
            agent_ids(&v6["agents"], "agentId"),
            webhook_agents,
            "{context}"
        );
        assert_eq!(v7["ruleId"], alert.rule_id, "{context}");
        // `tests.json` names the test as the webhook does (15 digits in modern-2025).
        let tests = server.ok("/v6/tests.json").await;
        assert!(
            tests["test"]
                .as_array()
                .unwrap()
                .iter()
                .any(|test| test["testId"] == alert.test_id),
            "{context}: testId {} not in tests.json",
            alert.test_id
        );
        let test = server
            .ok(&format!("/v6/tests/{}.json", alert.test_id))
            .await;
        assert_eq!(test["test"][0]["testId"], alert.test_id, "{context}");
        assert!(
            v7["_links"]["test"]["href"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/{}", alert.test_id))
        );
        let detail = server
            .ok(&format!("/v7/alerts/{}", v7["id"].as_str().unwrap()))
            .await;
        assert_eq!(
            agent_ids(&detail["details"], "id"),
            webhook_agents,
            "{context}"
        );
        if cleared {
            assert!(
                find(&active_v6["alert"], &id).is_none(),
                "{context}: still active in v6"
            );
            assert!(
                find(&active_v7["alerts"], &id).is_none(),
                "{context}: still active in v7"
            );
            let end = alert.date_end.unwrap();
            assert_eq!(v6["dateEnd"], end.classic(), "{context}");
            assert_eq!(v7["endDate"], end.iso(), "{context}");
            if let Some(active) = alert.active {
                assert_eq!(v6["active"], active.code(), "{context}");
            }
            assert_eq!(detail["state"], "clear", "{context}");
        } else {
            assert!(
                find(&active_v6["alert"], &id).is_some(),
                "{context}: not active in v6"
            );
            assert!(
                find(&active_v7["alerts"], &id).is_some(),
                "{context}: not active in v7"
            );
            assert_eq!(v6["dateStart"], alert.date_start.classic(), "{context}");
            assert_eq!(v6["active"], 1, "{context}");
            assert_eq!(detail["state"], "trigger", "{context}");
        }
    }
    assert!(
        n_checked >= 2,
        "{name}: only {n_checked} alert notifications"
    );
}

#[tokio::test]
async fn page_load_webhooks_match_the_api() {
    for profile in Profile::ALL {
        check("page-load", profile).await;
    }
}

#[tokio::test]
async fn rule_deleted_while_active_webhooks_match_the_api() {
    for profile in Profile::ALL {
        check("rule-deleted-while-active", profile).await;
    }
}

#[tokio::test]
async fn default_scenario_webhooks_match_the_api() {
    check("default", Profile::V6_2021).await;
}

#[tokio::test]
async fn agent_notifications_are_v7_agent_alerts() {
    let timeline = scenario("agent-clock-offset");
    let notifications = timeline.notifications.clone();
    let config = tesim_api::Config {
        profile: Profile::Modern2025,
        ..config()
    };
    let server = start_with(timeline, config, std::time::Duration::ZERO).await;
    let trigger = render(Profile::Modern2025, &notifications[0]);
    let EventBody::AlertTrigger(AlertBody::Agent(agent)) = &trigger.body else {
        panic!("{trigger:?}");
    };
    let id = agent.alert_id.as_ref().unwrap().to_string();
    let list = server.ok("/v7/alerts").await;
    let alert = find(&list["alerts"], &id).expect("agent notification in the v7 list");
    assert_eq!(alert["alertType"], "agent");
    assert_eq!(alert["ruleId"], agent.rule_id.unwrap());
    assert!(alert["_links"].get("test").is_none());
    let detail = server
        .ok(&format!("/v7/alerts/{}", alert["id"].as_str().unwrap()))
        .await;
    assert_eq!(detail["details"][0]["id"], agent.agent_id.to_string());
    assert!(
        server.ok("/v6/alerts.json").await["alert"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    server.at(notifications[1].offset);
    assert!(find(&server.ok("/v7/alerts").await["alerts"], &id).is_none());
    let windowed = server.ok("/v7/alerts?window=1d").await;
    let alert = find(&windowed["alerts"], &id).expect("cleared agent notification in a window");
    assert_eq!(alert["alertState"], "clear");
}
