//! Every success body reads back into the model's wire types (strict enums, dates, ids),
//! as a typed client such as the official SDK would read it.

use tesim_model::{api_v6, api_v7};

use super::support::{at, start};

#[tokio::test]
async fn bodies_parse_as_the_wire_types() {
    for (scenario, offset) in [
        ("default", at(9, 0)),
        ("storm", at(7, 0)),
        ("agent-clock-offset", at(1, 0)),
    ] {
        let server = start(scenario, offset).await;
        let list: api_v7::AlertList =
            serde_json::from_value(server.ok("/v7/alerts?window=1d").await).unwrap();
        assert!(!list.alerts.is_empty(), "{scenario}");
        for alert in list.alerts.iter().take(5) {
            let detail: api_v7::AlertDetail =
                serde_json::from_value(server.ok(&format!("/v7/alerts/{}", alert.id)).await)
                    .unwrap();
            assert_eq!(detail.id, alert.id);
            assert_eq!(detail.alert_state, alert.alert_state);
        }
        let _: api_v7::RuleList =
            serde_json::from_value(server.ok("/v7/alerts/rules").await).unwrap();
        let _: api_v6::AlertList =
            serde_json::from_value(server.ok("/v6/alerts.json?window=1d").await).unwrap();
        let _: api_v6::TestList =
            serde_json::from_value(server.ok("/v6/tests.json").await).unwrap();
    }
}
