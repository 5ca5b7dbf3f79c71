//! Where deliveries come from, for the one send pipeline of `tesim send`, `tesim simulate` and
//! `tesim template send`: a scenario's classic webhooks rendered in a payload profile
//! ([`plan`]), the same notifications rendered through a custom-webhook operation and
//! connector ([`custom`]), and the mock alerts API that runs beside the sender on the scenario
//! clock ([`embedded_api`]).
//!
//! It computes what will be sent and starts the API; it leaves sending to `tesim-sender` and
//! printing, flags and exit codes to the CLI. Its errors describe what happened without naming
//! command-line flags.

pub mod custom;
pub mod embedded_api;
pub mod plan;
pub mod replay;

pub use custom::{CustomError, CustomPlan, CustomWebhook, RenderProblem};
pub use embedded_api::EmbeddedApi;
pub use plan::PlanError;
