//! The routes the mock serves, as data: the router, `/openapi.json` and the CLI's
//! per-route fault flags all read this one table.

/// A route of the mock API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteId {
    /// `GET /v6/alerts.json`
    V6Alerts,
    /// `GET /v6/alerts/{alertId}.json`
    V6Alert,
    /// `GET /v6/tests.json`
    V6Tests,
    /// `GET /v6/tests/{testId}.json`
    V6Test,
    /// `GET /v7/alerts`
    V7Alerts,
    /// `GET /v7/alerts/{alertId}`
    V7Alert,
    /// `GET /v7/alerts/rules`
    V7Rules,
    /// `GET /v7/alerts/rules/{ruleId}`
    V7Rule,
    /// `GET /v7/tests/{testId}`: where an alert's `_links.test` leads
    V7Test,
    /// `GET /openapi.json`
    OpenApi,
}

impl RouteId {
    /// Every route.
    pub const ALL: [RouteId; 10] = [
        RouteId::V6Alerts,
        RouteId::V6Alert,
        RouteId::V6Tests,
        RouteId::V6Test,
        RouteId::V7Alerts,
        RouteId::V7Alert,
        RouteId::V7Rules,
        RouteId::V7Rule,
        RouteId::V7Test,
        RouteId::OpenApi,
    ];

    /// The name used by `--route-fault` and as the OpenAPI `operationId`.
    pub fn name(self) -> &'static str {
        match self {
            RouteId::V6Alerts => "v6-alerts",
            RouteId::V6Alert => "v6-alert",
            RouteId::V6Tests => "v6-tests",
            RouteId::V6Test => "v6-test",
            RouteId::V7Alerts => "v7-alerts",
            RouteId::V7Alert => "v7-alert",
            RouteId::V7Rules => "v7-rules",
            RouteId::V7Rule => "v7-rule",
            RouteId::V7Test => "v7-test",
            RouteId::OpenApi => "openapi",
        }
    }

    /// Parses [`RouteId::name`].
    pub fn parse(text: &str) -> Option<RouteId> {
        RouteId::ALL.into_iter().find(|id| id.name() == text)
    }

    /// Whether the route belongs to v7 (problem+json errors) rather than v6.
    pub fn is_v7(self) -> bool {
        matches!(
            self,
            RouteId::V7Alerts
                | RouteId::V7Alert
                | RouteId::V7Rules
                | RouteId::V7Rule
                | RouteId::V7Test
        )
    }
}

/// Every path the router answers, as OpenAPI path templates, with its route. v6 paths work
/// with and without the `.json` suffix (the format can also come from `?format=`, §3.1).
pub const ROUTES: &[(&str, RouteId)] = &[
    ("/v6/alerts.json", RouteId::V6Alerts),
    ("/v6/alerts", RouteId::V6Alerts),
    ("/v6/alerts/{alertId}.json", RouteId::V6Alert),
    ("/v6/alerts/{alertId}", RouteId::V6Alert),
    ("/v6/tests.json", RouteId::V6Tests),
    ("/v6/tests", RouteId::V6Tests),
    ("/v6/tests/{testId}.json", RouteId::V6Test),
    ("/v6/tests/{testId}", RouteId::V6Test),
    ("/v7/alerts", RouteId::V7Alerts),
    ("/v7/alerts/{alertId}", RouteId::V7Alert),
    ("/v7/alerts/rules", RouteId::V7Rules),
    ("/v7/alerts/rules/{ruleId}", RouteId::V7Rule),
    ("/v7/tests/{testId}", RouteId::V7Test),
    ("/openapi.json", RouteId::OpenApi),
];

/// The methods every route allows (`Allow` of a 405).
pub const ALLOW: &str = "GET, HEAD";

/// A matched request path: the route and its path parameter, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Matched<'a> {
    /// The route.
    pub route: RouteId,
    /// `{alertId}` or `{testId}`, as written (no suffix).
    pub param: Option<&'a str>,
}

/// Finds the route of `path` (no query string).
pub fn match_path(path: &str) -> Option<Matched<'_>> {
    let plain = |route| Some(Matched { route, param: None });
    match path {
        "/v6/alerts.json" | "/v6/alerts" => return plain(RouteId::V6Alerts),
        "/v6/tests.json" | "/v6/tests" => return plain(RouteId::V6Tests),
        "/v7/alerts" => return plain(RouteId::V7Alerts),
        // Before `/v7/alerts/{alertId}`: `rules` is not an alert id.
        "/v7/alerts/rules" => return plain(RouteId::V7Rules),
        "/openapi.json" => return plain(RouteId::OpenApi),
        _ => {}
    }
    let param = |prefix: &str, suffix: Option<&str>| {
        let rest = path.strip_prefix(prefix)?;
        let rest = match suffix {
            // `/v6/alerts/.json` is the id `.json`, not an empty id.
            Some(suffix) => rest
                .strip_suffix(suffix)
                .filter(|id| !id.is_empty())
                .unwrap_or(rest),
            None => rest,
        };
        (!rest.is_empty() && !rest.contains('/')).then_some(rest)
    };
    if let Some(id) = param("/v6/alerts/", Some(".json")) {
        return Some(Matched {
            route: RouteId::V6Alert,
            param: Some(id),
        });
    }
    if let Some(id) = param("/v6/tests/", Some(".json")) {
        return Some(Matched {
            route: RouteId::V6Test,
            param: Some(id),
        });
    }
    if let Some(id) = param("/v7/alerts/rules/", None) {
        return Some(Matched {
            route: RouteId::V7Rule,
            param: Some(id),
        });
    }
    if let Some(id) = param("/v7/tests/", None) {
        return Some(Matched {
            route: RouteId::V7Test,
            param: Some(id),
        });
    }
    if let Some(id) = param("/v7/alerts/", None) {
        return Some(Matched {
            route: RouteId::V7Alert,
            param: Some(id),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expected: Option<(RouteId, Option<&str>)>) {
        let got = match_path(path).map(|matched| (matched.route, matched.param));
        assert_eq!(got, expected, "{path}");
    }

    #[test]
    fn paths_match_their_routes() {
        check("/v6/alerts.json", Some((RouteId::V6Alerts, None)));
        check(
            "/v6/alerts/35541.json",
            Some((RouteId::V6Alert, Some("35541"))),
        );
        check("/v6/alerts/35541", Some((RouteId::V6Alert, Some("35541"))));
        check("/v6/tests/5370.json", Some((RouteId::V6Test, Some("5370"))));
        check("/v7/alerts", Some((RouteId::V7Alerts, None)));
        check(
            "/v7/alerts/7c32-ab",
            Some((RouteId::V7Alert, Some("7c32-ab"))),
        );
        check("/v7/alerts/", None);
        check("/v7/alerts/rules", Some((RouteId::V7Rules, None)));
        check("/v7/alerts/rules/173", Some((RouteId::V7Rule, Some("173"))));
        check("/v7/alerts/a/b", None);
        check("/v6/alerts/.json", Some((RouteId::V6Alert, Some(".json"))));
        check("/v6/alerts/", None);
        check("/", None);
    }

    #[test]
    fn every_template_routes_to_its_route() {
        for (template, route) in ROUTES {
            let path = template
                .replace("{alertId}", "42")
                .replace("{testId}", "42")
                .replace("{ruleId}", "42");
            assert_eq!(
                match_path(&path).map(|matched| matched.route),
                Some(*route),
                "{template}"
            );
        }
    }
}
