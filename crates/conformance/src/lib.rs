//! tesim-conformance acts as ThousandEyes towards a webhook receiver and tells, check by check,
//! whether real deliveries would work: a catalogue of checks with stable ids (delivery of every
//! event type, redirects, URL form, auth and OAuth 2, robustness, semantics through an
//! observation hook, and TLS), verdicts with evidence, and reports as a table, JSON
//! (`tesim.check-report/v1`) and JUnit XML.
//!
//! It deliberately leaves out printing and exit codes (the CLI decides them), and any HTTP
//! client of its own: every request goes through `tesim-sender`'s `Client`, so the checker
//! refuses redirects and classifies errors exactly as the sender does. The TE-TLS checks are
//! the one place that opens connections itself: bare TLS handshakes, no HTTP on them, because
//! judging a certificate needs the chain even when it does not verify.

mod baseline;
mod catalogue;
mod checks;
mod config;
mod errors;
mod html;
mod http;
mod markdown;
mod observation;
mod payloads;
mod report;
mod run;
mod selection;
mod wire;

/// Header names of [`CheckConfig::headers`], re-exported so callers need no `http` dependency.
pub use ::http::HeaderName;
pub use baseline::{BaselineDiff, Change, compare};
pub use catalogue::{CATALOGUE, CheckId, CheckInfo, Level, catalogue_markdown, info};
pub use config::{CheckConfig, DEFAULT_TIMEOUT, DEFAULT_TOKEN_EXPIRY_WAIT};
pub use errors::CheckError;
pub use report::{
    BODY_EXCERPT, CheckResult, Exchange, REPORT_SCHEMA, Report, Summary, Verdict, WireRequest,
    WireResponse, human_ms,
};
pub use run::run;
pub use selection::select;
