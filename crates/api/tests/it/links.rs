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
