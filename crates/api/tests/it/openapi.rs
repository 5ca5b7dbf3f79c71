//! `/openapi.json` documents exactly the routes the server answers: the alert routes and
//! the integrations routes, each with the methods it takes.

use std::collections::BTreeSet;

use tesim_api::{OPENAPI, ROUTES, RouteId, integrations};

#[test]
fn every_route_is_documented_and_nothing_else() {
    let document: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
    let paths = document["paths"].as_object().unwrap();
    let documented: BTreeSet<&str> = paths.keys().map(String::as_str).collect();
    let routed: BTreeSet<&str> = ROUTES
        .iter()
        .map(|(template, _)| *template)
        .chain(integrations::PATHS.iter().map(|(template, _)| *template))
        .collect();
    assert_eq!(documented, routed);
    for (template, allow) in integrations::PATHS {
        let methods: Vec<String> = paths[*template]
            .as_object()
            .unwrap()
            .keys()
            .map(|method| method.to_uppercase())
            .collect();
        let mut allowed: Vec<&str> = allow.split(", ").collect();
        allowed.sort_unstable();
        let mut methods: Vec<&str> = methods.iter().map(String::as_str).collect();
        methods.sort_unstable();
        assert_eq!(methods, allowed, "{template}");
    }
    for (template, route) in ROUTES {
        let item = paths[*template].as_object().unwrap();
        assert_eq!(
            item.keys().collect::<Vec<_>>(),
            ["get"],
            "{template}: only GET is documented"
        );
        let operation_id = item["get"]["operationId"].as_str().unwrap();
        let expected = if template.ends_with(".json") || route.is_v7() || *route == RouteId::OpenApi
        {
            route.name().to_owned()
        } else {
            format!("{}-nosuffix", route.name())
        };
        assert_eq!(operation_id, expected, "{template}");
    }
    for route in RouteId::ALL {
        assert!(
            ROUTES.iter().any(|(_, routed)| *routed == route),
            "{route:?} has no path"
        );
    }
}

#[test]
fn every_reference_resolves() {
    let document: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
    let mut stack = vec![&document];
    let mut n_refs = 0;
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(|r| r.as_str()) {
                    let pointer = reference.strip_prefix('#').unwrap();
                    assert!(document.pointer(pointer).is_some(), "dangling {reference}");
                    n_refs += 1;
                }
                stack.extend(map.values());
            }
            serde_json::Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    assert!(n_refs > 50, "{n_refs}");
}
