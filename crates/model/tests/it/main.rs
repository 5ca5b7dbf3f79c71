//! Integration tests of the model: reference samples, error messages, round trips, snapshots.

mod fixtures;
mod readme;
mod reference_samples;
mod round_trip;
mod snapshots;
