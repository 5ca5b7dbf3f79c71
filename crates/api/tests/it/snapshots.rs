//! Every API body, snapshotted under `snapshots/api/` (links use a fixed base URL and the
//! clock is fixed, so nothing needs redacting).

use super::support::{Auth, TOKEN, at, start};

#[tokio::test]
async fn api_bodies() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../snapshots/api"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_sort_maps(true);
    let _guard = settings.bind_to_scope();

    let active = start("page-load", at(1, 0)).await;
    let over = start("rule-deleted-while-active", at(30, 0)).await;
    let cases = [
        (
            "v6_alerts_active",
            &active,
            "/v6/alerts.json",
            Auth::Basic(super::support::USER, TOKEN),
        ),
        (
            "v6_alert",
            &active,
            "/v6/alerts/35541.json",
            Auth::Bearer(TOKEN),
        ),
        ("v6_tests", &active, "/v6/tests.json", Auth::Bearer(TOKEN)),
        (
            "v6_test",
            &over,
            "/v6/tests/2032597.json",
            Auth::Bearer(TOKEN),
        ),
        (
            "v6_alerts_window_rule_removed",
            &over,
            "/v6/alerts.json?window=5d",
            Auth::Bearer(TOKEN),
        ),
        (
            "v7_alerts_active",
            &active,
            "/v7/alerts",
            Auth::Bearer(TOKEN),
        ),
        (
            "v7_alerts_window_paged",
            &over,
            "/v7/alerts?window=5d&max=1",
            Auth::Bearer(TOKEN),
        ),
        (
            "v7_alert_detail",
            &active,
            "/v7/alerts/35541",
            Auth::Bearer(TOKEN),
        ),
        ("v7_rules", &active, "/v7/alerts/rules", Auth::Bearer(TOKEN)),
        ("v7_401", &active, "/v7/alerts", Auth::None),
        (
            "v7_400",
            &active,
            "/v7/alerts?window=1d&endDate=2014-08-24T00:00:00Z&max=-1",
            Auth::Bearer(TOKEN),
        ),
        ("v7_404", &active, "/v7/alerts/unknown", Auth::Bearer(TOKEN)),
        ("v6_401", &active, "/v6/alerts.json", Auth::None),
    ];
    for (name, server, path, auth) in cases {
        let reply = server.get(path, auth).await;
        insta::assert_json_snapshot!(
            name,
            serde_json::json!({
                "status": reply.status.as_u16(),
                "content-type": reply.header("content-type"),
                "body": reply.json(),
            })
        );
    }
}
