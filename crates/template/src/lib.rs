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
mod operation;

pub use check::{Problem, ProblemKind, Report, check};
pub use engine::format_expression;
pub use events::Event;
pub use operation::{
    CompiledOperation, LoadError, Part, RenderFailure, Rendered, SyntaxError, load_connector,
    load_operation, path_and_query,
};
