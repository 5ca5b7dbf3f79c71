//! `--with-api`: the API agrees with each webhook before it is sent.

use http::{HeaderMap, HeaderValue, Method};
use tesim_model::{Notification, Profile};
use tesim_pipeline::{EmbeddedApi, plan};
use tesim_sender::{Client, ClientConfig, Target};

async fn v6_alerts(client: &Client, api: &EmbeddedApi, query: &str) -> serde_json::Value {
    let target: Target = format!("{}/v6/alerts.json{query}", api.url)
        .parse()
        .unwrap();
    let mut headers = HeaderMap::new();
    // Basic tesim@example.com:tesim-token, the documented defaults.
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("Basic dGVzaW1AZXhhbXBsZS5jb206dGVzaW0tdG9rZW4="),
    );
    let response = client
        .request(Method::GET, &target, &headers, bytes::Bytes::new())
        .await
        .unwrap();
    serde_json::from_slice(&response.body).unwrap()
}

#[tokio::test]
async fn api_agrees_with_each_webhook_before_it_is_sent() {
    let timeline = plan::timeline("page-load", 1, None).unwrap();
    let api = EmbeddedApi::start("127.0.0.1:0".parse().unwrap(), &timeline, Profile::Kb2014)
        .await
        .unwrap();
    assert!(api.how_to_call().contains(&api.url));
    let client = Client::new(&ClientConfig::default()).unwrap();
    let hook = api.before_send();
    let [trigger, clear] = &timeline.notifications[..] else {
        panic!("page-load has two events")
    };
    let Notification::AlertTrigger(alert) = &trigger.notification else {
        panic!()
    };

    (hook.0)(trigger.offset);
    let active = v6_alerts(&client, &api, "").await;
    assert_eq!(active["alert"][0]["alertId"], alert.number, "{active}");
    assert_eq!(active["alert"][0]["ruleName"], alert.rule.name.as_str());
    assert_eq!(active["alert"][0]["agents"].as_array().unwrap().len(), 2);

    (hook.0)(clear.offset);
    let active = v6_alerts(&client, &api, "").await;
    assert_eq!(
        active["alert"],
        serde_json::json!([]),
        "a cleared alert left the default list"
    );
    let windowed = v6_alerts(&client, &api, "?window=1h").await;
    assert_eq!(windowed["alert"][0]["alertId"], alert.number, "{windowed}");
    assert_eq!(windowed["alert"][0]["dateEnd"], "2014-08-24 01:09:51");
    api.stop();
}
