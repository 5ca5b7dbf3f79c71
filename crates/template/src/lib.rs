//! tesim-template renders ThousandEyes custom-webhook operations (Handlebars body, templated
//! headers and query parameters) over the custom-webhook notification model
//! ([`tesim_model::custom`]), and checks that every notification a scenario produces renders
//! to something ThousandEyes could deliver: valid JSON, only variables the model has, the same
//! shape in both id eras.
//!
//! It deliberately leaves out delivery (the sender crate posts what [`CompiledOperation::render`]
//! returns), printing and exit codes (the CLI), and the integrations API (the api crate). It
//! reads the operation and connector files the user names, and nothing else.
//!
//! ```
//! use tesim_template::{check, CompiledOperation};
//! use tesim_model::custom::WebhookOperation;
//!
//! let operation = WebhookOperation::from_value(&serde_json::json!({
//!     "name": "demo", "category": "alerts", "status": "pending", "type": "webhook",
//!     "payload": "{\"state\": \"{{#eq type 2}}trigger{{/eq}}\", \"end\": {{#eq type 1}}{{alert.timeCleared.epochMilli}}{{/eq}}}"
//! })).unwrap();
//! let operation = CompiledOperation::new(operation).unwrap();
//! let report = check::check(&operation, &tesim_template::events::edge_case_events());
//! assert!(!report.is_ok()); // `"end": }` on every trigger
//! ```

pub mod check;
mod engine;
pub mod events;
pub mod limits;
mod operation;

pub use check::{Problem, ProblemKind, Report, check};

/// Parses `payload` as the body template of an operation, then checks and renders it against
/// a few edge-case notifications (the Test button, a clear, an agent notification): one call
/// for fuzz targets and quick experiments. Whatever the text, it returns a report and never
/// panics or overflows the stack: [`limits`] bounds size, nesting, partial depth, work and
/// output.
pub fn check_str(payload: &str) -> Report {
    let operation = tesim_model::custom::WebhookOperation {
        id: None,
        name: "check_str".to_owned(),
        enabled: Some(true),
        category: tesim_model::custom::OperationCategory::Alerts,
        status: tesim_model::custom::OperationStatus::Pending,
        kind: Some("webhook".to_owned()),
        path: None,
        payload: Some(payload.to_owned()),
        headers: Vec::new(),
        query_params: None,
        links: None,
    };
    match CompiledOperation::new(operation) {
        Ok(operation) => check(&operation, few_events()),
        Err(errors) => Report {
            problems: check::syntax_problems(&errors),
            ..Report::default()
        },
    }
}

fn few_events() -> &'static [Event] {
    static EVENTS: std::sync::OnceLock<Vec<Event>> = std::sync::OnceLock::new();
    EVENTS.get_or_init(|| {
        let all = events::edge_case_events();
        let wanted = ["Test button", "http-server-clear", "agent-trigger"];
        all.into_iter()
            .filter(|event| wanted.iter().any(|name| event.label.contains(name)))
            .collect()
    })
}
pub use engine::format_expression;
pub use events::Event;
pub use operation::{
    CompiledOperation, LoadError, Part, RenderFailure, Rendered, SyntaxError, load_connector,
    load_operation, path_and_query,
};
