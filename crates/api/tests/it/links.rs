//! The links in bodies lead to answers of this mock.

use super::support::{PUBLIC_URL, at, start};

fn path_of(href: &serde_json::Value) -> String {
    let href = href.as_str().unwrap();
    href.strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("{href} leaves the mock"))
        .to_owned()
}

#[tokio::test]
async fn alert_links_resolve() {
    let server = start("page-load", at(1, 0)).await;
    let list = server.ok("/v7/alerts").await;
    let alert = &list["alerts"][0];
    let detail = server.ok(&path_of(&alert["_links"]["self"]["href"])).await;
    assert_eq!(detail["id"], alert["id"]);
    let rule = server.ok(&path_of(&alert["_links"]["rule"]["href"])).await;
    assert_eq!(rule["ruleId"], "173");
    assert_eq!(rule["ruleName"], "Default Page Load Alert Rule");
    assert_eq!(rule["isDefault"], true);
    assert_eq!(rule["alertType"], "page-load");
    assert_eq!(rule["testIds"], serde_json::json!(["5370"]));
    let rules = server.ok("/v7/alerts/rules").await;
    assert_eq!(rules["alertRules"].as_array().unwrap().len(), 1);
    let tests = server.ok("/v6/tests.json").await;
    let self_link = &tests["test"][0]["apiLinks"][0];
    assert_eq!(self_link["rel"], "self");
    assert_eq!(
        server.ok(&path_of(&self_link["href"])).await,
        serde_json::json!({"test": [tests["test"][0].clone()]})
    );
}

/// Every `_links` href in a body, except `appLink` (the web app, not the API).
fn hrefs(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(links)) = map.get("_links") {
                for (rel, link) in links {
                    if rel != "appLink" {
                        found.push(path_of(&link["href"]));
                    }
                }
            }
            map.values().for_each(|value| hrefs(value, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| hrefs(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn every_link_in_every_v7_body_resolves() {
    let mut followed = std::collections::BTreeSet::new();
    for name in ["default", "page-load", "agent-offline", "day-in-the-life"] {
        let timeline = super::support::scenario(name);
        let end = timeline.duration();
        let server = super::support::start_with(timeline, super::support::config(), end).await;
        let mut queue = vec![
            "/v7/alerts?window=30d&max=5".to_owned(),
            "/v7/alerts/rules".to_owned(),
        ];
        let mut seen = std::collections::BTreeSet::new();
        // Bounded: a scenario has a few hundred alerts at most, each with four links.
        while let Some(path) = queue.pop() {
            if !seen.insert(path.clone()) || seen.len() > 5_000 {
                continue;
            }
            let body = server.ok(&path).await;
            let mut found = Vec::new();
            hrefs(&body, &mut found);
            queue.extend(found);
        }
        assert!(seen.len() > 2, "{name}: {seen:?}");
        followed.extend(
            seen.into_iter()
                .map(|path| path.split('/').take(3).collect::<Vec<_>>().join("/")),
        );
    }
    // Alert lists, alert details (test and agent alerts), rules and tests were all reached.
    assert!(followed.contains("/v7/tests"), "{followed:?}");
    assert!(followed.contains("/v7/alerts"), "{followed:?}");
}
