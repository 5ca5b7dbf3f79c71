//! `tesim api` (being built).

use std::process::ExitCode;

/// Arguments of `tesim api`.
#[derive(Debug, clap::Args)]
pub struct ApiArgs {}

/// Runs `tesim api`.
pub async fn run(_args: ApiArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`tesim api` is not built yet")
}
