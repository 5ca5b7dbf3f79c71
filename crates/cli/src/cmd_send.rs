//! `tesim send` (being built).

use std::process::ExitCode;

/// Arguments of `tesim send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {}

/// Runs `tesim send`.
pub async fn run(_args: SendArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`tesim send` is not built yet")
}
