//! `tesim check` (being built).

use std::process::ExitCode;

/// Arguments of `tesim check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {}

/// Runs `tesim check`.
pub async fn run(_args: CheckArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`tesim check` is not built yet")
}
