//! tesim-sender delivers pre-rendered notifications over HTTP(S) exactly as ThousandEyes would:
//! `POST` with `Content-Type: application/json`, the auth modes of the real webhook connectors
//! (none, Basic, Bearer, other token, OAuth 2 client credentials and refresh token), redirects
//! never followed, connect and total timeouts, per-alert ordering, an optional retry policy and
//! a JSONL log of every attempt; plus a load mode with HDR latency histograms.
//!
//! It deliberately knows nothing about payload types or scenarios: its input is a sequence of
//! [`Delivery`] values whose bodies are already rendered (by `tesim-scenario` / `tesim-model`),
//! taken lazily just ahead of sending ([`look_ahead`]) and dropped once done, and it never
//! prints (the CLI decides what to show and which exit code to return).
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use tesim_sender::{Delivery, SendConfig};
//!
//! let mut config = SendConfig::new("https://receiver.example/hook".parse()?);
//! config.auth = "basic:bob:env:WEBHOOK_PASSWORD".parse()?;
//! let trigger = Delivery::new(
//!     Duration::ZERO,
//!     "164307665-42198863",
//!     "ALERT_NOTIFICATION_TRIGGER",
//!     Some("42198863".into()),
//!     r#"{"eventType":"ALERT_NOTIFICATION_TRIGGER"}"#,
//! );
//! let summary = tesim_sender::run(vec![trigger], &config, |attempt| {
//!     if let Some(error) = &attempt.error {
//!         eprintln!("{error}");
//!     }
//! })
//! .await?;
//! assert!(summary.all_delivered());
//! # Ok(())
//! # }
//! ```

mod auth;
mod client;
mod connect;
mod error;
mod load;
mod log;
mod run;
mod secret;
mod target;

pub use auth::{Auth, AuthSpecError, Authenticator, ClientAuthMethod, renew_after, token_request};
pub use client::{Client, ClientConfig, ClientError, MAX_KEPT_BODY, Response};
pub use connect::{AcceptAnyCertificate, TlsConfig, TlsConfigError};
pub use error::{DeliveryError, ErrorKind, TimeoutPhase, TlsProblem};
pub use load::{
    Engine, HOLD_BYTES, HistogramError, LatencySummary, LoadConfig, LoadInterval, LoadReport,
    LoadSource, MergeError, Metric, Op, Pass, Rate, Shard, ShardError, Stage, Stages, StagesError,
    Threshold, ThresholdError, Unit, Verdict, decode_histogram, encode_histogram, evaluate, load,
    load_on, merge, render_html, simulate_connection, write_interval_log,
};
pub use log::{DeliveryLog, LogRecord, LoggedAttempt, parse_log_line, read_log, unresolved};
pub use run::{
    Attempt, BeforeSend, Delivery, EventOutcome, FAILURES_LISTED, RetryPolicy, SendConfig,
    SenderError, Speed, Summary, look_ahead, run, run_until,
};
pub use secret::{Secret, SecretError};
pub use target::{Target, TargetError, mask_userinfo};
