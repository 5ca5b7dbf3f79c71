//! `tesim listen` (being built).

use std::process::ExitCode;

/// Arguments of `tesim listen`.
#[derive(Debug, clap::Args)]
pub struct ListenArgs {}

/// Runs `tesim listen`.
pub async fn run(_args: ListenArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`tesim listen` is not built yet")
}
