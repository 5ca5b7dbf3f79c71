//! Scenario files (`scenarios/*.toml`) compiled into a deterministic [`Timeline`] of
//! ThousandEyes notifications and alert states.
//!
//! Pure given its inputs: the same file, seed and start instant give the same timeline, byte
//! for byte once rendered. Reading the file is the caller's job, except for the convenience
//! [`load`], which only reads text. No clock, no sockets.

pub mod timeline;

pub use timeline::{AlertChange, AlertSnapshot, Timeline};
