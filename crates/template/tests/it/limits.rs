//! Issue 13: hostile templates end in template errors with a position, never in a stack
//! overflow or a hang. These run on the test harness's threads (2 MiB stacks), in debug
//! builds: a recursion without bound would abort the test binary.

use tesim_model::custom::{OperationCategory, OperationStatus, WebhookOperation};
use tesim_template::limits::{MAX_NESTING, MAX_TEMPLATE_BYTES};
use tesim_template::{CompiledOperation, ProblemKind, check, check_str, events};

fn operation(payload: &str) -> WebhookOperation {
    WebhookOperation {
        id: None,
        name: "limits".into(),
        enabled: Some(true),
        category: OperationCategory::Alerts,
        status: OperationStatus::Pending,
        kind: Some("webhook".into()),
        path: None,
        payload: Some(payload.into()),
        headers: Vec::new(),
        query_params: None,
        links: None,
    }
}

fn limit_error(payload: &str) -> (Option<(usize, usize)>, String) {
    let errors = CompiledOperation::new(operation(payload)).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].limit, "{errors:?}");
    (errors[0].position, errors[0].message.clone())
}

#[test]
fn blocks_nested_ten_thousand_deep_are_a_template_error() {
    for (open, close) in [
        ("{{#if alert}}", "{{/if}}"),
        ("{{#each alert.details}}", "{{/each}}"),
        ("{{#with alert}}", "{{/with}}"),
        ("{{#unless alert}}", "{{/unless}}"),
        ("{{#*inline \"p\"}}", "{{/inline}}"),
        ("{{#> p}}", "{{/p}}"),
    ] {
        let payload = format!("{{\n{}{}}}", open.repeat(10_000), close.repeat(10_000));
        let (position, message) = limit_error(&payload);
        // The 65th opening tag, on line 2.
        assert_eq!(position, Some((2, open.len() * MAX_NESTING + 1)), "{open}");
        assert!(message.contains("nest more than 64"), "{message}");
    }
    // An `else if` chain is as deep as it is long.
    let chain = format!("{{{{#if a}}}}{}{{{{/if}}}}", "{{else if b}}".repeat(10_000));
    limit_error(&chain);
    let parens = format!(
        "{{{{eq {}1{} 2}}}}",
        "(eq ".repeat(10_000),
        " 1)".repeat(10_000)
    );
    limit_error(&parens);
}

#[test]
fn the_deepest_nesting_allowed_renders() {
    let kinds = [
        ("{{#if @root.t}}", "{{/if}}"),
        ("{{#with @root.o}}", "{{/with}}"),
        ("{{#each @root.one}}", "{{/each}}"),
    ];
    let mut payload = String::from("\"");
    for level in 0..MAX_NESTING {
        payload.push_str(kinds[level % 3].0);
    }
    payload.push('x');
    for level in (0..MAX_NESTING).rev() {
        payload.push_str(kinds[level % 3].1);
    }
    payload.push('"');
    let operation = CompiledOperation::new(operation(&payload)).unwrap();
    let rendered = operation
        .render_value(serde_json::json!({"t": true, "o": {"k": 1}, "one": [1]}))
        .unwrap();
    assert_eq!(rendered.body, "\"x\"");
    // Over two items, 21 nested loops would be 2^21 bodies: the step budget stops it.
    let failure = operation
        .render_value(serde_json::json!({"t": true, "o": {"k": 1}, "one": [1, 2]}))
        .unwrap_err();
    assert!(failure.limit, "{failure}");
    assert!(failure.message.contains("steps"), "{failure}");
}

#[test]
fn recursive_partials_are_stopped_with_a_position() {
    for payload in [
        "{{#*inline \"p\"}}{{> p}}{{/inline}}{{> p}}",
        "{{#*inline \"a\"}}x{{> b}}{{/inline}}\n{{#*inline \"b\"}}{{> a}}{{/inline}}{{> a}}",
        "{{#*inline \"p\"}}{{#> p}}{{/p}}{{/inline}}{{> p}}",
    ] {
        let operation = CompiledOperation::new(operation(payload)).unwrap();
        let event = &events::edge_case_events()[0];
        let failure = operation.render(&event.by_era[0].1).unwrap_err();
        assert!(failure.limit, "{payload}: {failure}");
        assert!(failure.message.contains("partials"), "{failure}");
        assert!(failure.position.is_some(), "{failure}");
        let report = check(&operation, &events::edge_case_events());
        assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
        assert_eq!(report.problems[0].kind, ProblemKind::Limit);
    }
    // Partials that end render.
    let payload = "{{#*inline \"agent\"}}\"{{source.id}}\"{{/inline}}[{{#each alert.details}}{{> agent}}{{#unless @last}},{{/unless}}{{/each}}]";
    let operation = CompiledOperation::new(operation(payload)).unwrap();
    let report = check(&operation, &events::edge_case_events());
    assert!(report.is_ok(), "{:#?}", report.problems);
}

#[test]
fn exponential_work_and_output_are_stopped() {
    let data = serde_json::json!({"xs": [1, 2]});
    // 40 nested loops over two items: 2^40 empty bodies.
    let payload = format!(
        "{}{}1",
        "{{#each @root.xs}}".repeat(40),
        "{{/each}}".repeat(40)
    );
    let compiled = CompiledOperation::new(operation(&payload)).unwrap();
    let failure = compiled.render_value(data.clone()).unwrap_err();
    assert!(
        failure.limit && failure.message.contains("steps"),
        "{failure}"
    );
    // Each level doubles the text: 2^20 copies of a 1,000-byte line, in few steps.
    let line = "x".repeat(1000);
    let payload = format!(
        "{}{line}{}",
        "{{#each @root.xs}}".repeat(20),
        "{{/each}}".repeat(20)
    );
    let compiled = CompiledOperation::new(operation(&payload)).unwrap();
    let failure = compiled.render_value(data).unwrap_err();
    assert!(
        failure.limit && failure.message.contains("bytes"),
        "{failure}"
    );
}

#[test]
fn template_size_is_bounded() {
    let payload = format!("\"{}\"", "x".repeat(MAX_TEMPLATE_BYTES));
    let (position, message) = limit_error(&payload);
    assert!(message.contains("at most 262144 bytes"), "{message}");
    assert_eq!(position.map(|(line, _)| line), Some(1));
    // Just under the limit, a long flat template checks (and fast: parsing is linear).
    let line = "\"{{alert.rule.name}}{{alert.id}}\",\n";
    let payload = format!("[{}1]", line.repeat((MAX_TEMPLATE_BYTES - 16) / line.len()));
    assert!(payload.len() < MAX_TEMPLATE_BYTES);
    let report = check_str(&payload);
    assert!(
        report
            .problems
            .iter()
            .all(|problem| problem.kind != ProblemKind::Limit),
        "{:#?}",
        report.problems
    );
}
