//! tesim-sender delivers pre-rendered notifications over HTTP(S) exactly as ThousandEyes would:
//! `POST` with `Content-Type: application/json`, the auth modes of the real webhook connectors
//! (none, Basic, Bearer, other token, OAuth 2 client credentials and refresh token), redirects
//! never followed, connect and total timeouts, per-alert ordering, an optional retry policy and
//! a JSONL log of every attempt; plus a load mode with HDR latency histograms.
//!
//! It deliberately knows nothing about payload types or scenarios: its input is a list of
//! [`Delivery`] values whose bodies are already rendered (by `tesim-scenario` / `tesim-model`),
//! and it never prints (the CLI decides what to show and which exit code to return).

mod auth;
mod client;
mod connect;
mod error;
mod load;
mod log;
mod run;
mod secret;
mod target;

pub use auth::{Auth, AuthSpecError, Authenticator, ClientAuthMethod, renew_after};
pub use client::{Client, ClientConfig, ClientError, MAX_KEPT_BODY, Response};
pub use connect::{TlsConfig, TlsConfigError};
pub use error::{DeliveryError, ErrorKind};
pub use load::{LatencySummary, LoadConfig, LoadReport, Rate, load};
pub use log::DeliveryLog;
pub use run::{
    Attempt, Delivery, EventOutcome, RetryPolicy, SendConfig, SenderError, Speed, Summary, run,
    run_until,
};
pub use secret::{Secret, SecretError};
pub use target::{Target, TargetError};
