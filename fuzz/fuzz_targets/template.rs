//! Custom-webhook templates: parsing (`CompiledOperation::new`), rendering and the checker
//! behind `tesim template check`. Any template gives renderings or syntax/render errors and
//! problems with positions, never a panic, a stack overflow or a quadratic blow-up.
//!
//! Input: an operation body (JSON, as in `scenarios/templates/*.operation.json`) when it is
//! one, else the text is the payload template of an operation with one templated header and
//! query parameters, so the template language itself is fuzzed without JSON quoting.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use tesim_model::custom::WebhookOperation;
use tesim_template::{CompiledOperation, Event, check, events};

fn events() -> &'static [Event] {
    static EVENTS: OnceLock<Vec<Event>> = OnceLock::new();
    // The edge cases exercise every branch of the model (missing test, cleared, agent,
    // empty lists) at a fraction of the cost of every scenario event.
    EVENTS.get_or_init(events::edge_case_events)
}

fn operation(text: &str) -> Option<WebhookOperation> {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        if value.is_object() {
            return WebhookOperation::from_value(&value).ok();
        }
    }
    let value = json!({
        "name": "fuzz",
        "category": "alerts",
        "status": "pending",
        "type": "webhook",
        "payload": text,
        "headers": [{"name": "X-Id", "value": "{{alert.id}}"}],
        "queryParams": "{\"state\": \"{{#eq type 2}}trigger{{else}}clear{{/eq}}\"}",
    });
    WebhookOperation::from_value(&value).ok()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(operation) = operation(text) else {
        return;
    };
    match CompiledOperation::new(operation) {
        Ok(compiled) => {
            // Checking every edge case on every input gave ~100 executions/s; one case per
            // input (chosen by the input's length, so seeds stay intact) covers them all across
            // the run at a tenth of the cost.
            let all = events();
            let index = text.len() % all.len();
            let report = check(&compiled, &all[index..=index]);
            let _ = report.to_json();
            for problem in &report.problems {
                let _ = format!("{problem:?}");
            }
            if let Some((_, notification)) = all[index].by_era.first() {
                let _ = compiled.render(notification).map_err(|err| err.to_string());
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a failed compile without an error");
            for error in &errors {
                let _ = error.to_string();
            }
        }
    }
});
