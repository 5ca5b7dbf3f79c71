//! Alerts API v6 bodies (reference §3), and how they are written from the lifecycle.
//!
//! The v6 alert object is the classic webhook `alert` object seen from the API side ("the
//! Alert notification data corresponds to alerting data from the API", §3.2), so it reuses
//! [`crate::webhook`]'s [`AlertAgent`], [`ApiLink`], [`AlertId`] and [`Active`], and adds what
//! differs: an upper-case `severity` (`INFO`), `metricsAtEnd` carrying the latest round while
//! the alert is active, and no webhook-only fields (`ruleAid`, `testLabels`, zoned dates).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::date::TeDate;
use crate::lifecycle::{Agent, AlertSource, AlertState, Severity, Test, TestAlert, TestType};
use crate::profile::Profile;
use crate::render::{RULE_REMOVED_METRICS, permalink};
use crate::webhook::{Active, AlertAgent, AlertId, ApiLink};

/// `GET /v6/alerts.json` and `GET /v6/alerts/{alertId}.json`: `{"alert":[…],"pages":{…}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertList {
    /// The alerts (one for the detail route; none for an unknown id, §3.3).
    pub alert: Vec<Alert>,
    /// Page information; tesim always answers in one page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<Pages>,
}

/// `pages` of a v6 list (§3.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pages {
    /// The current page, from 1.
    pub current: u32,
    /// The next page's URL, when there is one (shape inferred, §3.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Severity as the v6 API spells it: `"INFO"` (§3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UpperSeverity(pub Severity);

impl Serialize for UpperSeverity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.upper())
    }
}

impl<'de> Deserialize<'de> for UpperSeverity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match Severity::parse(&text) {
            Some(severity) if severity.upper() == text => Ok(UpperSeverity(severity)),
            _ => Err(serde::de::Error::custom(format!(
                "invalid severity `{text}`: expected INFO, MINOR, MAJOR or CRITICAL"
            ))),
        }
    }
}

/// One alert of the v6 API (§3.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Integer until about 2024, UUID string since (same as the webhook of the era).
    pub alert_id: AlertId,
    /// Test id.
    pub test_id: u64,
    /// Rule id.
    pub rule_id: u64,
    /// Test name.
    pub test_name: String,
    /// 0 inactive, 1 active, 2 disabled (rule deleted or unassigned).
    pub active: Active,
    /// Rule expression.
    pub rule_expression: String,
    /// When the alert triggered.
    pub date_start: TeDate,
    /// When it ended; absent while active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_end: Option<TeDate>,
    /// Number of sources meeting the rule's criteria.
    pub violation_count: u32,
    /// Rule name.
    pub rule_name: String,
    /// Link to the alert in the ThousandEyes app.
    pub permalink: String,
    /// Human test-type label (`"HTTP Server"`).
    #[serde(rename = "type")]
    pub test_type: String,
    /// Every agent that alerted during the alert's life.
    pub agents: Vec<AlertAgent>,
    /// Links to the test and its data.
    pub api_links: Vec<ApiLink>,
    /// `INFO`, `MINOR`, `MAJOR` or `CRITICAL`.
    pub severity: UpperSeverity,
}

/// `GET /v6/tests.json` and `GET /v6/tests/{testId}.json`: `{"test":[…]}` (§3.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestList {
    /// The tests.
    pub test: Vec<TestInfo>,
}

/// One test of `tests.json` (§3.4 and the seed blog).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestInfo {
    /// Test id.
    pub test_id: u64,
    /// Test name.
    pub test_name: String,
    /// Kebab-case type (`"http-server"`), unlike the alert's human label.
    #[serde(rename = "type")]
    pub test_type: String,
    /// 1 when enabled.
    pub enabled: u8,
    /// 1 for a saved event (instant test kept), 0 otherwise.
    pub saved_event: u8,
    /// Measurement interval in seconds.
    pub interval: u32,
    /// `"Name (email)"` of the creator.
    pub created_by: String,
    /// When the test was created.
    pub created_date: TeDate,
    /// Target URL of web tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Target of the other tests (domain or server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// 1 when alerting is on.
    pub alerts_enabled: u8,
    /// 1 for a test shared from another account.
    pub live_share: u8,
    /// `"Name (email)"` of the last editor.
    pub modified_by: String,
    /// When the test was last changed (tesim: when it was created).
    pub modified_date: TeDate,
    /// Agents assigned to the test.
    pub agents: Vec<TestAgent>,
    /// Links to the test and its data, in the order of §3.4.
    pub api_links: Vec<ApiLink>,
}

/// An agent of a test in `tests.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestAgent {
    /// Agent id.
    pub agent_id: u64,
    /// Agent name.
    pub agent_name: String,
    /// Agent location.
    pub location: String,
    /// `Cloud` (tesim's agents are Cloud Agents).
    pub agent_type: String,
    /// The agent's addresses.
    pub ip_addresses: Vec<String>,
    /// The /24 around the agent's address (a guess at the prefix length).
    pub prefix: String,
    /// The agent's network (tesim names a documentation AS).
    pub network: String,
}

/// The body of a v6 error.
///
/// The real v6 error body was not recovered (reference §3.1, §5.4); `errorMessage` is a guess
/// that at least names the problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// What went wrong and what to do.
    pub error_message: String,
}

/// The v6 alert of `alert` in `profile`'s ids (UUID `alertId` and 15-digit ids in
/// modern-2025, small integers before), always in UTC (§3.1): the webhook of the same alert
/// shows the same instants in the account's zone.
///
/// `permalink` points at the ThousandEyes app as the webhook's does (the same text for the
/// same alert); `api_links` are the webhook's (§3.2 shows the same `related`/`data` pair).
pub fn alert(profile: Profile, alert: &TestAlert) -> Alert {
    let ids = profile.era().ids;
    let alert_id = crate::render::alert_id(profile, alert);
    let link = permalink(profile, alert.account.aid, &alert_id);
    Alert {
        agents: alert
            .sources
            .iter()
            .map(|source| agent(alert.state, source, &link))
            .collect(),
        alert_id,
        test_id: ids.id(alert.test.id),
        rule_id: ids.id(alert.rule.id),
        test_name: alert.test.name.clone(),
        active: active(alert.state),
        rule_expression: alert.rule.expression.clone(),
        date_start: alert.start,
        date_end: alert.state.end(),
        violation_count: u32::try_from(alert.violation_count()).unwrap_or(u32::MAX),
        rule_name: alert.rule.name.clone(),
        permalink: link,
        test_type: alert.test.kind.label().to_owned(),
        api_links: crate::render::api_links(profile, alert),
        severity: UpperSeverity(alert.rule.severity),
    }
}

fn active(state: AlertState) -> Active {
    match state {
        AlertState::Active => Active::Active,
        AlertState::Cleared { .. } => Active::Cleared,
        AlertState::RuleRemoved { .. } => Active::Disabled,
    }
}

/// The state of one source as the API shows it: its own while the alert is active, "forced 0
/// after alert clears" (§3.2) with the alert's end unless it recovered earlier.
pub fn source_state(alert_state: AlertState, source_state: AlertState) -> AlertState {
    match (alert_state, source_state) {
        (AlertState::Active, own) => own,
        (AlertState::RuleRemoved { end }, _) => AlertState::RuleRemoved { end },
        (AlertState::Cleared { end }, AlertState::Active) => AlertState::Cleared { end },
        (_, own) => own,
    }
}

fn agent(alert_state: AlertState, source: &AlertSource, link: &str) -> AlertAgent {
    let state = source_state(alert_state, source.state);
    AlertAgent {
        date_start: source.start,
        date_end: state.end(),
        active: active(state),
        metrics_at_start: source.metrics_at_start.to_string(),
        // "last round while active" (§3.2), unlike the webhook's `""`.
        metrics_at_end: match state {
            AlertState::RuleRemoved { .. } => RULE_REMOVED_METRICS.to_owned(),
            _ => source.metrics_latest.to_string(),
        },
        agent_id: source.agent.id,
        agent_name: source.agent.name.clone(),
        location_name: None,
        permalink: Some(format!("{link}&agentId={}", source.agent.id)),
    }
}

/// The `apiLinks` of a test in `tests.json`, in the order of §3.4: `self`, the test type's own
/// data, then the network layers (metrics, path visualisation, BGP).
///
/// For http-server (and DNS server/trace) tests the BGP link is at index 4, as the seed blog's
/// `j['test'][0]['apiLinks'][4]['href']` needs; page-load and transaction tests add their own
/// web link first, which moves it to index 5 (§3.4). The lists for the other types follow the
/// same pattern (inferred).
pub fn test_api_links(base: &str, test: &Test) -> Vec<ApiLink> {
    let id = test.id;
    let link = |rel: &str, path: &str| ApiLink {
        rel: rel.to_owned(),
        href: format!("{base}/v6/{path}/{id}"),
    };
    let mut links = vec![ApiLink {
        rel: "self".to_owned(),
        href: format!("{base}/v6/tests/{id}"),
    }];
    let network = ["net/metrics", "net/path-vis", "net/bgp-metrics"];
    match test.kind {
        // Page load: `web/http-server` before `web/page-load` (a saved 2020 response, reference
        // §6.5); web transactions are assumed to follow the same order (a guess).
        TestType::PageLoad | TestType::WebTransactions => {
            links.push(link("data", "web/http-server"));
            links.push(link("data", test.kind.data_path()));
        }
        TestType::Bgp => {}
        TestType::AgentToServer | TestType::AgentToAgent => {}
        other => links.push(link("data", other.data_path())),
    }
    links.extend(network.iter().map(|path| link("data", path)));
    if test.kind == TestType::Bgp {
        links.truncate(1);
        links.push(link("data", "net/bgp-metrics"));
    }
    links
}

/// The /24 of an IPv4 address (`203.0.113.7` → `203.0.113.0/24`); other text is kept.
fn prefix_of(address: &str) -> String {
    match address.rsplit_once('.') {
        Some((network, _)) if address.parse::<std::net::Ipv4Addr>().is_ok() => {
            format!("{network}.0/24")
        }
        _ => address.to_owned(),
    }
}

/// A test of `tests.json`, run by `agents`, created at `created`.
pub fn test_info(base: &str, test: &Test, agents: &[&Agent], created: TeDate) -> TestInfo {
    let target = test.targets.first().cloned();
    let is_web = matches!(
        test.kind,
        TestType::PageLoad | TestType::HttpServer | TestType::WebTransactions | TestType::Api
    );
    TestInfo {
        test_id: test.id,
        test_name: test.name.clone(),
        test_type: test.kind.slug().to_owned(),
        enabled: 1,
        saved_event: 0,
        interval: test.interval,
        created_by: "tesim (tesim@example.com)".to_owned(),
        created_date: created,
        alerts_enabled: 1,
        live_share: 0,
        modified_by: "tesim (tesim@example.com)".to_owned(),
        modified_date: created,
        url: target.clone().filter(|_| is_web),
        server: target.filter(|_| !is_web),
        agents: agents
            .iter()
            .map(|agent| TestAgent {
                agent_id: agent.id,
                agent_name: agent.name.clone(),
                location: agent.location.clone(),
                agent_type: "Cloud".to_owned(),
                ip_addresses: vec![agent.ip_address.clone()],
                prefix: prefix_of(&agent.ip_address),
                network: "tesim simulated network (AS64500)".to_owned(),
            })
            .collect(),
        api_links: test_api_links(base, test),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_of(kind: TestType) -> Test {
        Test {
            id: 1226221,
            name: "t".into(),
            kind,
            targets: vec!["https://example.com".into()],
            labels: vec![],
            interval: 300,
        }
    }

    fn hrefs(kind: TestType) -> Vec<String> {
        test_api_links("https://api.example", &test_of(kind))
            .into_iter()
            .map(|l| l.href)
            .collect()
    }

    #[test]
    fn http_server_links_match_the_reference_order() {
        assert_eq!(
            hrefs(TestType::HttpServer),
            [
                "https://api.example/v6/tests/1226221",
                "https://api.example/v6/web/http-server/1226221",
                "https://api.example/v6/net/metrics/1226221",
                "https://api.example/v6/net/path-vis/1226221",
                "https://api.example/v6/net/bgp-metrics/1226221",
            ]
        );
    }

    #[test]
    fn page_load_moves_bgp_to_index_five() {
        assert_eq!(
            hrefs(TestType::PageLoad),
            [
                "https://api.example/v6/tests/1226221",
                "https://api.example/v6/web/http-server/1226221",
                "https://api.example/v6/web/page-load/1226221",
                "https://api.example/v6/net/metrics/1226221",
                "https://api.example/v6/net/path-vis/1226221",
                "https://api.example/v6/net/bgp-metrics/1226221",
            ]
        );
    }

    #[test]
    fn every_type_has_self_first_and_one_bgp_link() {
        for kind in TestType::ALL {
            let links = hrefs(kind);
            assert!(links[0].ends_with("/v6/tests/1226221"), "{kind:?}");
            assert_eq!(
                links.iter().filter(|h| h.contains("bgp-metrics")).count(),
                1,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn upper_severity_round_trips_and_refuses_other_spellings() {
        let json = serde_json::to_string(&UpperSeverity(Severity::Major)).unwrap();
        assert_eq!(json, "\"MAJOR\"");
        assert_eq!(
            serde_json::from_str::<UpperSeverity>(&json).unwrap().0,
            Severity::Major
        );
        assert!(serde_json::from_str::<UpperSeverity>("\"major\"").is_err());
    }
}
