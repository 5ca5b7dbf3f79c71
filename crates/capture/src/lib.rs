//! What real deliveries look like, and how tesim learns from them.
//!
//! - [`record`]: the capture file format (`tesim.capture/v1`, JSONL), written by a recording
//!   relay and read back by every tool here.
//! - [`read`]: payloads out of whatever a user has: captures, delivery logs, HAR 1.2, raw JSON.
//! - [`shape`]: a payload's structure as key paths and value kinds (small or large integer,
//!   UUID, plain or zoned date…), the unit of comparison.
//! - [`identify`]: which payload era a payload matches, and how it deviates from the closest one.
//! - [`import`]: captured triggers and clears back into a scenario file that replays them.
//! - [`har`]: capture records as a HAR 1.2 log, for browser devtools and proxies.
//!
//! Pure: text in, values out. Reading files and printing belong to the caller.

pub mod har;
pub mod identify;
pub mod import;
pub mod read;
pub mod record;
pub mod shape;

pub use identify::{Catalogue, Deviation, DeviationKind, Identification};
pub use import::{ImportError, Imported, import};
pub use read::{Payload, ReadError, read_payloads};
pub use record::CaptureRecord;
pub use shape::{Shape, ValueKind};
