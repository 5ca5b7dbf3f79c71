//! Bounds on every size a scenario can ask for, checked before anything is allocated, so a
//! typo (`count = 4294967295`) is a normal diagnostic instead of an allocation failure.
//! `scenarios/README.md` lists them for users.
//!
//! Everything declared in the file is bounded by [`MAX_FILE_BYTES`]; these bound what the file
//! multiplies: generated tests and agents, generated alerts and their agents, and time.

use std::time::Duration;

/// Largest scenario text, in bytes.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// Most `[[steps]]` entries in one file.
pub const MAX_STEPS: usize = 10_000;

/// Most tests `[fleet]` may generate.
pub const MAX_FLEET_TESTS: u32 = 10_000;

/// Most agents `[fleet]` may generate.
pub const MAX_FLEET_AGENTS: u32 = 10_000;

/// Most alerts `burst` and `flap` steps may generate together in one scenario. Streamed
/// ([`crate::Source::stream`]) their memory does not grow with it; compiled whole (the mock
/// API, custom webhooks) it is about 4 KB per alert.
pub const MAX_ALERTS: u32 = 1_000_000;

/// Most agents in one generated alert (`agents-per-alert`).
pub const MAX_AGENTS_PER_ALERT: u32 = 1_000;

/// Most (alert, agent) pairs `burst` and `flap` may generate together: what the timeline's
/// memory grows with.
pub const MAX_ALERT_AGENTS: u64 = 10_000_000;

/// The longest a scenario may run, from its start to its last step.
pub const MAX_DURATION: Duration = tesim_model::duration::MAX_DURATION;
