//! The data of tesim: ThousandEyes alert notifications and alerts-API bodies as Rust types.
//!
//! Two layers. [`lifecycle`] is the profile-neutral, strict description of what happened in a
//! simulated account (a test alert with its agents, an agent notification), built by the
//! scenario compiler. [`webhook`], [`api_v6`] and [`api_v7`] are the wire shapes, tolerant
//! when parsing (unknown fields ignored, errors name the field) and produced from the
//! lifecycle by pure functions such as [`render::render`], so the sender can only emit what
//! ThousandEyes could send.
//!
//! This crate does no IO: no sockets, no files, no clock, no randomness. Ids and dates are
//! inputs.

pub mod api_v6;
pub mod api_v7;
pub mod custom;
pub mod date;
pub mod duration;
pub mod json;
pub mod lifecycle;
pub mod profile;
pub mod render;
pub mod samples;
pub mod webhook;

pub use date::{AccountZone, AgentDate, DateError, IsoDate, TeDate, UnknownZone, ZonedDate};
pub use lifecycle::{
    Account, Agent, AgentNotification, AgentRule, AgentRuleKind, AlertSource, AlertState, Device,
    DeviceNotification, DeviceRule, DeviceRuleKind, Label, Metrics, Notification, Rule, Severity,
    Test, TestAlert, TestType, TimedNotification,
};
pub use profile::{Era, Profile};
pub use render::render;
pub use webhook::{EventType, ParseError, WebhookEvent, parse_event};
