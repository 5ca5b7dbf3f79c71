//! `cargo xtask conformance`.

use std::process::ExitCode;

/// Runs the conformance checker.
pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut full = vec!["check".to_owned()];
    full.extend_from_slice(args);
    crate::run_tesim(&full)
}
