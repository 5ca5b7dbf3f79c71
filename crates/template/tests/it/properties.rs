//! Properties: rendering never panics, whatever the template and the data; a template whose
//! validity depends on the event is always reported.

use proptest::prelude::*;
use tesim_model::custom::{
    AlertTarget, CustomNotification, Detail, Id, OperationCategory, OperationStatus, Source,
    WebhookOperation,
};
use tesim_template::{CompiledOperation, ProblemKind, check, events};

fn operation(payload: &str, query: Option<String>, header: Option<String>) -> WebhookOperation {
    WebhookOperation {
        id: None,
        name: "p".into(),
        enabled: Some(true),
        category: OperationCategory::Alerts,
        status: OperationStatus::Pending,
        kind: Some("webhook".into()),
        path: Some("/p".into()),
        payload: Some(payload.into()),
        headers: header
            .map(|value| {
                vec![tesim_model::custom::Header {
                    name: "X-P".into(),
                    value,
                }]
            })
            .unwrap_or_default(),
        query_params: query,
        links: None,
    }
}

/// Template text made of Handlebars pieces and JSON punctuation, so that most generated
/// templates parse and exercise the renderer rather than only the parser.
fn arb_template() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{{id}}".to_owned()),
        Just("{{type.id}}".to_owned()),
        Just("{{type}}".to_owned()),
        Just("{{alert.details.size}}".to_owned()),
        Just(
            "{{#each alert.details}}{{source.name}}{{#unless @last}},{{/unless}}{{/each}}"
                .to_owned()
        ),
        Just("{{#if alert.timeCleared}}{{alert.timeCleared.epochMilli}}{{/if}}".to_owned()),
        Just("{{#eq type 2}}t{{else}}c{{/eq}}".to_owned()),
        Just("{{#with alert.test as |t|}}{{t.name}}{{/with}}".to_owned()),
        Just("{{formatExpression alert.rule.expression}}".to_owned()),
        Just("{{{alert.rule.name}}}".to_owned()),
        Just("{{alert.nope.deeper}}".to_owned()),
        Just("{{alert.details.0.source}}".to_owned()),
        Just("{{#if (eq alert.severity 'MAJOR')}}m{{/if}}".to_owned()),
        Just("{{lookup alert 'id'}}".to_owned()),
        Just("{{eq}}".to_owned()),
        Just("{{#each}}{{/each}}".to_owned()),
        "[{}\\[\\]\",: a-z0-9{}~#/!]{0,6}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

/// Arbitrary notification data: an edge-case notification with arbitrary strings swapped in.
fn arb_notification() -> impl Strategy<Value = CustomNotification> {
    let events = events::edge_case_events();
    let bases: Vec<CustomNotification> = events
        .into_iter()
        .flat_map(|event| event.by_era.into_iter().map(|(_, n)| n))
        .collect();
    (
        prop::sample::select(bases),
        any::<String>(),
        any::<String>(),
        prop::collection::vec(any::<String>(), 0..4),
        any::<u64>(),
    )
        .prop_map(|(mut notification, name, metrics, targets, number)| {
            notification.alert.rule.name = name.clone();
            notification.alert.rule.expression = format!("(({metrics}))");
            notification.id = if number % 2 == 0 {
                Id::Number(number)
            } else {
                Id::Text(name.clone())
            };
            notification.alert.details.push(Detail {
                source: Source {
                    id: Id::Text(metrics.clone()),
                    name,
                    asn: None,
                },
                metrics_at_start: metrics.clone(),
                metrics_at_end: metrics,
            });
            notification.alert.targets = targets
                .into_iter()
                .map(|description| AlertTarget { description })
                .collect();
            notification
        })
}

/// Any JSON value, nested a few levels.
fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        any::<String>().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("alert".to_owned()),
                    Just("details".to_owned()),
                    Just("type".to_owned()),
                    Just("id".to_owned()),
                    Just("name".to_owned()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn rendering_arbitrary_json_never_panics(payload in arb_template(), data in arb_json()) {
        if let Ok(compiled) = CompiledOperation::new(operation(&payload, Some(payload.clone()), Some(payload.clone()))) {
            let _ = compiled.render_value(data);
        }
    }

    #[test]
    fn rendering_never_panics(
        payload in arb_template(),
        query in proptest::option::of(arb_template()),
        header in proptest::option::of(arb_template()),
        notification in arb_notification(),
    ) {
        if let Ok(compiled) = CompiledOperation::new(operation(&payload, query, header)) {
            let _ = compiled.render(&notification);
            let event = tesim_template::Event {
                label: "arbitrary".into(),
                by_era: vec![(tesim_model::custom::IdEra::Text, notification)],
            };
            let _ = check::check(&compiled, &[event]);
        }
    }

    /// A template that is valid JSON for triggers but not for clears (or the reverse), with
    /// arbitrary valid JSON around the conditional part, is always reported.
    #[test]
    fn event_dependent_validity_is_always_reported(
        prefix in "[a-z]{0,8}",
        broken_on_clear in any::<bool>(),
        breakage in prop::sample::select(vec![",", "]", "\"", ":", "{ ", "x"]),
        other in "[1-9][0-9]{0,4}",
    ) {
        let (good, bad) = if broken_on_clear { ("2", "1") } else { ("1", "2") };
        let payload = format!(
            "{{\"{prefix}k\": {other}{{{{#eq type.id {bad}}}}}{breakage}{{{{/eq}}}}, \"t\": {{{{#eq type.id {good}}}}}1{{{{else}}}}2{{{{/eq}}}}}}"
        );
        let compiled = CompiledOperation::new(operation(&payload, None, None)).unwrap();
        let report = check::check(&compiled, &events::edge_case_events());
        let invalid: Vec<_> = report.problems.iter().filter(|p| p.kind == ProblemKind::InvalidJson).collect();
        prop_assert!(!invalid.is_empty(), "not reported: {payload}");
        for problem in invalid {
            if broken_on_clear {
                prop_assert_eq!(problem.in_triggers, 0);
            } else {
                prop_assert_eq!(problem.in_clears, 0);
            }
            prop_assert!(problem.position.is_some(), "{}", problem);
        }
    }
}
