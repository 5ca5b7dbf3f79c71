//! `cargo xtask bench` (being built).

use std::process::ExitCode;

/// Runs the benchmarks.
pub fn run(_args: &[String]) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`cargo xtask bench` is not built yet")
}
